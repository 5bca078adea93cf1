//! Who ran where: a trace's task lines and rows boiled down, in one streaming
//! pass, into per-thread series binned like the heat map's columns (at most
//! [`MAX_THREAD_COLUMNS`]), whole-window totals per thread, the workload's
//! CPUs against the machine's busy CPUs over time, and the per-interval counts
//! the run findings need (busy threads on SMT siblings, moves between CPUs).
//! Rates are derived here from the trace's raw counts.

use std::collections::HashMap;

use crate::model::tasks::{TaskInfo, TaskTicks};
use crate::model::{CpuLoad, Meta};

/// Widest threads view, in columns.
pub const MAX_THREAD_COLUMNS: usize = 120;

/// Threads followed one by one; more (a build spawning thousands of short
/// processes) are counted together in [`ThreadsSummary::folded`].
pub const MAX_FOLLOWED_THREADS: usize = 4096;

/// A thread is busy in an interval when it ran at least this share of it.
pub const BUSY_SHARE: f64 = 0.5;

/// What one thread did over some time (one column, or the whole window).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Use {
    /// Seconds of the interval(s) covered.
    pub seconds: f64,
    /// CPU seconds in user and kernel mode (`utime`, `stime`).
    pub usr_s: f64,
    pub sys_s: f64,
    /// Seconds on a CPU and waiting on a run queue (`schedstat`; 0 without it).
    pub run_s: f64,
    pub wait_s: f64,
    pub voluntary: u64,
    pub involuntary: u64,
    /// The CPU it last ran on (the last interval's).
    pub cpu: Option<u32>,
}

impl Use {
    fn add(&mut self, other: &Use) {
        self.seconds += other.seconds;
        self.usr_s += other.usr_s;
        self.sys_s += other.sys_s;
        self.run_s += other.run_s;
        self.wait_s += other.wait_s;
        self.voluntary += other.voluntary;
        self.involuntary += other.involuntary;
        self.cpu = other.cpu.or(self.cpu);
    }

    /// CPU seconds: schedstat's time on a CPU, else the ticks of utime + stime.
    pub fn cpu_s(&self) -> f64 {
        if self.run_s > 0.0 {
            self.run_s
        } else {
            self.usr_s + self.sys_s
        }
    }

    /// Share of the time on a CPU (1.0 = one whole CPU).
    pub fn cpu_share(&self) -> f64 {
        ratio(self.cpu_s(), self.seconds)
    }

    /// Share of the time runnable but waiting for a CPU.
    pub fn wait_share(&self) -> f64 {
        ratio(self.wait_s, self.seconds)
    }

    /// `usr 40 %, sys 2 %, waiting 30 %, 12 voluntary + 3 involuntary switches/s, cpu1`.
    pub fn describe(&self) -> String {
        let percent = |value: f64| format!("{:.0} %", 100.0 * ratio(value, self.seconds));
        let per_s = |count: u64| format!("{:.0}", ratio(count as f64, self.seconds));
        let cpu = self
            .cpu
            .map_or(String::new(), |c| format!(", last on cpu{c}"));
        format!(
            "usr {}, sys {}, waiting for a CPU {}, {} voluntary + {} involuntary switches/s{cpu}",
            percent(self.usr_s),
            percent(self.sys_s),
            percent(self.wait_s),
            per_s(self.voluntary),
            per_s(self.involuntary),
        )
    }
}

fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// One thread of the workload.
#[derive(Debug, Clone)]
pub struct ThreadSeries {
    pub info: TaskInfo,
    /// One per column of [`ThreadsSummary::columns`].
    pub cells: Vec<Use>,
    /// Over the workload window (the whole trace when it has none).
    pub total: Use,
    /// The CPUs it was seen on, ascending.
    pub cpus: Vec<u32>,
    /// Times it was on another CPU than in its previous busy interval.
    pub migrations: u32,
    /// Busy intervals that followed a busy interval (where a move can be seen).
    pub busy_pairs: u32,
    last_busy_cpu: Option<u32>,
}

/// One column of the threads view.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ThreadColumn {
    pub t_start: f64,
    pub t_end: f64,
    pub samples: u32,
    /// CPU-seconds of the workload's threads and of the whole machine (busy).
    pub workload_cpu_s: f64,
    pub machine_busy_cpu_s: f64,
}

impl ThreadColumn {
    fn merge(&mut self, other: &ThreadColumn) {
        self.t_end = other.t_end;
        self.samples += other.samples;
        self.workload_cpu_s += other.workload_cpu_s;
        self.machine_busy_cpu_s += other.machine_busy_cpu_s;
    }

    /// CPUs the workload kept busy, and the machine's busy CPUs.
    pub fn cpus(&self) -> (f64, f64) {
        let seconds = self.t_end - self.t_start;
        (
            ratio(self.workload_cpu_s, seconds),
            ratio(self.machine_busy_cpu_s, seconds),
        )
    }
}

/// Everything the threads view and the run findings use.
#[derive(Debug, Clone, Default)]
pub struct ThreadsSummary {
    pub threads: Vec<ThreadSeries>,
    pub columns: Vec<ThreadColumn>,
    /// Threads beyond [`MAX_FOLLOWED_THREADS`], counted together.
    pub folded: Use,
    pub folded_threads: usize,
    /// Window intervals in which two busy threads ran on SMT siblings of one
    /// core while another core was idle, of the window intervals with two or
    /// more busy threads; and an example (the two CPUs and the idle core).
    pub smt_shared_intervals: u32,
    pub multi_busy_intervals: u32,
    pub smt_example: Option<(u32, u32, usize)>,
    /// Seconds of the workload window that had task rows.
    pub window_s: f64,
}

/// Streams task records into a [`ThreadsSummary`].
pub struct ThreadsBuilder {
    summary: ThreadsSummary,
    index_of: HashMap<u32, usize>,
    ticks_per_s: f64,
    /// Each CPU's physical core (by the header's order and CPU number).
    core_of: HashMap<u32, usize>,
    per_column: u32,
    in_column: u32,
    /// The current sample: its interval, whether it is in the window, each
    /// CPU's busy share.
    interval: (f64, f64),
    in_window: bool,
    busy_cpus: HashMap<u32, f64>,
}

impl ThreadsBuilder {
    /// A builder for a trace whose header is `meta`; `None` when it has no tasks.
    pub fn new(meta: &Meta) -> Option<ThreadsBuilder> {
        if meta.task_fields.is_empty() {
            return None;
        }
        let smt = meta.physical_cores > 0 && meta.physical_cores < meta.cpus.len();
        Some(ThreadsBuilder {
            summary: ThreadsSummary::default(),
            index_of: HashMap::new(),
            ticks_per_s: f64::from(meta.ticks_per_s.unwrap_or(100)),
            core_of: if smt {
                meta.cpus.iter().map(|c| (c.cpu, c.core as usize)).collect()
            } else {
                HashMap::new()
            },
            per_column: 1,
            in_column: 0,
            interval: (0.0, 0.0),
            in_window: false,
            busy_cpus: HashMap::new(),
        })
    }

    /// A task announced (again: renamed).
    pub fn task(&mut self, task: TaskInfo) {
        if let Some(&at) = self.index_of.get(&task.tid) {
            self.summary.threads[at].info = task;
            return;
        }
        if self.summary.threads.len() >= MAX_FOLLOWED_THREADS {
            self.summary.folded_threads += 1;
            return;
        }
        self.index_of.insert(task.tid, self.summary.threads.len());
        let columns = self.summary.columns.len();
        self.summary.threads.push(ThreadSeries {
            info: task,
            cells: vec![Use::default(); columns],
            total: Use::default(),
            cpus: Vec::new(),
            migrations: 0,
            busy_pairs: 0,
            last_busy_cpu: None,
        });
    }

    /// A sample from `t_start` to `t`, `in_window` when it overlaps the
    /// workload window; `cpus` in the header's order of `cpu_numbers`.
    pub fn sample(
        &mut self,
        t_start: f64,
        t: f64,
        in_window: bool,
        cpus: &[CpuLoad],
        cpu_numbers: &[u32],
    ) {
        self.interval = (t_start, t);
        self.in_window = in_window;
        self.busy_cpus.clear();
        let mut busy = 0.0;
        for (load, &cpu) in cpus.iter().zip(cpu_numbers) {
            busy += load.busy() / 100.0;
            self.busy_cpus.insert(cpu, load.busy() / 100.0);
        }
        let seconds = t - t_start;
        if in_window {
            self.summary.window_s += seconds;
        }
        self.open_column(t_start, t);
        let column = self.summary.columns.last_mut().expect("a column is open");
        column.machine_busy_cpu_s += busy * seconds;
        for thread in &mut self.summary.threads {
            if thread.cells.len() < self.summary.columns.len() {
                thread.cells.push(Use::default());
            }
        }
    }

    /// The task rows of the sample just given.
    pub fn rows(&mut self, rows: &[TaskTicks]) {
        let seconds = self.interval.1 - self.interval.0;
        let mut busy_on = Vec::new();
        for row in rows {
            let used = self.use_of(row, seconds);
            let Some(&at) = self.index_of.get(&row.tid) else {
                if self.in_window {
                    self.summary.folded.add(&used);
                }
                continue;
            };
            if let Some(column) = self.summary.columns.last_mut() {
                column.workload_cpu_s += used.cpu_s();
            }
            let thread = &mut self.summary.threads[at];
            if let Some(cell) = thread.cells.last_mut() {
                cell.add(&used);
            }
            if !self.in_window {
                continue;
            }
            thread.total.add(&used);
            if let Err(place) = thread.cpus.binary_search(&row.cpu) {
                thread.cpus.insert(place, row.cpu);
            }
            let busy = used.cpu_share() >= BUSY_SHARE;
            if busy {
                busy_on.push(row.cpu);
                if let Some(before) = thread.last_busy_cpu {
                    thread.busy_pairs += 1;
                    thread.migrations += u32::from(before != row.cpu);
                }
            }
            thread.last_busy_cpu = busy.then_some(row.cpu);
        }
        if self.in_window && busy_on.len() >= 2 {
            self.summary.multi_busy_intervals += 1;
            self.note_smt_sharing(&busy_on);
        }
    }

    /// Counts the interval when two busy threads were on siblings of one core
    /// while a whole other core was idle (less than half busy on every CPU).
    fn note_smt_sharing(&mut self, busy_on: &[u32]) {
        let core = |cpu: &u32| self.core_of.get(cpu).copied();
        let siblings = busy_on.iter().enumerate().find_map(|(at, a)| {
            busy_on[at + 1..]
                .iter()
                .find(|b| *b != a && core(a).is_some() && core(a) == core(b))
                .map(|b| (*a, *b))
        });
        let Some((a, b)) = siblings else {
            return;
        };
        let mut cores: HashMap<usize, bool> = HashMap::new();
        for (cpu, &core) in &self.core_of {
            let idle = self.busy_cpus.get(cpu).is_some_and(|&busy| busy < 0.5);
            *cores.entry(core).or_insert(true) &= idle;
        }
        if let Some((&idle_core, _)) = cores.iter().filter(|(_, idle)| **idle).min() {
            self.summary.smt_shared_intervals += 1;
            self.summary.smt_example.get_or_insert((a, b, idle_core));
        }
    }

    fn use_of(&self, row: &TaskTicks, seconds: f64) -> Use {
        Use {
            seconds,
            usr_s: row.utime as f64 / self.ticks_per_s,
            sys_s: row.stime as f64 / self.ticks_per_s,
            run_s: row.run_ns as f64 / 1e9,
            wait_s: row.wait_ns as f64 / 1e9,
            voluntary: row.voluntary,
            involuntary: row.involuntary,
            cpu: Some(row.cpu),
        }
    }

    /// Starts a column for the sample, or adds it to the open one; halves the
    /// columns (merging neighbours) when there are twice too many.
    fn open_column(&mut self, t_start: f64, t: f64) {
        let columns = &mut self.summary.columns;
        if self.in_column == 0 || self.in_column >= self.per_column {
            columns.push(ThreadColumn {
                t_start,
                ..ThreadColumn::default()
            });
            self.in_column = 0;
        }
        self.in_column += 1;
        let column = columns.last_mut().expect("just pushed");
        column.t_end = t;
        column.samples += 1;
        if columns.len() > 2 * MAX_THREAD_COLUMNS && self.in_column >= self.per_column {
            self.halve();
        }
    }

    fn halve(&mut self) {
        let pairs = |n: usize| n.div_ceil(2);
        let columns = std::mem::take(&mut self.summary.columns);
        self.summary.columns = columns
            .chunks(2)
            .map(|pair| {
                let mut first = pair[0];
                if let Some(second) = pair.get(1) {
                    first.merge(second);
                }
                first
            })
            .collect();
        for thread in &mut self.summary.threads {
            let cells = std::mem::take(&mut thread.cells);
            let mut merged = Vec::with_capacity(pairs(cells.len()));
            for pair in cells.chunks(2) {
                let mut first = pair[0];
                if let Some(second) = pair.get(1) {
                    first.add(second);
                }
                merged.push(first);
            }
            thread.cells = merged;
        }
        self.per_column *= 2;
    }

    /// The summary; threads that never did anything in the trace are dropped.
    pub fn finish(mut self) -> ThreadsSummary {
        let columns = self.summary.columns.len();
        for thread in &mut self.summary.threads {
            thread.cells.resize(columns, Use::default());
            for (cell, column) in thread.cells.iter_mut().zip(&self.summary.columns) {
                cell.seconds = column.t_end - column.t_start;
            }
            thread.total.seconds = self.summary.window_s;
        }
        self.summary
            .threads
            .retain(|t| t.cells.iter().any(|c| c.cpu_s() > 0.0 || c.wait_s > 0.0));
        self.summary
    }
}
