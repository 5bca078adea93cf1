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
