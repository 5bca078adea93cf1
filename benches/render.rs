//! Rendering a long trace: a synthetic 24-hour, 1 s trace (86 400 samples) of
//! 64 CPUs (about 110 MB) and of 1 024 CPUs (about 1.8 GB; its heatmap.png is
//! the quantized heat map) drawn into report.html and the PNGs. Prints the
//! sizes once, and the trace's bytes per CPU per sample.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

const SAMPLES: u64 = 86_400;

fn render_day(c: &mut Criterion) {
    render_day_of(c, 64);
    render_day_of(c, 1024);
}

/// Renders a 24-hour trace of `cpus` CPUs.
fn render_day_of(c: &mut Criterion, cpus: u32) {
    let dir = tempfile::tempdir().expect("temp dir");
    let trace = dir.path().join("trace.jsonl");
    coreheat::synthetic::write_trace(&trace, cpus, SAMPLES, 1.0).expect("synthetic trace");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let report = coreheat::render(&trace, &out).expect("render");
    let size = |name: &str| {
        std::fs::metadata(out.join(name))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let trace_bytes = std::fs::metadata(&trace).unwrap().len();
    eprintln!(
        "trace {} MB ({:.1} bytes per CPU per sample) -> report.html {} kB, heatmap.png {} kB, \
         cores.png {} kB ({})",
        trace_bytes / 1_000_000,
        trace_bytes as f64 / (cpus as u64 * SAMPLES) as f64,
        size("report.html") / 1000,
        size("heatmap.png") / 1000,
        size("cores.png") / 1000,
        report.display()
    );
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    group.bench_function(format!("24h at 1s, {cpus} CPUs"), |b| {
        b.iter(|| coreheat::render(Path::new(&trace), &out).expect("render"))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = render_day
}
criterion_main!(benches);
