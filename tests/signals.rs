//! Nothing lost: Ctrl-C and SIGTERM, a second Ctrl-C, a worker that dies or
//! panics, coreheat killed, and a disk that fills up — with real processes and
//! real signals.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use common::{Scratch, alive, children, read_trace, signal};
use coreheat::trace::Status;

/// Starts coreheat writing into `out` and waits until its trace has `samples`
/// samples. The caller waits for the child.
#[allow(clippy::zombie_processes)]
fn start_and_wait(scratch: &Scratch, args: &[&str], out: &str, samples: usize) -> Child {
    let mut all = vec!["run", "--interval", "100ms", "--out", out, "-q"];
    all.extend_from_slice(args);
    let child = scratch.command(&all).spawn().unwrap();
    let trace = scratch.path().join(out).join("trace.jsonl");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let count = std::fs::read_to_string(&trace)
            .map(|t| {
                t.lines()
                    .filter(|l| l.starts_with(r#"{"t":"#) && l.contains("cpus"))
                    .count()
            })
            .unwrap_or(0);
        if count >= samples {
            return child;
        }
        assert!(
            Instant::now() < deadline,
            "the run never reached {samples} samples"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait(child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    let pid = child.id();
    let output = std::thread::spawn(move || child.wait_with_output().unwrap());
    while !output.is_finished() {
        if started.elapsed() > limit {
            signal(pid, "KILL");
            panic!("coreheat did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    output.join().unwrap()
}

fn assert_interrupted(dir: &Path) {
    let trace = read_trace(&dir.join("trace.jsonl"));
    let (_, end) = trace.end.expect("an end line");
    assert_eq!(end.status, Status::Interrupted);
    assert!(trace.samples.len() >= 3, "every sample kept");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("This run was interrupted"),
        "banner in the report"
    );
}

#[test]
fn ctrl_c_stops_threads_and_keeps_everything() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &[
            "--mode",
            "threads",
            "--workers",
            "2",
            "count",
            "--n",
            "2^40",
        ],
        "int",
        4,
    );
    signal(child.id(), "INT");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(130));
    assert_interrupted(&scratch.path().join("int"));
}

#[test]
fn sigterm_stops_processes_and_leaves_no_process_behind() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &[
            "--mode",
            "processes",
            "--workers",
            "2",
            "hash",
            "--zeros",
            "40",
        ],
        "term",
        4,
    );
    let workers = children(child.id());
    assert_eq!(workers.len(), 2, "two worker processes");
    signal(child.id(), "TERM");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(143));
    assert!(
        workers.iter().all(|&w| !alive(w)),
        "workers left behind: {workers:?}"
    );
    assert_interrupted(&scratch.path().join("term"));
}

#[test]
fn ctrl_c_stops_a_serial_run_and_an_exec() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &["--mode", "serial", "count", "--n", "2^40"],
        "serial",
        3,
    );
    signal(child.id(), "INT");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(130));
    assert_interrupted(&scratch.path().join("serial"));

    let child = start_and_wait(&scratch, &["exec", "--", "sleep", "30"], "exec", 3);
    let sleeper = children(child.id());
    signal(child.id(), "INT");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(130));
    assert!(
        sleeper.iter().all(|&p| !alive(p)),
        "the command was stopped"
    );
    assert_interrupted(&scratch.path().join("exec"));
}

#[test]
fn a_second_ctrl_c_stops_at_once_and_the_trace_still_reads() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &[
            "--mode",
            "processes",
            "--workers",
            "2",
            "count",
            "--n",
            "2^40",
        ],
        "twice",
        3,
    );
    let workers = children(child.id());
    signal(child.id(), "INT");
    signal(child.id(), "INT");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(130));
    let deadline = Instant::now() + Duration::from_secs(3);
    while workers.iter().any(|&w| alive(w)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(workers.iter().all(|&w| !alive(w)), "workers left behind");
    let trace = read_trace(&scratch.path().join("twice/trace.jsonl"));
    assert!(trace.samples.len() >= 3);
    scratch.ok(&["render", "twice/trace.jsonl"]);
}

#[test]
fn a_killed_worker_process_fails_the_run_and_is_named() {
    let scratch = Scratch::new();
    let mut all = vec![
        "run",
        "--interval",
        "100ms",
        "--out",
        "dead",
        "--mode",
        "processes",
        "--workers",
        "2",
    ];
    all.extend_from_slice(&["count", "--n", "2^40"]);
    let child = scratch
        .command(&all)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let workers = loop {
        let workers = children(child.id());
        if workers.len() == 2 {
            break workers;
        }
        assert!(Instant::now() < deadline, "workers never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(300));
    signal(workers[1], "KILL");
    let output = wait(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("died: signal 9 (SIGKILL)")
            && stderr.contains(&format!("pid {}", workers[1])),
        "{stderr}"
    );
    assert!(
        workers.iter().all(|&w| !alive(w)),
        "the other worker was stopped too"
    );
    let dir = scratch.path().join("dead");
    let trace = read_trace(&dir.join("trace.jsonl"));
    let (_, end) = trace.end.unwrap();
    assert_eq!(end.status, Status::Failed);
    assert!(end.message.unwrap().contains("SIGKILL"));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("This run failed"));
}

#[test]
fn a_panicking_worker_thread_fails_the_run() {
    let scratch = Scratch::new();
    let output = scratch
        .command(&[
            "run",
            "--interval",
            "100ms",
            "--out",
            "panic",
            "--mode",
            "threads",
            "--workers",
            "2",
            "hash",
            "--zeros",
            "9",
        ])
        .env("COREHEAT_TEST_PANIC_WORKER", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("run failed: worker thread") && stderr.contains("panicked"),
        "{stderr}"
    );
    let trace = read_trace(&scratch.path().join("panic/trace.jsonl"));
    assert_eq!(trace.end.unwrap().1.status, Status::Failed);
    assert!(scratch.path().join("panic/report.html").is_file());
}

#[test]
fn killed_coreheat_leaves_a_trace_render_can_draw() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &[
            "--mode",
            "processes",
            "--workers",
            "2",
            "count",
            "--n",
            "2^40",
        ],
        "killed",
        3,
    );
    let workers = children(child.id());
    signal(child.id(), "KILL");
    let _ = wait(child, Duration::from_secs(5));
    let deadline = Instant::now() + Duration::from_secs(1);
    while workers.iter().any(|&w| alive(w)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        workers.iter().all(|&w| !alive(w)),
        "workers outlived coreheat by a second"
    );
    let trace = read_trace(&scratch.path().join("killed/trace.jsonl"));
    assert!(trace.end.is_none());
    assert!(trace.samples.len() >= 3);
    scratch.ok(&["render", "killed/trace.jsonl"]);
    let html = std::fs::read_to_string(scratch.path().join("killed/report.html")).unwrap();
    assert!(html.contains("no end line"));
}

#[test]
fn unwritable_output_is_an_error_before_anything_runs() {
    let scratch = Scratch::new();
    let output = scratch.run(&[
        "run",
        "--out",
        "/proc/coreheat-cannot-write-here",
        "hash",
        "--zeros",
        "1",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--out /proc/coreheat-cannot-write-here"),
        "{stderr}"
    );
    let file = scratch.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let output = scratch.run(&["run", "--out", "a-file", "hash", "--zeros", "1"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a folder"));
}

/// A tmpfs of two pages fills up during the run: the samples written before
/// stay readable, and coreheat says what happened.
#[test]
fn a_full_disk_keeps_the_samples_already_written() {
    let mount_point: PathBuf = tempfile::tempdir().unwrap().keep();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8k", "tmpfs"])
        .arg(&mount_point)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        // Mounting needs root (and a sandbox that allows it); the build machine
        // and CI can, a developer's laptop may not.
        eprintln!("cannot mount a tmpfs here (root: {}): skipping", is_root());
        let _ = std::fs::remove_dir(&mount_point);
        return;
    }
    let scratch = Scratch::new();
    let out = mount_point.join("run");
    let output = scratch.run(&[
        "run",
        "--interval",
        "100ms",
        "--out",
        out.to_str().unwrap(),
        "-q",
        "idle",
        "--duration",
        "6s",
    ]);
    let copy = scratch.path().join("trace.jsonl");
    std::fs::copy(out.join("trace.jsonl"), &copy).unwrap();
    let _ = std::process::Command::new("umount")
        .arg(&mount_point)
        .status();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a run whose trace could not be written fails"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("writing the trace stopped early") && stderr.contains("No space left"),
        "{stderr}"
    );
    let trace = read_trace(&copy);
    assert!(
        trace.samples.len() >= 5,
        "samples before the disk filled: {}",
        trace.samples.len()
    );
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}
