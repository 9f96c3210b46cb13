//! What the scanner tries on one frame, in which order, and when it gives up.
//!
//! Attempts run cheapest and likeliest first and the first one that reads anything ends the
//! search. The search is bounded by a time budget: the camera delivers another frame anyway, so a
//! low-end phone should spend a few tens of milliseconds on a frame, not seconds.

use std::time::{Duration, Instant};

use hc_protocol::QR_PREFIX;
use image::GrayImage;

use crate::scan::decode::{read_bitmap, read_grey, read_rxing};
use crate::scan::scale;
use crate::scan::{binarize, contrast};

/// How an attempt reads the image: rqrr after one of the binarizations, or the fallback decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
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
pub(crate) enum Scale {
    /// Shrunk by an integer factor until the longest side is at most this.
    Fit(u32),
    /// Doubled (small photos whose modules are under the 3-4 pixels rqrr needs).
    Double,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt {
    pub scale: Scale,
    pub method: Method,
}

const fn attempt(scale: Scale, method: Method) -> Attempt {
    Attempt { scale, method }
}

/// The search order, measured with `hc qr-bench` and `cli/scripts/qr-bench-zxing.py`
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

/// Time after which no new attempt starts.
/// About 100 ms here is a few hundred on a low-end phone: still interactive, and the next
/// frame gets the search again.
pub(crate) const BUDGET: Duration = Duration::from_millis(100);

/// Every text the first successful attempt reads, reset codes first; empty when all fail or the
/// budget runs out.
pub(crate) fn scan(image: &GrayImage, attempts: &[Attempt], budget: Duration) -> Vec<String> {
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
        let mut texts = match attempt.method {
            Method::Rqrr => read_grey(work),
            Method::LocalAverage => read_bitmap(&binarize::local_average(work, false)),
            Method::LocalAverageInverted => read_bitmap(&binarize::local_average(work, true)),
            Method::Rxing => read_rxing(work),
            Method::RxingNormalized => read_rxing(&contrast::normalize_local(work)),
        };
        if !texts.is_empty() {
            texts.dedup();
            texts.sort_by_key(|t| !t.starts_with(QR_PREFIX));
            return texts;
        }
    }
    Vec::new()
}

/// For `hc qr-bench --attempts`: scans with an attempt list written as
/// `fit960:local,full:rqrr,double:inverted` (scales `fitN`, `full`, `double`; methods `rqrr`,
/// `local`, `inverted`, `rxing`, `normalize`) and no budget, to measure each strategy on its
/// own.
#[doc(hidden)]
pub fn scan_with_spec(image: &GrayImage, spec: &str) -> Result<Vec<String>, String> {
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
                other => return Err(format!("bad method {other}")),
            };
            Ok(attempt(scale, method))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(scan(image, &attempts, Duration::MAX))
}
