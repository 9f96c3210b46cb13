//! The one error the app sees, and the single place where cloud answers and transport failures
//! become it.
//!
//! `HcError` carries only what a screen acts on (which serial, how long to wait, which status). The
//! shells map each variant to a localized message, so the `detail` strings are for logs and bug
//! reports, never shown as is, and never hold tokens, passwords or label codes. No field is called
//! `message`: that name breaks the exception classes uniffi generates for Kotlin.

use hc_protocol::QrError;
use hc_protocol::api::ErrorCode;
use hc_protocol::password::PasswordProblem;

use crate::scan::ScanHint;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HcError {
    /// No QR code could be read in the image (or the text is empty); `hint` says why: no code in
    /// view, too small, blurred, glare, too dark. Not the device's fault: the user takes the photo
    /// again.
    #[error("no QR code found ({hint})")]
    NoQrFound { hint: ScanHint },
    /// A QR code was read and it is not a Hik-Connect reset code (another app's QR, a URL, ...).
    #[error("not a reset QR code")]
    NotAResetQr,
    /// It looks like a reset code but is damaged, of another version, or was not made by the device.
    #[error("invalid reset QR code")]
    InvalidQr,
    /// The device is not in this account: add it first (serial + label code).
    #[error("device {serial} is not added to this account")]
    DeviceNotAdded { serial: String },
    /// The device is bound to another account: the vendor's "added by others" note.
    #[error("device {serial} is added by another account")]
    DeviceAddedByOthers { serial: String },
    #[error("not logged in")]
    NotLoggedIn,
    /// The session could not be refreshed: log in again.
    #[error("session expired")]
    SessionExpired,
    #[error("rate limited, retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The cloud could not be reached (offline, DNS, TLS, timeout).
    #[error("network error: {detail}")]
    Network { detail: String },
    /// Any other answer of the cloud: its HTTP status and machine-readable error code.
    #[error("server error {status} {code}: {detail}")]
    Server {
        status: u16,
        code: ErrorCode,
        detail: String,
    },
    /// The platform's secure storage failed.
    #[error("storage error: {detail}")]
    Storage { detail: String },
    /// A camera frame or image that cannot be scanned (zero size, short buffer, bad stride, ...).
    #[error("invalid frame: {detail}")]
    InvalidFrame { detail: String },
    /// The cloud address answered, but not as an hc cloud's API does (an NVR's web page, a
    /// router, a 404 without the API's JSON error): the address is wrong.
    #[error("{cloud} is not an hc cloud: {detail}")]
    NotAnHcCloud { cloud: String, detail: String },
    /// The cloud address cannot be used: not a URL, or a scheme other than https (http only on
    /// this machine's loopback or when typed). `cloud` is the address as given.
    #[error("cloud address {cloud:?} cannot be used: {detail}")]
    InvalidCloudAddress { cloud: String, detail: String },
    /// The saved session belongs to another cloud (`session_cloud`, its origin) than the one
    /// configured: its tokens are never sent here. Log in to this cloud.
    #[error("the saved session belongs to {session_cloud}")]
    SessionForOtherCloud { session_cloud: String },
    /// The new password does not meet the account password rule (`hc_protocol::password`):
    /// `problem` says which part, so the screen says what to change. Nothing was sent.
    #[error("the password does not meet the rule: {problem}")]
    WeakPassword { problem: PasswordProblem },
    /// The password and its confirmation differ; nothing was sent.
    #[error("the passwords differ")]
    PasswordsDiffer,
    /// What was typed is not a serial number (9 of A-Z and 0-9); nothing was sent.
    #[error("not a serial number")]
    InvalidSerial,
    /// What was typed is not a label code (6 letters A-Z); nothing was sent.
    #[error("not a label code")]
    InvalidLabelCode,
    /// The account's e-mail address is not verified yet: adding devices, reset codes and
    /// transfers wait until the code mailed at sign-up is entered ([`HcClient::verify_email`],
    /// [`HcClient::resend_verification`]).
    ///
    /// [`HcClient::verify_email`]: crate::HcClient::verify_email
    /// [`HcClient::resend_verification`]: crate::HcClient::resend_verification
    #[error("the e-mail address is not verified")]
    EmailNotVerified,
    /// What was typed is not a mailed code (six digits); nothing was sent.
    #[error("not a mailed code")]
    InvalidMailedCode,
    /// The cloud refused a mailed code: wrong, expired, used, or out of tries. `attempts_left` is
    /// how many more tries this code allows (`Some(0)`: ask for a new code); `None` where the
    /// cloud does not tell (a forgotten-password reset, which answers alike for unknown
    /// addresses).
    #[error("the mailed code was refused")]
    MailedCodeRefused { attempts_left: Option<u32> },
}

impl HcError {
    /// The cloud could not be reached or is away for a moment: cached data may stand in.
    pub(crate) fn is_unreachable(&self) -> bool {
        matches!(
            self,
            HcError::Network { .. }
                | HcError::Server {
                    status: 502..=504,
                    ..
                }
        )
    }
}

pub type Result<T, E = HcError> = std::result::Result<T, E>;

impl From<QrError> for HcError {
    /// Only text without the `HCR` prefix is "not a reset QR"; a reset code of another version or
    /// a damaged one is "invalid", so the user is not told to scan something else.
    fn from(error: QrError) -> Self {
        match error {
            QrError::NotAResetQr => HcError::NotAResetQr,
            QrError::UnsupportedVersion | QrError::Malformed(_) | QrError::Tag => {
                HcError::InvalidQr
            }
        }
    }
}

/// An error answer of the cloud, before it is given a meaning by the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CloudError {
    pub status: u16,
    pub code: ErrorCode,
    /// The server's human text, kept for logs.
    pub detail: String,
    /// From `Retry-After` or the body's `retry_after_secs`.
    pub retry_after_secs: Option<u64>,
    /// The body's `attempts_left` (a mailed code's tries).
    pub attempts_left: Option<u32>,
}

/// When the cloud gives no delay with a 429, wait this long before trying again.
const DEFAULT_RETRY_AFTER_SECS: u64 = 60;

impl CloudError {
    /// The mapping of every cloud error code to the variant the app acts on. `serial` is the device
    /// the request was about, if any.
    ///
    /// | cloud code | `HcError` |
    /// |---|---|
    /// | `rate_limited` | `RateLimited` (Retry-After, else 60 s) |
    /// | `invalid_qr` | `InvalidQr` (unknown serial and bad tag look the same: no enumeration) |
    /// | `device_not_bound` | `DeviceNotAdded { serial }` |
    /// | `bound_to_other_account` | `DeviceAddedByOthers { serial }` (reset code and add device) |
    /// | `unauthorized` | `SessionExpired` (only reached once a refresh failed) |
    /// | `email_not_verified` | `EmailNotVerified` |
    /// | `invalid_code` | `MailedCodeRefused { attempts_left }` |
    /// | everything else, `invalid_credentials` included | `Server { status, code, detail }` |
    pub fn into_hc_error(self, serial: Option<&str>) -> HcError {
        let serial = || serial.unwrap_or_default().to_owned();
        match self.code {
            ErrorCode::RateLimited => HcError::RateLimited {
                retry_after_secs: self.retry_after_secs.unwrap_or(DEFAULT_RETRY_AFTER_SECS),
            },
            ErrorCode::InvalidQr => HcError::InvalidQr,
            ErrorCode::DeviceNotBound => HcError::DeviceNotAdded { serial: serial() },
            ErrorCode::BoundToOtherAccount => HcError::DeviceAddedByOthers { serial: serial() },
            ErrorCode::Unauthorized => HcError::SessionExpired,
            ErrorCode::EmailNotVerified => HcError::EmailNotVerified,
            ErrorCode::InvalidCode => HcError::MailedCodeRefused {
                attempts_left: self.attempts_left,
            },
            _ => HcError::Server {
                status: self.status,
                code: self.code,
                detail: self.detail,
            },
        }
    }
}

/// Transport failures: the detail names the kind of failure and never the URL's query or a token.
pub(crate) fn network_error(error: &reqwest::Error) -> HcError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_decode() {
        "unreadable answer"
    } else if error.is_body() {
        "broken body"
    } else {
        "request failed"
    };
    // The source chain says why (refused, TLS, DNS) without the bearer token, which reqwest never
    // puts in its errors.
    let mut detail = kind.to_owned();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    HcError::Network { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud(status: u16, code: ErrorCode) -> CloudError {
        CloudError {
            status,
            code,
            detail: "human text".into(),
            retry_after_secs: None,
            attempts_left: None,
        }
    }

    #[test]
    fn a_device_bound_to_someone_else_is_the_added_by_others_note() {
        let error = cloud(409, ErrorCode::BoundToOtherAccount).into_hc_error(Some("J12345678"));
        assert_eq!(
            error,
            HcError::DeviceAddedByOthers {
                serial: "J12345678".into()
            }
        );
    }

    #[test]
    fn a_device_not_bound_tells_the_user_to_add_it() {
        let error = cloud(409, ErrorCode::DeviceNotBound).into_hc_error(Some("J12345678"));
        assert_eq!(
            error,
            HcError::DeviceNotAdded {
                serial: "J12345678".into()
            }
        );
    }

    #[test]
    fn rate_limits_say_how_long_to_wait() {
        let mut limited = cloud(429, ErrorCode::RateLimited);
        limited.retry_after_secs = Some(17);
        assert_eq!(
            limited.into_hc_error(None),
            HcError::RateLimited {
                retry_after_secs: 17
            }
        );
        assert_eq!(
            cloud(429, ErrorCode::RateLimited).into_hc_error(None),
            HcError::RateLimited {
                retry_after_secs: DEFAULT_RETRY_AFTER_SECS
            }
        );
    }

    #[test]
    fn wrong_password_is_a_server_error_with_its_code() {
        assert_eq!(
            cloud(401, ErrorCode::InvalidCredentials).into_hc_error(None),
            HcError::Server {
                status: 401,
                code: ErrorCode::InvalidCredentials,
                detail: "human text".into()
            }
        );
    }

    #[test]
    fn every_other_code_keeps_status_and_code() {
        for code in [
            ErrorCode::EmailTaken,
            ErrorCode::WrongLabelCode,
            ErrorCode::AlreadyAdded,
            ErrorCode::Internal,
            ErrorCode::Unknown,
        ] {
            match cloud(400, code).into_hc_error(None) {
                HcError::Server {
                    status, code: c, ..
                } => {
                    assert_eq!((status, c), (400, code))
                }
                other => panic!("{code}: {other:?}"),
            }
        }
        assert_eq!(
            cloud(400, ErrorCode::InvalidQr).into_hc_error(None),
            HcError::InvalidQr
        );
        assert_eq!(
            cloud(401, ErrorCode::Unauthorized).into_hc_error(None),
            HcError::SessionExpired
        );
    }

    #[test]
    fn qr_parse_errors_split_into_not_a_reset_qr_and_invalid() {
        assert_eq!(HcError::from(QrError::NotAResetQr), HcError::NotAResetQr);
        assert_eq!(
            HcError::from(QrError::UnsupportedVersion),
            HcError::InvalidQr
        );
        assert_eq!(HcError::from(QrError::Malformed("x")), HcError::InvalidQr);
        assert_eq!(HcError::from(QrError::Tag), HcError::InvalidQr);
    }
}
