//! The field schemas of the API types' `utoipa::ToSchema` derives (feature `openapi`), made from
//! this crate's own constants, so the document's lengths and patterns are the parsers' rules. The
//! derives in [`crate::api`] name these with `#[schema(schema_with = ...)]`; the cloud's
//! `/openapi.json` is built from the derives. One rule is the cloud's, not this crate's: the e-mail
//! pattern, made from the Unicode tables the cloud normalizes with; the cloud sets it on
//! [`crate::api::NewAccount`]'s `email`.

use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use crate::api::{
    AUDIT_MAX_LIMIT, EVENTS_MAX_LIMIT, EVENTS_MAX_WAIT_SECS, MAX_DEVICE_NAME_CHARS,
    MAX_EMAIL_CHARS, MAX_PASSWORD_CHARS, MAX_PUSH_URL_CHARS, MIN_PASSWORD_CHARS,
};
use crate::{MAX_TEXT_LEN, NONCE_LEN, QR_PREFIX, SERIAL_LEN, SYNC_TAG_LEN, SYNC_VERSION, TAG_LEN};

/// Characters no e-mail address or device name holds: C0 and C1 controls (Rust's
/// `char::is_control`), as the body of a regular-expression class.
pub const CONTROLS: &str = r"\u0000-\u001f\u007f-\u009f";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn integer() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Integer)
}

/// A serial as printed on the device.
pub fn serial() -> Object {
    string()
        .pattern(Some(format!("^[A-Z0-9]{{{SERIAL_LEN}}}$")))
        .build()
}

/// An account password as registration and password changes accept it.
pub fn password() -> Object {
    string()
        .min_length(Some(MIN_PASSWORD_CHARS))
        .max_length(Some(MAX_PASSWORD_CHARS))
        .description(Some(
            "any characters, counted as Unicode scalar values; refused with 400 weak_password when it is \
             one of the most common passwords, one character repeated, or the account's e-mail address",
        ))
        .build()
}

/// A mailed account code as the app sends it (`crate::account_code::parse_account_code`).
pub fn account_code() -> Object {
    string()
        .pattern(Some("^[0-9]{6}$"))
        .description(Some("the six digits of the mailed code"))
        .build()
}

/// An e-mail address as registration accepts it; the cloud adds its pattern.
pub fn new_email() -> Object {
    string()
        .min_length(Some(5))
        .max_length(Some(MAX_EMAIL_CHARS))
        .description(Some(
            "compared case-insensitively after Unicode NFKC normalization; the length is of the text as sent",
        ))
        .build()
}

/// Any unsigned 64-bit count or duration.
pub fn count() -> Object {
    integer().minimum(Some(0)).maximum(Some(u64::MAX)).build()
}

/// A count of at least one.
pub fn positive_count() -> Object {
    integer().minimum(Some(1)).maximum(Some(u64::MAX)).build()
}

/// Unix seconds.
pub fn time() -> Object {
    integer()
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .build()
}

/// An event id, and the cursor of the audit listing (`before`): 1 and up.
pub fn event_id() -> Object {
    integer().minimum(Some(1)).maximum(Some(i64::MAX)).build()
}

/// The id of a stored row (a push endpoint, a transfer request): 1 and up.
pub fn row_id() -> Object {
    integer().minimum(Some(1)).maximum(Some(i64::MAX)).build()
}

/// `GET /v1/audit?limit=`.
pub fn audit_limit() -> Object {
    integer()
        .minimum(Some(1))
        .maximum(Some(AUDIT_MAX_LIMIT))
        .build()
}

/// `GET /v1/events?after=`: an event id, or 0 for the start of the feed.
pub fn event_cursor() -> Object {
    integer().minimum(Some(0)).maximum(Some(i64::MAX)).build()
}

/// `GET /v1/events?wait=`, in seconds.
pub fn event_wait() -> Object {
    integer()
        .minimum(Some(0))
        .maximum(Some(EVENTS_MAX_WAIT_SECS))
        .build()
}

/// `GET /v1/events?limit=`.
pub fn event_limit() -> Object {
    integer()
        .minimum(Some(1))
        .maximum(Some(EVENTS_MAX_LIMIT))
        .build()
}

/// The kind of a push endpoint a client may register.
pub fn push_kind() -> Object {
    string().enum_values(Some(["webhook"])).build()
}

/// A push endpoint's URL.
pub fn push_url() -> Object {
    string()
        .max_length(Some(MAX_PUSH_URL_CHARS))
        .description(Some(
            "https:// and a public host: no loopback, private or link-local address",
        ))
        .build()
}

/// Which side of a transfer request the reading account is on.
pub fn transfer_role() -> Object {
    string()
        .enum_values(Some(["owner", "requester"]))
        .description(Some(
            "owner: a request for one of your devices; requester: your own request",
        ))
        .build()
}

fn hex(bytes: usize) -> Object {
    string()
        .pattern(Some(format!("^[0-9a-fA-F]{{{}}}$", 2 * bytes)))
        .build()
}

/// A sync nonce in hex.
pub fn nonce_hex() -> Object {
    hex(NONCE_LEN)
}

/// A sync tag in hex.
pub fn sync_tag_hex() -> Object {
    hex(SYNC_TAG_LEN)
}

/// The sync protocol version the cloud speaks.
pub fn sync_version() -> Object {
    integer().enum_values(Some([SYNC_VERSION])).build()
}

/// The label code, as typed.
pub fn label_code() -> Object {
    string()
        .description(Some(
            "the six letters on the device's label; a malformed one is a wrong one",
        ))
        .build()
}

/// A device name: optional, bounded, no controls.
pub fn device_name() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(MAX_DEVICE_NAME_CHARS))
        .pattern(Some(format!("^[^{CONTROLS}]*$")))
        .description(Some("trimmed; empty or absent: the serial"))
        .build()
}

/// The shortest QR payload `parse_qr` takes: version, flags, serial, issued-at, nonce, two empty
/// text fields, and the tag.
pub const QR_MIN_PAYLOAD: usize = 1 + 1 + SERIAL_LEN + 4 + NONCE_LEN + 1 + 1 + TAG_LEN;

/// The base32 characters (RFC 4648, no padding) of the shortest QR payload.
pub const QR_MIN_CHARS: usize = (QR_MIN_PAYLOAD * 8).div_ceil(5);

/// The text of a Reset Device Password QR code.
pub fn qr() -> Object {
    string()
        .pattern(Some(format!(
            "^{QR_PREFIX}[A-Z2-7]{{{QR_MIN_CHARS},{}}}$",
            MAX_TEXT_LEN - QR_PREFIX.len()
        )))
        .description(Some(
            "the text of a Reset Device Password QR code (DESIGN.md section 3)",
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_pattern_admits_the_shortest_and_longest_qr_texts() {
        // The bounds come from the parser's own constants; a real QR must fall inside them.
        assert!(QR_PREFIX.len() + QR_MIN_CHARS <= MAX_TEXT_LEN);
        let vectors = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors.json"));
        let mut seen = 0;
        for text in vectors.split('"').filter(|t| crate::parse_qr(t).is_ok()) {
            let chars = text.len() - QR_PREFIX.len();
            assert!(
                (QR_MIN_CHARS..=MAX_TEXT_LEN - QR_PREFIX.len()).contains(&chars),
                "{text}"
            );
            seen += 1;
        }
        assert!(seen > 0, "the vectors hold well-formed QR texts");
    }
}
