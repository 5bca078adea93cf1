//! The hash kernel: hashes per second on one core, per engine, and the cost of
//! reading /proc/stat once (the sampler's work per sample).

use std::sync::atomic::AtomicU64;

use coreheat::kernels::digest::HashTarget;
use coreheat::kernels::hash::{Engine, search_range};
use coreheat::kernels::simd::{Lanes, search_piece_with};
use coreheat::model::CpuTicks;
use coreheat::sampler::LoadSource;
use coreheat::sampler::procstat::ProcStatSource;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const NONCES: u64 = 1 << 16;

fn hash_engines(c: &mut Criterion) {
    let target = HashTarget::new(b"", 64); // never found: every nonce is hashed
    let mut group = c.benchmark_group("hash");
    group.throughput(Throughput::Elements(NONCES));
    group.bench_function("scalar", |b| {
        let best = AtomicU64::new(u64::MAX);
        b.iter(|| {
            search_range(
                &target,
                Engine::Scalar,
                1_000_000,
                1_000_000 + NONCES,
                &best,
            )
        })
    });
    for lanes in [Lanes::Avx512, Lanes::Avx2] {
        let best = AtomicU64::new(u64::MAX);
        if search_piece_with(lanes, &target, 1_000_000, 1_000_008, &best).is_none() {
            continue; // this CPU lacks the instructions
        }
        group.bench_function(format!("{lanes:?}"), |b| {
            b.iter(|| search_piece_with(lanes, &target, 1_000_000, 1_000_000 + NONCES, &best))
        });
    }
    let long = HashTarget::new(&[b'x'; 200], 64);
    group.bench_function("auto, 200-byte prefix", |b| {
        let best = AtomicU64::new(u64::MAX);
        b.iter(|| search_range(&long, Engine::Auto, 1_000_000, 1_000_000 + NONCES, &best))
    });
    group.finish();
}

fn proc_stat_read(c: &mut Criterion) {
    let cpus: Vec<u32> = coreheat::machine::topology::Topology::detect()
        .cpus
        .iter()
        .map(|c| c.cpu)
        .collect();
    let mut source =
        ProcStatSource::open(std::path::Path::new("/proc/stat"), &cpus).expect("/proc/stat");
    let mut out = vec![CpuTicks::default(); cpus.len()];
    c.bench_function("sampler: one /proc/stat reading", |b| {
        b.iter(|| source.read(&mut out))
    });
}

criterion_group! {
    name = benches;
    // Criterion's plots need system fonts this crate does not use.
    config = Criterion::default().without_plots();
    targets = hash_engines, proc_stat_read
}
criterion_main!(benches);
