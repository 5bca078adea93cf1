//! Docs that name a file name one that exists: every repository path in
//! README.md, docs/*.md, Cargo.toml, .ci/run, .gitignore and the `//!`/`///`
//! comments of src/, tests/, benches/ and examples/ (`src/report/canvas.rs`, `tests/layers.rs`,
//! `sampler/tasks.rs` for a file under src/, a Markdown link, a `*.md` file)
//! is checked against the tree.

use std::path::{Path, PathBuf};

/// Folders of the repository a path in a doc can start with.
const ROOTS: [&str; 10] = [
    "src/",
    "tests/",
    "docs/",
    "benches/",
    "examples/",
    "templates/",
    "assets/",
    "scripts/",
    ".ci/",
    "fuzz/",
];

/// Paths named as examples of a form, not as files (tests/layers.rs explains
/// how it resolves `a/b.rs` and `a/b/mod.rs`).
const EXAMPLES: [&str; 4] = ["src/a.rs", "src/b.rs", "src/a/b.rs", "src/a/b/mod.rs"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The words of `text` that look like paths of this repository, each with
/// the folder it is relative to.
fn named_paths(text: &str, doc_dir: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    // Markdown links to local files: ](path) or ](path#anchor).
    for part in text.split("](").skip(1) {
        let target = part.split([')', ' ']).next().unwrap_or_default();
        let target = target.split('#').next().unwrap_or_default();
        // Rust's intra-doc links (`crate::x::Y`) are checked by rustdoc.
        if target.is_empty() || target.contains(':') {
            continue;
        }
        paths.push(doc_dir.join(target));
    }
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || "_./-".contains(c);
    for word in text.split(|c: char| !is_path_char(c)) {
        // `/fuzz/target` in .gitignore is the repository's fuzz/target.
        let word = word.trim_end_matches(['.', '-']).trim_start_matches('/');
        if word.is_empty() || word.contains("..") {
            continue;
        }
        if ROOTS.iter().any(|r| word.starts_with(r)) {
            paths.push(root().join(word));
        } else if word.ends_with(".rs")
            && word.contains('/')
            && word.starts_with(|c: char| c.is_ascii_lowercase())
        {
            // A file under src/ named from its layer: `sampler/tasks.rs`.
            paths.push(root().join("src").join(word));
        } else if word.ends_with(".md")
            && !word.contains('/')
            && word.starts_with(|c: char| c.is_ascii_uppercase())
        {
            // A top-level or docs/ document: README.md, ARCHITECTURE.md.
            let here = root().join(word);
            let in_docs = root().join("docs").join(word);
            paths.push(if in_docs.exists() { in_docs } else { here });
        }
    }
    paths
}

/// The files whose text names paths: the docs, and the doc comments of src/.
fn documents() -> Vec<(PathBuf, String)> {
    let mut files = vec![
        root().join("README.md"),
        root().join("Cargo.toml"),
        root().join(".ci/run"),
        root().join(".gitignore"),
    ];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut texts: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    let mut sources = Vec::new();
    let mut pending = ["src", "tests", "benches", "examples"]
        .map(|d| root().join(d))
        .to_vec();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push(path);
            }
        }
    }
    sources.sort();
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        let comments: String = text
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("//!") || l.starts_with("///"))
            .map(|l| format!("{l}\n"))
            .collect();
        texts.push((path, comments));
    }
    texts
}

#[test]
fn every_path_a_doc_names_exists() {
    let mut missing = Vec::new();
    let mut checked = 0;
    for (doc, text) in documents() {
        let dir = doc.parent().unwrap().to_path_buf();
        for path in named_paths(&text, &dir) {
            checked += 1;
            // `.gitignore` patterns and paths made at run time end in `/`, name
            // what is ignored, or hold a placeholder.
            let shown = path
                .strip_prefix(root())
                .unwrap_or(&path)
                .display()
                .to_string();
            if shown.contains(['*', '<', '{', '$']) || EXAMPLES.contains(&shown.as_str()) {
                continue;
            }
            if !path.exists() {
                let doc = doc.strip_prefix(root()).unwrap().display().to_string();
                missing.push(format!("{doc} names {shown}, which does not exist"));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    assert!(
        checked > 50,
        "only {checked} paths found: the scan is broken"
    );
}

#[test]
fn the_scan_finds_paths_in_every_form() {
    let text = "see [the format](trace-format.md#rows), `src/report/canvas.rs`, \
                sampler/tasks.rs and ARCHITECTURE.md; REFERENCE.md.";
    let found = named_paths(text, &root().join("docs"));
    let shown: Vec<String> = found
        .iter()
        .map(|p| p.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert_eq!(
        shown,
        [
            "docs/trace-format.md",
            "src/report/canvas.rs",
            "src/sampler/tasks.rs",
            "docs/ARCHITECTURE.md",
            "REFERENCE.md"
        ]
    );
}
