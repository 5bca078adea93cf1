//! The sweep comparison: `speedup.png` (speedup against workers, the ideal line,
//! one line per mode/pinning and its fitted Amdahl or Gustafson curve) and the
//! comparison `report.html` (table, findings, small heat maps side by side).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use askama::Template;
use base64::Engine as _;
use plotters::prelude::*;

use super::charts::{FONT_FAMILY, render_png};
use super::html::{HeatMapView, count, heat_map, stylesheet};
use super::summarize_trace_columns;
use super::timeaxis::columns_span;
use crate::outdir::{self, REPORT_FILE};
use crate::sweep::{Comparison, Scaling, amdahl_speedup, findings, gustafson_speedup};

/// Line colors of the series, readable on white and in print.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0xd0, 0x1c, 0x1c),
    RGBColor(0x1f, 0x5f, 0xbf),
    RGBColor(0x1a, 0x98, 0x50),
    RGBColor(0x8e, 0x44, 0xad),
    RGBColor(0xe6, 0x7e, 0x22),
    RGBColor(0x2c, 0x3e, 0x50),
];

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {e}")
}

/// Speedup against workers, with the ideal line and each series' fitted curve.
pub fn speedup_png(comparison: &Comparison<'_>) -> Result<Vec<u8>> {
    let stats = comparison.stats;
    let max_workers = stats.iter().map(|s| s.workers).max().unwrap_or(1).max(2) as f64;
    let max_speedup = stats
        .iter()
        .filter_map(|s| s.speedup)
        .fold(0.0f64, f64::max);
    let y_top = (max_workers.max(max_speedup) * 1.1).ceil();
    let caption = match comparison.scaling {
        Scaling::Strong => "strong scaling: speedup = T(1 worker) / T(workers)",
        Scaling::Weak => "weak scaling: scaled speedup = workers × T(1) / T(workers)",
    };
    render_png(1200, 720, |area| {
        let mut chart = ChartBuilder::on(area)
            .margin(24)
            .caption(
                format!("{} — {caption}", comparison.title),
                (FONT_FAMILY, 20.0).into_font(),
            )
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..max_workers + 0.5, 0f64..y_top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("workers")
            .y_desc(match comparison.scaling {
                Scaling::Strong => "speedup",
                Scaling::Weak => "scaled speedup",
            })
            .axis_desc_style((FONT_FAMILY, 16.0))
            .label_style((FONT_FAMILY, 14.0))
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .draw()
            .map_err(err)?;
        let ideal = DashedLineSeries::new(
            [(0.0, 0.0), (max_workers + 0.5, max_workers + 0.5)],
            8,
            6,
            RGBColor(0x88, 0x88, 0x88).stroke_width(2),
        );
        chart
            .draw_series(ideal)
            .map_err(err)?
            .label("ideal")
            .legend(|(x, y)| {
                PathElement::new(
                    [(x, y), (x + 24, y)],
                    RGBColor(0x88, 0x88, 0x88).stroke_width(2),
                )
            });
        for (index, fit) in comparison.fits.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let mut points: Vec<(f64, f64)> = stats
                .iter()
                .filter(|s| s.series == fit.series)
                .filter_map(|s| s.speedup.map(|sp| (s.workers as f64, sp)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            if let Some(f) = fit.serial_fraction {
                let curve: Vec<(f64, f64)> = (10..=((max_workers + 0.5) * 10.0) as u32)
                    .map(|i| {
                        let w = i as f64 / 10.0;
                        let s = match comparison.scaling {
                            Scaling::Strong => amdahl_speedup(f, w),
                            Scaling::Weak => gustafson_speedup(f, w),
                        };
                        (w, s)
                    })
                    .collect();
                chart
                    .draw_series(DashedLineSeries::new(
                        curve,
                        3,
                        5,
                        color.mix(0.6).stroke_width(1),
                    ))
                    .map_err(err)?;
            }
            let label = match fit.serial_fraction {
                Some(f) => format!("{} (serial fraction {:.1}%)", fit.series, f * 100.0),
                None => fit.series.clone(),
            };
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], color.stroke_width(3))
                });
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 6, color.filled())))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(0xcc, 0xcc, 0xcc))
            .label_font((FONT_FAMILY, 15.0))
            .draw()
            .map_err(err)?;
        Ok(())
    })
}

#[derive(Template)]
#[template(path = "sweep.html")]
struct SweepPage {
    title: String,
    subtitle: String,
    tool: String,
    css: String,
    interrupted: bool,
    scaling: String,
    speedup_png: String,
    rows: Vec<SweepRow>,
    findings: Vec<String>,
    minis: Vec<Mini>,
    runs: Vec<RunRow>,
}

struct SweepRow {
    configuration: String,
    href: String,
    wall: String,
    user: String,
    sys: String,
    speedup: String,
    efficiency: String,
    time_ratio: String,
    runs: usize,
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
    dir: &Path,
    speedup_png: &[u8],
) -> Result<PathBuf> {
    let machine = comparison.machine;
    let rows = comparison
        .stats
        .iter()
        .map(|s| SweepRow {
            configuration: s.description.clone(),
            href: format!("{}/{REPORT_FILE}", s.dir),
            wall: format!("{:.3}", s.wall_s),
            user: format!("{:.3}", s.user_s),
            sys: format!("{:.3}", s.sys_s),
            speedup: s.speedup.map_or("—".into(), |v| format!("{v:.2}×")),
            efficiency: s
                .efficiency
                .map_or("—".into(), |v| format!("{:.0}%", v * 100.0)),
            time_ratio: s.time_ratio.map_or("—".into(), |v| format!("{v:.2}")),
            runs: s.runs,
        })
        .collect();
    let mut summaries = Vec::new();
    for s in comparison.stats {
        let trace = dir.join(&s.dir).join(crate::outdir::TRACE_FILE);
        let summary = summarize_trace_columns(&trace, 120)
            .with_context(|| format!("cannot read {}", trace.display()))?;
        summaries.push((s, summary));
    }
    // Side by side on one time scale: a run twice as long is drawn twice as wide.
    let span = summaries
        .iter()
        .map(|(_, summary)| columns_span(&summary.columns))
        .fold(0.0, f64::max);
    let minis = summaries
        .iter()
        .map(|(s, summary)| Mini {
            label: s.description.clone(),
            href: format!("{}/{REPORT_FILE}", s.dir),
            heat: heat_map(summary, false, span),
        })
        .collect();
    let runs = comparison
        .runs
        .iter()
        .map(|r| RunRow {
            configuration: r.configuration.clone(),
            repeat: r.repeat,
            href: format!("{}/{REPORT_FILE}", r.dir),
            status: r.status.clone(),
            wall: format!("{:.3}", r.wall_s),
            result: r.result.clone().unwrap_or_default(),
        })
        .collect();
    let page = SweepPage {
        title: comparison.title.clone(),
        subtitle: [
            machine.host.clone(),
            machine.cpu_model.clone(),
            format!(
                "{} on {}",
                count(machine.topology.logical_count(), "logical CPU"),
                count(machine.topology.physical_count(), "physical core")
            ),
            machine.kernel.clone(),
        ]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" · "),
        tool: format!("coreheat {}", env!("CARGO_PKG_VERSION")),
        css: stylesheet(),
        interrupted: comparison.interrupted,
        scaling: comparison.scaling.describe().to_string(),
        speedup_png: format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(speedup_png)
        ),
        rows,
        findings: findings(comparison),
        minis,
        runs,
    };
    let html = page.render().context("cannot lay out the sweep report")?;
    let path = dir.join(REPORT_FILE);
    outdir::write_atomically(&path, html.as_bytes())?;
    Ok(path)
}
