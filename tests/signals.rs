//! Nothing lost: Ctrl-C and SIGTERM, a second Ctrl-C, a worker that dies or
//! panics, coreheat killed, and a disk that fills up — with real processes and
//! real signals.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use common::{Scratch, alive, all_gone_within, children, descendants, read_trace, signal};
use coreheat::Status;
use coreheat::util::interrupt::REPEAT_WINDOW;

/// Starts coreheat writing into `out` and waits until its trace has `samples`
/// samples. The caller waits for the child.
fn start_and_wait(scratch: &Scratch, args: &[&str], out: &str, samples: usize) -> Child {
    start_with(scratch, args, out, samples, |_| {})
}

/// [`start_and_wait`] in a process group of its own, as a shell starts a job:
/// the returned child's pid is the group id a terminal's Ctrl-C goes to.
fn start_as_job(scratch: &Scratch, args: &[&str], out: &str, samples: usize) -> Child {
    use std::os::unix::process::CommandExt;
    start_with(scratch, args, out, samples, |command| {
        command.process_group(0);
    })
}

#[allow(clippy::zombie_processes)]
fn start_with(
    scratch: &Scratch,
    args: &[&str],
    out: &str,
    samples: usize,
    prepare: impl FnOnce(&mut Command),
) -> Child {
    let mut all = vec!["run", "--interval", "100ms", "--out", out, "-q"];
    all.extend_from_slice(args);
    let mut command = scratch.command(&all);
    prepare(&mut command);
    let child = command.spawn().unwrap();
    wait_for_samples(scratch, out, samples);
    child
}

/// Waits until the trace in `out` has `samples` samples.
fn wait_for_samples(scratch: &Scratch, out: &str, samples: usize) {
    let trace = scratch.path().join(out).join("trace.jsonl");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let count = std::fs::read_to_string(&trace)
            .map(|t| {
                t.lines()
                    .filter(|l| l.starts_with(r#"{"t":"#) && l.contains("cpus"))
                    .count()
            })
            .unwrap_or(0);
        if count >= samples {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the run never reached {samples} samples"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait(child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    let pid = child.id();
    let output = std::thread::spawn(move || child.wait_with_output().unwrap());
    while !output.is_finished() {
        if started.elapsed() > limit {
            signal(pid, "KILL");
            panic!("coreheat did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    output.join().unwrap()
}

fn assert_interrupted(dir: &Path) {
    let trace = read_trace(&dir.join("trace.jsonl"));
    let (_, end) = trace.end.expect("an end line");
    assert_eq!(end.status, Status::Interrupted);
    assert!(trace.samples.len() >= 3, "every sample kept");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("This run was interrupted"),
        "banner in the report"
    );
}

#[test]
fn ctrl_c_stops_threads_and_keeps_everything() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &[
            "--mode",
            "threads",
            "--workers",
            "2",
            "count",
            "--n",
            "2^40",
        ],
        "int",
        4,
    );
    signal(child.id(), "INT");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(130));
    assert_interrupted(&scratch.path().join("int"));
}

#[test]
fn sigterm_stops_processes_and_leaves_no_process_behind() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &[
            "--mode",
            "processes",
            "--workers",
            "2",
            "hash",
            "--zeros",
            "40",
            "--allow-long",
        ],
        "term",
        4,
    );
    let workers = children(child.id());
    assert_eq!(workers.len(), 2, "two worker processes");
    signal(child.id(), "TERM");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(143));
    assert!(
        workers.iter().all(|&w| !alive(w)),
        "workers left behind: {workers:?}"
    );
    assert_interrupted(&scratch.path().join("term"));
}

#[test]
fn ctrl_c_stops_a_serial_run_and_an_exec() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &["--mode", "serial", "count", "--n", "2^40"],
        "serial",
        3,
    );
    signal(child.id(), "INT");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(130));
    assert_interrupted(&scratch.path().join("serial"));

    let child = start_and_wait(&scratch, &["exec", "--", "sleep", "30"], "exec", 3);
    let sleeper = children(child.id());
    signal(child.id(), "INT");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(130));
    assert!(
        sleeper.iter().all(|&p| !alive(p)),
        "the command was stopped"
    );
    assert_interrupted(&scratch.path().join("exec"));
}

#[test]
fn a_second_ctrl_c_stops_at_once_and_the_trace_still_reads() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &[
            "--mode",
            "processes",
            "--workers",
            "2",
            "count",
            "--n",
            "2^40",
        ],
        "twice",
        3,
    );
    let workers = children(child.id());
    // A stopped worker holds the orderly stop up for a second: the second
    // Ctrl-C, past the repeat window, comes while coreheat is still stopping.
    signal(workers[0], "STOP");
    signal(child.id(), "INT");
    // Past the repeat window counted from when coreheat took the first one,
    // however late a loaded machine delivered it.
    let delivered = common::wait_until_delivered(child.id(), 2);
    std::thread::sleep(REPEAT_WINDOW + Duration::from_millis(100));
    assert!(delivered.elapsed() > REPEAT_WINDOW);
    signal(child.id(), "INT");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(130));
    let trace = read_trace(&scratch.path().join("twice/trace.jsonl"));
    assert!(trace.end.is_none(), "the second Ctrl-C exits at once");
    let deadline = Instant::now() + Duration::from_secs(3);
    while workers.iter().any(|&w| alive(w)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(workers.iter().all(|&w| !alive(w)), "workers left behind");
    let trace = read_trace(&scratch.path().join("twice/trace.jsonl"));
    assert!(trace.samples.len() >= 3);
    scratch.ok(&["render", "twice/trace.jsonl"]);
}

#[test]
fn a_killed_worker_process_fails_the_run_and_is_named() {
    let scratch = Scratch::new();
    let mut all = vec![
        "run",
        "--interval",
        "100ms",
        "--out",
        "dead",
        "--mode",
        "processes",
        "--workers",
        "2",
    ];
    all.extend_from_slice(&["count", "--n", "2^40"]);
    let child = scratch
        .command(&all)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let workers = loop {
        let workers = children(child.id());
        if workers.len() == 2 {
            break workers;
        }
        assert!(Instant::now() < deadline, "workers never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(300));
    signal(workers[1], "KILL");
    let output = wait(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("died: signal 9 (SIGKILL)")
            && stderr.contains(&format!("pid {}", workers[1])),
        "{stderr}"
    );
    assert!(
        workers.iter().all(|&w| !alive(w)),
        "the other worker was stopped too"
    );
    let dir = scratch.path().join("dead");
    let trace = read_trace(&dir.join("trace.jsonl"));
    let (_, end) = trace.end.unwrap();
    assert_eq!(end.status, Status::Failed);
    assert!(end.message.unwrap().contains("SIGKILL"));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("This run failed"));
}

#[test]
fn a_panicking_worker_thread_fails_the_run() {
    let scratch = Scratch::new();
    let output = scratch
        .command(&[
            "run",
            "--interval",
            "100ms",
            "--out",
            "panic",
            "--mode",
            "threads",
            "--workers",
            "2",
            "hash",
            "--zeros",
            "9",
        ])
        .env("COREHEAT_TEST_PANIC_WORKER", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("run failed: worker thread") && stderr.contains("panicked"),
        "{stderr}"
    );
    let trace = read_trace(&scratch.path().join("panic/trace.jsonl"));
    assert_eq!(trace.end.unwrap().1.status, Status::Failed);
    assert!(scratch.path().join("panic/report.html").is_file());
}

#[test]
fn killed_coreheat_leaves_a_trace_render_can_draw() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &[
            "--mode",
            "processes",
            "--workers",
            "2",
            "count",
            "--n",
            "2^40",
        ],
        "killed",
        3,
    );
    let workers = children(child.id());
    signal(child.id(), "KILL");
    let _ = wait(child, Duration::from_secs(5));
    let deadline = Instant::now() + Duration::from_secs(1);
    while workers.iter().any(|&w| alive(w)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        workers.iter().all(|&w| !alive(w)),
        "workers outlived coreheat by a second"
    );
    let trace = read_trace(&scratch.path().join("killed/trace.jsonl"));
    assert!(trace.end.is_none());
    assert!(trace.samples.len() >= 3);
    scratch.ok(&["render", "killed/trace.jsonl"]);
    let html = std::fs::read_to_string(scratch.path().join("killed/report.html")).unwrap();
    assert!(html.contains("no end line"));
}

#[test]
fn unwritable_output_is_an_error_before_anything_runs() {
    let scratch = Scratch::new();
    let output = scratch.run(&[
        "run",
        "--out",
        "/proc/coreheat-cannot-write-here",
        "hash",
        "--zeros",
        "1",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--out /proc/coreheat-cannot-write-here"),
        "{stderr}"
    );
    let file = scratch.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let output = scratch.run(&["run", "--out", "a-file", "hash", "--zeros", "1"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a folder"));
}

/// A tmpfs of two pages fills up during the run: the samples written before
/// stay readable, and coreheat says what happened.
#[cfg_attr(
    coreheat_missing = "tmpfs",
    ignore = "needs root allowed to mount a tmpfs"
)]
#[test]
fn a_full_disk_keeps_the_samples_already_written() {
    let mount_point: PathBuf = tempfile::tempdir().unwrap().keep();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8k", "tmpfs"])
        .arg(&mount_point)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        let _ = std::fs::remove_dir(&mount_point);
        panic!("{}", common::missing("tmpfs", "cannot mount a tmpfs"));
    }
    let scratch = Scratch::new();
    let out = mount_point.join("run");
    let output = scratch.run(&[
        "run",
        "--interval",
        "100ms",
        "--out",
        out.to_str().unwrap(),
        "-q",
        "idle",
        "--duration",
        "6s",
    ]);
    let copy = scratch.path().join("trace.jsonl");
    std::fs::copy(out.join("trace.jsonl"), &copy).unwrap();
    let _ = std::process::Command::new("umount")
        .arg(&mount_point)
        .status();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a run whose trace could not be written fails"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("writing the trace stopped early") && stderr.contains("No space left"),
        "{stderr}"
    );
    let trace = read_trace(&copy);
    assert!(
        trace.samples.len() >= 5,
        "samples before the disk filled: {}",
        trace.samples.len()
    );
}

/// Waits until the file at `path` holds `needle`; fails the test with `what`
/// after 20 s.
fn wait_for_text(path: &Path, needle: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(path).is_ok_and(|t| t.contains(needle)) {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `kill -SIG -PGID`: what a terminal does on Ctrl-C, to coreheat and its workers.
fn signal_group(pgid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), "--", &format!("-{pgid}")])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name} -{pgid}");
}

#[test]
fn ctrl_c_to_the_whole_process_group_interrupts_processes_mode() {
    let scratch = Scratch::new();
    for (name, code) in [("INT", 130), ("TERM", 143)] {
        let out = format!("group-{name}");
        let args = [
            "--mode",
            "processes",
            "--workers",
            "2",
            "count",
            "--n",
            "2^40",
        ];
        let child = start_as_job(&scratch, &args, &out, 3);
        let workers = children(child.id());
        assert_eq!(workers.len(), 2, "two worker processes");
        signal_group(child.id(), name);
        let output = wait(child, Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(code), "SIG{name} to the group");
        assert!(all_gone_within(&workers, Duration::from_secs(2)));
        assert_interrupted(&scratch.path().join(&out));
    }
}

#[test]
fn ctrl_c_to_the_process_group_interrupts_a_processes_sweep() {
    use std::os::unix::process::CommandExt;
    let scratch = Scratch::new();
    let child = scratch
        .command(&[
            "sweep",
            "--interval",
            "100ms",
            "--workers",
            "1,2",
            "--modes",
            "processes",
            "--repeat",
            "1",
            "--out",
            "sw",
            "-q",
            "count",
            "--n",
            "2^40",
        ])
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        let runs: Vec<PathBuf> = std::fs::read_dir(scratch.path().join("sw"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(run) = runs.first()
            && std::fs::read_to_string(run.join("trace.jsonl"))
                .is_ok_and(|t| t.matches("\"cpus\"").count() >= 3)
        {
            break run.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the sweep never started its first run"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    signal_group(child.id(), "INT");
    let output = wait(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(130));
    let trace = read_trace(&first.join("trace.jsonl"));
    assert_eq!(
        trace.end.expect("an end line").1.status,
        Status::Interrupted
    );
    assert!(scratch.path().join("sw/report.html").exists());
}

#[test]
fn timeout_delivering_its_signal_twice_is_one_interrupt() {
    let scratch = Scratch::new();
    // timeout signals coreheat, then its whole process group: two SIGINTs
    // microseconds apart, and the workers get one too.
    let output = Command::new("timeout")
        .args(["--preserve-status", "-s", "INT", "1.5"])
        .arg(common::bin())
        .args([
            "run",
            "--interval",
            "100ms",
            "--out",
            "t",
            "-q",
            "--mode",
            "processes",
            "--workers",
            "2",
            "count",
            "--n",
            "2^40",
        ])
        .current_dir(scratch.path())
        .output()
        .expect("timeout runs");
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert_interrupted(&scratch.path().join("t"));
}

#[test]
fn a_signal_sent_twice_at_once_is_one_interrupt() {
    let scratch = Scratch::new();
    let child = start_and_wait(
        &scratch,
        &["--mode", "threads", "count", "--n", "2^40"],
        "dup",
        3,
    );
    // Two signals that both arrive: the second is sent once the first has
    // been taken (sent together, the second would merge into the pending
    // first), well inside the repeat window.
    signal(child.id(), "INT");
    let delivered = common::wait_until_delivered(child.id(), 2);
    signal(child.id(), "INT");
    let apart = delivered.elapsed();
    common::wait_until_delivered(child.id(), 2);
    assert!(
        apart < REPEAT_WINDOW / 2,
        "the second signal came {apart:?} after the first was taken: too late to test a repeat"
    );
    let output = wait(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(130));
    assert_interrupted(&scratch.path().join("dup"));
}

#[test]
fn an_interrupt_in_a_long_first_interval_is_acted_on_at_once() {
    let scratch = Scratch::new();
    let child = scratch
        .command(&[
            "run",
            "--interval",
            "1h",
            "--out",
            "long",
            "-q",
            "idle",
            "--duration",
            "1s",
        ])
        .spawn()
        .unwrap();
    let trace = scratch.path().join("long/trace.jsonl");
    wait_for_text(&trace, "coreheat-trace", "no trace header");
    signal(child.id(), "INT");
    // Without the fix the first sample, and so the stop, waits for the hour.
    let output = wait(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(130));
    let trace = read_trace(&trace);
    assert_eq!(
        trace.end.expect("an end line").1.status,
        Status::Interrupted
    );
}

#[test]
fn an_interrupt_in_the_tail_cuts_it_short_and_exits_130() {
    let scratch = Scratch::new();
    let child = scratch
        .command(&[
            "run",
            "--interval",
            "1s",
            "--out",
            "tail",
            "-q",
            "idle",
            "--duration",
            "100ms",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let trace_path = scratch.path().join("tail/trace.jsonl");
    wait_for_text(&trace_path, "workload_end", "the workload never ended");
    signal(child.id(), "INT");
    let output = wait(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(130));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("interrupted after the workload ended")
    );
    let trace = read_trace(&trace_path);
    let (_, end) = trace.end.expect("an end line");
    assert_eq!(end.status, Status::Ok, "the workload's result stands");
    assert!(
        trace
            .events
            .iter()
            .any(|e| e.detail.as_deref().is_some_and(|d| d.contains("tail")))
    );
}

#[test]
fn a_worker_that_does_not_stop_is_killed_and_named() {
    let scratch = Scratch::new();
    let args = [
        "--mode",
        "processes",
        "--workers",
        "2",
        "count",
        "--n",
        "2^40",
    ];
    let child = start_and_wait(&scratch, &args, "stuck", 3);
    let workers = children(child.id());
    signal(workers[0], "STOP");
    signal(child.id(), "INT");
    let output = wait(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(130));
    assert!(all_gone_within(&workers, Duration::from_secs(1)));
    let dir = scratch.path().join("stuck");
    assert_interrupted(&dir);
    let (_, end) = read_trace(&dir.join("trace.jsonl")).end.unwrap();
    let message = end.message.unwrap_or_default();
    assert!(
        message.contains(&format!(
            "pid {}) did not stop within 1 s and was killed",
            workers[0]
        )),
        "{message}"
    );
}

#[test]
fn stopping_an_exec_stops_its_whole_tree() {
    let scratch = Scratch::new();
    let cases = [
        ("yes", "TERM", "yes > /dev/null"),
        ("ign", "INT", "trap '' INT TERM; while :; do :; done"),
        ("bg", "INT", "sleep 30 & sleep 30 & wait"),
    ];
    for (out, name, script) in cases {
        // The command that ignores the signal is stopped once the grace is over.
        let args = ["--grace", "1s", "exec", "--", "sh", "-c", script];
        let child = start_and_wait(&scratch, &args, out, 3);
        let tree = descendants(child.id());
        assert!(
            tree.len() >= 2,
            "{out}: guardian and shell at least: {tree:?}"
        );
        signal(child.id(), name);
        let output = wait(child, Duration::from_secs(10));
        assert_eq!(
            output.status.code(),
            Some(if name == "INT" { 130 } else { 143 })
        );
        assert!(
            all_gone_within(&tree, Duration::from_secs(1)),
            "{out}: left running: {:?}",
            tree.iter().filter(|&&p| alive(p)).collect::<Vec<_>>()
        );
        assert_interrupted(&scratch.path().join(out));
    }
}

#[test]
fn an_exec_tree_dies_with_coreheat_even_by_kill_9() {
    let scratch = Scratch::new();
    let script = "sleep 30 & (sleep 30 &); sleep 30";
    let child = start_and_wait(&scratch, &["exec", "--", "sh", "-c", script], "k9", 3);
    let deadline = Instant::now() + Duration::from_secs(10);
    let tree = loop {
        let tree = descendants(child.id());
        if tree.len() >= 4 || Instant::now() > deadline {
            break tree;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(tree.len() >= 4, "guardian, shell and sleeps: {tree:?}");
    signal(child.id(), "KILL");
    let _ = wait(child, Duration::from_secs(5));
    assert!(
        all_gone_within(&tree, Duration::from_secs(1)),
        "left running: {:?}",
        tree.iter().filter(|&&p| alive(p)).collect::<Vec<_>>()
    );
}

#[test]
fn background_children_of_an_exec_are_counted_not_waited_for() {
    let scratch = Scratch::new();
    let script = "sleep 60 > /dev/null 2>&1 & echo $! > bg.pid; exit 0";
    let started = Instant::now();
    let args = [
        "run",
        "--interval",
        "100ms",
        "--json",
        "exec",
        "--",
        "sh",
        "-c",
        script,
    ];
    let stdout = scratch.ok(&args);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "not waited for"
    );
    let background: u32 = std::fs::read_to_string(scratch.path().join("bg.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(background), "left running, as time leaves it");
    signal(background, "KILL");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["result"]["left_running"], 1, "{json}");
    let report = scratch.path().join(json["report"].as_str().unwrap());
    let html = std::fs::read_to_string(report).unwrap();
    assert!(html.contains("1 of its processes was still running"));
}

/// [`start_and_wait`] as the one job of a new terminal: coreheat leads its own
/// session with a pseudo-terminal as its controlling terminal and stdin, so
/// that typing Ctrl-C into the returned master makes the kernel send SIGINT to
/// coreheat and the command alike, as in a terminal window.
fn start_on_terminal(
    scratch: &Scratch,
    args: &[&str],
    out: &str,
    samples: usize,
) -> (Child, std::fs::File) {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let (master, slave) = common::open_pty();
    let child = start_with(scratch, args, out, samples, |command| {
        command
            .stdin(Stdio::from(slave))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    (child, master)
}

/// Types `keys` into a terminal.
fn type_keys(mut terminal: &std::fs::File, keys: &[u8]) {
    use std::io::Write;
    terminal.write_all(keys).expect("the terminal takes keys");
}

/// The end line's message of the trace in `dir`, which must say interrupted.
fn interrupted_message(dir: &Path) -> String {
    let trace = read_trace(&dir.join("trace.jsonl"));
    let (_, end) = trace.end.expect("an end line");
    assert_eq!(end.status, Status::Interrupted);
    end.message.unwrap_or_default()
}

/// A command that saves its work when interrupted, taking 1.5 s to do it.
const SAVES_ON: &str = "trap 'sleep 1.5; echo saved > saved.txt; exit 0' SIGNAL; \
                        while :; do sleep 0.1; done";

#[test]
fn ctrl_c_lets_the_command_save_its_work_and_says_which_signal() {
    let scratch = Scratch::new();
    let script = SAVES_ON.replace("SIGNAL", "INT");
    let (child, terminal) =
        start_on_terminal(&scratch, &["exec", "--", "sh", "-c", &script], "tty", 3);
    type_keys(&terminal, b"\x03");
    let output = wait(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("saved.txt"))
            .ok()
            .as_deref(),
        Some("saved\n"),
        "the command's own Ctrl-C handler ran to its end"
    );
    let message = interrupted_message(&scratch.path().join("tty"));
    assert!(
        message.contains("SIGINT") && message.contains("ended by itself with exit code 0"),
        "{message}"
    );
    drop(terminal);
}

#[test]
fn sigterm_to_coreheat_alone_is_passed_on_and_the_command_gets_its_grace() {
    let scratch = Scratch::new();
    for (name, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let script = SAVES_ON.replace("SIGNAL", name);
        let out = format!("alone-{name}");
        let child = start_and_wait(&scratch, &["exec", "--", "sh", "-c", &script], &out, 3);
        signal(child.id(), name);
        let output = wait(child, Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(code), "SIG{name}: {output:?}");
        let saved = scratch.path().join("saved.txt");
        assert!(saved.is_file(), "SIG{name}: the command saved its work");
        std::fs::remove_file(saved).unwrap();
        let message = interrupted_message(&scratch.path().join(&out));
        assert!(
            message.contains(&format!("SIG{name}")) && message.contains("by itself"),
            "{message}"
        );
    }
}

#[test]
fn a_second_ctrl_c_or_the_end_of_the_grace_stops_a_command_that_ignores_it() {
    let scratch = Scratch::new();
    let script = "trap '' INT; while :; do sleep 0.1; done";
    let args = ["exec", "--", "sh", "-c", script];
    let (child, terminal) = start_on_terminal(&scratch, &args, "twice", 3);
    type_keys(&terminal, b"\x03");
    std::thread::sleep(Duration::from_millis(600));
    assert!(alive(child.id()), "one Ctrl-C waits for the command");
    let second = Instant::now();
    type_keys(&terminal, b"\x03");
    let output = wait(child, Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert!(
        second.elapsed() < Duration::from_secs(3),
        "{:?}",
        second.elapsed()
    );
    let message = interrupted_message(&scratch.path().join("twice"));
    assert!(message.contains("second interrupt"), "{message}");
    drop(terminal);

    let mut args = vec!["--grace", "1s"];
    args.extend_from_slice(&["exec", "--", "sh", "-c", script]);
    let (child, terminal) = start_on_terminal(&scratch, &args, "grace", 3);
    let first = Instant::now();
    type_keys(&terminal, b"\x03");
    let output = wait(child, Duration::from_secs(8));
    let took = first.elapsed();
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "stopped after the 1 s grace: {took:?}"
    );
    let message = interrupted_message(&scratch.path().join("grace"));
    assert!(
        message.contains("--grace") && message.contains("SIGINT"),
        "{message}"
    );
    drop(terminal);
}

/// Reads a pid a test script wrote into `file`, waiting for it.
fn pid_in(scratch: &Scratch, file: &str) -> u32 {
    let path = scratch.path().join(file);
    wait_for_text(&path, "\n", &format!("{file} written"));
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A command whose tree has a `setsid`'d and a double-forked descendant.
const ESCAPING_TREE: &str = "setsid sleep 60 & echo $! > setsid.pid; \
                             (sleep 60 & echo $! > forked.pid) ; sleep 60";

#[test]
fn hangup_and_quit_to_the_group_end_the_trace_and_stop_the_whole_tree() {
    let scratch = Scratch::new();
    for (name, code) in [("HUP", 129), ("QUIT", 131)] {
        let out = format!("group-{name}");
        let args = ["exec", "--", "sh", "-c", ESCAPING_TREE];
        let child = start_as_job(&scratch, &args, &out, 3);
        let escaped = [
            pid_in(&scratch, "setsid.pid"),
            pid_in(&scratch, "forked.pid"),
        ];
        signal_group(child.id(), name);
        let output = wait(child, Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(code), "SIG{name}: {output:?}");
        assert_interrupted(&scratch.path().join(&out));
        let message = interrupted_message(&scratch.path().join(&out));
        assert!(message.contains(&format!("SIG{name}")), "{message}");
        assert!(
            all_gone_within(&escaped, Duration::from_secs(2)),
            "SIG{name}: left running: {escaped:?}"
        );
        for file in ["setsid.pid", "forked.pid"] {
            std::fs::remove_file(scratch.path().join(file)).unwrap();
        }
    }
}

#[test]
fn kill_9_to_the_group_still_stops_setsid_and_double_forked_descendants() {
    let scratch = Scratch::new();
    let args = ["exec", "--", "sh", "-c", ESCAPING_TREE];
    let child = start_as_job(&scratch, &args, "k9-group", 3);
    let escaped = [
        pid_in(&scratch, "setsid.pid"),
        pid_in(&scratch, "forked.pid"),
    ];
    assert!(escaped.iter().all(|&p| alive(p)));
    signal_group(child.id(), "KILL");
    let _ = wait(child, Duration::from_secs(5));
    assert!(
        all_gone_within(&escaped, Duration::from_secs(2)),
        "left running with ppid 1: {:?}",
        escaped.iter().filter(|&&p| alive(p)).collect::<Vec<_>>()
    );
    let trace = read_trace(&scratch.path().join("k9-group/trace.jsonl"));
    assert!(trace.samples.len() >= 3, "the samples written are kept");
}

#[test]
fn an_interrupt_in_the_baseline_or_idle_ends_the_trace_at_once() {
    let scratch = Scratch::new();
    let mut latencies = Vec::new();
    for (round, args) in [
        ["--baseline", "5s", "idle", "--duration", "20s"],
        ["--baseline", "0", "idle", "--duration", "20s"],
    ]
    .iter()
    .cycle()
    .take(6)
    .enumerate()
    {
        let out = format!("prompt{round}");
        let mut command = scratch.command(&[&["run", "-q", "--out", &out][..], &args[..]].concat());
        let child = command.spawn().unwrap();
        let trace = scratch.path().join(&out).join("trace.jsonl");
        wait_for_text(&trace, "\"format\"", "the trace started");
        // A moment off the 250 ms grid of the stop flag's looks.
        std::thread::sleep(Duration::from_millis(430 + 37 * round as u64));
        let sent = Instant::now();
        signal(child.id(), "INT");
        wait_for_text(&trace, "\"end\"", "an end line");
        latencies.push(sent.elapsed());
        let output = wait(child, Duration::from_secs(5));
        assert_eq!(output.status.code(), Some(130));
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    assert!(
        median < Duration::from_millis(100),
        "from the signal to the end line: {latencies:?}"
    );
}

#[test]
fn an_interrupted_exec_counts_the_cpu_time_of_its_whole_tree() {
    let scratch = Scratch::new();
    // Two busy grandchildren behind a shell that only waits: after Ctrl-C
    // the shell is reaped first, its children a moment later.
    let args = [
        "exec",
        "--",
        "sh",
        "-c",
        "yes > /dev/null & yes > /dev/null & wait",
    ];
    let child = start_as_job(&scratch, &args, "tree", 8);
    signal_group(child.id(), "INT");
    let output = wait(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(130));
    let trace = read_trace(&scratch.path().join("tree/trace.jsonl"));
    let (_, end) = trace.end.clone().expect("an end line");
    assert_eq!(end.status, Status::Interrupted);
    let per_s = f64::from(trace.header.meta.ticks_per_s.unwrap());
    let rows_cpu_s: f64 = trace
        .task_rows
        .iter()
        .flat_map(|(_, rows)| rows)
        .map(|row| (row.utime + row.stime) as f64 / per_s)
        .sum();
    let own = end.user_s + end.sys_s;
    assert!(
        rows_cpu_s > 0.2,
        "the yes processes ran: {rows_cpu_s} CPU-s"
    );
    assert!(
        own >= 0.8 * rows_cpu_s,
        "the end line's {own:.3} CPU-s hold the task rows' {rows_cpu_s:.3}"
    );
}
