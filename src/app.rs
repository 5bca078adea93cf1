//! What each subcommand does with its parsed arguments, and the process exit
//! code it ends with. `main` only parses, calls [`execute`] and prints errors.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command, InfoCommand, RenderCommand, RunCommand, RunFlags, SweepCommand};
use crate::interrupt::Interrupts;
use crate::output::{print, print_err, print_err_line, print_line};
use crate::run::{self, RunOptions, RunSummary};
use crate::trace::Status;
use crate::workload::{WorkloadResult, WorkloadSpec, guard, worker};

/// Exit code of a run whose workload failed.
pub const EXIT_FAILED: i32 = 1;

/// Runs the parsed command line; returns the exit code.
pub fn execute(cli: Cli) -> Result<i32> {
    let passes_a_code_on = traces_a_command(&cli);
    let code = dispatch(cli)?;
    Ok(crate::output::exit_code_after_printing(
        code,
        passes_a_code_on,
    ))
}

/// `run exec` ends with the traced command's own exit code.
fn traces_a_command(cli: &Cli) -> bool {
    matches!(
        &cli.command,
        Command::Run(RunCommand {
            workload: crate::cli::WorkloadCommand::Exec(_),
            ..
        })
    )
}

fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(command) => run_command(command),
        Command::Sweep(command) => sweep_command(command),
        Command::Render(command) => render_command(command),
        Command::Info(command) => info_command(command),
        Command::Completions(command) => {
            print(&completions(command.shell));
            Ok(0)
        }
        Command::Man => {
            print(&man_page()?);
            Ok(0)
        }
        Command::Worker(command) => Ok(worker::worker_main(command.index, command.cpu)),
        Command::Guard(command) => {
            let cpus = match command.cpus.as_deref() {
                Some(list) => crate::topology::parse_cpulist(list).map_err(anyhow::Error::msg)?,
                None => Vec::new(),
            };
            Ok(guard::guard_main(cpus, command.argv))
        }
    }
}

fn run_options(
    flags: &RunFlags,
    workers: Option<usize>,
    spec: crate::workload::WorkloadSpec,
) -> RunOptions {
    RunOptions {
        mode: flags.mode,
        workers,
        pin: flags.pin.clone(),
        interval: flags.interval,
        baseline: flags.baseline,
        out: flags.out.clone(),
        title: flags.title.clone(),
        live: !flags.quiet && !flags.json,
        ..RunOptions::new(spec)
    }
}

fn run_command(command: RunCommand) -> Result<i32> {
    let options = run_options(&command.flags, command.workers, command.workload.to_spec());
    let interrupts = Interrupts::install().context("cannot install the Ctrl-C handler")?;
    let summary = run::run(&options, interrupts.stop.clone())?;
    print_summary(&summary, &command.flags);
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
fn print_summary(summary: &RunSummary, flags: &RunFlags) {
    let traces_a_command = matches!(summary.spec, WorkloadSpec::Exec { .. });
    let show: fn(&str) = if traces_a_command { print_err } else { print };
    // Before the result, where they are not missed below the paths.
    for warning in &summary.warnings {
        print_err_line(&format!(
            "coreheat: warning [{}]: {}",
            warning.code, warning.message
        ));
    }
    if flags.json {
        print_line(&summary.to_json().to_string());
    } else if !flags.quiet {
        if let Some(line) = summary.result_line() {
            show(&format!("{line}\n"));
        }
        show("\n");
        show(&summary.time_block());
    }
    if let Some(message) = &summary.outcome.message
        && !said_by_the_result_line(summary, flags)
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
            crate::run::shell_quote(&summary.trace.display().to_string())
        ));
    }
}

/// A command that failed is said once: its result line ("command exited with
/// status 3") already tells, unless --json or --quiet left it out.
fn said_by_the_result_line(summary: &RunSummary, flags: &RunFlags) -> bool {
    let shown = !flags.json && !flags.quiet;
    shown
        && summary.outcome.status == Status::Failed
        && matches!(summary.outcome.result, Some(WorkloadResult::Exec(_)))
}

fn sweep_command(command: SweepCommand) -> Result<i32> {
    let interrupts = Interrupts::install().context("cannot install the Ctrl-C handler")?;
    crate::sweep::run_sweep_command(&command, &interrupts)
}

/// Draws the files that can be read; names each one that cannot, and then
/// exits with 1.
fn render_command(command: RenderCommand) -> Result<i32> {
    let rendered = crate::report::render_files(
        &command.files,
        command.out.as_deref(),
        &command.format,
        command.title.as_deref(),
        command.topology.as_deref(),
    )?;
    print_line(&rendered.report.display().to_string());
    if rendered.failures.is_empty() {
        return Ok(0);
    }
    for failure in &rendered.failures {
        print_err_line(&format!("coreheat: error: {failure:#}"));
    }
    print_err_line(&format!(
        "coreheat: {} of {} files could not be read; the report shows the others",
        rendered.failures.len(),
        command.files.len()
    ));
    Ok(EXIT_FAILED)
}

fn info_command(command: InfoCommand) -> Result<i32> {
    let machine = crate::machine::Machine::collect();
    if command.json {
        print_line(&serde_json::to_string_pretty(&crate::info::info_json(
            &machine,
        ))?);
    } else {
        print(&crate::info::info_table(&machine));
    }
    Ok(0)
}

/// The completion script of `shell`.
fn completions(shell: clap_complete::Shell) -> String {
    use clap::CommandFactory;
    // Without the internal subcommands (some generators list hidden ones).
    let full = Cli::command();
    let mut visible = clap::Command::new("coreheat");
    for sub in full.get_subcommands().filter(|s| !s.is_hide_set()) {
        visible = visible.subcommand(sub.clone());
    }
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut visible, "coreheat", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The man page, from the same definitions as `--help`.
fn man_page() -> Result<String> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The default folder reports go to.
pub fn reports_root() -> PathBuf {
    PathBuf::from("reports")
}
