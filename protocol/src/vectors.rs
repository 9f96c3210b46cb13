//! The protocol's test vectors (`protocol/tests/vectors.json`, a byte-identical copy of
//! `shared/protocol/vectors.json`), parsed by this one struct for every crate's tests: the
//! protocol's own, the cloud's, the device's and the test kit's (`hc-testkit` re-exports it).
//!
//! Behind the `test-vectors` feature, which only dev-dependencies turn on: no shipped build
//! carries it.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::factory::DeviceRecord;
use crate::qr::Nonce;

/// The file's text, exactly as committed.
pub const JSON: &str = include_str!("../tests/vectors.json");

/// The whole file.
#[derive(Deserialize, Clone, Debug)]
pub struct Vectors {
    pub about: String,
    pub salt: String,
    pub valid: Vec<Valid>,
    pub invalid: Vec<Invalid>,
}

/// One device, one challenge, and every value derived from them.
#[derive(Deserialize, Clone, Debug)]
pub struct Valid {
    pub device_key: String,
    pub serial: String,
    pub model: String,
    pub firmware: String,
    pub flags: u8,
    pub issued_at: u32,
    pub nonce: String,
    pub k_qr: String,
    pub k_code: String,
    pub k_sync: String,
    pub payload_hex: String,
    pub tag: String,
    pub qr_text: String,
    pub reset_code: String,
    pub sync_ts: u64,
    pub sync_tag: String,
    pub sync2_nonce: String,
    pub sync2_ts: u64,
    pub sync2_tag: String,
    pub sync2_answer_tag_bound: String,
    pub sync2_answer_tag_unbound: String,
}

/// A text every reader must refuse, and the error kind it must refuse it with.
#[derive(Deserialize, Clone, Debug)]
pub struct Invalid {
    pub name: String,
    pub qr_text: String,
    pub kind: String,
    pub device_key: Option<String>,
}

/// The vectors, parsed once per process.
pub fn vectors() -> &'static Vectors {
    static PARSED: OnceLock<Vectors> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(JSON).expect("vectors.json parses"))
}

impl Valid {
    /// The factory record of this vector's device (label code `ABCDEF`).
    pub fn record(&self) -> DeviceRecord {
        DeviceRecord::from_json(
            &serde_json::json!({
                "serial": self.serial,
                "model": self.model,
                "firmware": self.firmware,
                "device_key": self.device_key,
                "label_code": "ABCDEF",
            })
            .to_string(),
        )
        .expect("vector record is valid")
    }

    /// The challenge nonce.
    pub fn nonce(&self) -> Nonce {
        Nonce::from_hex(&self.nonce).expect("vector nonce is 16 bytes of hex")
    }

    /// The challenge nonce as raw bytes.
    pub fn nonce_bytes(&self) -> Vec<u8> {
        hex::decode(&self.nonce).expect("vector nonce is hex")
    }
}
