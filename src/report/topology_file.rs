//! `coreheat render --topology FILE`: which CPUs share a physical core, from the
//! `coreheat info --json` of the machine a trace was recorded on, for traces
//! that do not say (dstat CSV, mpstat JSON without -T). Every CPU of the trace
//! must be in the file; a trace from another host gets a note.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::info::InfoTopology;
use crate::model::Meta;

/// A machine's topology, read from its `coreheat info --json`.
#[derive(Debug)]
pub struct TopologyFile {
    path: PathBuf,
    host: String,
    cpu_model: String,
    physical_cores: usize,
    /// CPU number → (core, package).
    cpus: BTreeMap<u32, (u32, u32)>,
}

/// Largest file read: an `info --json` of 4096 CPUs is far smaller.
const MAX_BYTES: u64 = 64 << 20;

impl TopologyFile {
    /// Reads and checks `path`.
    /// Like every input, only a regular file is read (a FIFO or a device is
    /// refused before anything can block), of at most [`MAX_BYTES`].
    pub fn read(path: &Path) -> Result<TopologyFile> {
        let bytes = crate::util::input::read_whole(path, MAX_BYTES)
            .map_err(|e| anyhow::anyhow!("--topology: {e}"))?;
        let info: InfoTopology = serde_json::from_slice(&bytes).map_err(|e| {
            anyhow::anyhow!(
                "--topology {}: not the output of `coreheat info --json` ({e}); make it with \
                 `coreheat info --json > FILE` on the machine the trace was recorded on",
                path.display()
            )
        })?;
        Self::check(path, info)
    }

    fn check(path: &Path, info: InfoTopology) -> Result<TopologyFile> {
        if info.cpus.is_empty() || info.physical_cores == 0 {
            bail!(
                "--topology {}: it lists no CPUs or no physical cores; make it with \
                 `coreheat info --json > FILE`",
                path.display()
            );
        }
        let mut cpus = BTreeMap::new();
        for cpu in &info.cpus {
            if cpus.insert(cpu.cpu, (cpu.core, cpu.package)).is_some() {
                bail!(
                    "--topology {}: cpu{} is listed twice; make it again with \
                     `coreheat info --json > FILE`",
                    path.display(),
                    cpu.cpu
                );
            }
        }
        Ok(TopologyFile {
            path: path.to_path_buf(),
            host: info.host,
            cpu_model: info.cpu_model,
            physical_cores: info.physical_cores,
            cpus,
        })
    }

    /// Gives the trace of `source` this machine's topology: each CPU's core and
    /// package and the machine's counts, and its CPU model when the trace has
    /// none and was recorded on the same host. A trace that recorded its own
    /// topology (a coreheat trace, mpstat -T) keeps it: the answer is then a
    /// warning saying so. A trace whose CPUs are not the file's CPUs (another
    /// count, or a CPU the file lacks) is refused: it is another machine.
    pub fn apply(&self, meta: &mut Meta, source: &str) -> Result<Option<String>> {
        let listed = || cpus_named(&self.cpus.keys().copied().collect::<Vec<_>>());
        if meta.cpus.len() != self.cpus.len() {
            let theirs: Vec<u32> = meta.cpus.iter().map(|c| c.cpu).collect();
            bail!(
                "{source} has {} ({}) but --topology {} lists {} ({}): it is not the \
                 topology of the machine the trace was recorded on; give that machine's \
                 `coreheat info --json`, or render without --topology",
                crate::util::text::plural(meta.cpus.len(), "CPU"),
                cpus_named(&theirs),
                self.path.display(),
                crate::util::text::plural(self.cpus.len(), "CPU"),
                listed()
            );
        }
        for cpu in &meta.cpus {
            if !self.cpus.contains_key(&cpu.cpu) {
                bail!(
                    "{source} has cpu{}, which --topology {} does not list (it has {}): \
                     give the `coreheat info --json` of the machine the trace was recorded on",
                    cpu.cpu,
                    self.path.display(),
                    listed()
                );
            }
        }
        if meta.physical_cores > 0 {
            let warning = format!(
                "{source} recorded its own CPU topology ({}); --topology {} is not applied to it",
                crate::util::text::plural(meta.physical_cores, "physical core"),
                self.path.display()
            );
            meta.notes.push(format!(
                "CPU topology as the trace recorded it; --topology {} was not applied to it.",
                self.path.display()
            ));
            return Ok(Some(warning));
        }
        for cpu in &mut meta.cpus {
            (cpu.core, cpu.package) = self.cpus[&cpu.cpu];
        }
        meta.physical_cores = self.physical_cores;
        meta.logical_cpus = meta.logical_cpus.max(meta.cpus.len());
        let same_host = !meta.host.is_empty() && meta.host == self.host;
        if meta.cpu_model.is_empty() && same_host {
            meta.cpu_model = self.cpu_model.clone();
        }
        meta.notes.push(self.note(&meta.host));
        Ok(None)
    }

    /// Where the topology came from, and a caution when the hosts differ.
    fn note(&self, trace_host: &str) -> String {
        let mut note = format!(
            "CPU topology from {} (coreheat info --json{}).",
            self.path.display(),
            if self.host.is_empty() {
                String::new()
            } else {
                format!(" of {}", self.host)
            }
        );
        if !trace_host.is_empty() && !self.host.is_empty() && trace_host != self.host {
            note.push_str(&format!(
                " The trace was recorded on {trace_host}: make sure it is the same machine."
            ));
        }
        note
    }
}

/// `CPU 3`, `CPUs 0-7`.
fn cpus_named(cpus: &[u32]) -> String {
    let list = crate::util::cpulist::format_cpulist(cpus);
    match cpus.len() {
        1 => format!("CPU {list}"),
        _ => format!("CPUs {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TraceCpu;

    fn file(json: serde_json::Value) -> Result<TopologyFile> {
        TopologyFile::check(
            Path::new("info.json"),
            serde_json::from_value(json).unwrap(),
        )
    }

    fn cpu(cpu: u32, core: u32) -> serde_json::Value {
        serde_json::json!({"cpu": cpu, "package": 0, "core": core, "siblings": []})
    }

    fn flat_meta(cpus: &[u32]) -> Meta {
        Meta {
            host: "box".into(),
            cpus: cpus
                .iter()
                .map(|&cpu| TraceCpu {
                    cpu,
                    core: cpu,
                    package: 0,
                })
                .collect(),
            ..Meta::default()
        }
    }

    /// What `info --json` writes is what `--topology` reads: one definition.
    #[test]
    fn info_json_reads_back_as_a_topology_file() {
        use crate::machine::Machine;
        use crate::machine::topology::Topology;
        let machine = Machine::with_topology(Topology::synthetic(2, 2));
        let json =
            crate::util::sorted_json::to_string(&super::super::info::info_json(&machine)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("info.json");
        std::fs::write(&path, json).unwrap();
        let file = TopologyFile::read(&path).unwrap();
        assert_eq!((file.cpus.len(), file.physical_cores), (4, 2));
        assert_eq!(file.cpus.len(), 4);
        assert_eq!(file.host, machine.host);
    }

    #[test]
    fn cpus_get_their_cores_and_the_machine_its_counts() {
        let topology = file(serde_json::json!({
            "host": "box", "cpu_model": "Xeon", "logical_cpus": 4, "physical_cores": 2,
            "cpus": [cpu(0, 0), cpu(1, 1), cpu(2, 0), cpu(3, 1)],
        }))
        .unwrap();
        let mut meta = flat_meta(&[0, 1, 2, 3]);
        topology.apply(&mut meta, "x.csv").unwrap();
        let cores: Vec<u32> = meta.cpus.iter().map(|c| c.core).collect();
        assert_eq!(cores, [0, 1, 0, 1]);
        assert_eq!((meta.physical_cores, meta.logical_cpus), (2, 4));
        assert_eq!(meta.cpu_model, "Xeon");
        assert_eq!(
            meta.notes,
            ["CPU topology from info.json (coreheat info --json of box)."]
        );
    }

    #[test]
    fn a_cpu_missing_from_the_file_or_another_count_is_an_error_naming_both() {
        let topology = file(serde_json::json!({
            "host": "other", "cpu_model": "Epyc", "logical_cpus": 2, "physical_cores": 2,
            "cpus": [cpu(0, 0), cpu(1, 1)],
        }))
        .unwrap();
        let mut meta = flat_meta(&[0, 7]);
        let error = topology.apply(&mut meta, "x.csv").unwrap_err().to_string();
        assert!(
            error.contains("x.csv has cpu7") && error.contains("info.json"),
            "{error}"
        );
        let mut meta = flat_meta(&[0, 1, 2]);
        let error = topology.apply(&mut meta, "x.csv").unwrap_err().to_string();
        assert!(
            error.contains("x.csv has 3 CPUs (CPUs 0-2) but --topology info.json lists 2 CPUs"),
            "{error}"
        );
        let mut meta = flat_meta(&[0, 1]);
        topology.apply(&mut meta, "x.csv").unwrap();
        assert!(
            meta.notes[0].contains("recorded on box"),
            "{:?}",
            meta.notes
        );
        // Another host's model is never taken into this trace's header.
        assert_eq!(meta.cpu_model, "");
    }

    #[test]
    fn a_trace_that_recorded_its_topology_keeps_it_and_says_so() {
        let topology = file(serde_json::json!({
            "host": "box", "logical_cpus": 2, "physical_cores": 1,
            "cpus": [cpu(0, 0), cpu(1, 0)],
        }))
        .unwrap();
        let mut meta = flat_meta(&[0, 1]);
        meta.physical_cores = 2;
        let warning = topology.apply(&mut meta, "t.jsonl").unwrap().unwrap();
        assert!(
            warning.contains("recorded its own CPU topology"),
            "{warning}"
        );
        let cores: Vec<u32> = meta.cpus.iter().map(|c| c.core).collect();
        assert_eq!((cores, meta.physical_cores), (vec![0, 1], 2));
        assert!(
            meta.notes[0].contains("was not applied"),
            "{:?}",
            meta.notes
        );
    }

    #[test]
    fn empty_or_doubled_cpu_lists_are_refused() {
        let empty = serde_json::json!({"logical_cpus": 0, "physical_cores": 0, "cpus": []});
        assert!(file(empty).is_err());
        let doubled = serde_json::json!({
            "logical_cpus": 2, "physical_cores": 1, "cpus": [cpu(0, 0), cpu(0, 0)],
        });
        assert!(file(doubled).unwrap_err().to_string().contains("twice"));
    }
}
