//! dstat CSV and mpstat JSON, every variant, from real tools (tests/fixtures/):
//! read into the data model, drawn by `coreheat render`, and the errors.

mod common;

use std::path::{Path, PathBuf};

use common::Scratch;
use coreheat::import::{self, ImportedTrace, InputFormat};
use coreheat::model::{CPU_FIELDS, CpuUnit};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read(name: &str) -> ImportedTrace {
    let path = fixture(name);
    let format = import::detect(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    import::read(&path, format).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn cpus(trace: &ImportedTrace) -> Vec<u32> {
    trace.meta.cpus.iter().map(|c| c.cpu).collect()
}

#[test]
fn formats_are_told_from_the_content() {
    for (name, format) in [
        ("dstat-0.7.2-cpu.csv", InputFormat::Dstat),
        ("dstat-0.8.0-cpu-use.csv", InputFormat::Dstat),
        ("mpstat-P-ALL.json", InputFormat::Mpstat),
        ("mpstat-P-ALL-12h.json", InputFormat::Mpstat),
    ] {
        assert_eq!(import::detect(&fixture(name)).unwrap(), format, "{name}");
    }
}

#[test]
fn imports_say_their_rows_are_percentages_in_the_version_2_field_order() {
    for name in ["dstat-0.8.0-cpu.csv", "mpstat-P-ALL-T.json"] {
        let meta = read(name).meta;
        assert_eq!(meta.cpu_unit, Some(CpuUnit::Percent), "{name}");
        assert_eq!(meta.cpu_fields, CPU_FIELDS.to_vec(), "{name}");
        assert_eq!(meta.ticks_per_s, None, "{name}");
    }
}

#[test]
fn dstat_072_bare_columns_with_hiq_siq() {
    let trace = read("dstat-0.7.2-cpu.csv");
    assert_eq!(cpus(&trace), vec![0, 1], "the total column is kept apart");
    assert_eq!(
        trace.samples.len(),
        3,
        "4 rows, the since-boot average dropped"
    );
    let second = &trace.samples[0].cpus;
    assert_eq!(
        (second[0].usr, second[0].sys, second[0].idle),
        (0.98, 0.98, 98.039)
    );
    assert_eq!(trace.samples[0].t, 1.0);
    assert_eq!(trace.samples[2].t, 3.0);
    assert_eq!(trace.meta.interval_s, 1.0);
    assert_eq!(trace.meta.tool, "dstat 0.7.2");
    assert!(trace.meta.notes.iter().any(|n| n.contains("since boot")));
}

#[test]
fn dstat_073_and_080_prefixed_columns_with_steal() {
    let trace = read("dstat-0.7.3-cpu.csv");
    assert_eq!(cpus(&trace), vec![0, 1]);
    assert_eq!(trace.samples.len(), 2);
    assert_eq!(trace.samples[0].cpus[1].usr, 0.99);

    let trace = read("dstat-0.8.0-cpu.csv");
    assert_eq!(trace.samples.len(), 4);
    let row = &trace.samples[2].cpus;
    assert_eq!(
        (row[0].usr, row[0].sys, row[0].idle),
        (74.747, 20.202, 5.051)
    );
    assert_eq!(row[1].busy(), 72.449 + 13.265);
}

#[test]
fn dstat_epoch_times() {
    let trace = read("dstat-0.8.0-epoch.csv");
    assert_eq!(trace.samples.len(), 3);
    let times: Vec<f64> = trace.samples.iter().map(|s| s.t).collect();
    assert_eq!(times, vec![1.0, 2.0, 3.0]);
    assert!(
        trace.meta.start.starts_with("2026-11-22T00:20:0"),
        "{}",
        trace.meta.start
    );
    assert_eq!(trace.samples[0].cpus[0].usr, 100.0);
}

#[test]
fn dstat_cpu_adv_and_cpu_use() {
    let trace = read("dstat-0.8.0-cpu-adv.csv");
    assert_eq!(cpus(&trace), vec![0, 1]);
    let last = &trace.samples[2].cpus[1];
    assert_eq!((last.usr, last.sys, last.steal), (98.039, 0.98, 0.98));

    let trace = read("dstat-0.8.0-cpu-use.csv");
    assert_eq!(cpus(&trace), vec![0, 1]);
    assert_eq!(trace.samples[0].cpus[0].busy(), 100.0);
    assert!(
        trace
            .meta
            .notes
            .iter()
            .any(|n| n.contains("busy percent only"))
    );
}

#[test]
fn dstat_appended_header_blocks() {
    let trace = read("dstat-0.8.0-appended.csv");
    assert_eq!(
        trace.samples.len(),
        2,
        "one since-boot row dropped per block"
    );
    assert!(
        trace
            .meta
            .notes
            .iter()
            .any(|n| n.contains("2 such rows were dropped")),
        "{:?}",
        trace.meta.notes
    );
    assert!(trace.samples[1].t > trace.samples[0].t);
}

#[test]
fn mpstat_plain_topology_iso_12h_and_midnight() {
    let trace = read("mpstat-P-ALL.json");
    assert_eq!(cpus(&trace), vec![0, 1], "the 'all' entry is kept apart");
    assert_eq!(trace.samples[0].cpus[0].sys, 1.0);
    assert_eq!(trace.meta.host, "vm");

    let trace = read("mpstat-P-ALL-T.json");
    assert_eq!(trace.meta.cpus[1].core, 1);
    assert!(!trace.meta.notes.iter().any(|n| n.contains("No topology")));

    for name in ["mpstat-P-ALL-iso.json", "mpstat-P-ALL-12h.json"] {
        let trace = read(name);
        assert_eq!(trace.samples.len(), 2, "{name}");
        assert_eq!(trace.samples[1].t - trace.samples[0].t, 1.0, "{name}");
        assert!(
            trace.meta.start.starts_with("2026-11-22 00:2"),
            "{name}: {}",
            trace.meta.start
        );
    }

    let trace = read("mpstat-P-ALL-midnight.json");
    let times: Vec<f64> = trace.samples.iter().map(|s| s.t).collect();
    assert_eq!(
        times,
        vec![1.0, 2.0, 3.0, 4.0],
        "23:59:59 → 00:00:00 is one second later"
    );
    assert!(
        trace.meta.start.starts_with("2026-11-21 23:59:58"),
        "{}",
        trace.meta.start
    );
}

#[test]
fn render_draws_every_fixture() {
    let scratch = Scratch::new();
    for name in [
        "dstat-0.7.2-cpu.csv",
        "dstat-0.7.3-cpu.csv",
        "dstat-0.8.0-cpu.csv",
        "dstat-0.8.0-epoch.csv",
        "dstat-0.8.0-cpu-adv.csv",
        "dstat-0.8.0-cpu-use.csv",
        "dstat-0.8.0-appended.csv",
        "mpstat-P-ALL.json",
        "mpstat-P-ALL-T.json",
        "mpstat-P-ALL-iso.json",
        "mpstat-P-ALL-12h.json",
        "mpstat-P-ALL-midnight.json",
    ] {
        let out = format!("out-{name}");
        let stdout = scratch.ok(&["render", fixture(name).to_str().unwrap(), "--out", &out]);
        assert!(stdout.contains("report.html"), "{name}: {stdout}");
        let html = std::fs::read_to_string(scratch.path().join(&out).join("report.html")).unwrap();
        assert_eq!(
            html.matches(r#"<div class="row" data-cpu="cpu0">"#).count(),
            2,
            "{name}: busy and kernel rows"
        );
        assert!(html.contains("Imported from"), "{name}");
        assert!(
            !html.contains("dashed: the workload"),
            "{name}: an import has no workload start or end to draw"
        );
    }
}

#[test]
fn render_without_out_makes_a_new_folder_under_reports() {
    let scratch = Scratch::new();
    let stdout = scratch.ok(&["render", fixture("dstat-0.8.0-cpu.csv").to_str().unwrap()]);
    assert!(
        stdout.contains("reports/") && stdout.contains("render-dstat-0.8.0-cpu"),
        "{stdout}"
    );
    assert!(
        !fixture("report.html").exists(),
        "nothing is written next to the user's file"
    );
}

#[test]
fn several_files_make_one_report_with_a_section_each() {
    let scratch = Scratch::new();
    let run = scratch.json(&[
        "run",
        "--interval",
        "100ms",
        "--mode",
        "serial",
        "hash",
        "--zeros",
        "2",
    ]);
    let trace = scratch.path().join(run["trace"].as_str().unwrap());
    scratch.ok(&[
        "render",
        trace.to_str().unwrap(),
        fixture("dstat-0.8.0-cpu.csv").to_str().unwrap(),
        fixture("mpstat-P-ALL-T.json").to_str().unwrap(),
        "--out",
        "all",
        "--title",
        "three hosts",
    ]);
    let dir = scratch.path().join("all");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for id in ["trace1", "trace2", "trace3"] {
        assert!(
            html.contains(&format!(r#"<section class="trace" id="{id}">"#)),
            "{id}"
        );
    }
    assert!(html.contains("<title>three hosts</title>"));
    assert!(html.contains("share one color scale"));
    for png in [
        "heatmap-1.png",
        "heatmap-2.png",
        "heatmap-3.png",
        "cores-3.png",
    ] {
        assert!(dir.join(png).is_file(), "{png}");
    }
}

#[test]
fn format_can_be_forced() {
    let scratch = Scratch::new();
    let output = scratch.run(&[
        "render",
        fixture("dstat-0.8.0-cpu.csv").to_str().unwrap(),
        "--format",
        "mpstat",
        "--out",
        "x",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("dstat-0.8.0-cpu.csv"), "{stderr}");
    scratch.ok(&[
        "render",
        fixture("dstat-0.8.0-cpu.csv").to_str().unwrap(),
        "--format",
        "dstat",
        "--out",
        "y",
    ]);
}

#[test]
fn bad_files_get_a_clear_error_naming_the_file_and_line() {
    let scratch = Scratch::new();
    let dir = scratch.path();
    let mpstat = std::fs::read_to_string(fixture("mpstat-P-ALL.json")).unwrap();
    let dstat = std::fs::read_to_string(fixture("dstat-0.8.0-cpu.csv")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.csv", Vec::new(), "empty"),
        (
            "garbage.txt",
            b"hello world\nthis is not a trace\n".to_vec(),
            "not a coreheat trace",
        ),
        (
            "binary.bin",
            vec![0u8, 159, 146, 150, 255, 0, 1, 2, 3],
            "not a coreheat trace",
        ),
        (
            "cut.json",
            mpstat.as_bytes()[..mpstat.len() / 2].to_vec(),
            "cut off",
        ),
        (
            "bad-number.csv",
            dstat.replace("74.747", "lots").into_bytes(),
            ":10:",
        ),
        (
            "header-only.csv",
            dstat
                .lines()
                .take(6)
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes(),
            "no data rows",
        ),
        (
            "out-of-range.json",
            mpstat
                .replacen("\"usr\": 5.15", "\"usr\": 515.0", 1)
                .into_bytes(),
            "not a percentage",
        ),
    ];
    for (name, bytes, expected) in &cases {
        std::fs::write(dir.join(name), bytes).unwrap();
        let output = scratch.run(&["render", name, "--out", &format!("out-{name}")]);
        assert!(!output.status.success(), "{name} should fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(name),
            "{name}: error names the file: {stderr}"
        );
        assert!(
            stderr.contains(expected),
            "{name}: expected {expected:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    for (name, expected) in [
        ("dstat-0.8.0-total-only.csv", "no per-CPU columns"),
        ("mpstat-all-only.json", "no per-CPU data"),
    ] {
        let output = scratch.run(&["render", fixture(name).to_str().unwrap(), "--out", "never"]);
        assert!(!output.status.success(), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(name) && stderr.contains(expected),
            "{name}: {stderr}"
        );
    }
    assert!(
        !dir.join("never").exists(),
        "no output folder for a file that cannot be read"
    );
}

/// The `coreheat info --json` of this machine, made to say that CPUs 0 and 1
/// are the two SMT siblings of one core (the shape of the machine that
/// recorded the fixtures' `-C 0,1`).
fn info_json_with_cpus_0_and_1_on_one_core(scratch: &Scratch) -> serde_json::Value {
    let mut info: serde_json::Value =
        serde_json::from_str(&scratch.ok(&["info", "--json"])).unwrap();
    let sibling =
        |cpu: u32| serde_json::json!({"cpu": cpu, "package": 0, "core": 0, "siblings": [0, 1]});
    info["cpus"] = serde_json::json!([sibling(0), sibling(1)]);
    info["logical_cpus"] = 2.into();
    info["physical_cores"] = 1.into();
    info
}

#[test]
fn render_topology_of_another_cpu_count_is_refused_and_never_replaces_a_recorded_one() {
    let scratch = Scratch::new();
    let info = info_json_with_cpus_0_and_1_on_one_core(&scratch);
    // An 8-CPU, 4-core machine's info beside a 2-CPU trace: refused, exit 2.
    let mut eight = info.clone();
    eight["cpus"] = (0..8u32)
        .map(|cpu| serde_json::json!({"cpu": cpu, "package": 0, "core": cpu % 4, "siblings": []}))
        .collect();
    eight["logical_cpus"] = 8.into();
    eight["physical_cores"] = 4.into();
    std::fs::write(scratch.path().join("eight.json"), eight.to_string()).unwrap();
    let dstat = fixture("dstat-0.8.0-cpu.csv");
    let output = scratch.run(&[
        "render",
        dstat.to_str().unwrap(),
        "--topology",
        "eight.json",
        "--out",
        "refused",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has 2 CPUs (CPUs 0-1) but --topology eight.json lists 8 CPUs"),
        "{stderr}"
    );
    assert!(!scratch.path().join("refused").exists());

    // Another host's CPU model is not written into this trace's header.
    let mut elsewhere = info.clone();
    elsewhere["host"] = "elsewhere".into();
    elsewhere["cpu_model"] = "Made-up CPU 9000".into();
    std::fs::write(scratch.path().join("elsewhere.json"), elsewhere.to_string()).unwrap();
    scratch.ok(&[
        "render",
        dstat.to_str().unwrap(),
        "--topology",
        "elsewhere.json",
        "--out",
        "other-host",
    ]);
    let html = std::fs::read_to_string(scratch.path().join("other-host/report.html")).unwrap();
    assert!(!html.contains("Made-up CPU 9000"), "model borrowed");
    assert!(html.contains("recorded on vm: make sure it is the same machine"));

    // A coreheat trace keeps the topology it recorded (2 cores), and says so.
    let trace = fixture("coreheat-v1-hash-z6.jsonl");
    let output = scratch.run(&[
        "render",
        trace.to_str().unwrap(),
        "--topology",
        "elsewhere.json",
        "--out",
        "own",
    ]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("recorded its own CPU topology (2 physical cores)"),
        "{stderr}"
    );
    let html = std::fs::read_to_string(scratch.path().join("own/report.html")).unwrap();
    assert!(html.contains("<dd>2 logical, 2 physical cores</dd>"));
    assert!(html.contains("was not applied to it"));
    assert!(!html.contains("Made-up CPU 9000"));
}

/// A dstat CSV of 8 CPUs, 30 one-second samples, the CPUs of `busy` 98 % busy
/// and the others idle: what `dstat -t -c -C 0,...,7 --output` writes while
/// that many processes spin.
fn dstat_of_eight(busy: &[u32]) -> String {
    let mut csv = String::from(
        "\"Dstat 0.8.0 CSV output\"\n\"Host:\",\"box\",,,,\"User:\",\"me\"\n\
         \"Cmdline:\",\"dstat -t -c -C 0,1,2,3,4,5,6,7 --output x.csv\",,,,\"Date:\",\
         \"21 Nov 2026 10:00:00 UTC\"\n\"system\"",
    );
    for cpu in 0..8 {
        csv.push_str(&format!(",\"cpu{cpu} usage\",,,,"));
    }
    csv.push_str("\n\"time\"");
    for cpu in 0..8 {
        for field in ["usr", "sys", "idl", "wai", "stl"] {
            csv.push_str(&format!(",\"cpu{cpu} usage:{field}\""));
        }
    }
    csv.push('\n');
    for second in 0..30 {
        csv.push_str(&format!("21-11 10:00:{second:02}"));
        for cpu in 0..8 {
            csv.push_str(match busy.contains(&cpu) {
                true => ",97,1,2,0,0",
                false => ",0,0,100,0,0",
            });
        }
        csv.push('\n');
    }
    csv
}

#[test]
fn smt_siblings_both_busy_are_told_in_a_finding() {
    let scratch = Scratch::new();
    let mut info: serde_json::Value =
        serde_json::from_str(&scratch.ok(&["info", "--json"])).unwrap();
    info["host"] = "box".into();
    info["cpus"] = (0..8u32)
        .map(|cpu| {
            serde_json::json!({"cpu": cpu, "package": 0, "core": cpu % 4,
                "siblings": [cpu % 4, cpu % 4 + 4]})
        })
        .collect();
    info["logical_cpus"] = 8.into();
    info["physical_cores"] = 4.into();
    std::fs::write(scratch.path().join("info.json"), info.to_string()).unwrap();
    std::fs::write(
        scratch.path().join("eight.csv"),
        dstat_of_eight(&[0, 1, 2, 3, 4, 5, 6, 7]),
    )
    .unwrap();
    std::fs::write(
        scratch.path().join("four.csv"),
        dstat_of_eight(&[0, 1, 2, 3]),
    )
    .unwrap();
    for (file, out) in [("eight.csv", "eight"), ("four.csv", "four")] {
        scratch.ok(&["render", file, "--topology", "info.json", "--out", out]);
    }
    let eight = std::fs::read_to_string(scratch.path().join("eight/report.html")).unwrap();
    assert!(
        eight.contains(
            "<b>smt-siblings-busy</b>: SMT siblings shared cores: 4 of 4 cores had both \
             hyper-threads busy at once"
        ),
        "{eight}"
    );
    assert!(eight.contains("expect well under 2× one core"));
    // Four processes spread over four cores: no core was shared.
    let four = std::fs::read_to_string(scratch.path().join("four/report.html")).unwrap();
    assert!(!four.contains("smt-siblings-busy"));
    // Without --topology nothing is known of siblings.
    scratch.ok(&["render", "eight.csv", "--out", "flat"]);
    let flat = std::fs::read_to_string(scratch.path().join("flat/report.html")).unwrap();
    assert!(!flat.contains("smt-siblings-busy"));
}

#[test]
fn imports_without_a_topology_say_so_and_never_claim_cores() {
    let scratch = Scratch::new();
    for name in ["dstat-0.8.0-cpu.csv", "mpstat-P-ALL.json"] {
        let out = format!("out-{name}");
        scratch.ok(&["render", fixture(name).to_str().unwrap(), "--out", &out]);
        let html = std::fs::read_to_string(scratch.path().join(&out).join("report.html")).unwrap();
        assert!(
            html.contains("<dd>2 logical, topology unknown</dd>"),
            "{name}"
        );
        assert!(
            !html.contains("physical core</dd>") && !html.contains("physical cores</dd>"),
            "{name}: claims cores"
        );
        assert!(!html.contains("core 0 ·"), "{name}: a core group");
        assert!(
            html.contains(r#"<div class="glabel">topology unknown</div>"#),
            "{name}"
        );
        assert!(
            html.contains("<td>cpu0</td><td>—</td>"),
            "{name}: summary core"
        );
        assert!(
            html.contains("--topology INFO.json"),
            "{name}: how to add it"
        );
    }
    // mpstat -T records it.
    scratch.ok(&[
        "render",
        fixture("mpstat-P-ALL-T.json").to_str().unwrap(),
        "--out",
        "t",
    ]);
    let html = std::fs::read_to_string(scratch.path().join("t/report.html")).unwrap();
    assert!(!html.contains("topology unknown"));
}

#[test]
fn render_topology_groups_an_imports_cpus_by_core() {
    let scratch = Scratch::new();
    let info = info_json_with_cpus_0_and_1_on_one_core(&scratch);
    std::fs::write(scratch.path().join("info.json"), info.to_string()).unwrap();
    let dstat = fixture("dstat-0.8.0-cpu.csv");
    scratch.ok(&[
        "render",
        dstat.to_str().unwrap(),
        "--topology",
        "info.json",
        "--out",
        "grouped",
    ]);
    let html = std::fs::read_to_string(scratch.path().join("grouped/report.html")).unwrap();
    assert_eq!(
        html.matches(r#"<div class="glabel">core 0 · cpu0 cpu1</div>"#)
            .count(),
        2,
        "busy and kernel maps group both CPUs under one core"
    );
    assert!(html.contains("<dd>2 logical, 1 physical core</dd>"));
    assert!(html.contains("CPU topology from info.json"));
    assert!(!html.contains("topology unknown"));

    // An info of a machine without the trace's cpu1: refused, naming both.
    let mut smaller = info.clone();
    smaller["cpus"] = serde_json::json!([info["cpus"][0]]);
    std::fs::write(scratch.path().join("small.json"), smaller.to_string()).unwrap();
    let output = scratch.run(&[
        "render",
        dstat.to_str().unwrap(),
        "--topology",
        "small.json",
        "--out",
        "refused",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has 2 CPUs (CPUs 0-1) but --topology small.json lists 1 CPU (CPU 0)"),
        "{stderr}"
    );
    assert!(!scratch.path().join("refused").exists());

    // Not an info --json at all.
    let output = scratch.run(&[
        "render",
        dstat.to_str().unwrap(),
        "--topology",
        dstat.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("coreheat info --json"), "{stderr}");
}

#[test]
fn a_missing_file_is_one_line_naming_it_and_the_cause() {
    let scratch = Scratch::new();
    let output = scratch.run(&["render", "nope.csv"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "coreheat: error: cannot read nope.csv: No such file or directory (os error 2)"
    );
    let output = scratch.run(&["render", "nope.csv", "gone.jsonl"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("nope.csv").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 2, "{stderr}");
}
