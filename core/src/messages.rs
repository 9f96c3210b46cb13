//! What every front end says and offers, decided once: each error's stable message id and the next
//! step the screen offers, and the message ids of the screens' other texts.
//!
//! The front ends own only the words: Android maps [`MessageId::key`] to `R.string.<key>`, iOS to
//! the same key in `Localizable.strings`, the CLI to its own sentences (English and Simplified
//! Chinese each). Nobody outside the core looks at an API error code: a new code gets its message
//! id here, or the generic [`MessageId::ErrorServer`] with the status.

use hc_protocol::api::ErrorCode;
use hc_protocol::password::PasswordProblem;

use crate::error::HcError;
use crate::scan::ScanHint;

/// Declares [`MessageId`] with each id's key and argument count in one line, and the list of all.
macro_rules! message_ids {
    ($($(#[$doc:meta])* $id:ident = ($key:literal, $args:literal),)*) => {
        /// A text a screen shows, as a stable id; its arguments travel in [`UiMessage::args`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum MessageId {
            $($(#[$doc])* $id,)*
        }

        impl MessageId {
            /// Every id, in declaration order: the shells' tests check each has its words.
            pub const ALL: &'static [MessageId] = &[$(MessageId::$id,)*];

            /// The stable key of the wording tables (strings.xml, Localizable.strings).
            pub fn key(self) -> &'static str {
                match self { $(MessageId::$id => $key,)* }
            }

            /// How many arguments the wording takes (`%1$s`, `%2$s`).
            pub fn arg_count(self) -> usize {
                match self { $(MessageId::$id => $args,)* }
            }
        }
    };
}

message_ids! {
    // errors (HcError), one or more per variant (`NoQrFound` says its hint's message)
    ErrorNotAResetQr = ("error_not_a_reset_qr", 0),
    ErrorInvalidQr = ("error_invalid_qr", 0),
    /// The vendor's note: the device is not added to your account. Argument: serial.
    ErrorDeviceNotAdded = ("error_device_not_added", 1),
    /// The vendor's note: the device has been added by another account. Argument: serial.
    ErrorDeviceAddedByOthers = ("error_device_added_by_others", 1),
    ErrorNotLoggedIn = ("error_not_logged_in", 0),
    ErrorSessionExpired = ("error_session_expired", 0),
    /// Argument: seconds to wait.
    ErrorRateLimited = ("error_rate_limited", 1),
    ErrorNetwork = ("error_network", 0),
    /// Any other answer of the cloud. Argument: HTTP status.
    ErrorServer = ("error_server", 1),
    ErrorInvalidCredentials = ("error_invalid_credentials", 0),
    ErrorEmailTaken = ("error_email_taken", 0),
    ErrorWeakPassword = ("error_weak_password", 0),
    /// The password as typed is shorter than the rule's minimum (the rule follows in the text).
    ErrorPasswordTooShort = ("error_password_too_short", 0),
    /// Longer than the rule's maximum.
    ErrorPasswordTooLong = ("error_password_too_long", 0),
    /// One of the most common passwords, or one character repeated.
    ErrorPasswordCommon = ("error_password_common", 0),
    /// The account's e-mail address (or the part before the `@`).
    ErrorPasswordIsTheEmail = ("error_password_is_the_email", 0),
    ErrorInvalidEmail = ("error_invalid_email", 0),
    ErrorInvalidSerial = ("error_invalid_serial", 0),
    ErrorWrongLabelCode = ("error_wrong_label_code", 0),
    ErrorAlreadyAdded = ("error_already_added", 0),
    /// The device (or whatever was asked for) is not in the account.
    ErrorNotFound = ("error_not_found", 0),
    ErrorStorage = ("error_storage", 0),
    ErrorInvalidFrame = ("error_invalid_frame", 0),
    /// The address answers, but it is not an hc cloud. Argument: the address.
    ErrorNotAnHcCloud = ("error_not_an_hc_cloud", 1),
    /// The address cannot be used; the words state the rule for bare `host:port`. Argument: the
    /// address as given.
    ErrorInvalidCloudAddress = ("error_invalid_cloud_address", 1),
    /// The saved session is another cloud's: log in to this one. Argument: that cloud's origin.
    ErrorSessionForOtherCloud = ("error_session_for_other_cloud", 1),
    ErrorPasswordsDiffer = ("error_passwords_differ", 0),
    /// Not 6 letters A-Z.
    ErrorInvalidLabelCode = ("error_invalid_label_code", 0),
    /// A push endpoint URL the cloud does not send to (not https, or not a public host).
    ErrorInvalidPushEndpoint = ("error_invalid_push_endpoint", 0),
    /// The account has as many push endpoints as it may: remove one first.
    ErrorTooManyPushEndpoints = ("error_too_many_push_endpoints", 0),
    /// The device's QR code was already used (for a reset code or a transfer): show a new one.
    ErrorQrAlreadyUsed = ("error_qr_already_used", 0),
    /// A request to move this device is already open.
    ErrorTransferPending = ("error_transfer_pending", 0),
    /// The owner refused this account's request for the device recently: no new one yet.
    ErrorTransferRefusedRecently = ("error_transfer_refused_recently", 0),
    /// Adding devices and reset codes wait for the account's e-mail address to be verified.
    ErrorEmailNotVerified = ("error_email_not_verified", 0),
    /// What was typed is not six digits.
    ErrorInvalidMailedCode = ("error_invalid_mailed_code", 0),
    /// A wrong mailed code. Argument: tries left.
    ErrorMailedCodeWrong = ("error_mailed_code_wrong", 1),
    /// The mailed code is out of tries, expired or used: ask for a new one.
    ErrorMailedCodeSpent = ("error_mailed_code_spent", 0),
    /// A forgotten-password code that is wrong or expired (the cloud does not say which).
    ErrorMailedCodeRefused = ("error_mailed_code_refused", 0),
    /// A resend for an address that is verified already.
    ErrorEmailAlreadyVerified = ("error_email_already_verified", 0),
    /// After "added by another account": the way out for a person at the device. Argument: serial.
    HintRequestTransfer = ("hint_request_transfer", 1),
    // reset screen
    /// Scanning, before any frame said why it could not be read.
    ScanHint = ("scan_hint", 0),
    /// A frame or image without a readable code, each with its hint (`ScanHint`).
    ScanHintNoCode = ("scan_hint_no_code", 0),
    ScanHintTooSmall = ("scan_hint_too_small", 0),
    ScanHintBlurred = ("scan_hint_blurred", 0),
    ScanHintGlare = ("scan_hint_glare", 0),
    ScanHintTooDark = ("scan_hint_too_dark", 0),
    /// Arguments: model, serial.
    ScanRecognized = ("scan_recognized", 2),
    /// Arguments: model, serial.
    ScanRequesting = ("scan_requesting", 2),
    CodeInstructions = ("code_instructions", 0),
    /// Argument: time left as m:ss or h:mm:ss.
    CodeValidFor = ("code_valid_for", 1),
    CodeExpired = ("code_expired", 0),
    // device list
    DevicesEmpty = ("devices_empty", 0),
    DevicesUpdatedJustNow = ("devices_updated_just_now", 0),
    /// Argument: minutes.
    DevicesUpdatedMinutesAgo = ("devices_updated_minutes_ago", 1),
    /// Argument: hours.
    DevicesUpdatedHoursAgo = ("devices_updated_hours_ago", 1),
    /// Argument: days.
    DevicesUpdatedDaysAgo = ("devices_updated_days_ago", 1),
    /// The cloud could not be reached: the list shown is the one saved on this phone.
    DevicesSavedList = ("devices_saved_list", 0),
    /// Argument: serial.
    DeviceAdded = ("device_added", 1),
    // account
    /// The account password rule (`hc_protocol::password`), shown beside the password field and
    /// in `ErrorWeakPassword`: at least 8 characters, spaces allowed, not a common password, not
    /// the e-mail address.
    PasswordRule = ("password_rule", 0),
    /// Registered and logged in. Argument: the e-mail address.
    AccountCreated = ("account_created", 1),
    /// A code to verify the address is in the mail. Arguments: the address, minutes it is valid.
    VerifyEmailSent = ("verify_email_sent", 2),
    /// The address is verified: devices can be added. Argument: the address.
    EmailVerified = ("email_verified", 1),
    /// After "forgot password": the same words whether or not an account has the address.
    /// Arguments: the address, minutes the code is valid.
    ForgotPasswordSent = ("forgot_password_sent", 2),
    /// The password was set anew with the mailed code; every session ended, this phone is logged
    /// in with the new password.
    PasswordResetDone = ("password_reset_done", 0),
    // audit log (each event's words, by who asked and what they were told)
    /// Argument: serial.
    AuditIssued = ("audit_issued", 1),
    AuditInvalidQr = ("audit_invalid_qr", 0),
    /// Argument: serial.
    AuditDeviceNotAdded = ("audit_device_not_added", 1),
    /// Argument: serial.
    AuditDeviceAddedByOthers = ("audit_device_added_by_others", 1),
    /// Argument: how many requests.
    AuditRateLimited = ("audit_rate_limited", 1),
    /// Another account asked for a code for your device. Arguments: its masked e-mail, serial.
    AuditOtherAccountRefused = ("audit_other_account_refused", 2),
    /// Another account asked too often for your device. Arguments: masked e-mail, count, serial.
    AuditOtherAccountRateLimited = ("audit_other_account_rate_limited", 3),
    // account security
    /// The password changed; every other phone was logged out.
    PasswordChanged = ("password_changed", 0),
    /// Every session of the account ended, this one too.
    LoggedOutEverywhere = ("logged_out_everywhere", 0),
    // security feed (each event's words, by its kind)
    /// Argument: serial.
    FeedResetCodeIssued = ("feed_reset_code_issued", 1),
    /// Arguments: the other account (masked), serial.
    FeedResetAttemptRefused = ("feed_reset_attempt_refused", 2),
    /// Argument: where from (a /24 or /48).
    FeedNewLogin = ("feed_new_login", 1),
    /// Arguments: the other account (masked), serial.
    FeedTransferRequested = ("feed_transfer_requested", 2),
    /// Arguments: the other account (masked), serial.
    FeedTransferRefused = ("feed_transfer_refused", 2),
    /// Arguments: the other account (masked), serial.
    FeedTransferApproved = ("feed_transfer_approved", 2),
    /// Arguments: the other account (masked), serial.
    FeedTransferCompleted = ("feed_transfer_completed", 2),
    /// The account password was set anew with a code mailed to the account's address.
    FeedPasswordReset = ("feed_password_reset", 0),
    /// A kind of event a newer cloud sends.
    FeedUnknown = ("feed_unknown", 0),
    // transfers screen (`screens::transfer_row`)
    /// This account's open request for a device. Arguments: serial, time until it moves (m:ss or
    /// h:mm:ss), the device's owner (masked).
    TransferOutgoingOpen = ("transfer_outgoing_open", 3),
    /// Another account's open request for one of this account's devices: approve or refuse.
    /// Arguments: serial, time until it moves, who asks (masked).
    TransferIncomingOpen = ("transfer_incoming_open", 3),
    /// The request ended without moving the device and without a refusal (withdrawn, or the
    /// device changed hands another way). Arguments: the other account (masked), serial.
    TransferCancelled = ("transfer_cancelled", 2),
}

/// A message to show: the front end looks `id` up in its wording and fills in `args`, already
/// formatted as text (serials, counts, m:ss), so every placeholder is a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UiMessage {
    pub id: MessageId,
    pub args: Vec<String>,
}

impl UiMessage {
    /// A message without arguments.
    pub fn plain(id: MessageId) -> Self {
        debug_assert_eq!(id.arg_count(), 0, "{} takes arguments", id.key());
        UiMessage { id, args: vec![] }
    }

    pub fn with(id: MessageId, args: impl IntoIterator<Item = impl ToString>) -> Self {
        let args: Vec<String> = args.into_iter().map(|a| a.to_string()).collect();
        debug_assert_eq!(args.len(), id.arg_count(), "arguments of {}", id.key());
        UiMessage { id, args }
    }
}

/// What the screen offers after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorAction {
    /// The same request again may work (network, storage, a passing server problem).
    Retry,
    /// Too many requests: the same request works again after this many seconds.
    WaitThenRetry { seconds: u64 },
    /// Log in (again).
    LogIn,
    /// Add the device to the account (serial and label code).
    AddDevice,
    /// Scan the device's QR code (again): the one read is not usable.
    ScanAgain,
    /// Another account holds the device: only its owner can reset it or give it up.
    ContactOwner,
    /// Correct what was typed (email, password, serial, label code) and send it again.
    CorrectInput,
    /// Enter the code mailed to the account's address (or ask for a new one) first.
    VerifyEmail,
    /// Ask for a new mailed code: this one can no longer be used.
    RequestNewCode,
}

impl ScanHint {
    /// What the screen says for this hint: the same words while scanning and for a photo.
    pub fn ui_message(self) -> UiMessage {
        UiMessage::plain(match self {
            ScanHint::NoCode => MessageId::ScanHintNoCode,
            ScanHint::TooSmall => MessageId::ScanHintTooSmall,
            ScanHint::Blurred => MessageId::ScanHintBlurred,
            ScanHint::Glare => MessageId::ScanHintGlare,
            ScanHint::TooDark => MessageId::ScanHintTooDark,
        })
    }
}

impl HcError {
    /// The message the screens show for this error. `detail` strings never reach it.
    pub fn ui_message(&self) -> UiMessage {
        match self {
            HcError::NoQrFound { hint } => hint.ui_message(),
            HcError::NotAResetQr => UiMessage::plain(MessageId::ErrorNotAResetQr),
            HcError::InvalidQr => UiMessage::plain(MessageId::ErrorInvalidQr),
            HcError::DeviceNotAdded { serial } => {
                UiMessage::with(MessageId::ErrorDeviceNotAdded, [serial])
            }
            HcError::DeviceAddedByOthers { serial } => {
                UiMessage::with(MessageId::ErrorDeviceAddedByOthers, [serial])
            }
            HcError::NotLoggedIn => UiMessage::plain(MessageId::ErrorNotLoggedIn),
            HcError::SessionExpired => UiMessage::plain(MessageId::ErrorSessionExpired),
            HcError::RateLimited { retry_after_secs } => {
                UiMessage::with(MessageId::ErrorRateLimited, [retry_after_secs])
            }
            HcError::Network { .. } => UiMessage::plain(MessageId::ErrorNetwork),
            HcError::Server { status, code, .. } => match server_message_id(*code) {
                Some(id) => UiMessage::plain(id),
                None => UiMessage::with(MessageId::ErrorServer, [status]),
            },
            HcError::Storage { .. } => UiMessage::plain(MessageId::ErrorStorage),
            HcError::InvalidFrame { .. } => UiMessage::plain(MessageId::ErrorInvalidFrame),
            HcError::NotAnHcCloud { cloud, .. } => {
                UiMessage::with(MessageId::ErrorNotAnHcCloud, [cloud])
            }
            HcError::InvalidCloudAddress { cloud, .. } => {
                UiMessage::with(MessageId::ErrorInvalidCloudAddress, [cloud])
            }
            HcError::SessionForOtherCloud { session_cloud } => {
                UiMessage::with(MessageId::ErrorSessionForOtherCloud, [session_cloud])
            }
            HcError::WeakPassword { problem } => UiMessage::plain(match problem {
                PasswordProblem::TooShort => MessageId::ErrorPasswordTooShort,
                PasswordProblem::TooLong => MessageId::ErrorPasswordTooLong,
                PasswordProblem::Common => MessageId::ErrorPasswordCommon,
                PasswordProblem::IsTheEmail => MessageId::ErrorPasswordIsTheEmail,
            }),
            HcError::PasswordsDiffer => UiMessage::plain(MessageId::ErrorPasswordsDiffer),
            HcError::InvalidSerial => UiMessage::plain(MessageId::ErrorInvalidSerial),
            HcError::InvalidLabelCode => UiMessage::plain(MessageId::ErrorInvalidLabelCode),
            HcError::EmailNotVerified => UiMessage::plain(MessageId::ErrorEmailNotVerified),
            HcError::InvalidMailedCode => UiMessage::plain(MessageId::ErrorInvalidMailedCode),
            HcError::MailedCodeRefused { attempts_left } => match attempts_left {
                Some(0) => UiMessage::plain(MessageId::ErrorMailedCodeSpent),
                Some(left) => UiMessage::with(MessageId::ErrorMailedCodeWrong, [left]),
                None => UiMessage::plain(MessageId::ErrorMailedCodeRefused),
            },
        }
    }

    /// A second line some errors offer besides their action: after "added by another account",
    /// the way out for a person standing at the device (ask for it to be moved to their account,
    /// [`HcClient::request_transfer`](crate::HcClient::request_transfer)).
    pub fn hint(&self) -> Option<UiMessage> {
        match self {
            HcError::DeviceAddedByOthers { serial } => {
                Some(UiMessage::with(MessageId::HintRequestTransfer, [serial]))
            }
            _ => None,
        }
    }

    /// What the screen offers next for this error.
    pub fn action(&self) -> ErrorAction {
        match self {
            HcError::MailedCodeRefused {
                attempts_left: Some(0),
            } => ErrorAction::RequestNewCode,
            HcError::NoQrFound { .. }
            | HcError::NotAResetQr
            | HcError::InvalidQr
            | HcError::InvalidFrame { .. } => ErrorAction::ScanAgain,
            HcError::DeviceNotAdded { .. } => ErrorAction::AddDevice,
            HcError::DeviceAddedByOthers { .. } => ErrorAction::ContactOwner,
            HcError::NotLoggedIn
            | HcError::SessionExpired
            | HcError::SessionForOtherCloud { .. } => ErrorAction::LogIn,
            HcError::NotAnHcCloud { .. }
            | HcError::InvalidCloudAddress { .. }
            | HcError::WeakPassword { .. }
            | HcError::PasswordsDiffer
            | HcError::InvalidSerial
            | HcError::InvalidLabelCode
            | HcError::InvalidMailedCode
            | HcError::MailedCodeRefused { .. } => ErrorAction::CorrectInput,
            HcError::EmailNotVerified => ErrorAction::VerifyEmail,
            HcError::RateLimited { retry_after_secs } => ErrorAction::WaitThenRetry {
                seconds: *retry_after_secs,
            },
            // The device must show a new QR: scan that one.
            HcError::Server {
                code: ErrorCode::QrAlreadyUsed,
                ..
            } => ErrorAction::ScanAgain,
            HcError::Server { code, .. } if server_message_id(*code).is_some() => {
                ErrorAction::CorrectInput
            }
            HcError::Network { .. } | HcError::Server { .. } | HcError::Storage { .. } => {
                ErrorAction::Retry
            }
        }
    }
}

/// The cloud error codes that say what was wrong with the input, each with its own message; every
/// other code is "the service could not complete the request".
fn server_message_id(code: ErrorCode) -> Option<MessageId> {
    Some(match code {
        ErrorCode::InvalidCredentials | ErrorCode::WrongPassword => {
            MessageId::ErrorInvalidCredentials
        }
        ErrorCode::EmailTaken => MessageId::ErrorEmailTaken,
        ErrorCode::WeakPassword | ErrorCode::PasswordPolicy => MessageId::ErrorWeakPassword,
        ErrorCode::InvalidEmail => MessageId::ErrorInvalidEmail,
        ErrorCode::InvalidSerial => MessageId::ErrorInvalidSerial,
        ErrorCode::WrongLabelCode => MessageId::ErrorWrongLabelCode,
        ErrorCode::AlreadyAdded => MessageId::ErrorAlreadyAdded,
        ErrorCode::NotFound => MessageId::ErrorNotFound,
        ErrorCode::InvalidPushEndpoint => MessageId::ErrorInvalidPushEndpoint,
        ErrorCode::TooManyPushEndpoints => MessageId::ErrorTooManyPushEndpoints,
        ErrorCode::QrAlreadyUsed => MessageId::ErrorQrAlreadyUsed,
        ErrorCode::TransferPending => MessageId::ErrorTransferPending,
        ErrorCode::TransferRefusedRecently => MessageId::ErrorTransferRefusedRecently,
        ErrorCode::AlreadyVerified => MessageId::ErrorEmailAlreadyVerified,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_message_id_is_listed_once_with_a_unique_key() {
        let listed: HashSet<MessageId> = MessageId::ALL.iter().copied().collect();
        assert_eq!(listed.len(), MessageId::ALL.len());
        let keys: HashSet<&str> = listed.iter().map(|id| id.key()).collect();
        assert_eq!(keys.len(), listed.len());
        assert!(
            keys.iter()
                .all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
    }

    #[test]
    fn a_photo_without_a_readable_code_says_why_and_offers_another_scan() {
        let hints = [
            (ScanHint::NoCode, MessageId::ScanHintNoCode),
            (ScanHint::TooSmall, MessageId::ScanHintTooSmall),
            (ScanHint::Blurred, MessageId::ScanHintBlurred),
            (ScanHint::Glare, MessageId::ScanHintGlare),
            (ScanHint::TooDark, MessageId::ScanHintTooDark),
        ];
        let ids: HashSet<MessageId> = hints.iter().map(|(_, id)| *id).collect();
        assert_eq!(ids.len(), hints.len(), "one message id per hint");
        for (hint, id) in hints {
            let error = HcError::NoQrFound { hint };
            assert_eq!(error.ui_message(), UiMessage::plain(id));
            assert_eq!(error.action(), ErrorAction::ScanAgain);
        }
    }

    fn server(status: u16, code: ErrorCode) -> HcError {
        HcError::Server {
            status,
            code,
            detail: "the server's own words".into(),
        }
    }

    #[test]
    fn a_wrong_password_says_so_and_asks_to_correct_it() {
        let error = server(401, ErrorCode::InvalidCredentials);
        assert_eq!(
            error.ui_message(),
            UiMessage::plain(MessageId::ErrorInvalidCredentials)
        );
        assert_eq!(error.action(), ErrorAction::CorrectInput);
    }

    #[test]
    fn a_server_failure_shows_its_status_never_its_detail_and_offers_a_retry() {
        let error = server(503, ErrorCode::Unavailable);
        assert_eq!(
            error.ui_message(),
            UiMessage::with(MessageId::ErrorServer, ["503"])
        );
        assert_eq!(error.action(), ErrorAction::Retry);
        let detail = HcError::Network {
            detail: "could not connect: refused".into(),
        };
        assert_eq!(
            detail.ui_message(),
            UiMessage::plain(MessageId::ErrorNetwork)
        );
    }

    #[test]
    fn the_vendor_notes_name_the_device_and_offer_what_the_owner_can_do() {
        let not_added = HcError::DeviceNotAdded {
            serial: "J12345678".into(),
        };
        assert_eq!(
            not_added.ui_message(),
            UiMessage::with(MessageId::ErrorDeviceNotAdded, ["J12345678"])
        );
        assert_eq!(not_added.action(), ErrorAction::AddDevice);
        let by_others = HcError::DeviceAddedByOthers {
            serial: "J12345678".into(),
        };
        assert_eq!(
            by_others.ui_message(),
            UiMessage::with(MessageId::ErrorDeviceAddedByOthers, ["J12345678"])
        );
        assert_eq!(by_others.action(), ErrorAction::ContactOwner);
    }

    #[test]
    fn a_mailed_code_says_how_many_tries_are_left_and_when_to_ask_for_a_new_one() {
        let wrong = HcError::MailedCodeRefused {
            attempts_left: Some(2),
        };
        assert_eq!(
            wrong.ui_message(),
            UiMessage::with(MessageId::ErrorMailedCodeWrong, ["2"])
        );
        assert_eq!(wrong.action(), ErrorAction::CorrectInput);
        let spent = HcError::MailedCodeRefused {
            attempts_left: Some(0),
        };
        assert_eq!(
            spent.ui_message(),
            UiMessage::plain(MessageId::ErrorMailedCodeSpent)
        );
        assert_eq!(spent.action(), ErrorAction::RequestNewCode);
        // A forgotten-password code: the cloud does not say whether the address has an account.
        let refused = HcError::MailedCodeRefused {
            attempts_left: None,
        };
        assert_eq!(
            refused.ui_message(),
            UiMessage::plain(MessageId::ErrorMailedCodeRefused)
        );
        assert_eq!(HcError::EmailNotVerified.action(), ErrorAction::VerifyEmail);
    }

    #[test]
    fn a_rate_limit_says_how_long_and_offers_to_wait_that_long() {
        let error = HcError::RateLimited {
            retry_after_secs: 90,
        };
        assert_eq!(
            error.ui_message(),
            UiMessage::with(MessageId::ErrorRateLimited, ["90"])
        );
        assert_eq!(error.action(), ErrorAction::WaitThenRetry { seconds: 90 });
    }

    #[test]
    fn every_error_message_has_the_arguments_its_wording_takes() {
        let mut errors = vec![
            HcError::NoQrFound {
                hint: ScanHint::Blurred,
            },
            HcError::NotAResetQr,
            HcError::InvalidQr,
            HcError::DeviceNotAdded { serial: "S".into() },
            HcError::DeviceAddedByOthers { serial: "S".into() },
            HcError::NotLoggedIn,
            HcError::SessionExpired,
            HcError::RateLimited {
                retry_after_secs: 1,
            },
            HcError::Network { detail: "d".into() },
            HcError::Storage { detail: "d".into() },
            HcError::InvalidFrame { detail: "d".into() },
            HcError::NotAnHcCloud {
                cloud: "S".into(),
                detail: "d".into(),
            },
            HcError::InvalidCloudAddress {
                cloud: "S".into(),
                detail: "d".into(),
            },
            HcError::SessionForOtherCloud {
                session_cloud: "S".into(),
            },
            HcError::WeakPassword {
                problem: PasswordProblem::Common,
            },
            HcError::PasswordsDiffer,
            HcError::InvalidSerial,
            HcError::InvalidLabelCode,
            HcError::EmailNotVerified,
            HcError::InvalidMailedCode,
            HcError::MailedCodeRefused {
                attempts_left: Some(3),
            },
            HcError::MailedCodeRefused {
                attempts_left: Some(0),
            },
            HcError::MailedCodeRefused {
                attempts_left: None,
            },
        ];
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::EmailTaken,
            ErrorCode::WeakPassword,
            ErrorCode::InvalidEmail,
            ErrorCode::InvalidSerial,
            ErrorCode::WrongLabelCode,
            ErrorCode::AlreadyAdded,
            ErrorCode::NotFound,
            ErrorCode::Internal,
            ErrorCode::AlreadyVerified,
            ErrorCode::Unknown,
        ] {
            errors.push(server(400, code));
        }
        for error in errors {
            let message = error.ui_message();
            assert_eq!(message.args.len(), message.id.arg_count(), "{error:?}");
            assert!(message.args.iter().all(|a| !a.contains('d') || a == "S"));
        }
    }
}
