//! Where outputs go: a new run folder per run (never an existing one reused),
//! the fixed file names inside it, and whole-file writes that go through a
//! temporary file and a rename, so no half-written report is ever left and
//! nothing a user already had is overwritten.
//!
//! Every folder coreheat writes into gets a small manifest (`.coreheat-files.json`)
//! naming the files coreheat wrote there and the trace they were drawn from.
//! Drawing a trace again in its own folder may replace exactly those files;
//! any other file of the same name (even a dangling symlink) is the user's, and
//! coreheat refuses rather than replace it.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

pub const TRACE_FILE: &str = "trace.jsonl";
pub const REPORT_FILE: &str = "report.html";
pub const HEATMAP_FILE: &str = "heatmap.png";
pub const CORES_FILE: &str = "cores.png";
/// The list of files coreheat wrote in a folder.
pub const MANIFEST_FILE: &str = ".coreheat-files.json";

/// The files a sweep writes into its folder, besides one folder per run.
pub const SWEEP_FILES: [&str; 4] = [REPORT_FILE, SPEEDUP_FILE, WRITEUP_FILE, SWEEP_JSON_FILE];
pub const SPEEDUP_FILE: &str = "speedup.png";
pub const WRITEUP_FILE: &str = "writeup.md";
pub const SWEEP_JSON_FILE: &str = "sweep.json";

/// Every file a run writes into its folder.
pub const RUN_FILES: [&str; 5] = [
    TRACE_FILE,
    REPORT_FILE,
    HEATMAP_FILE,
    CORES_FILE,
    MANIFEST_FILE,
];

const MANIFEST_FORMAT: &str = "coreheat-files";

/// What [`MANIFEST_FILE`] holds.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    /// The trace the files were drawn from: its name when it lies in the
    /// folder, otherwise its full path.
    #[serde(default)]
    trace: Option<String>,
    files: Vec<String>,
}

/// A folder about to be filled. It remembers the folders it had to create, so
/// that a run that cannot start takes them away again.
///
/// A folder given with `--out` is also locked (`flock`) while this lives, and
/// checked to hold none of the files about to be written only once the lock is
/// held: two coreheat processes started at the same moment with the same
/// `--out` cannot both take it, and the one refused touches nothing of the
/// other's. Only folders this process created itself count as created.
#[derive(Debug)]
pub struct NewFolder {
    pub path: PathBuf,
    /// Created folders, the deepest first.
    created: Vec<PathBuf>,
    /// The folder opened and locked, held until the folder is filled.
    _lock: Option<fs::File>,
}

impl NewFolder {
    /// Removes `files` (coreheat's own, just written) from the folder, then every
    /// folder this created, as far as they are empty.
    pub fn discard<S: AsRef<str>>(&self, files: &[S]) {
        for name in files {
            let _ = fs::remove_file(self.path.join(name.as_ref()));
        }
        for dir in &self.created {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Whether anything (a file, a folder, a symlink even to nothing) has this path.
pub fn occupied(path: &Path) -> bool {
    !matches!(fs::symlink_metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound)
}

/// `dir` and those of its parents that do not exist yet, the deepest first.
fn missing_folders(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .take_while(|p| !occupied(p))
        .map(Path::to_path_buf)
        .collect()
}

/// Creates `dir` and its missing parents, and returns the folders this call
/// made itself, the deepest first: a folder another process made at the same
/// moment is not counted, so it is never taken away. On an error the folders
/// made so far are removed again.
fn create_folders(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut created: Vec<PathBuf> = Vec::new();
    for folder in missing_folders(dir).into_iter().rev() {
        match fs::create_dir(&folder) {
            Ok(()) => created.insert(0, folder),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                for made in &created {
                    let _ = fs::remove_dir(made);
                }
                return Err(e);
            }
        }
    }
    Ok(created)
}

/// Creates `root/<YYYYmmdd-HHMMSS>-<label>/`, adding `-2`, `-3`... when a folder of
/// that name exists (two runs in one second).
pub fn create_unique(root: &Path, label: &str) -> Result<NewFolder> {
    let mut created = create_folders(root).with_context(|| {
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
            Ok(()) => {
                created.insert(0, dir.clone());
                return Ok(NewFolder {
                    path: dir,
                    created,
                    _lock: None,
                });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                for made in &created {
                    let _ = fs::remove_dir(made);
                }
                return Err(e).with_context(|| {
                    format!(
                        "cannot create the run folder {} (choose another place with --out DIR)",
                        dir.display()
                    )
                });
            }
        }
    }
    for made in &created {
        let _ = fs::remove_dir(made);
    }
    bail!("too many run folders named {base} in {}", root.display())
}

/// Uses `dir` as the run folder: created if missing; an existing folder is only
/// accepted when it holds none of the files a run writes, so nothing is
/// overwritten.
pub fn prepare_exact(dir: &Path) -> Result<PathBuf> {
    prepare_out_folder(dir, &RUN_FILES).map(|folder| folder.path)
}

/// Uses `dir` (given with `--out`) for files named `names`: created if missing,
/// refused if it is not a folder, already holds anything of those names, or
/// another coreheat is filling it right now. Holds the folder's lock until
/// the returned [`NewFolder`] is dropped.
pub fn prepare_out_folder<S: AsRef<str>>(dir: &Path, names: &[S]) -> Result<NewFolder> {
    let created = create_folders(dir)
        .with_context(|| format!("--out {}: cannot create the folder", dir.display()))?;
    let mut folder = NewFolder {
        path: dir.to_path_buf(),
        created,
        _lock: None,
    };
    match take_folder(dir, names) {
        Ok(lock) => {
            folder._lock = lock;
            Ok(folder)
        }
        Err(e) => {
            folder.discard::<&str>(&[]);
            Err(e)
        }
    }
}

/// Locks `dir`, then checks that it holds none of `names` and takes files.
/// The lock is `None` where the file system has no `flock`.
fn take_folder<S: AsRef<str>>(dir: &Path, names: &[S]) -> Result<Option<fs::File>> {
    check_is_folder(dir)?;
    let lock = lock_folder(dir)?;
    let taken: Vec<&str> = names
        .iter()
        .map(AsRef::as_ref)
        .filter(|name| occupied(&dir.join(name)))
        .collect();
    if !taken.is_empty() {
        bail!(
            "--out {}: the folder already holds {}; coreheat never overwrites files \
             (choose a new or empty folder, or leave out --out)",
            dir.display(),
            taken.join(", ")
        );
    }
    check_writable(dir)?;
    Ok(lock)
}

/// Takes the exclusive lock of `dir`, refusing when another process has it.
fn lock_folder(dir: &Path) -> Result<Option<fs::File>> {
    let Ok(handle) = fs::File::open(dir) else {
        return Ok(None); // a folder that cannot be read: check_writable speaks
    };
    match crate::util::os::try_lock_exclusive(&handle) {
        Ok(true) => Ok(Some(handle)),
        Ok(false) => bail!(
            "--out {}: another coreheat is writing into this folder right now; nothing \
             of it was touched (give each run its own folder with --out, e.g. one per \
             task or host, or leave out --out for a new folder each time)",
            dir.display()
        ),
        Err(_) => Ok(None), // no flock here (some network file systems)
    }
}

/// An existing `--out` path must be a folder (or a symlink to one).
fn check_is_folder(dir: &Path) -> Result<()> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => bail!(
            "--out {}: is a file, not a folder (name a new or empty folder)",
            dir.display()
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => bail!(
            "--out {}: is a symlink to something that does not exist, not a folder",
            dir.display()
        ),
        Err(e) => Err(e).with_context(|| format!("--out {}: cannot look at it", dir.display())),
    }
}

/// Largest manifest read: one naming 100 000 files is about 4 MiB.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// The manifest of `dir`, if it has one coreheat wrote (a larger one than
/// [`MAX_MANIFEST_BYTES`] is not coreheat's).
fn read_manifest(dir: &Path) -> Option<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let bytes = crate::util::input::read_whole(&path, MAX_MANIFEST_BYTES).ok()?;
    let manifest: Manifest = serde_json::from_slice(&bytes).ok()?;
    (manifest.format == MANIFEST_FORMAT).then_some(manifest)
}

/// Before drawing `trace` into `dir`: every file of `names` (and the manifest)
/// that is there already must be one coreheat drew from that same trace.
pub fn check_replaceable<S: AsRef<str>>(dir: &Path, trace: &str, names: &[S]) -> Result<()> {
    let manifest = read_manifest(dir);
    let ours: &[String] = match &manifest {
        Some(m) if m.trace.as_deref() == Some(trace) => &m.files,
        _ => &[],
    };
    let foreign: Vec<&str> = names
        .iter()
        .map(AsRef::as_ref)
        .filter(|name| occupied(&dir.join(name)) && !ours.iter().any(|o| o == name))
        .chain((manifest.is_none() && occupied(&dir.join(MANIFEST_FILE))).then_some(MANIFEST_FILE))
        .collect();
    if !foreign.is_empty() {
        bail!(
            "{} already holds {}, and coreheat has no record of drawing them from {trace}; \
             nothing is overwritten: draw it into a new folder with --out DIR (or move those \
             files away)",
            dir.display(),
            foreign.join(", ")
        );
    }
    Ok(())
}

/// Records in `dir`'s manifest that coreheat writes `names` there, drawn from
/// `trace` (its name when it lies in `dir`, otherwise its full path).
pub fn claim<S: AsRef<str>>(dir: &Path, trace: Option<&str>, names: &[S]) -> Result<()> {
    let mut files: Vec<String> = match read_manifest(dir) {
        Some(old) if old.trace.as_deref() == trace => old.files,
        _ => Vec::new(),
    };
    for name in names.iter().map(AsRef::as_ref) {
        if !files.iter().any(|f| f == name) {
            files.push(name.to_string());
        }
    }
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        trace: trace.map(str::to_string),
        files,
    };
    let json = serde_json::to_string_pretty(&manifest)? + "\n";
    write_atomically(&dir.join(MANIFEST_FILE), json.as_bytes())
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

/// The default folder reports go to.
pub fn reports_root() -> PathBuf {
    PathBuf::from("reports")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_folders_never_collide() {
        let root = tempfile::tempdir().unwrap();
        let a = create_unique(root.path(), "hash-z5").unwrap().path;
        let b = create_unique(root.path(), "hash-z5").unwrap().path;
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
    fn only_files_drawn_from_the_same_trace_are_replaceable() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path();
        let names = [REPORT_FILE, CORES_FILE];
        check_replaceable(dir, TRACE_FILE, &names).unwrap();
        fs::write(dir.join(REPORT_FILE), "drawn").unwrap();
        let err = check_replaceable(dir, TRACE_FILE, &names)
            .unwrap_err()
            .to_string();
        assert!(err.contains(REPORT_FILE) && err.contains("--out"), "{err}");
        claim(dir, Some(TRACE_FILE), &[REPORT_FILE]).unwrap();
        check_replaceable(dir, TRACE_FILE, &names).unwrap();
        assert!(check_replaceable(dir, "other.jsonl", &names).is_err());
        fs::write(dir.join(CORES_FILE), "mine").unwrap();
        let err = check_replaceable(dir, TRACE_FILE, &names)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(CORES_FILE) && !err.contains(REPORT_FILE),
            "{err}"
        );
    }

    #[test]
    fn a_foreign_manifest_is_not_ours() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join(MANIFEST_FILE), "{}").unwrap();
        let err = check_replaceable(root.path(), TRACE_FILE, &[REPORT_FILE])
            .unwrap_err()
            .to_string();
        assert!(err.contains(MANIFEST_FILE), "{err}");
    }

    #[test]
    fn discarding_removes_only_what_was_made() {
        let root = tempfile::tempdir().unwrap();
        let folder = prepare_out_folder(&root.path().join("a/b"), &RUN_FILES).unwrap();
        fs::write(folder.path.join(TRACE_FILE), "header").unwrap();
        folder.discard(&[TRACE_FILE]);
        assert!(!root.path().join("a").exists());

        let existing = root.path().join("mine");
        fs::create_dir(&existing).unwrap();
        fs::write(existing.join("notes.txt"), "keep").unwrap();
        let folder = prepare_out_folder(&existing, &RUN_FILES).unwrap();
        fs::write(folder.path.join(TRACE_FILE), "header").unwrap();
        folder.discard(&[TRACE_FILE]);
        assert!(existing.join("notes.txt").is_file() && !existing.join(TRACE_FILE).exists());
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
