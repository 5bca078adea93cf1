//! One-way layers (README, "Layout"): reads every file under src/, finds
//! every `crate::`/`super::`/`self::` path it uses (and `coreheat::` in main.rs),
//! also through an alias (`use crate as c;` then `c::report::…`) and in a
//! string that is nothing but such a path (serde's `serialize_with = "crate::…"`),
//! and fails if a top-level module imports one of an equal or higher rank, if the
//! files of one top-level module import each other in a cycle, or if a top-level
//! module has no rank yet. Code inside `#[cfg(test)] mod tests` may reach anywhere.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::Path;

/// The layers, low to high (README, "Layout"). A top-level module may import
/// only modules of a strictly lower rank (or files of its own folder).
const LAYERS: &[(&str, u32)] = &[
    ("util", 0),
    ("kernels", 1),
    ("model", 2),
    ("machine", 3),
    ("trace", 4),
    ("import", 5),
    ("sampler", 5),
    ("modes", 6),
    ("summary", 7),
    ("capture", 8),
    ("report", 9),
    ("commands", 10),
    ("cli", 11),
    ("lib", 12),
    ("main", 13),
];

#[test]
fn imports_follow_the_layers() {
    let files = read_source_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let violations = check(&files, LAYERS);
    assert!(
        violations.is_empty(),
        "{} layering violation(s) (see README, \"Layout\"):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

// ---------------------------------------------------------------- source files

/// One .rs file under src/ and the module it holds.
struct SourceFile {
    /// Path from the crate root, e.g. `src/report/mod.rs`.
    path: String,
    /// Module path: `src/a/b.rs` and `src/a/b/mod.rs` hold `a::b`; lib.rs and main.rs `[]`.
    module: Vec<String>,
    /// `a::b`, or `lib` / `main` for the two crate roots.
    name: String,
    text: String,
}

impl SourceFile {
    fn new(path: &str, text: &str) -> SourceFile {
        let inside_src = path.strip_prefix("src/").unwrap_or(path);
        let mut module: Vec<String> = inside_src
            .trim_end_matches(".rs")
            .split('/')
            .map(String::from)
            .collect();
        if module.last().is_some_and(|last| last == "mod") {
            module.pop();
        }
        let name = module.join("::");
        if name == "lib" || name == "main" {
            module.clear();
        }
        let text = text.to_string();
        let path = path.to_string();
        SourceFile {
            path,
            module,
            name,
            text,
        }
    }

    /// The first segment of the module's name: `report` for `report::html`.
    fn top(&self) -> &str {
        self.name.split("::").next().unwrap_or_default()
    }

    fn is_binary(&self) -> bool {
        self.name == "main"
    }
}

fn read_source_tree(src: &Path) -> Vec<SourceFile> {
    let crate_root = src.parent().expect("src/ has a parent");
    let mut files = Vec::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).expect("read a folder of src/") {
            let path = entry.expect("read a folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let relative = path.strip_prefix(crate_root).expect("under the crate root");
                let text = fs::read_to_string(&path).expect("read a source file");
                files.push(SourceFile::new(&relative.to_string_lossy(), &text));
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

// ---------------------------------------------------------------- tokens

/// A word or punctuation mark of code; comments, strings and chars are
/// dropped, except a string that is nothing but a path from the crate
/// (`"crate::util::sorted_json::serialize"` in a serde attribute), whose
/// words are read as code.
#[derive(Clone, Debug)]
struct Token {
    text: String,
    line: usize,
}

fn tokenize(source: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        chars: source.chars().collect(),
        pos: 0,
        line: 1,
        tokens: Vec::new(),
    };
    lexer.run();
    lexer.tokens
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    tokens: Vec<Token>,
}

impl Lexer {
    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            let line = self.line;
            if c.is_whitespace() {
                self.bump();
            } else if self.starts_with("//") {
                self.skip_line_comment();
            } else if self.starts_with("/*") {
                self.skip_block_comment();
            } else if c == '"' {
                let start = self.pos + 1;
                self.skip_string();
                let content: String = self.chars[start..self.pos - 1].iter().collect();
                self.path_in_string(&content, line);
            } else if c == '\'' {
                self.skip_char_literal();
            } else if c.is_alphanumeric() || c == '_' {
                self.word(line);
            } else if self.starts_with("::") {
                self.pos += 2;
                self.push("::", line);
            } else {
                self.bump();
                self.push(&c.to_string(), line);
            }
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn starts_with(&self, text: &str) -> bool {
        text.chars()
            .enumerate()
            .all(|(i, c)| self.peek(i) == Some(c))
    }

    fn push(&mut self, text: &str, line: usize) {
        let text = text.to_string();
        self.tokens.push(Token { text, line });
    }

    fn skip_line_comment(&mut self) {
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.bump();
        }
    }

    /// Block comments nest in Rust.
    fn skip_block_comment(&mut self) {
        let mut depth = 0;
        while self.peek(0).is_some() {
            if self.starts_with("/*") {
                depth += 1;
                self.pos += 2;
            } else if self.starts_with("*/") {
                depth -= 1;
                self.pos += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.bump();
            }
        }
    }

    /// The words of a string that is a path from the crate (`crate::a::f`).
    fn path_in_string(&mut self, content: &str, line: usize) {
        let segments: Vec<&str> = content.split("::").collect();
        let is_path = segments.len() > 1
            && matches!(segments[0], "crate" | "super" | "self")
            && segments
                .iter()
                .all(|s| is_identifier(s) && s.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if !is_path {
            return;
        }
        for (i, segment) in segments.iter().enumerate() {
            if i > 0 {
                self.push("::", line);
            }
            self.push(segment, line);
        }
    }

    fn skip_string(&mut self) {
        self.bump();
        while let Some(c) = self.bump() {
            match c {
                '\\' => _ = self.bump(),
                '"' => return,
                _ => {}
            }
        }
    }

    /// `r"…"`, `r#"…"#`, `br##"…"##`: the opening `"` is after `hashes` `#`.
    fn skip_raw_string(&mut self, hashes: usize) {
        self.pos += hashes + 1;
        let closing = format!("\"{}", "#".repeat(hashes));
        while !self.starts_with(&closing) && self.bump().is_some() {}
        self.pos += closing.len();
    }

    /// A char literal (`'x'`, `'\n'`, `'\''`), or the quote of a lifetime (`'a`).
    fn skip_char_literal(&mut self) {
        if self.peek(1) == Some('\\') {
            self.pos += 3;
            while self.bump().is_some_and(|c| c != '\'') {}
        } else if self.peek(2) == Some('\'') {
            self.pos += 3;
        } else {
            self.pos += 1;
        }
    }

    /// An identifier, keyword or number, or the prefix of a string literal.
    fn word(&mut self, line: usize) {
        let start = self.pos;
        while self
            .peek(0)
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        let word: String = self.chars[start..self.pos].iter().collect();
        let hashes = (0..).take_while(|&i| self.peek(i) == Some('#')).count();
        let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
        if raw_prefix && self.peek(hashes) == Some('"') {
            self.skip_raw_string(hashes);
        } else if matches!(word.as_str(), "b" | "c") && self.peek(0) == Some('"') {
            self.skip_string();
        } else {
            self.push(&word, line);
        }
    }
}

const CFG_TEST: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];

/// The tokens without any `#[cfg(test)] mod tests { … }` (test code may reach anywhere).
fn without_test_modules(tokens: &[Token]) -> Vec<Token> {
    let mut kept = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match test_module_end(tokens, i) {
            Some(end) => i = end,
            None => {
                kept.push(tokens[i].clone());
                i += 1;
            }
        }
    }
    kept
}

/// If a `#[cfg(test)] (pub) mod tests` item starts at `start`: the index just past it.
fn test_module_end(tokens: &[Token], start: usize) -> Option<usize> {
    if !matches_at(tokens, start, &CFG_TEST) {
        return None;
    }
    let item = after_visibility(tokens, start + CFG_TEST.len());
    matches_at(tokens, item, &["mod", "tests"]).then(|| item_end(tokens, item + 2))
}

fn matches_at(tokens: &[Token], at: usize, expected: &[&str]) -> bool {
    tokens
        .get(at..at + expected.len())
        .is_some_and(|found| found.iter().zip(expected).all(|(t, e)| t.text == *e))
}

/// The index past `pub`, `pub(crate)` or `pub(in a::b)` if one is at `i`.
fn after_visibility(tokens: &[Token], mut i: usize) -> usize {
    if matches_at(tokens, i, &["pub", "("]) {
        while tokens.get(i).is_some_and(|t| t.text != ")") {
            i += 1;
        }
        i + 1
    } else if matches_at(tokens, i, &["pub"]) {
        i + 1
    } else {
        i
    }
}

/// The index just past the `;` or the `{ … }` that ends an item.
fn item_end(tokens: &[Token], from: usize) -> usize {
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(from) {
        match token.text.as_str() {
            ";" if depth == 0 => return i + 1,
            "{" => depth += 1,
            "}" if depth == 1 => return i + 1,
            "}" => depth -= 1,
            _ => {}
        }
    }
    tokens.len()
}

// ---------------------------------------------------------------- paths

/// A path as written (`super::guard::GuardMessage`), one per leaf of a `use` tree.
struct WrittenPath {
    segments: Vec<String>,
    line: usize,
    /// The inline modules (`mod name { … }`) of the file the path is written in.
    inline: Vec<String>,
}

impl WrittenPath {
    fn new(segments: Vec<String>, line: usize) -> WrittenPath {
        let inline = Vec::new(); // filled in by `written_paths`
        WrittenPath {
            segments,
            line,
            inline,
        }
    }

    fn text(&self) -> String {
        self.segments.join("::")
    }
}

/// Every path in the tokens that starts at one of `roots` (`crate`, `super`, …).
fn written_paths(tokens: &[Token], roots: &[&str]) -> Vec<WrittenPath> {
    let mut found = Vec::new();
    let mut inline = InlineModules::default();
    let mut i = 0;
    while i < tokens.len() {
        if is_path_start(tokens, i, roots) {
            let first = found.len();
            i = parse_tree(tokens, i, Vec::new(), &mut found);
            found[first..]
                .iter_mut()
                .for_each(|p| p.inline = inline.path());
        } else {
            inline.step(tokens, i);
            i += 1;
        }
    }
    found
}

/// The inline modules (`mod name { … }`) open at a point of a file, and the
/// brace depth at which each one opened.
#[derive(Default)]
struct InlineModules {
    depth: usize,
    open: Vec<(String, usize)>,
}

impl InlineModules {
    fn step(&mut self, tokens: &[Token], i: usize) {
        match tokens[i].text.as_str() {
            "{" => {
                self.depth += 1;
                if i >= 2 && tokens[i - 2].text == "mod" {
                    self.open.push((tokens[i - 1].text.clone(), self.depth));
                }
            }
            "}" => {
                if self.open.last().is_some_and(|&(_, at)| at == self.depth) {
                    self.open.pop();
                }
                self.depth = self.depth.saturating_sub(1);
            }
            _ => {}
        }
    }

    fn path(&self) -> Vec<String> {
        self.open.iter().map(|(name, _)| name.clone()).collect()
    }
}

fn is_path_start(tokens: &[Token], i: usize, roots: &[&str]) -> bool {
    let text = |at: Option<usize>| at.and_then(|at| tokens.get(at)).map(|t| t.text.as_str());
    let before = |n: usize| text(i.checked_sub(n));
    let in_visibility = before(1) == Some("in") && before(2) == Some("("); // pub(in crate::a)
    roots.contains(&tokens[i].text.as_str())
        && text(Some(i + 1)) == Some("::")
        && before(1) != Some("::")
        && !in_visibility
}

/// Reads `a::b::{c, d::{e as f, *}}` from `i`, adding one path per leaf to `found`;
/// returns the index just past it.
fn parse_tree(
    tokens: &[Token],
    mut i: usize,
    mut path: Vec<String>,
    found: &mut Vec<WrittenPath>,
) -> usize {
    let mut line = tokens[i].line;
    while let Some(token) = tokens.get(i) {
        if token.text == "{" {
            return parse_group(tokens, i + 1, &path, found);
        }
        if !is_identifier(&token.text) {
            break; // `*`, or `<` of a turbofish: the path ends here
        }
        path.push(token.text.clone());
        line = token.line;
        i += 1;
        if tokens.get(i).is_none_or(|t| t.text != "::") {
            break;
        }
        i += 1;
    }
    if !path.is_empty() {
        found.push(WrittenPath::new(path, line));
    }
    i
}

/// Reads the inside of `{ … }` (from just past `{`), each item under `prefix`.
fn parse_group(
    tokens: &[Token],
    mut i: usize,
    prefix: &[String],
    found: &mut Vec<WrittenPath>,
) -> usize {
    while let Some(token) = tokens.get(i) {
        match token.text.as_str() {
            "}" => return i + 1,
            "as" => i += 2, // skip the alias
            text if is_identifier(text) || text == "{" => {
                i = parse_tree(tokens, i, prefix.to_vec(), found);
            }
            "*" => {
                let segments = prefix.to_vec();
                found.push(WrittenPath::new(segments, token.line));
                i += 1;
            }
            _ => i += 1, // `,`
        }
    }
    i
}

fn is_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// The absolute module path a written path names, seen from `module`:
/// `crate::` starts at the root, `self::` at `module`, each `super::` one level up.
fn absolute(written: &[String], module: &[String]) -> Vec<String> {
    let mut base = module.to_vec();
    let mut rest = written;
    while let Some((first, tail)) = rest.split_first() {
        match first.as_str() {
            "crate" | "coreheat" => base.clear(),
            "super" => _ = base.pop(),
            "self" => {}
            _ => break,
        }
        rest = tail;
    }
    base.extend(rest.iter().filter(|s| *s != "self").cloned());
    base
}

/// The paths one line of a file uses into one other file (indexes into the files).
struct Import {
    from: usize,
    to: usize,
    line: usize,
    paths: Vec<String>,
}

impl Import {
    /// `src/a.rs:3: imports src/b.rs (`crate::b::X`, `crate::b::Y`)`
    fn describe(&self, files: &[SourceFile]) -> String {
        let paths: Vec<String> = self.paths.iter().map(|p| format!("`{p}`")).collect();
        let (from, to) = (&files[self.from].path, &files[self.to].path);
        format!("{from}:{}: imports {to} ({})", self.line, paths.join(", "))
    }
}

/// Maps module paths of the library to file indexes (`[]` is lib.rs).
struct ModuleIndex(BTreeMap<Vec<String>, usize>);

impl ModuleIndex {
    fn new(files: &[SourceFile]) -> ModuleIndex {
        let library = files.iter().enumerate().filter(|(_, f)| !f.is_binary());
        ModuleIndex(library.map(|(i, f)| (f.module.clone(), i)).collect())
    }

    /// The longest prefix of `path` that is a module file (`a::b::C` → `a::b`,
    /// else `a`, else lib.rs).
    fn resolve(&self, path: &[String]) -> Option<usize> {
        (0..=path.len())
            .rev()
            .find_map(|len| self.0.get(&path[..len]).copied())
    }
}

/// The names given to the crate root or a parent: `use crate as c;`,
/// `use super as up;`, `extern crate self as me;`, each with what it names.
fn root_aliases(tokens: &[Token]) -> Vec<(String, String)> {
    let text = |i: usize| tokens.get(i).map_or("", |t| t.text.as_str());
    (1..tokens.len())
        .filter(|&i| {
            matches!(text(i), "crate" | "super" | "self")
                && text(i + 1) == "as"
                && is_identifier(text(i + 2))
                && (text(i - 1) == "use" || (text(i - 1) == "crate" && text(i) == "self"))
        })
        .map(|i| (text(i + 2).to_string(), text(i).to_string()))
        .collect()
}

fn imports_of(index: usize, file: &SourceFile, modules: &ModuleIndex) -> Vec<Import> {
    let mut roots: Vec<String> = ["crate", "super", "self"].map(String::from).to_vec();
    if file.is_binary() {
        roots.push("coreheat".into());
    }
    let tokens = without_test_modules(&tokenize(&file.text));
    let aliases = root_aliases(&tokens);
    roots.extend(aliases.iter().map(|(alias, _)| alias.clone()));
    let roots: Vec<&str> = roots.iter().map(String::as_str).collect();
    let mut imports: Vec<Import> = Vec::new();
    for mut path in written_paths(&tokens, &roots) {
        if let Some((_, root)) = aliases.iter().find(|(alias, _)| *alias == path.segments[0]) {
            path.segments[0] = root.clone();
        }
        let module = [file.module.as_slice(), &path.inline].concat();
        let Some(to) = modules.resolve(&absolute(&path.segments, &module)) else {
            continue;
        };
        match imports.last_mut() {
            Some(last) if last.line == path.line && last.to == to => last.paths.push(path.text()),
            _ => imports.push(Import {
                from: index,
                to,
                line: path.line,
                paths: vec![path.text()],
            }),
        }
    }
    imports
}

// ---------------------------------------------------------------- rules

/// Every violation of the three rules, one message each.
fn check(files: &[SourceFile], layers: &[(&str, u32)]) -> Vec<String> {
    let modules = ModuleIndex::new(files);
    let imports: Vec<Import> = files
        .iter()
        .enumerate()
        .flat_map(|(i, file)| imports_of(i, file, &modules))
        .collect();
    let mut violations = unranked_modules(files, layers);
    violations.extend(
        imports
            .iter()
            .filter_map(|i| rank_violation(i, files, layers)),
    );
    violations.extend(cycles(files, &imports));
    violations
}

fn rank(layers: &[(&str, u32)], top: &str) -> Option<u32> {
    layers
        .iter()
        .find(|(name, _)| *name == top)
        .map(|&(_, r)| r)
}

/// Rule (c): every top-level module under src/ has a rank.
fn unranked_modules(files: &[SourceFile], layers: &[(&str, u32)]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    files
        .iter()
        .filter(|f| rank(layers, f.top()).is_none() && seen.insert(f.top()))
        .map(|f| {
            format!(
                "{}: rule (c) top-level module `{}` has no rank: give it one in \
                 README's layout and in LAYERS of tests/layers.rs",
                f.path,
                f.top()
            )
        })
        .collect()
}

/// Rule (a): a top-level module imports only strictly lower ranks.
fn rank_violation(import: &Import, files: &[SourceFile], layers: &[(&str, u32)]) -> Option<String> {
    let (from, to) = (&files[import.from], &files[import.to]);
    if from.top() == to.top() {
        return None;
    }
    let (from_rank, to_rank) = (rank(layers, from.top())?, rank(layers, to.top())?);
    (to_rank >= from_rank).then(|| {
        format!(
            "{}: rule (a) `{}` (rank {from_rank}) may import only lower ranks, `{}` is rank \
             {to_rank}",
            import.describe(files),
            from.top(),
            to.top()
        )
    })
}

/// Rule (b): inside one top-level module, no cycle of file imports.
/// One message per strongly connected group of files.
fn cycles(files: &[SourceFile], imports: &[Import]) -> Vec<String> {
    let inside: Vec<&Import> = imports
        .iter()
        .filter(|i| i.from != i.to && files[i.from].top() == files[i.to].top())
        .collect();
    let graph = edge_map(&inside);
    let mut reported = BTreeSet::new();
    let mut messages = Vec::new();
    for &node in graph.keys() {
        let group = cycle_group(&graph, node);
        if group.len() > 1 && reported.insert(group.clone()) {
            messages.push(cycle_message(files, &inside, &graph, &group));
        }
    }
    messages
}

type Graph = BTreeMap<usize, BTreeSet<usize>>;

fn edge_map(imports: &[&Import]) -> Graph {
    let mut graph = Graph::new();
    for import in imports {
        graph.entry(import.from).or_default().insert(import.to);
        graph.entry(import.to).or_default();
    }
    graph
}

/// Every node reachable from `start` (itself included), with the node it was
/// first reached from.
fn reach(graph: &Graph, start: usize) -> BTreeMap<usize, usize> {
    let mut came_from = BTreeMap::from([(start, start)]);
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &next in &graph[&node] {
            if let Entry::Vacant(e) = came_from.entry(next) {
                e.insert(node);
                queue.push_back(next);
            }
        }
    }
    came_from
}

/// The nodes that are on a cycle with `node` (its strongly connected group).
fn cycle_group(graph: &Graph, node: usize) -> BTreeSet<usize> {
    reach(graph, node)
        .into_keys()
        .filter(|&other| reach(graph, other).contains_key(&node))
        .collect()
}

/// A shortest cycle through `start`, as a list of nodes ending with `start`.
fn shortest_cycle(graph: &Graph, start: usize) -> Vec<usize> {
    let came_from = reach(graph, start);
    let last = came_from
        .keys()
        .copied()
        .filter(|n| graph[n].contains(&start))
        .min_by_key(|&n| path_to(&came_from, n).len())
        .expect("start is on a cycle");
    let mut cycle = path_to(&came_from, last);
    cycle.push(start);
    cycle
}

fn path_to(came_from: &BTreeMap<usize, usize>, mut node: usize) -> Vec<usize> {
    let mut path = vec![node];
    while came_from[&node] != node {
        node = came_from[&node];
        path.push(node);
    }
    path.reverse();
    path
}

fn cycle_message(
    files: &[SourceFile],
    inside: &[&Import],
    graph: &Graph,
    group: &BTreeSet<usize>,
) -> String {
    let first = *group.first().expect("a group has nodes");
    let cycle: Vec<&str> = shortest_cycle(graph, first)
        .iter()
        .map(|&n| files[n].path.as_str())
        .collect();
    let mut message = format!(
        "{}: rule (b) no import cycle inside top-level module `{}`; imports between these files:",
        cycle.join(" -> "),
        files[first].top()
    );
    for import in inside
        .iter()
        .filter(|i| group.contains(&i.from) && group.contains(&i.to))
    {
        message.push_str(&format!("\n    {}", import.describe(files)));
    }
    message
}

// ---------------------------------------------------------------- the checker's own tests

fn paths_in(source: &str) -> Vec<(String, usize)> {
    let tokens = without_test_modules(&tokenize(source));
    let paths = written_paths(&tokens, &["crate", "super", "self"]);
    paths.iter().map(|p| (p.text(), p.line)).collect()
}

fn owned(pairs: &[(&str, usize)]) -> Vec<(String, usize)> {
    pairs.iter().map(|&(s, l)| (s.to_string(), l)).collect()
}

fn tree(files: &[(&str, &str)]) -> Vec<SourceFile> {
    files
        .iter()
        .map(|(path, text)| SourceFile::new(path, text))
        .collect()
}

const TEST_LAYERS: &[(&str, u32)] = &[("low", 0), ("mid", 1), ("side", 1), ("lib", 2), ("main", 2)];

#[test]
fn a_grouped_use_over_several_lines_gives_every_leaf_with_its_line() {
    let source = "use crate::{\n    low::Sample,\n    mid::{self, deep::{A as B, *}},\n};\n";
    let expected = [
        ("crate::low::Sample", 2),
        ("crate::mid::self", 3),
        ("crate::mid::deep::A", 3),
        ("crate::mid::deep", 3),
    ];
    assert_eq!(paths_in(source), owned(&expected));
}

#[test]
fn paths_in_code_count_and_comments_strings_and_chars_do_not() {
    let source = r##"// use crate::x;
/// see [`crate::y`]
/* crate::z /* nested crate::z2 */ crate::z3 */
let s = "crate::s \" crate::s2"; let r = r#"crate::r"#; let q = '"';
fn f<'a>() { crate::low::f::<u8>(); g(super::up, self::me::Thing) }
pub(in crate::vis) fn h() {}
"##;
    let expected = [
        ("crate::low::f", 5),
        ("super::up", 5),
        ("self::me::Thing", 5),
    ];
    assert_eq!(paths_in(source), owned(&expected));
}

#[test]
fn a_string_that_is_a_path_counts_as_one() {
    let source = "#[serde(serialize_with = \"crate::util::sorted_json::serialize\")]\n\
        #[serde(default = \"super::x::none\")]\nconst S: &str = \"crate::a b\";\n";
    let expected = [
        ("crate::util::sorted_json::serialize", 1),
        ("super::x::none", 2),
    ];
    assert_eq!(paths_in(source), owned(&expected));
}

#[test]
fn an_alias_of_the_crate_root_is_followed() {
    let files = tree(&[
        ("src/lib.rs", "pub mod low; pub mod mid;"),
        ("src/low.rs", "use crate as c;\nfn f() { c::mid::g() }"),
        (
            "src/mid.rs",
            "extern crate self as me;\nfn g() { me::low::h() }",
        ),
    ]);
    let violations = check(&files, TEST_LAYERS);
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(
        violations[0].starts_with("src/low.rs:2: imports src/mid.rs (`crate::mid::g`)"),
        "{violations:#?}"
    );
}

#[test]
fn a_test_module_is_skipped_but_code_after_it_is_read() {
    let source = "use crate::a;\n#[cfg(test)]\nmod tests {\n    fn t() { { crate::b::x(); } }\n}\n\
        use crate::c;\n#[cfg(test)]\npub(crate) mod tests { use crate::d; }\n";
    assert_eq!(paths_in(source), owned(&[("crate::a", 1), ("crate::c", 6)]));
}

#[test]
fn super_is_the_parent_of_a_plain_file_but_the_root_from_a_mod_rs_or_inline_mod() {
    let files = tree(&[
        ("src/lib.rs", ""),
        ("src/x.rs", ""),
        ("src/a/mod.rs", "use super::x::Thing;"),
        (
            "src/a/b.rs",
            "use super::c::D;\nuse self::inner::E;\nmod m { use super::inner::F; }",
        ),
        ("src/a/c.rs", ""),
        ("src/a/b/inner.rs", ""),
        (
            "src/main.rs",
            "fn main() { coreheat::a::c::run(); crate::helper(); }",
        ),
    ]);
    let modules = ModuleIndex::new(&files);
    let reached = |name: &str| -> Vec<&str> {
        let (index, file) = files
            .iter()
            .enumerate()
            .find(|(_, f)| f.path == name)
            .unwrap();
        let imports = imports_of(index, file, &modules);
        imports.iter().map(|i| files[i.to].path.as_str()).collect()
    };
    assert_eq!(reached("src/a/mod.rs"), ["src/x.rs"]);
    let inner = "src/a/b/inner.rs"; // from `self::` in b.rs, and `super::` in b.rs's `mod m`
    assert_eq!(reached("src/a/b.rs"), ["src/a/c.rs", inner, inner]);
    assert_eq!(reached("src/main.rs"), ["src/a/c.rs", "src/lib.rs"]);
}

#[test]
fn module_paths_come_from_file_paths() {
    let module = |path: &str| SourceFile::new(path, "").module.join("::");
    assert_eq!(module("src/a/b.rs"), "a::b");
    assert_eq!(module("src/a/b/mod.rs"), "a::b");
    assert_eq!(module("src/lib.rs"), "");
    assert_eq!(SourceFile::new("src/main.rs", "").name, "main");
    assert_eq!(SourceFile::new("src/a/b/c.rs", "").top(), "a");
}

#[test]
fn an_import_of_an_equal_or_higher_rank_is_reported_with_file_line_and_path() {
    let files = tree(&[
        ("src/lib.rs", "pub mod low; pub mod mid; pub mod side;"),
        ("src/low.rs", "\nuse crate::mid::Thing;"),
        (
            "src/mid.rs",
            "use crate::low::Ok; fn f() { crate::side::g() }",
        ),
        ("src/side.rs", "use crate::low::Fine;"),
    ]);
    let violations = check(&files, TEST_LAYERS);
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert!(violations[0].starts_with("src/low.rs:2: imports src/mid.rs (`crate::mid::Thing`)"));
    assert!(violations[0].contains("rule (a) `low` (rank 0)"));
    assert!(violations[1].starts_with("src/mid.rs:1: imports src/side.rs (`crate::side::g`)"));
}

#[test]
fn a_cycle_inside_one_folder_is_reported_with_its_files_and_imports() {
    let files = tree(&[
        ("src/lib.rs", ""),
        ("src/mid/mod.rs", "use self::runner::go;"),
        (
            "src/mid/runner.rs",
            "use super::exec::spawn; use crate::mid::runner::Me;",
        ),
        ("src/mid/exec.rs", "\n\nuse crate::mid::runner::{Stop, Go};"),
        ("src/mid/other.rs", "use super::exec::spawn;"),
    ]);
    let violations = check(&files, TEST_LAYERS);
    assert_eq!(violations.len(), 1, "{violations:#?}");
    let expected = "src/mid/runner.rs -> src/mid/exec.rs -> src/mid/runner.rs: rule (b) \
        no import cycle inside top-level module `mid`; imports between these files:\n    \
        src/mid/runner.rs:1: imports src/mid/exec.rs (`super::exec::spawn`)\n    \
        src/mid/exec.rs:3: imports src/mid/runner.rs (`crate::mid::runner::Stop`, `crate::mid::runner::Go`)";
    assert_eq!(violations[0], expected);
}

#[test]
fn a_folder_without_a_cycle_passes() {
    let files = tree(&[
        ("src/lib.rs", ""),
        ("src/mid/mod.rs", "use self::a::x; use self::b::y;"),
        ("src/mid/a.rs", "use super::b::y;"),
        ("src/mid/b.rs", "use crate::low::z;"),
        ("src/low.rs", ""),
    ]);
    assert_eq!(check(&files, TEST_LAYERS), Vec::<String>::new());
}

#[test]
fn a_top_level_module_without_a_rank_is_reported_once() {
    let files = tree(&[
        ("src/lib.rs", ""),
        ("src/new/a.rs", ""),
        ("src/new/b.rs", ""),
    ]);
    let violations = check(&files, TEST_LAYERS);
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(violations[0].starts_with("src/new/a.rs: rule (c)"));
    assert!(violations[0].contains("top-level module `new` has no rank"));
}

/// The modes start coreheat's own helper processes with the command lines of
/// `modes/hidden.rs`, whose flag names the CLI parses too: no other file of
/// src/modes/ spells a flag (`"--cpu"`) that the CLI would have to match.
#[test]
fn helper_command_lines_are_built_in_one_place() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut spelled = Vec::new();
    for file in read_source_tree(&src) {
        if file.top() != "modes" || file.path.ends_with("hidden.rs") {
            continue;
        }
        for (i, line) in file.text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let flag = code
                .match_indices("\"--")
                .any(|(at, _)| code[at + 3..].starts_with(|c: char| c.is_ascii_lowercase()));
            if flag {
                spelled.push(format!("{}:{}: {}", file.path, i + 1, line.trim()));
            }
        }
    }
    assert!(
        spelled.is_empty(),
        "flags spelled outside modes/hidden.rs:\n{}",
        spelled.join("\n")
    );
}
