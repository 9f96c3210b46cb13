//! The accept loop: HTTP/1.1 connections with a deadline for the request headers and an idle
//! limit, so a client that opens connections and sends nothing, or a byte now and then, cannot
//! hold them for ever. A device has few connections to give. The idle clock and the JSON body of
//! hyper's own error answers are `hc-http-edge`'s, shared with the cloud.

use std::io;
use std::time::Duration;

use axum::Router;
use hc_http_edge::{Activity, Guarded, until_idle};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// How long the NVR waits on a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the moment a connection waits for a request until its headers are complete
    /// (also the keep-alive limit between requests).
    pub header_read: Duration,
    /// With nothing read or written, in the middle of a request or not.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(30),
        }
    }
}

/// Serves `app` on `listener` until `stop` fires, then lets running requests finish.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    timeouts: Timeouts,
    mut stop: oneshot::Receiver<()>,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: not fatal.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let activity = Activity::new();
        let io = TokioIo::new(Guarded::new(stream, activity.clone()));
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(timeouts.header_read);
        let connection = builder.serve_connection(io, TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = until_idle(connection, &activity, timeouts.idle).await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
