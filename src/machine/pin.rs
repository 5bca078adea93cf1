//! `--pin`: which CPU each worker is bound to (none, spread over physical cores
//! first, compact onto SMT siblings first, or an explicit CPU list).

use crate::machine::topology::Topology;
use crate::util::cpulist::{format_cpulist, parse_cpulist_ordered};

/// A pinning policy as typed by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinSpec {
    None,
    Spread,
    Compact,
    List(Vec<u32>),
}

impl PinSpec {
    pub fn parse(text: &str) -> Result<PinSpec, String> {
        match text.trim() {
            "" => {
                Err("an empty pinning; use none, spread, compact or a CPU list like 0-3,8".into())
            }
            "none" => Ok(PinSpec::None),
            "spread" => Ok(PinSpec::Spread),
            "compact" => Ok(PinSpec::Compact),
            list if list.starts_with(|c: char| c.is_ascii_digit()) => {
                Ok(PinSpec::List(parse_cpulist_ordered(list)?))
            }
            negative if negative.starts_with('-') => Err(format!(
                "'{negative}': CPU numbers cannot be negative; CPUs count from 0 (a list like 0-3,8)"
            )),
            other => Err(format!(
                "'{other}' is not a pinning; use none, spread, compact or a CPU list like 0-3,8"
            )),
        }
    }

    pub fn is_none(&self) -> bool {
        *self == PinSpec::None
    }

    /// The policy as it would be typed (`spread`, `0-3,8`).
    pub fn as_text(&self) -> String {
        match self {
            PinSpec::None => "none".into(),
            PinSpec::Spread => "spread".into(),
            PinSpec::Compact => "compact".into(),
            PinSpec::List(cpus) => {
                let sorted_is_same = cpus.windows(2).all(|w| w[0] < w[1]);
                if sorted_is_same {
                    format_cpulist(cpus)
                } else {
                    cpus.iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                }
            }
        }
    }

    /// The CPU of each of `workers` workers (empty for `none`), any CPU of the
    /// topology allowed. With more workers than CPUs in the order, the order
    /// starts again.
    pub fn worker_cpus(&self, topology: &Topology, workers: usize) -> Result<Vec<u32>, String> {
        let all: Vec<u32> = topology.cpus.iter().map(|c| c.cpu).collect();
        self.worker_cpus_within(topology, &all, workers)
    }

    /// [`PinSpec::worker_cpus`] for a process that may only use the CPUs in
    /// `allowed` (its affinity mask): spread and compact orders keep to them, and
    /// a list naming others is refused.
    pub fn worker_cpus_within(
        &self,
        topology: &Topology,
        allowed: &[u32],
        workers: usize,
    ) -> Result<Vec<u32>, String> {
        if self.is_none() {
            return Ok(Vec::new());
        }
        let order = self.cpu_order(topology, allowed)?;
        if order.is_empty() {
            return Err("--pin: no online CPU to pin to".into());
        }
        Ok(order.iter().copied().cycle().take(workers).collect())
    }

    /// The CPUs of the policy in the order workers take them.
    pub fn cpu_order(&self, topology: &Topology, allowed: &[u32]) -> Result<Vec<u32>, String> {
        let keep_allowed = |order: Vec<u32>| -> Vec<u32> {
            order.into_iter().filter(|c| allowed.contains(c)).collect()
        };
        Ok(match self {
            PinSpec::None => Vec::new(),
            PinSpec::Spread => keep_allowed(topology.spread_order()),
            PinSpec::Compact => keep_allowed(topology.compact_order()),
            PinSpec::List(cpus) => {
                topology
                    .check_online(cpus)
                    .map_err(|e| format!("--pin: {e}"))?;
                check_allowed(cpus, allowed)?;
                cpus.clone()
            }
        })
    }
}

/// Refuses CPUs outside the affinity mask, naming them and the allowed set.
fn check_allowed(cpus: &[u32], allowed: &[u32]) -> Result<(), String> {
    let mut outside: Vec<u32> = cpus
        .iter()
        .copied()
        .filter(|c| !allowed.contains(c))
        .collect();
    outside.sort_unstable();
    outside.dedup();
    if outside.is_empty() {
        return Ok(());
    }
    Err(format!(
        "--pin: CPU{} {} {} outside the CPUs this process may use ({}): its affinity mask \
         (taskset, a container's or job's cpuset) excludes {}; pin to CPUs in {}",
        if outside.len() == 1 { "" } else { "s" },
        format_cpulist(&outside),
        if outside.len() == 1 { "is" } else { "are" },
        format_cpulist(allowed),
        if outside.len() == 1 { "it" } else { "them" },
        format_cpulist(allowed),
    ))
}

/// When some CPU of `cpus` (each worker's CPU, in worker order) runs more than
/// one worker: which workers share which CPU (`CPU 0: workers 0, 1`).
pub fn shared_cpus(cpus: &[u32]) -> Vec<String> {
    let mut seen: Vec<u32> = Vec::new();
    let mut shared = Vec::new();
    for &cpu in cpus {
        if seen.contains(&cpu) {
            continue;
        }
        seen.push(cpu);
        let workers: Vec<String> = (0..cpus.len())
            .filter(|&w| cpus[w] == cpu)
            .map(|w| w.to_string())
            .collect();
        if workers.len() > 1 {
            shared.push(format!("CPU {cpu}: workers {}", workers.join(", ")));
        }
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_keep_to_the_allowed_cpus_and_lists_outside_are_refused() {
        let topology = Topology::synthetic(2, 2); // cpus 0-3, siblings 0+2, 1+3
        let allowed = [1, 2, 3];
        assert_eq!(
            PinSpec::Spread
                .worker_cpus_within(&topology, &allowed, 3)
                .unwrap(),
            vec![1, 2, 3]
        );
        let error = PinSpec::List(vec![0, 1, 5])
            .worker_cpus_within(&Topology::synthetic(6, 1), &allowed, 2)
            .unwrap_err();
        assert!(error.contains("CPUs 0,5 are outside"), "{error}");
        assert!(error.contains("(1-3)"), "{error}");
        assert!(
            PinSpec::List(vec![2])
                .worker_cpus_within(&topology, &allowed, 1)
                .is_ok()
        );
    }

    #[test]
    fn policies_parse() {
        assert_eq!(PinSpec::parse("none").unwrap(), PinSpec::None);
        assert_eq!(PinSpec::parse("spread").unwrap(), PinSpec::Spread);
        assert_eq!(
            PinSpec::parse("0-2,8").unwrap(),
            PinSpec::List(vec![0, 1, 2, 8])
        );
        assert_eq!(PinSpec::parse("3,1").unwrap().as_text(), "3,1");
        assert!(PinSpec::parse("everywhere").is_err());
        assert!(PinSpec::parse("").is_err());
        assert!(PinSpec::parse("-1").unwrap_err().contains("negative"));
    }

    #[test]
    fn spread_and_compact_on_smt_machine() {
        let topology = Topology::synthetic(4, 2); // siblings c and c+4
        assert_eq!(
            PinSpec::Spread.worker_cpus(&topology, 5).unwrap(),
            vec![0, 1, 2, 3, 4]
        );
        assert_eq!(
            PinSpec::Compact.worker_cpus(&topology, 3).unwrap(),
            vec![0, 4, 1]
        );
        assert_eq!(
            PinSpec::None.worker_cpus(&topology, 3).unwrap(),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn workers_sharing_a_cpu_are_named() {
        assert_eq!(shared_cpus(&[0, 1]), Vec::<String>::new());
        assert_eq!(
            shared_cpus(&[0, 1, 0, 1, 2]),
            vec!["CPU 0: workers 0, 2", "CPU 1: workers 1, 3"]
        );
    }

    #[test]
    fn lists_wrap_and_unknown_cpus_fail() {
        let topology = Topology::synthetic(2, 1);
        assert_eq!(
            PinSpec::List(vec![1]).worker_cpus(&topology, 3).unwrap(),
            vec![1, 1, 1]
        );
        let err = PinSpec::List(vec![0, 9])
            .worker_cpus(&topology, 2)
            .unwrap_err();
        assert!(err.contains("CPU 9"), "{err}");
    }
}
