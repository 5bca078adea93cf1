//! `coreheat run exec -- CMD`: pass-through of stdin/stdout/stderr, exit codes
//! (128+signal when killed), CPU time of the whole process tree, pinning, and the
//! errors.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::Scratch;

const FAST: [&str; 3] = ["run", "--interval", "100ms"];

fn exec_args<'a>(extra: &[&'a str], command: &[&'a str]) -> Vec<&'a str> {
    let mut all: Vec<&str> = FAST.to_vec();
    all.extend_from_slice(extra);
    all.push("exec");
    all.push("--");
    all.extend_from_slice(command);
    all
}

#[test]
fn output_passes_through_and_the_exit_code_is_the_commands() {
    let scratch = Scratch::new();
    let output = scratch.run(&exec_args(
        &[],
        &["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"],
    ));
    assert_eq!(output.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.starts_with("to-stdout\n"), "{stdout}");
    assert!(stderr.contains("to-stderr"), "{stderr}");
    assert!(stderr.contains("command exited with status 3"), "{stderr}");
    let dirs = scratch.run_dirs();
    assert_eq!(dirs.len(), 1);
    let trace = common::read_trace(&dirs[0].join("trace.jsonl"));
    let (_, end) = trace.end.unwrap();
    assert_eq!(end.status, coreheat::Status::Failed);
    assert!(dirs[0].join("report.html").is_file());
}

#[test]
fn under_json_the_commands_output_goes_to_stderr_and_stdout_is_one_json_object() {
    let scratch = Scratch::new();
    let output = scratch.run(&exec_args(
        &["--json"],
        &["sh", "-c", "echo to-stdout; echo to-stderr >&2"],
    ));
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is the JSON object alone");
    assert_eq!(json["status"], "ok");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("to-stdout"), "{stderr}");
    assert!(stderr.contains("to-stderr"), "{stderr}");
}

#[test]
fn stdin_passes_through() {
    let scratch = Scratch::new();
    let mut child = scratch
        .command(&exec_args(&["-q"], &["cat"]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hello through coreheat\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "hello through coreheat\n"
    );
}

#[test]
fn a_command_killed_by_a_signal_exits_128_plus_the_signal() {
    let scratch = Scratch::new();
    let output = scratch.run(&exec_args(&["-q"], &["sh", "-c", "kill -TERM $$"]));
    assert_eq!(output.status.code(), Some(143));
    let output = scratch.run(&exec_args(&["--json"], &["sh", "-c", "kill -KILL $$"]));
    assert_eq!(output.status.code(), Some(137));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["result"]["exit_code"], 137);
    assert_eq!(json["result"]["signal"], 9);
}

#[test]
fn cpu_time_covers_the_whole_process_tree() {
    let scratch = Scratch::new();
    // The work happens in a grandchild: sh → sh → busy loop.
    let stdout = scratch.ok(&exec_args(
        &["--json"],
        &[
            "sh",
            "-c",
            "sh -c 'i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done'; true",
        ],
    ));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["result"]["exit_code"], 0);
    assert!(json["user_s"].as_f64().unwrap() > 0.05, "{json}");
    assert_eq!(json["workload"], "exec");
    assert!(json["mode"].is_null());
    let trace = common::read_trace(&scratch.path().join(json["trace"].as_str().unwrap()));
    let workload = serde_json::to_value(&trace.header.meta.workload).unwrap();
    assert_eq!(workload["argv"][0], "sh");
    assert!(
        trace.header.meta.command.contains("exec -- sh -c"),
        "{}",
        trace.header.meta.command
    );
}

#[test]
fn pin_restricts_the_command_to_a_cpu_list() {
    let scratch = Scratch::new();
    let output = scratch.run(&exec_args(
        &["--pin", "0", "-q"],
        &["grep", "Cpus_allowed_list", "/proc/self/status"],
    ));
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.split_whitespace().last(), Some("0"), "{stdout}");
}

#[test]
fn a_missing_command_is_exit_127_before_anything_runs() {
    let scratch = Scratch::new();
    let output = scratch.run(&exec_args(&[], &["no-such-command-coreheat"]));
    assert_eq!(output.status.code(), Some(127));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("command not found: 'no-such-command-coreheat'"),
        "{stderr}"
    );
    assert!(scratch.run_dirs().is_empty());
}

#[test]
fn worker_options_make_no_sense_for_exec() {
    let scratch = Scratch::new();
    for (extra, flag) in [
        (&["--mode", "threads"][..], "--mode"),
        (&["--workers", "2"][..], "--workers"),
    ] {
        let output = scratch.run(&exec_args(extra, &["true"]));
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains("no sense for exec"),
            "{stderr}"
        );
    }
    assert!(scratch.run_dirs().is_empty());
}

#[test]
fn huge_arguments_still_make_a_trace_that_reads_and_a_report() {
    let scratch = Scratch::new();
    // 5 × 130 KB of a control character: JSON writes each as six bytes.
    let huge = "\u{1}".repeat(130_000);
    let mut args = vec![
        "run",
        "--baseline",
        "0",
        "--interval",
        "100ms",
        "--out",
        "big",
        "exec",
        "--",
        "true",
    ];
    args.extend(std::iter::repeat_n(huge.as_str(), 5));
    let output = scratch.run(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert!(scratch.path().join("big/report.html").is_file());
    let trace = common::read_trace(&scratch.path().join("big/trace.jsonl"));
    assert!(
        common::has_note(&trace, "texts are cut"),
        "{:?}",
        trace.header.meta.notes
    );
    scratch.ok(&["render", "big/trace.jsonl", "--out", "again"]);
}

#[test]
fn exec_help_lists_only_the_flags_exec_takes_and_says_where_they_go() {
    let scratch = Scratch::new();
    let help = scratch.ok(&["run", "exec", "--help"]);
    let man = scratch.ok(&["man", "run", "exec"]);
    for text in [&help, &man] {
        assert!(
            !text.contains("--mode") && !text.contains("\\-\\-mode"),
            "{text}"
        );
        assert!(
            !text.contains("--workers") && !text.contains("\\-\\-workers"),
            "{text}"
        );
        assert!(text.contains("pin"), "exec takes --pin: {text}");
    }
    assert!(help.contains("coreheat's own flags go before the command"));
    let idle = scratch.ok(&["run", "idle", "--help"]);
    assert!(
        !idle.contains("--pin") && !idle.contains("--mode"),
        "{idle}"
    );
    // Hidden from help, still refused with a reason.
    let output = scratch.run(&["run", "exec", "--workers", "2", "--", "true"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no sense for exec"));
}

#[test]
fn a_coreheat_flag_after_the_command_is_warned_about_unless_after_a_double_dash() {
    let scratch = Scratch::new();
    let output = scratch.run(&[
        "run",
        "-q",
        "--interval",
        "100ms",
        "exec",
        "sh",
        "-c",
        "exit 0",
        "--out",
        "mine",
    ]);
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "coreheat: warning: --out comes after the command, so it is the command's argument"
        ),
        "{stderr}"
    );
    assert!(!scratch.path().join("mine").exists(), "the flag went to sh");
    let output = scratch.run(&[
        "run",
        "-q",
        "--interval",
        "100ms",
        "exec",
        "--",
        "sh",
        "-c",
        "exit 0",
        "--out",
        "mine",
    ]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("comes after the command"), "{stderr}");
}
