//! `hc demo`: the whole Reset Device Password story on one machine, in about a minute.
//!
//! It starts the embedded cloud (SQLite in a temporary folder) and a simulated NVR, then plays the
//! people of the story: the factory (provisioning), the installer who set the NVR up and added it to
//! their account, the owner at the NVR's screen (the NVR's local API, as its web page would call it)
//! and the owner's phone (`hc-core`, exactly as the apps use it). The owner asks for the NVR to be
//! moved to their account and the installer approves at once; the owner's security feed hears the
//! move, the reset code and another account's refused attempt. The failure notes come last.
//! `--keep` leaves both servers running.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hc_cloud::{Config as CloudConfig, ProvisionRequest, RunningCloud};
use hc_core::{
    ClientConfig, FeedEventInfo, FeedEventKind, FeedFollower, FeedListener, HcClient, HcError,
    MemoryStore, TransferState,
};
use indicatif::{ProgressBar, ProgressStyle};
use nvr_sim::{CloudConfig as NvrCloud, NvrClient, NvrConfig, RunningNvr};

use crate::app::{ResetInput, run_reset_flow};
use crate::messages::{describe, grouped_code, say, utc_time};
use crate::outln;

const SERIAL: &str = "J12345678";
const MODEL: &str = "DS-7608NI-K2/8P";
const FIRMWARE: &str = "V4.61.005";
const OWNER: &str = "owner@example.com";
const INSTALLER: &str = "installer@example.com";
const ACCOUNT_PASSWORD: &str = "correct horse battery";
const OLD_ADMIN_PASSWORD: &str = "Forgotten-123";
const NEW_ADMIN_PASSWORD: &str = "Reset-2026!";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{step}: {detail}")]
    Step { step: &'static str, detail: String },
}

fn step_error(step: &'static str) -> impl Fn(&dyn std::fmt::Display) -> DemoError {
    move |e| DemoError::Step {
        step,
        detail: e.to_string(),
    }
}

pub async fn run(keep: bool) -> Result<(), DemoError> {
    let story = Narrator::new();
    let work = tempfile::Builder::new()
        .prefix("hc-demo-")
        .tempdir()
        .map_err(|e| step_error("temporary folder")(&e))?;
    crate::remove_if_ended_early(work.path());

    outln!("hc demo: Reset Device Password, end to end, on this machine only (127.0.0.1).");
    story.heading("The factory and the cloud");
    let cloud = story
        .slow("Starting the cloud (SQLite in a temporary folder)", async {
            let config =
                CloudConfig::new(work.path().join("cloud")).with_listen(([127, 0, 0, 1], 0).into());
            hc_cloud::launch(config)
                .await
                .map_err(|e| step_error("cloud")(&e))
        })
        .await?;
    story.done(&format!("Cloud listening on {}", cloud.url()));
    let record = cloud
        .provision(ProvisionRequest::new(SERIAL, MODEL, FIRMWARE))
        .await
        .map_err(|e| step_error("provision")(&e))?;
    let label_code = record.label_code.as_str().to_owned();
    story.done(&format!(
        "Provisioned NVR {SERIAL} ({MODEL}); its label reads {label_code}"
    ));

    let mut nvr_config = NvrConfig::new(record, work.path().join("nvr"));
    nvr_config.cloud = Some(NvrCloud {
        url: cloud.url().to_owned(),
        ca_cert_pem: None,
    });
    nvr_config.admin_password = Some(OLD_ADMIN_PASSWORD.to_owned());
    let nvr = story
        .slow("Booting the simulated NVR", async {
            nvr_sim::serve(nvr_config)
                .await
                .map_err(|e| step_error("nvr")(&e))
        })
        .await?;
    story.done(&format!("NVR web page on {}", nvr.url()));

    story.heading("The installer sets the NVR up for the shop");
    let installer = phone_with_account(&cloud, INSTALLER).await?;
    story.done(&format!(
        "{INSTALLER} registered, logged in and verified the address with the mailed code"
    ));
    installer
        .add_device(
            SERIAL.into(),
            label_code.clone(),
            Some("Installed for a client".into()),
        )
        .await
        .map_err(|e| step_error("installer adds the device")(&e))?;
    story.done(&format!(
        "{INSTALLER} added NVR {SERIAL} with its label code"
    ));
    let bound = nvr.sync_now().await.map_err(|e| step_error("sync")(&e))?;
    story.done(&format!(
        "The NVR synced with the cloud: bound = {}",
        bound.unwrap_or(false)
    ));

    story.heading("The owner's phone: the NVR is in the installer's account");
    let phone = phone(&cloud)?;
    story
        .slow(&format!("Registering {OWNER} and logging in"), async {
            phone
                .register(
                    OWNER.into(),
                    ACCOUNT_PASSWORD.into(),
                    ACCOUNT_PASSWORD.into(),
                )
                .await
        })
        .await
        .map_err(|e| step_error("owner account")(&e))?;
    story.done(&format!(
        "Registered {OWNER} and logged in; the address is not verified yet"
    ));
    let (mail, code) = mailed_code(&cloud, OWNER).await?;
    story.done(&format!(
        "The cloud mailed {OWNER} a 6-digit code ({}): {code}",
        mail.display()
    ));
    let status = phone
        .verify_email(code)
        .await
        .map_err(|e| step_error("verify the address")(&describe(&e)))?;
    story.done(&format!(
        "The owner typed it into the app: {} is verified (until then no device could be added)",
        status.email
    ));
    // The app's security screen: the feed, live, from the first event on.
    let (feed, follower) = follow(&phone);
    feed.show(&story, FeedEventKind::NewLogin).await?;
    let refused = phone
        .add_device(SERIAL.into(), label_code.clone(), Some("Shop NVR".into()))
        .await
        .err();
    story.note(refused.as_ref());
    // The owner is at the NVR: its QR code proves the device takes part, now.
    let panel = NvrClient::new(nvr.url()).map_err(|e| step_error("nvr")(&e))?;
    let qr_text = panel
        .start_challenge()
        .await
        .map_err(|e| step_error("Verify by Hik-Connect")(&e))?
        .qr;
    let request = phone
        .request_transfer(qr_text, label_code.clone())
        .await
        .map_err(|e| step_error("request transfer")(&describe(&e)))?;
    story.done(&format!(
        "At the NVR, the owner scanned its QR code and asked for it with the label code (request #{}): \
         it moves at {} unless {} refuses",
        request.id,
        utc_time(request.completes_at_unix),
        request.other_account
    ));
    let incoming = installer
        .transfers()
        .await
        .map_err(|e| step_error("installer's transfers")(&describe(&e)))?
        .into_iter()
        .find(|t| t.incoming && t.state == TransferState::Open)
        .ok_or_else(|| step_error("installer's transfers")(&"no open request"))?;
    story.done(&format!(
        "{INSTALLER}'s phone: {} asks for {} (request #{}); the installer approves at once",
        incoming.other_account, incoming.serial, incoming.id
    ));
    installer
        .approve_transfer(incoming.id)
        .await
        .map_err(|e| step_error("approve")(&describe(&e)))?;
    feed.show(&story, FeedEventKind::TransferApproved).await?;
    // In the shop the NVR learns it at its next check-in (every 5 min); the demo presses Check
    // again, which the NVR spaces 5 s from the last press so that no page can make it flood the cloud.
    let bound = story
        .slow(
            "Pressing Check again on the NVR (5 s after the last press)",
            nvr.sync_now(),
        )
        .await
        .map_err(|e| step_error("sync")(&e))?;
    story.done(&format!(
        "The NVR synced (Check again waits 5 s after a press): bound = {}, now to {OWNER}",
        bound.unwrap_or(false)
    ));

    story.heading("At the NVR: the admin password is forgotten");
    // The owner in front of the NVR: what its local page does, through the NVR's JSON API.
    let refused = panel
        .login("admin", OLD_ADMIN_PASSWORD.replace('1', "9").as_str())
        .await;
    story.done(&format!(
        "Login with a guessed password: {}",
        refused
            .err()
            .map_or_else(|| "accepted?!".to_owned(), |e| e.to_string())
    ));
    let methods = panel
        .forget_password_methods()
        .await
        .map_err(|e| step_error("forget password")(&e))?;
    let methods: Vec<&str> = methods
        .iter()
        .map(|m| match m.as_str() {
            "hik_connect" => "Verify by Hik-Connect",
            other => other,
        })
        .collect();
    story.done(&format!("Forget Password offers: {}", methods.join(", ")));
    let qr_text = panel
        .start_challenge()
        .await
        .map_err(|e| step_error("Verify by Hik-Connect")(&e))?
        .qr;
    story.done(&format!(
        "Verify by Hik-Connect shows a QR code ({} characters)",
        qr_text.len()
    ));
    let qr_png = panel
        .qr_png()
        .await
        .map_err(|e| step_error("QR image")(&e))?;
    story.done(&format!(
        "Rendered the QR page to a PNG ({} bytes)",
        qr_png.len()
    ));

    story.heading("The owner's phone: More > Reset Device Password");
    let code = story
        .slow(
            "Scanning the QR image and asking the cloud",
            scan(&phone, qr_png),
        )
        .await
        .map_err(|e| step_error("reset")(&describe(&e)))?;
    story.done(&format!(
        "Verification code {} for {} {}, valid until {}",
        grouped_code(&code.1),
        code.0,
        MODEL,
        utc_time(code.2)
    ));
    feed.show(&story, FeedEventKind::ResetCodeIssued).await?;

    story.heading("At the NVR: code, new password, login");
    let token = panel
        .submit_code(&code.1)
        .await
        .map_err(|e| step_error("enter the code")(&e))?
        .reset_token;
    story.done("The NVR accepted the code (checked offline, with its own key)");
    panel
        .set_password(&token, NEW_ADMIN_PASSWORD)
        .await
        .map_err(|e| step_error("new password")(&e))?;
    story.done(&format!("New admin password set: {NEW_ADMIN_PASSWORD}"));
    panel
        .login("admin", NEW_ADMIN_PASSWORD)
        .await
        .map_err(|e| step_error("login with the new password")(&e))?;
    story.done("Logged in to the NVR with the new password");

    story.heading("Another account scans the NVR");
    let qr_png = fresh_qr_png(&panel).await?;
    let note = scan(&installer, qr_png).await.err();
    story.done(&format!(
        "{INSTALLER}, no longer the owner, scans a fresh QR code"
    ));
    story.note(note.as_ref());
    feed.show(&story, FeedEventKind::ResetAttemptRefused)
        .await?;
    follower.stop_and_wait().await;

    story.heading("The notes the app shows instead of a code");
    phone
        .remove_device(SERIAL.into())
        .await
        .map_err(|e| step_error("remove device")(&e))?;
    story.done("The owner removed the NVR; offline, it still believes it is bound");
    let qr_png = fresh_qr_png(&panel).await?;
    let note = scan(&phone, qr_png).await.err();
    story.note(note.as_ref());

    outln!("");
    if keep {
        // Its page says it is free at once, not at the next scheduled check-in.
        story
            .slow("Pressing Check again on the NVR", nvr.sync_now())
            .await
            .map_err(|e| step_error("sync")(&e))?;
        story.done("The NVR synced: it is free for an account of yours");
        outln!("");
        keep_running(cloud, nvr, work, &label_code).await;
    } else {
        outln!(
            "Done in {:.1} s. Run `hc demo --keep` to click through the NVR page yourself.",
            story.elapsed().as_secs_f64()
        );
        nvr.shutdown().await.ok();
        cloud.shutdown().await;
    }
    Ok(())
}

fn phone(cloud: &RunningCloud) -> Result<HcClient, DemoError> {
    let config = ClientConfig::new(cloud.url());
    // A real phone keeps tokens in Keychain/Keystore; the demo forgets them at exit.
    HcClient::new(config, Arc::new(MemoryStore::new())).map_err(|e| step_error("phone")(&e))
}

async fn phone_with_account(cloud: &RunningCloud, email: &str) -> Result<HcClient, DemoError> {
    let phone = phone(cloud)?;
    let setup = async {
        phone
            .register(
                email.into(),
                ACCOUNT_PASSWORD.into(),
                ACCOUNT_PASSWORD.into(),
            )
            .await
    };
    setup.await.map_err(|e| step_error("second account")(&e))?;
    let (_, code) = mailed_code(cloud, email).await?;
    phone
        .verify_email(code)
        .await
        .map_err(|e| step_error("verify the address")(&describe(&e)))?;
    Ok(phone)
}

/// The demo's mailbox: the embedded cloud has no SMTP relay, so it writes each mail to its mail
/// folder. The newest mail to `email` there, and its code, as the person reads it off the mail.
async fn mailed_code(
    cloud: &RunningCloud,
    email: &str,
) -> Result<(std::path::PathBuf, String), DemoError> {
    let to = format!("To: {email}\r\n");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let newest = hc_cloud::mail::folder_files(cloud.mail_dir())
            .into_iter()
            .rev()
            .find_map(|path| {
                let raw = String::from_utf8(std::fs::read(&path).ok()?).ok()?;
                let code = raw
                    .contains(&to)
                    .then(|| hc_cloud::mail::templates::code_in(&raw))??;
                Some((path, code.to_owned()))
            });
        if let Some(found) = newest {
            return Ok(found);
        }
        if Instant::now() > deadline {
            return Err(step_error("the mailbox")(&format!(
                "no mail to {email} in {}",
                cloud.mail_dir().display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The owner opens Verify by Hik-Connect again: a new challenge, its QR page as a PNG.
async fn fresh_qr_png(panel: &NvrClient) -> Result<Vec<u8>, DemoError> {
    panel
        .start_challenge()
        .await
        .map_err(|e| step_error("Verify by Hik-Connect")(&e))?;
    panel.qr_png().await.map_err(|e| step_error("QR image")(&e))
}

/// One pass of the reset screen: an image in, a code (serial, code, expiry) or an error out.
async fn scan(phone: &HcClient, png: Vec<u8>) -> Result<(String, String, i64), HcError> {
    let code = run_reset_flow(phone, ResetInput::Image(png), |_| {}).await?;
    Ok((code.serial, code.code, code.expires_at_unix))
}

/// How long the demo waits for an event its own step has just caused (the long poll answers at
/// once when it is written; this bounds a broken cloud).
const FEED_WAIT: Duration = Duration::from_secs(10);

/// The owner's security screen, as the apps' stream feeds it: the follower hands each event on.
struct Feed(tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<FeedEventInfo>>);

struct FeedSender(tokio::sync::mpsc::UnboundedSender<FeedEventInfo>);

impl FeedListener for FeedSender {
    fn on_event(&self, event: FeedEventInfo) {
        let _ = self.0.send(event);
    }
    // The demo's cloud is in this process: an error shows as the awaited event never coming.
    fn on_error(&self, _error: HcError, _retrying: bool) {}
}

fn follow(phone: &HcClient) -> (Feed, FeedFollower) {
    let (send, receive) = tokio::sync::mpsc::unbounded_channel();
    let follower = FeedFollower::start(phone.clone(), None, Arc::new(FeedSender(send)));
    (Feed(tokio::sync::Mutex::new(receive)), follower)
}

impl Feed {
    /// Prints what the owner's feed hears, up to and including the first event of `kind`.
    async fn show(&self, story: &Narrator, kind: FeedEventKind) -> Result<(), DemoError> {
        let mut events = self.0.lock().await;
        loop {
            let event = tokio::time::timeout(FEED_WAIT, events.recv())
                .await
                .ok()
                .flatten()
                .ok_or_else(|| step_error("the owner's feed")(&format!("no {kind:?} event")))?;
            story.feed(&event);
            if event.kind == kind {
                return Ok(());
            }
        }
    }
}

async fn keep_running(
    cloud: RunningCloud,
    nvr: RunningNvr,
    work: tempfile::TempDir,
    label_code: &str,
) {
    outln!(
        "Both servers keep running (Ctrl-C stops them and deletes {}):",
        work.path().display()
    );
    outln!("  cloud: {}", cloud.url());
    outln!(
        "  NVR:   {}  (user admin, password {NEW_ADMIN_PASSWORD}; use Forget Password to try again)",
        nvr.url()
    );
    outln!("Try the app side against them, with an account of your own:");
    // `hc` is this very binary; `cargo install --path cli --locked` puts it on PATH for good.
    let hc = std::env::current_exe()
        .map(|exe| exe.display().to_string())
        .unwrap_or_else(|_| "target/release/hc".into());
    outln!("  alias hc='{hc}'   # or put it on PATH: cargo install --path cli --locked");
    outln!(
        "  export HC_CLOUD_URL={} HC_HOME={}",
        cloud.url(),
        work.path().join("hc").display()
    );
    outln!("  hc register you@example.com      # asks for a password twice, then logs you in");
    outln!(
        "  hc verify CODE                   # the code in the newest mail in {}",
        cloud.mail_dir().display()
    );
    outln!(
        "  hc add {SERIAL} {label_code} --name \"Shop NVR\"   # the serial and label code on the NVR"
    );
    outln!(
        "  On the NVR page: Forget Password > Verify by Hik-Connect (press Check again if it says not added)"
    );
    outln!(
        "  hc reset --text 'HCR1:...'       # the text under the QR; or --image a-screenshot.png"
    );
    stopped().await;
    outln!("\nStopping.");
    nvr.shutdown().await.ok();
    cloud.shutdown().await;
}

/// Ctrl-C, a `kill` (SIGTERM) or the terminal closing (SIGHUP): the servers stop, the folder goes.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut hangup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hangup.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Prints the story: headings, finished steps with the time since the start, spinners for slow ones.
struct Narrator {
    start: Instant,
}

impl Narrator {
    fn new() -> Self {
        Narrator {
            start: Instant::now(),
        }
    }

    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn heading(&self, text: &str) {
        outln!("\n{text}");
    }

    fn done(&self, text: &str) {
        outln!("  [{:>5.2}s] ✔ {text}", self.elapsed().as_secs_f64());
    }

    fn feed(&self, event: &FeedEventInfo) {
        outln!(
            "  [{:>5.2}s] 🔔 The owner's security feed: {}",
            self.elapsed().as_secs_f64(),
            say(&event.message)
        );
    }

    fn note(&self, error: Option<&HcError>) {
        match error {
            Some(error) => {
                outln!(
                    "  [{:>5.2}s] ✘ The app shows: {}",
                    self.elapsed().as_secs_f64(),
                    describe(error)
                );
                if let Some(hint) = error.hint() {
                    outln!("           and offers: {}", say(&hint));
                }
            }
            None => outln!(
                "  [{:>5.2}s] ? The app got a code where it should not have",
                self.elapsed().as_secs_f64()
            ),
        }
    }

    /// Runs `work` with a spinner (on a terminal only) saying what is going on.
    async fn slow<T>(&self, what: &str, work: impl std::future::Future<Output = T>) -> T {
        let spinner = ProgressBar::new_spinner();
        spinner.set_style(
            ProgressStyle::with_template("  {spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.set_message(format!("{what}…"));
        spinner.enable_steady_tick(Duration::from_millis(80));
        let result = work.await;
        spinner.finish_and_clear();
        result
    }
}
