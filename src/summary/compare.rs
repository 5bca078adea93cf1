//! The numbers of a sweep: each configuration's runs boiled down (mean, standard
//! deviation, median, min, max), speedup and efficiency with their uncertainty,
//! outliers and runs too poor to fit, and the Amdahl or Gustafson serial
//! fraction over the worker counts up to the physical core count.

use serde::Serialize;

use crate::machine::Machine;
use crate::machine::pin::PinSpec;
use crate::machine::topology::Topology;
use crate::model::Status;
use crate::model::workload::WorkloadSpec;
use crate::summary::stats::{self, Ratio, Spread};
use crate::summary::sweep_runs::{Configuration, Placement, RunRecord, Scaling};
use crate::summary::warnings::Warning;
use crate::util::text::{join_and, plural};

/// Clock resolution of the recorded times (they are rounded to milliseconds).
const RESOLUTION_S: f64 = 0.001;
/// Run warnings that keep a configuration out of the fits: code, what it
/// means, what to do.
const UNFIT_WARNINGS: [(&str, &str, &str); 3] = [
    (
        "too-short",
        "had fewer than 3 samples inside the workload",
        "use a longer workload or a shorter --interval",
    ),
    (
        "underused",
        "got less CPU than the workers asked for",
        "measure on a quieter machine or with fewer workers",
    ),
    (
        "other-load",
        "shared the machine with other busy programs",
        "measure on a quieter machine",
    ),
];

/// CPU time (user + sys) above what the base's implies for the work, past
/// which a configuration's CPUs are taken to have run slower: 15 %.
pub const CPU_TIME_GROWTH: f64 = 0.15;

/// A configuration's runs boiled down.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigStats {
    pub series: String,
    pub label: String,
    pub description: String,
    pub workers: usize,
    /// The CPUs the workers were pinned to, or the CPUs allowed when unpinned.
    pub cpus: Vec<u32>,
    pub pinned: bool,
    /// Pinnings that resolved to the same CPUs and were not run again.
    pub same_as: Vec<String>,
    /// The pinning whose runs this configuration shares (the same CPUs, run
    /// once); `None` when it ran itself.
    pub shared_with: Option<String>,
    pub runs: usize,
    pub wall_s: Spread,
    pub user_s: Spread,
    pub sys_s: Spread,
    pub cpus_in_use: Option<Spread>,
    /// Strong: T(base)/T; weak: workers × T(base)/T (scaled speedup).
    pub speedup: Option<Ratio>,
    pub efficiency: Option<Ratio>,
    /// T / T(base).
    pub time_ratio: Option<Ratio>,
    /// Outliers and runs too poor to fit; each says what to do.
    pub warnings: Vec<Warning>,
    /// Used in the serial-fraction fit.
    pub in_fit: bool,
    /// Folder of the median run.
    pub dir: String,
}

impl ConfigStats {
    /// What marks the configuration in a table: runs shared with another
    /// pinning, and the codes of its warnings.
    pub fn marks(&self) -> Vec<String> {
        let mut marks: Vec<String> = Vec::new();
        if let Some(pin) = &self.shared_with {
            marks.push(format!("same CPUs as {pin}: shared run"));
        }
        for warning in &self.warnings {
            if !marks.iter().any(|m| m == warning.code) {
                marks.push(warning.code.to_string());
            }
        }
        marks
    }
}

/// The fitted serial fraction of one series.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesFit {
    pub series: String,
    pub base_workers: usize,
    /// The worker counts the fit used, smallest first.
    pub fit_workers: Vec<usize>,
    /// Two or more points could be fitted.
    pub fitted: bool,
    /// Amdahl (strong) or Gustafson (weak) serial fraction, 0..=1; stated
    /// only when some point differs from perfect scaling beyond the noise.
    pub serial_fraction: Option<f64>,
    /// Some fitted point's time differs from perfect scaling beyond its noise.
    pub beyond_noise: bool,
}

/// Speedup of `t` workers' time against the base: strong scaling assumes the
/// base (with `base_workers`) scaled perfectly from one worker.
pub fn speedup(
    scaling: Scaling,
    base_workers: usize,
    base: &Spread,
    workers: usize,
    t: &Spread,
) -> Option<Ratio> {
    if base.mean <= 0.0 {
        return None;
    }
    let ratio = stats::ratio(base, t)?;
    Some(match scaling {
        Scaling::Strong => ratio.times(base_workers as f64),
        Scaling::Weak => ratio.times(workers as f64),
    })
}

/// T(workers) / T(base) under perfect scaling.
pub fn ideal_factor(scaling: Scaling, base_workers: usize, workers: usize) -> f64 {
    match scaling {
        Scaling::Strong => base_workers as f64 / workers as f64,
        Scaling::Weak => 1.0,
    }
}

/// Amdahl's serial fraction f from (workers, speedup) points, by least squares
/// on 1/S − 1/w = f (1 − 1/w). Points at one worker carry no information.
pub fn amdahl_fraction(points: &[(usize, f64)]) -> Option<f64> {
    let (mut xy, mut xx) = (0.0, 0.0);
    for &(w, s) in points {
        if w < 2 || s <= 0.0 {
            continue;
        }
        let x = 1.0 - 1.0 / w as f64;
        let y = 1.0 / s - 1.0 / w as f64;
        xy += x * y;
        xx += x * x;
    }
    (xx > 0.0).then(|| (xy / xx).clamp(0.0, 1.0))
}

/// Gustafson's serial fraction f from (workers, scaled speedup) points, by least
/// squares on w − S = f (w − 1).
pub fn gustafson_fraction(points: &[(usize, f64)]) -> Option<f64> {
    let (mut xy, mut xx) = (0.0, 0.0);
    for &(w, s) in points {
        if w < 2 {
            continue;
        }
        let x = w as f64 - 1.0;
        xy += x * (w as f64 - s);
        xx += x * x;
    }
    (xx > 0.0).then(|| (xy / xx).clamp(0.0, 1.0))
}

/// Amdahl's speedup for a serial fraction.
pub fn amdahl_speedup(fraction: f64, workers: f64) -> f64 {
    1.0 / (fraction + (1.0 - fraction) / workers)
}

/// Gustafson's scaled speedup for a serial fraction.
pub fn gustafson_speedup(fraction: f64, workers: f64) -> f64 {
    workers - fraction * (workers - 1.0)
}

/// Everything the comparison pages are drawn from.
pub struct Comparison<'a> {
    pub title: String,
    pub machine: &'a Machine,
    pub spec: &'a WorkloadSpec,
    pub scaling: Scaling,
    pub stats: &'a [ConfigStats],
    pub fits: &'a [SeriesFit],
    pub runs: &'a [RunRecord],
    pub interrupted: bool,
    pub repeat: u32,
    /// The sweep command as typed (without `--title`), when known.
    pub command: Option<String>,
}

impl Comparison<'_> {
    /// Why there is nothing to compare, when no run finished: every page
    /// says it in place of its table and picture.
    pub fn nothing_to_compare(&self) -> Option<&'static str> {
        if !self.stats.is_empty() {
            return None;
        }
        Some(if self.interrupted {
            "The sweep was interrupted before any run finished: nothing to compare."
        } else {
            "No run finished: nothing to compare."
        })
    }
}

/// Groups runs by configuration, then computes speedup and efficiency per
/// series against its smallest worker count and fits the serial fraction on
/// the unmarked points whose workers each have a physical core of the
/// `topology` (at most as many workers as cores, none pinned to a sibling of
/// another's): SMT siblings and time-sliced workers are not the parallelism
/// the scaling laws describe. A configuration run once for several pinnings
/// (`same_as`) is a point of each of their series; the series come in the
/// order they are first met.
pub fn compare(
    scaling: Scaling,
    configurations: &[(Configuration, Placement)],
    runs: &[(usize, RunRecord)],
    topology: &Topology,
) -> (Vec<ConfigStats>, Vec<SeriesFit>) {
    let mut stats: Vec<ConfigStats> = configurations
        .iter()
        .enumerate()
        .filter_map(|(index, (configuration, placement))| {
            let mine: Vec<&RunRecord> = runs
                .iter()
                .filter(|(i, r)| *i == index && r.status == Status::Ok)
                .map(|(_, r)| r)
                .collect();
            let kept = config_stats(configuration, placement, &mine)?;
            let twins = shared_twins(configuration, &kept);
            Some(std::iter::once(kept).chain(twins))
        })
        .flatten()
        .collect();
    // Series in the order they are met, each one's worker counts in the order
    // they are met (a shared point follows the counts of the series it came from).
    let series_order = first_met(&stats, |s| s.series.clone());
    let worker_order = first_met(&stats, |s| s.workers);
    stats.sort_by_key(|s| {
        (
            series_order.iter().position(|name| *name == s.series),
            worker_order.iter().position(|&w| w == s.workers),
        )
    });
    let fits = series_order
        .iter()
        .filter_map(|series| fit_series(scaling, series, &mut stats, topology))
        .collect();
    (stats, fits)
}

/// Whether every configuration of `series` is another pinning's run (its
/// CPUs were the same at every worker count): the series repeats that one and
/// is neither drawn nor described again.
pub fn only_shared_runs(stats: &[ConfigStats], series: &str) -> bool {
    let mut of_series = stats.iter().filter(|s| s.series == series).peekable();
    of_series.peek().is_some() && of_series.all(|s| s.shared_with.is_some())
}

/// Each value of `key` over the configurations once, in the order met.
fn first_met<T: PartialEq>(stats: &[ConfigStats], key: impl Fn(&ConfigStats) -> T) -> Vec<T> {
    let mut order: Vec<T> = Vec::new();
    for s in stats {
        let value = key(s);
        if !order.contains(&value) {
            order.push(value);
        }
    }
    order
}

/// The points a configuration run once stands for in the series of the
/// pinnings merged into it: the same runs, marked as shared.
fn shared_twins(configuration: &Configuration, kept: &ConfigStats) -> Vec<ConfigStats> {
    kept.same_as
        .iter()
        .filter_map(|text| PinSpec::parse(text).ok())
        .map(|pin| {
            let twin = Configuration {
                pin,
                ..configuration.clone()
            };
            ConfigStats {
                series: twin.series(),
                label: twin.label(),
                description: twin.describe(),
                same_as: Vec::new(),
                shared_with: Some(configuration.pin.as_text()),
                ..kept.clone()
            }
        })
        .collect()
}

fn config_stats(
    configuration: &Configuration,
    placement: &Placement,
    runs: &[&RunRecord],
) -> Option<ConfigStats> {
    let wall_s = Spread::of(&runs.iter().map(|r| r.wall_s).collect::<Vec<_>>())?;
    let median_run = runs.iter().min_by(|a, b| {
        (a.wall_s - wall_s.median)
            .abs()
            .total_cmp(&(b.wall_s - wall_s.median).abs())
    })?;
    let of = |f: fn(&RunRecord) -> f64| Spread::of(&runs.iter().map(|r| f(r)).collect::<Vec<_>>());
    let in_use: Vec<f64> = runs.iter().filter_map(|r| r.cpus_in_use).collect();
    let mut warnings = outlier_warnings(runs, &wall_s);
    let unfit = unfit_warnings(runs);
    let in_fit = unfit.is_empty();
    warnings.extend(unfit);
    Some(ConfigStats {
        series: configuration.series(),
        label: configuration.label(),
        description: configuration.describe(),
        workers: configuration.workers,
        cpus: placement.cpus.clone(),
        pinned: placement.pinned,
        same_as: placement.same_as.clone(),
        shared_with: None,
        runs: runs.len(),
        wall_s,
        user_s: of(|r| r.user_s)?,
        sys_s: of(|r| r.sys_s)?,
        cpus_in_use: Spread::of(&in_use),
        speedup: None,
        efficiency: None,
        time_ratio: None,
        warnings,
        in_fit,
        dir: median_run.dir.clone(),
    })
}

/// A warning per run far from its configuration's median, saying what to do.
fn outlier_warnings(runs: &[&RunRecord], wall: &Spread) -> Vec<Warning> {
    let walls: Vec<f64> = runs.iter().map(|r| r.wall_s).collect();
    let scores = stats::modified_z_scores(&walls, RESOLUTION_S);
    stats::outliers(&walls, RESOLUTION_S)
        .into_iter()
        .map(|i| Warning {
            code: "outlier",
            message: format!(
                "run {} took {:.3}s, far from the median {:.3}s (modified z-score {:.1}): \
                 it may have been disturbed; measure on a quieter machine or with more --repeat",
                runs[i].repeat, runs[i].wall_s, wall.median, scores[i]
            ),
        })
        .collect()
}

/// Why a configuration's runs are kept out of the fits: too few samples inside
/// the workload, or a run that could not use its CPUs. Each says what to do.
fn unfit_warnings(runs: &[&RunRecord]) -> Vec<Warning> {
    UNFIT_WARNINGS
        .iter()
        .filter_map(|&(code, what, remedy)| {
            let hit: Vec<String> = runs
                .iter()
                .filter(|r| r.warnings.iter().any(|w| w.code == code))
                .map(|r| r.repeat.to_string())
                .collect();
            (!hit.is_empty()).then(|| Warning {
                code,
                message: format!(
                    "run{} {} {what} (the {code} warning of {} report): kept out of the fit; {remedy}",
                    if hit.len() == 1 { "" } else { "s" },
                    join_and(&hit),
                    if hit.len() == 1 { "its" } else { "their" }
                ),
            })
        })
        .collect()
}

/// A ratio known exactly, when its deviation is known at all.
fn exact(ratio: Ratio) -> Ratio {
    Ratio {
        stddev: ratio.stddev.map(|_| 0.0),
        ..ratio
    }
}

/// Whether a configuration's workers each had a physical core of their own:
/// no more workers than cores, and pinned to CPUs of distinct cores or left
/// to the scheduler.
pub fn one_per_core(topology: &Topology, s: &ConfigStats) -> bool {
    if s.workers > topology.physical_count() {
        return false;
    }
    if !s.pinned {
        return true;
    }
    let mut cores: Vec<Option<u32>> = s
        .cpus
        .iter()
        .map(|&cpu| topology.get(cpu).map(|c| c.core))
        .collect();
    let count = cores.len();
    cores.sort_unstable();
    cores.dedup();
    cores.len() == count && cores.iter().all(Option::is_some)
}

fn fit_series(
    scaling: Scaling,
    series: &str,
    stats: &mut [ConfigStats],
    topology: &Topology,
) -> Option<SeriesFit> {
    let (base_workers, base) = stats
        .iter()
        .filter(|s| s.series == series)
        .min_by_key(|s| s.workers)
        .map(|s| (s.workers, s.wall_s))?;
    let base_cpu_s = stats
        .iter()
        .find(|s| s.series == series && s.workers == base_workers)
        .map(|s| s.user_s.mean + s.sys_s.mean);
    let mut points = Vec::new();
    let mut beyond_noise = false;
    for s in stats.iter_mut().filter(|s| s.series == series) {
        if let Some(base_cpu_s) = base_cpu_s
            && one_per_core(topology, s)
        {
            mark_cpu_time_growth(scaling, base_workers, base_cpu_s, s);
        }
        // Speedup and efficiency are against one worker: without a 1-worker
        // run they would be made up, so only the time ratio is stated.
        s.speedup = (base_workers == 1)
            .then(|| speedup(scaling, base_workers, &base, s.workers, &s.wall_s))
            .flatten();
        s.time_ratio = stats::ratio(&s.wall_s, &base);
        if s.workers == base_workers {
            // The base against itself: exact by definition, no uncertainty.
            // (With one run its noise stays unknown.)
            s.speedup = s.speedup.map(exact);
            s.time_ratio = s.time_ratio.map(exact);
        }
        s.efficiency = s.speedup.map(|sp| sp.times(1.0 / s.workers as f64));
        if let Some(sp) = s.speedup
            && s.in_fit
            && one_per_core(topology, s)
        {
            points.push((s.workers, sp.value));
            let ideal = base.scaled(ideal_factor(scaling, base_workers, s.workers));
            beyond_noise |= s.workers != base_workers && stats::distinguishable(&s.wall_s, &ideal);
        }
    }
    let fraction = match scaling {
        Scaling::Strong => amdahl_fraction(&points),
        Scaling::Weak => gustafson_fraction(&points),
    };
    // Stated only when the times differ from perfect scaling beyond the noise.
    let serial_fraction = fraction.filter(|_| beyond_noise);
    // Configurations may come in any order (a library caller's).
    let mut fit_workers: Vec<usize> = points.iter().map(|p| p.0).collect();
    fit_workers.sort_unstable();
    Some(SeriesFit {
        series: series.to_string(),
        base_workers,
        fit_workers,
        fitted: fraction.is_some(),
        serial_fraction,
        beyond_noise,
    })
}

/// CPU time that grew with the workers beyond [`CPU_TIME_GROWTH`] for the same
/// work (strong scaling; weak scaling's work grows with the workers): each
/// CPU did less per second — shared caches or memory bandwidth, a lower clock,
/// another virtual machine on the host — so the slowdown is not serial code and
/// the configuration is kept out of the fit.
fn mark_cpu_time_growth(
    scaling: Scaling,
    base_workers: usize,
    base_cpu_s: f64,
    s: &mut ConfigStats,
) {
    let expected = match scaling {
        Scaling::Strong => base_cpu_s,
        Scaling::Weak => base_cpu_s * s.workers as f64 / base_workers as f64,
    };
    let cpu_s = s.user_s.mean + s.sys_s.mean;
    if s.workers == base_workers || expected <= 0.0 || cpu_s <= expected * (1.0 + CPU_TIME_GROWTH) {
        return;
    }
    let work = match scaling {
        Scaling::Strong => "the same work",
        Scaling::Weak => "the same work per worker",
    };
    s.in_fit = false;
    s.warnings.push(Warning {
        code: "cpu-time-grew",
        message: format!(
            "{} used {cpu_s:.2}s of CPU (user + sys) against {expected:.2}s expected from {} \
             for {work} (+{:.0}%): each CPU did less per second (shared caches or memory \
             bandwidth, a lower clock, or another virtual machine on the host), which is not \
             serial code; kept out of the fit",
            plural(s.workers, "worker"),
            plural(base_workers, "worker"),
            100.0 * (cpu_s / expected - 1.0)
        ),
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::machine::pin::PinSpec;
    use crate::model::workload::Mode;
    use crate::summary::sweep_runs::merge_equal;

    fn spread(values: &[f64]) -> Spread {
        Spread::of(values).unwrap()
    }

    #[test]
    fn amdahl_recovers_a_known_fraction() {
        let points: Vec<(usize, f64)> = [1usize, 2, 4, 8]
            .iter()
            .map(|&w| (w, amdahl_speedup(0.1, w as f64)))
            .collect();
        assert!((amdahl_fraction(&points).unwrap() - 0.1).abs() < 1e-9);
        assert_eq!(amdahl_fraction(&[(1, 1.0)]), None);
        let perfect = [(2, 2.0), (4, 4.0)];
        assert!(amdahl_fraction(&perfect).unwrap().abs() < 1e-12);
    }

    #[test]
    fn gustafson_recovers_a_known_fraction() {
        let points: Vec<(usize, f64)> = [1usize, 2, 4]
            .iter()
            .map(|&w| (w, gustafson_speedup(0.25, w as f64)))
            .collect();
        assert!((gustafson_fraction(&points).unwrap() - 0.25).abs() < 1e-9);
    }

    #[test]
    fn speedups_for_both_scalings() {
        let value = |scaling, bw, base: &[f64], w, t: &[f64]| {
            speedup(scaling, bw, &spread(base), w, &spread(t)).map(|r| r.value)
        };
        assert_eq!(value(Scaling::Strong, 1, &[10.0], 4, &[2.5]), Some(4.0));
        assert_eq!(value(Scaling::Strong, 2, &[5.0], 4, &[2.5]), Some(4.0));
        // Weak: 4 workers doing 4× the work in the same time is a scaled speedup of 4.
        assert_eq!(value(Scaling::Weak, 1, &[3.0], 4, &[3.0]), Some(4.0));
        assert_eq!(value(Scaling::Weak, 1, &[3.0], 4, &[6.0]), Some(2.0));
        assert_eq!(value(Scaling::Strong, 1, &[0.0], 4, &[2.5]), None);
        // 10 ± 1 against 5 ± 0.5: 2 × √(0.01 + 0.01).
        let r = speedup(
            Scaling::Strong,
            1,
            &spread(&[9.0, 10.0, 11.0]),
            2,
            &spread(&[4.5, 5.0, 5.5]),
        )
        .unwrap();
        let sd = r.stddev.unwrap();
        assert!((r.value - 2.0).abs() < 1e-9 && (sd - 2.0 * 0.02f64.sqrt()).abs() < 1e-9);
    }

    /// A hand-made run record: fit-worthy unless its `warnings` say not.
    pub(crate) fn record(configuration: &str, repeat: u32, wall: f64) -> RunRecord {
        RunRecord {
            configuration: configuration.into(),
            repeat,
            dir: format!("{configuration}-r{repeat}"),
            status: Status::Ok,
            wall_s: wall,
            user_s: wall,
            sys_s: 0.0,
            result: None,
            command: String::new(),
            samples: 10,
            cpus_in_use: Some(1.0),
            warnings: Vec::new(),
        }
    }

    /// `look` at the comparison of hand-made runs (each with the index of its
    /// configuration) on a machine of `topology`.
    pub(crate) fn with_comparison<T>(
        topology: Topology,
        scaling: Scaling,
        configurations: &[(Configuration, Placement)],
        runs: Vec<(usize, RunRecord)>,
        look: impl FnOnce(&Comparison<'_>) -> T,
    ) -> T {
        let machine = Machine::with_topology(topology);
        let (stats, fits) = compare(scaling, configurations, &runs, &machine.topology);
        let repeat = (0..configurations.len())
            .map(|i| runs.iter().filter(|(c, _)| *c == i).count())
            .max()
            .unwrap_or(0);
        let records: Vec<RunRecord> = runs.into_iter().map(|(_, r)| r).collect();
        let spec = WorkloadSpec::Count {
            n: 1 << 22,
            split: scaling == Scaling::Strong,
        };
        look(&Comparison {
            title: "t".into(),
            machine: &machine,
            spec: &spec,
            scaling,
            stats: &stats,
            fits: &fits,
            runs: &records,
            interrupted: false,
            repeat: repeat as u32,
            command: None,
        })
    }

    /// A run's measurement warning, as its report would give it.
    pub(crate) fn warning(code: &'static str) -> Warning {
        Warning {
            code,
            message: format!("the {code} warning"),
        }
    }

    pub(crate) fn threads(workers: usize) -> (Configuration, Placement) {
        let configuration = Configuration {
            mode: Mode::Threads,
            pin: PinSpec::None,
            workers,
        };
        (configuration, Placement::default())
    }

    #[test]
    fn statistics_of_hand_made_runs() {
        let configurations = vec![threads(1), threads(2), threads(4)];
        let mut runs = vec![
            (0, record("t1", 1, 4.0)),
            (0, record("t1", 2, 4.2)),
            (0, record("t1", 3, 4.4)),
            (1, record("t2", 1, 2.0)),
            (1, record("t2", 2, 2.1)),
            (1, record("t2", 3, 2.2)),
            (1, record("t2", 4, 9.0)),
        ];
        let mut marked = record("t4", 1, 1.2);
        marked.warnings = vec![warning("other-load")];
        runs.push((2, marked));
        let (stats, fits) = compare(
            Scaling::Strong,
            &configurations,
            &runs,
            &Topology::synthetic(4, 1),
        );
        let one = &stats[0];
        assert!((one.wall_s.mean - 4.2).abs() < 1e-9);
        assert!((one.wall_s.stddev.unwrap() - 0.2).abs() < 1e-9);
        assert_eq!(
            (
                one.wall_s.median,
                one.wall_s.min,
                one.wall_s.max,
                one.wall_s.runs
            ),
            (4.2, 4.0, 4.4, 3)
        );
        assert_eq!(one.dir, "t1-r2", "the median run's folder");
        assert!(one.warnings.is_empty());
        // The 9 s run is an outlier, and the warning says what to do.
        let two = &stats[1];
        assert_eq!(two.warnings.len(), 1, "{:?}", two.warnings);
        assert_eq!(two.warnings[0].code, "outlier");
        assert!(
            two.warnings[0].message.contains("run 4")
                && two.warnings[0].message.contains("--repeat")
        );
        let speedup = two.speedup.unwrap();
        assert!((speedup.value - 4.2 / two.wall_s.mean).abs() < 1e-9);
        assert!(speedup.stddev.unwrap() > 0.0);
        assert!((two.efficiency.unwrap().value - speedup.value / 2.0).abs() < 1e-9);
        // The run with another load is marked and kept out of the fit.
        assert!(!stats[2].in_fit);
        assert_eq!(stats[2].warnings[0].code, "other-load");
        assert_eq!(fits[0].fit_workers, vec![1, 2]);
    }

    #[test]
    fn fits_stop_at_the_physical_core_count() {
        let configurations = vec![threads(1), threads(2), threads(4), threads(8)];
        let runs: Vec<(usize, RunRecord)> = [(0, 8.0), (1, 4.0), (2, 2.0), (3, 2.0)]
            .iter()
            .flat_map(|&(i, t)| (1..=3).map(move |r| (i, record("x", r, t + 0.01 * r as f64))))
            .collect();
        let (_, fits) = compare(
            Scaling::Strong,
            &configurations,
            &runs,
            &Topology::synthetic(4, 1),
        );
        assert_eq!(fits[0].fit_workers, vec![1, 2, 4]);
        // Perfect scaling within the noise: fitted, no fraction stated.
        assert!(
            fits[0].fitted && fits[0].serial_fraction.is_none(),
            "{:?}",
            fits[0]
        );
        let (_, all) = compare(
            Scaling::Strong,
            &configurations,
            &runs,
            &Topology::synthetic(8, 1),
        );
        assert!(
            all[0].serial_fraction.unwrap() > 0.05,
            "8 workers on siblings look serial"
        );
    }

    /// The reviewer's sweep on a shared machine: 2 workers were faster, but
    /// used 30 % more CPU for the same work, so the CPUs ran slower.
    #[test]
    fn cpu_time_that_grew_for_the_same_work_is_not_called_serial_code() {
        let configurations = vec![threads(1), threads(2)];
        let run = |index: usize, repeat: u32, wall: f64, user: f64| {
            let mut record = record(&format!("t{}", index + 1), repeat, wall);
            record.user_s = user;
            (index, record)
        };
        let slowed = vec![
            run(0, 1, 1.70, 1.69),
            run(0, 2, 1.82, 1.81),
            run(0, 3, 1.95, 1.94),
            run(1, 1, 1.35, 2.35),
            run(1, 2, 1.37, 2.37),
            run(1, 3, 1.38, 2.39),
        ];
        with_comparison(
            Topology::synthetic(2, 1),
            Scaling::Strong,
            &configurations,
            slowed.clone(),
            |comparison| {
                let two = &comparison.stats[1];
                assert!(!two.in_fit);
                let grew = two.warnings.iter().find(|w| w.code == "cpu-time-grew");
                let message = &grew.expect("the growth is marked").message;
                assert!(message.contains("2 workers used 2.37s of CPU"), "{message}");
                assert!(
                    message
                        .contains("against 1.81s expected from 1 worker for the same work (+31%)"),
                    "{message}"
                );
                assert!(comparison.fits[0].serial_fraction.is_none());
                let text = crate::summary::findings::findings(comparison)
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("\n");
                assert!(!text.contains("serial fraction 4"), "{text}");
                assert!(text.contains("Not conclusive"), "{text}");
            },
        );
        // The same times with the CPU time of the work unchanged: a fraction.
        let mut steady = slowed;
        for (_, record) in steady.iter_mut().skip(3) {
            record.user_s = 1.80;
        }
        with_comparison(
            Topology::synthetic(2, 1),
            Scaling::Strong,
            &configurations,
            steady,
            |comparison| {
                assert!(comparison.stats[1].in_fit);
                assert!(comparison.fits[0].serial_fraction.unwrap() > 0.4);
            },
        );
    }

    #[test]
    fn short_runs_are_kept_out_of_fits() {
        let configurations = vec![threads(1), threads(2)];
        let mut short = record("t2", 1, 0.001);
        short.warnings = vec![warning("too-short")];
        let runs = vec![(0, record("t1", 1, 0.002)), (1, short)];
        let (stats, fits) = compare(
            Scaling::Strong,
            &configurations,
            &runs,
            &Topology::synthetic(2, 1),
        );
        assert!(!stats[1].in_fit);
        assert_eq!(stats[1].warnings[0].code, "too-short");
        assert!(stats[1].warnings[0].message.contains("--interval"));
        assert_eq!(fits[0].fit_workers, vec![1]);
    }

    /// On 2 cores × 2 threads, spread and compact give the same CPUs with 1
    /// and 4 workers: run once, those runs are points of both series, so
    /// compact has its 1-worker base and its 4-worker point.
    #[test]
    fn a_merged_pinning_is_a_point_of_both_series() {
        let topology = Topology::synthetic(2, 2);
        let resolved: Vec<(Configuration, Vec<u32>)> = [PinSpec::Spread, PinSpec::Compact]
            .into_iter()
            .flat_map(|pin| [1, 2, 4].map(|workers| (pin.clone(), workers)))
            .map(|(pin, workers)| {
                let cpus = pin.worker_cpus(&topology, workers).unwrap();
                let configuration = Configuration {
                    mode: Mode::Threads,
                    pin,
                    workers,
                };
                (configuration, cpus)
            })
            .collect();
        let placed = merge_equal(resolved, &[0, 1, 2, 3]);
        assert_eq!(placed.len(), 4, "compact runs with 2 workers only");
        let runs: Vec<(usize, RunRecord)> = [4.0, 2.0, 1.0, 2.6]
            .iter()
            .enumerate()
            .flat_map(|(i, &t)| (1..=3).map(move |r| (i, record("x", r, t + 0.01 * r as f64))))
            .collect();
        let (stats, fits) = compare(Scaling::Strong, &placed, &runs, &topology);
        let labels: Vec<&str> = stats.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "threads-1w-spread",
                "threads-2w-spread",
                "threads-4w-spread",
                "threads-1w-compact",
                "threads-2w-compact",
                "threads-4w-compact"
            ]
        );
        let shared: Vec<Option<&str>> = stats.iter().map(|s| s.shared_with.as_deref()).collect();
        assert_eq!(
            shared,
            [None, None, None, Some("spread"), None, Some("spread")]
        );
        assert_eq!(stats[3].marks(), ["same CPUs as spread: shared run"]);
        assert_eq!(stats[3].wall_s, stats[0].wall_s, "the same runs");
        let series: Vec<(&str, usize)> = fits
            .iter()
            .map(|f| (f.series.as_str(), f.base_workers))
            .collect();
        assert_eq!(
            series,
            [("threads, pin spread", 1), ("threads, pin compact", 1)]
        );
        let compact_two = stats[4].speedup.unwrap().value;
        assert!((compact_two - 4.02 / 2.62).abs() < 1e-9, "{compact_two}");
        assert!(stats[5].speedup.is_some());
        assert_eq!(fits[0].fit_workers, vec![1, 2]);
        // Compact's 2 workers share one core's siblings: not fitted, lest the
        // siblings pass for a serial fraction.
        assert_eq!(fits[1].fit_workers, vec![1]);
        assert_eq!(fits[1].serial_fraction, None);
    }

    #[test]
    fn unsorted_worker_counts_are_fitted_from_the_smallest() {
        let configurations = vec![threads(4), threads(1), threads(2)];
        let runs: Vec<(usize, RunRecord)> = [(0, 1.5), (1, 4.0), (2, 2.5)]
            .iter()
            .flat_map(|&(i, t)| (1..=3).map(move |r| (i, record("x", r, t + 0.01 * r as f64))))
            .collect();
        let (stats, fits) = compare(
            Scaling::Strong,
            &configurations,
            &runs,
            &Topology::synthetic(4, 1),
        );
        assert_eq!(fits[0].base_workers, 1);
        assert_eq!(fits[0].fit_workers, vec![1, 2, 4], "in worker order");
        assert_eq!(stats[1].speedup.map(|r| r.value), Some(1.0));
    }
}
