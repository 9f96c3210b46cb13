//! What the app shows about devices and reset codes: plain records built from the API types, with
//! times as unix seconds.

use hc_protocol::api::{AuditEvent, Device};

pub use hc_protocol::api::AuditOutcome;

/// One device of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub serial: String,
    pub name: String,
    pub model: String,
    pub added_at_unix: i64,
}

impl From<Device> for DeviceInfo {
    fn from(device: Device) -> Self {
        DeviceInfo {
            serial: device.serial,
            name: device.name,
            model: device.model,
            added_at_unix: device.added_at,
        }
    }
}

/// The account's device list as the app has it: `from_cache` when it could not be (or need not be)
/// fetched just now, with `fetched_at_unix` telling its age, and `cloud_unreachable` saying which:
/// the cloud was asked and could not answer (offline, or away: `502`-`504`), or it was not asked
/// because the list is younger than `device_list_max_age_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceListSnapshot {
    pub devices: Vec<DeviceInfo>,
    pub fetched_at_unix: i64,
    pub from_cache: bool,
    pub cloud_unreachable: bool,
}

/// One reset-code request of the account, as the cloud's audit log recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEventInfo {
    pub id: i64,
    pub at_unix: i64,
    pub serial: Option<String>,
    /// The challenge nonce in hex, when the QR parsed.
    pub nonce: Option<String>,
    pub outcome: AuditOutcome,
    pub client_addr: Option<String>,
}

impl From<AuditEvent> for AuditEventInfo {
    fn from(event: AuditEvent) -> Self {
        AuditEventInfo {
            id: event.id,
            at_unix: event.at,
            serial: event.serial,
            nonce: event.nonce,
            outcome: event.outcome,
            client_addr: event.client_addr,
        }
    }
}

/// The verification code to type on the device, valid until `expires_at_unix`: the device's
/// deadline, one per QR however often it is scanned ([`crate::code_deadline`]).
#[derive(Clone, PartialEq, Eq)]
pub struct ResetCodeInfo {
    pub serial: String,
    pub model: String,
    pub code: String,
    pub expires_at_unix: i64,
}

impl std::fmt::Debug for ResetCodeInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The code opens the device: keep it out of logs.
        f.debug_struct("ResetCodeInfo")
            .field("serial", &self.serial)
            .field("model", &self.model)
            .field("expires_at_unix", &self.expires_at_unix)
            .finish_non_exhaustive()
    }
}
