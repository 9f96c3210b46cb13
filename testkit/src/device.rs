//! The device under test: the factory record of the test device, and a reset agent whose clocks
//! and random numbers the test controls. The device library's tests and the simulator's use it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hc_device::{DeviceRecord, ManualClock, ResetAgent, ScriptedRandom, StateStore};
use hc_protocol::{Nonce, reset_code};

/// `protocol/tests/vectors.json`, the byte-identical copy of `shared/protocol/vectors.json`.
pub use hc_protocol::vectors::JSON as VECTORS;
/// One valid vector, as parsed by the protocol's vectors struct.
pub use hc_protocol::vectors::Valid as Vector;

/// The valid vectors.
pub fn vectors() -> Vec<Vector> {
    hc_protocol::vectors::vectors().valid.clone()
}

/// The device of the first test vector (J12345678, DS-7608NI-K2/8P).
pub fn test_device() -> DeviceRecord {
    vectors()[0].record()
}

pub const DEVICE_JSON: &str = r#"{"serial":"J12345678","model":"DS-7608NI-K2/8P","firmware":"V4.61.005",
"device_key":"a267be5def9a447989a26b8d44beff3ec6dcd08e403b2fe108bf5a7717a01c0b","label_code":"ABCDEF"}"#;

/// Wall clock of a fresh test device: 2025-11-25.
pub const START_UNIX: u64 = 1_764_028_800;

pub const FIRST_PASSWORD: &str = "Factory2024";
pub const NEW_PASSWORD: &str = "Night-Owl-77";

/// A device under test: its agent and the handles the test uses to move time and pick nonces.
pub struct TestDevice {
    pub agent: ResetAgent,
    pub clock: ManualClock,
    pub random: Arc<ScriptedRandom>,
    pub record: DeviceRecord,
}

impl TestDevice {
    /// Boots the test device from `state_dir`, activated and, if `bound`, bound.
    pub fn boot(state_dir: &Path, bound: bool) -> Self {
        Self::boot_with(
            state_dir,
            test_device(),
            ManualClock::new(START_UNIX),
            bound,
        )
    }

    pub fn boot_with(
        state_dir: &Path,
        record: DeviceRecord,
        clock: ManualClock,
        bound: bool,
    ) -> Self {
        let random = Arc::new(ScriptedRandom::new());
        let mut agent = ResetAgent::boot(
            record.clone(),
            StateStore::open(state_dir).unwrap(),
            Arc::new(clock.clone()),
            random.clone(),
        )
        .unwrap();
        if !agent.is_activated() {
            agent.activate(FIRST_PASSWORD).unwrap();
        }
        if agent.is_bound() != bound {
            agent.record_sync(bound).unwrap();
        }
        TestDevice {
            agent,
            clock,
            random,
            record,
        }
    }

    /// The same device after a power cycle: same state folder, monotonic clock from zero.
    pub fn reboot(self, state_dir: &Path) -> Self {
        let clock = self.clock.after_reboot();
        let random = Arc::new(ScriptedRandom::new());
        let agent = ResetAgent::boot(
            self.record.clone(),
            StateStore::open(state_dir).unwrap(),
            Arc::new(clock.clone()),
            random.clone(),
        )
        .unwrap();
        TestDevice {
            agent,
            clock,
            random,
            record: self.record,
        }
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// The code the app would show for the QR on screen, as the cloud derives it.
    pub fn right_code(&self) -> String {
        let qr = self
            .agent
            .current_challenge()
            .expect("a challenge is on screen")
            .qr_text;
        code_for_qr(&qr, &self.record)
    }
}

/// Derives the verification code of a QR text from the device key, like the cloud does.
pub fn code_for_qr(qr_text: &str, record: &DeviceRecord) -> String {
    let verified = hc_protocol::parse_qr(qr_text)
        .expect("the device shows a valid HCR1 text")
        .verify(&record.device_key)
        .expect("the tag is the device's");
    let challenge = verified.challenge();
    reset_code(
        &record.device_key,
        &challenge.serial,
        &challenge.nonce,
        challenge.issued_at,
    )
    .as_str()
    .to_owned()
}

/// A wrong code that is certainly not `right`.
pub fn wrong_code(right: &str) -> String {
    if right == "00000000" {
        "11111111".into()
    } else {
        "00000000".into()
    }
}

pub fn nonce(bytes: &[u8]) -> Nonce {
    Nonce::from_bytes(bytes.try_into().expect("16 bytes"))
}
