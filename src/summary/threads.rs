//! Who ran where: a trace's task lines and rows boiled down, in one streaming
//! pass, into per-thread series binned like the heat map's columns (at most
//! [`MAX_THREAD_COLUMNS`]), whole-window totals per thread, the workload's
//! CPUs against the machine's busy CPUs over time, and the per-interval counts
//! the run findings need (busy threads on SMT siblings, moves between CPUs).
//! Rates are derived here from the trace's raw counts.

use std::collections::HashMap;

use crate::model::tasks::{EndedTicks, TaskInfo, TaskTicks};
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
    /// Adds another's time on a CPU and waiting (not its seconds or counts).
    fn add_time(&mut self, other: &Use) {
        self.usr_s += other.usr_s;
        self.sys_s += other.sys_s;
        self.run_s += other.run_s;
        self.wait_s += other.wait_s;
    }

    /// Its time on a CPU and waiting times `k`, nothing else.
    fn time_scaled(&self, k: f64) -> Use {
        Use {
            usr_s: self.usr_s * k,
            sys_s: self.sys_s * k,
            run_s: self.run_s * k,
            wait_s: self.wait_s * k,
            ..Use::default()
        }
    }

    /// This, with the switch counts and CPU of `other`.
    fn with_counts_of(self, other: &Use) -> Use {
        Use {
            voluntary: other.voluntary,
            involuntary: other.involuntary,
            cpu: other.cpu,
            ..self
        }
    }

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
        // A process's row holds its threads together: past one CPU's worth,
        // a share reads better as a count than as thousands of percent.
        let share = |value: f64, many: &str| match ratio(value, self.seconds) {
            share if share <= 1.0 => format!("{:.0} %", 100.0 * share),
            share => format!("{share:.1} {many}"),
        };
        let per_s = |count: u64| format!("{:.0}", ratio(count as f64, self.seconds));
        let cpu = self
            .cpu
            .map_or(String::new(), |c| format!(", last on cpu{c}"));
        format!(
            "usr {}, sys {}, waiting for a CPU {}, {} voluntary + {} involuntary switches/s{cpu}",
            share(self.usr_s, "CPUs"),
            share(self.sys_s, "CPUs"),
            share(self.wait_s, "threads at once"),
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
    /// The CPUs it was seen on at the readings in which it ran, ascending.
    pub cpus: Vec<u32>,
    /// Times it was on another CPU than at its previous reading in which it ran.
    pub moves: u32,
    /// Times it was on another CPU than in its previous busy interval.
    pub migrations: u32,
    /// Busy intervals that followed a busy interval (where a move can be seen).
    pub busy_pairs: u32,
    last_cpu: Option<u32>,
    last_busy_cpu: Option<u32>,
    /// Time read beyond what its interval could hold, drawn in the next.
    carried: Use,
}

impl ThreadSeries {
    /// The part of `used` (and of what earlier intervals carried) drawn in
    /// this interval: at most the interval on a CPU or waiting for one; the
    /// rest is carried to the next. A task read late (a sampler kept from its
    /// CPU reads thousands of them over seconds) holds more time than its
    /// sample's interval; drawn as read, one thread would fill 2.4 CPUs.
    fn drawn_part(&mut self, used: &Use) -> Use {
        let mut all = *used;
        all.add_time(&self.carried);
        self.carried = Use::default();
        let held = all.cpu_s() + all.wait_s;
        if held <= all.seconds || held <= 0.0 {
            return all;
        }
        let keep = all.seconds / held;
        self.carried = all.time_scaled(1.0 - keep);
        let seconds = all.seconds;
        Use {
            seconds,
            ..all.time_scaled(keep)
        }
        .with_counts_of(&all)
    }
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
    /// The part of `workload_cpu_s` taken from the workload's own end
    /// accounting (its last moments, after its last reading).
    pub estimated_cpu_s: f64,
}

impl ThreadColumn {
    fn merge(&mut self, other: &ThreadColumn) {
        self.t_end = other.t_end;
        self.samples += other.samples;
        self.workload_cpu_s += other.workload_cpu_s;
        self.machine_busy_cpu_s += other.machine_busy_cpu_s;
        self.estimated_cpu_s += other.estimated_cpu_s;
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
    /// Seconds of the workload window.
    pub window_s: f64,
    /// Seconds of the window its tasks were read in: the window but the
    /// samples after the last reading with rows (the workload had ended, its
    /// threads gone before the sample at its end could read them).
    pub covered_s: f64,
    /// Busy CPU-seconds of the whole machine in the covered time.
    pub covered_machine_cpu_s: f64,
    /// The workload's CPU time after its last reading, from its own end
    /// accounting; drawn in the strip's last columns.
    pub tail: Option<TailEstimate>,
    /// CPU seconds of processes that ended between samples beyond their rows
    /// (the trace's `ended`), drawn in the strip where they ended.
    pub ended_cpu_s: f64,
    /// CPU seconds the task rows (and `ended`) hold in all.
    pub read_cpu_s: f64,
    /// Why samples inside the workload came late, when they did
    /// ([`crate::summary::window::WorkloadWindow::late_samples`]).
    pub late_samples: Option<String>,
}

/// CPU time the workload used after its tasks were last read: its end line's
/// user + sys less what its task rows add up to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailEstimate {
    pub t_start: f64,
    pub t_end: f64,
    /// What is drawn: the time not in the rows, at most the machine's busy
    /// CPU-seconds of those samples.
    pub cpu_s: f64,
    /// The end line's user + sys less the rows' CPU time.
    pub unseen_cpu_s: f64,
}

/// Smallest tail worth drawing: two clock ticks.
const MIN_TAIL_CPU_S: f64 = 0.02;

/// A window sample not (yet) followed by one with task rows.
#[derive(Debug, Clone, Copy)]
struct Unread {
    t_start: f64,
    t_end: f64,
    machine_busy_cpu_s: f64,
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
    unread: Vec<Unread>,
    /// The last sample with task rows, its room the machine's busy CPU time
    /// beyond what the rows hold: where threads that ended within it (and so
    /// were not read at its end) ran their last.
    last_read: Option<Unread>,
    /// The machine's busy CPU-seconds in the sample just given.
    interval_busy_cpu_s: f64,
    window_machine_cpu_s: f64,
    /// CPU seconds of every task row (the whole trace).
    sampled_cpu_s: f64,
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
            unread: Vec::new(),
            last_read: None,
            interval_busy_cpu_s: 0.0,
            window_machine_cpu_s: 0.0,
            sampled_cpu_s: 0.0,
        })
    }

    /// The ended ticks of the sample just given: the workload's, though no
    /// thread row holds them.
    pub fn ended(&mut self, ended: &[EndedTicks]) {
        let cpu_s: f64 = ended
            .iter()
            .map(|e| (e.utime + e.stime) as f64 / self.ticks_per_s)
            .sum();
        if cpu_s <= 0.0 {
            return;
        }
        self.sampled_cpu_s += cpu_s;
        self.summary.ended_cpu_s += cpu_s;
        if let Some(column) = self.summary.columns.last_mut() {
            column.workload_cpu_s += cpu_s;
        }
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
            moves: 0,
            migrations: 0,
            busy_pairs: 0,
            last_cpu: None,
            last_busy_cpu: None,
            carried: Use::default(),
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
        self.interval_busy_cpu_s = busy * seconds;
        if in_window {
            self.summary.window_s += seconds;
            self.window_machine_cpu_s += busy * seconds;
            self.unread.push(Unread {
                t_start,
                t_end: t,
                machine_busy_cpu_s: busy * seconds,
            });
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
        if !rows.is_empty() {
            self.unread.clear();
            let read_cpu_s: f64 = rows.iter().map(|r| self.use_of(r, seconds).cpu_s()).sum();
            self.last_read = self.in_window.then_some(Unread {
                t_start: self.interval.0,
                t_end: self.interval.1,
                machine_busy_cpu_s: (self.interval_busy_cpu_s - read_cpu_s).max(0.0),
            });
        }
        let mut busy_on = Vec::new();
        for row in rows {
            let used = self.use_of(row, seconds);
            self.sampled_cpu_s += used.cpu_s();
            let Some(&at) = self.index_of.get(&row.tid) else {
                if self.in_window {
                    self.summary.folded.add(&used);
                }
                continue;
            };
            let thread = &mut self.summary.threads[at];
            let drawn = thread.drawn_part(&used);
            if let Some(column) = self.summary.columns.last_mut() {
                column.workload_cpu_s += drawn.cpu_s();
            }
            if let Some(cell) = thread.cells.last_mut() {
                cell.add(&drawn);
            }
            if !self.in_window {
                continue;
            }
            thread.total.add(&used);
            if used.cpu_s() > 0.0 {
                if let Err(place) = thread.cpus.binary_search(&row.cpu) {
                    thread.cpus.insert(place, row.cpu);
                }
                thread.moves += u32::from(thread.last_cpu.is_some_and(|cpu| cpu != row.cpu));
                thread.last_cpu = Some(row.cpu);
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

    /// Spreads the workload's CPU time not seen in its rows over the samples
    /// after its last reading, each as far as the machine was busy in it; when
    /// the last sample still read some task (a main thread outliving its
    /// workers), over that sample, as far as the machine was busier than the
    /// rows it read.
    fn estimate_tail(&mut self, unseen_cpu_s: f64) {
        let spans = match self.unread.is_empty() {
            true => self.last_read.iter().copied().collect(),
            false => self.unread.clone(),
        };
        let room: f64 = spans.iter().map(|u| u.machine_busy_cpu_s).sum();
        let cpu_s = unseen_cpu_s.min(room);
        let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
            return;
        };
        if cpu_s < MIN_TAIL_CPU_S {
            return;
        }
        self.summary.tail = Some(TailEstimate {
            t_start: first.t_start,
            t_end: last.t_end,
            cpu_s,
            unseen_cpu_s,
        });
        for unread in &spans {
            let middle = (unread.t_start + unread.t_end) / 2.0;
            let share = cpu_s * unread.machine_busy_cpu_s / room;
            if let Some(column) = self
                .summary
                .columns
                .iter_mut()
                .find(|c| c.t_start <= middle && middle < c.t_end)
            {
                column.workload_cpu_s += share;
                column.estimated_cpu_s += share;
            }
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
    /// `end_cpu_s` is the workload's user + sys from the trace's end line: what
    /// its task rows miss of it after their last reading is drawn there.
    pub fn finish(mut self, end_cpu_s: Option<f64>) -> ThreadsSummary {
        let unread_s: f64 = self.unread.iter().map(|u| u.t_end - u.t_start).sum();
        let unread_busy: f64 = self.unread.iter().map(|u| u.machine_busy_cpu_s).sum();
        self.summary.covered_s = (self.summary.window_s - unread_s).max(0.0);
        self.summary.covered_machine_cpu_s = self.window_machine_cpu_s - unread_busy;
        self.summary.read_cpu_s = self.sampled_cpu_s;
        if let Some(end_cpu_s) = end_cpu_s {
            self.estimate_tail(end_cpu_s - self.sampled_cpu_s);
        }
        let columns = self.summary.columns.len();
        for thread in &mut self.summary.threads {
            thread.cells.resize(columns, Use::default());
            for (cell, column) in thread.cells.iter_mut().zip(&self.summary.columns) {
                cell.seconds = column.t_end - column.t_start;
            }
            thread.total.seconds = self.summary.covered_s;
        }
        self.summary
            .threads
            .retain(|t| t.cells.iter().any(|c| c.cpu_s() > 0.0 || c.wait_s > 0.0));
        self.summary
    }
}

/// A builder for a trace of two CPUs with one thread announced (pid 7,
/// tid 8, `worker`), for tests here and of the threads view.
#[cfg(test)]
pub(crate) fn one_worker_on_two_cpus() -> ThreadsBuilder {
    use crate::model::TraceCpu;
    use crate::model::tasks::TASK_FIELDS;
    let meta = Meta {
        cpus: (0..2)
            .map(|cpu| TraceCpu {
                cpu,
                core: cpu,
                package: 0,
            })
            .collect(),
        ticks_per_s: Some(100),
        task_fields: TASK_FIELDS.map(String::from).to_vec(),
        ..Meta::default()
    };
    let mut builder = ThreadsBuilder::new(&meta).expect("the header has tasks");
    builder.task(TaskInfo {
        pid: 7,
        tid: 8,
        ppid: 1,
        name: "worker".into(),
    });
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> ThreadsBuilder {
        one_worker_on_two_cpus()
    }

    /// One CPU of two busy (the other idle).
    fn one_busy() -> [CpuLoad; 2] {
        [
            CpuLoad {
                usr: 100.0,
                ..CpuLoad::default()
            },
            CpuLoad {
                idle: 100.0,
                ..CpuLoad::default()
            },
        ]
    }

    fn whole_cpu(seconds: f64) -> TaskTicks {
        TaskTicks {
            tid: 8,
            utime: (seconds * 100.0).round() as u64,
            run_ns: (seconds * 1e9).round() as u64,
            cpu: 0,
            ..TaskTicks::default()
        }
    }

    #[test]
    fn shares_past_one_cpu_read_as_counts() {
        let group = Use {
            seconds: 2.0,
            usr_s: 3.0,
            sys_s: 0.5,
            wait_s: 779.0,
            ..Use::default()
        };
        assert_eq!(
            group.describe(),
            "usr 1.5 CPUs, sys 25 %, waiting for a CPU 389.5 threads at once, 0 voluntary + \
             0 involuntary switches/s"
        );
    }

    #[test]
    fn a_thread_read_late_is_drawn_within_its_intervals_and_counted_whole() {
        // Read 2.4 s of CPU time in a 1 s interval (its task read late), then
        // 0.2 s and nothing: drawn 1.0, 1.0 and 0.6 s; its total 2.6 s.
        let mut builder = builder();
        for (k, seconds) in [2.4, 0.2, 0.0].into_iter().enumerate() {
            let t = k as f64;
            builder.sample(t, t + 1.0, true, &one_busy(), &[0, 1]);
            builder.rows(&[whole_cpu(seconds)]);
        }
        let summary = builder.finish(None);
        let thread = &summary.threads[0];
        let drawn: Vec<f64> = thread.cells.iter().map(|c| c.cpu_s()).collect();
        assert!(
            drawn
                .iter()
                .zip([1.0, 1.0, 0.6])
                .all(|(a, b)| (a - b).abs() < 1e-9),
            "{drawn:?}"
        );
        assert!((thread.total.cpu_s() - 2.6).abs() < 1e-9);
    }

    /// A workload busy on one CPU from 0 to 3.739 s, read at 1, 2, 3 and
    /// 3.5 s; then the sample at its end (3.739 s), whose rows are `last`.
    fn busy_to_the_end(last: &[TaskTicks], end_cpu_s: Option<f64>) -> ThreadsSummary {
        let mut builder = builder();
        let mut t_start = 0.0;
        for t in [1.0, 2.0, 3.0, 3.5] {
            builder.sample(t_start, t, true, &one_busy(), &[0, 1]);
            builder.rows(&[whole_cpu(t - t_start)]);
            t_start = t;
        }
        builder.sample(3.5, 3.739, true, &one_busy(), &[0, 1]);
        builder.rows(last);
        builder.finish(end_cpu_s)
    }

    /// [`busy_to_the_end`] whose last sample finds its thread gone.
    fn ended_between_readings(end_cpu_s: Option<f64>) -> ThreadsSummary {
        busy_to_the_end(&[], end_cpu_s)
    }

    #[test]
    fn the_time_after_the_last_reading_is_not_counted_as_read() {
        let summary = ended_between_readings(None);
        assert!((summary.window_s - 3.739).abs() < 1e-9);
        assert!((summary.covered_s - 3.5).abs() < 1e-9);
        assert!((summary.covered_machine_cpu_s - 3.5).abs() < 1e-9);
        assert_eq!(summary.threads[0].total.seconds, summary.covered_s);
        assert!((summary.threads[0].total.cpu_share() - 1.0).abs() < 1e-9);
        assert_eq!(summary.tail, None);
    }

    #[test]
    fn the_end_accounting_fills_the_workloads_last_moments() {
        let summary = ended_between_readings(Some(3.739));
        let tail = summary.tail.expect("a tail");
        assert_eq!((tail.t_start, tail.t_end), (3.5, 3.739));
        assert!((tail.cpu_s - 0.239).abs() < 1e-9, "{tail:?}");
        let last = summary.columns.last().unwrap();
        assert!((last.cpus().0 - 1.0).abs() < 1e-9, "{last:?}");
        assert!((last.estimated_cpu_s - 0.239).abs() < 1e-9);
        // Never more than the machine was busy: a larger end figure (time
        // from tasks never read) is cut to the busy CPUs of those samples.
        let capped = ended_between_readings(Some(10.0)).tail.unwrap();
        assert!((capped.cpu_s - 0.239).abs() < 1e-9, "{capped:?}");
        assert!((capped.unseen_cpu_s - 6.5).abs() < 1e-9, "{capped:?}");
        // Rows that hold all of it leave no tail.
        assert_eq!(ended_between_readings(Some(3.505)).tail, None);
    }

    #[test]
    fn workers_gone_while_the_main_thread_is_still_read_are_filled_in_too() {
        // A traced closure: its worker thread ran to 3.739 s and is gone at
        // the last sample, which still reads the idle main thread (tid 9).
        let idle_main = TaskTicks {
            tid: 9,
            ..TaskTicks::default()
        };
        let summary = busy_to_the_end(&[idle_main], Some(3.739));
        let tail = summary.tail.expect("a tail");
        assert_eq!((tail.t_start, tail.t_end), (3.5, 3.739));
        assert!((tail.cpu_s - 0.239).abs() < 1e-9, "{tail:?}");
        let last = summary.columns.last().unwrap();
        assert!(
            (last.cpus().0 - 1.0).abs() < 1e-9,
            "drawn in full: {last:?}"
        );
    }
}
