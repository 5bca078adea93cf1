//! The CPU topology of an instance from node_exporter's `node_cpu_info`
//! (`--collector.cpu.info`: labels `cpu`, `core`, `package`, `model_name`),
//! when the exporter provides it: which CPUs share a physical core.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::TraceCpu;

/// An instant query's answer: one element per label set.
#[derive(Debug, Deserialize)]
pub struct Vector {
    pub result: Vec<Element>,
}

#[derive(Debug, Deserialize)]
pub struct Element {
    pub metric: BTreeMap<String, String>,
}

/// The CPUs of an instance with their cores and packages.
#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    pub cpus: Vec<TraceCpu>,
    /// Distinct (package, core) pairs: 0 when the topology is unknown.
    pub physical_cores: usize,
    pub cpu_model: String,
}

/// The topology of `cpus` from `node_cpu_info` elements; each CPU in the info
/// gets a dense core index (SMT siblings share it). Without info for every
/// CPU, each CPU is its own core and the topology is unknown.
pub fn topology(cpus: &[u32], info: &[Element]) -> Topology {
    let label = |e: &Element, name: &str| e.metric.get(name).cloned().unwrap_or_default();
    let place: BTreeMap<u32, (u32, u32)> = info
        .iter()
        .filter_map(|e| {
            let number = |name| label(e, name).parse::<u32>().ok();
            Some((number("cpu")?, (number("package")?, number("core")?)))
        })
        .collect();
    let cpu_model = info
        .first()
        .map(|e| label(e, "model_name"))
        .unwrap_or_default();
    if cpus.iter().any(|cpu| !place.contains_key(cpu)) {
        return Topology {
            cpus: crate::import::flat_cpus(cpus),
            physical_cores: 0,
            cpu_model,
        };
    }
    let mut dense: Vec<(u32, u32)> = Vec::new();
    let cpus = cpus
        .iter()
        .map(|cpu| {
            let key = place[cpu];
            let core = dense.iter().position(|k| *k == key).unwrap_or_else(|| {
                dense.push(key);
                dense.len() - 1
            });
            TraceCpu {
                cpu: *cpu,
                core: core as u32,
                package: key.0,
            }
        })
        .collect();
    Topology {
        cpus,
        physical_cores: dense.len(),
        cpu_model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// node_cpu_info of node_exporter 1.5 on a 2-CPU machine, captured.
    const CAPTURED: &str = include_str!("../../../tests/fixtures/prometheus-cpu-info.json");

    fn element(cpu: u32, core: u32, package: u32) -> Element {
        let labels = [("cpu", cpu), ("core", core), ("package", package)];
        Element {
            metric: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn captured_cpu_info_gives_cores_and_the_model() {
        #[derive(Deserialize)]
        struct Answer {
            data: Vector,
        }
        let answer: Answer = serde_json::from_str(CAPTURED).unwrap();
        let topology = topology(&[0, 1], &answer.data.result);
        assert_eq!(topology.physical_cores, 2);
        assert_eq!(topology.cpu_model, "Intel(R) Xeon(R) Processor");
        assert_eq!(topology.cpus[1].core, 1);
    }

    #[test]
    fn smt_siblings_share_a_dense_core_and_missing_info_is_unknown() {
        let info = [
            element(0, 8, 0),
            element(1, 9, 0),
            element(2, 8, 0),
            element(3, 9, 0),
        ];
        let known = topology(&[0, 1, 2, 3], &info);
        let cores: Vec<u32> = known.cpus.iter().map(|c| c.core).collect();
        assert_eq!((cores, known.physical_cores), (vec![0, 1, 0, 1], 2));
        let unknown = topology(&[0, 1, 2, 3, 4], &info);
        assert_eq!(unknown.physical_cores, 0);
    }
}
