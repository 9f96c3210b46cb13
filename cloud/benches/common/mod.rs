//! What the cloud's process benchmarks share (`reset_codes`, `scale`): the release `hc-cloud` in a
//! process of its own, pinned to one core; a lean HTTP/1.1 load generator on another core (raw
//! keep-alive connections, so the generator costs far less per request than the server); the
//! accounts and devices a run needs; and the latency summary. Only loopback is contacted.

#![allow(dead_code)] // each bench uses its own part

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hc_cloud::{Config, ProvisionRequest};
use hc_protocol::factory::DeviceRecord;
use hc_protocol::{Challenge, Nonce};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const PASSWORD: &str = "correct horse battery";
/// Every limit, raised out of the way: a benchmark measures the work, not the limits.
const NO_LIMIT: &str = "4000000000";

pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The CPU the server runs on and the one this process (the load generator, and the PostgreSQL
/// server it starts) runs on: `HC_BENCH_SERVER_CPU` (default 0) and `HC_BENCH_CLIENT_CPU`
/// (default 1). Pins every thread of this process; call it before any runtime starts. Without
/// `taskset` nothing is pinned (and the report says so).
pub fn pin_this_process() -> Option<(u64, u64)> {
    let server = env_number("HC_BENCH_SERVER_CPU", 0);
    let client = env_number("HC_BENCH_CLIENT_CPU", 1);
    let pinned = Command::new("taskset")
        .args(["-a", "-p", "-c", &client.to_string()])
        .arg(std::process::id().to_string())
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    pinned.then_some((server, client))
}

/// The release `hc-cloud` serving `data_dir` and `database_url`, on 127.0.0.1, every limit
/// raised, logging warnings only; killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    pub addr: std::net::SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_server(data_dir: &Path, database_url: &str, cpu: Option<u64>) -> Server {
    let binary = env!("CARGO_BIN_EXE_hc-cloud");
    let mut command = match cpu {
        Some(cpu) => {
            let mut command = Command::new("taskset");
            command.args(["-c", &cpu.to_string(), binary]);
            command
        }
        None => Command::new(binary),
    };
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(["--database-url", database_url])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for flag in [
        "--rate-limit-account",
        "--rate-limit-device",
        "--rate-limit-add-device",
        "--rate-limit-login",
        "--rate-limit-login-addr",
        "--rate-limit-register",
        "--rate-limit-register-email",
        "--rate-limit-unverified-addr",
    ] {
        command.args([flag, NO_LIMIT]);
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
    let addr = url
        .trim_start_matches("http://")
        .parse()
        .expect("a socket address");
    Server { child, url, addr }
}

/// Provisions `count` devices (serials `{prefix}00000001`...) into the database `config` names,
/// as the factory does, before the server starts.
pub async fn provision(config: &Config, prefix: char, count: usize) -> Vec<DeviceRecord> {
    let (storage, master_key) = hc_cloud::server::open(config).await.expect("database");
    let mut devices = Vec::new();
    for i in 0..count {
        let request = ProvisionRequest::new(
            format!("{prefix}{:08}", i + 1),
            "DS-7608NI-K2/8P",
            "V4.61.005",
        );
        devices.push(
            hc_cloud::provision::provision_into(storage.as_ref(), &master_key, request)
                .await
                .expect("provision"),
        );
    }
    storage.close().await;
    devices
}

/// An account that owns one device: what each request of a run is made with.
pub struct Owner {
    pub email: String,
    pub access_token: String,
    pub device: DeviceRecord,
}

/// Registers one account per device, logs it in, verifies its address with the code the server
/// wrote to `mail_dir`, and adds its device, through the API.
pub async fn owners(
    url: &str,
    mail_dir: &std::path::Path,
    devices: Vec<DeviceRecord>,
    prefix: &str,
) -> Vec<Owner> {
    let mail = hc_testkit::mail::MailFolder::new(mail_dir);
    let http = reqwest::Client::new();
    let mut owners = Vec::new();
    for (i, device) in devices.into_iter().enumerate() {
        let email = format!("{prefix}{i}@example.com");
        let credentials = serde_json::json!({"email": email, "password": PASSWORD});
        let created = http
            .post(format!("{url}/v1/accounts"))
            .json(&credentials)
            .send()
            .await
            .expect("register");
        assert!(
            created.status().is_success(),
            "register: {}",
            created.status()
        );
        let tokens: hc_protocol::api::Tokens = http
            .post(format!("{url}/v1/auth/login"))
            .json(&credentials)
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("tokens");
        hc_testkit::mail::verify_with(&http, url, &tokens.access_token, &mail, &email).await;
        let added = http
            .post(format!("{url}/v1/devices"))
            .bearer_auth(&tokens.access_token)
            .json(&serde_json::json!({
                "serial": device.serial.as_str(),
                "label_code": device.label_code.as_str(),
            }))
            .send()
            .await
            .expect("add device");
        assert!(
            added.status().is_success(),
            "add device: {}",
            added.status()
        );
        owners.push(Owner {
            email,
            access_token: tokens.access_token,
            device,
        });
    }
    owners
}

/// What a run sends: the `n`-th request's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Healthz,
    ResetCode,
    ListDevices,
    ListAudit,
    Login,
}

impl Endpoint {
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Healthz => "GET /healthz",
            Endpoint::ResetCode => "POST /v1/reset-codes",
            Endpoint::ListDevices => "GET /v1/devices",
            Endpoint::ListAudit => "GET /v1/audit",
            Endpoint::Login => "POST /v1/auth/login",
        }
    }

    /// The `n`-th request: owners in turn, and for reset codes a fresh nonce every time (a QR
    /// the owner's device would show).
    pub fn request(self, owners: &[Owner], n: u64) -> Vec<u8> {
        let owner = &owners[(n % owners.len() as u64) as usize];
        match self {
            Endpoint::Healthz => get("/healthz", None),
            Endpoint::ListDevices => get("/v1/devices", Some(&owner.access_token)),
            Endpoint::ListAudit => get("/v1/audit?limit=20", Some(&owner.access_token)),
            Endpoint::Login => post(
                "/v1/auth/login",
                None,
                &serde_json::json!({"email": owner.email, "password": PASSWORD}).to_string(),
            ),
            Endpoint::ResetCode => {
                let mut nonce = [0u8; 16];
                nonce[..8].copy_from_slice(&n.to_be_bytes());
                nonce[8..].copy_from_slice(&std::process::id().to_be_bytes().repeat(2));
                let device = &owner.device;
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
                post(
                    "/v1/reset-codes",
                    Some(&owner.access_token),
                    &serde_json::json!({ "qr": qr }).to_string(),
                )
            }
        }
    }
}

fn get(path: &str, token: Option<&str>) -> Vec<u8> {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n").into_bytes()
}

fn post(path: &str, token: Option<&str>, body: &str) -> Vec<u8> {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One keep-alive HTTP/1.1 connection that sends a request and reads its whole answer.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(addr: std::net::SocketAddr) -> Connection {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Connection {
            stream,
            buffer: Vec::with_capacity(4096),
        }
    }

    /// The status of the answer, once its body has been read.
    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<u16> {
        self.stream.write_all(request).await?;
        self.buffer.clear();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..end]).unwrap_or("");
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let length: usize = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while self.buffer.len() < end + 4 + length {
                    let n = self.stream.read(&mut chunk).await?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    self.buffer.extend_from_slice(&chunk[..n]);
                }
                return Ok(status);
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What one phase measured.
#[derive(Debug)]
pub struct Measured {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Sorted.
    pub latencies: Vec<Duration>,
}

impl Measured {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`-quantile latency in milliseconds.
    pub fn ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let index =
            ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[index].as_secs_f64() * 1000.0
    }
}

/// How requests are sent.
#[derive(Clone, Copy, Debug)]
pub enum Load {
    /// `connections` clients, each sending its next request as soon as the last is answered:
    /// the most the server does.
    Closed { connections: usize },
    /// Requests start at a fixed rate whatever the server does (spread over `connections`);
    /// latency counts from when a request was due, so a stalled server is not forgiven (the
    /// wrk2 way).
    Open { connections: usize, per_sec: f64 },
}

/// Runs `endpoint` under `load` for `duration` (after a second's warm-up that is not counted).
pub async fn run(
    addr: std::net::SocketAddr,
    owners: Arc<Vec<Owner>>,
    endpoint: Endpoint,
    load: Load,
    duration: Duration,
    sequence: Arc<AtomicU64>,
) -> Measured {
    let (connections, per_sec) = match load {
        Load::Closed { connections } => (connections, None),
        Load::Open {
            connections,
            per_sec,
        } => (connections, Some(per_sec)),
    };
    let warm_up = Duration::from_secs(1);
    let start = Instant::now() + warm_up;
    let end = start + duration;
    let due_count = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let owners = owners.clone();
            let sequence = sequence.clone();
            let due_count = due_count.clone();
            tokio::spawn(async move {
                let mut connection = Connection::open(addr).await;
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                loop {
                    let n = sequence.fetch_add(1, Ordering::Relaxed);
                    let request = endpoint.request(&owners, n);
                    let due = match per_sec {
                        None => Instant::now(),
                        Some(rate) => {
                            // Warm-up runs at the same rate; the k-th request is due at k/rate.
                            let k = due_count.fetch_add(1, Ordering::Relaxed);
                            let due = start - warm_up + Duration::from_secs_f64(k as f64 / rate);
                            tokio::time::sleep_until(due.into()).await;
                            due
                        }
                    };
                    if due >= end {
                        break;
                    }
                    let ok = matches!(connection.exchange(&request).await, Ok(200..=299));
                    if !ok {
                        // A broken connection is replaced; the failure is counted.
                        connection = Connection::open(addr).await;
                    }
                    if due >= start {
                        latencies.push(due.elapsed());
                        errors += u64::from(!ok);
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (mine, failed) = task.await.expect("load task");
        latencies.extend(mine);
        errors += failed;
    }
    latencies.sort();
    Measured {
        requests: latencies.len() as u64,
        errors,
        elapsed: duration,
        latencies,
    }
}
