//! The runs of a sweep as the comparison reads them: each configuration (mode,
//! pinning, worker count), where its workers ran, whether the workload scales
//! strongly or weakly, and one record per finished run.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::machine::pin::PinSpec;
use crate::model::Status;
use crate::model::workload::{Mode, WorkloadSpec};
use crate::summary::warnings::Warning;

/// One point of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    pub mode: Mode,
    pub pin: PinSpec,
    pub workers: usize,
}

impl Configuration {
    /// The series this point belongs to: mode and pinning (`threads`, `processes, pin spread`).
    pub fn series(&self) -> String {
        if self.pin.is_none() {
            self.mode.as_str().to_string()
        } else {
            format!("{}, pin {}", self.mode, self.pin.as_text())
        }
    }

    /// A folder-friendly label: `threads-2w`, `processes-4w-spread`.
    pub fn label(&self) -> String {
        let mut label = format!("{}-{}w", self.mode, self.workers);
        if !self.pin.is_none() {
            label.push('-');
            label.push_str(&self.pin.as_text().replace(',', "_"));
        }
        label
    }

    /// For people: `threads, 2 workers, pin spread`.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{}, {} worker{}",
            self.mode,
            self.workers,
            if self.workers == 1 { "" } else { "s" }
        );
        if !self.pin.is_none() {
            let _ = write!(text, ", pin {}", self.pin.as_text());
        }
        text
    }
}

/// Strong scaling (fixed total work: hash, count --split) or weak scaling (work
/// per worker fixed: count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scaling {
    Strong,
    Weak,
}

impl Scaling {
    pub fn of(spec: &WorkloadSpec) -> Scaling {
        match spec {
            WorkloadSpec::Count { split: false, .. } => Scaling::Weak,
            _ => Scaling::Strong,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Scaling::Strong => {
                "strong scaling (the same total work shared by more workers): speedup = T(base) / T(workers)"
            }
            Scaling::Weak => {
                "weak scaling (each worker does the full work): scaled speedup = workers × T(base) / T(workers); time ratio = T(workers) / T(base)"
            }
        }
    }
}

/// One finished run of a sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    pub configuration: String,
    pub repeat: u32,
    /// Folder relative to the sweep folder.
    pub dir: String,
    pub status: Status,
    pub wall_s: f64,
    pub user_s: f64,
    pub sys_s: f64,
    pub result: Option<String>,
    pub command: String,
    /// Samples taken during the run.
    pub samples: usize,
    /// Mean CPUs the workload kept busy.
    pub cpus_in_use: Option<f64>,
    /// The run's measurement warnings (`other-load`, `underused`, ...), as its
    /// report states them.
    pub warnings: Vec<Warning>,
}

/// What a configuration was, besides its runs: its CPUs and merged pinnings.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// The CPUs the workers were pinned to, or the CPUs allowed when unpinned.
    pub cpus: Vec<u32>,
    pub pinned: bool,
    /// Pinnings that resolved to the same CPUs and were not run again.
    pub same_as: Vec<String>,
}

/// Merges pinned configurations of the same mode and worker count whose workers
/// land on the same set of CPUs; the first one is kept and names the others.
pub fn merge_equal(
    resolved: Vec<(Configuration, Vec<u32>)>,
    allowed: &[u32],
) -> Vec<(Configuration, Placement)> {
    let mut kept: Vec<(Configuration, Placement, Vec<u32>)> = Vec::new();
    for (configuration, cpus) in resolved {
        let pinned = !configuration.pin.is_none();
        let mut set = cpus.clone();
        set.sort_unstable();
        set.dedup();
        let twin = kept.iter_mut().find(|(other, placement, other_set)| {
            pinned
                && placement.pinned
                && other.mode == configuration.mode
                && other.workers == configuration.workers
                && *other_set == set
        });
        if let Some((_, placement, _)) = twin {
            placement.same_as.push(configuration.pin.as_text());
            continue;
        }
        let placement = Placement {
            cpus: if pinned { cpus } else { allowed.to_vec() },
            pinned,
            same_as: Vec::new(),
        };
        kept.push((configuration, placement, set));
    }
    kept.into_iter().map(|(c, p, _)| (c, p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::pin::PinSpec;
    use crate::machine::topology::Topology;
    use crate::model::workload::Mode;

    fn resolve(topology: &Topology, pin: PinSpec, workers: usize) -> (Configuration, Vec<u32>) {
        let cpus = if pin.is_none() {
            Vec::new()
        } else {
            pin.worker_cpus(topology, workers).unwrap()
        };
        let configuration = Configuration {
            mode: Mode::Threads,
            pin,
            workers,
        };
        (configuration, cpus)
    }

    #[test]
    fn spread_and_compact_merge_without_smt_only() {
        let flat = Topology::synthetic(4, 1);
        let resolved = vec![
            resolve(&flat, PinSpec::None, 2),
            resolve(&flat, PinSpec::Spread, 2),
            resolve(&flat, PinSpec::Compact, 2),
        ];
        let merged = merge_equal(resolved, &[0, 1, 2, 3]);
        assert_eq!(merged.len(), 2, "none stays, compact merges into spread");
        assert_eq!(merged[0].1.cpus, vec![0, 1, 2, 3]);
        assert!(!merged[0].1.pinned);
        assert_eq!(merged[1].0.pin, PinSpec::Spread);
        assert_eq!(merged[1].1.same_as, vec!["compact".to_string()]);

        let smt = Topology::synthetic(2, 2);
        let resolved = vec![
            resolve(&smt, PinSpec::Spread, 2),
            resolve(&smt, PinSpec::Compact, 2),
        ];
        let merged = merge_equal(resolved, &[0, 1, 2, 3]);
        assert_eq!(merged.len(), 2, "siblings make spread and compact differ");
        assert_ne!(merged[0].1.cpus, merged[1].1.cpus);
    }
}
