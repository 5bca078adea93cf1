//! Who ran where from the scheduler's own events, on real programs: threads
//! behind one Mutex run one at a time, two processes two at a time, a pinned
//! thread's slices all sit on its CPU, a thread that lives 20 ms between two
//! samples is in the trace, `kill -9` leaves a readable trace, a user the
//! kernel refuses falls back to /proc sampling with the reason, and the
//! export for Perfetto is Trace Event Format JSON.
//!
//! The events need root (or CAP_PERFMON): without, these tests are counted
//! ignored with what they need (build.rs), and under CI they run and fail.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Scratch, read_trace};
use coreheat::model::sched::{SchedSource, Slice};

/// These tests measure how programs share the CPUs: they take turns.
static MACHINE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn sched_machine() -> std::sync::MutexGuard<'static, ()> {
    MACHINE.lock().unwrap_or_else(|e| e.into_inner())
}

/// `coreheat run --json --sched events --out DIR ARGS`, its JSON and trace.
fn run_events(scratch: &Scratch, args: &[&str]) -> (serde_json::Value, PathBuf) {
    let dir = scratch.path().join("run");
    let mut all = vec!["run", "--json", "--sched", "events", "--out"];
    all.push(dir.to_str().unwrap());
    all.extend_from_slice(args);
    let json = scratch.json(&all);
    assert_eq!(json["sched"]["source"], "events", "{json}");
    (json, dir.join("trace.jsonl"))
}

fn slices(trace: &Path) -> Vec<Slice> {
    let trace = read_trace(trace);
    assert_eq!(
        trace.header.meta.sched.as_ref().map(|s| s.source),
        Some(SchedSource::Events)
    );
    trace
        .sched
        .iter()
        .flat_map(|(_, batch)| batch.slices.iter().copied())
        .collect()
}

/// (running, seconds) of `run --json`'s concurrency, and their sum.
fn concurrency(json: &serde_json::Value) -> (Vec<(u64, f64)>, f64) {
    let bars: Vec<(u64, f64)> = json["concurrency"]
        .as_array()
        .expect("concurrency is an array")
        .iter()
        .map(|b| {
            (
                b["running"].as_u64().unwrap(),
                b["seconds"].as_f64().unwrap(),
            )
        })
        .collect();
    let total = bars.iter().map(|b| b.1).sum();
    (bars, total)
}

fn seconds_at(bars: &[(u64, f64)], running: u64) -> f64 {
    bars.iter().filter(|b| b.0 == running).map(|b| b.1).sum()
}

#[cfg_attr(
    coreheat_missing = "sched_events",
    ignore = "needs root or CAP_PERFMON (the scheduler's events): run the tests as root"
)]
#[test]
fn threads_behind_one_mutex_never_run_two_at_a_time() {
    let _machine = sched_machine();
    let scratch = Scratch::new();
    let program = common::mutex_program();
    let (json, _) = run_events(
        &scratch,
        &["exec", "--", program.to_str().unwrap(), "2", "2"],
    );
    let (bars, total) = concurrency(&json);
    let wall = json["wall_s"].as_f64().unwrap();
    assert!(
        (total - wall).abs() <= 0.01 * wall + 0.002,
        "the histogram covers the workload's wall time: {total} vs {wall}"
    );
    let two = bars.iter().filter(|b| b.0 >= 2).map(|b| b.1).sum::<f64>();
    let one = seconds_at(&bars, 1);
    assert!(one > 0.5 * total, "one at a time most of the run: {bars:?}");
    assert!(two < 0.05 * one, "two at once only at hand-overs: {bars:?}");
    let found = json["findings"].to_string();
    assert!(found.contains("one ran at a time"), "{found}");
    assert!(
        found.contains("exact, from the scheduler's events"),
        "{found}"
    );
}

#[cfg_attr(
    coreheat_missing = "sched_events",
    ignore = "needs root or CAP_PERFMON (the scheduler's events): run the tests as root"
)]
#[test]
fn two_threads_pinned_to_one_cpu_are_said_to_take_turns_on_it() {
    let _machine = sched_machine();
    let scratch = Scratch::new();
    let (json, trace) = run_events(
        &scratch,
        &[
            "--mode",
            "threads",
            "--workers",
            "2",
            "--pin",
            "0,0",
            "count",
            "--n",
            "2^29",
        ],
    );
    // Each worker pins itself as it starts: nearly all their time on cpu0.
    let all: Vec<Slice> = slices(&trace);
    let on_cpu0: u64 = all.iter().filter(|s| s.cpu == 0).map(|s| s.dur_us).sum();
    let total: u64 = all.iter().map(|s| s.dur_us).sum();
    assert!(on_cpu0 * 10 >= total * 9, "{on_cpu0} of {total} µs on cpu0");
    let found = json["findings"].to_string();
    assert!(found.contains("took turns on one CPU (cpu0)"), "{found}");
    assert!(found.contains("time-sliced"), "{found}");
}

#[cfg_attr(
    coreheat_missing = "sched_events",
    ignore = "needs root or CAP_PERFMON (the scheduler's events): run the tests as root"
)]
#[test]
fn two_processes_run_two_at_a_time() {
    let _machine = sched_machine();
    let scratch = Scratch::new();
    let (json, _) = run_events(
        &scratch,
        &[
            "--mode",
            "processes",
            "--workers",
            "2",
            "count",
            "--n",
            "2^30",
        ],
    );
    // Two at once, or fewer only while the other waited for a CPU (other
    // programs on a busy machine): never one at a time by their own doing.
    let (bars, total) = concurrency(&json);
    let waiting: f64 = json["concurrency"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["running"].as_u64() < Some(2))
        .map(|b| b["waiting_s"].as_f64().unwrap())
        .sum();
    let both_wanted = seconds_at(&bars, 2) + waiting;
    assert!(
        both_wanted > 0.8 * total,
        "both processes ran or wanted to: {both_wanted} of {total} s, {}",
        json["concurrency"]
    );
}

#[cfg_attr(
    coreheat_missing = "sched_events",
    ignore = "needs root or CAP_PERFMON (the scheduler's events): run the tests as root"
)]
#[test]
fn a_pinned_threads_slices_are_all_on_its_cpu_once_it_pinned_itself() {
    let _machine = sched_machine();
    let scratch = Scratch::new();
    let last_cpu = (std::thread::available_parallelism().map_or(1, |n| n.get()) - 1).to_string();
    let (json, trace) = run_events(
        &scratch,
        &[
            "--mode",
            "threads",
            "--workers",
            "1",
            "--pin",
            &last_cpu,
            "count",
            "--n",
            "2^28",
        ],
    );
    assert_eq!(json["status"], "ok");
    let trace_data = read_trace(&trace);
    let worker = trace_data
        .sched
        .iter()
        .flat_map(|(_, b)| b.threads.iter())
        .find(|t| t.name.contains("count-worker"))
        .expect("the worker thread is named in the trace")
        .tid;
    let mine: Vec<Slice> = slices(&trace)
        .into_iter()
        .filter(|s| s.tid == worker)
        .collect();
    assert!(!mine.is_empty());
    // A worker pins itself as it starts: its first slice may begin elsewhere
    // (then it is short); every slice after it is on its CPU. On a quiet
    // machine nothing preempts it: one long slice.
    let cpu: u32 = last_cpu.parse().unwrap();
    assert!(
        mine[0].cpu == cpu || mine[0].dur_us < 20_000,
        "{:?}",
        mine[0]
    );
    let on_it: u64 = mine.iter().filter(|s| s.cpu == cpu).map(|s| s.dur_us).sum();
    let all: u64 = mine.iter().map(|s| s.dur_us).sum();
    assert!(on_it * 10 >= all * 9, "{on_it} of {all} µs on cpu{cpu}");
    assert!(
        mine[1..].iter().all(|s| s.cpu == cpu),
        "every slice on cpu{cpu}: {:?}",
        mine.iter().map(|s| s.cpu).collect::<Vec<_>>()
    );
}

#[cfg_attr(
    coreheat_missing = "sched_events",
    ignore = "needs root or CAP_PERFMON (the scheduler's events): run the tests as root"
)]
#[cfg_attr(
    coreheat_missing = "python3",
    ignore = "needs python3 (apt install python3)"
)]
#[test]
fn a_thread_that_lives_between_two_samples_is_in_the_trace() {
    let _machine = sched_machine();
    let scratch = Scratch::new();
    // A thread that computes about 20 ms, started 0.3 s into a 1 s interval.
    let script = "import threading, time\n\
        time.sleep(0.3)\n\
        def work():\n    end = time.monotonic() + 0.02\n    while time.monotonic() < end: pass\n\
        t = threading.Thread(target=work); t.start(); t.join()\n\
        time.sleep(0.3)\n";
    let (_, trace) = run_events(&scratch, &["exec", "--", "python3", "-c", script]);
    let data = read_trace(&trace);
    let threads: Vec<_> = data
        .sched
        .iter()
        .flat_map(|(_, b)| b.threads.iter())
        .filter(|t| t.tid != t.pid && t.name.starts_with("python"))
        .collect();
    assert!(
        !threads.is_empty(),
        "the short thread is named: {:?}",
        data.sched
    );
    let short = threads[0].tid;
    let ran_us: u64 = slices(&trace)
        .iter()
        .filter(|s| s.tid == short)
        .map(|s| s.dur_us)
        .sum();
    assert!(
        (10_000..200_000).contains(&ran_us),
        "the 20 ms thread ran {ran_us} µs in the trace"
    );
    let task_rows: Vec<u32> = data
        .task_rows
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|r| r.tid))
        .collect();
    assert!(
        !task_rows.contains(&short),
        "no /proc sample saw it (else this test tests nothing): {task_rows:?}"
    );
}

#[cfg_attr(
    coreheat_missing = "sched_events",
    ignore = "needs root or CAP_PERFMON (the scheduler's events): run the tests as root"
)]
#[test]
fn kill_9_leaves_a_readable_trace_with_its_slices() {
    let _machine = sched_machine();
    let scratch = Scratch::new();
    let dir = scratch.path().join("killed");
    let mut child = scratch
        .command(&[
            "run",
            "--quiet",
            "--sched",
            "events",
            "--interval",
            "100ms",
            "--out",
            dir.to_str().unwrap(),
            "count",
            "--n",
            "2^40",
        ])
        .spawn()
        .expect("coreheat starts");
    std::thread::sleep(Duration::from_millis(1500));
    common::signal(child.id(), "KILL");
    let _ = child.wait();
    let trace = read_trace(&dir.join("trace.jsonl"));
    assert!(trace.end.is_none(), "killed: no end line");
    let slices: usize = trace.sched.iter().map(|(_, b)| b.slices.len()).sum();
    assert!(slices > 0, "slices were streamed before the kill");
    let out = scratch.path().join("redrawn");
    let render = scratch.run(&[
        "render",
        dir.join("trace.jsonl").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(render.status.success(), "{render:?}");
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("Who ran where, exactly"));
}

#[cfg_attr(
    coreheat_missing = "sched_events",
    ignore = "needs root or CAP_PERFMON (the scheduler's events): run the tests as root"
)]
#[cfg_attr(
    coreheat_missing = "setpriv",
    ignore = "needs root and setpriv (util-linux) to run as user nobody"
)]
#[test]
fn a_user_the_kernel_refuses_gets_sampled_with_the_reason() {
    let _machine = sched_machine();
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid").unwrap();
    assert!(
        paranoid.trim().parse::<i32>().unwrap() >= 0,
        "kernel.perf_event_paranoid is {paranoid}: any user may open the events, so \
         nothing can be refused here"
    );
    let scratch = Scratch::new();
    let (shared, _) = common::as_nobody();
    let as_nobody = |sched: Option<&str>, out: &str| {
        let (_, mut command) = common::as_nobody();
        command.current_dir(shared.path());
        command.args(["run", "--json"]);
        if let Some(sched) = sched {
            command.args(["--sched", sched]);
        }
        command.args(["--out", shared.path().join(out).to_str().unwrap()]);
        command.args(["idle", "--duration", "300ms"]);
        command.current_dir(shared.path());
        command.output().expect("setpriv runs (util-linux)")
    };
    let output = as_nobody(None, "auto");
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["sched"]["source"], "sampled", "{json}");
    let reason = json["sched"]["reason"].as_str().unwrap();
    assert!(reason.contains("perf_event_paranoid"), "{reason}");
    assert!(reason.contains("CAP_PERFMON"), "says what to do: {reason}");
    let page = std::fs::read_to_string(shared.path().join("auto/report.html")).unwrap();
    assert!(page.contains("sampled from /proc"), "the report says why");

    let asked = as_nobody(Some("events"), "asked");
    assert!(!asked.status.success(), "{asked:?}");
    let stderr = String::from_utf8_lossy(&asked.stderr);
    assert!(stderr.contains("--sched events"), "{stderr}");
    assert!(stderr.contains("--sched sampled"), "{stderr}");
    drop(scratch);
}

#[cfg_attr(
    coreheat_missing = "sched_events",
    ignore = "needs root or CAP_PERFMON (the scheduler's events): run the tests as root"
)]
#[test]
fn the_export_is_trace_event_format_with_cpu_and_thread_tracks() {
    let _machine = sched_machine();
    let scratch = Scratch::new();
    let program = common::mutex_program();
    let (_, trace) = run_events(
        &scratch,
        &["exec", "--", program.to_str().unwrap(), "2", "1"],
    );
    let out = scratch.path().join("perfetto.json");
    let export = scratch.run(&[
        "export",
        "chrome",
        trace.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(export.status.success(), "{export:?}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let events = json["traceEvents"].as_array().expect("traceEvents");
    let recorded = slices(&trace);
    let complete: Vec<&serde_json::Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    assert_eq!(
        complete.len(),
        2 * recorded.len(),
        "each slice on its CPU and its thread"
    );
    for event in &complete {
        for key in ["pid", "tid", "ts", "dur"] {
            assert!(event[key].is_u64(), "{key} is a whole number: {event}");
        }
        assert!(event["name"].is_string());
    }
    let first = &recorded[0];
    assert!(
        complete.iter().any(|e| e["tid"] == first.tid
            && e["ts"] == first.start_us
            && e["dur"] == first.dur_us)
    );
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
        .filter_map(|e| e["args"]["name"].as_str())
        .collect();
    assert!(names.contains(&"cpu0"), "{names:?}");
    assert!(names.contains(&"mutex_threads"), "{names:?}");
    assert!(events.iter().any(|e| e["ph"] == "C"), "CPU busy counters");
    let again = scratch.run(&[
        "export",
        "chrome",
        trace.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!again.status.success(), "never replaces a file");
    let to_stdout = scratch.run(&["export", "chrome", trace.to_str().unwrap(), "--out", "-"]);
    assert!(to_stdout.status.success(), "{to_stdout:?}");
    let piped: serde_json::Value = serde_json::from_slice(&to_stdout.stdout).unwrap();
    assert_eq!(
        piped, json,
        "--out - writes the same JSON to standard output"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("never replaces"));
}

/// A trace of two CPUs with the scheduler's events in its header, one sample
/// and the given sched lines appended by hand; what `render` says of it.
fn render_with_sched_lines(lines: &[&str]) -> (bool, String) {
    use coreheat::model::sched::{SLICE_FIELDS, SchedMeta};
    use coreheat::model::{CpuTicks, CpuUnit, Meta, TraceCpu};
    use coreheat::trace::TraceWriter;
    let scratch = Scratch::new();
    let meta = Meta {
        cpus: (0..2)
            .map(|cpu| TraceCpu {
                cpu,
                core: cpu,
                package: 0,
            })
            .collect(),
        logical_cpus: 2,
        physical_cores: 2,
        cpu_unit: Some(CpuUnit::Ticks),
        ticks_per_s: Some(100),
        sched: Some(SchedMeta {
            source: SchedSource::Events,
            reason: None,
            slice_fields: SLICE_FIELDS.map(String::from).to_vec(),
        }),
        interval_s: 1.0,
        start: "2026-12-07T21:00:00.000+00:00".into(),
        ..Meta::default()
    };
    let path = scratch.path().join("trace.jsonl");
    let mut writer = TraceWriter::create(&path, &meta).unwrap();
    let busy = CpuTicks([50, 0, 0, 50, 0, 0, 0, 0]);
    writer.write_ticks(1.0, &[busy, busy]).unwrap();
    drop(writer);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    let output = scratch.run(&[
        "render",
        path.to_str().unwrap(),
        "--out",
        scratch.path().join("out").to_str().unwrap(),
    ]);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn slices_that_overlap_or_end_in_an_unknown_way_are_refused_with_file_and_line() {
    let good = r#"{"t":1.0,"sched":{"slices":[[7,0,100,50,1,0,0]],"threads":[[7,7,"a"]]}}"#;
    let (ok, stderr) = render_with_sched_lines(&[good]);
    assert!(ok, "a good trace renders: {stderr}");

    let overlap = r#"{"t":1.0,"sched":{"slices":[[7,1,120,50,1,0,0]]}}"#;
    let (ok, stderr) = render_with_sched_lines(&[good, overlap]);
    assert!(!ok);
    assert!(stderr.contains("trace.jsonl:4"), "names the line: {stderr}");
    assert!(stderr.contains("must not overlap"), "{stderr}");

    let unknown_end = r#"{"t":1.0,"sched":{"slices":[[7,0,100,50,9,0,0]]}}"#;
    let (ok, stderr) = render_with_sched_lines(&[unknown_end]);
    assert!(!ok);
    assert!(stderr.contains("trace.jsonl:3"), "{stderr}");
    assert!(stderr.contains("slice end 9"), "{stderr}");

    let out_of_order = r#"{"t":1.0,"sched":{"slices":[[7,0,500,50,1,0,0],[7,0,100,50,1,0,0]]}}"#;
    let (ok, stderr) = render_with_sched_lines(&[out_of_order]);
    assert!(!ok);
    assert!(stderr.contains("starts before"), "{stderr}");
}

#[test]
fn coreheat_no_sched_events_samples_and_says_why() {
    let scratch = Scratch::new();
    let output = scratch
        .command(&["run", "--json", "idle", "--duration", "200ms"])
        .env("COREHEAT_NO_SCHED_EVENTS", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["sched"]["source"], "sampled", "{json}");
    let reason = json["sched"]["reason"].as_str().unwrap();
    assert!(reason.contains("COREHEAT_NO_SCHED_EVENTS"), "{reason}");
}
