//! What this process may use of the machine: the CPUs of its affinity mask
//! (`taskset`, a container's or a Slurm job's cpuset, systemd's `AllowedCPUs=`)
//! and the CPU quota of its cgroup (v2 `cpu.max`, v1 `cpu.cfs_quota_us` over
//! `cpu.cfs_period_us`). A run defaults to the allowed CPUs, and a quota that
//! caps the workload is named as the reason it cannot fill them.
//!
//! The cgroup files are read below a root (normally `/`, or the folder in
//! `COREHEAT_CGROUP_ROOT`), so tests can point the reader at a fake tree.

use crate::model::CpuQuota;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::machine::topology::Topology;
use crate::util::cpulist::format_cpulist;
use crate::util::os;

/// The variable that points the cgroup reader at another root (for tests).
pub const CGROUP_ROOT_VAR: &str = "COREHEAT_CGROUP_ROOT";

/// The CPUs and the CPU time this process may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuLimits {
    /// Online CPUs of the affinity mask, ascending.
    pub allowed: Vec<u32>,
    pub quota: CpuQuota,
}

impl CpuLimits {
    /// Reads this process's affinity mask and cgroup quota. CPUs the topology
    /// does not list (offline) are left out.
    pub fn detect(topology: &Topology) -> CpuLimits {
        Self::within_mask(topology, &os::current_affinity().unwrap_or_default())
    }

    /// For a topology read from another machine's tree (`COREHEAT_SYSFS_CPU`),
    /// which this process's affinity mask does not describe: all its CPUs are
    /// allowed; the quota is this process's.
    pub fn of_other_machine(topology: &Topology) -> CpuLimits {
        Self::within_mask(topology, &[])
    }

    fn within_mask(topology: &Topology, mask: &[u32]) -> CpuLimits {
        let root =
            std::env::var_os(CGROUP_ROOT_VAR).map_or_else(|| PathBuf::from("/"), PathBuf::from);
        CpuLimits {
            allowed: allowed_cpus(topology, mask),
            quota: read_quota(&root),
        }
    }

    /// Every CPU of the topology, quota not read (for machines described by hand).
    pub fn unrestricted(topology: &Topology) -> CpuLimits {
        CpuLimits {
            allowed: topology.cpus.iter().map(|c| c.cpu).collect(),
            quota: CpuQuota::Unknown {
                reason: "not read".into(),
            },
        }
    }

    /// Whether the process may run on every CPU of the topology.
    pub fn allows_all(&self, topology: &Topology) -> bool {
        self.allowed.len() == topology.logical_count()
    }

    /// For a person: "may use CPUs 0-3 (4 of 8), quota 1.5 CPUs".
    pub fn describe(&self, topology: &Topology) -> String {
        format!(
            "may use CPU{} {} ({} of {}), {}",
            if self.allowed.len() == 1 { "" } else { "s" },
            format_cpulist(&self.allowed),
            self.allowed.len(),
            topology.logical_count(),
            self.quota.describe()
        )
    }
}

/// The topology's CPUs that are in `mask`.
pub fn allowed_cpus(topology: &Topology, mask: &[u32]) -> Vec<u32> {
    let all: Vec<u32> = topology.cpus.iter().map(|c| c.cpu).collect();
    let allowed: Vec<u32> = all.iter().copied().filter(|c| mask.contains(c)).collect();
    if allowed.is_empty() { all } else { allowed }
}

/// The effective CPU quota of this process's cgroup below `root`: the smallest
/// limit of its cgroup and every parent. Never fails: what cannot be read is
/// `Unknown`, with the reason.
pub fn read_quota(root: &Path) -> CpuQuota {
    let membership = root.join("proc/self/cgroup");
    let Ok(text) = std::fs::read_to_string(&membership) else {
        return unknown(format!("cannot read {}", membership.display()));
    };
    let mounts = std::fs::read_to_string(root.join("proc/self/mountinfo")).unwrap_or_default();
    // Where the cpu controller is on a v1 hierarchy (v1 or hybrid machines), the
    // v2 hierarchy has no CPU limits to read.
    for hierarchy in [Hierarchy::V1Cpu, Hierarchy::V2] {
        if let Some(path) = cgroup_path(&text, hierarchy) {
            let mount = find_mount(&mounts, hierarchy).unwrap_or_else(|| default_mount(hierarchy));
            return walk_up(root, &mount, &path, hierarchy);
        }
    }
    unknown(format!(
        "{} names no cgroup with a cpu controller",
        membership.display()
    ))
}

fn unknown(reason: String) -> CpuQuota {
    CpuQuota::Unknown { reason }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Hierarchy {
    V2,
    V1Cpu,
}

/// A cgroup file system mount: where it is mounted and which cgroup it shows.
#[derive(Debug, Clone, PartialEq)]
struct Mount {
    point: String,
    root: String,
}

/// The process's cgroup path in that hierarchy, from /proc/self/cgroup.
fn cgroup_path(text: &str, hierarchy: Hierarchy) -> Option<String> {
    text.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (id, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let matches = match hierarchy {
            Hierarchy::V2 => id == "0" && controllers.is_empty(),
            Hierarchy::V1Cpu => controllers.split(',').any(|c| c == "cpu"),
        };
        matches.then(|| path.to_string())
    })
}

/// The mount of that hierarchy, from /proc/self/mountinfo.
fn find_mount(mountinfo: &str, hierarchy: Hierarchy) -> Option<Mount> {
    mountinfo.lines().find_map(|line| {
        let (before, after) = line.split_once(" - ")?;
        let fields: Vec<&str> = before.split(' ').collect();
        let mut tail = after.split(' ');
        let (fstype, _source, options) = (tail.next()?, tail.next()?, tail.next().unwrap_or(""));
        let matches = match hierarchy {
            Hierarchy::V2 => fstype == "cgroup2",
            Hierarchy::V1Cpu => fstype == "cgroup" && options.split(',').any(|o| o == "cpu"),
        };
        if !matches {
            return None;
        }
        Some(Mount {
            root: fields.get(3)?.to_string(),
            point: fields.get(4)?.to_string(),
        })
    })
}

fn default_mount(hierarchy: Hierarchy) -> Mount {
    let point = match hierarchy {
        Hierarchy::V2 => "/sys/fs/cgroup",
        Hierarchy::V1Cpu => "/sys/fs/cgroup/cpu,cpuacct",
    };
    Mount {
        point: point.into(),
        root: "/".into(),
    }
}

/// Reads the limit of the cgroup at `path` and of each parent up to the mount,
/// and keeps the smallest.
fn walk_up(root: &Path, mount: &Mount, path: &str, hierarchy: Hierarchy) -> CpuQuota {
    let relative = path
        .strip_prefix(mount.root.trim_end_matches('/'))
        .unwrap_or(path)
        .trim_start_matches('/');
    let base = root.join(mount.point.trim_start_matches('/'));
    let mut dir = base.join(relative);
    let mut tightest: Option<CpuQuota> = None;
    let mut read_any = None;
    loop {
        let at_top = dir == base;
        match read_limit(&dir, hierarchy, at_top) {
            Ok(Some(limit)) => {
                if tightest
                    .as_ref()
                    .and_then(CpuQuota::cpus)
                    .is_none_or(|c| limit.0 < c)
                {
                    tightest = Some(limit_quota(limit, &dir, hierarchy));
                }
                read_any.get_or_insert(dir.clone());
            }
            Ok(None) => {
                read_any.get_or_insert(dir.clone());
            }
            Err(()) => {}
        }
        if at_top || !dir.pop() || !dir.starts_with(&base) {
            break;
        }
    }
    match (tightest, read_any) {
        (Some(limit), _) => limit,
        (None, Some(dir)) => CpuQuota::None {
            source: source_name(&dir, hierarchy),
        },
        (None, None) => unknown(format!(
            "no readable {} in {} or its parents",
            limit_file(hierarchy),
            base.join(relative).display()
        )),
    }
}

/// (CPUs, quota µs, period µs) of one cgroup folder; `Ok(None)` for no limit,
/// `Err` when its files cannot be read or make no sense.
fn read_limit(
    dir: &Path,
    hierarchy: Hierarchy,
    at_top: bool,
) -> Result<Option<(f64, u64, u64)>, ()> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|_| ());
    let (quota, period) = match hierarchy {
        // The v2 root cgroup has no cpu.max: it cannot be limited.
        Hierarchy::V2 if at_top && !dir.join("cpu.max").exists() => {
            read("cgroup.controllers")?;
            return Ok(None);
        }
        Hierarchy::V2 => {
            let text = read("cpu.max")?;
            let mut words = text.split_whitespace();
            let quota = words.next().ok_or(())?;
            let period = words.next().unwrap_or("100000");
            (quota.to_string(), period.to_string())
        }
        Hierarchy::V1Cpu => (
            read("cpu.cfs_quota_us")?.trim().to_string(),
            read("cpu.cfs_period_us")?.trim().to_string(),
        ),
    };
    if quota == "max" || quota == "-1" {
        return Ok(None);
    }
    let quota: u64 = quota.parse().map_err(|_| ())?;
    let period: u64 = period.parse().map_err(|_| ())?;
    if quota == 0 || period == 0 {
        return Err(());
    }
    Ok(Some((quota as f64 / period as f64, quota, period)))
}

fn limit_quota(
    (cpus, quota_us, period_us): (f64, u64, u64),
    dir: &Path,
    hierarchy: Hierarchy,
) -> CpuQuota {
    CpuQuota::Limit {
        cpus,
        quota_us,
        period_us,
        source: source_name(dir, hierarchy),
    }
}

fn limit_file(hierarchy: Hierarchy) -> &'static str {
    match hierarchy {
        Hierarchy::V2 => "cpu.max",
        Hierarchy::V1Cpu => "cpu.cfs_quota_us",
    }
}

fn source_name(dir: &Path, hierarchy: Hierarchy) -> String {
    let version = match hierarchy {
        Hierarchy::V2 => "cgroup v2",
        Hierarchy::V1Cpu => "cgroup v1",
    };
    format!("{version} {}", dir.join(limit_file(hierarchy)).display())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake root with /proc/self/{cgroup,mountinfo} and cgroup files.
    struct FakeRoot {
        dir: tempfile::TempDir,
    }

    impl FakeRoot {
        fn new(cgroup: &str, mountinfo: &str) -> FakeRoot {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("proc/self")).unwrap();
            std::fs::write(dir.path().join("proc/self/cgroup"), cgroup).unwrap();
            std::fs::write(dir.path().join("proc/self/mountinfo"), mountinfo).unwrap();
            FakeRoot { dir }
        }

        fn file(&self, path: &str, text: &str) -> &FakeRoot {
            let path = self.dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
            self
        }

        fn quota(&self) -> CpuQuota {
            read_quota(self.dir.path())
        }
    }

    const V2_MOUNT: &str =
        "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
    const V1_MOUNT: &str =
        "35 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup cgroup rw,cpu,cpuacct\n";

    #[test]
    fn v2_max_is_no_quota() {
        let root = FakeRoot::new("0::/user.slice/job\n", V2_MOUNT);
        root.file("sys/fs/cgroup/user.slice/job/cpu.max", "max 100000\n");
        let quota = root.quota();
        assert!(matches!(quota, CpuQuota::None { .. }), "{quota:?}");
        assert_eq!(quota.describe(), "no CPU quota");
    }

    #[test]
    fn v2_quota_of_one_and_a_half_cpus() {
        let root = FakeRoot::new("0::/job\n", V2_MOUNT);
        root.file("sys/fs/cgroup/job/cpu.max", "150000 100000\n");
        let quota = root.quota();
        assert_eq!(quota.cpus(), Some(1.5));
        assert_eq!(quota.describe(), "quota 1.5 CPUs");
    }

    #[test]
    fn a_parents_tighter_limit_wins() {
        let root = FakeRoot::new("0::/outer/inner\n", V2_MOUNT);
        root.file("sys/fs/cgroup/outer/cpu.max", "50000 100000\n")
            .file("sys/fs/cgroup/outer/inner/cpu.max", "200000 100000\n");
        assert_eq!(root.quota().cpus(), Some(0.5));
    }

    #[test]
    fn a_namespaced_mount_maps_the_path() {
        // Inside a container: the mount shows /docker/abc as its root.
        let mount = "30 23 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        let root = FakeRoot::new("0::/docker/abc\n", mount);
        root.file("sys/fs/cgroup/cpu.max", "100000 100000\n");
        assert_eq!(root.quota().cpus(), Some(1.0));
    }

    #[test]
    fn v1_quota_and_period() {
        let root = FakeRoot::new(
            "12:memory:/slurm/job1\n4:cpu,cpuacct:/slurm/job1\n",
            V1_MOUNT,
        );
        root.file(
            "sys/fs/cgroup/cpu,cpuacct/slurm/job1/cpu.cfs_quota_us",
            "250000\n",
        )
        .file(
            "sys/fs/cgroup/cpu,cpuacct/slurm/job1/cpu.cfs_period_us",
            "100000\n",
        );
        let quota = root.quota();
        assert_eq!(quota.cpus(), Some(2.5));
        assert!(
            matches!(&quota, CpuQuota::Limit { source, .. } if source.starts_with("cgroup v1"))
        );
    }

    #[test]
    fn v1_minus_one_is_no_quota() {
        let root = FakeRoot::new("4:cpu,cpuacct:/\n", V1_MOUNT);
        root.file("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n")
            .file("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
        assert!(matches!(root.quota(), CpuQuota::None { .. }));
    }

    #[test]
    fn missing_or_unreadable_files_are_unknown_never_an_error() {
        let root = FakeRoot::new("0::/job\n", V2_MOUNT);
        assert!(matches!(root.quota(), CpuQuota::Unknown { .. }));
        // A folder where the file should be cannot be read as one.
        std::fs::create_dir_all(root.dir.path().join("sys/fs/cgroup/job/cpu.max")).unwrap();
        let quota = root.quota();
        assert!(
            quota.describe().starts_with("CPU quota unknown"),
            "{quota:?}"
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(read_quota(empty.path()), CpuQuota::Unknown { .. }));
        let garbage = FakeRoot::new("0::/job\n", V2_MOUNT);
        garbage.file("sys/fs/cgroup/job/cpu.max", "lots 0\n");
        assert!(matches!(garbage.quota(), CpuQuota::Unknown { .. }));
    }

    #[test]
    fn on_a_hybrid_machine_the_v1_cpu_controller_is_read() {
        let cgroup = "4:memory:/x\n2:cpuacct:/\n1:cpu:/\n0::/\n";
        let mounts = "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n\
                      41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        let root = FakeRoot::new(cgroup, mounts);
        root.file("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n")
            .file("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
        let quota = root.quota();
        assert!(
            matches!(&quota, CpuQuota::None { source } if source.contains("cgroup v1")),
            "{quota:?}"
        );
    }

    #[test]
    fn without_mountinfo_the_usual_mount_point_is_used() {
        let root = FakeRoot::new("0::/job\n", "");
        root.file("sys/fs/cgroup/job/cpu.max", "300000 100000\n");
        assert_eq!(root.quota().cpus(), Some(3.0));
    }

    #[test]
    fn allowed_cpus_are_the_topologys_cpus_in_the_mask() {
        let topology = Topology::synthetic(4, 1);
        assert_eq!(allowed_cpus(&topology, &[0, 2, 9]), vec![0, 2]);
        assert_eq!(allowed_cpus(&topology, &[42]), vec![0, 1, 2, 3]);
        let limits = CpuLimits {
            allowed: vec![0, 1],
            quota: CpuQuota::Limit {
                cpus: 1.5,
                quota_us: 150000,
                period_us: 100000,
                source: String::new(),
            },
        };
        assert_eq!(
            limits.describe(&topology),
            "may use CPUs 0-1 (2 of 4), quota 1.5 CPUs"
        );
        assert!(!limits.allows_all(&topology));
    }
}
