//! Cloud API v1 request and response bodies (DESIGN.md section 4), shared by the cloud, the app
//! core and the device simulator. All timestamps are unix seconds.
//!
//! Request bodies refuse unknown fields (`deny_unknown_fields`): a misspelt optional field is an
//! error the client sees, not a silently dropped value, and the OpenAPI document's
//! `additionalProperties: false` is then true. Answers stay open, so an older client reads a newer
//! server's answer.

use serde::{Deserialize, Serialize};

pub const API_PREFIX: &str = "/v1";

// The input rules of the API, in one place for the cloud's checks, its OpenAPI document and the
// clients. Lengths count characters (Unicode scalar values), as JSON Schema's `maxLength` does.
/// Shortest account password (the whole rule: [`crate::password`]).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest account password: bounds the argon2 input (at most 4 KiB); nobody types more.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Longest email address.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest device name.
pub const MAX_DEVICE_NAME_CHARS: usize = 64;
/// `GET /v1/audit?limit=`: the default, and the largest accepted (1 is the smallest).
pub const AUDIT_DEFAULT_LIMIT: u32 = 100;
pub const AUDIT_MAX_LIMIT: u32 = 1000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// `POST /v1/accounts` body: the account rules apply here (a login takes any [`Credentials`]).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::new_email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::password))]
    pub password: String,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewAccount({}, <redacted>)", self.email)
    }
}

impl std::fmt::Display for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.email)
    }
}

/// `POST /v1/accounts` answer (201). The account can log in at once; a code to verify its address
/// is on its way by mail ([`crate::account_code`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountCreated {
    pub email: String,
    /// False for a new account: it may log in and verify, but not add devices or get reset codes.
    #[serde(default)]
    pub email_verified: bool,
}

/// `GET /v1/accounts/me` and `POST /v1/accounts/verify` answer: the session's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountInfo {
    pub email: String,
    pub email_verified: bool,
}

/// `POST /v1/accounts/verify` body: the code mailed at sign-up (or by the last resend).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::account_code))]
    pub code: String,
}

impl std::fmt::Debug for VerifyEmailRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyEmailRequest(<redacted>)")
    }
}

/// `POST /v1/auth/forgot` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::new_email))]
    pub email: String,
}

/// `POST /v1/accounts/verify/resend` and `POST /v1/auth/forgot` answer (202): a code is on its way
/// (for `forgot`, the same answer when no account has the address).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::count))]
    pub valid_for_secs: u64,
}

/// `POST /v1/auth/reset` body: the mailed code and the new password (the account password rule).
/// Answered 204; every session of the account ends.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::new_email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::account_code))]
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::password))]
    pub new_password: String,
}

impl std::fmt::Debug for ResetPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResetPasswordRequest({}, <redacted>)", self.email)
    }
}

/// `POST /v1/auth/login` and `POST /v1/auth/refresh` answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::count))]
    pub expires_in_secs: u64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_in_secs", &self.expires_in_secs)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/auth/refresh` and `POST /v1/auth/logout` body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest(<redacted>)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Device {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::serial))]
    pub serial: String,
    pub name: String,
    pub model: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::time))]
    pub added_at: i64,
}

/// `GET /v1/devices` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceList {
    pub devices: Vec<Device>,
}

/// `POST /v1/devices` body. The label code is printed on the device: proof of physical access.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddDeviceRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::serial))]
    pub serial: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::label_code))]
    pub label_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::device_name))]
    pub name: Option<String>,
}

impl std::fmt::Debug for AddDeviceRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddDeviceRequest")
            .field("serial", &self.serial)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/reset-codes` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetCodeRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::qr))]
    pub qr: String,
}

/// `POST /v1/reset-codes` answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetCodeResponse {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::serial))]
    pub serial: String,
    pub model: String,
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::count))]
    pub valid_for_secs: u64,
}

impl std::fmt::Debug for ResetCodeResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetCodeResponse")
            .field("serial", &self.serial)
            .field("model", &self.model)
            .field("valid_for_secs", &self.valid_for_secs)
            .finish_non_exhaustive()
    }
}

/// What happened to one reset-code request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Issued,
    InvalidQr,
    DeviceNotBound,
    BoundToOtherAccount,
    RateLimited,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Issued => "issued",
            AuditOutcome::InvalidQr => "invalid_qr",
            AuditOutcome::DeviceNotBound => "device_not_bound",
            AuditOutcome::BoundToOtherAccount => "bound_to_other_account",
            AuditOutcome::RateLimited => "rate_limited",
        }
    }

    /// Every outcome, in declaration order (the OpenAPI document's enum is made from it).
    pub const ALL: [AuditOutcome; 5] = [
        AuditOutcome::Issued,
        AuditOutcome::InvalidQr,
        AuditOutcome::DeviceNotBound,
        AuditOutcome::BoundToOtherAccount,
        AuditOutcome::RateLimited,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// Who made an audited request, as the account reading its audit sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditActor {
    /// The account reading the log. (A server that predates the field only ever listed these.)
    #[default]
    You,
    /// Another account, asking for a code for a device of the account reading the log. Its e-mail
    /// is masked by the cloud (`in***@example.com`): the owner never learns the full address.
    OtherAccount { masked_email: String },
}

/// One reset-code request in an account's audit: a request the account made, or one another
/// account made with a QR code that one of the account's devices showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// Grows with every new event; the listing's `before` cursor.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::event_id))]
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::time))]
    pub at: i64,
    /// The serial the QR named, when it parsed.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub serial: Option<String>,
    /// The challenge nonce in hex, when the QR parsed.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub nonce: Option<String>,
    /// What the requester was told: another account's attempt on your device reads
    /// `bound_to_other_account` (or `rate_limited`).
    pub outcome: AuditOutcome,
    /// Where the request came from: your own requests only, never another account's.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub client_addr: Option<String>,
    #[serde(default)]
    pub actor: AuditActor,
    /// How many requests the row stands for: the refusals of a rate-limited account are counted
    /// in one row per window (`at` is the first of them), so a flood cannot grow the log.
    #[serde(default = "one")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::positive_count))]
    pub count: u64,
}

fn one() -> u64 {
    1
}

/// `GET /v1/audit` answer, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditList {
    pub events: Vec<AuditEvent>,
    /// The next (older) page: `GET /v1/audit?before=<this>`. Absent on the last page. Pages are
    /// by key, so events recorded meanwhile never shift a page or repeat an event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::event_id))]
    pub next_before: Option<i64>,
}

/// `GET /v1/events?limit=`: the default, and the largest accepted (1 is the smallest).
pub const EVENTS_DEFAULT_LIMIT: u32 = 100;
pub const EVENTS_MAX_LIMIT: u32 = 500;
/// `GET /v1/events?wait=`: the longest long-poll, in seconds (more is refused, `bad_request`).
pub const EVENTS_MAX_WAIT_SECS: u64 = 30;
/// Push endpoints one account may register.
pub const MAX_PUSH_ENDPOINTS: usize = 5;
/// Longest push endpoint URL. Ample for a webhook, and short enough that a request at this length
/// fits the cloud's default body limit (16 KiB) even with every character JSON-escaped, so a too-long
/// URL is told `invalid_push_endpoint`, not `payload_too_large`.
pub const MAX_PUSH_URL_CHARS: usize = 1024;

/// What happened, in the owner's security feed (DESIGN.md section 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FeedEventKind {
    /// A reset code was issued for one of the account's devices, to the account itself.
    ResetCodeIssued,
    /// Another account asked for a code for one of the account's devices and was refused.
    ResetAttemptRefused,
    /// A new login (session) on the account.
    NewLogin,
    TransferRequested,
    TransferRefused,
    TransferApproved,
    TransferCompleted,
    /// The account password was set anew with a mailed code (`POST /v1/auth/reset`).
    PasswordReset,
    /// A kind a newer server sends.
    #[serde(other)]
    Unknown,
}

impl FeedEventKind {
    /// Every kind a server sends (all but `Unknown`), in declaration order.
    pub const ALL: [FeedEventKind; 8] = [
        FeedEventKind::ResetCodeIssued,
        FeedEventKind::ResetAttemptRefused,
        FeedEventKind::NewLogin,
        FeedEventKind::TransferRequested,
        FeedEventKind::TransferRefused,
        FeedEventKind::TransferApproved,
        FeedEventKind::TransferCompleted,
        FeedEventKind::PasswordReset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FeedEventKind::ResetCodeIssued => "reset_code_issued",
            FeedEventKind::ResetAttemptRefused => "reset_attempt_refused",
            FeedEventKind::NewLogin => "new_login",
            FeedEventKind::TransferRequested => "transfer_requested",
            FeedEventKind::TransferRefused => "transfer_refused",
            FeedEventKind::TransferApproved => "transfer_approved",
            FeedEventKind::TransferCompleted => "transfer_completed",
            FeedEventKind::PasswordReset => "password_reset",
            FeedEventKind::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One event of the owner's security feed: in `GET /v1/events` and, alone, as the body of a
/// webhook POST (whose `Hc-Event-Id` header is `id`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedEvent {
    /// Grows with every event of the cloud; the feed's `after` cursor and the webhook's
    /// idempotency key.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::event_id))]
    pub id: i64,
    pub kind: FeedEventKind,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::time))]
    pub at: i64,
    /// The device, for reset and transfer events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The other account, masked as `in***@example.com`: the one refused a reset code, or the
    /// one asking for (or given) a transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_account: Option<String>,
    /// What the other account was told (`bound_to_other_account`), for `reset_attempt_refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Where a login came from, masked to its /24 (IPv4) or /48 (IPv6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The transfer request, for transfer events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<i64>,
}

/// `GET /v1/events` answer, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    /// The `after` of the next request: the last event's id, or the request's own `after` when
    /// there was none.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::count))]
    pub next_after: i64,
}

/// `POST /v1/push-endpoints` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPushEndpoint {
    /// `webhook`, the one kind this cloud sends itself.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::push_kind))]
    pub kind: String,
    /// `https://` only, a public host (no loopback, private or link-local address).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::push_url))]
    pub url: String,
}

/// A registered push endpoint, as listed (never with its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushEndpoint {
    pub id: i64,
    pub kind: String,
    pub url: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::time))]
    pub created_at: i64,
}

/// `POST /v1/push-endpoints` answer: the only time the signing secret is shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushEndpointCreated {
    pub id: i64,
    pub kind: String,
    pub url: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::time))]
    pub created_at: i64,
    /// The HMAC-SHA256 key of `Hc-Signature` (its ASCII bytes are the key). Shown once.
    pub secret: String,
}

impl std::fmt::Debug for PushEndpointCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushEndpointCreated")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// `GET /v1/push-endpoints` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushEndpointList {
    pub endpoints: Vec<PushEndpoint>,
}

/// `POST /v1/transfers` body: a person at the device asks for it, with a QR code the device
/// shows right now and the label code printed on it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::qr))]
    pub qr: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::label_code))]
    pub label_code: String,
}

impl std::fmt::Debug for TransferRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferRequest").finish_non_exhaustive()
    }
}

/// Where a transfer request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    /// Waiting for the owner, or for `completes_at`.
    Open,
    /// The owner approved: the device moved at once.
    Approved,
    /// The owner refused.
    Refused,
    /// The waiting period ended: the device moved.
    Completed,
    /// The device left the owner's account otherwise meanwhile: nothing moved.
    Cancelled,
    #[serde(other)]
    Unknown,
}

impl TransferState {
    pub const ALL: [TransferState; 5] = [
        TransferState::Open,
        TransferState::Approved,
        TransferState::Refused,
        TransferState::Completed,
        TransferState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransferState::Open => "open",
            TransferState::Approved => "approved",
            TransferState::Refused => "refused",
            TransferState::Completed => "completed",
            TransferState::Cancelled => "cancelled",
            TransferState::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One transfer request, as one of its two accounts sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::serial))]
    pub serial: String,
    /// `owner`: a request for one of your devices; `requester`: your own request.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::transfer_role))]
    pub role: String,
    pub state: TransferState,
    /// The other account, masked as `in***@example.com`.
    pub other_account: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::time))]
    pub requested_at: i64,
    /// When the device moves unless the owner refuses first.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::time))]
    pub completes_at: i64,
}

/// `GET /v1/transfers` answer, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferList {
    pub transfers: Vec<Transfer>,
}

/// `POST /v1/device/sync` body, v2 (DESIGN.md section 3): a challenge and response. The device draws
/// a fresh `nonce` (16 bytes, hex) for every sync and tags `serial || nonce || ts` under `k_sync`.
/// A body without `v` is a retired v1 request, which the cloud answers `unsupported_version`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceSyncRequest {
    #[serde(default = "sync_v1", deserialize_with = "integral")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sync_version, required = true))]
    pub v: u8,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::serial))]
    pub serial: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::nonce_hex, required = true))]
    pub nonce: String,
    #[serde(deserialize_with = "integral")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::count))]
    pub ts: u64,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sync_tag_hex))]
    pub tag: String,
}

/// An unsigned integer from any JSON number without a fraction: JSON has one number type, so `7.0`
/// is the integer 7 (JSON Schema's `integer` agrees), while `7.5`, `-1` and out-of-range numbers
/// are refused.
fn integral<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    struct Integral;
    impl serde::de::Visitor<'_> for Integral {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an unsigned integer")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v)
                .map_err(|_| E::custom("a negative number where an unsigned integer belongs"))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
            // 2^64 is the first float above u64::MAX.
            if v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) {
                Ok(v as u64)
            } else {
                Err(E::custom(
                    "a number with a fraction or out of range where an unsigned integer belongs",
                ))
            }
        }
    }
    let value = deserializer.deserialize_any(Integral)?;
    T::try_from(value).map_err(|_| serde::de::Error::custom("number out of range"))
}

fn sync_v1() -> u8 {
    1
}

/// `POST /v1/device/sync` answer: the bound flag, tagged over the request's nonce so that the device
/// can tell the cloud's answer from a forged or replayed one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceSyncResponse {
    pub bound: bool,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sync_tag_hex))]
    pub tag: String,
}

/// `POST /v1/auth/password` body: the account password changes and every other session ends.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::password))]
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordRequest(<redacted>)")
    }
}

/// Every error answer: `{"error": {"code", "message"}}`. Used by the cloud and by `nvr-sim`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// Device API: wrong codes left before the challenge burns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::count))]
    pub attempts_left: Option<u32>,
    /// Rate limits and cool-downs: seconds until a retry may succeed (also in `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::count))]
    pub retry_after_secs: Option<u64>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: message.into(),
                attempts_left: None,
                retry_after_secs: None,
            },
        }
    }
}

/// Declares [`ErrorCode`] from one list: the variants, their wire names ([`ErrorCode::as_str`]) and
/// [`ErrorCode::ALL`] cannot disagree, and every list elsewhere (the OpenAPI document, the FFI) is
/// derived from or checked against this one.
macro_rules! error_codes {
    ($($variant:ident => $text:literal,)*) => {
        /// The machine-readable error codes. Unknown codes from a newer server parse as `Unknown`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($variant,)*
            #[serde(other)]
            Unknown,
        }

        impl ErrorCode {
            /// Every code a server may send (all but `Unknown`), in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The wire name (serde_json is not a dependency of this crate, so it is spelled here).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                    ErrorCode::Unknown => "unknown",
                }
            }
        }
    };
}

error_codes! {
    // generic
    BadRequest => "bad_request",
    Unauthorized => "unauthorized",
    NotFound => "not_found",
    MethodNotAllowed => "method_not_allowed",
    PayloadTooLarge => "payload_too_large",
    UnsupportedMediaType => "unsupported_media_type",
    RateLimited => "rate_limited",
    Internal => "internal",
    Unavailable => "unavailable",
    UnsupportedVersion => "unsupported_version",
    // accounts
    EmailTaken => "email_taken",
    WeakPassword => "weak_password",
    InvalidEmail => "invalid_email",
    InvalidCredentials => "invalid_credentials",
    // adding devices, reset codes and transfers wait for a verified e-mail address
    EmailNotVerified => "email_not_verified",
    // a mailed account code that is wrong, expired, used or spent (verify: attempts_left)
    InvalidCode => "invalid_code",
    // a resend for an address that is verified already
    AlreadyVerified => "already_verified",
    // devices
    InvalidSerial => "invalid_serial",
    WrongLabelCode => "wrong_label_code",
    BoundToOtherAccount => "bound_to_other_account",
    AlreadyAdded => "already_added",
    // reset codes
    InvalidQr => "invalid_qr",
    DeviceNotBound => "device_not_bound",
    // security feed
    InvalidPushEndpoint => "invalid_push_endpoint",
    TooManyPushEndpoints => "too_many_push_endpoints",
    // device transfer
    QrAlreadyUsed => "qr_already_used",
    TransferPending => "transfer_pending",
    TransferRefusedRecently => "transfer_refused_recently",
    // device side (nvr-sim)
    NotOffered => "not_offered",
    NoChallenge => "no_challenge",
    ChallengeExpired => "challenge_expired",
    WrongCode => "wrong_code",
    CoolingDown => "cooling_down",
    InvalidResetToken => "invalid_reset_token",
    PasswordPolicy => "password_policy",
    WrongPassword => "wrong_password",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sync(ts: &str) -> Result<DeviceSyncRequest, serde_json::Error> {
        serde_json::from_str(&format!(
            r#"{{"v": 2.0, "serial": "J12345678", "nonce": "", "ts": {ts}, "tag": ""}}"#
        ))
    }

    #[test]
    fn a_client_writing_integers_as_floats_is_understood_and_fractions_are_refused() {
        assert_eq!(sync("78518.0").unwrap().ts, 78518);
        assert_eq!(sync("18446744073709551615").unwrap().ts, u64::MAX);
        assert_eq!(sync("78518").unwrap().v, 2);
        for bad in [
            "78518.5",
            "-1",
            "-1.0",
            "1e20",
            "18446744073709551616",
            "\"7\"",
        ] {
            assert!(sync(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_request_with_a_field_the_api_does_not_have_is_refused() {
        let error = serde_json::from_str::<RefreshRequest>(r#"{"refresh_token": "r", "extra": 1}"#)
            .expect_err("refused");
        assert!(
            error.to_string().contains("unknown field `extra`"),
            "{error}"
        );
        assert!(
            serde_json::from_str::<Credentials>(r#"{"email": "e", "password": "p", "x": null}"#)
                .is_err()
        );
    }
}
