//! Processes mode, coreheat's side: starts one worker process per worker (the
//! binary re-executed as `coreheat __worker`), feeds them work over their stdin
//! in the line protocol of `protocol`, collects their answers from stdout, and
//! reaps each with its rusage. A worker that dies is named with how it died; on
//! an interrupt or a failure every worker's stdin is closed, which ends it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Instant;

use super::control::{Control, Plan};
use super::hidden;
use super::outcome::{WorkerReport, WorkersEnded, WorkloadOutcome};
use super::outcome::{count_result, hash_result};
use super::protocol::{FromWorker, ToWorker};
use crate::kernels::count::split_range;
use crate::kernels::digest::HashTarget;
use crate::kernels::schedule::{ChunkScheduler, DEFAULT_CHUNK};
use crate::model::workload::{WorkloadResult, WorkloadSpec};
use crate::model::{EventKind, EventSink};
use crate::util::interrupt::{STOP_GRACE, STOP_POLL};
use crate::util::os::{self, CpuTimes};

/// Chunks each worker holds at once, so it never waits for the next one.
const CHUNKS_IN_FLIGHT: usize = 2;

/// A line from a worker, or the end of its output.
enum Incoming {
    Message(FromWorker),
    Garbled(String),
    Closed,
    /// A stop signal came: look at the stop flag now.
    Wake,
}

struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Chunk starts sent and not yet answered.
    in_flight: VecDeque<u64>,
    /// The count's answer, once received.
    sum: Option<u128>,
    /// How the process ended, once waited for.
    reaped: Option<(os::ExitStatus, CpuTimes)>,
}

impl Worker {
    fn send(&mut self, message: &ToWorker) -> bool {
        match self.stdin.as_mut() {
            Some(stdin) => stdin
                .write_all(message.encode().as_bytes())
                .and_then(|_| stdin.flush())
                .is_ok(),
            None => false,
        }
    }
}

/// Runs the plan's hash or count on worker processes.
pub fn run(plan: &Plan, control: &Control, events: &dyn EventSink) -> WorkloadOutcome {
    let start = Instant::now();
    let mut coordinator = Coordinator::start(plan, control);
    let answer = coordinator.work(&plan.spec);
    let Coordinator {
        mut workers,
        failure,
        ..
    } = coordinator;
    let (workers, deaths): (Vec<WorkerReport>, Vec<Option<String>>) =
        reap(plan, &mut workers, events).into_iter().unzip();
    let wall_s = start.elapsed().as_secs_f64();
    let ended = WorkersEnded {
        result: answer.map(|answer| answer.into_result(plan, control, wall_s)),
        failure,
        deaths: deaths.into_iter().flatten().collect(),
        workers,
        wall_s,
    };
    WorkloadOutcome::of_workers(ended, control.stopped())
}

/// What the workers worked out, before it becomes a result.
enum Answer {
    Hash {
        target: HashTarget,
        nonce: u64,
    },
    Count {
        n: u128,
        split: bool,
        sums: Vec<u128>,
    },
}

impl Answer {
    fn into_result(self, plan: &Plan, control: &Control, wall_s: f64) -> WorkloadResult {
        match self {
            Answer::Hash { target, nonce } => {
                hash_result(&plan.spec, &target, nonce, control, wall_s)
            }
            Answer::Count { n, split, sums } => count_result(n, split, sums),
        }
    }
}

fn spawn_worker(
    plan: &Plan,
    index: usize,
    sender: Sender<(usize, Incoming)>,
) -> Result<Worker, String> {
    let exe = plan.worker_exe()?;
    let mut command = Command::new(&exe);
    command
        .args(hidden::worker_args(index, plan.cpu_of(index)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    // The terminal's Ctrl-C reaches the whole process group: workers leave it
    // to coreheat, which stops them by closing their input.
    os::ignore_interrupts(&mut command);
    let mut child = command.spawn().map_err(|e| {
        format!(
            "cannot start worker process {index} ({}): {e}",
            exe.display()
        )
    })?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("stdout is piped");
    std::thread::Builder::new()
        .name(format!("coreheat-reader-{index}"))
        .spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let incoming = match line {
                    Ok(line) => match FromWorker::decode(&line) {
                        Ok(message) => Incoming::Message(message),
                        Err(_) => Incoming::Garbled(line),
                    },
                    Err(_) => break,
                };
                if sender.send((index, incoming)).is_err() {
                    return;
                }
            }
            let _ = sender.send((index, Incoming::Closed));
        })
        .map_err(|e| format!("cannot start a reader thread: {e}"))?;
    Ok(Worker {
        child,
        stdin,
        in_flight: VecDeque::new(),
        sum: None,
        reaped: None,
    })
}

struct Coordinator<'a> {
    workers: Vec<Worker>,
    receiver: Receiver<(usize, Incoming)>,
    control: &'a Control,
    failure: Option<String>,
    /// Wakes the wait for the workers' messages when a stop signal comes.
    _wake: crate::util::interrupt::WakeOnSignal,
}

impl<'a> Coordinator<'a> {
    /// Starts one worker process per worker; the first that cannot start is
    /// the run's failure, and no more are started.
    fn start(plan: &Plan, control: &'a Control) -> Coordinator<'a> {
        let (sender, receiver) = mpsc::channel();
        let mut workers = Vec::with_capacity(plan.workers);
        let mut failure = None;
        for index in 0..plan.workers.max(1) {
            match spawn_worker(plan, index, sender.clone()) {
                Ok(worker) => workers.push(worker),
                Err(message) => {
                    failure = Some(message);
                    break;
                }
            }
        }
        let wake = crate::util::interrupt::wake_on_signal(move || {
            let _ = sender.send((usize::MAX, Incoming::Wake));
        });
        Coordinator {
            workers,
            receiver,
            control,
            failure,
            _wake: wake,
        }
    }

    /// Has the workers do the workload; `None` when they could not start, or
    /// the run failed or was stopped before the answer.
    fn work(&mut self, spec: &WorkloadSpec) -> Option<Answer> {
        if self.failure.is_some() {
            return None;
        }
        match spec {
            WorkloadSpec::Hash {
                zeros,
                prefix,
                engine,
            } => {
                let target = HashTarget::new(prefix.as_bytes(), *zeros);
                self.hash(&target, *engine)
                    .map(|nonce| Answer::Hash { target, nonce })
            }
            WorkloadSpec::Count { n, split } => self.count(*n, *split).map(|sums| Answer::Count {
                n: *n,
                split: *split,
                sums,
            }),
            _ => unreachable!("only hash and count run on worker processes"),
        }
    }

    /// The next message, or `None` when the run must stop (interrupt or failure).
    fn next(&mut self) -> Option<(usize, FromWorker)> {
        loop {
            if self.control.stopped() || self.failure.is_some() {
                return None;
            }
            match self.receiver.recv_timeout(STOP_POLL) {
                Ok((index, Incoming::Message(FromWorker::Error(text)))) => {
                    self.failure = Some(format!("worker {index}: {text}"));
                }
                Ok((index, Incoming::Message(message))) => return Some((index, message)),
                Ok((index, Incoming::Garbled(line))) => {
                    self.failure =
                        Some(format!("worker {index} sent an unknown message: '{line}'"));
                }
                Ok((index, Incoming::Closed)) => {
                    // The worker closed its output before its work was done: it is
                    // ending, so waiting for it tells how.
                    let worker = &mut self.workers[index];
                    let pid = worker.child.id();
                    let reaped = os::wait_with_rusage(pid)
                        .unwrap_or((os::ExitStatus::Code(-1), CpuTimes::default()));
                    worker.reaped = Some(reaped);
                    if worker.sum.is_some() && reaped.0.success() {
                        continue; // a count worker that delivered its sum and left
                    }
                    self.failure = Some(format!(
                        "worker process {index} (pid {pid}) died: {}",
                        reaped.0.describe()
                    ));
                }
                Ok((_, Incoming::Wake)) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.failure = Some("all workers are gone".into());
                }
            }
        }
    }

    fn send(&mut self, index: usize, message: &ToWorker) {
        if !self.workers[index].send(message) && self.failure.is_none() {
            self.failure = Some(format!("worker {index} stopped reading its input"));
        }
    }

    /// Hands out chunks until the smallest answer is certain; returns it.
    fn hash(&mut self, target: &HashTarget, engine: crate::kernels::hash::Engine) -> Option<u64> {
        let scheduler = ChunkScheduler::new(DEFAULT_CHUNK);
        let job = ToWorker::Hash {
            zeros: target.zeros,
            engine,
            prefix: target.prefix.clone(),
        };
        for index in 0..self.workers.len() {
            self.send(index, &job);
            for _ in 0..CHUNKS_IN_FLIGHT {
                self.hand_out(index, &scheduler);
            }
        }
        while self.workers.iter().any(|w| !w.in_flight.is_empty()) {
            let (index, message) = self.next()?;
            if let FromWorker::Done {
                start,
                hashes,
                nonce,
            } = message
            {
                self.workers[index].in_flight.retain(|&s| s != start);
                self.control.progress.fetch_add(hashes, Ordering::Relaxed);
                if let Some(nonce) = nonce {
                    let before = scheduler.best();
                    scheduler.offer(nonce);
                    if scheduler.best() != before {
                        for other in 0..self.workers.len() {
                            self.send(other, &ToWorker::Best(nonce));
                        }
                    }
                }
                self.hand_out(index, &scheduler);
            }
        }
        scheduler.best()
    }

    fn hand_out(&mut self, index: usize, scheduler: &ChunkScheduler) {
        if let Some(chunk) = scheduler.claim() {
            self.workers[index].in_flight.push_back(chunk.start);
            self.send(
                index,
                &ToWorker::Chunk {
                    start: chunk.start,
                    end: chunk.end,
                },
            );
        }
    }

    /// Gives every worker its range and waits for every sum (in worker order).
    fn count(&mut self, n: u128, split: bool) -> Option<Vec<u128>> {
        let workers = self.workers.len();
        for index in 0..workers {
            let range = if split {
                split_range(n, workers, index)
            } else {
                0..n
            };
            self.send(
                index,
                &ToWorker::Count {
                    start: range.start,
                    end: range.end,
                },
            );
        }
        while self.workers.iter().any(|w| w.sum.is_none()) {
            let (index, message) = self.next()?;
            if let FromWorker::Sum(value) = message {
                self.workers[index].sum = Some(value);
            }
        }
        Some(self.workers.iter().filter_map(|w| w.sum).collect())
    }
}

/// Closes every worker's input (which ends it) and waits for each, returning its
/// CPU time and, for a worker that died badly, what happened. A worker that has
/// not ended [`STOP_GRACE`] after its input closed (stopped, stuck) is killed.
fn reap(
    plan: &Plan,
    workers: &mut [Worker],
    events: &dyn EventSink,
) -> Vec<(WorkerReport, Option<String>)> {
    for worker in workers.iter_mut() {
        worker.stdin = None;
    }
    let deadline = Instant::now() + STOP_GRACE;
    workers
        .iter_mut()
        .enumerate()
        .map(|(index, worker)| {
            let pid = worker.child.id();
            let (status, times, killed) = match worker.reaped {
                Some((status, times)) => (status, times, false),
                None => wait_or_kill(pid, deadline),
            };
            let death = if killed {
                Some(format!(
                    "worker process {index} (pid {pid}) did not stop within {} s and was killed",
                    STOP_GRACE.as_secs()
                ))
            } else {
                (!status.success()).then(|| {
                    format!(
                        "worker process {index} (pid {pid}) died: {}",
                        status.describe()
                    )
                })
            };
            events.record(EventKind::WorkerExit, Some(index), Some(status.describe()));
            let report = WorkerReport {
                index,
                cpu: plan.cpu_of(index),
                user_s: times.user_s,
                sys_s: times.sys_s,
            };
            (report, death)
        })
        .collect()
}

/// Waits for worker `pid` until `deadline`, then kills it; says whether it had
/// to be killed.
fn wait_or_kill(pid: u32, deadline: Instant) -> (os::ExitStatus, CpuTimes, bool) {
    let left = deadline.saturating_duration_since(Instant::now());
    if let Ok(Some((status, times))) = os::wait_with_rusage_timeout(pid, left) {
        return (status, times, false);
    }
    let _ = os::send_signal(pid, libc::SIGKILL);
    let (status, times) =
        os::wait_with_rusage(pid).unwrap_or((os::ExitStatus::Code(-1), CpuTimes::default()));
    (status, times, true)
}
