//! Where each configuration runs: the CPU list of its workers (pinned) or the
//! CPUs it is allowed (unpinned), and the merging of pinnings that resolve to
//! the same CPU sets, so that `--pins spread,compact` on a machine without SMT
//! siblings runs each set once.

use anyhow::{Context, Result};

use super::compare::Placement;
use super::{Configuration, SweepOptions, run_options};
use crate::machine::Machine;
use crate::run;

/// Checks every configuration against the machine (before anything runs) and
/// returns the ones to run, each with its CPUs and the pinnings merged into it.
pub fn place(
    options: &SweepOptions,
    configurations: Vec<Configuration>,
    machine: &Machine,
) -> Result<Vec<(Configuration, Placement)>> {
    let mut resolved = Vec::new();
    for configuration in configurations {
        let probe = run_options(options, &configuration, "unused".into());
        let plan = run::plan(&probe, machine)
            .with_context(|| format!("configuration {}", configuration.describe()))?;
        resolved.push((configuration, plan.cpus));
    }
    Ok(merge_equal(resolved, &machine.limits.allowed))
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
    use crate::topology::Topology;
    use crate::workload::Mode;
    use crate::workload::pin::PinSpec;

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
