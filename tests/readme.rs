//! The README's promises a reader can check: the files its examples draw are
//! in the repository, and who ran where (the threads view, the findings,
//! `--tasks`) has its own section.

use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

#[test]
fn the_files_the_readme_renders_and_runs_are_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = readme();
    let mut checked = 0;
    for line in text
        .lines()
        .filter(|l| l.starts_with("cargo run --release -- "))
    {
        let words: Vec<&str> = line.split('#').next().unwrap().split_whitespace().collect();
        let named: Vec<&&str> = words
            .iter()
            .filter(|w| {
                [".csv", ".json", ".jsonl", ".py"]
                    .iter()
                    .any(|e| w.ends_with(e))
            })
            .collect();
        for file in named {
            assert!(
                root.join(file).is_file(),
                "README names {file}, not in the repository"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "the render example names its files");
    for file in text
        .split('`')
        .filter(|w| w.starts_with("examples/") || w.starts_with("tests/fixtures/"))
    {
        assert!(root.join(file).exists(), "README names {file}");
    }
}

#[test]
fn who_ran_where_has_its_own_section() {
    let text = readme();
    let section = &text[text.find("### Who ran where").expect("the section")..];
    let section = &section[..section[4..].find("\n#").map_or(section.len(), |at| at + 4)];
    for words in [
        "threads view",
        "findings",
        "--tasks on",
        "--tasks off",
        "docs/findings.md",
        "threads-take-turns",
        "ran-in-parallel",
        "smt-siblings-busy",
    ] {
        assert!(section.contains(words), "{words} in Who ran where");
    }
}
