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
    /// No answer: offline, refused, timed out, TLS.
    Network(HcError),
    /// An answer, but not an hc cloud's (`HcError::NotAnHcCloud`): not worth another attempt.
    NotAnHcCloud(HcError),
}

impl RequestError {
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, RequestError::Cloud(e) if e.status == 401)
    }

    pub fn into_hc_error(self, serial: Option<&str>) -> HcError {
        match self {
            RequestError::Cloud(error) => error.into_hc_error(serial),
            RequestError::Network(error) | RequestError::NotAnHcCloud(error) => error,
        }
    }

    /// Worth another attempt: the request may not have reached the cloud, or the cloud had a
    /// passing problem.
    fn is_transient(&self) -> bool {
        match self {
            RequestError::Network(_) => true,
            RequestError::NotAnHcCloud(_) => false,
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
    cloud: SessionCloud,
    /// `request_timeout_ms`: a long poll's requests get their wait on top.
    timeout: Duration,
}

/// Which cloud a session belongs to: the origin that issued its tokens (scheme, host, port) and,
/// over TLS, the trust its certificate was checked with. The tokens go to this cloud only.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SessionCloud {
    /// `https://cloud.example.com`, `http://127.0.0.1:8080` (the default port left out).
    pub origin: String,
    /// `web-roots`, or `web-roots+sha256:<hex>` of the extra root certificates (their PEM text,
    /// line ends and surrounding space aside).
    pub trust: String,
}

/// The cloud address as a URL. A full URL is taken as given (`https://`, or `http://` when typed);
/// an address without a scheme (`host:port`, `host`) is `http://` on this machine's loopback
/// (`localhost`, `127.x.x.x`, `[::1]`, where `hc-cloud serve` listens by default) and `https://`
/// everywhere else, so that tokens never cross a network in clear unless asked to.
///
/// ```text
/// 127.0.0.1:8080           -> http://127.0.0.1:8080
/// localhost:8080           -> http://localhost:8080
/// cloud.example.com        -> https://cloud.example.com
/// 192.168.1.20:8443        -> https://192.168.1.20:8443
/// http://192.168.1.20:8080 -> http://192.168.1.20:8080
/// ```
pub(crate) fn cloud_base_url(given: &str) -> Result<reqwest::Url, HcError> {
    let trimmed = given.trim().trim_end_matches('/');
    let invalid = |detail: &str| HcError::InvalidCloudAddress {
        cloud: given.trim().to_owned(),
        detail: detail.to_owned(),
    };
    if trimmed.is_empty() {
        return Err(invalid("the address is empty"));
    }
    // Whether a scheme was typed is read before the trailing slashes go: `http://` alone is a
    // scheme without a host, not the host `http`.
    let text = if given.contains("://") {
        trimmed.to_owned()
    } else {
        let host = reqwest::Url::parse(&format!("http://{trimmed}"))
            .map_err(|e| invalid(&format!("not a host or host:port ({e})")))?;
        let scheme = if is_loopback(&host) { "http" } else { "https" };
        format!("{scheme}://{trimmed}")
    };
    let url = reqwest::Url::parse(&text).map_err(|e| invalid(&format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid(&format!(
            "{}:// is not a scheme a cloud is reached with; use https:// (http:// on loopback)",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) || url.query().is_some() || url.fragment().is_some()
    {
        return Err(invalid(
            "it has no host, or a query or fragment; give a host, a port and at most a path",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it has a user name or password in it; an account logs in with hc login instead",
        ));
    }
    Ok(url)
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The trust a TLS connection is checked with, as [`SessionCloud::trust`] names it.
fn trust_of(extra_root_ca_pem: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    match extra_root_ca_pem {
        None => "web-roots".to_owned(),
        Some(pem) => {
            let mut hash = Sha256::new();
            for line in pem.lines().map(str::trim).filter(|l| !l.is_empty()) {
                hash.update(line.as_bytes());
                hash.update(b"\n");
            }
            format!("web-roots+sha256:{}", hex::encode(hash.finalize()))
        }
    }
}

impl CloudHttp {
    pub fn new(config: &ClientConfig) -> Result<Self, HcError> {
        let parsed = cloud_base_url(&config.cloud_url)?;
        let base_url = parsed.as_str().trim_end_matches('/').to_owned();
        let cloud = SessionCloud {
            origin: parsed.origin().ascii_serialization(),
            trust: if parsed.scheme() == "https" {
                trust_of(config.extra_root_ca_pem.as_deref())
            } else {
                "none".to_owned()
            },
        };
        let timeout = Duration::from_millis(config.request_timeout_ms.max(1));
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("hc-core/", env!("CARGO_PKG_VERSION")))
            // The API never redirects: a redirect is some other server's answer, and following
            // one could carry the bearer token to another origin.
            .redirect(reqwest::redirect::Policy::none())
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
        Ok(CloudHttp {
            client,
            base_url,
            cloud,
            timeout,
        })
    }

    /// The cloud this client talks to: the one a session it starts belongs to.
    pub fn cloud(&self) -> &SessionCloud {
        &self.cloud
    }

    fn not_an_hc_cloud(&self, detail: String) -> RequestError {
        RequestError::NotAnHcCloud(HcError::NotAnHcCloud {
            cloud: self.cloud.origin.clone(),
            detail,
        })
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
        self.send_waiting(method, path, body, bearer, retry, Duration::ZERO)
            .await
    }

    /// [`CloudHttp::send`] for a request the cloud may hold for `wait` (a long poll): its
    /// timeout is the usual one plus `wait`.
    pub async fn send_waiting<B, T>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        bearer: Option<&str>,
        retry: Retry,
        wait: Duration,
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
            match self
                .send_once(method.clone(), path, body, bearer, wait)
                .await
            {
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
        wait: Duration,
    ) -> Result<T, RequestError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base_url));
        if !wait.is_zero() {
            request = request.timeout(self.timeout.saturating_add(wait));
        }
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
                self.not_an_hc_cloud(format!("unexpected answer to {method} {path}: {e}"))
            });
        }
        let retry_after_header = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = response.bytes().await.unwrap_or_default();
        let error = cloud_error(status, &body, retry_after_header);
        match error {
            Some(error)
                if !matches!(error.status, 404 | 405)
                    || may_name_a_missing_thing(&method, path) =>
            {
                Err(RequestError::Cloud(error))
            }
            // Every route the app calls exists on an hc cloud, so "no such route" means this is
            // not one (another service, or the right host with a wrong path); only the calls that
            // name a thing by its id can be told "not found" about it.
            Some(error) => Err(self.not_an_hc_cloud(format!(
                "{method} {path}: {} {} (no such route)",
                error.status, error.code
            ))),
            None => Err(self.not_an_hc_cloud(format!(
                "{method} {path}: {status} without the API's error body"
            ))),
        }
    }
}

/// Whether a 404 to this call may be about what it names rather than the route: removing a device
/// or a push endpoint, answering a transfer request (another account's, settled, or unknown).
fn may_name_a_missing_thing(method: &Method, path: &str) -> bool {
    *method == Method::DELETE || (*method == Method::POST && path.starts_with("/v1/transfers/"))
}

/// Reads the API's `{"error": {...}}` body. An answer without it is some other server's, except
/// what sits in front of a cloud says when the cloud is away or busy (`502`/`503`/`504`, `429`,
/// often as an HTML page): those get a code chosen from the status. `None` is "not an hc cloud".
fn cloud_error(
    status: StatusCode,
    body: &[u8],
    retry_after_header: Option<u64>,
) -> Option<CloudError> {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody { error }) => Some(CloudError {
            status: status.as_u16(),
            code: error.code,
            detail: error.message,
            retry_after_secs: retry_after_header.or(error.retry_after_secs),
            attempts_left: error.attempts_left,
        }),
        Err(_) => {
            let code = match status {
                StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
                StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
                StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => ErrorCode::Internal,
                _ => return None,
            };
            Some(CloudError {
                status: status.as_u16(),
                code,
                detail: status.canonical_reason().unwrap_or("error").to_owned(),
                retry_after_secs: retry_after_header,
                attempts_left: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_gives_code_and_delay() {
        let body =
            br#"{"error":{"code":"rate_limited","message":"slow down","retry_after_secs":9}}"#;
        let error = cloud_error(StatusCode::TOO_MANY_REQUESTS, body, None).unwrap();
        assert_eq!(error.code, ErrorCode::RateLimited);
        assert_eq!(error.retry_after_secs, Some(9));
        // The header, when present, is what HTTP caches and proxies honour too.
        let error = cloud_error(StatusCode::TOO_MANY_REQUESTS, body, Some(30)).unwrap();
        assert_eq!(error.retry_after_secs, Some(30));
    }

    #[test]
    fn a_proxy_page_in_front_of_a_busy_cloud_still_gives_a_code() {
        let error = cloud_error(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>", None);
        assert_eq!(
            error.map(|e| (e.status, e.code)),
            Some((502, ErrorCode::Internal))
        );
        let error = cloud_error(
            StatusCode::SERVICE_UNAVAILABLE,
            b"<html>down</html>",
            Some(3),
        );
        assert_eq!(
            error.map(|e| (e.code, e.retry_after_secs)),
            Some((ErrorCode::Unavailable, Some(3)))
        );
    }

    #[test]
    fn an_answer_without_the_api_error_body_is_not_an_hc_cloud() {
        for status in [
            StatusCode::UNAUTHORIZED,
            StatusCode::NOT_FOUND,
            StatusCode::OK,
        ] {
            assert!(cloud_error(status, b"<html>NVR login</html>", None).is_none());
        }
    }

    #[test]
    fn a_bare_host_and_port_is_http_on_loopback_and_https_elsewhere() {
        let url = |given: &str| cloud_base_url(given).map(|u| u.to_string());
        assert_eq!(url("127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080/");
        assert_eq!(url("localhost:8080").unwrap(), "http://localhost:8080/");
        assert_eq!(url("[::1]:8080").unwrap(), "http://[::1]:8080/");
        assert_eq!(
            url("cloud.example.com").unwrap(),
            "https://cloud.example.com/"
        );
        assert_eq!(
            url("192.168.1.20:8443").unwrap(),
            "https://192.168.1.20:8443/"
        );
        assert_eq!(
            url("http://192.168.1.20:8080/").unwrap(),
            "http://192.168.1.20:8080/"
        );
        for bad in [
            "",
            "ftp://127.0.0.1",
            "http://",
            "https:///",
            "not a url",
            "https://user:pw@cloud.example.com",
        ] {
            assert!(
                matches!(
                    cloud_base_url(bad),
                    Err(HcError::InvalidCloudAddress { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_session_names_its_cloud_by_origin_and_trust() {
        let cloud = |url: &str, pem: Option<&str>| {
            let mut config = ClientConfig::new(url);
            config.extra_root_ca_pem = pem.map(str::to_owned);
            CloudHttp::new(&config).map(|http| http.cloud().clone())
        };
        assert_eq!(
            cloud("127.0.0.1:8080/", None).unwrap(),
            SessionCloud {
                origin: "http://127.0.0.1:8080".into(),
                trust: "none".into()
            }
        );
        let web = cloud("https://cloud.example.com:443", None).unwrap();
        assert_eq!(
            (web.origin.as_str(), web.trust.as_str()),
            ("https://cloud.example.com", "web-roots")
        );
        // Another private CA is another trust, whatever the line ends.
        let a = trust_of(Some(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ));
        let a_crlf = trust_of(Some(
            "-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----",
        ));
        let b = trust_of(Some(
            "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n",
        ));
        assert_eq!(a, a_crlf);
        assert_ne!(a, b);
        assert!(a.starts_with("web-roots+sha256:"));
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
