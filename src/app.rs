//! What each subcommand does with its parsed arguments, and the process exit
//! code it ends with. `main` only parses, calls [`execute`] and prints errors.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command, InfoCommand, RenderCommand, RunCommand, RunFlags, SweepCommand};
use crate::interrupt::Interrupts;
use crate::run::{self, RunOptions, RunSummary};
use crate::trace::Status;
use crate::workload::{WorkloadResult, worker};

/// Exit code of a run whose workload failed.
pub const EXIT_FAILED: i32 = 1;

/// Runs the parsed command line; returns the exit code.
pub fn execute(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(command) => run_command(command),
        Command::Sweep(command) => sweep_command(command),
        Command::Render(command) => render_command(command),
        Command::Info(command) => info_command(command),
        Command::Worker(command) => Ok(worker::worker_main(command.index, command.cpu)),
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
    Ok(exit_code(&summary, &interrupts))
}

/// The exit code of a run: 0, 1 for a failure, 130/143 for an interrupt, or the
/// traced command's own code for exec.
pub fn exit_code(summary: &RunSummary, interrupts: &Interrupts) -> i32 {
    match (&summary.outcome.result, summary.outcome.status) {
        (_, Status::Interrupted) => interrupts.exit_code(),
        (Some(WorkloadResult::Exec(exec)), _) => exec.exit_code,
        (_, Status::Failed) => EXIT_FAILED,
        (_, Status::Ok) if summary.trace_error.is_some() => EXIT_FAILED,
        (_, Status::Ok) => 0,
    }
}

fn print_summary(summary: &RunSummary, flags: &RunFlags) {
    if flags.json {
        println!("{}", summary.to_json());
    } else if !flags.quiet {
        if let Some(line) = summary.result_line() {
            println!("{line}");
        }
        println!();
        print!("{}", summary.time_block());
    }
    if let Some(message) = &summary.outcome.message {
        let status = summary.outcome.status.as_str();
        eprintln!("coreheat: run {status}: {message}");
    }
    for problem in [&summary.trace_error, &summary.report_error]
        .into_iter()
        .flatten()
    {
        eprintln!("coreheat: warning: {problem}");
    }
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
    )?;
    println!("{}", rendered.report.display());
    if rendered.failures.is_empty() {
        return Ok(0);
    }
    for failure in &rendered.failures {
        eprintln!("coreheat: error: {failure:#}");
    }
    eprintln!(
        "coreheat: {} of {} files could not be read; the report shows the others",
        rendered.failures.len(),
        command.files.len()
    );
    Ok(EXIT_FAILED)
}

fn info_command(command: InfoCommand) -> Result<i32> {
    let machine = crate::machine::Machine::collect();
    if command.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&crate::info::info_json(&machine))?
        );
    } else {
        print!("{}", crate::info::info_table(&machine));
    }
    Ok(0)
}

/// The default folder reports go to.
pub fn reports_root() -> PathBuf {
    PathBuf::from("reports")
}
