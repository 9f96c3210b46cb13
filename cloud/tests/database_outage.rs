//! The database restarting under a running service (a failover, a minor-version upgrade, a crash):
//! while PostgreSQL is away every request that needs it is answered `503 unavailable` in the API's
//! JSON error format with a `Retry-After`, never a 500 and never a hang; once it is back the same
//! service, the same sessions and the same QR codes work again without restarting anything.

mod support;

use std::time::Duration;

use hc_cloud::Config;
use hc_protocol::api::{AuditList, AuditOutcome, ErrorCode, ResetCodeResponse};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::postgres::{self, StopMode};
use support::{PASSWORD, TestCloud, qr_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgres_restarts_requests_get_503_unavailable_then_carry_on() {
    let Some(server) = postgres::own_server() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let config = Config::for_tests(data.path())
        .with_database_url(server.fresh_database().await)
        .with_max_db_connections(4)
        // Past this a request waiting for the database is answered 503 (default 10 s).
        .with_db_acquire_timeout(Duration::from_millis(500));
    let cloud = TestCloud::launch(config, data).await;
    let token = cloud.account("owner@example.com").await;
    let device = cloud.provision("J12345678").await;
    let added = cloud.add_device(&token, &device).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    let qr = qr_for(&device, 1);
    let before: ResetCodeResponse = cloud.reset_code(&token, &qr).await.json();

    for mode in [StopMode::Fast, StopMode::Immediate] {
        server.stop(mode);
        let login = json!({"email": "owner@example.com", "password": PASSWORD});
        let answers = [
            cloud.get("/v1/devices", &token).await,
            cloud.reset_code(&token, &qr).await,
            cloud.post("/v1/auth/login", None, login).await,
        ];
        for answer in &answers {
            answer.assert_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable);
            assert_eq!(
                answer.headers["retry-after"], "1",
                "{mode:?}: {:?}",
                answer.body
            );
        }
        // Not ready (the proxy takes it out of rotation), but alive (nothing restarts it).
        cloud
            .call(Method::GET, "/readyz", None, None)
            .await
            .assert_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable);
        assert_eq!(
            cloud.call(Method::GET, "/healthz", None, None).await.status,
            StatusCode::OK,
            "{mode:?}"
        );

        server.start();
        assert_eq!(
            cloud.call(Method::GET, "/readyz", None, None).await.status,
            StatusCode::OK,
            "{mode:?}"
        );
        // The session survived, and the same QR code still gets the same code.
        let again = cloud.reset_code(&token, &qr).await;
        assert_eq!(again.status, StatusCode::OK, "{mode:?}: {:?}", again.body);
        assert_eq!(again.json::<ResetCodeResponse>().code, before.code);
    }

    // Nothing was audited for the requests the outage refused: one row per code given.
    let audit: AuditList = cloud.get("/v1/audit", &token).await.json();
    assert_eq!(audit.events.len(), 3);
    assert!(
        audit
            .events
            .iter()
            .all(|e| e.outcome == AuditOutcome::Issued)
    );
}
