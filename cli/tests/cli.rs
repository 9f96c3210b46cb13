//! `hc` run as a process, against a real cloud and a simulated NVR on loopback: what a person
//! typing the commands sees, every error message included.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use hc_cloud::{ProvisionRequest, RateLimits};
use hc_core::fake_cloud::HeaderRecorder;
use hc_testkit::cloud_api::MAIL_WAIT;
use hc_testkit::mail::{MailFolder, code_for, mails_to, next_code_for};
use hc_testkit::{Nvr, World};

const PASSWORD: &str = "correct horse battery";

/// The first valid protocol vector: a well-formed reset QR.
fn vector_qr() -> &'static str {
    &hc_testkit::vectors::vectors().valid[0].qr_text
}

/// The cloud with `limits` (over TLS, its CA given to `hc` with `--ca-cert`).
async fn world(limits: RateLimits) -> World {
    World::start(|c| c.with_rate_limits(limits)).await
}

/// An NVR of the model the messages name, provisioned with `serial` and running.
async fn nvr(world: &World, serial: &str) -> Nvr {
    world
        .nvr_of(ProvisionRequest::new(
            serial,
            "DS-7608NI-K2/8P",
            "V4.61.005",
        ))
        .await
}

/// A user of `hc` with their own session folder.
fn user(world: &World, name: &str) -> User {
    User {
        home: world.dir.path().join(format!("home-{name}")),
        cloud: world.cloud_url.clone(),
        ca: world.ca.ca_path.clone(),
        mail: world.mail(),
    }
}

struct User {
    home: PathBuf,
    cloud: String,
    ca: PathBuf,
    /// The mailbox: the folder the cloud writes its mail to.
    mail: MailFolder,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl User {
    async fn hc(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let (home, cloud, ca) = (self.home.clone(), self.cloud.clone(), self.ca.clone());
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let stdin = stdin.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            run_hc(&home, &cloud, &ca, &args, stdin.as_deref(), &[])
        })
        .await
        .unwrap()
    }

    async fn hc_env(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        let (home, cloud, ca) = (self.home.clone(), self.cloud.clone(), self.ca.clone());
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let envs: Vec<(String, String)> = envs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tokio::task::spawn_blocking(move || run_hc(&home, &cloud, &ca, &args, None, &envs))
            .await
            .unwrap()
    }

    async fn signed_up(&self, email: &str) {
        let run = self
            .hc(&["register", email, "--password-stdin"], Some(PASSWORD))
            .await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        let run = self
            .hc(&["login", email, "--password-stdin"], Some(PASSWORD))
            .await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains(&format!("Logged in as {email}")));
        let code = code_for(&self.mail, email, MAIL_WAIT).await;
        let run = self.hc(&["verify", &code], None).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
}

fn run_hc(
    home: &Path,
    cloud: &str,
    ca: &Path,
    args: &[String],
    stdin: Option<&str>,
    envs: &[(String, String)],
) -> Run {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hc"))
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .env("HC_HOME", home)
        .env("HC_CLOUD_URL", cloud)
        .env("HC_CA_CERT", ca)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hc runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{text}\n").as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// What the owner does at the NVR: open Verify by Hik-Connect and take a screenshot of the QR.
async fn qr_screenshot(nvr: &Nvr, dir: &Path) -> (String, PathBuf) {
    let qr = nvr.show_reset_qr().await;
    let path = dir.join(format!("qr-{}.png", nvr.serial));
    std::fs::write(&path, nvr.qr_png().await).unwrap();
    (qr, path)
}

fn digits_of(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("Verification code:"))
        .expect("a code line");
    line.chars().filter(char::is_ascii_digit).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_resets_the_nvr_password_from_a_screenshot_and_the_nvr_takes_the_code() {
    let world = world(RateLimits::default()).await;
    let nvr = nvr(&world, "J12345678").await;
    let label = nvr.label_code.clone();
    let owner = user(&world, "owner");
    owner.signed_up("owner@example.com").await;

    let run = owner
        .hc(
            &["add", "J12345678", &label.to_lowercase(), "--name", "Shop"],
            None,
        )
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Device J12345678 added"));
    let run = owner.hc(&["devices"], None).await;
    assert!(
        run.stdout.contains("J12345678") && run.stdout.contains("Shop"),
        "{}",
        run.stdout
    );
    assert!(nvr.sync().await);

    let (_, screenshot) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = owner
        .hc(&["reset", "--image", screenshot.to_str().unwrap()], None)
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("Recognized DS-7608NI-K2/8P, serial J12345678"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Enter it on the device J12345678"),
        "{}",
        run.stdout
    );
    let code = digits_of(&run.stdout);
    assert_eq!(code.len(), 8);

    let accepted = nvr.enter_code(&code).await;
    assert!(accepted.is_ok(), "the NVR refused the code: {accepted:?}");

    let run = owner.hc(&["audit"], None).await;
    assert!(
        run.stdout
            .contains("Verification code given for J12345678. (from 127.0.0.1)"),
        "{}",
        run.stdout
    );
    let run = owner.hc(&["logout"], None).await;
    assert_eq!(run.code, 0);
    let run = owner.hc(&["devices"], None).await;
    assert_eq!(run.code, 6);
    assert!(
        run.stderr.contains("You are not logged in"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vendor_notes_and_every_error_message() {
    let limits = RateLimits {
        reset_codes_per_account: 4,
        ..RateLimits::default()
    };
    let mut world = world(limits).await;
    let nvr = nvr(&world, "D98765432").await;
    let label = nvr.label_code.clone();
    let owner = user(&world, "owner");
    owner.signed_up("owner@example.com").await;
    let neighbour = user(&world, "neighbour");
    neighbour.signed_up("neighbour@example.com").await;

    // Not logged in.
    let stranger = user(&world, "stranger");
    let run = stranger.hc(&["reset", "--text", vector_qr()], None).await;
    assert_eq!(
        (run.code, run.stderr.contains("You are not logged in")),
        (6, true),
        "{}",
        run.stderr
    );

    // Wrong password.
    let run = stranger
        .hc(
            &["login", "owner@example.com", "--password-stdin"],
            Some("nope nope nope"),
        )
        .await;
    assert_eq!(
        run.code, 2,
        "the cloud refused what was typed: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Wrong email or password"),
        "{}",
        run.stderr
    );

    // Wrong label code.
    let run = owner.hc(&["add", "D98765432", "ZZZZZZ"], None).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("serial number and label code do not match"),
        "{}",
        run.stderr
    );
    // A serial the cloud does not know reads the same (no enumeration), with the same exit code.
    let run = owner.hc(&["add", "Z00000001", "ZZZZZZ"], None).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("serial number and label code do not match"),
        "{}",
        run.stderr
    );

    // Not a reset QR, a damaged one, an unreadable image.
    let run = owner
        .hc(&["reset", "--text", "https://example.com/"], None)
        .await;
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("not a Reset Device Password QR code"),
        "{}",
        run.stderr
    );
    let run = owner
        .hc(
            &["reset", "--text", "HCR1:AEAUUMJSGM2DKNRXHBPWCVMAEOPA26MY"],
            None,
        )
        .await;
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("could not be verified"),
        "{}",
        run.stderr
    );
    let junk = world.dir.path().join("junk.png");
    std::fs::write(&junk, b"definitely not a png").unwrap();
    let run = owner
        .hc(&["reset", "--image", junk.to_str().unwrap()], None)
        .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    let run = owner
        .hc(&["reset", "--image", "/nonexistent/qr.png"], None)
        .await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot read /nonexistent/qr.png"),
        "{}",
        run.stderr
    );

    // Device not added: the owner added it, the NVR synced, then the owner removed it.
    assert_eq!(owner.hc(&["add", "D98765432", &label], None).await.code, 0);
    assert!(nvr.sync().await);
    assert_eq!(owner.hc(&["remove", "D98765432"], None).await.code, 0);
    let (qr, screenshot) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = owner.hc(&["reset", "--text", &qr], None).await;
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("The device is not added to your account (serial D98765432)"),
        "{}",
        run.stderr
    );

    // A photo of the QR taken while the phone moved: the hint, not "wrong code".
    let sharp = image::open(&screenshot).unwrap().into_luma8();
    let blurred = world.dir.path().join("blurred.png");
    let sigma = sharp.width() as f32 / 60.0;
    image::imageops::blur(&sharp, sigma).save(&blurred).unwrap();
    let run = owner
        .hc(&["reset", "--image", blurred.to_str().unwrap()], None)
        .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("The QR code is blurred. Hold the phone still"),
        "{}",
        run.stderr
    );

    // Added by others: the neighbour adds it; the owner's scan gets the vendor's note.
    assert_eq!(
        neighbour.hc(&["add", "D98765432", &label], None).await.code,
        0
    );
    let (qr, _) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = owner.hc(&["reset", "--text", &qr], None).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("The device has been added by another account (serial D98765432)"),
        "{}",
        run.stderr
    );
    let run = owner.hc(&["add", "D98765432", &label], None).await;
    assert!(
        run.stderr.contains("added by another account"),
        "{}",
        run.stderr
    );
    // The neighbour's audit shows the owner's attempt on the NVR, the owner's e-mail masked.
    let run = neighbour.hc(&["audit"], None).await;
    assert!(
        run.stdout.contains(
            "Another account (o***@example.com) asked for a code for D98765432 while it was \
             in your account: refused."
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("owner@"), "{}", run.stdout);

    // Rate limited: the account's budget of reset-code requests runs out.
    let mut last = None;
    for _ in 0..6 {
        let run = neighbour.hc(&["reset", "--text", &qr], None).await;
        last = Some(run);
        if last.as_ref().unwrap().code == 7 {
            break;
        }
    }
    let run = last.unwrap();
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(
        run.stderr.contains("Too many requests. Try again in"),
        "{}",
        run.stderr
    );

    // Session expired: the stored tokens no longer work and cannot be refreshed.
    let session = neighbour.home.join("session.json");
    let mangled = std::fs::read_to_string(&session)
        .unwrap()
        .replace(|c: char| c.is_ascii_alphanumeric() && c != 'h', "x");
    std::fs::write(&session, mangled).unwrap();
    let run = neighbour.hc(&["devices", "--refresh"], None).await;
    assert!(matches!(run.code, 1 | 6), "{}", run.stderr);
    assert!(
        run.stderr.contains("session has expired")
            || run.stderr.contains("not logged in")
            || run.stderr.contains("session file"),
        "{}",
        run.stderr
    );

    // The session folder is not usable.
    let blocked = User {
        home: junk.clone(),
        cloud: world.cloud_url.clone(),
        ca: owner.ca.clone(),
        mail: owner.mail.clone(),
    };
    let run = blocked.hc(&["devices"], None).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("session file"), "{}", run.stderr);

    // Online, `hc devices` says the cloud was asked; soon after, that it was not, and why.
    let run = owner.hc(&["devices", "--refresh"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("The cloud was asked just now"),
        "{}",
        run.stdout
    );
    let run = owner.hc(&["devices"], None).await;
    assert!(
        run.stdout.contains("cached list")
            && run
                .stdout
                .contains("The cloud was not asked: the cached list is younger than 5 min")
            && run.stdout.contains("hc devices --refresh"),
        "{}",
        run.stdout
    );

    // An audit page of no events, or more than the cloud gives, is refused here: nothing is sent.
    for limit in ["0", "1001"] {
        let run = owner.hc(&["audit", "--limit", limit], None).await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("1..=1000"), "{}", run.stderr);
    }
    let run = owner.hc(&["audit", "--before", "0"], None).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = owner.hc(&["audit", "--before", "1"], None).await;
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, "No older events."),
        "{}",
        run.stderr
    );

    // Removing what is not a serial, or a device that is not in the account, says which.
    let run = owner.hc(&["remove", "X"], None).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a device serial number"),
        "{}",
        run.stderr
    );
    let run = owner.hc(&["remove", "Z99999999"], None).await;
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("not added to your account"),
        "{}",
        run.stderr
    );

    // The cloud cannot be reached: it is down at its address.
    world.stop_cloud().await;
    let run = owner.hc(&["audit"], None).await;
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert!(
        run.stderr.contains("Cannot reach the cloud"),
        "{}",
        run.stderr
    );
    // Offline, the device list comes from the cache with its age, and says why.
    tokio::time::sleep(Duration::from_millis(10)).await;
    let run = owner.hc(&["devices", "--refresh"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("cached list") && run.stdout.contains("asked but could not be reached"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_demo_tells_the_whole_story_the_move_from_the_installer_the_feed_and_both_notes() {
    let output = Command::new(env!("CARGO_BIN_EXE_hc"))
        .arg("demo")
        .env_remove("HC_CLOUD_URL")
        .output()
        .expect("hc demo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for step in [
        // A new account proves its address with the code the cloud mailed (to its folder).
        "The cloud mailed owner@example.com a 6-digit code (",
        "The owner typed it into the app: owner@example.com is verified",
        // The installer's account has the NVR: the note, the way out, and the move approved.
        "The device has been added by another account (serial J12345678)",
        "and offers: Standing at J12345678? Ask for it to be moved to your account",
        "installer@example.com's phone: o***@example.com asks for J12345678 (request #1); the installer approves at once",
        "The owner's security feed: The move of J12345678 between your account and in***@example.com was approved",
        "Forget Password offers: Verify by Hik-Connect",
        "Verification code ",
        "The NVR accepted the code",
        "Logged in to the NVR with the new password",
        // The owner's feed hears the code and another account's attempt, as they happen.
        "The owner's security feed: A verification code was given for J12345678.",
        "The owner's security feed: Another account (in***@example.com) asked for a code for J12345678: refused.",
        "The device is not added to your account (serial J12345678)",
        "The device has been added by another account (serial J12345678)",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in:\n{stdout}");
    }
}

/// `hc` pointed at `url` with the session folder of `user`, no CA.
fn elsewhere(user: &User, url: &str) -> User {
    User {
        home: user.home.clone(),
        cloud: url.to_owned(),
        ca: user.ca.clone(),
        mail: user.mail.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pointing_hc_at_another_address_never_sends_the_saved_token_there() {
    let world = world(RateLimits::default()).await;
    let owner = user(&world, "owner");
    owner.signed_up("owner@example.com").await;

    let commands = [
        &["devices"][..],
        &["audit"],
        &["reset", "--text", vector_qr()],
    ];
    // Another hc cloud (the same server under another origin is another cloud): log in there.
    let other_origin = world.cloud_url.replace("127.0.0.1", "localhost");
    let other_cloud = elsewhere(&owner, &other_origin);
    for args in commands {
        let run = other_cloud.hc(args, None).await;
        assert_eq!(run.code, 6, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("You are logged in to another cloud")
                && run.stderr.contains(&world.cloud_url),
            "{}",
            run.stderr
        );
    }

    // An NVR's web server records every request it gets: it is asked (without the token) whether
    // it is an hc cloud, and the user reads that it is not, not "log in here".
    let nvr_page = HeaderRecorder::start(404).await;
    let pointed = elsewhere(&owner, &nvr_page.url);
    for args in commands {
        let run = pointed.hc(args, None).await;
        assert_eq!(run.code, 9, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("is not an hc cloud"), "{}", run.stderr);
    }
    assert!(!nvr_page.saw_authorization(), "{:?}", nvr_page.heads());

    // An address where nothing answers: cannot reach it, not "log in here".
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let run = elsewhere(&owner, &dead).hc(&["devices"], None).await;
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert!(
        run.stderr.contains("Cannot reach the cloud"),
        "{}",
        run.stderr
    );

    // Logging in there: the address is not an hc cloud, said so, and no token went with it.
    let run = pointed
        .hc(
            &["login", "owner@example.com", "--password-stdin"],
            Some(PASSWORD),
        )
        .await;
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(
        run.stderr.contains("is not an hc cloud") && !run.stderr.contains("not in your account"),
        "{}",
        run.stderr
    );
    assert!(!nvr_page.saw_authorization(), "{:?}", nvr_page.heads());
    // The password was never posted there: the address was only asked whether it is an hc cloud.
    assert!(
        nvr_page.heads().iter().all(|h| h.starts_with("GET ")),
        "{:?}",
        nvr_page.heads()
    );

    // Logging out at another cloud's address says whose session it is, and ends nothing.
    for address in [other_origin.as_str(), nvr_page.url.as_str()] {
        let run = elsewhere(&owner, address).hc(&["logout"], None).await;
        assert_eq!(run.code, 6, "{address}: {}", run.stderr);
        assert!(
            run.stderr.contains("You are logged in to another cloud"),
            "{}",
            run.stderr
        );
    }

    // Back at its own cloud the session works on.
    let run = owner.hc(&["devices"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Logged out, and once more: the second says there was nothing to end.
    let run = owner.hc(&["logout"], None).await;
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, "Logged out."),
        "{}",
        run.stderr
    );
    let run = owner.hc(&["logout"], None).await;
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, "You were not logged in."),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_host_and_port_is_http_on_loopback_and_a_bad_address_states_the_rule() {
    let world = world(RateLimits::default()).await;
    let owner = user(&world, "owner");
    let nvr_page = HeaderRecorder::start(200).await;
    let bare = nvr_page.url.trim_start_matches("http://").to_owned();
    let run = elsewhere(&owner, &bare)
        .hc(
            &["login", "owner@example.com", "--password-stdin"],
            Some(PASSWORD),
        )
        .await;
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(run.stderr.contains("is not an hc cloud"), "{}", run.stderr);
    assert_eq!(nvr_page.heads().len(), 1, "reached over http://");

    let run = elsewhere(&owner, "ftp://127.0.0.1:21")
        .hc(&["devices"], None)
        .await;
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot be used")
            && run.stderr.contains("is http:// on this machine's loopback")
            && run
                .stderr
                .contains("(ftp:// is not a scheme a cloud is reached with; use https://"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_says_which_part_of_the_rule_a_password_breaks_and_logs_in() {
    let world = world(RateLimits::default()).await;
    let newcomer = user(&world, "newcomer");
    for (password, says) in [
        ("password123", "one of the most common ones"),
        ("zzzzzzzzzz", "or one character repeated"),
        ("short", "too short"),
        (
            "new@example.com",
            "Your email address cannot be your password",
        ),
    ] {
        let run = newcomer
            .hc(
                &["register", "new@example.com", "--password-stdin"],
                Some(password),
            )
            .await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains(says) && run.stderr.contains("at least 8 characters"),
            "{password}: {}",
            run.stderr
        );
    }
    let run = newcomer
        .hc(
            &["register", "new@example.com", "--password-stdin"],
            Some("correct horse battery staple"),
        )
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("Account new@example.com created; you are logged in"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("We mailed a 6-digit code to new@example.com"),
        "{}",
        run.stdout
    );
    // No `hc login` needed.
    let run = newcomer.hc(&["devices"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_account_verifies_its_address_with_hc_verify_before_adding_the_nvr() {
    let world = world(RateLimits::default()).await;
    let nvr = nvr(&world, "J12345678").await;
    let owner = user(&world, "owner");
    let run = owner
        .hc(
            &["register", "owner@example.com", "--password-stdin"],
            Some(PASSWORD),
        )
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = owner.hc(&["add", &nvr.serial, &nvr.label_code], None).await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(
        run.stderr.contains("Verify your email address first") && run.stderr.contains("hc verify"),
        "{}",
        run.stderr
    );
    let run = owner.hc(&["account"], None).await;
    assert!(run.stdout.contains("not verified yet"), "{}", run.stdout);

    let run = owner.hc(&["verify", "000 000"], None).await;
    let code = code_for(&owner.mail, "owner@example.com", MAIL_WAIT).await;
    if code != "000000" {
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("That code is wrong. 4 tries left."),
            "{}",
            run.stderr
        );
    }
    let run = owner.hc(&["verify", "12345"], None).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("6 digits"), "{}", run.stderr);

    let run = owner.hc(&["verify", "--resend"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let code = next_code_for(&owner.mail, "owner@example.com", 1, MAIL_WAIT).await;
    let run = owner.hc(&["verify", &code], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("Your address owner@example.com is verified"),
        "{}",
        run.stdout
    );
    let run = owner.hc(&["verify", "--resend"], None).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("verified already"), "{}", run.stderr);
    let run = owner.hc(&["add", &nvr.serial, &nvr.label_code], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hc_forgot_mails_a_code_that_sets_a_new_password_and_says_the_same_for_an_unknown_address()
{
    let world = world(RateLimits::default()).await;
    let owner = user(&world, "owner");
    owner.signed_up("owner@example.com").await;
    let seen = mails_to(&owner.mail, "owner@example.com").len();

    let stranger = user(&world, "stranger");
    let known = stranger.hc(&["forgot", "owner@example.com"], None).await;
    let unknown = stranger.hc(&["forgot", "nobody@example.com"], None).await;
    assert_eq!(
        (known.code, unknown.code),
        (0, 0),
        "{}{}",
        known.stderr,
        unknown.stderr
    );
    assert_eq!(
        known.stdout.replace("owner@", "X@"),
        unknown.stdout.replace("nobody@", "X@")
    );
    assert!(
        known
            .stdout
            .contains("If an account uses owner@example.com")
            && known
                .stdout
                .contains("hc forgot owner@example.com --enter-code"),
        "{}",
        known.stdout
    );

    let code = next_code_for(&owner.mail, "owner@example.com", seen, MAIL_WAIT).await;
    let typed = format!("{code}\na brand new password");
    let run = stranger
        .hc(
            &["forgot", "nobody@example.com", "--enter-code"],
            Some(&typed),
        )
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("wrong or has expired")
            && run.stderr.contains("--enter-code tries a code again"),
        "{}",
        run.stderr
    );
    // A code that is not six digits is refused before the new password is asked for.
    let run = stranger
        .hc(
            &["forgot", "owner@example.com", "--enter-code"],
            Some("12345"),
        )
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("6 digits"), "{}", run.stderr);
    let run = stranger
        .hc(
            &["forgot", "owner@example.com", "--enter-code"],
            Some(&typed),
        )
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Your password is set anew"),
        "{}",
        run.stdout
    );
    let run = stranger.hc(&["account"], None).await;
    assert!(
        run.stdout
            .contains("Logged in as owner@example.com; the address is verified"),
        "{}",
        run.stdout
    );
    // The owner's old session ended with the reset.
    let run = owner.hc(&["devices", "--refresh"], None).await;
    assert_eq!(run.code, 6, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_code_of_the_wrong_shape_is_refused_before_asking_the_cloud() {
    let world = world(RateLimits::default()).await;
    let owner = user(&world, "owner");
    owner.signed_up("owner@example.com").await;
    let run = owner.hc(&["add", "J12345678", "ABC12"], None).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("That is not a label code"),
        "{}",
        run.stderr
    );
    let run = owner.hc(&["add", "J1234", "ABCDEF"], None).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a device serial number"),
        "{}",
        run.stderr
    );
}

#[test]
fn hc_demo_piped_into_head_ends_quietly_when_the_pipe_closes_and_leaves_no_files() {
    use std::io::{BufRead, BufReader};
    // The demo's temporary folder (a cloud database, its master key) goes under this one.
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hc"))
        .arg("demo")
        .env_remove("HC_CLOUD_URL")
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hc demo runs");
    // `| head -3`: three lines, then the reader goes away.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..3 {
        lines.next().expect("a line").unwrap();
    }
    drop(lines);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn the_commands_hc_demo_keep_prints_work_for_a_new_account_and_ctrl_c_leaves_no_files() {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_hc"))
        .args(["demo", "--keep"])
        .env_remove("HC_CLOUD_URL")
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("hc demo --keep runs");
    // Read what it prints until the last suggested command.
    let mut printed = Vec::new();
    for line in BufReader::new(demo.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let last = line.contains("hc reset --text");
        printed.push(line);
        if last {
            break;
        }
    }
    let printed = printed.join("\n");
    let after = |prefix: &str| {
        printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in:\n{printed}"))
            .to_owned()
    };
    let export = after("export ");
    let env: Vec<(&str, &str)> = export
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let add = after("hc add ");
    let add: Vec<&str> = add.split_whitespace().take(2).collect();

    let hc = |args: &[&str], stdin: Option<&str>| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_hc"))
            .args(args)
            .envs(env.iter().copied())
            .env("HC_LANG", "en")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            writeln!(input, "{text}").unwrap();
        }
        drop(input);
        let output = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        (output.status.code(), text)
    };
    let (code, text) = hc(
        &["register", "you@example.com", "--password-stdin"],
        Some(PASSWORD),
    );
    assert_eq!(code, Some(0), "{text}");
    // The printed mailbox has the code.
    let mailbox = after("hc verify CODE");
    let mailbox = mailbox
        .rsplit_once(" in ")
        .map(|(_, dir)| MailFolder::new(dir.trim()))
        .unwrap_or_else(|| panic!("no mail folder in {mailbox:?}"));
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    let mailed = loop {
        if let Some(code) = mails_to(&mailbox, "you@example.com")
            .last()
            .and_then(|m| m.code())
        {
            break code;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail in {mailbox:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let (code, text) = hc(&["verify", &mailed], None);
    assert_eq!(code, Some(0), "the printed mailbox has the code: {text}");
    let (code, text) = hc(&["add", add[0], add[1], "--name", "Shop NVR"], None);
    assert_eq!(code, Some(0), "the printed label code works: {text}");
    assert!(text.contains("added"), "{text}");

    // Ctrl-C stops both servers and deletes the demo's folder.
    let stopped = Command::new("kill")
        .args(["-INT", &demo.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = demo.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// The `#id` a line of `hc transfer list` starts with.
fn first_id(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with('#'))
        .expect("a listed line");
    line[1..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_attempt_on_my_nvr_appears_in_hc_events() {
    let world = world(RateLimits::default()).await;
    let nvr = nvr(&world, "J12345678").await;
    let label = nvr.label_code.clone();
    let owner = user(&world, "owner");
    owner.signed_up("owner@example.com").await;
    assert_eq!(owner.hc(&["add", "J12345678", &label], None).await.code, 0);
    assert!(nvr.sync().await);
    let (qr, _) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = owner.hc(&["reset", "--text", &qr], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Somebody else scans the NVR: the vendor's note, and the way out at the device.
    let stranger = user(&world, "stranger");
    stranger.signed_up("stranger@example.com").await;
    let (qr, _) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = stranger.hc(&["reset", "--text", &qr], None).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Standing at J12345678? Ask for it to be moved to your account"),
        "{}",
        run.stderr
    );

    let run = owner.hc(&["events"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("A verification code was given for J12345678."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "Another account (st***@example.com) asked for a code for J12345678: refused."
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("New login from 127.0.0.0/24"),
        "{}",
        run.stdout
    );
    // Each line starts with its id; --after shows only what follows it.
    let last = run.stdout.lines().last().unwrap();
    let last_id = last[1..].split_whitespace().next().unwrap().to_owned();
    let run = owner.hc(&["events", "--after", &last_id], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("No events yet."), "{}", run.stdout);

    // In Chinese too.
    let mut zh = owner.hc_env(&["events"], &[("HC_LANG", "zh_CN")]).await;
    assert_eq!(zh.code, 0, "{}", zh.stderr);
    zh.stdout.retain(|c| c != '\r');
    assert!(
        zh.stdout
            .contains("另一个账号（st***@example.com）请求设备 J12345678 的验证码：已拒绝。"),
        "{}",
        zh.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installer_approves_the_move_and_the_owner_gets_a_code() {
    let world = world(RateLimits::default()).await;
    let nvr = nvr(&world, "J12345678").await;
    let label = nvr.label_code.clone();
    let installer = user(&world, "installer");
    installer.signed_up("installer@example.com").await;
    assert_eq!(
        installer.hc(&["add", "J12345678", &label], None).await.code,
        0
    );
    assert!(nvr.sync().await);

    // The owner at the NVR: a fresh QR and the label code.
    let owner = user(&world, "owner");
    owner.signed_up("owner@example.com").await;
    let (qr, png) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = owner
        .hc(
            &[
                "transfer",
                "request",
                "--image",
                png.to_str().unwrap(),
                &label.to_lowercase(),
            ],
            None,
        )
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("Asked to move J12345678 to your account (request #"),
        "{}",
        run.stdout
    );
    // The same QR again: used, show a new one (and one request at a time).
    let run = owner
        .hc(&["transfer", "request", "--text", &qr, &label], None)
        .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("already used"), "{}", run.stderr);

    // The installer hears of it and approves at once.
    let run = installer.hc(&["events"], None).await;
    assert!(
        run.stdout
            .contains("Request to move J12345678 between your account and o***@example.com"),
        "{}",
        run.stdout
    );
    let run = installer.hc(&["transfer", "list"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("o***@example.com asks to move it to their account  open"),
        "{}",
        run.stdout
    );
    let id = first_id(&run.stdout);
    let run = installer.hc(&["transfer", "approve", &id], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("approved"), "{}", run.stdout);

    // The device is the owner's now and learns it at its next sync: its reset code comes to the
    // owner.
    assert!(nvr.sync().await);
    let (qr, _) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = owner.hc(&["reset", "--text", &qr], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(digits_of(&run.stdout).len(), 8);
    let run = owner.hc(&["events"], None).await;
    assert!(
        run.stdout.contains(
            "The move of J12345678 between your account and in***@example.com was approved"
        ),
        "{}",
        run.stdout
    );
    // And the installer's scan now gets the vendor's note.
    let (qr, _) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = installer.hc(&["reset", "--text", &qr], None).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hc_events_follow_prints_another_accounts_attempt_as_it_happens() {
    use std::io::{BufRead, BufReader};
    let world = world(RateLimits::default()).await;
    let nvr = nvr(&world, "J12345678").await;
    let owner = user(&world, "owner");
    owner.signed_up("owner@example.com").await;
    assert_eq!(
        owner
            .hc(&["add", "J12345678", &nvr.label_code], None)
            .await
            .code,
        0
    );
    assert!(nvr.sync().await);

    // The owner leaves `hc events --follow` running in a terminal.
    let mut follow = Command::new(env!("CARGO_BIN_EXE_hc"))
        .args(["events", "--follow"])
        .env("HC_HOME", &owner.home)
        .env("HC_CLOUD_URL", &owner.cloud)
        .env("HC_CA_CERT", &owner.ca)
        .env("HC_LANG", "en")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("hc events --follow runs");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stdout = follow.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let next_line_with = |words: &str| loop {
        match lines.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if line.contains(words) => return line,
            Ok(_) => continue,
            Err(e) => panic!("no line with {words:?}: {e}"),
        }
    };
    // What happened before comes first: the owner's own logins.
    next_line_with("New login from 127.0.0.0/24");

    // Then, while it waits, a stranger scans the NVR: the line comes as it happens.
    let stranger = user(&world, "stranger");
    stranger.signed_up("stranger@example.com").await;
    let (qr, _) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = stranger.hc(&["reset", "--text", &qr], None).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    let line = next_line_with("Another account (st***@example.com) asked for a code for J12345678");
    assert!(line.ends_with("refused."), "{line}");

    // Ctrl-C ends it.
    let stopped = Command::new("kill")
        .args(["-INT", &follow.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = tokio::task::spawn_blocking(move || follow.wait().unwrap())
        .await
        .unwrap();
    // Like any terminal program without cleanup to do: ended by the signal (a shell says 130).
    assert!(!status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_refuses_a_move_and_the_same_account_cannot_ask_again() {
    let world = world(RateLimits::default()).await;
    let nvr = nvr(&world, "J12345678").await;
    let label = nvr.label_code.clone();
    let owner = user(&world, "owner");
    owner.signed_up("owner@example.com").await;
    assert_eq!(owner.hc(&["add", "J12345678", &label], None).await.code, 0);
    assert!(nvr.sync().await);

    // Somebody at the NVR with its label code asks for it.
    let visitor = user(&world, "visitor");
    visitor.signed_up("visitor@example.com").await;
    let (qr, _) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = visitor
        .hc(&["transfer", "request", "--text", &qr, &label], None)
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    // The owner did not ask for it, sees it in the list, and refuses.
    let run = owner.hc(&["transfer", "list"], None).await;
    assert!(
        run.stdout
            .contains("vi***@example.com asks to move it to their account  open"),
        "{}",
        run.stdout
    );
    let id = first_id(&run.stdout);
    let run = owner.hc(&["transfer", "refuse", &id], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "Request #{id} refused: the device stays in your account."
        )),
        "{}",
        run.stdout
    );
    // Refused once is refused: a second answer finds nothing open (and the cloud is still
    // taken for one: a 404 about the request is not "no such route").
    let run = owner.hc(&["transfer", "approve", &id], None).await;
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr.contains("the request is no longer open"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not an hc cloud"), "{}", run.stderr);
    // A settled request says how it ended, with no moment it would move at.
    let run = owner.hc(&["transfer", "list"], None).await;
    assert!(run.stdout.contains("refused"), "{}", run.stdout);
    assert!(!run.stdout.contains("moves at"), "{}", run.stdout);

    // The visitor sees the refusal and cannot ask again with a new QR code.
    let run = visitor.hc(&["transfer", "list"], None).await;
    assert!(run.stdout.contains("refused"), "{}", run.stdout);
    let (qr, _) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = visitor
        .hc(&["transfer", "request", "--text", &qr, &label], None)
        .await;
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "The owner refused your request for this device recently: you cannot ask again yet."
        ),
        "{}",
        run.stderr
    );
    // The device stayed the owner's: the owner still gets a code.
    let (qr, _) = qr_screenshot(&nvr, world.dir.path()).await;
    let run = owner.hc(&["reset", "--text", &qr], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_adds_lists_and_removes_a_webhook_and_its_secret_is_shown_once() {
    let world = World::start(|c| {
        let push = hc_cloud::PushSettings {
            allow_insecure_loopback: true,
            ..c.push.clone()
        };
        c.with_push(push)
    })
    .await;
    let owner = user(&world, "owner");
    owner.signed_up("owner@example.com").await;
    // Neither http nor https: refused even where the test cloud allows loopback.
    let run = owner
        .hc(&["webhook", "add", "ftp://127.0.0.1/hook"], None)
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot receive events"),
        "{}",
        run.stderr
    );

    let run = owner
        .hc(&["webhook", "add", "http://127.0.0.1:9/hook"], None)
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("shown only this once"),
        "{}",
        run.stdout
    );
    let run = owner.hc(&["webhook", "list"], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("http://127.0.0.1:9/hook"),
        "{}",
        run.stdout
    );
    let id = first_id(&run.stdout);
    let run = owner.hc(&["webhook", "remove", &id], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = owner.hc(&["webhook", "list"], None).await;
    assert!(run.stdout.contains("No webhooks."), "{}", run.stdout);
}
