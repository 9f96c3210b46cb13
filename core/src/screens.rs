//! What each screen shows, decided once for Android, iOS and any other front end: pure functions
//! from the core's states (and the phone's clock) to the screen's state. The shells keep what is
//! truly theirs: an observable wrapper, the timer that calls back every second, and the words.

use crate::devices::{DeviceInfo, DeviceListSnapshot};
use crate::display::{countdown, device_list_age, group_code};
use crate::error::HcError;
use crate::feed::{TransferInfo, TransferState};
use crate::messages::{ErrorAction, MessageId, UiMessage};
use crate::reset_flow::ResetState;
use crate::{Countdown, DeviceListAge};

// ---- More > Reset Device Password ----

/// The reset screen as shown at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetScreen {
    /// Camera on, looking for the device's QR code: camera frames are wanted. `hint` is what to
    /// do: point the camera at the code, or why the last frame could not be read.
    Scanning { hint: UiMessage },
    /// A reset code was read; the app is checking it or asking the cloud.
    Working {
        serial: String,
        model: String,
        status: UiMessage,
    },
    /// The code to enter on the device, with its countdown.
    Code { code: CodeScreen },
    /// Something went wrong: the message, and what the screen offers next.
    Failed {
        error: HcError,
        message: UiMessage,
        action: ErrorAction,
    },
}

/// The verification code as the code screen shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeScreen {
    pub serial: String,
    pub model: String,
    pub code: String,
    /// "6078 4413": large digits, grouped for reading aloud.
    pub grouped_code: String,
    pub expires_at_unix: i64,
    pub seconds_left: i64,
    /// "Valid for 9:59", or "This code has expired" once no time is left.
    pub countdown: UiMessage,
    pub instructions: UiMessage,
    /// No time left: the code is greyed out and cannot be copied.
    pub expired: bool,
}

impl std::fmt::Debug for CodeScreen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The code opens the device: keep it out of logs.
        f.debug_struct("CodeScreen")
            .field("serial", &self.serial)
            .field("seconds_left", &self.seconds_left)
            .finish_non_exhaustive()
    }
}

impl ResetScreen {
    /// Whether the camera's frames are wanted (the analyzer can skip copying planes otherwise).
    pub fn wants_frames(&self) -> bool {
        matches!(self, ResetScreen::Scanning { .. })
    }
}

/// The reset screen for the flow's `state` at `now_unix` (the phone's clock, unix seconds).
pub fn reset_screen(state: &ResetState, now_unix: i64) -> ResetScreen {
    match state {
        ResetState::Scanning { hint } => ResetScreen::Scanning {
            hint: match hint {
                Some(hint) => hint.ui_message(),
                None => UiMessage::plain(MessageId::ScanHint),
            },
        },
        ResetState::Recognized { serial, model } => ResetScreen::Working {
            serial: serial.clone(),
            model: model.clone(),
            status: UiMessage::with(MessageId::ScanRecognized, [model, serial]),
        },
        ResetState::Requesting { serial, model } => ResetScreen::Working {
            serial: serial.clone(),
            model: model.clone(),
            status: UiMessage::with(MessageId::ScanRequesting, [model, serial]),
        },
        ResetState::CodeReady {
            serial,
            model,
            code,
            expires_at_unix,
        } => {
            let left = countdown(*expires_at_unix, now_unix);
            ResetScreen::Code {
                code: CodeScreen {
                    serial: serial.clone(),
                    model: model.clone(),
                    code: code.clone(),
                    grouped_code: group_code(code),
                    expires_at_unix: *expires_at_unix,
                    seconds_left: left.seconds_left,
                    countdown: countdown_message(&left),
                    instructions: UiMessage::plain(MessageId::CodeInstructions),
                    expired: left.expired,
                },
            }
        }
        ResetState::Failed { error } => ResetScreen::Failed {
            error: error.clone(),
            message: error.ui_message(),
            action: error.action(),
        },
    }
}

/// The countdown line: "Valid for 9:59", or "This code has expired".
pub fn countdown_message(countdown: &Countdown) -> UiMessage {
    if countdown.expired {
        UiMessage::plain(MessageId::CodeExpired)
    } else {
        UiMessage::with(MessageId::CodeValidFor, [&countdown.text])
    }
}

// ---- around the reset screen: the display kept awake, one buzz per code, the next tick ----

/// What the phone does around the reset screen, beside showing it. Decided here so that no shell
/// counts seconds for the countdown or remembers which code it already vibrated for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetView {
    pub screen: ResetScreen,
    /// The scanner, the wait for the cloud and a code still valid keep the display awake (the
    /// phone is held up to the device, or its code is being typed in).
    pub keep_screen_on: bool,
    /// Vibrate once, now: this code has just appeared. Never again while the same code stays on
    /// screen, however often the view is recomputed.
    pub vibrate: bool,
    /// Compute the view again after this many milliseconds: the countdown's next whole second.
    /// `None` when nothing changes until the flow's next state (no code, or the code expired).
    pub next_tick_ms: Option<u64>,
}

/// The reset view for the flow's `state` at `now_unix_ms` (the phone's clock, unix milliseconds),
/// after `shown`, the screen shown until now (`None` when the screen opens).
pub fn reset_view(state: &ResetState, shown: Option<&ResetScreen>, now_unix_ms: i64) -> ResetView {
    let screen = reset_screen(state, now_unix_ms.div_euclid(1000));
    let (keep_screen_on, next_tick_ms) = match &screen {
        ResetScreen::Scanning { .. } | ResetScreen::Working { .. } => (true, None),
        ResetScreen::Code { code } if !code.expired => {
            // `rem_euclid` is in 0..1000, so the tick lands on the next whole second.
            let to_next_second = 1000 - now_unix_ms.rem_euclid(1000);
            (true, u64::try_from(to_next_second).ok())
        }
        ResetScreen::Code { .. } | ResetScreen::Failed { .. } => (false, None),
    };
    let vibrate = match (&screen, shown) {
        (ResetScreen::Code { code }, Some(ResetScreen::Code { code: before })) => {
            (before.code.as_str(), before.expires_at_unix)
                != (code.code.as_str(), code.expires_at_unix)
        }
        (ResetScreen::Code { .. }, _) => true,
        _ => false,
    };
    ResetView {
        screen,
        keep_screen_on,
        vibrate,
        next_tick_ms,
    }
}

// ---- the scanner's viewfinder: pinch to zoom, tap to focus ----

/// The viewfinder's zoom and tap-to-focus ring, within what the camera allows. The shells feed it
/// the gestures and hand `zoom` and the focus point to the camera (CameraX `setZoomRatio` and
/// `startFocusAndMetering`, AVFoundation `videoZoomFactor` and `focusPointOfInterest`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewfinder {
    /// The zoom ratio to set on the camera, always within `min_zoom..=max_zoom`.
    pub zoom: f32,
    pub min_zoom: f32,
    pub max_zoom: f32,
    /// Where the user last tapped, until the camera has focused there: the ring to draw.
    pub focus: Option<FocusPoint>,
    /// Taps so far: numbers each [`FocusPoint`].
    pub taps: u32,
}

/// A tap to focus, in the preview's coordinates from 0 to 1 (left to right, top to bottom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FocusPoint {
    pub x: f32,
    pub y: f32,
    /// Counts the taps: the camera's answer to an earlier tap does not hide a newer ring.
    pub tap: u32,
}

/// A ratio the camera reported, or 1 (no zoom) when it makes no sense.
fn sane_ratio(ratio: f32) -> f32 {
    if ratio.is_finite() && ratio > 0.0 {
        ratio
    } else {
        1.0
    }
}

impl Viewfinder {
    /// The camera is open with this zoom range (CameraX `ZoomState`, AVFoundation
    /// `minAvailableVideoZoomFactor`...): no zoom (1x) if the range allows it.
    pub fn new(min_zoom: f32, max_zoom: f32) -> Self {
        let min_zoom = sane_ratio(min_zoom);
        let max_zoom = sane_ratio(max_zoom).max(min_zoom);
        Viewfinder {
            zoom: 1.0_f32.clamp(min_zoom, max_zoom),
            min_zoom,
            max_zoom,
            focus: None,
            taps: 0,
        }
    }

    /// A pinch: `scale` is how much the fingers spread since the gesture's previous event (above 1
    /// zooms in). The zoom stops at the camera's limits; a nonsensical scale changes nothing.
    pub fn pinched(mut self, scale: f32) -> Self {
        if scale.is_finite() && scale > 0.0 {
            self.zoom = (self.zoom * scale).clamp(self.min_zoom, self.max_zoom);
        }
        self
    }

    /// A tap at (`x`, `y`) of the preview, from 0 to 1: focus (and exposure) there, ring shown.
    pub fn tapped(mut self, x: f32, y: f32) -> Self {
        let unit = |v: f32| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.5
            }
        };
        self.taps = self.taps.wrapping_add(1);
        self.focus = Some(FocusPoint {
            x: unit(x),
            y: unit(y),
            tap: self.taps,
        });
        self
    }

    /// The camera finished focusing for tap number `tap` (whether or not it found focus): its
    /// ring goes, unless the user has tapped again since.
    pub fn focused(mut self, tap: u32) -> Self {
        if self.focus.is_some_and(|f| f.tap == tap) {
            self.focus = None;
        }
        self
    }
}

/// "Updated 5 min ago" for the age of the device list.
pub fn list_age_message(age: DeviceListAge) -> UiMessage {
    match age {
        DeviceListAge::JustNow => UiMessage::plain(MessageId::DevicesUpdatedJustNow),
        DeviceListAge::Minutes { count } => {
            UiMessage::with(MessageId::DevicesUpdatedMinutesAgo, [count])
        }
        DeviceListAge::Hours { count } => {
            UiMessage::with(MessageId::DevicesUpdatedHoursAgo, [count])
        }
        DeviceListAge::Days { count } => UiMessage::with(MessageId::DevicesUpdatedDaysAgo, [count]),
    }
}

// ---- My devices ----

/// One row of the device list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub serial: String,
    /// The device's name, or its serial when it has none (blank or only spaces).
    pub name: String,
    pub model: String,
}

impl From<&DeviceInfo> for DeviceRow {
    fn from(device: &DeviceInfo) -> Self {
        let name = if device.name.trim().is_empty() {
            device.serial.clone()
        } else {
            device.name.clone()
        };
        DeviceRow {
            serial: device.serial.clone(),
            name,
            model: device.model.clone(),
        }
    }
}

/// The device list screen ("My devices").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceListScreen {
    pub loading: bool,
    pub devices: Vec<DeviceRow>,
    /// Set when the list is the cached one (offline, or fetched recently): "Updated 5 min ago".
    pub cache_age: Option<UiMessage>,
    /// Set when the account has no devices.
    pub empty: Option<UiMessage>,
    pub error: Option<UiMessage>,
    pub error_action: Option<ErrorAction>,
    pub fetched_at_unix: Option<i64>,
    pub from_cache: bool,
    /// Set when the cloud could not be reached: the list is the one saved on this phone.
    pub saved_list: Option<UiMessage>,
    /// The device the user asked to remove, until they confirm or cancel: the screen asks first.
    pub confirm_removal: Option<DeviceRow>,
}

/// The list as fetched (or served from the cache), at `now_unix`.
pub fn device_list_screen(snapshot: &DeviceListSnapshot, now_unix: i64) -> DeviceListScreen {
    let devices: Vec<DeviceRow> = snapshot.devices.iter().map(DeviceRow::from).collect();
    DeviceListScreen {
        loading: false,
        empty: devices
            .is_empty()
            .then(|| UiMessage::plain(MessageId::DevicesEmpty)),
        devices,
        cache_age: snapshot
            .from_cache
            .then(|| list_age_message(device_list_age(snapshot.fetched_at_unix, now_unix))),
        error: None,
        error_action: None,
        fetched_at_unix: Some(snapshot.fetched_at_unix),
        from_cache: snapshot.from_cache,
        saved_list: snapshot
            .cloud_unreachable
            .then(|| UiMessage::plain(MessageId::DevicesSavedList)),
        confirm_removal: None,
    }
}

impl DeviceListScreen {
    /// Loading again (or removing the confirmed device): the rows stay, the last error and any
    /// question go.
    pub fn loading(mut self) -> Self {
        self.loading = true;
        self.error = None;
        self.error_action = None;
        self.confirm_removal = None;
        self
    }

    /// "Remove" tapped on a row: the screen asks to confirm before anything is sent. A serial not
    /// in the list asks nothing.
    pub fn asking_to_remove(mut self, serial: &str) -> Self {
        self.confirm_removal = self.devices.iter().find(|d| d.serial == serial).cloned();
        self
    }

    /// The question answered "Cancel": nothing is removed.
    pub fn removal_cancelled(mut self) -> Self {
        self.confirm_removal = None;
        self
    }

    /// A load or a removal failed: the rows stay, the error shows with what to do.
    pub fn failed(mut self, error: &HcError) -> Self {
        self.loading = false;
        self.error = Some(error.ui_message());
        self.error_action = Some(error.action());
        self
    }

    /// The cache age at `now_unix` (the screen comes back to the foreground).
    pub fn at(mut self, now_unix: i64) -> Self {
        if let (true, Some(at)) = (self.from_cache, self.fetched_at_unix) {
            self.cache_age = Some(list_age_message(device_list_age(at, now_unix)));
        }
        self
    }
}

// ---- account forms: log in, register, add device, change password, log out everywhere ----

/// A form of the account screens: busy while the core works, then done (with what to say) or
/// failed (with the error's message and what to do).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountScreen {
    pub busy: bool,
    pub logged_in: bool,
    /// What was done: "Device J12345678 added.", "Password changed."
    pub done: Option<UiMessage>,
    pub error: Option<UiMessage>,
    pub error_action: Option<ErrorAction>,
    /// A second line under the error: after "added by another account", the transfer path.
    pub error_hint: Option<UiMessage>,
}

impl AccountScreen {
    /// The form before anything was sent.
    pub fn idle(logged_in: bool) -> Self {
        AccountScreen {
            logged_in,
            ..AccountScreen::default()
        }
    }

    /// Sent: the buttons are disabled, the last outcome goes.
    pub fn working(self) -> Self {
        AccountScreen {
            busy: true,
            ..AccountScreen::idle(self.logged_in)
        }
    }

    /// Done; `logged_in` as the client now is.
    pub fn done(logged_in: bool, done: Option<UiMessage>) -> Self {
        AccountScreen {
            done,
            ..AccountScreen::idle(logged_in)
        }
    }

    /// Failed; `logged_in` as the client now is (a failed login leaves an earlier session alone).
    pub fn failed(logged_in: bool, error: &HcError) -> Self {
        AccountScreen {
            error: Some(error.ui_message()),
            error_action: Some(error.action()),
            error_hint: error.hint(),
            ..AccountScreen::idle(logged_in)
        }
    }
}

/// "Device J12345678 added."
pub fn device_added_message(device: &DeviceInfo) -> UiMessage {
    UiMessage::with(MessageId::DeviceAdded, [&device.serial])
}

// ---- transfers: the new owner's pending request, the current owner's incoming one ----

/// One transfer request as the transfers screen shows it at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRow {
    pub transfer: TransferInfo,
    /// Who asks for which device and when it moves, or how the request ended.
    pub message: UiMessage,
    /// The screen offers Approve and Refuse: an open request for one of this account's devices.
    pub can_decide: bool,
    /// While open: the time until the device moves (the row is computed again every second).
    pub countdown: Option<Countdown>,
}

/// The row of `transfer` at `now_unix` (the phone's clock). An open request says when it moves
/// and whom it waits for; a closed one says how it ended, in the feed's words.
pub fn transfer_row(transfer: &TransferInfo, now_unix: i64) -> TransferRow {
    let (serial, other) = (&transfer.serial, &transfer.other_account);
    let open = transfer.state == TransferState::Open;
    let countdown = open.then(|| countdown(transfer.completes_at_unix, now_unix));
    let message = match (transfer.state, &countdown) {
        (TransferState::Open, Some(left)) => UiMessage::with(
            if transfer.incoming {
                MessageId::TransferIncomingOpen
            } else {
                MessageId::TransferOutgoingOpen
            },
            [serial, &left.text, other],
        ),
        (TransferState::Approved, _) => {
            UiMessage::with(MessageId::FeedTransferApproved, [other, serial])
        }
        (TransferState::Refused, _) => {
            UiMessage::with(MessageId::FeedTransferRefused, [other, serial])
        }
        (TransferState::Completed, _) => {
            UiMessage::with(MessageId::FeedTransferCompleted, [other, serial])
        }
        (TransferState::Cancelled, _) => {
            UiMessage::with(MessageId::TransferCancelled, [other, serial])
        }
        _ => UiMessage::plain(MessageId::FeedUnknown),
    };
    TransferRow {
        transfer: transfer.clone(),
        message,
        can_decide: open && transfer.incoming,
        countdown,
    }
}

#[cfg(test)]
mod tests {
    use hc_protocol::api::ErrorCode;

    use super::*;

    fn code_ready(expires_at_unix: i64) -> ResetState {
        ResetState::CodeReady {
            serial: "J12345678".into(),
            model: "DS-7608NI-K2".into(),
            code: "60784413".into(),
            expires_at_unix,
        }
    }

    fn shown_code(screen: ResetScreen) -> CodeScreen {
        match screen {
            ResetScreen::Code { code } => code,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_code_screen_shows_the_grouped_code_counting_down_to_its_expiry() {
        let t = 1_000_000;
        let code = shown_code(reset_screen(&code_ready(t + 599), t));
        assert_eq!(code.grouped_code, "6078 4413");
        assert_eq!(code.seconds_left, 599);
        assert_eq!(
            code.countdown,
            UiMessage::with(MessageId::CodeValidFor, ["9:59"])
        );
        assert_eq!(
            code.instructions,
            UiMessage::plain(MessageId::CodeInstructions)
        );
        assert!(!code.expired);

        let expired = shown_code(reset_screen(&code_ready(t), t + 1));
        assert!(expired.expired);
        assert_eq!(expired.seconds_left, 0);
        assert_eq!(expired.countdown, UiMessage::plain(MessageId::CodeExpired));
    }

    #[test]
    fn the_code_never_reaches_a_log_line() {
        let code = shown_code(reset_screen(&code_ready(2_000), 1_000));
        assert!(!format!("{code:?}").contains("6078"));
    }

    #[test]
    fn only_the_scanner_wants_camera_frames() {
        assert!(reset_screen(&ResetState::SCANNING, 0).wants_frames());
        let recognized = ResetState::Recognized {
            serial: "J12345678".into(),
            model: "DS-7608NI-K2".into(),
        };
        let working = reset_screen(&recognized, 0);
        assert!(!working.wants_frames());
        assert_eq!(
            working,
            ResetScreen::Working {
                serial: "J12345678".into(),
                model: "DS-7608NI-K2".into(),
                status: UiMessage::with(MessageId::ScanRecognized, ["DS-7608NI-K2", "J12345678"]),
            }
        );
        assert!(!reset_screen(&code_ready(10), 0).wants_frames());
    }

    #[test]
    fn the_scanner_says_why_the_last_frame_could_not_be_read() {
        assert_eq!(
            reset_screen(&ResetState::SCANNING, 0),
            ResetScreen::Scanning {
                hint: UiMessage::plain(MessageId::ScanHint)
            }
        );
        let blurred = ResetState::Scanning {
            hint: Some(crate::ScanHint::Blurred),
        };
        assert_eq!(
            reset_screen(&blurred, 0),
            ResetScreen::Scanning {
                hint: UiMessage::plain(MessageId::ScanHintBlurred)
            }
        );
        assert!(reset_screen(&blurred, 0).wants_frames());
    }

    #[test]
    fn a_failed_reset_carries_its_error_its_message_and_what_to_do() {
        let error = HcError::DeviceNotAdded {
            serial: "J12345678".into(),
        };
        assert_eq!(
            reset_screen(
                &ResetState::Failed {
                    error: error.clone()
                },
                0
            ),
            ResetScreen::Failed {
                message: UiMessage::with(MessageId::ErrorDeviceNotAdded, ["J12345678"]),
                action: ErrorAction::AddDevice,
                error,
            }
        );
    }

    fn device(serial: &str, name: &str) -> DeviceInfo {
        DeviceInfo {
            serial: serial.into(),
            name: name.into(),
            model: "DS-7608NI-K2".into(),
            added_at_unix: 1,
        }
    }

    #[test]
    fn a_device_without_a_name_is_listed_under_its_serial() {
        let snapshot = DeviceListSnapshot {
            devices: vec![device("J12345678", "Shop NVR"), device("J12345679", " \t")],
            fetched_at_unix: 100,
            from_cache: false,
            cloud_unreachable: false,
        };
        let screen = device_list_screen(&snapshot, 100);
        let names: Vec<&str> = screen.devices.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Shop NVR", "J12345679"]);
        assert_eq!(screen.empty, None);
        assert_eq!(screen.cache_age, None);
    }

    #[test]
    fn a_cached_list_says_how_old_it_is_and_an_empty_one_says_how_to_add() {
        let t = 1_700_000_000;
        let snapshot = DeviceListSnapshot {
            devices: vec![],
            fetched_at_unix: t,
            from_cache: true,
            cloud_unreachable: false,
        };
        let screen = device_list_screen(&snapshot, t + 10 * 60 + 5);
        assert_eq!(
            screen.empty,
            Some(UiMessage::plain(MessageId::DevicesEmpty))
        );
        assert_eq!(
            screen.cache_age,
            Some(UiMessage::with(MessageId::DevicesUpdatedMinutesAgo, ["10"]))
        );
        assert_eq!(
            screen.at(t + 2 * 3600).cache_age,
            Some(UiMessage::with(MessageId::DevicesUpdatedHoursAgo, ["2"]))
        );
        // A fresh list has no age to tell, however late it is looked at.
        let fresh = DeviceListSnapshot {
            from_cache: false,
            ..snapshot
        };
        assert_eq!(device_list_screen(&fresh, t).at(t + 9_999).cache_age, None);
    }

    #[test]
    fn with_the_cloud_unreachable_the_list_says_it_is_the_saved_one() {
        let saved = DeviceListSnapshot {
            devices: vec![device("J12345678", "Shop NVR")],
            fetched_at_unix: 1,
            from_cache: true,
            cloud_unreachable: true,
        };
        let screen = device_list_screen(&saved, 1 + 3 * 86_400);
        assert_eq!(
            screen.saved_list,
            Some(UiMessage::plain(MessageId::DevicesSavedList))
        );
        assert_eq!(
            screen.cache_age,
            Some(UiMessage::with(MessageId::DevicesUpdatedDaysAgo, ["3"]))
        );
        // Served from the cache while fresh, the cloud was not asked: nothing to warn about.
        let fresh = DeviceListSnapshot {
            cloud_unreachable: false,
            ..saved
        };
        assert_eq!(device_list_screen(&fresh, 2).saved_list, None);
    }

    #[test]
    fn a_failed_refresh_keeps_the_rows_and_offers_to_log_in_when_the_session_is_gone() {
        let snapshot = DeviceListSnapshot {
            devices: vec![device("J12345678", "Shop NVR")],
            fetched_at_unix: 1,
            from_cache: false,
            cloud_unreachable: false,
        };
        let loading = device_list_screen(&snapshot, 1).loading();
        assert!(loading.loading);
        let failed = loading.failed(&HcError::SessionExpired);
        assert!(!failed.loading);
        assert_eq!(failed.devices.len(), 1);
        assert_eq!(
            failed.error,
            Some(UiMessage::plain(MessageId::ErrorSessionExpired))
        );
        assert_eq!(failed.error_action, Some(ErrorAction::LogIn));
        let again = failed.loading();
        assert_eq!((again.error, again.error_action), (None, None));
    }

    #[test]
    fn an_account_form_is_busy_then_done_or_failed_with_the_errors_message() {
        let busy = AccountScreen::idle(false).working();
        assert_eq!(
            busy,
            AccountScreen {
                busy: true,
                ..AccountScreen::default()
            }
        );
        let wrong = AccountScreen::failed(
            false,
            &HcError::Server {
                status: 401,
                code: ErrorCode::InvalidCredentials,
                detail: "x".into(),
            },
        );
        assert_eq!(
            wrong.error,
            Some(UiMessage::plain(MessageId::ErrorInvalidCredentials))
        );
        assert_eq!(wrong.error_action, Some(ErrorAction::CorrectInput));
        assert!(!wrong.busy);
        // Sending again clears the last error.
        assert_eq!(wrong.working().error, None);
        let added = AccountScreen::done(true, Some(device_added_message(&device("J1", ""))));
        assert_eq!(
            added.done,
            Some(UiMessage::with(MessageId::DeviceAdded, ["J1"]))
        );
        assert!(added.logged_in);
    }

    #[test]
    fn the_code_vibrates_once_when_it_appears_and_keeps_the_screen_on_until_it_expires() {
        let t = 1_000_000;
        let scanning = reset_view(&ResetState::SCANNING, None, t * 1000);
        assert!(scanning.keep_screen_on && !scanning.vibrate);
        assert_eq!(scanning.next_tick_ms, None);

        let state = code_ready(t + 600);
        let appeared = reset_view(&state, Some(&scanning.screen), t * 1000 + 250);
        assert!(appeared.vibrate && appeared.keep_screen_on);
        // The next tick lands on the next whole second of the phone's clock.
        assert_eq!(appeared.next_tick_ms, Some(750));
        let ticked = reset_view(&state, Some(&appeared.screen), (t + 1) * 1000);
        assert!(!ticked.vibrate, "the same code on screen buzzes once");
        assert_eq!(ticked.next_tick_ms, Some(1000));
        assert!(!reset_view(&state, Some(&ticked.screen), (t + 1) * 1000).vibrate);

        let expired = reset_view(&state, Some(&ticked.screen), (t + 600) * 1000);
        assert!(!expired.keep_screen_on && !expired.vibrate);
        assert_eq!(expired.next_tick_ms, None);

        // Scanned again, a new code: it buzzes again.
        let again = reset_view(
            &code_ready(t + 900),
            Some(&expired.screen),
            (t + 600) * 1000,
        );
        assert!(again.vibrate);
        // A failure lets the display sleep and buzzes nothing.
        let failed = reset_view(
            &ResetState::Failed {
                error: HcError::NotAResetQr,
            },
            Some(&again.screen),
            0,
        );
        assert!(!failed.keep_screen_on && !failed.vibrate);
    }

    #[test]
    fn a_code_shown_at_once_when_the_screen_opens_buzzes_too() {
        assert!(reset_view(&code_ready(10), None, 0).vibrate);
        // Before 1970 (a phone with a broken clock) the tick is still within a second.
        assert_eq!(reset_view(&code_ready(10), None, -1).next_tick_ms, Some(1));
    }

    #[test]
    fn pinching_zooms_within_the_cameras_range() {
        let view = Viewfinder::new(0.5, 8.0);
        assert_eq!(view.zoom, 1.0, "the viewfinder opens without zoom");
        let view = view.pinched(2.0).pinched(1.5);
        assert_eq!(view.zoom, 3.0);
        assert_eq!(view.pinched(10.0).zoom, 8.0);
        assert_eq!(view.pinched(0.01).zoom, 0.5);
        for nonsense in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            assert_eq!(view.pinched(nonsense).zoom, 3.0);
        }
        // A camera without zoom, or one that reports nonsense.
        assert_eq!(Viewfinder::new(1.0, 1.0).pinched(4.0).zoom, 1.0);
        let odd = Viewfinder::new(f32::NAN, 0.0);
        assert_eq!((odd.min_zoom, odd.max_zoom, odd.zoom), (1.0, 1.0, 1.0));
        assert_eq!(Viewfinder::new(2.0, 1.0).zoom, 2.0);
    }

    #[test]
    fn tapping_focuses_there_and_the_ring_goes_once_the_camera_has_focused() {
        let view = Viewfinder::new(1.0, 4.0).tapped(0.25, 0.75);
        let first = view.focus.expect("a ring");
        assert_eq!((first.x, first.y), (0.25, 0.75));
        let view = view.tapped(1.5, f32::NAN);
        let second = view.focus.expect("a ring");
        assert_eq!((second.x, second.y), (1.0, 0.5));
        // The camera's answer to the first tap leaves the second ring alone.
        assert_eq!(view.focused(first.tap).focus, Some(second));
        assert_eq!(view.focused(second.tap).focus, None);
        // Taps after the ring went are numbered on.
        let third = view
            .focused(second.tap)
            .tapped(0.5, 0.5)
            .focus
            .expect("a ring");
        assert_ne!(third.tap, first.tap);
    }

    #[test]
    fn removing_a_device_asks_first_and_cancel_removes_nothing() {
        let snapshot = DeviceListSnapshot {
            devices: vec![device("J12345678", "Shop NVR")],
            fetched_at_unix: 1,
            from_cache: false,
            cloud_unreachable: false,
        };
        let screen = device_list_screen(&snapshot, 1);
        assert_eq!(screen.confirm_removal, None);
        let asking = screen.clone().asking_to_remove("J12345678");
        assert_eq!(
            asking.confirm_removal.as_ref().map(|d| d.name.as_str()),
            Some("Shop NVR")
        );
        assert_eq!(asking.clone().removal_cancelled(), screen);
        // Confirmed: the removal runs like a load, the question gone.
        assert_eq!(asking.loading().confirm_removal, None);
        assert_eq!(screen.asking_to_remove("J00000000").confirm_removal, None);
    }

    fn transfer(incoming: bool, state: TransferState) -> TransferInfo {
        TransferInfo {
            id: 7,
            serial: "J12345678".into(),
            incoming,
            state,
            other_account: "in***@example.com".into(),
            requested_at_unix: 1_000,
            completes_at_unix: 1_000 + 72 * 3600,
        }
    }

    #[test]
    fn an_open_transfer_counts_down_and_only_the_owner_decides_it() {
        let mine = transfer_row(&transfer(false, TransferState::Open), 1_001);
        assert_eq!(
            mine.message,
            UiMessage::with(
                MessageId::TransferOutgoingOpen,
                ["J12345678", "71:59:59", "in***@example.com"]
            )
        );
        assert!(!mine.can_decide);
        assert_eq!(mine.countdown.map(|c| c.seconds_left), Some(72 * 3600 - 1));

        let theirs = transfer_row(&transfer(true, TransferState::Open), 1_000 + 72 * 3600 - 5);
        assert_eq!(theirs.message.id, MessageId::TransferIncomingOpen);
        assert_eq!(theirs.message.args[1], "0:05");
        assert!(theirs.can_decide);

        let approved = transfer_row(&transfer(true, TransferState::Approved), 1_001);
        assert_eq!(
            approved.message,
            UiMessage::with(
                MessageId::FeedTransferApproved,
                ["in***@example.com", "J12345678"]
            )
        );
        assert!(!approved.can_decide && approved.countdown.is_none());
        assert_eq!(
            transfer_row(&transfer(false, TransferState::Cancelled), 1_001)
                .message
                .id,
            MessageId::TransferCancelled
        );
    }

    #[test]
    fn adding_a_device_another_account_has_offers_the_transfer_under_the_note() {
        let taken = AccountScreen::failed(
            true,
            &HcError::DeviceAddedByOthers {
                serial: "J12345678".into(),
            },
        );
        assert_eq!(
            taken.error_hint,
            Some(UiMessage::with(
                MessageId::HintRequestTransfer,
                ["J12345678"]
            ))
        );
        assert_eq!(
            AccountScreen::failed(true, &HcError::NotLoggedIn).error_hint,
            None
        );
    }
}
