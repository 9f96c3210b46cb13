//! `hc-dev`: tools for the people who work on hc, kept out of the user's `hc` binary.
//!
//! - `hc-dev qr-bench DIR [--json] [--per-image] [--dump-luma DIR]`: the QR decoder measured on a
//!   folder of images with their expected texts; `--generate` writes the synthetic monitor set.

mod qr_bench;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "hc-dev",
    version,
    about = "Developer tools for hc (not shipped)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure the QR decoder on a folder of photos with their expected texts (no cloud needed).
    QrBench(qr_bench::Args),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::QrBench(args) => match qr_bench::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("hc-dev qr-bench: {error}");
                ExitCode::FAILURE
            }
        },
    }
}
