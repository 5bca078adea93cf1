//! From the parsed command line to the library: each subcommand's arguments
//! become options, the command runs, and the exit code comes back. The
//! internal worker and guard subcommands and the generated completions and
//! man page are answered here too.

use super::{
    Cli, Command, ExportFormat, RenderCommand, RunCommand, RunFlags, SweepCommand, WorkloadCommand,
};
use crate::capture::run::RunOptions;
use crate::capture::sweep::SweepOptions;
use crate::commands::{self, Output};
use crate::model::sched::SchedRequest;
use crate::model::workload::Mode;
use crate::modes::{guard, worker};
use crate::util::cpulist::parse_cpulist;
use crate::util::outdir::reports_root;
use crate::util::output::{exit_code_after_printing, print, print_notice_line, set_quiet};
use crate::util::text::shell_quote;

/// Runs the parsed command line; returns the exit code.
pub fn execute(cli: Cli) -> anyhow::Result<i32> {
    // `run exec` ends with the traced command's own exit code.
    let passes_a_code_on = matches!(
        &cli.command,
        Command::Run(RunCommand {
            workload: WorkloadCommand::Exec(_),
            ..
        })
    );
    match &cli.command {
        Command::Run(c) => set_quiet(c.flags.quiet),
        Command::Sweep(c) => set_quiet(c.flags.quiet),
        _ => {}
    }
    if searches_hashes(&cli.command)
        && let Some(problem) = crate::kernels::simd::cap_problem()
    {
        print_notice_line(&format!("coreheat: warning: {problem}"));
    }
    let code = dispatch(cli)?;
    Ok(exit_code_after_printing(code, passes_a_code_on))
}

/// Whether the command runs the hash workload (the one `COREHEAT_SIMD` caps).
fn searches_hashes(command: &Command) -> bool {
    match command {
        Command::Run(c) => matches!(c.workload, WorkloadCommand::Hash(_)),
        Command::Sweep(c) => matches!(c.workload, WorkloadCommand::Hash(_)),
        _ => false,
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Run(command) => commands::run::run(
            &run_options(&command),
            output(&command.flags),
            command.flags.png_scale,
        ),
        Command::Sweep(command) => commands::sweep::sweep(
            &sweep_options(&command),
            output(&command.flags),
            command.flags.png_scale,
        ),
        Command::Render(c) if c.prometheus.is_some() => commands::render::render_prometheus(
            &prometheus_args(&c),
            c.out.as_deref(),
            c.title.as_deref(),
            c.png_scale,
        ),
        Command::Render(c) if c.files.iter().any(|f| commands::sweep::is_sweep_folder(f)) => {
            render_sweep(&c)
        }
        Command::Render(c) => commands::render::render(
            &c.files,
            c.out.as_deref(),
            &c.format,
            c.title.as_deref(),
            c.topology.as_deref(),
            c.png_scale,
        ),
        Command::Info(command) => commands::info::info(command.json),
        Command::Export(command) => match command.format {
            ExportFormat::Chrome { trace, out } => commands::export::chrome(&trace, out.as_deref()),
        },
        Command::Completions(command) => {
            print(&completions(command.shell));
            Ok(0)
        }
        Command::Man(command) => {
            print(&man_page(
                command.page.as_deref(),
                command.workload.as_deref(),
            )?);
            Ok(0)
        }
        Command::Worker(command) => Ok(worker::worker_main(command.index, command.cpu)),
        Command::Guard(command) => {
            let cpus = match command.cpus.as_deref() {
                Some(list) => parse_cpulist(list).map_err(anyhow::Error::msg)?,
                None => Vec::new(),
            };
            Ok(guard::guard_main(cpus, command.argv))
        }
    }
}

fn output(flags: &RunFlags) -> Output {
    Output {
        json: flags.json,
        quiet: flags.quiet,
    }
}

fn run_options(command: &RunCommand) -> RunOptions {
    RunOptions {
        workers: command.workers,
        ..options_of_flags(&command.flags, &command.workload)
    }
}

/// What the flags every run takes ask for, for `run` and for each run of a
/// sweep.
fn options_of_flags(flags: &RunFlags, workload: &WorkloadCommand) -> RunOptions {
    RunOptions {
        mode: flags.mode,
        pin: flags.pin.clone(),
        interval: flags.interval,
        baseline: flags.baseline,
        grace: flags.grace,
        command_stdout_to_stderr: flags.json,
        sched: match (flags.sched, flags.tasks) {
            (Some(request), _) => request,
            (None, Some(false)) => SchedRequest::Off,
            (None, _) => SchedRequest::Auto,
        },
        out: flags.out.clone(),
        reports_root: reports_root(),
        title: flags.title.clone(),
        live: !flags.quiet && !flags.json,
        allow_long: matches!(workload, WorkloadCommand::Hash(a) if a.allow_long),
        ..RunOptions::new(workload.to_spec())
    }
}

/// The sweep's options (the library's defaults for what is not given: worker
/// counts 1, 2, 4, ... up to the logical CPUs, modes `--mode`, pinnings
/// `--pin`). Says so when serial mode cannot have some of the worker counts
/// asked for, and when a pinning is given twice.
fn sweep_options(command: &SweepCommand) -> SweepOptions {
    let options = SweepOptions {
        workers: command.workers.clone(),
        modes: command.modes.clone(),
        pins: command.pins.iter().flatten().cloned().collect(),
        repeat: command.repeat,
        command: Some(typed_command(std::env::args().skip(1))),
        ..SweepOptions::new(options_of_flags(&command.flags, &command.workload))
    };
    let pins = &options.pins;
    for (at, pin) in pins.iter().enumerate() {
        if pins[..at].contains(pin) && !pins[at + 1..].contains(pin) {
            print_notice_line(&format!(
                "coreheat: note: --pins {} is given more than once (as typed or in another \
                 notation of the same CPUs): its configurations are run once",
                pin.as_text()
            ));
        }
    }
    if !command.workers.is_empty() {
        let workers = options.worker_counts(0);
        if let Some(note) = serial_note(&options.mode_list(), &workers) {
            print_notice_line(&format!("coreheat: note: {note}"));
        }
    }
    options
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
            words.push(shell_quote(&arg));
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

/// The completion script of `shell`.
fn completions(shell: clap_complete::Shell) -> String {
    // Without the internal subcommands (some generators list hidden ones).
    let full = super::command(None);
    let mut visible = clap::Command::new("coreheat");
    // The built definition already has a `help` command; the new one makes its own.
    let shown = |s: &&clap::Command| !s.is_hide_set() && s.get_name() != "help";
    for sub in full.get_subcommands().filter(shown) {
        visible = visible.subcommand(sub.clone());
    }
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut visible, "coreheat", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The main man page, or the page of the command `page` (`coreheat-run(1)`)
/// or of one of its workloads (`coreheat-run-exec(1)`), named as the pages
/// above them list them, from the same definitions as `--help`.
fn man_page(page: Option<&str>, workload: Option<&str>) -> anyhow::Result<String> {
    let mut command = super::command(None);
    let mut name = "coreheat".to_string();
    let words: Vec<&str> = [page, workload].into_iter().flatten().collect();
    for &word in &words {
        let sub = command.find_subcommand(word).cloned().ok_or_else(|| {
            let known: Vec<&str> = command
                .get_subcommands()
                .map(|s| s.get_name())
                .filter(|n| *n != "help")
                .collect();
            anyhow::anyhow!(
                "{name} has no command '{word}' for `coreheat man`; its commands are {}",
                known.join(", ")
            )
        })?;
        name = format!("{name}-{word}");
        command = sub.name(name.clone()).version(env!("CARGO_PKG_VERSION"));
    }
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    Ok(super::man::finish(
        &String::from_utf8_lossy(&out),
        &command,
        &words,
    ))
}

/// What `render --prometheus` reads, as typed.
fn prometheus_args(command: &RenderCommand) -> commands::render::PrometheusArgs {
    commands::render::PrometheusArgs {
        url: command.prometheus.clone().unwrap_or_default(),
        selector: command.selector.clone().unwrap_or_default(),
        from: command.from.clone(),
        to: command.to.clone(),
        step: command.step.clone(),
        timeout: command.timeout.clone(),
    }
}

/// `render SWEEP_DIR`: the sweep folder alone, drawn again where it is.
fn render_sweep(c: &RenderCommand) -> anyhow::Result<i32> {
    let [dir] = c.files.as_slice() else {
        anyhow::bail!(
            "render draws a sweep folder again on its own: give only the sweep folder ({} files given)",
            c.files.len()
        );
    };
    let flags = [
        ("--out", c.out.is_some()),
        ("--title", c.title.is_some()),
        ("--topology", c.topology.is_some()),
        ("--format", c.format != "auto"),
    ];
    if let Some((flag, _)) = flags.iter().find(|(_, given)| *given) {
        anyhow::bail!(
            "{flag} does not apply to a sweep folder: render {} draws its comparison again in that \
             folder, from its sweep.json and run folders (leave {flag} out)",
            dir.display()
        );
    }
    let dir = commands::sweep::sweep_folder_of(dir).unwrap_or(dir);
    commands::sweep::redraw(dir, c.png_scale)
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
}
