//! Device key and the keys derived from it with HKDF-SHA256.

use hkdf::Hkdf;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// HKDF salt of HCR1.
pub const SALT: &[u8] = b"hc-reset-v1";

/// A 32-byte secret that zeroizes itself on drop and never prints.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for SecretKey {}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The random key a device leaves the factory with. Known to the device and the cloud only.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DeviceKey(SecretKey);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a device key is 64 hexadecimal characters")]
    BadHex,
    #[error("a device key is 32 bytes, got {0}")]
    BadLength(usize),
}

impl DeviceKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DeviceKey(SecretKey(bytes))
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::BadLength(bytes.len()))?;
        Ok(Self::from_bytes(array))
    }

    /// Parses the 64 hex characters of `device.json`.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        if text.len() != 64 {
            return Err(KeyError::BadHex);
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| KeyError::BadHex)?;
        let key = Self::from_bytes(bytes);
        bytes.zeroize();
        Ok(key)
    }

    /// Lowercase hex, for writing `device.json`. Handle the result as a secret.
    pub fn to_hex(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(hex::encode(self.0.expose()))
    }

    pub fn expose(&self) -> &[u8; 32] {
        self.0.expose()
    }

    /// Derives `k_qr`, `k_code` and `k_sync`.
    pub fn derive(&self) -> DerivedKeys {
        let hk = Hkdf::<Sha256>::new(Some(SALT), self.expose());
        let expand = |info: &[u8]| {
            let mut okm = [0u8; 32];
            // 32 bytes is far below HKDF-SHA256's 255 * 32 limit, so expand cannot fail.
            hk.expand(info, &mut okm)
                .expect("32-byte HKDF output is always valid");
            let key = SecretKey(okm);
            okm.zeroize();
            key
        };
        DerivedKeys {
            k_qr: expand(b"qr-tag"),
            k_code: expand(b"reset-code"),
            k_sync: expand(b"device-sync"),
        }
    }
}

/// The three purpose-bound keys of HCR1.
#[derive(Clone, Debug)]
pub struct DerivedKeys {
    pub k_qr: SecretKey,
    pub k_code: SecretKey,
    pub k_sync: SecretKey,
}

pub(crate) fn hmac(key: &SecretKey, parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.expose()).expect("HMAC accepts keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}
