//! `coreheat run` end to end: the real binary, real threads and processes, the
//! known answers, the trace on disk, the printed blocks and bad input.

mod common;

use std::time::{Duration, Instant};

use common::{KNOWN, Scratch, read_trace};
use coreheat::{EventKind, Status};

const FAST: &[&str] = &["--interval", "100ms"];

fn args<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["run"];
    all.extend_from_slice(head);
    all.extend_from_slice(FAST);
    all.extend_from_slice(tail);
    all
}

#[test]
fn hash_finds_the_known_answers_in_every_mode() {
    let scratch = Scratch::new();
    let configurations: &[&[&str]] = &[
        &["--mode", "serial"],
        &["--mode", "threads", "--workers", "1"],
        &["--mode", "threads", "--workers", "2"],
        &["--mode", "threads", "--workers", "3"],
        &["--mode", "processes", "--workers", "1"],
        &["--mode", "processes", "--workers", "3"],
    ];
    for configuration in configurations {
        for &(zeros, prefix, nonce, digest) in [KNOWN[4], KNOWN[5]].iter() {
            let zeros = zeros.to_string();
            let json = scratch.json(&args(
                configuration,
                &["hash", "--zeros", &zeros, "--prefix", prefix],
            ));
            let result = &json["result"];
            assert_eq!(
                result["nonce"], nonce,
                "{configuration:?} Z={zeros} prefix {prefix:?}"
            );
            assert!(result["digest"].as_str().unwrap().starts_with(digest));
            assert_eq!(result["prefix"], prefix);
            assert!(result["hashes"].as_u64().unwrap() > nonce);
            assert_eq!(json["status"], "ok");
        }
    }
}

#[test]
fn hash_is_right_with_many_more_workers_than_cpus() {
    let scratch = Scratch::new();
    for (mode, workers) in [("threads", "64"), ("processes", "16")] {
        for &(zeros, prefix, nonce, _) in &KNOWN[..4] {
            let zeros = zeros.to_string();
            let json = scratch.json(&args(
                &["--mode", mode, "--workers", workers],
                &["hash", "--zeros", &zeros, "--prefix", prefix],
            ));
            assert_eq!(json["result"]["nonce"], nonce, "{mode} {workers} Z={zeros}");
            assert_eq!(
                json["workers"].as_u64().unwrap(),
                workers.parse::<u64>().unwrap()
            );
        }
    }
}

#[test]
fn every_engine_gives_the_same_answer() {
    let scratch = Scratch::new();
    for engine in ["scalar", "simd", "auto"] {
        let json = scratch.json(&args(
            &["--mode", "serial"],
            &["hash", "--zeros", "5", "--engine", engine],
        ));
        assert_eq!(json["result"]["nonce"], 1839773, "{engine}");
    }
}

#[test]
fn hash_prints_the_seed_line_and_time_block() {
    let scratch = Scratch::new();
    let stdout = scratch.ok(&args(
        &["--mode", "threads", "--workers", "2"],
        &["hash", "--zeros", "5"],
    ));
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next().unwrap(),
        "(5, 1839773, '00000a6e66e4f6b265dd66a431cad21e65d0af4f9a88f83838545248ae2eaf326327b357cdc856ad10e94070afb2e559c4b374667f5bdd58aa5b3bdeec27cf5f')"
    );
    for word in [
        "real\t0m",
        "user\t0m",
        "sys\t0m",
        "saved\treports/",
        "report\treports/",
    ] {
        assert!(stdout.contains(word), "missing {word:?} in\n{stdout}");
    }
}

#[test]
fn count_sums_are_exact_in_every_mode() {
    let scratch = Scratch::new();
    let stdout = scratch.ok(&args(
        &["--mode", "threads", "--workers", "2"],
        &["count", "--n", "2^26"],
    ));
    assert_eq!(
        stdout.lines().next().unwrap(),
        "[2251799780130816, 2251799780130816]"
    );

    let stdout = scratch.ok(&args(
        &["--mode", "processes", "--workers", "2"],
        &["count", "--n", "268435456"],
    ));
    assert_eq!(
        stdout.lines().next().unwrap(),
        "[36028796884746240, 36028796884746240]"
    );

    let stdout = scratch.ok(&args(&["--mode", "serial"], &["count", "--n", "2^28"]));
    assert_eq!(stdout.lines().next().unwrap(), "[36028796884746240]");

    for mode in ["threads", "processes"] {
        let json = scratch.json(&args(
            &["--mode", mode, "--workers", "3"],
            &["count", "--n", "2^28", "--split"],
        ));
        assert_eq!(
            json["result"]["sums"],
            serde_json::json!([36028796884746240u64]),
            "{mode}"
        );
        assert_eq!(json["result"]["split"], true);
        assert_eq!(json["per_worker"].as_array().unwrap().len(), 3);
    }
}

#[test]
fn count_near_the_top_of_u64_is_exact() {
    // 3 workers split 0..2^64 would take forever; one small odd N checks the
    // u128 path end to end instead: sum of 0..999_999_999 = 499999999500000000.
    let scratch = Scratch::new();
    let json = scratch.json(&args(
        &["--mode", "threads", "--workers", "2"],
        &["count", "--n", "1e9", "--split"],
    ));
    assert_eq!(
        json["result"]["sums"],
        serde_json::json!([499999999500000000u64])
    );
}

#[test]
fn idle_records_a_baseline() {
    let scratch = Scratch::new();
    let json = scratch.json(&["run", "--interval", "100ms", "idle", "--duration", "500ms"]);
    assert_eq!(json["workload"], "idle");
    let trace = read_trace(
        std::path::Path::new(scratch.path())
            .join(json["trace"].as_str().unwrap())
            .as_path(),
    );
    assert!(trace.samples.len() >= 6, "{} samples", trace.samples.len());
    let (_, end) = trace.end.unwrap();
    assert_eq!(end.status, Status::Ok);
    assert!(end.wall_s >= 0.5);
}

#[test]
fn the_trace_holds_header_samples_events_and_end() {
    let scratch = Scratch::new();
    let json = scratch.json(&args(
        &["--mode", "threads", "--workers", "2", "--title", "my run"],
        &["count", "--n", "2^30"],
    ));
    let trace_path = scratch.path().join(json["trace"].as_str().unwrap());
    let first_line = std::fs::read_to_string(&trace_path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        first_line.starts_with(r#"{"format":"coreheat-trace","version":2,"meta":{"#),
        "{first_line}"
    );

    let trace = read_trace(&trace_path);
    let meta = &trace.header.meta;
    assert!(meta.tool.starts_with("coreheat "));
    assert_eq!(meta.cpus.len(), meta.logical_cpus);
    assert_eq!(meta.interval_s, 0.1);
    assert_eq!(meta.title.as_deref(), Some("my run"));
    let workload = serde_json::to_value(&meta.workload).unwrap();
    assert_eq!(workload["kind"], "count");
    assert!(
        meta.command
            .starts_with("coreheat run --mode threads --workers 2")
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(&meta.start).is_ok(),
        "{}",
        meta.start
    );

    let start = trace
        .events
        .iter()
        .find(|e| e.event == EventKind::WorkloadStart)
        .unwrap()
        .t;
    let end = trace
        .events
        .iter()
        .find(|e| e.event == EventKind::WorkloadEnd)
        .unwrap()
        .t;
    let times: Vec<f64> = trace.samples.iter().map(|s| s.t).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(
        times[0] <= start + 1e-9,
        "a sample before the workload: {times:?} start {start}"
    );
    assert!(
        *times.last().unwrap() >= end + 0.09,
        "a sample a full interval after the end"
    );
    for sample in &trace.samples {
        assert_eq!(sample.cpus.len(), meta.cpus.len());
        for load in &sample.cpus {
            let total = load.usr
                + load.nice
                + load.sys
                + load.idle
                + load.iowait
                + load.irq
                + load.softirq
                + load.steal;
            assert!(total == 0.0 || (total - 100.0).abs() < 0.1, "{load:?}");
        }
    }
    let busiest = trace
        .samples
        .iter()
        .map(|s| s.cpus.iter().map(|c| c.busy()).sum::<f64>())
        .fold(0.0, f64::max);
    // Two busy workers fill two CPUs, or the one CPU of a single-core machine
    // (or of a run restricted to one CPU, as under `taskset -c 0`).
    let usable = coreheat::util::os::current_affinity()
        .map_or(1, |c| c.len())
        .min(meta.cpus.len());
    let expected = if usable >= 2 { 100.0 } else { 50.0 };
    assert!(
        busiest > expected,
        "two busy workers should show: {busiest}"
    );
    let (_, end_line) = trace.end.unwrap();
    assert_eq!(end_line.status, Status::Ok);
    assert!(end_line.user_s > 0.0);
    assert!(end_line.result.is_some());
}

#[test]
fn json_has_every_field_of_the_contract() {
    let scratch = Scratch::new();
    let json = scratch.json(&args(
        &["--mode", "processes", "--workers", "2"],
        &["hash", "--zeros", "4"],
    ));
    for key in [
        "workload", "mode", "workers", "result", "wall_s", "user_s", "sys_s", "samples", "report",
        "trace",
    ] {
        assert!(!json[key].is_null(), "missing {key} in {json}");
    }
    for key in [
        "zeros",
        "prefix",
        "nonce",
        "digest",
        "hashes",
        "hashes_per_s",
    ] {
        assert!(
            !json["result"][key].is_null(),
            "missing result.{key} in {json}"
        );
    }
    assert_eq!(json["workload"], "hash");
    assert_eq!(json["mode"], "processes");
    let report = scratch.path().join(json["report"].as_str().unwrap());
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("<title>coreheat · hash, 2 processes"),
        "the title's plural"
    );
    assert!(!html.contains("processs"));
}

#[test]
fn run_folders_are_new_and_never_reused() {
    let scratch = Scratch::new();
    scratch.ok(&args(&["-q"], &["hash", "--zeros", "2"]));
    scratch.ok(&args(&["-q"], &["hash", "--zeros", "2"]));
    let dirs = scratch.run_dirs();
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.contains("-hash-z2-threads-"), "{name}");
        assert!(dir.join("trace.jsonl").is_file());
    }
}

#[test]
fn out_folder_with_a_trace_is_never_overwritten() {
    let scratch = Scratch::new();
    let out = scratch.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("trace.jsonl"), "precious").unwrap();
    let output = scratch.run(&["run", "--out", "mine", "hash", "--zeros", "1"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--out") && stderr.contains("never overwrites"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("trace.jsonl")).unwrap(),
        "precious"
    );

    scratch.ok(&[
        "run",
        "--out",
        "fresh/run1",
        "--interval",
        "100ms",
        "-q",
        "hash",
        "--zeros",
        "1",
    ]);
    assert!(scratch.path().join("fresh/run1/trace.jsonl").is_file());
    assert!(scratch.path().join("fresh/run1/report.html").is_file());
}

/// Starts `n` coreheat runs at the same moment, waits for all of them.
fn at_once(scratch: &Scratch, n: usize, args: &[&str]) -> Vec<std::process::Output> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            scratch
                .command(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("coreheat starts")
        })
        .collect();
    children
        .into_iter()
        .map(|child| child.wait_with_output().expect("coreheat ends"))
        .collect()
}

#[test]
fn concurrent_runs_with_one_out_never_delete_each_others_files() {
    for round in 0..3 {
        let scratch = Scratch::new();
        let out = format!("shared{round}/run");
        let outputs = at_once(
            &scratch,
            6,
            &[
                "run",
                "--out",
                &out,
                "--interval",
                "100ms",
                "--baseline",
                "0",
                "idle",
                "--duration",
                "600ms",
            ],
        );
        let (won, lost): (Vec<_>, Vec<_>) = outputs.iter().partition(|o| o.status.success());
        assert_eq!(
            won.len(),
            1,
            "exactly one run takes the folder: {outputs:?}"
        );
        for refused in &lost {
            let stderr = String::from_utf8_lossy(&refused.stderr);
            assert!(
                stderr.contains("--out") && stderr.lines().count() == 1,
                "a refused run says why in one line: {stderr}"
            );
        }
        let dir = scratch.path().join(&out);
        let trace = read_trace(&dir.join("trace.jsonl"));
        assert!(trace.end.is_some(), "the winner's trace is whole");
        assert!(dir.join("report.html").is_file(), "its report is there");
        let stderr = String::from_utf8_lossy(&won[0].stderr);
        assert!(
            !stderr.contains("error"),
            "the winner drew its report: {stderr}"
        );
    }
    // Without --out every run gets its own folder, even under a new root.
    let scratch = Scratch::new();
    let outputs = at_once(
        &scratch,
        4,
        &[
            "run",
            "-q",
            "--baseline",
            "0",
            "--interval",
            "100ms",
            "idle",
            "--duration",
            "300ms",
        ],
    );
    assert!(outputs.iter().all(|o| o.status.success()), "{outputs:?}");
    let dirs = scratch.run_dirs();
    assert_eq!(dirs.len(), 4, "{dirs:?}");
    for dir in dirs {
        read_trace(&dir.join("trace.jsonl"));
    }
}

#[test]
fn quiet_prints_nothing() {
    let scratch = Scratch::new();
    let stdout = scratch.ok(&args(&["--quiet"], &["hash", "--zeros", "2"]));
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn bad_input_is_one_clear_line_before_anything_runs() {
    let scratch = Scratch::new();
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--workers", "0", "hash"], "--workers"),
        (&["run", "hash", "--zeros", "129"], "--zeros"),
        (&["run", "hash", "--zeros", "-1"], "--zeros"),
        (&["run", "count", "--n", "0"], "--n"),
        (&["run", "count", "--n", "2^64+1"], "--n"),
        (&["run", "count", "--n", "18446744073709551617"], "--n"),
        (&["run", "idle", "--duration", "ten"], "--duration"),
        (&["run", "--interval", "50ms", "idle"], "--interval"),
        (&["run", "--interval", "2h", "idle"], "--interval"),
        (&["run", "--mode", "fibers", "hash"], "--mode"),
        (
            &["run", "--mode", "serial", "--workers", "2", "hash"],
            "--workers",
        ),
        (&["run", "--pin", "0-999", "hash"], "--pin"),
        (&["run", "--pin", "sideways", "hash"], "--pin"),
        (&["run", "hash", "--engine", "gpu"], "--engine"),
        (&["run", "--workers", "many", "hash"], "--workers"),
        (&["run", "--workers", "5000", "hash"], "--workers"),
        (&["run", "hash", "--zeros", "1.5"], "--zeros"),
        (&["run", "--interval", "", "idle"], "--interval"),
        (&["run", "idle", "--duration", "0s"], "--duration"),
        (&["run", "count", "--n", "-3"], "--n"),
        (&["run", "count", "--n", "2^"], "--n"),
        (&["run", "--mode", "processes", "idle"], "--mode"),
        (&["run", "--pin", "0", "idle"], "--pin"),
        (&["sweep", "--repeat", "0", "hash"], "--repeat"),
        (&["sweep", "--repeat", "101", "hash"], "--repeat"),
        (&["sweep", "--modes", "threads,fibers", "hash"], "--modes"),
        (&["sweep", "--pins", "spread,sideways", "hash"], "--pins"),
        (&["render", "--format", "xml", "x.csv"], "--format"),
        (&["render", "no-such-file.jsonl"], "no-such-file.jsonl"),
    ];
    for (argv, flag) in cases {
        let output = scratch.run(argv);
        assert!(!output.status.success(), "{argv:?} should fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{argv:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{argv:?}: {stderr}");
    }
    assert!(
        scratch.run_dirs().is_empty(),
        "nothing ran, so no run folder"
    );
}

#[test]
fn worker_processes_end_when_coreheat_is_killed() {
    let scratch = Scratch::new();
    let mut child = scratch
        .command(&[
            "run",
            "--mode",
            "processes",
            "--workers",
            "2",
            "-q",
            "count",
            "--n",
            "2^40",
        ])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let workers = loop {
        let workers = common::children(child.id());
        if workers.len() == 2 || Instant::now() > deadline {
            break workers;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(workers.len(), 2, "two worker processes started");
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while workers.iter().any(|&w| common::alive(w)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let orphans: Vec<u32> = workers
        .iter()
        .copied()
        .filter(|&w| common::alive(w))
        .collect();
    for &pid in &orphans {
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
    }
    assert!(orphans.is_empty(), "workers outlived coreheat: {orphans:?}");
}

#[test]
fn out_folder_with_any_output_name_is_never_touched() {
    let scratch = Scratch::new();
    let pngs = scratch.path().join("pngs");
    std::fs::create_dir(&pngs).unwrap();
    std::fs::write(pngs.join("cores.png"), "mine").unwrap();
    let links = scratch.path().join("links");
    std::fs::create_dir(&links).unwrap();
    std::os::unix::fs::symlink("gone.html", links.join("report.html")).unwrap();
    for (folder, name) in [("pngs", "cores.png"), ("links", "report.html")] {
        let output = scratch.run(&args(&["--out", folder], &["hash", "--zeros", "1"]));
        assert!(!output.status.success(), "--out {folder}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("already holds {name}"))
                && stderr.contains("never overwrites"),
            "{stderr}"
        );
        assert!(
            !scratch.path().join(folder).join("trace.jsonl").exists(),
            "nothing ran"
        );
    }
    assert_eq!(
        std::fs::read_to_string(pngs.join("cores.png")).unwrap(),
        "mine"
    );
    assert!(
        std::fs::symlink_metadata(links.join("report.html"))
            .unwrap()
            .is_symlink()
    );
}

#[test]
fn negative_and_huge_values_say_what_is_wrong() {
    let scratch = Scratch::new();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["run", "--workers", "-1", "hash"],
            &["--workers", "must be positive"],
        ),
        (
            &["run", "--interval", "-1s", "idle"],
            &["--interval", "must be positive"],
        ),
        (
            &["run", "idle", "--duration", "-1s"],
            &["--duration", "must be positive"],
        ),
        (
            &["run", "--pin", "-1", "hash"],
            &["--pin", "cannot be negative"],
        ),
        (
            &["sweep", "--workers", "-1", "hash"],
            &["--workers", "must be positive"],
        ),
        (
            &["run", "--workers", "99999999999999999999999", "hash"],
            &["--workers", "out of range"],
        ),
        (
            &["run", "hash", "--zeros", "99999999999"],
            &["--zeros", "out of range"],
        ),
        (
            &[
                "run",
                "count",
                "--n",
                "999999999999999999999999999999999999999999",
            ],
            &["--n", "out of range"],
        ),
        (
            &["run", "idle", "--duration", "1e400"],
            &["--duration", "out of range"],
        ),
        (&["run", "--pin", "", "hash"], &["--pin", "empty"]),
    ];
    for (argv, wanted) in cases {
        let output = scratch.run(argv);
        assert!(!output.status.success(), "{argv:?} should fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        for text in *wanted {
            assert!(stderr.contains(text), "{argv:?}: {stderr}");
        }
        assert!(
            !stderr.contains("unexpected argument"),
            "{argv:?}: {stderr}"
        );
        assert!(!stderr.contains("not a whole number"), "{argv:?}: {stderr}");
    }
    assert!(scratch.run_dirs().is_empty());
}

#[test]
fn workers_sharing_one_cpu_are_warned_about() {
    let scratch = Scratch::new();
    for pin in ["0", "0,0"] {
        let output = scratch.run(&args(
            &["--pin", pin, "--workers", "2", "--json"],
            &["hash", "--zeros", "1"],
        ));
        assert!(output.status.success(), "--pin {pin}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("warning")
                && stderr.contains("2 workers on 1 CPU")
                && stderr.contains("CPU 0: workers 0, 1"),
            "--pin {pin}: {stderr}"
        );
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let trace = read_trace(&scratch.path().join(json["trace"].as_str().unwrap()));
        assert!(
            common::has_note(&trace, "take turns"),
            "the report says it too: {:?}",
            trace.header.meta.notes
        );
    }
}

#[test]
fn exec_of_a_directory_says_so() {
    let scratch = Scratch::new();
    let output = scratch.run(&["run", "exec", "--", "/tmp"]);
    assert_eq!(output.status.code(), Some(126));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/tmp is a directory"), "{stderr}");
    assert!(scratch.run_dirs().is_empty());
}

#[test]
fn exec_leaves_stdout_to_the_command_and_says_a_failure_once() {
    let scratch = Scratch::new();
    let exec = |command: &str| {
        scratch.run(&[
            "run",
            "--interval",
            "100ms",
            "exec",
            "--",
            "sh",
            "-c",
            command,
        ])
    };
    // `coreheat run exec -- make > log`: the log holds make's output only.
    let output = exec("echo only-this; exit 3");
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "only-this\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for word in ["real\t0m", "user\t0m", "sys\t0m", "saved\t", "report\t"] {
        assert!(stderr.contains(word), "missing {word:?} in\n{stderr}");
    }
    let failure_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("status 3") || l.contains("code 3"))
        .collect();
    assert_eq!(
        failure_lines,
        ["command exited with status 3"],
        "the failure is said once:\n{stderr}"
    );

    let output = exec("echo fine");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "fine\n");
    assert!(String::from_utf8_lossy(&output.stderr).contains("command exited with status 0"));

    // --json is stdout's alone: the command's own output goes to stderr.
    let output = scratch.run(&[
        "run",
        "--json",
        "--interval",
        "100ms",
        "exec",
        "--",
        "echo",
        "first",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["result"]["exit_code"], 0);
    assert!(String::from_utf8_lossy(&output.stderr).starts_with("first\n"));
}

#[test]
fn a_hash_search_of_days_is_refused_and_one_of_minutes_says_how_long() {
    let scratch = Scratch::new();
    let output = scratch.run(&["run", "hash", "--zeros", "99"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--zeros 99 needs about 16^99 = 1.6e119 hashes; at the ")
            && stderr.contains("years; use fewer zeros")
            && stderr.contains("--allow-long"),
        "{stderr}"
    );
    assert!(!scratch.path().join("reports").exists(), "nothing ran");

    // 16^9 hashes on one worker: minutes at any speed this machine has.
    use std::io::BufRead;
    let mut child = scratch
        .command(&["run", "--mode", "serial", "hash", "--zeros", "9"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let note = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|line| line.contains("--zeros 9 needs"))
        .expect("the expected time is said");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    lines.for_each(drop);
    child.wait().unwrap();
    assert!(
        note.starts_with("coreheat: note: --zeros 9 needs about 16^9 = 6.9e10 hashes; at the ")
            && note.contains("measured here on 1 worker that is about ")
            && note.contains("Ctrl-C stops it"),
        "{note}"
    );
}
