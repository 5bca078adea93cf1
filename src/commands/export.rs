//! `coreheat export chrome TRACE`: the trace in the Trace Event Format, for
//! ui.perfetto.dev. Written to a temporary file beside the output and moved
//! into place only when whole; an existing file is never replaced.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use std::os::unix::fs::PermissionsExt;

use crate::report::chrome::{Exported, export_chrome};
use crate::util::output::print_err_line;
use crate::util::text::display_path;

/// The default output: `perfetto.json` beside the trace.
pub fn default_out(trace: &Path) -> PathBuf {
    trace
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("perfetto.json")
}

/// Exports `trace` to `out` (or [`default_out`]; `-`: standard output);
/// returns the exit code.
pub fn chrome(trace: &Path, out: Option<&Path>) -> Result<i32> {
    if out == Some(Path::new("-")) {
        let stdout = std::io::stdout().lock();
        let exported = export_chrome(trace, BufWriter::new(stdout))?;
        say_exported(&exported, "standard output");
        return Ok(0);
    }
    let out = out.map_or_else(|| default_out(trace), Path::to_path_buf);
    if let Ok(existing) = out.symlink_metadata() {
        let what = if existing.is_dir() {
            "is a folder"
        } else if existing.is_file() {
            "exists"
        } else {
            "exists and is not a regular file"
        };
        bail!(
            "{} {what}; coreheat writes a new file and never replaces one: name another with \
             --out, or --out - for standard output",
            out.display()
        );
    }
    let dir = out
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = tempfile::Builder::new()
        .prefix(".coreheat-export")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {} (choose another --out)", dir.display()))?;
    let exported = export_chrome(trace, BufWriter::new(file.as_file()))?;
    // Readable as the run's other files are (a temporary file is the owner's alone).
    let mode = 0o666 & !crate::util::os::umask();
    std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the permissions of {}", file.path().display()))?;
    file.persist_noclobber(&out)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot create {}", out.display()))?;
    say_exported(&exported, &display_path(&out));
    Ok(0)
}

fn say_exported(exported: &Exported, to: &str) {
    let slices = if exported.slices == 0 {
        "no scheduler slices (the trace's who ran where was not recorded from events), ".to_string()
    } else {
        format!(
            "{} slices of {} threads, ",
            exported.slices, exported.threads
        )
    };
    print_err_line(&format!(
        "exported {slices}{} CPU counter values to {to}: open it in ui.perfetto.dev or \
         chrome://tracing",
        exported.counters
    ));
}
