//! Every vector of `vectors.json` (a byte-identical copy of `shared/protocol/vectors.json`).

use hc_protocol::vectors::{JSON as VECTORS, vectors};
use hc_protocol::{
    Challenge, DeviceKey, Nonce, Serial, parse_qr, reset_code, sync_tag, sync2_answer_tag,
    sync2_request_tag, verify_sync_tag, verify_sync2_answer, verify_sync2_request,
};

fn nonce(hex_text: &str) -> Nonce {
    Nonce::from_hex(hex_text).expect("vector nonce is 16 bytes of hex")
}

#[test]
fn the_copy_matches_the_shared_vectors_when_present() {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/protocol/vectors.json"
    );
    if let Ok(original) = std::fs::read_to_string(shared) {
        assert_eq!(
            original, VECTORS,
            "protocol/tests/vectors.json drifted from shared/"
        );
    }
}

#[test]
fn salt_is_the_documented_one() {
    assert_eq!(vectors().salt, "hc-reset-v1");
}

#[test]
fn every_valid_vector_derives_the_same_keys() {
    let all = vectors();
    assert!(!all.valid.is_empty());
    for v in &all.valid {
        let keys = DeviceKey::from_hex(&v.device_key).unwrap().derive();
        assert_eq!(
            hex::encode(keys.k_qr.expose()),
            v.k_qr,
            "k_qr of {}",
            v.serial
        );
        assert_eq!(
            hex::encode(keys.k_code.expose()),
            v.k_code,
            "k_code of {}",
            v.serial
        );
        assert_eq!(
            hex::encode(keys.k_sync.expose()),
            v.k_sync,
            "k_sync of {}",
            v.serial
        );
    }
}

#[test]
fn every_valid_vector_builds_the_same_qr_text() {
    for v in &vectors().valid {
        let key = DeviceKey::from_hex(&v.device_key).unwrap();
        let challenge = Challenge::new(
            Serial::parse(&v.serial).unwrap(),
            v.flags & 1 == 1,
            v.issued_at,
            nonce(&v.nonce),
            &v.model,
            &v.firmware,
        )
        .unwrap();
        let body_hex = hex::encode(challenge.body());
        assert_eq!(format!("{body_hex}{}", v.tag), v.payload_hex);
        assert_eq!(challenge.to_qr_text(&key), v.qr_text);
    }
}

#[test]
fn every_valid_vector_parses_verifies_and_gives_its_code() {
    for v in &vectors().valid {
        let key = DeviceKey::from_hex(&v.device_key).unwrap();
        let parsed = parse_qr(&v.qr_text).unwrap_or_else(|e| panic!("{}: {e}", v.qr_text));
        assert_eq!(hex::encode(parsed.tag()), v.tag);
        let c = parsed.challenge();
        assert_eq!(c.serial.as_str(), v.serial);
        assert_eq!(c.model, v.model);
        assert_eq!(c.firmware, v.firmware);
        assert_eq!(c.bound, v.flags == 1);
        assert_eq!(c.issued_at, v.issued_at);
        assert_eq!(c.nonce.to_hex(), v.nonce);
        let verified = parsed.verify(&key).expect("tag matches");
        let code = verified.challenge().reset_code(&key);
        assert_eq!(code.as_str(), v.reset_code);
        assert!(code.matches(&v.reset_code));
        let direct = reset_code(&key, &c_serial(&v.serial), &nonce(&v.nonce), v.issued_at);
        assert_eq!(direct, code);
    }
}

fn c_serial(s: &str) -> Serial {
    Serial::parse(s).unwrap()
}

#[test]
fn every_valid_vector_gives_its_sync_tag() {
    for v in &vectors().valid {
        let key = DeviceKey::from_hex(&v.device_key).unwrap();
        let serial = c_serial(&v.serial);
        assert_eq!(sync_tag(&key, &serial, v.sync_ts), v.sync_tag);
        assert!(verify_sync_tag(&key, &serial, v.sync_ts, &v.sync_tag));
        assert!(verify_sync_tag(
            &key,
            &serial,
            v.sync_ts,
            &v.sync_tag.to_uppercase()
        ));
        assert!(!verify_sync_tag(&key, &serial, v.sync_ts + 1, &v.sync_tag));
        assert!(!verify_sync_tag(
            &key,
            &serial,
            v.sync_ts,
            &v.sync_tag[..62]
        ));
    }
}

#[test]
fn every_valid_vector_gives_its_sync2_request_and_answer_tags() {
    for v in &vectors().valid {
        let key = DeviceKey::from_hex(&v.device_key).unwrap();
        let serial = c_serial(&v.serial);
        let n = nonce(&v.sync2_nonce);
        assert_eq!(
            sync2_request_tag(&key, &serial, &n, v.sync2_ts),
            v.sync2_tag
        );
        assert!(verify_sync2_request(
            &key,
            &serial,
            &n,
            v.sync2_ts,
            &v.sync2_tag
        ));
        assert!(verify_sync2_request(
            &key,
            &serial,
            &n,
            v.sync2_ts,
            &v.sync2_tag.to_uppercase()
        ));
        assert!(!verify_sync2_request(
            &key,
            &serial,
            &n,
            v.sync2_ts + 1,
            &v.sync2_tag
        ));
        assert_eq!(
            sync2_answer_tag(&key, &serial, &n, true),
            v.sync2_answer_tag_bound
        );
        assert_eq!(
            sync2_answer_tag(&key, &serial, &n, false),
            v.sync2_answer_tag_unbound
        );
        assert!(verify_sync2_answer(
            &key,
            &serial,
            &n,
            true,
            &v.sync2_answer_tag_bound
        ));
        assert!(verify_sync2_answer(
            &key,
            &serial,
            &n,
            false,
            &v.sync2_answer_tag_unbound
        ));
        // A forged flag, or an answer for another nonce, never verifies.
        assert!(!verify_sync2_answer(
            &key,
            &serial,
            &n,
            false,
            &v.sync2_answer_tag_bound
        ));
        assert!(!verify_sync2_answer(
            &key,
            &serial,
            &n,
            true,
            &v.sync2_answer_tag_unbound
        ));
        let other = nonce(&v.nonce);
        assert!(!verify_sync2_answer(
            &key,
            &serial,
            &other,
            true,
            &v.sync2_answer_tag_bound
        ));
    }
}

#[test]
fn every_invalid_vector_gives_its_error_kind() {
    let all = vectors();
    assert!(!all.invalid.is_empty());
    for v in &all.invalid {
        let got = match parse_qr(&v.qr_text) {
            Err(e) => e.kind().as_str(),
            Ok(parsed) => {
                let key = v.device_key.as_deref().unwrap_or_else(|| {
                    panic!("{}: parsed but has no key to check the tag", v.name)
                });
                match parsed.verify(&DeviceKey::from_hex(key).unwrap()) {
                    Err(e) => e.kind().as_str(),
                    Ok(_) => "ok",
                }
            }
        };
        assert_eq!(got, v.kind, "vector {:?}", v.name);
    }
}

#[test]
fn the_suite_counts_every_vector() {
    // Pinned so that a truncated copy cannot pass with fewer checks.
    let all = vectors();
    assert_eq!((all.valid.len(), all.invalid.len()), (12, 17));
}
