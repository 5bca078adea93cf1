//! The quantized heat map of many CPUs (after Brendan Gregg's utilization
//! heat maps): time across, busy % in bands of 10 % up, and each cell's color
//! the number of CPUs that were that busy then. With thousands of CPUs a row
//! per CPU is a hairline; ten bands always read.

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Canvas, Recording, record};
use super::charts::{
    CHART_WIDTH, LABEL_SIZE, Legend, TICK_SIZE, dashed_line, draw_caption, draw_time_axis,
    draw_title, err, font,
};
use super::color::{COUNT, Rgb, count_level};
use super::timeaxis::TimeAxis;
use crate::model::EventKind;
use crate::summary::trace_summary::{BUSY_BANDS, TraceSummary};

/// Points per band.
const BAND_H: i32 = 36;

/// Where the bands lie in the picture.
const LEFT: i32 = 150;
const TOP: i32 = 110;

/// The quantized heat map as a picture: a short title, the bands with their
/// busy % on the left, the time axis, a legend of CPU counts and a caption.
pub fn quantized_heatmap(summary: &TraceSummary, title: &str) -> Result<Recording> {
    let right = CHART_WIDTH as i32 - 150;
    let bottom = TOP + BUSY_BANDS as i32 * BAND_H;
    let height = bottom + 140;
    record(CHART_WIDTH, height as u32, |area| {
        draw_title(area, title)?;
        let style = font(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Bottom));
        let heading = "how many CPUs were how busy".to_string();
        area.draw(&Text::new(heading, (LEFT, TOP - 44), style))
            .map_err(err)?;
        let axis = TimeAxis::new(&summary.columns);
        let x_of = |t: f64| LEFT + (axis.fraction(t) * (right - LEFT) as f64).round() as i32;
        draw_bands(area, summary, &x_of)?;
        for kind in [EventKind::WorkloadStart, EventKind::WorkloadEnd] {
            if let Some(t) = summary.event_time(kind) {
                dashed_line(area, x_of(t), TOP - 4, bottom + 4)?;
            }
        }
        let axis_title = draw_time_axis(area, summary, (LEFT, right), bottom, &x_of)?;
        count_legend().draw_bar(
            area,
            |fraction| rgb(COUNT.at(100.0 * fraction)),
            "CPUs",
            &count_marks(summary.meta.cpus.len(), BUSY_BANDS as i32 * BAND_H),
        )?;
        let bin = summary.columns.first().map_or(1, |c| c.samples);
        let caption = format!(
            "{} CPUs, too many for a row each: each cell is how many of them were that busy \
             (busy = all but idle and iowait),\nthe mean of {bin} sample{} per column; x: {axis_title}; \
             dashed: the workload's start and end. report.html has the map per CPU.",
            summary.meta.cpus.len(),
            if bin == 1 { "" } else { "s" }
        );
        draw_caption(area, &caption, height)
    })
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// The legend bar of CPU counts, right of the bands.
fn count_legend() -> Legend {
    Legend {
        x: CHART_WIDTH as i32 - 122,
        top: TOP,
        height: BUSY_BANDS as i32 * BAND_H,
    }
}

/// The counts marked beside a legend bar `height` points high: all CPUs at
/// the top, a quarter of them half-way (the ramp follows the square root of
/// the share), none at the bottom.
fn count_marks(cpus: usize, height: i32) -> Vec<(String, i32)> {
    let mut marks = vec![(cpus.to_string(), 0)];
    if cpus >= 4 {
        marks.push(((cpus / 4).to_string(), height / 2));
    }
    marks.push(("0".to_string(), height));
    marks
}

/// The bands, 90–100 % on top, each column's cell colored by its count, and
/// each band's busy % at its left.
fn draw_bands(area: &Canvas<'_>, summary: &TraceSummary, x_of: &dyn Fn(f64) -> i32) -> Result<()> {
    let cpus = summary.meta.cpus.len() as f64;
    for band in 0..BUSY_BANDS {
        let y = TOP + (BUSY_BANDS - 1 - band) as i32 * BAND_H;
        for column in &summary.columns {
            let x0 = x_of(column.t_start);
            let x1 = x_of(column.t_end).max(x0 + 1);
            let level = count_level(column.cpus_in_band(band), cpus);
            let cell = Rectangle::new([(x0, y), (x1, y + BAND_H)], rgb(COUNT.at(level)).filled());
            area.draw(&cell).map_err(err)?;
        }
        let style = font(TICK_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
        let label = format!("{}–{}", band * 10, band * 10 + 10);
        area.draw(&Text::new(label, (LEFT - 8, y + BAND_H / 2), style))
            .map_err(err)?;
    }
    let style = font(LABEL_SIZE).pos(Pos::new(HPos::Right, VPos::Bottom));
    area.draw(&Text::new("% busy".to_string(), (LEFT - 8, TOP - 8), style))
        .map_err(err)
}
