//! The device rules of DESIGN.md section 3, one test each, in the words of the person at the NVR.

mod common;

use std::time::Duration;

use common::*;
use hc_device::{DeviceError, PolicyError, ResetMethod, StateStore};

fn bound_device() -> (tempfile::TempDir, TestDevice) {
    let dir = tempfile::tempdir().unwrap();
    let device = TestDevice::boot(dir.path(), true);
    (dir, device)
}

fn enter_wrong_codes(device: &mut TestDevice, how_many: u32) {
    let wrong = wrong_code(&device.right_code());
    for _ in 0..how_many {
        let _ = device.agent.submit_code(&wrong);
    }
}

/// Burns the challenge on screen (five wrong codes) and returns the cool-down it started.
fn burn_a_challenge(device: &mut TestDevice) -> Duration {
    device.agent.start_hik_connect().unwrap();
    let wrong = wrong_code(&device.right_code());
    for _ in 0..4 {
        assert!(matches!(
            device.agent.submit_code(&wrong),
            Err(DeviceError::WrongCode { .. })
        ));
    }
    match device.agent.submit_code(&wrong) {
        Err(DeviceError::ChallengeBurned { retry_after }) => retry_after,
        other => panic!("the fifth wrong code must burn the challenge, got {other:?}"),
    }
}

#[test]
fn not_bound_verify_by_hik_connect_is_not_offered() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), false);
    assert!(device.agent.forget_password_methods().is_empty());
    assert!(matches!(
        device.agent.start_hik_connect(),
        Err(DeviceError::NotOffered)
    ));
}

#[test]
fn bound_verify_by_hik_connect_is_offered() {
    let (_dir, device) = bound_device();
    assert_eq!(
        device.agent.forget_password_methods(),
        [ResetMethod::HikConnect]
    );
    assert_eq!(ResetMethod::HikConnect.label(), "Verify by Hik-Connect");
}

#[test]
fn the_qr_code_names_this_device_and_only_its_key_verifies_it() {
    let (_dir, mut device) = bound_device();
    let qr = device.agent.start_hik_connect().unwrap().qr_text;
    assert!(qr.starts_with("HCR1:"));
    let parsed = hc_protocol::parse_qr(&qr).unwrap();
    let challenge = parsed.challenge();
    assert_eq!(challenge.serial.as_str(), "J12345678");
    assert_eq!(challenge.model, "DS-7608NI-K2/8P");
    assert_eq!(challenge.firmware, "V4.61.005");
    assert!(
        challenge.bound,
        "the QR says the device believes it is bound"
    );
    assert_eq!(u64::from(challenge.issued_at), START_UNIX);
    let other_key = hc_protocol::DeviceKey::from_bytes([7; 32]);
    assert!(parsed.clone().verify(&other_key).is_err());
    assert!(parsed.verify(&device.record.device_key).is_ok());
}

#[test]
fn every_qr_code_has_a_fresh_nonce() {
    let (_dir, mut device) = bound_device();
    let first = device.agent.start_hik_connect().unwrap().qr_text;
    let second = device.agent.start_hik_connect().unwrap().qr_text;
    let nonce_of = |qr: &str| hc_protocol::parse_qr(qr).unwrap().challenge().nonce;
    assert_ne!(nonce_of(&first), nonce_of(&second));
}

#[test]
fn the_right_code_is_accepted_and_opens_the_new_password_form() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let accepted = device.agent.submit_code(&device.right_code()).unwrap();
    assert_eq!(accepted.expires_in, Duration::from_secs(600));
    assert_eq!(accepted.reset_token.as_str().len(), 64);
}

#[test]
fn the_code_may_be_typed_with_spaces_or_a_dash() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let code = device.right_code();
    let typed = format!("{} {}", &code[..4], &code[4..]);
    assert!(device.agent.submit_code(&typed).is_ok());
}

#[test]
fn a_wrong_code_shows_the_attempts_left() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let wrong = wrong_code(&device.right_code());
    for expected in [4, 3, 2, 1] {
        match device.agent.submit_code(&wrong) {
            Err(DeviceError::WrongCode { attempts_left }) => assert_eq!(attempts_left, expected),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            device.agent.current_challenge().unwrap().attempts_left,
            expected
        );
    }
}

#[test]
fn a_typo_that_is_not_eight_digits_costs_no_attempt() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    for typo in ["1234567", "123456789", "1234abcd", "", "🙂🙂🙂🙂🙂🙂🙂🙂"] {
        assert!(matches!(
            device.agent.submit_code(typo),
            Err(DeviceError::MalformedCode)
        ));
    }
    assert_eq!(device.agent.attempts_left(), 5);
}

#[test]
fn five_wrong_codes_burn_the_challenge() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let right = device.right_code();
    let cooldown = burn_a_challenge_keeping(&mut device, &right);
    assert_eq!(cooldown, Duration::from_secs(60));
    // The burned challenge's right code is no good any more, and no QR is shown.
    assert!(device.agent.current_challenge().is_none());
    assert!(matches!(
        device.agent.submit_code(&right),
        Err(DeviceError::CoolingDown { .. })
    ));
}

fn burn_a_challenge_keeping(device: &mut TestDevice, right: &str) -> Duration {
    let wrong = wrong_code(right);
    for _ in 0..4 {
        let _ = device.agent.submit_code(&wrong);
    }
    match device.agent.submit_code(&wrong) {
        Err(DeviceError::ChallengeBurned { retry_after }) => retry_after,
        other => panic!("{other:?}"),
    }
}

#[test]
fn after_a_burned_challenge_a_new_one_waits_for_the_cool_down() {
    let (_dir, mut device) = bound_device();
    burn_a_challenge(&mut device);
    device.advance(59);
    match device.agent.start_hik_connect() {
        Err(DeviceError::CoolingDown { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(1))
        }
        other => panic!("{other:?}"),
    }
    device.advance(1);
    let fresh = device.agent.start_hik_connect().unwrap();
    assert_eq!(fresh.attempts_left, 5, "a new challenge gets five attempts");
}

#[test]
fn the_cool_down_doubles_with_each_burned_challenge_up_to_an_hour() {
    let (_dir, mut device) = bound_device();
    let mut seen = Vec::new();
    for _ in 0..8 {
        let cooldown = burn_a_challenge(&mut device);
        seen.push(cooldown.as_secs());
        device.advance(cooldown.as_secs());
    }
    assert_eq!(seen, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
}

#[test]
fn the_cool_down_starts_over_after_a_successful_reset() {
    let (_dir, mut device) = bound_device();
    for _ in 0..3 {
        let cooldown = burn_a_challenge(&mut device);
        device.advance(cooldown.as_secs());
    }
    device.agent.start_hik_connect().unwrap();
    device.agent.submit_code(&device.right_code()).unwrap();
    assert_eq!(burn_a_challenge(&mut device), Duration::from_secs(60));
}

#[test]
fn a_new_qr_code_replaces_the_old_one() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let old_code = device.right_code();
    device.agent.start_hik_connect().unwrap();
    let new_code = device.right_code();
    assert_ne!(old_code, new_code);
    assert!(matches!(
        device.agent.submit_code(&old_code),
        Err(DeviceError::WrongCode { attempts_left: 4 })
    ));
    assert!(device.agent.submit_code(&new_code).is_ok());
}

#[test]
fn showing_a_new_qr_code_does_not_give_back_wrong_attempts() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    enter_wrong_codes(&mut device, 4);
    let fresh = device.agent.start_hik_connect().unwrap();
    assert_eq!(fresh.attempts_left, 1);
    let wrong = wrong_code(&device.right_code());
    assert!(matches!(
        device.agent.submit_code(&wrong),
        Err(DeviceError::ChallengeBurned { .. })
    ));
}

#[test]
fn the_qr_code_expires_after_30_minutes() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let right = device.right_code();
    device.advance(30 * 60 - 1);
    assert_eq!(
        device.agent.current_challenge().unwrap().expires_in,
        Duration::from_secs(1)
    );
    device.advance(1);
    assert!(device.agent.current_challenge().is_none());
    assert!(matches!(
        device.agent.submit_code(&right),
        Err(DeviceError::ChallengeExpired)
    ));
    assert_eq!(
        device.agent.attempts_left(),
        5,
        "expiry is not a wrong code"
    );
}

#[test]
fn setting_the_wall_clock_does_not_change_how_long_the_qr_code_lives() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let right = device.right_code();
    device.clock.set_unix(START_UNIX + 86_400 * 365);
    device.advance(29 * 60);
    device.clock.set_unix(0);
    assert!(device.agent.submit_code(&right).is_ok());
}

#[test]
fn a_right_code_works_only_once() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let right = device.right_code();
    device.agent.submit_code(&right).unwrap();
    assert!(matches!(
        device.agent.submit_code(&right),
        Err(DeviceError::NoChallenge)
    ));
}

#[test]
fn the_new_password_logs_in_and_the_old_one_no_longer_does() {
    let (_dir, mut device) = bound_device();
    device.agent.login("admin", FIRST_PASSWORD).unwrap();
    device.agent.start_hik_connect().unwrap();
    let accepted = device.agent.submit_code(&device.right_code()).unwrap();
    device
        .agent
        .set_new_password(accepted.reset_token.as_str(), NEW_PASSWORD)
        .unwrap();
    assert!(device.agent.login("admin", NEW_PASSWORD).is_ok());
    assert!(matches!(
        device.agent.login("admin", FIRST_PASSWORD),
        Err(DeviceError::WrongPassword)
    ));
}

#[test]
fn only_the_admin_user_logs_in() {
    let (_dir, mut device) = bound_device();
    assert!(matches!(
        device.agent.login("operator", FIRST_PASSWORD),
        Err(DeviceError::WrongPassword)
    ));
    assert!(matches!(
        device.agent.login("admin", &"x".repeat(100_000)),
        Err(DeviceError::WrongPassword)
    ));
}

#[test]
fn the_new_password_must_be_set_within_10_minutes() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let accepted = device.agent.submit_code(&device.right_code()).unwrap();
    device.advance(10 * 60);
    assert!(matches!(
        device
            .agent
            .set_new_password(accepted.reset_token.as_str(), NEW_PASSWORD),
        Err(DeviceError::InvalidResetToken)
    ));
    assert!(device.agent.login("admin", FIRST_PASSWORD).is_ok());
}

#[test]
fn the_reset_token_works_once_and_a_forged_one_never() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let accepted = device.agent.submit_code(&device.right_code()).unwrap();
    for forged in ["", "not hex", &"0".repeat(64), &"é".repeat(32)] {
        assert!(matches!(
            device.agent.set_new_password(forged, NEW_PASSWORD),
            Err(DeviceError::InvalidResetToken)
        ));
    }
    let token = accepted.reset_token.as_str();
    device.agent.set_new_password(token, NEW_PASSWORD).unwrap();
    assert!(matches!(
        device.agent.set_new_password(token, "Another-Pass9"),
        Err(DeviceError::InvalidResetToken)
    ));
}

#[test]
fn a_new_password_that_breaks_the_policy_is_refused_and_the_form_stays_open() {
    let (_dir, mut device) = bound_device();
    device.agent.start_hik_connect().unwrap();
    let accepted = device.agent.submit_code(&device.right_code()).unwrap();
    let token = accepted.reset_token.as_str();
    for (weak, rule) in [
        ("Ab1", PolicyError::Length),
        ("abcdefghij", PolicyError::TooFewKinds),
        ("MyAdmin2024", PolicyError::ContainsUserName),
        ("Seventeen-chars-1", PolicyError::Length),
    ] {
        match device.agent.set_new_password(token, weak) {
            Err(DeviceError::PasswordPolicy(broken)) => assert_eq!(broken, rule, "{weak}"),
            other => panic!("{weak}: {other:?}"),
        }
    }
    device.agent.set_new_password(token, NEW_PASSWORD).unwrap();
}

#[test]
fn the_admin_password_is_stored_as_an_argon2id_hash() {
    let dir = tempfile::tempdir().unwrap();
    let _device = TestDevice::boot(dir.path(), true);
    let text = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(text.contains("$argon2id$"));
    assert!(!text.contains(FIRST_PASSWORD));
}

#[test]
fn the_bound_flag_survives_a_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let device = TestDevice::boot(dir.path(), true).reboot(dir.path());
    assert!(device.agent.is_bound());
    assert_eq!(
        device.agent.forget_password_methods(),
        [ResetMethod::HikConnect]
    );
}

#[test]
fn a_reboot_drops_the_qr_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    device.agent.start_hik_connect().unwrap();
    let right = device.right_code();
    let mut device = device.reboot(dir.path());
    assert!(device.agent.current_challenge().is_none());
    assert!(matches!(
        device.agent.submit_code(&right),
        Err(DeviceError::NoChallenge)
    ));
}

#[test]
fn wrong_attempts_survive_a_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    device.agent.start_hik_connect().unwrap();
    enter_wrong_codes(&mut device, 3);
    let mut device = device.reboot(dir.path());
    assert_eq!(device.agent.start_hik_connect().unwrap().attempts_left, 2);
}

#[test]
fn cool_down_survives_a_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    burn_a_challenge(&mut device);
    device.advance(20);
    let mut device = device.reboot(dir.path());
    assert!(matches!(
        device.agent.start_hik_connect(),
        Err(DeviceError::CoolingDown { .. })
    ));
    // The power was off for an unknown time: the device assumes none, so a power cycle never
    // shortens the wait. It ends 60 s after the boot.
    device.advance(59);
    assert!(device.agent.start_hik_connect().is_err());
    device.advance(1);
    assert!(device.agent.start_hik_connect().is_ok());
}

#[test]
fn setting_the_clock_forward_and_rebooting_does_not_end_the_cool_down() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    burn_a_challenge(&mut device);
    device.clock.set_unix(START_UNIX + 10 * 86_400);
    let mut device = device.reboot(dir.path());
    match device.agent.start_hik_connect() {
        Err(DeviceError::CoolingDown { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(60))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_cool_down_length_survives_a_reboot_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    let first = burn_a_challenge(&mut device);
    device.advance(first.as_secs());
    device.agent.checkpoint().unwrap();
    let mut device = device.reboot(dir.path());
    assert_eq!(burn_a_challenge(&mut device), Duration::from_secs(120));
}

#[test]
fn a_checkpoint_lets_a_reboot_resume_the_cool_down_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    burn_a_challenge(&mut device);
    device.advance(45);
    device.agent.checkpoint().unwrap();
    let mut device = device.reboot(dir.path());
    match device.agent.start_hik_connect() {
        Err(DeviceError::CoolingDown { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(15))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_finished_cool_down_does_not_come_back_after_a_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    burn_a_challenge(&mut device);
    device.advance(60);
    device.agent.start_hik_connect().unwrap();
    let mut device = device.reboot(dir.path());
    assert!(device.agent.start_hik_connect().is_ok());

    // Also when nobody came back before the reboot, if the firmware checkpointed.
    burn_a_challenge(&mut device);
    device.advance(120);
    device.agent.checkpoint().unwrap();
    let mut device = device.reboot(dir.path());
    assert!(device.agent.start_hik_connect().is_ok());
}

#[test]
fn a_damaged_state_file_stops_the_device_instead_of_forgetting_the_lockout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state.json"), b"{\"format\":1,\"wrong_co").unwrap();
    let result = hc_device::ResetAgent::boot(
        test_device(),
        StateStore::open(dir.path()).unwrap(),
        std::sync::Arc::new(hc_device::ManualClock::new(START_UNIX)),
        std::sync::Arc::new(hc_device::OsRandom),
    );
    assert!(matches!(result, Err(DeviceError::Storage(_))));
}

#[test]
fn the_state_file_survives_a_crash_mid_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    device.agent.start_hik_connect().unwrap();
    enter_wrong_codes(&mut device, 2);
    let before = std::fs::read(dir.path().join("state.json")).unwrap();
    // The power fails while the next write is half done: the temp file holds a torn prefix.
    std::fs::write(
        dir.path().join("state.json.tmp"),
        &before[..before.len() / 2],
    )
    .unwrap();
    let mut device = device.reboot(dir.path());
    assert_eq!(device.agent.start_hik_connect().unwrap().attempts_left, 3);
    assert!(device.agent.login("admin", FIRST_PASSWORD).is_ok());
    assert!(!dir.path().join("state.json.tmp").exists());
}
