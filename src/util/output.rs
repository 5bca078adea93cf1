//! Everything the binary prints goes through here, so that no write can panic
//! (`println!` does when stdout is a closed pipe or a full disk). A reader that
//! went away (`coreheat run --json | head -c 1`) is not an error: the rest of the
//! output is dropped quietly. Any other failure to write standard output (a full
//! disk behind `> file`) is remembered, so the exit code can say the output is
//! incomplete. Failures to write standard error are dropped: there is nowhere
//! left to report them.

use std::io::{self, Write};
use std::sync::Mutex;

/// The first failure to write standard output other than a closed pipe.
static LOST_STDOUT: Mutex<Option<String>> = Mutex::new(None);

/// The messages of an error and its causes, none said twice: a cause whose
/// words a message before it already says (`cannot read x.csv: No such file`
/// above `No such file`) is left out, and a message that the cause after it
/// repeats in full (`cannot read F`, then `cannot read F: No such file`)
/// gives way to that cause.
pub fn error_messages(error: &anyhow::Error) -> Vec<String> {
    let mut messages: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if messages.iter().any(|said| said.contains(&text)) {
            continue;
        }
        match messages.last_mut() {
            Some(last) if text.starts_with(last.as_str()) => *last = text,
            _ => messages.push(text),
        }
    }
    messages
}

/// An error and its causes on one line, `: ` between them, none said twice.
pub fn error_line(error: &anyhow::Error) -> String {
    error_messages(error).join(": ")
}

/// Writes `text` to standard output as it is.
pub fn print(text: &str) {
    let mut stdout = io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush());
    if let Err(error) = written
        && error.kind() != io::ErrorKind::BrokenPipe
    {
        let mut lost = LOST_STDOUT.lock().unwrap_or_else(|e| e.into_inner());
        lost.get_or_insert_with(|| error.to_string());
    }
}

/// Writes `line` and a newline to standard output.
pub fn print_line(line: &str) {
    print(&format!("{line}\n"));
}

/// Writes `text` to standard error as it is (no newline added).
pub fn print_err(text: &str) {
    let mut stderr = io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|_| stderr.flush());
}

/// Writes `line` and a newline to standard error.
pub fn print_err_line(line: &str) {
    print_err(&format!("{line}\n"));
}

/// Whether notes and warnings are left out (`--quiet`: only errors).
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Leaves notes and warnings out from now on (`--quiet`), or not.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

/// Writes a note or warning line to standard error, unless `--quiet`.
pub fn print_notice_line(line: &str) {
    if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        print_err_line(line);
    }
}

/// Why standard output lost some of what was printed (not a closed pipe), if
/// it did.
pub fn lost_stdout() -> Option<String> {
    LOST_STDOUT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// The exit code once everything is printed: when standard output lost some of
/// it, that is said on standard error, and a code of 0 becomes 1 unless
/// `keep_code` (exec passes the traced command's own code on unchanged).
pub fn exit_code_after_printing(code: i32, keep_code: bool) -> i32 {
    let Some(problem) = lost_stdout() else {
        return code;
    };
    print_err_line(&format!(
        "coreheat: error: cannot write to standard output: {problem} (the output is incomplete)"
    ));
    if code == 0 && !keep_code { 1 } else { code }
}
