//! The `nvr-sim` process killed (SIGKILL, no chance to clean up) while it writes its state, again
//! and again: the state file must always parse, the device must boot from it, and the admin
//! password and the bound flag must never be lost. A person pulling the plug gets the same.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hc_device::StateStore;
use hc_testkit::device::*;
use nvr_sim::{NvrClient, NvrError};

const NVR_SIM: &str = env!("CARGO_BIN_EXE_nvr-sim");

/// Starts `nvr-sim serve` on the state folder; the child and its API base URL.
fn start(dir: &Path) -> (Child, String) {
    let mut child = Command::new(NVR_SIM)
        .args([
            "serve",
            "--assume-bound",
            "--listen",
            "127.0.0.1:0",
            "--device",
        ])
        .arg(dir.join("device.json"))
        .arg("--state")
        .arg(dir.join("state"))
        .env("NVR_SIM_ADMIN_PASSWORD", FIRST_PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("nvr-sim listening on ")
        .unwrap_or_else(|| panic!("first line: {first}"))
        .trim_end_matches('/')
        .to_owned();
    (child, url)
}

/// Show a QR code, type a wrong code, type the right one: two state writes a round, forever
/// (the right code ends any lockout), until the process dies under it.
async fn hammer(url: String) -> u32 {
    let api = NvrClient::new(&url).unwrap();
    let record = test_device();
    let mut writes = 0;
    loop {
        let Ok(shown) = api.start_challenge().await else {
            return writes;
        };
        let right = code_for_qr(&shown.qr, &record);
        for code in [wrong_code(&right), right] {
            match api.submit_code(&code).await {
                // An answer, refusal or not, means the device wrote its state first.
                Ok(_) | Err(NvrError::Refused { .. }) => writes += 1,
                Err(_) => return writes,
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_nvr_sim_while_it_writes_its_state_never_damages_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("device.json"), DEVICE_JSON).unwrap();
    let started = Instant::now();
    let mut kills = 0;
    let mut acknowledged_writes = 0;
    // Bounded in count and time: at most 12 kills, at most ~12 s.
    while kills < 12 && started.elapsed() < Duration::from_secs(12) {
        let (mut child, url) = start(dir.path());
        // The device booted from whatever the last kill left: admin password and binding intact.
        let login = NvrClient::new(&url)
            .unwrap()
            .login("admin", FIRST_PASSWORD)
            .await;
        assert!(
            login.is_ok(),
            "after kill {kills} the admin password no longer logs in: {login:?}"
        );
        let writer = tokio::spawn(hammer(url));
        // Kill at a different moment every round: 30..250 ms into the writes.
        tokio::time::sleep(Duration::from_millis(30 + (kills * 53) % 220)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        acknowledged_writes += writer.await.unwrap();
        kills += 1;

        let store = StateStore::open(dir.path().join("state")).unwrap();
        let state = store
            .load()
            .unwrap_or_else(|e| panic!("state damaged by kill {kills}: {e}"))
            .expect("the state file exists");
        assert!(state.bound, "kill {kills} lost the bound flag");
        assert!(
            state.admin_password_hash.is_some(),
            "kill {kills} lost the password"
        );
        // Wrong codes count across reboots, so a kill between a wrong and the right code leaves
        // one more behind; they still obey the rule: fewer than five, or the challenge burned.
        assert!(state.wrong_codes < 5, "{state:?}");
        assert!(u64::from(state.burned_challenges) <= kills, "{state:?}");
    }
    assert!(kills >= 3, "only {kills} kills in the time allowed");
    assert!(
        acknowledged_writes > 0,
        "the sim never wrote before it was killed"
    );
    eprintln!("{kills} kills, {acknowledged_writes} acknowledged state writes, state intact");
}
