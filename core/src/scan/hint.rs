//! Why a frame could not be read: what the screen tells the user to do about it.
//!
//! Asked only when nothing decoded, and cheap by construction: everything is measured on the frame
//! shrunk to at most [`WORK_SIDE`] pixels on its longest side (one box-filter pass over the frame,
//! then a fixed number of passes over at most 640x640 pixels), whatever the frame's size. The
//! measures, in the order they decide:
//!
//! 1. **Too dark**: even the brightest part of the frame (its 99th percentile) is dim.
//! 2. **No code** when the frame is flat (a wall, a lens cap): no block with any contrast.
//! 3. **Glare**: part of the frame is blown out (saturated) while something code-like is in view:
//!    a spot, not most of the frame nor the white running along its edges (a screenshot's white
//!    background is saturated too).
//! 4. **No code** when nothing looks like a QR code: no finder pattern (the 1:1:3:1:1 dark-light
//!    runs of a QR corner, found along rows and confirmed along the column) and no patch of busy
//!    8x8 blocks (blocks whose spread stands out from the frame's noise).
//! 5. **Too small** when the code seen is small in the frame: modules of finder patterns under
//!    two pixels, or a code side (from the finders' modules, else the busy patch) under an eighth
//!    of the frame's shorter side.
//! 6. **Blurred** otherwise: a code of a usable size that did not read, edges soft or not. Soft
//!    edges (the steepest step inside a busy block is a small part of its spread) without any
//!    finder pattern are a blurred code; sharp busy blocks without one are other things on the
//!    screen (text, icons), so no code.

use std::borrow::Cow;

use image::GrayImage;

use crate::scan::{binarize, scale};

/// What the screen says when a frame holds no code that could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanHint {
    /// Nothing like a QR code in view: point the camera at the device's screen.
    NoCode,
    /// A code is in view but too small to read: move closer.
    TooSmall,
    /// A code is in view but blurred (shake, focus): hold still.
    Blurred,
    /// Glare or overexposure hides the code: tilt the phone.
    Glare,
    /// Too dark to see the code.
    TooDark,
}

impl ScanHint {
    /// A stable lower-case name, for logs and benchmark reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanHint::NoCode => "no_code",
            ScanHint::TooSmall => "too_small",
            ScanHint::Blurred => "blurred",
            ScanHint::Glare => "glare",
            ScanHint::TooDark => "too_dark",
        }
    }
}

impl std::fmt::Display for ScanHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest side of the image the hint is measured on.
const WORK_SIDE: u32 = 640;
/// Side of the blocks whose spread and steepest step are measured.
const BLOCK: usize = 8;
/// The brightest 1% of a frame under this level: too dark to read anything.
const DARK_LEVEL: u8 = 64;
/// A frame none of whose blocks spans this many levels is flat.
const FLAT_RANGE: u8 = 24;
/// A pixel of the shrunk frame at or over this level is blown out (a box average this high means
/// every pixel under it clipped).
const SATURATED: u8 = 250;
/// Blown-out share of the frame that is glare when a code is in view. Past the upper bound it is
/// a screenshot's or a printout's paper white, not a lamp's reflection.
const GLARE_SHARE: f64 = 0.02;
const MAX_GLARE_SHARE: f64 = 0.4;
/// Blown out along more than this share of the frame's edge: the white around a screenshot's or
/// a printout's code, not a spot of glare.
const PAPER_WHITE_BORDER: f64 = 0.5;
/// A busy block's spread is at least this, and at least `NOISE_FACTOR` times the median block's.
const MIN_BUSY_RANGE: u8 = 40;
const NOISE_FACTOR: u32 = 3;
/// Fewer busy blocks than this is no patch at all.
const MIN_BUSY_BLOCKS: usize = 4;
/// Modules of a QR code across, for the side estimate (the HCR1 codes are versions 5 to 7).
const MODULES_ACROSS: f64 = 37.0;
/// Finder modules under this many pixels of the frame cannot be read.
const MIN_MODULE_PX: f64 = 2.0;
/// A code side under this share of the frame's shorter side is too small.
const MIN_SIDE_SHARE: f64 = 0.125;
/// Mean steepest step over spread of the busy blocks under this: soft edges.
const SOFT_EDGES: f64 = 0.45;

/// Why `image` (an upright frame in which nothing decoded) could not be read.
pub(crate) fn hint_for(image: &GrayImage) -> ScanHint {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return ScanHint::NoCode;
    }
    let factor = width.max(height).div_ceil(WORK_SIDE).max(1);
    let work: Cow<'_, GrayImage> = if factor == 1 {
        Cow::Borrowed(image)
    } else {
        Cow::Owned(scale::shrink(image, factor))
    };
    if work.width() == 0 || work.height() == 0 {
        return ScanHint::NoCode;
    }
    let levels = Levels::of(&work);
    if levels.high < DARK_LEVEL {
        return ScanHint::TooDark;
    }
    let blocks = Blocks::of(&work);
    if blocks.widest < FLAT_RANGE {
        return ScanHint::NoCode;
    }
    let finders = finder_modules(&work);
    let code_in_view = !finders.is_empty() || blocks.busy.len() >= MIN_BUSY_BLOCKS;
    let glare_spot = (GLARE_SHARE..=MAX_GLARE_SHARE).contains(&levels.saturated)
        && levels.saturated_border < PAPER_WHITE_BORDER;
    if code_in_view && glare_spot {
        return ScanHint::Glare;
    }
    if !code_in_view {
        return ScanHint::NoCode;
    }
    let shorter = f64::from(width.min(height));
    let side_px = match median(&finders) {
        Some(module) => {
            let module_px = module * f64::from(factor);
            if module_px < MIN_MODULE_PX {
                return ScanHint::TooSmall;
            }
            module_px * MODULES_ACROSS
        }
        None => (blocks.patch_side() * BLOCK) as f64 * f64::from(factor),
    };
    if side_px < shorter * MIN_SIDE_SHARE {
        return ScanHint::TooSmall;
    }
    if finders.is_empty() && blocks.sharpness() >= SOFT_EDGES {
        return ScanHint::NoCode;
    }
    ScanHint::Blurred
}

/// The frame's bright end and its blown-out share.
struct Levels {
    /// 99th percentile.
    high: u8,
    saturated: f64,
    /// Blown-out share of the pixels along the frame's edge.
    saturated_border: f64,
}

impl Levels {
    fn of(image: &GrayImage) -> Self {
        let mut histogram = [0usize; 256];
        for &p in image.as_raw() {
            histogram[usize::from(p)] += 1;
        }
        let total = image.as_raw().len();
        let level_at = |share: f64| {
            let rank = ((total as f64 * share) as usize).min(total - 1);
            let mut seen = 0;
            for (level, &count) in histogram.iter().enumerate() {
                seen += count;
                if seen > rank {
                    return level as u8;
                }
            }
            255
        };
        let saturated: usize = histogram[usize::from(SATURATED)..].iter().sum();
        let (width, height) = (image.width(), image.height());
        let border = (0..width)
            .flat_map(|x| [(x, 0), (x, height - 1)])
            .chain((0..height).flat_map(|y| [(0, y), (width - 1, y)]));
        let (mut edge, mut blown) = (0usize, 0usize);
        for (x, y) in border {
            edge += 1;
            blown += usize::from(image.get_pixel(x, y).0[0] >= SATURATED);
        }
        Levels {
            saturated_border: blown as f64 / edge.max(1) as f64,
            high: level_at(0.99),
            saturated: saturated as f64 / total as f64,
        }
    }
}

/// The busy 8x8 blocks of a frame: where they are and how steep their edges are.
struct Blocks {
    across: usize,
    /// The largest spread of any block.
    widest: u8,
    /// Index (row * across + column) of every busy block, and its steepest horizontal and
    /// vertical step over its spread.
    busy: Vec<(usize, f64, f64)>,
}

impl Blocks {
    fn of(image: &GrayImage) -> Self {
        let (width, height) = (image.width() as usize, image.height() as usize);
        let pixels = image.as_raw();
        let (across, down) = (width.div_ceil(BLOCK), height.div_ceil(BLOCK));
        // Per block: darkest, lightest, steepest step along a row and along a column.
        let mut stats = vec![(255u8, 0u8, 0u8, 0u8); across * down];
        for y in 0..height {
            let row = &pixels[y * width..(y + 1) * width];
            let above = (y > 0).then(|| &pixels[(y - 1) * width..y * width]);
            for (x, &p) in row.iter().enumerate() {
                let block = &mut stats[(y / BLOCK) * across + x / BLOCK];
                block.0 = block.0.min(p);
                block.1 = block.1.max(p);
                if x > 0 {
                    block.2 = block.2.max(p.abs_diff(row[x - 1]));
                }
                if let Some(above) = above {
                    block.3 = block.3.max(p.abs_diff(above[x]));
                }
            }
        }
        let mut ranges: Vec<u8> = stats.iter().map(|s| s.1 - s.0).collect();
        ranges.sort_unstable();
        let noise = u32::from(ranges[ranges.len() / 2]);
        let widest = ranges[ranges.len() - 1];
        let threshold = u32::from(MIN_BUSY_RANGE).max(NOISE_FACTOR * noise);
        let busy = stats
            .iter()
            .enumerate()
            .filter_map(|(index, &(low, high, step_x, step_y))| {
                let range = u32::from(high - low);
                (range >= threshold).then(|| {
                    let spread = f64::from(range);
                    (
                        index,
                        f64::from(step_x) / spread,
                        f64::from(step_y) / spread,
                    )
                })
            })
            .collect();
        Blocks {
            across,
            widest,
            busy,
        }
    }

    /// The side, in blocks, of the bounding box of the busy blocks around their median position:
    /// the extent of the patch a code would make (stray busy blocks elsewhere barely move it).
    fn patch_side(&self) -> usize {
        if self.busy.is_empty() {
            return 0;
        }
        let mut columns: Vec<usize> = self.busy.iter().map(|b| b.0 % self.across).collect();
        let mut rows: Vec<usize> = self.busy.iter().map(|b| b.0 / self.across).collect();
        columns.sort_unstable();
        rows.sort_unstable();
        // The middle 80% of the busy blocks, each way.
        let span = |sorted: &[usize]| {
            let cut = sorted.len() / 10;
            sorted[sorted.len() - 1 - cut] - sorted[cut] + 1
        };
        span(&columns).max(span(&rows))
    }

    /// How steep the busy blocks' edges are: the mean steepest step over spread, along rows and
    /// along columns, whichever is softer (a shake blurs along its own direction only).
    fn sharpness(&self) -> f64 {
        if self.busy.is_empty() {
            return 0.0;
        }
        let n = self.busy.len() as f64;
        let along_rows: f64 = self.busy.iter().map(|b| b.1).sum::<f64>() / n;
        let along_columns: f64 = self.busy.iter().map(|b| b.2).sum::<f64>() / n;
        along_rows.min(along_columns)
    }
}

/// The module size (in pixels of `image`) of every finder-pattern candidate: a dark-light-dark-
/// light-dark run of widths 1:1:3:1:1 along a row whose centre column shows the same pattern.
fn finder_modules(image: &GrayImage) -> Vec<f64> {
    let bitmap = binarize::local_average(image, false);
    let (width, height) = (bitmap.width, bitmap.height);
    let dark = |x: usize, y: usize| bitmap.bits[y * width + x] != 0;
    let mut modules: Vec<(usize, usize, f64)> = Vec::new();
    // Every other row: a finder is at least 7 rows high, so none is missed.
    for y in (0..height).step_by(2) {
        let mut runs: Vec<(usize, usize)> = Vec::new(); // (start, length) of alternating runs
        let mut start = 0;
        for x in 1..=width {
            if x == width || dark(x, y) != dark(start, y) {
                runs.push((start, x - start));
                start = x;
            }
        }
        let first_dark = usize::from(!dark(0, y));
        for i in (first_dark..runs.len().saturating_sub(4)).step_by(2) {
            let lengths = [
                runs[i].1,
                runs[i + 1].1,
                runs[i + 2].1,
                runs[i + 3].1,
                runs[i + 4].1,
            ];
            let Some(module) = finder_ratio(lengths) else {
                continue;
            };
            let centre = runs[i + 2].0 + runs[i + 2].1 / 2;
            if !column_confirms(&dark, centre, y, height, module) {
                continue;
            }
            // One candidate per finder: rows through the same one land close together.
            let near = modules.iter().any(|&(cx, cy, m)| {
                cx.abs_diff(centre) as f64 <= 2.0 * m && cy.abs_diff(y) as f64 <= 7.0 * m
            });
            if !near {
                modules.push((centre, y, module));
            }
            if modules.len() >= 32 {
                return modules.into_iter().map(|m| m.2).collect();
            }
        }
    }
    modules.into_iter().map(|m| m.2).collect()
}

/// The module size when five runs are 1:1:3:1:1 within half a module each, else `None`.
fn finder_ratio(lengths: [usize; 5]) -> Option<f64> {
    let total: usize = lengths.iter().sum();
    if total < 7 {
        return None;
    }
    let module = total as f64 / 7.0;
    let tolerance = (module / 2.0).max(0.75);
    let fits = lengths
        .iter()
        .zip([1.0, 1.0, 3.0, 1.0, 1.0])
        .all(|(&length, expected)| {
            (length as f64 - expected * module).abs() <= tolerance * expected.max(1.5)
        });
    fits.then_some(module)
}

/// Whether the column through (x, y) also crosses dark-light-dark-light-dark runs of about
/// `module`: the centre's dark run spans about three modules, and light then dark follow on
/// both sides.
fn column_confirms(
    dark: &impl Fn(usize, usize) -> bool,
    x: usize,
    y: usize,
    height: usize,
    module: f64,
) -> bool {
    if !dark(x, y) {
        return false;
    }
    let limit = (module * 4.0).ceil() as usize + 2;
    // Lengths of the runs met walking from the centre: dark (centre), light, dark.
    let walk = |step: isize| -> [usize; 3] {
        let mut lengths = [0usize; 3];
        let mut expect_dark = true;
        let mut run = 0;
        let mut yy = y as isize;
        while run < 3 && yy >= 0 && (yy as usize) < height {
            if dark(x, yy as usize) == expect_dark {
                lengths[run] += 1;
                if lengths[run] > limit * 3 {
                    return [0; 3];
                }
                yy += step;
            } else {
                run += 1;
                expect_dark = !expect_dark;
            }
        }
        lengths
    };
    let (up, down) = (walk(-1), walk(1));
    let centre = (up[0] + down[0]).saturating_sub(1);
    finder_ratio([up[2], up[1], centre, down[1], down[2]]).is_some()
}

fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(sorted[sorted.len() / 2])
}

#[cfg(test)]
mod tests {
    use image::{GrayImage, Luma};

    use super::*;
    use crate::scan::Scanner;
    use crate::scan::testing::sample_reset_text;

    /// The device's QR code at `module` pixels a module, centred on a `width`x`height` grey
    /// (165) background, dark modules 35 and light ones 215: a monitor filmed by a phone.
    fn code_on_wall(width: u32, height: u32, module: u32) -> GrayImage {
        let code = qrcode::QrCode::new(sample_reset_text().as_bytes()).unwrap();
        let symbol = code
            .render::<Luma<u8>>()
            .module_dimensions(module, module)
            .dark_color(Luma([35]))
            .light_color(Luma([215]))
            .quiet_zone(true)
            .build();
        let mut scene = GrayImage::from_pixel(width, height, Luma([165]));
        let (x, y) = ((width - symbol.width()) / 2, (height - symbol.height()) / 2);
        image::imageops::overlay(&mut scene, &symbol, i64::from(x), i64::from(y));
        scene
    }

    /// Sensor noise of about `sigma` levels, the same on every run.
    fn noisy(mut image: GrayImage, sigma: f64) -> GrayImage {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for p in image.pixels_mut() {
            // Sum of four uniforms: close enough to a normal for a sensor.
            let mut sum = 0.0;
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                sum += (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            }
            let value = f64::from(p.0[0]) + sum * sigma * 1.7;
            p.0[0] = value.clamp(0.0, 255.0) as u8;
        }
        image
    }

    /// What the scanner says about a frame the decoder cannot read: asserts it is unreadable
    /// first, since a readable frame never gets a hint.
    fn hint_of(frame: &GrayImage) -> ScanHint {
        assert!(
            Scanner::still().scan(frame).texts.is_empty(),
            "the test frame must not be readable"
        );
        hint_for(frame)
    }

    #[test]
    fn a_blank_wall_says_no_code_in_view() {
        let wall = noisy(GrayImage::from_pixel(640, 480, Luma([170])), 3.0);
        assert_eq!(hint_of(&wall), ScanHint::NoCode);
        let white = GrayImage::from_pixel(1920, 1080, Luma([255]));
        assert_eq!(hint_of(&white), ScanHint::NoCode, "a flat white screenshot");
    }

    #[test]
    fn a_tiny_code_far_away_says_move_closer() {
        for (width, height) in [(640, 480), (1920, 1080)] {
            let far = image::imageops::blur(&code_on_wall(width, height, 1), 0.7);
            assert_eq!(hint_of(&far), ScanHint::TooSmall, "{width}x{height}");
        }
    }

    #[test]
    fn a_blurred_photo_of_the_qr_says_hold_still_not_wrong_code() {
        let sharp = code_on_wall(1280, 720, 8);
        let blurred = image::imageops::blur(&sharp, 6.0);
        assert_eq!(hint_of(&blurred), ScanHint::Blurred);
    }

    #[test]
    fn a_shaken_camera_says_hold_still() {
        // A horizontal shake of four modules: the mean of shifted copies.
        let sharp = code_on_wall(1280, 720, 8);
        let shaken = GrayImage::from_fn(1280, 720, |x, y| {
            let sum: u32 = (0..32)
                .map(|d| u32::from(sharp.get_pixel((x + d).saturating_sub(16).min(1279), y).0[0]))
                .sum();
            Luma([(sum / 32) as u8])
        });
        assert_eq!(hint_of(&shaken), ScanHint::Blurred);
    }

    #[test]
    fn glare_over_the_code_says_tilt_the_phone() {
        let mut glare = code_on_wall(1280, 720, 6);
        let (cx, cy, radius) = (640.0, 360.0, 120.0_f64);
        for (x, y, p) in glare.enumerate_pixels_mut() {
            let d2 = ((f64::from(x) - cx).powi(2) + (f64::from(y) - cy).powi(2)) / radius.powi(2);
            let value = f64::from(p.0[0]) + 400.0 * (-d2).exp();
            p.0[0] = value.min(255.0) as u8;
        }
        assert_eq!(hint_of(&glare), ScanHint::Glare);
    }

    #[test]
    fn a_blurred_screenshot_on_white_is_blurred_not_glare() {
        let code = qrcode::QrCode::new(sample_reset_text().as_bytes()).unwrap();
        let screenshot = code.render::<Luma<u8>>().module_dimensions(8, 8).build();
        let blurred = image::imageops::blur(&screenshot, 6.0);
        assert_eq!(hint_of(&blurred), ScanHint::Blurred);
    }

    #[test]
    fn an_underexposed_frame_says_too_dark() {
        let code = code_on_wall(1280, 720, 6);
        let dark = GrayImage::from_fn(1280, 720, |x, y| {
            // 35..215 squeezed into 4..13: a dim room at a short exposure.
            Luma([4 + ((u32::from(code.get_pixel(x, y).0[0]) - 35) / 20) as u8])
        });
        assert_eq!(hint_of(&noisy(dark, 6.0)), ScanHint::TooDark);
    }

    #[test]
    fn any_size_of_frame_gets_a_hint_without_panicking() {
        // A frame far larger than the decoder uses is measured on the same 640-pixel image.
        let huge = GrayImage::from_pixel(6000, 6000, Luma([120]));
        assert_eq!(hint_for(&huge), ScanHint::NoCode);
        for (width, height) in [(1, 1), (1, 5000), (7, 3), (0, 0)] {
            let sliver = GrayImage::from_pixel(width, height, Luma([90]));
            assert_eq!(hint_for(&sliver), ScanHint::NoCode, "{width}x{height}");
        }
    }

    #[test]
    fn finder_patterns_are_found_with_their_module_size() {
        let code = code_on_wall(640, 480, 4);
        let modules = finder_modules(&code);
        assert!(modules.len() >= 3, "{modules:?}");
        let module = median(&modules).unwrap();
        assert!((3.0..=5.0).contains(&module), "{module}");
        assert!(finder_modules(&GrayImage::from_pixel(64, 64, Luma([200]))).is_empty());
    }
}
