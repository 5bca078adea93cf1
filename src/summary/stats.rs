//! Repeated measurements boiled down: mean, sample standard deviation, median,
//! min and max; a ratio of two means with its propagated uncertainty (as
//! hyperfine prints "1.85 ± 0.03 times faster"); modified z-score outliers; and
//! the noise gate that decides whether two measurements differ at all. One
//! measurement has no known noise: its deviation is `None`, never 0.

use serde::Serialize;

/// Modified z-score (deviation from the median over the median absolute
/// deviation) beyond which a run is an outlier: hyperfine's threshold, ten
/// standard deviations of a normal distribution (1.4826 MAD each).
pub const OUTLIER_Z: f64 = 1.4826 * 10.0;
/// The fewest values among which one can be an outlier.
pub const OUTLIER_MIN_VALUES: usize = 3;
/// How many standard errors of their difference two means must be apart to
/// count as different (besides their min–max ranges being apart).
pub const STANDARD_ERRORS: f64 = 3.0;

/// Repeated measurements of one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub mean: f64,
    /// Sample standard deviation (n − 1); `None` for a single run, whose
    /// noise is unknown.
    pub stddev: Option<f64>,
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
        let stddev = (runs > 1).then(|| {
            let squares: f64 = sorted.iter().map(|v| (v - mean).powi(2)).sum();
            (squares / (runs - 1) as f64).sqrt()
        });
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
            stddev: self.stddev.map(|sd| sd * factor),
            median: self.median * factor,
            min: self.min * factor,
            max: self.max * factor,
            runs: self.runs,
        }
    }

    /// `1.234 ± 0.012` (or just the mean for one run), in `digits` decimals.
    pub fn plus_minus(&self, digits: usize) -> String {
        with_deviation(self.mean, self.stddev, digits)
    }

    /// Seconds for a sentence: `0.627 ± 0.114 s`, or `0.450 s` for one run.
    pub fn seconds(&self) -> String {
        format!("{} s", self.plus_minus(3))
    }
}

/// `value ± deviation`, or the value alone when the deviation is unknown.
fn with_deviation(value: f64, deviation: Option<f64>, digits: usize) -> String {
    match deviation {
        Some(sd) => format!("{value:.digits$} ± {sd:.digits$}"),
        None => format!("{value:.digits$}"),
    }
}

/// A derived figure with its uncertainty (`None` when a measurement it comes
/// from had one run: the noise is unknown).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    pub value: f64,
    pub stddev: Option<f64>,
}

impl Ratio {
    /// The ratio scaled by a constant (its uncertainty scales with it).
    pub fn times(self, factor: f64) -> Ratio {
        Ratio {
            value: self.value * factor,
            stddev: self.stddev.map(|sd| sd * factor.abs()),
        }
    }

    /// `1.85 ± 0.03`, or `1.85` when the uncertainty is unknown.
    pub fn plus_minus(&self, digits: usize) -> String {
        with_deviation(self.value, self.stddev, digits)
    }
}

/// `a.mean / b.mean` with the relative deviations added in quadrature, as
/// hyperfine does (unknown when either is); `None` when `b`'s mean is not
/// positive.
pub fn ratio(a: &Spread, b: &Spread) -> Option<Ratio> {
    if b.mean <= 0.0 || a.mean < 0.0 {
        return None;
    }
    let value = a.mean / b.mean;
    let stddev = match (a.stddev, b.stddev) {
        (Some(sd_a), Some(sd_b)) => {
            let relative_a = if a.mean > 0.0 { sd_a / a.mean } else { 0.0 };
            let relative_b = sd_b / b.mean;
            Some(value * (relative_a.powi(2) + relative_b.powi(2)).sqrt())
        }
        _ => None,
    };
    Some(Ratio { value, stddev })
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

/// The modified z-score of each value as hyperfine computes it:
/// (x − median) / MAD, the MAD (median absolute deviation) taken at least
/// `resolution`, the clock's, so that a score stays finite.
pub fn modified_z_scores(values: &[f64], resolution: f64) -> Vec<f64> {
    let Some(center) = median(values) else {
        return vec![0.0; values.len()];
    };
    let deviations: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    let mad = median(&deviations).unwrap_or(0.0).max(resolution);
    if mad <= 0.0 {
        return vec![0.0; values.len()];
    }
    values.iter().map(|v| (v - center) / mad).collect()
}

/// Indices of the outliers among at least [`OUTLIER_MIN_VALUES`] values: a
/// modified z-score beyond [`OUTLIER_Z`] and a distance from the median of
/// more than twice the clock's `resolution` (a value one tick away is not far).
pub fn outliers(values: &[f64], resolution: f64) -> Vec<usize> {
    if values.len() < OUTLIER_MIN_VALUES {
        return Vec::new();
    }
    let Some(center) = median(values) else {
        return Vec::new();
    };
    modified_z_scores(values, resolution)
        .iter()
        .zip(values)
        .enumerate()
        .filter(|(_, (z, v))| z.abs() > OUTLIER_Z && (*v - center).abs() > 2.0 * resolution)
        .map(|(i, _)| i)
        .collect()
}

/// Whether two measurements differ beyond their noise: both repeated, their
/// min–max ranges apart, and their means more than [`STANDARD_ERRORS`]
/// standard errors of the difference apart (√(sd_a²/n_a + sd_b²/n_b)). A
/// single run has no known noise, so it is never distinguishable.
pub fn distinguishable(a: &Spread, b: &Spread) -> bool {
    let (Some(sd_a), Some(sd_b)) = (a.stddev, b.stddev) else {
        return false;
    };
    let apart = a.max < b.min || b.max < a.min;
    let standard_error = (sd_a.powi(2) / a.runs as f64 + sd_b.powi(2) / b.runs as f64).sqrt();
    apart && (a.mean - b.mean).abs() > STANDARD_ERRORS * standard_error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn spread(values: &[f64]) -> Spread {
        Spread::of(values).unwrap()
    }

    #[test]
    fn spread_of_known_values() {
        let s = spread(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert!(close(s.mean, 5.0));
        // Sum of squares 32 over n − 1 = 7.
        assert!(close(s.stddev.unwrap(), (32.0f64 / 7.0).sqrt()));
        assert!(close(s.median, 4.5));
        assert_eq!((s.min, s.max, s.runs), (2.0, 9.0, 8));
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[f64::NAN]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    /// One run has no known noise: no deviation, and none shown as "± 0".
    #[test]
    fn one_run_has_no_deviation() {
        let one = spread(&[1.5]);
        assert_eq!((one.stddev, one.median, one.runs), (None, 1.5, 1));
        assert_eq!(one.plus_minus(2), "1.50");
        assert_eq!(one.seconds(), "1.500 s");
        assert_eq!(one.scaled(2.0).stddev, None);
        let three = spread(&[1.0, 1.0, 1.0]);
        assert_eq!(three.plus_minus(2), "1.00 ± 0.00", "known to be small");
        let r = ratio(&three, &one).unwrap();
        assert_eq!((r.value, r.stddev), (1.0 / 1.5, None));
        assert_eq!(r.times(100.0).plus_minus(0), "67");
    }

    #[test]
    fn ratio_propagates_relative_deviations() {
        let a = spread(&[9.0, 10.0, 11.0]); // mean 10, sd 1
        let b = spread(&[4.0, 5.0, 6.0]); // mean 5, sd 1
        let r = ratio(&a, &b).unwrap();
        assert!(close(r.value, 2.0));
        assert!(close(r.stddev.unwrap(), 2.0 * (0.01f64 + 0.04).sqrt()));
        assert_eq!(r.plus_minus(2), "2.00 ± 0.45");
        assert!(close(r.times(0.5).stddev.unwrap(), r.stddev.unwrap() * 0.5));
        let zero = spread(&[0.0]);
        assert_eq!(ratio(&a, &zero), None);
    }

    #[test]
    fn a_far_run_is_an_outlier_and_close_ones_are_not() {
        assert_eq!(outliers(&[1.00, 1.01, 0.99, 1.02, 3.0], 0.001), vec![4]);
        assert!(outliers(&[1.00, 1.01, 0.99, 1.02], 0.001).is_empty());
        // hyperfine's own example: one of five far from the rest.
        assert_eq!(outliers(&[0.5, 0.30, 0.29, 0.31, 0.30], 0.001), vec![0]);
        // Equal up to the clock's resolution: no outlier although the MAD is 0.
        assert!(outliers(&[0.100, 0.100, 0.101], 0.001).is_empty());
        assert!(outliers(&[0.100, 0.100, 0.102], 0.001).is_empty());
        assert_eq!(outliers(&[0.100, 0.100, 0.200], 0.001), vec![2]);
        let z = modified_z_scores(&[1.0, 2.0, 4.0], 0.0);
        assert!(close(z[0], -1.0) && close(z[1], 0.0) && close(z[2], 2.0));
    }

    /// With three runs the MAD is the smaller of two deviations, so small
    /// noise alone must not make the larger one an outlier; a run three times
    /// slower is one.
    #[test]
    fn three_runs_of_small_noise_have_no_outlier() {
        for noisy in [
            [1.000, 1.010, 1.020],
            [1.000, 1.001, 1.012],
            [0.5, 0.5, 0.5],
        ] {
            assert!(outliers(&noisy, 0.001).is_empty(), "{noisy:?}");
        }
        assert_eq!(outliers(&[1.000, 1.010, 3.030], 0.001), vec![2]);
        assert_eq!(outliers(&[3.0, 1.0, 1.01], 0.001), vec![0]);
        // Fewer than three runs: no median to be far from.
        assert!(outliers(&[1.0, 3.0], 0.001).is_empty());
    }

    #[test]
    fn the_noise_gate() {
        let a = spread(&[1.00, 1.02, 1.04]);
        let apart = spread(&[1.10, 1.12, 1.14]);
        let overlapping = spread(&[0.98, 1.03, 1.20]);
        assert!(distinguishable(&a, &apart));
        assert!(distinguishable(&apart, &a));
        assert!(!distinguishable(&a, &overlapping));
        // Ranges that touch: not apart, however far the means are in
        // standard deviations.
        let mostly_low = spread(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.3]);
        let high = spread(&[1.3, 1.3, 1.3, 1.3, 1.3]);
        assert!(!distinguishable(&mostly_low, &high));
        // Ranges apart by a hair, but the means within 3 standard errors.
        let wide_low = spread(&[1.00, 1.10]);
        let wide_high = spread(&[1.11, 1.20]);
        assert!(wide_low.max < wide_high.min);
        assert!(!distinguishable(&wide_low, &wide_high));
        // One run each: the noise is unknown.
        assert!(!distinguishable(&spread(&[1.0]), &spread(&[2.0])));
        assert!(!distinguishable(&spread(&[1.0]), &apart));
        // Scaled: 2 workers at exactly half the time of 1 are no different from ideal.
        let half = spread(&[0.50, 0.51, 0.52]);
        assert!(!distinguishable(&half, &a.scaled(0.5)));
        assert!(distinguishable(&half, &a));
    }
}
