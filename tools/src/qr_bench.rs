//! `hc-dev qr-bench`: the QR decoder measured on a folder of photos with their expected text.
//!
//! Layout (the one of zxing-cpp's test samples): one subfolder per category, each image beside a
//! `.txt` of the same name holding the exact expected text (or, for an image that holds several
//! codes, a `.texts.json` array of their texts, any of which counts). Every image is decoded to luma once,
//! outside the timer, and handed to the core as a LUMA8 camera frame, so the time is the camera
//! path's (frame to luma, then the scanner's [`Strategy`]: every attempt, every decoder). An image
//! counts as decoded when any text read equals an expected one. A file that cannot be read or
//! decoded (truncated, not an image) counts as an image not decoded, with its reason, and takes no
//! part in the timings; the run goes on.
//!
//! `--dump-luma DIR` writes the same luma planes as PGM files so that
//! `tools/scripts/qr-bench-zxing.py` times zxing-cpp on exactly the same pixels.

pub mod synth;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hc_core::scan::{Attempt, CAMERA_BUDGET, Method, STILL_BUDGET, Scale, Scanner, Strategy};
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
    /// Scan with this attempt list, without a work budget, instead of the scanner's own, to
    /// measure attempts on their own: `fit960:local,full:rqrr,double:rxing` (scales `fitN`,
    /// `full`, `double`; methods `rqrr`, `local`, `inverted`, `rxing`, `normalize`,
    /// `rxing-inverted`).
    #[arg(long, value_parser = parse_attempts)]
    pub attempts: Option<Strategy>,
    /// Work units each image may spend (default: the still image's `scan::STILL_BUDGET`; with
    /// `--attempts`, none), to measure what a larger or smaller budget reads.
    #[arg(long)]
    pub budget: Option<u64>,
    /// Give each image to one camera session this many times in a row (the camera path: its
    /// budget, its attempts spread over frames) instead of once as a still; an image's time is
    /// then its slowest frame, and it counts as decoded when any frame reads it. The session gets
    /// the camera's budget (`scan::CAMERA_BUDGET`) unless `--budget` says otherwise.
    #[arg(long)]
    pub camera_frames: Option<u32>,
}

/// One image's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub category: String,
    pub name: String,
    pub decoded: bool,
    /// 0 for an unreadable file.
    pub ms: f64,
    /// Why the file could not be read or decoded into an image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

/// Figures for a group of images. Unreadable files count as images, not decoded, and are left out
/// of the timings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub images: usize,
    pub decoded: usize,
    pub unreadable: usize,
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
    let mut strategy = args.attempts.clone().unwrap_or_default();
    if let Some(budget) = args.budget {
        strategy.budget = budget;
    }
    let outcomes = measure_all(
        &cases,
        &strategy,
        args.camera_frames,
        args.dump_luma.as_deref(),
    )?;
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

/// Every case's outcome; only a luma plane that cannot be written under `dump_luma` stops the run.
fn measure_all(
    cases: &[Case],
    strategy: &Strategy,
    camera_frames: Option<u32>,
    dump_luma: Option<&Path>,
) -> Result<Vec<Outcome>, String> {
    let mut outcomes = Vec::with_capacity(cases.len());
    for case in cases {
        let outcome = match read_luma(&case.image) {
            Ok(luma) => {
                if let Some(out) = dump_luma {
                    write_pgm(
                        &out.join(&case.category).join(format!("{}.pgm", case.name)),
                        &luma,
                    )?;
                }
                let (decoded, ms) = match camera_frames {
                    Some(frames) => measure_camera(strategy, &luma, frames, &case.expected),
                    None => measure(strategy, luma, &case.expected),
                };
                case.outcome(decoded, ms, None)
            }
            Err(reason) => {
                eprintln!(
                    "hc-dev qr-bench: {} counts as not decoded: {reason}",
                    case.image.display()
                );
                case.outcome(false, 0.0, Some(reason))
            }
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The file's luma plane, decoded as the app decodes a gallery image.
pub(crate) fn read_luma(path: &Path) -> Result<image::GrayImage, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    hc_core::scan::image_to_luma(&bytes).map_err(|e| e.to_string())
}

/// Scans the luma plane as a LUMA8 camera frame: whether an expected text was among those read,
/// and the milliseconds from frame to texts.
fn measure(strategy: &Strategy, luma: image::GrayImage, expected: &[String]) -> (bool, f64) {
    let frame = luma_frame(luma);
    let started = Instant::now();
    // The plane was decoded from a real image, so it is a well-formed frame.
    let texts = frame
        .to_luma()
        .map(|luma| strategy.read(&luma))
        .unwrap_or_default();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    (texts.iter().any(|text| expected.contains(text)), ms)
}

/// The luma plane as the LUMA8 frame a camera hands over.
pub(crate) fn luma_frame(luma: image::GrayImage) -> Frame {
    Frame {
        width: luma.width(),
        height: luma.height(),
        row_stride: luma.width(),
        format: FrameFormat::Luma8,
        bytes: luma.into_raw(),
        rotation_degrees: 0,
    }
}

/// Gives the luma plane to one camera session `frames` times: whether any frame read an expected
/// text, and the milliseconds of the slowest frame (the figure a viewfinder feels).
fn measure_camera(
    strategy: &Strategy,
    luma: &image::GrayImage,
    frames: u32,
    expected: &[String],
) -> (bool, f64) {
    let mut camera = Scanner::with(
        Strategy {
            budget: if strategy.budget == STILL_BUDGET {
                CAMERA_BUDGET
            } else {
                strategy.budget
            },
            ..strategy.clone()
        },
        true,
    );
    let (mut decoded, mut slowest) = (false, 0.0_f64);
    for _ in 0..frames.max(1) {
        let frame = luma_frame(luma.clone());
        let started = Instant::now();
        // As in `measure`: the frame to luma is part of the camera path.
        let texts = frame
            .to_luma()
            .map(|luma| camera.read(&luma))
            .unwrap_or_default();
        slowest = slowest.max(started.elapsed().as_secs_f64() * 1000.0);
        decoded |= texts.iter().any(|text| expected.contains(text));
    }
    (decoded, slowest)
}

/// `fit960:local,full:rqrr,double:inverted`: an attempt list without a work budget.
fn parse_attempts(spec: &str) -> Result<Strategy, String> {
    let attempts = spec
        .split(',')
        .map(|item| {
            let (scale, method) = item.split_once(':').ok_or(format!("no ':' in {item}"))?;
            let scale = match scale {
                "full" => Scale::Fit(u32::MAX),
                "double" => Scale::Double,
                fit => Scale::Fit(
                    fit.strip_prefix("fit")
                        .and_then(|n| n.parse().ok())
                        .ok_or(format!("bad scale {fit}"))?,
                ),
            };
            let method = match method {
                "rqrr" => Method::Rqrr,
                "local" => Method::LocalAverage,
                "inverted" => Method::LocalAverageInverted,
                "rxing" => Method::Rxing,
                "normalize" => Method::RxingNormalized,
                "rxing-inverted" => Method::RxingInverted,
                other => return Err(format!("bad method {other}")),
            };
            Ok(Attempt { scale, method })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Strategy {
        attempts,
        budget: u64::MAX,
    })
}

struct Case {
    category: String,
    name: String,
    image: PathBuf,
    /// The image's code texts; any one of them read counts (a photo may hold several codes, and
    /// the scanner stops at the first it reads).
    expected: Vec<String>,
}

impl Case {
    fn outcome(&self, decoded: bool, ms: f64, unreadable: Option<String>) -> Outcome {
        Outcome {
            category: self.category.clone(),
            name: self.name.clone(),
            decoded,
            ms,
            unreadable,
        }
    }
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
            if !is_image(&image) {
                continue;
            }
            let Some(expected) = expected_texts(&image)? else {
                continue;
            };
            cases.push(Case {
                category: category.clone(),
                name: image
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                image,
                expected,
            });
        }
    }
    cases.sort_by(|a, b| {
        (&a.category, natural_key(&a.name)).cmp(&(&b.category, natural_key(&b.name)))
    });
    Ok(cases)
}

/// The texts beside `image`: its `.txt` (exactly), else its `.texts.json` (an array of strings);
/// `None` when it has neither.
fn expected_texts(image: &Path) -> Result<Option<Vec<String>>, String> {
    if let Ok(text) = std::fs::read(image.with_extension("txt")) {
        return Ok(Some(vec![String::from_utf8_lossy(&text).into_owned()]));
    }
    let several = image.with_extension("texts.json");
    let Ok(json) = std::fs::read(&several) else {
        return Ok(None);
    };
    serde_json::from_slice(&json)
        .map(Some)
        .map_err(|e| format!("{}: not an array of texts: {e}", several.display()))
}

/// Whether the runners pick `path` up as an image (by its extension).
pub(crate) fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// "9" before "10": numbers compare as numbers.
pub(crate) fn natural_key(name: &str) -> (u64, String) {
    (name.parse().unwrap_or(u64::MAX), name.to_owned())
}

pub(crate) fn write_pgm(path: &Path, luma: &image::GrayImage) -> Result<(), String> {
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
    let mut times: Vec<f64> = group
        .iter()
        .filter(|o| o.unreadable.is_none())
        .map(|o| o.ms)
        .collect();
    times.sort_by(f64::total_cmp);
    Summary {
        images: group.len(),
        decoded: group.iter().filter(|o| o.decoded).count(),
        unreadable: group.iter().filter(|o| o.unreadable.is_some()).count(),
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
        "{:<20} {:>6} {:>8} {:>10} {:>7} {:>10} {:>10}\n",
        "category", "images", "decoded", "unreadable", "rate", "median ms", "p95 ms"
    );
    let row = |name: &str, s: &Summary| {
        format!(
            "{:<20} {:>6} {:>8} {:>10} {:>6.1}% {:>10.2} {:>10.2}\n",
            name,
            s.images,
            s.decoded,
            s.unreadable,
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
            unreadable: None,
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
        // A photo of several codes lists their texts; any one read counts.
        std::fs::write(category.join("11.jpg"), b"").unwrap();
        std::fs::write(category.join("11.texts.json"), br#"["one", "two"]"#).unwrap();
        let cases = collect(dir.path()).unwrap();
        let names: Vec<_> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["9", "10", "11"]);
        assert_eq!(cases[1].expected, ["text\n"], "the text is kept exactly");
        assert_eq!(cases[2].expected, ["one", "two"]);
        assert_eq!(cases[0].category, "monitor");
    }

    #[test]
    fn a_truncated_png_counts_as_not_decoded_and_the_run_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let category = dir.path().join("photos");
        std::fs::create_dir(&category).unwrap();
        let mut rng = synth::Rng::new(5);
        let mut texts = Vec::new();
        for name in ["1", "2", "3"] {
            let text = synth::random_reset_text(&mut rng);
            let frame = synth::render(&text, 640, 480, "clean", &mut rng);
            frame.save(category.join(format!("{name}.png"))).unwrap();
            std::fs::write(category.join(format!("{name}.txt")), &text).unwrap();
            texts.push(text);
        }
        // The middle file loses its second half, as an interrupted copy leaves it.
        let cut = category.join("2.png");
        let bytes = std::fs::read(&cut).unwrap();
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        std::fs::write(category.join("4.png"), b"not an image at all").unwrap();
        std::fs::write(category.join("4.txt"), b"anything").unwrap();

        let dump = tempfile::tempdir().unwrap();
        let cases = collect(dir.path()).unwrap();
        let outcomes = measure_all(&cases, &Strategy::default(), None, Some(dump.path())).unwrap();
        let seen: Vec<_> = outcomes
            .iter()
            .map(|o| (o.name.as_str(), o.decoded, o.unreadable.is_some()))
            .collect();
        assert_eq!(
            seen,
            [
                ("1", true, false),
                ("2", false, true),
                ("3", true, false),
                ("4", false, true)
            ]
        );
        let report = summarize(&outcomes);
        assert_eq!(
            (
                report.total.images,
                report.total.decoded,
                report.total.unreadable
            ),
            (4, 2, 2)
        );
        assert!(
            report.total.median_ms > 0.0,
            "unreadable files take no part in the timings"
        );
        assert!(dump.path().join("photos/3.pgm").exists());
        assert!(!dump.path().join("photos/2.pgm").exists());
    }

    #[test]
    fn an_attempt_list_reads_as_the_scanner_s_attempts_without_a_budget() {
        let strategy = parse_attempts("fit960:local,full:rqrr,double:rxing").unwrap();
        assert_eq!(
            strategy.attempts,
            [
                Attempt {
                    scale: Scale::Fit(960),
                    method: Method::LocalAverage
                },
                Attempt {
                    scale: Scale::Fit(u32::MAX),
                    method: Method::Rqrr
                },
                Attempt {
                    scale: Scale::Double,
                    method: Method::Rxing
                },
            ]
        );
        assert_eq!(strategy.budget, u64::MAX);
        for bad in ["fit960", "huge:rqrr", "full:magic", "fitx:rqrr"] {
            assert!(parse_attempts(bad).is_err(), "{bad}");
        }
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
