//! What the scanner tries on a frame, in which order, and how much it may spend.
//!
//! A [`Scanner`] is one scanning session. Every image it is given gets a fixed budget of work
//! (`work`: counted, never timed): each attempt (a size, a contrast repair, a polarity) is admitted
//! only if its cost fits what is left, and the first attempt that reads anything ends the search.
//! A camera session keeps state between frames so that the expensive attempts are spread over
//! successive frames instead of stacked on one: every frame first looks again where the code was
//! last seen (a crop at full resolution), then runs the cheapest attempt, then resumes the others
//! where the previous frame stopped, so a steady stream of frames tries every attempt within a few
//! frames. A still image (gallery photo, screenshot) gets a larger budget and the attempts in
//! order. When an attempt at a reduced size sees a likely code (three finder patterns) it cannot
//! read, the same place is read next at full resolution: a small or dense code in a large frame is
//! found cheaply and decoded from a crop.

use std::borrow::Cow;

use image::GrayImage;

use rxing::common::BitMatrix;

#[cfg(feature = "measuring-decoders")]
use crate::scan::binarize;
use crate::scan::decode::{Detection, Region, read_qr};
#[cfg(feature = "measuring-decoders")]
use crate::scan::decode::{read_bitmap, read_grey};
use crate::scan::reset_qr::Reading;
use crate::scan::work::{CAMERA_BUDGET, SAMPLE_COST, STILL_BUDGET, Work};
use crate::scan::{contrast, scale};

/// How an attempt reads the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// rqrr's own running-mean threshold. Outside the work bound (rqrr cannot be stopped between
    /// steps): only for measuring, never in the app's search.
    Rqrr,
    /// rqrr after ZXing's local average over 8x8 blocks (see `binarize`). Measuring only.
    LocalAverage,
    /// The same with black and white swapped. Measuring only.
    LocalAverageInverted,
    /// rxing's zxing-cpp reader, step by step within the budget (`decode::read_qr`).
    Rxing,
    /// The same after stretching every neighbourhood to full contrast (glare, uneven light).
    RxingNormalized,
    /// The same with black and white swapped: light codes on a dark (dark-themed NVR) screen.
    RxingInverted,
}

/// The size an attempt works at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Shrunk by an integer factor until the longest side is at most this.
    Fit(u32),
    /// Doubled (small photos whose modules are under the 3-4 pixels a decoder needs); only for
    /// images whose longest side is at most [`DOUBLE_MAX_SIDE`].
    Double,
}

/// One step of the search: a size and a way to read at that size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub scale: Scale,
    pub method: Method,
}

/// Attempts and a work budget. [`Strategy::default`] is the app's search with a still image's
/// budget; [`Scanner::camera`] uses the same attempts with a camera frame's. Others are for
/// measuring attempts on their own (`hc-dev qr-bench --attempts`).
///
/// ```
/// use hc_core::scan::{Attempt, Method, Scale, Strategy};
///
/// let blank = image::GrayImage::from_pixel(64, 64, image::Luma([200]));
/// assert!(Strategy::default().read(&blank).is_empty());
/// let only_rxing = Strategy {
///     attempts: vec![Attempt { scale: Scale::Fit(u32::MAX), method: Method::Rxing }],
///     budget: u64::MAX,
/// };
/// assert!(only_rxing.read(&blank).is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strategy {
    pub attempts: Vec<Attempt>,
    /// Work units one image may spend (see `work`).
    pub budget: u64,
}

impl Default for Strategy {
    fn default() -> Self {
        Strategy {
            attempts: ATTEMPTS.to_vec(),
            budget: STILL_BUDGET,
        }
    }
}

impl Strategy {
    /// Every text the first successful attempt reads in one still image; empty when all fail or
    /// the budget runs out.
    pub fn read(&self, image: &GrayImage) -> Vec<String> {
        Scanner::with(self.clone(), false).scan(image).texts
    }
}

const fn attempt(scale: Scale, method: Method) -> Attempt {
    Attempt { scale, method }
}

/// The search order, measured with `hc-dev qr-bench` and `tools/scripts/qr-bench-zxing.py`
/// (docs/benchmarks.md). A phone-sized code reads fastest at 640 pixels, where the box filter also
/// averages sensor noise out; the contrast stretch rescues glare and washed-out screens; the
/// inverted polarity reads a dark-themed screen; 960 pixels and full size read small or dense
/// codes (and every sighting at a smaller size is read again from a full-resolution crop); 480
/// pixels averages the heaviest noise; doubling reads small photos.
pub(crate) const ATTEMPTS: &[Attempt] = &[
    attempt(Scale::Fit(640), Method::Rxing),
    attempt(Scale::Fit(640), Method::RxingNormalized),
    attempt(Scale::Fit(640), Method::RxingInverted),
    attempt(Scale::Fit(960), Method::Rxing),
    attempt(Scale::Fit(480), Method::Rxing),
    attempt(Scale::Fit(960), Method::RxingNormalized),
    attempt(Scale::Fit(u32::MAX), Method::Rxing),
    attempt(Scale::Double, Method::Rxing),
    attempt(Scale::Fit(u32::MAX), Method::RxingNormalized),
    attempt(Scale::Fit(960), Method::RxingInverted),
];

/// Images are shrunk first until their longest side is at most this: no decoder step gains from
/// more, and the work bound holds for any size.
pub const MAX_WORKING_SIDE: u32 = 2048;

/// And at most this many pixels (a 2048x1536 photo; a 1080p frame is under it).
pub const MAX_WORKING_PIXELS: u64 = 2048 * 1536;

/// Larger shrink factors than this thin the image first instead of reading every pixel.
const MAX_BOX_FACTOR: u32 = 4;

/// Doubling is for small photos; on a larger image it would only burn the budget.
pub const DOUBLE_MAX_SIDE: u32 = 800;

/// A crop read at full resolution is at most this on a side (larger ones are shrunk to it).
const CROP_MAX_SIDE: u32 = 720;

/// A likely code seen at a reduced size with modules under this many pixels is read again from a
/// full-resolution crop; larger modules were not what kept it unread.
const CROP_BELOW_MODULE_PX: f32 = 4.0;

/// Pixels of the box-filter shrink per unit (one vectorized pass, about 4 instructions a pixel).
const SHRINK_COST_DIVISOR: u64 = 12;
/// Units per pixel of the local contrast stretch (two passes).
const NORMALIZE_COST_PER_PIXEL: u64 = 2;
/// Units per pixel of rqrr (measuring only; not a bound).
const RQRR_COST_PER_PIXEL: u64 = 4;

/// What the last scan of a [`Scanner`] did and saw: for tests (the work bound), benchmarks and the
/// hints that say why a frame cannot be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanReport {
    /// Work units spent, never more than `budget`.
    pub work: u64,
    pub budget: u64,
    /// Attempts run (crops included).
    pub attempts: usize,
    /// The attempts of the search run, in order (crops not included).
    pub tried: Vec<Attempt>,
    /// The most finder patterns one attempt found.
    pub finder_patterns: usize,
    /// Module size in working-image pixels of the likeliest code seen, read or not.
    pub module_px: Option<f32>,
    /// Where that code is, in the working image (the input shrunk to [`MAX_WORKING_SIDE`]).
    pub region: Option<Region>,
    /// Size of the working image.
    pub working_size: (u32, u32),
}

/// One scanning session: a camera's stream of frames, or one still image. Keeps, between frames,
/// which attempt comes next and where the code was last seen, and (for tests, benchmarks and
/// hints) what the last scan did.
///
/// ```
/// use hc_core::scan::Scanner;
///
/// let mut camera = Scanner::camera();
/// let wall = image::GrayImage::from_pixel(1920, 1080, image::Luma([128]));
/// for _ in 0..5 {
///     assert!(camera.read(&wall).is_empty());
///     assert!(camera.last_report().work <= camera.last_report().budget);
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Scanner {
    strategy: Strategy,
    camera: bool,
    /// Index into the attempts where the next camera frame resumes after the first one.
    next: usize,
    /// Where a code was read or seen on the previous frame, and that frame's working size.
    last_seen: Option<(Region, (u32, u32))>,
    /// What the first attempt really spent on the previous frame: more than its predicted cost
    /// when the frame is busy with finder-pattern candidates (their scan is priced once the
    /// image is binarized), and the attempt resumed after it must still get its turn.
    first_spent: u64,
    report: ScanReport,
}

impl Scanner {
    /// A camera session: [`CAMERA_BUDGET`] a frame, attempts spread over successive frames.
    pub fn camera() -> Self {
        Scanner::with(
            Strategy {
                attempts: ATTEMPTS.to_vec(),
                budget: CAMERA_BUDGET,
            },
            true,
        )
    }

    /// One still image: [`STILL_BUDGET`], every attempt in order.
    pub fn still() -> Self {
        Scanner::with(Strategy::default(), false)
    }

    /// A session with other attempts or budget; `camera` keeps state between frames.
    pub fn with(strategy: Strategy, camera: bool) -> Self {
        Scanner {
            strategy,
            camera,
            next: 1,
            last_seen: None,
            first_spent: 0,
            report: ScanReport::default(),
        }
    }

    /// Every text the first successful attempt reads in this frame.
    pub fn read(&mut self, image: &GrayImage) -> Vec<String> {
        self.scan(image).texts
    }

    /// What the last [`Scanner::read`] did and saw.
    pub fn last_report(&self) -> &ScanReport {
        &self.report
    }

    /// Scans one frame and finds the reset QR in what it read.
    pub(crate) fn scan(&mut self, image: &GrayImage) -> Reading {
        let mut search = Search::new(
            image,
            self.strategy.budget,
            self.strategy.attempts.first().copied(),
        );
        let texts = self.search(&mut search);
        self.report = search.report();
        if self.camera {
            self.last_seen = search
                .seen
                .as_ref()
                .map(|seen| (seen.region, search.working.dimensions()));
        }
        Reading::of(texts)
    }

    fn search(&mut self, search: &mut Search<'_>) -> Vec<String> {
        let attempts = self.strategy.attempts.clone();
        if attempts.is_empty() || search.working.width() == 0 || search.working.height() == 0 {
            return Vec::new();
        }
        if let Some((region, size)) = self.last_seen.take() {
            if size == search.working.dimensions() {
                let texts = search.crop(region.grown(0.5, size.0, size.1));
                if !texts.is_empty() {
                    return texts;
                }
            }
        }
        if !self.camera {
            for attempt in &attempts {
                let texts = search.attempt(*attempt);
                if !texts.is_empty() {
                    return texts;
                }
            }
            return Vec::new();
        }
        // The camera: the first attempt every frame, then the others from where the last frame
        // stopped; the first that does not fit is where the next frame starts. One too large to
        // follow the first runs instead of it when its turn comes; one larger than a whole frame's
        // budget never runs.
        let others = attempts.len() - 1;
        let mut order: Vec<usize> = (0..others)
            .map(|step| 1 + (self.next.max(1) - 1 + step) % others)
            .collect();
        let first = search.first_cost.max(self.first_spent);
        match order.first() {
            Some(&head) if search.cost(attempts[head]) > search.budget.saturating_sub(first) => {
                order.insert(1, 0)
            }
            _ => order.insert(0, 0),
        }
        let mut resume = None;
        for index in order {
            let attempt = attempts[index];
            let cost = search.cost(attempt);
            if cost > search.budget {
                continue;
            }
            if cost > search.work.left() {
                if index != 0 {
                    resume.get_or_insert(index);
                }
                continue;
            }
            let before = search.work.spent();
            let texts = search.attempt(attempt);
            if index == 0 {
                self.first_spent = search.work.spent() - before;
            }
            if !texts.is_empty() {
                self.next = resume.unwrap_or(1);
                return texts;
            }
        }
        self.next = resume.unwrap_or(1);
        Vec::new()
    }
}

/// Something seen by an attempt: where, at which shrink factor of the working image.
struct Seen {
    /// In working-image pixels.
    region: Region,
    decoded: bool,
}

/// One image's search: the working image, its shrunk copies, the work counter, what was seen.
struct Search<'a> {
    working: Cow<'a, GrayImage>,
    scaled: Vec<(u32, GrayImage)>,
    /// The binarization of the image at each shrink factor, made by its first rxing attempt and
    /// reused by the other polarity's.
    binarized: Vec<(u32, BitMatrix)>,
    tried: Vec<(u32, Method)>,
    work: Work,
    budget: u64,
    /// Cost of the first attempt (what a camera frame spends first).
    first_cost: u64,
    seen: Option<Seen>,
    cropped: Vec<Region>,
    attempts: usize,
    ran: Vec<Attempt>,
    finder_patterns: usize,
    module_px: Option<f32>,
}

impl<'a> Search<'a> {
    fn new(image: &'a GrayImage, budget: u64, first: Option<Attempt>) -> Self {
        let mut work = Work::new(budget);
        let working = fit_working(image, &mut work);
        let mut search = Search {
            working,
            scaled: Vec::new(),
            binarized: Vec::new(),
            tried: Vec::new(),
            work,
            budget,
            first_cost: 0,
            seen: None,
            cropped: Vec::new(),
            attempts: 0,
            ran: Vec::new(),
            finder_patterns: 0,
            module_px: None,
        };
        search.first_cost = first.map_or(0, |first| search.cost(first));
        search
    }

    fn report(&self) -> ScanReport {
        ScanReport {
            work: self.work.spent(),
            budget: self.budget,
            attempts: self.attempts,
            tried: self.ran.clone(),
            finder_patterns: self.finder_patterns,
            module_px: self.module_px,
            region: self.seen.as_ref().map(|s| s.region),
            working_size: self.working.dimensions(),
        }
    }

    /// The shrink factor of `scale` on the working image; 0 for doubling, `None` when the scale
    /// does not apply.
    fn factor(&self, scale: Scale) -> Option<u32> {
        let side = self.working.width().max(self.working.height());
        match scale {
            Scale::Fit(fit) => Some(side.div_ceil(fit.max(1)).max(1)),
            Scale::Double if side <= DOUBLE_MAX_SIDE => Some(0),
            Scale::Double => None,
        }
    }

    /// What `attempt` would cost at most: its resize, repair, binarization and one sample.
    fn cost(&self, attempt: Attempt) -> u64 {
        let Some(factor) = self.factor(attempt.scale) else {
            return 0;
        };
        let full = u64::from(self.working.width()) * u64::from(self.working.height());
        let (pixels, resize) = match factor {
            0 => (4 * full, 4 * full),
            1 => (full, 0),
            f => (full / u64::from(f * f), full / SHRINK_COST_DIVISOR),
        };
        let resize = if self.scaled.iter().any(|(f, _)| *f == factor) {
            0
        } else {
            resize
        };
        let method = match attempt.method {
            Method::RxingNormalized => pixels * (1 + NORMALIZE_COST_PER_PIXEL) + SAMPLE_COST,
            Method::Rxing | Method::RxingInverted => pixels + SAMPLE_COST,
            Method::Rqrr | Method::LocalAverage | Method::LocalAverageInverted => {
                pixels * RQRR_COST_PER_PIXEL
            }
        };
        resize + method
    }

    /// Runs one attempt if it fits: every text it reads.
    fn attempt(&mut self, attempt: Attempt) -> Vec<String> {
        let Some(factor) = self.factor(attempt.scale) else {
            return Vec::new();
        };
        // On a small image "fit 960" and "full size" are the same attempt: run it once.
        if self.tried.contains(&(factor, attempt.method)) || self.cost(attempt) > self.work.left() {
            return Vec::new();
        }
        self.tried.push((factor, attempt.method));
        let Some(index) = self.scaled_index(factor) else {
            return Vec::new();
        };
        let image = match index {
            Some(i) => &self.scaled[i].1,
            None => self.working.as_ref(),
        };
        if image.width() == 0 || image.height() == 0 {
            return Vec::new();
        }
        self.attempts += 1;
        self.ran.push(attempt);
        let detection = match attempt.method {
            Method::Rxing | Method::RxingInverted => {
                let cached = self.binarized.iter().position(|(f, _)| *f == factor);
                let mut binarized = cached.map(|i| self.binarized.swap_remove(i).1);
                let invert = attempt.method == Method::RxingInverted;
                let detection = read_qr(image, invert, &mut self.work, &mut binarized);
                if let Some(matrix) = binarized {
                    self.binarized.push((factor, matrix));
                }
                detection
            }
            Method::RxingNormalized => {
                let pixels = u64::from(image.width()) * u64::from(image.height());
                if !self.work.admit(pixels * NORMALIZE_COST_PER_PIXEL) {
                    return Vec::new();
                }
                let normalized = contrast::normalize_local(image);
                read_qr(&normalized, false, &mut self.work, &mut None)
            }
            // Measured only, and built only for measuring: the app never lists these attempts.
            #[cfg(not(feature = "measuring-decoders"))]
            Method::Rqrr | Method::LocalAverage | Method::LocalAverageInverted => {
                return Vec::new();
            }
            #[cfg(feature = "measuring-decoders")]
            Method::Rqrr | Method::LocalAverage | Method::LocalAverageInverted => {
                let pixels = u64::from(image.width()) * u64::from(image.height());
                if !self.work.admit(pixels * RQRR_COST_PER_PIXEL) {
                    return Vec::new();
                }
                let texts = match attempt.method {
                    Method::Rqrr => read_grey(image),
                    Method::LocalAverage => read_bitmap(&binarize::local_average(image, false)),
                    _ => read_bitmap(&binarize::local_average(image, true)),
                };
                Detection {
                    texts,
                    ..Detection::default()
                }
            }
        };
        // Back to working-image pixels.
        let (width, height) = self.working.dimensions();
        let to_working = match factor {
            0 => 0.5,
            f => f as f32,
        };
        self.note(detection, to_working, width, height, factor > 1)
    }

    /// Records what an attempt saw; a likely code it could not read at a reduced size is read
    /// again at once from a full-resolution crop.
    fn note(
        &mut self,
        detection: Detection,
        to_working: f32,
        width: u32,
        height: u32,
        reduced: bool,
    ) -> Vec<String> {
        self.finder_patterns = self.finder_patterns.max(detection.finder_patterns);
        let region = detection
            .region
            .map(|r| r.scaled(to_working, width, height));
        if let Some(region) = region {
            let decoded = !detection.texts.is_empty();
            if decoded || self.seen.as_ref().is_none_or(|s| !s.decoded) {
                self.seen = Some(Seen { region, decoded });
                self.module_px = detection.module_px.map(|m| m * to_working);
            }
        }
        if !detection.texts.is_empty() {
            return detection.texts;
        }
        // Only when the reduced size is what kept it unread: modules under CROP_BELOW_MODULE_PX.
        let small = detection
            .module_px
            .is_some_and(|m| m < CROP_BELOW_MODULE_PX);
        match region {
            Some(region) if reduced && small => self.crop(region),
            _ => Vec::new(),
        }
    }

    /// Reads `region` of the working image at full resolution (shrunk to [`CROP_MAX_SIDE`] if
    /// larger), each region once.
    fn crop(&mut self, region: Region) -> Vec<String> {
        if self.cropped.contains(&region) {
            return Vec::new();
        }
        self.cropped.push(region);
        let side = region.width().max(region.height());
        let factor = side.div_ceil(CROP_MAX_SIDE).max(1);
        let pixels = u64::from(region.width()) * u64::from(region.height());
        let read = pixels / u64::from(factor * factor);
        if read < 21 * 21 || pixels / SHRINK_COST_DIVISOR + read + SAMPLE_COST > self.work.left() {
            return Vec::new();
        }
        if !self.work.admit(pixels / SHRINK_COST_DIVISOR) {
            return Vec::new();
        }
        let cut = image::imageops::crop_imm(
            self.working.as_ref(),
            region.left,
            region.top,
            region.width(),
            region.height(),
        )
        .to_image();
        let cut = if factor > 1 {
            scale::shrink(&cut, factor)
        } else {
            cut
        };
        self.attempts += 1;
        let mut binarized = None;
        let detection = read_qr(&cut, false, &mut self.work, &mut binarized);
        let detection = if detection.texts.is_empty() && self.work.left() > read + SAMPLE_COST {
            // A dark-themed screen seen close (the same binarization, flipped).
            read_qr(&cut, true, &mut self.work, &mut binarized)
        } else {
            detection
        };
        self.finder_patterns = self.finder_patterns.max(detection.finder_patterns);
        if !detection.texts.is_empty() {
            let (width, height) = self.working.dimensions();
            let found = detection
                .region
                .map(|r| r.scaled(factor as f32, region.width(), region.height()))
                .map(|r| r.offset(region.left, region.top, width, height))
                .unwrap_or(region);
            self.seen = Some(Seen {
                region: found,
                decoded: true,
            });
            self.module_px = detection.module_px.map(|m| m * factor as f32);
        }
        detection.texts
    }

    /// The index in `scaled` of the image at `factor` (made and charged on first use), `None`
    /// inside for the working image itself; `None` outside when the resize does not fit.
    fn scaled_index(&mut self, factor: u32) -> Option<Option<usize>> {
        if factor == 1 {
            return Some(None);
        }
        if let Some(i) = self.scaled.iter().position(|(f, _)| *f == factor) {
            return Some(Some(i));
        }
        let full = u64::from(self.working.width()) * u64::from(self.working.height());
        let cost = if factor == 0 {
            4 * full
        } else {
            full / SHRINK_COST_DIVISOR
        };
        if !self.work.admit(cost) {
            return None;
        }
        let resized = if factor == 0 {
            scale::double(&self.working)
        } else {
            scale::shrink(&self.working, factor)
        };
        self.scaled.push((factor, resized));
        Some(Some(self.scaled.len() - 1))
    }
}

/// The image shrunk until its longest side is at most [`MAX_WORKING_SIDE`] and its area at most
/// [`MAX_WORKING_PIXELS`], charged to `work`: averaged by a box filter when that is cheap, else
/// thinned to every n-th pixel, which costs what it keeps, not what it had. Empty when even that
/// does not fit the budget.
fn fit_working<'a>(image: &'a GrayImage, work: &mut Work) -> Cow<'a, GrayImage> {
    let (width, height) = image.dimensions();
    let area = u64::from(width) * u64::from(height);
    let by_side = width.max(height).div_ceil(MAX_WORKING_SIDE);
    let by_area = (area as f64 / MAX_WORKING_PIXELS as f64).sqrt().ceil() as u32;
    let factor = by_side.max(by_area).max(1);
    if factor == 1 {
        return Cow::Borrowed(image);
    }
    let refused = || Cow::Owned(GrayImage::new(0, 0));
    // Box-filtering reads every pixel: worth it unless that alone takes a good part of the budget.
    if factor <= MAX_BOX_FACTOR && area / SHRINK_COST_DIVISOR <= work.left() / 4 {
        if !work.admit(area / SHRINK_COST_DIVISOR) {
            return refused();
        }
        return Cow::Owned(scale::shrink(image, factor));
    }
    // Thin straight to the working size: one read of each pixel kept.
    let kept = u64::from(width / factor) * u64::from(height / factor);
    if !work.admit(kept / SHRINK_COST_DIVISOR) {
        return refused();
    }
    Cow::Owned(scale::thin(image, factor))
}

impl Region {
    /// The region grown by `fraction` of its size on each side, within `width` x `height`.
    fn grown(&self, fraction: f32, width: u32, height: u32) -> Region {
        let dx = (self.width() as f32 * fraction) as u32;
        let dy = (self.height() as f32 * fraction) as u32;
        Region {
            left: self.left.saturating_sub(dx),
            top: self.top.saturating_sub(dy),
            right: (self.right + dx).min(width),
            bottom: (self.bottom + dy).min(height),
        }
    }

    /// A region of a crop, moved to the image the crop was cut from.
    fn offset(&self, left: u32, top: u32, width: u32, height: u32) -> Region {
        Region {
            left: (self.left + left).min(width),
            top: (self.top + top).min(height),
            right: (self.right + left).min(width),
            bottom: (self.bottom + top).min(height),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::testing::{qr_scene, sample_reset_text};

    /// Deterministic noise (xorshift), so a failing case is the same on every run.
    fn noise(width: u32, height: u32, mean: u8, spread: u8, seed: u64) -> GrayImage {
        let mut state = seed | 1;
        GrayImage::from_fn(width, height, |_, _| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let offset = (state % (2 * u64::from(spread) + 1)) as i32 - i32::from(spread);
            image::Luma([(i32::from(mean) + offset).clamp(0, 255) as u8])
        })
    }

    /// A wall of QR finder patterns (7x7 modules of `module` pixels, one module apart): thousands
    /// of candidates and millions of plausible triples for a decoder that tries them all.
    fn fake_finder_patterns(width: u32, height: u32, module: u32) -> GrayImage {
        let pitch = 8 * module;
        GrayImage::from_fn(width, height, |x, y| {
            let (mx, my) = ((x % pitch) / module, (y % pitch) / module);
            // Distance from the pattern's edge in modules: dark, light, then a 3x3 dark centre.
            let dark = mx < 7 && my < 7 && mx.min(my).min(6 - mx).min(6 - my) != 1;
            image::Luma([if dark { 20 } else { 235 }])
        })
    }

    fn checkerboard(width: u32, height: u32, square: u32) -> GrayImage {
        GrayImage::from_fn(width, height, |x, y| {
            image::Luma([if (x / square + y / square) % 2 == 0 {
                0
            } else {
                255
            }])
        })
    }

    fn adversarial_frames() -> Vec<(&'static str, GrayImage)> {
        vec![
            ("6000x6000 noise", noise(6000, 6000, 128, 127, 1)),
            ("dark noisy 1080p", noise(1920, 1080, 18, 18, 2)),
            ("all-black 1080p", GrayImage::new(1920, 1080)),
            ("1-pixel checkerboard", checkerboard(1920, 1080, 1)),
            ("3-pixel checkerboard", checkerboard(1920, 1080, 3)),
            (
                "thousands of fake finder patterns",
                fake_finder_patterns(1920, 1080, 3),
            ),
            (
                "small fake finder patterns",
                fake_finder_patterns(1280, 720, 1),
            ),
            (
                "a 1x4000 sliver",
                GrayImage::from_pixel(1, 4000, image::Luma([90])),
            ),
        ]
    }

    #[test]
    fn no_frame_costs_more_than_its_budget_whatever_it_shows() {
        for (what, frame) in adversarial_frames() {
            let mut camera = Scanner::camera();
            for n in 0..4 {
                assert!(camera.read(&frame).is_empty(), "{what}");
                let report = camera.last_report();
                assert!(
                    report.work <= CAMERA_BUDGET,
                    "{what}, frame {n}: {} units of {CAMERA_BUDGET}",
                    report.work
                );
            }
            let mut still = Scanner::still();
            assert!(still.read(&frame).is_empty(), "{what}");
            assert!(
                still.last_report().work <= STILL_BUDGET,
                "{what} as a still image: {} units",
                still.last_report().work
            );
        }
    }

    #[test]
    fn an_image_larger_than_the_decoder_uses_is_shrunk_first() {
        let mut still = Scanner::still();
        still.read(&noise(6000, 6000, 128, 60, 3));
        let (width, height) = still.last_report().working_size;
        assert!(width.max(height) <= MAX_WORKING_SIDE, "{width}x{height}");
        assert!(u64::from(width) * u64::from(height) <= MAX_WORKING_PIXELS);
        assert!(still.last_report().attempts > 0, "and then searched");
    }

    #[test]
    fn a_steady_stream_of_frames_tries_every_attempt_within_a_few_frames() {
        let wall = noise(1920, 1080, 128, 30, 4);
        let mut camera = Scanner::camera();
        let mut tried = Vec::new();
        for _ in 0..6 {
            camera.read(&wall);
            tried.extend(camera.last_report().tried.iter().copied());
        }
        // Every attempt that fits one frame's budget; doubling does not apply to a 1080p frame,
        // and the contrast stretch at full size is for still images (three passes over 2
        // megapixels are more than a frame may spend).
        let search = Search::new(&wall, CAMERA_BUDGET, None);
        for attempt in ATTEMPTS {
            if search.factor(attempt.scale).is_some() && search.cost(*attempt) <= CAMERA_BUDGET {
                assert!(tried.contains(attempt), "{attempt:?} never ran: {tried:?}");
            }
        }
        assert!(
            !tried.contains(&attempt(Scale::Fit(u32::MAX), Method::RxingNormalized)),
            "one that does not fit a frame never runs on the camera"
        );
    }

    #[test]
    fn a_light_code_on_a_dark_screen_is_read() {
        let text = sample_reset_text();
        let mut scene = qr_scene(&[&text], 640, 480);
        image::imageops::invert(&mut scene);
        assert_eq!(Strategy::default().read(&scene), vec![text.clone()]);
        let mut camera = Scanner::camera();
        let read = (0..4).any(|_| camera.read(&scene) == vec![text.clone()]);
        assert!(read, "the camera reads it within a few frames");
    }

    #[test]
    fn a_small_code_in_a_large_frame_is_read_and_then_looked_for_where_it_was() {
        let text = sample_reset_text();
        // A 2-pixel-module code in a 1080p frame: a shrunk frame only sees its finder patterns.
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let symbol = code
            .render::<image::Luma<u8>>()
            .module_dimensions(2, 2)
            .build();
        let mut frame = GrayImage::from_pixel(1920, 1080, image::Luma([200]));
        image::imageops::overlay(&mut frame, &symbol, 1300, 700);
        let mut camera = Scanner::camera();
        let first = (0..4).position(|_| camera.read(&frame) == vec![text.clone()]);
        assert!(first.is_some(), "read within a few frames");
        assert!(camera.last_report().work <= CAMERA_BUDGET);
        // The next frame looks where the code was first, and reads it there.
        assert_eq!(camera.read(&frame), vec![text]);
        assert_eq!(
            camera.last_report().attempts,
            1,
            "{:?}",
            camera.last_report()
        );
    }
}
