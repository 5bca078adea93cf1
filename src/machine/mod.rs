//! Facts about the machine a run happens on (host, OS, kernel, CPU model and the
//! CPU topology), gathered once per run for the trace header and `coreheat info`.

pub mod limits;
pub mod pin;
pub mod topology;

use serde::{Deserialize, Serialize};

use crate::machine::limits::CpuLimits;
use crate::machine::topology::{Topology, TopologyError};
use crate::model::{Meta, TraceCpu};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub host: String,
    pub os: String,
    pub kernel: String,
    pub cpu_model: String,
    pub topology: Topology,
    /// The CPUs and CPU time this process may use.
    pub limits: CpuLimits,
}

impl Machine {
    /// Reads this machine's facts and what this process may use of it; anything
    /// unreadable becomes "unknown". Runs sample and pin by it: it is always
    /// this machine, whatever `COREHEAT_SYSFS_CPU` says.
    pub fn collect() -> Machine {
        let topology = Topology::detect();
        let limits = CpuLimits::detect(&topology);
        Machine {
            limits,
            ..Self::with_topology(topology)
        }
    }

    /// What `coreheat info` shows: this machine, or with `COREHEAT_SYSFS_CPU`
    /// set, the CPUs of the tree it names (a tree that cannot be read is an
    /// error, not this machine in its place).
    pub fn for_info() -> Result<Machine, TopologyError> {
        let Some(topology) = Topology::from_sysfs_var() else {
            return Ok(Machine::collect());
        };
        let topology = topology?;
        Ok(Machine {
            limits: CpuLimits::of_other_machine(&topology),
            ..Self::with_topology(topology)
        })
    }

    /// A machine of the given topology, every CPU of it allowed.
    pub fn with_topology(topology: Topology) -> Machine {
        let unknown = || "unknown".to_string();
        Machine {
            host: sysinfo::System::host_name().unwrap_or_else(|_| unknown()),
            os: sysinfo::System::long_os_version().unwrap_or_else(|_| unknown()),
            kernel: sysinfo::System::kernel_version().unwrap_or_else(|_| unknown()),
            cpu_model: cpu_model().unwrap_or_else(unknown),
            limits: CpuLimits::unrestricted(&topology),
            topology,
        }
    }

    /// A trace header with this machine's facts, the interval and the start time
    /// filled in; the caller adds what ran.
    pub fn meta(&self, interval: std::time::Duration) -> Meta {
        Meta {
            tool: format!("coreheat {}", env!("CARGO_PKG_VERSION")),
            host: self.host.clone(),
            os: self.os.clone(),
            kernel: self.kernel.clone(),
            cpu_model: self.cpu_model.clone(),
            logical_cpus: self.topology.logical_count(),
            physical_cores: self.topology.physical_count(),
            cpus: self.trace_cpus(),
            allowed_cpus: Some(self.limits.allowed.clone()),
            cpu_quota: Some(self.limits.quota.clone()),
            interval_s: interval.as_secs_f64(),
            start: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            ..Meta::default()
        }
    }

    /// The CPUs in trace-header form.
    pub fn trace_cpus(&self) -> Vec<TraceCpu> {
        self.topology
            .cpus
            .iter()
            .map(|c| TraceCpu {
                cpu: c.cpu,
                core: c.core,
                package: c.package,
            })
            .collect()
    }
}

fn cpu_model() -> Option<String> {
    let refresh = sysinfo::RefreshKind::nothing().with_cpu(sysinfo::CpuRefreshKind::nothing());
    let system = sysinfo::System::new_with_specifics(refresh).ok()?;
    let brand = system.cpus().first()?.brand().trim().to_string();
    (!brand.is_empty()).then_some(brand)
}
