//! `coreheat render`: draw one report from saved traces and dstat or mpstat
//! files, or from what Prometheus recorded of many machines (saved as traces
//! first); the files that cannot be read are named and make the exit code 1.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::EXIT_FAILED;
use crate::import::prometheus::{self, FleetQuery, time};
use crate::util::outdir;
use crate::util::output::{error_line, print_err_line, print_line};
use crate::util::units::{parse_duration, round_ms};

/// Draws the files that can be read; names each one that cannot, and then
/// exits with 1.
pub fn render(
    files: &[PathBuf],
    out: Option<&Path>,
    format: &str,
    title: Option<&str>,
    topology: Option<&Path>,
    png_scale: u32,
) -> Result<i32> {
    let rendered = crate::report::render_files(files, out, format, title, topology, png_scale)?;
    Ok(tell_rendered(&rendered, files.len()))
}

/// Prints the report's path and each file that could not be read; the exit code.
fn tell_rendered(rendered: &crate::report::Rendered, files: usize) -> i32 {
    for warning in &rendered.warnings {
        print_err_line(&format!("coreheat: warning: {warning}"));
    }
    print_line(&rendered.report.display().to_string());
    if rendered.failures.is_empty() {
        return 0;
    }
    for failure in &rendered.failures {
        print_err_line(&format!("coreheat: error: {}", error_line(failure)));
    }
    print_err_line(&format!(
        "coreheat: {} of {} files could not be read; the report shows the others",
        rendered.failures.len(),
        files
    ));
    EXIT_FAILED
}

/// `render --prometheus` as typed: times and durations are read here.
#[derive(Debug, Clone)]
pub struct PrometheusArgs {
    pub url: String,
    pub selector: String,
    pub from: String,
    pub to: String,
    pub step: String,
    pub timeout: String,
}

impl PrometheusArgs {
    /// The query, with every time and duration read (an error names the flag).
    fn query(&self) -> Result<FleetQuery> {
        let now = time::now();
        let when = |flag: &str, text: &str| {
            time::parse_time(text, now).map_err(|e| anyhow::anyhow!("--{flag} {e}"))
        };
        let duration = |flag: &str, text: &str| {
            parse_duration(text).map_err(|e| anyhow::anyhow!("--{flag} {e}"))
        };
        // Prometheus' resolution is the millisecond.
        let (from, to) = (when("from", &self.from)?, when("to", &self.to)?);
        let (from, to) = (round_ms(from), round_ms(to));
        if from >= to {
            anyhow::bail!(
                "--from {} ({}) is not before --to {} ({}); give the earlier time to --from",
                self.from,
                time::rfc3339(from),
                self.to,
                time::rfc3339(to)
            );
        }
        let step = duration("step", &self.step)?;
        if step < std::time::Duration::from_millis(1) {
            anyhow::bail!(
                "--step {}: Prometheus' steps are whole milliseconds; give 1ms or more \
                 (for example 1s)",
                self.step
            );
        }
        let timeout = duration("timeout", &self.timeout)?;
        if timeout.is_zero() {
            anyhow::bail!(
                "--timeout {}: coreheat would not wait for Prometheus at all; give more \
                 than 0 (for example 10s)",
                self.timeout
            );
        }
        Ok(FleetQuery {
            url: self.url.clone(),
            selector: self.selector.clone(),
            from,
            to,
            step: round_ms(step.as_secs_f64()),
            timeout,
        })
    }
}

/// Reads every matching instance from Prometheus, saves each as a trace in
/// the output folder (`--out`, or a new reports/STAMP-prometheus/), and draws
/// one report of them there.
pub fn render_prometheus(
    args: &PrometheusArgs,
    out: Option<&Path>,
    title: Option<&str>,
    png_scale: u32,
) -> Result<i32> {
    let query = args.query()?;
    let fleet = prometheus::connect(&query)?;
    let trace_names = unique_names(fleet.instances());
    let mut names = crate::report::report_files(trace_names.len());
    names.extend(trace_names.iter().cloned());
    names.push(outdir::MANIFEST_FILE.to_string());
    let folder = match out {
        Some(dir) => outdir::prepare_out_folder(dir, &names)?,
        None => outdir::create_unique(&outdir::reports_root(), "prometheus")?,
    };
    let saved = save_traces(&fleet, &folder.path, &trace_names);
    let files = match saved {
        Ok(files) => files,
        Err(e) => {
            folder.discard(&names);
            return Err(e);
        }
    };
    print_err_line(&format!(
        "coreheat: saved {} in {}; `coreheat render {}/*.jsonl` draws them again offline",
        crate::util::text::plural(files.len(), "trace"),
        folder.path.display(),
        folder.path.display()
    ));
    let rendered = crate::report::render_files_into(&files, &folder, title, png_scale)?;
    let code = tell_rendered(&rendered, files.len());
    outdir::claim(&folder.path, None, &trace_names)?;
    Ok(code)
}

/// Reads each instance and saves it under its name in `dir`.
fn save_traces(fleet: &prometheus::Fleet, dir: &Path, names: &[String]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::with_capacity(names.len());
    for (instance, name) in fleet.instances().iter().zip(names) {
        let trace = fleet.read(instance)?;
        let path = dir.join(name);
        prometheus::save(&trace, &path)?;
        files.push(path);
    }
    Ok(files)
}

/// A trace file name per instance, `-2`, `-3`... when two would clash.
fn unique_names(instances: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(instances.len());
    for instance in instances {
        let base = prometheus::trace_name(instance);
        let mut name = base.clone();
        let mut n = 1;
        while names.contains(&name) {
            n += 1;
            name = format!("{}-{n}.jsonl", base.trim_end_matches(".jsonl"));
        }
        names.push(name);
    }
    names
}
