//! The report's exact "who ran where", drawn from the scheduler's events:
//! each thread's slices on the heat maps' time axis (colored by the CPU they
//! ran on), a closer look at [`CLOSE_LOOK_MS`] of the workload where each
//! slice and each wait for a CPU is wide enough to see (the hand-overs of
//! threads behind one lock), the concurrency histogram, and per thread its
//! run-queue latency, time off a CPU by reason and migrations. The SVG markup
//! is made of numbers and fixed words only; names are escaped by the template.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::sched::Slice;
use crate::report::timeaxis::TimeAxis;
use crate::summary::sched::{ConcurrencyBar, ThreadSched, per_thread};
use crate::summary::trace_summary::TraceSummary;

/// Thread rows drawn (the busiest); the table lists them all up to this too.
pub const DRAWN_THREADS: usize = 24;

/// Threads that ran less than this share of the busiest are not drawn (a
/// shell's helpers beside the real work), only counted.
pub const DRAWN_SHARE: f64 = 0.01;

/// The closer look spans this many milliseconds.
pub const CLOSE_LOOK_MS: u64 = 50;

/// Colors of the CPUs slices ran on, in turn (cpu0 the first).
const CPU_COLORS: [&str; 8] = [
    "#d9480f", "#1c7ed6", "#2b8a3e", "#ae3ec9", "#e67700", "#0c8599", "#c2255c", "#5c940d",
];

/// One thread's row: its label and its slices as SVG.
pub struct SliceRow {
    pub label: String,
    pub title: String,
    pub cells: String,
}

pub struct HistogramBar {
    pub label: String,
    pub seconds: String,
    pub share: String,
    pub width: String,
    pub waiting: String,
}

pub struct ThreadTableRow {
    pub thread: String,
    pub run: String,
    pub slices: String,
    pub p50: String,
    pub p99: String,
    pub preempted_wait: String,
    pub woken_wait: String,
    pub blocked: String,
    pub migrations: String,
    pub cpus: String,
}

/// Everything the template needs.
pub struct SchedView {
    pub caption: String,
    /// The heat maps' span in ms (the overview's viewBox width).
    pub width: String,
    pub rows: Vec<SliceRow>,
    pub legend: Vec<(String, &'static str)>,
    pub close_caption: String,
    /// The closer look's viewBox width, in ms.
    pub close_width: String,
    pub close_rows: Vec<SliceRow>,
    pub histogram: Vec<HistogramBar>,
    pub histogram_caption: String,
    pub table: Vec<ThreadTableRow>,
}

fn cpu_color(cpu: u32) -> &'static str {
    CPU_COLORS[cpu as usize % CPU_COLORS.len()]
}

/// The view of a trace with the scheduler's events (`None` without them, or
/// without a workload window).
pub fn sched_view(summary: &TraceSummary, axis: TimeAxis) -> Option<SchedView> {
    let sched = summary.sched.as_ref()?;
    let (from_us, to_us) = summary.window_us()?;
    let threads = per_thread(sched);
    let busiest = threads.first().map_or(0.0, |t| t.run_s);
    let drawn: Vec<&ThreadSched> = threads
        .iter()
        .filter(|t| t.run_s >= DRAWN_SHARE * busiest)
        .take(DRAWN_THREADS)
        .collect();
    let folded = &threads[drawn.len()..];
    let mut by_tid: BTreeMap<u32, Vec<&Slice>> = BTreeMap::new();
    for slice in &sched.slices {
        by_tid.entry(slice.tid).or_default().push(slice);
    }
    let rows = drawn
        .iter()
        .map(|thread| overview_row(thread, &by_tid[&thread.tid], &axis))
        .collect();
    let (close_from, close_to) = close_look_span(from_us, to_us);
    let close_rows = drawn
        .iter()
        .filter(|thread| {
            by_tid[&thread.tid].iter().any(|s| {
                s.end_us() >= close_from && s.start_us.saturating_sub(s.wait_us) <= close_to
            })
        })
        .map(|thread| close_row(thread, &by_tid[&thread.tid], close_from, close_to))
        .collect();
    let mut cpus: Vec<u32> = sched.slices.iter().map(|s| s.cpu).collect();
    cpus.sort_unstable();
    cpus.dedup();
    let bars = summary.concurrency().unwrap_or_default();
    Some(SchedView {
        caption: caption(summary, threads.len(), folded),
        width: format!("{:.3}", axis.span() * 1000.0),
        rows,
        legend: cpus
            .iter()
            .take(CPU_COLORS.len())
            .map(|&cpu| (format!("cpu{cpu}"), cpu_color(cpu)))
            .collect(),
        close_caption: format!(
            "A closer look: {} ms of the workload from t = {:.3} s, every slice to scale; \
             the grey band before a slice is the time the thread waited for a CPU.",
            (close_to - close_from) / 1000,
            close_from as f64 / 1e6
        ),
        close_width: format!("{:.3}", (close_to - close_from) as f64 / 1000.0),
        close_rows,
        histogram_caption: histogram_caption(&bars, summary.meta.cpus.len()),
        histogram: histogram(&bars),
        table: drawn.iter().map(|t| table_row(t)).collect(),
    })
}

fn caption(summary: &TraceSummary, threads: usize, folded: &[ThreadSched]) -> String {
    let sched = summary.sched.as_ref().expect("called with events");
    let mut text = format!(
        "From the scheduler's own events: {} slices of {threads} thread{}, exact to the \
         microsecond. Each row is a thread; a column is a thousandth of the time axis, \
         shaded by the share of it the thread ran (solid: all of it) and colored by the \
         CPU it ran on most.",
        sched.slices.len() as u64 + sched.not_kept,
        if threads == 1 { "" } else { "s" }
    );
    if !folded.is_empty() {
        let seconds: f64 = folded.iter().map(|t| t.run_s).sum();
        let _ = write!(
            text,
            " {} more thread{} ran {seconds:.3} s in all, under {:.0} % of the busiest each: \
             not drawn.",
            folded.len(),
            if folded.len() == 1 { "" } else { "s" },
            100.0 * DRAWN_SHARE
        );
    }
    if sched.missing() > 0 {
        let _ = write!(
            text,
            " {} events are not in these figures ({} lost by the kernel, {} slices over \
             coreheat's budget of 200 000 a second, {} beyond the {} slices read into memory).",
            sched.missing(),
            sched.lost,
            sched.dropped,
            sched.not_kept,
            crate::summary::sched::MAX_SLICES_KEPT
        );
    }
    if sched.unpaired > 0 {
        let _ = write!(
            text,
            " {} slices began with a switch the kernel did not report: each is drawn from the \
             latest moment known before it, so it may be a little long.",
            sched.unpaired
        );
    }
    text.push_str(
        " To zoom into every slice: coreheat export chrome trace.jsonl --out trace.json, \
         then open it in ui.perfetto.dev.",
    );
    text
}

/// 50 ms in the middle of the workload (all of it when shorter).
fn close_look_span(from_us: u64, to_us: u64) -> (u64, u64) {
    let span = CLOSE_LOOK_MS * 1000;
    if to_us.saturating_sub(from_us) <= span {
        return (from_us, to_us.max(from_us + 1));
    }
    let middle = from_us + (to_us - from_us) / 2;
    (middle - span / 2, middle + span / 2)
}

fn thread_label(thread: &ThreadSched) -> String {
    format!("{} {}", thread.name, thread.tid)
}

/// Columns of the overview: as fine as a wide screen shows.
pub const OVERVIEW_COLUMNS: usize = 1000;

/// One row of the overview: per column of [`OVERVIEW_COLUMNS`], the share of
/// its time the thread ran (the shade) on the CPU it ran on most (the color).
/// A thread that ran 20 µs of every 320 is drawn a light shade, not solid.
fn overview_row(thread: &ThreadSched, slices: &[&Slice], axis: &TimeAxis) -> SliceRow {
    let span = axis.span();
    let columns = OVERVIEW_COLUMNS;
    let width_s = span / columns as f64;
    // Seconds run per column, per CPU.
    let mut ran: Vec<BTreeMap<u32, f64>> = vec![BTreeMap::new(); columns];
    for slice in slices {
        let (start, end) = (
            axis.offset(slice.start_us as f64 / 1e6),
            axis.offset(slice.end_us() as f64 / 1e6),
        );
        if end <= start || width_s <= 0.0 {
            continue;
        }
        let first = ((start / width_s) as usize).min(columns - 1);
        let last = ((end / width_s) as usize).min(columns - 1);
        for (column, seconds) in ran.iter_mut().enumerate().take(last + 1).skip(first) {
            let (from, to) = (column as f64 * width_s, (column + 1) as f64 * width_s);
            let overlap = end.min(to) - start.max(from);
            if overlap > 0.0 {
                *seconds.entry(slice.cpu).or_default() += overlap;
            }
        }
    }
    let mut cells = String::new();
    for (column, per_cpu) in ran.iter().enumerate() {
        let total: f64 = per_cpu.values().sum();
        let Some((&cpu, _)) = per_cpu.iter().max_by(|a, b| a.1.total_cmp(b.1)) else {
            continue;
        };
        let share = (total / width_s).clamp(0.0, 1.0);
        let _ = write!(
            cells,
            "<rect x=\"{:.3}\" y=\"0\" width=\"{:.3}\" height=\"10\" fill=\"{}\" fill-opacity=\"{:.2}\"/>",
            column as f64 * width_s * 1000.0,
            width_s * 1000.0,
            cpu_color(cpu),
            share.max(0.06)
        );
    }
    SliceRow {
        label: thread_label(thread),
        title: row_title(thread),
        cells,
    }
}

fn close_row(thread: &ThreadSched, slices: &[&Slice], from_us: u64, to_us: u64) -> SliceRow {
    let mut cells = String::new();
    let ms = |us: u64| (us.clamp(from_us, to_us) - from_us) as f64 / 1000.0;
    for slice in slices {
        let waited_from = slice.start_us.saturating_sub(slice.wait_us);
        if slice.end_us() < from_us || waited_from > to_us {
            continue;
        }
        if slice.wait_us > 0 {
            let _ = write!(
                cells,
                "<rect class=\"wait\" x=\"{:.3}\" y=\"6\" width=\"{:.3}\" height=\"4\"/>",
                ms(waited_from),
                ms(slice.start_us) - ms(waited_from)
            );
        }
        let _ = write!(
            cells,
            "<rect x=\"{:.3}\" y=\"0\" width=\"{:.3}\" height=\"10\" fill=\"{}\"><title>cpu{} · {:.3} ms · then {}{}</title></rect>",
            ms(slice.start_us),
            (ms(slice.end_us()) - ms(slice.start_us)).max(0.02),
            cpu_color(slice.cpu),
            slice.cpu,
            slice.dur_us as f64 / 1000.0,
            slice.end.word(),
            if slice.waker != 0 {
                format!(" · woken by {}", slice.waker)
            } else {
                String::new()
            },
        );
    }
    SliceRow {
        label: thread_label(thread),
        title: row_title(thread),
        cells,
    }
}

fn row_title(thread: &ThreadSched) -> String {
    format!(
        "{} (tid {}, pid {}): ran {:.3} s in {} slices; waited for a CPU {} µs at the median, {} µs at the 99th percentile; moved {}×",
        thread.name,
        thread.tid,
        thread.pid,
        thread.run_s,
        thread.slices,
        thread.wait_p50_us,
        thread.wait_p99_us,
        thread.migrations
    )
}

fn histogram(bars: &[ConcurrencyBar]) -> Vec<HistogramBar> {
    let total: f64 = bars.iter().map(|b| b.seconds).sum();
    bars.iter()
        .map(|bar| {
            let share = if total > 0.0 {
                bar.seconds / total
            } else {
                0.0
            };
            HistogramBar {
                label: format!("{} running", bar.running),
                seconds: format!("{:.3} s", bar.seconds),
                share: format!("{:.1} %", 100.0 * share),
                width: format!("{:.2}", 100.0 * share),
                waiting: if bar.waiting_s >= 0.0005 {
                    format!(
                        "{:.3} s of it with threads waiting for a CPU",
                        bar.waiting_s
                    )
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

fn histogram_caption(bars: &[ConcurrencyBar], cpus: usize) -> String {
    let total: f64 = bars.iter().map(|b| b.seconds).sum();
    let mean = crate::summary::sched::mean_running(bars);
    format!(
        "How many of the workload's threads ran at once, over its {total:.3} s: on average \
         {mean:.2} of the {cpus} CPUs. Threads behind one lock (Python's GIL) stay at 1; \
         processes that scale reach {cpus}. Time with threads waiting for a CPU means more \
         wanted to run than got one."
    )
}

fn table_row(thread: &ThreadSched) -> ThreadTableRow {
    let cpus: Vec<String> = thread
        .cpus
        .iter()
        .map(|(cpu, seconds)| format!("cpu{cpu} {seconds:.2} s"))
        .collect();
    ThreadTableRow {
        thread: thread_label(thread),
        run: format!("{:.3} s", thread.run_s),
        slices: thread.slices.to_string(),
        p50: format!("{} µs", thread.wait_p50_us),
        p99: format!("{} µs", thread.wait_p99_us),
        preempted_wait: format!("{:.3} s ({})", thread.preempted_wait_s, thread.preemptions),
        woken_wait: format!("{:.3} s", thread.woken_wait_s),
        blocked: format!("{:.3} s ({})", thread.blocked_s, thread.blocks),
        migrations: thread.migrations.to_string(),
        cpus: cpus.join(", "),
    }
}
