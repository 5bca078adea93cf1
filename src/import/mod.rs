//! Foreign traces read into coreheat's data model, one file per format:
//! `dstat` (CSV from dstat 0.7.2 to 0.8) and `mpstat` (sysstat's `mpstat -P ALL
//! -o JSON`). The format is told from the content, or given with `--format`.
//! Every error names the file and, where there is one, the line.

pub mod dstat;
pub mod mpstat;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::trace::{Meta, Sample, TraceCpu};

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
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
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

/// Largest file read for detection or import: larger is not a trace of this kind.
pub const MAX_IMPORT_BYTES: u64 = 4 << 30;

/// Tells the format from the first bytes of a file.
pub fn detect(path: &Path) -> Result<InputFormat, ImportError> {
    let mut head = Vec::with_capacity(512);
    File::open(path)
        .and_then(|file| file.take(512).read_to_end(&mut head))
        .map_err(|source| ImportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let text = String::from_utf8_lossy(&head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
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

/// Reads a dstat or mpstat file.
pub fn read(path: &Path, format: InputFormat) -> Result<ImportedTrace, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_IMPORT_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|source| ImportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    match format {
        InputFormat::Dstat => dstat::parse(&bytes, path),
        InputFormat::Mpstat => mpstat::parse(&bytes, path),
        other => Err(ImportError::Format(format!(
            "{} is not an importable format",
            other.name()
        ))),
    }
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

/// The median gap between sample times (the sampling interval), or `fallback`.
pub(crate) fn median_interval(times: &[f64], fallback: f64) -> f64 {
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

/// A percentage from a foreign file: finite, and within 0..=100 give or take
/// rounding.
pub(crate) fn percent(value: f64) -> Result<f64, String> {
    if !value.is_finite() || !(-0.5..=100.5).contains(&value) {
        return Err(format!("{value} is not a percentage"));
    }
    Ok(value.clamp(0.0, 100.0))
}
