//! Reads a coreheat trace (even one from a killed run; or a dstat CSV, an
//! mpstat JSON) and prints each CPU's time-weighted mean and peak load, as the
//! report's "whole trace" table does; a coreheat trace is streamed, never held
//! in memory whole.
//!
//!     cargo run --example summarize_trace -- reports/<run>/trace.jsonl

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let Some(path) = std::env::args().nth(1).map(PathBuf::from) else {
        anyhow::bail!("usage: summarize_trace TRACE.jsonl (or a dstat CSV, an mpstat JSON)");
    };
    let summary = coreheat::summarize(&path)?;
    let meta = &summary.meta;
    println!(
        "{} on {} ({}), {} samples over {:.1}s",
        meta.command,
        meta.host,
        meta.cpu_model,
        summary.sample_count,
        summary.duration()
    );
    if let Some((_, end)) = &summary.end {
        println!(
            "status {}, wall {:.3}s, user {:.3}s, sys {:.3}s",
            end.status.as_str(),
            end.wall_s,
            end.user_s,
            end.sys_s
        );
    } else {
        println!("no end line: the run was cut short");
    }
    // Time-weighted, as the report's "whole trace" table: a short interval
    // (the workload's last moments) weighs as little as it lasted.
    println!(
        "{:>6} {:>5} {:>10} {:>9} {:>7} {:>7}",
        "cpu", "core", "mean busy", "max busy", "usr", "kernel"
    );
    for (cpu, whole) in meta.cpus.iter().zip(&summary.whole) {
        match whole.mean() {
            Some(mean) => println!(
                "{:>6} {:>5} {:>9.1}% {:>8.1}% {:>6.1}% {:>6.1}%",
                format!("cpu{}", cpu.cpu),
                cpu.core,
                mean.busy(),
                whole.max_busy,
                mean.user(),
                mean.kernel()
            ),
            None => println!("{:>6} {:>5}  no data", format!("cpu{}", cpu.cpu), cpu.core),
        }
    }
    Ok(())
}
