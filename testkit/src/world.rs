//! The world the end-to-end tests run in: the real `hc-cloud` over real TLS (a test CA made with
//! rcgen, handed to the app as its extra root), simulated NVRs from `hc-device` synced with it, and
//! the app core as a phone would use it. Everything listens on 127.0.0.1 with free ports.
//!
//! The cloud runs in the test process ([`World::start`]) or as the real `hc-cloud` binary in a
//! child process ([`World::start_process`]), which a test can SIGKILL ([`World::kill_cloud`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cloud_api::MAIL_WAIT;
use crate::cloud_process::CloudProcess;
use crate::mail::{MailFolder, code_for};
use hc_cloud::storage::Storage;
use hc_cloud::{Config, ProvisionRequest, RunningCloud};
use hc_core::{ClientConfig, HcClient, MemoryStore, ResetFlowListener, ResetState};
use hc_protocol::factory::DeviceRecord;
use nvr_sim::{CloudConfig, NvrClient, NvrConfig, NvrError, RunningNvr};

pub const NVR_ADMIN_PASSWORD: &str = "Nvr-Secret-2024";
pub const MODEL: &str = "DS-7608NI-K2";
pub const FIRMWARE: &str = "V4.30.005";
/// The password of every account [`World::owner`] makes.
pub const ACCOUNT_PASSWORD: &str = "Correct-Horse-42";

/// A certificate authority for the test, and a server certificate for 127.0.0.1 signed by it.
pub struct TestCa {
    pub ca_pem: String,
    /// The CA certificate alone (PEM), for a client that takes a file (`hc --ca-cert`).
    pub ca_path: PathBuf,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

impl TestCa {
    pub fn create(dir: &std::path::Path) -> TestCa {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "hc test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();

        let server_key = KeyPair::generate().unwrap();
        let mut server_params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        server_params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();

        let ca_path = dir.join("ca.crt");
        let cert_path = dir.join("cloud.crt");
        let key_path = dir.join("cloud.key");
        std::fs::write(&ca_path, ca.pem()).unwrap();
        std::fs::write(&cert_path, server.pem() + &ca.pem()).unwrap();
        std::fs::write(&key_path, server_key.serialize_pem()).unwrap();
        TestCa {
            ca_pem: ca.pem(),
            ca_path,
            cert_path,
            key_path,
        }
    }
}

/// The cloud, its CA, and the folder its data lives in.
pub struct World {
    pub dir: tempfile::TempDir,
    pub ca: TestCa,
    /// The cloud when it runs in the test process and is up.
    pub cloud: Option<RunningCloud>,
    /// The cloud when it runs as an `hc-cloud` process and is up.
    pub process: Option<CloudProcess>,
    pub cloud_url: String,
    config: Config,
    as_process: bool,
    serials: Mutex<u32>,
}

impl World {
    /// Starts the cloud over TLS; `tune` adjusts the test config (token lifetimes, rate limits).
    pub async fn start(tune: impl FnOnce(Config) -> Config) -> World {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::create(dir.path());
        let config =
            tune(Config::for_tests(dir.path().join("cloud")).with_tls(&ca.cert_path, &ca.key_path));
        let cloud = hc_cloud::launch(config.clone()).await.unwrap();
        let cloud_url = cloud.url().to_owned();
        assert!(cloud_url.starts_with("https://127.0.0.1:"), "{cloud_url}");
        // Later restarts reuse the port, so the app's configured URL stays right.
        let addr: SocketAddr = cloud_url.trim_start_matches("https://").parse().unwrap();
        World {
            dir,
            ca,
            cloud: Some(cloud),
            process: None,
            cloud_url,
            config: config.with_listen(addr),
            as_process: false,
            serials: Mutex::new(0),
        }
    }

    /// Starts the real `hc-cloud` binary over TLS as a child process; `tune` adjusts the config
    /// it is given as flags (database URL, rate limits, pool).
    pub async fn start_process(tune: impl FnOnce(Config) -> Config) -> World {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::create(dir.path());
        let config =
            tune(Config::for_tests(dir.path().join("cloud")).with_tls(&ca.cert_path, &ca.key_path));
        let log = dir.path().join("hc-cloud.log");
        let spawned = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || CloudProcess::spawn(&config, &log))
                .await
                .unwrap()
        };
        let process = spawned.unwrap_or_else(|e| panic!("{e}"));
        let cloud_url = process.url().to_owned();
        assert!(cloud_url.starts_with("https://127.0.0.1:"), "{cloud_url}");
        let addr: SocketAddr = cloud_url.trim_start_matches("https://").parse().unwrap();
        World {
            dir,
            ca,
            cloud: None,
            process: Some(process),
            cloud_url,
            config: config.with_listen(addr),
            as_process: true,
            serials: Mutex::new(0),
        }
    }

    /// A world around a cloud the test runs itself (several instances behind a proxy): phones
    /// and NVRs reach it at `cloud_url` trusting `ca`; `config` names its database and master key,
    /// for provisioning devices and reading the audit log. Stopping and restarting it is the
    /// test's business.
    pub fn around(dir: tempfile::TempDir, ca: TestCa, cloud_url: String, config: Config) -> World {
        World {
            dir,
            ca,
            cloud: None,
            process: None,
            cloud_url,
            config,
            as_process: false,
            serials: Mutex::new(0),
        }
    }

    /// The configuration the cloud runs with (its listen address is the one it got).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The cloud goes down (a deploy, an outage): in the test process, gracefully; a process
    /// gets SIGKILL.
    pub async fn stop_cloud(&mut self) {
        if let Some(cloud) = self.cloud.take() {
            cloud.shutdown().await;
        }
        self.kill_cloud();
    }

    /// The `hc-cloud` process gets SIGKILL: no graceful shutdown, requests in flight are cut.
    pub fn kill_cloud(&mut self) {
        if let Some(process) = self.process.take() {
            process.kill();
        }
    }

    /// The cloud comes back on the same address with the same data.
    pub async fn restart_cloud(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        if self.as_process {
            let log = self.dir.path().join("hc-cloud.log");
            loop {
                let config = self.config.clone();
                let log = log.clone();
                let spawned =
                    tokio::task::spawn_blocking(move || CloudProcess::spawn(&config, &log))
                        .await
                        .unwrap();
                match spawned {
                    Ok(process) => {
                        self.process = Some(process);
                        return;
                    }
                    Err(error) if Instant::now() < deadline => {
                        eprintln!("cloud restart: {error}; retrying");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(error) => panic!("cloud did not restart: {error}"),
                }
            }
        }
        loop {
            match hc_cloud::launch(self.config.clone()).await {
                Ok(cloud) => {
                    self.cloud = Some(cloud);
                    return;
                }
                Err(error) if Instant::now() < deadline => {
                    eprintln!("cloud restart: {error}; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("cloud did not restart: {error}"),
            }
        }
    }

    /// The app on a fresh phone.
    pub fn phone(&self) -> HcClient {
        self.phone_with_store(Arc::new(MemoryStore::new()))
    }

    pub fn phone_with_store(&self, store: Arc<MemoryStore>) -> HcClient {
        let mut config = ClientConfig::new(&self.cloud_url);
        config.extra_root_ca_pem = Some(self.ca.ca_pem.clone());
        config.request_timeout_ms = 5_000;
        HcClient::new(config, store).unwrap()
    }

    /// A phone logged in to a new account whose address is verified, as the app leaves it once
    /// the code from the sign-up mail is entered.
    pub async fn owner(&self, name: &str) -> HcClient {
        let phone = self.unverified_owner(name).await;
        self.verify(&phone, &format!("{name}@example.com")).await;
        phone
    }

    /// Enters the newest code mailed to `email` on `phone`, as its owner does after sign-up.
    pub async fn verify(&self, phone: &HcClient, email: &str) {
        let code = code_for(&self.mail(), email, MAIL_WAIT).await;
        phone.verify_email(code).await.unwrap();
    }

    /// A phone logged in to a new account that has not entered its mailed code yet.
    pub async fn unverified_owner(&self, name: &str) -> HcClient {
        let phone = self.phone();
        let email = format!("{name}@example.com");
        phone
            .register(email, ACCOUNT_PASSWORD.into(), ACCOUNT_PASSWORD.into())
            .await
            .unwrap();
        phone
    }

    /// The mailbox of every address: the folder the cloud (without an SMTP relay) writes to.
    pub fn mail(&self) -> MailFolder {
        MailFolder::new(self.config.mail_dir())
    }

    /// `count` owners named `<prefix>0..`, each logged in on its own phone with its own NVR
    /// added and synced: the cast of the load and fault runs.
    pub async fn owners_with_nvrs(&self, prefix: &str, count: u64) -> Vec<OwnerWithNvr> {
        let mut owners = Vec::new();
        for i in 0..count {
            let name = format!("{prefix}{i}");
            let app = self.owner(&name).await;
            let nvr = self.nvr().await;
            app.add_device(nvr.serial.clone(), nvr.label_code.clone(), None)
                .await
                .unwrap();
            assert!(nvr.sync().await, "{name}'s NVR synced with the cloud");
            owners.push(OwnerWithNvr {
                email: format!("{name}@example.com"),
                app,
                nvr,
            });
        }
        owners
    }

    /// The cloud's database, opened beside the cloud (as `hc-cloud provision` does), e.g. to
    /// read the audit log straight from it.
    pub async fn storage(&self) -> std::sync::Arc<dyn Storage> {
        hc_cloud::server::open(&self.config).await.unwrap().0
    }

    /// The audit log of the account `email`, newest first, read straight from the database.
    pub async fn audit_of(&self, email: &str) -> Vec<hc_protocol::api::AuditEvent> {
        let storage = self.storage().await;
        let (account, _) = storage
            .account_by_email(email)
            .await
            .unwrap()
            .expect("the account exists");
        storage.audit_of(account, None, u32::MAX).await.unwrap()
    }

    /// Writes a registry row, through the cloud in the test process or straight into the
    /// database of the cloud process.
    async fn provision(&self, request: ProvisionRequest) -> DeviceRecord {
        match &self.cloud {
            Some(cloud) => cloud.provision(request).await.unwrap(),
            None => hc_cloud::provision(&self.config, request).await.unwrap(),
        }
    }

    /// A factory-fresh NVR provisioned in the cloud and running as nvr-sim.
    pub async fn nvr(&self) -> Nvr {
        self.nvr_with(|_| {}).await
    }

    /// Likewise, with its configuration changed by `tweak` first (e.g. its check-in schedule).
    pub async fn nvr_with(&self, tweak: impl FnOnce(&mut NvrConfig)) -> Nvr {
        let serial = {
            let mut n = self.serials.lock().unwrap();
            *n += 1;
            format!("E2E{:06}", *n)
        };
        self.nvr_configured(ProvisionRequest::new(&serial, MODEL, FIRMWARE), tweak)
            .await
    }

    /// An NVR of the given serial, model and firmware, provisioned in the cloud and running as
    /// nvr-sim with the admin password [`NVR_ADMIN_PASSWORD`].
    pub async fn nvr_of(&self, request: ProvisionRequest) -> Nvr {
        self.nvr_configured(request, |_| {}).await
    }

    async fn nvr_configured(
        &self,
        request: ProvisionRequest,
        tweak: impl FnOnce(&mut NvrConfig),
    ) -> Nvr {
        let record = self.provision(request).await;
        let serial = record.serial.as_str().to_owned();
        let label_code = record.label_code.as_str().to_owned();
        let mut config = NvrConfig::new(record, self.dir.path().join(&serial));
        config.cloud = Some(CloudConfig {
            url: self.cloud_url.clone(),
            ca_cert_pem: Some(self.ca.ca_pem.clone().into_bytes()),
        });
        config.admin_password = Some(NVR_ADMIN_PASSWORD.into());
        tweak(&mut config);
        let running = nvr_sim::serve(config).await.unwrap();
        let client = NvrClient::new(running.url()).unwrap();
        Nvr {
            serial,
            label_code,
            url: client.url().to_owned(),
            client,
            _running: running,
        }
    }
}

/// An owner's phone with the NVR added to the account (`World::owners_with_nvrs`).
pub struct OwnerWithNvr {
    pub email: String,
    pub app: HcClient,
    pub nvr: Nvr,
}

/// A simulated NVR, driven through its JSON API like a person at its local UI: the typed
/// [`NvrClient`], with the answers a test expects asserted.
pub struct Nvr {
    pub serial: String,
    pub label_code: String,
    pub url: String,
    /// The NVR's JSON API, for what the shortcuts below do not cover.
    pub client: NvrClient,
    _running: RunningNvr,
}

impl Nvr {
    /// The device is online for a moment and learns whether it is bound.
    pub async fn sync(&self) -> bool {
        self.client.sync().await.unwrap()
    }

    /// Login > Forget Password > Verify by Hik-Connect: the QR text on screen.
    pub async fn show_reset_qr(&self) -> String {
        self.client.start_challenge().await.unwrap().qr
    }

    /// The QR code as the device renders it (PNG).
    pub async fn qr_png(&self) -> Vec<u8> {
        self.client.qr_png().await.unwrap()
    }

    /// Types the verification code; on success returns the token that allows a new password.
    pub async fn enter_code(&self, code: &str) -> Result<String, NvrError> {
        Ok(self.client.submit_code(code).await?.reset_token)
    }

    pub async fn set_password(&self, reset_token: &str, password: &str) {
        self.client
            .set_password(reset_token, password)
            .await
            .unwrap();
    }

    /// Whether the admin can log in with `password`.
    pub async fn login(&self, password: &str) -> bool {
        self.client.login("admin", password).await.is_ok()
    }
}

/// The reset screen, recording what it was shown.
#[derive(Default)]
pub struct Screen(Mutex<Vec<ResetState>>);

impl ResetFlowListener for Screen {
    fn on_state(&self, state: ResetState) {
        self.0.lock().unwrap().push(state);
    }
}

impl Screen {
    pub fn states(&self) -> Vec<ResetState> {
        self.0.lock().unwrap().clone()
    }

    /// Waits (without blocking the test runtime) for a final state: a code or a failure.
    pub async fn outcome(&self) -> ResetState {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(last) = self.states().last()
                && matches!(
                    last,
                    ResetState::CodeReady { .. } | ResetState::Failed { .. }
                )
            {
                return last.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no outcome; states {:?}",
                self.states()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for one more outcome after `seen` states.
    pub async fn next_outcome(&self, seen: usize) -> ResetState {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let states = self.states();
            if let Some(last) = states.get(seen..).and_then(|s| {
                s.iter().rfind(|s| {
                    matches!(s, ResetState::CodeReady { .. } | ResetState::Failed { .. })
                })
            }) {
                return last.clone();
            }
            assert!(Instant::now() < deadline, "no outcome; states {states:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
