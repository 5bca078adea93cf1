//! Threads that share one global Mutex: each holds it while it works, so only
//! one works at a time. `coreheat run exec -- mutex_threads THREADS SECONDS`
//! says they took turns (threads-take-turns).

use std::sync::Mutex;
use std::time::{Duration, Instant};

static TOTAL: Mutex<u64> = Mutex::new(0);

/// Adds numbers under the lock for about 200 µs at a time until `seconds` pass.
fn work(seconds: f64) {
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    while Instant::now() < end {
        let mut total = TOTAL.lock().unwrap_or_else(|e| e.into_inner());
        let started = Instant::now();
        while started.elapsed() < Duration::from_micros(200) {
            *total = std::hint::black_box(total.wrapping_add(1));
        }
        drop(total);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let seconds: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1.0);
    let handles: Vec<_> = (0..threads)
        .map(|n| {
            std::thread::Builder::new()
                .name(format!("mutex-worker-{n}"))
                .spawn(move || work(seconds))
                .expect("a thread starts")
        })
        .collect();
    for handle in handles {
        let _ = handle.join();
    }
    eprintln!("{}", TOTAL.lock().map(|t| *t).unwrap_or(0));
}
