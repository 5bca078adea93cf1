//! What a trace means, beyond drawing it: the workload window with its
//! time-weighted per-CPU load, how many CPUs the workload kept busy, its own CPU
//! time against the machine's, warnings about the measurement itself, and
//! what a sweep's runs say when compared.

pub mod compare;
pub mod findings;
pub mod fleet;
pub mod load;
pub mod run_findings;
pub mod sched;
pub mod stats;
pub mod sweep_file;
pub mod sweep_runs;
pub mod threads;
pub mod trace_summary;
pub mod warnings;
pub mod window;
