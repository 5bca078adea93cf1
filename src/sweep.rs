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
use crate::text::{markdown_code_block, markdown_text, printable};
use crate::trace::Status;
use crate::units::format_time_block_seconds;
use crate::workload::pin::PinSpec;
use crate::workload::{Mode, WorkloadSpec};

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
}

/// A configuration's runs boiled down.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigStats {
    pub series: String,
    pub label: String,
    pub description: String,
    pub workers: usize,
    pub runs: usize,
    pub wall_s: f64,
    pub user_s: f64,
    pub sys_s: f64,
    /// Strong: T(base)/T; weak: workers × T(base)/T (scaled speedup).
    pub speedup: Option<f64>,
    pub efficiency: Option<f64>,
    /// T / T(base).
    pub time_ratio: Option<f64>,
    /// Folder of the median run.
    pub dir: String,
}

/// The fitted serial fraction of one series.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesFit {
    pub series: String,
    pub base_workers: usize,
    /// Amdahl (strong) or Gustafson (weak) serial fraction, 0..=1.
    pub serial_fraction: Option<f64>,
}

/// The median of some numbers (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// Speedup of `t` workers' time against the base: strong scaling assumes the
/// base (with `base_workers`) scaled perfectly from one worker.
pub fn speedup(
    scaling: Scaling,
    base_workers: usize,
    base_t: f64,
    workers: usize,
    t: f64,
) -> Option<f64> {
    if t <= 0.0 || base_t <= 0.0 {
        return None;
    }
    Some(match scaling {
        Scaling::Strong => base_workers as f64 * base_t / t,
        Scaling::Weak => workers as f64 * base_t / t,
    })
}

/// Amdahl's serial fraction f from (workers, speedup) points, by least squares
/// on 1/S − 1/w = f (1 − 1/w). Points at one worker carry no information.
pub fn amdahl_fraction(points: &[(usize, f64)]) -> Option<f64> {
    let (mut xy, mut xx) = (0.0, 0.0);
    for &(w, s) in points {
        if w < 2 || s <= 0.0 {
            continue;
        }
        let x = 1.0 - 1.0 / w as f64;
        let y = 1.0 / s - 1.0 / w as f64;
        xy += x * y;
        xx += x * x;
    }
    (xx > 0.0).then(|| (xy / xx).clamp(0.0, 1.0))
}

/// Gustafson's serial fraction f from (workers, scaled speedup) points, by least
/// squares on w − S = f (w − 1).
pub fn gustafson_fraction(points: &[(usize, f64)]) -> Option<f64> {
    let (mut xy, mut xx) = (0.0, 0.0);
    for &(w, s) in points {
        if w < 2 {
            continue;
        }
        let x = w as f64 - 1.0;
        xy += x * (w as f64 - s);
        xx += x * x;
    }
    (xx > 0.0).then(|| (xy / xx).clamp(0.0, 1.0))
}

/// Amdahl's speedup for a serial fraction.
pub fn amdahl_speedup(fraction: f64, workers: f64) -> f64 {
    1.0 / (fraction + (1.0 - fraction) / workers)
}

/// Gustafson's scaled speedup for a serial fraction.
pub fn gustafson_speedup(fraction: f64, workers: f64) -> f64 {
    workers - fraction * (workers - 1.0)
}

/// Groups runs by configuration and computes medians, speedup and efficiency per
/// series against its smallest worker count. The serial fraction is fitted on
/// the points with at most `logical_cpus` workers: more workers than CPUs cannot
/// all run at once, which no scaling law describes.
pub fn compare(
    scaling: Scaling,
    configurations: &[Configuration],
    runs: &[(usize, RunRecord)],
    logical_cpus: usize,
) -> (Vec<ConfigStats>, Vec<SeriesFit>) {
    let mut stats = Vec::new();
    for (index, configuration) in configurations.iter().enumerate() {
        let mine: Vec<&RunRecord> = runs
            .iter()
            .filter(|(i, r)| *i == index && r.status == "ok")
            .map(|(_, r)| r)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let walls: Vec<f64> = mine.iter().map(|r| r.wall_s).collect();
        let wall = median(&walls).unwrap_or(0.0);
        let median_run = mine
            .iter()
            .min_by(|a, b| (a.wall_s - wall).abs().total_cmp(&(b.wall_s - wall).abs()))
            .expect("at least one run");
        stats.push(ConfigStats {
            series: configuration.series(),
            label: configuration.label(),
            description: configuration.describe(),
            workers: configuration.workers,
            runs: mine.len(),
            wall_s: wall,
            user_s: median(&mine.iter().map(|r| r.user_s).collect::<Vec<_>>()).unwrap_or(0.0),
            sys_s: median(&mine.iter().map(|r| r.sys_s).collect::<Vec<_>>()).unwrap_or(0.0),
            speedup: None,
            efficiency: None,
            time_ratio: None,
            dir: median_run.dir.clone(),
        });
    }
    let mut fits = Vec::new();
    let mut series_names: Vec<String> = stats.iter().map(|s| s.series.clone()).collect();
    series_names.sort();
    series_names.dedup();
    for series in series_names {
        let Some((base_workers, base_t)) = stats
            .iter()
            .filter(|s| s.series == series)
            .min_by_key(|s| s.workers)
            .map(|s| (s.workers, s.wall_s))
        else {
            continue;
        };
        let mut points = Vec::new();
        for s in stats.iter_mut().filter(|s| s.series == series) {
            s.speedup = speedup(scaling, base_workers, base_t, s.workers, s.wall_s);
            s.time_ratio = (base_t > 0.0).then(|| s.wall_s / base_t);
            s.efficiency = s.speedup.map(|sp| sp / s.workers as f64);
            if let Some(sp) = s.speedup
                && s.workers <= logical_cpus
            {
                points.push((s.workers, sp));
            }
        }
        let serial_fraction = match scaling {
            Scaling::Strong => amdahl_fraction(&points),
            Scaling::Weak => gustafson_fraction(&points),
        };
        fits.push(SeriesFit {
            series,
            base_workers,
            serial_fraction,
        });
    }
    (stats, fits)
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
    for configuration in &configurations {
        let probe = run_options(options, configuration, PathBuf::from("unused"));
        run::plan(&probe, &machine)
            .with_context(|| format!("configuration {}", configuration.describe()))?;
    }
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
    let logical = machine.topology.logical_count();
    let (stats, fits) = compare(scaling, &configurations, &runs, logical);
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
    };
    let (report, writeup) = write_comparison(&comparison, &dir)?;
    Ok(SweepOutcome {
        dir,
        scaling,
        stats,
        fits,
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
    }
}

fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

fn default_title(options: &SweepOptions, machine: &Machine) -> String {
    let words = options.spec.command_words().join(" ");
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
        "runs": comparison.runs,
        "interrupted": comparison.interrupted,
    });
    outdir::write_atomically(
        &dir.join(SWEEP_JSON_FILE),
        serde_json::to_string_pretty(&json)?.as_bytes(),
    )?;
    Ok((report, writeup))
}

/// Plain-words findings: scaling per series, threads vs processes, pinnings.
pub fn findings(comparison: &Comparison<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    let stats = comparison.stats;
    for fit in comparison.fits {
        let series: Vec<&ConfigStats> = stats.iter().filter(|s| s.series == fit.series).collect();
        let (Some(base), Some(top)) = (series.first(), series.iter().max_by_key(|s| s.workers))
        else {
            continue;
        };
        if top.workers == base.workers {
            lines.push(format!(
                "{}: only {} worker{} measured ({:.3}s), nothing to compare it with.",
                fit.series,
                base.workers,
                if base.workers == 1 { "" } else { "s" },
                base.wall_s
            ));
            continue;
        }
        let speedup = top.speedup.unwrap_or(0.0);
        let efficiency = top.efficiency.unwrap_or(0.0) * 100.0;
        let mut line = match comparison.scaling {
            Scaling::Strong => format!(
                "{}: {} workers finished {:.2}× faster than {} ({:.0}% efficiency; {:.3}s against {:.3}s).",
                fit.series, top.workers, speedup, base.workers, efficiency, top.wall_s, base.wall_s
            ),
            Scaling::Weak => format!(
                "{}: {} workers each doing the full work took {:.2}× the time of {} ({:.3}s against {:.3}s): a scaled speedup of {:.2} ({:.0}% efficiency).",
                fit.series,
                top.workers,
                top.time_ratio.unwrap_or(0.0),
                base.workers,
                top.wall_s,
                base.wall_s,
                speedup,
                efficiency
            ),
        };
        if let Some(f) = fit.serial_fraction {
            let law = match comparison.scaling {
                Scaling::Strong => "Amdahl",
                Scaling::Weak => "Gustafson",
            };
            let logical = comparison.machine.topology.logical_count();
            let _ = write!(
                line,
                " {law} fit (up to {logical} workers, one per logical CPU): serial fraction {:.1}%.",
                f * 100.0
            );
        }
        let kernel: f64 = series.iter().map(|s| s.sys_s).sum::<f64>();
        let cpu: f64 = series.iter().map(|s| s.user_s + s.sys_s).sum::<f64>();
        if cpu > 0.0 && kernel / cpu > 0.1 {
            let _ = write!(
                line,
                " {:.0}% of its CPU time was in the kernel.",
                100.0 * kernel / cpu
            );
        }
        lines.push(line);
    }
    // Same worker count, different series: who is faster?
    let mut counts: Vec<usize> = stats.iter().map(|s| s.workers).collect();
    counts.sort_unstable();
    counts.dedup();
    for workers in counts {
        let same: Vec<&ConfigStats> = stats.iter().filter(|s| s.workers == workers).collect();
        if same.len() < 2 {
            continue;
        }
        let fastest = same
            .iter()
            .min_by(|a, b| a.wall_s.total_cmp(&b.wall_s))
            .expect("two or more");
        let others: Vec<String> = same
            .iter()
            .filter(|s| s.label != fastest.label)
            .map(|s| format!("{} {:.2}×", s.series, s.wall_s / fastest.wall_s.max(1e-9)))
            .collect();
        lines.push(format!(
            "At {workers} worker{}: {} was fastest ({:.3}s); the others took {} its time.",
            if workers == 1 { "" } else { "s" },
            fastest.series,
            fastest.wall_s,
            others.join(", ")
        ));
    }
    let topology = &comparison.machine.topology;
    if let Some(top) = stats.iter().map(|s| s.workers).max()
        && top > topology.physical_count()
    {
        lines.push(format!(
            "This machine has {} physical cores and {} logical CPUs: beyond {} workers, workers share cores{}.",
            topology.physical_count(),
            topology.logical_count(),
            topology.physical_count(),
            if topology.has_smt() { " as SMT siblings" } else { " by time-slicing" }
        ));
    }
    if comparison.interrupted {
        lines.push("The sweep was interrupted; only the runs that finished are compared.".into());
    }
    lines
}

/// writeup.md: in the style of the seed writeups, ready to paste.
pub fn writeup_markdown(comparison: &Comparison<'_>) -> String {
    let machine = comparison.machine;
    let topology = &machine.topology;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", markdown_text(&comparison.title));
    let _ = writeln!(
        md,
        "Measured with coreheat {} on {} ({}, {} logical CPUs on {} physical cores{}, {} {}).\n",
        env!("CARGO_PKG_VERSION"),
        markdown_text(&machine.host),
        markdown_text(&machine.cpu_model),
        topology.logical_count(),
        topology.physical_count(),
        if topology.has_smt() { ", SMT on" } else { "" },
        markdown_text(&machine.os),
        markdown_text(&machine.kernel)
    );
    let _ = writeln!(
        md,
        "Each heat map shows one row per logical CPU and one column per sample; the darker, the busier.\n"
    );
    for stats in comparison.stats {
        let Some(run) = comparison.runs.iter().find(|r| r.dir == stats.dir) else {
            continue;
        };
        let _ = writeln!(md, "## {}\n", markdown_text(&stats.description));
        let _ = writeln!(md, "{}", markdown_code_block("console", &console_text(run)));
        if comparison.repeat > 1 {
            let _ = writeln!(
                md,
                "(median of {} runs: {:.3}s)\n",
                stats.runs, stats.wall_s
            );
        }
        let _ = writeln!(
            md,
            "![{}]({}/heatmap.png)\n",
            markdown_text(&stats.description),
            run.dir
        );
    }
    let _ = writeln!(md, "## Speedup\n");
    let _ = writeln!(md, "{}.\n", capitalize(comparison.scaling.describe()));
    let _ = writeln!(md, "![speedup against workers](speedup.png)\n");
    let _ = writeln!(
        md,
        "| configuration | wall | user | sys | speedup | efficiency |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
    for s in comparison.stats {
        let _ = writeln!(
            md,
            "| {} | {:.3}s | {:.3}s | {:.3}s | {} | {} |",
            markdown_text(&s.description),
            s.wall_s,
            s.user_s,
            s.sys_s,
            s.speedup.map_or("—".into(), |v| format!("{v:.2}×")),
            s.efficiency
                .map_or("—".into(), |v| format!("{:.0}%", v * 100.0))
        );
    }
    let _ = writeln!(md, "\n## What it shows\n");
    for line in findings(comparison) {
        let _ = writeln!(md, "- {}", markdown_text(&line));
    }
    md
}

/// A run as the seed writeups show it: the command, its result and the `time`
/// block. The command is made printable; the code block keeps the rest as it is.
fn console_text(run: &RunRecord) -> String {
    let mut text = format!("$ {}\n", printable(&run.command));
    if let Some(result) = &run.result {
        let _ = writeln!(text, "{}", printable(result));
    }
    let _ = write!(
        text,
        "\nreal\t{}\nuser\t{}\nsys\t{}\n",
        format_time_block_seconds(run.wall_s),
        format_time_block_seconds(run.user_s),
        format_time_block_seconds(run.sys_s)
    );
    text
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
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
        "{:<34} {:>9} {:>9} {:>9} {:>8} {:>6}",
        "configuration", "wall", "user", "sys", "speedup", "eff"
    );
    for s in &outcome.stats {
        let _ = writeln!(
            out,
            "{:<34} {:>8.3}s {:>8.3}s {:>8.3}s {:>8} {:>6}",
            s.description,
            s.wall_s,
            s.user_s,
            s.sys_s,
            s.speedup.map_or("—".into(), |v| format!("{v:.2}×")),
            s.efficiency
                .map_or("—".into(), |v| format!("{:.0}%", v * 100.0))
        );
    }
    for fit in &outcome.fits {
        if let Some(f) = fit.serial_fraction {
            let _ = writeln!(out, "{}: serial fraction {:.1}%", fit.series, f * 100.0);
        }
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
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn amdahl_recovers_a_known_fraction() {
        let points: Vec<(usize, f64)> = [1usize, 2, 4, 8]
            .iter()
            .map(|&w| (w, amdahl_speedup(0.1, w as f64)))
            .collect();
        assert!((amdahl_fraction(&points).unwrap() - 0.1).abs() < 1e-9);
        assert_eq!(amdahl_fraction(&[(1, 1.0)]), None);
        let perfect = [(2, 2.0), (4, 4.0)];
        assert!(amdahl_fraction(&perfect).unwrap().abs() < 1e-12);
    }

    #[test]
    fn gustafson_recovers_a_known_fraction() {
        let points: Vec<(usize, f64)> = [1usize, 2, 4]
            .iter()
            .map(|&w| (w, gustafson_speedup(0.25, w as f64)))
            .collect();
        assert!((gustafson_fraction(&points).unwrap() - 0.25).abs() < 1e-9);
    }

    #[test]
    fn speedups_for_both_scalings() {
        assert_eq!(speedup(Scaling::Strong, 1, 10.0, 4, 2.5), Some(4.0));
        assert_eq!(speedup(Scaling::Strong, 2, 5.0, 4, 2.5), Some(4.0));
        // Weak: 4 workers doing 4× the work in the same time is a scaled speedup of 4.
        assert_eq!(speedup(Scaling::Weak, 1, 3.0, 4, 3.0), Some(4.0));
        assert_eq!(speedup(Scaling::Weak, 1, 3.0, 4, 6.0), Some(2.0));
        assert_eq!(speedup(Scaling::Strong, 1, 0.0, 4, 2.5), None);
    }

    fn record(configuration: &str, dir: &str, wall: f64) -> RunRecord {
        RunRecord {
            configuration: configuration.into(),
            repeat: 1,
            dir: dir.into(),
            status: "ok".into(),
            wall_s: wall,
            user_s: wall,
            sys_s: 0.0,
            result: None,
            command: String::new(),
        }
    }

    #[test]
    fn comparison_uses_medians_per_series() {
        let configurations = vec![
            Configuration {
                mode: Mode::Threads,
                pin: PinSpec::None,
                workers: 1,
            },
            Configuration {
                mode: Mode::Threads,
                pin: PinSpec::None,
                workers: 2,
            },
            Configuration {
                mode: Mode::Processes,
                pin: PinSpec::None,
                workers: 2,
            },
        ];
        let runs = vec![
            (0, record("t1", "01-a", 4.0)),
            (0, record("t1", "01-b", 4.2)),
            (0, record("t1", "01-c", 9.0)),
            (1, record("t2", "02", 2.1)),
            (2, record("p2", "03", 2.0)),
        ];
        let (stats, fits) = compare(Scaling::Strong, &configurations, &runs, 2);
        assert_eq!(stats.len(), 3);
        assert_eq!(stats[0].wall_s, 4.2);
        assert_eq!(stats[0].dir, "01-b", "the median run's folder");
        assert!((stats[1].speedup.unwrap() - 2.0).abs() < 1e-9);
        assert!((stats[1].efficiency.unwrap() - 1.0).abs() < 1e-9);
        // The processes series has no 1-worker run: its base is its 2-worker run.
        assert_eq!(stats[2].speedup, Some(2.0));
        let threads = fits.iter().find(|f| f.series == "threads").unwrap();
        assert!(threads.serial_fraction.unwrap() < 0.01);
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
