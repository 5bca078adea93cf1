//! What a trace means, beyond drawing it: the workload window with its
//! time-weighted per-CPU load, how many CPUs the workload kept busy, its own CPU
//! time against the machine's, and warnings about the measurement itself.

pub mod stats;
pub mod warnings;
pub mod window;
