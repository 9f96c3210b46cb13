//! The owner's security feed (issue 19, DESIGN.md section 9): events written with their action,
//! `GET /v1/events` with its long-poll, webhooks signed and retried until delivered or parked, and
//! a cloud killed between the write and the send delivering each event once. A real HTTP receiver
//! on 127.0.0.1 checks every signature the way a vendor's receiver would. SQLite and PostgreSQL.

mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hc_cloud::PushSettings;
use hc_protocol::api::*;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use support::{Backend, TestCloud, qr_for, suite};

suite!(
    another_accounts_attempt_on_my_nvr_reaches_my_webhook_signed,
    my_own_reset_code_and_my_logins_are_in_my_feed,
    the_feed_long_poll_answers_as_soon_as_an_event_arrives,
    the_feed_long_poll_answers_empty_when_the_wait_is_over,
    a_phone_logged_out_everywhere_while_it_waits_hears_nothing_that_came_after,
    another_accounts_events_are_never_in_my_feed,
    webhooks_to_private_addresses_or_plain_http_are_refused,
    an_account_has_at_most_five_push_endpoints_and_lists_them_without_secrets,
    a_webhook_that_keeps_failing_is_parked_as_dead_after_the_last_attempt,
    a_webhook_that_fails_for_a_while_gets_the_event_once_it_answers,
    the_cloud_killed_between_the_write_and_the_send_delivers_each_event_once,
    bad_feed_queries_are_refused,
);

/// A vendor's webhook receiver: checks the signature, refuses a stale `t`, and takes each event
/// id once: the signed body's, which `Hc-Event-Id` must match (the header is not signed); a
/// repeat is acknowledged and dropped, so the cloud stops sending it.
#[derive(Clone, Default)]
struct Receiver {
    inner: Arc<ReceiverState>,
}

#[derive(Default)]
struct ReceiverState {
    secrets: Mutex<Vec<String>>,
    accepted: Mutex<Vec<(String, i64, Value)>>,
    seen: Mutex<HashSet<(String, i64)>>,
    repeats: Mutex<u32>,
    refused: Mutex<Vec<String>>,
    attempts: Mutex<u32>,
    failing: Mutex<bool>,
}

/// How old a `t` a receiver takes.
const TOLERANCE_SECS: i64 = 300;

impl Receiver {
    fn trust(&self, secret: &str) {
        self.inner.secrets.lock().unwrap().push(secret.to_owned());
    }

    fn fail(&self, failing: bool) {
        *self.inner.failing.lock().unwrap() = failing;
    }

    fn accepted(&self) -> Vec<(String, i64, Value)> {
        self.inner.accepted.lock().unwrap().clone()
    }

    fn attempts(&self) -> u32 {
        *self.inner.attempts.lock().unwrap()
    }

    fn refused(&self) -> Vec<String> {
        self.inner.refused.lock().unwrap().clone()
    }

    /// Serves on `addr` (port 0: a free one) until the handle is aborted.
    async fn serve(&self, addr: SocketAddr) -> (SocketAddr, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let local = listener.local_addr().unwrap();
        let me = self.clone();
        let app = axum::Router::new().route(
            "/{path}",
            axum::routing::post(
                move |axum::extract::Path(path): axum::extract::Path<String>,
                      headers: HeaderMap,
                      body: Bytes| {
                    let me = me.clone();
                    async move { me.take(path, &headers, &body) }
                },
            ),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (local, task)
    }

    fn take(&self, path: String, headers: &HeaderMap, body: &[u8]) -> AxumStatus {
        *self.inner.attempts.lock().unwrap() += 1;
        if *self.inner.failing.lock().unwrap() {
            return AxumStatus::SERVICE_UNAVAILABLE;
        }
        let refuse = |why: &str| {
            self.inner.refused.lock().unwrap().push(why.to_owned());
            AxumStatus::BAD_REQUEST
        };
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let Some(id) = header("hc-event-id").and_then(|v| v.parse::<i64>().ok()) else {
            return refuse("no event id");
        };
        let Some(signature) = header("hc-signature") else {
            return refuse("no signature");
        };
        let mut t = None;
        let mut v1 = None;
        for part in signature.split(',') {
            match part.split_once('=') {
                Some(("t", value)) => t = value.parse::<i64>().ok(),
                Some(("v1", value)) => v1 = hex::decode(value).ok(),
                _ => {}
            }
        }
        let (Some(t), Some(v1)) = (t, v1) else {
            return refuse("malformed signature");
        };
        if (now() - t).abs() > TOLERANCE_SECS {
            return refuse("stale t");
        }
        let verified = self.inner.secrets.lock().unwrap().iter().any(|secret| {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(format!("{t}.").as_bytes());
            mac.update(body);
            mac.verify_slice(&v1).is_ok()
        });
        if !verified {
            return refuse("bad signature");
        }
        let event: Value = match serde_json::from_slice(body) {
            Ok(event) => event,
            Err(_) => return refuse("not JSON"),
        };
        if event["id"].as_i64() != Some(id) {
            return refuse("id header and body disagree");
        }
        if !self.inner.seen.lock().unwrap().insert((path.clone(), id)) {
            *self.inner.repeats.lock().unwrap() += 1;
            return AxumStatus::OK;
        }
        self.inner.accepted.lock().unwrap().push((path, id, event));
        AxumStatus::NO_CONTENT
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Polls `check` every 50 ms until it holds or `within` is over.
async fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check()
}

fn fast_push() -> PushSettings {
    PushSettings {
        allow_insecure_loopback: true,
        max_attempts: 8,
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_millis(400),
        timeout: Duration::from_secs(2),
        poll_interval: Duration::from_millis(100),
    }
}

mod cases {
    use super::*;

    async fn start(backend: Backend, push: PushSettings) -> Option<TestCloud> {
        backend.start(|config| config.with_push(push)).await
    }

    async fn webhook(t: &TestCloud, token: &str, url: &str) -> PushEndpointCreated {
        let answer = t
            .post(
                "/v1/push-endpoints",
                Some(token),
                json!({"kind": "webhook", "url": url}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.json()
    }

    async fn feed(t: &TestCloud, token: &str, query: &str) -> FeedPage {
        let answer = t.get(&format!("/v1/events{query}"), token).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.json()
    }

    fn kinds(page: &FeedPage) -> Vec<FeedEventKind> {
        page.events.iter().map(|e| e.kind).collect()
    }

    pub async fn another_accounts_attempt_on_my_nvr_reaches_my_webhook_signed(backend: Backend) {
        let Some(t) = start(backend, fast_push()).await else {
            return;
        };
        let receiver = Receiver::default();
        let (addr, _server) = receiver.serve("127.0.0.1:0".parse().unwrap()).await;
        let owner = t.account("owner@example.com").await;
        let installer = t.account("installer@example.com").await;
        let nvr = t.provision("J12345678").await;
        assert_eq!(t.add_device(&owner, &nvr).await.status, StatusCode::CREATED);
        let hook = webhook(&t, &owner, &format!("http://{addr}/owner")).await;
        assert!(hook.secret.starts_with("whsec_"), "{:?}", hook.secret);
        receiver.trust(&hook.secret);

        t.reset_code(&installer, &qr_for(&nvr, 1))
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount);
        assert!(
            eventually(Duration::from_secs(10), || !receiver.accepted().is_empty()).await,
            "refused: {:?}",
            receiver.refused()
        );
        let (path, id, event) = receiver.accepted()[0].clone();
        assert_eq!(path, "owner");
        assert_eq!(event["kind"], "reset_attempt_refused");
        assert_eq!(event["serial"], "J12345678");
        assert_eq!(event["other_account"], "in***@example.com");
        assert_eq!(event["outcome"], "bound_to_other_account");
        assert!(!event.to_string().contains("installer@"), "{event}");
        // The same event in the owner's feed, by the same id; never in the installer's.
        let page = feed(&t, &owner, "").await;
        let same: Vec<_> = page.events.iter().filter(|e| e.id == id).collect();
        assert_eq!(same.len(), 1, "{page:?}");
        assert_eq!(serde_json::to_value(same[0]).unwrap(), event);
        let theirs = feed(&t, &installer, "").await;
        assert!(theirs.events.iter().all(|e| e.id != id), "{theirs:?}");
        assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
        let storage = t.cloud.state().storage();
        let start = Instant::now();
        let state = loop {
            let state = storage.delivery_state(id, hook.id).await.unwrap().unwrap();
            if state.state == "delivered" || start.elapsed() > Duration::from_secs(5) {
                break state;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(state.state, "delivered");
        assert_eq!(state.attempts, 1);
    }

    pub async fn my_own_reset_code_and_my_logins_are_in_my_feed(backend: Backend) {
        let Some(t) = start(backend, fast_push()).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let nvr = t.provision("J12345678").await;
        assert_eq!(t.add_device(&owner, &nvr).await.status, StatusCode::CREATED);
        assert_eq!(
            t.reset_code(&owner, &qr_for(&nvr, 1)).await.status,
            StatusCode::OK
        );
        let page = feed(&t, &owner, "").await;
        assert_eq!(
            kinds(&page),
            [FeedEventKind::NewLogin, FeedEventKind::ResetCodeIssued]
        );
        // The login's address as its network only.
        assert_eq!(page.events[0].client.as_deref(), Some("127.0.0.0/24"));
        assert_eq!(page.events[1].serial.as_deref(), Some("J12345678"));
        assert_eq!(page.events[1].other_account, None);
        assert_eq!(page.next_after, page.events[1].id);
        // Paged by id: after the first, only the second.
        let rest = feed(&t, &owner, &format!("?after={}&limit=1", page.events[0].id)).await;
        assert_eq!(kinds(&rest), [FeedEventKind::ResetCodeIssued]);
        let first = feed(&t, &owner, "?limit=1").await;
        assert_eq!(kinds(&first), [FeedEventKind::NewLogin]);
        assert_eq!(first.next_after, page.events[0].id);
    }

    pub async fn the_feed_long_poll_answers_as_soon_as_an_event_arrives(backend: Backend) {
        // A long poll interval: only the in-process wake-up can make the answer prompt.
        let push = PushSettings {
            poll_interval: Duration::from_secs(20),
            ..fast_push()
        };
        let Some(t) = start(backend, push).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let installer = t.account("installer@example.com").await;
        let nvr = t.provision("J12345678").await;
        assert_eq!(t.add_device(&owner, &nvr).await.status, StatusCode::CREATED);
        let after = feed(&t, &owner, "").await.next_after;
        let url = t.url(&format!("/v1/events?after={after}&wait=25"));
        let http = t.http.clone();
        let token = owner.clone();
        let poll = tokio::spawn(async move {
            let started = Instant::now();
            let page: FeedPage = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (page, started.elapsed())
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        let asked = Instant::now();
        t.reset_code(&installer, &qr_for(&nvr, 1)).await;
        let (page, _) = poll.await.unwrap();
        assert!(
            asked.elapsed() < Duration::from_secs(3),
            "{:?}",
            asked.elapsed()
        );
        assert_eq!(kinds(&page), [FeedEventKind::ResetAttemptRefused]);
        assert!(page.next_after > after);
    }

    pub async fn a_phone_logged_out_everywhere_while_it_waits_hears_nothing_that_came_after(
        backend: Backend,
    ) {
        let Some(t) = start(backend, fast_push()).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let installer = t.account("installer@example.com").await;
        let nvr = t.provision("J12345678").await;
        assert_eq!(t.add_device(&owner, &nvr).await.status, StatusCode::CREATED);
        let after = feed(&t, &owner, "").await.next_after;
        // The lost phone waits on the feed.
        let url = t.url(&format!("/v1/events?after={after}&wait=25"));
        let (http, lost) = (t.http.clone(), owner.clone());
        let poll = tokio::spawn(async move {
            http.get(url)
                .bearer_auth(lost)
                .send()
                .await
                .unwrap()
                .status()
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The owner ends every session, then somebody tries the NVR.
        let ended = t
            .call(
                reqwest::Method::POST,
                "/v1/auth/logout-all",
                Some(&owner),
                None,
            )
            .await;
        assert!(ended.status.is_success(), "{:?}", ended.body);
        t.reset_code(&installer, &qr_for(&nvr, 1)).await;
        assert_eq!(poll.await.unwrap(), StatusCode::UNAUTHORIZED);
    }

    pub async fn the_feed_long_poll_answers_empty_when_the_wait_is_over(backend: Backend) {
        let Some(t) = start(backend, fast_push()).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let after = feed(&t, &owner, "").await.next_after;
        let started = Instant::now();
        let page = feed(&t, &owner, &format!("?after={after}&wait=1")).await;
        let waited = started.elapsed();
        assert!(page.events.is_empty(), "{page:?}");
        assert_eq!(page.next_after, after);
        assert!(waited >= Duration::from_millis(950), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        // Another account's event during my wait does not end it.
        t.register("other@example.com").await;
        let query = format!("?after={after}&wait=2");
        let started = Instant::now();
        let (page, _) = tokio::join!(feed(&t, &owner, &query), async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            t.login("other@example.com").await
        });
        assert!(page.events.is_empty(), "{page:?}");
        assert!(started.elapsed() >= Duration::from_millis(1950));
    }

    pub async fn another_accounts_events_are_never_in_my_feed(backend: Backend) {
        let Some(t) = start(backend, fast_push()).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let other = t.account("other@example.com").await;
        let theirs = t.provision("K12345678").await;
        assert_eq!(
            t.add_device(&other, &theirs).await.status,
            StatusCode::CREATED
        );
        assert_eq!(
            t.reset_code(&other, &qr_for(&theirs, 1)).await.status,
            StatusCode::OK
        );
        // My own attempt on their NVR is in their feed, not in mine.
        t.reset_code(&owner, &qr_for(&theirs, 2))
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount);
        let mine = feed(&t, &owner, "").await;
        assert_eq!(kinds(&mine), [FeedEventKind::NewLogin]);
        let page = feed(&t, &other, "").await;
        assert_eq!(
            kinds(&page),
            [
                FeedEventKind::NewLogin,
                FeedEventKind::ResetCodeIssued,
                FeedEventKind::ResetAttemptRefused
            ]
        );
        assert_eq!(
            page.events[2].other_account.as_deref(),
            Some("o***@example.com")
        );
        // Their ids are no cursor into my feed either.
        let mine = feed(&t, &owner, "?after=0&limit=500").await;
        assert!(
            mine.events
                .iter()
                .all(|e| page.events.iter().all(|p| p.id != e.id))
        );
    }

    pub async fn webhooks_to_private_addresses_or_plain_http_are_refused(backend: Backend) {
        // Production rules: no loopback flag.
        let Some(t) = start(backend, PushSettings::default()).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        for url in [
            "http://hooks.example.com/hc",
            "http://127.0.0.1:9/hook",
            "https://127.0.0.1:9/hook",
            "https://10.0.0.5/hook",
            "https://192.168.1.1/hook",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]/hook",
            "https://[fe80::1]/hook",
            "https://[fd12::1]/hook",
            "https://localhost/hook",
            "https://router.lan/hook",
            "https://user:pw@hooks.example.com/hook",
            "hooks.example.com",
        ] {
            t.post(
                "/v1/push-endpoints",
                Some(&owner),
                json!({"kind": "webhook", "url": url}),
            )
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidPushEndpoint);
        }
        t.post(
            "/v1/push-endpoints",
            Some(&owner),
            json!({"kind": "fcm", "url": "https://hooks.example.com/hc"}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidPushEndpoint);
        t.post(
            "/v1/push-endpoints",
            Some(&owner),
            json!({"kind": "webhook"}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
        t.post(
            "/v1/push-endpoints",
            None,
            json!({"kind": "webhook", "url": "https://hooks.example.com/hc"}),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        let list: PushEndpointList = t.get("/v1/push-endpoints", &owner).await.json();
        assert!(list.endpoints.is_empty(), "{list:?}");
    }

    pub async fn an_account_has_at_most_five_push_endpoints_and_lists_them_without_secrets(
        backend: Backend,
    ) {
        let Some(t) = start(backend, PushSettings::default()).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let other = t.account("other@example.com").await;
        // Registered after the logins: no event is ever sent to these (made-up) hosts.
        let mut created = Vec::new();
        for n in 0..MAX_PUSH_ENDPOINTS {
            created.push(webhook(&t, &owner, &format!("https://hooks.example.com/{n}")).await);
        }
        t.post(
            "/v1/push-endpoints",
            Some(&owner),
            json!({"kind": "webhook", "url": "https://hooks.example.com/one-more"}),
        )
        .await
        .assert_error(StatusCode::CONFLICT, ErrorCode::TooManyPushEndpoints);
        let answer = t.get("/v1/push-endpoints", &owner).await;
        let text = answer.body.to_string();
        for hook in &created {
            assert!(!text.contains(&hook.secret), "{text}");
        }
        assert!(!text.contains("secret"), "{text}");
        let list: PushEndpointList = answer.json();
        assert_eq!(list.endpoints.len(), MAX_PUSH_ENDPOINTS);
        // Another account can neither see nor delete them.
        let theirs: PushEndpointList = t.get("/v1/push-endpoints", &other).await.json();
        assert!(theirs.endpoints.is_empty());
        let path = format!("/v1/push-endpoints/{}", created[0].id);
        t.call(reqwest::Method::DELETE, &path, Some(&other), None)
            .await
            .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
        t.call(
            reqwest::Method::DELETE,
            "/v1/push-endpoints/nope",
            Some(&owner),
            None,
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
        let deleted = t
            .call(reqwest::Method::DELETE, &path, Some(&owner), None)
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        // A place is free again.
        webhook(&t, &owner, "https://hooks.example.com/again").await;
    }

    pub async fn a_webhook_that_keeps_failing_is_parked_as_dead_after_the_last_attempt(
        backend: Backend,
    ) {
        let push = PushSettings {
            max_attempts: 3,
            backoff_base: Duration::from_millis(50),
            backoff_cap: Duration::from_millis(100),
            ..fast_push()
        };
        let Some(t) = start(backend, push).await else {
            return;
        };
        let receiver = Receiver::default();
        receiver.fail(true);
        let (addr, _server) = receiver.serve("127.0.0.1:0".parse().unwrap()).await;
        let owner = t.account("owner@example.com").await;
        let hook = webhook(&t, &owner, &format!("http://{addr}/hook")).await;
        receiver.trust(&hook.secret);
        let _again = t.login("owner@example.com").await;
        let event = feed(&t, &owner, "").await.events.last().unwrap().id;
        let storage = t.cloud.state().storage();
        let start = Instant::now();
        let state = loop {
            let state = storage
                .delivery_state(event, hook.id)
                .await
                .unwrap()
                .unwrap();
            if state.state == "dead" || start.elapsed() > Duration::from_secs(15) {
                break state;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(state.state, "dead", "{state:?}");
        assert_eq!(state.attempts, 3);
        // Parked: never tried again.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(receiver.attempts(), 3);
        receiver.fail(false);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(receiver.accepted().is_empty());
    }

    pub async fn a_webhook_that_fails_for_a_while_gets_the_event_once_it_answers(backend: Backend) {
        let Some(t) = start(backend, fast_push()).await else {
            return;
        };
        let receiver = Receiver::default();
        receiver.fail(true);
        let (addr, _server) = receiver.serve("127.0.0.1:0".parse().unwrap()).await;
        let owner = t.account("owner@example.com").await;
        let hook = webhook(&t, &owner, &format!("http://{addr}/hook")).await;
        receiver.trust(&hook.secret);
        let _again = t.login("owner@example.com").await;
        assert!(eventually(Duration::from_secs(5), || receiver.attempts() >= 2).await);
        receiver.fail(false);
        assert!(eventually(Duration::from_secs(5), || !receiver.accepted().is_empty()).await);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let accepted = receiver.accepted();
        assert_eq!(accepted.len(), 1, "{accepted:?}");
        assert_eq!(accepted[0].2["kind"], "new_login");
        let state = t
            .cloud
            .state()
            .storage()
            .delivery_state(accepted[0].1, hook.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(state.state, "delivered");
        assert!(state.attempts >= 3, "{state:?}");
    }

    pub async fn the_cloud_killed_between_the_write_and_the_send_delivers_each_event_once(
        backend: Backend,
    ) {
        use hc_testkit::cloud_process::CloudProcess;
        let data = tempfile::tempdir().unwrap();
        let mut config = hc_cloud::Config::for_tests(data.path()).with_push(fast_push());
        if let Backend::Postgres = backend {
            let Some(server) = support::postgres::server() else {
                return;
            };
            config = config.with_database_url(server.fresh_database().await);
        }
        let nvr = hc_cloud::provision(
            &config,
            hc_cloud::ProvisionRequest::new("J12345678", "DS-7608NI-K2/8P", "V4.61.005"),
        )
        .await
        .unwrap();
        // The receiver's port, free for now: it is down while the event is written.
        let receiver = Receiver::default();
        let (addr, task) = receiver.serve("127.0.0.1:0".parse().unwrap()).await;
        task.abort();
        let _ = task.await;
        let log = data.path().join("cloud.log");
        let cloud = CloudProcess::spawn(&config, &log).unwrap();
        let http = reqwest::Client::new();
        let base = cloud.url().to_owned();
        let call = |path: &str, token: Option<&str>, body: Value| {
            let mut request = http.post(format!("{base}{path}")).json(&body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        let mut tokens = Vec::new();
        for email in ["owner@example.com", "installer@example.com"] {
            let credentials = json!({"email": email, "password": support::PASSWORD});
            let created = call("/v1/accounts", None, credentials.clone())
                .await
                .unwrap();
            assert_eq!(created.status(), StatusCode::CREATED);
            let tokens_: Tokens = call("/v1/auth/login", None, credentials)
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let folder = hc_testkit::mail::MailFolder::new(config.mail_dir());
            hc_testkit::mail::verify_with(&http, &base, &tokens_.access_token, &folder, email)
                .await;
            tokens.push(tokens_.access_token);
        }
        let (owner, installer) = (&tokens[0], &tokens[1]);
        let added = call(
            "/v1/devices",
            Some(owner),
            json!({"serial": nvr.serial.as_str(), "label_code": nvr.label_code.as_str()}),
        )
        .await
        .unwrap();
        assert_eq!(added.status(), StatusCode::CREATED);
        let mut hooks = Vec::new();
        for path in ["a", "b"] {
            let hook: PushEndpointCreated = call(
                "/v1/push-endpoints",
                Some(owner),
                json!({"kind": "webhook", "url": format!("http://{addr}/{path}")}),
            )
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
            receiver.trust(&hook.secret);
            hooks.push(hook);
        }
        let refused = call(
            "/v1/reset-codes",
            Some(installer),
            json!({"qr": qr_for(&nvr, 1)}),
        )
        .await
        .unwrap();
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        // Written, not delivered (the receiver is down): the cloud dies.
        cloud.kill();

        let (_, _server) = receiver.serve(addr).await;
        let cloud = CloudProcess::spawn(&config, &log).unwrap();
        assert!(
            eventually(Duration::from_secs(15), || receiver.accepted().len() >= 2).await,
            "accepted {:?}, refused {:?}",
            receiver.accepted(),
            receiver.refused()
        );
        // Time for any duplicate to show up.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let accepted = receiver.accepted();
        assert_eq!(accepted.len(), 2, "{accepted:?}");
        let paths: HashSet<&str> = accepted.iter().map(|(p, _, _)| p.as_str()).collect();
        assert_eq!(paths, HashSet::from(["a", "b"]));
        assert_eq!(accepted[0].1, accepted[1].1, "one event, by one id");
        assert_eq!(accepted[0].2["kind"], "reset_attempt_refused");
        assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());
        drop(cloud);
        let _ = hooks;
    }

    pub async fn bad_feed_queries_are_refused(backend: Backend) {
        let Some(t) = start(backend, fast_push()).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        for query in [
            "?wait=31",
            "?wait=-1",
            "?after=-1",
            "?limit=0",
            "?limit=501",
            "?after=x",
        ] {
            t.get(&format!("/v1/events{query}"), &owner)
                .await
                .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
        }
        t.call(reqwest::Method::GET, "/v1/events", None, None)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
}
