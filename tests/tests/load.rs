//! Load and faults, bounded in time and on loopback only: several phones (hc-core `HcClient`s)
//! run the whole reset flow against one cloud over TLS and one nvr-sim each - list devices, show
//! the QR code on the NVR, ask the cloud for the code, type it on the NVR - for a fixed time; once
//! with the cloud steady, once with the cloud stopped and started again in the middle.
//!
//! Nothing may be lost: every code a phone got has its audit row (the cloud fails closed), the
//! audit holds no more rows than requests were sent, and every NVR takes every code it is given.
//!
//! Short by default (a few seconds, 4 phones). The long run:
//! `HC_LOAD_SECS=120 HC_LOAD_PHONES=16 cargo nextest run -p hc-tests --test load --no-capture`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hc_cloud::RateLimits;
use hc_core::HcError;
use hc_protocol::api::AuditOutcome;
use hc_testkit::{OwnerWithNvr, World};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// No limits: this measures load, the rate limits have their own tests.
async fn unlimited_world() -> World {
    World::start(|c| c.with_rate_limits(RateLimits::unlimited())).await
}

type Phone = OwnerWithNvr;

async fn phones(world: &World, count: u64) -> Vec<Phone> {
    world.owners_with_nvrs("load", count).await
}

#[derive(Default)]
struct Tally {
    /// Reset-code requests sent, and codes received.
    requests: AtomicU64,
    codes: AtomicU64,
    /// Codes the NVR took (must equal `codes`).
    accepted: AtomicU64,
    network_errors: AtomicU64,
    other_errors: AtomicU64,
    slowest_ms: AtomicU64,
}

/// One phone's loop until `until`: the whole flow, again and again. Returns the phone.
/// Every phone runs the flow on its own task until `until`.
fn start_phones(
    phones: Vec<Phone>,
    until: Instant,
    tally: &Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<Phone>> {
    phones
        .into_iter()
        .map(|p| tokio::spawn(run_phone(p, until, tally.clone())))
        .collect()
}

/// The phones back, once each has stopped.
async fn finish(tasks: Vec<tokio::task::JoinHandle<Phone>>) -> Vec<Phone> {
    let mut phones = Vec::new();
    for task in tasks {
        phones.push(task.await.unwrap());
    }
    phones
}

async fn run_phone(phone: Phone, until: Instant, tally: Arc<Tally>) -> Phone {
    while Instant::now() < until {
        if let Err(error) = phone.app.devices(false).await {
            count_error(&tally, &error);
        }
        let qr = phone.nvr.show_reset_qr().await;
        let started = Instant::now();
        tally.requests.fetch_add(1, Ordering::Relaxed);
        match phone.app.request_reset_code(qr).await {
            Ok(code) => {
                let ms = started.elapsed().as_millis() as u64;
                tally.slowest_ms.fetch_max(ms, Ordering::Relaxed);
                tally.codes.fetch_add(1, Ordering::Relaxed);
                match phone.nvr.enter_code(&code.code).await {
                    Ok(_) => tally.accepted.fetch_add(1, Ordering::Relaxed),
                    Err(body) => panic!("the NVR refused a code the cloud issued: {body}"),
                };
            }
            Err(error) => {
                count_error(&tally, &error);
                // The cloud is away: do not spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    phone
}

fn count_error(tally: &Tally, error: &HcError) {
    match error {
        HcError::Network { .. } => tally.network_errors.fetch_add(1, Ordering::Relaxed),
        other => {
            eprintln!("unexpected error: {other:?}");
            tally.other_errors.fetch_add(1, Ordering::Relaxed)
        }
    };
}

/// Audit rows per phone: (all rows, issued rows), straight from the cloud's database.
async fn audit_rows(world: &World, phone: &Phone) -> (u64, u64) {
    let storage = world
        .cloud
        .as_ref()
        .expect("the cloud is up")
        .state()
        .storage();
    let (account, _) = storage
        .account_by_email(&phone.email)
        .await
        .unwrap()
        .expect("the account exists");
    let events = storage.audit_of(account, None, u32::MAX).await.unwrap();
    let issued = events
        .iter()
        .filter(|e| e.outcome == AuditOutcome::Issued)
        .count();
    (events.len() as u64, issued as u64)
}

fn report(name: &str, tally: &Tally, seconds: f64, phones: usize) {
    let requests = tally.requests.load(Ordering::Relaxed);
    eprintln!(
        "{name}: {phones} phones, {seconds:.1} s: {requests} code requests ({:.1}/s), {} codes, \
         {} taken by the NVRs, {} network errors, {} other errors, slowest request {} ms",
        requests as f64 / seconds,
        tally.codes.load(Ordering::Relaxed),
        tally.accepted.load(Ordering::Relaxed),
        tally.network_errors.load(Ordering::Relaxed),
        tally.other_errors.load(Ordering::Relaxed),
        tally.slowest_ms.load(Ordering::Relaxed),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_phones_reset_many_nvrs_at_once_and_every_request_is_audited() {
    let seconds = env_or("HC_LOAD_SECS", 4);
    let count = env_or("HC_LOAD_PHONES", 4);
    let world = unlimited_world().await;
    let phones = phones(&world, count).await;
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks = start_phones(phones, until, &tally);
    let phones = finish(tasks).await;
    report(
        "steady",
        &tally,
        started.elapsed().as_secs_f64(),
        phones.len(),
    );

    assert_eq!(tally.network_errors.load(Ordering::Relaxed), 0);
    assert_eq!(tally.other_errors.load(Ordering::Relaxed), 0);
    let requests = tally.requests.load(Ordering::Relaxed);
    assert!(requests >= count, "every phone got through at least once");
    assert_eq!(tally.accepted.load(Ordering::Relaxed), requests);
    // One audit row per request, all issued: nothing lost, nothing invented.
    let mut rows = 0;
    for phone in &phones {
        let (all, issued) = audit_rows(&world, phone).await;
        assert_eq!(all, issued);
        rows += all;
    }
    assert_eq!(rows, requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloud_restarting_under_load_loses_no_audit_row_and_the_phones_carry_on() {
    let seconds = env_or("HC_LOAD_SECS", 4).max(3);
    let count = env_or("HC_LOAD_PHONES", 4);
    let mut world = unlimited_world().await;
    let phones = phones(&world, count).await;
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks = start_phones(phones, until, &tally);
    // A third of the way in, the cloud goes away for half a second and comes back.
    tokio::time::sleep(Duration::from_secs(seconds) / 3).await;
    world.stop_cloud().await;
    let codes_before_outage = tally.codes.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    world.restart_cloud().await;
    let codes_after_restart = tally.codes.load(Ordering::Relaxed);
    let phones = finish(tasks).await;
    report(
        "restart",
        &tally,
        started.elapsed().as_secs_f64(),
        phones.len(),
    );

    assert_eq!(
        tally.other_errors.load(Ordering::Relaxed),
        0,
        "only network errors"
    );
    assert!(
        tally.codes.load(Ordering::Relaxed) > codes_after_restart,
        "the phones carried on after the restart"
    );
    assert!(codes_before_outage > 0);
    let codes = tally.codes.load(Ordering::Relaxed);
    assert_eq!(tally.accepted.load(Ordering::Relaxed), codes);
    let mut issued = 0;
    for phone in &phones {
        issued += audit_rows(&world, phone).await.1;
    }
    // Fail closed: no code without its row. A request cut by the outage may have been audited
    // without its answer arriving (and the core's retry audited again), never the other way round.
    assert!(issued >= codes, "{issued} issued rows for {codes} codes");
    eprintln!("restart: {issued} issued audit rows for {codes} codes received");
}
