//! The server is exactly as strict as `/openapi.json` says (issue 14 item 8): what the document
//! refuses, the server refuses, and what it admits, the server takes. The schemathesis stage of the
//! test command checks the same from outside with generated requests; these are the cases it
//! found, kept as plain tests.

mod support;

use hc_protocol::api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Backend, TestCloud};

async fn start() -> TestCloud {
    Backend::Sqlite
        .start(|config| config)
        .await
        .expect("SQLite is always there")
}

#[tokio::test]
async fn a_logout_with_a_field_the_api_does_not_have_is_refused_like_every_other_body() {
    let t = start().await;
    let token = t.account("ann@example.com").await;
    let refresh = t.login("ann@example.com").await.refresh_token;
    for (path, auth, body) in [
        (
            "/v1/auth/logout",
            None,
            json!({"refresh_token": refresh, "everywhere": true}),
        ),
        (
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh, "x": 1}),
        ),
        (
            "/v1/auth/login",
            None,
            json!({"email": "ann@example.com", "password": support::PASSWORD, "remember": true}),
        ),
        (
            "/v1/devices",
            Some(token.as_str()),
            json!({"serial": "J12345678", "label_code": "ABCDEF", "nmae": "typo"}),
        ),
        (
            "/v1/reset-codes",
            Some(token.as_str()),
            json!({"qr": "x", "y": 0}),
        ),
    ] {
        t.post(path, auth, body)
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    }
    // The refused logout revoked nothing: the session still refreshes.
    let refreshed = t
        .post("/v1/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{:?}", refreshed.body);
}

#[tokio::test]
async fn an_audit_limit_outside_one_to_the_maximum_is_refused_not_clamped() {
    let t = start().await;
    let token = t.account("ann@example.com").await;
    for limit in [
        "0".to_owned(),
        (AUDIT_MAX_LIMIT + 1).to_string(),
        "-1".into(),
    ] {
        t.get(&format!("/v1/audit?limit={limit}"), &token)
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    }
    for limit in [1, AUDIT_MAX_LIMIT] {
        let answer = t.get(&format!("/v1/audit?limit={limit}"), &token).await;
        assert_eq!(answer.status, StatusCode::OK, "{limit}: {:?}", answer.body);
    }
}

#[tokio::test]
async fn password_and_email_lengths_count_characters_as_the_document_does() {
    let t = start().await;
    // 1024 characters of 3 bytes each: the document admits it, so the server must. (Two characters
    // alternating: one character repeated is refused as a common password, whatever its length.)
    let long: String = "€₽".repeat(MAX_PASSWORD_CHARS / 2);
    let created = t
        .post(
            "/v1/accounts",
            None,
            json!({"email": "long@example.com", "password": long}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let tokens = t
        .post(
            "/v1/auth/login",
            None,
            json!({"email": "long@example.com", "password": long}),
        )
        .await;
    assert_eq!(tokens.status, StatusCode::OK, "{:?}", tokens.body);
    t.post(
        "/v1/accounts",
        None,
        json!({"email": "longer@example.com", "password": format!("{long}€")}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, ErrorCode::WeakPassword);

    let domain = "é.example";
    let local = "ü".repeat(MAX_EMAIL_CHARS - 1 - domain.chars().count());
    let email = format!("{local}@{domain}");
    let created = t
        .post(
            "/v1/accounts",
            None,
            json!({"email": email, "password": support::PASSWORD}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    t.post(
        "/v1/accounts",
        None,
        json!({"email": format!("ü{email}"), "password": support::PASSWORD}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail);
}

#[tokio::test]
async fn a_device_writing_its_clock_as_a_float_is_understood() {
    let t = start().await;
    // The tag is wrong, so the answer is 401: what matters is that the body was read at all.
    let answer = t
        .post(
            "/v1/device/sync",
            None,
            json!({"v": 2.0, "serial": "J12345678", "nonce": "00".repeat(16), "ts": 78518.0, "tag": "00"}),
        )
        .await;
    answer.assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
    t.post(
        "/v1/device/sync",
        None,
        json!({"v": 2, "serial": "J12345678", "nonce": "00".repeat(16), "ts": 78518.5, "tag": "00"}),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
}

#[tokio::test]
async fn the_document_lists_every_status_a_route_answers_with_its_codes() {
    let t = start().await;
    let doc = t.call(Method::GET, "/openapi.json", None, None).await.body;
    let responses = |path: &str, method: &str| doc["paths"][path][method]["responses"].clone();
    let codes = |responses: &Value, status: &str| -> Vec<String> {
        responses[status]["content"]["application/json"]["schema"]["properties"]["error"]
            ["properties"]["code"]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("no {status}: {responses}"))
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect()
    };
    let add = responses("/v1/devices", "post");
    assert_eq!(
        codes(&add, "403"),
        ["wrong_label_code", "email_not_verified"]
    );
    assert_eq!(codes(&add, "401"), ["unauthorized"]);
    assert!(codes(&add, "400").contains(&"invalid_serial".to_owned()));
    assert_eq!(codes(&add, "429"), ["rate_limited"]);
    assert!(add["429"]["headers"]["Retry-After"]["required"] == true);
    for status in ["413", "415", "500", "503"] {
        assert!(add[status].is_object(), "{status}");
    }
    let logout = responses("/v1/auth/logout", "post");
    assert!(logout["401"].is_null(), "logout needs no token");
    // Issue 21: the account-code routes and the gate.
    let reset = responses("/v1/auth/reset", "post");
    for code in ["invalid_email", "weak_password", "invalid_code"] {
        assert!(codes(&reset, "400").contains(&code.to_owned()), "{code}");
    }
    assert!(reset["204"].is_object() && reset["401"].is_null());
    let forgot = responses("/v1/auth/forgot", "post");
    assert!(forgot["202"].is_object() && forgot["401"].is_null());
    assert_eq!(codes(&forgot, "429"), ["rate_limited"]);
    let resend = responses("/v1/accounts/verify/resend", "post");
    assert_eq!(codes(&resend, "409"), ["already_verified"]);
    assert_eq!(codes(&resend, "401"), ["unauthorized"]);
    let verify = responses("/v1/accounts/verify", "post");
    assert!(codes(&verify, "400").contains(&"invalid_code".to_owned()));
    assert!(responses("/v1/accounts/me", "get")["200"].is_object());
    assert_eq!(
        codes(&responses("/v1/reset-codes", "post"), "403"),
        ["email_not_verified"]
    );
    assert!(
        codes(&responses("/v1/transfers", "post"), "403")
            .contains(&"email_not_verified".to_owned())
    );
    assert_eq!(
        schemas_of(&doc)["VerifyEmailRequest"]["properties"]["code"]["pattern"],
        "^[0-9]{6}$"
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["RefreshRequest"]["additionalProperties"], false);
    let parameter = |path: &str, method: &str, name: &str| -> Value {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} has no parameters"))
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} has no {name}"))
            .clone()
    };
    let serial = parameter("/v1/devices/{serial}", "delete", "serial");
    assert_eq!(serial["schema"]["pattern"], "^[A-Z0-9]{9}$");
    assert_eq!(serial["required"], true);
    let limit = parameter("/v1/audit", "get", "limit");
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], AUDIT_MAX_LIMIT);
    assert_eq!(limit["in"], "query");
    assert_eq!(
        schemas["DeviceSyncRequest"]["properties"]["ts"]["minimum"],
        0
    );
    assert_eq!(schemas["NewAccount"]["properties"]["email"]["minLength"], 5);
    // `¯` becomes a space and `＠` an `@` once normalized: the document refuses both, as the server does.
    let pattern = schemas["NewAccount"]["properties"]["email"]["pattern"]
        .as_str()
        .unwrap();
    assert!(
        pattern.contains(r"\u00af") && pattern.contains(r"\uff20"),
        "{pattern}"
    );
    for email in ["an\u{af}n@example.com", "a\u{ff20}b@example.com"] {
        t.post(
            "/v1/accounts",
            None,
            json!({"email": email, "password": support::PASSWORD}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail);
    }
}

/// The methods a client may try on any path.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

#[tokio::test]
async fn the_router_serves_exactly_the_operations_the_document_lists() {
    let t = start().await;
    let doc = t.call(Method::GET, "/openapi.json", None, None).await.body;
    let paths = doc["paths"].as_object().expect("paths");
    // What a path no route matches is answered with: the router's fallback.
    let unrouted = t.call(Method::GET, "/v1/no-such-route", None, None).await;
    unrouted.assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
    let fallback = unrouted.body;
    // A concrete path for a template: every parameter a plausible value.
    let concrete = |template: &str| {
        template
            .split('/')
            .map(|part| match part {
                "{serial}" => "J12345678",
                "{id}" => "1",
                other => other,
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut operations = 0;
    let mut concrete_paths = Vec::new();
    for (template, item) in paths {
        let path = concrete(template);
        assert!(
            !path.contains('{'),
            "{template}: a parameter the test does not know"
        );
        concrete_paths.push(path.clone());
        for method in METHODS {
            let documented = item.get(method.as_str().to_lowercase()).is_some();
            // Without a token and a body: a routed request stops at the token, the body or the
            // handler, never at the router.
            let answer = t.call(method.clone(), &path, None, None).await;
            if documented {
                operations += 1;
                assert_ne!(
                    answer.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template} is documented but not routed"
                );
                assert!(
                    answer.status != StatusCode::NOT_FOUND || answer.body != fallback,
                    "{method} {template} is documented but not routed"
                );
            } else {
                answer.assert_error(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed);
            }
        }
    }
    assert!(operations >= 23, "{operations} operations");
    // The other way round for the paths around them: a parent of a documented path, or one a
    // segment longer, is routed only when the document lists it.
    let mut neighbours: Vec<String> = Vec::new();
    for path in &concrete_paths {
        let parts: Vec<&str> = path.split('/').collect();
        for end in 2..parts.len() {
            neighbours.push(parts[..end].join("/"));
        }
        neighbours.push(format!("{path}/x"));
    }
    // A template's `{parameter}` matches any one segment.
    let matches = |template: &str, path: &str| {
        let (template, path): (Vec<&str>, Vec<&str>) =
            (template.split('/').collect(), path.split('/').collect());
        template.len() == path.len()
            && template
                .iter()
                .zip(&path)
                .all(|(t, p)| t == p || t.starts_with('{'))
    };
    neighbours.retain(|path| !paths.keys().any(|template| matches(template, path)));
    neighbours.sort();
    neighbours.dedup();
    assert!(
        neighbours.contains(&"/v1/transfers/1".to_owned()),
        "{neighbours:?}"
    );
    for path in &neighbours {
        for method in METHODS {
            let answer = t.call(method.clone(), path, None, None).await;
            assert_eq!(
                (answer.status, &answer.body),
                (StatusCode::NOT_FOUND, &fallback),
                "{method} {path} is routed but not documented"
            );
        }
    }
}

fn schemas_of(doc: &Value) -> &Value {
    &doc["components"]["schemas"]
}
