//! What the scanner tries on one frame, in which order, and when it gives up.
//!
//! Attempts run cheapest and likeliest first and the first one that reads anything ends the
//! search. The search is bounded by a soft time budget ([`BUDGET`]): no attempt starts after it,
//! but one already running finishes. The camera delivers another frame anyway, so a frame should
//! cost tens of milliseconds, not seconds (issue 15 tracks turning this into a hard bound).

use std::time::{Duration, Instant};

use image::GrayImage;

use crate::scan::decode::{read_bitmap, read_grey, read_rxing_all, read_rxing_one};
use crate::scan::reset_qr::Reading;
use crate::scan::scale;
use crate::scan::{binarize, contrast};

/// How an attempt reads the image: rxing (the first choice), or rqrr after one of the binarizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// rqrr's own running-mean threshold.
    Rqrr,
    /// ZXing's local average over 8x8 blocks (see `binarize`).
    LocalAverage,
    /// Local average with black and white swapped: light codes on a dark screen.
    LocalAverageInverted,
    /// rxing (the Rust port of ZXing) with its own binarizer and detector.
    Rxing,
    /// rxing after stretching every neighbourhood to full contrast (glare, uneven light).
    RxingNormalized,
}

/// The size an attempt works at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Shrunk by an integer factor until the longest side is at most this.
    Fit(u32),
    /// Doubled (small photos whose modules are under the 3-4 pixels a decoder needs).
    Double,
}

/// One step of the search: a size and a way to read at that size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub scale: Scale,
    pub method: Method,
}

/// How the scanner searches one image: the attempts in order, the first that reads anything ends
/// the search, and no attempt starts once the budget is spent. [`Strategy::default`] is the one
/// every frame and image of the app goes through; others are for measuring attempts on their own
/// (`hc-dev qr-bench --attempts`).
///
/// ```
/// use std::time::Duration;
/// use hc_core::scan::{Attempt, Method, Scale, Strategy};
///
/// let blank = image::GrayImage::from_pixel(64, 64, image::Luma([200]));
/// assert!(Strategy::default().read(&blank).is_empty());
/// let only_rqrr = Strategy {
///     attempts: vec![Attempt { scale: Scale::Fit(u32::MAX), method: Method::Rqrr }],
///     budget: Duration::MAX,
/// };
/// assert!(only_rqrr.read(&blank).is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strategy {
    pub attempts: Vec<Attempt>,
    /// Time after which no new attempt starts (one that runs is not cut short).
    pub budget: Duration,
}

impl Default for Strategy {
    fn default() -> Self {
        Strategy {
            attempts: ATTEMPTS.to_vec(),
            budget: BUDGET,
        }
    }
}

impl Strategy {
    /// Every text the first successful attempt reads; empty when all fail or the budget runs out.
    pub fn read(&self, image: &GrayImage) -> Vec<String> {
        scan(image, &self.attempts, self.budget).texts
    }
}

const fn attempt(scale: Scale, method: Method) -> Attempt {
    Attempt { scale, method }
}

/// The search order, measured with `hc-dev qr-bench` and `tools/scripts/qr-bench-zxing.py`
/// (docs/benchmarks.md). rxing leads because it measured both faster (0.3 ms against rqrr's 10 ms
/// median on the photo corpus) and more robust than rqrr. Shrinking a frame to at most 640 pixels
/// first is the fastest read of a phone-sized code and the best on sensor noise (the box filter
/// averages it out); the local normalization then rescues glare and washed-out screens; 480
/// pixels averages the heaviest noise of a 720p frame; 960 pixels and full size rescue small or
/// blurred codes; rqrr on the local-average bitmap and the doubled image rescue a few photos
/// rxing misses.
pub(crate) const ATTEMPTS: &[Attempt] = &[
    attempt(Scale::Fit(640), Method::Rxing),
    attempt(Scale::Fit(640), Method::RxingNormalized),
    attempt(Scale::Fit(480), Method::Rxing),
    attempt(Scale::Fit(960), Method::Rxing),
    attempt(Scale::Fit(960), Method::RxingNormalized),
    attempt(Scale::Fit(u32::MAX), Method::Rxing),
    attempt(Scale::Fit(960), Method::LocalAverage),
    attempt(Scale::Double, Method::Rxing),
    attempt(Scale::Fit(u32::MAX), Method::RxingNormalized),
    attempt(Scale::Fit(u32::MAX), Method::LocalAverage),
];

/// Time after which no new attempt starts (a soft limit: a running attempt is not cut short).
pub(crate) const BUDGET: Duration = Duration::from_millis(100);

/// What the first successful attempt reads; nothing when all fail or the budget runs out.
pub(crate) fn scan(image: &GrayImage, attempts: &[Attempt], budget: Duration) -> Reading {
    let started = Instant::now();
    let mut scaled: Vec<(Scale, u32, GrayImage)> = Vec::new();
    let mut tried: Vec<(u32, Method)> = Vec::new();
    for attempt in attempts {
        if started.elapsed() > budget {
            break;
        }
        // Key an attempt by its effective size, so that on a small frame "fit 1280" and "full
        // size" are the same attempt and run once.
        let factor = match attempt.scale {
            Scale::Fit(side) => image.width().max(image.height()).div_ceil(side).max(1),
            // Doubling is for small photos; on a camera frame it would only burn the budget.
            Scale::Double if image.width().max(image.height()) > 1280 => continue,
            Scale::Double => 0,
        };
        if tried.contains(&(factor, attempt.method)) {
            continue;
        }
        tried.push((factor, attempt.method));
        let work: &GrayImage = if factor == 1 {
            image
        } else {
            if !scaled.iter().any(|(_, f, _)| *f == factor) {
                let resized = match attempt.scale {
                    Scale::Double => scale::double(image),
                    Scale::Fit(_) => scale::shrink(image, factor),
                };
                scaled.push((attempt.scale, factor, resized));
            }
            &scaled
                .iter()
                .find(|(_, f, _)| *f == factor)
                .expect("just added")
                .2
        };
        // A sliver of a frame can shrink to nothing: there is nothing to read at that size.
        if work.width() == 0 || work.height() == 0 {
            continue;
        }
        let reading = match attempt.method {
            Method::Rqrr => Reading::of(read_grey(work)),
            Method::LocalAverage => Reading::of(read_bitmap(&binarize::local_average(work, false))),
            Method::LocalAverageInverted => {
                Reading::of(read_bitmap(&binarize::local_average(work, true)))
            }
            Method::Rxing => read_rxing(work),
            Method::RxingNormalized => read_rxing(&contrast::normalize_local(work)),
        };
        if !reading.texts.is_empty() {
            return reading;
        }
    }
    Reading::default()
}

/// rxing's single-symbol reader stops at the first code it finds. That is the cheap path and
/// almost always the reset code; when it is some other code (a sticker, a menu link beside the
/// monitor), the multi-symbol reader looks again so the reset code in the same frame is not lost.
fn read_rxing(image: &GrayImage) -> Reading {
    let Some(first) = read_rxing_one(image) else {
        return Reading::default();
    };
    let alone = Reading::of(vec![first.clone()]);
    if alone.found().is_some() {
        return alone;
    }
    let mut texts = read_rxing_all(image);
    if !texts.contains(&first) {
        texts.push(first);
    }
    Reading::of(texts)
}
