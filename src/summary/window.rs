//! The workload window: the part of a trace between the workload's start and
//! end events, and each CPU's load during it. A sample covers the interval since
//! the previous one; it counts in proportion to the seconds it overlaps the
//! window, so a short last interval weighs little and the idle baseline and tail
//! weigh nothing. The baseline (before the start) is kept apart, for the
//! `busy-before` warning.

use crate::model::CpuLoad;

/// Sums of load × seconds for one CPU, over the seconds that had data.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Weighted {
    pub seconds: f64,
    sums: CpuLoad,
    /// The busiest sample's busy percent.
    pub max_busy: f64,
}

impl Weighted {
    /// Adds `load` held for `seconds`; a sample without data (all zero) is skipped.
    pub fn add(&mut self, load: &CpuLoad, seconds: f64) {
        if seconds <= 0.0 || *load == CpuLoad::default() {
            return;
        }
        self.seconds += seconds;
        self.max_busy = self.max_busy.max(load.busy());
        self.sums += &(*load * seconds);
    }

    /// Adds another CPU's (or another span's) sums.
    pub fn merge(&mut self, other: &Weighted) {
        self.seconds += other.seconds;
        self.max_busy = self.max_busy.max(other.max_busy);
        self.sums += &other.sums;
    }

    /// The time-weighted mean load, or `None` without data.
    pub fn mean(&self) -> Option<CpuLoad> {
        (self.seconds > 0.0).then(|| self.sums / self.seconds)
    }

    /// CPU-seconds this CPU ran programs or the kernel. Steal is left out: it
    /// is time the hypervisor gave to others, which no program here used.
    pub fn busy_cpu_s(&self) -> f64 {
        (self.sums.busy() - self.sums.steal) / 100.0
    }
}

/// Collects the window's figures sample by sample, as a trace streams past.
#[derive(Debug, Clone, Default)]
pub struct WindowBuilder {
    start: Option<f64>,
    end: Option<f64>,
    inside: Vec<Weighted>,
    before: Vec<Weighted>,
    samples_inside: u32,
    longest_inside: f64,
    last_t: f64,
}

impl WindowBuilder {
    pub fn new(cpus: usize) -> WindowBuilder {
        WindowBuilder {
            inside: vec![Weighted::default(); cpus],
            before: vec![Weighted::default(); cpus],
            ..WindowBuilder::default()
        }
    }

    pub fn workload_started(&mut self, t: f64) {
        self.start.get_or_insert(t);
    }

    pub fn workload_ended(&mut self, t: f64) {
        self.end.get_or_insert(t);
    }

    /// A sample covering `t_start..t_end`.
    pub fn add_sample(&mut self, t_start: f64, t_end: f64, cpus: &[CpuLoad]) {
        self.last_t = self.last_t.max(t_end);
        let Some(start) = self.start else {
            for (weighted, load) in self.before.iter_mut().zip(cpus) {
                weighted.add(load, t_end - t_start);
            }
            return;
        };
        let end = self.end.unwrap_or(f64::INFINITY);
        let overlap = t_end.min(end) - t_start.max(start);
        if overlap <= 0.0 {
            return;
        }
        self.samples_inside += 1;
        self.longest_inside = self.longest_inside.max(t_end - t_start);
        for (weighted, load) in self.inside.iter_mut().zip(cpus) {
            weighted.add(load, overlap);
        }
    }

    /// The window, or `None` when the workload never started.
    pub fn finish(self) -> Option<WorkloadWindow> {
        let start = self.start?;
        let end = self.end.unwrap_or(self.last_t).max(start);
        Some(WorkloadWindow {
            start,
            end,
            ended: self.end.is_some(),
            per_cpu: self.inside,
            before: self.before,
            samples: self.samples_inside,
            longest_interval_s: self.longest_inside,
        })
    }
}

/// The workload's part of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadWindow {
    pub start: f64,
    pub end: f64,
    /// Whether the trace marks the end (a killed run's window runs to its last sample).
    pub ended: bool,
    /// Per CPU, in the header's order, weighted by overlap with the window.
    pub per_cpu: Vec<Weighted>,
    /// Per CPU, the baseline before the workload started.
    pub before: Vec<Weighted>,
    /// Samples that overlap the window.
    pub samples: u32,
    /// The longest interval a sample overlapping the window covered.
    pub longest_interval_s: f64,
}

/// A sample whose interval is longer than this many intervals came late: the
/// sampler did not get a CPU in time.
pub const LATE_INTERVALS: f64 = 2.0;

impl WorkloadWindow {
    pub fn seconds(&self) -> f64 {
        self.end - self.start
    }

    /// Busy CPU-seconds of the whole machine during the window (every program).
    pub fn machine_busy_cpu_s(&self) -> f64 {
        self.busy_cpu_s_of(|_| true)
    }

    /// Busy CPU-seconds of the CPUs whose slots `keep` accepts (every program).
    pub fn busy_cpu_s_of(&self, keep: impl Fn(usize) -> bool) -> f64 {
        self.per_cpu
            .iter()
            .enumerate()
            .filter(|(slot, _)| keep(*slot))
            .map(|(_, w)| w.busy_cpu_s())
            .sum()
    }

    /// When samples inside the window came late (an interval longer than
    /// [`LATE_INTERVALS`] × `interval_s`), in words: what happened, and how
    /// to avoid it.
    pub fn late_samples(&self, interval_s: f64) -> Option<String> {
        (interval_s > 0.0 && self.longest_interval_s > LATE_INTERVALS * interval_s).then(|| {
            format!(
                "coreheat's samples came late (one interval lasted {:.1} s of {interval_s:.1} \
                 s): its sampler waited for a CPU behind the workload; as root or with \
                 CAP_SYS_NICE its threads come first",
                self.longest_interval_s
            )
        })
    }

    /// Mean number of CPUs busy during the window (sum of busy fractions).
    pub fn machine_cpus_busy(&self) -> f64 {
        let seconds = self.seconds();
        if seconds > 0.0 {
            self.machine_busy_cpu_s() / seconds
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(usr: f64, sys: f64) -> CpuLoad {
        CpuLoad {
            usr,
            sys,
            idle: 100.0 - usr - sys,
            ..CpuLoad::default()
        }
    }

    /// A hand-made trace with unequal intervals: a 1 s idle baseline, the
    /// workload from t=1.0 to t=1.25 (one 0.25 s sample at 100 %), and a 1 s
    /// idle tail. The whole-trace unweighted mean would be 33.3 %.
    #[test]
    fn a_short_workload_between_idle_baseline_and_tail() {
        let mut window = WindowBuilder::new(2);
        window.add_sample(0.0, 1.0, &[busy(0.0, 0.0), busy(4.0, 0.0)]);
        window.workload_started(1.0);
        window.workload_ended(1.25);
        window.add_sample(1.0, 1.25, &[busy(100.0, 0.0), busy(60.0, 20.0)]);
        window.add_sample(1.25, 2.25, &[busy(0.0, 0.0), busy(0.0, 0.0)]);
        let w = window.finish().unwrap();
        assert_eq!(w.seconds(), 0.25);
        assert_eq!(w.samples, 1);
        assert_eq!(w.per_cpu[0].mean().unwrap().usr, 100.0);
        assert_eq!(w.per_cpu[1].mean().unwrap().sys, 20.0);
        // 0.25 s × (1.0 + 0.8) CPUs = 0.45 CPU-s; 1.8 CPUs busy.
        assert!((w.machine_busy_cpu_s() - 0.45).abs() < 1e-12);
        assert!((w.machine_cpus_busy() - 1.8).abs() < 1e-12);
        assert_eq!(w.before[1].mean().unwrap().usr, 4.0);
    }

    /// Intervals of 0.5 s and 1.5 s inside a window: weights 1:3.
    #[test]
    fn unequal_intervals_weigh_by_their_length() {
        let mut window = WindowBuilder::new(1);
        window.workload_started(0.0);
        window.add_sample(0.0, 0.5, &[busy(100.0, 0.0)]);
        window.add_sample(0.5, 2.0, &[busy(20.0, 0.0)]);
        window.workload_ended(2.0);
        let w = window.finish().unwrap();
        // (100 × 0.5 + 20 × 1.5) / 2 = 40, not the unweighted 60.
        assert!((w.per_cpu[0].mean().unwrap().usr - 40.0).abs() < 1e-12);
        assert_eq!(w.samples, 2);
    }

    /// A sample that straddles the window's edge counts for its overlap only.
    #[test]
    fn straddling_samples_count_for_their_overlap() {
        let mut window = WindowBuilder::new(1);
        window.workload_started(0.5);
        window.workload_ended(1.5);
        window.add_sample(0.0, 1.0, &[busy(50.0, 0.0)]);
        window.add_sample(1.0, 2.0, &[busy(100.0, 0.0)]);
        let w = window.finish().unwrap();
        assert!((w.per_cpu[0].mean().unwrap().usr - 75.0).abs() < 1e-12);
        assert!((w.machine_busy_cpu_s() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn a_killed_run_has_a_window_to_its_last_sample_and_none_without_a_start() {
        let mut window = WindowBuilder::new(1);
        window.workload_started(1.0);
        window.add_sample(1.0, 2.0, &[busy(100.0, 0.0)]);
        let w = window.finish().unwrap();
        assert!(!w.ended);
        assert_eq!(w.end, 2.0);
        assert!(WindowBuilder::new(1).finish().is_none());
    }

    #[test]
    fn an_interval_over_twice_the_schedule_is_a_late_sample() {
        let mut window = WindowBuilder::new(1);
        window.workload_started(0.5);
        window.add_sample(0.0, 0.5, &[busy(0.0, 0.0)]);
        window.add_sample(0.5, 1.5, &[busy(100.0, 0.0)]);
        window.add_sample(1.5, 4.4, &[busy(100.0, 0.0)]);
        window.workload_ended(4.4);
        let w = window.finish().unwrap();
        assert_eq!(w.longest_interval_s, 2.9000000000000004);
        assert_eq!(
            w.late_samples(1.0).unwrap(),
            "coreheat's samples came late (one interval lasted 2.9 s of 1.0 s): its sampler \
             waited for a CPU behind the workload; as root or with CAP_SYS_NICE its threads \
             come first"
        );
        assert_eq!(w.late_samples(1.5), None, "2.9 s is not over 2 × 1.5 s");
    }

    #[test]
    fn samples_without_data_are_not_idle() {
        let mut weighted = Weighted::default();
        weighted.add(&CpuLoad::default(), 1.0);
        assert_eq!(weighted.mean(), None);
    }
}
