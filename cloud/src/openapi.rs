//! `/openapi.json`, generated. Each handler states its method, path, parameters, request body,
//! answers and security in its `#[utoipa::path]`; [`crate::routes`] registers every handler through
//! `utoipa_axum::routes!`, which routes it by that same annotation, so the document lists exactly
//! the routes the router serves, with their methods. The schemas are the `hc_protocol::api` types'
//! `ToSchema` derives (feature `openapi`), whose lengths and patterns are the parsers' own
//! constants.
//!
//! [`document`] then adds what every route of a kind shares, so no annotation repeats it: the
//! error answers (an error status in an annotation names its codes as its description, e.g.
//! `(status = 409, description = "email_taken")`; the document gives it the error body with
//! exactly those codes), the codes every body, parameter, token or database can cause, the
//! `Retry-After` and `WWW-Authenticate` headers, the bearer scheme, and the e-mail pattern made
//! from the Unicode tables the cloud normalizes with. The test command's schemathesis stage holds
//! the result against the running server.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use hc_protocol::api::ErrorCode;
use hc_protocol::openapi::CONTROLS;
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

/// The document's head; the paths come from the router ([`crate::routes::router`]).
#[derive(OpenApi)]
#[openapi(info(
    title = "hc cloud API",
    description = "Accounts, device binding and Reset Device Password codes (DESIGN.md section 4). \
        Every error is {\"error\": {\"code\", \"message\"}}. Request bodies refuse unknown fields."
))]
pub struct ApiDoc;

/// The bearer scheme's name, as the annotations' `security(("bearer" = []))` name it.
pub const BEARER: &str = "bearer";

/// The document served at `/openapi.json`: the router's paths and schemas, finished as the module
/// documentation says. Panics on an annotation that names an error code the API does not have
/// (a unit test builds the document, so such a typo fails the tests, not a start-up).
pub fn document(api: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(api).expect("an OpenAPI document serializes");
    for (path, item) in doc["paths"]
        .as_object_mut()
        .expect("the document has paths")
    {
        for (method, operation) in item.as_object_mut().expect("a path item is an object") {
            finish_operation(operation)
                .unwrap_or_else(|problem| panic!("{method} {path}: {problem}"));
        }
    }
    let components = doc
        .as_object_mut()
        .expect("the document is an object")
        .entry("components")
        .or_insert_with(|| json!({}));
    components["securitySchemes"] = json!({BEARER: {"type": "http", "scheme": "bearer"}});
    let schemas = components["schemas"]
        .as_object_mut()
        .expect("the router names its schemas");
    // Answers and bodies alike: what a type serializes is all its schema lists. Request bodies
    // refuse other fields (`deny_unknown_fields`); answers hold no others, and a client of this
    // version may rely on that.
    for schema in schemas.values_mut() {
        close(schema);
        if let Some(Value::Array(variants)) = schema.get_mut("oneOf") {
            variants.iter_mut().for_each(close);
        }
    }
    // Every body that names an address the cloud normalizes: the same pattern as registration.
    for body in [
        "NewAccount",
        "ForgotPasswordRequest",
        "ResetPasswordRequest",
    ] {
        let email = &mut schemas[body]["properties"]["email"];
        assert!(email.is_object(), "{body} has an email");
        email["pattern"] = json!(email_pattern());
    }
    doc
}

/// `additionalProperties: false` on an object schema that lists its properties.
fn close(schema: &mut Value) {
    if let Value::Object(schema) = schema {
        if schema.get("type") == Some(&json!("object")) && schema.contains_key("properties") {
            schema
                .entry("additionalProperties")
                .or_insert(Value::Bool(false));
        }
    }
}

/// The status of each code every route of a kind can answer with.
mod shared {
    use hc_protocol::api::ErrorCode::{self, *};

    /// A route with a body: it is malformed (or names an unknown field), too large, or not JSON.
    pub const BODY: &[(u16, ErrorCode)] = &[
        (400, BadRequest),
        (413, PayloadTooLarge),
        (415, UnsupportedMediaType),
    ];
    /// A route with parameters: one is malformed or out of range.
    pub const PARAMETERS: &[(u16, ErrorCode)] = &[(400, BadRequest)];
    /// A route that needs a token: it is missing, expired or revoked.
    pub const AUTHENTICATED: &[(u16, ErrorCode)] = &[(401, Unauthorized)];
    /// Every route: the database can fail or be busy, and every request has a deadline.
    pub const EVERY: &[(u16, ErrorCode)] = &[(500, Internal), (503, Unavailable)];
}

fn finish_operation(operation: &mut Value) -> Result<(), String> {
    let operation = operation
        .as_object_mut()
        .ok_or("an operation is an object")?;
    // No security requirement would mean "inherit"; an empty list says "none".
    let security = operation.entry("security").or_insert_with(|| json!([]));
    let authenticated = security.as_array().is_some_and(|all| {
        all.iter()
            .any(|requirement| requirement.get(BEARER).is_some())
    });
    let has_body = operation.contains_key("requestBody");
    let mut has_parameters = false;
    for parameter in operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        has_parameters = true;
        // OpenAPI requires it of every path parameter; utoipa leaves it out of one whose schema
        // is `schema_with`.
        if parameter["in"] == "path" {
            parameter["required"] = Value::Bool(true);
        }
    }
    let responses = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
        .ok_or("no responses")?;

    // The route's own codes, by status, as its annotation names them.
    let mut errors: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for (status, response) in responses.iter() {
        let status: u16 = status
            .parse()
            .map_err(|_| format!("status {status} is not a number"))?;
        if status < 400 {
            continue;
        }
        let description = response["description"].as_str().unwrap_or_default();
        for name in description.split(',').map(str::trim) {
            let code = ErrorCode::ALL
                .iter()
                .find(|code| code.as_str() == name)
                .ok_or_else(|| format!("{status}: `{name}` is not an error code"))?;
            errors.entry(status).or_default().push(*code);
        }
    }
    let kinds = [
        (has_body, shared::BODY),
        (has_parameters, shared::PARAMETERS),
        (authenticated, shared::AUTHENTICATED),
        (true, shared::EVERY),
    ];
    for (status, code) in kinds
        .into_iter()
        .filter(|(applies, _)| *applies)
        .flat_map(|(_, codes)| codes.iter().copied())
    {
        errors.entry(status).or_default().push(code);
    }
    for (status, mut codes) in errors {
        let mut seen = Vec::new();
        codes.retain(|code| {
            let new = !seen.contains(code);
            seen.push(*code);
            new
        });
        responses.insert(status.to_string(), error_response(status, &codes));
    }
    Ok(())
}

/// One error status: the error body, its code limited to the codes the route answers with it.
fn error_response(status: u16, codes: &[ErrorCode]) -> Value {
    let names: Vec<&str> = codes.iter().map(|code| code.as_str()).collect();
    let mut response = json!({
        "description": names.join(", "),
        "content": {"application/json": {"schema": error_body(&names)}},
    });
    let integer = json!({"type": "integer", "minimum": 1});
    let headers = match status {
        // `ApiError` sends it with every 401.
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

fn object(required: &[&str], properties: Value) -> Value {
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("required".into(), json!(required));
    schema.insert("properties".into(), properties);
    schema.insert("additionalProperties".into(), json!(false));
    Value::Object(schema)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use hc_protocol::api::*;

    /// Each schema names exactly the fields the real type serializes (optional ones may be absent).
    fn assert_schema_matches<T: serde::Serialize>(schemas: &Value, name: &str, sample: T) {
        let schema = &schemas[name];
        let properties = schema["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: no properties in {schema}"));
        assert_eq!(schema["additionalProperties"], false, "{name}");
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
        let doc = crate::routes::document();
        let schemas = &doc["components"]["schemas"];
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
        assert_schema_matches(schemas, "Credentials", credentials);
        assert_schema_matches(
            schemas,
            "NewAccount",
            NewAccount {
                email: "e".into(),
                password: "p".into(),
            },
        );
        assert_schema_matches(
            schemas,
            "AccountCreated",
            AccountCreated {
                email: "e".into(),
                email_verified: false,
            },
        );
        assert_schema_matches(
            schemas,
            "Tokens",
            Tokens {
                access_token: "a".into(),
                refresh_token: "r".into(),
                expires_in_secs: 1,
            },
        );
        assert_schema_matches(
            schemas,
            "RefreshRequest",
            RefreshRequest {
                refresh_token: "r".into(),
            },
        );
        assert_schema_matches(
            schemas,
            "ChangePasswordRequest",
            ChangePasswordRequest {
                current_password: "c".into(),
                new_password: "n".into(),
            },
        );
        assert_schema_matches(schemas, "Device", device.clone());
        assert_schema_matches(
            schemas,
            "DeviceList",
            DeviceList {
                devices: vec![device],
            },
        );
        assert_schema_matches(
            schemas,
            "AddDeviceRequest",
            AddDeviceRequest {
                serial: "s".into(),
                label_code: "l".into(),
                name: Some("n".into()),
            },
        );
        assert_schema_matches(
            schemas,
            "ResetCodeRequest",
            ResetCodeRequest { qr: "q".into() },
        );
        assert_schema_matches(
            schemas,
            "ResetCodeResponse",
            ResetCodeResponse {
                serial: "s".into(),
                model: "m".into(),
                code: "c".into(),
                valid_for_secs: 1,
            },
        );
        assert_schema_matches(schemas, "AuditEvent", event.clone());
        assert_schema_matches(
            schemas,
            "AuditList",
            AuditList {
                events: vec![event],
                next_before: Some(1),
            },
        );
        assert_schema_matches(
            schemas,
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
            schemas,
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
        assert_schema_matches(schemas, "FeedEvent", feed_event.clone());
        assert_schema_matches(
            schemas,
            "FeedPage",
            FeedPage {
                events: vec![feed_event],
                next_after: 1,
            },
        );
        assert_schema_matches(
            schemas,
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
        assert_schema_matches(schemas, "PushEndpoint", endpoint.clone());
        assert_schema_matches(
            schemas,
            "PushEndpointList",
            PushEndpointList {
                endpoints: vec![endpoint],
            },
        );
        assert_schema_matches(
            schemas,
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
        assert_schema_matches(schemas, "Transfer", transfer.clone());
        assert_schema_matches(
            schemas,
            "TransferList",
            TransferList {
                transfers: vec![transfer],
            },
        );
        assert_schema_matches(
            schemas,
            "TransferRequest",
            TransferRequest {
                qr: "q".into(),
                label_code: "l".into(),
            },
        );
    }

    #[test]
    fn every_error_status_gets_the_error_body_with_its_codes_and_those_of_its_kind() {
        let doc = crate::routes::document();
        let operation = &doc["paths"]["/v1/devices"]["post"];
        let responses = &operation["responses"];
        let codes = |status: &str| -> Vec<String> {
            responses[status]["content"]["application/json"]["schema"]["properties"]["error"]
                ["properties"]["code"]["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("no {status}: {responses}"))
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(codes("400"), ["invalid_serial", "bad_request"]);
        assert_eq!(codes("401"), ["unauthorized"]);
        assert_eq!(codes("409"), ["already_added", "bound_to_other_account"]);
        assert_eq!(codes("413"), ["payload_too_large"]);
        assert_eq!(codes("415"), ["unsupported_media_type"]);
        assert_eq!(codes("500"), ["internal"]);
        assert_eq!(codes("503"), ["unavailable"]);
        assert_eq!(
            responses["400"]["description"],
            "invalid_serial, bad_request"
        );
        assert_eq!(
            responses["401"]["headers"]["WWW-Authenticate"]["required"],
            true
        );
        assert_eq!(responses["429"]["headers"]["Retry-After"]["required"], true);
        assert_eq!(
            responses["503"]["headers"]["Retry-After"]["required"],
            false
        );
        assert_eq!(operation["security"], json!([{BEARER: []}]));
        // A route without a token says so, rather than inheriting.
        let health = &doc["paths"]["/healthz"]["get"];
        assert_eq!(health["security"], json!([]));
        assert!(health["responses"]["401"].is_null());
        assert!(health["responses"]["400"].is_null());
        // The audit's parameters can be malformed: 400 without a body.
        let audit = &doc["paths"]["/v1/audit"]["get"]["responses"];
        assert!(audit["400"].is_object() && audit["415"].is_null());
    }

    #[test]
    fn an_annotation_naming_a_code_the_api_lacks_is_refused() {
        let mut operation = json!({
            "responses": {"200": {"description": "fine"}, "409": {"description": "email_taken, no_such_code"}}
        });
        let problem = finish_operation(&mut operation).expect_err("refused");
        assert!(problem.contains("`no_such_code`"), "{problem}");
    }

    #[test]
    fn path_parameters_are_required_and_match_the_path() {
        let doc = crate::routes::document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let names: Vec<&str> = path
                .split('{')
                .skip(1)
                .map(|rest| rest.split('}').next().unwrap())
                .collect();
            for (method, operation) in item.as_object().unwrap() {
                let declared: Vec<&str> = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .map(|p| {
                        assert_eq!(p["required"], true, "{method} {path}");
                        p["name"].as_str().unwrap()
                    })
                    .collect();
                assert_eq!(declared, names, "{method} {path}");
            }
        }
    }
}
