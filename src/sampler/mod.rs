//! The sampler: its own thread that reads every logical CPU's load on deadlines
//! (sample k at start + k × interval, so it never drifts) and streams each sample
//! into the trace as it is taken.
//!
//! Data sources are behind [`LoadSource`]: /proc/stat (`procstat`) and a
//! scripted source for tests. Each reading is the ticks every CPU counted in
//! each state; the trace gets them as they are, observers (the live line) as
//! percentages. The thread owns the trace writer; the run talks to it through [`Sampler`] methods
//! (events, end of workload, finish), so every trace line has one writer and the
//! lines are in time order. Around the workload it takes one sample a baseline
//! (default min(interval, 500 ms)) before the start and one a baseline after the
//! end, so the ramp up and down shows; the sample at the end of the workload
//! covers the shorter interval it really was.

mod phase;
pub mod procstat;
pub mod sched;
pub mod tasks;

pub use sched::SchedRecorder;
pub use tasks::{TaskSampler, TaskScope};

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use self::phase::{Action, EndAt, Input, Phase};
use crate::model::EventSink;
use crate::model::{CpuLoad, CpuTicks, CpuUnit, End, Event, EventKind, Sample};
use crate::trace::TraceWriter;
use crate::util::interrupt::STOP_POLL;
use crate::util::os;
use crate::util::units::round_ms;

/// Shortest and longest sampling interval accepted.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);

/// Somewhere per-CPU load comes from.
pub trait LoadSource: Send {
    /// Number of CPUs each reading fills.
    fn cpu_count(&self) -> usize;
    /// Fills `out` (one entry per CPU) with the ticks each CPU counted in each
    /// state since the previous reading (all zeros for a CPU without data).
    fn read(&mut self, out: &mut [CpuTicks]) -> io::Result<()>;
}

/// The source for these CPUs on this system: /proc/stat.
pub fn default_source(cpus: &[u32]) -> io::Result<Box<dyn LoadSource>> {
    let proc_stat = Path::new("/proc/stat");
    Ok(Box::new(procstat::ProcStatSource::open(proc_stat, cpus)?))
}

/// A source that replays given ticks, one row per reading (the last row repeats).
pub struct ScriptedSource {
    rows: Vec<Vec<CpuTicks>>,
    next: usize,
}

impl ScriptedSource {
    pub fn new(rows: Vec<Vec<CpuTicks>>) -> ScriptedSource {
        assert!(!rows.is_empty(), "a scripted source needs at least one row");
        ScriptedSource { rows, next: 0 }
    }
}

impl LoadSource for ScriptedSource {
    fn cpu_count(&self) -> usize {
        self.rows[0].len()
    }

    fn read(&mut self, out: &mut [CpuTicks]) -> io::Result<()> {
        let row = &self.rows[self.next.min(self.rows.len() - 1)];
        out.copy_from_slice(row);
        self.next += 1;
        Ok(())
    }
}

/// When samples are taken: every `interval` while the workload runs, and
/// `baseline` before it (the "before" sample) and after it (the tail).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub interval: Duration,
    pub baseline: Duration,
}

impl Schedule {
    /// The default baseline: min(interval, 500 ms).
    pub const DEFAULT_BASELINE: Duration = Duration::from_millis(500);

    /// Every `interval`, with the default baseline and tail.
    pub fn every(interval: Duration) -> Schedule {
        Schedule {
            interval,
            baseline: interval.min(Self::DEFAULT_BASELINE),
        }
    }
}

/// Something that wants to see every sample as it is taken (the live line).
pub trait SampleObserver: Send {
    fn on_sample(&mut self, sample: &Sample);
    /// Called once when sampling ends.
    fn finish(&mut self) {}
}

/// What the sampler thread reports when it ends.
#[derive(Debug, Default)]
pub struct SamplerReport {
    pub samples: usize,
    /// The first error writing the trace; samples after it were not saved.
    pub write_error: Option<io::Error>,
    /// The first error reading the load source.
    pub read_error: Option<io::Error>,
    /// Largest distance between a periodic sample and its deadline, in seconds.
    pub max_lateness_s: f64,
    /// CPU time the sampler thread used.
    pub cpu: os::CpuTimes,
    /// CPU time the thread reading the scheduler's events used.
    pub sched_cpu: os::CpuTimes,
}

/// What the run tells the sampler thread.
enum Command {
    /// An event, the workload's end or the finish: a step of its course.
    Step(Input),
    /// A stop signal came: look at the stop flag now.
    Wake,
}

/// Handle on the running sampler thread.
pub struct Sampler {
    sender: Sender<Command>,
    first_sample: Mutex<Receiver<()>>,
    handle: JoinHandle<SamplerReport>,
    start: Instant,
    /// Wakes the thread's waits for the "before" and tail samples on a signal.
    _wake: Option<crate::util::interrupt::WakeOnSignal>,
}

impl Sampler {
    /// Starts sampling `source` into `writer` (a trace of ticks) on `schedule`.
    /// Time 0 is now. When `stop` is set (an interrupt), the waits for the
    /// "before" and the tail sample end within [`STOP_POLL`].
    pub fn start(
        source: Box<dyn LoadSource>,
        writer: TraceWriter,
        schedule: Schedule,
        observer: Option<Box<dyn SampleObserver>>,
        stop: Option<Arc<AtomicBool>>,
    ) -> io::Result<Sampler> {
        Sampler::start_with_tasks(
            source,
            WhoRanWhere::default(),
            writer,
            schedule,
            observer,
            stop,
        )
    }

    /// [`Sampler::start`], reading the workload's `tasks` too at every sample
    /// (the trace's header must name `task_fields`), and writing what the
    /// scheduler's events recorded after each sample.
    pub fn start_with_tasks(
        source: Box<dyn LoadSource>,
        who: WhoRanWhere,
        writer: TraceWriter,
        schedule: Schedule,
        observer: Option<Box<dyn SampleObserver>>,
        stop: Option<Arc<AtomicBool>>,
    ) -> io::Result<Sampler> {
        if writer.unit() != CpuUnit::Ticks {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: the sampler writes ticks, but the trace header says its rows are {}",
                    writer.path().display(),
                    writer.unit().as_str()
                ),
            ));
        }
        let Schedule { interval, baseline } = schedule;
        let has_stop = stop.is_some();
        let (sender, receiver) = mpsc::channel();
        let (first_sender, first_sample) = mpsc::sync_channel(1);
        let WhoRanWhere { tasks, mut sched } = who;
        let start = Instant::now();
        if let Some(recorder) = sched.as_mut() {
            recorder.start(os::monotonic_ns())?;
        }
        let thread = SamplerThread {
            source,
            tasks,
            sched,
            writer,
            interval,
            baseline,
            observer,
            receiver,
            first_sender: Some(first_sender),
            start,
            last_sample: start,
            report: SamplerReport::default(),
            stop,
        };
        let handle = std::thread::Builder::new()
            .name("coreheat-sampler".into())
            .spawn(move || {
                // Samples on time however many workers are busy.
                crate::util::os::request_prompt_scheduling();
                thread.run()
            })?;
        let waker = sender.clone();
        let wake = has_stop.then(|| {
            crate::util::interrupt::wake_on_signal(move || {
                let _ = waker.send(Command::Wake);
            })
        });
        Ok(Sampler {
            sender,
            first_sample: Mutex::new(first_sample),
            handle,
            start,
            _wake: wake,
        })
    }

    /// Seconds since the sampler started.
    pub fn elapsed(&self) -> f64 {
        round_ms(self.start.elapsed().as_secs_f64())
    }

    /// Blocks until the first sample (the "before" sample) is taken.
    pub fn wait_for_first_sample(&self) {
        if let Ok(receiver) = self.first_sample.lock() {
            let _ = receiver.recv();
        }
    }

    /// Writes an event at the current time.
    pub fn event(&self, kind: EventKind, worker: Option<usize>, detail: Option<String>) {
        let _ = self.sender.send(Command::Step(Input::Event(Event {
            t: self.elapsed(),
            event: kind,
            worker,
            detail,
        })));
    }

    /// The workload has ended: sample now (a shorter interval), mark the end, and
    /// schedule the tail sample a baseline later.
    pub fn workload_ended(&self) {
        let _ = self.sender.send(Command::Step(Input::WorkloadEnded(Event {
            t: self.elapsed(),
            event: EventKind::WorkloadEnd,
            worker: None,
            detail: None,
        })));
    }

    /// Writes the end line, after the tail sample when `wait_tail`, and stops.
    pub fn finish(self, end: End, wait_tail: bool) -> SamplerReport {
        let _ = self.sender.send(Command::Step(Input::Finish {
            t: self.elapsed(),
            end,
            wait_tail,
        }));
        self.handle.join().unwrap_or_default()
    }
}

impl EventSink for Sampler {
    fn record(&self, kind: EventKind, worker: Option<usize>, detail: Option<String>) {
        self.event(kind, worker, detail);
    }
}

/// The sources of "who ran where" a sampler reads besides the CPUs' load.
#[derive(Default)]
pub struct WhoRanWhere {
    /// The workload's tasks, read from /proc at every sample.
    pub tasks: Option<TaskSampler>,
    /// The scheduler's events, written after every sample.
    pub sched: Option<SchedRecorder>,
}

struct SamplerThread {
    source: Box<dyn LoadSource>,
    tasks: Option<TaskSampler>,
    sched: Option<SchedRecorder>,
    writer: TraceWriter,
    interval: Duration,
    baseline: Duration,
    observer: Option<Box<dyn SampleObserver>>,
    receiver: Receiver<Command>,
    first_sender: Option<mpsc::SyncSender<()>>,
    start: Instant,
    last_sample: Instant,
    report: SamplerReport,
    stop: Option<Arc<AtomicBool>>,
}

/// The periodic samples' deadlines: sample k at `start + k × interval`, so the
/// sampler never drifts.
struct Grid {
    start: Instant,
    interval: Duration,
    tick: u32,
}

impl Grid {
    fn deadline(&self) -> Instant {
        self.start + self.interval * self.tick
    }

    /// The first deadline after `now`, skipping those missed under load.
    fn next_after(&mut self, now: Instant) -> Instant {
        while self.deadline() <= now {
            self.tick += 1;
        }
        self.deadline()
    }
}

/// Shortest interval worth a sample: two ticks of /proc/stat.
const SHORTEST_SAMPLE: Duration = Duration::from_millis(20);

/// The latest reading: each CPU's ticks for the trace, and as percentages for
/// the observer. Reused from sample to sample (no allocation per sample).
struct Reading {
    ticks: Vec<CpuTicks>,
    sample: Sample,
}

impl Reading {
    fn new(cpus: usize) -> Reading {
        Reading {
            ticks: vec![CpuTicks::default(); cpus],
            sample: Sample {
                t: 0.0,
                cpus: vec![CpuLoad::default(); cpus],
            },
        }
    }
}

impl SamplerThread {
    fn run(mut self) -> SamplerReport {
        let cpu_meter = os::ThreadCpuMeter::start();
        if let Some(recorder) = &self.sched {
            recorder.exclude_current_thread();
        }
        let mut reading = Reading::new(self.source.cpu_count());
        // The reference reading; the "before" sample covers exactly [0, baseline],
        // and the periodic grid starts where it ends.
        let _ = self.source.read(&mut reading.ticks);
        if let Some(tasks) = self.tasks.as_mut() {
            tasks.read();
        }
        let mut phase = Phase::Before;
        let mut grid = Grid {
            start: self.start + self.baseline,
            interval: self.interval,
            tick: 0,
        };
        if self.baseline.is_zero() {
            phase = Phase::Periodic; // no "before" sample
            grid.tick = 1;
        }
        let mut deadline = grid.deadline();
        while phase != Phase::Done {
            if phase != Phase::Before {
                self.signal_first_sample();
            }
            let input = self.next_input(&phase, deadline);
            let (next, actions) = phase::step(phase, input, !self.baseline.is_zero());
            for action in actions {
                match action {
                    Action::WriteEvent(event) => self.write(|w| w.write_event(&event)),
                    Action::WriteInterruptInTail => self.write_interrupt_in_tail(),
                    Action::Take => {
                        let late = Instant::now().saturating_duration_since(deadline);
                        self.report.max_lateness_s =
                            self.report.max_lateness_s.max(late.as_secs_f64());
                        self.take(&mut reading);
                    }
                    Action::TakeUnlessJustTaken => self.take_unless_just_taken(&mut reading),
                    Action::NextOnGrid => deadline = grid.next_after(Instant::now()),
                    Action::TailAfterBaseline => deadline = Instant::now() + self.baseline,
                    Action::WriteEnd(at, t, end) => {
                        let t = match at {
                            EndAt::Now => self.elapsed().max(t),
                            EndAt::LastSample => t.max(reading.sample.t),
                        };
                        self.write_end(t, &end);
                    }
                }
            }
            phase = next;
        }
        if let Some(observer) = self.observer.as_mut() {
            observer.finish();
        }
        self.report.cpu = cpu_meter.spent();
        self.report
    }

    /// Waits for the deadline (when `phase` has one; cut to [`STOP_POLL`] where a
    /// stop ends the wait) or a command, whichever comes first.
    fn next_input(&self, phase: &Phase, deadline: Instant) -> Input {
        let command = if phase.has_deadline() {
            let mut wait = deadline.saturating_duration_since(Instant::now());
            if phase.cut_short_by_stop() && self.stop.is_some() {
                wait = wait.min(STOP_POLL);
            }
            self.receiver.recv_timeout(wait)
        } else {
            self.receiver
                .recv()
                .map_err(|_| RecvTimeoutError::Disconnected)
        };
        match command {
            // A signal's wake-up is a timeout that looks at the stop flag now.
            Err(RecvTimeoutError::Timeout) | Ok(Command::Wake) => Input::Timer {
                due: Instant::now() >= deadline,
                woke: matches!(command, Ok(Command::Wake)),
                stop: self.stop_requested(),
            },
            Ok(Command::Step(input)) => input,
            Err(RecvTimeoutError::Disconnected) => Input::Disconnected,
        }
    }

    fn elapsed(&self) -> f64 {
        round_ms(self.start.elapsed().as_secs_f64())
    }

    fn stop_requested(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|stop| stop.load(Ordering::Relaxed))
    }

    /// An interrupt after the workload ended cuts the tail sample short; the
    /// workload's result stands, the trace says what happened.
    fn write_interrupt_in_tail(&mut self) {
        let event = Event {
            t: self.elapsed(),
            event: EventKind::Interrupt,
            worker: None,
            detail: Some("interrupted after the workload ended: the tail sample is short".into()),
        };
        self.write(|w| w.write_event(&event));
    }

    /// Takes the short sample at the end of the workload, unless a sample was
    /// taken so recently that the kernel's counters (100 ticks a second) cannot
    /// have moved: such an interval holds no information.
    fn take_unless_just_taken(&mut self, reading: &mut Reading) {
        // A trace needs one sample even of a tiny job (`--baseline 0`).
        if self.last_sample.elapsed() >= SHORTEST_SAMPLE || self.report.samples == 0 {
            self.take(reading);
        }
    }

    /// Reads the source and writes one sample line at the current time.
    fn take(&mut self, reading: &mut Reading) {
        self.last_sample = Instant::now();
        if let Err(e) = self.source.read(&mut reading.ticks) {
            self.report.read_error.get_or_insert(e);
            return;
        }
        let t = self.elapsed();
        let written = self.report.write_error.is_none();
        self.write_sample(t, &reading.ticks);
        if written && self.report.write_error.is_none() {
            self.report.samples += 1;
        }
        reading.sample.t = t;
        for (load, ticks) in reading.sample.cpus.iter_mut().zip(&reading.ticks) {
            *load = ticks.load();
        }
        if let Some(observer) = self.observer.as_mut() {
            observer.on_sample(&reading.sample);
        }
        self.signal_first_sample();
    }

    /// Writes a sample line, after the announcements of tasks first seen, its
    /// task rows in it.
    fn write_sample(&mut self, t: f64, ticks: &[CpuTicks]) {
        let Some(mut tasks) = self.tasks.take() else {
            self.write(|w| w.write_ticks(t, ticks));
            self.write_sched(t);
            return;
        };
        tasks.read();
        for task in tasks.take_announced() {
            self.write(|w| w.write_task(t, &task));
        }
        let (rows, ended) = (tasks.read_rows(), tasks.read_ended());
        self.write(|w| w.write_ticks_and_tasks(t, ticks, rows, ended));
        self.tasks = Some(tasks);
        self.write_sched(t);
    }

    /// Lets [`Sampler::wait_for_first_sample`] return (once).
    fn signal_first_sample(&mut self) {
        if let Some(first) = self.first_sender.take() {
            let _ = first.send(());
        }
    }

    fn write(&mut self, action: impl FnOnce(&mut TraceWriter) -> io::Result<()>) {
        if self.report.write_error.is_none()
            && let Err(e) = action(&mut self.writer)
        {
            self.report.write_error = Some(e);
        }
    }

    /// Writes the end line, after the scheduler's last events.
    fn write_end(&mut self, t: f64, end: &End) {
        if let Some(mut recorder) = self.sched.take() {
            let (batch, cpu) = recorder.finish();
            self.report.sched_cpu = cpu;
            self.write(|w| w.write_sched(t, &batch));
        }
        self.write(|w| w.write_end(t, end));
    }

    /// Writes what the scheduler recorded since the line before.
    fn write_sched(&mut self, t: f64) {
        let Some(recorder) = &self.sched else {
            return;
        };
        let batch = recorder.take_batch();
        if !batch.is_empty() {
            self.write(|w| w.write_sched(t, &batch));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Meta, Status, TraceCpu};
    use crate::trace::Trace;

    /// `usr` ticks of 100 busy in usr, the rest idle.
    fn busy(usr: u64) -> CpuTicks {
        CpuTicks([usr, 0, 0, 100 - usr, 0, 0, 0, 0])
    }

    /// A header of one CPU sampled every 100 ms, its rows in percent.
    fn one_cpu_meta() -> Meta {
        Meta {
            cpus: vec![TraceCpu {
                cpu: 0,
                core: 0,
                package: 0,
            }],
            interval_s: 0.1,
            ..Meta::default()
        }
    }

    /// A trace of one CPU's ticks in `dir`, and its writer.
    fn ticks_trace(dir: &Path) -> (std::path::PathBuf, TraceWriter) {
        let path = dir.join("trace.jsonl");
        let meta = Meta {
            cpu_unit: Some(CpuUnit::Ticks),
            ticks_per_s: Some(100),
            ..one_cpu_meta()
        };
        let writer = TraceWriter::create(&path, &meta).unwrap();
        (path, writer)
    }

    fn ok_end(wall_s: f64) -> End {
        End {
            status: Status::Ok,
            result: None,
            wall_s,
            user_s: 0.0,
            sys_s: 0.0,
            message: None,
        }
    }

    #[test]
    fn a_trace_of_percent_is_refused_before_sampling_starts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let writer = TraceWriter::create(&path, &one_cpu_meta()).unwrap();
        let source = ScriptedSource::new(vec![vec![busy(50)]]);
        let schedule = Schedule::every(Duration::from_millis(100));
        let error = Sampler::start(Box::new(source), writer, schedule, None, None)
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("the sampler writes ticks"), "{error}");
        assert!(error.contains("rows are percent"), "{error}");
    }

    #[test]
    fn samples_events_and_end_reach_the_trace_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (path, writer) = ticks_trace(dir.path());
        let source = ScriptedSource::new(vec![vec![busy(0)], vec![busy(10)], vec![busy(90)]]);
        let sampler = Sampler::start(
            Box::new(source),
            writer,
            Schedule::every(Duration::from_millis(100)),
            None,
            None,
        )
        .unwrap();
        sampler.wait_for_first_sample();
        sampler.event(EventKind::WorkloadStart, None, None);
        std::thread::sleep(Duration::from_millis(250));
        sampler.workload_ended();
        let report = sampler.finish(ok_end(0.25), true);
        assert!(report.write_error.is_none());

        let trace = Trace::read(&path).unwrap();
        assert_eq!(trace.samples.len(), report.samples);
        // before, two periodic, the short end sample, and the tail.
        assert!(trace.samples.len() >= 4, "{:?}", trace.samples);
        assert!(trace.samples.windows(2).all(|w| w[0].t <= w[1].t));
        // The "before" sample: never ahead of its baseline (late on a busy
        // machine, which the samples' own times then show).
        assert!(trace.samples[0].t >= 0.1, "{:?}", trace.samples);
        assert_eq!(trace.samples[1].cpus[0].usr, 90.0);
        let kinds: Vec<EventKind> = trace.events.iter().map(|e| e.event).collect();
        assert_eq!(
            kinds,
            vec![EventKind::WorkloadStart, EventKind::WorkloadEnd]
        );
        let last = trace.samples.last().unwrap().t;
        let end_event = trace.events[1].t;
        assert!(
            last - end_event >= 0.09,
            "tail sample a full interval after the end"
        );
        assert_eq!(trace.end.unwrap().1.status, Status::Ok);
    }

    #[test]
    fn a_late_sample_skips_the_deadlines_it_missed_without_shifting_the_grid() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let mut grid = Grid {
            start,
            interval: ms(100),
            tick: 1,
        };
        // A slow reading (a thousand tasks on a loaded machine) ended at
        // 0.35 s: the next sample is due at 0.4 s, on the grid, not at 0.45 s.
        assert_eq!(grid.next_after(start + ms(350)), start + ms(400));
        assert_eq!(grid.tick, 4);
        // A sample taken on its deadline: the next tick.
        assert_eq!(grid.next_after(start + ms(400)), start + ms(500));
    }
}
