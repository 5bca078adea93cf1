//! What one run's threads did, in plain words: findings computed from the
//! threads summary of a trace with tasks, each against a threshold named here
//! and in docs/findings.md. Warnings about the measurement stay warnings.

use std::collections::BTreeMap;

use crate::summary::findings::Finding;
use crate::summary::sched::{ProcessTurns, process_turns};
use crate::summary::threads::{ThreadSeries, ThreadsSummary, Use};
use crate::summary::trace_summary::TraceSummary;

/// A thread takes part when it was runnable (on a CPU or waiting for one) at
/// least this share of the time its tasks were read, and either at least
/// [`MEMBER_OF_BUSIEST`] of the busiest thread of its process or blocked at
/// least [`LOCK_WAITER_BLOCKS_PER_S`] times a second (it kept waking for a
/// lock it rarely got); a main thread that only started the workers and
/// waits for them does not take part.
pub const MEMBER_DEMAND: f64 = 0.01;
pub const MEMBER_OF_BUSIEST: f64 = 0.25;
pub const LOCK_WAITER_BLOCKS_PER_S: f64 = 100.0;
/// The message says one thread did the work when it ran at least this share
/// of its group's CPU time.
pub const ONE_DID_THE_WORK: f64 = 0.8;
/// threads-take-turns: the threads of one process taking part wanted at least
/// this many CPUs together, the ones besides the busiest at least
/// [`TURNS_OTHERS_DEMAND`] or as lock waiters (one busy thread with idle
/// helpers is not turns)...
pub const TURNS_MIN_DEMAND: f64 = 0.5;
pub const TURNS_OTHERS_DEMAND: f64 = 0.10;
/// ...together used at most this many CPUs, and were runnable at most this
/// many CPUs' worth of time (one at a time, give or take) or blocked more
/// often than they were preempted (they gave way to each other, not to other
/// programs)...
pub const TURNS_MAX_CPUS: f64 = 1.3;
/// ...with at least two CPUs to run on.
pub const TURNS_MIN_CPUS: usize = 2;
/// threads-unread: the task rows end before the workload did by more than
/// this share of its window and more than [`UNREAD_MIN_INTERVALS`] sample
/// intervals (a workload losing only its last interval is read well enough):
/// what the rows hold is too little to judge its threads by.
pub const UNREAD_SHARE: f64 = 0.5;
pub const UNREAD_MIN_INTERVALS: f64 = 2.0;
/// kernel-heavy: at least this share of the workload's CPU time in the kernel...
pub const KERNEL_SHARE: f64 = 0.30;
/// ...of at least this much CPU time.
pub const KERNEL_MIN_CPU_S: f64 = 0.2;
/// waiting-for-cpu: the workload's threads waited for a CPU at least this share
/// of the time they were runnable...
pub const WAIT_SHARE: f64 = 0.25;
/// ...and at least this many seconds in all...
pub const WAIT_MIN_S: f64 = 0.2;
/// ...while more of them were runnable than there are CPUs, or other programs
/// kept at least this many CPUs busy (else the wait is only the moments
/// between a thread's wake-up and its start).
pub const WAIT_OTHERS_CPUS: f64 = 0.5;
/// smt-siblings-shared: at least this share of the intervals with two or more
/// busy threads had two on siblings of one core while another core was idle...
pub const SMT_SHARE: f64 = 0.30;
/// ...and at least this many such intervals.
pub const SMT_MIN_INTERVALS: u32 = 3;
/// migrating: busy threads were on another CPU than in their previous busy
/// interval at least this share of the time...
pub const MIGRATION_SHARE: f64 = 0.30;
/// ...at least this many times in all.
pub const MIGRATION_MIN: u32 = 5;

/// smt-siblings-busy: a CPU counts as busy in a heat-map column when it was
/// at least this percent busy on average...
pub const SMT_BUSY_PERCENT: f64 = 50.0;
/// ...and the finding fires when some core had two busy siblings at least
/// this many seconds...
pub const SMT_BUSY_MIN_S: f64 = 1.0;
/// ...and at least this share of the time looked at (the workload window, or
/// the whole trace).
pub const SMT_BUSY_SHARE: f64 = 0.10;

/// The findings of a trace: what its CPUs' load says (any trace with a known
/// topology), then what its workload's threads did (traces with tasks).
pub fn run_findings(summary: &TraceSummary) -> Vec<Finding> {
    let mut findings = thread_findings(summary);
    if !findings.iter().any(|f| f.code == "smt-siblings-shared") {
        findings.extend(smt_siblings_busy(summary));
    }
    findings
}

/// Cores whose hyper-thread (SMT) siblings were both busy at once: how many,
/// for how long, and what that means for throughput. From the heat map's
/// columns (per-CPU means), within the workload window when there is one.
pub fn smt_siblings_busy(summary: &TraceSummary) -> Option<Finding> {
    if !summary.topology_known() {
        return None;
    }
    let pairs: Vec<(String, Vec<usize>)> = summary
        .core_groups()
        .into_iter()
        .filter(|(_, members)| members.len() >= 2)
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let (from, to) = summary
        .window
        .as_ref()
        .map_or((f64::NEG_INFINITY, f64::INFINITY), |w| (w.start, w.end));
    let busy = |column: &crate::summary::trace_summary::Column, slot: usize| {
        column.cpus[slot]
            .mean()
            .is_some_and(|load| load.busy() >= SMT_BUSY_PERCENT)
    };
    let (mut looked_s, mut doubled_s, mut core_s, mut most) = (0.0, 0.0, 0.0, 0usize);
    let mut example: Option<(u32, u32, u32)> = None;
    let mut cores_ever = vec![false; pairs.len()];
    for column in &summary.columns {
        let seconds = (column.t_end.min(to) - column.t_start.max(from)).max(0.0);
        if seconds <= 0.0 {
            continue;
        }
        looked_s += seconds;
        let mut doubled = 0;
        for (index, (_, members)) in pairs.iter().enumerate() {
            let both: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&s| busy(column, s))
                .collect();
            if both.len() >= 2 {
                doubled += 1;
                cores_ever[index] = true;
                let cpu = |slot: usize| summary.meta.cpus[slot].cpu;
                example.get_or_insert((
                    summary.meta.cpus[both[0]].core,
                    cpu(both[0]),
                    cpu(both[1]),
                ));
            }
        }
        if doubled > 0 {
            doubled_s += seconds;
            core_s += doubled as f64 * seconds;
            most = most.max(doubled);
        }
    }
    let (core, a, b) = example?;
    if doubled_s < SMT_BUSY_MIN_S || doubled_s < SMT_BUSY_SHARE * looked_s {
        return None;
    }
    let ever = cores_ever.iter().filter(|&&e| e).count();
    let cores = summary.meta.physical_cores.max(pairs.len());
    let mean = core_s / doubled_s;
    Some(finding(
        "smt-siblings-busy",
        format!(
            "SMT siblings shared cores: {ever} of {cores} cores had both hyper-threads busy at \
             once (each at least {SMT_BUSY_PERCENT:.0} %; core {core}: cpu{a} and cpu{b}), up to \
             {most} at a time and {mean:.1} on average, for {doubled_s:.1} s of {looked_s:.1} s. \
             Two threads on one core share its execution units: expect well under 2× one \
             core's throughput from each pair, though both CPUs count as busy"
        ),
    ))
}

/// threads-unread: the workload's tasks were read for too little of it (its
/// samples came late, or its threads were gone before they could be read), so
/// no other sampled finding is judged on the few it read.
fn threads_unread(summary: &TraceSummary, threads: &ThreadsSummary) -> Option<Finding> {
    let window = summary.window.as_ref()?;
    let window_s = threads.window_s;
    let unread_s = window_s - threads.covered_s;
    let interval_s = summary.meta.interval_s;
    if unread_s <= UNREAD_SHARE * window_s || unread_s <= UNREAD_MIN_INTERVALS * interval_s {
        return None;
    }
    let held = match summary.measures().and_then(|m| m.workload_cpu_s) {
        Some(cpu_s) => format!(
            "; its rows hold {:.2} of the {cpu_s:.2} CPU-s it used",
            threads.read_cpu_s
        ),
        None => String::new(),
    };
    let why = window
        .late_samples(interval_s)
        .unwrap_or_else(|| "its threads were gone before they could be read again".to_string());
    Some(finding(
        "threads-unread",
        format!(
            "the workload's tasks were read for only {:.1} s of its {window_s:.1} s{held}: too \
             little to say what its threads did, so no finding about them; {why}",
            threads.covered_s
        ),
    ))
}

/// The findings of a trace's task rows (none for a trace without tasks).
fn thread_findings(summary: &TraceSummary) -> Vec<Finding> {
    let cpus = summary
        .meta
        .allowed_cpus
        .as_ref()
        .map_or(summary.meta.cpus.len(), Vec::len);
    // The scheduler's events see a run too short for any sample to read its tasks.
    let exact = exact_turns(summary, cpus);
    let Some(threads) = summary.threads.as_ref().filter(|t| t.covered_s > 0.0) else {
        return exact.unwrap_or_default();
    };
    let headline = Headline::of(summary);
    if exact.is_none()
        && let Some(unread) = threads_unread(summary, threads)
    {
        return vec![unread];
    }
    let mut findings = match exact {
        Some(found) => found,
        None => threads_take_turns(threads, cpus, &headline),
    };
    if findings.is_empty() {
        findings.extend(ran_in_parallel(threads, &headline));
    }
    findings.extend(kernel_heavy(threads));
    findings.extend(waiting_for_cpu(threads, cpus, &headline));
    findings.extend(smt_siblings_shared(threads));
    findings.extend(migrating(threads));
    findings
}

/// threads-take-turns from the scheduler's events: of the time any thread of
/// the process ran, exactly one did at least this share...
pub const EXACT_ONE_AT_A_TIME: f64 = 0.9;
/// ...while some wanted a CPU (ran, or waited for one) at least this share of
/// the time from the process's first slice to its last...
pub const EXACT_MIN_BUSY: f64 = 0.5;
/// ...and at least this many seconds in all (a run too short to say)...
pub const EXACT_MIN_WANTING_S: f64 = 0.2;
/// ...and they woke each other at least this many times a second (two
/// threads that ran one after the other did not take turns).
pub const EXACT_MIN_HANDOVERS_PER_S: f64 = 10.0;

/// threads-take-turns in exact figures, when the trace has the scheduler's
/// events (`None` when it has not: the sampled finding applies). Says why
/// they took turns: they handed a lock over (woke each other), or the
/// scheduler time-sliced them on the CPUs they had (preempted each other).
fn exact_turns(summary: &TraceSummary, cpus: usize) -> Option<Vec<Finding>> {
    let sched = summary.sched.as_ref()?;
    let (from, to) = summary.window_us()?;
    let others = Headline::of(summary).other;
    // The CPUs the workers could use: their pinning's, else the run's.
    let mut pinned = summary.meta.worker_cpus.clone();
    pinned.sort_unstable();
    pinned.dedup();
    let could_use = if pinned.is_empty() {
        cpus
    } else {
        pinned.len()
    };
    let found = process_turns(sched, from, to)
        .into_iter()
        .filter(|p| {
            let per_s = |n: u64| n as f64 / p.span_s;
            p.busy_threads >= 2
                && p.one_at_a_time >= EXACT_ONE_AT_A_TIME
                && p.wanting_s >= EXACT_MIN_BUSY * p.span_s
                && p.wanting_s >= EXACT_MIN_WANTING_S
                && (p.turns_per_s >= EXACT_MIN_HANDOVERS_PER_S
                    || per_s(p.preemptions) >= EXACT_MIN_HANDOVERS_PER_S)
                && (cpus >= TURNS_MIN_CPUS || p.cpus.len() == 1)
        })
        .map(|p| {
            let whose = match sched.threads.get(&p.pid) {
                Some(main) => format!(
                    "{} threads of {} (pid {})",
                    p.busy_threads, main.name, p.pid
                ),
                // Threads of a process that is not the workload's (coreheat's
                // own workers): named one by one.
                None => {
                    let names: Vec<&str> = p
                        .busy_tids
                        .iter()
                        .take(3)
                        .filter_map(|tid| sched.threads.get(tid).map(|t| t.name.as_str()))
                        .collect();
                    let more = if p.busy_threads > 3 { ", …" } else { "" };
                    format!(
                        "{} threads ({}{more}) of pid {}",
                        p.busy_threads,
                        names.join(", "),
                        p.pid
                    )
                }
            };
            finding(
                "threads-take-turns",
                exact_turns_message(&p, &whose, others, could_use),
            )
        })
        .collect();
    Some(found)
}

fn exact_turns_message(
    p: &ProcessTurns,
    whose: &str,
    others: Option<(f64, f64)>,
    cpus: usize,
) -> String {
    let on = match p.cpus.as_slice() {
        [one] => format!(" on one CPU (cpu{one})"),
        _ => String::new(),
    };
    let share = 100.0 * p.one_at_a_time;
    // Threads that could have run side by side but ran one at a time were
    // held back by each other (a lock); threads with fewer CPUs than
    // themselves (pinned to one) were time-sliced by the scheduler.
    let locked = cpus >= p.busy_threads;
    let why = if locked {
        let each = match (p.woken_by_sibling >= 0.5, p.busy_threads) {
            (true, 2) => ", each waking the other",
            (true, _) => ", each woken by another",
            _ => "",
        };
        format!(
            "they could have used {cpus} CPUs but were serialized, as threads behind one lock \
             (Python's GIL, a Mutex) are; the CPU passed between them {} times a second{each}",
            thousands(p.turns_per_s.round() as u64)
        )
    } else {
        format!(
            "the scheduler time-sliced them ({} preemptions, {} a second), as it does threads \
             that have fewer CPUs than they want",
            thousands(p.preemptions),
            thousands((p.preemptions as f64 / p.span_s).round() as u64)
        )
    };
    // The page's figure of other programs, as the page names it.
    let caveat = match others {
        Some((cpu_s, seconds)) if cpu_s / seconds >= WAIT_OTHERS_CPUS => format!(
            "; other programs kept {:.2} CPUs busy ({cpu_s:.2} CPU-s) meanwhile, so some turns \
             were for want of a CPU",
            cpu_s / seconds
        ),
        _ => String::new(),
    };
    format!(
        "{whose} took turns{on}: one ran at a time for {share:.0} % of the time any ran; \
         {why}{caveat} (exact, from the scheduler's events)"
    )
}

/// 1800 as "1 800", 12345 as "12 345".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The page's own figures, so that a finding quotes them (same value, same
/// precision) instead of a figure of its own with another definition.
struct Headline {
    /// "CPUs in use": the workload's CPU time over its wall time, when the
    /// trace's end line gives it.
    cpus_in_use: Option<f64>,
    /// What the run could use, as the page writes it (`2`, `1.5`).
    capacity: String,
    /// "other programs": their CPU-seconds during the workload, and the
    /// workload's seconds.
    other: Option<(f64, f64)>,
}

impl Headline {
    fn of(summary: &TraceSummary) -> Headline {
        let measures = summary.measures();
        let seconds = summary.window.as_ref().map_or(0.0, |w| w.seconds());
        Headline {
            cpus_in_use: measures
                .as_ref()
                .filter(|m| m.workload_cpu_s.is_some())
                .map(|m| m.cpus_in_use),
            capacity: crate::util::units::format_cpus(crate::summary::warnings::capacity(
                &summary.meta,
            )),
            other: measures
                .and_then(|m| m.other_cpu_s)
                .filter(|_| seconds > 0.0)
                .map(|other| (other, seconds)),
        }
    }

    /// Other programs' busy CPUs: the page's figure when it has one, else
    /// what the task rows leave of the machine's busy time.
    fn others_cpus(&self, threads: &ThreadsSummary) -> f64 {
        match self.other {
            Some((cpu_s, seconds)) => cpu_s / seconds,
            None => others_cpus(threads, &workload_total(threads)),
        }
    }

    /// "other programs kept 0.53 CPUs busy (1.06 CPU-s)": the page's
    /// figure, named as the page names it.
    fn others_phrase(&self, threads: &ThreadsSummary) -> String {
        match self.other {
            Some((cpu_s, seconds)) => format!(
                "other programs kept {:.2} CPUs busy ({cpu_s:.2} CPU-s)",
                cpu_s / seconds
            ),
            None => format!(
                "other programs kept {:.2} CPUs busy",
                others_cpus(threads, &workload_total(threads))
            ),
        }
    }

    /// How many CPUs `cpu_s` of task time over the tasks' time is, said with
    /// the page's "CPUs in use" when these tasks are (nearly) the whole
    /// workload, so the two never disagree.
    fn used_phrase(&self, threads: &ThreadsSummary, cpu_s: f64) -> String {
        let whole = workload_total(threads).cpu_s();
        match self.cpus_in_use {
            Some(in_use) if cpu_s >= WHOLE_WORKLOAD * whole => {
                format!("{in_use:.2} of {} CPUs (CPUs in use)", self.capacity)
            }
            _ => format!(
                "{:.2} of {} CPUs while their tasks were read",
                cpu_s / threads.covered_s,
                self.capacity
            ),
        }
    }
}

/// Tasks that did at least this share of the workload's CPU time are "the
/// workload" in a message, which then quotes the page's CPUs in use.
const WHOLE_WORKLOAD: f64 = 0.9;
/// ran-in-parallel: tasks that each kept at least this many CPUs busy...
pub const PARALLEL_MEMBER_CPUS: f64 = 0.25;
/// ...two or more of them, together at least this many CPUs.
pub const PARALLEL_MIN_CPUS: f64 = 1.5;

/// A workload whose processes (or threads) kept several CPUs busy at once
/// says so, as a take-turns run says that it did not.
fn ran_in_parallel(threads: &ThreadsSummary, headline: &Headline) -> Option<Finding> {
    let covered = threads.covered_s;
    let busy: Vec<&ThreadSeries> = threads
        .threads
        .iter()
        .filter(|t| t.total.cpu_s() / covered >= PARALLEL_MEMBER_CPUS)
        .collect();
    let cpu_s: f64 = busy.iter().map(|t| t.total.cpu_s()).sum();
    if busy.len() < 2 || cpu_s / covered < PARALLEL_MIN_CPUS {
        return None;
    }
    let mut pids: Vec<u32> = busy.iter().map(|t| t.info.pid).collect();
    pids.sort_unstable();
    pids.dedup();
    let who = match pids.as_slice() {
        [pid] => match process_name(threads, *pid) {
            Some(name) => format!("{} threads of {name} (pid {pid})", busy.len()),
            // Threads of a process that is not itself the workload's
            // (coreheat's own workers): named one by one.
            None => {
                let names: Vec<&str> = busy.iter().take(3).map(|t| t.info.name.as_str()).collect();
                let more = if busy.len() > 3 { ", …" } else { "" };
                format!(
                    "{} threads ({}{more}) of pid {pid}",
                    busy.len(),
                    names.join(", ")
                )
            }
        },
        _ if pids.len() == busy.len() => crate::util::text::plural(busy.len(), "process"),
        _ => format!(
            "{} threads of {}",
            busy.len(),
            crate::util::text::plural(pids.len(), "process")
        ),
    };
    Some(finding(
        "ran-in-parallel",
        format!(
            "{who} ran in parallel: {}",
            headline.used_phrase(threads, cpu_s)
        ),
    ))
}

fn finding(code: &'static str, message: String) -> Finding {
    Finding { code, message }
}

/// Runnable share of the time the tasks were read (on a CPU or waiting for one).
fn demand(thread: &ThreadSeries, covered_s: f64) -> f64 {
    (thread.total.cpu_s() + thread.total.wait_s) / covered_s
}

/// Processes whose threads together wanted about a CPU or more but together
/// were runnable about one CPU's worth: at most one ran at a time. Judged on
/// the threads together, so forty threads behind one lock, each runnable a
/// fortieth of the time, are found as well as two.
fn threads_take_turns(threads: &ThreadsSummary, cpus: usize, headline: &Headline) -> Vec<Finding> {
    if cpus < TURNS_MIN_CPUS {
        return Vec::new();
    }
    let covered = threads.covered_s;
    let blocks_per_s = |t: &ThreadSeries| t.total.voluntary as f64 / covered;
    let mut by_process: BTreeMap<u32, Vec<&ThreadSeries>> = BTreeMap::new();
    for thread in &threads.threads {
        if demand(thread, covered) >= MEMBER_DEMAND {
            by_process.entry(thread.info.pid).or_default().push(thread);
        }
    }
    for members in by_process.values_mut() {
        let busiest = members
            .iter()
            .map(|t| demand(t, covered))
            .fold(0.0, f64::max);
        members.retain(|t| {
            demand(t, covered) >= MEMBER_OF_BUSIEST * busiest
                || blocks_per_s(t) >= LOCK_WAITER_BLOCKS_PER_S
        });
        members.sort_by(|a, b| demand(b, covered).total_cmp(&demand(a, covered)));
    }
    by_process
        .into_iter()
        .filter(|(_, members)| members.len() >= 2)
        .filter_map(|(pid, members)| {
            let wanted: f64 = members.iter().map(|t| demand(t, covered)).sum();
            let busiest = demand(members[0], covered);
            let waiters = members[1..]
                .iter()
                .any(|t| blocks_per_s(t) >= LOCK_WAITER_BLOCKS_PER_S);
            let cpu_s: f64 = members.iter().map(|t| t.total.cpu_s()).sum();
            let used = cpu_s / covered;
            let voluntary: u64 = members.iter().map(|t| t.total.voluntary).sum();
            let involuntary: u64 = members.iter().map(|t| t.total.involuntary).sum();
            let shared =
                wanted >= TURNS_MIN_DEMAND && (wanted - busiest >= TURNS_OTHERS_DEMAND || waiters);
            let gave_way = wanted <= TURNS_MAX_CPUS || voluntary > involuntary;
            (shared && used <= TURNS_MAX_CPUS && gave_way).then(|| {
                let name = process_name(threads, pid).unwrap_or(&members[0].info.name);
                let top_share = members[0].total.cpu_s() / cpu_s.max(f64::MIN_POSITIVE);
                let how = how_they_shared(members[0], top_share, voluntary, involuntary);
                let caveat = if headline.others_cpus(threads) >= WAIT_OTHERS_CPUS {
                    format!(
                        "; {} meanwhile, so some of the waiting may have been for them",
                        headline.others_phrase(threads)
                    )
                } else {
                    String::new()
                };
                finding(
                    "threads-take-turns",
                    format!(
                        "{} threads of {name} (pid {pid}) were runnable but together used {}: \
                         {how}{caveat}",
                        members.len(),
                        headline.used_phrase(threads, cpu_s)
                    ),
                )
            })
        })
        .collect()
}

/// How threads behind one lock shared it: in turns, or one (`top`, which ran
/// `top_share` of their CPU time) doing the work while the others waited.
fn how_they_shared(top: &ThreadSeries, top_share: f64, voluntary: u64, involuntary: u64) -> String {
    let counts = format!("{voluntary} times they blocked, {involuntary} times they were preempted");
    if top_share >= ONE_DID_THE_WORK {
        format!(
            "they were serialized, as threads are behind one lock such as Python's GIL or a \
             Mutex, and thread {} did {:.0} % of the work while the others waited for it \
             ({counts})",
            top.info.tid,
            100.0 * top_share
        )
    } else {
        format!("they took turns, as threads do behind a lock such as Python's GIL ({counts})")
    }
}

/// The name of a process's main thread (its tid is the pid).
fn process_name(threads: &ThreadsSummary, pid: u32) -> Option<&String> {
    threads
        .threads
        .iter()
        .find(|t| t.info.tid == pid)
        .map(|t| &t.info.name)
}

/// The whole workload's use over the window.
fn workload_total(threads: &ThreadsSummary) -> Use {
    let mut total = threads.folded;
    for thread in &threads.threads {
        total.voluntary += thread.total.voluntary;
        total.involuntary += thread.total.involuntary;
        total.usr_s += thread.total.usr_s;
        total.sys_s += thread.total.sys_s;
        total.run_s += thread.total.run_s;
        total.wait_s += thread.total.wait_s;
    }
    total.seconds = threads.covered_s;
    total
}

fn kernel_heavy(threads: &ThreadsSummary) -> Option<Finding> {
    let total = workload_total(threads);
    let cpu_s = total.usr_s + total.sys_s;
    let share = total.sys_s / cpu_s;
    (cpu_s >= KERNEL_MIN_CPU_S && share >= KERNEL_SHARE).then(|| {
        finding(
            "kernel-heavy",
            format!(
                "{:.0} % of the workload's CPU time was in the kernel (sys); its threads \
                 switched {:.0} times a second ({:.0} voluntary: they blocked or yielded; {:.0} \
                 involuntary: they were preempted), and each switch is kernel work",
                100.0 * share,
                (total.voluntary + total.involuntary) as f64 / total.seconds,
                total.voluntary as f64 / total.seconds,
                total.involuntary as f64 / total.seconds,
            ),
        )
    })
}

/// CPUs other programs kept busy, on average, while the tasks were read
/// (`workload`: the workload's [`workload_total`]).
fn others_cpus(threads: &ThreadsSummary, workload: &Use) -> f64 {
    ((threads.covered_machine_cpu_s - workload.cpu_s()) / workload.seconds).max(0.0)
}

fn waiting_for_cpu(threads: &ThreadsSummary, cpus: usize, headline: &Headline) -> Option<Finding> {
    let total = workload_total(threads);
    let runnable = total.run_s + total.wait_s;
    let share = total.wait_s / runnable;
    let runnable_threads = runnable / total.seconds;
    // Compared as printed: 2.04 runnable for 2 CPUs reads "2.0", which fits.
    let printed = (runnable_threads * 10.0).round() / 10.0;
    let crowded = printed > cpus as f64;
    let others = headline.others_cpus(threads);
    let loaded = others >= WAIT_OTHERS_CPUS;
    let waited = total.wait_s >= WAIT_MIN_S && share >= WAIT_SHARE;
    // The dominant cause first: the CPUs other programs took, or the
    // workload's own threads beyond the CPUs.
    let why = if loaded && (!crowded || others >= runnable_threads - cpus as f64) {
        format!(
            "{}, and the workload's threads queue on the same CPUs (on average {printed:.1} of \
             them were runnable for {cpus} CPUs)",
            headline.others_phrase(threads)
        )
    } else if crowded {
        format!(
            "on average {printed:.1} of them were runnable for {cpus} CPUs, more than fit{}",
            if loaded {
                format!("; {} too", headline.others_phrase(threads))
            } else {
                String::new()
            }
        )
    } else {
        return None;
    };
    waited.then(|| {
        finding(
            "waiting-for-cpu",
            format!(
                "the workload's threads were runnable but waiting for a CPU {:.0} % of the time \
                 they wanted one: {why}",
                100.0 * share,
            ),
        )
    })
}

fn smt_siblings_shared(threads: &ThreadsSummary) -> Option<Finding> {
    let (shared, of) = (threads.smt_shared_intervals, threads.multi_busy_intervals);
    let (a, b, idle_core) = threads.smt_example?;
    (shared >= SMT_MIN_INTERVALS && f64::from(shared) >= SMT_SHARE * f64::from(of)).then(|| {
        finding(
            "smt-siblings-shared",
            format!(
                "in {shared} of {of} intervals with several busy threads, two of them ran on \
                 hyper-thread siblings of one core (cpu{a} and cpu{b}, for example) while core \
                 {idle_core} sat idle: they shared one core's execution units; --pin spread puts \
                 workers on separate cores first"
            ),
        )
    })
}

fn migrating(threads: &ThreadsSummary) -> Option<Finding> {
    let moves: u32 = threads.threads.iter().map(|t| t.migrations).sum();
    let pairs: u32 = threads.threads.iter().map(|t| t.busy_pairs).sum();
    (moves >= MIGRATION_MIN && f64::from(moves) >= MIGRATION_SHARE * f64::from(pairs)).then(|| {
        finding(
            "migrating",
            format!(
                "busy threads were on another CPU than one sample before {:.0} % of the time \
                 ({moves} moves in {:.1} s): the scheduler kept moving the work between CPUs \
                 (cold caches each time); --pin keeps each worker on one CPU",
                100.0 * f64::from(moves) / f64::from(pairs),
                threads.covered_s,
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tasks::{TASK_FIELDS, TaskInfo, TaskTicks};
    use crate::model::{CpuTicks, CpuUnit, Event, EventKind, Meta, TraceCpu};
    use crate::summary::load::summarize_trace;
    use crate::trace::TraceWriter;

    /// 20 samples of 100 ms inside the workload window, CPUs on the cores
    /// `cores`, each sample's task rows from `rows(k)` and CPU rows busy on
    /// the CPUs of `busy_cpus`.
    fn findings_of(
        cores: &[u32],
        tasks: &[(u32, u32, &str)],
        busy_cpus: &[usize],
        rows: impl Fn(u32) -> Vec<TaskTicks>,
    ) -> Vec<Finding> {
        findings_ended(cores, tasks, busy_cpus, rows, None)
    }

    /// [`findings_of`], the trace ending with an end line of the workload's
    /// `cpu_s` (user time) over its 2 s, when given.
    fn findings_ended(
        cores: &[u32],
        tasks: &[(u32, u32, &str)],
        busy_cpus: &[usize],
        rows: impl Fn(u32) -> Vec<TaskTicks>,
        cpu_s: Option<f64>,
    ) -> Vec<Finding> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let mut physical: Vec<u32> = cores.to_vec();
        physical.dedup();
        let meta = Meta {
            cpus: (0..cores.len() as u32)
                .map(|cpu| TraceCpu {
                    cpu,
                    core: cores[cpu as usize],
                    package: 0,
                })
                .collect(),
            logical_cpus: cores.len(),
            physical_cores: physical.len(),
            interval_s: 0.1,
            cpu_unit: Some(CpuUnit::Ticks),
            ticks_per_s: Some(100),
            task_fields: TASK_FIELDS.map(String::from).to_vec(),
            ..Meta::default()
        };
        let mut writer = TraceWriter::create(&path, &meta).unwrap();
        let event = |t, event| Event {
            t,
            event,
            worker: None,
            detail: None,
        };
        writer
            .write_event(&event(0.0, EventKind::WorkloadStart))
            .unwrap();
        for &(pid, tid, name) in tasks {
            let task = TaskInfo {
                pid,
                tid,
                ppid: 1,
                name: name.into(),
            };
            writer.write_task(0.1, &task).unwrap();
        }
        let cpus: Vec<CpuTicks> = (0..cores.len())
            .map(|cpu| match busy_cpus.contains(&cpu) {
                true => CpuTicks([10, 0, 0, 0, 0, 0, 0, 0]),
                false => CpuTicks([0, 0, 0, 10, 0, 0, 0, 0]),
            })
            .collect();
        for k in 1..=20 {
            let t = f64::from(k) / 10.0;
            writer
                .write_ticks_and_tasks(t, &cpus, &rows(k), &[])
                .unwrap();
        }
        writer
            .write_event(&event(2.0, EventKind::WorkloadEnd))
            .unwrap();
        if let Some(user_s) = cpu_s {
            let end = crate::model::End {
                status: crate::model::Status::Ok,
                result: None,
                wall_s: 2.0,
                user_s,
                sys_s: 0.0,
                message: None,
            };
            writer.write_end(2.0, &end).unwrap();
        }
        drop(writer);
        run_findings(&summarize_trace(&path).unwrap())
    }

    /// A row of `run_ms` on a CPU (all user time) and `wait_ms` waiting.
    fn row(tid: u32, run_ms: u64, wait_ms: u64, cpu: u32) -> TaskTicks {
        TaskTicks {
            tid,
            utime: run_ms / 10,
            stime: 0,
            run_ns: run_ms * 1_000_000,
            wait_ns: wait_ms * 1_000_000,
            voluntary: 20,
            involuntary: 1,
            cpu,
        }
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code).collect()
    }

    const TWO_CORES: [u32; 2] = [0, 1];
    const PAIR: [(u32, u32, &str); 2] = [(100, 100, "python3"), (100, 101, "python3")];

    #[test]
    fn threads_that_take_turns_are_found_and_parallel_ones_are_not() {
        let turns = findings_of(&TWO_CORES, &PAIR, &[0], |k| {
            vec![row(100, 50, 0, k % 2), row(101, 50, 0, k % 2)]
        });
        assert_eq!(codes(&turns), ["threads-take-turns", "migrating"]);
        let message = &turns[0].message;
        assert!(
            message.starts_with("2 threads of python3 (pid 100)"),
            "{message}"
        );
        assert!(
            message.contains("together used 1.00 of 2 CPUs while their tasks were read"),
            "{message}"
        );
        assert!(!message.contains("other programs"), "{message}");
        // The same while another program keeps the other CPU busy.
        let beside_other = findings_of(&TWO_CORES, &PAIR, &[0, 1], |k| {
            vec![row(100, 50, 0, k % 2), row(101, 50, 0, k % 2)]
        });
        let message = &beside_other[0].message;
        assert!(
            message.ends_with("; other programs kept 1.00 CPUs busy meanwhile, so some of the waiting may have been for them"),
            "{message}"
        );
        let parallel = findings_of(&TWO_CORES, &PAIR, &[0, 1], |_| {
            vec![row(100, 100, 0, 0), row(101, 100, 0, 1)]
        });
        assert_eq!(codes(&parallel), ["ran-in-parallel"], "{parallel:?}");
    }

    #[test]
    fn threads_read_for_too_little_of_the_workload_get_no_finding_but_say_so() {
        // Two threads taking turns, read only in the first 3 of 20 samples
        // (a starved sampler, or threads gone): what they did is not judged.
        let turns_until = |last: u32| {
            move |k: u32| match k <= last {
                true => vec![row(100, 50, 0, 0), row(101, 50, 0, 0)],
                false => Vec::new(),
            }
        };
        let found = findings_ended(&TWO_CORES, &PAIR, &[0], turns_until(3), Some(2.0));
        assert_eq!(codes(&found), ["threads-unread"], "{found:?}");
        let message = &found[0].message;
        assert!(
            message.starts_with(
                "the workload's tasks were read for only 0.3 s of its 2.0 s; its rows hold \
                 0.30 of the 2.00 CPU-s it used: too little to say what its threads did"
            ),
            "{message}"
        );
        assert!(message.ends_with("its threads were gone before they could be read again"));
        // Read for 1.5 s of 2: judged as usual.
        let found = findings_ended(&TWO_CORES, &PAIR, &[0], turns_until(15), Some(2.0));
        assert_eq!(codes(&found), ["threads-take-turns"], "{found:?}");
    }

    #[test]
    fn a_finding_quotes_the_pages_cpus_in_use_when_it_speaks_of_the_whole_workload() {
        // The end line says 2.00 CPU-s over 2 s: "CPUs in use 1.00 of 2".
        let turns = findings_ended(
            &TWO_CORES,
            &PAIR,
            &[0],
            |k| vec![row(100, 45, 0, k % 2), row(101, 45, 0, k % 2)],
            Some(2.0),
        );
        let message = &turns[0].message;
        assert!(
            message.contains("together used 1.00 of 2 CPUs (CPUs in use): they took turns"),
            "{message}"
        );
    }

    #[test]
    fn processes_that_ran_in_parallel_say_so_with_the_pages_figure() {
        let two = [(100, 100, "hash"), (200, 200, "hash")];
        let found = findings_ended(
            &TWO_CORES,
            &two,
            &[0, 1],
            |_| vec![row(100, 90, 0, 0), row(200, 90, 0, 1)],
            Some(3.6),
        );
        assert_eq!(codes(&found), ["ran-in-parallel"], "{found:?}");
        assert_eq!(
            found[0].message,
            "2 processes ran in parallel: 1.80 of 2 CPUs (CPUs in use)"
        );
        // One busy process beside an idle one is not parallel.
        let one = findings_of(&TWO_CORES, &two, &[0], |_| {
            vec![row(100, 100, 0, 0), row(200, 1, 0, 1)]
        });
        assert!(one.is_empty(), "{one:?}");
    }

    #[test]
    fn waiting_for_a_cpu_compares_as_printed_and_names_the_dominant_cause() {
        // 2.04 runnable for 2 CPUs (printed 2.0: they fit), while other
        // programs took 1.60 CPU-s of the 4 the machine had busy.
        let found = findings_ended(
            &TWO_CORES,
            &PAIR,
            &[0, 1],
            |k| vec![row(100, 60, 42, k % 2), row(101, 60, 42, (k + 1) % 2)],
            Some(2.4),
        );
        let waiting = found.iter().find(|f| f.code == "waiting-for-cpu");
        let message = &waiting.expect("waiting-for-cpu").message;
        assert!(!message.contains("more than fit"), "{message}");
        assert!(
            message.contains(
                "other programs kept 0.80 CPUs busy (1.60 CPU-s), and the workload's threads \
                 queue on the same CPUs (on average 2.0 of them were runnable for 2 CPUs)"
            ),
            "{message}"
        );
    }

    #[test]
    fn kernel_time_is_found_with_its_switch_rate() {
        let found = findings_of(&TWO_CORES, &PAIR[..1], &[0], |_| {
            vec![TaskTicks {
                stime: 6,
                utime: 4,
                voluntary: 500,
                ..row(100, 100, 0, 0)
            }]
        });
        assert_eq!(codes(&found), ["kernel-heavy"]);
        assert!(
            found[0]
                .message
                .starts_with("60 % of the workload's CPU time was in the kernel")
        );
        assert!(
            found[0].message.contains("switched 5010 times a second"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn waiting_for_a_cpu_is_found() {
        let three = [(100, 100, "a"), (100, 101, "a"), (100, 102, "a")];
        let found = findings_of(&TWO_CORES, &three, &[0, 1], |_| {
            vec![
                row(100, 66, 34, 0),
                row(101, 67, 33, 1),
                row(102, 67, 33, 0),
            ]
        });
        assert!(codes(&found).contains(&"waiting-for-cpu"), "{found:?}");
        assert!(!codes(&found).contains(&"threads-take-turns"));
    }

    #[test]
    fn busy_threads_on_smt_siblings_beside_an_idle_core_are_found() {
        let cores = [0, 0, 1, 1];
        let found = findings_of(&cores, &PAIR, &[0, 1], |_| {
            vec![row(100, 100, 0, 0), row(101, 100, 0, 1)]
        });
        assert_eq!(codes(&found), ["ran-in-parallel", "smt-siblings-shared"]);
        assert!(
            found[1]
                .message
                .contains("(cpu0 and cpu1, for example) while core 1 sat idle")
        );
        let spread = findings_of(&cores, &PAIR, &[0, 2], |_| {
            vec![row(100, 100, 0, 0), row(101, 100, 0, 2)]
        });
        assert_eq!(codes(&spread), ["ran-in-parallel"], "{spread:?}");
    }

    #[test]
    fn work_moving_between_cpus_is_found() {
        let found = findings_of(&TWO_CORES, &PAIR[..1], &[0], |k| {
            vec![row(100, 100, 0, k % 2)]
        });
        assert_eq!(codes(&found), ["migrating"]);
        assert!(
            found[0]
                .message
                .contains("100 % of the time (19 moves in 2.0 s)"),
            "{}",
            found[0].message
        );
        let staying = findings_of(&TWO_CORES, &PAIR[..1], &[0], |_| vec![row(100, 100, 0, 1)]);
        assert!(staying.is_empty());
    }

    /// Forty threads of one process, each on a CPU `run_ms` and waiting
    /// `wait_ms` of every 100 ms.
    fn forty_threads(busy_cpus: &[usize], run_ms: u64, wait_ms: u64) -> Vec<Finding> {
        let names: Vec<(u32, u32, &str)> = (0..40).map(|k| (100, 100 + k, "python3")).collect();
        findings_of(&TWO_CORES, &names, busy_cpus, |k| {
            (0..40)
                .map(|n| row(100 + n, run_ms, wait_ms, (k + n) % 2))
                .collect()
        })
    }

    #[test]
    fn many_threads_each_runnable_a_little_are_judged_together() {
        let found = forty_threads(&[0], 3, 1);
        assert_eq!(codes(&found), ["threads-take-turns"], "{found:?}");
        assert!(
            found[0].message.starts_with(
                "40 threads of python3 (pid 100) were runnable but together used 1.20 of 2 CPUs"
            ),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn threads_starved_by_one_that_holds_a_lock_are_found_serialized() {
        // One thread runs 95 ms of every 100; two others run 1.5 ms and block
        // 250 times a second each, waking for a lock they rarely get.
        let three = [
            (100, 100, "mutex"),
            (100, 101, "mutex"),
            (100, 102, "mutex"),
        ];
        let found = findings_of(&TWO_CORES, &three, &[0], |_| {
            let waiter = |tid| TaskTicks {
                voluntary: 25,
                ..row(tid, 2, 0, 1)
            };
            vec![row(100, 95, 0, 0), waiter(101), waiter(102)]
        });
        assert_eq!(codes(&found), ["threads-take-turns"], "{found:?}");
        assert!(
            found[0].message.contains("they were serialized")
                && found[0].message.contains("thread 100 did 96 % of the work"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn one_busy_thread_beside_idle_helpers_does_not_take_turns() {
        let names: Vec<(u32, u32, &str)> = (0..10).map(|k| (100, 100 + k, "java")).collect();
        // Helpers that wake ten times a second for a millisecond of work.
        let found = findings_of(&TWO_CORES, &names, &[0], |_| {
            let mut rows = vec![row(100, 100, 0, 0)];
            rows.extend((1..10).map(|n| TaskTicks {
                voluntary: 1,
                ..row(100 + n, 1, 0, 1)
            }));
            rows
        });
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn waiting_for_a_cpu_needs_more_runnable_threads_than_cpus_or_other_load() {
        // 40 × 3.5 % = 1.4 runnable on 2 CPUs, the machine otherwise idle: the
        // wait is between wake-ups and starts, not a crowded run queue.
        let idle_machine = forty_threads(&[0], 2, 1);
        assert!(
            !codes(&idle_machine).contains(&"waiting-for-cpu"),
            "{idle_machine:?}"
        );
        // The same threads while other programs keep the second CPU busy.
        let busy_machine = forty_threads(&[0, 1], 2, 1);
        let waiting = busy_machine.iter().find(|f| f.code == "waiting-for-cpu");
        let message = &waiting.expect("waiting-for-cpu").message;
        assert!(
            message.contains(
                "other programs kept 1.20 CPUs busy, and the workload's threads queue on the same \
                 CPUs (on average 1.2 of them were runnable for 2 CPUs)"
            ),
            "{message}"
        );
    }

    #[test]
    fn nothing_is_found_in_an_idle_run() {
        assert!(findings_of(&TWO_CORES, &[], &[], |_| Vec::new()).is_empty());
    }

    /// A trace of 8 CPUs on 4 cores × 2 threads (cpu N on core N % 4), 20
    /// one-second samples with the CPUs of `busy` 100 % busy, no tasks.
    fn smt_trace(busy: &[usize], known: bool) -> TraceSummary {
        use crate::model::{CpuLoad, Sample};
        use crate::trace::Record;
        let meta = Meta {
            cpus: (0..8)
                .map(|cpu| TraceCpu {
                    cpu,
                    core: cpu % 4,
                    package: 0,
                })
                .collect(),
            logical_cpus: 8,
            physical_cores: if known { 4 } else { 0 },
            interval_s: 1.0,
            ..Meta::default()
        };
        let records = (1..=20).map(|t| {
            Ok::<_, ()>(Record::Sample(Sample {
                t: f64::from(t),
                cpus: (0..8)
                    .map(|cpu| match busy.contains(&cpu) {
                        true => CpuLoad {
                            usr: 100.0,
                            ..CpuLoad::default()
                        },
                        false => CpuLoad {
                            idle: 100.0,
                            ..CpuLoad::default()
                        },
                    })
                    .collect(),
            }))
        });
        TraceSummary::build(meta, records, 100).unwrap()
    }

    #[test]
    fn smt_siblings_busy_says_how_many_cores_how_long_and_what_it_means() {
        let all = run_findings(&smt_trace(&[0, 1, 2, 3, 4, 5, 6, 7], true));
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].code, "smt-siblings-busy");
        let message = &all[0].message;
        for part in [
            "4 of 4 cores had both hyper-threads busy",
            "core 0: cpu0 and cpu4",
            "up to 4 at a time",
            "for 20.0 s of 20.0 s",
            "well under 2× one core's throughput",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
        let one = run_findings(&smt_trace(&[1, 5], true));
        assert!(one[0].message.contains("1 of 4 cores"), "{one:?}");
        // Four busy CPUs on four cores, or no topology: nothing to say.
        assert!(run_findings(&smt_trace(&[0, 1, 2, 3], true)).is_empty());
        assert!(run_findings(&smt_trace(&[0, 1, 2, 3, 4, 5, 6, 7], false)).is_empty());
    }
}
