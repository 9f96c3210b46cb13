//! How long the device refuses new challenges after wrong codes.

use std::time::Duration;

/// Wrong codes that burn a challenge.
pub const MAX_WRONG_CODES: u32 = 5;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooldown_doubles_and_caps_at_one_hour() {
        let secs: Vec<u64> = (1..=8).map(|n| cooldown_after(n).as_secs()).collect();
        assert_eq!(secs, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(cooldown_after(u32::MAX), MAX_COOLDOWN);
    }
}
