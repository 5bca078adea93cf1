//! A program that makes the scheduler busy: N threads (default 8) that each
//! work about 20 µs and sleep 300 µs in turn for S seconds (default 5),
//! about 2 500 wake-ups a thread a second — some 20 000 context switches a
//! second in all. The scheduler-events cost benchmark (benches/sched.rs)
//! traces it.
//!
//! Usage: cargo run --release --example switchy -- [THREADS] [SECONDS]

use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let seconds: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5.0);
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let wakeups: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut count = 0u64;
                    while Instant::now() < end {
                        let busy_until = Instant::now() + Duration::from_micros(20);
                        while Instant::now() < busy_until {
                            std::hint::spin_loop();
                        }
                        std::thread::sleep(Duration::from_micros(300));
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let total: u64 = wakeups.iter().sum();
    println!(
        "{threads} threads woke {total} times in {seconds} s ({:.0} a second)",
        total as f64 / seconds
    );
}
