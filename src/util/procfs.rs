//! `/proc/PID/stat` and the process tree, read in one place: the guardian
//! signals and counts the command's descendants, the task sampler finds the
//! workload's children, and the tests look for processes left behind, all with
//! these. The command name in a stat line may hold spaces and parentheses, so
//! its fields are read after the last `)`.

use std::path::Path;

/// The real /proc.
pub const PROC: &str = "/proc";

/// A whole decimal number of at most 20 digits, or `None`.
pub fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    bytes.iter().try_fold(0u64, |value, &b| {
        b.is_ascii_digit()
            .then_some(())
            .and_then(|()| value.checked_mul(10)?.checked_add(u64::from(b - b'0')))
    })
}

/// A /proc/PID/stat line split into the command name (between the first `(`
/// and the last `)`) and the fields after it: field 3 (state) is the first.
pub fn stat_fields(text: &[u8]) -> Option<(&[u8], impl Iterator<Item = &[u8]>)> {
    let open = text.iter().position(|&b| b == b'(')?;
    let close = text.iter().rposition(|&b| b == b')')?;
    let name = text.get(open + 1..close)?;
    let fields = text[close + 1..]
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty());
    Some((name, fields))
}

/// The state letter and the parent pid of a /proc/PID/stat line.
pub fn state_and_parent(text: &[u8]) -> Option<(u8, u32)> {
    let (_, mut fields) = stat_fields(text)?;
    let state = *fields.next()?.first()?;
    let ppid = u32::try_from(parse_u64(fields.next()?)?).ok()?;
    Some((state, ppid))
}

/// The pids listed under `proc_root` (its numeric entries).
pub fn pids(proc_root: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .collect()
}

/// One process of the table: its pid, its parent's, and whether it is a
/// zombie (ended, not yet reaped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessEntry {
    pub pid: u32,
    pub ppid: u32,
    pub zombie: bool,
}

/// Every process under `proc_root` whose stat could be read.
pub fn process_table(proc_root: &Path) -> Vec<ProcessEntry> {
    pids(proc_root)
        .into_iter()
        .filter_map(|pid| {
            let stat = std::fs::read(proc_root.join(format!("{pid}/stat"))).ok()?;
            let (state, ppid) = state_and_parent(&stat)?;
            Some(ProcessEntry {
                pid,
                ppid,
                zombie: state == b'Z',
            })
        })
        .collect()
}

/// Every live (not zombie) process below `root` in the real /proc: children,
/// grandchildren, ... (the children of a zombie too).
pub fn descendants(root: u32) -> Vec<u32> {
    descendants_in(&process_table(Path::new(PROC)), root)
}

/// Every live process below `root` in `table`.
pub fn descendants_in(table: &[ProcessEntry], root: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for entry in table.iter().filter(|e| e.ppid == parent && e.pid != root) {
            frontier.push(entry.pid);
            if !entry.zombie {
                found.push(entry.pid);
            }
        }
    }
    found
}

/// The live children of `parent` in the real /proc.
pub fn children(parent: u32) -> Vec<u32> {
    process_table(Path::new(PROC))
        .into_iter()
        .filter(|e| e.ppid == parent && !e.zombie)
        .map(|e| e.pid)
        .collect()
}

/// Whether `pid` exists in the real /proc and is not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read(Path::new(PROC).join(format!("{pid}/stat")))
        .ok()
        .and_then(|stat| state_and_parent(&stat))
        .is_some_and(|(state, _)| state != b'Z')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_names_parse() {
        let (name, mut fields) = stat_fields(b"12 (a) b (c)) S 7 12 12 0\n").unwrap();
        assert_eq!(name, b"a) b (c)");
        assert_eq!(fields.next(), Some(&b"S"[..]));
        assert_eq!(state_and_parent(b"12 (a) b (c)) S 7 12"), Some((b'S', 7)));
        assert_eq!(state_and_parent(b"12 (x) Z 1\n"), Some((b'Z', 1)));
        assert_eq!(state_and_parent(b"garbage"), None);
        assert_eq!(state_and_parent(b"1 (x) S 99999999999"), None);
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"42"), Some(42));
    }

    #[test]
    fn descendants_go_through_zombies_and_leave_them_out() {
        let entry = |pid, ppid, zombie| ProcessEntry { pid, ppid, zombie };
        let table = [
            entry(10, 1, false),
            entry(11, 10, true),
            entry(12, 11, false),
            entry(13, 12, false),
            entry(20, 1, false),
        ];
        let mut found = descendants_in(&table, 10);
        found.sort_unstable();
        assert_eq!(found, [12, 13]);
        assert!(descendants_in(&table, 13).is_empty());
    }

    #[test]
    fn this_process_is_alive_and_its_parent_is_not_its_child() {
        let me = std::process::id();
        assert!(alive(me));
        let table = process_table(Path::new(PROC));
        let mine = table.iter().find(|e| e.pid == me).expect("listed");
        assert!(!children(mine.ppid).is_empty());
        assert!(!descendants(mine.ppid).is_empty());
        assert!(!alive(u32::MAX));
    }
}
