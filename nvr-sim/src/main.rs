//! `nvr-sim`: a simulated NVR for the Reset Device Password flow.
//!
//! - `serve`: the device's local web UI and JSON API (prints its URL as the first stdout line).
//! - `qr`: starts a challenge and prints its QR code in the terminal (optionally as a PNG).
//! - `sync`: goes online for a moment and asks the cloud whether the device is bound.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use hc_device::{Clock, DeviceError, DeviceRecord, OsRandom, ResetAgent, StateStore, SystemClock};
use nvr_sim::{CloudConfig, NvrConfig, SyncSchedule, qr, serve, sync_once};

#[derive(Parser)]
#[command(
    name = "nvr-sim",
    version,
    about = "A simulated NVR for Reset Device Password"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the NVR's local web UI and the JSON API under /api/.
    Serve {
        #[command(flatten)]
        device: DeviceArgs,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        #[command(flatten)]
        cloud: OptionalCloudArgs,
        /// The admin password of a device that has none yet (otherwise one is generated and
        /// printed once).
        #[arg(long, env = "NVR_SIM_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        /// Act as if the last cloud sync said the device is bound (try the UI without a cloud).
        #[arg(long)]
        assume_bound: bool,
        /// A host name the web UI is reached under besides its address and `localhost` (e.g.
        /// `nvr.home.arpa`); repeatable. Requests naming any other host are refused.
        #[arg(long = "allowed-host", value_name = "NAME")]
        allowed_hosts: Vec<String>,
    },
    /// Start Verify by Hik-Connect and print the QR code. The challenge lives only as long as
    /// this process: use `serve` to also enter the code.
    Qr {
        #[command(flatten)]
        device: DeviceArgs,
        /// Also write the QR code as a PNG image.
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// Sync with the cloud once (POST /v1/device/sync) and store whether the device is bound. Do
    /// not run it on the state folder of a running `serve`, which checks in by itself (and on
    /// "Check again", or `POST /api/sync`).
    Sync {
        #[command(flatten)]
        device: DeviceArgs,
        /// The cloud's base URL.
        #[arg(long)]
        cloud: String,
        /// An extra root CA certificate (PEM) for a cloud with a private CA.
        #[arg(long)]
        ca_cert: Option<PathBuf>,
    },
}

#[derive(Args)]
struct DeviceArgs {
    /// The factory record (`hc-cloud provision` writes it).
    #[arg(long)]
    device: PathBuf,
    /// The device's state folder (created if missing).
    #[arg(long)]
    state: PathBuf,
}

#[derive(Args)]
struct OptionalCloudArgs {
    /// The cloud to check in with: at start, then on a schedule (--sync-every), and on "Check
    /// again" on the web page or POST /api/sync.
    #[arg(long)]
    cloud: Option<String>,
    /// Seconds between two check-ins while the cloud answers (failed ones are retried sooner,
    /// then less and less often, and never before the cloud's Retry-After).
    #[arg(long, value_name = "SECS", default_value_t = SyncSchedule::default().every.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    sync_every: u64,
    /// An extra root CA certificate (PEM) for a cloud with a private CA.
    #[arg(long, requires = "cloud")]
    ca_cert: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(message),
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("nvr-sim: {message}");
    ExitCode::FAILURE
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve {
            device,
            listen,
            cloud,
            admin_password,
            assume_bound,
            allowed_hosts,
        } => {
            let mut config = NvrConfig::new(read_device(&device.device)?, device.state);
            config.listen = listen;
            config.admin_password = admin_password;
            config.assume_bound = assume_bound;
            config.allowed_hosts = allowed_hosts;
            config.sync.every = std::time::Duration::from_secs(cloud.sync_every);
            config.cloud = match cloud.cloud {
                Some(url) => Some(cloud_config(url, cloud.ca_cert.as_deref())?),
                None => None,
            };
            let nvr = serve(config).await.map_err(|e| e.to_string())?;
            println!("nvr-sim listening on {}", nvr.url());
            if let Some(password) = nvr.generated_admin_password() {
                println!("admin password (generated, shown once): {password}");
            }
            wait_for_stop_signal().await;
            nvr.shutdown().await.map_err(|e| e.to_string())
        }
        Command::Qr { device, png } => {
            let mut agent = boot(&device)?;
            let challenge = agent.start_hik_connect().map_err(|e| match e {
                DeviceError::NotOffered => {
                    "Verify by Hik-Connect is not offered: the device is not bound \
                     (run `nvr-sim sync` after adding it to an account)"
                        .to_owned()
                }
                other => other.to_string(),
            })?;
            print!(
                "{}",
                qr::terminal(&challenge.qr_text).map_err(|e| e.to_string())?
            );
            println!("{}", challenge.qr_text);
            println!(
                "valid for {} minutes (while this process runs)",
                challenge.expires_in.as_secs() / 60
            );
            if let Some(path) = png {
                let image = qr::png(&challenge.qr_text, 8).map_err(|e| e.to_string())?;
                std::fs::write(&path, image)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            Ok(())
        }
        Command::Sync {
            device,
            cloud,
            ca_cert,
        } => {
            let mut agent = boot(&device)?;
            let cloud = cloud_config(cloud, ca_cert.as_deref())?;
            let nonce = agent.sync_nonce().map_err(|e| e.to_string())?;
            let bound = sync_once(&cloud, agent.record(), SystemClock::new().unix_now(), nonce)
                .await
                .map_err(|e| e.to_string())?;
            agent.record_sync(bound).map_err(|e| e.to_string())?;
            println!("bound: {bound}");
            Ok(())
        }
    }
}

fn read_device(path: &Path) -> Result<DeviceRecord, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    DeviceRecord::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn boot(device: &DeviceArgs) -> Result<ResetAgent, String> {
    let record = read_device(&device.device)?;
    let store = StateStore::open(&device.state).map_err(|e| e.to_string())?;
    ResetAgent::boot(
        record,
        store,
        Arc::new(SystemClock::new()),
        Arc::new(OsRandom),
    )
    .map_err(|e| e.to_string())
}

fn cloud_config(url: String, ca_cert: Option<&Path>) -> Result<CloudConfig, String> {
    let ca_cert_pem = match ca_cert {
        Some(path) => {
            Some(std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?)
        }
        None => None,
    };
    Ok(CloudConfig { url, ca_cert_pem })
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
