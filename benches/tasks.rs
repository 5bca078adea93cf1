//! The cost of reading the workload's tasks at one sample, against the task
//! count: this process with 10, 100 and 1000 extra threads that sleep, and
//! with 10 and 100 that spin (1000 spinning threads would measure the
//! scheduler, not the reader). The goal: at most 0.5 ms of CPU per sample with
//! 100 threads and 2 ms with 1000. Prints the CPU time per reading too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use coreheat::sampler::tasks::{RootThreads, TaskSampler, TaskScope};
use criterion::{Criterion, criterion_group, criterion_main};

/// Starts `count` threads that sleep (or spin, when `busy`) until `stop`.
fn start_threads(
    count: usize,
    busy: bool,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..count)
        .map(|n| {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name(format!("bench-{n}"))
                .stack_size(64 * 1024)
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if busy {
                            std::hint::spin_loop();
                        } else {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                })
                .expect("a thread starts")
        })
        .collect()
}

fn read_tasks(c: &mut Criterion) {
    for (count, busy) in [
        (10, false),
        (100, false),
        (1000, false),
        (10, true),
        (100, true),
    ] {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = start_threads(count, busy, &stop);
        let scope = TaskScope::this_process(RootThreads::AllButSampler, None);
        let mut sampler = TaskSampler::start(scope).expect("tasks readable");
        sampler.read();
        let name = format!("tasks/{count} {}", if busy { "busy" } else { "sleeping" });
        let before = coreheat::util::os::thread_cpu_times();
        let mut readings = 0u32;
        c.bench_function(&name, |b| {
            b.iter(|| {
                readings += 1;
                sampler.read().rows.len()
            })
        });
        let cpu = coreheat::util::os::thread_cpu_times().minus(before);
        println!(
            "{name}: {:.3} ms of CPU per reading ({} tasks followed)",
            (cpu.user_s + cpu.sys_s) * 1000.0 / f64::from(readings.max(1)),
            sampler.followed()
        );
        stop.store(true, Ordering::Relaxed);
        for thread in threads {
            let _ = thread.join();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = read_tasks
}
criterion_main!(benches);
