//! A real PostgreSQL server for tests and the load benchmark.
//!
//! With `HC_TEST_POSTGRES_URL` set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`, a superuser
//! on a server a wrapper script started), that server is used. Otherwise one server is started per
//! test binary from Debian's `postgresql` packages (`/usr/lib/postgresql/*/bin`, or
//! `HC_TEST_POSTGRES_BIN`) in a temporary folder, as the `postgres` user when running as root; a
//! watchdog process stops it and removes the folder when the test binary exits.
//! Without PostgreSQL binaries the suite is skipped with a note, unless `CI` is set: then it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct PgServer {
    /// A superuser URL on the maintenance database.
    admin_url: String,
}

static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

/// The shared server, or `None` (after printing why) when PostgreSQL is not installed and `CI` is
/// not set.
pub fn server() -> Option<&'static PgServer> {
    match SERVER.get_or_init(start) {
        Ok(server) => Some(server),
        Err(reason) if std::env::var_os("CI").is_some() => {
            panic!("PostgreSQL is required when CI is set: {reason}")
        }
        Err(reason) => {
            eprintln!("SKIPPED: PostgreSQL tests ({reason})");
            None
        }
    }
}

impl PgServer {
    /// A fresh, empty database on the server; its URL.
    pub async fn fresh_database(&self) -> String {
        use sqlx::Connection;
        let name = format!(
            "hc_test_{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = sqlx::PgConnection::connect(&self.admin_url)
            .await
            .expect("connect to the PostgreSQL test server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        let (base, _) = self
            .admin_url
            .rsplit_once('/')
            .expect("admin URL ends with a database name");
        format!("{base}/{name}")
    }
}

fn start() -> Result<PgServer, String> {
    if let Ok(url) = std::env::var("HC_TEST_POSTGRES_URL") {
        if !url.is_empty() {
            return Ok(PgServer { admin_url: url });
        }
    }
    let bin = find_bin_dir().ok_or("no PostgreSQL binaries (apt-get install postgresql)")?;
    let folder = tempfile::Builder::new()
        .prefix("hc-cloud-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let data = folder.join("data");
    let as_root = is_root();
    if as_root {
        // PostgreSQL refuses to run as root.
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&folder))?;
    }
    let pg = |program: &str| -> Command {
        let path = bin.join(program);
        if as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    };
    run(pg("initdb")
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "-D",
        ])
        .arg(&data))?;
    let port = free_port()?;
    let options = format!(
        "-k {} -p {port} -c listen_addresses=127.0.0.1 -c max_connections=300 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        folder.display()
    );
    run(pg("pg_ctl")
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(folder.join("server.log"))
        .args(["-w", "-t", "60", "-o", &options, "start"]))?;
    spawn_watchdog(&bin, &data, &folder, as_root);
    Ok(PgServer {
        admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
    })
}

/// Stops the server and removes its folder once this process is gone (statics have no drop).
fn spawn_watchdog(bin: &Path, data: &Path, folder: &Path, as_root: bool) {
    let stop = format!(
        "{}{} -D '{}' -m immediate stop",
        if as_root {
            "runuser -u postgres -- "
        } else {
            ""
        },
        bin.join("pg_ctl").display(),
        data.display()
    );
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop}; rm -rf '{folder}'",
        pid = std::process::id(),
        folder = folder.display()
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

fn find_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("HC_TEST_POSTGRES_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
