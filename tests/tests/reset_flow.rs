//! The "Reset Device Password" flow end to end: the real cloud over TLS, a simulated NVR, and the
//! app core scanning what the NVR shows.

use std::sync::Arc;
use std::time::Duration;

use hc_cloud::RateLimits;
use hc_core::{AuditActor, AuditOutcome, HcError, MemoryStore, MessageId, ResetState, UiMessage};
use hc_testkit::{MODEL, NVR_ADMIN_PASSWORD, Screen, World};

/// The owner adds the NVR to the account, and the NVR, online for a moment, learns it is bound.
async fn bound_nvr(world: &World, owner: &hc_core::HcClient) -> hc_testkit::Nvr {
    let nvr = world.nvr().await;
    owner
        .add_device(
            nvr.serial.clone(),
            nvr.label_code.clone(),
            Some("Shop".into()),
        )
        .await
        .unwrap();
    assert!(nvr.sync().await, "the NVR learns it is bound");
    nvr
}

fn failed(error: HcError) -> ResetState {
    ResetState::Failed { error }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_the_nvr_password_scan_the_qr_enter_the_code_log_in_with_a_new_one() {
    let world = World::start(|c| c).await;
    let owner = world.owner("owner").await;
    let nvr = bound_nvr(&world, &owner).await;

    // On the NVR: Forget Password > Verify by Hik-Connect shows a QR code.
    let qr_text = nvr.show_reset_qr().await;
    let png = nvr.qr_png().await;

    // In the app: More > Reset Device Password, point the camera at the screen.
    let screen = Arc::new(Screen::default());
    let flow = owner.reset_flow(screen.clone());
    flow.submit_image(png);
    let ResetState::CodeReady {
        serial,
        model,
        code,
        expires_at_unix,
    } = screen.outcome().await
    else {
        panic!("no code: {:?}", screen.states());
    };
    assert_eq!(
        (serial.as_str(), model.as_str()),
        (nvr.serial.as_str(), MODEL)
    );
    assert!(matches!(screen.states()[0], ResetState::Recognized { .. }));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now + 1790..=now + 1800).contains(&expires_at_unix));

    // Asking again for the same QR (a retry) gets the same code.
    assert_eq!(owner.request_reset_code(qr_text).await.unwrap().code, code);

    // On the NVR: enter the code, set a new password, log in with it.
    let token = nvr
        .enter_code(&code)
        .await
        .expect("the device accepts the app's code");
    nvr.set_password(&token, "New-Pass-2025").await;
    assert!(nvr.login("New-Pass-2025").await);
    assert!(!nvr.login(NVR_ADMIN_PASSWORD).await);

    // The account's audit log shows the issued codes.
    let events = owner.audit_events().await.unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e.outcome == AuditOutcome::Issued));
    assert_eq!(events[0].serial.as_deref(), Some(nvr.serial.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_not_added_the_app_says_so_and_no_code_is_given() {
    let world = World::start(|c| c).await;
    let owner = world.owner("owner").await;
    // The owner removed the NVR from the account; offline since, it still offers the QR.
    let nvr = bound_nvr(&world, &owner).await;
    owner.remove_device(nvr.serial.clone()).await.unwrap();
    let screen = Arc::new(Screen::default());
    let flow = owner.reset_flow(screen.clone());
    flow.submit_text(nvr.show_reset_qr().await);
    assert_eq!(
        screen.outcome().await,
        failed(HcError::DeviceNotAdded {
            serial: nvr.serial.clone()
        })
    );
    let events = owner.audit_events().await.unwrap();
    assert_eq!(events[0].outcome, AuditOutcome::DeviceNotBound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_to_someone_else_the_app_shows_the_added_by_others_note() {
    let world = World::start(|c| c).await;
    let owner = world.owner("owner").await;
    // The NVR is bound to someone else's account, so it offers the QR; this owner never added it.
    let other = world.owner("other").await;
    let nvr = bound_nvr(&world, &other).await;
    let screen = Arc::new(Screen::default());
    let flow = owner.reset_flow(screen.clone());
    flow.submit_text(nvr.show_reset_qr().await);
    assert_eq!(
        screen.outcome().await,
        failed(HcError::DeviceAddedByOthers {
            serial: nvr.serial.clone()
        })
    );
    // The refusal is in the asking account's audit log, and in the NVR's owner's (below); no code
    // was issued to anyone.
    let events = owner.audit_events().await.unwrap();
    assert_eq!(events[0].outcome, AuditOutcome::BoundToOtherAccount);
    assert_eq!(events[0].actor, AuditActor::You);
    assert_eq!(other.audit_events().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_asks_for_a_code_for_my_nvr_and_my_audit_shows_it_masked() {
    let world = World::start(|c| c).await;
    let me = world.owner("owner").await;
    let nvr = bound_nvr(&world, &me).await;
    // The installer still has the app and scans the NVR's QR code: refused, the NVR is mine.
    let installer = world.owner("installer").await;
    assert_eq!(
        installer
            .request_reset_code(nvr.show_reset_qr().await)
            .await
            .unwrap_err(),
        HcError::DeviceAddedByOthers {
            serial: nvr.serial.clone()
        }
    );
    let mine = me.audit_events().await.unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    let masked = "in***@example.com";
    assert_eq!(
        mine[0].actor,
        AuditActor::OtherAccount {
            masked_email: masked.into()
        }
    );
    // In words, not an outcome code: who asked, for which device, and what they were told.
    assert_eq!(
        mine[0].message,
        UiMessage::with(
            MessageId::AuditOtherAccountRefused,
            [masked, nvr.serial.as_str()]
        )
    );
    // Never the installer's address or where it asked from.
    assert_eq!(mine[0].client_addr, None);
    // The installer's own log keeps what it had: its own refusal, from its own address.
    let theirs = installer.audit_events().await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].actor, AuditActor::You);
    assert_eq!(
        theirs[0].message,
        UiMessage::with(MessageId::AuditDeviceAddedByOthers, [nvr.serial.as_str()])
    );
    assert!(theirs[0].client_addr.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_by_others_the_cloud_has_the_final_word() {
    let world = World::start(|c| c).await;
    let phone = world.owner("owner").await;
    let nvr = bound_nvr(&world, &phone).await;
    // The phone's device list is fresh and lists the NVR...
    assert_eq!(phone.devices(false).await.unwrap().devices.len(), 1);
    let qr = nvr.show_reset_qr().await;

    // ...but meanwhile the owner removed it on another phone and someone else added it.
    let tablet = world.phone();
    tablet
        .login("owner@example.com".into(), "Correct-Horse-42".into())
        .await
        .unwrap();
    tablet.remove_device(nvr.serial.clone()).await.unwrap();
    let other = world.owner("other").await;
    other
        .add_device(nvr.serial.clone(), nvr.label_code.clone(), None)
        .await
        .unwrap();

    let screen = Arc::new(Screen::default());
    let flow = phone.reset_flow(screen.clone());
    flow.submit_text(qr);
    assert_eq!(
        screen.outcome().await,
        failed(HcError::DeviceAddedByOthers {
            serial: nvr.serial.clone()
        })
    );
    // Adding it is refused the same way.
    assert_eq!(
        phone
            .add_device(nvr.serial.clone(), nvr.label_code.clone(), None)
            .await,
        Err(HcError::DeviceAddedByOthers {
            serial: nvr.serial.clone()
        })
    );
    let events = phone.audit_events().await.unwrap();
    assert_eq!(events[0].outcome, AuditOutcome::BoundToOtherAccount);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_logged_in_the_flow_asks_to_log_in() {
    let world = World::start(|c| c).await;
    let owner = world.owner("owner").await;
    let nvr = bound_nvr(&world, &owner).await;
    let stranger = world.phone();
    let screen = Arc::new(Screen::default());
    let flow = stranger.reset_flow(screen.clone());
    flow.submit_text(nvr.show_reset_qr().await);
    assert_eq!(screen.outcome().await, failed(HcError::NotLoggedIn));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_refreshed_without_the_user_noticing() {
    let world = World::start(|c| c.with_access_token_ttl(Duration::from_secs(1))).await;
    let store = Arc::new(MemoryStore::new());
    let owner = world.phone_with_store(store.clone());
    owner
        .register(
            "owner@example.com".into(),
            "Correct-Horse-42".into(),
            "Correct-Horse-42".into(),
        )
        .await
        .unwrap();
    world.verify(&owner, "owner@example.com").await;
    let nvr = bound_nvr(&world, &owner).await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;

    // The app restarts: the session comes back from the store, expired, and is refreshed.
    let relaunched = world.phone_with_store(store);
    assert!(relaunched.is_logged_in());
    let screen = Arc::new(Screen::default());
    let flow = relaunched.reset_flow(screen.clone());
    flow.submit_text(nvr.show_reset_qr().await);
    assert!(
        matches!(screen.outcome().await, ResetState::CodeReady { .. }),
        "{:?}",
        screen.states()
    );

    // Many screens racing on an expired token: one refresh (refresh tokens rotate, so a second
    // refresh with the spent token would end the session), and every call succeeds.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let phone = relaunched.clone();
            tokio::spawn(async move { phone.devices(true).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert!(relaunched.is_logged_in());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_cannot_be_refreshed_expires() {
    let world = World::start(|c| {
        c.with_access_token_ttl(Duration::from_secs(1))
            .with_refresh_token_ttl(Duration::from_secs(1))
    })
    .await;
    let owner = world.owner("owner").await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let screen = Arc::new(Screen::default());
    let flow = owner.reset_flow(screen.clone());
    flow.submit_text(well_formed_qr());
    assert_eq!(screen.outcome().await, failed(HcError::SessionExpired));
    assert!(!owner.is_logged_in());
    assert_eq!(owner.devices(false).await, Err(HcError::NotLoggedIn));
}

/// Any well-formed reset QR: the session fails before the binding check looks at it.
fn well_formed_qr() -> String {
    let challenge = hc_protocol::Challenge::new(
        hc_protocol::Serial::parse("E2E999999").unwrap(),
        true,
        1_700_000_000,
        hc_protocol::Nonce::from_bytes([1; 16]),
        MODEL,
        "V4.30.005",
    )
    .unwrap();
    challenge.to_qr_text(&hc_protocol::DeviceKey::from_bytes([9; 32]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_down_then_back_retry_gets_the_same_code() {
    let mut world = World::start(|c| c).await;
    let owner = world.owner("owner").await;
    let nvr = bound_nvr(&world, &owner).await;
    let qr = nvr.show_reset_qr().await;
    let first = owner.request_reset_code(qr.clone()).await.unwrap();

    world.stop_cloud().await;
    let screen = Arc::new(Screen::default());
    let flow = owner.reset_flow(screen.clone());
    flow.submit_text(qr);
    assert!(
        matches!(
            screen.outcome().await,
            ResetState::Failed {
                error: HcError::Network { .. }
            }
        ),
        "{:?}",
        screen.states()
    );
    // Offline, the device list still shows, from the cache, with its age.
    let offline = owner.devices(true).await.unwrap();
    assert!(offline.from_cache);
    assert_eq!(offline.devices[0].serial, nvr.serial);

    world.restart_cloud().await;
    let seen = screen.states().len();
    flow.retry();
    let ResetState::CodeReady { code, .. } = screen.next_outcome(seen).await else {
        panic!("{:?}", screen.states());
    };
    assert_eq!(code, first.code);
    assert!(nvr.enter_code(&code).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_are_rate_limited_with_a_delay() {
    let world = World::start(|c| {
        c.with_rate_limits(RateLimits {
            reset_codes_per_account: 2,
            ..RateLimits::default()
        })
    })
    .await;
    let owner = world.owner("owner").await;
    let nvr = bound_nvr(&world, &owner).await;
    let qr = nvr.show_reset_qr().await;
    owner.request_reset_code(qr.clone()).await.unwrap();
    owner.request_reset_code(qr.clone()).await.unwrap();
    let screen = Arc::new(Screen::default());
    let flow = owner.reset_flow(screen.clone());
    flow.submit_text(qr);
    match screen.outcome().await {
        ResetState::Failed {
            error: HcError::RateLimited { retry_after_secs },
        } => assert!(retry_after_secs > 0),
        other => panic!("{other:?}"),
    }
}
