//! What running a workload gives back: its status, result, wall and CPU time,
//! and each worker's report.

use serde::{Deserialize, Serialize};

use std::sync::atomic::Ordering;

use super::control::Control;
use crate::kernels::digest::{self, HashTarget};
use crate::model::Status;
use crate::model::workload::{CountResult, HashResult, WorkloadResult, WorkloadSpec};
use crate::util::os::CpuTimes;

/// CPU time and how one worker ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerReport {
    pub index: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    pub user_s: f64,
    pub sys_s: f64,
}

impl WorkerReport {
    /// The CPU time of all these workers together.
    pub fn total(reports: &[WorkerReport]) -> CpuTimes {
        reports.iter().fold(CpuTimes::default(), |total, w| {
            total.plus(CpuTimes {
                user_s: w.user_s,
                sys_s: w.sys_s,
            })
        })
    }
}

/// Everything a workload run gives back.
#[derive(Debug, Clone)]
pub struct WorkloadOutcome {
    pub status: Status,
    pub result: Option<WorkloadResult>,
    /// Why the run failed or was interrupted.
    pub message: Option<String>,
    pub wall_s: f64,
    pub cpu: CpuTimes,
    pub workers: Vec<WorkerReport>,
}

/// How the workers of a hash or count run ended, before the run is judged.
pub struct WorkersEnded {
    /// The answer, when the workers did all the work.
    pub result: Option<WorkloadResult>,
    /// The first failure: a worker that could not start, reported an error,
    /// panicked or sent garbage.
    pub failure: Option<String>,
    /// How each worker that died badly (or had to be killed) ended.
    pub deaths: Vec<String>,
    pub workers: Vec<WorkerReport>,
    pub wall_s: f64,
}

impl WorkloadOutcome {
    /// Judges a run on workers (threads or processes alike): failed when a
    /// worker failed, or when workers died and left no answer; interrupted
    /// when stopped or cut short without a death to blame (any deaths are
    /// named); ok with its result otherwise.
    pub fn of_workers(ended: WorkersEnded, stopped: bool) -> WorkloadOutcome {
        let WorkersEnded {
            result,
            failure,
            deaths,
            workers,
            wall_s,
        } = ended;
        let (status, result, message) = if let Some(message) = failure {
            (Status::Failed, None, Some(message))
        } else if stopped || (result.is_none() && deaths.is_empty()) {
            let mut message = String::from("interrupted before the workload finished");
            for death in &deaths {
                message.push_str("; ");
                message.push_str(death);
            }
            (Status::Interrupted, None, Some(message))
        } else if result.is_none() {
            (Status::Failed, None, Some(deaths.join("; ")))
        } else {
            (Status::Ok, result, None)
        };
        WorkloadOutcome {
            status,
            result,
            message,
            wall_s,
            cpu: WorkerReport::total(&workers),
            workers,
        }
    }
}

/// The hash result for a found nonce (digest recomputed with sha2).
pub fn hash_result(
    spec: &WorkloadSpec,
    target: &HashTarget,
    nonce: u64,
    control: &Control,
    wall_s: f64,
) -> WorkloadResult {
    let engine = match spec {
        WorkloadSpec::Hash { engine, .. } => engine.resolve().1,
        _ => String::new(),
    };
    let hashes = control.progress.load(Ordering::Relaxed);
    WorkloadResult::Hash(HashResult {
        zeros: target.zeros,
        prefix: String::from_utf8_lossy(&target.prefix).into_owned(),
        nonce,
        digest: digest::to_hex(&digest::reference_digest(&target.prefix, nonce)),
        hashes,
        hashes_per_s: if wall_s > 0.0 {
            hashes as f64 / wall_s
        } else {
            0.0
        },
        engine,
    })
}

/// The count result: per-worker sums, or their total with `split`.
pub fn count_result(n: u128, split: bool, sums: Vec<u128>) -> WorkloadResult {
    let sums = if split { vec![sums.iter().sum()] } else { sums };
    WorkloadResult::Count(CountResult { n, split, sums })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(result: bool, failure: Option<&str>, deaths: &[&str]) -> WorkersEnded {
        WorkersEnded {
            result: result.then(|| count_result(10, true, vec![45])),
            failure: failure.map(String::from),
            deaths: deaths.iter().map(|d| d.to_string()).collect(),
            workers: vec![WorkerReport {
                index: 0,
                cpu: None,
                user_s: 1.0,
                sys_s: 0.5,
            }],
            wall_s: 2.0,
        }
    }

    fn judged(ended: WorkersEnded, stopped: bool) -> (Status, bool, Option<String>) {
        let outcome = WorkloadOutcome::of_workers(ended, stopped);
        assert_eq!((outcome.cpu.user_s, outcome.cpu.sys_s), (1.0, 0.5));
        (outcome.status, outcome.result.is_some(), outcome.message)
    }

    #[test]
    fn a_run_on_workers_is_judged_the_same_for_threads_and_processes() {
        assert_eq!(
            judged(ended(true, None, &[]), false),
            (Status::Ok, true, None)
        );
        let failed = judged(ended(true, Some("worker 1: bad"), &["w2 died"]), true);
        assert_eq!(
            failed,
            (Status::Failed, false, Some("worker 1: bad".into()))
        );
        let stopped = judged(ended(true, None, &["w2 died"]), true);
        let message = "interrupted before the workload finished; w2 died".to_string();
        assert_eq!(stopped, (Status::Interrupted, false, Some(message)));
        let cut_short = judged(ended(false, None, &[]), false);
        let message = "interrupted before the workload finished".to_string();
        assert_eq!(cut_short, (Status::Interrupted, false, Some(message)));
        let died = judged(ended(false, None, &["w1 died", "w2 died"]), false);
        assert_eq!(
            died,
            (Status::Failed, false, Some("w1 died; w2 died".into()))
        );
    }
}
