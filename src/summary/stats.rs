//! Repeated measurements boiled down: mean, sample standard deviation, median,
//! min and max; a ratio of two means with its propagated uncertainty (as
//! hyperfine prints "1.85 ± 0.03 times faster"); modified z-score outliers; and
//! the noise gate that decides whether two measurements differ at all.

use serde::Serialize;

/// Modified z-score beyond which a run is an outlier (Iglewicz and Hoaglin).
pub const OUTLIER_Z: f64 = 3.5;
/// How many standard deviations two means must be apart to count as different.
pub const SIGMAS: f64 = 2.0;

/// Repeated measurements of one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 for a single run.
    pub stddev: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

impl Spread {
    /// The figures of the finite values, `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let runs = sorted.len();
        let mean = sorted.iter().sum::<f64>() / runs as f64;
        let stddev = if runs > 1 {
            let squares: f64 = sorted.iter().map(|v| (v - mean).powi(2)).sum();
            (squares / (runs - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(Spread {
            mean,
            stddev,
            median: median_of_sorted(&sorted),
            min: sorted[0],
            max: sorted[runs - 1],
            runs,
        })
    }

    /// The same measurements multiplied by a positive factor (what they would
    /// be if the work scaled exactly by it).
    pub fn scaled(&self, factor: f64) -> Spread {
        Spread {
            mean: self.mean * factor,
            stddev: self.stddev * factor,
            median: self.median * factor,
            min: self.min * factor,
            max: self.max * factor,
            runs: self.runs,
        }
    }

    /// `1.234 ± 0.012` (or just the mean for one run), in `digits` decimals.
    pub fn plus_minus(&self, digits: usize) -> String {
        if self.runs > 1 {
            format!("{:.digits$} ± {:.digits$}", self.mean, self.stddev)
        } else {
            format!("{:.digits$}", self.mean)
        }
    }
}

/// A derived figure with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    pub value: f64,
    pub stddev: f64,
}

impl Ratio {
    /// The ratio scaled by a constant (its uncertainty scales with it).
    pub fn times(self, factor: f64) -> Ratio {
        Ratio {
            value: self.value * factor,
            stddev: self.stddev * factor.abs(),
        }
    }

    /// `1.85 ± 0.03`.
    pub fn plus_minus(&self, digits: usize) -> String {
        format!("{:.digits$} ± {:.digits$}", self.value, self.stddev)
    }
}

/// `a.mean / b.mean` with the relative deviations added in quadrature, as
/// hyperfine does; `None` when `b`'s mean is not positive.
pub fn ratio(a: &Spread, b: &Spread) -> Option<Ratio> {
    if b.mean <= 0.0 || a.mean < 0.0 {
        return None;
    }
    let value = a.mean / b.mean;
    let relative_a = if a.mean > 0.0 { a.stddev / a.mean } else { 0.0 };
    let relative_b = b.stddev / b.mean;
    Some(Ratio {
        value,
        stddev: value * (relative_a.powi(2) + relative_b.powi(2)).sqrt(),
    })
}

/// The median of some numbers (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    Spread::of(values).map(|s| s.median)
}

fn median_of_sorted(sorted: &[f64]) -> f64 {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// The modified z-score of each value: 0.6745 (x − median) / MAD, the MAD
/// (median absolute deviation) taken at least `resolution` so that values equal
/// up to the clock's resolution are never outliers.
pub fn modified_z_scores(values: &[f64], resolution: f64) -> Vec<f64> {
    let Some(center) = median(values) else {
        return vec![0.0; values.len()];
    };
    let deviations: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    let mad = median(&deviations).unwrap_or(0.0).max(resolution);
    if mad <= 0.0 {
        return vec![0.0; values.len()];
    }
    values.iter().map(|v| 0.6745 * (v - center) / mad).collect()
}

/// Indices of the values whose modified z-score exceeds [`OUTLIER_Z`].
pub fn outliers(values: &[f64], resolution: f64) -> Vec<usize> {
    modified_z_scores(values, resolution)
        .iter()
        .enumerate()
        .filter(|(_, z)| z.abs() > OUTLIER_Z)
        .map(|(i, _)| i)
        .collect()
}

/// Whether two measurements differ beyond their noise: both repeated, and
/// either their min–max ranges do not overlap or their means lie more than
/// [`SIGMAS`] combined standard deviations apart. A single run has no known
/// noise, so it is never distinguishable.
pub fn distinguishable(a: &Spread, b: &Spread) -> bool {
    if a.runs < 2 || b.runs < 2 {
        return false;
    }
    let apart = a.max < b.min || b.max < a.min;
    let combined = (a.stddev.powi(2) + b.stddev.powi(2)).sqrt();
    apart || (a.mean - b.mean).abs() > SIGMAS * combined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn spread_of_known_values() {
        let s = Spread::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert!(close(s.mean, 5.0));
        // Sum of squares 32 over n − 1 = 7.
        assert!(close(s.stddev, (32.0f64 / 7.0).sqrt()));
        assert!(close(s.median, 4.5));
        assert_eq!((s.min, s.max, s.runs), (2.0, 9.0, 8));
        let one = Spread::of(&[1.5]).unwrap();
        assert_eq!((one.stddev, one.median, one.runs), (0.0, 1.5, 1));
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[f64::NAN]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn ratio_propagates_relative_deviations() {
        let a = Spread::of(&[9.0, 10.0, 11.0]).unwrap(); // mean 10, sd 1
        let b = Spread::of(&[4.0, 5.0, 6.0]).unwrap(); // mean 5, sd 1
        let r = ratio(&a, &b).unwrap();
        assert!(close(r.value, 2.0));
        assert!(close(r.stddev, 2.0 * (0.01f64 + 0.04).sqrt()));
        assert_eq!(r.plus_minus(2), "2.00 ± 0.45");
        assert!(close(r.times(0.5).stddev, r.stddev * 0.5));
        let zero = Spread::of(&[0.0]).unwrap();
        assert_eq!(ratio(&a, &zero), None);
    }

    #[test]
    fn a_far_run_is_an_outlier_and_close_ones_are_not() {
        assert_eq!(outliers(&[1.00, 1.01, 0.99, 1.02, 3.0], 0.001), vec![4]);
        assert!(outliers(&[1.00, 1.01, 0.99, 1.02], 0.001).is_empty());
        // Equal up to the clock's resolution: no outlier although the MAD is 0.
        assert!(outliers(&[0.100, 0.100, 0.101], 0.001).is_empty());
        assert_eq!(outliers(&[0.100, 0.100, 0.200], 0.001), vec![2]);
        let z = modified_z_scores(&[1.0, 2.0, 3.0], 0.0);
        assert!(close(z[0], -0.6745) && close(z[1], 0.0) && close(z[2], 0.6745));
    }

    #[test]
    fn the_noise_gate() {
        let a = Spread::of(&[1.00, 1.02, 1.04]).unwrap();
        let apart = Spread::of(&[1.10, 1.12, 1.14]).unwrap();
        let overlapping = Spread::of(&[0.98, 1.03, 1.20]).unwrap();
        assert!(distinguishable(&a, &apart));
        assert!(!distinguishable(&a, &overlapping));
        // Ranges that touch, but means far apart in standard deviations.
        let mostly_low = Spread::of(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.3]).unwrap();
        let high = Spread::of(&[1.3, 1.3, 1.3, 1.3, 1.3]).unwrap();
        assert!(mostly_low.max >= high.min);
        assert!(distinguishable(&mostly_low, &high));
        // One run each: the noise is unknown.
        let one = Spread::of(&[1.0]).unwrap();
        let other = Spread::of(&[2.0]).unwrap();
        assert!(!distinguishable(&one, &other));
        // Scaled: 2 workers at exactly half the time of 1 are no different from ideal.
        let half = Spread::of(&[0.50, 0.51, 0.52]).unwrap();
        assert!(!distinguishable(&half, &a.scaled(0.5)));
        assert!(distinguishable(&half, &a));
    }
}
