//! Finds which of the tests' prerequisites this machine lacks, so that the
//! tests needing one are marked ignored — `cargo test`'s summary counts them
//! and names what each needs — instead of passing without testing anything.
//!
//! Each missing prerequisite sets `--cfg coreheat_missing="NAME"`; a test that
//! needs it carries
//! `#[cfg_attr(coreheat_missing = "NAME", ignore = "needs NAME: how to get it")]`.
//! A test that was built with its prerequisite runs and fails if it is gone.
//! With `CI` set (to anything but `false` or `0`) nothing is missing: every
//! test runs and a missing prerequisite fails it, so CI cannot skip.
//!
//! README.md's "Tests" section lists the prerequisites; `.ci/run` installs
//! them. The library and binary ignore these flags.

use std::env;
use std::path::{Path, PathBuf};

/// Every prerequisite a test can name: the `coreheat_missing` values.
const PREREQUISITES: [&str; 10] = [
    "chromium",
    "jq",
    "python3",
    "prometheus",
    "tmpfs",
    "ulimit",
    "two_cpus",
    "sched_events",
    "realtime",
    "setpriv",
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    let values: Vec<String> = PREREQUISITES.iter().map(|p| format!("\"{p}\"")).collect();
    println!(
        "cargo::rustc-check-cfg=cfg(coreheat_missing, values({}))",
        values.join(", ")
    );
    let dirs = path_dirs();
    // A tool installed later adds a file to one of these folders, which
    // changes the folder's time: the next build looks again.
    for dir in &dirs {
        println!("cargo::rerun-if-changed={}", dir.display());
    }
    if ci() {
        return;
    }
    let on_path = |names: &[&str]| {
        names
            .iter()
            .any(|n| dirs.iter().any(|d| d.join(n).is_file()))
    };
    let may_mount = effective_capabilities().is_some_and(|caps| caps & (1 << 21) != 0);
    let found = [
        (
            "chromium",
            on_path(&["chromium", "chromium-browser", "google-chrome"]),
        ),
        ("jq", on_path(&["jq"])),
        ("python3", on_path(&["python3"])),
        (
            "prometheus",
            on_path(&["prometheus"]) && on_path(&["prometheus-node-exporter", "node_exporter"]),
        ),
        (
            "tmpfs",
            may_mount && uid_is_root() && on_path(&["mount"]) && on_path(&["umount"]),
        ),
        (
            "ulimit",
            uid_is_root()
                && ["/usr/bin/prlimit", "/bin/prlimit"]
                    .iter()
                    .any(|p| Path::new(p).is_file()),
        ),
        (
            "two_cpus",
            std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2),
        ),
        ("sched_events", may_open_sched_events()),
        // Root or CAP_SYS_NICE (bit 23) may ask for real-time priority.
        (
            "realtime",
            uid_is_root() || effective_capabilities().is_some_and(|caps| caps & (1 << 23) != 0),
        ),
        // Root may run coreheat as user nobody with setpriv (util-linux).
        ("setpriv", uid_is_root() && on_path(&["setpriv"])),
    ];
    for (name, present) in found {
        if !present {
            println!("cargo::rustc-cfg=coreheat_missing=\"{name}\"");
        }
    }
}

/// The scheduler's tracepoints may be opened for every CPU: root,
/// CAP_PERFMON (bit 38) or CAP_SYS_ADMIN, or `kernel.perf_event_paranoid` -1.
fn may_open_sched_events() -> bool {
    let caps = effective_capabilities().unwrap_or(0);
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|text| text.trim().parse::<i32>().ok());
    uid_is_root() || caps & (1 << 38 | 1 << 21) != 0 || paranoid == Some(-1)
}

/// `CI` is set to something other than `false` or `0`.
fn ci() -> bool {
    env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The existing folders of `PATH`.
fn path_dirs() -> Vec<PathBuf> {
    env::var_os("PATH")
        .map(|path| {
            env::split_paths(&path)
                .filter(|d| d.is_absolute() && d.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

/// This process's effective user id is 0.
fn uid_is_root() -> bool {
    status_field("Uid:").and_then(|v| v.split_whitespace().nth(1).map(|u| u == "0")) == Some(true)
}

/// The effective capability bits (`CapEff` of /proc/self/status): mounting a
/// tmpfs needs CAP_SYS_ADMIN (bit 21), which a container's root may lack.
fn effective_capabilities() -> Option<u64> {
    u64::from_str_radix(status_field("CapEff:")?.trim(), 16).ok()
}

/// The text after `key` on its line of /proc/self/status.
fn status_field(key: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(key).map(str::to_string))
}
