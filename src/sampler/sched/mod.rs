//! The exact source of "who ran where": the scheduler's own events
//! (`sched_switch`, `sched_wakeup`, `sched_wakeup_new`, `sched_migrate_task`,
//! `sched_process_exit`) read through `perf_event_open(2)`, one ring buffer
//! per CPU (`ring`), the raw records decoded with the offsets of each
//! tracepoint's `format` file (`format`), and turned into slices of the
//! workload's threads and other programs' time per CPU (`timeline`).
//!
//! A thread of its own drains the rings every [`DRAIN_EVERY`] and handles, in
//! time order, the events older than the moment that round began (every
//! ring has been read past it by then); the sampler thread takes what was
//! recorded at each sample ([`SchedRecorder::take_batch`]) and writes it into
//! the trace, so the trace stays readable after `kill -9`. Opening the events
//! needs root, CAP_PERFMON or `kernel.perf_event_paranoid` -1; when it is
//! refused, [`SchedRecorder::open`] says why and the run samples /proc instead.

pub mod format;
pub mod ring;
pub mod timeline;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::model::sched::SchedBatch;
use crate::util::os;

use super::tasks::{RootThreads, SCHED_THREAD_NAME, TaskScope, WORKER_THREAD_MARK};
use format::{Field, Format};
use ring::{RawEvent, Ring};
use timeline::{Membership, SchedEvent, Stamped, Timeline};

/// The tracepoints read, in the order `Decoder::new` takes their formats.
pub const TRACEPOINTS: [&str; 5] = [
    "sched_switch",
    "sched_wakeup",
    "sched_wakeup_new",
    "sched_migrate_task",
    "sched_process_exit",
];

/// How often the rings are read.
pub const DRAIN_EVERY: Duration = Duration::from_millis(10);

/// The offsets of the fields the timeline needs, per tracepoint.
struct Decoder {
    switch_id: u64,
    prev_comm: Field,
    prev_pid: Field,
    prev_state: Field,
    next_comm: Field,
    next_pid: Field,
    wakeup_id: u64,
    wakeup_new_id: u64,
    wakeup_pid: Field,
    wakeup_new_pid: Field,
    migrate_id: u64,
    migrate_pid: Field,
    orig_cpu: Field,
    dest_cpu: Field,
    exit_id: u64,
    exit_pid: Field,
}

impl Decoder {
    fn new(formats: &[Format; 5]) -> Result<Decoder, String> {
        let [switch, wakeup, wakeup_new, migrate, exit] = formats;
        Ok(Decoder {
            switch_id: switch.id,
            prev_comm: switch.field("prev_comm", 16)?,
            prev_pid: switch.field("prev_pid", 4)?,
            prev_state: switch.field("prev_state", 0)?,
            next_comm: switch.field("next_comm", 16)?,
            next_pid: switch.field("next_pid", 4)?,
            wakeup_id: wakeup.id,
            wakeup_new_id: wakeup_new.id,
            wakeup_pid: wakeup.field("pid", 4)?,
            wakeup_new_pid: wakeup_new.field("pid", 4)?,
            migrate_id: migrate.id,
            migrate_pid: migrate.field("pid", 4)?,
            orig_cpu: migrate.field("orig_cpu", 4)?,
            dest_cpu: migrate.field("dest_cpu", 4)?,
            exit_id: exit.id,
            exit_pid: exit.field("pid", 4)?,
        })
    }

    fn ids(&self) -> [u64; 5] {
        [
            self.switch_id,
            self.wakeup_id,
            self.wakeup_new_id,
            self.migrate_id,
            self.exit_id,
        ]
    }

    /// The event a raw tracepoint record holds; `None` for a record of
    /// another kind or too short.
    fn decode(&self, raw: &[u8]) -> Option<SchedEvent> {
        let id = u64::from(u16::from_ne_bytes([*raw.first()?, *raw.get(1)?]));
        if id == self.switch_id {
            return Some(SchedEvent::Switch {
                prev_tid: read_u32(raw, self.prev_pid)?,
                prev_comm: read_comm(raw, self.prev_comm)?,
                prev_state: read_uint(raw, self.prev_state)?,
                next_tid: read_u32(raw, self.next_pid)?,
                next_comm: read_comm(raw, self.next_comm)?,
            });
        }
        if id == self.wakeup_id || id == self.wakeup_new_id {
            let new = id == self.wakeup_new_id;
            let field = if new {
                self.wakeup_new_pid
            } else {
                self.wakeup_pid
            };
            return Some(SchedEvent::Wakeup {
                tid: read_u32(raw, field)?,
                new,
            });
        }
        if id == self.migrate_id {
            return Some(SchedEvent::Migrate {
                tid: read_u32(raw, self.migrate_pid)?,
                from: read_u32(raw, self.orig_cpu)?,
                to: read_u32(raw, self.dest_cpu)?,
            });
        }
        if id == self.exit_id {
            return Some(SchedEvent::Exit {
                tid: read_u32(raw, self.exit_pid)?,
            });
        }
        None
    }
}

fn read_u32(raw: &[u8], field: Field) -> Option<u32> {
    ring::u32_at(raw, field.offset)
}

fn read_uint(raw: &[u8], field: Field) -> Option<u64> {
    match field.size {
        4 => ring::u32_at(raw, field.offset).map(u64::from),
        8 => ring::u64_at(raw, field.offset),
        _ => None,
    }
}

/// A NUL-padded `char[16]` name.
fn read_comm(raw: &[u8], field: Field) -> Option<String> {
    let bytes = raw.get(field.offset..field.offset + field.size)?;
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
}

/// Which tasks are the workload's, by the rules of the /proc reader
/// ([`TaskScope`]): in the root process, its worker threads (or all but
/// coreheat's own threads, for the library's tracer); outside it, every
/// thread of a descendant process that is not coreheat's own (the exec
/// guardian). Descent is known from the forks seen, else from /proc.
struct ProcMembership {
    scope: TaskScope,
    own_threads: Arc<Mutex<HashSet<u32>>>,
    /// A task created while recording → the process that created it.
    forks: HashMap<u32, u32>,
    /// A process → whether it descends from the root, and whether it is
    /// coreheat's own (checked under the name it had).
    processes: HashMap<u32, (bool, bool, String)>,
}

impl ProcMembership {
    /// Whether process `pid` descends from the root (its parent from the forks
    /// seen, else from its /proc `stat`).
    fn descends(&mut self, pid: u32, depth: u32) -> bool {
        if pid == self.scope.root {
            return true;
        }
        if pid <= 1 || depth > 64 {
            return false;
        }
        if let Some(&(descends, _, _)) = self.processes.get(&pid) {
            return descends;
        }
        let parent = self
            .forks
            .get(&pid)
            .copied()
            .or_else(|| self.parent_in_proc(pid));
        parent.is_some_and(|parent| self.descends(parent, depth + 1))
    }

    fn parent_in_proc(&self, pid: u32) -> Option<u32> {
        let stat = std::fs::read(self.scope.proc_root.join(format!("{pid}/stat"))).ok()?;
        let after_name = stat.iter().rposition(|&b| b == b')')?;
        let text = std::str::from_utf8(&stat[after_name + 1..]).ok()?;
        text.split_whitespace().nth(1)?.parse().ok()
    }

    fn is_own_process(&self, pid: u32) -> bool {
        let Some(word) = &self.scope.own_process_word else {
            return false;
        };
        let path = self.scope.proc_root.join(format!("{pid}/cmdline"));
        std::fs::read(path)
            .is_ok_and(|cmdline| cmdline.split(|&b| b == 0).any(|w| w == word.as_bytes()))
    }
}

impl Membership for ProcMembership {
    fn is_workload(&mut self, tid: u32, pid: u32, comm: &str) -> bool {
        if pid == self.scope.root {
            return match self.scope.root_threads {
                RootThreads::Workers => comm.contains(WORKER_THREAD_MARK),
                RootThreads::AllButSampler => !self
                    .own_threads
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .contains(&tid),
            };
        }
        if let Some((descends, own, name)) = self.processes.get(&pid)
            && (name == comm || !*descends)
        {
            return *descends && !*own;
        }
        let descends = self.descends(pid, 0);
        let own = descends && self.is_own_process(pid);
        self.processes
            .insert(pid, (descends, own, comm.to_string()));
        descends && !own
    }

    fn pid_of(&mut self, tid: u32) -> u32 {
        let path = self.scope.proc_root.join(format!("{tid}/status"));
        std::fs::read_to_string(path)
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("Tgid:"))
                    .and_then(|pid| pid.trim().parse().ok())
            })
            .unwrap_or(tid)
    }

    fn forked(&mut self, child_tid: u32, parent_pid: u32) {
        self.forks.insert(child_tid, parent_pid);
        self.processes.remove(&child_tid); // a reused id
    }
}

/// What the reading thread and the sampler share.
struct Shared {
    timeline: Mutex<Timeline<ProcMembership>>,
    stop: AtomicBool,
}

/// The events source: open rings, and once started the thread that reads them.
pub struct SchedRecorder {
    rings: Vec<Ring>,
    decoder: Option<Decoder>,
    cpus: Vec<u32>,
    scope: TaskScope,
    own_threads: Arc<Mutex<HashSet<u32>>>,
    running: Option<(Arc<Shared>, JoinHandle<ReaderEnd>)>,
}

/// Ring pages per CPU: 1 MiB each up to 16 CPUs, less beyond (64 MiB in all
/// at most, 64 KiB per CPU at least).
fn pages_per_cpu(cpus: usize) -> usize {
    let pages = (16 * 256 / cpus.max(1)).clamp(16, 256);
    1 << (usize::BITS - 1 - pages.leading_zeros())
}

impl SchedRecorder {
    /// Opens the scheduler's tracepoints on `cpus` for the tasks of `scope`,
    /// not yet recording. The error is the reason, in a sentence that says
    /// what to do.
    pub fn open(cpus: &[u32], scope: TaskScope) -> Result<SchedRecorder, String> {
        if std::env::var_os("COREHEAT_NO_SCHED_EVENTS").is_some() {
            return Err(
                "COREHEAT_NO_SCHED_EVENTS is set (unset it to read the scheduler's events)".into(),
            );
        }
        let events = format::events_folder()?;
        let formats = TRACEPOINTS.map(|name| format::read(&events, "sched", name));
        let formats: Vec<Format> = formats.into_iter().collect::<Result<_, _>>()?;
        let formats: [Format; 5] = formats.try_into().map_err(|_| "five formats")?;
        let decoder = Decoder::new(&formats)?;
        let pages = pages_per_cpu(cpus.len());
        let mut rings = Vec::with_capacity(cpus.len());
        for &cpu in cpus {
            let ring = Ring::open(cpu, &decoder.ids(), pages).map_err(|e| refusal(&e))?;
            rings.push(ring);
        }
        Ok(SchedRecorder {
            rings,
            decoder: Some(decoder),
            cpus: cpus.to_vec(),
            scope,
            own_threads: Arc::default(),
            running: None,
        })
    }

    /// Marks the calling thread as coreheat's own (the sampler's).
    pub fn exclude_current_thread(&self) {
        self.own_threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(os::thread_id());
    }

    /// Starts recording; trace times count from `origin_ns` (CLOCK_MONOTONIC).
    pub fn start(&mut self, origin_ns: u64) -> std::io::Result<()> {
        let membership = ProcMembership {
            scope: self.scope.clone(),
            own_threads: self.own_threads.clone(),
            forks: HashMap::new(),
            processes: HashMap::new(),
        };
        for ring in &self.rings {
            ring.enable(true)?;
        }
        let began = os::monotonic_ns();
        let shared = Arc::new(Shared {
            timeline: Mutex::new(Timeline::new(membership, &self.cpus, origin_ns, began)),
            stop: AtomicBool::new(false),
        });
        let rings = std::mem::take(&mut self.rings);
        let decoder = self.decoder.take().expect("started once");
        let reader = Reader {
            rings,
            decoder,
            shared: shared.clone(),
            pending: Vec::new(),
            own_threads: self.own_threads.clone(),
        };
        let handle = std::thread::Builder::new()
            .name(SCHED_THREAD_NAME.into())
            .spawn(move || {
                // Drains the rings on time however many workers are busy.
                crate::util::os::request_prompt_scheduling();
                reader.run()
            })?;
        self.running = Some((shared, handle));
        Ok(())
    }

    /// What was recorded since the batch before.
    pub fn take_batch(&self) -> SchedBatch {
        match &self.running {
            Some((shared, _)) => shared
                .timeline
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take_batch(),
            None => SchedBatch::default(),
        }
    }

    /// Stops recording: reads what the rings still hold, closes the slices
    /// still running, and gives the last batch and the CPU time the reading
    /// thread used.
    pub fn finish(&mut self) -> (SchedBatch, os::CpuTimes) {
        let Some((shared, handle)) = self.running.take() else {
            return (SchedBatch::default(), os::CpuTimes::default());
        };
        shared.stop.store(true, Ordering::Relaxed);
        let (rings, cpu) = handle.join().unwrap_or_default();
        drop(rings); // disables and unmaps
        let end = os::monotonic_ns();
        let batch = shared
            .timeline
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .finish(end);
        (batch, cpu)
    }
}

impl Drop for SchedRecorder {
    fn drop(&mut self) {
        if let Some((shared, handle)) = self.running.take() {
            shared.stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}

/// A refused `perf_event_open`, in words that say what to do.
fn refusal(error: &std::io::Error) -> String {
    let paranoid = format::paranoid();
    match error.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => format!(
            "the kernel refused to open the scheduler's tracepoints (kernel.perf_event_paranoid is {paranoid}): run as root, give coreheat CAP_PERFMON (setcap cap_perfmon+ep), or set sysctl kernel.perf_event_paranoid=-1"
        ),
        Some(libc::EMFILE) | Some(libc::ENFILE) => format!(
            "too many open files for one perf event per tracepoint and CPU ({error}): raise ulimit -n"
        ),
        _ => format!("cannot open the scheduler's tracepoints: {error}"),
    }
}

/// What the reading thread hands back: its rings (to close) and its CPU time.
type ReaderEnd = (Vec<Ring>, os::CpuTimes);

/// The thread that drains the rings.
struct Reader {
    rings: Vec<Ring>,
    decoder: Decoder,
    shared: Arc<Shared>,
    pending: Vec<Stamped>,
    own_threads: Arc<Mutex<HashSet<u32>>>,
}

impl Reader {
    fn run(mut self) -> ReaderEnd {
        let cpu_meter = os::ThreadCpuMeter::start();
        self.own_threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(os::thread_id());
        loop {
            let stopping = self.shared.stop.load(Ordering::Relaxed);
            let round = if stopping {
                u64::MAX
            } else {
                os::monotonic_ns()
            };
            self.round(round);
            if stopping {
                return (self.rings, cpu_meter.spent());
            }
            std::thread::sleep(DRAIN_EVERY);
        }
    }

    /// Reads every ring, then hands the events older than `round` to the
    /// timeline in time order; later ones wait for the next round.
    fn round(&mut self, round: u64) {
        let mut lost = 0;
        for ring in &mut self.rings {
            let decoder = &self.decoder;
            let pending = &mut self.pending;
            ring.drain(|record| match ring::decode(record) {
                Some(RawEvent::Sample {
                    pid,
                    tid,
                    time_ns,
                    cpu,
                    raw,
                }) => {
                    if let Some(event) = decoder.decode(raw) {
                        pending.push(Stamped {
                            time_ns,
                            cpu,
                            pid,
                            tid,
                            event,
                        });
                    }
                }
                Some(RawEvent::Lost(count)) => lost += count,
                None => {}
            });
        }
        self.pending.sort_by_key(|event| event.time_ns);
        let ready = self.pending.partition_point(|event| event.time_ns <= round);
        let mut timeline = self
            .shared
            .timeline
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        timeline.lost(lost);
        for event in self.pending.drain(..ready) {
            timeline.handle(&event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_sizes_are_powers_of_two_within_bounds() {
        assert_eq!(pages_per_cpu(1), 256);
        assert_eq!(pages_per_cpu(16), 256);
        assert_eq!(pages_per_cpu(24), 128);
        assert_eq!(pages_per_cpu(8192), 16);
    }

    #[test]
    fn a_raw_sched_switch_is_read_at_the_formats_offsets() {
        let formats = TRACEPOINTS.map(format::fixture);
        let decoder = Decoder::new(&formats).unwrap();
        let mut raw = vec![0u8; 64];
        raw[..2].copy_from_slice(&(formats[0].id as u16).to_ne_bytes());
        raw[8..14].copy_from_slice(b"python");
        raw[24..28].copy_from_slice(&4242u32.to_ne_bytes());
        raw[32..40].copy_from_slice(&1u64.to_ne_bytes());
        raw[40..47].copy_from_slice(b"swapper");
        assert_eq!(
            decoder.decode(&raw),
            Some(SchedEvent::Switch {
                prev_tid: 4242,
                prev_comm: "python".into(),
                prev_state: 1,
                next_tid: 0,
                next_comm: "swapper".into(),
            })
        );
        raw[..2].copy_from_slice(&9999u16.to_ne_bytes());
        assert_eq!(decoder.decode(&raw), None);
    }
}
