//! Synthetic traces of any size and shape, for benchmarks and tests of long
//! runs (a 24-hour trace of 64 CPUs at 1 s is 86 400 samples, about 600 MB).
//! The load follows a slow wave per CPU plus a busy block, so drawings of it
//! have structure to look at.

use std::io;
use std::path::Path;

use crate::model::workload::WorkloadMeta;
use crate::model::{CpuLoad, End, Meta, Sample, Status, TraceCpu};
use crate::trace::TraceWriter;

/// Writes a trace of `samples` samples of `cpus` CPUs (SMT pairs, Intel-style
/// numbering) every `interval_s` seconds to `path`, with an end line.
pub fn write_trace(path: &Path, cpus: u32, samples: u64, interval_s: f64) -> io::Result<()> {
    let cores = (cpus / 2).max(1);
    let meta = Meta {
        tool: format!("coreheat {}", env!("CARGO_PKG_VERSION")),
        host: "synthetic".into(),
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
        start: "2026-11-22T00:00:00+00:00".into(),
        title: Some(format!("synthetic: {cpus} CPUs, {samples} samples")),
        command: "synthetic".into(),
        workload: Some(WorkloadMeta::Synthetic {}),
        ..Meta::default()
    };
    let mut writer = TraceWriter::create(path, &meta)?;
    let mut sample = Sample {
        t: 0.0,
        cpus: vec![CpuLoad::default(); cpus as usize],
    };
    for k in 1..=samples {
        sample.t = k as f64 * interval_s;
        for (cpu, load) in sample.cpus.iter_mut().enumerate() {
            *load = synthetic_load(cpu as u64, k, samples);
        }
        writer.write_sample(&sample)?;
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
