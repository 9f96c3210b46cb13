//! What the scanner tries on one frame, in which order, and when it gives up.
//!
//! Attempts run cheapest and likeliest first and the first one that reads anything ends the
//! search. The search is bounded by a time budget: the camera delivers another frame anyway, so a
//! low-end phone should spend a few tens of milliseconds on a frame, not seconds.

use std::time::{Duration, Instant};

use hc_protocol::QR_PREFIX;
use image::GrayImage;

use crate::scan::binarize;
use crate::scan::decode::{read_bitmap, read_grey};
use crate::scan::scale;

/// How an attempt turns grey into black and white.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binarizer {
    /// rqrr's own running-mean threshold.
    Rqrr,
    /// ZXing's local average over 8x8 blocks (see `binarize`).
    LocalAverage,
    /// Local average with black and white swapped: light codes on a dark screen.
    LocalAverageInverted,
}

/// The size an attempt works at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    /// Shrunk by an integer factor until the longest side is at most this.
    Fit(u32),
    /// Doubled (small photos whose modules are under the 3-4 pixels rqrr needs).
    Double,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt {
    pub scale: Scale,
    pub binarizer: Binarizer,
}

const fn attempt(scale: Scale, binarizer: Binarizer) -> Attempt {
    Attempt { scale, binarizer }
}

/// The search order, measured with `hc qr-bench` (docs/benchmarks.md).
pub(crate) const ATTEMPTS: &[Attempt] = &[
    attempt(Scale::Fit(1280), Binarizer::Rqrr),
    attempt(Scale::Fit(u32::MAX), Binarizer::Rqrr),
];

/// Time after which no new attempt starts.
pub(crate) const BUDGET: Duration = Duration::from_millis(10_000);

/// Every text the first successful attempt reads, reset codes first; empty when all fail or the
/// budget runs out.
pub(crate) fn scan(image: &GrayImage, attempts: &[Attempt], budget: Duration) -> Vec<String> {
    let started = Instant::now();
    let mut scaled: Vec<(Scale, u32, GrayImage)> = Vec::new();
    let mut tried: Vec<(u32, Binarizer)> = Vec::new();
    for attempt in attempts {
        if started.elapsed() > budget {
            break;
        }
        // Key an attempt by its effective size, so that on a small frame "fit 1280" and "full
        // size" are the same attempt and run once.
        let factor = match attempt.scale {
            Scale::Fit(side) => image.width().max(image.height()).div_ceil(side).max(1),
            Scale::Double => 0,
        };
        if tried.contains(&(factor, attempt.binarizer)) {
            continue;
        }
        tried.push((factor, attempt.binarizer));
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
            &scaled.iter().find(|(_, f, _)| *f == factor).expect("just added").2
        };
        let mut texts = match attempt.binarizer {
            Binarizer::Rqrr => read_grey(work),
            Binarizer::LocalAverage => read_bitmap(&binarize::local_average(work, false)),
            Binarizer::LocalAverageInverted => read_bitmap(&binarize::local_average(work, true)),
        };
        if !texts.is_empty() {
            texts.dedup();
            texts.sort_by_key(|t| !t.starts_with(QR_PREFIX));
            return texts;
        }
    }
    Vec::new()
}
