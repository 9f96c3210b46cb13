//! Everything the service can be told. The CLI fills it from flags and `HC_CLOUD_*` variables; tests
//! and the demo build it in code with [`Config::for_tests`] and the `with_*` methods.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::forwarded::TrustedProxies;

/// How many reset-code requests and label-code attempts are allowed per fixed window. The counters
/// live in the database, so every instance over one database shares them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Reset-code requests one account may make per window.
    pub reset_codes_per_account: u32,
    /// Reset-code requests naming one serial per window, whoever makes them.
    pub reset_codes_per_device: u32,
    /// Add-device attempts (label code guesses) one account may make per window.
    pub add_device_attempts_per_account: u32,
    /// Login attempts naming one email per window, right or wrong, known account or not; a
    /// malformed email counts too (in a bucket of its own text), so it cannot dodge the limit.
    pub logins_per_email: u32,
    /// Login attempts (and password changes) from one client address per window, whatever email
    /// they name: random emails would each get a fresh per-email bucket. IPv6 counts per /64.
    pub logins_per_client_addr: u32,
    /// Registrations naming one email per window.
    pub registrations_per_email: u32,
    /// Registrations (accounts created or attempted) from one client address per window; IPv6
    /// addresses count per /64. The address is the TCP peer, or behind a proxy named in
    /// [`Config::trusted_proxies`] the client it forwarded for.
    pub registrations_per_client_addr: u32,
    /// Reset-code requests from one client address per window whose QR does not verify (unknown
    /// serial or bad tag). Only those count: a genuine QR from the same address still gets its code.
    pub unverified_reset_codes_per_client_addr: u32,
    /// Device syncs per serial per window whose tag verifies (a replayed request verifies too).
    pub syncs_per_device: u32,
    /// Device syncs from one client address per window, verified or not.
    pub syncs_per_client_addr: u32,
    /// Length of the fixed window.
    pub window: Duration,
}

impl RateLimits {
    /// No limit at all, for load runs, benchmarks and fuzzing, where the limits would only
    /// measure themselves (they have their own tests).
    pub fn unlimited() -> Self {
        RateLimits {
            reset_codes_per_account: u32::MAX,
            reset_codes_per_device: u32::MAX,
            add_device_attempts_per_account: u32::MAX,
            logins_per_email: u32::MAX,
            logins_per_client_addr: u32::MAX,
            registrations_per_email: u32::MAX,
            registrations_per_client_addr: u32::MAX,
            unverified_reset_codes_per_client_addr: u32::MAX,
            syncs_per_device: u32::MAX,
            syncs_per_client_addr: u32::MAX,
            window: Duration::from_secs(3600),
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            reset_codes_per_account: 30,
            reset_codes_per_device: 10,
            add_device_attempts_per_account: 20,
            logins_per_email: 20,
            logins_per_client_addr: 100,
            registrations_per_email: 10,
            registrations_per_client_addr: 30,
            unverified_reset_codes_per_client_addr: 30,
            syncs_per_device: 60,
            syncs_per_client_addr: 600,
            window: Duration::from_secs(3600),
        }
    }
}

/// How the security feed is delivered to push endpoints (DESIGN.md section 9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushSettings {
    /// Lets webhooks point at `http://` or `https://` on a loopback address (127.0.0.0/8, ::1).
    /// For tests and local development only: a webhook lets the cloud POST wherever its URL says,
    /// so by default only `https://` URLs of public hosts are taken.
    pub allow_insecure_loopback: bool,
    /// Failed attempts after which a delivery is parked as `dead`.
    pub max_attempts: u32,
    /// The first retry's delay; each further one doubles, up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// One POST's deadline (connect included).
    pub timeout: Duration,
    /// How often the worker looks for due rows and a long-poll re-reads its feed without being
    /// woken: what another instance on the same database wrote is found within it.
    pub poll_interval: Duration,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            allow_insecure_loopback: false,
            max_attempts: 8,
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// How mail leaves the cloud (account codes): an SMTP relay, or without one a folder of `.eml`
/// files ([`Config::mail_dir`]). Either way through the `mail_outbox` table, retried like push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSettings {
    /// The relay; `None`: mail is written to the mail folder (the embedded default, the demo,
    /// tests).
    pub smtp: Option<SmtpSettings>,
    /// The folder mail is written to without a relay; `None`: `mail` in the data folder.
    pub dir: Option<PathBuf>,
    /// The `From:` of every mail (and the envelope sender).
    pub from: String,
    /// Failed attempts after which a mail is parked as `dead`.
    pub max_attempts: u32,
    /// The first retry's delay; each further one doubles, up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// One SMTP conversation's deadline.
    pub timeout: Duration,
    /// How often the worker looks for mail another instance wrote.
    pub poll_interval: Duration,
}

pub const DEFAULT_MAIL_FROM: &str = "hc <no-reply@hc.invalid>";

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp: None,
            dir: None,
            from: DEFAULT_MAIL_FROM.to_owned(),
            // A code lives 15 minutes: 6 attempts with a 5 s base and doubling span about 2.5
            // minutes, well inside it; after that the code is better asked for again.
            max_attempts: 6,
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(300),
            timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// An SMTP relay. The password is never logged ([`std::fmt::Debug`] leaves it out).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// `Some((user, password))`: AUTH (PLAIN or LOGIN, as the relay offers) after TLS.
    pub credentials: Option<(String, String)>,
    pub tls: SmtpTls,
    /// An extra root CA (PEM) the relay's certificate may chain to: a private CA, or a test's.
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// How the connection to the relay is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// TLS from the first byte (port 465).
    Tls,
    /// STARTTLS, required: a relay that does not offer it gets no mail (no downgrade).
    StartTls,
    /// STARTTLS when offered, else plain text. Only for relays on a trusted network.
    Opportunistic,
    /// Plain text; taken only for a loopback relay.
    None,
}

impl SmtpTls {
    /// The default for a port: implicit TLS on 465, required STARTTLS anywhere else.
    pub fn default_for_port(port: u16) -> Self {
        if port == 465 {
            SmtpTls::Tls
        } else {
            SmtpTls::StartTls
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "tls" => Some(SmtpTls::Tls),
            "starttls" => Some(SmtpTls::StartTls),
            "opportunistic" => Some(SmtpTls::Opportunistic),
            "none" => Some(SmtpTls::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::Tls => "tls",
            SmtpTls::StartTls => "starttls",
            SmtpTls::Opportunistic => "opportunistic",
            SmtpTls::None => "none",
        }
    }
}

/// The limits on mailed account codes (hc_protocol::account_code): how many are mailed, and how
/// many tries they get beyond the 5 of each code, so asking for fresh codes buys no fresh
/// guesses. docs/security.md ("Account recovery and verified e-mail") works out what they allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountCodeLimits {
    /// How long a code may be used; [`hc_protocol::account_code::ACCOUNT_CODE_VALID_SECS`].
    pub valid_for: Duration,
    /// Verification resends one account may ask for per `mail_window`.
    pub resends_per_account: u32,
    /// `POST /v1/auth/forgot` naming one e-mail address per `mail_window`, known or not.
    pub forgot_per_email: u32,
    /// `POST /v1/auth/forgot` from one client address (IPv6: per /64) per `mail_window`.
    pub forgot_per_client_addr: u32,
    pub mail_window: Duration,
    /// Tries at a code (right or wrong, across codes) per account or e-mail per `tries_window`.
    pub tries_per_account: u32,
    /// Tries at a reset code from one client address per `tries_window`, whatever address.
    pub tries_per_client_addr: u32,
    pub tries_window: Duration,
}

impl Default for AccountCodeLimits {
    fn default() -> Self {
        AccountCodeLimits {
            valid_for: Duration::from_secs(hc_protocol::account_code::ACCOUNT_CODE_VALID_SECS),
            resends_per_account: 3,
            forgot_per_email: 3,
            forgot_per_client_addr: 20,
            mail_window: Duration::from_secs(3600),
            tries_per_account: 10,
            tries_per_client_addr: 50,
            tries_window: Duration::from_secs(24 * 3600),
        }
    }
}

/// The region label a deployment names itself by (in mail, issue 20 builds on it).
pub const DEFAULT_REGION: &str = "local";

/// After the owner refuses a transfer, the same account cannot ask again for that device for this
/// long (30 days).
pub const TRANSFER_REFUSAL_COOLDOWN_SECS: i64 = 30 * 24 * 3600;
/// Transfer requests one account may make per rate-limit window.
pub const TRANSFERS_PER_ACCOUNT: u32 = 5;
/// Transfer requests naming one device (with a QR it showed) per rate-limit window.
pub const TRANSFERS_PER_DEVICE: u32 = 5;

/// Label codes one QR code may be tried with (typing mistakes): after that the QR is spent, and
/// only the first try with each QR counts against the device, so one QR seen once (a photo, a
/// screenshot) can neither guess on nor use up the device's budget.
pub const TRANSFER_TRIES_PER_QR: u32 = 3;
/// The owner's time to refuse a transfer by default: 72 hours.
pub const DEFAULT_TRANSFER_WAIT_SECS: u64 = 72 * 3600;

/// Where the service keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseLocation {
    /// `hc-cloud.sqlite3` (WAL) in the data folder.
    SqliteInDataDir,
    /// A `sqlite:` or `postgres://` URL.
    Url(String),
}

#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Holds the master key and, by default, the SQLite database.
    pub data_dir: PathBuf,
    pub database: DatabaseLocation,
    /// The master key file; `None` means `master.key` in the data folder. Instances sharing a
    /// PostgreSQL database must share this key.
    pub master_key_file: Option<PathBuf>,
    /// PEM certificate chain and private key; both or neither.
    pub tls: Option<TlsFiles>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub rate_limits: RateLimits,
    /// Largest request body accepted.
    pub body_limit_bytes: usize,
    /// Whole-request deadline.
    pub request_timeout: Duration,
    /// Connections in the database pool.
    pub max_db_connections: u32,
    /// How long a request waits for a database connection (reconnecting included) before it is
    /// answered 503 `unavailable`.
    pub db_acquire_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// How long a client may take to send a request's headers (HTTP/1; also how long a kept-alive
    /// connection may wait for its next request). Slow-header connections are closed after it.
    pub header_read_timeout: Duration,
    /// A connection with no bytes moving either way for this long is closed (HTTP/1 and HTTP/2).
    pub idle_timeout: Duration,
    /// How many password hashes (argon2id, 19 MiB each) run at once; `None`: one per core.
    pub password_hashing_threads: Option<usize>,
    /// How many password hashes may wait for a thread; beyond that a login or registration is
    /// answered 503 `unavailable` with `Retry-After`.
    pub password_hashing_queue: usize,
    /// Audit rows older than this are deleted in the background.
    pub audit_retention: Duration,
    /// The proxies whose `X-Forwarded-For` names the client (per-address limits, the audit log);
    /// empty: every client is its TCP peer.
    pub trusted_proxies: TrustedProxies,
    /// Where `/metrics` (Prometheus) is served, on a listener of its own; `None`: nowhere.
    pub metrics_listen: Option<SocketAddr>,
    /// Push delivery of the security feed.
    pub push: PushSettings,
    /// How long the owner has to refuse a transfer request before the device moves.
    pub transfer_wait: Duration,
    /// The deployment's region label (`local` by default), named in mail.
    pub region: String,
    /// How mail leaves.
    pub mail: MailSettings,
    /// Limits on mailed account codes.
    pub account_codes: AccountCodeLimits,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert_chain_pem: PathBuf,
    pub private_key_pem: PathBuf,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const SQLITE_FILE_NAME: &str = "hc-cloud.sqlite3";
pub const MASTER_KEY_FILE_NAME: &str = "master.key";
pub const MAIL_DIR_NAME: &str = "mail";
pub const DEFAULT_AUDIT_RETENTION_DAYS: u64 = 365;
pub const DEFAULT_PASSWORD_HASHING_QUEUE: usize = 8;

impl Config {
    /// Production defaults in `data_dir`: SQLite there, 15-minute access tokens, 30-day refresh
    /// tokens, 16 KiB bodies, 15 s request deadline.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            listen: DEFAULT_LISTEN.parse().expect("constant address parses"),
            data_dir: data_dir.into(),
            database: DatabaseLocation::SqliteInDataDir,
            master_key_file: None,
            tls: None,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            rate_limits: RateLimits::default(),
            body_limit_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(15),
            max_db_connections: 16,
            db_acquire_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            password_hashing_threads: None,
            password_hashing_queue: DEFAULT_PASSWORD_HASHING_QUEUE,
            audit_retention: Duration::from_secs(DEFAULT_AUDIT_RETENTION_DAYS * 24 * 3600),
            trusted_proxies: TrustedProxies::default(),
            metrics_listen: None,
            push: PushSettings::default(),
            transfer_wait: Duration::from_secs(DEFAULT_TRANSFER_WAIT_SECS),
            region: DEFAULT_REGION.to_owned(),
            mail: MailSettings::default(),
            account_codes: AccountCodeLimits::default(),
        }
    }

    /// For tests and the demo: `data_dir` (e.g. a temp dir), 127.0.0.1 port 0, a longer password
    /// hashing queue (tests log many phones in at once, all from 127.0.0.1, which one address
    /// could not do in production), everything else as in production. Tighten TTLs and limits
    /// with the `with_*` methods.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Self {
        let mut config = Config::new(data_dir)
            .with_listen("127.0.0.1:0".parse().expect("constant address parses"))
            .with_shutdown_grace(Duration::from_secs(2));
        config.password_hashing_queue = 64;
        config
    }

    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// `sqlite:...` or `postgres://...`.
    pub fn with_database_url(mut self, url: impl Into<String>) -> Self {
        self.database = DatabaseLocation::Url(url.into());
        self
    }

    pub fn with_master_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.master_key_file = Some(path.into());
        self
    }

    pub fn with_tls(
        mut self,
        cert_chain_pem: impl Into<PathBuf>,
        key_pem: impl Into<PathBuf>,
    ) -> Self {
        self.tls = Some(TlsFiles {
            cert_chain_pem: cert_chain_pem.into(),
            private_key_pem: key_pem.into(),
        });
        self
    }

    pub fn with_access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = ttl;
        self
    }

    pub fn with_refresh_token_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_token_ttl = ttl;
        self
    }

    pub fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    pub fn with_body_limit_bytes(mut self, bytes: usize) -> Self {
        self.body_limit_bytes = bytes;
        self
    }

    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    pub fn with_max_db_connections(mut self, connections: u32) -> Self {
        self.max_db_connections = connections;
        self
    }

    pub fn with_db_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.db_acquire_timeout = timeout;
        self
    }

    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How many password hashes run at once, and how many may wait.
    pub fn with_password_hashing(mut self, threads: usize, queue: usize) -> Self {
        self.password_hashing_threads = Some(threads.max(1));
        self.password_hashing_queue = queue;
        self
    }

    pub fn with_audit_retention(mut self, retention: Duration) -> Self {
        self.audit_retention = retention;
        self
    }

    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// Serves `/metrics` on `listen` (port 0 picks a free one; see [`crate::RunningCloud::metrics_url`]).
    pub fn with_metrics_listen(mut self, listen: SocketAddr) -> Self {
        self.metrics_listen = Some(listen);
        self
    }

    pub fn with_push(mut self, push: PushSettings) -> Self {
        self.push = push;
        self
    }

    pub fn with_transfer_wait(mut self, wait: Duration) -> Self {
        self.transfer_wait = wait;
        self
    }

    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    pub fn with_mail(mut self, mail: MailSettings) -> Self {
        self.mail = mail;
        self
    }

    pub fn with_account_codes(mut self, limits: AccountCodeLimits) -> Self {
        self.account_codes = limits;
        self
    }

    /// Where mail is written when no SMTP relay is configured: `--mail-dir`, else `mail` in the
    /// data folder. One `<unix_ms>-<outbox id>.eml` file per mail.
    pub fn mail_dir(&self) -> PathBuf {
        self.mail
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join(MAIL_DIR_NAME))
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join(MASTER_KEY_FILE_NAME))
    }

    /// The database URL this configuration means.
    pub fn database_url(&self) -> String {
        match &self.database {
            DatabaseLocation::Url(url) => url.clone(),
            DatabaseLocation::SqliteInDataDir => sqlite_url(&self.data_dir.join(SQLITE_FILE_NAME)),
        }
    }
}

impl Default for Config {
    /// Production defaults in [`default_data_dir`].
    fn default() -> Self {
        Config::new(default_data_dir())
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// The data folder when none is given: `$XDG_DATA_HOME/hc-cloud`, else `~/.local/share/hc-cloud`,
/// else `./hc-cloud-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("hc-cloud");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/hc-cloud");
    }
    PathBuf::from("hc-cloud-data")
}
