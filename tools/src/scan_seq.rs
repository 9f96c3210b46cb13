//! `hc-dev scan-seq`: time to a code on a moving camera, the figure a user feels.
//!
//! A sequence is a folder of numbered frames (`0001.png`, `2.jpg`, ...: any image names whose stem
//! is a number, taken in numeric order). Each sequence is played to a fresh `ResetFlow` (the
//! core's camera path, with whatever state its scanner keeps between frames) as a camera does: one
//! frame every 1/fps seconds on the wall clock, handed over with `submit_frame` whether or not the
//! decoder is busy, so the flow's latest-frame-wins rule decides which frames are looked at. The
//! run stops at the flow's first `Recognized` (a reset QR read). Reported per sequence: the
//! milliseconds from the first frame to the read, the frames the camera had delivered by then,
//! how many the decoder looked at and how many were replaced while it was busy, and the hints the
//! screen showed meanwhile.
//!
//! Every frame is decoded to luma before the clock starts (what a camera hands over is a luma
//! plane), and `--dump-luma DIR` writes those planes as `<sequence>/<index>.pgm` so that
//! `tools/scripts/scan-seq-zxing.py` runs zxing-cpp on exactly the same pixels, with the same
//! clock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hc_core::{ClientConfig, Frame, HcClient, MemoryStore, ResetFlowListener, ResetState};
use serde::Serialize;

use crate::qr_bench::{self, median, percentile};

#[derive(clap::Args)]
pub struct Args {
    /// A sequence (a folder of numbered frames), or a folder of sequences.
    pub dir: PathBuf,
    /// Frames per second the camera delivers.
    #[arg(long, default_value_t = 30.0)]
    pub fps: f64,
    /// One JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write each frame's luma plane as `<sequence>/<index>.pgm` under this folder.
    #[arg(long)]
    pub dump_luma: Option<PathBuf>,
}

/// One sequence's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct SequenceResult {
    pub name: String,
    pub frames: usize,
    /// Frame files that could not be read: the camera's slot passes without a frame.
    pub unreadable: usize,
    pub read: bool,
    /// From the first frame to the first read; `None` when nothing was read.
    pub ms_to_read: Option<f64>,
    /// Frames the camera had delivered when the code was read.
    pub frames_to_read: Option<usize>,
    /// Frames the decoder looked at, and frames replaced while it was busy (never looked at),
    /// until the read or the end of the sequence.
    pub decoded: u64,
    pub dropped: u64,
    /// How many times the screen showed each hint while scanning.
    pub hints: BTreeMap<String, usize>,
    /// The frame files in the order they were played (the zxing-cpp script replays them).
    pub files: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub fps: f64,
    pub sequences: Vec<SequenceResult>,
    pub summary: Summary,
}

/// Over every sequence: how many were read, and the time and frames to the read of those that
/// were.
#[derive(Debug, Serialize, PartialEq)]
pub struct Summary {
    pub sequences: usize,
    pub read: usize,
    pub median_ms_to_read: f64,
    pub p95_ms_to_read: f64,
    pub median_frames_to_read: f64,
    pub dropped: u64,
}

pub fn run(args: Args) -> Result<(), String> {
    if !(args.fps > 0.0 && args.fps.is_finite()) {
        return Err(format!("--fps {} is not a frame rate", args.fps));
    }
    let sequences = collect(&args.dir)?;
    if sequences.is_empty() {
        return Err(format!(
            "no folder of numbered frames under {}",
            args.dir.display()
        ));
    }
    let period = Duration::from_secs_f64(1.0 / args.fps);
    let mut results = Vec::new();
    for (name, files) in &sequences {
        let (frames, unreadable) = load(name, files, args.dump_luma.as_deref())?;
        let mut result = play(frames, period)?;
        result.name = name.clone();
        result.unreadable = unreadable;
        result.files = files.iter().map(|f| qr_bench::file_name(f)).collect();
        eprintln!(
            "{name}: {}",
            match result.ms_to_read {
                Some(ms) => format!("read after {ms:.0} ms"),
                None => "not read".into(),
            }
        );
        results.push(result);
    }
    let report = Report {
        fps: args.fps,
        summary: summarize(&results),
        sequences: results,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", table(&report));
    }
    Ok(())
}

/// The sequences under `dir`, by name, each with its frames in numeric order: `dir` itself when
/// it holds numbered frames, else each subfolder that does.
fn collect(dir: &Path) -> Result<Vec<(String, Vec<PathBuf>)>, String> {
    let own = numbered_frames(dir)?;
    if !own.is_empty() {
        return Ok(vec![(qr_bench::file_name(dir), own)]);
    }
    let mut sequences = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            let frames = numbered_frames(&path)?;
            if !frames.is_empty() {
                sequences.push((qr_bench::file_name(&path), frames));
            }
        }
    }
    sequences.sort_by_key(|a| qr_bench::natural_key(&a.0));
    Ok(sequences)
}

/// Image files of `dir` whose stem is a number, in numeric order.
fn numbered_frames(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut frames: Vec<(u64, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let number = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok());
        if let (Some(number), true) = (number, qr_bench::is_image(&path)) {
            frames.push((number, path));
        }
    }
    frames.sort();
    Ok(frames.into_iter().map(|(_, path)| path).collect())
}

/// Every readable frame as the LUMA8 frame a camera hands over (`None` for a file that cannot
/// be read), and how many could not be read.
fn load(
    name: &str,
    files: &[PathBuf],
    dump_luma: Option<&Path>,
) -> Result<(Vec<Option<Frame>>, usize), String> {
    let mut frames = Vec::with_capacity(files.len());
    let mut unreadable = 0;
    for (index, file) in files.iter().enumerate() {
        match qr_bench::read_luma(file) {
            Ok(luma) => {
                if let Some(out) = dump_luma {
                    qr_bench::write_pgm(&out.join(name).join(format!("{index}.pgm")), &luma)?;
                }
                frames.push(Some(qr_bench::luma_frame(luma)));
            }
            Err(reason) => {
                eprintln!("hc-dev scan-seq: {} is skipped: {reason}", file.display());
                unreadable += 1;
                frames.push(None);
            }
        }
    }
    Ok((frames, unreadable))
}

/// What the screen saw: when the code was first read, and every hint shown before.
#[derive(Default)]
struct Screen {
    read_at: Option<Instant>,
    hints: BTreeMap<String, usize>,
}

struct Listener(Arc<Mutex<Screen>>);

impl ResetFlowListener for Listener {
    fn on_state(&self, state: ResetState) {
        let mut screen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match state {
            ResetState::Recognized { .. } if screen.read_at.is_none() => {
                screen.read_at = Some(Instant::now());
            }
            ResetState::Scanning { hint: Some(hint) } if screen.read_at.is_none() => {
                *screen.hints.entry(hint.to_string()).or_default() += 1;
            }
            _ => {}
        }
    }
}

/// Plays `frames` to a fresh reset flow, one every `period`, until the first read or the end.
fn play(frames: Vec<Option<Frame>>, period: Duration) -> Result<SequenceResult, String> {
    // The flow never reaches the cloud: nobody is logged in, and it is stopped at the first read.
    let client = HcClient::new(
        ClientConfig::new("http://127.0.0.1:9"),
        Arc::new(MemoryStore::new()),
    )
    .map_err(|e| e.to_string())?;
    let screen = Arc::new(Mutex::new(Screen::default()));
    let flow = client.reset_flow(Arc::new(Listener(screen.clone())));
    let count = frames.len();
    let read = |screen: &Arc<Mutex<Screen>>| {
        screen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .read_at
            .is_some()
    };
    let started = Instant::now();
    for (index, frame) in frames.into_iter().enumerate() {
        let due = started + period * index as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if read(&screen) || !flow.state().is_scanning() {
            break;
        }
        if let Some(frame) = frame {
            flow.submit_frame(frame);
        }
    }
    // After the last frame, the decoder finishes what it has (a read may still come).
    let deadline = Instant::now() + Duration::from_secs(120);
    while !read(&screen) && flow.state().is_scanning() && Instant::now() < deadline {
        let counts = flow.frame_counts();
        if counts.decoded + counts.replaced >= counts.submitted {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let counts = flow.frame_counts();
    flow.cancel();
    let screen = screen.lock().unwrap_or_else(|e| e.into_inner());
    let ms_to_read = screen
        .read_at
        .map(|at| at.duration_since(started).as_secs_f64() * 1000.0);
    Ok(SequenceResult {
        name: String::new(),
        frames: count,
        unreadable: 0,
        read: ms_to_read.is_some(),
        frames_to_read: ms_to_read
            .map(|ms| ((ms / 1000.0 / period.as_secs_f64()) as usize + 1).min(count)),
        ms_to_read,
        decoded: counts.decoded,
        dropped: counts.replaced,
        hints: screen.hints.clone(),
        files: Vec::new(),
    })
}

pub fn summarize(results: &[SequenceResult]) -> Summary {
    let mut ms: Vec<f64> = results.iter().filter_map(|r| r.ms_to_read).collect();
    ms.sort_by(f64::total_cmp);
    let mut frames: Vec<f64> = results
        .iter()
        .filter_map(|r| r.frames_to_read.map(|f| f as f64))
        .collect();
    frames.sort_by(f64::total_cmp);
    Summary {
        sequences: results.len(),
        read: ms.len(),
        median_ms_to_read: median(&ms),
        p95_ms_to_read: percentile(&ms, 95.0),
        median_frames_to_read: median(&frames),
        dropped: results.iter().map(|r| r.dropped).sum(),
    }
}

fn table(report: &Report) -> String {
    let mut out = format!(
        "{:<24} {:>6} {:>10} {:>8} {:>8} {:>8}  hints\n",
        "sequence", "frames", "ms to read", "frames", "decoded", "dropped"
    );
    for r in &report.sequences {
        let hints: Vec<String> = r.hints.iter().map(|(h, n)| format!("{h} x{n}")).collect();
        out.push_str(&format!(
            "{:<24} {:>6} {:>10} {:>8} {:>8} {:>8}  {}\n",
            r.name,
            r.frames,
            r.ms_to_read.map_or("-".into(), |ms| format!("{ms:.0}")),
            r.frames_to_read.map_or("-".into(), |f| f.to_string()),
            r.decoded,
            r.dropped,
            hints.join(", ")
        ));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "read {} of {} sequences at {} fps; median {:.0} ms ({:.0} frames), p95 {:.0} ms; {} frames dropped while busy\n",
        s.read,
        s.sequences,
        report.fps,
        s.median_ms_to_read,
        s.median_frames_to_read,
        s.p95_ms_to_read,
        s.dropped
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qr_bench::synth;

    #[test]
    fn a_folder_of_numbered_frames_is_one_sequence_in_numeric_order() {
        let dir = tempfile::tempdir().unwrap();
        let sequence = dir.path().join("approach");
        std::fs::create_dir(&sequence).unwrap();
        for name in ["10.png", "9.png", "0001.jpg", "notes.txt", "cover.png"] {
            std::fs::write(sequence.join(name), b"").unwrap();
        }
        let one = collect(&sequence).unwrap();
        assert_eq!(one.len(), 1);
        let names: Vec<String> = one[0].1.iter().map(|p| qr_bench::file_name(p)).collect();
        assert_eq!(names, ["0001.jpg", "9.png", "10.png"]);
        let all = collect(dir.path()).unwrap();
        assert_eq!(
            all.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
            ["approach"]
        );
    }

    #[test]
    fn a_camera_that_comes_into_view_of_the_code_reads_it_and_says_why_before() {
        // Three blank frames, then the code: read, with a hint before it and no frame unread
        // file.
        let dir = tempfile::tempdir().unwrap();
        let mut rng = synth::Rng::new(11);
        let text = synth::random_reset_text(&mut rng);
        let blank = image::GrayImage::from_pixel(640, 480, image::Luma([170]));
        for index in 0..3 {
            blank.save(dir.path().join(format!("{index}.png"))).unwrap();
        }
        for index in 3..8 {
            let frame = synth::render(&text, 640, 480, "clean", &mut rng);
            frame.save(dir.path().join(format!("{index}.png"))).unwrap();
        }
        std::fs::write(dir.path().join("8.png"), b"truncated").unwrap();
        let sequences = collect(dir.path()).unwrap();
        let (frames, unreadable) = load("s", &sequences[0].1, None).unwrap();
        assert_eq!((frames.len(), unreadable), (9, 1));
        // A slow clock: the outcome must not depend on how loaded the machine is.
        let result = play(frames, Duration::from_millis(400)).unwrap();
        assert!(result.read, "{result:?}");
        assert!(result.frames_to_read.unwrap() >= 4, "{result:?}");
        assert_eq!(result.hints.get("no_code"), Some(&1), "{result:?}");
        let summary = summarize(&[result]);
        assert_eq!((summary.sequences, summary.read), (1, 1));
    }
}
