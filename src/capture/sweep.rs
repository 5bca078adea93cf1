//! `coreheat sweep`'s measuring half: one workload under several
//! configurations (worker counts × modes × pinnings, each repeated), one
//! ordinary run folder per run inside the sweep folder. Pinnings that resolve to
//! the same CPUs are run once. The plan is saved in sweep.json before the first
//! run and each run's record as it ends (`summary::sweep_file`), so an
//! interrupted or killed sweep keeps the runs that finished. Comparing and
//! drawing them is left to the caller, from what was saved.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};

use crate::capture::run::{RunOptions, RunSummary, run_on};
use crate::machine::Machine;
use crate::machine::pin::PinSpec;
use crate::model::Status;
use crate::model::workload::{Mode, WorkloadSpec};
use crate::summary::sweep_file::{PlannedConfiguration, SavedSweep};
use crate::summary::sweep_runs::{Configuration, Placement, RunRecord, merge_equal};
use crate::util::outdir::{self, SWEEP_FILES};
use crate::util::output::print_err_line;
use crate::util::text::printable;
use crate::util::units::round_ms;

/// Everything a sweep is asked to do.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// What every run shares: the workload, interval, baseline, --sched, live
    /// line; `out` is the sweep folder (or none: a new one under
    /// `reports_root`) and `title` the sweep's. Its `mode` and `pin` are the
    /// defaults of `modes` and `pins`; its `workers` is not used.
    pub run: RunOptions,
    /// Worker counts to compare, in any order; empty: 1, 2, 4, ... and the
    /// logical CPU count ([`default_workers`]).
    pub workers: Vec<usize>,
    /// Modes to compare; empty: `run.mode` (threads if none).
    pub modes: Vec<Mode>,
    /// Pinnings to compare (the same one given twice runs once); empty:
    /// `run.pin`.
    pub pins: Vec<PinSpec>,
    pub repeat: u32,
    /// Print a line per finished run on stderr.
    pub progress: bool,
    /// The command line as typed, for the writeup.
    pub command: Option<String>,
}

impl SweepOptions {
    /// A sweep of `run`'s workload with every default: the worker counts of
    /// this machine, `run`'s mode and pinning, 3 runs each, progress lines
    /// when `run.live`.
    pub fn new(run: RunOptions) -> SweepOptions {
        SweepOptions {
            progress: run.live,
            run,
            workers: Vec::new(),
            modes: Vec::new(),
            pins: Vec::new(),
            repeat: DEFAULT_REPEAT,
            command: None,
        }
    }

    pub fn spec(&self) -> &WorkloadSpec {
        &self.run.spec
    }

    /// The worker counts to run on a machine of `logical` CPUs, smallest
    /// first, each once.
    pub fn worker_counts(&self, logical: usize) -> Vec<usize> {
        let mut workers = if self.workers.is_empty() {
            default_workers(logical)
        } else {
            self.workers.clone()
        };
        workers.sort_unstable();
        workers.dedup();
        workers
    }

    /// The modes to compare, each once, in the order given.
    pub fn mode_list(&self) -> Vec<Mode> {
        let modes = match self.modes.is_empty() {
            true => vec![self.run.mode.unwrap_or(Mode::Threads)],
            false => self.modes.clone(),
        };
        first_of_each(modes)
    }

    /// The pinnings to compare, each once, in the order given.
    pub fn pin_list(&self) -> Vec<PinSpec> {
        let pins = match self.pins.is_empty() {
            true => vec![self.run.pin.clone()],
            false => self.pins.clone(),
        };
        first_of_each(pins)
    }
}

/// Runs of each configuration when `--repeat` is not given.
pub const DEFAULT_REPEAT: u32 = 3;

/// `items` without the repeats of an earlier one.
fn first_of_each<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut kept: Vec<T> = Vec::new();
    for item in items {
        if !kept.contains(&item) {
            kept.push(item);
        }
    }
    kept
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

/// The title of a sweep without `--title`: its workload as typed, the modes
/// compared and the machine's logical CPUs.
pub fn default_title(options: &SweepOptions, machine: &Machine) -> String {
    let words = options.spec().command_words().join(" ");
    format!(
        "{words}: {} on {} logical CPUs",
        options
            .mode_list()
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(" vs "),
        machine.topology.logical_count()
    )
}

/// Every configuration of the sweep on a machine of `logical` CPUs; serial
/// mode only with one worker.
pub fn configurations(options: &SweepOptions, logical: usize) -> Vec<Configuration> {
    let mut list = Vec::new();
    for mode in options.mode_list() {
        for pin in &options.pin_list() {
            for workers in options.worker_counts(logical) {
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

/// How a sweep ended: its folder (sweep.json and each run's, from which its
/// comparison is drawn), whether it was interrupted, how many runs failed.
#[derive(Debug)]
pub struct SweepRuns {
    pub dir: PathBuf,
    pub interrupted: bool,
    /// Runs that failed, or whose report could not be drawn.
    pub failed: usize,
}

pub fn run_options(
    options: &SweepOptions,
    configuration: &Configuration,
    dir: PathBuf,
) -> RunOptions {
    RunOptions {
        mode: Some(configuration.mode),
        workers: Some(configuration.workers),
        pin: configuration.pin.clone(),
        out: Some(dir),
        // The sweep's title goes to each run's page only (`page_title`), not
        // into the command that repeats the run.
        title: None,
        ..options.run.clone()
    }
}

/// Runs every configuration `options.repeat` times, each into its own run
/// folder inside the sweep folder, and hands each finished run to `after_run`
/// (which may draw its report). Comparing the runs is the caller's job.
pub fn sweep(
    options: &SweepOptions,
    stop: Arc<AtomicBool>,
    after_run: &mut dyn FnMut(&mut RunSummary),
) -> Result<SweepRuns> {
    if !options.spec().has_workers() {
        bail!(
            "sweep compares worker counts, modes and pinnings; {} has no workers (use hash or count)",
            options.spec().kind()
        );
    }
    let machine = Machine::collect();
    let configurations = configurations(options, machine.topology.logical_count());
    if configurations.is_empty() {
        bail!(
            "--workers/--modes leave nothing to run: serial runs one worker only (use --workers 1, \
             or add threads or processes to --modes)"
        );
    }
    // Every configuration is checked before the first one runs.
    let placed = place(options, configurations, &machine)?;
    let configurations: Vec<Configuration> = placed.iter().map(|(c, _)| c.clone()).collect();
    let folder = sweep_folder(options, &configurations)?;
    let plan = saved_plan(options, &machine, &placed);
    if let Err(e) = plan.save(&folder.path) {
        folder.discard(&[outdir::MANIFEST_FILE]);
        return Err(e.context("cannot save the sweep's plan"));
    }
    let runner = Runner {
        options,
        machine: &machine,
        dir: folder.path.clone(),
        stop,
        total: configurations.len() * options.repeat as usize,
        plan,
    };
    let tally = runner.run_all(&configurations, &folder, after_run)?;
    runner.save(&tally, tally.interrupted)?;
    Ok(SweepRuns {
        dir: runner.dir,
        interrupted: tally.interrupted,
        failed: tally.failed,
    })
}

/// sweep.json before the first run: the plan, no runs yet, and `interrupted`
/// until the last run has ended.
fn saved_plan(
    options: &SweepOptions,
    machine: &Machine,
    placed: &[(Configuration, Placement)],
) -> SavedSweep {
    let title = (options.run.title.clone()).unwrap_or_else(|| default_title(options, machine));
    SavedSweep {
        title: printable(&title),
        workload: options.spec().to_meta(),
        machine: machine.clone(),
        repeat: options.repeat,
        command: options.command.clone(),
        plan: placed
            .iter()
            .map(|(c, p)| PlannedConfiguration::of(c, p))
            .collect(),
        runs: Vec::new(),
        interrupted: true,
    }
}

/// What every run of a sweep shares.
struct Runner<'a> {
    options: &'a SweepOptions,
    machine: &'a Machine,
    /// The sweep folder.
    dir: PathBuf,
    stop: Arc<AtomicBool>,
    /// Runs in all, for the `[3/4]` of each run's label.
    total: usize,
    /// What sweep.json holds before the first run.
    plan: SavedSweep,
}

/// The runs of a sweep so far.
#[derive(Default)]
struct Tally {
    runs: Vec<(usize, RunRecord)>,
    interrupted: bool,
    failed: usize,
}

impl Runner<'_> {
    /// Runs every configuration `repeat` times, in order, until all have run
    /// or the sweep is interrupted. A run that cannot start ends the sweep
    /// with its error; if it was the first, the sweep folder goes too.
    fn run_all(
        &self,
        configurations: &[Configuration],
        folder: &outdir::NewFolder,
        after_run: &mut dyn FnMut(&mut RunSummary),
    ) -> Result<Tally> {
        let repeats = self.options.repeat;
        let each_run = configurations
            .iter()
            .enumerate()
            .flat_map(|(index, c)| (1..=repeats).map(move |repeat| (index, c, repeat)));
        let mut tally = Tally::default();
        for (index, configuration, repeat) in each_run {
            if self.stop.load(std::sync::atomic::Ordering::Relaxed) {
                tally.interrupted = true; // during the tail of the run before
                break;
            }
            if let Err(e) = self.run_one(index, configuration, repeat, &mut tally, after_run) {
                if tally.runs.is_empty() {
                    folder.discard(&[outdir::MANIFEST_FILE, outdir::SWEEP_JSON_FILE]);
                }
                return Err(e);
            }
            self.save(&tally, true)?;
            if tally.interrupted {
                break;
            }
        }
        Ok(tally)
    }

    /// Saves sweep.json with the runs so far; `interrupted` until the last
    /// run has ended.
    fn save(&self, tally: &Tally, interrupted: bool) -> Result<()> {
        let saved = SavedSweep {
            runs: tally.runs.iter().map(|(_, r)| r.clone()).collect(),
            interrupted,
            ..self.plan.clone()
        };
        saved
            .save(&self.dir)
            .context("cannot save the sweep's runs")
    }

    /// One run into its own folder: its report drawn by `after_run`, its
    /// record kept, a progress line printed if asked; a failed run or report
    /// is counted, an interrupted run marks the sweep interrupted.
    fn run_one(
        &self,
        index: usize,
        configuration: &Configuration,
        repeat: u32,
        tally: &mut Tally,
        after_run: &mut dyn FnMut(&mut RunSummary),
    ) -> Result<()> {
        let repeats = self.options.repeat;
        let name = run_folder_name(index, configuration, repeat, repeats);
        let running = format!(
            "[{}/{}] {}",
            tally.runs.len() + 1,
            self.total,
            run_description(configuration, repeat, repeats)
        );
        let run_options = RunOptions {
            page_title: Some(run_title(self.options, configuration, repeat)),
            live_label: Some(running.clone()),
            ..run_options(self.options, configuration, self.dir.join(&name))
        };
        let mut summary = run_on(&run_options, self.machine, self.stop.clone())
            .with_context(|| format!("run {}", configuration.describe()))?;
        after_run(&mut summary);
        if let Some(problem) = &summary.report_error {
            tally.failed += 1;
            print_err_line(&format!(
                "coreheat: error: run {name}: the report could not be drawn: {problem}"
            ));
        }
        let record = record(&summary, configuration, repeat, &name);
        if self.options.progress {
            print_err_line(&format!(
                "{running}: {} {:.3}s",
                record.status, record.wall_s
            ));
        }
        match summary.outcome.status {
            Status::Interrupted => tally.interrupted = true,
            Status::Failed => tally.failed += 1,
            Status::Ok => {}
        }
        tally.runs.push((index, record));
        Ok(())
    }
}

/// Checks every configuration against the machine (before anything runs) and
/// returns the ones to run, each with its CPUs and the pinnings merged into it.
fn place(
    options: &SweepOptions,
    configurations: Vec<Configuration>,
    machine: &Machine,
) -> Result<Vec<(Configuration, Placement)>> {
    let mut resolved = Vec::new();
    for configuration in configurations {
        let probe = run_options(options, &configuration, "unused".into());
        let plan = crate::capture::run::plan(&probe, machine)
            .with_context(|| format!("configuration {}", configuration.describe()))?;
        resolved.push((configuration, plan.cpus));
    }
    Ok(merge_equal(resolved, &machine.limits.allowed))
}

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
        .run
        .title
        .clone()
        .unwrap_or_else(|| options.spec().command_words().join(" "));
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
    let folder = match &options.run.out {
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
            &options.run.reports_root,
            &format!("sweep-{}", options.spec().label()),
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
        status: summary.outcome.status,
        wall_s: round_ms(summary.outcome.wall_s),
        user_s: round_ms(summary.outcome.cpu.user_s),
        sys_s: round_ms(summary.outcome.cpu.sys_s),
        result: summary.result_line(),
        command: summary.command.clone(),
        samples: summary.samples,
        cpus_in_use: summary.measures.map(|m| m.cpus_in_use),
        warnings: summary.warnings.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_skip_serial_with_many_workers() {
        let count = WorkloadSpec::Count {
            n: 10,
            split: false,
        };
        let options = SweepOptions {
            workers: vec![2, 1, 2],
            modes: vec![Mode::Serial, Mode::Threads, Mode::Serial],
            pins: vec![PinSpec::None, PinSpec::Spread, PinSpec::None],
            ..SweepOptions::new(RunOptions::new(count))
        };
        let list = configurations(&options, 8);
        assert_eq!(list.len(), 2 + 4);
        assert!(
            list.iter()
                .all(|c| c.mode != Mode::Serial || c.workers == 1)
        );
        assert_eq!(list[1].label(), "serial-1w-spread");
        assert_eq!(default_workers(6), vec![1, 2, 4, 6]);
        assert_eq!(default_workers(2), vec![1, 2]);
    }

    /// A library caller gets the CLI's defaults: the machine's worker
    /// counts, the run's mode and pinning.
    #[test]
    fn a_sweep_with_every_default_compares_worker_counts() {
        let spec = WorkloadSpec::Count { n: 10, split: true };
        let run = RunOptions {
            mode: Some(Mode::Processes),
            pin: PinSpec::Compact,
            ..RunOptions::new(spec)
        };
        let options = SweepOptions::new(run);
        assert_eq!(options.repeat, DEFAULT_REPEAT);
        let list = configurations(&options, 3);
        let shown: Vec<String> = list.iter().map(Configuration::label).collect();
        assert_eq!(
            shown,
            [
                "processes-1w-compact",
                "processes-2w-compact",
                "processes-3w-compact"
            ]
        );
    }
}
