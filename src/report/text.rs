//! What the terminal shows after a run: the `time`-like block and where the
//! run's files are.

use std::fmt::Write as _;

use super::json::Written;
use crate::capture::run::RunSummary;
use crate::summary::compare::Comparison;
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

/// The comparison table `sweep` prints, its findings, and where its files are.
pub fn sweep_table(comparison: &Comparison<'_>, findings: &[Finding], written: &Written) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<34} {:>10} {:>4} {:>20} {:>15} {:>13} {:>9}",
        "configuration", "CPUs", "runs", "wall s (mean ± sd)", "min–max s", "speedup", "eff %"
    );
    for s in comparison.stats {
        let _ = writeln!(
            out,
            "{:<34} {:>10} {:>4} {:>20} {:>15} {:>13} {:>9}",
            s.description,
            format_cpulist(&s.cpus),
            s.runs,
            s.wall_s.plus_minus(3),
            format!("{:.3}–{:.3}", s.wall_s.min, s.wall_s.max),
            s.speedup.map_or("—".into(), |v| v.plus_minus(2)),
            s.efficiency
                .map_or("—".into(), |v| v.times(100.0).plus_minus(0))
        );
    }
    for finding in findings {
        let _ = writeln!(out, "- {}", finding.message);
    }
    let _ = writeln!(out, "\nsaved\t{}/", written.dir.display());
    let _ = writeln!(out, "report\t{}", written.report.display());
    let _ = writeln!(out, "writeup\t{}", written.writeup.display());
    out
}
