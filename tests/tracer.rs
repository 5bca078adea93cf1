//! The library's tracer (`coreheat::trace_closure`) sees the calling process's
//! own threads as `coreheat run` sees a workload's: announced by name, their
//! CPU time per sample, and the report's threads view.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use coreheat::Trace;

static SHARED: Mutex<u64> = Mutex::new(0);

/// Works under the shared lock about 200 µs at a time for `seconds`.
fn work_under_the_lock(seconds: f64) {
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    while Instant::now() < end {
        let mut total = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        let started = Instant::now();
        while started.elapsed() < Duration::from_micros(200) {
            *total = std::hint::black_box(total.wrapping_add(1));
        }
    }
}

#[test]
fn a_traced_closure_shows_its_own_threads_in_the_trace_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("closure");
    let traced = coreheat::trace_closure(
        &out,
        "three threads, one lock",
        Duration::from_millis(100),
        || {
            std::thread::scope(|scope| {
                for n in 0..3 {
                    std::thread::Builder::new()
                        .name(format!("lib-lock-{n}"))
                        .spawn_scoped(scope, || work_under_the_lock(1.2))
                        .unwrap();
                }
            })
        },
    )
    .unwrap();

    let trace = Trace::read(&traced.trace).unwrap();
    let names: Vec<&str> = trace.tasks.iter().map(|(_, t)| t.name.as_str()).collect();
    let mut ran_ns = 0;
    for n in 0..3 {
        let name = format!("lib-lock-{n}");
        let (_, task) = trace
            .tasks
            .iter()
            .find(|(_, t)| t.name == name)
            .unwrap_or_else(|| panic!("{name} announced among {names:?}"));
        assert_eq!(
            task.pid,
            std::process::id(),
            "a thread of the calling process"
        );
        ran_ns += trace
            .task_rows
            .iter()
            .flat_map(|(_, rows)| rows.iter().filter(|r| r.tid == task.tid))
            .map(|r| r.run_ns)
            .sum::<u64>();
    }
    // Together about one CPU for 1.2 s (the lock lets one work at a time).
    assert!(
        ran_ns > 600_000_000,
        "the threads ran {ran_ns} ns in the trace"
    );
    assert!(
        !names.contains(&"coreheat-sampler"),
        "the sampler is not the caller's work: {names:?}"
    );

    let html = std::fs::read_to_string(&traced.report).unwrap();
    assert!(html.contains("Who ran where"), "the threads view is drawn");
    assert!(html.contains("lib-lock-2"), "its rows name the threads");
}
