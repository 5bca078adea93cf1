//! The report's threads view ("who ran where"): one row per thread of the
//! workload, grouped by process, each interval colored by the thread's CPU
//! share with a thin band below for the time it waited for a CPU; the busiest
//! [`DRAWN_THREADS`] are drawn and the rest folded into one row. Above them, a
//! strip of the workload's CPUs over time against the machine's busy CPUs.
//! The SVG markup is made of numbers and fixed words only; names are escaped
//! by the template.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::summary::threads::{ThreadColumn, ThreadSeries, ThreadsSummary, Use};
use crate::util::text::plural;

/// Thread rows drawn; the rest share one row.
pub const DRAWN_THREADS: usize = 24;

/// One process's rows.
pub struct ProcessView {
    pub label: String,
    pub rows: Vec<ThreadRowView>,
}

/// One drawn row.
pub struct ThreadRowView {
    pub label: String,
    /// `cpu1`, `3 CPUs, 12 moves`.
    pub where_ran: String,
    pub title: String,
    pub cells: String,
}

/// The whole view.
pub struct ThreadsView {
    pub width: usize,
    pub processes: Vec<ProcessView>,
    pub strip: String,
    pub strip_height: usize,
    pub strip_caption: String,
}

/// The view of a trace's threads, `None` when it has none.
pub fn threads_view(threads: &ThreadsSummary, cpus: usize) -> Option<ThreadsView> {
    if threads.threads.is_empty() || threads.columns.is_empty() {
        return None;
    }
    let mut order: Vec<&ThreadSeries> = threads.threads.iter().collect();
    order.sort_by(|a, b| {
        busy_s(b)
            .total_cmp(&busy_s(a))
            .then(a.info.tid.cmp(&b.info.tid))
    });
    let (drawn, rest) = order.split_at(order.len().min(DRAWN_THREADS));
    let columns = &threads.columns;
    let mut by_process: BTreeMap<u32, ProcessView> = BTreeMap::new();
    for thread in drawn {
        by_process
            .entry(thread.info.pid)
            .or_insert_with(|| ProcessView {
                label: process_label(threads, thread),
                rows: Vec::new(),
            })
            .rows
            .push(row(thread, columns));
    }
    let mut processes: Vec<ProcessView> = by_process.into_values().collect();
    if !rest.is_empty() || threads.folded_threads > 0 {
        processes.push(folded(rest, threads.folded_threads, columns));
    }
    let strip_height = cpus.clamp(1, 64) * 8;
    Some(ThreadsView {
        width: columns.len(),
        processes,
        strip: strip(columns, cpus, strip_height),
        strip_height,
        strip_caption: format!(
            "The workload's CPUs over time (orange) against the machine's busy CPUs (grey, of {cpus}): \
             the grey above the orange is other programs."
        ),
    })
}

/// `python3 (pid 4242)`: the name of the process's main thread (its tid is the pid).
fn process_label(threads: &ThreadsSummary, member: &ThreadSeries) -> String {
    let pid = member.info.pid;
    let main = threads.threads.iter().find(|t| t.info.tid == pid);
    format!("{} (pid {pid})", main.unwrap_or(member).info.name)
}

fn busy_s(thread: &ThreadSeries) -> f64 {
    thread.cells.iter().map(Use::cpu_s).sum()
}

fn row(thread: &ThreadSeries, columns: &[ThreadColumn]) -> ThreadRowView {
    let where_ran = match thread.cpus.as_slice() {
        [] => "—".to_string(),
        [cpu] => format!("cpu{cpu}"),
        many => format!(
            "{} CPUs, {}",
            many.len(),
            plural(thread.migrations as usize, "migration")
        ),
    };
    ThreadRowView {
        label: format!(
            "{}/{} {}",
            thread.info.pid, thread.info.tid, thread.info.name
        ),
        where_ran,
        title: thread.total.describe(),
        cells: cells(&thread.cells, columns),
    }
}

/// The threads not drawn, one row of their summed use.
fn folded(rest: &[&ThreadSeries], uncounted: usize, columns: &[ThreadColumn]) -> ProcessView {
    let mut sums = vec![Use::default(); columns.len()];
    for thread in rest {
        for (sum, cell) in sums.iter_mut().zip(&thread.cells) {
            let seconds = sum.seconds.max(cell.seconds);
            *sum = Use {
                seconds,
                usr_s: sum.usr_s + cell.usr_s,
                sys_s: sum.sys_s + cell.sys_s,
                run_s: sum.run_s + cell.run_s,
                wait_s: sum.wait_s + cell.wait_s,
                voluntary: sum.voluntary + cell.voluntary,
                involuntary: sum.involuntary + cell.involuntary,
                cpu: None,
            };
        }
    }
    let count = rest.len() + uncounted;
    ProcessView {
        label: "the rest".into(),
        rows: vec![ThreadRowView {
            label: plural(count, "other thread"),
            where_ran: String::new(),
            title: format!("{} together", plural(count, "thread")),
            cells: cells(&sums, columns),
        }],
    }
}

/// One rect per interval for the CPU share (darker = more; 1 CPU or more is
/// full) and a thin band below for the share spent waiting for a CPU.
fn cells(uses: &[Use], columns: &[ThreadColumn]) -> String {
    let mut svg = String::new();
    for (x, (used, column)) in uses.iter().zip(columns).enumerate() {
        let share = used.cpu_share().min(1.0);
        let wait = used.wait_share().min(1.0);
        if share < 0.005 && wait < 0.005 {
            continue;
        }
        let _ = write!(
            svg,
            "<g><title>{:.1}–{:.1} s: {:.0} % of a CPU; {}</title>",
            column.t_start,
            column.t_end,
            100.0 * used.cpu_share(),
            used.describe()
        );
        if share >= 0.005 {
            let _ = write!(
                svg,
                r#"<rect class="run" x="{x}" y="0" width="1" height="7" fill-opacity="{:.2}"/>"#,
                0.15 + 0.85 * share
            );
        }
        if wait >= 0.005 {
            let _ = write!(
                svg,
                r#"<rect class="wait" x="{x}" y="7.5" width="1" height="2.5" fill-opacity="{:.2}"/>"#,
                0.15 + 0.85 * wait
            );
        }
        svg.push_str("</g>");
    }
    svg
}

/// Two step areas: the machine's busy CPUs (grey) and the workload's (orange).
fn strip(columns: &[ThreadColumn], cpus: usize, height: usize) -> String {
    let scale = height as f64 / cpus.max(1) as f64;
    let mut machine = String::new();
    let mut workload = String::new();
    for (x, column) in columns.iter().enumerate() {
        let (ours, busy) = column.cpus();
        let top = |value: f64| height as f64 - value.min(cpus as f64) * scale;
        let _ = write!(machine, "{x},{:.1} {},{:.1} ", top(busy), x + 1, top(busy));
        let _ = write!(workload, "{x},{:.1} {},{:.1} ", top(ours), x + 1, top(ours));
    }
    let end = columns.len();
    format!(
        r#"<polygon class="machine" points="0,{height} {machine}{end},{height}"/><polygon class="workload" points="0,{height} {workload}{end},{height}"/>"#
    )
}
