//! What the request handlers share: the device's agent, its browser sessions, its cloud.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hc_device::{Clock, DeviceError, ResetAgent, SecureRandom};
use zeroize::Zeroizing;

use crate::checkin::{CheckIn, FailKind, SyncSchedule};
use crate::session::Sessions;
use crate::sync::{CloudConfig, SyncError, sync_once};

pub(crate) struct Nvr {
    agent: Mutex<ResetAgent>,
    /// "model · serial", for the header of every page.
    pub label: String,
    sessions: Mutex<Sessions>,
    pub cloud: Option<CloudConfig>,
    /// The check-ins with the cloud: their schedule, the last failure, the next one.
    pub checkin: Arc<CheckIn>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn SecureRandom>,
}

/// The agent could not be reached (a bug paniced while holding it).
#[derive(Debug)]
pub(crate) struct AgentGone;

impl Nvr {
    pub fn new(
        agent: ResetAgent,
        cloud: Option<CloudConfig>,
        schedule: SyncSchedule,
        clock: Arc<dyn Clock>,
        random: Arc<dyn SecureRandom>,
    ) -> Self {
        let label = format!("{} · {}", agent.record().model, agent.record().serial);
        Nvr {
            agent: Mutex::new(agent),
            label,
            sessions: Mutex::new(Sessions::default()),
            cloud,
            checkin: Arc::new(CheckIn::new(schedule)),
            clock,
            random,
        }
    }

    /// Runs `job` on the agent off the async threads: it writes the state file.
    pub async fn with_agent<T, F>(self: &Arc<Self>, job: F) -> Result<T, AgentGone>
    where
        T: Send + 'static,
        F: FnOnce(&mut ResetAgent) -> T + Send + 'static,
    {
        let nvr = Arc::clone(self);
        tokio::task::spawn_blocking(move || job(&mut nvr.lock_agent()))
            .await
            .map_err(|_| AgentGone)
    }

    /// The login, with argon2 run while the agent is free for every other request. All of it
    /// runs on one blocking thread, so a client that hangs up mid-check still has its guess
    /// counted.
    pub async fn login(
        self: &Arc<Self>,
        user: String,
        password: Zeroizing<String>,
    ) -> Result<Result<(), DeviceError>, AgentGone> {
        let nvr = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let attempt = nvr.lock_agent().begin_login()?;
            let verdict = attempt.check(&user, &password);
            nvr.lock_agent().finish_login(verdict)
        })
        .await
        .map_err(|_| AgentGone)
    }

    pub fn lock_agent(&self) -> MutexGuard<'_, ResetAgent> {
        // Every agent method keeps its state consistent before it can fail.
        self.agent.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn sessions(&self) -> MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The device's monotonic time, which sessions expire by.
    pub fn now(&self) -> Duration {
        self.clock.monotonic()
    }

    /// One exchange with the configured cloud (see [`Nvr::check_in`], which every sync goes
    /// through), and the bound flag stored. An answer that does not verify is an error and
    /// changes nothing.
    pub(crate) async fn sync(self: &Arc<Self>) -> Result<bool, SyncOutcomeError> {
        let cloud = self.cloud.as_ref().ok_or(SyncOutcomeError::NoCloud)?;
        let (record, nonce) = {
            let agent = self.lock_agent();
            (agent.record().clone(), agent.sync_nonce()?)
        };
        let bound = sync_once(cloud, &record, self.clock.unix_now(), nonce).await?;
        self.with_agent(move |agent| agent.record_sync(bound))
            .await
            .map_err(|_| SyncOutcomeError::Agent)??;
        Ok(bound)
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncOutcomeError {
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("the device agent is unavailable")]
    Agent,
    #[error("no cloud is configured")]
    NoCloud,
}

impl SyncOutcomeError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncOutcomeError::Sync(e) if e.is_transient())
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SyncOutcomeError::Sync(e) => e.retry_after(),
            _ => None,
        }
    }

    pub fn kind(&self) -> FailKind {
        match self {
            SyncOutcomeError::Sync(SyncError::Rejected) => FailKind::Rejected,
            SyncOutcomeError::Sync(_) | SyncOutcomeError::NoCloud => FailKind::Cloud,
            SyncOutcomeError::Device(_) | SyncOutcomeError::Agent => FailKind::Device,
        }
    }

    /// What the person at the NVR reads.
    pub fn plain_words(&self) -> String {
        match self {
            SyncOutcomeError::Sync(e) => e.plain_words(),
            SyncOutcomeError::NoCloud => "no cloud is configured on this NVR".into(),
            SyncOutcomeError::Device(_) | SyncOutcomeError::Agent => {
                "the NVR could not store the cloud's answer".into()
            }
        }
    }
}
