//! The pure computations a workload runs: the SHA-512 leading-zero search
//! (scalar and SIMD), the integer count, and the chunk schedule that hands out
//! their work. No threads, processes or I/O here.

pub mod count;
pub mod digest;
pub mod hash;
pub mod schedule;
pub mod simd;
