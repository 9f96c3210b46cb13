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
use crate::crypto::MasterKey;
use crate::error::{ApiError, Error};
use crate::forwarded::{ClientIp, TrustedProxies};
use crate::metrics::Metrics;
use crate::provision::{ProvisionRequest, provision_into};
use crate::routes::app;
use crate::state::{AppState, Policy, secs, unix_now};
use crate::storage::{self, Storage};
use hc_http_edge::{Activity, Guarded, until_idle};

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
    metrics_url: Option<String>,
    state: AppState,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    purger: JoinHandle<()>,
    /// The push delivery worker.
    pusher: JoinHandle<()>,
    /// The mail outbox worker.
    mailer: JoinHandle<()>,
    mail_dir: std::path::PathBuf,
}

impl RunningCloud {
    /// `http://127.0.0.1:PORT` or `https://...`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://127.0.0.1:PORT/metrics` when the configuration has a metrics listener.
    pub fn metrics_url(&self) -> Option<&str> {
        self.metrics_url.as_deref()
    }

    /// Where mail is written when no SMTP relay is configured ([`Config::mail_dir`]).
    pub fn mail_dir(&self) -> &std::path::Path {
        &self.mail_dir
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
        self.pusher.abort();
        // The mail worker sends what is due and stops (an aborted send would leave its row
        // leased, and the mail waiting for the lease to run out after the next start).
        let flush = self.state.policy().mail.timeout * 2 + std::time::Duration::from_secs(1);
        let _ = tokio::time::timeout(flush, &mut self.mailer).await;
        self.mailer.abort();
        self.state.storage().close().await;
    }
}

impl Drop for RunningCloud {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.purger.abort();
        self.pusher.abort();
        self.mailer.abort();
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
    // A bad relay setting stops the start, before the port is served.
    let mail_dir = config.mail_dir();
    let mail_sender = crate::mail::sender(&config.mail, mail_dir.clone())?;
    let (storage, master_key) = open(&config).await?;
    let state = AppState::new(storage, master_key, Policy::from_config(&config));
    let local_addr = listener.local_addr().map_err(Error::Network)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{local_addr}");
    let (stop, stopped) = watch::channel(false);
    let metrics = Metrics::new(config.max_db_connections);
    let metrics_url = match config.metrics_listen {
        Some(addr) => {
            Some(serve_metrics(addr, metrics.clone(), state.clone(), stopped.clone()).await?)
        }
        None => None,
    };
    let router = app(state.clone()).layer(axum::middleware::from_fn_with_state(
        metrics,
        crate::metrics::track,
    ));
    let timeouts = Timeouts {
        header_read: config.header_read_timeout,
        idle: config.idle_timeout,
    };
    let server = tokio::spawn(serve(
        listener,
        tls,
        router,
        Arc::new(config.trusted_proxies.clone()),
        stopped,
        config.shutdown_grace,
        timeouts,
    ));
    let purger = tokio::spawn(purge_periodically(state.clone()));
    let sender = crate::push::WebhookSender::new(&config.push).map_err(Error::Config)?;
    let pusher = tokio::spawn(crate::push::deliver_forever(
        state.clone(),
        Arc::new(sender),
    ));
    let mailer = tokio::spawn(crate::mail::deliver_forever(
        state.clone(),
        mail_sender.clone(),
        stop.subscribe(),
    ));
    if config.mail.smtp.is_none() {
        tracing::info!(
            "no SMTP server configured: mail is written to {}",
            mail_sender.describe()
        );
    } else {
        tracing::info!("mail goes to {}", mail_sender.describe());
    }
    let proxies: Vec<String> = config
        .trusted_proxies
        .blocks()
        .iter()
        .map(ToString::to_string)
        .collect();
    tracing::info!(
        %url,
        database = %redact_url(&config.database_url()),
        metrics = metrics_url.as_deref().unwrap_or("off"),
        trusted_proxies = %proxies.join(","),
        "hc-cloud started"
    );
    Ok(RunningCloud {
        url,
        local_addr,
        metrics_url,
        state,
        stop,
        server: Some(server),
        purger,
        pusher,
        mailer,
        mail_dir,
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

/// Serves `GET /metrics` on a listener of its own until `stopped`; its URL.
async fn serve_metrics(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    state: AppState,
    mut stopped: watch::Receiver<bool>,
) -> Result<String, Error> {
    let listener = TcpListener::bind(addr).await.map_err(Error::Network)?;
    let url = format!(
        "http://{}/metrics",
        listener.local_addr().map_err(Error::Network)?
    );
    let router = Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let metrics = metrics.clone();
                let state = state.clone();
                async move { crate::metrics::page(&metrics, state.storage()) }
            }),
        )
        .fallback(|| async { ApiError::for_status(axum::http::StatusCode::NOT_FOUND) });
    tokio::spawn(async move {
        let stop = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        if let Err(error) = axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::warn!(%error, "metrics listener failed");
        }
    });
    Ok(url)
}

async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    trusted_proxies: Arc<TrustedProxies>,
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
        let trusted_proxies = trusted_proxies.clone();
        let service = TowerToHyperService::new(tower::service_fn(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                let client = trusted_proxies.client_ip(peer.ip(), request.headers());
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(ClientIp(client));
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
