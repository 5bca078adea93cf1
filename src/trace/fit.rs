//! What the trace writer does so that every header it writes is one the reader
//! takes: a text longer than [`MAX_TEXT_BYTES`] (a command's argument of 130 KB,
//! a title) is cut with a mark saying how much was left out, the arguments of
//! a traced command are kept up to [`MAX_ARGV_BYTES`] in all, and a note says
//! so. The reader's line limit is far above what is left.

use crate::model::Meta;
use crate::model::workload::WorkloadMeta;

/// Longest text of a header kept whole, in bytes of JSON.
pub const MAX_TEXT_BYTES: usize = 8 << 10;
/// Bytes of JSON of a traced command's arguments kept in all.
pub const MAX_ARGV_BYTES: usize = 256 << 10;

/// Cuts what is too long in `meta`; returns whether anything was cut (a note
/// then says so in `meta.notes`).
pub fn fit_header(meta: &mut Meta) -> bool {
    let mut cut = 0usize;
    cut += usize::from(clip(&mut meta.command));
    if let Some(title) = meta.title.as_mut() {
        cut += usize::from(clip(title));
    }
    for note in &mut meta.notes {
        cut += usize::from(clip(note));
    }
    if let Some(WorkloadMeta::Exec { argv }) = meta.workload.as_mut() {
        for arg in argv.iter_mut() {
            cut += usize::from(clip(arg));
        }
        let mut total = 0;
        let kept = argv
            .iter()
            .take_while(|arg| {
                total += json_len(arg) + 1;
                total <= MAX_ARGV_BYTES
            })
            .count()
            .max(1);
        if kept < argv.len() {
            let left = argv.len() - kept;
            argv.truncate(kept);
            argv.push(format!("[{left} more arguments left out]"));
            cut += left;
        }
    }
    if cut > 0 {
        meta.notes.push(format!(
            "The command line was longer than a trace header keeps: {cut} of its texts are \
             cut here (each to {} KiB, the arguments to {} KiB in all), each cut one marked; \
             the command itself ran with all of them.",
            MAX_TEXT_BYTES >> 10,
            MAX_ARGV_BYTES >> 10
        ));
    }
    cut > 0
}

/// Bytes of `text` as a JSON string (control characters take six).
fn json_len(text: &str) -> usize {
    serde_json::to_string(text).map_or(text.len(), |s| s.len())
}

/// Cuts `text` to about [`MAX_TEXT_BYTES`] of JSON, marking how many bytes
/// were left out; whether it did.
fn clip(text: &mut String) -> bool {
    if json_len(text) <= MAX_TEXT_BYTES {
        return false;
    }
    let mut end = 0;
    let mut size = 0;
    for (at, c) in text.char_indices() {
        size += json_len(c.encode_utf8(&mut [0; 4])) - 2;
        if size > MAX_TEXT_BYTES - 64 {
            break;
        }
        end = at + c.len_utf8();
    }
    let left = text.len() - end;
    text.truncate(end);
    text.push_str(&format!("… [{left} more bytes left out]"));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_arguments_are_cut_with_a_mark_and_a_note() {
        let huge = "\u{1}".repeat(130_000);
        let argv: Vec<String> = std::iter::once("true".to_string())
            .chain(std::iter::repeat_n(huge.clone(), 5))
            .collect();
        let mut meta = Meta {
            command: format!("coreheat run exec -- true {huge}"),
            workload: Some(WorkloadMeta::Exec { argv }),
            ..Meta::default()
        };
        assert!(fit_header(&mut meta));
        let json = serde_json::to_string(&meta).unwrap();
        assert!(json.len() < 100 << 10, "{} bytes", json.len());
        let Some(WorkloadMeta::Exec { argv }) = &meta.workload else {
            panic!("exec");
        };
        assert_eq!(argv[0], "true");
        assert!(argv[1].ends_with("more bytes left out]"));
        assert!(
            meta.notes
                .last()
                .unwrap()
                .contains("6 of its texts are cut")
        );

        let mut short = Meta::default();
        assert!(!fit_header(&mut short));
        assert!(short.notes.is_empty());
    }

    #[test]
    fn many_arguments_are_kept_up_to_the_total() {
        let argv: Vec<String> = (0..100_000).map(|i| format!("argument-{i}")).collect();
        let mut meta = Meta {
            workload: Some(WorkloadMeta::Exec { argv }),
            ..Meta::default()
        };
        assert!(fit_header(&mut meta));
        let Some(WorkloadMeta::Exec { argv }) = &meta.workload else {
            panic!("exec");
        };
        assert!(argv.len() < 100_000);
        assert!(argv.last().unwrap().contains("more arguments left out"));
        assert!(serde_json::to_string(argv).unwrap().len() <= MAX_ARGV_BYTES + 100);
    }
}
