//! Login flood soak (not a test, issue 14 item 2): the release `hc-cloud` binary in its own process
//! on SQLite, 64 connections posting logins with random emails as fast as it answers, and one
//! honest user logging in once a second meanwhile. Reports the server's RSS (from
//! `/proc/PID/status`) before, during (highest sample and the kernel's high-water mark) and after
//! the flood, the honest logins' latency (503 retries after `Retry-After` included), and the
//! flood's answers by status. Goal: RSS under 256 MiB, every honest login succeeds.
//!
//!     cargo bench -p hc-cloud --bench login_flood
//!
//! Three scenarios, each on a fresh server:
//! - `shipped limits`: the flood comes from one address (127.0.0.2) and meets the per-address
//!   login limit;
//! - `one address, no address limit`: the same with the per-address limit lifted, so every
//!   request reaches the password hashing (its bound is what holds);
//! - `64 addresses, no address limit`: each connection from an address of its own
//!   (127.0.0.2-65), a botnet's worth, where only the global bound holds.
//!
//! Environment: `HC_FLOOD_SECS` (per scenario, default 12), `HC_FLOOD_CONNECTIONS` (default 64).
//! Only loopback addresses are contacted; the server is killed at the end of each scenario.

use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";
const HONEST: &str = "honest@example.com";

struct Scenario {
    name: &'static str,
    lift_address_limit: bool,
    addresses: u8,
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let secs = env_number("HC_FLOOD_SECS", 12);
    let connections = env_number("HC_FLOOD_CONNECTIONS", 64) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "login flood: {connections} connections, {secs} s per scenario, release hc-cloud on SQLite"
    );
    for scenario in [
        Scenario {
            name: "shipped limits",
            lift_address_limit: false,
            addresses: 1,
        },
        Scenario {
            name: "one address, no address limit",
            lift_address_limit: true,
            addresses: 1,
        },
        Scenario {
            name: "64 addresses, no address limit",
            lift_address_limit: true,
            addresses: 64,
        },
    ] {
        runtime.block_on(run(&scenario, Duration::from_secs(secs), connections));
    }
}

struct Server {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(lift_address_limit: bool) -> Server {
    let data = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_hc-cloud"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if lift_address_limit {
        command.args([
            "--rate-limit-login-addr",
            "4000000000",
            "--rate-limit-login",
            "4000000000",
        ]);
    }
    let mut child = command.spawn().expect("hc-cloud starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let url = line
        .trim()
        .strip_prefix("hc-cloud listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Server {
        child,
        url,
        _data: data,
    }
}

/// Resident set size and its high-water mark, in MiB.
fn rss(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn client(from: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from)
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

async fn run(scenario: &Scenario, duration: Duration, connections: usize) {
    let server = start(scenario.lift_address_limit);
    let pid = server.child.id();
    let honest_client = client(IpAddr::from([127, 0, 0, 1]));
    let registered = honest_client
        .post(format!("{}/v1/accounts", server.url))
        .json(&json!({"email": HONEST, "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), 201);
    // One login before, so the first argon2 allocations are counted in "before".
    honest_login(&honest_client, &server.url).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (before, _) = rss(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let flooders: Vec<_> = (0..connections)
        .map(|i| {
            let stop = stop.clone();
            let url = server.url.clone();
            let octet = 2 + (i % usize::from(scenario.addresses)) as u8;
            tokio::spawn(async move {
                let http = client(IpAddr::from([127, 0, 0, octet]));
                let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
                while !stop.load(Ordering::Relaxed) {
                    let email = format!("{:016x}@example.com", rand::rng().random::<u64>());
                    let status = match http
                        .post(format!("{url}/v1/auth/login"))
                        .json(&json!({"email": email, "password": "guess guess"}))
                        .send()
                        .await
                    {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let _ = response.bytes().await;
                            status
                        }
                        Err(_) => 0,
                    };
                    *statuses.entry(status).or_default() += 1;
                }
                statuses
            })
        })
        .collect();

    let started = Instant::now();
    let mut during_max = 0.0f64;
    let mut honest = Vec::new();
    let mut next_honest = started + Duration::from_secs(2);
    while started.elapsed() < duration {
        during_max = during_max.max(rss(pid).0);
        if Instant::now() >= next_honest {
            honest.push(honest_login(&honest_client, &server.url).await);
            next_honest = Instant::now() + Duration::from_secs(1);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
    for flooder in flooders {
        for (status, count) in flooder.await.expect("flooder") {
            *statuses.entry(status).or_default() += count;
        }
    }
    let (_, high_water) = rss(pid);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (after, _) = rss(pid);
    let after_login = honest_login(&honest_client, &server.url).await;

    let ok: Vec<&Honest> = honest.iter().filter(|h| h.ok).collect();
    let mut latencies: Vec<f64> = ok
        .iter()
        .map(|h| h.latency.as_secs_f64() * 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let total: u64 = statuses.values().sum();
    println!("\n### {}", scenario.name);
    println!(
        "RSS MiB: before {before:.1}, during (max sample) {during_max:.1}, high-water {high_water:.1}, 3 s after {after:.1}"
    );
    println!(
        "honest logins during the flood: {}/{} succeeded; latency ms p50 {:.0}, max {:.0}; retries after 503: {}; after the flood: {}",
        ok.len(),
        honest.len(),
        pick(0.5),
        pick(1.0),
        honest.iter().map(|h| h.retries).sum::<u32>(),
        if after_login.ok { "ok" } else { "FAILED" }
    );
    println!(
        "flood: {total} requests ({:.0}/s), by status: {}",
        total as f64 / duration.as_secs_f64(),
        statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

struct Honest {
    ok: bool,
    latency: Duration,
    retries: u32,
}

/// One honest login as an app would do it: on 503 wait `Retry-After` and try again, up to 20
/// times.
async fn honest_login(http: &reqwest::Client, url: &str) -> Honest {
    let started = Instant::now();
    let mut retries = 0;
    loop {
        let response = http
            .post(format!("{url}/v1/auth/login"))
            .json(&json!({"email": HONEST, "password": PASSWORD}))
            .send()
            .await;
        let (status, retry_after) = match response {
            Ok(response) => {
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(1);
                let status = response.status().as_u16();
                let _ = response.bytes().await;
                (status, retry_after)
            }
            Err(_) => (0, 1),
        };
        if status == 200 || status != 503 || retries >= 20 {
            return Honest {
                ok: status == 200,
                latency: started.elapsed(),
                retries,
            };
        }
        retries += 1;
        tokio::time::sleep(Duration::from_secs(retry_after)).await;
    }
}
