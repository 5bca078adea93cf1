//! The JSON outputs: `run --json`, `sweep --json`, `sweep.json` and
//! `info --json`.

use std::path::PathBuf;

use serde_json::json;

use crate::capture::run::RunSummary;
use crate::model::workload::{Mode, WorkloadResult};
use crate::summary::compare::Comparison;
use crate::summary::findings::Finding;
use crate::util::text::display_path;
use crate::util::units::round_ms;

/// Where a sweep's comparison was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub dir: PathBuf,
    pub report: PathBuf,
    pub writeup: PathBuf,
}

/// The one JSON object of `--json`.
pub fn run_json(summary: &RunSummary) -> serde_json::Value {
    json!({
        "workload": summary.spec.kind(),
        "options": summary.spec.to_json(),
        "mode": summary.mode.map(Mode::as_str),
        "workers": summary.workers,
        "cpus": summary.cpus,
        "status": summary.outcome.status.as_str(),
        "message": summary.outcome.message,
        "result": summary.outcome.result.as_ref().map(WorkloadResult::to_json),
        "wall_s": round_ms(summary.outcome.wall_s),
        "user_s": round_ms(summary.outcome.cpu.user_s),
        "sys_s": round_ms(summary.outcome.cpu.sys_s),
        "per_worker": summary.outcome.workers,
        "cpus_in_use": summary.measures.map(|m| round_ms(m.cpus_in_use)),
        "workload_cpu_s": summary.measures.and_then(|m| m.workload_cpu_s).map(round_ms),
        "machine_busy_cpu_s": summary.measures.map(|m| round_ms(m.machine_busy_cpu_s)),
        "other_cpu_s": summary.measures.and_then(|m| m.other_cpu_s).map(round_ms),
        "warnings": summary.warnings,
        "samples": summary.samples,
        "sampler": {
            "cpu_s": summary.sampler_cpu_s,
            "max_lateness_ms": round_ms(summary.sampler_max_lateness_s * 1000.0),
        },
        "dir": display_path(&summary.dir),
        "trace": display_path(&summary.trace),
        "report": summary.report.as_deref().map(display_path),
        "report_error": summary.report_error,
        "trace_error": summary.trace_error,
    })
}

/// What `sweep.json` holds.
pub fn sweep_file_json(comparison: &Comparison<'_>, findings: &[Finding]) -> serde_json::Value {
    json!({
        "title": comparison.title,
        "workload": comparison.spec.to_json(),
        "scaling": comparison.scaling,
        "configurations": comparison.stats,
        "fits": comparison.fits,
        "findings": findings,
        "runs": comparison.runs,
        "interrupted": comparison.interrupted,
    })
}

/// The one JSON object of `sweep --json`.
pub fn sweep_json(
    comparison: &Comparison<'_>,
    findings: &[Finding],
    written: &Written,
) -> serde_json::Value {
    json!({
        "dir": written.dir.display().to_string(),
        "report": written.report.display().to_string(),
        "writeup": written.writeup.display().to_string(),
        "scaling": comparison.scaling,
        "configurations": comparison.stats,
        "fits": comparison.fits,
        "findings": findings,
        "runs": comparison.runs,
        "interrupted": comparison.interrupted,
    })
}
