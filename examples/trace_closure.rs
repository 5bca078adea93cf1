//! Traces a Rust closure of your own with coreheat's library: samples every CPU
//! while the closure runs on two threads, saves the trace and draws the report.
//!
//!     cargo run --example trace_closure -- [OUT_DIR]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("reports/example-closure"));

    let traced = coreheat::trace_closure(
        &out,
        "two threads summing squares",
        Duration::from_millis(100),
        || {
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..2u64)
                    .map(|k| scope.spawn(move || sum_of_squares(3_000_000_000, k)))
                    .collect();
                let sums = workers.into_iter().map(|w| w.join().expect("worker"));
                sums.fold(0u64, u64::wrapping_add)
            })
        },
    )?;

    println!("result  {}", traced.value);
    println!("samples {} over {:.2}s", traced.samples, traced.wall_s);
    println!("trace   {}", traced.trace.display());
    println!("report  {}", traced.report.display());
    Ok(())
}

/// A loop the compiler cannot shorten: every step goes through `black_box`.
fn sum_of_squares(n: u64, salt: u64) -> u64 {
    let mut sum = salt;
    for i in 0..n {
        sum = black_box(sum.wrapping_add(i.wrapping_mul(i)));
    }
    sum
}
