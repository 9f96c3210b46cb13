//! The device's attempt limits: wrong verification codes and wrong admin passwords each lock the
//! thing they guess for a cool-down that doubles, and both survive a reboot.

use std::time::Duration;

use crate::clock::Clock;
use crate::store::SavedCooldown;

/// Wrong codes that burn a challenge.
pub const MAX_WRONG_CODES: u32 = 5;
/// Wrong admin passwords (or user names) that lock the login.
pub const MAX_WRONG_LOGINS: u32 = 5;
pub const FIRST_COOLDOWN: Duration = Duration::from_secs(60);
pub const MAX_COOLDOWN: Duration = Duration::from_secs(60 * 60);

/// The cool-down after the `burned`-th burned challenge since the last success (1-based):
/// 60 s, 120 s, 240 s, ... capped at one hour.
pub fn cooldown_after(burned: u32) -> Duration {
    let doublings = burned.saturating_sub(1).min(16);
    FIRST_COOLDOWN
        .saturating_mul(1u32 << doublings)
        .min(MAX_COOLDOWN)
}

/// One attempt limit while the device runs: wrong attempts since the last success or lockout,
/// lockouts since the last success (they set the next cool-down), and the end of a running
/// cool-down on this boot's monotonic clock. The agent persists the first two and
/// [`Lockout::saved`] after every change.
#[derive(Debug, Clone)]
pub(crate) struct Lockout {
    max_wrong: u32,
    pub wrong: u32,
    pub rounds: u32,
    until: Option<Duration>,
}

impl Lockout {
    /// The limit as it stood at the last write, with a cool-down that was running then resumed
    /// (see [`remaining_after_reboot`]).
    pub fn resume(
        max_wrong: u32,
        wrong: u32,
        rounds: u32,
        saved: Option<SavedCooldown>,
        clock: &dyn Clock,
    ) -> Self {
        let until =
            saved.map(|saved| clock.monotonic() + remaining_after_reboot(saved, clock.unix_now()));
        Lockout {
            max_wrong,
            wrong,
            rounds,
            until,
        }
    }

    /// Time until attempts are answered again, if a cool-down is running.
    pub fn remaining(&self, now: Duration) -> Option<Duration> {
        self.until?.checked_sub(now).filter(|left| !left.is_zero())
    }

    pub fn attempts_left(&self) -> u32 {
        self.max_wrong.saturating_sub(self.wrong)
    }

    /// Counts one wrong attempt. The last allowed one starts the cool-down, whose length it
    /// returns, and the count starts again after it.
    pub fn record_wrong(&mut self, now: Duration) -> Option<Duration> {
        self.wrong += 1;
        if self.wrong < self.max_wrong {
            return None;
        }
        self.wrong = 0;
        self.rounds = self.rounds.saturating_add(1);
        let cooldown = cooldown_after(self.rounds);
        self.until = Some(now + cooldown);
        Some(cooldown)
    }

    /// A right attempt: everything is forgiven.
    pub fn record_success(&mut self) {
        self.wrong = 0;
        self.rounds = 0;
        self.until = None;
    }

    /// Whether anything is counted, i.e. a success has something to forget.
    pub fn is_clear(&self) -> bool {
        self.wrong == 0 && self.rounds == 0 && self.until.is_none()
    }

    /// The running cool-down as written to disk: both clocks' readings (see `SavedCooldown`).
    pub fn saved(&self, clock: &dyn Clock) -> Option<SavedCooldown> {
        self.remaining(clock.monotonic()).map(|left| {
            let remaining_secs = ceil_secs(left);
            SavedCooldown {
                remaining_secs,
                until_unix: clock.unix_now().saturating_add(remaining_secs),
            }
        })
    }
}

/// The cool-down left after a reboot, from what was saved before it.
///
/// The monotonic clock restarted, so how long the device was off is unknown. The wall clock could
/// tell, but it is exactly what an attacker at the device can move (menu, NTP, a flat RTC
/// battery), so it may never shorten a cool-down. The stricter reading wins:
/// - `remaining_secs` assumes the device was off for no time at all: power-cycling never helps.
/// - the wall deadline is longer only if the wall clock went backwards; honour it then (it costs
///   an attacker time, never gains any), but cap it at the longest cool-down so a device whose
///   clock fell back to 1970 is not locked for decades.
fn remaining_after_reboot(saved: SavedCooldown, unix_now: u64) -> Duration {
    let by_wall = saved
        .until_unix
        .saturating_sub(unix_now)
        .min(MAX_COOLDOWN.as_secs());
    let by_monotonic = saved.remaining_secs.min(MAX_COOLDOWN.as_secs());
    Duration::from_secs(by_monotonic.max(by_wall))
}

pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooldown_doubles_and_caps_at_one_hour() {
        let secs: Vec<u64> = (1..=8).map(|n| cooldown_after(n).as_secs()).collect();
        assert_eq!(secs, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(cooldown_after(u32::MAX), MAX_COOLDOWN);
    }

    #[test]
    fn a_reboot_never_shortens_a_cooldown() {
        let saved = SavedCooldown {
            remaining_secs: 120,
            until_unix: 1_000_120,
        };
        // Clock set forward by an attacker: the monotonic reading stands.
        assert_eq!(
            remaining_after_reboot(saved, 9_999_999),
            Duration::from_secs(120)
        );
        // Clock fell back: the wall reading is stricter, capped at an hour.
        assert_eq!(
            remaining_after_reboot(saved, 1_000_000 - 500),
            Duration::from_secs(620)
        );
        assert_eq!(remaining_after_reboot(saved, 0), MAX_COOLDOWN);
    }
}
