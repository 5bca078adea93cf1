//! dstat CSV (`dstat -c -C 0,1,... --output FILE`), from dstat 0.7.2 to 0.8.
//!
//! A file is one or more header blocks (dstat appends a new one each time it is
//! started with the same --output), each followed by rows. A block's last two
//! header lines name the column groups (`"system","cpu0 usage",,,...`) and the
//! columns: 0.7.2 writes bare names (`usr sys idl wai hiq siq`), 0.7.3 and later
//! `cpu0 usage:usr` with `stl`; `--cpu-adv` adds `hiq siq`; `--cpu-use` writes one
//! busy column per CPU under `per cpu usage`. Times come from `-t` (`21-11
//! 23:17:09`, the year from the Date line) or `-T` (epoch seconds). The first row
//! after each header is dstat's since-boot average and is dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::Path;

use chrono::{Datelike, NaiveDateTime, TimeZone};

use super::{ImportError, ImportedTrace, TimedSamples, flat_cpus, timed_samples};
use crate::model::{CpuLoad, Meta, TimeOrder, check_cpu_count, checked_percent};
use crate::util::input::{LineReader, excerpt};

/// Latest `-T` epoch time accepted (the year 9999).
const MAX_EPOCH: f64 = 253_402_300_799.0;

/// Which CpuLoad field a dstat column fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Usr,
    Sys,
    Idle,
    Wait,
    Hiq,
    Siq,
    Steal,
    /// `--cpu-use`: busy percent only.
    Busy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeColumn {
    Clock(usize),
    Epoch(usize),
}

/// Where each value of a row goes.
#[derive(Debug, Clone, PartialEq)]
struct Layout {
    time: Option<TimeColumn>,
    /// (column, CPU, field)
    columns: Vec<(usize, u32, Field)>,
    cpus: Vec<u32>,
    busy_only: bool,
    /// Columns of the header: every row has as many values.
    width: usize,
}

#[derive(Default)]
struct Header {
    version: String,
    host: String,
    command: String,
    date: Option<NaiveDateTime>,
}

/// Reads dstat CSV from memory; see [`parse_lines`].
pub fn parse(bytes: &[u8], path: &Path) -> Result<ImportedTrace, ImportError> {
    parse_lines(LineReader::new(bytes, path))
}

/// Reads dstat CSV line by line (dstat never puts a newline inside a field). A
/// last line without a newline that does not read is taken as cut off (dstat
/// was stopped mid-write) and left out.
pub fn parse_lines<R: BufRead>(mut lines: LineReader<R>) -> Result<ImportedTrace, ImportError> {
    let path = lines.path().to_path_buf();
    let mut parser = Parser::default();
    while let Some(line) = lines.next_content_line()? {
        let outcome = csv_record(lines.bytes()).and_then(|record| parser.take(record));
        match outcome {
            Ok(()) => {}
            Err(_) if !line.complete => parser.cut_last_line = true,
            Err(message) => {
                return Err(ImportError::Line {
                    path,
                    line: line.number,
                    message,
                });
            }
        }
    }
    parser.cut_last_line |= lines.cut_long_line();
    parser.finish(&path)
}

/// One line as a CSV record.
fn csv_record(line: &[u8]) -> Result<csv::StringRecord, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(_) => Ok(record),
        Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
            Err("not CSV: the line is not UTF-8 text".into())
        }
        Err(_) => Err("not CSV".into()),
    }
}

/// What is known after each line of a dstat file.
#[derive(Default)]
struct Parser {
    header: Header,
    layout: Option<Layout>,
    clock: ClockYear,
    times: TimeOrder,
    /// The line before, which names the column groups of a column line.
    previous: Option<csv::StringRecord>,
    skip_next_row: bool,
    dropped: usize,
    rows: Vec<(f64, Vec<CpuLoad>)>,
    cut_last_line: bool,
}

impl Parser {
    fn take(&mut self, record: csv::StringRecord) -> Result<(), String> {
        let first = record.get(0).unwrap_or("").trim();
        if first.is_empty() && record.iter().all(|f| f.trim().is_empty()) {
            return Ok(());
        }
        if first.starts_with("Dstat ") || first.starts_with("Dool ") {
            self.header.version = first.trim_end_matches(" CSV output").to_string();
        } else if first == "Host:" {
            self.header.host = record.get(1).unwrap_or("").to_string();
        } else if first == "Cmdline:" {
            self.header.command = record.get(1).unwrap_or("").to_string();
            if let Some(at) = record.iter().position(|f| f == "Date:") {
                self.header.date = record.get(at + 1).and_then(parse_header_date);
            }
        } else if first == "Author:" {
        } else if (first == "time" || first == "epoch") && !looks_like_group_line(&record) {
            self.column_line(&record)?;
        } else if self.layout.is_some() {
            if !looks_like_group_line(&record) {
                self.data_row(&record)?;
            }
            // else: the group line of an appended header block; its column line follows.
        } else if !looks_like_group_line(&record) {
            return Err(format!(
                "'{}' is not part of a dstat CSV header (is this a dstat --output file?)",
                excerpt(first)
            ));
        }
        self.previous = Some(record);
        Ok(())
    }

    fn column_line(&mut self, record: &csv::StringRecord) -> Result<(), String> {
        let groups = self
            .previous
            .as_ref()
            .ok_or("column names without the group line above them")?;
        let new_layout = column_layout(groups, record)?;
        if let Some(old) = &self.layout
            && old.cpus != new_layout.cpus
        {
            return Err("this header block lists other CPUs than the first one; render the runs as separate files".into());
        }
        self.layout = Some(new_layout);
        self.skip_next_row = true;
        Ok(())
    }

    fn data_row(&mut self, record: &csv::StringRecord) -> Result<(), String> {
        let layout = self.layout.as_ref().expect("rows follow a column line");
        let row = parse_row(record, layout, &self.header, &mut self.clock)?;
        if self.skip_next_row {
            self.skip_next_row = false;
            self.dropped += 1;
            return Ok(());
        }
        if !row.0.is_nan() && self.times.check(row.0).is_err() {
            return Err(format!(
                "time '{}' is before the row above it; rows must go forward in time",
                excerpt(time_text(record, layout))
            ));
        }
        self.rows.push(row);
        Ok(())
    }

    fn finish(self, path: &Path) -> Result<ImportedTrace, ImportError> {
        let layout = self.layout.ok_or_else(|| ImportError::File {
            path: path.to_path_buf(),
            message: "no column header found; the file is cut off or not a dstat CSV".into(),
        })?;
        if self.rows.is_empty() {
            return Err(ImportError::File {
                path: path.to_path_buf(),
                message: "no data rows after the since-boot average; record at least two intervals"
                    .into(),
            });
        }
        let mut trace = build_trace(self.header, layout, self.rows, self.dropped);
        if self.cut_last_line {
            trace.meta.notes.push(
                "The last line was cut off (dstat stopped mid-write) and is left out.".into(),
            );
        }
        Ok(trace)
    }
}

/// The group line names plugins (`"system","cpu0 usage",,,...`); the column line
/// below it names their columns (`"time","cpu0 usage:usr",...` or bare `usr`).
fn looks_like_group_line(record: &csv::StringRecord) -> bool {
    record.iter().any(|f| f.ends_with("usage"))
}

/// Maps each column to a CPU and field from the group and column lines.
fn column_layout(
    groups: &csv::StringRecord,
    columns: &csv::StringRecord,
) -> Result<Layout, String> {
    let mut group = String::new();
    let mut time = None;
    let mut mapped = Vec::new();
    let mut busy_only = false;
    for (index, column) in columns.iter().enumerate() {
        if let Some(name) = groups.get(index).filter(|g| !g.is_empty()) {
            group = name.to_string();
        }
        let column = column.rsplit(':').next().unwrap_or(column).trim();
        match (group.as_str(), column) {
            ("system", "time") => time = Some(TimeColumn::Clock(index)),
            ("epoch", "epoch") => time = Some(TimeColumn::Epoch(index)),
            ("per cpu usage", cpu) => {
                let cpu = cpu_number(cpu).map_err(|why| {
                    format!(
                        "column {} ('{}' under 'per cpu usage') {why}",
                        index + 1,
                        excerpt(cpu)
                    )
                })?;
                mapped.push((index, cpu, Field::Busy));
                busy_only = true;
            }
            (name, column) => {
                let Some(number) = name
                    .strip_prefix("cpu")
                    .and_then(|rest| rest.strip_suffix(" usage"))
                else {
                    continue; // "total cpu usage" and other plugins
                };
                let cpu = cpu_number(number).map_err(|why| {
                    format!("column {} (group '{}') {why}", index + 1, excerpt(name))
                })?;
                let field = match column {
                    "usr" => Field::Usr,
                    "sys" => Field::Sys,
                    "idl" => Field::Idle,
                    "wai" => Field::Wait,
                    "hiq" => Field::Hiq,
                    "siq" => Field::Siq,
                    "stl" => Field::Steal,
                    _ => continue,
                };
                mapped.push((index, cpu, field));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for &(index, cpu, field) in &mapped {
        if !seen.insert((cpu, field)) {
            return Err(format!(
                "column {} is a second '{}' column of cpu{cpu}; each CPU may appear once",
                index + 1,
                excerpt(columns.get(index).unwrap_or(""))
            ));
        }
    }
    let mut cpus: Vec<u32> = mapped.iter().map(|&(_, cpu, _)| cpu).collect();
    cpus.sort_unstable();
    cpus.dedup();
    if cpus.is_empty() {
        return Err(
            "no per-CPU columns: run dstat with -C 0,1,... (or --cpu-use) to record each CPU"
                .into(),
        );
    }
    check_cpu_count(cpus.len()).map_err(|m| format!("the header {m}"))?;
    Ok(Layout {
        time,
        columns: mapped,
        cpus,
        busy_only,
        width: columns.len(),
    })
}

/// The CPU number of a column (`7` of `cpu7 usage`), or why it is none.
fn cpu_number(text: &str) -> Result<u32, String> {
    let max = crate::util::cpulist::MAX_CPU_NUMBER;
    match text.trim().parse::<u64>() {
        Ok(cpu) if cpu <= u64::from(max) => Ok(cpu as u32),
        Ok(_) => Err(format!(
            "names a CPU beyond {max}, the highest Linux numbers; this is not a dstat recording \
             coreheat can read"
        )),
        Err(_) => Err(format!(
            "names no CPU number (0 to {max}); fix or remove that column"
        )),
    }
}

/// The text of a row's time column ("" without one).
fn time_text<'a>(record: &'a csv::StringRecord, layout: &Layout) -> &'a str {
    let index = match layout.time {
        Some(TimeColumn::Clock(i) | TimeColumn::Epoch(i)) => i,
        None => return "",
    };
    record.get(index).unwrap_or("")
}

fn parse_row(
    record: &csv::StringRecord,
    layout: &Layout,
    header: &Header,
    clock: &mut ClockYear,
) -> Result<(f64, Vec<CpuLoad>), String> {
    let time = match layout.time {
        Some(TimeColumn::Epoch(i)) => {
            let text = record.get(i).unwrap_or("");
            let not_epoch = || format!("'{}' is not an epoch time", excerpt(text));
            let t: f64 = text.trim().parse().map_err(|_| not_epoch())?;
            if !(0.0..=MAX_EPOCH).contains(&t) {
                return Err(not_epoch());
            }
            t
        }
        Some(TimeColumn::Clock(i)) => clock.time(record.get(i).unwrap_or(""), header.date)?,
        None => f64::NAN,
    };
    if record.len() != layout.width {
        return Err(format!(
            "the row has {} values, the header {} columns",
            record.len(),
            layout.width
        ));
    }
    let mut loads: BTreeMap<u32, CpuLoad> = BTreeMap::new();
    for &(index, cpu, field) in &layout.columns {
        let text = record.get(index).unwrap_or("");
        let value: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("'{}' is not a number", excerpt(text)))?;
        let value = checked_percent(value)
            .map_err(|_| format!("'{}' is not a percentage", excerpt(text)))?;
        let load = loads.entry(cpu).or_default();
        match field {
            Field::Usr => load.usr = value,
            Field::Sys => load.sys = value,
            Field::Idle => load.idle = value,
            Field::Wait => load.iowait = value,
            Field::Hiq => load.irq = value,
            Field::Siq => load.softirq = value,
            Field::Steal => load.steal = value,
            Field::Busy => {
                load.usr = value;
                load.idle = 100.0 - value;
            }
        }
    }
    Ok((
        time,
        layout
            .cpus
            .iter()
            .map(|c| loads.get(c).copied().unwrap_or_default())
            .collect(),
    ))
}

/// The year of `-t` times, which carry none: from the header's Date line (or
/// this year), moved on by one when the times jump back by months (Dec 31 →
/// Jan 1).
#[derive(Default)]
struct ClockYear {
    year: Option<i32>,
    previous: Option<f64>,
}

impl ClockYear {
    fn time(&mut self, text: &str, date: Option<NaiveDateTime>) -> Result<f64, String> {
        let year = *self
            .year
            .get_or_insert_with(|| date.map_or_else(|| chrono::Local::now().year(), |d| d.year()));
        let mut t = parse_clock(text, year)?;
        if let Some(previous) = self.previous
            && t < previous - 180.0 * 86400.0
        {
            self.year = Some(year + 1);
            t = parse_clock(text, year + 1)?;
        }
        self.previous = Some(t);
        Ok(t)
    }
}

/// `-t` times: `21-11 23:17:09` (day-month) in the given year, as epoch seconds.
fn parse_clock(text: &str, year: i32) -> Result<f64, String> {
    let with_year = format!("{year}-{}", text.trim());
    let parsed = NaiveDateTime::parse_from_str(&with_year, "%Y-%d-%m %H:%M:%S").map_err(|_| {
        format!(
            "'{}' is not a dstat time like 21-11 23:17:09",
            excerpt(text)
        )
    })?;
    Ok(parsed.and_utc().timestamp() as f64)
}

/// The header's `21 Nov 2026 23:17:09 UTC`.
fn parse_header_date(text: &str) -> Option<NaiveDateTime> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.iter().take(4).copied().collect::<Vec<_>>().join(" ");
    NaiveDateTime::parse_from_str(&joined, "%d %b %Y %H:%M:%S").ok()
}

/// The trace of the rows read: times, samples, and the header's facts.
fn build_trace(
    header: Header,
    layout: Layout,
    rows: Vec<(f64, Vec<CpuLoad>)>,
    dropped: usize,
) -> ImportedTrace {
    let mut times: Vec<f64> = rows.iter().map(|(t, _)| *t).collect();
    if times.iter().any(|t| t.is_nan()) {
        // No time column: the rows are one interval apart, as dstat prints them.
        times = (0..rows.len()).map(|i| i as f64).collect();
    }
    let rows = rows.into_iter().map(|(_, cpus)| cpus).collect();
    let TimedSamples {
        interval,
        origin,
        samples,
    } = timed_samples(rows, &times);
    let notes = notes(&header, &layout, dropped);
    ImportedTrace {
        meta: Meta {
            tool: if header.version.is_empty() {
                "dstat".into()
            } else {
                header.version.to_lowercase()
            },
            host: header.host,
            logical_cpus: layout.cpus.len(),
            physical_cores: 0, // dstat does not record the topology
            cpus: flat_cpus(&layout.cpus),
            interval_s: interval,
            start: start_time(layout.time, origin),
            command: header.command,
            notes,
            ..Meta::default()
        },
        samples,
    }
}

/// Time 0 of the trace: RFC 3339 from `-T`'s epoch seconds; a local clock
/// time (no zone) from `-t`, or the epoch when there is no time column.
fn start_time(column: Option<TimeColumn>, origin: f64) -> String {
    match column {
        Some(TimeColumn::Epoch(_)) => chrono::Utc
            .timestamp_opt(origin as i64, 0)
            .single()
            .map(|d| d.to_rfc3339()),
        _ => chrono::DateTime::from_timestamp(origin as i64, 0)
            .map(|d| d.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string()),
    }
    .unwrap_or_default()
}

/// What the report says about the import: the dstat version and command,
/// the since-boot rows dropped, and busy-only data.
fn notes(header: &Header, layout: &Layout, dropped: usize) -> Vec<String> {
    let mut notes = vec![format!(
        "Imported from {} output ({}).",
        if header.version.is_empty() {
            "dstat".to_string()
        } else {
            header.version.clone()
        },
        if header.command.is_empty() {
            "dstat".to_string()
        } else {
            header.command.clone()
        },
    )];
    if dropped > 0 {
        notes.push(format!(
            "The first row after each header is dstat's average since boot; {dropped} such row{} dropped.",
            if dropped == 1 { " was" } else { "s were" }
        ));
    }
    if layout.busy_only {
        notes.push(
            "--cpu-use records busy percent only: all of it is shown as usr, none as sys.".into(),
        );
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_dates_and_clock_times() {
        let date = parse_header_date("31 Dec 2024 23:59:58 UTC").unwrap();
        assert_eq!(date.year(), 2024);
        let mut clock = ClockYear::default();
        let a = clock.time("31-12 23:59:59", Some(date)).unwrap();
        let b = clock.time("01-01 00:00:00", Some(date)).unwrap();
        assert_eq!(b - a, 1.0, "the new year after a leap year");
        assert!(clock.time("23:17", Some(date)).is_err());
    }
}
