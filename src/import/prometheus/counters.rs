//! `node_cpu_seconds_total` as read from a range query — the raw counter of
//! each (CPU, mode) at every step — turned into coreheat samples the way the
//! sampler turns two readings of /proc/stat into one: the per-step deltas of
//! the eight counters, each as percent of their sum ([`CpuLoad::from_counts`]).
//! Not PromQL's `rate()`, which extrapolates. An interval where a counter is
//! missing at either end (the instance did not report) or went backwards (the
//! node rebooted) has no data: an all-zero row, drawn as a gap.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::{CpuLoad, Sample};
use crate::util::units::round_ms;

/// node_exporter's `mode` label of each field of a row, in `CPU_FIELDS` order
/// (usr, nice, sys, idle, iowait, irq, softirq, steal).
pub const MODES: [&str; 8] = [
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
];

/// A range query's answer: one series per label set.
#[derive(Debug, Deserialize)]
pub struct Matrix {
    pub result: Vec<Series>,
}

/// One series: its labels and `[unix seconds, "value"]` pairs.
#[derive(Debug, Deserialize)]
pub struct Series {
    pub metric: BTreeMap<String, String>,
    #[serde(default)]
    pub values: Vec<(f64, String)>,
}

/// The evaluation times of a range query: `count` steps from `from`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Steps {
    pub from: f64,
    pub step: f64,
    pub count: usize,
}

impl Steps {
    /// The steps from `from` to `to` (both included when on the grid).
    pub fn between(from: f64, to: f64, step: f64) -> Steps {
        let count = ((to - from) / step + 1e-9).floor().max(0.0) as usize + 1;
        Steps { from, step, count }
    }

    /// Unix seconds of step `k`.
    pub fn time(&self, k: usize) -> f64 {
        self.from + k as f64 * self.step
    }

    /// The step a timestamp of the answer falls on.
    fn index_of(&self, unix: f64) -> Option<usize> {
        let k = ((unix - self.from) / self.step).round();
        (k >= 0.0 && (k as usize) < self.count).then_some(k as usize)
    }
}

/// Every CPU's counters of one instance, by CPU number; NaN where a step has
/// no value.
pub struct Counters {
    steps: Steps,
    cpus: BTreeMap<u32, [Vec<f64>; 8]>,
    /// Values that are no counter of CPU seconds (NaN, negative, beyond
    /// [`MAX_COUNTER_S`]), left out as missing.
    pub rejected: usize,
}

/// Largest counter value taken: 10^12 CPU seconds, some 31 700 years.
pub const MAX_COUNTER_S: f64 = 1e12;

/// The samples made from counters, and what was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub samples: Vec<Sample>,
    /// CPU intervals dropped because a counter went backwards (a reboot).
    pub resets: usize,
    /// CPU intervals without a value at one end (the instance did not report).
    pub missing: usize,
}

impl Counters {
    pub fn new(steps: Steps) -> Counters {
        Counters {
            steps,
            cpus: BTreeMap::new(),
            rejected: 0,
        }
    }

    /// Adds a series of `node_cpu_seconds_total` (labels `cpu` and `mode`);
    /// modes coreheat does not know are ignored.
    pub fn add(&mut self, series: &Series) -> Result<(), String> {
        let label = |name: &str| series.metric.get(name).map(String::as_str).unwrap_or("");
        let Some(field) = MODES.iter().position(|m| *m == label("mode")) else {
            return Ok(());
        };
        let cpu: u32 = label("cpu").parse().map_err(|_| {
            format!(
                "a series has cpu label '{}', not a CPU number",
                crate::util::input::excerpt(label("cpu"))
            )
        })?;
        if cpu > crate::util::cpulist::MAX_CPU_NUMBER {
            return Err(format!(
                "a series has cpu label {cpu}, beyond the largest CPU number Linux has ({})",
                crate::util::cpulist::MAX_CPU_NUMBER
            ));
        }
        let count = self.steps.count;
        let rows = self
            .cpus
            .entry(cpu)
            .or_insert_with(|| std::array::from_fn(|_| Vec::new()));
        let row = &mut rows[field];
        if row.is_empty() {
            row.resize(count, f64::NAN);
        }
        for (unix, text) in &series.values {
            let value: f64 = text.parse().unwrap_or(f64::NAN);
            let Some(k) = self.steps.index_of(*unix) else {
                continue;
            };
            if (0.0..=MAX_COUNTER_S).contains(&value) {
                row[k] = value;
            } else {
                self.rejected += 1;
            }
        }
        Ok(())
    }

    /// The CPU numbers seen, ascending.
    pub fn cpus(&self) -> Vec<u32> {
        self.cpus.keys().copied().collect()
    }

    /// One sample per step after the first, at its seconds since the first
    /// step, with a row per CPU of [`Self::cpus`].
    pub fn samples(&self) -> Converted {
        let mut converted = Converted {
            samples: Vec::with_capacity(self.steps.count.saturating_sub(1)),
            resets: 0,
            missing: 0,
        };
        for k in 1..self.steps.count {
            let cpus = self
                .cpus
                .values()
                .map(|rows| interval_load(rows, k, &mut converted))
                .collect();
            converted.samples.push(Sample {
                t: round_ms(k as f64 * self.steps.step),
                cpus,
            });
        }
        converted
    }
}

/// One CPU's load from step `k - 1` to step `k`: the deltas of the modes it
/// has, as percent of their sum; no data (all zeros) when a counter is missing
/// at either end or went backwards.
fn interval_load(rows: &[Vec<f64>; 8], k: usize, converted: &mut Converted) -> CpuLoad {
    let mut deltas = [0.0; 8];
    for (delta, row) in deltas.iter_mut().zip(rows) {
        if row.is_empty() {
            continue; // a mode this CPU never reports (steal on bare metal, say)
        }
        let (before, now) = (row[k - 1], row[k]);
        if before.is_nan() || now.is_nan() {
            converted.missing += 1;
            return CpuLoad::default();
        }
        if now < before {
            converted.resets += 1;
            return CpuLoad::default();
        }
        *delta = now - before;
    }
    CpuLoad::from_counts(deltas)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A captured answer of Prometheus 2.42 to a range query of 6 steps of 1 s
    /// over node_exporter 1.5 on a 2-CPU machine.
    const CAPTURED: &str = include_str!("../../../tests/fixtures/prometheus-query-range.json");

    fn captured() -> (Steps, Matrix) {
        #[derive(Deserialize)]
        struct Answer {
            data: Matrix,
        }
        let answer: Answer = serde_json::from_str(CAPTURED).unwrap();
        let first = answer.data.result[0].values[0].0;
        (Steps::between(first, first + 5.0, 1.0), answer.data)
    }

    fn counters_of(steps: Steps, series: &[Series]) -> Counters {
        let mut counters = Counters::new(steps);
        for s in series {
            counters.add(s).unwrap();
        }
        counters
    }

    fn series(cpu: &str, mode: &str, values: &[(f64, &str)]) -> Series {
        Series {
            metric: [("cpu", cpu), ("mode", mode)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            values: values.iter().map(|(t, v)| (*t, v.to_string())).collect(),
        }
    }

    #[test]
    fn a_captured_answer_becomes_exact_per_step_deltas() {
        let (steps, matrix) = captured();
        let counters = counters_of(steps, &matrix.result);
        assert_eq!(counters.cpus(), vec![0, 1]);
        let converted = counters.samples();
        assert_eq!(converted.samples.len(), 5);
        assert_eq!((converted.resets, converted.missing), (0, 0));
        // Each row is its counters' deltas over their sum, as from /proc/stat.
        let value = |cpu: &str, mode: &str, k: usize| -> f64 {
            let s = matrix
                .result
                .iter()
                .find(|s| s.metric["cpu"] == cpu && s.metric["mode"] == mode)
                .unwrap();
            s.values[k].1.parse().unwrap()
        };
        let deltas: [f64; 8] =
            std::array::from_fn(|f| value("1", MODES[f], 3) - value("1", MODES[f], 2));
        assert_eq!(converted.samples[2].cpus[1], CpuLoad::from_counts(deltas));
        assert_eq!(converted.samples[2].t, 3.0);
        let busy = converted.samples[2].cpus[1].busy();
        assert!((0.0..=100.0).contains(&busy), "{busy}");
    }

    #[test]
    fn a_reboot_drops_the_interval_instead_of_a_spike() {
        let steps = Steps::between(100.0, 103.0, 1.0);
        let counters = counters_of(
            steps,
            &[
                series(
                    "0",
                    "user",
                    &[
                        (100.0, "500"),
                        (101.0, "500.5"),
                        (102.0, "0.25"),
                        (103.0, "0.75"),
                    ],
                ),
                series(
                    "0",
                    "idle",
                    &[
                        (100.0, "900"),
                        (101.0, "900.5"),
                        (102.0, "1.0"),
                        (103.0, "1.5"),
                    ],
                ),
            ],
        );
        let converted = counters.samples();
        assert_eq!(converted.resets, 1);
        let busy: Vec<Option<f64>> = converted
            .samples
            .iter()
            .map(|s| (s.cpus[0] != CpuLoad::default()).then(|| s.cpus[0].busy()))
            .collect();
        assert_eq!(busy, vec![Some(50.0), None, Some(50.0)]);
    }

    #[test]
    fn steps_an_instance_did_not_report_are_no_data_not_idle() {
        let steps = Steps::between(0.0, 4.0, 1.0);
        let counters = counters_of(
            steps,
            &[
                series("3", "user", &[(0.0, "1"), (1.0, "2"), (4.0, "5")]),
                series("3", "idle", &[(0.0, "1"), (1.0, "1"), (4.0, "1")]),
            ],
        );
        let converted = counters.samples();
        let rows: Vec<CpuLoad> = converted.samples.iter().map(|s| s.cpus[0]).collect();
        assert_eq!(rows[0].busy(), 100.0);
        assert_eq!(&rows[1..], &[CpuLoad::default(); 3], "the gap is no data");
        assert_eq!(converted.missing, 3);
        assert_eq!(converted.samples[3].t, 4.0);
    }

    #[test]
    fn a_cpu_label_that_is_no_number_is_named() {
        let mut counters = Counters::new(Steps::between(0.0, 1.0, 1.0));
        let message = counters.add(&series("x7", "user", &[])).unwrap_err();
        assert!(message.contains("'x7'"), "{message}");
        assert!(
            counters.add(&series("0", "guest", &[])).is_ok(),
            "unknown modes are skipped"
        );
    }
}
