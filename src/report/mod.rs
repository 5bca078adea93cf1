//! Reports drawn from saved traces: `report.html` (one self-contained page),
//! `heatmap.png` and `cores.png`. The trace is always on disk first; drawing
//! reads it back (streaming and binned), so a drawing failure never loses data
//! and a trace of a killed run draws like any other.

pub mod canvas;
pub mod charts;
pub mod chrome;
pub mod color;
pub mod fleet;
pub mod html;
pub mod info;
pub mod json;
pub mod quantized;
pub mod raster;
pub mod sched_view;
pub mod sweep;
pub mod text;
pub mod threads_view;
pub mod timeaxis;
pub mod topology_file;
pub mod writeup;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use askama::Template;

use crate::capture::run::RunSummary;
use crate::import::InputFormat;
use crate::model::workload::WorkloadMeta;
use crate::model::workload::kind_has_workers;
use crate::summary::load::{LoadedTrace, load};
use crate::summary::trace_summary::TraceSummary;
use crate::util::outdir::{self, CORES_FILE, HEATMAP_FILE, REPORT_FILE};
use crate::util::output::error_messages;
use canvas::DEFAULT_PNG_SCALE;
use html::{ReportPage, section, stylesheet};

/// Draws a finished run's report into its folder from the trace it read back,
/// PNGs at `png_scale` pixels per point; sets `report`, or `report_error` when
/// it cannot be drawn.
pub fn draw_run(summary: &mut RunSummary, png_scale: u32) {
    let Some(loaded) = summary.loaded.take() else {
        return;
    };
    match redraw(&[loaded], &summary.trace, &summary.dir, None, png_scale) {
        Ok(path) => summary.report = Some(path),
        Err(e) => summary.report_error = Some(crate::util::output::error_line(&e)),
    }
}

/// Draws the report of a run folder from its trace: report.html, heatmap.png and
/// cores.png in `dir`. Files there of those names are replaced only when
/// coreheat drew them from this same trace; PNGs have the default density.
/// Returns the path of report.html.
pub fn render_run_folder(trace: &Path, dir: &Path) -> Result<PathBuf> {
    let loaded = load(trace, InputFormat::Coreheat)?;
    redraw(&[loaded], trace, dir, None, DEFAULT_PNG_SCALE)
}

/// The files [`write_report`] writes for `count` traces.
pub fn report_files(count: usize) -> Vec<String> {
    let mut names = vec![REPORT_FILE.to_string()];
    for index in 0..count {
        let suffix = png_suffix(count, index);
        names.push(png_name(HEATMAP_FILE, &suffix));
        names.push(png_name(CORES_FILE, &suffix));
    }
    names
}

/// How the manifest names a trace: by its file name when it lies in `dir`, by
/// its full path otherwise.
fn trace_key(trace: &Path, dir: &Path) -> String {
    let full = std::fs::canonicalize(trace).unwrap_or_else(|_| trace.to_path_buf());
    let beside = full.parent().map(Path::to_path_buf) == std::fs::canonicalize(dir).ok();
    match full.file_name() {
        Some(name) if beside => name.to_string_lossy().into_owned(),
        _ => full.display().to_string(),
    }
}

/// Draws `traces` (read from `trace`) into `dir`, which may hold an earlier
/// drawing of that trace: only what coreheat drew from it is replaced.
pub fn redraw(
    traces: &[LoadedTrace],
    trace: &Path,
    dir: &Path,
    title: Option<&str>,
    png_scale: u32,
) -> Result<PathBuf> {
    let names = report_files(traces.len());
    let key = trace_key(trace, dir);
    outdir::check_replaceable(dir, &key, &names)?;
    outdir::claim(dir, Some(&key), &names)?;
    write_report(traces, dir, title, png_scale)
}

/// Draws `traces` into a folder just made or checked to hold none of the
/// report's files; if drawing fails, what was written and the folders made
/// are taken away again.
fn draw_into_new(
    traces: &[LoadedTrace],
    folder: &outdir::NewFolder,
    title: Option<&str>,
    png_scale: u32,
) -> Result<PathBuf> {
    let mut names = report_files(traces.len());
    let drawn = outdir::claim(&folder.path, None, &names)
        .and_then(|_| write_report(traces, &folder.path, title, png_scale));
    if drawn.is_err() {
        names.push(outdir::MANIFEST_FILE.to_string());
        folder.discard(&names);
    }
    drawn
}

/// Title of a page with these traces.
fn page_title(traces: &[LoadedTrace], title: Option<&str>) -> String {
    crate::util::text::printable(&any_page_title(traces, title))
}

fn any_page_title(traces: &[LoadedTrace], title: Option<&str>) -> String {
    if let Some(title) = title {
        return title.to_string();
    }
    match traces {
        [only] => only
            .summary
            .meta
            .title
            .clone()
            .unwrap_or_else(|| format!("coreheat · {}", workload_name(&only.summary))),
        _ => format!("coreheat · {} traces", traces.len()),
    }
}

/// Longest command shown in a page title; longer ones end in `…`.
const TITLE_COMMAND_CHARS: usize = 60;

fn workload_name(summary: &TraceSummary) -> String {
    let meta = &summary.meta;
    if let Some(WorkloadMeta::Exec { argv }) = &meta.workload
        && !argv.is_empty()
    {
        return command_words(argv);
    }
    match meta.workload.as_ref().map(WorkloadMeta::kind) {
        Some(kind) if meta.mode == "serial" => format!("{kind}, serial"),
        Some(kind) if !meta.mode.is_empty() && kind_has_workers(kind) => {
            let worker = match meta.mode.as_str() {
                "threads" => "thread",
                "processes" => "process",
                other => other,
            };
            format!(
                "{kind}, {}",
                crate::util::text::plural(meta.workers, worker)
            )
        }
        Some(kind) => kind.to_string(),
        None => meta.tool.clone(),
    }
}

/// A traced command as a title: its words, paths by their file names, cut
/// at [`TITLE_COMMAND_CHARS`] (`python3 sum_threads.py threads 4 2`).
fn command_words(argv: &[String]) -> String {
    let file_name = |word: &'_ String| -> String {
        let path = !word.chars().any(char::is_whitespace) && word.len() > 1;
        match word.rsplit_once('/') {
            Some((_, name)) if path && !name.is_empty() => name.to_string(),
            _ => word.clone(),
        }
    };
    let words: Vec<String> = argv.iter().map(file_name).collect();
    let text = words.join(" ");
    match text.char_indices().nth(TITLE_COMMAND_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Writes report.html and the PNGs (`png_scale` pixels per point) for `traces`
/// into `dir` (each file through a temporary file and a rename). With several
/// traces, PNGs get a `-N` suffix.
pub fn write_report(
    traces: &[LoadedTrace],
    dir: &Path,
    title: Option<&str>,
    png_scale: u32,
) -> Result<PathBuf> {
    if traces.is_empty() {
        bail!("nothing to draw");
    }
    let page_title = page_title(traces, title);
    let mut sections = Vec::with_capacity(traces.len());
    let axes = page_axes(traces);
    let fleet = fleet_of(traces, &axes)?;
    for (index, trace) in traces.iter().enumerate() {
        let suffix = png_suffix(traces.len(), index);
        let chart_title = match traces.len() {
            1 => page_title.clone(),
            _ => trace
                .summary
                .meta
                .title
                .as_deref()
                .map_or_else(|| trace.source.clone(), crate::util::text::printable),
        };
        let heatmap = heat_picture(&trace.summary, &chart_title)
            .and_then(|chart| chart.png(png_scale))
            .context("cannot draw the heat map chart")?;
        let cores =
            charts::cores(&trace.summary, &chart_title).context("cannot draw the per-CPU chart")?;
        let cores_png = cores
            .png(png_scale)
            .context("cannot draw the per-CPU chart")?;
        outdir::write_atomically(&dir.join(png_name(HEATMAP_FILE, &suffix)), &heatmap)?;
        outdir::write_atomically(&dir.join(png_name(CORES_FILE, &suffix)), &cores_png)?;
        sections.push(section(
            &trace.summary,
            &format!("trace{}", index + 1),
            &trace.source,
            Some(cores.svg(CORES_LABEL)?),
            axes[index],
        ));
    }
    if let Some(fleet) = &fleet {
        for (view, trace) in sections.iter_mut().zip(traces) {
            let host = &trace.summary.meta.host;
            let shown = crate::util::text::printable(host);
            if !view.heading.starts_with(&shown) {
                view.heading = format!("{shown} · {}", view.heading);
            }
            let mine = fleet.host_findings.iter().filter(|(h, _)| h == host);
            view.findings
                .extend(mine.map(|(_, finding)| finding.clone()));
        }
    }
    let subtitle = match traces {
        // The date is among the section's facts, once.
        [only] => [&only.summary.meta.host, &only.summary.meta.cpu_model]
            .into_iter()
            .filter(|part| !part.is_empty())
            .map(|part| crate::util::text::printable(part))
            .collect::<Vec<_>>()
            .join(" · "),
        _ => "One section per trace; all share one color scale.".to_string(),
    };
    let page = ReportPage {
        title: page_title,
        subtitle,
        tool: format!("coreheat {}", env!("CARGO_PKG_VERSION")),
        css: stylesheet(),
        sections,
        fleet,
    };
    let html = page.render().context("cannot lay out report.html")?;
    let path = dir.join(REPORT_FILE);
    outdir::write_atomically(&path, html.as_bytes())?;
    Ok(path)
}

/// Each trace's time axis on the page: with traces of several machines (or
/// runs), one wall-clock axis on which each is placed by its start time;
/// otherwise every map on one scale, the longest trace's.
fn page_axes(traces: &[LoadedTrace]) -> Vec<timeaxis::TimeAxis> {
    let metas: Vec<&crate::model::Meta> = traces.iter().map(|t| &t.summary.meta).collect();
    match crate::summary::fleet::start_offsets(&metas) {
        Some(offsets) if traces.len() > 1 => {
            let span = traces
                .iter()
                .zip(&offsets)
                .map(|(t, offset)| t.summary.columns.last().map_or(0.0, |c| c.t_end) + offset)
                .fold(0.0, f64::max);
            offsets
                .iter()
                .map(|offset| timeaxis::TimeAxis::aligned(*offset, span))
                .collect()
        }
        _ => {
            let span = traces
                .iter()
                .map(|t| timeaxis::columns_span(&t.summary.columns))
                .fold(0.0, f64::max);
            traces
                .iter()
                .map(|t| timeaxis::TimeAxis::shared(&t.summary.columns, span))
                .collect()
        }
    }
}

/// The fleet view, when the traces come from two hosts or more.
fn fleet_of(
    traces: &[LoadedTrace],
    axes: &[timeaxis::TimeAxis],
) -> Result<Option<fleet::FleetView>> {
    let placed: Vec<(&TraceSummary, f64)> = traces
        .iter()
        .zip(axes)
        .map(|(t, axis)| (&t.summary, axis.page_offset().unwrap_or(0.0)))
        .collect();
    crate::summary::fleet::fleet(&placed)
        .map(|f| fleet::fleet_view(&f).context("cannot draw the fleet view"))
        .transpose()
}

/// heatmap.png: a row per CPU while rows are at least
/// [`charts::MIN_ROW_HEIGHT`] points high, else the quantized heat map.
fn heat_picture(summary: &TraceSummary, title: &str) -> Result<canvas::Recording> {
    match charts::draws_rows(summary) {
        true => charts::heatmap(summary, title),
        false => quantized::quantized_heatmap(summary, title),
    }
}

/// What the cores chart shows, for readers of the page who cannot see it.
const CORES_LABEL: &str = "usr and sys percent of each CPU over time (sys: system time)";

/// With several traces, the PNGs of trace N are named `heatmap-N.png`.
fn png_suffix(count: usize, index: usize) -> String {
    if count > 1 {
        format!("-{}", index + 1)
    } else {
        String::new()
    }
}

fn png_name(base: &str, suffix: &str) -> String {
    match base.strip_suffix(".png") {
        Some(stem) => format!("{stem}{suffix}.png"),
        None => base.to_string(),
    }
}

/// What `coreheat render` made: the report of the files that could be read, and
/// why each of the others could not be.
pub struct Rendered {
    pub report: PathBuf,
    pub failures: Vec<anyhow::Error>,
    /// What the reader should know of how the files were drawn (a
    /// `--topology` not applied to a trace that recorded its own).
    pub warnings: Vec<String>,
}

/// `coreheat render`: reads every file (giving each the CPU topology of
/// `topology`, an `info --json`, when given), then draws one report of those
/// that could be read, PNGs at `png_scale` pixels per point. It is an error
/// only when none could. Output goes to `out`, or next to a single coreheat
/// trace, or to a new folder under reports/.
pub fn render_files(
    files: &[PathBuf],
    out: Option<&Path>,
    format: &str,
    title: Option<&str>,
    topology: Option<&Path>,
    png_scale: u32,
) -> Result<Rendered> {
    let found = read_files(files, format, topology)?;
    let report = draw_rendered(&found.read, &found.traces, out, title, png_scale)?;
    Ok(Rendered {
        report,
        failures: found.failures,
        warnings: found.warnings,
    })
}

/// [`render_files`] into a folder this process has already taken (and still
/// holds), such as the one `render --prometheus` saved its traces in.
pub fn render_files_into(
    files: &[PathBuf],
    folder: &outdir::NewFolder,
    title: Option<&str>,
    png_scale: u32,
) -> Result<Rendered> {
    let found = read_files(files, "coreheat", None)?;
    let report = draw_into_new(&found.traces, folder, title, png_scale)?;
    Ok(Rendered {
        report,
        failures: found.failures,
        warnings: found.warnings,
    })
}

/// What [`read_files`] found.
struct ReadFiles {
    /// The files read, in the order of `traces`.
    read: Vec<PathBuf>,
    traces: Vec<LoadedTrace>,
    /// Why each of the others cannot be read.
    failures: Vec<anyhow::Error>,
    /// How the files were drawn, for the reader (a `--topology` not applied).
    warnings: Vec<String>,
}

/// The traces of the files that can be read (grouped by host), and why each of
/// the others cannot; an error when none can.
fn read_files(files: &[PathBuf], format: &str, topology: Option<&Path>) -> Result<ReadFiles> {
    let format = InputFormat::parse(format)?;
    let topology = topology
        .map(topology_file::TopologyFile::read)
        .transpose()?;
    let mut read = Vec::with_capacity(files.len());
    let mut traces = Vec::with_capacity(files.len());
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    for file in files {
        match load(file, format) {
            Ok(mut trace) => {
                // A topology that does not fit a trace refuses the whole
                // render: the flag is wrong, not the file.
                if let Some(topology) = &topology {
                    let source = file.display().to_string();
                    warnings.extend(topology.apply(&mut trace.summary.meta, &source)?);
                }
                read.push(file.clone());
                traces.push(trace);
            }
            Err(e) => {
                let name = file.display().to_string();
                let named = error_messages(&e).iter().any(|m| m.contains(&name));
                failures.push(match named {
                    true => e,
                    false => e.context(format!("cannot read {name}")),
                })
            }
        }
    }
    if traces.is_empty() {
        return Err(none_readable(failures));
    }
    let (read, traces) = grouped_by_host(read, traces);
    Ok(ReadFiles {
        read,
        traces,
        failures,
        warnings,
    })
}

/// Traces of several hosts in order of host, then start time (the files'
/// order otherwise).
fn grouped_by_host(
    files: Vec<PathBuf>,
    traces: Vec<LoadedTrace>,
) -> (Vec<PathBuf>, Vec<LoadedTrace>) {
    let mut pairs: Vec<(PathBuf, LoadedTrace)> = files.into_iter().zip(traces).collect();
    let first_host = pairs[0].1.summary.meta.host.clone();
    if pairs.iter().any(|(_, t)| t.summary.meta.host != first_host) {
        pairs.sort_by(|(_, a), (_, b)| {
            let key = |t: &LoadedTrace| (t.summary.meta.host.clone(), t.summary.meta.start.clone());
            key(a).cmp(&key(b))
        });
    }
    pairs.into_iter().unzip()
}

/// The error when no file could be read: the one file's own, or each file's.
fn none_readable(mut failures: Vec<anyhow::Error>) -> anyhow::Error {
    if failures.len() == 1 {
        return failures.remove(0);
    }
    let reasons: Vec<String> = failures
        .iter()
        .map(|e| format!("  {}", crate::util::output::error_line(e)))
        .collect();
    anyhow::anyhow!(
        "none of the {} files could be read:\n{}",
        failures.len(),
        reasons.join("\n")
    )
}

/// Draws the traces read from `files`: into `--out` (a folder holding none of
/// the report's files), into the folder of a single coreheat trace (replacing
/// only what coreheat drew from it), or into a new folder under reports/.
fn draw_rendered(
    files: &[PathBuf],
    traces: &[LoadedTrace],
    out: Option<&Path>,
    title: Option<&str>,
    png_scale: u32,
) -> Result<PathBuf> {
    if let Some(dir) = out {
        let mut names = report_files(traces.len());
        names.push(outdir::MANIFEST_FILE.to_string());
        let folder = outdir::prepare_out_folder(dir, &names)?;
        return draw_into_new(traces, &folder, title, png_scale);
    }
    if let ([file], [trace]) = (files, traces)
        && trace.summary.meta.tool.starts_with("coreheat")
    {
        let dir = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        outdir::check_writable(dir)?;
        return redraw(traces, file, dir, title, png_scale);
    }
    let label = match files {
        [file] => format!(
            "render-{}",
            file.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
        _ => "render".to_string(),
    };
    let folder = outdir::create_unique(&outdir::reports_root(), &label)?;
    draw_into_new(traces, &folder, title, png_scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(argv: &[&str]) -> String {
        command_words(&argv.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn a_traced_command_is_titled_by_its_words_with_paths_by_file_name() {
        assert_eq!(
            words(&[
                "/usr/bin/python3",
                "/work/examples/sum_threads.py",
                "threads",
                "4"
            ]),
            "python3 sum_threads.py threads 4"
        );
        // A shell script's text is not a path, whatever slashes it holds.
        assert_eq!(
            words(&["sh", "-c", "yes > /dev/null"]),
            "sh -c yes > /dev/null"
        );
        assert_eq!(words(&["ls", "/"]), "ls /");
        let long = words(&["make", &"x".repeat(80)]);
        assert_eq!(long.chars().count(), TITLE_COMMAND_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
