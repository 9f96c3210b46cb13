//! The codes of `vectors.json` work on the device exactly when they should: the device issues a
//! vector's challenge when its clock and RNG say so, accepts that vector's code while the
//! challenge lives, and refuses it before, after, or for another challenge.

mod common;

use common::*;
use hc_device::{DeviceError, ManualClock};

/// A bound device of `vector` whose next challenge is exactly the vector's.
fn device_issuing(vector: &Vector, dir: &std::path::Path) -> TestDevice {
    let clock = ManualClock::new(u64::from(vector.issued_at));
    let device = TestDevice::boot_with(dir, vector.record(), clock, true);
    device.random.push(vector.nonce_bytes());
    device
}

#[test]
fn the_device_shows_the_vector_qr_text_for_the_vector_challenge() {
    for vector in vectors().iter().filter(|v| v.flags == 1) {
        let dir = tempfile::tempdir().unwrap();
        let mut device = device_issuing(vector, dir.path());
        let shown = device.agent.start_hik_connect().unwrap();
        assert_eq!(shown.qr_text, vector.qr_text, "{}", vector.serial);
    }
}

#[test]
fn every_vector_code_is_accepted_for_its_challenge() {
    // Vectors with the bound flag clear make a different QR text (this device only shows a QR
    // when bound), but the code does not depend on the flag, so every vector's code must work.
    for vector in vectors() {
        let dir = tempfile::tempdir().unwrap();
        let mut device = device_issuing(&vector, dir.path());
        device.agent.start_hik_connect().unwrap();
        assert!(
            device.agent.submit_code(&vector.reset_code).is_ok(),
            "vector {} at {}",
            vector.serial,
            vector.issued_at
        );
    }
}

#[test]
fn a_vector_code_is_refused_before_its_challenge_is_shown() {
    let vector = &vectors()[0];
    let dir = tempfile::tempdir().unwrap();
    let mut device = device_issuing(vector, dir.path());
    assert!(matches!(
        device.agent.submit_code(&vector.reset_code),
        Err(DeviceError::NoChallenge)
    ));
}

#[test]
fn a_vector_code_is_refused_once_its_challenge_expired() {
    let vector = &vectors()[1];
    let dir = tempfile::tempdir().unwrap();
    let mut device = device_issuing(vector, dir.path());
    device.agent.start_hik_connect().unwrap();
    device.advance(29 * 60 + 59);
    assert!(device.agent.current_challenge().is_some());
    device.advance(1);
    assert!(matches!(
        device.agent.submit_code(&vector.reset_code),
        Err(DeviceError::ChallengeExpired)
    ));
}

#[test]
fn a_vector_code_is_wrong_for_another_challenge() {
    let all = vectors();
    let (first, second) = (&all[0], &all[1]);
    let dir = tempfile::tempdir().unwrap();
    let mut device = device_issuing(first, dir.path());
    device.agent.start_hik_connect().unwrap();
    assert!(matches!(
        device.agent.submit_code(&second.reset_code),
        Err(DeviceError::WrongCode { attempts_left: 4 })
    ));
    assert!(device.agent.submit_code(&first.reset_code).is_ok());
}

#[test]
fn a_vector_code_is_refused_after_it_was_used() {
    let vector = &vectors()[3];
    let dir = tempfile::tempdir().unwrap();
    let mut device = device_issuing(vector, dir.path());
    device.agent.start_hik_connect().unwrap();
    device.agent.submit_code(&vector.reset_code).unwrap();
    assert!(matches!(
        device.agent.submit_code(&vector.reset_code),
        Err(DeviceError::NoChallenge)
    ));
}
