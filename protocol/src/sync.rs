//! The tag a device sends with `POST /v1/device/sync`.

use subtle::ConstantTimeEq;

use crate::keys::{DeviceKey, hmac};
use crate::qr::Serial;

/// `hex(HMAC(k_sync, "HCR1-sync" || serial || u64 ts))`, lowercase.
pub fn sync_tag(key: &DeviceKey, serial: &Serial, ts: u64) -> String {
    hex::encode(sync_mac(key, serial, ts))
}

/// Checks a received sync tag in constant time. Uppercase hex is accepted.
pub fn verify_sync_tag(key: &DeviceKey, serial: &Serial, ts: u64, tag_hex: &str) -> bool {
    let mut received = [0u8; 32];
    if tag_hex.len() != 64 || hex::decode_to_slice(tag_hex, &mut received).is_err() {
        return false;
    }
    sync_mac(key, serial, ts).ct_eq(&received).into()
}

fn sync_mac(key: &DeviceKey, serial: &Serial, ts: u64) -> [u8; 32] {
    hmac(
        &key.derive().k_sync,
        &[b"HCR1-sync", serial.as_str().as_bytes(), &ts.to_be_bytes()],
    )
}
