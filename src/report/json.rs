//! The JSON outputs: `run --json` ([`RunJson`]), `sweep --json` ([`SweepJson`]),
//! `sweep.json` ([`SweepFileJson`]) and `info --json` (`info::InfoJson`).
//!
//! These structs are the one contract between measuring and exporting, and
//! docs/json-output.md lists their fields: a field renamed here is a field
//! renamed for every script that reads the output. They are printed with
//! [`crate::util::sorted_json`], so every object's keys come in alphabetical
//! order, as they always have.

use std::path::PathBuf;

use serde::Serialize;

use crate::capture::run::RunSummary;
use crate::model::Status;
use crate::model::workload::{
    CountResult, ExecResult, HashResult, IdleResult, Mode, WorkloadMeta, WorkloadResult,
};
use crate::modes::outcome::WorkerReport;
use crate::summary::compare::{Comparison, ConfigStats, SeriesFit};
use crate::summary::findings::Finding;
use crate::summary::sweep_file::SavedSweep;
use crate::summary::sweep_runs::{RunRecord, Scaling};
use crate::summary::warnings::Warning;
use crate::util::text::display_path;
use crate::util::units::round_ms;

/// Where a sweep's comparison was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub dir: PathBuf,
    pub report: PathBuf,
    pub writeup: PathBuf,
}

/// The one JSON object of `run --json`. Times are rounded to the millisecond.
#[derive(Debug, Serialize)]
pub struct RunJson<'a> {
    /// `hash`, `count`, `idle` or `exec`.
    pub workload: &'static str,
    /// The workload's kind and options, as in the trace header.
    pub options: WorkloadMeta,
    /// `null` for idle and exec.
    pub mode: Option<Mode>,
    pub workers: usize,
    /// The CPUs the workers were pinned to (empty when unpinned).
    pub cpus: &'a [u32],
    pub status: Status,
    pub message: Option<&'a str>,
    pub result: Option<ResultJson<'a>>,
    pub wall_s: f64,
    pub user_s: f64,
    pub sys_s: f64,
    pub per_worker: &'a [WorkerReport],
    pub cpus_in_use: Option<f64>,
    pub workload_cpu_s: Option<f64>,
    pub machine_busy_cpu_s: Option<f64>,
    pub other_cpu_s: Option<f64>,
    pub warnings: &'a [Warning],
    /// What the workload's threads did, in plain words (docs/findings.md).
    pub findings: &'a [Finding],
    /// Whether the workload's threads were sampled (`--tasks off`: no
    /// findings could be drawn, an empty list says nothing).
    pub tasks_sampled: bool,
    /// Where "who ran where" came from, and how much of it.
    pub sched: SchedJson<'a>,
    /// From the scheduler's events: for how long exactly `running` of the
    /// workload's threads ran at once over its window (empty without events).
    pub concurrency: Vec<ConcurrencyJson>,
    pub samples: usize,
    pub sampler: SamplerJson,
    pub dir: String,
    pub trace: String,
    pub report: Option<String>,
    pub report_error: Option<&'a str>,
    pub trace_error: Option<&'a str>,
}

/// `run --json`'s `sched`.
#[derive(Debug, Serialize)]
pub struct SchedJson<'a> {
    /// `events`, `sampled` or `off`.
    pub source: &'static str,
    /// Why the source is not `events` when events were not asked away.
    pub reason: Option<&'a str>,
    /// Slices and migrations the trace holds.
    pub events: u64,
    /// Events the kernel lost (its ring buffer was full).
    pub lost: u64,
    /// Slices left out over coreheat's budget of 200 000 a second (or that a
    /// reader would refuse).
    pub dropped: u64,
    /// Slices whose switch-in the kernel never delivered: their start is
    /// the latest moment known before it, so they may be a little long.
    pub unpaired: u64,
}

/// One bar of `run --json`'s `concurrency`.
#[derive(Debug, Serialize)]
pub struct ConcurrencyJson {
    pub running: usize,
    pub seconds: f64,
    /// Of those seconds, how long at least one more thread waited for a CPU.
    pub waiting_s: f64,
}

/// What the sampler cost: `run --json`'s `sampler`.
#[derive(Debug, Serialize)]
pub struct SamplerJson {
    /// CPU seconds the sampler thread used.
    pub cpu_s: f64,
    /// CPU seconds the thread reading the scheduler's events used (0 without).
    pub sched_cpu_s: f64,
    /// How late the latest sample was taken, in milliseconds.
    pub max_lateness_ms: f64,
}

/// A workload's result without its kind tag (the trace tags it:
/// `{"hash":{...}}`); `run --json`'s `result`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ResultJson<'a> {
    Hash(&'a HashResult),
    Count(&'a CountResult),
    Exec(&'a ExecResult),
    Idle(&'a IdleResult),
}

impl<'a> From<&'a WorkloadResult> for ResultJson<'a> {
    fn from(result: &'a WorkloadResult) -> ResultJson<'a> {
        match result {
            WorkloadResult::Hash(r) => ResultJson::Hash(r),
            WorkloadResult::Count(r) => ResultJson::Count(r),
            WorkloadResult::Exec(r) => ResultJson::Exec(r),
            WorkloadResult::Idle(r) => ResultJson::Idle(r),
        }
    }
}

fn round_us(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}

fn sched_json(summary: &RunSummary) -> SchedJson<'_> {
    let meta = summary.sched.meta.as_ref();
    SchedJson {
        source: meta.map_or("off", |m| m.source.as_str()),
        reason: meta.and_then(|m| m.reason.as_deref()),
        events: summary.sched.events,
        lost: summary.sched.lost,
        dropped: summary.sched.dropped,
        unpaired: summary.sched.unpaired,
    }
}

/// The one JSON object of `--json`.
pub fn run_json(summary: &RunSummary) -> RunJson<'_> {
    let outcome = &summary.outcome;
    let measures = summary.measures.as_ref();
    let options = summary.spec.to_meta();
    RunJson {
        workload: options.kind(),
        options,
        mode: summary.mode,
        workers: summary.workers,
        cpus: &summary.cpus,
        status: outcome.status,
        message: outcome.message.as_deref(),
        result: outcome.result.as_ref().map(ResultJson::from),
        wall_s: round_ms(outcome.wall_s),
        user_s: round_ms(outcome.cpu.user_s),
        sys_s: round_ms(outcome.cpu.sys_s),
        per_worker: &outcome.workers,
        cpus_in_use: measures.map(|m| round_ms(m.cpus_in_use)),
        workload_cpu_s: measures.and_then(|m| m.workload_cpu_s).map(round_ms),
        machine_busy_cpu_s: measures.map(|m| round_ms(m.machine_busy_cpu_s)),
        other_cpu_s: measures.and_then(|m| m.other_cpu_s).map(round_ms),
        warnings: &summary.warnings,
        findings: &summary.findings,
        tasks_sampled: summary.tasks_sampled,
        sched: sched_json(summary),
        concurrency: summary
            .sched
            .concurrency
            .iter()
            .map(|bar| ConcurrencyJson {
                running: bar.running,
                seconds: round_us(bar.seconds),
                waiting_s: round_us(bar.waiting_s),
            })
            .collect(),
        samples: summary.samples,
        sampler: SamplerJson {
            cpu_s: summary.sampler_cpu_s,
            sched_cpu_s: summary.sched_cpu_s,
            max_lateness_ms: round_ms(summary.sampler_max_lateness_s * 1000.0),
        },
        dir: display_path(&summary.dir),
        trace: display_path(&summary.trace),
        report: summary.report.as_deref().map(display_path),
        report_error: summary.report_error.as_deref(),
        trace_error: summary.trace_error.as_deref(),
    }
}

/// What `sweep --json` and `sweep.json` both carry: the comparison.
#[derive(Debug, Serialize)]
pub struct ComparisonJson<'a> {
    pub scaling: Scaling,
    /// One entry per configuration (mode, pinning, workers).
    pub configurations: &'a [ConfigStats],
    /// One serial-fraction fit per series.
    pub fits: &'a [SeriesFit],
    pub findings: &'a [Finding],
    /// One record per run, in the order they ran.
    pub runs: &'a [RunRecord],
    /// The sweep was stopped before its last run.
    pub interrupted: bool,
}

impl<'a> ComparisonJson<'a> {
    fn of(comparison: &Comparison<'a>, findings: &'a [Finding]) -> ComparisonJson<'a> {
        ComparisonJson {
            scaling: comparison.scaling,
            configurations: comparison.stats,
            fits: comparison.fits,
            findings,
            runs: comparison.runs,
            interrupted: comparison.interrupted,
        }
    }
}

/// What `sweep.json` holds: what the sweep saved before drawing (title,
/// workload, machine, plan, runs: [`SavedSweep`]) and the comparison drawn
/// from it.
#[derive(Debug, Serialize)]
pub struct SweepFileJson<'a> {
    #[serde(flatten)]
    pub saved: &'a SavedSweep,
    pub scaling: Scaling,
    /// One entry per configuration (mode, pinning, workers).
    pub configurations: &'a [ConfigStats],
    /// One serial-fraction fit per series.
    pub fits: &'a [SeriesFit],
    pub findings: &'a [Finding],
}

/// What `sweep.json` holds.
pub fn sweep_file_json<'a>(
    saved: &'a SavedSweep,
    comparison: &'a Comparison<'a>,
    findings: &'a [Finding],
) -> SweepFileJson<'a> {
    SweepFileJson {
        saved,
        scaling: comparison.scaling,
        configurations: comparison.stats,
        fits: comparison.fits,
        findings,
    }
}

/// The one JSON object of `sweep --json`: the comparison and where it was written.
#[derive(Debug, Serialize)]
pub struct SweepJson<'a> {
    /// The sweep's folder.
    pub dir: String,
    /// Its `report.html`.
    pub report: String,
    /// Its `writeup.md`.
    pub writeup: String,
    #[serde(flatten)]
    pub comparison: ComparisonJson<'a>,
}

/// The one JSON object of `sweep --json`.
pub fn sweep_json<'a>(
    comparison: &Comparison<'a>,
    findings: &'a [Finding],
    written: &Written,
) -> SweepJson<'a> {
    SweepJson {
        dir: written.dir.display().to_string(),
        report: written.report.display().to_string(),
        writeup: written.writeup.display().to_string(),
        comparison: ComparisonJson::of(comparison, findings),
    }
}
