//! Property tests of the reset agent as a state machine: random sequences of what a person (or an
//! attacker) at the NVR can do - show a QR code, type a wrong, right, replayed or malformed code,
//! pull the plug, wait, set the wall clock forward, let the firmware checkpoint - checked step by
//! step against a small model of the rules of DESIGN.md section 3.
//!
//! The model is exact (every answer of the device must be the one it predicts), and the rules are
//! asserted on the model itself, so a wrong model cannot hide a broken rule: at most five wrong
//! codes per challenge, a cool-down never shorter than 60 s doubling per burned challenge (capped
//! at an hour), never shortened by a reboot or the wall clock, and no code accepted twice.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use hc_device::lockout::{MAX_COOLDOWN, MAX_WRONG_CODES, cooldown_after};
use hc_device::{Clock, DeviceError, ManualClock, ResetAgent, ScriptedRandom, StateStore};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    ShowQr,
    RightCode,
    WrongCode,
    /// A code the device accepted before, or the code of a QR code since replaced.
    ReplayedCode,
    MalformedCode,
    Reboot,
    Wait(u64),
    /// Someone at the menu sets the wall clock forward (the attacker's favourite).
    WallClockForward(u64),
    Checkpoint,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::ShowQr),
        2 => Just(Step::RightCode),
        8 => Just(Step::WrongCode),
        2 => Just(Step::ReplayedCode),
        1 => Just(Step::MalformedCode),
        2 => Just(Step::Reboot),
        // Seconds to hours: crosses cool-downs (60 s .. 1 h) and the 30-minute QR lifetime.
        3 => prop_oneof![1u64..120, 120u64..4000].prop_map(Step::Wait),
        1 => (1u64..10_000_000).prop_map(Step::WallClockForward),
        1 => Just(Step::Checkpoint),
    ]
}

/// What the rules say the device must do. Times are real seconds since the test started; a reboot
/// takes no time.
#[derive(Default, Debug)]
struct Model {
    now: u64,
    /// The code of the QR code on screen and when it expires.
    challenge: Option<(String, u64)>,
    wrong_codes: u32,
    burned: u32,
    /// When the device lets a new challenge start again.
    cooldown_until: Option<u64>,
    /// The cool-down seconds in the state file, as last written (what a reboot resumes from).
    saved_cooldown: Option<u64>,
    /// When the running cool-down may end at the earliest by the rule: burn time + the rule.
    rule_until: Option<u64>,
    /// Codes the device took, and codes of QR codes that were replaced or burned.
    used_codes: Vec<String>,
    stale_codes: Vec<String>,
}

impl Model {
    fn cooling_for(&self) -> Option<u64> {
        self.cooldown_until
            .filter(|until| *until > self.now)
            .map(|until| until - self.now)
    }

    fn live_challenge(&self) -> Option<&String> {
        self.challenge
            .as_ref()
            .filter(|(_, expires)| self.now < *expires)
            .map(|(code, _)| code)
    }
}

struct Device {
    dir: tempfile::TempDir,
    clock: ManualClock,
    agent: ResetAgent,
}

impl Device {
    fn boot(dir: tempfile::TempDir, clock: ManualClock) -> Self {
        let agent = ResetAgent::boot(
            test_device(),
            StateStore::open(dir.path()).unwrap(),
            Arc::new(clock.clone()),
            Arc::new(ScriptedRandom::new()),
        )
        .unwrap();
        Device { dir, clock, agent }
    }
}

/// Types `code` and checks the answer against the model, which it then moves on.
fn submit(device: &mut Device, model: &mut Model, code: &str) -> Result<(), TestCaseError> {
    let answer = device.agent.submit_code(code);
    let Some((right, expires)) = model.challenge.clone() else {
        match (answer, model.cooling_for()) {
            (Err(DeviceError::CoolingDown { retry_after }), Some(left)) => {
                prop_assert_eq!(retry_after.as_secs(), left)
            }
            (Err(DeviceError::NoChallenge), None) => {}
            (other, left) => prop_assert!(false, "no challenge, cooling {left:?}: {other:?}"),
        }
        return Ok(());
    };
    if model.now >= expires {
        prop_assert!(
            matches!(answer, Err(DeviceError::ChallengeExpired)),
            "{answer:?}"
        );
        return Ok(());
    }
    if code == right {
        prop_assert!(
            !model.used_codes.contains(&right),
            "the model reused a code"
        );
        prop_assert!(answer.is_ok(), "the right code was refused: {answer:?}");
        model.used_codes.push(right);
        model.challenge = None;
        model.wrong_codes = 0;
        model.burned = 0;
        model.cooldown_until = None;
        model.saved_cooldown = None;
        model.rule_until = None;
        return Ok(());
    }
    model.wrong_codes += 1;
    prop_assert!(model.wrong_codes <= MAX_WRONG_CODES);
    if model.wrong_codes < MAX_WRONG_CODES {
        let attempts_left = MAX_WRONG_CODES - model.wrong_codes;
        prop_assert!(
            matches!(answer, Err(DeviceError::WrongCode { attempts_left: a }) if a == attempts_left),
            "expected {attempts_left} attempts left: {answer:?}"
        );
        // A wrong code is written with no cool-down running.
        model.saved_cooldown = None;
        return Ok(());
    }
    model.burned += 1;
    let rule = cooldown_after(model.burned).as_secs();
    prop_assert!((60..=MAX_COOLDOWN.as_secs()).contains(&rule));
    prop_assert_eq!(rule, (60u64 << (model.burned - 1).min(6)).min(3600));
    match answer {
        Err(DeviceError::ChallengeBurned { retry_after }) => {
            prop_assert_eq!(retry_after.as_secs(), rule)
        }
        other => prop_assert!(false, "the fifth wrong code must burn: {other:?}"),
    }
    model.stale_codes.push(right);
    model.challenge = None;
    model.wrong_codes = 0;
    model.cooldown_until = Some(model.now + rule);
    model.rule_until = Some(model.now + rule);
    model.saved_cooldown = Some(rule);
    Ok(())
}

fn apply(device: &mut Device, model: &mut Model, step: &Step) -> Result<(), TestCaseError> {
    match step {
        Step::ShowQr => {
            let answer = device.agent.start_hik_connect();
            match model.cooling_for() {
                Some(left) => {
                    prop_assert!(
                        matches!(&answer, Err(DeviceError::CoolingDown { retry_after }) if retry_after.as_secs() == left),
                        "cooling for {left} s: {answer:?}"
                    );
                }
                None => {
                    let view = answer.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
                    prop_assert_eq!(view.attempts_left, MAX_WRONG_CODES - model.wrong_codes);
                    if let Some((old, _)) = model.challenge.take() {
                        model.stale_codes.push(old);
                    }
                    let code = code_for_qr(&view.qr_text, device.agent.record());
                    model.challenge = Some((code, model.now + 30 * 60));
                    // The ended cool-down is forgotten on disk, so a reboot cannot bring it back.
                    model.cooldown_until = None;
                    model.saved_cooldown = None;
                    model.rule_until = None;
                }
            }
        }
        Step::RightCode => {
            let code = match &model.challenge {
                Some((code, _)) => code.clone(),
                None => return Ok(()),
            };
            submit(device, model, &code)?;
        }
        Step::WrongCode => {
            let Some((right, _)) = model.challenge.clone() else {
                return submit(device, model, "00000000");
            };
            submit(device, model, &wrong_code(&right))?;
        }
        Step::ReplayedCode => {
            let replay = model
                .used_codes
                .last()
                .or(model.stale_codes.last())
                .cloned();
            let Some(replay) = replay else {
                return Ok(());
            };
            // A replay equal to the live code would be a 1-in-10^8 collision, not a replay.
            if model.live_challenge() == Some(&replay) {
                return Ok(());
            }
            // `submit` fails the case if the device accepts it: the model knows it is not the
            // code on screen, so it expects a wrong code (or no challenge).
            submit(device, model, &replay)?;
        }
        Step::MalformedCode => {
            let answer = device.agent.submit_code("1234-567");
            if model.live_challenge().is_some() {
                prop_assert!(
                    matches!(answer, Err(DeviceError::MalformedCode)),
                    "{answer:?}"
                );
            } else {
                prop_assert!(answer.is_err());
            }
        }
        Step::Reboot => {
            let clock = device.clock.after_reboot();
            let booted = ResetAgent::boot(
                test_device(),
                StateStore::open(device.dir.path()).unwrap(),
                Arc::new(clock.clone()),
                Arc::new(ScriptedRandom::new()),
            )
            .map_err(|e| TestCaseError::fail(format!("boot: {e:?}")))?;
            device.agent = booted;
            device.clock = clock;
            if let Some((old, _)) = model.challenge.take() {
                model.stale_codes.push(old);
            }
            // The device assumes it was off for no time: it resumes what it last wrote.
            model.cooldown_until = model.saved_cooldown.map(|left| model.now + left);
        }
        Step::Wait(secs) => {
            device.clock.advance(Duration::from_secs(*secs));
            model.now += secs;
        }
        Step::WallClockForward(secs) => {
            device.clock.set_unix(device.clock.unix_now() + secs);
        }
        Step::Checkpoint => {
            device.agent.checkpoint().unwrap();
            if model.saved_cooldown.is_some() {
                model.saved_cooldown = model.cooling_for();
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn no_sequence_of_codes_reboots_and_clock_changes_breaks_a_device_rule(
        steps in proptest::collection::vec(step(), 1..60)
    ) {
        let mut device = Device::boot(tempfile::tempdir().unwrap(), ManualClock::new(START_UNIX));
        device.agent.record_sync(true).unwrap();
        let mut model = Model::default();
        for step in &steps {
            apply(&mut device, &mut model, step)?;
            // The rules, on what the device reports after every step.
            let status = device.agent.status();
            prop_assert!(status.attempts_left <= MAX_WRONG_CODES);
            prop_assert_eq!(status.attempts_left, MAX_WRONG_CODES - model.wrong_codes);
            if let Some(rule_until) = model.rule_until.filter(|until| *until > model.now) {
                let left = status.cooldown_remaining.map_or(0, |d| d.as_secs());
                prop_assert!(
                    left >= rule_until - model.now,
                    "cool-down shortened: {left} s left, the rule says {} s",
                    rule_until - model.now
                );
            }
            if let Some(left) = status.cooldown_remaining {
                prop_assert!(left <= MAX_COOLDOWN, "a cool-down longer than an hour: {left:?}");
            }
        }
    }
}
