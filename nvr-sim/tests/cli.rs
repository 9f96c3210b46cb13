//! The `nvr-sim` binary as a person runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use hc_testkit::device::*;

const NVR_SIM: &str = env!("CARGO_BIN_EXE_nvr-sim");

fn write_device_json(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("device.json");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn serve_prints_its_url_first_and_a_generated_admin_password() {
    let dir = tempfile::tempdir().unwrap();
    let device = write_device_json(dir.path(), DEVICE_JSON);
    let mut child = Command::new(NVR_SIM)
        .args(["serve", "--listen", "127.0.0.1:0", "--device"])
        .arg(&device)
        .arg("--state")
        .arg(dir.path().join("state"))
        .env_remove("NVR_SIM_ADMIN_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let url = first
        .strip_prefix("nvr-sim listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("first line: {first}"));
    assert!(url.parse::<u16>().unwrap() > 0);
    let password = second
        .strip_prefix("admin password (generated, shown once): ")
        .unwrap_or_else(|| panic!("second line: {second}"));
    assert!(hc_device::check_password("admin", password).is_ok());
}

#[test]
fn a_bad_device_json_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let device = write_device_json(
        dir.path(),
        &DEVICE_JSON.replace("\"label_code\":\"ABCDEF\"", "\"label_code\":\"abc\""),
    );
    let output = Command::new(NVR_SIM)
        .args(["qr", "--device"])
        .arg(&device)
        .arg("--state")
        .arg(dir.path().join("state"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("label_code"), "{stderr}");
}

#[test]
fn qr_on_a_device_that_is_not_bound_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    drop(TestDevice::boot(&dir.path().join("state"), false));
    let device = write_device_json(dir.path(), DEVICE_JSON);
    let output = Command::new(NVR_SIM)
        .args(["qr", "--device"])
        .arg(&device)
        .arg("--state")
        .arg(dir.path().join("state"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not bound"));
}

#[test]
fn qr_prints_the_code_in_the_terminal_and_writes_a_png() {
    let dir = tempfile::tempdir().unwrap();
    drop(TestDevice::boot(&dir.path().join("state"), true));
    let device = write_device_json(dir.path(), DEVICE_JSON);
    let png = dir.path().join("qr.png");
    let output = Command::new(NVR_SIM)
        .args(["qr", "--device"])
        .arg(&device)
        .arg("--state")
        .arg(dir.path().join("state"))
        .arg("--png")
        .arg(&png)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let text = stdout
        .lines()
        .find(|line| line.starts_with("HCR1:"))
        .expect("the QR text is printed");
    assert!(stdout.contains('█'));
    let image = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    assert_eq!(prepared.detect_grids()[0].decode().unwrap().1, text);
}
