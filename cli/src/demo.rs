//! `hc demo`: the whole Reset Device Password story on one machine, in about a minute.
//!
//! It starts the embedded cloud (SQLite in a temporary folder) and a simulated NVR, then plays the
//! three people of the story: the factory (provisioning), the owner at the NVR's screen (the NVR's
//! local API, as its web page would call it), and the owner's phone (`hc-core`, exactly as the
//! apps use it). The failure notes come last. `--keep` leaves both servers running.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hc_cloud::{Config as CloudConfig, ProvisionRequest, RunningCloud};
use hc_core::{ClientConfig, HcClient, HcError, MemoryStore};
use indicatif::{ProgressBar, ProgressStyle};
use nvr_sim::{CloudConfig as NvrCloud, NvrClient, NvrConfig, RunningNvr};

use crate::app::{ResetInput, run_reset_flow};
use crate::messages::{describe, grouped_code, utc_time};
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

    story.heading("The owner's phone: account and device");
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
    story.done(&format!("Logged in as {OWNER}"));
    phone
        .add_device(SERIAL.into(), label_code.clone(), Some("Shop NVR".into()))
        .await
        .map_err(|e| step_error("add device")(&e))?;
    story.done(&format!("Added NVR {SERIAL} with its label code"));
    let bound = nvr.sync_now().await.map_err(|e| step_error("sync")(&e))?;
    story.done(&format!(
        "The NVR synced with the cloud once: bound = {}",
        bound.unwrap_or(false)
    ));

    story.heading("At the NVR: the admin password is forgotten");
    // The owner in front of the NVR: what its local page does, through the NVR's JSON API.
    let panel = NvrClient::new(nvr.url()).map_err(|e| step_error("nvr")(&e))?;
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

    story.heading("The notes the app shows instead of a code");
    phone
        .remove_device(SERIAL.into())
        .await
        .map_err(|e| step_error("remove device")(&e))?;
    story.done("The owner removed the NVR; offline, it still believes it is bound");
    let qr_png = fresh_qr_png(&panel).await?;
    let note = scan(&phone, qr_png).await.err();
    story.note(note.as_ref());

    let installer = phone_with_account(&cloud, INSTALLER).await?;
    installer
        .add_device(
            SERIAL.into(),
            label_code.clone(),
            Some("Installed for a client".into()),
        )
        .await
        .map_err(|e| step_error("installer adds the device")(&e))?;
    story.done(&format!("{INSTALLER} added the same NVR to their account"));
    let qr_png = fresh_qr_png(&panel).await?;
    let note = scan(&phone, qr_png).await.err();
    story.note(note.as_ref());

    outln!("");
    if keep {
        // Left bound to the installer, the NVR could not be added by whoever tries it next.
        installer
            .remove_device(SERIAL.into())
            .await
            .map_err(|e| step_error("installer removes the device")(&e))?;
        // Its page then says so at once, not at the next scheduled check-in.
        nvr.sync_now().await.map_err(|e| step_error("sync")(&e))?;
        story.done(&format!(
            "{INSTALLER} removed the NVR again, and it synced: it is free for an account of yours"
        ));
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
    Ok(phone)
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

    fn note(&self, error: Option<&HcError>) {
        match error {
            Some(error) => outln!(
                "  [{:>5.2}s] ✘ The app shows: {}",
                self.elapsed().as_secs_f64(),
                describe(error)
            ),
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
