//! `nvr-sim`: a simulated NVR around [`hc_device::ResetAgent`], with the device's local web UI, a
//! JSON API for tests, QR rendering and the cloud sync.

mod api;
pub mod checkin;
pub mod client;
mod connection;
mod guard;
mod html;
mod nvr;
pub mod qr;
mod server;
mod session;
pub mod sync;
mod web;

pub use checkin::SyncSchedule;
pub use client::{CodeAccepted, NvrClient, NvrError, NvrStatus, ShownQr, SyncFailure};
pub use connection::Timeouts;
pub use server::{NvrConfig, RunningNvr, ServeError, generate_admin_password, serve};
pub use sync::{CloudConfig, SyncError, sync_once};
