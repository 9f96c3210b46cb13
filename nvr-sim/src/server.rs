//! Starting and stopping the simulated NVR, in-process or from the `nvr-sim` binary.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use hc_protocol::factory::DeviceRecord;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

use crate::checkin::{CheckOutcome, SyncSchedule, spawn_schedule};
use crate::guard::{Hosts, guard};
use crate::nvr::Nvr;
use crate::sync::CloudConfig;
use crate::{api, connection, web};
use hc_device::{
    ADMIN_USER, Clock, DeviceError, DeviceStatus, OsRandom, PolicyError, RandomError, ResetAgent,
    SecureRandom, StateStore, SystemClock, check_password,
};

/// How to run a simulated NVR.
#[derive(Clone)]
pub struct NvrConfig {
    pub device: DeviceRecord,
    pub state_dir: PathBuf,
    /// Where to listen; `127.0.0.1:0` (the default) picks a free port.
    pub listen: SocketAddr,
    /// The cloud to check in with: at start, on its schedule, and on "Check again" (the page)
    /// or `POST /api/sync`.
    pub cloud: Option<CloudConfig>,
    /// When to check in with the cloud.
    pub sync: SyncSchedule,
    /// The admin password for a device that has none yet; `None` generates one.
    pub admin_password: Option<String>,
    /// Start as if the last cloud sync said "bound", for trying the UI without a cloud.
    pub assume_bound: bool,
    /// Host names besides its address and `localhost` that the NVR serves under (`Host`);
    /// requests naming any other host, e.g. from a DNS-rebinding page, are refused.
    pub allowed_hosts: Vec<String>,
    /// How long a client may take to send a request's headers, and how long a connection may
    /// sit with nothing sent either way, before the NVR closes it.
    pub timeouts: connection::Timeouts,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn SecureRandom>,
}

impl NvrConfig {
    /// System clocks and RNG, loopback on a free port, no cloud, generated admin password.
    pub fn new(device: DeviceRecord, state_dir: impl Into<PathBuf>) -> Self {
        NvrConfig {
            device,
            state_dir: state_dir.into(),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            cloud: None,
            sync: SyncSchedule::default(),
            admin_password: None,
            assume_bound: false,
            allowed_hosts: Vec::new(),
            timeouts: connection::Timeouts::default(),
            clock: Arc::new(SystemClock::new()),
            random: Arc::new(OsRandom),
        }
    }
}

impl std::fmt::Debug for NvrConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NvrConfig")
            .field("serial", &self.device.serial)
            .field("state_dir", &self.state_dir)
            .field("listen", &self.listen)
            .field("cloud", &self.cloud.as_ref().map(|c| &c.url))
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("the admin password is not allowed: {0}")]
    AdminPassword(PolicyError),
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A running simulator. Dropping it stops the server too; [`RunningNvr::shutdown`] waits for it.
pub struct RunningNvr {
    addr: SocketAddr,
    url: String,
    generated_admin_password: Option<Zeroizing<String>>,
    nvr: Arc<Nvr>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    /// The scheduled check-ins, stopped with the server.
    check_ins: Option<JoinHandle<()>>,
}

impl RunningNvr {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin password this start generated, if the device had none and none was given.
    pub fn generated_admin_password(&self) -> Option<&str> {
        self.generated_admin_password.as_deref().map(String::as_str)
    }

    pub fn status(&self) -> DeviceStatus {
        self.nvr.lock_agent().status()
    }

    /// The browser sessions the web UI holds now (logged in or holding a reset token).
    pub fn session_count(&self) -> usize {
        let now = self.nvr.now();
        self.nvr.sessions().live(now)
    }

    /// Checks in with the configured cloud now, as "Check again" on the page does; `Ok(None)`
    /// without a cloud.
    pub async fn sync_now(&self) -> Result<Option<bool>, String> {
        match self.nvr.check_in(true).await {
            CheckOutcome::NoCloud => Ok(None),
            CheckOutcome::Wait { secs } => Err(format!(
                "the cloud asked the NVR to wait {secs} s before it checks again"
            )),
            CheckOutcome::Checked(outcome) => outcome.map(Some).map_err(|failed| failed.detail),
        }
    }

    /// Stops accepting requests, lets running ones finish, and waits for the server.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(check_ins) = self.check_ins.take() {
            check_ins.abort();
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for RunningNvr {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(check_ins) = self.check_ins.take() {
            check_ins.abort();
        }
    }
}

/// Boots the device from its record and state folder, sets the first admin password if needed,
/// checks in once with the cloud if one is configured (a failure is logged: the device works
/// offline) and then on its schedule, and serves the web UI and the JSON API. Must run inside a
/// tokio runtime.
pub async fn serve(config: NvrConfig) -> Result<RunningNvr, ServeError> {
    let store = StateStore::open(&config.state_dir).map_err(DeviceError::from)?;
    let mut agent = ResetAgent::boot(
        config.device,
        store,
        Arc::clone(&config.clock),
        Arc::clone(&config.random),
    )?;
    let mut generated = None;
    if !agent.is_activated() {
        let password = match config.admin_password {
            Some(given) => Zeroizing::new(given),
            None => {
                let made = generate_admin_password(config.random.as_ref())?;
                generated = Some(made.clone());
                made
            }
        };
        check_password(ADMIN_USER, &password).map_err(ServeError::AdminPassword)?;
        agent.activate(&password)?;
    }
    if config.assume_bound && !agent.is_bound() {
        agent.record_sync(true)?;
    }

    let nvr = Arc::new(Nvr::new(
        agent,
        config.cloud,
        config.sync,
        config.clock,
        config.random,
    ));
    // A failure is logged by the check-in; the device keeps the stored bound flag.
    let check_ins = match nvr.cloud {
        Some(_) => {
            nvr.check_in(false).await;
            Some(spawn_schedule(&nvr))
        }
        None => None,
    };

    spawn_checkpoints(Arc::downgrade(&nvr));

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: config.listen,
        source,
    })?;
    let hosts = Hosts::new(addr, &config.allowed_hosts);
    let app = router(Arc::clone(&nvr), hosts);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(connection::serve(listener, app, config.timeouts, stopped));
    Ok(RunningNvr {
        addr,
        url: format!("http://{addr}"),
        generated_admin_password: generated,
        nvr,
        stop: Some(stop),
        task: Some(task),
        check_ins,
    })
}

/// Saves the cool-down's progress every 15 s while the simulator runs (see
/// `ResetAgent::checkpoint`). Stops when the simulator is gone.
fn spawn_checkpoints(nvr: std::sync::Weak<Nvr>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(15));
        loop {
            every.tick().await;
            let Some(nvr) = nvr.upgrade() else { return };
            if let Ok(Err(e)) = nvr.with_agent(|agent| agent.checkpoint()).await {
                tracing::warn!("cannot save the cool-down: {e}");
            }
        }
    });
}

fn router(nvr: Arc<Nvr>, hosts: Hosts) -> Router {
    Router::new()
        .merge(web::routes())
        .nest("/api", api::routes())
        .fallback(web::not_found)
        .layer(axum::middleware::from_fn_with_state(Arc::new(hosts), guard))
        .with_state(nvr)
}

/// A first admin password that meets the policy: 12 characters from letters and digits without
/// look-alikes (rejection sampling, so every character is equally likely), retried until it has
/// at least two kinds and no user name in it.
pub fn generate_admin_password(
    random: &dyn SecureRandom,
) -> Result<Zeroizing<String>, RandomError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    const LEN: usize = 12;
    // The largest multiple of the alphabet size that fits a byte: bytes above it are skipped.
    let limit = 256 - 256 % ALPHABET.len();
    loop {
        let mut password = Zeroizing::new(String::with_capacity(LEN));
        while password.len() < LEN {
            let mut bytes = Zeroizing::new([0u8; 32]);
            random.fill(bytes.as_mut())?;
            for byte in bytes.iter().map(|b| usize::from(*b)).filter(|b| *b < limit) {
                if password.len() < LEN {
                    password.push(char::from(ALPHABET[byte % ALPHABET.len()]));
                }
            }
        }
        if check_password(ADMIN_USER, &password).is_ok() {
            return Ok(password);
        }
    }
}
