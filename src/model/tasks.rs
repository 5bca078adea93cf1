//! The workload's tasks (threads, and the processes they belong to) as a trace
//! holds them: each task announced once ([`TaskInfo`]), and per sample the raw
//! counts each task added in that interval ([`TaskTicks`], one row of numbers in
//! [`TASK_FIELDS`] order), from which readers derive rates.

use serde::{Deserialize, Serialize};

/// The names of the numbers of a task row, in order (the header's `task_fields`).
pub const TASK_FIELDS: [&str; 8] = [
    "tid",
    "utime",
    "stime",
    "run_ns",
    "wait_ns",
    "vol_switches",
    "invol_switches",
    "cpu",
];

/// Largest thread id Linux hands out (`PID_MAX_LIMIT`, 2²²).
pub const MAX_TID: u64 = 4_194_304;

/// Largest CPU number a task row may name (Linux's largest `NR_CPUS` − 1).
pub const MAX_CPU: u64 = 8191;

/// Longest task name kept (the kernel's is 15 bytes; longer ones are cut).
pub const MAX_NAME_CHARS: usize = 64;

/// A task as first seen: its process (`pid`), its own id (`tid`), the
/// process's parent, and its name (`comm`). A later announcement of the same
/// `tid` renames it (a process that ran `exec`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub pid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub name: String,
}

impl TaskInfo {
    /// The ids in range and the name short enough, as every reader checks them.
    pub fn checked(mut self) -> Result<TaskInfo, String> {
        for (name, id) in [("pid", self.pid), ("tid", self.tid)] {
            if id == 0 || u64::from(id) > MAX_TID {
                return Err(format!(
                    "task {name} {id} is not a thread id (1 to {MAX_TID})"
                ));
            }
        }
        if u64::from(self.ppid) > MAX_TID {
            return Err(format!("task ppid {} is not a process id", self.ppid));
        }
        if self.name.chars().count() > MAX_NAME_CHARS {
            self.name = self.name.chars().take(MAX_NAME_CHARS).collect();
        }
        Ok(self)
    }
}

/// What one task added in one interval: CPU ticks in user and kernel mode
/// (`/proc/.../stat` utime, stime), nanoseconds on a CPU and waiting on a run
/// queue (`schedstat`), voluntary and involuntary context switches (`status`),
/// and the CPU it last ran on (a number, not a delta).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskTicks {
    pub tid: u32,
    pub utime: u64,
    pub stime: u64,
    pub run_ns: u64,
    pub wait_ns: u64,
    pub voluntary: u64,
    pub involuntary: u64,
    pub cpu: u32,
}

impl TaskTicks {
    /// The row's numbers in [`TASK_FIELDS`] order.
    pub fn fields(&self) -> [u64; 8] {
        [
            u64::from(self.tid),
            self.utime,
            self.stime,
            self.run_ns,
            self.wait_ns,
            self.voluntary,
            self.involuntary,
            u64::from(self.cpu),
        ]
    }

    /// A row from numbers in [`TASK_FIELDS`] order, each checked: ids and
    /// CPU numbers in range, counts whole numbers a JSON reader holds exactly.
    pub fn from_fields(values: [f64; 8]) -> Result<TaskTicks, String> {
        let mut whole = [0u64; 8];
        for ((slot, value), name) in whole.iter_mut().zip(values).zip(TASK_FIELDS) {
            *slot = super::checked_ticks(value)
                .map_err(|message| format!("task {name}: {message}"))? as u64;
        }
        let [
            tid,
            utime,
            stime,
            run_ns,
            wait_ns,
            voluntary,
            involuntary,
            cpu,
        ] = whole;
        if tid == 0 || tid > MAX_TID {
            return Err(format!(
                "task tid {tid} is not a thread id (1 to {MAX_TID})"
            ));
        }
        if cpu > MAX_CPU {
            return Err(format!(
                "task cpu {cpu} is not a CPU number (0 to {MAX_CPU})"
            ));
        }
        Ok(TaskTicks {
            tid: tid as u32,
            utime,
            stime,
            run_ns,
            wait_ns,
            voluntary,
            involuntary,
            cpu: cpu as u32,
        })
    }

    /// Whether the task did anything in the interval.
    pub fn is_active(&self) -> bool {
        self.fields()[1..7].iter().any(|&v| v > 0)
    }
}

/// CPU ticks, in user and kernel mode, of processes that ended in one
/// interval beyond what their task rows held: their last moments after their
/// last reading, or all of a process too short-lived to be read. Counted from
/// `pid`'s `cutime` and `cstime` (its reaped children's CPU time) less the
/// rows already written for them; `pid` is the process that reaped them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndedTicks {
    pub pid: u32,
    pub utime: u64,
    pub stime: u64,
}

impl EndedTicks {
    /// `[pid, utime, stime]`, as a trace holds it.
    pub fn fields(&self) -> [u64; 3] {
        [u64::from(self.pid), self.utime, self.stime]
    }

    /// From `[pid, utime, stime]`, each checked.
    pub fn from_fields(values: [f64; 3]) -> Result<EndedTicks, String> {
        let mut whole = [0u64; 3];
        for ((slot, value), name) in whole.iter_mut().zip(values).zip(["pid", "utime", "stime"]) {
            *slot = super::checked_ticks(value)
                .map_err(|message| format!("ended {name}: {message}"))? as u64;
        }
        let [pid, utime, stime] = whole;
        if pid == 0 || pid > MAX_TID {
            return Err(format!(
                "ended pid {pid} is not a process id (1 to {MAX_TID})"
            ));
        }
        Ok(EndedTicks {
            pid: pid as u32,
            utime,
            stime,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_round_trips_and_is_checked() {
        let row = TaskTicks {
            tid: 42,
            utime: 9,
            stime: 1,
            run_ns: 100_000_000,
            wait_ns: 5,
            voluntary: 3,
            involuntary: 4,
            cpu: 1,
        };
        let values = row.fields().map(|v| v as f64);
        assert_eq!(TaskTicks::from_fields(values), Ok(row));
        let mut bad = values;
        bad[0] = 0.0;
        assert!(
            TaskTicks::from_fields(bad)
                .unwrap_err()
                .contains("task tid 0")
        );
        bad = values;
        bad[7] = 9000.0;
        assert!(
            TaskTicks::from_fields(bad)
                .unwrap_err()
                .contains("task cpu 9000")
        );
        bad = values;
        bad[3] = -1.0;
        let error = TaskTicks::from_fields(bad).unwrap_err();
        assert!(error.contains("task run_ns: -1"), "{error}");
    }

    #[test]
    fn announcements_are_checked() {
        let info = |tid, name: &str| TaskInfo {
            pid: 1,
            tid,
            ppid: 0,
            name: name.into(),
        };
        assert!(info(0, "x").checked().is_err());
        assert!(info(5_000_000, "x").checked().is_err());
        let long = info(2, &"n".repeat(100)).checked().unwrap();
        assert_eq!(long.name.len(), MAX_NAME_CHARS);
    }
}
