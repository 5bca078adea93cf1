//! writeup.md: the sweep in the style of the seed writeups, ready to paste —
//! the command as typed, the result once, one section per configuration with
//! its CPUs, its median run and the spread of its runs, the table and the
//! noise-gated findings.

use std::fmt::Write as _;

use crate::model::Status;
use crate::summary::compare::{Comparison, ConfigStats};
use crate::summary::findings::findings;
use crate::summary::stats::{Ratio, Spread};
use crate::summary::sweep_runs::RunRecord;
use crate::summary::sweep_runs::Scaling;
use crate::util::cpulist::format_cpulist;
use crate::util::text::{join_and, markdown_code_block, markdown_text, printable};
use crate::util::units::format_time_block;

/// writeup.md of a comparison.
pub fn writeup_markdown(comparison: &Comparison<'_>) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", markdown_text(&comparison.title));
    let _ = writeln!(md, "{}\n", machine_line(comparison));
    if let Some(command) = &comparison.command {
        let _ = writeln!(
            md,
            "{}",
            markdown_code_block("console", &format!("$ {}\n", printable(command)))
        );
    }
    if let Some(nothing) = comparison.nothing_to_compare() {
        let _ = writeln!(md, "{nothing}");
        return md;
    }
    let shared_result = shared_result(comparison.runs);
    if let Some(result) = &shared_result {
        let _ = writeln!(md, "Every run gave the same result:\n");
        let _ = writeln!(
            md,
            "{}",
            markdown_code_block("text", &format!("{}\n", printable(result)))
        );
    }
    let _ = writeln!(
        md,
        "Each heat map shows one row per logical CPU and one column per sample; the darker, the busier.\n"
    );
    for stats in comparison.stats {
        configuration_section(&mut md, comparison, stats, shared_result.is_none());
    }
    let _ = writeln!(md, "## Speedup\n");
    let _ = writeln!(md, "{}.\n", capitalize(comparison.scaling.describe()));
    let _ = writeln!(md, "![speedup against workers](speedup.png)\n");
    table(&mut md, comparison);
    let _ = writeln!(md, "\n## What it shows\n");
    for finding in findings(comparison) {
        let _ = writeln!(md, "- {}", markdown_text(&finding.message));
    }
    md
}

fn machine_line(comparison: &Comparison<'_>) -> String {
    let machine = comparison.machine;
    let topology = &machine.topology;
    format!(
        "Measured with coreheat {} on {} ({}, {}{}, {} {}).",
        env!("CARGO_PKG_VERSION"),
        markdown_text(&machine.host),
        markdown_text(&machine.cpu_model),
        topology.describe_counts(),
        if topology.has_smt() { ", SMT on" } else { "" },
        markdown_text(&machine.os),
        markdown_text(&machine.kernel)
    )
}

/// The result line when two or more runs finished and every run that has a
/// result gave the same.
fn shared_result(runs: &[RunRecord]) -> Option<String> {
    if runs.iter().filter(|r| r.status == Status::Ok).count() < 2 {
        return None;
    }
    let mut results = runs.iter().filter_map(|r| r.result.as_ref());
    let first = results.next()?;
    results.all(|r| r == first).then(|| first.clone())
}

fn configuration_section(
    md: &mut String,
    comparison: &Comparison<'_>,
    stats: &ConfigStats,
    with_result: bool,
) {
    let Some(run) = comparison.runs.iter().find(|r| r.dir == stats.dir) else {
        return;
    };
    let _ = writeln!(md, "## {}\n", markdown_text(&stats.description));
    if let Some(pin) = &stats.shared_with {
        let text = format!(
            "{}. Same CPUs as {pin}: shared run (its time and heat map are under pin {pin}).",
            cpus_text(stats)
        );
        let _ = writeln!(md, "{}\n", markdown_text(&text));
        return;
    }
    let _ = writeln!(md, "{}\n", markdown_text(&cpus_text(stats)));
    let _ = writeln!(md, "Median run ({}):\n", markdown_text(&run.dir));
    let _ = writeln!(
        md,
        "{}",
        markdown_code_block("console", &console_text(run, &run.command, with_result))
    );
    let _ = writeln!(md, "{}\n", markdown_text(&spread_text(stats)));
    let _ = writeln!(
        md,
        "![{}]({}/heatmap.png)\n",
        markdown_text(&stats.description),
        run.dir
    );
}

/// `CPUs 0-3 (pinned)`, or the allowed CPUs of an unpinned configuration.
pub fn cpus_text(stats: &ConfigStats) -> String {
    let mut distinct = stats.cpus.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let noun = if distinct.len() == 1 { "CPU" } else { "CPUs" };
    let list = format_cpulist(&stats.cpus);
    let mut text = if stats.pinned {
        format!("{noun} {list} (pinned)")
    } else {
        format!("{noun} {list} (not pinned: the scheduler chose among them)")
    };
    if !stats.same_as.is_empty() {
        let _ = write!(
            text,
            "; also pin {}: the same CPUs, not run again",
            join_and(&stats.same_as)
        );
    }
    text
}

/// `wall 1.234 ± 0.010 s (median 1.230 s, 1.220–1.250 s, 3 runs)`.
fn spread_text(stats: &ConfigStats) -> String {
    if stats.runs == 1 {
        return format!("1 run: wall {:.3}s.", stats.wall_s.mean);
    }
    let mut text = format!(
        "{} runs: wall {} (median {:.3}s, {}); user {}s; sys {}s",
        stats.runs,
        seconds(&stats.wall_s),
        stats.wall_s.median,
        range(&stats.wall_s),
        stats.user_s.plus_minus(3),
        stats.sys_s.plus_minus(3)
    );
    if let Some(in_use) = &stats.cpus_in_use {
        let _ = write!(text, "; CPUs in use {}", in_use.plus_minus(2));
    }
    text.push('.');
    text
}

fn seconds(spread: &Spread) -> String {
    format!("{}s", spread.plus_minus(3))
}

fn range(spread: &Spread) -> String {
    format!("{:.3}–{:.3}s", spread.min, spread.max)
}

fn ratio_text(ratio: Option<Ratio>, suffix: &str, scale: f64, digits: usize) -> String {
    ratio.map_or("—".into(), |r| {
        format!("{}{suffix}", r.times(scale).plus_minus(digits))
    })
}

/// The table of every configuration; a time-ratio column where a speedup
/// does not say it all (weak scaling, a series without a 1-worker run).
fn table(md: &mut String, comparison: &Comparison<'_>) {
    let with_ratio =
        comparison.scaling == Scaling::Weak || comparison.fits.iter().any(|f| f.base_workers != 1);
    let ratio_head = if with_ratio { " time ratio |" } else { "" };
    let ratio_rule = if with_ratio { "---:|" } else { "" };
    let _ = writeln!(
        md,
        "| configuration | CPUs | runs | wall | median | min–max | user | sys | CPUs in use | speedup | efficiency |{ratio_head} marks |"
    );
    let _ = writeln!(
        md,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|{ratio_rule}---|"
    );
    for s in comparison.stats {
        let ratio = if with_ratio {
            format!(" {} |", ratio_text(s.time_ratio, "×", 1.0, 2))
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.3}s | {} | {} | {} | {} | {} | {} |{ratio} {} |",
            markdown_text(&s.description),
            format_cpulist(&s.cpus),
            s.runs,
            seconds(&s.wall_s),
            s.wall_s.median,
            range(&s.wall_s),
            seconds(&s.user_s),
            seconds(&s.sys_s),
            s.cpus_in_use.map_or("—".into(), |c| c.plus_minus(2)),
            ratio_text(s.speedup, "×", 1.0, 2),
            ratio_text(s.efficiency, "%", 100.0, 0),
            markdown_text(&s.marks().join(", ")),
        );
    }
}

/// A run as the seed writeups show it: the command, its result and the `time`
/// block. The command is made printable; the code block keeps the rest as it is.
fn console_text(run: &RunRecord, command: &str, with_result: bool) -> String {
    let mut text = format!("$ {}\n", printable(command));
    if with_result && let Some(result) = &run.result {
        let _ = writeln!(text, "{}", printable(result));
    }
    let _ = writeln!(
        text,
        "\n{}",
        format_time_block(run.wall_s, run.user_s, run.sys_s)
    );
    text
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Machine;
    use crate::machine::topology::Topology;
    use crate::model::workload::WorkloadSpec;
    use crate::summary::sweep_runs::Scaling;

    #[test]
    fn the_machine_line_counts_in_the_singular_for_one_cpu() {
        let machine = Machine::with_topology(Topology::synthetic(1, 1));
        let spec = WorkloadSpec::Count {
            n: 1 << 22,
            split: false,
        };
        let comparison = Comparison {
            title: "t".into(),
            machine: &machine,
            spec: &spec,
            scaling: Scaling::of(&spec),
            stats: &[],
            fits: &[],
            runs: &[],
            interrupted: false,
            repeat: 1,
            command: None,
        };
        let line = machine_line(&comparison);
        assert!(line.contains("1 logical CPU on 1 physical core,"), "{line}");
    }

    /// The time ratio is a column where the speedup does not say it all:
    /// weak scaling, or a series without a 1-worker run.
    #[test]
    fn the_table_has_a_time_ratio_where_the_html_has_one() {
        use crate::summary::compare::tests::{record, threads, with_comparison};
        let header = |scaling, counts: &[usize]| {
            let configurations: Vec<_> = counts.iter().map(|&w| threads(w)).collect();
            let runs = (0..counts.len())
                .flat_map(|i| (1..=2).map(move |r| (i, record("t", r, 1.0 + 0.1 * r as f64))))
                .collect();
            let topology = Topology::synthetic(4, 1);
            with_comparison(topology, scaling, &configurations, runs, |c| {
                let mut md = String::new();
                table(&mut md, c);
                md.lines().next().unwrap_or_default().to_string()
            })
        };
        assert!(header(Scaling::Weak, &[1, 2]).contains("| efficiency | time ratio | marks |"));
        assert!(header(Scaling::Strong, &[2, 4]).contains("| time ratio |"));
        assert!(!header(Scaling::Strong, &[1, 2]).contains("time ratio"));
    }
}
