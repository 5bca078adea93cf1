//! The man pages' parts clap_mangen does not write: a synopsis with a
//! placeholder for every value, EXAMPLES and EXIT STATUS sections, and no
//! entry for the `help` command (there is no coreheat-help(1) page).

/// `page` (clap_mangen's roff of the command `words`, `["run", "exec"]`)
/// with its synopsis, examples and exit status written out.
pub fn finish(page: &str, command: &clap::Command, words: &[&str]) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut source = page.lines().peekable();
    while let Some(line) = source.next() {
        if line == ".TP"
            && source.peek().is_some_and(|l| {
                l.starts_with("coreheat\\-") && l.ends_with("help(1)") || l.starts_with("help(1)")
            })
        {
            source.next();
            source.next(); // its description
            continue;
        }
        if line == ".SH VERSION" {
            lines.extend(sections(words));
        }
        lines.push(line.to_string());
        if line == ".SH SYNOPSIS" {
            source.next();
            lines.push(synopsis(command, words));
        }
    }
    if !lines.iter().any(|l| l == ".SH EXAMPLES") {
        lines.extend(sections(words));
    }
    lines.join("\n") + "\n"
}

/// Text for roff: backslashes and hyphens escaped.
fn escape(text: &str) -> String {
    text.replace('\\', "\\e").replace('-', "\\-")
}

/// `coreheat run [--mode MODE] ... <WORKLOAD>`: every visible flag with the
/// placeholder of its value.
fn synopsis(command: &clap::Command, words: &[&str]) -> String {
    let mut parts = vec![format!(
        "\\fB{}\\fR",
        escape(
            &["coreheat"]
                .iter()
                .chain(words)
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        )
    )];
    let mut positionals = Vec::new();
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        if arg.is_positional() {
            let name = arg
                .get_value_names()
                .and_then(|names| names.first())
                .map_or_else(|| arg.get_id().to_string(), |n| n.to_string());
            let dots = if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
                "..."
            } else {
                ""
            };
            let dashes = if arg.is_trailing_var_arg_set() {
                "\\-\\- "
            } else {
                ""
            };
            positionals.push(format!("{dashes}\\fI{}\\fR{dots}", escape(&name)));
            continue;
        }
        let flag = match (arg.get_long(), arg.get_short()) {
            (Some(long), _) => format!("\\fB\\-\\-{}\\fR", escape(long)),
            (None, Some(short)) => format!("\\fB\\-{short}\\fR"),
            (None, None) => continue,
        };
        let takes_value = arg.get_action().takes_values();
        let value = match arg.get_value_names().and_then(|names| names.first()) {
            Some(name) if takes_value => format!(" \\fI{}\\fR", escape(name)),
            None if takes_value => {
                format!(" \\fI{}\\fR", escape(&arg.get_id().as_str().to_uppercase()))
            }
            _ => String::new(),
        };
        parts.push(format!("[{flag}{value}]"));
    }
    parts.extend(positionals);
    if command.has_subcommands() {
        parts.push("\\fICOMMAND\\fR".to_string());
    }
    parts.join(" ")
}

/// EXAMPLES and EXIT STATUS of the page of `words`.
fn sections(words: &[&str]) -> Vec<String> {
    let examples: &[(&str, &str)] = match words {
        [] | ["run"] => &[
            (
                "coreheat run hash \\-\\-zeros 7",
                "a 7\\-zero SHA\\-512 search on every CPU, traced, with a report",
            ),
            (
                "coreheat run \\-\\-mode processes \\-\\-workers 2 count \\-\\-n 2^32",
                "two worker processes count",
            ),
            (
                "coreheat run \\-\\-out build exec \\-\\- make \\-j4",
                "trace any command; coreheat's flags go before it",
            ),
        ],
        ["run", "hash"] => &[
            (
                "coreheat run hash \\-\\-zeros 7 \\-\\-prefix block42:",
                "search with a prefix",
            ),
            (
                "coreheat run \\-\\-mode serial hash \\-\\-engine scalar",
                "one worker, the scalar engine",
            ),
        ],
        ["run", "count"] => &[(
            "coreheat run \\-\\-mode threads count \\-\\-n 2^33 \\-\\-split",
            "split one sum among the threads",
        )],
        ["run", "exec"] => &[
            (
                "coreheat run exec \\-\\- python3 script.py \\-\\-its\\-own\\-flag",
                "everything after \\-\\- is the command's",
            ),
            (
                "coreheat run \\-\\-out build \\-\\-interval 200ms exec \\-\\- make \\-j4",
                "coreheat's flags before exec",
            ),
        ],
        ["run", "idle"] => &[(
            "coreheat run idle \\-\\-duration 10s",
            "the machine's own load, nothing running",
        )],
        ["sweep", ..] => &[(
            "coreheat sweep \\-\\-workers 1,2,4 \\-\\-modes threads,processes hash \\-\\-zeros 7",
            "compare configurations, 3 runs each",
        )],
        ["render", ..] => &[
            (
                "coreheat render reports/*/trace.jsonl",
                "draw saved traces again, several on one page",
            ),
            (
                "coreheat render dstat.csv \\-\\-topology info.json",
                "a dstat CSV, its CPUs grouped by core",
            ),
        ],
        ["info", ..] => &[(
            "coreheat info \\-\\-json > info.json",
            "the machine, for render \\-\\-topology",
        )],
        ["completions", ..] => &[(
            "coreheat completions bash > ~/.local/share/bash\\-completion/completions/coreheat",
            "install bash completion",
        )],
        _ => &[(
            "coreheat man run > ~/.local/share/man/man1/coreheat\\-run.1",
            "install a command's page",
        )],
    };
    let mut lines = vec![".SH EXAMPLES".to_string()];
    for (command, what) in examples {
        lines.extend([".TP".to_string(), command.to_string(), format!("{what}.")]);
    }
    lines.push(".SH \"EXIT STATUS\"".to_string());
    let codes: &[(&str, &str)] = match words {
        ["run", "exec"] => &[
            ("0", "the command exited with 0"),
            (
                "N",
                "the command's own exit code, 128 + the signal when it was killed by one",
            ),
            ("2", "a flag or value was refused; nothing ran"),
            ("127", "the command cannot be found (126: it cannot be run)"),
            (
                "129, 130, 131, 143",
                "interrupted by SIGHUP (the terminal closed), Ctrl\\-C (SIGINT), Ctrl\\-\\\\ (SIGQUIT) or SIGTERM; the trace and report are kept",
            ),
        ],
        ["render", ..] => &[
            ("0", "every file was drawn"),
            (
                "1",
                "some files could not be read; the report shows the others, each failure is named",
            ),
            ("2", "a flag or value was refused, or no file could be read"),
        ],
        ["run", ..] | ["sweep", ..] | [] => &[
            ("0", "the workload finished"),
            (
                "1",
                "the workload failed, or its report could not be written (the trace is kept)",
            ),
            ("2", "a flag or value was refused; nothing ran"),
            (
                "129, 130, 131, 143",
                "interrupted by SIGHUP (the terminal closed), Ctrl\\-C (SIGINT), Ctrl\\-\\\\ (SIGQUIT) or SIGTERM; the trace and report are kept",
            ),
        ],
        _ => &[("0", "success"), ("2", "a flag or value was refused")],
    };
    for (code, meaning) in codes {
        lines.extend([".TP".to_string(), code.to_string(), format!("{meaning}.")]);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_roff_from_reading_hyphens_and_backslashes() {
        assert_eq!(escape("a-b\\c"), "a\\-b\\ec");
    }
}
