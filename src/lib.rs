//! coreheat: run a CPU-bound workload, sample every logical CPU's load while it
//! runs, and turn the samples into per-core heat maps.
//!
//! # The library
//!
//! - [`trace_closure`]: run a closure while sampling every CPU, save the trace
//!   and draw its report;
//! - [`run`]: run a workload as `coreheat run` does ([`RunOptions`] of a
//!   [`WorkloadSpec`]), its trace saved in its folder, into a [`RunSummary`];
//! - [`read_trace`]: a trace file whole, as a [`Trace`];
//! - [`summarize`]: a trace (or a dstat CSV, an mpstat JSON) binned for
//!   drawing, with the workload's figures, warnings and findings: a [`TraceSummary`];
//! - [`render`]: report.html and the PNG charts of a trace, in a folder;
//! - [`synthetic`]: made-up traces of any size, to try the reports at scale;
//! - [`main`]: the command line, all of it (the `coreheat` binary is this call).
//!
//! # Inside
//!
//! The data flows one way — options → plan → (workload ‖ sampler thread) →
//! trace on disk → summary → report — and the modules are layered the same way:
//! each imports only the layers listed before it (tests/layers.rs keeps it so):
//! `util` (units, cpulists, OS calls, checked input, output folders,
//! interrupts); `kernels` (the hash and count kernels and their chunk
//! schedule); `model` (the data every layer shares); `machine` (topology, CPU
//! limits, pinning); `trace` (the trace file's reader and writer); `import` and
//! `sampler` (dstat/mpstat files, /proc/stat, the scheduler's events); `modes`
//! (serial, threads, processes, a command); `summary` (what a trace means);
//! `capture` (plan a run, sample around it, run a sweep); `report` (HTML, PNG,
//! Markdown, JSON); `commands` (one entry per subcommand); `cli`. `modes`,
//! `capture`, `commands` and `cli` are private; the others are public only for
//! coreheat's integration tests and benchmarks, hidden from this
//! documentation, and change without notice: use the functions above.

// The layers behind the face. Those the integration tests and benchmarks
// reach into (crates of their own, which cannot see `pub(crate)`) are public
// but hidden from the documentation and free to change in any release.
mod capture;
mod cli;
mod commands;
#[doc(hidden)]
pub mod import;
#[doc(hidden)]
pub mod kernels;
#[doc(hidden)]
pub mod machine;
#[doc(hidden)]
pub mod model;
mod modes;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod sampler;
#[doc(hidden)]
pub mod summary;
#[doc(hidden)]
pub mod trace;
#[doc(hidden)]
pub mod util;

use std::path::{Path, PathBuf};
use std::time::Duration;

// The face: what its functions take and give.
pub use capture::run::{RunOptions, RunSummary};
pub use capture::tracer::Traced;
pub use kernels::hash::Engine;
pub use machine::pin::PinSpec;
pub use model::sched::SchedRequest;
pub use model::workload::{Mode, WorkloadSpec};
pub use util::interrupt::DEFAULT_EXEC_GRACE;
// What a trace holds: its header, samples, events and end line.
pub use model::workload::WorkloadResult;
pub use model::{CpuLoad, End, Event, EventKind, Meta, Sample, Status, TraceCpu};
pub use summary::trace_summary::TraceSummary;
pub use trace::{Trace, TraceError, synthetic};

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

/// Runs a workload as `coreheat run` does: samples every CPU around it and
/// saves the trace in its folder (`options.out`, or a new one under
/// `options.reports_root`), then draws report.html and the PNGs there. Setting
/// `stop` (from another thread, or a signal handler) ends the workload early;
/// its trace then says it was interrupted. A failed or interrupted workload is
/// a summary with that status; an error is what kept it from starting.
///
/// Worker processes (`Mode::Processes`) and traced commands
/// (`WorkloadSpec::Exec`) are started from a coreheat binary: a program of
/// your own names one in `options.worker_exe`, else the run is refused (it
/// would start your program again).
pub fn run(
    options: &RunOptions,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<RunSummary> {
    let starts_coreheat =
        options.mode == Some(Mode::Processes) || matches!(options.spec, WorkloadSpec::Exec { .. });
    if starts_coreheat && options.worker_exe.is_none() && !this_is_coreheat() {
        anyhow::bail!(
            "{} starts coreheat's own binary (its hidden __worker and __guard commands): \
             set RunOptions::worker_exe to the path of a coreheat binary",
            match options.spec {
                WorkloadSpec::Exec { .. } => "a traced command (exec)",
                _ => "a run of worker processes",
            }
        );
    }
    let mut summary = capture::run::run(options, stop)?;
    report::draw_run(&mut summary, report::canvas::DEFAULT_PNG_SCALE);
    Ok(summary)
}

/// Whether this process is a coreheat binary (its file is named so).
fn this_is_coreheat() -> bool {
    std::env::current_exe().is_ok_and(|exe| exe.file_stem().is_some_and(|s| s == "coreheat"))
}

/// Reads a coreheat trace file whole (samples, events, tasks, end line).
pub fn read_trace(path: &Path) -> Result<Trace, TraceError> {
    Trace::read(path)
}

/// A trace, dstat CSV or mpstat JSON (told apart by their content) binned for
/// drawing: the heat map's columns, the workload window with its figures of
/// record, warnings and findings. A coreheat trace is streamed, never held
/// in memory whole.
pub fn summarize(path: &Path) -> anyhow::Result<TraceSummary> {
    Ok(summary::load::load(path, import::InputFormat::Auto)?.summary)
}

/// Draws report.html, heatmap.png and cores.png of a coreheat trace into
/// `dir` (created); files there are replaced only when coreheat drew them
/// from this same trace. Returns the path of report.html.
pub fn render(trace: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    report::render_run_folder(trace, dir)
}

/// The whole command line: parses the process's arguments, runs the
/// subcommand and exits with its code (errors on stderr, exit 2 unless the
/// error carries its own code). The `coreheat` binary is this one call.
pub fn main() -> ! {
    match cli::dispatch::execute(cli::parse()) {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            let messages = util::output::error_messages(&error);
            util::output::print_err_line(&format!("coreheat: error: {}", messages[0]));
            for cause in &messages[1..] {
                util::output::print_err_line(&format!("  caused by: {cause}"));
            }
            let code = error
                .downcast_ref::<capture::run::ExitCodeError>()
                .map_or(2, |e| e.code);
            std::process::exit(code);
        }
    }
}
