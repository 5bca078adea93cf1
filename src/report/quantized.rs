//! The quantized heat map of many CPUs (after Brendan Gregg's utilization
//! heat maps): time across, busy % in bands of 10 % up, and each cell's color
//! the number of CPUs that were that busy then. With thousands of CPUs a row
//! per CPU is a hairline; ten bands always read. The CPUs are one trace's, or
//! those of a fleet of machines together (`report::fleet`).

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Canvas, Recording, record};
use super::charts::{
    CHART_WIDTH, LABEL_SIZE, Legend, TICK_SIZE, dashed_line, dashed_lines_said, draw_caption,
    draw_time_axis, draw_title, err, font,
};
use super::color::{COUNT, Rgb, count_level};
use super::timeaxis::TimeAxis;
use crate::model::EventKind;
use crate::summary::trace_summary::{BUSY_BANDS, BandColumn, TraceSummary};

/// Points per band.
pub(super) const BAND_H: i32 = 36;

/// Where the bands lie in the picture.
pub(super) const LEFT: i32 = 150;
const TOP: i32 = 110;

/// The right edge of the bands.
pub(super) fn right_edge() -> i32 {
    CHART_WIDTH as i32 - 150
}

/// The quantized heat map as a picture: a short title, the bands with their
/// busy % on the left, the time axis, a legend of CPU counts and a caption.
pub fn quantized_heatmap(summary: &TraceSummary, title: &str) -> Result<Recording> {
    let right = right_edge();
    let bottom = TOP + BUSY_BANDS as i32 * BAND_H;
    let height = bottom + 140;
    let columns: Vec<BandColumn> = summary.band_columns.iter().map(BandColumn::of).collect();
    let cpus = summary.meta.cpus.len();
    record(CHART_WIDTH, height as u32, |area| {
        draw_title(area, title)?;
        let axis = TimeAxis::new(&summary.band_columns);
        let x_of = |t: f64| LEFT + (axis.fraction(t) * (right - LEFT) as f64).round() as i32;
        draw_bands(area, &columns, cpus, TOP, &x_of)?;
        for kind in [EventKind::WorkloadStart, EventKind::WorkloadEnd] {
            if let Some(t) = summary.event_time(kind) {
                dashed_line(area, x_of(t), TOP - 4, bottom + 4)?;
            }
        }
        let times = (summary.first_t, summary.last_t);
        let axis_title = draw_time_axis(area, times, (LEFT, right), bottom, &x_of)?;
        let bin = summary.band_columns.first().map_or(1, |c| c.samples);
        let caption = format!(
            "{} CPUs, too many for a row each: each cell is how many of them were that busy \
             (busy = all but idle and iowait),\nthe mean of {bin} sample{} per column; x: {axis_title}{}. \
             report.html has the map per CPU.",
            summary.meta.cpus.len(),
            if bin == 1 { "" } else { "s" },
            dashed_lines_said(summary)
        );
        draw_caption(area, &caption, height)
    })
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
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

/// The bands from `top` down, 90–100 % on top, each column's cell colored by
/// how many of `cpus` CPUs were in the band, each band's busy % at its left,
/// and the legend of counts at the right.
pub(super) fn draw_bands(
    area: &Canvas<'_>,
    columns: &[BandColumn],
    cpus: usize,
    top: i32,
    x_of: &dyn Fn(f64) -> i32,
) -> Result<()> {
    for band in 0..BUSY_BANDS {
        let y = top + (BUSY_BANDS - 1 - band) as i32 * BAND_H;
        for column in columns {
            let x0 = x_of(column.t_start);
            let x1 = x_of(column.t_end).max(x0 + 1);
            let level = count_level(column.cpus[band], cpus as f64);
            let cell = Rectangle::new([(x0, y), (x1, y + BAND_H)], rgb(COUNT.at(level)).filled());
            area.draw(&cell).map_err(err)?;
        }
        let style = font(TICK_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
        let label = format!("{}–{}", band * 10, band * 10 + 10);
        area.draw(&Text::new(label, (LEFT - 8, y + BAND_H / 2), style))
            .map_err(err)?;
    }
    let style = font(LABEL_SIZE).pos(Pos::new(HPos::Right, VPos::Bottom));
    area.draw(&Text::new("% busy".to_string(), (LEFT - 8, top - 8), style))
        .map_err(err)?;
    let style = font(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Bottom));
    let heading = "how many CPUs were how busy".to_string();
    area.draw(&Text::new(heading, (LEFT, top - 44), style))
        .map_err(err)?;
    let legend = Legend {
        x: CHART_WIDTH as i32 - 122,
        top,
        height: BUSY_BANDS as i32 * BAND_H,
    };
    legend.draw_bar(
        area,
        |fraction| rgb(COUNT.at(100.0 * fraction)),
        "CPUs",
        &count_marks(cpus, BUSY_BANDS as i32 * BAND_H),
    )
}
