//! The whole device side of the reset in a real browser: headless Chromium driven over WebDriver
//! through the simulator's web UI, as the owner at the NVR would click through it.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian: `apt-get install chromium
//! chromium-driver`). Without them the test fails under `CI` and is skipped with a note otherwise.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hc_testkit::World;
use hc_testkit::device::*;
use hyper_util::client::legacy::connect::HttpConnector;
use nvr_sim::{NvrConfig, serve};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Whether the browser is there; under `CI` its absence is a failure, not a skip.
fn browser_available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {CHROMIUM} or {CHROMEDRIVER} is missing: install chromium and \
             chromium-driver"
        );
        eprintln!("SKIPPED: {CHROMIUM} or {CHROMEDRIVER} not installed (set CI to make this fail)");
    }
    present
}

/// A chromedriver on a free loopback port, killed when dropped.
struct Chromedriver {
    child: tokio::process::Child,
    url: String,
}

impl Chromedriver {
    async fn start() -> Chromedriver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(format!("{url}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Chromedriver { child, url }
    }

    async fn browser(&self, profile: &Path) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--window-size=1000,1200",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a browser session starts")
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The element with `id` on the current page, waiting up to 10 s for it.
async fn find(browser: &Client, id: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id} on the page: {e}"))
}

/// Waits (up to 10 s) until the element with `id` says `expected`: a click on a submit button
/// may return before the next page has replaced the current one.
async fn wait_for_text(browser: &Client, id: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = match browser.find(Locator::Id(id)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if seen.contains(expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "#{id} should say {expected:?}, says {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn type_into(browser: &Client, id: &str, text: &str) {
    let field = find(browser, id).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(browser: &Client, id: &str) {
    find(browser, id).await.click().await.unwrap();
}

/// Reads the QR code off the page the way a phone would: a screenshot of the image, decoded.
async fn read_qr_on_page(browser: &Client) -> String {
    let png = find(browser, "qr").await.screenshot().await.unwrap();
    let image = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image on the page");
    grids[0].decode().expect("the QR code decodes").1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_resets_the_forgotten_password_in_the_browser() {
    if !browser_available() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    drop(TestDevice::boot(state.path(), true));
    let nvr = serve(NvrConfig::new(test_device(), state.path()))
        .await
        .unwrap();
    let driver = Chromedriver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.browser(profile.path()).await;
    let url = nvr.url();

    // The owner tries the password they remember: it is wrong.
    browser.goto(&format!("{url}/login")).await.unwrap();
    type_into(&browser, "password", "Remember-me1").await;
    click(&browser, "login").await;
    wait_for_text(&browser, "message", "Incorrect user name or password").await;

    // Forget Password > Verify by Hik-Connect: the device shows a QR code.
    click(&browser, "forget-password").await;
    click(&browser, "verify-by-hik-connect").await;
    wait_for_text(&browser, "attempts", "Attempts left: 5").await;
    let qr_text = read_qr_on_page(&browser).await;
    assert!(qr_text.starts_with("HCR1:"));
    let parsed = hc_protocol::parse_qr(&qr_text)
        .expect("a valid HCR1 text")
        .verify(&test_device().device_key)
        .expect("made by this device");
    assert_eq!(parsed.challenge().serial.as_str(), "J12345678");

    // The app shows the code (here derived from the device key like the cloud does). A typo
    // first: it costs one attempt.
    let code = code_for_qr(&qr_text, &test_device());
    type_into(&browser, "code", &wrong_code(&code)).await;
    click(&browser, "ok").await;
    wait_for_text(
        &browser,
        "message",
        "Wrong verification code. 4 attempts left.",
    )
    .await;
    wait_for_text(&browser, "attempts", "Attempts left: 4").await;

    // The right code opens the new-password form.
    type_into(&browser, "code", &code).await;
    click(&browser, "ok").await;
    // The form states the device's password rule, the one its check applies.
    wait_for_text(&browser, "policy", &hc_device::policy_text()).await;
    type_into(&browser, "new-password", "Admin12345").await;
    type_into(&browser, "confirm-password", "Admin12345").await;
    click(&browser, "save").await;
    wait_for_text(&browser, "message", "must not contain the user name").await;
    type_into(&browser, "new-password", NEW_PASSWORD).await;
    type_into(&browser, "confirm-password", NEW_PASSWORD).await;
    click(&browser, "save").await;

    // Back at the login: the new password works.
    wait_for_text(&browser, "message", "Password changed").await;
    type_into(&browser, "password", NEW_PASSWORD).await;
    click(&browser, "login").await;
    wait_for_text(&browser, "welcome", "Logged in as admin").await;

    browser.close().await.unwrap();
    nvr.shutdown().await.unwrap();
}

/// "29 min 58 s" as seconds.
fn seconds_in(text: &str) -> u64 {
    let mut secs = 0;
    let mut words = text.split_whitespace();
    while let (Some(number), Some(unit)) = (words.next(), words.next()) {
        let number: u64 = number.parse().unwrap_or_else(|_| panic!("{text:?}"));
        secs += match unit {
            "min" => number * 60,
            "s" => number,
            other => panic!("unit {other:?} in {text:?}"),
        };
    }
    secs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_owner_adds_the_nvr_in_the_app_the_nvr_page_offers_verify_by_hik_connect_without_a_restart()
 {
    if !browser_available() {
        return;
    }
    let world = World::start(|config| config).await;
    // Its own schedule (every 5 minutes) would not come within the test: "Check again" must.
    let nvr = world.nvr().await;
    let owner = world.owner("owner").await;
    let driver = Chromedriver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.browser(profile.path()).await;

    // At the NVR, before the owner added it: Forget Password offers nothing yet, and says why.
    browser.goto(&format!("{}/login", nvr.url)).await.unwrap();
    click(&browser, "forget-password").await;
    wait_for_text(&browser, "no-methods", "No reset method is available").await;
    wait_for_text(&browser, "binding", "Hik-Connect: not added").await;
    wait_for_text(&browser, "last-heard", "Last heard from the cloud").await;
    wait_for_text(&browser, "next-check", "It checks again by itself in").await;

    // The owner adds the NVR in the app, then presses Check again at the NVR: Verify by
    // Hik-Connect is offered, the NVR still running as it was.
    owner
        .add_device(nvr.serial.clone(), nvr.label_code.clone(), None)
        .await
        .unwrap();
    click(&browser, "check-again").await;
    wait_for_text(&browser, "binding", "Hik-Connect: added to an account").await;
    click(&browser, "verify-by-hik-connect").await;

    // The QR code, and under it the same payload as text for `hc reset --text`.
    wait_for_text(&browser, "attempts", "Attempts left: 5").await;
    let in_the_image = read_qr_on_page(&browser).await;
    let as_text = find(&browser, "qr-text").await.text().await.unwrap();
    assert_eq!(as_text, in_the_image);

    // "Valid for" counts down live, from the deadline the device rendered.
    let left = || async {
        let shown = browser
            .find(Locator::Css("#expires .left"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        seconds_in(&shown)
    };
    let first = left().await;
    assert!(first <= hc_protocol::CHALLENGE_LIFETIME_SECS, "{first}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = left().await;
        assert!(now <= first, "the time left went up: {first} then {now}");
        if now < first {
            break;
        }
        assert!(Instant::now() < deadline, "the time left stayed at {first}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The picture of this page in docs/ (set NVR_PAGE_SCREENSHOT to the path to write).
    if let Some(path) = std::env::var_os("NVR_PAGE_SCREENSHOT") {
        browser.set_window_size(760, 1480).await.unwrap();
        let png = browser.screenshot().await.unwrap();
        std::fs::write(path, png).unwrap();
    }

    // Logged in at the NVR, "Check again" beside the binding state stays on that page.
    browser.goto(&format!("{}/login", nvr.url)).await.unwrap();
    type_into(&browser, "password", hc_testkit::NVR_ADMIN_PASSWORD).await;
    click(&browser, "login").await;
    wait_for_text(&browser, "welcome", "Logged in as admin").await;
    click(&browser, "check-again").await;
    wait_for_text(&browser, "welcome", "Logged in as admin").await;
    wait_for_text(&browser, "binding", "Hik-Connect: added to an account").await;
    browser.close().await.unwrap();
}
