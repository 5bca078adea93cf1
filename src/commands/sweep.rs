//! `coreheat sweep`: capture every configuration's runs (drawing each run's
//! report as it finishes), compare them, write the comparison (report.html,
//! speedup.png, writeup.md, sweep.json), print the table or one JSON object,
//! and choose the exit code.

use anyhow::{Context, Result};

use super::{EXIT_FAILED, Output};
use crate::capture::sweep::{SweepOptions, SweepRuns, sweep as capture_sweep};
use crate::report;
use crate::summary::compare::{Comparison, compare};
use crate::summary::findings::findings;
use crate::summary::sweep_runs::{RunRecord, Scaling};
use crate::util::interrupt::Interrupts;
use crate::util::output::{print, print_line};
use crate::util::sorted_json;
use crate::util::text::printable;

/// Runs the sweep and writes its comparison, PNGs at `png_scale` pixels per
/// point; returns the exit code.
pub fn sweep(options: &SweepOptions, output: Output, png_scale: u32) -> Result<i32> {
    let interrupts = Interrupts::install().context("cannot install the Ctrl-C handler")?;
    let mut draw = |summary: &mut _| report::draw_run(summary, png_scale);
    let swept = capture_sweep(options, interrupts.stop.clone(), &mut draw)?;
    let SweepRuns {
        dir,
        machine,
        placed,
        runs,
        interrupted,
        failed,
    } = swept;
    let scaling = Scaling::of(&options.spec);
    let (stats, fits) = compare(scaling, &placed, &runs, &machine.topology);
    let runs: Vec<RunRecord> = runs.into_iter().map(|(_, record)| record).collect();
    let title = options
        .title
        .clone()
        .unwrap_or_else(|| report::sweep::default_title(options, &machine));
    let comparison = Comparison {
        title: printable(&title),
        machine: &machine,
        spec: &options.spec,
        scaling,
        stats: &stats,
        fits: &fits,
        runs: &runs,
        interrupted,
        repeat: options.repeat,
        command: options.command.clone(),
    };
    let findings = findings(&comparison);
    let written = report::sweep::write_comparison(&comparison, &findings, &dir, png_scale)?;
    if output.json {
        let json = report::json::sweep_json(&comparison, &findings, &written);
        print_line(&sorted_json::to_string(&json)?);
    } else if !output.quiet {
        print(&report::text::sweep_table(&comparison, &findings, &written));
    }
    Ok(if interrupted {
        interrupts.exit_code()
    } else if failed > 0 {
        EXIT_FAILED
    } else {
        0
    })
}
