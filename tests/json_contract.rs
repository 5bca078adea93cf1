//! The JSON contract (docs/json-output.md): `run --json`, `sweep --json`,
//! `sweep.json` and `info --json` have exactly the fields the page lists, every
//! object's keys in alphabetical order, and big integers exactly; a trace
//! header's workload of a kind coreheat does not know, or with options it
//! cannot read, still reads.

mod common;

use std::collections::BTreeSet;
use std::fmt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use common::{Scratch, signal};

/// A JSON value as written: objects keep their keys in the order of the text.
#[derive(Debug)]
enum Written {
    Object(Vec<(String, Written)>),
    Array(Vec<Written>),
    Scalar,
}

impl<'de> Deserialize<'de> for Written {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Written, D::Error> {
        struct WrittenVisitor;
        impl<'de> Visitor<'de> for WrittenVisitor {
            type Value = Written;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Written, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Written::Object(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Written, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Written::Array(items))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Written, E> {
                Ok(Written::Scalar)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Written, E> {
                Ok(Written::Scalar)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Written, E> {
                Ok(Written::Scalar)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Written, E> {
                Ok(Written::Scalar)
            }
            fn visit_str<E>(self, _: &str) -> Result<Written, E> {
                Ok(Written::Scalar)
            }
            fn visit_unit<E>(self) -> Result<Written, E> {
                Ok(Written::Scalar)
            }
        }
        deserializer.deserialize_any(WrittenVisitor)
    }
}

/// The field names docs/json-output.md lists in the sections whose headings
/// contain one of `headings`: `dir`, `per_worker[].index`, `sampler.cpu_s`...
fn documented(headings: &[&str]) -> BTreeSet<String> {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json-output.md"))
        .expect("docs/json-output.md");
    let mut fields = BTreeSet::new();
    let mut inside = false;
    for line in page.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            inside = headings.iter().any(|h| heading.contains(h));
        }
        let Some(row) = line.strip_prefix("| `").filter(|_| inside) else {
            continue;
        };
        let first_cell = row.split(" |").next().unwrap_or_default();
        for name in format!("`{first_cell}").split('`').skip(1).step_by(2) {
            fields.insert(name.to_string());
        }
    }
    fields
}

/// Checks `value` (found at `path`) and everything in it against the
/// documented fields: the top-level keys are exactly those documented, a nested
/// object documented field by field has none besides its documented ones, and
/// the keys of every object are in alphabetical order.
fn check(path: &str, value: &Written, fields: &BTreeSet<String>, problems: &mut Vec<String>) {
    match value {
        Written::Object(entries) => {
            let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            if keys != sorted {
                problems.push(format!(
                    "keys of '{path}' not in alphabetical order: {keys:?}"
                ));
            }
            let prefix = if path.is_empty() {
                String::new()
            } else {
                format!("{path}.")
            };
            let listed: BTreeSet<&str> = fields
                .iter()
                .filter_map(|f| f.strip_prefix(prefix.as_str()))
                .filter(|f| !f.contains('.'))
                .map(|f| f.trim_end_matches("[]"))
                .collect();
            let present: BTreeSet<&str> = keys.iter().copied().collect();
            for key in present.difference(&listed) {
                if path.is_empty() || !listed.is_empty() {
                    problems.push(format!("'{prefix}{key}' is not in docs/json-output.md"));
                }
            }
            if path.is_empty() {
                for key in listed.difference(&present) {
                    problems.push(format!("documented '{key}' is missing"));
                }
            }
            for (key, inner) in entries {
                check(&format!("{prefix}{key}"), inner, fields, problems);
            }
        }
        Written::Array(items) => {
            for item in items {
                check(&format!("{path}[]"), item, fields, problems);
            }
        }
        Written::Scalar => {}
    }
}

/// Asserts that the JSON text `text` of `output` matches the sections `headings`.
fn assert_documented(output: &str, text: &str, headings: &[&str]) {
    let fields = documented(headings);
    assert!(
        fields.len() > 5,
        "docs/json-output.md lists no fields for {output}"
    );
    let written: Written =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{output}: bad JSON ({e}): {text}"));
    let mut problems = Vec::new();
    check("", &written, &fields, &mut problems);
    assert!(
        problems.is_empty(),
        "{output}:\n{}\n{text}",
        problems.join("\n")
    );
}

const RUN: &[&str] = &["`run --json`"];

#[test]
fn run_json_of_every_workload_has_the_documented_fields() {
    let scratch = Scratch::new();
    let mut runs: Vec<Vec<&str>> = [
        "--pin spread --workers 1 hash --zeros 2",
        "--mode processes --workers 2 count --n 2^16",
        "--workers 2 count --n 2^16 --split",
        "idle --duration 200ms",
    ]
    .iter()
    .map(|args| args.split(' ').collect())
    .collect();
    runs.push(vec!["exec", "--", "sh", "-c", "kill -9 $$"]);
    for args in &runs {
        let mut all = vec!["run", "--json", "--interval", "100ms", "--baseline", "0"];
        all.extend_from_slice(args);
        let output = scratch.run(&all);
        let text = String::from_utf8(output.stdout).unwrap();
        assert_documented(&format!("run --json {args:?}"), &text, RUN);
    }
}

#[test]
fn sweep_json_and_sweep_file_have_the_documented_fields() {
    let scratch = Scratch::new();
    let stdout = scratch.ok(&[
        "sweep",
        "--json",
        "--interval",
        "100ms",
        "--baseline",
        "0",
        "--repeat",
        "1",
        "--workers",
        "1,2",
        "--out",
        "sw",
        "hash",
        "--zeros",
        "2",
    ]);
    assert_documented(
        "sweep --json",
        &stdout,
        &["`sweep --json`", "The comparison"],
    );
    let file = std::fs::read_to_string(scratch.path().join("sw/sweep.json")).unwrap();
    assert_documented("sweep.json", &file, &["`sweep.json`", "The comparison"]);
}

#[test]
fn info_json_has_the_documented_fields() {
    let scratch = Scratch::new();
    let stdout = scratch.ok(&["info", "--json"]);
    assert_documented("info --json", &stdout, &["`info --json`"]);
}

/// What [`check`] finds wrong with `text` as a `run --json` output.
fn run_json_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let written = serde_json::from_str(text).unwrap();
    check("", &written, &documented(RUN), &mut problems);
    problems
}

#[test]
fn a_field_renamed_or_unsorted_is_caught() {
    let renamed = run_json_problems(r#"{"cpus":[],"per_worker":[{"index":0,"user_secs":1.0}]}"#);
    assert!(
        renamed.contains(&"'per_worker[].user_secs' is not in docs/json-output.md".to_string()),
        "{renamed:?}"
    );
    assert!(renamed.contains(&"documented 'wall_s' is missing".to_string()));
    let unsorted = run_json_problems(r#"{"sampler":{"max_lateness_ms":1.0,"cpu_s":0.1}}"#);
    assert!(
        unsorted
            .iter()
            .any(|p| p.starts_with("keys of 'sampler' not in alphabetical order")),
        "{unsorted:?}"
    );
}

/// `count --n 2^64` (the largest `--n`) made coreheat panic as it wrote the
/// trace header; interrupted, it now ends as any run and writes `n` exactly.
#[test]
fn a_count_of_two_to_the_64_is_written_exactly() {
    let scratch = Scratch::new();
    let args: Vec<&str> = "run --json --interval 100ms --workers 2 --out big count --n 2^64"
        .split(' ')
        .collect();
    let child = scratch
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let trace = scratch.path().join("big/trace.jsonl");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&trace).is_ok_and(|t| t.contains("workload_start")) {
        assert!(
            Instant::now() < deadline,
            "the run never started its workload"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(child.id(), "INT");
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains(r#""n":18446744073709551616"#), "{stdout}");
    assert!(stdout.contains(r#""status":"interrupted""#), "{stdout}");
    let header = std::fs::read_to_string(&trace).unwrap();
    assert!(
        header.contains(r#""workload":{"kind":"count","n":18446744073709551616,"split":false}"#),
        "{header}"
    );
    scratch.ok(&["render", "big/trace.jsonl", "--out", "drawn"]);
    let html = std::fs::read_to_string(scratch.path().join("drawn/report.html")).unwrap();
    assert!(
        html.contains("<title>coreheat · count, 2 threads"),
        "read back as a count"
    );
}

/// A 2-CPU trace of one sample with `workload` as given (`None`: no such field).
fn trace_with_workload(workload: Option<&str>) -> String {
    let workload = workload.map_or(String::new(), |w| format!(r#","workload":{w}"#));
    let idle = r#"{"usr":0.0,"nice":0.0,"sys":0.0,"idle":100.0,"iowait":0.0,"irq":0.0,"softirq":0.0,"steal":0.0}"#;
    format!(
        r#"{{"format":"coreheat-trace","version":1,"meta":{{"tool":"coreheat 0.1.0","host":"h","os":"linux","kernel":"6","cpu_model":"cpu","logical_cpus":2,"physical_cores":2,"cpus":[{{"cpu":0,"core":0,"package":0}},{{"cpu":1,"core":1,"package":0}}],"interval_s":1.0,"start":"2026-11-22T10:00:00.000+00:00","command":"coreheat run"{workload},"mode":"threads","workers":2}}}}
{{"t":1.0,"cpus":[{idle},{idle}]}}
{{"t":1.0,"end":{{"status":"ok","wall_s":1.0,"user_s":0.0,"sys_s":0.0}}}}
"#
    )
}

#[test]
fn a_trace_whose_workload_is_unknown_or_malformed_still_reads() {
    let scratch = Scratch::new();
    let cases = [
        (
            "unknown-kind",
            Some(r#"{"kind":"quantum","qubits":5}"#),
            None,
        ),
        ("malformed", Some(r#"{"kind":"hash","zeros":"many"}"#), None),
        ("not-an-object", Some(r#""hash""#), None),
        ("null", Some("null"), None),
        ("absent", None, None),
        (
            "hash",
            Some(r#"{"engine":"auto","engine_used":"scalar","kind":"hash","prefix":"","zeros":5}"#),
            Some("hash, 2 threads"),
        ),
        (
            "closure",
            Some(r#"{"kind":"closure"}"#),
            Some("closure, 2 threads"),
        ),
    ];
    for (name, workload, kind) in cases {
        let file = format!("{name}.jsonl");
        std::fs::write(scratch.path().join(&file), trace_with_workload(workload)).unwrap();
        scratch.ok(&["render", &file, "--out", name]);
        let html = std::fs::read_to_string(scratch.path().join(name).join("report.html")).unwrap();
        let title = format!("<title>coreheat · {}<", kind.unwrap_or("coreheat 0.1.0"));
        assert!(html.contains(&title), "{name}: {title} in the report");
    }
}
