//! `coreheat run`: capture one run, draw its report, print the result and the
//! `time`-like block (or one JSON object), and choose the exit code.

use std::sync::atomic::Ordering;

use anyhow::{Context, Result};

use super::{EXIT_FAILED, Output};
use crate::capture::{self, run::RunOptions, run::RunSummary};
use crate::model::Status;
use crate::model::workload::{WorkloadResult, WorkloadSpec};
use crate::report;
use crate::util::interrupt::Interrupts;
use crate::util::output::{print, print_err, print_err_line, print_line, print_notice_line};
use crate::util::sorted_json;
use crate::util::text::shell_quote;

/// `coreheat run`: captures the run, draws its report (PNGs at `png_scale`
/// pixels per point), prints the result; returns the exit code.
pub fn run(options: &RunOptions, output: Output, png_scale: u32) -> Result<i32> {
    let interrupts = Interrupts::install().context("cannot install the Ctrl-C handler")?;
    let mut summary = capture::run::run(options, interrupts.stop.clone())?;
    report::draw_run(&mut summary, png_scale);
    print_summary(&summary, output)?;
    if summary.outcome.status == Status::Ok && interrupts.stop.load(Ordering::Relaxed) {
        print_err_line("coreheat: interrupted after the workload ended: its result stands");
    }
    Ok(exit_code(&summary, &interrupts))
}

/// The exit code of a run: 0, 1 for a failure, 130/143 for an interrupt, or the
/// traced command's own code for exec.
pub fn exit_code(summary: &RunSummary, interrupts: &Interrupts) -> i32 {
    let interrupted_after_the_end = interrupts.stop.load(Ordering::Relaxed);
    match (&summary.outcome.result, summary.outcome.status) {
        (_, Status::Interrupted) => interrupts.exit_code(),
        _ if interrupted_after_the_end => interrupts.exit_code(),
        (Some(WorkloadResult::Exec(exec)), _) => exec.exit_code,
        (_, Status::Failed) => EXIT_FAILED,
        (_, Status::Ok) if summary.trace_error.is_some() || summary.report_error.is_some() => {
            EXIT_FAILED
        }
        (_, Status::Ok) => 0,
    }
}

/// What a run prints: the result and the `time` block on stdout, except for
/// exec, whose stdout is the command's own: there, as `time` does, coreheat's
/// lines go to stderr (`coreheat run exec -- make > log` captures only make's
/// output). `--json` is always on stdout.
fn print_summary(summary: &RunSummary, output: Output) -> Result<()> {
    let traces_a_command = matches!(summary.spec, WorkloadSpec::Exec { .. });
    let show: fn(&str) = if traces_a_command { print_err } else { print };
    // Before the result, where they are not missed below the paths.
    for warning in &summary.warnings {
        print_notice_line(&format!(
            "coreheat: warning [{}]: {}",
            warning.code, warning.message
        ));
    }
    if output.json {
        print_line(&sorted_json::to_string(&report::json::run_json(summary))?);
    } else if !output.quiet {
        if let Some(line) = summary.result_line() {
            show(&format!("{line}\n"));
        }
        show("\n");
        show(&report::text::time_block(summary));
        if let Some(reason) = summary.sched.meta.as_ref().and_then(|m| m.reason.as_ref()) {
            print_err_line(&format!(
                "coreheat: note: who ran where was sampled from /proc, not read from the \
                 scheduler's events: {reason}"
            ));
        }
        // What the threads did, in words, as the report's top says it.
        for finding in &summary.findings {
            print_err_line(&format!(
                "coreheat: finding [{}]: {}",
                finding.code, finding.message
            ));
        }
    }
    if let Some(message) = &summary.outcome.message
        && !said_by_the_result_line(summary, output)
    {
        let status = summary.outcome.status.as_str();
        print_err_line(&format!("coreheat: run {status}: {message}"));
    }
    if let Some(problem) = &summary.trace_error {
        print_err_line(&format!("coreheat: error: {problem}"));
    }
    if let Some(problem) = &summary.report_error {
        print_err_line(&format!(
            "coreheat: error: the report could not be drawn: {problem} (the trace is kept; \
             draw it again with: coreheat render {})",
            shell_quote(&summary.trace.display().to_string())
        ));
    }
    Ok(())
}

/// A command that failed is said once: its result line ("command exited with
/// status 3") already tells, unless --json or --quiet left it out.
fn said_by_the_result_line(summary: &RunSummary, output: Output) -> bool {
    let shown = !output.json && !output.quiet;
    shown
        && summary.outcome.status == Status::Failed
        && matches!(summary.outcome.result, Some(WorkloadResult::Exec(_)))
}
