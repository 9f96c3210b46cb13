//! Accounts as the vendors' apps run them, end to end: the real cloud over TLS writing its mail to
//! a folder (the mailbox here), a simulated NVR, and the app core. A new account proves its
//! address with the mailed code before it may add devices or get reset codes; an owner who forgot
//! the app's password too sets a new one with a mailed code and then resets the NVR.

use std::sync::Arc;

use hc_core::{ErrorAction, FeedEventKind, HcError, ResetState};
use hc_testkit::cloud_api::MAIL_WAIT;
use hc_testkit::mail::{code_for, mails_to, next_code_for};
use hc_testkit::{ACCOUNT_PASSWORD, Screen, World};

/// More > Reset Device Password on the NVR's QR code ends with a code.
async fn gets_a_code(phone: &hc_core::HcClient, nvr: &hc_testkit::Nvr) {
    let screen = Arc::new(Screen::default());
    let flow = phone.reset_flow(screen.clone());
    flow.submit_text(nvr.show_reset_qr().await);
    assert!(
        matches!(screen.outcome().await, ResetState::CodeReady { .. }),
        "{:?}",
        screen.states()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_account_enters_the_mailed_code_and_then_adds_its_nvr_and_gets_a_code() {
    let world = World::start(|c| c).await;
    let phone = world.unverified_owner("owner").await;
    let nvr = world.nvr().await;
    let status = phone.account_status().await.unwrap();
    assert_eq!(
        (status.email.as_str(), status.email_verified),
        ("owner@example.com", false)
    );

    // Before the code: the device cannot be added, and the screen leads to the verify step.
    let refused = phone
        .add_device(nvr.serial.clone(), nvr.label_code.clone(), None)
        .await
        .unwrap_err();
    assert_eq!(refused, HcError::EmailNotVerified);
    assert_eq!(refused.action(), ErrorAction::VerifyEmail);

    // The mail: the code, typed with a space as people read it out.
    let code = code_for(&world.mail(), "owner@example.com", MAIL_WAIT).await;
    let typed = format!("{} {}", &code[..3], &code[3..]);
    assert!(phone.verify_email(typed).await.unwrap().email_verified);

    phone
        .add_device(nvr.serial.clone(), nvr.label_code.clone(), None)
        .await
        .unwrap();
    assert!(nvr.sync().await);
    gets_a_code(&phone, &nvr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_code_says_how_many_tries_are_left_and_a_resent_code_replaces_it() {
    let world = World::start(|c| c).await;
    let phone = world.unverified_owner("owner").await;
    let first = code_for(&world.mail(), "owner@example.com", MAIL_WAIT).await;
    let wrong = if first == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert_eq!(
        phone.verify_email(wrong.into()).await,
        Err(HcError::MailedCodeRefused {
            attempts_left: Some(4)
        })
    );
    assert_eq!(
        phone.verify_email("12345".into()).await,
        Err(HcError::InvalidMailedCode)
    );

    let seen = mails_to(&world.mail(), "owner@example.com").len();
    assert_eq!(phone.resend_verification().await, Ok(15 * 60));
    let second = next_code_for(&world.mail(), "owner@example.com", seen, MAIL_WAIT).await;
    if first != second {
        assert!(matches!(
            phone.verify_email(first).await,
            Err(HcError::MailedCodeRefused { .. })
        ));
    }
    assert!(phone.verify_email(second).await.unwrap().email_verified);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_forgot_the_app_password_too_a_mailed_code_sets_a_new_one_and_the_nvr_is_reset() {
    let world = World::start(|c| c).await;
    let old_phone = world.owner("owner").await;
    let nvr = world.nvr().await;
    old_phone
        .add_device(nvr.serial.clone(), nvr.label_code.clone(), None)
        .await
        .unwrap();
    assert!(nvr.sync().await);

    // A new phone: "forgot password" says the same for an address without an account.
    let phone = world.phone();
    let seen = mails_to(&world.mail(), "owner@example.com").len();
    assert_eq!(
        phone.forgot_password("owner@example.com".into()).await,
        phone.forgot_password("nobody@example.com".into()).await
    );
    let code = next_code_for(&world.mail(), "owner@example.com", seen, MAIL_WAIT).await;
    assert!(mails_to(&world.mail(), "nobody@example.com").is_empty());

    let new_password = "new horse battery staple";
    assert_eq!(
        phone
            .reset_password(
                "owner@example.com".into(),
                code.clone(),
                new_password.into(),
                "new horse battery stapel".into()
            )
            .await,
        Err(HcError::PasswordsDiffer)
    );
    phone
        .reset_password(
            "owner@example.com".into(),
            code.clone(),
            new_password.into(),
            new_password.into(),
        )
        .await
        .unwrap();
    assert!(phone.is_logged_in());

    // The code was single use, the old password is gone, the old phone's session ended.
    assert_eq!(
        world
            .phone()
            .reset_password(
                "owner@example.com".into(),
                code,
                "another good password".into(),
                "another good password".into()
            )
            .await,
        Err(HcError::MailedCodeRefused {
            attempts_left: None
        })
    );
    assert!(
        world
            .phone()
            .login("owner@example.com".into(), ACCOUNT_PASSWORD.into())
            .await
            .is_err()
    );
    assert_eq!(
        old_phone.devices(true).await.unwrap_err(),
        HcError::SessionExpired
    );

    // The new session gets the NVR's code, and the owner's feed tells of the reset.
    gets_a_code(&phone, &nvr).await;
    let page = phone.feed_page(None, 0).await.unwrap();
    assert!(
        page.events
            .iter()
            .any(|e| e.kind == FeedEventKind::PasswordReset),
        "{:?}",
        page.events
    );
}
