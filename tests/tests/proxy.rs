//! The production shape (`docs/operations.md`): three `hc-cloud` instances on one PostgreSQL
//! behind HAProxy, which terminates TLS with the test CA and tells the instances who the client
//! is (`X-Forwarded-For`, trusted only from the proxy's address, `--trusted-proxy`).
//!
//! Phones (the real `hc-core` client, the test CA as extra root) and their NVRs know only the
//! proxy's URL. They run the whole reset flow again and again while one instance is SIGKILLed
//! and, a moment later, started again on its port. What must hold:
//!
//! 1. Phones see only what an outage may cause (`Network`, or `unavailable` from the proxy or an
//!    instance), and carry on; the restarted instance is back in the proxy's rotation.
//! 2. No accepted code is lost: every code a phone received is taken by its NVR, and has its
//!    `issued` audit row, naming the phone's address, not the proxy's. No row is invented.
//! 3. Limits hold across the instances and count real clients: a client behind the proxy gets
//!    exactly the per-address registration limit, spread over three instances, whatever address
//!    it claims in its own `X-Forwarded-For`; another client behind the same proxy is not
//!    held back by it.
//!
//! Needs HAProxy (`scripts/install-test-deps.sh` installs it) and PostgreSQL: without them it is
//! skipped with a note, and with `CI` set it fails. A few seconds of load (`HC_PROXY_SECS`,
//! default 4; `HC_PROXY_PHONES`, default 4).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hc_cloud::forwarded::TrustedProxies;
use hc_cloud::{Config, RateLimits};
use hc_core::HcError;
use hc_protocol::api::{AuditOutcome, ErrorCode};
use hc_testkit::cloud_process::CloudProcess;
use hc_testkit::haproxy::{self, HaProxy, PROXY_SOURCE};
use hc_testkit::{ACCOUNT_PASSWORD, Nvr, OwnerWithNvr, TestCa, World, postgres};

const INSTANCES: usize = 3;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One instance: its configuration (a fixed port, so a restart comes back where the proxy looks)
/// and the process while it runs.
struct Instance {
    config: Config,
    log: std::path::PathBuf,
    process: Option<CloudProcess>,
}

impl Instance {
    async fn spawn(config: Config, log: std::path::PathBuf) -> Instance {
        let process = spawn(&config, &log).await.unwrap_or_else(|e| panic!("{e}"));
        let addr: SocketAddr = process.url().trim_start_matches("http://").parse().unwrap();
        Instance {
            config: config.with_listen(addr),
            log,
            process: Some(process),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.config.listen
    }

    fn kill(&mut self) {
        if let Some(process) = self.process.take() {
            process.kill();
        }
    }

    /// Starts it again on the same port (which the killed process may hold a moment longer).
    async fn restart(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match spawn(&self.config, &self.log).await {
                Ok(process) => {
                    self.process = Some(process);
                    return;
                }
                Err(error) if Instant::now() < deadline => {
                    eprintln!("instance restart: {error}; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("the instance did not restart: {error}"),
            }
        }
    }
}

async fn spawn(config: &Config, log: &std::path::Path) -> Result<CloudProcess, String> {
    let config = config.clone();
    let log = log.to_owned();
    tokio::task::spawn_blocking(move || CloudProcess::spawn(&config, &log))
        .await
        .unwrap()
}

/// One QR code a phone asked the cloud about.
struct Ask {
    nonce: String,
    code: Option<String>,
}

struct Phone {
    email: String,
    app: hc_core::HcClient,
    nvr: Nvr,
    asks: Vec<Ask>,
}

struct Tally {
    /// When the phones stop starting new rounds; the restart moves it on, so that the phones
    /// carry on for a while with the instance back.
    until: std::sync::Mutex<Instant>,
    codes: AtomicU64,
    accepted: AtomicU64,
    outage_errors: AtomicU64,
    other_errors: AtomicU64,
    /// Codes received after the killed instance was started again.
    codes_after_restart: AtomicU64,
    restarted: std::sync::atomic::AtomicBool,
}

impl Tally {
    fn new(until: Instant) -> Tally {
        Tally {
            until: std::sync::Mutex::new(until),
            codes: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            outage_errors: AtomicU64::new(0),
            other_errors: AtomicU64::new(0),
            codes_after_restart: AtomicU64::new(0),
            restarted: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn until(&self) -> Instant {
        *self.until.lock().unwrap()
    }

    /// Counts an error; `true` when an outage may cause it (and the phone should ask again).
    fn error(&self, error: &HcError) -> bool {
        let outage = matches!(
            error,
            HcError::Network { .. }
                | HcError::Server {
                    status: 502..=504,
                    code: ErrorCode::Unavailable,
                    ..
                }
        );
        if outage {
            self.outage_errors.fetch_add(1, Ordering::Relaxed);
        } else {
            eprintln!("unexpected error: {error:?}");
            self.other_errors.fetch_add(1, Ordering::Relaxed);
        }
        outage
    }
}

/// One phone's loop until the run's end: list devices, show the QR on the NVR, ask for the code
/// (again with the same QR after an outage error), type it on the NVR.
async fn run_phone(mut phone: Phone, tally: Arc<Tally>) -> Phone {
    while Instant::now() < tally.until() {
        if let Err(error) = phone.app.devices(true).await {
            tally.error(&error);
        }
        let qr = phone.nvr.show_reset_qr().await;
        let nonce = hc_protocol::parse_qr(&qr)
            .expect("the NVR shows a valid QR code")
            .challenge()
            .nonce
            .to_hex();
        let mut ask = Ask { nonce, code: None };
        loop {
            match phone.app.request_reset_code(qr.clone()).await {
                Ok(info) => {
                    tally.codes.fetch_add(1, Ordering::Relaxed);
                    if tally.restarted.load(Ordering::Relaxed) {
                        tally.codes_after_restart.fetch_add(1, Ordering::Relaxed);
                    }
                    match phone.nvr.enter_code(&info.code).await {
                        Ok(_) => tally.accepted.fetch_add(1, Ordering::Relaxed),
                        Err(body) => panic!("the NVR refused a code the cloud issued: {body}"),
                    };
                    ask.code = Some(info.code);
                    break;
                }
                Err(error) => {
                    if !tally.error(&error) {
                        break;
                    }
                    assert!(
                        Instant::now() < tally.until() + Duration::from_secs(30),
                        "the cloud never came back: {error:?}"
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        phone.asks.push(ask);
    }
    phone
}

/// The value of the one sample named `series` on a metrics page, 0 when it is not there yet.
async fn sample(metrics_url: &str, series: &str) -> f64 {
    let Ok(response) = reqwest_get(metrics_url).await else {
        return 0.0;
    };
    response
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn reqwest_get(url: &str) -> Result<String, String> {
    let response = hc_testkit::cloud_api::client_from([127, 0, 0, 1])
        .get(url)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    response.text().await.map_err(|e| e.to_string())
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn phones_through_haproxy_keep_every_code_while_an_instance_is_killed_and_restarted() {
    let Some(haproxy_binary) = haproxy::binary() else {
        return;
    };
    let Some(pg) = postgres::server() else {
        return;
    };
    let seconds = env_or("HC_PROXY_SECS", 4);
    let phone_count = env_or("HC_PROXY_PHONES", 4);
    // The per-address registration limit: the phones' own registrations (from 127.0.0.1) fit.
    let registrations_per_addr = u32::try_from(phone_count).unwrap() + 1;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::create(dir.path());
    let shared = Config::for_tests(dir.path().join("cloud"))
        .with_database_url(pg.fresh_database().await)
        .with_master_key_file(dir.path().join("master.key"))
        .with_trusted_proxies(TrustedProxies::parse(&PROXY_SOURCE.to_string()).unwrap())
        .with_rate_limits(RateLimits {
            registrations_per_client_addr: registrations_per_addr,
            ..RateLimits::unlimited()
        })
        .with_max_db_connections(4)
        .with_db_acquire_timeout(Duration::from_secs(1));

    // One at a time: the first creates the master key and migrates the database.
    let mut instances = Vec::new();
    for i in 0..INSTANCES {
        let config = shared.clone().with_metrics_listen(free_addr());
        let log = dir.path().join(format!("cloud{}.log", i + 1));
        instances.push(Instance::spawn(config, log).await);
    }
    let addrs: Vec<SocketAddr> = instances.iter().map(Instance::addr).collect();
    let proxy = HaProxy::start(&haproxy_binary, dir.path(), &ca, &addrs).await;
    let world = World::around(dir, ca, proxy.url().to_owned(), shared);

    let owners = world.owners_with_nvrs("behind-proxy", phone_count).await;
    let phones: Vec<Phone> = owners
        .into_iter()
        .map(|OwnerWithNvr { email, app, nvr }| Phone {
            email,
            app,
            nvr,
            asks: Vec::new(),
        })
        .collect();

    // The run, with instance 2 killed in its middle and started again.
    // The phones go on until the instance is back (however long its start takes on a busy
    // machine) and a while after that.
    let run = Duration::from_secs(seconds);
    let started = Instant::now();
    let tally = Arc::new(Tally::new(started + Duration::from_secs(3600)));
    let runs: Vec<_> = phones
        .into_iter()
        .map(|phone| tokio::spawn(run_phone(phone, tally.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds) / 3).await;
    let codes_before_kill = tally.codes.load(Ordering::Relaxed);
    let killed_at = started.elapsed();
    instances[1].kill();
    tokio::time::sleep(Duration::from_millis(700)).await;
    instances[1].restart().await;
    let back_at = started.elapsed();
    tally.restarted.store(true, Ordering::Relaxed);
    {
        let mut until = tally.until.lock().unwrap();
        *until = (started + run).max(Instant::now() + run / 3);
    }
    let mut phones = Vec::new();
    for run in runs {
        phones.push(run.await.unwrap());
    }
    let codes = tally.codes.load(Ordering::Relaxed);
    eprintln!(
        "{} phones, {:.1} s through HAProxy, instance 2 killed at {:.1} s and serving again at \
         {:.1} s: {codes} codes ({codes_before_kill} before the kill, {} after the restart), {} \
         taken by the NVRs; {} outage errors, {} other",
        phones.len(),
        started.elapsed().as_secs_f64(),
        killed_at.as_secs_f64(),
        back_at.as_secs_f64(),
        tally.codes_after_restart.load(Ordering::Relaxed),
        tally.accepted.load(Ordering::Relaxed),
        tally.outage_errors.load(Ordering::Relaxed),
        tally.other_errors.load(Ordering::Relaxed),
    );

    // 1. Only outage errors, the phones carried on, and the restarted instance is serving again.
    assert_eq!(tally.other_errors.load(Ordering::Relaxed), 0);
    assert!(codes_before_kill > 0, "the kill struck mid-run");
    assert!(
        tally.codes_after_restart.load(Ordering::Relaxed) > 0,
        "the phones carried on after the restart"
    );
    let metrics = instances[1]
        .config
        .metrics_listen
        .map(|addr| format!("http://{addr}/metrics"))
        .unwrap();
    let checked = "hc_cloud_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"}";
    let deadline = Instant::now() + Duration::from_secs(10);
    while sample(&metrics, checked).await < 1.0 {
        assert!(
            Instant::now() < deadline,
            "HAProxy never checked the restarted instance"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let public = haproxy::client(&world.ca, None);
    for _ in 0..2 * INSTANCES {
        let answer = public
            .get(format!("{}/healthz", proxy.url()))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }
    let served = "hc_cloud_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}";
    assert!(
        sample(&metrics, served).await >= 1.0,
        "the restarted instance is back in rotation"
    );

    // 2. Every code was taken and has its row, naming the phone (127.0.0.1), not the proxy.
    assert_eq!(tally.accepted.load(Ordering::Relaxed), codes);
    let mut rows_total = 0;
    for phone in &phones {
        let events = world.audit_of(&phone.email).await;
        let mut rows: HashMap<&str, u64> = HashMap::new();
        for event in &events {
            assert_eq!(event.outcome, AuditOutcome::Issued, "{event:?}");
            assert_eq!(event.serial.as_deref(), Some(phone.nvr.serial.as_str()));
            assert_eq!(event.client_addr.as_deref(), Some("127.0.0.1"), "{event:?}");
            let nonce = event
                .nonce
                .as_deref()
                .expect("an issued row names its nonce");
            assert!(
                phone.asks.iter().any(|a| a.nonce == nonce),
                "an audit row for a QR code never asked: {event:?}"
            );
            *rows.entry(nonce).or_default() += 1;
        }
        for ask in phone.asks.iter().filter(|a| a.code.is_some()) {
            assert!(
                rows.contains_key(ask.nonce.as_str()),
                "a code without its audit row: {}",
                ask.nonce
            );
        }
        rows_total += events.len();
    }
    eprintln!("audit: {rows_total} issued rows for {codes} codes received");

    // 3. A client behind the proxy (127.0.0.2) that claims a new address each time gets exactly
    // the limit, over all three instances; its neighbour (127.0.0.3) is not held back.
    let register = |http: reqwest::Client, email: String, claim: Option<String>| {
        let url = format!("{}/v1/accounts", proxy.url());
        async move {
            let mut request = http
                .post(url)
                .json(&serde_json::json!({"email": email, "password": ACCOUNT_PASSWORD}));
            if let Some(claim) = claim {
                request = request.header("x-forwarded-for", claim);
            }
            request.send().await.unwrap().status().as_u16()
        }
    };
    let forger = haproxy::client(&world.ca, Some(IpAddr::from([127, 0, 0, 2])));
    let mut statuses = Vec::new();
    for i in 0..=registrations_per_addr {
        let email = format!("forger{i}@example.com");
        let claim = format!("198.51.100.{}", i + 1);
        statuses.push(register(forger.clone(), email, Some(claim)).await);
    }
    let mut expected = vec![201; registrations_per_addr as usize];
    expected.push(429);
    assert_eq!(statuses, expected);
    let neighbour = haproxy::client(&world.ca, Some(IpAddr::from([127, 0, 0, 3])));
    assert_eq!(
        register(neighbour, "neighbour@example.com".into(), None).await,
        201
    );

    drop(proxy);
    for instance in &mut instances {
        instance.kill();
    }
}
