//! The HCR1 reset protocol (DESIGN.md section 3) and the cloud API v1 types (section 4).
//!
//! Pure code: no I/O, no clock, no randomness. Callers bring the device key, the nonce and the
//! time; this crate turns them into QR text, tags and codes, and parses what comes back. Every
//! parser returns a typed error and never panics; every secret comparison is constant-time.

pub mod account_code;
pub mod api;
mod code;
pub mod factory;
mod keys;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod password;
mod qr;
mod sync;
pub mod utc;
#[cfg(feature = "test-vectors")]
pub mod vectors;

pub use code::{CODE_DIGITS, ResetCode, reset_code};
pub use keys::{DerivedKeys, DeviceKey, KeyError, SecretKey};
pub use qr::{
    Challenge, FLAG_BOUND, MAX_TEXT_LEN, NONCE_LEN, Nonce, QR_PREFIX, QrError, QrErrorKind,
    SERIAL_LEN, Serial, TAG_LEN, UnverifiedQr, VerifiedQr, parse_qr,
};
pub use sync::{
    SYNC_TAG_LEN, SYNC_VERSION, sync_tag, sync2_answer_tag, sync2_request_tag, verify_sync_tag,
    verify_sync2_answer, verify_sync2_request,
};

/// How long a device keeps a challenge alive (30 minutes on its monotonic clock). The cloud and the
/// app use it to tell the user how long a code is good for.
pub const CHALLENGE_LIFETIME_SECS: u64 = 30 * 60;
