//! What wraps every accepted connection of hc's HTTP servers (the cloud and the simulated NVR):
//! an idle clock, and the JSON body for the answers hyper writes by itself. One crate, so both
//! servers close slow and silent clients the same way and answer malformed requests alike.
//!
//! hyper answers a request it cannot parse (headers too large: 431, a bad URI or header: 400, a
//! URI too long: 414) before the router ever sees it, with an empty body. Every error of these
//! APIs has the JSON error body (`{"error": {"code", "message"}}`), so [`Guarded`] recognizes those
//! heads as they are written and writes that answer in their place. It can tell them apart
//! safely: the servers' routers never answer an error without a body, while hyper's own error
//! answers always say `content-length: 0`.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hc_protocol::api::{ErrorBody, ErrorCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// When bytes last moved on a connection, in milliseconds since the connection was accepted.
#[derive(Clone, Debug)]
pub struct Activity {
    since: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    pub fn new() -> Self {
        Activity {
            since: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// How long nothing has moved.
    pub fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.since.elapsed().saturating_sub(last)
    }
}

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

/// A connection's byte stream with its [`Activity`] and the JSON rewrite of hyper's own errors.
pub struct Guarded<S> {
    inner: S,
    activity: Activity,
    /// A rewritten answer still being written.
    pending: Vec<u8>,
}

impl<S> Guarded<S> {
    pub fn new(inner: S, activity: Activity) -> Self {
        Guarded {
            inner,
            activity,
            pending: Vec::new(),
        }
    }
}

impl<S: AsyncWrite + Unpin> Guarded<S> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let written =
                std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..written);
            self.activity.touch();
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.touch();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        if let Some(answer) = json_answer_for_bare_error(buf) {
            // The whole head is taken now and the replacement written from `pending`.
            this.pending = answer;
            return match this.poll_pending(cx) {
                Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
                _ => Poll::Ready(Ok(buf.len())),
            };
        }
        let written = std::task::ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        if written > 0 {
            this.activity.touch();
        }
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }

    // Not vectored: hyper then hands each answer's head over in one contiguous write, which is
    // what the recognition above needs.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

/// For a bare error head hyper wrote itself (`HTTP/1.x 4xx|5xx`, `content-length: 0`, nothing
/// after the head), the same answer with the API's JSON error body.
fn json_answer_for_bare_error(buf: &[u8]) -> Option<Vec<u8>> {
    let head = buf.strip_suffix(b"\r\n\r\n")?;
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let rest = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))?;
    let status: u16 = rest.get(..3)?.parse().ok()?;
    if !(400..600).contains(&status) {
        return None;
    }
    let mut empty = false;
    let mut kept = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        if name.eq_ignore_ascii_case("content-length") {
            empty = value.trim() == "0";
        } else if !name.eq_ignore_ascii_case("content-type") {
            kept.push(line);
        }
    }
    if !empty {
        return None;
    }
    let body = serde_json::to_vec(&bare_error_body(status)).ok()?;
    let mut answer = format!("{status_line}\r\n");
    for line in kept {
        answer.push_str(line);
        answer.push_str("\r\n");
    }
    answer.push_str(&format!(
        "content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    ));
    let mut answer = answer.into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

/// What an answer hyper wrote by itself says: the request could not be read, so it is the
/// client's (`bad_request`; `payload_too_large` for 413), unless hyper itself failed (`internal`).
fn bare_error_body(status: u16) -> ErrorBody {
    let (code, message) = match status {
        413 => (ErrorCode::PayloadTooLarge, "request body too large"),
        431 => (ErrorCode::BadRequest, "request headers too large"),
        414 => (ErrorCode::BadRequest, "request URI too long"),
        // A router's own answer to a known path asked with another method (a GET on a form's
        // address): the request was read; it is the method that does not fit.
        405 => (
            ErrorCode::MethodNotAllowed,
            "this address does not take that method",
        ),
        500..=599 => (
            ErrorCode::Internal,
            "the server could not answer this request",
        ),
        _ => (
            ErrorCode::BadRequest,
            "the request could not be read as HTTP",
        ),
    };
    ErrorBody::new(code, message)
}

/// Runs a connection until it ends, or until no byte has moved for `idle`; then it is dropped,
/// which closes it. A server's request deadline is shorter than any sensible idle timeout, so a
/// request being worked on is never cut by it.
pub async fn until_idle<F, E>(connection: F, activity: &Activity, idle: Duration) -> Result<(), E>
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

#[cfg(test)]
mod tests {
    use super::json_answer_for_bare_error;

    #[test]
    fn a_get_on_a_form_address_is_told_the_method_does_not_fit() {
        let bare = b"HTTP/1.1 405 Method Not Allowed\r\nallow: POST\r\ncontent-length: 0\r\n\r\n";
        let answer = String::from_utf8(json_answer_for_bare_error(bare).unwrap()).unwrap();
        assert!(answer.contains("allow: POST"), "{answer}");
        assert!(answer.contains("\"method_not_allowed\""), "{answer}");
        assert!(!answer.contains("could not be read"), "{answer}");
    }

    #[test]
    fn only_bodiless_error_heads_are_rewritten() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let answer = String::from_utf8(json_answer_for_bare_error(bare).unwrap()).unwrap();
        assert!(answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(answer.contains("connection: close\r\n"));
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let body: hc_protocol::api::ErrorBody = serde_json::from_str(body).unwrap();
        assert_eq!(body.error.code, hc_protocol::api::ErrorCode::BadRequest);

        for untouched in [
            &b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}",
            b"GET / HTTP/1.1\r\n\r\n",
        ] {
            assert!(json_answer_for_bare_error(untouched).is_none());
        }
    }
}
