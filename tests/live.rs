//! The live line as a person sees it in a terminal (a real pseudo-terminal):
//! its clock counts the workload, not the trace; it is redrawn several times a
//! second whatever the interval; every CPU shows, idle ones as a dot; its rate
//! is the workload's and ends at the result's; a sweep says what is running.

mod common;

use common::{Scratch, TerminalRun, read_trace, run_on_terminal};
use coreheat::util::units::{format_duration_short, format_rate};

/// One drawing of the live line, taken apart.
#[derive(Debug)]
struct Drawn {
    label: String,
    /// `None` before the workload starts.
    clock_s: Option<f64>,
    clock: String,
    bars: String,
    rate: Option<String>,
}

/// `[1/2] threads, 1 worker     1.2s  cpu ·█  4.00 Mhashes/s`
fn parse(line: &str) -> Option<Drawn> {
    let (head, tail) = line.split_once("  cpu ")?;
    let head = head.trim_end();
    let (label, clock) = head.rsplit_once(' ').unwrap_or(("", head));
    let (bars, rate) = match tail.split_once("  ") {
        Some((bars, rate)) => (bars, Some(rate.to_string())),
        None => (tail, None),
    };
    Some(Drawn {
        label: label.trim().to_string(),
        clock_s: seconds(clock),
        clock: clock.to_string(),
        bars: bars.to_string(),
        rate,
    })
}

/// `850ms` or `1.2s` (the clocks of short runs).
fn seconds(clock: &str) -> Option<f64> {
    if let Some(ms) = clock.strip_suffix("ms") {
        return ms.parse::<f64>().ok().map(|ms| ms / 1000.0);
    }
    clock.strip_suffix('s')?.parse().ok()
}

fn drawings(run: &TerminalRun) -> Vec<Drawn> {
    let drawn: Vec<Drawn> = run.live_lines().iter().filter_map(|l| parse(l)).collect();
    assert!(!drawn.is_empty(), "no live line drawn:\n{:?}", run.drawn);
    drawn
}

fn assert_success(run: &TerminalRun) {
    assert!(
        run.output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&run.output.stdout),
        run.drawn
    );
}

#[test]
fn the_clock_counts_the_workload_and_redraws_between_samples() {
    let scratch = Scratch::new();
    // One sample before the workload (1 s), none during it (5 s interval),
    // the end sample, and a 1 s tail.
    let run = run_on_terminal(
        &scratch,
        &[
            "run",
            "--interval",
            "5s",
            "--baseline",
            "1s",
            "idle",
            "--duration",
            "2s",
        ],
    );
    assert_success(&run);
    let drawn = drawings(&run);
    let trace = read_trace(&scratch.run_dirs()[0].join("trace.jsonl"));
    let cpus = trace.header.meta.cpus.len();
    for line in &drawn {
        assert_eq!(
            line.bars.chars().count(),
            cpus,
            "one visible glyph per CPU, idle ones too: {line:?}"
        );
        assert!(!line.bars.contains(' '), "{line:?}");
    }
    let clocks: Vec<f64> = drawn.iter().filter_map(|d| d.clock_s).collect();
    assert!(
        clocks.iter().all(|&t| t <= 2.5),
        "the clock counts from the workload's start, not the trace's: {clocks:?}"
    );
    let mut during: Vec<&str> = drawn
        .iter()
        .filter(|d| d.clock_s.is_some_and(|t| t < 2.0))
        .map(|d| d.clock.as_str())
        .collect();
    during.dedup();
    assert!(
        during.len() >= 4,
        "redrawn while no sample was due (interval 5 s): {during:?}"
    );
    let (_, end) = trace.end.unwrap();
    assert_eq!(
        drawn.last().unwrap().clock,
        format_duration_short(end.wall_s),
        "the clock stops at the workload's wall time"
    );
}

#[test]
fn the_rate_is_the_workloads_and_ends_at_the_results() {
    let scratch = Scratch::new();
    let run = run_on_terminal(
        &scratch,
        &[
            "run",
            "--workers",
            "1",
            "--interval",
            "100ms",
            "--baseline",
            "1s",
            "hash",
            "--zeros",
            "6",
        ],
    );
    assert_success(&run);
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert!(
        stdout.starts_with("(6, "),
        "the result stays on stdout: {stdout}"
    );
    let drawn = drawings(&run);
    let trace = read_trace(&scratch.run_dirs()[0].join("trace.jsonl"));
    let (_, end) = trace.end.unwrap();
    let Some(coreheat::WorkloadResult::Hash(result)) = end.result else {
        panic!("a hash result: {end:?}");
    };
    let rates: Vec<&str> = drawn.iter().filter_map(|d| d.rate.as_deref()).collect();
    assert_eq!(
        rates.last().copied(),
        Some(format!("{}hashes/s", format_rate(result.hashes_per_s)).as_str()),
        "the last rate drawn is the result's: {rates:?}"
    );
    assert_eq!(
        drawn.last().unwrap().rate.as_deref(),
        rates.last().copied(),
        "the rate stays through the tail, when no hash is computed"
    );
}

#[test]
fn a_sweep_says_which_configuration_and_repeat_is_running() {
    let scratch = Scratch::new();
    let run = run_on_terminal(
        &scratch,
        &[
            "sweep",
            "--workers",
            "1,2",
            "--repeat",
            "2",
            "--interval",
            "100ms",
            "hash",
            "--zeros",
            "3",
        ],
    );
    assert_success(&run);
    let mut labels: Vec<String> = drawings(&run).into_iter().map(|d| d.label).collect();
    labels.dedup();
    assert_eq!(
        labels,
        [
            "[1/4] threads, 1 worker, run 1 of 2",
            "[2/4] threads, 1 worker, run 2 of 2",
            "[3/4] threads, 2 workers, run 1 of 2",
            "[4/4] threads, 2 workers, run 2 of 2",
        ]
    );
}
