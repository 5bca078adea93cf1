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

    /// Kind and options as JSON, for the trace header.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            WorkloadSpec::Hash {
                zeros,
                prefix,
                engine,
            } => serde_json::json!({
                "kind": "hash", "zeros": zeros, "prefix": prefix, "engine": engine.as_str(),
                "engine_used": engine.resolve().1,
            }),
            WorkloadSpec::Count { n, split } => {
                serde_json::json!({"kind": "count", "n": n, "split": split})
            }
            WorkloadSpec::Idle { duration } => {
                serde_json::json!({"kind": "idle", "duration_s": duration.as_secs_f64()})
            }
            WorkloadSpec::Exec { argv } => serde_json::json!({"kind": "exec", "argv": argv}),
        }
    }

    /// A short label for folder names: `hash-z7`, `count-2^32`, `idle`, `exec-make`.
    pub fn label(&self) -> String {
        match self {
            WorkloadSpec::Hash { zeros, .. } => format!("hash-z{zeros}"),
            WorkloadSpec::Count { n, split } => {
                let n = if n.is_power_of_two() {
                    format!("2^{}", n.trailing_zeros())
                } else {
                    n.to_string()
                };
                format!("count-{n}{}", if *split { "-split" } else { "" })
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

    /// The workload part of an equivalent command line.
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
                let mut words = vec!["count".into(), "--n".into(), n.to_string()];
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

/// Whether a workload of `kind` (as a trace header names it) runs on workers:
/// idle and exec do not.
pub fn kind_has_workers(kind: &str) -> bool {
    !matches!(kind, "idle" | "exec")
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
/// exact; `--json` prints the untagged object ([`WorkloadResult::to_json`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadResult {
    Hash(HashResult),
    Count(CountResult),
    Exec(ExecResult),
    Idle(IdleResult),
}

impl WorkloadResult {
    /// The result object without its kind tag, as `--json` prints it.
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            WorkloadResult::Hash(r) => serde_json::to_value(r),
            WorkloadResult::Count(r) => serde_json::to_value(r),
            WorkloadResult::Exec(r) => serde_json::to_value(r),
            WorkloadResult::Idle(r) => serde_json::to_value(r),
        };
        value.unwrap_or_default()
    }

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
