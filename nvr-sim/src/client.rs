//! A typed client for the simulator's JSON API (`/api/...`): what the NVR's own web page does,
//! as one Rust type. The demo (`hc demo`) drives the NVR with it and so does every Rust test, so
//! the routes and bodies are written here once, beside the server that answers them (`api.rs`
//! serialises the same body types). It is product code: plain HTTP, no test helpers.

use hc_protocol::api::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `GET /api/status`: what the device's status page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NvrStatus {
    pub serial: String,
    pub model: String,
    pub firmware: String,
    pub bound: bool,
    pub admin_password_set: bool,
    pub attempts_left: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_expires_in_secs: Option<u64>,
    /// When the cloud last answered a check-in (device wall clock): "last heard".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_unix: Option<u64>,
    /// Whether a cloud is configured, so the NVR checks in by itself.
    #[serde(default)]
    pub cloud_configured: bool,
    /// The last check-in that failed since the cloud last answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_failure: Option<SyncFailure>,
    /// When the NVR checks in next by itself (device wall clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_sync_unix: Option<u64>,
    /// Wrong admin passwords the login takes before it locks.
    pub login_attempts_left: u32,
    /// How long the login stays locked, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_locked_secs: Option<u64>,
}

/// A check-in with the cloud that failed: when (device wall clock), and why in the words the
/// NVR's page uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncFailure {
    pub at_unix: u64,
    pub reason: String,
}

/// The QR code on screen (Verify by Hik-Connect): its text, how long it lives, codes left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownQr {
    pub qr: String,
    pub expires_in_secs: u64,
    pub attempts_left: u32,
}

/// The device took the code: the token that allows one new password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeAccepted {
    pub reset_token: String,
    pub expires_in_secs: u64,
}

/// Why a call did not give what it asks for.
#[derive(Debug, thiserror::Error)]
pub enum NvrError {
    /// The NVR answered with its error body (wrong code, cooling down, not offered, ...).
    #[error("{status} ({}: {})", body.error.code, body.error.message)]
    Refused {
        status: u16,
        body: ErrorBody,
        /// The `Retry-After` header, in seconds, when the NVR sent one.
        retry_after: Option<u64>,
    },
    /// An answer that is not the API's (a proxy, another server on the port).
    #[error("{status}: not an NVR API answer: {detail}")]
    Unreadable { status: u16, detail: String },
    /// No answer at all.
    #[error("cannot reach the NVR: {0}")]
    Unreachable(String),
}

impl NvrError {
    /// The API's error code when the NVR refused.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            NvrError::Refused { body, .. } => Some(body.error.code),
            _ => None,
        }
    }

    /// The HTTP status when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            NvrError::Refused { status, .. } | NvrError::Unreadable { status, .. } => Some(*status),
            NvrError::Unreachable(_) => None,
        }
    }
}

/// One NVR's JSON API.
#[derive(Clone, Debug)]
pub struct NvrClient {
    http: reqwest::Client,
    url: String,
}

impl NvrClient {
    /// A client for the NVR whose web page is at `url` (`http://127.0.0.1:PORT`). It talks to
    /// the NVR directly, never through a proxy: the NVR is on the local network.
    pub fn new(url: &str) -> Result<NvrClient, NvrError> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| NvrError::Unreachable(e.to_string()))?;
        Ok(NvrClient {
            http,
            url: url.trim_end_matches('/').to_owned(),
        })
    }

    /// The NVR's web page, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn status(&self) -> Result<NvrStatus, NvrError> {
        json_of(self.send(self.http.get(self.api("/status"))).await?).await
    }

    /// Logs in at the NVR's login page.
    pub async fn login(&self, user: &str, password: &str) -> Result<(), NvrError> {
        let body = json!({ "user": user, "password": password });
        self.send(self.http.post(self.api("/login")).json(&body))
            .await
            .map(drop)
    }

    /// Login > Forget Password: the methods the device offers (`hik_connect` when bound).
    pub async fn forget_password_methods(&self) -> Result<Vec<String>, NvrError> {
        #[derive(Deserialize)]
        struct Methods {
            methods: Vec<String>,
        }
        let methods: Methods = json_of(
            self.send(self.http.get(self.api("/forget-password")))
                .await?,
        )
        .await?;
        Ok(methods.methods)
    }

    /// Forget Password > Verify by Hik-Connect: a fresh challenge and its QR code.
    pub async fn start_challenge(&self) -> Result<ShownQr, NvrError> {
        let request = self.http.post(self.api("/forget-password/hik-connect"));
        json_of(self.send(request).await?).await
    }

    /// The challenge on screen now, if any.
    pub async fn current_challenge(&self) -> Result<ShownQr, NvrError> {
        let request = self.http.get(self.api("/forget-password/hik-connect"));
        json_of(self.send(request).await?).await
    }

    /// The QR code on screen as the device renders it (PNG).
    pub async fn qr_png(&self) -> Result<Vec<u8>, NvrError> {
        let response = self.send(self.http.get(self.api("/qr.png"))).await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| NvrError::Unreadable {
            status,
            detail: e.to_string(),
        })?;
        Ok(bytes.to_vec())
    }

    /// Types the verification code.
    pub async fn submit_code(&self, code: &str) -> Result<CodeAccepted, NvrError> {
        let request = self
            .http
            .post(self.api("/forget-password/verify"))
            .json(&json!({ "code": code }));
        json_of(self.send(request).await?).await
    }

    /// Sets the new admin password with the token an accepted code gave.
    pub async fn set_password(&self, reset_token: &str, password: &str) -> Result<(), NvrError> {
        let body = json!({ "reset_token": reset_token, "password": password });
        let request = self
            .http
            .post(self.api("/forget-password/new-password"))
            .json(&body);
        self.send(request).await.map(drop)
    }

    /// The device is online for a moment: it syncs with its cloud and learns whether it is bound.
    pub async fn sync(&self) -> Result<bool, NvrError> {
        #[derive(Deserialize)]
        struct Synced {
            bound: bool,
        }
        let synced: Synced = json_of(self.send(self.http.post(self.api("/sync"))).await?).await?;
        Ok(synced.bound)
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api{path}", self.url)
    }

    /// Sends, and turns anything but a success into a typed error.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, NvrError> {
        let response = request
            .send()
            .await
            .map_err(|e| NvrError::Unreachable(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let text = response.text().await.unwrap_or_default();
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => Err(NvrError::Refused {
                status: status.as_u16(),
                body,
                retry_after,
            }),
            Err(e) => Err(NvrError::Unreadable {
                status: status.as_u16(),
                detail: format!("{e}: {text:.200}"),
            }),
        }
    }
}

async fn json_of<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, NvrError> {
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| NvrError::Unreadable {
        status,
        detail: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| NvrError::Unreadable {
        status,
        detail: format!("{e}: {text:.200}"),
    })
}
