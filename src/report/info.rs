//! `coreheat info`: the machine as coreheat sees it — CPU model, logical CPUs,
//! physical cores, packages and SMT siblings, the pinning orders, and the CPUs
//! and CPU quota this process may use — as a table or as JSON.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::machine::Machine;
use crate::machine::pin::PinSpec;
use crate::machine::topology::LogicalCpu;
use crate::model::CpuQuota;
use crate::util::cpulist::format_cpulist;
use crate::util::text::plural;

/// The human-readable table.
pub fn info_table(machine: &Machine) -> String {
    let topology = &machine.topology;
    let mut out = String::new();
    let _ = writeln!(out, "host        {}", machine.host);
    let _ = writeln!(
        out,
        "os          {} (kernel {})",
        machine.os, machine.kernel
    );
    let _ = writeln!(out, "cpu model   {}", machine.cpu_model);
    let _ = writeln!(
        out,
        "cpus        {} logical on {} in {}{}",
        topology.logical_count(),
        plural(topology.physical_count(), "physical core"),
        plural(topology.package_count(), "package"),
        if topology.has_smt() {
            ", SMT on"
        } else {
            ", no SMT"
        },
    );
    if !topology.offline.is_empty() {
        let _ = writeln!(out, "offline     {}", format_cpulist(&topology.offline));
    }
    let _ = writeln!(out, "source      {}", topology.source);
    let limits = &machine.limits;
    let _ = writeln!(
        out,
        "allowed     CPU{} {} ({} of {}: this process's affinity mask)",
        if limits.allowed.len() == 1 { "" } else { "s" },
        format_cpulist(&limits.allowed),
        limits.allowed.len(),
        topology.logical_count()
    );
    let quota_source = match &limits.quota {
        CpuQuota::None { source } | CpuQuota::Limit { source, .. } => format!(" ({source})"),
        CpuQuota::Unknown { .. } => String::new(),
    };
    let _ = writeln!(out, "cpu quota   {}{quota_source}", limits.quota.describe());
    let _ = writeln!(
        out,
        "spread      {}  (--pin spread: one per physical core first)",
        order(&pin_order(machine, PinSpec::Spread))
    );
    let _ = writeln!(
        out,
        "compact     {}  (--pin compact: SMT siblings first)",
        order(&pin_order(machine, PinSpec::Compact))
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>4}  {:>7}  {:>4}  siblings",
        "cpu", "package", "core"
    );
    for cpu in &topology.cpus {
        let _ = writeln!(
            out,
            "{:>4}  {:>7}  {:>4}  {}",
            cpu.cpu,
            cpu.package,
            cpu.core,
            format_cpulist(&cpu.siblings)
        );
    }
    out
}

/// The CPUs a pinning gives workers, in order, within the allowed CPUs (as a
/// run would use them).
fn pin_order(machine: &Machine, pin: PinSpec) -> Vec<u32> {
    pin.cpu_order(&machine.topology, &machine.limits.allowed)
        .unwrap_or_default()
}

/// A CPU order as workers take it: `0,2,1,3`.
fn order(cpus: &[u32]) -> String {
    cpus.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The part of `info --json` that says which CPUs share a core: written by
/// `info --json` and read back by `render --topology` (`topology_file`), so
/// both use these names. A file written by hand may leave out the host and
/// CPU model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InfoTopology {
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub cpu_model: String,
    pub logical_cpus: usize,
    pub physical_cores: usize,
    /// One entry per online logical CPU: `cpu`, `core`, `package`, `siblings`.
    pub cpus: Vec<LogicalCpu>,
}

/// The one JSON object of `info --json`: the same facts as the table.
#[derive(Debug, Serialize)]
pub struct InfoJson<'a> {
    #[serde(flatten)]
    pub topology: InfoTopology,
    pub os: &'a str,
    pub kernel: &'a str,
    pub packages: usize,
    pub smt: bool,
    /// CPUs the kernel knows but which are offline now.
    pub offline: &'a [u32],
    /// Where the topology came from: `sysfs` or `sysinfo`.
    pub source: &'a str,
    /// The CPUs `--pin spread` gives workers, in order.
    pub spread_order: Vec<u32>,
    /// The CPUs `--pin compact` gives workers, in order.
    pub compact_order: Vec<u32>,
    /// This process's affinity mask.
    pub allowed_cpus: &'a [u32],
    pub cpu_quota: &'a CpuQuota,
}

/// The same facts as JSON.
pub fn info_json(machine: &Machine) -> InfoJson<'_> {
    let topology = &machine.topology;
    InfoJson {
        topology: InfoTopology {
            host: machine.host.clone(),
            cpu_model: machine.cpu_model.clone(),
            logical_cpus: topology.logical_count(),
            physical_cores: topology.physical_count(),
            cpus: topology.cpus.clone(),
        },
        os: &machine.os,
        kernel: &machine.kernel,
        packages: topology.package_count(),
        smt: topology.has_smt(),
        offline: &topology.offline,
        source: &topology.source,
        spread_order: pin_order(machine, PinSpec::Spread),
        compact_order: pin_order(machine, PinSpec::Compact),
        allowed_cpus: &machine.limits.allowed,
        cpu_quota: &machine.limits.quota,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::topology::Topology;

    #[test]
    fn one_core_is_singular() {
        let table = info_table(&Machine::with_topology(Topology::synthetic(1, 2)));
        assert!(
            table.contains("cpus        2 logical on 1 physical core in 1 package, SMT on\n"),
            "{table}"
        );
    }
}
