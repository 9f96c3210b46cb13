//! What the app shows about devices and reset codes: plain records built from the API types, with
//! times as unix seconds.

use hc_protocol::api::{AuditEvent, Device};

/// Who made an audited request (this account, or another one masked) and what it was told.
pub use hc_protocol::api::{AuditActor, AuditOutcome};

use crate::messages::{MessageId, UiMessage};

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

/// One reset-code request in the account's audit: one it made, or one another account made for
/// one of its devices. `message` is what a screen says about it (no front end reads `outcome` to
/// choose its words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEventInfo {
    pub id: i64,
    pub at_unix: i64,
    pub serial: Option<String>,
    /// The challenge nonce in hex, when the QR parsed.
    pub nonce: Option<String>,
    pub outcome: AuditOutcome,
    /// Where the request came from; only ever for the account's own requests.
    pub client_addr: Option<String>,
    pub actor: AuditActor,
    /// How many requests the event stands for (the refusals of one rate-limit window are one).
    pub count: u64,
    /// What happened, in words: "Another account (in***@example.com) asked for a code for
    /// J12345678 while it was in your account: refused" (true also after the device is removed).
    pub message: UiMessage,
}

impl From<AuditEvent> for AuditEventInfo {
    fn from(event: AuditEvent) -> Self {
        let message = audit_message(
            &event.actor,
            event.outcome,
            event.serial.as_deref(),
            event.count,
        );
        AuditEventInfo {
            id: event.id,
            at_unix: event.at,
            serial: event.serial,
            nonce: event.nonce,
            outcome: event.outcome,
            client_addr: event.client_addr,
            actor: event.actor,
            count: event.count,
            message,
        }
    }
}

/// What a screen says about one audited request, by who asked and what they were told.
fn audit_message(
    actor: &AuditActor,
    outcome: AuditOutcome,
    serial: Option<&str>,
    count: u64,
) -> UiMessage {
    // Requests that never parsed name no device.
    let serial = serial.unwrap_or("-");
    match actor {
        AuditActor::You => match outcome {
            AuditOutcome::Issued => UiMessage::with(MessageId::AuditIssued, [serial]),
            AuditOutcome::InvalidQr => UiMessage::plain(MessageId::AuditInvalidQr),
            AuditOutcome::DeviceNotBound => {
                UiMessage::with(MessageId::AuditDeviceNotAdded, [serial])
            }
            AuditOutcome::BoundToOtherAccount => {
                UiMessage::with(MessageId::AuditDeviceAddedByOthers, [serial])
            }
            AuditOutcome::RateLimited => UiMessage::with(MessageId::AuditRateLimited, [count]),
        },
        // Another account only ever reaches the owner's log with a QR the device showed, and it is
        // refused (the device is not theirs) or, past the device's budget, rate-limited.
        AuditActor::OtherAccount { masked_email } => match outcome {
            AuditOutcome::RateLimited => UiMessage::with(
                MessageId::AuditOtherAccountRateLimited,
                [masked_email.clone(), count.to_string(), serial.to_owned()],
            ),
            _ => UiMessage::with(
                MessageId::AuditOtherAccountRefused,
                [masked_email.as_str(), serial],
            ),
        },
    }
}

/// One page of the account's audit, newest first; `next_before` asks for the next (older) page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub events: Vec<AuditEventInfo>,
    pub next_before: Option<i64>,
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
