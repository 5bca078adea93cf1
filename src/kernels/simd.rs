//! Multi-lane SHA-512: several consecutive nonces hashed at once, one message per
//! 64-bit SIMD lane (8 with AVX-512, 4 with AVX2), chosen at run time.
//!
//! SHA-512 has no dedicated instructions on common x86 chips, so lanes are where
//! the speed is. Both variants share one round function (the `compress_rounds!`
//! macro), expanded in each module over that module's vector primitives so every
//! primitive inlines under the module's `#[target_feature]`. Each lane keeps its
//! own final block with an in-place decimal counter; only the message words that
//! hold digits are gathered per group, the rest are broadcast constants. A lane
//! whose state passes the leading-zero test is re-checked with sha2 before it is
//! reported, and the few nonces that do not fill a whole group go to the scalar
//! engine.

use std::sync::atomic::AtomicU64;

use super::digest::{HashTarget, RangeOutcome};

/// The SIMD widths coreheat has kernels for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lanes {
    Avx512,
    Avx2,
}

impl Lanes {
    pub fn count(self) -> usize {
        match self {
            Lanes::Avx512 => 8,
            Lanes::Avx2 => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Lanes::Avx512 => "simd (AVX-512, 8 lanes)",
            Lanes::Avx2 => "simd (AVX2, 4 lanes)",
        }
    }
}

/// The widest kernel this CPU can run, if any. `COREHEAT_SIMD=avx2` caps it (to
/// compare widths, or to test the narrower kernel on a wider CPU).
pub fn best_lanes() -> Option<Lanes> {
    best_lanes_and_why().0
}

/// [`best_lanes`] and, for people, why: the CPU's features or the cap.
pub fn best_lanes_and_why() -> (Option<Lanes>, &'static str) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static BEST: OnceLock<(Option<Lanes>, &'static str)> = OnceLock::new();
        *BEST.get_or_init(|| {
            let cap = std::env::var("COREHEAT_SIMD").unwrap_or_default();
            choose(
                Cap::parse(&cap).unwrap_or(Cap::Widest),
                std::arch::is_x86_feature_detected!("avx512f"),
                std::arch::is_x86_feature_detected!("avx2"),
            )
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        (None, "not an x86-64 CPU")
    }
}

/// What `COREHEAT_SIMD` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cap {
    /// Unset, empty, `avx512` or `auto`: the widest kernel the CPU has.
    Widest,
    Avx2,
    /// `none` (or `off`, `scalar`, `0`): the scalar engine.
    Scalar,
}

impl Cap {
    /// The cap a value names (any case, spaces around ignored).
    fn parse(value: &str) -> Result<Cap, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "auto" | "avx512" => Ok(Cap::Widest),
            "avx2" => Ok(Cap::Avx2),
            "none" | "off" | "scalar" | "0" => Ok(Cap::Scalar),
            _ => Err(format!(
                "COREHEAT_SIMD={} is not one of none, avx2 or avx512: it is ignored and the \
                 widest kernel this CPU has is used",
                crate::util::input::excerpt(value)
            )),
        }
    }
}

/// What is wrong with the `COREHEAT_SIMD` of this process, to warn about.
pub fn cap_problem() -> Option<String> {
    let value = std::env::var_os("COREHEAT_SIMD")?;
    Cap::parse(&value.to_string_lossy()).err()
}

/// The kernel for a `COREHEAT_SIMD` cap and the CPU's features, and why.
fn choose(cap: Cap, avx512: bool, avx2: bool) -> (Option<Lanes>, &'static str) {
    match (cap, avx512, avx2) {
        (Cap::Scalar, _, true) => (None, "SIMD disabled by COREHEAT_SIMD=none"),
        (Cap::Avx2, true, _) => (Some(Lanes::Avx2), "AVX-512 capped by COREHEAT_SIMD=avx2"),
        (_, true, _) => (Some(Lanes::Avx512), "AVX-512 on this CPU"),
        (_, false, true) => (Some(Lanes::Avx2), "AVX2 on this CPU, no AVX-512"),
        (_, false, false) => (None, "no AVX2 on this CPU"),
    }
}

/// Searches a range of equal digit count with the best SIMD kernel; `None` when
/// the CPU has none (the caller then uses the scalar engine).
pub fn search_piece(
    target: &HashTarget,
    start: u64,
    end: u64,
    best: &AtomicU64,
) -> Option<RangeOutcome> {
    search_piece_with(best_lanes()?, target, start, end, best)
}

/// Searches with a given kernel; `None` if this CPU cannot run it.
pub fn search_piece_with(
    lanes: Lanes,
    target: &HashTarget,
    start: u64,
    end: u64,
    best: &AtomicU64,
) -> Option<RangeOutcome> {
    #[cfg(target_arch = "x86_64")]
    {
        match lanes {
            Lanes::Avx512 if std::arch::is_x86_feature_detected!("avx512f") => {
                // SAFETY: the CPU has AVX-512F, checked just above.
                Some(unsafe { avx512::search(target, start, end, best) })
            }
            Lanes::Avx2 if std::arch::is_x86_feature_detected!("avx2") => {
                // SAFETY: the CPU has AVX2, checked just above.
                Some(unsafe { avx2::search(target, start, end, best) })
            }
            _ => None,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (lanes, target, start, end, best);
        None
    }
}

/// Hashes one message per lane for the given nonces (all of one digit count), with
/// a given kernel; for tests that compare lanes against sha2.
pub fn digests_with(lanes: Lanes, target: &HashTarget, nonces: &[u64]) -> Option<Vec<[u8; 64]>> {
    #[cfg(target_arch = "x86_64")]
    {
        match lanes {
            Lanes::Avx512 if std::arch::is_x86_feature_detected!("avx512f") => {
                // SAFETY: the CPU has AVX-512F, checked just above.
                Some(unsafe { avx512::digests(target, nonces) })
            }
            Lanes::Avx2 if std::arch::is_x86_feature_detected!("avx2") => {
                // SAFETY: the CPU has AVX2, checked just above.
                Some(unsafe { avx2::digests(target, nonces) })
            }
            _ => None,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (lanes, target, nonces);
        None
    }
}

/// SHA-512 round constants.
#[cfg(target_arch = "x86_64")]
const K: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

/// One SHA-512 compression over vectors: `$state` (8 vectors) += rounds(`$w`).
/// Expanded inside a module that defines `add`, `splat`, `xor3`, `ch`, `maj` and
/// the `ror!`/`shr!` macros for its vector type.
#[cfg(target_arch = "x86_64")]
macro_rules! compress_rounds {
    ($state:expr, $w:expr) => {{
        let state: &mut [V; 8] = $state;
        let mut w: [V; 16] = $w;
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
        let mut t = 0;
        while t < 80 {
            // Sixteen rounds per pass so every w[...] index is a constant.
            macro_rules! round {
                ($i:expr) => {{
                    let wt = if t < 16 {
                        w[$i]
                    } else {
                        let w2 = w[($i + 14) & 15];
                        let w15 = w[($i + 1) & 15];
                        let s1 = xor3(ror!(w2, 19), ror!(w2, 61), shr!(w2, 6));
                        let s0 = xor3(ror!(w15, 1), ror!(w15, 8), shr!(w15, 7));
                        let next = add(add(s1, w[($i + 9) & 15]), add(s0, w[$i]));
                        w[$i] = next;
                        next
                    };
                    let big_s1 = xor3(ror!(e, 14), ror!(e, 18), ror!(e, 41));
                    let t1 = add(add(h, big_s1), add(ch(e, f, g), add(splat(K[t + $i]), wt)));
                    let big_s0 = xor3(ror!(a, 28), ror!(a, 34), ror!(a, 39));
                    let t2 = add(big_s0, maj(a, b, c));
                    h = g;
                    g = f;
                    f = e;
                    e = add(d, t1);
                    d = c;
                    c = b;
                    b = a;
                    a = add(t1, t2);
                }};
            }
            round!(0);
            round!(1);
            round!(2);
            round!(3);
            round!(4);
            round!(5);
            round!(6);
            round!(7);
            round!(8);
            round!(9);
            round!(10);
            round!(11);
            round!(12);
            round!(13);
            round!(14);
            round!(15);
            t += 16;
        }
        for (slot, value) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *slot = add(*slot, value);
        }
    }};
}

/// The search loop and the one-shot digests, expanded per SIMD width over its
/// `V`, `LANES`, `load`, `store` and `zero_lanes` primitives.
#[cfg(target_arch = "x86_64")]
macro_rules! lane_search {
    ($feature:literal) => {
        use std::sync::atomic::{AtomicU64, Ordering};

        use crate::kernels::digest::{
            FinalBlocks, HashTarget, RangeOutcome, add_to_decimal, confirm_hit, digit_count,
            search_piece_scalar, state_to_digest,
        };

        /// Hashes the final blocks of every lane from the target's midstate.
        #[target_feature(enable = $feature)]
        fn hash_lanes(
            target: &HashTarget,
            template: &FinalBlocks,
            lane_words: &[[u64; LANES]; 32],
            varying: std::ops::RangeInclusive<usize>,
        ) -> [V; 8] {
            let mut state: [V; 8] = std::array::from_fn(|i| splat(target.midstate[i]));
            for block in 0..template.block_count {
                let words: [V; 16] = std::array::from_fn(|j| {
                    let index = block * 16 + j;
                    if varying.contains(&index) {
                        load(&lane_words[index])
                    } else {
                        splat(template.word(index))
                    }
                });
                compress_rounds!(&mut state, words);
            }
            state
        }

        /// Sets lane `l` of the varying message words from that lane's blocks.
        fn gather(
            lane_words: &mut [[u64; LANES]; 32],
            lanes: &[FinalBlocks; LANES],
            varying: &std::ops::RangeInclusive<usize>,
        ) {
            for index in varying.clone() {
                for (l, blocks) in lanes.iter().enumerate() {
                    lane_words[index][l] = blocks.word(index);
                }
            }
        }

        /// Searches `start..end` (one digit count) `LANES` nonces at a time.
        #[target_feature(enable = $feature)]
        pub(super) fn search(
            target: &HashTarget,
            start: u64,
            end: u64,
            best: &AtomicU64,
        ) -> RangeOutcome {
            let mut nonce = start;
            let mut hashes = 0;
            if end - start >= LANES as u64 {
                let template = target.final_blocks(digit_count(start));
                let first = template.digit_offset / 8;
                let last = (template.digit_offset + template.digits - 1) / 8;
                let varying = first..=last;
                let mut lanes: [FinalBlocks; LANES] = std::array::from_fn(|l| {
                    let mut blocks = template.clone();
                    blocks.set_nonce(start + l as u64);
                    blocks
                });
                let mut lane_words = [[0u64; LANES]; 32];
                let shift = 64 - 4 * target.zeros.min(16) as u64;
                while end - nonce >= LANES as u64 {
                    if best.load(Ordering::Relaxed) < nonce {
                        return RangeOutcome { hit: None, hashes };
                    }
                    gather(&mut lane_words, &lanes, &varying);
                    let state = hash_lanes(target, &template, &lane_words, varying.clone());
                    let mut passing = zero_lanes(state[0], shift);
                    while passing != 0 {
                        let l = passing.trailing_zeros() as u64;
                        if let Some(hit) = confirm_hit(target, nonce + l) {
                            return RangeOutcome {
                                hit: Some(hit),
                                hashes: hashes + l + 1,
                            };
                        }
                        passing &= passing - 1;
                    }
                    for blocks in lanes.iter_mut() {
                        add_to_decimal(blocks.digits_mut(), LANES as u8);
                    }
                    nonce += LANES as u64;
                    hashes += LANES as u64;
                }
            }
            let rest = search_piece_scalar(target, nonce, end, best);
            RangeOutcome {
                hit: rest.hit,
                hashes: hashes + rest.hashes,
            }
        }

        /// Digests of up to `LANES` nonces of one digit count, computed in lanes.
        #[target_feature(enable = $feature)]
        pub(super) fn digests(target: &HashTarget, nonces: &[u64]) -> Vec<[u8; 64]> {
            let mut out = Vec::with_capacity(nonces.len());
            for group in nonces.chunks(LANES) {
                let template = target.final_blocks(digit_count(group[0]));
                let first = template.digit_offset / 8;
                let last = (template.digit_offset + template.digits - 1) / 8;
                let lanes: [FinalBlocks; LANES] = std::array::from_fn(|l| {
                    let mut blocks = template.clone();
                    blocks.set_nonce(group[l.min(group.len() - 1)]);
                    blocks
                });
                let mut lane_words = [[0u64; LANES]; 32];
                gather(&mut lane_words, &lanes, &(first..=last));
                let state = hash_lanes(target, &template, &lane_words, first..=last);
                let words: Vec<[u64; LANES]> = state.iter().map(|&v| store(v)).collect();
                for l in 0..group.len() {
                    let lane_state: [u64; 8] = std::array::from_fn(|i| words[i][l]);
                    out.push(state_to_digest(&lane_state));
                }
            }
            out
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::K;

    type V = __m512i;
    const LANES: usize = 8;

    macro_rules! ror {
        ($x:expr, $n:literal) => {
            _mm512_ror_epi64::<$n>($x)
        };
    }
    macro_rules! shr {
        ($x:expr, $n:literal) => {
            _mm512_srli_epi64::<$n>($x)
        };
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn add(a: V, b: V) -> V {
        _mm512_add_epi64(a, b)
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn splat(x: u64) -> V {
        _mm512_set1_epi64(x as i64)
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn xor3(a: V, b: V, c: V) -> V {
        _mm512_ternarylogic_epi64::<0x96>(a, b, c)
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn ch(e: V, f: V, g: V) -> V {
        _mm512_ternarylogic_epi64::<0xCA>(e, f, g)
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn maj(a: V, b: V, c: V) -> V {
        _mm512_ternarylogic_epi64::<0xE8>(a, b, c)
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn load(words: &[u64; LANES]) -> V {
        // SAFETY: `words` is 64 readable bytes; the load is unaligned.
        unsafe { _mm512_loadu_si512(words.as_ptr().cast()) }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn store(v: V) -> [u64; LANES] {
        let mut out = [0u64; LANES];
        // SAFETY: `out` is 64 writable bytes; the store is unaligned.
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), v) };
        out
    }

    /// Bit l set when lane l's first state word shifted right by `shift` is zero.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn zero_lanes(word0: V, shift: u64) -> u32 {
        let shifted = _mm512_srlv_epi64(word0, splat(shift));
        _mm512_cmpeq_epi64_mask(shifted, _mm512_setzero_si512()) as u32
    }

    lane_search!("avx512f");
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::K;

    type V = __m256i;
    const LANES: usize = 4;

    macro_rules! ror {
        ($x:expr, $n:literal) => {
            _mm256_or_si256(
                _mm256_srli_epi64::<$n>($x),
                _mm256_slli_epi64::<{ 64 - $n }>($x),
            )
        };
    }
    macro_rules! shr {
        ($x:expr, $n:literal) => {
            _mm256_srli_epi64::<$n>($x)
        };
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn add(a: V, b: V) -> V {
        _mm256_add_epi64(a, b)
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn splat(x: u64) -> V {
        _mm256_set1_epi64x(x as i64)
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn xor3(a: V, b: V, c: V) -> V {
        _mm256_xor_si256(_mm256_xor_si256(a, b), c)
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn ch(e: V, f: V, g: V) -> V {
        _mm256_xor_si256(_mm256_and_si256(e, f), _mm256_andnot_si256(e, g))
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn maj(a: V, b: V, c: V) -> V {
        _mm256_or_si256(
            _mm256_and_si256(a, b),
            _mm256_and_si256(c, _mm256_or_si256(a, b)),
        )
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn load(words: &[u64; LANES]) -> V {
        // SAFETY: `words` is 32 readable bytes; the load is unaligned.
        unsafe { _mm256_loadu_si256(words.as_ptr().cast()) }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn store(v: V) -> [u64; LANES] {
        let mut out = [0u64; LANES];
        // SAFETY: `out` is 32 writable bytes; the store is unaligned.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), v) };
        out
    }

    /// Bit l set when lane l's first state word shifted right by `shift` is zero.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn zero_lanes(word0: V, shift: u64) -> u32 {
        let shifted = _mm256_srlv_epi64(word0, splat(shift));
        let equal = _mm256_cmpeq_epi64(shifted, _mm256_setzero_si256());
        _mm256_movemask_pd(_mm256_castsi256_pd(equal)) as u32
    }

    lane_search!("avx2");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_says_why() {
        assert_eq!(
            choose(Cap::Widest, true, true),
            (Some(Lanes::Avx512), "AVX-512 on this CPU")
        );
        assert_eq!(choose(Cap::Avx2, true, true).0, Some(Lanes::Avx2));
        assert!(
            choose(Cap::Avx2, true, true)
                .1
                .contains("COREHEAT_SIMD=avx2")
        );
        assert_eq!(
            choose(Cap::Scalar, true, true),
            (None, "SIMD disabled by COREHEAT_SIMD=none")
        );
        assert_eq!(choose(Cap::Widest, false, true).0, Some(Lanes::Avx2));
        assert_eq!(
            choose(Cap::Widest, false, false),
            (None, "no AVX2 on this CPU")
        );
        assert_eq!(
            choose(Cap::Scalar, false, false),
            (None, "no AVX2 on this CPU")
        );
    }

    #[test]
    fn the_cap_is_read_in_any_case_and_a_word_it_does_not_know_is_named() {
        assert_eq!(Cap::parse(" AVX2 "), Ok(Cap::Avx2));
        for none in ["none", "NONE", "off", "0", "scalar"] {
            assert_eq!(Cap::parse(none), Ok(Cap::Scalar), "{none}");
        }
        assert_eq!(Cap::parse(""), Ok(Cap::Widest));
        let message = Cap::parse("sse4").unwrap_err();
        assert!(message.starts_with("COREHEAT_SIMD=sse4 is not one of none, avx2 or avx512"));
    }
    use crate::kernels::digest::reference_digest;
    use crate::kernels::hash::{Engine, find_first};

    fn kernels() -> Vec<Lanes> {
        [Lanes::Avx512, Lanes::Avx2]
            .into_iter()
            .filter(|&l| digests_with(l, &HashTarget::new(b"", 1), &[0]).is_some())
            .collect()
    }

    #[test]
    fn lanes_match_sha2_for_every_message_shape() {
        for lanes in kernels() {
            for prefix_len in 0..=200usize {
                let prefix: Vec<u8> = (0..prefix_len).map(|i| b'!' + (i % 90) as u8).collect();
                let target = HashTarget::new(&prefix, 1);
                for digits in 1..=20u32 {
                    let first = if digits == 1 {
                        0
                    } else {
                        10u64.pow(digits - 1)
                    };
                    let step = if digits == 1 { 1 } else { 7 };
                    let nonces: Vec<u64> = (0..lanes.count() as u64)
                        .map(|i| first.saturating_add(i * step))
                        .collect();
                    let got = digests_with(lanes, &target, &nonces).unwrap();
                    for (nonce, digest) in nonces.iter().zip(got) {
                        assert_eq!(
                            digest,
                            reference_digest(&prefix, *nonce),
                            "{lanes:?} prefix {prefix_len} nonce {nonce}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn lanes_carry_across_nines() {
        let target = HashTarget::new(b"carry", 64);
        for lanes in kernels() {
            let best = AtomicU64::new(u64::MAX);
            // 990..1000 stays at 3 digits; the search must walk it exactly.
            let outcome = search_piece_with(lanes, &target, 990, 1000, &best).unwrap();
            assert_eq!(outcome.hashes, 10);
            assert_eq!(outcome.hit, None);
        }
    }

    #[test]
    fn simd_finds_the_known_answers() {
        for (zeros, nonce) in [(1, 5), (2, 61), (3, 1533), (4, 288946), (5, 1839773)] {
            let hit = find_first(&HashTarget::new(b"", zeros), Engine::Simd);
            assert_eq!(hit.nonce, nonce, "Z={zeros}");
        }
        let hit = find_first(&HashTarget::new(b"block42:", 4), Engine::Simd);
        assert_eq!(hit.nonce, 6816);
    }
}
