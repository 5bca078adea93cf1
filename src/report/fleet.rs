//! The fleet view of a report with traces of two hosts or more: one strip per
//! host of its mean busy over time, then the quantized heat map of all their
//! CPUs together, on the page's one wall-clock axis; drawn into the page as
//! SVG, with the fleet's findings and a table of hosts.

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Recording, record};
use super::charts::{CHART_WIDTH, TICK_SIZE, draw_caption, draw_time_axis, draw_title, err, font};
use super::color::BUSY;
use super::quantized::{BAND_H, LEFT, draw_bands, right_edge};
use super::timeaxis::TimeAxis;
use crate::summary::findings::Finding;
use crate::summary::fleet::FleetSummary;
use crate::summary::trace_summary::BUSY_BANDS;

/// Where the host strips start.
const TOP: i32 = 70;
/// Points of all host strips together, at most.
const STRIPS_H: i32 = 480;

/// What the page shows of the fleet.
pub struct FleetView {
    pub svg: String,
    pub findings: Vec<Finding>,
    /// The findings about one host, for its sections: (host, finding).
    pub host_findings: Vec<(String, Finding)>,
    /// Why the hosts are not compared, when they did not run side by side.
    pub not_compared: Option<String>,
    /// Host, CPUs, mean busy.
    pub hosts: Vec<(String, usize, String)>,
}

/// The fleet's part of the page.
pub fn fleet_view(fleet: &FleetSummary) -> Result<FleetView> {
    let chart = fleet_chart(fleet)?;
    Ok(FleetView {
        svg: chart.svg(
            "mean busy of each host over time, and how many CPUs of all hosts were how busy",
        )?,
        findings: fleet.findings.clone(),
        host_findings: fleet.host_findings.clone(),
        not_compared: fleet.not_compared.clone(),
        hosts: fleet
            .hosts
            .iter()
            .map(|h| {
                let busy = h
                    .mean_busy
                    .map_or("no data".to_string(), |b| format!("{b:.1} %"));
                (crate::util::text::printable(&h.host), h.cpus, busy)
            })
            .collect(),
    })
}

/// Host strips: as high as fits [`STRIPS_H`], 3 to 24 points each.
fn strip_height(hosts: usize) -> i32 {
    (STRIPS_H / hosts.max(1) as i32).clamp(3, 24)
}

/// The picture: host strips, the bands of all CPUs, the time axis, a caption.
pub fn fleet_chart(fleet: &FleetSummary) -> Result<Recording> {
    let row_h = strip_height(fleet.hosts.len());
    let bands_top = TOP + row_h * fleet.hosts.len() as i32 + 70;
    let bottom = bands_top + BUSY_BANDS as i32 * BAND_H;
    let height = bottom + 130;
    let right = right_edge();
    let axis = TimeAxis::aligned(0.0, fleet.span);
    let x_of = |t: f64| LEFT + (axis.fraction(t) * (right - LEFT) as f64).round() as i32;
    record(CHART_WIDTH, height as u32, |area| {
        draw_title(
            area,
            &format!("fleet: {} hosts, {} CPUs", fleet.hosts.len(), fleet.cpus),
        )?;
        let width = fleet.span / fleet.columns.len().max(1) as f64;
        for (index, host) in fleet.hosts.iter().enumerate() {
            let y = TOP + index as i32 * row_h;
            for (j, busy) in host.busy.iter().enumerate() {
                let x0 = x_of(j as f64 * width);
                let x1 = x_of((j + 1) as f64 * width).max(x0 + 1);
                let color = match busy {
                    Some(busy) => {
                        let c = BUSY.at(*busy);
                        RGBColor(c.0, c.1, c.2)
                    }
                    None => RGBColor(0xd8, 0xd8, 0xd8),
                };
                let cell = Rectangle::new([(x0, y), (x1, y + row_h - 1)], color.filled());
                area.draw(&cell).map_err(err)?;
            }
            if row_h >= 9 {
                let style = font(TICK_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
                let label = crate::util::text::printable(&host.host);
                area.draw(&Text::new(label, (LEFT - 8, y + row_h / 2), style))
                    .map_err(err)?;
            }
        }
        draw_bands(area, &fleet.columns, fleet.cpus, bands_top, &x_of)?;
        let axis_title = draw_time_axis(area, (0.0, fleet.span), (LEFT, right), bottom, &x_of)?;
        let caption = format!(
            "Top: one strip per host, its CPUs' mean busy % (grey: no data). Bottom: all {} \
             CPUs of the {} hosts,\neach cell how many were that busy (busy = all but idle and \
             iowait); x: {axis_title}, each trace placed by its start time.",
            fleet.cpus,
            fleet.hosts.len()
        );
        draw_caption(area, &caption, height)
    })
}
