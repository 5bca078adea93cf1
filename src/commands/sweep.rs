//! `coreheat sweep`: capture every configuration's runs (drawing each run's
//! report as it finishes; the plan and each run's record are saved in
//! sweep.json as they happen), then compare what was saved, write the
//! comparison into sweep.json and only then draw report.html, speedup.png and
//! writeup.md from it; print the table or one JSON object, and choose the exit
//! code. `coreheat render SWEEP_DIR` ([`redraw`]) draws a saved sweep again.

use std::path::Path;

use anyhow::{Context, Result};

use super::{EXIT_FAILED, Output};
use crate::capture::sweep::{SweepOptions, SweepRuns, sweep as capture_sweep};
use crate::report;
use crate::report::json::Written;
use crate::summary::compare::{Comparison, compare};
use crate::summary::findings::{Finding, findings};
use crate::summary::sweep_file::SavedSweep;
use crate::summary::sweep_runs::RunRecord;
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
        interrupted,
        failed,
        ..
    } = swept;
    draw_saved(&dir, png_scale, output)?;
    Ok(if interrupted {
        interrupts.exit_code()
    } else if failed > 0 {
        EXIT_FAILED
    } else {
        0
    })
}

/// `coreheat render SWEEP_DIR`: compares the runs a sweep folder's sweep.json
/// saved and draws the comparison again, the same bytes the sweep drew (or,
/// for a sweep stopped before it could draw, its first drawing).
/// Prints where report.html is, as `render` does for traces.
pub fn redraw(dir: &Path, png_scale: u32) -> Result<i32> {
    let quiet = Output {
        json: false,
        quiet: true,
    };
    let written = draw_saved(dir, png_scale, quiet)?;
    print_line(&written.report.display().to_string());
    Ok(0)
}

/// Whether `path` is a sweep folder (a folder holding a sweep.json) or the
/// sweep.json of one.
pub fn is_sweep_folder(path: &Path) -> bool {
    sweep_folder_of(path).is_some()
}

/// The sweep folder `path` is, or whose sweep.json it is.
pub fn sweep_folder_of(path: &Path) -> Option<&Path> {
    let file = crate::util::outdir::SWEEP_JSON_FILE;
    if path.is_dir() && path.join(file).is_file() {
        return Some(path);
    }
    let folder = path.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    (path.file_name().is_some_and(|n| n == file) && path.is_file())
        .then_some(folder)
        .flatten()
}

/// Reads the sweep folder's sweep.json, compares its runs, writes the
/// comparison into sweep.json, then draws the pages from it and prints the
/// table (or the JSON object).
fn draw_saved(dir: &Path, png_scale: u32, output: Output) -> Result<Written> {
    let saved = SavedSweep::read(dir)?;
    let spec = saved.spec()?;
    let scaling = saved.scaling()?;
    let (placed, runs) = saved.placed_runs()?;
    let (stats, fits) = compare(scaling, &placed, &runs, &saved.machine.topology);
    let runs: Vec<RunRecord> = runs.into_iter().map(|(_, record)| record).collect();
    let comparison = Comparison {
        title: printable(&saved.title),
        machine: &saved.machine,
        spec: &spec,
        scaling,
        stats: &stats,
        fits: &fits,
        runs: &runs,
        interrupted: saved.interrupted,
        repeat: saved.repeat,
        command: saved.command.clone(),
    };
    let findings: Vec<Finding> = findings(&comparison);
    report::sweep::write_sweep_json(&saved, &comparison, &findings, dir)?;
    let written: Written = report::sweep::write_comparison(&comparison, &findings, dir, png_scale)?;
    if output.json {
        let json = report::json::sweep_json(&comparison, &findings, &written);
        print_line(&sorted_json::to_string(&json)?);
    } else if !output.quiet {
        print(&report::text::sweep_table(&comparison, &findings, &written));
    }
    Ok(written)
}
