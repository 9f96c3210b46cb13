//! Finding QR codes in a luma image with rqrr, and picking the reset code among them.
//!
//! rqrr 0.11 asserts inside its geometry code on some real photographs; such a panic is contained
//! here and reported as a miss, so a bad photo can never take the app down.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use hc_protocol::QR_PREFIX;
use image::GrayImage;

use crate::error::{HcError, Result};
use crate::scan::binarize::Bitmap;
use crate::scan::frame::Frame;
use crate::scan::strategy;

/// Encoded images bigger than this are refused instead of decoded into memory.
const MAX_IMAGE_PIXELS: u64 = 50_000_000;

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

/// Every QR text rxing reads (it binarizes and detects on its own). Never panics.
///
/// rxing's single-symbol reader stops at the first code it finds. That is the cheap path and
/// almost always the reset code; when it is some other code (a sticker, a menu link beside the
/// monitor), the multi-symbol reader looks again so the reset code in the same frame is not lost.
pub(crate) fn read_rxing(image: &GrayImage) -> Vec<String> {
    use std::collections::HashSet;

    use rxing::{BarcodeFormat, DecodeHints};
    let hints = || DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        ..DecodeHints::default()
    };
    contained(|| {
        let first = rxing::helpers::detect_in_luma_slice_with_hints(
            image.as_raw(),
            image.width(),
            image.height(),
            Some(BarcodeFormat::QR_CODE),
            &mut hints(),
        )
        .map(|result| result.getText().to_owned());
        match first {
            Ok(text) if text.starts_with(QR_PREFIX) => vec![text],
            Ok(text) => {
                let mut texts: Vec<String> = rxing::helpers::detect_multiple_in_luma_with_hints(
                    image.as_raw().clone(),
                    image.width(),
                    image.height(),
                    &mut hints(),
                )
                .map(|results| results.iter().map(|r| r.getText().to_owned()).collect())
                .unwrap_or_default();
                if !texts.contains(&text) {
                    texts.push(text);
                }
                texts
            }
            Err(_) => Vec::new(),
        }
    })
    .unwrap_or_default()
}

/// The reset code if one is in view, else the first QR text.
fn pick(texts: Vec<String>) -> Option<String> {
    match texts.iter().position(|t| t.starts_with(QR_PREFIX)) {
        Some(index) => texts.into_iter().nth(index),
        None => texts.into_iter().next(),
    }
}

/// Scans an upright luma image with the search strategy (`strategy`): all texts the first
/// successful attempt reads, reset codes first.
pub(crate) fn scan_luma(image: &GrayImage) -> Vec<String> {
    strategy::scan(image, strategy::ATTEMPTS, strategy::BUDGET)
}

/// Decodes a camera frame: the reset code's text if one is in view, else the first QR text, else
/// `None`. Malformed frames are `InvalidFrame`.
pub fn decode_frame(frame: &Frame) -> Result<Option<String>> {
    Ok(pick(scan_luma(&frame.to_luma()?)))
}

/// Decodes an encoded PNG or JPEG (a screenshot, a photo from the gallery), with the same answer
/// as [`decode_frame`]. Bytes that are not such an image are `InvalidFrame`.
pub fn decode_image(bytes: &[u8]) -> Result<Option<String>> {
    Ok(pick(scan_luma(&image_to_luma(bytes)?)))
}

/// Decodes an encoded PNG or JPEG into its luma plane (what [`decode_image`] scans).
pub fn image_to_luma(bytes: &[u8]) -> Result<GrayImage> {
    let invalid = |detail: String| HcError::InvalidFrame { detail };
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| invalid(format!("unreadable image: {e}")))?;
    if reader.format().is_none() {
        return Err(invalid("not a PNG or JPEG image".into()));
    }
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| invalid(format!("unreadable image: {e}")))?;
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(invalid(format!("image of {width}x{height} is too large")));
    }
    let decoded =
        image::load_from_memory(bytes).map_err(|e| invalid(format!("unreadable image: {e}")))?;
    Ok(decoded.into_luma8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::frame::FrameFormat;
    use crate::scan::testing::*;

    #[test]
    fn a_reset_code_in_a_frame_is_read_back() {
        let text = sample_reset_text();
        let frame = frame_of(&qr_scene(&[&text], 640, 480), FrameFormat::Luma8, 0, 0);
        assert_eq!(decode_frame(&frame).unwrap(), Some(text));
    }

    #[test]
    fn every_format_and_rotation_reads_the_same_code() {
        let text = sample_reset_text();
        let scene = qr_scene(&[&text], 640, 480);
        for format in ALL_FORMATS {
            for rotation in [0, 90, 180, 270] {
                for padding in [0, 24] {
                    let frame = frame_of(&scene, format, rotation, padding);
                    assert_eq!(
                        decode_frame(&frame).unwrap().as_deref(),
                        Some(text.as_str()),
                        "{format:?} rotated {rotation} padding {padding}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_reset_code_wins_over_other_codes_in_view() {
        let text = sample_reset_text();
        let scene = qr_scene(&["https://example.invalid/menu", &text], 900, 480);
        let frame = frame_of(&scene, FrameFormat::Luma8, 0, 0);
        assert_eq!(decode_frame(&frame).unwrap(), Some(text));
        let texts = scan_luma(&scene);
        assert_eq!(texts.len(), 2, "both codes are read: {texts:?}");
    }

    #[test]
    fn a_frame_without_a_code_is_a_miss() {
        let blank = GrayImage::from_pixel(320, 240, image::Luma([200]));
        let frame = frame_of(&blank, FrameFormat::Nv12, 0, 0);
        assert_eq!(decode_frame(&frame).unwrap(), None);
    }

    #[test]
    fn a_large_frame_is_shrunk_for_detection_and_still_read() {
        let text = sample_reset_text();
        let scene = qr_scene(&[&text], 1920, 1080);
        let frame = frame_of(&scene, FrameFormat::Nv21, 90, 0);
        assert_eq!(decode_frame(&frame).unwrap(), Some(text));
    }

    #[test]
    fn a_sliver_of_a_frame_is_a_miss_at_every_scale() {
        for (width, height) in [(1, 2000), (2000, 1), (3, 1281), (1, 1)] {
            let sliver = GrayImage::from_pixel(width, height, image::Luma([90]));
            let frame = frame_of(&sliver, FrameFormat::Luma8, 0, 0);
            assert_eq!(decode_frame(&frame).unwrap(), None, "{width}x{height}");
        }
    }

    #[test]
    fn png_and_jpeg_files_are_decoded() {
        let text = sample_reset_text();
        let scene = qr_scene(&[&text], 400, 400);
        for format in [image::ImageFormat::Png, image::ImageFormat::Jpeg] {
            let mut bytes = Vec::new();
            scene
                .write_to(&mut std::io::Cursor::new(&mut bytes), format)
                .unwrap();
            assert_eq!(
                decode_image(&bytes).unwrap().as_deref(),
                Some(text.as_str())
            );
        }
    }

    #[test]
    fn bytes_that_are_no_image_are_an_invalid_frame() {
        for junk in [&b""[..], b"hello", b"\x89PNG\r\n\x1a\n broken"] {
            assert!(
                matches!(decode_image(junk), Err(HcError::InvalidFrame { .. })),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn a_decoder_panic_is_contained_and_reported_as_a_miss() {
        assert_eq!(contained(|| panic!("rqrr geometry assertion")), None::<()>);
        assert!(!panic_is_contained(), "the flag is reset after the guard");
    }
}
