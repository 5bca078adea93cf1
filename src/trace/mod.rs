//! The trace: coreheat's one data model between measuring and drawing, and its
//! JSON Lines file (`trace.jsonl`).
//!
//! A trace is a header line (`{"format":"coreheat-trace","version":2,"meta":{..}}`),
//! then sample lines (`{"t":..,"cpus":[[97,0,2,1,0,0,0,0],..]}`, each CPU's ticks
//! in the header's `cpu_fields` order; see `rows`) and event lines
//! (`{"t":..,"event":".."}`) as they happen, and last an end line
//! (`{"t":..,"end":{"status":..}}`). The writer flushes every line so a killed run
//! leaves everything up to its last sample; the reader accepts a trace without an
//! end line and one whose last line was cut, reads version 1 too, and skips lines
//! of kinds it does not know. See docs/trace-format.md.

pub mod fit;
mod rows;
mod sched;
pub mod synthetic;
mod tasks;

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::model::sched::SchedBatch;
use crate::model::tasks::{EndedTicks, TaskInfo, TaskTicks};
use crate::model::{
    CpuLoad, CpuTicks, CpuUnit, End, Event, EventKind, Header, Meta, Sample, TimeOrder, TraceCpu,
    check_seconds,
};
use crate::util::input::{self, InputError, LineReader};
use rows::{Row, RowForm};

pub const FORMAT_NAME: &str = "coreheat-trace";
/// The version the writer writes; the reader reads it and version 1.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Serialize)]
struct EndLine<'a> {
    t: f64,
    end: &'a End,
}

/// Streams a trace to disk, one flushed line at a time.
pub struct TraceWriter {
    out: BufWriter<File>,
    path: PathBuf,
    line: Vec<u8>,
    unit: CpuUnit,
    /// The times of the percent samples written, which must go forward.
    times: TimeOrder,
}

impl TraceWriter {
    /// Creates `path` (which must not exist) and writes the header, with the
    /// CPU rows' field names and unit: `meta.cpu_unit`, percent when absent.
    pub fn create(path: &Path, meta: &Meta) -> io::Result<TraceWriter> {
        let mut meta = meta.clone();
        meta.state_rows(meta.cpu_unit.unwrap_or(CpuUnit::Percent));
        fit::fit_header(&mut meta);
        // What the reader refuses is not written.
        let refused = |message: String| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a trace header that {message}"),
            )
        };
        meta.check()
            .and_then(|()| meta.check_task_fields())
            .map_err(refused)?;
        let unit = meta.check_rows().map_err(refused)?;
        let file = File::options().write(true).create_new(true).open(path)?;
        let mut writer = TraceWriter {
            out: BufWriter::with_capacity(64 * 1024, file),
            path: path.to_path_buf(),
            line: Vec::with_capacity(4096),
            unit,
            times: TimeOrder::default(),
        };
        writer.write_line(&Header {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            meta,
        })?;
        Ok(writer)
    }

    /// The trace file, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What this trace's CPU rows count.
    pub fn unit(&self) -> CpuUnit {
        self.unit
    }

    /// Writes a sample of the ticks each CPU counted (a trace of `cpu_unit` ticks).
    pub fn write_ticks(&mut self, t: f64, cpus: &[CpuTicks]) -> io::Result<()> {
        self.expect_unit(CpuUnit::Ticks)?;
        self.line.clear();
        rows::push_sample_line(&mut self.line, t, cpus, rows::push_ticks_row)?;
        self.flush_line()
    }

    /// Writes the announcement of a task.
    pub fn write_task(&mut self, t: f64, task: &TaskInfo) -> io::Result<()> {
        self.line.clear();
        tasks::push_task_line(&mut self.line, t, task)?;
        self.flush_line()
    }

    /// Writes a sample of ticks with the rows of the tasks that did anything
    /// and the CPU time of processes that ended beyond their rows.
    pub fn write_ticks_and_tasks(
        &mut self,
        t: f64,
        cpus: &[CpuTicks],
        task_rows: &[TaskTicks],
        ended: &[EndedTicks],
    ) -> io::Result<()> {
        self.expect_unit(CpuUnit::Ticks)?;
        self.line.clear();
        rows::push_sample_line(&mut self.line, t, cpus, rows::push_ticks_row)?;
        tasks::push_tasks_field(&mut self.line, task_rows, ended);
        self.flush_line()
    }

    /// Writes what the scheduler recorded since the line before (one line,
    /// or several for a long batch).
    pub fn write_sched(&mut self, t: f64, batch: &SchedBatch) -> io::Result<()> {
        self.line.clear();
        sched::push_sched_lines(&mut self.line, t, batch)?;
        self.flush_line()
    }

    /// Writes a sample of percentages (a trace of `cpu_unit` percent).
    pub fn write_sample(&mut self, sample: &Sample) -> io::Result<()> {
        self.expect_unit(CpuUnit::Percent)?;
        // What the reader refuses is not written.
        let refused = |message: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: a sample that {message}", self.path.display()),
            )
        };
        check_seconds("time 't'", sample.t).map_err(refused)?;
        for (index, load) in sample.cpus.iter().enumerate() {
            load.checked()
                .map_err(|m| refused(format!("has row {index} {m}")))?;
        }
        self.times.check(sample.t).map_err(refused)?;
        self.line.clear();
        rows::push_sample_line(
            &mut self.line,
            sample.t,
            &sample.cpus,
            rows::push_percent_row,
        )?;
        self.flush_line()
    }

    fn expect_unit(&self, unit: CpuUnit) -> io::Result<()> {
        if self.unit == unit {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: a sample in {} for a trace whose header says its rows are {}",
                self.path.display(),
                unit.as_str(),
                self.unit.as_str()
            ),
        ))
    }

    pub fn write_event(&mut self, event: &Event) -> io::Result<()> {
        self.check_seconds(&[("time 't'", event.t)])?;
        self.write_line(event)
    }

    pub fn write_end(&mut self, t: f64, end: &End) -> io::Result<()> {
        self.check_seconds(&[
            ("time 't'", t),
            ("wall_s", end.wall_s),
            ("user_s", end.user_s),
            ("sys_s", end.sys_s),
        ])?;
        self.write_line(&EndLine { t, end })?;
        self.out.get_ref().sync_data()
    }

    /// Refuses a line whose seconds the reader would refuse.
    fn check_seconds(&self, values: &[(&str, f64)]) -> io::Result<()> {
        for &(name, value) in values {
            check_seconds(name, value).map_err(|message| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: a line whose {message}", self.path.display()),
                )
            })?;
        }
        Ok(())
    }

    /// Serializes into a reused buffer, then hands the whole line to the file in one
    /// write so a kill leaves either the full line or a cut last line.
    fn write_line<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, value).map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.flush_line()
    }

    fn flush_line(&mut self) -> io::Result<()> {
        self.out.write_all(&self.line)?;
        self.out.flush()
    }
}

/// One line of a trace, as read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Sample(Sample),
    /// A task announced (in a trace whose header has `task_fields`).
    Task {
        t: f64,
        task: TaskInfo,
    },
    /// The task rows of the sample just before, and the CPU time of
    /// processes that ended beyond their rows (only when it had either).
    Tasks {
        t: f64,
        rows: Vec<TaskTicks>,
        ended: Vec<EndedTicks>,
    },
    /// What the scheduler recorded (a trace whose header has `sched` events).
    Sched {
        t: f64,
        batch: SchedBatch,
    },
    Event(Event),
    End {
        t: f64,
        end: End,
    },
}

/// Errors reading a trace.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{path}: the file is empty; a coreheat trace starts with a header line")]
    Empty { path: PathBuf },
    #[error("{path}:{line}: {message}")]
    Line {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

/// Reads a trace line by line without holding it in memory, checking every
/// value as the importers do: ticks whole numbers, percentages within 0..100,
/// sample times that go forward, nothing after the end line. Lines of a kind it
/// does not know (neither a sample, an event nor the end) are skipped.
pub struct TraceReader<R> {
    lines: LineReader<R>,
    /// Set when the last line was cut off (a killed writer).
    pub truncated: bool,
    header: Header,
    rows: RowForm,
    sample_times: TimeOrder,
    ended: bool,
    /// The header names `task_fields`: task lines and rows are read.
    has_tasks: bool,
    /// The task rows of the sample just returned.
    stashed: Option<Record>,
    /// Each thread's slices so far end here: the next must not start before.
    slice_order: sched::SliceOrder,
}

/// Any line after the header. Its CPUs are kept as the line's own text, read
/// in the form the header announces by [`sample_loads`].
#[derive(Deserialize)]
struct AnyLine<'line> {
    #[serde(default)]
    t: Option<f64>,
    #[serde(default, borrow)]
    cpus: Option<&'line RawValue>,
    #[serde(default, borrow)]
    task: Option<&'line RawValue>,
    #[serde(default, borrow)]
    tasks: Option<&'line RawValue>,
    #[serde(default, borrow)]
    ended: Option<&'line RawValue>,
    #[serde(default, borrow)]
    sched: Option<&'line RawValue>,
    #[serde(default)]
    event: Option<EventKind>,
    #[serde(default)]
    worker: Option<usize>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    end: Option<End>,
}

impl TraceReader<BufReader<File>> {
    /// Opens a trace file (a regular file only; see [`crate::util::input`]).
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        Self::new(input::open_buffered(path)?, path)
    }
}

impl<R: BufRead> TraceReader<R> {
    /// Reads the header from `input`; `path` names the input in errors.
    pub fn new(input: R, path: &Path) -> Result<Self, TraceError> {
        let mut lines = LineReader::new(input, path);
        let (header, rows) = read_header(&mut lines)?;
        Ok(TraceReader {
            lines,
            truncated: false,
            has_tasks: !header.meta.task_fields.is_empty(),
            header,
            rows,
            sample_times: TimeOrder::default(),
            ended: false,
            stashed: None,
            slice_order: sched::SliceOrder::default(),
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next record, `None` at the end. A last line that does not parse and has
    /// no newline is taken as cut off by a killed writer: `truncated` is set.
    /// Lines of a kind this reader does not know are skipped.
    pub fn next_record(&mut self) -> Result<Option<Record>, TraceError> {
        if let Some(record) = self.stashed.take() {
            return Ok(Some(record));
        }
        while !self.truncated {
            let Some(line) = self.lines.next_content_line()? else {
                self.truncated = self.lines.cut_long_line();
                return Ok(None);
            };
            let parsed = if self.ended {
                Err("a line after the end line; the end line is the last line of a trace".into())
            } else {
                parse_record(
                    self.lines.bytes(),
                    self.rows,
                    &self.header.meta.cpus,
                    &mut self.sample_times,
                )
                .and_then(|line| with_tasks(line, self.has_tasks, &mut self.stashed))
            };
            match parsed {
                Ok(None) => {}
                Ok(Some(record)) => {
                    if let Record::Sched { batch, .. } = &record
                        && let Err(message) = self.slice_order.check(&batch.slices)
                    {
                        return Err(TraceError::Line {
                            path: self.lines.path().to_path_buf(),
                            line: line.number,
                            message,
                        });
                    }
                    self.ended = matches!(record, Record::End { .. });
                    return Ok(Some(record));
                }
                Err(_) if !line.complete => self.truncated = true,
                Err(message) => {
                    return Err(TraceError::Line {
                        path: self.lines.path().to_path_buf(),
                        line: line.number,
                        message,
                    });
                }
            }
        }
        Ok(None)
    }
}

/// A line read: its record (`None` for a kind of line not known) and the
/// text of its task fields, read only when the header has `task_fields`.
struct ParsedLine<'line> {
    record: Option<Record>,
    task: Option<(f64, &'line str)>,
    tasks: Option<&'line str>,
    ended: Option<&'line str>,
}

impl ParsedLine<'_> {
    fn of(record: Record) -> Self {
        ParsedLine {
            record: Some(record),
            task: None,
            tasks: None,
            ended: None,
        }
    }
}

/// A task line read as a task (only when the header has `task_fields`; a
/// reader skips lines it does not know), and a sample's task rows stashed to
/// follow it.
fn with_tasks(
    line: ParsedLine,
    has_tasks: bool,
    stashed: &mut Option<Record>,
) -> Result<Option<Record>, String> {
    let ParsedLine {
        record,
        task,
        tasks,
        ended,
    } = line;
    if !has_tasks {
        return Ok(record);
    }
    {
        if let (None, Some((t, text))) = (&record, task) {
            return Ok(Some(Record::Task {
                t,
                task: tasks::parse_task(text)?,
            }));
        }
        if let Some(Record::Sample(sample)) = &record {
            let rows = tasks.map_or(Ok(Vec::new()), tasks::parse_task_rows)?;
            let ended = ended.map_or(Ok(Vec::new()), tasks::parse_ended_rows)?;
            if !rows.is_empty() || !ended.is_empty() {
                *stashed = Some(Record::Tasks {
                    t: sample.t,
                    rows,
                    ended,
                });
            }
        }
    }
    Ok(record)
}

fn read_header<R: BufRead>(lines: &mut LineReader<R>) -> Result<(Header, RowForm), TraceError> {
    let path = lines.path().to_path_buf();
    let Some(line) = lines.next_content_line()? else {
        if lines.cut_long_line() {
            return Err(TraceError::Line {
                path,
                line: 1,
                message: format!(
                    "the header line is longer than {} and has no end",
                    input::show_size(input::MAX_LINE_BYTES as u64)
                ),
            });
        }
        return Err(TraceError::Empty { path });
    };
    let line_error = |message: String| TraceError::Line {
        path: path.clone(),
        line: line.number,
        message,
    };
    let header: Header = serde_json::from_slice(lines.bytes()).map_err(|e| {
        line_error(format!(
            "not a coreheat trace header ({})",
            json_error_message(lines.bytes(), &e)
        ))
    })?;
    if header.format != FORMAT_NAME {
        return Err(line_error(format!(
            "format is '{}', expected '{FORMAT_NAME}'",
            input::excerpt(&header.format)
        )));
    }
    if !(1..=FORMAT_VERSION).contains(&header.version) {
        return Err(line_error(format!(
            "trace format version {} is not supported (this coreheat reads versions 1 and 2)",
            header.version
        )));
    }
    let rows = header
        .meta
        .check()
        .and_then(|()| header.meta.check_task_fields())
        .and_then(|_| RowForm::of(&header))
        .map_err(|m| line_error(format!("the header {m}")))?;
    Ok((header, rows))
}

/// serde_json's message for a line that is not JSON, with the field named
/// whose value it stopped at: NaN and Infinity (which JSON has no numbers for)
/// are said as such, not as "expected value at line 1 column 19".
fn json_error_message(bytes: &[u8], error: &serde_json::Error) -> String {
    let message = input::clip_message(&error.to_string());
    let stop = error.column().saturating_sub(1).min(bytes.len());
    let Some(field) = field_before(&bytes[..stop]) else {
        return message;
    };
    let value = bytes[stop..].trim_ascii_start();
    let word = ["NaN", "-Infinity", "Infinity", "-NaN", "inf", "-inf", "nan"]
        .into_iter()
        .find(|w| value.starts_with(w.as_bytes()));
    match word {
        Some(word) => format!(
            "'{field}' is {word}, which is not a number in JSON (at column {})",
            error.column()
        ),
        None => format!("{message}, in the value of '{field}'"),
    }
}

/// The name of the last `"name":` in `bytes` (short and printable), if any.
fn field_before(bytes: &[u8]) -> Option<String> {
    let colon = bytes.windows(2).rposition(|w| w == b"\":")?;
    let open = bytes[..colon].iter().rposition(|&b| b == b'"')?;
    let name = std::str::from_utf8(&bytes[open + 1..colon]).ok()?;
    let plain = name.len() <= 64 && name.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    plain.then(|| name.to_string())
}

/// One line after the header, its CPUs in the form `rows`; `header_cpus` are the
/// CPUs the header lists. `None` for a line of a kind this reader does not know.
fn parse_record<'line>(
    bytes: &'line [u8],
    rows: RowForm,
    header_cpus: &[TraceCpu],
    times: &mut TimeOrder,
) -> Result<ParsedLine<'line>, String> {
    let line: AnyLine = serde_json::from_slice(bytes).map_err(|e| json_error_message(bytes, &e))?;
    if let (Some(text), Some(t), None) = (line.sched, line.t, &line.cpus) {
        check_seconds("time 't'", t)?;
        let batch = sched::parse_sched(text.get(), header_cpus.len())?;
        return Ok(ParsedLine::of(Record::Sched { t, batch }));
    }
    if line.end.is_none() && line.event.is_none() && line.cpus.is_none() {
        // A task line, or a kind of line a later coreheat may add.
        let task = match (line.task, line.t) {
            (Some(task), Some(t)) => {
                check_seconds("time 't'", t).map(|()| Some((t, task.get())))?
            }
            _ => None,
        };
        return Ok(ParsedLine {
            record: None,
            task,
            tasks: None,
            ended: None,
        });
    }
    let t = line.t.ok_or("line has no time 't'")?;
    check_seconds("time 't'", t)?;
    if let Some(end) = line.end {
        for (name, value) in [
            ("wall_s", end.wall_s),
            ("user_s", end.user_s),
            ("sys_s", end.sys_s),
        ] {
            check_seconds(name, value)?;
        }
        return Ok(ParsedLine::of(Record::End { t, end }));
    }
    if let Some(kind) = line.event {
        return Ok(ParsedLine::of(Record::Event(Event {
            t,
            event: kind,
            worker: line.worker,
            detail: line.detail,
        })));
    }
    let cpus = line.cpus.map_or("[]", RawValue::get);
    let cpus = sample_loads(cpus, rows, header_cpus, || times.check(t))
        .map_err(|fault| fault.in_line(bytes, cpus))?;
    Ok(ParsedLine {
        tasks: line.tasks.map(RawValue::get),
        ended: line.ended.map(RawValue::get),
        ..ParsedLine::of(Record::Sample(Sample { t, cpus }))
    })
}

/// Why a sample's CPUs were refused.
enum RowsFault {
    /// serde's error, its position counted from the start of the `cpus` text.
    Json(serde_json::Error),
    Other(String),
}

impl From<String> for RowsFault {
    fn from(message: String) -> Self {
        RowsFault::Other(message)
    }
}

impl RowsFault {
    /// The message, a serde position counted from the start of `line`, of which
    /// `cpus` is a part.
    fn in_line(self, line: &[u8], cpus: &str) -> String {
        match self {
            RowsFault::Other(message) => message,
            RowsFault::Json(error) => {
                let message = error.to_string();
                let what = match message.rfind(" at line ") {
                    Some(at) if error.line() > 0 => &message[..at],
                    _ => &message,
                };
                let offset = (cpus.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
                let column = offset + error.column();
                input::clip_message(&format!("{what} at line 1 column {column}"))
            }
        }
    }
}

/// The percentages of a sample's `cpus` text. The rows are counted against the
/// header, then `check_time` runs, then each row is checked, so a line's first
/// fault is the one reported. Rows of ticks as coreheat writes them take a fast
/// path; anything else (and every fault) goes through serde.
fn sample_loads(
    cpus: &str,
    rows: RowForm,
    header_cpus: &[TraceCpu],
    check_time: impl FnOnce() -> Result<(), String>,
) -> Result<Vec<CpuLoad>, RowsFault> {
    if rows == RowForm::Ticks
        && let Some(loads) = rows::plain_tick_loads(cpus.as_bytes(), header_cpus.len())
    {
        check_time()?;
        return Ok(loads);
    }
    match rows {
        RowForm::Objects => checked_loads(cpus, header_cpus, check_time, CpuLoad::checked),
        RowForm::Ticks => checked_loads(cpus, header_cpus, check_time, Row::ticks_load),
        RowForm::Percent => checked_loads(cpus, header_cpus, check_time, Row::percent_load),
    }
}

/// [`sample_loads`] for CPUs of type `R`, which `load` checks and turns into percentages.
fn checked_loads<R: DeserializeOwned>(
    cpus: &str,
    header_cpus: &[TraceCpu],
    check_time: impl FnOnce() -> Result<(), String>,
    load: fn(&R) -> Result<CpuLoad, String>,
) -> Result<Vec<CpuLoad>, RowsFault> {
    let cpus: Vec<R> = serde_json::from_str(cpus).map_err(RowsFault::Json)?;
    if cpus.len() != header_cpus.len() {
        return Err(RowsFault::Other(format!(
            "sample has {} CPUs but the header lists {}",
            cpus.len(),
            header_cpus.len()
        )));
    }
    check_time()?;
    let loads = cpus
        .iter()
        .zip(header_cpus)
        .map(|(row, cpu)| load(row).map_err(|m| format!("cpu{}: {m}", cpu.cpu)))
        .collect::<Result<_, _>>()?;
    Ok(loads)
}

impl<R: BufRead> Iterator for TraceReader<R> {
    type Item = Result<Record, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// A whole trace in memory (fine for tests and short runs; the report streams).
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub header: Header,
    pub samples: Vec<Sample>,
    pub events: Vec<Event>,
    /// Task announcements, in order (empty without `task_fields`).
    pub tasks: Vec<(f64, TaskInfo)>,
    /// Each sample's task rows, by the sample's time (samples without any are left out).
    pub task_rows: Vec<(f64, Vec<TaskTicks>)>,
    /// Each sample's CPU time of processes that ended beyond their rows.
    pub ended: Vec<(f64, Vec<EndedTicks>)>,
    /// What the scheduler recorded, line by line (a trace of `sched` events).
    pub sched: Vec<(f64, SchedBatch)>,
    pub end: Option<(f64, End)>,
    pub truncated: bool,
}

impl Trace {
    pub fn read(path: &Path) -> Result<Trace, TraceError> {
        let mut reader = TraceReader::open(path)?;
        let mut trace = Trace {
            header: reader.header().clone(),
            samples: Vec::new(),
            events: Vec::new(),
            tasks: Vec::new(),
            task_rows: Vec::new(),
            ended: Vec::new(),
            sched: Vec::new(),
            end: None,
            truncated: false,
        };
        while let Some(record) = reader.next_record()? {
            match record {
                Record::Sample(sample) => trace.samples.push(sample),
                Record::Event(event) => trace.events.push(event),
                Record::Task { t, task } => trace.tasks.push((t, task)),
                Record::Tasks { t, rows, ended } => {
                    if !rows.is_empty() {
                        trace.task_rows.push((t, rows));
                    }
                    if !ended.is_empty() {
                        trace.ended.push((t, ended));
                    }
                }
                Record::Sched { t, batch } => trace.sched.push((t, batch)),
                Record::End { t, end } => trace.end = Some((t, end)),
            }
        }
        trace.truncated = reader.truncated;
        Ok(trace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    fn meta() -> Meta {
        Meta {
            tool: "coreheat test".into(),
            cpus: vec![
                TraceCpu {
                    cpu: 0,
                    core: 0,
                    package: 0,
                },
                TraceCpu {
                    cpu: 1,
                    core: 1,
                    package: 0,
                },
            ],
            interval_s: 1.0,
            ..Meta::default()
        }
    }

    fn load(usr: f64) -> CpuLoad {
        CpuLoad {
            usr,
            idle: 100.0 - usr,
            ..CpuLoad::default()
        }
    }

    fn sample(t: f64, usr: &[f64]) -> Sample {
        Sample {
            t,
            cpus: usr.iter().map(|&u| load(u)).collect(),
        }
    }

    /// A new trace in `dir` with the test header and a first sample at t=1.
    fn trace_in(dir: &Path, first: &[f64]) -> (PathBuf, TraceWriter) {
        let path = dir.join("trace.jsonl");
        let mut writer = TraceWriter::create(&path, &meta()).unwrap();
        writer.write_sample(&sample(1.0, first)).unwrap();
        (path, writer)
    }

    /// Adds `text` after what the writer left, as a broken writer might.
    fn append(path: &Path, text: &str) {
        let mut file = File::options().append(true).open(path).unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn round_trip_with_cut_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut writer) = trace_in(dir.path(), &[10.0, 90.0]);
        writer
            .write_event(&Event {
                t: 1.0,
                event: EventKind::WorkloadStart,
                worker: None,
                detail: None,
            })
            .unwrap();
        writer.write_sample(&sample(2.0, &[50.0, 50.0])).unwrap();
        drop(writer);
        append(&path, "{\"t\":3.0,\"cpus\":[{\"usr\":1");

        let trace = Trace::read(&path).unwrap();
        assert_eq!(trace.samples.len(), 2);
        assert_eq!(trace.events.len(), 1);
        assert!(trace.truncated);
        assert!(trace.end.is_none());
        assert_eq!(trace.samples[1].cpus[0].usr, 50.0);
    }

    fn ticks_meta() -> Meta {
        Meta {
            cpu_unit: Some(CpuUnit::Ticks),
            ticks_per_s: Some(100),
            ..meta()
        }
    }

    #[test]
    fn ticks_are_read_back_as_exact_percentages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let mut writer = TraceWriter::create(&path, &ticks_meta()).unwrap();
        let ticks = [
            CpuTicks([97, 0, 2, 1, 0, 0, 0, 0]),
            CpuTicks([1, 0, 1, 1, 0, 0, 0, 0]),
        ];
        writer.write_ticks(0.2, &ticks).unwrap();
        writer.write_ticks(0.4, &[CpuTicks::default(); 2]).unwrap();
        let refused = writer.write_sample(&Sample {
            t: 0.6,
            cpus: vec![load(1.0), load(2.0)],
        });
        assert!(refused.is_err(), "percent in a trace of ticks");
        drop(writer);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains(r#""cpu_fields":["usr","nice","sys","idle","iowait","irq","softirq","steal"],"cpu_unit":"ticks","ticks_per_s":100"#), "{}", lines[0]);
        assert_eq!(
            lines[1],
            r#"{"t":0.2,"cpus":[[97,0,2,1,0,0,0,0],[1,0,1,1,0,0,0,0]]}"#
        );
        assert_eq!(lines.len(), 3);

        let trace = Trace::read(&path).unwrap();
        let first = &trace.samples[0].cpus;
        assert_eq!(
            (first[0].usr, first[0].sys, first[0].idle),
            (97.0, 2.0, 1.0)
        );
        assert_eq!(first[1].usr, 100.0 / 3.0);
        assert_eq!(trace.samples[1].cpus, vec![CpuLoad::default(); 2]);
        assert_eq!(trace.header.meta.cpu_unit, Some(CpuUnit::Ticks));
    }

    #[test]
    fn lines_of_kinds_the_reader_does_not_know_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let mut writer = TraceWriter::create(&path, &ticks_meta()).unwrap();
        writer
            .write_ticks(1.0, &[CpuTicks([100, 0, 0, 0, 0, 0, 0, 0]); 2])
            .unwrap();
        drop(writer);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(r#"{"t":1.5,"task":{"pid":7,"comm":"worker","cpu":1}}"#);
        text.push('\n');
        text.push_str(r#"{"t":2.0,"cpus":[[0,0,0,100,0,0,0,0],[50,0,0,50,0,0,0,0]],"tasks":[{"pid":7,"cpu":1,"ticks":50}]}"#);
        text.push('\n');
        std::fs::write(&path, text).unwrap();

        let trace = Trace::read(&path).unwrap();
        assert_eq!(trace.samples.len(), 2);
        assert_eq!(trace.samples[1].cpus[1].usr, 50.0);
        assert!(trace.events.is_empty());
    }

    #[test]
    fn a_header_of_ticks_without_a_tick_rate_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let meta = Meta {
            cpu_unit: Some(CpuUnit::Ticks),
            ..meta()
        };
        let error = TraceWriter::create(&path, &meta).err().unwrap().to_string();
        assert!(
            error.contains("counts ticks but has no ticks_per_s"),
            "{error}"
        );
        assert!(!path.exists());
    }

    #[test]
    fn writer_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        std::fs::write(&path, "mine").unwrap();
        assert!(TraceWriter::create(&path, &meta()).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    }

    #[test]
    fn a_faulty_row_is_placed_by_its_column_in_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        drop(TraceWriter::create(&path, &ticks_meta()).unwrap());
        append(
            &path,
            "{\"t\":0.5,\"cpus\":[[1,2,3,4,5,6,7],[0,0,0,1,0,0,0,0]]}\n",
        );
        let err = Trace::read(&path).unwrap_err().to_string();
        assert!(err.contains(":2: a CPU row has 7 numbers"), "{err}");
        assert!(err.ends_with("at line 1 column 32"), "{err}");
    }

    #[test]
    fn broken_middle_line_is_an_error_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let (path, writer) = trace_in(dir.path(), &[10.0, 90.0]);
        drop(writer);
        append(&path, "garbage\n{\"t\":2,\"cpus\":[]}\n");
        let err = Trace::read(&path).unwrap_err().to_string();
        assert!(err.contains(":3:"), "{err}");
    }

    #[test]
    fn sample_with_wrong_cpu_count_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut writer) = trace_in(dir.path(), &[1.0]);
        writer
            .write_end(
                1.0,
                &End {
                    status: Status::Ok,
                    result: None,
                    wall_s: 1.0,
                    user_s: 0.0,
                    sys_s: 0.0,
                    message: None,
                },
            )
            .unwrap();
        drop(writer);
        let err = Trace::read(&path).unwrap_err().to_string();
        assert!(err.contains("1 CPUs but the header lists 2"), "{err}");
    }
}
