//! What a run executes and what it produced: the workloads (hash, count, idle,
//! exec) with their options, the modes that spread them over workers, and
//! their results as the trace's end line and `--json` carry them.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::kernels::hash::Engine;

/// A workload and its options.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkloadSpec {
    /// SHA-512 leading-zero search.
    Hash {
        zeros: u32,
        prefix: String,
        engine: Engine,
    },
    /// Sum 0..n on every worker, or split among them.
    Count { n: u128, split: bool },
    /// Nothing: the baseline.
    Idle { duration: Duration },
    /// A user's command.
    Exec { argv: Vec<String> },
}

impl WorkloadSpec {
    /// The workload's name as typed on the command line.
    pub fn kind(&self) -> &'static str {
        match self {
            WorkloadSpec::Hash { .. } => "hash",
            WorkloadSpec::Count { .. } => "count",
            WorkloadSpec::Idle { .. } => "idle",
            WorkloadSpec::Exec { .. } => "exec",
        }
    }

    /// Whether the workload runs on workers (hash and count); idle and exec
    /// have none to count, spread or pin one by one.
    pub fn has_workers(&self) -> bool {
        kind_has_workers(self.kind())
    }

    /// Kind and options as the trace header and the JSON outputs record them.
    pub fn to_meta(&self) -> WorkloadMeta {
        match self {
            WorkloadSpec::Hash {
                zeros,
                prefix,
                engine,
            } => WorkloadMeta::Hash {
                zeros: *zeros,
                prefix: prefix.clone(),
                engine: engine.as_str().to_string(),
                engine_used: engine.resolve().1,
            },
            WorkloadSpec::Count { n, split } => WorkloadMeta::Count {
                n: *n,
                split: *split,
            },
            WorkloadSpec::Idle { duration } => WorkloadMeta::Idle {
                duration_s: duration.as_secs_f64(),
            },
            WorkloadSpec::Exec { argv } => WorkloadMeta::Exec { argv: argv.clone() },
        }
    }

    /// A short label for folder names: `hash-z7`, `count-2^32`, `idle`, `exec-make`.
    pub fn label(&self) -> String {
        match self {
            WorkloadSpec::Hash { zeros, .. } => format!("hash-z{zeros}"),
            WorkloadSpec::Count { n, split } => {
                format!(
                    "count-{}{}",
                    count_as_typed(*n),
                    if *split { "-split" } else { "" }
                )
            }
            WorkloadSpec::Idle { .. } => "idle".to_string(),
            WorkloadSpec::Exec { argv } => {
                let program = argv
                    .first()
                    .map(|p| p.rsplit('/').next().unwrap_or(p))
                    .unwrap_or("command");
                format!("exec-{program}")
            }
        }
    }

    /// The workload part of an equivalent command line, as a user types it
    /// (`count --n 2^30`).
    pub fn command_words(&self) -> Vec<String> {
        match self {
            WorkloadSpec::Hash {
                zeros,
                prefix,
                engine,
            } => {
                let mut words = vec!["hash".into(), "--zeros".into(), zeros.to_string()];
                if !prefix.is_empty() {
                    words.extend(["--prefix".into(), prefix.clone()]);
                }
                if *engine != Engine::Auto {
                    words.extend(["--engine".into(), engine.as_str().into()]);
                }
                words
            }
            WorkloadSpec::Count { n, split } => {
                let mut words = vec!["count".into(), "--n".into(), count_as_typed(*n)];
                if *split {
                    words.push("--split".into());
                }
                words
            }
            WorkloadSpec::Idle { duration } => vec![
                "idle".into(),
                "--duration".into(),
                format!("{}s", duration.as_secs_f64()),
            ],
            WorkloadSpec::Exec { argv } => {
                let mut words = vec!["exec".into(), "--".into()];
                words.extend(argv.iter().cloned());
                words
            }
        }
    }
}

/// A count as typed: a power of two as `2^k`, any other number in digits.
fn count_as_typed(n: u128) -> String {
    if n.is_power_of_two() {
        format!("2^{}", n.trailing_zeros())
    } else {
        n.to_string()
    }
}

/// Whether a workload of `kind` (as a trace header names it) runs on workers:
/// idle and exec do not.
pub fn kind_has_workers(kind: &str) -> bool {
    !matches!(kind, "idle" | "exec")
}

/// What ran, as a trace header's `workload`, `run --json`'s `options` and
/// `sweep.json`'s `workload` record it: `{"kind": "hash", "zeros": 5, ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum WorkloadMeta {
    Hash {
        zeros: u32,
        prefix: String,
        /// As asked for: `auto`, `scalar` or `simd`.
        engine: String,
        /// The engine that ran and why: `simd (AVX2, 4 lanes: ...)`.
        engine_used: String,
    },
    Count {
        #[serde(deserialize_with = "read_count_n")]
        n: u128,
        split: bool,
    },
    Idle {
        duration_s: f64,
    },
    Exec {
        argv: Vec<String>,
    },
    /// A closure traced through the library (`coreheat::trace_closure`).
    Closure {},
    /// A made-up trace (`trace::synthetic`).
    Synthetic {},
}

impl WorkloadMeta {
    /// The kind as written: `hash`, `count`, `idle`, `exec`, `closure`, `synthetic`.
    pub fn kind(&self) -> &'static str {
        match self {
            WorkloadMeta::Hash { .. } => "hash",
            WorkloadMeta::Count { .. } => "count",
            WorkloadMeta::Idle { .. } => "idle",
            WorkloadMeta::Exec { .. } => "exec",
            WorkloadMeta::Closure {} => "closure",
            WorkloadMeta::Synthetic {} => "synthetic",
        }
    }

    /// Reads a trace header's `workload` leniently: absent, `null` (imported
    /// traces), an unknown kind or malformed options give `None` (workload
    /// unknown) rather than an unreadable trace.
    pub fn read_lenient<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<WorkloadMeta>, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(serde_json::from_value(value).ok())
    }
}

/// Reads a count's `n` (at most 2^64) back. The lenient reader buffers
/// numbers, which turns 2^64, one above `u64`, into a float; a float holds it
/// exactly.
fn read_count_n<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u128, D::Error> {
    struct WholeNumber;
    impl serde::de::Visitor<'_> for WholeNumber {
        type Value = u128;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number up to 2^64")
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<u128, E> {
            Ok(n.into())
        }
        fn visit_u128<E: serde::de::Error>(self, n: u128) -> Result<u128, E> {
            Ok(n)
        }
        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<u128, E> {
            const TWO_TO_64: f64 = 18_446_744_073_709_551_616.0;
            if n.fract() == 0.0 && (0.0..=TWO_TO_64).contains(&n) {
                Ok(n as u128)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(n), &self))
            }
        }
    }
    deserializer.deserialize_any(WholeNumber)
}

/// How the workers of a run are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// On the calling thread.
    Serial,
    /// On OS threads of this process.
    Threads,
    /// On OS processes (coreheat re-executed as a worker).
    Processes,
}

impl Mode {
    pub fn parse(text: &str) -> Result<Mode, String> {
        match text {
            "serial" => Ok(Mode::Serial),
            "threads" | "thread" => Ok(Mode::Threads),
            "processes" | "process" => Ok(Mode::Processes),
            other => Err(format!(
                "unknown mode '{other}'; use serial, threads or processes"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Serial => "serial",
            Mode::Threads => "threads",
            Mode::Processes => "processes",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of a hash search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HashResult {
    pub zeros: u32,
    pub prefix: String,
    pub nonce: u64,
    pub digest: String,
    pub hashes: u64,
    pub hashes_per_s: f64,
    pub engine: String,
}

/// The result of a count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountResult {
    pub n: u128,
    pub split: bool,
    /// One sum per worker, or the one total with `split`.
    pub sums: Vec<u128>,
}

/// The result of an exec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecResult {
    pub exit_code: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// Processes of the command's tree still running when the command ended
    /// (background children; not waited for, as `time` does not).
    #[serde(default)]
    pub left_running: u32,
}

/// The result of an idle baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleResult {
    pub duration_s: f64,
}

/// What a workload produced. In the trace it is tagged with its kind
/// (`{"hash":{...}}`), which reads back without buffering, so 128-bit sums stay
/// exact; `run --json` prints the object without its tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadResult {
    Hash(HashResult),
    Count(CountResult),
    Exec(ExecResult),
    Idle(IdleResult),
}

impl WorkloadResult {
    /// The result line as the seed writeups print it: `(5, 1839773, '00000a6e...')`
    /// for hash, `[36028796884746240, 36028796884746240]` for count.
    pub fn seed_line(&self) -> String {
        match self {
            WorkloadResult::Hash(h) => format!("({}, {}, '{}')", h.zeros, h.nonce, h.digest),
            WorkloadResult::Count(c) if c.split => c.sums.first().copied().unwrap_or(0).to_string(),
            WorkloadResult::Count(c) => {
                let sums: Vec<String> = c.sums.iter().map(u128::to_string).collect();
                format!("[{}]", sums.join(", "))
            }
            WorkloadResult::Exec(e) => {
                let ended = match e.signal {
                    Some(signal) => format!(
                        "command killed by {} (exit status {})",
                        crate::util::os::signal_name(signal),
                        e.exit_code
                    ),
                    None => format!("command exited with status {}", e.exit_code),
                };
                ended + &left_running_note(e.left_running)
            }
            WorkloadResult::Idle(i) => format!("idle for {:.1}s", i.duration_s),
        }
    }
}

/// What the result line adds when the command left processes running.
fn left_running_note(count: u32) -> String {
    match count {
        0 => String::new(),
        1 => "; 1 of its processes was still running (not waited for)".into(),
        n => format!("; {n} of its processes were still running (not waited for)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Meta;

    /// The command `run` records and a sweep shows is what a user types:
    /// `--n 2^30`, not the expanded number.
    #[test]
    fn counts_are_written_as_typed() {
        let words = |n, split| WorkloadSpec::Count { n, split }.command_words().join(" ");
        assert_eq!(words(1 << 30, false), "count --n 2^30");
        assert_eq!(words(1u128 << 64, true), "count --n 2^64 --split");
        assert_eq!(words(1000, false), "count --n 1000");
        for n in [1u128 << 30, 1000] {
            let typed = words(n, false);
            let number = typed.rsplit(' ').next().unwrap();
            assert_eq!(crate::util::units::parse_count(number), Ok(n), "{typed}");
        }
    }

    /// The `workload` of a trace header as coreheat has always written it.
    fn header_workload(workload: WorkloadMeta) -> String {
        let meta = Meta {
            workload: Some(workload),
            ..Meta::default()
        };
        let text = serde_json::to_string(&meta).unwrap();
        let start = text.find(r#""workload":"#).unwrap();
        let end = text[start..].find('}').unwrap();
        text[start..=start + end].to_string()
    }

    #[test]
    fn each_kind_is_written_with_the_keys_and_order_of_before_and_reads_back() {
        let kinds = [
            (
                WorkloadSpec::Hash {
                    zeros: 5,
                    prefix: "p".into(),
                    engine: Engine::Scalar,
                }
                .to_meta(),
                r#""workload":{"engine":"scalar","engine_used":"scalar (chosen with --engine scalar)","kind":"hash","prefix":"p","zeros":5}"#,
            ),
            (
                WorkloadSpec::Count {
                    n: 1 << 64,
                    split: true,
                }
                .to_meta(),
                r#""workload":{"kind":"count","n":18446744073709551616,"split":true}"#,
            ),
            (
                WorkloadSpec::Idle {
                    duration: Duration::from_millis(1500),
                }
                .to_meta(),
                r#""workload":{"duration_s":1.5,"kind":"idle"}"#,
            ),
            (
                WorkloadSpec::Exec {
                    argv: vec!["make".into(), "-j".into()],
                }
                .to_meta(),
                r#""workload":{"argv":["make","-j"],"kind":"exec"}"#,
            ),
            (WorkloadMeta::Closure {}, r#""workload":{"kind":"closure"}"#),
        ];
        for (workload, written) in kinds {
            assert_eq!(header_workload(workload.clone()), written);
            let meta = Meta {
                workload: Some(workload.clone()),
                ..Meta::default()
            };
            let read: Meta = serde_json::from_str(&serde_json::to_string(&meta).unwrap()).unwrap();
            assert_eq!(read.workload, Some(workload));
        }
    }

    #[test]
    fn an_unknown_or_malformed_workload_reads_as_unknown() {
        let meta = serde_json::to_value(Meta::default()).unwrap();
        assert_eq!(
            meta["workload"],
            serde_json::Value::Null,
            "imports write null"
        );
        for workload in [
            serde_json::json!({"kind": "quantum"}),
            serde_json::json!({"kind": "count", "n": -1, "split": false}),
            serde_json::json!({"kind": "count", "n": 1.5e20, "split": false}),
            serde_json::json!([1, 2]),
            serde_json::Value::Null,
        ] {
            let mut header = meta.clone();
            header["workload"] = workload.clone();
            let read: Meta = serde_json::from_value(header).unwrap();
            assert_eq!(read.workload, None, "{workload}");
        }
    }
}
