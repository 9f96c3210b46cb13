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

use clap::{Args, Parser, Subcommand};

/// Default cloud: `hc-cloud serve` with no flags.
const DEFAULT_CLOUD_URL: &str = "http://127.0.0.1:8080";

#[derive(Parser)]
#[command(
    name = "hc",
    version,
    about = "Hik-Connect-style app core on the desktop: account, devices, Reset Device Password"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which cloud the app commands talk to, and where the session is kept. The demo has none of
/// these: it starts its own cloud.
#[derive(Args)]
struct Connection {
    /// The cloud's address: a URL, or a bare host:port, which is http:// on this machine's
    /// loopback (localhost, 127.0.0.1, [::1]) and https:// everywhere else.
    #[arg(long, env = "HC_CLOUD_URL", default_value = DEFAULT_CLOUD_URL)]
    cloud: String,
    /// A PEM file with an extra root certificate to trust (a private cloud's or a test CA).
    #[arg(long, env = "HC_CA_CERT")]
    ca_cert: Option<PathBuf>,
    /// Where the session is kept (default: $XDG_CONFIG_HOME/hc or ~/.config/hc).
    #[arg(long, env = "HC_HOME")]
    home: Option<PathBuf>,
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
    /// Create an account on the cloud and log in to it (the password is asked twice).
    Register {
        /// The account's e-mail address.
        email: String,
        /// Read the password from standard input (one line) instead of prompting twice.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Verify your account's e-mail address with the 6-digit code mailed at sign-up (asked for when
    /// not given); until then devices cannot be added.
    Verify {
        /// The code from the mail (spaces are fine).
        code: Option<String>,
        /// Mail a new code instead (the previous one stops working).
        #[arg(long, conflicts_with = "code")]
        resend: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Forgot the account password: a code is mailed to the address, then the code and a new
    /// password set it anew (asked for on a terminal).
    Forgot {
        /// The account's e-mail address.
        email: String,
        /// Enter a code already mailed (and the new password) instead of mailing one: asked for
        /// on a terminal, else read from standard input, the code on the first line and the new
        /// password on the second. Never on the command line, where other users see it.
        #[arg(long)]
        enter_code: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// The logged-in account and whether its e-mail address is verified.
    Account {
        #[command(flatten)]
        connection: Connection,
    },
    /// Log in; the session is kept for the next commands.
    Login {
        /// The account's e-mail address.
        email: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Log out and forget the session.
    Logout {
        /// End every session of the account, on every phone and computer (a lost phone).
        #[arg(long)]
        everywhere: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Change the account password; every other session is logged out.
    Password {
        /// Read the current and the new password from standard input, one per line.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// The devices of your account, and whether the list is the cloud's answer or the cache's.
    Devices {
        /// Ask the cloud even if the cached list is fresh.
        #[arg(long)]
        refresh: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Add a device with its serial and the 6-letter label code printed on it.
    Add {
        /// The serial number on the device's label (9 of A-Z and 0-9; spaces and dashes are fine).
        serial: String,
        /// The 6-letter code on the device's label (A-Z; lower case is fine).
        label_code: String,
        /// A name to list the device under, such as "Shop NVR".
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Remove a device from your account.
    Remove {
        /// The serial number of the device to remove.
        serial: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Your account's reset-code requests, and other accounts' on your devices, newest first.
    Audit {
        /// How many events to show (1 to 1000; the cloud's default: 100).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(hc_protocol::api::AUDIT_MAX_LIMIT)))]
        limit: Option<u32>,
        /// Show the events older than this one (the id the previous page ends with).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
        before: Option<i64>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Your account's security feed: reset codes given, other accounts' attempts, new logins and
    /// device transfers, oldest first.
    Events {
        /// Show only the events after this one (the id an earlier line starts with, `#` or not).
        #[arg(long, value_parser = listed_id)]
        after: Option<i64>,
        /// Keep waiting for new events and print each as it comes, until Ctrl-C.
        #[arg(long)]
        follow: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Webhooks the cloud sends each security event to (HTTPS POST, signed with HMAC-SHA256).
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// Move a device another account holds to yours (at the device), or answer such a request.
    Transfer {
        #[command(subcommand)]
        command: TransferCommand,
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
        #[command(flatten)]
        connection: Connection,
    },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Register a webhook; its signing secret is shown this once.
    Add {
        /// The https:// address to POST each event to (a public host).
        url: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// List the account's webhooks.
    List {
        #[command(flatten)]
        connection: Connection,
    },
    /// Remove a webhook; its undelivered events go with it.
    Remove {
        /// The webhook's id, as `hc webhook list` shows it (`#` or not).
        #[arg(value_parser = listed_id)]
        id: i64,
        #[command(flatten)]
        connection: Connection,
    },
}

/// An id as the lists print it (`#12`) or bare (`12`); 0 or more.
fn listed_id(text: &str) -> Result<i64, String> {
    let digits = text.trim().trim_start_matches('#');
    digits
        .parse::<i64>()
        .ok()
        .filter(|id| *id >= 0)
        .ok_or_else(|| {
            format!("'{text}' is not an id: use the number a list shows, like 12 or #12")
        })
}

#[derive(Subcommand)]
enum TransferCommand {
    /// At the device: ask for it to be moved to your account, with the QR code it shows now and
    /// its label code. Its owner may refuse until the waiting period ends.
    #[command(group(clap::ArgGroup::new("source").required(true).args(["image", "text"])))]
    Request {
        /// A photo or screenshot of the QR code the device shows now (PNG or JPEG).
        #[arg(long)]
        image: Option<PathBuf>,
        /// The QR text, read by other means (HCR1:...).
        #[arg(long)]
        text: Option<String>,
        /// The 6-letter code on the device's label (A-Z; lower case is fine).
        label_code: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Requests for your devices and your own requests, newest first.
    List {
        #[command(flatten)]
        connection: Connection,
    },
    /// Let one of your devices move to the account asking for it, now.
    Approve {
        /// The request's id, as `hc transfer list` shows it (`#` or not).
        #[arg(value_parser = listed_id)]
        id: i64,
        #[command(flatten)]
        connection: Connection,
    },
    /// Keep one of your devices: refuse the request for it.
    Refuse {
        /// The request's id, as `hc transfer list` shows it (`#` or not).
        #[arg(value_parser = listed_id)]
        id: i64,
        #[command(flatten)]
        connection: Connection,
    },
}

impl AppCommand {
    fn connection(&self) -> &Connection {
        match self {
            AppCommand::Webhook { command } => match command {
                WebhookCommand::Add { connection, .. }
                | WebhookCommand::List { connection }
                | WebhookCommand::Remove { connection, .. } => connection,
            },
            AppCommand::Transfer { command } => match command {
                TransferCommand::Request { connection, .. }
                | TransferCommand::List { connection }
                | TransferCommand::Approve { connection, .. }
                | TransferCommand::Refuse { connection, .. } => connection,
            },
            AppCommand::Register { connection, .. }
            | AppCommand::Verify { connection, .. }
            | AppCommand::Forgot { connection, .. }
            | AppCommand::Account { connection }
            | AppCommand::Login { connection, .. }
            | AppCommand::Logout { connection, .. }
            | AppCommand::Password { connection, .. }
            | AppCommand::Devices { connection, .. }
            | AppCommand::Add { connection, .. }
            | AppCommand::Remove { connection, .. }
            | AppCommand::Audit { connection, .. }
            | AppCommand::Events { connection, .. }
            | AppCommand::Reset { connection, .. } => connection,
        }
    }
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
    let connection = command.connection();
    let context = match app::Context::new(
        &connection.cloud,
        connection.ca_cert.as_deref(),
        connection.home.as_deref(),
    ) {
        Ok(context) => context,
        Err(error) => return fail(&error),
    };
    let outcome = match command {
        AppCommand::Register {
            email,
            password_stdin,
            ..
        } => context.register(email, password_stdin).await,
        AppCommand::Login {
            email,
            password_stdin,
            ..
        } => context.login(email, password_stdin).await,
        AppCommand::Verify { code, resend, .. } => context.verify(code, resend).await,
        AppCommand::Forgot {
            email, enter_code, ..
        } => context.forgot(email, enter_code).await,
        AppCommand::Account { .. } => context.account().await,
        AppCommand::Logout { everywhere, .. } => context.logout(everywhere).await,
        AppCommand::Password { password_stdin, .. } => {
            context.change_password(password_stdin).await
        }
        AppCommand::Devices { refresh, .. } => context.devices(refresh).await,
        AppCommand::Add {
            serial,
            label_code,
            name,
            ..
        } => context.add(serial, label_code, name).await,
        AppCommand::Remove { serial, .. } => context.remove(serial).await,
        AppCommand::Audit { limit, before, .. } => context.audit(limit, before).await,
        AppCommand::Reset { image, text, .. } => context.reset(image, text).await,
        AppCommand::Events { after, follow, .. } => context.events(after, follow).await,
        AppCommand::Webhook { command } => match command {
            WebhookCommand::Add { url, .. } => context.webhook_add(url).await,
            WebhookCommand::List { .. } => context.webhook_list().await,
            WebhookCommand::Remove { id, .. } => context.webhook_remove(id).await,
        },
        AppCommand::Transfer { command } => match command {
            TransferCommand::Request {
                image,
                text,
                label_code,
                ..
            } => context.transfer_request(image, text, label_code).await,
            TransferCommand::List { .. } => context.transfer_list().await,
            TransferCommand::Approve { id, .. } => context.transfer_decide(id, true).await,
            TransferCommand::Refuse { id, .. } => context.transfer_decide(id, false).await,
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

fn fail(error: &app::CliError) -> ExitCode {
    eprintln!("hc: {}", error.describe());
    if let app::CliError::Hc(error) = error
        && let Some(hint) = error.hint()
    {
        eprintln!("hc: {}", messages::say(&hint));
    }
    ExitCode::from(error.exit_code())
}

/// `println!` for a reader that may leave: `hc demo | head -3` closes the pipe after three lines,
/// which is the reader's choice, not a failure, so `hc` ends there quietly with status 0 instead
/// of panicking on the write.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::write_out(format_args!($($arg)*))
    };
}
pub(crate) use outln;

pub(crate) fn write_out(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(line)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            // The reader is gone (`hc demo | head -3`): stop quietly, leaving nothing behind.
            remove_left_behind();
            std::process::exit(0)
        }
        Err(e) => {
            eprintln!("hc: cannot write to standard output: {e}");
            std::process::exit(1)
        }
    }
}

/// Folders to delete when `hc` ends early (a closed pipe), since `process::exit` runs no drops:
/// the demo's temporary folder holds a cloud database and its master key.
static LEFT_BEHIND: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Deletes `folder` if `hc` ends early; the owner of the folder deletes it on a normal end.
pub(crate) fn remove_if_ended_early(folder: &std::path::Path) {
    if let Ok(mut folders) = LEFT_BEHIND.lock() {
        folders.push(folder.to_owned());
    }
}

fn remove_left_behind() {
    if let Ok(folders) = LEFT_BEHIND.lock() {
        for folder in folders.iter() {
            let _ = std::fs::remove_dir_all(folder);
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::{Cli, listed_id};

    #[test]
    fn an_id_is_taken_as_the_lists_print_it_or_bare() {
        assert_eq!(listed_id("#12"), Ok(12));
        assert_eq!(listed_id("12"), Ok(12));
        assert!(listed_id("-1").is_err());
        assert!(listed_id("#").is_err());
        assert!(listed_id("twelve").unwrap_err().contains("like 12 or #12"));
    }

    #[test]
    fn every_command_argument_and_option_has_help_text() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if arg
                    .get_help()
                    .is_none_or(|h| h.to_string().trim().is_empty())
                {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                let sub_path = format!("{path} {}", sub.get_name());
                if sub.get_name() != "help" && sub.get_about().is_none() {
                    missing.push(sub_path.clone());
                }
                walk(sub, &sub_path, missing);
            }
        }
        let mut command = Cli::command();
        command.build();
        let mut missing = Vec::new();
        walk(&command, "hc", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }

    #[test]
    fn demo_help_offers_only_what_the_demo_uses() {
        let mut command = Cli::command();
        command.build();
        let demo = command.find_subcommand("demo").unwrap();
        let options: Vec<&str> = demo
            .get_arguments()
            .map(|a| a.get_id().as_str())
            .filter(|id| *id != "help")
            .collect();
        assert_eq!(options, ["keep"]);
    }
}
