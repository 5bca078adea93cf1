//! Running a workload: serially on the calling thread, on OS threads, on worker
//! processes, as a user's command, or idle.
//!
//! [`run`] hands a plan to its mode and measures wall time and the workers' own
//! CPU time (rusage per thread or per child), so the sampler's and the
//! coordinator's time is never counted as the workload's. `threads` runs the
//! kernels on the calling thread or on OS threads; `processes` drives worker
//! processes that speak the `protocol` and live in `worker`; `exec` runs a
//! user's command under the `guard`; `control` is what a running workload
//! shares, `outcome` what every mode gives back; `hidden` defines the command
//! lines of the worker and guardian processes.

pub mod control;
pub mod exec;
pub mod guard;
pub mod hidden;
pub mod outcome;
pub mod processes;
pub mod protocol;
pub mod threads;
pub mod worker;

use std::time::{Duration, Instant};

use crate::model::workload::{IdleResult, Mode, WorkloadResult, WorkloadSpec};
use crate::model::{EventSink, Status};
use crate::util::interrupt::STOP_POLL;
use crate::util::os::CpuTimes;
use crate::util::units::round_ms;
use control::{Control, Plan};
use outcome::WorkloadOutcome;

/// Runs the plan to its end, an interrupt (`control.stop`) or a failure.
pub fn run(plan: &Plan, control: &Control, events: &dyn EventSink) -> WorkloadOutcome {
    match &plan.spec {
        WorkloadSpec::Idle { duration } => run_idle(*duration, control),
        WorkloadSpec::Exec { argv } => exec::run(plan, argv, control, events),
        _ => match plan.mode {
            Mode::Processes => processes::run(plan, control, events),
            Mode::Serial | Mode::Threads => threads::run(plan, control, events),
        },
    }
}

fn run_idle(duration: Duration, control: &Control) -> WorkloadOutcome {
    let start = Instant::now();
    while start.elapsed() < duration && !control.stopped() {
        crate::util::interrupt::sleep_unless_signalled(
            (duration.saturating_sub(start.elapsed())).min(STOP_POLL),
        );
    }
    let wall_s = start.elapsed().as_secs_f64();
    let interrupted = control.stopped();
    WorkloadOutcome {
        status: if interrupted {
            Status::Interrupted
        } else {
            Status::Ok
        },
        result: Some(WorkloadResult::Idle(IdleResult {
            duration_s: round_ms(wall_s),
        })),
        message: interrupted.then(|| "interrupted".to_string()),
        wall_s,
        cpu: CpuTimes::default(),
        workers: Vec::new(),
    }
}
