//! Abuse across instances: rate limits are counted in the database, so an attacker who spreads
//! guesses over every instance behind the load balancer meets the same limit as one who does not.
//! Two `hc_cloud::launch` on one PostgreSQL database (and one master key), requests alternating
//! between them. Plus password guessing on one email, which the rate limit cuts off, and
//! registrations from one address.

mod support;

use hc_testkit::mail::{MailFolder, verify_with};

use std::path::Path;
use std::time::Duration;

use hc_cloud::{Config, ProvisionRequest, RateLimits, RunningCloud};
use hc_protocol::api::{AuditActor, AuditList, AuditOutcome, ErrorCode, Tokens};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Answer, Backend, PASSWORD, answer, qr_for};

/// One HTTP client over two cloud instances; `at(i)` picks the instance of request `i`.
struct Pair {
    clouds: [RunningCloud; 2],
    http: reqwest::Client,
    _data: tempfile::TempDir,
}

impl Pair {
    async fn start(limits: RateLimits) -> Option<Pair> {
        let server = support::postgres::server()?;
        let url = server.fresh_database().await;
        let data = tempfile::tempdir().unwrap();
        let key = data.path().join("shared-master.key");
        let config = |dir: &Path| {
            Config::for_tests(dir)
                .with_database_url(url.clone())
                .with_master_key_file(&key)
                .with_max_db_connections(4)
                .with_rate_limits(limits.clone())
        };
        // One after the other: the first creates the schema and the master key.
        let first = hc_cloud::launch(config(&data.path().join("a")))
            .await
            .unwrap();
        let second = hc_cloud::launch(config(&data.path().join("b")))
            .await
            .unwrap();
        Some(Pair {
            clouds: [first, second],
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            _data: data,
        })
    }

    async fn call(
        &self,
        at: usize,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let cloud = &self.clouds[at % 2];
        let method = if body.is_some() {
            Method::POST
        } else {
            Method::GET
        };
        let mut request = self.http.request(method, format!("{}{path}", cloud.url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    async fn account(&self, email: &str) -> String {
        let credentials = json!({"email": email, "password": PASSWORD});
        let created = self
            .call(0, "/v1/accounts", None, Some(credentials.clone()))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        // Logged in on the other instance: sessions live in the database too.
        let tokens: Tokens = self
            .call(1, "/v1/auth/login", None, Some(credentials))
            .await
            .json();
        let folders = [0, 1].map(|i| MailFolder::new(self.clouds[i].mail_dir()));
        verify_with(
            &self.http,
            self.clouds[0].url(),
            &tokens.access_token,
            &folders,
            email,
        )
        .await;
        tokens.access_token
    }
}

fn limits() -> RateLimits {
    RateLimits {
        reset_codes_per_account: 4,
        reset_codes_per_device: 6,
        add_device_attempts_per_account: 3,
        logins_per_email: 5,
        registrations_per_client_addr: 3,
        window: Duration::from_secs(3600),
        ..RateLimits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_code_requests_spread_over_two_instances_meet_one_limit() {
    let Some(pair) = Pair::start(limits()).await else {
        return;
    };
    let owner = pair.account("owner@example.com").await;
    let other = pair.account("other@example.com").await;
    let device = pair.clouds[0]
        .provision(ProvisionRequest::new(
            "J12345678",
            "DS-7608NI-K2/8P",
            "V4.61.005",
        ))
        .await
        .unwrap();
    let add = json!({"serial": "J12345678", "label_code": device.label_code.as_str()});
    let added = pair.call(1, "/v1/devices", Some(&owner), Some(add)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);

    // Per account: four codes, alternating instances, then 429 on whichever instance.
    for i in 0..4 {
        let qr = json!({"qr": qr_for(&device, i as u8)});
        let issued = pair
            .call(i, "/v1/reset-codes", Some(&owner), Some(qr))
            .await;
        assert_eq!(
            issued.status,
            StatusCode::OK,
            "request {i}: {:?}",
            issued.body
        );
    }
    for at in 0..2 {
        let qr = json!({"qr": qr_for(&device, 9)});
        pair.call(at, "/v1/reset-codes", Some(&owner), Some(qr))
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    }
    // Per device: another account adds two more requests naming the serial (refused as bound
    // to another account, but counted), and the third is over the limit of six.
    for at in 0..2 {
        let qr = json!({"qr": qr_for(&device, 20 + at as u8)});
        pair.call(at, "/v1/reset-codes", Some(&other), Some(qr))
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount);
    }
    let qr = json!({"qr": qr_for(&device, 30)});
    pair.call(0, "/v1/reset-codes", Some(&other), Some(qr))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);

    // Nothing lost: every request naming the owner's device, on either instance, is in the owner's
    // feed; the owner's own refusals of the window are one row with their count, and the other
    // account's attempts show up masked, one row each.
    let audit: AuditList = pair.call(1, "/v1/audit", Some(&owner), None).await.json();
    let count = |actor_is_owner: bool, o: AuditOutcome| -> u64 {
        audit
            .events
            .iter()
            .filter(|e| (e.actor == AuditActor::You) == actor_is_owner && e.outcome == o)
            .map(|e| e.count)
            .sum()
    };
    assert_eq!(audit.events.len(), 8, "{:?}", audit.events);
    assert_eq!(count(true, AuditOutcome::Issued), 4);
    assert_eq!(count(true, AuditOutcome::RateLimited), 2);
    assert_eq!(count(false, AuditOutcome::BoundToOtherAccount), 2);
    assert_eq!(count(false, AuditOutcome::RateLimited), 1);
    assert!(audit.events.iter().all(|e| match &e.actor {
        AuditActor::You => true,
        AuditActor::OtherAccount { masked_email } => masked_email == "o***@example.com",
    }));
    for cloud in pair.clouds {
        cloud.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_code_guesses_over_two_instances_meet_one_limit() {
    let Some(pair) = Pair::start(limits()).await else {
        return;
    };
    let guesser = pair.account("guesser@example.com").await;
    let device = pair.clouds[0]
        .provision(ProvisionRequest::new(
            "J12345678",
            "DS-7608NI-K2/8P",
            "V4.61.005",
        ))
        .await
        .unwrap();
    for (at, label_code) in ["QQQQQA", "QQQQQB", "QQQQQC"].into_iter().enumerate() {
        let guess = json!({"serial": "J12345678", "label_code": label_code});
        pair.call(at, "/v1/devices", Some(&guesser), Some(guess))
            .await
            .assert_error(StatusCode::FORBIDDEN, ErrorCode::WrongLabelCode);
    }
    // The right label code on the other instance is refused too: the guesser learns nothing.
    let right = json!({"serial": "J12345678", "label_code": device.label_code.as_str()});
    pair.call(1, "/v1/devices", Some(&guesser), Some(right))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    for cloud in pair.clouds {
        cloud.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guesses_over_two_instances_meet_one_limit() {
    let Some(pair) = Pair::start(limits()).await else {
        return;
    };
    pair.account("victim@example.com").await; // one login spent
    for at in 0..4 {
        let guess =
            json!({"email": "victim@example.com", "password": format!("guess number {at}")});
        pair.call(at, "/v1/auth/login", None, Some(guess))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
    }
    // The sixth attempt, even with the right password and on either instance, waits.
    let right = json!({"email": "Victim@Example.com ", "password": PASSWORD});
    for at in 0..2 {
        let limited = pair
            .call(at, "/v1/auth/login", None, Some(right.clone()))
            .await;
        limited.assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        assert!(limited.headers.contains_key("retry-after"));
    }
    for cloud in pair.clouds {
        cloud.shutdown().await;
    }
}

/// Same rule on one SQLite instance, and unknown emails are limited exactly like known ones, so
/// the limit cannot be used to find out which emails have accounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guessing_is_cut_off_for_known_and_unknown_emails_alike() {
    let t = Backend::Sqlite
        .start(|c| c.with_rate_limits(limits()))
        .await
        .unwrap();
    t.register("known@example.com").await;
    for email in ["known@example.com", "nobody@example.com"] {
        for i in 0..5 {
            let guess = json!({"email": email, "password": format!("wrong password {i}")});
            t.post("/v1/auth/login", None, guess)
                .await
                .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
        }
        let sixth = json!({"email": email, "password": PASSWORD});
        t.post("/v1/auth/login", None, sixth)
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    }
    // Another email is not affected.
    t.register("bystander@example.com").await;
    t.login("bystander@example.com").await;
    t.cloud.shutdown().await;
}

/// Throwaway accounts would multiply the per-account limits: registrations from one client
/// address are counted in the database, so spreading them over two instances meets one limit.
/// Refused attempts count too, and the limit answers before any check or argon2 work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_from_one_address_over_two_instances_meet_one_limit() {
    let Some(pair) = Pair::start(limits()).await else {
        return;
    };
    let register = |email: &str, password: &str| json!({"email": email, "password": password});
    let first = pair
        .call(
            0,
            "/v1/accounts",
            None,
            Some(register("a@example.com", PASSWORD)),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    pair.call(
        1,
        "/v1/accounts",
        None,
        Some(register("b@example.com", "short")),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, ErrorCode::WeakPassword);
    let third = pair
        .call(
            1,
            "/v1/accounts",
            None,
            Some(register("c@example.com", PASSWORD)),
        )
        .await;
    assert_eq!(third.status, StatusCode::CREATED, "{:?}", third.body);
    // The fourth from this address, well-formed or not, on either instance, waits.
    for at in 0..2 {
        let limited = pair
            .call(
                at,
                "/v1/accounts",
                None,
                Some(register("d@example.com", PASSWORD)),
            )
            .await;
        limited.assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        assert!(limited.headers.contains_key("retry-after"));
    }
    // The accounts made work, on both instances: logging in is not registering.
    for at in 0..2 {
        let login = json!({"email": "c@example.com", "password": PASSWORD});
        let tokens: Tokens = pair
            .call(at, "/v1/auth/login", None, Some(login))
            .await
            .json();
        assert!(!tokens.access_token.is_empty());
    }
    for cloud in pair.clouds {
        cloud.shutdown().await;
    }
}
