//! The task lines of a trace: `{"t":T,"task":{"pid":..,"tid":..,"ppid":..,"name":".."}}`
//! announces a task once (again when it is renamed), and a sample's
//! `"tasks":[[tid,utime,stime,run_ns,wait_ns,vol_switches,invol_switches,cpu],..]`
//! holds what each task that did anything added in that interval, in the
//! header's `task_fields` order. Written by hand into the writer's buffer;
//! read through serde with every number checked.

use std::io;

use serde::Serialize;

use crate::model::tasks::{EndedTicks, TaskInfo, TaskTicks};

/// Most task rows a sample may hold (a machine's thread limit is about 4 M;
/// a sample line is at most 4 MiB anyway).
pub const MAX_TASK_ROWS: usize = 100_000;

#[derive(Serialize)]
struct TaskLine<'a> {
    t: f64,
    task: &'a TaskInfo,
}

/// Appends the announcement line of `task` at `t`, with its newline.
pub(crate) fn push_task_line(line: &mut Vec<u8>, t: f64, task: &TaskInfo) -> io::Result<()> {
    serde_json::to_writer(&mut *line, &TaskLine { t, task }).map_err(io::Error::other)?;
    line.push(b'\n');
    Ok(())
}

/// Adds `,"tasks":[[..],..]` and `,"ended":[[..],..]` (each when it has
/// rows) to a sample line that ends with `}` and a newline.
pub(crate) fn push_tasks_field(line: &mut Vec<u8>, rows: &[TaskTicks], ended: &[EndedTicks]) {
    push_rows(line, "tasks", rows.iter().map(|r| r.fields()));
    push_rows(line, "ended", ended.iter().map(|e| e.fields()));
}

/// Adds `,"NAME":[[..],..]` of `rows` of numbers, unless there are none.
fn push_rows<const N: usize>(line: &mut Vec<u8>, name: &str, rows: impl Iterator<Item = [u64; N]>) {
    let mut rows = rows.peekable();
    if rows.peek().is_none() || !line.ends_with(b"}\n") {
        return;
    }
    line.truncate(line.len() - 2);
    line.extend_from_slice(format!(",\"{name}\":[").as_bytes());
    let mut digits = itoa::Buffer::new();
    for (at, row) in rows.enumerate() {
        if at > 0 {
            line.push(b',');
        }
        line.push(b'[');
        for (index, value) in row.iter().enumerate() {
            if index > 0 {
                line.push(b',');
            }
            line.extend_from_slice(digits.format(*value).as_bytes());
        }
        line.push(b']');
    }
    line.extend_from_slice(b"]}\n");
}

/// A task announcement, checked.
pub(crate) fn parse_task(text: &str) -> Result<TaskInfo, String> {
    let task: TaskInfo =
        serde_json::from_str(text).map_err(|e| format!("a task announcement: {e}"))?;
    task.checked()
}

/// A sample's task rows, each checked.
pub(crate) fn parse_task_rows(text: &str) -> Result<Vec<TaskTicks>, String> {
    let rows: Vec<[f64; 8]> = serde_json::from_str(text)
        .map_err(|e| format!("a sample's tasks are rows of 8 numbers (see task_fields): {e}"))?;
    if rows.len() > MAX_TASK_ROWS {
        return Err(format!(
            "a sample lists {} tasks; at most {MAX_TASK_ROWS} are read",
            rows.len()
        ));
    }
    rows.into_iter().map(TaskTicks::from_fields).collect()
}

/// A sample's ended rows, each checked.
pub(crate) fn parse_ended_rows(text: &str) -> Result<Vec<EndedTicks>, String> {
    let rows: Vec<[f64; 3]> = serde_json::from_str(text)
        .map_err(|e| format!("a sample's ended are rows of 3 numbers [pid,utime,stime]: {e}"))?;
    if rows.len() > MAX_TASK_ROWS {
        return Err(format!(
            "a sample lists {} ended rows; at most {MAX_TASK_ROWS} are read",
            rows.len()
        ));
    }
    rows.into_iter().map(EndedTicks::from_fields).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_lines_round_trip() {
        let task = TaskInfo {
            pid: 10,
            tid: 11,
            ppid: 1,
            name: "py \"thread\"".into(),
        };
        let mut line = Vec::new();
        push_task_line(&mut line, 1.5, &task).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(value["t"], 1.5);
        assert_eq!(parse_task(&value["task"].to_string()).unwrap(), task);

        let row = TaskTicks {
            tid: 11,
            utime: 7,
            stime: 3,
            run_ns: 100,
            wait_ns: 20,
            voluntary: 1,
            involuntary: 2,
            cpu: 1,
        };
        let ended = EndedTicks {
            pid: 9,
            utime: 30,
            stime: 4,
        };
        let mut line = b"{\"t\":1.0,\"cpus\":[]}\n".to_vec();
        push_tasks_field(&mut line, &[row], &[ended]);
        assert_eq!(
            String::from_utf8(line.clone()).unwrap(),
            "{\"t\":1.0,\"cpus\":[],\"tasks\":[[11,7,3,100,20,1,2,1]],\"ended\":[[9,30,4]]}\n"
        );
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(
            parse_ended_rows(&value["ended"].to_string()).unwrap(),
            vec![ended]
        );
        assert!(
            parse_ended_rows("[[0,1,1]]")
                .unwrap_err()
                .contains("ended pid 0")
        );
        let mut line = b"{\"t\":1.0,\"cpus\":[]}\n".to_vec();
        push_tasks_field(&mut line, &[row], &[]);
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(
            parse_task_rows(&value["tasks"].to_string()).unwrap(),
            vec![row]
        );
        assert!(parse_task_rows("[[1,2,3]]").is_err());
        assert!(
            parse_task_rows("[[0,0,0,0,0,0,0,0]]")
                .unwrap_err()
                .contains("tid 0")
        );
    }
}
