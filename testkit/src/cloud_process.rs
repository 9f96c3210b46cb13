//! The real `hc-cloud` binary as a child process, for the tests that kill it: SIGKILL gives it no
//! graceful shutdown, so requests in flight are cut wherever they are, exactly like a crash, an
//! OOM kill or a pulled plug.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::SystemTime;

use hc_cloud::Config;

/// A running `hc-cloud serve`.
pub struct CloudProcess {
    child: Child,
    url: String,
    /// Kept open so that the service never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl CloudProcess {
    /// Starts `hc-cloud serve` with the settings of `config` as flags (the machine's `HC_CLOUD_*`
    /// variables removed), its log appended to `log`, and waits for its `listening on` line.
    /// An error names why it did not start (e.g. the port is still taken) with the log's tail.
    pub fn spawn(config: &Config, log: &Path) -> Result<CloudProcess, String> {
        let binary = cloud_binary();
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let mut command = Command::new(&binary);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("HC_CLOUD_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .args(serve_args(config))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut first = String::new();
        let read = stdout.read_line(&mut first);
        match first.trim().strip_prefix("hc-cloud listening on ") {
            Some(url) => Ok(CloudProcess {
                url: url.to_owned(),
                child,
                _stdout: stdout,
            }),
            None => {
                let _ = child.kill();
                let status = child.wait();
                let log = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                Err(format!(
                    "hc-cloud did not start ({read:?}, {status:?}): {first:?}; log: {tail:?}"
                ))
            }
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, then reap it.
    pub fn kill(mut self) {
        self.kill_now();
    }

    fn kill_now(&mut self) {
        // `Child::kill` is SIGKILL on Unix.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for CloudProcess {
    fn drop(&mut self) {
        self.kill_now();
    }
}

/// The flags that give `hc-cloud serve` the settings of `config`.
pub fn serve_args(config: &Config) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["serve".into()];
    let mut flag = |name: &str, value: OsString| {
        args.push(format!("--{name}").into());
        args.push(value);
    };
    let limits = &config.rate_limits;
    flag("listen", config.listen.to_string().into());
    flag("data-dir", config.data_dir.clone().into());
    flag("database-url", config.database_url().into());
    flag("master-key-file", config.master_key_path().into());
    if let Some(tls) = &config.tls {
        flag("tls-cert", tls.cert_chain_pem.clone().into());
        flag("tls-key", tls.private_key_pem.clone().into());
    }
    let secs = |d: std::time::Duration| d.as_secs().max(1).to_string().into();
    flag("access-token-ttl-secs", secs(config.access_token_ttl));
    flag("refresh-token-ttl-secs", secs(config.refresh_token_ttl));
    flag(
        "rate-limit-account",
        limits.reset_codes_per_account.to_string().into(),
    );
    flag(
        "rate-limit-device",
        limits.reset_codes_per_device.to_string().into(),
    );
    flag(
        "rate-limit-add-device",
        limits.add_device_attempts_per_account.to_string().into(),
    );
    flag(
        "rate-limit-login",
        limits.logins_per_email.to_string().into(),
    );
    flag(
        "rate-limit-register",
        limits.registrations_per_client_addr.to_string().into(),
    );
    flag("rate-limit-window-secs", secs(limits.window));
    flag(
        "body-limit-bytes",
        config.body_limit_bytes.to_string().into(),
    );
    flag("request-timeout-secs", secs(config.request_timeout));
    flag(
        "db-max-connections",
        config.max_db_connections.to_string().into(),
    );
    flag("db-acquire-timeout-secs", secs(config.db_acquire_timeout));
    for proxy in config.trusted_proxies.blocks() {
        flag("trusted-proxy", proxy.to_string().into());
    }
    if let Some(addr) = config.metrics_listen {
        flag("metrics-listen", addr.to_string().into());
    }
    let push = &config.push;
    let ms = |d: std::time::Duration| d.as_millis().to_string().into();
    flag("push-max-attempts", push.max_attempts.to_string().into());
    flag("push-backoff-base-ms", ms(push.backoff_base));
    flag("push-backoff-cap-ms", ms(push.backoff_cap));
    flag("push-timeout-ms", ms(push.timeout));
    flag("push-poll-interval-ms", ms(push.poll_interval));
    flag(
        "transfer-wait-secs",
        config.transfer_wait.as_secs().to_string().into(),
    );
    let codes = &config.account_codes;
    flag(
        "code-resends-per-account",
        codes.resends_per_account.to_string().into(),
    );
    flag(
        "code-forgot-per-email",
        codes.forgot_per_email.to_string().into(),
    );
    flag(
        "code-forgot-per-addr",
        codes.forgot_per_client_addr.to_string().into(),
    );
    flag(
        "code-tries-per-account",
        codes.tries_per_account.to_string().into(),
    );
    flag(
        "code-tries-per-addr",
        codes.tries_per_client_addr.to_string().into(),
    );
    flag("region", config.region.clone().into());
    flag("mail-dir", config.mail_dir().into());
    flag("smtp-from", config.mail.from.clone().into());
    if let Some(smtp) = &config.mail.smtp {
        flag("smtp-host", smtp.host.clone().into());
        flag("smtp-port", smtp.port.to_string().into());
        flag("smtp-tls", smtp.tls.as_str().into());
        if let Some(ca) = &smtp.ca_file {
            flag("smtp-ca-file", ca.clone().into());
        }
        // The password as a flag is visible to `ps`; a test relay's is no secret.
        if let Some((user, password)) = &smtp.credentials {
            flag("smtp-username", user.clone().into());
            flag("smtp-password", password.clone().into());
        }
    }
    if push.allow_insecure_loopback {
        args.push("--webhook-allow-insecure-loopback".into());
    }
    args
}

/// The `hc-cloud` binary: `HC_CLOUD_BIN` if set, else the one cargo builds beside this test
/// (`target/<profile>/hc-cloud`, which `cargo nextest run --workspace` builds for the cloud's own
/// tests). When that one is missing or older than the cloud's sources (e.g. after
/// `cargo nextest run -p hc-tests`), it is built first with `cargo build -p hc-cloud`.
pub fn cloud_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HC_CLOUD_BIN").filter(|v| !v.is_empty()) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test knows its executable");
    // target/<profile>/deps/<test>-<hash>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps");
    let binary = profile_dir.join(format!("hc-cloud{}", std::env::consts::EXE_SUFFIX));
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let newest_source = [
        "cloud/src",
        "cloud/migrations",
        "cloud/Cargo.toml",
        "protocol/src",
    ]
    .iter()
    .filter_map(|p| newest_mtime(&sources.join(p)))
    .max();
    let built = std::fs::metadata(&binary).and_then(|m| m.modified()).ok();
    let fresh = matches!((built, newest_source), (Some(b), Some(s)) if b >= s);
    if !fresh {
        build_cloud(profile_dir);
    }
    binary
}

fn build_cloud(profile_dir: &Path) {
    let _lock = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug");
    let target_dir = profile_dir.parent().expect("target/<profile>");
    eprintln!("building hc-cloud ({profile}) for the tests that run it as a process");
    let mut command = Command::new(option_env!("CARGO").unwrap_or("cargo"));
    command
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args([
            "build",
            "-p",
            "hc-cloud",
            "--bin",
            "hc-cloud",
            "--target-dir",
        ])
        .arg(target_dir);
    match profile {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    let status = command.status().expect("cargo runs");
    assert!(status.success(), "cargo build -p hc-cloud failed: {status}");
}

static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|entry| newest_mtime(&entry.ok()?.path()))
        .max()
}
