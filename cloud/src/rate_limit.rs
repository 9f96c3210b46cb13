//! Fixed-window rate limits counted in the database, so every instance sees the same counts.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::email::normalize_email;
use crate::error::ApiError;
use crate::state::{AppState, secs, unix_now};

/// Counts one hit in `bucket` and refuses with 429 once `limit` hits were made in this window.
pub async fn hit(
    state: &AppState,
    bucket: &str,
    limit: u32,
    window: Duration,
) -> Result<(), ApiError> {
    let now = unix_now();
    let hits = state
        .storage()
        .count_hit(bucket, window_start(now, window))
        .await?;
    refuse_over(now, window, hits, u64::from(limit))
}

/// Refuses with 429, counting nothing, when `bucket` has used its `limit` in this window: for a
/// request whose only use is a later one that this limit would refuse (a new code that no try
/// could be made at).
pub async fn spent(
    state: &AppState,
    bucket: &str,
    limit: u32,
    window: Duration,
) -> Result<(), ApiError> {
    let now = unix_now();
    let hits = state
        .storage()
        .hits(bucket, window_start(now, window))
        .await?;
    // One more hit would be over the limit.
    refuse_over(now, window, hits + 1, u64::from(limit))
}

/// The 429 when `hits` in this window are more than `limit`.
fn refuse_over(now: i64, window: Duration, hits: u64, limit: u64) -> Result<(), ApiError> {
    if hits > limit {
        return Err(refusal(now, window));
    }
    Ok(())
}

/// The 429 of a request over a limit at `now`: come back when this window ends.
pub fn refusal(now: i64, window: Duration) -> ApiError {
    let retry_after =
        u64::try_from(window_start(now, window) + secs(window).max(1) - now).unwrap_or(1);
    ApiError::rate_limited(retry_after)
}

/// The bucket of every reset-code request an account makes.
pub fn reset_codes_of_account(account: i64) -> String {
    format!("reset-codes:account:{account}")
}

/// The bucket of an account's tries at its verification codes, across codes.
pub fn code_tries_of_account(account: i64) -> String {
    format!("code-tries:account:{account}")
}

/// The bucket of the reset-code requests whose QR verifies for a device.
pub fn reset_codes_of_device(serial: &str) -> String {
    format!("reset-codes:device:{serial}")
}

/// The bucket of the reset-code requests from a client address whose QR does not verify.
pub fn unverified_reset_codes_from(addr: &str) -> String {
    format!("reset-codes:unverified:{}", address_bucket(addr))
}

/// The start of the fixed window `now` falls in.
pub fn window_start(now: i64, window: Duration) -> i64 {
    now - now.rem_euclid(secs(window).max(1))
}

/// The bucket name of an email as typed: its normalized form, or for one that does not
/// normalize, a hash of the text itself. So malformed emails are limited too, and variants of
/// one address (case, NFC/NFD) share one bucket.
pub fn email_bucket(raw: &str) -> String {
    match normalize_email(raw) {
        Some(email) => email,
        None => format!(
            "malformed:{}",
            hex::encode(&Sha256::digest(raw.as_bytes())[..16])
        ),
    }
}

/// The bucket name of a client address: an IPv4 address as it is, an IPv6 address by its /64
/// (one subscriber's prefix: an attacker has all of it), an IPv4-mapped IPv6 address as IPv4.
pub fn address_bucket(addr: &str) -> String {
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => addr.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::address_bucket;

    #[test]
    fn an_ipv6_subscriber_is_one_bucket_and_ipv4_is_per_address() {
        assert_eq!(address_bucket("203.0.113.7"), "203.0.113.7");
        assert_eq!(address_bucket("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(
            address_bucket("2001:db8:1:2:aaaa::1"),
            address_bucket("2001:db8:1:2:ffff:1:2:3")
        );
        assert_eq!(address_bucket("2001:db8:1:2::5"), "2001:db8:1:2::/64");
        assert_ne!(
            address_bucket("2001:db8:1:2::1"),
            address_bucket("2001:db8:1:3::1")
        );
    }
}
