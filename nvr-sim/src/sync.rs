//! `POST /v1/device/sync`: the device, online for a moment, proves it holds its key and learns
//! whether it is bound to an account.

use std::time::Duration;

use hc_protocol::api::{DeviceSyncRequest, DeviceSyncResponse, ErrorBody};
use hc_protocol::factory::DeviceRecord;
use hc_protocol::{Nonce, SYNC_VERSION, sync2_request_tag, verify_sync2_answer};

/// Where the cloud is and how to trust it.
#[derive(Clone, Debug)]
pub struct CloudConfig {
    /// Base URL, e.g. `https://127.0.0.1:8443`.
    pub url: String,
    /// An extra root certificate (PEM) for a cloud with a private CA, e.g. in tests.
    pub ca_cert_pem: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the extra CA certificate is not valid PEM: {0}")]
    CaCert(String),
    #[error("cannot reach the cloud at {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("the cloud refused the device key (401): is this device provisioned in that cloud?")]
    Rejected,
    #[error("the cloud answered {status}: {detail}")]
    Server {
        status: u16,
        detail: String,
        /// How long the cloud asked the device to wait (`Retry-After`, or the error body's
        /// `retry_after_secs`), when it did.
        retry_after: Option<Duration>,
    },
    /// The answer's tag does not cover the nonce just sent: forged, replayed or not from the cloud
    /// that holds this device's key. The device keeps what it believed before.
    #[error("the sync answer is not authentic (its tag does not verify): ignored")]
    UnauthenticAnswer,
}

impl SyncError {
    /// Whether trying again later may help by itself: the cloud is unreachable, overloaded
    /// (5xx) or asks the device to slow down (429). The device backs off on these.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Network { .. } => true,
            SyncError::Server { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// How long the cloud asked the device to wait before the next sync, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SyncError::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// What the person at the NVR reads about this failure (the `Display` text is for logs).
    pub fn plain_words(&self) -> String {
        match self {
            SyncError::CaCert(_) => {
                "the cloud's extra CA certificate configured on this NVR is not valid".into()
            }
            SyncError::Network { .. } => {
                "the cloud could not be reached (check the network cable and the cloud address)"
                    .into()
            }
            SyncError::Rejected => {
                "the cloud does not recognise this NVR (it was not provisioned in this cloud)"
                    .into()
            }
            SyncError::Server { status: 429, .. } => {
                "the cloud is busy and asked the NVR to check again later".into()
            }
            SyncError::Server { status, .. } if *status >= 500 => {
                format!("the cloud had a problem (error {status}); the NVR will try again")
            }
            SyncError::Server { status, .. } => {
                format!("the cloud refused the check (error {status})")
            }
            SyncError::UnauthenticAnswer => {
                "an answer claiming to be the cloud's was not authentic and was ignored".into()
            }
        }
    }
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 section 10.2.3), as a wait from now.
fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Builds the HTTP client: rustls, an optional extra root, no proxies (the cloud is addressed
/// directly), bounded timeouts.
pub fn http_client(cloud: &CloudConfig) -> Result<reqwest::Client, SyncError> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15));
    if let Some(pem) = &cloud.ca_cert_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| SyncError::CaCert(e.to_string()))?;
        if certs.is_empty() {
            return Err(SyncError::CaCert("no CERTIFICATE block in the file".into()));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    // With no extra root, building can only fail on the platform's TLS setup; with one, a bad
    // certificate is the likelier cause.
    builder.build().map_err(|e| match cloud.ca_cert_pem {
        Some(_) => SyncError::CaCert(e.to_string()),
        None => SyncError::Network {
            url: cloud.url.clone(),
            detail: e.to_string(),
        },
    })
}

/// Asks the cloud whether this device is bound (sync v2). `unix_now` is the device's wall clock,
/// `nonce` fresh from the device's CSPRNG for this one sync. Only an answer tagged over that nonce
/// is believed.
pub async fn sync_once(
    cloud: &CloudConfig,
    record: &DeviceRecord,
    unix_now: u64,
    nonce: Nonce,
) -> Result<bool, SyncError> {
    let client = http_client(cloud)?;
    let url = format!("{}/v1/device/sync", cloud.url.trim_end_matches('/'));
    let body = DeviceSyncRequest {
        v: SYNC_VERSION,
        serial: record.serial.as_str().to_owned(),
        nonce: nonce.to_hex(),
        ts: unix_now,
        tag: sync2_request_tag(&record.device_key, &record.serial, &nonce, unix_now),
    };
    let network = |e: reqwest::Error| SyncError::Network {
        url: url.clone(),
        detail: e.to_string(),
    };
    let response = client
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(network)?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(SyncError::Rejected);
    }
    if !status.is_success() {
        let header_wait = retry_after_header(response.headers());
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str::<ErrorBody>(&text).ok();
        let body_wait = body
            .as_ref()
            .and_then(|b| b.error.retry_after_secs)
            .map(Duration::from_secs);
        let detail = body
            .map(|e| format!("{}: {}", e.error.code, e.error.message))
            .unwrap_or_else(|| text.chars().take(200).collect());
        return Err(SyncError::Server {
            status: status.as_u16(),
            detail,
            retry_after: header_wait.or(body_wait),
        });
    }
    let answer: DeviceSyncResponse = response.json().await.map_err(network)?;
    if !verify_sync2_answer(
        &record.device_key,
        &record.serial,
        &nonce,
        answer.bound,
        &answer.tag,
    ) {
        return Err(SyncError::UnauthenticAnswer);
    }
    Ok(answer.bound)
}
