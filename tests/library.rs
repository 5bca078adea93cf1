//! The library's face, as a program that links coreheat uses it: run a
//! workload, read its trace back, summarize it and draw it elsewhere; a
//! dstat file summarized the same way.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use coreheat::{Mode, RunOptions, WorkloadSpec};

#[test]
fn the_library_runs_reads_summarizes_and_renders_a_workload() {
    let dir = tempfile::tempdir().unwrap();
    let n: u128 = 1 << 24;
    let mut options = RunOptions::new(WorkloadSpec::Count { n, split: false });
    options.mode = Some(Mode::Threads);
    options.workers = Some(2);
    options.interval = Duration::from_millis(100);
    options.out = Some(dir.path().join("run"));
    let stop = Arc::new(AtomicBool::new(false));
    let run = coreheat::run(&options, stop).unwrap();
    let report = run.report.as_ref().expect("the run's report is drawn");
    assert!(report.is_file(), "{report:?}");

    let trace = coreheat::read_trace(&run.trace).unwrap();
    let (_, end) = trace.end.expect("the end line");
    // Each worker sums 0..n-1: n(n-1)/2, printed as the seed writeup does.
    let sum = n * (n - 1) / 2;
    assert_eq!(
        end.result.expect("a count's result").seed_line(),
        format!("[{sum}, {sum}]")
    );

    let summary = coreheat::summarize(&run.trace).unwrap();
    assert!(summary.window.is_some(), "the workload's window");
    assert!(summary.sample_count >= 2, "{}", summary.sample_count);

    let elsewhere = dir.path().join("drawn again");
    let page = coreheat::render(&run.trace, &elsewhere).unwrap();
    assert_eq!(page, elsewhere.join("report.html"));
    assert!(elsewhere.join("heatmap.png").is_file());
}

#[test]
fn the_library_summarizes_a_dstat_file_as_render_reads_it() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dstat-0.8.0-cpu.csv");
    let summary = coreheat::summarize(&fixture).unwrap();
    assert!(summary.sample_count > 0);
    assert!(summary.window.is_none(), "an import has no workload window");
}

#[test]
fn worker_processes_and_commands_need_a_coreheat_binary_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(WorkloadSpec::Exec {
        argv: vec!["true".into()],
    });
    options.out = Some(dir.path().join("exec"));
    let stop = Arc::new(AtomicBool::new(false));
    // This test binary is not coreheat: it would be started as the guardian.
    let refused = coreheat::run(&options, stop.clone()).unwrap_err();
    assert!(
        refused.to_string().contains("set RunOptions::worker_exe"),
        "{refused}"
    );
    options.worker_exe = Some(env!("CARGO_BIN_EXE_coreheat").into());
    let run = coreheat::run(&options, stop).unwrap();
    assert!(run.report.is_some(), "the command traced, its report drawn");
}
