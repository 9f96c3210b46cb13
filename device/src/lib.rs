//! The device side of Reset Device Password (DESIGN.md section 3, the device rules).
//!
//! [`ResetAgent`] is the part a firmware team embeds: the Forget Password menu, challenges, code
//! entry with lockout and cool-down, the reset window and the admin password, persisted in a
//! state folder ([`StateStore`]). Clocks ([`Clock`]) and randomness ([`SecureRandom`]) are
//! injected. The crate has no HTTP stack and no async runtime: the simulated NVR around it,
//! `nvr-sim` (web UI, JSON API, cloud sync), is a crate of its own.

mod agent;
mod clock;
pub mod lockout;
mod password;
pub mod policy;
mod random;
pub mod store;

pub use agent::{
    ADMIN_USER, CHALLENGE_LIFETIME, ChallengeView, CodeAccepted, DeviceError, DeviceStatus,
    LoginAttempt, LoginVerdict, RESET_WINDOW, ResetAgent, ResetMethod, ResetToken,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use hc_protocol::factory::{DeviceRecord, FactoryError};
pub use policy::{PolicyError, check_password, policy_text};
pub use random::{OsRandom, RandomError, ScriptedRandom, SecureRandom};
pub use store::{PersistedState, StateStore, StoreError};
