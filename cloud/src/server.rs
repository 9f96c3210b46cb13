//! Starting and stopping the service: [`launch`] for the binary, tests and the demo.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hc_protocol::factory::DeviceRecord;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::config::Config;
use crate::conn::{Activity, Guarded};
use crate::crypto::MasterKey;
use crate::error::Error;
use crate::provision::{ProvisionRequest, provision_into};
use crate::routes::app;
use crate::state::{AppState, Policy, secs, unix_now};
use crate::storage::{self, Storage};

/// How long a client may take to finish the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often expired tokens and rate-limit windows are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// A running service. Dropping it without [`RunningCloud::shutdown`] stops accepting connections
/// too, but does not wait for requests in flight.
#[derive(Debug)]
pub struct RunningCloud {
    url: String,
    local_addr: SocketAddr,
    state: AppState,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    purger: JoinHandle<()>,
}

impl RunningCloud {
    /// `http://127.0.0.1:PORT` or `https://...`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The shared state, e.g. for [`crate::app`] in `oneshot` tests against the same database.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Provisions a device into this cloud's database, as `hc-cloud provision` would.
    pub async fn provision(&self, request: ProvisionRequest) -> Result<DeviceRecord, Error> {
        provision_into(self.state.storage(), self.state.master_key(), request).await
    }

    /// Stops accepting, lets requests in flight finish (up to the configured grace period), and
    /// closes the database.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.purger.abort();
        self.state.storage().close().await;
    }
}

impl Drop for RunningCloud {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.purger.abort();
    }
}

/// Opens the database (running its migrations) and the master key a configuration names.
pub async fn open(config: &Config) -> Result<(Arc<dyn Storage>, Arc<MasterKey>), Error> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| Error::io(&config.data_dir, e))?;
    let master_key = Arc::new(MasterKey::load_or_create(&config.master_key_path())?);
    let pool = storage::PoolSettings {
        max_connections: config.max_db_connections,
        acquire_timeout: config.db_acquire_timeout,
    };
    let storage = storage::connect(&config.database_url(), pool).await?;
    Ok((storage, master_key))
}

/// Starts the service on `config.listen`.
pub async fn launch(config: Config) -> Result<RunningCloud, Error> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(Error::Network)?;
    launch_with_listener(config, listener).await
}

/// Starts the service on a listener the caller bound.
pub async fn launch_with_listener(
    config: Config,
    listener: TcpListener,
) -> Result<RunningCloud, Error> {
    let tls = config.tls.as_ref().map(crate::tls::acceptor).transpose()?;
    let (storage, master_key) = open(&config).await?;
    let state = AppState::new(storage, master_key, Policy::from_config(&config));
    let local_addr = listener.local_addr().map_err(Error::Network)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{local_addr}");
    let (stop, stopped) = watch::channel(false);
    let router = app(state.clone());
    let timeouts = Timeouts {
        header_read: config.header_read_timeout,
        idle: config.idle_timeout,
    };
    let server = tokio::spawn(serve(
        listener,
        tls,
        router,
        stopped,
        config.shutdown_grace,
        timeouts,
    ));
    let purger = tokio::spawn(purge_periodically(state.clone()));
    tracing::info!(%url, database = %redact_url(&config.database_url()), "hc-cloud started");
    Ok(RunningCloud {
        url,
        local_addr,
        state,
        stop,
        server: Some(server),
        purger,
    })
}

/// Provisions a device into the database and master key of `config` without starting a server.
pub async fn provision(config: &Config, request: ProvisionRequest) -> Result<DeviceRecord, Error> {
    let (storage, master_key) = open(config).await?;
    let record = provision_into(storage.as_ref(), &master_key, request).await;
    storage.close().await;
    record
}

/// How long a connection may dawdle.
#[derive(Clone, Copy, Debug)]
struct Timeouts {
    header_read: Duration,
    idle: Duration,
}

async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    mut stopped: watch::Receiver<bool>,
    grace: Duration,
    timeouts: Timeouts,
) {
    let graceful = GracefulShutdown::new();
    let mut connections = ConnectionBuilder::new(TokioExecutor::new());
    // Slow-header connections (slowloris) are closed after the header timeout; on HTTP/1 it also
    // bounds how long a kept-alive connection waits for its next request.
    connections
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    connections.http2().timer(TokioTimer::new());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = TowerToHyperService::new(tower::service_fn(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(request)
            },
        ));
        let connections = connections.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let activity = Activity::new();
            let result = match tls {
                None => {
                    let io = TokioIo::new(Guarded::new(stream, activity.clone()));
                    let connection = connections.serve_connection(io, service);
                    until_idle(
                        watcher.watch(connection.into_owned()),
                        &activity,
                        timeouts.idle,
                    )
                    .await
                }
                Some(acceptor) => {
                    let stream =
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(error)) => {
                                tracing::debug!(%peer, %error, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                    let io = TokioIo::new(Guarded::new(stream, activity.clone()));
                    let connection = connections.serve_connection(io, service);
                    until_idle(
                        watcher.watch(connection.into_owned()),
                        &activity,
                        timeouts.idle,
                    )
                    .await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections closed"),
        _ = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing connections in flight"),
    }
}

/// Runs a connection until it ends, or until no byte has moved for `idle`; then it is dropped,
/// which closes it. The request deadline is shorter than any sensible idle timeout, so a request
/// being worked on is never cut by it.
async fn until_idle<F, E>(connection: F, activity: &Activity, idle: Duration) -> Result<(), E>
where
    F: std::future::Future<Output = Result<(), E>>,
{
    tokio::pin!(connection);
    let mut check = tokio::time::interval((idle / 4).max(Duration::from_millis(10)));
    loop {
        tokio::select! {
            result = &mut connection => return result,
            _ = check.tick() => {
                if activity.idle_for() >= idle {
                    tracing::debug!("closing an idle connection");
                    return Ok(());
                }
            }
        }
    }
}

async fn purge_periodically(state: AppState) {
    // The first tick is at once: a restart purges too.
    let mut interval = tokio::time::interval(PURGE_INTERVAL);
    loop {
        interval.tick().await;
        purge(&state).await;
    }
}

/// Drops expired tokens, rate-limit windows that cannot matter any more, and audit rows past
/// their retention. Runs in the background every few minutes; public for tests.
pub async fn purge(state: &AppState) {
    let now = unix_now();
    let policy = state.policy();
    // Keep the current and the previous window; anything older cannot matter.
    let cutoff = now - 2 * secs(policy.rate_limits.window).max(1);
    if let Err(error) = state.storage().purge_expired(now, cutoff).await {
        tracing::warn!(%error, "purging expired tokens failed");
    }
    let audit_cutoff = now.saturating_sub(secs(policy.audit_retention));
    match state.storage().purge_audit(audit_cutoff).await {
        Ok(0) => {}
        Ok(rows) => tracing::info!(rows, "audit rows past their retention deleted"),
        Err(error) => tracing::warn!(%error, "purging old audit rows failed"),
    }
}

/// A database URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}://{user}:***@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_passwords_never_reach_the_logs() {
        assert_eq!(
            redact_url("postgres://hc:s3cret@db.internal:5432/hc"),
            "postgres://hc:***@db.internal:5432/hc"
        );
        assert_eq!(
            redact_url("sqlite:///data/hc.sqlite3"),
            "sqlite:///data/hc.sqlite3"
        );
    }
}
