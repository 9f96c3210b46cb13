//! Accounts like the vendors' (issue 21): a sign-up mails a code that proves the address, and
//! until it is typed in the account cannot add devices, ask for reset codes or request
//! transfers; a forgotten password is set anew with a mailed code, answered the same for known
//! and unknown addresses. Mail goes through the outbox to a real SMTP server on 127.0.0.1
//! (STARTTLS with the test CA, AUTH PLAIN), or without one to the mail folder. SQLite and
//! PostgreSQL.

mod support;

use std::time::Duration;

use hc_cloud::{AccountCodeLimits, Config, MailSettings};
use hc_protocol::api::*;
use hc_testkit::TestCa;
use hc_testkit::mail::{Mails, SmtpSink, code_for, mails_to, next_code_for};
use reqwest::StatusCode;
use serde_json::json;
use support::{Backend, MAIL_WAIT, PASSWORD, TestCloud, qr_for, suite};

suite!(
    a_sign_up_mails_a_code_over_starttls_and_it_unlocks_adding_devices,
    wrong_codes_count_down_and_the_fifth_ends_the_code,
    an_expired_code_is_refused,
    a_new_code_replaces_the_old_one_and_resends_are_limited,
    a_forgotten_password_is_reset_with_the_mailed_code_and_unknown_addresses_look_the_same,
    reset_tries_per_address_hold_across_fresh_codes,
    the_outbox_keeps_a_mail_while_the_relay_is_down_and_sends_it_when_it_is_back,
    a_refused_registration_mails_nothing,
    without_a_relay_mail_is_written_to_the_mail_folder,
    guesses_at_an_address_no_code_was_mailed_to_do_not_lock_its_owner_out,
    a_resend_while_the_tries_are_used_up_says_when_instead_of_mailing_a_code_that_cannot_work,
    a_squatter_on_an_unverified_address_gets_no_webhook_and_the_owners_reset_ends_every_one,
);

mod cases {
    use super::*;

    const USER: &str = "hc-relay";
    const RELAY_PASSWORD: &str = "relay-secret-1";

    /// A cloud that sends mail to `sink`, with `tweak` on top.
    async fn with_relay(
        backend: Backend,
        sink: &SmtpSink,
        tweak: impl FnOnce(MailSettings) -> MailSettings,
    ) -> Option<TestCloud> {
        let mail = tweak(MailSettings {
            smtp: Some(sink.smtp_settings()),
            ..MailSettings::default()
        });
        backend
            .start(|c: Config| c.with_mail(mail).with_region("eu-test"))
            .await
    }

    async fn register(t: &TestCloud, email: &str, password: &str) -> support::Answer {
        t.post(
            "/v1/accounts",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    async fn verify(t: &TestCloud, token: &str, code: &str) -> support::Answer {
        t.post("/v1/accounts/verify", Some(token), json!({ "code": code }))
            .await
    }

    /// A six-digit code that is not `code`.
    fn other_than(code: &str) -> String {
        let n: u32 = code.parse().unwrap();
        format!("{:06}", (n + 1) % 1_000_000)
    }

    fn attempts_left(answer: &support::Answer) -> Option<u64> {
        answer.body["error"]["attempts_left"].as_u64()
    }

    pub async fn a_sign_up_mails_a_code_over_starttls_and_it_unlocks_adding_devices(
        backend: Backend,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::create(dir.path());
        let sink = SmtpSink::start(&ca, USER, RELAY_PASSWORD).await;
        let Some(t) = with_relay(backend, &sink, |m| m).await else {
            return;
        };
        let email = "ana@example.com";
        let created = register(&t, email, PASSWORD).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        assert_eq!(created.body["email_verified"], false);
        let token = t.login(email).await.access_token;
        let me: AccountInfo = t.get("/v1/accounts/me", &token).await.json();
        assert!(!me.email_verified);

        // Before the code: no device, no reset code, no transfer.
        let nvr = t.provision("DS0000001").await;
        t.add_device(&token, &nvr)
            .await
            .assert_error(StatusCode::FORBIDDEN, ErrorCode::EmailNotVerified);
        t.reset_code(&token, &qr_for(&nvr, 1))
            .await
            .assert_error(StatusCode::FORBIDDEN, ErrorCode::EmailNotVerified);
        t.post(
            "/v1/transfers",
            Some(&token),
            json!({"qr": qr_for(&nvr, 2), "label_code": nvr.label_code.as_str()}),
        )
        .await
        .assert_error(StatusCode::FORBIDDEN, ErrorCode::EmailNotVerified);

        let mail = sink.wait_for(1, MAIL_WAIT).await.remove(0);
        assert!(mail.tls, "the relay was spoken to inside TLS");
        assert_eq!(mail.auth_user.as_deref(), Some(USER));
        assert_eq!(mail.envelope_to, vec![email.to_owned()]);
        assert_eq!(mail.content_type(), "multipart/alternative");
        assert_eq!(mail.subject(), "Your hc verification code");
        let code = mail.code().expect("the code on a line of its own");
        let (text, html) = (mail.text(), mail.html());
        assert!(html.contains(&code), "{html}");
        for part in [&text, &html] {
            assert!(part.contains("eu-test"), "the region: {part}");
            assert!(part.contains(" UTC"), "the time: {part}");
            assert!(part.contains("15 minutes"), "the validity: {part}");
            assert!(
                part.contains("ignore this mail"),
                "the not-you line: {part}"
            );
            assert!(!part.contains("http"), "no links: {part}");
        }

        let verified = verify(&t, &token, &code).await;
        assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
        assert_eq!(
            verified.json::<AccountInfo>(),
            AccountInfo {
                email: email.into(),
                email_verified: true
            }
        );
        // Idempotent: verified stays verified, whatever is typed.
        assert_eq!(verify(&t, &token, "000000").await.status, StatusCode::OK);
        let added = t.add_device(&token, &nvr).await;
        assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);

        // Sent: the outbox keeps no code.
        let rows = t.cloud.state().storage().mail_rows().await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].state, "sent");
        assert!(!rows[0].has_message);
    }

    pub async fn wrong_codes_count_down_and_the_fifth_ends_the_code(backend: Backend) {
        let Some(t) = backend.start(|c| c).await else {
            return;
        };
        let email = "bo@example.com";
        let token = t.unverified_account(email).await;
        let code = code_for(&t.mail, email, MAIL_WAIT).await;
        // Not six digits: refused, and no try spent.
        verify(&t, &token, "12345a")
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        let wrong = other_than(&code);
        for left in (1..=4).rev() {
            let answer = verify(&t, &token, &wrong).await;
            answer.assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
            assert_eq!(attempts_left(&answer), Some(left), "{:?}", answer.body);
        }
        let fifth = verify(&t, &token, &wrong).await;
        fifth.assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        assert_eq!(attempts_left(&fifth), Some(0));
        assert!(
            fifth.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("new one")
        );
        // The code is over: even the right one is refused now.
        let late = verify(&t, &token, &code).await;
        late.assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        assert_eq!(attempts_left(&late), Some(0));
    }

    pub async fn an_expired_code_is_refused(backend: Backend) {
        let Some(t) = backend
            .start(|c| {
                c.with_account_codes(AccountCodeLimits {
                    valid_for: Duration::from_secs(1),
                    ..AccountCodeLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let email = "cy@example.com";
        let token = t.unverified_account(email).await;
        let code = code_for(&t.mail, email, MAIL_WAIT).await;
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let answer = verify(&t, &token, &code).await;
        answer.assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        assert_eq!(attempts_left(&answer), Some(0));
    }

    pub async fn a_new_code_replaces_the_old_one_and_resends_are_limited(backend: Backend) {
        let Some(t) = backend.start(|c| c).await else {
            return;
        };
        let email = "di@example.com";
        let token = t.unverified_account(email).await;
        let first = code_for(&t.mail, email, MAIL_WAIT).await;
        let resent = t
            .post("/v1/accounts/verify/resend", Some(&token), json!({}))
            .await;
        assert_eq!(resent.status, StatusCode::ACCEPTED, "{:?}", resent.body);
        assert_eq!(
            resent.json::<CodeSent>().valid_for_secs,
            hc_protocol::account_code::ACCOUNT_CODE_VALID_SECS
        );
        let second = next_code_for(&t.mail, email, 1, MAIL_WAIT).await;
        if first != second {
            let old = verify(&t, &token, &first).await;
            old.assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        }
        assert_eq!(verify(&t, &token, &second).await.status, StatusCode::OK);
        t.post("/v1/accounts/verify/resend", Some(&token), json!({}))
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::AlreadyVerified);

        // Three resends an hour, then 429 with a time to come back.
        let other = t.unverified_account("ed@example.com").await;
        for _ in 0..3 {
            let answer = t
                .post("/v1/accounts/verify/resend", Some(&other), json!({}))
                .await;
            assert_eq!(answer.status, StatusCode::ACCEPTED, "{:?}", answer.body);
        }
        let limited = t
            .post("/v1/accounts/verify/resend", Some(&other), json!({}))
            .await;
        limited.assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        assert!(limited.headers.contains_key("retry-after"));
    }

    pub async fn a_forgotten_password_is_reset_with_the_mailed_code_and_unknown_addresses_look_the_same(
        backend: Backend,
    ) {
        let Some(t) = backend.start(|c| c).await else {
            return;
        };
        let email = "fay@example.com";
        let unknown = "nobody@example.com";
        t.account(email).await;
        let old_session = t.login(email).await;
        let mailed_before = mails_to(&t.mail, email).len();

        let known_answer = t
            .post("/v1/auth/forgot", None, json!({ "email": email }))
            .await;
        let unknown_answer = t
            .post("/v1/auth/forgot", None, json!({ "email": unknown }))
            .await;
        assert_eq!(known_answer.status, StatusCode::ACCEPTED);
        assert_eq!(
            (known_answer.status, &known_answer.body),
            (unknown_answer.status, &unknown_answer.body)
        );
        t.post(
            "/v1/auth/forgot",
            None,
            json!({ "email": "not an address" }),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail);

        let code = next_code_for(&t.mail, email, mailed_before, MAIL_WAIT).await;
        let mail = mails_to(&t.mail, email).pop().unwrap();
        assert_eq!(mail.subject(), "Reset your hc password");
        assert!(mail.text().contains("your password has not changed"));
        assert!(mails_to(&t.mail, unknown).is_empty(), "no mail to nobody");

        // A wrong code for a known address and any code for an unknown one: one answer.
        let new_password = "a brand new passphrase";
        let reset = |to: &'static str, code: String| {
            let t = &t;
            async move {
                t.post(
                    "/v1/auth/reset",
                    None,
                    json!({"email": to, "code": code, "new_password": new_password}),
                )
                .await
            }
        };
        let wrong_known = reset(email, other_than(&code)).await;
        let wrong_unknown = reset(unknown, other_than(&code)).await;
        wrong_known.assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        assert_eq!(
            (wrong_known.status, &wrong_known.body),
            (wrong_unknown.status, &wrong_unknown.body)
        );
        assert_eq!(attempts_left(&wrong_known), None);
        // The password rule comes first, and a refused password spends no try.
        t.post(
            "/v1/auth/reset",
            None,
            json!({"email": email, "code": code, "new_password": "short"}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::WeakPassword);

        let done = t
            .post(
                "/v1/auth/reset",
                None,
                json!({"email": email, "code": code, "new_password": new_password}),
            )
            .await;
        assert_eq!(done.status, StatusCode::NO_CONTENT, "{:?}", done.body);
        // The old sessions are over, the old password too; the new one logs in.
        t.post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": old_session.refresh_token}),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        t.post(
            "/v1/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
        let login = t
            .post(
                "/v1/auth/login",
                None,
                json!({"email": email, "password": new_password}),
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{:?}", login.body);
        let token = login.json::<Tokens>().access_token;
        // Used once.
        reset(email, code.clone())
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        let feed: FeedPage = t.get("/v1/events", &token).await.json();
        assert!(
            feed.events
                .iter()
                .any(|e| e.kind == FeedEventKind::PasswordReset),
            "{:?}",
            feed.events
        );
    }

    pub async fn reset_tries_per_address_hold_across_fresh_codes(backend: Backend) {
        let Some(t) = backend
            .start(|c| {
                c.with_account_codes(AccountCodeLimits {
                    tries_per_account: 3,
                    forgot_per_email: 10,
                    ..AccountCodeLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let email = "gus@example.com";
        t.account(email).await;
        let try_code = |code: String| {
            let t = &t;
            async move {
                t.post(
                    "/v1/auth/reset",
                    None,
                    json!({"email": email, "code": code, "new_password": "another fine passphrase"}),
                )
                .await
            }
        };
        let mut seen = mails_to(&t.mail, email).len();
        let mut fresh_code = || {
            let t = &t;
            seen += 1;
            let after = seen - 1;
            async move {
                let sent = t
                    .post("/v1/auth/forgot", None, json!({ "email": email }))
                    .await;
                assert_eq!(sent.status, StatusCode::ACCEPTED);
                next_code_for(&t.mail, email, after, MAIL_WAIT).await
            }
        };
        let code = fresh_code().await;
        for _ in 0..2 {
            try_code(other_than(&code))
                .await
                .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        }
        // A fresh code brings no fresh guesses: the third try is the last of the day.
        let code = fresh_code().await;
        try_code(other_than(&code))
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        try_code(code)
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
    }

    pub async fn guesses_at_an_address_no_code_was_mailed_to_do_not_lock_its_owner_out(
        backend: Backend,
    ) {
        let Some(t) = backend
            .start(|c| {
                c.with_account_codes(AccountCodeLimits {
                    tries_per_account: 3,
                    ..AccountCodeLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let email = "hal@example.com";
        t.account(email).await;
        // A stranger guesses codes for the address before any reset code was asked for: each is
        // refused like a wrong one, and none counts against the owner's tries.
        for guess in ["000000", "111111", "222222", "333333", "444444"] {
            t.post(
                "/v1/auth/reset",
                None,
                json!({"email": email, "code": guess, "new_password": "a stranger's password"}),
            )
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        }
        let seen = mails_to(&t.mail, email).len();
        let sent = t
            .post("/v1/auth/forgot", None, json!({ "email": email }))
            .await;
        assert_eq!(sent.status, StatusCode::ACCEPTED);
        let code = next_code_for(&t.mail, email, seen, MAIL_WAIT).await;
        let reset = t
            .post(
                "/v1/auth/reset",
                None,
                json!({"email": email, "code": code, "new_password": "the owner's new passphrase"}),
            )
            .await;
        assert_eq!(reset.status, StatusCode::NO_CONTENT, "{:?}", reset.body);
    }

    pub async fn a_resend_while_the_tries_are_used_up_says_when_instead_of_mailing_a_code_that_cannot_work(
        backend: Backend,
    ) {
        let Some(t) = backend
            .start(|c| {
                c.with_account_codes(AccountCodeLimits {
                    tries_per_account: 2,
                    ..AccountCodeLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let email = "jay@example.com";
        let token = t.unverified_account(email).await;
        let code = code_for(&t.mail, email, MAIL_WAIT).await;
        for _ in 0..2 {
            verify(&t, &token, &other_than(&code))
                .await
                .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode);
        }
        let resend = t
            .post("/v1/accounts/verify/resend", Some(&token), json!({}))
            .await;
        resend.assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        assert!(resend.headers.contains_key("retry-after"));
        assert_eq!(mails_to(&t.mail, email).len(), 1, "no second mail");
    }

    pub async fn a_squatter_on_an_unverified_address_gets_no_webhook_and_the_owners_reset_ends_every_one(
        backend: Backend,
    ) {
        let Some(t) = backend.start(|c| c).await else {
            return;
        };
        let email = "ida@example.com";
        let hook = json!({"kind": "webhook", "url": "https://hooks.example.com/hc"});
        // Someone signs up with an address that is not theirs: no webhook on the owner's feed.
        let squatter = t.unverified_account(email).await;
        t.post("/v1/push-endpoints", Some(&squatter), hook.clone())
            .await
            .assert_error(StatusCode::FORBIDDEN, ErrorCode::EmailNotVerified);
        // The owner takes the address back; a webhook added before (by whoever held the
        // account) is gone with the reset, as every session is.
        t.verify_from(&t.mail, &squatter, email).await;
        let added = t.post("/v1/push-endpoints", Some(&squatter), hook).await;
        assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
        let seen = mails_to(&t.mail, email).len();
        t.post("/v1/auth/forgot", None, json!({ "email": email }))
            .await;
        let code = next_code_for(&t.mail, email, seen, MAIL_WAIT).await;
        let reset = t
            .post(
                "/v1/auth/reset",
                None,
                json!({"email": email, "code": code, "new_password": "the owner's own passphrase"}),
            )
            .await;
        assert_eq!(reset.status, StatusCode::NO_CONTENT, "{:?}", reset.body);
        let owner = t
            .post(
                "/v1/auth/login",
                None,
                json!({"email": email, "password": "the owner's own passphrase"}),
            )
            .await;
        let owner = owner.body["access_token"].as_str().unwrap().to_owned();
        let list = t.get("/v1/push-endpoints", &owner).await;
        assert_eq!(list.body["endpoints"], json!([]), "{:?}", list.body);
    }

    pub async fn the_outbox_keeps_a_mail_while_the_relay_is_down_and_sends_it_when_it_is_back(
        backend: Backend,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::create(dir.path());
        let mut sink = SmtpSink::start(&ca, USER, RELAY_PASSWORD).await;
        let Some(t) = with_relay(backend, &sink, |m| MailSettings {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(300),
            max_attempts: 100,
            poll_interval: Duration::from_millis(50),
            ..m
        })
        .await
        else {
            return;
        };
        sink.stop();
        let email = "hal@example.com";
        let token = t.unverified_account(email).await;
        // Tried and failed, still kept (with its message) for the next try.
        let deadline = std::time::Instant::now() + MAIL_WAIT;
        loop {
            let rows = t.cloud.state().storage().mail_rows().await.unwrap();
            let row = &rows[0];
            if row.attempts >= 1 {
                assert_eq!(row.state, "pending");
                assert!(row.has_message);
                assert!(row.last_error.is_some());
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{rows:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(sink.mails().is_empty());
        sink.restart().await;
        let code = code_for(&sink, email, MAIL_WAIT).await;
        assert_eq!(verify(&t, &token, &code).await.status, StatusCode::OK);
        assert_eq!(sink.mails().len(), 1, "sent once");
    }

    pub async fn a_refused_registration_mails_nothing(backend: Backend) {
        let Some(t) = backend.start(|c| c).await else {
            return;
        };
        let email = "ivy@example.com";
        register(&t, email, "short")
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::WeakPassword);
        t.register(email).await;
        register(&t, email, PASSWORD)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::EmailTaken);
        code_for(&t.mail, email, MAIL_WAIT).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(t.mail.mails().len(), 1, "one mail: the accepted sign-up's");
        assert_eq!(
            t.cloud.state().storage().mail_rows().await.unwrap().len(),
            1
        );
    }

    pub async fn without_a_relay_mail_is_written_to_the_mail_folder(backend: Backend) {
        let Some(t) = backend.start(|c| c).await else {
            return;
        };
        let email = "jo@example.com";
        t.register(email).await;
        code_for(&t.mail, email, MAIL_WAIT).await;
        let files = t.mail.files();
        assert_eq!(files.len(), 1);
        let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
        let (ms, id) = name.strip_suffix(".eml").unwrap().split_once('-').unwrap();
        assert!(ms.parse::<u64>().unwrap() > 1_700_000_000_000, "{name}");
        let rows = t.cloud.state().storage().mail_rows().await.unwrap();
        assert_eq!(id, rows[0].id.to_string());
        assert_eq!(t.cloud.mail_dir(), t.mail.dir.as_path());
        assert!(
            t.mail.dir.ends_with("mail"),
            "in the data folder by default"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "owner-only: it holds a code");
        }
    }
}

/// The binary, told its relay by flags (as `hc-cloud serve --smtp-host ...` in production), sends
/// the sign-up's code over STARTTLS with AUTH.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_sends_mail_to_the_relay_its_flags_name() {
    use hc_testkit::cloud_process::CloudProcess;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::create(dir.path());
    let sink = SmtpSink::start(&ca, "hc-relay", "relay-secret-1").await;
    let config = Config::for_tests(dir.path().join("cloud")).with_mail(MailSettings {
        smtp: Some(sink.smtp_settings()),
        from: "hc eu <codes@hc.example>".into(),
        ..MailSettings::default()
    });
    let cloud = CloudProcess::spawn(&config, &dir.path().join("cloud.log")).unwrap();
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/v1/accounts", cloud.url()))
        .json(&json!({"email": "kai@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let mail = sink.wait_for(1, MAIL_WAIT).await.remove(0);
    assert!(mail.tls);
    assert_eq!(mail.auth_user.as_deref(), Some("hc-relay"));
    assert_eq!(mail.envelope_from.as_deref(), Some("codes@hc.example"));
    assert!(mail.code().is_some());
    let log = std::fs::read_to_string(dir.path().join("cloud.log")).unwrap_or_default();
    assert!(
        !log.contains("relay-secret-1"),
        "the relay password is never logged"
    );
}
