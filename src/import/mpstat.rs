//! sysstat's `mpstat -P ALL -o JSON [-T] INTERVAL COUNT` (12.x).
//!
//! Statistics carry a clock time only (`23:17:26`, or `11:17:26 PM` in 12-hour
//! locales) next to the host's `date` (`11/21/26`, `11/21/2026` or ISO
//! `2026-11-21` with S_TIME_FORMAT=ISO); a time more than 12 hours smaller than
//! the one before is the next day, a time less smaller is refused. The `all` entry is kept apart from the per-CPU rows; `-T` adds each
//! CPU's core and socket, which become the trace's topology.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;

use super::{ImportError, ImportedTrace, timed_samples};
use crate::model::{CpuLoad, Meta, TraceCpu, check_cpu_count, show_number};
use crate::util::input::{clip_message, excerpt, strip_bom};

/// Seconds in a day.
const DAY: f64 = 86_400.0;

#[derive(Deserialize)]
struct Root {
    sysstat: Sysstat,
}

#[derive(Deserialize)]
struct Sysstat {
    hosts: Vec<Host>,
}

#[derive(Deserialize)]
struct Host {
    #[serde(default)]
    nodename: String,
    #[serde(default)]
    sysname: String,
    #[serde(default)]
    release: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    statistics: Vec<Statistic>,
}

#[derive(Deserialize)]
struct Statistic {
    #[serde(default)]
    timestamp: String,
    #[serde(rename = "cpu-load", default)]
    cpu_load: Vec<Load>,
}

#[derive(Deserialize)]
struct Load {
    cpu: String,
    #[serde(default)]
    core: Option<String>,
    #[serde(default)]
    socket: Option<String>,
    #[serde(default)]
    usr: f64,
    #[serde(default)]
    nice: f64,
    #[serde(default)]
    sys: f64,
    #[serde(default)]
    iowait: f64,
    #[serde(default)]
    irq: f64,
    #[serde(default)]
    soft: f64,
    #[serde(default)]
    steal: f64,
    #[serde(default)]
    idle: f64,
}

impl Load {
    fn to_cpu_load(&self) -> Result<CpuLoad, String> {
        CpuLoad {
            usr: self.usr,
            nice: self.nice,
            sys: self.sys,
            idle: self.idle,
            iowait: self.iowait,
            irq: self.irq,
            softirq: self.soft,
            steal: self.steal,
        }
        .checked()
    }
}

/// CPU number → (core, socket), for every CPU some statistic lists.
type Topology = BTreeMap<u32, (u32, u32)>;

/// Reads an mpstat JSON file of one host: its per-CPU statistics become the
/// samples, `-T`'s cores and sockets the topology.
pub fn parse(bytes: &[u8], path: &Path) -> Result<ImportedTrace, ImportError> {
    let root = read_json(bytes, path)?;
    let file_error = |message: String| ImportError::File {
        path: path.to_path_buf(),
        message,
    };
    let host = only_host(&root.sysstat.hosts).map_err(file_error)?;
    let date = parse_date(&host.date)
        .ok_or_else(|| file_error(format!("'{}' is not an mpstat date", excerpt(&host.date))))?;
    let topology = cpu_topology(&host.statistics).map_err(file_error)?;
    let (times, rows) = timed_rows(&host.statistics, &topology).map_err(file_error)?;
    let timed = timed_samples(rows, &times);
    Ok(ImportedTrace {
        meta: Meta {
            interval_s: timed.interval,
            start: start_time(date, timed.origin),
            ..host_meta(host, &topology)
        },
        samples: timed.samples,
    })
}

/// The JSON document; an error says whether it is cut off or not mpstat's.
fn read_json(bytes: &[u8], path: &Path) -> Result<Root, ImportError> {
    serde_json::from_slice(strip_bom(bytes)).map_err(|e| {
        let kind = if e.is_eof() {
            "the file is cut off"
        } else {
            "not mpstat JSON"
        };
        ImportError::Line {
            path: path.to_path_buf(),
            line: e.line() as u64,
            message: format!("{kind} ({})", clip_message(&e.to_string())),
        }
    })
}

fn only_host(hosts: &[Host]) -> Result<&Host, String> {
    match hosts {
        [host] => Ok(host),
        [] => Err("no host in the file".into()),
        _ => Err("several hosts in one file are not supported; split it".into()),
    }
}

/// The CPUs and their topology, from every statistic (a CPU without `-T`'s
/// core is its own core, on socket 0).
fn cpu_topology(statistics: &[Statistic]) -> Result<Topology, String> {
    let mut topology = Topology::new();
    for load in statistics.iter().flat_map(|s| &s.cpu_load) {
        if let Some(cpu) = cpu_number(&load.cpu)? {
            let number = |field: &Option<String>| field.as_deref().and_then(|c| c.parse().ok());
            let core = number(&load.core).unwrap_or(cpu);
            let socket = number(&load.socket).unwrap_or(0);
            topology.insert(cpu, (core, socket));
        }
    }
    if topology.is_empty() {
        return Err(
            "no per-CPU data: record with mpstat -P ALL (the 'all' row alone is not per CPU)"
                .into(),
        );
    }
    check_cpu_count(topology.len()).map_err(|m| format!("the file {m}"))?;
    Ok(topology)
}

/// Each statistic's time (seconds since midnight of the host's date) and its
/// loads in CPU order; an error names the statistic.
fn timed_rows(
    statistics: &[Statistic],
    topology: &Topology,
) -> Result<(Vec<f64>, Vec<Vec<CpuLoad>>), String> {
    let slot: BTreeMap<u32, usize> = topology.keys().enumerate().map(|(i, &c)| (c, i)).collect();
    let mut times = Vec::with_capacity(statistics.len());
    let mut rows = Vec::with_capacity(statistics.len());
    let mut clock = DayClock::default();
    for (index, statistic) in statistics.iter().enumerate() {
        let at = |message: String| format!("statistic {}: {message}", index + 1);
        times.push(clock.time(&statistic.timestamp).map_err(at)?);
        rows.push(statistic_row(statistic, &slot).map_err(at)?);
    }
    if rows.is_empty() {
        return Err("no statistics in the file".into());
    }
    Ok((times, rows))
}

/// `origin` seconds after midnight of `date`, as the trace's start.
fn start_time(date: NaiveDate, origin: f64) -> String {
    date.and_time(NaiveTime::MIN)
        .checked_add_signed(chrono::Duration::milliseconds((origin * 1000.0) as i64))
        .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The trace header of the host, its CPUs and their topology (unknown, 0
/// physical cores, without `-T`); the caller adds the interval and start.
fn host_meta(host: &Host, topology: &Topology) -> Meta {
    let has_topology = host
        .statistics
        .iter()
        .flat_map(|s| &s.cpu_load)
        .any(|l| l.core.as_deref().is_some_and(|c| !c.is_empty()));
    let mut notes = vec![
        "Imported from mpstat JSON; mpstat's 'all' row is left out, each CPU is drawn on its own."
            .to_string(),
    ];
    if !has_topology {
        notes.push("mpstat -T records the CPU topology too.".into());
    }
    let cores: BTreeSet<(u32, u32)> = topology.values().copied().collect();
    Meta {
        tool: "mpstat (sysstat)".into(),
        host: host.nodename.clone(),
        os: host.sysname.clone(),
        kernel: host.release.clone(),
        logical_cpus: topology.len(),
        physical_cores: if has_topology { cores.len() } else { 0 },
        cpus: topology
            .iter()
            .map(|(&cpu, &(core, package))| TraceCpu { cpu, core, package })
            .collect(),
        notes,
        ..Meta::default()
    }
}

/// One statistic's loads, in the order of `slot` (CPU number → index).
fn statistic_row(
    statistic: &Statistic,
    slot: &BTreeMap<u32, usize>,
) -> Result<Vec<CpuLoad>, String> {
    let mut row = vec![CpuLoad::default(); slot.len()];
    let mut seen = BTreeSet::new();
    for load in &statistic.cpu_load {
        let Some(cpu) = cpu_number(&load.cpu)? else {
            continue;
        };
        if !seen.insert(cpu) {
            return Err(format!("cpu {cpu} is listed twice"));
        }
        row[slot[&cpu]] = load
            .to_cpu_load()
            .map_err(|m| format!("cpu {}: {m}", load.cpu))?;
    }
    Ok(row)
}

/// Seconds since midnight of the first day, from clock times that carry no date.
#[derive(Default)]
struct DayClock {
    day_offset: f64,
    previous: Option<f64>,
}

impl DayClock {
    /// A time earlier than the one before by more than 12 hours is the next day;
    /// by less, the statistics go backwards and the file is refused.
    fn time(&mut self, text: &str) -> Result<f64, String> {
        let clock =
            parse_time(text).ok_or_else(|| format!("'{}' is not an mpstat time", excerpt(text)))?;
        let mut t = clock + self.day_offset;
        if let Some(before) = self.previous
            && t < before
        {
            if before - t <= DAY / 2.0 {
                return Err(format!(
                    "time {} is {}s before the statistic above it; statistics must go forward in time",
                    excerpt(text),
                    show_number(before - t)
                ));
            }
            self.day_offset += DAY;
            t += DAY;
        }
        self.previous = Some(t);
        Ok(t)
    }
}

/// The CPU number of a load entry; `None` for "all".
fn cpu_number(text: &str) -> Result<Option<u32>, String> {
    if text == "all" {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(cpu) if cpu <= crate::util::cpulist::MAX_CPU_NUMBER => Ok(Some(cpu)),
        _ => Err(format!("'{}' is not a CPU number", excerpt(text))),
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    ["%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text.trim(), format).ok())
}

/// Seconds since midnight of `23:17:26` or `11:17:26 PM`.
fn parse_time(text: &str) -> Option<f64> {
    let text = text.trim();
    let time = NaiveTime::parse_from_str(text, "%I:%M:%S %p")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .ok()?;
    Some(
        time.signed_duration_since(NaiveTime::MIN)
            .num_milliseconds() as f64
            / 1000.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_in_every_locale() {
        assert_eq!(
            parse_date("11/21/26"),
            NaiveDate::from_ymd_opt(2026, 11, 21)
        );
        assert_eq!(
            parse_date("11/22/2026"),
            NaiveDate::from_ymd_opt(2026, 11, 22)
        );
        assert_eq!(
            parse_date("2026-11-22"),
            NaiveDate::from_ymd_opt(2026, 11, 22)
        );
        assert_eq!(parse_time("00:20:24"), Some(1224.0));
        assert_eq!(parse_time("12:20:31 AM"), Some(1231.0));
        assert_eq!(
            parse_time("11:17:26 PM"),
            Some(23.0 * 3600.0 + 17.0 * 60.0 + 26.0)
        );
        assert_eq!(parse_time("25:00:00"), None);
    }
}
