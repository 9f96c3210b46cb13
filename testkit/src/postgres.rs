//! A real PostgreSQL server for tests and the load benchmark.
//!
//! With `HC_TEST_POSTGRES_URL` set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`, a superuser
//! on a server a wrapper script started), that server is used. Otherwise one server is started per
//! test binary from Debian's `postgresql` packages (`/usr/lib/postgresql/*/bin`, or
//! `HC_TEST_POSTGRES_BIN`) in a temporary folder, as the `postgres` user when running as root; a
//! watchdog process stops it and removes the folder when the test binary exits.
//! Without PostgreSQL binaries the suite is skipped with a note, unless `CI` is set: then it fails.
//!
//! A test that stops and starts PostgreSQL under load takes an [`own_server`] instead: a server of
//! its own from the same binaries (never the shared one, never `HC_TEST_POSTGRES_URL`), stopped and
//! removed when dropped.

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

/// The server, or `None` (after printing why) when PostgreSQL cannot start and `CI` is not set;
/// with `CI` set that is a failure, so a CI machine never skips these tests silently.
fn required_unless_local<T>(started: Result<T, String>) -> Option<T> {
    match started {
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

/// The shared server, or `None` (after printing why) when PostgreSQL is not installed and `CI` is
/// not set.
pub fn server() -> Option<&'static PgServer> {
    required_unless_local(SERVER.get_or_init(start).as_ref().map_err(String::clone))
}

impl PgServer {
    /// A fresh, empty database on the server; its URL.
    pub async fn fresh_database(&self) -> String {
        create_database(&self.admin_url).await
    }
}

/// Creates a database with a name no other test uses; its URL.
async fn create_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!(
        "hc_test_{}_{}",
        std::process::id(),
        NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to the PostgreSQL test server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("admin URL ends with a database name");
    format!("{base}/{name}")
}

fn start() -> Result<PgServer, String> {
    if let Ok(url) = std::env::var("HC_TEST_POSTGRES_URL") {
        if !url.is_empty() {
            return Ok(PgServer { admin_url: url });
        }
    }
    let cluster = Cluster::create("hc-cloud-pg-", false)?;
    cluster.start_watched()?;
    Ok(PgServer {
        admin_url: cluster.admin_url(),
    })
}

/// A database cluster in a temporary folder: its binaries, data folder and port.
struct Cluster {
    bin: PathBuf,
    folder: PathBuf,
    data: PathBuf,
    port: u16,
    as_root: bool,
    /// `synchronous_commit` on: a commit is in the WAL (the kernel's copy, as `fsync` stays off)
    /// before it is acknowledged, so it survives the server being killed. The shared server runs
    /// with it off for speed; a server that a test stops `immediate` needs it, as production does.
    durable_commits: bool,
}

impl Cluster {
    /// `initdb` in a new temporary folder, on a free port; not started.
    fn create(prefix: &str, durable_commits: bool) -> Result<Cluster, String> {
        let bin = find_bin_dir().ok_or("no PostgreSQL binaries (apt-get install postgresql)")?;
        let folder = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        let as_root = is_root();
        if as_root {
            // PostgreSQL refuses to run as root.
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&folder))?;
        }
        let cluster = Cluster {
            data: folder.join("data"),
            port: free_port()?,
            bin,
            folder,
            as_root,
            durable_commits,
        };
        run(cluster
            .pg("initdb")
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
            .arg(&cluster.data))
        .inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&cluster.folder);
        })?;
        Ok(cluster)
    }

    fn pg(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    /// Starts the server (again) on its port and waits until it accepts connections.
    fn start(&self) -> Result<(), String> {
        let options = format!(
            "-k {} -p {} -c listen_addresses=127.0.0.1 -c max_connections=300 \
             -c fsync=off -c synchronous_commit={} -c full_page_writes=off",
            self.folder.display(),
            self.port,
            if self.durable_commits { "on" } else { "off" }
        );
        run(self
            .pg("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.folder.join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"]))
    }

    /// The first start: also leaves a watchdog that stops the server and removes its folder once
    /// this process is gone.
    fn start_watched(&self) -> Result<(), String> {
        self.start()?;
        spawn_watchdog(&self.bin, &self.data, &self.folder, self.as_root);
        Ok(())
    }

    /// `pg_ctl stop -m MODE`, waiting until the server is gone.
    fn stop(&self, mode: StopMode) -> Result<(), String> {
        run(self.pg("pg_ctl").arg("-D").arg(&self.data).args([
            "-w",
            "-t",
            "60",
            "-m",
            mode.as_str(),
            "stop",
        ]))
    }

    fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

/// How `pg_ctl stop` ends the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopMode {
    /// Sessions are terminated (their transactions roll back), then a clean shutdown.
    Fast,
    /// Every server process quits at once, like a crash; the next start replays the WAL.
    Immediate,
}

impl StopMode {
    pub fn as_str(self) -> &'static str {
        match self {
            StopMode::Fast => "fast",
            StopMode::Immediate => "immediate",
        }
    }
}

/// A PostgreSQL server of one test's own, to stop and start under load, with durable commits (an
/// acknowledged commit survives `immediate`). Stopped and its folder removed when dropped (and by
/// a watchdog if the test process dies first).
pub struct OwnServer {
    cluster: Cluster,
}

/// A new server, or `None` (after printing why) when PostgreSQL is not installed and `CI` is not
/// set; with `CI` set, a missing PostgreSQL fails the test.
pub fn own_server() -> Option<OwnServer> {
    let started = Cluster::create("hc-pg-own-", true).and_then(|cluster| {
        cluster.start_watched()?;
        Ok(OwnServer { cluster })
    });
    required_unless_local(started)
}

impl OwnServer {
    /// A fresh, empty database on this server; its URL.
    pub async fn fresh_database(&self) -> String {
        create_database(&self.cluster.admin_url()).await
    }

    pub fn port(&self) -> u16 {
        self.cluster.port
    }

    /// Stops the server (`pg_ctl stop -m fast|immediate`) and waits until it is gone.
    pub fn stop(&self, mode: StopMode) {
        if let Err(error) = self.cluster.stop(mode) {
            panic!("PostgreSQL did not stop: {error}");
        }
    }

    /// Starts it again on the same port and data folder; returns once it accepts connections.
    pub fn start(&self) {
        if let Err(error) = self.cluster.start() {
            panic!("PostgreSQL did not start again: {error}");
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.cluster.stop(StopMode::Immediate);
        let _ = std::fs::remove_dir_all(&self.cluster.folder);
    }
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
