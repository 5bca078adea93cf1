//! `--pin`: workers (threads or processes) run on the CPUs asked for, the trace
//! header records each worker's CPU, and the report marks pinned CPUs.

mod common;

use common::Scratch;
use coreheat::EventKind;

#[test]
fn a_pinned_thread_loads_its_cpu() {
    // The last online CPU: CPU 1 on two cores, CPU 0 on one.
    let target = coreheat::machine::topology::Topology::detect()
        .cpus
        .last()
        .unwrap()
        .cpu;
    let pin = target.to_string();
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "run",
        "--interval",
        "100ms",
        "--mode",
        "threads",
        "--workers",
        "1",
        "--pin",
        &pin,
        "count",
        "--n",
        "2^31",
    ]);
    assert_eq!(json["cpus"], serde_json::json!([target]));
    let trace = common::read_trace(&scratch.path().join(json["trace"].as_str().unwrap()));
    assert_eq!(trace.header.meta.worker_cpus, vec![target]);
    assert_eq!(trace.header.meta.pin.as_deref(), Some(pin.as_str()));
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
    let slot = trace
        .header
        .meta
        .cpus
        .iter()
        .position(|c| c.cpu == target)
        .unwrap();
    let during: Vec<f64> = trace
        .samples
        .iter()
        .filter(|s| s.t > start + 0.1 && s.t <= end)
        .map(|s| s.cpus[slot].busy())
        .collect();
    assert!(!during.is_empty());
    let mean = during.iter().sum::<f64>() / during.len() as f64;
    assert!(
        mean > 70.0,
        "CPU 1 should carry the pinned worker: {during:?}"
    );
}

#[test]
fn pinned_processes_are_recorded_and_marked() {
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "run",
        "--interval",
        "100ms",
        "--mode",
        "processes",
        "--workers",
        "2",
        "--pin",
        "spread",
        "hash",
        "--zeros",
        "5",
    ]);
    assert_eq!(json["result"]["nonce"], 1839773);
    let cpus: Vec<u64> = json["cpus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    let mut sorted = cpus.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        cpus.len().min(common_logical()),
        "spread uses distinct CPUs first: {cpus:?}"
    );
    let html =
        std::fs::read_to_string(scratch.path().join(json["report"].as_str().unwrap())).unwrap();
    assert!(
        html.contains(&format!(
            r#"<div class="row pinned" data-cpu="cpu{}">"#,
            cpus[0]
        )),
        "pinned CPU marked"
    );
    let per_worker = json["per_worker"].as_array().unwrap();
    assert_eq!(per_worker[0]["cpu"], cpus[0]);
}

fn common_logical() -> usize {
    coreheat::machine::topology::Topology::detect().logical_count()
}
