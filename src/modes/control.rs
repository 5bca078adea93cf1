//! What a running workload shares with the rest of the run (the stop flag and
//! its progress) and the plan it runs: the workload, the mode, the workers and
//! their CPUs.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::model::workload::{Mode, WorkloadSpec};

/// What a workload shares with the rest of the run while it runs.
#[derive(Clone, Default)]
pub struct Control {
    /// Set (by a signal handler or the caller) to stop the workload early.
    pub stop: Arc<AtomicBool>,
    /// Hashes computed or numbers counted so far, for the live line.
    pub progress: Arc<AtomicU64>,
}

impl Control {
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// A workload with the workers to run it on.
#[derive(Debug, Clone)]
pub struct Plan {
    pub spec: WorkloadSpec,
    pub mode: Mode,
    pub workers: usize,
    /// CPU of each worker; empty when not pinned.
    pub cpus: Vec<u32>,
    /// The coreheat binary to start worker processes from.
    pub worker_exe: Option<PathBuf>,
    /// How long a traced command may take to end by itself after an interrupt
    /// before its process tree is stopped (`--grace`).
    pub grace: Duration,
    /// Send a traced command's standard output to standard error (under
    /// `--json`, whose object is the one thing on standard output).
    pub command_stdout_to_stderr: bool,
}

impl Plan {
    pub fn cpu_of(&self, worker: usize) -> Option<u32> {
        self.cpus.get(worker).copied()
    }

    /// The coreheat binary that worker and guardian processes run.
    pub fn worker_exe(&self) -> Result<PathBuf, String> {
        match &self.worker_exe {
            Some(path) => Ok(path.clone()),
            None => std::env::current_exe()
                .map_err(|e| format!("cannot find the coreheat binary to start workers: {e}")),
        }
    }
}
