//! Camera frames for the scanning tests: a monitor showing a QR code as a phone's camera sees it.

use std::path::PathBuf;

use hc_core::FrameFormat;
use image::GrayImage;

pub const ALL_FORMATS: [FrameFormat; 5] = [
    FrameFormat::Luma8,
    FrameFormat::Nv21,
    FrameFormat::Nv12,
    FrameFormat::Bgra8,
    FrameFormat::Rgba8,
];

/// A phone camera's view of a monitor showing `symbol`: the symbol scaled into a `width` x
/// `height` grey scene, slightly off-centre.
pub fn camera_view(symbol: &GrayImage, width: u32, height: u32) -> GrayImage {
    let side = (height * 2 / 3).min(width * 2 / 3);
    let scaled = image::imageops::resize(symbol, side, side, image::imageops::FilterType::Triangle);
    let mut scene = GrayImage::from_pixel(width, height, image::Luma([180]));
    let x = (width - side) / 3;
    let y = (height - side) / 2;
    image::imageops::overlay(&mut scene, &scaled, i64::from(x), i64::from(y));
    scene
}

/// The frame a camera delivers for an upright image: in `format`, rotated so that
/// `rotation_degrees` makes it upright again, with `padding` bytes after each row.
pub use hc_core::scan::testing::frame_of as camera_frame;

/// Where the shared QR photographs live: `../shared/qr-corpus` beside the repository.
pub fn qr_corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/qr-corpus")
}
