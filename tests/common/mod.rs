//! Helpers shared by the integration tests: run the real binary in a scratch
//! folder, find the run folder it made, read its trace.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use coreheat::Trace;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_coreheat"))
}

/// coreheat run as user nobody (`setpriv`, util-linux; needs root), in a new
/// folder that user may write (kept alive by the returned handle): the
/// command starts in it, with no argument yet.
pub fn as_nobody() -> (tempfile::TempDir, std::process::Command) {
    let shared = tempfile::Builder::new()
        .prefix("coreheat-nobody")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(
        shared.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let mut command = std::process::Command::new("setpriv");
    command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
    command.arg(bin());
    command.current_dir(shared.path());
    (shared, command)
}

/// The Rust program whose threads share one global Mutex
/// (examples/mutex_threads.rs), built on demand.
pub fn mutex_program() -> PathBuf {
    let program = bin()
        .parent()
        .unwrap()
        .join("examples")
        .join("mutex_threads");
    if !program.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "mutex_threads"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo builds the example");
        assert!(status.success());
    }
    program
}

/// A scratch working directory with its own `reports/`.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(bin());
        command.args(args).current_dir(self.path());
        command
    }

    /// Runs coreheat and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("coreheat runs")
    }

    /// Runs coreheat, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "coreheat {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8(output.stdout).expect("utf-8 stdout")
    }

    /// Runs coreheat with --json and returns the parsed object.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        let stdout = self.ok(&all);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {stdout}"))
    }

    /// The run folders under reports/, oldest first.
    pub fn run_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(self.path().join("reports"))
            .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        dirs.sort();
        dirs
    }
}

pub fn read_trace(path: &Path) -> Trace {
    Trace::read(path).unwrap_or_else(|e| panic!("trace {}: {e}", path.display()))
}

/// The known answers of docs/anchors.md: (zeros, prefix, nonce, digest start).
pub const KNOWN: &[(u32, &str, u64, &str)] = &[
    (1, "", 5, "06df05371981a237"),
    (2, "", 61, "00819bedf0933e1d"),
    (3, "", 1533, "00066d42e36caacd"),
    (4, "", 288946, "000090a38f4207db"),
    (5, "", 1839773, "00000a6e66e4f6b265dd66a431cad21e"),
    (4, "block42:", 6816, "0000"),
];

/// Sends a signal (`INT`, `TERM`, `KILL`...) to a process with kill(1).
pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name} {pid}");
}

/// The process tree as coreheat reads it (`util::procfs`): live children,
/// live descendants, and whether a pid is alive (not a zombie).
#[allow(unused_imports)] // each test binary uses some of them
pub use coreheat::util::procfs::{alive, children, descendants};

/// Waits until no signal `number` (2 for SIGINT) is pending for `pid`: the
/// process has taken it and run its handler (standard signals do not queue:
/// one sent while the same one is pending is lost). Returns when that was
/// seen; fails after 10 s.
pub fn wait_until_delivered(pid: u32, number: u32) -> std::time::Instant {
    let bit = 1u64 << (number - 1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let pending = status
            .lines()
            .filter(|l| l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
            .filter_map(|l| u64::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
            .fold(0, |all, mask| all | mask);
        if pending & bit == 0 {
            return std::time::Instant::now();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "signal {number} still pending for {pid} after 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Waits up to `limit` for every process of `pids` to be gone; says whether they are.
pub fn all_gone_within(pids: &[u32], limit: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while pids.iter().any(|&p| alive(p)) {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    true
}

/// A small tmpfs mounted for one test, unmounted when dropped. Mounting needs
/// root with CAP_SYS_ADMIN: a test that uses it carries
/// `#[cfg_attr(coreheat_missing = "tmpfs", ignore = …)]` (build.rs), so where it
/// cannot mount it is ignored, and where it was built to run it fails.
pub struct Tmpfs {
    pub path: PathBuf,
}

impl Tmpfs {
    pub fn mount(size: &str) -> Tmpfs {
        let path: PathBuf = tempfile::tempdir().expect("temp dir").keep();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        if mounted {
            return Tmpfs { path };
        }
        let _ = std::fs::remove_dir(&path);
        panic!("{}", missing("tmpfs", "cannot mount a tmpfs"));
    }

    /// Fills the file system up to the last byte.
    pub fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.path.join("filler")).unwrap();
        let block = vec![b'x'; 4096];
        while filler.write_all(&block).is_ok() {}
        let _ = filler.write_all(b"x");
        let _ = filler.sync_all();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// Why a test that was built to run (build.rs found its prerequisite `name`,
/// or `CI` is set) cannot: what is wrong and how to get it.
pub fn missing(name: &str, what: &str) -> String {
    format!(
        "{what}: this test needs {name} (README.md, \"Tests\", says how to get it; \
         .ci/run installs it). build.rs marks the test ignored where {name} is \
         missing, unless CI is set; if it was just removed, rebuild (touch build.rs)"
    )
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// coreheat run as an unprivileged user allowed at most `nproc` processes and
/// threads (`ulimit -u`; root is exempt, so the user changes), in a scratch
/// folder that user may write. The user id is private to this call, so that no
/// other process counts against the limit. A test that uses it carries
/// `#[cfg_attr(coreheat_missing = "ulimit", ignore = …)]` (build.rs).
pub fn with_few_processes(scratch: &Scratch, nproc: u32, args: &[&str]) -> Command {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let prlimit = ["/usr/bin/prlimit", "/bin/prlimit"]
        .into_iter()
        .find(|p| Path::new(p).is_file());
    let Some(prlimit) = prlimit.filter(|_| is_root()) else {
        panic!(
            "{}",
            missing("ulimit", "needs root and prlimit(1) to lower ulimit -u")
        );
    };
    std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 10;
    let user = 30_000 + (std::process::id() % 3_000) * 10 + call;
    let mut command = Command::new(prlimit);
    command
        .arg(format!("--nproc={nproc}:{nproc}"))
        .arg(bin())
        .args(args)
        .current_dir(scratch.path())
        .uid(user)
        .gid(user);
    command
}

/// Address space given to coreheat by [`Scratch::run_bounded`]: a reader that
/// swallows a huge or endless input fails here instead of eating the machine.
pub const BOUNDED_MEMORY: u64 = 1 << 30;

/// Longest [`Scratch::run_bounded`] waits before it kills coreheat and fails.
pub const BOUNDED_TIME: std::time::Duration = std::time::Duration::from_secs(60);

impl Scratch {
    /// Runs coreheat with at most [`BOUNDED_MEMORY`] of address space, and kills
    /// it (failing the test) if it has not ended after [`BOUNDED_TIME`].
    pub fn run_bounded(&self, args: &[&str]) -> Output {
        use std::io::Read;
        use std::os::unix::process::CommandExt;
        use std::process::Stdio;

        let mut command = self.command(args);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: only setrlimit, which is async-signal-safe, runs in the child.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: BOUNDED_MEMORY,
                    rlim_max: BOUNDED_MEMORY,
                };
                match libc::setrlimit(libc::RLIMIT_AS, &limit) {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                }
            });
        }
        let mut child = command.spawn().expect("coreheat starts");
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                bytes
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        let deadline = std::time::Instant::now() + BOUNDED_TIME;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for coreheat") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("coreheat {args:?} did not end within {BOUNDED_TIME:?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        Output {
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        }
    }
}

/// Headless Chromium as the tests run it, with a profile folder of its own. A
/// test that uses it carries `#[cfg_attr(coreheat_missing = "chromium", ignore = …)]`.
pub struct Chromium {
    program: &'static str,
    profile: tempfile::TempDir,
}

impl Chromium {
    pub fn find() -> Chromium {
        let found = ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find(|name| {
                Command::new(name)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            });
        let Some(program) = found else {
            panic!("{}", missing("chromium", "chromium is not installed"));
        };
        Chromium {
            program,
            profile: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Chromium with the flags this closed network needs and a window size.
    pub fn command(&self, width: u32, height: u32) -> Command {
        let mut command = Command::new(self.program);
        command.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ]);
        command.arg(format!("--window-size={width},{height}"));
        command.arg(format!("--user-data-dir={}", self.profile.path().display()));
        command
    }

    /// The page's DOM after its scripts ran.
    pub fn dump_dom(&self, page: &Path, width: u32) -> String {
        let output = self
            .command(width, 1200)
            .arg("--dump-dom")
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// What coreheat drew on a terminal and printed elsewhere.
pub struct TerminalRun {
    pub output: Output,
    /// Every byte written to the terminal (stderr), control codes included.
    pub drawn: String,
}

impl TerminalRun {
    /// The texts of the live line, in the order drawn: what follows each
    /// "erase the line" code up to the next carriage return or newline.
    pub fn live_lines(&self) -> Vec<String> {
        self.drawn
            .split("\x1b[2K")
            .skip(1)
            .map(|part| part.split(['\r', '\n']).next().unwrap_or("").to_string())
            .filter(|line| !line.is_empty())
            .collect()
    }
}

/// A new pseudo-terminal: its master (what a terminal window holds) and its
/// slave (what the programs in it read and write).
pub fn open_pty() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty fills in two new descriptors that nothing else owns.
    let status = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(status, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here only.
    unsafe {
        (
            std::fs::File::from(OwnedFd::from_raw_fd(master)),
            OwnedFd::from_raw_fd(slave),
        )
    }
}

/// Whether the trace's header carries a note containing `text`.
pub fn has_note(trace: &Trace, text: &str) -> bool {
    trace.header.meta.notes.iter().any(|n| n.contains(text))
}

/// Runs coreheat with its stderr on a new pseudo-terminal, as it is in a
/// terminal window (stdout is a pipe, stdin is empty), and collects what it
/// draws there.
pub fn run_on_terminal(scratch: &Scratch, args: &[&str]) -> TerminalRun {
    use std::io::Read;
    use std::process::Stdio;
    let (mut master, slave) = open_pty();
    let child = scratch
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("coreheat starts");
    // The terminal's buffer is small: read it while coreheat runs. Reading
    // ends (EIO) once every process has closed the terminal.
    let reader = std::thread::spawn(move || {
        let mut drawn = Vec::new();
        let _ = master.read_to_end(&mut drawn);
        drawn
    });
    let output = child.wait_with_output().expect("coreheat ends");
    let drawn = reader.join().expect("the terminal reader ends");
    TerminalRun {
        output,
        drawn: String::from_utf8_lossy(&drawn).into_owned(),
    }
}
