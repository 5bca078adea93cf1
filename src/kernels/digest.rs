//! SHA-512 for the leading-zero search, message by message: the target with
//! its prefix's full blocks compressed once, the final blocks whose digit
//! bytes change between nonces, the decimal counter, the leading-zero test,
//! and the scalar search of one piece of a range. The SIMD kernels build on
//! these pieces; `hash` chooses between them.

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::block_api::compress512;
use sha2::{Digest, Sha512};

/// SHA-512 initial hash value.
pub(crate) const SHA512_IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// True when the big-endian SHA-512 state starts with `zeros` hex zeros.
#[inline(always)]
pub fn state_has_leading_zeros(state: &[u64; 8], zeros: u32) -> bool {
    let bits = zeros * 4;
    let full_words = (bits / 64) as usize;
    if state[..full_words].iter().any(|&w| w != 0) {
        return false;
    }
    let rest = bits % 64;
    rest == 0 || state[full_words] >> (64 - rest) == 0
}

/// Number of leading '0' characters of a digest in lowercase hex.
pub fn leading_hex_zeros(digest: &[u8]) -> u32 {
    let mut zeros = 0;
    for &byte in digest {
        if byte == 0 {
            zeros += 2;
        } else {
            if byte < 0x10 {
                zeros += 1;
            }
            break;
        }
    }
    zeros
}

/// Lowercase hex of a digest.
pub fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

/// The SHA-512 of PREFIX followed by the digits of `nonce`, with the sha2 crate's
/// ordinary API: the reference every hit is checked against.
pub fn reference_digest(prefix: &[u8], nonce: u64) -> [u8; 64] {
    let mut digits = itoa::Buffer::new();
    let mut hasher = Sha512::new();
    hasher.update(prefix);
    hasher.update(digits.format(nonce).as_bytes());
    hasher.finalize().into()
}

/// Number of decimal digits of `n`.
pub fn digit_count(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// The first number with one more digit than `n` (saturating at u64::MAX).
pub fn next_digit_boundary(n: u64) -> u64 {
    10u64.checked_pow(digit_count(n) as u32).unwrap_or(u64::MAX)
}

/// Adds one to ASCII decimal digits in place. The caller keeps the digit count
/// fixed (ranges are split at powers of ten), so a carry never leaves the buffer.
#[inline(always)]
pub fn increment_decimal(digits: &mut [u8]) {
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return;
        }
    }
}

/// Adds a small amount (below 10) to ASCII decimal digits in place, with the same
/// fixed-width contract as [`increment_decimal`].
#[inline(always)]
pub fn add_to_decimal(digits: &mut [u8], amount: u8) {
    debug_assert!(amount < 10);
    let mut carry = amount;
    for d in digits.iter_mut().rev() {
        let value = *d - b'0' + carry;
        if value < 10 {
            *d = b'0' + value;
            return;
        }
        *d = b'0' + value - 10;
        carry = 1;
    }
}

/// The search target: the prefix with its full 128-byte blocks already compressed.
#[derive(Debug, Clone)]
pub struct HashTarget {
    pub prefix: Vec<u8>,
    pub zeros: u32,
    /// SHA-512 state after the prefix's full blocks.
    pub(crate) midstate: [u64; 8],
    /// Bytes of the prefix after its last full block.
    pub(crate) tail: Vec<u8>,
    pub(crate) compressed_bytes: u64,
}

impl HashTarget {
    pub fn new(prefix: &[u8], zeros: u32) -> HashTarget {
        let full = prefix.len() / 128 * 128;
        let mut midstate = SHA512_IV;
        let blocks: Vec<[u8; 128]> = prefix[..full]
            .chunks_exact(128)
            .map(|c| c.try_into().expect("chunks_exact gives 128 bytes"))
            .collect();
        compress512(&mut midstate, &blocks);
        HashTarget {
            prefix: prefix.to_vec(),
            zeros,
            midstate,
            tail: prefix[full..].to_vec(),
            compressed_bytes: full as u64,
        }
    }

    /// The final block(s) for messages with `digits` digits: the prefix tail, room
    /// for the digits at `digit_offset`, padding and the length. One block when it
    /// fits, two otherwise.
    pub(crate) fn final_blocks(&self, digits: usize) -> FinalBlocks {
        let message_tail = self.tail.len() + digits;
        let block_count = if message_tail + 17 <= 128 { 1 } else { 2 };
        let mut blocks = [[0u8; 128]; 2];
        let bytes = blocks.as_flattened_mut();
        bytes[..self.tail.len()].copy_from_slice(&self.tail);
        bytes[message_tail] = 0x80;
        let bit_len = (self.compressed_bytes + message_tail as u64) as u128 * 8;
        let end = block_count * 128;
        bytes[end - 16..end].copy_from_slice(&bit_len.to_be_bytes());
        FinalBlocks {
            blocks,
            block_count,
            digit_offset: self.tail.len(),
            digits,
        }
    }
}

/// The last one or two blocks of every message of one digit count.
#[derive(Clone)]
pub(crate) struct FinalBlocks {
    pub blocks: [[u8; 128]; 2],
    pub block_count: usize,
    pub digit_offset: usize,
    pub digits: usize,
}

impl FinalBlocks {
    /// Writes the digits of `nonce` (which must have `self.digits` digits).
    pub fn set_nonce(&mut self, nonce: u64) {
        let mut buffer = itoa::Buffer::new();
        let text = buffer.format(nonce).as_bytes();
        debug_assert_eq!(text.len(), self.digits);
        self.digits_mut().copy_from_slice(text);
    }

    pub fn digits_mut(&mut self) -> &mut [u8] {
        let range = self.digit_offset..self.digit_offset + self.digits;
        &mut self.blocks.as_flattened_mut()[range]
    }

    /// The blocks to compress.
    pub fn active(&self) -> &[[u8; 128]] {
        &self.blocks[..self.block_count]
    }

    /// Big-endian message word `index` (0..32) of the final blocks.
    pub fn word(&self, index: usize) -> u64 {
        let bytes = &self.blocks.as_flattened()[index * 8..index * 8 + 8];
        u64::from_be_bytes(bytes.try_into().expect("a word is 8 bytes"))
    }
}

/// A hit: the nonce and its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub nonce: u64,
    pub digest: [u8; 64],
}

/// What searching one range gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeOutcome {
    /// The smallest hit in the part of the range searched.
    pub hit: Option<Hit>,
    /// Hashes computed.
    pub hashes: u64,
}

/// How often (in nonces) a search looks at the shared best answer.
pub const STOP_CHECK_EVERY: u64 = 4096;

/// Scalar search of a range whose nonces all have the same digit count.
pub fn search_piece_scalar(
    target: &HashTarget,
    start: u64,
    end: u64,
    best: &AtomicU64,
) -> RangeOutcome {
    let digits = digit_count(start);
    let mut blocks = target.final_blocks(digits);
    blocks.set_nonce(start);
    let mut nonce = start;
    while nonce < end {
        if best.load(Ordering::Relaxed) < nonce {
            break;
        }
        let stop = end.min(nonce.saturating_add(STOP_CHECK_EVERY));
        while nonce < stop {
            let mut state = target.midstate;
            compress512(&mut state, blocks.active());
            if state_has_leading_zeros(&state, target.zeros) {
                let hit = confirm_hit(target, nonce);
                return RangeOutcome {
                    hit,
                    hashes: nonce - start + 1,
                };
            }
            increment_decimal(blocks.digits_mut());
            nonce += 1;
        }
    }
    RangeOutcome {
        hit: None,
        hashes: nonce - start,
    }
}

/// Re-checks a candidate with the sha2 crate's ordinary API before reporting it.
pub(crate) fn confirm_hit(target: &HashTarget, nonce: u64) -> Option<Hit> {
    let digest = reference_digest(&target.prefix, nonce);
    (leading_hex_zeros(&digest) >= target.zeros).then_some(Hit { nonce, digest })
}

/// Big-endian bytes of a SHA-512 state.
pub fn state_to_digest(state: &[u64; 8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (chunk, word) in out.chunks_exact_mut(8).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn leading_zero_count_on_digests() {
        assert_eq!(leading_hex_zeros(&[0x00, 0x0a, 0xff]), 3);
        assert_eq!(leading_hex_zeros(&[0x10]), 0);
        assert_eq!(leading_hex_zeros(&[0x01]), 1);
        assert_eq!(leading_hex_zeros(&[0; 64]), 128);
    }

    #[test]
    fn state_zero_test_matches_hex_count() {
        let mut state = [0u64; 8];
        state[0] = 0x0000_0fff_ffff_ffff;
        assert!(state_has_leading_zeros(&state, 5));
        assert!(!state_has_leading_zeros(&state, 6));
        state[0] = 0;
        state[1] = 0x0fff_ffff_ffff_ffff;
        assert!(state_has_leading_zeros(&state, 17));
        assert!(!state_has_leading_zeros(&state, 18));
        assert!(state_has_leading_zeros(&[0; 8], 128));
    }

    #[test]
    fn decimal_counter_carries() {
        let mut digits = *b"0999";
        increment_decimal(&mut digits);
        assert_eq!(&digits, b"1000");
        let mut digits = *b"1239";
        increment_decimal(&mut digits);
        assert_eq!(&digits, b"1240");
    }

    #[test]
    fn decimal_add_carries() {
        let mut digits = *b"0995";
        add_to_decimal(&mut digits, 8);
        assert_eq!(&digits, b"1003");
        let mut digits = *b"1230";
        add_to_decimal(&mut digits, 4);
        assert_eq!(&digits, b"1234");
    }

    #[test]
    fn digit_boundaries() {
        assert_eq!(digit_count(0), 1);
        assert_eq!(digit_count(9), 1);
        assert_eq!(digit_count(10), 2);
        assert_eq!(digit_count(u64::MAX), 20);
        assert_eq!(next_digit_boundary(5), 10);
        assert_eq!(next_digit_boundary(999), 1000);
        assert_eq!(next_digit_boundary(u64::MAX), u64::MAX);
    }

    #[test]
    fn prepared_blocks_match_sha2_for_every_shape() {
        for prefix_len in [
            0usize, 1, 90, 100, 110, 111, 112, 127, 128, 129, 200, 255, 256,
        ] {
            let prefix: Vec<u8> = (0..prefix_len).map(|i| b'a' + (i % 26) as u8).collect();
            let target = HashTarget::new(&prefix, 0);
            for nonce in [0u64, 9, 10, 99_999, 1_000_000_007, u64::MAX] {
                let mut blocks = target.final_blocks(digit_count(nonce));
                blocks.set_nonce(nonce);
                let mut state = target.midstate;
                compress512(&mut state, blocks.active());
                assert_eq!(
                    state_to_digest(&state),
                    reference_digest(&prefix, nonce),
                    "prefix {prefix_len} bytes, nonce {nonce}"
                );
            }
        }
    }
}
