//! `hc-cloud serve` and `hc-cloud provision`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use hc_cloud::forwarded::TrustedProxies;
use hc_cloud::{AccountCodeLimits, Config, ProvisionRequest, RateLimits};
use hc_protocol::DeviceKey;
use hc_protocol::factory::LabelCode;

#[derive(Parser)]
#[command(name = "hc-cloud", version, about = "The hc reference cloud service")]
struct Cli {
    /// `text` for people, `json` (one object per line) for a log pipeline.
    #[arg(long, env = "HC_CLOUD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

// Parsed once per process: the size of the serve flags costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the API. Prints `hc-cloud listening on URL` as its first line of stdout.
    Serve(ServeArgs),
    /// Provision a device: a registry row and the device.json it boots from.
    Provision(ProvisionArgs),
}

#[derive(Args)]
struct StorageArgs {
    /// Folder for the master key and the default SQLite database.
    #[arg(long, env = "HC_CLOUD_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `sqlite:PATH` or `postgres://user:pass@host/db`; default: SQLite in the data folder.
    #[arg(long, env = "HC_CLOUD_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Master key file (64 hex characters, created if missing); default: DATA_DIR/master.key.
    #[arg(long, env = "HC_CLOUD_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
}

impl StorageArgs {
    fn config(&self) -> Config {
        let mut config = Config::new(
            self.data_dir
                .clone()
                .unwrap_or_else(hc_cloud::config::default_data_dir),
        );
        if let Some(url) = &self.database_url {
            config = config.with_database_url(url.clone());
        }
        if let Some(path) = &self.master_key_file {
            config = config.with_master_key_file(path.clone());
        }
        config
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "HC_CLOUD_LISTEN", default_value = hc_cloud::config::DEFAULT_LISTEN)]
    listen: SocketAddr,
    #[command(flatten)]
    storage: StorageArgs,
    /// PEM certificate chain; serve HTTPS (needs --tls-key).
    #[arg(long, env = "HC_CLOUD_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "HC_CLOUD_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    #[arg(long, env = "HC_CLOUD_ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    access_token_ttl_secs: u64,
    #[arg(long, env = "HC_CLOUD_REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    refresh_token_ttl_secs: u64,
    /// Reset-code requests per account per window.
    #[arg(long, env = "HC_CLOUD_RATE_LIMIT_ACCOUNT", default_value_t = 30)]
    rate_limit_account: u32,
    /// Reset-code requests per device serial per window.
    #[arg(long, env = "HC_CLOUD_RATE_LIMIT_DEVICE", default_value_t = 10)]
    rate_limit_device: u32,
    /// Add-device attempts (label-code guesses) per account, and per device serial, per window.
    #[arg(long, env = "HC_CLOUD_RATE_LIMIT_ADD_DEVICE", default_value_t = 20)]
    rate_limit_add_device: u32,
    /// Login attempts (password guesses) per email address per window.
    #[arg(long, env = "HC_CLOUD_RATE_LIMIT_LOGIN", default_value_t = 20)]
    rate_limit_login: u32,
    /// Login attempts and password changes per client address (IPv6: per /64) per window.
    #[arg(long, env = "HC_CLOUD_RATE_LIMIT_LOGIN_ADDR", default_value_t = 100)]
    rate_limit_login_addr: u32,
    /// Registrations per client address (IPv6: per /64) per window; the address is the TCP peer,
    /// or behind a --trusted-proxy the client it forwarded for.
    #[arg(long, env = "HC_CLOUD_RATE_LIMIT_REGISTER", default_value_t = 30)]
    rate_limit_register: u32,
    /// Registrations naming one email per window.
    #[arg(long, env = "HC_CLOUD_RATE_LIMIT_REGISTER_EMAIL", default_value_t = 10)]
    rate_limit_register_email: u32,
    /// Reset-code requests per client address per window whose QR does not verify.
    #[arg(
        long,
        env = "HC_CLOUD_RATE_LIMIT_UNVERIFIED_ADDR",
        default_value_t = 30
    )]
    rate_limit_unverified_addr: u32,
    /// Device syncs per serial per window (requests whose tag verifies).
    #[arg(long, env = "HC_CLOUD_RATE_LIMIT_SYNC_DEVICE", default_value_t = 60)]
    rate_limit_sync_device: u32,
    /// Device syncs per client address per window.
    #[arg(long, env = "HC_CLOUD_RATE_LIMIT_SYNC_ADDR", default_value_t = 600)]
    rate_limit_sync_addr: u32,
    #[arg(long, env = "HC_CLOUD_RATE_LIMIT_WINDOW_SECS", default_value_t = 3600)]
    rate_limit_window_secs: u64,
    /// Largest request body, in bytes.
    #[arg(long, env = "HC_CLOUD_BODY_LIMIT_BYTES", default_value_t = 16 * 1024)]
    body_limit_bytes: usize,
    #[arg(long, env = "HC_CLOUD_REQUEST_TIMEOUT_SECS", default_value_t = 15)]
    request_timeout_secs: u64,
    #[arg(long, env = "HC_CLOUD_DB_MAX_CONNECTIONS", default_value_t = 16)]
    db_max_connections: u32,
    /// Seconds a request waits for a database connection (reconnecting included) before it is
    /// answered 503.
    #[arg(long, env = "HC_CLOUD_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 10)]
    db_acquire_timeout_secs: u64,
    /// Seconds a client may take to send a request's headers (and, on HTTP/1, to start its next
    /// request on a kept-alive connection).
    #[arg(long, env = "HC_CLOUD_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    header_read_timeout_secs: u64,
    /// Seconds a connection may stay silent both ways before it is closed; keep it above the
    /// request timeout.
    #[arg(long, env = "HC_CLOUD_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    idle_timeout_secs: u64,
    /// Password hashes (argon2id, 19 MiB each) run at once; default: one per core.
    #[arg(long, env = "HC_CLOUD_PASSWORD_HASHING_THREADS")]
    password_hashing_threads: Option<usize>,
    /// Password hashes that may wait; beyond, logins and registrations get 503 with Retry-After.
    #[arg(long, env = "HC_CLOUD_PASSWORD_HASHING_QUEUE", default_value_t = hc_cloud::config::DEFAULT_PASSWORD_HASHING_QUEUE)]
    password_hashing_queue: usize,
    /// Days audit rows are kept; older ones are deleted in the background.
    #[arg(long, env = "HC_CLOUD_AUDIT_RETENTION_DAYS", default_value_t = hc_cloud::config::DEFAULT_AUDIT_RETENTION_DAYS)]
    audit_retention_days: u64,
    /// A proxy (address or CIDR block) whose X-Forwarded-For names the client; repeat it or
    /// separate with commas. Only the entries proxies appended count: a client cannot forge its
    /// address. Default: none, every client is its TCP peer.
    #[arg(long = "trusted-proxy", env = "HC_CLOUD_TRUSTED_PROXY", value_delimiter = ',', value_parser = hc_cloud::forwarded::parse_proxy)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Serve Prometheus metrics at http://ADDR/metrics, on this listener only (never on the
    /// public port). Default: off.
    #[arg(long, env = "HC_CLOUD_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Let webhooks point at http:// or https:// on a loopback address (127.0.0.0/8, ::1). For
    /// tests and local development only; without it only https:// URLs of public hosts are taken.
    #[arg(long, env = "HC_CLOUD_WEBHOOK_ALLOW_INSECURE_LOOPBACK")]
    webhook_allow_insecure_loopback: bool,
    /// Failed attempts after which a push delivery is parked as dead.
    #[arg(long, env = "HC_CLOUD_PUSH_MAX_ATTEMPTS", default_value_t = 8)]
    push_max_attempts: u32,
    /// The first push retry's delay in milliseconds; each further one doubles.
    #[arg(long, env = "HC_CLOUD_PUSH_BACKOFF_BASE_MS", default_value_t = 5000)]
    push_backoff_base_ms: u64,
    /// The longest push retry delay in milliseconds.
    #[arg(
        long,
        env = "HC_CLOUD_PUSH_BACKOFF_CAP_MS",
        default_value_t = 3_600_000
    )]
    push_backoff_cap_ms: u64,
    /// One push POST's deadline in milliseconds.
    #[arg(long, env = "HC_CLOUD_PUSH_TIMEOUT_MS", default_value_t = 10_000)]
    push_timeout_ms: u64,
    /// How often (milliseconds) the push worker and the feed's long-polls look for what another
    /// instance wrote.
    #[arg(long, env = "HC_CLOUD_PUSH_POLL_INTERVAL_MS", default_value_t = 1000)]
    push_poll_interval_ms: u64,
    /// Seconds the owner has to refuse a transfer request before the device moves.
    #[arg(long, env = "HC_CLOUD_TRANSFER_WAIT_SECS", default_value_t = hc_cloud::config::DEFAULT_TRANSFER_WAIT_SECS)]
    transfer_wait_secs: u64,
    /// The deployment's region label, named in the mail it sends.
    #[arg(long, env = "HC_CLOUD_REGION", default_value = hc_cloud::config::DEFAULT_REGION)]
    region: String,
    #[command(flatten)]
    mail: MailArgs,
    /// Verification-code resends one account may ask for per hour.
    #[arg(long, env = "HC_CLOUD_CODE_RESENDS_PER_ACCOUNT", default_value_t = AccountCodeLimits::default().resends_per_account)]
    code_resends_per_account: u32,
    /// Password-reset mails asked for one e-mail address per hour, known or not.
    #[arg(long, env = "HC_CLOUD_CODE_FORGOT_PER_EMAIL", default_value_t = AccountCodeLimits::default().forgot_per_email)]
    code_forgot_per_email: u32,
    /// Password-reset mails asked from one client address (IPv6: per /64) per hour.
    #[arg(long, env = "HC_CLOUD_CODE_FORGOT_PER_ADDR", default_value_t = AccountCodeLimits::default().forgot_per_client_addr)]
    code_forgot_per_addr: u32,
    /// Tries at mailed codes per account or e-mail address per 24 hours, across codes.
    #[arg(long, env = "HC_CLOUD_CODE_TRIES_PER_ACCOUNT", default_value_t = AccountCodeLimits::default().tries_per_account)]
    code_tries_per_account: u32,
    /// Tries at reset codes from one client address per 24 hours.
    #[arg(long, env = "HC_CLOUD_CODE_TRIES_PER_ADDR", default_value_t = AccountCodeLimits::default().tries_per_client_addr)]
    code_tries_per_addr: u32,
}

#[derive(Args)]
struct MailArgs {
    /// The SMTP relay that sends account codes. Without one, mail is written to --mail-dir.
    #[arg(long, env = "HC_CLOUD_SMTP_HOST")]
    smtp_host: Option<String>,
    /// Default: 465 with --smtp-tls tls, else 587.
    #[arg(long, env = "HC_CLOUD_SMTP_PORT")]
    smtp_port: Option<u16>,
    #[arg(long, env = "HC_CLOUD_SMTP_USERNAME", requires = "smtp_password")]
    smtp_username: Option<String>,
    /// Prefer the environment variable: a flag shows in the process list. Never logged.
    #[arg(
        long,
        env = "HC_CLOUD_SMTP_PASSWORD",
        hide_env_values = true,
        requires = "smtp_username"
    )]
    smtp_password: Option<String>,
    /// The From of every mail.
    #[arg(long, env = "HC_CLOUD_SMTP_FROM", default_value = hc_cloud::config::DEFAULT_MAIL_FROM)]
    smtp_from: String,
    /// `tls` (implicit, port 465), `starttls` (required), `opportunistic`, or `none` (loopback
    /// relays only). Default: `tls` on port 465, else `starttls`.
    #[arg(long, env = "HC_CLOUD_SMTP_TLS", value_parser = parse_smtp_tls)]
    smtp_tls: Option<hc_cloud::SmtpTls>,
    /// An extra root CA (PEM) for the relay's certificate: a private CA.
    #[arg(long, env = "HC_CLOUD_SMTP_CA_FILE")]
    smtp_ca_file: Option<PathBuf>,
    /// Where mail is written without an SMTP relay; default: DATA_DIR/mail.
    #[arg(long, env = "HC_CLOUD_MAIL_DIR")]
    mail_dir: Option<PathBuf>,
}

fn parse_smtp_tls(text: &str) -> Result<hc_cloud::SmtpTls, String> {
    hc_cloud::SmtpTls::parse(text)
        .ok_or_else(|| "expected tls, starttls, opportunistic or none".to_owned())
}

impl MailArgs {
    fn settings(&self) -> hc_cloud::MailSettings {
        let smtp = self.smtp_host.as_ref().map(|host| {
            let tls = self.smtp_tls.unwrap_or(match self.smtp_port {
                Some(port) => hc_cloud::SmtpTls::default_for_port(port),
                None => hc_cloud::SmtpTls::StartTls,
            });
            let port = self.smtp_port.unwrap_or(match tls {
                hc_cloud::SmtpTls::Tls => 465,
                _ => 587,
            });
            hc_cloud::SmtpSettings {
                host: host.clone(),
                port,
                credentials: self.smtp_username.clone().zip(self.smtp_password.clone()),
                tls,
                ca_file: self.smtp_ca_file.clone(),
            }
        });
        hc_cloud::MailSettings {
            smtp,
            dir: self.mail_dir.clone(),
            from: self.smtp_from.clone(),
            ..hc_cloud::MailSettings::default()
        }
    }
}

#[derive(Args)]
struct ProvisionArgs {
    #[arg(long)]
    serial: String,
    #[arg(long)]
    model: String,
    #[arg(long)]
    firmware: String,
    /// Where to write device.json (owner-only permissions).
    #[arg(long)]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    /// Use this device key (64 hex characters) instead of a random one; for test rigs.
    #[arg(long, env = "HC_CLOUD_PROVISION_DEVICE_KEY", hide_env_values = true)]
    device_key: Option<String>,
    /// Use this label code (6 letters A-Z) instead of a random one; for test rigs.
    #[arg(long)]
    label_code: Option<String>,
    #[command(flatten)]
    storage: StorageArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("hc-cloud: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Provision(args) => provision(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hc-cloud: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), hc_cloud::Error> {
    let mut config = args
        .storage
        .config()
        .with_listen(args.listen)
        .with_access_token_ttl(Duration::from_secs(args.access_token_ttl_secs))
        .with_refresh_token_ttl(Duration::from_secs(args.refresh_token_ttl_secs))
        .with_rate_limits(RateLimits {
            reset_codes_per_account: args.rate_limit_account,
            reset_codes_per_device: args.rate_limit_device,
            add_device_attempts_per_account: args.rate_limit_add_device,
            logins_per_email: args.rate_limit_login,
            logins_per_client_addr: args.rate_limit_login_addr,
            registrations_per_email: args.rate_limit_register_email,
            registrations_per_client_addr: args.rate_limit_register,
            unverified_reset_codes_per_client_addr: args.rate_limit_unverified_addr,
            syncs_per_device: args.rate_limit_sync_device,
            syncs_per_client_addr: args.rate_limit_sync_addr,
            window: Duration::from_secs(args.rate_limit_window_secs),
        })
        .with_body_limit_bytes(args.body_limit_bytes)
        .with_request_timeout(Duration::from_secs(args.request_timeout_secs))
        .with_max_db_connections(args.db_max_connections)
        .with_db_acquire_timeout(Duration::from_secs(args.db_acquire_timeout_secs.max(1)))
        .with_header_read_timeout(Duration::from_secs(args.header_read_timeout_secs.max(1)))
        .with_idle_timeout(Duration::from_secs(args.idle_timeout_secs.max(1)))
        .with_audit_retention(Duration::from_secs(
            args.audit_retention_days.saturating_mul(24 * 3600),
        ));
    config.password_hashing_threads = args.password_hashing_threads.map(|n| n.max(1));
    config.password_hashing_queue = args.password_hashing_queue;
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        config = config.with_tls(cert, key);
    }
    config = config.with_trusted_proxies(TrustedProxies::new(args.trusted_proxies));
    if let Some(addr) = args.metrics_listen {
        config = config.with_metrics_listen(addr);
    }
    config = config.with_push(hc_cloud::PushSettings {
        allow_insecure_loopback: args.webhook_allow_insecure_loopback,
        max_attempts: args.push_max_attempts.max(1),
        backoff_base: Duration::from_millis(args.push_backoff_base_ms),
        backoff_cap: Duration::from_millis(args.push_backoff_cap_ms),
        timeout: Duration::from_millis(args.push_timeout_ms.max(1)),
        poll_interval: Duration::from_millis(args.push_poll_interval_ms.max(10)),
    });
    config = config.with_transfer_wait(Duration::from_secs(args.transfer_wait_secs));
    config = config
        .with_region(args.region)
        .with_mail(args.mail.settings())
        .with_account_codes(AccountCodeLimits {
            resends_per_account: args.code_resends_per_account,
            forgot_per_email: args.code_forgot_per_email,
            forgot_per_client_addr: args.code_forgot_per_addr,
            tries_per_account: args.code_tries_per_account,
            tries_per_client_addr: args.code_tries_per_addr,
            ..AccountCodeLimits::default()
        });
    let cloud = hc_cloud::launch(config).await?;
    println!("hc-cloud listening on {}", cloud.url());
    if let Some(metrics) = cloud.metrics_url() {
        println!("hc-cloud metrics on {metrics}");
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    cloud.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

async fn provision(args: ProvisionArgs) -> Result<(), hc_cloud::Error> {
    let bad = |what: &str| hc_cloud::Error::Config(what.to_owned());
    // Refuse before writing the registry row, so a refused run leaves nothing behind.
    if args.out.exists() && !args.force {
        return Err(bad(&format!(
            "{} exists; pass --force to replace it",
            args.out.display()
        )));
    }
    let mut request = ProvisionRequest::new(args.serial, args.model, args.firmware);
    if let Some(hex_key) = &args.device_key {
        request = request.with_device_key(
            DeviceKey::from_hex(hex_key)
                .map_err(|_| bad("--device-key must be 64 hex characters"))?,
        );
    }
    if let Some(label) = &args.label_code {
        request = request.with_label_code(
            LabelCode::parse(label).ok_or_else(|| bad("--label-code must be 6 letters A-Z"))?,
        );
    }
    let config = args.storage.config();
    let record = hc_cloud::provision(&config, request).await?;
    hc_cloud::write_device_json(&record, &args.out, args.force)?;
    println!(
        "{}",
        hc_cloud::provision::provisioned_summary(&record, &args.out)
    );
    Ok(())
}
