//! hc-core: everything the phone app does, in plain Rust (DESIGN.md section 5).
//!
//! - [`init`]: logging to the platform, the panic hook, TLS.
//! - [`HcClient`]: the account session, the device list (cached for offline use), add and remove
//!   devices, the audit log, reset codes.
//! - [`ResetFlow`]: the state machine of the "Reset Device Password" screen.
//! - [`decode_frame`] / [`decode_image`]: the QR scanner over camera frames and image files.
//! - [`group_code`], [`countdown`], [`device_list_age`]: what the screens show about a code and
//!   the device list, as data for the shells' localized strings.
//! - [`reset_screen`], [`device_list_screen`], [`AccountScreen`]: each screen's state, decided
//!   once for every front end; [`HcError::ui_message`] and [`HcError::action`]: what an error
//!   says ([`MessageId`], worded by each front end) and what the screen offers next.
//!
//! The core depends on `hc-protocol` only: it never links cloud or device code and never sees a
//! device key. `hc-ffi` exposes this API to Kotlin and Swift.

mod client;
mod config;
mod devices;
mod display;
mod error;
mod http;
mod input;
mod logging;
mod messages;
mod reset_flow;
pub mod runtime;
pub mod scan;
mod screens;
mod session;
mod store;

pub use client::HcClient;
pub use config::{ClientConfig, DEFAULT_DEVICE_LIST_MAX_AGE_SECS, DEFAULT_REQUEST_TIMEOUT_MS};
pub use devices::{AuditEventInfo, AuditOutcome, DeviceInfo, DeviceListSnapshot, ResetCodeInfo};
pub use display::{Countdown, DeviceListAge, countdown, device_list_age, group_code};
pub use error::{HcError, Result};
/// The API's machine-readable error codes, as `HcError::Server` carries them.
pub use hc_protocol::api::ErrorCode;
pub use logging::{LogLevel, Logger, init};
pub use messages::{ErrorAction, MessageId, UiMessage};
pub use reset_flow::{ResetFlow, ResetFlowListener, ResetState};
pub use scan::{Frame, FrameFormat, decode_frame, decode_image};
pub use screens::{
    AccountScreen, CodeScreen, DeviceListScreen, DeviceRow, ResetScreen, countdown_message,
    device_added_message, device_list_screen, list_age_message, reset_screen,
};
pub use store::{MemoryStore, SecureStore, StoreError};

/// Unix seconds by the phone's clock.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod fake_cloud;
