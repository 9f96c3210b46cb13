//! The simulator's JSON API on a real loopback port, and its cloud sync against a small fake
//! cloud that checks the sync tag like the real one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hc_device::ManualClock;
use hc_protocol::api::{ErrorCode, ErrorDetail};
use hc_testkit::device::*;
use nvr_sim::{
    CloudConfig, NvrClient, NvrConfig, NvrError, RunningNvr, SyncError, serve, sync_once,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Sim {
    nvr: RunningNvr,
    clock: ManualClock,
    /// The simulator's JSON API through the typed client the demo and every test use.
    api: NvrClient,
    /// Raw HTTP, for requests no client would send (bad JSON, another site's form).
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Sim {
    /// A simulator whose state folder holds an activated device, bound or not.
    async fn start(bound: bool) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        drop(TestDevice::boot(dir.path(), bound));
        Self::start_in(dir, None).await
    }

    /// Likewise, with the configuration changed by `configure` first.
    async fn start_with(bound: bool, configure: impl FnOnce(&mut NvrConfig)) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        drop(TestDevice::boot(dir.path(), bound));
        Self::start_configured(dir, None, configure).await
    }

    async fn start_in(dir: tempfile::TempDir, cloud: Option<CloudConfig>) -> Sim {
        Self::start_configured(dir, cloud, |_| {}).await
    }

    /// The same device after a power cycle: same state folder, the monotonic clock from zero.
    async fn reboot(self) -> Sim {
        let Sim { nvr, _dir: dir, .. } = self;
        nvr.shutdown().await.unwrap();
        Self::start_in(dir, None).await
    }

    async fn start_configured(
        dir: tempfile::TempDir,
        cloud: Option<CloudConfig>,
        configure: impl FnOnce(&mut NvrConfig),
    ) -> Sim {
        let clock = ManualClock::new(START_UNIX);
        let mut config = NvrConfig::new(test_device(), dir.path());
        config.clock = Arc::new(clock.clone());
        config.cloud = cloud;
        configure(&mut config);
        let nvr = serve(config).await.unwrap();
        assert!(nvr.url().starts_with("http://127.0.0.1:"));
        Sim {
            api: NvrClient::new(nvr.url()).unwrap(),
            nvr,
            clock,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            _dir: dir,
        }
    }

    async fn show_qr(&self) -> String {
        self.api.start_challenge().await.unwrap().qr
    }
}

/// What the NVR refused with: status, error body, `Retry-After`.
struct Refusal {
    status: StatusCode,
    error: ErrorDetail,
    retry_after: Option<u64>,
}

fn refused<T: std::fmt::Debug>(result: Result<T, NvrError>) -> Refusal {
    match result {
        Err(NvrError::Refused {
            status,
            body,
            retry_after,
        }) => Refusal {
            status: StatusCode::from_u16(status).unwrap(),
            error: body.error,
            retry_after,
        },
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn status_names_the_device_and_its_binding() {
    let sim = Sim::start(true).await;
    let status = sim.api.status().await.unwrap();
    assert_eq!(status.serial, "J12345678");
    assert_eq!(status.model, "DS-7608NI-K2/8P");
    assert!(status.bound);
    assert!(status.admin_password_set);
    assert_eq!(status.attempts_left, 5);
}

#[tokio::test]
async fn a_new_device_gets_a_generated_admin_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let nvr = serve(NvrConfig::new(test_device(), dir.path()))
        .await
        .unwrap();
    let password = nvr.generated_admin_password().unwrap().to_owned();
    assert!(hc_device::check_password("admin", &password).is_ok());
    let api = NvrClient::new(nvr.url()).unwrap();
    api.login("admin", &password).await.unwrap();
    nvr.shutdown().await.unwrap();
    let again = serve(NvrConfig::new(test_device(), dir.path()))
        .await
        .unwrap();
    assert_eq!(again.generated_admin_password(), None);
}

#[tokio::test]
async fn assume_bound_offers_verify_by_hik_connect_without_a_cloud() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = NvrConfig::new(test_device(), dir.path());
    config.assume_bound = true;
    let nvr = serve(config).await.unwrap();
    assert!(nvr.status().bound);
}

#[tokio::test]
async fn a_given_first_admin_password_must_meet_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = NvrConfig::new(test_device(), dir.path());
    config.admin_password = Some("12345".into());
    assert!(matches!(
        serve(config).await,
        Err(nvr_sim::ServeError::AdminPassword(_))
    ));
}

#[tokio::test]
async fn the_wrong_password_does_not_log_in() {
    let sim = Sim::start(true).await;
    let refusal = refused(sim.api.login("admin", "Guess-1234").await);
    assert_eq!(refusal.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refusal.error.code, ErrorCode::WrongPassword);
    sim.api.login("admin", FIRST_PASSWORD).await.unwrap();
}

#[tokio::test]
async fn not_bound_verify_by_hik_connect_is_not_offered() {
    let sim = Sim::start(false).await;
    assert!(sim.api.forget_password_methods().await.unwrap().is_empty());
    let refusal = refused(sim.api.start_challenge().await);
    assert_eq!(refusal.status, StatusCode::FORBIDDEN);
    assert_eq!(refusal.error.code, ErrorCode::NotOffered);
}

#[tokio::test]
async fn the_whole_reset_over_the_api() {
    let sim = Sim::start(true).await;
    assert_eq!(
        sim.api.forget_password_methods().await.unwrap(),
        ["hik_connect"]
    );
    let qr = sim.show_qr().await;
    let code = code_for_qr(&qr, &test_device());

    let refusal = refused(sim.api.submit_code(&wrong_code(&code)).await);
    assert_eq!(refusal.status, StatusCode::FORBIDDEN);
    assert_eq!(refusal.error.code, ErrorCode::WrongCode);
    assert_eq!(refusal.error.attempts_left, Some(4));

    let accepted = sim.api.submit_code(&code).await.unwrap();
    assert_eq!(accepted.expires_in_secs, 600);
    let token = accepted.reset_token;

    let refusal = refused(sim.api.set_password(&token, "admin-Admin1").await);
    assert_eq!(refusal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refusal.error.code, ErrorCode::PasswordPolicy);

    sim.api.set_password(&token, NEW_PASSWORD).await.unwrap();

    let refusal = refused(sim.api.set_password(&token, "Another-Pass9").await);
    assert_eq!(refusal.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refusal.error.code, ErrorCode::InvalidResetToken);

    sim.api.login("admin", NEW_PASSWORD).await.unwrap();
}

#[tokio::test]
async fn five_wrong_codes_answer_with_a_cool_down_and_retry_after() {
    let sim = Sim::start(true).await;
    let qr = sim.show_qr().await;
    let wrong = wrong_code(&code_for_qr(&qr, &test_device()));
    for left in [4, 3, 2, 1] {
        let refusal = refused(sim.api.submit_code(&wrong).await);
        assert_eq!(refusal.error.attempts_left, Some(left));
    }
    let refusal = refused(sim.api.submit_code(&wrong).await);
    assert_eq!(refusal.status, StatusCode::FORBIDDEN);
    assert_eq!(refusal.error.code, ErrorCode::WrongCode);
    assert_eq!(refusal.error.attempts_left, Some(0));
    assert_eq!(refusal.error.retry_after_secs, Some(60));
    assert_eq!(refusal.retry_after, Some(60));

    sim.clock.advance(Duration::from_secs(15));
    let refusal = refused(sim.api.start_challenge().await);
    assert_eq!(refusal.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refusal.error.code, ErrorCode::CoolingDown);
    assert_eq!(refusal.error.retry_after_secs, Some(45));
    assert_eq!(refusal.retry_after, Some(45));
    assert_eq!(sim.api.status().await.unwrap().cooldown_secs, Some(45));

    sim.clock.advance(Duration::from_secs(45));
    sim.show_qr().await;
}

#[tokio::test]
async fn codes_without_a_qr_code_or_after_it_expired_are_refused() {
    let sim = Sim::start(true).await;
    let refusal = refused(sim.api.submit_code("12345678").await);
    assert_eq!(refusal.status, StatusCode::CONFLICT);
    assert_eq!(refusal.error.code, ErrorCode::NoChallenge);

    let qr = sim.show_qr().await;
    let shown = sim.api.current_challenge().await.unwrap();
    assert_eq!(shown.qr, qr);
    assert_eq!(shown.expires_in_secs, 1800);
    sim.clock.advance(Duration::from_secs(1800));
    let refusal = refused(sim.api.submit_code(&code_for_qr(&qr, &test_device())).await);
    assert_eq!(refusal.status, StatusCode::GONE);
    assert_eq!(refusal.error.code, ErrorCode::ChallengeExpired);
}

#[tokio::test]
async fn the_qr_png_decodes_to_the_qr_text() {
    let sim = Sim::start(true).await;
    let qr = sim.show_qr().await;
    let png = sim
        .http
        .get(format!("{}/api/qr.png", sim.nvr.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let image = image::load_from_memory(&png.bytes().await.unwrap())
        .unwrap()
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let (_, text) = prepared.detect_grids()[0].decode().unwrap();
    assert_eq!(text, qr);
}

#[tokio::test]
async fn bad_requests_get_the_error_body() {
    let sim = Sim::start(true).await;
    let response = sim
        .http
        .post(format!("{}/api/forget-password/verify", sim.nvr.url()))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "bad_request");

    sim.show_qr().await;
    let refusal = refused(sim.api.submit_code("12ab").await);
    assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
    assert_eq!(refusal.error.code, ErrorCode::BadRequest);

    let response = sim
        .http
        .get(format!("{}/api/no-such-thing", sim.nvr.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "not_found");
}

/// A form a page of `origin` posts to the NVR's `path`, redirects not followed.
async fn post_from(
    sim: &Sim,
    origin: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    browser_like()
        .post(format!("{}{path}", sim.nvr.url()))
        .header("origin", origin)
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn another_web_site_cannot_post_codes_to_the_device() {
    let sim = Sim::start(true).await;
    sim.show_qr().await;
    let code = [("code", "12345678")];
    let response = post_from(
        &sim,
        "http://evil.example",
        "/forget-password/verify",
        &code,
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        sim.api.status().await.unwrap().attempts_left,
        5,
        "the cross-site code was not counted"
    );
    let same_site = post_from(&sim, sim.nvr.url(), "/forget-password/verify", &code).await;
    assert_eq!(same_site.status(), StatusCode::OK);
}

#[tokio::test]
async fn after_shutdown_the_port_is_closed() {
    let sim = Sim::start(true).await;
    let addr = sim.nvr.addr();
    sim.nvr.shutdown().await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

// ---- cloud sync ------------------------------------------------------------------------------

/// How the fake cloud answers a sync.
#[derive(Clone, Copy)]
enum Answer {
    /// As the real cloud: the bound flag, tagged over the request's nonce.
    Honest,
    /// A network attacker's forgery: the flag it wants, with a tag it cannot compute.
    Forged,
    /// A replay: a genuine answer recorded for an older nonce.
    Replayed,
    /// An error answer (an outage, an overload), with a `Retry-After` in seconds or none.
    Failing {
        status: u16,
        retry_after: Option<u64>,
    },
}

/// A fake cloud whose way of answering the test changes as it goes, counting the syncs it gets.
struct FakeCloud {
    url: String,
    bound: Arc<AtomicBool>,
    answer: Arc<std::sync::Mutex<Answer>>,
    hits: Arc<std::sync::atomic::AtomicUsize>,
    _task: tokio::task::JoinHandle<()>,
}

impl FakeCloud {
    async fn start(bound: bool, answer: Answer) -> FakeCloud {
        let bound = Arc::new(AtomicBool::new(bound));
        let answer = Arc::new(std::sync::Mutex::new(answer));
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (url, task) =
            fake_cloud_switchable(Arc::clone(&bound), Arc::clone(&answer), Arc::clone(&hits)).await;
        FakeCloud {
            url,
            bound,
            answer,
            hits,
            _task: task,
        }
    }

    fn answer(&self, how: Answer) {
        *self.answer.lock().unwrap() = how;
    }

    fn syncs(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A fake cloud with just `POST /v1/device/sync` (v2): checks the request tag with the device key
/// of the test device and answers the configured binding the configured way.
async fn fake_cloud(bound: Arc<AtomicBool>) -> (String, tokio::task::JoinHandle<()>) {
    fake_cloud_answering(bound, Answer::Honest).await
}

async fn fake_cloud_answering(
    bound: Arc<AtomicBool>,
    how: Answer,
) -> (String, tokio::task::JoinHandle<()>) {
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    fake_cloud_switchable(bound, Arc::new(std::sync::Mutex::new(how)), hits).await
}

async fn fake_cloud_switchable(
    bound: Arc<AtomicBool>,
    how: Arc<std::sync::Mutex<Answer>>,
    hits: Arc<std::sync::atomic::AtomicUsize>,
) -> (String, tokio::task::JoinHandle<()>) {
    use axum::Json;
    use axum::http::StatusCode as Status;
    use axum::response::IntoResponse;
    use hc_protocol::api::{DeviceSyncRequest, DeviceSyncResponse, ErrorBody, ErrorCode};

    let app = axum::Router::new().route(
        "/v1/device/sync",
        axum::routing::post(move |Json(request): Json<DeviceSyncRequest>| {
            let bound = Arc::clone(&bound);
            let how = *how.lock().unwrap();
            hits.fetch_add(1, Ordering::SeqCst);
            async move {
                if let Answer::Failing {
                    status,
                    retry_after,
                } = how
                {
                    let status = Status::from_u16(status).unwrap();
                    let body = ErrorBody::new(ErrorCode::Unavailable, "try later");
                    let mut response = (status, Json(body)).into_response();
                    if let Some(secs) = retry_after {
                        response
                            .headers_mut()
                            .insert("retry-after", secs.to_string().parse().unwrap());
                    }
                    return response;
                }
                let record = test_device();
                let nonce = hc_protocol::Nonce::from_hex(&request.nonce);
                let authentic = request.v == hc_protocol::SYNC_VERSION
                    && request.serial == record.serial.as_str()
                    && nonce.as_ref().is_some_and(|nonce| {
                        hc_protocol::verify_sync2_request(
                            &record.device_key,
                            &record.serial,
                            nonce,
                            request.ts,
                            &request.tag,
                        )
                    });
                let Some(nonce) = nonce.filter(|_| authentic) else {
                    let body = ErrorBody::new(ErrorCode::Unauthorized, "bad device tag");
                    return (Status::UNAUTHORIZED, Json(body)).into_response();
                };
                let bound = bound.load(Ordering::SeqCst);
                let tag = match how {
                    Answer::Honest => hc_protocol::sync2_answer_tag(
                        &record.device_key,
                        &record.serial,
                        &nonce,
                        bound,
                    ),
                    Answer::Forged => "00".repeat(32),
                    Answer::Replayed => hc_protocol::sync2_answer_tag(
                        &record.device_key,
                        &record.serial,
                        &hc_protocol::Nonce::from_bytes([0x5a; 16]),
                        bound,
                    ),
                    Answer::Failing { .. } => unreachable!("answered above"),
                };
                Json(DeviceSyncResponse { bound, tag }).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, task)
}

fn fresh_nonce() -> hc_protocol::Nonce {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    hc_protocol::Nonce::from_bytes(bytes)
}

#[tokio::test]
async fn a_fake_cloud_forging_or_replaying_the_answer_changes_nothing_on_the_device() {
    for how in [Answer::Forged, Answer::Replayed] {
        for claimed in [false, true] {
            let (url, _cloud) = fake_cloud_answering(Arc::new(AtomicBool::new(claimed)), how).await;
            assert!(matches!(
                sync_once(&cloud(&url), &test_device(), START_UNIX, fresh_nonce()).await,
                Err(SyncError::UnauthenticAnswer)
            ));
            // A device that believed the opposite keeps believing it.
            let dir = tempfile::tempdir().unwrap();
            drop(TestDevice::boot(dir.path(), !claimed));
            let sim = Sim::start_in(dir, Some(cloud(&url))).await;
            assert_eq!(
                sim.api.status().await.unwrap().bound,
                !claimed,
                "the forged answer was ignored"
            );
        }
    }
}

fn cloud(url: &str) -> CloudConfig {
    CloudConfig {
        url: url.to_owned(),
        ca_cert_pem: None,
    }
}

#[tokio::test]
async fn sync_tells_the_device_it_is_bound_and_then_that_it_is_not() {
    let bound = Arc::new(AtomicBool::new(true));
    let (url, _cloud) = fake_cloud(Arc::clone(&bound)).await;
    let dir = tempfile::tempdir().unwrap();
    drop(TestDevice::boot(dir.path(), false));
    let sim = Sim::start_in(dir, Some(cloud(&url))).await;
    let status = sim.api.status().await.unwrap();
    assert!(status.bound, "synced at start");
    assert_eq!(status.last_sync_unix, Some(START_UNIX));

    bound.store(false, Ordering::SeqCst);
    assert!(!sim.api.sync().await.unwrap());
    assert!(sim.api.forget_password_methods().await.unwrap().is_empty());
}

#[tokio::test]
async fn sync_with_the_wrong_key_is_rejected_by_the_cloud() {
    let (url, _cloud) = fake_cloud(Arc::new(AtomicBool::new(true))).await;
    let mut impostor = test_device();
    impostor.device_key = hc_protocol::DeviceKey::from_bytes([9; 32]);
    assert!(matches!(
        sync_once(&cloud(&url), &impostor, START_UNIX, fresh_nonce()).await,
        Err(SyncError::Rejected)
    ));
    assert!(
        sync_once(&cloud(&url), &test_device(), START_UNIX, fresh_nonce())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_sync_request_and_answer_tags_are_the_vectors() {
    for vector in vectors() {
        let record = vector.record();
        let nonce = hc_protocol::Nonce::from_hex(&vector.sync2_nonce).unwrap();
        assert_eq!(
            hc_protocol::sync2_request_tag(
                &record.device_key,
                &record.serial,
                &nonce,
                vector.sync2_ts
            ),
            vector.sync2_tag
        );
        assert!(hc_protocol::verify_sync2_answer(
            &record.device_key,
            &record.serial,
            &nonce,
            true,
            &vector.sync2_answer_tag_bound
        ));
        assert!(hc_protocol::verify_sync2_answer(
            &record.device_key,
            &record.serial,
            &nonce,
            false,
            &vector.sync2_answer_tag_unbound
        ));
    }
}

#[tokio::test]
async fn an_unreachable_cloud_is_a_network_error_and_the_device_keeps_its_flag() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    assert!(matches!(
        sync_once(&cloud(&url), &test_device(), START_UNIX, fresh_nonce()).await,
        Err(SyncError::Network { .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    drop(TestDevice::boot(dir.path(), true));
    let sim = Sim::start_in(dir, Some(cloud(&url))).await;
    assert!(sim.api.status().await.unwrap().bound);
}

#[tokio::test]
async fn a_bad_extra_ca_certificate_is_a_clear_error() {
    let config = CloudConfig {
        url: "https://127.0.0.1:1".into(),
        ca_cert_pem: Some(b"not a certificate".to_vec()),
    };
    assert!(matches!(
        sync_once(&config, &test_device(), START_UNIX, fresh_nonce()).await,
        Err(SyncError::CaCert(_))
    ));
    let config = CloudConfig {
        ca_cert_pem: Some(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
        ),
        ..config
    };
    assert!(matches!(
        sync_once(&config, &test_device(), START_UNIX, fresh_nonce()).await,
        Err(SyncError::CaCert(_))
    ));
}

/// The page at `path`, as a browser without a session gets it (redirects followed).
async fn page_text(sim: &Sim, path: &str) -> String {
    text_of(sim.http.get(format!("{}{path}", sim.nvr.url()))).await
}

/// The page a form posted to `path` answers with.
async fn page_after_posting(sim: &Sim, path: &str, form: &[(&str, &str)]) -> String {
    text_of(sim.http.post(format!("{}{path}", sim.nvr.url())).form(form)).await
}

async fn text_of(request: reqwest::RequestBuilder) -> String {
    request.send().await.unwrap().text().await.unwrap()
}

/// The cool-down page tells the wait once, and that it is `left`.
fn says_the_wait_once(page: &str, left: &str) {
    assert_eq!(
        page.matches("Too many wrong verification codes").count(),
        1,
        "{page}"
    );
    assert!(
        page.contains(&format!("again in <span class=\"left\">{left}</span>")),
        "{page}"
    );
}

// ---- the NVR checks in by itself -------------------------------------------------------------

/// A simulator on the fake cloud, starting not bound, with its schedule changed by `schedule`.
async fn sim_on(cloud: &FakeCloud, schedule: impl FnOnce(&mut nvr_sim::SyncSchedule)) -> Sim {
    let dir = tempfile::tempdir().unwrap();
    drop(TestDevice::boot(dir.path(), false));
    Sim::start_configured(dir, Some(self::cloud(&cloud.url)), |config| {
        schedule(&mut config.sync)
    })
    .await
}

/// Asks the NVR's page, without touching anything, until Forget Password offers Verify by
/// Hik-Connect (or 20 s have gone by).
async fn until_offered(sim: &Sim) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if !sim.api.forget_password_methods().await.unwrap().is_empty() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn an_online_nvr_learns_by_itself_that_it_was_added() {
    let cloud = FakeCloud::start(false, Answer::Honest).await;
    let sim = sim_on(&cloud, |schedule| {
        schedule.every = Duration::from_millis(200);
    })
    .await;
    assert!(sim.api.forget_password_methods().await.unwrap().is_empty());
    // The owner adds the NVR in the app; nobody touches the NVR.
    cloud.bound.store(true, Ordering::SeqCst);
    assert!(until_offered(&sim).await, "the NVR checked in by itself");
    let status = sim.api.status().await.unwrap();
    assert!(status.cloud_configured);
    assert_eq!(status.last_sync_unix, Some(START_UNIX));
    assert_eq!(status.last_sync_failure, None);
}

#[tokio::test]
async fn check_again_asks_the_cloud_at_once_and_presses_at_once_share_one_check() {
    let cloud = FakeCloud::start(false, Answer::Honest).await;
    // Its own schedule would not come before the test ends.
    let sim = sim_on(&cloud, |_| {}).await;
    assert_eq!(cloud.syncs(), 1, "the check at start");
    cloud.bound.store(true, Ordering::SeqCst);
    let presses: Vec<_> = (0..20)
        .map(|_| {
            let api = sim.api.clone();
            tokio::spawn(async move { api.sync().await.unwrap() })
        })
        .collect();
    for press in presses {
        assert!(
            press.await.unwrap(),
            "every press tells the NVR it is added"
        );
    }
    assert!(
        cloud.syncs() <= 3,
        "twenty presses made {} checks: at most the one under way and the one after",
        cloud.syncs() - 1
    );
    assert!(!sim.api.forget_password_methods().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_cloud_that_asks_to_wait_is_not_asked_again_before_its_retry_after() {
    for status in [429, 503] {
        let cloud = FakeCloud::start(
            true,
            Answer::Failing {
                status,
                retry_after: Some(120),
            },
        )
        .await;
        let sim = sim_on(&cloud, |_| {}).await;
        let shown = sim.api.status().await.unwrap();
        let failure = shown.last_sync_failure.expect("the failed check is shown");
        assert_eq!(failure.at_unix, START_UNIX);
        assert!(!failure.reason.contains("503: "), "{}", failure.reason);
        assert_eq!(shown.next_sync_unix, Some(START_UNIX + 120), "{status}");
        // Check again during the wait sends nothing and says how long is left.
        let refusal = refused(sim.api.sync().await);
        assert_eq!(refusal.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refusal.error.code, ErrorCode::RateLimited);
        assert!(
            refusal
                .retry_after
                .is_some_and(|secs| (1..=120).contains(&secs))
        );
        assert_eq!(cloud.syncs(), 1, "{status}: only the check at start");
        let page = page_text(&sim, "/forget-password").await;
        assert!(
            page.contains("The cloud asked this device to wait"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn while_the_cloud_is_down_the_nvr_retries_less_and_less_often_and_recovers_by_itself() {
    let cloud = FakeCloud::start(
        true,
        Answer::Failing {
            status: 502,
            retry_after: None,
        },
    )
    .await;
    let sim = sim_on(&cloud, |schedule| {
        schedule.first_retry = Duration::from_millis(100);
        schedule.longest_retry = Duration::from_millis(400);
    })
    .await;
    let failure = sim.api.status().await.unwrap().last_sync_failure.unwrap();
    assert_eq!(
        failure.reason,
        "the cloud had a problem (error 502); the NVR will try again"
    );
    // It keeps trying by itself, and once the cloud is back it learns it was added.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while cloud.syncs() < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the NVR stopped retrying"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cloud.answer(Answer::Honest);
    assert!(until_offered(&sim).await, "the NVR recovered by itself");
    assert_eq!(sim.api.status().await.unwrap().last_sync_failure, None);
}

#[tokio::test]
async fn an_unreachable_cloud_is_shown_on_the_nvr_page_in_plain_words() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    drop(TestDevice::boot(dir.path(), false));
    let sim = Sim::start_in(dir, Some(cloud(&format!("http://127.0.0.1:{port}")))).await;
    let page = page_text(&sim, "/forget-password").await;
    assert!(page.contains("Hik-Connect: <b>not added</b>"), "{page}");
    assert!(
        page.contains("The last check, just now, failed: the cloud could not be reached"),
        "{page}"
    );
    assert!(
        page.contains("The cloud has not answered this device yet."),
        "{page}"
    );
    assert!(page.contains("id=\"check-again\""), "{page}");
    // Its next try is some seconds away, not a loop.
    let next = sim.api.status().await.unwrap().next_sync_unix.unwrap();
    assert!((START_UNIX + 5..=START_UNIX + 10).contains(&next), "{next}");
}

#[tokio::test]
async fn check_again_on_the_page_returns_to_that_page_and_another_site_cannot_press_it() {
    let cloud = FakeCloud::start(false, Answer::Honest).await;
    let sim = sim_on(&cloud, |_| {}).await;
    cloud.bound.store(true, Ordering::SeqCst);
    let back = [("back", "/forget-password")];
    let cross_site = post_from(&sim, "http://evil.example", "/check-again", &back).await;
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(cloud.syncs(), 1, "the other site's press sent nothing");
    for (back, expected) in [
        ("/forget-password", "/forget-password"),
        ("/", "/"),
        ("https://evil.example/", "/forget-password"),
    ] {
        let pressed = post_from(&sim, sim.nvr.url(), "/check-again", &[("back", back)]).await;
        assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
        assert_eq!(pressed.headers()["location"], expected);
    }
    // A press without `back` (a script, an old page) returns to the page it came from, when that
    // page is this NVR's; another site's Referer is not followed.
    for (referer, expected) in [
        (format!("{}/", sim.nvr.url()), "/"),
        (
            format!("{}/forget-password/hik-connect", sim.nvr.url()),
            "/forget-password/hik-connect",
        ),
        ("http://evil.example/".to_owned(), "/forget-password"),
    ] {
        let pressed = browser_like()
            .post(format!("{}/check-again", sim.nvr.url()))
            .header("origin", sim.nvr.url())
            .header("referer", referer)
            .form(&[("other", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
        assert_eq!(pressed.headers()["location"], expected);
    }
    assert!(!sim.api.forget_password_methods().await.unwrap().is_empty());
}

// ---- what the NVR page says ------------------------------------------------------------------

#[tokio::test]
async fn the_qr_page_shows_the_qr_as_text_for_hc_reset_and_its_deadline_by_the_device_clock() {
    let sim = Sim::start(true).await;
    let qr = sim.show_qr().await;
    sim.clock.advance(Duration::from_secs(61));
    let page = page_text(&sim, "/forget-password/hik-connect").await;
    assert!(
        page.contains(&format!(
            "<code class=\"qr-text\" id=\"qr-text\">{qr}</code>"
        )),
        "{page}"
    );
    assert!(page.contains("<code>hc reset --text</code>"), "{page}");
    // Without a script the page still states the deadline: 28 min 59 s left, until 00:30:00 by
    // the device's clock (it started at midnight); the script counts from those 1739 s.
    assert!(page.contains("data-countdown=\"1739\""), "{page}");
    assert!(
        page.contains(
            "valid for <span class=\"left\">28 min 59 s</span> (until 00:30:00 GMT device time)"
        ),
        "{page}"
    );
}

#[tokio::test]
async fn the_cool_down_page_says_once_how_long_to_wait() {
    let sim = Sim::start(true).await;
    let qr = sim.show_qr().await;
    let wrong = wrong_code(&code_for_qr(&qr, &test_device()));
    let mut page = String::new();
    for _ in 0..5 {
        page = page_after_posting(&sim, "/forget-password/verify", &[("code", &wrong)]).await;
    }
    says_the_wait_once(&page, "1 min");
    assert!(page.contains("Wrong verification code. Too many"), "{page}");

    // Pressing "Show a new QR code" during the cool-down: still one message, with what is left.
    sim.clock.advance(Duration::from_secs(15));
    let page = page_after_posting(&sim, "/forget-password/hik-connect", &[]).await;
    says_the_wait_once(&page, "45 s");
    assert_eq!(sim.api.status().await.unwrap().cooldown_secs, Some(45));
}

// ---- guessing the admin password -------------------------------------------------------------

/// Tries `password` for `admin` at the JSON login: the status, its `Retry-After` and error code.
async fn login(sim: &Sim, password: &str) -> (StatusCode, Option<u64>, Option<ErrorCode>) {
    match sim.api.login("admin", password).await {
        Ok(()) => (StatusCode::OK, None, None),
        Err(e) => {
            let status = e.status().unwrap_or_else(|| panic!("no answer: {e}"));
            let retry_after = match &e {
                NvrError::Refused { retry_after, .. } => *retry_after,
                _ => None,
            };
            (StatusCode::from_u16(status).unwrap(), retry_after, e.code())
        }
    }
}

#[tokio::test]
async fn guessing_the_admin_password_200_times_stops_being_answered_after_five_also_after_a_reboot()
{
    let sim = Sim::start(true).await;
    let mut statuses = Vec::new();
    for n in 0..200 {
        let (status, retry_after, code) = login(&sim, &format!("Guess-{n:04}")).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(code, Some(ErrorCode::CoolingDown));
            assert!(retry_after.is_some(), "a lockout says when to come back");
        }
        statuses.push(status);
    }
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(checked, 4, "only four guesses were answered 'wrong'");
    assert!(
        statuses[4..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS)
    );
    // The right password at guess 201: refused with the cool-down.
    let (status, retry_after, _) = login(&sim, FIRST_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after, Some(60));

    // Power-cycle the NVR: still locked.
    let sim = sim.reboot().await;
    let (status, retry_after, _) = login(&sim, FIRST_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after, Some(60));
    assert_eq!(sim.api.status().await.unwrap().login_locked_secs, Some(60));
    sim.clock.advance(Duration::from_secs(60));
    let (status, _, _) = login(&sim, FIRST_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_keeps_answering_during_a_flood_of_wrong_logins() {
    let sim = Arc::new(Sim::start(true).await);
    let guesses: Vec<_> = (0..64)
        .map(|n| {
            let sim = Arc::clone(&sim);
            tokio::spawn(async move { login(&sim, &format!("Flood-{n:04}")).await.0 })
        })
        .collect();
    for _ in 0..20 {
        sim.api.status().await.unwrap();
    }
    let mut answers = Vec::new();
    for guess in guesses {
        answers.push(guess.await.unwrap());
    }
    let wrong = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        wrong <= 4,
        "{wrong} parallel guesses were checked: more than allowed"
    );
    assert!(answers.iter().all(|s| {
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::SERVICE_UNAVAILABLE,
        ]
        .contains(s)
    }));
    // However the guesses interleaved, at most five were checked and the fifth locked the login.
    let status = sim.api.status().await.unwrap();
    let locked = status.login_locked_secs.is_some();
    let left = status.login_attempts_left as usize;
    assert_eq!(
        locked,
        answers.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{status:?}"
    );
    assert!(locked || left == 5 - wrong, "{status:?}");
}

// ---- hostile pages ---------------------------------------------------------------------------

/// A client that shows redirects and cookies instead of following them.
fn browser_like() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `nvr_session=...` from a `Set-Cookie`, ready to send back.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get("set-cookie")?.to_str().ok()?;
    let pair = value.split(';').next()?.to_owned();
    (pair.len() > "nvr_session=".len()).then_some(pair)
}

/// Logs in through the web form; the session cookie the NVR hands out.
async fn web_login(sim: &Sim, cookie: Option<&str>) -> String {
    let mut request = browser_like()
        .post(format!("{}/login", sim.nvr.url()))
        .form(&[("user", "admin"), ("password", FIRST_PASSWORD)]);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    session_cookie(&response).expect("a login sets a session cookie")
}

/// Whether the browser with this cookie is logged in (the live view, not the login page).
async fn logged_in(sim: &Sim, cookie: &str) -> bool {
    let response = browser_like()
        .get(format!("{}/", sim.nvr.url()))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    response.status() == StatusCode::OK && response.text().await.unwrap().contains("welcome")
}

#[tokio::test]
async fn a_dns_rebinding_page_gets_nothing_from_the_device() {
    let sim = Sim::start_with(true, |config| {
        config.allowed_hosts = vec!["nvr.home.arpa".into()];
    })
    .await;
    let port = sim.nvr.addr().port();
    let as_host = |host: String, path: &str| {
        browser_like()
            .get(format!("{}{path}", sim.nvr.url()))
            .header("host", host)
    };
    // The attacker's name, re-pointed at the NVR's address: the browser calls it same-origin.
    for path in ["/login", "/api/status", "/forget-password"] {
        let response = as_host(format!("rebind.attacker.example:{port}"), path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::MISDIRECTED_REQUEST, "{path}");
    }
    let posted = browser_like()
        .post(format!("{}/api/login", sim.nvr.url()))
        .header("host", format!("rebind.attacker.example:{port}"))
        .header("origin", format!("http://rebind.attacker.example:{port}"))
        .json(&json!({"user": "admin", "password": "Guess-0001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(
        sim.api.status().await.unwrap().login_attempts_left,
        5,
        "the rebound guess was not even checked"
    );
    // The names the NVR does serve under.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("nvr.home.arpa:{port}"),
    ] {
        let response = as_host(host.clone(), "/login").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{host}");
    }
}

#[tokio::test]
async fn a_session_id_planted_before_the_login_is_worthless_after_it() {
    let sim = Sim::start(true).await;
    let planted = format!("nvr_session={}", "ab".repeat(32));
    let fresh = web_login(&sim, Some(&planted)).await;
    assert_ne!(fresh, planted);
    assert!(!logged_in(&sim, &planted).await);
    assert!(logged_in(&sim, &fresh).await);
    // And a second login gets yet another id, ending the first.
    let again = web_login(&sim, Some(&fresh)).await;
    assert_ne!(again, fresh);
    assert!(!logged_in(&sim, &fresh).await);
    assert!(logged_in(&sim, &again).await);
}

#[tokio::test]
async fn sessions_end_on_the_device_after_15_idle_minutes_and_after_8_hours() {
    let sim = Sim::start(true).await;
    let cookie = web_login(&sim, None).await;
    sim.clock.advance(Duration::from_secs(14 * 60));
    assert!(logged_in(&sim, &cookie).await);
    sim.clock.advance(Duration::from_secs(15 * 60));
    assert!(!logged_in(&sim, &cookie).await, "idle for 15 minutes");

    let cookie = web_login(&sim, None).await;
    for _ in 0..(8 * 60 / 10 - 1) {
        sim.clock.advance(Duration::from_secs(10 * 60));
        assert!(logged_in(&sim, &cookie).await);
    }
    sim.clock.advance(Duration::from_secs(10 * 60));
    assert!(!logged_in(&sim, &cookie).await, "8 hours after the login");
}

#[tokio::test]
async fn cookieless_visitors_never_log_the_admin_out() {
    let sim = Sim::start(true).await;
    let cookie = web_login(&sim, None).await;
    let http = browser_like();
    for n in 0..260 {
        let path = [
            "/",
            "/login",
            "/forget-password",
            "/forget-password/new-password",
        ][n % 4];
        http.get(format!("{}{path}", sim.nvr.url()))
            .send()
            .await
            .unwrap();
    }
    assert!(logged_in(&sim, &cookie).await);
    assert_eq!(
        sim.nvr.session_count(),
        1,
        "anonymous visits hold no sessions"
    );
}

#[tokio::test]
async fn logging_out_ends_the_session_on_the_device() {
    let sim = Sim::start(true).await;
    let cookie = web_login(&sim, None).await;
    let response = browser_like()
        .post(format!("{}/logout", sim.nvr.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!logged_in(&sim, &cookie).await, "the old cookie is dead");
    assert_eq!(sim.nvr.session_count(), 0);
}

#[tokio::test]
async fn no_page_of_the_device_can_be_framed_by_another_site() {
    let sim = Sim::start(true).await;
    for path in [
        "/login",
        "/forget-password",
        "/api/status",
        "/no-such-page",
        "/style.css",
    ] {
        let response = browser_like()
            .get(format!("{}{path}", sim.nvr.url()))
            .send()
            .await
            .unwrap();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    }
}

// ---- slow clients ------------------------------------------------------------------------------

/// Reads until the NVR closes the connection; what it sent before. A generous bound stops the
/// test from hanging if it never does.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = stream.read_to_end(&mut received);
    match tokio::time::timeout(Duration::from_secs(60), read).await {
        Ok(_) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

fn quick_timeouts(config: &mut NvrConfig) {
    config.timeouts = nvr_sim::Timeouts {
        header_read: Duration::from_secs(1),
        idle: Duration::from_secs(2),
    };
}

#[tokio::test]
async fn a_client_that_sends_its_headers_a_byte_at_a_time_is_disconnected() {
    use tokio::io::AsyncWriteExt;
    let sim = Sim::start_with(true, quick_timeouts).await;
    let mut stream = tokio::net::TcpStream::connect(sim.nvr.addr())
        .await
        .unwrap();
    // A slowloris: a header line now and then, never the blank line that ends them.
    stream
        .write_all(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let writer = async {
        for n in 0..100 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if stream
                .write_all(format!("X-Slow-{n}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    };
    writer.await;
    let answer = read_until_closed(&mut stream).await;
    let answer = answer.expect("the NVR closed the connection");
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let sim = Sim::start_with(true, quick_timeouts).await;
    let mut stream = tokio::net::TcpStream::connect(sim.nvr.addr())
        .await
        .unwrap();
    assert!(read_until_closed(&mut stream).await.is_some());
    // The NVR still answers everyone else.
    sim.api.status().await.unwrap();
}

#[tokio::test]
async fn a_client_that_stops_in_the_middle_of_its_body_is_disconnected() {
    use tokio::io::AsyncWriteExt;
    let sim = Sim::start_with(true, quick_timeouts).await;
    let mut stream = tokio::net::TcpStream::connect(sim.nvr.addr())
        .await
        .unwrap();
    stream
        .write_all(
            b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Content-Length: 400\r\n\r\n{\"user\":",
        )
        .await
        .unwrap();
    assert!(read_until_closed(&mut stream).await.is_some());
}

/// hyper refuses these before the NVR's router sees them; the answer still has the device API's
/// JSON error body, as every other error does.
#[tokio::test]
async fn headers_too_large_and_a_bad_uri_get_the_json_error_body() {
    use hc_protocol::api::{ErrorBody, ErrorCode};
    use tokio::io::AsyncWriteExt;
    let sim = Sim::start_with(true, quick_timeouts).await;
    let huge = format!(
        "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(512 * 1024)
    );
    for (request, status) in [
        (huge.into_bytes(), 431),
        (
            b"GET /he\x01llo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec(),
            400,
        ),
    ] {
        let mut stream = tokio::net::TcpStream::connect(sim.nvr.addr())
            .await
            .unwrap();
        // The NVR may answer and close before it has read all of a huge request.
        let _ = stream.write_all(&request).await;
        let received = read_until_closed(&mut stream).await.expect("closed");
        let (head, body) = received.split_once("\r\n\r\n").expect("an answer");
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
        let body: ErrorBody = serde_json::from_str(body).expect("a JSON error body");
        assert_eq!(body.error.code, ErrorCode::BadRequest);
    }
}
