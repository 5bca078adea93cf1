//! A trace boiled down for drawing, in one streaming pass with bounded memory:
//! samples are binned into at most `max_columns` columns of equal sample count
//! (mean per bin, plus the busiest sample), per-CPU totals are summed, and events
//! and the end line are kept. A 24-hour trace is never held in memory.

use crate::model::{CpuLoad, End, Event, EventKind, Meta, Sample};
use crate::summary::sched::{ConcurrencyBar, SchedSummary, SchedTotals, concurrency};
use crate::summary::threads::{ThreadsBuilder, ThreadsSummary};
use crate::summary::warnings::{Measures, Warning, warnings};
use crate::summary::window::{Weighted, WindowBuilder, WorkloadWindow};
use crate::trace::Record;

/// How a trace without a known topology labels its CPUs.
pub const UNKNOWN_TOPOLOGY: &str = "topology unknown";

/// Events kept for the report; a trace with more is not a normal trace.
pub const MAX_EVENTS: usize = 10_000;

/// Sums of the eight fields of [`CpuLoad`] over some samples, and the busiest one.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadSums {
    sums: CpuLoad,
    pub max_busy: f64,
    /// Samples that had data for this CPU.
    pub n: u32,
}

impl LoadSums {
    /// The sums of one sample's load.
    pub fn of(load: &CpuLoad) -> LoadSums {
        let mut sums = LoadSums::default();
        sums.add(load);
        sums
    }

    /// Adds a sample's load; says whether it had data.
    fn add(&mut self, load: &CpuLoad) -> bool {
        if *load == CpuLoad::default() {
            return false; // no data for this CPU in this sample (offline, or no ticks)
        }
        self.sums += load;
        self.max_busy = self.max_busy.max(load.busy());
        self.n += 1;
        true
    }

    /// Adds another set of sums (of other samples, or of another CPU).
    pub fn merge(&mut self, other: &LoadSums) {
        self.sums += &other.sums;
        self.max_busy = self.max_busy.max(other.max_busy);
        self.n += other.n;
    }

    /// The mean load, or `None` when no sample had data.
    pub fn mean(&self) -> Option<CpuLoad> {
        (self.n > 0).then(|| self.sums / self.n as f64)
    }
}

/// Busy-% bands of the quantized heat map: 0–10 %, 10–20 %, ... 90–100 %.
pub const BUSY_BANDS: usize = 10;

/// The band of a busy percentage (100 % is in the top band, 90–100 %).
pub fn busy_band(busy: f64) -> usize {
    // `as` saturates: NaN and negatives are band 0.
    ((busy / 10.0).floor() as usize).min(BUSY_BANDS - 1)
}

/// One column of the heat map: the samples from `t_start` to `t_end`.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub t_start: f64,
    pub t_end: f64,
    pub samples: u32,
    pub cpus: Vec<LoadSums>,
    /// For each busy band, how many (sample, CPU) pairs fell in it: divided
    /// by `samples`, the mean number of CPUs that were that busy.
    pub busy_bands: [u32; BUSY_BANDS],
    /// Per heat-map row, its busy % (the band columns of a trace of more
    /// than [`RASTER_FROM_CPUS`] CPUs only; empty otherwise).
    pub rows: Vec<RowBusy>,
}

/// Past this many CPUs the busy map's rows are drawn as images as fine as the
/// quantized map ([`MAX_BAND_COLUMNS`] columns) rather than as SVG cells,
/// which the cell budget would hold to [`CELL_BUDGET`] / rows columns (25 at
/// 400 rows).
///
/// [`CELL_BUDGET`]: crate::summary::load::CELL_BUDGET
pub const RASTER_FROM_CPUS: usize = 100;

/// A heat-map row's busy % summed over a column's samples, each sample's
/// figure the mean of the row's CPUs that had data in it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RowBusy {
    pub sum: f64,
    /// Samples with data for the row.
    pub n: u32,
}

impl RowBusy {
    /// The row's mean busy % over the column (`None`: no data).
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / f64::from(self.n))
    }

    /// Adds one sample of the CPUs in `members`.
    fn add(&mut self, members: &[usize], loads: &[CpuLoad]) {
        let with_data = members
            .iter()
            .filter_map(|&slot| loads.get(slot))
            .filter(|load| **load != CpuLoad::default());
        let (sum, count) = with_data.fold((0.0, 0u32), |(sum, count), load| {
            (sum + load.busy(), count + 1)
        });
        if count > 0 {
            self.sum += sum / f64::from(count);
            self.n += 1;
        }
    }
}

impl Column {
    /// A column of no samples yet.
    pub fn empty(cpus: usize, t_start: f64) -> Column {
        Column {
            t_start,
            t_end: t_start,
            samples: 0,
            cpus: vec![LoadSums::default(); cpus],
            busy_bands: [0; BUSY_BANDS],
            rows: Vec::new(),
        }
    }

    fn merge(&mut self, other: &Column) {
        self.t_end = other.t_end;
        self.samples += other.samples;
        for (mine, theirs) in self.cpus.iter_mut().zip(&other.cpus) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.busy_bands.iter_mut().zip(&other.busy_bands) {
            *mine += theirs;
        }
        for (mine, theirs) in self.rows.iter_mut().zip(&other.rows) {
            mine.sum += theirs.sum;
            mine.n += theirs.n;
        }
    }

    /// The mean number of CPUs in busy band `band` over the column's samples.
    pub fn cpus_in_band(&self, band: usize) -> f64 {
        match self.samples {
            0 => 0.0,
            n => self.busy_bands[band] as f64 / n as f64,
        }
    }
}

/// How many CPUs were in each busy band from `t_start` to `t_end`: a column
/// of a quantized heat map (of one trace, or of a fleet's CPUs together).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandColumn {
    pub t_start: f64,
    pub t_end: f64,
    /// Mean number of CPUs in each band.
    pub cpus: [f64; BUSY_BANDS],
}

impl BandColumn {
    /// The bands of a heat-map column.
    pub fn of(column: &Column) -> BandColumn {
        BandColumn {
            t_start: column.t_start,
            t_end: column.t_end,
            cpus: std::array::from_fn(|band| column.cpus_in_band(band)),
        }
    }
}

/// Merges neighbouring columns pairwise until at most `max` remain.
pub fn merge_columns(mut columns: Vec<Column>, max: usize) -> Vec<Column> {
    let max = max.max(1);
    while columns.len() > max {
        let mut merged = Vec::with_capacity(columns.len().div_ceil(2));
        let mut iter = columns.into_iter();
        while let Some(mut first) = iter.next() {
            if let Some(second) = iter.next() {
                first.merge(&second);
            }
            merged.push(first);
        }
        columns = merged;
    }
    columns
}

/// Streams samples into at most `2 × max` equal columns, halving as it goes.
/// Columns of busy bands only (no per-CPU sums) are this many at most: the
/// quantized map has ten rows whatever the CPU count, so it can be as fine
/// as the widest heat map.
pub const MAX_BAND_COLUMNS: usize = 600;

struct Binner {
    max: usize,
    per_column: u32,
    done: Vec<Column>,
    current: Option<Column>,
    /// CPUs whose sums each column keeps (0: busy bands only).
    cpus: usize,
    /// Heat-map rows (their CPUs' slots) whose busy % each column keeps.
    rows: Vec<Vec<usize>>,
}

impl Binner {
    fn new(cpus: usize, max: usize) -> Binner {
        Binner {
            max: max.max(1),
            per_column: 1,
            done: Vec::new(),
            current: None,
            cpus,
            rows: Vec::new(),
        }
    }

    /// Each column also keeps the busy % of these heat-map rows.
    fn with_rows(mut self, rows: Vec<Vec<usize>>) -> Binner {
        self.rows = rows;
        self
    }

    fn push(&mut self, t_start: f64, sample: &Sample) {
        let rows = self.rows.len();
        let column = self.current.get_or_insert_with(|| Column {
            rows: vec![RowBusy::default(); rows],
            ..Column::empty(self.cpus, t_start)
        });
        column.t_end = sample.t;
        column.samples += 1;
        for (busy, members) in column.rows.iter_mut().zip(&self.rows) {
            busy.add(members, &sample.cpus);
        }
        for (slot, load) in sample.cpus.iter().enumerate() {
            let has_data = match column.cpus.get_mut(slot) {
                Some(sums) => sums.add(load),
                None => *load != CpuLoad::default(),
            };
            if has_data {
                column.busy_bands[busy_band(load.busy())] += 1;
            }
        }
        if column.samples == self.per_column {
            self.done
                .push(self.current.take().expect("current column exists"));
            if self.done.len() >= 2 * self.max {
                self.done = merge_columns(std::mem::take(&mut self.done), self.max);
                self.per_column *= 2;
            }
        }
    }

    fn finish(mut self) -> Vec<Column> {
        if let Some(column) = self.current.take() {
            self.done.push(column);
        }
        merge_columns(self.done, self.max)
    }
}

/// Most rows a heat map draws (and rows of the per-CPU tables): with more CPUs,
/// neighbouring CPUs share a row, so pictures and pages stay bounded.
pub const MAX_HEAT_ROWS: usize = 400;

/// One drawn row or panel: one CPU, or a run of neighbouring CPUs merged when a
/// trace has more CPUs than a drawing has rows.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuRow {
    /// Indexes into each sample's `cpus`.
    pub members: Vec<usize>,
    pub first_cpu: u32,
    pub last_cpu: u32,
}

impl CpuRow {
    /// `cpu3`, or `cpu0–cpu20` for merged CPUs.
    pub fn label(&self) -> String {
        match self.is_merged() {
            false => format!("cpu{}", self.first_cpu),
            true => format!("cpu{}–cpu{}", self.first_cpu, self.last_cpu),
        }
    }

    /// `cpu3`, or `0–20` for merged CPUs (for narrow table headers).
    pub fn short_label(&self) -> String {
        match self.is_merged() {
            false => format!("cpu{}", self.first_cpu),
            true => format!("{}–{}", self.first_cpu, self.last_cpu),
        }
    }

    pub fn is_merged(&self) -> bool {
        self.members.len() > 1
    }

    /// The members' sums taken together, from per-CPU sums (a column's, or the
    /// totals).
    pub fn sums(&self, per_cpu: &[LoadSums]) -> LoadSums {
        let mut sums = LoadSums::default();
        for &member in &self.members {
            sums.merge(&per_cpu[member]);
        }
        sums
    }
}

/// Everything the report draws from one trace.
#[derive(Debug, Clone)]
pub struct TraceSummary {
    pub meta: Meta,
    pub columns: Vec<Column>,
    /// The same samples binned finer for the quantized map, busy bands only
    /// (at most [`MAX_BAND_COLUMNS`]).
    pub band_columns: Vec<Column>,
    /// Per CPU, over the whole trace (sample means, and the busiest sample).
    pub totals: Vec<LoadSums>,
    /// Per CPU, over the whole trace, each sample weighted by its interval.
    pub whole: Vec<Weighted>,
    pub sample_count: usize,
    pub first_t: f64,
    pub last_t: f64,
    pub events: Vec<Event>,
    pub events_dropped: usize,
    pub end: Option<(f64, End)>,
    /// The last line was cut off (the writer was killed mid-line).
    pub truncated: bool,
    /// The workload's part of the trace, time-weighted; `None` for traces
    /// without a workload start (imports, runs interrupted before it).
    pub window: Option<WorkloadWindow>,
    /// The workload's threads (`None` for traces without tasks).
    pub threads: Option<ThreadsSummary>,
    /// What the scheduler's events recorded (`None` unless the trace's
    /// source of who ran where is `events`).
    pub sched: Option<SchedSummary>,
}

impl TraceSummary {
    /// Reads every record of a trace; `max_columns` bounds the heat map width.
    pub fn build<E>(
        meta: Meta,
        records: impl Iterator<Item = Result<Record, E>>,
        max_columns: usize,
    ) -> Result<TraceSummary, E> {
        let cpus = meta.cpus.len();
        let mut binner = Binner::new(cpus, max_columns);
        let band_binner = Binner::new(0, MAX_BAND_COLUMNS.max(max_columns));
        let mut summary = TraceSummary {
            meta,
            columns: Vec::new(),
            band_columns: Vec::new(),
            totals: vec![LoadSums::default(); cpus],
            whole: vec![Weighted::default(); cpus],
            sample_count: 0,
            first_t: 0.0,
            last_t: 0.0,
            events: Vec::new(),
            events_dropped: 0,
            end: None,
            truncated: false,
            window: None,
            threads: None,
            sched: None,
        };
        let mut band_binner = match cpus > RASTER_FROM_CPUS {
            true => band_binner.with_rows(summary.drawn_rows().map(|r| r.members).collect()),
            false => band_binner,
        };
        let mut sched = SchedSummary::for_meta(&summary.meta);
        let mut window = WindowBuilder::new(cpus);
        let mut threads = ThreadsBuilder::new(&summary.meta);
        let cpu_numbers: Vec<u32> = summary.meta.cpus.iter().map(|c| c.cpu).collect();
        let mut marks: (Option<f64>, Option<f64>) = (None, None);
        // A coreheat trace of ticks reads the counters once at its start, so
        // its first sample covers [0, t] however long the baseline; other
        // traces' first sample covers one interval before it.
        let mut previous_t: Option<f64> = summary.meta.counted_from_start().then_some(0.0);
        for record in records {
            match record? {
                Record::Sample(sample) => {
                    let t_start = previous_t
                        .unwrap_or(sample.t - summary.meta.interval_s)
                        .max(0.0);
                    if summary.sample_count == 0 {
                        summary.first_t = t_start;
                    }
                    previous_t = Some(sample.t);
                    summary.last_t = sample.t;
                    summary.sample_count += 1;
                    for (sums, load) in summary.totals.iter_mut().zip(&sample.cpus) {
                        sums.add(load);
                    }
                    for (weighted, load) in summary.whole.iter_mut().zip(&sample.cpus) {
                        weighted.add(load, sample.t - t_start);
                    }
                    window.add_sample(t_start, sample.t, &sample.cpus);
                    if let Some(threads) = threads.as_mut() {
                        let in_window = marks.0.is_some_and(|start| sample.t > start)
                            && marks.1.is_none_or(|end| t_start < end);
                        threads.sample(t_start, sample.t, in_window, &sample.cpus, &cpu_numbers);
                    }
                    binner.push(t_start, &sample);
                    band_binner.push(t_start, &sample);
                }
                Record::Event(event) => {
                    match event.event {
                        EventKind::WorkloadStart => {
                            marks.0 = Some(event.t);
                            window.workload_started(event.t)
                        }
                        EventKind::WorkloadEnd => {
                            marks.1 = Some(event.t);
                            window.workload_ended(event.t)
                        }
                        _ => {}
                    }
                    if summary.events.len() < MAX_EVENTS {
                        summary.events.push(event);
                    } else {
                        summary.events_dropped += 1;
                    }
                }
                Record::End { t, end } => summary.end = Some((t, end)),
                Record::Sched { batch, .. } => {
                    if let Some(sched) = sched.as_mut() {
                        sched.add(batch);
                    }
                }
                Record::Task { task, .. } => threads.iter_mut().for_each(|b| b.task(task.clone())),
                Record::Tasks { rows, ended, .. } => threads.iter_mut().for_each(|b| {
                    b.rows(&rows);
                    b.ended(&ended);
                }),
            }
        }
        summary.columns = binner.finish();
        summary.band_columns = band_binner.finish();
        let end_cpu_s = summary.end.as_ref().map(|(_, end)| end.user_s + end.sys_s);
        summary.threads = threads.map(|builder| builder.finish(end_cpu_s));
        summary.window = window.finish();
        if let (Some(threads), Some(window)) = (summary.threads.as_mut(), &summary.window) {
            threads.late_samples = window.late_samples(summary.meta.interval_s);
        }
        summary.sched = sched;
        Ok(summary)
    }

    /// The workload's figures of record, when the trace has a workload window.
    pub fn measures(&self) -> Option<Measures> {
        let window = self.window.as_ref()?;
        Some(Measures::of(
            &self.meta,
            window,
            self.end.as_ref().map(|(_, end)| end),
        ))
    }

    /// Warnings about the measurement (see [`crate::summary::warnings`]).
    pub fn warnings(&self) -> Vec<Warning> {
        match &self.window {
            Some(window) => warnings(&self.meta, window, self.end.as_ref().map(|(_, end)| end)),
            None => Vec::new(),
        }
    }

    /// The workload window in the trace's µs: from its start mark to its end
    /// mark (or the last sample); `None` without a start mark.
    pub fn window_us(&self) -> Option<(u64, u64)> {
        let start = self.event_time(EventKind::WorkloadStart)?;
        let end = self
            .event_time(EventKind::WorkloadEnd)
            .unwrap_or(self.last_t)
            .max(start);
        Some(((start * 1e6).round() as u64, (end * 1e6).round() as u64))
    }

    /// How many of the workload's threads ran at once over its window, from
    /// the scheduler's events (`None` without them).
    pub fn concurrency(&self) -> Option<Vec<ConcurrencyBar>> {
        let sched = self.sched.as_ref()?;
        let (from, to) = self.window_us()?;
        Some(concurrency(sched.slices.iter(), from, to))
    }

    /// The scheduler's record in totals, for `run --json`.
    pub fn sched_totals(&self) -> SchedTotals {
        let sched = self.sched.as_ref();
        SchedTotals {
            meta: self.meta.sched.clone(),
            events: sched.map_or(0, |s| {
                s.slices.len() as u64 + s.not_kept + s.migrations.values().sum::<u64>()
            }),
            lost: sched.map_or(0, |s| s.lost),
            dropped: sched.map_or(0, |s| s.dropped),
            unpaired: sched.map_or(0, |s| s.unpaired),
            concurrency: self.concurrency().unwrap_or_default(),
        }
    }

    /// Time of the first event of a kind.
    pub fn event_time(&self, kind: EventKind) -> Option<f64> {
        self.events.iter().find(|e| e.event == kind).map(|e| e.t)
    }

    /// Seconds covered by the samples.
    pub fn duration(&self) -> f64 {
        (self.last_t - self.first_t).max(0.0)
    }

    /// The heat map's rows in labelled groups: with at most [`MAX_HEAT_ROWS`]
    /// CPUs one row per CPU grouped by physical core ([`Self::core_groups`]);
    /// with more, one unlabelled group of rows of neighbouring CPU numbers.
    pub fn heat_rows(&self) -> Vec<(String, Vec<CpuRow>)> {
        if self.meta.cpus.len() <= MAX_HEAT_ROWS {
            return self
                .core_groups()
                .into_iter()
                .map(|(label, members)| (label, self.rows_of(&members, 1)))
                .collect();
        }
        vec![(String::new(), self.cpu_rows(MAX_HEAT_ROWS))]
    }

    /// The heat map's rows in drawing order (its groups one after the other).
    pub fn drawn_rows(&self) -> impl Iterator<Item = CpuRow> {
        self.heat_rows().into_iter().flat_map(|(_, rows)| rows)
    }

    /// Whether the busy map's rows are drawn as images from the band columns'
    /// row figures (past [`RASTER_FROM_CPUS`] CPUs).
    pub fn busy_rows_as_images(&self) -> bool {
        self.band_columns
            .first()
            .is_some_and(|c| !c.rows.is_empty())
    }

    /// At most `max` rows in sample order: one per CPU when they fit, else runs
    /// of neighbouring CPU numbers, all of one length but the last.
    pub fn cpu_rows(&self, max: usize) -> Vec<CpuRow> {
        let count = self.meta.cpus.len();
        if count <= max {
            return self.rows_of(&(0..count).collect::<Vec<_>>(), 1);
        }
        let mut by_number: Vec<usize> = (0..count).collect();
        by_number.sort_by_key(|&slot| self.meta.cpus[slot].cpu);
        self.rows_of(&by_number, count.div_ceil(max.max(1)))
    }

    fn rows_of(&self, slots: &[usize], per_row: usize) -> Vec<CpuRow> {
        slots
            .chunks(per_row.max(1))
            .map(|chunk| CpuRow {
                members: chunk.to_vec(),
                first_cpu: self.meta.cpus[chunk[0]].cpu,
                last_cpu: self.meta.cpus[chunk[chunk.len() - 1]].cpu,
            })
            .collect()
    }

    /// Whether every CPU of `row` is outside the CPUs the run was allowed to
    /// use: its load is other programs'.
    pub fn row_outside(&self, row: &CpuRow) -> bool {
        self.meta.allowed_cpus.as_ref().is_some_and(|allowed| {
            row.members
                .iter()
                .all(|&slot| !allowed.contains(&self.meta.cpus[slot].cpu))
        })
    }

    /// Whether the trace knows which CPUs share a physical core: imports of
    /// files without a topology (dstat, mpstat without -T) do not, and say so
    /// with 0 physical cores.
    pub fn topology_known(&self) -> bool {
        self.meta.physical_cores > 0
    }

    /// Logical CPUs grouped by physical core (siblings together), cores in order
    /// of package, then lowest CPU: each entry is (core label, sample indexes).
    /// Without a known topology, all CPUs are one group, `topology unknown`.
    pub fn core_groups(&self) -> Vec<(String, Vec<usize>)> {
        if !self.topology_known() {
            return vec![(
                UNKNOWN_TOPOLOGY.to_string(),
                (0..self.meta.cpus.len()).collect(),
            )];
        }
        let mut keys: Vec<(u32, u32)> = Vec::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (index, cpu) in self.meta.cpus.iter().enumerate() {
            let key = (cpu.package, cpu.core);
            match keys.iter().position(|k| *k == key) {
                Some(at) => groups[at].push(index),
                None => {
                    keys.push(key);
                    groups.push(vec![index]);
                }
            }
        }
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by_key(|&i| (keys[i].0, self.meta.cpus[groups[i][0]].cpu));
        let packages = {
            let mut p: Vec<u32> = keys.iter().map(|k| k.0).collect();
            p.sort_unstable();
            p.dedup();
            p.len()
        };
        order
            .into_iter()
            .map(|i| {
                let cpus: Vec<String> = groups[i]
                    .iter()
                    .map(|&s| format!("cpu{}", self.meta.cpus[s].cpu))
                    .collect();
                let package = if packages > 1 {
                    format!("pkg {} · ", keys[i].0)
                } else {
                    String::new()
                };
                (
                    format!("{package}core {} · {}", keys[i].1, cpus.join(" ")),
                    groups[i].clone(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TraceCpu;

    fn meta(cpus: &[(u32, u32)]) -> Meta {
        Meta {
            cpus: cpus
                .iter()
                .map(|&(cpu, core)| TraceCpu {
                    cpu,
                    core,
                    package: 0,
                })
                .collect(),
            physical_cores: cpus
                .iter()
                .map(|&(_, core)| core)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            interval_s: 1.0,
            ..Meta::default()
        }
    }

    fn sample(t: f64, usr: &[f64]) -> Record {
        Record::Sample(Sample {
            t,
            cpus: usr
                .iter()
                .map(|&u| CpuLoad {
                    usr: u,
                    idle: 100.0 - u,
                    ..CpuLoad::default()
                })
                .collect(),
        })
    }

    #[test]
    fn binning_keeps_means_and_max() {
        let records: Vec<Result<Record, ()>> = (1..=1000)
            .map(|t| Ok(sample(t as f64, &[if t % 2 == 0 { 100.0 } else { 0.0 }])))
            .collect();
        let summary = TraceSummary::build(meta(&[(0, 0)]), records.into_iter(), 100).unwrap();
        assert!(
            summary.columns.len() <= 100 && summary.columns.len() > 50,
            "{}",
            summary.columns.len()
        );
        let total: u32 = summary.columns.iter().map(|c| c.samples).sum();
        assert_eq!(total, 1000);
        for column in &summary.columns {
            let mean = column.cpus[0].mean().unwrap();
            assert!((mean.usr - 50.0).abs() < 1e-9);
            assert_eq!(column.cpus[0].max_busy, 100.0);
        }
        assert_eq!(summary.first_t, 0.0);
        assert_eq!(summary.last_t, 1000.0);
        assert!((summary.totals[0].mean().unwrap().usr - 50.0).abs() < 1e-9);
    }

    #[test]
    fn busy_bands_count_cpus_per_sample_in_the_one_streaming_pass() {
        let records: Vec<Result<Record, ()>> = (1..=1000)
            .map(|t| Ok(sample(t as f64, &[5.0, 55.0, 100.0, 59.9])))
            .collect();
        let cpus = [(0, 0), (1, 1), (2, 2), (3, 3)];
        let summary = TraceSummary::build(meta(&cpus), records.into_iter(), 100).unwrap();
        for column in summary.columns.iter().chain(&summary.band_columns) {
            let bands: Vec<f64> = (0..BUSY_BANDS).map(|b| column.cpus_in_band(b)).collect();
            assert_eq!(bands, [1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0]);
        }
        // The heat map's columns hold 16 samples each; the bands' are finer.
        assert_eq!(summary.columns.len(), 63);
        assert_eq!(summary.band_columns.len(), 500);
        assert!(summary.band_columns.iter().all(|c| c.cpus.is_empty()));
        assert_eq!(busy_band(f64::NAN), 0);
        assert_eq!(busy_band(-3.0), 0);
        assert_eq!(busy_band(10.0), 1);
    }

    #[test]
    fn short_traces_are_not_binned() {
        let records: Vec<Result<Record, ()>> =
            (1..=5).map(|t| Ok(sample(t as f64, &[10.0]))).collect();
        let summary = TraceSummary::build(meta(&[(0, 0)]), records.into_iter(), 100).unwrap();
        assert_eq!(summary.columns.len(), 5);
        assert_eq!(summary.columns[2].t_start, 2.0);
        assert_eq!(summary.columns[2].t_end, 3.0);
    }

    #[test]
    fn cpus_group_by_core_with_siblings_together() {
        // Intel-style: cpu0/cpu2 share core 0, cpu1/cpu3 share core 1.
        let summary = TraceSummary::build(
            meta(&[(0, 0), (1, 1), (2, 0), (3, 1)]),
            std::iter::empty::<Result<Record, ()>>(),
            10,
        )
        .unwrap();
        let groups = summary.core_groups();
        assert_eq!(groups[0], ("core 0 · cpu0 cpu2".to_string(), vec![0, 2]));
        assert_eq!(groups[1], ("core 1 · cpu1 cpu3".to_string(), vec![1, 3]));
    }

    #[test]
    fn many_cpus_merge_into_bounded_rows_of_neighbours() {
        let cpus: Vec<(u32, u32)> = (0..1000).rev().map(|c| (c, c / 2)).collect();
        let summary =
            TraceSummary::build(meta(&cpus), std::iter::empty::<Result<Record, ()>>(), 10).unwrap();
        let rows = summary.cpu_rows(MAX_HEAT_ROWS);
        assert_eq!(rows.len(), 334, "1000 CPUs, 3 per row");
        assert_eq!(rows[0].label(), "cpu0–cpu2");
        assert_eq!(rows[333].label(), "cpu999");
        let heat = summary.heat_rows();
        assert_eq!(heat.len(), 1);
        assert_eq!(heat[0].1, rows);
        assert_eq!(summary.cpu_rows(1000).len(), 1000);
    }

    #[test]
    fn cpus_of_an_unknown_topology_are_one_group_that_says_so() {
        let mut meta = meta(&[(0, 0), (1, 1), (2, 2)]);
        meta.physical_cores = 0;
        let summary =
            TraceSummary::build(meta, std::iter::empty::<Result<Record, ()>>(), 10).unwrap();
        assert!(!summary.topology_known());
        assert_eq!(
            summary.core_groups(),
            vec![("topology unknown".to_string(), vec![0, 1, 2])]
        );
    }

    #[test]
    fn samples_without_data_are_not_counted_as_idle() {
        let records: Vec<Result<Record, ()>> = vec![
            Ok(Record::Sample(Sample {
                t: 1.0,
                cpus: vec![CpuLoad::default()],
            })),
            Ok(sample(2.0, &[40.0])),
        ];
        let summary = TraceSummary::build(meta(&[(0, 0)]), records.into_iter(), 10).unwrap();
        assert_eq!(summary.columns[0].cpus[0].mean(), None);
        assert_eq!(summary.totals[0].mean().unwrap().usr, 40.0);
    }
}
