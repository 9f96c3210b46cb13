//! Resizing luma images for detection.

use image::GrayImage;

/// Box-filter downscale by an integer factor: averaging keeps module edges sharp enough for
/// detection and costs one pass over the pixels. Rows are summed column-wise first and the sums
/// then reduced in groups of `factor`: both loops are straight-line and vectorize, which matters
/// because on a 1080p frame this pass costs as much as rxing's whole search.
pub(crate) fn shrink(image: &GrayImage, factor: u32) -> GrayImage {
    // The factors camera frames need get their own copy, with the group size and the divisor
    // known to the compiler; 16-bit column sums (twice the lanes) whenever `factor` rows of 255
    // fit in them.
    match factor {
        2 => shrink_summing::<u16, 2>(image, factor),
        3 => shrink_summing::<u16, 3>(image, factor),
        4 => shrink_summing::<u16, 4>(image, factor),
        _ if factor <= u32::from(u16::MAX) / 255 => shrink_summing::<u16, 0>(image, factor),
        _ => shrink_summing::<u32, 0>(image, factor),
    }
}

/// `FACTOR` is `factor` when it is known at compile time, else 0.
fn shrink_summing<Sum, const FACTOR: usize>(image: &GrayImage, factor: u32) -> GrayImage
where
    Sum: Copy + Default + From<u8> + Into<u32> + std::ops::AddAssign,
{
    let (width, height) = (image.width() / factor, image.height() / factor);
    if width == 0 || height == 0 {
        return GrayImage::new(width, height);
    }
    let stride = image.width() as usize;
    let f = if FACTOR == 0 { factor as usize } else { FACTOR };
    let area = (f * f) as u32;
    let mut out = Vec::with_capacity((width * height) as usize);
    let mut columns = vec![Sum::default(); width as usize * f];
    for band in image
        .as_raw()
        .chunks_exact(stride * f)
        .take(height as usize)
    {
        columns.fill(Sum::default());
        for row in band.chunks_exact(stride) {
            for (sum, &p) in columns.iter_mut().zip(row) {
                *sum += Sum::from(p);
            }
        }
        out.extend(columns.chunks_exact(f).map(|block| {
            let total: u32 = block.iter().map(|&s| s.into()).sum();
            (total / area) as u8
        }));
    }
    GrayImage::from_raw(width, height, out).expect("one value per pixel")
}

/// Every `step`-th pixel of every `step`-th row: a huge image cut down at the cost of what is kept
/// (a box filter would read every pixel). Aliasing is left to the 2x2 average that follows.
pub(crate) fn thin(image: &GrayImage, step: u32) -> GrayImage {
    let step = step.max(1);
    let (width, height) = (image.width() / step, image.height() / step);
    let stride = image.width() as usize;
    let pixels = image.as_raw();
    let s = step as usize;
    let mut out = Vec::with_capacity((width * height) as usize);
    for y in 0..height as usize {
        let row = &pixels[y * s * stride..];
        out.extend((0..width as usize).map(|x| row[x * s]));
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
    fn shrinking_drops_the_leftover_edge_and_handles_large_factors() {
        let image = GrayImage::from_fn(7, 5, |x, y| image::Luma([(x * 30 + y) as u8]));
        let shrunk = shrink(&image, 3);
        assert_eq!(shrunk.dimensions(), (2, 1));
        // Block (0..3, 0..3): mean of x*30 + y is 30 + 1.
        assert_eq!(shrunk.as_raw()[0], 31);
        // Past 257 the column sums need 32 bits.
        let wide = GrayImage::from_pixel(1200, 300, image::Luma([255]));
        assert_eq!(shrink(&wide, 300).into_raw(), vec![255; 4]);
        let tall = GrayImage::from_pixel(1, 5, image::Luma([9]));
        assert!(
            shrink(&tall, 2).as_raw().is_empty(),
            "narrower than one block"
        );
    }

    #[test]
    fn thinning_keeps_every_nth_pixel() {
        let image = GrayImage::from_fn(7, 5, |x, y| image::Luma([(x * 10 + y) as u8]));
        let thinned = thin(&image, 3);
        assert_eq!(thinned.dimensions(), (2, 1));
        assert_eq!(thinned.into_raw(), vec![0, 30]);
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
