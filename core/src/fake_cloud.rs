//! A small stand-in for the cloud, for unit tests that need to count or script what the cloud
//! sees (how many refreshes, whether a code was requested), and for the doc examples (feature
//! `fake-cloud`; never in a shipped build). The end-to-end tests in `tests/` use the real
//! `hc-cloud`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hc_protocol::api::{
    AccountCreated, AccountInfo, AddDeviceRequest, ChangePasswordRequest, CodeSent, Credentials,
    Device, DeviceList, ErrorBody, ErrorCode, ForgotPasswordRequest, RefreshRequest,
    ResetCodeRequest, ResetCodeResponse, ResetPasswordRequest, Tokens, VerifyEmailRequest,
};

#[derive(Default)]
pub struct FakeCloud {
    pub refreshes: AtomicU32,
    pub device_lists: AtomicU32,
    pub code_requests: AtomicU32,
    /// Lifetime given to new access tokens.
    pub access_ttl_secs: Mutex<u64>,
    pub access_token: Mutex<String>,
    pub refresh_token: Mutex<String>,
    pub refuse_refresh: Mutex<bool>,
    pub devices: Mutex<Vec<Device>>,
    /// The e-mail addresses of registrations and logins, as the cloud received them.
    pub registered_emails: Mutex<Vec<String>>,
    pub login_emails: Mutex<Vec<String>>,
    /// The add-device requests, as the cloud received them.
    pub add_requests: Mutex<Vec<AddDeviceRequest>>,
    /// Errors to answer reset-code requests with, first one first; then the code.
    pub code_errors: Mutex<Vec<(StatusCode, ErrorCode)>>,
    /// Errors to answer logins with, first one first (with `Retry-After: 1`); then the tokens.
    pub login_errors: Mutex<Vec<(StatusCode, ErrorCode)>>,
    pub code_delay: Mutex<Duration>,
    /// Accepted password changes: (current, new), as the cloud received them.
    pub password_changes: Mutex<Vec<(String, String)>>,
    pub logouts_everywhere: AtomicU32,
    /// When set, device lists are answered with this status and an HTML page.
    pub device_list_status: Mutex<Option<StatusCode>>,
    /// Whether the account's address is verified ([`MAILED_CODE`] verifies it).
    pub email_verified: Mutex<bool>,
    /// The mailed codes the cloud received, verify and reset alike, as sent.
    pub mailed_codes: Mutex<Vec<String>>,
    /// The addresses "forgot password" was asked for, as the cloud received them.
    pub forgot_emails: Mutex<Vec<String>>,
    /// The serving task: aborted by [`FakeCloud::go_offline`].
    server: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The account password the fake cloud knows (any password logs in; a password change must
/// present this one).
pub const PASSWORD: &str = "correct horse";

/// The one mailed code the fake cloud takes (for verification and for a reset); any other
/// code is refused with 4 tries left.
pub const MAILED_CODE: &str = "123456";

type Shared = Arc<FakeCloud>;

fn error(status: StatusCode, code: ErrorCode) -> Response {
    (status, Json(ErrorBody::new(code, code.as_str()))).into_response()
}

fn authorized(cloud: &FakeCloud, headers: &HeaderMap) -> bool {
    let expected = format!("Bearer {}", cloud.access_token.lock().unwrap());
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

fn issue(cloud: &FakeCloud) -> Tokens {
    let n = cloud.refreshes.load(Ordering::SeqCst);
    *cloud.access_token.lock().unwrap() = format!("access-{n}");
    *cloud.refresh_token.lock().unwrap() = format!("refresh-{n}");
    Tokens {
        access_token: format!("access-{n}"),
        refresh_token: format!("refresh-{n}"),
        expires_in_secs: *cloud.access_ttl_secs.lock().unwrap(),
    }
}

async fn register(State(cloud): State<Shared>, Json(body): Json<Credentials>) -> Response {
    cloud
        .registered_emails
        .lock()
        .unwrap()
        .push(body.email.clone());
    (
        StatusCode::CREATED,
        Json(AccountCreated {
            email: body.email,
            email_verified: false,
        }),
    )
        .into_response()
}

async fn login(State(cloud): State<Shared>, Json(body): Json<Credentials>) -> Response {
    cloud.login_emails.lock().unwrap().push(body.email);
    let scripted = {
        let mut errors = cloud.login_errors.lock().unwrap();
        (!errors.is_empty()).then(|| errors.remove(0))
    };
    if let Some((status, code)) = scripted {
        let mut answer = error(status, code);
        answer
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("1"));
        return answer;
    }
    Json(issue(&cloud)).into_response()
}

async fn refresh(State(cloud): State<Shared>, Json(body): Json<RefreshRequest>) -> Response {
    // Slow, so that racing calls really overlap.
    tokio::time::sleep(Duration::from_millis(100)).await;
    if *cloud.refuse_refresh.lock().unwrap()
        || body.refresh_token != *cloud.refresh_token.lock().unwrap()
    {
        return error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    cloud.refreshes.fetch_add(1, Ordering::SeqCst);
    Json(issue(&cloud)).into_response()
}

async fn devices(State(cloud): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&cloud, &headers) {
        return error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    cloud.device_lists.fetch_add(1, Ordering::SeqCst);
    if let Some(status) = *cloud.device_list_status.lock().unwrap() {
        // What a proxy in front of a cloud that is away says: a page, not the API's error.
        return (status, "<html><body>Service Unavailable</body></html>").into_response();
    }
    Json(DeviceList {
        devices: cloud.devices.lock().unwrap().clone(),
    })
    .into_response()
}

/// Binds any serial, with any label code.
async fn add_device(
    State(cloud): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<AddDeviceRequest>,
) -> Response {
    if !authorized(&cloud, &headers) {
        return error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    let device = Device {
        serial: body.serial.clone(),
        name: body.name.clone().unwrap_or_else(|| body.serial.clone()),
        model: "DS-7608NI-K2".into(),
        added_at: 1_700_000_000,
    };
    cloud.add_requests.lock().unwrap().push(body);
    cloud.devices.lock().unwrap().push(device.clone());
    (StatusCode::CREATED, Json(device)).into_response()
}

async fn reset_code(
    State(cloud): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<ResetCodeRequest>,
) -> Response {
    if !authorized(&cloud, &headers) {
        return error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    cloud.code_requests.fetch_add(1, Ordering::SeqCst);
    let delay = *cloud.code_delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let scripted = {
        let mut errors = cloud.code_errors.lock().unwrap();
        (!errors.is_empty()).then(|| errors.remove(0))
    };
    if let Some((status, code)) = scripted {
        return error(status, code);
    }
    let qr = hc_protocol::parse_qr(&body.qr).unwrap();
    // Like the real cloud: no code for a device that is not in the account.
    let serial = qr.challenge().serial.to_string();
    if !cloud
        .devices
        .lock()
        .unwrap()
        .iter()
        .any(|d| d.serial == serial)
    {
        return error(StatusCode::CONFLICT, ErrorCode::DeviceNotBound);
    }
    Json(ResetCodeResponse {
        serial: qr.challenge().serial.to_string(),
        model: qr.challenge().model.clone(),
        code: "01234567".into(),
        valid_for_secs: hc_protocol::CHALLENGE_LIFETIME_SECS,
    })
    .into_response()
}

/// Like the real cloud: 403 for a wrong current password, 204 otherwise.
async fn change_password(
    State(cloud): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<ChangePasswordRequest>,
) -> Response {
    if !authorized(&cloud, &headers) {
        return error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    if body.current_password != PASSWORD {
        return error(StatusCode::FORBIDDEN, ErrorCode::InvalidCredentials);
    }
    cloud
        .password_changes
        .lock()
        .unwrap()
        .push((body.current_password, body.new_password));
    StatusCode::NO_CONTENT.into_response()
}

/// Ends every session: the access token dies and no refresh is accepted any more.
async fn logout_all(State(cloud): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&cloud, &headers) {
        return error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    cloud.logouts_everywhere.fetch_add(1, Ordering::SeqCst);
    cloud.revoke_access();
    *cloud.refuse_refresh.lock().unwrap() = true;
    StatusCode::NO_CONTENT.into_response()
}

async fn me(State(cloud): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&cloud, &headers) {
        return error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    Json(cloud.account_info()).into_response()
}

async fn verify(
    State(cloud): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<VerifyEmailRequest>,
) -> Response {
    if !authorized(&cloud, &headers) {
        return error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    cloud.mailed_codes.lock().unwrap().push(body.code.clone());
    if body.code != MAILED_CODE {
        let mut body = ErrorBody::new(ErrorCode::InvalidCode, "wrong code");
        body.error.attempts_left = Some(4);
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    *cloud.email_verified.lock().unwrap() = true;
    Json(cloud.account_info()).into_response()
}

async fn resend(State(cloud): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&cloud, &headers) {
        return error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    }
    if *cloud.email_verified.lock().unwrap() {
        return error(StatusCode::CONFLICT, ErrorCode::AlreadyVerified);
    }
    code_sent()
}

fn code_sent() -> Response {
    (
        StatusCode::ACCEPTED,
        Json(CodeSent {
            valid_for_secs: hc_protocol::account_code::ACCOUNT_CODE_VALID_SECS,
        }),
    )
        .into_response()
}

async fn forgot(State(cloud): State<Shared>, Json(body): Json<ForgotPasswordRequest>) -> Response {
    cloud.forgot_emails.lock().unwrap().push(body.email);
    code_sent()
}

/// Like the real cloud: the same `invalid_code`, without tries left, for any wrong code.
async fn reset(State(cloud): State<Shared>, Json(body): Json<ResetPasswordRequest>) -> Response {
    cloud.mailed_codes.lock().unwrap().push(body.code.clone());
    if body.code != MAILED_CODE {
        return error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
    }
    cloud.revoke_access();
    *cloud.email_verified.lock().unwrap() = true;
    StatusCode::NO_CONTENT.into_response()
}

impl FakeCloud {
    fn account_info(&self) -> AccountInfo {
        AccountInfo {
            email: self
                .login_emails
                .lock()
                .unwrap()
                .last()
                .cloned()
                .unwrap_or_default(),
            email_verified: *self.email_verified.lock().unwrap(),
        }
    }

    /// Serves on a loopback port of the calling runtime; returns the state and the base URL.
    pub async fn start() -> (Shared, String) {
        let cloud = Arc::new(FakeCloud {
            access_ttl_secs: Mutex::new(3600),
            ..FakeCloud::default()
        });
        let app = Router::new()
            .route("/v1/accounts", post(register))
            .route("/v1/auth/login", post(login))
            .route("/v1/auth/refresh", post(refresh))
            .route("/v1/auth/logout", post(|| async { StatusCode::NO_CONTENT }))
            .route("/v1/auth/password", post(change_password))
            .route("/v1/auth/logout-all", post(logout_all))
            .route("/v1/accounts/me", get(me))
            .route("/v1/accounts/verify", post(verify))
            .route("/v1/accounts/verify/resend", post(resend))
            .route("/v1/auth/forgot", post(forgot))
            .route("/v1/auth/reset", post(reset))
            .route("/v1/devices", get(devices).post(add_device))
            .route("/v1/reset-codes", post(reset_code))
            .with_state(cloud.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        *cloud.server.lock().unwrap() = Some(server);
        (cloud, url)
    }

    /// Stops listening: a new connection to the cloud's address is refused, as when the phone is
    /// offline (connections already open stay up, so use a new client).
    pub async fn go_offline(&self) {
        let server = self.server.lock().unwrap().take();
        if let Some(server) = server {
            server.abort();
            // Once the task is gone, so is its listener.
            let _ = server.await;
        }
    }

    pub fn add_device(&self, serial: &str) {
        self.devices.lock().unwrap().push(Device {
            serial: serial.into(),
            name: "Shop NVR".into(),
            model: "DS-7608NI-K2".into(),
            added_at: 1_700_000_000,
        });
    }

    /// Makes the current access token dead at the cloud, as if it had expired there.
    pub fn revoke_access(&self) {
        *self.access_token.lock().unwrap() = "revoked".into();
    }
}

/// A loopback HTTP server that is not an hc cloud (an NVR's web page, a router): it answers every
/// request with one fixed answer and records each request's head (request line and headers), so a
/// test can check what a client sent it, a bearer token above all.
pub struct HeaderRecorder {
    pub url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl HeaderRecorder {
    /// Answers `status` with an HTML page, as a device's web server does.
    pub async fn start(status: u16) -> HeaderRecorder {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = heads.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let mut bytes = Vec::new();
                    let mut buffer = [0u8; 4096];
                    // The head, then as much body as it announces, so that closing does not reset.
                    let head_end = loop {
                        let Ok(n) = stream.read(&mut buffer).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        bytes.extend_from_slice(&buffer[..n]);
                        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                            break end + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
                    let length = head
                        .lines()
                        .filter_map(|l| l.split_once(':'))
                        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    while bytes.len() < head_end + length {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
                        }
                    }
                    recorded.lock().unwrap().push(head);
                    let page = "<!doctype html><html><body><h1>NVR login</h1></body></html>";
                    let answer = format!(
                        "HTTP/1.1 {status} Answer\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                        page.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        HeaderRecorder { url, heads }
    }

    /// The heads of the requests received so far.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// Whether any request carried an `Authorization` header.
    pub fn saw_authorization(&self) -> bool {
        self.heads().iter().any(|head| {
            head.lines()
                .any(|l| l.to_ascii_lowercase().starts_with("authorization:"))
        })
    }
}
