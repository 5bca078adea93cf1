//! `coreheat render`: draw one report from saved traces and dstat or mpstat
//! files; the files that cannot be read are named and make the exit code 1.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::EXIT_FAILED;
use crate::util::output::{print_err_line, print_line};

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
    print_line(&rendered.report.display().to_string());
    if rendered.failures.is_empty() {
        return Ok(0);
    }
    for failure in &rendered.failures {
        print_err_line(&format!("coreheat: error: {failure:#}"));
    }
    print_err_line(&format!(
        "coreheat: {} of {} files could not be read; the report shows the others",
        rendered.failures.len(),
        files.len()
    ));
    Ok(EXIT_FAILED)
}
