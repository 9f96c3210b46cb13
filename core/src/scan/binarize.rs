//! Local-average binarization: black and white decided per 8x8 block against its neighbourhood.
//!
//! rqrr's own threshold is a running mean along each row, which follows a glare spot or a dim
//! corner only sideways and drowns low-contrast codes. This is ZXing's "hybrid" binarizer (the
//! default of zxing-cpp): each block's black point is its mean, or, for a flat block, half its
//! minimum unless the neighbours say it is dark; a pixel is black when at or under the mean of the
//! 5x5 blocks around its own. One pass for the block statistics, one for the pixels.

use image::GrayImage;

const BLOCK: usize = 8;
/// Blocks with less spread than this are flat: no edge inside, so their mean says nothing.
const MIN_DYNAMIC_RANGE: u32 = 24;

/// One byte a pixel: 1 black, 0 white.
pub struct Bitmap {
    pub width: usize,
    pub height: usize,
    pub bits: Vec<u8>,
}

/// Binarizes `image`; `invert` swaps black and white (light codes on a dark screen).
pub fn local_average(image: &GrayImage, invert: bool) -> Bitmap {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let pixels = image.as_raw();
    let (blocks_x, blocks_y) = (width.div_ceil(BLOCK), height.div_ceil(BLOCK));
    let black_points = block_black_points(pixels, width, height, blocks_x, blocks_y);

    let mut bits = vec![0u8; width * height];
    for by in 0..blocks_y {
        for bx in 0..blocks_x {
            let threshold = neighbourhood_mean(&black_points, blocks_x, blocks_y, bx, by);
            for y in by * BLOCK..((by + 1) * BLOCK).min(height) {
                let row = y * width;
                for x in bx * BLOCK..((bx + 1) * BLOCK).min(width) {
                    let black = u32::from(pixels[row + x]) <= threshold;
                    bits[row + x] = u8::from(black != invert);
                }
            }
        }
    }
    Bitmap {
        width,
        height,
        bits,
    }
}

fn block_black_points(
    pixels: &[u8],
    width: usize,
    height: usize,
    blocks_x: usize,
    blocks_y: usize,
) -> Vec<u32> {
    let mut points = vec![0u32; blocks_x * blocks_y];
    for by in 0..blocks_y {
        for bx in 0..blocks_x {
            let (mut sum, mut count, mut min, mut max) = (0u32, 0u32, 255u32, 0u32);
            for y in by * BLOCK..((by + 1) * BLOCK).min(height) {
                let row =
                    &pixels[y * width + bx * BLOCK..y * width + ((bx + 1) * BLOCK).min(width)];
                for &p in row {
                    let p = u32::from(p);
                    sum += p;
                    min = min.min(p);
                    max = max.max(p);
                }
                count += row.len() as u32;
            }
            let mut point = sum / count.max(1);
            if max - min <= MIN_DYNAMIC_RANGE {
                // A flat block is taken as background (lighter than the black point), unless
                // the blocks already seen are darker: then it is inside a dark area.
                point = min / 2;
                if bx > 0 && by > 0 {
                    let above = points[(by - 1) * blocks_x + bx];
                    let left = points[by * blocks_x + bx - 1];
                    let diagonal = points[(by - 1) * blocks_x + bx - 1];
                    let neighbours = (above + 2 * left + diagonal) / 4;
                    if min < neighbours {
                        point = neighbours;
                    }
                }
            }
            points[by * blocks_x + bx] = point;
        }
    }
    points
}

/// Mean black point of the 5x5 blocks centred on (bx, by), shifted inwards at the edges.
fn neighbourhood_mean(
    points: &[u32],
    blocks_x: usize,
    blocks_y: usize,
    bx: usize,
    by: usize,
) -> u32 {
    let left = bx.clamp(2, blocks_x.saturating_sub(3).max(2)) - 2;
    let top = by.clamp(2, blocks_y.saturating_sub(3).max(2)) - 2;
    let (mut sum, mut count) = (0u32, 0u32);
    for y in top..(top + 5).min(blocks_y) {
        for x in left..(left + 5).min(blocks_x) {
            sum += points[y * blocks_x + x];
            count += 1;
        }
    }
    sum / count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dark_is_black_and_light_is_white_under_an_illumination_gradient() {
        // Dark squares on a bright background, the right half 60 levels dimmer.
        let image = GrayImage::from_fn(64, 32, |x, y| {
            let dim = if x >= 32 { 60 } else { 0 };
            let dark = (x / 4 + y / 4) % 2 == 0;
            image::Luma([if dark { 120 - dim / 2 } else { 250 - dim } as u8])
        });
        let bitmap = local_average(&image, false);
        for (i, &bit) in bitmap.bits.iter().enumerate() {
            let (x, y) = (i % 64, i / 64);
            assert_eq!(bit == 1, (x / 4 + y / 4) % 2 == 0, "pixel {x},{y}");
        }
        let inverted = local_average(&image, true);
        assert!(inverted.bits.iter().zip(&bitmap.bits).all(|(a, b)| a != b));
    }

    #[test]
    fn a_flat_light_image_is_all_white() {
        let image = GrayImage::from_pixel(20, 13, image::Luma([200]));
        assert!(local_average(&image, false).bits.iter().all(|&b| b == 0));
    }
}
