//! The SHA-512 leading-zero search kernel (pure: no threads, no I/O).
//!
//! The answer is the smallest n >= 0 such that the lowercase hex SHA-512 of
//! PREFIX followed by the decimal digits of n starts with Z '0' characters.
//! A search covers a range of nonces; ranges are split where the digit count
//! changes so that, inside a piece, every message has the same length and only
//! the digit bytes of a prepared final block change between hashes (see
//! `digest`). The search runs on the widest SIMD kernel the CPU has (`simd`)
//! or on the scalar one.

use std::sync::atomic::AtomicU64;

use super::digest::{HashTarget, Hit, RangeOutcome, next_digit_boundary, search_piece_scalar};
use super::simd;

/// Largest number of leading hex zeros one can ask for (a SHA-512 digest has 128).
pub const MAX_ZEROS: u32 = 128;

/// Longest prefix accepted, in bytes.
pub const MAX_PREFIX_BYTES: usize = 4096;

/// Which implementation of SHA-512 the search uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// The fastest this CPU has.
    Auto,
    /// One message at a time with sha2's compression function.
    Scalar,
    /// Several nonces at once in SIMD registers (AVX-512: 8, AVX2: 4).
    Simd,
}

impl Engine {
    pub fn parse(text: &str) -> Result<Engine, String> {
        match text {
            "auto" => Ok(Engine::Auto),
            "scalar" => Ok(Engine::Scalar),
            "simd" => Ok(Engine::Simd),
            other => Err(format!(
                "unknown engine '{other}'; use auto, scalar or simd"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Auto => "auto",
            Engine::Scalar => "scalar",
            Engine::Simd => "simd",
        }
    }

    /// The engine that will run on this CPU, and a label that says why it was
    /// chosen: `simd (AVX-512, 8 lanes: AVX-512 on this CPU)`,
    /// `scalar (SIMD disabled by COREHEAT_SIMD=none)`.
    pub fn resolve(self) -> (Engine, String) {
        let (lanes, why) = simd::best_lanes_and_why();
        match (self, lanes) {
            (Engine::Scalar, _) => (
                Engine::Scalar,
                "scalar (chosen with --engine scalar)".into(),
            ),
            (_, Some(lanes)) => {
                let name = lanes.name().trim_end_matches(')');
                (Engine::Simd, format!("{name}: {why})"))
            }
            (_, None) => (Engine::Scalar, format!("scalar ({why})")),
        }
    }
}

/// Searches `start..end` in increasing order and returns the first hit.
///
/// `best` holds the smallest nonce any worker has found so far (u64::MAX for none);
/// the search gives up as soon as the nonce it is at is larger, because nothing it
/// could still find would be the answer. `Auto` and `Simd` use the widest SIMD
/// kernel the CPU has, and the scalar engine where it has none.
pub fn search_range(
    target: &HashTarget,
    engine: Engine,
    start: u64,
    end: u64,
    best: &AtomicU64,
) -> RangeOutcome {
    let mut hashes = 0;
    let mut piece_start = start;
    while piece_start < end {
        let piece_end = end.min(next_digit_boundary(piece_start));
        let outcome = match engine {
            Engine::Scalar => search_piece_scalar(target, piece_start, piece_end, best),
            Engine::Simd | Engine::Auto => simd::search_piece(target, piece_start, piece_end, best)
                .unwrap_or_else(|| search_piece_scalar(target, piece_start, piece_end, best)),
        };
        hashes += outcome.hashes;
        if outcome.hit.is_some() {
            return RangeOutcome {
                hit: outcome.hit,
                hashes,
            };
        }
        if piece_start + outcome.hashes < piece_end {
            break; // stopped early: another worker's answer is smaller
        }
        piece_start = piece_end;
    }
    RangeOutcome { hit: None, hashes }
}

/// Searches serially from 0 until the answer (for tests and small Z).
pub fn find_first(target: &HashTarget, engine: Engine) -> Hit {
    let best = AtomicU64::new(u64::MAX);
    let mut start = 0u64;
    loop {
        let end = start.saturating_add(1 << 16);
        if let Some(hit) = search_range(target, engine, start, end, &best).hit {
            return hit;
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn scalar_finds_the_known_answers() {
        for (zeros, nonce) in [(1, 5), (2, 61), (3, 1533), (4, 288946)] {
            let hit = find_first(&HashTarget::new(b"", zeros), Engine::Scalar);
            assert_eq!(hit.nonce, nonce, "Z={zeros}");
        }
        let hit = find_first(&HashTarget::new(b"block42:", 4), Engine::Scalar);
        assert_eq!(hit.nonce, 6816);
    }

    #[test]
    fn a_smaller_best_stops_the_search() {
        let target = HashTarget::new(b"", 6);
        let best = AtomicU64::new(100);
        let outcome = search_range(&target, Engine::Scalar, 200_000, 10_000_000, &best);
        assert_eq!(outcome.hit, None);
        assert_eq!(outcome.hashes, 0);
    }
}
