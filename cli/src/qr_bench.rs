//! `hc qr-bench`: the QR decoder measured on a folder of photos with their expected text.
//!
//! Layout (the one of zxing-cpp's test samples): one subfolder per category, each image beside a
//! `.txt` of the same name holding the exact expected text. Every image is decoded to luma once,
//! outside the timer, and handed to the core as a LUMA8 camera frame, so the time is the camera
//! path's (`scan_frame_all`: frame to luma, every strategy, every decoder). An image counts as
//! decoded when any text read equals the expected one.
//!
//! `--dump-luma DIR` writes the same luma planes as PGM files so that
//! `scripts/qr-bench-zxing.py` times zxing-cpp on exactly the same pixels.

pub mod synth;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hc_core::{Frame, FrameFormat};
use serde::Serialize;

/// Image files the runner picks up.
const IMAGE_EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "pgm"];

#[derive(clap::Args)]
pub struct Args {
    /// The corpus folder (one subfolder per category), or where `--generate` writes.
    pub dir: PathBuf,
    /// One JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write the synthetic monitor set into DIR instead of measuring.
    #[arg(long)]
    pub generate: bool,
    /// Seed of the synthetic set.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Images per category and resolution of the synthetic set.
    #[arg(long, default_value_t = 12)]
    pub count: usize,
    /// Also write each image's luma plane as `<category>/<name>.pgm` under this folder.
    #[arg(long)]
    pub dump_luma: Option<PathBuf>,
    /// Add every image's outcome to the JSON output.
    #[arg(long)]
    pub per_image: bool,
    /// Experiments: scan with this attempt list instead of the scanner's own (luma, no frame).
    #[arg(long, hide = true)]
    pub attempts: Option<String>,
}

/// One image's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub category: String,
    pub name: String,
    pub decoded: bool,
    pub ms: f64,
}

/// Figures for a group of images.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub images: usize,
    pub decoded: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub total: Summary,
    pub categories: BTreeMap<String, Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<Outcome>>,
}

pub fn run(args: Args) -> Result<(), String> {
    if args.generate {
        let written = synth::generate(&args.dir, args.seed, args.count)
            .map_err(|e| format!("cannot write {}: {e}", args.dir.display()))?;
        eprintln!(
            "wrote {written} frames to {} (seed {})",
            args.dir.display(),
            args.seed
        );
        return Ok(());
    }
    let cases = collect(&args.dir)?;
    if cases.is_empty() {
        return Err(format!(
            "no image with a .txt beside it under {}",
            args.dir.display()
        ));
    }
    let mut outcomes = Vec::with_capacity(cases.len());
    for case in &cases {
        let bytes = std::fs::read(&case.image)
            .map_err(|e| format!("cannot read {}: {e}", case.image.display()))?;
        let luma = hc_core::scan::image_to_luma(&bytes)
            .map_err(|e| format!("{}: {e:?}", case.image.display()))?;
        if let Some(out) = &args.dump_luma {
            write_pgm(
                &out.join(&case.category).join(format!("{}.pgm", case.name)),
                &luma,
            )?;
        }
        let frame = Frame {
            width: luma.width(),
            height: luma.height(),
            row_stride: luma.width(),
            format: FrameFormat::Luma8,
            bytes: luma.into_raw(),
            rotation_degrees: 0,
        };
        let started = Instant::now();
        let texts = match &args.attempts {
            Some(spec) => {
                let luma = frame.to_luma().map_err(|e| format!("{e:?}"))?;
                hc_core::scan::scan_with_spec(&luma, spec)
            }
            None => hc_core::scan::scan_frame_all(&frame).map_err(|e| format!("{e:?}")),
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let decoded = texts.is_ok_and(|texts| texts.contains(&case.expected));
        outcomes.push(Outcome {
            category: case.category.clone(),
            name: case.name.clone(),
            decoded,
            ms,
        });
    }
    let mut report = summarize(&outcomes);
    if args.per_image || args.dump_luma.is_some() {
        report.images = Some(outcomes);
    }
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

struct Case {
    category: String,
    name: String,
    image: PathBuf,
    expected: String,
}

/// Every image with an expected text, by category then name.
fn collect(dir: &Path) -> Result<Vec<Case>, String> {
    let read = |path: &Path| {
        std::fs::read_dir(path).map_err(|e| format!("cannot list {}: {e}", path.display()))
    };
    let mut cases = Vec::new();
    for entry in read(dir)? {
        let category_dir = entry.map_err(|e| e.to_string())?.path();
        if !category_dir.is_dir() {
            continue;
        }
        let category = file_name(&category_dir);
        for entry in read(&category_dir)? {
            let image = entry.map_err(|e| e.to_string())?.path();
            let is_image = image
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
            let Ok(expected) = std::fs::read(image.with_extension("txt")) else {
                continue;
            };
            if is_image {
                cases.push(Case {
                    category: category.clone(),
                    name: image
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    image,
                    expected: String::from_utf8_lossy(&expected).into_owned(),
                });
            }
        }
    }
    cases.sort_by(|a, b| {
        (&a.category, natural_key(&a.name)).cmp(&(&b.category, natural_key(&b.name)))
    });
    Ok(cases)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// "9" before "10": numbers compare as numbers.
fn natural_key(name: &str) -> (u64, String) {
    (name.parse().unwrap_or(u64::MAX), name.to_owned())
}

fn write_pgm(path: &Path, luma: &image::GrayImage) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    let mut bytes = format!("P5\n{} {}\n255\n", luma.width(), luma.height()).into_bytes();
    bytes.extend_from_slice(luma.as_raw());
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn summarize(outcomes: &[Outcome]) -> Report {
    let mut by_category: BTreeMap<String, Vec<&Outcome>> = BTreeMap::new();
    for outcome in outcomes {
        by_category
            .entry(outcome.category.clone())
            .or_default()
            .push(outcome);
    }
    let all: Vec<&Outcome> = outcomes.iter().collect();
    Report {
        total: summary(&all),
        categories: by_category
            .into_iter()
            .map(|(name, group)| (name, summary(&group)))
            .collect(),
        images: None,
    }
}

fn summary(group: &[&Outcome]) -> Summary {
    let mut times: Vec<f64> = group.iter().map(|o| o.ms).collect();
    times.sort_by(f64::total_cmp);
    Summary {
        images: group.len(),
        decoded: group.iter().filter(|o| o.decoded).count(),
        median_ms: median(&times),
        p95_ms: percentile(&times, 95.0),
    }
}

/// Median of sorted values (mean of the middle two for an even count); 0 when empty.
pub fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Nearest-rank percentile of sorted values; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn table(report: &Report) -> String {
    let mut out = format!(
        "{:<20} {:>6} {:>8} {:>7} {:>10} {:>10}\n",
        "category", "images", "decoded", "rate", "median ms", "p95 ms"
    );
    let row = |name: &str, s: &Summary| {
        format!(
            "{:<20} {:>6} {:>8} {:>6.1}% {:>10.2} {:>10.2}\n",
            name,
            s.images,
            s.decoded,
            100.0 * s.decoded as f64 / s.images.max(1) as f64,
            s.median_ms,
            s.p95_ms
        )
    };
    for (name, s) in &report.categories {
        out.push_str(&row(name, s));
    }
    out.push_str(&row("total", &report.total));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(category: &str, decoded: bool, ms: f64) -> Outcome {
        Outcome {
            category: category.into(),
            name: String::new(),
            decoded,
            ms,
        }
    }

    #[test]
    fn median_and_p95_use_the_middle_and_the_nearest_rank() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0]), 3.0);
        assert_eq!(median(&[1.0, 2.0, 3.0, 10.0]), 2.5);
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&hundred, 95.0), 95.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 95.0), 3.0);
        assert_eq!(percentile(&[], 95.0), 0.0);
    }

    #[test]
    fn summaries_group_by_category_and_total() {
        let report = summarize(&[
            outcome("b", true, 4.0),
            outcome("a", false, 1.0),
            outcome("a", true, 3.0),
        ]);
        assert_eq!(report.total.images, 3);
        assert_eq!(report.total.decoded, 2);
        assert_eq!(report.total.median_ms, 3.0);
        assert_eq!(report.categories["a"].decoded, 1);
        assert_eq!(report.categories["a"].median_ms, 2.0);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["categories"]["b"]["images"], 1);
        assert!(json.get("images").is_none(), "per-image output is opt-in");
    }

    #[test]
    fn the_corpus_layout_is_read_with_exact_texts() {
        let dir = tempfile::tempdir().unwrap();
        let category = dir.path().join("monitor");
        std::fs::create_dir(&category).unwrap();
        std::fs::write(category.join("10.png"), b"").unwrap();
        std::fs::write(category.join("10.txt"), b"text\n").unwrap();
        std::fs::write(category.join("9.jpg"), b"").unwrap();
        std::fs::write(category.join("9.txt"), b"nine").unwrap();
        std::fs::write(category.join("orphan.png"), b"").unwrap();
        std::fs::write(dir.path().join("stray.txt"), b"").unwrap();
        let cases = collect(dir.path()).unwrap();
        let names: Vec<_> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["9", "10"]);
        assert_eq!(cases[1].expected, "text\n", "the text is kept exactly");
        assert_eq!(cases[0].category, "monitor");
    }

    #[test]
    fn synthetic_frames_are_read_back_by_the_scanner() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = synth::Rng::new(3);
        let text = synth::random_reset_text(&mut rng);
        let frame = synth::render(&text, 640, 480, "clean", &mut rng);
        let path = dir.path().join("clean.png");
        frame.save(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            hc_core::decode_image(&bytes).unwrap().as_deref(),
            Some(text.as_str())
        );
    }
}
