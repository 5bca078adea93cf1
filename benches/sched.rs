//! What "who ran where" costs coreheat itself: its own CPU (the sampler
//! thread's and the scheduler-events reader's, from `run --json`'s
//! `sampler`) while tracing (a) `python3 examples/sum_threads.py threads 2 S`
//! and (b) `examples/switchy.rs` (8 threads, about 20 000 context switches a
//! second), each with the scheduler's events at 1 s and with /proc sampling
//! at 1 s and 100 ms; and the trace's bytes a second. The goal: at most 1 %
//! of one CPU for (a) and 3 % for (b) with events.
//!
//! `cargo bench --bench sched` (as root: the events need it); each
//! configuration runs REPEAT times (default 3, `COREHEAT_BENCH_REPEAT`), and
//! the median is printed. Runs the release binary and example, building them
//! first.

use std::path::{Path, PathBuf};
use std::process::Command;

fn build() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--quiet",
            "--bin",
            "coreheat",
            "--example",
            "switchy",
        ])
        .current_dir(root)
        .status()
        .expect("cargo builds");
    assert!(status.success(), "the release build failed");
    root.join("target/release")
}

struct Cost {
    own_cpu_pct: f64,
    reader_cpu_pct: f64,
    bytes_per_s: f64,
    switches_per_s: f64,
}

fn run_once(bin: &Path, flags: &[&str], command: &[&str]) -> Cost {
    let dir = tempfile::tempdir().expect("a scratch folder");
    let out = dir.path().join("run");
    let output = Command::new(bin.join("coreheat"))
        .args(["run", "--json", "--out"])
        .arg(&out)
        .args(flags)
        .arg("exec")
        .arg("--")
        .args(command)
        .output()
        .expect("coreheat runs");
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let wall = json["wall_s"].as_f64().unwrap();
    let reader = json["sampler"]["sched_cpu_s"].as_f64().unwrap_or(0.0);
    let own = json["sampler"]["cpu_s"].as_f64().unwrap() + reader;
    let bytes = std::fs::metadata(out.join("trace.jsonl")).unwrap().len() as f64;
    let events = json["sched"]["events"].as_f64().unwrap_or(0.0);
    Cost {
        own_cpu_pct: 100.0 * own / wall,
        reader_cpu_pct: 100.0 * reader / wall,
        bytes_per_s: bytes / wall,
        switches_per_s: events / wall,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and `--list`: nothing to run quickly
    }
    let bin = build();
    let repeat: usize = std::env::var("COREHEAT_BENCH_REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let python = format!("{}/examples/sum_threads.py", env!("CARGO_MANIFEST_DIR"));
    let switchy = bin.join("examples/switchy").display().to_string();
    let workloads: [(&str, Vec<&str>); 2] = [
        (
            "(a) python3 threads ×2, 5 s",
            vec!["python3", &python, "threads", "2", "5"],
        ),
        ("(b) switchy ×8, 5 s", vec![&switchy, "8", "5"]),
    ];
    let configs: [(&str, &[&str]); 3] = [
        ("events, 1 s", &["--sched", "events", "--interval", "1s"]),
        ("sampled, 1 s", &["--sched", "sampled", "--interval", "1s"]),
        (
            "sampled, 100 ms",
            &["--sched", "sampled", "--interval", "100ms"],
        ),
    ];
    println!(
        "| workload | source | coreheat's own CPU (% of one) | of it, the events reader | trace bytes/s | events/s |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, command) in &workloads {
        for (config, flags) in &configs {
            let runs: Vec<Cost> = (0..repeat)
                .map(|_| run_once(&bin, flags, command))
                .collect();
            println!(
                "| {name} | {config} | {:.2} % | {:.2} % | {:.0} | {:.0} |",
                median(runs.iter().map(|c| c.own_cpu_pct).collect()),
                median(runs.iter().map(|c| c.reader_cpu_pct).collect()),
                median(runs.iter().map(|c| c.bytes_per_s).collect()),
                median(runs.iter().map(|c| c.switches_per_s).collect()),
            );
        }
    }
}
