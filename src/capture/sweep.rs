//! `coreheat sweep`'s measuring half: one workload under several
//! configurations (worker counts × modes × pinnings, each repeated), one
//! ordinary run folder per run inside the sweep folder. Pinnings that resolve to
//! the same CPUs are run once. An interrupted sweep keeps the runs that
//! finished. Comparing and drawing them is left to the caller.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::capture::run::{RunOptions, RunSummary, run_on};
use crate::machine::Machine;
use crate::machine::pin::PinSpec;
use crate::model::Status;
use crate::model::workload::{Mode, WorkloadSpec};
use crate::summary::sweep_runs::{Configuration, Placement, RunRecord, merge_equal};
use crate::util::outdir::{self, SWEEP_FILES};
use crate::util::output::print_err_line;
use crate::util::units::round_ms;

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
    /// How long a traced command may take to end after an interrupt (`--grace`).
    pub grace: Duration,
    /// Sample the workload's tasks in each run.
    pub tasks: bool,
    pub out: Option<PathBuf>,
    pub reports_root: PathBuf,
    pub title: Option<String>,
    pub live: bool,
    /// Print a line per finished run on stderr.
    pub progress: bool,
    /// The command line as typed, for the writeup.
    pub command: Option<String>,
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

/// The runs a sweep made, in the order they ran.
#[derive(Debug)]
pub struct SweepRuns {
    pub dir: PathBuf,
    /// The machine, described once for every run.
    pub machine: Machine,
    /// The configurations run, each with where its workers ran.
    pub placed: Vec<(Configuration, Placement)>,
    /// Each run's record with the index of its configuration in `placed`.
    pub runs: Vec<(usize, RunRecord)>,
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
        interval: options.interval,
        baseline: options.baseline,
        grace: options.grace,
        tasks: options.tasks,
        out: Some(dir),
        // The sweep's title goes to each run's page only (`page_title`), not
        // into the command that repeats the run.
        title: None,
        live: options.live,
        ..RunOptions::new(options.spec.clone())
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
    if !options.spec.has_workers() {
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
    let placed = place(options, configurations, &machine)?;
    let configurations: Vec<Configuration> = placed.iter().map(|(c, _)| c.clone()).collect();
    let folder = sweep_folder(options, &configurations)?;
    let runner = Runner {
        options,
        machine: &machine,
        dir: folder.path.clone(),
        stop,
        total: configurations.len() * options.repeat as usize,
    };
    let tally = runner.run_all(&configurations, &folder, after_run)?;
    Ok(SweepRuns {
        dir: runner.dir,
        machine,
        placed,
        runs: tally.runs,
        interrupted: tally.interrupted,
        failed: tally.failed,
    })
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
                    folder.discard(&[outdir::MANIFEST_FILE]);
                }
                return Err(e);
            }
            if tally.interrupted {
                break;
            }
        }
        Ok(tally)
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
            grace: crate::util::interrupt::DEFAULT_EXEC_GRACE,
            tasks: true,
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
