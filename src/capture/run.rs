//! `coreheat run` from start to end: check the options, make the run folder,
//! write the trace header, start the sampler, run the workload between a
//! "before" and an "after" sample, write the end line, then draw the report from
//! the saved trace. Returns a [`RunSummary`] that prints as the seed writeups'
//! result line and `time` block, or as one JSON object.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::capture::checks::{
    check_baseline, check_count, check_duration, check_interval, check_prefix, check_workers,
    check_zeros,
};
use crate::capture::live::LiveLine;
use crate::capture::tracer::Tracer;
use crate::import::InputFormat;
use crate::machine::Machine;
use crate::machine::pin::{PinSpec, shared_cpus};
use crate::model::sched::SchedRequest;
use crate::model::workload::{Mode, WorkloadResult, WorkloadSpec};
use crate::model::{End, Meta, Status};
use crate::modes::control::{Control, Plan};
use crate::modes::exec;
use crate::modes::outcome::WorkloadOutcome;
use crate::sampler::tasks::RootThreads;
use crate::sampler::{SamplerReport, Schedule, TaskScope};
use crate::summary::findings::Finding;
use crate::summary::load::{LoadedTrace, load};
use crate::summary::run_findings::run_findings;
use crate::summary::sched::SchedTotals;
use crate::summary::warnings::{Measures, Warning};
use crate::util::interrupt::DEFAULT_EXEC_GRACE;
use crate::util::outdir;
use crate::util::output::print_notice_line;
use crate::util::text::shell_quote;
use crate::util::units::round_ms;

/// Everything `coreheat run` is asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub spec: WorkloadSpec,
    /// `None`: threads (and for idle and exec, which have no workers, none given).
    pub mode: Option<Mode>,
    /// `None`: one per logical CPU (serial: 1).
    pub workers: Option<usize>,
    pub pin: PinSpec,
    pub interval: Duration,
    /// Idle time sampled before and after the workload (`None`: the default,
    /// min(interval, 500 ms)).
    pub baseline: Option<Duration>,
    /// Where "who ran where" comes from (`--sched`; `--tasks off` is `off`).
    pub sched: SchedRequest,
    /// The exact run folder (`--out`); otherwise a new one under `reports_root`.
    pub out: Option<PathBuf>,
    pub reports_root: PathBuf,
    pub title: Option<String>,
    /// The report's title in place of `title`, left out of the equivalent
    /// command (a sweep titles each run's page by its configuration).
    pub page_title: Option<String>,
    /// Draw the live line on stderr when it is a terminal.
    pub live: bool,
    /// What the live line says is running (a sweep's configuration and repeat).
    pub live_label: Option<String>,
    /// The binary to start worker processes from (default: this executable).
    pub worker_exe: Option<PathBuf>,
    /// How long a traced command may take to end by itself after an interrupt
    /// (`--grace`, default [`DEFAULT_EXEC_GRACE`]).
    pub grace: Duration,
    /// A traced command's standard output goes to standard error (`--json`).
    pub command_stdout_to_stderr: bool,
    /// Run a hash search expected to take longer than a day (`MAX_EXPECTED_S`)
    /// (`--allow-long`).
    pub allow_long: bool,
}

impl RunOptions {
    pub fn new(spec: WorkloadSpec) -> RunOptions {
        RunOptions {
            spec,
            mode: None,
            workers: None,
            pin: PinSpec::None,
            interval: Duration::from_secs(1),
            baseline: None,
            sched: SchedRequest::Auto,
            out: None,
            reports_root: PathBuf::from("reports"),
            allow_long: false,
            title: None,
            page_title: None,
            live: false,
            live_label: None,
            worker_exe: None,
            grace: DEFAULT_EXEC_GRACE,
            command_stdout_to_stderr: false,
        }
    }
}

/// What a finished (or failed, or interrupted) run leaves.
#[derive(Debug)]
pub struct RunSummary {
    pub dir: PathBuf,
    pub trace: PathBuf,
    /// The trace read back and binned, ready to draw (`None` when it could
    /// not be read: `report_error` says why).
    pub loaded: Option<LoadedTrace>,
    /// `report.html`, once the caller drew it.
    pub report: Option<PathBuf>,
    /// Why the report could not be drawn (the trace is still there).
    pub report_error: Option<String>,
    pub spec: WorkloadSpec,
    /// The equivalent command line, as in the trace header.
    pub command: String,
    /// `None` for idle and exec.
    pub mode: Option<Mode>,
    pub workers: usize,
    pub cpus: Vec<u32>,
    /// Remarks for the reader, as in the trace header (CPU limits, for example).
    pub notes: Vec<String>,
    /// What the run could use at most, in CPUs: the allowed CPUs, capped by
    /// the CPU quota.
    pub capacity: f64,
    /// The workload's figures of record, read back from the trace.
    pub measures: Option<Measures>,
    /// Warnings about the measurement.
    pub warnings: Vec<Warning>,
    /// What the workload's threads did, in plain words.
    pub findings: Vec<Finding>,
    /// Whether the trace holds the workload's threads (`--tasks on`, read
    /// back from its header).
    pub tasks_sampled: bool,
    /// Where who ran where came from, and the scheduler's figures.
    pub sched: SchedTotals,
    pub outcome: WorkloadOutcome,
    pub samples: usize,
    pub sampler_cpu_s: f64,
    /// CPU seconds of the thread reading the scheduler's events.
    pub sched_cpu_s: f64,
    pub sampler_max_lateness_s: f64,
    /// Trouble writing the trace (a full disk, for example).
    pub trace_error: Option<String>,
}

/// An error that asks for a particular exit code (127 for a command that is not
/// found, as the shell does).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExitCodeError {
    pub code: i32,
    pub message: String,
}

/// Checks the options against the machine before anything runs, and works out
/// the worker count and each worker's CPU.
pub fn plan(options: &RunOptions, machine: &Machine) -> Result<Plan> {
    check_sampling(options)?;
    check_no_worker_flags(options)?;
    let mode = options.mode.unwrap_or(Mode::Threads);
    let workers = worker_count(options, mode, machine.limits.allowed.len())?;
    check_workload(&options.spec)?;
    let cpus = worker_cpus(options, machine, workers)?;
    check_expected_time(options, workers.min(machine.limits.allowed.len().max(1)))?;
    Ok(Plan {
        spec: options.spec.clone(),
        mode,
        workers,
        cpus,
        worker_exe: options.worker_exe.clone(),
        grace: options.grace,
        command_stdout_to_stderr: options.command_stdout_to_stderr,
    })
}

/// The interval between samples and the idle baseline around the workload.
fn check_sampling(options: &RunOptions) -> Result<()> {
    let interval = options.interval;
    check_interval(interval).map_err(|r| r.for_option("--interval", format!("{interval:?}")))?;
    if let Some(baseline) = options.baseline {
        check_baseline(baseline)
            .map_err(|r| r.for_option("--baseline", format!("{baseline:?}")))?;
    }
    Ok(())
}

/// Idle and exec have no workers: `--mode` and `--workers` make no sense for
/// them, nor `--pin` for idle (nothing runs).
fn check_no_worker_flags(options: &RunOptions) -> Result<()> {
    if options.spec.has_workers() {
        return Ok(());
    }
    let kind = options.spec.kind();
    if options.mode.is_some() {
        bail!("--mode makes no sense for {kind}: it has no workers to spread (leave it out)");
    }
    if options.workers.is_some() {
        bail!("--workers makes no sense for {kind}: it has no workers (leave it out)");
    }
    if matches!(options.spec, WorkloadSpec::Idle { .. }) && !options.pin.is_none() {
        bail!("--pin makes no sense for idle: nothing runs to pin (leave it out)");
    }
    Ok(())
}

/// The workers asked for (serial runs one), or one per allowed CPU; idle has
/// none and exec is one command.
fn worker_count(options: &RunOptions, mode: Mode, allowed_cpus: usize) -> Result<usize> {
    if let Some(n) = options.workers {
        check_workers(n).map_err(|r| r.for_option("--workers", n))?;
    }
    Ok(match (&options.spec, mode, options.workers) {
        (WorkloadSpec::Idle { .. }, _, _) => 0,
        (WorkloadSpec::Exec { .. }, _, _) => 1,
        (_, Mode::Serial, Some(n)) if n != 1 => {
            bail!(
                "--workers {n} with --mode serial: serial runs one worker; use --mode threads or processes"
            )
        }
        (_, Mode::Serial, _) => 1,
        (_, _, Some(n)) => n,
        (_, _, None) => allowed_cpus.max(1),
    })
}

/// The workload's own options; for exec, that its program can be started.
fn check_workload(spec: &WorkloadSpec) -> Result<()> {
    match spec {
        WorkloadSpec::Hash { zeros, prefix, .. } => {
            check_zeros(*zeros).map_err(|r| r.for_option("--zeros", zeros))?;
            check_prefix(prefix)
        }
        WorkloadSpec::Count { n, .. } => check_count(*n).map_err(|r| r.for_option("--n", n)),
        WorkloadSpec::Exec { argv } => check_command(argv),
        WorkloadSpec::Idle { duration } => check_duration(*duration)
            .map_err(|r| r.for_option("--duration", format!("{duration:?}"))),
    }
}

/// A hash search longer than this (in expected seconds) is refused unless
/// `--allow-long` is given.
pub const MAX_EXPECTED_S: f64 = 86_400.0;
/// Past this many expected seconds a hash run says how long it should take.
pub const SAY_EXPECTED_S: f64 = 60.0;
/// Fewer zeros than this cannot take a minute at any speed: no measuring.
const MEASURED_FROM_ZEROS: u32 = 9;

/// How long the hash search is expected to take: 16^Z hashes (the expected
/// position of the first hit) at the rate measured here on a short piece of
/// the same search, times the workers that run at once. Said past a minute;
/// refused past a day unless `--allow-long`.
fn check_expected_time(options: &RunOptions, parallel: usize) -> Result<()> {
    let WorkloadSpec::Hash {
        zeros,
        prefix,
        engine,
    } = &options.spec
    else {
        return Ok(());
    };
    if *zeros < MEASURED_FROM_ZEROS {
        return Ok(());
    }
    let rate = measured_hash_rate(prefix, *engine) * parallel as f64;
    let hashes = 16f64.powi(*zeros as i32);
    let seconds = hashes / rate;
    if seconds < SAY_EXPECTED_S {
        return Ok(());
    }
    let how = format!(
        "--zeros {zeros} needs about 16^{zeros} = {hashes:.1e} hashes; at the {}hashes/s \
         measured here on {} that is about {}",
        crate::util::units::format_rate(rate),
        crate::util::text::plural(parallel, "worker"),
        long_duration(seconds)
    );
    if seconds > MAX_EXPECTED_S && !options.allow_long {
        bail!(
            "{how}; use fewer zeros (each one is 16 times the work), or add --allow-long to run \
             it anyway"
        );
    }
    print_notice_line(&format!(
        "coreheat: note: {how} (the first hit's position is random: it may come much sooner \
         or later); Ctrl-C stops it"
    ));
    Ok(())
}

/// Hashes a second of one worker, from a 20 ms piece of the search (at a
/// target never met, so the piece is hashed whole).
fn measured_hash_rate(prefix: &str, engine: crate::kernels::hash::Engine) -> f64 {
    use crate::kernels::digest::HashTarget;
    let target = HashTarget::new(prefix.as_bytes(), crate::kernels::hash::MAX_ZEROS);
    let best = std::sync::atomic::AtomicU64::new(u64::MAX);
    let started = std::time::Instant::now();
    let (mut hashes, mut start) = (0u64, 1u64 << 40);
    while started.elapsed() < Duration::from_millis(20) {
        let piece = crate::kernels::hash::search_range(&target, engine, start, start + 4096, &best);
        hashes += piece.hashes;
        start += 4096;
    }
    hashes as f64 / started.elapsed().as_secs_f64().max(1e-9)
}

/// `3 minutes`, `5.2 hours`, `12 days`, `3.1e9 years`.
fn long_duration(seconds: f64) -> String {
    const YEAR: f64 = 365.25 * 86_400.0;
    match seconds {
        s if s < 3600.0 => format!("{:.0} minutes", s / 60.0),
        s if s < 86_400.0 => format!("{:.1} hours", s / 3600.0),
        s if s < YEAR => format!("{:.0} days", s / 86_400.0),
        s if s < 1e4 * YEAR => format!("{:.0} years", s / YEAR),
        s => format!("{:.1e} years", s / YEAR),
    }
}

/// An exec needs a command that can be found (127 when it cannot, as the shell
/// says).
fn check_command(argv: &[String]) -> Result<()> {
    let Some(program) = argv.first() else {
        bail!("exec needs a command: coreheat run exec -- CMD [ARGS...]");
    };
    match exec::resolve_program(program) {
        Ok(_) => Ok(()),
        Err((code, message)) => Err(ExitCodeError { code, message }.into()),
    }
}

/// Each worker's CPU (none when not pinned). Exec is pinned to the whole list,
/// not one CPU per worker; idle runs nothing to pin.
fn worker_cpus(options: &RunOptions, machine: &Machine, workers: usize) -> Result<Vec<u32>> {
    let (pin, topology, allowed) = (&options.pin, &machine.topology, &machine.limits.allowed);
    let cpus = match &options.spec {
        WorkloadSpec::Idle { .. } => Ok(Vec::new()),
        WorkloadSpec::Exec { .. } => pin
            .worker_cpus_within(topology, allowed, 1)
            .and_then(|_| pin.cpu_order(topology, allowed)),
        _ => pin.worker_cpus_within(topology, allowed, workers),
    };
    cpus.map_err(anyhow::Error::msg)
}

/// What a plan does that the user may not mean: workers pinned to one CPU take
/// turns on it instead of running in parallel.
pub fn plan_warnings(options: &RunOptions, plan: &Plan) -> Vec<String> {
    if options.pin.is_none() || plan_mode(plan).is_none() {
        return Vec::new();
    }
    let shared = shared_cpus(&plan.cpus);
    if shared.is_empty() {
        return Vec::new();
    }
    let mut distinct = plan.cpus.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let mut pairs = shared
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if shared.len() > 3 {
        pairs.push_str("; ...");
    }
    vec![format!(
        "--pin {} puts {} workers on {} CPU{}, so workers share a CPU and take turns on it \
         instead of running in parallel ({pairs})",
        options.pin.as_text(),
        plan.workers,
        distinct.len(),
        if distinct.len() == 1 { "" } else { "s" }
    )]
}

/// The command line that repeats this run.
pub fn equivalent_command(options: &RunOptions, plan: &Plan) -> String {
    let mut words: Vec<String> = vec!["coreheat".into(), "run".into()];
    if plan.spec.has_workers() {
        words.extend(["--mode".into(), plan.mode.as_str().into()]);
        if plan.mode != Mode::Serial {
            words.extend(["--workers".into(), plan.workers.to_string()]);
        }
    }
    if !options.pin.is_none() {
        words.extend(["--pin".into(), options.pin.as_text()]);
    }
    if options.interval != Duration::from_secs(1) {
        words.extend([
            "--interval".into(),
            format!("{}ms", options.interval.as_millis()),
        ]);
    }
    if let Some(baseline) = options.baseline {
        words.extend(["--baseline".into(), format!("{}ms", baseline.as_millis())]);
    }
    if options.grace != DEFAULT_EXEC_GRACE && matches!(options.spec, WorkloadSpec::Exec { .. }) {
        words.extend(["--grace".into(), format!("{}ms", options.grace.as_millis())]);
    }
    if let Some(word) = options.sched.word() {
        words.extend(["--sched".into(), word.into()]);
    }
    if let Some(title) = &options.title {
        words.extend(["--title".into(), title.clone()]);
    }
    words.extend(plan.spec.command_words());
    if options.allow_long && matches!(plan.spec, WorkloadSpec::Hash { .. }) {
        words.push("--allow-long".into());
    }
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn build_meta(options: &RunOptions, plan: &Plan, machine: &Machine) -> Meta {
    Meta {
        title: options.page_title.clone().or_else(|| options.title.clone()),
        command: equivalent_command(options, plan),
        workload: Some(plan.spec.to_meta()),
        mode: plan_mode(plan).map(Mode::as_str).unwrap_or_default().into(),
        workers: plan.workers,
        pin: (!options.pin.is_none()).then(|| options.pin.as_text()),
        worker_cpus: plan.cpus.clone(),
        notes: limit_notes(plan, machine),
        ..machine.meta(options.interval)
    }
}

/// What the CPUs this process may use mean for the plan, for the reader: a
/// CPU quota below the workers' demand caps the workload (that is not poor
/// scaling), and more workers than allowed CPUs take turns.
pub fn limit_notes(plan: &Plan, machine: &Machine) -> Vec<String> {
    let mut notes = Vec::new();
    let limits = &machine.limits;
    if !limits.allows_all(&machine.topology) {
        notes.push(format!(
            "This run {}; CPUs outside that set run other programs only.",
            limits.describe(&machine.topology)
        ));
    }
    if plan_mode(plan).is_none() {
        return notes;
    }
    let workers = plan.workers;
    let allowed = limits.allowed.len();
    if let Some(quota) = limits.quota.cpus()
        && quota < workers.min(allowed) as f64
    {
        notes.push(format!(
            "CPU quota of {} CPUs: the {workers} worker{} can use at most {} CPUs between them, \
             so a speedup below {workers}× here is the quota, not poor scaling.",
            crate::util::units::format_cpus(quota),
            if workers == 1 { "" } else { "s" },
            crate::util::units::format_cpus(quota),
        ));
    }
    if workers > allowed && plan.cpus.is_empty() {
        notes.push(format!(
            "{workers} workers on {allowed} allowed CPU{}: they take turns.",
            if allowed == 1 { "" } else { "s" }
        ));
    }
    notes
}

/// The mode of a plan, or `None` for idle and exec (they have no workers).
fn plan_mode(plan: &Plan) -> Option<Mode> {
    plan.spec.has_workers().then_some(plan.mode)
}

/// The folder label: workload, mode and workers (`hash-z7-threads-2w`).
pub fn run_label(plan: &Plan) -> String {
    match plan_mode(plan) {
        Some(mode) => format!("{}-{}-{}w", plan.spec.label(), mode, plan.workers),
        None => plan.spec.label(),
    }
}

/// Runs a workload under the sampler. `stop` is the interrupt flag (signal
/// handlers set it). Errors are returned only for what prevents the run from
/// starting; a failed or interrupted workload is a summary with that status.
pub fn run(options: &RunOptions, stop: Arc<AtomicBool>) -> Result<RunSummary> {
    let machine = Machine::collect();
    run_on(options, &machine, stop)
}

/// [`run`] on a machine already described (sweeps collect it once).
pub fn run_on(
    options: &RunOptions,
    machine: &Machine,
    stop: Arc<AtomicBool>,
) -> Result<RunSummary> {
    let plan = plan(options, machine)?;
    let meta = announced_meta(options, &plan, machine);
    let folder = match &options.out {
        Some(dir) => outdir::prepare_out_folder(dir, &outdir::RUN_FILES)?,
        None => outdir::create_unique(&options.reports_root, &run_label(&plan))?,
    };
    let control = Control {
        stop,
        progress: Default::default(),
    };
    let live = live_line(options, &plan, &control);
    let tracer = start_tracer(&folder, &meta, options, live.as_ref(), &control)?;
    let trace = tracer.trace_path().to_path_buf();
    let outcome = run_workload(&plan, &control, &tracer, live.as_ref());
    let report = tracer.finish(end_line(&outcome));
    drop(live); // erased before anything else is printed
    let mut summary = RunSummary::new(folder.path, trace, &plan, &meta, outcome, report);
    read_back(&mut summary);
    Ok(summary)
}

/// The trace header of the run, its notes and warnings said on stderr as well.
fn announced_meta(options: &RunOptions, plan: &Plan, machine: &Machine) -> Meta {
    let mut meta = build_meta(options, plan, machine);
    for note in &meta.notes {
        print_notice_line(&format!("coreheat: note: {note}"));
    }
    for warning in plan_warnings(options, plan) {
        print_notice_line(&format!("coreheat: warning: {warning}"));
        meta.notes.push(warning);
    }
    meta
}

/// The live line on stderr, when asked for and stderr is a terminal.
fn live_line(options: &RunOptions, plan: &Plan, control: &Control) -> Option<LiveLine> {
    if !options.live {
        return None;
    }
    LiveLine::for_terminal(
        control.progress.clone(),
        progress_unit(&plan.spec),
        options.live_label.clone(),
    )
}

/// Starts the trace in the run folder; when it cannot start, nothing ran, and
/// no header-only trace and no empty folder are left.
fn start_tracer(
    folder: &outdir::NewFolder,
    meta: &Meta,
    options: &RunOptions,
    live: Option<&LiveLine>,
    control: &Control,
) -> Result<Tracer> {
    let schedule = Schedule {
        interval: options.interval,
        baseline: options
            .baseline
            .unwrap_or(Schedule::every(options.interval).baseline),
    };
    let observer = live.map(LiveLine::observer);
    let stop = Some(control.stop.clone());
    let tasks = TaskScope::this_process(
        RootThreads::Workers,
        Some(crate::modes::guard::GUARD_SUBCOMMAND),
    );
    let who = (tasks, options.sched);
    Tracer::start(&folder.path, meta, schedule, who, observer, stop).inspect_err(|_| {
        folder.discard(&[outdir::TRACE_FILE, outdir::MANIFEST_FILE]);
    })
}

/// Runs the workload between its start and end marks (not at all when an
/// interrupt came first), telling the live line.
fn run_workload(
    plan: &Plan,
    control: &Control,
    tracer: &Tracer,
    live: Option<&LiveLine>,
) -> WorkloadOutcome {
    if control.stopped() {
        return interrupted_before_start();
    }
    tracer.workload_started();
    if let Some(live) = live {
        live.workload_started();
    }
    let outcome = crate::modes::run(plan, control, tracer.events());
    if let Some(live) = live {
        live.workload_ended(outcome.wall_s, rate_of_record(&outcome, control));
    }
    outcome
}

/// The trace's end line: how the workload ended, its times to the millisecond.
fn end_line(outcome: &WorkloadOutcome) -> End {
    End {
        status: outcome.status,
        result: outcome.result.clone(),
        wall_s: round_ms(outcome.wall_s),
        user_s: round_ms(outcome.cpu.user_s),
        sys_s: round_ms(outcome.cpu.sys_s),
        message: outcome.message.clone(),
    }
}

impl RunSummary {
    /// The seed's result line (`(5, 1839773, '00000a6e...')`), if there is a result.
    pub fn result_line(&self) -> Option<String> {
        self.outcome.result.as_ref().map(|r| r.seed_line())
    }

    /// A finished run, before its trace is read back.
    fn new(
        dir: PathBuf,
        trace: PathBuf,
        plan: &Plan,
        meta: &Meta,
        outcome: WorkloadOutcome,
        report: SamplerReport,
    ) -> RunSummary {
        RunSummary {
            dir,
            trace,
            loaded: None,
            report: None,
            report_error: None,
            spec: plan.spec.clone(),
            command: meta.command.clone(),
            mode: plan_mode(plan),
            workers: plan.workers,
            cpus: plan.cpus.clone(),
            notes: meta.notes.clone(),
            capacity: crate::summary::warnings::capacity(meta),
            measures: None,
            warnings: Vec::new(),
            findings: Vec::new(),
            tasks_sampled: false,
            sched: SchedTotals::default(),
            outcome,
            samples: report.samples,
            sampler_cpu_s: report.cpu.user_s + report.cpu.sys_s,
            sched_cpu_s: report.sched_cpu.user_s + report.sched_cpu.sys_s,
            sampler_max_lateness_s: report.max_lateness_s,
            trace_error: report
                .write_error
                .map(|e| format!("writing the trace stopped early: {e}"))
                .or(report
                    .read_error
                    .map(|e| format!("reading CPU load failed: {e}"))),
        }
    }
}

/// Reads the saved trace back for the workload's figures and warnings, and
/// keeps it for drawing.
fn read_back(summary: &mut RunSummary) {
    match load(&summary.trace, InputFormat::Coreheat) {
        Ok(loaded) => {
            summary.measures = loaded.summary.measures();
            summary.warnings = loaded.summary.warnings();
            summary.findings = run_findings(&loaded.summary);
            summary.tasks_sampled = !loaded.summary.meta.task_fields.is_empty();
            summary.sched = loaded.summary.sched_totals();
            summary.loaded = Some(loaded);
        }
        Err(e) => summary.report_error = Some(crate::util::output::error_line(&e)),
    }
}

/// What the live line counts for a workload.
fn progress_unit(spec: &WorkloadSpec) -> &'static str {
    match spec {
        WorkloadSpec::Hash { .. } => "hashes",
        WorkloadSpec::Count { .. } => "adds",
        _ => "",
    }
}

/// The workload's rate over its whole wall time: the result's own for hash.
fn rate_of_record(outcome: &WorkloadOutcome, control: &Control) -> Option<f64> {
    match &outcome.result {
        Some(WorkloadResult::Hash(hash)) => Some(hash.hashes_per_s),
        _ if outcome.wall_s > 0.0 => Some(
            control.progress.load(std::sync::atomic::Ordering::Relaxed) as f64 / outcome.wall_s,
        ),
        _ => None,
    }
}

fn interrupted_before_start() -> WorkloadOutcome {
    WorkloadOutcome {
        status: Status::Interrupted,
        result: None,
        message: Some("interrupted before the workload started".into()),
        wall_s: 0.0,
        cpu: Default::default(),
        workers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::topology::Topology;

    fn plan_error(options: &RunOptions) -> String {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        plan(options, &machine).unwrap_err().to_string()
    }

    fn count() -> RunOptions {
        RunOptions::new(WorkloadSpec::Count {
            n: 1 << 20,
            split: false,
        })
    }

    /// The library refuses what the command line refuses, for the same reason.
    #[test]
    fn the_library_checks_every_option_the_command_line_checks() {
        let too_long = RunOptions {
            baseline: Some(Duration::from_secs(7200)),
            ..count()
        };
        assert_eq!(
            plan_error(&too_long),
            "--baseline 7200s: use 0 to 1h (for example 0, 500ms or 2s)"
        );
        let too_short = RunOptions {
            interval: Duration::from_millis(10),
            ..count()
        };
        assert_eq!(
            plan_error(&too_short),
            "--interval 10ms is out of range; use 100ms to 1h (for example 500ms, 1s or 10s)"
        );
        let none = RunOptions {
            workers: Some(0),
            ..count()
        };
        assert_eq!(
            plan_error(&none),
            "--workers 0: a run needs at least 1 worker; use 1 to 4096 workers"
        );
        let nothing = RunOptions::new(WorkloadSpec::Idle {
            duration: Duration::ZERO,
        });
        assert_eq!(
            plan_error(&nothing),
            "--duration 0ns: must be longer than 0s (for example 10s)"
        );
    }
}
