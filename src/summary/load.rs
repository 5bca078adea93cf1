//! Reading a trace, or a dstat or mpstat file, into a binned [`TraceSummary`];
//! the column budget that keeps any report small. A coreheat trace is streamed,
//! never held in memory; a dstat or mpstat file is read whole by `import` (at
//! most 256 MiB, its samples kept until binned).

use std::path::Path;

use anyhow::Result;

use crate::import::{self, InputFormat};
use crate::summary::trace_summary::{MAX_HEAT_ROWS, TraceSummary};
use crate::trace::{Record, TraceError, TraceReader};

/// Heat-map cells per page section: keeps a 24-hour, 64-CPU report small.
pub const CELL_BUDGET: usize = 10_000;
/// Widest heat map, in columns.
pub const MAX_COLUMNS: usize = 600;
/// Columns to bin a trace of `cpus` CPUs into (drawn in at most
/// [`MAX_HEAT_ROWS`] rows).
pub fn columns_for(cpus: usize) -> usize {
    (CELL_BUDGET / cpus.clamp(1, MAX_HEAT_ROWS)).clamp(24, MAX_COLUMNS)
}

/// A trace read for drawing, with a name for its source.
#[derive(Debug)]
pub struct LoadedTrace {
    pub summary: TraceSummary,
    /// The file it came from and its format (`trace.jsonl (coreheat)`).
    pub source: String,
}

/// Reads a coreheat trace into a binned summary without holding it in memory.
pub fn summarize_trace(path: &Path) -> Result<TraceSummary, TraceError> {
    summarize_trace_columns(path, 0)
}

/// [`summarize_trace`] into at most `max_columns` columns (0: as many as the
/// report's cell budget allows).
pub fn summarize_trace_columns(
    path: &Path,
    max_columns: usize,
) -> Result<TraceSummary, TraceError> {
    let mut reader = TraceReader::open(path)?;
    let meta = reader.header().meta.clone();
    let budget = columns_for(meta.cpus.len());
    let columns = if max_columns == 0 {
        budget
    } else {
        budget.min(max_columns)
    };
    let mut summary = TraceSummary::build(
        meta,
        std::iter::from_fn(|| reader.next_record().transpose()),
        columns,
    )?;
    summary.truncated = reader.truncated;
    Ok(summary)
}

/// Reads any supported file (coreheat trace, dstat CSV, mpstat JSON).
pub fn load(path: &Path, format: InputFormat) -> Result<LoadedTrace> {
    let format = match format {
        InputFormat::Auto => import::detect(path)?,
        other => other,
    };
    let name = path.display().to_string();
    let summary = match format {
        InputFormat::Coreheat | InputFormat::Auto => summarize_trace(path)?,
        InputFormat::Dstat | InputFormat::Mpstat => {
            let imported = import::read(path, format)?;
            let columns = columns_for(imported.meta.cpus.len());
            let records = imported
                .samples
                .into_iter()
                .map(|s| Ok::<_, TraceError>(Record::Sample(s)));
            TraceSummary::build(imported.meta, records, columns)?
        }
    };
    Ok(LoadedTrace {
        summary,
        source: format!("{name} ({})", format.name()),
    })
}
