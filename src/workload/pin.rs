//! `--pin`: which CPU each worker is bound to (none, spread over physical cores
//! first, compact onto SMT siblings first, or an explicit CPU list).

use crate::topology::{Topology, format_cpulist, parse_cpulist_ordered};

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

    /// The CPU of each of `workers` workers (empty for `none`). With more workers
    /// than CPUs in the order, the order starts again.
    pub fn worker_cpus(&self, topology: &Topology, workers: usize) -> Result<Vec<u32>, String> {
        let order = match self {
            PinSpec::None => return Ok(Vec::new()),
            PinSpec::Spread => topology.spread_order(),
            PinSpec::Compact => topology.compact_order(),
            PinSpec::List(cpus) => {
                topology
                    .check_online(cpus)
                    .map_err(|e| format!("--pin: {e}"))?;
                cpus.clone()
            }
        };
        if order.is_empty() {
            return Err("--pin: no online CPU to pin to".into());
        }
        Ok(order.iter().copied().cycle().take(workers).collect())
    }
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
