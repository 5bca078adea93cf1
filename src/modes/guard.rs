//! The guardian of a traced command: `coreheat __guard -- CMD ARGS` is what
//! `run exec` starts. It starts the command, waits for it, and owns the
//! command's whole process tree: as a child subreaper it inherits every orphaned
//! descendant (`sh -c 'yes > /dev/null'`'s `yes`, a daemon that double-forked),
//! so it can count what is still running when the command ends and stop all of
//! it. coreheat talks to it over two pipes the guardian gets as descriptors 3
//! (orders, [`ToGuardian`]) and 4 (what happened, [`GuardMessage`]); the lines
//! are defined in [`super::protocol`]. End of the orders means coreheat is gone
//! (even by `kill -9`): the tree gets SIGKILL at once. `stop` gives the tree
//! SIGTERM and, after [`STOP_GRACE`], SIGKILL to what is left.
//!
//! The guardian ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT (coreheat decides)
//! and runs in a process group of its own, so that `kill -9 -PGID` of
//! coreheat's group leaves it to stop the tree (`setsid`'d and double-forked
//! descendants included, which come back to it as orphans); the command runs
//! in coreheat's process group, gets the default dispositions back and is
//! killed if the guardian dies.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::FromRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::protocol::{GuardMessage, ToGuardian};
use crate::util::interrupt::STOP_GRACE;
use crate::util::os::{self, CpuTimes, ExitStatus};
use crate::util::procfs::descendants;

/// The hidden subcommand the guardian runs.
pub const GUARD_SUBCOMMAND: &str = "__guard";
/// Descriptor of the pipe from coreheat.
pub const CONTROL_FD: i32 = 3;
/// Descriptor of the pipe to coreheat.
pub const REPORT_FD: i32 = 4;
/// Exit code of a command that cannot be found, as in the shell.
pub const EXIT_NOT_FOUND: i32 = 127;
/// Exit code of a command that cannot be executed, as in the shell.
pub const EXIT_NOT_EXECUTABLE: i32 = 126;

/// What coreheat asks of the guardian.
enum Order {
    Stop,
    Release,
    Gone,
}

/// Runs the guardian to its end; returns the process exit code.
pub fn guard_main(cpus: Vec<u32>, argv: Vec<String>) -> i32 {
    if argv.is_empty()
        || os::set_cloexec(CONTROL_FD).is_err()
        || os::set_cloexec(REPORT_FD).is_err()
    {
        crate::util::output::print_err_line(&format!(
            "coreheat: {GUARD_SUBCOMMAND} is started by `coreheat run exec`, not by hand"
        ));
        return 2;
    }
    // SAFETY: coreheat passed these two pipe ends as descriptors 3 and 4, and
    // nothing else in this process owns them.
    let (control, mut report) =
        unsafe { (File::from_raw_fd(CONTROL_FD), File::from_raw_fd(REPORT_FD)) };
    let _ = os::become_child_subreaper();
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]);
    os::default_interrupts_and_die_with_parent(&mut command);
    // The guardian runs in a process group of its own, so that a signal to
    // coreheat's group (`kill -9 -PGID`, a terminal's hang-up) cannot take it
    // down with coreheat; the command joins coreheat's group, where the
    // terminal's Ctrl-C and job control reach it as they would without
    // coreheat.
    if let Some(group) = os::process_group_of(os::parent_pid()) {
        os::join_process_group(&mut command, group);
    }
    if !cpus.is_empty() {
        os::pin_command(&mut command, cpus);
    }
    let reported = Arc::new((Mutex::new(false), Condvar::new()));
    let obeyed = reported.clone();
    // The command's pid while it runs (0: not started or already reaped).
    let running = Arc::new(AtomicU32::new(0));
    let signalled = running.clone();
    let stopping = Arc::new(AtomicBool::new(false));
    let stop_seen = stopping.clone();
    let listener =
        std::thread::Builder::new().spawn(move || obey(control, &signalled, &obeyed, &stop_seen));
    if let Err(e) = listener {
        let message = format!("exec: cannot start a thread: {e} (see ulimit -u)");
        let code = EXIT_NOT_EXECUTABLE;
        send(&mut report, &GuardMessage::Failed { code, message });
        return 0;
    }
    let start = Instant::now();
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let code = match e.kind() {
                std::io::ErrorKind::NotFound => EXIT_NOT_FOUND,
                _ => EXIT_NOT_EXECUTABLE,
            };
            let message = format!("exec: cannot run '{}': {e}", argv[0]);
            send(&mut report, &GuardMessage::Failed { code, message });
            return 0;
        }
    };
    let pid = child.id();
    running.store(pid, Ordering::SeqCst);
    send(&mut report, &GuardMessage::Started(pid));
    let (status, mut cpu) = wait_for_command(pid, &running);
    let wall_s = start.elapsed().as_secs_f64();
    // A command ended by an interrupt's signal (Ctrl-C reaches its whole
    // tree) or stopped by coreheat's order: an interrupt stops the rest of
    // its tree too (background children a shell kept from Ctrl-C included),
    // and their CPU time is the command's, so it is counted before the end
    // is reported.
    let interrupted =
        matches!(status, ExitStatus::Signal(signal) if INTERRUPT_SIGNALS.contains(&signal));
    if interrupted || stopping.load(Ordering::SeqCst) {
        stop_tree(std::process::id());
        cpu = cpu.plus(reap_the_ending_tree(
            STOP_GRACE + Duration::from_millis(500),
        ));
    }
    let left_running = descendants(std::process::id()).len() as u32;
    send(
        &mut report,
        &GuardMessage::Exited {
            status,
            cpu,
            wall_s,
            left_running,
        },
    );
    *reported.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
    reported.1.notify_all();
    // What is left runs on until coreheat releases or stops it; reap what ends.
    while os::wait_any_with_rusage().is_ok() {}
    loop {
        std::thread::park();
    }
}

/// Waits for the command, reaping orphans of its tree on the way; their CPU
/// time counts as the command's (`time` would miss it).
fn wait_for_command(pid: u32, running: &AtomicU32) -> (ExitStatus, CpuTimes) {
    let mut orphans = CpuTimes::default();
    loop {
        match os::wait_any_with_rusage() {
            Ok((ended, status, cpu)) if ended == pid => {
                running.store(0, Ordering::SeqCst);
                return (status, cpu.plus(orphans));
            }
            Ok((_, _, cpu)) => orphans = orphans.plus(cpu),
            Err(_) => return (ExitStatus::Code(-1), orphans),
        }
    }
}

/// Reaps the guardian's children as they end, until none is left or
/// `limit` has passed; returns the CPU time of those reaped.
fn reap_the_ending_tree(limit: Duration) -> CpuTimes {
    let deadline = Instant::now() + limit;
    let mut cpu = CpuTimes::default();
    while Instant::now() < deadline {
        match os::try_wait_any_with_rusage() {
            Ok(Some((_, _, ended))) => cpu = cpu.plus(ended),
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break, // no child left
        }
    }
    cpu
}

/// Reads coreheat's orders and carries them out; ends the process, once the
/// command's end is reported (unless coreheat is gone).
fn obey(
    control: File,
    running: &AtomicU32,
    reported: &(Mutex<bool>, Condvar),
    stopping: &AtomicBool,
) {
    let mut lines = BufReader::new(control).lines();
    let order = loop {
        let Some(Ok(line)) = lines.next() else {
            break Order::Gone;
        };
        match ToGuardian::decode(&line) {
            Ok(ToGuardian::Stop) => break Order::Stop,
            Ok(ToGuardian::Release) => break Order::Release,
            Ok(ToGuardian::Signal(signal)) => {
                let pid = running.load(Ordering::SeqCst);
                if pid != 0 {
                    let _ = os::send_signal(pid, signal);
                }
            }
            // coreheat and its guardian are one binary: an unreadable order is
            // a bug, said where it shows, and the command is left as it was.
            Err(why) => crate::util::output::print_err_line(&format!(
                "coreheat: {GUARD_SUBCOMMAND}: cannot read the order '{line}' ({why})"
            )),
        }
    };
    if matches!(order, Order::Stop) {
        stopping.store(true, Ordering::SeqCst);
    }
    let me = std::process::id();
    match order {
        Order::Release => {}
        Order::Stop => {
            stop_tree(me);
            let (done, changed) = reported;
            let done = done.lock().unwrap_or_else(|e| e.into_inner());
            let _ = changed.wait_timeout_while(done, STOP_GRACE, |done| !*done);
        }
        Order::Gone => kill_tree(me),
    }
    std::process::exit(0);
}

/// The signals an interrupt sends: a command they ended was interrupted.
const INTERRUPT_SIGNALS: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// SIGTERM to every descendant of `root`, SIGKILL to those left after
/// [`STOP_GRACE`].
fn stop_tree(root: u32) {
    signal_tree(root, libc::SIGTERM);
    let deadline = Instant::now() + STOP_GRACE;
    while !descendants(root).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    kill_tree(root);
}

/// SIGKILL to every descendant until none is left (new ones may be forked
/// while the first are killed).
fn kill_tree(root: u32) {
    for _ in 0..100 {
        if signal_tree(root, libc::SIGKILL) == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `signal` to every live descendant of `root`; returns how many.
fn signal_tree(root: u32, signal: i32) -> usize {
    let tree = descendants(root);
    for &pid in &tree {
        let _ = os::send_signal(pid, signal);
    }
    tree.len()
}

fn send(report: &mut File, message: &GuardMessage) {
    let _ = report.write_all(message.encode().as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descendants_of_a_shell_include_its_children() {
        let mut shell = Command::new("sh")
            .args(["-c", "sleep 5 & sleep 5 & wait"])
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while descendants(shell.id()).len() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let found = descendants(std::process::id());
        assert!(found.contains(&shell.id()));
        assert!(descendants(shell.id()).len() >= 2);
        signal_tree(shell.id(), libc::SIGKILL);
        shell.kill().unwrap();
        shell.wait().unwrap();
    }
}
