//! One rule for tests that need something beyond Linux and cargo (build.rs):
//! every test that reaches for a prerequisite carries
//! `#[cfg_attr(coreheat_missing = "NAME", ignore = "needs …")]`, so that where
//! NAME is missing `cargo test` counts it ignored instead of passing it
//! silently; no test skips by returning early; README.md's "Tests" section
//! names every prerequisite build.rs knows.

use std::path::Path;

/// What in a test's body means it needs a prerequisite.
const USES: [(&str, &str); 11] = [
    ("Chromium::find", "chromium"),
    ("Command::new(\"jq\")", "jq"),
    ("\"python3\"", "python3"),
    ("tools()", "prometheus"),
    ("Command::new(\"mount\")", "tmpfs"),
    ("Tmpfs::mount", "tmpfs"),
    ("with_few_processes(", "ulimit"),
    ("online_cpus() >= 2", "two_cpus"),
    ("sched_machine()", "sched_events"),
    ("policy_of(", "realtime"),
    ("as_nobody()", "setpriv"),
];

/// The `#[test]` functions of a test file: attributes and body.
fn tests_of(text: &str) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[test]") {
        // The attributes start after the item before them.
        let before = &rest[..at];
        let attrs_start = before
            .rfind("\n\n")
            .or_else(|| before.rfind("}\n"))
            .unwrap_or(0);
        let after = &rest[at..];
        // The function may be indented (a test inside `proptest!`): its body
        // ends at a closing brace of the same indentation.
        let line_at = after.find("fn ").expect("a function after #[test]");
        let fn_at = after[..line_at].rfind('\n').map_or(0, |n| n + 1);
        let indent = &after[fn_at..line_at];
        let name_start = line_at + 3;
        let name_end = after[name_start..].find('(').unwrap() + name_start;
        let name = after[name_start..name_end].to_string();
        let attrs = format!("{}{}", &before[attrs_start..], &after[..fn_at]);
        let closing = format!("\n{indent}}}\n");
        let body_end = after[fn_at..]
            .find(&closing)
            .map_or(after.len(), |e| fn_at + e + closing.len());
        found.push((name, attrs, after[fn_at..body_end].to_string()));
        rest = &after[body_end..];
    }
    found
}

fn test_files() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| !p.ends_with("prerequisites.rs"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_test_that_needs_a_prerequisite_is_ignored_where_it_is_missing() {
    let mut wrong = Vec::new();
    let mut marked = 0;
    for (file, text) in test_files() {
        for (name, attrs, body) in tests_of(&text) {
            for (usage, prerequisite) in USES {
                if !body.contains(usage) {
                    continue;
                }
                let attr = format!("coreheat_missing = \"{prerequisite}\"");
                if attrs.contains(&attr) && attrs.contains("ignore = \"needs ") {
                    marked += 1;
                } else {
                    wrong.push(format!("{file}: {name} uses {usage} without {attr}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        marked >= 15,
        "only {marked} marked tests found: the scan is broken"
    );
}

#[test]
fn no_test_skips_by_returning_early() {
    let mut wrong = Vec::new();
    for (file, text) in test_files() {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let lower = line.to_lowercase();
            let says_skip = lower.contains("eprintln!")
                && ["skip", "not installed", "not checked", "not found"]
                    .iter()
                    .any(|w| lower.contains(w));
            let returns = lines[i + 1..].iter().take(3).any(|l| l.trim() == "return;");
            if says_skip && returns {
                wrong.push(format!("{file}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "tests that pass without testing:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_readme_names_every_prerequisite_build_rs_knows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let build = std::fs::read_to_string(root.join("build.rs")).unwrap();
    let list_at = build
        .find("const PREREQUISITES")
        .expect("build.rs lists them");
    let list = &build[list_at..list_at + build[list_at..].find("];").unwrap()];
    let names: Vec<&str> = list.split('"').skip(1).step_by(2).collect();
    assert_eq!(names.len(), 10, "{names:?}");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section_at = readme
        .find("\n## Tests\n")
        .expect("README has a Tests section");
    let section = &readme[section_at..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |e| e + 1)];
    fn words(name: &str) -> &str {
        match name {
            "tmpfs" => "mount a tmpfs",
            "ulimit" => "`prlimit`",
            "two_cpus" => "2 CPUs",
            "sched_events" => "`kernel.perf_event_paranoid` -1",
            "realtime" => "CAP_SYS_NICE",
            "setpriv" => "`setpriv`",
            other => other,
        }
    }
    for name in names {
        assert!(
            section.contains(&format!("| `{}`", words(name)))
                || section.contains(&format!("| {}", words(name)))
                || section.contains(words(name)),
            "README's Tests section does not name {name}"
        );
    }
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(ci.contains("export CI=true"), ".ci/run runs every test");
    for tool in [
        "chromium",
        "jq",
        "python3",
        "prometheus",
        "prometheus-node-exporter",
    ] {
        assert!(ci.contains(tool), ".ci/run installs {tool}");
    }
}
