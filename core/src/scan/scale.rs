//! Resizing luma images for detection.

use image::GrayImage;

/// Box-filter downscale by an integer factor: averaging keeps module edges sharp enough for
/// detection and costs one pass over the pixels.
pub(crate) fn shrink(image: &GrayImage, factor: u32) -> GrayImage {
    let (width, height) = (image.width() / factor, image.height() / factor);
    let source = image.as_raw();
    let stride = image.width() as usize;
    let f = factor as usize;
    let area = (f * f) as u32;
    let mut out = Vec::with_capacity((width * height) as usize);
    let mut sums = vec![0u32; width as usize];
    for y in 0..height as usize {
        sums.fill(0);
        for row in source[y * f * stride..].chunks(stride).take(f) {
            for (x, sum) in sums.iter_mut().enumerate() {
                *sum += row[x * f..x * f + f]
                    .iter()
                    .map(|&p| u32::from(p))
                    .sum::<u32>();
            }
        }
        out.extend(sums.iter().map(|&s| (s / area) as u8));
    }
    GrayImage::from_raw(width, height, out).expect("one value per pixel")
}

/// Bilinear 2x upscale: small photos get modules big enough for the capstone search.
pub(crate) fn double(image: &GrayImage) -> GrayImage {
    let (width, height) = (image.width(), image.height());
    let src = image.as_raw();
    let at =
        |x: u32, y: u32| u32::from(src[(y.min(height - 1) * width + x.min(width - 1)) as usize]);
    GrayImage::from_fn(width * 2, height * 2, |x, y| {
        // Output pixel centres fall a quarter of a source pixel either side of a source centre.
        let (sx, sy) = (x.saturating_sub(1) / 2, y.saturating_sub(1) / 2);
        let (wx, wy) = (
            if x % 2 == 0 { 1 } else { 3 },
            if y % 2 == 0 { 1 } else { 3 },
        );
        let (wx, wy) = (if x == 0 { 4 } else { wx }, if y == 0 { 4 } else { wy });
        let top = at(sx, sy) * wx + at(sx + 1, sy) * (4 - wx);
        let bottom = at(sx, sy + 1) * wx + at(sx + 1, sy + 1) * (4 - wx);
        image::Luma([((top * wy + bottom * (4 - wy) + 8) / 16) as u8])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_averages_blocks() {
        let image = GrayImage::from_raw(4, 2, vec![0, 100, 10, 10, 100, 200, 10, 10]).unwrap();
        assert_eq!(shrink(&image, 2).into_raw(), vec![100, 10]);
    }

    #[test]
    fn doubling_keeps_flat_areas_and_interpolates_edges() {
        let image = GrayImage::from_raw(2, 1, vec![0, 200]).unwrap();
        let doubled = double(&image);
        assert_eq!(doubled.dimensions(), (4, 2));
        let row: Vec<u8> = doubled.as_raw()[..4].to_vec();
        assert_eq!(row[0], 0);
        assert!(row[1] < row[2] && row[2] < row[3], "{row:?}");
        assert_eq!(row[3], 200);
    }
}
