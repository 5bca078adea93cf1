//! Traces of several machines in one report (`coreheat render n1.jsonl
//! n2.jsonl`, as a Slurm job leaves them): placed on one wall-clock axis by
//! their start times, grouped by host, with a fleet view (a strip per host, the
//! quantized map of all CPUs) and the fleet's findings.

mod common;

use std::path::PathBuf;

use common::Scratch;
use coreheat::synthetic::{Machine, write_machine_trace};

/// Writes a synthetic trace of `host` (4 CPUs, 60 s) starting `start`.
fn machine(scratch: &Scratch, host: &str, start: &str, scale: f64) -> String {
    let path: PathBuf = scratch.path().join(format!("{host}.jsonl"));
    let machine = Machine { host, start, scale };
    write_machine_trace(&path, &machine, 4, 60, 1.0).unwrap();
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn page(scratch: &Scratch, files: &[String]) -> String {
    let mut args = vec!["render".to_string()];
    args.extend(files.iter().cloned());
    args.extend(["--out".to_string(), "report".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    scratch.ok(&args);
    std::fs::read_to_string(scratch.path().join("report/report.html")).unwrap()
}

/// The page from the section `id` on.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    &page[page.find(&format!("id=\"{id}\"")).expect(id)..]
}

#[test]
fn traces_of_several_hosts_share_one_wall_clock_axis_grouped_by_host() {
    let scratch = Scratch::new();
    // Given later host first: the page still starts with node-a, the earlier.
    let later = machine(&scratch, "node-b", "2026-11-22T10:00:30Z", 1.0);
    let earlier = machine(&scratch, "node-a", "2026-11-22T10:00:00+00:00", 1.0);
    let page = page(&scratch, &[later, earlier]);
    assert!(page.contains("<h2>Fleet</h2>"), "two hosts make a fleet");
    let first = section(&page, "trace1");
    assert!(first.contains("<h2>node-a · "), "{}", &first[..200]);
    // node-b starts 30 s after node-a: its map begins 30 s into a 90 s axis.
    let second = section(&page, "trace2");
    assert!(second.contains("<h2>node-b · "));
    assert!(second.contains(r#"viewBox="0 0 90 1""#), "one 90 s axis");
    assert!(second.contains(r#"<rect x="30" width="60" class="bg"/>"#));
    assert!(first.contains(r#"<rect x="0" width="60" class="bg"/>"#));
    assert!(page.contains("seconds since the first trace&#39;s start"));
}

#[test]
fn the_fleet_view_names_idle_hot_and_uneven_hosts_and_a_balanced_fleet_has_none() {
    let scratch = Scratch::new();
    let files = [
        machine(&scratch, "hot", "2026-11-22T10:00:00Z", 2.0),
        machine(&scratch, "warm", "2026-11-22T10:00:00Z", 0.3),
        machine(&scratch, "idle", "2026-11-22T10:00:00Z", 0.05),
    ];
    let fleet = page(&scratch, &files);
    let view = &fleet[fleet.find("<h2>Fleet</h2>").unwrap()..fleet.find("id=\"trace1\"").unwrap()];
    for code in ["fleet-idle-host", "fleet-one-hot-host", "fleet-imbalance"] {
        assert!(view.contains(&format!("<b>{code}</b>")), "{code} missing");
    }
    assert!(
        view.contains("fleet: 3 hosts, 12 CPUs"),
        "the chart of all CPUs"
    );
    assert!(view.contains("<td>idle</td><td>4</td>"), "a row per host");
    // Sections in order of host name: hot, idle, warm.
    let idle_section = section(&fleet, "trace2");
    let idle_section = &idle_section[..idle_section.find(r#"id="trace3""#).unwrap()];
    assert!(
        idle_section.contains("<h2>idle · "),
        "{}",
        &idle_section[..200]
    );
    assert!(
        idle_section.contains("<b>fleet-idle-host</b>: this host was"),
        "the idle host's own section says so"
    );

    let balanced = Scratch::new();
    let files = [
        machine(&balanced, "n1", "2026-11-22T10:00:00Z", 1.0),
        machine(&balanced, "n2", "2026-11-22T10:00:05Z", 1.0),
    ];
    let even = page(&balanced, &files);
    assert!(even.contains("<h2>Fleet</h2>"));
    assert!(!even.contains("<b>fleet-"), "no finding for an even fleet");
}

#[test]
fn hosts_that_did_not_run_at_the_same_time_are_shown_but_not_compared() {
    let scratch = Scratch::new();
    // One machine's two runs, one after the other, under two made-up names.
    let files = [
        machine(&scratch, "first", "2026-11-22T10:00:00Z", 2.0),
        machine(&scratch, "second", "2026-11-22T10:05:00Z", 0.05),
    ];
    let apart = page(&scratch, &files);
    let view = &apart[apart.find("<h2>Fleet</h2>").unwrap()..apart.find("id=\"trace1\"").unwrap()];
    assert!(!apart.contains("<b>fleet-"), "no fleet finding: {view}");
    assert!(
        view.contains("were not recorded at the same time (all of them together for 0.0 s"),
        "{view}"
    );
    // Side by side, the same two loads are compared, in busy %, not "work".
    let together = Scratch::new();
    let files = [
        machine(&together, "first", "2026-11-22T10:00:00Z", 2.0),
        machine(&together, "second", "2026-11-22T10:00:10Z", 0.05),
    ];
    let side_by_side = page(&together, &files);
    assert!(side_by_side.contains("<b>fleet-one-hot-host</b>: one host was much busier"));
    assert!(!side_by_side.contains("of the work"), "busy % is not work");
    assert!(!side_by_side.contains("not recorded at the same time"));
}

#[test]
fn traces_of_one_host_make_no_fleet_view() {
    let scratch = Scratch::new();
    let one = machine(&scratch, "solo", "2026-11-22T10:00:00Z", 1.0);
    let two = scratch.path().join("again.jsonl");
    let machine = Machine {
        host: "solo",
        start: "2026-11-22T10:01:00Z",
        scale: 1.0,
    };
    write_machine_trace(&two, &machine, 4, 60, 1.0).unwrap();
    let page = page(&scratch, &[one, "again.jsonl".to_string()]);
    assert!(!page.contains("<h2>Fleet</h2>"));
    assert!(section(&page, "trace2").contains(r#"<rect x="60" width="60" class="bg"/>"#));
}
