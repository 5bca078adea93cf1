//! Where outputs go: a new run folder per run (never an existing one reused),
//! the fixed file names inside it, and whole-file writes that go through a
//! temporary file and a rename, so no half-written report is ever left and
//! nothing a user already had is overwritten.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub const TRACE_FILE: &str = "trace.jsonl";
pub const REPORT_FILE: &str = "report.html";
pub const HEATMAP_FILE: &str = "heatmap.png";
pub const CORES_FILE: &str = "cores.png";

/// Creates `root/<YYYYmmdd-HHMMSS>-<label>/`, adding `-2`, `-3`... when a folder of
/// that name exists (two runs in one second).
pub fn create_unique(root: &Path, label: &str) -> Result<PathBuf> {
    fs::create_dir_all(root).with_context(|| {
        format!(
            "cannot create the reports folder {} (choose another place with --out DIR)",
            root.display()
        )
    })?;
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let base = format!("{stamp}-{}", sanitize(label));
    for attempt in 1..1000 {
        let name = if attempt == 1 {
            base.clone()
        } else {
            format!("{base}-{attempt}")
        };
        let dir = root.join(name);
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot create the run folder {} (choose another place with --out DIR)",
                        dir.display()
                    )
                });
            }
        }
    }
    bail!("too many run folders named {base} in {}", root.display())
}

/// Uses `dir` as the run folder: created if missing; an existing folder is only
/// accepted when it holds no trace and no report, so nothing is overwritten.
pub fn prepare_exact(dir: &Path) -> Result<PathBuf> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("--out {}: exists and is not a folder", dir.display());
        }
        for name in [TRACE_FILE, REPORT_FILE] {
            if dir.join(name).exists() {
                bail!(
                    "--out {}: the folder already holds {name}; coreheat never overwrites a run \
                     (choose a new folder, or leave out --out for a fresh one under reports/)",
                    dir.display()
                );
            }
        }
    } else {
        fs::create_dir_all(dir)
            .with_context(|| format!("--out {}: cannot create the folder", dir.display()))?;
    }
    check_writable(dir)?;
    Ok(dir.to_path_buf())
}

/// Uses `dir` for `render --out`: created if missing, refused if it already
/// holds a report (nothing the user had is overwritten).
pub fn prepare_render_dir(dir: &Path) -> Result<PathBuf> {
    if dir.join(REPORT_FILE).exists() {
        bail!(
            "--out {}: the folder already holds {REPORT_FILE}; choose a new folder",
            dir.display()
        );
    }
    fs::create_dir_all(dir)
        .with_context(|| format!("--out {}: cannot create the folder", dir.display()))?;
    check_writable(dir)?;
    Ok(dir.to_path_buf())
}

/// Fails early, with the folder named, when files cannot be created in `dir`.
pub fn check_writable(dir: &Path) -> Result<()> {
    let probe = tempfile::Builder::new()
        .prefix(".coreheat-probe")
        .tempfile_in(dir)
        .with_context(|| {
            format!(
                "cannot write into {} (check its permissions and free space, or choose another place with --out DIR)",
                dir.display()
            )
        })?;
    drop(probe);
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a
/// rename: readers see the old file or the whole new one, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".coreheat-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    // Temporary files are private (0600); a report is an ordinary file.
    use std::os::unix::fs::PermissionsExt;
    file.write_all(bytes)
        .and_then(|_| {
            file.as_file()
                .set_permissions(fs::Permissions::from_mode(0o644))
        })
        .and_then(|_| file.as_file().sync_data())
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.persist(path).map_err(|e| e.error).with_context(|| {
        format!(
            "cannot move the finished file into place at {}",
            path.display()
        )
    })?;
    Ok(())
}

/// Keeps folder names to letters, digits and `-_.^`.
fn sanitize(label: &str) -> String {
    let clean: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.^".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if clean.is_empty() {
        "run".into()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_folders_never_collide() {
        let root = tempfile::tempdir().unwrap();
        let a = create_unique(root.path(), "hash-z5").unwrap();
        let b = create_unique(root.path(), "hash-z5").unwrap();
        assert_ne!(a, b);
        assert!(a.is_dir() && b.is_dir());
    }

    #[test]
    fn exact_folder_with_a_trace_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("run");
        prepare_exact(&dir).unwrap();
        fs::write(dir.join(TRACE_FILE), "mine").unwrap();
        let err = prepare_exact(&dir).unwrap_err().to_string();
        assert!(err.contains("never overwrites"), "{err}");
        assert_eq!(fs::read_to_string(dir.join(TRACE_FILE)).unwrap(), "mine");
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("report.html");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        let leftovers = fs::read_dir(root.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }

    #[test]
    fn labels_are_made_safe() {
        assert_eq!(sanitize("exec-../../x y"), "exec-.._.._x_y");
        assert_eq!(sanitize(""), "run");
    }
}
