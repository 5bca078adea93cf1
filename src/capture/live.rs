//! The live status line on stderr while a run lasts: what is running (in a
//! sweep), the time since the workload started, one block character per CPU
//! showing how busy it was in the last sample (`·` when idle), and the
//! workload's rate since it started. Drawn only when stderr is a terminal, by a
//! thread of its own five times a second whatever the sampling interval, and
//! erased at the end. When the workload ends, the line stops its clock at the
//! workload's wall time and shows the result's own rate.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::model::{CpuLoad, Sample};
use crate::sampler::SampleObserver;
use crate::util::output::print_err;
use crate::util::units::{format_duration_short, format_rate};

/// Time between two redraws (at least four a second).
pub const REDRAW_EVERY: Duration = Duration::from_millis(200);

/// Nine levels of busy, from idle (a visible dot) to full.
pub const BLOCKS: [char; 9] = ['·', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The block character for a CPU's load.
pub fn block(load: &CpuLoad) -> char {
    let level = ((load.busy() / 100.0) * 8.0).round().clamp(0.0, 8.0) as usize;
    BLOCKS[level]
}

/// Everything one drawing of the line shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineView {
    /// What is running, in a sweep (`[2/4] threads, 2 workers`).
    pub label: Option<String>,
    /// Seconds since the workload started; `None` before it starts.
    pub elapsed_s: Option<f64>,
    /// One block per CPU, from the last sample (empty before the first).
    pub bars: String,
    /// The workload's rate since it started, and what it counts.
    pub rate: Option<(f64, &'static str)>,
}

impl LineView {
    /// The text of the line, without terminal control codes.
    pub fn text(&self) -> String {
        let mut line = String::with_capacity(64 + self.bars.len() * 3);
        if let Some(label) = &self.label {
            line.push_str(label);
        }
        let clock = self
            .elapsed_s
            .map_or_else(|| "before".to_string(), format_duration_short);
        line.push_str(&format!("  {clock:>7}"));
        if !self.bars.is_empty() {
            line.push_str("  cpu ");
            line.push_str(&self.bars);
        }
        if let Some((rate, unit)) = self.rate.filter(|(rate, _)| *rate > 0.0) {
            line.push_str(&format!("  {}{unit}/s", format_rate(rate)));
        }
        line
    }
}

/// The line's state, shared by the drawing thread, the sampler and the run.
struct State {
    label: Option<String>,
    unit: &'static str,
    progress: Arc<AtomicU64>,
    bars: String,
    started: Option<Instant>,
    /// Set when the workload has ended: its wall time and its final rate.
    ended: Option<(f64, Option<f64>)>,
    finished: bool,
}

impl State {
    fn view(&self) -> LineView {
        let (elapsed_s, rate) = match (self.ended, self.started) {
            (Some((wall_s, rate)), _) => (Some(wall_s), rate),
            (None, Some(started)) => {
                let elapsed = started.elapsed().as_secs_f64();
                let done = self.progress.load(Ordering::Relaxed) as f64;
                (Some(elapsed), (elapsed > 0.0).then(|| done / elapsed))
            }
            (None, None) => (None, None),
        };
        LineView {
            label: self.label.clone(),
            elapsed_s,
            bars: self.bars.clone(),
            rate: rate
                .filter(|_| !self.unit.is_empty())
                .map(|r| (r, self.unit)),
        }
    }
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the state and has the line drawn again at once.
    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.lock());
        self.changed.notify_all();
    }
}

/// The live line and its drawing thread; erased and stopped when dropped.
pub struct LiveLine {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl LiveLine {
    /// A live line if stderr is a terminal (and a thread can be started for
    /// it); `unit` names what `progress` counts (`hashes`), or is empty for
    /// workloads without a rate; `label` says what runs, in a sweep.
    pub fn for_terminal(
        progress: Arc<AtomicU64>,
        unit: &'static str,
        label: Option<String>,
    ) -> Option<LiveLine> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                label,
                unit,
                progress,
                bars: String::new(),
                started: None,
                ended: None,
                finished: false,
            }),
            changed: Condvar::new(),
        });
        let drawing = shared.clone();
        let thread = std::thread::Builder::new()
            .name("coreheat-live".into())
            .spawn(move || draw_until_finished(&drawing))
            .ok()?;
        Some(LiveLine {
            shared,
            thread: Some(thread),
        })
    }

    /// What the sampler hands every sample to.
    pub fn observer(&self) -> Box<dyn SampleObserver> {
        Box::new(LiveFeed(self.shared.clone()))
    }

    /// The workload starts now: the clock and the rate count from here.
    pub fn workload_started(&self) {
        self.shared
            .update(|state| state.started = Some(Instant::now()));
    }

    /// The workload has ended after `wall_s` seconds; `rate` is its rate of
    /// record (the result's), which the line shows from now on.
    pub fn workload_ended(&self, wall_s: f64, rate: Option<f64>) {
        self.shared
            .update(|state| state.ended = Some((wall_s, rate)));
    }
}

impl Drop for LiveLine {
    fn drop(&mut self) {
        self.shared.update(|state| state.finished = true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The drawing thread: draws now, then on every change and every
/// [`REDRAW_EVERY`], and erases the line when the run is over.
fn draw_until_finished(shared: &Shared) {
    let mut state = shared.lock();
    while !state.finished {
        let text = format!("\r\x1b[2K{}", state.view().text());
        drop(state);
        print_err(&text);
        state = shared.lock();
        if !state.finished {
            state = shared
                .changed
                .wait_timeout(state, REDRAW_EVERY)
                .map_or_else(|e| e.into_inner().0, |(guard, _)| guard);
        }
    }
    drop(state);
    print_err("\r\x1b[2K");
}

/// The sampler's side: each sample sets the bars.
struct LiveFeed(Arc<Shared>);

impl SampleObserver for LiveFeed {
    fn on_sample(&mut self, sample: &Sample) {
        let bars: String = sample.cpus.iter().map(block).collect();
        self.0.update(|state| state.bars = bars);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(busy: f64) -> CpuLoad {
        CpuLoad {
            usr: busy,
            idle: 100.0 - busy,
            ..CpuLoad::default()
        }
    }

    #[test]
    fn idle_cpus_are_a_visible_dot_and_busy_ones_a_block() {
        let bars: String = [0.0, 2.0, 50.0, 100.0]
            .map(|b| block(&load(b)))
            .iter()
            .collect();
        assert_eq!(bars, "··▄█");
    }

    #[test]
    fn line_shows_label_clock_cpus_and_rate() {
        let view = LineView {
            label: Some("[2/4] threads, 2 workers".into()),
            elapsed_s: Some(1.0),
            bars: "█·".into(),
            rate: Some((4_000_000.0, "hashes")),
        };
        assert_eq!(
            view.text(),
            "[2/4] threads, 2 workers     1.0s  cpu █·  4.00 Mhashes/s"
        );
    }

    #[test]
    fn before_the_workload_there_is_no_clock_and_no_rate() {
        let view = LineView {
            bars: "··".into(),
            ..LineView::default()
        };
        assert_eq!(view.text(), "   before  cpu ··");
        let first = LineView::default();
        assert_eq!(first.text(), "   before", "no bars before the first sample");
    }

    #[test]
    fn the_rate_counts_from_the_workload_start_and_stops_at_its_end() {
        let progress = Arc::new(AtomicU64::new(0));
        let mut state = State {
            label: None,
            unit: "hashes",
            progress: progress.clone(),
            bars: String::new(),
            started: None,
            ended: None,
            finished: false,
        };
        progress.store(1_000, Ordering::Relaxed);
        assert_eq!(state.view().rate, None, "no rate before the start");
        state.started = Instant::now().checked_sub(Duration::from_secs(2));
        let (rate, _) = state.view().rate.unwrap();
        assert!(rate <= 500.0 && rate > 400.0, "{rate}");
        state.ended = Some((2.5, Some(123.0)));
        assert_eq!(state.view().elapsed_s, Some(2.5));
        assert_eq!(state.view().rate, Some((123.0, "hashes")));
    }
}
