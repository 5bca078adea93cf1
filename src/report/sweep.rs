//! The sweep comparison: `speedup.png` (speedup against workers, the ideal line,
//! one line per mode/pinning and its fitted Amdahl or Gustafson curve) and the
//! comparison `report.html` (table, findings, small heat maps side by side).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use askama::Template;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Canvas, Recorder, Recording, record};
use super::charts::{LABEL_SIZE, TICK_SIZE, TITLE_SIZE, draw_caption, draw_title, err, font};
use super::html::{HeatMapView, heat_map, stylesheet};
use super::json::{Written, sweep_file_json};
use super::timeaxis::columns_span;
use super::writeup::{cpus_text, writeup_markdown};
use crate::machine::Machine;
use crate::summary::compare::{
    Comparison, ConfigStats, SeriesFit, amdahl_speedup, gustafson_speedup, only_shared_runs,
};
use crate::summary::findings::Finding;
use crate::summary::load::summarize_trace_columns;
use crate::summary::stats::Ratio;
use crate::summary::sweep_file::SavedSweep;
use crate::summary::sweep_runs::{RunRecord, Scaling};
use crate::util::cpulist::format_cpulist;
use crate::util::outdir::{self, REPORT_FILE};
use crate::util::outdir::{SPEEDUP_FILE, SWEEP_JSON_FILE, WRITEUP_FILE};
use crate::util::sorted_json;
use crate::util::text::join_and;

/// Line colors of the series, readable on white and in print.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0xd0, 0x1c, 0x1c),
    RGBColor(0x1f, 0x5f, 0xbf),
    RGBColor(0x1a, 0x98, 0x50),
    RGBColor(0x8e, 0x44, 0xad),
    RGBColor(0xe6, 0x7e, 0x22),
    RGBColor(0x2c, 0x3e, 0x50),
];

/// Light blue of the SMT region, light grey of the time-sliced one.
const SHARED_REGION: RGBColor = RGBColor(0xe4, 0xee, 0xfa);
const SLICED_REGION: RGBColor = RGBColor(0xee, 0xee, 0xee);
const PHYSICAL_LINE: RGBColor = RGBColor(0x44, 0x44, 0x44);

/// Where speedup.png's axes end and its regions begin.
struct Frame {
    physical: f64,
    logical: f64,
    smt: bool,
    /// The right end of the workers axis: past the largest worker count and
    /// the physical cores.
    x_end: f64,
    /// The top of the speedup axis: above the ideal line and every error bar.
    y_top: f64,
}

impl Frame {
    fn of(comparison: &Comparison<'_>) -> Frame {
        let stats = comparison.stats;
        let topology = &comparison.machine.topology;
        let physical = topology.physical_count() as f64;
        let max_workers = stats.iter().map(|s| s.workers).max().unwrap_or(1).max(2) as f64;
        // Whole workers: the axis ends at the largest count.
        let x_end = max_workers.max(physical);
        let max_speedup = stats
            .iter()
            .filter_map(|s| s.speedup.map(|r| r.value + r.stddev.unwrap_or(0.0)))
            .fold(0.0f64, f64::max);
        Frame {
            physical,
            logical: topology.logical_count() as f64,
            smt: topology.has_smt(),
            x_end,
            y_top: (x_end.max(max_speedup) * 1.1).ceil(),
        }
    }

    /// Half the width of an error bar's caps, in workers.
    fn cap(&self) -> f64 {
        self.x_end / 150.0
    }

    /// How far apart series are drawn at one worker count, in workers:
    /// wider than a cap on each side, about 18 pixels.
    fn dodge(&self) -> f64 {
        self.x_end / 60.0
    }

    /// Where the ideal line ends: perfect scaling needs a CPU per worker, so
    /// it does not go on into the time-sliced region.
    fn ideal_end(&self) -> f64 {
        self.logical.min(self.x_end)
    }

    /// Where workers start taking turns on the CPUs: past the logical CPUs
    /// with SMT, past the physical cores without.
    fn sliced_from(&self) -> f64 {
        if self.smt {
            self.logical
        } else {
            self.physical
        }
    }
}

/// Speedup against workers: the ideal line up to the logical CPUs, each
/// series with error bars (±1 standard deviation, where the noise is known)
/// and its fitted curve, the physical core count as a vertical line, the SMT
/// region up to the logical CPUs and any time-sliced region beyond shaded.
/// Regions and lines go under the data. With no finished run, the picture
/// says so instead of showing empty axes.
pub fn speedup_chart(comparison: &Comparison<'_>) -> Result<Recording> {
    if let Some(nothing) = comparison.nothing_to_compare() {
        return record(1200, SPEEDUP_HEIGHT, |area| {
            draw_message(area, comparison, nothing)
        });
    }
    let frame = Frame::of(comparison);
    let plotted = plotted_series(comparison, &frame);
    record(1200, SPEEDUP_HEIGHT, |area| {
        let (plot, _) = area.split_vertically(SPEEDUP_HEIGHT - 50);
        let mut chart = draw_axes(&plot, comparison, &frame)?;
        draw_regions(&mut chart, &frame)?;
        draw_physical_line(&mut chart, &frame)?;
        draw_ideal(&mut chart, &frame)?;
        for (index, series) in plotted.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            draw_series(&mut chart, series, frame.cap(), color)?;
            if let Some(f) = series.fit.serial_fraction {
                draw_fit(&mut chart, comparison, series.fit, f, color, frame.x_end)?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(0xcc, 0xcc, 0xcc))
            .label_font(font(LABEL_SIZE))
            .draw()
            .map_err(err)?;
        draw_caption(area, &caption(comparison), SPEEDUP_HEIGHT as i32)
    })
}

/// Height of speedup.png in points (its width is 1200).
const SPEEDUP_HEIGHT: u32 = 720;

/// The caption, and in the plot area why there is nothing to draw.
fn draw_message(area: &Canvas<'_>, comparison: &Comparison<'_>, message: &str) -> Result<()> {
    let (width, height) = area.dim_in_pixel();
    draw_title(area, &comparison.title)?;
    let style = font(LABEL_SIZE + 4.0).pos(Pos::new(HPos::Center, VPos::Center));
    let middle = (width as i32 / 2, height as i32 / 2);
    area.draw(&Text::new(message.to_string(), middle, style))
        .map_err(err)?;
    Ok(())
}

/// A series as drawn: its fit and its speedups, each at its worker count
/// moved sideways by the series' offset, so that the error bars of series at
/// the same count stand side by side.
struct PlottedSeries<'a> {
    fit: &'a SeriesFit,
    points: Vec<(f64, Ratio)>,
    /// Per point, whether its configuration is marked as disturbed (other
    /// load, an outlier, ...): drawn hollow.
    disturbed: Vec<bool>,
}

/// The codes of the marks of the configurations the chart draws, in table
/// order, each once.
fn disturbed_codes(comparison: &Comparison<'_>) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = Vec::new();
    for s in comparison.stats.iter().filter(|s| s.speedup.is_some()) {
        for warning in &s.warnings {
            if !codes.contains(&warning.code) {
                codes.push(warning.code);
            }
        }
    }
    codes
}

/// The series that have a speedup to draw (a series without a 1-worker run
/// has none, and so no line and no legend entry), dodged around each worker
/// count in the order of the fits.
fn plotted_series<'a>(comparison: &'a Comparison<'_>, frame: &Frame) -> Vec<PlottedSeries<'a>> {
    type Point = (f64, Ratio, bool);
    let with_points: Vec<(&SeriesFit, Vec<Point>)> = comparison
        .fits
        .iter()
        .filter(|fit| !only_shared_runs(comparison.stats, &fit.series))
        .map(|fit| {
            let mut points: Vec<Point> = comparison
                .stats
                .iter()
                .filter(|s| s.series == fit.series)
                .filter_map(|s| {
                    let disturbed = !s.warnings.is_empty();
                    s.speedup.map(|sp| (s.workers as f64, sp, disturbed))
                })
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (fit, points)
        })
        .filter(|(_, points)| !points.is_empty())
        .collect();
    let count = with_points.len();
    with_points
        .into_iter()
        .enumerate()
        .map(|(index, (fit, points))| {
            let offset = (index as f64 - (count as f64 - 1.0) / 2.0) * frame.dodge();
            PlottedSeries {
                fit,
                disturbed: points.iter().map(|p| p.2).collect(),
                points: points
                    .into_iter()
                    .map(|(w, r, _)| (w + offset, r))
                    .collect(),
            }
        })
        .collect()
}

/// The caption under the chart: what the speedup is against. Speedup
/// is against a 1-worker run only (see `compare`), so a series whose smallest
/// count is larger has none, and the caption says so rather than name a
/// T(1 worker) that was never measured.
fn caption(comparison: &Comparison<'_>) -> String {
    let codes = disturbed_codes(comparison);
    let base = speedup_caption(comparison);
    if codes.is_empty() {
        return base;
    }
    format!(
        "{base}; hollow points: configurations marked {} in the table (disturbed runs)",
        codes.join(", ")
    )
}

/// [`caption`] without the word on disturbed points.
fn speedup_caption(comparison: &Comparison<'_>) -> String {
    let (kind, what, formula) = match comparison.scaling {
        Scaling::Strong => (
            "strong scaling",
            "speedup",
            "speedup = T(1 worker) / T(workers)",
        ),
        Scaling::Weak => (
            "weak scaling",
            "scaled speedup",
            "scaled speedup = workers × T(1) / T(workers)",
        ),
    };
    let without: Vec<&SeriesFit> = comparison
        .fits
        .iter()
        .filter(|f| f.base_workers != 1)
        .collect();
    if without.is_empty() {
        return format!("{kind}: {formula}");
    }
    if without.len() < comparison.fits.len() {
        let names: Vec<&str> = without.iter().map(|f| f.series.as_str()).collect();
        return format!(
            "{kind}: {formula}; none for {} (no 1-worker run)",
            names.join(", ")
        );
    }
    let mut smallest: Vec<usize> = without.iter().map(|f| f.base_workers).collect();
    smallest.sort_unstable();
    smallest.dedup();
    let counts: Vec<String> = smallest.iter().map(|w| w.to_string()).collect();
    format!(
        "{kind}: no {what} without a 1-worker run (the smallest count here is {} workers)",
        counts.join(" or ")
    )
}

/// The short title, the workers and speedup axes (whole workers only) and the
/// grid.
fn draw_axes<'a, 'b>(
    area: &'a Canvas<'b>,
    comparison: &Comparison<'_>,
    frame: &Frame,
) -> Result<Chart<'a, 'b>> {
    let mut chart = ChartBuilder::on(area)
        .margin(24)
        .caption(&comparison.title, font(TITLE_SIZE))
        .x_label_area_size(60)
        .y_label_area_size(76)
        // A quarter worker of room right of the last count, unlabelled.
        .build_cartesian_2d(0f64..frame.x_end + 0.25, 0f64..frame.y_top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("workers")
        .x_labels((frame.x_end as usize + 1).min(17))
        .x_label_formatter(&|x| whole_number(*x))
        .y_desc(match comparison.scaling {
            Scaling::Strong => "speedup (×)",
            Scaling::Weak => "scaled speedup (×)",
        })
        .y_label_formatter(&|y| format!("{y}"))
        .axis_desc_style(font(LABEL_SIZE))
        .label_style(font(TICK_SIZE))
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
        .max_light_lines(0)
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// The worker counts where SMT siblings share the cores, and those beyond
/// the CPUs where workers are time-sliced, shaded when the axis reaches them.
fn draw_regions(chart: &mut Chart<'_, '_>, frame: &Frame) -> Result<()> {
    if frame.smt && frame.x_end > frame.physical + 0.5 {
        let end = frame.logical.min(frame.x_end);
        let label = "SMT siblings share the cores";
        shade(
            chart,
            frame.physical,
            end,
            frame.y_top,
            SHARED_REGION,
            label,
        )?;
    }
    let sliced_from = frame.sliced_from();
    if frame.x_end > sliced_from + 0.5 {
        let label = "more workers than CPUs: time-sliced";
        shade(
            chart,
            sliced_from,
            frame.x_end,
            frame.y_top,
            SLICED_REGION,
            label,
        )?;
    }
    Ok(())
}

/// A vertical line at the physical core count, with its legend entry.
fn draw_physical_line(chart: &mut Chart<'_, '_>, frame: &Frame) -> Result<()> {
    let physical = frame.physical;
    chart
        .draw_series(std::iter::once(PathElement::new(
            [(physical, 0.0), (physical, frame.y_top)],
            PHYSICAL_LINE.stroke_width(2),
        )))
        .map_err(err)?
        .label(format!(
            "{} physical core{}",
            physical,
            if physical == 1.0 { "" } else { "s" }
        ))
        .legend(|(x, y)| {
            PathElement::new(
                [(x + 12, y - 8), (x + 12, y + 8)],
                PHYSICAL_LINE.stroke_width(2),
            )
        });
    Ok(())
}

/// Perfect scaling, dashed: speedup = workers, up to the logical CPUs.
fn draw_ideal(chart: &mut Chart<'_, '_>, frame: &Frame) -> Result<()> {
    let grey = RGBColor(0x88, 0x88, 0x88);
    let end = frame.ideal_end();
    let ideal = DashedLineSeries::new([(0.0, 0.0), (end, end)], 8, 6, grey.stroke_width(2));
    chart
        .draw_series(ideal)
        .map_err(err)?
        .label("ideal")
        .legend(move |(x, y)| {
            // Dashed in the legend too, in the line's pattern.
            plotters::element::DashedPathElement::new(
                [(x, y), (x + 24, y)],
                8,
                6,
                grey.stroke_width(2),
            )
        });
    Ok(())
}

/// A series' measured speedups: a line through its points in worker order,
/// with its legend entry, the points, and error bars where the noise is known
/// and not nil.
fn draw_series(
    chart: &mut Chart<'_, '_>,
    series: &PlottedSeries<'_>,
    cap: f64,
    color: RGBColor,
) -> Result<()> {
    let centers: Vec<(f64, f64)> = series.points.iter().map(|(w, r)| (*w, r.value)).collect();
    chart
        .draw_series(LineSeries::new(centers.clone(), color.stroke_width(3)))
        .map_err(err)?
        .label(series.fit.series.clone())
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], color.stroke_width(3)));
    // A disturbed configuration's point is hollow: white inside its ring.
    let (marked, plain): (Vec<_>, Vec<_>) = centers
        .iter()
        .zip(&series.disturbed)
        .partition(|(_, disturbed)| **disturbed);
    chart
        .draw_series(
            plain
                .iter()
                .map(|&(&p, _)| Circle::new(p, 6, color.filled())),
        )
        .map_err(err)?;
    chart
        .draw_series(marked.iter().flat_map(|&(&p, _)| {
            [
                Circle::new(p, 7, WHITE.filled()),
                Circle::new(p, 7, color.stroke_width(3)),
            ]
        }))
        .map_err(err)?;
    chart
        .draw_series(
            series
                .points
                .iter()
                .flat_map(|(w, r)| {
                    let deviation = r.stddev.filter(|&sd| sd > 0.0);
                    deviation.map(|sd| error_bar(*w, r.value, sd, cap, color))
                })
                .flatten(),
        )
        .map_err(err)?;
    Ok(())
}

/// ±1 standard deviation around a point: a vertical stroke with caps.
fn error_bar(
    x: f64,
    value: f64,
    stddev: f64,
    cap: f64,
    color: RGBColor,
) -> [PathElement<(f64, f64)>; 3] {
    let (low, high) = ((value - stddev).max(0.0), value + stddev);
    let style = color.stroke_width(2);
    [
        PathElement::new([(x, low), (x, high)], style),
        PathElement::new([(x - cap, low), (x + cap, low)], style),
        PathElement::new([(x - cap, high), (x + cap, high)], style),
    ]
}

/// A shaded band of worker counts, with its legend entry.
fn shade(
    chart: &mut Chart<'_, '_>,
    from: f64,
    to: f64,
    y_top: f64,
    color: RGBColor,
    label: &str,
) -> Result<()> {
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(from, 0.0), (to, y_top)],
            color.filled(),
        )))
        .map_err(err)?
        .label(label)
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], color.filled()));
    Ok(())
}

/// Worker ticks: whole numbers only.
fn whole_number(x: f64) -> String {
    if x >= 0.0 && (x - x.round()).abs() < 1e-6 {
        format!("{}", x.round() as u64)
    } else {
        String::new()
    }
}

type Chart<'a, 'b> = ChartContext<
    'a,
    Recorder<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A series' fitted Amdahl or Gustafson curve over the counts it was fitted
/// on, with its legend entry (drawn only when the fraction is stated).
fn draw_fit(
    chart: &mut Chart<'_, '_>,
    comparison: &Comparison<'_>,
    fit: &SeriesFit,
    fraction: f64,
    color: RGBColor,
    x_end: f64,
) -> Result<()> {
    let (law, model): (&str, fn(f64, f64) -> f64) = match comparison.scaling {
        Scaling::Strong => ("Amdahl", amdahl_speedup),
        Scaling::Weak => ("Gustafson", gustafson_speedup),
    };
    // Drawn over the worker counts it was fitted on, not beyond.
    let fitted_end = fit.fit_workers.last().map_or(x_end, |&w| w as f64);
    let curve: Vec<(f64, f64)> = (10..=(fitted_end.min(x_end) * 10.0) as u32)
        .map(|i| {
            let w = i as f64 / 10.0;
            (w, model(fraction, w))
        })
        .collect();
    let over = match (fit.fit_workers.first(), fit.fit_workers.last()) {
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => String::new(),
    };
    let label = format!(
        "{} {law} fit over {over} workers: serial fraction {:.1}%",
        fit.series,
        fraction * 100.0
    );
    chart
        .draw_series(DashedLineSeries::new(
            curve,
            3,
            5,
            color.mix(0.6).stroke_width(2),
        ))
        .map_err(err)?
        .label(label)
        .legend(move |(x, y)| {
            plotters::element::DashedPathElement::new(
                [(x, y), (x + 24, y)],
                3,
                3,
                color.mix(0.6).stroke_width(2),
            )
        });
    Ok(())
}

#[derive(Template)]
#[template(path = "sweep.html")]
struct SweepPage {
    title: String,
    subtitle: String,
    tool: String,
    css: String,
    interrupted: bool,
    /// Why there is no table, when no run finished.
    nothing: Option<String>,
    scaling: String,
    speedup_svg: String,
    rows: Vec<SweepRow>,
    findings: Vec<String>,
    minis: Vec<Mini>,
    runs: Vec<RunRow>,
}

struct SweepRow {
    configuration: String,
    href: String,
    /// The CPU list (`0-3`, `0-3*` when pinned); its hover says it in words.
    cpus: String,
    cpus_title: String,
    wall: String,
    median: String,
    range: String,
    user: String,
    sys: String,
    in_use: String,
    speedup: String,
    efficiency: String,
    time_ratio: String,
    runs: usize,
    marks: String,
}

struct Mini {
    label: String,
    href: String,
    heat: HeatMapView,
}

struct RunRow {
    configuration: String,
    repeat: u32,
    href: String,
    status: String,
    wall: String,
    result: String,
}

/// Writes the comparison report.html into the sweep folder.
pub fn write_sweep_report(
    comparison: &Comparison<'_>,
    findings: &[Finding],
    dir: &Path,
    speedup: &Recording,
) -> Result<PathBuf> {
    let page = SweepPage {
        title: comparison.title.clone(),
        subtitle: subtitle(comparison.machine),
        tool: format!("coreheat {}", env!("CARGO_PKG_VERSION")),
        css: stylesheet(),
        interrupted: comparison.interrupted,
        nothing: comparison.nothing_to_compare().map(str::to_string),
        scaling: comparison.scaling.describe().to_string(),
        speedup_svg: speedup.svg(SPEEDUP_LABEL)?,
        rows: comparison.stats.iter().map(SweepRow::of).collect(),
        findings: findings.iter().map(|f| f.message.clone()).collect(),
        minis: minis(comparison.stats, dir)?,
        runs: comparison.runs.iter().map(RunRow::of).collect(),
    };
    let html = page.render().context("cannot lay out the sweep report")?;
    let path = dir.join(REPORT_FILE);
    outdir::write_atomically(&path, html.as_bytes())?;
    Ok(path)
}

/// The machine under the title: host, CPU model, CPUs and cores, kernel.
fn subtitle(machine: &Machine) -> String {
    [
        machine.host.clone(),
        machine.cpu_model.clone(),
        machine.topology.describe_counts(),
        machine.kernel.clone(),
    ]
    .into_iter()
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join(" · ")
}

/// The configuration's marks, and the pinnings that share its runs.
fn marks_with_merged(s: &ConfigStats) -> Vec<String> {
    let mut marks = s.marks();
    if !s.same_as.is_empty() {
        marks.insert(0, format!("also pin {}: same CPUs", join_and(&s.same_as)));
    }
    marks
}

impl SweepRow {
    fn of(s: &ConfigStats) -> SweepRow {
        SweepRow {
            configuration: s.description.clone(),
            href: format!("{}/{REPORT_FILE}", s.dir),
            cpus: format!(
                "{}{}",
                format_cpulist(&s.cpus),
                if s.pinned { " pinned" } else { "" }
            ),
            cpus_title: cpus_text(s),
            wall: s.wall_s.plus_minus(3),
            median: format!("{:.3}", s.wall_s.median),
            range: format!("{:.3}–{:.3}", s.wall_s.min, s.wall_s.max),
            user: s.user_s.plus_minus(3),
            sys: s.sys_s.plus_minus(3),
            in_use: s.cpus_in_use.map_or("—".into(), |c| c.plus_minus(2)),
            speedup: s
                .speedup
                .map_or("—".into(), |v| format!("{}×", v.plus_minus(2))),
            efficiency: s.efficiency.map_or("—".into(), |v| {
                format!("{}%", v.times(100.0).plus_minus(0))
            }),
            time_ratio: s.time_ratio.map_or("—".into(), |v| v.plus_minus(2)),
            runs: s.runs,
            marks: marks_with_merged(s).join(", "),
        }
    }
}

impl RunRow {
    fn of(r: &RunRecord) -> RunRow {
        RunRow {
            configuration: r.configuration.clone(),
            repeat: r.repeat,
            href: format!("{}/{REPORT_FILE}", r.dir),
            status: r.status.to_string(),
            wall: format!("{:.3}", r.wall_s),
            result: r.result.clone().unwrap_or_default(),
        }
    }
}

/// A small busy heat map of each configuration's median run, side by side
/// on one time scale: a run twice as long is drawn twice as wide. A run
/// shared by several pinnings is drawn once.
fn minis(stats: &[ConfigStats], dir: &Path) -> Result<Vec<Mini>> {
    let mut summaries = Vec::new();
    for s in stats.iter().filter(|s| s.shared_with.is_none()) {
        let trace = dir.join(&s.dir).join(crate::util::outdir::TRACE_FILE);
        let summary = summarize_trace_columns(&trace, 120)
            .with_context(|| format!("cannot read {}", trace.display()))?;
        summaries.push((s, summary));
    }
    let span = summaries
        .iter()
        .map(|(_, summary)| columns_span(&summary.columns))
        .fold(0.0, f64::max);
    Ok(summaries
        .iter()
        .map(|(s, summary)| Mini {
            label: s.description.clone(),
            href: format!("{}/{REPORT_FILE}", s.dir),
            heat: heat_map(summary, false, span),
        })
        .collect())
}

/// What the speedup chart shows, for readers of the page who cannot see it.
const SPEEDUP_LABEL: &str = "speedup against workers, with the ideal line";

/// Writes sweep.json: what the sweep saved and the comparison drawn from it.
/// It is written before the pages, which are drawn from it alone.
pub fn write_sweep_json(
    saved: &SavedSweep,
    comparison: &Comparison<'_>,
    findings: &[Finding],
    dir: &Path,
) -> Result<()> {
    let json = sweep_file_json(saved, comparison, findings);
    outdir::write_atomically(
        &dir.join(SWEEP_JSON_FILE),
        sorted_json::to_string_pretty(&json)?.as_bytes(),
    )
}

/// Draws the comparison into the sweep folder: speedup.png (`png_scale`
/// pixels per point), report.html and writeup.md.
pub fn write_comparison(
    comparison: &Comparison<'_>,
    findings: &[Finding],
    dir: &Path,
    png_scale: u32,
) -> Result<Written> {
    let chart = speedup_chart(comparison).context("cannot draw speedup.png")?;
    let png = chart.png(png_scale).context("cannot draw speedup.png")?;
    outdir::write_atomically(&dir.join(SPEEDUP_FILE), &png)?;
    let report = write_sweep_report(comparison, findings, dir, &chart)?;
    let writeup = dir.join(WRITEUP_FILE);
    outdir::write_atomically(&writeup, writeup_markdown(comparison).as_bytes())?;
    Ok(Written {
        dir: dir.to_path_buf(),
        report,
        writeup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::pin::PinSpec;
    use crate::machine::topology::Topology;
    use crate::model::workload::Mode;
    use crate::summary::compare::tests::{record, threads, with_comparison};
    use crate::summary::sweep_runs::{Configuration, Placement};

    /// `look` at the comparison of a strong-scaling sweep of 2 runs per
    /// configuration on `topology`.
    fn with_two_runs<T>(
        topology: Topology,
        configurations: &[(Configuration, Placement)],
        look: impl FnOnce(&Comparison<'_>) -> T,
    ) -> T {
        let runs: Vec<(usize, RunRecord)> = (0..configurations.len())
            .flat_map(|i| (1..=2).map(move |r| (i, record("t", r, 2.0 + 0.1 * r as f64))))
            .collect();
        with_comparison(topology, Scaling::Strong, configurations, runs, look)
    }

    /// The caption of a strong-scaling sweep of 2 runs per configuration.
    fn caption_of(configurations: &[(Configuration, Placement)]) -> String {
        with_two_runs(Topology::synthetic(2, 1), configurations, caption)
    }

    fn processes(workers: usize) -> (Configuration, Placement) {
        let (configuration, placement) = threads(workers);
        let configuration = Configuration {
            mode: Mode::Processes,
            ..configuration
        };
        (configuration, placement)
    }

    #[test]
    fn disturbed_configurations_are_drawn_hollow_and_the_caption_says_so() {
        with_two_runs(
            Topology::synthetic(2, 1),
            &[threads(1), threads(2)],
            |comparison| {
                let mut stats = comparison.stats.to_vec();
                stats[1].warnings.push(crate::summary::warnings::Warning {
                    code: "other-load",
                    message: "other programs".into(),
                });
                let marked = Comparison {
                    title: comparison.title.clone(),
                    command: comparison.command.clone(),
                    stats: &stats,
                    ..*comparison
                };
                let frame = Frame::of(&marked);
                let plotted = plotted_series(&marked, &frame);
                assert_eq!(plotted[0].disturbed, [false, true]);
                let words = caption(&marked);
                assert!(
                    words.ends_with(
                        "; hollow points: configurations marked other-load in the table \
                         (disturbed runs)"
                    ),
                    "{words}"
                );
                assert!(!caption(comparison).contains("hollow"));
                // The picture has the hollow point: a white disc in a ring.
                let whites = |c: &Comparison<'_>| {
                    let svg = speedup_chart(c).unwrap().svg("speedup").unwrap();
                    svg.matches("fill=\"#FFFFFF\"").count()
                };
                assert!(whites(&marked) > whites(comparison), "no hollow point");
            },
        );
    }

    #[test]
    fn the_caption_says_what_the_speedup_is_against() {
        assert_eq!(
            caption_of(&[threads(1), threads(2)]),
            "strong scaling: speedup = T(1 worker) / T(workers)"
        );
        // The base is the smallest count, 2 workers: no speedup is stated
        // against a 1-worker run that did not happen.
        let base_two = caption_of(&[threads(2), threads(4)]);
        assert!(!base_two.contains("T(1 worker)"), "{base_two}");
        assert_eq!(
            base_two,
            "strong scaling: no speedup without a 1-worker run (the smallest count here is 2 workers)"
        );
        let mixed = caption_of(&[threads(1), threads(2), processes(2)]);
        assert_eq!(
            mixed,
            "strong scaling: speedup = T(1 worker) / T(workers); none for processes (no 1-worker run)"
        );
    }

    /// The texts of an SVG and the y they are drawn at.
    fn texts(svg: &str) -> Vec<(i32, String)> {
        svg.split("<text ")
            .skip(1)
            .map(|element| {
                let y = element.split("y=\"").nth(1).unwrap();
                let y = y[..y.find('"').unwrap()].parse().unwrap();
                let text = element.split_once('>').unwrap().1;
                (y, text[..text.find("</text>").unwrap()].trim().to_string())
            })
            .collect()
    }

    #[test]
    fn the_speedup_chart_has_whole_workers_units_a_short_title_and_a_full_legend() {
        let svg = with_two_runs(
            Topology::synthetic(2, 1),
            &[threads(1), threads(2)],
            |comparison| speedup_chart(comparison).unwrap().svg("speedup").unwrap(),
        );
        let texts = texts(&svg);
        let words: Vec<&str> = texts.iter().map(|(_, t)| t.as_str()).collect();
        for wanted in [
            "t",
            "workers",
            "speedup (×)",
            "ideal",
            "threads",
            "2 physical cores",
        ] {
            assert!(words.contains(&wanted), "no {wanted:?} in {words:?}");
        }
        assert!(
            words.iter().any(|w| w.starts_with("threads Amdahl fit")),
            "the fit is in the legend: {words:?}"
        );
        assert!(
            words.contains(&"strong scaling: speedup = T(1 worker) / T(workers)"),
            "the details are the caption: {words:?}"
        );
        // The worker ticks: the numbers on the lowest line of numbers.
        let numbers: Vec<&(i32, String)> = texts
            .iter()
            .filter(|(_, t)| t.parse::<f64>().is_ok())
            .collect();
        let axis_y = numbers.iter().map(|(y, _)| *y).max().unwrap();
        let ticks: Vec<&str> = numbers
            .iter()
            .filter(|(y, _)| *y == axis_y)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(
            ticks,
            ["0", "1", "2"],
            "whole workers only, up to the largest count"
        );
    }

    /// Series at the same worker count stand apart by more than their error
    /// bars' caps; a series without a 1-worker run has no speedup, so it is
    /// not drawn and has no legend entry.
    #[test]
    fn series_are_dodged_and_empty_ones_left_out() {
        let spread_two = {
            let (configuration, placement) = threads(2);
            let configuration = Configuration {
                pin: PinSpec::Spread,
                ..configuration
            };
            (configuration, placement)
        };
        let configurations = [
            threads(1),
            threads(2),
            spread_two,
            processes(1),
            processes(2),
        ];
        let (names, at_two, frame) =
            with_two_runs(Topology::synthetic(2, 1), &configurations, |c| {
                let frame = Frame::of(c);
                let plotted = plotted_series(c, &frame);
                let names: Vec<String> = plotted.iter().map(|p| p.fit.series.clone()).collect();
                let at_two: Vec<f64> = plotted.iter().map(|p| p.points[1].0).collect();
                (names, at_two, frame)
            });
        assert_eq!(names, ["threads", "processes"]);
        assert!(at_two[0] < 2.0 && at_two[1] > 2.0, "{at_two:?}");
        assert!(at_two[1] - at_two[0] > 2.0 * frame.cap(), "{at_two:?}");
    }

    /// Perfect scaling needs a CPU per worker: the ideal line ends at the
    /// logical CPUs, not at the end of the axis.
    #[test]
    fn the_ideal_line_stops_at_the_logical_cpus() {
        let configurations = [threads(1), threads(2), threads(8)];
        let frame = with_two_runs(Topology::synthetic(2, 2), &configurations, Frame::of);
        // The workers axis ends at the largest count, a whole number (issue 15).
        assert_eq!((frame.x_end, frame.ideal_end()), (8.0, 4.0));
        let frame = with_two_runs(Topology::synthetic(4, 2), &configurations, Frame::of);
        assert_eq!(frame.ideal_end(), 8.0);
    }
}
