//! Files that try to hurt: what `coreheat render` does with a FIFO, a device, a
//! folder, endless or huge lines, absurd CPU counts and values, byte-order
//! marks, cut last lines, and a bad file among good ones. Every run is bounded
//! in memory and time (`Scratch::run_bounded`), so a regression fails the test
//! instead of eating the machine or hanging.

mod common;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::Scratch;
use serde_json::{Value, json};

const FORMATS: [&str; 4] = ["auto", "coreheat", "dstat", "mpstat"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts that coreheat refused the input with an error (exit 2, no crash)
/// whose text holds every one of `expected`, and returns that text.
fn assert_refused(output: &Output, what: &str, expected: &[&str]) -> String {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{what}: {text}");
    for part in expected {
        assert!(text.contains(part), "{what}: expected {part:?} in {text}");
    }
    assert!(!text.contains("panicked"), "{what}: {text}");
    text
}

/// A real coreheat trace (header, samples, end) as JSON values, one per line.
fn trace_lines(cpus: u32, samples: u64) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.jsonl");
    coreheat::synthetic::write_trace(&path, cpus, samples, 1.0).unwrap();
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn write_lines(path: &Path, lines: &[Value]) {
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(path, text.join("\n") + "\n").unwrap();
}

/// A file of `len` zero bytes that takes no disk space, then `tail`.
fn sparse_file(path: &Path, len: u64, tail: &[u8]) {
    let mut file = File::create(path).unwrap();
    file.set_len(len).unwrap();
    use std::io::Seek;
    file.seek(std::io::SeekFrom::End(0)).unwrap();
    file.write_all(tail).unwrap();
}

#[test]
fn fifos_devices_and_folders_are_refused_by_name_without_blocking() {
    let scratch = Scratch::new();
    let fifo = scratch.path().join("pipe");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads the NUL-terminated path only.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    std::fs::create_dir(scratch.path().join("folder")).unwrap();
    for (input, kind) in [
        ("pipe", "is a FIFO"),
        ("/dev/zero", "is a character device"),
        ("folder", "is a folder"),
    ] {
        for format in FORMATS {
            let output =
                scratch.run_bounded(&["render", input, "--format", format, "--out", "never"]);
            assert_refused(&output, &format!("{input} as {format}"), &[input, kind]);
        }
    }
    assert!(!scratch.path().join("never").exists());
}

#[test]
fn over_long_lines_and_huge_files_are_refused_without_echoing_them() {
    let scratch = Scratch::new();
    let nul_line = scratch.path().join("nul-line.csv");
    sparse_file(&nul_line, 50 << 20, b"\nmore\n");
    for format in ["dstat", "coreheat"] {
        let output = scratch.run_bounded(&["render", "nul-line.csv", "--format", format]);
        let text = assert_refused(
            &output,
            format,
            &["nul-line.csv:1:", "line is longer than 4 MiB"],
        );
        assert!(
            text.len() < 1000,
            "{format}: {} bytes of message",
            text.len()
        );
    }

    sparse_file(&scratch.path().join("huge.json"), 300 << 20, b"");
    let output = scratch.run_bounded(&["render", "huge.json", "--format", "mpstat"]);
    assert_refused(
        &output,
        "mpstat",
        &["huge.json is 300 MiB, more than the 256 MiB"],
    );

    let long = "x".repeat(100_000);
    let dstat = fixture_text("dstat-0.8.0-cpu.csv").replace("74.747", &long);
    std::fs::write(scratch.path().join("long-value.csv"), dstat).unwrap();
    let mpstat =
        fixture_text("mpstat-P-ALL.json").replace(r#""cpu": "1""#, &format!(r#""cpu": "{long}""#));
    std::fs::write(scratch.path().join("long-cpu.json"), mpstat).unwrap();
    let mut trace = trace_lines(2, 3);
    trace.insert(2, json!({"t": 1.5, "event": long}));
    write_lines(&scratch.path().join("long-event.jsonl"), &trace);
    for name in ["long-value.csv", "long-cpu.json", "long-event.jsonl"] {
        let output = scratch.run_bounded(&["render", name, "--out", "never"]);
        let text = assert_refused(&output, name, &[name]);
        assert!(
            text.len() < 1000,
            "{name}: {} bytes of message: {text}",
            text.len()
        );
    }
}

#[test]
fn cpu_counts_beyond_what_linux_supports_are_refused() {
    let scratch = Scratch::new();
    let mut trace = trace_lines(2, 1);
    let cpus: Vec<Value> = (0..100_000)
        .map(|cpu| json!({"cpu": cpu, "core": 0, "package": 0}))
        .collect();
    trace[0]["meta"]["cpus"] = Value::Array(cpus);
    write_lines(&scratch.path().join("wide.jsonl"), &trace[..1]);

    let columns: Vec<String> = (0..9000)
        .map(|cpu| format!(r#""cpu{cpu} usage:usr","cpu{cpu} usage:idl""#))
        .collect();
    let groups: Vec<String> = (0..9000)
        .map(|cpu| format!(r#""cpu{cpu} usage","#))
        .collect();
    let row = format!("1795306804{}", ",1,99".repeat(9000));
    let dstat = format!(
        "\"Dstat 0.8.0 CSV output\"\n\"epoch\",{}\n\"epoch\",{}\n{row}\n{row}\n",
        groups.join(","),
        columns.join(",")
    );
    std::fs::write(scratch.path().join("wide.csv"), dstat).unwrap();

    let loads: Vec<Value> = (0..9000)
        .map(|cpu| json!({"cpu": cpu.to_string(), "usr": 1.0, "idle": 99.0}))
        .collect();
    let mpstat = json!({"sysstat": {"hosts": [{"date": "11/21/26", "statistics": [
        {"timestamp": "23:17:26", "cpu-load": loads}
    ]}]}});
    std::fs::write(scratch.path().join("wide.json"), mpstat.to_string()).unwrap();

    for (name, count) in [
        ("wide.jsonl", "100000 CPUs"),
        ("wide.csv", "9000 CPUs"),
        ("wide.json", "9000 CPUs"),
    ] {
        let output = scratch.run_bounded(&["render", name, "--out", "never"]);
        assert_refused(&output, name, &[name, count, "at most 8192"]);
    }
}

fn png_height(path: &Path) -> u32 {
    let decoder = png::Decoder::new(std::io::BufReader::new(File::open(path).unwrap()));
    decoder.read_info().unwrap().info().height
}

#[test]
fn thousands_of_cpus_draw_within_a_fixed_pixel_budget() {
    let scratch = Scratch::new();
    let trace = scratch.path().join("big.jsonl");
    coreheat::synthetic::write_trace(&trace, 8192, 3, 1.0).unwrap();
    let output = scratch.run_bounded(&["render", "big.jsonl", "--out", "big"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let dir = scratch.path().join("big");
    for png in ["heatmap.png", "cores.png"] {
        let height = png_height(&dir.join(png));
        assert!(height <= 4000, "{png} is {height} pixels high");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.len() < 4 << 20, "report.html is {} bytes", html.len());
    let busy_map = html.split("heatmap kernel").next().unwrap();
    let rows = busy_map.matches(r#"<div class="row"#).count();
    assert!((300..=400).contains(&rows), "{rows} rows in the busy map");
    assert!(
        busy_map.contains(r#"data-cpu="cpu0–cpu20""#),
        "rows of 21 CPUs"
    );
    assert!(busy_map.contains("8192 CPUs, 21 per row"));
}

/// Broken copies of real files, each with the words its error must hold.
fn out_of_range_cases() -> Vec<(&'static str, String, &'static str)> {
    let trace = trace_lines(2, 3);
    let with = |edit: &dyn Fn(&mut Vec<Value>)| {
        let mut lines = trace.clone();
        edit(&mut lines);
        let text: Vec<String> = lines.iter().map(Value::to_string).collect();
        text.join("\n") + "\n"
    };
    let dstat = fixture_text("dstat-0.8.0-epoch.csv");
    let plain_dstat = fixture_text("dstat-0.8.0-cpu.csv");
    let mpstat = fixture_text("mpstat-P-ALL.json");
    vec![
        (
            "usr-negative.jsonl",
            with(&|l| {
                l[0]["meta"]["cpu_unit"] = json!("percent");
                l[2]["cpus"][0][0] = json!(-1e308);
            }),
            ":3: cpu0: usr: -1e308 is not a percentage",
        ),
        (
            "usr-huge.jsonl",
            with(&|l| {
                l[0]["meta"]["cpu_unit"] = json!("percent");
                l[2]["cpus"][1][0] = json!(1e308);
            }),
            ":3: cpu1: usr: 1e308 is not a percentage",
        ),
        (
            "interval.jsonl",
            with(&|l| l[0]["meta"]["interval_s"] = json!(1e308)),
            ":1: the header has interval_s 1e308",
        ),
        (
            "logical.jsonl",
            with(&|l| l[0]["meta"]["logical_cpus"] = json!(100_000)),
            "claims 100000 logical CPUs",
        ),
        (
            "allowed.jsonl",
            with(&|l| l[0]["meta"]["allowed_cpus"] = json!([0, 99_999])),
            "may use cpu99999, which its CPU list does not have",
        ),
        (
            "backwards.jsonl",
            with(&|l| l[3]["t"] = json!(0.5)),
            ":4: time 0.5 is before the previous sample's 2",
        ),
        (
            "after-end.jsonl",
            with(&|l| l.push(l[1].clone())),
            ":6: a line after the end line",
        ),
        (
            "twice.jsonl",
            with(&|l| l[0]["meta"]["cpus"][1]["cpu"] = json!(0)),
            ":1: the header lists cpu0 twice",
        ),
        (
            "wall.jsonl",
            with(&|l| l[4]["end"]["wall_s"] = json!(1e308)),
            ":5: wall_s 1e308 is not a number of seconds",
        ),
        (
            "backwards.csv",
            dstat.replace("1795306806.172", "1795306803.172"),
            ":9: time '1795306803.172' is before the row above it",
        ),
        (
            "twice.csv",
            dstat
                .replace(r#""cpu1 usage",,,,"#, r#""cpu0 usage",,,,"#)
                .replace("cpu1 usage:", "cpu0 usage:"),
            ":6: column 7 is a second 'cpu0 usage:usr' column of cpu0",
        ),
        (
            "huge.csv",
            dstat.replace("99.010,0.990", "1e308,0.990"),
            ":8: '1e308' is not a percentage",
        ),
        (
            "cpu-minus.csv",
            plain_dstat
                .replace(r#""cpu1 usage","#, r#""cpu-1 usage","#)
                .replace("cpu1 usage:", "cpu-1 usage:"),
            ":6: column 7 (group 'cpu-1 usage') names no CPU number",
        ),
        (
            "cpu-huge.csv",
            plain_dstat
                .replace(r#""cpu1 usage","#, r#""cpu99999999999 usage","#)
                .replace("cpu1 usage:", "cpu99999999999 usage:"),
            ":6: column 7 (group 'cpu99999999999 usage') names a CPU beyond",
        ),
        (
            "cpu-use-minus.csv",
            fixture_text("dstat-0.8.0-cpu-use.csv")
                .replace(r#""time","0","1""#, r#""time","0","-1""#),
            ":6: column 3 ('-1' under 'per cpu usage') names no CPU number",
        ),
        (
            "extra-value.csv",
            plain_dstat.replace("26.733,1.980,71.287,0,0", "26.733,1.980,71.287,0,0,5"),
            ":8: the row has 12 values, the header 11 columns",
        ),
        (
            "short-row.csv",
            plain_dstat.replace(
                "21-11 23:36:15,0,0,100,0,0,26.733,1.980,71.287,0,0",
                "21-11 23:36:15,0,0",
            ),
            ":8: the row has 3 values, the header 11 columns",
        ),
        (
            "backwards.json",
            mpstat.replace("23:17:27", "23:17:20"),
            "statistic 2: time 23:17:20 is 6s before the statistic above it",
        ),
        (
            "twice.json",
            mpstat.replacen(r#"{"cpu": "1""#, r#"{"cpu": "0""#, 1),
            "statistic 1: cpu 0 is listed twice",
        ),
        (
            "negative.json",
            mpstat.replacen(r#""usr": 5.15"#, r#""usr": -1e308"#, 1),
            "cpu 0: usr: -1e308 is not a percentage",
        ),
    ]
}

/// Broken copies of a version-2 trace's CPU rows and of their description in
/// the header, and of a version-1 trace, each with the words its error must hold.
fn row_cases() -> Vec<(&'static str, String, &'static str)> {
    let trace = trace_lines(2, 3);
    let with = |edit: &dyn Fn(&mut Vec<Value>)| {
        let mut lines = trace.clone();
        edit(&mut lines);
        let text: Vec<String> = lines.iter().map(Value::to_string).collect();
        text.join("\n") + "\n"
    };
    let v1 = fixture_text("coreheat-v1-hash-z6.jsonl");
    vec![
        (
            "ticks-negative.jsonl",
            with(&|l| l[2]["cpus"][0][0] = json!(-1)),
            ":3: cpu0: usr: -1 is not a number of ticks",
        ),
        (
            "ticks-fraction.jsonl",
            with(&|l| l[3]["cpus"][1][2] = json!(0.5)),
            ":4: cpu1: sys: 0.5 is not a number of ticks",
        ),
        (
            "ticks-huge.jsonl",
            with(&|l| l[2]["cpus"][1][3] = json!(1e308)),
            ":3: cpu1: idle: 1e308 is not a number of ticks",
        ),
        (
            "row-short.jsonl",
            with(&|l| l[2]["cpus"][0] = json!([1, 2, 3, 4, 5, 6, 7])),
            ":3: a CPU row has 7 numbers; version 2 rows have 8",
        ),
        (
            "row-object.jsonl",
            with(&|l| l[2]["cpus"][0] = json!({"usr": 100})),
            ":3: invalid type: map, expected a CPU row of 8 numbers",
        ),
        (
            "fields-order.jsonl",
            with(&|l| l[0]["meta"]["cpu_fields"][2] = json!("idle")),
            ":1: the header has cpu_fields 'idle' where version 2 has 'sys' (field 3)",
        ),
        (
            "fields-missing.jsonl",
            with(&|l| l[0]["meta"]["cpu_fields"] = json!([])),
            ":1: the header has no cpu_fields",
        ),
        (
            "fields-more.jsonl",
            with(&|l| {
                let fields = l[0]["meta"]["cpu_fields"].as_array_mut().unwrap();
                fields.push(json!("guest"));
            }),
            ":1: the header has 9 cpu_fields",
        ),
        (
            "unit-unknown.jsonl",
            with(&|l| l[0]["meta"]["cpu_unit"] = json!("permille")),
            "unknown variant `permille`, expected `ticks` or `percent`",
        ),
        (
            "unit-missing.jsonl",
            with(&|l| l[0]["meta"]["cpu_unit"] = Value::Null),
            ":1: the header has no cpu_unit; version 2 says ticks or percent",
        ),
        (
            "tick-rate.jsonl",
            with(&|l| l[0]["meta"]["ticks_per_s"] = json!(0)),
            ":1: the header has ticks_per_s 0; a tick rate is 1 to 100000 a second",
        ),
        (
            "version.jsonl",
            with(&|l| l[0]["version"] = json!(3)),
            ":1: trace format version 3 is not supported",
        ),
        (
            "v1-usr.jsonl",
            v1.replacen(r#""usr":90.0"#, r#""usr":-1e308"#, 1),
            ":2: cpu0: usr: -1e308 is not a percentage",
        ),
    ]
}

#[test]
fn every_reader_refuses_values_out_of_range_and_times_going_backwards() {
    let scratch = Scratch::new();
    for (name, text, expected) in out_of_range_cases().into_iter().chain(row_cases()) {
        std::fs::write(scratch.path().join(name), text).unwrap();
        let output = scratch.run_bounded(&["render", name, "--out", "never"]);
        let message = assert_refused(&output, name, &[name, expected]);
        assert!(!message.contains("inf"), "{name}: {message}");
    }
    assert!(!scratch.path().join("never").exists());
}

#[test]
fn a_byte_order_mark_is_read_alike_by_detection_and_every_reader() {
    let scratch = Scratch::new();
    let trace: Vec<String> = trace_lines(2, 3).iter().map(Value::to_string).collect();
    for (name, text, format) in [
        ("bom.jsonl", trace.join("\n") + "\n", "coreheat"),
        ("bom.csv", fixture_text("dstat-0.8.0-cpu.csv"), "dstat"),
        ("bom.json", fixture_text("mpstat-P-ALL.json"), "mpstat"),
    ] {
        std::fs::write(scratch.path().join(name), format!("\u{feff}{text}")).unwrap();
        for given in ["auto", format] {
            let out = format!("out-{name}-{given}");
            let output = scratch.run_bounded(&["render", name, "--format", given, "--out", &out]);
            assert!(
                output.status.success(),
                "{name} as {given}: {}",
                stderr(&output)
            );
            let html = std::fs::read_to_string(scratch.path().join(&out).join("report.html"));
            assert!(
                html.unwrap().contains(r#"data-cpu="cpu1""#),
                "{name} as {given}"
            );
        }
    }
}

#[test]
fn a_cut_last_line_is_ignored_whatever_its_length() {
    let scratch = Scratch::new();
    let mut trace: Vec<String> = trace_lines(2, 3).iter().map(Value::to_string).collect();
    trace.pop(); // the end line: the writer was killed in the next sample
    let mut cut = trace.join("\n") + "\n" + r#"{"t":4.0,"cpus":[{"usr":"#;
    cut.push_str(&"1".repeat(9 << 20));
    std::fs::write(scratch.path().join("cut.jsonl"), cut).unwrap();

    let dstat = fixture_text("dstat-0.8.0-cpu.csv");
    let cut_row = &dstat.trim_end()[..dstat.trim_end().len() - 20];
    std::fs::write(scratch.path().join("cut.csv"), cut_row).unwrap();

    for (name, shown) in [
        ("cut.jsonl", "no end line"),
        ("cut.csv", "The last line was cut off"),
    ] {
        let out = format!("out-{name}");
        let output = scratch.run_bounded(&["render", name, "--out", &out]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let html = std::fs::read_to_string(scratch.path().join(&out).join("report.html")).unwrap();
        assert!(html.contains(shown), "{name}: {shown:?}");
    }
}

#[test]
fn render_draws_the_good_files_names_the_bad_one_and_exits_1() {
    let scratch = Scratch::new();
    std::fs::write(scratch.path().join("notes.txt"), "not a trace\n").unwrap();
    let dstat = fixture("dstat-0.8.0-cpu.csv");
    let mpstat = fixture("mpstat-P-ALL-T.json");
    let output = scratch.run_bounded(&[
        "render",
        dstat.to_str().unwrap(),
        "notes.txt",
        mpstat.to_str().unwrap(),
        "--out",
        "some",
    ]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("coreheat: error: notes.txt: not a coreheat trace")
            && text.matches("notes.txt").count() == 1,
        "{text}"
    );
    assert!(text.contains("1 of 3 files could not be read"), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.trim().ends_with("some/report.html"), "{stdout}");
    let html = std::fs::read_to_string(scratch.path().join("some/report.html")).unwrap();
    assert_eq!(html.matches(r#"<section class="trace""#).count(), 2);
    assert!(html.contains("dstat-0.8.0-cpu.csv") && html.contains("mpstat-P-ALL-T.json"));

    let output = scratch.run_bounded(&["render", "notes.txt", "/dev/null", "--out", "none"]);
    assert_refused(
        &output,
        "only bad files",
        &[
            "none of the 2 files",
            "notes.txt",
            "/dev/null is a character device",
        ],
    );
    assert!(!scratch.path().join("none").exists());
}

#[test]
fn a_topology_fifo_is_refused_without_blocking() {
    let scratch = Scratch::new();
    let fifo = scratch.path().join("info.json");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads the NUL-terminated path only.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    std::fs::write(
        scratch.path().join("dstat.csv"),
        fixture_text("dstat-0.8.0-cpu.csv"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let output = scratch.run_bounded(&[
        "render",
        "dstat.csv",
        "--topology",
        "info.json",
        "--out",
        "never",
    ]);
    assert_refused(
        &output,
        "--topology FIFO",
        &["--topology", "info.json", "FIFO"],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(!scratch.path().join("never").exists());
}

#[test]
fn a_huge_manifest_is_not_read_whole() {
    let scratch = Scratch::new();
    let dir = scratch.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    write_lines(&dir.join("trace.jsonl"), &trace_lines(2, 5));
    // 3 GB that takes no disk: read whole, it would take 3 GB of memory.
    sparse_file(&dir.join(".coreheat-files.json"), 3 << 30, b"}");
    let child = scratch
        .command(&["render", "run/trace.jsonl"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // SAFETY: wait4 writes only into the status and rusage we pass.
    let (status, usage) = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        let pid = libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage);
        assert_eq!(pid, child.id() as libc::pid_t);
        (status, usage)
    };
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 2);
    assert!(
        usage.ru_maxrss < 200 << 10,
        "peak memory {} kB: the manifest was read whole",
        usage.ru_maxrss
    );
    let output = scratch.run_bounded(&["render", "run/trace.jsonl"]);
    assert_refused(
        &output,
        "a 3 GB manifest",
        &[".coreheat-files.json", "--out"],
    );
    assert!(!dir.join("report.html").exists());
    std::mem::forget(child); // reaped by wait4
}
