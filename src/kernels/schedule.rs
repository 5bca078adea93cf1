//! Hands out the hash search's nonce range in chunks and keeps the best answer.
//!
//! Chunks go out in increasing order, and a chunk is only handed out while its
//! start is below the best nonce found so far. So when a worker finds a hit, every
//! chunk below it is either done or being searched, and a worker searching a
//! chunk stops as soon as its nonce passes the best: the final best is the
//! smallest answer however the chunks finish. Threads share one scheduler; in
//! processes mode the coordinating thread owns it.
//!
//! Searches give up at the scheduler's *cutoff*, which is the best answer until
//! the run is stopped ([`ChunkScheduler::abandon`]): then it drops to 0 and every
//! search in flight ends at its next look, so thousands of workers stop within
//! one look each instead of finishing their chunks.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

/// Nonces per chunk: a few milliseconds of work for one core, so the answer is
/// certain soon after it is found and the last chunks finish together.
pub const DEFAULT_CHUNK: u64 = 1 << 16;

#[derive(Debug)]
pub struct ChunkScheduler {
    next: AtomicU64,
    best: AtomicU64,
    /// Where searches give up: `best`, or 0 once the search is abandoned.
    cutoff: AtomicU64,
    chunk: u64,
}

impl ChunkScheduler {
    pub fn new(chunk: u64) -> ChunkScheduler {
        ChunkScheduler {
            next: AtomicU64::new(0),
            best: AtomicU64::new(u64::MAX),
            cutoff: AtomicU64::new(u64::MAX),
            chunk: chunk.max(1),
        }
    }

    /// The next chunk to search, or `None` once no chunk can hold a smaller answer.
    pub fn claim(&self) -> Option<Range<u64>> {
        let start = self.next.fetch_add(self.chunk, Ordering::Relaxed);
        if start >= self.cutoff.load(Ordering::Acquire) || start > u64::MAX - self.chunk {
            return None;
        }
        Some(start..start + self.chunk)
    }

    /// Records a hit; the smallest one wins.
    pub fn offer(&self, nonce: u64) {
        self.best.fetch_min(nonce, Ordering::AcqRel);
        self.cutoff.fetch_min(nonce, Ordering::AcqRel);
    }

    /// Stops the search: no chunk is handed out any more, and searches in flight
    /// give up at their next look at the cutoff. The best answer so far stays.
    pub fn abandon(&self) {
        self.cutoff.store(0, Ordering::Release);
    }

    /// The smallest hit so far.
    pub fn best(&self) -> Option<u64> {
        let best = self.best.load(Ordering::Acquire);
        (best != u64::MAX).then_some(best)
    }

    /// Where searches give up: past the best answer, or at once after
    /// [`ChunkScheduler::abandon`].
    pub fn cutoff(&self) -> &AtomicU64 {
        &self.cutoff
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

    #[test]
    fn an_abandoned_search_hands_out_nothing_and_keeps_its_answer() {
        let scheduler = ChunkScheduler::new(10);
        assert_eq!(scheduler.claim(), Some(0..10));
        scheduler.offer(7);
        scheduler.abandon();
        assert_eq!(scheduler.claim(), None);
        assert_eq!(scheduler.best(), Some(7));
        assert_eq!(scheduler.cutoff().load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_search_in_flight_gives_up_once_abandoned() {
        use crate::kernels::digest::HashTarget;
        use crate::kernels::hash::{Engine, search_range};
        // 20 zeros: no hit in this range, so only the cutoff can end it early.
        let target = HashTarget::new(b"abandon", 20);
        let scheduler = ChunkScheduler::new(1 << 20);
        let chunk = scheduler.claim().unwrap();
        scheduler.abandon();
        for engine in [Engine::Scalar, Engine::Auto] {
            let outcome = search_range(&target, engine, chunk.start, chunk.end, scheduler.cutoff());
            assert!(outcome.hit.is_none());
            assert!(
                outcome.hashes <= crate::kernels::digest::STOP_CHECK_EVERY,
                "{engine:?} searched {} nonces after the search was abandoned",
                outcome.hashes
            );
        }
    }
}
