//! The few operating-system calls coreheat needs beyond std, in one place:
//! CPU time from rusage, waiting for a child with its rusage, CPU affinity, and
//! the parent-death signal. Every `unsafe` libc call of the crate lives here.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::io::AsRawFd;
use std::time::Duration;

/// User and system CPU seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CpuTimes {
    pub user_s: f64,
    pub sys_s: f64,
}

impl CpuTimes {
    fn from_rusage(usage: &libc::rusage) -> CpuTimes {
        let seconds = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        CpuTimes {
            user_s: seconds(usage.ru_utime),
            sys_s: seconds(usage.ru_stime),
        }
    }

    pub fn minus(self, earlier: CpuTimes) -> CpuTimes {
        CpuTimes {
            user_s: (self.user_s - earlier.user_s).max(0.0),
            sys_s: (self.sys_s - earlier.sys_s).max(0.0),
        }
    }

    pub fn plus(self, other: CpuTimes) -> CpuTimes {
        CpuTimes {
            user_s: self.user_s + other.user_s,
            sys_s: self.sys_s + other.sys_s,
        }
    }
}

fn rusage(who: libc::c_int) -> CpuTimes {
    // SAFETY: getrusage writes into the zeroed struct we pass and nothing else.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(who, &mut usage) != 0 {
            return CpuTimes::default();
        }
        CpuTimes::from_rusage(&usage)
    }
}

/// The calling thread's CPU time from the moment it was started.
///
/// The total is the scheduler's own count (`CLOCK_THREAD_CPUTIME_ID`, exact to
/// the nanosecond); getrusage only splits it into user and system. getrusage's
/// per-thread figures alone fall short for threads that share CPUs with many
/// others: 1 024 counting threads on 2 CPUs summed 8.52 CPU-s by getrusage
/// and 9.75 by the clock, with the machine 10.1 CPU-s busy, and the 1.2
/// missing were blamed on other programs.
#[derive(Debug, Clone, Copy)]
pub struct ThreadCpuMeter {
    start_s: f64,
    start: CpuTimes,
}

impl ThreadCpuMeter {
    /// Starts measuring the calling thread.
    pub fn start() -> ThreadCpuMeter {
        ThreadCpuMeter {
            start_s: thread_clock_s(),
            start: rusage(libc::RUSAGE_THREAD),
        }
    }

    /// The calling thread's CPU time since [`ThreadCpuMeter::start`] (call it on
    /// the thread that started the meter).
    pub fn spent(&self) -> CpuTimes {
        let total = (thread_clock_s() - self.start_s).max(0.0);
        let sampled = rusage(libc::RUSAGE_THREAD).minus(self.start);
        split_like(total, sampled)
    }
}

/// `total` seconds split into user and system as `sampled` splits its own
/// (all user when it saw none).
fn split_like(total: f64, sampled: CpuTimes) -> CpuTimes {
    let sampled_total = sampled.user_s + sampled.sys_s;
    let sys_share = if sampled_total > 0.0 {
        sampled.sys_s / sampled_total
    } else {
        0.0
    };
    // To the microsecond, as getrusage gives them.
    let micros = |seconds: f64| (seconds * 1e6).round() / 1e6;
    CpuTimes {
        user_s: micros(total * (1.0 - sys_share)),
        sys_s: micros(total * sys_share),
    }
}

/// The calling thread's time on a CPU, in seconds (0 should the clock fail).
fn thread_clock_s() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass and nothing else.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0 {
        return 0.0;
    }
    now.tv_sec as f64 + now.tv_nsec as f64 / 1e9
}

/// CPU time of this whole process so far (all threads).
pub fn process_cpu_times() -> CpuTimes {
    rusage(libc::RUSAGE_SELF)
}

/// The kernel's clock ticks a second as /proc/stat counts them (USER_HZ,
/// `sysconf(_SC_CLK_TCK)`); 100, Linux's value on every architecture, should
/// the call fail.
pub fn clock_ticks_per_second() -> u32 {
    // SAFETY: sysconf reads a constant of the system and touches no memory of ours.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u32::try_from(ticks).ok().filter(|&t| t > 0).unwrap_or(100)
}

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

impl ExitStatus {
    /// The shell's convention: the exit code, or 128 + signal number.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Code(code) => code,
            ExitStatus::Signal(signal) => 128 + signal,
        }
    }

    pub fn success(self) -> bool {
        self == ExitStatus::Code(0)
    }

    pub fn describe(self) -> String {
        match self {
            ExitStatus::Code(code) => format!("exit code {code}"),
            ExitStatus::Signal(signal) => format!("signal {signal} ({})", signal_name(signal)),
        }
    }
}

/// The usual name of a signal number (`SIGKILL`).
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        _ => "signal",
    }
}

/// Waits for child `pid` and returns how it ended with its CPU time (its own and
/// that of the descendants it waited for).
pub fn wait_with_rusage(pid: u32) -> io::Result<(ExitStatus, CpuTimes)> {
    let pid = pid as libc::pid_t;
    loop {
        // SAFETY: wait4 writes only into the status and rusage we pass.
        let (result, status, usage) = unsafe {
            let mut status: libc::c_int = 0;
            let mut usage: libc::rusage = std::mem::zeroed();
            let result = libc::wait4(pid, &mut status, 0, &mut usage);
            (result, status, usage)
        };
        if result == pid {
            return Ok((exit_status(status), CpuTimes::from_rusage(&usage)));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Waits up to `timeout` for child `pid` to end; `None` if it is still running.
/// Blocks on a pidfd (no polling) where the kernel has them (Linux 5.3+).
pub fn wait_with_rusage_timeout(
    pid: u32,
    timeout: Duration,
) -> io::Result<Option<(ExitStatus, CpuTimes)>> {
    if let Some(pidfd) = pidfd_open(pid) {
        let mut poll = libc::pollfd {
            fd: pidfd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: poll reads and writes only the one pollfd we own.
        let ready = unsafe { libc::poll(&mut poll, 1, millis) };
        if ready == 0 {
            return Ok(None);
        }
        return wait_with_rusage(pid).map(Some);
    }
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(ended) = try_wait_with_rusage(pid)? {
            return Ok(Some(ended));
        }
        if std::time::Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A pidfd for `pid`, or `None` where the kernel has no pidfd_open.
fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes two integers and returns a new descriptor.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: a non-negative result is a descriptor we now own.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// How child `pid` ended, if it has; never blocks.
fn try_wait_with_rusage(pid: u32) -> io::Result<Option<(ExitStatus, CpuTimes)>> {
    // SAFETY: wait4 writes only into the status and rusage we pass.
    let (result, status, usage) = unsafe {
        let mut status: libc::c_int = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        let result = libc::wait4(pid as libc::pid_t, &mut status, libc::WNOHANG, &mut usage);
        (result, status, usage)
    };
    match result {
        0 => Ok(None),
        r if r < 0 => Err(io::Error::last_os_error()),
        _ => Ok(Some((exit_status(status), CpuTimes::from_rusage(&usage)))),
    }
}

/// The status word of wait4 as an exit code or a signal.
fn exit_status(status: libc::c_int) -> ExitStatus {
    if libc::WIFSIGNALED(status) {
        ExitStatus::Signal(libc::WTERMSIG(status))
    } else {
        ExitStatus::Code(libc::WEXITSTATUS(status))
    }
}

/// Makes `command`'s process ignore SIGINT, SIGTERM, SIGHUP and SIGQUIT from
/// the start (the setting survives exec), with no signal blocked. A terminal's Ctrl-C, Ctrl-\\ or
/// hang-up reaches the whole process group; helpers that coreheat stops itself
/// must not die of it first.
pub fn ignore_interrupts(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: signal() is async-signal-safe and touches no memory of ours.
    unsafe {
        command.pre_exec(|| {
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::signal(signal, libc::SIG_IGN);
            }
            unblock_every_signal();
            Ok(())
        });
    }
}

/// CLOCK_MONOTONIC in nanoseconds; async-signal-safe, for signal handlers.
pub fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes only into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

/// Writes `message` to standard error with one write(2); async-signal-safe,
/// for signal handlers. Failures are ignored: there is nowhere to report them.
pub fn write_stderr_raw(message: &[u8]) {
    // SAFETY: write reads `message.len()` bytes from a live slice.
    unsafe { libc::write(libc::STDERR_FILENO, message.as_ptr().cast(), message.len()) };
}

/// Ends the process at once with `code`, running no destructors and flushing
/// nothing; async-signal-safe, for signal handlers.
pub fn exit_immediately(code: i32) -> ! {
    // SAFETY: _exit ends the process; it is async-signal-safe.
    unsafe { libc::_exit(code) }
}

/// Waits for any child and returns its pid, how it ended and its CPU time;
/// an error of kind `ECHILD` when there is no child left.
pub fn wait_any_with_rusage() -> io::Result<(u32, ExitStatus, CpuTimes)> {
    loop {
        // SAFETY: wait4 writes only into the status and rusage we pass.
        let (result, status, usage) = unsafe {
            let mut status: libc::c_int = 0;
            let mut usage: libc::rusage = std::mem::zeroed();
            let result = libc::wait4(-1, &mut status, 0, &mut usage);
            (result, status, usage)
        };
        if result > 0 {
            return Ok((
                result as u32,
                exit_status(status),
                CpuTimes::from_rusage(&usage),
            ));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// [`wait_any_with_rusage`] without blocking: `Ok(None)` while every child
/// still runs; an error (ECHILD) when there is no child at all.
pub fn try_wait_any_with_rusage() -> io::Result<Option<(u32, ExitStatus, CpuTimes)>> {
    loop {
        // SAFETY: wait4 writes only into the status and rusage we pass.
        let (result, status, usage) = unsafe {
            let mut status: libc::c_int = 0;
            let mut usage: libc::rusage = std::mem::zeroed();
            let result = libc::wait4(-1, &mut status, libc::WNOHANG, &mut usage);
            (result, status, usage)
        };
        if result > 0 {
            return Ok(Some((
                result as u32,
                exit_status(status),
                CpuTimes::from_rusage(&usage),
            )));
        }
        if result == 0 {
            return Ok(None);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Makes orphaned descendants of this process its children instead of init's,
/// so it can wait for them and stop them (prctl PR_SET_CHILD_SUBREAPER).
pub fn become_child_subreaper() -> io::Result<()> {
    // SAFETY: prctl with integer arguments has no memory effects.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong, 0, 0, 0) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Takes an exclusive `flock` on `file` without waiting: `Ok(false)` when
/// another open file (another coreheat) holds it. The lock goes with the
/// file: closing it, or the process ending in any way, releases it.
pub fn try_lock_exclusive(file: &std::fs::File) -> io::Result<bool> {
    loop {
        // SAFETY: flock on a descriptor the file owns has no memory effects.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(true);
        }
        let error = io::Error::last_os_error();
        match error.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Ok(false),
            _ => return Err(error),
        }
    }
}

/// A pipe for a signal handler to wake a thread with: (read end, blocking;
/// write end, non-blocking), both close-on-exec.
pub fn wake_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    // SAFETY: pipe2 writes two descriptor numbers into the array we pass.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned here only.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: fcntl on a descriptor we own has no memory effects.
    if unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((read, write))
}

/// Writes one byte to descriptor `fd`, ignoring failure; async-signal-safe.
pub fn write_wake_byte(fd: RawFd) {
    // SAFETY: write of one byte from a static buffer has no other memory effects.
    unsafe {
        libc::write(fd, b"!".as_ptr().cast(), 1);
    }
}

/// Blocks until descriptor `fd` has bytes (or its writers are gone); reads
/// what is there. False when the pipe is closed or fails.
pub fn read_wake_bytes(fd: RawFd) -> bool {
    let mut buffer = [0u8; 64];
    loop {
        // SAFETY: read into our own buffer, within its length.
        let read = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
        if read > 0 {
            return true;
        }
        if read == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// Marks `fd` close-on-exec, so programs this process starts do not inherit it.
pub fn set_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor number has no memory effects.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Makes `command`'s process get `fds[i]` as descriptor `3 + i`.
pub fn pass_fds(command: &mut std::process::Command, fds: Vec<RawFd>) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only makes the
    // async-signal-safe fcntl and dup2 calls. Each descriptor is first copied
    // above the targets, so moving one never overwrites another.
    unsafe {
        command.pre_exec(move || {
            let mut high = [0; 8];
            for (slot, &fd) in high.iter_mut().zip(&fds) {
                *slot = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 16);
                if *slot < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            for (target, &fd) in (3..).zip(high.iter().take(fds.len())) {
                if libc::dup2(fd, target) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// Gives `command`'s process the default SIGINT, SIGTERM, SIGHUP and SIGQUIT back (its parent
/// may ignore them), with no signal blocked, and asks the kernel to kill it when its parent ends.
pub fn default_interrupts_and_die_with_parent(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: signal() and prctl are async-signal-safe and touch no memory of ours.
    unsafe {
        command.pre_exec(|| {
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::signal(signal, libc::SIG_DFL);
            }
            unblock_every_signal();
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            );
            Ok(())
        });
    }
}

/// Sends `signal` to process `pid`.
pub fn send_signal(pid: u32, signal: i32) -> io::Result<()> {
    // SAFETY: kill has no memory effects.
    if unsafe { libc::kill(pid as libc::pid_t, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The CPUs the calling thread may run on.
pub fn current_affinity() -> io::Result<Vec<u32>> {
    // SAFETY: sched_getaffinity fills the cpu_set_t we own.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
            .map(|cpu| cpu as u32)
            .collect())
    }
}

/// Blocks `signals` on the calling thread and on the threads it starts from
/// now on. Child processes inherit the mask too: every command coreheat
/// starts clears it before exec ([`ignore_interrupts`],
/// [`default_interrupts_and_die_with_parent`]).
pub fn block_signals(signals: &[i32]) -> io::Result<()> {
    change_signal_mask(libc::SIG_BLOCK, signals)
}

/// Unblocks `signals` on the calling thread.
pub fn unblock_signals(signals: &[i32]) -> io::Result<()> {
    change_signal_mask(libc::SIG_UNBLOCK, signals)
}

/// Empties the calling thread's signal mask; async-signal-safe, for `pre_exec`.
fn unblock_every_signal() {
    // SAFETY: sigemptyset and sigprocmask only touch the set on our stack.
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
    }
}

fn change_signal_mask(how: libc::c_int, signals: &[i32]) -> io::Result<()> {
    // SAFETY: we build a sigset_t of our own and pass it by reference.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &signal in signals {
            libc::sigaddset(&mut set, signal);
        }
        let error = libc::pthread_sigmask(how, &set, std::ptr::null_mut());
        if error != 0 {
            return Err(io::Error::from_raw_os_error(error));
        }
    }
    Ok(())
}

/// The time slice coreheat's own threads ask for (see [`request_short_slice`]).
pub const SHORT_SLICE: Duration = Duration::from_micros(100);

/// `SCHED_FIFO` 1 where allowed (root, `CAP_SYS_NICE`), else [`request_short_slice`]:
/// for coreheat's own threads that must run on time (signals, samples) and
/// only ever run briefly.
pub fn request_prompt_scheduling() {
    if request_realtime().is_err() {
        let _ = request_short_slice();
    }
}

/// Asks for the lowest real-time priority (`SCHED_FIFO` 1) for the calling
/// thread, which must only ever run briefly: it then runs as soon as it wakes,
/// ahead of every ordinary thread. Needs root or `CAP_SYS_NICE` (or an
/// `RLIMIT_RTPRIO` above 0).
fn request_realtime() -> io::Result<()> {
    set_own_scheduling(libc::SCHED_FIFO, 1, Duration::ZERO)
}

/// Asks the scheduler to give the calling thread short time slices
/// ([`SHORT_SLICE`], Linux 6.12 and later; older kernels ignore it). Its share of
/// the CPU stays the same (and its time stays `user`, unlike with `nice`), but
/// when it wakes up it is picked, and preempts, before threads with the
/// default slice.
pub fn request_short_slice() -> io::Result<()> {
    set_own_scheduling(libc::SCHED_OTHER, 0, SHORT_SLICE)
}

/// `sched_setattr` for the calling thread. Threads and processes it starts
/// afterwards get the default policy and slice back
/// (`SCHED_FLAG_RESET_ON_FORK`), so workers and commands are not affected.
fn set_own_scheduling(policy: libc::c_int, priority: u32, slice: Duration) -> io::Result<()> {
    const SCHED_FLAG_RESET_ON_FORK: u64 = 0x01;
    // SAFETY: zeroed is a valid sched_attr (all integers).
    let mut attr: libc::sched_attr = unsafe { std::mem::zeroed() };
    attr.size = std::mem::size_of::<libc::sched_attr>() as u32;
    attr.sched_policy = policy as u32;
    attr.sched_flags = SCHED_FLAG_RESET_ON_FORK;
    attr.sched_priority = priority;
    attr.sched_runtime = slice.as_nanos() as u64;
    // SAFETY: sched_setattr reads the struct we own, for the calling thread (0).
    let done = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const _, 0) };
    if done != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Restricts the calling thread to `cpus`.
pub fn set_affinity(cpus: &[u32]) -> io::Result<()> {
    // SAFETY: we build a cpu_set_t of our own and pass it by reference.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            if cpu as usize >= libc::CPU_SETSIZE as usize {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("CPU {cpu} is beyond what an affinity mask can name"),
                ));
            }
            libc::CPU_SET(cpu as usize, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The process group of process `pid` (`None` when it is gone).
pub fn process_group_of(pid: u32) -> Option<u32> {
    // SAFETY: getpgid has no memory effects.
    let group = unsafe { libc::getpgid(pid as libc::pid_t) };
    (group > 0).then_some(group as u32)
}

/// Makes `command`'s process join process group `group` (of the same session)
/// before it runs; it stays in its parent's group where that is refused.
pub fn join_process_group(command: &mut std::process::Command, group: u32) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setpgid is async-signal-safe and touches no memory of ours.
    unsafe {
        command.pre_exec(move || {
            libc::setpgid(0, group as libc::pid_t);
            Ok(())
        });
    }
}

/// Makes `command`'s process start restricted to `cpus`.
pub fn pin_command(command: &mut std::process::Command, cpus: Vec<u32>) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only makes the
    // async-signal-safe sched_setaffinity call on a set built before the fork.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for cpu in cpus {
        if (cpu as usize) < libc::CPU_SETSIZE as usize {
            // SAFETY: CPU_SET writes one bit of our own set, in bounds.
            unsafe { libc::CPU_SET(cpu as usize, &mut set) };
        }
    }
    unsafe {
        command.pre_exec(move || {
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Asks the kernel to send SIGKILL to this process when its parent ends, and
/// returns false if the parent has already gone (the caller should exit).
pub fn die_with_parent(expected_parent: u32) -> bool {
    // SAFETY: prctl(PR_SET_PDEATHSIG) and getppid have no memory effects.
    unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        );
        libc::getppid() as u32 == expected_parent
    }
}

/// The parent process id.
pub fn parent_pid() -> u32 {
    // SAFETY: getppid has no memory effects.
    unsafe { libc::getppid() as u32 }
}

/// The calling thread's id (its `task/TID` folder in /proc).
pub fn thread_id() -> u32 {
    // SAFETY: gettid has no memory effects.
    unsafe { libc::gettid() as u32 }
}

/// The process's file-mode creation mask. Read by setting it and setting it
/// back at once: call it where no other thread creates files meanwhile.
pub fn umask() -> u32 {
    // SAFETY: umask has no preconditions; the old mask is restored at once.
    unsafe {
        let mask = libc::umask(0o022);
        libc::umask(mask);
        mask as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_time_grows_with_work() {
        let meter = ThreadCpuMeter::start();
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        let spent = meter.spent();
        assert!(spent.user_s + spent.sys_s > 0.0, "{x}");
    }

    #[test]
    fn the_exact_total_is_split_as_the_samples_split_theirs() {
        let sampled = CpuTimes {
            user_s: 0.3,
            sys_s: 0.1,
        };
        let split = split_like(2.0, sampled);
        assert!((split.user_s - 1.5).abs() < 1e-12 && (split.sys_s - 0.5).abs() < 1e-12);
        // No tick seen (a thread among thousands): all of it is user time.
        assert_eq!(
            split_like(0.66, CpuTimes::default()),
            CpuTimes {
                user_s: 0.66,
                sys_s: 0.0
            }
        );
    }

    #[test]
    fn exit_status_codes_follow_the_shell() {
        assert_eq!(ExitStatus::Code(3).shell_code(), 3);
        assert_eq!(ExitStatus::Signal(9).shell_code(), 137);
        assert!(ExitStatus::Signal(9).describe().contains("SIGKILL"));
    }

    #[test]
    #[allow(clippy::zombie_processes)] // reaped by wait_with_rusage, not Child::wait
    fn child_rusage_and_status() {
        let child = std::process::Command::new("sh")
            .args(["-c", "exit 3"])
            .spawn()
            .unwrap();
        let (status, _) = wait_with_rusage(child.id()).unwrap();
        assert_eq!(status, ExitStatus::Code(3));
    }

    #[test]
    fn affinity_round_trip() {
        let cpus = current_affinity().unwrap();
        assert!(!cpus.is_empty());
        std::thread::spawn(move || {
            set_affinity(&cpus[..1]).unwrap();
            assert_eq!(current_affinity().unwrap(), cpus[..1].to_vec());
        })
        .join()
        .unwrap();
    }
}
