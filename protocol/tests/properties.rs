//! Property tests: what a device builds, the cloud parses back; nothing panics the parser.

use hc_protocol::{Challenge, DeviceKey, MAX_TEXT_LEN, Nonce, QR_PREFIX, Serial, parse_qr};
use proptest::prelude::*;

fn serial() -> impl Strategy<Value = Serial> {
    "[A-Z0-9]{9}".prop_map(|s| Serial::parse(&s).unwrap())
}

fn printable(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0x20u8..=0x7e, 0..=max)
        .prop_map(|bytes| String::from_utf8(bytes).unwrap())
}

proptest! {
    #[test]
    fn built_qr_text_parses_back_to_the_same_challenge(
        key in any::<[u8; 32]>(),
        serial in serial(),
        bound in any::<bool>(),
        issued_at in any::<u32>(),
        nonce in any::<[u8; 16]>(),
        model in printable(24),
        firmware in printable(24),
    ) {
        let key = DeviceKey::from_bytes(key);
        let challenge = Challenge::new(serial, bound, issued_at, Nonce::from_bytes(nonce), &model, &firmware).unwrap();
        let text = challenge.to_qr_text(&key);
        prop_assert!(text.len() <= MAX_TEXT_LEN);
        prop_assert!(text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b':'));
        let parsed = parse_qr(&text).unwrap();
        prop_assert_eq!(parsed.challenge(), &challenge);
        let verified = parsed.verify(&key).unwrap();
        prop_assert_eq!(verified.challenge().reset_code(&key), challenge.reset_code(&key));
        let code = challenge.reset_code(&key);
        prop_assert_eq!(code.as_str().len(), 8);
        prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn another_key_never_verifies(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), serial in serial()) {
        prop_assume!(a != b);
        let challenge = Challenge::new(serial, true, 1, Nonce::from_bytes([7; 16]), "m", "f").unwrap();
        let text = challenge.to_qr_text(&DeviceKey::from_bytes(a));
        prop_assert!(parse_qr(&text).unwrap().verify(&DeviceKey::from_bytes(b)).is_err());
    }

    #[test]
    fn arbitrary_text_never_panics_the_parser(text in ".*") {
        let _ = parse_qr(&text);
    }

    #[test]
    fn arbitrary_payload_bytes_never_panic_the_parser(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        let text = format!("{QR_PREFIX}{}", data_encoding_free_base32(&bytes));
        let _ = parse_qr(&text);
    }

    #[test]
    fn mutated_qr_text_never_panics_and_never_verifies(pos in 5usize..80, ch in "[A-Z2-7]") {
        let key = DeviceKey::from_bytes([9; 32]);
        let challenge = Challenge::new(Serial::parse("ABC123XYZ").unwrap(), true, 5, Nonce::from_bytes([1; 16]), "DS-7608NI", "V4").unwrap();
        let text = challenge.to_qr_text(&key);
        let pos = pos.min(text.len() - 1);
        let mut mutated = text.clone();
        mutated.replace_range(pos..pos + 1, &ch);
        if mutated != text {
            if let Ok(parsed) = parse_qr(&mutated) {
                prop_assert!(parsed.verify(&key).is_err());
            }
        }
    }
}

/// RFC 4648 base32 without padding, written out here so the test does not lean on the same
/// library the parser uses.
fn data_encoding_free_base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[test]
fn hand_written_base32_agrees_with_a_vector() {
    // The first valid vector's payload, to keep the helper above honest.
    let payload = hex_literal(
        "01014a31323334353637385f615580239e0d7998c00f50053fcd05ffcaf4ea0f44532d373630384e492d4b322f38500956342e36312e3030350a76b2c7968924267568fd31",
    );
    assert_eq!(
        format!("{QR_PREFIX}{}", data_encoding_free_base32(&payload)),
        "HCR1:AEAUUMJSGM2DKNRXHBPWCVMAEOPA26MYYAHVABJ7ZUC77SXU5IHUIUZNG43DAOCOJEWUWMRPHBIASVRUFY3DCLRQGA2QU5VSY6LISJBGOVUP2MI"
    );
}

fn hex_literal(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn codes_compare_ignoring_group_separators_only() {
    let key = DeviceKey::from_bytes([3; 32]);
    let challenge = Challenge::new(
        Serial::parse("J12345678").unwrap(),
        true,
        0,
        Nonce::from_bytes([0; 16]),
        "",
        "",
    )
    .unwrap();
    let code = challenge.reset_code(&key);
    let digits = code.as_str().to_owned();
    assert!(code.matches(&digits));
    assert!(code.matches(&format!("{} {}", &digits[..4], &digits[4..])));
    assert!(code.matches(&format!("{}-{}", &digits[..4], &digits[4..])));
    assert!(!code.matches(&digits[..7]));
    assert!(!code.matches(&format!("{digits}0")));
    assert!(!code.matches(""));
    let mut wrong = digits.into_bytes();
    wrong[0] = if wrong[0] == b'9' { b'0' } else { wrong[0] + 1 };
    assert!(!code.matches(std::str::from_utf8(&wrong).unwrap()));
}

#[test]
fn secrets_never_print() {
    let key = DeviceKey::from_bytes([0xAB; 32]);
    assert!(!format!("{key:?}").contains("ab"));
    let code = Challenge::new(
        Serial::parse("J12345678").unwrap(),
        true,
        0,
        Nonce::from_bytes([0; 16]),
        "",
        "",
    )
    .unwrap()
    .reset_code(&key);
    assert!(!format!("{code:?}").contains(code.as_str()));
}

#[test]
fn every_error_code_is_sent_and_read_by_its_one_wire_name() {
    use hc_protocol::api::ErrorCode;
    for &code in ErrorCode::ALL {
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{}\"", code.as_str()));
        assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
    }
    // A code from a newer server is not an error for an older app.
    assert_eq!(
        serde_json::from_str::<ErrorCode>("\"a_code_from_the_future\"").unwrap(),
        ErrorCode::Unknown
    );
}
