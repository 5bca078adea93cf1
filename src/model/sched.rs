//! The scheduler's own record of who ran where, as a trace holds it: exact
//! scheduling slices of the workload's threads (read from the kernel's
//! `sched_switch`, `sched_wakeup`, `sched_migrate_task` and `sched_process_exit`
//! tracepoints), the migrations between CPUs, and per CPU the time other
//! programs ran. Raw facts only, in integers; figures (concurrency, run-queue
//! latency) are derived when reading (`summary::sched`).

use serde::{Deserialize, Serialize};

use super::tasks::{MAX_CPU, MAX_NAME_CHARS, MAX_TID};

/// The names of the numbers of a slice row, in order (the header's
/// `sched.slice_fields`).
pub const SLICE_FIELDS: [&str; 7] = [
    "tid", "cpu", "start_us", "dur_us", "end", "wait_us", "waker",
];

/// Largest time a slice may name, in µs: the 10⁹ s every trace time is held to.
pub const MAX_US: u64 = 1_000_000_000 * 1_000_000;

/// Where the trace's "who ran where" came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchedSource {
    /// The scheduler's tracepoints: every switch, exact.
    Events,
    /// The workload's tasks read from /proc at every sample.
    Sampled,
    /// Not recorded.
    Off,
}

impl SchedSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SchedSource::Events => "events",
            SchedSource::Sampled => "sampled",
            SchedSource::Off => "off",
        }
    }
}

/// Which source of "who ran where" a run asks for (`--sched`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchedRequest {
    /// Events where the kernel allows them, else sampled (the default).
    #[default]
    Auto,
    Events,
    Sampled,
    Off,
}

impl SchedRequest {
    /// The words `--sched` takes.
    pub const WORDS: [&'static str; 3] = ["events", "sampled", "off"];

    pub fn parse(word: &str) -> Option<SchedRequest> {
        Some(match word {
            "events" => SchedRequest::Events,
            "sampled" => SchedRequest::Sampled,
            "off" => SchedRequest::Off,
            _ => return None,
        })
    }

    /// The word that asks for it again (`None`: the default, no flag needed).
    pub fn word(self) -> Option<&'static str> {
        match self {
            SchedRequest::Auto => None,
            SchedRequest::Events => Some("events"),
            SchedRequest::Sampled => Some("sampled"),
            SchedRequest::Off => Some("off"),
        }
    }
}

/// The header's `sched`: which source recorded the run and, when it is not
/// the one asked for, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedMeta {
    pub source: SchedSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// With `events`: the names of a slice row's numbers ([`SLICE_FIELDS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slice_fields: Vec<String>,
}

/// How a slice on a CPU ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SliceEnd {
    /// Switched out while still runnable: its time slice was up, or a task of
    /// higher priority woke.
    Preempted,
    /// Switched out to wait (a lock, I/O, a sleep, a child).
    Blocked,
    /// The thread ended.
    Exited,
    /// Still on the CPU when recording stopped.
    Running,
}

impl SliceEnd {
    pub fn code(self) -> u64 {
        self as u64
    }

    pub fn from_code(code: u64) -> Option<SliceEnd> {
        Some(match code {
            0 => SliceEnd::Preempted,
            1 => SliceEnd::Blocked,
            2 => SliceEnd::Exited,
            3 => SliceEnd::Running,
            _ => return None,
        })
    }

    pub fn word(self) -> &'static str {
        match self {
            SliceEnd::Preempted => "preempted",
            SliceEnd::Blocked => "blocked",
            SliceEnd::Exited => "exited",
            SliceEnd::Running => "still running",
        }
    }
}

/// One stretch of a thread on one CPU: from `start_us` (µs since the trace's
/// start) for `dur_us`; how it ended; how long the thread had waited to run
/// (runnable on a run queue) before it, and who woke it (0: it was preempted
/// before, or the waker is not known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub tid: u32,
    pub cpu: u32,
    pub start_us: u64,
    pub dur_us: u64,
    pub end: SliceEnd,
    pub wait_us: u64,
    pub waker: u32,
}

impl Slice {
    pub fn end_us(&self) -> u64 {
        self.start_us + self.dur_us
    }

    /// The row's numbers in [`SLICE_FIELDS`] order.
    pub fn fields(&self) -> [u64; 7] {
        [
            u64::from(self.tid),
            u64::from(self.cpu),
            self.start_us,
            self.dur_us,
            self.end.code(),
            self.wait_us,
            u64::from(self.waker),
        ]
    }

    /// A row from numbers in [`SLICE_FIELDS`] order, each checked.
    pub fn from_fields(values: [u64; 7]) -> Result<Slice, String> {
        let [tid, cpu, start_us, dur_us, end, wait_us, waker] = values;
        check_tid("slice tid", tid)?;
        check_cpu("slice cpu", cpu)?;
        if waker > MAX_TID {
            return Err(format!("slice waker {waker} is not a thread id"));
        }
        for (name, us) in [
            ("start_us", start_us),
            ("dur_us", dur_us),
            ("wait_us", wait_us),
        ] {
            check_us(name, us)?;
        }
        check_us("start_us + dur_us", start_us + dur_us)?;
        let end = SliceEnd::from_code(end).ok_or_else(|| {
            format!("slice end {end} is not a known way to end (0 preempted, 1 blocked, 2 exited, 3 running)")
        })?;
        Ok(Slice {
            tid: tid as u32,
            cpu: cpu as u32,
            start_us,
            dur_us,
            end,
            wait_us,
            waker: waker as u32,
        })
    }
}

/// A thread moved from one CPU to another at `t_us`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub t_us: u64,
    pub tid: u32,
    pub from: u32,
    pub to: u32,
}

impl Migration {
    pub fn fields(&self) -> [u64; 4] {
        [
            self.t_us,
            u64::from(self.tid),
            u64::from(self.from),
            u64::from(self.to),
        ]
    }

    pub fn from_fields([t_us, tid, from, to]: [u64; 4]) -> Result<Migration, String> {
        check_us("migration time", t_us)?;
        check_tid("migration tid", tid)?;
        check_cpu("migration from", from)?;
        check_cpu("migration to", to)?;
        Ok(Migration {
            t_us,
            tid: tid as u32,
            from: from as u32,
            to: to as u32,
        })
    }
}

/// A workload thread as the scheduler named it (`comm`), with its process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedThread {
    pub tid: u32,
    pub pid: u32,
    pub name: String,
}

impl SchedThread {
    pub fn checked(mut self) -> Result<SchedThread, String> {
        check_tid("thread tid", u64::from(self.tid))?;
        check_tid("thread pid", u64::from(self.pid))?;
        if self.name.chars().count() > MAX_NAME_CHARS {
            self.name = self.name.chars().take(MAX_NAME_CHARS).collect();
        }
        Ok(self)
    }
}

/// What the scheduler recorded since the line before: the slices that ended,
/// the workload's migrations, threads first seen (or renamed), and per CPU of
/// the header (in its order) the µs other programs ran. `lost` counts events
/// the kernel could not hand over (its ring buffer was full); `dropped` the
/// slices coreheat left out to stay within [`MAX_SLICES_PER_S`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchedBatch {
    pub slices: Vec<Slice>,
    pub migrations: Vec<Migration>,
    pub threads: Vec<SchedThread>,
    pub other_us: Vec<u64>,
    pub lost: u64,
    pub dropped: u64,
    /// Slices whose switch-in the kernel did not deliver: their start is the
    /// latest moment known before it (the CPU's switch before, or the
    /// thread's wake-up), so they may be a little long.
    pub unpaired: u64,
}

/// Slices a second kept at most (about what a busy 2-CPU machine switches);
/// beyond, slices are counted in `dropped` instead of written.
pub const MAX_SLICES_PER_S: u64 = 200_000;

impl SchedBatch {
    pub fn is_empty(&self) -> bool {
        self.slices.is_empty()
            && self.migrations.is_empty()
            && self.threads.is_empty()
            && self.other_us.iter().all(|&us| us == 0)
            && self.lost == 0
            && self.dropped == 0
            && self.unpaired == 0
    }
}

fn check_tid(name: &str, id: u64) -> Result<(), String> {
    if id == 0 || id > MAX_TID {
        return Err(format!("{name} {id} is not a thread id (1 to {MAX_TID})"));
    }
    Ok(())
}

fn check_cpu(name: &str, cpu: u64) -> Result<(), String> {
    if cpu > MAX_CPU {
        return Err(format!("{name} {cpu} is not a CPU number (0 to {MAX_CPU})"));
    }
    Ok(())
}

fn check_us(name: &str, us: u64) -> Result<(), String> {
    if us > MAX_US {
        return Err(format!("{name} {us} µs is beyond 10⁹ s"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_round_trips_through_its_fields() {
        let slice = Slice {
            tid: 42,
            cpu: 1,
            start_us: 1_500_000,
            dur_us: 4_900,
            end: SliceEnd::Blocked,
            wait_us: 12,
            waker: 43,
        };
        assert_eq!(Slice::from_fields(slice.fields()), Ok(slice));
    }

    #[test]
    fn bad_slice_rows_name_the_field() {
        let error = Slice::from_fields([42, 1, 0, 10, 7, 0, 0]).unwrap_err();
        assert!(error.contains("slice end 7"), "{error}");
        let error = Slice::from_fields([0, 1, 0, 10, 0, 0, 0]).unwrap_err();
        assert!(error.contains("slice tid 0"), "{error}");
        let error = Slice::from_fields([1, 9000, 0, 10, 0, 0, 0]).unwrap_err();
        assert!(error.contains("slice cpu 9000"), "{error}");
        let error = Slice::from_fields([1, 0, MAX_US, 10, 0, 0, 0]).unwrap_err();
        assert!(error.contains("beyond"), "{error}");
    }
}
