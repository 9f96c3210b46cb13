//! The scanner: camera frames and image files in, QR text out.
//!
//! Top-down: [`decode_frame`] and [`decode_image`] turn their input into one upright luma image
//! (`frame`, [`image_to_luma`]); a [`Scanner`] session (`strategy`) runs the decoder (`decode`) at
//! several sizes, contrast repairs and polarities until one reads anything, within a fixed budget
//! of counted work per image (`work`); `reset_qr` finds the device's reset code among the texts
//! read and parses it, once. The reset flow keeps one camera [`Scanner`] for its stream of frames
//! and takes the parsed code as it is.

mod binarize;
mod contrast;
mod decode;
mod frame;
mod hint;
mod reset_qr;
mod scale;
mod strategy;
mod work;

use image::GrayImage;

use crate::error::{HcError, Result};

pub use decode::Region;
pub(crate) use decode::panic_is_contained;
pub use frame::{Frame, FrameFormat};
pub use hint::ScanHint;
pub(crate) use hint::hint_for;
pub(crate) use reset_qr::ResetQr;
pub use strategy::{
    Attempt, MAX_WORKING_PIXELS, MAX_WORKING_SIDE, Method, Scale, ScanReport, Scanner, Strategy,
};
pub use work::{CAMERA_BUDGET, STILL_BUDGET};

/// Encoded images bigger than this are refused instead of decoded into memory.
const MAX_IMAGE_PIXELS: u64 = 50_000_000;

/// Decodes one camera frame on its own: the reset code's text if one is in view, else the first QR
/// text, else `None`. Malformed frames are `InvalidFrame`. It spends one camera frame's budget
/// ([`CAMERA_BUDGET`]) and keeps nothing: a camera loop keeps a [`Scanner::camera`] (as `ResetFlow`
/// does), which spreads the costlier attempts over the frames that follow.
///
/// ```
/// use hc_core::{Frame, FrameFormat, HcError, decode_frame};
///
/// // An NV21 preview frame of an empty white wall: no code in view.
/// let (width, height) = (320, 240);
/// let frame = Frame {
///     width,
///     height,
///     row_stride: width,
///     format: FrameFormat::Nv21,
///     bytes: vec![235; (width * height * 3 / 2) as usize],
///     rotation_degrees: 90,
/// };
/// assert_eq!(decode_frame(&frame)?, None);
///
/// // A buffer shorter than its geometry is refused, never read past its end.
/// let short = Frame { bytes: vec![0; 100], ..frame };
/// assert!(matches!(decode_frame(&short), Err(HcError::InvalidFrame { .. })));
/// # Ok::<(), HcError>(())
/// ```
pub fn decode_frame(frame: &Frame) -> Result<Option<String>> {
    Ok(Scanner::camera().scan(&frame.to_luma()?).into_best_text())
}

/// Decodes an encoded PNG or JPEG (a screenshot, a photo from the gallery), with the same answer
/// as [`decode_frame`] and a still image's budget ([`STILL_BUDGET`]). Bytes that are not such an
/// image are `InvalidFrame`.
///
/// ```
/// use hc_core::{HcError, decode_image};
/// # use hc_core::scan::testing::reset_text_for;
///
/// // A screenshot of the NVR's QR page.
/// # let text = reset_text_for("J12345678");
/// # let mut png = Vec::new();
/// # qrcode::QrCode::new(&text).unwrap().render::<image::Luma<u8>>().build()
/// #     .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
/// assert_eq!(decode_image(&png)?.as_deref(), Some(text.as_str()));
/// assert!(matches!(decode_image(b"GIF89a"), Err(HcError::InvalidFrame { .. })));
/// # Ok::<(), HcError>(())
/// ```
pub fn decode_image(bytes: &[u8]) -> Result<Option<String>> {
    Ok(Scanner::still()
        .scan(&image_to_luma(bytes)?)
        .into_best_text())
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

/// QR scenes and camera-like frames for tests. `frame_of` is also what the end-to-end tests use
/// (feature `testing`); the scenes need the `qrcode` dev-dependency and stay unit-test only.
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    use image::GrayImage;

    use super::{Frame, FrameFormat};

    pub const ALL_FORMATS: [FrameFormat; 5] = [
        FrameFormat::Luma8,
        FrameFormat::Nv21,
        FrameFormat::Nv12,
        FrameFormat::Bgra8,
        FrameFormat::Rgba8,
    ];

    /// A valid-looking HCR1 text (the tag is made with a throwaway key: only its shape matters
    /// to the scanner).
    pub fn sample_reset_text() -> String {
        reset_text_for("J12345678")
    }

    /// The reset QR text a device with this serial could show (a throwaway key; the fake cloud
    /// does not check tags).
    pub fn reset_text_for(serial: &str) -> String {
        use hc_protocol::{Challenge, DeviceKey, Nonce, Serial};
        let challenge = Challenge::new(
            Serial::parse(serial).unwrap(),
            true,
            1_700_000_000,
            Nonce::from_bytes([7; 16]),
            "DS-7608NI-K2",
            "V4.61.005",
        )
        .unwrap();
        challenge.to_qr_text(&DeviceKey::from_bytes([42; 32]))
    }

    #[cfg(test)]
    /// QR codes side by side on a light grey background, like a monitor seen by a phone.
    pub fn qr_scene(texts: &[&str], width: u32, height: u32) -> GrayImage {
        let mut scene = GrayImage::from_pixel(width, height, image::Luma([210]));
        let slot = width / texts.len() as u32;
        for (i, text) in texts.iter().enumerate() {
            let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
            let module = ((slot.min(height) * 3 / 4) / (code.width() as u32 + 8)).max(2);
            let symbol = code
                .render::<image::Luma<u8>>()
                .module_dimensions(module, module)
                .quiet_zone(true)
                .build();
            let x = i as u32 * slot + (slot.saturating_sub(symbol.width())) / 2;
            let y = height.saturating_sub(symbol.height()) / 2;
            image::imageops::overlay(&mut scene, &symbol, i64::from(x), i64::from(y));
        }
        scene
    }

    /// Turns an upright luma image into the frame a camera would deliver: rotated the other way
    /// (so that `rotation_degrees` makes it upright again), in `format`, with `padding` bytes at
    /// the end of each row.
    pub fn frame_of(
        upright: &GrayImage,
        format: FrameFormat,
        rotation: u32,
        padding: u32,
    ) -> Frame {
        let sensor = match rotation {
            90 => image::imageops::rotate270(upright),
            180 => image::imageops::rotate180(upright),
            270 => image::imageops::rotate90(upright),
            _ => upright.clone(),
        };
        let (width, height) = sensor.dimensions();
        let bpp = match format {
            FrameFormat::Bgra8 | FrameFormat::Rgba8 => 4,
            _ => 1,
        };
        let stride = width * bpp + padding;
        let mut bytes = Vec::new();
        for row in sensor.rows() {
            for pixel in row {
                let l = pixel.0[0];
                match format {
                    FrameFormat::Bgra8 | FrameFormat::Rgba8 => {
                        bytes.extend_from_slice(&[l, l, l, 255])
                    }
                    _ => bytes.push(l),
                }
            }
            bytes.extend(std::iter::repeat_n(0xAB, padding as usize));
        }
        if matches!(format, FrameFormat::Nv21 | FrameFormat::Nv12) {
            // Neutral chroma at half resolution.
            bytes.extend(std::iter::repeat_n(
                128,
                (stride * height.div_ceil(2)) as usize,
            ));
        }
        Frame {
            width,
            height,
            row_stride: stride,
            format,
            bytes,
            rotation_degrees: rotation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let texts = Scanner::still().scan(&scene).texts;
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
}
