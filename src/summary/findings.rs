//! What a sweep shows, in plain words, each finding gated by the noise: a
//! difference, a best configuration, a serial fraction or an SMT gain is stated
//! only when it exceeds the spread of the runs; otherwise the finding says the
//! data cannot tell here.

use serde::Serialize;

use super::compare::{ConfigStats, SeriesFit, ideal_factor};
use crate::summary::compare::Comparison;
use crate::summary::stats;
use crate::summary::sweep_runs::Scaling;
use crate::util::cpulist::format_cpulist;

/// One conclusion, with a stable code for programs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub message: String,
}

fn finding(code: &'static str, message: String) -> Finding {
    Finding { code, message }
}

pub use crate::util::text::plural;

/// Every finding of the comparison, most important first.
pub fn findings(comparison: &Comparison<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if comparison.repeat < 2 {
        out.push(finding(
            "one-run",
            "One run per configuration: the noise is unknown, so no difference is stated \
             (use --repeat 3 or more)."
                .into(),
        ));
    }
    for fit in comparison.fits {
        out.extend(series_findings(comparison, fit));
    }
    out.extend(same_worker_findings(comparison.stats));
    out.extend(best_finding(comparison));
    out.extend(smt_findings(comparison));
    out.extend(same_pinning_findings(comparison));
    for s in comparison.stats {
        for w in &s.warnings {
            let message = if w.code == "outlier" {
                w.message.clone()
            } else {
                format!("{}: {}", s.description, w.message)
            };
            out.push(finding(w.code, message));
        }
    }
    if comparison.interrupted {
        out.push(finding(
            "interrupted",
            "The sweep was interrupted; only the runs that finished are compared.".into(),
        ));
    }
    out
}

/// A series' scaling from its base (the smallest worker count, as `compare`
/// chose it) to its largest count, and its fit.
fn series_findings(comparison: &Comparison<'_>, fit: &SeriesFit) -> Vec<Finding> {
    let series: Vec<&ConfigStats> = comparison
        .stats
        .iter()
        .filter(|s| s.series == fit.series)
        .collect();
    let (Some(base), Some(top)) = (
        series.iter().find(|s| s.workers == fit.base_workers),
        series.iter().max_by_key(|s| s.workers),
    ) else {
        return Vec::new();
    };
    if top.workers == base.workers {
        return Vec::new();
    }
    let mut out = vec![scaling_finding(comparison.scaling, &fit.series, base, top)];
    out.push(fit_finding(comparison, fit));
    out
}

fn scaling_finding(
    scaling: Scaling,
    series: &str,
    base: &ConfigStats,
    top: &ConfigStats,
) -> Finding {
    let speedup = top.speedup.map_or("—".into(), |s| s.plus_minus(2));
    let efficiency = top
        .efficiency
        .map_or("—".into(), |e| e.times(100.0).plus_minus(0));
    let ideal = base
        .wall_s
        .scaled(ideal_factor(scaling, base.workers, top.workers));
    let times = format!(
        "{}s against {}s",
        top.wall_s.plus_minus(3),
        base.wall_s.plus_minus(3)
    );
    let within_noise = top.wall_s.runs > 1 && !stats::distinguishable(&top.wall_s, &ideal);
    let verdict = if within_noise {
        " — indistinguishable from perfect scaling here"
    } else {
        ""
    };
    let message = match scaling {
        Scaling::Strong => format!(
            "{series}: {} against {}: speedup {speedup}× ({efficiency}% efficiency; {times}){verdict}.",
            plural(top.workers, "worker"),
            plural(base.workers, "worker"),
        ),
        Scaling::Weak => format!(
            "{series}: {} each doing the full work took {}× the time of {} ({times}): \
             scaled speedup {speedup} ({efficiency}% efficiency){verdict}.",
            plural(top.workers, "worker"),
            top.time_ratio.map_or("—".into(), |r| r.plus_minus(2)),
            plural(base.workers, "worker"),
        ),
    };
    finding("scaling", message)
}

fn fit_finding(comparison: &Comparison<'_>, fit: &SeriesFit) -> Finding {
    let law = match comparison.scaling {
        Scaling::Strong => "Amdahl",
        Scaling::Weak => "Gustafson",
    };
    let physical = comparison.machine.topology.physical_count();
    let over = match (fit.fit_workers.first(), fit.fit_workers.last()) {
        (Some(first), Some(last)) if fit.fit_workers.len() > 1 => format!("{first}–{last} workers"),
        _ => "too few worker counts".into(),
    };
    let cores = plural(physical, "physical core");
    match fit.serial_fraction {
        Some(f) if fit.beyond_noise => finding(
            "serial-fraction",
            format!(
                "{}: {law} fit over {over} (up to the {cores}): serial fraction {:.1}%.",
                fit.series,
                f * 100.0
            ),
        ),
        Some(_) => finding(
            "serial-fraction-unknown",
            format!(
                "{}: over {over} (up to the {cores}) the times are indistinguishable from perfect \
                 scaling here, so no serial fraction is stated.",
                fit.series
            ),
        ),
        None => finding(
            "no-fit",
            format!(
                "{}: no {law} fit: it needs two worker counts or more up to the {cores} \
                 without marked runs.",
                fit.series
            ),
        ),
    }
}

/// Same worker count, different series: which is faster, if the noise allows.
fn same_worker_findings(stats: &[ConfigStats]) -> Vec<Finding> {
    let mut counts: Vec<usize> = stats.iter().map(|s| s.workers).collect();
    counts.sort_unstable();
    counts.dedup();
    counts
        .into_iter()
        .filter_map(|workers| {
            let same: Vec<&ConfigStats> = stats.iter().filter(|s| s.workers == workers).collect();
            (same.len() > 1).then(|| ranking(&format!("At {}", plural(workers, "worker")), &same))
        })
        .collect()
}

/// "A was faster than B" when the fastest differs from every other beyond the
/// noise; otherwise they are indistinguishable here.
fn ranking(prefix: &str, same: &[&ConfigStats]) -> Finding {
    let fastest = same
        .iter()
        .min_by(|a, b| a.wall_s.mean.total_cmp(&b.wall_s.mean))
        .expect("two or more");
    let others: Vec<&&ConfigStats> = same.iter().filter(|s| s.label != fastest.label).collect();
    let names = |list: &[&&ConfigStats]| {
        list.iter()
            .map(|s| format!("{} ({}s)", s.series, s.wall_s.plus_minus(3)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if others
        .iter()
        .all(|s| stats::distinguishable(&s.wall_s, &fastest.wall_s))
    {
        finding(
            "faster",
            format!(
                "{prefix}: {} ({}s) was faster than {}.",
                fastest.series,
                fastest.wall_s.plus_minus(3),
                names(&others)
            ),
        )
    } else {
        let mut all = vec![fastest];
        all.extend(others);
        finding(
            "indistinguishable",
            format!(
                "{prefix}: {} are indistinguishable here (their spreads overlap).",
                names(&all)
            ),
        )
    }
}

/// The best configuration of a strong-scaling sweep, if it stands out.
fn best_finding(comparison: &Comparison<'_>) -> Option<Finding> {
    let stats = comparison.stats;
    if comparison.scaling != Scaling::Strong || stats.len() < 2 {
        return None;
    }
    let best = stats
        .iter()
        .min_by(|a, b| a.wall_s.mean.total_cmp(&b.wall_s.mean))?;
    let rivals: Vec<&ConfigStats> = stats
        .iter()
        .filter(|s| s.label != best.label && !stats::distinguishable(&s.wall_s, &best.wall_s))
        .collect();
    Some(if rivals.is_empty() {
        finding(
            "best",
            format!(
                "Fastest: {} ({}s).",
                best.description,
                best.wall_s.plus_minus(3)
            ),
        )
    } else {
        let names: Vec<&str> = rivals.iter().map(|s| s.description.as_str()).collect();
        finding(
            "best-unclear",
            format!(
                "No single fastest configuration: {}; {} are indistinguishable here.",
                best.description,
                names.join("; ")
            ),
        )
    })
}

/// Per series, what the SMT siblings added: the throughput of the largest
/// worker count against that of one worker per physical core.
fn smt_findings(comparison: &Comparison<'_>) -> Vec<Finding> {
    let topology = &comparison.machine.topology;
    let (physical, logical) = (topology.physical_count(), topology.logical_count());
    let Some(top) = comparison.stats.iter().map(|s| s.workers).max() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let sliced_from = if topology.has_smt() {
        logical
    } else {
        physical
    };
    if top > sliced_from {
        out.push(finding(
            "time-sliced",
            format!(
                "This machine has {} on {}{}: beyond {}, workers take turns on the CPUs.",
                plural(logical, "logical CPU"),
                plural(physical, "physical core"),
                if topology.has_smt() {
                    ""
                } else {
                    " (no SMT siblings)"
                },
                plural(sliced_from, "worker")
            ),
        ));
    }
    if !topology.has_smt() {
        return out;
    }
    // The largest worker count the siblings can hold, against one per core.
    let Some(on_siblings) = comparison
        .stats
        .iter()
        .map(|s| s.workers)
        .filter(|&w| w > physical && w <= logical)
        .max()
    else {
        return out;
    };
    out.extend(comparison.fits.iter().filter_map(|fit| {
        let find = |w: usize| {
            comparison
                .stats
                .iter()
                .find(|s| s.series == fit.series && s.workers == w)
        };
        let (cores, siblings) = (find(physical)?, find(on_siblings)?);
        Some(smt_gain(comparison, &fit.series, cores, siblings))
    }));
    out
}

fn smt_gain(
    comparison: &Comparison<'_>,
    series: &str,
    cores: &ConfigStats,
    siblings: &ConfigStats,
) -> Finding {
    let topology = &comparison.machine.topology;
    let threads = topology.logical_count() / topology.physical_count().max(1);
    // The time the larger count would take if the siblings added nothing.
    let no_gain_factor = match comparison.scaling {
        Scaling::Strong => 1.0,
        Scaling::Weak => siblings.workers as f64 / cores.workers as f64,
    };
    let time_ratio = stats::ratio(&siblings.wall_s, &cores.wall_s);
    let gain = time_ratio.map(|r| {
        let value = no_gain_factor / r.value;
        crate::summary::stats::Ratio {
            value,
            stddev: value * r.stddev / r.value,
        }
    });
    let expected = cores.wall_s.scaled(no_gain_factor);
    let head = format!(
        "{series}: {} on {} × {threads} threads took {}× the time of {}",
        plural(siblings.workers, "worker"),
        plural(topology.physical_count(), "core"),
        time_ratio.map_or("—".into(), |r| r.plus_minus(2)),
        plural(cores.workers, "worker"),
    );
    let gain_text = gain.map_or("—".into(), |g| g.plus_minus(2));
    let (code, verdict) = if !(cores.in_fit && siblings.in_fit) {
        (
            "smt-gain-unknown",
            "not conclusive: runs of these configurations are marked (see below)".to_string(),
        )
    } else if !stats::distinguishable(&siblings.wall_s, &expected) {
        if comparison.repeat < 2 {
            (
                "smt-gain-unknown",
                "one run each: the noise is unknown".to_string(),
            )
        } else {
            (
                "smt-nothing",
                format!("throughput {gain_text}×: the siblings added nothing"),
            )
        }
    } else if gain.is_some_and(|g| g.value > 1.0) {
        (
            "smt-gain",
            format!(
                "throughput {gain_text}×: the siblings added {:.0}%",
                (gain.map_or(1.0, |g| g.value) - 1.0) * 100.0
            ),
        )
    } else {
        (
            "smt-loss",
            format!("throughput {gain_text}×: the siblings slowed the work down"),
        )
    };
    finding(code, format!("{head}: {verdict}."))
}

/// Pinnings that resolved to the same CPUs, run once.
fn same_pinning_findings(comparison: &Comparison<'_>) -> Vec<Finding> {
    let no_smt = !comparison.machine.topology.has_smt();
    comparison
        .stats
        .iter()
        .filter(|s| !s.same_as.is_empty())
        .map(|s| {
            let pin = s.description.rsplit("pin ").next().unwrap_or_default();
            let why = if no_smt {
                "no SMT siblings".to_string()
            } else {
                format!("both use CPUs {}", format_cpulist(&s.cpus))
            };
            finding(
                "same-pinning",
                format!(
                    "{} and {pin} are the same on this machine with {} ({why}): run once, as {}.",
                    s.same_as.join(", "),
                    plural(s.workers, "worker"),
                    s.description
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Machine;
    use crate::machine::pin::PinSpec;
    use crate::machine::topology::Topology;
    use crate::model::workload::{Mode, WorkloadSpec};
    use crate::summary::compare::compare;
    use crate::summary::compare::tests::{record, threads};
    use crate::summary::sweep_runs::{Configuration, Placement, RunRecord};

    /// Findings of hand-made runs: `times[i]` are the walls of configuration i.
    fn findings_of(
        machine: &Machine,
        scaling: Scaling,
        configurations: &[(Configuration, Placement)],
        times: &[&[f64]],
    ) -> Vec<Finding> {
        findings_marked(machine, scaling, configurations, times, &[])
    }

    /// The same, the runs of the `marked` configurations with an other-load warning.
    fn findings_marked(
        machine: &Machine,
        scaling: Scaling,
        configurations: &[(Configuration, Placement)],
        times: &[&[f64]],
        marked: &[usize],
    ) -> Vec<Finding> {
        let runs: Vec<(usize, RunRecord)> = times
            .iter()
            .enumerate()
            .flat_map(|(i, walls)| {
                walls.iter().enumerate().map(move |(r, &t)| {
                    let mut run = record(&format!("c{i}"), r as u32 + 1, t);
                    if marked.contains(&i) {
                        run.warnings = vec!["other-load".into()];
                    }
                    (i, run)
                })
            })
            .collect();
        let physical = machine.topology.physical_count();
        let (stats, fits) = compare(scaling, configurations, &runs, physical);
        let spec = WorkloadSpec::Count {
            n: 1 << 22,
            split: false,
        };
        let records: Vec<RunRecord> = runs.into_iter().map(|(_, r)| r).collect();
        let comparison = Comparison {
            title: "t".into(),
            machine,
            spec: &spec,
            scaling,
            stats: &stats,
            fits: &fits,
            runs: &records,
            interrupted: false,
            repeat: 3,
            command: None,
            user_title: None,
        };
        findings(&comparison)
    }

    fn with_mode(mode: Mode, workers: usize) -> (Configuration, Placement) {
        let (mut configuration, placement) = threads(workers);
        configuration.mode = mode;
        (configuration, placement)
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn overlapping_ranges_are_indistinguishable() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let configurations = [with_mode(Mode::Threads, 2), with_mode(Mode::Processes, 2)];
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &configurations,
            &[&[1.00, 1.05, 1.10], &[1.02, 1.07, 1.12]],
        );
        assert!(codes(&found).contains(&"indistinguishable"), "{found:?}");
        assert!(codes(&found).contains(&"best-unclear"), "{found:?}");
        assert!(
            !found.iter().any(|f| f.message.contains("faster than")),
            "{found:?}"
        );
    }

    #[test]
    fn separate_ranges_name_the_faster() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let configurations = [with_mode(Mode::Threads, 2), with_mode(Mode::Processes, 2)];
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &configurations,
            &[&[1.00, 1.01, 1.02], &[1.20, 1.21, 1.22]],
        );
        let faster = found
            .iter()
            .find(|f| f.code == "faster")
            .expect("a faster finding");
        assert!(
            faster.message.starts_with("At 2 workers: threads"),
            "{faster:?}"
        );
        let best = found
            .iter()
            .find(|f| f.code == "best")
            .expect("a best finding");
        assert!(best.message.contains("threads, 2 workers"), "{best:?}");
    }

    #[test]
    fn a_serial_fraction_needs_a_difference_beyond_the_noise() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let configurations = [threads(1), threads(2)];
        // 2 workers take 1.0 s against an ideal 1.0 s: within the noise.
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &configurations,
            &[&[1.9, 2.0, 2.1], &[0.9, 1.0, 1.1]],
        );
        assert!(
            codes(&found).contains(&"serial-fraction-unknown"),
            "{found:?}"
        );
        // 2 workers take 1.5 s against an ideal 1.0 s: a serial fraction.
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &configurations,
            &[&[1.99, 2.0, 2.01], &[1.49, 1.5, 1.51]],
        );
        let fit = found
            .iter()
            .find(|f| f.code == "serial-fraction")
            .expect("stated");
        assert!(
            fit.message.contains("serial fraction 50.0%") && fit.message.contains("1–2 workers"),
            "{fit:?}"
        );
    }

    #[test]
    fn four_cores_eight_threads_where_the_siblings_add_nothing() {
        // The seed's numbers: each worker does the full work; 8 workers on
        // 4 cores × 2 threads take twice the time of 4.
        let machine = Machine::with_topology(Topology::synthetic(4, 2));
        let configurations = [threads(1), threads(2), threads(4), threads(8)];
        let found = findings_of(
            &machine,
            Scaling::Weak,
            &configurations,
            &[
                &[1.00, 1.01, 1.02],
                &[1.00, 1.01, 1.02],
                &[1.01, 1.02, 1.03],
                &[2.02, 2.04, 2.06],
            ],
        );
        let smt = found
            .iter()
            .find(|f| f.code == "smt-nothing")
            .expect("{found:?}");
        assert!(
            smt.message.contains("8 workers on 4 cores × 2 threads"),
            "{smt:?}"
        );
        assert!(smt.message.contains("2.00 ± 0.0"), "{smt:?}");
        assert!(
            smt.message.contains("the siblings added nothing"),
            "{smt:?}"
        );
        let fit = found
            .iter()
            .find(|f| f.code.starts_with("serial-fraction"))
            .expect("{found:?}");
        assert!(
            fit.message
                .contains("over 1–4 workers (up to the 4 physical cores)"),
            "{fit:?}"
        );
    }

    #[test]
    fn no_smt_verdict_from_marked_runs() {
        let machine = Machine::with_topology(Topology::synthetic(4, 2));
        let configurations = [threads(4), threads(8)];
        let times: [&[f64]; 2] = [&[1.00, 1.01, 1.02], &[2.02, 2.04, 2.06]];
        let found = findings_marked(&machine, Scaling::Weak, &configurations, &times, &[1]);
        let smt = found
            .iter()
            .find(|f| f.code.starts_with("smt"))
            .expect("{found:?}");
        assert_eq!(smt.code, "smt-gain-unknown", "{smt:?}");
        assert!(!smt.message.contains("added nothing"), "{smt:?}");
    }

    #[test]
    fn the_smt_gain_stops_at_the_logical_cpus() {
        let machine = Machine::with_topology(Topology::synthetic(4, 2));
        let configurations = [threads(4), threads(8), threads(16)];
        let times: [&[f64]; 3] = [&[1.00, 1.01, 1.02], &[2.02, 2.04, 2.06], &[4.0, 4.1, 4.2]];
        let found = findings_of(&machine, Scaling::Weak, &configurations, &times);
        let smt = found
            .iter()
            .find(|f| f.code == "smt-nothing")
            .expect("{found:?}");
        assert!(smt.message.contains("8 workers on 4 cores"), "{smt:?}");
        let sliced = found
            .iter()
            .find(|f| f.code == "time-sliced")
            .expect("{found:?}");
        assert!(sliced.message.contains("beyond 8 workers"), "{sliced:?}");
    }

    #[test]
    fn siblings_that_help_are_counted() {
        let machine = Machine::with_topology(Topology::synthetic(4, 2));
        let configurations = [threads(4), threads(8)];
        // Strong scaling: 8 workers finish the same work in 0.8 of the time.
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &configurations,
            &[&[1.00, 1.01, 1.02], &[0.80, 0.81, 0.82]],
        );
        let smt = found
            .iter()
            .find(|f| f.code == "smt-gain")
            .expect("{found:?}");
        assert!(smt.message.contains("the siblings added 25%"), "{smt:?}");
    }

    #[test]
    fn equal_pinnings_are_named_once_with_the_reason() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let configuration = Configuration {
            mode: Mode::Threads,
            pin: PinSpec::Spread,
            workers: 2,
        };
        let placement = Placement {
            cpus: vec![0, 1],
            pinned: true,
            same_as: vec!["compact".into()],
        };
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &[(configuration, placement)],
            &[&[1.0, 1.0, 1.0]],
        );
        let same = found
            .iter()
            .find(|f| f.code == "same-pinning")
            .expect("{found:?}");
        assert!(
            same.message
                .starts_with("compact and spread are the same on this machine"),
            "{same:?}"
        );
        assert!(same.message.contains("no SMT siblings"), "{same:?}");
    }

    /// A library caller may list worker counts in any order: the base and the
    /// fit's range are the smallest count's, as `compare` has them.
    #[test]
    fn unsorted_worker_counts_keep_the_smallest_as_the_base() {
        let machine = Machine::with_topology(Topology::synthetic(4, 1));
        let configurations = [threads(4), threads(1), threads(2)];
        let times: [&[f64]; 3] = [&[1.49, 1.5, 1.51], &[3.99, 4.0, 4.01], &[2.49, 2.5, 2.51]];
        let found = findings_of(&machine, Scaling::Strong, &configurations, &times);
        let message = |code: &str| match found.iter().find(|f| f.code == code) {
            Some(f) => f.message.clone(),
            None => panic!("no {code} finding in {found:?}"),
        };
        let scaling = message("scaling");
        assert!(scaling.contains("4 workers against 1 worker"), "{scaling}");
        let fit = message("serial-fraction");
        assert!(fit.contains("over 1–4 workers"), "{fit}");
    }
}
