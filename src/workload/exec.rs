//! `coreheat run exec -- CMD ARGS...`: runs a user's command directly (no shell),
//! stdin, stdout and stderr passed through, and reports its exit status and the
//! CPU time of its whole process tree (the rusage of the child, which includes
//! the descendants it waited for).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use super::runner::{Control, EventSink, STOP_POLL};
use super::{ExecResult, WorkerReport, WorkloadOutcome, WorkloadResult};
use crate::os::{self, CpuTimes, ExitStatus};
use crate::trace::{EventKind, Status};

/// Exit code of a command that cannot be found, as in the shell.
pub const EXIT_NOT_FOUND: i32 = 127;
/// Exit code of a command that cannot be executed, as in the shell.
pub const EXIT_NOT_EXECUTABLE: i32 = 126;

/// How long a command may take to end after SIGTERM before it gets SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(1);

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

/// Runs the command to its end or until `control.stop`, which sends it SIGTERM
/// (then SIGKILL after a grace second).
pub fn run(
    argv: &[String],
    cpus: &[u32],
    control: &Control,
    events: &dyn EventSink,
) -> WorkloadOutcome {
    let start = Instant::now();
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]);
    if !cpus.is_empty() {
        os::pin_command(&mut command, cpus.to_vec());
    }
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                EXIT_NOT_FOUND
            } else {
                EXIT_NOT_EXECUTABLE
            };
            return failed_to_start(start, code, format!("exec: cannot run '{}': {e}", argv[0]));
        }
    };
    let pid = child.id();
    // A waiter thread blocks in wait4; this thread only wakes to pass an
    // interrupt on (SIGTERM, then SIGKILL after a grace second).
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(os::wait_with_rusage(pid));
    });
    let mut terminated_at: Option<Instant> = None;
    let waited = loop {
        match receiver.recv_timeout(STOP_POLL.min(TERM_GRACE)) {
            Ok(result) => break result,
            Err(RecvTimeoutError::Disconnected) => break Err(std::io::Error::other("waiter gone")),
            Err(RecvTimeoutError::Timeout) if control.stopped() => match terminated_at {
                None => {
                    let _ = os::send_signal(pid, libc::SIGTERM);
                    terminated_at = Some(Instant::now());
                }
                Some(at) if at.elapsed() >= TERM_GRACE => {
                    let _ = os::send_signal(pid, libc::SIGKILL);
                }
                Some(_) => {}
            },
            Err(RecvTimeoutError::Timeout) => {}
        }
    };
    let (status, times) = waited.unwrap_or((ExitStatus::Code(-1), CpuTimes::default()));
    let wall_s = start.elapsed().as_secs_f64();
    events.record(EventKind::WorkerExit, Some(0), Some(status.describe()));
    let signal = match status {
        ExitStatus::Signal(signal) => Some(signal),
        ExitStatus::Code(_) => None,
    };
    let (status_kind, message) = if control.stopped() {
        (
            Status::Interrupted,
            Some(format!(
                "interrupted; the command ended with {}",
                status.describe()
            )),
        )
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

fn failed_to_start(start: Instant, code: i32, message: String) -> WorkloadOutcome {
    WorkloadOutcome {
        status: Status::Failed,
        result: Some(WorkloadResult::Exec(ExecResult {
            exit_code: code,
            signal: None,
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
