//! `ResetFlow`: the state machine of the "Reset Device Password" screen.
//!
//! ```text
//! Scanning --reset QR seen--> Recognized --> Requesting --code--> CodeReady
//!    ^                                          |
//!    |                                          +--error--> Failed --retry--> Requesting (same QR)
//!    +------------------ cancel (any state), retry from a failure without a QR -----+
//! ```
//!
//! Frames arrive faster than a phone decodes them. One frame waits at most: a newer frame replaces
//! the waiting one (latest wins), so the scanner always works on what the camera sees now and a
//! slow phone never builds a queue. States go to the listener in order, from one dispatcher task,
//! so a listener may call back into the flow.

use std::sync::{Arc, Mutex, MutexGuard};

use hc_protocol::{QR_PREFIX, parse_qr};
use tokio::sync::mpsc;

use crate::client::HcClient;
use crate::error::HcError;
use crate::runtime::runtime;
use crate::scan::{Frame, image_to_luma, scan_luma};
use crate::unix_now;

/// What the screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetState {
    /// The camera is looking for the device's QR code.
    Scanning,
    /// A reset QR code was read: the device's serial and model, before any network.
    Recognized {
        serial: String,
        model: String,
    },
    /// Asking the cloud for the verification code.
    Requesting {
        serial: String,
        model: String,
    },
    /// The code to enter on the device, valid until `expires_at_unix`.
    CodeReady {
        serial: String,
        model: String,
        code: String,
        expires_at_unix: i64,
    },
    Failed {
        error: HcError,
    },
}

/// Receives every state change, in order, on a core thread.
pub trait ResetFlowListener: Send + Sync {
    fn on_state(&self, state: ResetState);
}

/// The screen's state machine. Clones share one flow; dropping the last one stops its work.
#[derive(Clone)]
pub struct ResetFlow {
    shared: Arc<Shared>,
    _owner: Arc<Owner>,
}

/// Stops the flow's work when the last handle goes, even while tasks still hold the shared state.
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.lock().stop_work();
    }
}

struct Shared {
    client: HcClient,
    inner: Mutex<Inner>,
}

enum Input {
    Frame(Frame),
    Image(Vec<u8>),
}

/// The reset QR that was recognized, kept so that `retry` asks again without a new scan.
#[derive(Clone)]
struct Recognized {
    qr_text: String,
    serial: String,
    model: String,
    scanned_at: i64,
}

struct Inner {
    state: ResetState,
    /// Bumped by cancel and retry: results of older work are dropped.
    generation: u64,
    /// The one frame (or image) waiting for the decoder.
    waiting: Option<Input>,
    decoder_running: bool,
    recognized: Option<Recognized>,
    request: Option<tokio::task::AbortHandle>,
    events: mpsc::UnboundedSender<ResetState>,
}

impl Inner {
    /// Sets the state and queues it for the listener, under the lock so order is kept.
    fn set(&mut self, state: ResetState) {
        if self.state != state {
            self.state = state.clone();
            // The dispatcher only ends with the flow, so a send cannot fail while we hold it.
            let _ = self.events.send(state);
        }
    }

    fn stop_work(&mut self) {
        self.generation += 1;
        self.waiting = None;
        if let Some(request) = self.request.take() {
            request.abort();
        }
    }
}

impl ResetFlow {
    pub(crate) fn new(client: HcClient, listener: Arc<dyn ResetFlowListener>) -> Self {
        let (events, mut receiver) = mpsc::unbounded_channel::<ResetState>();
        runtime().spawn(async move {
            while let Some(state) = receiver.recv().await {
                let listener = listener.clone();
                // Foreign code may block or panic: keep it off the async workers and contained.
                let delivered = tokio::task::spawn_blocking(move || listener.on_state(state)).await;
                if delivered.is_err() {
                    tracing::warn!(target: "hc_core::reset_flow", "the state listener failed");
                }
            }
        });
        let shared = Arc::new(Shared {
            client,
            inner: Mutex::new(Inner {
                state: ResetState::Scanning,
                generation: 0,
                waiting: None,
                decoder_running: false,
                recognized: None,
                request: None,
                events,
            }),
        });
        ResetFlow {
            _owner: Arc::new(Owner(shared.clone())),
            shared,
        }
    }

    /// The current state.
    pub fn state(&self) -> ResetState {
        self.shared.lock().state.clone()
    }

    /// Hands a camera frame to the scanner. Returns at once; ignored unless scanning. A frame that
    /// arrives while another waits replaces it.
    pub fn submit_frame(&self, frame: Frame) {
        self.shared.clone().submit(Input::Frame(frame));
    }

    /// Hands an encoded PNG or JPEG (a screenshot, a gallery photo) to the scanner. Unlike a camera
    /// frame, one image is one attempt: no reset code in it is a failure.
    pub fn submit_image(&self, bytes: Vec<u8>) {
        self.shared.clone().submit(Input::Image(bytes));
    }

    /// A QR text read by other means. Fails with `NotAResetQr` / `InvalidQr` when it is not a
    /// usable reset code.
    pub fn submit_text(&self, text: String) {
        let generation = {
            let inner = self.shared.lock();
            if inner.state != ResetState::Scanning {
                return;
            }
            inner.generation
        };
        self.shared.clone().accept_text(generation, &text);
    }

    /// Stops whatever is under way and goes back to scanning.
    pub fn cancel(&self) {
        let mut inner = self.shared.lock();
        inner.stop_work();
        inner.recognized = None;
        inner.set(ResetState::Scanning);
    }

    /// After a failure: asks the cloud again for the QR already recognized (the same QR gets the
    /// same code), or goes back to scanning when there is none. Does nothing in other states.
    pub fn retry(&self) {
        let mut inner = self.shared.lock();
        if !matches!(inner.state, ResetState::Failed { .. }) {
            return;
        }
        inner.stop_work();
        match inner.recognized.clone() {
            Some(recognized) => self.shared.clone().start_request(&mut inner, recognized),
            None => inner.set(ResetState::Scanning),
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // States are plain values, consistent even if a holder panicked.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn submit(self: Arc<Self>, input: Input) {
        let mut inner = self.lock();
        if inner.state != ResetState::Scanning {
            return;
        }
        inner.waiting = Some(input);
        if !inner.decoder_running {
            inner.decoder_running = true;
            let generation = inner.generation;
            drop(inner);
            let shared = self.clone();
            runtime().spawn_blocking(move || shared.decode_waiting(generation));
        }
    }

    /// The decoder worker: takes the waiting input until there is none.
    fn decode_waiting(self: Arc<Self>, generation: u64) {
        loop {
            let input = {
                let mut inner = self.lock();
                let current = inner.generation == generation && inner.state == ResetState::Scanning;
                match inner.waiting.take().filter(|_| current) {
                    Some(input) => input,
                    None => {
                        inner.decoder_running = false;
                        return;
                    }
                }
            };
            match input {
                Input::Frame(frame) => self.clone().decode_frame(generation, &frame),
                Input::Image(bytes) => self.clone().decode_image(generation, &bytes),
            }
        }
    }

    fn decode_frame(self: Arc<Self>, generation: u64, frame: &Frame) {
        let luma = match frame.to_luma() {
            Ok(luma) => luma,
            Err(error) => return self.fail(generation, error),
        };
        // Other QR codes in view, and reset-looking texts that do not parse (a misread), are
        // ignored: the camera keeps looking.
        for text in scan_luma(&luma) {
            if text.starts_with(QR_PREFIX) && parse_qr(&text).is_ok() {
                return self.accept_text(generation, &text);
            }
        }
    }

    fn decode_image(self: Arc<Self>, generation: u64, bytes: &[u8]) {
        let luma = match image_to_luma(bytes) {
            Ok(luma) => luma,
            Err(error) => return self.fail(generation, error),
        };
        match scan_luma(&luma)
            .into_iter()
            .find(|t| t.starts_with(QR_PREFIX))
        {
            Some(text) => self.accept_text(generation, &text),
            None => self.fail(generation, HcError::NotAResetQr),
        }
    }

    fn accept_text(self: Arc<Self>, generation: u64, text: &str) {
        let qr = match parse_qr(text) {
            Ok(qr) => qr,
            Err(error) => return self.fail(generation, error.into()),
        };
        let mut inner = self.lock();
        if inner.generation != generation || inner.state != ResetState::Scanning {
            return;
        }
        let challenge = qr.challenge();
        let recognized = Recognized {
            qr_text: text.to_owned(),
            serial: challenge.serial.to_string(),
            model: challenge.model.clone(),
            scanned_at: unix_now(),
        };
        tracing::info!(target: "hc_core::reset_flow", serial = %recognized.serial, "reset QR recognized");
        inner.waiting = None;
        inner.set(ResetState::Recognized {
            serial: recognized.serial.clone(),
            model: recognized.model.clone(),
        });
        inner.recognized = Some(recognized.clone());
        self.clone().start_request(&mut inner, recognized);
    }

    fn start_request(self: Arc<Self>, inner: &mut Inner, recognized: Recognized) {
        inner.set(ResetState::Requesting {
            serial: recognized.serial.clone(),
            model: recognized.model.clone(),
        });
        let generation = inner.generation;
        let shared = self.clone();
        let task = runtime().spawn(async move {
            let result = shared
                .client
                .request_reset_code_scanned_at(&recognized.qr_text, recognized.scanned_at)
                .await;
            let mut inner = shared.lock();
            if inner.generation != generation {
                return;
            }
            inner.request = None;
            inner.set(match result {
                Ok(code) => ResetState::CodeReady {
                    serial: code.serial,
                    model: code.model,
                    code: code.code,
                    expires_at_unix: code.expires_at_unix,
                },
                Err(error) => {
                    tracing::info!(target: "hc_core::reset_flow", "reset code request failed: {error}");
                    ResetState::Failed { error }
                }
            });
        });
        inner.request = Some(task.abort_handle());
    }

    fn fail(self: Arc<Self>, generation: u64, error: HcError) {
        let mut inner = self.lock();
        if inner.generation == generation && inner.state == ResetState::Scanning {
            inner.waiting = None;
            inner.set(ResetState::Failed { error });
        }
    }
}
