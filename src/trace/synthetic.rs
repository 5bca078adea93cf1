//! Synthetic traces of any size and shape, for benchmarks and tests of long
//! runs (a 24-hour trace of 64 CPUs at 1 s is 86 400 samples, about 110 MB).
//! The load follows a slow wave per CPU plus a busy block, so drawings of it
//! have structure to look at. Samples hold ticks of a 100 Hz clock, as a run
//! writes them.

use std::io;
use std::path::Path;

use crate::model::workload::WorkloadMeta;
use crate::model::{CpuLoad, CpuTicks, CpuUnit, End, Meta, Status, TraceCpu};
use crate::trace::TraceWriter;

/// Ticks a second of the synthetic clock (Linux's USER_HZ).
pub const TICKS_PER_S: u32 = 100;

/// Writes a trace of `samples` samples of `cpus` CPUs (SMT pairs, Intel-style
/// numbering) every `interval_s` seconds to `path`, with an end line.
pub fn write_trace(path: &Path, cpus: u32, samples: u64, interval_s: f64) -> io::Result<()> {
    let machine = Machine {
        host: "synthetic",
        start: "2026-11-22T00:00:00+00:00",
        scale: 1.0,
    };
    write_machine_trace(path, &machine, cpus, samples, interval_s)
}

/// One machine of a synthetic fleet: its host name, its RFC 3339 start, and
/// how busy it is next to the plain synthetic load (0.1: a tenth as busy).
pub struct Machine<'a> {
    pub host: &'a str,
    pub start: &'a str,
    pub scale: f64,
}

/// [`write_trace`] of one machine of a fleet.
pub fn write_machine_trace(
    path: &Path,
    machine: &Machine<'_>,
    cpus: u32,
    samples: u64,
    interval_s: f64,
) -> io::Result<()> {
    let cores = (cpus / 2).max(1);
    let meta = Meta {
        tool: format!("coreheat {}", env!("CARGO_PKG_VERSION")),
        host: machine.host.into(),
        cpu_model: "synthetic CPU".into(),
        logical_cpus: cpus as usize,
        physical_cores: cores as usize,
        cpus: (0..cpus)
            .map(|cpu| TraceCpu {
                cpu,
                core: cpu % cores,
                package: 0,
            })
            .collect(),
        interval_s,
        start: machine.start.into(),
        title: Some(format!("synthetic: {cpus} CPUs, {samples} samples")),
        command: "synthetic".into(),
        workload: Some(WorkloadMeta::Synthetic {}),
        cpu_unit: Some(CpuUnit::Ticks),
        ticks_per_s: Some(TICKS_PER_S),
        ..Meta::default()
    };
    let mut writer = TraceWriter::create(path, &meta)?;
    let per_sample = (interval_s * TICKS_PER_S as f64).round().max(1.0) as u64;
    let mut ticks = vec![CpuTicks::default(); cpus as usize];
    for k in 1..=samples {
        for (cpu, row) in ticks.iter_mut().enumerate() {
            let load = synthetic_load(cpu as u64, k, samples);
            *row = ticks_of(&scaled(load, machine.scale), per_sample);
        }
        writer.write_ticks(k as f64 * interval_s, &ticks)?;
    }
    writer.write_end(
        samples as f64 * interval_s,
        &End {
            status: Status::Ok,
            result: None,
            wall_s: samples as f64 * interval_s,
            user_s: 0.0,
            sys_s: 0.0,
            message: None,
        },
    )
}

/// `load` with its usr and sys times `scale` (at most the whole interval).
fn scaled(load: CpuLoad, scale: f64) -> CpuLoad {
    let usr = (load.usr * scale).min(100.0);
    let sys = (load.sys * scale).min(100.0 - usr);
    CpuLoad {
        usr,
        sys,
        idle: 100.0 - usr - sys,
        ..CpuLoad::default()
    }
}

/// `load` in `total` ticks: usr and sys rounded to whole ticks, the rest idle.
fn ticks_of(load: &CpuLoad, total: u64) -> CpuTicks {
    let share = |percent: f64| ((percent * total as f64 / 100.0).round() as u64).min(total);
    let usr = share(load.usr);
    let sys = share(load.sys).min(total - usr);
    CpuTicks([usr, 0, sys, total - usr - sys, 0, 0, 0, 0])
}

fn synthetic_load(cpu: u64, k: u64, samples: u64) -> CpuLoad {
    let phase = (k as f64 / samples as f64 * std::f64::consts::TAU * 3.0) + cpu as f64 * 0.3;
    let mut usr = 35.0 + 30.0 * phase.sin();
    let in_block = k > samples / 3 && k < samples / 2 && cpu.is_multiple_of(3);
    if in_block {
        usr = 90.0;
    }
    let sys = if cpu % 4 == 1 { 12.0 } else { 2.0 };
    let usr = (usr + ((k * 7 + cpu * 13) % 11) as f64).min(100.0 - sys);
    let round = |v: f64| (v * 100.0).round() / 100.0;
    CpuLoad {
        usr: round(usr),
        sys,
        idle: round(100.0 - usr - sys),
        ..CpuLoad::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cpu_takes_at_most_25_bytes_per_sample() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let (cpus, samples) = (64, 200);
        write_trace(&path, cpus, samples, 1.0).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let sample_bytes: usize = text
            .lines()
            .filter(|line| line.contains("\"cpus\":[["))
            .map(|line| line.len() + 1)
            .sum();
        let per_cpu = sample_bytes as f64 / (cpus as u64 * samples) as f64;
        assert!(per_cpu <= 25.0, "{per_cpu:.1} bytes per CPU per sample");
        let trace = crate::trace::Trace::read(&path).unwrap();
        assert_eq!(trace.samples.len(), samples as usize);
        assert!(trace.samples.iter().flat_map(|s| &s.cpus).all(|load| {
            let sum: f64 = load.fields().iter().sum();
            (sum - 100.0).abs() < 1e-9
        }));
    }
}
