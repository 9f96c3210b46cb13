//! The cloud API over HTTPS: one reqwest client, JSON bodies, error answers parsed into
//! [`CloudError`], and retries with exponential backoff for idempotent requests only.

use std::time::Duration;

use hc_protocol::api::{ErrorBody, ErrorCode};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::ClientConfig;
use crate::error::{CloudError, HcError, network_error};

/// Attempts for an idempotent request, the first one included.
const MAX_ATTEMPTS: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest a request waits for a busy cloud (`503 unavailable` with `Retry-After`) before its one
/// more try: past that the user is better told, and can tap again.
const MAX_CAPACITY_WAIT: Duration = Duration::from_secs(2);

/// Why a request failed, before the caller gives it a meaning.
#[derive(Debug)]
pub(crate) enum RequestError {
    /// The cloud answered with an error.
    Cloud(CloudError),
    /// No usable answer: offline, refused, timed out, TLS, or a body that does not parse.
    Network(HcError),
}

impl RequestError {
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, RequestError::Cloud(e) if e.status == 401)
    }

    pub fn into_hc_error(self, serial: Option<&str>) -> HcError {
        match self {
            RequestError::Cloud(error) => error.into_hc_error(serial),
            RequestError::Network(error) => error,
        }
    }

    /// Worth another attempt: the request may not have reached the cloud, or the cloud had a
    /// passing problem.
    fn is_transient(&self) -> bool {
        match self {
            RequestError::Network(_) => true,
            RequestError::Cloud(e) => matches!(e.status, 502..=504),
        }
    }
}

/// Whether a request may be repeated without changing its effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// GETs, and the reset-code POST (the same QR always yields the same code).
    Idempotent,
    Once,
}

pub(crate) struct CloudHttp {
    client: reqwest::Client,
    base_url: String,
}

impl CloudHttp {
    pub fn new(config: &ClientConfig) -> Result<Self, HcError> {
        let base_url = config.cloud_url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base_url).map_err(|e| HcError::Network {
            detail: format!("cloud_url is not a URL: {e}"),
        })?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(HcError::Network {
                detail: "cloud_url must be https:// (or http:// for local development)".into(),
            });
        }
        let timeout = Duration::from_millis(config.request_timeout_ms.max(1));
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("hc-core/", env!("CARGO_PKG_VERSION")))
            .https_only(parsed.scheme() == "https");
        if let Some(pem) = &config.extra_root_ca_pem {
            let certificates =
                reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                    HcError::Network {
                        detail: format!("extra_root_ca_pem is not a PEM certificate: {e}"),
                    }
                })?;
            if certificates.is_empty() {
                return Err(HcError::Network {
                    detail: "extra_root_ca_pem holds no certificate".into(),
                });
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let client = builder.build().map_err(|e| network_error(&e))?;
        Ok(CloudHttp { client, base_url })
    }

    /// Sends one request, retrying transient failures of idempotent ones with exponential backoff.
    pub async fn send<B, T>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        bearer: Option<&str>,
        retry: Retry,
    ) -> Result<T, RequestError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let attempts = match retry {
            Retry::Idempotent => MAX_ATTEMPTS,
            Retry::Once => 1,
        };
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        let mut waited_for_capacity = false;
        loop {
            match self.send_once(method.clone(), path, body, bearer).await {
                // `503 unavailable` means the cloud did nothing with the request (its password
                // hashing is full, or its database is away for a moment), so even a login may be
                // sent once more after the short wait the cloud asks for.
                Err(RequestError::Cloud(error))
                    if !waited_for_capacity
                        && error.status == 503
                        && error.code == ErrorCode::Unavailable =>
                {
                    waited_for_capacity = true;
                    let wait = Duration::from_secs(error.retry_after_secs.unwrap_or(1))
                        .min(MAX_CAPACITY_WAIT);
                    tracing::debug!(target: "hc_core::http", %method, path, "cloud busy, retrying once");
                    tokio::time::sleep(wait).await;
                }
                Err(error) if attempt < attempts && error.is_transient() => {
                    tracing::debug!(target: "hc_core::http", %method, path, attempt, "transient failure, retrying");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn send_once<B, T>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        bearer: Option<&str>,
    ) -> Result<T, RequestError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base_url));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| RequestError::Network(network_error(&e)))?;
        let status = response.status();
        tracing::debug!(target: "hc_core::http", %method, path, status = status.as_u16(), "cloud answered");
        if status.is_success() {
            let bytes = response
                .bytes()
                .await
                .map_err(|e| RequestError::Network(network_error(&e)))?;
            // Endpoints that answer with no content deserialize from `null`.
            let bytes = if bytes.is_empty() {
                &b"null"[..]
            } else {
                &bytes[..]
            };
            return serde_json::from_slice(bytes).map_err(|e| {
                RequestError::Network(HcError::Network {
                    detail: format!("unexpected answer to {method} {path}: {e}"),
                })
            });
        }
        let retry_after_header = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = response.bytes().await.unwrap_or_default();
        Err(RequestError::Cloud(cloud_error(
            status,
            &body,
            retry_after_header,
        )))
    }
}

/// Reads the API's `{"error": {...}}` body; a proxy's HTML page or an empty body still yields a
/// code chosen from the status.
fn cloud_error(status: StatusCode, body: &[u8], retry_after_header: Option<u64>) -> CloudError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody { error }) => CloudError {
            status: status.as_u16(),
            code: error.code,
            detail: error.message,
            retry_after_secs: retry_after_header.or(error.retry_after_secs),
        },
        Err(_) => CloudError {
            status: status.as_u16(),
            code: match status {
                StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
                StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
                StatusCode::NOT_FOUND => ErrorCode::NotFound,
                StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
                s if s.is_server_error() => ErrorCode::Internal,
                _ => ErrorCode::Unknown,
            },
            detail: status.canonical_reason().unwrap_or("error").to_owned(),
            retry_after_secs: retry_after_header,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_gives_code_and_delay() {
        let body =
            br#"{"error":{"code":"rate_limited","message":"slow down","retry_after_secs":9}}"#;
        let error = cloud_error(StatusCode::TOO_MANY_REQUESTS, body, None);
        assert_eq!(error.code, ErrorCode::RateLimited);
        assert_eq!(error.retry_after_secs, Some(9));
        // The header, when present, is what HTTP caches and proxies honour too.
        let error = cloud_error(StatusCode::TOO_MANY_REQUESTS, body, Some(30));
        assert_eq!(error.retry_after_secs, Some(30));
    }

    #[test]
    fn a_body_that_is_not_ours_still_gives_a_code() {
        let error = cloud_error(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>", None);
        assert_eq!((error.status, error.code), (502, ErrorCode::Internal));
        let error = cloud_error(StatusCode::UNAUTHORIZED, b"", None);
        assert_eq!(error.code, ErrorCode::Unauthorized);
    }

    #[test]
    fn only_http_and_https_urls_are_accepted() {
        assert!(CloudHttp::new(&ClientConfig::new("ftp://127.0.0.1")).is_err());
        assert!(CloudHttp::new(&ClientConfig::new("not a url")).is_err());
        assert!(CloudHttp::new(&ClientConfig::new("https://127.0.0.1:8443/")).is_ok());
    }

    #[test]
    fn a_broken_extra_root_is_refused() {
        let mut config = ClientConfig::new("https://127.0.0.1:8443");
        config.extra_root_ca_pem = Some("not pem".into());
        assert!(matches!(
            CloudHttp::new(&config),
            Err(HcError::Network { .. })
        ));
    }
}
