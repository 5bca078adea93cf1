//! The charts, drawn with plotters into a [`Recording`] (see `canvas`) that
//! becomes a PNG at any pixel density or inline SVG: `heatmap.png` (busy % and
//! kernel % per CPU over time, with axes, labels and legends) and `cores.png`
//! (one small panel per CPU with its usr and sys lines). Sweeps add
//! `speedup.png`. PNG text uses DejaVu Sans, embedded in the binary.

use std::sync::OnceLock;

use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Canvas, FONT, Recording, record};
use super::color::{BUSY, KERNEL, Ramp, Rgb};
use super::timeaxis::{TimeAxis, nice_ticks};
use crate::model::{CpuLoad, EventKind};
use crate::summary::trace_summary::{CpuRow, TraceSummary};

pub const FONT_FAMILY: &str = "sans-serif";

/// Registers the embedded font under the family the charts use (once).
pub fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    ok.then_some(())
        .ok_or_else(|| anyhow!("the embedded chart font could not be loaded"))
}

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

/// Layout of the heat map picture.
struct HeatLayout {
    left: i32,
    right: i32,
    top: i32,
    row_h: i32,
    gap: i32,
    panel_h: i32,
}

/// One heat-map panel: its title, color ramp and the percentage it shows.
struct Panel<'a> {
    name: &'a str,
    ramp: &'a Ramp,
    value: fn(&CpuLoad) -> f64,
}

/// Rows between CPU labels on a heat map whose rows merge several CPUs.
const MERGED_LABEL_EVERY: usize = 40;

/// The heat map: busy % on top, kernel % below, one row per CPU grouped by core
/// (or, past [`MAX_HEAT_ROWS`](crate::summary::trace_summary::MAX_HEAT_ROWS) CPUs, rows of neighbouring CPUs), so the picture
/// is at most about 1900 pixels high whatever the CPU count.
pub fn heatmap(summary: &TraceSummary, title: &str) -> Result<Recording> {
    let groups = summary.heat_rows();
    let rows = groups
        .iter()
        .map(|(_, rows)| rows.len())
        .sum::<usize>()
        .max(1) as i32;
    let group_gaps = (groups.len() as i32 - 1).max(0);
    let row_h = (420 / rows).clamp(2, 22);
    let gap = if row_h >= 6 { 3 } else { 0 };
    let panel_h = rows * row_h + group_gaps * gap;
    let layout = HeatLayout {
        left: 190,
        right: CHART_WIDTH as i32 - 110,
        top: 74,
        row_h,
        gap,
        panel_h,
    };
    let height = (layout.top + 2 * panel_h + 150) as u32;
    record(CHART_WIDTH, height, |area| {
        area.draw(&Text::new(title.to_string(), (20, 14), font(20.0)))
            .map_err(err)?;
        let merged = merged_note(summary, &groups);
        let busy_name = format!("busy % (all but idle and iowait){merged}");
        let kernel_name = format!("kernel % (sys + irq + softirq){merged}");
        let busy = Panel {
            name: &busy_name,
            ramp: &BUSY,
            value: CpuLoad::busy,
        };
        let kernel = Panel {
            name: &kernel_name,
            ramp: &KERNEL,
            value: CpuLoad::kernel,
        };
        let drawing = HeatDrawing {
            area,
            summary,
            layout: &layout,
            axis: TimeAxis::new(&summary.columns),
        };
        for (panel, offset) in [(busy, 0), (kernel, panel_h + 60)] {
            let top = layout.top + offset;
            drawing.panel(&groups, top, &panel)?;
            draw_legend(area, panel.ramp, layout.right + 30, top, panel_h.max(60))?;
        }
        drawing.time_axis(layout.top + panel_h + 60 + panel_h + 6)
    })
}

/// `, 8192 CPUs, 21 per row` when rows merge CPUs, else nothing.
fn merged_note(summary: &TraceSummary, groups: &[(String, Vec<CpuRow>)]) -> String {
    match groups.first().and_then(|(_, rows)| rows.first()) {
        Some(row) if row.is_merged() => format!(
            ", {} CPUs, {} per row",
            summary.meta.cpus.len(),
            row.members.len()
        ),
        _ => String::new(),
    }
}

/// Whether a row is labelled with its CPU: rows that merge CPUs one in
/// [`MERGED_LABEL_EVERY`]; others when rows are tall enough to read, every
/// row or as many as fit without overlapping.
fn row_labelled(layout: &HeatLayout, row: &CpuRow, row_index: usize) -> bool {
    if row.is_merged() {
        return row_index.is_multiple_of(MERGED_LABEL_EVERY);
    }
    let label_every = ((12 / layout.row_h.max(1)) as usize).max(1);
    layout.row_h >= 9 && row_index.is_multiple_of(label_every)
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
        let title = Text::new(panel.name.to_string(), (layout.left, top - 36), font(15.0));
        self.area.draw(&title).map_err(err)?;
        let mut y = top;
        let mut row_index = 0usize;
        for (label, rows) in groups {
            let group_top = y;
            for row in rows {
                let outside = self.summary.row_outside(row);
                self.row(panel, row, outside, y)?;
                if row_labelled(layout, row, row_index) {
                    self.row_label(row, outside, y)?;
                }
                y += layout.row_h;
                row_index += 1;
            }
            if !label.is_empty() && layout.row_h * rows.len() as i32 >= 12 {
                self.core_label(label, (group_top + y) / 2)?;
            }
            y += layout.gap;
        }
        let merged = groups
            .iter()
            .flat_map(|(_, rows)| rows)
            .any(CpuRow::is_merged);
        if layout.row_h < 9 && !merged {
            let text = format!("{} CPUs", self.summary.meta.cpus.len());
            self.left_label(text, top + layout.panel_h / 2)?;
        }
        self.markers(top)
    }

    /// A row's cells, each as wide as the time its column covers (at least a
    /// pixel), grey where the row has no data; a row `outside` the run's CPUs
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
    fn row_label(&self, row: &CpuRow, outside: bool, y: i32) -> Result<()> {
        let text = match outside {
            true => format!("cpu{} (not allowed)", row.first_cpu),
            false => format!("cpu{}", row.first_cpu),
        };
        self.left_label(text, y + self.layout.row_h / 2)
    }

    /// The core of a group of rows (`core 0` of `core 0 · package 0`), at the
    /// left edge.
    fn core_label(&self, label: &str, mid: i32) -> Result<()> {
        let core = label.split(" · ").next().unwrap_or(label).to_string();
        let style = font(12.0).pos(Pos::new(HPos::Left, VPos::Center));
        self.area
            .draw(&Text::new(core, (12, mid), style))
            .map_err(err)
    }

    /// Text right-aligned against the maps' left edge.
    fn left_label(&self, text: String, y: i32) -> Result<()> {
        let style = font(12.0).pos(Pos::new(HPos::Right, VPos::Center));
        self.area
            .draw(&Text::new(text, (self.layout.left - 6, y), style))
            .map_err(err)
    }

    /// Workload start and end, as dashed-looking vertical lines.
    fn markers(&self, top: i32) -> Result<()> {
        for (kind, label) in [
            (EventKind::WorkloadStart, "start"),
            (EventKind::WorkloadEnd, "end"),
        ] {
            if let Some(t) = self.summary.event_time(kind) {
                let x = self.x_of(t);
                let mut yy = top - 4;
                while yy < top + self.layout.panel_h + 4 {
                    let dash = PathElement::new([(x, yy), (x, yy + 4)], BLACK.stroke_width(2));
                    self.area.draw(&dash).map_err(err)?;
                    yy += 7;
                }
                let style = font(11.0).pos(Pos::new(HPos::Center, VPos::Bottom));
                self.area
                    .draw(&Text::new(label.to_string(), (x, top - 5), style))
                    .map_err(err)?;
            }
        }
        Ok(())
    }

    /// The time axis under the maps, with round-numbered ticks.
    fn time_axis(&self, top: i32) -> Result<()> {
        let (area, layout) = (self.area, self.layout);
        area.draw(&PathElement::new(
            [(layout.left, top), (layout.right, top)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
        for tick in nice_ticks(self.summary.first_t, self.summary.last_t, 10) {
            let x = self.x_of(tick.t);
            area.draw(&PathElement::new(
                [(x, top), (x, top + 5)],
                BLACK.stroke_width(1),
            ))
            .map_err(err)?;
            let style = font(12.0).pos(Pos::new(HPos::Center, VPos::Top));
            area.draw(&Text::new(tick.label, (x, top + 8), style))
                .map_err(err)?;
        }
        let style = font(13.0).pos(Pos::new(HPos::Center, VPos::Top));
        area.draw(&Text::new(
            "time since start".to_string(),
            ((layout.left + layout.right) / 2, top + 28),
            style,
        ))
        .map_err(err)?;
        Ok(())
    }
}

fn draw_legend(area: &Area<'_>, ramp: &Ramp, x: i32, top: i32, height: i32) -> Result<()> {
    for step in 0..height {
        let percent = 100.0 * (1.0 - step as f64 / (height - 1).max(1) as f64);
        area.draw(&Rectangle::new(
            [(x, top + step), (x + 16, top + step + 1)],
            rgb(ramp.at(percent)).filled(),
        ))
        .map_err(err)?;
    }
    area.draw(&Rectangle::new(
        [(x, top), (x + 16, top + height)],
        BLACK.stroke_width(1),
    ))
    .map_err(err)?;
    for (percent, dy) in [(100, 0), (50, height / 2), (0, height)] {
        let style = font(11.0).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(format!("{percent}%"), (x + 22, top + dy), style))
            .map_err(err)?;
    }
    Ok(())
}

/// Most panels cores.png draws: past this many CPUs, a panel shows a run of
/// neighbouring CPUs, so the picture (and its SVG in the page) stays small.
pub const MAX_CORE_PANELS: usize = 64;

/// One small panel per CPU with its usr (red) and sys (blue) percent over time;
/// past [`MAX_CORE_PANELS`] CPUs, one panel per run of neighbouring CPUs, so the
/// picture is at most 8 rows of 8 panels.
pub fn cores(summary: &TraceSummary, title: &str) -> Result<Recording> {
    let rows = summary.cpu_rows(MAX_CORE_PANELS);
    let (per_row, panel_h) = cores_grid(rows.len().max(1));
    let grid_rows = rows.len().max(1).div_ceil(per_row);
    let height = 80 + grid_rows as u32 * panel_h;
    record(CHART_WIDTH, height, |area| {
        area.draw(&Text::new(title.to_string(), (20, 14), font(20.0)))
            .map_err(err)?;
        draw_cores_legend(area)?;
        let body = area.margin(50, 10, 10, 10);
        let panels = body.split_evenly((grid_rows, per_row));
        for (row, panel) in rows.iter().zip(panels.iter()) {
            draw_core_panel(panel, summary, row, per_row >= 8)?;
        }
        Ok(())
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
        1 | 2 => 220,
        3 | 4 => 180,
        _ => 140,
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

/// The usr and sys legend at the top right of cores.png.
fn draw_cores_legend(area: &Area<'_>) -> Result<()> {
    for (i, line) in core_lines().iter().enumerate() {
        let x = CHART_WIDTH as i32 - 230 + i as i32 * 110;
        area.draw(&Rectangle::new(
            [(x, 22), (x + 26, 26)],
            line.color.filled(),
        ))
        .map_err(err)?;
        let style = font(13.0).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(line.name.to_string(), (x + 32, 24), style))
            .map_err(err)?;
    }
    Ok(())
}

/// One CPU's (or merged CPUs') panel: 0–100 % over the trace's time, a line
/// per [`core_lines`] through the middle of each column; `small` when the
/// panels are many and narrow.
fn draw_core_panel(
    panel: &Area<'_>,
    summary: &TraceSummary,
    row: &CpuRow,
    small: bool,
) -> Result<()> {
    let x_end = summary.last_t.max(summary.first_t + 1e-3);
    let mut chart = ChartBuilder::on(panel)
        .margin(4)
        .caption(row.label(), font(if small { 11.0 } else { 13.0 }))
        .x_label_area_size(if small { 14 } else { 20 })
        .y_label_area_size(if small { 22 } else { 30 })
        .build_cartesian_2d(summary.first_t..x_end, 0f64..100f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(4)
        .y_labels(3)
        .light_line_style(TRANSPARENT)
        .label_style(font(if small { 9.0 } else { 11.0 }))
        .draw()
        .map_err(err)?;
    for line in core_lines() {
        let points = summary.columns.iter().filter_map(|c| {
            let mean = row.sums(&c.cpus).mean()?;
            Some(((c.t_start + c.t_end) / 2.0, (line.value)(&mean)))
        });
        chart
            .draw_series(LineSeries::new(points, line.color.stroke_width(2)))
            .map_err(err)?;
    }
    Ok(())
}
