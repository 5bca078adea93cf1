//! `coreheat sweep`: a run folder per configuration, the comparison report,
//! speedup.png, writeup.md, repeats and medians, both kinds of scaling, and an
//! interrupted sweep that keeps what finished.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::Scratch;

/// The words of a command line without quoting.
fn words(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

fn sweep_dir(scratch: &Scratch, json: &serde_json::Value) -> PathBuf {
    scratch.path().join(json["dir"].as_str().unwrap())
}

#[test]
fn threads_against_processes() {
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "sweep",
        "--interval",
        "100ms",
        "--workers",
        "1,2",
        "--repeat",
        "1",
        "--modes",
        "threads,processes",
        "hash",
        "--zeros",
        "5",
    ]);
    let dir = sweep_dir(&scratch, &json);
    for run in [
        "01-threads-1w",
        "02-threads-2w",
        "03-processes-1w",
        "04-processes-2w",
    ] {
        for file in ["trace.jsonl", "report.html", "heatmap.png", "cores.png"] {
            assert!(dir.join(run).join(file).is_file(), "{run}/{file}");
        }
    }
    for file in ["report.html", "speedup.png", "writeup.md", "sweep.json"] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    let configurations = json["configurations"].as_array().unwrap();
    assert_eq!(configurations.len(), 4);
    for c in configurations {
        assert!(c["speedup"]["value"].as_f64().unwrap() > 0.0);
        assert!(c["efficiency"]["value"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(
        configurations[0]["speedup"]["value"], 1.0,
        "a 1-worker run is its own base"
    );
    assert_eq!(json["scaling"], "strong");
    for run in json["runs"].as_array().unwrap() {
        assert!(
            run["result"]
                .as_str()
                .unwrap()
                .starts_with("(5, 1839773, '00000a6e"),
            "{run}"
        );
    }

    let writeup = std::fs::read_to_string(dir.join("writeup.md")).unwrap();
    for text in [
        "## threads, 1 worker",
        "## processes, 2 workers",
        "```console\n$ coreheat run --mode threads --workers 2",
        "(5, 1839773, '00000a6e",
        "real\t0m",
        "![threads, 2 workers](02-threads-2w/heatmap.png)",
        "![speedup against workers](speedup.png)",
        "| configuration | CPUs | runs | wall | median | min–max | user | sys | CPUs in use | speedup | efficiency |",
        "## What it shows",
        "Strong scaling",
    ] {
        assert!(
            writeup.contains(text),
            "writeup.md lacks {text:?}:\n{writeup}"
        );
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Heat maps side by side"));
    assert_eq!(html.matches(r#"<div class="mini">"#).count(), 4);
    assert!(html.contains(r#"href="02-threads-2w/report.html""#));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(dir.join("speedup.png")).unwrap(),
    ));
    let reader = decoder.read_info().unwrap();
    assert_eq!(
        (reader.info().width, reader.info().height),
        (2400, 1440),
        "1200 × 720 points at 2 pixels each"
    );
    assert!(html.contains(r#"<svg class="chart" viewBox="0 0 1200 720""#));
    assert!(!html.contains("<img"), "the speedup chart is inline SVG");
}

#[test]
fn repeats_take_the_median_and_count_is_weak_scaling() {
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "sweep",
        "--interval",
        "100ms",
        "--workers",
        "1,2",
        "--repeat",
        "3",
        "count",
        "--n",
        "2^26",
    ]);
    let dir = sweep_dir(&scratch, &json);
    assert_eq!(json["runs"].as_array().unwrap().len(), 6);
    assert!(dir.join("02-threads-2w-r3/trace.jsonl").is_file());
    assert_eq!(json["scaling"], "weak");
    let configurations = json["configurations"].as_array().unwrap();
    assert_eq!(configurations[1]["runs"], 3);
    let walls: Vec<f64> = json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["configuration"] == "threads, 2 workers")
        .map(|r| r["wall_s"].as_f64().unwrap())
        .collect();
    let mut sorted = walls.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(
        configurations[1]["wall_s"]["median"].as_f64().unwrap(),
        sorted[1],
        "median of {walls:?}"
    );
    let writeup = std::fs::read_to_string(dir.join("writeup.md")).unwrap();
    assert!(
        writeup.contains("Weak scaling") && writeup.contains("3 runs: wall"),
        "{writeup}"
    );

    let json = scratch.json(&[
        "sweep",
        "--interval",
        "100ms",
        "--workers",
        "1,2",
        "count",
        "--n",
        "2^26",
        "--split",
    ]);
    assert_eq!(json["scaling"], "strong");
}

#[test]
fn equal_pinnings_run_once_and_the_writeup_says_why() {
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "sweep",
        "--interval",
        "100ms",
        "--baseline",
        "0",
        "--workers",
        "1",
        "--repeat",
        "1",
        "--pins",
        "none,spread,compact",
        "hash",
        "--zeros",
        "3",
    ]);
    let configurations = json["configurations"].as_array().unwrap();
    let labels: Vec<&str> = configurations
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    // The spread run is compact's point too (a point of both series).
    assert_eq!(
        labels,
        vec!["threads-1w", "threads-1w-spread", "threads-1w-compact"]
    );
    assert_eq!(configurations[1]["cpus"], serde_json::json!([0]));
    assert_eq!(configurations[1]["pinned"], true);
    assert_eq!(configurations[1]["same_as"], serde_json::json!(["compact"]));
    assert_eq!(configurations[1]["shared_with"], serde_json::Value::Null);
    assert_eq!(configurations[2]["shared_with"], "spread");
    assert_eq!(configurations[2]["dir"], configurations[1]["dir"]);
    assert!(
        !configurations[0]["cpus"].as_array().unwrap().is_empty(),
        "unpinned: the allowed CPUs"
    );
    assert_eq!(
        json["runs"].as_array().unwrap().len(),
        2,
        "compact did not run"
    );
    let dir = sweep_dir(&scratch, &json);
    let trace = common::read_trace(&dir.join("02-threads-1w-spread/trace.jsonl"));
    assert_eq!(trace.header.meta.pin.as_deref(), Some("spread"));
    let writeup = std::fs::read_to_string(dir.join("writeup.md")).unwrap();
    assert!(
        writeup.contains("compact and spread are the same on this machine with 1 worker (no SMT siblings): run once"),
        "{writeup}"
    );
    assert!(
        writeup.contains("CPU 0 (pinned); also pin compact: the same CPUs, not run again"),
        "{writeup}"
    );
    assert!(!writeup.contains("was fastest"), "{writeup}");
    assert!(
        writeup.contains("| same CPUs as spread: shared run"),
        "the table marks the shared run: {writeup}"
    );
}

#[test]
fn sweep_json_carries_the_statistics_and_findings() {
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "sweep",
        "--interval",
        "100ms",
        "--baseline",
        "0",
        "--workers",
        "1,2",
        "--out",
        "sw",
        "count",
        "--n",
        "2^22",
    ]);
    let dir = scratch.path().join("sw");
    let sweep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(
        json["runs"].as_array().unwrap().len(),
        6,
        "--repeat defaults to 3"
    );
    for c in sweep["configurations"].as_array().unwrap() {
        let wall = &c["wall_s"];
        for key in ["mean", "stddev", "median", "min", "max"] {
            assert!(wall[key].is_f64(), "wall_s.{key} in {c}");
        }
        assert_eq!(wall["runs"], 3);
        assert!(wall["min"].as_f64() <= wall["median"].as_f64());
        assert!(wall["median"].as_f64() <= wall["max"].as_f64());
        assert!(
            c["speedup"]["value"].is_f64() && c["speedup"]["stddev"].is_f64(),
            "{c}"
        );
        assert!(c["efficiency"]["value"].is_f64(), "{c}");
        assert!(c["cpus"].as_array().is_some_and(|l| !l.is_empty()), "{c}");
        assert!(c["warnings"].is_array(), "{c}");
    }
    let findings = sweep["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert!(f["code"].is_string() && f["message"].is_string(), "{f}");
    }
    // Runs of 2^22 at 100 ms have too few samples: marked and kept out of the fit.
    let codes: Vec<&str> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"too-short") && codes.contains(&"no-fit"),
        "{codes:?}"
    );
    // Each run's warnings as its report gives them: a code and what to do.
    let run_warnings = sweep["runs"][0]["warnings"].as_array().unwrap();
    let short = run_warnings
        .iter()
        .find(|w| w["code"] == "too-short")
        .unwrap_or_else(|| panic!("{run_warnings:?}"));
    assert!(
        short["message"]
            .as_str()
            .unwrap()
            .contains("inside the workload"),
        "{short}"
    );
}

#[test]
fn the_writeup_reads_as_typed() {
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "sweep",
        "--interval",
        "100ms",
        "--baseline",
        "0",
        "--workers",
        "1",
        "--title",
        "mine",
        "count",
        "--n",
        "2^22",
    ]);
    let writeup = std::fs::read_to_string(sweep_dir(&scratch, &json).join("writeup.md")).unwrap();
    // Runs measure this machine whatever COREHEAT_SYSFS_CPU says, so the
    // machine line states its counts (the singular of a one-CPU machine is
    // checked in report::writeup's unit tests).
    let counts = coreheat::machine::topology::Topology::detect().describe_counts();
    assert!(
        writeup.contains(&format!("{counts},")),
        "plurals: {writeup}"
    );
    assert!(writeup.contains("count --n 2^22"), "{writeup}");
    assert!(!writeup.contains("4194304"), "{writeup}");
    assert!(!writeup.contains("--title"), "{writeup}");
    assert!(!writeup.contains("nothing to compare"), "{writeup}");
    let result = json["runs"][0]["result"].as_str().unwrap();
    assert_eq!(
        writeup.matches(result).count(),
        1,
        "the result once: {writeup}"
    );
    // sweep.json's command repeats the run as typed: no title, 2^22.
    assert_eq!(
        json["runs"][0]["command"],
        "coreheat run --mode threads --workers 1 --interval 100ms --baseline 0ms count --n 2^22"
    );
}

/// One run per configuration: its noise is unknown, so nothing carries a
/// "± 0.00"; the terminal's table has the median, user, sys and CPUs in use,
/// and marks a run too short to measure.
#[test]
fn one_run_per_configuration_shows_no_deviation() {
    let scratch = Scratch::new();
    let stdout = scratch.ok(&words(
        "sweep --interval 1s --baseline 0 --workers 1,2 --repeat 1 --out sw hash --zeros 4",
    ));
    let header = stdout.lines().next().unwrap();
    for column in ["median", "user s", "sys s", "CPUs in use", "marks"] {
        assert!(header.contains(column), "{column}: {stdout}");
    }
    let rows: Vec<&str> = stdout.lines().skip(1).take(2).collect();
    for row in &rows {
        assert!(row.starts_with("threads, "), "{stdout}");
        assert!(!row.contains('±'), "{stdout}");
        assert!(
            row.ends_with("too-short") || row.contains("too-short,"),
            "{stdout}"
        );
    }
    assert!(stdout.contains("One run per configuration: the noise is unknown"));
    let dir = scratch.path().join("sw");
    let writeup = std::fs::read_to_string(dir.join("writeup.md")).unwrap();
    assert!(!writeup.contains('±'), "{writeup}");
    assert!(writeup.contains("Median run (01-threads-1w):"), "{writeup}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("± 0.0"), "{html}");
    let sweep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    let two = &sweep["configurations"][1];
    assert!(two["wall_s"]["stddev"].is_null(), "{two}");
    assert!(two["speedup"]["stddev"].is_null(), "{two}");
    assert!(two["speedup"]["value"].is_number(), "{two}");

    // A single run: no "every run gave the same result" over one run.
    scratch.ok(&words(
        "sweep --interval 100ms --baseline 0 --workers 1 --repeat 1 --out one -q hash --zeros 2",
    ));
    let writeup = std::fs::read_to_string(scratch.path().join("one/writeup.md")).unwrap();
    assert!(
        !writeup.contains("Every run gave the same result"),
        "{writeup}"
    );
    assert!(writeup.contains("(2, 61, '00819bedf0933e1d"), "{writeup}");
}

#[test]
fn bad_sweeps_fail_before_anything_runs() {
    let scratch = Scratch::new();
    for (args, text) in [
        (vec!["sweep", "idle"], "no workers"),
        (
            vec!["sweep", "--workers", "2", "--modes", "serial", "hash"],
            "nothing to run",
        ),
        (vec!["sweep", "--workers", "1,0", "hash"], "--workers"),
        (vec!["sweep", "--pins", "0-9999", "hash"], "--pin"),
    ] {
        let output = scratch.run(&args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(text), "{args:?}: {stderr}");
    }
    assert!(scratch.run_dirs().is_empty());
}

#[test]
fn an_interrupted_sweep_compares_the_runs_that_finished() {
    let scratch = Scratch::new();
    let child = scratch
        .command(&[
            "sweep",
            "--interval",
            "100ms",
            "--workers",
            "1",
            "--repeat",
            "4",
            "--out",
            "sw",
            "-q",
            "count",
            "--n",
            "2^31",
        ])
        .spawn()
        .unwrap();
    let first = scratch.path().join("sw/01-threads-1w-r1/report.html");
    let second = scratch.path().join("sw/01-threads-1w-r2/trace.jsonl");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(first.is_file() && second.is_file()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(first.is_file(), "the first run finished");
    std::thread::sleep(Duration::from_millis(150));
    common::signal(child.id(), "INT");
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dir = scratch.path().join("sw");
    let sweep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(sweep["interrupted"], true);
    let statuses: Vec<&str> = sweep["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses[0], "ok");
    assert_eq!(*statuses.last().unwrap(), "interrupted");
    assert!(
        statuses.len() < 4,
        "no run started after the interrupt: {statuses:?}"
    );
    assert_eq!(
        sweep["configurations"][0]["runs"].as_u64().unwrap() as usize,
        statuses.len() - 1
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("This sweep was interrupted"));
    assert!(!dir.join("01-threads-1w-r4").exists());
}

/// Stopped before its first run ended, a sweep has nothing to compare and
/// says so everywhere instead of an empty table and empty axes.
#[test]
fn a_sweep_interrupted_before_any_run_finished_says_so() {
    let scratch = Scratch::new();
    let child = scratch
        .command(&words(
            "sweep --interval 100ms --workers 1 --repeat 2 --out sw count --n 2^31",
        ))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let trace = scratch.path().join("sw/01-threads-1w-r1/trace.jsonl");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&trace).is_ok_and(|t| t.contains("workload_start")) {
        assert!(Instant::now() < deadline, "the first run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    common::signal(child.id(), "INT");
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(130), "{stdout}");
    let message = "The sweep was interrupted before any run finished: nothing to compare.";
    assert!(stdout.starts_with(&format!("- {message}\n")), "{stdout}");
    assert!(
        !stdout.contains("configuration"),
        "no empty table: {stdout}"
    );
    let dir = scratch.path().join("sw");
    let writeup = std::fs::read_to_string(dir.join("writeup.md")).unwrap();
    assert!(writeup.contains(message), "{writeup}");
    assert!(!writeup.contains("| configuration |"), "{writeup}");
    assert!(
        !writeup.contains("Every run gave the same result"),
        "{writeup}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains(message), "{html}");
    assert!(!html.contains("<h3>Configurations</h3>"), "{html}");
    let sweep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(sweep["configurations"], serde_json::json!([]));
    assert_eq!(sweep["findings"][0]["message"], message);
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(dir.join("speedup.png")).unwrap(),
    ));
    assert_eq!(
        decoder.read_info().unwrap().info().width,
        2400,
        "2 pixels per point"
    );
}

#[test]
fn serial_with_several_worker_counts_says_it_runs_one_worker() {
    let scratch = Scratch::new();
    let output = scratch.run(&[
        "sweep",
        "--modes",
        "serial",
        "--workers",
        "1,2",
        "--interval",
        "100ms",
        "--json",
        "hash",
        "--zeros",
        "1",
    ]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("serial runs one worker only") && stderr.contains("--workers 2"),
        "{stderr}"
    );
}

#[test]
fn user_text_in_writeup_md_is_escaped() {
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "sweep",
        "--workers",
        "1",
        "--interval",
        "100ms",
        "--title",
        "<script>x</script> *bold* [link](http://a)\x1b[31m\nnext",
        "hash",
        "--zeros",
        "1",
        "--prefix",
        "```\n# not a heading\x07",
    ]);
    let writeup = std::fs::read_to_string(sweep_dir(&scratch, &json).join("writeup.md")).unwrap();
    let first = writeup.lines().next().unwrap();
    assert_eq!(
        first,
        "# &lt;script&gt;x&lt;/script&gt; \\*bold\\* \\[link\\](http://a)\u{FFFD}\\[31m next"
    );
    let raw: Vec<char> = writeup
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        .collect();
    assert!(raw.is_empty(), "control characters in writeup.md: {raw:?}");
    assert!(
        !writeup.lines().any(|l| l.starts_with("# not a heading")),
        "the prefix cannot start a heading"
    );
    // The command sits in a code block whose fence the prefix cannot close.
    let command_line = writeup
        .lines()
        .position(|l| l.starts_with("$ coreheat run"))
        .unwrap();
    let fence = writeup.lines().nth(command_line - 1).unwrap();
    assert!(fence.starts_with("````"), "{fence}");
}

#[test]
fn each_runs_page_is_titled_by_its_configuration() {
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "sweep",
        "--interval",
        "100ms",
        "--workers",
        "1,2",
        "--repeat",
        "2",
        "--pins",
        "spread",
        "hash",
        "--zeros",
        "2",
    ]);
    let dir = sweep_dir(&scratch, &json);
    for (run, title) in [
        (
            "01-threads-1w-spread-r1",
            "hash --zeros 2 · threads, 1 worker, pin spread, run 1 of 2",
        ),
        (
            "01-threads-1w-spread-r2",
            "hash --zeros 2 · threads, 1 worker, pin spread, run 2 of 2",
        ),
        (
            "02-threads-2w-spread-r1",
            "hash --zeros 2 · threads, 2 workers, pin spread, run 1 of 2",
        ),
    ] {
        let html = std::fs::read_to_string(dir.join(run).join("report.html")).unwrap();
        assert!(html.contains(&format!("<title>{title}</title>")), "{run}");
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{run}");
    }
    let writeup = std::fs::read_to_string(dir.join("writeup.md")).unwrap();
    assert!(
        !writeup.contains("--title"),
        "the commands to repeat a run stay as typed:\n{writeup}"
    );
}

/// Without a 1-worker run there is no speedup to state: the base is not
/// "2.00× at 100 %" by assumption.
#[test]
fn no_speedup_is_made_up_without_a_one_worker_run() {
    let scratch = Scratch::new();
    let sweep = |workers: &str, out: &str| -> serde_json::Value {
        scratch.ok(&[
            "sweep",
            "--workers",
            workers,
            "--modes",
            "threads",
            "--repeat",
            "2",
            "--interval",
            "100ms",
            "--baseline",
            "0",
            "--out",
            out,
            "-q",
            "hash",
            "--zeros",
            "5",
        ]);
        let text = std::fs::read_to_string(scratch.path().join(out).join("sweep.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let with_base = sweep("1,2", "with");
    let last = &with_base["configurations"][1];
    assert_eq!(last["workers"], 2);
    assert!(last["speedup"]["value"].is_number(), "{last}");
    let without = sweep("2", "without");
    let only = &without["configurations"][0];
    assert_eq!(only["workers"], 2);
    assert!(only["wall_s"]["mean"].as_f64().unwrap() > 0.0, "{only}");
    assert!(only["speedup"].is_null(), "{only}");
    assert!(only["efficiency"].is_null(), "{only}");
}

#[test]
fn a_pinning_given_twice_in_two_notations_is_said_to_run_once() {
    let scratch = Scratch::new();
    let output = scratch.run(&[
        "sweep",
        "--workers",
        "1",
        "--pins",
        "0",
        "--pins",
        "0,0",
        "--repeat",
        "1",
        "--interval",
        "100ms",
        "--json",
        "hash",
        "--zeros",
        "1",
    ]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--pins 0 is given more than once") && stderr.contains("run once"),
        "{stderr}"
    );
}

/// The sweep saves its plan and runs in sweep.json and draws from it alone:
/// `render SWEEP_DIR` draws report.html, speedup.png and writeup.md again, the
/// same bytes, and rewrites sweep.json the same.
#[test]
fn render_draws_a_sweep_again_byte_for_byte() {
    let scratch = Scratch::new();
    scratch.ok(&[
        "sweep",
        "--interval",
        "100ms",
        "--workers",
        "1,2",
        "--repeat",
        "2",
        "--out",
        "sw",
        "-q",
        "count",
        "--n",
        "2^22",
    ]);
    let dir = scratch.path().join("sw");
    let files = ["report.html", "speedup.png", "writeup.md", "sweep.json"];
    let drawn: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    for file in &files[..3] {
        std::fs::remove_file(dir.join(file)).unwrap();
    }
    let printed = scratch.ok(&["render", "sw"]);
    assert_eq!(printed.trim(), "sw/report.html");
    for (file, before) in files.iter().zip(&drawn) {
        let again = std::fs::read(dir.join(file)).unwrap();
        assert!(again == *before, "{file} drawn again differs");
    }
    std::fs::remove_file(dir.join("report.html")).unwrap();
    scratch.ok(&["render", "sw/sweep.json"]);
    assert!(std::fs::read(dir.join("report.html")).unwrap() == drawn[0]);
    let refused = scratch.run(&["render", "sw", "--out", "elsewhere"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--out does not apply to a sweep folder"),
        "{stderr}"
    );
    assert!(!scratch.path().join("elsewhere").exists());
}

/// A sweep killed outright never draws its comparison; sweep.json already
/// holds its plan and the runs that finished, and `render SWEEP_DIR` draws
/// them as an interrupted sweep.
#[test]
fn a_killed_sweep_is_drawn_from_what_it_saved() {
    let scratch = Scratch::new();
    let mut child = scratch
        .command(&[
            "sweep",
            "--interval",
            "100ms",
            "--workers",
            "1",
            "--repeat",
            "4",
            "--out",
            "sw",
            "-q",
            "count",
            "--n",
            "2^31",
        ])
        .spawn()
        .unwrap();
    let dir = scratch.path().join("sw");
    let saved_runs = || -> usize {
        std::fs::read_to_string(dir.join("sweep.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["runs"].as_array().map(Vec::len))
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while saved_runs() < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(saved_runs() >= 1, "the first run was saved");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!dir.join("report.html").exists(), "killed before drawing");
    let finished = saved_runs();
    let printed = scratch.ok(&["render", "sw"]);
    assert!(printed.trim().ends_with("report.html"), "{printed}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("This sweep was interrupted"));
    assert!(html.contains("01-threads-1w-r1/report.html"));
    assert!(dir.join("speedup.png").is_file());
    assert!(dir.join("writeup.md").is_file());
    let sweep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(sweep["interrupted"], true);
    assert_eq!(
        sweep["configurations"][0]["runs"].as_u64().unwrap() as usize,
        finished
    );
}

/// Real headless Chromium at 1 280 pixels: the configurations table fits its
/// box, so its runs and marks columns are on screen without scrolling.
#[cfg_attr(
    coreheat_missing = "chromium",
    ignore = "needs chromium (apt install chromium)"
)]
#[test]
fn chromium_at_1280_pixels_the_sweep_table_fits_with_its_marks() {
    let chromium = common::Chromium::find();
    let scratch = Scratch::new();
    scratch.ok(&[
        "sweep",
        "-q",
        "--repeat",
        "2",
        "--workers",
        "1,2",
        "--modes",
        "threads,processes",
        "--out",
        "sw",
        "count",
        "--n",
        "2^24",
    ]);
    let frame = scratch.path().join("sw/measure.html");
    std::fs::write(
        &frame,
        r#"<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:1280px;height:1200px;border:0"></iframe>
<pre id="measure"></pre>
<script>
document.getElementById('f').addEventListener('load', function () {
  var d = this.contentWindow.document;
  var box = d.querySelector('table.configs').parentElement;
  document.getElementById('measure').textContent =
    'scroll=' + box.scrollWidth + ' client=' + box.clientWidth + ' end';
});
</script></body></html>"#,
    )
    .unwrap();
    let output = chromium
        .command(1400, 1300)
        .arg("--allow-file-access-from-files")
        .arg("--dump-dom")
        .arg(format!("file://{}", frame.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    let at = dom.find("scroll=").expect("measured");
    let measured = &dom[at..at + dom[at..].find(" end").unwrap()];
    let number = |name: &str| -> u32 {
        let rest = &measured[measured.find(name).unwrap() + name.len()..];
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    assert!(
        number("scroll=") <= number("client="),
        "the table is wider than its box at 1280 px: {measured}"
    );
}
