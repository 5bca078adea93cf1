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

use super::{ImportError, ImportedTrace, median_interval};
use crate::model::{CpuLoad, Meta, Sample, TraceCpu, check_cpu_count, show_number};
use crate::util::input::{clip_message, excerpt, strip_bom};
use crate::util::units::round_ms;

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

pub fn parse(bytes: &[u8], path: &Path) -> Result<ImportedTrace, ImportError> {
    let root: Root = serde_json::from_slice(strip_bom(bytes)).map_err(|e| {
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
    })?;
    let file_error = |message: String| ImportError::File {
        path: path.to_path_buf(),
        message,
    };
    let host = match root.sysstat.hosts.as_slice() {
        [host] => host,
        [] => return Err(file_error("no host in the file".into())),
        _ => {
            return Err(file_error(
                "several hosts in one file are not supported; split it".into(),
            ));
        }
    };
    let date = parse_date(&host.date)
        .ok_or_else(|| file_error(format!("'{}' is not an mpstat date", excerpt(&host.date))))?;

    // The CPUs and their topology, from every statistic.
    let mut topology: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
    for statistic in &host.statistics {
        for load in &statistic.cpu_load {
            if let Some(cpu) = cpu_number(&load.cpu).map_err(&file_error)? {
                let core = load
                    .core
                    .as_deref()
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(cpu);
                let socket = load
                    .socket
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                topology.insert(cpu, (core, socket));
            }
        }
    }
    if topology.is_empty() {
        return Err(file_error(
            "no per-CPU data: record with mpstat -P ALL (the 'all' row alone is not per CPU)"
                .into(),
        ));
    }
    check_cpu_count(topology.len()).map_err(|m| file_error(format!("the file {m}")))?;
    let cpus: Vec<u32> = topology.keys().copied().collect();
    let slot: BTreeMap<u32, usize> = cpus.iter().enumerate().map(|(i, &c)| (c, i)).collect();

    let mut times = Vec::with_capacity(host.statistics.len());
    let mut rows = Vec::with_capacity(host.statistics.len());
    let mut clock = DayClock::default();
    for (index, statistic) in host.statistics.iter().enumerate() {
        let at = |message: String| file_error(format!("statistic {}: {message}", index + 1));
        times.push(clock.time(&statistic.timestamp).map_err(at)?);
        rows.push(statistic_row(statistic, &slot).map_err(at)?);
    }
    if rows.is_empty() {
        return Err(file_error("no statistics in the file".into()));
    }
    let interval = median_interval(&times, 1.0);
    let origin = times[0] - interval;
    let samples = rows
        .into_iter()
        .zip(&times)
        .map(|(cpus, t)| Sample {
            t: round_ms(t - origin),
            cpus,
        })
        .collect();
    let start = date
        .and_time(NaiveTime::MIN)
        .checked_add_signed(chrono::Duration::milliseconds((origin * 1000.0) as i64))
        .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default();
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
    let mut cores: Vec<(u32, u32)> = topology.values().copied().collect();
    cores.sort_unstable();
    cores.dedup();
    Ok(ImportedTrace {
        meta: Meta {
            tool: "mpstat (sysstat)".into(),
            host: host.nodename.clone(),
            os: host.sysname.clone(),
            kernel: host.release.clone(),
            logical_cpus: cpus.len(),
            // 0: unknown (recorded without -T)
            physical_cores: if has_topology { cores.len() } else { 0 },
            cpus: cpus
                .iter()
                .map(|&cpu| TraceCpu {
                    cpu,
                    core: topology[&cpu].0,
                    package: topology[&cpu].1,
                })
                .collect(),
            interval_s: interval,
            start,
            notes,
            ..Meta::default()
        },
        samples,
    })
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
