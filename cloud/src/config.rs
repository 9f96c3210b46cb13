//! Everything the service can be told. The CLI fills it from flags and `HC_CLOUD_*` variables; tests
//! and the demo build it in code with [`Config::for_tests`] and the `with_*` methods.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// Login attempts naming one email per window, right or wrong, known account or not.
    pub logins_per_email: u32,
    /// Registrations (accounts created or attempted) from one client address per window; IPv6
    /// addresses count per /64. The address is the TCP peer: behind a TLS-terminating proxy every
    /// client has the proxy's address, so raise this there.
    pub registrations_per_client_addr: u32,
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
            registrations_per_client_addr: u32::MAX,
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
            registrations_per_client_addr: 30,
            window: Duration::from_secs(3600),
        }
    }
}

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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert_chain_pem: PathBuf,
    pub private_key_pem: PathBuf,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const SQLITE_FILE_NAME: &str = "hc-cloud.sqlite3";
pub const MASTER_KEY_FILE_NAME: &str = "master.key";

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
        }
    }

    /// For tests and the demo: `data_dir` (e.g. a temp dir), 127.0.0.1 port 0, everything else as
    /// in production. Tighten TTLs and limits with the `with_*` methods.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Self {
        Config::new(data_dir)
            .with_listen("127.0.0.1:0".parse().expect("constant address parses"))
            .with_shutdown_grace(Duration::from_secs(2))
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
