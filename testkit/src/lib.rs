//! `hc-testkit`: everything the Rust tests of more than one crate stand on, written once.
//! A dev-dependency only (`publish = false`); no shipped build links it.
//!
//! - [`World`] (`world.rs`): the cloud over TLS (in the test process or as the `hc-cloud`
//!   binary, [`cloud_process`]), NVRs running nvr-sim, accounts and phones.
//! - [`cloud_api`]: the cloud alone on SQLite or PostgreSQL, and its API spoken as raw JSON.
//! - [`device`]: the test device (its factory record, an agent on a clock the test moves).
//! - [`postgres`]: a real PostgreSQL server for the tests and the load benchmark.
//! - [`mail`]: an SMTP server the cloud sends to, the mail folder it writes without one, the
//!   codes in both.
//! - [`haproxy`]: HAProxy terminating TLS in front of several cloud instances.
//! - [`vectors`]: the protocol's test vectors, parsed by the one struct in `hc-protocol`.
//! - [`MemoryStore`]: the phone's secure store in memory (the core's own, re-exported).
//! - [`camera`]: a monitor showing a QR code as the phone's camera sees it.
//!
//! The NVR is driven with the product's typed client, [`nvr_sim::NvrClient`], which the
//! demo uses too.

pub mod camera;
pub mod cloud_api;
pub mod cloud_process;
pub mod device;
pub mod haproxy;
pub mod mail;
pub mod postgres;
mod world;

pub use camera::{ALL_FORMATS, camera_frame, camera_view, qr_corpus_dir};
pub use hc_core::MemoryStore;
pub use hc_protocol::vectors;
pub use nvr_sim::{NvrClient, NvrError};
pub use world::*;
