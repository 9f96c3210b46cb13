//! What each screen shows, decided once for Android, iOS and any other front end: pure functions
//! from the core's states (and the phone's clock) to the screen's state. The shells keep what is
//! truly theirs: an observable wrapper, the timer that calls back every second, and the words.

use crate::devices::{DeviceInfo, DeviceListSnapshot};
use crate::display::{countdown, device_list_age, group_code};
use crate::error::HcError;
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
    }
}

impl DeviceListScreen {
    /// Loading again: the rows stay, the last error goes.
    pub fn loading(mut self) -> Self {
        self.loading = true;
        self.error = None;
        self.error_action = None;
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
            ..AccountScreen::idle(logged_in)
        }
    }
}

/// "Device J12345678 added."
pub fn device_added_message(device: &DeviceInfo) -> UiMessage {
    UiMessage::with(MessageId::DeviceAdded, [&device.serial])
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
}
