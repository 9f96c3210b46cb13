//! The tags of `POST /v1/device/sync` (DESIGN.md section 3).
//!
//! v2 is a challenge and response: the device draws a fresh nonce for every sync, tags its request
//! over it, and accepts only an answer whose tag covers that same nonce and the bound flag. A replayed
//! request earns an answer for a stale nonce (which no device accepts), and an answer forged by a
//! network attacker changes nothing in either direction. v1 (`sync_tag`) is retired: it is kept only
//! so the vectors that record it stay tested.

use subtle::ConstantTimeEq;

use crate::keys::{DeviceKey, hmac};
use crate::qr::{Nonce, Serial};

/// The `v` a sync v2 request carries.
pub const SYNC_VERSION: u8 = 2;
/// Bytes of a sync tag (HMAC-SHA256), sent as hex.
pub const SYNC_TAG_LEN: usize = 32;

/// v1, retired: `hex(HMAC(k_sync, "HCR1-sync" || serial || u64 ts))`, lowercase.
pub fn sync_tag(key: &DeviceKey, serial: &Serial, ts: u64) -> String {
    hex::encode(sync_tag_bytes_v1(key, serial, ts))
}

/// v1, retired: checks a v1 tag in constant time.
pub fn verify_sync_tag(key: &DeviceKey, serial: &Serial, ts: u64, tag_hex: &str) -> bool {
    ct_eq_hex(&sync_tag_bytes_v1(key, serial, ts), tag_hex)
}

fn sync_tag_bytes_v1(key: &DeviceKey, serial: &Serial, ts: u64) -> [u8; 32] {
    hmac(
        &key.derive().k_sync,
        &[b"HCR1-sync", serial.as_str().as_bytes(), &ts.to_be_bytes()],
    )
}

/// The device's v2 request tag: `hex(HMAC(k_sync, "HCR1-sync2" || serial || nonce || u64 ts))`.
pub fn sync2_request_tag(key: &DeviceKey, serial: &Serial, nonce: &Nonce, ts: u64) -> String {
    hex::encode(request_mac(key, serial, nonce, ts))
}

/// The cloud's check of a v2 request tag, in constant time. Uppercase hex is accepted.
pub fn verify_sync2_request(
    key: &DeviceKey,
    serial: &Serial,
    nonce: &Nonce,
    ts: u64,
    tag_hex: &str,
) -> bool {
    ct_eq_hex(&request_mac(key, serial, nonce, ts), tag_hex)
}

/// The cloud's v2 answer tag: `hex(HMAC(k_sync, "HCR1-sync2-answer" || serial || nonce || u8 bound))`.
pub fn sync2_answer_tag(key: &DeviceKey, serial: &Serial, nonce: &Nonce, bound: bool) -> String {
    hex::encode(answer_mac(key, serial, nonce, bound))
}

/// The device's check of an answer against the nonce it has just sent, in constant time. An answer
/// that does not verify must change nothing on the device.
pub fn verify_sync2_answer(
    key: &DeviceKey,
    serial: &Serial,
    nonce: &Nonce,
    bound: bool,
    tag_hex: &str,
) -> bool {
    ct_eq_hex(&answer_mac(key, serial, nonce, bound), tag_hex)
}

fn request_mac(key: &DeviceKey, serial: &Serial, nonce: &Nonce, ts: u64) -> [u8; 32] {
    hmac(
        &key.derive().k_sync,
        &[
            b"HCR1-sync2",
            serial.as_str().as_bytes(),
            nonce.as_bytes(),
            &ts.to_be_bytes(),
        ],
    )
}

fn answer_mac(key: &DeviceKey, serial: &Serial, nonce: &Nonce, bound: bool) -> [u8; 32] {
    hmac(
        &key.derive().k_sync,
        &[
            b"HCR1-sync2-answer",
            serial.as_str().as_bytes(),
            nonce.as_bytes(),
            &[u8::from(bound)],
        ],
    )
}

/// Constant-time comparison of a MAC with received hex; wrong length or bad hex is simply unequal.
fn ct_eq_hex(expected: &[u8; SYNC_TAG_LEN], tag_hex: &str) -> bool {
    let mut received = [0u8; SYNC_TAG_LEN];
    if tag_hex.len() != 64 || hex::decode_to_slice(tag_hex, &mut received).is_err() {
        return false;
    }
    expected.ct_eq(&received).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> (DeviceKey, Serial, Nonce) {
        (
            DeviceKey::from_bytes([7; 32]),
            Serial::parse("J12345678").unwrap(),
            Nonce::from_bytes([9; 16]),
        )
    }

    #[test]
    fn an_answer_for_another_nonce_does_not_verify() {
        let (key, serial, nonce) = parts();
        let tag = sync2_answer_tag(&key, &serial, &nonce, true);
        assert!(verify_sync2_answer(&key, &serial, &nonce, true, &tag));
        let stale = Nonce::from_bytes([8; 16]);
        assert!(!verify_sync2_answer(&key, &serial, &stale, true, &tag));
    }

    #[test]
    fn a_flipped_bound_flag_does_not_verify() {
        let (key, serial, nonce) = parts();
        let tag = sync2_answer_tag(&key, &serial, &nonce, true);
        assert!(!verify_sync2_answer(&key, &serial, &nonce, false, &tag));
    }

    #[test]
    fn a_request_tag_is_not_an_answer_tag() {
        let (key, serial, nonce) = parts();
        let request = sync2_request_tag(&key, &serial, &nonce, 0);
        assert!(!verify_sync2_answer(&key, &serial, &nonce, false, &request));
        assert!(!verify_sync2_request(&key, &serial, &nonce, 0, "zz"));
    }
}
