//! Hands out the hash search's nonce range in chunks and keeps the best answer.
//!
//! Chunks go out in increasing order, and a chunk is only handed out while its
//! start is below the best nonce found so far. So when a worker finds a hit, every
//! chunk below it is either done or being searched, and a worker searching a
//! chunk stops as soon as its nonce passes the best: the final best is the
//! smallest answer however the chunks finish. Threads share one scheduler; in
//! processes mode the coordinating thread owns it.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

/// Nonces per chunk: a few milliseconds of work for one core, so the answer is
/// certain soon after it is found and the last chunks finish together.
pub const DEFAULT_CHUNK: u64 = 1 << 16;

#[derive(Debug)]
pub struct ChunkScheduler {
    next: AtomicU64,
    best: AtomicU64,
    chunk: u64,
}

impl ChunkScheduler {
    pub fn new(chunk: u64) -> ChunkScheduler {
        ChunkScheduler {
            next: AtomicU64::new(0),
            best: AtomicU64::new(u64::MAX),
            chunk: chunk.max(1),
        }
    }

    /// The next chunk to search, or `None` once no chunk can hold a smaller answer.
    pub fn claim(&self) -> Option<Range<u64>> {
        let start = self.next.fetch_add(self.chunk, Ordering::Relaxed);
        if start >= self.best.load(Ordering::Acquire) || start > u64::MAX - self.chunk {
            return None;
        }
        Some(start..start + self.chunk)
    }

    /// Records a hit; the smallest one wins.
    pub fn offer(&self, nonce: u64) {
        self.best.fetch_min(nonce, Ordering::AcqRel);
    }

    /// The smallest hit so far.
    pub fn best(&self) -> Option<u64> {
        let best = self.best.load(Ordering::Acquire);
        (best != u64::MAX).then_some(best)
    }

    /// The shared best, for searches to give up early.
    pub fn best_atomic(&self) -> &AtomicU64 {
        &self.best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Workers finish chunks in any order; hits exist at several nonces.
    #[test]
    fn smallest_answer_wins_whatever_the_order() {
        let hits = [130u64, 70, 71, 500];
        for order in [[0usize, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]] {
            let scheduler = ChunkScheduler::new(32);
            let claimed: Vec<Range<u64>> = (0..4).map(|_| scheduler.claim().unwrap()).collect();
            for index in order {
                let chunk = &claimed[index];
                if let Some(&hit) = hits.iter().filter(|h| chunk.contains(h)).min() {
                    // A search gives up when its nonce passes the best.
                    if hit <= scheduler.best().unwrap_or(u64::MAX) {
                        scheduler.offer(hit);
                    }
                }
            }
            while let Some(chunk) = scheduler.claim() {
                if let Some(&hit) = hits.iter().filter(|h| chunk.contains(h)).min() {
                    scheduler.offer(hit);
                }
            }
            assert_eq!(scheduler.best(), Some(70));
        }
    }

    #[test]
    fn no_chunk_above_the_best_is_handed_out() {
        let scheduler = ChunkScheduler::new(10);
        assert_eq!(scheduler.claim(), Some(0..10));
        scheduler.offer(5);
        assert_eq!(scheduler.claim(), None);
        assert_eq!(scheduler.best(), Some(5));
    }
}
