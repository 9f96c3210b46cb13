//! The audit log as the owner reads it (issue 16 item 5): every reset-code request that names one
//! of the owner's devices, other accounts' too, the other account masked; and the listing paged by
//! key (issue 18 item 2), on SQLite and on PostgreSQL.

mod support;

use hc_cloud::RateLimits;
use hc_protocol::api::*;
use reqwest::StatusCode;
use support::{Backend, TestCloud, qr_for, suite};

suite!(
    another_account_asks_for_a_code_for_my_nvr_and_my_audit_shows_it_masked,
    the_owner_sees_another_accounts_attempts_that_spent_the_devices_budget,
    a_forged_qr_naming_my_nvr_stays_in_the_forgers_log,
    the_audit_pages_by_key_and_new_events_never_shift_a_page,
    a_cursor_that_is_no_event_id_is_refused,
);

mod cases {
    use super::*;

    async fn start(backend: Backend) -> Option<TestCloud> {
        backend.start(|config| config).await
    }

    fn audit(t: &TestCloud, token: &str, query: &str) -> impl Future<Output = AuditList> {
        let path = format!("/v1/audit{query}");
        let token = token.to_owned();
        async move {
            let answer = t.get(&path, &token).await;
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
            answer.json()
        }
    }

    pub async fn another_account_asks_for_a_code_for_my_nvr_and_my_audit_shows_it_masked(
        backend: Backend,
    ) {
        let Some(t) = start(backend).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let installer = t.account("installer@example.com").await;
        let nvr = t.provision("J12345678").await;
        assert_eq!(t.add_device(&owner, &nvr).await.status, StatusCode::CREATED);
        t.reset_code(&owner, &qr_for(&nvr, 1)).await;
        t.reset_code(&installer, &qr_for(&nvr, 2))
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount);

        let mine = audit(&t, &owner, "").await.events;
        assert_eq!(mine.len(), 2, "{mine:?}");
        let theirs = &mine[0];
        assert_eq!(theirs.outcome, AuditOutcome::BoundToOtherAccount);
        assert_eq!(theirs.serial.as_deref(), Some("J12345678"));
        assert_eq!(
            theirs.actor,
            AuditActor::OtherAccount {
                masked_email: "in***@example.com".into()
            }
        );
        // The owner never learns the other account's address or where it asked from.
        assert_eq!(theirs.client_addr, None);
        let text = serde_json::to_string(&mine).unwrap();
        assert!(!text.contains("installer@"), "{text}");
        assert_eq!(mine[1].outcome, AuditOutcome::Issued);
        assert_eq!(mine[1].actor, AuditActor::You);
        assert_eq!(mine[1].client_addr.as_deref(), Some("127.0.0.1"));

        // The installer's own log keeps what it had: its own request, its own address.
        let own = audit(&t, &installer, "").await.events;
        assert_eq!(own.len(), 1, "{own:?}");
        assert_eq!(own[0].id, theirs.id);
        assert_eq!(own[0].outcome, AuditOutcome::BoundToOtherAccount);
        assert_eq!(own[0].actor, AuditActor::You);
        assert_eq!(own[0].client_addr.as_deref(), Some("127.0.0.1"));
    }

    pub async fn the_owner_sees_another_accounts_attempts_that_spent_the_devices_budget(
        backend: Backend,
    ) {
        let Some(t) = backend
            .start(|config| {
                config.with_rate_limits(RateLimits {
                    reset_codes_per_device: 1,
                    ..RateLimits::default()
                })
            })
            .await
        else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let other = t.account("stranger@example.org").await;
        let nvr = t.provision("J12345678").await;
        assert_eq!(t.add_device(&owner, &nvr).await.status, StatusCode::CREATED);
        t.reset_code(&other, &qr_for(&nvr, 1))
            .await
            .assert_error(StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount);
        for nonce in 2..5 {
            t.reset_code(&other, &qr_for(&nvr, nonce))
                .await
                .assert_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited);
        }
        let mine = audit(&t, &owner, "").await.events;
        let outcomes: Vec<_> = mine.iter().map(|e| (e.outcome, e.count)).collect();
        assert_eq!(
            outcomes,
            [
                (AuditOutcome::RateLimited, 3),
                (AuditOutcome::BoundToOtherAccount, 1)
            ]
        );
        for event in &mine {
            assert_eq!(
                event.actor,
                AuditActor::OtherAccount {
                    masked_email: "st***@example.org".into()
                }
            );
        }
    }

    pub async fn a_forged_qr_naming_my_nvr_stays_in_the_forgers_log(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let forger = t.account("forger@example.com").await;
        let nvr = t.provision("J12345678").await;
        assert_eq!(t.add_device(&owner, &nvr).await.status, StatusCode::CREATED);
        // Anybody can read the serial off the label; only the device can make the tag.
        let mut forged = nvr.clone();
        forged.device_key = hc_protocol::DeviceKey::from_bytes([7; 32]);
        t.reset_code(&forger, &qr_for(&forged, 1))
            .await
            .assert_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidQr);
        assert_eq!(audit(&t, &owner, "").await.events, vec![]);
        assert_eq!(audit(&t, &forger, "").await.events.len(), 1);
    }

    pub async fn the_audit_pages_by_key_and_new_events_never_shift_a_page(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let owner = t.account("owner@example.com").await;
        let other = t.account("other@example.com").await;
        let nvr = t.provision("J12345678").await;
        assert_eq!(t.add_device(&owner, &nvr).await.status, StatusCode::CREATED);
        // Seven events, the owner's and the other account's interleaved.
        for nonce in 1..=7u8 {
            let who = if nonce % 2 == 0 { &other } else { &owner };
            t.reset_code(who, &qr_for(&nvr, nonce)).await;
        }
        let whole = audit(&t, &owner, "?limit=100").await;
        assert_eq!(whole.events.len(), 7);
        assert_eq!(whole.next_before, None);

        let first = audit(&t, &owner, "?limit=3").await;
        assert_eq!(first.events, whole.events[..3]);
        let cursor = first.next_before.expect("more pages");
        // Events recorded meanwhile are newer than every page already read: the next page is
        // the same as it would have been, no event repeats and none is skipped.
        for nonce in 8..=9u8 {
            t.reset_code(&other, &qr_for(&nvr, nonce)).await;
        }
        let second = audit(&t, &owner, &format!("?limit=3&before={cursor}")).await;
        assert_eq!(second.events, whole.events[3..6]);
        let last = audit(
            &t,
            &owner,
            &format!(
                "?limit=3&before={}",
                second.next_before.expect("one more page")
            ),
        )
        .await;
        assert_eq!(last.events, whole.events[6..]);
        assert_eq!(last.next_before, None);
        // And the newest page now starts with the two new events.
        let newest = audit(&t, &owner, "?limit=2").await.events;
        assert!(newest.iter().all(|e| e.id > whole.events[0].id));
    }

    pub async fn a_cursor_that_is_no_event_id_is_refused(backend: Backend) {
        let Some(t) = start(backend).await else {
            return;
        };
        let token = t.account("ann@example.com").await;
        for before in ["0", "-1", "x", "9223372036854775808"] {
            t.get(&format!("/v1/audit?before={before}"), &token)
                .await
                .assert_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest);
        }
        let past_the_end = audit(&t, &token, "?before=9223372036854775807").await;
        assert_eq!(past_the_end.events, vec![]);
    }
}

/// The plan of one audit page (account 1, from the newest, 100 events and one more), one line per
/// step: `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL. The pool type differs, the text
/// does not.
macro_rules! audit_page_plan {
    ($pool:expr, $explain:literal) => {{
        use sqlx::Row;
        let rows = sqlx::query(&format!(
            "{} {}",
            $explain,
            hc_cloud::storage::queries::AUDIT_PAGE
        ))
        .bind(1_i64)
        .bind(i64::MAX)
        .bind(101_i64)
        .fetch_all($pool)
        .await
        .unwrap();
        rows.iter()
            .map(|row| row.try_get::<String, _>(row.len() - 1).unwrap())
            .collect::<Vec<String>>()
    }};
}

fn pool_settings() -> hc_cloud::storage::PoolSettings {
    hc_cloud::storage::PoolSettings {
        max_connections: 2,
        acquire_timeout: std::time::Duration::from_secs(30),
    }
}

#[tokio::test]
async fn the_audit_listing_reads_two_index_ranges_on_sqlite_however_long_the_log() {
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/hc.sqlite3", data.path().display());
    // The cloud's own migrations make the schema.
    hc_cloud::storage::connect(&url, pool_settings())
        .await
        .unwrap()
        .close()
        .await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let plan = audit_page_plan!(&pool, "EXPLAIN QUERY PLAN");
    eprintln!("SQLite plan of one audit page:\n  {}", plan.join("\n  "));
    let uses = |index: &str| {
        plan.iter()
            .any(|step| step.starts_with("SEARCH audit_events USING INDEX") && step.contains(index))
    };
    assert!(
        uses("audit_events_by_account (account_id=? AND id<?)"),
        "{plan:?}"
    );
    assert!(
        uses("audit_events_by_device_owner (device_owner_id=? AND id<?)"),
        "{plan:?}"
    );
    assert!(
        !plan
            .iter()
            .any(|step| step.starts_with("SCAN audit_events")),
        "{plan:?}"
    );
}

#[tokio::test]
async fn the_audit_listing_reads_two_index_ranges_on_postgres_however_long_the_log() {
    let Some(server) = support::postgres::server() else {
        return;
    };
    let url = server.fresh_database().await;
    hc_cloud::storage::connect(&url, pool_settings())
        .await
        .unwrap()
        .close()
        .await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    // Enough rows, and statistics, that the planner weighs real costs: 200,000 events of 1,000
    // accounts, one in ten another account's attempt on someone's device (account 1's own 200
    // requests and 200 attempts of others on its devices among them).
    sqlx::query(
        "INSERT INTO audit_events (account_id, at, serial, nonce, outcome, client_addr, count, device_owner_id)
         SELECT i % 1000, 1764028800 + i, 'J12345678', NULL, 'issued', '127.0.0.1', 1,
                CASE WHEN i % 10 = 0 THEN (i + 1) % 1000 END
         FROM generate_series(1, 200000) AS i",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE audit_events")
        .execute(&pool)
        .await
        .unwrap();
    let plan = audit_page_plan!(&pool, "EXPLAIN");
    eprintln!(
        "PostgreSQL plan of one audit page:\n  {}",
        plan.join("\n  ")
    );
    let text = plan.join("\n");
    assert!(
        text.contains("Index Scan Backward using audit_events_by_account"),
        "{text}"
    );
    assert!(
        text.contains("Index Scan Backward using audit_events_by_device_owner"),
        "{text}"
    );
    assert!(!text.contains("Seq Scan on audit_events"), "{text}");
    pool.close().await;
}
