//! The scheduler lines of a trace (header `sched.source` `events`):
//! `{"t":T,"sched":{"slices":[[tid,cpu,start_us,dur_us,end,wait_us,waker],..],
//! "migrations":[[t_us,tid,from,to],..],"threads":[[tid,pid,"name"],..],
//! "other_us":[..],"lost":N,"dropped":N}}`, written after the sample at `t`
//! with what the scheduler recorded since the line before. Long batches are
//! split over several lines so no line nears the reader's line limit. Read
//! back with every number checked, and each thread's slices in order and
//! never overlapping.

use std::collections::HashMap;
use std::io;

use serde::{Deserialize, Serialize};

use crate::model::sched::{Migration, SchedBatch, SchedThread, Slice, SliceEnd};

/// Slices written in one line at most (about 40 bytes each: a line of them
/// stays near 1 MiB, a quarter of the reader's line limit).
pub const SLICES_PER_LINE: usize = 25_000;

/// Most slices, migrations or threads one line may hold when read.
pub const MAX_ROWS_PER_LINE: usize = 100_000;

#[derive(Serialize)]
struct SchedLine<'a> {
    t: f64,
    sched: Body<'a>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    slices: Vec<[u64; 7]>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    migrations: Vec<[u64; 4]>,
    #[serde(borrow, skip_serializing_if = "Vec::is_empty")]
    threads: Vec<(u32, u32, std::borrow::Cow<'a, str>)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    other_us: Vec<u64>,
    #[serde(skip_serializing_if = "is_zero")]
    lost: u64,
    #[serde(skip_serializing_if = "is_zero")]
    dropped: u64,
    #[serde(skip_serializing_if = "is_zero")]
    unpaired: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// Appends the lines of `batch` at `t` (each with its newline): the slices
/// in lines of at most [`SLICES_PER_LINE`], everything else in the first.
pub(crate) fn push_sched_lines(line: &mut Vec<u8>, t: f64, batch: &SchedBatch) -> io::Result<()> {
    let mut chunks = batch.slices.chunks(SLICES_PER_LINE);
    let first = Body {
        slices: chunks
            .next()
            .map_or(Vec::new(), |c| c.iter().map(Slice::fields).collect()),
        migrations: batch.migrations.iter().map(Migration::fields).collect(),
        threads: batch
            .threads
            .iter()
            .map(|t| (t.tid, t.pid, t.name.as_str().into()))
            .collect(),
        other_us: batch.other_us.clone(),
        lost: batch.lost,
        dropped: batch.dropped,
        unpaired: batch.unpaired,
    };
    push_line(line, t, first)?;
    for chunk in chunks {
        let body = Body {
            slices: chunk.iter().map(Slice::fields).collect(),
            ..Body::default()
        };
        push_line(line, t, body)?;
    }
    Ok(())
}

fn push_line(line: &mut Vec<u8>, t: f64, sched: Body) -> io::Result<()> {
    serde_json::to_writer(&mut *line, &SchedLine { t, sched }).map_err(io::Error::other)?;
    line.push(b'\n');
    Ok(())
}

/// A line's `sched` object, every number checked; `cpus` is the header's CPU
/// count (`other_us` has one number per CPU, or none).
pub(crate) fn parse_sched(text: &str, cpus: usize) -> Result<SchedBatch, String> {
    let body: Body = serde_json::from_str(text).map_err(|e| {
        format!("a sched line (slices are rows of 7 whole numbers, see sched.slice_fields): {e}")
    })?;
    for (name, rows) in [
        ("slices", body.slices.len()),
        ("migrations", body.migrations.len()),
        ("threads", body.threads.len()),
    ] {
        if rows > MAX_ROWS_PER_LINE {
            return Err(format!(
                "a sched line lists {rows} {name}; at most {MAX_ROWS_PER_LINE} are read"
            ));
        }
    }
    if !body.other_us.is_empty() && body.other_us.len() != cpus {
        return Err(format!(
            "a sched line's other_us has {} numbers for the header's {cpus} CPUs",
            body.other_us.len()
        ));
    }
    Ok(SchedBatch {
        slices: body
            .slices
            .into_iter()
            .map(Slice::from_fields)
            .collect::<Result<_, _>>()?,
        migrations: body
            .migrations
            .into_iter()
            .map(Migration::from_fields)
            .collect::<Result<_, _>>()?,
        threads: body
            .threads
            .into_iter()
            .map(|(tid, pid, name)| {
                SchedThread {
                    tid,
                    pid,
                    name: name.into_owned(),
                }
                .checked()
            })
            .collect::<Result<_, _>>()?,
        other_us: body.other_us,
        lost: body.lost,
        dropped: body.dropped,
        unpaired: body.unpaired,
    })
}

/// Holds every thread's slices to the order a scheduler makes: each starts
/// no earlier than the thread's slice before it ended.
#[derive(Debug, Default)]
pub(crate) struct SliceOrder {
    ends: HashMap<u32, u64>,
}

impl SliceOrder {
    pub(crate) fn check(&mut self, slices: &[Slice]) -> Result<(), String> {
        for slice in slices {
            let end = self.ends.entry(slice.tid).or_insert(0);
            if slice.start_us < *end {
                return Err(format!(
                    "thread {}'s slice at {} µs starts before its slice before ended ({} µs): slices of a thread must be in order and must not overlap",
                    slice.tid, slice.start_us, *end
                ));
            }
            *end = slice.end_us();
            if slice.end == SliceEnd::Exited {
                self.ends.remove(&slice.tid); // its id may be reused
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(tid: u32, start_us: u64, dur_us: u64) -> Slice {
        Slice {
            tid,
            cpu: 0,
            start_us,
            dur_us,
            end: SliceEnd::Preempted,
            wait_us: 0,
            waker: 0,
        }
    }

    #[test]
    fn a_long_batch_is_split_and_reads_back_whole() {
        let batch = SchedBatch {
            slices: (0..(SLICES_PER_LINE as u64 * 2 + 5))
                .map(|k| slice(7, k * 10, 5))
                .collect(),
            threads: vec![SchedThread {
                tid: 7,
                pid: 7,
                name: "a \"quoted\" name".into(),
            }],
            other_us: vec![3, 4],
            lost: 2,
            ..SchedBatch::default()
        };
        let mut text = Vec::new();
        push_sched_lines(&mut text, 1.5, &batch).unwrap();
        let lines: Vec<&str> = std::str::from_utf8(&text).unwrap().lines().collect();
        assert_eq!(lines.len(), 3);
        let mut read = SchedBatch::default();
        for line in lines {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["t"], 1.5);
            let part = parse_sched(&value["sched"].to_string(), 2).unwrap();
            read.slices.extend(part.slices);
            read.threads.extend(part.threads);
            read.other_us.extend(part.other_us);
            read.lost += part.lost;
        }
        assert_eq!(read, batch);
    }

    #[test]
    fn overlapping_slices_of_one_thread_are_refused() {
        let mut order = SliceOrder::default();
        order.check(&[slice(1, 0, 10), slice(2, 5, 10)]).unwrap();
        let error = order.check(&[slice(1, 9, 3)]).unwrap_err();
        assert!(error.contains("thread 1's slice at 9 µs"), "{error}");
        let exit = Slice {
            end: SliceEnd::Exited,
            ..slice(2, 15, 1)
        };
        order.check(&[exit, slice(2, 3, 1)]).unwrap();
    }

    #[test]
    fn other_us_must_match_the_cpus() {
        let error = parse_sched(r#"{"other_us":[1,2,3]}"#, 2).unwrap_err();
        assert!(
            error.contains("3 numbers for the header's 2 CPUs"),
            "{error}"
        );
        let error = parse_sched(r#"{"slices":[[1,0,0,1,9,0,0]]}"#, 2).unwrap_err();
        assert!(error.contains("slice end 9"), "{error}");
    }
}
