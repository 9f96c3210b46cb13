//! Faults under load, bounded in time and on loopback only. Several phones (hc-core `HcClient`s)
//! run the whole reset flow against one cloud over TLS, each with its own account and nvr-sim:
//! list devices, show the QR code on the NVR, ask the cloud for the code, type it on the NVR. The
//! cloud is the real `hc-cloud` binary in a child process. In the middle of the run:
//!
//! - the cloud process is SIGKILLed (no graceful shutdown: requests in flight are cut wherever they
//!   are) and started again on the same port and database, on SQLite and on PostgreSQL;
//! - PostgreSQL itself is stopped (`pg_ctl stop -m fast`, then `-m immediate`, like a crash) and
//!   started again on the same port and data folder, while the cloud keeps running.
//!
//! A phone whose code request fails asks again with the same QR code until it gets the code, and
//! types that code on its NVR. What must hold, and is asserted:
//!
//! 1. Phones see only outage errors (`Network`, or the cloud's `503 unavailable`), never a panic,
//!    a 500 or another typed error; and they carry on after the restart.
//! 2. Every code a phone received is accepted by its NVR (so a retried request got the right
//!    code), and a QR asked again after the restart gets the same code as before the fault.
//! 3. Nothing is lost: every code received has an `issued` audit row for its QR's nonce.
//! 4. Nothing is invented: every audit row is `issued`, for the phone's own device, for a nonce
//!    that phone asked about, and no QR code has more rows than HTTP attempts hc-core made for
//!    it. The only rows without a received code are those of requests cut by a fault after their
//!    row was committed; for the SIGKILL, at most one per phone per kill (a phone has one request
//!    in flight at a time).
//! 5. The database is intact: SQLite's `PRAGMA integrity_check` is `ok` on the file as each kill
//!    left it (before the cloud opens it again) and at the end; PostgreSQL's B-tree indexes pass
//!    `amcheck` after the restarts.
//!
//! Short by default (4 phones, 4 s). The long runs of `docs/security.md` section 6:
//! `HC_LOAD_SECS=30 HC_LOAD_PHONES=16 HC_FAULTS_KILLS=5 cargo nextest run -p hc-tests --test faults
//! --no-capture --test-threads 1`
//! Also: `HC_FAULTS_KILLS` (default 1), how many times the cloud is killed, one outage apart;
//! `HC_FAULTS_OUTAGE_MS` (default 1000), how long the killed cloud stays down;
//! `HC_FAULTS_PG_OUTAGE_MS` (default 2000), how long PostgreSQL stays down each time;
//! `HC_FAULTS_DB_ACQUIRE_SECS` (default 1), the cloud's `--db-acquire-timeout-secs` in the
//! PostgreSQL restart test (with the production default of 10, a 2 s restart only slows requests).
//! The tests find the `hc-cloud` binary beside themselves (`HC_CLOUD_BIN` overrides; see
//! `hc_testkit::cloud_process::cloud_binary`) and start PostgreSQL like the cloud's own tests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hc_cloud::{Config, RateLimits};
use hc_core::{HcClient, HcError};
use hc_protocol::api::AuditOutcome;
use hc_testkit::postgres::{self, OwnServer, StopMode};
use hc_testkit::{Nvr, OwnerWithNvr, World};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// hc-core sends an idempotent request (the reset-code request is one) at most this often per
/// call: the first attempt and two retries (`core/src/http.rs`, `MAX_ATTEMPTS`).
const CORE_ATTEMPTS_PER_CALL: u64 = 3;

/// A phone that cannot get its code this long after the run's end has lost the cloud for good.
const GIVE_UP_AFTER_END: Duration = Duration::from_secs(60);

/// No limits: the rate limits have their own tests.
fn unlimited(config: Config) -> Config {
    config.with_rate_limits(RateLimits::unlimited())
}

/// One QR code a phone asked the cloud about.
struct Ask {
    qr: String,
    nonce: String,
    /// `request_reset_code` calls for it (each up to `CORE_ATTEMPTS_PER_CALL` HTTP requests).
    calls: u64,
    code: Option<String>,
    /// When the code arrived, since the run started.
    at: Option<Duration>,
}

struct Phone {
    email: String,
    app: HcClient,
    nvr: Nvr,
    asks: Vec<Ask>,
}

async fn phones(world: &World, count: u64) -> Vec<Phone> {
    let owners = world.owners_with_nvrs("fault", count).await;
    owners
        .into_iter()
        .map(|OwnerWithNvr { email, app, nvr }| Phone {
            email,
            app,
            nvr,
            asks: Vec::new(),
        })
        .collect()
}

struct Tally {
    /// When the phones stop starting new rounds; a fault moves it on, so that the phones are at
    /// work when it strikes and carry on for a while after it.
    until: Mutex<Instant>,
    /// QR codes asked about, `request_reset_code` calls, codes received.
    asked: AtomicU64,
    calls: AtomicU64,
    codes: AtomicU64,
    /// Codes that came only after a failed call for the same QR code.
    codes_after_retry: AtomicU64,
    /// Codes the NVRs took (must equal `codes`).
    accepted: AtomicU64,
    network_errors: AtomicU64,
    unavailable_errors: AtomicU64,
    other_errors: AtomicU64,
    /// When each code arrived, since the run started.
    code_times: Mutex<Vec<Duration>>,
}

impl Tally {
    fn new(until: Instant) -> Tally {
        Tally {
            until: Mutex::new(until),
            asked: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            codes: AtomicU64::new(0),
            codes_after_retry: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            network_errors: AtomicU64::new(0),
            unavailable_errors: AtomicU64::new(0),
            other_errors: AtomicU64::new(0),
            code_times: Mutex::new(Vec::new()),
        }
    }

    fn until(&self) -> Instant {
        *self.until.lock().unwrap()
    }

    fn set_until(&self, at: Instant) {
        *self.until.lock().unwrap() = at;
    }

    /// Counts an error; `true` when it is one an outage may cause (and the phone should retry).
    fn error(&self, error: &HcError) -> bool {
        match error {
            HcError::Network { .. } => {
                self.network_errors.fetch_add(1, Ordering::Relaxed);
                true
            }
            HcError::Server {
                status: 503,
                code: hc_protocol::api::ErrorCode::Unavailable,
                ..
            } => {
                self.unavailable_errors.fetch_add(1, Ordering::Relaxed);
                true
            }
            other => {
                eprintln!("unexpected error: {other:?}");
                self.other_errors.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// The first code that arrived at or after `after` (since the run started).
    fn first_code_after(&self, after: Duration) -> Option<Duration> {
        let times = self.code_times.lock().unwrap();
        times.iter().filter(|t| **t >= after).min().copied()
    }

    fn codes_before(&self, before: Duration) -> usize {
        let times = self.code_times.lock().unwrap();
        times.iter().filter(|t| **t < before).count()
    }
}

/// One phone's loop until the run's end: the whole flow again and again; a failed code request
/// is asked again with the same QR code until the code comes.
async fn run_phone(mut phone: Phone, started: Instant, tally: Arc<Tally>) -> Phone {
    while Instant::now() < tally.until() {
        if let Err(error) = phone.app.devices(false).await {
            tally.error(&error);
        }
        let qr = phone.nvr.show_reset_qr().await;
        let nonce = hc_protocol::parse_qr(&qr)
            .expect("the NVR shows a valid QR code")
            .challenge()
            .nonce
            .to_hex();
        tally.asked.fetch_add(1, Ordering::Relaxed);
        let mut ask = Ask {
            qr: qr.clone(),
            nonce,
            calls: 0,
            code: None,
            at: None,
        };
        loop {
            ask.calls += 1;
            tally.calls.fetch_add(1, Ordering::Relaxed);
            match phone.app.request_reset_code(qr.clone()).await {
                Ok(info) => {
                    let at = started.elapsed();
                    tally.codes.fetch_add(1, Ordering::Relaxed);
                    tally.code_times.lock().unwrap().push(at);
                    if ask.calls > 1 {
                        tally.codes_after_retry.fetch_add(1, Ordering::Relaxed);
                    }
                    match phone.nvr.enter_code(&info.code).await {
                        Ok(_) => tally.accepted.fetch_add(1, Ordering::Relaxed),
                        Err(body) => panic!("the NVR refused a code the cloud issued: {body}"),
                    };
                    ask.code = Some(info.code);
                    ask.at = Some(at);
                    break;
                }
                Err(error) => {
                    if !tally.error(&error) {
                        break;
                    }
                    assert!(
                        Instant::now() < tally.until() + GIVE_UP_AFTER_END,
                        "the cloud never came back: {error:?}"
                    );
                    // The cloud is away: do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        phone.asks.push(ask);
    }
    phone
}

/// What the run did to the cloud, since the run started: when the cloud or the database was
/// killed or stopped, when it was started again, and when it was serving again.
struct Fault {
    down_at: Duration,
    restart_at: Duration,
    up_at: Duration,
}

fn report(name: &str, tally: &Tally, seconds: f64, phones: usize, faults: &[Fault]) {
    let calls = tally.calls.load(Ordering::Relaxed);
    eprintln!(
        "{name}: {phones} phones, {seconds:.1} s: {} QR codes asked, {calls} code requests \
         ({:.1}/s), {} codes ({} after a retry), {} taken by the NVRs; errors: {} network, \
         {} unavailable (503), {} other",
        tally.asked.load(Ordering::Relaxed),
        calls as f64 / seconds,
        tally.codes.load(Ordering::Relaxed),
        tally.codes_after_retry.load(Ordering::Relaxed),
        tally.accepted.load(Ordering::Relaxed),
        tally.network_errors.load(Ordering::Relaxed),
        tally.unavailable_errors.load(Ordering::Relaxed),
        tally.other_errors.load(Ordering::Relaxed),
    );
    for (i, fault) in faults.iter().enumerate() {
        let first = tally.first_code_after(fault.restart_at);
        let ms = |d: Duration| d.as_millis().to_string();
        eprintln!(
            "{name}: fault {}: down at {:.2} s; started again {} ms later, serving {} ms after \
             that; first code {} ms after the start ({} ms without codes)",
            i + 1,
            fault.down_at.as_secs_f64(),
            ms(fault.restart_at - fault.down_at),
            ms(fault.up_at - fault.restart_at),
            first.map_or("-".into(), |t| ms(t - fault.restart_at)),
            first.map_or("-".into(), |t| ms(t - fault.down_at)),
        );
    }
}

/// The checks every fault run ends with (points 1-4 of the module doc); `extra_rows_per_phone`
/// bounds the rows without a received code one phone may have in all. Returns the row count.
async fn assert_nothing_lost(
    world: &World,
    phones: &[Phone],
    tally: &Tally,
    faults: &[Fault],
    extra_rows_per_phone: Option<u64>,
) -> u64 {
    assert_eq!(
        tally.other_errors.load(Ordering::Relaxed),
        0,
        "only outage errors"
    );
    let codes = tally.codes.load(Ordering::Relaxed);
    assert_eq!(tally.accepted.load(Ordering::Relaxed), codes);
    for fault in faults {
        assert!(
            tally.codes_before(fault.down_at) > 0,
            "the fault struck mid-run"
        );
        assert!(
            tally.first_code_after(fault.up_at).is_some(),
            "the phones carried on after the fault"
        );
    }
    let storage = world.storage().await;
    let mut rows_total = 0;
    for phone in phones {
        let (account, _) = storage
            .account_by_email(&phone.email)
            .await
            .unwrap()
            .expect("the account exists");
        let events = storage.audit_of(account, None, u32::MAX).await.unwrap();
        let asks: HashMap<&str, &Ask> = phone.asks.iter().map(|a| (a.nonce.as_str(), a)).collect();
        let mut rows: HashMap<&str, u64> = HashMap::new();
        for event in &events {
            assert_eq!(event.outcome, AuditOutcome::Issued, "{event:?}");
            assert_eq!(event.serial.as_deref(), Some(phone.nvr.serial.as_str()));
            let nonce = event
                .nonce
                .as_deref()
                .expect("an issued row names its nonce");
            let (nonce, _) = asks
                .get_key_value(nonce)
                .unwrap_or_else(|| panic!("an audit row for a QR code never asked: {event:?}"));
            *rows.entry(nonce).or_default() += 1;
        }
        let mut received = 0;
        for ask in &phone.asks {
            let rows = rows.get(ask.nonce.as_str()).copied().unwrap_or(0);
            if ask.code.is_some() {
                received += 1;
                assert!(rows >= 1, "a code without its audit row: {}", ask.nonce);
            }
            assert!(
                rows <= ask.calls * CORE_ATTEMPTS_PER_CALL,
                "{rows} rows for {} calls",
                ask.calls
            );
        }
        let extra = events.len() as u64 - received;
        if let Some(allowed) = extra_rows_per_phone {
            assert!(
                extra <= allowed,
                "{} has {extra} audit rows without a received code",
                phone.email
            );
        }
        rows_total += events.len() as u64;
    }
    eprintln!(
        "audit: {rows_total} issued rows for {codes} codes received ({} rows of requests cut by \
         the faults)",
        rows_total - codes
    );
    rows_total
}

/// Asks again, after the faults, for the code of the last QR each phone got a code for before
/// the first fault: the cloud gives the same code (it is deterministic per challenge).
async fn assert_the_same_qr_gets_the_same_code(phones: &[Phone], before: Duration) {
    let mut checked = 0;
    for phone in phones {
        let Some(ask) = phone
            .asks
            .iter()
            .rev()
            .find(|a| a.at.is_some_and(|at| at < before))
        else {
            continue;
        };
        let again = phone.app.request_reset_code(ask.qr.clone()).await.unwrap();
        assert_eq!(Some(&again.code), ask.code.as_ref(), "{}", ask.nonce);
        checked += 1;
    }
    assert!(checked > 0, "some phone got a code before the fault");
}

/// SQLite's own check of the whole file: `ok`, and no dangling foreign key.
async fn assert_sqlite_intact(url: &str) {
    use sqlx::{Connection, Row};
    let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
    let rows = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut db)
        .await
        .unwrap();
    let result: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(result, ["ok"], "integrity_check");
    let dangling = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut db)
        .await
        .unwrap();
    assert!(
        dangling.is_empty(),
        "{} dangling foreign keys",
        dangling.len()
    );
    db.close().await.unwrap();
}

/// PostgreSQL's `amcheck` over every B-tree index of the cloud's tables, with every heap tuple
/// looked up in its indexes (`heapallindexed`). Returns the number of indexes checked.
async fn assert_postgres_intact(url: &str) -> usize {
    use sqlx::{Connection, Row};
    let mut db = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck")
        .execute(&mut db)
        .await
        .expect("amcheck (part of Debian's postgresql package)");
    let indexes = sqlx::query(
        "SELECT c.relname::text AS name FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_am a ON a.oid = c.relam
         WHERE n.nspname = 'public' AND a.amname = 'btree'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    for index in &indexes {
        let name: String = index.get("name");
        sqlx::query("SELECT bt_index_check($1::regclass, true)")
            .bind(&name)
            .execute(&mut db)
            .await
            .unwrap_or_else(|e| panic!("index {name}: {e}"));
    }
    db.close().await.unwrap();
    indexes.len()
}

/// How long the cloud process stays down after a kill.
fn outage() -> Duration {
    Duration::from_millis(env_or("HC_FAULTS_OUTAGE_MS", 1000))
}

/// How long PostgreSQL stays down, and how long the cloud lets a request wait for a database
/// connection before answering 503 (its default is 10 s; shorter here, so that the phones meet
/// the 503 path and not only slower answers).
fn pg_outage() -> Duration {
    Duration::from_millis(env_or("HC_FAULTS_PG_OUTAGE_MS", 2000))
}

fn db_acquire_timeout() -> Duration {
    Duration::from_secs(env_or("HC_FAULTS_DB_ACQUIRE_SECS", 1))
}

/// Phones at work: the tasks running `run_phone` and what they count.
struct Run {
    tasks: Vec<tokio::task::JoinHandle<Phone>>,
    tally: Arc<Tally>,
    started: Instant,
    planned_end: Instant,
}

/// `HC_LOAD_PHONES` phones (default 4) run the flow for `HC_LOAD_SECS` (default 4, at least 3).
async fn start_phones(world: &World) -> Run {
    let seconds = env_or("HC_LOAD_SECS", 4).max(3);
    let count = env_or("HC_LOAD_PHONES", 4);
    let phones = phones(world, count).await;
    let started = Instant::now();
    let planned_end = started + Duration::from_secs(seconds);
    let tally = Arc::new(Tally::new(planned_end));
    let tasks = phones
        .into_iter()
        .map(|p| tokio::spawn(run_phone(p, started, tally.clone())))
        .collect();
    // The faults strike a third of the way in.
    tokio::time::sleep(Duration::from_secs(seconds) / 3).await;
    Run {
        tasks,
        tally,
        started,
        planned_end,
    }
}

impl Run {
    /// A fault strikes now: the phones keep working through it. Returns when, on the run's clock.
    fn fault_begins(&self) -> Duration {
        let far = Instant::now() + Duration::from_secs(24 * 3600);
        self.tally.set_until(far);
        self.started.elapsed()
    }

    /// The phones work on between two faults for `pause`: the next fault must find them still
    /// running, so the end of the run moves out of the way first (the second after a fault that
    /// `fault` grants is as long as the default pause, and the phones used to stop just as the
    /// second fault began).
    async fn between_faults(&self, pause: Duration) {
        self.tally
            .set_until(Instant::now() + Duration::from_secs(24 * 3600));
        tokio::time::sleep(pause).await;
    }

    /// Records a fault that ended now, and lets the phones go on for a second at least.
    fn fault(&self, down_at: Duration, restart_at: Duration) -> Fault {
        let a_second_on = Instant::now() + Duration::from_secs(1);
        self.tally.set_until(self.planned_end.max(a_second_on));
        Fault {
            down_at,
            restart_at,
            up_at: self.started.elapsed(),
        }
    }

    async fn finish(self, name: &str, faults: &[Fault]) -> (Vec<Phone>, Arc<Tally>) {
        let mut phones = Vec::new();
        for task in self.tasks {
            phones.push(task.await.unwrap());
        }
        let seconds = self.started.elapsed().as_secs_f64();
        report(name, &self.tally, seconds, phones.len(), faults);
        (phones, self.tally)
    }
}

/// Kills the cloud process, leaves it down for the outage, checks the SQLite file as the kill
/// left it (when on SQLite), and starts the cloud again on the same port and database.
async fn kill_and_restart(world: &mut World, run: &Run, sqlite_url: Option<&str>) -> Fault {
    let down_at = run.fault_begins();
    world.kill_cloud();
    if let Some(url) = sqlite_url {
        assert_sqlite_intact(url).await;
    }
    tokio::time::sleep(outage().saturating_sub(run.started.elapsed() - down_at)).await;
    let restart_at = run.started.elapsed();
    world.restart_cloud().await;
    run.fault(down_at, restart_at)
}

async fn the_cloud_killed_under_load(mut world: World, name: &str) -> World {
    let url = world.config().database_url();
    let sqlite_url = url.starts_with("sqlite:").then_some(url.as_str());
    let kills = env_or("HC_FAULTS_KILLS", 1).max(1);
    let run = start_phones(&world).await;
    let mut faults = Vec::new();
    for _ in 0..kills {
        if !faults.is_empty() {
            // The phones get going again between two kills.
            run.between_faults(outage()).await;
        }
        faults.push(kill_and_restart(&mut world, &run, sqlite_url).await);
    }
    let (phones, tally) = run.finish(name, &faults).await;
    // Each phone had at most one request in flight when a kill struck.
    assert_nothing_lost(&world, &phones, &tally, &faults, Some(kills)).await;
    assert_the_same_qr_gets_the_same_code(&phones, faults[0].down_at).await;
    if let Some(url) = sqlite_url {
        // Once more, and the file as that kill left it.
        world.kill_cloud();
        assert_sqlite_intact(url).await;
        eprintln!("{name}: PRAGMA integrity_check ok after each SIGKILL");
    }
    world
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloud_killed_under_load_comes_back_on_sqlite_with_every_code_audited_and_the_file_intact()
 {
    let world = World::start_process(unlimited).await;
    the_cloud_killed_under_load(world, "SIGKILL, SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloud_killed_under_load_comes_back_on_postgres_with_every_code_audited() {
    let Some(server) = postgres::own_server() else {
        return;
    };
    let url = server.fresh_database().await;
    let world = World::start_process(|c| unlimited(c).with_database_url(url.clone())).await;
    the_cloud_killed_under_load(world, "SIGKILL, PostgreSQL").await;
    let indexes = assert_postgres_intact(&url).await;
    eprintln!("SIGKILL, PostgreSQL: amcheck ok on {indexes} indexes");
}

/// Stops PostgreSQL (`pg_ctl stop -m MODE`), leaves it down for the outage, and starts it again
/// on the same port and data folder.
async fn restart_postgres(server: &Arc<OwnServer>, run: &Run, mode: StopMode) -> Fault {
    let down_at = run.fault_begins();
    // pg_ctl waits for the server: off the runtime's workers, which the phones need.
    let wait = pg_outage();
    let server = server.clone();
    let started = run.started;
    let restart_at = tokio::task::spawn_blocking(move || {
        let down = Instant::now();
        server.stop(mode);
        std::thread::sleep(wait.saturating_sub(down.elapsed()));
        let restart_at = started.elapsed();
        server.start();
        restart_at
    })
    .await
    .unwrap();
    run.fault(down_at, restart_at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarting_under_load_costs_only_retryable_errors_and_loses_no_code() {
    let Some(server) = postgres::own_server() else {
        return;
    };
    let server = Arc::new(server);
    let url = server.fresh_database().await;
    let world = World::start_process(|c| {
        unlimited(c)
            .with_database_url(url.clone())
            .with_db_acquire_timeout(db_acquire_timeout())
    })
    .await;
    let run = start_phones(&world).await;
    let mut faults = Vec::new();
    for mode in [StopMode::Fast, StopMode::Immediate] {
        if !faults.is_empty() {
            // The phones get going again between the two outages.
            run.between_faults(outage()).await;
        }
        faults.push(restart_postgres(&server, &run, mode).await);
    }
    let name = "PostgreSQL stopped fast, then immediate";
    let (phones, tally) = run.finish(name, &faults).await;
    // The cloud process lived through both restarts.
    assert!(world.process.is_some());
    // A request whose commit reached the database while its connection died is audited without
    // its answer arriving, and so may each attempt of a call the outage cut: no bound per phone
    // beyond the one per QR code (rows <= attempts).
    let rows = assert_nothing_lost(&world, &phones, &tally, &faults, None).await;
    assert_the_same_qr_gets_the_same_code(&phones, faults[0].down_at).await;
    let indexes = assert_postgres_intact(&url).await;
    let log = std::fs::read_to_string(world.dir.path().join("hc-cloud.log")).unwrap_or_default();
    let answered_503 = log.matches("database unavailable").count();
    eprintln!(
        "{name}: {rows} audit rows; amcheck ok on {indexes} indexes; the cloud answered \
         {answered_503} requests 503 unavailable (the core retried them)"
    );
}
