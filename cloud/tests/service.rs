//! The service as a whole: TLS with a test CA, the `hc-cloud` binary (serve, provision, env
//! flags), data that survives a restart, and the router in `oneshot` tests.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use hc_cloud::{Config, ProvisionRequest};
use hc_protocol::api::{DeviceList, ErrorBody, ErrorCode, ResetCodeResponse};
use hc_protocol::factory::DeviceRecord;
use reqwest::StatusCode;
use serde_json::json;
use tower::ServiceExt;

/// A throwaway CA and a server certificate for 127.0.0.1 and localhost signed by it.
struct TestPki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "hc test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert = params.signed_by(&server_key, &ca, &ca_key).unwrap();
    TestPki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: server_key.serialize_pem(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_is_served_over_tls_to_a_client_trusting_the_test_ca() {
    let data = tempfile::tempdir().unwrap();
    let pki = test_pki();
    let cert = data.path().join("server.pem");
    let key = data.path().join("server.key");
    std::fs::write(&cert, &pki.cert_pem).unwrap();
    std::fs::write(&key, &pki.key_pem).unwrap();
    let cloud =
        hc_cloud::launch(Config::for_tests(data.path().join("cloud")).with_tls(&cert, &key))
            .await
            .unwrap();
    assert!(cloud.url().starts_with("https://127.0.0.1:"));

    let trusting = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let created = trusting
        .post(format!("{}/v1/accounts", cloud.url()))
        .json(&json!({"email": "a@b.co", "password": support::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let health = trusting
        .get(format!("{}/healthz", cloud.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // A client that does not trust the test CA cannot talk to it.
    let untrusting = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("{}/healthz", cloud.url()))
            .send()
            .await
            .is_err()
    );
    // Plain HTTP to the TLS port gets nowhere either.
    let plain = reqwest::Client::new()
        .get(cloud.url().replace("https://", "http://") + "/healthz")
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    cloud.shutdown().await;
}

#[tokio::test]
async fn a_missing_or_bad_certificate_is_a_clear_startup_error() {
    let data = tempfile::tempdir().unwrap();
    let garbage = data.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    for (cert, key) in [
        (data.path().join("missing.pem"), garbage.clone()),
        (garbage.clone(), garbage.clone()),
    ] {
        let error = hc_cloud::launch(Config::for_tests(data.path()).with_tls(&cert, &key))
            .await
            .unwrap_err();
        assert!(
            matches!(error, hc_cloud::Error::Io { .. } | hc_cloud::Error::Tls(_)),
            "{error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_accounts_and_the_master_key_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let config = Config::for_tests(data.path());
    let cloud = hc_cloud::launch(config.clone()).await.unwrap();
    let device = cloud
        .provision(ProvisionRequest::new("J12345678", "NVR", "V1"))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    http.post(format!("{}/v1/accounts", cloud.url()))
        .json(&json!({"email": "a@b.co", "password": support::PASSWORD}))
        .send()
        .await
        .unwrap();
    cloud.shutdown().await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.path().join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(data.path().join("hc-cloud.sqlite3").exists());

    let cloud = hc_cloud::launch(config).await.unwrap();
    let tokens: hc_protocol::api::Tokens = http
        .post(format!("{}/v1/auth/login", cloud.url()))
        .json(&json!({"email": "a@b.co", "password": support::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Mailed by the first run's outbox, or by this one's.
    let folder = hc_testkit::mail::MailFolder::new(data.path().join("mail"));
    hc_testkit::mail::verify_with(&http, cloud.url(), &tokens.access_token, &folder, "a@b.co")
        .await;
    let added = http
        .post(format!("{}/v1/devices", cloud.url()))
        .bearer_auth(&tokens.access_token)
        .json(&json!({"serial": "J12345678", "label_code": device.label_code.as_str()}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    // The device key, sealed under the master key, still opens: codes come out right.
    let code: ResetCodeResponse = http
        .post(format!("{}/v1/reset-codes", cloud.url()))
        .bearer_auth(&tokens.access_token)
        .json(&json!({"qr": support::qr_for(&device, 5)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected =
        support::challenge(&device.serial, &device.model, 5).reset_code(&device.device_key);
    assert_eq!(code.code, expected.as_str());
    cloud.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_answers_oneshot_requests_without_a_server() {
    let data = tempfile::tempdir().unwrap();
    let cloud = hc_cloud::launch(Config::for_tests(data.path()))
        .await
        .unwrap();
    let router = hc_cloud::app(cloud.state().clone());
    let response = router
        .oneshot(
            axum::http::Request::get("/v1/devices")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let bytes = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap();
    let body: ErrorBody = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body.error.code, ErrorCode::Unauthorized);
    cloud.shutdown().await;
}

/// Runs the binary with `HC_CLOUD_*` cleared so the machine's environment cannot leak in.
fn hc_cloud_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hc-cloud"));
    for (name, _) in std::env::vars() {
        if name.starts_with("HC_CLOUD_") {
            command.env_remove(name);
        }
    }
    command
}

/// The factory runs `hc-cloud provision` and prints the label from what it says: the label code
/// it prints is the one it wrote (the one in device.json, which the cloud checks `hc add`
/// against), random or given.
#[test]
fn provisioning_prints_the_label_code_it_wrote() {
    let data = tempfile::tempdir().unwrap();
    for (serial, given) in [("J12345678", None), ("J87654321", Some("QWERTY"))] {
        let out = data.path().join(format!("{serial}.json"));
        let mut command = hc_cloud_command();
        command
            .args([
                "provision",
                "--serial",
                serial,
                "--model",
                "DS-7608NI-K2/8P",
            ])
            .args(["--firmware", "V4.61.005", "--out"])
            .arg(&out)
            .env("HC_CLOUD_DATA_DIR", data.path().join("cloud"));
        if let Some(label) = given {
            command.args(["--label-code", label]);
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let printed = stdout
            .lines()
            .find_map(|line| line.strip_prefix("label code: "))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no label code in {stdout:?}"));
        let record = DeviceRecord::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(printed, record.label_code.as_str(), "{stdout}");
        if let Some(label) = given {
            assert_eq!(printed, label);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_provisions_a_device_json_and_serves_it() {
    let data = tempfile::tempdir().unwrap();
    let out = data.path().join("factory/device.json");
    let provisioned = hc_cloud_command()
        .args([
            "provision",
            "--serial",
            "J12345678",
            "--model",
            "DS-7608NI-K2/8P",
        ])
        .args(["--firmware", "V4.61.005", "--out"])
        .arg(&out)
        .env("HC_CLOUD_DATA_DIR", data.path().join("cloud"))
        .output()
        .unwrap();
    assert!(provisioned.status.success(), "{provisioned:?}");
    let record = DeviceRecord::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(record.serial.as_str(), "J12345678");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second run refuses to overwrite the file, or to provision the serial twice.
    let again = hc_cloud_command()
        .args([
            "provision",
            "--serial",
            "J12345678",
            "--model",
            "M",
            "--firmware",
            "F",
            "--out",
        ])
        .arg(&out)
        .env("HC_CLOUD_DATA_DIR", data.path().join("cloud"))
        .output()
        .unwrap();
    assert!(!again.status.success());
    let twice = hc_cloud_command()
        .args([
            "provision",
            "--serial",
            "J12345678",
            "--model",
            "M",
            "--firmware",
            "F",
            "--out",
        ])
        .arg(data.path().join("other.json"))
        .env("HC_CLOUD_DATA_DIR", data.path().join("cloud"))
        .output()
        .unwrap();
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already provisioned"));

    let mut server = hc_cloud_command()
        .arg("serve")
        .env("HC_CLOUD_LISTEN", "127.0.0.1:0")
        .env("HC_CLOUD_DATA_DIR", data.path().join("cloud"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let url = first_line
        .trim()
        .strip_prefix("hc-cloud listening on ")
        .unwrap_or_else(|| panic!("first line: {first_line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"));

    let http = reqwest::Client::new();
    http.post(format!("{url}/v1/accounts"))
        .json(&json!({"email": "a@b.co", "password": support::PASSWORD}))
        .send()
        .await
        .unwrap();
    let tokens: hc_protocol::api::Tokens = http
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"email": "a@b.co", "password": support::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // No SMTP relay configured: the binary writes mail to DATA_DIR/mail.
    let folder = hc_testkit::mail::MailFolder::new(data.path().join("cloud").join("mail"));
    hc_testkit::mail::verify_with(&http, &url, &tokens.access_token, &folder, "a@b.co").await;
    let added = http
        .post(format!("{url}/v1/devices"))
        .bearer_auth(&tokens.access_token)
        .json(&json!({"serial": "J12345678", "label_code": record.label_code.as_str()}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let list: DeviceList = http
        .get(format!("{url}/v1/devices"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.devices.len(), 1);

    // SIGTERM: a graceful exit with status 0.
    let stopped = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = server.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
