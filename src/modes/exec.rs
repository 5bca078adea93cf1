//! `coreheat run exec -- CMD ARGS...`: runs a user's command directly (no shell),
//! stdin, stdout and stderr passed through, under a guardian process that owns
//! its whole process tree (see `guard`), and reports its exit status, the CPU
//! time of the tree, and how many of its processes were still running when it
//! ended.

use std::io::{BufRead, BufReader, PipeWriter, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use super::control::{Control, Plan};
use super::hidden;
use super::outcome::{WorkerReport, WorkloadOutcome};
use super::protocol::{GuardMessage, ToGuardian};
use crate::model::EventSink;
use crate::model::workload::{ExecResult, WorkloadResult};
use crate::model::{EventKind, Status};
use crate::util::interrupt::{self, STOP_GRACE, STOP_POLL};
use crate::util::os::{self, CpuTimes, ExitStatus};

pub use super::guard::{EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND};

/// Finds the program as the shell would: a path with a slash as is, otherwise
/// the first executable of that name on PATH.
pub fn resolve_program(program: &str) -> Result<PathBuf, (i32, String)> {
    if program.is_empty() {
        return Err((EXIT_NOT_FOUND, "exec: the command is empty".into()));
    }
    if program.contains('/') && Path::new(program).is_dir() {
        return Err((
            EXIT_NOT_EXECUTABLE,
            format!("exec: {program} is a directory, not a program"),
        ));
    }
    let candidates: Vec<PathBuf> = if program.contains('/') {
        vec![PathBuf::from(program)]
    } else {
        std::env::var_os("PATH")
            .map(|path| {
                std::env::split_paths(&path)
                    .map(|d| d.join(program))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut found_unexecutable = None;
    for candidate in candidates {
        if candidate.is_file() {
            if is_executable(&candidate) {
                return Ok(candidate);
            }
            found_unexecutable.get_or_insert(candidate);
        }
    }
    match found_unexecutable {
        Some(path) => Err((
            EXIT_NOT_EXECUTABLE,
            format!("exec: {} is not executable (chmod +x it)", path.display()),
        )),
        None => Err((
            EXIT_NOT_FOUND,
            format!("exec: command not found: '{program}' (is it installed and on PATH?)"),
        )),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Runs the command (under its guardian, see [`super::guard`]) to its end. An
/// interrupt is the command's to handle, as under `time`: a signal the
/// terminal sent reached it already, one sent to coreheat alone is passed on,
/// and the command gets `plan.grace` to end by itself. A second interrupt, or
/// the grace running out, stops its whole process tree: SIGTERM, then SIGKILL
/// after [`crate::util::interrupt::STOP_GRACE`]. A stop without a signal (a
/// library caller's flag) stops the tree at once.
pub fn run(
    plan: &Plan,
    argv: &[String],
    control: &Control,
    events: &dyn EventSink,
) -> WorkloadOutcome {
    let start = Instant::now();
    let guardian = match Guardian::start(plan, argv) {
        Ok(guardian) => guardian,
        Err(message) => return failed_to_start(start, EXIT_NOT_EXECUTABLE, message),
    };
    interrupt::set_patient(true);
    let waited = guardian.wait_for_command(control, plan.grace);
    interrupt::set_patient(false);
    // A guardian that cannot be understood is not trusted with the command.
    guardian.finish(control.stopped() || waited.is_err());
    let (ended, stopped_by) = match waited {
        Ok((message, stopped_by)) => (Ok(message), stopped_by),
        Err(message) => (Err(message), None),
    };
    let (status, times, wall_s, left_running) = match ended {
        Ok(GuardMessage::Exited {
            status,
            cpu,
            wall_s,
            left_running,
        }) => (status, cpu, wall_s, left_running),
        Ok(GuardMessage::Failed { code, message }) => {
            return failed_to_start(start, code, message);
        }
        Ok(GuardMessage::Started(_)) => {
            let message = "the command's guardian sent no end".to_string();
            return failed_to_start(start, EXIT_NOT_EXECUTABLE, message);
        }
        Err(message) => return failed_to_start(start, EXIT_NOT_EXECUTABLE, message),
    };
    events.record(EventKind::WorkerExit, Some(0), Some(status.describe()));
    let stopped = control
        .stopped()
        .then(|| interruption(status, stopped_by, plan.grace));
    outcome(status, times, wall_s, left_running, stopped)
}

/// Why coreheat stopped the command's process tree before it ended.
#[derive(Debug, Clone, Copy, PartialEq)]
enum StoppedBy {
    /// A stop flag set without a signal, or an interrupt before it started.
    Flag,
    /// A second interrupt.
    SecondInterrupt,
    /// The command had not ended when the grace ran out.
    Grace,
}

/// The end line's words for an interrupted run: the signal coreheat got, what
/// it did, and how the command ended.
fn interruption(status: ExitStatus, stopped_by: Option<StoppedBy>, grace: Duration) -> String {
    let ended = status.describe();
    let Some(signal) = interrupt::first_signal() else {
        return format!("interrupted; the command ended with {ended}");
    };
    let got = format!("interrupted by {}", os::signal_name(signal));
    let tree = format!(
        "its process tree was stopped (SIGTERM, then SIGKILL after {} s); it ended with {ended}",
        STOP_GRACE.as_secs()
    );
    match stopped_by {
        // The command got the signal too (from the terminal, or passed on by
        // coreheat) and died of it: coreheat did not have to stop it.
        None if matches!(status, ExitStatus::Signal(_)) => {
            format!("{got}; the command got it too and ended with {ended}, without being stopped")
        }
        None => format!("{got}; the command ended by itself with {ended}"),
        Some(StoppedBy::Flag) => format!("{got}; {tree}"),
        Some(StoppedBy::SecondInterrupt) => format!("{got}, then a second interrupt: {tree}"),
        Some(StoppedBy::Grace) => format!(
            "{got}; the command had not ended {} later (--grace): {tree}",
            crate::util::units::format_duration_short(grace.as_secs_f64())
        ),
    }
}

/// The run's outcome once the command has ended.
fn outcome(
    status: ExitStatus,
    times: CpuTimes,
    wall_s: f64,
    left_running: u32,
    interrupted: Option<String>,
) -> WorkloadOutcome {
    let signal = match status {
        ExitStatus::Signal(signal) => Some(signal),
        ExitStatus::Code(_) => None,
    };
    let stopped = interrupted.is_some();
    let (status_kind, message) = if let Some(message) = interrupted {
        (Status::Interrupted, Some(message))
    } else if status.success() {
        (Status::Ok, None)
    } else {
        (
            Status::Failed,
            Some(format!("the command ended with {}", status.describe())),
        )
    };
    WorkloadOutcome {
        status: status_kind,
        result: Some(WorkloadResult::Exec(ExecResult {
            exit_code: status.shell_code(),
            signal,
            // After an interrupt the guardian stopped them with the command.
            left_running: if stopped { 0 } else { left_running },
        })),
        message,
        wall_s,
        cpu: times,
        workers: vec![WorkerReport {
            index: 0,
            cpu: None,
            user_s: times.user_s,
            sys_s: times.sys_s,
        }],
    }
}

/// coreheat's side of the guardian process: its pid, the pipe to give it
/// orders, and the messages it sends.
struct Guardian {
    pid: u32,
    orders: Option<PipeWriter>,
    messages: Receiver<FromGuardian>,
    /// Where a stop signal's wake-up goes.
    wake: Sender<FromGuardian>,
}

/// What the wait for the command hears.
enum FromGuardian {
    Message(GuardMessage),
    /// A line coreheat cannot read: the line and why.
    Unreadable(String, String),
    /// A stop signal came: act on it now.
    Wake,
    /// The guardian's pipe closed.
    Closed,
}

impl Guardian {
    fn start(plan: &Plan, argv: &[String]) -> Result<Guardian, String> {
        let exe = plan.worker_exe()?;
        let pipes = std::io::pipe().and_then(|a| std::io::pipe().map(|b| (a, b)));
        let ((order_reader, order_writer), (message_reader, message_writer)) =
            pipes.map_err(|e| format!("cannot start the command: no pipe: {e}"))?;
        let mut command = Command::new(&exe);
        command.args(hidden::guard_args(&plan.cpus, argv));
        os::pass_fds(
            &mut command,
            vec![order_reader.as_raw_fd(), message_writer.as_raw_fd()],
        );
        os::ignore_interrupts(&mut command);
        if plan.command_stdout_to_stderr {
            let stderr = std::io::stderr()
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| format!("cannot start the command: {e}"))?;
            command.stdout(stderr);
        }
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().map_err(|e| {
            format!(
                "cannot start the command's guardian ({}): {e}",
                exe.display()
            )
        })?;
        drop((order_reader, message_writer));
        let (sender, messages) = mpsc::channel();
        let wake = sender.clone();
        let reader = std::thread::Builder::new()
            .name("coreheat-guardian".into())
            .spawn(move || {
                // Lines as bytes: one that is not UTF-8 is quoted, not the end.
                for line in BufReader::new(message_reader)
                    .split(b'\n')
                    .map_while(Result::ok)
                {
                    let line = String::from_utf8_lossy(&line).into_owned();
                    let heard = match GuardMessage::decode(&line) {
                        Ok(message) => FromGuardian::Message(message),
                        Err(why) => FromGuardian::Unreadable(line, why),
                    };
                    if sender.send(heard).is_err() {
                        return;
                    }
                }
                let _ = sender.send(FromGuardian::Closed);
            });
        if let Err(e) = reader {
            // Without orders the guardian stops the command's tree and ends.
            drop(order_writer);
            let _ = os::wait_with_rusage(child.id());
            return Err(format!("cannot start a thread: {e} (see ulimit -u)"));
        }
        Ok(Guardian {
            pid: child.id(),
            orders: Some(order_writer),
            messages,
            wake,
        })
    }

    /// Waits for the command's end (or its failure to start). After an
    /// interrupt, passes on a signal sent to coreheat alone and gives the
    /// command `grace` to end; a second interrupt or the grace running out
    /// sends the `stop` order. Says why it stopped the tree, if it did.
    fn wait_for_command(
        &self,
        control: &Control,
        grace: Duration,
    ) -> Result<(GuardMessage, Option<StoppedBy>), String> {
        let mut started = false;
        let mut interrupted_at: Option<Instant> = None;
        let mut stopped_by: Option<StoppedBy> = None;
        let wake = self.wake.clone();
        let _wake = interrupt::wake_on_signal(move || {
            let _ = wake.send(FromGuardian::Wake);
        });
        loop {
            match self.messages.recv_timeout(STOP_POLL) {
                Ok(FromGuardian::Message(GuardMessage::Started(_))) => started = true,
                Ok(FromGuardian::Message(message)) => return Ok((message, stopped_by)),
                Ok(FromGuardian::Unreadable(line, why)) => {
                    // Dropping the orders' pipe makes the guardian stop the tree.
                    return Err(format!(
                        "the command's guardian sent '{line}', which this coreheat cannot \
                         read ({why}): its command was stopped; the guardian is the same \
                         coreheat binary, so this is a bug to report"
                    ));
                }
                Ok(FromGuardian::Wake) | Err(RecvTimeoutError::Timeout) => {}
                Ok(FromGuardian::Closed) | Err(RecvTimeoutError::Disconnected) => {
                    return Err("the command's guardian process ended unexpectedly".into());
                }
            }
            if !control.stopped() || stopped_by.is_some() {
                continue;
            }
            let since = *interrupted_at.get_or_insert_with(Instant::now);
            if let Some(signal) = interrupt::take_forward().filter(|_| started) {
                self.order(ToGuardian::Signal(signal));
            }
            let why = if !started || interrupt::first_signal().is_none() {
                Some(StoppedBy::Flag)
            } else if interrupt::count() >= 2 {
                Some(StoppedBy::SecondInterrupt)
            } else if since.elapsed() >= grace {
                Some(StoppedBy::Grace)
            } else {
                None
            };
            if why.is_some() {
                self.order(ToGuardian::Stop);
                stopped_by = why;
            }
        }
    }

    /// Releases what the command left running, or stops it after an interrupt,
    /// and waits for the guardian to end.
    fn finish(mut self, stopped: bool) {
        self.order(if stopped {
            ToGuardian::Stop
        } else {
            ToGuardian::Release
        });
        self.orders = None;
        let _ = os::wait_with_rusage(self.pid);
    }

    fn order(&self, order: ToGuardian) {
        if let Some(mut pipe) = self.orders.as_ref() {
            let _ = pipe.write_all(order.encode().as_bytes());
        }
    }
}

fn failed_to_start(start: Instant, code: i32, message: String) -> WorkloadOutcome {
    WorkloadOutcome {
        status: Status::Failed,
        result: Some(WorkloadResult::Exec(ExecResult {
            exit_code: code,
            signal: None,
            left_running: 0,
        })),
        message: Some(message),
        wall_s: start.elapsed().as_secs_f64(),
        cpu: CpuTimes::default(),
        workers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_resolve_like_the_shell() {
        assert!(resolve_program("sh").is_ok());
        assert_eq!(
            resolve_program("no-such-program-xyz").unwrap_err().0,
            EXIT_NOT_FOUND
        );
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.txt");
        std::fs::write(&plain, "not a program").unwrap();
        assert_eq!(
            resolve_program(plain.to_str().unwrap()).unwrap_err().0,
            EXIT_NOT_EXECUTABLE
        );
        assert_eq!(resolve_program("").unwrap_err().0, EXIT_NOT_FOUND);
    }
}
