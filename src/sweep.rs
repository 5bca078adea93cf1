//! `coreheat sweep`: one workload under several configurations (worker counts ×
//! modes × pinnings, each repeated), one ordinary run folder per run inside the
//! sweep folder, then the comparison: report.html, speedup.png, writeup.md and
//! sweep.json. The statistics (medians, speedup, efficiency, the Amdahl or
//! Gustafson serial fraction) are pure functions, tested on their own. An
//! interrupted sweep keeps the runs that finished and compares those.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::cli::SweepCommand;
use crate::interrupt::Interrupts;
use crate::machine::Machine;
use crate::outdir;
use crate::output::{print, print_err_line, print_line};
use crate::run::{self, RunOptions, RunSummary};
use crate::text::printable;
use crate::trace::Status;
use crate::workload::pin::PinSpec;
use crate::workload::{Mode, WorkloadSpec};

mod compare;
mod findings;
mod pinnings;
mod writeup;

pub use compare::{
    ConfigStats, Placement, SeriesFit, amdahl_fraction, amdahl_speedup, compare,
    gustafson_fraction, gustafson_speedup, speedup,
};
pub use findings::{Finding, findings, plural};
pub use writeup::{cpus_text, writeup_markdown};

/// One point of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    pub mode: Mode,
    pub pin: PinSpec,
    pub workers: usize,
}

impl Configuration {
    /// The series this point belongs to: mode and pinning (`threads`, `processes, pin spread`).
    pub fn series(&self) -> String {
        if self.pin.is_none() {
            self.mode.as_str().to_string()
        } else {
            format!("{}, pin {}", self.mode, self.pin.as_text())
        }
    }

    /// A folder-friendly label: `threads-2w`, `processes-4w-spread`.
    pub fn label(&self) -> String {
        let mut label = format!("{}-{}w", self.mode, self.workers);
        if !self.pin.is_none() {
            label.push('-');
            label.push_str(&self.pin.as_text().replace(',', "_"));
        }
        label
    }

    /// For people: `threads, 2 workers, pin spread`.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{}, {} worker{}",
            self.mode,
            self.workers,
            if self.workers == 1 { "" } else { "s" }
        );
        if !self.pin.is_none() {
            let _ = write!(text, ", pin {}", self.pin.as_text());
        }
        text
    }
}

/// Everything a sweep is asked to do.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub spec: WorkloadSpec,
    pub workers: Vec<usize>,
    pub modes: Vec<Mode>,
    pub pins: Vec<PinSpec>,
    pub repeat: u32,
    pub interval: Duration,
    /// Idle time sampled around each run (`None`: the default).
    pub baseline: Option<Duration>,
    pub out: Option<PathBuf>,
    pub reports_root: PathBuf,
    pub title: Option<String>,
    pub live: bool,
    /// Print a line per finished run on stderr.
    pub progress: bool,
    /// The command line as typed, for the writeup.
    pub command: Option<String>,
}

/// Strong scaling (fixed total work: hash, count --split) or weak scaling (work
/// per worker fixed: count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scaling {
    Strong,
    Weak,
}

impl Scaling {
    pub fn of(spec: &WorkloadSpec) -> Scaling {
        match spec {
            WorkloadSpec::Count { split: false, .. } => Scaling::Weak,
            _ => Scaling::Strong,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Scaling::Strong => {
                "strong scaling (the same total work shared by more workers): speedup = T(base) / T(workers)"
            }
            Scaling::Weak => {
                "weak scaling (each worker does the full work): scaled speedup = workers × T(base) / T(workers); time ratio = T(workers) / T(base)"
            }
        }
    }
}

/// One finished run of a sweep.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub configuration: String,
    pub repeat: u32,
    /// Folder relative to the sweep folder.
    pub dir: String,
    pub status: String,
    pub wall_s: f64,
    pub user_s: f64,
    pub sys_s: f64,
    pub result: Option<String>,
    pub command: String,
    /// Samples taken during the run.
    pub samples: usize,
    /// Mean CPUs the workload kept busy.
    pub cpus_in_use: Option<f64>,
    /// Codes of the run's measurement warnings (`other-load`, `underused`, ...).
    pub warnings: Vec<String>,
}

/// Worker counts to try when none are given: 1, 2, 4, ... and the logical count.
pub fn default_workers(logical: usize) -> Vec<usize> {
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |w| w.checked_mul(2))
        .take_while(|&w| w <= logical)
        .collect();
    if counts.last() != Some(&logical) {
        counts.push(logical);
    }
    counts
}

/// Every configuration of the sweep; serial mode only with one worker.
pub fn configurations(options: &SweepOptions) -> Vec<Configuration> {
    let mut list = Vec::new();
    for &mode in &options.modes {
        for pin in &options.pins {
            for &workers in &options.workers {
                if mode == Mode::Serial && workers != 1 {
                    continue;
                }
                let configuration = Configuration {
                    mode,
                    pin: pin.clone(),
                    workers,
                };
                if !list.contains(&configuration) {
                    list.push(configuration);
                }
            }
        }
    }
    list
}

/// What a sweep leaves.
#[derive(Debug)]
pub struct SweepOutcome {
    pub dir: PathBuf,
    pub scaling: Scaling,
    pub stats: Vec<ConfigStats>,
    pub fits: Vec<SeriesFit>,
    pub runs: Vec<RunRecord>,
    pub findings: Vec<Finding>,
    pub interrupted: bool,
    pub failed: usize,
    pub report: PathBuf,
    pub writeup: PathBuf,
}

fn run_options(options: &SweepOptions, configuration: &Configuration, dir: PathBuf) -> RunOptions {
    RunOptions {
        mode: Some(configuration.mode),
        workers: Some(configuration.workers),
        pin: configuration.pin.clone(),
        interval: options.interval,
        baseline: options.baseline,
        out: Some(dir),
        title: options.title.clone(),
        live: options.live,
        ..RunOptions::new(options.spec.clone())
    }
}

/// Runs every configuration, then writes the comparison.
pub fn sweep(options: &SweepOptions, stop: Arc<AtomicBool>) -> Result<SweepOutcome> {
    if let WorkloadSpec::Idle { .. } | WorkloadSpec::Exec { .. } = options.spec {
        bail!(
            "sweep compares worker counts, modes and pinnings; {} has no workers (use hash or count)",
            options.spec.kind()
        );
    }
    let machine = Machine::collect();
    let configurations = configurations(options);
    if configurations.is_empty() {
        bail!(
            "--workers/--modes leave nothing to run: serial runs one worker only (use --workers 1, \
             or add threads or processes to --modes)"
        );
    }
    // Every configuration is checked before the first one runs.
    let placed = pinnings::place(options, configurations, &machine)?;
    let configurations: Vec<Configuration> = placed.iter().map(|(c, _)| c.clone()).collect();
    let folder = sweep_folder(options, &configurations)?;
    let dir = folder.path.clone();

    let total = configurations.len() * options.repeat as usize;
    let mut runs: Vec<(usize, RunRecord)> = Vec::new();
    let mut interrupted = false;
    let mut failed = 0;
    'all: for (index, configuration) in configurations.iter().enumerate() {
        for repeat in 1..=options.repeat {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                interrupted = true; // during the tail of the run before
                break 'all;
            }
            let name = run_folder_name(index, configuration, repeat, options.repeat);
            let running = format!(
                "[{}/{total}] {}",
                runs.len() + 1,
                run_description(configuration, repeat, options.repeat)
            );
            let run_options = RunOptions {
                page_title: Some(run_title(options, configuration, repeat)),
                live_label: Some(running.clone()),
                ..run_options(options, configuration, dir.join(&name))
            };
            let started = run::run_on(&run_options, &machine, stop.clone())
                .with_context(|| format!("run {}", configuration.describe()));
            let summary = match started {
                Ok(summary) => summary,
                Err(e) => {
                    if runs.is_empty() {
                        folder.discard(&[outdir::MANIFEST_FILE]);
                    }
                    return Err(e);
                }
            };
            if let Some(problem) = &summary.report_error {
                failed += 1;
                print_err_line(&format!(
                    "coreheat: error: run {name}: the report could not be drawn: {problem}"
                ));
            }
            let record = record(&summary, configuration, repeat, &name);
            if options.progress {
                print_err_line(&format!(
                    "{running}: {} {:.3}s",
                    record.status, record.wall_s
                ));
            }
            match summary.outcome.status {
                Status::Interrupted => {
                    interrupted = true;
                    runs.push((index, record));
                    break 'all;
                }
                Status::Failed => failed += 1,
                Status::Ok => {}
            }
            runs.push((index, record));
        }
    }

    let scaling = Scaling::of(&options.spec);
    let physical = machine.topology.physical_count();
    let (stats, fits) = compare(scaling, &placed, &runs, physical);
    let runs: Vec<RunRecord> = runs.into_iter().map(|(_, r)| r).collect();
    let title = options
        .title
        .clone()
        .unwrap_or_else(|| default_title(options, &machine));
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
        user_title: options.title.clone(),
    };
    let (report, writeup) = write_comparison(&comparison, &dir)?;
    let findings = findings(&comparison);
    Ok(SweepOutcome {
        dir,
        scaling,
        stats,
        fits,
        findings,
        runs,
        interrupted,
        failed,
        report,
        writeup,
    })
}

/// The files a sweep writes into its folder, besides one folder per run.
const SWEEP_FILES: [&str; 4] = [
    outdir::REPORT_FILE,
    SPEEDUP_FILE,
    WRITEUP_FILE,
    SWEEP_JSON_FILE,
];
const SPEEDUP_FILE: &str = "speedup.png";
const WRITEUP_FILE: &str = "writeup.md";
const SWEEP_JSON_FILE: &str = "sweep.json";

/// One run of a sweep for people: `threads, 2 workers`, and `run 2 of 3` when
/// runs are repeated.
fn run_description(configuration: &Configuration, repeat: u32, repeats: u32) -> String {
    match repeats {
        1 => configuration.describe(),
        _ => format!("{}, run {repeat} of {repeats}", configuration.describe()),
    }
}

/// The title of one run's page: the sweep's title (or its workload) and the
/// run's configuration, `hash --zeros 7 · threads, 2 workers, run 2 of 3`.
fn run_title(options: &SweepOptions, configuration: &Configuration, repeat: u32) -> String {
    let sweep = options
        .title
        .clone()
        .unwrap_or_else(|| options.spec.command_words().join(" "));
    format!(
        "{sweep} · {}",
        run_description(configuration, repeat, options.repeat)
    )
}

/// The folder of one run inside the sweep folder: `02-threads-2w`, or
/// `02-threads-2w-r3` when runs are repeated.
fn run_folder_name(
    index: usize,
    configuration: &Configuration,
    repeat: u32,
    repeats: u32,
) -> String {
    if repeats > 1 {
        format!("{:02}-{}-r{repeat}", index + 1, configuration.label())
    } else {
        format!("{:02}-{}", index + 1, configuration.label())
    }
}

/// The sweep folder: `--out` (checked to hold nothing the sweep writes, run
/// folders included) or a new one under the reports folder.
fn sweep_folder(
    options: &SweepOptions,
    configurations: &[Configuration],
) -> Result<outdir::NewFolder> {
    let folder = match &options.out {
        Some(dir) => {
            let mut names: Vec<String> = SWEEP_FILES.iter().map(|n| n.to_string()).collect();
            names.push(outdir::MANIFEST_FILE.to_string());
            for (index, configuration) in configurations.iter().enumerate() {
                for repeat in 1..=options.repeat {
                    names.push(run_folder_name(
                        index,
                        configuration,
                        repeat,
                        options.repeat,
                    ));
                }
            }
            outdir::prepare_out_folder(dir, &names)?
        }
        None => outdir::create_unique(
            &options.reports_root,
            &format!("sweep-{}", options.spec.label()),
        )?,
    };
    if let Err(e) = outdir::claim(&folder.path, None, &SWEEP_FILES) {
        folder.discard(&[outdir::MANIFEST_FILE]);
        return Err(e);
    }
    Ok(folder)
}

fn record(
    summary: &RunSummary,
    configuration: &Configuration,
    repeat: u32,
    name: &str,
) -> RunRecord {
    RunRecord {
        configuration: configuration.describe(),
        repeat,
        dir: name.to_string(),
        status: summary.outcome.status.as_str().to_string(),
        wall_s: round_ms(summary.outcome.wall_s),
        user_s: round_ms(summary.outcome.cpu.user_s),
        sys_s: round_ms(summary.outcome.cpu.sys_s),
        result: summary.result_line(),
        command: summary.command.clone(),
        samples: summary.samples,
        cpus_in_use: summary.measures.map(|m| m.cpus_in_use),
        warnings: summary
            .warnings
            .iter()
            .map(|w| w.code.to_string())
            .collect(),
    }
}

fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

fn default_title(options: &SweepOptions, machine: &Machine) -> String {
    let words = writeup::as_typed(&options.spec.command_words().join(" "), None);
    format!(
        "{words}: {} on {} logical CPUs",
        options
            .modes
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(" vs "),
        machine.topology.logical_count()
    )
}

/// Everything the comparison pages are drawn from.
pub struct Comparison<'a> {
    pub title: String,
    pub machine: &'a Machine,
    pub spec: &'a WorkloadSpec,
    pub scaling: Scaling,
    pub stats: &'a [ConfigStats],
    pub fits: &'a [SeriesFit],
    pub runs: &'a [RunRecord],
    pub interrupted: bool,
    pub repeat: u32,
    /// The sweep command as typed (without `--title`), when known.
    pub command: Option<String>,
    /// `--title`, to leave out of the run commands shown.
    pub user_title: Option<String>,
}

fn write_comparison(comparison: &Comparison<'_>, dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let png = crate::report::sweep::speedup_png(comparison).context("cannot draw speedup.png")?;
    outdir::write_atomically(&dir.join(SPEEDUP_FILE), &png)?;
    let report = crate::report::sweep::write_sweep_report(comparison, dir, &png)?;
    let writeup = dir.join(WRITEUP_FILE);
    outdir::write_atomically(&writeup, writeup_markdown(comparison).as_bytes())?;
    let json = serde_json::json!({
        "title": comparison.title,
        "workload": comparison.spec.to_json(),
        "scaling": comparison.scaling,
        "configurations": comparison.stats,
        "fits": comparison.fits,
        "findings": findings(comparison),
        "runs": comparison.runs,
        "interrupted": comparison.interrupted,
    });
    outdir::write_atomically(
        &dir.join(SWEEP_JSON_FILE),
        serde_json::to_string_pretty(&json)?.as_bytes(),
    )?;
    Ok((report, writeup))
}

/// `coreheat sweep` from its parsed command line; returns the exit code.
pub fn run_sweep_command(command: &SweepCommand, interrupts: &Interrupts) -> Result<i32> {
    let flags = &command.flags;
    let machine_logical = crate::topology::Topology::detect().logical_count();
    let mut workers = if command.workers.is_empty() {
        default_workers(machine_logical)
    } else {
        command.workers.clone()
    };
    workers.sort_unstable();
    workers.dedup();
    let modes = if command.modes.is_empty() {
        vec![flags.mode.unwrap_or(Mode::Threads)]
    } else {
        command.modes.clone()
    };
    let pins: Vec<PinSpec> = if command.pins.is_empty() {
        vec![flags.pin.clone()]
    } else {
        command.pins.iter().flatten().cloned().collect()
    };
    if !command.workers.is_empty()
        && let Some(note) = serial_note(&modes, &workers)
    {
        print_err_line(&format!("coreheat: note: {note}"));
    }
    let options = SweepOptions {
        spec: command.workload.to_spec(),
        workers,
        modes,
        pins,
        repeat: command.repeat,
        interval: flags.interval,
        baseline: flags.baseline,
        out: flags.out.clone(),
        reports_root: crate::app::reports_root(),
        title: flags.title.clone(),
        live: !flags.quiet && !flags.json,
        progress: !flags.quiet && !flags.json,
        command: Some(typed_command(std::env::args().skip(1))),
    };
    let outcome = sweep(&options, interrupts.stop.clone())?;
    if flags.json {
        let json = serde_json::json!({
            "dir": outcome.dir.display().to_string(),
            "report": outcome.report.display().to_string(),
            "writeup": outcome.writeup.display().to_string(),
            "scaling": outcome.scaling,
            "configurations": outcome.stats,
            "fits": outcome.fits,
            "findings": outcome.findings,
            "runs": outcome.runs,
            "interrupted": outcome.interrupted,
        });
        print_line(&json.to_string());
    } else if !flags.quiet {
        print(&summary_table(&outcome));
    }
    Ok(if outcome.interrupted {
        interrupts.exit_code()
    } else if outcome.failed > 0 {
        crate::app::EXIT_FAILED
    } else {
        0
    })
}

/// `coreheat` and its arguments as typed, shell-quoted, without `--title`.
fn typed_command(args: impl Iterator<Item = String>) -> String {
    let mut words = vec!["coreheat".to_string()];
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if arg == "--title" {
            skip_value = true;
        } else if !arg.starts_with("--title=") {
            words.push(run::shell_quote(&arg));
        }
    }
    words.join(" ")
}

/// What the user should hear when serial mode is asked for with worker counts
/// it cannot have: serial runs one worker only.
pub fn serial_note(modes: &[Mode], workers: &[usize]) -> Option<String> {
    if !modes.contains(&Mode::Serial) {
        return None;
    }
    let more: Vec<String> = workers
        .iter()
        .filter(|&&w| w != 1)
        .map(usize::to_string)
        .collect();
    if more.is_empty() || (modes.len() == 1 && !workers.contains(&1)) {
        // Nothing to skip, or nothing left at all (that is an error of its own).
        return None;
    }
    let measured = if workers.contains(&1) {
        "it is measured with 1 worker only"
    } else {
        "it is not measured (add 1 to --workers)"
    };
    Some(format!(
        "serial runs one worker only: --modes serial is skipped for --workers {}; {measured}",
        more.join(",")
    ))
}

fn summary_table(outcome: &SweepOutcome) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<34} {:>10} {:>4} {:>20} {:>15} {:>13} {:>9}",
        "configuration", "CPUs", "runs", "wall s (mean ± sd)", "min–max s", "speedup", "eff %"
    );
    for s in &outcome.stats {
        let _ = writeln!(
            out,
            "{:<34} {:>10} {:>4} {:>20} {:>15} {:>13} {:>9}",
            s.description,
            crate::topology::format_cpulist(&s.cpus),
            s.runs,
            s.wall_s.plus_minus(3),
            format!("{:.3}–{:.3}", s.wall_s.min, s.wall_s.max),
            s.speedup.map_or("—".into(), |v| v.plus_minus(2)),
            s.efficiency
                .map_or("—".into(), |v| v.times(100.0).plus_minus(0))
        );
    }
    for finding in &outcome.findings {
        let _ = writeln!(out, "- {}", finding.message);
    }
    let _ = writeln!(out, "\nsaved\t{}/", outcome.dir.display());
    let _ = writeln!(out, "report\t{}", outcome.report.display());
    let _ = writeln!(out, "writeup\t{}", outcome.writeup.display());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_command_leaves_out_the_title() {
        let args = [
            "sweep",
            "--title",
            "my run",
            "--workers",
            "1,2",
            "--title=x",
            "count",
            "--n",
            "2^33",
        ];
        assert_eq!(
            typed_command(args.iter().map(|a| a.to_string())),
            "coreheat sweep --workers 1,2 count --n 2^33"
        );
    }

    #[test]
    fn configurations_skip_serial_with_many_workers() {
        let options = SweepOptions {
            spec: WorkloadSpec::Count {
                n: 10,
                split: false,
            },
            workers: vec![1, 2],
            modes: vec![Mode::Serial, Mode::Threads],
            pins: vec![PinSpec::None, PinSpec::Spread],
            repeat: 1,
            interval: Duration::from_secs(1),
            baseline: None,
            out: None,
            reports_root: PathBuf::from("reports"),
            title: None,
            live: false,
            progress: false,
            command: None,
        };
        let list = configurations(&options);
        assert_eq!(list.len(), 2 + 4);
        assert!(
            list.iter()
                .all(|c| c.mode != Mode::Serial || c.workers == 1)
        );
        assert_eq!(list[1].label(), "serial-1w-spread");
        assert_eq!(default_workers(6), vec![1, 2, 4, 6]);
        assert_eq!(default_workers(2), vec![1, 2]);
    }
}
