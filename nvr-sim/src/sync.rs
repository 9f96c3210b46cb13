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
    Server { status: u16, detail: String },
    /// The answer's tag does not cover the nonce just sent: forged, replayed or not from the cloud
    /// that holds this device's key. The device keeps what it believed before.
    #[error("the sync answer is not authentic (its tag does not verify): ignored")]
    UnauthenticAnswer,
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
        let text = response.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<ErrorBody>(&text)
            .map(|e| format!("{}: {}", e.error.code, e.error.message))
            .unwrap_or_else(|_| text.chars().take(200).collect());
        return Err(SyncError::Server {
            status: status.as_u16(),
            detail,
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
