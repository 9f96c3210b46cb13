//! The reset agent: every device rule of DESIGN.md section 3 as one state machine.
//!
//! It owns the persisted state and the in-memory challenge and reset window. It does no I/O but
//! the state file, takes its clocks and randomness from the caller, and is synchronous: a firmware
//! UI (or `nvr-sim`) calls it from wherever it handles a key press.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use hc_protocol::factory::DeviceRecord;
use hc_protocol::{CHALLENGE_LIFETIME_SECS, Challenge, Nonce, ResetCode};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::lockout::{Lockout, MAX_WRONG_CODES, MAX_WRONG_LOGINS, ceil_secs};
use crate::password::{hash_password, verify_password};
use crate::policy::{PolicyError, check_password};
use crate::random::{RandomError, SecureRandom};
use crate::store::{PersistedState, StateStore, StoreError};

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
    /// Too many wrong passwords: the login answers nothing, the right password included, until
    /// the cool-down ends.
    #[error("too many wrong passwords: try again in {} s", retry_after.as_secs())]
    LoginLocked { retry_after: Duration },
    /// As many logins are being checked right now as attempts are left: this one is not tried.
    #[error("other logins are being checked: try again in a moment")]
    LoginBusy,
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
    /// Wrong admin passwords the login still answers before it locks.
    pub login_attempts_left: u32,
    /// Time until the login answers again, if too many wrong passwords locked it.
    pub login_locked_for: Option<Duration>,
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
    /// Wrong verification codes; its counters are persisted in `state` by `persist`.
    codes: Lockout,
    /// Wrong admin passwords, likewise.
    logins: Lockout,
    /// Logins whose password is being checked outside the agent (see [`LoginAttempt`]).
    logins_in_flight: Arc<AtomicU32>,
    /// Changes with every new admin password, so a check against the old hash that finishes
    /// after the change logs nobody in.
    password_generation: u64,
    challenge: Option<ActiveChallenge>,
    reset_window: Option<ResetWindow>,
}

/// A login whose password is being checked. Argon2 takes tens of milliseconds and 19 MiB, so it
/// runs on a snapshot of the stored hash, without the agent: [`ResetAgent::begin_login`] takes
/// the snapshot, [`LoginAttempt::check`] hashes, [`ResetAgent::finish_login`] records the verdict.
/// Until then the attempt holds one of the attempts left, so a flood of parallel guesses gets
/// no more answers than one guess after another.
#[must_use = "a login attempt counts only once its verdict is handed to finish_login"]
pub struct LoginAttempt {
    hash: Zeroizing<String>,
    generation: u64,
    slot: InFlight,
}

/// The outcome of [`LoginAttempt::check`], for [`ResetAgent::finish_login`].
#[must_use = "hand the verdict to finish_login: only it logs in or counts the wrong password"]
pub struct LoginVerdict {
    right: bool,
    generation: u64,
    _slot: InFlight,
}

impl LoginAttempt {
    /// Checks the typed user name and password against the snapshot. Every failure looks the
    /// same, and a wrong user name costs the same argon2 run as a wrong password.
    pub fn check(self, user: &str, password: &str) -> LoginVerdict {
        let password_ok = verify_password(password, &self.hash);
        let user_ok = bool::from(user.as_bytes().ct_eq(ADMIN_USER.as_bytes()));
        LoginVerdict {
            right: password_ok && user_ok,
            generation: self.generation,
            _slot: self.slot,
        }
    }
}

/// One login being checked; dropping it (however the check ends) frees its place.
struct InFlight(Arc<AtomicU32>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
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
        let codes = Lockout::resume(
            MAX_WRONG_CODES,
            state.wrong_codes,
            state.burned_challenges,
            state.cooldown,
            clock.as_ref(),
        );
        let logins = Lockout::resume(
            MAX_WRONG_LOGINS,
            state.wrong_logins,
            state.login_lockouts,
            state.login_cooldown,
            clock.as_ref(),
        );
        let resumed = state.cooldown.is_some() || state.login_cooldown.is_some();
        let mut agent = ResetAgent {
            record,
            store,
            clock,
            random,
            state,
            codes,
            logins,
            logins_in_flight: Arc::new(AtomicU32::new(0)),
            password_generation: 0,
            challenge: None,
            reset_window: None,
        };
        if resumed {
            // Re-anchor the wall deadlines to this boot, so a later reboot reads them afresh.
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
            login_attempts_left: self.logins.attempts_left(),
            login_locked_for: self.logins.remaining(now),
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
        self.password_generation += 1;
        self.persist()
    }

    /// The login screen, all in one go: for a caller that handles one key press at a time.
    /// A server that must keep answering while argon2 runs uses [`ResetAgent::begin_login`].
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), DeviceError> {
        let verdict = self.begin_login()?.check(user, password);
        self.finish_login(verdict)
    }

    /// Starts a login: refused while too many wrong passwords lock it (the right one too), and
    /// while as many logins are being checked as attempts are left.
    pub fn begin_login(&mut self) -> Result<LoginAttempt, DeviceError> {
        let Some(hash) = &self.state.admin_password_hash else {
            return Err(DeviceError::NotActivated);
        };
        if let Some(retry_after) = self.logins.remaining(self.clock.monotonic()) {
            return Err(DeviceError::LoginLocked { retry_after });
        }
        let left = self.logins.attempts_left();
        let taken =
            self.logins_in_flight
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |running| {
                    (running < left).then_some(running + 1)
                });
        if taken.is_err() {
            return Err(DeviceError::LoginBusy);
        }
        Ok(LoginAttempt {
            hash: Zeroizing::new(hash.clone()),
            generation: self.password_generation,
            slot: InFlight(Arc::clone(&self.logins_in_flight)),
        })
    }

    /// Records a checked login: a right one forgives the wrong ones before it, a wrong one
    /// counts, and the last allowed wrong one locks the login for a cool-down that doubles each
    /// time (60 s up to an hour), saved so that a reboot does not lift it.
    pub fn finish_login(&mut self, verdict: LoginVerdict) -> Result<(), DeviceError> {
        if verdict.generation != self.password_generation {
            // Checked against a password that has since been replaced.
            return Err(DeviceError::WrongPassword);
        }
        if verdict.right {
            if !self.logins.is_clear() {
                self.logins.record_success();
                self.persist()?;
            }
            return Ok(());
        }
        let locked = self.logins.record_wrong(self.clock.monotonic());
        self.persist()?;
        match locked {
            Some(retry_after) => Err(DeviceError::LoginLocked { retry_after }),
            None => Err(DeviceError::WrongPassword),
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
        self.codes.attempts_left()
    }

    /// Time until a new challenge may start, if a cool-down is running.
    pub fn cooldown_remaining(&self) -> Option<Duration> {
        self.codes.remaining(self.clock.monotonic())
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
        let Some(retry_after) = self.codes.record_wrong(now) else {
            self.persist()?;
            return Err(DeviceError::WrongCode {
                attempts_left: self.attempts_left(),
            });
        };
        // Burn the challenge; the cool-down has started.
        self.challenge = None;
        self.persist()?;
        Err(DeviceError::ChallengeBurned { retry_after })
    }

    fn accept_code(&mut self, now: Duration) -> Result<CodeAccepted, DeviceError> {
        // Single use: the challenge is gone whatever happens next.
        self.challenge = None;
        self.codes.record_success();
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
        self.password_generation += 1;
        // The owner proved ownership through the cloud: the wrong guesses before are moot.
        self.logins.record_success();
        self.persist()?;
        self.reset_window = None;
        Ok(())
    }

    /// Saves how much of the running cool-downs is left (or that they ended), so a reboot
    /// resumes them from about here rather than from the last write: after a reboot the device
    /// assumes it was off for no time. Firmware calls this now and then (nvr-sim every 15 s); it
    /// writes only while a saved cool-down is out of date.
    pub fn checkpoint(&mut self) -> Result<(), DeviceError> {
        let now = self.clock.monotonic();
        let stale = |saved: Option<crate::store::SavedCooldown>, lockout: &Lockout| {
            let saved = saved.map(|c| c.remaining_secs);
            saved.is_some() && saved != lockout.remaining(now).map(ceil_secs)
        };
        if stale(self.state.cooldown, &self.codes) || stale(self.state.login_cooldown, &self.logins)
        {
            self.persist()?;
        }
        Ok(())
    }

    /// Writes the state, with the counters and cool-downs as they stand now.
    fn persist(&mut self) -> Result<(), DeviceError> {
        let clock = self.clock.as_ref();
        self.state.wrong_codes = self.codes.wrong;
        self.state.burned_challenges = self.codes.rounds;
        self.state.cooldown = self.codes.saved(clock);
        self.state.wrong_logins = self.logins.wrong;
        self.state.login_lockouts = self.logins.rounds;
        self.state.login_cooldown = self.logins.saved(clock);
        self.store.save(&self.state)?;
        Ok(())
    }
}
