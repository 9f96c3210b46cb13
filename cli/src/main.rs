//! `hc`: the desktop front end on `hc-core`, and the one-command demo.
//!
//! The app-side commands use `hc-core` alone, exactly as the phone apps do: the session lives in a
//! file store (the desktop's stand-in for Keychain/Keystore) and every error is an `HcError` with
//! the message the apps would show.

mod app;
mod demo;
mod messages;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Default cloud: `hc-cloud serve` with no flags.
const DEFAULT_CLOUD_URL: &str = "http://127.0.0.1:8080";

#[derive(Parser)]
#[command(
    name = "hc",
    version,
    about = "Hik-Connect-style app core on the desktop: account, devices, Reset Device Password"
)]
struct Cli {
    /// The cloud's base URL.
    #[arg(long, global = true, env = "HC_CLOUD_URL", default_value = DEFAULT_CLOUD_URL)]
    cloud: String,
    /// A PEM file with an extra root certificate to trust (a private cloud's or a test CA).
    #[arg(long, global = true, env = "HC_CA_CERT")]
    ca_cert: Option<PathBuf>,
    /// Where the session is kept (default: $XDG_CONFIG_HOME/hc or ~/.config/hc).
    #[arg(long, global = true, env = "HC_HOME")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    App(AppCommand),
    /// Run the whole story on this machine: cloud, simulated NVR, the app scanning the NVR's QR.
    Demo {
        /// Leave the cloud and the NVR running afterwards, to try them by hand.
        #[arg(long)]
        keep: bool,
    },
}

/// The commands of the app itself, on hc-core alone.
#[derive(Subcommand)]
enum AppCommand {
    /// Create an account on the cloud.
    Register {
        email: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Log in; the session is kept for the next commands.
    Login {
        email: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Log out and forget the session.
    Logout {
        /// End every session of the account, on every phone and computer (a lost phone).
        #[arg(long)]
        everywhere: bool,
    },
    /// Change the account password; every other session is logged out.
    Password {
        /// Read the current and the new password from standard input, one per line.
        #[arg(long)]
        password_stdin: bool,
    },
    /// The devices of your account (shown from the cache, with its age, when offline).
    Devices {
        /// Ask the cloud even if the cached list is fresh.
        #[arg(long)]
        refresh: bool,
    },
    /// Add a device with its serial and the 6-letter label code printed on it.
    Add {
        serial: String,
        label_code: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a device from your account.
    Remove { serial: String },
    /// Your account's reset-code requests, and other accounts' on your devices, newest first.
    Audit {
        /// How many events to show (1 to 1000; the cloud's default: 100).
        #[arg(long)]
        limit: Option<u32>,
        /// Show the events older than this one (the id the previous page ends with).
        #[arg(long)]
        before: Option<i64>,
    },
    /// Reset Device Password: scan the device's QR code and show the verification code.
    #[command(group(clap::ArgGroup::new("source").required(true).args(["image", "text"])))]
    Reset {
        /// A photo or screenshot of the device's QR page (PNG or JPEG).
        #[arg(long)]
        image: Option<PathBuf>,
        /// The QR text, read by other means (HCR1:...).
        #[arg(long)]
        text: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    hc_core::init(None);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("hc: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let command = match cli.command {
        Command::Demo { keep } => {
            return match demo::run(keep).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("hc demo failed: {error}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::App(command) => command,
    };
    let context = match app::Context::new(&cli.cloud, cli.ca_cert.as_deref(), cli.home.as_deref()) {
        Ok(context) => context,
        Err(error) => return fail(&error),
    };
    let outcome = match command {
        AppCommand::Register {
            email,
            password_stdin,
        } => context.register(email, password_stdin).await,
        AppCommand::Login {
            email,
            password_stdin,
        } => context.login(email, password_stdin).await,
        AppCommand::Logout { everywhere } => context.logout(everywhere).await,
        AppCommand::Password { password_stdin } => context.change_password(password_stdin).await,
        AppCommand::Devices { refresh } => context.devices(refresh).await,
        AppCommand::Add {
            serial,
            label_code,
            name,
        } => context.add(serial, label_code, name).await,
        AppCommand::Remove { serial } => context.remove(serial).await,
        AppCommand::Audit { limit, before } => context.audit(limit, before).await,
        AppCommand::Reset { image, text } => context.reset(image, text).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

fn fail(error: &app::CliError) -> ExitCode {
    eprintln!("hc: {}", error.describe());
    ExitCode::from(error.exit_code())
}
