//! The CPUs a run may use: real `taskset` runs (one allowed CPU) and fake cgroup
//! trees with CPU quotas, as a container, a Slurm job or systemd would set them.

mod common;

use std::process::Command;

use common::{Scratch, bin, read_trace};

fn online_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// coreheat under `taskset -c CPUS`.
fn under_taskset(scratch: &Scratch, cpus: &str, args: &[&str]) -> std::process::Output {
    Command::new("taskset")
        .args(["-c", cpus])
        .arg(bin())
        .args(args)
        .current_dir(scratch.path())
        .output()
        .expect("taskset runs")
}

#[test]
fn under_taskset_the_default_is_one_worker_per_allowed_cpu() {
    let scratch = Scratch::new();
    let output = under_taskset(&scratch, "0", &["run", "--json", "hash", "--zeros", "3"]);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["workers"], 1, "nproc says 1: {json}");
    let trace = read_trace(&scratch.path().join(json["trace"].as_str().unwrap()));
    assert_eq!(trace.header.meta.allowed_cpus, Some(vec![0]));
    assert!(trace.header.meta.cpu_quota.is_some());
    if online_cpus() > 1 {
        let html =
            std::fs::read_to_string(scratch.path().join(json["report"].as_str().unwrap())).unwrap();
        assert!(
            html.contains("row outside"),
            "CPU 1 is marked as other programs'"
        );
        assert!(html.contains("may use"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("may use CPU 0 (1 of"), "{stderr}");
    }
}

#[cfg_attr(coreheat_missing = "two_cpus", ignore = "needs 2 CPUs")]
#[test]
fn under_taskset_a_pin_outside_the_mask_is_refused() {
    assert!(
        online_cpus() >= 2,
        "{}",
        common::missing("two_cpus", "this process may use one CPU")
    );
    let scratch = Scratch::new();
    let output = under_taskset(
        &scratch,
        "0",
        &["run", "--pin", "1", "hash", "--zeros", "3"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("CPU 1 is outside the CPUs this process may use (0)"),
        "{stderr}"
    );
    assert!(!scratch.path().join("reports").exists(), "nothing ran");
    // spread keeps to the allowed CPU.
    let output = under_taskset(
        &scratch,
        "1",
        &[
            "run",
            "--json",
            "--pin",
            "spread",
            "--workers",
            "2",
            "hash",
            "--zeros",
            "3",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["cpus"], serde_json::json!([1, 1]));
}

/// A fake root with a cgroup v2 `cpu.max` of `limit` for this process.
fn fake_cgroup(limit: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let proc_self = root.path().join("proc/self");
    std::fs::create_dir_all(&proc_self).unwrap();
    std::fs::write(proc_self.join("cgroup"), "0::/job\n").unwrap();
    std::fs::write(
        proc_self.join("mountinfo"),
        "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
    )
    .unwrap();
    let job = root.path().join("sys/fs/cgroup/job");
    std::fs::create_dir_all(&job).unwrap();
    std::fs::write(job.join("cpu.max"), limit).unwrap();
    root
}

#[test]
fn a_cpu_quota_is_recorded_shown_and_named_as_the_cap() {
    let root = fake_cgroup("50000 100000\n");
    let scratch = Scratch::new();
    let output = scratch
        .command(&["run", "--json", "--workers", "2", "hash", "--zeros", "3"])
        .env("COREHEAT_CGROUP_ROOT", root.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("CPU quota of 0.5 CPUs: the 2 workers can use at most 0.5 CPUs"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let trace = read_trace(&scratch.path().join(json["trace"].as_str().unwrap()));
    assert_eq!(
        trace.header.meta.cpu_quota.as_ref().and_then(|q| q.cpus()),
        Some(0.5)
    );
    let html =
        std::fs::read_to_string(scratch.path().join(json["report"].as_str().unwrap())).unwrap();
    assert!(html.contains("quota 0.5 CPUs"));
    assert!(html.contains("not poor scaling"));

    let info = scratch
        .command(&["info"])
        .env("COREHEAT_CGROUP_ROOT", root.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        text.contains("cpu quota   quota 0.5 CPUs (cgroup v2"),
        "{text}"
    );
}

#[test]
fn an_unreadable_cgroup_is_an_unknown_quota_never_a_failure() {
    let root = tempfile::tempdir().unwrap(); // no /proc/self/cgroup at all
    let scratch = Scratch::new();
    let output = scratch
        .command(&["info", "--json"])
        .env("COREHEAT_CGROUP_ROOT", root.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["cpu_quota"]["kind"], "unknown", "{json}");
    let output = scratch
        .command(&["run", "-q", "hash", "--zeros", "2"])
        .env("COREHEAT_CGROUP_ROOT", root.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

#[cfg_attr(coreheat_missing = "two_cpus", ignore = "needs 2 CPUs")]
#[test]
fn info_orders_and_the_binding_cap_follow_the_allowed_cpus() {
    assert!(
        online_cpus() >= 2,
        "{}",
        common::missing("two_cpus", "this process may use one CPU")
    );
    let scratch = Scratch::new();
    let info = under_taskset(&scratch, "1", &["info"]);
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("allowed     CPU 1 (1 of"), "{text}");
    assert!(text.contains("spread      1  "), "{text}");
    assert!(text.contains("compact     1  "), "{text}");
    // One allowed CPU under a 1.5-CPU quota: the CPU is the cap, not the quota.
    let root = fake_cgroup("150000 100000\n");
    let output = Command::new("taskset")
        .args(["-c", "0"])
        .arg(bin())
        .args(["run", "--workers", "2", "hash", "--zeros", "3"])
        .env("COREHEAT_CGROUP_ROOT", root.path())
        .current_dir(scratch.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("CPU quota of 1.5"), "{stderr}");
    assert!(
        stderr.contains("2 workers on 1 allowed CPU: they take turns"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(" of 1\n"), "cpus N of 1: {stdout}");
}
