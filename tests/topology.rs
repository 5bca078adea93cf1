//! CPU topology from fake /sys/devices/system/cpu trees of every shape, and
//! `coreheat info` on them.

mod common;

use std::fs;
use std::path::Path;

use common::Scratch;
use coreheat::machine::pin::PinSpec;
use coreheat::machine::topology::Topology;

/// Writes a fake sysfs CPU tree: `cpus` is (cpu, package, siblings list) for the
/// online CPUs; `offline` CPUs get a directory without topology.
fn fake_tree(
    root: &Path,
    online: &str,
    present: &str,
    cpus: &[(u32, u32, &str)],
    offline: &[u32],
    old_kernel: bool,
) {
    fs::create_dir_all(root).unwrap();
    fs::write(root.join("online"), format!("{online}\n")).unwrap();
    fs::write(root.join("present"), format!("{present}\n")).unwrap();
    for &(cpu, package, siblings) in cpus {
        let dir = root.join(format!("cpu{cpu}/topology"));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("physical_package_id"), format!("{package}\n")).unwrap();
        fs::write(dir.join("thread_siblings_list"), format!("{siblings}\n")).unwrap();
        if !old_kernel {
            fs::write(dir.join("core_cpus_list"), format!("{siblings}\n")).unwrap();
        }
    }
    for cpu in offline {
        fs::create_dir_all(root.join(format!("cpu{cpu}"))).unwrap();
        fs::write(root.join(format!("cpu{cpu}/online")), "0\n").unwrap();
    }
}

fn siblings(topology: &Topology, cpu: u32) -> Vec<u32> {
    topology.get(cpu).unwrap().siblings.clone()
}

#[test]
fn no_smt() {
    let dir = tempfile::tempdir().unwrap();
    fake_tree(
        dir.path(),
        "0-3",
        "0-3",
        &[(0, 0, "0"), (1, 0, "1"), (2, 0, "2"), (3, 0, "3")],
        &[],
        false,
    );
    let topology = Topology::from_sysfs(dir.path()).unwrap();
    assert_eq!(
        (topology.logical_count(), topology.physical_count()),
        (4, 4)
    );
    assert!(!topology.has_smt());
    assert_eq!(topology.spread_order(), vec![0, 1, 2, 3]);
    assert_eq!(topology.compact_order(), vec![0, 1, 2, 3]);
}

#[test]
fn intel_style_smt_numbering() {
    let dir = tempfile::tempdir().unwrap();
    let cpus: Vec<(u32, u32, String)> = (0..8)
        .map(|c| (c, 0, format!("{},{}", c % 4, c % 4 + 4)))
        .collect();
    let cpus: Vec<(u32, u32, &str)> = cpus.iter().map(|(c, p, s)| (*c, *p, s.as_str())).collect();
    fake_tree(dir.path(), "0-7", "0-7", &cpus, &[], false);
    let topology = Topology::from_sysfs(dir.path()).unwrap();
    assert_eq!(
        (topology.logical_count(), topology.physical_count()),
        (8, 4)
    );
    assert_eq!(siblings(&topology, 5), vec![1, 5]);
    assert_eq!(topology.spread_order(), vec![0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(topology.compact_order(), vec![0, 4, 1, 5, 2, 6, 3, 7]);
    assert_eq!(
        PinSpec::Spread.worker_cpus(&topology, 4).unwrap(),
        vec![0, 1, 2, 3]
    );
    assert_eq!(
        PinSpec::Compact.worker_cpus(&topology, 4).unwrap(),
        vec![0, 4, 1, 5]
    );
}

#[test]
fn adjacent_smt_numbering_and_old_kernels() {
    let dir = tempfile::tempdir().unwrap();
    fake_tree(
        dir.path(),
        "0-3",
        "0-3",
        &[(0, 0, "0-1"), (1, 0, "0-1"), (2, 0, "2-3"), (3, 0, "2-3")],
        &[],
        true,
    );
    let topology = Topology::from_sysfs(dir.path()).unwrap();
    assert_eq!(topology.physical_count(), 2);
    assert_eq!(siblings(&topology, 3), vec![2, 3]);
    assert_eq!(topology.spread_order(), vec![0, 2, 1, 3]);
    assert_eq!(topology.compact_order(), vec![0, 1, 2, 3]);
}

#[test]
fn several_packages() {
    let dir = tempfile::tempdir().unwrap();
    // Two sockets of two cores with SMT; core ids repeat across packages.
    let cpus = [
        (0, 0, "0,4"),
        (1, 0, "1,5"),
        (2, 1, "2,6"),
        (3, 1, "3,7"),
        (4, 0, "0,4"),
        (5, 0, "1,5"),
        (6, 1, "2,6"),
        (7, 1, "3,7"),
    ];
    fake_tree(dir.path(), "0-7", "0-7", &cpus, &[], false);
    let topology = Topology::from_sysfs(dir.path()).unwrap();
    assert_eq!(topology.package_count(), 2);
    assert_eq!(topology.physical_count(), 4);
    assert_eq!(topology.get(6).unwrap().package, 1);
    assert_ne!(topology.get(0).unwrap().core, topology.get(2).unwrap().core);
}

#[test]
fn offline_cpus_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    // CPU 3 is offline; CPUs 4-5 do not exist (a gap); siblings 0,1 and 6,7.
    fake_tree(
        dir.path(),
        "0-2,6-7",
        "0-3,6-7",
        &[
            (0, 0, "0-1"),
            (1, 0, "0-1"),
            (2, 0, "2-3"),
            (6, 0, "6-7"),
            (7, 0, "6-7"),
        ],
        &[3],
        false,
    );
    let topology = Topology::from_sysfs(dir.path()).unwrap();
    let online: Vec<u32> = topology.cpus.iter().map(|c| c.cpu).collect();
    assert_eq!(online, vec![0, 1, 2, 6, 7]);
    assert_eq!(topology.offline, vec![3]);
    assert_eq!(
        siblings(&topology, 2),
        vec![2],
        "an offline sibling is not listed"
    );
    assert_eq!(topology.physical_count(), 3);
    let err = PinSpec::List(vec![3])
        .worker_cpus(&topology, 1)
        .unwrap_err();
    assert!(err.contains("CPU 3 is offline"), "{err}");
    let err = PinSpec::List(vec![4])
        .worker_cpus(&topology, 1)
        .unwrap_err();
    assert!(err.contains("CPU 4 is not present"), "{err}");
}

#[test]
fn broken_trees_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Topology::from_sysfs(dir.path()).is_err(), "no online file");
    fs::write(dir.path().join("online"), "banana\n").unwrap();
    let err = Topology::from_sysfs(dir.path()).unwrap_err().to_string();
    assert!(err.contains("online"), "{err}");
}

#[test]
fn info_prints_the_table_and_json() {
    let scratch = Scratch::new();
    let root = scratch.path().join("cpu");
    let cpus: Vec<(u32, u32, String)> = (0..8)
        .map(|c| (c, 0, format!("{},{}", c % 4, c % 4 + 4)))
        .collect();
    let cpus: Vec<(u32, u32, &str)> = cpus.iter().map(|(c, p, s)| (*c, *p, s.as_str())).collect();
    fake_tree(&root, "0-7", "0-7", &cpus, &[], false);

    let output = scratch
        .command(&["info"])
        .env("COREHEAT_SYSFS_CPU", &root)
        .output()
        .unwrap();
    assert!(output.status.success());
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("8 logical on 4 physical cores in 1 package, SMT on"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["5", "0", "1", "1,5"]),
        "{table}"
    );

    let output = scratch
        .command(&["info", "--json"])
        .env("COREHEAT_SYSFS_CPU", &root)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["logical_cpus"], 8);
    assert_eq!(json["physical_cores"], 4);
    assert_eq!(json["smt"], true);
    assert_eq!(json["cpus"][4]["siblings"], serde_json::json!([0, 4]));
    assert_eq!(
        json["compact_order"],
        serde_json::json!([0, 4, 1, 5, 2, 6, 3, 7])
    );

    // The real machine: whatever it is, the counts are consistent.
    let json: serde_json::Value = serde_json::from_str(&scratch.ok(&["info", "--json"])).unwrap();
    assert!(json["logical_cpus"].as_u64().unwrap() >= 1);
    assert!(json["physical_cores"].as_u64().unwrap() <= json["logical_cpus"].as_u64().unwrap());
}

/// A fake tree of more CPUs than this machine has, numbered past its last one.
fn tree_larger_than_this_machine(scratch: &Scratch) -> (std::path::PathBuf, u32) {
    let highest = Topology::detect().cpus.last().unwrap().cpu;
    let count = highest + 3;
    let cpus: Vec<(u32, u32, String)> = (0..count).map(|c| (c, 0, c.to_string())).collect();
    let cpus: Vec<(u32, u32, &str)> = cpus.iter().map(|(c, p, s)| (*c, *p, s.as_str())).collect();
    let root = scratch.path().join("cpu");
    let all = format!("0-{}", count - 1);
    fake_tree(&root, &all, &all, &cpus, &[], false);
    (root, count - 1)
}

/// `COREHEAT_SYSFS_CPU` is for looking at other machines' shapes: a run made
/// under it still samples every CPU of this machine, and pins only to CPUs this
/// machine has.
#[test]
fn runs_sample_and_pin_this_machine_whatever_the_sysfs_variable_says() {
    let scratch = Scratch::new();
    let (root, beyond) = tree_larger_than_this_machine(&scratch);
    let output = scratch
        .command(&[
            "run",
            "--json",
            "--interval",
            "100ms",
            "--baseline",
            "0",
            "idle",
            "--duration",
            "100ms",
        ])
        .env("COREHEAT_SYSFS_CPU", &root)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let trace = common::read_trace(&scratch.path().join(json["trace"].as_str().unwrap()));
    let sampled: Vec<u32> = trace.header.meta.cpus.iter().map(|c| c.cpu).collect();
    let real: Vec<u32> = Topology::detect().cpus.iter().map(|c| c.cpu).collect();
    assert_eq!(sampled, real, "the trace samples this machine's CPUs");
    assert_eq!(trace.header.meta.logical_cpus, real.len());

    let output = scratch
        .command(&["run", "--pin", &beyond.to_string(), "hash", "--zeros", "1"])
        .env("COREHEAT_SYSFS_CPU", &root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("CPU {beyond} is not present on this machine")),
        "{stderr}"
    );
    assert_eq!(
        scratch.run_dirs().len(),
        1,
        "only the idle run made a folder"
    );
}

/// `coreheat info` says when it shows a tree that is not this machine, and a
/// tree it cannot read is an error, not this machine shown in its place.
#[test]
fn info_says_when_it_shows_another_tree() {
    let scratch = Scratch::new();
    let (root, _) = tree_larger_than_this_machine(&scratch);
    let table = String::from_utf8(
        scratch
            .command(&["info"])
            .env("COREHEAT_SYSFS_CPU", &root)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let source = table.lines().find(|l| l.starts_with("source")).unwrap();
    assert!(
        source.contains("COREHEAT_SYSFS_CPU") && source.contains("not this machine"),
        "{table}"
    );
    let real = scratch.ok(&["info"]);
    assert!(!real.contains("not this machine"), "{real}");

    let empty = scratch.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let output = scratch
        .command(&["info"])
        .env("COREHEAT_SYSFS_CPU", &empty)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("COREHEAT_SYSFS_CPU") && stderr.contains("online"),
        "{stderr}"
    );
}
