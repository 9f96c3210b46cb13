//! Push delivery of the security feed (DESIGN.md section 9): the outbox rows an event was written
//! with are claimed by a worker (a lease, so several instances never send one row at once), sent
//! through a [`PushSender`], and settled: delivered, retried with exponential backoff, or parked
//! as `dead` after the operator's number of attempts. Delivery is at least once; the event's `id`
//! (in the signed body, and in `Hc-Event-Id` for routing) is the idempotency key, so a receiver
//! that de-duplicates by the body's id sees each event exactly once (the header is not signed).
//!
//! The webhook is the one sender here. FCM and APNs senders implement the same trait in a
//! deployment (their credentials are the deployment's, not this reference service's).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::config::PushSettings;
use crate::crypto::push_signature;
use crate::state::{AppState, unix_now};
use crate::storage::{ClaimedDelivery, Settlement};

/// Rows one worker round claims.
const BATCH: u32 = 32;
/// Longest `last_error` kept.
const MAX_ERROR_CHARS: usize = 200;

/// One delivery: where, the event's id and body, and the signing secret.
pub struct Push<'a> {
    pub url: &'a str,
    pub event_id: i64,
    pub body: &'a [u8],
    pub secret: &'a [u8],
}

/// Sends one event to one endpoint. `Err` with a short reason (no secret in it) when the
/// endpoint did not take it.
#[async_trait]
pub trait PushSender: Send + Sync {
    async fn send(&self, push: Push<'_>) -> Result<(), String>;
}

/// Why a push endpoint URL is refused.
pub fn check_url(text: &str, allow_insecure_loopback: bool) -> Result<reqwest::Url, String> {
    if text.chars().count() > hc_protocol::api::MAX_PUSH_URL_CHARS {
        return Err("the URL is too long".into());
    }
    let url = reqwest::Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not carry credentials".into());
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), allow_insecure_loopback)?,
        Some(url::Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), allow_insecure_loopback)?,
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            let local = !name.contains('.')
                || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
                    .iter()
                    .any(|suffix| name.ends_with(suffix));
            if local {
                return Err("the host is not a public name".into());
            }
            false
        }
        None => return Err("the URL has no host".into()),
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err("only https:// URLs are taken".into()),
    }
}

/// `Ok(true)` for an allowed loopback address, `Ok(false)` for a public one.
fn check_ip(ip: IpAddr, allow_insecure_loopback: bool) -> Result<bool, String> {
    if ip.is_loopback() && allow_insecure_loopback {
        return Ok(true);
    }
    if is_public(ip) {
        Ok(false)
    } else {
        Err("the address is loopback, private, link-local or otherwise not public".into())
    }
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared,
/// documentation, benchmarking, multicast, broadcast or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        // NAT64 and IPv4-compatible forms can reach an IPv4 address the v4 rules would refuse.
        || (s[0] == 0x0064 && s[1] == 0xff9b)
        || s[..6].iter().all(|&x| x == 0))
}

/// Resolves webhook hosts and keeps only the addresses a webhook may reach, at every connection:
/// a name that resolved to a public address when the endpoint was registered and to a private
/// one later (DNS rebinding) still cannot reach the private one.
struct GuardedResolver {
    allow_insecure_loopback: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_insecure_loopback;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|addr| check_ip(addr.ip(), allow).is_ok())
                .collect();
            if addrs.is_empty() {
                return Err("the host has no public address".into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The webhook: a signed JSON POST.
pub struct WebhookSender {
    client: reqwest::Client,
    allow_insecure_loopback: bool,
}

impl WebhookSender {
    pub fn new(settings: &PushSettings) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // A redirect would lead anywhere, past the URL rules; the environment's proxy too.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_insecure_loopback: settings.allow_insecure_loopback,
            }))
            .user_agent(concat!("hc-cloud/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(WebhookSender {
            client,
            allow_insecure_loopback: settings.allow_insecure_loopback,
        })
    }
}

#[async_trait]
impl PushSender for WebhookSender {
    async fn send(&self, push: Push<'_>) -> Result<(), String> {
        // The rules again at send time: a row written before the operator tightened them obeys
        // the new ones.
        let url = check_url(push.url, self.allow_insecure_loopback)?;
        let signature = push_signature(push.secret, unix_now(), push.body);
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("hc-event-id", push.event_id.to_string())
            .header("hc-signature", signature)
            .body(push.body.to_vec())
            .send()
            .await
            .map_err(|e| {
                // Without the URL: it may carry a token of the receiver's in its path.
                let kind = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "request failed"
                };
                kind.to_owned()
            })?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered {}", status.as_u16()))
        }
    }
}

/// The delay before retry number `failures` (1 after the first failure): base * 2^(failures-1),
/// at most `cap`. The push and the mail outbox alike.
pub fn backoff(base: Duration, cap: Duration, failures: u32) -> Duration {
    let factor = 1u32
        .checked_shl(failures.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.checked_mul(factor).unwrap_or(cap).min(cap)
}

/// Unix milliseconds now.
pub fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The worker: runs until aborted. Woken at once by events this instance writes, else every
/// `poll_interval`.
pub async fn deliver_forever(state: AppState, sender: Arc<dyn PushSender>) {
    let settings = state.policy().push.clone();
    // A lease outlives the longest POST, so a live worker never loses its row; a dead worker's
    // rows come back after it.
    let lease_for = millis(settings.timeout) * 2 + 1000;
    loop {
        let woken = state.feed().worker().notified();
        // Transfers whose waiting period is over move here, within a poll interval.
        if let Err(error) = crate::routes::transfers::complete_due(&state).await {
            tracing::warn!(code = %error.code, "completing due transfers failed");
        }
        let claimed = match round(&state, &sender, &settings, lease_for).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "push delivery round failed");
                0
            }
        };
        if claimed < BATCH as usize {
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(settings.poll_interval) => {}
            }
        }
    }
}

/// One round: claims due rows, sends them side by side, settles each. How many were claimed.
pub async fn round(
    state: &AppState,
    sender: &Arc<dyn PushSender>,
    settings: &PushSettings,
    lease_for_ms: i64,
) -> Result<usize, crate::storage::StorageError> {
    let now = unix_now_ms();
    let lease = hex::encode(rand::random::<[u8; 16]>());
    let claimed = state
        .storage()
        .claim_deliveries(now, now.saturating_add(lease_for_ms), &lease, BATCH)
        .await?;
    let count = claimed.len();
    let mut sends = tokio::task::JoinSet::new();
    for delivery in claimed {
        let state = state.clone();
        let sender = sender.clone();
        let settings = settings.clone();
        let lease = lease.clone();
        sends.spawn(async move {
            let settlement = attempt(&state, sender.as_ref(), &settings, &delivery).await;
            if let Settlement::Dead { error } = &settlement {
                tracing::warn!(
                    endpoint = delivery.target.endpoint_id,
                    event = delivery.event.id,
                    %error,
                    "push delivery parked as dead"
                );
            }
            if let Err(error) = state
                .storage()
                .settle_delivery(delivery.outbox_id, &lease, &settlement)
                .await
            {
                // The lease runs out and the row is tried again: at least once.
                tracing::warn!(%error, "settling a push delivery failed");
            }
        });
    }
    while sends.join_next().await.is_some() {}
    Ok(count)
}

async fn attempt(
    state: &AppState,
    sender: &dyn PushSender,
    settings: &PushSettings,
    delivery: &ClaimedDelivery,
) -> Settlement {
    let failures = delivery.attempts.saturating_add(1);
    let failed = |error: String| {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        if failures >= settings.max_attempts {
            Settlement::Dead { error }
        } else {
            Settlement::Retry {
                due_at_ms: unix_now_ms().saturating_add(millis(backoff(
                    settings.backoff_base,
                    settings.backoff_cap,
                    failures,
                ))),
                error,
            }
        }
    };
    let Some(secret) = state
        .master_key()
        .open_push_secret(delivery.target.account_id, &delivery.target.sealed_secret)
    else {
        return Settlement::Dead {
            error: "the endpoint's secret does not open under the master key".into(),
        };
    };
    if delivery.target.kind != "webhook" {
        return failed(format!("no sender for {:?}", delivery.target.kind));
    }
    let body = match serde_json::to_vec(&delivery.event) {
        Ok(body) => body,
        Err(error) => {
            return Settlement::Dead {
                error: error.to_string(),
            };
        }
    };
    match sender
        .send(Push {
            url: &delivery.target.url,
            event_id: delivery.event.id,
            body: &body,
            secret: &secret,
        })
        .await
    {
        Ok(()) => Settlement::Delivered,
        Err(error) => failed(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhooks_go_to_public_https_hosts_only() {
        for bad in [
            "http://hooks.example.com/x",
            "ftp://hooks.example.com/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://192.168.0.10/x",
            "https://172.16.0.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://[::1]/x",
            "https://[fe80::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://[64:ff9b::7f00:1]/x",
            "https://localhost/x",
            "https://printer.local/x",
            "https://intranet/x",
            "https://user:pass@hooks.example.com/x",
            "not a url",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        for good in [
            "https://hooks.example.com/hc",
            "https://93.184.216.34/x",
            "https://[2606:4700::1]/x",
        ] {
            assert!(check_url(good, false).is_ok(), "{good}");
        }
    }

    #[test]
    fn the_loopback_flag_opens_plain_http_to_loopback_and_nothing_else() {
        assert!(check_url("http://127.0.0.1:8080/hook", false).is_err());
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(check_url("http://[::1]:8080/hook", true).is_ok());
        assert!(check_url("http://10.0.0.1/hook", true).is_err());
        assert!(check_url("http://hooks.example.com/hook", true).is_err());
        assert!(check_url("http://localhost:8080/hook", true).is_err());
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let settings = PushSettings {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(1),
            ..PushSettings::default()
        };
        assert_eq!(
            backoff(settings.backoff_base, settings.backoff_cap, 1),
            Duration::from_millis(100)
        );
        assert_eq!(
            backoff(settings.backoff_base, settings.backoff_cap, 2),
            Duration::from_millis(200)
        );
        assert_eq!(
            backoff(settings.backoff_base, settings.backoff_cap, 4),
            Duration::from_millis(800)
        );
        assert_eq!(
            backoff(settings.backoff_base, settings.backoff_cap, 5),
            Duration::from_secs(1)
        );
        assert_eq!(
            backoff(settings.backoff_base, settings.backoff_cap, 100),
            Duration::from_secs(1)
        );
    }
}
