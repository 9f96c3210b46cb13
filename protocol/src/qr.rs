//! The QR payload a device shows: `HCR1:` + base32(body || tag).
//!
//! The challenge's fields (serial, nonce) live here; the verification code (`code`) is built on
//! them, never the other way round.

use data_encoding::BASE32_NOPAD;
use subtle::ConstantTimeEq;

use crate::keys::{DeviceKey, hmac};

pub const QR_PREFIX: &str = "HCR1:";
pub const VERSION: u8 = 1;
/// Flags bit 0: the device believes it is bound to an account. Other bits are reserved (zero).
pub const FLAG_BOUND: u8 = 0x01;
pub const SERIAL_LEN: usize = 9;
pub const NONCE_LEN: usize = 16;
pub const TAG_LEN: usize = 12;
/// Longest model and firmware strings.
pub const MAX_FIELD_LEN: usize = 24;

/// Fixed part of the body: version, flags, serial, issued_at, nonce, and the two length bytes.
const FIXED_BODY_LEN: usize = 1 + 1 + SERIAL_LEN + 4 + NONCE_LEN + 1 + 1;
const MAX_BODY_LEN: usize = FIXED_BODY_LEN + 2 * MAX_FIELD_LEN;
/// The longest text a valid HCR1 QR code can hold; anything longer is rejected before decoding.
pub const MAX_TEXT_LEN: usize = QR_PREFIX.len() + ((MAX_BODY_LEN + TAG_LEN) * 8).div_ceil(5);

/// Why a text is not a usable reset QR code. [`QrError::kind`] is the name the test vectors use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("not a reset QR code")]
    NotAResetQr,
    #[error("reset QR code of an unsupported version")]
    UnsupportedVersion,
    #[error("malformed reset QR code: {0}")]
    Malformed(&'static str),
    #[error("the reset QR code was not made by this device")]
    Tag,
}

/// The error kinds, as named in `vectors.json` and by the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QrErrorKind {
    NotAResetQr,
    UnsupportedVersion,
    Malformed,
    Tag,
}

impl QrErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QrErrorKind::NotAResetQr => "not_a_reset_qr",
            QrErrorKind::UnsupportedVersion => "unsupported_version",
            QrErrorKind::Malformed => "malformed",
            QrErrorKind::Tag => "tag",
        }
    }
}

impl QrError {
    pub fn kind(&self) -> QrErrorKind {
        match self {
            QrError::NotAResetQr => QrErrorKind::NotAResetQr,
            QrError::UnsupportedVersion => QrErrorKind::UnsupportedVersion,
            QrError::Malformed(_) => QrErrorKind::Malformed,
            QrError::Tag => QrErrorKind::Tag,
        }
    }
}

/// A device serial: exactly nine of `A-Z0-9`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Serial(String);

impl Serial {
    pub fn parse(text: &str) -> Result<Self, QrError> {
        Self::from_bytes(text.as_bytes())
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, QrError> {
        let valid = bytes.len() == SERIAL_LEN
            && bytes
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !valid {
            return Err(QrError::Malformed("a serial is nine of A-Z and 0-9"));
        }
        // All ASCII, checked above.
        Ok(Serial(String::from_utf8_lossy(bytes).into_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Serial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Serial {
    type Err = QrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The 16 random bytes that make each challenge unique.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Nonce([u8; NONCE_LEN]);

impl Nonce {
    pub fn from_bytes(bytes: [u8; NONCE_LEN]) -> Self {
        Nonce(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; NONCE_LEN] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; NONCE_LEN];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Nonce(bytes))
    }
}

/// One reset challenge: everything in the QR body.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Challenge {
    pub bound: bool,
    pub serial: Serial,
    /// Device clock, unix seconds. Informational only: device clocks are often wrong.
    pub issued_at: u32,
    pub nonce: Nonce,
    pub model: String,
    pub firmware: String,
}

impl Challenge {
    /// Builds a challenge, checking the text fields the way the parser will.
    pub fn new(
        serial: Serial,
        bound: bool,
        issued_at: u32,
        nonce: Nonce,
        model: &str,
        firmware: &str,
    ) -> Result<Self, QrError> {
        check_text_field(model.as_bytes())?;
        check_text_field(firmware.as_bytes())?;
        Ok(Challenge {
            bound,
            serial,
            issued_at,
            nonce,
            model: model.to_owned(),
            firmware: firmware.to_owned(),
        })
    }

    /// The body bytes (everything but the tag).
    pub fn body(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(MAX_BODY_LEN);
        body.push(VERSION);
        body.push(if self.bound { FLAG_BOUND } else { 0 });
        body.extend_from_slice(self.serial.as_str().as_bytes());
        body.extend_from_slice(&self.issued_at.to_be_bytes());
        body.extend_from_slice(self.nonce.as_bytes());
        for field in [&self.model, &self.firmware] {
            // Lengths are checked at construction (<= 24), so the cast is exact.
            body.push(field.len() as u8);
            body.extend_from_slice(field.as_bytes());
        }
        body
    }

    /// The text the device encodes in its QR code.
    pub fn to_qr_text(&self, key: &DeviceKey) -> String {
        let mut payload = self.body();
        let tag = tag_of(key, &payload);
        payload.extend_from_slice(&tag);
        format!("{QR_PREFIX}{}", BASE32_NOPAD.encode(&payload))
    }
}

/// A well-formed QR whose tag has not been checked. The app may show its serial and model, but only
/// a holder of the device key can tell whether the device really made it.
#[derive(Clone, Debug)]
pub struct UnverifiedQr {
    challenge: Challenge,
    body: Vec<u8>,
    tag: [u8; TAG_LEN],
}

impl UnverifiedQr {
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    pub fn tag(&self) -> &[u8; TAG_LEN] {
        &self.tag
    }

    /// Checks the tag in constant time.
    pub fn verify(self, key: &DeviceKey) -> Result<VerifiedQr, QrError> {
        let expected = tag_of(key, &self.body);
        if bool::from(expected.ct_eq(&self.tag)) {
            Ok(VerifiedQr {
                challenge: self.challenge,
            })
        } else {
            Err(QrError::Tag)
        }
    }
}

/// A QR whose tag matched the device key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedQr {
    challenge: Challenge,
}

impl VerifiedQr {
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    pub fn into_challenge(self) -> Challenge {
        self.challenge
    }
}

fn tag_of(key: &DeviceKey, body: &[u8]) -> [u8; TAG_LEN] {
    let mac = hmac(&key.derive().k_qr, &[b"HCR1", body]);
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&mac[..TAG_LEN]);
    tag
}

fn check_text_field(bytes: &[u8]) -> Result<(), QrError> {
    if bytes.len() > MAX_FIELD_LEN {
        return Err(QrError::Malformed(
            "model and firmware are at most 24 characters",
        ));
    }
    if !bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return Err(QrError::Malformed("model and firmware are printable ASCII"));
    }
    Ok(())
}

/// Parses QR text into a challenge. Never panics; the tag is checked later by a key holder.
pub fn parse_qr(text: &str) -> Result<UnverifiedQr, QrError> {
    let Some(encoded) = text.strip_prefix(QR_PREFIX) else {
        return Err(if has_other_version_prefix(text) {
            QrError::UnsupportedVersion
        } else {
            QrError::NotAResetQr
        });
    };
    if text.len() > MAX_TEXT_LEN {
        return Err(QrError::Malformed("too long"));
    }
    // Strict RFC 4648: uppercase alphabet, no padding, zero trailing bits.
    let payload = BASE32_NOPAD
        .decode(encoded.as_bytes())
        .map_err(|_| QrError::Malformed("not uppercase unpadded base32"))?;
    match payload.first() {
        None => return Err(QrError::Malformed("empty")),
        Some(&VERSION) => {}
        Some(_) => return Err(QrError::UnsupportedVersion),
    }
    if payload.len() < FIXED_BODY_LEN + TAG_LEN {
        return Err(QrError::Malformed("too short"));
    }
    let (body, tag) = payload.split_at(payload.len() - TAG_LEN);
    let mut reader = Reader { bytes: body };
    let _version = reader.take(1)?;
    let flags = reader.take(1)?[0];
    if flags & !FLAG_BOUND != 0 {
        return Err(QrError::Malformed("reserved flag bits are set"));
    }
    let serial = Serial::from_bytes(reader.take(SERIAL_LEN)?)?;
    let issued_at = u32::from_be_bytes(reader.array()?);
    let nonce = Nonce(reader.array()?);
    let model = reader.text_field()?;
    let firmware = reader.text_field()?;
    if !reader.bytes.is_empty() {
        return Err(QrError::Malformed("bytes after the firmware field"));
    }
    let mut tag_bytes = [0u8; TAG_LEN];
    tag_bytes.copy_from_slice(tag);
    Ok(UnverifiedQr {
        challenge: Challenge {
            bound: flags & FLAG_BOUND != 0,
            serial,
            issued_at,
            nonce,
            model,
            firmware,
        },
        body: body.to_vec(),
        tag: tag_bytes,
    })
}

/// `HCRn:` with a version number other than 1.
fn has_other_version_prefix(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("HCR") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && rest.as_bytes().get(digits) == Some(&b':')
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], QrError> {
        if self.bytes.len() < n {
            return Err(QrError::Malformed("a field runs past the end"));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], QrError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn text_field(&mut self) -> Result<String, QrError> {
        let len = usize::from(self.take(1)?[0]);
        if len > MAX_FIELD_LEN {
            return Err(QrError::Malformed(
                "model and firmware are at most 24 characters",
            ));
        }
        let bytes = self.take(len)?;
        check_text_field(bytes)?;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}
