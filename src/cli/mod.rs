//! The command line: clap definitions for `run`, `sweep`, `render`, `info` and the
//! hidden worker, and their conversion into the library's option types. Values
//! are checked here with messages that name the flag and the allowed range.

pub mod dispatch;
pub mod man;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::capture::checks::{
    COUNT_RANGE, check_baseline, check_count, check_duration, check_interval, check_workers,
    check_zeros, workers_range, zeros_range,
};
use crate::kernels::hash::Engine;
use crate::machine::pin::PinSpec;
use crate::model::sched::SchedRequest;
use crate::model::workload::{Mode, WorkloadSpec};
use crate::modes::hidden;
use crate::report::canvas::{DEFAULT_PNG_SCALE, check_png_scale};
use crate::util::units::{parse_count, parse_duration};

#[derive(Debug, Parser)]
#[command(
    name = "coreheat",
    version,
    about = "Run a CPU-bound workload, sample every logical CPU, and draw per-core heat maps",
    long_about = "coreheat runs a workload (a SHA-512 leading-zero search, an integer count, \
                  any command, or nothing) serially, on threads or on processes, samples every \
                  logical CPU's usr/sys/idle/... load while it runs, and leaves a folder with \
                  report.html, PNG charts and the raw trace."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a workload while sampling every CPU; leaves reports/STAMP-LABEL/.
    Run(RunCommand),
    /// Compare configurations (workers, modes, pinnings) of one workload.
    Sweep(SweepCommand),
    /// Draw report.html and the PNGs from saved traces, dstat CSV or mpstat JSON.
    Render(RenderCommand),
    /// Show the CPU model, logical CPUs, physical cores and SMT siblings.
    Info(InfoCommand),
    /// Write a trace in another tool's format: chrome (the Trace Event Format
    /// JSON that ui.perfetto.dev and chrome://tracing open).
    Export(ExportCommand),
    /// Print a shell completion script: coreheat completions bash > ~/.local/share/bash-completion/completions/coreheat
    Completions(CompletionsCommand),
    /// Print a man page (roff): coreheat man > ~/.local/share/man/man1/coreheat.1, and
    /// coreheat man run > …/coreheat-run.1 for each command.
    Man(ManCommand),
    /// Internal: a worker process of processes mode.
    #[command(name = hidden::WORKER_SUBCOMMAND, hide = true)]
    Worker(WorkerCommand),
    /// Internal: the guardian of a command traced by `run exec`.
    #[command(name = hidden::GUARD_SUBCOMMAND, hide = true)]
    Guard(GuardCommand),
}

/// Options every run takes; accepted before or after the workload name.
#[derive(Debug, Clone, Args)]
pub struct RunFlags {
    /// How workers are made: serial (the calling thread), threads or processes
    /// [default: threads].
    #[arg(long, global = true, value_parser = Words::new(MODE_WORDS, parse_mode))]
    pub mode: Option<Mode>,
    /// Pin workers: none, spread (physical cores first), compact (SMT siblings
    /// first) or a CPU list like 0-3,8.
    #[arg(long, global = true, value_parser = Words::new(PIN_WORDS, parse_pin), hide_possible_values = true, default_value = "none", allow_hyphen_values = true)]
    pub pin: PinSpec,
    /// Time between samples, 100ms to 1h.
    #[arg(long, global = true, value_parser = parse_interval, default_value = "1s", allow_hyphen_values = true)]
    pub interval: Duration,
    /// Idle time sampled before and after the workload, 0 to 1h (0: none)
    /// [default: min(interval, 500ms)].
    #[arg(long, global = true, value_parser = parse_baseline, value_name = "DURATION", allow_hyphen_values = true)]
    pub baseline: Option<Duration>,
    /// After Ctrl-C or SIGTERM, how long a command traced by exec may take to
    /// end by itself (saving its work) before coreheat stops its processes
    /// (SIGTERM, SIGKILL 1 s later); a second Ctrl-C stops them at once. 0 to 1h.
    #[arg(long, global = true, value_parser = parse_baseline, value_name = "DURATION", default_value = "10s", allow_hyphen_values = true)]
    pub grace: Duration,
    /// Where "who ran where" (the report's threads view and findings) comes
    /// from: events (the scheduler's own, exact; needs root or CAP_PERFMON),
    /// sampled (the workload's tasks read from /proc at every sample) or off
    /// [default: events where the kernel allows them, else sampled].
    #[arg(long, global = true, value_parser = Words::new(&SchedRequest::WORDS, parse_sched), hide_possible_values = true, value_name = "events|sampled|off")]
    pub sched: Option<SchedRequest>,
    /// The older spelling of --sched: off is --sched off, on the default.
    #[arg(long, global = true, value_parser = Words::new(&["on", "off"], parse_on_off), hide_possible_values = true, value_name = "on|off", action = clap::ArgAction::Set, conflicts_with = "sched")]
    pub tasks: Option<bool>,
    /// Folder for this run's files [default: reports/STAMP-LABEL/].
    #[arg(long, global = true, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Title shown on the report.
    #[arg(long, global = true)]
    pub title: Option<String>,
    /// No live line, no result block: only errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print one JSON object instead of the result and time block.
    #[arg(long, global = true)]
    pub json: bool,
    /// Pixels per point of the PNG charts, 1 to 4 (2: sharp on high-density
    /// screens and in print).
    #[arg(long, global = true, value_name = "N", default_value_t = DEFAULT_PNG_SCALE, value_parser = parse_png_scale, allow_negative_numbers = true)]
    pub png_scale: u32,
}

#[derive(Debug, Args)]
pub struct RunCommand {
    #[command(flatten)]
    pub flags: RunFlags,
    /// Number of workers [default: logical CPUs; serial: 1].
    #[arg(long, global = true, value_parser = parse_workers, allow_negative_numbers = true)]
    pub workers: Option<usize>,
    #[command(subcommand)]
    pub workload: WorkloadCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum WorkloadCommand {
    /// SHA-512 search: the smallest n whose hex digest of PREFIX+n starts with Z zeros.
    Hash(HashArgs),
    /// Sum 0..N-1 with a real loop on every worker (or split among them).
    Count(CountArgs),
    /// Trace any command: coreheat run exec -- CMD [ARGS...].
    #[command(
        after_help = "coreheat's own flags go before the command: coreheat run --out DIR exec -- \
                      CMD ARGS. Everything from CMD on is the command's (coreheat warns when one \
                      of its flags is among them without a -- before CMD)."
    )]
    Exec(ExecArgs),
    /// Nothing running: the baseline.
    Idle(IdleArgs),
}

#[derive(Debug, Clone, Args)]
pub struct HashArgs {
    /// Leading hex zeros wanted (0 to 128).
    #[arg(long, short = 'z', default_value_t = 7, value_parser = parse_zeros, allow_negative_numbers = true)]
    pub zeros: u32,
    /// Text hashed before the digits of n.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// SHA-512 implementation: auto, scalar or simd.
    #[arg(long, default_value = "auto", value_parser = Words::new(&["auto", "scalar", "simd"], parse_engine))]
    pub engine: Engine,
    /// Run even when the search is expected to take more than a day (each
    /// zero is 16 times the work; the expected time is printed past a minute).
    #[arg(long)]
    pub allow_long: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CountArgs {
    /// How many numbers each worker sums (1 to 2^64; 268435456 or 2^28).
    #[arg(long, short = 'n', default_value = "2^33", value_parser = parse_n, allow_negative_numbers = true)]
    pub n: u128,
    /// Divide 0..N among the workers instead of each summing all of it.
    #[arg(long)]
    pub split: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    /// The command and its arguments (after --; every word from CMD on is
    /// the command's).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub argv: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct IdleArgs {
    /// How long to record the idle machine.
    #[arg(long, default_value = "10s", value_parser = parse_positive_duration, allow_hyphen_values = true)]
    pub duration: Duration,
}

#[derive(Debug, Args)]
pub struct SweepCommand {
    #[command(flatten)]
    pub flags: RunFlags,
    /// Worker counts to compare, like 1,2,4,8 [default: 1, 2, 4, ... up to the
    /// logical CPUs].
    #[arg(long, global = true, value_delimiter = ',', value_parser = parse_workers, allow_hyphen_values = true)]
    pub workers: Vec<usize>,
    /// Modes to compare, like threads,processes [default: --mode].
    #[arg(long, global = true, value_delimiter = ',', value_parser = Words::new(MODE_WORDS, parse_mode))]
    pub modes: Vec<Mode>,
    /// Pinnings to compare, like spread,compact; repeat the flag for CPU lists
    /// (--pins 0-1 --pins 0,2) [default: --pin].
    #[arg(long, global = true, value_parser = Words::new(PIN_WORDS, parse_pins), hide_possible_values = true, allow_hyphen_values = true)]
    pub pins: Vec<Vec<PinSpec>>,
    /// Runs per configuration: their mean, spread and outliers are compared,
    /// and differences within the noise are called indistinguishable.
    #[arg(long, global = true, default_value_t = crate::capture::sweep::DEFAULT_REPEAT, value_parser = clap::value_parser!(u32).range(1..=100), allow_negative_numbers = true)]
    pub repeat: u32,
    #[command(subcommand)]
    pub workload: WorkloadCommand,
}

#[derive(Debug, Args)]
pub struct RenderCommand {
    /// Traces to draw: coreheat trace.jsonl, dstat CSV or mpstat JSON (traces of
    /// several machines are aligned on their start times, grouped by host); or
    /// one sweep folder, whose comparison is drawn again from its sweep.json.
    #[arg(required_unless_present = "prometheus", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Read node_exporter's CPU counters from the Prometheus server at URL
    /// (http://host:9090) instead of files; the traces read are saved beside
    /// the report.
    #[arg(long, value_name = "URL", conflicts_with = "files")]
    pub prometheus: Option<String>,
    /// With --prometheus: the instances to read, as PromQL label matchers
    /// (job="node", instance=~"node[0-9]+:9100") [default: every instance].
    #[arg(
        long = "match",
        value_name = "SELECTOR",
        requires = "prometheus",
        allow_hyphen_values = true
    )]
    pub selector: Option<String>,
    /// With --prometheus: the start, as RFC 3339, unix seconds, now or now-10m.
    #[arg(
        long,
        value_name = "TIME",
        default_value = "now-10m",
        requires = "prometheus"
    )]
    pub from: String,
    /// With --prometheus: the end (same forms as --from).
    #[arg(
        long,
        value_name = "TIME",
        default_value = "now",
        requires = "prometheus"
    )]
    pub to: String,
    /// With --prometheus: the time between two readings of the counters.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "1s",
        requires = "prometheus"
    )]
    pub step: String,
    /// With --prometheus: the longest wait to connect and for each answer.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10s",
        requires = "prometheus"
    )]
    pub timeout: String,
    /// Folder for the report [default: next to the trace; for several files or
    /// foreign formats, reports/STAMP-render/].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Input format, when detection from the content is not wanted.
    #[arg(long, value_parser = ["auto", "coreheat", "dstat", "mpstat"], default_value = "auto")]
    pub format: String,
    /// Title shown on the report.
    #[arg(long)]
    pub title: Option<String>,
    /// Which CPUs share a core, for files that do not say (dstat, mpstat
    /// without -T): the output of `coreheat info --json` on the machine the
    /// trace was recorded on. It must list the file's CPUs, no more, no fewer;
    /// a trace that recorded its own topology keeps it.
    #[arg(long, value_name = "INFO.json")]
    pub topology: Option<PathBuf>,
    /// Pixels per point of the PNG charts, 1 to 4 (2: sharp on high-density
    /// screens and in print).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PNG_SCALE, value_parser = parse_png_scale, allow_negative_numbers = true)]
    pub png_scale: u32,
}

#[derive(Debug, Args)]
pub struct ExportCommand {
    #[command(subcommand)]
    pub format: ExportFormat,
}

#[derive(Debug, Subcommand)]
pub enum ExportFormat {
    /// The Trace Event Format JSON (ui.perfetto.dev, chrome://tracing): each
    /// thread's slices on its own track and on its CPU's, CPU busy % as counters.
    Chrome {
        /// A coreheat trace (trace.jsonl of a run folder).
        #[arg(value_name = "TRACE")]
        trace: PathBuf,
        /// The file to write; never overwritten [default: perfetto.json beside the trace].
        #[arg(long, value_name = "FILE.json")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct InfoCommand {
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// A worker process's command line, as `modes::hidden::worker_args` builds it.
#[derive(Debug, Args)]
pub struct WorkerCommand {
    #[arg(long = hidden::INDEX_FLAG)]
    pub index: usize,
    #[arg(long = hidden::CPU_FLAG)]
    pub cpu: Option<u32>,
}

#[derive(Debug, Args)]
pub struct CompletionsCommand {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManCommand {
    /// The command whose page to print (run, sweep, render, info, completions,
    /// man); the main page without one.
    #[arg(value_parser = Words::new(MAN_PAGES, parse_man_page))]
    pub page: Option<String>,
    /// A workload of `run` or `sweep` (hash, count, exec, idle): its own page.
    pub workload: Option<String>,
}

/// The commands with a man page of their own.
const MAN_PAGES: &[&str] = &[
    "run",
    "sweep",
    "render",
    "info",
    "export",
    "completions",
    "man",
];

fn parse_man_page(text: &str) -> Result<String, String> {
    match MAN_PAGES.contains(&text) {
        true => Ok(text.to_string()),
        false => Err(format!(
            "coreheat has no command '{text}'; the pages are {}",
            MAN_PAGES.join(", ")
        )),
    }
}

/// The guardian's command line, as `modes::hidden::guard_args` builds it.
#[derive(Debug, Args)]
pub struct GuardCommand {
    /// CPUs to pin the command to, like 0,2-3.
    #[arg(long = hidden::CPUS_FLAG)]
    pub cpus: Option<String>,
    #[arg(last = true, required = true)]
    pub argv: Vec<String>,
}

/// What `--version` prints: the version and the hash engine this machine
/// would use, with why.
pub fn version_line() -> String {
    let (_, engine) = Engine::Auto.resolve();
    format!("{} (hash engine: {engine})", env!("CARGO_PKG_VERSION"))
}

/// Parses the command line with the version line of this machine.
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    // clap keeps the version for the whole run; leaking one short string is fine.
    let version: &'static str = Box::leak(version_line().into_boxed_str());
    let matches = command(Some(version)).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let raw: Vec<String> = std::env::args().collect();
    for flag in flags_after_the_command(&cli, &raw) {
        crate::util::output::print_err_line(&format!(
            "coreheat: warning: {flag} comes after the command, so it is the command's argument, \
             not coreheat's: coreheat's flags go before `exec` (coreheat run {flag} ... exec -- \
             CMD ARGS); write `exec -- CMD` to pass it to the command on purpose"
        ));
    }
    cli
}

/// The command line's definition, as `--help`, the man pages and the
/// completions show it: the flags a workload refuses (`--mode` and
/// `--workers` for exec and idle, `--pin` for idle) are left out of its help.
pub fn command(version: Option<&'static str>) -> clap::Command {
    use clap::CommandFactory;
    let mut command = Cli::command();
    if let Some(version) = version {
        command = command.version(version);
    }
    // A subcommand that defines a global argument itself keeps its own (here,
    // the same one, hidden) when clap hands the globals down.
    let run = command
        .find_subcommand("run")
        .expect("run is a command")
        .clone();
    let hidden = |sub: clap::Command, names: &[&str]| {
        names.iter().fold(sub, |sub, name| {
            let arg = run
                .get_arguments()
                .find(|arg| arg.get_id() == *name)
                .expect("a run flag")
                .clone();
            sub.arg(arg.global(false).hide(true))
        })
    };
    command = command.mut_subcommand("run", |run| {
        run.mut_subcommand("exec", |exec| hidden(exec, &["mode", "workers"]))
            .mut_subcommand("idle", |idle| hidden(idle, &["mode", "workers", "pin"]))
    });
    command.build();
    command
}

/// The flags of `coreheat run` that were typed after an exec's command
/// without a `--` before it: they went to the command, and probably were
/// meant for coreheat (`run exec python3 x.py --out DIR`).
pub fn flags_after_the_command(cli: &Cli, raw: &[String]) -> Vec<String> {
    let Command::Run(RunCommand {
        workload: WorkloadCommand::Exec(exec),
        ..
    }) = &cli.command
    else {
        return Vec::new();
    };
    let Some(at_exec) = raw.iter().position(|word| word == "exec") else {
        return Vec::new();
    };
    let Some(program) = exec.argv.first() else {
        return Vec::new();
    };
    let Some(at_program) = raw[at_exec + 1..]
        .iter()
        .position(|word| word == program)
        .map(|at| at + at_exec + 1)
    else {
        return Vec::new();
    };
    if raw[at_exec + 1..at_program].iter().any(|word| word == "--") {
        return Vec::new();
    }
    let run = command(None);
    let run = run
        .find_subcommand("run")
        .expect("run is a command")
        .clone();
    let ours: Vec<String> = run
        .get_arguments()
        .filter(|arg| !arg.is_positional())
        // Long flags only: short ones such as -q mean something to most commands.
        .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
        .filter(|flag| flag != "--help" && flag != "--version")
        .collect();
    let mut found: Vec<String> = exec.argv[1..]
        .iter()
        .map(|word| word.split('=').next().unwrap_or(word).to_string())
        .filter(|word| ours.contains(word))
        .collect();
    found.dedup();
    found
}

impl WorkloadCommand {
    pub fn to_spec(&self) -> WorkloadSpec {
        match self {
            WorkloadCommand::Hash(a) => WorkloadSpec::Hash {
                zeros: a.zeros,
                prefix: a.prefix.clone(),
                engine: a.engine,
            },
            WorkloadCommand::Count(a) => WorkloadSpec::Count {
                n: a.n,
                split: a.split,
            },
            WorkloadCommand::Exec(a) => WorkloadSpec::Exec {
                argv: a.argv.clone(),
            },
            WorkloadCommand::Idle(a) => WorkloadSpec::Idle {
                duration: a.duration,
            },
        }
    }
}

/// The words `--mode` and `--modes` take.
const MODE_WORDS: &[&str] = &["serial", "threads", "processes"];
/// The words `--pin` and `--pins` take besides CPU lists.
const PIN_WORDS: &[&str] = &["none", "spread", "compact"];

/// One of our parsers (and its messages), telling completion scripts and
/// `--help` the words it takes.
#[derive(Clone)]
struct Words<T> {
    words: &'static [&'static str],
    parse: fn(&str) -> Result<T, String>,
}

impl<T> Words<T> {
    fn new(words: &'static [&'static str], parse: fn(&str) -> Result<T, String>) -> Words<T> {
        Words { words, parse }
    }
}

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Words<T> {
    type Value = T;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        self.parse.parse_ref(command, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.words
                .iter()
                .map(|w| clap::builder::PossibleValue::new(*w)),
        ))
    }
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    Mode::parse(text)
}

fn parse_pin(text: &str) -> Result<PinSpec, String> {
    PinSpec::parse(text)
}

/// `spread,compact` is two pinnings; `0-3,8` is one CPU list.
fn parse_pins(text: &str) -> Result<Vec<PinSpec>, String> {
    let words: Vec<&str> = text.split(',').map(str::trim).collect();
    if words
        .iter()
        .all(|w| ["none", "spread", "compact"].contains(w))
    {
        words.into_iter().map(PinSpec::parse).collect()
    } else {
        Ok(vec![PinSpec::parse(text)?])
    }
}

fn parse_engine(text: &str) -> Result<Engine, String> {
    Engine::parse(text)
}

/// Parses a whole number of type `T`; `range` says what is allowed (`use 1 to
/// 4096`), `sign_rule` what a negative number breaks (`must be positive`). A
/// negative number or one too large for any run gets its own message.
fn parse_whole<T>(text: &str, range: &str, sign_rule: &str) -> Result<T, String>
where
    T: std::str::FromStr<Err = std::num::ParseIntError>,
{
    let trimmed = text.trim();
    match trimmed.parse::<T>() {
        Ok(value) => Ok(value),
        Err(_) if is_negative_number(trimmed) => Err(format!(
            "'{text}' is negative; the value {sign_rule} ({range})"
        )),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => {
            Err(format!("'{text}' is out of range; {range}"))
        }
        Err(_) => Err(format!("'{text}' is not a whole number; {range}")),
    }
}

/// `-1`, `-2.5s`: a minus sign before a digit.
fn is_negative_number(text: &str) -> bool {
    text.strip_prefix('-')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit() || c == '.'))
}

fn parse_workers(text: &str) -> Result<usize, String> {
    let n: usize = parse_whole(text, &workers_range(), "must be positive")?;
    check_workers(n).map_err(|r| r.for_typed(text))?;
    Ok(n)
}

fn parse_png_scale(text: &str) -> Result<u32, String> {
    let range = "use 1 to 4 pixels per point";
    check_png_scale(parse_whole(text, range, "must be positive")?)
}

fn parse_zeros(text: &str) -> Result<u32, String> {
    let zeros: u32 = parse_whole(text, &zeros_range(), "cannot be negative")?;
    check_zeros(zeros).map_err(|r| r.for_typed(text))?;
    Ok(zeros)
}

fn parse_n(text: &str) -> Result<u128, String> {
    if is_negative_number(text.trim()) {
        return Err(format!(
            "'{text}' is negative; the value must be positive ({COUNT_RANGE})"
        ));
    }
    let n = parse_count(text).map_err(|e| format!("{e}; {COUNT_RANGE}"))?;
    check_count(n).map_err(|r| r.for_typed(text))?;
    Ok(n)
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = parse_duration(text)?;
    check_interval(interval).map_err(|r| r.for_typed(text))?;
    Ok(interval)
}

fn parse_on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("'{text}' is neither on nor off")),
    }
}

fn parse_sched(text: &str) -> Result<SchedRequest, String> {
    SchedRequest::parse(text)
        .ok_or_else(|| format!("'{text}' is not a source: events, sampled or off"))
}

fn parse_baseline(text: &str) -> Result<Duration, String> {
    let baseline = parse_duration(text)?;
    check_baseline(baseline).map_err(|r| r.for_typed(text))?;
    Ok(baseline)
}

fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    check_duration(duration).map_err(|r| r.for_typed(text))?;
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_error(args: &[&str]) -> String {
        let mut argv = vec!["coreheat"];
        argv.extend(args);
        Cli::try_parse_from(&argv).unwrap_err().to_string()
    }

    /// The command lines the modes build for their helper processes parse
    /// back into what they were built from.
    #[test]
    fn worker_and_guardian_command_lines_parse_as_built() {
        let parse = |args: Vec<String>| {
            Cli::try_parse_from(std::iter::once("coreheat".to_string()).chain(args))
                .expect("a command line the modes build")
                .command
        };
        for cpu in [None, Some(3)] {
            match parse(hidden::worker_args(7, cpu)) {
                Command::Worker(w) => assert_eq!((w.index, w.cpu), (7, cpu)),
                other => panic!("{other:?}"),
            }
        }
        let argv: Vec<String> = ["sh", "-c", "--cpus 9"].map(String::from).to_vec();
        for (cpus, text) in [(vec![], None), (vec![0, 2, 3], Some("0,2,3"))] {
            match parse(hidden::guard_args(&cpus, &argv)) {
                Command::Guard(g) => {
                    assert_eq!(g.cpus.as_deref(), text);
                    assert_eq!(g.argv, argv);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn negative_values_name_the_flag_and_say_positive() {
        for (args, flag) in [
            (vec!["run", "--workers", "-1", "hash"], "--workers"),
            (vec!["run", "hash", "--workers", "-1"], "--workers"),
            (vec!["sweep", "--workers", "-1,2", "hash"], "--workers"),
            (vec!["run", "--interval", "-1s", "idle"], "--interval"),
            (vec!["run", "idle", "--duration", "-1s"], "--duration"),
            (vec!["run", "count", "--n", "-3"], "--n"),
        ] {
            let err = parse_error(&args);
            assert!(
                err.contains(flag) && err.contains("must be positive"),
                "{args:?}: {err}"
            );
        }
        for (args, flag) in [
            (vec!["run", "--pin", "-1", "hash"], "--pin"),
            (vec!["sweep", "--pins", "-1", "hash"], "--pins"),
            (vec!["run", "hash", "--zeros", "-1"], "--zeros"),
        ] {
            let err = parse_error(&args);
            assert!(
                err.contains(flag) && err.contains("cannot be negative"),
                "{args:?}: {err}"
            );
        }
        let err = parse_error(&["sweep", "--repeat", "-1", "hash"]);
        assert!(err.contains("--repeat") && err.contains("-1"), "{err}");
    }

    #[test]
    fn huge_values_are_out_of_range() {
        for (args, flag) in [
            (
                vec!["run", "--workers", "99999999999999999999999", "hash"],
                "--workers",
            ),
            (vec!["run", "--workers", "5000", "hash"], "--workers"),
            (vec!["run", "hash", "--zeros", "99999999999"], "--zeros"),
            (
                vec![
                    "run",
                    "count",
                    "--n",
                    "999999999999999999999999999999999999999999",
                ],
                "--n",
            ),
            (vec!["run", "count", "--n", "2^65"], "--n"),
            (
                vec!["run", "--interval", "99999999999999999999h", "idle"],
                "--interval",
            ),
            (vec!["run", "idle", "--duration", "1e400"], "--duration"),
        ] {
            let err = parse_error(&args);
            assert!(
                err.contains(flag) && err.contains("out of range"),
                "{args:?}: {err}"
            );
            assert!(!err.contains("not a whole number"), "{args:?}: {err}");
        }
    }

    #[test]
    fn definitions_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn run_flags_after_the_workload() {
        let cli = Cli::try_parse_from([
            "coreheat",
            "run",
            "hash",
            "--zeros",
            "5",
            "--mode",
            "processes",
            "--workers",
            "2",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!()
        };
        assert_eq!(run.flags.mode, Some(Mode::Processes));
        assert_eq!(run.workers, Some(2));
        assert_eq!(
            run.workload.to_spec(),
            WorkloadSpec::Hash {
                zeros: 5,
                prefix: String::new(),
                engine: Engine::Auto
            }
        );
    }

    #[test]
    fn count_accepts_powers() {
        let cli =
            Cli::try_parse_from(["coreheat", "run", "count", "--n", "2^28", "--split"]).unwrap();
        let Command::Run(run) = cli.command else {
            panic!()
        };
        assert_eq!(
            run.workload.to_spec(),
            WorkloadSpec::Count {
                n: 1 << 28,
                split: true
            }
        );
    }

    #[test]
    fn exec_takes_everything_after_the_separator() {
        let cli =
            Cli::try_parse_from(["coreheat", "run", "exec", "--", "sh", "-c", "exit 3"]).unwrap();
        let Command::Run(run) = cli.command else {
            panic!()
        };
        assert_eq!(
            run.workload.to_spec(),
            WorkloadSpec::Exec {
                argv: vec!["sh".into(), "-c".into(), "exit 3".into()]
            }
        );
    }

    #[test]
    fn bad_values_name_the_flag() {
        for (args, flag) in [
            (vec!["run", "--workers", "0", "hash"], "--workers"),
            (vec!["run", "hash", "--zeros", "129"], "--zeros"),
            (vec!["run", "count", "--n", "0"], "--n"),
            (vec!["run", "count", "--n", "2^65"], "--n"),
            (vec!["run", "--interval", "10ms", "idle"], "--interval"),
            (vec!["run", "--interval", "soon", "idle"], "--interval"),
            (vec!["run", "--mode", "fibers", "hash"], "--mode"),
            (vec!["run", "idle", "--duration", "x"], "--duration"),
            (vec!["run", "--pin", "", "hash"], "--pin"),
        ] {
            let err = parse_error(&args);
            assert!(err.contains(flag), "{args:?}: {err}");
        }
    }
}
