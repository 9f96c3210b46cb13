//! hc-ffi: the uniffi surface of hc-core for the Kotlin and Swift shells.
//!
//! Thin on purpose: the API is hc-core's. Records, enums and errors are hc-core's own types,
//! declared here with `#[uniffi::remote]` (uniffi generates their converters in this crate, so the
//! bindings are one component: one Kotlin package `org.hc.core`, one Swift module `HcCore`).
//! Deriving uniffi in hc-core instead would make hc-core a component of its own: in library mode
//! every crate with uniffi items needs its own `setup_scaffolding!` namespace, and two components
//! cannot share a Kotlin package (each file declares the same public helpers, `FfiConverterString`
//! and the like). A remote declaration cannot drift: uniffi's generated conversions name every
//! field and match every variant, so a change in hc-core fails to compile here until it is
//! mirrored, and the one default that is data (`ClientConfig`'s) comes from hc-core's literals. The
//! foreign traits (logger, secure store, state listener) are declared here and adapted to hc-core's
//! plain traits. `HcClient` and `ResetFlow` wrap the core objects.
//!
//! Every async export is in an `#[uniffi::export(async_runtime = "tokio")]` block AND runs its body
//! on the core runtime through [`on_core`]: reqwest needs a tokio reactor that a Kotlin coroutine or
//! a Swift task does not have, and the core runtime is the one with the app's connection pool.

use std::future::Future;
use std::sync::Arc;

// Re-exported so the exported API is in one place (the callback tests use it from here).
pub use hc_core::{
    AccountScreen, AccountStatus, AuditActor, AuditEventInfo, AuditOutcome, AuditPage,
    ClientConfig, CodeScreen, Countdown, DeviceInfo, DeviceListAge, DeviceListScreen,
    DeviceListSnapshot, DeviceRow, ErrorAction, ErrorCode, FocusPoint, Frame, FrameFormat, HcError,
    LogLevel, MessageId, PasswordProblem, ResetCodeInfo, ResetScreen, ResetState, ResetView,
    ScanHint, SessionState, StoreError, UiMessage, Viewfinder,
};
pub use hc_core::{
    FeedEventInfo, FeedEventKind, FeedEventPage, PushEndpointInfo, TransferInfo, TransferRow,
    TransferState, WebhookRegistration,
};

uniffi::setup_scaffolding!();

#[cfg(test)]
mod callback_tests;

// ---- hc-core's records, enums and errors, as the bindings see them ----

// The defaults are hc-core's own literals (`hc_core::with_config_defaults!`), so the Kotlin and
// Swift default arguments cannot drift from `ClientConfig::new`.
macro_rules! client_config_record {
    ($request_timeout_ms:literal, $device_list_max_age_secs:literal) => {
        /// The cloud and how to reach it. Only `cloud_url` is required.
        #[uniffi::remote(Record)]
        pub struct ClientConfig {
            pub cloud_url: String,
            #[uniffi(default = None)]
            pub extra_root_ca_pem: Option<String>,
            #[uniffi(default = $request_timeout_ms)]
            pub request_timeout_ms: u64,
            #[uniffi(default = $device_list_max_age_secs)]
            pub device_list_max_age_secs: u64,
        }
    };
}
hc_core::with_config_defaults!(client_config_record);

#[uniffi::remote(Record)]
pub struct DeviceInfo {
    pub serial: String,
    pub name: String,
    pub model: String,
    pub added_at_unix: i64,
}

#[uniffi::remote(Record)]
pub struct DeviceListSnapshot {
    pub devices: Vec<DeviceInfo>,
    pub fetched_at_unix: i64,
    pub from_cache: bool,
    pub cloud_unreachable: bool,
}

/// The saved session: logged in to this cloud, logged out, or only another cloud's session saved
/// (never sent here: log in to this cloud).
#[uniffi::remote(Enum)]
pub enum SessionState {
    LoggedOut,
    LoggedIn,
    OtherCloud { session_cloud: String },
}

#[uniffi::remote(Enum)]
pub enum AuditOutcome {
    Issued,
    InvalidQr,
    DeviceNotBound,
    BoundToOtherAccount,
    RateLimited,
}

/// Who made an audited request: this account, or another one (its e-mail masked by the cloud).
#[uniffi::remote(Enum)]
pub enum AuditActor {
    You,
    OtherAccount { masked_email: String },
}

/// One event of the account's audit; `message` is what the screen says about it.
#[uniffi::remote(Record)]
pub struct AuditEventInfo {
    pub id: i64,
    pub at_unix: i64,
    pub serial: Option<String>,
    pub nonce: Option<String>,
    pub outcome: AuditOutcome,
    pub client_addr: Option<String>,
    pub actor: AuditActor,
    pub count: u64,
    pub message: UiMessage,
}

/// One page of the audit, newest first; `next_before` asks for the next (older) one.
#[uniffi::remote(Record)]
pub struct AuditPage {
    pub events: Vec<AuditEventInfo>,
    pub next_before: Option<i64>,
}

/// What happened in a feed event (hc-protocol's).
#[uniffi::remote(Enum)]
pub enum FeedEventKind {
    ResetCodeIssued,
    ResetAttemptRefused,
    NewLogin,
    TransferRequested,
    TransferRefused,
    TransferApproved,
    TransferCompleted,
    PasswordReset,
    Unknown,
}

/// One event of the owner's security feed; `message` is what the screen says about it.
#[uniffi::remote(Record)]
pub struct FeedEventInfo {
    pub id: i64,
    pub kind: FeedEventKind,
    pub at_unix: i64,
    pub serial: Option<String>,
    pub other_account: Option<String>,
    pub client: Option<String>,
    pub transfer_id: Option<i64>,
    pub message: UiMessage,
}

/// One page of the feed, oldest first; `next_after` is the next call's `after`.
#[uniffi::remote(Record)]
pub struct FeedEventPage {
    pub events: Vec<FeedEventInfo>,
    pub next_after: i64,
}

#[uniffi::remote(Record)]
pub struct PushEndpointInfo {
    pub id: i64,
    pub kind: String,
    pub url: String,
    pub created_at_unix: i64,
}

/// A webhook just registered, with its signing secret: shown this once.
#[uniffi::remote(Record)]
pub struct WebhookRegistration {
    pub endpoint: PushEndpointInfo,
    pub secret: String,
}

#[uniffi::remote(Enum)]
pub enum TransferState {
    Open,
    Approved,
    Refused,
    Completed,
    Cancelled,
    Unknown,
}

/// A transfer request; `incoming`: for one of this account's devices.
#[uniffi::remote(Record)]
pub struct TransferInfo {
    pub id: i64,
    pub serial: String,
    pub incoming: bool,
    pub state: TransferState,
    pub other_account: String,
    pub requested_at_unix: i64,
    pub completes_at_unix: i64,
}

/// A transfer request as the transfers screen shows it (see [`transfer_row`]).
#[uniffi::remote(Record)]
pub struct TransferRow {
    pub transfer: TransferInfo,
    pub message: UiMessage,
    pub can_decide: bool,
    pub countdown: Option<Countdown>,
}

#[uniffi::remote(Record)]
pub struct ResetCodeInfo {
    pub serial: String,
    pub model: String,
    pub code: String,
    pub expires_at_unix: i64,
}

/// Why the scanner could not read the last frame (or a still image): what the screen tells the
/// user to do.
/// Which part of the account password rule a password breaks (hc-protocol's).
#[uniffi::remote(Enum)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    Common,
    IsTheEmail,
}

#[uniffi::remote(Enum)]
pub enum ScanHint {
    NoCode,
    TooSmall,
    Blurred,
    Glare,
    TooDark,
}

#[uniffi::remote(Enum)]
pub enum ResetState {
    /// `hint`: why the last frame could not be read; none before the first frame.
    Scanning {
        #[uniffi(default = None)]
        hint: Option<ScanHint>,
    },
    Recognized {
        serial: String,
        model: String,
    },
    Requesting {
        serial: String,
        model: String,
    },
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

/// How long a verification code is still good for (see [`countdown`]).
#[uniffi::remote(Record)]
pub struct Countdown {
    pub seconds_left: i64,
    pub text: String,
    pub expired: bool,
}

/// How old the device list is, in the unit the screen says it in (see [`device_list_age`]).
#[uniffi::remote(Enum)]
pub enum DeviceListAge {
    JustNow,
    Minutes { count: i64 },
    Hours { count: i64 },
    Days { count: i64 },
}

#[uniffi::remote(Enum)]
pub enum FrameFormat {
    Luma8,
    Nv21,
    Nv12,
    Bgra8,
    Rgba8,
}

#[uniffi::remote(Record)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub row_stride: u32,
    pub format: FrameFormat,
    pub bytes: Vec<u8>,
    #[uniffi(default = 0)]
    pub rotation_degrees: u32,
}

#[uniffi::remote(Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

#[uniffi::remote(Error)]
pub enum HcError {
    NoQrFound {
        hint: ScanHint,
    },
    NotAResetQr,
    InvalidQr,
    DeviceNotAdded {
        serial: String,
    },
    DeviceAddedByOthers {
        serial: String,
    },
    NotLoggedIn,
    SessionExpired,
    RateLimited {
        retry_after_secs: u64,
    },
    Network {
        detail: String,
    },
    Server {
        status: u16,
        code: ErrorCode,
        detail: String,
    },
    Storage {
        detail: String,
    },
    InvalidFrame {
        detail: String,
    },
    NotAnHcCloud {
        cloud: String,
        detail: String,
    },
    InvalidCloudAddress {
        cloud: String,
        detail: String,
    },
    SessionForOtherCloud {
        session_cloud: String,
    },
    WeakPassword {
        problem: PasswordProblem,
    },
    PasswordsDiffer,
    InvalidSerial,
    InvalidLabelCode,
    EmailNotVerified,
    InvalidMailedCode,
    MailedCodeRefused {
        attempts_left: Option<u32>,
    },
}

/// The API's machine-readable error codes (hc-protocol's; a remote declaration, so that a code
/// added there fails to compile here until it is listed: the match uniffi generates is exhaustive).
#[uniffi::remote(Enum)]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Internal,
    Unavailable,
    UnsupportedVersion,
    EmailTaken,
    WeakPassword,
    InvalidEmail,
    InvalidCredentials,
    EmailNotVerified,
    InvalidCode,
    AlreadyVerified,
    InvalidSerial,
    WrongLabelCode,
    BoundToOtherAccount,
    AlreadyAdded,
    InvalidQr,
    DeviceNotBound,
    InvalidPushEndpoint,
    TooManyPushEndpoints,
    QrAlreadyUsed,
    TransferPending,
    TransferRefusedRecently,
    NotOffered,
    NoChallenge,
    ChallengeExpired,
    WrongCode,
    CoolingDown,
    InvalidResetToken,
    PasswordPolicy,
    WrongPassword,
    Unknown,
}

/// A text the screens show: the shells map each id to their own words (see [`message_key`]).
#[uniffi::remote(Enum)]
pub enum MessageId {
    ErrorNotAResetQr,
    ErrorInvalidQr,
    ErrorDeviceNotAdded,
    ErrorDeviceAddedByOthers,
    ErrorNotLoggedIn,
    ErrorSessionExpired,
    ErrorRateLimited,
    ErrorNetwork,
    ErrorServer,
    ErrorInvalidCredentials,
    ErrorEmailTaken,
    ErrorWeakPassword,
    ErrorPasswordTooShort,
    ErrorPasswordTooLong,
    ErrorPasswordCommon,
    ErrorPasswordIsTheEmail,
    ErrorInvalidEmail,
    ErrorInvalidSerial,
    ErrorWrongLabelCode,
    ErrorAlreadyAdded,
    ErrorNotFound,
    ErrorStorage,
    ErrorInvalidFrame,
    ErrorNotAnHcCloud,
    ErrorInvalidCloudAddress,
    ErrorSessionForOtherCloud,
    ErrorPasswordsDiffer,
    ErrorInvalidLabelCode,
    ErrorInvalidPushEndpoint,
    ErrorTooManyPushEndpoints,
    ErrorQrAlreadyUsed,
    ErrorTransferPending,
    ErrorTransferRefusedRecently,
    ErrorEmailNotVerified,
    ErrorInvalidMailedCode,
    ErrorMailedCodeWrong,
    ErrorMailedCodeSpent,
    ErrorMailedCodeRefused,
    ErrorEmailAlreadyVerified,
    HintRequestTransfer,
    ScanHint,
    ScanHintNoCode,
    ScanHintTooSmall,
    ScanHintBlurred,
    ScanHintGlare,
    ScanHintTooDark,
    ScanRecognized,
    ScanRequesting,
    CodeInstructions,
    CodeValidFor,
    CodeExpired,
    DevicesEmpty,
    DevicesUpdatedJustNow,
    DevicesUpdatedMinutesAgo,
    DevicesUpdatedHoursAgo,
    DevicesUpdatedDaysAgo,
    DevicesSavedList,
    DeviceAdded,
    PasswordRule,
    AccountCreated,
    VerifyEmailSent,
    EmailVerified,
    ForgotPasswordSent,
    PasswordResetDone,
    AuditIssued,
    AuditInvalidQr,
    AuditDeviceNotAdded,
    AuditDeviceAddedByOthers,
    AuditRateLimited,
    AuditOtherAccountRefused,
    AuditOtherAccountRateLimited,
    PasswordChanged,
    LoggedOutEverywhere,
    FeedResetCodeIssued,
    FeedResetAttemptRefused,
    FeedNewLogin,
    FeedTransferRequested,
    FeedTransferRefused,
    FeedTransferApproved,
    FeedTransferCompleted,
    FeedPasswordReset,
    FeedUnknown,
    TransferOutgoingOpen,
    TransferIncomingOpen,
    TransferCancelled,
}

/// A message id with its arguments, already formatted as text.
#[uniffi::remote(Record)]
pub struct UiMessage {
    pub id: MessageId,
    pub args: Vec<String>,
}

/// What a screen offers after an error (see [`error_action`]).
#[uniffi::remote(Enum)]
pub enum ErrorAction {
    Retry,
    WaitThenRetry { seconds: u64 },
    LogIn,
    AddDevice,
    ScanAgain,
    ContactOwner,
    CorrectInput,
    VerifyEmail,
    RequestNewCode,
}

#[uniffi::remote(Record)]
pub struct CodeScreen {
    pub serial: String,
    pub model: String,
    pub code: String,
    pub grouped_code: String,
    pub expires_at_unix: i64,
    pub seconds_left: i64,
    pub countdown: UiMessage,
    pub instructions: UiMessage,
    pub expired: bool,
}

/// The reset screen (see [`reset_screen`]).
#[uniffi::remote(Enum)]
pub enum ResetScreen {
    Scanning {
        hint: UiMessage,
    },
    Working {
        serial: String,
        model: String,
        status: UiMessage,
    },
    Code {
        code: CodeScreen,
    },
    Failed {
        error: HcError,
        message: UiMessage,
        action: ErrorAction,
    },
}

#[uniffi::remote(Record)]
pub struct DeviceRow {
    pub serial: String,
    pub name: String,
    pub model: String,
}

/// The device list screen (see [`device_list_screen`]).
#[uniffi::remote(Record)]
pub struct DeviceListScreen {
    #[uniffi(default = false)]
    pub loading: bool,
    #[uniffi(default = [])]
    pub devices: Vec<DeviceRow>,
    #[uniffi(default = None)]
    pub cache_age: Option<UiMessage>,
    #[uniffi(default = None)]
    pub empty: Option<UiMessage>,
    #[uniffi(default = None)]
    pub error: Option<UiMessage>,
    #[uniffi(default = None)]
    pub error_action: Option<ErrorAction>,
    #[uniffi(default = None)]
    pub fetched_at_unix: Option<i64>,
    #[uniffi(default = false)]
    pub from_cache: bool,
    #[uniffi(default = None)]
    pub saved_list: Option<UiMessage>,
    #[uniffi(default = None)]
    pub confirm_removal: Option<DeviceRow>,
}

/// The reset screen and what the phone does around it (see [`reset_view`]).
#[uniffi::remote(Record)]
pub struct ResetView {
    pub screen: ResetScreen,
    pub keep_screen_on: bool,
    pub vibrate: bool,
    pub next_tick_ms: Option<u64>,
}

/// The scanner's zoom and tap-to-focus ring (see [`viewfinder_new`]).
#[uniffi::remote(Record)]
pub struct Viewfinder {
    pub zoom: f32,
    pub min_zoom: f32,
    pub max_zoom: f32,
    pub focus: Option<FocusPoint>,
    pub taps: u32,
}

/// A tap to focus, in the preview from 0 to 1, numbered.
#[uniffi::remote(Record)]
pub struct FocusPoint {
    pub x: f32,
    pub y: f32,
    pub tap: u32,
}

/// An account form: log in, register, add device, change password, log out everywhere.
#[uniffi::remote(Record)]
pub struct AccountScreen {
    #[uniffi(default = false)]
    pub busy: bool,
    #[uniffi(default = false)]
    pub logged_in: bool,
    #[uniffi(default = None)]
    pub done: Option<UiMessage>,
    #[uniffi(default = None)]
    pub error: Option<UiMessage>,
    #[uniffi(default = None)]
    pub error_action: Option<ErrorAction>,
    #[uniffi(default = None)]
    pub error_hint: Option<UiMessage>,
}

#[uniffi::remote(Error)]
pub enum StoreError {
    Failed { detail: String },
}

// ---- foreign traits ----

/// The platform's logger (Logcat, os_log).
#[uniffi::export(rust, foreign)]
pub trait Logger: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

/// The platform's secure storage (Keychain, Keystore). Synchronous, like those APIs.
#[uniffi::export(rust, foreign)]
pub trait SecureStore: Send + Sync {
    fn get(&self, key: String) -> Result<Option<String>, StoreError>;
    fn set(&self, key: String, value: String) -> Result<(), StoreError>;
    fn delete(&self, key: String) -> Result<(), StoreError>;
}

/// Receives the reset screen's states, in order, on a background thread.
/// Hears a [`FeedFollower`]: each feed event once, in order; `retrying` false: it has stopped.
#[uniffi::export(rust, foreign)]
pub trait FeedListener: Send + Sync {
    fn on_event(&self, event: FeedEventInfo);
    fn on_error(&self, error: HcError, retrying: bool);
}

struct ForeignFeedListener(Arc<dyn FeedListener>);

impl hc_core::FeedListener for ForeignFeedListener {
    fn on_event(&self, event: FeedEventInfo) {
        self.0.on_event(event)
    }
    fn on_error(&self, error: HcError, retrying: bool) {
        self.0.on_error(error, retrying)
    }
}

#[uniffi::export(rust, foreign)]
pub trait ResetFlowListener: Send + Sync {
    fn on_state(&self, state: ResetState);
}

struct ForeignLogger(Arc<dyn Logger>);

impl hc_core::Logger for ForeignLogger {
    fn log(&self, level: LogLevel, target: String, message: String) {
        self.0.log(level, target, message)
    }
}

struct ForeignStore(Arc<dyn SecureStore>);

impl hc_core::SecureStore for ForeignStore {
    fn get(&self, key: String) -> Result<Option<String>, StoreError> {
        self.0.get(key)
    }
    fn set(&self, key: String, value: String) -> Result<(), StoreError> {
        self.0.set(key, value)
    }
    fn delete(&self, key: String) -> Result<(), StoreError> {
        self.0.delete(key)
    }
}

struct ForeignListener(Arc<dyn ResetFlowListener>);

impl hc_core::ResetFlowListener for ForeignListener {
    fn on_state(&self, state: ResetState) {
        self.0.on_state(state)
    }
}

// ---- functions ----

/// Call once at start-up (again is harmless): logging to `logger`, the panic hook, TLS.
#[uniffi::export]
pub fn init(logger: Option<Arc<dyn Logger>>) {
    hc_core::init(logger.map(|l| Arc::new(ForeignLogger(l)) as Arc<dyn hc_core::Logger>));
}

/// The scanner on one camera frame: the reset code's text if one is in view, else the first QR
/// text, else nothing. CPU-bound: call it off the main thread.
#[uniffi::export]
pub fn decode_frame(frame: Frame) -> Result<Option<String>, HcError> {
    hc_core::decode_frame(&frame)
}

/// The scanner on a PNG or JPEG file.
#[uniffi::export]
pub fn decode_image(bytes: Vec<u8>) -> Result<Option<String>, HcError> {
    hc_core::decode_image(&bytes)
}

/// The verification code in groups of four for reading aloud: "60784413" -> "6078 4413".
#[uniffi::export]
pub fn group_code(code: String) -> String {
    hc_core::group_code(&code)
}

/// The countdown to a code's expiry at `now_unix` (the phone's clock, unix seconds): seconds left
/// (never negative), the m:ss or h:mm:ss text, and whether it has expired.
#[uniffi::export]
pub fn countdown(expires_at_unix: i64, now_unix: i64) -> Countdown {
    hc_core::countdown(expires_at_unix, now_unix)
}

/// The age of a device list fetched at `fetched_at_unix`, at `now_unix`: just now, or whole
/// minutes, hours or days. The words are the shell's.
#[uniffi::export]
pub fn device_list_age(fetched_at_unix: i64, now_unix: i64) -> DeviceListAge {
    hc_core::device_list_age(fetched_at_unix, now_unix)
}

// ---- what the screens show (hc-core's screens and messages) ----

/// The logged-in account and whether its e-mail address is verified.
#[uniffi::remote(Record)]
pub struct AccountStatus {
    pub email: String,
    pub email_verified: bool,
}

/// What the screen says once a mailed code is on its way: after sign-up or a resend
/// (`for_forgotten_password` false), or after "forgot password" (the same words whether or not an
/// account has the address).
#[uniffi::export]
pub fn code_sent_message(
    email: String,
    for_forgotten_password: bool,
    valid_for_secs: u64,
) -> UiMessage {
    hc_core::code_sent_message(&email, for_forgotten_password, valid_for_secs)
}

/// "Your address … is verified": what the verify screen says once the code was taken.
#[uniffi::export]
pub fn email_verified_message(status: AccountStatus) -> UiMessage {
    hc_core::email_verified_message(&status)
}

/// The message a screen shows for an error.
#[uniffi::export]
pub fn error_message(error: HcError) -> UiMessage {
    error.ui_message()
}

/// What a screen offers after an error: retry, wait, log in, add the device, scan again, ...
#[uniffi::export]
pub fn error_action(error: HcError) -> ErrorAction {
    error.action()
}

/// A transfer request's row at `now_unix` (the phone's clock): who asks for which device and the
/// time until it moves, whether this account may approve or refuse it; recompute it every second.
#[uniffi::export]
pub fn transfer_row(transfer: TransferInfo, now_unix: i64) -> TransferRow {
    hc_core::transfer_row(&transfer, now_unix)
}

/// A second line some errors offer: after "added by another account", the transfer path.
#[uniffi::export]
pub fn error_hint(error: HcError) -> Option<UiMessage> {
    error.hint()
}

/// The stable key of a message's wording: Android's `R.string.<key>`, iOS's Localizable.strings key.
#[uniffi::export]
pub fn message_key(id: MessageId) -> String {
    id.key().to_owned()
}

/// How many arguments a message's wording takes (`%1$s`...).
#[uniffi::export]
pub fn message_arg_count(id: MessageId) -> u32 {
    id.arg_count() as u32
}

/// Every message id, for the shells' tests that each has its words in every language.
#[uniffi::export]
pub fn all_message_ids() -> Vec<MessageId> {
    MessageId::ALL.to_vec()
}

/// The reset screen for a flow state at `now_unix` (the phone's clock): call again every second
/// while a code is shown and not `expired`.
#[uniffi::export]
pub fn reset_screen(state: ResetState, now_unix: i64) -> ResetScreen {
    hc_core::reset_screen(&state, now_unix)
}

/// The reset screen for a flow state at `now_unix_ms`, after `shown` (the screen shown until now,
/// none when it opens), with what the phone does: keep the display on, vibrate once for a new
/// code, and when to compute it again (`next_tick_ms`, the countdown's next second).
#[uniffi::export]
pub fn reset_view(state: ResetState, shown: Option<ResetScreen>, now_unix_ms: i64) -> ResetView {
    hc_core::reset_view(&state, shown.as_ref(), now_unix_ms)
}

/// The viewfinder as the camera opens with this zoom range: no zoom (1x) if the range allows it.
#[uniffi::export]
pub fn viewfinder_new(min_zoom: f32, max_zoom: f32) -> Viewfinder {
    Viewfinder::new(min_zoom, max_zoom)
}

/// A pinch that spread the fingers by `scale` since its previous event: zoom within the range.
#[uniffi::export]
pub fn viewfinder_pinched(viewfinder: Viewfinder, scale: f32) -> Viewfinder {
    viewfinder.pinched(scale)
}

/// A tap at (`x`, `y`) of the preview, from 0 to 1: focus there, ring shown.
#[uniffi::export]
pub fn viewfinder_tapped(viewfinder: Viewfinder, x: f32, y: f32) -> Viewfinder {
    viewfinder.tapped(x, y)
}

/// The camera finished focusing for tap number `tap`: its ring goes unless tapped again since.
#[uniffi::export]
pub fn viewfinder_focused(viewfinder: Viewfinder, tap: u32) -> Viewfinder {
    viewfinder.focused(tap)
}

/// The countdown line: "Valid for 9:59", or "This code has expired".
#[uniffi::export]
pub fn countdown_message(countdown: Countdown) -> UiMessage {
    hc_core::countdown_message(&countdown)
}

/// "Updated 5 min ago".
#[uniffi::export]
pub fn list_age_message(age: DeviceListAge) -> UiMessage {
    hc_core::list_age_message(age)
}

/// The device list screen for a list as fetched (or from the cache) at `now_unix`.
#[uniffi::export]
pub fn device_list_screen(snapshot: DeviceListSnapshot, now_unix: i64) -> DeviceListScreen {
    hc_core::device_list_screen(&snapshot, now_unix)
}

/// The device list loading again: rows kept, the last error cleared.
#[uniffi::export]
pub fn device_list_loading(screen: DeviceListScreen) -> DeviceListScreen {
    screen.loading()
}

/// The device list after a failed load or removal: rows kept, the error and what to do shown.
#[uniffi::export]
pub fn device_list_failed(screen: DeviceListScreen, error: HcError) -> DeviceListScreen {
    screen.failed(&error)
}

/// The device list's cache age recomputed at `now_unix`.
#[uniffi::export]
pub fn device_list_at(screen: DeviceListScreen, now_unix: i64) -> DeviceListScreen {
    screen.at(now_unix)
}

/// "Remove" tapped on a row: the screen asks to confirm first.
#[uniffi::export]
pub fn device_list_asking_to_remove(screen: DeviceListScreen, serial: String) -> DeviceListScreen {
    screen.asking_to_remove(&serial)
}

/// The removal question answered "Cancel".
#[uniffi::export]
pub fn device_list_removal_cancelled(screen: DeviceListScreen) -> DeviceListScreen {
    screen.removal_cancelled()
}

/// An account form before anything was sent.
#[uniffi::export]
pub fn account_idle(logged_in: bool) -> AccountScreen {
    AccountScreen::idle(logged_in)
}

/// An account form that was sent: busy, the last outcome cleared.
#[uniffi::export]
pub fn account_working(screen: AccountScreen) -> AccountScreen {
    screen.working()
}

/// An account form that succeeded.
#[uniffi::export]
pub fn account_done(logged_in: bool, done: Option<UiMessage>) -> AccountScreen {
    AccountScreen::done(logged_in, done)
}

/// An account form that failed with `error`.
#[uniffi::export]
pub fn account_failed(logged_in: bool, error: HcError) -> AccountScreen {
    AccountScreen::failed(logged_in, &error)
}

/// "Device J12345678 added."
#[uniffi::export]
pub fn device_added_message(device: DeviceInfo) -> UiMessage {
    hc_core::device_added_message(&device)
}

/// "Password changed." / "Logged out everywhere.": what the account screen says after each.
#[uniffi::export]
pub fn plain_message(id: MessageId) -> UiMessage {
    UiMessage {
        id,
        args: Vec::new(),
    }
}

/// The account password rule, as the registration and password screens state it.
#[uniffi::export]
pub fn password_rule_message() -> UiMessage {
    hc_core::password_rule_message()
}

/// Checks a new password and its confirmation as typed, before anything is sent:
/// `PasswordsDiffer`, `WeakPassword` (the rule: [`password_rule_message`]), or nothing wrong.
#[uniffi::export]
pub fn check_new_password(
    email: String,
    password: String,
    password_again: String,
) -> Result<(), HcError> {
    hc_core::check_new_password(&email, &password, &password_again)
}

/// Runs async work on the core runtime: the one path of every async export.
async fn on_core<T, F>(work: F) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    hc_core::runtime::run(work).await
}

// ---- objects ----

/// A running follow of the security feed; `stop` ends it (so does dropping it).
#[derive(uniffi::Object)]
pub struct FeedFollower {
    core: hc_core::FeedFollower,
}

#[uniffi::export]
impl FeedFollower {
    pub fn stop(&self) {
        self.core.stop()
    }

    /// The last event handed on: where a new follow resumes.
    pub fn last_id(&self) -> i64 {
        self.core.last_id()
    }

    pub fn is_stopped(&self) -> bool {
        self.core.is_stopped()
    }
}

/// The app's connection to its cloud account.
#[derive(uniffi::Object)]
pub struct HcClient {
    core: hc_core::HcClient,
}

#[uniffi::export(async_runtime = "tokio")]
impl HcClient {
    /// Restores the session a previous launch saved in `store`.
    #[uniffi::constructor]
    pub fn new(config: ClientConfig, store: Arc<dyn SecureStore>) -> Result<Arc<Self>, HcError> {
        let core = hc_core::HcClient::new(config, Arc::new(ForeignStore(store)))?;
        Ok(Arc::new(HcClient { core }))
    }

    /// Creates the account and logs in to it. The e-mail address as typed: the core trims it
    /// (also in `login`); the password twice, as typed: checked against each other and the rule
    /// before anything is sent.
    pub async fn register(
        &self,
        email: String,
        password: String,
        password_again: String,
    ) -> Result<(), HcError> {
        let core = self.core.clone();
        on_core(async move { core.register(email, password, password_again).await }).await
    }

    pub async fn login(&self, email: String, password: String) -> Result<(), HcError> {
        let core = self.core.clone();
        on_core(async move { core.login(email, password).await }).await
    }

    pub async fn logout(&self) -> Result<(), HcError> {
        let core = self.core.clone();
        on_core(async move { core.logout().await }).await
    }

    /// Ends every other session of the account; this one stays logged in.
    pub async fn change_password(
        &self,
        current_password: String,
        new_password: String,
    ) -> Result<(), HcError> {
        let core = self.core.clone();
        on_core(async move { core.change_password(current_password, new_password).await }).await
    }

    /// The logged-in account, and whether its address is verified: until it is, adding devices
    /// and reset codes fail with `EmailNotVerified`.
    pub async fn account_status(&self) -> Result<AccountStatus, HcError> {
        let core = self.core.clone();
        on_core(async move { core.account_status().await }).await
    }

    /// Verifies the address with the code mailed at sign-up, as typed (spaces and full-width
    /// digits are fine). A wrong code is `MailedCodeRefused { attempts_left }`.
    pub async fn verify_email(&self, code: String) -> Result<AccountStatus, HcError> {
        let core = self.core.clone();
        on_core(async move { core.verify_email(code).await }).await
    }

    /// Mails a new verification code (the previous one stops working); the seconds it is valid.
    pub async fn resend_verification(&self) -> Result<u64, HcError> {
        let core = self.core.clone();
        on_core(async move { core.resend_verification().await }).await
    }

    /// "Forgot password": a code is mailed to the address if an account has it; the answer is
    /// the same either way. The seconds the code is valid.
    pub async fn forgot_password(&self, email: String) -> Result<u64, HcError> {
        let core = self.core.clone();
        on_core(async move { core.forgot_password(email).await }).await
    }

    /// Sets a new password with the mailed code (the password twice, as typed), ends every
    /// session of the account and logs in here with the new password.
    pub async fn reset_password(
        &self,
        email: String,
        code: String,
        new_password: String,
        new_password_again: String,
    ) -> Result<(), HcError> {
        let core = self.core.clone();
        on_core(async move {
            core.reset_password(email, code, new_password, new_password_again)
                .await
        })
        .await
    }

    /// Ends every session of the account, this one too (a lost or stolen phone).
    pub async fn log_out_everywhere(&self) -> Result<(), HcError> {
        let core = self.core.clone();
        on_core(async move { core.log_out_everywhere().await }).await
    }

    pub fn is_logged_in(&self) -> bool {
        self.core.is_logged_in()
    }

    /// Logged in here, logged out, or holding only another cloud's session.
    pub fn session_state(&self) -> SessionState {
        self.core.session_state()
    }

    pub async fn devices(&self, force_refresh: bool) -> Result<DeviceListSnapshot, HcError> {
        let core = self.core.clone();
        on_core(async move { core.devices(force_refresh).await }).await
    }

    /// The serial and label code as typed (spaces, dashes and lower case are fine), the name as
    /// typed (blank is none); returns the device as the account now lists it.
    pub async fn add_device(
        &self,
        serial: String,
        label_code: String,
        name: Option<String>,
    ) -> Result<DeviceInfo, HcError> {
        let core = self.core.clone();
        on_core(async move { core.add_device(serial, label_code, name).await }).await
    }

    pub async fn remove_device(&self, serial: String) -> Result<(), HcError> {
        let core = self.core.clone();
        on_core(async move { core.remove_device(serial).await }).await
    }

    /// The first page of the account's audit: its own requests and other accounts' on its devices.
    pub async fn audit_events(&self) -> Result<Vec<AuditEventInfo>, HcError> {
        let core = self.core.clone();
        on_core(async move { core.audit_events().await }).await
    }

    /// One page of the audit: `limit` events (the cloud's default when null) older than `before`
    /// (a previous page's `next_before`; null: the newest).
    pub async fn audit_page(
        &self,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<AuditPage, HcError> {
        let core = self.core.clone();
        on_core(async move { core.audit_page(before, limit).await }).await
    }

    pub async fn request_reset_code(&self, qr_text: String) -> Result<ResetCodeInfo, HcError> {
        let core = self.core.clone();
        on_core(async move { core.request_reset_code(qr_text).await }).await
    }

    /// The feed after `after`, waiting up to `wait_secs` (at most 30) for an event.
    pub async fn feed_page(
        &self,
        after: Option<i64>,
        wait_secs: u32,
    ) -> Result<FeedEventPage, HcError> {
        let core = self.core.clone();
        on_core(async move { core.feed_page(after, wait_secs).await }).await
    }

    pub async fn register_webhook(&self, url: String) -> Result<WebhookRegistration, HcError> {
        let core = self.core.clone();
        on_core(async move { core.register_webhook(url).await }).await
    }

    pub async fn push_endpoints(&self) -> Result<Vec<PushEndpointInfo>, HcError> {
        let core = self.core.clone();
        on_core(async move { core.push_endpoints().await }).await
    }

    pub async fn remove_push_endpoint(&self, id: i64) -> Result<(), HcError> {
        let core = self.core.clone();
        on_core(async move { core.remove_push_endpoint(id).await }).await
    }

    pub async fn request_transfer(
        &self,
        qr_text: String,
        label_code: String,
    ) -> Result<TransferInfo, HcError> {
        let core = self.core.clone();
        on_core(async move { core.request_transfer(qr_text, label_code).await }).await
    }

    pub async fn transfers(&self) -> Result<Vec<TransferInfo>, HcError> {
        let core = self.core.clone();
        on_core(async move { core.transfers().await }).await
    }

    pub async fn approve_transfer(&self, id: i64) -> Result<(), HcError> {
        let core = self.core.clone();
        on_core(async move { core.approve_transfer(id).await }).await
    }

    pub async fn refuse_transfer(&self, id: i64) -> Result<(), HcError> {
        let core = self.core.clone();
        on_core(async move { core.refuse_transfer(id).await }).await
    }

    /// Follows the feed after `after` (a previous follower's `last_id`; `None`: from the start)
    /// until stopped: what the Kotlin `Flow` and Swift `AsyncStream` wrap.
    pub fn follow_feed(
        &self,
        after: Option<i64>,
        listener: Arc<dyn FeedListener>,
    ) -> Arc<FeedFollower> {
        Arc::new(FeedFollower {
            core: hc_core::FeedFollower::start(
                self.core.clone(),
                after,
                Arc::new(ForeignFeedListener(listener)),
            ),
        })
    }

    /// The "Reset Device Password" screen's state machine.
    pub fn reset_flow(&self, listener: Arc<dyn ResetFlowListener>) -> Arc<ResetFlow> {
        Arc::new(ResetFlow {
            core: self.core.reset_flow(Arc::new(ForeignListener(listener))),
        })
    }
}

/// The "Reset Device Password" screen: frames or text in, states out to the listener.
#[derive(uniffi::Object)]
pub struct ResetFlow {
    core: hc_core::ResetFlow,
}

#[uniffi::export]
impl ResetFlow {
    /// Returns at once; a newer frame replaces one still waiting for the decoder.
    pub fn submit_frame(&self, frame: Frame) {
        self.core.submit_frame(frame)
    }

    pub fn submit_image(&self, bytes: Vec<u8>) {
        self.core.submit_image(bytes)
    }

    pub fn submit_text(&self, text: String) {
        self.core.submit_text(text)
    }

    pub fn state(&self) -> ResetState {
        self.core.state()
    }

    pub fn cancel(&self) {
        self.core.cancel()
    }

    pub fn retry(&self) {
        self.core.retry()
    }
}
