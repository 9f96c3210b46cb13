//! `hc-cloud`: the reference cloud of the Reset Device Password system (DESIGN.md sections 2-4).
//!
//! Accounts with argon2id passwords, opaque rotating tokens, a device registry whose keys are
//! sealed under a master key, binding by serial + label code, HCR1 reset codes with rate limits
//! and an audit log, and device sync. SQLite by default, PostgreSQL by URL; no state in memory
//! that another instance would need.
//!
//! For tests and the demo: [`launch`] a [`Config::for_tests`], call [`RunningCloud::url`], and
//! [`RunningCloud::provision`] devices; [`app`] gives the router for `oneshot` tests.

pub mod account_codes;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod email;
pub mod error;
pub mod extract;
pub mod feed;
pub mod forwarded;
pub mod hashing;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod provision;
pub mod push;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod state;
pub mod storage;
pub mod tls;

pub use config::{
    AccountCodeLimits, Config, DatabaseLocation, MailSettings, PushSettings, RateLimits,
    SmtpSettings, SmtpTls, TlsFiles,
};
pub use error::{ApiError, Error};
pub use provision::{ProvisionRequest, write_device_json};
pub use routes::app;
pub use server::{RunningCloud, launch, launch_with_listener, provision};
pub use state::AppState;
