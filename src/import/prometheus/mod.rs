//! Per-CPU load of many machines read from Prometheus: node_exporter's
//! `node_cpu_seconds_total{cpu, mode}` through the HTTP query API (range
//! queries of the raw counters, split into chunks under Prometheus' points
//! limit), one [`ImportedTrace`] per instance, saved as ordinary coreheat
//! traces (percent rows) so they render again offline. `client` is the only
//! network code in coreheat.

pub mod client;
pub mod counters;
pub mod time;
pub mod topology;

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::import::ImportedTrace;
use crate::model::{CpuUnit, Meta};
use crate::trace::TraceWriter;
use client::Client;
use counters::{Counters, Matrix, Steps};
use topology::Vector;

/// Prometheus' limit of points per series in one range query.
pub const MAX_POINTS_PER_SERIES: usize = 11_000;
/// Steps asked for in one request at most: under the limit, with room.
const CHUNK_STEPS: usize = 10_000;
/// Points (series × steps) asked for in one request at most, so an answer
/// stays some tens of megabytes.
const POINTS_PER_REQUEST: usize = 2_000_000;
/// The metric read.
pub const METRIC: &str = "node_cpu_seconds_total";
/// Points (steps × series) of one instance read at most: its counters take
/// 8 bytes a point in memory (160 MB), and its samples about as much again.
pub const MAX_POINTS_PER_INSTANCE: usize = 20_000_000;
/// Characters of an instance's name kept in its trace's file name.
const MAX_NAME_CHARS: usize = 100;

/// What `render --prometheus` reads.
#[derive(Debug, Clone)]
pub struct FleetQuery {
    pub url: String,
    /// PromQL label matchers, with or without braces (`job="node"`).
    pub selector: String,
    /// Unix seconds.
    pub from: f64,
    pub to: f64,
    /// Seconds between steps.
    pub step: f64,
    pub timeout: Duration,
}

impl FleetQuery {
    /// The matchers without braces.
    fn matchers(&self) -> &str {
        let s = self.selector.trim();
        s.strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .unwrap_or(s)
            .trim()
    }

    /// `metric{matchers}`, narrowed to one instance when given.
    pub fn selector_of(&self, metric: &str, instance: Option<&str>) -> String {
        let mut matchers: Vec<String> = Vec::new();
        if !self.matchers().is_empty() {
            matchers.push(self.matchers().to_string());
        }
        if let Some(instance) = instance {
            let exact = format!("instance=\"{}\"", escape(instance));
            if !matchers.contains(&exact) {
                matchers.push(exact);
            }
        }
        format!("{metric}{{{}}}", matchers.join(","))
    }

    /// `from FROM to TO every STEP`, for messages.
    fn range_text(&self) -> String {
        format!(
            "from {} to {} every {} s",
            time::rfc3339(self.from),
            time::rfc3339(self.to),
            self.step
        )
    }

    fn steps(&self) -> Steps {
        Steps::between(self.from, self.to, self.step)
    }

    /// The range holds at least two steps, each within a day.
    fn check(&self) -> Result<()> {
        if !(self.step > 0.0 && self.step <= crate::model::MAX_INTERVAL_S) {
            bail!(
                "--step {} s: a step is more than 0 s and at most a day",
                self.step
            );
        }
        if self.to - self.from > crate::model::MAX_SECONDS {
            bail!(
                "--from {} --to {}: the range is longer than {:e} s (31 years), the longest \
                 trace coreheat reads; give a shorter range",
                time::rfc3339(self.from),
                time::rfc3339(self.to),
                crate::model::MAX_SECONDS
            );
        }
        if self.steps().count < 2 {
            bail!(
                "--from {} --to {}: the range holds fewer than two steps of {} s, and a \
                 load is the difference of two; make --to later or --step smaller",
                time::rfc3339(self.from),
                time::rfc3339(self.to),
                self.step
            );
        }
        Ok(())
    }
}

/// Seconds as the API takes them: to the millisecond, its resolution
/// (Prometheus truncates finer digits, which could lose a step).
fn seconds(value: f64) -> String {
    format!("{value:.3}")
}

/// A PromQL string literal's content.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A Prometheus server and the instances a query matches there.
pub struct Fleet {
    client: Client,
    query: FleetQuery,
    instances: Vec<String>,
    /// Series of the metric per instance, at most (for the chunk size).
    series_per_instance: usize,
}

/// Connects to the server and lists the instances whose CPU counters match
/// the selector in the range; an error names the URL, the selector and the
/// range, and says what to do.
pub fn connect(query: &FleetQuery) -> Result<Fleet> {
    query.check()?;
    let client = Client::new(&query.url, query.timeout)?;
    let selector = query.selector_of(METRIC, None);
    let params = [
        ("match[]", selector.clone()),
        ("start", seconds(query.from)),
        ("end", seconds(query.to)),
    ];
    let what = format!("the series {selector} {}", query.range_text());
    let data = client.get("/api/v1/series", &params, &what)?;
    let labels: Vec<std::collections::BTreeMap<String, String>> = serde_json::from_str(data.get())
        .with_context(|| format!("{}: {what}: not a list of series", client.url()))?;
    let mut per_instance: std::collections::BTreeMap<String, usize> = Default::default();
    for series in &labels {
        let instance = series.get("instance").cloned().unwrap_or_default();
        *per_instance.entry(instance).or_default() += 1;
    }
    let series_per_instance = per_instance.values().copied().max().unwrap_or(1);
    check_points(query, series_per_instance)?;
    if per_instance.is_empty() {
        bail!(
            "no series {selector} at {} {}: nothing matches --match {:?} then; check the \
             selector against the targets page ({}/targets) and that node_exporter's cpu \
             collector ran in that time range",
            client.url(),
            query.range_text(),
            query.selector,
            client.url()
        );
    }
    Ok(Fleet {
        series_per_instance,
        instances: per_instance.into_keys().collect(),
        client,
        query: query.clone(),
    })
}

/// Refuses, before any range is asked for, a range whose steps times the
/// series of one instance exceed [`MAX_POINTS_PER_INSTANCE`], saying what to do.
fn check_points(query: &FleetQuery, series: usize) -> Result<()> {
    let steps = query.steps().count;
    let points = steps.saturating_mul(series.max(1));
    if points <= MAX_POINTS_PER_INSTANCE {
        return Ok(());
    }
    let coarser = query.step * points as f64 / MAX_POINTS_PER_INSTANCE as f64;
    bail!(
        "{} is {steps} steps of {} series an instance: {points} points, more than the \
         {MAX_POINTS_PER_INSTANCE} coreheat reads of one instance; give a coarser --step \
         (at least {}s), a shorter --from/--to range or a narrower --match",
        query.range_text(),
        series,
        coarser.ceil()
    )
}

/// The chunks of steps (first and last index, inclusive) a range is asked
/// for in: at most `CHUNK_STEPS` steps, and at most `POINTS_PER_REQUEST`
/// points of `series` series, each.
pub fn chunks(steps: &Steps, series: usize) -> Vec<(usize, usize)> {
    let size = (POINTS_PER_REQUEST / series.max(1)).clamp(1, CHUNK_STEPS);
    (0..steps.count)
        .step_by(size)
        .map(|first| (first, (first + size - 1).min(steps.count - 1)))
        .collect()
}

impl Fleet {
    /// The instances, sorted.
    pub fn instances(&self) -> &[String] {
        &self.instances
    }

    /// Reads one instance's CPU counters over the range, in chunks, and its
    /// topology, into a trace.
    pub fn read(&self, instance: &str) -> Result<ImportedTrace> {
        let steps = self.query.steps();
        let query = self.query.selector_of(METRIC, Some(instance));
        let mut counters = Counters::new(steps);
        for (first, last) in chunks(&steps, self.series_per_instance) {
            let matrix = self.range(&query, steps.time(first), steps.time(last))?;
            for series in &matrix.result {
                counters.add(series).map_err(|message| {
                    anyhow::anyhow!("{}: {query}: {message}", self.client.url())
                })?;
            }
        }
        let cpus = counters.cpus();
        if cpus.is_empty() {
            bail!(
                "{}: {query} has no CPU series with a mode coreheat knows ({}) {}",
                self.client.url(),
                counters::MODES.join(", "),
                self.query.range_text()
            );
        }
        crate::model::check_cpu_count(cpus.len())
            .map_err(|m| anyhow::anyhow!("{}: {query} {m}; narrow --match", self.client.url()))?;
        let converted = counters.samples();
        let topology = topology::topology(&cpus, &self.cpu_info(instance)?);
        let mut meta = self.meta(instance, &query, topology);
        meta.notes.extend(gap_notes(&converted));
        if counters.rejected > 0 {
            meta.notes.push(format!(
                "{} values were no counter of CPU seconds (NaN, negative or beyond {:e}) \
                 and are left out, as gaps.",
                counters.rejected,
                counters::MAX_COUNTER_S
            ));
        }
        Ok(ImportedTrace {
            meta,
            samples: converted.samples,
        })
    }

    /// One chunk of a range query.
    fn range(&self, query: &str, start: f64, end: f64) -> Result<Matrix> {
        let params = [
            ("query", query.to_string()),
            ("start", seconds(start)),
            ("end", seconds(end)),
            ("step", seconds(self.query.step)),
        ];
        let what = format!(
            "the range query {query} from {} to {} every {} s",
            time::rfc3339(start),
            time::rfc3339(end),
            self.query.step
        );
        let data = self.client.get("/api/v1/query_range", &params, &what)?;
        serde_json::from_str(data.get())
            .with_context(|| format!("{}: {what}: the answer is not a matrix", self.client.url()))
    }

    /// node_cpu_info of the instance over the range (empty when the exporter
    /// does not provide it).
    fn cpu_info(&self, instance: &str) -> Result<Vec<topology::Element>> {
        let range = (self.query.to - self.query.from + self.query.step).ceil() as u64;
        let query = format!(
            "max_over_time({}[{range}s])",
            self.query.selector_of("node_cpu_info", Some(instance))
        );
        let params = [("query", query.clone()), ("time", seconds(self.query.to))];
        let what = format!("the query {query} at {}", time::rfc3339(self.query.to));
        let data = self.client.get("/api/v1/query", &params, &what)?;
        let vector: Vector = serde_json::from_str(data.get()).with_context(|| {
            format!("{}: {what}: the answer is not a vector", self.client.url())
        })?;
        Ok(vector.result)
    }

    /// The header of an instance's trace.
    fn meta(&self, instance: &str, query: &str, topology: topology::Topology) -> Meta {
        let q = &self.query;
        let mut meta = Meta {
            tool: "node_exporter via Prometheus".into(),
            host: instance.to_string(),
            cpu_model: topology.cpu_model,
            logical_cpus: topology.cpus.len(),
            physical_cores: topology.physical_cores,
            cpus: topology.cpus,
            interval_s: q.step,
            start: time::rfc3339(q.from),
            title: Some(instance.to_string()),
            command: render_command(q),
            notes: vec![format!(
                "Read from Prometheus at {}: {query} {}; each interval is the difference \
                 of the raw counters at its two ends (as coreheat reads /proc/stat), not \
                 rate().",
                q.url,
                q.range_text()
            )],
            ..Meta::default()
        };
        meta.state_rows(CpuUnit::Percent);
        meta
    }
}

/// Notes on intervals left without data.
fn gap_notes(converted: &counters::Converted) -> Vec<String> {
    let mut notes = Vec::new();
    if converted.resets > 0 {
        notes.push(format!(
            "{} CPU intervals are left out (no data) because a counter went backwards: \
             the node rebooted or its exporter restarted.",
            converted.resets
        ));
    }
    if converted.missing > 0 {
        notes.push(format!(
            "{} CPU intervals have no data: the instance did not report then (drawn as gaps).",
            converted.missing
        ));
    }
    notes
}

/// The command that reads the same data again.
fn render_command(q: &FleetQuery) -> String {
    use crate::util::text::shell_quote;
    [
        "coreheat".to_string(),
        "render".into(),
        "--prometheus".into(),
        shell_quote(&q.url),
        "--match".into(),
        shell_quote(&q.selector),
        "--from".into(),
        time::rfc3339(q.from),
        "--to".into(),
        time::rfc3339(q.to),
        "--step".into(),
        format!("{}s", q.step),
    ]
    .join(" ")
}

/// Writes `trace` to `path` (which must not exist) as a coreheat trace.
pub fn save(trace: &ImportedTrace, path: &Path) -> Result<()> {
    let mut writer = TraceWriter::create(path, &trace.meta)
        .with_context(|| format!("cannot create the trace {}", path.display()))?;
    for sample in &trace.samples {
        writer
            .write_sample(sample)
            .with_context(|| format!("cannot write the trace {}", path.display()))?;
    }
    Ok(())
}

/// A file name for an instance's trace: `node1_9100.jsonl` (letters, digits,
/// `-` and `.` kept, anything else `_`, at most 100 characters of the name).
pub fn trace_name(instance: &str) -> String {
    let name: String = instance
        .chars()
        .take(MAX_NAME_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_start_matches('.');
    format!("{}.jsonl", if name.is_empty() { "instance" } else { name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_range_is_asked_for_in_chunks_under_the_points_limit() {
        let steps = Steps::between(0.0, 86_400.0, 1.0);
        for series in [1, 16, 512, 100_000] {
            let chunks = chunks(&steps, series);
            assert_eq!(chunks[0].0, 0);
            assert_eq!(chunks.last().unwrap().1, steps.count - 1);
            for pair in chunks.windows(2) {
                assert_eq!(pair[1].0, pair[0].1 + 1, "contiguous");
            }
            for (first, last) in &chunks {
                assert!(last - first < MAX_POINTS_PER_SERIES);
                assert!((last - first + 1) * series <= POINTS_PER_REQUEST.max(series));
            }
        }
        assert_eq!(
            chunks(&steps, 8).len(),
            9,
            "86 401 steps in chunks of 10 000"
        );
    }

    #[test]
    fn selectors_are_read_with_or_without_braces_and_narrowed_to_an_instance() {
        let mut q = FleetQuery {
            url: "http://127.0.0.1:9090".into(),
            selector: "{job=\"node\"}".into(),
            from: 0.0,
            to: 10.0,
            step: 1.0,
            timeout: Duration::from_secs(1),
        };
        assert_eq!(
            q.selector_of(METRIC, Some("a\"b:9100")),
            "node_cpu_seconds_total{job=\"node\",instance=\"a\\\"b:9100\"}"
        );
        q.selector = String::new();
        assert_eq!(q.selector_of(METRIC, None), "node_cpu_seconds_total{}");
        assert_eq!(trace_name("10.0.0.1:9100"), "10.0.0.1_9100.jsonl");
        assert_eq!(trace_name("../x"), "_x.jsonl");
    }

    #[test]
    fn a_range_of_one_step_says_how_to_widen_it() {
        let q = FleetQuery {
            url: "http://127.0.0.1:9090".into(),
            selector: String::new(),
            from: 100.0,
            to: 100.5,
            step: 1.0,
            timeout: Duration::from_secs(1),
        };
        let message = q.check().unwrap_err().to_string();
        assert!(
            message.contains("--to later or --step smaller"),
            "{message}"
        );
    }
}
