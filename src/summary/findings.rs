//! What a sweep shows, in plain words, each finding gated by the noise: a
//! difference, a best configuration, a serial fraction or an SMT gain is stated
//! only when it exceeds the spread of the runs; otherwise the finding says the
//! data cannot tell here. Configurations with marked runs (too short, another
//! load, underused) support no conclusion: the finding says it is not
//! conclusive. Findings come in the order of the table.

use serde::Serialize;

use super::compare::{ConfigStats, SeriesFit, ideal_factor, one_per_core};
use crate::summary::compare::{Comparison, only_shared_runs};
use crate::summary::stats::{self, Ratio};
use crate::summary::sweep_runs::Scaling;
use crate::util::cpulist::format_cpulist;
use crate::util::text::join_and;

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
    if let Some(nothing) = comparison.nothing_to_compare() {
        let code = if comparison.interrupted {
            "interrupted"
        } else {
            "nothing-to-compare"
        };
        return vec![finding(code, nothing.to_string())];
    }
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
        if !only_shared_runs(comparison.stats, &fit.series) {
            out.extend(series_findings(comparison, fit));
        }
    }
    out.extend(same_worker_findings(comparison.stats));
    out.extend(best_finding(comparison));
    out.extend(smt_findings(comparison));
    out.extend(same_pinning_findings(comparison));
    out.extend(warning_findings(comparison.stats));
    if comparison.interrupted {
        out.push(finding(
            "interrupted",
            "The sweep was interrupted; only the runs that finished are compared.".into(),
        ));
    }
    out
}

/// The sentence that replaces a conclusion drawn from marked runs.
fn not_conclusive(marked: &[String]) -> String {
    format!(
        "Not conclusive: the runs of {} are marked.",
        join_and(marked)
    )
}

/// The configurations among `list` whose runs are marked, named by `name`.
fn marked_names(list: &[&ConfigStats], name: impl Fn(&ConfigStats) -> String) -> Vec<String> {
    list.iter().filter(|s| !s.in_fit).map(|s| name(s)).collect()
}

/// Whether both have a known noise (more than one run).
fn noise_known(a: &ConfigStats, b: &ConfigStats) -> bool {
    a.wall_s.stddev.is_some() && b.wall_s.stddev.is_some()
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
    vec![
        scaling_finding(comparison.scaling, &fit.series, base, top),
        fit_finding(comparison, fit, &series),
    ]
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
    let times = format!("{} against {}", top.wall_s.seconds(), base.wall_s.seconds());
    let (top_workers, base_workers) = (
        plural(top.workers, "worker"),
        plural(base.workers, "worker"),
    );
    let figures = match scaling {
        Scaling::Strong if base.workers == 1 && top.speedup.is_none() => format!(
            "{series}, {top_workers} against {base_workers}: speedup unknown ({times}: \
             a time that rounds to 0 s cannot be divided by)"
        ),
        Scaling::Strong => format!(
            "{series}, {top_workers} against {base_workers}: speedup {speedup}× \
             ({efficiency}% efficiency; {times})"
        ),
        Scaling::Weak => format!(
            "{series}, {top_workers} each doing the full work took {}× the time of \
             {base_workers} ({times}): scaled speedup {speedup} ({efficiency}% efficiency)",
            top.time_ratio.map_or("—".into(), |r| r.plus_minus(2)),
        ),
    };
    let marked = marked_names(&[base, top], |s| plural(s.workers, "worker"));
    let ideal = base
        .wall_s
        .scaled(ideal_factor(scaling, base.workers, top.workers));
    let message = if !marked.is_empty() {
        format!("{figures}. {}", not_conclusive(&marked))
    } else if noise_known(base, top) && !stats::distinguishable(&top.wall_s, &ideal) {
        format!("{figures}, indistinguishable from perfect scaling here.")
    } else {
        format!("{figures}.")
    };
    finding("scaling", message)
}

fn fit_finding(comparison: &Comparison<'_>, fit: &SeriesFit, series: &[&ConfigStats]) -> Finding {
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
    let noise_unknown = series
        .iter()
        .any(|s| fit.fit_workers.contains(&s.workers) && s.wall_s.stddev.is_none());
    let name = &fit.series;
    match (fit.serial_fraction, fit.fitted) {
        (Some(f), _) => finding(
            "serial-fraction",
            format!(
                "{law} fit of {name} over {over} (up to the {cores}): serial fraction {:.1}%.",
                f * 100.0
            ),
        ),
        (None, true) if noise_unknown => finding(
            "serial-fraction-unknown",
            format!(
                "For {name} over {over} (up to the {cores}) the noise is unknown with one run \
                 each, so no serial fraction is stated."
            ),
        ),
        (None, true) => finding(
            "serial-fraction-unknown",
            format!(
                "For {name} over {over} (up to the {cores}) the times are indistinguishable \
                 from perfect scaling here, so no serial fraction is stated."
            ),
        ),
        (None, false) => finding(
            "no-fit",
            format!(
                "No {law} fit for {name}: it needs two worker counts or more up to the {cores}, \
                 each worker on a core of its own, without marked runs."
            ),
        ),
    }
}

/// Same worker count, different series: which is faster, if the noise allows.
/// A configuration run for another pinning's series is not compared with it
/// (it is the same run).
fn same_worker_findings(stats: &[ConfigStats]) -> Vec<Finding> {
    let own: Vec<&ConfigStats> = stats.iter().filter(|s| s.shared_with.is_none()).collect();
    let mut counts: Vec<usize> = own.iter().map(|s| s.workers).collect();
    counts.sort_unstable();
    counts.dedup();
    counts
        .into_iter()
        .filter_map(|workers| {
            let same: Vec<&ConfigStats> = own
                .iter()
                .copied()
                .filter(|s| s.workers == workers)
                .collect();
            (same.len() > 1).then(|| ranking(&format!("At {}", plural(workers, "worker")), &same))
        })
        .collect()
}

/// `threads (0.627 ± 0.114 s)`.
fn with_time(name: &str, s: &ConfigStats) -> String {
    format!("{name} ({})", s.wall_s.seconds())
}

/// "A was faster than B" when the fastest differs from every other beyond the
/// noise; otherwise they are indistinguishable here.
fn ranking(prefix: &str, same: &[&ConfigStats]) -> Finding {
    let mut sorted = same.to_vec();
    sorted.sort_by(|a, b| a.wall_s.mean.total_cmp(&b.wall_s.mean));
    let names: Vec<String> = sorted.iter().map(|s| with_time(&s.series, s)).collect();
    let marked = marked_names(&sorted, |s| s.series.clone());
    if !marked.is_empty() {
        return finding(
            "not-conclusive",
            format!(
                "{prefix}: {}. {}",
                join_and(&names),
                not_conclusive(&marked)
            ),
        );
    }
    let (fastest, others) = (sorted[0], &sorted[1..]);
    if !others.iter().all(|s| noise_known(s, fastest)) {
        return finding(
            "indistinguishable",
            format!(
                "{prefix}: {} cannot be told apart with one run each.",
                join_and(&names)
            ),
        );
    }
    if others
        .iter()
        .all(|s| stats::distinguishable(&s.wall_s, &fastest.wall_s))
    {
        finding(
            "faster",
            format!(
                "{prefix}: {} was faster than {}.",
                names[0],
                join_and(&names[1..])
            ),
        )
    } else {
        finding(
            "indistinguishable",
            format!("{prefix}: {} are indistinguishable here.", join_and(&names)),
        )
    }
}

/// The best configuration of a strong-scaling sweep, if it stands out.
fn best_finding(comparison: &Comparison<'_>) -> Option<Finding> {
    let own: Vec<&ConfigStats> = comparison
        .stats
        .iter()
        .filter(|s| s.shared_with.is_none())
        .collect();
    if comparison.scaling != Scaling::Strong || own.len() < 2 {
        return None;
    }
    let best = *own
        .iter()
        .min_by(|a, b| a.wall_s.mean.total_cmp(&b.wall_s.mean))?;
    // One run: the noise is unknown (the one-run finding says so).
    best.wall_s.stddev?;
    if !best.in_fit {
        return Some(finding(
            "best-unclear",
            format!(
                "Least time: {}. Not conclusive: its runs are marked.",
                with_time(&best.description, best)
            ),
        ));
    }
    let rivals: Vec<String> = own
        .iter()
        .filter(|s| s.label != best.label && !stats::distinguishable(&s.wall_s, &best.wall_s))
        .map(|s| with_time(&s.description, s))
        .collect();
    Some(if rivals.is_empty() {
        finding(
            "best",
            format!("Fastest: {}.", with_time(&best.description, best)),
        )
    } else {
        let mut all = vec![with_time(&best.description, best)];
        all.extend(rivals);
        finding(
            "best-unclear",
            format!(
                "No single fastest configuration: {} are indistinguishable here.",
                join_and(&all)
            ),
        )
    })
}

/// Per series, what the SMT siblings added: the throughput of the largest
/// worker count the siblings hold against that of one worker per physical
/// core (a series whose workers at that count share cores has no such base).
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
        one_per_core(topology, cores).then(|| smt_gain(comparison, &fit.series, cores, siblings))
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
        Ratio {
            value,
            stddev: r.stddev.map(|sd| value * sd / r.value),
        }
    });
    let expected = cores.wall_s.scaled(no_gain_factor);
    let head = format!(
        "{series}, {} on {} × {threads} threads took {}× the time of {}",
        plural(siblings.workers, "worker"),
        plural(topology.physical_count(), "core"),
        time_ratio.map_or("—".into(), |r| r.plus_minus(2)),
        plural(cores.workers, "worker"),
    );
    let throughput = format!(
        "{head}: throughput {}×",
        gain.map_or("—".into(), |g| g.plus_minus(2))
    );
    let marked = marked_names(&[cores, siblings], |s| plural(s.workers, "worker"));
    let (code, message) = if !marked.is_empty() {
        (
            "smt-gain-unknown",
            format!("{head}. {}", not_conclusive(&marked)),
        )
    } else if !noise_known(cores, siblings) {
        (
            "smt-gain-unknown",
            format!("{head}; with one run each the noise is unknown."),
        )
    } else if !stats::distinguishable(&siblings.wall_s, &expected) {
        (
            "smt-nothing",
            format!("{throughput}, the siblings added nothing."),
        )
    } else if gain.is_some_and(|g| g.value > 1.0) {
        (
            "smt-gain",
            format!(
                "{throughput}, the siblings added {:.0}%.",
                (gain.map_or(1.0, |g| g.value) - 1.0) * 100.0
            ),
        )
    } else {
        (
            "smt-loss",
            format!("{throughput}, the siblings slowed the work down."),
        )
    };
    finding(code, message)
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
            let mut pins = s.same_as.clone();
            pins.push(pin.to_string());
            let why = if no_smt {
                "no SMT siblings".to_string()
            } else {
                let mut distinct = s.cpus.clone();
                distinct.sort_unstable();
                distinct.dedup();
                format!(
                    "{} use {} {}",
                    if pins.len() == 2 { "both" } else { "all" },
                    if distinct.len() == 1 { "CPU" } else { "CPUs" },
                    format_cpulist(&distinct)
                )
            };
            finding(
                "same-pinning",
                format!(
                    "{} are the same on this machine with {} ({why}): run once, as {}, \
                     and shared by their series.",
                    join_and(&pins),
                    plural(s.workers, "worker"),
                    s.description
                ),
            )
        })
        .collect()
}

/// Each configuration's warnings (outliers, marked runs), said once: a
/// configuration sharing another's runs has its warnings.
fn warning_findings(stats: &[ConfigStats]) -> Vec<Finding> {
    stats
        .iter()
        .filter(|s| s.shared_with.is_none())
        .flat_map(|s| {
            s.warnings
                .iter()
                .map(|w| finding(w.code, format!("{}, {}", s.description, w.message)))
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
    use crate::summary::compare::tests::{record, threads, warning, with_comparison};
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
                        run.warnings = vec![warning("other-load")];
                    }
                    (i, run)
                })
            })
            .collect();
        with_comparison(
            machine.topology.clone(),
            scaling,
            configurations,
            runs,
            findings,
        )
    }

    fn with_mode(mode: Mode, workers: usize) -> (Configuration, Placement) {
        let (mut configuration, placement) = threads(workers);
        configuration.mode = mode;
        (configuration, placement)
    }

    /// Findings of threads against processes with 2 workers on 2 cores.
    fn threads_against_processes(times: [&[f64]; 2]) -> Vec<Finding> {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let configurations = [with_mode(Mode::Threads, 2), with_mode(Mode::Processes, 2)];
        findings_of(&machine, Scaling::Strong, &configurations, &times)
    }

    /// Threads pinned spread on `cpus`, compact merged into it.
    fn spread_kept_for_compact(workers: usize, cpus: Vec<u32>) -> (Configuration, Placement) {
        let configuration = Configuration {
            mode: Mode::Threads,
            pin: PinSpec::Spread,
            workers,
        };
        let placement = Placement {
            cpus,
            pinned: true,
            same_as: vec!["compact".into()],
        };
        (configuration, placement)
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.code).collect()
    }

    fn message<'a>(found: &'a [Finding], code: &str) -> &'a str {
        match found.iter().find(|f| f.code == code) {
            Some(f) => &f.message,
            None => panic!("no {code} finding in {found:?}"),
        }
    }

    /// No sentence of a finding stacks two colons ("1 worker: not conclusive: ...").
    fn assert_one_colon_per_sentence(found: &[Finding]) {
        for f in found {
            for sentence in f.message.split(". ") {
                assert!(sentence.matches(':').count() <= 1, "{f:?}");
            }
        }
    }

    #[test]
    fn lists_of_configurations_are_joined_with_and() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let configurations = [
            with_mode(Mode::Threads, 2),
            with_mode(Mode::Processes, 2),
            with_mode(Mode::Serial, 2),
        ];
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &configurations,
            &[&[0.5, 0.6, 0.7], &[0.6, 0.7, 0.8], &[0.55, 0.65, 0.75]],
        );
        assert_eq!(
            message(&found, "indistinguishable"),
            "At 2 workers: threads (0.600 ± 0.100 s), serial (0.650 ± 0.100 s) and \
             processes (0.700 ± 0.100 s) are indistinguishable here."
        );
        assert!(!found.iter().any(|f| f.message.contains(';')), "{found:?}");
        assert_one_colon_per_sentence(&found);
    }

    #[test]
    fn ranges_apart_by_less_than_three_standard_errors_are_not_ranked() {
        let found = threads_against_processes([&[1.00, 1.10], &[1.11, 1.20]]);
        assert!(codes(&found).contains(&"indistinguishable"), "{found:?}");
        assert!(codes(&found).contains(&"best-unclear"), "{found:?}");
        assert!(!codes(&found).contains(&"faster"), "{found:?}");
    }

    #[test]
    fn marked_runs_support_no_conclusion() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let configurations = [threads(1), threads(2), with_mode(Mode::Processes, 2)];
        let times: [&[f64]; 3] = [&[2.0, 2.01, 2.02], &[1.0, 1.01, 1.02], &[1.5, 1.51, 1.52]];
        // Unmarked, these runs scale perfectly and threads is fastest.
        let clean = findings_of(&machine, Scaling::Strong, &configurations, &times);
        assert!(message(&clean, "scaling").contains("indistinguishable from perfect scaling"));
        assert!(message(&clean, "best").starts_with("Fastest: threads, 2 workers"));
        assert!(message(&clean, "faster").starts_with("At 2 workers: threads"));
        // The 2-worker threads runs had another load: nothing is concluded from them.
        let found = findings_marked(&machine, Scaling::Strong, &configurations, &times, &[1]);
        let scaling = message(&found, "scaling");
        assert!(
            scaling.ends_with("Not conclusive: the runs of 2 workers are marked."),
            "{scaling}"
        );
        assert!(!scaling.contains("perfect scaling"), "{scaling}");
        assert_eq!(
            message(&found, "best-unclear"),
            "Least time: threads, 2 workers (1.010 ± 0.010 s). Not conclusive: its runs are marked."
        );
        assert!(
            message(&found, "not-conclusive")
                .ends_with("Not conclusive: the runs of threads are marked."),
            "{found:?}"
        );
        assert!(!codes(&found).contains(&"best") && !codes(&found).contains(&"faster"));
        assert!(message(&found, "other-load").starts_with("threads, 2 workers, "));
        assert_one_colon_per_sentence(&found);
    }

    #[test]
    fn one_run_each_states_no_difference_and_no_deviation() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let configurations = [threads(1), threads(2), with_mode(Mode::Processes, 2)];
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &configurations,
            &[&[2.0], &[1.0], &[1.5]],
        );
        assert!(message(&found, "one-run").contains("the noise is unknown"));
        assert!(!found.iter().any(|f| f.message.contains('±')), "{found:?}");
        assert!(
            message(&found, "serial-fraction-unknown").contains("the noise is unknown"),
            "{found:?}"
        );
        assert!(
            message(&found, "indistinguishable").contains("cannot be told apart"),
            "{found:?}"
        );
        for code in ["faster", "best", "best-unclear", "serial-fraction"] {
            assert!(!codes(&found).contains(&code), "{code}: {found:?}");
        }
        assert!(!message(&found, "scaling").contains("perfect scaling"));
    }

    #[test]
    fn findings_follow_the_table_order() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let configurations = [
            threads(1),
            threads(2),
            with_mode(Mode::Processes, 1),
            with_mode(Mode::Processes, 2),
        ];
        let times: [&[f64]; 4] = [&[2.0, 2.01], &[1.0, 1.01], &[2.0, 2.01], &[1.0, 1.01]];
        let found = findings_of(&machine, Scaling::Strong, &configurations, &times);
        let scaling: Vec<&str> = found
            .iter()
            .filter(|f| f.code == "scaling")
            .map(|f| f.message.as_str())
            .collect();
        assert!(scaling[0].starts_with("threads, ") && scaling[1].starts_with("processes, "));
    }

    #[test]
    fn nothing_finished_nothing_compared() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let spec = WorkloadSpec::Count { n: 8, split: false };
        let comparison = Comparison {
            title: "t".into(),
            machine: &machine,
            spec: &spec,
            scaling: Scaling::Weak,
            stats: &[],
            fits: &[],
            runs: &[],
            interrupted: true,
            repeat: 3,
            command: None,
        };
        assert_eq!(
            findings(&comparison),
            vec![finding(
                "interrupted",
                "The sweep was interrupted before any run finished: nothing to compare.".into()
            )]
        );
    }

    #[test]
    fn equal_pinnings_on_one_cpu_say_cpu() {
        let machine = Machine::with_topology(Topology::synthetic(2, 2));
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &[spread_kept_for_compact(1, vec![0])],
            &[&[1.0, 1.0, 1.0]],
        );
        assert!(
            message(&found, "same-pinning").contains("with 1 worker (both use CPU 0): run once"),
            "{found:?}"
        );
    }

    #[test]
    fn overlapping_ranges_are_indistinguishable() {
        let found = threads_against_processes([&[1.00, 1.05, 1.10], &[1.02, 1.07, 1.12]]);
        assert!(codes(&found).contains(&"indistinguishable"), "{found:?}");
        assert!(codes(&found).contains(&"best-unclear"), "{found:?}");
        assert!(
            !found.iter().any(|f| f.message.contains("faster than")),
            "{found:?}"
        );
    }

    #[test]
    fn separate_ranges_name_the_faster() {
        let found = threads_against_processes([&[1.00, 1.01, 1.02], &[1.20, 1.21, 1.22]]);
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
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &[spread_kept_for_compact(2, vec![0, 1])],
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

    #[test]
    fn a_base_that_took_no_measurable_time_gives_no_speedup_figure() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &[threads(1), threads(2)],
            &[&[0.0], &[0.0]],
        );
        let scaling = found.iter().find(|f| f.code == "scaling").unwrap();
        assert!(
            scaling.message.contains("speedup unknown") && !scaling.message.contains("—"),
            "{}",
            scaling.message
        );
    }

    /// Spread and compact the same at every worker count: the compact series
    /// repeats the spread runs, so its findings are not said a second time.
    #[test]
    fn a_series_made_only_of_another_pinnings_runs_is_described_once() {
        let machine = Machine::with_topology(Topology::synthetic(2, 1));
        let found = findings_of(
            &machine,
            Scaling::Strong,
            &[
                spread_kept_for_compact(1, vec![0]),
                spread_kept_for_compact(2, vec![0, 1]),
            ],
            &[&[2.0, 2.01, 2.02], &[1.0, 1.01, 1.02]],
        );
        let scaling: Vec<&Finding> = found.iter().filter(|f| f.code == "scaling").collect();
        assert_eq!(scaling.len(), 1, "{found:?}");
        assert!(scaling[0].message.contains("pin spread"), "{found:?}");
        assert!(
            !found
                .iter()
                .any(|f| f.code == "no-fit" && f.message.contains("compact"))
        );
    }
}
