//! `ResetFlow`: the state machine of the "Reset Device Password" screen.
//!
//! ```text
//! Scanning --reset QR seen--> Recognized --> Requesting --code--> CodeReady
//!  | ^  (hint: why the last frame could not be read)  |
//!    |                                          +--error--> Failed --retry--> Requesting (same QR)
//!    +------------------ cancel (any state), retry from a failure without a QR -----+
//! ```
//!
//! Frames arrive faster than a phone decodes them. One frame waits at most: a newer frame replaces
//! the waiting one (latest wins), so the scanner always works on what the camera sees now and a
//! slow phone never builds a queue. A frame in which nothing could be read updates the scanning
//! state's hint (no code in view, too small, blurred, glare, too dark), so the screen can say what
//! to do; a still image in which nothing could be read fails with `NoQrFound` and its hint. States
//! go to the listener in order, from one dispatcher task, so a listener may call back into the
//! flow.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use crate::client::HcClient;
use crate::error::HcError;
use crate::runtime::runtime;
use crate::scan::{Frame, ResetQr, ScanHint, Scanner, hint_for, image_to_luma};
use crate::unix_now;

/// What the screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetState {
    /// The camera is looking for the device's QR code. `hint` says why the last frame could not
    /// be read; `None` before any frame was looked at.
    Scanning {
        hint: Option<ScanHint>,
    },
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

impl ResetState {
    /// Scanning, before any frame was looked at.
    pub const SCANNING: ResetState = ResetState::Scanning { hint: None };

    pub fn is_scanning(&self) -> bool {
        matches!(self, ResetState::Scanning { .. })
    }
}

/// How many camera frames the flow was handed, and what became of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameCounts {
    pub submitted: u64,
    /// Looked at by the decoder (counted once the decoder is done with it).
    pub decoded: u64,
    /// Replaced by a newer frame while waiting for the decoder (latest wins), never looked at.
    pub replaced: u64,
}

/// Receives every state change, in order, on a core thread.
pub trait ResetFlowListener: Send + Sync {
    fn on_state(&self, state: ResetState);
}

/// The screen's state machine. Clones share one flow; dropping the last one stops its work.
///
/// The camera hands it frames; the listener sees `Recognized` as soon as a reset QR is read, then
/// `Requesting`, then `CodeReady` (or `Failed`).
///
/// ```
/// use std::sync::{Arc, mpsc};
/// use std::time::Duration;
///
/// use hc_core::{ClientConfig, Frame, FrameFormat, HcClient, MemoryStore};
/// use hc_core::{ResetFlowListener, ResetState};
/// # use hc_core::fake_cloud::FakeCloud;
/// # use hc_core::scan::testing::reset_text_for;
///
/// /// The screen; here it passes the states on to the example.
/// struct Screen(mpsc::Sender<ResetState>);
///
/// impl ResetFlowListener for Screen {
///     fn on_state(&self, state: ResetState) {
///         let _ = self.0.send(state);
///     }
/// }
///
/// # let cloud_url = hc_core::runtime::runtime().block_on(async {
/// #     let (cloud, url) = FakeCloud::start().await;
/// #     cloud.add_device("J12345678");
/// #     url
/// # });
/// let client = HcClient::new(ClientConfig::new(cloud_url), Arc::new(MemoryStore::new()))?;
/// hc_core::runtime::runtime()
///     .block_on(client.login("owner@example.com".into(), "correct horse".into()))?;
/// let (screen, shown) = mpsc::channel();
/// let flow = client.reset_flow(Arc::new(Screen(screen)));
///
/// // A camera frame showing the NVR's reset QR code (here drawn on a grey 8-bit luma plane).
/// # let symbol = qrcode::QrCode::new(reset_text_for("J12345678")).unwrap()
/// #     .render::<image::Luma<u8>>().module_dimensions(4, 4).build();
/// # let mut luma = image::GrayImage::from_pixel(640, 480, image::Luma([210]));
/// # image::imageops::overlay(&mut luma, &symbol, 150, 60);
/// let frame = Frame {
///     width: 640,
///     height: 480,
///     row_stride: 640,
///     format: FrameFormat::Luma8,
///     bytes: luma.into_raw(),
///     rotation_degrees: 0,
/// };
/// flow.submit_frame(frame);
/// let code = loop {
///     match shown.recv_timeout(Duration::from_secs(60)).expect("the flow goes on") {
///         ResetState::CodeReady { code, .. } => break code,
///         ResetState::Failed { error } => panic!("{error}"),
///         _ => {} // Recognized { serial, model }, then Requesting
///     }
/// };
/// assert_eq!(code, "01234567");
/// # Ok::<(), hc_core::HcError>(())
/// ```
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
    /// The camera's scanning session: which attempt comes next and where the code was last seen,
    /// kept between frames. Only the one decoder worker locks it.
    scanner: Mutex<Scanner>,
}

enum Input {
    Frame(Frame),
    Image(Vec<u8>),
}

/// The reset QR that was recognized, kept so that `retry` asks again without a new scan.
#[derive(Clone)]
struct Recognized {
    qr: ResetQr,
    scanned_at: i64,
}

struct Inner {
    state: ResetState,
    /// Bumped by cancel and retry: results of older work are dropped.
    generation: u64,
    /// The one frame (or image) waiting for the decoder.
    waiting: Option<Input>,
    decoder_running: bool,
    frames: FrameCounts,
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

impl HcClient {
    /// The reset screen's state machine, pushing its states to `listener`.
    pub fn reset_flow(&self, listener: Arc<dyn ResetFlowListener>) -> ResetFlow {
        ResetFlow::new(self.clone(), listener)
    }
}

impl ResetFlow {
    fn new(client: HcClient, listener: Arc<dyn ResetFlowListener>) -> Self {
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
                state: ResetState::SCANNING,
                generation: 0,
                waiting: None,
                decoder_running: false,
                frames: FrameCounts::default(),
                recognized: None,
                request: None,
                events,
            }),
            scanner: Mutex::new(Scanner::camera()),
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

    /// The camera frames handed to this flow so far: how many were decoded and how many were
    /// replaced by a newer one before the decoder got to them.
    pub fn frame_counts(&self) -> FrameCounts {
        self.shared.lock().frames
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

    /// A QR text read by other means, or typed by hand from the device's page (spaces, line
    /// breaks, dashes and lower case are fine). Fails with `NotAResetQr` / `InvalidQr` when it is
    /// not a usable reset code, `NoQrFound` when it is blank (nothing was read).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::{Duration, Instant};
    /// # use hc_core::{ClientConfig, HcClient, HcError, MemoryStore, ResetFlowListener, ResetState};
    /// # use hc_core::fake_cloud::FakeCloud;
    /// # struct Screen;
    /// # impl ResetFlowListener for Screen {
    /// #     fn on_state(&self, _: ResetState) {}
    /// # }
    /// # let cloud_url = hc_core::runtime::runtime().block_on(FakeCloud::start()).1;
    /// # let client = HcClient::new(ClientConfig::new(cloud_url), Arc::new(MemoryStore::new()))?;
    /// let flow = client.reset_flow(Arc::new(Screen));
    /// flow.submit_text("https://example.invalid/menu".into());
    /// # let deadline = Instant::now() + Duration::from_secs(60);
    /// # while flow.state().is_scanning() && Instant::now() < deadline {
    /// #     std::thread::sleep(Duration::from_millis(5));
    /// # }
    /// assert_eq!(flow.state(), ResetState::Failed { error: HcError::NotAResetQr });
    /// flow.retry(); // nothing was recognized: back to scanning
    /// assert_eq!(flow.state(), ResetState::Scanning { hint: None });
    /// # Ok::<(), HcError>(())
    /// ```
    pub fn submit_text(&self, text: String) {
        let generation = {
            let inner = self.shared.lock();
            if !inner.state.is_scanning() {
                return;
            }
            inner.generation
        };
        if text.trim().is_empty() {
            let error = HcError::NoQrFound {
                hint: ScanHint::NoCode,
            };
            return self.shared.clone().fail(generation, error);
        }
        match ResetQr::parse(crate::input::reset_qr_text(&text)) {
            Ok(qr) => self.shared.clone().accept(generation, qr),
            Err(error) => self.shared.clone().fail(generation, error),
        }
    }

    /// Stops whatever is under way and goes back to scanning.
    pub fn cancel(&self) {
        let mut inner = self.shared.lock();
        inner.stop_work();
        inner.recognized = None;
        inner.set(ResetState::SCANNING);
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
            None => inner.set(ResetState::SCANNING),
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
        if !inner.state.is_scanning() {
            return;
        }
        if let Input::Frame(_) = input {
            inner.frames.submitted += 1;
        }
        if let Some(Input::Frame(_)) = inner.waiting.replace(input) {
            inner.frames.replaced += 1;
        }
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
                let current = inner.generation == generation && inner.state.is_scanning();
                match inner.waiting.take().filter(|_| current) {
                    Some(input) => input,
                    None => {
                        inner.decoder_running = false;
                        return;
                    }
                }
            };
            match input {
                Input::Frame(frame) => {
                    self.clone().decode_frame(generation, &frame);
                    self.lock().frames.decoded += 1;
                }
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
        // ignored: the camera keeps looking. Only a frame in which nothing was read says why.
        let reading = self
            .scanner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .scan(&luma);
        match reading.reset_qr {
            Some(Ok(qr)) => self.accept(generation, qr),
            _ if reading.texts.is_empty() => self.show_hint(generation, hint_for(&luma)),
            _ => {}
        }
    }

    fn decode_image(self: Arc<Self>, generation: u64, bytes: &[u8]) {
        let luma = match image_to_luma(bytes) {
            Ok(luma) => luma,
            Err(error) => return self.fail(generation, error),
        };
        // One image is one attempt: no reset code in it is a failure, and which one tells the
        // user what to do: take the photo again (nothing read), or find the device's own code.
        let reading = Scanner::still().scan(&luma);
        match reading.reset_qr {
            Some(Ok(qr)) => self.accept(generation, qr),
            Some(Err(misread)) => self.fail(generation, misread),
            None if reading.texts.is_empty() => {
                let hint = hint_for(&luma);
                self.fail(generation, HcError::NoQrFound { hint })
            }
            None => self.fail(generation, HcError::NotAResetQr),
        }
    }

    /// Why the last frame could not be read, while the camera keeps looking.
    fn show_hint(self: Arc<Self>, generation: u64, hint: ScanHint) {
        let mut inner = self.lock();
        if inner.generation == generation && inner.state.is_scanning() {
            inner.set(ResetState::Scanning { hint: Some(hint) });
        }
    }

    fn accept(self: Arc<Self>, generation: u64, qr: ResetQr) {
        let mut inner = self.lock();
        if inner.generation != generation || !inner.state.is_scanning() {
            return;
        }
        let recognized = Recognized {
            qr,
            scanned_at: unix_now(),
        };
        tracing::info!(target: "hc_core::reset_flow", serial = %recognized.qr.serial(), "reset QR recognized");
        inner.waiting = None;
        inner.set(ResetState::Recognized {
            serial: recognized.qr.serial(),
            model: recognized.qr.model().to_owned(),
        });
        inner.recognized = Some(recognized.clone());
        self.clone().start_request(&mut inner, recognized);
    }

    fn start_request(self: Arc<Self>, inner: &mut Inner, recognized: Recognized) {
        inner.set(ResetState::Requesting {
            serial: recognized.qr.serial(),
            model: recognized.qr.model().to_owned(),
        });
        let generation = inner.generation;
        let shared = self.clone();
        let task = runtime().spawn(async move {
            let result = shared
                .client
                .request_reset_code_scanned_at(&recognized.qr, recognized.scanned_at)
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
        if inner.generation == generation && inner.state.is_scanning() {
            inner.waiting = None;
            inner.set(ResetState::Failed { error });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    use axum::http::StatusCode;
    use hc_protocol::api::ErrorCode;

    use super::*;
    use crate::config::ClientConfig;
    use crate::fake_cloud::FakeCloud;
    use crate::scan::FrameFormat;
    use crate::scan::testing::{frame_of, qr_scene, reset_text_for, sample_reset_text};
    use crate::store::MemoryStore;

    #[derive(Default)]
    struct Screen(Mutex<Vec<ResetState>>);

    impl ResetFlowListener for Screen {
        fn on_state(&self, state: ResetState) {
            self.0.lock().unwrap().push(state);
        }
    }

    impl Screen {
        fn states(&self) -> Vec<ResetState> {
            self.0.lock().unwrap().clone()
        }

        /// Waits until the last state shown matches. The deadline only bounds a failing run: on a
        /// loaded machine a debug build decodes a frame in seconds, not milliseconds.
        fn wait_for(&self, what: &str, done: impl Fn(&ResetState) -> bool) -> Vec<ResetState> {
            self.wait_showing(None, what, done)
        }

        /// Like [`Screen::wait_for`], while the camera keeps delivering `frame` as a real one does.
        /// One frame's search has a fixed budget of work (`scan::CAMERA_BUDGET`), so the attempt
        /// that reads a hard frame may come on a later one: the camera goes on delivering.
        fn wait_while_camera_shows(
            &self,
            camera: (&ResetFlow, &Frame),
            what: &str,
            done: impl Fn(&ResetState) -> bool,
        ) -> Vec<ResetState> {
            self.wait_showing(Some(camera), what, done)
        }

        fn wait_showing(
            &self,
            camera: Option<(&ResetFlow, &Frame)>,
            what: &str,
            done: impl Fn(&ResetState) -> bool,
        ) -> Vec<ResetState> {
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut next_frame = Instant::now() + Duration::from_millis(200);
            loop {
                let states = self.states();
                if states.last().is_some_and(&done) {
                    return states;
                }
                assert!(Instant::now() < deadline, "no {what}; states: {states:?}");
                if let Some((flow, frame)) = camera.filter(|_| Instant::now() >= next_frame) {
                    flow.submit_frame(frame.clone());
                    next_frame = Instant::now() + Duration::from_millis(200);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Waits until the scanner has nothing left to decode, so that "nothing happened" means the
    /// frames were looked at, not that they were still waiting.
    fn wait_until_decoder_idle(flow: &ResetFlow) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            {
                let inner = flow.shared.lock();
                if !inner.decoder_running && inner.waiting.is_none() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the decoder never finished");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The states after the scanner's hints (which depend on how many frames a loaded machine
    /// got to look at).
    fn not_scanning(states: Vec<ResetState>) -> Vec<ResetState> {
        states.into_iter().filter(|s| !s.is_scanning()).collect()
    }

    fn is_code(state: &ResetState) -> bool {
        matches!(state, ResetState::CodeReady { .. })
    }

    fn is_failed(state: &ResetState) -> bool {
        matches!(state, ResetState::Failed { .. })
    }

    async fn screen_with_device(serial: Option<&str>) -> (Arc<FakeCloud>, ResetFlow, Arc<Screen>) {
        let (cloud, url) = FakeCloud::start().await;
        if let Some(serial) = serial {
            cloud.add_device(serial);
        }
        let client = HcClient::new(ClientConfig::new(url), Arc::new(MemoryStore::new())).unwrap();
        client
            .login("owner@example.com".into(), "correct horse".into())
            .await
            .unwrap();
        let screen = Arc::new(Screen::default());
        let flow = client.reset_flow(screen.clone());
        (cloud, flow, screen)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scanning_the_device_qr_shows_the_code_valid_for_30_minutes() {
        let (_cloud, flow, screen) = screen_with_device(Some("J12345678")).await;
        assert_eq!(flow.state(), ResetState::SCANNING);
        let before = unix_now();
        let scene = qr_scene(&[&sample_reset_text()], 640, 480);
        let frame = frame_of(&scene, FrameFormat::Nv21, 90, 16);
        flow.submit_frame(frame.clone());
        let states = screen.wait_while_camera_shows((&flow, &frame), "code", is_code);
        let states = not_scanning(states);
        let device = ("J12345678".to_owned(), "DS-7608NI-K2".to_owned());
        assert_eq!(
            states[..2],
            [
                ResetState::Recognized {
                    serial: device.0.clone(),
                    model: device.1.clone()
                },
                ResetState::Requesting {
                    serial: device.0.clone(),
                    model: device.1.clone()
                },
            ]
        );
        let ResetState::CodeReady {
            code,
            expires_at_unix,
            ..
        } = flow.state()
        else {
            panic!("{:?}", flow.state());
        };
        assert_eq!(code, "01234567");
        assert!((before + 1800..=unix_now() + 1800).contains(&expires_at_unix));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn other_qr_codes_in_view_are_ignored_while_scanning() {
        let (_cloud, flow, screen) = screen_with_device(Some("J12345678")).await;
        let menu = qr_scene(&["https://example.invalid/menu"], 480, 480);
        flow.submit_frame(frame_of(&menu, FrameFormat::Luma8, 0, 0));
        wait_until_decoder_idle(&flow);
        assert_eq!(flow.state(), ResetState::SCANNING);
        assert!(screen.states().is_empty());
        let both = qr_scene(
            &["https://example.invalid/menu", &sample_reset_text()],
            960,
            480,
        );
        let both = frame_of(&both, FrameFormat::Bgra8, 0, 0);
        flow.submit_frame(both.clone());
        screen.wait_while_camera_shows((&flow, &both), "code", is_code);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_latest_frame_wins_while_the_decoder_is_busy() {
        let (cloud, flow, screen) = screen_with_device(Some("K00000001")).await;
        // The decoder is busy with a frame while the camera delivers more; only the newest of
        // them is decoded. "Busy" is made certain, not left to timing on a loaded machine: the
        // test holds the scanner, so the decoder waits inside its first frame until all the
        // others have arrived.
        let busy = image::GrayImage::from_pixel(3840, 2160, image::Luma([200]));
        let busy = frame_of(&busy, FrameFormat::Luma8, 0, 0);
        let frames: Vec<_> = ["J00000001", "J00000002", "J00000003", "K00000001"]
            .into_iter()
            .map(|serial| {
                let scene = qr_scene(&[&reset_text_for(serial)], 480, 480);
                frame_of(&scene, FrameFormat::Luma8, 0, 0)
            })
            .collect();
        let newest = frames.last().unwrap().clone();
        let decoder_busy = flow.shared.scanner.lock().unwrap();
        flow.submit_frame(busy);
        // The decoder has taken the busy frame (it is no longer waiting) before the others come:
        // on a loaded machine the decoder's thread may start late, and the first of the others
        // would replace the busy frame and be the one it waits inside.
        let deadline = Instant::now() + Duration::from_secs(60);
        while flow.shared.lock().waiting.is_some() {
            assert!(
                Instant::now() < deadline,
                "the decoder never took the busy frame"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        for frame in frames {
            flow.submit_frame(frame);
        }
        drop(decoder_busy);
        // The camera keeps showing the newest device; older frames never come back.
        let states = screen.wait_while_camera_shows((&flow, &newest), "code", is_code);
        let counts = flow.frame_counts();
        assert!(
            counts.replaced >= 3,
            "the waiting frames were replaced: {counts:?}"
        );
        assert!(
            counts.decoded + counts.replaced <= counts.submitted,
            "{counts:?}"
        );
        let states = not_scanning(states);
        assert_eq!(
            states[0],
            ResetState::Recognized {
                serial: "K00000001".into(),
                model: "DS-7608NI-K2".into()
            },
            "older frames were replaced, never decoded: {states:?}"
        );
        assert_eq!(cloud.code_requests.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn typed_text_that_is_no_reset_code_fails_and_retry_scans_again() {
        let (_cloud, flow, screen) = screen_with_device(Some("J12345678")).await;
        flow.submit_text("https://example.invalid".into());
        screen.wait_for("failure", is_failed);
        assert_eq!(
            flow.state(),
            ResetState::Failed {
                error: HcError::NotAResetQr
            }
        );
        flow.retry();
        assert_eq!(flow.state(), ResetState::SCANNING);
        flow.submit_text("HCR1:NOTBASE32!".into());
        screen.wait_for("failure", is_failed);
        assert_eq!(
            flow.state(),
            ResetState::Failed {
                error: HcError::InvalidQr
            }
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn device_not_added_fails_and_no_code_is_given() {
        let (cloud, flow, screen) = screen_with_device(None).await;
        flow.submit_text(sample_reset_text());
        screen.wait_for("failure", is_failed);
        assert_eq!(
            flow.state(),
            ResetState::Failed {
                error: HcError::DeviceNotAdded {
                    serial: "J12345678".into()
                }
            }
        );
        assert_eq!(cloud.code_requests.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_cloud_has_the_final_word_on_binding() {
        let (cloud, flow, screen) = screen_with_device(Some("J12345678")).await;
        cloud
            .code_errors
            .lock()
            .unwrap()
            .push((StatusCode::CONFLICT, ErrorCode::BoundToOtherAccount));
        flow.submit_text(sample_reset_text());
        screen.wait_for("failure", is_failed);
        assert_eq!(
            flow.state(),
            ResetState::Failed {
                error: HcError::DeviceAddedByOthers {
                    serial: "J12345678".into()
                }
            }
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retry_after_a_server_failure_asks_again_with_the_same_qr() {
        let (cloud, flow, screen) = screen_with_device(Some("J12345678")).await;
        cloud
            .code_errors
            .lock()
            .unwrap()
            .push((StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal));
        flow.submit_text(sample_reset_text());
        screen.wait_for("failure", is_failed);
        flow.retry();
        let states = screen.wait_for("code", is_code);
        assert!(
            matches!(states[states.len() - 2], ResetState::Requesting { .. }),
            "{states:?}"
        );
        assert_eq!(cloud.code_requests.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancel_stops_the_request_and_its_late_answer_is_dropped() {
        let (cloud, flow, screen) = screen_with_device(Some("J12345678")).await;
        *cloud.code_delay.lock().unwrap() = Duration::from_millis(300);
        flow.submit_text(sample_reset_text());
        screen.wait_for("request", |s| matches!(s, ResetState::Requesting { .. }));
        flow.cancel();
        assert_eq!(flow.state(), ResetState::SCANNING);
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(flow.state(), ResetState::SCANNING);
        assert_eq!(screen.states().last(), Some(&ResetState::SCANNING));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_malformed_frame_is_reported_not_ignored() {
        let (_cloud, flow, screen) = screen_with_device(Some("J12345678")).await;
        flow.submit_frame(Frame {
            width: 640,
            height: 480,
            row_stride: 640,
            format: FrameFormat::Nv12,
            bytes: vec![0; 100],
            rotation_degrees: 0,
        });
        screen.wait_for("failure", is_failed);
        assert!(matches!(
            flow.state(),
            ResetState::Failed {
                error: HcError::InvalidFrame { .. }
            }
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_camera_on_a_blank_wall_says_no_code_in_view_and_keeps_scanning() {
        let (_cloud, flow, screen) = screen_with_device(Some("J12345678")).await;
        let wall = image::GrayImage::from_pixel(640, 480, image::Luma([180]));
        flow.submit_frame(frame_of(&wall, FrameFormat::Nv21, 90, 0));
        screen.wait_for("hint", |s| {
            *s == ResetState::Scanning {
                hint: Some(ScanHint::NoCode),
            }
        });
        // Then the device's code comes into view: the hint gives way to the code.
        let frame = frame_of(
            &qr_scene(&[&sample_reset_text()], 640, 480),
            FrameFormat::Nv21,
            90,
            0,
        );
        flow.submit_frame(frame.clone());
        screen.wait_while_camera_shows((&flow, &frame), "code", is_code);
        flow.cancel();
        assert_eq!(
            flow.state(),
            ResetState::SCANNING,
            "a new scan starts without a hint"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_photo_without_any_code_is_no_qr_found_not_a_wrong_code() {
        let (cloud, flow, screen) = screen_with_device(Some("J12345678")).await;
        let mut png = Vec::new();
        image::GrayImage::from_pixel(400, 300, image::Luma([200]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        flow.submit_image(png);
        screen.wait_for("failure", is_failed);
        assert_eq!(
            flow.state(),
            ResetState::Failed {
                error: HcError::NoQrFound {
                    hint: ScanHint::NoCode
                }
            }
        );
        flow.retry();
        flow.submit_text("  ".into());
        screen.wait_for("failure", is_failed);
        assert_eq!(
            flow.state(),
            ResetState::Failed {
                error: HcError::NoQrFound {
                    hint: ScanHint::NoCode
                }
            },
            "a blank text read nothing"
        );
        assert_eq!(cloud.code_requests.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_gallery_image_without_a_reset_code_is_a_failure() {
        let (_cloud, flow, screen) = screen_with_device(Some("J12345678")).await;
        let mut png = Vec::new();
        qr_scene(&["https://example.invalid"], 300, 300)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        flow.submit_image(png);
        screen.wait_for("failure", is_failed);
        assert_eq!(
            flow.state(),
            ResetState::Failed {
                error: HcError::NotAResetQr
            }
        );
    }
}
