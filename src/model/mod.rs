//! The data model every layer shares: what a trace holds (CPU loads, samples,
//! events, how a run ended) and the facts about the run in its header.
//!
//! Plain serde types with their range checks; the trace file's reader and writer
//! live in `trace`, the workloads' kinds and results in [`workload`].

pub mod sched;
pub mod tasks;
pub mod workload;

use serde::{Deserialize, Serialize};

use crate::util::units::format_cpus;
use workload::{WorkloadMeta, WorkloadResult};

/// Percent of one interval that one logical CPU spent in each state, as in
/// /proc/stat (`nice` is user time at low priority; guest time is inside usr/nice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuLoad {
    pub usr: f64,
    pub nice: f64,
    pub sys: f64,
    pub idle: f64,
    pub iowait: f64,
    pub irq: f64,
    pub softirq: f64,
    pub steal: f64,
}

impl CpuLoad {
    /// Busy percent: everything but idle and iowait.
    pub fn busy(&self) -> f64 {
        self.usr + self.nice + self.sys + self.irq + self.softirq + self.steal
    }

    /// User-space percent (usr + nice).
    pub fn user(&self) -> f64 {
        self.usr + self.nice
    }

    /// Kernel percent (sys + irq + softirq).
    pub fn kernel(&self) -> f64 {
        self.sys + self.irq + self.softirq
    }

    /// `f(mine, theirs)` field by field: the one place the eight fields meet
    /// in arithmetic (sums, weights and means build on it).
    fn zip_with(&self, other: &CpuLoad, f: impl Fn(f64, f64) -> f64) -> CpuLoad {
        CpuLoad {
            usr: f(self.usr, other.usr),
            nice: f(self.nice, other.nice),
            sys: f(self.sys, other.sys),
            idle: f(self.idle, other.idle),
            iowait: f(self.iowait, other.iowait),
            irq: f(self.irq, other.irq),
            softirq: f(self.softirq, other.softirq),
            steal: f(self.steal, other.steal),
        }
    }

    /// The load with every field checked by [`checked_percent`].
    pub fn checked(&self) -> Result<CpuLoad, String> {
        let field = |name: &str, value: f64| {
            checked_percent(value).map_err(|message| format!("{name}: {message}"))
        };
        Ok(CpuLoad {
            usr: field("usr", self.usr)?,
            nice: field("nice", self.nice)?,
            sys: field("sys", self.sys)?,
            idle: field("idle", self.idle)?,
            iowait: field("iowait", self.iowait)?,
            irq: field("irq", self.irq)?,
            softirq: field("softirq", self.softirq)?,
            steal: field("steal", self.steal)?,
        })
    }
}

/// Field by field: sums of loads over samples.
impl std::ops::AddAssign<&CpuLoad> for CpuLoad {
    fn add_assign(&mut self, other: &CpuLoad) {
        *self = self.zip_with(other, |mine, theirs| mine + theirs);
    }
}

/// Every field times a weight: a load held for some seconds.
impl std::ops::Mul<f64> for CpuLoad {
    type Output = CpuLoad;

    fn mul(self, weight: f64) -> CpuLoad {
        self.zip_with(&self, |field, _| field * weight)
    }
}

/// Every field divided: the mean of sums.
impl std::ops::Div<f64> for CpuLoad {
    type Output = CpuLoad;

    fn div(self, divisor: f64) -> CpuLoad {
        self.zip_with(&self, |field, _| field / divisor)
    }
}

/// The states of one CPU's row in a version-2 trace sample, in order (the order
/// of /proc/stat's columns).
pub const CPU_FIELDS: [&str; 8] = [
    "usr", "nice", "sys", "idle", "iowait", "irq", "softirq", "steal",
];

impl CpuLoad {
    /// A load from numbers in [`CPU_FIELDS`] order.
    pub fn from_fields(fields: [f64; 8]) -> CpuLoad {
        let [usr, nice, sys, idle, iowait, irq, softirq, steal] = fields;
        CpuLoad {
            usr,
            nice,
            sys,
            idle,
            iowait,
            irq,
            softirq,
            steal,
        }
    }

    /// The numbers in [`CPU_FIELDS`] order.
    pub fn fields(&self) -> [f64; 8] {
        [
            self.usr,
            self.nice,
            self.sys,
            self.idle,
            self.iowait,
            self.irq,
            self.softirq,
            self.steal,
        ]
    }

    /// Each of `counts` (time in each state, any unit) as percent of their sum,
    /// as dstat and mpstat derive them from /proc/stat; all zeros (no data, an
    /// offline CPU) stay all zeros.
    pub fn from_counts(counts: [f64; 8]) -> CpuLoad {
        let total: f64 = counts.iter().sum();
        if total <= 0.0 {
            return CpuLoad::default();
        }
        CpuLoad::from_fields(counts.map(|count| count * 100.0 / total))
    }
}

/// One CPU's ticks (1/USER_HZ s, `ticks_per_s` of the header) in each state over
/// one interval, in [`CPU_FIELDS`] order: the deltas of /proc/stat's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTicks(pub [u64; 8]);

impl CpuTicks {
    /// Percent of the interval in each state (all zeros when no tick was counted).
    pub fn load(&self) -> CpuLoad {
        CpuLoad::from_counts(self.0.map(|ticks| ticks as f64))
    }
}

/// What the numbers of a version-2 trace's CPU rows count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CpuUnit {
    /// Ticks of the kernel's clock, `ticks_per_s` a second (coreheat's own runs).
    Ticks,
    /// Percent of the interval (imports of dstat and mpstat, which record no ticks).
    Percent,
}

impl CpuUnit {
    /// Its name in a header: `ticks`, `percent`.
    pub fn as_str(self) -> &'static str {
        match self {
            CpuUnit::Ticks => "ticks",
            CpuUnit::Percent => "percent",
        }
    }
}

/// Largest tick count a row may hold: 2^53 - 1, the largest integer every JSON
/// reader (JavaScript, jq) holds exactly; a CPU counts it in 2.8 million years
/// at 100 000 ticks a second.
pub const MAX_TICKS: f64 = 9_007_199_254_740_991.0;

/// Most ticks a second a header may name (Linux's USER_HZ is 100; its internal
/// HZ is at most 1000).
pub const MAX_TICKS_PER_S: u32 = 100_000;

/// A tick count read from a file: a whole number from 0 to [`MAX_TICKS`].
pub fn checked_ticks(value: f64) -> Result<f64, String> {
    if value.is_finite() && (0.0..=MAX_TICKS).contains(&value) && value.fract() == 0.0 {
        return Ok(value);
    }
    Err(format!(
        "{} is not a number of ticks (a whole number from 0 to 2^53 - 1)",
        show_number(value)
    ))
}

/// Rounding a percentage may have, beyond 0 and 100, in a file that is read.
pub const PERCENT_TOLERANCE: f64 = 0.5;

/// Longest time a trace may cover, in seconds (about 31 years).
pub const MAX_SECONDS: f64 = 1e9;

/// Longest sampling interval a file may name: a day.
pub const MAX_INTERVAL_S: f64 = 86_400.0;

/// A percentage read from a file: finite and within 0..=100 give or take
/// [`PERCENT_TOLERANCE`], then clamped to 0..=100.
pub fn checked_percent(value: f64) -> Result<f64, String> {
    let range = -PERCENT_TOLERANCE..=100.0 + PERCENT_TOLERANCE;
    if !value.is_finite() || !range.contains(&value) {
        return Err(format!("{} is not a percentage", show_number(value)));
    }
    Ok(value.clamp(0.0, 100.0))
}

/// A time or duration in seconds read from a file: finite, 0 to [`MAX_SECONDS`].
pub fn check_seconds(name: &str, value: f64) -> Result<(), String> {
    if value.is_finite() && (0.0..=MAX_SECONDS).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{name} {} is not a number of seconds from 0 to {MAX_SECONDS:e}",
            show_number(value)
        ))
    }
}

/// A number for a message: `1e308`, not 309 digits.
pub fn show_number(value: f64) -> String {
    if value.is_finite() && value.abs() >= 1e12 {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}

/// Checks that sample times never go backwards.
#[derive(Debug, Default)]
pub struct TimeOrder {
    previous: Option<f64>,
}

impl TimeOrder {
    pub fn check(&mut self, t: f64) -> Result<(), String> {
        if let Some(previous) = self.previous
            && t < previous
        {
            return Err(format!(
                "time {} is before the previous sample's {}; samples must go forward in time",
                show_number(t),
                show_number(previous)
            ));
        }
        self.previous = Some(t);
        Ok(())
    }
}

/// One logical CPU as the header lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceCpu {
    pub cpu: u32,
    pub core: u32,
    pub package: u32,
}

/// Everything known about a run before it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Meta {
    /// `coreheat 0.1.0`, or the foreign tool a trace was imported from.
    pub tool: String,
    pub host: String,
    pub os: String,
    pub kernel: String,
    pub cpu_model: String,
    pub logical_cpus: usize,
    pub physical_cores: usize,
    /// The CPUs sampled, in the order of each sample's `cpus`.
    pub cpus: Vec<TraceCpu>,
    /// Version 2: the names of the numbers of every CPU row, in order: always
    /// [`CPU_FIELDS`] (the trace writer states them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpu_fields: Vec<String>,
    /// Version 2: what the rows count; absent in version 1 (percent objects),
    /// and percent when the trace writer finds it absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_unit: Option<CpuUnit>,
    /// Ticks a second (USER_HZ) when `cpu_unit` is ticks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticks_per_s: Option<u32>,
    /// The names of the numbers of every task row of a sample's `tasks`, in
    /// order: [`tasks::TASK_FIELDS`]; empty when the trace has no tasks (tasks
    /// off, older traces, imports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_fields: Vec<String>,
    /// Where "who ran where" came from (`events`, `sampled`, `off`) and why,
    /// when not the source asked for; absent in older traces and imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sched: Option<sched::SchedMeta>,
    /// The CPUs the run was allowed to use (its affinity mask); absent when
    /// not known (imports, older traces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_cpus: Option<Vec<u32>>,
    /// The CPU quota of the run's cgroup; absent when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<CpuQuota>,
    pub interval_s: f64,
    /// RFC 3339 start time.
    pub start: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The equivalent command line, ready to copy.
    #[serde(default)]
    pub command: String,
    /// What ran: kind and options; `None` (written `null`) when not known, as
    /// for imported traces. Written with its keys sorted, as it always was.
    #[serde(
        default,
        deserialize_with = "WorkloadMeta::read_lenient",
        serialize_with = "crate::util::sorted_json::serialize"
    )]
    pub workload: Option<WorkloadMeta>,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub workers: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The CPU each worker was pinned to, when pinned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub worker_cpus: Vec<u32>,
    /// Remarks for the reader (import notes, for example).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Meta {
    /// Whether the first sample's interval starts at time 0: a coreheat
    /// trace of ticks (its sampler reads the counters once at `start`).
    pub fn counted_from_start(&self) -> bool {
        self.tool.starts_with("coreheat") && self.cpu_unit == Some(CpuUnit::Ticks)
    }

    /// What every reader requires of a trace's description: 1 to
    /// [`MAX_CPUS`](crate::util::cpulist::MAX_CPUS) CPUs, each listed once, and a
    /// sampling interval of more than 0 and at most [`MAX_INTERVAL_S`].
    pub fn check(&self) -> Result<(), String> {
        check_cpu_count(self.cpus.len())?;
        let mut seen = std::collections::BTreeSet::new();
        for cpu in &self.cpus {
            if cpu.cpu > crate::util::cpulist::MAX_CPU_NUMBER {
                return Err(format!("lists cpu{}, beyond any CPU number", cpu.cpu));
            }
            if !seen.insert(cpu.cpu) {
                return Err(format!("lists cpu{} twice", cpu.cpu));
            }
        }
        let interval = self.interval_s;
        if !(interval.is_finite() && interval > 0.0 && interval <= MAX_INTERVAL_S) {
            return Err(format!(
                "has interval_s {}, not a sampling interval (more than 0 s, at most a day)",
                show_number(interval)
            ));
        }
        self.check_counts(&seen)
    }

    /// States the form of the CPU rows: the names of [`CPU_FIELDS`] and `unit`
    /// (a tick rate goes in `ticks_per_s`).
    pub fn state_rows(&mut self, unit: CpuUnit) {
        self.cpu_fields = CPU_FIELDS.map(String::from).to_vec();
        self.cpu_unit = Some(unit);
    }

    /// What a version-2 header must say of its CPU rows: the field names of
    /// [`CPU_FIELDS`] in that order, the unit, and for ticks a tick rate of 1 to
    /// [`MAX_TICKS_PER_S`]. Returns the unit.
    pub fn check_rows(&self) -> Result<CpuUnit, String> {
        self.check_fields()?;
        let unit = self
            .cpu_unit
            .ok_or("has no cpu_unit; version 2 says ticks or percent")?;
        if unit == CpuUnit::Ticks {
            match self.ticks_per_s {
                Some(rate) if (1..=MAX_TICKS_PER_S).contains(&rate) => {}
                Some(rate) => {
                    return Err(format!(
                        "has ticks_per_s {rate}; a tick rate is 1 to {MAX_TICKS_PER_S} a second"
                    ));
                }
                None => return Err("counts ticks but has no ticks_per_s".into()),
            }
        }
        Ok(unit)
    }

    /// Whether the samples carry task rows: `task_fields` are
    /// [`tasks::TASK_FIELDS`] (`Ok(false)` when absent; any other list is refused,
    /// naming the first name that differs).
    pub fn check_task_fields(&self) -> Result<bool, String> {
        if self.task_fields.is_empty() {
            return Ok(false);
        }
        let names = tasks::TASK_FIELDS;
        let first_difference = (0..names.len().max(self.task_fields.len()))
            .find(|&at| self.task_fields.get(at).map(String::as_str) != names.get(at).copied());
        match first_difference {
            None => Ok(true),
            Some(at) => Err(format!(
                "has task_fields whose name {} is '{}' where version 2 has '{}' ({})",
                at + 1,
                crate::util::input::excerpt(self.task_fields.get(at).map_or("", String::as_str)),
                names.get(at).unwrap_or(&"nothing"),
                names.join(", ")
            )),
        }
    }

    /// `cpu_fields` are exactly [`CPU_FIELDS`], in order.
    fn check_fields(&self) -> Result<(), String> {
        let order = CPU_FIELDS.join(", ");
        let count = self.cpu_fields.len();
        if count == 0 {
            return Err(format!(
                "has no cpu_fields; version 2 names the numbers of a CPU row: {order}"
            ));
        }
        for (at, expected) in CPU_FIELDS.iter().enumerate() {
            match self.cpu_fields.get(at) {
                Some(name) if name == expected => {}
                Some(name) => {
                    return Err(format!(
                        "has cpu_fields '{}' where version 2 has '{expected}' (field {}); \
                         the rows are {order}",
                        crate::util::input::excerpt(name),
                        at + 1
                    ));
                }
                None => break,
            }
        }
        if count != CPU_FIELDS.len() {
            return Err(format!(
                "has {count} cpu_fields; version 2 rows have 8: {order}"
            ));
        }
        Ok(())
    }

    /// The machine's counts and the run's CPU limits agree with the CPU list.
    fn check_counts(&self, listed: &std::collections::BTreeSet<u32>) -> Result<(), String> {
        use crate::util::cpulist::MAX_CPUS;
        if self.logical_cpus > MAX_CPUS || self.physical_cores > MAX_CPUS {
            return Err(format!(
                "claims {} logical CPUs and {} physical cores; Linux supports at most {MAX_CPUS}",
                self.logical_cpus, self.physical_cores
            ));
        }
        if let Some(allowed) = &self.allowed_cpus
            && let Some(stray) = allowed.iter().find(|cpu| !listed.contains(cpu))
        {
            return Err(format!(
                "says the run may use cpu{stray}, which its CPU list does not have"
            ));
        }
        if let Some(quota) = self.cpu_quota.as_ref().and_then(|q| q.cpus())
            && !(quota.is_finite() && quota > 0.0 && quota <= MAX_CPUS as f64)
        {
            return Err(format!("has a CPU quota of {} CPUs", show_number(quota)));
        }
        Ok(())
    }
}

/// A count of CPUs a trace can have: 1 to [`MAX_CPUS`](crate::util::cpulist::MAX_CPUS).
pub fn check_cpu_count(count: usize) -> Result<(), String> {
    use crate::util::cpulist::MAX_CPUS;
    match count {
        0 => Err("lists no CPUs".into()),
        n if n > MAX_CPUS => Err(format!(
            "lists {n} CPUs; Linux supports at most {MAX_CPUS}, so this is not a real recording"
        )),
        _ => Ok(()),
    }
}

/// The first line of a trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub meta: Meta,
}

/// One sampling interval ending at `t` seconds after the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub t: f64,
    pub cpus: Vec<CpuLoad>,
}

/// Something that happened during a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub t: f64,
    pub event: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    WorkloadStart,
    WorkloadEnd,
    WorkerExit,
    Interrupt,
    Note,
}

/// Receives events the workload wants in the trace (worker exits, for example).
pub trait EventSink: Sync {
    fn record(&self, kind: EventKind, worker: Option<usize>, detail: Option<String>);
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
    Interrupted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The last line of a complete trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct End {
    pub status: Status,
    /// The workload's result, tagged with its kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<WorkloadResult>,
    /// Wall-clock seconds of the workload itself.
    pub wall_s: f64,
    /// CPU seconds of the workload in user and kernel mode.
    pub user_s: f64,
    pub sys_s: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The CPU time a cgroup lets the process use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CpuQuota {
    /// The cgroup (and every parent) sets no limit.
    None { source: String },
    /// At most `cpus` CPUs' worth of time: `quota_us` per `period_us`.
    Limit {
        cpus: f64,
        quota_us: u64,
        period_us: u64,
        source: String,
    },
    /// The quota could not be read; why.
    Unknown { reason: String },
}

impl CpuQuota {
    /// The limit in CPUs, when there is one.
    pub fn cpus(&self) -> Option<f64> {
        match self {
            CpuQuota::Limit { cpus, .. } => Some(*cpus),
            _ => None,
        }
    }

    /// For a person: "quota 1.5 CPUs", "no CPU quota", "CPU quota unknown (...)".
    pub fn describe(&self) -> String {
        match self {
            CpuQuota::None { .. } => "no CPU quota".into(),
            CpuQuota::Limit { cpus, .. } => format!("quota {} CPUs", format_cpus(*cpus)),
            CpuQuota::Unknown { reason } => format!("CPU quota unknown ({reason})"),
        }
    }
}
