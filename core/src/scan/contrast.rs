//! Contrast stretch for washed-out frames (a dim screen under room light).
//!
//! ZXing-style binarizers treat 8x8 blocks with less than 24 levels of spread as flat, so a code
//! shown with 30 levels between its dark and light modules is read as empty background. Mapping
//! the 1st..99th percentile of the frame onto the full range restores that spread; it is one
//! histogram and one table lookup per pixel.

use image::GrayImage;

/// The image with its 1%..99% luma range stretched to 0..255, or `None` when the range is
/// already wide (nothing to gain) or empty (a flat frame).
pub(crate) fn stretch(image: &GrayImage) -> Option<GrayImage> {
    let mut histogram = [0u32; 256];
    for &p in image.as_raw() {
        histogram[usize::from(p)] += 1;
    }
    let total = image.as_raw().len() as u64;
    let level_at = |fraction: u64| {
        let target = total * fraction / 100;
        let mut seen = 0u64;
        histogram
            .iter()
            .position(|&count| {
                seen += u64::from(count);
                seen > target
            })
            .unwrap_or(255) as u32
    };
    let (low, high) = (level_at(1), level_at(99));
    if high <= low || high - low > 160 {
        return None;
    }
    let table: Vec<u8> = (0..=255u32)
        .map(|v| ((v.clamp(low, high) - low) * 255 / (high - low)) as u8)
        .collect();
    let pixels = image
        .as_raw()
        .iter()
        .map(|&p| table[usize::from(p)])
        .collect();
    GrayImage::from_raw(image.width(), image.height(), pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_range_is_spread_over_the_full_one() {
        let image = GrayImage::from_fn(100, 1, |x, _| image::Luma([150 + (x % 2) as u8 * 30]));
        let stretched = stretch(&image).unwrap();
        assert_eq!(stretched.as_raw()[0], 0);
        assert_eq!(stretched.as_raw()[1], 255);
    }

    #[test]
    fn wide_or_flat_images_are_left_alone() {
        let wide = GrayImage::from_fn(100, 1, |x, _| image::Luma([(x % 2) as u8 * 250]));
        assert!(stretch(&wide).is_none());
        assert!(stretch(&GrayImage::from_pixel(10, 10, image::Luma([90]))).is_none());
    }
}
