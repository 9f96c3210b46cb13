//! The device's source of secret randomness (nonces, reset tokens, password salts), behind a trait
//! so firmware can plug in its hardware RNG and tests can make a device issue a known challenge.

use std::collections::VecDeque;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the device's random number generator failed")]
pub struct RandomError;

/// A cryptographically secure random number generator.
pub trait SecureRandom: Send + Sync {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError>;
}

/// The operating system's CSPRNG (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl SecureRandom for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        getrandom::fill(buf).map_err(|_| RandomError)
    }
}

/// For tests only, never for a real device: answers each request whose length matches the next
/// queued value with that value (so a test can make the device issue the nonce of a test vector),
/// and anything else with bytes from the OS generator.
#[derive(Debug, Default)]
pub struct ScriptedRandom {
    queue: Mutex<VecDeque<Vec<u8>>>,
}

impl ScriptedRandom {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues the bytes of the next request of the same length (e.g. a 16-byte nonce).
    pub fn push(&self, bytes: impl Into<Vec<u8>>) {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push_back(bytes.into());
    }
}

impl SecureRandom for ScriptedRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if queue.front().is_some_and(|next| next.len() == buf.len())
            && let Some(next) = queue.pop_front()
        {
            buf.copy_from_slice(&next);
            return Ok(());
        }
        OsRandom.fill(buf)
    }
}
