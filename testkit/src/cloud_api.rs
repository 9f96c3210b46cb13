//! The cloud alone, for its API tests: a cloud on SQLite or PostgreSQL over real loopback HTTP,
//! and a client that speaks its API as raw JSON (so a test can send what no typed client would).

use std::time::Duration;

use hc_cloud::{Config, ProvisionRequest, RunningCloud};
use hc_protocol::api::{ErrorBody, ErrorCode, Tokens};
use hc_protocol::factory::DeviceRecord;
use hc_protocol::{Challenge, Nonce, Serial};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::mail::{MailFolder, Mails, code_for};

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running cloud with its own temp data folder and database.
pub struct TestCloud {
    pub cloud: RunningCloud,
    pub http: reqwest::Client,
    /// The `.eml` files the cloud writes (when its configuration names no SMTP relay).
    pub mail: MailFolder,
    _data: tempfile::TempDir,
}

impl Backend {
    /// Starts a cloud, or `None` when this backend is unavailable here (PostgreSQL not installed
    /// outside CI).
    pub async fn start(self, tweak: impl FnOnce(Config) -> Config) -> Option<TestCloud> {
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = Config::for_tests(data.path()).with_max_db_connections(4);
        if let Backend::Postgres = self {
            let server = crate::postgres::server()?;
            config = config.with_database_url(server.fresh_database().await);
        }
        Some(TestCloud::launch(tweak(config), data).await)
    }
}

/// One answer: status, headers and the JSON body (Null when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Asserts this is an error answer with `code` and `status`, in the API's error format.
    pub fn assert_error(&self, status: StatusCode, code: ErrorCode) {
        assert_eq!(self.status, status, "{:?}", self.body);
        let error: ErrorBody = serde_json::from_value(self.body.clone())
            .unwrap_or_else(|e| panic!("not an error body ({e}): {}", self.body));
        assert_eq!(error.error.code, code, "{}", self.body);
        assert!(!error.error.message.is_empty());
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_value(self.body.clone())
            .unwrap_or_else(|e| panic!("unexpected body ({e}): {}", self.body))
    }
}

impl TestCloud {
    /// Starts a cloud on `config`, whose data lives in `data`.
    pub async fn launch(config: Config, data: tempfile::TempDir) -> TestCloud {
        let mail = MailFolder::new(config.mail_dir());
        let cloud = hc_cloud::launch(config).await.expect("cloud starts");
        TestCloud {
            cloud,
            mail,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            _data: data,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.cloud.url())
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.call_with(&self.http, method, path, token, body).await
    }

    /// A request through another client, e.g. one from [`client_from`].
    pub async fn call_with(
        &self,
        http: &reqwest::Client,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("request is sent")).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn register(&self, email: &str) {
        let answer = self
            .post(
                "/v1/accounts",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    }

    pub async fn login(&self, email: &str) -> Tokens {
        let answer = self
            .post(
                "/v1/auth/login",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.json()
    }

    /// Registers, logs in and verifies the address with the code from the mail folder: an
    /// account that may add devices. The access token.
    pub async fn account(&self, email: &str) -> String {
        let token = self.unverified_account(email).await;
        self.verify_from(&self.mail, &token, email).await;
        token
    }

    /// Registers and logs in, leaving the address unverified; the access token.
    pub async fn unverified_account(&self, email: &str) -> String {
        self.register(email).await;
        self.login(email).await.access_token
    }

    /// Verifies the session's address with the newest code mailed to `email` in `mails`.
    pub async fn verify_from(&self, mails: &impl Mails, token: &str, email: &str) {
        let code = code_for(mails, email, MAIL_WAIT).await;
        let answer = self
            .post("/v1/accounts/verify", Some(token), json!({ "code": code }))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        assert_eq!(answer.body["email_verified"], true, "{:?}", answer.body);
    }

    pub async fn provision(&self, serial: &str) -> DeviceRecord {
        self.cloud
            .provision(ProvisionRequest::new(
                serial,
                "DS-7608NI-K2/8P",
                "V4.61.005",
            ))
            .await
            .expect("provision")
    }

    pub async fn add_device(&self, token: &str, device: &DeviceRecord) -> Answer {
        self.post(
            "/v1/devices",
            Some(token),
            json!({"serial": device.serial.as_str(), "label_code": device.label_code.as_str()}),
        )
        .await
    }

    pub async fn reset_code(&self, token: &str, qr: &str) -> Answer {
        self.post("/v1/reset-codes", Some(token), json!({"qr": qr}))
            .await
    }
}

/// A client whose connections come from another loopback address (all of 127.0.0.0/8 is
/// loopback), to be another client address for the cloud's per-address limits.
pub fn client_from(addr: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(addr))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:?}"))
    };
    Answer {
        status,
        headers,
        body,
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// How long a test waits for a mail the cloud's outbox worker sends.
pub const MAIL_WAIT: Duration = Duration::from_secs(15);

/// The QR text a device would show for a fresh challenge.
pub fn qr_for(device: &DeviceRecord, nonce_byte: u8) -> String {
    challenge(&device.serial, &device.model, nonce_byte).to_qr_text(&device.device_key)
}

pub fn challenge(serial: &Serial, model: &str, nonce_byte: u8) -> Challenge {
    Challenge::new(
        serial.clone(),
        true,
        1_764_028_800,
        Nonce::from_bytes([nonce_byte; 16]),
        model,
        "V4.61.005",
    )
    .expect("valid challenge")
}
