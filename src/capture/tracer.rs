//! The library's tracing API: sample every CPU while your own code runs and save
//! the trace. `coreheat run` is built on it; so can any program, and
//! [`crate::trace_closure`] draws the report too:
//!
//! ```no_run
//! let traced = coreheat::trace_closure(
//!     std::path::Path::new("reports/my-closure"),
//!     "my closure",
//!     std::time::Duration::from_millis(200),
//!     || (0..50_000_000u64).map(std::hint::black_box).sum::<u64>(),
//! )?;
//! println!("{} -> {}", traced.value, traced.report.display());
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::machine::Machine;
use crate::model::EventSink;
use crate::model::sched::{SLICE_FIELDS, SchedMeta, SchedRequest, SchedSource};
use crate::model::tasks::TASK_FIELDS;
use crate::model::workload::WorkloadMeta;
use crate::model::{CpuUnit, End, EventKind, Meta, Status};
use crate::sampler::tasks::RootThreads;
use crate::sampler::{
    self, SampleObserver, Sampler, SamplerReport, SchedRecorder, Schedule, TaskSampler, TaskScope,
    WhoRanWhere,
};
use crate::trace::TraceWriter;
use crate::util::os;
use crate::util::outdir;

/// A running trace: the header is written, the sampler is sampling.
pub struct Tracer {
    sampler: Sampler,
    trace: PathBuf,
}

impl Tracer {
    /// Marks `dir` as a coreheat run folder, writes the trace header into
    /// `dir/trace.jsonl` (its samples are the ticks of /proc/stat,
    /// `ticks_per_s` of this kernel), starts sampling every CPU of `meta.cpus`
    /// on `schedule`, and returns once the first ("before") sample is taken, or
    /// sooner when `stop` is set (an interrupt).
    pub fn start(
        dir: &Path,
        meta: &Meta,
        schedule: Schedule,
        who: (TaskScope, SchedRequest),
        observer: Option<Box<dyn SampleObserver>>,
        stop: Option<Arc<AtomicBool>>,
    ) -> Result<Tracer> {
        outdir::claim(dir, Some(outdir::TRACE_FILE), &[outdir::TRACE_FILE])?;
        let trace = dir.join(outdir::TRACE_FILE);
        let cpus: Vec<u32> = meta.cpus.iter().map(|c| c.cpu).collect();
        let source = sampler::default_source(&cpus).context("cannot read per-CPU load")?;
        let (who, sched) = open_who(who, &cpus)?;
        let meta = Meta {
            cpu_unit: Some(CpuUnit::Ticks),
            ticks_per_s: Some(os::clock_ticks_per_second()),
            task_fields: match who.tasks {
                Some(_) => TASK_FIELDS.map(String::from).to_vec(),
                None => Vec::new(),
            },
            sched: Some(sched),
            ..meta.clone()
        };
        let writer = TraceWriter::create(&trace, &meta)
            .with_context(|| format!("cannot create {}", trace.display()))?;
        let sampler = Sampler::start_with_tasks(source, who, writer, schedule, observer, stop)
            .context("cannot start the sampler thread")?;
        sampler.wait_for_first_sample();
        Ok(Tracer { sampler, trace })
    }

    pub fn trace_path(&self) -> &Path {
        &self.trace
    }

    /// Marks the start of the workload in the trace.
    pub fn workload_started(&self) {
        self.sampler.event(EventKind::WorkloadStart, None, None);
    }

    /// Where the workload sends its own events (worker exits, for example).
    pub fn events(&self) -> &dyn EventSink {
        &self.sampler
    }

    /// Marks the end of the workload, takes the last samples and writes the end
    /// line. An interrupted run ends at once; otherwise one more sample is taken
    /// a full interval later, so the ramp down shows.
    pub fn finish(self, end: End) -> SamplerReport {
        self.sampler.workload_ended();
        if end.status == Status::Interrupted {
            self.sampler
                .event(EventKind::Interrupt, None, end.message.clone());
        }
        let wait_tail = end.status != Status::Interrupted;
        self.sampler.finish(end, wait_tail)
    }
}

/// The sources of "who ran where" `request` asks for, and what the header
/// says of them: events fall back to /proc sampling, with the reason, unless
/// asked for by name.
fn open_who(
    (scope, request): (TaskScope, SchedRequest),
    cpus: &[u32],
) -> Result<(WhoRanWhere, SchedMeta)> {
    let meta = |source, reason| SchedMeta {
        source,
        reason,
        slice_fields: match source {
            SchedSource::Events => SLICE_FIELDS.map(String::from).to_vec(),
            _ => Vec::new(),
        },
    };
    if request == SchedRequest::Off {
        return Ok((WhoRanWhere::default(), meta(SchedSource::Off, None)));
    }
    let tasks = TaskSampler::start(scope.clone()).context(
        "cannot read the workload's tasks in /proc (--sched off leaves who ran where out)",
    )?;
    let (sched, source, reason) = match request {
        SchedRequest::Sampled => (None, SchedSource::Sampled, None),
        _ => match SchedRecorder::open(cpus, scope) {
            Ok(recorder) => (Some(recorder), SchedSource::Events, None),
            Err(reason) if request == SchedRequest::Events => {
                anyhow::bail!("--sched events: {reason} (or use --sched sampled)")
            }
            Err(reason) => (None, SchedSource::Sampled, Some(reason)),
        },
    };
    let who = WhoRanWhere {
        tasks: Some(tasks),
        sched,
    };
    Ok((who, meta(source, reason)))
}

/// The header of a trace of the calling program's own work.
pub fn closure_meta(machine: &Machine, title: &str, interval: Duration) -> Meta {
    Meta {
        title: Some(title.to_string()),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        workload: Some(WorkloadMeta::Closure {}),
        ..machine.meta(interval)
    }
}

/// What a traced closure gives back; [`crate::trace_closure`] adds the
/// report (`R`) it drew.
pub struct Traced<T, R = ()> {
    /// The closure's own value.
    pub value: T,
    pub trace: PathBuf,
    pub report: R,
    pub samples: usize,
    pub wall_s: f64,
}

impl<T> Traced<T> {
    /// The same, with the report drawn from the trace.
    pub fn with_report<R>(self, report: R) -> Traced<T, R> {
        Traced {
            value: self.value,
            trace: self.trace,
            report,
            samples: self.samples,
            wall_s: self.wall_s,
        }
    }
}

/// Runs `work` on the calling thread while sampling every CPU and saves the
/// trace in `dir` (created; it must not hold a trace already). To draw the
/// report as well, call [`crate::trace_closure`].
pub fn trace_closure<T>(
    dir: &Path,
    title: &str,
    interval: Duration,
    work: impl FnOnce() -> T,
) -> Result<Traced<T>> {
    let dir = outdir::prepare_exact(dir)?;
    let machine = Machine::collect();
    let meta = closure_meta(&machine, title, interval);
    let tasks = TaskScope::this_process(RootThreads::AllButSampler, None);
    let schedule = Schedule::every(interval);
    let who = (tasks, SchedRequest::Auto);
    let tracer = Tracer::start(&dir, &meta, schedule, who, None, None)?;
    // The whole process's CPU time: the closure may start threads of its own.
    let cpu_before = os::process_cpu_times();
    let started = Instant::now();
    tracer.workload_started();
    let value = work();
    let wall_s = started.elapsed().as_secs_f64();
    let cpu = os::process_cpu_times().minus(cpu_before);
    let trace = tracer.trace_path().to_path_buf();
    let report = tracer.finish(End {
        status: Status::Ok,
        result: None,
        wall_s,
        user_s: cpu.user_s,
        sys_s: cpu.sys_s,
        message: None,
    });
    if let Some(e) = report.write_error {
        return Err(e).context("writing the trace failed");
    }
    Ok(Traced {
        value,
        trace,
        report: (),
        samples: report.samples,
        wall_s,
    })
}
