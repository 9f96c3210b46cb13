//! Device transfer (issue 19 part B, DESIGN.md section 9): a person at the device asks with a fresh
//! QR code and the label code, the owner approves or refuses within the waiting period, after it
//! the device moves; and the abuse rules, each on SQLite and PostgreSQL.

mod support;

use std::time::{Duration, Instant};

use hc_protocol::api::*;
use hc_protocol::factory::DeviceRecord;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{Backend, TestCloud, qr_for, suite};

suite!(
    a_buyer_at_the_device_asks_and_the_owner_approves_so_it_moves_at_once,
    the_owner_refuses_and_the_same_account_cannot_ask_again_for_that_device,
    the_device_moves_when_the_waiting_period_is_over,
    a_qr_used_for_a_reset_code_or_another_transfer_cannot_ask_again,
    one_open_request_per_device,
    a_wrong_label_code_a_forged_qr_or_a_device_nobody_or_you_own_moves_nothing,
    transfer_requests_are_rate_limited_per_account_and_per_device,
    a_photo_of_one_qr_neither_guesses_the_label_code_nor_blocks_the_buyer,
    only_the_owner_can_approve_or_refuse,
);

mod cases {
    use super::*;

    async fn start(backend: Backend, wait: Duration) -> Option<TestCloud> {
        backend
            .start(|config| {
                config
                    .with_transfer_wait(wait)
                    .with_push(hc_cloud::PushSettings {
                        poll_interval: Duration::from_millis(100),
                        ..hc_cloud::PushSettings::default()
                    })
            })
            .await
    }

    async fn ask(t: &TestCloud, token: &str, device: &DeviceRecord, nonce: u8) -> support::Answer {
        t.post(
            "/v1/transfers",
            Some(token),
            json!({"qr": qr_for(device, nonce), "label_code": device.label_code.as_str()}),
        )
        .await
    }

    async fn transfers(t: &TestCloud, token: &str) -> Vec<Transfer> {
        let answer = t.get("/v1/transfers", token).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.json::<TransferList>().transfers
    }

    async fn feed_kinds(t: &TestCloud, token: &str) -> Vec<FeedEventKind> {
        let page: FeedPage = t.get("/v1/events?limit=500", token).await.json();
        page.events.iter().map(|e| e.kind).collect()
    }

    async fn serials(t: &TestCloud, token: &str) -> Vec<String> {
        let list: DeviceList = t.get("/v1/devices", token).await.json();
        list.devices.into_iter().map(|d| d.serial).collect()
    }

    async fn decide(t: &TestCloud, token: &str, id: i64, what: &str) -> support::Answer {
        t.call(
            Method::POST,
            &format!("/v1/transfers/{id}/{what}"),
            Some(token),
            None,
        )
        .await
    }

    async fn owner_with_nvr(t: &TestCloud) -> (String, DeviceRecord) {
        let owner = t.account("owner@example.com").await;
        let nvr = t.provision("J12345678").await;
        assert_eq!(t.add_device(&owner, &nvr).await.status, StatusCode::CREATED);
        (owner, nvr)
    }

    const LONG: Duration = Duration::from_secs(72 * 3600);

    pub async fn a_buyer_at_the_device_asks_and_the_owner_approves_so_it_moves_at_once(
        backend: Backend,
    ) {
        let Some(t) = start(backend, LONG).await else {
            return;
        };
        let (owner, nvr) = owner_with_nvr(&t).await;
        let buyer = t.account("buyer@example.com").await;
        let asked = ask(&t, &buyer, &nvr, 1).await;
        assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
        let transfer: Transfer = asked.json();
        assert_eq!(transfer.state, TransferState::Open);
        assert_eq!(transfer.role, "requester");
        assert_eq!(transfer.serial, "J12345678");
        assert!(transfer.completes_at >= transfer.requested_at + 72 * 3600 - 1);
        assert!(transfer.other_account.ends_with("***@example.com"));
        // The owner sees it, with the buyer masked, and is told.
        let theirs = transfers(&t, &owner).await;
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].role, "owner");
        assert_eq!(theirs[0].id, transfer.id);
        assert!(!serde_json::to_string(&theirs).unwrap().contains("buyer@"));
        assert!(
            feed_kinds(&t, &owner)
                .await
                .contains(&FeedEventKind::TransferRequested)
        );
        // Nothing moved yet: the owner's codes still work.
        assert_eq!(
            t.reset_code(&owner, &qr_for(&nvr, 2)).await.status,
            StatusCode::OK
        );

        let approved = decide(&t, &owner, transfer.id, "approve").await;
        assert_eq!(
            approved.status,
            StatusCode::NO_CONTENT,
            "{:?}",
            approved.body
        );
        assert_eq!(serials(&t, &buyer).await, ["J12345678"]);
        assert!(serials(&t, &owner).await.is_empty());
        // The old owner's codes stop at once; the new owner's work.
        t.reset_code(&owner, &qr_for(&nvr, 3))
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount);
        assert_eq!(
            t.reset_code(&buyer, &qr_for(&nvr, 4)).await.status,
            StatusCode::OK
        );
        assert_eq!(
            transfers(&t, &buyer).await[0].state,
            TransferState::Approved
        );
        // Both accounts have every step.
        for token in [&owner, &buyer] {
            let kinds = feed_kinds(&t, token).await;
            assert!(
                kinds.contains(&FeedEventKind::TransferRequested),
                "{kinds:?}"
            );
            assert!(
                kinds.contains(&FeedEventKind::TransferApproved),
                "{kinds:?}"
            );
        }
        // Decided once.
        decide(&t, &owner, transfer.id, "refuse")
            .await
            .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
    }

    pub async fn the_owner_refuses_and_the_same_account_cannot_ask_again_for_that_device(
        backend: Backend,
    ) {
        let Some(t) = start(backend, LONG).await else {
            return;
        };
        let (owner, nvr) = owner_with_nvr(&t).await;
        let buyer = t.account("buyer@example.com").await;
        let transfer: Transfer = ask(&t, &buyer, &nvr, 1).await.json();
        let refused = decide(&t, &owner, transfer.id, "refuse").await;
        assert_eq!(refused.status, StatusCode::NO_CONTENT, "{:?}", refused.body);
        assert_eq!(serials(&t, &owner).await, ["J12345678"]);
        assert_eq!(transfers(&t, &buyer).await[0].state, TransferState::Refused);
        assert!(
            feed_kinds(&t, &buyer)
                .await
                .contains(&FeedEventKind::TransferRefused)
        );
        ask(&t, &buyer, &nvr, 2)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::TransferRefusedRecently);
        // Another account may still ask.
        let other = t.account("other@example.com").await;
        assert_eq!(ask(&t, &other, &nvr, 3).await.status, StatusCode::CREATED);
    }

    pub async fn the_device_moves_when_the_waiting_period_is_over(backend: Backend) {
        let Some(t) = start(backend, Duration::from_secs(1)).await else {
            return;
        };
        let (owner, nvr) = owner_with_nvr(&t).await;
        let buyer = t.account("buyer@example.com").await;
        let transfer: Transfer = ask(&t, &buyer, &nvr, 1).await.json();
        // The worker moves it without anybody asking.
        let started = Instant::now();
        while serials(&t, &buyer).await.is_empty() && started.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(serials(&t, &buyer).await, ["J12345678"]);
        assert!(serials(&t, &owner).await.is_empty());
        assert_eq!(
            transfers(&t, &owner).await[0].state,
            TransferState::Completed
        );
        for token in [&owner, &buyer] {
            assert!(
                feed_kinds(&t, token)
                    .await
                    .contains(&FeedEventKind::TransferCompleted)
            );
        }
        // Too late to refuse.
        decide(&t, &owner, transfer.id, "refuse")
            .await
            .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
        t.reset_code(&owner, &qr_for(&nvr, 2))
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount);
    }

    pub async fn a_qr_used_for_a_reset_code_or_another_transfer_cannot_ask_again(backend: Backend) {
        let Some(t) = start(backend, LONG).await else {
            return;
        };
        let (owner, nvr) = owner_with_nvr(&t).await;
        let buyer = t.account("buyer@example.com").await;
        assert_eq!(
            t.reset_code(&owner, &qr_for(&nvr, 1)).await.status,
            StatusCode::OK
        );
        ask(&t, &buyer, &nvr, 1)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::QrAlreadyUsed);
        let transfer: Transfer = ask(&t, &buyer, &nvr, 2).await.json();
        assert_eq!(
            decide(&t, &owner, transfer.id, "refuse").await.status,
            StatusCode::NO_CONTENT
        );
        let other = t.account("other@example.com").await;
        ask(&t, &other, &nvr, 2)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::QrAlreadyUsed);
    }

    pub async fn one_open_request_per_device(backend: Backend) {
        let Some(t) = start(backend, LONG).await else {
            return;
        };
        let (_owner, nvr) = owner_with_nvr(&t).await;
        let buyer = t.account("buyer@example.com").await;
        let other = t.account("other@example.com").await;
        assert_eq!(ask(&t, &buyer, &nvr, 1).await.status, StatusCode::CREATED);
        ask(&t, &other, &nvr, 2)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::TransferPending);
        ask(&t, &buyer, &nvr, 3)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::TransferPending);
        // The one who lost the race is not told anything of the other's request.
        assert!(transfers(&t, &other).await.is_empty());
    }

    pub async fn a_wrong_label_code_a_forged_qr_or_a_device_nobody_or_you_own_moves_nothing(
        backend: Backend,
    ) {
        let Some(t) = start(backend, LONG).await else {
            return;
        };
        let (owner, nvr) = owner_with_nvr(&t).await;
        let buyer = t.account("buyer@example.com").await;
        let wrong = if nvr.label_code.as_str() == "AAAAAA" {
            "BBBBBB"
        } else {
            "AAAAAA"
        };
        t.post(
            "/v1/transfers",
            Some(&buyer),
            json!({"qr": qr_for(&nvr, 1), "label_code": wrong}),
        )
        .await
        .assert_error(StatusCode::FORBIDDEN, ErrorCode::WrongLabelCode);
        // A QR tagged with another key names the device but is not its.
        let other_nvr = t.provision("K12345678").await;
        let forged = DeviceRecord {
            device_key: other_nvr.device_key.clone(),
            ..nvr.clone()
        };
        ask(&t, &buyer, &forged, 2)
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidQr);
        t.post(
            "/v1/transfers",
            Some(&buyer),
            json!({"qr": "HCR1:nonsense", "label_code": "AAAAAA"}),
        )
        .await
        .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidQr);
        ask(&t, &buyer, &other_nvr, 3)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::DeviceNotBound);
        ask(&t, &owner, &nvr, 4)
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::AlreadyAdded);
        t.post(
            "/v1/transfers",
            None,
            json!({"qr": qr_for(&nvr, 5), "label_code": "AAAAAA"}),
        )
        .await
        .assert_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized);
        assert!(transfers(&t, &owner).await.is_empty());
        assert_eq!(serials(&t, &owner).await, ["J12345678"]);
    }

    pub async fn transfer_requests_are_rate_limited_per_account_and_per_device(backend: Backend) {
        let Some(t) = start(backend, LONG).await else {
            return;
        };
        let (_owner, nvr) = owner_with_nvr(&t).await;
        // A guesser at the device, a fresh QR code for every guess.
        let wrong = |nonce| json!({"qr": qr_for(&nvr, nonce), "label_code": "ZZZZZZ"});
        let guesser = t.account("guesser@example.com").await;
        for nonce in 0..hc_cloud::config::TRANSFERS_PER_ACCOUNT {
            let answer = t
                .post("/v1/transfers", Some(&guesser), wrong(10 + nonce as u8))
                .await;
            assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        }
        t.post("/v1/transfers", Some(&guesser), wrong(20))
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        // The device's budget is spent by the guesser's five QR codes: one more account is
        // refused too, even with the right label code.
        let buyer = t.account("buyer@example.com").await;
        ask(&t, &buyer, &nvr, 2)
            .await
            .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        // Another device is untouched.
        let other_owner = t.account("other-owner@example.com").await;
        let other_nvr = t.provision("K12345678").await;
        assert_eq!(
            t.add_device(&other_owner, &other_nvr).await.status,
            StatusCode::CREATED
        );
        assert_eq!(
            ask(&t, &buyer, &other_nvr, 3).await.status,
            StatusCode::CREATED
        );
    }

    pub async fn a_photo_of_one_qr_neither_guesses_the_label_code_nor_blocks_the_buyer(
        backend: Backend,
    ) {
        let Some(t) = start(backend, LONG).await else {
            return;
        };
        let (owner, nvr) = owner_with_nvr(&t).await;
        // Someone who once saw a QR code the device showed, never used, tries it from many
        // accounts: a few typing mistakes, then the QR is spent, and it costs the device one try.
        let photo = qr_for(&nvr, 1);
        let tries = hc_cloud::config::TRANSFER_TRIES_PER_QR;
        for i in 0..tries + 3 {
            let stranger = t.account(&format!("stranger{i}@example.com")).await;
            let answer = t
                .post(
                    "/v1/transfers",
                    Some(&stranger),
                    json!({"qr": photo, "label_code": "ZZZZZZ"}),
                )
                .await;
            if i < tries {
                answer.assert_error(StatusCode::FORBIDDEN, ErrorCode::WrongLabelCode);
            } else {
                answer.assert_error(StatusCode::CONFLICT, ErrorCode::QrAlreadyUsed);
            }
        }
        // A QR used for a reset code says nothing of the label code, right or wrong.
        assert_eq!(
            t.reset_code(&owner, &qr_for(&nvr, 2)).await.status,
            StatusCode::OK
        );
        let stranger = t.account("stranger@example.com").await;
        for label in ["ZZZZZZ", nvr.label_code.as_str()] {
            t.post(
                "/v1/transfers",
                Some(&stranger),
                json!({"qr": qr_for(&nvr, 2), "label_code": label}),
            )
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::QrAlreadyUsed);
        }
        // The buyer at the device still asks.
        let buyer = t.account("buyer@example.com").await;
        assert_eq!(ask(&t, &buyer, &nvr, 3).await.status, StatusCode::CREATED);
    }

    pub async fn only_the_owner_can_approve_or_refuse(backend: Backend) {
        let Some(t) = start(backend, LONG).await else {
            return;
        };
        let (owner, nvr) = owner_with_nvr(&t).await;
        let buyer = t.account("buyer@example.com").await;
        let stranger = t.account("stranger@example.com").await;
        let transfer: Transfer = ask(&t, &buyer, &nvr, 1).await.json();
        for token in [&buyer, &stranger] {
            for what in ["approve", "refuse"] {
                decide(&t, token, transfer.id, what)
                    .await
                    .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
            }
        }
        t.call(Method::POST, "/v1/transfers/x/approve", Some(&owner), None)
            .await
            .assert_error(StatusCode::NOT_FOUND, ErrorCode::NotFound);
        assert!(transfers(&t, &stranger).await.is_empty());
        assert_eq!(serials(&t, &owner).await, ["J12345678"]);
        assert_eq!(transfers(&t, &owner).await[0].state, TransferState::Open);
    }
}
