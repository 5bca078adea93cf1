//! From the scheduler's events, in time order, to the facts a trace holds:
//! each CPU's current task and since when, so a switch closes a slice; each
//! task's wait on a run queue (from its wakeup, or from being preempted, to
//! its next switch-in) and who woke it; the workload's migrations; and per CPU
//! the time other programs ran. A pure state machine: events in, batches out,
//! no clock and no /proc (which tasks are the workload's is asked of a
//! [`Membership`]), so it is tested with made-up events.

use std::collections::HashMap;

use crate::model::sched::{MAX_SLICES_PER_S, Migration, SchedBatch, SchedThread, Slice, SliceEnd};
use crate::model::tasks::MAX_TID;

/// What one tracepoint record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchedEvent {
    /// `prev` leaves the CPU (in `prev_state`), `next` takes it.
    Switch {
        prev_tid: u32,
        prev_comm: String,
        prev_state: u64,
        next_tid: u32,
        next_comm: String,
    },
    /// `tid` became runnable (`new`: a task just created).
    Wakeup { tid: u32, new: bool },
    /// `tid` moved from CPU `from` to `to`.
    Migrate { tid: u32, from: u32, to: u32 },
    /// `tid` is ending.
    Exit { tid: u32 },
}

/// An event with its time, the CPU it happened on and the task that was
/// current there (its process `pid` and its `tid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped {
    pub time_ns: u64,
    pub cpu: u32,
    pub pid: u32,
    pub tid: u32,
    pub event: SchedEvent,
}

/// Which tasks are the workload's.
pub trait Membership {
    /// Whether thread `tid` of process `pid`, now named `comm`, is the workload's.
    fn is_workload(&mut self, tid: u32, pid: u32, comm: &str) -> bool;
    /// Process `parent_pid` created task `child_tid`.
    fn forked(&mut self, child_tid: u32, parent_pid: u32);
    /// The process of a task never seen leaving a CPU (its id when unknown).
    fn pid_of(&mut self, tid: u32) -> u32;
}

/// `prev_state` bits (the kernel's TASK_REPORT): 0 and the preempted mark
/// (TASK_REPORT_MAX, 0x100 since Linux 4.14) are runnable; dead and zombie
/// tasks exited.
const STATE_MASK: u64 = 0xff;
const STATE_DEAD: u64 = 0x10 | 0x20;

#[derive(Debug, Default, Clone)]
struct OnCpu {
    tid: u32,
    /// Its name as it came on the CPU.
    comm: String,
    since_ns: u64,
    /// A switch was seen on this CPU: `tid` is known, not merely whoever
    /// ran when recording began.
    known: bool,
}

#[derive(Debug, Default)]
struct Task {
    /// Since when it has been runnable but not on a CPU.
    runnable_since: Option<u64>,
    waker: u32,
    /// The wait and waker of the slice it is in now.
    slice_wait_ns: u64,
    slice_waker: u32,
    /// Whether it is the workload's, once decided, and under which name.
    decided: Option<(bool, String)>,
    /// Its last CPU, for migrations seen before it is decided.
    pending_migrations: Vec<Migration>,
}

/// The state machine.
pub struct Timeline<M> {
    membership: M,
    /// CLOCK_MONOTONIC ns of the trace's time 0.
    origin_ns: u64,
    /// When recording began: the start of slices already running then.
    began_ns: u64,
    /// The header's CPUs, in order (a CPU number to its index).
    cpu_index: HashMap<u32, usize>,
    /// The CPU number at each index.
    cpus: Vec<u32>,
    on_cpu: Vec<OnCpu>,
    other_ns: Vec<u64>,
    tasks: HashMap<u32, Task>,
    batch: SchedBatch,
    /// Slices that may still be kept (refilled at [`MAX_SLICES_PER_S`]).
    budget: f64,
    budget_at_ns: u64,
    /// The latest event time handled.
    now_ns: u64,
}

impl<M: Membership> Timeline<M> {
    /// A timeline of the CPUs `cpus` (the trace header's order), recording from
    /// `began_ns`, its times counted from `origin_ns`.
    pub fn new(membership: M, cpus: &[u32], origin_ns: u64, began_ns: u64) -> Timeline<M> {
        Timeline {
            membership,
            origin_ns,
            began_ns,
            cpu_index: cpus.iter().enumerate().map(|(i, &c)| (c, i)).collect(),
            cpus: cpus.to_vec(),
            on_cpu: vec![
                OnCpu {
                    tid: 0,
                    comm: String::new(),
                    since_ns: began_ns,
                    known: false,
                };
                cpus.len()
            ],
            other_ns: vec![0; cpus.len()],
            tasks: HashMap::new(),
            batch: SchedBatch::default(),
            budget: MAX_SLICES_PER_S as f64,
            budget_at_ns: began_ns,
            now_ns: began_ns,
        }
    }

    pub fn membership(&mut self) -> &mut M {
        &mut self.membership
    }

    /// Records that the kernel lost `count` events.
    pub fn lost(&mut self, count: u64) {
        self.batch.lost += count;
    }

    /// Handles one event; events must come in time order.
    pub fn handle(&mut self, event: &Stamped) {
        let time = event.time_ns.max(self.now_ns);
        self.now_ns = time;
        match &event.event {
            SchedEvent::Switch {
                prev_tid,
                prev_comm,
                prev_state,
                next_tid,
                next_comm,
            } => {
                let Some(&index) = self.cpu_index.get(&event.cpu) else {
                    return;
                };
                self.switch_out(
                    index,
                    event.cpu,
                    *prev_tid,
                    event.pid,
                    prev_comm,
                    *prev_state,
                    time,
                );
                self.switch_in(index, *next_tid, next_comm, time);
            }
            SchedEvent::Wakeup { tid, new } => {
                if *new {
                    self.membership.forked(*tid, event.pid);
                }
                // A wake-up from an interrupt may name no task (-1): no waker.
                let waker = if u64::from(event.tid) <= MAX_TID {
                    event.tid
                } else {
                    0
                };
                let task = self.tasks.entry(*tid).or_default();
                if task.runnable_since.is_none() {
                    task.runnable_since = Some(time);
                    task.waker = waker;
                }
            }
            SchedEvent::Migrate { tid, from, to } => {
                let migration = Migration {
                    t_us: self.us(time),
                    tid: *tid,
                    from: *from,
                    to: *to,
                };
                let task = self.tasks.entry(*tid).or_default();
                match &task.decided {
                    Some((true, _)) => self.batch.migrations.push(migration),
                    Some((false, _)) => {}
                    None => task.pending_migrations.push(migration),
                }
            }
            // An ending thread may still run (and be preempted) after this:
            // its dead switch-out ends it.
            SchedEvent::Exit { .. } => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn switch_out(
        &mut self,
        index: usize,
        cpu: u32,
        tid: u32,
        pid: u32,
        comm: &str,
        state: u64,
        time: u64,
    ) {
        let on = &self.on_cpu[index];
        if tid == 0 {
            return; // the idle task
        }
        let unpaired = on.tid != tid && on.known;
        let start = match (on.tid == tid, on.known) {
            (true, _) => on.since_ns,
            (false, false) => self.began_ns, // running since recording began
            (false, true) => {
                // Its switch-in was not delivered (lost, or not emitted by
                // the kernel): it began after the CPU's switch before and
                // after it was last made runnable; the latest of those.
                self.batch.unpaired += 1;
                let ready = self.tasks.get(&tid).and_then(|t| t.runnable_since);
                on.since_ns.max(ready.unwrap_or(0))
            }
        };
        let workload = self.decide(tid, pid, comm);
        let (start_us, end_us) = (self.us(start), self.us(time));
        let task = self.tasks.entry(tid).or_default();
        if unpaired {
            // What its switch-in would have settled: the wait is not known.
            task.runnable_since = None;
            task.slice_wait_ns = 0;
            task.slice_waker = std::mem::take(&mut task.waker);
        }
        if !workload {
            self.other_ns[index] += time.saturating_sub(start);
            if state & STATE_DEAD != 0 {
                self.tasks.remove(&tid);
            }
            return;
        }
        // sched_process_exit comes before the last slices of an ending thread:
        // only its final switch-out, dead, ends it.
        let end = if state & STATE_DEAD != 0 {
            SliceEnd::Exited
        } else if state & STATE_MASK == 0 {
            SliceEnd::Preempted
        } else {
            SliceEnd::Blocked
        };
        let slice = Slice {
            tid,
            cpu,
            start_us,
            dur_us: end_us.saturating_sub(start_us),
            end,
            wait_us: task.slice_wait_ns / 1000,
            waker: task.slice_waker,
        };
        match end {
            SliceEnd::Preempted => {
                task.runnable_since = Some(time);
                task.waker = 0;
            }
            SliceEnd::Exited => {
                self.tasks.remove(&tid);
            }
            _ => {}
        }
        self.keep(slice, time);
    }

    fn switch_in(&mut self, index: usize, tid: u32, comm: &str, time: u64) {
        self.on_cpu[index] = OnCpu {
            tid,
            comm: comm.to_string(),
            since_ns: time,
            known: true,
        };
        if tid == 0 {
            return;
        }
        let task = self.tasks.entry(tid).or_default();
        task.slice_wait_ns = task
            .runnable_since
            .take()
            .map_or(0, |since| time.saturating_sub(since));
        task.slice_waker = std::mem::take(&mut task.waker);
        if let Some((_, name)) = &task.decided
            && name != comm
        {
            task.decided = None; // renamed (exec): decide again at its switch-out
        }
    }

    /// Whether `tid` is the workload's, asked once per name; announces the
    /// workload's threads and settles migrations seen before.
    fn decide(&mut self, tid: u32, pid: u32, comm: &str) -> bool {
        let task = self.tasks.entry(tid).or_default();
        if let Some((workload, name)) = &task.decided
            && name == comm
        {
            return *workload;
        }
        let workload = self.membership.is_workload(tid, pid, comm);
        let task = self.tasks.entry(tid).or_default();
        task.decided = Some((workload, comm.to_string()));
        let pending = std::mem::take(&mut task.pending_migrations);
        if workload {
            self.batch.migrations.extend(pending);
            self.batch.threads.push(SchedThread {
                tid,
                pid,
                name: comm.to_string(),
            });
        }
        workload
    }

    /// Keeps a slice unless the budget of slices a second is spent, or it
    /// holds what a reader refuses (counted as dropped: never written).
    fn keep(&mut self, slice: Slice, time: u64) {
        if Slice::from_fields(slice.fields()).is_err() {
            self.batch.dropped += 1;
            return;
        }
        let refill = time.saturating_sub(self.budget_at_ns) as f64 * MAX_SLICES_PER_S as f64 / 1e9;
        self.budget = (self.budget + refill).min(MAX_SLICES_PER_S as f64);
        self.budget_at_ns = time;
        if self.budget >= 1.0 {
            self.budget -= 1.0;
            self.batch.slices.push(slice);
        } else {
            self.batch.dropped += 1;
        }
    }

    fn us(&self, time_ns: u64) -> u64 {
        time_ns.saturating_sub(self.origin_ns) / 1000
    }

    /// What was recorded since the batch before, with other programs' time on
    /// each CPU up to the latest event.
    pub fn take_batch(&mut self) -> SchedBatch {
        let now = self.now_ns;
        for (index, on) in self.on_cpu.iter_mut().enumerate() {
            let running_other = on.tid != 0
                && self
                    .tasks
                    .get(&on.tid)
                    .is_some_and(|task| matches!(task.decided, Some((false, _))));
            if running_other {
                self.other_ns[index] += now.saturating_sub(on.since_ns);
                on.since_ns = now;
            }
        }
        for task in self.tasks.values_mut() {
            if task.decided.is_none() {
                task.pending_migrations.clear(); // never ran while recorded: not the workload's
            }
        }
        let mut batch = std::mem::take(&mut self.batch);
        batch.other_us = self.other_ns.iter().map(|ns| ns / 1000).collect();
        // Keep the remainders below a µs for the next batch.
        for ns in &mut self.other_ns {
            *ns %= 1000;
        }
        batch
    }

    /// Closes the slices of workload threads still on a CPU at `end_ns` (they
    /// end `Running`) and gives the last batch.
    pub fn finish(&mut self, end_ns: u64) -> SchedBatch {
        self.now_ns = self.now_ns.max(end_ns);
        let now = self.now_ns;
        for index in 0..self.on_cpu.len() {
            let on = self.on_cpu[index].clone();
            if on.tid == 0 {
                continue;
            }
            // A thread on a CPU since before its first switch-out here is
            // decided now, by its name as it came on.
            let decided = self.tasks.get(&on.tid).and_then(|t| t.decided.clone());
            let workload = match decided {
                Some((workload, _)) => workload,
                None => {
                    let pid = self.membership.pid_of(on.tid);
                    self.decide(on.tid, pid, &on.comm)
                }
            };
            if !workload {
                continue;
            }
            let cpu = self.cpus[index];
            let task = &self.tasks[&on.tid];
            let slice = Slice {
                tid: on.tid,
                cpu,
                start_us: self.us(on.since_ns),
                dur_us: self.us(now).saturating_sub(self.us(on.since_ns)),
                end: SliceEnd::Running,
                wait_us: task.slice_wait_ns / 1000,
                waker: task.slice_waker,
            };
            self.on_cpu[index].tid = 0;
            self.keep(slice, now);
        }
        self.take_batch()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Threads 100.. are the workload's; process 1 made them.
    struct Hundreds;

    impl Membership for Hundreds {
        fn is_workload(&mut self, tid: u32, _pid: u32, _comm: &str) -> bool {
            tid >= 100
        }
        fn forked(&mut self, _child_tid: u32, _parent_pid: u32) {}
        fn pid_of(&mut self, tid: u32) -> u32 {
            tid
        }
    }

    const MS: u64 = 1_000_000;

    fn switch(time_ns: u64, cpu: u32, prev: u32, state: u64, next: u32) -> Stamped {
        Stamped {
            time_ns,
            cpu,
            pid: prev,
            tid: prev,
            event: SchedEvent::Switch {
                prev_tid: prev,
                prev_comm: format!("t{prev}"),
                prev_state: state,
                next_tid: next,
                next_comm: format!("t{next}"),
            },
        }
    }

    fn wakeup(time_ns: u64, cpu: u32, waker: u32, tid: u32) -> Stamped {
        Stamped {
            time_ns,
            cpu,
            pid: waker,
            tid: waker,
            event: SchedEvent::Wakeup { tid, new: false },
        }
    }

    #[test]
    fn two_threads_handing_a_lock_over_make_slices_that_never_overlap() {
        // 100 runs 0–5 ms on cpu0 and blocks, having woken 101 at 4.9 ms;
        // 101 runs on cpu1 5–10 ms, blocks after waking 100 at 9.9 ms; 100
        // runs again from 10.2 ms.
        let mut timeline = Timeline::new(Hundreds, &[0, 1], 0, 0);
        for event in [
            switch(0, 0, 0, 0, 100),
            wakeup(4_900_000, 0, 100, 101),
            switch(5 * MS, 0, 100, 1, 0),
            switch(5 * MS, 1, 0, 0, 101),
            wakeup(9_900_000, 1, 101, 100),
            switch(10 * MS, 1, 101, 1, 0),
            switch(10_200_000, 0, 0, 0, 100),
        ] {
            timeline.handle(&event);
        }
        let batch = timeline.finish(12 * MS);
        let slices: Vec<(u32, u32, u64, u64, SliceEnd, u64, u32)> = batch
            .slices
            .iter()
            .map(|s| {
                (
                    s.tid, s.cpu, s.start_us, s.dur_us, s.end, s.wait_us, s.waker,
                )
            })
            .collect();
        assert_eq!(
            slices,
            vec![
                (100, 0, 0, 5000, SliceEnd::Blocked, 0, 0),
                (101, 1, 5000, 5000, SliceEnd::Blocked, 100, 100),
                (100, 0, 10_200, 1800, SliceEnd::Running, 300, 101),
            ]
        );
        assert_eq!(batch.threads.len(), 2);
        assert_eq!(batch.other_us, vec![0, 0]);
    }

    #[test]
    fn preemption_starts_a_wait_and_other_programs_are_summed_per_cpu() {
        let mut timeline = Timeline::new(Hundreds, &[0], 0, 0);
        for event in [
            switch(0, 0, 0, 0, 100),
            switch(4 * MS, 0, 100, 0x100, 7), // preempted by task 7
            switch(6 * MS, 0, 7, 1, 100),
            switch(9 * MS, 0, 100, 0x10, 0), // dead
        ] {
            timeline.handle(&event);
        }
        let batch = timeline.take_batch();
        assert_eq!(batch.slices.len(), 2);
        assert_eq!(batch.slices[0].end, SliceEnd::Preempted);
        assert_eq!((batch.slices[1].wait_us, batch.slices[1].waker), (2000, 0));
        assert_eq!(batch.slices[1].end, SliceEnd::Exited);
        assert_eq!(batch.other_us, vec![2000]);
    }

    #[test]
    fn other_programs_still_running_are_counted_up_to_each_batch() {
        let mut timeline = Timeline::new(Hundreds, &[0], 0, 0);
        timeline.handle(&switch(0, 0, 0, 0, 7));
        timeline.handle(&switch(MS, 0, 7, 0, 8)); // 7 decided: not the workload's
        timeline.handle(&wakeup(3 * MS, 0, 8, 100));
        // 8 is undecided (it has not left the CPU): its time waits for its switch-out.
        assert_eq!(timeline.take_batch().other_us, vec![1000]);
        timeline.handle(&switch(5 * MS, 0, 8, 1, 100));
        assert_eq!(timeline.take_batch().other_us, vec![4000]);
    }

    #[test]
    fn migrations_of_a_task_are_kept_once_it_is_known_as_the_workloads() {
        let mut timeline = Timeline::new(Hundreds, &[0, 1], 0, 0);
        let migrate = |time_ns, tid| Stamped {
            time_ns,
            cpu: 0,
            pid: 1,
            tid: 1,
            event: SchedEvent::Migrate {
                tid,
                from: 0,
                to: 1,
            },
        };
        timeline.handle(&migrate(MS, 100));
        timeline.handle(&migrate(MS, 7));
        timeline.handle(&switch(2 * MS, 1, 0, 0, 100));
        timeline.handle(&switch(3 * MS, 1, 100, 1, 7));
        timeline.handle(&switch(4 * MS, 1, 7, 1, 0));
        timeline.handle(&migrate(5 * MS, 100));
        let batch = timeline.take_batch();
        let moved: Vec<(u64, u32)> = batch.migrations.iter().map(|m| (m.t_us, m.tid)).collect();
        assert_eq!(moved, vec![(1000, 100), (5000, 100)]);
    }

    #[test]
    fn a_slice_whose_switch_in_was_not_reported_starts_at_the_latest_moment_known() {
        let mut timeline = Timeline::new(Hundreds, &[0], 0, 0);
        timeline.handle(&switch(0, 0, 0, 0, 7)); // 7 on cpu0 from 0
        timeline.handle(&wakeup(2 * MS, 0, 7, 100)); // 100 runnable from 2 ms
        // The 7 → 100 switch is never reported; 100 leaves the CPU at 9 ms.
        timeline.handle(&switch(9 * MS, 0, 100, 1, 0));
        let batch = timeline.take_batch();
        assert_eq!(batch.unpaired, 1);
        assert_eq!(batch.slices.len(), 1);
        assert_eq!(
            (batch.slices[0].start_us, batch.slices[0].dur_us),
            (2000, 7000)
        );
    }

    #[test]
    fn a_wake_up_without_a_task_names_no_waker() {
        let mut timeline = Timeline::new(Hundreds, &[0], 0, 0);
        let mut from_an_interrupt = wakeup(MS, 0, 0, 100);
        from_an_interrupt.tid = u32::MAX; // -1
        timeline.handle(&from_an_interrupt);
        timeline.handle(&switch(2 * MS, 0, 0, 0, 100));
        let batch = timeline.finish(3 * MS);
        assert_eq!(batch.slices[0].waker, 0);
        assert_eq!(batch.slices[0].wait_us, 1000);
        assert!(Slice::from_fields(batch.slices[0].fields()).is_ok());
    }

    #[test]
    fn a_storm_of_switches_is_kept_to_the_budget_and_the_rest_counted() {
        let mut timeline = Timeline::new(Hundreds, &[0], 0, 0);
        // 400 000 slices of 1 µs in 0.4 s: twice the budget's rate.
        let mut time = 0;
        for k in 0..400_000u64 {
            let (prev, next) = if k % 2 == 0 { (100, 101) } else { (101, 100) };
            timeline.handle(&switch(time, 0, prev, 0, next));
            time += 1000;
        }
        let batch = timeline.take_batch();
        let total = batch.slices.len() as u64 + batch.dropped;
        assert_eq!(total, 400_000);
        assert!(batch.dropped > 0, "nothing dropped");
        // Full budget at the start plus 0.4 s of refill.
        assert!(
            batch.slices.len() <= 200_000 + 80_000 + 1,
            "{}",
            batch.slices.len()
        );
    }
}
