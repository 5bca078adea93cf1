//! What coreheat does when its output has nowhere to go: stdout or stderr a
//! closed pipe (`| head -c 1`) or a full device, a disk too full for the report,
//! too few processes for a thread (`ulimit -u`). It never panics, keeps the
//! traced command's exit code, finishes a sweep, exits non-zero when a report
//! is lost, and leaves no debris of a run that could not start.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{Scratch, Tmpfs, with_few_processes};

/// Runs coreheat with the read ends of its stdout and/or stderr pipes closed
/// before it prints anything: every write there fails with EPIPE.
fn run_with_closed(command: &mut Command, stdout: bool, stderr: bool) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("coreheat starts");
    if stdout {
        drop(child.stdout.take());
    }
    if stderr {
        drop(child.stderr.take());
    }
    child.wait_with_output().expect("coreheat ends")
}

fn dev_full() -> Stdio {
    Stdio::from(File::options().write(true).open("/dev/full").unwrap())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_no_panic(output: &Output, what: &str) {
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_ne!(output.status.code(), Some(101), "{what}: {stderr}");
}

#[test]
fn a_closed_stdout_never_panics_and_keeps_the_exit_code() {
    let scratch = Scratch::new();
    let args = [
        "run",
        "--json",
        "--interval",
        "100ms",
        "hash",
        "--zeros",
        "1",
    ];
    let output = run_with_closed(&mut scratch.command(&args), true, false);
    assert_no_panic(&output, "run --json | head -c 0");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let args = [
        "run",
        "--interval",
        "100ms",
        "exec",
        "--",
        "sh",
        "-c",
        "exit 3",
    ];
    let output = run_with_closed(&mut scratch.command(&args), true, true);
    assert_no_panic(&output, "exec with stdout and stderr closed");
    assert_eq!(output.status.code(), Some(3), "the command's own exit code");

    let output = run_with_closed(&mut scratch.command(&["info"]), true, false);
    assert_no_panic(&output, "info | head -c 0");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_closed_stdout_and_stderr_never_stop_a_sweep() {
    let scratch = Scratch::new();
    let args = [
        "sweep",
        "--workers",
        "1,2",
        "--repeat",
        "1",
        "--interval",
        "100ms",
        "hash",
        "--zeros",
        "2",
    ];
    let output = run_with_closed(&mut scratch.command(&args), true, true);
    assert_no_panic(&output, "sweep with stdout and stderr closed");
    assert_eq!(output.status.code(), Some(0));
    let dirs = scratch.run_dirs();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dirs[0].join("sweep.json")).unwrap()).unwrap();
    assert_eq!(
        json["runs"].as_array().unwrap().len(),
        2,
        "every configuration ran"
    );
}

#[test]
fn a_full_stdout_is_an_error_but_never_a_panic() {
    let scratch = Scratch::new();
    let output = scratch
        .command(&[
            "run",
            "--json",
            "--interval",
            "100ms",
            "hash",
            "--zeros",
            "1",
        ])
        .stdout(dev_full())
        .output()
        .unwrap();
    assert_no_panic(&output, "run --json > /dev/full");
    assert_eq!(output.status.code(), Some(1), "the printed result was lost");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("standard output") && stderr.contains("No space left"),
        "{stderr}"
    );

    let output = scratch
        .command(&[
            "run",
            "--interval",
            "100ms",
            "exec",
            "--",
            "sh",
            "-c",
            "exit 3",
        ])
        .stdout(dev_full())
        .output()
        .unwrap();
    assert_no_panic(&output, "exec > /dev/full");
    assert_eq!(output.status.code(), Some(3), "the command's own exit code");

    // An error message to a full stderr: the exit code still says what happened.
    let output = scratch
        .command(&["render", "no-such-file.jsonl"])
        .stderr(dev_full())
        .output()
        .unwrap();
    assert_no_panic(&output, "render 2> /dev/full");
    assert_eq!(output.status.code(), Some(2));
}

/// The folder names under `root`, sorted.
fn names_in(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[cfg_attr(
    coreheat_missing = "tmpfs",
    ignore = "needs root allowed to mount a tmpfs"
)]
#[test]
fn a_report_that_cannot_be_written_fails_the_run() {
    // Room for the trace of a short idle run, not for report.html and the PNGs.
    let disk = Tmpfs::mount("64k");
    let scratch = Scratch::new();
    let out = disk.path.join("run");
    let output = scratch.run(&[
        "run",
        "--interval",
        "100ms",
        "--out",
        out.to_str().unwrap(),
        "-q",
        "idle",
        "--duration",
        "300ms",
    ]);
    assert_no_panic(&output, "report on a full disk");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("report") && stderr.contains("No space left"),
        "{stderr}"
    );
    let trace = common::read_trace(&out.join("trace.jsonl"));
    assert!(trace.end.is_some(), "the trace is whole and kept");
}

#[cfg_attr(
    coreheat_missing = "tmpfs",
    ignore = "needs root allowed to mount a tmpfs"
)]
#[test]
fn a_run_that_cannot_start_on_a_full_disk_leaves_nothing_behind() {
    let disk = Tmpfs::mount("64k");
    disk.fill();
    let scratch = Scratch::new();
    let out = disk.path.join("new/run");
    let output = scratch.run(&[
        "run",
        "--out",
        out.to_str().unwrap(),
        "hash",
        "--zeros",
        "1",
    ]);
    assert_no_panic(&output, "run on a full disk");
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("No space left"), "{stderr}");
    assert_eq!(
        names_in(&disk.path),
        vec!["filler"],
        "no folder, no trace left"
    );
}

#[cfg_attr(
    coreheat_missing = "ulimit",
    ignore = "needs root and prlimit (util-linux)"
)]
#[test]
fn a_run_without_a_thread_to_spare_leaves_nothing_behind() {
    let scratch = Scratch::new();
    // One process and no thread: the sampler thread cannot start.
    let args = ["run", "--interval", "100ms", "hash", "--zeros", "1"];
    let mut command = with_few_processes(&scratch, 1, &args);
    let output = command.output().unwrap();
    assert_no_panic(&output, "run with ulimit -u 1");
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("thread"), "{stderr}");
    assert!(
        names_in(scratch.path()).is_empty(),
        "no reports folder, no header-only trace: {:?}",
        scratch.run_dirs()
    );
}

#[cfg_attr(
    coreheat_missing = "ulimit",
    ignore = "needs root and prlimit (util-linux)"
)]
#[test]
fn a_worker_process_without_a_thread_to_spare_answers_cleanly() {
    let scratch = Scratch::new();
    // What processes mode starts: the worker is the user's only process.
    let args = ["__worker", "--index", "0"];
    let mut command = with_few_processes(&scratch, 1, &args);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_no_panic(&output, "worker with ulimit -u 1");
    assert_eq!(output.status.code(), Some(1));
    let answer = text(&output.stdout);
    assert!(answer.contains("cannot start a thread"), "{answer}");
    assert!(!text(&output.stderr).contains("RUST_BACKTRACE"));
}

#[cfg_attr(
    coreheat_missing = "ulimit",
    ignore = "needs root and prlimit (util-linux)"
)]
#[test]
fn processes_mode_with_few_processes_fails_cleanly() {
    let mut clean_failures = 0;
    // Enough processes for coreheat and its sampler, not always for a worker
    // process, its reader thread and the worker's own thread.
    for nproc in 2..=6 {
        let scratch = Scratch::new();
        let args = [
            "run",
            "--mode",
            "processes",
            "--workers",
            "1",
            "--interval",
            "100ms",
            "hash",
            "--zeros",
            "1",
        ];
        let mut command = with_few_processes(&scratch, nproc, &args);
        let output = command.output().unwrap();
        assert_no_panic(&output, &format!("processes mode with ulimit -u {nproc}"));
        if !output.status.success() {
            let stderr = text(&output.stderr);
            assert!(
                stderr.contains("Resource temporarily unavailable"),
                "ulimit -u {nproc}: {stderr}"
            );
            clean_failures += 1;
        }
    }
    assert!(clean_failures > 0, "some limit was too low for a run");
}

#[test]
fn quiet_prints_only_errors() {
    let scratch = Scratch::new();
    // Two workers pinned to one CPU: a planning warning, and too short a run.
    let args = [
        "run",
        "-q",
        "--baseline",
        "0",
        "--interval",
        "100ms",
        "--mode",
        "threads",
        "--workers",
        "2",
        "--pin",
        "0,0",
        "count",
        "--n",
        "1000",
    ];
    let output = scratch.command(&args).output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "", "-q: only errors");
    assert_eq!(text(&output.stdout), "");
    // Errors still are.
    let output = scratch
        .command(&["run", "-q", "exec", "--", "/no/such/program"])
        .output()
        .unwrap();
    assert!(text(&output.stderr).contains("command not found"));
}

#[test]
fn messages_name_the_field_the_flag_and_say_a_cause_once() {
    let scratch = Scratch::new();
    let trace = scratch.path().join("nan.jsonl");
    coreheat::synthetic::write_trace(&trace, 2, 3, 1.0).unwrap();
    let cut = std::fs::read_to_string(&trace).unwrap();
    let end = cut.lines().last().unwrap();
    let broken = end.replacen("\"wall_s\":", "\"wall_s\":NaN,\"was\":", 1);
    std::fs::write(&trace, cut.replace(end, &broken)).unwrap();
    let output = scratch
        .command(&["render", "nan.jsonl", "--out", "never"])
        .output()
        .unwrap();
    let said = text(&output.stderr);
    assert!(said.contains("'wall_s' is NaN"), "{said}");
    assert!(!said.contains("expected value"), "{said}");

    let prometheus = ["render", "--prometheus", "http://127.0.0.1:9"];
    for (flag, value, expected) in [
        (
            "--step",
            "1ns",
            "--step 1ns: Prometheus' steps are whole milliseconds",
        ),
        ("--timeout", "0", "--timeout 0:"),
        ("--timeout", "0s", "--timeout 0s:"),
    ] {
        let mut args = prometheus.to_vec();
        args.extend([flag, value]);
        let output = scratch.command(&args).output().unwrap();
        let said = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {said}");
        assert!(said.contains(expected), "{flag} {value}: {said}");
        assert!(
            !said.contains("cannot reach"),
            "refused before any request: {said}"
        );
    }

    let output = scratch
        .command(&["render", "missing.jsonl"])
        .output()
        .unwrap();
    let said = text(&output.stderr);
    assert_eq!(
        said.matches("No such file or directory").count(),
        1,
        "{said}"
    );
    let output = scratch
        .command(&["render", "missing.jsonl", "nan.jsonl", "--out", "never"])
        .output()
        .unwrap();
    let said = text(&output.stderr);
    assert_eq!(
        said.matches("No such file or directory").count(),
        1,
        "{said}"
    );
}
