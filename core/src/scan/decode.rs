//! The decoders: every QR text rqrr or rxing reads in one luma image, as it is. Which image to
//! give them and which text matters is decided above (`strategy`, `reset_qr`).
//!
//! rqrr 0.11 asserts inside its geometry code on some real photographs; such a panic is contained
//! here and reported as a miss, so a bad photo can never take the app down.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::GrayImage;

use crate::scan::binarize::Bitmap;

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
pub(crate) fn read_bitmap(bitmap: &Bitmap) -> Vec<String> {
    read_prepared!(rqrr::PreparedImage::prepare_from_bitmap(
        bitmap.width,
        bitmap.height,
        |x, y| bitmap.bits[y * bitmap.width + x] != 0
    ))
}

fn rxing_hints() -> rxing::DecodeHints {
    rxing::DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some(std::collections::HashSet::from([
            rxing::BarcodeFormat::QR_CODE,
        ])),
        ..rxing::DecodeHints::default()
    }
}

/// The first QR text rxing's single-symbol reader finds (it binarizes and detects on its own): the
/// cheap read. Never panics.
pub(crate) fn read_rxing_one(image: &GrayImage) -> Option<String> {
    contained(|| {
        rxing::helpers::detect_in_luma_slice_with_hints(
            image.as_raw(),
            image.width(),
            image.height(),
            Some(rxing::BarcodeFormat::QR_CODE),
            &mut rxing_hints(),
        )
        .ok()
        .map(|result| result.getText().to_owned())
    })
    .flatten()
}

/// Every QR text rxing's multi-symbol reader finds. Never panics.
pub(crate) fn read_rxing_all(image: &GrayImage) -> Vec<String> {
    contained(|| {
        rxing::helpers::detect_multiple_in_luma_with_hints(
            image.as_raw().clone(),
            image.width(),
            image.height(),
            &mut rxing_hints(),
        )
        .map(|results| results.iter().map(|r| r.getText().to_owned()).collect())
        .unwrap_or_default()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoder_panic_is_contained_and_reported_as_a_miss() {
        assert_eq!(contained(|| panic!("rqrr geometry assertion")), None::<()>);
        assert!(!panic_is_contained(), "the flag is reset after the guard");
    }
}
