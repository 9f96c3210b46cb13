//! The callback layer, tested from Rust with fakes in place of Kotlin and Swift: the logger, the
//! secure store and the state listener go through the same adapters the foreign ones do.
//!
//! Unit tests rather than an integration test: the crate builds no Rust library (`lib`) for an
//! integration test to link, since cargo skips LTO for a cdylib that shares its crate with one.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{
    ClientConfig, Frame, FrameFormat, HcClient, HcError, LogLevel, Logger, ResetFlowListener,
    ResetState, SecureStore, StoreError, decode_frame, decode_image, init,
};

#[derive(Default)]
struct FakeKeychain {
    entries: Mutex<Vec<(String, String)>>,
    locked: Mutex<bool>,
}

impl SecureStore for FakeKeychain {
    fn get(&self, key: String) -> Result<Option<String>, StoreError> {
        if *self.locked.lock().unwrap() {
            return Err(StoreError::Failed {
                detail: "device locked".into(),
            });
        }
        let entries = self.entries.lock().unwrap();
        Ok(entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone()))
    }
    fn set(&self, key: String, value: String) -> Result<(), StoreError> {
        let mut entries = self.entries.lock().unwrap();
        entries.retain(|(k, _)| *k != key);
        entries.push((key, value));
        Ok(())
    }
    fn delete(&self, key: String) -> Result<(), StoreError> {
        self.entries.lock().unwrap().retain(|(k, _)| *k != key);
        Ok(())
    }
}

#[derive(Default)]
struct FakeLogcat(Mutex<Vec<(LogLevel, String, String)>>);

impl Logger for FakeLogcat {
    fn log(&self, level: LogLevel, target: String, message: String) {
        self.0.lock().unwrap().push((level, target, message));
    }
}

#[derive(Default)]
struct FakeScreen(Mutex<Vec<ResetState>>);

impl ResetFlowListener for FakeScreen {
    fn on_state(&self, state: ResetState) {
        self.0.lock().unwrap().push(state);
    }
}

fn config() -> ClientConfig {
    ClientConfig {
        // Nothing listens there: these tests never reach a cloud.
        cloud_url: "http://127.0.0.1:9".into(),
        extra_root_ca_pem: None,
        request_timeout_ms: 2_000,
        device_list_max_age_secs: 300,
    }
}

fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_platform_logger_receives_the_core_logs() {
    let logcat = Arc::new(FakeLogcat::default());
    init(Some(logcat.clone()));
    init(None);
    let store = Arc::new(FakeKeychain::default());
    let client = HcClient::new(config(), store).unwrap();
    let flow = client.reset_flow(Arc::new(FakeScreen::default()));
    flow.submit_text("HCR1:AAAA".into());
    wait_until("a log line from the core", || {
        logcat
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|(_, target, _)| target.starts_with("hc_core"))
    });
}

#[test]
fn a_locked_keychain_is_a_storage_error_at_start() {
    let store = Arc::new(FakeKeychain::default());
    *store.locked.lock().unwrap() = true;
    match HcClient::new(config(), store) {
        Err(HcError::Storage { detail }) => assert_eq!(detail, "device locked"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a locked keychain cannot restore a session"),
    }
}

#[test]
fn a_session_in_the_keychain_is_restored() {
    let store = Arc::new(FakeKeychain::default());
    assert!(
        !HcClient::new(config(), store.clone())
            .unwrap()
            .is_logged_in()
    );
    store
        .set(
            "hc.session.v1".into(),
            r#"{"cloud":{"origin":"http://127.0.0.1:9","trust":"none"},"access_token":"a","refresh_token":"r","access_expires_at":0}"#.into(),
        )
        .unwrap();
    assert!(
        HcClient::new(config(), store.clone())
            .unwrap()
            .is_logged_in()
    );
    // An entry of an older app, without the cloud it belongs to, is not used.
    store
        .set(
            "hc.session.v1".into(),
            r#"{"access_token":"a","refresh_token":"r","access_expires_at":0}"#.into(),
        )
        .unwrap();
    assert!(!HcClient::new(config(), store).unwrap().is_logged_in());
}

#[test]
fn the_listener_sees_each_state_of_the_flow() {
    let client = HcClient::new(config(), Arc::new(FakeKeychain::default())).unwrap();
    let screen = Arc::new(FakeScreen::default());
    let flow = client.reset_flow(screen.clone());
    assert_eq!(flow.state(), ResetState::SCANNING);
    flow.submit_text("https://example.invalid".into());
    wait_until("the failure", || !screen.0.lock().unwrap().is_empty());
    assert_eq!(
        screen.0.lock().unwrap().clone(),
        vec![ResetState::Failed {
            error: HcError::NotAResetQr
        }]
    );
    flow.retry();
    wait_until("scanning again", || screen.0.lock().unwrap().len() == 2);
    assert_eq!(flow.state(), ResetState::SCANNING);
}

#[tokio::test(flavor = "current_thread")]
async fn async_calls_work_from_a_runtime_without_io_and_report_not_logged_in() {
    // A current-thread runtime without the I/O driver: what the core does must not need it.
    let client = HcClient::new(config(), Arc::new(FakeKeychain::default())).unwrap();
    assert_eq!(
        client.devices(false).await.unwrap_err(),
        HcError::NotLoggedIn
    );
    assert_eq!(
        client
            .request_reset_code("HCR1:AAAA".into())
            .await
            .unwrap_err(),
        HcError::InvalidQr
    );
}

#[test]
fn async_calls_from_a_plain_thread_reach_the_network_through_the_core_runtime() {
    let client = HcClient::new(config(), Arc::new(FakeKeychain::default())).unwrap();
    let result = block_on_without_tokio(client.register(
        "a@example.com".into(),
        "correct horse".into(),
        "correct horse".into(),
    ));
    assert!(matches!(result, Err(HcError::Network { .. })), "{result:?}");
}

#[test]
fn bad_frames_and_images_are_errors_not_crashes() {
    let frame = Frame {
        width: 640,
        height: 480,
        row_stride: 100,
        format: FrameFormat::Luma8,
        bytes: vec![0; 10],
        rotation_degrees: 0,
    };
    assert!(matches!(
        decode_frame(frame),
        Err(HcError::InvalidFrame { .. })
    ));
    assert!(matches!(
        decode_image(b"GIF89a".to_vec()),
        Err(HcError::InvalidFrame { .. })
    ));
}

/// What a Kotlin coroutine does: poll the future from a thread with no tokio in sight.
fn block_on_without_tokio<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}
