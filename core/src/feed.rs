//! The owner's security feed, push endpoints and device transfers (DESIGN.md section 9, issue 19):
//! `GET /v1/events` (a long poll), `/v1/push-endpoints` and `/v1/transfers`, and [`FeedFollower`],
//! the loop the shells' `Flow` and `AsyncStream` wrap.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hc_protocol::api::{
    EVENTS_MAX_WAIT_SECS, FeedEvent, FeedPage, NewPushEndpoint, PushEndpoint, PushEndpointCreated,
    PushEndpointList, Transfer, TransferList, TransferRequest,
};
use hc_protocol::factory::LabelCode;
use reqwest::Method;

/// What happened in a feed event, and where a transfer stands (hc-protocol's).
pub use hc_protocol::api::{FeedEventKind, TransferState};

use crate::client::HcClient;
use crate::error::{HcError, Result};
use crate::http::Retry;
use crate::input;
use crate::messages::{MessageId, UiMessage};
use crate::scan::ResetQr;

/// One event of the owner's security feed. `message` is what a screen says about it ("Another
/// account (in***@example.com) asked for a code for J12345678: refused").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEventInfo {
    /// Grows with every event: the next page's `after`.
    pub id: i64,
    pub kind: FeedEventKind,
    pub at_unix: i64,
    pub serial: Option<String>,
    /// The other account, masked as `in***@example.com`.
    pub other_account: Option<String>,
    /// Where a new login came from, as its /24 or /48.
    pub client: Option<String>,
    pub transfer_id: Option<i64>,
    pub message: UiMessage,
}

impl From<FeedEvent> for FeedEventInfo {
    fn from(event: FeedEvent) -> Self {
        let serial = event.serial.clone().unwrap_or_else(|| "-".into());
        let other = event.other_account.clone().unwrap_or_else(|| "-".into());
        let message = match event.kind {
            FeedEventKind::ResetCodeIssued => {
                UiMessage::with(MessageId::FeedResetCodeIssued, [serial])
            }
            FeedEventKind::ResetAttemptRefused => {
                UiMessage::with(MessageId::FeedResetAttemptRefused, [other, serial])
            }
            FeedEventKind::NewLogin => UiMessage::with(
                MessageId::FeedNewLogin,
                [event.client.clone().unwrap_or_else(|| "-".into())],
            ),
            FeedEventKind::TransferRequested => {
                UiMessage::with(MessageId::FeedTransferRequested, [other, serial])
            }
            FeedEventKind::TransferRefused => {
                UiMessage::with(MessageId::FeedTransferRefused, [other, serial])
            }
            FeedEventKind::TransferApproved => {
                UiMessage::with(MessageId::FeedTransferApproved, [other, serial])
            }
            FeedEventKind::TransferCompleted => {
                UiMessage::with(MessageId::FeedTransferCompleted, [other, serial])
            }
            FeedEventKind::PasswordReset => UiMessage::plain(MessageId::FeedPasswordReset),
            FeedEventKind::Unknown => UiMessage::plain(MessageId::FeedUnknown),
        };
        FeedEventInfo {
            id: event.id,
            kind: event.kind,
            at_unix: event.at,
            serial: event.serial,
            other_account: event.other_account,
            client: event.client,
            transfer_id: event.transfer_id,
            message,
        }
    }
}

/// One page of the feed, oldest first; `next_after` is the `after` of the next call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEventPage {
    pub events: Vec<FeedEventInfo>,
    pub next_after: i64,
}

/// A registered push endpoint, as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEndpointInfo {
    pub id: i64,
    /// `webhook`.
    pub kind: String,
    pub url: String,
    pub created_at_unix: i64,
}

impl From<PushEndpoint> for PushEndpointInfo {
    fn from(e: PushEndpoint) -> Self {
        PushEndpointInfo {
            id: e.id,
            kind: e.kind,
            url: e.url,
            created_at_unix: e.created_at,
        }
    }
}

/// A webhook just registered, with the HMAC-SHA256 key of its `Hc-Signature`: shown this once.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookRegistration {
    pub endpoint: PushEndpointInfo,
    pub secret: String,
}

impl std::fmt::Debug for WebhookRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRegistration")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// One transfer request as this account sees it: `incoming` when it is for one of this account's
/// devices (this account may approve or refuse it), else this account's own request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferInfo {
    pub id: i64,
    pub serial: String,
    pub incoming: bool,
    pub state: TransferState,
    /// The other account, masked as `in***@example.com`.
    pub other_account: String,
    pub requested_at_unix: i64,
    /// When the device moves unless the owner refuses first.
    pub completes_at_unix: i64,
}

impl From<Transfer> for TransferInfo {
    fn from(t: Transfer) -> Self {
        TransferInfo {
            id: t.id,
            serial: t.serial,
            incoming: t.role == "owner",
            state: t.state,
            other_account: t.other_account,
            requested_at_unix: t.requested_at,
            completes_at_unix: t.completes_at,
        }
    }
}

impl HcClient {
    /// The feed's events after `after` (a previous page's `next_after`; `None`: from the start),
    /// oldest first. With none yet, the cloud holds the request up to `wait_secs` (at most 30)
    /// for the next one; the request's timeout grows by that wait.
    pub async fn feed_page(&self, after: Option<i64>, wait_secs: u32) -> Result<FeedEventPage> {
        let wait = u64::from(wait_secs).min(EVENTS_MAX_WAIT_SECS);
        let after = after.unwrap_or(0).max(0);
        let path = format!("/v1/events?after={after}&wait={wait}");
        let page: FeedPage = self
            .send_authorized_waiting(
                None,
                Method::GET,
                &path,
                None::<&()>,
                Retry::Idempotent,
                Duration::from_secs(wait),
            )
            .await?;
        Ok(FeedEventPage {
            events: page.events.into_iter().map(FeedEventInfo::from).collect(),
            next_after: page.next_after,
        })
    }

    /// Registers a webhook the cloud POSTs each feed event to (`https://`, a public host). The
    /// answer holds the signing secret, shown only this once.
    pub async fn register_webhook(&self, url: String) -> Result<WebhookRegistration> {
        let request = NewPushEndpoint {
            kind: "webhook".into(),
            url: url.trim().to_owned(),
        };
        let created: PushEndpointCreated = self
            .send_authorized(
                None,
                Method::POST,
                "/v1/push-endpoints",
                Some(&request),
                Retry::Once,
            )
            .await?;
        Ok(WebhookRegistration {
            endpoint: PushEndpointInfo {
                id: created.id,
                kind: created.kind,
                url: created.url,
                created_at_unix: created.created_at,
            },
            secret: created.secret,
        })
    }

    /// The account's push endpoints.
    pub async fn push_endpoints(&self) -> Result<Vec<PushEndpointInfo>> {
        let list: PushEndpointList = self
            .send_authorized(
                None,
                Method::GET,
                "/v1/push-endpoints",
                None::<&()>,
                Retry::Idempotent,
            )
            .await?;
        Ok(list.endpoints.into_iter().map(Into::into).collect())
    }

    /// Removes a push endpoint; one not in the account is `Server { code: NotFound }`.
    pub async fn remove_push_endpoint(&self, id: i64) -> Result<()> {
        let _: serde_json::Value = self
            .send_authorized(
                None,
                Method::DELETE,
                &format!("/v1/push-endpoints/{id}"),
                None::<&()>,
                Retry::Idempotent,
            )
            .await?;
        Ok(())
    }

    /// Asks for a device held by another account to be moved to this one, at the device: the QR
    /// code it shows right now (as scanned or typed; the same reading as
    /// [`HcClient::request_reset_code`]) and the label code printed on it (checked here first, as
    /// [`HcClient::add_device`] does). The owner may refuse until `completes_at_unix`.
    pub async fn request_transfer(
        &self,
        qr_text: String,
        label_code: String,
    ) -> Result<TransferInfo> {
        let qr = ResetQr::parse(qr_text)?;
        let label_code = input::label_text(&label_code);
        LabelCode::parse(&label_code).ok_or(HcError::InvalidLabelCode)?;
        let serial = qr.serial();
        let request = TransferRequest {
            qr: qr.text().to_owned(),
            label_code,
        };
        // Not retried: a QR is used once, so a repeat after a lost answer would be refused.
        let transfer: Transfer = self
            .send_authorized(
                Some(&serial),
                Method::POST,
                "/v1/transfers",
                Some(&request),
                Retry::Once,
            )
            .await?;
        Ok(transfer.into())
    }

    /// The transfer requests for this account's devices and its own, newest first.
    pub async fn transfers(&self) -> Result<Vec<TransferInfo>> {
        let list: TransferList = self
            .send_authorized(
                None,
                Method::GET,
                "/v1/transfers",
                None::<&()>,
                Retry::Idempotent,
            )
            .await?;
        Ok(list.transfers.into_iter().map(Into::into).collect())
    }

    /// Approves a request for one of this account's devices: it moves at once.
    pub async fn approve_transfer(&self, id: i64) -> Result<()> {
        self.decide_transfer(id, "approve").await
    }

    /// Refuses a request for one of this account's devices: it stays.
    pub async fn refuse_transfer(&self, id: i64) -> Result<()> {
        self.decide_transfer(id, "refuse").await
    }

    async fn decide_transfer(&self, id: i64, decision: &str) -> Result<()> {
        // Once: a request already settled is not open any more.
        let _: serde_json::Value = self
            .send_authorized(
                None,
                Method::POST,
                &format!("/v1/transfers/{id}/{decision}"),
                None::<&()>,
                Retry::Once,
            )
            .await?;
        self.refresh_devices_after_change().await;
        Ok(())
    }
}

/// Hears a [`FeedFollower`]: each event once, in order, and what stops or delays the feed.
pub trait FeedListener: Send + Sync {
    fn on_event(&self, event: FeedEventInfo);
    /// The feed could not be read. `retrying`: it is tried again after a backoff (the cloud could
    /// not be reached); otherwise the follower has stopped (log in again, for one).
    fn on_error(&self, error: HcError, retrying: bool);
}

/// The first wait after a network error; it doubles up to [`FEED_MAX_BACKOFF`].
pub const FEED_FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between attempts while the cloud cannot be reached.
pub const FEED_MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Follows the feed: long-polls `GET /v1/events` from the last event it handed on, gives each
/// event to the listener once, backs off while the cloud cannot be reached, and stops when told
/// (or when the session is gone). Runs on the core runtime; dropping it stops it too.
pub struct FeedFollower {
    stop: tokio::sync::watch::Sender<bool>,
    last_id: Arc<AtomicI64>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl FeedFollower {
    /// Starts following after event `after` (`None`: from the first event the account has).
    pub fn start(client: HcClient, after: Option<i64>, listener: Arc<dyn FeedListener>) -> Self {
        Self::start_with(client, after, listener, EVENTS_MAX_WAIT_SECS as u32)
    }

    /// [`FeedFollower::start`] with another long-poll wait (tests).
    pub fn start_with(
        client: HcClient,
        after: Option<i64>,
        listener: Arc<dyn FeedListener>,
        wait_secs: u32,
    ) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let last_id = Arc::new(AtomicI64::new(after.unwrap_or(0).max(0)));
        let last = last_id.clone();
        let task = crate::runtime::runtime().spawn(async move {
            let mut backoff = FEED_FIRST_BACKOFF;
            loop {
                let after = last.load(Ordering::SeqCst);
                // Cancel-safe: a page dropped unread is asked for again from the same `after`.
                let page = tokio::select! {
                    _ = stopped.wait_for(|s| *s) => return,
                    page = client.feed_page(Some(after), wait_secs) => page,
                };
                match page {
                    Ok(page) => {
                        backoff = FEED_FIRST_BACKOFF;
                        for event in page.events {
                            if *stopped.borrow() {
                                return;
                            }
                            if event.id > last.load(Ordering::SeqCst) {
                                last.store(event.id, Ordering::SeqCst);
                                listener.on_event(event);
                            }
                        }
                    }
                    Err(error) if error.is_unreachable() => {
                        listener.on_error(error, true);
                        tokio::select! {
                            _ = stopped.wait_for(|s| *s) => return,
                            _ = tokio::time::sleep(backoff) => {}
                        }
                        backoff = (backoff * 2).min(FEED_MAX_BACKOFF);
                    }
                    Err(error) => {
                        listener.on_error(error, false);
                        return;
                    }
                }
            }
        });
        FeedFollower {
            stop,
            last_id,
            task: Mutex::new(Some(task)),
        }
    }

    /// The id of the last event handed on (or the start's `after`): where a new follower resumes.
    pub fn last_id(&self) -> i64 {
        self.last_id.load(Ordering::SeqCst)
    }

    /// Stops following; no event reaches the listener after this returns... except one being
    /// handed on at this moment. Idempotent.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Stopped (told to, or ended by an error it reported).
    pub fn is_stopped(&self) -> bool {
        self.task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_none_or(|t| t.is_finished())
    }

    /// Stops and waits for the loop to end: after this no event reaches the listener.
    pub async fn stop_and_wait(&self) {
        self.stop();
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for FeedFollower {
    fn drop(&mut self) {
        self.stop();
    }
}
