//! The one storage trait and its two implementations, SQLite ([`sqlite`]) and PostgreSQL
//! ([`postgres`]). Each backend has its own migrations; the queries are runtime queries written
//! once in [`queries`] (both sqlx drivers accept `$N` parameters), so the two cannot drift apart.

use async_trait::async_trait;
use hc_protocol::api::{
    AuditEvent, AuditOutcome, Device, FeedEvent, FeedEventKind, PushEndpoint, Transfer,
};

mod migrations;
pub mod postgres;
pub mod queries;
pub mod sqlite;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (expected sqlite: or postgres://)")]
    UnsupportedUrl,
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StorageResult<T> = Result<T, StorageError>;

impl StorageError {
    /// The database could not be reached or is too busy right now: a dropped or refused
    /// connection, a pool with no connection to give in time, a server shutting down or starting
    /// up, SQLite's lock. The request did nothing it needs to undo (each write is one statement or
    /// one transaction), so the client may simply try again: the service answers 503, not 500.
    pub fn is_unavailable(&self) -> bool {
        let StorageError::Database(error) = self else {
            return false;
        };
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(database) => {
                let code = database.code().unwrap_or_default();
                if database
                    .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                    .is_some()
                {
                    code.parse().is_ok_and(sqlite_unavailable)
                } else {
                    postgres_unavailable(&code)
                }
            }
            _ => false,
        }
    }
}

/// PostgreSQL SQLSTATEs of a connection that is gone or a server that is not serving: class 08
/// (connection exceptions), 57P01-57P03 (shutting down, crashed, not yet accepting connections),
/// 53300 (too many connections).
fn postgres_unavailable(sqlstate: &str) -> bool {
    sqlstate.starts_with("08") || matches!(sqlstate, "57P01" | "57P02" | "57P03" | "53300")
}

/// SQLite's BUSY (5) and LOCKED (6), in any extended form.
fn sqlite_unavailable(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6)
}

/// A registry row as provisioning writes it.
#[derive(Clone, Debug)]
pub struct NewDevice {
    pub serial: String,
    pub model: String,
    pub firmware: String,
    /// `nonce || ciphertext` of the device key under the master key.
    pub sealed_key: Vec<u8>,
    /// Keyed hash of the label code.
    pub label_hash: Vec<u8>,
    pub provisioned_at: i64,
}

/// A registry row with its binding.
#[derive(Clone, Debug)]
pub struct DeviceRow {
    pub serial: String,
    pub model: String,
    pub firmware: String,
    pub sealed_key: Vec<u8>,
    pub label_hash: Vec<u8>,
    pub owner_account_id: Option<i64>,
    pub name: Option<String>,
    pub added_at: Option<i64>,
}

/// Token hashes and expiry times for one login or refresh.
#[derive(Clone, Debug)]
pub struct TokenHashes {
    pub access_hash: Vec<u8>,
    pub access_expires_at: i64,
    pub refresh_hash: Vec<u8>,
    pub refresh_expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindOutcome {
    Bound(Device),
    AlreadyYours,
    BoundToOtherAccount,
    UnknownDevice,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshOutcome {
    Rotated {
        account_id: i64,
    },
    /// A refresh token that was already used came back: someone holds a copy. Its whole session
    /// (every token issued from the same login) has been revoked.
    ReusedSessionRevoked,
    /// Unknown, expired, or its session was logged out.
    Invalid,
}

#[derive(Clone, Debug)]
pub struct NewAuditEvent {
    pub account_id: i64,
    pub at: i64,
    pub serial: Option<String>,
    pub nonce: Option<String>,
    pub outcome: AuditOutcome,
    pub client_addr: Option<String>,
    /// The owner of the device the QR named, when its tag verified and the owner is another
    /// account: the row is then in that owner's audit too (issue 16).
    pub device_owner_id: Option<i64>,
    /// Events with the same key on one account are one row with a count (the refusals of a
    /// rate-limited account in one window); `None`: a row of its own.
    pub aggregate_key: Option<String>,
}

/// One event of an account's security feed, written in the transaction of its action.
#[derive(Clone, Debug)]
pub struct NewFeedEvent {
    /// Whose feed.
    pub account_id: i64,
    pub at: i64,
    pub kind: FeedEventKind,
    pub serial: Option<String>,
    /// The other account (masked when read, like the audit's).
    pub other_account_id: Option<i64>,
    pub outcome: Option<String>,
    /// Already masked (a /24 or /48).
    pub client: Option<String>,
    pub transfer_id: Option<i64>,
}

impl NewFeedEvent {
    pub fn new(account_id: i64, at: i64, kind: FeedEventKind) -> Self {
        NewFeedEvent {
            account_id,
            at,
            kind,
            serial: None,
            other_account_id: None,
            outcome: None,
            client: None,
            transfer_id: None,
        }
    }
}

/// A push endpoint row as the delivery worker reads it.
#[derive(Clone)]
pub struct PushTarget {
    pub endpoint_id: i64,
    pub account_id: i64,
    pub kind: String,
    pub url: String,
    /// `nonce || ciphertext` of the signing secret under the master key.
    pub sealed_secret: Vec<u8>,
}

impl std::fmt::Debug for PushTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushTarget")
            .field("endpoint_id", &self.endpoint_id)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// One outbox row a worker holds the lease of.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    pub outbox_id: i64,
    /// Attempts made before this one.
    pub attempts: u32,
    pub target: PushTarget,
    pub event: FeedEvent,
}

/// How one delivery attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    Delivered,
    /// Try again at `due_at_ms`.
    Retry {
        due_at_ms: i64,
        error: String,
    },
    /// The last attempt failed: parked.
    Dead {
        error: String,
    },
}

/// Where one outbox row stands (operations and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryState {
    pub state: String,
    pub attempts: u32,
}

/// A mailed account code about to be stored (its hash: the caller's, bound to the account).
#[derive(Clone, Copy, Debug)]
pub struct NewCode {
    pub purpose: hc_protocol::account_code::AccountCodePurpose,
    pub now: i64,
    pub expires_at: i64,
    /// [`hc_protocol::account_code::ACCOUNT_CODE_TRIES`].
    pub tries: u32,
}

/// The keyed hash of a code for an account id, which the database may assign in the same
/// transaction (registration).
pub type CodeHasher<'a> = &'a (dyn Fn(i64) -> Vec<u8> + Send + Sync);

/// A mail about to be written to the outbox, in the transaction of the action it tells of.
#[derive(Clone)]
pub struct NewMail {
    pub recipient: String,
    /// What it is (`verify_email`, `reset_password`), for operators: the message is cleared once
    /// sent.
    pub kind: &'static str,
    /// The whole RFC 5322 message.
    pub message: Vec<u8>,
    pub now_ms: i64,
}

impl std::fmt::Debug for NewMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The message holds a code.
        f.debug_struct("NewMail")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// One mail a worker holds the lease of.
#[derive(Clone)]
pub struct ClaimedMail {
    pub outbox_id: i64,
    /// Attempts made before this one.
    pub attempts: u32,
    pub recipient: String,
    pub message: Vec<u8>,
}

impl std::fmt::Debug for ClaimedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedMail")
            .field("outbox_id", &self.outbox_id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Where one mail outbox row stands (operations and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailRow {
    pub id: i64,
    pub recipient: String,
    pub kind: String,
    /// `pending`, `sent` or `dead`.
    pub state: String,
    pub attempts: u32,
    /// Whether the message (and so the code) is still kept: only until it is sent or dead.
    pub has_message: bool,
    pub last_error: Option<String>,
}

/// Whose code a try is at: the session's account (verify) or the account an address names
/// (reset; an unknown address has none, after the same statement).
#[derive(Clone, Copy, Debug)]
pub enum CodeOwner<'a> {
    Account(i64),
    Email(&'a str),
}

/// A try taken from a live code: the caller compares the hash.
#[derive(Clone, Debug)]
pub struct TakenTry {
    pub account_id: i64,
    pub code_hash: Vec<u8>,
    /// Tries the code has after this one.
    pub tries_left: u32,
}

/// A transfer request about to be written.
#[derive(Clone, Debug)]
pub struct NewTransfer {
    pub serial: String,
    pub from_account_id: i64,
    pub to_account_id: i64,
    pub nonce: String,
    pub now: i64,
    pub completes_at: i64,
    /// A refusal of this account for this device after this time stops the request.
    pub refused_since: i64,
}

/// Why a transfer request was not written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferRefusal {
    /// The QR's nonce was used for a reset code or another transfer request.
    NonceUsed,
    /// The device has an open request already.
    Pending,
    /// The owner refused this account's request for this device within the cool-down.
    RefusedRecently,
    /// The device is no longer bound to the account the request named.
    OwnerChanged,
}

/// What an owner decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferDecision {
    Approve,
    Refuse,
}

/// A transfer that ended: who was on each side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettledTransfer {
    pub id: i64,
    pub from_account_id: i64,
    pub to_account_id: i64,
}

/// A fixed-window counter a request is counted in, how many hits a window allows, and the audit
/// row written when this limit refuses the request.
#[derive(Clone, Copy, Debug)]
pub struct Limit<'a> {
    pub bucket: &'a str,
    pub allowed: u32,
    pub refusal: &'a NewAuditEvent,
}

#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Creates an account with its unverified address, its verification code and the mail that
    /// carries it, in one transaction. `None` when the email is taken (nothing is written then).
    async fn create_account(
        &self,
        email: &str,
        password_hash: &str,
        code: &NewCode,
        code_hash: CodeHasher<'_>,
        mail: Option<&NewMail>,
    ) -> StorageResult<Option<i64>>;
    /// `(email, verified)` of an account.
    async fn account_info(&self, account_id: i64) -> StorageResult<Option<(String, bool)>>;
    /// `(account id, email verified)` of a live access token.
    async fn verified_account_for_access_token(
        &self,
        access_hash: &[u8],
        now: i64,
    ) -> StorageResult<Option<(i64, bool)>>;
    /// Stores a code for the account `account_id` if it has the address `email` (replacing its
    /// live code of the same purpose) and the mail that carries it, in one transaction: the
    /// same statements whether or not it exists (`POST /v1/auth/forgot` must not tell). Whether
    /// it exists.
    async fn issue_code(
        &self,
        account_id: i64,
        email: &str,
        code: &NewCode,
        code_hash: &[u8],
        mail: Option<&NewMail>,
    ) -> StorageResult<bool>;
    /// Takes one try from the live code of `purpose` of `owner`, in one conditional write (two
    /// racing tries take two); `None` when there is no live code with a try left.
    async fn take_code_try(
        &self,
        owner: CodeOwner<'_>,
        purpose: hc_protocol::account_code::AccountCodePurpose,
        now: i64,
    ) -> StorageResult<Option<TakenTry>>;
    /// Uses the verification code whose hash is `code_hash` and marks the address verified, in
    /// one transaction; `false` when that code is no longer there (used or replaced meanwhile).
    async fn verify_email(
        &self,
        account_id: i64,
        code_hash: &[u8],
        now: i64,
    ) -> StorageResult<bool>;
    /// Uses the reset code whose hash is `code_hash`, sets the new password hash, marks the
    /// address verified, ends every session of the account, removes its push endpoints and writes
    /// `event`, in one transaction; `false` when that code is no longer there.
    async fn reset_password(
        &self,
        account_id: i64,
        code_hash: &[u8],
        password_hash: &str,
        event: &NewFeedEvent,
    ) -> StorageResult<bool>;
    /// Takes the lease of up to `limit` due mails, as [`Storage::claim_deliveries`] does.
    async fn claim_mails(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        lease: &str,
        limit: u32,
    ) -> StorageResult<Vec<ClaimedMail>>;
    /// Records how a send ended, if `lease` still holds the row; a sent or dead row loses its
    /// message (the code in it).
    async fn settle_mail(
        &self,
        outbox_id: i64,
        lease: &str,
        settlement: &Settlement,
    ) -> StorageResult<()>;
    /// Every mail outbox row, oldest first (operations and tests).
    async fn mail_rows(&self) -> StorageResult<Vec<MailRow>>;
    /// `(account id, argon2 PHC string)`.
    async fn account_by_email(&self, email: &str) -> StorageResult<Option<(i64, String)>>;

    /// Starts a session (a refresh-token family) with its first tokens.
    async fn start_session(
        &self,
        account_id: i64,
        tokens: &TokenHashes,
        now: i64,
        login_event: Option<&NewFeedEvent>,
    ) -> StorageResult<()>;
    /// Uses a refresh token once, issuing `next` in the same session.
    async fn rotate_refresh_token(
        &self,
        refresh_hash: &[u8],
        next: &TokenHashes,
        now: i64,
    ) -> StorageResult<RefreshOutcome>;
    /// Revokes the session a refresh token belongs to; `false` when there is none.
    async fn revoke_session(&self, refresh_hash: &[u8], now: i64) -> StorageResult<bool>;
    /// The account of a live access token.
    async fn account_for_access_token(
        &self,
        access_hash: &[u8],
        now: i64,
    ) -> StorageResult<Option<i64>>;
    /// `(account id, session id)` of a live access token.
    async fn session_for_access_token(
        &self,
        access_hash: &[u8],
        now: i64,
    ) -> StorageResult<Option<(i64, i64)>>;
    /// The account's argon2 PHC string.
    async fn password_hash_of(&self, account_id: i64) -> StorageResult<Option<String>>;
    /// Sets a new password hash and revokes every session of the account but `keep_session`, in
    /// one transaction.
    async fn change_password(
        &self,
        account_id: i64,
        password_hash: &str,
        keep_session: i64,
        now: i64,
    ) -> StorageResult<()>;
    /// Revokes every session of the account.
    async fn revoke_all_sessions(&self, account_id: i64, now: i64) -> StorageResult<()>;

    /// `false` when the serial is already provisioned.
    async fn insert_device(&self, device: &NewDevice) -> StorageResult<bool>;
    async fn device(&self, serial: &str) -> StorageResult<Option<DeviceRow>>;
    /// Binds in one conditional write, so of two accounts racing exactly one wins.
    async fn bind_device(
        &self,
        serial: &str,
        account_id: i64,
        name: &str,
        now: i64,
    ) -> StorageResult<BindOutcome>;
    /// `false` when the device is not bound to this account.
    async fn unbind_device(&self, serial: &str, account_id: i64) -> StorageResult<bool>;
    async fn devices_of(&self, account_id: i64) -> StorageResult<Vec<Device>>;

    /// Counts one hit in a fixed-window bucket and returns the hits so far in that window.
    async fn count_hit(&self, bucket: &str, window_start: i64) -> StorageResult<u64>;

    /// The hits so far in a fixed-window bucket, without counting one.
    async fn hits(&self, bucket: &str, window_start: i64) -> StorageResult<u64>;

    /// What a reset-code request reads, in one statement: the account of a live access token,
    /// whether its address is verified, and the registry row of `serial` (`None` when no QR named
    /// one, or the serial is unknown). `None` when the token is not live.
    async fn reset_code_context(
        &self,
        access_hash: &[u8],
        serial: Option<&str>,
        now: i64,
    ) -> StorageResult<Option<(i64, bool, Option<DeviceRow>)>>;

    /// Counts a request in each of `limits` in turn (the window starting at `window_start`),
    /// stopping at the first one it exceeds, and writes its audit row: `allowed` when it stayed
    /// within every limit, else the refusal row of the limit that refused it. One transaction, so
    /// the counts and the audit row are written together or not at all. `true` when the request
    /// stayed within its limits.
    ///
    /// `feed`: the events the request makes when it stays within its limits, written in the same
    /// transaction with one outbox row per push endpoint of each event's account.
    async fn count_and_audit(
        &self,
        window_start: i64,
        limits: &[Limit<'_>],
        allowed: &NewAuditEvent,
        feed: &[NewFeedEvent],
    ) -> StorageResult<bool>;

    /// The account's feed events with an id above `after`, oldest first, at most `limit`.
    async fn feed_after(
        &self,
        account_id: i64,
        after: i64,
        limit: u32,
    ) -> StorageResult<Vec<FeedEvent>>;
    /// Registers a push endpoint unless the account has `max` already (`None` then).
    async fn add_push_endpoint(
        &self,
        account_id: i64,
        kind: &str,
        url: &str,
        sealed_secret: &[u8],
        now: i64,
        max: usize,
    ) -> StorageResult<Option<PushEndpoint>>;
    async fn push_endpoints_of(&self, account_id: i64) -> StorageResult<Vec<PushEndpoint>>;
    /// `false` when the account has no such endpoint. Its undelivered rows go with it.
    async fn delete_push_endpoint(&self, account_id: i64, endpoint_id: i64) -> StorageResult<bool>;
    /// Takes the lease (until `lease_until_ms`, token `lease`) of up to `limit` outbox rows that
    /// are pending, due at `now_ms` and not leased by a live worker, in one statement: of several
    /// instances, each row goes to one.
    async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        lease: &str,
        limit: u32,
    ) -> StorageResult<Vec<ClaimedDelivery>>;
    /// Records how an attempt ended, if `lease` still holds the row.
    async fn settle_delivery(
        &self,
        outbox_id: i64,
        lease: &str,
        settlement: &Settlement,
    ) -> StorageResult<()>;
    /// Writes a transfer request and the owner's `transfer_requested` event, in one transaction
    /// that checks the nonce, the open request and the cool-down. Its id.
    async fn create_transfer(
        &self,
        transfer: &NewTransfer,
    ) -> StorageResult<Result<i64, TransferRefusal>>;
    /// Whether a reset code was asked or a transfer requested with this QR's nonce.
    async fn qr_nonce_used(&self, serial: &str, nonce: &str) -> StorageResult<bool>;
    /// The transfers on the account's devices and the account's own requests, newest first.
    async fn transfers_of(&self, account_id: i64, limit: u32) -> StorageResult<Vec<Transfer>>;
    /// The owner approves (the device moves at once) or refuses an open request; `None` when the
    /// account has no open request with this id on its devices.
    async fn decide_transfer(
        &self,
        transfer_id: i64,
        owner_account_id: i64,
        decision: TransferDecision,
        now: i64,
    ) -> StorageResult<Option<SettledTransfer>>;
    /// Moves the devices of open requests whose waiting period is over; those completed.
    async fn complete_due_transfers(&self, now: i64) -> StorageResult<Vec<SettledTransfer>>;
    /// Where the delivery of `event_id` to `endpoint_id` stands.
    async fn delivery_state(
        &self,
        event_id: i64,
        endpoint_id: i64,
    ) -> StorageResult<Option<DeliveryState>>;

    async fn record_audit(&self, event: &NewAuditEvent) -> StorageResult<()>;
    /// The account's audit, newest first: the requests it made, and those other accounts made
    /// with QR codes its devices showed (their actor masked, their client address withheld).
    /// `before`: only events with a smaller id (the key-paged listing); `None`: from the newest.
    async fn audit_of(
        &self,
        account_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> StorageResult<Vec<AuditEvent>>;

    /// Drops expired tokens and rate-limit windows older than `window_cutoff`.
    async fn purge_expired(&self, now: i64, window_cutoff: i64) -> StorageResult<()>;
    /// Drops audit rows older than `cutoff`; how many.
    async fn purge_audit(&self, cutoff: i64) -> StorageResult<u64>;
    async fn ping(&self) -> StorageResult<()>;
    async fn close(&self);
    /// The connection pool right now, for the metrics.
    fn pool_use(&self) -> PoolUse;
}

/// Connections the pool holds open, and how many of them wait idle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolUse {
    pub open: u32,
    pub idle: u32,
}

/// How the connection pool behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a request waits for a connection (including reconnecting to a database that is
    /// restarting) before it is answered 503.
    pub acquire_timeout: std::time::Duration,
}

/// Opens (and migrates) the database a URL names.
pub async fn connect(url: &str, pool: PoolSettings) -> StorageResult<std::sync::Arc<dyn Storage>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(
            sqlite::SqliteStorage::connect(url, pool).await?,
        ))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            postgres::PostgresStorage::connect(url, pool).await?,
        ))
    } else {
        Err(StorageError::UnsupportedUrl)
    }
}

#[cfg(test)]
mod tests {
    use super::{StorageError, postgres_unavailable, sqlite_unavailable};

    #[test]
    fn a_database_that_is_away_or_busy_is_unavailable_not_broken() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for away in [
            sqlx::Error::Io(refused),
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
        ] {
            assert!(StorageError::Database(away).is_unavailable());
        }
        for broken in [
            sqlx::Error::RowNotFound,
            sqlx::Error::Protocol("garbage".into()),
            sqlx::Error::ColumnNotFound("id".into()),
        ] {
            assert!(!StorageError::Database(broken).is_unavailable());
        }
        assert!(!StorageError::UnsupportedUrl.is_unavailable());
        assert!(!StorageError::Corrupt("outcome".into()).is_unavailable());
    }

    #[test]
    fn shutdown_connection_and_lock_codes_are_unavailable() {
        for sqlstate in ["57P01", "57P02", "57P03", "53300", "08006", "08001"] {
            assert!(postgres_unavailable(sqlstate), "{sqlstate}");
        }
        // Unique violation, syntax error, serialization failure: real answers, not an outage.
        for sqlstate in ["23505", "42601", "40001"] {
            assert!(!postgres_unavailable(sqlstate), "{sqlstate}");
        }
        // BUSY, LOCKED, BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT.
        for code in [5, 6, 261, 517, 773] {
            assert!(sqlite_unavailable(code), "{code}");
        }
        // CONSTRAINT, CONSTRAINT_UNIQUE, CORRUPT.
        for code in [19, 2067, 11] {
            assert!(!sqlite_unavailable(code), "{code}");
        }
    }
}
