//! The whole cloud router (`hc_cloud::app`) driven with `tower::ServiceExt::oneshot`: arbitrary
//! bodies, content types and bearer tokens on every route, against a temp SQLite database that
//! holds one account with one bound device (so a well-formed reset-code request goes all the way).
//!
//! Checked on every answer: no 5xx (a client cannot make the service fail), and every error is
//! the API's JSON error body.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::Arbitrary;
use axum::body::Body;
use axum::http::{Method, Request, header};
use hc_cloud::{Config, ProvisionRequest, RateLimits, RunningCloud};
use hc_protocol::api::ErrorBody;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct World {
    runtime: tokio::runtime::Runtime,
    cloud: RunningCloud,
    token: String,
    refresh: String,
    _data: tempfile::TempDir,
}

const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/accounts"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/refresh"),
    ("POST", "/v1/auth/logout"),
    ("GET", "/v1/devices"),
    ("POST", "/v1/devices"),
    ("DELETE", "/v1/devices/J12345678"),
    ("POST", "/v1/reset-codes"),
    ("GET", "/v1/audit?limit=5"),
    ("POST", "/v1/device/sync"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
];

#[derive(Arbitrary, Debug)]
struct Input {
    route: u8,
    /// 0: none, 1: the live access token, 2: the refresh token as a bearer, 3: `token` bytes.
    auth: u8,
    token: String,
    json_content_type: bool,
    /// A path of the fuzzer's own instead of a route.
    own_path: Option<String>,
    body: Vec<u8>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let data = tempfile::tempdir().expect("temp dir");
        let config = Config::for_tests(data.path())
            .with_request_timeout(Duration::from_secs(30))
            // The fuzzer would hit any limit at once and then only ever see 429.
            .with_rate_limits(RateLimits::unlimited());
        let (cloud, token, refresh) = runtime.block_on(async {
            let cloud = hc_cloud::launch(config).await.expect("cloud starts");
            let device = cloud
                .provision(ProvisionRequest::new("J12345678", "DS-7608NI", "V4.61.005"))
                .await
                .expect("provision");
            let app = hc_cloud::app(cloud.state().clone());
            let call = |path: &str, token: Option<&str>, body: String| {
                let mut request =
                    Request::post(path).header(header::CONTENT_TYPE, "application/json");
                if let Some(token) = token {
                    request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
                }
                app.clone().oneshot(request.body(Body::from(body)).unwrap())
            };
            let credentials = r#"{"email":"fuzz@example.com","password":"correct horse battery"}"#;
            call("/v1/accounts", None, credentials.into())
                .await
                .unwrap();
            let login = call("/v1/auth/login", None, credentials.into())
                .await
                .unwrap();
            let bytes = axum::body::to_bytes(login.into_body(), 1 << 16)
                .await
                .unwrap();
            let tokens: hc_protocol::api::Tokens = serde_json::from_slice(&bytes).unwrap();
            let add = format!(
                r#"{{"serial":"J12345678","label_code":"{}"}}"#,
                device.label_code.as_str()
            );
            call("/v1/devices", Some(&tokens.access_token), add)
                .await
                .unwrap();
            (cloud, tokens.access_token, tokens.refresh_token)
        });
        World {
            runtime,
            cloud,
            token,
            refresh,
            _data: data,
        }
    })
}

fuzz_target!(|input: Input| {
    let world = world();
    let (method, path) = ROUTES[usize::from(input.route) % ROUTES.len()];
    let path = match &input.own_path {
        Some(own) if own.starts_with('/') => own.as_str(),
        _ => path,
    };
    let mut request = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(path);
    if input.json_content_type {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let bearer = match input.auth % 4 {
        0 => None,
        1 => Some(world.token.clone()),
        2 => Some(world.refresh.clone()),
        _ => Some(input.token.clone()),
    };
    if let Some(bearer) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
    }
    // Not every fuzzed path or header is a valid HTTP request; hyper would refuse those first.
    let Ok(request) = request.body(Body::from(input.body)) else {
        return;
    };
    let app = hc_cloud::app(world.cloud.state().clone());
    world.runtime.block_on(async {
        let response = app.oneshot(request).await.expect("infallible");
        let status = response.status();
        assert!(!status.is_server_error(), "{method} {path}: {status}");
        if status.is_client_error() {
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            let body: Result<ErrorBody, _> = serde_json::from_slice(&bytes);
            assert!(body.is_ok(), "{status} without the error body: {bytes:?}");
        }
    });
});
