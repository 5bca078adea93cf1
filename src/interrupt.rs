//! Ctrl-C and SIGTERM: the first one asks the run to stop (workers end, the trace
//! gets an `interrupted` end line and the report is drawn); a second Ctrl-C exits
//! at once, leaving the trace as far as it was written.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};

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
        for sig in [SIGINT, SIGTERM] {
            // Registered first, so it sees the flag as the previous signal left it:
            // the second signal ends the process with the shell's code at once.
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, stop.clone())?;
            signal_hook::flag::register_usize(sig, signal.clone(), sig as usize)?;
            signal_hook::flag::register(sig, stop.clone())?;
        }
        Ok(Interrupts { stop, signal })
    }

    /// A stop flag no signal touches (for library use and tests).
    pub fn none() -> Interrupts {
        Interrupts {
            stop: Arc::new(AtomicBool::new(false)),
            signal: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
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
