//! Where a time falls on a heat map, and round-numbered time ticks for the
//! axis. Time is drawn to scale: a column is as wide as the time it covers (the
//! last interval of a run is shorter, a baseline may be shorter than the
//! interval), and maps drawn on one page can share one scale, so a 3.8 s run is
//! half as long as a 7.6 s one.

use crate::summary::trace_summary::Column;

/// Maps seconds to a 0..=1 position across a drawing `span` seconds wide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeAxis {
    start: f64,
    span: f64,
    /// Seconds from the page's time 0 to the trace's, when aligned.
    offset: Option<f64>,
}

impl TimeAxis {
    /// The columns' own time range, drawn to the full width.
    pub fn new(columns: &[Column]) -> TimeAxis {
        TimeAxis::shared(columns, 0.0)
    }

    /// The columns' time range on a drawing `span` seconds wide (the longest
    /// map of a page), or their own span when that is longer.
    pub fn shared(columns: &[Column], span: f64) -> TimeAxis {
        let start = columns.first().map_or(0.0, |c| c.t_start);
        TimeAxis {
            start,
            span: span.max(columns_span(columns)),
            offset: None,
        }
    }

    /// A trace whose time 0 is `offset` seconds after the page's, on a
    /// drawing `span` seconds of the page wide: traces of several machines
    /// on one wall-clock axis.
    pub fn aligned(offset: f64, span: f64) -> TimeAxis {
        TimeAxis {
            start: -offset,
            span,
            offset: Some(offset),
        }
    }

    /// Seconds from the page's time 0 to the trace's time 0, when aligned.
    pub fn page_offset(&self) -> Option<f64> {
        self.offset
    }

    /// Seconds from the left edge to the right edge of the drawing.
    pub fn span(&self) -> f64 {
        self.span
    }

    /// Seconds from the drawing's left edge to `t`.
    pub fn offset(&self, t: f64) -> f64 {
        (t - self.start).clamp(0.0, self.span)
    }

    /// The position of `t`, 0 at the left edge and 1 at the right.
    pub fn fraction(&self, t: f64) -> f64 {
        if self.span > 0.0 {
            self.offset(t) / self.span
        } else {
            0.0
        }
    }
}

/// Seconds from the first column's start to the last column's end.
pub fn columns_span(columns: &[Column]) -> f64 {
    match (columns.first(), columns.last()) {
        (Some(first), Some(last)) => (last.t_end - first.t_start).max(0.0),
        _ => 0.0,
    }
}

/// A labelled time on the axis: a number in the axis's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub t: f64,
    pub label: String,
}

/// The ticks of a time axis and the unit their numbers are in.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeTicks {
    pub ticks: Vec<Tick>,
    /// `seconds`, `minutes` or `hours`.
    pub unit: &'static str,
    /// Seconds in the unit.
    pub seconds: f64,
}

impl TimeTicks {
    /// The axis's title: `seconds since start`.
    pub fn title(&self) -> String {
        format!("{} since start", self.unit)
    }
}

/// At most about `max` ticks at round times (1, 2, 5 × 10^k seconds, or whole
/// minutes and hours for long traces) between `start` and `end`, numbered in
/// seconds, minutes or hours as the step is.
pub fn nice_ticks(start: f64, end: f64, max: usize) -> TimeTicks {
    let span = end - start;
    if !span.is_finite() || span <= 0.0 || max == 0 {
        return TimeTicks {
            ticks: Vec::new(),
            unit: "seconds",
            seconds: 1.0,
        };
    }
    const STEPS: [f64; 20] = [
        0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
        3600.0, 7200.0, 10800.0, 21600.0, 43200.0,
    ];
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= max as f64)
        .unwrap_or_else(|| (span / max as f64 / 86400.0).ceil() * 86400.0);
    let (unit, seconds) = unit_of_step(step);
    let mut ticks = Vec::new();
    let mut k = (start / step).ceil() as i64;
    loop {
        let t = k as f64 * step;
        if t > end + 1e-9 {
            break;
        }
        let label = match step < 1.0 {
            true => format!("{t:.1}"),
            false => format!("{}", (t / seconds).round() as i64),
        };
        ticks.push(Tick { t, label });
        k += 1;
    }
    TimeTicks {
        ticks,
        unit,
        seconds,
    }
}

/// The unit ticks `step` seconds apart are numbered in, and its seconds.
pub fn unit_of_step(step: f64) -> (&'static str, f64) {
    if step >= 3600.0 {
        ("hours", 3600.0)
    } else if step >= 60.0 {
        ("minutes", 60.0)
    } else {
        ("seconds", 1.0)
    }
}

/// A coordinate for SVG: seconds to the millisecond, no trailing zeros.
pub fn svg_number(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(t_start: f64, t_end: f64) -> Column {
        Column {
            t_end,
            samples: 1,
            ..Column::empty(0, t_start)
        }
    }

    #[test]
    fn positions_are_proportional_to_time() {
        let columns = [column(0.0, 1.0), column(1.0, 1.25), column(1.25, 2.25)];
        let axis = TimeAxis::new(&columns);
        assert_eq!(axis.span(), 2.25);
        assert_eq!(axis.fraction(0.0), 0.0);
        assert!((axis.fraction(1.125) - 0.5).abs() < 1e-9);
        // The 0.25 s column is a quarter as wide as a 1 s one.
        let quarter = axis.fraction(1.25) - axis.fraction(1.0);
        let whole = axis.fraction(1.0) - axis.fraction(0.0);
        assert!((quarter * 4.0 - whole).abs() < 1e-9);
        assert_eq!(axis.fraction(99.0), 1.0);
    }

    #[test]
    fn maps_on_one_page_share_the_longest_span() {
        let short = [column(0.5, 4.3)];
        let axis = TimeAxis::shared(&short, 7.6);
        assert_eq!(axis.span(), 7.6);
        assert!((axis.fraction(4.3) - 0.5).abs() < 1e-9);
        assert_eq!(TimeAxis::shared(&short, 1.0).span(), 3.8);
    }

    #[test]
    fn ticks_are_round() {
        let ticks = nice_ticks(0.0, 12.0, 10);
        assert_eq!(
            ticks.ticks.iter().map(|t| t.t).collect::<Vec<_>>(),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
        );
        assert_eq!(ticks.title(), "seconds since start");
        let day = nice_ticks(0.0, 86400.0, 10);
        assert!(day.ticks.len() <= 10 && day.ticks.len() >= 4, "{day:?}");
        assert_eq!(day.ticks[1].label, "3");
        assert_eq!(day.title(), "hours since start");
        assert_eq!(nice_ticks(0.0, 600.0, 10).ticks[1].label, "1");
        assert!(nice_ticks(5.0, 5.0, 10).ticks.is_empty());
    }
}
