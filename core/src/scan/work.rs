//! The work bound of one scan: what a frame may cost, counted, never timed.
//!
//! Every step of the search asks the counter before it starts, with what it will cost in *work
//! units*, and does not start when that does not fit what is left of the frame's budget. One unit
//! is one pixel through one pass (binarizing and scanning a row for finder patterns, shrinking,
//! stretching contrast); sampling and decoding one candidate symbol costs [`SAMPLE_COST`] units,
//! the price of sampling the largest grid (177x177 modules) and decoding it. So the bound is
//! enforced by admission: every step's cost is a function of the size of its input, known before
//! it runs, and steps run one after another, so a scan never costs more than its budget plus
//! nothing (no step is admitted past it). The one cost that is not linear in the pixels, the
//! finder-pattern scan's deduplication (quadratic in the patterns it finds), is bounded by a cheap
//! count of row candidates first and admitted like the rest (`decode::read_qr`); the tests on
//! thousands of fake finder patterns check the counter stays under the budget.
//!
//! No clock is read: the same frame costs the same work on a fast phone and a loaded desktop, and
//! tests assert the counter, never timings. The prices were measured with callgrind on adversarial
//! 1080p frames (docs/benchmarks.md): a unit is about 60 instructions, a sampled triple up to
//! 10 million; [`CAMERA_BUDGET`] is about 70 million instructions, under 30 ms on one core of
//! this machine, and [`STILL_BUDGET`] is what one gallery image or screenshot may spend.

/// Units one camera frame may spend (about 30 ms on one core of the benchmark machine).
pub const CAMERA_BUDGET: u64 = 1_200_000;

/// Units one still image (gallery photo, screenshot) may spend: a few camera frames' worth,
/// since nothing comes after it. Twelve, because a phone photo (12 MP, shrunk to 2048 pixels)
/// needs the full-size attempt, 3 M units on its own, after the cheaper ones, and a photo of many
/// codes a finder scan of thousands of candidates: on the odd-numbered half of BoofCV's photos
/// 4x read 171 of 204, 8x 183, 12x 185, 16x 186 (docs/benchmarks.md).
pub const STILL_BUDGET: u64 = 12 * CAMERA_BUDGET;

/// Units of sampling one finder-pattern triple's grid and decoding it (the largest grid).
pub const SAMPLE_COST: u64 = 160_000;

/// A frame's work counter: what is spent and what may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    spent: u64,
    limit: u64,
}

impl Work {
    pub fn new(limit: u64) -> Self {
        Work { spent: 0, limit }
    }

    /// Takes `units` from the budget if they fit; a step that gets `false` does not run.
    pub fn admit(&mut self, units: u64) -> bool {
        match self.spent.checked_add(units) {
            Some(total) if total <= self.limit => {
                self.spent = total;
                true
            }
            _ => false,
        }
    }

    pub fn spent(&self) -> u64 {
        self.spent
    }

    pub fn left(&self) -> u64 {
        self.limit.saturating_sub(self.spent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_that_does_not_fit_the_budget_is_refused() {
        let mut work = Work::new(100);
        assert!(work.admit(60));
        assert!(!work.admit(41), "60 + 41 is over 100");
        assert!(work.admit(40));
        assert_eq!((work.spent(), work.left()), (100, 0));
        assert!(!Work::new(10).admit(u64::MAX), "no overflow");
    }
}
