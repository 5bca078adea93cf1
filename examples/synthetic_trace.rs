//! Writes a synthetic trace, to measure rendering and memory on long runs:
//!
//!     cargo run --release --example synthetic_trace -- OUT.jsonl CPUS SAMPLES
//!     /usr/bin/time -v target/release/coreheat render OUT.jsonl --out /tmp/big

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, cpus, samples] = args.as_slice() else {
        anyhow::bail!(
            "usage: synthetic_trace OUT.jsonl CPUS SAMPLES (e.g. 64 86400 for 24 h at 1 s)"
        );
    };
    coreheat::synthetic::write_trace(
        std::path::Path::new(out),
        cpus.parse()?,
        samples.parse()?,
        1.0,
    )?;
    Ok(())
}
