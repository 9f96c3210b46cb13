//! Camera frames in the layouts phones deliver, turned into one upright 8-bit luma image.
//!
//! QR decoding needs brightness only, so every format is reduced to its luma: the Y plane of
//! NV21/NV12 is read as is (chroma is never touched), BGRA/RGBA pixels are weighted the BT.601 way.
//! Every size is checked before a byte is read: a bad frame is an `InvalidFrame`, never a panic.

use image::GrayImage;

use crate::error::{HcError, Result};

/// The pixel layouts of camera frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameFormat {
    /// One 8-bit luma plane: Android CameraX `ImageProxy` plane 0, iOS `420f`/`420v` plane 0.
    Luma8,
    /// Y plane then interleaved V/U at half resolution (Android camera1 default).
    Nv21,
    /// Y plane then interleaved U/V at half resolution.
    Nv12,
    /// 4 bytes a pixel, blue first (iOS `32BGRA`).
    Bgra8,
    /// 4 bytes a pixel, red first.
    Rgba8,
}

/// One camera frame. `row_stride` is in bytes and may exceed the visible row (padding).
/// `rotation_degrees` is the clockwise rotation that makes the frame upright (CameraX's
/// `rotationDegrees`): 0, 90, 180 or 270.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub row_stride: u32,
    pub format: FrameFormat,
    pub bytes: Vec<u8>,
    pub rotation_degrees: u32,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("row_stride", &self.row_stride)
            .field("format", &self.format)
            .field("bytes", &self.bytes.len())
            .field("rotation_degrees", &self.rotation_degrees)
            .finish()
    }
}

/// Frames larger than this on a side are refused: no camera delivers them, and the buffer size
/// arithmetic below stays far from overflow.
const MAX_SIDE: u32 = 16_384;

impl FrameFormat {
    fn bytes_per_pixel(self) -> usize {
        match self {
            FrameFormat::Luma8 | FrameFormat::Nv21 | FrameFormat::Nv12 => 1,
            FrameFormat::Bgra8 | FrameFormat::Rgba8 => 4,
        }
    }
}

fn invalid(detail: impl Into<String>) -> HcError {
    HcError::InvalidFrame {
        detail: detail.into(),
    }
}

impl Frame {
    /// Checks the geometry against the buffer and returns the upright luma image.
    pub fn to_luma(&self) -> Result<GrayImage> {
        let (width, height) = (self.width as usize, self.height as usize);
        if self.width == 0 || self.height == 0 {
            return Err(invalid("zero width or height"));
        }
        if self.width > MAX_SIDE || self.height > MAX_SIDE {
            return Err(invalid(format!("larger than {MAX_SIDE} pixels on a side")));
        }
        if self.rotation_degrees % 90 != 0 {
            return Err(invalid("rotation is not a multiple of 90 degrees"));
        }
        let stride = self.row_stride as usize;
        let row_bytes = width * self.format.bytes_per_pixel();
        if stride < row_bytes {
            return Err(invalid(format!(
                "row stride {stride} is smaller than a row of {row_bytes} bytes"
            )));
        }
        let needed = self.needed_len(stride, row_bytes);
        if self.bytes.len() < needed {
            return Err(invalid(format!(
                "buffer of {} bytes is shorter than the {needed} a {:?} frame of {}x{} needs",
                self.bytes.len(),
                self.format,
                self.width,
                self.height
            )));
        }

        let rows = self.bytes.chunks(stride).take(height);
        let mut luma = Vec::with_capacity(width * height);
        match self.format {
            FrameFormat::Luma8 | FrameFormat::Nv21 | FrameFormat::Nv12 => {
                for row in rows {
                    luma.extend_from_slice(&row[..width]);
                }
            }
            FrameFormat::Bgra8 => {
                for row in rows {
                    luma.extend(
                        row[..row_bytes]
                            .chunks_exact(4)
                            .map(|p| bt601(p[2], p[1], p[0])),
                    );
                }
            }
            FrameFormat::Rgba8 => {
                for row in rows {
                    luma.extend(
                        row[..row_bytes]
                            .chunks_exact(4)
                            .map(|p| bt601(p[0], p[1], p[2])),
                    );
                }
            }
        }
        let image = GrayImage::from_raw(self.width, self.height, luma)
            .ok_or_else(|| invalid("luma plane has the wrong size"))?;
        Ok(rotate(image, self.rotation_degrees))
    }

    /// The bytes a well-formed frame holds at least. The last row of a plane may lack its padding
    /// (cameras often cut it), so it counts with its visible bytes only.
    fn needed_len(&self, stride: usize, row_bytes: usize) -> usize {
        let height = self.height as usize;
        let plane = stride * (height - 1) + row_bytes;
        match self.format {
            FrameFormat::Nv21 | FrameFormat::Nv12 => {
                let chroma_rows = height.div_ceil(2);
                let chroma_row_bytes = 2 * (self.width as usize).div_ceil(2);
                stride * height + stride * (chroma_rows - 1) + chroma_row_bytes
            }
            _ => plane,
        }
    }
}

/// BT.601 luma in integer arithmetic (the weights add up to 256).
fn bt601(r: u8, g: u8, b: u8) -> u8 {
    ((77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b)) >> 8) as u8
}

fn rotate(image: GrayImage, degrees: u32) -> GrayImage {
    match degrees % 360 {
        90 => image::imageops::rotate90(&image),
        180 => image::imageops::rotate180(&image),
        270 => image::imageops::rotate270(&image),
        _ => image,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luma_frame(width: u32, height: u32, stride: u32, bytes: Vec<u8>) -> Frame {
        Frame {
            width,
            height,
            row_stride: stride,
            format: FrameFormat::Luma8,
            bytes,
            rotation_degrees: 0,
        }
    }

    fn error_of(frame: Frame) -> String {
        match frame.to_luma() {
            Err(HcError::InvalidFrame { detail }) => detail,
            other => panic!("expected InvalidFrame, got {other:?}"),
        }
    }

    #[test]
    fn zero_sized_frames_are_refused() {
        assert!(error_of(luma_frame(0, 10, 10, vec![0; 100])).contains("zero"));
        assert!(error_of(luma_frame(10, 0, 10, vec![0; 100])).contains("zero"));
    }

    #[test]
    fn a_short_buffer_is_refused_not_read_past() {
        assert!(error_of(luma_frame(10, 10, 10, vec![0; 99])).contains("shorter"));
        let mut nv21 = luma_frame(10, 10, 10, vec![0; 100]);
        nv21.format = FrameFormat::Nv21;
        assert!(
            error_of(nv21).contains("shorter"),
            "the chroma plane is missing"
        );
    }

    #[test]
    fn a_stride_smaller_than_a_row_is_refused() {
        assert!(error_of(luma_frame(10, 2, 9, vec![0; 100])).contains("stride"));
        let mut bgra = luma_frame(10, 2, 39, vec![0; 100]);
        bgra.format = FrameFormat::Bgra8;
        assert!(error_of(bgra).contains("stride"));
    }

    #[test]
    fn odd_rotations_are_refused() {
        let mut frame = luma_frame(2, 2, 2, vec![0; 4]);
        frame.rotation_degrees = 45;
        assert!(error_of(frame).contains("rotation"));
    }

    #[test]
    fn huge_dimensions_are_refused_before_any_arithmetic() {
        assert!(error_of(luma_frame(u32::MAX, u32::MAX, u32::MAX, vec![])).contains("larger"));
    }

    #[test]
    fn padding_at_the_end_of_rows_is_skipped() {
        // 3x2 visible, stride 5, the last row without its padding.
        let frame = luma_frame(3, 2, 5, vec![1, 2, 3, 99, 99, 4, 5, 6]);
        assert_eq!(frame.to_luma().unwrap().into_raw(), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn rotation_turns_the_image_upright() {
        // 2x1: [a b]; 90 degrees clockwise gives a 1x2 column [a; b].
        let mut frame = luma_frame(2, 1, 2, vec![10, 20]);
        frame.rotation_degrees = 90;
        let image = frame.to_luma().unwrap();
        assert_eq!((image.width(), image.height()), (1, 2));
        assert_eq!(image.into_raw(), vec![10, 20]);
        frame.rotation_degrees = 180;
        assert_eq!(frame.to_luma().unwrap().into_raw(), vec![20, 10]);
    }

    #[test]
    fn colour_pixels_become_their_luma() {
        let white_red = vec![255, 255, 255, 255, 255, 0, 0, 255];
        let mut frame = luma_frame(2, 1, 8, white_red.clone());
        frame.format = FrameFormat::Rgba8;
        assert_eq!(frame.to_luma().unwrap().into_raw(), vec![255, 76]);
        // The same bytes read as BGRA are white and blue.
        frame.format = FrameFormat::Bgra8;
        assert_eq!(frame.to_luma().unwrap().into_raw(), vec![255, 28]);
    }
}
