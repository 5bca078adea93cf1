//! What the scheduler's events say about the workload, derived when reading
//! (the trace holds only slices, migrations and other programs' time): how
//! many of its threads ran at once for how long (the concurrency histogram),
//! each thread's run-queue latency (p50/p99, as bcc's runqlat), its time off
//! a CPU by reason, its exact migrations, and how often threads of one
//! process handed the CPU to each other.

use std::collections::{BTreeMap, HashMap};

use crate::model::Meta;
use crate::model::sched::{SchedBatch, SchedSource, SchedThread, Slice, SliceEnd};

/// Slices kept in memory for the figures at most (about 32 MB); a trace with
/// more is summarized from its first ones, and says so.
pub const MAX_SLICES_KEPT: usize = 1_000_000;

/// The scheduler's record of a trace, read whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchedSummary {
    /// The workload's threads, by tid (the last name seen).
    pub threads: BTreeMap<u32, SchedThread>,
    /// Every slice kept, in the order read.
    pub slices: Vec<Slice>,
    /// Migrations per thread.
    pub migrations: BTreeMap<u32, u64>,
    /// µs other programs ran, per CPU of the header.
    pub other_us: Vec<u64>,
    /// Events the kernel lost, slices coreheat dropped (over its budget), and
    /// slices read but not kept (beyond [`MAX_SLICES_KEPT`]).
    pub lost: u64,
    pub dropped: u64,
    pub not_kept: u64,
    /// Slices whose start was estimated (their switch-in never delivered).
    pub unpaired: u64,
}

impl SchedSummary {
    /// An empty summary for a trace whose header says its source is events.
    pub fn for_meta(meta: &Meta) -> Option<SchedSummary> {
        let sched = meta.sched.as_ref()?;
        (sched.source == SchedSource::Events).then(|| SchedSummary {
            other_us: vec![0; meta.cpus.len()],
            ..SchedSummary::default()
        })
    }

    pub fn add(&mut self, batch: SchedBatch) {
        for thread in batch.threads {
            self.threads.insert(thread.tid, thread);
        }
        let room = MAX_SLICES_KEPT.saturating_sub(self.slices.len());
        let kept = batch.slices.len().min(room);
        self.not_kept += (batch.slices.len() - kept) as u64;
        self.slices.extend_from_slice(&batch.slices[..kept]);
        for migration in batch.migrations {
            *self.migrations.entry(migration.tid).or_default() += 1;
        }
        for (sum, us) in self.other_us.iter_mut().zip(batch.other_us) {
            *sum += us;
        }
        self.lost += batch.lost;
        self.dropped += batch.dropped;
        self.unpaired += batch.unpaired;
    }

    /// Events that are not in the figures, for a caveat.
    pub fn missing(&self) -> u64 {
        self.lost + self.dropped + self.not_kept
    }

    /// The pid of a thread (0 when never named).
    pub fn pid_of(&self, tid: u32) -> u32 {
        self.threads.get(&tid).map_or(0, |t| t.pid)
    }
}

/// What `run --json` says of the scheduler's record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchedTotals {
    /// The header's source and reason (`None`: a trace without them).
    pub meta: Option<crate::model::sched::SchedMeta>,
    /// Slices and migrations recorded.
    pub events: u64,
    /// Events the kernel lost (its ring buffer was full).
    pub lost: u64,
    /// Slices coreheat left out over its budget.
    pub dropped: u64,
    /// Slices whose switch-in the kernel never delivered (start estimated).
    pub unpaired: u64,
    /// The concurrency histogram over the workload window.
    pub concurrency: Vec<ConcurrencyBar>,
}

/// How long exactly `running` of the chosen threads ran at once, and of that
/// time how long at least one more of them was runnable, waiting for a CPU.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConcurrencyBar {
    pub running: usize,
    pub seconds: f64,
    pub waiting_s: f64,
}

/// The concurrency histogram of `slices` between `from_us` and `to_us`: one
/// bar per count from 0 to the most that ran at once. The bars' seconds sum
/// to the span.
pub fn concurrency<'a>(
    slices: impl Iterator<Item = &'a Slice>,
    from_us: u64,
    to_us: u64,
) -> Vec<ConcurrencyBar> {
    // (time, running change, waiting change)
    let mut edges: Vec<(u64, i32, i32)> = Vec::new();
    for slice in slices {
        let (start, end) = (slice.start_us.max(from_us), slice.end_us().min(to_us));
        if start < end {
            edges.push((start, 1, 0));
            edges.push((end, -1, 0));
        }
        let waited_from = slice.start_us.saturating_sub(slice.wait_us).max(from_us);
        let waited_to = slice.start_us.min(to_us);
        if waited_from < waited_to {
            edges.push((waited_from, 0, 1));
            edges.push((waited_to, 0, -1));
        }
    }
    edges.sort_unstable();
    let mut bars: Vec<ConcurrencyBar> = Vec::new();
    let (mut running, mut waiting, mut at) = (0i32, 0i32, from_us);
    let mut add = |running: i32, waiting: i32, us: u64| {
        let k = running.max(0) as usize;
        while bars.len() <= k {
            let running = bars.len();
            bars.push(ConcurrencyBar {
                running,
                seconds: 0.0,
                waiting_s: 0.0,
            });
        }
        bars[k].seconds += us as f64 / 1e6;
        if waiting > 0 {
            bars[k].waiting_s += us as f64 / 1e6;
        }
    };
    for (time, run_change, wait_change) in edges {
        if time > at {
            add(running, waiting, time - at);
            at = time;
        }
        running += run_change;
        waiting += wait_change;
    }
    add(running, waiting, to_us.saturating_sub(at));
    bars
}

/// The mean number of threads running: Σ k × seconds over the span.
pub fn mean_running(bars: &[ConcurrencyBar]) -> f64 {
    let total: f64 = bars.iter().map(|b| b.seconds).sum();
    let weighted: f64 = bars.iter().map(|b| b.running as f64 * b.seconds).sum();
    if total > 0.0 { weighted / total } else { 0.0 }
}

/// One thread's figures from its slices.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadSched {
    pub tid: u32,
    pub pid: u32,
    pub name: String,
    pub slices: u64,
    pub run_s: f64,
    /// Run-queue latency: the wait before each slice, median and 99th percentile, µs.
    pub wait_p50_us: u64,
    pub wait_p99_us: u64,
    /// Seconds waiting for a CPU after being preempted, and after waking.
    pub preempted_wait_s: f64,
    pub woken_wait_s: f64,
    /// Seconds off a CPU, asleep (from a blocking slice's end to the next
    /// slice's wake-up).
    pub blocked_s: f64,
    pub preemptions: u64,
    pub blocks: u64,
    pub migrations: u64,
    /// CPUs it ran on, with the seconds on each.
    pub cpus: BTreeMap<u32, f64>,
}

/// Each thread's figures, the busiest first.
pub fn per_thread(summary: &SchedSummary) -> Vec<ThreadSched> {
    let mut by_tid: HashMap<u32, Vec<&Slice>> = HashMap::new();
    for slice in &summary.slices {
        by_tid.entry(slice.tid).or_default().push(slice);
    }
    let mut threads: Vec<ThreadSched> = by_tid
        .into_iter()
        .map(|(tid, slices)| thread_figures(summary, tid, &slices))
        .collect();
    threads.sort_by(|a, b| b.run_s.total_cmp(&a.run_s).then(a.tid.cmp(&b.tid)));
    threads
}

fn thread_figures(summary: &SchedSummary, tid: u32, slices: &[&Slice]) -> ThreadSched {
    let mut waits: Vec<u64> = slices.iter().map(|s| s.wait_us).collect();
    waits.sort_unstable();
    let percentile = |p: f64| {
        let rank = ((p * waits.len() as f64).ceil() as usize).clamp(1, waits.len().max(1));
        waits.get(rank - 1).copied().unwrap_or(0)
    };
    let mut figures = ThreadSched {
        tid,
        pid: summary.pid_of(tid),
        name: summary
            .threads
            .get(&tid)
            .map_or_else(|| format!("thread {tid}"), |t| t.name.clone()),
        slices: slices.len() as u64,
        run_s: 0.0,
        wait_p50_us: percentile(0.50),
        wait_p99_us: percentile(0.99),
        preempted_wait_s: 0.0,
        woken_wait_s: 0.0,
        blocked_s: 0.0,
        preemptions: 0,
        blocks: 0,
        migrations: summary.migrations.get(&tid).copied().unwrap_or(0),
        cpus: BTreeMap::new(),
    };
    let mut previous: Option<&Slice> = None;
    for slice in slices {
        let seconds = slice.dur_us as f64 / 1e6;
        figures.run_s += seconds;
        *figures.cpus.entry(slice.cpu).or_default() += seconds;
        let wait_s = slice.wait_us as f64 / 1e6;
        match previous.map(|p| p.end) {
            Some(SliceEnd::Preempted) => figures.preempted_wait_s += wait_s,
            _ => figures.woken_wait_s += wait_s,
        }
        if let Some(before) = previous
            && before.end == SliceEnd::Blocked
        {
            let off = slice.start_us.saturating_sub(before.end_us());
            figures.blocked_s += off.saturating_sub(slice.wait_us) as f64 / 1e6;
        }
        match slice.end {
            SliceEnd::Preempted => figures.preemptions += 1,
            SliceEnd::Blocked => figures.blocks += 1,
            _ => {}
        }
        previous = Some(slice);
    }
    figures
}

/// How the threads of one process shared the CPUs over a span.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessTurns {
    pub pid: u32,
    pub threads: usize,
    pub bars: Vec<ConcurrencyBar>,
    /// Of the time at least one ran, the share when exactly one did.
    pub one_at_a_time: f64,
    /// Seconds at least one ran.
    pub any_running_s: f64,
    /// Seconds at least one wanted a CPU: ran, or was runnable and waiting.
    pub wanting_s: f64,
    /// Slices that began because another thread of the process woke it, a second.
    pub handovers_per_s: f64,
    /// Times a second the CPU time passed from one of its threads to another
    /// (its slices in order of start, counting each change of thread).
    pub turns_per_s: f64,
    /// Of all slices, the share woken by another thread of the process.
    pub woken_by_sibling: f64,
    pub span_s: f64,
    /// Threads that ran at least [`BUSY_THREAD_SHARE`] of the busiest one
    /// (a main thread that only waits in `join` is not one).
    pub busy_threads: usize,
    /// Slices that ended preempted, and blocked.
    pub preemptions: u64,
    pub blocks: u64,
    /// The CPUs its slices ran on (each at least 5 % of its time), ascending.
    pub cpus: Vec<u32>,
    /// Its busy threads, the busiest first.
    pub busy_tids: Vec<u32>,
}

/// A thread counts as busy at this share of its process's busiest thread,
/// and at least [`BUSY_THREAD_MIN_US`] (a helper that read a pipe a moment
/// in a short run is not one).
pub const BUSY_THREAD_SHARE: f64 = 0.05;
pub const BUSY_THREAD_MIN_US: u64 = 20_000;

/// Per process with at least two threads that ran, how its threads shared
/// the CPUs between `from_us` and `to_us`, over the part of that span the
/// process ran in (from its first slice to its last: a command's own start-up
/// in another process, a shell's, is not its time).
pub fn process_turns(summary: &SchedSummary, from_us: u64, to_us: u64) -> Vec<ProcessTurns> {
    let mut by_pid: BTreeMap<u32, Vec<&Slice>> = BTreeMap::new();
    for slice in &summary.slices {
        if slice.end_us() > from_us && slice.start_us < to_us {
            by_pid
                .entry(summary.pid_of(slice.tid))
                .or_default()
                .push(slice);
        }
    }
    by_pid
        .into_iter()
        .filter_map(|(pid, slices)| {
            let mut tids: Vec<u32> = slices.iter().map(|s| s.tid).collect();
            tids.sort_unstable();
            tids.dedup();
            let first = slices.iter().map(|s| s.start_us).min()?.max(from_us);
            let last = slices.iter().map(|s| s.end_us()).max()?.min(to_us);
            let span_s = last.saturating_sub(first) as f64 / 1e6;
            if tids.len() < 2 || span_s <= 0.0 {
                return None;
            }
            let bars = concurrency(slices.iter().copied(), first, last);
            let any: f64 = bars.iter().skip(1).map(|b| b.seconds).sum();
            let one = bars.get(1).map_or(0.0, |b| b.seconds);
            let by_sibling = slices
                .iter()
                .filter(|s| {
                    s.waker != 0 && s.waker != s.tid && tids.binary_search(&s.waker).is_ok()
                })
                .count();
            let mut ran: BTreeMap<u32, u64> = BTreeMap::new();
            for slice in &slices {
                *ran.entry(slice.tid).or_default() += slice.dur_us;
            }
            let busiest = ran.values().copied().max().unwrap_or(0) as f64;
            // The CPUs it ran on, leaving out any with under 5 % of its time
            // (a worker's moment before it pinned itself).
            let mut on_cpu: BTreeMap<u32, u64> = BTreeMap::new();
            for slice in &slices {
                *on_cpu.entry(slice.cpu).or_default() += slice.dur_us;
            }
            let total: u64 = on_cpu.values().sum();
            let cpus: Vec<u32> = on_cpu
                .into_iter()
                .filter(|&(_, us)| us as f64 >= 0.05 * total as f64)
                .map(|(cpu, _)| cpu)
                .collect();
            let ended = |end: SliceEnd| slices.iter().filter(|s| s.end == end).count() as u64;
            let mut by_start: Vec<&&Slice> = slices.iter().collect();
            by_start.sort_by_key(|s| s.start_us);
            let turns = by_start.windows(2).filter(|w| w[0].tid != w[1].tid).count();
            Some(ProcessTurns {
                pid,
                threads: tids.len(),
                turns_per_s: turns as f64 / span_s,
                busy_threads: ran
                    .values()
                    .filter(|&&us| {
                        us as f64 >= BUSY_THREAD_SHARE * busiest && us >= BUSY_THREAD_MIN_US
                    })
                    .count(),
                busy_tids: {
                    let mut busy: Vec<(u32, u64)> = ran
                        .iter()
                        .filter(|&(_, &us)| {
                            us as f64 >= BUSY_THREAD_SHARE * busiest && us >= BUSY_THREAD_MIN_US
                        })
                        .map(|(&tid, &us)| (tid, us))
                        .collect();
                    busy.sort_by_key(|&(_, us)| std::cmp::Reverse(us));
                    busy.into_iter().map(|(tid, _)| tid).collect()
                },
                preemptions: ended(SliceEnd::Preempted),
                blocks: ended(SliceEnd::Blocked),
                cpus,
                one_at_a_time: if any > 0.0 { one / any } else { 0.0 },
                any_running_s: any,
                wanting_s: any + bars.first().map_or(0.0, |b| b.waiting_s),
                handovers_per_s: by_sibling as f64 / span_s,
                woken_by_sibling: by_sibling as f64 / slices.len().max(1) as f64,
                bars,
                span_s,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(tid: u32, start_ms: u64, dur_ms: u64, wait_ms: u64, waker: u32) -> Slice {
        Slice {
            tid,
            cpu: tid % 2,
            start_us: start_ms * 1000,
            dur_us: dur_ms * 1000,
            end: SliceEnd::Blocked,
            wait_us: wait_ms * 1000,
            waker,
        }
    }

    #[test]
    fn the_histogram_sums_to_the_span_and_counts_overlaps_by_hand() {
        // 1 runs 0–10 ms, 2 runs 5–15 ms (having waited 5 ms), span 0–20 ms:
        // none 15–20 (5 ms), one 0–5 and 10–15 (10 ms), two 5–10 (5 ms);
        // 2 was waiting 0–5 while 1 ran alone.
        let slices = [slice(1, 0, 10, 0, 0), slice(2, 5, 10, 5, 0)];
        let bars = concurrency(slices.iter(), 0, 20_000);
        let seconds: Vec<(usize, f64, f64)> = bars
            .iter()
            .map(|b| {
                (
                    b.running,
                    (b.seconds * 1e3).round(),
                    (b.waiting_s * 1e3).round(),
                )
            })
            .collect();
        assert_eq!(seconds, vec![(0, 5.0, 0.0), (1, 10.0, 5.0), (2, 5.0, 0.0)]);
        assert!((mean_running(&bars) - 1.0).abs() < 1e-9); // 20 ms of CPU over 20 ms
    }

    #[test]
    fn the_window_clips_slices() {
        let slices = [slice(1, 0, 10, 0, 0)];
        let bars = concurrency(slices.iter(), 4000, 6000);
        assert_eq!(bars.len(), 2);
        assert!((bars[1].seconds - 0.002).abs() < 1e-12);
        assert_eq!(bars[0].seconds, 0.0);
    }

    fn summary_of(slices: Vec<Slice>) -> SchedSummary {
        let mut summary = SchedSummary {
            other_us: vec![0, 0],
            ..SchedSummary::default()
        };
        let threads = [1, 2]
            .map(|tid| SchedThread {
                tid,
                pid: 1,
                name: "python3".into(),
            })
            .to_vec();
        summary.add(SchedBatch {
            slices,
            threads,
            ..SchedBatch::default()
        });
        summary
    }

    #[test]
    fn two_threads_handing_over_are_one_at_a_time() {
        // Ten hand-overs of 5 ms: each slice woken by the other thread.
        let slices = (0..10)
            .map(|k| {
                let (tid, other) = if k % 2 == 0 { (1, 2) } else { (2, 1) };
                slice(tid, k * 5, 5, 0, other)
            })
            .collect();
        let summary = summary_of(slices);
        let turns = process_turns(&summary, 0, 50_000);
        assert_eq!(turns.len(), 1);
        assert_eq!(turns[0].threads, 2);
        assert!((turns[0].one_at_a_time - 1.0).abs() < 1e-9);
        assert!((turns[0].handovers_per_s - 200.0).abs() < 1e-9);
        assert!((turns[0].woken_by_sibling - 1.0).abs() < 1e-9);
    }

    #[test]
    fn per_thread_latency_and_off_cpu_time_by_hand() {
        let mut slices = vec![
            slice(1, 0, 2, 0, 0),  // blocks at 2 ms
            slice(1, 10, 2, 3, 2), // woken at 7 ms: asleep 5 ms, waited 3
            slice(1, 20, 1, 1, 2), // asleep 7 ms, waited 1
        ];
        slices[2].end = SliceEnd::Preempted;
        slices.push(slice(1, 30, 1, 9, 0)); // waited 9 ms after the preemption
        let summary = summary_of(slices);
        let figures = &per_thread(&summary)[0];
        assert_eq!(figures.slices, 4);
        assert!((figures.run_s - 0.006).abs() < 1e-9);
        assert!((figures.blocked_s - 0.012).abs() < 1e-9);
        assert!((figures.woken_wait_s - 0.004).abs() < 1e-9);
        assert!((figures.preempted_wait_s - 0.009).abs() < 1e-9);
        // Waits 0, 1, 3, 9 ms: p50 is the 2nd, p99 the 4th.
        assert_eq!((figures.wait_p50_us, figures.wait_p99_us), (1000, 9000));
        assert_eq!((figures.blocks, figures.preemptions), (3, 1));
    }
}
