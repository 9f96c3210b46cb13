//! Reset-code throughput against `/healthz` (issue 18 item 1; not a test): the release `hc-cloud`
//! in its own process pinned to one core, this process (the load generator, and the PostgreSQL
//! server it starts) pinned to the other. One endpoint at a time, on one server in one run:
//!
//! 1. `GET /healthz` (one database round trip), closed loop: its most requests per second;
//! 2. `POST /v1/reset-codes` with a fresh QR code every time (16 accounts, one device each),
//!    closed loop: its most, and the ratio to 1;
//! 3. reset codes again at a fixed rate of half of 2 (open loop): p50 and p99, counted from when
//!    each request was due.
//!
//! Goal: ratio >= 0.40 and p99 < 20 ms in 3, on SQLite and on PostgreSQL. Each backend runs the
//! three phases `HC_BENCH_ROUNDS` times (default 3) on the same server.
//!
//!     cargo bench -p hc-cloud --bench reset_codes
//!
//! Environment: `HC_BENCH_SECS` (per phase, default 10), `HC_BENCH_CONNECTIONS` (closed loop,
//! default 32), `HC_BENCH_BACKENDS` (default `sqlite,postgres`), `HC_BENCH_SERVER_CPU` and
//! `HC_BENCH_CLIENT_CPU` (default 0 and 1), and for PostgreSQL the test kit's
//! `HC_TEST_POSTGRES_URL` or its own server. SQLite with the service's default settings (WAL,
//! `synchronous=NORMAL`); every rate limit raised out of the way.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use common::{Endpoint, Load, env_number};
use hc_cloud::Config;
use hc_testkit::postgres;

const OWNERS: usize = 16;

fn main() {
    let cpus = common::pin_this_process();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let secs = env_number("HC_BENCH_SECS", 10);
    let rounds = env_number("HC_BENCH_ROUNDS", 3);
    let connections = env_number("HC_BENCH_CONNECTIONS", 32) as usize;
    let backends =
        std::env::var("HC_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    match cpus {
        Some((server, client)) => println!(
            "reset codes vs /healthz: hc-cloud on CPU {server}, load generator on CPU {client}; \
             {connections} connections, {secs} s per phase, {rounds} rounds"
        ),
        None => println!("reset codes vs /healthz: NOT PINNED (no taskset)"),
    }
    for backend in backends.split(',').map(str::trim) {
        runtime.block_on(run_backend(
            backend,
            cpus.map(|(server, _)| server),
            Duration::from_secs(secs),
            rounds,
            connections,
        ));
    }
}

async fn run_backend(
    backend: &str,
    server_cpu: Option<u64>,
    duration: Duration,
    rounds: u64,
    connections: usize,
) {
    let data = tempfile::tempdir().expect("temp dir");
    let mut config = Config::new(data.path());
    match backend {
        "sqlite" => {}
        "postgres" => {
            let Some(server) = postgres::server() else {
                println!("\n## postgres: skipped (no PostgreSQL)");
                return;
            };
            config = config.with_database_url(server.fresh_database().await);
        }
        other => panic!("unknown backend {other}"),
    }
    let devices = common::provision(&config, 'R', OWNERS).await;
    let server = common::start_server(data.path(), &config.database_url(), server_cpu);
    let owners =
        Arc::new(common::owners(&server.url, &data.path().join("mail"), devices, "owner").await);
    let sequence = Arc::new(AtomicU64::new(0));
    let closed = Load::Closed { connections };

    println!("\n## {backend}\n");
    println!(
        "| round | /healthz req/s | reset codes req/s | ratio | open-loop rate | p50 ms | p99 ms | errors |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for round in 1..=rounds {
        let run = |endpoint, load| {
            common::run(
                server.addr,
                owners.clone(),
                endpoint,
                load,
                duration,
                sequence.clone(),
            )
        };
        let health = run(Endpoint::Healthz, closed).await;
        let most = run(Endpoint::ResetCode, closed).await;
        let per_sec = (most.rate() / 2.0).max(1.0);
        let half = run(
            Endpoint::ResetCode,
            Load::Open {
                connections: 2 * connections,
                per_sec,
            },
        )
        .await;
        println!(
            "| {round} | {:.0} | {:.0} | {:.2} | {per_sec:.0}/s | {:.1} | {:.1} | {} |",
            health.rate(),
            most.rate(),
            most.rate() / health.rate(),
            half.ms(0.50),
            half.ms(0.99),
            health.errors + most.errors + half.errors,
        );
    }
    drop(server);
}
