//! The API suite, run against SQLite and against a real PostgreSQL server over loopback HTTP.

mod support;

use std::time::Duration;

use hc_cloud::{ProvisionRequest, RateLimits};
use hc_protocol::api::*;
use hc_protocol::factory::LabelCode;
use hc_protocol::{
    CHALLENGE_LIFETIME_SECS, DeviceKey, Nonce, Serial, sync_tag, sync2_request_tag,
    verify_sync2_answer,
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{Backend, TestCloud, qr_for, suite};

suite!(
    a_new_account_logs_in_and_has_no_devices,
    registration_refuses_bad_emails_weak_passwords_and_taken_emails,
    login_with_a_wrong_password_or_unknown_email_is_refused_alike,
    requests_without_a_live_token_are_unauthorized,
    an_expired_access_token_is_refused_until_refreshed,
    refresh_rotates_and_a_reused_refresh_token_ends_the_session,
    logout_kills_the_session,
    adding_a_device_with_its_label_code_puts_it_in_the_list,
    a_wrong_label_code_or_unknown_serial_is_wrong_label_code,
    a_device_added_by_another_account_cannot_be_added,
    two_accounts_adding_one_device_at_once_exactly_one_wins,
    removing_a_device_unbinds_it,
    reset_codes_match_the_protocol_vectors_and_repeat_per_qr,
    a_device_not_added_gets_device_not_bound,
    a_device_added_by_others_gets_bound_to_other_account,
    unknown_serials_and_forged_tags_are_the_same_invalid_qr,
    reset_codes_are_rate_limited_per_account_and_per_device,
    a_hundred_phones_at_once_every_code_has_its_audit_row_and_the_counts_are_exact,
    an_account_over_its_limit_spends_none_of_the_devices_budget,
    label_code_guesses_are_rate_limited,
    many_accounts_guessing_at_one_bound_device_meet_its_own_limit,
    the_audit_log_lists_every_issuance_and_refusal_newest_first,
    device_sync_reports_binding_and_refuses_bad_tags,
    oversized_malformed_and_misrouted_requests_get_json_errors,
    health_and_openapi_answer,
);

mod cases {
    use super::*;

    async fn start(backend: Backend) -> Option<TestCloud> {
        backend.start(|config| config).await
    }

    pub async fn a_new_account_logs_in_and_has_no_devices(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let created = t
            .post(
                "/v1/accounts",
                None,
                json!({"email": " Ann@Example.com", "password": support::PASSWORD}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        assert_eq!(created.json::<AccountCreated>().email, "ann@example.com");
        let tokens = t.login("ANN@example.com").await;
        assert!(tokens.expires_in_secs > 0);
        assert_ne!(tokens.access_token, tokens.refresh_token);
        let list = t.get("/v1/devices", &tokens.access_token).await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.json::<DeviceList>().devices, vec![]);
        t.cloud.shutdown().await;
    }

    pub async fn registration_refuses_bad_emails_weak_passwords_and_taken_emails(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        t.post(
            "/v1/accounts",
            None,
            json!({"email": "nope", "password": support::PASSWORD}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail);
        t.post(
            "/v1/accounts",
            None,
            json!({"email": "a@b.co", "password": "short"}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::WeakPassword);
        t.register("a@b.co").await;
        t.post(
            "/v1/accounts",
            None,
            json!({"email": "A@B.CO", "password": support::PASSWORD}),
        )
        .await
        .assert_error(StatusCode::CONFLICT, ErrorCode::EmailTaken);
    }

    pub async fn login_with_a_wrong_password_or_unknown_email_is_refused_alike(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        t.register("a@b.co").await;
        let wrong = t
            .post(
                "/v1/auth/login",
                None,
                json!({"email": "a@b.co", "password": "wrong password"}),
            )
            .await;
        let unknown = t
            .post(
                "/v1/auth/login",
                None,
                json!({"email": "x@b.co", "password": support::PASSWORD}),
            )
            .await;
        wrong.assert_error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
        unknown.assert_error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
        assert_eq!(wrong.body, unknown.body);
    }

    pub async fn requests_without_a_live_token_are_unauthorized(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        for (method, path) in [
            (Method::GET, "/v1/devices"),
            (Method::GET, "/v1/audit"),
            (Method::DELETE, "/v1/devices/J12345678"),
        ] {
            let none = t.call(method.clone(), path, None, None).await;
            none.assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
            assert_eq!(none.headers["www-authenticate"], "Bearer");
            t.call(method, path, Some("garbage"), None)
                .await
                .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        }
        for path in ["/v1/devices", "/v1/reset-codes"] {
            t.post(path, Some("garbage"), json!({}))
                .await
                .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        }
    }

    pub async fn an_expired_access_token_is_refused_until_refreshed(backend: Backend) {
        let Some(t) = backend
            .start(|c| c.with_access_token_ttl(Duration::from_secs(1)))
            .await
        else {
            return;
        };
        t.register("a@b.co").await;
        let tokens = t.login("a@b.co").await;
        assert_eq!(tokens.expires_in_secs, 1);
        tokio::time::sleep(Duration::from_millis(2100)).await;
        t.get("/v1/devices", &tokens.access_token)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        let fresh: Tokens = t
            .post(
                "/v1/auth/refresh",
                None,
                json!({"refresh_token": tokens.refresh_token}),
            )
            .await
            .json();
        assert_eq!(
            t.get("/v1/devices", &fresh.access_token).await.status,
            StatusCode::OK
        );
    }

    pub async fn refresh_rotates_and_a_reused_refresh_token_ends_the_session(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        t.register("a@b.co").await;
        let first = t.login("a@b.co").await;
        let refresh =
            |token: &str| t.post("/v1/auth/refresh", None, json!({"refresh_token": token}));
        let second: Tokens = refresh(&first.refresh_token).await.json();
        assert_ne!(second.refresh_token, first.refresh_token);
        assert_ne!(second.access_token, first.access_token);
        assert_eq!(
            t.get("/v1/devices", &second.access_token).await.status,
            StatusCode::OK
        );
        // The old refresh token is spent; presenting it again means someone copied it.
        refresh(&first.refresh_token)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        // ...so the whole session is revoked, including the newest tokens.
        t.get("/v1/devices", &second.access_token)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        refresh(&second.refresh_token)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        refresh("never-issued")
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        // Another login is a separate session and unaffected.
        let other = t.login("a@b.co").await;
        assert_eq!(
            t.get("/v1/devices", &other.access_token).await.status,
            StatusCode::OK
        );
    }

    pub async fn logout_kills_the_session(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        t.register("a@b.co").await;
        let tokens = t.login("a@b.co").await;
        let other = t.login("a@b.co").await;
        let out = t
            .post(
                "/v1/auth/logout",
                None,
                json!({"refresh_token": tokens.refresh_token}),
            )
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        t.get("/v1/devices", &tokens.access_token)
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        t.post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": tokens.refresh_token}),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        // Idempotent, and other sessions live on.
        let again = t
            .post(
                "/v1/auth/logout",
                None,
                json!({"refresh_token": tokens.refresh_token}),
            )
            .await;
        assert_eq!(again.status, StatusCode::NO_CONTENT);
        assert_eq!(
            t.get("/v1/devices", &other.access_token).await.status,
            StatusCode::OK
        );
    }

    pub async fn adding_a_device_with_its_label_code_puts_it_in_the_list(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let token = t.account("a@b.co").await;
        let first = t.provision("J12345678").await;
        let second = t.provision("K00000001").await;
        let added = t.add_device(&token, &first).await;
        assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
        let device: Device = added.json();
        assert_eq!(device.serial, "J12345678");
        assert_eq!(device.name, "J12345678");
        assert_eq!(device.model, "DS-7608NI-K2/8P");
        // Label codes are read off a sticker: lower case and spaces are forgiven; a name is kept.
        let named = t
            .post(
                "/v1/devices",
                Some(&token),
                json!({"serial": "K00000001",
                       "label_code": format!(" {} ", second.label_code.as_str().to_lowercase()),
                       "name": "Shop NVR"}),
            )
            .await;
        assert_eq!(named.status, StatusCode::CREATED, "{:?}", named.body);
        let list: DeviceList = t.get("/v1/devices", &token).await.json();
        let names: Vec<_> = list
            .devices
            .iter()
            .map(|d| (d.serial.as_str(), d.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [("J12345678", "J12345678"), ("K00000001", "Shop NVR")]
        );
        t.add_device(&token, &first)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::AlreadyAdded);
        t.post(
            "/v1/devices",
            Some(&token),
            json!({"serial": "K00000002", "label_code": "ABCDEF", "name": "x\u{7}"}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    }

    pub async fn a_wrong_label_code_or_unknown_serial_is_wrong_label_code(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let token = t.account("a@b.co").await;
        let device = t.provision("J12345678").await;
        let wrong = if device.label_code.as_str() == "AAAAAA" {
            "BBBBBB"
        } else {
            "AAAAAA"
        };
        let add = |serial: &str, label: &str| {
            t.post(
                "/v1/devices",
                Some(&token),
                json!({"serial": serial, "label_code": label}),
            )
        };
        let wrong_label = add("J12345678", wrong).await;
        let unknown = add("Z99999999", wrong).await;
        wrong_label.assert_error(StatusCode::FORBIDDEN, ErrorCode::WrongLabelCode);
        unknown.assert_error(StatusCode::FORBIDDEN, ErrorCode::WrongLabelCode);
        assert_eq!(wrong_label.body, unknown.body);
        add("J12345678", "12")
            .await
            .assert_error(StatusCode::FORBIDDEN, ErrorCode::WrongLabelCode);
        add("j1234", "ABCDEF")
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidSerial);
        let list: DeviceList = t.get("/v1/devices", &token).await.json();
        assert!(list.devices.is_empty());
    }

    pub async fn a_device_added_by_another_account_cannot_be_added(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let owner = t.account("owner@b.co").await;
        let other = t.account("other@b.co").await;
        let device = t.provision("J12345678").await;
        assert_eq!(
            t.add_device(&owner, &device).await.status,
            StatusCode::CREATED
        );
        t.add_device(&other, &device)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount);
        let list: DeviceList = t.get("/v1/devices", &other).await.json();
        assert!(list.devices.is_empty());
    }

    pub async fn two_accounts_adding_one_device_at_once_exactly_one_wins(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        const ACCOUNTS: usize = 8;
        let mut tokens = Vec::new();
        for i in 0..ACCOUNTS {
            tokens.push(t.account(&format!("racer{i}@b.co")).await);
        }
        for round in 0..3 {
            let device = t.provision(&format!("RACE0000{round}")).await;
            let answers =
                futures::future::join_all(tokens.iter().map(|token| t.add_device(token, &device)))
                    .await;
            let winners = answers
                .iter()
                .filter(|a| a.status == StatusCode::CREATED)
                .count();
            assert_eq!(winners, 1, "round {round}: {answers:?}");
            for loser in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
                loser.assert_error(StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount);
            }
        }
    }

    pub async fn removing_a_device_unbinds_it(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let owner = t.account("owner@b.co").await;
        let other = t.account("other@b.co").await;
        let device = t.provision("J12345678").await;
        assert_eq!(
            t.add_device(&owner, &device).await.status,
            StatusCode::CREATED
        );
        t.call(Method::DELETE, "/v1/devices/J12345678", Some(&other), None)
            .await
            .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
        t.call(Method::DELETE, "/v1/devices/nope", Some(&owner), None)
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidSerial);
        let removed = t
            .call(Method::DELETE, "/v1/devices/J12345678", Some(&owner), None)
            .await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT);
        assert!(
            t.get("/v1/devices", &owner)
                .await
                .json::<DeviceList>()
                .devices
                .is_empty()
        );
        t.call(Method::DELETE, "/v1/devices/J12345678", Some(&owner), None)
            .await
            .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
        // Free again: the other account may add it now.
        assert_eq!(
            t.add_device(&other, &device).await.status,
            StatusCode::CREATED
        );
    }

    fn vectors() -> &'static [hc_testkit::vectors::Valid] {
        &hc_testkit::vectors::vectors().valid
    }

    pub async fn reset_codes_match_the_protocol_vectors_and_repeat_per_qr(backend: Backend) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    reset_codes_per_account: 1000,
                    reset_codes_per_device: 1000,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let token = t.account("a@b.co").await;
        let vectors = vectors();
        for vector in vectors {
            let provisioned = t
                .cloud
                .provision(
                    ProvisionRequest::new(&vector.serial, &vector.model, &vector.firmware)
                        .with_device_key(DeviceKey::from_hex(&vector.device_key).unwrap())
                        .with_label_code(LabelCode::parse("ABCDEF").unwrap()),
                )
                .await;
            // Several vectors share a device; provision each once.
            if provisioned.is_ok() {
                let added = t
                    .post(
                        "/v1/devices",
                        Some(&token),
                        json!({"serial": vector.serial, "label_code": "ABCDEF"}),
                    )
                    .await;
                assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
            }
        }
        for vector in vectors {
            for _attempt in 0..2 {
                let answer = t.reset_code(&token, &vector.qr_text).await;
                assert_eq!(
                    answer.status,
                    StatusCode::OK,
                    "{}: {:?}",
                    vector.serial,
                    answer.body
                );
                let code: ResetCodeResponse = answer.json();
                assert_eq!(code.code, vector.reset_code, "{}", vector.qr_text);
                assert_eq!(code.serial, vector.serial);
                assert_eq!(code.model, vector.model);
                assert_eq!(code.valid_for_secs, CHALLENGE_LIFETIME_SECS);
            }
        }
    }

    pub async fn a_device_not_added_gets_device_not_bound(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let token = t.account("a@b.co").await;
        let device = t.provision("J12345678").await;
        t.reset_code(&token, &qr_for(&device, 1))
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::DeviceNotBound);
    }

    pub async fn a_device_added_by_others_gets_bound_to_other_account(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let owner = t.account("owner@b.co").await;
        let other = t.account("other@b.co").await;
        let device = t.provision("J12345678").await;
        assert_eq!(
            t.add_device(&owner, &device).await.status,
            StatusCode::CREATED
        );
        t.reset_code(&other, &qr_for(&device, 1))
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount);
        assert_eq!(
            t.reset_code(&owner, &qr_for(&device, 1)).await.status,
            StatusCode::OK
        );
    }

    pub async fn unknown_serials_and_forged_tags_are_the_same_invalid_qr(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let token = t.account("a@b.co").await;
        let device = t.provision("J12345678").await;
        assert_eq!(
            t.add_device(&token, &device).await.status,
            StatusCode::CREATED
        );
        let forger = DeviceKey::from_bytes([42; 32]);
        let forged = support::challenge(&device.serial, &device.model, 1).to_qr_text(&forger);
        let unknown = support::challenge(&Serial::parse("Z99999999").unwrap(), "M", 1)
            .to_qr_text(&device.device_key);
        let forged = t.reset_code(&token, &forged).await;
        let unknown = t.reset_code(&token, &unknown).await;
        forged.assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidQr);
        unknown.assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidQr);
        assert_eq!(forged.body, unknown.body);
        for not_a_reset_qr in ["https://example.com", "HCR2:AAAA", "HCR1:lowercase", ""] {
            t.reset_code(&token, not_a_reset_qr)
                .await
                .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidQr);
        }
    }

    pub async fn reset_codes_are_rate_limited_per_account_and_per_device(backend: Backend) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    reset_codes_per_account: 4,
                    reset_codes_per_device: 2,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let token = t.account("a@b.co").await;
        let first = t.provision("J12345678").await;
        let second = t.provision("K00000001").await;
        for device in [&first, &second] {
            assert_eq!(
                t.add_device(&token, device).await.status,
                StatusCode::CREATED
            );
        }
        // Per device: two requests naming J12345678, then 429.
        for nonce in 0..2 {
            assert_eq!(
                t.reset_code(&token, &qr_for(&first, nonce)).await.status,
                StatusCode::OK
            );
        }
        let limited = t.reset_code(&token, &qr_for(&first, 9)).await;
        limited.assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        let retry_after: u64 = limited.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=3600).contains(&retry_after));
        let body: ErrorBody = limited.json();
        assert_eq!(body.error.retry_after_secs, Some(retry_after));
        // Per account: the other device still works until the account's fourth request...
        assert_eq!(
            t.reset_code(&token, &qr_for(&second, 1)).await.status,
            StatusCode::OK
        );
        // ...and the fifth is refused whatever it names.
        t.reset_code(&token, &qr_for(&second, 2))
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        // Another account is limited per device, not per account.
        let other = t.account("b@b.co").await;
        t.reset_code(&other, &qr_for(&first, 3))
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    }

    /// A window long enough that no test run crosses into the next one.
    const LONG_WINDOW: Duration = Duration::from_secs(1_000_000_000);

    /// How many hits a bucket holds in the current window (counting one more to read it).
    async fn hits_so_far(t: &TestCloud, bucket: &str) -> u64 {
        let window_start =
            hc_cloud::rate_limit::window_start(hc_cloud::state::unix_now(), LONG_WINDOW);
        let storage = t.cloud.state().storage();
        storage
            .count_hit(bucket, window_start)
            .await
            .expect("count")
            - 1
    }

    pub async fn a_hundred_phones_at_once_every_code_has_its_audit_row_and_the_counts_are_exact(
        backend: Backend,
    ) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    reset_codes_per_account: 1000,
                    reset_codes_per_device: 60,
                    window: LONG_WINDOW,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let owner = t.account("owner@b.co").await;
        let device = t.provision("J12345678").await;
        assert_eq!(
            t.add_device(&owner, &device).await.status,
            StatusCode::CREATED
        );
        // A hundred phones of the owner scan a hundred fresh QR codes of the NVR at once; the
        // device allows 60 in the window.
        let answers = futures::future::join_all((0..100u8).map(|nonce| {
            let (t, owner, device) = (&t, &owner, &device);
            async move { (nonce, t.reset_code(owner, &qr_for(device, nonce)).await) }
        }))
        .await;
        let issued: Vec<(u8, String)> = answers
            .iter()
            .filter(|(_, answer)| answer.status == StatusCode::OK)
            .map(|(nonce, answer)| (*nonce, answer.json::<ResetCodeResponse>().code))
            .collect();
        for (_, answer) in answers.iter().filter(|(_, a)| a.status != StatusCode::OK) {
            answer.assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        }
        assert_eq!(issued.len(), 60);

        let events = t
            .get("/v1/audit?limit=1000", &owner)
            .await
            .json::<AuditList>()
            .events;
        let issued_rows: Vec<&AuditEvent> = events
            .iter()
            .filter(|e| e.outcome == AuditOutcome::Issued)
            .collect();
        assert_eq!(issued_rows.len(), 60);
        for (nonce, _) in &issued {
            let hex = Nonce::from_bytes([*nonce; 16]).to_hex();
            assert_eq!(
                issued_rows
                    .iter()
                    .filter(|e| e.nonce.as_deref() == Some(hex.as_str()))
                    .count(),
                1,
                "the code for nonce {nonce} has exactly one audit row"
            );
        }
        let refused: Vec<&AuditEvent> = events
            .iter()
            .filter(|e| e.outcome == AuditOutcome::RateLimited)
            .collect();
        assert_eq!(refused.len(), 1, "the refusals are one row with a count");
        assert_eq!(refused[0].count, 40);
        assert_eq!(events.len(), 61);

        // Every request was counted once against the account and once against the device.
        let account_id = t
            .cloud
            .state()
            .storage()
            .account_by_email("owner@b.co")
            .await
            .expect("read")
            .expect("account")
            .0;
        assert_eq!(
            hits_so_far(
                &t,
                &hc_cloud::rate_limit::reset_codes_of_account(account_id)
            )
            .await,
            100
        );
        assert_eq!(
            hits_so_far(
                &t,
                &hc_cloud::rate_limit::reset_codes_of_device("J12345678")
            )
            .await,
            100
        );
    }

    pub async fn an_account_over_its_limit_spends_none_of_the_devices_budget(backend: Backend) {
        let Some(t) = backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    reset_codes_per_account: 3,
                    reset_codes_per_device: 10,
                    window: LONG_WINDOW,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let owner = t.account("owner@b.co").await;
        let device = t.provision("J12345678").await;
        assert_eq!(
            t.add_device(&owner, &device).await.status,
            StatusCode::CREATED
        );
        for nonce in 0..3 {
            assert_eq!(
                t.reset_code(&owner, &qr_for(&device, nonce)).await.status,
                StatusCode::OK
            );
        }
        for nonce in 3..8 {
            t.reset_code(&owner, &qr_for(&device, nonce))
                .await
                .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        }
        // The five refusals are audited as one row with a count, and the device's budget holds
        // only the three codes it gave.
        let events = t.get("/v1/audit", &owner).await.json::<AuditList>().events;
        let outcomes: Vec<_> = events.iter().map(|e| (e.outcome, e.count)).collect();
        assert_eq!(
            outcomes,
            [
                (AuditOutcome::RateLimited, 5),
                (AuditOutcome::Issued, 1),
                (AuditOutcome::Issued, 1),
                (AuditOutcome::Issued, 1),
            ]
        );
        assert_eq!(
            hits_so_far(
                &t,
                &hc_cloud::rate_limit::reset_codes_of_device("J12345678")
            )
            .await,
            3
        );
    }

    /// A cloud that takes 3 add-device attempts per account and per serial a window.
    async fn with_three_add_device_attempts(backend: Backend) -> Option<TestCloud> {
        backend
            .start(|c| {
                c.with_rate_limits(RateLimits {
                    add_device_attempts_per_account: 3,
                    ..RateLimits::default()
                })
            })
            .await
    }

    pub async fn label_code_guesses_are_rate_limited(backend: Backend) {
        let Some(t) = with_three_add_device_attempts(backend).await else {
            return;
        };
        let token = t.account("a@b.co").await;
        let device = t.provision("J12345678").await;
        for _ in 0..3 {
            t.post(
                "/v1/devices",
                Some(&token),
                json!({"serial": "J12345678", "label_code": "QQQQQQ"}),
            )
            .await
            .assert_error(StatusCode::FORBIDDEN, ErrorCode::WrongLabelCode);
        }
        // Even the right code is refused now: the guesser cannot tell.
        t.add_device(&token, &device)
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    }

    pub async fn many_accounts_guessing_at_one_bound_device_meet_its_own_limit(backend: Backend) {
        let Some(t) = with_three_add_device_attempts(backend).await else {
            return;
        };
        let owner = t.account("owner@b.co").await;
        let device = t.provision("J12345678").await;
        assert_eq!(
            t.add_device(&owner, &device).await.status,
            StatusCode::CREATED
        );
        // The owner's add is the serial's first attempt; two guessers share what is left. Only the
        // right code answers "added by another account", so it must not be reached by guessing.
        let first = t.account("first@b.co").await;
        for _ in 0..2 {
            t.post(
                "/v1/devices",
                Some(&first),
                json!({"serial": "J12345678", "label_code": "QQQQQQ"}),
            )
            .await
            .assert_error(StatusCode::FORBIDDEN, ErrorCode::WrongLabelCode);
        }
        let second = t.account("second@b.co").await;
        t.add_device(&second, &device)
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        // Another serial is untouched.
        let other = t.provision("K12345678").await;
        assert_eq!(
            t.add_device(&second, &other).await.status,
            StatusCode::CREATED
        );
    }

    pub async fn the_audit_log_lists_every_issuance_and_refusal_newest_first(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let owner = t.account("owner@b.co").await;
        let other = t.account("other@b.co").await;
        let bound = t.provision("J12345678").await;
        let unbound = t.provision("K00000001").await;
        assert_eq!(
            t.add_device(&owner, &bound).await.status,
            StatusCode::CREATED
        );
        t.reset_code(&owner, "not a qr").await;
        t.reset_code(&owner, &qr_for(&unbound, 1)).await;
        t.reset_code(&owner, &qr_for(&bound, 2)).await;
        t.reset_code(&other, &qr_for(&bound, 3)).await;

        let events = t.get("/v1/audit", &owner).await.json::<AuditList>().events;
        let outcomes: Vec<_> = events.iter().map(|e| (e.outcome, &e.actor)).collect();
        let someone = AuditActor::OtherAccount {
            masked_email: "o***@b.co".into(),
        };
        assert_eq!(
            outcomes,
            [
                // The other account's attempt on the owner's device is the owner's to see too.
                (AuditOutcome::BoundToOtherAccount, &someone),
                (AuditOutcome::Issued, &AuditActor::You),
                (AuditOutcome::DeviceNotBound, &AuditActor::You),
                (AuditOutcome::InvalidQr, &AuditActor::You),
            ]
        );
        assert_eq!(events[1].serial.as_deref(), Some("J12345678"));
        assert_eq!(events[1].nonce, Some(Nonce::from_bytes([2; 16]).to_hex()));
        assert_eq!(events[1].client_addr.as_deref(), Some("127.0.0.1"));
        assert_eq!(events[0].client_addr, None);
        assert_eq!(events[3].serial, None);
        assert!(
            events
                .windows(2)
                .all(|w| w[0].id > w[1].id && w[0].at >= w[1].at)
        );

        let theirs = t.get("/v1/audit", &other).await.json::<AuditList>().events;
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].outcome, AuditOutcome::BoundToOtherAccount);
        let limited = t
            .get("/v1/audit?limit=1", &owner)
            .await
            .json::<AuditList>()
            .events;
        assert_eq!(limited.len(), 1);
        t.get("/v1/audit?limit=many", &owner)
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
    }

    pub async fn device_sync_reports_binding_and_refuses_bad_tags(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let token = t.account("a@b.co").await;
        let device = t.provision("J12345678").await;
        let sync = |nonce: Nonce, ts: u64, tag: String, serial: &str| {
            t.post(
                "/v1/device/sync",
                None,
                json!({"v": 2, "serial": serial, "nonce": nonce.to_hex(), "ts": ts, "tag": tag}),
            )
        };
        let n1 = Nonce::from_bytes([1; 16]);
        let tag = sync2_request_tag(&device.device_key, &device.serial, &n1, 1000);
        let before: DeviceSyncResponse = sync(n1, 1000, tag.clone(), "J12345678").await.json();
        assert!(!before.bound);
        assert!(verify_sync2_answer(
            &device.device_key,
            &device.serial,
            &n1,
            false,
            &before.tag
        ));
        assert_eq!(
            t.add_device(&token, &device).await.status,
            StatusCode::CREATED
        );
        let n2 = Nonce::from_bytes([2; 16]);
        let after: DeviceSyncResponse = sync(
            n2,
            1001,
            sync2_request_tag(&device.device_key, &device.serial, &n2, 1001),
            "J12345678",
        )
        .await
        .json();
        assert!(after.bound);
        assert!(verify_sync2_answer(
            &device.device_key,
            &device.serial,
            &n2,
            true,
            &after.tag
        ));
        // A tag for another timestamp or nonce, another key, an unknown serial: all the same 401.
        sync(n1, 1002, tag.clone(), "J12345678")
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        sync(n2, 1000, tag.clone(), "J12345678")
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        let foreign = DeviceKey::from_bytes([1; 32]);
        sync(
            n1,
            1000,
            sync2_request_tag(&foreign, &device.serial, &n1, 1000),
            "J12345678",
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        let stranger = Serial::parse("Z99999999").unwrap();
        sync(
            n1,
            1000,
            sync2_request_tag(&foreign, &stranger, &n1, 1000),
            "Z99999999",
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        sync(n1, 1000, "zz".into(), "bad")
            .await
            .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        // A retired v1 request is told so.
        t.post(
            "/v1/device/sync",
            None,
            json!({"serial": "J12345678", "ts": 1000, "tag": sync_tag(&device.device_key, &device.serial, 1000)}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::UnsupportedVersion);
        // The protocol vectors' sync v2 tags are accepted for their keys, and answered with theirs.
        let mut provisioned = vec![device.serial.to_string()];
        for vector in vectors() {
            if vector.serial == device.serial.as_str() {
                continue; // that serial is the test's own device, with another key
            }
            if !provisioned.contains(&vector.serial) {
                provisioned.push(vector.serial.clone());
                t.cloud
                    .provision(
                        ProvisionRequest::new(&vector.serial, &vector.model, &vector.firmware)
                            .with_device_key(DeviceKey::from_hex(&vector.device_key).unwrap()),
                    )
                    .await
                    .unwrap();
            }
            let nonce = Nonce::from_hex(&vector.sync2_nonce).unwrap();
            let answer = sync(
                nonce,
                vector.sync2_ts,
                vector.sync2_tag.clone(),
                &vector.serial,
            )
            .await;
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
            let answer: DeviceSyncResponse = answer.json();
            assert!(!answer.bound);
            assert_eq!(answer.tag, vector.sync2_answer_tag_unbound);
            assert_ne!(answer.tag, vector.sync2_answer_tag_bound);
        }
    }

    pub async fn oversized_malformed_and_misrouted_requests_get_json_errors(backend: Backend) {
        let Some(t) = backend.start(|c| c.with_body_limit_bytes(1024)).await else {
            return;
        };
        let token = t.account("a@b.co").await;
        let big = "A".repeat(4096);
        t.post("/v1/reset-codes", Some(&token), json!({"qr": big}))
            .await
            .assert_error(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge);
        let raw = |body: &'static str, content_type: &'static str| {
            let request = t
                .http
                .post(t.url("/v1/accounts"))
                .header("content-type", content_type)
                .body(body);
            async move { support::answer(request.send().await.unwrap()).await }
        };
        raw("{not json", "application/json")
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
        raw(r#"{"email": "a@b.co"}"#, "application/json")
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
        raw(r#"{"email": 5, "password": []}"#, "application/json")
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
        raw(r#"{"email": "a@b.co", "password": "x"}"#, "text/plain")
            .await
            .assert_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
            );
        t.call(Method::GET, "/v1/nothing-here", None, None)
            .await
            .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
        let wrong_method = t.call(Method::PUT, "/v1/devices", Some(&token), None).await;
        wrong_method.assert_error(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed);
        assert!(wrong_method.headers.contains_key("allow"));
        // A huge QR inside the limit is refused by the parser, not by a panic.
        t.reset_code(&token, &format!("HCR1:{}", "A".repeat(900)))
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidQr);
    }

    pub async fn health_and_openapi_answer(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let health = t.call(Method::GET, "/healthz", None, None).await;
        assert_eq!(health.status, StatusCode::OK);
        assert_eq!(health.body["status"], "ok");
        let ready = t.call(Method::GET, "/readyz", None, None).await;
        assert_eq!(ready.status, StatusCode::OK);
        assert_eq!(ready.body["status"], "ok");
        let doc = t.call(Method::GET, "/openapi.json", None, None).await;
        assert_eq!(doc.status, StatusCode::OK);
        let paths = doc.body["paths"].as_object().unwrap();
        for (path, method) in [
            ("/v1/accounts", "post"),
            ("/v1/auth/login", "post"),
            ("/v1/auth/refresh", "post"),
            ("/v1/auth/logout", "post"),
            ("/v1/devices", "get"),
            ("/v1/devices", "post"),
            ("/v1/devices/{serial}", "delete"),
            ("/v1/reset-codes", "post"),
            ("/v1/audit", "get"),
            ("/v1/device/sync", "post"),
            ("/healthz", "get"),
            ("/readyz", "get"),
            ("/openapi.json", "get"),
        ] {
            assert!(paths[path][method].is_object(), "{method} {path}");
        }
    }
}
