//! The workload's tasks, read from /proc at every sample: every thread of the
//! root process that is the workload's, and every thread of every descendant
//! process (found through `task/TID/children` where the kernel has it, else by
//! scanning /proc for parent ids). Per task it reads `stat` (utime, stime,
//! state, the CPU it last ran on, its name), `schedstat` (ns on a CPU, ns
//! waiting on a run queue, timeslices) and `status` (voluntary and involuntary
//! context switches), and gives back what each task added since the last reading.
//!
//! Cost: each task's files stay open and are re-read with `pread` at offset 0
//! into one buffer, parsed without allocating; a task whose `schedstat` did not
//! move did not run, so its other files (and its process's thread list, and
//! the search for children) are not read. Tasks that vanish are normal: they
//! are forgotten, so memory follows the live tasks, not the run's length.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::model::tasks::{EndedTicks, MAX_NAME_CHARS, TaskInfo, TaskTicks};
use crate::util::os;
use crate::util::procfs::{self, parse_u64};

/// Where the kernel lists its processes.
pub const PROC: &str = "/proc";

/// What every worker thread's name holds (`hash-worker-0`): the threads of
/// coreheat's own process that are the workload's in `coreheat run`.
pub const WORKER_THREAD_MARK: &str = "-worker-";

/// The name of the thread that reads the scheduler's events
/// (`sampler::sched`): coreheat's own, never the workload's.
pub const SCHED_THREAD_NAME: &str = "coreheat-sched";

/// Times a new process's command line is read again while it runs (a child
/// that has not yet called `exec` still looks like its parent).
const CMDLINE_CHECKS: u8 = 3;

/// Bytes read of any one /proc file (`status` is about 1.5 KiB).
const READ_BUFFER: usize = 16 * 1024;

/// Which threads of the root process are the workload's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootThreads {
    /// `coreheat run`: the worker threads (named with [`WORKER_THREAD_MARK`]);
    /// the main, sampler and helper threads are coreheat's own.
    Workers,
    /// The library's tracer: every thread of the calling process but the sampler.
    AllButSampler,
}

/// Whose tasks to read.
#[derive(Debug, Clone)]
pub struct TaskScope {
    /// `/proc`, or a folder shaped like it (tests).
    pub proc_root: PathBuf,
    /// The process whose descendants are the workload (coreheat itself).
    pub root: u32,
    pub root_threads: RootThreads,
    /// A word of the command line that marks a descendant process as coreheat's
    /// own (the exec guardian's hidden subcommand); its threads are not shown.
    pub own_process_word: Option<String>,
}

impl TaskScope {
    /// This process and its descendants, in the real /proc.
    pub fn this_process(root_threads: RootThreads, own_process_word: Option<&str>) -> TaskScope {
        TaskScope {
            proc_root: PathBuf::from(PROC),
            root: std::process::id(),
            root_threads,
            own_process_word: own_process_word.map(String::from),
        }
    }
}

/// What one reading found: tasks to announce (new, or renamed) and what each
/// workload task that did anything added since the reading before.
#[derive(Debug, Default)]
pub struct TaskReading {
    pub announced: Vec<TaskInfo>,
    pub rows: Vec<TaskTicks>,
    /// CPU time of processes that ended since the reading before, beyond
    /// their rows, by the process that reaped them.
    pub ended: Vec<EndedTicks>,
}

/// Clock ticks in user and in kernel mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
struct UserSys(u64, u64);

impl UserSys {
    fn plus(self, other: UserSys) -> UserSys {
        UserSys(self.0 + other.0, self.1 + other.1)
    }

    /// What `self` holds beyond `other` (never below zero).
    fn less(self, other: UserSys) -> UserSys {
        UserSys(
            self.0.saturating_sub(other.0),
            self.1.saturating_sub(other.1),
        )
    }
}

/// A task's cumulative counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    utime: u64,
    stime: u64,
    run_ns: u64,
    wait_ns: u64,
    slices: u64,
    voluntary: u64,
    involuntary: u64,
    cpu: u32,
    /// Its process's reaped children's CPU ticks (`cutime`, `cstime`).
    reaped: UserSys,
}

impl Counts {
    /// What `self` added since `before`; counters that went backwards add nothing.
    fn since(&self, before: &Counts, tid: u32) -> TaskTicks {
        TaskTicks {
            tid,
            utime: self.utime.saturating_sub(before.utime),
            stime: self.stime.saturating_sub(before.stime),
            run_ns: self.run_ns.saturating_sub(before.run_ns),
            wait_ns: self.wait_ns.saturating_sub(before.wait_ns),
            voluntary: self.voluntary.saturating_sub(before.voluntary),
            involuntary: self.involuntary.saturating_sub(before.involuntary),
            cpu: self.cpu,
        }
    }
}

/// A task's name (`comm`), held without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Name {
    bytes: [u8; MAX_NAME_CHARS],
    len: usize,
}

impl Name {
    fn new(text: &[u8]) -> Name {
        let len = text.len().min(MAX_NAME_CHARS);
        let mut bytes = [0; MAX_NAME_CHARS];
        bytes[..len].copy_from_slice(&text[..len]);
        Name { bytes, len }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn contains(&self, word: &str) -> bool {
        self.as_bytes()
            .windows(word.len())
            .any(|w| w == word.as_bytes())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
}

/// One thread, its files open.
struct Task {
    pid: u32,
    stat: File,
    schedstat: Option<File>,
    status: Option<File>,
    children: Option<File>,
    counts: Counts,
    name: Name,
    /// The name it was last announced with (`None`: not announced).
    announced: Option<Name>,
    /// What it added in this reading, once read and until emitted.
    added: Option<TaskTicks>,
    seen: u64,
}

/// One process of the tree.
struct Process {
    ppid: u32,
    threads: Vec<u32>,
    own: bool,
    cmdline_checks: u8,
    /// Its main thread's name when its command line was last read.
    checked_name: Option<Name>,
    visited: u64,
    /// Its reaped children's CPU ticks when last settled (`None`: not yet
    /// read; a process there at the reference reading starts from its own).
    reaped: Option<UserSys>,
    /// The same, as read in this reading (by a thread of it that ran).
    reaped_now: Option<UserSys>,
    /// Ticks accounted for it and the children it reaped, over its life: its
    /// threads' rows (its own threads' too, for coreheat's processes), the
    /// ended ticks settled on it, and what was accounted for each child.
    written: UserSys,
    /// Ticks written for its children that ended, not yet matched by a rise
    /// of its reaped ticks.
    owed: UserSys,
}

/// What reading a task found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaskState {
    Gone,
    Idle,
    Ran,
}

/// Reads the workload's tasks; one per sampler.
pub struct TaskSampler {
    scope: TaskScope,
    tasks: HashMap<u32, Task>,
    processes: HashMap<u32, Process>,
    /// Processes of a /proc scan that are not the workload's (skipped next scan).
    foreign: HashSet<u32>,
    has_children_files: bool,
    buffer: Vec<u8>,
    generation: u64,
    sampler_tid: Option<u32>,
    reading: TaskReading,
    pending: Vec<u32>,
    ran: Vec<u32>,
}

impl TaskSampler {
    /// Reads the scope's tasks once (the reference reading; it announces the
    /// tasks already there and counts nothing).
    pub fn start(scope: TaskScope) -> io::Result<TaskSampler> {
        let root_stat = scope.proc_root.join(format!("{}/stat", scope.root));
        File::open(&root_stat).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot read {}: {e}", root_stat.display()),
            )
        })?;
        let children = format!("{0}/task/{0}/children", scope.root);
        let mut sampler = TaskSampler {
            has_children_files: scope.proc_root.join(children).exists(),
            scope,
            tasks: HashMap::new(),
            processes: HashMap::new(),
            foreign: HashSet::new(),
            buffer: vec![0; READ_BUFFER],
            generation: 0,
            sampler_tid: None,
            reading: TaskReading::default(),
            pending: Vec::new(),
            ran: Vec::new(),
        };
        sampler.adopt(sampler.scope.root, 0);
        Ok(sampler)
    }

    /// Tasks being followed (for tests of memory over a long run).
    pub fn followed(&self) -> usize {
        self.tasks.len()
    }

    /// Reads every task of the tree; what it found is in the returned reading
    /// until the next call. The first call, on the thread that samples, is the
    /// reference: it announces the tasks already there and counts nothing.
    pub fn read(&mut self) -> &TaskReading {
        if self.sampler_tid.is_none() {
            self.sampler_tid = Some(os::thread_id()); // read on the sampler thread
        }
        self.generation += 1;
        self.reading.rows.clear();
        self.reading.ended.clear();
        self.pending.clear();
        self.ran.clear();
        self.pending.extend(self.processes.keys());
        self.visit_pending();
        while !self.ran.is_empty() && self.find_children() {
            self.visit_pending();
        }
        self.forget_the_dead();
        self.settle_reaped();
        &self.reading
    }

    /// The CPU time of processes that ended beyond their rows: for each
    /// process whose reaped children's ticks rose, the rise less what was
    /// written for the children it reaped.
    fn settle_reaped(&mut self) {
        for (&pid, process) in &mut self.processes {
            let Some(now) = process.reaped_now.take() else {
                continue;
            };
            let Some(before) = process.reaped.replace(now) else {
                continue; // the reference: counts from here
            };
            let rose = now.less(before);
            let ended = rose.less(process.owed);
            process.owed = process.owed.less(rose);
            if ended != UserSys::default() {
                process.written = process.written.plus(ended);
                self.reading.ended.push(EndedTicks {
                    pid,
                    utime: ended.0,
                    stime: ended.1,
                });
            }
        }
    }

    /// The rows of the last reading.
    pub fn read_rows(&self) -> &[TaskTicks] {
        &self.reading.rows
    }

    /// The ended ticks of the last reading.
    pub fn read_ended(&self) -> &[EndedTicks] {
        &self.reading.ended
    }

    /// Takes the announcements made so far (they are written once).
    pub fn take_announced(&mut self) -> Vec<TaskInfo> {
        std::mem::take(&mut self.reading.announced)
    }

    fn visit_pending(&mut self) {
        while let Some(pid) = self.pending.pop() {
            self.visit(pid);
        }
    }

    /// Reads a process's known threads, and lists its threads again when one
    /// of them ran (only a running thread starts another); then hands on what
    /// its workload threads added.
    fn visit(&mut self, pid: u32) {
        let Some(process) = self.processes.get_mut(&pid) else {
            return;
        };
        let fresh = process.visited == 0;
        process.visited = self.generation;
        let threads = std::mem::take(&mut process.threads);
        let mut any_ran = fresh;
        for &tid in &threads {
            any_ran |= self.refresh(tid) == TaskState::Ran;
        }
        if let Some(process) = self.processes.get_mut(&pid) {
            process.threads = threads;
        }
        if any_ran {
            self.check_process(pid);
            self.list_threads(pid);
            self.check_process(pid);
            self.emit(pid);
        }
    }

    /// Announces the workload threads of `pid` that ran and keeps the rows of
    /// those that did anything.
    fn emit(&mut self, pid: u32) {
        let threads = self
            .processes
            .get_mut(&pid)
            .map(|p| std::mem::take(&mut p.threads))
            .unwrap_or_default();
        let mut written = UserSys::default();
        let mut reaped_now = None;
        for &tid in &threads {
            let Some(task) = self.tasks.get_mut(&tid) else {
                continue;
            };
            let Some(added) = task.added.take() else {
                continue;
            };
            written = written.plus(UserSys(added.utime, added.stime));
            reaped_now = reaped_now.max(Some(task.counts.reaped));
            if self.is_workload(tid) {
                self.announce(tid);
                if added.is_active() {
                    self.reading.rows.push(added);
                }
            }
        }
        if let Some(process) = self.processes.get_mut(&pid) {
            process.threads = threads;
            process.written = process.written.plus(written);
            process.reaped_now = process.reaped_now.max(reaped_now);
        }
    }

    /// Opens the threads of `pid` not yet followed; a process whose thread
    /// list cannot be read has ended.
    fn list_threads(&mut self, pid: u32) {
        let folder = self.scope.proc_root.join(format!("{pid}/task"));
        let Ok(entries) = std::fs::read_dir(&folder) else {
            self.processes.remove(&pid);
            return;
        };
        for entry in entries.flatten() {
            let Some(tid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if self.tasks.contains_key(&tid) || !self.open_task(pid, tid) {
                continue;
            }
            if let Some(process) = self.processes.get_mut(&pid) {
                process.threads.push(tid);
            }
            self.refresh(tid);
        }
    }

    fn open_task(&mut self, pid: u32, tid: u32) -> bool {
        let folder = self.scope.proc_root.join(format!("{pid}/task/{tid}"));
        let Ok(stat) = File::open(folder.join("stat")) else {
            return false;
        };
        let open = |name: &str| File::open(folder.join(name)).ok();
        self.tasks.insert(
            tid,
            Task {
                pid,
                stat,
                schedstat: open("schedstat"),
                status: open("status"),
                children: if self.has_children_files {
                    open("children")
                } else {
                    None
                },
                counts: Counts::default(),
                name: Name::new(b""),
                announced: None,
                added: None,
                seen: 0,
            },
        );
        true
    }

    /// Reads one task's files and notes what it added. A task first seen in
    /// the reference reading counts nothing; one born since counts from zero.
    fn refresh(&mut self, tid: u32) -> TaskState {
        let Some(task) = self.tasks.get_mut(&tid) else {
            return TaskState::Gone;
        };
        let first = task.seen == 0;
        let mut counts = task.counts;
        let state = read_counts(task, &mut self.buffer, &mut counts, first);
        if state == TaskState::Gone {
            return state;
        }
        task.seen = self.generation;
        if state == TaskState::Idle {
            return state;
        }
        let before = match (first, self.generation) {
            (true, 1) => counts,
            (true, _) => Counts::default(),
            (false, _) => task.counts,
        };
        task.counts = counts;
        task.added = Some(counts.since(&before, tid));
        if Some(tid) != self.sampler_tid {
            self.ran.push(tid); // the sampler starts no process
        }
        TaskState::Ran
    }

    /// Announces a workload task not yet announced under its current name.
    fn announce(&mut self, tid: u32) {
        let Some(task) = self.tasks.get_mut(&tid) else {
            return;
        };
        if task.announced == Some(task.name) {
            return;
        }
        task.announced = Some(task.name);
        let ppid = self.processes.get(&task.pid).map_or(0, |p| p.ppid);
        self.reading.announced.push(TaskInfo {
            pid: task.pid,
            tid,
            ppid,
            name: task.name.text(),
        });
    }

    fn is_workload(&self, tid: u32) -> bool {
        let Some(task) = self.tasks.get(&tid) else {
            return false;
        };
        if task.pid != self.scope.root {
            return self.processes.get(&task.pid).is_some_and(|p| !p.own);
        }
        match self.scope.root_threads {
            RootThreads::Workers => task.name.contains(WORKER_THREAD_MARK),
            RootThreads::AllButSampler => {
                Some(tid) != self.sampler_tid && !task.name.contains(SCHED_THREAD_NAME)
            }
        }
    }

    /// Reads a descendant's command line again when its main thread's name
    /// changed (it ran `exec`) and in its first few busy readings: a process
    /// whose command line holds the scope's own word is coreheat's.
    fn check_process(&mut self, pid: u32) {
        let Some(word) = self.scope.own_process_word.clone() else {
            return;
        };
        let name = self.tasks.get(&pid).map(|t| t.name);
        let Some(process) = self.processes.get_mut(&pid) else {
            return;
        };
        if pid == self.scope.root || (process.checked_name == name && process.cmdline_checks == 0) {
            return;
        }
        process.cmdline_checks = process.cmdline_checks.saturating_sub(1);
        process.checked_name = name;
        let path = self.scope.proc_root.join(format!("{pid}/cmdline"));
        let Ok(cmdline) = std::fs::read(path) else {
            return;
        };
        process.own = cmdline.split(|&b| b == 0).any(|w| w == word.as_bytes());
    }

    /// Adds a process of the tree (not yet visited).
    fn adopt(&mut self, pid: u32, ppid: u32) {
        self.processes.entry(pid).or_insert_with(|| {
            self.pending.push(pid);
            Process {
                ppid,
                threads: Vec::new(),
                own: false,
                cmdline_checks: CMDLINE_CHECKS,
                checked_name: None,
                visited: 0,
                // Born since the reference reading: all its children's time counts.
                reaped: (self.generation > 1).then_some(UserSys::default()),
                reaped_now: None,
                written: UserSys::default(),
                owed: UserSys::default(),
            }
        });
    }

    /// Adds the processes started since the last reading; true when it found any.
    fn find_children(&mut self) -> bool {
        let before = self.pending.len();
        if self.has_children_files {
            self.children_from_files();
        } else {
            self.children_from_scan();
        }
        self.ran.clear();
        self.pending.len() > before
    }

    /// `task/TID/children` of every task that ran.
    fn children_from_files(&mut self) {
        let ran = std::mem::take(&mut self.ran);
        for &tid in &ran {
            let Some(task) = self.tasks.get(&tid) else {
                continue;
            };
            let (pid, Some(file)) = (task.pid, task.children.as_ref()) else {
                continue;
            };
            let Ok(length) = file.read_at(&mut self.buffer, 0) else {
                continue;
            };
            let text = std::mem::take(&mut self.buffer);
            for child in numbers(&text[..length]) {
                self.adopt(child as u32, pid);
            }
            self.buffer = text;
        }
        self.ran = ran;
    }

    /// Scans /proc for processes whose parent is in the tree (processes seen
    /// before and found foreign are skipped).
    fn children_from_scan(&mut self) {
        let pids = procfs::pids(&self.scope.proc_root);
        if pids.is_empty() {
            return;
        }
        let mut candidates = Vec::new();
        let mut listed = HashSet::new();
        for pid in pids {
            listed.insert(pid);
            if self.processes.contains_key(&pid) || self.foreign.contains(&pid) {
                continue;
            }
            if let Some(ppid) = self.parent_of(pid) {
                candidates.push((pid, ppid));
            }
        }
        self.foreign.retain(|pid| listed.contains(pid));
        loop {
            let before = candidates.len();
            candidates.retain(|&(pid, ppid)| {
                let ours = self.processes.contains_key(&ppid);
                if ours {
                    self.adopt(pid, ppid);
                }
                !ours
            });
            if candidates.len() == before {
                break;
            }
        }
        self.foreign.extend(candidates.iter().map(|&(pid, _)| pid));
    }

    fn parent_of(&mut self, pid: u32) -> Option<u32> {
        let path = self.scope.proc_root.join(format!("{pid}/stat"));
        let file = File::open(path).ok()?;
        let length = file.read_at(&mut self.buffer, 0).ok()?;
        parse_stat(&self.buffer[..length]).map(|stat| stat.ppid)
    }

    /// Forgets tasks that were not found in this reading, and processes
    /// without threads.
    fn forget_the_dead(&mut self) {
        let generation = self.generation;
        let tasks = &mut self.tasks;
        tasks.retain(|_, task| task.seen == generation);
        for process in self.processes.values_mut() {
            process.threads.retain(|tid| tasks.contains_key(tid));
        }
        let root = self.scope.root;
        let mut departed = HashMap::new();
        self.processes.retain(|&pid, p| {
            let keep = pid == root || !p.threads.is_empty() || p.visited == 0;
            if !keep {
                departed.insert(pid, (p.ppid, p.written));
            }
            keep
        });
        self.hand_on_departed(departed);
    }

    /// Adds what was accounted for each process that ended to its parent's
    /// (children first, so a parent that ended too hands on theirs): when the
    /// parent's reaped ticks rise by the child's whole time, the accounted
    /// part is owed, and only the rest has ended unseen.
    fn hand_on_departed(&mut self, mut departed: HashMap<u32, (u32, UserSys)>) {
        while !departed.is_empty() {
            let parents: HashSet<u32> = departed.values().map(|(ppid, _)| *ppid).collect();
            let leaves: Vec<u32> = departed
                .keys()
                .copied()
                .filter(|pid| !parents.contains(pid))
                .collect();
            let leaves = if leaves.is_empty() {
                departed.keys().copied().collect() // a cycle cannot be; end anyway
            } else {
                leaves
            };
            for pid in leaves {
                let Some((ppid, written)) = departed.remove(&pid) else {
                    continue;
                };
                if let Some((_, parent_written)) = departed.get_mut(&ppid) {
                    *parent_written = parent_written.plus(written);
                } else if let Some(parent) = self.processes.get_mut(&ppid) {
                    parent.owed = parent.owed.plus(written);
                    parent.written = parent.written.plus(written);
                }
            }
        }
    }
}

/// Reads `task`'s files into `counts`. `Idle` when its `schedstat` shows it
/// did not run since `counts` (its other files are not read then).
fn read_counts(task: &mut Task, buffer: &mut [u8], counts: &mut Counts, first: bool) -> TaskState {
    if let Some(file) = &task.schedstat {
        let Some((run_ns, wait_ns, slices)) = read_with(file, buffer, parse_schedstat) else {
            return TaskState::Gone;
        };
        let unchanged = (run_ns, wait_ns, slices) == (counts.run_ns, counts.wait_ns, counts.slices);
        if unchanged && !first {
            return TaskState::Idle;
        }
        (counts.run_ns, counts.wait_ns, counts.slices) = (run_ns, wait_ns, slices);
    }
    let Some(stat) = read_with(&task.stat, buffer, parse_stat) else {
        return TaskState::Gone;
    };
    (counts.utime, counts.stime, counts.cpu) = (stat.utime, stat.stime, stat.cpu);
    counts.reaped = stat.reaped;
    task.name = stat.name;
    if let Some(file) = &task.status
        && let Some((voluntary, involuntary)) = read_with(file, buffer, parse_switches)
    {
        (counts.voluntary, counts.involuntary) = (voluntary, involuntary);
    }
    TaskState::Ran
}

/// `pread`s `file` from its start into `buffer` and parses what it read.
fn read_with<T>(file: &File, buffer: &mut [u8], parse: fn(&[u8]) -> Option<T>) -> Option<T> {
    let length = file.read_at(buffer, 0).ok()?;
    parse(&buffer[..length])
}

/// The fields of `task/TID/stat` the sampler uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    name: Name,
    ppid: u32,
    utime: u64,
    stime: u64,
    /// `cutime` and `cstime`: its process's reaped children's CPU ticks.
    reaped: UserSys,
    cpu: u32,
}

/// Parses `pid (comm) S ppid ...`: the name may hold spaces and parentheses, so
/// the fields start after the last `)`.
fn parse_stat(text: &[u8]) -> Option<Stat> {
    let (name, mut fields) = procfs::stat_fields(text)?;
    let name = Name::new(name);
    // Field 3 (state) is index 0 here.
    let ppid = fields.nth(1).and_then(parse_u64)?;
    let utime = fields.nth(9).and_then(parse_u64)?;
    let stime = fields.next().and_then(parse_u64)?;
    let cutime = fields.next().and_then(parse_u64)?;
    let cstime = fields.next().and_then(parse_u64)?;
    let cpu = fields.nth(21).and_then(parse_u64)?;
    Some(Stat {
        name,
        ppid: ppid as u32,
        utime,
        stime,
        reaped: UserSys(cutime, cstime),
        cpu: cpu as u32,
    })
}

/// `run_ns wait_ns timeslices`.
fn parse_schedstat(text: &[u8]) -> Option<(u64, u64, u64)> {
    let mut values = numbers(text);
    Some((values.next()?, values.next()?, values.next()?))
}

/// `voluntary_ctxt_switches:` and `nonvoluntary_ctxt_switches:` of `status`:
/// its last lines, so they are looked for from the end (a search from the
/// start through the 1.5 KiB before them cost more than reading the file).
fn parse_switches(text: &[u8]) -> Option<(u64, u64)> {
    let (mut voluntary, mut involuntary) = (None, None);
    for line in text.rsplit(|&b| b == b'\n').take(8) {
        if let Some(rest) = line.strip_prefix(b"voluntary_ctxt_switches:") {
            voluntary = numbers(rest).next();
        } else if let Some(rest) = line.strip_prefix(b"nonvoluntary_ctxt_switches:") {
            involuntary = numbers(rest).next();
        }
    }
    Some((voluntary?, involuntary?))
}

/// The whitespace-separated whole numbers at the start of `text`, up to the
/// first word that is not one.
fn numbers(text: &[u8]) -> impl Iterator<Item = u64> + '_ {
    text.split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .map_while(parse_u64)
}

/// The folder of a task's files under `proc_root`, for tests and messages.
pub fn task_folder(proc_root: &Path, pid: u32, tid: u32) -> PathBuf {
    proc_root.join(format!("{pid}/task/{tid}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree of process `root` in a folder shaped like /proc.
    fn fake_scope(proc_root: &Path, root: u32) -> TaskScope {
        TaskScope {
            proc_root: proc_root.to_path_buf(),
            root,
            root_threads: RootThreads::AllButSampler,
            own_process_word: None,
        }
    }

    /// Writes a task's three files under a folder shaped like /proc.
    fn write_task(root: &Path, pid: u32, tid: u32, name: &str, counts: [u64; 6], children: &str) {
        write_task_reaping(root, pid, tid, name, counts, (0, 0), children);
    }

    /// The same, its process having reaped children of `reaped` CPU ticks.
    fn write_task_reaping(
        root: &Path,
        pid: u32,
        tid: u32,
        name: &str,
        counts: [u64; 6],
        reaped: (u64, u64),
        children: &str,
    ) {
        let folder = task_folder(root, pid, tid);
        std::fs::create_dir_all(&folder).unwrap();
        let [utime, stime, run, wait, vol, invol] = counts;
        let (cutime, cstime) = reaped;
        let stat = format!(
            "{tid} ({name}) R 1 {pid} 0 0 -1 0 0 0 0 0 {utime} {stime} {cutime} {cstime} 20 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 0 0 0 0\n"
        );
        std::fs::write(folder.join("stat"), stat).unwrap();
        std::fs::write(folder.join("schedstat"), format!("{run} {wait} 1\n")).unwrap();
        let status = format!(
            "Name:\t{name}\nvoluntary_ctxt_switches:\t{vol}\nnonvoluntary_ctxt_switches:\t{invol}\n"
        );
        std::fs::write(folder.join("status"), status).unwrap();
        std::fs::write(folder.join("children"), children).unwrap();
        std::fs::write(
            root.join(format!("{pid}/stat")),
            format!("{pid} ({name}) S 1 0\n"),
        )
        .unwrap();
    }

    #[test]
    fn children_are_followed_counted_from_birth_and_forgotten_when_gone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_task(root, 10, 10, "coreheat", [0, 0, 5, 0, 0, 0], "");
        let mut sampler = TaskSampler::start(fake_scope(root, 10)).unwrap();
        assert!(
            sampler.read().rows.is_empty(),
            "the reference counts nothing"
        );
        assert_eq!(sampler.take_announced()[0].name, "coreheat");
        write_task(root, 10, 10, "coreheat", [1, 0, 9, 0, 1, 0], "20");
        write_task(root, 20, 20, "python3", [3, 1, 40_000_000, 2_000, 4, 5], "");
        let rows = sampler.read().rows.clone();
        let child = rows
            .iter()
            .find(|r| r.tid == 20)
            .expect("the child is read");
        assert_eq!((child.utime, child.stime, child.run_ns), (3, 1, 40_000_000));
        assert_eq!((child.voluntary, child.involuntary, child.cpu), (4, 5, 1));
        let announced = sampler.take_announced();
        assert_eq!((announced[0].tid, announced[0].ppid), (20, 10));
        // A dead task's files read as errors in /proc; here they read empty.
        for file in ["stat", "schedstat", "status"] {
            std::fs::write(task_folder(root, 20, 20).join(file), "").unwrap();
        }
        write_task(root, 10, 10, "coreheat", [2, 0, 12, 0, 1, 0], "");
        sampler.read();
        assert_eq!(sampler.followed(), 1, "the ended child is forgotten");
    }

    #[test]
    fn a_child_that_ended_between_readings_is_counted_from_its_parents_reaped_time() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let reading = |sampler: &mut TaskSampler| {
            let reading = sampler.read();
            (reading.rows.clone(), reading.ended.clone())
        };
        // Reaped children before the reference (30 ticks) are not counted.
        write_task_reaping(root, 10, 10, "sh", [0, 0, 5, 0, 0, 0], (30, 0), "");
        let mut sampler = TaskSampler::start(fake_scope(root, 10)).unwrap();
        reading(&mut sampler);
        // A child is read once: 20 ticks of user time, 5 of system time.
        write_task_reaping(root, 10, 10, "sh", [0, 0, 6, 0, 0, 0], (30, 0), "20");
        write_task(root, 20, 20, "cc", [20, 5, 250_000_000, 0, 0, 0], "");
        let (rows, ended) = reading(&mut sampler);
        assert_eq!(rows.iter().find(|r| r.tid == 20).map(|r| r.utime), Some(20));
        assert!(ended.is_empty(), "{ended:?}");
        // It ends having used 32 + 7 ticks in all, and another child lived
        // and ended between the readings (10 + 1): sh reaped 50 + 9 more.
        for file in ["stat", "schedstat", "status"] {
            std::fs::write(task_folder(root, 20, 20).join(file), "").unwrap();
        }
        write_task_reaping(root, 10, 10, "sh", [0, 0, 7, 0, 0, 0], (80, 9), "");
        let (_, ended) = reading(&mut sampler);
        assert_eq!(
            ended,
            [EndedTicks {
                pid: 10,
                utime: 50 - 20,
                stime: 9 - 5
            }]
        );
        // Nothing more ended: nothing more is counted.
        write_task_reaping(root, 10, 10, "sh", [0, 0, 8, 0, 0, 0], (80, 9), "");
        assert!(reading(&mut sampler).1.is_empty());
    }

    #[test]
    fn stat_with_spaces_and_parentheses_in_the_name() {
        let text = b"7 (a (b) c) S 3 7 7 0 -1 0 0 0 0 0 11 12 13 14 20 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5 0\n";
        let stat = parse_stat(text).unwrap();
        assert_eq!(stat.name.as_bytes(), b"a (b) c");
        assert_eq!(
            (stat.ppid, stat.utime, stat.stime, stat.reaped, stat.cpu),
            (3, 11, 12, UserSys(13, 14), 5)
        );
        assert_eq!(
            parse_switches(b"x\nvoluntary_ctxt_switches:\t3\nnonvoluntary_ctxt_switches:\t4\n"),
            Some((3, 4))
        );
        assert_eq!(parse_schedstat(b"1 2 3\n"), Some((1, 2, 3)));
        assert!(parse_stat(b"garbage").is_none());
    }

    /// A long run of a program that keeps starting short-lived threads: each
    /// is seen by one reading and gone by the next, and the sampler forgets it,
    /// so what it follows is the live threads, not every thread there ever was.
    #[test]
    fn memory_follows_the_live_threads_over_a_long_run_of_short_lived_ones() {
        let scope = TaskScope::this_process(RootThreads::AllButSampler, None);
        let mut sampler = TaskSampler::start(scope).unwrap();
        sampler.read();
        let (mut seen, mut most_followed) = (0, 0);
        for _round in 0..300 {
            let (release, wait) = std::sync::mpsc::channel::<()>();
            let wait = std::sync::Arc::new(std::sync::Mutex::new(wait));
            let (tell, tids) = std::sync::mpsc::channel();
            let threads: Vec<_> = (0..5)
                .map(|_| {
                    let (wait, tell) = (wait.clone(), tell.clone());
                    std::thread::spawn(move || {
                        let _ = tell.send(os::thread_id());
                        let _ = wait.lock().map(|w| w.recv());
                    })
                })
                .collect();
            let tids: HashSet<u32> = tids.iter().take(5).collect();
            let reading = sampler.read();
            seen += reading
                .rows
                .iter()
                .filter(|r| tids.contains(&r.tid))
                .count();
            drop(release);
            for thread in threads {
                thread.join().unwrap();
            }
            most_followed = most_followed.max(sampler.followed());
        }
        sampler.read();
        assert!(seen > 0, "the short-lived threads were read");
        assert!(
            most_followed < 100,
            "1500 threads came and went; {most_followed} followed at most"
        );
        assert!(sampler.tasks.capacity() < 400 && sampler.processes.len() < 50);
    }
}
