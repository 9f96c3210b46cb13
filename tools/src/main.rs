//! `hc-dev`: tools for the people who work on hc, kept out of the user's `hc` binary.
//!
//! - `hc-dev qr-bench DIR [--json] [--per-image] [--dump-luma DIR]`: the QR decoder measured on a
//!   folder of images with their expected texts; `--generate` writes the synthetic monitor set.
//! - `hc-dev scan-seq DIR [--json] [--fps 30] [--dump-luma DIR]`: time to the first read of a
//!   moving camera, each folder of numbered frames played to a `ResetFlow` at the camera's rate.
//! - `hc-dev reset-text [--seed N] [--count K]`: reset QR texts a device could show, one a line,
//!   for generators of test frames (`tools/scripts/scan-seq-gen.py`).

mod qr_bench;
mod scan_seq;

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
    /// Time to the first read of a moving camera: sequences of frames played to the reset flow.
    ScanSeq(scan_seq::Args),
    /// Print reset QR texts a device could show (random serials, nonces and keys), one a line.
    ResetText {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
}

fn main() -> ExitCode {
    let (tool, outcome) = match Cli::parse().command {
        Command::QrBench(args) => ("qr-bench", qr_bench::run(args)),
        Command::ScanSeq(args) => ("scan-seq", scan_seq::run(args)),
        Command::ResetText { seed, count } => {
            let mut rng = qr_bench::synth::Rng::new(seed);
            for _ in 0..count {
                println!("{}", qr_bench::synth::random_reset_text(&mut rng));
            }
            ("reset-text", Ok(()))
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hc-dev {tool}: {error}");
            ExitCode::FAILURE
        }
    }
}
