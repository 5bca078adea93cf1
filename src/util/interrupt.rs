//! Ctrl-C, SIGTERM, SIGHUP (the terminal closed) and SIGQUIT (Ctrl-\\): the
//! first one asks the run to stop (workers end, the trace gets an
//! `interrupted` end line and the report is drawn); a second one that comes
//! well after the first exits at once, leaving the trace as far as it was
//! written. A terminal sends Ctrl-C to the whole process group and `timeout`
//! sends its signal twice within microseconds, so a repeat inside
//! [`REPEAT_WINDOW`] is the same interrupt, not a second one.
//!
//! While a traced command runs (`run exec`, [`set_patient`]), coreheat behaves
//! as `time` and hyperfine do: the command handles the signal itself and gets
//! time to end (`--grace`); a second interrupt escalates instead of exiting,
//! and only a third exits at once. A signal sent to coreheat alone (`kill
//! PID`, not the terminal, which reaches the command too) is passed on to the
//! command ([`take_forward`]).
//!
//! Every wait of a run ends as soon as a stop signal comes: the handler writes
//! a byte to a pipe, and a thread reading it calls the wakers the waits
//! registered ([`wake_on_signal`]); [`STOP_POLL`] remains for a stop flag set
//! without a signal.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};

use crate::util::os;

/// A signal this soon after the first one is a repeat of it, not a second Ctrl-C.
pub const REPEAT_WINDOW: Duration = Duration::from_millis(300);

/// How often a waiting thread looks at the stop flag: every wait in a run reacts
/// to an interrupt within this time. Each wake-up costs CPU (about 85 µs on a
/// KVM guest), so it is not shorter.
pub const STOP_POLL: Duration = Duration::from_millis(250);

/// What a second interrupt says as it ends coreheat at once.
const SECOND_INTERRUPT_MESSAGE: &[u8] =
    b"\ncoreheat: second interrupt: stopped at once, without the report; \
the trace keeps every sample written so far (draw it with: coreheat render FOLDER/trace.jsonl)\n";

/// How long a worker process or a traced command may take to stop once asked
/// before it is killed with SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(1);

/// How long a traced command gets, by default, to end by itself after an
/// interrupt before coreheat stops it (`--grace`); `docker stop` waits as long.
pub const DEFAULT_EXEC_GRACE: Duration = Duration::from_secs(10);

/// The signals coreheat stops on.
pub const STOP_SIGNALS: [i32; 4] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT];

/// `si_code` of a signal the kernel sent (a terminal's Ctrl-C, Ctrl-\\ or hang-up).
const SI_KERNEL: i32 = 0x80;

/// Whether a second interrupt escalates (a traced command runs) rather than
/// exiting at once.
static PATIENT: AtomicBool = AtomicBool::new(false);
/// Distinct interrupts received (repeats inside the window not counted).
static COUNT: AtomicUsize = AtomicUsize::new(0);
/// A signal sent to coreheat alone, to pass on to the traced command (0: none).
static FORWARD: AtomicI32 = AtomicI32::new(0);
/// The first stop signal received (0: none).
static FIRST_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The write end of the wake pipe (-1: none), for the handler.
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

type Waker = Arc<dyn Fn() + Send + Sync>;

/// What to call when a stop signal comes, by registration number.
static WAKERS: Mutex<Vec<(u64, Waker)>> = Mutex::new(Vec::new());
static NEXT_WAKER: AtomicU64 = AtomicU64::new(1);

/// While it lives, its waker is called (on the `coreheat-signals` thread) each
/// time a stop signal comes; see [`wake_on_signal`].
#[must_use = "the waker is removed when this is dropped"]
pub struct WakeOnSignal(u64);

impl Drop for WakeOnSignal {
    fn drop(&mut self) {
        let mut wakers = WAKERS.lock().unwrap_or_else(|e| e.into_inner());
        wakers.retain(|(id, _)| *id != self.0);
    }
}

/// Calls `waker` as soon as a stop signal comes (a signal handler writes to a
/// pipe; a thread reading it calls the wakers), so that a wait on a channel or
/// a condition variable ends at once instead of at its next look at the stop
/// flag. Without installed handlers it is never called.
pub fn wake_on_signal(waker: impl Fn() + Send + Sync + 'static) -> WakeOnSignal {
    let id = NEXT_WAKER.fetch_add(1, Ordering::Relaxed);
    let mut wakers = WAKERS.lock().unwrap_or_else(|e| e.into_inner());
    wakers.push((id, Arc::new(waker)));
    WakeOnSignal(id)
}

/// Sleeps for `duration`, or less when a stop signal comes.
pub fn sleep_unless_signalled(duration: Duration) {
    let (sender, receiver) = std::sync::mpsc::channel();
    let _wake = wake_on_signal(move || {
        let _ = sender.send(());
    });
    let _ = receiver.recv_timeout(duration);
}

/// Starts the thread that calls the wakers when the handler writes to the pipe.
fn start_waking() -> io::Result<()> {
    use std::os::fd::{AsRawFd, IntoRawFd};
    if WAKE_FD.load(Ordering::SeqCst) >= 0 {
        return Ok(());
    }
    let (read, write) = os::wake_pipe()?;
    std::thread::Builder::new()
        .name("coreheat-signals".into())
        .spawn(move || {
            // It runs for microseconds a signal: where allowed, ahead of everything.
            os::request_prompt_scheduling();
            let _ = os::unblock_signals(&STOP_SIGNALS);
            while os::read_wake_bytes(read.as_raw_fd()) {
                let wakers: Vec<Waker> = WAKERS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .map(|(_, waker)| waker.clone())
                    .collect();
                for waker in wakers {
                    waker();
                }
            }
        })?;
    // Kept open for the life of the process: the handler may write at any time.
    WAKE_FD.store(write.into_raw_fd(), Ordering::SeqCst);
    Ok(())
}

/// The stop flag signal handlers set, and which signal set it.
#[derive(Clone)]
pub struct Interrupts {
    pub stop: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl Interrupts {
    /// Installs the handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT, to run
    /// on the `coreheat-signals` thread. The calling thread, which coordinates
    /// the run, asks for short time slices so that it gets the CPU soon after
    /// it wakes however many workers are busy ([`os::request_short_slice`]).
    pub fn install() -> io::Result<Interrupts> {
        let _ = os::request_short_slice();
        // Without a thread to spare (ulimit -u), waits look at the flag every
        // STOP_POLL, and the signals go to any thread.
        if start_waking().is_ok() {
            // The kernel runs a handler on a thread of its choice, and the
            // thread must get the CPU first: a busy worker or the thread that
            // started thousands of them (which has used more than its share)
            // waited seconds for its turn. Only the signal thread, asleep until
            // then and asking for short slices, takes the signals: the calling
            // thread and every thread it starts block them.
            os::block_signals(&STOP_SIGNALS)?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        let first_ns = Arc::new(AtomicU64::new(0));
        let last_ns = Arc::new(AtomicU64::new(0));
        for sig in STOP_SIGNALS {
            let (stop, signal) = (stop.clone(), signal.clone());
            let (first_ns, last_ns) = (first_ns.clone(), last_ns.clone());
            let handler = move |info: &libc::siginfo_t| {
                let from_kernel = info.si_code == SI_KERNEL;
                on_signal(sig, from_kernel, &stop, &signal, &first_ns, &last_ns)
            };
            // SAFETY: the handler only touches atomics and makes the
            // async-signal-safe calls of os::monotonic_ns and os::exit_immediately.
            unsafe { signal_hook_registry::register_sigaction(sig, handler)? };
        }
        Ok(Interrupts { stop, signal })
    }

    /// The shell's exit code for the signal received: 130 for SIGINT, 143 for
    /// SIGTERM, 129 for SIGHUP, 131 for SIGQUIT.
    pub fn exit_code(&self) -> i32 {
        match self.signal.load(Ordering::Relaxed) as i32 {
            0 => 130,
            sig => 128 + sig,
        }
    }
}

/// Makes a second interrupt escalate rather than exit (while a traced command
/// runs and may still be saving its work), or not.
pub fn set_patient(patient: bool) {
    PATIENT.store(patient, Ordering::SeqCst);
}

/// How many distinct interrupts came so far.
pub fn count() -> usize {
    COUNT.load(Ordering::SeqCst)
}

/// The first stop signal received, if any.
pub fn first_signal() -> Option<i32> {
    Some(FIRST_SIGNAL.load(Ordering::SeqCst)).filter(|&s| s != 0)
}

/// A signal sent to coreheat alone (not by the terminal) that the traced
/// command has not had yet; taken once.
pub fn take_forward() -> Option<i32> {
    Some(FORWARD.swap(0, Ordering::SeqCst)).filter(|&s| s != 0)
}

/// The signal handler: the first signal sets the stop flag; a later one, past
/// the repeat window, ends the process with the shell's code at once (or,
/// while a command is traced, escalates the first time).
fn on_signal(
    sig: i32,
    from_kernel: bool,
    stop: &AtomicBool,
    signal: &AtomicUsize,
    first_ns: &AtomicU64,
    last_ns: &AtomicU64,
) {
    let now = os::monotonic_ns().max(1);
    let first = first_ns.load(Ordering::SeqCst);
    if first == 0 {
        first_ns.store(now, Ordering::SeqCst);
        last_ns.store(now, Ordering::SeqCst);
        signal.store(sig as usize, Ordering::SeqCst);
        FIRST_SIGNAL.store(sig, Ordering::SeqCst);
        if !from_kernel {
            FORWARD.store(sig, Ordering::SeqCst);
        }
        COUNT.store(1, Ordering::SeqCst);
        stop.store(true, Ordering::SeqCst);
        wake();
        return;
    }
    let last = last_ns.load(Ordering::SeqCst);
    if !is_second_interrupt(last, now) {
        return;
    }
    last_ns.store(now, Ordering::SeqCst);
    let count = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    wake();
    if !PATIENT.load(Ordering::SeqCst) || count > 2 {
        // The trace is flushed line by line: what was written stays readable.
        os::write_stderr_raw(SECOND_INTERRUPT_MESSAGE);
        os::exit_immediately(128 + sig);
    }
}

/// Wakes the waiting threads through the pipe; async-signal-safe.
fn wake() {
    let fd = WAKE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        os::write_wake_byte(fd);
    }
}

/// Whether a signal at `now_ns` is a second interrupt after one at `first_ns`.
fn is_second_interrupt(first_ns: u64, now_ns: u64) -> bool {
    now_ns.saturating_sub(first_ns) >= REPEAT_WINDOW.as_nanos() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_within_the_window_is_the_same_interrupt() {
        let first = 5_000_000_000;
        assert!(!is_second_interrupt(first, first));
        assert!(!is_second_interrupt(first, first + 20_000));
        assert!(!is_second_interrupt(first, first + 299_999_999));
        assert!(is_second_interrupt(first, first + 300_000_000));
        assert!(is_second_interrupt(first, first + 2_000_000_000));
    }

    #[test]
    fn the_monotonic_clock_moves_forward() {
        let a = os::monotonic_ns();
        std::thread::sleep(Duration::from_millis(2));
        assert!(os::monotonic_ns() >= a + 1_000_000);
    }
}
