//! The charts, drawn with plotters into a [`Recording`] (see `canvas`) that
//! becomes a PNG at any pixel density or inline SVG: `heatmap.png` (busy % and
//! kernel % per CPU over time, with axes, labels and legends) and `cores.png`
//! (one small panel per CPU with its usr and sys lines). Sweeps add
//! `speedup.png`. PNG text uses DejaVu Sans, embedded in the binary.

use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Canvas, FONT_FAMILY, Recording, record};
use super::color::{BUSY, KERNEL, Ramp, Rgb};
use super::timeaxis::{TimeAxis, nice_ticks};
use crate::model::{CpuLoad, EventKind};
use crate::summary::trace_summary::{Column, CpuRow, TraceSummary, merge_columns};

/// Width of every chart, in logical pixels (a PNG has `--png-scale` pixels
/// for each).
pub const CHART_WIDTH: u32 = 1200;

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

pub(super) fn font(size: f64) -> TextStyle<'static> {
    (FONT_FAMILY, size)
        .into_font()
        .color(&RGBColor(0x22, 0x22, 0x22))
}

/// A plotters error as the charts report it.
pub(super) fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e}")
}

type Area<'a> = Canvas<'a>;

/// Text sizes of every chart (plotters' sizes: the em is `size / 1.24`
/// pixels), chosen so that a chart shown 1200 points wide has text as large as
/// the page's: titles, labels and ticks, and the small print of captions.
pub const TITLE_SIZE: f64 = 26.0;
pub const LABEL_SIZE: f64 = 18.0;
pub const TICK_SIZE: f64 = 16.0;
pub const CAPTION_SIZE: f64 = 16.0;

/// Rows of a heat map are at least this many points high; with more rows than
/// fit, the picture is the quantized heat map instead (see `quantized`).
pub const MIN_ROW_HEIGHT: i32 = 4;

/// The height the rows of a heat-map panel share.
const ROWS_HEIGHT: i32 = 420;

/// Layout of the heat map picture.
struct HeatLayout {
    left: i32,
    right: i32,
    top: i32,
    row_h: i32,
    gap: i32,
    panel_h: i32,
}

impl HeatLayout {
    /// Space between the busy panel and the kernel panel: room for the
    /// kernel panel's title and the workload's start and end labels.
    const BETWEEN: i32 = 84;

    /// Where the kernel panel starts.
    fn second_top(&self) -> i32 {
        self.top + self.panel_h + Self::BETWEEN
    }

    /// Where the time axis under both panels lies.
    fn axis_top(&self) -> i32 {
        self.second_top() + self.panel_h + 6
    }
}

/// One heat-map panel: its title, color ramp and the percentage it shows.
struct Panel<'a> {
    name: &'a str,
    unit: &'a str,
    ramp: &'a Ramp,
    value: fn(&CpuLoad) -> f64,
}

/// The two panels of a heat map: busy %, then kernel %.
fn heat_panels() -> [Panel<'static>; 2] {
    [
        Panel {
            name: "busy",
            unit: "% busy",
            ramp: &BUSY,
            value: CpuLoad::busy,
        },
        Panel {
            name: "kernel",
            unit: "% kernel",
            ramp: &KERNEL,
            value: CpuLoad::kernel,
        },
    ]
}

/// Rows between CPU labels on a heat map whose rows merge several CPUs.
const MERGED_LABEL_EVERY: usize = 40;

/// Whether the heat map of `summary` draws a row per CPU (or per run of
/// merged CPUs): only while rows are at least [`MIN_ROW_HEIGHT`] points high.
pub fn draws_rows(summary: &TraceSummary) -> bool {
    heat_row_count(&summary.heat_rows()) <= ROWS_HEIGHT / MIN_ROW_HEIGHT
}

fn heat_row_count(groups: &[(String, Vec<CpuRow>)]) -> i32 {
    groups
        .iter()
        .map(|(_, rows)| rows.len())
        .sum::<usize>()
        .max(1) as i32
}

/// The heat map: busy % on top, kernel % below, one row per CPU grouped by
/// core (see [`draws_rows`]). A short title on top, what it shows in the
/// caption below.
pub fn heatmap(summary: &TraceSummary, title: &str) -> Result<Recording> {
    let groups = summary.heat_rows();
    let rows = heat_row_count(&groups);
    let group_gaps = (groups.len() as i32 - 1).max(0);
    let row_h = (ROWS_HEIGHT / rows).clamp(MIN_ROW_HEIGHT, 22);
    let gap = if row_h >= 6 { 3 } else { 0 };
    let panel_h = rows * row_h + group_gaps * gap;
    let layout = HeatLayout {
        left: 250,
        right: CHART_WIDTH as i32 - 140,
        top: 110,
        row_h,
        gap,
        panel_h,
    };
    let height = (layout.axis_top() + 110) as u32;
    record(CHART_WIDTH, height, |area| {
        draw_title(area, title)?;
        let drawing = HeatDrawing {
            area,
            summary,
            layout: &layout,
            axis: TimeAxis::new(&summary.columns),
        };
        for (panel, top) in heat_panels().iter().zip([layout.top, layout.second_top()]) {
            drawing.panel(&groups, top, panel)?;
            let legend = Legend {
                x: layout.right + 28,
                top,
                height: panel_h.max(90),
            };
            legend.draw(area, panel.ramp, panel.unit)?;
        }
        let axis_title = drawing.time_axis(layout.axis_top())?;
        let caption = heat_caption(summary, &groups, &axis_title);
        draw_caption(area, &caption, height as i32)
    })
}

/// A chart's short title at its top left.
pub(super) fn draw_title(area: &Area<'_>, title: &str) -> Result<()> {
    let style = font(TITLE_SIZE).pos(Pos::new(HPos::Left, VPos::Top));
    area.draw(&Text::new(title.to_string(), (20, 14), style))
        .map_err(err)
}

/// A chart's caption: its details in small print at the bottom left, one line
/// per `\n`.
pub(super) fn draw_caption(area: &Area<'_>, caption: &str, height: i32) -> Result<()> {
    let lines: Vec<&str> = caption.lines().collect();
    let style = font(CAPTION_SIZE)
        .color(&RGBColor(0x55, 0x55, 0x55))
        .pos(Pos::new(HPos::Left, VPos::Bottom));
    for (i, line) in lines.iter().enumerate() {
        let y = height - 10 - 22 * (lines.len() - 1 - i) as i32;
        area.draw(&Text::new(line.to_string(), (20, y), style.clone()))
            .map_err(err)?;
    }
    Ok(())
}

/// What the heat map shows, for its caption.
fn heat_caption(
    summary: &TraceSummary,
    groups: &[(String, Vec<CpuRow>)],
    axis_title: &str,
) -> String {
    let bin = summary.columns.first().map_or(1, |c| c.samples);
    let columns = match bin {
        1 => "each column one sampling interval".to_string(),
        n => format!("each column the mean of {n} samples"),
    };
    let rows = match groups.first().and_then(|(_, rows)| rows.first()) {
        Some(row) if row.is_merged() => format!(
            "{} CPUs, {} per row",
            summary.meta.cpus.len(),
            row.members.len()
        ),
        _ => format!("one row per CPU, {} CPUs", summary.meta.cpus.len()),
    };
    format!(
        "Busy = all but idle and iowait; kernel = sys + irq + softirq; {rows}.\n\
         x: {axis_title}, {columns}, as wide as the time it covers{}.",
        dashed_lines_said(summary)
    )
}

/// `; dashed: the workload's start and end`, naming only the lines drawn
/// (an imported trace has none).
pub(super) fn dashed_lines_said(summary: &TraceSummary) -> String {
    let start = summary.event_time(EventKind::WorkloadStart).is_some();
    let end = summary.event_time(EventKind::WorkloadEnd).is_some();
    match (start, end) {
        (true, true) => "; dashed: the workload's start and end".into(),
        (true, false) => "; dashed: the workload's start".into(),
        (false, true) => "; dashed: the workload's end".into(),
        (false, false) => String::new(),
    }
}

/// Whether a row is labelled with its CPU: rows that merge CPUs one in
/// [`MERGED_LABEL_EVERY`]; others as many as fit without overlapping.
fn row_labelled(layout: &HeatLayout, row: &CpuRow, row_index: usize) -> bool {
    if row.is_merged() {
        return row_index.is_multiple_of(MERGED_LABEL_EVERY);
    }
    row_index.is_multiple_of(label_every(layout.row_h))
}

/// Points from one row label to the next: an em of [`LABEL_SIZE`] - 2 and a
/// little air.
const LABEL_PITCH: i32 = 16;

/// Every how many rows of `row_h` points a label fits.
fn label_every(row_h: i32) -> usize {
    (LABEL_PITCH as f64 / row_h.max(1) as f64).ceil() as usize
}

/// The heat map being drawn: its picture, trace, layout and time scale.
struct HeatDrawing<'a, 'b> {
    area: &'a Area<'b>,
    summary: &'a TraceSummary,
    layout: &'a HeatLayout,
    axis: TimeAxis,
}

impl HeatDrawing<'_, '_> {
    /// The x of time `t` on the maps.
    fn x_of(&self, t: f64) -> i32 {
        let width = (self.layout.right - self.layout.left) as f64;
        self.layout.left + (self.axis.fraction(t) * width).round() as i32
    }

    /// One panel at `top`: its title, a row of cells per CPU (or run of merged
    /// CPUs) grouped by core, with labels, and the workload's start and end.
    fn panel(&self, groups: &[(String, Vec<CpuRow>)], top: i32, panel: &Panel<'_>) -> Result<()> {
        let layout = self.layout;
        let style = font(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Bottom));
        let title = Text::new(panel.name.to_string(), (layout.left, top - 44), style);
        self.area.draw(&title).map_err(err)?;
        let mut y = top;
        let mut row_index = 0usize;
        let core_label_right = layout.left - 8 - self.widest_row_label(groups) - 14;
        for (label, rows) in groups {
            let group_top = y;
            for row in rows {
                let outside = self.summary.row_outside(row);
                self.row(panel, row, outside, y)?;
                if row_labelled(layout, row, row_index) {
                    self.row_label(row, y)?;
                }
                y += layout.row_h;
                row_index += 1;
            }
            if !label.is_empty() && layout.row_h * rows.len() as i32 >= 12 {
                self.core_label(label, core_label_right, (group_top + y) / 2)?;
            }
            y += layout.gap;
        }
        self.markers(top)
    }

    /// A row's cells, each as wide as the time its column covers (at least a
    /// point), grey where the row has no data; a row `outside` the run's CPUs
    /// is dimmed, for its load is other programs'.
    fn row(&self, panel: &Panel<'_>, row: &CpuRow, outside: bool, y: i32) -> Result<()> {
        let layout = self.layout;
        for column in &self.summary.columns {
            let x0 = self.x_of(column.t_start);
            let x1 = self.x_of(column.t_end).max(x0 + 1);
            let color = match row.sums(&column.cpus).mean() {
                Some(load) => rgb(panel.ramp.at((panel.value)(&load))),
                None => RGBColor(0xd8, 0xd8, 0xd8),
            };
            let cell = Rectangle::new([(x0, y), (x1, y + layout.row_h)], color.filled());
            self.area.draw(&cell).map_err(err)?;
        }
        if outside {
            let veil = Rectangle::new(
                [(layout.left, y), (layout.right, y + layout.row_h)],
                WHITE.mix(0.6).filled(),
            );
            self.area.draw(&veil).map_err(err)?;
        }
        Ok(())
    }

    /// `cpu3` left of its row, or `cpu3 (not allowed)`.
    fn row_label_text(&self, row: &CpuRow) -> String {
        match self.summary.row_outside(row) {
            true => format!("{} (not allowed)", row.label()),
            false => row.label(),
        }
    }

    /// Points the widest row label takes.
    fn widest_row_label(&self, groups: &[(String, Vec<CpuRow>)]) -> i32 {
        let style = font(TICK_SIZE);
        groups
            .iter()
            .flat_map(|(_, rows)| rows)
            .filter_map(|row| {
                let text = self.row_label_text(row);
                self.area.estimate_text_size(&text, &style).ok()
            })
            .map(|(width, _)| width as i32)
            .max()
            .unwrap_or(0)
    }

    fn row_label(&self, row: &CpuRow, y: i32) -> Result<()> {
        let text = self.row_label_text(row);
        let style = font(TICK_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
        let at = (self.layout.left - 8, y + self.layout.row_h / 2);
        self.area.draw(&Text::new(text, at, style)).map_err(err)
    }

    /// The core of a group of rows (`core 0` of `core 0 · package 0`), ending
    /// at `right`, just left of the rows' own labels (never past the left edge).
    fn core_label(&self, label: &str, right: i32, mid: i32) -> Result<()> {
        let core = label.split(" · ").next().unwrap_or(label).to_string();
        let style = font(TICK_SIZE - 2.0).color(&RGBColor(0x66, 0x66, 0x66));
        let width = self
            .area
            .estimate_text_size(&core, &style)
            .map_or(0, |(w, _)| w as i32);
        let left = (right - width).max(14);
        let style = style.pos(Pos::new(HPos::Left, VPos::Center));
        self.area
            .draw(&Text::new(core, (left, mid), style))
            .map_err(err)
    }

    /// Workload start and end, as dashed vertical lines labelled above the
    /// panel; labels of lines close together lean apart.
    fn markers(&self, top: i32) -> Result<()> {
        let start = self.summary.event_time(EventKind::WorkloadStart);
        let end = self.summary.event_time(EventKind::WorkloadEnd);
        let xs = [start.map(|t| self.x_of(t)), end.map(|t| self.x_of(t))];
        let close = matches!(xs, [Some(a), Some(b)] if b - a < 60);
        let leans = match close {
            true => [HPos::Right, HPos::Left],
            false => [HPos::Center, HPos::Center],
        };
        for ((x, label), lean) in xs.into_iter().zip(["start", "end"]).zip(leans) {
            let Some(x) = x else { continue };
            dashed_line(self.area, x, top - 4, top + self.layout.panel_h + 4)?;
            let style = font(TICK_SIZE).pos(Pos::new(lean, VPos::Bottom));
            self.area
                .draw(&Text::new(label.to_string(), (x, top - 8), style))
                .map_err(err)?;
        }
        Ok(())
    }

    /// The time axis under the maps; returns its title.
    fn time_axis(&self, top: i32) -> Result<String> {
        let span = (self.layout.left, self.layout.right);
        let times = (self.summary.first_t, self.summary.last_t);
        draw_time_axis(self.area, times, span, top, &|t| self.x_of(t))
    }
}

/// A time axis from `left` to `right` at `top`, with round-numbered ticks
/// from `first` to `last` seconds placed by `x_of` and its title under them;
/// returns the title (`seconds since start`).
pub(super) fn draw_time_axis(
    area: &Area<'_>,
    (first, last): (f64, f64),
    (left, right): (i32, i32),
    top: i32,
    x_of: &dyn Fn(f64) -> i32,
) -> Result<String> {
    let line = PathElement::new([(left, top), (right, top)], BLACK.stroke_width(1));
    area.draw(&line).map_err(err)?;
    let ticks = nice_ticks(first, last, 10);
    for tick in &ticks.ticks {
        let x = x_of(tick.t);
        let mark = PathElement::new([(x, top), (x, top + 5)], BLACK.stroke_width(1));
        area.draw(&mark).map_err(err)?;
        let style = font(TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
        area.draw(&Text::new(tick.label.clone(), (x, top + 8), style))
            .map_err(err)?;
    }
    let style = font(LABEL_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    area.draw(&Text::new(
        ticks.title(),
        ((left + right) / 2, top + 32),
        style,
    ))
    .map_err(err)?;
    Ok(ticks.title())
}

/// A dashed vertical line at `x` from `from` down to `to`.
pub(super) fn dashed_line(area: &Area<'_>, x: i32, from: i32, to: i32) -> Result<()> {
    let mut y = from;
    while y < to {
        let dash = PathElement::new([(x, y), (x, (y + 5).min(to))], BLACK.stroke_width(2));
        area.draw(&dash).map_err(err)?;
        y += 9;
    }
    Ok(())
}

/// A color ramp's legend: a bar from 100 % at the top to 0 % at the bottom,
/// its unit above it, 0, 50 and 100 beside it.
pub(super) struct Legend {
    pub x: i32,
    pub top: i32,
    pub height: i32,
}

impl Legend {
    fn draw(&self, area: &Area<'_>, ramp: &Ramp, unit: &str) -> Result<()> {
        let marks = [(100, 0), (50, self.height / 2), (0, self.height)];
        self.draw_bar(
            area,
            |fraction| rgb(ramp.at(100.0 * fraction)),
            unit,
            &marks.map(|(p, dy)| (p.to_string(), dy)),
        )
    }

    /// The bar, colored by `color_at` (0 at the bottom, 1 at the top), with
    /// `unit` above it and `marks` (text, points below the top) beside it.
    pub(super) fn draw_bar(
        &self,
        area: &Area<'_>,
        color_at: impl Fn(f64) -> RGBColor,
        unit: &str,
        marks: &[(String, i32)],
    ) -> Result<()> {
        let (x, top, height) = (self.x, self.top, self.height);
        for step in 0..height {
            let fraction = 1.0 - step as f64 / (height - 1).max(1) as f64;
            area.draw(&Rectangle::new(
                [(x, top + step), (x + 18, top + step + 1)],
                color_at(fraction).filled(),
            ))
            .map_err(err)?;
        }
        area.draw(&Rectangle::new(
            [(x, top), (x + 18, top + height)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
        let style = font(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
        for (text, dy) in marks {
            area.draw(&Text::new(text.clone(), (x + 24, top + dy), style.clone()))
                .map_err(err)?;
        }
        let style = font(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Bottom));
        area.draw(&Text::new(unit.to_string(), (x, top - 10), style))
            .map_err(err)
    }
}

/// Most panels cores.png draws: past this many CPUs, a panel shows a run of
/// neighbouring CPUs, so the picture (and its SVG in the page) stays small.
pub const MAX_CORE_PANELS: usize = 64;

/// One small panel per CPU with its usr (red) and sys (blue) percent of each
/// interval, drawn flat over the interval, and the workload's start and end;
/// past [`MAX_CORE_PANELS`] CPUs, one panel per run of neighbouring CPUs, so
/// the picture is at most 8 rows of 8 panels.
pub fn cores(summary: &TraceSummary, title: &str) -> Result<Recording> {
    let rows = summary.cpu_rows(MAX_CORE_PANELS);
    let (per_row, panel_h) = cores_grid(rows.len().max(1));
    let grid_rows = rows.len().max(1).div_ceil(per_row);
    let height = 180 + grid_rows as u32 * panel_h;
    let ticks = nice_ticks(summary.first_t, summary.last_t, 4);
    let columns = merge_columns(summary.columns.clone(), CHART_WIDTH as usize / per_row / 2);
    record(CHART_WIDTH, height, |area| {
        draw_title(area, title)?;
        draw_cores_legend(area)?;
        let body = area.margin(60, 120, 36, 10);
        let panels = body.split_evenly((grid_rows, per_row));
        let drawing = CoresDrawing {
            summary,
            columns: &columns,
            seconds: ticks.seconds,
            small: per_row >= 6,
        };
        for (row, panel) in rows.iter().zip(panels.iter()) {
            drawing.panel(panel, row)?;
        }
        let bottom = height as i32 - 120;
        let style = font(LABEL_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
        let middle = CHART_WIDTH as i32 / 2;
        area.draw(&Text::new(ticks.title(), (middle, bottom + 8), style))
            .map_err(err)?;
        let style = font(LABEL_SIZE)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Center));
        let text = "% of CPU time".to_string();
        area.draw(&Text::new(text, (14, (60 + bottom) / 2), style))
            .map_err(err)?;
        let merged = match rows.first() {
            Some(row) if row.is_merged() => {
                format!(" (of {} neighbouring CPUs together)", row.members.len())
            }
            _ => String::new(),
        };
        let caption = format!(
            "Each panel: % of one CPU's time{merged} in usr (user + nice) and sys (system \
             time),\nflat over each interval{}.",
            dashed_lines_said(summary)
        );
        draw_caption(area, &caption, height as i32)
    })
}

/// Panels per row of cores.png for `panels` panels, and each panel's height:
/// the more panels, the more and smaller per row.
fn cores_grid(panels: usize) -> (usize, u32) {
    let per_row = match panels {
        1 => 1,
        2..=4 => 2,
        5..=9 => 3,
        10..=16 => 4,
        17..=36 => 6,
        _ => 8,
    };
    let panel_h = match per_row {
        1 | 2 => 240,
        3 | 4 => 200,
        _ => 150,
    };
    (per_row, panel_h)
}

/// A line of each cores.png panel: its legend name, color and percentage.
struct CoreLine {
    name: &'static str,
    color: RGBColor,
    value: fn(&CpuLoad) -> f64,
}

/// usr in red, sys in blue.
fn core_lines() -> [CoreLine; 2] {
    [
        CoreLine {
            name: "usr %",
            color: rgb(BUSY.at(85.0)),
            value: CpuLoad::user,
        },
        CoreLine {
            name: "sys %",
            color: rgb(KERNEL.at(70.0)),
            value: |load| load.sys,
        },
    ]
}

/// The usr and sys legend at the top right of cores.png, each swatch beside
/// its label.
fn draw_cores_legend(area: &Area<'_>) -> Result<()> {
    for (i, line) in core_lines().iter().enumerate() {
        let x = CHART_WIDTH as i32 - 250 + i as i32 * 120;
        area.draw(&Rectangle::new(
            [(x, 24), (x + 28, 29)],
            line.color.filled(),
        ))
        .map_err(err)?;
        let style = font(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(line.name.to_string(), (x + 34, 27), style))
            .map_err(err)?;
    }
    Ok(())
}

/// What every panel of cores.png shares: the trace, its columns merged to the
/// panels' width, the seconds of the time axis's unit, and whether panels are
/// small.
struct CoresDrawing<'a> {
    summary: &'a TraceSummary,
    columns: &'a [Column],
    seconds: f64,
    small: bool,
}

impl CoresDrawing<'_> {
    /// One CPU's (or merged CPUs') panel: 0–100 % over the trace's time (in
    /// the time axis's unit), a step line per [`core_lines`] (flat over each
    /// column's time), the workload's start and end dashed.
    fn panel(&self, panel: &Area<'_>, row: &CpuRow) -> Result<()> {
        let summary = self.summary;
        let seconds = self.seconds;
        let x_end = summary.last_t.max(summary.first_t + 1e-3) / seconds;
        let size = if self.small {
            TICK_SIZE - 2.0
        } else {
            TICK_SIZE
        };
        let mut chart = ChartBuilder::on(panel)
            .margin(6)
            .caption(row.label(), font(size))
            .x_label_area_size(if self.small { 20 } else { 24 })
            .y_label_area_size(if self.small { 34 } else { 40 })
            .build_cartesian_2d(summary.first_t / seconds..x_end, 0f64..100f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_labels(if self.small { 3 } else { 5 })
            .y_labels(3)
            .x_label_formatter(&|x| format!("{}", (x * 100.0).round() / 100.0))
            .y_label_formatter(&|p| format!("{p:.0}"))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
            .label_style(font(size))
            .draw()
            .map_err(err)?;
        for line in core_lines() {
            let points = steps(self.columns, row, line.value)
                .into_iter()
                .map(|(t, v)| (t / seconds, v));
            chart
                .draw_series(LineSeries::new(points, line.color.stroke_width(2)))
                .map_err(err)?;
        }
        for kind in [EventKind::WorkloadStart, EventKind::WorkloadEnd] {
            if let Some(t) = summary.event_time(kind) {
                let x = t / seconds;
                let line =
                    DashedLineSeries::new([(x, 0.0), (x, 100.0)], 5, 4, BLACK.stroke_width(1));
                chart.draw_series(line).map_err(err)?;
            }
        }
        Ok(())
    }
}

/// A row's percentage over time as a step line: flat from each column's start
/// to its end, a vertical joint to the next; gaps without data are skipped.
fn steps(columns: &[Column], row: &CpuRow, value: fn(&CpuLoad) -> f64) -> Vec<(f64, f64)> {
    let mut points = Vec::with_capacity(columns.len() * 2);
    for column in columns {
        if let Some(mean) = row.sums(&column.cpus).mean() {
            let v = value(&mean);
            points.push((column.t_start, v));
            points.push((column.t_end, v));
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::trace_summary::LoadSums;

    #[test]
    fn an_interval_is_drawn_flat_over_its_span() {
        let load = |usr: f64| {
            LoadSums::of(&CpuLoad {
                usr,
                idle: 100.0 - usr,
                ..CpuLoad::default()
            })
        };
        let column = |t_start: f64, t_end: f64, usr: f64| Column {
            t_end,
            samples: 1,
            cpus: vec![load(usr)],
            ..Column::empty(1, t_start)
        };
        let columns = [column(0.0, 1.0, 20.0), column(1.0, 2.5, 80.0)];
        let row = CpuRow {
            members: vec![0],
            first_cpu: 0,
            last_cpu: 0,
        };
        assert_eq!(
            steps(&columns, &row, CpuLoad::user),
            vec![(0.0, 20.0), (1.0, 20.0), (1.0, 80.0), (2.5, 80.0)]
        );
    }

    #[test]
    fn row_labels_are_never_closer_than_a_line_of_text() {
        for row_h in MIN_ROW_HEIGHT..=22 {
            assert!(label_every(row_h) as i32 * row_h >= LABEL_PITCH, "{row_h}");
        }
        assert!(
            LABEL_PITCH as f64 >= (TICK_SIZE / 1.24).ceil(),
            "the pitch holds a line"
        );
    }
}
