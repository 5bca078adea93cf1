//! Where a time falls on a heat map whose columns are bins of samples (not
//! necessarily of equal duration: the last interval of a run is shorter), and
//! round-numbered time ticks for the axis.

use super::model::Column;

/// Maps seconds to a 0..=1 position across the columns.
pub struct TimeAxis {
    /// (start, end) of each column.
    spans: Vec<(f64, f64)>,
}

impl TimeAxis {
    pub fn new(columns: &[Column]) -> TimeAxis {
        TimeAxis {
            spans: columns.iter().map(|c| (c.t_start, c.t_end)).collect(),
        }
    }

    /// The position of `t`, interpolated inside its column.
    pub fn fraction(&self, t: f64) -> f64 {
        let n = self.spans.len();
        if n == 0 {
            return 0.0;
        }
        if t <= self.spans[0].0 {
            return 0.0;
        }
        let index = self.spans.partition_point(|&(_, end)| end < t);
        if index >= n {
            return 1.0;
        }
        let (start, end) = self.spans[index];
        let within = if end > start {
            ((t - start) / (end - start)).clamp(0.0, 1.0)
        } else {
            1.0
        };
        (index as f64 + within) / n as f64
    }
}

/// A labelled time on the axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub t: f64,
    pub label: String,
}

/// At most about `max` ticks at round times (1, 2, 5 × 10^k seconds, or whole
/// minutes and hours for long traces) between `start` and `end`.
pub fn nice_ticks(start: f64, end: f64, max: usize) -> Vec<Tick> {
    let span = end - start;
    if !span.is_finite() || span <= 0.0 || max == 0 {
        return Vec::new();
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
    let mut ticks = Vec::new();
    let mut k = (start / step).ceil() as i64;
    loop {
        let t = k as f64 * step;
        if t > end + 1e-9 {
            break;
        }
        ticks.push(Tick {
            t,
            label: label(t, step),
        });
        k += 1;
    }
    ticks
}

fn label(t: f64, step: f64) -> String {
    if step >= 3600.0 {
        format!("{}h", (t / 3600.0).round() as i64)
    } else if step >= 60.0 {
        format!("{}m", (t / 60.0).round() as i64)
    } else if step < 1.0 {
        format!("{t:.1}s")
    } else {
        format!("{}s", t.round() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(t_start: f64, t_end: f64) -> Column {
        Column {
            t_start,
            t_end,
            samples: 1,
            cpus: Vec::new(),
        }
    }

    #[test]
    fn positions_follow_columns() {
        let axis = TimeAxis::new(&[column(0.0, 1.0), column(1.0, 2.0), column(2.0, 2.5)]);
        assert_eq!(axis.fraction(0.0), 0.0);
        assert!((axis.fraction(1.5) - 0.5).abs() < 1e-9);
        assert!((axis.fraction(2.25) - 2.5 / 3.0).abs() < 1e-9);
        assert_eq!(axis.fraction(99.0), 1.0);
    }

    #[test]
    fn ticks_are_round() {
        let ticks = nice_ticks(0.0, 12.0, 10);
        assert_eq!(
            ticks.iter().map(|t| t.t).collect::<Vec<_>>(),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
        );
        let day = nice_ticks(0.0, 86400.0, 10);
        assert!(day.len() <= 10 && day.len() >= 4, "{day:?}");
        assert_eq!(day[1].label, "3h");
        assert!(nice_ticks(5.0, 5.0, 10).is_empty());
    }
}
