//! What an operator expects of the service: Prometheus metrics on a port of their own, JSON logs
//! without secrets, readiness apart from liveness, and client addresses that a client cannot forge
//! but a trusted proxy can name.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use hc_cloud::forwarded::TrustedProxies;
use hc_cloud::{Config, RateLimits};
use hc_protocol::api::{AuditList, ErrorCode, Tokens};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::postgres::{self, StopMode};
use support::{Answer, PASSWORD, TestCloud, answer, client_from, qr_for};

fn limits(tune: impl FnOnce(&mut RateLimits)) -> RateLimits {
    let mut limits = RateLimits::default();
    tune(&mut limits);
    limits
}

/// The value of the one sample named `series` (name and labels exactly as exposed).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.parse().ok()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_port_and_count_requests_refusals_codes_and_the_pool() {
    let data = tempfile::tempdir().unwrap();
    let config = Config::for_tests(data.path())
        .with_max_db_connections(4)
        .with_metrics_listen("127.0.0.1:0".parse().unwrap())
        .with_rate_limits(limits(|l| l.reset_codes_per_device = 2));
    let cloud = TestCloud::launch(config, data).await;
    let token = cloud.account("owner@example.com").await;
    let device = cloud.provision("J12345678").await;
    assert_eq!(
        cloud.add_device(&token, &device).await.status,
        StatusCode::CREATED
    );
    for nonce in 1..=2 {
        let answer = cloud.reset_code(&token, &qr_for(&device, nonce)).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    }
    cloud
        .reset_code(&token, &qr_for(&device, 3))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    cloud
        .call(Method::DELETE, "/v1/devices/NOPE", Some(&token), None)
        .await;

    // The public port does not know the page: it is a 404 like any unknown path.
    cloud
        .call(Method::GET, "/metrics", None, None)
        .await
        .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);

    let metrics_url = cloud.cloud.metrics_url().expect("a metrics listener");
    assert!(
        metrics_url.starts_with("http://127.0.0.1:"),
        "{metrics_url}"
    );
    assert_ne!(
        metrics_url.trim_end_matches("/metrics"),
        cloud.cloud.url(),
        "a port of its own"
    );
    let response = cloud.http.get(metrics_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    let reset = |status: u16| {
        format!(
            "hc_cloud_http_requests_total{{route=\"/v1/reset-codes\",method=\"POST\",status=\"{status}\"}}"
        )
    };
    assert_eq!(sample(&text, &reset(200)), Some(2.0), "{text}");
    assert_eq!(sample(&text, &reset(429)), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "hc_cloud_http_request_duration_seconds_count{route=\"/v1/reset-codes\",method=\"POST\",status=\"200\"}"
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "hc_cloud_rate_limit_refusals_total{route=\"/v1/reset-codes\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "hc_cloud_reset_codes_issued_total"),
        Some(2.0)
    );
    // Paths are counted by their template, unknown ones all as one: no series per URL.
    assert!(
        text.contains("route=\"/v1/devices/{serial}\",method=\"DELETE\""),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "hc_cloud_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}"
        ),
        Some(1.0)
    );
    assert_eq!(sample(&text, "hc_cloud_db_pool_max_connections"), Some(4.0));
    let open = sample(&text, "hc_cloud_db_pool_connections{state=\"idle\"}").unwrap()
        + sample(&text, "hc_cloud_db_pool_connections{state=\"in_use\"}").unwrap();
    assert!((1.0..=4.0).contains(&open), "{open} connections open");

    // The metrics listener serves nothing else.
    let other = cloud
        .http
        .get(metrics_url.replace("/metrics", "/v1/devices"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    cloud.cloud.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_there_is_no_metrics_listener() {
    let data = tempfile::tempdir().unwrap();
    let cloud = TestCloud::launch(Config::for_tests(data.path()), data).await;
    assert_eq!(cloud.cloud.metrics_url(), None);
    cloud
        .call(Method::GET, "/metrics", None, None)
        .await
        .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
    cloud.cloud.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgres_is_away_the_instance_is_alive_but_not_ready() {
    let Some(server) = postgres::own_server() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let config = Config::for_tests(data.path())
        .with_database_url(server.fresh_database().await)
        .with_max_db_connections(2)
        .with_db_acquire_timeout(Duration::from_millis(500));
    let cloud = TestCloud::launch(config, data).await;
    let ready = || cloud.call(Method::GET, "/readyz", None, None);
    let live = || cloud.call(Method::GET, "/healthz", None, None);
    assert_eq!(ready().await.status, StatusCode::OK);

    server.stop(StopMode::Fast);
    ready()
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable);
    // Liveness does not ask the database: an orchestrator must not restart every instance
    // because the database is away.
    let alive = live().await;
    assert_eq!(alive.status, StatusCode::OK);
    assert_eq!(alive.body["status"], "ok");

    server.start();
    let back = ready().await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    assert_eq!(back.body["status"], "ok");
    cloud.cloud.shutdown().await;
}

/// A request with its own `X-Forwarded-For`, through `http`.
async fn forwarded(
    cloud: &TestCloud,
    http: &reqwest::Client,
    path: &str,
    forwarded_for: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = http
        .request(
            if body.is_some() {
                Method::POST
            } else {
                Method::GET
            },
            cloud.url(path),
        )
        .header("x-forwarded-for", forwarded_for);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_forge_its_address_but_a_trusted_proxy_names_it() {
    let data = tempfile::tempdir().unwrap();
    let config = Config::for_tests(data.path())
        .with_trusted_proxies(TrustedProxies::parse("127.0.0.9").unwrap())
        .with_rate_limits(limits(|l| l.registrations_per_client_addr = 2));
    let cloud = TestCloud::launch(config, data).await;
    let register = async |http: &reqwest::Client, claim: &str, email: &str| {
        let body = json!({"email": email, "password": PASSWORD});
        forwarded(&cloud, http, "/v1/accounts", claim, None, Some(body)).await
    };

    // A direct client (127.0.0.1) claims a new address each time: it is counted by its socket.
    let direct = &cloud.http;
    for i in 0..2 {
        let claim = format!("198.51.100.{}", i + 1);
        let answer = register(direct, &claim, &format!("direct{i}@example.com")).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    }
    register(direct, "198.51.100.3", "direct2@example.com")
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);

    // The proxy (127.0.0.9) appends the real client after whatever the client wrote: the
    // client behind it is 192.0.2.10, whatever it claims, and has a bucket of its own.
    let proxy = client_from([127, 0, 0, 9]);
    for i in 0..2 {
        let claim = format!("198.51.100.{}, 192.0.2.10", 50 + i);
        let answer = register(&proxy, &claim, &format!("behind{i}@example.com")).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    }
    register(&proxy, "198.51.100.60, 192.0.2.10", "behind2@example.com")
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    // Another client behind the same proxy is not held back by the first one's count.
    let other = register(&proxy, "192.0.2.11", "neighbour@example.com").await;
    assert_eq!(other.status, StatusCode::CREATED, "{:?}", other.body);

    // The audit log names the client the proxy forwarded for, not the proxy.
    let tokens: Tokens = forwarded(
        &cloud,
        &proxy,
        "/v1/auth/login",
        "192.0.2.10",
        None,
        Some(json!({"email": "behind0@example.com", "password": PASSWORD})),
    )
    .await
    .json();
    cloud
        .verify_from(&cloud.mail, &tokens.access_token, "behind0@example.com")
        .await;
    let device = cloud.provision("J12345678").await;
    assert_eq!(
        cloud.add_device(&tokens.access_token, &device).await.status,
        StatusCode::CREATED
    );
    let code = forwarded(
        &cloud,
        &proxy,
        "/v1/reset-codes",
        "203.0.113.99, 192.0.2.10",
        Some(&tokens.access_token),
        Some(json!({"qr": qr_for(&device, 1)})),
    )
    .await;
    assert_eq!(code.status, StatusCode::OK, "{:?}", code.body);
    let audit: AuditList = cloud.get("/v1/audit", &tokens.access_token).await.json();
    assert_eq!(audit.events.len(), 1);
    assert_eq!(audit.events[0].client_addr.as_deref(), Some("192.0.2.10"));
    cloud.cloud.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line_and_never_carry_a_password_or_a_token() {
    let data = tempfile::tempdir().unwrap();
    let log_path = data.path().join("hc-cloud.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hc-cloud"))
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data.path())
        // Everything every crate logs, the most an operator could turn on.
        .env("RUST_LOG", "trace")
        .env_remove("HC_CLOUD_LOG_FORMAT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("hc-cloud listening on ")
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_owned();
    let http = reqwest::Client::new();
    let call = |method: Method, path: &str, token: Option<&str>, body: Option<Value>| {
        let mut request = http.request(method, format!("{url}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { answer(request.send().await.unwrap()).await }
    };
    let email = "owner@example.com";
    let new_password = "a brand new secret phrase";
    let created = call(
        Method::POST,
        "/v1/accounts",
        None,
        Some(json!({"email": email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let first_tokens: Tokens = call(
        Method::POST,
        "/v1/auth/login",
        None,
        Some(json!({"email": email, "password": PASSWORD})),
    )
    .await
    .json();
    let tokens: Tokens = call(
        Method::POST,
        "/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": first_tokens.refresh_token})),
    )
    .await
    .json();
    assert_eq!(
        call(Method::GET, "/v1/devices", Some(&tokens.access_token), None)
            .await
            .status,
        StatusCode::OK
    );
    let changed = call(
        Method::POST,
        "/v1/auth/password",
        Some(&tokens.access_token),
        Some(json!({"current_password": PASSWORD, "new_password": new_password})),
    )
    .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
    // A wrong password is logged as a failed login, never as the text typed.
    let wrong = "not-the-password-at-all";
    call(
        Method::POST,
        "/v1/auth/login",
        None,
        Some(json!({"email": email, "password": wrong})),
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
    call(
        Method::POST,
        "/v1/auth/logout",
        None,
        Some(json!({"refresh_token": tokens.refresh_token})),
    )
    .await;
    // Logs are written as events happen; give the last lines a moment, then stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = child.kill();
    let _ = child.wait();

    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() > 10, "{} log lines", lines.len());
    for line in &lines {
        let event: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            event["level"].is_string() && event["timestamp"].is_string(),
            "{line}"
        );
    }
    assert!(
        text.contains("hc-cloud started"),
        "the service logged its start"
    );
    assert!(text.contains("/v1/auth/login"), "requests are logged");
    for secret in [
        PASSWORD,
        new_password,
        wrong,
        &first_tokens.access_token,
        &first_tokens.refresh_token,
        &tokens.access_token,
        &tokens.refresh_token,
    ] {
        assert!(!text.contains(secret), "a secret reached the log: {secret}");
    }
}
