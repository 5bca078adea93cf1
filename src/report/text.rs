//! What the terminal shows after a run: the `time`-like block and where the
//! run's files are.

use std::fmt::Write as _;

use super::json::Written;
use crate::capture::run::RunSummary;
use crate::summary::compare::{Comparison, ConfigStats};
use crate::summary::findings::Finding;
use crate::util::cpulist::format_cpulist;
use crate::util::text::display_path;
use crate::util::units::{format_cpus, format_time_block};

/// The `time`-like block and where the run folder is.
pub fn time_block(summary: &RunSummary) -> String {
    let cpu = summary.outcome.cpu;
    let mut text = format_time_block(summary.outcome.wall_s, cpu.user_s, cpu.sys_s) + "\n";
    if let Some(measures) = &summary.measures {
        text.push_str(&format!(
            "cpus\t{:.2} of {}\n",
            measures.cpus_in_use,
            format_cpus(summary.capacity)
        ));
    }
    text.push_str(&format!("\nsaved\t{}/\n", display_path(&summary.dir)));
    if let Some(report) = &summary.report {
        text.push_str(&format!("report\t{}\n", display_path(report)));
    }
    text
}

/// The comparison table `sweep` prints (none when no run finished), its
/// findings, and where its files are.
pub fn sweep_table(comparison: &Comparison<'_>, findings: &[Finding], written: &Written) -> String {
    let mut out = String::new();
    if !comparison.stats.is_empty() {
        out.push_str(&configuration_table(comparison.stats));
    }
    for finding in findings {
        let _ = writeln!(out, "- {}", finding.message);
    }
    let _ = writeln!(out, "\nsaved\t{}/", written.dir.display());
    let _ = writeln!(out, "report\t{}", written.report.display());
    let _ = writeln!(out, "writeup\t{}", written.writeup.display());
    out
}

/// The columns of the terminal's table: user s, sys s and CPUs in use are
/// the means of the runs.
const TABLE_HEADER: [&str; 12] = [
    "configuration",
    "CPUs",
    "runs",
    "wall s (mean ± sd)",
    "median",
    "min–max",
    "user s",
    "sys s",
    "CPUs in use",
    "speedup",
    "eff %",
    "marks",
];

/// One line per configuration, each column as wide as its widest cell: the
/// configuration on the left, the numbers on the right, the marks last.
fn configuration_table(stats: &[ConfigStats]) -> String {
    let header: Vec<String> = TABLE_HEADER.iter().map(|h| h.to_string()).collect();
    let rows: Vec<Vec<String>> = std::iter::once(header)
        .chain(stats.iter().map(table_row))
        .collect();
    let widths: Vec<usize> = (0..TABLE_HEADER.len())
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let last = TABLE_HEADER.len() - 1;
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(column, (cell, &width))| match column {
                0 => format!("{cell:<width$}"),
                c if c == last => cell.clone(),
                _ => format!("{cell:>width$}"),
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

fn table_row(s: &ConfigStats) -> Vec<String> {
    vec![
        s.description.clone(),
        format_cpulist(&s.cpus),
        s.runs.to_string(),
        s.wall_s.plus_minus(3),
        format!("{:.3}", s.wall_s.median),
        format!("{:.3}–{:.3}", s.wall_s.min, s.wall_s.max),
        format!("{:.3}", s.user_s.mean),
        format!("{:.3}", s.sys_s.mean),
        s.cpus_in_use
            .map_or("—".into(), |c| format!("{:.2}", c.mean)),
        s.speedup
            .map_or("—".into(), |v| format!("{}×", v.plus_minus(2))),
        s.efficiency
            .map_or("—".into(), |v| v.times(100.0).plus_minus(0)),
        s.marks().join(", "),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::topology::Topology;
    use crate::summary::compare::tests::{record, threads, warning, with_comparison};
    use crate::summary::findings::findings;
    use crate::summary::sweep_runs::{RunRecord, Scaling};

    /// The terminal's output for hand-made runs: `times[i]` are the walls of
    /// threads with i + 1 workers; the runs of `short` have a too-short warning.
    fn printed(times: &[&[f64]], short: &[usize]) -> String {
        let configurations: Vec<_> = (1..=times.len())
            .map(|workers| {
                let (configuration, mut placement) = threads(workers);
                placement.cpus = vec![0, 1];
                (configuration, placement)
            })
            .collect();
        let runs: Vec<(usize, RunRecord)> = times
            .iter()
            .enumerate()
            .flat_map(|(i, walls)| {
                walls.iter().enumerate().map(move |(r, &wall)| {
                    let mut run = record("t", r as u32 + 1, wall);
                    run.sys_s = 0.01 * (r + 1) as f64;
                    if short.contains(&i) {
                        run.warnings = vec![warning("too-short")];
                    }
                    (i, run)
                })
            })
            .collect();
        let written = Written {
            dir: "sw".into(),
            report: "sw/report.html".into(),
            writeup: "sw/writeup.md".into(),
        };
        let topology = Topology::synthetic(2, 1);
        with_comparison(topology, Scaling::Strong, &configurations, runs, |c| {
            sweep_table(c, &findings(c), &written)
        })
    }

    /// The cells of a table line: columns are two spaces or more apart.
    fn cells(line: &str) -> Vec<&str> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect()
    }

    #[test]
    fn the_table_has_the_median_user_sys_and_cpus_in_use() {
        let text = printed(&[&[2.0, 2.1, 2.3], &[1.0, 1.1, 1.2]], &[]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(cells(lines[0]), TABLE_HEADER);
        assert_eq!(
            cells(lines[1]),
            [
                "threads, 1 worker",
                "0-1",
                "3",
                "2.133 ± 0.153",
                "2.100",
                "2.000–2.300",
                "2.133",
                "0.020",
                "1.00",
                "1.00 ± 0.00×",
                "100 ± 0"
            ]
        );
        assert!(cells(lines[2]).starts_with(&["threads, 2 workers", "0-1", "3", "1.100 ± 0.100"]));
        let widest = lines[..3].iter().map(|l| l.chars().count()).max().unwrap();
        assert!(widest <= 150, "{widest} columns:\n{text}");
    }

    #[test]
    fn one_run_shows_no_deviation_and_marks_are_shown() {
        let text = printed(&[&[0.002], &[0.001]], &[0, 1]);
        let (table, rest) = text.split_at(text.find("\n- ").unwrap());
        let table: Vec<&str> = table.lines().collect();
        assert!(!table[1..].concat().contains('±'), "{text}");
        assert!(!rest.contains('±'), "{text}");
        assert_eq!(cells(table[1]).last(), Some(&"too-short"), "{text}");
        assert_eq!(cells(table[2])[3], "0.001");
        assert!(text.contains("One run per configuration: the noise is unknown"));
    }
}
