//! The live status line on stderr while a run lasts: elapsed time, one block
//! character per CPU showing how busy it is, and the workload's rate. Drawn only
//! when stderr is a terminal, at most a few times a second, and erased at the end.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::output::print_err;
use crate::sampler::SampleObserver;
use crate::trace::Sample;
use crate::units::{format_duration_short, format_rate};

/// Shortest time between two redraws.
const MIN_REDRAW: Duration = Duration::from_millis(250);

/// Eight levels of busy, from idle to full.
const BLOCKS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub struct LiveLine {
    progress: Arc<AtomicU64>,
    unit: &'static str,
    last_draw: Option<Instant>,
    last_progress: u64,
    last_t: f64,
    rate: f64,
    line: String,
}

impl LiveLine {
    /// A live line if stderr is a terminal; `unit` names what `progress` counts
    /// (`hashes`), or is empty for workloads without a rate.
    pub fn for_terminal(progress: Arc<AtomicU64>, unit: &'static str) -> Option<LiveLine> {
        std::io::stderr().is_terminal().then(|| LiveLine {
            progress,
            unit,
            last_draw: None,
            last_progress: 0,
            last_t: 0.0,
            rate: 0.0,
            line: String::with_capacity(256),
        })
    }

    /// The text of the line for a sample (without terminal control codes).
    pub fn render(&mut self, sample: &Sample) -> &str {
        let done = self.progress.load(Ordering::Relaxed);
        let dt = sample.t - self.last_t;
        if dt > 0.0 {
            self.rate = done.saturating_sub(self.last_progress) as f64 / dt;
        }
        self.last_progress = done;
        self.last_t = sample.t;

        self.line.clear();
        self.line
            .push_str(&format!("  {:>7}  cpu ", format_duration_short(sample.t)));
        for cpu in &sample.cpus {
            let level = ((cpu.busy() / 100.0) * 8.0).round().clamp(0.0, 8.0) as usize;
            self.line.push(BLOCKS[level]);
        }
        if !self.unit.is_empty() && self.rate > 0.0 {
            self.line
                .push_str(&format!("  {}{}/s", format_rate(self.rate), self.unit));
        }
        &self.line
    }
}

impl SampleObserver for LiveLine {
    fn on_sample(&mut self, sample: &Sample) {
        if self.last_draw.is_some_and(|at| at.elapsed() < MIN_REDRAW) {
            return;
        }
        self.last_draw = Some(Instant::now());
        let text = format!("\r\x1b[2K{}", self.render(sample));
        print_err(&text);
    }

    fn finish(&mut self) {
        if self.last_draw.is_some() {
            print_err("\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::CpuLoad;

    #[test]
    fn line_shows_time_cpus_and_rate() {
        let progress = Arc::new(AtomicU64::new(0));
        let mut live = LiveLine {
            progress: progress.clone(),
            unit: "hashes",
            last_draw: None,
            last_progress: 0,
            last_t: 0.0,
            rate: 0.0,
            line: String::new(),
        };
        progress.store(4_000_000, Ordering::Relaxed);
        let sample = Sample {
            t: 1.0,
            cpus: vec![
                CpuLoad {
                    usr: 100.0,
                    ..CpuLoad::default()
                },
                CpuLoad {
                    idle: 100.0,
                    ..CpuLoad::default()
                },
            ],
        };
        let text = live.render(&sample).to_string();
        assert!(text.contains("1.0s"), "{text}");
        assert!(text.contains("cpu █ "), "{text}");
        assert!(text.contains("4.00 Mhashes/s"), "{text}");
    }
}
