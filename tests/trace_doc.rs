//! docs/trace-format.md is exact: a reader written from the doc alone (plain
//! JSON, none of coreheat's types) reproduces the report's time-weighted
//! figures from a real trace, with a baseline longer than the interval.

mod common;

use common::Scratch;
use serde_json::Value;

/// What the doc says a reader computes: (whole-trace busy % of all CPUs,
/// busy CPU-seconds of the allowed CPUs during the workload).
fn read_as_the_doc_says(trace: &str) -> (f64, f64) {
    let mut lines = trace
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let header = lines.next().unwrap();
    let meta = &header["meta"];
    assert_eq!(meta["cpu_unit"], "ticks");
    assert!(meta["tool"].as_str().unwrap().starts_with("coreheat"));
    let fields: Vec<&str> = meta["cpu_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let at = |name: &str| fields.iter().position(|f| *f == name).unwrap();
    let busy_fields = ["usr", "nice", "sys", "irq", "softirq", "steal"].map(at);
    let steal = at("steal");
    let cpus: Vec<u64> = meta["cpus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cpu"].as_u64().unwrap())
        .collect();
    let allowed: Vec<u64> = match meta["allowed_cpus"].as_array() {
        Some(list) => list.iter().map(|c| c.as_u64().unwrap()).collect(),
        None => cpus.clone(),
    };
    let records: Vec<Value> = lines.collect();
    let event_t = |kind: &str| {
        records
            .iter()
            .find(|r| r["event"] == kind)
            .map(|r| r["t"].as_f64().unwrap())
            .unwrap()
    };
    let (start, end) = (event_t("workload_start"), event_t("workload_end"));
    // The first interval starts at 0 (the reference reading at `start`).
    let mut previous = 0.0;
    let (mut weighted_busy, mut seconds, mut window_busy_cpu_s) = (0.0, 0.0, 0.0);
    for sample in records.iter().filter(|r| r.get("cpus").is_some()) {
        let t = sample["t"].as_f64().unwrap();
        let length = t - previous;
        let overlap = (t.min(end) - previous.max(start)).max(0.0);
        for (slot, row) in sample["cpus"].as_array().unwrap().iter().enumerate() {
            let row: Vec<f64> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let sum: f64 = row.iter().sum();
            if sum == 0.0 {
                continue; // no data
            }
            let busy = 100.0 * busy_fields.iter().map(|&i| row[i]).sum::<f64>() / sum;
            weighted_busy += busy * length;
            seconds += length;
            if allowed.contains(&cpus[slot]) {
                window_busy_cpu_s += overlap * (busy - 100.0 * row[steal] / sum) / 100.0;
            }
        }
        previous = t;
    }
    (weighted_busy / seconds, window_busy_cpu_s)
}

/// The report's whole-trace table: its last "all" row (the first is the
/// workload window's), busy to one decimal.
fn whole_trace_busy(html: &str) -> f64 {
    let (at, _) = html.rmatch_indices("<td>all</td>").next().unwrap();
    let cell = &html[at..];
    let cell = &cell[cell.find("</span>").unwrap() + 7..];
    cell[..cell.find('<').unwrap()].parse().unwrap()
}

#[test]
fn a_reader_that_follows_only_the_doc_gets_the_reports_figures() {
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "run",
        "-q",
        "--interval",
        "200ms",
        "--baseline",
        "700ms",
        "--out",
        "run",
        "count",
        "--mode",
        "serial",
        "--n",
        "2^30",
    ]);
    let trace = std::fs::read_to_string(scratch.path().join("run/trace.jsonl")).unwrap();
    let (whole_busy, window_cpu_s) = read_as_the_doc_says(&trace);

    let html = std::fs::read_to_string(scratch.path().join("run/report.html")).unwrap();
    let shown = whole_trace_busy(&html);
    assert!(
        (shown - whole_busy).abs() <= 0.051,
        "report {shown} %, the doc's reader {whole_busy:.3} %"
    );
    let reported = json["machine_busy_cpu_s"].as_f64().unwrap();
    assert!(
        (reported - window_cpu_s).abs() <= 0.0006,
        "run --json {reported} CPU-s, the doc's reader {window_cpu_s:.4} CPU-s"
    );
}

/// A trace as the doc describes one: the header of a real run, then a 2 s
/// idle baseline (longer than the 0.5 s interval), three busy samples in the
/// workload window and an idle tail 2 s later.
#[test]
fn the_doc_s_first_interval_and_weights_are_the_reports() {
    let scratch = Scratch::new();
    scratch.ok(&["run", "-q", "--out", "real", "idle", "--duration", "100ms"]);
    let real = std::fs::read_to_string(scratch.path().join("real/trace.jsonl")).unwrap();
    let mut header: Value = serde_json::from_str(real.lines().next().unwrap()).unwrap();
    let meta = header["meta"].as_object_mut().unwrap();
    meta.remove("task_fields");
    meta.remove("allowed_cpus");
    meta.insert("interval_s".into(), 0.5.into());
    let cpus = meta["cpus"].as_array().unwrap().len();
    let row = |busy: bool| match busy {
        true => "[50,0,0,0,0,0,0,0]",
        false => "[0,0,0,50,0,0,0,0]",
    };
    let sample = |t: f64, busy: bool| {
        let rows = vec![row(busy); cpus].join(",");
        format!("{{\"t\":{t},\"cpus\":[{rows}]}}")
    };
    let mut trace = vec![header.to_string(), sample(2.0, false)];
    trace.push(r#"{"t":2.0,"event":"workload_start"}"#.to_string());
    for t in [2.5, 3.0, 3.5] {
        trace.push(sample(t, true));
    }
    trace.push(r#"{"t":3.5,"event":"workload_end"}"#.to_string());
    trace.push(sample(5.5, false));
    let text = trace.join("\n") + "\n";
    std::fs::write(scratch.path().join("made.jsonl"), &text).unwrap();
    let (whole_busy, window_cpu_s) = read_as_the_doc_says(&text);
    // 1.5 busy seconds of 5.5: 27.3 %, not 1.5 of 4.0 (a first interval of
    // one interval_s).
    assert!(
        (whole_busy - 100.0 * 1.5 / 5.5).abs() < 1e-9,
        "{whole_busy}"
    );
    assert!((window_cpu_s - 1.5 * cpus as f64).abs() < 1e-9);
    scratch.ok(&["render", "made.jsonl", "--out", "made"]);
    let html = std::fs::read_to_string(scratch.path().join("made/report.html")).unwrap();
    assert_eq!(format!("{:.1}", whole_trace_busy(&html)), "27.3");
}
