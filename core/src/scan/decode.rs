//! The decoders: every QR text rqrr or rxing reads in one luma image, as it is. Which image to
//! give them and which text matters is decided above (`strategy`, `reset_qr`).
//!
//! [`read_qr`], the app's decoder, is rxing's port of zxing-cpp's QR reader taken apart so that
//! each of its steps asks the frame's work counter first (`work`): binarize, find the finder
//! patterns, then sample and decode the likeliest triples one by one until a code is read or the
//! budget is spent. Called whole, rxing would try every triple and then its Java-port reader, whose
//! triple search is cubic in the finder patterns found: seconds on a frame of fake ones. rqrr
//! ([`read_grey`], [`read_bitmap`]) has no such steps to bound and is only measured, never run by
//! the app.
//!
//! rqrr 0.11 asserts inside its geometry code on some real photographs; such a panic is contained
//! here and reported as a miss, so a bad photo can never take the app down.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::GrayImage;

use rxing::common::cpp_essentials::ConcentricPattern;
use rxing::common::{BitMatrix, DetectorRXingResult, HybridBinarizer};
use rxing::qrcode::cpp_port::decoder::Decode;
use rxing::qrcode::cpp_port::detector::{FindFinderPatterns, GenerateFinderPatternSets, SampleQR};
use rxing::{Binarizer, Luma8Source};

#[cfg(feature = "measuring-decoders")]
use crate::scan::binarize::Bitmap;
use crate::scan::work::{SAMPLE_COST, Work};

/// Finder patterns kept for the triple search, the largest first (a real code's three are among
/// the largest in view; thousands only come from patterned noise).
pub(crate) const MAX_FINDER_PATTERNS: usize = 120;

/// Row candidates for finder patterns past which an image is patterned noise, not a scene with a
/// code: its finder scan is not run (a frame of thousands of fake finder patterns).
const MAX_ROW_CANDIDATES: usize = 4_000;

/// The finder scan's price per row candidate squared: most candidates of a noisy frame are
/// dropped by rxing's vertical check before they cost much.
const CANDIDATE_CHECKS_PER_UNIT: u64 = 16;

/// And per *stacked* candidate squared (one in line with a candidate on the scanned row above: the
/// candidates that become located patterns, each checked against every pattern located before it,
/// and located and refined first). Measured with callgrind on a 1080p frame tiled with fake finder
/// patterns at 3 px a module (2,840 row candidates at 640 pixels): 220M instructions a finder scan,
/// about 0.45 units per candidate squared; priced at candidates squared / 16 alone, such a frame
/// cost 136M instructions against a 72M budget, and priced so for every candidate, the dark noisy
/// frames of a camera sequence could no longer afford their scan.
const LOCATED_CHECKS_PER_UNIT: u64 = 2;

/// Units per pixel of binarizing and scanning for finder patterns.
const FIND_COST_PER_PIXEL: u64 = 1;

/// A rectangle in an image's pixels: where a code was read, or where a likely one was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
}

impl Region {
    /// The box around `points` grown by `margin` on each side, within `width` x `height`.
    fn around(
        points: impl Iterator<Item = (f32, f32)>,
        margin: f32,
        width: u32,
        height: u32,
    ) -> Option<Self> {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for (x, y) in points {
            if !(x.is_finite() && y.is_finite()) {
                return None;
            }
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
        if x0 > x1 {
            return None;
        }
        let clamp = |v: f32, max: u32| v.clamp(0.0, max as f32) as u32;
        let region = Region {
            left: clamp(x0 - margin, width),
            top: clamp(y0 - margin, height),
            right: clamp(x1 + margin, width),
            bottom: clamp(y1 + margin, height),
        };
        (region.right > region.left && region.bottom > region.top).then_some(region)
    }

    pub fn width(&self) -> u32 {
        self.right - self.left
    }

    pub fn height(&self) -> u32 {
        self.bottom - self.top
    }

    /// The same region in an image `factor` times larger (`factor` may be fractional).
    pub fn scaled(&self, factor: f32, width: u32, height: u32) -> Region {
        let s = |v: u32, max: u32| ((v as f32 * factor) as u32).min(max);
        Region {
            left: s(self.left, width),
            top: s(self.top, height),
            right: s(self.right, width).max(s(self.left, width) + 1).min(width),
            bottom: s(self.bottom, height)
                .max(s(self.top, height) + 1)
                .min(height),
        }
    }
}

/// What one [`read_qr`] saw.
#[derive(Debug, Default)]
pub(crate) struct Detection {
    /// Every text read, in the order the triples were tried.
    pub texts: Vec<String>,
    /// Finder patterns found in the whole image (before [`MAX_FINDER_PATTERNS`]).
    pub finder_patterns: usize,
    /// Where the first code was read; else the likeliest triple that did not decode.
    pub region: Option<Region>,
    /// Estimated module size of the likeliest triple, in pixels.
    pub module_px: Option<f32>,
}

/// Every QR text rxing's zxing-cpp reader finds in `image` within the work left in `work`: the
/// binarization and finder scan are admitted at one unit a pixel, each triple's sampling and
/// decoding at [`SAMPLE_COST`]. `invert` reads light codes on a dark background. Never panics.
///
/// `binarized` holds the image's binarization when an earlier call on the same image left it
/// there, and is left holding it for the next: the other polarity needs no second binarization,
/// only a flip. The price is the same either way, so it stays an upper bound of the step.
pub(crate) fn read_qr(
    image: &GrayImage,
    invert: bool,
    work: &mut Work,
    binarized: &mut Option<BitMatrix>,
) -> Detection {
    let (width, height) = image.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if width < 21 || height < 21 || !work.admit(pixels * FIND_COST_PER_PIXEL) {
        return Detection::default();
    }
    contained(|| {
        if binarized.is_none() {
            *binarized = binarize(image);
        }
        match binarized.as_ref() {
            Some(matrix) => read_matrix(matrix, invert, work),
            None => Detection::default(),
        }
    })
    .unwrap_or_default()
}

/// rxing's hybrid binarizer (zxing-cpp's default) over `image`: the same bits from hc's own
/// word-at-a-time copy (`binarize::hybrid`), rxing's for images too small for it.
fn binarize(image: &GrayImage) -> Option<BitMatrix> {
    if let Some(matrix) = crate::scan::binarize::hybrid(image) {
        return Some(matrix);
    }
    let (width, height) = image.dimensions();
    let source = Luma8Source::new_with_slice(image.as_raw(), width, height).ok()?;
    // rxing keeps the matrix inside the binarizer; a copy is an eighth of the image's bytes.
    HybridBinarizer::new(source)
        .get_black_matrix()
        .ok()
        .cloned()
}

fn read_matrix(matrix: &BitMatrix, invert: bool, work: &mut Work) -> Detection {
    let (width, height) = (matrix.getWidth(), matrix.getHeight());
    let flipped;
    let matrix: &BitMatrix = if invert {
        let mut copy = matrix.clone();
        copy.flip_self();
        flipped = copy;
        &flipped
    } else {
        matrix
    };
    // rxing's finder scan checks each pattern it locates against all those located before it:
    // quadratic in their number, which patterned noise makes huge. Every located pattern starts
    // from a row candidate, so counting the candidates first (a cheap pass over every third row,
    // the rows rxing scans) bounds that cost before it is spent.
    let RowCandidates { all, stacked } = row_candidates(matrix);
    let mut detection = Detection {
        finder_patterns: all,
        ..Detection::default()
    };
    let dedupe = (all as u64).pow(2) / CANDIDATE_CHECKS_PER_UNIT
        + (stacked as u64).pow(2) / LOCATED_CHECKS_PER_UNIT;
    if all > MAX_ROW_CANDIDATES || !work.admit(dedupe) {
        return detection;
    }
    let mut patterns = FindFinderPatterns(matrix, true, 0);
    detection.finder_patterns = patterns.len();
    patterns.sort_by_key(|p| std::cmp::Reverse(p.size));
    patterns.truncate(MAX_FINDER_PATTERNS);
    let sets = GenerateFinderPatternSets(&mut patterns);
    let mut used: Vec<ConcentricPattern> = Vec::new();
    let mut first_triple = None;
    for set in sets {
        if [set.bl, set.tl, set.tr].iter().any(|p| used.contains(p)) {
            continue;
        }
        first_triple.get_or_insert(set);
        if !work.admit(SAMPLE_COST) {
            break;
        }
        let Ok(sampled) = SampleQR(matrix, &set) else {
            continue;
        };
        let Ok(decoded) = Decode(sampled.getBits()) else {
            continue;
        };
        if !decoded.isValid() {
            continue;
        }
        used.extend([set.bl, set.tl, set.tr]);
        if detection.texts.is_empty() {
            let margin = set.tl.size as f32;
            detection.region = Region::around(
                sampled.getPoints().iter().map(|p| (p.x, p.y)),
                margin,
                width,
                height,
            );
        }
        detection.texts.push(decoded.text());
    }
    if let Some(set) = first_triple {
        let module = (set.bl.size + set.tl.size + set.tr.size) as f32 / 21.0;
        detection.module_px = Some(module);
        if detection.region.is_none() {
            // The fourth corner mirrors the top-left one; a finder pattern's width of margin
            // covers the rest of the symbol and its quiet zone.
            let corner = (
                set.bl.p.x + set.tr.p.x - set.tl.p.x,
                set.bl.p.y + set.tr.p.y - set.tl.p.y,
            );
            let points = [set.bl.p, set.tl.p, set.tr.p]
                .into_iter()
                .map(|p| (p.x, p.y))
                .chain(std::iter::once(corner));
            detection.region = Region::around(points, module * 8.0, width, height);
        }
    }
    detection
}

/// Runs of dark, light, dark, light, dark in the proportions 1:1:3:1:1 (three quarters of a module
/// of slack each) along every third row, where rxing's finder scan looks: an upper bound of the
/// patterns it can locate.
/// What the cheap pass before the finder scan counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RowCandidates {
    all: usize,
    /// Those whose centre is within a module of a candidate's on the scanned row above: a
    /// pattern's shape seen on two rows, as a real (or fake) finder pattern gives and noise rarely.
    stacked: usize,
}

fn row_candidates(matrix: &BitMatrix) -> RowCandidates {
    let (width, height) = (matrix.getWidth() as usize, matrix.getHeight());
    let mut count = 0;
    let mut stacked = 0;
    // Centres and module sizes of the previous scanned row's candidates, left to right.
    let mut above: Vec<(u32, u32)> = Vec::new();
    let mut here: Vec<(u32, u32)> = Vec::new();
    for y in (2..height).step_by(3) {
        let mut next_above = 0;
        // Run by run, a machine word at a time (a pixel at a time cost as much as the finder
        // scan it bounds). The last five runs, oldest first; a window counts when it starts on
        // a dark run.
        let row = matrix.getRow(y);
        let mut runs = [0u32; 5];
        let mut filled = 0usize;
        let mut dark = row.get(0);
        let mut x = 0;
        while x < width {
            let end = if dark {
                row.getNextUnset(x)
            } else {
                row.getNextSet(x)
            }
            .clamp(x + 1, width);
            runs = [runs[1], runs[2], runs[3], runs[4], (end - x) as u32];
            filled = (filled + 1).min(5);
            // The window's first run is dark when the run just ended (its fifth) is dark.
            if dark && filled == 5 && looks_like_finder(&runs) {
                count += 1;
                let total: u32 = runs.iter().sum();
                let centre = end as u32 - total + runs[0] + runs[1] + runs[2] / 2;
                let module = (total / 7).max(1);
                // Both rows are in order of x: walk the row above once.
                while next_above < above.len() && above[next_above].0 + above[next_above].1 < centre
                {
                    next_above += 1;
                }
                if above
                    .get(next_above)
                    .is_some_and(|&(c, m)| c.abs_diff(centre) <= m.max(module))
                {
                    stacked += 1;
                }
                here.push((centre, module));
            }
            dark = !dark;
            x = end;
        }
        std::mem::swap(&mut above, &mut here);
        here.clear();
    }
    RowCandidates {
        all: count,
        stacked,
    }
}

fn looks_like_finder(runs: &[u32; 5]) -> bool {
    let total: u32 = runs.iter().sum();
    if total < 7 {
        return false;
    }
    let module = total as f32 / 7.0;
    let near = |run: u32, modules: f32| (run as f32 - module * modules).abs() <= module * 0.75;
    near(runs[0], 1.0)
        && near(runs[1], 1.0)
        && near(runs[2], 3.0)
        && near(runs[3], 1.0)
        && near(runs[4], 1.0)
}

thread_local! {
    static CONTAINING_PANIC: Cell<bool> = const { Cell::new(false) };
}

/// True on a thread that is decoding inside the panic guard: the panic hook then logs quietly,
/// since the panic is an expected decoder miss and not a bug in the app.
pub(crate) fn panic_is_contained() -> bool {
    CONTAINING_PANIC.with(Cell::get)
}

fn contained<T>(work: impl FnOnce() -> T) -> Option<T> {
    let was = CONTAINING_PANIC.with(|flag| flag.replace(true));
    let result = catch_unwind(AssertUnwindSafe(work));
    CONTAINING_PANIC.with(|flag| flag.set(was));
    match result {
        Ok(value) => Some(value),
        Err(_) => {
            tracing::debug!(target: "hc_core::scan", "the QR decoder gave up on an image (contained panic)");
            None
        }
    }
}

/// Detects and decodes every grid of a freshly prepared rqrr image, each step in a panic guard.
/// A macro because rqrr's buffer type and its trait are not exported, so no function can name them.
#[cfg(feature = "measuring-decoders")]
macro_rules! read_prepared {
    ($prepare:expr) => {{
        let texts = contained(|| {
            let mut prepared = $prepare;
            let grids = prepared.detect_grids();
            // Decode each grid in its own guard: one broken symbol must not hide the reset code.
            grids
                .iter()
                .filter_map(|grid| contained(|| grid.decode().ok().map(|(_, text)| text)).flatten())
                .collect::<Vec<String>>()
        });
        texts.unwrap_or_default()
    }};
}

/// Every QR text rqrr reads in a grey image, with rqrr's own threshold. Never panics.
#[cfg(feature = "measuring-decoders")]
pub(crate) fn read_grey(image: &GrayImage) -> Vec<String> {
    let (width, pixels) = (image.width() as usize, image.as_raw());
    // rqrr's plain-slice buffer instead of its `image` adapter, whose per-pixel bounds-checked
    // accessors cost more than the threshold itself.
    read_prepared!(rqrr::PreparedImage::prepare_from_greyscale(
        width,
        image.height() as usize,
        |x, y| pixels[y * width + x]
    ))
}

/// Every QR text rqrr reads in an already binarized image. Never panics.
#[cfg(feature = "measuring-decoders")]
pub(crate) fn read_bitmap(bitmap: &Bitmap) -> Vec<String> {
    read_prepared!(rqrr::PreparedImage::prepare_from_bitmap(
        bitmap.width,
        bitmap.height,
        |x, y| bitmap.bits[y * bitmap.width + x] != 0
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoder_panic_is_contained_and_reported_as_a_miss() {
        assert_eq!(contained(|| panic!("rqrr geometry assertion")), None::<()>);
        assert!(!panic_is_contained(), "the flag is reset after the guard");
    }

    /// The pixel-by-pixel count `row_candidates` replaced.
    fn row_candidates_pixelwise(matrix: &BitMatrix) -> usize {
        let (width, height) = (matrix.getWidth(), matrix.getHeight());
        let mut count = 0;
        for y in (2..height).step_by(3) {
            let mut runs = [0u32; 5];
            let mut filled = 0usize;
            let mut colour = matrix.get(0, y);
            let mut length = 0u32;
            for x in 0..=width {
                let dark = x < width && matrix.get(x, y);
                if x < width && dark == colour {
                    length += 1;
                    continue;
                }
                runs.rotate_left(1);
                runs[4] = length;
                filled = (filled + 1).min(5);
                if colour && filled == 5 && looks_like_finder(&runs) {
                    count += 1;
                }
                colour = dark;
                length = 1;
            }
        }
        count
    }

    #[test]
    fn finder_candidates_are_counted_run_by_run_as_pixel_by_pixel() {
        // Finder-like rows at several module sizes, noise, both polarities, widths that do and
        // do not fill the last machine word.
        let mut seed = 7u32;
        for (width, height) in [(21, 21), (64, 30), (97, 40), (333, 61)] {
            for module in 1..5u32 {
                let mut matrix = BitMatrix::new(width, height).unwrap();
                for y in 0..height {
                    for x in 0..width {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        let finder = [1, 0, 1, 1, 1, 0, 1, 0][((x / module) % 8) as usize] == 1;
                        let dark = if y % 2 == 0 {
                            finder
                        } else {
                            (seed >> 16) % 3 == 0
                        };
                        if dark {
                            matrix.set(x, y);
                        }
                    }
                }
                assert_eq!(
                    row_candidates(&matrix).all,
                    row_candidates_pixelwise(&matrix)
                );
                assert!(row_candidates(&matrix).all > 0 || module * 8 > width);
                matrix.flip_self();
                assert_eq!(
                    row_candidates(&matrix).all,
                    row_candidates_pixelwise(&matrix)
                );
            }
        }
    }

    #[test]
    fn finder_patterns_seen_on_two_rows_count_as_stacked_and_noise_mostly_does_not() {
        // Columns of finder-like runs (every row the same: what tiled fake finder patterns give).
        let (width, height) = (320, 90);
        let mut tiled = BitMatrix::new(width, height).unwrap();
        let mut noise = BitMatrix::new(width, height).unwrap();
        let mut seed = 11u32;
        for y in 0..height {
            for x in 0..width {
                if [1, 0, 1, 1, 1, 0, 1, 0][((x / 2) % 8) as usize] == 1 {
                    tiled.set(x, y);
                }
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                if (seed >> 16) % 2 == 0 {
                    noise.set(x, y);
                }
            }
        }
        let tiled = row_candidates(&tiled);
        assert!(tiled.all > 100, "{tiled:?}");
        assert!(tiled.stacked * 10 >= tiled.all * 9, "{tiled:?}");
        let noise = row_candidates(&noise);
        assert!(noise.stacked * 4 < noise.all, "{noise:?}");
    }
}
