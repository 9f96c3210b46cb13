//! The 8-digit verification code (RFC 4226 dynamic truncation over an HMAC of the challenge).

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::keys::{DeviceKey, hmac};
use crate::qr::{Challenge, Nonce, Serial};

pub const CODE_DIGITS: usize = 8;

/// A verification code: 8 ASCII digits. Zeroized on drop; compared in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ResetCode([u8; CODE_DIGITS]);

impl ResetCode {
    pub fn as_str(&self) -> &str {
        // Only ever built from ASCII digits.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Whether `typed` is this code, in constant time with respect to the code's digits. Spaces
    /// and dashes a person may type between digit groups are ignored.
    pub fn matches(&self, typed: &str) -> bool {
        let mut digits = [0u8; CODE_DIGITS];
        let mut count = 0usize;
        for byte in typed.bytes().filter(|b| *b != b' ' && *b != b'-') {
            if count < CODE_DIGITS {
                digits[count] = byte;
            }
            count += 1;
        }
        let same: bool = digits.ct_eq(&self.0).into();
        digits.zeroize();
        same & (count == CODE_DIGITS)
    }
}

impl PartialEq for ResetCode {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for ResetCode {}

impl std::fmt::Debug for ResetCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetCode(<redacted>)")
    }
}

impl Challenge {
    /// The verification code for this challenge.
    pub fn reset_code(&self, key: &DeviceKey) -> ResetCode {
        reset_code(key, &self.serial, &self.nonce, self.issued_at)
    }
}

/// `code = trunc(HMAC(k_code, "HCR1-code" || serial || nonce || issued_at)) mod 10^8`.
pub fn reset_code(key: &DeviceKey, serial: &Serial, nonce: &Nonce, issued_at: u32) -> ResetCode {
    let keys = key.derive();
    let mac = hmac(
        &keys.k_code,
        &[
            b"HCR1-code",
            serial.as_str().as_bytes(),
            nonce.as_bytes(),
            &issued_at.to_be_bytes(),
        ],
    );
    let offset = usize::from(mac[31] & 0x0f);
    let value = u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]) & 0x7fff_ffff;
    let mut number = value % 100_000_000;
    let mut digits = [b'0'; CODE_DIGITS];
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (number % 10) as u8;
        number /= 10;
    }
    ResetCode(digits)
}
