//! The two clocks a device has, behind a trait so tests (and firmware) can bring their own.
//!
//! The monotonic clock measures every lifetime on the device (challenge, reset window, cool-down)
//! because it cannot be set by anyone. The wall clock is only used where a time must cross a
//! reboot, and there it is treated as untrusted (see `agent::Cooldown`).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A device's clocks.
pub trait Clock: Send + Sync {
    /// Time since an arbitrary origin (boot). Never goes backwards; starts again after a reboot.
    fn monotonic(&self) -> Duration;
    /// Unix seconds by the wall clock. Often wrong, may jump either way.
    fn unix_now(&self) -> u64;
}

/// The operating system's clocks.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    pub fn new() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }

    fn unix_now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// A clock that moves only when told: for tests and demos. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualTime>>,
}

#[derive(Debug)]
struct ManualTime {
    monotonic: Duration,
    unix: u64,
}

impl ManualClock {
    /// A freshly booted device whose wall clock reads `unix`.
    pub fn new(unix: u64) -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ManualTime {
                monotonic: Duration::ZERO,
                unix,
            })),
        }
    }

    /// Time passes: both clocks move forward.
    pub fn advance(&self, by: Duration) {
        let mut time = self.lock();
        time.monotonic = time.monotonic.saturating_add(by);
        time.unix = time.unix.saturating_add(by.as_secs());
    }

    /// Someone sets the wall clock; the monotonic clock does not notice.
    pub fn set_unix(&self, unix: u64) {
        self.lock().unix = unix;
    }

    /// The clocks of the same device after a reboot: the monotonic clock starts again at zero,
    /// the wall clock (battery-backed) keeps its reading. The new clock is independent.
    pub fn after_reboot(&self) -> ManualClock {
        ManualClock::new(self.unix_now())
    }

    fn lock(&self) -> MutexGuard<'_, ManualTime> {
        // The data is two numbers; a panic elsewhere cannot leave it inconsistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn monotonic(&self) -> Duration {
        self.lock().monotonic
    }

    fn unix_now(&self) -> u64 {
        self.lock().unix
    }
}
