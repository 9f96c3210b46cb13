//! hc-core: everything the phone app does, in plain Rust (DESIGN.md section 5).
//!
//! - [`init`]: logging to the platform, the panic hook, TLS.
//! - [`HcClient`]: the account session, the device list (cached for offline use), add and remove
//!   devices, the audit log, reset codes.
//! - [`ResetFlow`]: the state machine of the "Reset Device Password" screen.
//! - [`decode_frame`] / [`decode_image`]: the QR scanner over camera frames and image files; when
//!   nothing can be read, a [`ScanHint`] says why (carried by `ResetState::Scanning` and
//!   `HcError::NoQrFound`).
//! - [`group_code`], [`countdown`], [`device_list_age`]: what the screens show about a code and
//!   the device list, as data for the shells' localized strings.
//! - [`reset_screen`], [`device_list_screen`], [`AccountScreen`]: each screen's state, decided
//!   once for every front end; [`HcError::ui_message`] and [`HcError::action`]: what an error
//!   says ([`MessageId`], worded by each front end) and what the screen offers next.
//!
//! The core depends on `hc-protocol` only: it never links cloud or device code and never sees a
//! device key. `hc-ffi` exposes this API to Kotlin and Swift.
//!
//! # The whole story
//!
//! Log in, add the device by the serial and label code printed on it, and ask for the code of the
//! reset QR the device shows. Async calls run on the core's runtime ([`runtime::runtime`]), which
//! the shells' FFI layer uses too. The examples here talk to the core's in-process fake cloud
//! (feature `fake-cloud`, for tests and examples only); an app passes its cloud's URL instead.
//!
//! ```
//! use std::sync::Arc;
//!
//! use hc_core::{ClientConfig, HcClient, HcError, MemoryStore};
//! # use hc_core::fake_cloud::FakeCloud;
//! # use hc_core::scan::testing::reset_text_for;
//!
//! hc_core::runtime::runtime().block_on(async {
//!     # let (_cloud, cloud_url) = FakeCloud::start().await;
//!     // The store is the platform's Keychain / Keystore; `MemoryStore` forgets on exit.
//!     let client = HcClient::new(ClientConfig::new(cloud_url), Arc::new(MemoryStore::new()))?;
//!     client.login("owner@example.com".into(), "correct horse".into()).await?;
//!     client.add_device("J12345678".into(), "ABCDEF".into(), Some("Shop NVR".into())).await?;
//!
//!     // The text of the QR code the NVR shows on its Forget Password page.
//!     let qr_text = reset_text_for("J12345678");
//!     let code = client.request_reset_code(qr_text).await?;
//!     assert_eq!((code.serial.as_str(), code.code.len()), ("J12345678", 8));
//!     Ok::<(), HcError>(())
//! })?;
//! # Ok::<(), HcError>(())
//! ```
//!
//! # Errors
//!
//! Every fallible call returns [`HcError`]: a value the screen acts on (log in again, add the
//! device, scan the device's own QR code), never a panic.
//!
//! ```
//! # use std::sync::Arc;
//! # use hc_core::{ClientConfig, HcClient, HcError, MemoryStore};
//! # use hc_core::fake_cloud::FakeCloud;
//! # use hc_core::scan::testing::reset_text_for;
//! hc_core::runtime::runtime().block_on(async {
//!     # let (_cloud, cloud_url) = FakeCloud::start().await;
//!     let client = HcClient::new(ClientConfig::new(cloud_url), Arc::new(MemoryStore::new()))?;
//!     // Nothing works before a login, and nothing is sent.
//!     assert_eq!(client.devices(false).await, Err(HcError::NotLoggedIn));
//!
//!     client.login("owner@example.com".into(), "correct horse".into()).await?;
//!     // A QR code of another app is not a reset code; a damaged one is invalid.
//!     let menu = client.request_reset_code("https://example.invalid/menu".into()).await;
//!     assert_eq!(menu, Err(HcError::NotAResetQr));
//!     let damaged = client.request_reset_code("HCR1:NOTBASE32!".into()).await;
//!     assert_eq!(damaged, Err(HcError::InvalidQr));
//!     // The cloud decides whose device it is: this account never added it.
//!     let code = client.request_reset_code(reset_text_for("J12345678")).await;
//!     assert_eq!(code, Err(HcError::DeviceNotAdded { serial: "J12345678".into() }));
//!     Ok::<(), HcError>(())
//! })?;
//! # Ok::<(), HcError>(())
//! ```

mod account;
mod client;
mod config;
mod devices;
mod display;
mod error;
mod feed;
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
mod verification;

pub use account::{SessionState, check_new_password, password_rule_message};
pub use client::{HcClient, MAX_CLOCK_SKEW_SECS, code_deadline};
pub use config::{ClientConfig, DEFAULT_DEVICE_LIST_MAX_AGE_SECS, DEFAULT_REQUEST_TIMEOUT_MS};
pub use devices::{
    AuditActor, AuditEventInfo, AuditOutcome, AuditPage, DeviceInfo, DeviceListSnapshot,
    ResetCodeInfo,
};
pub use display::{Countdown, DeviceListAge, countdown, device_list_age, group_code};
pub use error::{HcError, Result};
pub use feed::{
    FEED_FIRST_BACKOFF, FEED_MAX_BACKOFF, FeedEventInfo, FeedEventKind, FeedEventPage,
    FeedFollower, FeedListener, PushEndpointInfo, TransferInfo, TransferState, WebhookRegistration,
};
/// The API's machine-readable error codes, as `HcError::Server` carries them.
pub use hc_protocol::api::ErrorCode;
pub use hc_protocol::password::PasswordProblem;
pub use logging::{LogLevel, Logger, init};
pub use messages::{ErrorAction, MessageId, UiMessage};
pub use reset_flow::{FrameCounts, ResetFlow, ResetFlowListener, ResetState};
pub use scan::{Frame, FrameFormat, ScanHint, decode_frame, decode_image};
pub use screens::{
    AccountScreen, CodeScreen, DeviceListScreen, DeviceRow, FocusPoint, ResetScreen, ResetView,
    TransferRow, Viewfinder, countdown_message, device_added_message, device_list_screen,
    list_age_message, reset_screen, reset_view, transfer_row,
};
pub use store::{MemoryStore, SecureStore, StoreError};
pub use verification::{
    AccountStatus, check_mailed_code, code_sent_message, email_verified_message,
};

/// Unix seconds by the phone's clock.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(any(test, feature = "fake-cloud"))]
pub mod fake_cloud;
