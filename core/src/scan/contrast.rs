//! Contrast repair for frames a binarizer misreads: a lamp's glare and a washed-out screen.
//!
//! Glare is light added on top of part of the code: there the dark modules are lighter than the
//! light modules elsewhere, and a threshold averaged over 40 pixels cannot follow the spot. On a
//! washed-out screen the whole code spans 30 levels, and ZXing-style binarizers treat 8x8 blocks
//! with less than 24 levels of spread as flat background. Stretching every neighbourhood between
//! its own darkest and lightest level repairs both: the code has the same contrast everywhere.
//! (A global 1..99 percentile stretch, tried first, rescued the washed-out screens but not glare.)

use image::GrayImage;

/// Side of the blocks whose darkest and lightest levels are measured (at the working size, a
/// module is 2 to 6 pixels: a neighbourhood of 3x3 blocks spans a few modules, small enough to
/// follow a glare spot and large enough to hold both a dark and a light module).
const NORMALIZE_BLOCK: usize = 8;
/// Neighbourhoods with less spread are flat background: stretched by at most this range, so
/// sensor noise is not blown up into speckle the detector would chase.
const NORMALIZE_MIN_RANGE: i32 = 24;

/// The image with each pixel mapped from its neighbourhood's darkest..lightest level to 0..255
/// (a flat neighbourhood to mid-grey).
/// The levels come from the 3x3 blocks around each block and are interpolated between block
/// centres, so the mapping has no seams. Two passes over the pixels.
pub(crate) fn normalize_local(image: &GrayImage) -> GrayImage {
    let (width, height) = (image.width() as usize, image.height() as usize);
    if width == 0 || height == 0 {
        return image.clone();
    }
    let pixels = image.as_raw();
    let (blocks_x, blocks_y) = (
        width.div_ceil(NORMALIZE_BLOCK),
        height.div_ceil(NORMALIZE_BLOCK),
    );

    // Each block's own extremes.
    let mut low = vec![255u8; blocks_x * blocks_y];
    let mut high = vec![0u8; blocks_x * blocks_y];
    for (y, row) in pixels.chunks_exact(width).enumerate() {
        let block_row = (y / NORMALIZE_BLOCK) * blocks_x;
        for (bx, chunk) in row.chunks(NORMALIZE_BLOCK).enumerate() {
            let (lo, hi) = chunk
                .iter()
                .fold((255u8, 0u8), |(lo, hi), &p| (lo.min(p), hi.max(p)));
            low[block_row + bx] = low[block_row + bx].min(lo);
            high[block_row + bx] = high[block_row + bx].max(hi);
        }
    }
    // Widened to the 3x3 neighbourhood, then turned into an offset and a 16.16 gain per block.
    let mut offset = vec![0i32; blocks_x * blocks_y];
    let mut gain = vec![0i32; blocks_x * blocks_y];
    for by in 0..blocks_y {
        for bx in 0..blocks_x {
            let (mut lo, mut hi) = (255u8, 0u8);
            for ny in by.saturating_sub(1)..(by + 2).min(blocks_y) {
                for nx in bx.saturating_sub(1)..(bx + 2).min(blocks_x) {
                    lo = lo.min(low[ny * blocks_x + nx]);
                    hi = hi.max(high[ny * blocks_x + nx]);
                }
            }
            let range = (i32::from(hi) - i32::from(lo)).max(NORMALIZE_MIN_RANGE);
            // Centred on the middle level, so a flat neighbourhood comes out mid-grey.
            offset[by * blocks_x + bx] = (i32::from(lo) + i32::from(hi)) / 2;
            gain[by * blocks_x + bx] = (255 << 16) / range;
        }
    }

    // Bilinear between the four block centres around each pixel, in 8-bit fixed point.
    let half = NORMALIZE_BLOCK / 2;
    let weight = |position: usize, blocks: usize| -> (usize, usize, i32) {
        let shifted = position.saturating_sub(half);
        let first = (shifted / NORMALIZE_BLOCK).min(blocks - 1);
        let second = (first + 1).min(blocks - 1);
        let fraction = if position < half {
            0
        } else {
            ((shifted % NORMALIZE_BLOCK) * 256 / NORMALIZE_BLOCK) as i32
        };
        (first, second, fraction)
    };
    let columns: Vec<(usize, usize, i32)> = (0..width).map(|x| weight(x, blocks_x)).collect();
    // Runs of columns between the same two block centres: (first column, end, left, right).
    let mut segments: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (x, &(left, right, _)) in columns.iter().enumerate() {
        match segments.last_mut() {
            Some(last) if (last.2, last.3) == (left, right) => last.1 = x + 1,
            _ => segments.push((x, x + 1, left, right)),
        }
    }
    let fractions: Vec<i32> = columns.iter().map(|&(_, _, fx)| fx).collect();
    let mut out = vec![0u8; pixels.len()];
    let mut row_offset = vec![0i32; blocks_x];
    let mut row_gain = vec![0i32; blocks_x];
    for (y, (row, out_row)) in pixels
        .chunks_exact(width)
        .zip(out.chunks_exact_mut(width))
        .enumerate()
    {
        let (top, bottom, fy) = weight(y, blocks_y);
        for bx in 0..blocks_x {
            let mix = |values: &[i32]| {
                (values[top * blocks_x + bx] * (256 - fy) + values[bottom * blocks_x + bx] * fy)
                    >> 8
            };
            row_offset[bx] = mix(&offset);
            row_gain[bx] = mix(&gain);
        }
        // a * (256 - fx) + b * fx, as a * 256 + (b - a) * fx: the same integers, in i32 (a gain
        // is at most 255 << 16 / 24, times 256 or times a difference of two levels both fit),
        // one pair of block values per run of columns, so the loop over pixels vectorizes.
        for &(start, end, left, right) in &segments {
            let (offset0, offset_step) = (row_offset[left], row_offset[right] - row_offset[left]);
            let (gain0, gain_step) = (row_gain[left], row_gain[right] - row_gain[left]);
            for ((o, &p), &fx) in out_row[start..end]
                .iter_mut()
                .zip(&row[start..end])
                .zip(&fractions[start..end])
            {
                let offset = (offset0 * 256 + offset_step * fx) >> 8;
                let gain = (gain0 * 256 + gain_step * fx) >> 8;
                let value = 128 + (((i32::from(p) - offset) * gain) >> 16);
                *o = value.clamp(0, 255) as u8;
            }
        }
    }
    GrayImage::from_raw(image.width(), image.height(), out).expect("one value per pixel")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glare_on_half_the_code_is_flattened_to_the_same_contrast() {
        // A checkerboard of 4-pixel modules, 40 levels apart, with 150 levels of glare added on
        // the right half: after normalizing, dark modules are dark and light ones light on both
        // halves.
        let image = GrayImage::from_fn(64, 32, |x, y| {
            let dark = (x / 4 + y / 4) % 2 == 0;
            let glare = if x >= 32 { 150 } else { 0 };
            image::Luma([if dark { 40 } else { 80 } + glare])
        });
        let normalized = normalize_local(&image);
        for (x, y, p) in normalized.enumerate_pixels() {
            let dark = (x / 4 + y / 4) % 2 == 0;
            // Away from the seam, where a neighbourhood spans both levels.
            if !(16..48).contains(&x) {
                assert_eq!(p.0[0] < 128, dark, "pixel {x},{y} = {}", p.0[0]);
            }
        }
    }

    /// The i64 pixel-by-pixel version the vectorizable one replaced.
    fn normalize_local_reference(image: &GrayImage) -> GrayImage {
        let (width, height) = (image.width() as usize, image.height() as usize);
        if width == 0 || height == 0 {
            return image.clone();
        }
        let pixels = image.as_raw();
        let (blocks_x, blocks_y) = (
            width.div_ceil(NORMALIZE_BLOCK),
            height.div_ceil(NORMALIZE_BLOCK),
        );

        // Each block's own extremes.
        let mut low = vec![255u8; blocks_x * blocks_y];
        let mut high = vec![0u8; blocks_x * blocks_y];
        for (y, row) in pixels.chunks_exact(width).enumerate() {
            let block_row = (y / NORMALIZE_BLOCK) * blocks_x;
            for (bx, chunk) in row.chunks(NORMALIZE_BLOCK).enumerate() {
                let (lo, hi) = chunk
                    .iter()
                    .fold((255u8, 0u8), |(lo, hi), &p| (lo.min(p), hi.max(p)));
                low[block_row + bx] = low[block_row + bx].min(lo);
                high[block_row + bx] = high[block_row + bx].max(hi);
            }
        }
        // Widened to the 3x3 neighbourhood, then turned into an offset and a 16.16 gain per block.
        let mut offset = vec![0i32; blocks_x * blocks_y];
        let mut gain = vec![0i32; blocks_x * blocks_y];
        for by in 0..blocks_y {
            for bx in 0..blocks_x {
                let (mut lo, mut hi) = (255u8, 0u8);
                for ny in by.saturating_sub(1)..(by + 2).min(blocks_y) {
                    for nx in bx.saturating_sub(1)..(bx + 2).min(blocks_x) {
                        lo = lo.min(low[ny * blocks_x + nx]);
                        hi = hi.max(high[ny * blocks_x + nx]);
                    }
                }
                let range = (i32::from(hi) - i32::from(lo)).max(NORMALIZE_MIN_RANGE);
                // Centred on the middle level, so a flat neighbourhood comes out mid-grey.
                offset[by * blocks_x + bx] = (i32::from(lo) + i32::from(hi)) / 2;
                gain[by * blocks_x + bx] = (255 << 16) / range;
            }
        }

        // Bilinear between the four block centres around each pixel, in 8-bit fixed point.
        let half = NORMALIZE_BLOCK / 2;
        let weight = |position: usize, blocks: usize| -> (usize, usize, i32) {
            let shifted = position.saturating_sub(half);
            let first = (shifted / NORMALIZE_BLOCK).min(blocks - 1);
            let second = (first + 1).min(blocks - 1);
            let fraction = if position < half {
                0
            } else {
                ((shifted % NORMALIZE_BLOCK) * 256 / NORMALIZE_BLOCK) as i32
            };
            (first, second, fraction)
        };
        let columns: Vec<(usize, usize, i32)> = (0..width).map(|x| weight(x, blocks_x)).collect();
        let mut out = Vec::with_capacity(pixels.len());
        let mut row_offset = vec![0i32; blocks_x];
        let mut row_gain = vec![0i32; blocks_x];
        for (y, row) in pixels.chunks_exact(width).enumerate() {
            let (top, bottom, fy) = weight(y, blocks_y);
            for bx in 0..blocks_x {
                let mix = |values: &[i32]| {
                    (values[top * blocks_x + bx] * (256 - fy) + values[bottom * blocks_x + bx] * fy)
                        >> 8
                };
                row_offset[bx] = mix(&offset);
                row_gain[bx] = mix(&gain);
            }
            out.extend(row.iter().zip(&columns).map(|(&p, &(left, right, fx))| {
                let offset = (row_offset[left] * (256 - fx) + row_offset[right] * fx) >> 8;
                let gain = (i64::from(row_gain[left]) * i64::from(256 - fx)
                    + i64::from(row_gain[right]) * i64::from(fx))
                    >> 8;
                let value = 128 + ((i64::from(i32::from(p) - offset) * gain) >> 16);
                value.clamp(0, 255) as u8
            }));
        }
        GrayImage::from_raw(image.width(), image.height(), out).expect("one value per pixel")
    }

    #[test]
    fn the_vectorized_stretch_gives_the_same_pixels_as_the_pixel_by_pixel_one() {
        let mut seed = 5u32;
        for (width, height) in [(1, 1), (3, 17), (8, 8), (37, 23), (130, 67)] {
            for kind in 0..3 {
                let image = GrayImage::from_fn(width, height, |x, y| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    let n = seed >> 16;
                    let v = match kind {
                        0 => n % 256,
                        1 => ((x / 3 + y / 3) % 2) * 30 + 100 + n % 4,
                        _ => (x * 7 + y * 3 + n % 50) % 256,
                    };
                    image::Luma([v as u8])
                });
                assert_eq!(normalize_local(&image), normalize_local_reference(&image));
            }
        }
    }

    #[test]
    fn a_flat_image_stays_flat_and_odd_sizes_are_covered() {
        let flat = GrayImage::from_pixel(13, 7, image::Luma([90]));
        let normalized = normalize_local(&flat);
        assert_eq!(normalized.dimensions(), (13, 7));
        assert!(normalized.pixels().all(|p| p.0[0] == 128));
        assert_eq!(normalize_local(&GrayImage::new(0, 9)).dimensions(), (0, 9));
        let one = GrayImage::from_pixel(1, 1, image::Luma([255]));
        assert_eq!(normalize_local(&one).as_raw(), &vec![128]);
    }
}
