//! What another account, a flood or a sloppy client tries against the cloud (issue 14), on SQLite
//! and on PostgreSQL; the transport-level ones (timeouts, hyper's own errors, file modes) on
//! SQLite only, as they do not touch the database.

mod support;

use std::time::Duration;

use hc_cloud::RateLimits;
use hc_protocol::api::*;
use hc_protocol::{DeviceKey, Nonce, Serial, sync2_request_tag};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{Backend, PASSWORD, TestCloud, client_from, qr_for, suite};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

suite!(
    another_account_floods_forged_qrs_for_the_owners_serial_and_the_owner_still_gets_the_code,
    a_rate_limited_flood_of_reset_requests_is_one_audit_row_per_window,
    random_emails_from_one_address_meet_the_per_address_login_limit,
    malformed_emails_are_counted_by_the_login_limit_too,
    registrations_naming_one_email_meet_a_limit,
    during_a_login_flood_an_honest_login_still_succeeds_and_the_excess_gets_503_or_429,
    a_sync_flood_for_one_serial_gets_429_and_other_serials_and_addresses_do_not,
    a_stolen_phones_session_stops_working_after_the_owner_changes_the_password_on_another_phone,
    a_wrong_current_password_changes_nothing_and_is_rate_limited,
    after_logout_all_no_token_of_the_account_works,
    nfc_and_nfd_spellings_of_one_address_are_one_account,
    audit_rows_past_the_operators_retention_are_deleted,
);

fn err(answer: &support::Answer) -> ErrorBody {
    answer.json()
}

mod cases {
    use super::*;

    pub async fn another_account_floods_forged_qrs_for_the_owners_serial_and_the_owner_still_gets_the_code(
        backend: Backend,
    ) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    reset_codes_per_device: 3,
                    unverified_reset_codes_per_client_addr: 5,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let attacker = t.account("attacker@example.com").await;
        let device = t.provision("J12345678").await;
        assert_eq!(
            t.add_device(&owner, &device).await.status,
            StatusCode::CREATED
        );
        // The serial is printed on the device: the attacker makes QR texts naming it, tagged with
        // a key of their own. Twenty of them, far past the device's budget of three.
        let forger = DeviceKey::from_bytes([42; 32]);
        let mut limited = 0;
        for nonce in 0..20 {
            let forged =
                support::challenge(&device.serial, &device.model, nonce).to_qr_text(&forger);
            let answer = t.reset_code(&attacker, &forged).await;
            match answer.status {
                StatusCode::BAD_REQUEST => {
                    answer.assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidQr)
                }
                _ => {
                    answer.assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
                    assert!(answer.headers.contains_key("retry-after"));
                    limited += 1;
                }
            }
        }
        // The forgeries were counted against where they came from...
        assert_eq!(limited, 15);
        // ...and not against the device: the owner's genuine QR, from the same address even,
        // gets its code at once, three times (the device's whole budget).
        for nonce in 100..103 {
            let answer = t.reset_code(&owner, &qr_for(&device, nonce)).await;
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        }
    }

    pub async fn a_rate_limited_flood_of_reset_requests_is_one_audit_row_per_window(
        backend: Backend,
    ) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    reset_codes_per_account: 3,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let flooder = t.account("flooder@example.com").await;
        for _ in 0..40 {
            t.reset_code(&flooder, "not a reset code").await;
        }
        let events = t
            .get("/v1/audit", &flooder)
            .await
            .json::<AuditList>()
            .events;
        // Three refusals of their own, then one row counting the other 37.
        assert_eq!(events.len(), 4, "{events:?}");
        assert_eq!(events[0].outcome, AuditOutcome::RateLimited);
        assert_eq!(events[0].count, 37);
        assert!(
            events[1..]
                .iter()
                .all(|e| e.outcome == AuditOutcome::InvalidQr && e.count == 1)
        );
    }

    pub async fn random_emails_from_one_address_meet_the_per_address_login_limit(backend: Backend) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    logins_per_client_addr: 5,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        // Each email is new, so a per-email limit alone would never answer.
        for i in 0..5 {
            let guess = json!({"email": format!("random{i}@example.com"), "password": PASSWORD});
            t.post("/v1/auth/login", None, guess)
                .await
                .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
        }
        let sixth = json!({"email": "random6@example.com", "password": PASSWORD});
        let limited = t.post("/v1/auth/login", None, sixth.clone()).await;
        limited.assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        assert!(limited.headers.contains_key("retry-after"));
        // Another client address is not affected.
        let elsewhere = client_from([127, 0, 0, 2]);
        t.call_with(
            &elsewhere,
            Method::POST,
            "/v1/auth/login",
            None,
            Some(sixth),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
    }

    pub async fn malformed_emails_are_counted_by_the_login_limit_too(backend: Backend) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    logins_per_email: 3,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        for _ in 0..3 {
            let guess = json!({"email": "no at sign", "password": PASSWORD});
            t.post("/v1/auth/login", None, guess)
                .await
                .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
        }
        t.post(
            "/v1/auth/login",
            None,
            json!({"email": "no at sign", "password": PASSWORD}),
        )
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    }

    pub async fn registrations_naming_one_email_meet_a_limit(backend: Backend) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    registrations_per_email: 2,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        t.register("taken@example.com").await;
        let again = json!({"email": "Taken@Example.com", "password": PASSWORD});
        t.post("/v1/accounts", None, again.clone())
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::EmailTaken);
        t.post("/v1/accounts", None, again)
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    }

    pub async fn during_a_login_flood_an_honest_login_still_succeeds_and_the_excess_gets_503_or_429(
        backend: Backend,
    ) {
        // One hashing thread and two places in the queue: the flood meets the bound at once.
        let Some(t) = backend
            .start(|c| {
                c.with_password_hashing(1, 2)
                    .with_max_db_connections(8)
                    .with_rate_limits(RateLimits {
                        logins_per_client_addr: 100_000,
                        ..RateLimits::default()
                    })
            })
            .await
        else {
            return;
        };
        t.register("honest@example.com").await;
        let t = std::sync::Arc::new(t);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // 16 connections from another address, random emails, no pause.
        let flooders: Vec<_> = (0..16)
            .map(|worker| {
                let t = t.clone();
                let stop = stop.clone();
                tokio::spawn(async move {
                    let http = client_from([127, 0, 0, 2]);
                    let mut statuses = Vec::new();
                    let mut i = 0u32;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        i += 1;
                        let email = format!("flood{worker}x{i}@example.com");
                        let answer = t
                            .call_with(
                                &http,
                                Method::POST,
                                "/v1/auth/login",
                                None,
                                Some(json!({"email": email, "password": "guess guess"})),
                            )
                            .await;
                        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
                            answer.assert_error(answer.status, ErrorCode::Unavailable);
                            assert!(answer.headers.contains_key("retry-after"));
                        }
                        statuses.push(answer.status);
                    }
                    statuses
                })
            })
            .collect();
        // Until the flood has been turned away at least once, it is not a flood yet.
        let mut honest = None;
        for _ in 0..50 {
            let answer = t
                .post(
                    "/v1/auth/login",
                    None,
                    json!({"email": "honest@example.com", "password": PASSWORD}),
                )
                .await;
            if answer.status == StatusCode::OK {
                honest = Some(answer.json::<Tokens>());
                break;
            }
            // A busy answer asks for a retry after a second.
            answer.assert_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut statuses = Vec::new();
        for flooder in flooders {
            statuses.extend(flooder.await.unwrap());
        }
        let honest = honest.expect("the honest login got through");
        assert!(!honest.access_token.is_empty());
        assert!(
            statuses.iter().all(|s| [
                StatusCode::UNAUTHORIZED,
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::SERVICE_UNAVAILABLE
            ]
            .contains(s)),
            "{statuses:?}"
        );
        assert!(
            statuses.contains(&StatusCode::SERVICE_UNAVAILABLE),
            "the bound turned nobody away: {} requests",
            statuses.len()
        );
    }

    pub async fn a_sync_flood_for_one_serial_gets_429_and_other_serials_and_addresses_do_not(
        backend: Backend,
    ) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    syncs_per_device: 3,
                    syncs_per_client_addr: 9,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let flooded = t.provision("J12345678").await;
        let other = t.provision("K00000001").await;
        let sync_body = |device: &hc_protocol::factory::DeviceRecord, n: u8| {
            let nonce = Nonce::from_bytes([n; 16]);
            json!({"v": 2, "serial": device.serial.as_str(), "nonce": nonce.to_hex(), "ts": 1000,
                "tag": sync2_request_tag(&device.device_key, &device.serial, &nonce, 1000)})
        };
        // A genuine request replayed, or a device gone mad: three answers, then 429.
        for n in 0..3 {
            let answer = t
                .post("/v1/device/sync", None, sync_body(&flooded, n))
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        }
        let limited = t
            .post("/v1/device/sync", None, sync_body(&flooded, 9))
            .await;
        limited.assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        let retry_after: u64 = limited.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(err(&limited).error.retry_after_secs, Some(retry_after));
        // Another serial from the same address is unaffected.
        let answer = t.post("/v1/device/sync", None, sync_body(&other, 1)).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        // Made-up syncs for unknown serials: the same 401 as a bad tag, and counted per address.
        let stranger = Serial::parse("Z99999999").unwrap();
        let nonce = Nonce::from_bytes([7; 16]);
        let forged = json!({"v": 2, "serial": "Z99999999", "nonce": nonce.to_hex(), "ts": 1,
            "tag": sync2_request_tag(&DeviceKey::from_bytes([1; 32]), &stranger, &nonce, 1)});
        let mut bodies = Vec::new();
        for _ in 0..3 {
            let answer = t.post("/v1/device/sync", None, forged.clone()).await;
            answer.assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
            bodies.push(answer.body);
        }
        let bad_tag = json!({"v": 2, "serial": "K00000001", "nonce": nonce.to_hex(), "ts": 1,
            "tag": sync2_request_tag(&DeviceKey::from_bytes([1; 32]), &other.serial, &nonce, 1)});
        let known = t.post("/v1/device/sync", None, bad_tag).await;
        assert_eq!(known.body, bodies[0]);
        // That was the ninth from this address: the tenth waits, whatever it names...
        t.post("/v1/device/sync", None, sync_body(&other, 2))
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        // ...and another address is unaffected.
        let elsewhere = client_from([127, 0, 0, 2]);
        let answer = t
            .call_with(
                &elsewhere,
                Method::POST,
                "/v1/device/sync",
                None,
                Some(sync_body(&other, 3)),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    }

    async fn change_password(
        t: &TestCloud,
        token: &str,
        current: &str,
        new: &str,
    ) -> support::Answer {
        t.post(
            "/v1/auth/password",
            Some(token),
            json!({"current_password": current, "new_password": new}),
        )
        .await
    }

    pub async fn a_stolen_phones_session_stops_working_after_the_owner_changes_the_password_on_another_phone(
        backend: Backend,
    ) {
        let Some(t) = start(backend).await else {
            return;
        };
        t.register("owner@example.com").await;
        let stolen = t.login("owner@example.com").await;
        let mine = t.login("owner@example.com").await;
        let changed = change_password(&t, &mine.access_token, PASSWORD, "a new passphrase").await;
        assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
        // The stolen phone's access token and refresh token are dead.
        t.get("/v1/devices", &stolen.access_token)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        t.post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": stolen.refresh_token}),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        // The owner's phone carries on, refresh included.
        assert_eq!(
            t.get("/v1/devices", &mine.access_token).await.status,
            StatusCode::OK
        );
        let refreshed = t
            .post(
                "/v1/auth/refresh",
                None,
                json!({"refresh_token": mine.refresh_token}),
            )
            .await;
        assert_eq!(refreshed.status, StatusCode::OK, "{:?}", refreshed.body);
        // The old password is refused, the new one logs in.
        t.post(
            "/v1/auth/login",
            None,
            json!({"email": "owner@example.com", "password": PASSWORD}),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
        let login = t
            .post(
                "/v1/auth/login",
                None,
                json!({"email": "owner@example.com", "password": "a new passphrase"}),
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{:?}", login.body);
    }

    pub async fn a_wrong_current_password_changes_nothing_and_is_rate_limited(backend: Backend) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    logins_per_email: 3,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        t.register("owner@example.com").await;
        let thief = t.login("owner@example.com").await;
        let other = t.login("owner@example.com").await;
        // A thief holding a session guesses the password to lock the owner out.
        for guess in ["guess one!", "guess two!", "guess three"] {
            change_password(&t, &thief.access_token, guess, "thief's own pass")
                .await
                .assert_error(StatusCode::FORBIDDEN, ErrorCode::InvalidCredentials);
        }
        let limited = change_password(&t, &thief.access_token, PASSWORD, "thief's own pass").await;
        limited.assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        assert!(limited.headers.contains_key("retry-after"));
        // Nothing changed: the other session lives, the password is the old one.
        assert_eq!(
            t.get("/v1/devices", &other.access_token).await.status,
            StatusCode::OK
        );
        // A weak new password is refused with the rule.
        let fresh = t.account("second@example.com").await;
        change_password(&t, &fresh, PASSWORD, "short")
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::WeakPassword);
    }

    pub async fn after_logout_all_no_token_of_the_account_works(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        t.register("owner@example.com").await;
        let sessions = [
            t.login("owner@example.com").await,
            t.login("owner@example.com").await,
        ];
        let bystander = t.account("bystander@example.com").await;
        let ended = t
            .call(
                Method::POST,
                "/v1/auth/logout-all",
                Some(&sessions[0].access_token),
                None,
            )
            .await;
        assert_eq!(ended.status, StatusCode::NO_CONTENT, "{:?}", ended.body);
        for session in &sessions {
            t.get("/v1/devices", &session.access_token)
                .await
                .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
            t.post(
                "/v1/auth/refresh",
                None,
                json!({"refresh_token": session.refresh_token}),
            )
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        }
        // Another account is not touched; the owner may log in again.
        assert_eq!(
            t.get("/v1/devices", &bystander).await.status,
            StatusCode::OK
        );
        t.login("owner@example.com").await;
        t.call(Method::POST, "/v1/auth/logout-all", None, None)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        // Both account-security routes are in the machine-readable API.
        let doc = t.call(Method::GET, "/openapi.json", None, None).await;
        for path in ["/v1/auth/password", "/v1/auth/logout-all"] {
            assert!(doc.body["paths"][path]["post"].is_object(), "{path}");
        }
    }

    pub async fn nfc_and_nfd_spellings_of_one_address_are_one_account(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let nfc = "jos\u{e9}@example.com";
        let nfd = "Jose\u{301}@Example.com";
        t.register(nfc).await;
        t.post(
            "/v1/accounts",
            None,
            json!({"email": nfd, "password": PASSWORD}),
        )
        .await
        .assert_error(StatusCode::CONFLICT, ErrorCode::EmailTaken);
        t.login(nfd).await;
        // Invisible and bidi control characters make look-alikes: refused.
        for lookalike in [
            "jos\u{e9}\u{200B}@example.com",
            "jos\u{e9}@example.com\u{202E}",
            "\u{2066}jos\u{e9}@example.com",
        ] {
            t.post(
                "/v1/accounts",
                None,
                json!({"email": lookalike, "password": PASSWORD}),
            )
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail);
        }
    }

    pub async fn audit_rows_past_the_operators_retention_are_deleted(backend: Backend) {
        let Some(t) = backend
            .start(|c| c.with_audit_retention(Duration::from_secs(7 * 24 * 3600)))
            .await
        else {
            return;
        };
        let token = t.account("owner@example.com").await;
        t.reset_code(&token, "not a reset code").await;
        let events = t.get("/v1/audit", &token).await.json::<AuditList>().events;
        assert_eq!(events.len(), 1);
        let storage = t.cloud.state().storage();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let account = storage
            .account_by_email("owner@example.com")
            .await
            .unwrap()
            .unwrap()
            .0;
        storage
            .record_audit(&hc_cloud::storage::NewAuditEvent {
                account_id: account,
                at: now - 8 * 24 * 3600,
                serial: None,
                nonce: None,
                outcome: AuditOutcome::InvalidQr,
                client_addr: None,
                device_owner_id: None,
                aggregate_key: None,
            })
            .await
            .unwrap();
        assert_eq!(
            t.get("/v1/audit", &token)
                .await
                .json::<AuditList>()
                .events
                .len(),
            2
        );
        hc_cloud::server::purge(t.cloud.state()).await;
        let kept = t.get("/v1/audit", &token).await.json::<AuditList>().events;
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, events[0].id);
    }

    async fn start(backend: Backend) -> Option<TestCloud> {
        backend.start(|config| config).await
    }
}

/// Reads what the server sends until it closes the connection. The deadline only keeps a broken
/// server from hanging the test; the assertion is that the connection ends.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut received))
        .await
        .expect("the server closed the connection")
        .ok();
    received
}

async fn connect(t: &TestCloud) -> tokio::net::TcpStream {
    tokio::net::TcpStream::connect(t.cloud.local_addr())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_half_a_header_is_closed_after_the_header_timeout() {
    let t = Backend::Sqlite
        .start(|c| {
            c.with_header_read_timeout(Duration::from_millis(300))
                .with_idle_timeout(Duration::from_secs(600))
        })
        .await
        .unwrap();
    let mut slow = connect(&t).await;
    slow.write_all(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    read_until_closed(&mut slow).await;
    // Meanwhile the service answers everybody else.
    assert_eq!(
        t.call(Method::GET, "/healthz", None, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_says_nothing_is_closed_after_the_idle_timeout() {
    let t = Backend::Sqlite
        .start(|c| {
            c.with_header_read_timeout(Duration::from_secs(600))
                .with_idle_timeout(Duration::from_millis(300))
        })
        .await
        .unwrap();
    let mut silent = connect(&t).await;
    assert!(read_until_closed(&mut silent).await.is_empty());
}

/// hyper refuses these before the router sees them; the answer still has the API's error body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_too_large_and_a_bad_uri_get_the_json_error_body() {
    let t = Backend::Sqlite.start(|c| c).await.unwrap();
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(512 * 1024)
    );
    for (request, status) in [
        (huge.into_bytes(), 431),
        (b"GET /he\x01llo HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 400),
    ] {
        let mut stream = connect(&t).await;
        // The server may answer and close before it has read all of a huge request.
        let _ = stream.write_all(&request).await;
        let received = String::from_utf8(read_until_closed(&mut stream).await).unwrap();
        let (head, body) = received.split_once("\r\n\r\n").expect("an answer");
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{head}"
        );
        let body: ErrorBody = serde_json::from_str(body).expect("a JSON error body");
        assert_eq!(body.error.code, ErrorCode::BadRequest);
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_and_its_wal_files_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let t = TestCloud::launch(
        hc_cloud::Config::for_tests(data.path()),
        tempfile::tempdir().unwrap(),
    )
    .await;
    // A write, so that the -wal and -shm files exist.
    t.register("owner@example.com").await;
    let database = data.path().join(hc_cloud::config::SQLITE_FILE_NAME);
    for suffix in ["", "-wal", "-shm"] {
        let mut path = database.clone().into_os_string();
        path.push(suffix);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{path:?}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{path:?}");
    }
    t.cloud.shutdown().await;
}

/// A phone whose token was revoked keeps its connection: the refusal comes after the body was read,
/// so the next request on the same keep-alive connection is answered (it used to be dropped, and
/// clients that write the body separately saw broken pipes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_and_the_connection_still_serves_the_next_request() {
    let t = Backend::Sqlite.start(|c| c).await.unwrap();
    let mut stream = connect(&t).await;
    let body = br#"{"qr":"HCR1:AAAA"}"#;
    let head = format!(
        "POST /v1/reset-codes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer revoked\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    // The body follows in its own write, after the server has seen the headers.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(body).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let received = String::from_utf8(read_until_closed(&mut stream).await).unwrap();
    assert!(received.starts_with("HTTP/1.1 401 "), "{received}");
    assert_eq!(
        received.matches("HTTP/1.1 200 ").count(),
        1,
        "the health check on the same connection was answered: {received}"
    );
}
