//! Facts about the machine a run happens on (host, OS, kernel, CPU model and the
//! CPU topology), gathered once per run for the trace header and `coreheat info`.

use serde::Serialize;

use crate::topology::Topology;
use crate::trace::TraceCpu;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub host: String,
    pub os: String,
    pub kernel: String,
    pub cpu_model: String,
    pub topology: Topology,
}

impl Machine {
    /// Reads this machine's facts; anything unreadable becomes "unknown".
    pub fn collect() -> Machine {
        Self::with_topology(Topology::detect())
    }

    pub fn with_topology(topology: Topology) -> Machine {
        let unknown = || "unknown".to_string();
        Machine {
            host: sysinfo::System::host_name().unwrap_or_else(|_| unknown()),
            os: sysinfo::System::long_os_version().unwrap_or_else(|_| unknown()),
            kernel: sysinfo::System::kernel_version().unwrap_or_else(|_| unknown()),
            cpu_model: cpu_model().unwrap_or_else(unknown),
            topology,
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
