//! Property-based fuzzing (proptest) of every reader of untrusted input: the
//! trace reader and the report's summary of it, both importers, and the option
//! parsers. Inputs are random bytes, real files with random damage (bytes
//! flipped, cut, spliced; version-2 traces and a version-1 one), and version-2
//! lines of random rows. The property: a result or a clear error, never a
//! panic. Cases per property: PROPTEST_CASES (default 5000 here).

use std::io::Cursor;
use std::path::Path;

use coreheat::import::{dstat, mpstat};
use coreheat::summary::trace_summary::TraceSummary;
use coreheat::trace::TraceReader;
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// A small but real trace, as coreheat writes it.
fn real_trace() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.jsonl");
    coreheat::synthetic::write_trace(&path, 4, 12, 1.0).unwrap();
    std::fs::read(path).unwrap()
}

/// The header of a real (version-2, ticks) trace with its `cpu_unit` set to `unit`.
fn header_with_unit(unit: &str) -> String {
    let text = String::from_utf8(real_trace()).unwrap();
    let mut header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    header["meta"]["cpu_unit"] = serde_json::json!(unit);
    header.to_string()
}

/// A number as it may appear in a row: mostly a tick count (a valid
/// percentage too), sometimes any float, a huge or negative integer, or not a
/// number at all.
fn row_number() -> impl Strategy<Value = String> {
    prop_oneof![
        100 => (0u64..=100).prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|x| serde_json::json!(x).to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| format!("{n}0")),
        1 => Just("\"7\"".to_string()),
        1 => Just("null".to_string()),
    ]
}

/// The CPU rows of a sample: mostly the header's 4 rows of 8 numbers.
fn rows() -> impl Strategy<Value = String> {
    let length = prop_oneof![8 => Just(8usize), 1 => 0usize..10];
    let row = length
        .prop_flat_map(|n| proptest::collection::vec(row_number(), n))
        .prop_map(|numbers| format!("[{}]", numbers.join(",")));
    let count = prop_oneof![8 => Just(4usize), 1 => 0usize..6];
    count
        .prop_flat_map(move |n| proptest::collection::vec(row.clone(), n))
        .prop_map(|rows| rows.join(","))
}

/// A line after the header: a sample (with or without per-task data), an
/// event, or a line of a kind the reader does not know.
fn v2_line() -> impl Strategy<Value = String> {
    prop_oneof![
        (0.0f64..100.0, rows(), any::<bool>()).prop_map(|(t, rows, tasks)| {
            let tasks = if tasks { r#","tasks":[{"pid":1}]"# } else { "" };
            format!(r#"{{"t":{t},"cpus":[{rows}]{tasks}}}"#)
        }),
        (0.0f64..100.0).prop_map(|t| format!(r#"{{"t":{t},"event":"workload_start"}}"#)),
        (0.0f64..100.0).prop_map(|t| format!(r#"{{"t":{t},"task":{{"pid":7}}}}"#)),
    ]
}

/// Damage to apply to a valid input.
#[derive(Debug, Clone)]
enum Damage {
    Flip { at: usize, byte: u8 },
    Cut { at: usize },
    Splice { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Damage::Flip { at, byte }),
        any::<usize>().prop_map(|at| Damage::Cut { at }),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(at, bytes)| Damage::Splice { at, bytes }),
        (any::<usize>(), 0usize..64).prop_map(|(at, len)| Damage::Remove { at, len }),
    ]
}

fn apply(mut bytes: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        if bytes.is_empty() {
            break;
        }
        match d {
            Damage::Flip { at, byte } => {
                let i = at % bytes.len();
                bytes[i] = *byte;
            }
            Damage::Cut { at } => bytes.truncate(at % bytes.len()),
            Damage::Splice { at, bytes: extra } => {
                let i = at % bytes.len();
                bytes.splice(i..i, extra.iter().copied());
            }
            Damage::Remove { at, len } => {
                let i = at % bytes.len();
                let end = (i + len).min(bytes.len());
                bytes.drain(i..end);
            }
        }
    }
    bytes
}

/// Reads a whole trace from bytes the way `render` does; errors are fine.
fn read_trace_bytes(bytes: &[u8]) {
    let Ok(mut reader) = TraceReader::new(Cursor::new(bytes), Path::new("fuzz.jsonl")) else {
        return;
    };
    let meta = reader.header().meta.clone();
    let records = std::iter::from_fn(|| reader.next_record().transpose());
    let _ = TraceSummary::build(meta, records, 50);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(5000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn trace_reader_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        read_trace_bytes(&bytes);
    }

    #[test]
    fn trace_reader_survives_damaged_traces(damages in proptest::collection::vec(damage(), 1..6)) {
        read_trace_bytes(&apply(real_trace(), &damages));
    }

    #[test]
    fn trace_reader_survives_any_version_2_rows(
        percent in any::<bool>(),
        lines in proptest::collection::vec(v2_line(), 0..8),
    ) {
        let header = header_with_unit(if percent { "percent" } else { "ticks" });
        let text = format!("{header}\n{}\n", lines.join("\n"));
        read_trace_bytes(text.as_bytes());
        let Ok(mut reader) = TraceReader::new(Cursor::new(text.as_bytes()), Path::new("v2.jsonl")) else {
            panic!("the header of a real trace is refused");
        };
        while let Ok(Some(record)) = reader.next_record() {
            if let coreheat::trace::Record::Sample(sample) = record {
                for load in &sample.cpus {
                    prop_assert!(load.fields().iter().all(|v| (0.0..=100.0).contains(v)), "{load:?}");
                }
            }
        }
    }

    #[test]
    fn trace_reader_survives_damaged_version_1_traces(damages in proptest::collection::vec(damage(), 1..6)) {
        read_trace_bytes(&apply(fixture("coreheat-v1-hash-z6.jsonl"), &damages));
    }

    #[test]
    fn dstat_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = dstat::parse(&bytes, Path::new("fuzz.csv"));
    }

    #[test]
    fn dstat_survives_damaged_files(
        which in 0usize..5,
        damages in proptest::collection::vec(damage(), 1..6),
    ) {
        let name = ["dstat-0.7.2-cpu.csv", "dstat-0.7.3-cpu.csv", "dstat-0.8.0-cpu-adv.csv", "dstat-0.8.0-appended.csv", "dstat-0.8.0-epoch.csv"][which];
        let _ = dstat::parse(&apply(fixture(name), &damages), Path::new(name));
    }

    #[test]
    fn mpstat_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = mpstat::parse(&bytes, Path::new("fuzz.json"));
    }

    #[test]
    fn mpstat_survives_damaged_files(
        which in 0usize..4,
        damages in proptest::collection::vec(damage(), 1..6),
    ) {
        let name = ["mpstat-P-ALL.json", "mpstat-P-ALL-T.json", "mpstat-P-ALL-12h.json", "mpstat-P-ALL-midnight.json"][which];
        let _ = mpstat::parse(&apply(fixture(name), &damages), Path::new(name));
    }

    #[test]
    fn option_parsers_survive_any_text(text in ".{0,40}") {
        let _ = coreheat::util::units::parse_duration(&text);
        let _ = coreheat::util::units::parse_count(&text);
        let _ = coreheat::util::cpulist::parse_cpulist(&text);
        let _ = coreheat::machine::pin::PinSpec::parse(&text);
        let _ = coreheat::Mode::parse(&text);
    }
}

/// Damaged real traces that still parse must still summarize consistently.
#[test]
fn a_cut_trace_keeps_every_complete_sample() {
    let trace = real_trace();
    let text = String::from_utf8(trace).unwrap();
    // A sample line counts when it is whole JSON, with or without its newline.
    let complete_samples = |t: &str| {
        t.split('\n')
            .filter(|l| l.starts_with("{\"t\":") && l.contains("\"cpus\""))
            .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
            .count()
    };
    for cut in (10..text.len()).step_by(97) {
        let head = &text[..cut];
        let Ok(mut reader) = TraceReader::new(Cursor::new(head.as_bytes()), Path::new("cut.jsonl"))
        else {
            continue;
        };
        let mut samples = 0;
        while let Ok(Some(record)) = reader.next_record() {
            if matches!(record, coreheat::trace::Record::Sample(_)) {
                samples += 1;
            }
        }
        assert_eq!(samples, complete_samples(head), "cut at {cut}");
    }
}

/// A text as a header may get it: plain, any Unicode, or long runs of a
/// control character (six bytes each in JSON).
fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9 ./-]{0,30}",
        2 => any::<String>(),
        1 => (1usize..40_000).prop_map(|n| "\u{1}".repeat(n)),
        1 => (1usize..200_000).prop_map(|n| "é".repeat(n)),
    ]
}

/// Seconds as a writer may be handed them: mostly fine, sometimes NaN,
/// infinite, negative or beyond any trace.
fn seconds() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => 0.0f64..1e6,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => -1e6f64..0.0,
        1 => 1e9f64..1e308,
    ]
}

/// A percentage as a writer may be handed one.
fn percent() -> impl Strategy<Value = f64> {
    prop_oneof![
        12 => 0.0f64..=100.0,
        1 => Just(f64::NAN),
        1 => Just(-0.5),
        1 => Just(1e308),
    ]
}

/// A real header's machine with hostile texts and any CPU count.
fn hostile_meta() -> impl Strategy<Value = coreheat::Meta> {
    (
        header_text(),
        header_text(),
        proptest::collection::vec(header_text(), 0..5),
        proptest::collection::vec(header_text(), 0..6),
        prop_oneof![8 => 1usize..5, 1 => Just(0usize), 1 => 8190usize..8200],
        seconds(),
    )
        .prop_map(|(title, command, notes, argv, cpus, interval)| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("trace.jsonl");
            coreheat::synthetic::write_trace(&path, 2, 2, 1.0).unwrap();
            let mut meta = coreheat::read_trace(&path).unwrap().header.meta;
            meta.title = Some(title);
            meta.command = command;
            meta.notes = notes;
            meta.workload = Some(coreheat::model::workload::WorkloadMeta::Exec { argv });
            meta.cpus = (0..cpus as u32)
                .map(|cpu| coreheat::TraceCpu {
                    cpu,
                    core: cpu,
                    package: 0,
                })
                .collect();
            meta.logical_cpus = cpus;
            meta.physical_cores = cpus;
            meta.interval_s = interval;
            meta.cpu_unit = Some(coreheat::model::CpuUnit::Percent);
            meta.ticks_per_s = None;
            meta.task_fields = Vec::new();
            meta
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Every trace the writer writes, the reader reads: what the reader would
    /// refuse is cut to fit (long texts) or refused by the writer (bad values),
    /// never written.
    #[test]
    fn every_trace_written_reads_back(
        meta in hostile_meta(),
        samples in proptest::collection::vec((seconds(), proptest::collection::vec(percent(), 8)), 0..6),
        end in (seconds(), seconds()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let Ok(mut writer) = coreheat::trace::TraceWriter::create(&path, &meta) else {
            return Ok(()); // refused: nothing the reader cannot read was written
        };
        let mut written = 0;
        for (t, values) in &samples {
            let load = coreheat::CpuLoad {
                usr: values[0], nice: values[1], sys: values[2], idle: values[3],
                iowait: values[4], irq: values[5], softirq: values[6], steal: values[7],
            };
            let sample = coreheat::Sample { t: *t, cpus: vec![load; meta.cpus.len()] };
            if writer.write_sample(&sample).is_err() {
                break;
            }
            written += 1;
        }
        let end_line = coreheat::End {
            status: coreheat::Status::Ok,
            result: None,
            wall_s: end.1,
            user_s: 0.0,
            sys_s: 0.0,
            message: None,
        };
        let _ = writer.write_end(end.0, &end_line);
        drop(writer);
        let trace = coreheat::read_trace(&path);
        prop_assert!(trace.is_ok(), "written, then refused: {}", trace.err().unwrap());
        prop_assert_eq!(trace.unwrap().samples.len(), written);
    }
}
