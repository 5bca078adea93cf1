//! What a sweep saves before anything of it is drawn: its plan (title,
//! workload, machine, the configurations with their CPUs) is written to
//! sweep.json before the first run, and again with each run's record as the
//! run ends. The comparison is drawn only from what was read back from it and
//! from the run folders, so `coreheat render SWEEP_DIR` draws the same pages,
//! and a sweep stopped hard (killed, power lost) can still be drawn from the
//! runs it saved.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::machine::Machine;
use crate::machine::pin::PinSpec;
use crate::model::workload::{Engine, Mode, WorkloadMeta, WorkloadSpec};
use crate::summary::sweep_runs::{Configuration, Placement, RunRecord, Scaling};
use crate::util::outdir::{self, SWEEP_JSON_FILE};
use crate::util::sorted_json;

/// One configuration of a sweep's plan and where its workers run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedConfiguration {
    pub mode: Mode,
    /// The pinning as typed: `none`, `spread`, `compact` or a CPU list.
    pub pin: String,
    pub workers: usize,
    /// The CPUs the workers are pinned to, or the CPUs allowed when unpinned.
    pub cpus: Vec<u32>,
    pub pinned: bool,
    /// Pinnings that resolved to the same CPUs and are not run again.
    pub same_as: Vec<String>,
}

/// sweep.json as the sweep saves it while it runs: everything the comparison
/// is drawn from, besides the run folders' traces. The comparison itself
/// (`scaling`, `configurations`, `fits`, `findings`) is added when it is
/// drawn; reading ignores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedSweep {
    pub title: String,
    /// The workload's kind and options, as in a trace header.
    pub workload: WorkloadMeta,
    /// The machine the sweep ran on.
    pub machine: Machine,
    /// Runs of each configuration asked for.
    pub repeat: u32,
    /// The sweep command as typed (without `--title`), when known.
    pub command: Option<String>,
    /// The configurations, in the order they run.
    pub plan: Vec<PlannedConfiguration>,
    /// One record per finished run, in the order they ran.
    pub runs: Vec<RunRecord>,
    /// The sweep did not run to its end: it was stopped, or it is still
    /// running (true until its last run has ended).
    pub interrupted: bool,
}

impl PlannedConfiguration {
    pub fn of(configuration: &Configuration, placement: &Placement) -> PlannedConfiguration {
        PlannedConfiguration {
            mode: configuration.mode,
            pin: configuration.pin.as_text(),
            workers: configuration.workers,
            cpus: placement.cpus.clone(),
            pinned: placement.pinned,
            same_as: placement.same_as.clone(),
        }
    }

    fn placed(&self) -> Result<(Configuration, Placement)> {
        let pin = PinSpec::parse(&self.pin).map_err(|e| anyhow::anyhow!("pin {e}"))?;
        let configuration = Configuration {
            mode: self.mode,
            pin,
            workers: self.workers,
        };
        let placement = Placement {
            cpus: self.cpus.clone(),
            pinned: self.pinned,
            same_as: self.same_as.clone(),
        };
        Ok((configuration, placement))
    }
}

impl SavedSweep {
    /// Writes sweep.json into the sweep folder `dir` (replacing it whole).
    pub fn save(&self, dir: &Path) -> Result<()> {
        let text = sorted_json::to_string_pretty(self)?;
        outdir::write_atomically(&dir.join(SWEEP_JSON_FILE), text.as_bytes())
    }

    /// Reads the sweep.json of the sweep folder `dir`.
    pub fn read(dir: &Path) -> Result<SavedSweep> {
        let path = dir.join(SWEEP_JSON_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {}: a sweep folder holds the sweep.json `coreheat sweep` writes",
                path.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a sweep.json this coreheat can read (written by another version?)",
                path.display()
            )
        })
    }

    /// The workload the sweep ran.
    pub fn spec(&self) -> Result<WorkloadSpec> {
        Ok(match &self.workload {
            WorkloadMeta::Hash {
                zeros,
                prefix,
                engine,
                ..
            } => WorkloadSpec::Hash {
                zeros: *zeros,
                prefix: prefix.clone(),
                engine: Engine::parse(engine).map_err(|e| anyhow::anyhow!("engine {e}"))?,
            },
            WorkloadMeta::Count { n, split } => WorkloadSpec::Count {
                n: *n,
                split: *split,
            },
            other => bail!(
                "a sweep runs hash or count, not {}",
                serde_json::to_string(other).unwrap_or_default()
            ),
        })
    }

    pub fn scaling(&self) -> Result<Scaling> {
        Ok(Scaling::of(&self.spec()?))
    }

    /// The configurations with their placements, and each run with the index
    /// of its configuration.
    #[allow(clippy::type_complexity)]
    pub fn placed_runs(
        &self,
    ) -> Result<(Vec<(Configuration, Placement)>, Vec<(usize, RunRecord)>)> {
        let placed = self
            .plan
            .iter()
            .map(PlannedConfiguration::placed)
            .collect::<Result<Vec<_>>>()?;
        let runs = self
            .runs
            .iter()
            .map(|run| {
                let index = placed
                    .iter()
                    .position(|(c, _)| c.describe() == run.configuration)
                    .with_context(|| {
                        format!(
                            "run {} is of '{}', which is not in the plan",
                            run.dir, run.configuration
                        )
                    })?;
                Ok((index, run.clone()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((placed, runs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::topology::Topology;
    use crate::model::Status;
    use crate::summary::warnings::Warning;

    fn saved() -> SavedSweep {
        let topology = Topology::synthetic(2, 1);
        let configuration = Configuration {
            mode: Mode::Threads,
            pin: PinSpec::List(vec![1, 0]),
            workers: 2,
        };
        let placement = Placement {
            cpus: vec![1, 0],
            pinned: true,
            same_as: vec!["spread".into()],
        };
        SavedSweep {
            title: "count".into(),
            workload: WorkloadSpec::Count { n: 7, split: true }.to_meta(),
            machine: Machine::with_topology(topology),
            repeat: 2,
            command: Some("coreheat sweep count".into()),
            plan: vec![PlannedConfiguration::of(&configuration, &placement)],
            runs: vec![RunRecord {
                configuration: configuration.describe(),
                repeat: 1,
                dir: "01-threads-2w-1_0".into(),
                status: Status::Ok,
                wall_s: 0.1,
                user_s: 0.2,
                sys_s: 0.0,
                result: None,
                command: "coreheat run".into(),
                samples: 3,
                cpus_in_use: Some(1.9),
                warnings: vec![Warning {
                    code: "too-short",
                    message: "short".into(),
                }],
            }],
            interrupted: false,
        }
    }

    #[test]
    fn a_saved_sweep_reads_back_as_it_was_saved() {
        let dir = tempfile::tempdir().unwrap();
        let saved = saved();
        saved.save(dir.path()).unwrap();
        let read = SavedSweep::read(dir.path()).unwrap();
        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            serde_json::to_value(&saved).unwrap()
        );
        let (placed, runs) = read.placed_runs().unwrap();
        assert_eq!(placed[0].0.pin, PinSpec::List(vec![1, 0]));
        assert_eq!(placed[0].1.same_as, vec!["spread".to_string()]);
        assert_eq!(runs[0].0, 0);
        assert_eq!(read.scaling().unwrap(), Scaling::Strong);
    }

    #[test]
    fn a_sweep_json_that_cannot_be_read_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = SavedSweep::read(dir.path()).unwrap_err();
        assert!(format!("{missing:#}").contains("sweep.json"), "{missing:#}");
        let mut saved = serde_json::to_value(saved()).unwrap();
        saved["runs"][0]["warnings"][0]["code"] = "made-up".into();
        std::fs::write(dir.path().join(SWEEP_JSON_FILE), saved.to_string()).unwrap();
        let error = format!("{:#}", SavedSweep::read(dir.path()).unwrap_err());
        assert!(error.contains("'made-up' is not a warning"), "{error}");
        saved["runs"][0]["warnings"] = serde_json::json!([]);
        saved["runs"][0]["configuration"] = "serial, 9 workers".into();
        std::fs::write(dir.path().join(SWEEP_JSON_FILE), saved.to_string()).unwrap();
        let read = SavedSweep::read(dir.path()).unwrap();
        let error = format!("{:#}", read.placed_runs().unwrap_err());
        assert!(error.contains("not in the plan"), "{error}");
    }
}
