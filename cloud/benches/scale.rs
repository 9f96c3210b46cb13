//! Cost that does not grow with the data (issue 18 item 2; not a test): the same requests against
//! an empty database and against one filled in bulk to a production-like size, on SQLite and on
//! PostgreSQL, the release `hc-cloud` in its own process pinned to one core (as in
//! `reset_codes`). Goal: p50 of the full database within 1.5x of the empty one.
//!
//! The fill is generated SQL run straight on the database (recursive CTE on SQLite,
//! `generate_series` on PostgreSQL), not the API: `HC_SCALE_ACCOUNTS` accounts (default 10^6),
//! each with a bound device, a session and a live access token, and a reset-code counter in the
//! current window; `HC_SCALE_AUDIT` audit rows (default 10^7) spread over those accounts. Then
//! eight accounts of the run's own are made through the API and measured, one endpoint at a time:
//! reset codes, the device list and the audit listing (4 connections), login (1 connection:
//! argon2 as configured).
//!
//!     TMPDIR=/somewhere/with/10GB cargo bench -p hc-cloud --bench scale
//!
//! The databases live in `TMPDIR` (the PostgreSQL server the test kit starts, too) and are
//! deleted at the end. Environment also: `HC_BENCH_SECS` (per endpoint, default 5),
//! `HC_BENCH_BACKENDS`, `HC_BENCH_SERVER_CPU`, `HC_BENCH_CLIENT_CPU`, `HC_TEST_POSTGRES_URL`.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use common::{Endpoint, Load, Measured, env_number};
use hc_cloud::Config;
use hc_testkit::postgres;
use sqlx::Connection;

const OWNERS: usize = 8;

struct Size {
    accounts: u64,
    audit_rows: u64,
}

fn main() {
    let cpus = common::pin_this_process();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let secs = env_number("HC_BENCH_SECS", 5);
    let size = Size {
        accounts: env_number("HC_SCALE_ACCOUNTS", 1_000_000),
        audit_rows: env_number("HC_SCALE_AUDIT", 10_000_000),
    };
    let backends =
        std::env::var("HC_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    println!(
        "scale: empty vs {} accounts/devices/sessions and {} audit rows; {}; {secs} s per endpoint",
        size.accounts,
        size.audit_rows,
        match cpus {
            Some((server, client)) =>
                format!("hc-cloud on CPU {server}, generator on CPU {client}"),
            None => "NOT PINNED (no taskset)".to_owned(),
        }
    );
    for backend in backends.split(',').map(str::trim) {
        runtime.block_on(async {
            let server_cpu = cpus.map(|(server, _)| server);
            let duration = Duration::from_secs(secs);
            let Some(empty) = measure(backend, None, server_cpu, duration).await else {
                return;
            };
            let full = measure(backend, Some(&size), server_cpu, duration)
                .await
                .expect("the backend ran a moment ago");
            println!("\n## {backend}\n");
            println!(
                "| endpoint | empty p50 ms | full p50 ms | full/empty | empty p99 ms | full p99 ms | empty req/s | full req/s | errors |"
            );
            println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            for ((endpoint, e), (_, f)) in empty.iter().zip(&full) {
                println!(
                    "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.0} | {} |",
                    endpoint.name(),
                    e.ms(0.5),
                    f.ms(0.5),
                    f.ms(0.5) / e.ms(0.5),
                    e.ms(0.99),
                    f.ms(0.99),
                    e.rate(),
                    f.rate(),
                    e.errors + f.errors
                );
            }
        });
    }
}

/// One database (empty, or filled to `size`), one server, every endpoint in turn. `None` when
/// the backend is not available here.
async fn measure(
    backend: &str,
    size: Option<&Size>,
    server_cpu: Option<u64>,
    duration: Duration,
) -> Option<Vec<(Endpoint, Measured)>> {
    let data = tempfile::tempdir().expect("temp dir");
    let mut config = Config::new(data.path());
    match backend {
        "sqlite" => {}
        "postgres" => {
            let Some(server) = postgres::server() else {
                println!("\n## postgres: skipped (no PostgreSQL)");
                return None;
            };
            config = config.with_database_url(server.fresh_database().await);
        }
        other => panic!("unknown backend {other}"),
    }
    // Migrated by the service's own code first, then filled.
    let (storage, _) = hc_cloud::server::open(&config).await.expect("database");
    storage.close().await;
    if let Some(size) = size {
        let started = Instant::now();
        fill(&config.database_url(), size).await;
        println!(
            "{backend}: filled in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    if size.is_some() {
        print_plans(&config.database_url()).await;
    }
    let devices = common::provision(&config, 'S', OWNERS).await;
    let server = common::start_server(data.path(), &config.database_url(), server_cpu);
    let owners =
        Arc::new(common::owners(&server.url, &data.path().join("mail"), devices, "measured").await);
    let sequence = Arc::new(AtomicU64::new(0));
    let mut results = Vec::new();
    for (endpoint, connections) in [
        (Endpoint::ResetCode, 4),
        (Endpoint::ListDevices, 4),
        (Endpoint::ListAudit, 4),
        (Endpoint::Login, 1),
    ] {
        let measured = common::run(
            server.addr,
            owners.clone(),
            endpoint,
            Load::Closed { connections },
            duration,
            sequence.clone(),
        )
        .await;
        results.push((endpoint, measured));
    }
    drop(server);
    Some(results)
}

/// Fills a migrated database in bulk, in generated SQL.
async fn fill(url: &str, size: &Size) {
    let password_hash = hc_cloud::crypto::hash_password(common::PASSWORD).expect("hash");
    let now = hc_cloud::state::unix_now();
    let window = hc_cloud::rate_limit::window_start(now, Duration::from_secs(3600));
    let accounts = size.accounts;
    let audit = size.audit_rows;
    // Audit rows spread over the last 300 days (inside the default retention), oldest first.
    let spacing = (300 * 24 * 3600 / audit.max(1)).max(1);
    let oldest = now - i64::try_from(spacing * audit).unwrap_or(0);
    if url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(url).await.expect("connect");
        let n = |count: u64| {
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})"
            )
        };
        let statements = [
            "PRAGMA cache_size = -1000000".to_owned(),
            "PRAGMA journal_mode = OFF".to_owned(),
            "PRAGMA synchronous = OFF".to_owned(),
            "BEGIN".to_owned(),
            format!(
                "{} INSERT INTO accounts (email, password_hash, created_at, email_verified_at)
                 SELECT 'bulk' || i || '@example.com', '{password_hash}', {now}, {now} FROM n",
                n(accounts)
            ),
            format!(
                "{} INSERT INTO devices (serial, model, firmware, sealed_key, label_hash,
                                         provisioned_at, owner_account_id, name, added_at)
                 SELECT printf('B%08d', i), 'DS-7608NI-K2/8P', 'V4.61.005', randomblob(60),
                        randomblob(32), {now}, i, 'NVR ' || i, {now} FROM n",
                n(accounts)
            ),
            format!(
                "{} INSERT INTO sessions (account_id, created_at) SELECT i, {now} FROM n",
                n(accounts)
            ),
            format!(
                "{} INSERT INTO access_tokens (token_hash, session_id, account_id, expires_at)
                 SELECT randomblob(32), i, i, {} FROM n",
                n(accounts),
                now + 900
            ),
            format!(
                "{} INSERT INTO rate_limit_hits (bucket, window_start, hits)
                 SELECT 'reset-codes:account:' || i, {window}, 1 FROM n",
                n(accounts)
            ),
            format!(
                "{} INSERT INTO audit_events (account_id, at, serial, nonce, outcome, client_addr, count)
                 SELECT i % {accounts} + 1, {oldest} + i * {spacing}, printf('B%08d', i % {accounts} + 1),
                        printf('%032x', i), 'issued', '203.0.113.' || (i % 250), 1 FROM n",
                n(audit)
            ),
            "COMMIT".to_owned(),
        ];
        for statement in statements {
            sqlx::raw_sql(&statement)
                .execute(&mut db)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        db.close().await.expect("close");
    } else {
        let mut db = sqlx::PgConnection::connect(url).await.expect("connect");
        let statements = [
            format!(
                "INSERT INTO accounts (email, password_hash, created_at, email_verified_at)
                 SELECT 'bulk' || i || '@example.com', '{password_hash}', {now}, {now}
                 FROM generate_series(1, {accounts}) i"
            ),
            format!(
                "INSERT INTO devices (serial, model, firmware, sealed_key, label_hash,
                                      provisioned_at, owner_account_id, name, added_at)
                 SELECT 'B' || lpad(i::text, 8, '0'), 'DS-7608NI-K2/8P', 'V4.61.005',
                        sha256(('k' || i)::bytea) || sha256(('l' || i)::bytea),
                        sha256(('h' || i)::bytea), {now}, i, 'NVR ' || i, {now}
                 FROM generate_series(1, {accounts}) i"
            ),
            format!(
                "INSERT INTO sessions (account_id, created_at)
                 SELECT i, {now} FROM generate_series(1, {accounts}) i"
            ),
            format!(
                "INSERT INTO access_tokens (token_hash, session_id, account_id, expires_at)
                 SELECT sha256(('t' || i)::bytea), i, i, {} FROM generate_series(1, {accounts}) i",
                now + 900
            ),
            format!(
                "INSERT INTO rate_limit_hits (bucket, window_start, hits)
                 SELECT 'reset-codes:account:' || i, {window}, 1 FROM generate_series(1, {accounts}) i"
            ),
            format!(
                "INSERT INTO audit_events (account_id, at, serial, nonce, outcome, client_addr, count)
                 SELECT i % {accounts} + 1, {oldest} + i * {spacing},
                        'B' || lpad((i % {accounts} + 1)::text, 8, '0'),
                        lpad(to_hex(i), 32, '0'), 'issued', '203.0.113.' || (i % 250), 1
                 FROM generate_series(1, {audit}) i"
            ),
            // What autovacuum would have done by the time a database is this big.
            "VACUUM ANALYZE".to_owned(),
        ];
        for statement in statements {
            sqlx::raw_sql(&statement)
                .execute(&mut db)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        db.close().await.expect("close");
    }
}

/// The plans of the hot reads on the filled database (the statements of `storage/queries.rs`
/// with values in place of their parameters), for `docs/benchmarks.md`.
async fn print_plans(url: &str) {
    let statements = [
        (
            "reset-code read (token + device)",
            "SELECT t.account_id, d.serial, d.model, d.firmware, d.sealed_key, d.label_hash,
                    d.owner_account_id, d.name, d.added_at
             FROM access_tokens t JOIN sessions s ON s.id = t.session_id
             LEFT JOIN devices d ON d.serial = 'B00000042'
             WHERE t.token_hash = X'00' AND t.expires_at > 0 AND s.revoked_at IS NULL",
        ),
        (
            "access token (every authenticated call)",
            "SELECT t.account_id FROM access_tokens t JOIN sessions s ON s.id = t.session_id
             WHERE t.token_hash = X'00' AND t.expires_at > 0 AND s.revoked_at IS NULL",
        ),
        (
            "rate-limit counter",
            "SELECT hits FROM rate_limit_hits WHERE bucket = 'reset-codes:account:42' AND window_start = WINDOW",
        ),
        (
            "device list",
            "SELECT serial, name, model, added_at FROM devices
             WHERE owner_account_id = 42 ORDER BY added_at, serial",
        ),
        (
            "login",
            "SELECT id, password_hash FROM accounts WHERE email = 'bulk42@example.com'",
        ),
        (
            "audit listing",
            "SELECT id, at, serial, nonce, outcome, client_addr, count FROM audit_events
             WHERE account_id = 42 ORDER BY id DESC LIMIT 20",
        ),
    ];
    let sqlite = url.starts_with("sqlite:");
    for (name, statement) in statements {
        // The current window: the one the fill's counters are in.
        let window = hc_cloud::rate_limit::window_start(
            hc_cloud::state::unix_now(),
            Duration::from_secs(3600),
        );
        let statement = statement.replace("WINDOW", &window.to_string());
        let (explain, statement) = if sqlite {
            ("EXPLAIN QUERY PLAN", statement)
        } else {
            // PostgreSQL spells a blob literal differently.
            ("EXPLAIN", statement.replace("X'00'", "'\\x00'::bytea"))
        };
        let query = format!("{explain} {statement}");
        let lines: Vec<String> = if sqlite {
            let mut db = sqlx::SqliteConnection::connect(url).await.expect("connect");
            use sqlx::Row;
            sqlx::query(&query)
                .fetch_all(&mut db)
                .await
                .expect("plan")
                .iter()
                .map(|row| row.get::<String, _>("detail"))
                .collect()
        } else {
            let mut db = sqlx::PgConnection::connect(url).await.expect("connect");
            sqlx::query_scalar::<_, String>(&query)
                .fetch_all(&mut db)
                .await
                .expect("plan")
        };
        println!("plan, {name}:");
        for line in lines {
            println!("    {line}");
        }
    }
}
