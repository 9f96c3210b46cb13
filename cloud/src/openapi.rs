//! `/openapi.json`: how each route is described ([`Operation`]) and the document built from those
//! descriptions. This module knows no router: [`crate::routes`] pairs every handler with its
//! `Operation` and hands the list to [`document`], so the document lists exactly the routes that
//! exist. The schemas are as strict as the handlers (a unit test holds them against the
//! `hc_protocol::api` types; the test command's schemathesis stage holds them against the server).

use axum::http::Method;
use hc_protocol::api::{
    AUDIT_MAX_LIMIT, AuditOutcome, EVENTS_MAX_LIMIT, EVENTS_MAX_WAIT_SECS, ErrorCode,
    FeedEventKind, MAX_DEVICE_NAME_CHARS, MAX_EMAIL_CHARS, MAX_PASSWORD_CHARS, MAX_PUSH_URL_CHARS,
    MIN_PASSWORD_CHARS, TransferState,
};
use hc_protocol::{MAX_TEXT_LEN, QR_PREFIX, SERIAL_LEN};
use std::sync::LazyLock;

use serde_json::{Map, Value, json};

/// The description of one route.
#[derive(Clone, Debug)]
pub struct Operation {
    operation_id: &'static str,
    summary: &'static str,
    authenticated: bool,
    body: Option<&'static str>,
    success: (u16, Option<&'static str>),
    errors: Vec<ErrorCode>,
    /// Codes this route answers with another status than [`status_of`]'s.
    statuses: Vec<(ErrorCode, u16)>,
    parameters: Vec<Value>,
}

impl Operation {
    pub fn new(operation_id: &'static str, summary: &'static str) -> Self {
        Operation {
            operation_id,
            summary,
            authenticated: false,
            body: None,
            success: (200, None),
            errors: Vec::new(),
            statuses: Vec::new(),
            parameters: Vec::new(),
        }
    }

    pub fn authenticated(mut self) -> Self {
        self.authenticated = true;
        self
    }

    /// A JSON request body, by schema name.
    pub fn body(mut self, schema: &'static str) -> Self {
        self.body = Some(schema);
        self
    }

    pub fn responds(mut self, status: u16, schema: &'static str) -> Self {
        self.success = (status, Some(schema));
        self
    }

    pub fn responds_empty(mut self, status: u16) -> Self {
        self.success = (status, None);
        self
    }

    /// The route's own error codes. Those every route of its kind can answer (a bad body, a
    /// missing token, a busy database) are added by the document.
    pub fn errors(mut self, codes: &[ErrorCode]) -> Self {
        self.errors = codes.to_vec();
        self
    }

    /// Own error codes this route answers with `status` instead of [`status_of`]'s (a wrong
    /// current password is 403: 401 would tell the app its session has ended).
    pub fn errors_at(mut self, status: u16, codes: &[ErrorCode]) -> Self {
        for code in codes {
            self.errors.push(*code);
            self.statuses.push((*code, status));
        }
        self
    }

    /// The route's own error codes, as given to [`Operation::errors`] and [`Operation::errors_at`].
    pub fn own_errors(&self) -> &[ErrorCode] {
        &self.errors
    }

    /// The status this route answers `code` with.
    pub fn status_for(&self, code: ErrorCode) -> Option<u16> {
        self.statuses
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, status)| *status)
            .or_else(|| status_of(code))
    }

    /// A path parameter, by schema name.
    pub fn path_parameter(mut self, name: &'static str, schema: &'static str) -> Self {
        self.parameters.push(json!({
            "name": name, "in": "path", "required": true, "schema": schema_ref(schema)
        }));
        self
    }

    /// An optional query parameter, by schema name.
    pub fn query_parameter(mut self, name: &'static str, schema: &'static str) -> Self {
        self.parameters.push(json!({
            "name": name, "in": "query", "required": false, "schema": schema_ref(schema)
        }));
        self
    }

    /// Every error code this route can answer with: its own and those of its kind.
    fn all_errors(&self) -> Vec<ErrorCode> {
        use ErrorCode::*;
        let mut codes = self.errors.clone();
        if self.body.is_some() {
            codes.extend([BadRequest, PayloadTooLarge, UnsupportedMediaType]);
        }
        if !self.parameters.is_empty() {
            codes.push(BadRequest);
        }
        if self.authenticated {
            codes.push(Unauthorized);
        }
        // The database can fail or be busy, and every request has a deadline.
        codes.extend([Internal, Unavailable]);
        let mut unique = Vec::new();
        for code in codes {
            if !unique.contains(&code) {
                unique.push(code);
            }
        }
        unique
    }

    fn to_json(&self) -> Value {
        let mut op = Map::new();
        op.insert("operationId".into(), json!(self.operation_id));
        op.insert("summary".into(), json!(self.summary));
        if !self.parameters.is_empty() {
            op.insert("parameters".into(), Value::Array(self.parameters.clone()));
        }
        // No security requirement at all would mean "inherit"; an empty one says "none".
        let security = if self.authenticated {
            json!([{"bearer": []}])
        } else {
            json!([])
        };
        op.insert("security".into(), security);
        if let Some(body) = self.body {
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": schema_ref(body)}}}),
            );
        }
        let mut responses = Map::new();
        let (status, schema) = self.success;
        responses.insert(
            status.to_string(),
            match schema {
                Some(schema) => json!({"description": "success",
                    "content": {"application/json": {"schema": schema_ref(schema)}}}),
                None => json!({"description": "success, no body"}),
            },
        );
        let mut by_status: Vec<(u16, Vec<&str>)> = Vec::new();
        for code in self.all_errors() {
            let Some(status) = self.status_for(code) else {
                continue;
            };
            match by_status.iter_mut().find(|(s, _)| *s == status) {
                Some((_, codes)) => codes.push(code.as_str()),
                None => by_status.push((status, vec![code.as_str()])),
            }
        }
        by_status.sort_by_key(|(status, _)| *status);
        for (status, codes) in by_status {
            responses.insert(status.to_string(), error_response(status, &codes));
        }
        op.insert("responses".into(), Value::Object(responses));
        Value::Object(op)
    }
}

/// The status the cloud answers each of its codes with; `None` for codes only the device uses.
/// The handlers build their `ApiError`s with these statuses; schemathesis's status and schema
/// checks fail when one of them answers otherwise.
pub fn status_of(code: ErrorCode) -> Option<u16> {
    use ErrorCode::*;
    Some(match code {
        BadRequest | InvalidEmail | WeakPassword | InvalidSerial | InvalidQr
        | UnsupportedVersion | InvalidPushEndpoint => 400,
        Unauthorized | InvalidCredentials => 401,
        WrongLabelCode => 403,
        NotFound => 404,
        MethodNotAllowed => 405,
        EmailTaken
        | AlreadyAdded
        | BoundToOtherAccount
        | DeviceNotBound
        | TooManyPushEndpoints
        | QrAlreadyUsed
        | TransferPending
        | TransferRefusedRecently => 409,
        PayloadTooLarge => 413,
        UnsupportedMediaType => 415,
        RateLimited => 429,
        Internal => 500,
        Unavailable => 503,
        NotOffered | NoChallenge | ChallengeExpired | WrongCode | CoolingDown
        | InvalidResetToken | PasswordPolicy | WrongPassword | Unknown => return None,
    })
}

/// One error status: the error body, its code limited to the codes the route answers with it.
fn error_response(status: u16, codes: &[&str]) -> Value {
    let mut response = json!({
        "description": codes.join(", "),
        "content": {"application/json": {"schema": error_body(codes)}},
    });
    let integer = json!({"type": "integer", "minimum": 1});
    let headers = match status {
        401 => {
            json!({"WWW-Authenticate": {"required": true, "schema": {"type": "string", "const": "Bearer"}}})
        }
        429 => json!({"Retry-After": {"required": true, "schema": integer}}),
        // A request's deadline answers 503 without one; a busy database with one.
        503 => json!({"Retry-After": {"required": false, "schema": integer}}),
        _ => return response,
    };
    response["headers"] = headers;
    response
}

fn error_body(codes: &[&str]) -> Value {
    let detail = object(
        &["code", "message"],
        json!({
            "code": {"type": "string", "enum": codes},
            "message": {"type": "string"},
            "attempts_left": {"type": "integer", "minimum": 0},
            "retry_after_secs": {"type": "integer", "minimum": 1},
        }),
    );
    object(&["error"], json!({ "error": detail }))
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The OpenAPI 3.1 document for these routes: (method, path, description).
pub fn document<'a>(
    routes: impl IntoIterator<Item = (&'a Method, &'a str, &'a Operation)>,
) -> Value {
    let mut paths = Map::new();
    for (method, path, operation) in routes {
        let entry = paths
            .entry(path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(method.as_str().to_lowercase(), operation.to_json());
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "hc cloud API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Accounts, device binding and Reset Device Password codes (DESIGN.md section 4). \
                Every error is {\"error\": {\"code\", \"message\"}}. Request bodies refuse unknown fields."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        }
    })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties, "additionalProperties": false})
}

/// Characters no email address or device name holds: C0 and C1 controls (Rust's
/// `char::is_control`), as a regular-expression class body.
const CONTROLS: &str = r"\u0000-\u001f\u007f-\u009f";

/// The email rule of `email::normalize_email` as a pattern: one `@`, something before
/// it, a domain with a dot that neither starts nor ends it; no white space, controls, invisible or
/// bidi characters, and none of the characters whose normalized form (NFKC, lowercase, NFKC, as the
/// cloud compares addresses) holds white space, a control or an `@` (`¯` is a space and a macron,
/// `＠` an `@`), nor a domain that starts or ends with one that becomes a dot. The classes are
/// computed from the Unicode tables the cloud normalizes with, so the two cannot drift apart.
fn email_pattern() -> &'static str {
    static PATTERN: LazyLock<String> = LazyLock::new(|| {
        use unicode_normalization::UnicodeNormalization;
        let (mut bad, mut dot_first, mut dot_last) = (Vec::new(), Vec::new(), Vec::new());
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let image: String = c
                .to_string()
                .nfkc()
                .collect::<String>()
                .to_lowercase()
                .nfkc()
                .collect();
            if image == c.to_string() {
                continue;
            }
            if image
                .chars()
                .any(|d| d.is_whitespace() || d.is_control() || d == '@')
            {
                bad.push(c);
            } else {
                if image.starts_with('.') {
                    dot_first.push(c);
                }
                if image.ends_with('.') {
                    dot_last.push(c);
                }
            }
        }
        // The characters the cloud refuses in an address (`crate::email`), from its one list.
        let invisible: Vec<char> = crate::email::INVISIBLE_OR_BIDI
            .iter()
            .flat_map(|&(first, last)| first..=last)
            .collect();
        let c = format!(
            r"@\s{CONTROLS}{}{}",
            class_body(&invisible),
            class_body(&bad)
        );
        let (first, last) = (class_body(&dot_first), class_body(&dot_last));
        format!(r"^[^{c}]+@[^.{first}{c}][^{c}]*\.[^{c}]*[^.{last}{c}]$")
    });
    &PATTERN
}

/// Characters as the body of a regular-expression class: ranges of consecutive ones, `\uXXXX` in
/// the basic plane and the character itself above it (both ECMA-262 and Python read those).
fn class_body(chars: &[char]) -> String {
    let one = |c: char| match u16::try_from(u32::from(c)) {
        Ok(unit) => format!(r"\u{unit:04x}"),
        Err(_) => c.to_string(),
    };
    let mut body = String::new();
    let mut i = 0;
    while i < chars.len() {
        let start = chars[i];
        let mut end = start;
        while i + 1 < chars.len() && u32::from(chars[i + 1]) == u32::from(end) + 1 {
            i += 1;
            end = chars[i];
        }
        body.push_str(&one(start));
        if end != start {
            body.push('-');
            body.push_str(&one(end));
        }
        i += 1;
    }
    body
}

/// The schemas of the `hc_protocol::api` types, exactly as strict as the handlers that read them.
pub fn schemas() -> Value {
    let string = json!({"type": "string"});
    let count = json!({"type": "integer", "minimum": 0, "maximum": u64::MAX});
    let time = json!({"type": "integer", "format": "int64"});
    let opt_string = json!({"type": ["string", "null"]});
    let serial = json!({"type": "string", "pattern": format!("^[A-Z0-9]{{{SERIAL_LEN}}}$")});
    let hex = |bytes: usize| json!({"type": "string", "pattern": format!("^[0-9a-fA-F]{{{}}}$", 2 * bytes)});
    let password =
        json!({"type": "string", "minLength": MIN_PASSWORD_CHARS, "maxLength": MAX_PASSWORD_CHARS});
    let email = json!({
        "type": "string", "minLength": 5, "maxLength": MAX_EMAIL_CHARS, "pattern": email_pattern(),
        "description": "compared case-insensitively after Unicode NFKC normalization; the length is of the text as sent",
    });
    // base32 (RFC 4648, no padding) of the QR payload: at least the fixed fields and the tag.
    let qr_chars_min = (protocol_qr_min_payload() * 8).div_ceil(5);
    let qr = json!({
        "type": "string",
        "pattern": format!("^{QR_PREFIX}[A-Z2-7]{{{qr_chars_min},{}}}$", MAX_TEXT_LEN - QR_PREFIX.len()),
        "description": "the text of a Reset Device Password QR code (DESIGN.md section 3)",
    });
    let error_codes: Vec<&str> = all_error_codes().iter().map(|c| c.as_str()).collect();
    json!({
        // Login takes anything: a wrong or malformed email or password is `invalid_credentials`.
        "Credentials": object(&["email", "password"], json!({"email": string, "password": string})),
        // Registration applies the account rules.
        "NewAccount": object(&["email", "password"], json!({"email": email, "password": password})),
        "AccountCreated": object(&["email"], json!({"email": string})),
        "Tokens": object(&["access_token", "refresh_token", "expires_in_secs"], json!({
            "access_token": string, "refresh_token": string, "expires_in_secs": count})),
        "RefreshRequest": object(&["refresh_token"], json!({"refresh_token": string})),
        "ChangePasswordRequest": object(&["current_password", "new_password"], json!({
            "current_password": string, "new_password": password})),
        "Serial": serial,
        "Device": object(&["serial", "name", "model", "added_at"], json!({
            "serial": serial, "name": string, "model": string, "added_at": time})),
        "DeviceList": object(&["devices"], json!({"devices": {"type": "array", "items": schema_ref("Device")}})),
        "AddDeviceRequest": object(&["serial", "label_code"], json!({
            "serial": serial,
            "label_code": {"type": "string", "description": "the six letters on the device's label; a malformed one is a wrong one"},
            "name": {"type": ["string", "null"], "maxLength": MAX_DEVICE_NAME_CHARS,
                "pattern": format!("^[^{CONTROLS}]*$"),
                "description": "trimmed; empty or absent: the serial"}})),
        "ResetCodeRequest": object(&["qr"], json!({"qr": qr})),
        "ResetCodeResponse": object(&["serial", "model", "code", "valid_for_secs"], json!({
            "serial": serial, "model": string, "code": string, "valid_for_secs": count})),
        "AuditLimit": {"type": "integer", "minimum": 1, "maximum": AUDIT_MAX_LIMIT},
        "AuditCursor": {"type": "integer", "minimum": 1, "maximum": i64::MAX},
        "AuditActor": {"oneOf": [
            object(&["kind"], json!({"kind": {"type": "string", "const": "you"}})),
            object(&["kind", "masked_email"], json!({"kind": {"type": "string", "const": "other_account"},
                "masked_email": string})),
        ]},
        "AuditEvent": object(&["id", "at", "serial", "nonce", "outcome", "client_addr"], json!({
            "id": time, "at": time, "serial": opt_string, "nonce": opt_string,
            "outcome": {"type": "string", "enum": AuditOutcome::ALL.map(AuditOutcome::as_str)},
            "client_addr": opt_string, "actor": schema_ref("AuditActor"),
            "count": {"type": "integer", "minimum": 1, "maximum": u64::MAX}})),
        "AuditList": object(&["events"], json!({"events": {"type": "array", "items": schema_ref("AuditEvent")},
            "next_before": schema_ref("AuditCursor")})),
        "EventCursor": {"type": "integer", "minimum": 0, "maximum": i64::MAX},
        "EventWait": {"type": "integer", "minimum": 0, "maximum": EVENTS_MAX_WAIT_SECS},
        "EventLimit": {"type": "integer", "minimum": 1, "maximum": EVENTS_MAX_LIMIT},
        "FeedEvent": object(&["id", "kind", "at"], json!({
            "id": time, "at": time,
            "kind": {"type": "string", "enum": FeedEventKind::ALL.map(FeedEventKind::as_str)},
            "serial": string,
            "other_account": {"type": "string", "description": "masked, as in***@example.com"},
            "outcome": string,
            "client": {"type": "string", "description": "the login's network: a /24 or /48"},
            "transfer_id": time})),
        "FeedPage": object(&["events", "next_after"], json!({
            "events": {"type": "array", "items": schema_ref("FeedEvent")},
            "next_after": schema_ref("EventCursor")})),
        "NewPushEndpoint": object(&["kind", "url"], json!({
            "kind": {"type": "string", "enum": ["webhook"]},
            "url": {"type": "string", "maxLength": MAX_PUSH_URL_CHARS,
                "description": "https:// and a public host: no loopback, private or link-local address"}})),
        "PushEndpointId": {"type": "integer", "minimum": 1, "maximum": i64::MAX},
        "PushEndpoint": object(&["id", "kind", "url", "created_at"], json!({
            "id": time, "kind": string, "url": string, "created_at": time})),
        "PushEndpointCreated": object(&["id", "kind", "url", "created_at", "secret"], json!({
            "id": time, "kind": string, "url": string, "created_at": time,
            "secret": {"type": "string", "description": "the HMAC-SHA256 key of Hc-Signature (its ASCII bytes); shown only here"}})),
        "PushEndpointList": object(&["endpoints"], json!({
            "endpoints": {"type": "array", "items": schema_ref("PushEndpoint")}})),
        "TransferRequest": object(&["qr", "label_code"], json!({"qr": qr,
            "label_code": {"type": "string", "description": "the six letters on the device's label"}})),
        "TransferId": {"type": "integer", "minimum": 1, "maximum": i64::MAX},
        "Transfer": object(&["id", "serial", "role", "state", "other_account", "requested_at", "completes_at"], json!({
            "id": time, "serial": serial,
            "role": {"type": "string", "enum": ["owner", "requester"]},
            "state": {"type": "string", "enum": TransferState::ALL.map(TransferState::as_str)},
            "other_account": {"type": "string", "description": "masked, as in***@example.com"},
            "requested_at": time, "completes_at": time})),
        "TransferList": object(&["transfers"], json!({
            "transfers": {"type": "array", "items": schema_ref("Transfer")}})),
        "DeviceSyncRequest": object(&["v", "serial", "nonce", "ts", "tag"], json!({
            "v": {"type": "integer", "enum": [hc_protocol::SYNC_VERSION]}, "serial": serial,
            "nonce": hex(hc_protocol::NONCE_LEN), "ts": count, "tag": hex(32)})),
        "DeviceSyncResponse": object(&["bound", "tag"], json!({"bound": {"type": "boolean"}, "tag": hex(32)})),
        "ErrorDetail": object(&["code", "message"], json!({
            "code": {"type": "string", "enum": error_codes},
            "message": string, "attempts_left": count, "retry_after_secs": count})),
        "ErrorBody": object(&["error"], json!({"error": schema_ref("ErrorDetail")})),
        "Health": object(&["status"], json!({"status": {"type": "string", "const": "ok"}})),
        "OpenApi": {"type": "object"},
    })
}

/// The shortest QR payload `parse_qr` takes: version, flags, serial, issued-at, nonce, two empty
/// text fields, and the tag.
fn protocol_qr_min_payload() -> usize {
    1 + 1 + SERIAL_LEN + 4 + hc_protocol::NONCE_LEN + 1 + 1 + hc_protocol::TAG_LEN
}

/// The codes this service can answer with: those of [`ErrorCode::ALL`] that have a status here.
fn all_error_codes() -> Vec<ErrorCode> {
    ErrorCode::ALL
        .iter()
        .copied()
        .filter(|code| status_of(*code).is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hc_protocol::api::*;

    /// Each schema names exactly the fields the real type serializes (optional ones may be absent).
    fn assert_schema_matches<T: serde::Serialize>(name: &str, sample: T) {
        let schemas = schemas();
        let schema = &schemas[name];
        let properties = schema["properties"].as_object().unwrap();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let value = serde_json::to_value(sample).unwrap();
        let fields = value.as_object().unwrap();
        for key in fields.keys() {
            assert!(properties.contains_key(key), "{name}: schema lacks {key}");
        }
        for key in &required {
            assert!(
                fields.contains_key(*key),
                "{name}: {key} is required but not serialized"
            );
        }
    }

    #[test]
    fn schemas_describe_the_protocol_types() {
        let device = Device {
            serial: "J12345678".into(),
            name: "n".into(),
            model: "m".into(),
            added_at: 1,
        };
        let event = AuditEvent {
            id: 1,
            at: 1,
            serial: None,
            nonce: None,
            outcome: AuditOutcome::Issued,
            client_addr: None,
            actor: AuditActor::OtherAccount {
                masked_email: "in***@example.com".into(),
            },
            count: 1,
        };
        let credentials = Credentials {
            email: "e".into(),
            password: "p".into(),
        };
        assert_schema_matches("Credentials", credentials.clone());
        assert_schema_matches("NewAccount", credentials);
        assert_schema_matches("AccountCreated", AccountCreated { email: "e".into() });
        assert_schema_matches(
            "Tokens",
            Tokens {
                access_token: "a".into(),
                refresh_token: "r".into(),
                expires_in_secs: 1,
            },
        );
        assert_schema_matches(
            "RefreshRequest",
            RefreshRequest {
                refresh_token: "r".into(),
            },
        );
        assert_schema_matches(
            "ChangePasswordRequest",
            ChangePasswordRequest {
                current_password: "c".into(),
                new_password: "n".into(),
            },
        );
        assert_schema_matches("Device", device.clone());
        assert_schema_matches(
            "DeviceList",
            DeviceList {
                devices: vec![device],
            },
        );
        assert_schema_matches(
            "AddDeviceRequest",
            AddDeviceRequest {
                serial: "s".into(),
                label_code: "l".into(),
                name: Some("n".into()),
            },
        );
        assert_schema_matches("ResetCodeRequest", ResetCodeRequest { qr: "q".into() });
        assert_schema_matches(
            "ResetCodeResponse",
            ResetCodeResponse {
                serial: "s".into(),
                model: "m".into(),
                code: "c".into(),
                valid_for_secs: 1,
            },
        );
        assert_schema_matches("AuditEvent", event.clone());
        assert_schema_matches(
            "AuditList",
            AuditList {
                events: vec![event],
                next_before: Some(1),
            },
        );
        assert_schema_matches(
            "DeviceSyncRequest",
            DeviceSyncRequest {
                v: 2,
                serial: "s".into(),
                nonce: "n".into(),
                ts: 1,
                tag: "t".into(),
            },
        );
        assert_schema_matches(
            "DeviceSyncResponse",
            DeviceSyncResponse {
                bound: true,
                tag: "t".into(),
            },
        );
        let feed_event = FeedEvent {
            id: 1,
            kind: FeedEventKind::ResetAttemptRefused,
            at: 1,
            serial: Some("J12345678".into()),
            other_account: Some("in***@example.com".into()),
            outcome: Some("bound_to_other_account".into()),
            client: Some("203.0.113.0/24".into()),
            transfer_id: Some(1),
        };
        assert_schema_matches("FeedEvent", feed_event.clone());
        assert_schema_matches(
            "FeedPage",
            FeedPage {
                events: vec![feed_event],
                next_after: 1,
            },
        );
        assert_schema_matches(
            "NewPushEndpoint",
            NewPushEndpoint {
                kind: "webhook".into(),
                url: "https://example.com".into(),
            },
        );
        let endpoint = PushEndpoint {
            id: 1,
            kind: "webhook".into(),
            url: "https://example.com".into(),
            created_at: 1,
        };
        assert_schema_matches("PushEndpoint", endpoint.clone());
        assert_schema_matches(
            "PushEndpointList",
            PushEndpointList {
                endpoints: vec![endpoint],
            },
        );
        assert_schema_matches(
            "PushEndpointCreated",
            PushEndpointCreated {
                id: 1,
                kind: "webhook".into(),
                url: "https://example.com".into(),
                created_at: 1,
                secret: "whsec_00".into(),
            },
        );
        let transfer = Transfer {
            id: 1,
            serial: "J12345678".into(),
            role: "owner".into(),
            state: TransferState::Open,
            other_account: "in***@example.com".into(),
            requested_at: 1,
            completes_at: 2,
        };
        assert_schema_matches("Transfer", transfer.clone());
        assert_schema_matches(
            "TransferList",
            TransferList {
                transfers: vec![transfer],
            },
        );
        assert_schema_matches(
            "TransferRequest",
            TransferRequest {
                qr: "q".into(),
                label_code: "l".into(),
            },
        );
        let mut error = ErrorBody::new(ErrorCode::RateLimited, "m");
        error.error.retry_after_secs = Some(1);
        error.error.attempts_left = Some(1);
        assert_schema_matches("ErrorBody", error.clone());
        assert_schema_matches("ErrorDetail", error.error);
    }

    #[test]
    fn the_qr_pattern_admits_the_shortest_and_longest_qr_texts() {
        // The bounds come from the parser's own constants; a real QR must fall inside them.
        let min = (protocol_qr_min_payload() * 8).div_ceil(5);
        assert!(QR_PREFIX.len() + min <= MAX_TEXT_LEN);
        let vectors: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../protocol/tests/vectors.json"
        )))
        .unwrap();
        let mut seen = 0;
        for text in vectors
            .to_string()
            .split('"')
            .filter(|t| hc_protocol::parse_qr(t).is_ok())
        {
            let chars = text.len() - QR_PREFIX.len();
            assert!(
                (min..=MAX_TEXT_LEN - QR_PREFIX.len()).contains(&chars),
                "{text}"
            );
            seen += 1;
        }
        assert!(seen > 0, "the vectors hold well-formed QR texts");
    }
}
