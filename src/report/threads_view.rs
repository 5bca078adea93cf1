//! The report's threads view ("who ran where"): one row per thread of the
//! workload, grouped by process, each interval colored by the thread's CPU
//! share with a thin band below for the time it waited for a CPU; the busiest
//! [`DRAWN_THREADS`] are drawn and the rest folded into one row. Above them, a
//! strip of the workload's CPUs over time against the machine's busy CPUs.
//! Time is drawn to scale (a column is as wide as the time it covers) on the
//! heat maps' own [`TimeAxis`], so the view lines up under them and shares
//! their time axis and start/end marks. The SVG markup is made of numbers and
//! fixed words only; names are escaped by the template.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::report::timeaxis::TimeAxis;
use crate::summary::threads::{BUSY_SHARE, ThreadColumn, ThreadSeries, ThreadsSummary, Use};
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
    /// `cpu1`, `cpu0 and cpu1, moved 3×`.
    pub where_ran: String,
    /// What `where_ran` counts, in words (its hover).
    pub where_title: String,
    pub title: String,
    pub cells: String,
}

/// The whole view.
pub struct ThreadsView {
    /// The viewBox width: the heat maps' span, in milliseconds.
    pub width: String,
    pub processes: Vec<ProcessView>,
    pub strip: String,
    pub strip_height: usize,
    pub strip_caption: String,
    /// `top: 2 CPUs`: the strip's full height.
    pub strip_scale: String,
}

/// Where each column is drawn: milliseconds from the heat maps' left edge.
struct Scale {
    axis: TimeAxis,
}

impl Scale {
    fn x(&self, t: f64) -> f64 {
        self.axis.offset(t) * 1000.0
    }
}

/// The view of a trace's threads on the heat maps' `axis`, `None` when it
/// has none.
pub fn threads_view(threads: &ThreadsSummary, cpus: usize, axis: TimeAxis) -> Option<ThreadsView> {
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
    let scale = Scale { axis };
    let mut by_process: BTreeMap<u32, ProcessView> = BTreeMap::new();
    for thread in drawn {
        by_process
            .entry(thread.info.pid)
            .or_insert_with(|| ProcessView {
                label: process_label(threads, thread),
                rows: Vec::new(),
            })
            .rows
            .push(row(thread, columns, &scale));
    }
    let mut processes: Vec<ProcessView> = by_process.into_values().collect();
    if !rest.is_empty() || threads.folded_threads > 0 {
        processes.push(folded(rest, threads.folded_threads, columns, &scale));
    }
    let strip_height = cpus.clamp(1, 64) * 8;
    Some(ThreadsView {
        width: format!("{:.0}", (axis.span() * 1000.0).max(1.0)),
        processes,
        strip: strip(columns, cpus, strip_height, &scale),
        strip_height,
        strip_caption: strip_caption(threads),
        strip_scale: format!("top: {}", plural(cpus, "CPU")),
    })
}

/// What the strip shows, and how its last moments were filled in.
fn strip_caption(threads: &ThreadsSummary) -> String {
    let mut caption = "The workload's CPUs over time (orange) against the machine's busy CPUs \
         (grey): the grey above the orange is other programs. Tasks are read at each sample, \
         so a thread's rows end at its last sample before it exited."
        .to_string();
    if threads.ended_cpu_s >= 0.005 {
        caption.push_str(&format!(
            " The orange also holds {:.2} CPU-s of processes that ended between samples \
             (their last moments, or all of one too short-lived to be read), drawn where \
             their parent reaped them and, beyond the machine's busy CPUs there, in the \
             intervals before, where they ran; no row shows them. The orange never rises \
             above the grey.",
            threads.ended_cpu_s
        ));
    }
    if let Some(tail) = threads.tail {
        let why = match &threads.late_samples {
            Some(_) => "were not read again (coreheat's samples came late)",
            None => "were gone before they could be read again",
        };
        caption.push_str(&format!(
            " From {:.2} s to {:.2} s the workload's threads {why}: the pale orange there is \
             its CPU time by its own end accounting ({:.2} CPU-s",
            tail.t_start, tail.t_end, tail.cpu_s
        ));
        if tail.unseen_cpu_s > tail.cpu_s + 0.005 {
            caption.push_str(&format!(
                "; its rows miss {:.2} CPU-s in all, the rest from threads or processes that \
                 ended between two samples before, or too briefly to be read",
                tail.unseen_cpu_s
            ));
        }
        caption.push_str(").");
    }
    caption
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

/// Where a thread ran: the CPUs it was seen on at the samples in which it ran
/// (up to three by name) and how often it was on another CPU than at its
/// previous such sample (the hover says so in words).
fn where_ran(thread: &ThreadSeries) -> (String, String) {
    let on = match thread.cpus.as_slice() {
        [] => return ("—".to_string(), String::new()),
        [cpu] => format!("cpu{cpu}"),
        [a, b] => format!("cpu{a} and cpu{b}"),
        [a, b, c] => format!("cpu{a}, cpu{b} and cpu{c}"),
        many => format!("{} CPUs", many.len()),
    };
    let seen = "the CPU it last ran on, read at each sample in which it ran";
    if thread.cpus.len() == 1 {
        return (on, format!("{seen}: always this one"));
    }
    (
        format!("{on}, moved {}×", thread.moves),
        format!(
            "{seen}: {} it was on another CPU than at its previous such sample (moves within \
             an interval are not seen); {} of the moves were between samples in which it used \
             at least {:.0} % of a CPU",
            times(thread.moves),
            thread.migrations,
            100.0 * BUSY_SHARE
        ),
    )
}

/// `once`, `twice`, `5 times`.
fn times(count: u32) -> String {
    match count {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

fn row(thread: &ThreadSeries, columns: &[ThreadColumn], scale: &Scale) -> ThreadRowView {
    let (where_ran, where_title) = where_ran(thread);
    ThreadRowView {
        label: format!(
            "{}/{} {}",
            thread.info.pid, thread.info.tid, thread.info.name
        ),
        where_ran,
        where_title,
        title: thread.total.describe(),
        cells: cells(&thread.cells, columns, scale),
    }
}

/// The threads not drawn, one row of their summed use.
fn folded(
    rest: &[&ThreadSeries],
    uncounted: usize,
    columns: &[ThreadColumn],
    scale: &Scale,
) -> ProcessView {
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
            where_title: String::new(),
            title: format!("{} together", plural(count, "thread")),
            cells: cells(&sums, columns, scale),
        }],
    }
}

/// One rect per interval for the CPU share (darker = more; 1 CPU or more is
/// full) and a thin band below for the share spent waiting for a CPU.
fn cells(uses: &[Use], columns: &[ThreadColumn], scale: &Scale) -> String {
    let mut svg = String::new();
    for (used, column) in uses.iter().zip(columns) {
        let x = scale.x(column.t_start).round();
        let width = scale.x(column.t_end).round() - x;
        let share = used.cpu_share().min(1.0);
        let wait = used.wait_share().min(1.0);
        if share < 0.005 && wait < 0.005 {
            continue;
        }
        let on_cpu = match used.cpu_share() {
            share if share <= 1.0 => format!("{:.0} % of a CPU", 100.0 * share),
            share => format!("{share:.2} CPUs"),
        };
        let _ = write!(
            svg,
            "<g><title>{:.1}–{:.1} s: {on_cpu}; {}</title>",
            column.t_start,
            column.t_end,
            used.describe()
        );
        if share >= 0.005 {
            let _ = write!(
                svg,
                r#"<rect class="run" x="{x:.0}" y="0" width="{width:.0}" height="7" fill-opacity="{:.2}"/>"#,
                0.15 + 0.85 * share
            );
        }
        if wait >= 0.005 {
            let _ = write!(
                svg,
                r#"<rect class="wait" x="{x:.0}" y="7.5" width="{width:.0}" height="2.5" fill-opacity="{:.2}"/>"#,
                0.15 + 0.85 * wait
            );
        }
        svg.push_str("</g>");
    }
    svg
}

/// Step areas: the machine's busy CPUs (grey), the workload's as read from
/// its tasks (orange), and on top the part filled from its end accounting
/// (pale orange).
fn strip(columns: &[ThreadColumn], cpus: usize, height: usize, scale: &Scale) -> String {
    let per_cpu = height as f64 / cpus.max(1) as f64;
    let top = |value: f64| height as f64 - value.min(cpus as f64) * per_cpu;
    let mut areas = [String::new(), String::new(), String::new()];
    let drawn = within_the_machine(columns);
    for (column, &ours) in columns.iter().zip(&drawn) {
        let busy = column.cpus().1;
        let seconds = column.t_end - column.t_start;
        let read = (ours
            - if seconds > 0.0 {
                column.estimated_cpu_s / seconds
            } else {
                0.0
            })
        .min(ours);
        let (x0, x1) = (scale.x(column.t_start), scale.x(column.t_end));
        for (area, value) in areas.iter_mut().zip([busy, ours, read]) {
            let y = top(value.max(0.0));
            let _ = write!(area, "{x0:.0},{y:.1} {x1:.0},{y:.1} ");
        }
    }
    let end = columns.last().map_or(0.0, |c| scale.x(c.t_end));
    let [machine, estimate, workload] = areas;
    let polygon = |class: &str, points: &str| {
        format!(r#"<polygon class="{class}" points="0,{height} {points}{end:.0},{height}"/>"#)
    };
    let mut svg = polygon("machine", &machine);
    if columns.iter().any(|c| c.estimated_cpu_s > 0.0) {
        svg.push_str(&polygon("estimate", &estimate));
    }
    svg.push_str(&polygon("workload", &workload));
    svg
}

/// The workload's CPUs of each column as drawn: never above the machine's
/// busy CPUs. CPU time counted in a column beyond what the machine had busy
/// (a parent reaping children that ended between samples is credited with
/// their time at once) was earned before: it is drawn in the columns before
/// it, where the machine was busier than the workload as read.
fn within_the_machine(columns: &[ThreadColumn]) -> Vec<f64> {
    if columns.iter().all(|c| c.machine_busy_cpu_s <= 0.0) {
        // No machine load known (no CPU data): the workload as read.
        return columns.iter().map(|c| c.cpus().0).collect();
    }
    let mut drawn = vec![0.0; columns.len()];
    let mut carried = 0.0; // CPU-seconds still to place, earlier
    for (index, column) in columns.iter().enumerate().rev() {
        let seconds = column.t_end - column.t_start;
        if seconds <= 0.0 {
            continue;
        }
        let wanted = column.workload_cpu_s + carried;
        let placed = wanted.min(column.machine_busy_cpu_s.max(0.0));
        carried = wanted - placed;
        drawn[index] = placed / seconds;
    }
    drawn
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CpuLoad;
    use crate::model::tasks::TaskTicks;
    use crate::summary::threads::one_worker_on_two_cpus;

    /// One thread on 2 CPUs, sampled over `intervals`, running a whole CPU on
    /// the CPU of each interval.
    fn summary(intervals: &[(f64, f64, u32)]) -> ThreadsSummary {
        let whole: Vec<(f64, f64, u32, f64)> = intervals
            .iter()
            .map(|&(a, b, cpu)| (a, b, cpu, 1.0))
            .collect();
        summary_of_shares(&whole)
    }

    /// The same, running the given share of a CPU in each interval.
    fn summary_of_shares(intervals: &[(f64, f64, u32, f64)]) -> ThreadsSummary {
        let mut builder = one_worker_on_two_cpus();
        for &(t_start, t, cpu, share) in intervals {
            let ticks = ((t - t_start) * share * 100.0).round() as u64;
            builder.sample(t_start, t, true, &[CpuLoad::default(); 2], &[0, 1]);
            builder.rows(&[TaskTicks {
                tid: 8,
                utime: ticks,
                stime: 0,
                run_ns: ticks * 10_000_000,
                wait_ns: 0,
                voluntary: 0,
                involuntary: 0,
                cpu,
            }]);
        }
        builder.finish(None)
    }

    /// The view on an axis of the threads' own time range.
    fn view_of(threads: &ThreadsSummary) -> Option<ThreadsView> {
        let last = threads.columns.last().unwrap();
        threads_view(threads, 2, TimeAxis::shared(&[], last.t_end))
    }

    fn only_row(view: &ThreadsView) -> &ThreadRowView {
        &view.processes[0].rows[0]
    }

    #[test]
    fn the_workload_is_never_drawn_above_the_machine_and_ended_time_goes_before() {
        let column = |t_start: f64, t_end: f64, workload_cpu_s: f64, machine: f64| ThreadColumn {
            t_start,
            t_end,
            samples: 1,
            workload_cpu_s,
            machine_busy_cpu_s: machine,
            estimated_cpu_s: 0.0,
        };
        // 7.5–8.5 s: the machine 1 CPU busy, the workload read at 0.3; then
        // 0.131 s in which a parent was credited 0.61 CPU-s of children that
        // ended (4.7 CPUs) while the machine was 0.93 CPUs busy.
        let columns = [
            column(7.5, 8.5, 0.3, 1.0),
            column(8.5, 8.631, 0.61, 0.93 * 0.131),
        ];
        let drawn = within_the_machine(&columns);
        assert!((drawn[1] - 0.93).abs() < 1e-9, "{drawn:?}");
        // The rest fills the earlier gap, where it was earned.
        let rest = 0.61 - 0.93 * 0.131;
        assert!((drawn[0] - (0.3 + rest)).abs() < 1e-9, "{drawn:?}");
        for (column, cpus) in columns.iter().zip(&drawn) {
            assert!(*cpus <= column.cpus().1 + 1e-9);
        }
        let axis = TimeAxis::shared(&[], 8.631);
        let svg = strip(&columns, 2, 16, &Scale { axis });
        // 0.93 of 2 CPUs in 16 points: y = 16 − 0.93 × 8 = 8.6 for both the
        // grey and the orange; the orange never reaches 2 CPUs (y = 0).
        let workload = &svg[svg.find("class=\"workload\"").unwrap()..];
        assert!(!workload.contains(",0.0 "), "{workload}");
        assert!(workload.contains(",8.6 "), "{workload}");
    }

    #[test]
    fn each_interval_is_as_wide_as_the_time_it_covers() {
        let view = view_of(&summary(&[(0.0, 0.5, 0), (0.5, 1.5, 0), (1.5, 1.75, 0)])).unwrap();
        assert_eq!(view.width, "1750");
        let cells = &only_row(&view).cells;
        for (x, width) in [(0, 500), (500, 1000), (1500, 250)] {
            let rect = format!(r#"class="run" x="{x}" y="0" width="{width}""#);
            assert!(cells.contains(&rect), "{rect} in {cells}");
        }
        assert!(view.strip.contains("1500,") && view.strip.contains("1750,"));
    }

    #[test]
    fn the_view_is_drawn_on_the_heat_maps_axis() {
        let threads = summary(&[(0.0, 1.0, 0), (1.0, 2.0, 0)]);
        // A page whose longest map is 4 s: this run fills half of the width.
        let view = threads_view(&threads, 2, TimeAxis::shared(&[], 4.0)).unwrap();
        assert_eq!(view.width, "4000");
        assert!(
            only_row(&view)
                .cells
                .contains(r#"x="1000" y="0" width="1000""#)
        );
        assert_eq!(view.strip_scale, "top: 2 CPUs");
    }

    #[test]
    fn where_a_thread_ran_names_its_cpus_and_counts_every_move() {
        let stayed = view_of(&summary(&[(0.0, 1.0, 1), (1.0, 2.0, 1)])).unwrap();
        assert_eq!(only_row(&stayed).where_ran, "cpu1");
        let moved = summary(&[(0.0, 1.0, 0), (1.0, 2.0, 1), (2.0, 3.0, 1), (3.0, 4.0, 0)]);
        let view = view_of(&moved).unwrap();
        assert_eq!(only_row(&view).where_ran, "cpu0 and cpu1, moved 2×");
        let title = &only_row(&view).where_title;
        assert!(title.contains(": twice it was on another CPU"), "{title}");
        assert!(
            title.contains("2 of the moves were between samples"),
            "{title}"
        );
        // A worker process's last, short interval on another CPU is a move too.
        let last_short =
            summary_of_shares(&[(0.0, 1.0, 1, 1.0), (1.0, 2.0, 1, 1.0), (2.0, 2.2, 0, 0.3)]);
        let view = view_of(&last_short).unwrap();
        assert_eq!(only_row(&view).where_ran, "cpu0 and cpu1, moved 1×");
        assert!(only_row(&view).where_title.contains("0 of the moves"));
    }
}
