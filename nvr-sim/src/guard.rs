//! What every request passes before a handler, and what every answer carries.
//!
//! - The `Host` it names must be one this NVR serves under. A DNS-rebinding page (a site whose
//!   name the attacker re-points at the NVR's address) names its own host, so it is refused even
//!   though the browser thinks it is same-origin.
//! - A state-changing request a browser sends must come from the NVR's own pages (`Origin`):
//!   any web page could otherwise post wrong codes to the NVR on the owner's network and burn the
//!   challenge. Browsers always send `Origin` on cross-site posts; scripts and tests send none.
//! - Every answer forbids framing (clickjacking) and limits what a page may load.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hc_protocol::api::{ErrorBody, ErrorCode};

/// The pages use nothing but their own stylesheet, images, forms and the one countdown script
/// (allowed by its hash: no other inline script runs, injected or not).
pub(crate) static CONTENT_SECURITY_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let policy = format!(
        "default-src 'none'; img-src 'self'; style-src 'self'; script-src {}; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        *crate::html::SCRIPT_HASH
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
});

/// The host names this NVR answers to.
#[derive(Debug, Clone)]
pub(crate) struct Hosts {
    listen: IpAddr,
    names: Vec<String>,
}

impl Hosts {
    /// The address it listens on, `localhost`, and the names given (`--allowed-host`); a name
    /// that cannot be a host never matches.
    pub fn new(listen: SocketAddr, allowed: &[String]) -> Self {
        Hosts {
            listen: listen.ip(),
            names: allowed.iter().filter_map(|n| host_name(n)).collect(),
        }
    }

    /// Whether a `Host` header names this NVR. Listening on all addresses, it serves under any
    /// address literal (a rebinding page can only name a host name, never the address). The
    /// port is not compared: a port forward may change it, and it is not what rebinding fakes.
    pub fn serves(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        if name == "localhost" || self.names.contains(&name) {
            return true;
        }
        match name.parse::<IpAddr>() {
            Ok(ip) => self.listen.is_unspecified() || ip == self.listen,
            Err(_) => false,
        }
    }
}

/// The name part of a `Host` value (`name`, `name:port`, `[v6]:port`), lowercase, without a
/// trailing dot; `None` if it is not a host.
fn host_name(host: &str) -> Option<String> {
    let valid_port = |port: &str| port.parse::<u16>().is_ok();
    let name = match host.strip_prefix('[') {
        Some(rest) => {
            let (inside, after) = rest.split_once(']')?;
            if !(after.is_empty() || after.strip_prefix(':').is_some_and(valid_port)) {
                return None;
            }
            inside.parse::<std::net::Ipv6Addr>().ok()?;
            inside
        }
        None => match host.split_once(':') {
            Some((name, port)) if valid_port(port) => name,
            Some(_) => return None,
            None => host,
        },
    };
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':');
    (!name.is_empty() && name.chars().all(allowed)).then_some(name)
}

/// The middleware: checks the host and the origin, then adds the browser's limits.
pub(crate) async fn guard(
    State(hosts): State<Arc<Hosts>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let Some(host) = text(headers, header::HOST).filter(|host| hosts.serves(host)) else {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this device does not serve under that host name",
        );
    };
    let changes_state = request.method() != Method::GET && request.method() != Method::HEAD;
    if changes_state
        && let Some(origin) = text(headers, header::ORIGIN)
        && origin.strip_prefix("http://") != Some(host)
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "cross-site requests are not accepted",
        );
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let limits = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not `no-referrer`: with it browsers send `Origin: null` on the NVR's own form posts.
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in limits {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY.clone(),
    );
    response
}

fn text(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody::new(ErrorCode::BadRequest, message);
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nvr_serves_under_its_address_localhost_and_the_names_it_was_given() {
        let hosts = Hosts::new(
            "127.0.0.1:8080".parse().unwrap(),
            &["NVR.example.".to_owned()],
        );
        for ours in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "localhost:8080",
            "LOCALHOST",
            "nvr.example:81",
        ] {
            assert!(hosts.serves(ours), "{ours}");
        }
        for theirs in [
            "evil.example:8080",
            "nvr.example.evil.example",
            "10.0.0.1:8080",
            "[::1]:8080",
            "",
            "localhost:99999",
            "local host",
        ] {
            assert!(!hosts.serves(theirs), "{theirs}");
        }
    }

    #[test]
    fn listening_on_every_address_any_address_literal_is_ours_but_no_other_name() {
        let hosts = Hosts::new("0.0.0.0:80".parse().unwrap(), &[]);
        assert!(hosts.serves("192.168.1.64"));
        assert!(hosts.serves("[fe80::1]:80"));
        assert!(!hosts.serves("rebind.attacker.example"));
    }
}
