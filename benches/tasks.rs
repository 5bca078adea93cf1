//! The cost of reading the workload's tasks at one sample, against the task
//! count: this process with 10, 100 and 1000 extra threads, in the two cases a
//! sample meets. "all ran": every thread ran since the reading before (each is
//! woken for a moment before each reading, outside the timed part), so every
//! task's files are read — the worst case, a busy workload. "none ran": the
//! threads sleep, so only each task's `schedstat` is read. The goal: at most
//! 0.5 ms of CPU per sample with 100 threads and 2 ms with 1000. Prints the
//! sampler thread's CPU time per reading too (CLOCK_THREAD_CPUTIME_ID).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use coreheat::sampler::tasks::{RootThreads, TaskSampler, TaskScope};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

/// Threads that sleep until woken, then each adds a little and sleeps again.
struct Sleepers {
    round: Mutex<u64>,
    wake: Condvar,
    done: AtomicU64,
    stop: AtomicBool,
}

impl Sleepers {
    fn start(count: usize) -> (Arc<Sleepers>, Vec<std::thread::JoinHandle<()>>) {
        let sleepers = Arc::new(Sleepers {
            round: Mutex::new(0),
            wake: Condvar::new(),
            done: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let threads = (0..count)
            .map(|n| {
                let sleepers = sleepers.clone();
                std::thread::Builder::new()
                    .name(format!("bench-{n}"))
                    .stack_size(64 * 1024)
                    .spawn(move || sleepers.serve())
                    .expect("a thread starts")
            })
            .collect();
        (sleepers, threads)
    }

    fn serve(&self) {
        let mut seen = 0;
        loop {
            let mut round = self.round.lock().unwrap();
            while *round == seen && !self.stop.load(Ordering::Relaxed) {
                round = self.wake.wait(round).unwrap();
            }
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            seen = *round;
            drop(round);
            std::hint::black_box((0..1000u64).sum::<u64>());
            self.done.fetch_add(1, Ordering::Release);
        }
    }

    /// Wakes every thread once and waits until each has run.
    fn wake_all(&self, count: usize) {
        let target = self.done.load(Ordering::Acquire) + count as u64;
        *self.round.lock().unwrap() += 1;
        self.wake.notify_all();
        while self.done.load(Ordering::Acquire) < target {
            std::thread::sleep(Duration::from_micros(200));
        }
        // Until they are all asleep again: a sample does not usually meet a
        // thousand threads all fighting for one lock.
        std::thread::sleep(Duration::from_millis(count as u64 / 100 + 1));
    }

    fn stop(&self, threads: Vec<std::thread::JoinHandle<()>>) {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.round.lock().unwrap());
        self.wake.notify_all();
        for thread in threads {
            let _ = thread.join();
        }
    }
}

/// This thread's CPU time, to the nanosecond (getrusage's split into user and
/// system time lags over short spans).
fn thread_cpu_s() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes only the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}

fn read_tasks(c: &mut Criterion) {
    for count in [10, 100, 1000] {
        let (sleepers, threads) = Sleepers::start(count);
        let scope = TaskScope::this_process(RootThreads::AllButSampler, None);
        let mut sampler = TaskSampler::start(scope).expect("tasks readable");
        sampler.read();
        for all_ran in [true, false] {
            let name = format!(
                "tasks/{count} threads, {}",
                if all_ran { "all ran" } else { "none ran" }
            );
            let (mut cpu_s, mut readings) = (0.0, 0u32);
            c.bench_function(&name, |b| {
                b.iter_batched(
                    || {
                        if all_ran {
                            sleepers.wake_all(count);
                        }
                    },
                    |()| {
                        let before = thread_cpu_s();
                        let rows = sampler.read().rows.len();
                        cpu_s += thread_cpu_s() - before;
                        readings += 1;
                        rows
                    },
                    BatchSize::PerIteration,
                )
            });
            println!(
                "{name}: {:.3} ms of the sampler thread's CPU per reading ({} tasks followed)",
                cpu_s * 1000.0 / f64::from(readings.max(1)),
                sampler.followed()
            );
        }
        sleepers.stop(threads);
    }
}

criterion_group! {
    name = benches;
    // Criterion's plots need system fonts this crate does not use.
    config = Criterion::default()
        .without_plots()
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    targets = read_tasks
}
criterion_main!(benches);
