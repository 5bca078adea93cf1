//! coreheat: run a CPU-bound workload, sample every logical CPU's load while it
//! runs, and turn the samples into per-core heat maps.
//!
//! The data flows one way — options → plan → (workload ‖ sampler thread) →
//! trace on disk → summary → report — and the modules are layered the same way:
//! each imports only the layers listed before it (tests/layers.rs keeps it so).
//!
//! - [`util`]: units, cpulists, OS calls, checked input, output folders, interrupts;
//! - [`kernels`]: the hash (scalar and SIMD) and count kernels and their chunk schedule;
//! - [`model`]: the data model every layer shares: samples, events, results, limits;
//! - [`machine`]: topology, CPU limits and pinning, the machine's facts;
//! - [`trace`]: the trace file's reader and writer;
//! - [`import`], [`sampler`]: the other sources of samples (dstat/mpstat files, /proc/stat);
//! - [`modes`]: running a workload serially, on threads, processes or as a command;
//! - [`summary`]: what a trace and a set of runs mean: windows, warnings, statistics;
//! - [`capture`]: plan a run, sample around it, run a sweep; returns data and
//!   draws no file (only the live status line on a terminal);
//! - [`report`]: HTML, PNG charts, the Markdown writeup and JSON outputs;
//! - [`commands`]: one entry point per subcommand, with its exit codes;
//! - [`cli`]: the command line and its conversion into options.

pub mod capture;
pub mod cli;
pub mod commands;
pub mod import;
pub mod kernels;
pub mod machine;
pub mod model;
pub mod modes;
pub mod report;
pub mod sampler;
pub mod summary;
pub mod trace;
pub mod util;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// What [`trace_closure`] gives back: the closure's value, the trace, and the
/// report drawn from it.
pub type TracedClosure<T> = capture::tracer::Traced<T, PathBuf>;

/// Runs `work` on the calling thread while sampling every CPU, saves the trace
/// in `dir` (created; it must not hold a trace already) and draws the report
/// there.
pub fn trace_closure<T>(
    dir: &Path,
    title: &str,
    interval: Duration,
    work: impl FnOnce() -> T,
) -> anyhow::Result<TracedClosure<T>> {
    let traced = capture::tracer::trace_closure(dir, title, interval, work)?;
    let report = report::render_run_folder(&traced.trace, dir)?;
    Ok(traced.with_report(report))
}
