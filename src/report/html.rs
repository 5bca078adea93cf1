//! The HTML report's view model and its askama templates. All formatting happens
//! here in Rust; the templates only place strings. User-given text (titles,
//! prefixes, command lines, file names) goes through askama's HTML escaping. The
//! heat-map cells are built here as SVG markup made only of numbers and fixed
//! words, which is why they are the one thing the templates insert unescaped.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use askama::Template;

use super::color::{
    BUSY, Band, COUNT, DARK_BUSY, DARK_COUNT, DARK_KERNEL, KERNEL, count_level, level,
};
use super::raster::row_images;
use super::sched_view::{SchedView, sched_view};
use super::threads_view::{ThreadsView, threads_view};
use super::timeaxis::{TimeAxis, nice_ticks, svg_number};
use crate::model::workload::{WorkloadMeta, WorkloadResult};
use crate::model::{CpuLoad, EventKind, Status};
use crate::summary::findings::Finding;
use crate::summary::run_findings::run_findings;
use crate::summary::trace_summary::{
    BUSY_BANDS, Column, CpuRow, LoadSums, MAX_HEAT_ROWS, TraceSummary, merge_columns,
};
use crate::summary::warnings::{Warning, capacity};
use crate::summary::window::Weighted;
use crate::util::text::{plural, printable};
use crate::util::units::{format_duration_short, format_rate, format_time_block};

/// The stylesheet, compiled in.
pub const CSS: &str = include_str!("../../assets/report.css");

/// Numbers in the dstat view per section.
pub const DSTAT_BUDGET: usize = 4_000;
/// Longest dstat view shown unfolded, in rows.
pub const DSTAT_OPEN_ROWS: usize = 60;

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub title: String,
    pub subtitle: String,
    pub tool: String,
    pub css: String,
    pub sections: Vec<SectionView>,
    /// The fleet view, for traces of two hosts or more.
    pub fleet: Option<super::fleet::FleetView>,
}

/// One trace's part of the page.
pub struct SectionView {
    pub id: String,
    pub heading: String,
    pub banner: Option<Banner>,
    pub facts: Vec<Fact>,
    pub command: String,
    pub result_line: Option<String>,
    pub time_block: Option<String>,
    pub heat: HeatMapView,
    pub kernel: HeatMapView,
    pub dstat: DstatView,
    pub summary: Vec<SummaryTable>,
    /// The workload's figures of record (CPUs in use, its CPU time, others').
    pub figures: Vec<Fact>,
    pub warnings: Vec<Warning>,
    /// What the workload's threads did, in plain words.
    pub findings: Vec<Finding>,
    /// Who ran where (traces with tasks only).
    pub threads: Option<ThreadsView>,
    /// Who ran where, exactly (traces with the scheduler's events).
    pub sched: Option<SchedView>,
    /// Why who ran where was sampled, not read from the scheduler's events.
    pub sched_note: Option<String>,
    /// The cores chart as inline SVG.
    pub cores_svg: Option<String>,
    pub notes: Vec<String>,
}

pub struct Banner {
    pub class: &'static str,
    pub text: String,
}

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub struct HeatMapView {
    pub caption: String,
    /// Many CPUs: thinner rows.
    pub dense: bool,
    /// Rows of merged CPUs (past [`MAX_HEAT_ROWS`] CPUs): the kernel map is
    /// folded, the quantized view comes first.
    pub merged: bool,
    /// Seconds across the drawing: the cells' viewBox width.
    pub width: String,
    pub groups: Vec<GroupView>,
    pub ticks: Vec<AxisTick>,
    /// `seconds since start`: what the ticks count.
    pub axis_title: String,
    pub markers: Vec<Marker>,
    pub legend: Vec<LegendStop>,
    /// The busy map's other view: how many CPUs were how busy.
    pub quantized: Option<QuantizedView>,
}

/// The quantized heat map in the page: a band of cells per 10 % of busy.
pub struct QuantizedView {
    /// Shown unfolded: when heatmap.png shows it instead of rows.
    pub open: bool,
    /// Busy bands from the top (90–100 %) down.
    pub rows: Vec<RowView>,
    pub legend: Vec<LegendStop>,
}

pub struct GroupView {
    pub label: String,
    pub rows: Vec<RowView>,
}

pub struct RowView {
    /// What the row is (`cpu3`, `cpu0–cpu2`): its `data-cpu` and hover.
    pub label: String,
    /// What is written beside it: the label, or with rows too thin for one
    /// label each, the first CPU of every few rows (empty between).
    pub shown: String,
    pub pinned: bool,
    /// Outside the CPUs the run was allowed to use: other programs' load.
    pub outside: bool,
    /// SVG `<rect>` elements: numbers and fixed words only.
    pub cells: String,
}

pub struct AxisTick {
    pub left: String,
    pub label: String,
}

pub struct Marker {
    pub left: String,
    pub label: &'static str,
}

pub struct LegendStop {
    pub class: String,
    pub label: String,
}

pub struct DstatView {
    pub open: bool,
    pub note: String,
    pub cpus: Vec<String>,
    pub rows: Vec<DstatRow>,
}

pub struct DstatRow {
    pub time: String,
    pub cells: Vec<DstatCell>,
}

/// One CPU in one row of the dstat view: user time (usr + nice) and kernel
/// time (sys + irq + softirq), in dstat's band colors.
pub struct DstatCell {
    pub usr: String,
    pub usr_class: &'static str,
    pub kernel: String,
    pub kernel_class: &'static str,
}

pub struct SummaryRow {
    pub cpu: String,
    pub core: String,
    pub mean_busy: String,
    pub busy_class: String,
    pub max_busy: String,
    pub usr: String,
    pub sys: String,
    pub iowait: String,
    pub steal: String,
}

/// Builds the section for one trace. `cores_svg` is the cores chart to inline;
/// `axis` is the time scale its maps share with the page's others.
pub fn section(
    summary: &TraceSummary,
    id: &str,
    source: &str,
    cores_svg: Option<String>,
    axis: TimeAxis,
) -> SectionView {
    let meta = &summary.meta;
    let heading = printable(&meta.title.clone().unwrap_or_else(|| {
        if meta.command.is_empty() {
            source.to_string()
        } else {
            meta.command.clone()
        }
    }));
    let end = summary.end.as_ref().map(|(_, end)| end);
    let result_line = end
        .and_then(|e| e.result.as_ref())
        .map(WorkloadResult::seed_line);
    let time_block = end.map(|e| format_time_block(e.wall_s, e.user_s, e.sys_s));
    let mut notes = meta.notes.clone();
    if !summary.topology_known() {
        notes.push(UNKNOWN_TOPOLOGY_NOTE.to_string());
    }
    if summary.events_dropped > 0 {
        notes.push(format!(
            "{} events beyond the first {} are not shown.",
            summary.events_dropped,
            crate::summary::trace_summary::MAX_EVENTS
        ));
    }
    SectionView {
        id: id.to_string(),
        heading,
        banner: banner(summary),
        facts: facts(summary, source),
        command: printable(&meta.command),
        result_line,
        time_block,
        heat: heat_map_on(summary, false, axis),
        kernel: heat_map_on(summary, true, axis),
        dstat: dstat_view(summary),
        summary: summary_tables(summary),
        figures: figures(summary),
        warnings: summary.warnings(),
        findings: run_findings(summary),
        threads: summary
            .threads
            .as_ref()
            .and_then(|t| threads_view(t, meta.cpus.len(), axis)),
        sched: sched_view(summary, axis),
        sched_note: meta.sched.as_ref().and_then(|s| {
            s.reason.as_ref().map(|reason| {
                format!(
                    "Who ran where was sampled from /proc once an interval, not read from the \
                     scheduler's own events: {reason}."
                )
            })
        }),
        cores_svg,
        notes,
    }
}

/// What a report says of a trace without a CPU topology.
pub const UNKNOWN_TOPOLOGY_NOTE: &str = "The file has no CPU topology, so its CPUs are not \
     grouped by physical core. To group them, render it again with --topology INFO.json, \
     where INFO.json is the output of `coreheat info --json` on the machine it was recorded on.";

/// The figures a reader takes first: the hash rate and engine, then the
/// workload window's.
fn figures(summary: &TraceSummary) -> Vec<Fact> {
    let mut figures = rate_figures(summary);
    let Some(measures) = summary.measures() else {
        return figures;
    };
    let meta = &summary.meta;
    figures.push(Fact {
        label: "CPUs in use",
        value: format!(
            "{:.2} of {}",
            measures.cpus_in_use,
            crate::util::units::format_cpus(capacity(meta))
        ),
    });
    if let Some(own) = measures.workload_cpu_s {
        figures.push(Fact {
            label: "workload CPU",
            value: format!("{own:.2} s (user + sys of its processes)"),
        });
    }
    figures.push(Fact {
        label: if meta
            .allowed_cpus
            .as_ref()
            .is_some_and(|a| a.len() < meta.cpus.len())
        {
            "its CPUs busy"
        } else {
            "machine busy"
        },
        value: format!(
            "{:.2} CPU-s during the workload",
            measures.machine_busy_cpu_s
        ),
    });
    if let Some(other) = measures.other_cpu_s {
        figures.push(Fact {
            label: "other programs",
            value: format!("{other:.2} CPU-s"),
        });
    }
    figures
}

/// The hash rate over the workload's wall time, and the engine that ran.
fn rate_figures(summary: &TraceSummary) -> Vec<Fact> {
    let Some((_, end)) = &summary.end else {
        return Vec::new();
    };
    let Some(WorkloadResult::Hash(hash)) = &end.result else {
        return Vec::new();
    };
    let mut figures = vec![Fact {
        label: "hash rate",
        value: format!("{}hashes/s", format_rate(hash.hashes_per_s)),
    }];
    if !hash.engine.is_empty() {
        figures.push(Fact {
            label: "engine",
            value: printable(&hash.engine),
        });
    }
    figures
}

fn banner(summary: &TraceSummary) -> Option<Banner> {
    let foreign = !summary.meta.tool.starts_with("coreheat");
    match summary.end.as_ref() {
        Some((_, end)) if end.status == Status::Ok => None,
        Some((_, end)) => Some(Banner {
            class: if end.status == Status::Failed {
                "failed"
            } else {
                "interrupted"
            },
            text: format!(
                "This run {}{}",
                if end.status == Status::Failed {
                    "failed"
                } else {
                    "was interrupted"
                },
                end.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
        }),
        None if foreign => None,
        None => Some(Banner {
            class: "failed",
            text: format!(
                "This trace has no end line: coreheat stopped before the run finished (killed?). \
                 Everything up to the last {} sample is shown.",
                if summary.truncated {
                    "complete"
                } else {
                    "saved"
                }
            ),
        }),
    }
}

fn facts(summary: &TraceSummary, source: &str) -> Vec<Fact> {
    let meta = &summary.meta;
    let mut facts = Vec::new();
    let mut add = |label: &'static str, value: String| {
        if !value.is_empty() {
            facts.push(Fact { label, value });
        }
    };
    add("date", human_date(&meta.start));
    add("host", meta.host.clone());
    add("cpu", meta.cpu_model.clone());
    let logical = meta.logical_cpus.max(meta.cpus.len());
    add(
        "cpus",
        if summary.topology_known() {
            format!(
                "{logical} logical, {}",
                plural(meta.physical_cores, "physical core")
            )
        } else {
            format!(
                "{logical} logical, {}",
                crate::summary::trace_summary::UNKNOWN_TOPOLOGY
            )
        },
    );
    add("kernel", meta.kernel.clone());
    add("os", meta.os.clone());
    if !meta.mode.is_empty() {
        add("workers", format!("{} ({})", meta.workers, meta.mode));
    }
    add("pinned", pinned_fact(meta));
    add("may use", allowed_fact(meta));
    add(
        "sampled",
        format!(
            "{} every {} over {}",
            plural(summary.sample_count, "sample"),
            format_duration_short(meta.interval_s),
            format_duration_short(summary.duration())
        ),
    );
    add("source", source.to_string());
    add("recorded by", meta.tool.clone());
    facts
}

/// The pinning and where it put the workers: `spread: worker 0 on cpu0,
/// worker 1 on cpu2`, or for a command `0-1: the command on CPUs 0-1`; empty
/// when nothing was pinned.
fn pinned_fact(meta: &crate::model::Meta) -> String {
    let Some(pin) = &meta.pin else {
        return String::new();
    };
    let pin = printable(pin);
    let cpus = &meta.worker_cpus;
    if cpus.is_empty() {
        return pin;
    }
    if matches!(meta.workload, Some(WorkloadMeta::Exec { .. })) {
        let mut sorted = cpus.clone();
        sorted.sort_unstable();
        sorted.dedup();
        return format!(
            "{pin}: the command on CPU{} {}",
            if sorted.len() == 1 { "" } else { "s" },
            crate::util::cpulist::format_cpulist(&sorted)
        );
    }
    let placed: Vec<String> = cpus
        .iter()
        .enumerate()
        .map(|(worker, cpu)| format!("worker {worker} on cpu{cpu}"))
        .collect();
    format!("{pin}: {}", placed.join(", "))
}

/// A trace's start time for people: `2026-11-22 03:30:29 UTC` (or with its
/// offset, `+01:00`); a time without a zone as it is; anything else unchanged.
pub fn human_date(start: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(start) {
        Ok(date) if date.offset().local_minus_utc() == 0 => {
            date.format("%Y-%m-%d %H:%M:%S UTC").to_string()
        }
        Ok(date) => date.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
        Err(_) => printable(start),
    }
}

/// "CPUs 0-3 (4 of 8), quota 1.5 CPUs"; empty when the trace does not say.
fn allowed_fact(meta: &crate::model::Meta) -> String {
    let Some(allowed) = &meta.allowed_cpus else {
        return String::new();
    };
    let mut text = format!(
        "CPU{} {} ({} of {})",
        if allowed.len() == 1 { "" } else { "s" },
        crate::util::cpulist::format_cpulist(allowed),
        allowed.len(),
        meta.logical_cpus.max(meta.cpus.len())
    );
    if let Some(quota) = &meta.cpu_quota {
        text.push_str(", ");
        text.push_str(&quota.describe());
    }
    text
}

/// The busy (or kernel) heat map, rows grouped by physical core (or, past
/// [`MAX_HEAT_ROWS`] CPUs, rows of neighbouring CPUs).
/// Columns are as wide as the time they cover, on a scale `span` seconds wide
/// (0: the trace's own span).
pub fn heat_map(summary: &TraceSummary, kernel: bool, span: f64) -> HeatMapView {
    heat_map_on(summary, kernel, TimeAxis::shared(&summary.columns, span))
}

/// [`heat_map`] on a given time axis (the page's, for aligned traces).
/// With rows of merged CPUs (past [`MAX_HEAT_ROWS`] CPUs), one row in this
/// many is labelled, by its first CPU.
pub const LABEL_EVERY_MERGED: usize = 4;

pub fn heat_map_on(summary: &TraceSummary, kernel: bool, axis: TimeAxis) -> HeatMapView {
    let pinned: BTreeSet<u32> = summary.meta.worker_cpus.iter().copied().collect();
    let is_pinned = |row: &CpuRow| {
        row.members
            .iter()
            .any(|&slot| pinned.contains(&summary.meta.cpus[slot].cpu))
    };
    let heat_rows = summary.heat_rows();
    let row_count: usize = heat_rows.iter().map(|(_, rows)| rows.len()).sum();
    // Merged rows are 9 px high: a label every few rows, so none overlaps.
    let merged = heat_rows
        .iter()
        .any(|(_, rows)| rows.iter().any(CpuRow::is_merged));
    let label_every = if merged { LABEL_EVERY_MERGED } else { 1 };
    let as_images = !kernel && summary.busy_rows_as_images();
    let mut drawn = 0..;
    let groups = heat_rows
        .into_iter()
        .map(|(label, rows)| GroupView {
            label: match rows.first() {
                Some(row) if row.is_merged() => format!(
                    "{} CPUs, {} per row",
                    summary.meta.cpus.len(),
                    row.members.len()
                ),
                _ => label,
            },
            rows: rows
                .iter()
                .enumerate()
                .map(|(index, row)| RowView {
                    label: row.label(),
                    shown: match (merged, index % label_every) {
                        (false, _) => row.label(),
                        (true, 0) => format!("cpu{}", row.first_cpu),
                        (true, _) => String::new(),
                    },
                    pinned: is_pinned(row),
                    outside: summary.row_outside(row),
                    cells: match (as_images, drawn.next()) {
                        (true, Some(index)) => row_images(&summary.band_columns, index, &axis),
                        _ => row_cells(&summary.columns, row, kernel, &axis),
                    },
                })
                .collect(),
        })
        .collect();
    let offset = axis.page_offset().unwrap_or(0.0);
    let time_ticks = nice_ticks(summary.first_t + offset, summary.last_t + offset, 10);
    let axis_title = match axis.page_offset() {
        None => time_ticks.title(),
        Some(_) => format!("{} since the first trace's start", time_ticks.unit),
    };
    let ticks = time_ticks
        .ticks
        .into_iter()
        .map(|tick| AxisTick {
            left: percent(axis.fraction(tick.t - offset)),
            label: tick.label,
        })
        .collect();
    let markers = [
        (EventKind::WorkloadStart, "start"),
        (EventKind::WorkloadEnd, "end"),
    ]
    .into_iter()
    .filter_map(|(kind, label)| {
        summary.event_time(kind).map(|t| Marker {
            left: percent(axis.fraction(t)),
            label,
        })
    })
    .collect();
    let bin = summary.columns.first().map_or(1, |c| c.samples);
    let caption = if as_images {
        images_caption(summary)
    } else if kernel {
        "Kernel time: sys + irq + softirq, percent of each interval".to_string()
    } else if bin > 1 {
        format!("Busy: all but idle and iowait; each column is the mean of {bin} samples")
    } else {
        "Busy: all but idle and iowait, percent of each interval".to_string()
    };
    let prefix = if kernel { "k" } else { "c" };
    let quantized = (!kernel).then(|| quantized_view(summary, &axis));
    HeatMapView {
        caption,
        dense: row_count > 64,
        merged,
        width: svg_number(axis.span().max(1e-3)),
        groups,
        ticks,
        axis_title,
        markers,
        legend: [0, 10, 25, 50, 75, 100]
            .into_iter()
            .map(|p| LegendStop {
                class: format!("{prefix}{p}"),
                label: format!("{p}%"),
            })
            .collect(),
        quantized,
    }
}

/// The quantized view of the busy map: a row per busy band, 90–100 % on top,
/// each cell colored by how many CPUs were that busy, and a legend of counts.
fn quantized_view(summary: &TraceSummary, axis: &TimeAxis) -> QuantizedView {
    let cpus = summary.meta.cpus.len();
    let rows = (0..BUSY_BANDS)
        .rev()
        .map(|band| RowView {
            label: format!("{}–{}%", band * 10, band * 10 + 10),
            shown: format!("{}–{}%", band * 10, band * 10 + 10),
            pinned: false,
            outside: false,
            cells: band_cells(summary, band, axis),
        })
        .collect();
    let mut counts = vec![0, 1, cpus / 4, cpus];
    counts.sort_unstable();
    counts.dedup();
    QuantizedView {
        open: !super::charts::draws_rows(summary),
        rows,
        legend: counts
            .into_iter()
            .map(|count| LegendStop {
                class: format!("q{}", level(count_level(count as f64, cpus as f64))),
                label: plural(count, "CPU"),
            })
            .collect(),
    }
}

/// One busy band's cells: neighbouring columns of one color as one rectangle,
/// none where no CPU was in the band.
fn band_cells(summary: &TraceSummary, band: usize, axis: &TimeAxis) -> String {
    let columns = &summary.band_columns;
    let cpus = summary.meta.cpus.len() as f64;
    let mut out = background_cell(columns, axis);
    let class_of = |column: &Column| level(count_level(column.cpus_in_band(band), cpus));
    for (from, to, class) in runs(columns, class_of) {
        if class > 0 {
            let x = axis.offset(from.t_start);
            let width = axis.offset(to.t_end) - x;
            let _ = write!(
                out,
                r#"<rect x="{}" width="{}" class="q{class}"/>"#,
                svg_number(x),
                svg_number(width)
            );
        }
    }
    out
}

/// The trace's own time range as one background cell; beyond it (a shorter
/// trace on a shared scale) nothing is drawn.
fn background_cell(columns: &[Column], axis: &TimeAxis) -> String {
    match (columns.first(), columns.last()) {
        (Some(first), Some(last)) => format!(
            r#"<rect x="{}" width="{}" class="bg"/>"#,
            svg_number(axis.offset(first.t_start)),
            svg_number(axis.offset(last.t_end) - axis.offset(first.t_start))
        ),
        _ => String::new(),
    }
}

/// Runs of neighbouring columns of one `key`: the first and last column of
/// each run, and the key.
fn runs<K: PartialEq>(
    columns: &[Column],
    key: impl Fn(&Column) -> K,
) -> Vec<(&Column, &Column, K)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < columns.len() {
        let class = key(&columns[i]);
        let mut j = i + 1;
        while j < columns.len() && key(&columns[j]) == class {
            j += 1;
        }
        found.push((&columns[i], &columns[j - 1], class));
        i = j;
    }
    found
}

fn percent(fraction: f64) -> String {
    format!("{:.3}%", fraction * 100.0)
}

/// One row's cells. Busy cells carry a hover title with the breakdown; kernel
/// cells of one color in a row are drawn as one wider rectangle.
fn row_cells(columns: &[Column], row: &CpuRow, kernel: bool, axis: &TimeAxis) -> String {
    let mut out = String::with_capacity(columns.len() * if kernel { 40 } else { 100 });
    out.push_str(&background_cell(columns, axis));
    let place = |from: &Column, to: &Column| {
        let x = axis.offset(from.t_start);
        (svg_number(x), svg_number(axis.offset(to.t_end) - x))
    };
    if kernel {
        let kernel_level =
            |column: &Column| row.sums(&column.cpus).mean().map(|m| level(m.kernel()));
        for (from, to, class) in runs(columns, kernel_level) {
            let (x, width) = place(from, to);
            match class {
                Some(0) => {}
                Some(l) => {
                    let _ = write!(out, r#"<rect x="{x}" width="{width}" class="k{l}"/>"#);
                }
                None => {
                    let _ = write!(out, r#"<rect x="{x}" width="{width}" class="nd"/>"#);
                }
            }
        }
        return out;
    }
    for column in columns {
        let sums: LoadSums = row.sums(&column.cpus);
        let (x, width) = place(column, column);
        let span = format!(
            "{}–{}s",
            short_time(column.t_start),
            short_time(column.t_end)
        );
        match sums.mean() {
            Some(m) => {
                let _ = write!(
                    out,
                    r#"<rect x="{x}" width="{width}" class="c{}"><title>{span} busy {:.0}% = usr {:.0} + sys {:.0} + irq {:.0} + softirq {:.0} + steal {:.0} · idle {:.0} iowait {:.0}</title></rect>"#,
                    level(m.busy()),
                    m.busy(),
                    m.user(),
                    m.sys,
                    m.irq,
                    m.softirq,
                    m.steal,
                    m.idle,
                    m.iowait,
                );
            }
            None => {
                let _ = write!(
                    out,
                    r#"<rect x="{x}" width="{width}" class="nd"><title>{span} no data</title></rect>"#
                );
            }
        }
    }
    out
}

/// What a busy map drawn as images shows: its columns, and what it leaves out.
fn images_caption(summary: &TraceSummary) -> String {
    let columns = &summary.band_columns;
    let bin = columns.first().map_or(1, |c| c.samples);
    format!(
        "Busy: all but idle and iowait; {} across, each the mean of {} (each row an \
         image: no per-cell figures on hover)",
        plural(columns.len(), "column"),
        plural(bin as usize, "sample")
    )
}

fn short_time(t: f64) -> String {
    if t.fract().abs() < 1e-6 || t >= 100.0 {
        format!("{t:.0}")
    } else {
        format!("{t:.1}")
    }
}

/// dstat's own look: time down, `usr sys` per CPU across (past
/// [`MAX_HEAT_ROWS`] CPUs, per run of neighbouring CPUs), in its band colors.
fn dstat_view(summary: &TraceSummary) -> DstatView {
    let cpu_rows = summary.cpu_rows(MAX_HEAT_ROWS);
    let max_rows = (DSTAT_BUDGET / cpu_rows.len().max(1)).clamp(10, 600);
    let columns = merge_columns(summary.columns.clone(), max_rows);
    let per_row = columns.first().map_or(1, |c| c.samples);
    let rows: Vec<DstatRow> = columns
        .iter()
        .map(|column| DstatRow {
            time: dstat_time(column.t_end),
            cells: cpu_rows
                .iter()
                .map(|row| {
                    let m = row.sums(&column.cpus).mean().unwrap_or_default();
                    let (usr, kernel) = (m.user(), m.kernel());
                    DstatCell {
                        usr: format!("{:>3}", level(usr)),
                        usr_class: Band::of(usr).class(),
                        kernel: format!("{:>6}", level(kernel)),
                        kernel_class: Band::of(kernel).class(),
                    }
                })
                .collect(),
        })
        .collect();
    let rows_are = if per_row > 1 {
        format!(
            "Each row is the mean of {per_row} samples (the trace has {}).",
            summary.sample_count
        )
    } else {
        format!(
            "One row per sample, as dstat prints them ({}).",
            plural(rows.len(), "row")
        )
    };
    let note = format!(
        "{rows_are} usr = user + nice; kernel = sys + irq + softirq (dstat's sys, hiq and siq)."
    );
    DstatView {
        open: rows.len() <= DSTAT_OPEN_ROWS,
        note,
        cpus: cpu_rows.iter().map(CpuRow::short_label).collect(),
        rows,
    }
}

/// The dstat view's time column: seconds since the start, always with two
/// decimals (`   12.50`).
fn dstat_time(t: f64) -> String {
    format!("{t:>8.2}")
}

/// A per-CPU summary table: its heading and rows.
pub struct SummaryTable {
    pub heading: String,
    pub rows: Vec<SummaryRow>,
}

/// The workload window first, time-weighted; then the whole trace.
fn summary_tables(summary: &TraceSummary) -> Vec<SummaryTable> {
    let mut tables = Vec::new();
    if let Some(window) = &summary.window {
        tables.push(SummaryTable {
            heading: format!(
                "During the workload ({:.2} to {:.2} s, each interval weighted by its overlap)",
                window.start, window.end
            ),
            rows: summary_rows(summary, &window.per_cpu),
        });
    }
    tables.push(SummaryTable {
        heading: if summary.window.is_some() {
            "Whole trace, baseline and tail included (time-weighted)".into()
        } else {
            "Whole trace (time-weighted)".into()
        },
        rows: summary_rows(summary, &summary.whole),
    });
    tables
}

/// One row per CPU (past [`MAX_HEAT_ROWS`] CPUs, per run of neighbouring CPUs)
/// and one for all of them.
fn summary_rows(summary: &TraceSummary, weighted: &[Weighted]) -> Vec<SummaryRow> {
    let mut all = Weighted::default();
    let mut rows: Vec<SummaryRow> = summary
        .cpu_rows(MAX_HEAT_ROWS)
        .iter()
        .map(|row| {
            let mut sums = Weighted::default();
            for &member in &row.members {
                sums.merge(&weighted[member]);
            }
            all.merge(&sums);
            let max_busy = Some(sums.max_busy);
            let core = match row.is_merged() || !summary.topology_known() {
                false => summary.meta.cpus[row.members[0]].core.to_string(),
                true => "—".to_string(),
            };
            summary_row(row.label(), core, &sums, max_busy)
        })
        .collect();
    if rows.len() > 1 {
        rows.push(summary_row("all".into(), String::new(), &all, None));
    }
    rows
}

fn summary_row(
    cpu: String,
    core: String,
    weighted: &Weighted,
    max_busy: Option<f64>,
) -> SummaryRow {
    let mean = weighted.mean();
    let m: CpuLoad = mean.unwrap_or_default();
    let fmt = |v: f64| match mean {
        None => "—".to_string(),
        Some(_) => format!("{v:.1}"),
    };
    SummaryRow {
        cpu,
        core,
        mean_busy: fmt(m.busy()),
        busy_class: format!("c{}", level(m.busy())),
        max_busy: max_busy.map_or_else(|| "—".to_string(), fmt),
        usr: fmt(m.user()),
        sys: fmt(m.sys),
        iowait: fmt(m.iowait),
        steal: fmt(m.steal),
    }
}

/// The full stylesheet: the fixed CSS and the color classes of both ramps.
pub fn stylesheet() -> String {
    let mut css = String::from(CSS);
    css.push_str(&BUSY.css_classes("c"));
    css.push_str(&KERNEL.css_classes("k"));
    css.push_str(&COUNT.css_classes("q"));
    css.push_str("@media screen and (prefers-color-scheme:dark){");
    css.push_str(&DARK_BUSY.css_classes("c"));
    css.push_str(&DARK_KERNEL.css_classes("k"));
    css.push_str(&DARK_COUNT.css_classes("q"));
    css.push('}');
    for band in [Band::Zero, Band::Low, Band::Mid, Band::High] {
        let _ = write!(
            css,
            ".dstat .{}{{color:{}}}",
            band.class(),
            band.color().hex()
        );
    }
    css
}
