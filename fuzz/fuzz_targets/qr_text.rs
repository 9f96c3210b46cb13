//! The HCR1 QR text parser (`hc_protocol::parse_qr`) and tag check with a fixed key.
//!
//! Half the inputs are raw text; the other half are payload bytes wrapped as `HCR1:` + base32, so
//! the fuzzer gets past the base32 layer into the field parser at once. Beyond "never panics":
//! a text that verifies must be exactly what the challenge encodes back to (one text per
//! challenge, so the audit's nonce names it), and its code is 8 digits.
#![no_main]

use data_encoding::BASE32_NOPAD;
use hc_protocol::{DeviceKey, parse_qr};
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 32] = [0x42; 32];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = if mode & 1 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        format!("HCR1:{}", BASE32_NOPAD.encode(rest))
    };
    let Ok(unverified) = parse_qr(&text) else {
        return;
    };
    let challenge = unverified.challenge().clone();
    let key = DeviceKey::from_bytes(KEY);
    if let Ok(verified) = unverified.verify(&key) {
        assert_eq!(verified.challenge(), &challenge);
        assert_eq!(
            challenge.to_qr_text(&key),
            text,
            "two texts for one challenge"
        );
        let code = challenge.reset_code(&key);
        assert!(code.as_str().len() == 8 && code.as_str().bytes().all(|b| b.is_ascii_digit()));
    }
    // A parsed challenge re-encodes to a text that parses to the same challenge.
    let again = parse_qr(&challenge.to_qr_text(&key)).expect("re-encoded text parses");
    assert_eq!(again.challenge(), &challenge);
});
