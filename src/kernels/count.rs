//! The integer-counting kernel (pure): the sum of a range of integers with a real
//! loop, as the seed's `sum(range(2**28))`.
//!
//! Every number passes through `black_box`, so the compiler can neither fold the
//! loop into n(n-1)/2 nor vectorize it away: the work is one add per number. The
//! sum is a u128, exact for ranges far beyond what a run can count.

use std::hint::black_box;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

/// Largest N accepted (2^64: every u64 value).
pub const MAX_N: u128 = 1 << 64;

/// Numbers counted between two looks at the stop flag and the progress counter:
/// about 80 µs on one core, so that each of thousands of workers stops within
/// one batch of being scheduled after a Ctrl-C.
const BATCH: u64 = 1 << 18;

/// What counting a range gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountOutcome {
    pub sum: u128,
    /// False when the stop flag ended the count early.
    pub complete: bool,
}

/// Sums `range` (within 0..=2^64) with a real loop, asking `should_stop` between
/// batches and adding the numbers done to `progress`.
pub fn sum_range(
    range: Range<u128>,
    should_stop: impl Fn() -> bool,
    progress: &AtomicU64,
) -> CountOutcome {
    debug_assert!(range.end <= MAX_N);
    let mut sum: u128 = 0;
    let mut start = range.start;
    while start < range.end {
        if should_stop() {
            return CountOutcome {
                sum,
                complete: false,
            };
        }
        let count = (range.end - start).min(BATCH as u128) as u64;
        sum += sum_batch(start as u64, count);
        progress.fetch_add(count, Ordering::Relaxed);
        start += count as u128;
    }
    CountOutcome {
        sum,
        complete: true,
    }
}

/// Sums `count` numbers from `start`; the caller keeps `start + count <= 2^64`.
#[inline(never)]
fn sum_batch(start: u64, count: u64) -> u128 {
    let mut sum: u128 = 0;
    let mut i = start;
    for _ in 0..count {
        sum += black_box(i) as u128;
        i = i.wrapping_add(1);
    }
    sum
}

/// The exact sum 0 + 1 + ... + (n-1), for checking.
pub fn expected_sum(n: u128) -> u128 {
    if n == 0 { 0 } else { n * (n - 1) / 2 }
}

/// The part of 0..n that worker `index` of `workers` counts with `--split`.
pub fn split_range(n: u128, workers: usize, index: usize) -> Range<u128> {
    let share = |i: usize| n * i as u128 / workers as u128;
    share(index)..share(index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact() {
        let progress = AtomicU64::new(0);
        let outcome = sum_range(0..(1 << 20), || false, &progress);
        assert_eq!(outcome.sum, expected_sum(1 << 20));
        assert!(outcome.complete);
        assert_eq!(progress.load(Ordering::Relaxed), 1 << 20);
        assert_eq!(expected_sum(1 << 28), 36028796884746240);
        assert_eq!(expected_sum(1 << 26), 2251799780130816);
    }

    #[test]
    fn sum_near_the_top_of_u64_does_not_overflow() {
        let progress = AtomicU64::new(0);
        let top = MAX_N - 3..MAX_N;
        let outcome = sum_range(top.clone(), || false, &progress);
        assert_eq!(outcome.sum, top.sum::<u128>());
    }

    #[test]
    fn split_ranges_cover_everything_once() {
        for workers in 1..=7 {
            let mut next = 0;
            for i in 0..workers {
                let range = split_range(1000, workers, i);
                assert_eq!(range.start, next);
                next = range.end;
            }
            assert_eq!(next, 1000);
        }
        assert_eq!(split_range(MAX_N, 3, 2).end, MAX_N);
    }

    #[test]
    fn stop_flag_ends_the_count() {
        let progress = AtomicU64::new(0);
        let outcome = sum_range(0..MAX_N, || true, &progress);
        assert!(!outcome.complete);
    }
}
