//! Draws speedup.png and writeup.md of a made-up sweep on 4 cores × 2 threads
//! with the second seed's numbers (each worker counts the full range; 8
//! workers take twice the time of 4), to see what the comparison states
//! without such a machine:
//!
//!     cargo run --example synthetic_sweep -- OUT_DIR
//!
//! A maintainer's tool: it builds the comparison from made-up records, so it
//! reaches behind the library's face into its hidden modules, which change
//! without notice; the other examples use only the face.

use std::path::Path;

use anyhow::{Context, bail};
use coreheat::Status;
use coreheat::machine::Machine;
use coreheat::machine::pin::PinSpec;
use coreheat::machine::topology::Topology;
use coreheat::model::workload::{Mode, WorkloadSpec};
use coreheat::report::canvas::DEFAULT_PNG_SCALE;
use coreheat::report::sweep::speedup_chart;
use coreheat::report::writeup::writeup_markdown;
use coreheat::summary::compare::{Comparison, compare};
use coreheat::summary::sweep_runs::{Configuration, RunRecord, Scaling, merge_equal};

const REPEATS: u32 = 3;

/// The mean wall time of a configuration: up to one worker per core the time
/// stays about 1 s; workers sharing a core's two siblings take twice as long.
fn mean_seconds(pin: &PinSpec, workers: usize) -> f64 {
    match (pin, workers) {
        (_, 1) => 1.00,
        (PinSpec::Compact, 2 | 4) | (_, 8) => 2.02,
        _ => 1.01,
    }
}

/// Repeat `repeat` of a configuration, about 0.5 % from its mean.
fn run(index: usize, configuration: &Configuration, repeat: u32) -> RunRecord {
    let pin = configuration.pin.as_text();
    let workers = configuration.workers;
    let wall_s = mean_seconds(&configuration.pin, workers) * (1.0 + 0.005 * (repeat as f64 - 2.0));
    let user_s = workers as f64 * mean_seconds(&configuration.pin, 1);
    RunRecord {
        configuration: configuration.describe(),
        repeat,
        dir: format!("{:02}-{}-r{repeat}", index + 1, configuration.label()),
        status: Status::Ok,
        wall_s,
        user_s,
        sys_s: 0.0,
        result: Some(format!(
            "[{}]",
            vec!["36028796884746240"; workers].join(", ")
        )),
        command: format!(
            "coreheat run --mode threads --workers {workers} --pin {pin} count --n 2^28"
        ),
        samples: 20,
        cpus_in_use: Some(user_s / wall_s),
        warnings: Vec::new(),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out] = args.as_slice() else {
        bail!("usage: synthetic_sweep OUT_DIR (a folder without speedup.png and writeup.md)");
    };
    let out = Path::new(out);
    for file in ["speedup.png", "writeup.md"] {
        if out.join(file).exists() {
            bail!("{} exists; give another OUT_DIR", out.join(file).display());
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let machine = Machine::with_topology(Topology::synthetic(4, 2));
    let mut resolved = Vec::new();
    for pin in [PinSpec::Spread, PinSpec::Compact] {
        for workers in [1, 2, 4, 8] {
            let cpus = pin
                .worker_cpus(&machine.topology, workers)
                .map_err(anyhow::Error::msg)?;
            let mode = Mode::Threads;
            let pin = pin.clone();
            resolved.push((Configuration { mode, pin, workers }, cpus));
        }
    }
    let placed = merge_equal(resolved, &machine.limits.allowed);
    let runs: Vec<(usize, RunRecord)> = placed
        .iter()
        .enumerate()
        .flat_map(|(i, (c, _))| (1..=REPEATS).map(move |r| (i, run(i, c, r))))
        .collect();
    let (stats, fits) = compare(Scaling::Weak, &placed, &runs, &machine.topology);
    let records: Vec<RunRecord> = runs.into_iter().map(|(_, r)| r).collect();
    let spec = WorkloadSpec::Count {
        n: 1 << 28,
        split: false,
    };
    let comparison = Comparison {
        title: "count --n 2^28 on 4 cores × 2 threads (synthetic)".into(),
        machine: &machine,
        spec: &spec,
        scaling: Scaling::Weak,
        stats: &stats,
        fits: &fits,
        runs: &records,
        interrupted: false,
        repeat: REPEATS,
        command: Some(
            "coreheat sweep --workers 1,2,4,8 --pins spread,compact count --n 2^28".into(),
        ),
    };
    let chart = speedup_chart(&comparison)?;
    std::fs::write(out.join("speedup.png"), chart.png(DEFAULT_PNG_SCALE)?)?;
    std::fs::write(out.join("writeup.md"), writeup_markdown(&comparison))?;
    println!("{}", out.display());
    Ok(())
}
