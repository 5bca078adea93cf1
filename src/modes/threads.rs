//! Serial and threads modes: the kernels on the calling thread or on OS
//! threads, each worker's CPU time from its own thread's rusage.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use super::control::{Control, Plan};
use super::outcome::{WorkerReport, WorkersEnded, WorkloadOutcome, count_result, hash_result};
use crate::kernels::count::{self, CountOutcome};
use crate::kernels::digest::HashTarget;
use crate::kernels::hash::{self, Engine};
use crate::kernels::schedule::{ChunkScheduler, DEFAULT_CHUNK};
use crate::model::workload::{Mode, WorkloadResult, WorkloadSpec};
use crate::model::{EventKind, EventSink};
use crate::sampler::tasks::WORKER_THREAD_MARK;
use crate::util::interrupt::{self, STOP_POLL, WakeOnSignal};
use crate::util::os::{self, CpuTimes};

/// What one worker thread hands back.
enum WorkerPart {
    Hash,
    Count(CountOutcome),
}

/// State the worker threads share.
struct Shared {
    /// Workers stop when this is set (interrupt or another worker failed).
    halt: AtomicBool,
    failure: Mutex<Option<String>>,
    /// Workers that have ended, and the condition the run waits on.
    finished: Mutex<usize>,
    done: Condvar,
    /// Whether every worker thread has been started, and the condition the
    /// workers wait on before they work (see [`Shared::wait_for_start`]).
    gate_open: Mutex<bool>,
    opened: Condvar,
}

impl Shared {
    fn new(gate_open: bool) -> Shared {
        Shared {
            halt: AtomicBool::new(false),
            failure: Mutex::new(None),
            finished: Mutex::new(0),
            done: Condvar::new(),
            gate_open: Mutex::new(gate_open),
            opened: Condvar::new(),
        }
    }

    /// Holds a worker until every worker has been started. Starting a thread
    /// takes the process's memory-map lock, which busy workers' page faults
    /// contend for: thousands of threads started while the first ones already
    /// work took minutes here (the starting thread waited its turn behind
    /// every busy one), and a Ctrl-C had to wait for the rest to start. Held
    /// workers sleep, so all start in milliseconds and begin together.
    fn wait_for_start(&self) {
        let mut open = self.gate_open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = self.opened.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn open_gate(&self) {
        *self.gate_open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.opened.notify_all();
    }

    /// Whether workers must stop: another worker failed, or the run was
    /// interrupted (checked directly too, for serial mode has no monitor thread).
    fn halted(&self, control: &Control) -> bool {
        self.halt.load(Ordering::Relaxed) || control.stopped()
    }

    fn worker_finished(&self) {
        *self.finished.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.done.notify_all();
    }

    /// Blocks until `count` workers have ended, passing an interrupt on to them.
    fn wait_for_workers(&self, count: usize, control: &Control, job: &Job) {
        let mut finished = self.finished.lock().unwrap_or_else(|e| e.into_inner());
        while *finished < count {
            if control.stopped() {
                self.halt.store(true, Ordering::Relaxed);
                job.abandon();
            }
            finished = self
                .done
                .wait_timeout(finished, STOP_POLL)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn fail(&self, message: String) {
        let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        failure.get_or_insert(message);
        self.halt.store(true, Ordering::Relaxed);
    }
}

/// Serial runs the one worker on the calling thread; threads mode one OS thread
/// per worker. Both share the same worker body.
pub fn run(plan: &Plan, control: &Control, events: &dyn EventSink) -> WorkloadOutcome {
    let workers = if plan.mode == Mode::Serial {
        1
    } else {
        plan.workers.max(1)
    };
    let shared = Shared::new(plan.mode == Mode::Serial);
    let job = Job::new(&plan.spec);
    let _abandon_on_signal = job.abandon_on_signal();
    let start = Instant::now();
    let mut reports: Vec<Option<(WorkerPart, CpuTimes)>> = Vec::new();
    if plan.mode == Mode::Serial {
        let affinity = os::current_affinity().ok();
        reports.push(run_worker(
            &job,
            0,
            workers,
            plan.cpu_of(0),
            &shared,
            control,
        ));
        if let (Some(cpus), Some(_)) = (affinity, plan.cpu_of(0)) {
            let _ = os::set_affinity(&cpus);
        }
    } else {
        std::thread::scope(|scope| {
            let mut handles = Vec::with_capacity(workers);
            for index in 0..workers {
                if shared.halted(control) {
                    break; // interrupted while starting: start no more
                }
                let (job, shared, control) = (&job, &shared, control);
                let spawned = std::thread::Builder::new()
                    .name(format!("{}{WORKER_THREAD_MARK}{index}", plan.spec.kind()))
                    .spawn_scoped(scope, move || {
                        run_worker(job, index, workers, plan.cpu_of(index), shared, control)
                    });
                match spawned {
                    Ok(handle) => handles.push(handle),
                    Err(e) => {
                        shared.fail(format!(
                            "could not start a worker thread: {e} (is ulimit -u too low?)"
                        ));
                        break;
                    }
                }
            }
            shared.open_gate();
            shared.wait_for_workers(handles.len(), control, &job);
            for (index, handle) in handles.into_iter().enumerate() {
                match handle.join() {
                    Ok(report) => reports.push(report),
                    Err(_) => {
                        shared.fail(format!("worker thread {index} ended abnormally"));
                        reports.push(None);
                    }
                }
                events.record(EventKind::WorkerExit, Some(index), None);
            }
        });
    }
    let wall_s = start.elapsed().as_secs_f64();
    finish(plan, &job, reports, shared, control, wall_s)
}

/// The per-run, per-workload data every worker reads.
enum Job {
    Hash {
        target: HashTarget,
        engine: Engine,
        scheduler: Arc<ChunkScheduler>,
    },
    Count {
        n: u128,
        split: bool,
    },
}

impl Job {
    fn new(spec: &WorkloadSpec) -> Job {
        match spec {
            WorkloadSpec::Hash {
                zeros,
                prefix,
                engine,
            } => Job::Hash {
                target: HashTarget::new(prefix.as_bytes(), *zeros),
                engine: engine.resolve().0,
                scheduler: Arc::new(ChunkScheduler::new(DEFAULT_CHUNK)),
            },
            WorkloadSpec::Count { n, split } => Job::Count {
                n: *n,
                split: *split,
            },
            other => unreachable!("{} does not run on workers", other.kind()),
        }
    }

    /// Makes the workers stop within one look at the stop flag: a hash search
    /// gives up mid-chunk (a count looks at the flag every batch anyway).
    fn abandon(&self) {
        if let Job::Hash { scheduler, .. } = self {
            scheduler.abandon();
        }
    }

    /// Abandons the search as soon as a stop signal comes, on the signal
    /// thread: thousands of threads then each stop within one look instead of
    /// finishing their chunks first.
    fn abandon_on_signal(&self) -> Option<WakeOnSignal> {
        let Job::Hash { scheduler, .. } = self else {
            return None;
        };
        let scheduler = Arc::clone(scheduler);
        Some(interrupt::wake_on_signal(move || scheduler.abandon()))
    }

    /// The run's result, when the workers did all the work: a hash search
    /// found its nonce, or every count worker counted its whole range.
    fn result(
        &self,
        plan: &Plan,
        reports: &[Option<(WorkerPart, CpuTimes)>],
        control: &Control,
        wall_s: f64,
    ) -> Option<WorkloadResult> {
        match self {
            Job::Hash {
                target, scheduler, ..
            } => scheduler
                .best()
                .map(|nonce| hash_result(&plan.spec, target, nonce, control, wall_s)),
            Job::Count { n, split } => {
                if reports.len() < plan.workers.max(1) {
                    return None; // stopped before every worker started
                }
                let sums = reports
                    .iter()
                    .map(|r| match r {
                        Some((WorkerPart::Count(c), _)) if c.complete => Some(c.sum),
                        _ => None,
                    })
                    .collect::<Option<Vec<u128>>>()?;
                Some(count_result(*n, *split, sums))
            }
        }
    }
}

/// One worker's whole life: pin, work until done or halted, report its CPU time.
/// A panic is caught and turned into a failure of the run.
fn run_worker(
    job: &Job,
    index: usize,
    workers: usize,
    cpu: Option<u32>,
    shared: &Shared,
    control: &Control,
) -> Option<(WorkerPart, CpuTimes)> {
    let meter = os::ThreadCpuMeter::start();
    let body = || -> Result<WorkerPart, String> {
        if let Some(cpu) = cpu {
            os::set_affinity(&[cpu])
                .map_err(|e| format!("cannot pin worker {index} to CPU {cpu}: {e}"))?;
        }
        shared.wait_for_start();
        Ok(match job {
            Job::Hash {
                target,
                engine,
                scheduler,
            } => {
                hash_worker(target, *engine, scheduler, shared, control);
                WorkerPart::Hash
            }
            Job::Count { n, split } => {
                let range = if *split {
                    count::split_range(*n, workers, index)
                } else {
                    0..*n
                };
                WorkerPart::Count(count::sum_range(
                    range,
                    || shared.halted(control),
                    &control.progress,
                ))
            }
        })
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    let spent = meter.spent();
    shared.worker_finished();
    match outcome {
        Ok(Ok(part)) => Some((part, spent)),
        Ok(Err(message)) => {
            shared.fail(message);
            None
        }
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            shared.fail(format!("worker thread {index} panicked: {text}"));
            None
        }
    }
}

fn hash_worker(
    target: &HashTarget,
    engine: Engine,
    scheduler: &ChunkScheduler,
    shared: &Shared,
    control: &Control,
) {
    // A test hook, left out of release builds: the failure-handling test makes
    // hash workers panic with it (tests use the debug binary).
    #[cfg(debug_assertions)]
    if std::env::var_os("COREHEAT_TEST_PANIC_WORKER").is_some() {
        panic!("COREHEAT_TEST_PANIC_WORKER is set");
    }
    while !shared.halted(control) {
        let Some(chunk) = scheduler.claim() else {
            break;
        };
        let outcome =
            hash::search_range(target, engine, chunk.start, chunk.end, scheduler.cutoff());
        control
            .progress
            .fetch_add(outcome.hashes, Ordering::Relaxed);
        if let Some(hit) = outcome.hit {
            scheduler.offer(hit.nonce);
        }
    }
}

/// Turns the workers' parts into the run's outcome.
fn finish(
    plan: &Plan,
    job: &Job,
    reports: Vec<Option<(WorkerPart, CpuTimes)>>,
    shared: Shared,
    control: &Control,
    wall_s: f64,
) -> WorkloadOutcome {
    let ended = WorkersEnded {
        result: job.result(plan, &reports, control, wall_s),
        failure: shared
            .failure
            .into_inner()
            .unwrap_or_else(|e| e.into_inner()),
        // A thread that ends badly fails the run itself (see `run_worker`).
        deaths: Vec::new(),
        workers: worker_reports(plan, &reports),
        wall_s,
    };
    WorkloadOutcome::of_workers(ended, control.stopped())
}

/// The CPU time of each worker that handed its part back.
fn worker_reports(plan: &Plan, reports: &[Option<(WorkerPart, CpuTimes)>]) -> Vec<WorkerReport> {
    reports
        .iter()
        .enumerate()
        .filter_map(|(index, r)| {
            r.as_ref().map(|(_, t)| WorkerReport {
                index,
                cpu: plan.cpu_of(index),
                user_s: t.user_s,
                sys_s: t.sys_s,
            })
        })
        .collect()
}
