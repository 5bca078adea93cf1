//! Foreign traces read into coreheat's data model, one file per format:
//! `dstat` (CSV from dstat 0.7.2 to 0.8) and `mpstat` (sysstat's `mpstat -P ALL
//! -o JSON`). The format is told from the content, or given with `--format`.
//! Every error names the file and, where there is one, the line. Files are opened
//! and capped by [`crate::util::input`], and their values checked as a trace's are.

pub mod dstat;
pub mod mpstat;
pub mod prometheus;

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::model::{CpuLoad, CpuUnit, Meta, Sample, TraceCpu};
use crate::util::input::{self, InputError, LineReader};
use crate::util::units::round_ms;

/// What an input file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Auto,
    Coreheat,
    Dstat,
    Mpstat,
}

impl InputFormat {
    pub fn parse(text: &str) -> Result<InputFormat, ImportError> {
        match text {
            "auto" => Ok(InputFormat::Auto),
            "coreheat" => Ok(InputFormat::Coreheat),
            "dstat" => Ok(InputFormat::Dstat),
            "mpstat" => Ok(InputFormat::Mpstat),
            other => Err(ImportError::Format(format!(
                "--format {other}: use auto, coreheat, dstat or mpstat"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Auto => "auto",
            InputFormat::Coreheat => "coreheat trace",
            InputFormat::Dstat => "dstat CSV",
            InputFormat::Mpstat => "mpstat JSON",
        }
    }
}

/// A foreign trace, whole in memory (such files are small next to the report).
#[derive(Debug, Clone)]
pub struct ImportedTrace {
    pub meta: Meta,
    pub samples: Vec<Sample>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{path}:{line}: {message}")]
    Line {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{0}")]
    Format(String),
}

/// Bytes read to tell the format.
const DETECT_BYTES: u64 = 512;

/// Tells the format from the first bytes of a file (after one byte-order mark,
/// which the readers skip too).
pub fn detect(path: &Path) -> Result<InputFormat, ImportError> {
    let mut head = Vec::with_capacity(DETECT_BYTES as usize);
    input::open_regular(path)?
        .take(DETECT_BYTES)
        .read_to_end(&mut head)
        .map_err(|source| InputError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let text = String::from_utf8_lossy(input::strip_bom(&head));
    let trimmed = text.trim_start();
    if trimmed.starts_with("{\"format\":\"coreheat-trace\"")
        || trimmed.contains("\"coreheat-trace\"")
    {
        Ok(InputFormat::Coreheat)
    } else if trimmed.starts_with("\"Dstat ") || trimmed.starts_with("\"Dool ") {
        Ok(InputFormat::Dstat)
    } else if trimmed.starts_with('{') && trimmed.contains("\"sysstat\"") {
        Ok(InputFormat::Mpstat)
    } else if head.is_empty() {
        Err(ImportError::File {
            path: path.to_path_buf(),
            message: "the file is empty".into(),
        })
    } else {
        Err(ImportError::File {
            path: path.to_path_buf(),
            message: "not a coreheat trace, a dstat CSV (dstat --output) or an mpstat JSON \
                      (mpstat -P ALL -o JSON); name the format with --format if it is one"
                .into(),
        })
    }
}

/// Reads a dstat or mpstat file (a regular file of at most
/// [`input::MAX_WHOLE_FILE_BYTES`]: it is held in memory whole).
pub fn read(path: &Path, format: InputFormat) -> Result<ImportedTrace, ImportError> {
    let mut imported = match format {
        InputFormat::Dstat => {
            let file = input::open_regular_capped(path, input::MAX_WHOLE_FILE_BYTES)?;
            dstat::parse_lines(LineReader::new(std::io::BufReader::new(file), path))?
        }
        InputFormat::Mpstat => {
            mpstat::parse(&input::read_whole(path, input::MAX_WHOLE_FILE_BYTES)?, path)?
        }
        other => {
            return Err(ImportError::Format(format!(
                "{} is not an importable format",
                other.name()
            )));
        }
    };
    imported.meta.check().map_err(|m| ImportError::File {
        path: path.to_path_buf(),
        message: format!("the file {m}"),
    })?;
    // dstat and mpstat record percentages only: the header says so.
    imported.meta.state_rows(CpuUnit::Percent);
    Ok(imported)
}

/// CPUs with no known topology: each its own core, one package.
pub(crate) fn flat_cpus(cpus: &[u32]) -> Vec<TraceCpu> {
    cpus.iter()
        .map(|&cpu| TraceCpu {
            cpu,
            core: cpu,
            package: 0,
        })
        .collect()
}

/// Rows of loads placed on a trace's time scale.
pub(crate) struct TimedSamples {
    /// The sampling interval: the median gap between rows (1 s without one).
    pub interval: f64,
    /// Time 0 on the file's own clock: one interval before the first row, for
    /// each sample covers the interval before it.
    pub origin: f64,
    pub samples: Vec<Sample>,
}

/// Each row at its time since the origin, to the millisecond.
pub(crate) fn timed_samples(rows: Vec<Vec<CpuLoad>>, times: &[f64]) -> TimedSamples {
    let interval = median_interval(times, 1.0);
    let origin = times[0] - interval;
    let samples = rows
        .into_iter()
        .zip(times)
        .map(|(cpus, t)| Sample {
            t: round_ms(t - origin),
            cpus,
        })
        .collect();
    TimedSamples {
        interval,
        origin,
        samples,
    }
}

/// The median gap between sample times (the sampling interval), or `fallback`.
fn median_interval(times: &[f64], fallback: f64) -> f64 {
    let mut gaps: Vec<f64> = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|g| *g > 0.0)
        .collect();
    if gaps.is_empty() {
        return fallback;
    }
    gaps.sort_by(|a, b| a.total_cmp(b));
    gaps[gaps.len() / 2]
}
