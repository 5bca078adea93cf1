//! `coreheat export chrome`: a trace in the Trace Event Format (the JSON that
//! ui.perfetto.dev, chrome://tracing and other trace viewers open), written
//! while the trace is read, line by line.
//!
//! The mapping (docs/trace-format.md, "Export for Perfetto"):
//! - one process track per CPU (`pid` [`CPU_TRACK_BASE`] + CPU number,
//!   named `cpuN`) holding the workload's slices that ran there (`ph:"X"`,
//!   named by the thread) and the CPU's busy % as a counter (`ph:"C"`, one
//!   value per sample);
//! - each process of the workload (its real `pid`, named by its main thread)
//!   with one track per thread (its real `tid`), holding the thread's slices
//!   named by their CPU, with how each ended, how long the thread waited for
//!   a CPU before it and who woke it in `args`; migrations are instant
//!   events (`ph:"i"`) on the thread.
//!
//! Times are µs from the trace's start (`ts`, `dur`), as the format wants.
//! A trace without the scheduler's events exports the counters alone.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use serde_json::json;

use crate::model::sched::Slice;
use crate::trace::{Record, TraceError, TraceReader};

/// CPU tracks' process ids start here, above any Linux pid (2²²).
pub const CPU_TRACK_BASE: u64 = 10_000_000;

/// What an export held.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub slices: u64,
    pub counters: u64,
    pub threads: u64,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error("writing the export: {0}")]
    Write(#[from] io::Error),
}

struct Writer<W: Write> {
    out: W,
    first: bool,
    exported: Exported,
}

impl<W: Write> Writer<W> {
    fn event(&mut self, event: serde_json::Value) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, &event).map_err(io::Error::other)
    }
}

/// Writes the trace at `trace` into `out` as Trace Event Format JSON.
pub fn export_chrome(trace: &Path, out: impl Write) -> Result<Exported, ExportError> {
    let mut reader = TraceReader::open(trace)?;
    let meta = reader.header().meta.clone();
    let mut writer = Writer {
        out,
        first: true,
        exported: Exported::default(),
    };
    writer.out.write_all(b"{\"traceEvents\":[\n")?;
    for cpu in &meta.cpus {
        let pid = CPU_TRACK_BASE + u64::from(cpu.cpu);
        let name = format!("cpu{}", cpu.cpu);
        writer.event(
            json!({"ph":"M","name":"process_name","pid":pid,"tid":pid,"args":{"name":name}}),
        )?;
        writer.event(json!({"ph":"M","name":"process_sort_index","pid":pid,"tid":pid,"args":{"sort_index":cpu.cpu}}))?;
        writer.event(
            json!({"ph":"M","name":"thread_name","pid":pid,"tid":pid,"args":{"name":name}}),
        )?;
    }
    let mut names: HashMap<u32, (u32, String)> = HashMap::new();
    let mut previous_t: Option<f64> = None;
    while let Some(record) = reader.next_record()? {
        match record {
            Record::Sample(sample) => {
                let start = previous_t.unwrap_or(sample.t - meta.interval_s).max(0.0);
                previous_t = Some(sample.t);
                for (cpu, load) in meta.cpus.iter().zip(&sample.cpus) {
                    let pid = CPU_TRACK_BASE + u64::from(cpu.cpu);
                    let busy = (load.busy() * 100.0).round() / 100.0;
                    writer.event(json!({"ph":"C","name":"busy %","pid":pid,"tid":pid,
                        "ts":(start * 1e6).round() as u64,"args":{"busy":busy}}))?;
                    writer.exported.counters += 1;
                }
            }
            Record::Task { task, .. } => {
                name_thread(&mut writer, &mut names, task.tid, task.pid, &task.name)?
            }
            Record::Sched { batch, .. } => {
                for thread in &batch.threads {
                    name_thread(
                        &mut writer,
                        &mut names,
                        thread.tid,
                        thread.pid,
                        &thread.name,
                    )?;
                }
                for slice in &batch.slices {
                    write_slice(&mut writer, &names, slice)?;
                }
                for migration in &batch.migrations {
                    let pid = names.get(&migration.tid).map_or(migration.tid, |n| n.0);
                    writer.event(json!({"ph":"i","s":"t","name":format!("moved cpu{} → cpu{}", migration.from, migration.to),
                        "pid":pid,"tid":migration.tid,"ts":migration.t_us}))?;
                }
            }
            Record::Tasks { .. } | Record::Event(_) | Record::End { .. } => {}
        }
    }
    writer.out.write_all(b"\n],\"displayTimeUnit\":\"ms\"}\n")?;
    writer.out.flush()?;
    Ok(writer.exported)
}

fn name_thread<W: Write>(
    writer: &mut Writer<W>,
    names: &mut HashMap<u32, (u32, String)>,
    tid: u32,
    pid: u32,
    name: &str,
) -> io::Result<()> {
    if names.get(&tid).is_some_and(|(p, n)| *p == pid && n == name) {
        return Ok(());
    }
    if names.insert(tid, (pid, name.to_string())).is_none() {
        writer.exported.threads += 1; // a thread, not a renaming
    }
    writer
        .event(json!({"ph":"M","name":"thread_name","pid":pid,"tid":tid,"args":{"name":name}}))?;
    if tid == pid {
        writer.event(
            json!({"ph":"M","name":"process_name","pid":pid,"tid":tid,"args":{"name":name}}),
        )?;
    }
    Ok(())
}

fn write_slice<W: Write>(
    writer: &mut Writer<W>,
    names: &HashMap<u32, (u32, String)>,
    slice: &Slice,
) -> io::Result<()> {
    let (pid, name) = names.get(&slice.tid).map_or(
        (slice.tid, format!("thread {}", slice.tid)),
        |(pid, name)| (*pid, name.clone()),
    );
    let args = json!({"tid":slice.tid,"cpu":slice.cpu,"end":slice.end.word(),
        "waited_us":slice.wait_us,"woken_by":slice.waker});
    let cpu_track = CPU_TRACK_BASE + u64::from(slice.cpu);
    writer.event(
        json!({"ph":"X","name":format!("{name} {}", slice.tid),"cat":"slice",
        "pid":cpu_track,"tid":cpu_track,"ts":slice.start_us,"dur":slice.dur_us,"args":args}),
    )?;
    writer.event(
        json!({"ph":"X","name":format!("cpu{}", slice.cpu),"cat":"slice",
        "pid":pid,"tid":slice.tid,"ts":slice.start_us,"dur":slice.dur_us,"args":args}),
    )?;
    writer.exported.slices += 1;
    Ok(())
}
