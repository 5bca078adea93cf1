//! Ctrl-C and SIGTERM: the first one asks the run to stop (workers end, the trace
//! gets an `interrupted` end line and the report is drawn); a second one that
//! comes well after the first exits at once, leaving the trace as far as it was
//! written. A terminal sends Ctrl-C to the whole process group and `timeout`
//! sends its signal twice within microseconds, so a repeat inside
//! [`REPEAT_WINDOW`] is the same interrupt, not a second one.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};

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

/// The stop flag signal handlers set, and which signal set it.
#[derive(Clone)]
pub struct Interrupts {
    pub stop: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl Interrupts {
    /// Installs the handlers for SIGINT and SIGTERM.
    pub fn install() -> io::Result<Interrupts> {
        let stop = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        let first_ns = Arc::new(AtomicU64::new(0));
        for sig in [SIGINT, SIGTERM] {
            let (stop, signal, first_ns) = (stop.clone(), signal.clone(), first_ns.clone());
            let handler = move || on_signal(sig, &stop, &signal, &first_ns);
            // SAFETY: the handler only touches atomics and makes the
            // async-signal-safe calls of os::monotonic_ns and os::exit_immediately.
            unsafe { signal_hook::low_level::register(sig, handler)? };
        }
        Ok(Interrupts { stop, signal })
    }

    /// The shell's exit code for the signal received: 130 for SIGINT, 143 for
    /// SIGTERM.
    pub fn exit_code(&self) -> i32 {
        match self.signal.load(Ordering::Relaxed) as i32 {
            0 => 130,
            sig => 128 + sig,
        }
    }
}

/// The signal handler: the first signal sets the stop flag; a later one, past
/// the repeat window, ends the process with the shell's code at once.
fn on_signal(sig: i32, stop: &AtomicBool, signal: &AtomicUsize, first_ns: &AtomicU64) {
    let now = os::monotonic_ns().max(1);
    let first = first_ns.load(Ordering::SeqCst);
    if first == 0 {
        first_ns.store(now, Ordering::SeqCst);
        signal.store(sig as usize, Ordering::SeqCst);
        stop.store(true, Ordering::SeqCst);
    } else if is_second_interrupt(first, now) {
        // The trace is flushed line by line: what was written stays readable.
        os::write_stderr_raw(SECOND_INTERRUPT_MESSAGE);
        os::exit_immediately(128 + sig);
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
