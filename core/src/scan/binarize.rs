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

/// Side of rxing's hybrid binarizer's blocks, and the smallest image side it binarizes by blocks
/// (five blocks; smaller ones get its global histogram).
const HYBRID_BLOCK: usize = 8;
const HYBRID_MIN_SIDE: usize = 5 * HYBRID_BLOCK;

/// rxing's `HybridBinarizer` (zxing-cpp's default), bit for bit, written to produce its
/// `BitMatrix` a machine word at a time: rxing sets every black pixel through a bounds-checked
/// call, which made its binarizer about a third of a scan's instructions. `None` for images under
/// [`HYBRID_MIN_SIDE`] on a side, which rxing binarizes another way (the caller falls back to it).
pub(crate) fn hybrid(image: &GrayImage) -> Option<rxing::common::BitMatrix> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    if width < HYBRID_MIN_SIDE || height < HYBRID_MIN_SIDE {
        return None;
    }
    let pixels = image.as_raw();
    let (blocks_x, blocks_y) = (width.div_ceil(HYBRID_BLOCK), height.div_ceil(HYBRID_BLOCK));
    let points = hybrid_black_points(pixels, width, height, blocks_x, blocks_y);

    const WORD: usize = usize::BITS as usize;
    let row_words = width.div_ceil(WORD);
    let mut bits = vec![0usize; row_words * height];
    let (max_x, max_y) = (width - HYBRID_BLOCK, height - HYBRID_BLOCK);
    // Each pixel column's threshold in the current block row, and one pixel row's black bytes
    // (0 or 1), padded to whole words.
    let mut thresholds = vec![0u8; width];
    let mut black = vec![0u8; row_words * WORD];
    for by in 0..blocks_y {
        let top = by.clamp(2, blocks_y - 3);
        for bx in 0..blocks_x {
            let left = bx.clamp(2, blocks_x - 3);
            let mut sum = 0;
            for y in top - 2..top + 3 {
                sum += points[y * blocks_x + left - 2..y * blocks_x + left + 3]
                    .iter()
                    .sum::<u32>();
            }
            // A black point is at most 255, and so is a mean of them.
            let threshold = (sum / 25).min(255) as u8;
            // The last block column is moved back inside the image, overlapping the one before:
            // a pixel either block calls black is black (rxing only ever sets bits), that is,
            // it is compared with the larger threshold.
            let start = (bx * HYBRID_BLOCK).min(max_x);
            for (x, t) in (start..).zip(&mut thresholds[start..start + HYBRID_BLOCK]) {
                *t = if x < bx * HYBRID_BLOCK {
                    (*t).max(threshold)
                } else {
                    threshold
                };
            }
        }
        // Likewise the last block row overlaps the one before: its bits are or-ed in.
        let first_row = (by * HYBRID_BLOCK).min(max_y);
        for y in first_row..first_row + HYBRID_BLOCK {
            let row = &pixels[y * width..(y + 1) * width];
            for ((b, &p), &t) in black.iter_mut().zip(row).zip(&thresholds) {
                *b = u8::from(p <= t);
            }
            let words = &mut bits[y * row_words..(y + 1) * row_words];
            for (word, bytes) in words.iter_mut().zip(black.chunks_exact(WORD)) {
                let mut packed = 0usize;
                for (i, eight) in bytes.chunks_exact(8).enumerate() {
                    let v = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
                    // Byte k's low bit to bit k.
                    let byte = (v.wrapping_mul(0x0102_0408_1020_4080) >> 56) as usize;
                    packed |= byte << (8 * i);
                }
                *word |= packed;
            }
        }
    }
    let mut matrix = rxing::common::BitMatrix::new(width as u32, height as u32).ok()?;
    let mut row = rxing::common::BitArray::with_size(width);
    for (y, words) in bits.chunks_exact(row_words).enumerate() {
        for (i, &word) in words.iter().enumerate() {
            row.setBulk(i * WORD, word);
        }
        matrix.setRow(y as u32, &row);
    }
    Some(matrix)
}

/// rxing's `calculateBlackPoints`: each block's mean, or for a block with no more than 24 levels
/// of spread half its minimum, unless its already computed neighbours are darker than that.
/// Column sums and extremes over a block row first, a whole pixel row at a time.
fn hybrid_black_points(
    pixels: &[u8],
    width: usize,
    height: usize,
    blocks_x: usize,
    blocks_y: usize,
) -> Vec<u32> {
    let (max_x, max_y) = (width - HYBRID_BLOCK, height - HYBRID_BLOCK);
    let mut points = vec![0u32; blocks_x * blocks_y];
    let (mut sums, mut mins, mut maxs) = (vec![0u16; width], vec![0u8; width], vec![0u8; width]);
    for by in 0..blocks_y {
        let top = (by * HYBRID_BLOCK).min(max_y);
        sums.fill(0);
        mins.fill(u8::MAX);
        maxs.fill(u8::MIN);
        for y in top..top + HYBRID_BLOCK {
            let row = &pixels[y * width..(y + 1) * width];
            for (((s, lo), hi), &p) in sums.iter_mut().zip(&mut mins).zip(&mut maxs).zip(row) {
                *s += u16::from(p);
                *lo = (*lo).min(p);
                *hi = (*hi).max(p);
            }
        }
        for bx in 0..blocks_x {
            let left = (bx * HYBRID_BLOCK).min(max_x);
            let columns = left..left + HYBRID_BLOCK;
            let sum: u32 = sums[columns.clone()].iter().map(|&s| u32::from(s)).sum();
            let min = mins[columns.clone()].iter().copied().min().unwrap_or(0);
            let max = maxs[columns].iter().copied().max().unwrap_or(0);
            let mut point = sum >> 6;
            if u32::from(max - min) <= MIN_DYNAMIC_RANGE {
                point = u32::from(min) / 2;
                if by > 0 && bx > 0 {
                    let neighbours = (points[(by - 1) * blocks_x + bx]
                        + 2 * points[by * blocks_x + bx - 1]
                        + points[(by - 1) * blocks_x + bx - 1])
                        / 4;
                    if u32::from(min) < neighbours {
                        point = neighbours;
                    }
                }
            }
            points[by * blocks_x + bx] = point;
        }
    }
    points
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
    fn the_word_at_a_time_hybrid_binarizer_is_rxings_bit_for_bit() {
        use rxing::{Binarizer, Luma8Source};
        let mut seed = 11u32;
        let mut next = move || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            seed >> 16
        };
        // Sizes that are and are not multiples of the block and of a machine word; noise,
        // gradients, flat areas (dark and light) and modules, so every branch of the black
        // points is taken.
        for (width, height) in [
            (40, 40),
            (41, 47),
            (64, 64),
            (100, 57),
            (131, 129),
            (200, 43),
        ] {
            for kind in 0..4 {
                let image = GrayImage::from_fn(width, height, |x, y| {
                    let n = next();
                    let v = match kind {
                        0 => n % 256,
                        1 => (x * 255 / width + n % 9) % 256,
                        2 if (x / 16 + y / 16) % 3 == 0 => 20 + n % 5,
                        2 => 230 - n % 5,
                        _ => ((x / 3 + y / 5) % 2) * 120 + 60 + (n % 30) + y,
                    };
                    image::Luma([v.min(255) as u8])
                });
                let source =
                    Luma8Source::new_with_slice(image.as_raw(), width, height).expect("a source");
                let theirs = rxing::common::HybridBinarizer::new(source)
                    .get_black_matrix()
                    .expect("a matrix")
                    .clone();
                let ours = hybrid(&image).expect("large enough");
                assert_eq!(ours, theirs, "{width}x{height}, kind {kind}");
            }
        }
        assert!(hybrid(&GrayImage::new(39, 100)).is_none());
    }

    #[test]
    fn a_flat_light_image_is_all_white() {
        let image = GrayImage::from_pixel(20, 13, image::Luma([200]));
        assert!(local_average(&image, false).bits.iter().all(|&b| b == 0));
    }
}
