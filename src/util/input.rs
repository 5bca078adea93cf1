//! The one way coreheat opens the files users hand it (traces, dstat CSV, mpstat
//! JSON): only regular files (a FIFO, a device or a folder is refused by name
//! before anything can block), read through caps (a line of at most
//! [`MAX_LINE_BYTES`], a whole file of at most [`MAX_WHOLE_FILE_BYTES`]), with one
//! leading UTF-8 byte-order mark skipped, and quoted content kept to a short
//! [`excerpt`] in messages.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Longest line a line reader takes; a sample of 8192 CPUs is about 2 MiB.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// Largest file read whole into memory (mpstat JSON; a day of 64 CPUs at 1 s is
/// about 1 GB, so such recordings must be split or sampled less often).
pub const MAX_WHOLE_FILE_BYTES: u64 = 256 << 20;

/// Characters of file content quoted in a message.
pub const EXCERPT_CHARS: usize = 40;

/// The UTF-8 byte-order mark some editors put first.
pub const BOM: &[u8] = b"\xef\xbb\xbf";

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is {kind}, not a regular file; {hint}")]
    NotRegular {
        path: PathBuf,
        kind: &'static str,
        hint: &'static str,
    },
    #[error(
        "{path} is {}, more than the {} coreheat reads of such a file; split the \
         recording into shorter files",
        show_size(*size),
        show_size(*limit)
    )]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error(
        "{path}:{line}: the line is longer than {}; this is not a file coreheat reads",
        show_size(MAX_LINE_BYTES as u64)
    )]
    LineTooLong { path: PathBuf, line: u64 },
}

impl InputError {
    fn io(path: &Path, source: io::Error) -> InputError {
        InputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Opens `path` for reading if it is a regular file. The open does not block on
/// a FIFO (O_NONBLOCK, which regular files ignore); the type is checked on the
/// opened file, so nothing can be swapped in between.
pub fn open_regular(path: &Path) -> Result<File, InputError> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|source| match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() => not_regular(path, meta.file_type()),
            _ => InputError::io(path, source),
        })?;
    let meta = file.metadata().map_err(|e| InputError::io(path, e))?;
    if !meta.is_file() {
        return Err(not_regular(path, meta.file_type()));
    }
    Ok(file)
}

fn not_regular(path: &Path, file_type: std::fs::FileType) -> InputError {
    let (kind, hint) = if file_type.is_dir() {
        (
            "a folder",
            "name a file in it (a run folder's trace.jsonl, for example)",
        )
    } else if file_type.is_fifo() {
        (
            "a FIFO (named pipe)",
            "save what the pipe carries to a file and give that file",
        )
    } else if file_type.is_char_device() {
        ("a character device", "give a saved file")
    } else if file_type.is_block_device() {
        ("a block device", "give a saved file")
    } else if file_type.is_socket() {
        ("a socket", "give a saved file")
    } else {
        ("not a regular file", "give a saved file")
    };
    InputError::NotRegular {
        path: path.to_path_buf(),
        kind,
        hint,
    }
}

/// Opens a regular file for buffered reading.
pub fn open_buffered(path: &Path) -> Result<BufReader<File>, InputError> {
    Ok(BufReader::with_capacity(256 * 1024, open_regular(path)?))
}

/// Opens a regular file of at most `limit` bytes; reading stops at `limit` even
/// if the file grows meanwhile.
pub fn open_regular_capped(path: &Path, limit: u64) -> Result<io::Take<File>, InputError> {
    let file = open_regular(path)?;
    let size = file.metadata().map_err(|e| InputError::io(path, e))?.len();
    if size > limit {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit,
        });
    }
    Ok(file.take(limit))
}

/// Reads a whole regular file of at most `limit` bytes, without its BOM.
pub fn read_whole(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let mut file = open_regular_capped(path, limit)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| InputError::io(path, e))?;
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    Ok(bytes)
}

/// A size for a message: `4 MiB`, `300.5 MiB`, `812 bytes`.
pub fn show_size(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes < MIB {
        format!("{bytes} bytes")
    } else if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    }
}

/// `bytes` without one leading byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// Where a line was and how it ended; its bytes are [`LineReader::bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// 1 for the first line.
    pub number: u64,
    /// False for a last line that ends without a newline (a writer killed
    /// mid-line, perhaps): readers ignore it when it does not parse.
    pub complete: bool,
}

/// Reads lines of at most [`MAX_LINE_BYTES`] with bounded memory, without a BOM
/// at the start. A longer line is an error, unless it is the last line and has
/// no newline: then it is taken as cut off, skipped to the end, and
/// [`LineReader::cut_long_line`] is set.
pub struct LineReader<R> {
    input: R,
    path: PathBuf,
    number: u64,
    buffer: Vec<u8>,
    start: usize,
    cut_long_line: bool,
}

impl<R: BufRead> LineReader<R> {
    /// `path` names the input in errors.
    pub fn new(input: R, path: &Path) -> LineReader<R> {
        LineReader {
            input,
            path: path.to_path_buf(),
            number: 0,
            buffer: Vec::new(),
            start: 0,
            cut_long_line: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the input ended in a line longer than the cap, which was skipped.
    pub fn cut_long_line(&self) -> bool {
        self.cut_long_line
    }

    /// The bytes of the line last read, without its newline.
    pub fn bytes(&self) -> &[u8] {
        &self.buffer[self.start..]
    }

    /// The next line, or `None` at the end of the input.
    pub fn next_line(&mut self) -> Result<Option<Line>, InputError> {
        self.buffer.clear();
        self.start = 0;
        let read = (&mut self.input)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut self.buffer)
            .map_err(|e| InputError::io(&self.path, e))?;
        if read == 0 {
            return Ok(None);
        }
        self.number += 1;
        let complete = self.buffer.last() == Some(&b'\n');
        if complete {
            self.buffer.pop();
        }
        if self.buffer.len() > MAX_LINE_BYTES {
            return self.skip_long_line();
        }
        if self.number == 1 && self.buffer.starts_with(BOM) {
            self.start = BOM.len();
        }
        Ok(Some(Line {
            number: self.number,
            complete,
        }))
    }

    /// The next line that is not blank (only whitespace), or `None`.
    pub fn next_content_line(&mut self) -> Result<Option<Line>, InputError> {
        while let Some(line) = self.next_line()? {
            if !self.bytes().iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(line));
            }
        }
        Ok(None)
    }

    /// Reads past the rest of an over-long line: an error if a newline ends it,
    /// the end of the input (a cut last line) otherwise.
    fn skip_long_line(&mut self) -> Result<Option<Line>, InputError> {
        self.buffer = Vec::new();
        loop {
            let chunk = self
                .input
                .fill_buf()
                .map_err(|e| InputError::io(&self.path, e))?;
            if chunk.is_empty() {
                self.cut_long_line = true;
                return Ok(None);
            }
            if let Some(at) = chunk.iter().position(|&b| b == b'\n') {
                self.input.consume(at + 1);
                return Err(InputError::LineTooLong {
                    path: self.path.clone(),
                    line: self.number,
                });
            }
            let len = chunk.len();
            self.input.consume(len);
        }
    }
}

/// At most [`EXCERPT_CHARS`] characters of `text`, control characters escaped,
/// with `…` and the full length when it was longer: safe to put in a message.
pub fn excerpt(text: &str) -> String {
    with_length(escaped_head(text, EXCERPT_CHARS), text.len())
}

/// [`excerpt`] of bytes that may not be UTF-8.
pub fn excerpt_bytes(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(4 * EXCERPT_CHARS)];
    let (text, cut) = escaped_head(&String::from_utf8_lossy(head), EXCERPT_CHARS);
    with_length((text, cut || head.len() < bytes.len()), bytes.len())
}

/// A message from a parser (serde_json quotes whole strings of the input) cut
/// to a readable length: its start and its end (where the position is).
pub fn clip_message(message: &str) -> String {
    const HEAD: usize = 120;
    const TAIL: usize = 80;
    let chars = message.chars().count();
    if chars <= HEAD + TAIL {
        return escaped_head(message, HEAD + TAIL).0;
    }
    let tail: String = message.chars().skip(chars - TAIL).collect();
    format!(
        "{}…{}",
        escaped_head(message, HEAD).0,
        escaped_head(&tail, TAIL).0
    )
}

/// The first `max` characters of `text` with control characters escaped, and
/// whether anything was left out.
fn escaped_head(text: &str, max: usize) -> (String, bool) {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max {
            return (out, true);
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    (out, false)
}

fn with_length((mut text, cut): (String, bool), bytes: usize) -> String {
    if cut {
        text.push_str(&format!("… ({bytes} bytes)"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn excerpts_are_short_and_escaped() {
        assert_eq!(excerpt("12.5"), "12.5");
        assert_eq!(excerpt("a\0b"), "a\\u{0}b");
        let long = "x".repeat(1000);
        let cut = excerpt(&long);
        assert!(cut.starts_with(&"x".repeat(EXCERPT_CHARS)));
        assert!(cut.ends_with("… (1000 bytes)"), "{cut}");
        assert!(excerpt_bytes(&vec![0u8; 5000]).ends_with("(5000 bytes)"));
        assert!(clip_message(&"y".repeat(10_000)).len() < 300);
    }

    #[test]
    fn lines_bom_and_a_cut_last_line() {
        let text = b"\xef\xbb\xbfone\n  \ntwo\nthr";
        let mut lines = LineReader::new(Cursor::new(&text[..]), Path::new("x"));
        let first = lines.next_content_line().unwrap().unwrap();
        assert_eq!((lines.bytes(), first.complete), (&b"one"[..], true));
        let second = lines.next_content_line().unwrap().unwrap();
        assert_eq!((lines.bytes(), second.number), (&b"two"[..], 3));
        let last = lines.next_line().unwrap().unwrap();
        assert_eq!((lines.bytes(), last.complete), (&b"thr"[..], false));
        assert!(lines.next_line().unwrap().is_none());
    }

    #[test]
    fn an_over_long_line_is_an_error_unless_it_is_the_cut_last_one() {
        let mut long = vec![b'a'; MAX_LINE_BYTES + 10];
        let mut lines = LineReader::new(Cursor::new(long.clone()), Path::new("x"));
        assert!(lines.next_line().unwrap().is_none());
        assert!(lines.cut_long_line());

        long.extend_from_slice(b"\nnext\n");
        let mut lines = LineReader::new(Cursor::new(long), Path::new("x"));
        let error = lines.next_line().err().unwrap().to_string();
        assert!(error.contains("x:1: the line is longer"), "{error}");
        assert!(lines.next_line().unwrap().is_some());
        assert_eq!(lines.bytes(), b"next");
    }
}
