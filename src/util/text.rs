//! User text on its way into pages. Titles, prefixes and command lines come
//! from the command line or from trace files; control characters in them are
//! made harmless before they reach report.html, a chart or writeup.md, and text
//! bound for Markdown is escaped there as askama escapes it for HTML.

/// `text` without control characters: line breaks and tabs become a space,
/// every other control character (escape, NUL, DEL, C1 codes...) U+FFFD.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// `text` for a line of Markdown: printable, HTML's `<`, `>` and `&` as
/// entities (raw HTML passes through Markdown), and the characters Markdown
/// gives a meaning (emphasis, code, links, headings, tables) escaped with a
/// backslash.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in printable(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A fenced Markdown code block holding `body` as it is: the fence is longer
/// than any run of backticks in the body, so nothing in it can close the block.
pub fn markdown_code_block(info: &str, body: &str) -> String {
    let longest_run = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest_run + 1).max(3));
    let newline = if body.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{info}\n{body}{newline}{fence}\n")
}

/// `1 worker`, `2 workers`, `2 processes`: a count with its noun.
pub fn plural(count: usize, noun: &str) -> String {
    let ending = match count {
        1 => "",
        _ if ["s", "x", "sh", "ch"].iter().any(|end| noun.ends_with(end)) => "es",
        _ => "s",
    };
    format!("{count} {noun}{ending}")
}

/// A list for a sentence: `a`, `a and b`, `a, b and c`.
pub fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [only] => only.as_ref().to_string(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", rest.join(", "), last.as_ref())
        }
    }
}

/// A path as the terminal and JSON outputs show it.
pub fn display_path(path: &std::path::Path) -> String {
    path.display().to_string()
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,^+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_of_nouns_ending_in_s_take_es() {
        assert_eq!(plural(2, "process"), "2 processes");
        assert_eq!(plural(1, "process"), "1 process");
        assert_eq!(plural(3, "worker"), "3 workers");
        assert_eq!(plural(0, "CPU"), "0 CPUs");
    }

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(join_and::<&str>(&[]), "");
        assert_eq!(join_and(&["a"]), "a");
        assert_eq!(join_and(&["a", "b"]), "a and b");
        assert_eq!(
            join_and(&["a".to_string(), "b".into(), "c".into()]),
            "a, b and c"
        );
    }

    #[test]
    fn control_characters_never_pass() {
        assert_eq!(printable("a\nb\tc"), "a b c");
        assert_eq!(
            printable("red\x1b[31m\0\u{7f}\u{9b}"),
            "red\u{FFFD}[31m\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(printable("plain – ünïcode"), "plain – ünïcode");
    }

    #[test]
    fn markdown_text_is_inert() {
        assert_eq!(
            markdown_text("<b>bold</b> & *em* [x](y) `c` # 1|2"),
            "&lt;b&gt;bold&lt;/b&gt; &amp; \\*em\\* \\[x\\](y) \\`c\\` \\# 1\\|2"
        );
        assert_eq!(markdown_text("a\nb"), "a b");
    }

    #[test]
    fn code_blocks_cannot_be_closed_from_inside() {
        let block = markdown_code_block("console", "$ echo '```'\nok");
        assert_eq!(block, "````console\n$ echo '```'\nok\n````\n");
        assert_eq!(markdown_code_block("", "x\n"), "```\nx\n```\n");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("hash"), "hash");
        assert_eq!(shell_quote("2^28"), "2^28");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("<script>"), "'<script>'");
    }
}
