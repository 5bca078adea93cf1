//! Writes the traces of a synthetic fleet — HOSTS machines of CPUS CPUs, each
//! SAMPLES seconds long, starting 10 s apart, the first busy, the last nearly
//! idle — to measure the rendering of many machines at once:
//!
//!     cargo run --release --example synthetic_fleet -- OUT_DIR 16 64 3600
//!     /usr/bin/time -v target/release/coreheat render OUT_DIR/*.jsonl --out /tmp/fleet

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, hosts, cpus, samples] = args.as_slice() else {
        anyhow::bail!("usage: synthetic_fleet OUT_DIR HOSTS CPUS SAMPLES (e.g. 16 64 3600)");
    };
    let (hosts, cpus, samples): (u32, u32, u64) = (hosts.parse()?, cpus.parse()?, samples.parse()?);
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out)?;
    let first = chrono::DateTime::parse_from_rfc3339("2026-11-22T00:00:00+00:00")?;
    for index in 0..hosts {
        let host = format!("node{:02}", index + 1);
        let start = (first + chrono::Duration::seconds(10 * index as i64)).to_rfc3339();
        let machine = coreheat::synthetic::Machine {
            host: &host,
            start: &start,
            // node01 twice as busy as usual, the last host a tenth.
            scale: match index {
                0 => 2.0,
                i if i + 1 == hosts => 0.1,
                _ => 1.0,
            },
        };
        let path = out.join(format!("{host}.jsonl"));
        coreheat::synthetic::write_machine_trace(&path, &machine, cpus, samples, 1.0)?;
    }
    Ok(())
}
