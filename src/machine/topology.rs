//! Which logical CPUs exist and how they sit on physical cores and packages.
//!
//! Read from `/sys/devices/system/cpu` (any root, so tests point it at fake trees of
//! every shape: no SMT, Intel-style 0-3/4-7 siblings, adjacent 0,1/2,3 siblings,
//! several packages, offline CPUs, gaps), with sysinfo as the fallback where there
//! is no sysfs. `COREHEAT_SYSFS_CPU` shows such a tree in `coreheat info`; runs
//! never follow it, as they sample and pin this machine's CPUs. Also home of the kernel's cpulist syntax (`0-3,8`) and of the
//! `spread`/`compact` placement orders used for pinning.

use crate::util::cpulist::{format_cpulist, parse_cpulist};
use crate::util::text::plural;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One logical CPU (what the kernel calls `cpuN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogicalCpu {
    /// The kernel's CPU number.
    pub cpu: u32,
    /// Physical package (socket).
    pub package: u32,
    /// Dense index of the physical core this CPU belongs to (0.., in order of the
    /// cores' lowest CPU number), unique across packages.
    pub core: u32,
    /// All logical CPUs of that physical core, this one included.
    pub siblings: Vec<u32>,
}

/// The online logical CPUs of a machine, sorted by CPU number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    pub cpus: Vec<LogicalCpu>,
    /// CPUs the kernel knows but which are offline now.
    pub offline: Vec<u32>,
    /// Where the facts came from (`sysfs` or `sysinfo`).
    pub source: String,
}

/// Errors reading a sysfs tree.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("no online CPU found under {0}")]
    Empty(PathBuf),
}

/// The sysfs directory describing CPUs on Linux.
pub const SYSFS_CPU_ROOT: &str = "/sys/devices/system/cpu";

/// The variable that shows another `/sys/devices/system/cpu`-shaped tree in
/// `coreheat info` (machines of other shapes; the tests' fake trees).
pub const SYSFS_CPU_VAR: &str = "COREHEAT_SYSFS_CPU";

impl Topology {
    /// The topology of this machine: sysfs where there is one, sysinfo
    /// otherwise. Runs sample and pin by it, so it never follows
    /// [`SYSFS_CPU_VAR`].
    pub fn detect() -> Topology {
        Self::from_sysfs(Path::new(SYSFS_CPU_ROOT)).unwrap_or_else(|_| Self::from_sysinfo())
    }

    /// The tree [`SYSFS_CPU_VAR`] names, when it is set: a machine that is not
    /// this one, and its `source` says so.
    pub fn from_sysfs_var() -> Option<Result<Topology, TopologyError>> {
        let root = PathBuf::from(std::env::var_os(SYSFS_CPU_VAR)?);
        Some(Self::from_sysfs(&root).map(|mut topology| {
            topology.source = format!(
                "{SYSFS_CPU_VAR}={}: a sysfs tree that is not this machine (runs use this machine's CPUs)",
                root.display()
            );
            topology
        }))
    }

    /// Reads a `/sys/devices/system/cpu`-shaped tree rooted at `root`.
    pub fn from_sysfs(root: &Path) -> Result<Topology, TopologyError> {
        let online = read_cpulist_file(&root.join("online"))?;
        let possible = read_cpulist_file(&root.join("present"))
            .or_else(|_| read_cpulist_file(&root.join("possible")))
            .unwrap_or_else(|_| online.clone());
        let offline = possible
            .iter()
            .copied()
            .filter(|cpu| !online.contains(cpu))
            .collect();

        let mut raw = Vec::with_capacity(online.len());
        for &cpu in &online {
            let dir = root.join(format!("cpu{cpu}/topology"));
            let package = read_number(&dir.join("physical_package_id")).unwrap_or(0);
            let siblings = read_cpulist_file(&dir.join("core_cpus_list"))
                .or_else(|_| read_cpulist_file(&dir.join("thread_siblings_list")))
                .unwrap_or_else(|_| vec![cpu]);
            let siblings: Vec<u32> = siblings
                .into_iter()
                .filter(|sibling| online.contains(sibling))
                .collect();
            raw.push((cpu, package, siblings));
        }
        if raw.is_empty() {
            return Err(TopologyError::Empty(root.to_path_buf()));
        }
        Ok(Self::assemble(raw, offline, "sysfs"))
    }

    /// Facts from sysinfo where there is no sysfs: the logical and physical core
    /// counts. Which CPUs are siblings is not known; when the counts divide, the
    /// common numbering (siblings of core c are c, c + cores, ...) is assumed and
    /// the source says so; otherwise each logical CPU is its own core.
    pub fn from_sysinfo() -> Topology {
        let refresh = sysinfo::RefreshKind::nothing().with_cpu(sysinfo::CpuRefreshKind::nothing());
        let logical = sysinfo::System::new_with_specifics(refresh)
            .map(|s| s.cpus().len() as u32)
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32));
        let physical = sysinfo::System::physical_core_count()
            .map(|n| n as u32)
            .unwrap_or(logical);
        if physical > 0 && physical < logical && logical.is_multiple_of(physical) {
            let mut topology = Self::synthetic(physical, logical / physical);
            topology.source = "sysinfo (sibling numbering assumed)".into();
            return topology;
        }
        let raw = (0..logical).map(|cpu| (cpu, 0, vec![cpu])).collect();
        Self::assemble(raw, Vec::new(), "sysinfo")
    }

    /// A machine of `cores` physical cores with `threads` SMT siblings each,
    /// numbered Intel-style (siblings of core c are c, c+cores, ...).
    pub fn synthetic(cores: u32, threads: u32) -> Topology {
        let raw = (0..cores * threads)
            .map(|cpu| {
                let core = cpu % cores;
                (cpu, 0, (0..threads).map(|t| core + t * cores).collect())
            })
            .collect();
        Self::assemble(raw, Vec::new(), "synthetic")
    }

    fn assemble(mut raw: Vec<(u32, u32, Vec<u32>)>, offline: Vec<u32>, source: &str) -> Topology {
        raw.sort_by_key(|(cpu, _, _)| *cpu);
        // A core is identified by its sibling set; number cores by their lowest CPU.
        let mut core_of_set: BTreeMap<Vec<u32>, u32> = BTreeMap::new();
        let mut cpus = Vec::with_capacity(raw.len());
        for (cpu, package, mut siblings) in raw {
            if !siblings.contains(&cpu) {
                siblings.push(cpu);
            }
            siblings.sort_unstable();
            siblings.dedup();
            let next = core_of_set.len() as u32;
            let core = *core_of_set.entry(siblings.clone()).or_insert(next);
            cpus.push(LogicalCpu {
                cpu,
                package,
                core,
                siblings,
            });
        }
        Topology {
            cpus,
            offline,
            source: source.to_string(),
        }
    }

    pub fn logical_count(&self) -> usize {
        self.cpus.len()
    }

    pub fn physical_count(&self) -> usize {
        self.core_groups().len()
    }

    pub fn package_count(&self) -> usize {
        let mut packages: Vec<u32> = self.cpus.iter().map(|c| c.package).collect();
        packages.sort_unstable();
        packages.dedup();
        packages.len()
    }

    /// The counts as the reports state them: `8 logical CPUs on 4 physical cores`.
    pub fn describe_counts(&self) -> String {
        format!(
            "{} on {}",
            plural(self.logical_count(), "logical CPU"),
            plural(self.physical_count(), "physical core")
        )
    }

    /// True when at least one core has more than one logical CPU.
    pub fn has_smt(&self) -> bool {
        self.cpus.iter().any(|c| c.siblings.len() > 1)
    }

    pub fn get(&self, cpu: u32) -> Option<&LogicalCpu> {
        self.cpus.iter().find(|c| c.cpu == cpu)
    }

    /// The logical CPUs of each physical core, cores in order of their lowest CPU.
    pub fn core_groups(&self) -> Vec<Vec<u32>> {
        let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for cpu in &self.cpus {
            groups.entry(cpu.core).or_default().push(cpu.cpu);
        }
        groups.into_values().collect()
    }

    /// Placement order that uses every physical core once before any sibling.
    pub fn spread_order(&self) -> Vec<u32> {
        let groups = self.core_groups();
        let depth = groups.iter().map(Vec::len).max().unwrap_or(0);
        (0..depth)
            .flat_map(|level| groups.iter().filter_map(move |g| g.get(level).copied()))
            .collect()
    }

    /// Placement order that fills all siblings of a core before the next core.
    pub fn compact_order(&self) -> Vec<u32> {
        self.core_groups().into_iter().flatten().collect()
    }

    /// Checks that every CPU of `list` is online; names the first that is not.
    pub fn check_online(&self, list: &[u32]) -> Result<(), String> {
        for &cpu in list {
            if self.get(cpu).is_none() {
                let state = if self.offline.contains(&cpu) {
                    "offline"
                } else {
                    "not present on this machine"
                };
                return Err(format!(
                    "CPU {cpu} is {state}; online CPUs are {}",
                    format_cpulist(&self.cpus.iter().map(|c| c.cpu).collect::<Vec<_>>())
                ));
            }
        }
        Ok(())
    }
}

fn read_text(path: &Path) -> Result<String, TopologyError> {
    fs::read_to_string(path).map_err(|source| TopologyError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn read_number(path: &Path) -> Result<u32, TopologyError> {
    let text = read_text(path)?;
    let value: i64 = text.trim().parse().map_err(|_| TopologyError::Parse {
        path: path.to_path_buf(),
        message: format!("'{}' is not a number", text.trim()),
    })?;
    // Some kernels report -1 for an unknown package.
    Ok(value.max(0) as u32)
}

fn read_cpulist_file(path: &Path) -> Result<Vec<u32>, TopologyError> {
    let text = read_text(path)?;
    parse_cpulist(&text).map_err(|message| TopologyError::Parse {
        path: path.to_path_buf(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysinfo_fallback_agrees_with_sysfs_on_counts() {
        let sysinfo = Topology::from_sysinfo();
        let sysfs = Topology::detect();
        assert_eq!(sysinfo.logical_count(), sysfs.logical_count());
        assert!(sysinfo.source.starts_with("sysinfo"));
    }

    #[test]
    fn synthetic_intel_style_orders() {
        let topo = Topology::synthetic(4, 2);
        assert_eq!(topo.logical_count(), 8);
        assert_eq!(topo.physical_count(), 4);
        assert_eq!(topo.get(5).unwrap().siblings, vec![1, 5]);
        assert_eq!(topo.spread_order(), vec![0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(topo.compact_order(), vec![0, 4, 1, 5, 2, 6, 3, 7]);
    }

    #[test]
    fn counts_read_as_the_reports_state_them() {
        assert_eq!(
            Topology::synthetic(4, 2).describe_counts(),
            "8 logical CPUs on 4 physical cores"
        );
        assert_eq!(
            Topology::synthetic(1, 1).describe_counts(),
            "1 logical CPU on 1 physical core"
        );
    }
}
