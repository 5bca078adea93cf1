//! Tracepoint formats: each tracepoint's id and where its fields sit in the
//! raw record, read from its `format` file under tracefs
//! (`/sys/kernel/tracing/events/sched/NAME/format`). Offsets change between
//! kernels (`sched_migrate_task`'s `comm` became a `__data_loc` string in 6.x),
//! so they are never assumed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where tracefs is mounted, in the order tried.
pub const TRACEFS_ROOTS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/// One field of a raw record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub offset: usize,
    pub size: usize,
    /// A `__data_loc` field: the record holds a u32 (offset | length << 16)
    /// pointing at the data.
    pub data_loc: bool,
}

/// A tracepoint's id and fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    pub name: String,
    pub id: u64,
    fields: HashMap<String, Field>,
}

impl Format {
    /// Parses the text of a `format` file.
    pub fn parse(text: &str) -> Result<Format, String> {
        let mut name = None;
        let mut id = None;
        let mut fields = HashMap::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("name:") {
                name = Some(rest.trim().to_string());
            } else if let Some(rest) = line.strip_prefix("ID:") {
                id = rest.trim().parse::<u64>().ok();
            } else if line.starts_with("field:") {
                let (field_name, field) = parse_field(line)?;
                fields.insert(field_name, field);
            }
        }
        let name = name.ok_or("no 'name:' line")?;
        let id = id.ok_or_else(|| format!("{name}: no 'ID:' line"))?;
        Ok(Format { name, id, fields })
    }

    /// The field `name`, which must be `size` bytes (0: any).
    pub fn field(&self, name: &str, size: usize) -> Result<Field, String> {
        let field = self
            .fields
            .get(name)
            .ok_or_else(|| format!("tracepoint {} has no field '{name}'", self.name))?;
        if size != 0 && field.size != size && !field.data_loc {
            return Err(format!(
                "tracepoint {}'s field '{name}' is {} bytes, not {size}",
                self.name, field.size
            ));
        }
        Ok(*field)
    }
}

/// `field:char prev_comm[16]; offset:8; size:16; signed:0;`
fn parse_field(line: &str) -> Result<(String, Field), String> {
    let mut declaration = "";
    let mut offset = None;
    let mut size = None;
    for part in line.split(';').map(str::trim) {
        if let Some(rest) = part.strip_prefix("field:") {
            declaration = rest;
        } else if let Some(rest) = part.strip_prefix("offset:") {
            offset = rest.parse::<usize>().ok();
        } else if let Some(rest) = part.strip_prefix("size:") {
            size = rest.parse::<usize>().ok();
        }
    }
    let last_word = declaration
        .split_whitespace()
        .last()
        .ok_or_else(|| format!("a field line without a name: {line}"))?;
    let name = last_word.split('[').next().unwrap_or(last_word).to_string();
    let (Some(offset), Some(size)) = (offset, size) else {
        return Err(format!("field '{name}' has no offset or size"));
    };
    Ok((
        name,
        Field {
            offset,
            size,
            data_loc: declaration.starts_with("__data_loc"),
        },
    ))
}

/// The folder of tracefs's `events`, mounting tracefs when it is not (as
/// `perf` does; only root may). `None` with the reason when there is none.
pub fn events_folder() -> Result<PathBuf, String> {
    if let Some(found) = find_events() {
        return Ok(found);
    }
    if let Some(reason) = unreadable_reason() {
        return Err(reason);
    }
    // Mounting needs CAP_SYS_ADMIN; a failure just leaves the reason below.
    let _ = std::process::Command::new("mount")
        .args(["-t", "tracefs", "nodev", TRACEFS_ROOTS[0]])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    find_events().ok_or_else(|| {
        "tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing as root)".to_string()
    })
}

fn find_events() -> Option<PathBuf> {
    TRACEFS_ROOTS
        .iter()
        .map(|root| Path::new(root).join("events"))
        .find(|events| events.join("sched").is_dir())
}

/// Why tracefs cannot be read though it may be mounted (it is root's alone
/// by default).
fn unreadable_reason() -> Option<String> {
    let root = Path::new(TRACEFS_ROOTS[0]);
    match std::fs::read_dir(root) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Some(format!(
            "cannot read the scheduler's tracepoint formats in {} (permission denied; \
             kernel.perf_event_paranoid is {}): run as root, or give coreheat CAP_PERFMON \
             and read access to tracefs",
            root.display(),
            paranoid()
        )),
        _ => None,
    }
}

/// `kernel.perf_event_paranoid`, as text.
pub fn paranoid() -> String {
    std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .map(|text| text.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Reads the format of `events/GROUP/NAME`.
pub fn read(events: &Path, group: &str, name: &str) -> Result<Format, String> {
    let path = events.join(group).join(name).join("format");
    let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => format!(
            "cannot read {} (permission denied: tracefs is root's unless made readable)",
            path.display()
        ),
        _ => format!("cannot read {}: {e}", path.display()),
    })?;
    Format::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A tracepoint's format as this project's fixtures hold it (6.18's).
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> Format {
    let path = format!(
        "{}/tests/fixtures/tracepoints/{name}.format",
        env!("CARGO_MANIFEST_DIR")
    );
    Format::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sched_switch_fields_are_where_the_kernel_says() {
        let format = fixture("sched_switch");
        assert_eq!(format.name, "sched_switch");
        assert!(format.id > 0);
        let prev_pid = format.field("prev_pid", 4).unwrap();
        assert_eq!((prev_pid.offset, prev_pid.data_loc), (24, false));
        assert_eq!(format.field("prev_state", 8).unwrap().offset, 32);
        assert_eq!(format.field("next_comm", 16).unwrap().offset, 40);
        assert_eq!(format.field("next_pid", 4).unwrap().offset, 56);
    }

    #[test]
    fn a_data_loc_string_is_marked_and_other_sizes_refused() {
        let format = fixture("sched_migrate_task");
        assert!(format.field("comm", 16).unwrap().data_loc);
        assert_eq!(format.field("dest_cpu", 4).unwrap().offset, 24);
        let error = format.field("pid", 8).unwrap_err();
        assert!(error.contains("is 4 bytes, not 8"), "{error}");
        let error = format.field("nope", 4).unwrap_err();
        assert!(error.contains("no field 'nope'"), "{error}");
    }

    #[test]
    fn an_older_kernels_layout_is_read_from_its_own_text() {
        // sched_migrate_task before Linux 6.x: comm inline, 16 bytes.
        let text = "name: sched_migrate_task\nID: 300\nformat:\n\
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
            \tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n\
            \tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;\n\
            \tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;\n\
            \tfield:int orig_cpu;\toffset:32;\tsize:4;\tsigned:1;\n\
            \tfield:int dest_cpu;\toffset:36;\tsize:4;\tsigned:1;\n";
        let format = Format::parse(text).unwrap();
        assert_eq!(format.id, 300);
        assert_eq!(format.field("dest_cpu", 4).unwrap().offset, 36);
        assert!(!format.field("comm", 16).unwrap().data_loc);
    }
}
