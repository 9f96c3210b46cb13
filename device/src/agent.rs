//! The reset agent: every device rule of DESIGN.md section 3 as one state machine.
//!
//! It owns the persisted state and the in-memory challenge and reset window. It does no I/O but
//! the state file, takes its clocks and randomness from the caller, and is synchronous: a firmware
//! UI (or `nvr-sim`) calls it from wherever it handles a key press.

use std::sync::Arc;
use std::time::Duration;

use hc_protocol::factory::DeviceRecord;
use hc_protocol::{CHALLENGE_LIFETIME_SECS, Challenge, Nonce, ResetCode};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::lockout::{MAX_COOLDOWN, MAX_WRONG_CODES, cooldown_after};
use crate::password::{hash_password, verify_password};
use crate::policy::{PolicyError, check_password};
use crate::random::{RandomError, SecureRandom};
use crate::store::{PersistedState, SavedCooldown, StateStore, StoreError};

/// The device's only local account.
pub const ADMIN_USER: &str = "admin";
/// How long a challenge (and so its QR code) is accepted, by the monotonic clock.
pub const CHALLENGE_LIFETIME: Duration = Duration::from_secs(CHALLENGE_LIFETIME_SECS);
/// How long after a correct code the new password may be set.
pub const RESET_WINDOW: Duration = Duration::from_secs(10 * 60);

/// The ways to reset a forgotten password that the Forget Password menu offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResetMethod {
    /// "Verify by Hik-Connect": QR code, verification code from the app.
    HikConnect,
}

impl ResetMethod {
    /// The name used by the JSON API.
    pub fn as_str(self) -> &'static str {
        match self {
            ResetMethod::HikConnect => "hik_connect",
        }
    }

    /// The label on the device's screen.
    pub fn label(self) -> &'static str {
        match self {
            ResetMethod::HikConnect => "Verify by Hik-Connect",
        }
    }
}

/// Everything that can go wrong, one variant per thing the user is told.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("incorrect user name or password")]
    WrongPassword,
    #[error("the device has no admin password yet")]
    NotActivated,
    #[error("the device already has an admin password")]
    AlreadyActivated,
    #[error("Verify by Hik-Connect is only offered when the device is added to Hik-Connect")]
    NotOffered,
    #[error("too many wrong codes: try again in {} s", retry_after.as_secs())]
    CoolingDown { retry_after: Duration },
    #[error("no verification is in progress: start Verify by Hik-Connect first")]
    NoChallenge,
    #[error("the QR code has expired: start Verify by Hik-Connect again")]
    ChallengeExpired,
    #[error("the verification code is 8 digits")]
    MalformedCode,
    #[error("wrong verification code, {attempts_left} attempts left")]
    WrongCode { attempts_left: u32 },
    /// The last allowed wrong code: the challenge is gone and a cool-down has started.
    #[error("wrong verification code; too many wrong codes, try again in {} s", retry_after.as_secs())]
    ChallengeBurned { retry_after: Duration },
    #[error("the password reset has expired or was already used: verify again")]
    InvalidResetToken,
    #[error("{0}")]
    PasswordPolicy(#[from] PolicyError),
    #[error("cannot save the device state: {0}")]
    Storage(#[from] StoreError),
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error("cannot build the QR code: {0}")]
    Challenge(#[from] hc_protocol::QrError),
}

/// A challenge as the QR screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeView {
    /// `HCR1:...`, to be rendered as a QR code.
    pub qr_text: String,
    pub expires_in: Duration,
    pub attempts_left: u32,
}

/// A one-time secret that allows setting the new password within the reset window.
#[derive(Clone, PartialEq, Eq)]
pub struct ResetToken(Zeroizing<String>);

impl ResetToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ResetToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetToken(<redacted>)")
    }
}

/// A correct code: the reset window is open.
#[derive(Debug, Clone)]
pub struct CodeAccepted {
    pub reset_token: ResetToken,
    pub expires_in: Duration,
}

/// What the device's status page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStatus {
    pub serial: String,
    pub model: String,
    pub firmware: String,
    pub bound: bool,
    pub admin_password_set: bool,
    pub attempts_left: u32,
    pub cooldown_remaining: Option<Duration>,
    pub challenge_expires_in: Option<Duration>,
    pub last_sync_unix: Option<u64>,
}

struct ActiveChallenge {
    qr_text: String,
    code: ResetCode,
    expires_at: Duration,
}

struct ResetWindow {
    token: Zeroizing<[u8; 32]>,
    closes_at: Duration,
}

/// The device side of the reset.
pub struct ResetAgent {
    record: DeviceRecord,
    store: StateStore,
    clock: Arc<dyn Clock>,
    random: Arc<dyn SecureRandom>,
    state: PersistedState,
    /// End of the running cool-down on this boot's monotonic clock.
    cooldown_until: Option<Duration>,
    challenge: Option<ActiveChallenge>,
    reset_window: Option<ResetWindow>,
}

impl ResetAgent {
    /// Starts the agent: loads the state (a fresh device has none) and resumes a cool-down that
    /// was running when the device went down. No challenge survives a reboot.
    pub fn boot(
        record: DeviceRecord,
        store: StateStore,
        clock: Arc<dyn Clock>,
        random: Arc<dyn SecureRandom>,
    ) -> Result<Self, DeviceError> {
        let state = store.load()?.unwrap_or_default();
        let mut agent = ResetAgent {
            record,
            store,
            clock,
            random,
            state,
            cooldown_until: None,
            challenge: None,
            reset_window: None,
        };
        if let Some(saved) = agent.state.cooldown {
            let remaining = remaining_after_reboot(saved, agent.clock.unix_now());
            agent.cooldown_until = Some(agent.clock.monotonic() + remaining);
            // Re-anchor the wall deadline to this boot, so a later reboot reads it afresh.
            agent.persist()?;
        }
        Ok(agent)
    }

    pub fn record(&self) -> &DeviceRecord {
        &self.record
    }

    pub fn status(&self) -> DeviceStatus {
        let now = self.clock.monotonic();
        DeviceStatus {
            serial: self.record.serial.as_str().to_owned(),
            model: self.record.model.clone(),
            firmware: self.record.firmware.clone(),
            bound: self.state.bound,
            admin_password_set: self.is_activated(),
            attempts_left: self.attempts_left(),
            cooldown_remaining: self.cooldown_remaining(),
            challenge_expires_in: self
                .challenge
                .as_ref()
                .and_then(|c| c.expires_at.checked_sub(now))
                .filter(|left| !left.is_zero()),
            last_sync_unix: self.state.last_sync_unix,
        }
    }

    // ---- admin account -------------------------------------------------------------------

    /// Whether the admin password has been set (the device is "activated").
    pub fn is_activated(&self) -> bool {
        self.state.admin_password_hash.is_some()
    }

    /// Sets the first admin password of a new device. The policy applies.
    pub fn activate(&mut self, password: &str) -> Result<(), DeviceError> {
        if self.is_activated() {
            return Err(DeviceError::AlreadyActivated);
        }
        check_password(ADMIN_USER, password)?;
        self.state.admin_password_hash = Some(hash_password(password, self.random.as_ref())?);
        self.persist()
    }

    /// The login screen. Every failure looks the same.
    pub fn login(&self, user: &str, password: &str) -> Result<(), DeviceError> {
        let Some(hash) = &self.state.admin_password_hash else {
            return Err(DeviceError::NotActivated);
        };
        // Verify even for a wrong user name, so the answer takes the same time.
        let password_ok = verify_password(password, hash);
        if password_ok && user == ADMIN_USER {
            Ok(())
        } else {
            Err(DeviceError::WrongPassword)
        }
    }

    // ---- cloud binding -------------------------------------------------------------------

    pub fn is_bound(&self) -> bool {
        self.state.bound
    }

    /// A fresh nonce for one sync v2 exchange, from the device's CSPRNG. The caller keeps it until
    /// the answer arrives and believes only an answer tagged over it.
    pub fn sync_nonce(&self) -> Result<Nonce, DeviceError> {
        let mut nonce = [0u8; 16];
        self.random.fill(&mut nonce)?;
        Ok(Nonce::from_bytes(nonce))
    }

    /// Records what the cloud said at the last sync (an answer whose tag verified).
    pub fn record_sync(&mut self, bound: bool) -> Result<(), DeviceError> {
        self.state.bound = bound;
        self.state.last_sync_unix = Some(self.clock.unix_now());
        self.persist()
    }

    // ---- Forget Password -----------------------------------------------------------------

    /// The methods the Forget Password menu offers.
    pub fn forget_password_methods(&self) -> Vec<ResetMethod> {
        if self.state.bound {
            vec![ResetMethod::HikConnect]
        } else {
            Vec::new()
        }
    }

    /// "Verify by Hik-Connect": a new challenge with a fresh nonce, replacing any previous one.
    pub fn start_hik_connect(&mut self) -> Result<ChallengeView, DeviceError> {
        if !self.state.bound {
            return Err(DeviceError::NotOffered);
        }
        if let Some(retry_after) = self.cooldown_remaining() {
            return Err(DeviceError::CoolingDown { retry_after });
        }
        if self.state.cooldown.is_some() {
            // The cool-down ended on this boot: forget it, or a reboot would start it again.
            self.persist()?;
        }
        let mut nonce = [0u8; 16];
        self.random.fill(&mut nonce)?;
        // The wall clock is informational in the QR; a clock past 2106 saturates.
        let issued_at = u32::try_from(self.clock.unix_now()).unwrap_or(u32::MAX);
        let challenge = Challenge::new(
            self.record.serial.clone(),
            true,
            issued_at,
            Nonce::from_bytes(nonce),
            &self.record.model,
            &self.record.firmware,
        )?;
        self.challenge = Some(ActiveChallenge {
            qr_text: challenge.to_qr_text(&self.record.device_key),
            code: challenge.reset_code(&self.record.device_key),
            expires_at: self.clock.monotonic() + CHALLENGE_LIFETIME,
        });
        self.reset_window = None;
        self.current_challenge().ok_or(DeviceError::NoChallenge)
    }

    /// The challenge on screen, if one is alive.
    pub fn current_challenge(&self) -> Option<ChallengeView> {
        let challenge = self.challenge.as_ref()?;
        let expires_in = challenge
            .expires_at
            .checked_sub(self.clock.monotonic())
            .filter(|left| !left.is_zero())?;
        Some(ChallengeView {
            qr_text: challenge.qr_text.clone(),
            expires_in,
            attempts_left: self.attempts_left(),
        })
    }

    /// Wrong codes the user may still enter before the challenge burns.
    pub fn attempts_left(&self) -> u32 {
        MAX_WRONG_CODES.saturating_sub(self.state.wrong_codes)
    }

    /// Time until a new challenge may start, if a cool-down is running.
    pub fn cooldown_remaining(&self) -> Option<Duration> {
        self.cooldown_until?
            .checked_sub(self.clock.monotonic())
            .filter(|left| !left.is_zero())
    }

    /// The user typed a verification code and pressed OK.
    ///
    /// Wrong codes count across challenges and reboots until a challenge burns or a code is
    /// right: otherwise starting a new challenge, or pulling the plug, after four wrong guesses
    /// would give an attacker unlimited guesses without ever meeting a cool-down.
    pub fn submit_code(&mut self, typed: &str) -> Result<CodeAccepted, DeviceError> {
        let now = self.clock.monotonic();
        let Some(challenge) = &self.challenge else {
            return Err(match self.cooldown_remaining() {
                Some(retry_after) => DeviceError::CoolingDown { retry_after },
                None => DeviceError::NoChallenge,
            });
        };
        if now >= challenge.expires_at {
            return Err(DeviceError::ChallengeExpired);
        }
        let mut digits = typed.bytes().filter(|b| *b != b' ' && *b != b'-');
        if typed.len() > 32 || digits.clone().count() != 8 || !digits.all(|b| b.is_ascii_digit()) {
            // The format is public; refusing a typo costs no attempt and tells nothing.
            return Err(DeviceError::MalformedCode);
        }
        if challenge.code.matches(typed) {
            return self.accept_code(now);
        }
        self.state.wrong_codes += 1;
        if self.state.wrong_codes < MAX_WRONG_CODES {
            self.persist()?;
            return Err(DeviceError::WrongCode {
                attempts_left: self.attempts_left(),
            });
        }
        // Burn the challenge and start the cool-down.
        self.challenge = None;
        self.state.wrong_codes = 0;
        self.state.burned_challenges = self.state.burned_challenges.saturating_add(1);
        let retry_after = cooldown_after(self.state.burned_challenges);
        self.cooldown_until = Some(now + retry_after);
        self.persist()?;
        Err(DeviceError::ChallengeBurned { retry_after })
    }

    fn accept_code(&mut self, now: Duration) -> Result<CodeAccepted, DeviceError> {
        // Single use: the challenge is gone whatever happens next.
        self.challenge = None;
        self.state.wrong_codes = 0;
        self.state.burned_challenges = 0;
        self.state.cooldown = None;
        self.cooldown_until = None;
        self.persist()?;
        let mut token = Zeroizing::new([0u8; 32]);
        self.random.fill(token.as_mut())?;
        let reset_token = ResetToken(Zeroizing::new(hex::encode(token.as_ref())));
        self.reset_window = Some(ResetWindow {
            token,
            closes_at: now + RESET_WINDOW,
        });
        Ok(CodeAccepted {
            reset_token,
            expires_in: RESET_WINDOW,
        })
    }

    /// The new-password form. A policy failure keeps the window open for another try; success
    /// closes it, so the token works once.
    pub fn set_new_password(&mut self, token: &str, password: &str) -> Result<(), DeviceError> {
        let now = self.clock.monotonic();
        let window = self
            .reset_window
            .as_ref()
            .filter(|w| now < w.closes_at)
            .ok_or(DeviceError::InvalidResetToken)?;
        let mut presented = Zeroizing::new([0u8; 32]);
        let token_ok = token.len() == 64
            && hex::decode_to_slice(token, presented.as_mut()).is_ok()
            && bool::from(presented.as_slice().ct_eq(window.token.as_slice()));
        if !token_ok {
            return Err(DeviceError::InvalidResetToken);
        }
        check_password(ADMIN_USER, password)?;
        self.state.admin_password_hash = Some(hash_password(password, self.random.as_ref())?);
        self.persist()?;
        self.reset_window = None;
        Ok(())
    }

    /// Saves how much of a running cool-down is left (or that it ended), so a reboot resumes it
    /// from about here rather than from the last write: after a reboot the device assumes it
    /// was off for no time. Firmware calls this now and then (nvr-sim every 15 s); it writes
    /// only while a saved cool-down is out of date.
    pub fn checkpoint(&mut self) -> Result<(), DeviceError> {
        let saved = self.state.cooldown.map(|c| c.remaining_secs);
        let now = self.cooldown_remaining().map(ceil_secs);
        if saved.is_some() && saved != now {
            self.persist()?;
        }
        Ok(())
    }

    /// Writes the state, with the cool-down as it stands now.
    fn persist(&mut self) -> Result<(), DeviceError> {
        self.state.cooldown = self.cooldown_remaining().map(|left| {
            let remaining_secs = ceil_secs(left);
            SavedCooldown {
                remaining_secs,
                until_unix: self.clock.unix_now().saturating_add(remaining_secs),
            }
        });
        self.store.save(&self.state)?;
        Ok(())
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

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
