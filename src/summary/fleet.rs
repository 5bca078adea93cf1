//! Many machines on one page: traces placed on one wall-clock axis by their
//! start times, grouped by host; per host its mean busy over time, the busy
//! bands of all CPUs together (the quantized heat map's data), and findings
//! about the fleet, each against a threshold named here.

use chrono::DateTime;

use crate::model::Meta;
use crate::summary::findings::Finding;
use crate::summary::trace_summary::{BUSY_BANDS, BandColumn, LoadSums, TraceSummary};

/// fleet-idle-host: a host busy less than this percent on average.
pub const IDLE_HOST_BUSY: f64 = 5.0;
/// fleet-one-hot-host: the busiest host at least this percent busy...
pub const HOT_HOST_BUSY: f64 = 50.0;
/// ...and at least this many times as busy as every other host.
pub const HOT_HOST_RATIO: f64 = 2.0;
/// fleet-imbalance: the busiest and the least busy host this many
/// percentage points apart or more.
pub const IMBALANCE_POINTS: f64 = 30.0;
/// Fleet findings compare hosts only when their traces ran at the same time:
/// the time all hosts were recorded together is at least this share of the
/// shortest host's time.
pub const OVERLAP_SHARE: f64 = 0.5;
/// Columns of the fleet's drawings.
pub const FLEET_COLUMNS: usize = 300;

/// Each trace's time 0 in seconds after the earliest one's, from the
/// headers' RFC 3339 `start`; `None` when any start cannot be read.
pub fn start_offsets(metas: &[&Meta]) -> Option<Vec<f64>> {
    let starts: Vec<f64> = metas
        .iter()
        .map(|meta| {
            DateTime::parse_from_rfc3339(&meta.start)
                .ok()
                .map(|t| t.timestamp_millis() as f64 / 1000.0)
        })
        .collect::<Option<_>>()?;
    let first = starts.iter().copied().fold(f64::INFINITY, f64::min);
    Some(starts.iter().map(|s| s - first).collect())
}

/// One host of the fleet.
#[derive(Debug, Clone, PartialEq)]
pub struct HostRow {
    pub host: String,
    /// CPUs of its largest trace.
    pub cpus: usize,
    /// Mean busy % of all its CPUs over its traces (`None`: no data).
    pub mean_busy: Option<f64>,
    /// Mean busy % of all its CPUs in each fleet column (`None`: no data).
    pub busy: Vec<Option<f64>>,
}

/// The fleet on the page's shared axis.
#[derive(Debug, Clone)]
pub struct FleetSummary {
    pub hosts: Vec<HostRow>,
    /// All CPUs of all hosts in busy bands, per column of the page's time.
    pub columns: Vec<BandColumn>,
    /// CPUs of all hosts.
    pub cpus: usize,
    /// Seconds from the page's time 0 to its end.
    pub span: f64,
    pub findings: Vec<Finding>,
    /// The findings about one host, for its own sections: (host, finding).
    pub host_findings: Vec<(String, Finding)>,
    /// Why there are no findings when the hosts' traces did not run at the
    /// same time (or their start times are not known).
    pub not_compared: Option<String>,
}

/// The fleet of `traces` (each with its offset on the page), when they come
/// from two hosts or more.
pub fn fleet(traces: &[(&TraceSummary, f64)]) -> Option<FleetSummary> {
    let mut hosts: Vec<&str> = traces.iter().map(|(s, _)| s.meta.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    if hosts.len() < 2 {
        return None;
    }
    let span = traces
        .iter()
        .map(|(s, offset)| s.columns.last().map_or(0.0, |c| c.t_end) + offset)
        .fold(0.0, f64::max);
    let width = span / FLEET_COLUMNS as f64;
    let middles: Vec<f64> = (0..FLEET_COLUMNS)
        .map(|j| (j as f64 + 0.5) * width)
        .collect();
    let rows: Vec<HostRow> = hosts
        .iter()
        .map(|host| {
            let mine: Vec<(&TraceSummary, f64)> = traces
                .iter()
                .filter(|(s, _)| s.meta.host == *host)
                .copied()
                .collect();
            host_row(host, &mine, &middles)
        })
        .collect();
    let columns = middles
        .iter()
        .enumerate()
        .map(|(j, &middle)| BandColumn {
            t_start: j as f64 * width,
            t_end: (j + 1) as f64 * width,
            cpus: fleet_bands(traces, middle),
        })
        .collect();
    let cpus = rows.iter().map(|r| r.cpus).sum();
    let not_compared = not_simultaneous(traces, &hosts);
    let compared = not_compared.is_none();
    Some(FleetSummary {
        findings: if compared {
            fleet_findings(&rows)
        } else {
            Vec::new()
        },
        host_findings: if compared {
            host_findings(&rows)
        } else {
            Vec::new()
        },
        not_compared,
        hosts: rows,
        columns,
        cpus,
        span,
    })
}

/// Why the hosts of `traces` are not compared: their start times are not
/// known, or the time they were all recorded together is less than
/// [`OVERLAP_SHARE`] of the shortest host's (one machine's runs one after
/// another, named as different hosts, are not a fleet).
fn not_simultaneous(traces: &[(&TraceSummary, f64)], hosts: &[&str]) -> Option<String> {
    let metas: Vec<&Meta> = traces.iter().map(|(s, _)| &s.meta).collect();
    if start_offsets(&metas).is_none() {
        return Some(
            "The traces' start times are not all known, so it cannot be told whether the hosts \
             ran at the same time; they are shown, not compared."
                .to_string(),
        );
    }
    let spans: Vec<(f64, f64)> = hosts
        .iter()
        .map(|host| {
            traces
                .iter()
                .filter(|(s, _)| s.meta.host == *host)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (s, offset)| {
                    (a.min(offset + s.first_t), b.max(offset + s.last_t))
                })
        })
        .collect();
    let together = spans.iter().map(|s| s.1).fold(f64::INFINITY, f64::min)
        - spans.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
    let shortest = spans
        .iter()
        .map(|s| s.1 - s.0)
        .fold(f64::INFINITY, f64::min);
    (together < OVERLAP_SHARE * shortest || together <= 0.0).then(|| {
        format!(
            "The hosts' traces were not recorded at the same time (all of them together for \
             {:.1} s, against {:.1} s of the shortest), so their load is shown, not compared: \
             fleet findings are for machines that ran side by side.",
            together.max(0.0),
            shortest
        )
    })
}

/// The column of `summary` that covers page time `t`, if any.
fn column_at(summary: &TraceSummary, offset: f64, t: f64) -> Option<usize> {
    let t = t - offset;
    let at = summary.columns.partition_point(|c| c.t_end < t);
    summary
        .columns
        .get(at)
        .filter(|c| c.t_start <= t && t <= c.t_end)
        .map(|_| at)
}

fn host_row(host: &str, traces: &[(&TraceSummary, f64)], middles: &[f64]) -> HostRow {
    let mut total = LoadSums::default();
    for (summary, _) in traces {
        summary.totals.iter().for_each(|sums| total.merge(sums));
    }
    let busy = middles
        .iter()
        .map(|&middle| {
            traces.iter().find_map(|(summary, offset)| {
                let column = &summary.columns[column_at(summary, *offset, middle)?];
                let mut sums = LoadSums::default();
                column.cpus.iter().for_each(|cpu| sums.merge(cpu));
                sums.mean().map(|load| load.busy())
            })
        })
        .collect();
    HostRow {
        host: host.to_string(),
        cpus: traces
            .iter()
            .map(|(s, _)| s.meta.cpus.len())
            .max()
            .unwrap_or(0),
        mean_busy: total.mean().map(|load| load.busy()),
        busy,
    }
}

/// How many CPUs of all traces were in each busy band at page time `t`.
fn fleet_bands(traces: &[(&TraceSummary, f64)], t: f64) -> [f64; BUSY_BANDS] {
    let mut bands = [0.0; BUSY_BANDS];
    for (summary, offset) in traces {
        if let Some(at) = column_at(summary, *offset, t) {
            let column = &summary.columns[at];
            for (band, count) in bands.iter_mut().enumerate() {
                *count += column.cpus_in_band(band);
            }
        }
    }
    bands
}

/// Idle hosts, one hot host, imbalance between hosts.
pub fn fleet_findings(rows: &[HostRow]) -> Vec<Finding> {
    let known: Vec<(&str, f64)> = rows
        .iter()
        .filter_map(|r| Some((r.host.as_str(), r.mean_busy?)))
        .collect();
    let mut findings = Vec::new();
    let idle: Vec<String> = known
        .iter()
        .filter(|(_, busy)| *busy < IDLE_HOST_BUSY)
        .map(|(host, busy)| format!("{host} ({busy:.1} %)"))
        .collect();
    if !idle.is_empty() {
        findings.push(Finding {
            code: "fleet-idle-host",
            message: format!(
                "{} of {} hosts busy less than {IDLE_HOST_BUSY} % on average, left unused: {}",
                idle.len(),
                rows.len(),
                idle.join(", ")
            ),
        });
    }
    let mut sorted = known.clone();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    if let [(hot, hot_busy), (_, next_busy), ..] = sorted[..]
        && hot_busy >= HOT_HOST_BUSY
        && hot_busy >= HOT_HOST_RATIO * next_busy
    {
        findings.push(Finding {
            code: "fleet-one-hot-host",
            message: format!(
                "one host was much busier than the others: {hot} was {hot_busy:.1} % busy on \
                 average, every other host at most {next_busy:.1} % (thresholds: at least \
                 {HOT_HOST_BUSY} % and {HOT_HOST_RATIO}× the next)"
            ),
        });
    }
    if let (Some((top, top_busy)), Some((low, low_busy))) = (sorted.first(), sorted.last())
        && top_busy - low_busy >= IMBALANCE_POINTS
    {
        findings.push(Finding {
            code: "fleet-imbalance",
            message: format!(
                "the load is uneven between hosts: {top} {top_busy:.1} % busy, {low} \
                 {low_busy:.1} % ({:.0} points apart; threshold {IMBALANCE_POINTS})",
                top_busy - low_busy
            ),
        });
    }
    findings
}

/// The hosts the fleet's findings name: each idle host, and the hot one.
pub fn host_findings(rows: &[HostRow]) -> Vec<(String, Finding)> {
    let busiest = rows.iter().filter_map(|r| r.mean_busy).fold(0.0, f64::max);
    let codes: Vec<&str> = fleet_findings(rows).iter().map(|f| f.code).collect();
    let mut found = Vec::new();
    for row in rows {
        let Some(busy) = row.mean_busy else { continue };
        if busy < IDLE_HOST_BUSY {
            let message = format!(
                "this host was {busy:.1} % busy on average (under {IDLE_HOST_BUSY} %) while the \
                 fleet's busiest was {busiest:.1} %"
            );
            found.push((
                row.host.clone(),
                Finding {
                    code: "fleet-idle-host",
                    message,
                },
            ));
        }
        if codes.contains(&"fleet-one-hot-host") && busy == busiest {
            let message = format!(
                "this host was {busy:.1} % busy on average, at least {HOT_HOST_RATIO}× any other \
                 host of the fleet"
            );
            found.push((
                row.host.clone(),
                Finding {
                    code: "fleet-one-hot-host",
                    message,
                },
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str, busy: f64) -> HostRow {
        HostRow {
            host: name.into(),
            cpus: 4,
            mean_busy: Some(busy),
            busy: Vec::new(),
        }
    }

    fn codes(rows: &[HostRow]) -> Vec<&'static str> {
        fleet_findings(rows).iter().map(|f| f.code).collect()
    }

    #[test]
    fn each_finding_fires_at_its_threshold_and_not_below() {
        let idle = [host("a", 4.9), host("b", 20.0)];
        assert_eq!(codes(&idle), ["fleet-idle-host"]);
        assert!(codes(&[host("a", 5.0), host("b", 20.0)]).is_empty());
        let hot = [host("a", 50.0), host("b", 25.0), host("c", 24.0)];
        assert_eq!(codes(&hot), ["fleet-one-hot-host"]);
        assert!(codes(&[host("a", 49.0), host("b", 24.0)]).is_empty());
        assert!(codes(&[host("a", 60.0), host("b", 31.0)]).is_empty());
        let uneven = [host("a", 70.0), host("b", 40.0)];
        assert_eq!(codes(&uneven), ["fleet-imbalance"]);
        let named = host_findings(&[host("a", 60.0), host("b", 1.0), host("c", 20.0)]);
        let named: Vec<(&str, &str)> = named.iter().map(|(h, f)| (h.as_str(), f.code)).collect();
        assert_eq!(
            named,
            [("a", "fleet-one-hot-host"), ("b", "fleet-idle-host")]
        );
        let message = &fleet_findings(&uneven)[0].message;
        assert!(message.contains("a 70.0 % busy, b 40.0 %"), "{message}");
    }

    #[test]
    fn starts_become_offsets_from_the_earliest_and_an_unreadable_one_aligns_nothing() {
        let meta = |start: &str| Meta {
            start: start.into(),
            ..Meta::default()
        };
        let (a, b) = (
            meta("2026-11-22T10:00:30Z"),
            meta("2026-11-22T11:00:00+01:00"),
        );
        assert_eq!(start_offsets(&[&a, &b]), Some(vec![30.0, 0.0]));
        assert_eq!(start_offsets(&[&a, &meta("")]), None);
    }
}
