//! The run's figures of record and warnings about the measurement itself, as
//! hyperfine warns: each warning has a code, a threshold stated here (and in
//! docs/trace-format.md), and a message that says what to do.
//!
//! - `other-load`: other programs used more than [`OTHER_LOAD_SHARE`] of the
//!   workload's own CPU time during it (and more than the counters' resolution,
//!   one tick of 1/100 s per CPU per sample).
//! - `busy-before`: a CPU was over [`BUSY_BEFORE_PERCENT`] busy in the baseline.
//! - `underused`: a built-in CPU-bound workload got less than
//!   [`UNDERUSED_SHARE`] of the CPU its workers asked for (workers, capped by the
//!   allowed CPUs and the CPU quota).
//! - `too-short`: fewer than [`MIN_SAMPLES`] samples inside the workload.
//! - `steal`: a CPU had more than [`STEAL_PERCENT`] steal during the workload.

use serde::{Deserialize, Serialize};

use super::window::WorkloadWindow;
use crate::model::workload::WorkloadMeta;
use crate::model::{End, Meta};
use crate::util::units::format_cpus;

pub const OTHER_LOAD_SHARE: f64 = 0.10;
pub const BUSY_BEFORE_PERCENT: f64 = 10.0;
pub const UNDERUSED_SHARE: f64 = 0.80;
pub const MIN_SAMPLES: u32 = 3;
pub const STEAL_PERCENT: f64 = 5.0;
/// One tick of /proc/stat, in seconds: the resolution of sampled CPU time.
const TICK_S: f64 = 0.01;

/// A warning about the measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// The codes of a run's warnings, as they are read back from a saved sweep.
pub const RUN_CODES: [&str; 5] = [
    "other-load",
    "busy-before",
    "underused",
    "too-short",
    "steal",
];

/// A run's warning as sweep.json saved it; a code this coreheat does not
/// write is an error that names it.
impl<'de> Deserialize<'de> for Warning {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Saved {
            code: String,
            message: String,
        }
        let saved = Saved::deserialize(deserializer)?;
        let Some(code) = RUN_CODES.into_iter().find(|c| *c == saved.code) else {
            return Err(serde::de::Error::custom(format!(
                "'{}' is not a warning of a run (those are {})",
                saved.code,
                RUN_CODES.join(", ")
            )));
        };
        Ok(Warning {
            code,
            message: saved.message,
        })
    }
}

/// The figures a reader takes first, for the workload window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measures {
    /// Mean CPUs the workload kept busy: its own CPU time over its wall time
    /// (the machine's busy CPUs where the workload's CPU time is not known).
    pub cpus_in_use: f64,
    /// User + sys seconds of the workload's process tree (rusage).
    pub workload_cpu_s: Option<f64>,
    /// Busy CPU-seconds in the window of the CPUs the run may use (all of
    /// the machine's, unless restricted), from the samples; steal excluded.
    pub machine_busy_cpu_s: f64,
    /// The machine's busy CPU-seconds not the workload's; never below 0.
    pub other_cpu_s: Option<f64>,
}

/// Whether the CPU in sample slot `slot` is one the run was allowed to use
/// (every CPU, when the trace does not say): other programs on the others do
/// not compete with the workload.
pub fn allowed_slot(meta: &Meta, slot: usize) -> bool {
    match (&meta.allowed_cpus, meta.cpus.get(slot)) {
        (Some(allowed), Some(cpu)) => allowed.contains(&cpu.cpu),
        _ => true,
    }
}

/// What the run could use at most, in CPUs: its allowed CPUs, capped by the
/// CPU quota.
pub fn capacity(meta: &Meta) -> f64 {
    let allowed = meta.allowed_cpus.as_ref().map_or(meta.cpus.len(), Vec::len) as f64;
    match meta.cpu_quota.as_ref().and_then(|q| q.cpus()) {
        Some(quota) => allowed.min(quota),
        None => allowed,
    }
}

impl Measures {
    pub fn of(meta: &Meta, window: &WorkloadWindow, end: Option<&End>) -> Measures {
        let machine_busy_cpu_s = window.busy_cpu_s_of(|slot| allowed_slot(meta, slot));
        let workload_cpu_s = end.map(|e| e.user_s + e.sys_s);
        let cpus_in_use = match end {
            Some(e) if e.wall_s > 0.0 => (e.user_s + e.sys_s) / e.wall_s,
            _ => window.machine_cpus_busy(),
        };
        Measures {
            cpus_in_use,
            workload_cpu_s,
            machine_busy_cpu_s,
            other_cpu_s: workload_cpu_s.map(|own| (machine_busy_cpu_s - own).max(0.0)),
        }
    }
}

/// Every warning that applies to this run.
pub fn warnings(meta: &Meta, window: &WorkloadWindow, end: Option<&End>) -> Vec<Warning> {
    let measures = Measures::of(meta, window, end);
    [
        other_load(meta, window, &measures, end),
        busy_before(meta, window),
        underused(meta, end, &measures),
        too_short(meta, window),
        steal(meta, window),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn other_load(
    meta: &Meta,
    window: &WorkloadWindow,
    measures: &Measures,
    end: Option<&End>,
) -> Option<Warning> {
    if measures_the_machine_itself(meta) {
        return None;
    }
    let (own, other) = (measures.workload_cpu_s?, measures.other_cpu_s?);
    let resolution = TICK_S * meta.cpus.len() as f64 * f64::from(window.samples.max(1));
    if other <= OTHER_LOAD_SHARE * own || other <= resolution {
        return None;
    }
    let share = if own >= resolution {
        format!("{:.0} % of its own {own:.2} CPU-s", 100.0 * other / own)
    } else {
        format!("while it used {own:.2} CPU-s itself")
    };
    let message = match left_running(end) {
        0 => format!(
            "other programs used {other:.2} CPU-s on its CPUs while the workload ran \
             ({share}): the heat map shows their load too; run on a quieter machine"
        ),
        n => format!(
            "{other:.2} CPU-s on its CPUs were not the command's own CPU time ({share}); \
             the command left {} running, and its CPU time counts only processes that \
             ended, so that load may be the command's own (the threads view shows it as \
             the workload's) as well as other programs'",
            crate::util::text::plural(n as usize, "process")
        ),
    };
    Some(Warning {
        code: "other-load",
        message,
    })
}

/// CPUs named one by one in the busy-before warning; more are summed up.
const BUSY_BEFORE_NAMED: usize = 4;

fn busy_before(meta: &Meta, window: &WorkloadWindow) -> Option<Warning> {
    if measures_the_machine_itself(meta) {
        return None;
    }
    let allowed = (0..meta.cpus.len())
        .filter(|&slot| allowed_slot(meta, slot))
        .count();
    let mut busy: Vec<(u32, f64)> = window
        .before
        .iter()
        .zip(&meta.cpus)
        .enumerate()
        .filter(|(slot, _)| allowed_slot(meta, *slot))
        .map(|(_, pair)| pair)
        .filter_map(|(w, cpu)| {
            let percent = w.mean()?.busy();
            (percent > BUSY_BEFORE_PERCENT).then_some((cpu.cpu, percent))
        })
        .collect();
    if busy.is_empty() {
        return None;
    }
    let named = |cpus: &[(u32, f64)]| {
        cpus.iter()
            .map(|(cpu, percent)| format!("cpu{cpu} {percent:.0} %"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let which = if busy.len() <= BUSY_BEFORE_NAMED {
        named(&busy)
    } else {
        let mean = busy.iter().map(|(_, p)| p).sum::<f64>() / busy.len() as f64;
        busy.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        format!(
            "{} of {allowed} CPUs, {mean:.0} % busy on average; the busiest {}",
            busy.len(),
            named(&busy[..BUSY_BEFORE_NAMED])
        )
    };
    Some(Warning {
        code: "busy-before",
        message: format!(
            "CPUs were busy before the workload started ({which}): another program was \
             running; its load likely continued during the run"
        ),
    })
}

/// Processes a traced command started and left running when it ended.
fn left_running(end: Option<&End>) -> u32 {
    match end.and_then(|e| e.result.as_ref()) {
        Some(crate::model::workload::WorkloadResult::Exec(exec)) => exec.left_running,
        _ => 0,
    }
}

/// An idle run measures the machine's own load: other programs' load is what
/// it shows, not a flaw of the measurement.
fn measures_the_machine_itself(meta: &Meta) -> bool {
    matches!(meta.workload, Some(WorkloadMeta::Idle { .. }))
}

fn underused(meta: &Meta, end: Option<&End>, measures: &Measures) -> Option<Warning> {
    let kind = meta.workload.as_ref()?;
    let end = end?;
    let computes = matches!(kind, WorkloadMeta::Hash { .. } | WorkloadMeta::Count { .. });
    if !computes || end.status != crate::model::Status::Ok {
        return None;
    }
    let demand = capacity(meta).min(meta.workers.max(1) as f64);
    if measures.cpus_in_use >= UNDERUSED_SHARE * demand {
        return None;
    }
    Some(Warning {
        code: "underused",
        message: format!(
            "the workers got {} CPUs of the {} they could use ({:.0} %): other programs, \
             or workers waiting on each other, held them back",
            format_cpus(measures.cpus_in_use),
            format_cpus(demand),
            100.0 * measures.cpus_in_use / demand
        ),
    })
}

fn too_short(meta: &Meta, window: &WorkloadWindow) -> Option<Warning> {
    if window.samples >= MIN_SAMPLES {
        return None;
    }
    let suggestion = if let Some(late) = window.late_samples(meta.interval_s) {
        format!("; {late}")
    } else if meta.interval_s > 0.1 {
        "; sample more often (--interval 100ms) or run longer".to_string()
    } else {
        "; run a longer workload".to_string()
    };
    Some(Warning {
        code: "too-short",
        message: format!(
            "only {} sample{} inside the workload: the heat map cannot show how the load \
             changed{suggestion}",
            window.samples,
            if window.samples == 1 { "" } else { "s" },
        ),
    })
}

fn steal(meta: &Meta, window: &WorkloadWindow) -> Option<Warning> {
    let worst = window
        .per_cpu
        .iter()
        .zip(&meta.cpus)
        .filter_map(|(w, cpu)| Some((w.mean()?.steal, cpu.cpu)))
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    if worst.0 <= STEAL_PERCENT {
        return None;
    }
    Some(Warning {
        code: "steal",
        message: format!(
            "cpu{} lost {:.0} % of its time to steal: this is a shared virtual machine and \
             the hypervisor gave the CPU to others; timings vary with them",
            worst.1, worst.0
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CpuLoad, Status, TraceCpu};
    use crate::summary::window::WindowBuilder;

    fn meta(cpus: u32, workers: usize, kind: &str) -> Meta {
        Meta {
            cpus: (0..cpus)
                .map(|cpu| TraceCpu {
                    cpu,
                    core: cpu,
                    package: 0,
                })
                .collect(),
            workers,
            interval_s: 1.0,
            workload: Some(workload(kind)),
            ..Meta::default()
        }
    }

    fn workload(kind: &str) -> WorkloadMeta {
        match kind {
            "hash" => WorkloadMeta::Hash {
                zeros: 5,
                prefix: String::new(),
                engine: "auto".into(),
                engine_used: "scalar".into(),
            },
            "count" => WorkloadMeta::Count {
                n: 1 << 20,
                split: false,
            },
            _ => WorkloadMeta::Idle { duration_s: 1.0 },
        }
    }

    fn end(wall_s: f64, cpu_s: f64) -> End {
        End {
            status: Status::Ok,
            result: None,
            wall_s,
            user_s: cpu_s,
            sys_s: 0.0,
            message: None,
        }
    }

    fn load(usr: f64, steal: f64) -> CpuLoad {
        CpuLoad {
            usr,
            steal,
            idle: 100.0 - usr - steal,
            ..CpuLoad::default()
        }
    }

    /// 4 s of workload on 2 CPUs sampled once a second, each CPU at `usr`.
    fn window(before: f64, usr: f64, steal: f64) -> WorkloadWindow {
        let mut builder = WindowBuilder::new(2);
        builder.add_sample(0.0, 0.5, &[load(before, 0.0), load(0.0, 0.0)]);
        builder.workload_started(0.5);
        for k in 0..4 {
            let t = 0.5 + k as f64;
            builder.add_sample(t, t + 1.0, &[load(usr, steal), load(usr, steal)]);
        }
        builder.workload_ended(4.5);
        builder.finish().unwrap()
    }

    #[test]
    fn too_few_samples_because_they_came_late_say_so_not_sample_more_often() {
        let mut builder = WindowBuilder::new(2);
        builder.workload_started(0.5);
        builder.add_sample(0.5, 1.5, &[load(100.0, 0.0), load(100.0, 0.0)]);
        builder.add_sample(1.5, 9.8, &[load(100.0, 0.0), load(100.0, 0.0)]);
        builder.workload_ended(9.8);
        let late = builder.finish().unwrap();
        let found = too_short(&meta(2, 2, "count"), &late).unwrap();
        assert!(
            found.message.ends_with(
                "; coreheat's samples came late (one interval lasted 8.3 s of 1.0 s): its \
                 sampler waited for a CPU behind the workload; as root or with CAP_SYS_NICE \
                 its threads come first"
            ),
            "{}",
            found.message
        );
    }

    fn codes(warnings: &[Warning]) -> Vec<&'static str> {
        warnings.iter().map(|w| w.code).collect()
    }

    #[test]
    fn a_clean_run_has_no_warning() {
        // 2 workers, both CPUs at 100 %: 8 CPU-s, all the workload's own.
        let warnings = warnings(
            &meta(2, 2, "count"),
            &window(0.0, 100.0, 0.0),
            Some(&end(4.0, 8.0)),
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn many_cpus_busy_before_are_summed_up_with_the_busiest_named() {
        let cpus = 12;
        let mut builder = WindowBuilder::new(cpus);
        let before: Vec<CpuLoad> = (0..cpus)
            .map(|c| load(40.0 + 5.0 * c as f64, 0.0))
            .collect();
        builder.add_sample(0.0, 0.5, &before);
        builder.workload_started(0.5);
        builder.add_sample(0.5, 1.5, &vec![load(100.0, 0.0); cpus]);
        builder.workload_ended(1.5);
        let window = builder.finish().unwrap();
        let w = busy_before(&meta(cpus as u32, 12, "count"), &window).unwrap();
        assert_eq!(
            w.message,
            "CPUs were busy before the workload started (12 of 12 CPUs, 68 % busy on average; \
             the busiest cpu11 95 %, cpu10 90 %, cpu9 85 %, cpu8 80 %): another program was \
             running; its load likely continued during the run"
        );
    }

    #[test]
    fn load_of_a_process_the_command_left_running_is_not_called_other_programs_only() {
        use crate::model::workload::{ExecResult, WorkloadResult};
        let left = End {
            result: Some(WorkloadResult::Exec(ExecResult {
                exit_code: 0,
                signal: None,
                left_running: 1,
            })),
            ..end(4.0, 0.5)
        };
        let w = warnings(&meta(2, 1, "count"), &window(0.0, 100.0, 0.0), Some(&left));
        let other = w
            .iter()
            .find(|w| w.code == "other-load")
            .expect("other-load");
        assert!(
            other
                .message
                .starts_with("7.50 CPU-s on its CPUs were not the command's own")
                && other.message.contains("the command left 1 process running"),
            "{}",
            other.message
        );
    }

    #[test]
    fn an_idle_run_shows_other_programs_without_warning_about_them() {
        let w = warnings(
            &meta(2, 1, "idle"),
            &window(50.0, 100.0, 0.0),
            Some(&end(4.0, 0.0)),
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn measures_compare_the_workloads_time_with_the_machines() {
        let m = Measures::of(
            &meta(2, 2, "count"),
            &window(0.0, 100.0, 0.0),
            Some(&end(4.0, 4.0)),
        );
        assert_eq!(m.cpus_in_use, 1.0);
        assert_eq!(m.machine_busy_cpu_s, 8.0);
        assert_eq!(m.other_cpu_s, Some(4.0));
    }

    #[test]
    fn each_warning_fires_on_the_data_made_for_it() {
        let m = meta(2, 2, "count");
        // Another program: the machine was busy 8 CPU-s, the workload only 4.
        let w = warnings(&m, &window(0.0, 100.0, 0.0), Some(&end(4.0, 4.0)));
        assert_eq!(codes(&w), vec!["other-load", "underused"]);
        assert!(
            w[1].message.contains("got 1 CPUs of the 2"),
            "{}",
            w[1].message
        );
        let w = warnings(&m, &window(50.0, 100.0, 0.0), Some(&end(4.0, 8.0)));
        assert_eq!(codes(&w), vec!["busy-before"]);
        assert!(w[0].message.contains("cpu0 50 %"));
        let w = warnings(&m, &window(0.0, 90.0, 10.0), Some(&end(4.0, 7.2)));
        assert_eq!(codes(&w), vec!["steal"]);
    }

    #[test]
    fn load_on_cpus_the_run_may_not_use_is_not_its_competition() {
        // The run may use cpu0 only; cpu1 is busy with another program before
        // and during the run.
        let mut m = meta(2, 1, "count");
        m.allowed_cpus = Some(vec![0]);
        let w = warnings(&m, &window(50.0, 100.0, 0.0), Some(&end(4.0, 4.0)));
        let codes = codes(&w);
        assert_eq!(codes, vec!["busy-before"], "cpu0 was busy before: {w:?}");
        let measures = Measures::of(&m, &window(0.0, 100.0, 0.0), Some(&end(4.0, 4.0)));
        assert_eq!(measures.machine_busy_cpu_s, 4.0, "cpu1's 4 CPU-s left out");
        assert_eq!(measures.other_cpu_s, Some(0.0));
        assert_eq!(capacity(&m), 1.0);
    }

    #[test]
    fn too_short_and_thresholds_at_their_edges() {
        let m = meta(1, 1, "hash");
        let mut builder = WindowBuilder::new(1);
        builder.workload_started(1.0);
        builder.add_sample(1.0, 1.3, &[load(100.0, 0.0)]);
        builder.workload_ended(1.3);
        let short = builder.finish().unwrap();
        let w = warnings(&m, &short, Some(&end(0.3, 0.3)));
        assert_eq!(codes(&w), vec!["too-short"]);
        assert!(w[0].message.contains("only 1 sample inside"));
        assert!(w[0].message.contains("--interval 100ms"));
        // Exactly 80 % of the demand is not underused; exactly 10 % busy is not busy.
        let two = meta(2, 2, "count");
        assert!(warnings(&two, &window(10.0, 80.0, 0.0), Some(&end(4.0, 6.4))).is_empty());
    }

    #[test]
    fn underused_is_only_for_built_in_workloads_and_respects_a_quota() {
        let idle = warnings(
            &meta(2, 0, "idle"),
            &window(0.0, 0.0, 0.0),
            Some(&end(4.0, 0.0)),
        );
        assert!(idle.is_empty(), "{idle:?}");
        let mut quota = meta(2, 2, "count");
        quota.cpu_quota = Some(crate::model::CpuQuota::Limit {
            cpus: 1.0,
            quota_us: 100_000,
            period_us: 100_000,
            source: String::new(),
        });
        let w = warnings(&quota, &window(0.0, 50.0, 0.0), Some(&end(4.0, 4.0)));
        assert!(
            w.is_empty(),
            "1 CPU of a 1-CPU quota is all it could get: {w:?}"
        );
    }
}
