//! Load benchmark (not a test): many concurrent clients on loopback against an in-process cloud on
//! SQLite and on PostgreSQL. Reports requests/s, p50/p99 latency and errors per operation, with
//! `/healthz` measured beside them on the same server in the same run.
//!
//!     cargo bench -p hc-cloud --bench load
//!
//! Environment: `HC_LOAD_SECS` (per backend, default 10), `HC_LOAD_CLIENTS` (per operation,
//! default 8), `HC_LOAD_BACKENDS` (default `sqlite,postgres`), and for PostgreSQL the same
//! `HC_TEST_POSTGRES_URL` / auto-start as the tests. Only 127.0.0.1 is contacted; every loop ends
//! after the given time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hc_cloud::{Config, ProvisionRequest, RateLimits};
use hc_protocol::api::Tokens;
use hc_protocol::factory::DeviceRecord;
use hc_protocol::{Challenge, Nonce};
use hc_testkit::postgres;
use serde_json::json;

const ACCOUNTS: usize = 16;
const PASSWORD: &str = "correct horse battery";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    ResetCode,
    ListDevices,
    Login,
    Healthz,
}

const OPS: [Op; 4] = [Op::ResetCode, Op::ListDevices, Op::Login, Op::Healthz];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::ResetCode => "POST /v1/reset-codes",
            Op::ListDevices => "GET /v1/devices",
            Op::Login => "POST /v1/auth/login",
            Op::Healthz => "GET /healthz",
        }
    }
}

struct Fixture {
    url: String,
    accounts: Vec<(String, String, DeviceRecord)>,
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let seconds = env_number("HC_LOAD_SECS", 10);
    let clients = env_number("HC_LOAD_CLIENTS", 8) as usize;
    let backends =
        std::env::var("HC_LOAD_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    println!(
        "hc-cloud load: {clients} clients per operation ({} in all), {seconds} s per backend, {} cores\n",
        clients * OPS.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for backend in backends.split(',').map(str::trim) {
        runtime.block_on(run_backend(backend, Duration::from_secs(seconds), clients));
    }
}

async fn run_backend(backend: &str, duration: Duration, clients: usize) {
    let data = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_tests(data.path())
        .with_max_db_connections(16)
        .with_rate_limits(RateLimits::unlimited());
    match backend {
        "sqlite" => {}
        "postgres" => {
            let Some(server) = postgres::server() else {
                println!("## postgres: skipped (no PostgreSQL)\n");
                return;
            };
            config = config.with_database_url(server.fresh_database().await);
        }
        other => panic!("unknown backend {other}"),
    }
    let cloud = hc_cloud::launch(config).await.expect("cloud starts");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        let email = format!("load{i}@example.com");
        let device = cloud
            .provision(ProvisionRequest::new(
                format!("L{i:08}"),
                "DS-7608NI-K2/8P",
                "V4.61.005",
            ))
            .await
            .expect("provision");
        http.post(format!("{}/v1/accounts", cloud.url()))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("register");
        let tokens: Tokens = http
            .post(format!("{}/v1/auth/login", cloud.url()))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("tokens");
        let mail = hc_testkit::mail::MailFolder::new(cloud.mail_dir());
        hc_testkit::mail::verify_with(&http, cloud.url(), &tokens.access_token, &mail, &email)
            .await;
        let added = http
            .post(format!("{}/v1/devices", cloud.url()))
            .bearer_auth(&tokens.access_token)
            .json(&json!({"serial": device.serial.as_str(), "label_code": device.label_code.as_str()}))
            .send()
            .await
            .expect("add device");
        assert!(added.status().is_success());
        accounts.push((email, tokens.access_token, device));
    }
    let fixture = Arc::new(Fixture {
        url: cloud.url().to_owned(),
        accounts,
    });

    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for op in OPS {
        for client in 0..clients {
            let fixture = fixture.clone();
            let http = http.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let mut i = client;
                while Instant::now() < deadline {
                    let (email, token, device) = &fixture.accounts[i % fixture.accounts.len()];
                    let request = match op {
                        Op::ResetCode => {
                            let mut nonce = [0u8; 16];
                            nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
                            nonce[8] = client as u8;
                            let qr = Challenge::new(
                                device.serial.clone(),
                                true,
                                1_764_028_800,
                                Nonce::from_bytes(nonce),
                                &device.model,
                                &device.firmware,
                            )
                            .expect("challenge")
                            .to_qr_text(&device.device_key);
                            http.post(format!("{}/v1/reset-codes", fixture.url))
                                .bearer_auth(token)
                                .json(&json!({"qr": qr}))
                        }
                        Op::ListDevices => http
                            .get(format!("{}/v1/devices", fixture.url))
                            .bearer_auth(token),
                        Op::Login => http
                            .post(format!("{}/v1/auth/login", fixture.url))
                            .json(&json!({"email": email, "password": PASSWORD})),
                        Op::Healthz => http.get(format!("{}/healthz", fixture.url)),
                    };
                    let sent = Instant::now();
                    let ok = match request.send().await {
                        Ok(response) => {
                            let ok = response.status().is_success();
                            let _ = response.bytes().await;
                            ok
                        }
                        Err(_) => false,
                    };
                    latencies.push(sent.elapsed());
                    if !ok {
                        errors += 1;
                    }
                    i += clients;
                }
                (op, latencies, errors)
            }));
        }
    }
    let mut results: Vec<(Op, Vec<Duration>, u64)> =
        OPS.iter().map(|&op| (op, Vec::new(), 0)).collect();
    for task in tasks {
        let (op, latencies, errors) = task.await.expect("client task");
        let slot = results.iter_mut().find(|(o, _, _)| *o == op).expect("op");
        slot.1.extend(latencies);
        slot.2 += errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("## {backend}\n");
    println!("| operation | requests | req/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (op, mut latencies, errors) in results {
        latencies.sort();
        let pct = |p: f64| -> f64 {
            if latencies.is_empty() {
                return 0.0;
            }
            let index =
                ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
            latencies[index].as_secs_f64() * 1000.0
        };
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {} |",
            op.name(),
            latencies.len(),
            latencies.len() as f64 / elapsed,
            pct(0.50),
            pct(0.99),
            errors
        );
    }
    println!();
    cloud.shutdown().await;
}
