//! The scanner: camera frames and image files in, QR text out.

mod binarize;
mod contrast;
mod decode;
mod frame;
mod scale;
mod strategy;

pub use decode::{decode_frame, decode_image, image_to_luma};
pub(crate) use decode::{panic_is_contained, scan_luma};
pub use frame::{Frame, FrameFormat};
pub use strategy::{Attempt, Method, Scale, Strategy};

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

    #[cfg(test)]
    /// A valid-looking HCR1 text (the tag is made with a throwaway key: only its shape matters
    /// to the scanner).
    pub fn sample_reset_text() -> String {
        reset_text_for("J12345678")
    }

    #[cfg(test)]
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
