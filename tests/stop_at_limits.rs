//! Prompt stops at the documented worker limits (4 096 threads, 512 worker
//! processes, on however few CPUs): a terminal's Ctrl-C is handled at once by
//! the one thread that takes stop signals, and every worker ends within the
//! 1 s the README promises. Its own test binary, so that these thousands of
//! busy workers do not slow the other tests' runs.

mod common;

use std::path::Path;
use std::process::{Child, Command};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{Scratch, all_gone_within, children, read_trace};
use coreheat::{EventKind, Status};

/// One run at the limits at a time: two at once would each get half the CPUs.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What a stop may take at the limits, with room for a loaded 2-CPU machine:
/// measured here 0.5–0.9 s (before handling signals on a thread of their own,
/// 5–20 s with 4 096 threads).
const STOP_LIMIT: Duration = Duration::from_secs(4);

/// `coreheat run` started as a shell starts a job (its own process group);
/// killed with its group if the test fails first, so that thousands of busy
/// workers never outlive it.
struct Job(Option<Child>);

impl Job {
    fn start(scratch: &Scratch, out: &str, args: &[&str]) -> Job {
        use std::os::unix::process::CommandExt;
        let mut all = vec!["run", "--interval", "200ms", "--out", out, "-q"];
        all.extend_from_slice(args);
        let mut command = scratch.command(&all);
        command.process_group(0);
        Job(Some(command.spawn().unwrap()))
    }

    fn pid(&self) -> u32 {
        self.0.as_ref().unwrap().id()
    }

    /// Sends SIGINT to the job's process group, as a terminal's Ctrl-C does, and
    /// waits for coreheat to exit: its exit code and how long it took.
    fn ctrl_c(mut self) -> (Option<i32>, Duration) {
        let mut child = self.0.take().unwrap();
        let status = Command::new("kill")
            .args(["-INT", "--", &format!("-{}", child.id())])
            .status()
            .unwrap();
        assert!(status.success());
        let sent = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (status.code(), sent.elapsed());
            }
            if sent.elapsed() > Duration::from_secs(60) {
                self.0 = Some(child);
                panic!("coreheat did not stop within 60 s of Ctrl-C");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }
}

/// How many threads `pid` has (a directory listing: cheap however busy they are).
fn thread_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}

/// Gives the test's own thread the lowest real-time priority: with thousands
/// of busy workers on 2 CPUs an ordinary thread waits seconds for each turn,
/// and the test would time itself instead of coreheat. It sleeps between looks.
fn test_thread_realtime() {
    let param = libc::sched_param { sched_priority: 1 };
    // SAFETY: sets the calling thread's policy from a struct we own.
    let done = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
    assert_eq!(
        done, 0,
        "SCHED_FIFO for the test thread (root or CAP_SYS_NICE)"
    );
}

/// The threads of `pid` as (tid, name).
fn threads_of(pid: u32) -> Vec<(u32, String)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| {
            let tid: u32 = e.file_name().to_str()?.parse().ok()?;
            let name = std::fs::read_to_string(e.path().join("comm")).ok()?;
            Some((tid, name.trim().to_string()))
        })
        .collect()
}

/// Waits until `ready` holds, failing with `what` after `limit`.
fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Samples in the trace so far.
fn samples_in(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("trace.jsonl"))
        .map(|t| t.lines().filter(|l| l.contains("\"cpus\"")).count())
        .unwrap_or(0)
}

/// A status line of /proc/PID/task/TID/status, as a number in base 16.
fn status_mask(pid: u32, tid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    u64::from_str_radix(line[field.len()..].trim(), 16).unwrap()
}

/// The scheduling policy of a thread (field 41 of its stat: 0 normal, 1 FIFO).
fn policy_of(pid: u32, tid: u32) -> u32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    // Fields from 3 on; policy is field 41.
    after_name.split(' ').nth(41 - 3).unwrap().parse().unwrap()
}

#[test]
fn only_the_signal_thread_takes_stop_signals() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let scratch = Scratch::new();
    let args = [
        "--mode",
        "threads",
        "--workers",
        "8",
        "count",
        "--n",
        "2^40",
    ];
    let job = Job::start(&scratch, "mask", &args);
    let pid = job.pid();
    let dir = scratch.path().join("mask");
    wait_until(Duration::from_secs(30), "two samples", || {
        samples_in(&dir) >= 2
    });
    // On a loaded machine the workers may still be starting.
    let workers_of = |threads: &[(u32, String)]| -> Vec<u32> {
        threads
            .iter()
            .filter(|(_, name)| name.starts_with("count-worker-"))
            .map(|(tid, _)| *tid)
            .collect()
    };
    wait_until(Duration::from_secs(30), "8 workers started", || {
        workers_of(&threads_of(pid)).len() == 8
    });
    let sigint = 1u64 << (libc::SIGINT - 1);
    let stop_signals = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT]
        .iter()
        .fold(0u64, |mask, s| mask | 1 << (s - 1));
    let threads = threads_of(pid);
    let takers: Vec<&str> = threads
        .iter()
        .filter(|(tid, _)| status_mask(pid, *tid, "SigBlk:") & sigint == 0)
        .map(|(_, name)| name.as_str())
        .collect();
    // The kernel cuts thread names to 15 bytes: coreheat-signals.
    assert_eq!(takers, ["coreheat-signal"], "the threads that take SIGINT");
    let workers = workers_of(&threads);
    assert_eq!(workers.len(), 8);
    for tid in workers {
        assert_eq!(
            status_mask(pid, tid, "SigBlk:") & stop_signals,
            stop_signals,
            "worker {tid} blocks every stop signal"
        );
    }
    let (code, _) = job.ctrl_c();
    assert_eq!(code, Some(130));
}

#[cfg_attr(
    coreheat_missing = "realtime",
    ignore = "needs root or CAP_SYS_NICE (real-time priority for the signal thread)"
)]
#[test]
fn ctrl_c_stops_4096_busy_threads_and_512_worker_processes_within_the_promise() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    test_thread_realtime();
    let scratch = Scratch::new();

    let args = [
        "--mode",
        "threads",
        "--workers",
        "4096",
        "count",
        "--n",
        "2^40",
    ];
    let job = Job::start(&scratch, "threads", &args);
    let pid = job.pid();
    let dir = scratch.path().join("threads");
    // The signal thread is one of the first: name it before the workers come.
    wait_until(Duration::from_secs(30), "the signal thread", || {
        threads_of(pid).iter().any(|(_, n)| n == "coreheat-signal")
    });
    let signals_thread = threads_of(pid)
        .into_iter()
        .find(|(_, name)| name == "coreheat-signal")
        .unwrap()
        .0;
    // Every worker exists before the Ctrl-C: they start together (each one
    // started while the others worked used to take seconds).
    wait_until(Duration::from_secs(30), "4096 worker threads", || {
        thread_count(pid) >= 4096
    });
    let before = samples_in(&dir);
    wait_until(Duration::from_secs(30), "samples with every worker", || {
        samples_in(&dir) >= before + 2
    });
    assert_eq!(
        policy_of(pid, signals_thread),
        1,
        "the signal thread runs at real-time priority (SCHED_FIFO)"
    );
    let (code, took) = job.ctrl_c();
    assert_eq!(code, Some(130));
    assert!(
        took < STOP_LIMIT,
        "4096 threads took {took:?} to stop after Ctrl-C"
    );
    let trace = read_trace(&dir.join("trace.jsonl"));
    assert_eq!(
        trace.end.expect("an end line").1.status,
        Status::Interrupted
    );
    let exits = trace
        .events
        .iter()
        .filter(|e| e.event == EventKind::WorkerExit)
        .count();
    assert_eq!(exits, 4096, "every worker thread ended and was counted");

    let args = [
        "--mode",
        "processes",
        "--workers",
        "512",
        "count",
        "--n",
        "2^40",
    ];
    let job = Job::start(&scratch, "processes", &args);
    let pid = job.pid();
    let dir = scratch.path().join("processes");
    wait_until(Duration::from_secs(60), "512 worker processes", || {
        children(pid).len() >= 512
    });
    let before = samples_in(&dir);
    wait_until(Duration::from_secs(30), "samples with every worker", || {
        samples_in(&dir) >= before + 2
    });
    let workers = children(pid);
    let (code, took) = job.ctrl_c();
    assert_eq!(code, Some(130));
    assert!(
        took < STOP_LIMIT,
        "512 worker processes took {took:?} to stop after Ctrl-C"
    );
    assert!(all_gone_within(&workers, Duration::from_millis(100)));
    let trace = read_trace(&dir.join("trace.jsonl"));
    assert_eq!(
        trace.end.expect("an end line").1.status,
        Status::Interrupted
    );
}

/// A thousand threads on 2 CPUs, run by a user without privilege (coreheat's
/// own threads then wait their turn): the workload's CPU time is all of what
/// its threads ran, checked against what the kernel counts for the whole
/// coreheat process when it is reaped (the workers, and coreheat's own
/// starting, sampling and drawing besides), so another program busy on the
/// machine changes nothing. With the release build, getrusage's per-thread
/// figures summed 8.5 of the 10.1 CPU-s the machine was busy and the page
/// blamed 1.4 on other programs; the scheduler's own clock finds 9.75. (This
/// test's build misses less that way, 2-6 %: the test holds the line at 6 %.)
#[cfg_attr(
    coreheat_missing = "setpriv",
    ignore = "needs root and setpriv (util-linux) to run as user nobody"
)]
#[test]
fn the_cpu_time_of_a_thousand_threads_is_all_counted() {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (shared, mut command) = common::as_nobody();
    let out = shared.path().join("many");
    command.args(["run", "--json", "--out", out.to_str().unwrap()]);
    command.args(["--workers", "1024", "count", "--split", "-n", "2^35"]);
    command.stdout(std::process::Stdio::piped());
    command.process_group(0);
    let mut job = Job(Some(command.spawn().unwrap()));
    let child = job.0.as_mut().unwrap();
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    // setpriv executes coreheat in its own process: one pid, reaped here
    // with its CPU time.
    let (status, whole_cpu_s) = reap_with_cpu(child.id());
    job.0 = None;
    assert_eq!(status, 0, "{}", String::from_utf8_lossy(&stdout));
    let json: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let workload = json["user_s"].as_f64().unwrap() + json["sys_s"].as_f64().unwrap();
    assert!(
        workload >= 0.94 * whole_cpu_s,
        "the workload's CPU time is {workload:.2} CPU-s of the {whole_cpu_s:.2} the \
         kernel counts for the whole coreheat process"
    );
}

/// Waits for child `pid`: its exit status and its CPU seconds (user + sys).
fn reap_with_cpu(pid: u32) -> (i32, f64) {
    let mut status = 0;
    // SAFETY: zeroed rusage for wait4 to fill; `pid` is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid as i32, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid as i32, "wait4");
    let seconds = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (status, seconds(usage.ru_utime) + seconds(usage.ru_stime))
}
