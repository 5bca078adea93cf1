//! The trace: coreheat's one data model between measuring and drawing, and its
//! JSON Lines file (`trace.jsonl`).
//!
//! A trace is a header line (`{"format":"coreheat-trace","version":1,"meta":{..}}`),
//! then sample lines (`{"t":..,"cpus":[{"usr":..,..},..]}`) and event lines
//! (`{"t":..,"event":".."}`) as they happen, and last an end line
//! (`{"t":..,"end":{"status":..}}`). The writer flushes every line so a killed run
//! leaves everything up to its last sample; the reader accepts a trace without an
//! end line and one whose last line was cut. See docs/trace-format.md.

pub mod synthetic;

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{
    CpuLoad, End, Event, EventKind, Header, Meta, Sample, TimeOrder, TraceCpu, check_seconds,
};
use crate::util::input::{self, InputError, LineReader};

pub const FORMAT_NAME: &str = "coreheat-trace";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct EndLine<'a> {
    t: f64,
    end: &'a End,
}

/// Streams a trace to disk, one flushed line at a time.
pub struct TraceWriter {
    out: BufWriter<File>,
    line: Vec<u8>,
}

impl TraceWriter {
    /// Creates `path` (which must not exist) and writes the header.
    pub fn create(path: &Path, meta: &Meta) -> io::Result<TraceWriter> {
        let file = File::options().write(true).create_new(true).open(path)?;
        let mut writer = TraceWriter {
            out: BufWriter::with_capacity(64 * 1024, file),
            line: Vec::with_capacity(4096),
        };
        writer.write_line(&Header {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            meta: meta.clone(),
        })?;
        Ok(writer)
    }

    pub fn write_sample(&mut self, sample: &Sample) -> io::Result<()> {
        self.write_line(sample)
    }

    pub fn write_event(&mut self, event: &Event) -> io::Result<()> {
        self.write_line(event)
    }

    pub fn write_end(&mut self, t: f64, end: &End) -> io::Result<()> {
        self.write_line(&EndLine { t, end })?;
        self.out.get_ref().sync_data()
    }

    /// Serializes into a reused buffer, then hands the whole line to the file in one
    /// write so a kill leaves either the full line or a cut last line.
    fn write_line<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, value).map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.out.flush()
    }
}

/// One line of a trace, as read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Sample(Sample),
    Event(Event),
    End { t: f64, end: End },
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
/// value as the importers do: percentages within 0..100, sample times that go
/// forward, nothing after the end line.
pub struct TraceReader<R> {
    lines: LineReader<R>,
    /// Set when the last line was cut off (a killed writer).
    pub truncated: bool,
    header: Header,
    sample_times: TimeOrder,
    ended: bool,
}

#[derive(Deserialize)]
struct AnyLine {
    #[serde(default)]
    t: Option<f64>,
    #[serde(default)]
    cpus: Option<Vec<CpuLoad>>,
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
        let header = read_header(&mut lines)?;
        Ok(TraceReader {
            lines,
            truncated: false,
            header,
            sample_times: TimeOrder::default(),
            ended: false,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next record, `None` at the end. A last line that does not parse and has
    /// no newline is taken as cut off by a killed writer: `truncated` is set.
    pub fn next_record(&mut self) -> Result<Option<Record>, TraceError> {
        if self.truncated {
            return Ok(None);
        }
        let Some(line) = self.lines.next_content_line()? else {
            self.truncated = self.lines.cut_long_line();
            return Ok(None);
        };
        let parsed = if self.ended {
            Err("a line after the end line; the end line is the last line of a trace".into())
        } else {
            parse_record(
                self.lines.bytes(),
                &self.header.meta.cpus,
                &mut self.sample_times,
            )
        };
        match parsed {
            Ok(record) => {
                self.ended = matches!(record, Record::End { .. });
                Ok(Some(record))
            }
            Err(_) if !line.complete => {
                self.truncated = true;
                Ok(None)
            }
            Err(message) => Err(TraceError::Line {
                path: self.lines.path().to_path_buf(),
                line: line.number,
                message,
            }),
        }
    }
}

fn read_header<R: BufRead>(lines: &mut LineReader<R>) -> Result<Header, TraceError> {
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
            input::clip_message(&e.to_string())
        ))
    })?;
    if header.format != FORMAT_NAME {
        return Err(line_error(format!(
            "format is '{}', expected '{FORMAT_NAME}'",
            input::excerpt(&header.format)
        )));
    }
    if header.version != FORMAT_VERSION {
        return Err(line_error(format!(
            "trace format version {} is not supported (this coreheat reads version {FORMAT_VERSION})",
            header.version
        )));
    }
    header
        .meta
        .check()
        .map_err(|m| line_error(format!("the header {m}")))?;
    Ok(header)
}

/// One line after the header; `header_cpus` are the CPUs the header lists.
fn parse_record(
    bytes: &[u8],
    header_cpus: &[TraceCpu],
    times: &mut TimeOrder,
) -> Result<Record, String> {
    let line: AnyLine =
        serde_json::from_slice(bytes).map_err(|e| input::clip_message(&e.to_string()))?;
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
        return Ok(Record::End { t, end });
    }
    if let Some(kind) = line.event {
        return Ok(Record::Event(Event {
            t,
            event: kind,
            worker: line.worker,
            detail: line.detail,
        }));
    }
    let cpus = line
        .cpus
        .ok_or("line is neither a sample, an event nor the end")?;
    if cpus.len() != header_cpus.len() {
        return Err(format!(
            "sample has {} CPUs but the header lists {}",
            cpus.len(),
            header_cpus.len()
        ));
    }
    times.check(t)?;
    let cpus = cpus
        .iter()
        .zip(header_cpus)
        .map(|(load, cpu)| load.checked().map_err(|m| format!("cpu{}: {m}", cpu.cpu)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Record::Sample(Sample { t, cpus }))
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
            end: None,
            truncated: false,
        };
        while let Some(record) = reader.next_record()? {
            match record {
                Record::Sample(sample) => trace.samples.push(sample),
                Record::Event(event) => trace.events.push(event),
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

    #[test]
    fn writer_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        std::fs::write(&path, "mine").unwrap();
        assert!(TraceWriter::create(&path, &meta()).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
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
