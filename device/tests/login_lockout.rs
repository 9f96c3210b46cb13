//! The admin login against guessing: five wrong passwords lock it for a cool-down that doubles,
//! across reboots, and the password check runs without holding the agent.

mod common;

use std::time::Duration;

use common::*;
use hc_device::DeviceError;
use hc_device::lockout::MAX_WRONG_LOGINS;

fn wrong_guess(device: &mut TestDevice, n: u32) -> Result<(), DeviceError> {
    device.agent.login("admin", &format!("Guess-{n:04}"))
}

#[test]
fn guessing_the_admin_password_200_times_stops_being_answered_after_five() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    let answers: Vec<_> = (0..200).map(|n| wrong_guess(&mut device, n)).collect();
    let checked = answers
        .iter()
        .take_while(|a| matches!(a, Err(DeviceError::WrongPassword)))
        .count();
    assert_eq!(checked, (MAX_WRONG_LOGINS - 1) as usize);
    assert!(
        answers[checked..]
            .iter()
            .all(|a| matches!(a, Err(DeviceError::LoginLocked { .. }))),
        "from the fifth wrong password on the login is locked"
    );
    // The right password at guess 200 is refused too, with the cool-down.
    match device.agent.login("admin", FIRST_PASSWORD) {
        Err(DeviceError::LoginLocked { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(60));
        }
        other => panic!("the right password during the lockout: {other:?}"),
    }
    assert_eq!(
        device.agent.status().login_locked_for,
        Some(Duration::from_secs(60))
    );
    device.advance(60);
    assert!(device.agent.login("admin", FIRST_PASSWORD).is_ok());
}

#[test]
fn a_reboot_does_not_lift_the_login_lockout() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    for n in 0..MAX_WRONG_LOGINS {
        let _ = wrong_guess(&mut device, n);
    }
    // Pulled the plug 20 s later: the device assumes it was off for no time.
    device.advance(20);
    let mut device = device.reboot(dir.path());
    assert!(matches!(
        device.agent.login("admin", FIRST_PASSWORD),
        Err(DeviceError::LoginLocked { retry_after }) if retry_after == Duration::from_secs(60)
    ));
    // Nor do the wrong guesses before a lockout start again from zero after a reboot.
    device.advance(60);
    for n in 0..MAX_WRONG_LOGINS - 1 {
        assert!(matches!(
            wrong_guess(&mut device, n),
            Err(DeviceError::WrongPassword)
        ));
    }
    let mut device = device.reboot(dir.path());
    assert_eq!(device.agent.status().login_attempts_left, 1);
    assert!(matches!(
        wrong_guess(&mut device, 99),
        Err(DeviceError::LoginLocked { retry_after }) if retry_after == Duration::from_secs(120)
    ));
}

#[test]
fn each_login_lockout_lasts_twice_as_long_as_the_one_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    let mut lockouts = Vec::new();
    for _ in 0..4 {
        let mut last = Ok(());
        for n in 0..MAX_WRONG_LOGINS {
            last = wrong_guess(&mut device, n);
        }
        let Err(DeviceError::LoginLocked { retry_after }) = last else {
            panic!("the fifth wrong password locks: {last:?}");
        };
        lockouts.push(retry_after.as_secs());
        device.advance(retry_after.as_secs());
    }
    assert_eq!(lockouts, [60, 120, 240, 480]);
}

#[test]
fn the_right_password_forgives_the_wrong_ones_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    for n in 0..MAX_WRONG_LOGINS - 1 {
        let _ = wrong_guess(&mut device, n);
    }
    device.agent.login("admin", FIRST_PASSWORD).unwrap();
    assert_eq!(device.agent.status().login_attempts_left, MAX_WRONG_LOGINS);
}

#[test]
fn a_wrong_user_name_counts_like_a_wrong_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    for _ in 0..MAX_WRONG_LOGINS {
        let _ = device.agent.login("operator", FIRST_PASSWORD);
    }
    assert!(matches!(
        device.agent.login("admin", FIRST_PASSWORD),
        Err(DeviceError::LoginLocked { .. })
    ));
}

#[test]
fn parallel_guesses_get_no_more_answers_than_the_attempts_left() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    let attempts: Vec<_> = (0..MAX_WRONG_LOGINS)
        .map(|_| device.agent.begin_login().unwrap())
        .collect();
    assert!(matches!(
        device.agent.begin_login(),
        Err(DeviceError::LoginBusy)
    ));
    let verdicts: Vec<_> = attempts
        .into_iter()
        .enumerate()
        .map(|(n, attempt)| attempt.check("admin", &format!("Guess-{n}")))
        .collect();
    let answers: Vec<_> = verdicts
        .into_iter()
        .map(|verdict| device.agent.finish_login(verdict))
        .collect();
    assert!(matches!(
        answers.last(),
        Some(Err(DeviceError::LoginLocked { .. }))
    ));
    assert!(matches!(
        device.agent.login("admin", FIRST_PASSWORD),
        Err(DeviceError::LoginLocked { .. })
    ));
}

#[test]
fn a_login_check_that_never_finishes_gives_its_place_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    for _ in 0..3 * MAX_WRONG_LOGINS {
        // The request was cancelled: attempt and verdict are dropped unrecorded.
        drop(
            device
                .agent
                .begin_login()
                .unwrap()
                .check("admin", "Guess-1"),
        );
    }
    assert!(device.agent.login("admin", FIRST_PASSWORD).is_ok());
}

#[test]
fn the_agent_keeps_answering_while_a_password_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    let attempt = device.agent.begin_login().unwrap();
    // The attempt borrows nothing: the device's other screens go on meanwhile.
    assert!(device.agent.status().admin_password_set);
    device.agent.start_hik_connect().unwrap();
    let verdict = attempt.check("admin", FIRST_PASSWORD);
    assert!(device.agent.finish_login(verdict).is_ok());
}

#[test]
fn a_check_against_the_old_password_finishing_after_a_reset_logs_nobody_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    let attempt = device.agent.begin_login().unwrap();
    device.agent.start_hik_connect().unwrap();
    let accepted = device.agent.submit_code(&device.right_code()).unwrap();
    device
        .agent
        .set_new_password(accepted.reset_token.as_str(), NEW_PASSWORD)
        .unwrap();
    let verdict = attempt.check("admin", FIRST_PASSWORD);
    assert!(matches!(
        device.agent.finish_login(verdict),
        Err(DeviceError::WrongPassword)
    ));
    assert!(device.agent.login("admin", NEW_PASSWORD).is_ok());
}

#[test]
fn the_owner_who_resets_the_password_is_not_locked_out_by_earlier_guesses() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = TestDevice::boot(dir.path(), true);
    for n in 0..MAX_WRONG_LOGINS {
        let _ = wrong_guess(&mut device, n);
    }
    device.agent.start_hik_connect().unwrap();
    let accepted = device.agent.submit_code(&device.right_code()).unwrap();
    device
        .agent
        .set_new_password(accepted.reset_token.as_str(), NEW_PASSWORD)
        .unwrap();
    assert!(device.agent.login("admin", NEW_PASSWORD).is_ok());
}
