//! Reports that tell the truth about the workload: figures of the workload
//! window, weighted by time, checked against a hand computation; the workload's
//! own CPU time against the machine's; warnings when another program is busy.

mod common;

use std::process::{Command, Stdio};

use common::{Scratch, read_trace};

/// Tests that measure CPU time take turns: one starts a busy `yes` beside its run.
static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn measuring() -> std::sync::MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(|e| e.into_inner())
}

/// A 2-CPU trace made by hand: a 1 s idle baseline, the workload from t=1.0 to
/// t=1.25 (one 0.25 s sample: cpu0 100 % usr, cpu1 60 % usr + 20 % sys), and a
/// 1 s idle tail. The workload's own CPU time is 0.35 s.
const HAND_MADE: &str = r#"{"format":"coreheat-trace","version":1,"meta":{"tool":"coreheat 0.1.0","host":"h","os":"linux","kernel":"6","cpu_model":"cpu","logical_cpus":2,"physical_cores":2,"cpus":[{"cpu":0,"core":0,"package":0},{"cpu":1,"core":1,"package":0}],"interval_s":1.0,"start":"2026-11-22T10:00:00.000+00:00","command":"coreheat run hash","workload":{"kind":"hash"},"mode":"threads","workers":2}}
{"t":1.0,"cpus":[{"usr":0.0,"nice":0.0,"sys":0.0,"idle":100.0,"iowait":0.0,"irq":0.0,"softirq":0.0,"steal":0.0},{"usr":0.0,"nice":0.0,"sys":0.0,"idle":100.0,"iowait":0.0,"irq":0.0,"softirq":0.0,"steal":0.0}]}
{"t":1.0,"event":"workload_start"}
{"t":1.25,"event":"workload_end"}
{"t":1.25,"cpus":[{"usr":100.0,"nice":0.0,"sys":0.0,"idle":0.0,"iowait":0.0,"irq":0.0,"softirq":0.0,"steal":0.0},{"usr":60.0,"nice":0.0,"sys":20.0,"idle":20.0,"iowait":0.0,"irq":0.0,"softirq":0.0,"steal":0.0}]}
{"t":2.25,"cpus":[{"usr":0.0,"nice":0.0,"sys":0.0,"idle":100.0,"iowait":0.0,"irq":0.0,"softirq":0.0,"steal":0.0},{"usr":0.0,"nice":0.0,"sys":0.0,"idle":100.0,"iowait":0.0,"irq":0.0,"softirq":0.0,"steal":0.0}]}
{"t":2.25,"end":{"status":"ok","wall_s":0.25,"user_s":0.3,"sys_s":0.05}}
"#;

#[test]
fn every_weighted_figure_of_a_hand_made_trace_matches_the_hand_computation() {
    let scratch = Scratch::new();
    std::fs::write(scratch.path().join("trace.jsonl"), HAND_MADE).unwrap();
    scratch.ok(&["render", "trace.jsonl", "--out", "out"]);
    let html = std::fs::read_to_string(scratch.path().join("out/report.html")).unwrap();
    // Window 1.00 to 1.25 s: cpu0 100 % busy, cpu1 80 % (60 usr + 20 sys),
    // all 90 %; the unweighted whole-trace mean would have been 33.3 / 26.7.
    assert!(
        html.contains("During the workload (1.00 to 1.25 s"),
        "window heading"
    );
    let window_table = &html[html.find("During the workload").unwrap()..];
    let window_table = &window_table[..window_table.find("</table>").unwrap()];
    assert!(
        window_table
            .contains("<td>cpu0</td><td>0</td><td><span class=\"swatch c100\"></span>100.0</td>"),
        "{window_table}"
    );
    assert!(
        window_table.contains("80.0</td><td>80.0</td><td>60.0</td><td>20.0</td>"),
        "{window_table}"
    );
    assert!(window_table.contains("90.0</td>"), "{window_table}");
    // Whole trace, time-weighted over 2.25 s: cpu0 100 × 0.25 / 2.25 = 11.1 %.
    let whole = &html[html.find("Whole trace").unwrap()..];
    assert!(whole.contains("11.1</td>"), "whole trace weighted by time");
    // 0.25 s × (1.0 + 0.8) = 0.45 busy CPU-s; the workload's own 0.35 CPU-s
    // over 0.25 s = 1.40 CPUs; other programs 0.10 CPU-s.
    assert!(
        html.contains("<dt>CPUs in use</dt><dd>1.40 of 2</dd>"),
        "cpus in use"
    );
    assert!(html.contains("0.45 CPU-s during the workload"));
    assert!(html.contains("<dt>other programs</dt><dd>0.10 CPU-s</dd>"));
    assert!(html.contains("<b>other-load</b>"), "0.10 > 10 % of 0.35");
    assert!(html.contains("<b>too-short</b>"), "one sample inside");
}

/// The CPU rows of a version-2 trace's sample lines, as the file holds them.
struct TickSample {
    t: f64,
    rows: Vec<[u64; 8]>,
}

fn tick_samples(lines: &[serde_json::Value]) -> Vec<TickSample> {
    let row = |value: &serde_json::Value| -> [u64; 8] {
        let numbers: Vec<u64> = value
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                n.as_u64()
                    .unwrap_or_else(|| panic!("{n} is not a tick count"))
            })
            .collect();
        numbers.try_into().unwrap()
    };
    lines
        .iter()
        .filter(|line| line.get("cpus").is_some())
        .map(|line| TickSample {
            t: line["t"].as_f64().unwrap(),
            rows: line["cpus"].as_array().unwrap().iter().map(row).collect(),
        })
        .collect()
}

/// Busy percent of a row of ticks: everything but idle and iowait, over the sum.
fn busy_by_hand(row: &[u64; 8]) -> Option<f64> {
    let total: u64 = row.iter().sum();
    (total > 0).then(|| (total - row[3] - row[4]) as f64 * 100.0 / total as f64)
}

/// The numbers of the report's whole-trace table row of `cpu`.
fn whole_trace_row(html: &str, cpu: &str) -> Vec<f64> {
    let whole = &html[html.find("Whole trace").unwrap()..];
    let start = whole.find(&format!("<tr><td>{cpu}</td>")).unwrap();
    let row = &whole[start..start + whole[start..].find("</tr>").unwrap()];
    let text: String = row
        .split('<')
        .map(|piece| piece.split_once('>').map_or(piece, |(_, text)| text))
        .collect::<Vec<_>>()
        .join(" ");
    text.split_whitespace()
        .skip(2) // cpu and core
        .map(|cell| cell.parse().unwrap())
        .collect()
}

#[test]
fn a_real_run_stores_ticks_and_its_report_shows_what_they_give_by_hand() {
    let _turn = measuring();
    let scratch = Scratch::new();
    let json = scratch.json(&["run", "--interval", "200ms", "hash", "--zeros", "5"]);
    let trace_path = scratch.path().join(json["trace"].as_str().unwrap());
    let text = std::fs::read_to_string(&trace_path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let meta = &lines[0]["meta"];
    assert_eq!(lines[0]["version"], 2);
    assert_eq!(
        meta["cpu_fields"],
        serde_json::json!([
            "usr", "nice", "sys", "idle", "iowait", "irq", "softirq", "steal"
        ])
    );
    assert_eq!(meta["cpu_unit"], "ticks");
    let ticks_per_s = u64::from(coreheat::util::os::clock_ticks_per_second());
    assert_eq!(meta["ticks_per_s"].as_u64(), Some(ticks_per_s));
    let samples = tick_samples(&lines);
    assert!(samples.len() >= 2, "{text}");

    // Read back: each percentage is its field over the row's sum, exactly.
    let read = read_trace(&trace_path);
    for (by_hand, sample) in samples.iter().zip(&read.samples) {
        for (row, load) in by_hand.rows.iter().zip(&sample.cpus) {
            let total: u64 = row.iter().sum();
            let expected = row.map(|ticks| ticks as f64 * 100.0 / total.max(1) as f64);
            assert_eq!(load.fields(), expected, "{row:?} at t={}", by_hand.t);
        }
    }

    // The report's whole-trace figures: the busiest sample, and the mean
    // weighted by each sample's seconds (docs/trace-format.md: in a coreheat
    // trace of ticks the first sample's interval starts at 0, where the
    // sampler read its reference counters, however late that sample came).
    let html =
        std::fs::read_to_string(scratch.path().join(json["report"].as_str().unwrap())).unwrap();
    for cpu in 0..samples[0].rows.len() {
        let (mut max, mut busy_s, mut seconds) = (0.0_f64, 0.0, 0.0);
        let mut previous: Option<f64> = None;
        for sample in &samples {
            let start = previous.unwrap_or(0.0);
            previous = Some(sample.t);
            if let Some(busy) = busy_by_hand(&sample.rows[cpu]) {
                max = max.max(busy);
                busy_s += busy * (sample.t - start);
                seconds += sample.t - start;
            }
        }
        let name = format!("cpu{}", meta["cpus"][cpu]["cpu"]);
        let shown = whole_trace_row(&html, &name);
        let one_decimal = 0.05 + 1e-9;
        assert!(
            (shown[0] - busy_s / seconds).abs() <= one_decimal,
            "{name} mean: {shown:?}"
        );
        assert!(
            (shown[1] - max).abs() <= one_decimal,
            "{name} max: {shown:?} by hand {max}"
        );
    }
}

#[cfg_attr(coreheat_missing = "jq", ignore = "needs jq (apt install jq)")]
#[test]
fn jq_reads_a_real_trace_line_by_line() {
    let Ok(version) = Command::new("jq").arg("--version").output() else {
        panic!("{}", common::missing("jq", "jq is not installed"));
    };
    assert!(version.status.success());
    let scratch = Scratch::new();
    let json = scratch.json(&["run", "--interval", "100ms", "idle", "--duration", "300ms"]);
    let trace_path = scratch.path().join(json["trace"].as_str().unwrap());
    let output = Command::new("jq")
        .args(["-c", ".cpus[0] // empty"])
        .arg(&trace_path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let first_rows = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&trace_path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let expected: Vec<String> = tick_samples(&lines)
        .iter()
        .map(|sample| serde_json::json!(sample.rows[0]).to_string())
        .collect();
    assert!(expected.len() >= 3, "{first_rows}");
    assert_eq!(first_rows.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn cpus_in_use_is_near_two_for_two_threads_and_near_one_for_serial() {
    let _turn = measuring();
    let scratch = Scratch::new();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = scratch.json(&[
        "run",
        "--interval",
        "200ms",
        "--mode",
        "threads",
        "--workers",
        "2",
        "count",
        "--n",
        "2^30",
    ]);
    let serial = scratch.json(&[
        "run",
        "--interval",
        "200ms",
        "--mode",
        "serial",
        "count",
        "--n",
        "2^30",
    ]);
    let (t, s) = (
        threads["cpus_in_use"].as_f64().unwrap(),
        serial["cpus_in_use"].as_f64().unwrap(),
    );
    // Loose bounds; and where another program was busy beside the run, the
    // tool says so (other-load) and only the upper bounds can hold.
    let disturbed = |json: &serde_json::Value| json.to_string().contains("other-load");
    assert!(s <= 1.1, "serial: {s}");
    if !disturbed(&serial) {
        assert!(s >= 0.6, "serial: {s}");
    }
    assert!(t <= 2.1, "2 threads: {t}");
    if cpus >= 2 && !disturbed(&threads) {
        assert!(t >= 1.2, "2 threads on {cpus} CPUs: {t}");
    }
    for json in [&threads, &serial] {
        let own = json["workload_cpu_s"].as_f64().unwrap();
        let machine = json["machine_busy_cpu_s"].as_f64().unwrap();
        let other = json["other_cpu_s"].as_f64().unwrap();
        assert!(own > 0.0 && machine > 0.0 && other >= 0.0, "{json}");
        assert!(json["warnings"].is_array());
    }
}

#[test]
fn a_busy_program_beside_the_run_is_named_as_other_load() {
    let _turn = measuring();
    let mut yes = Command::new("yes").stdout(Stdio::null()).spawn().unwrap();
    let scratch = Scratch::new();
    let json = scratch.json(&[
        "run",
        "--interval",
        "200ms",
        "--mode",
        "serial",
        "count",
        "--n",
        "2^30",
    ]);
    yes.kill().unwrap();
    yes.wait().unwrap();
    let codes: Vec<&str> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"other-load"), "{json}");
    assert!(json["other_cpu_s"].as_f64().unwrap() > 0.1, "{json}");
}

#[test]
fn the_baseline_is_short_by_default_and_can_be_skipped() {
    let scratch = Scratch::new();
    let json = scratch.json(&["run", "--interval", "5s", "count", "--n", "2^16"]);
    let trace = read_trace(&scratch.path().join(json["trace"].as_str().unwrap()));
    // The "before" sample closes the 0.5 s baseline, not the 5 s interval.
    assert!(
        (trace.samples[0].t - 0.5).abs() < 0.2,
        "{:?}",
        trace.samples[0].t
    );
    let last = trace.samples.last().unwrap().t;
    let end = trace
        .events
        .iter()
        .find(|e| e.event == coreheat::EventKind::WorkloadEnd)
        .unwrap()
        .t;
    assert!(
        (last - end - 0.5).abs() < 0.2,
        "tail of 0.5 s: {end} → {last}"
    );

    let json = scratch.json(&[
        "run",
        "--baseline",
        "0",
        "--interval",
        "5s",
        "count",
        "--n",
        "2^16",
    ]);
    let trace = read_trace(&scratch.path().join(json["trace"].as_str().unwrap()));
    let start = trace
        .events
        .iter()
        .find(|e| e.event == coreheat::EventKind::WorkloadStart)
        .unwrap()
        .t;
    assert!(
        start < 0.2,
        "no baseline: the workload starts at once ({start})"
    );
    assert!(trace.header.meta.command.contains("--baseline 0ms"));
    // Even a job too short for the counters to move leaves one sample.
    let json = scratch.json(&[
        "run",
        "--baseline",
        "0",
        "--interval",
        "5s",
        "idle",
        "--duration",
        "1ms",
    ]);
    let trace = read_trace(&scratch.path().join(json["trace"].as_str().unwrap()));
    assert_eq!(trace.samples.len(), 1, "{:?}", trace.samples);
}

/// Real Chromium lays the page out: in the hand-made trace the workload's
/// 0.25 s column is drawn a quarter as wide as the 1 s baseline column.
#[cfg_attr(
    coreheat_missing = "chromium",
    ignore = "needs chromium (apt install chromium)"
)]
#[test]
fn chromium_draws_a_quarter_second_column_a_quarter_as_wide_as_a_second() {
    let chromium = common::Chromium::find();
    let scratch = Scratch::new();
    std::fs::write(scratch.path().join("trace.jsonl"), HAND_MADE).unwrap();
    scratch.ok(&["render", "trace.jsonl", "--out", "out"]);
    let html = std::fs::read_to_string(scratch.path().join("out/report.html")).unwrap();
    let measure = r#"<script>
const rects = document.querySelector('.heatmap.busy svg.cells').querySelectorAll('rect:not(.bg)');
document.body.setAttribute('data-widths', Array.from(rects).map(r => r.getBoundingClientRect().width).join(','));
</script></body>"#;
    let page = scratch.path().join("out/measured.html");
    std::fs::write(&page, html.replace("</body>", measure)).unwrap();
    let dom = chromium.dump_dom(&page, 1280);
    let widths: Vec<f64> = dom
        .split("data-widths=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the script ran")
        .split(',')
        .map(|w| w.parse().unwrap())
        .collect();
    assert_eq!(widths.len(), 3, "{widths:?}");
    let (baseline, workload, tail) = (widths[0], widths[1], widths[2]);
    assert!(baseline > 100.0, "{widths:?}");
    assert!((workload * 4.0 - baseline).abs() < 2.0, "{widths:?}");
    assert!((tail - baseline).abs() < 1.0, "{widths:?}");
}
