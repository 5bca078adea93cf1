//! The CPU rows of a sample line. Version 2 writes each CPU as an array of eight
//! numbers in [`CPU_FIELDS`] order — ticks of the kernel's clock, or percent for
//! data that has no ticks — and version 1 wrote objects of eight named
//! percentages. Reading turns every form into [`CpuLoad`] percentages; writing
//! builds the line by hand into a reused buffer, without allocating.

use std::fmt;
use std::io;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};

use crate::model::{CPU_FIELDS, CpuLoad, CpuTicks, CpuUnit, Header, checked_ticks};

/// How a trace's sample lines hold their CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowForm {
    /// Version 1: `{"usr":97.0,"nice":0.0,...}`.
    Objects,
    /// Version 2 with `cpu_unit` ticks: `[97,0,2,1,0,0,0,0]`.
    Ticks,
    /// Version 2 with `cpu_unit` percent: `[97.5,0,2.5,0,0,0,0,0]`.
    Percent,
}

impl RowForm {
    /// The form a checked header of `version` 1 or 2 announces.
    pub(crate) fn of(header: &Header) -> Result<RowForm, String> {
        if header.version == 1 {
            return Ok(RowForm::Objects);
        }
        Ok(match header.meta.check_rows()? {
            CpuUnit::Ticks => RowForm::Ticks,
            CpuUnit::Percent => RowForm::Percent,
        })
    }
}

/// One CPU of a version-2 sample: eight numbers in [`CPU_FIELDS`] order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Row(pub [f64; 8]);

impl Row {
    /// The percentages of a row of ticks, each field checked by [`checked_ticks`].
    pub(crate) fn ticks_load(&self) -> Result<CpuLoad, String> {
        for (value, name) in self.0.iter().zip(CPU_FIELDS) {
            checked_ticks(*value).map_err(|message| format!("{name}: {message}"))?;
        }
        Ok(CpuLoad::from_counts(self.0))
    }

    /// The percentages of a row of percent, checked as every reader checks them.
    pub(crate) fn percent_load(&self) -> Result<CpuLoad, String> {
        CpuLoad::from_fields(self.0).checked()
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Row, D::Error> {
        deserializer.deserialize_seq(RowVisitor)
    }
}

struct RowVisitor;

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Row;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        write!(
            formatter,
            "a CPU row of 8 numbers ({})",
            CPU_FIELDS.join(", ")
        )
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row, A::Error> {
        let mut row = [0.0; 8];
        for (count, slot) in row.iter_mut().enumerate() {
            *slot = seq
                .next_element()?
                .ok_or_else(|| de::Error::custom(wrong_length(&count.to_string())))?;
        }
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(wrong_length("more than 8")));
        }
        Ok(Row(row))
    }
}

fn wrong_length(count: &str) -> String {
    format!(
        "a CPU row has {count} numbers; version 2 rows have 8 ({})",
        CPU_FIELDS.join(", ")
    )
}

/// The percentages of `cpus`, a sample's list of tick rows exactly as coreheat
/// writes them (`[[97,0,2,1,0,0,0,0],...]`: no spaces, whole numbers of at most
/// 15 digits, so each is below 2^53), when it holds `expected` rows. `None` for
/// anything else, which the general reader then parses and words the fault of.
/// The text is already known to be valid JSON.
pub(crate) fn plain_tick_loads(cpus: &[u8], expected: usize) -> Option<Vec<CpuLoad>> {
    let mut rest = cpus.strip_prefix(b"[")?;
    let mut loads = Vec::with_capacity(expected);
    if rest != b"]" {
        loop {
            let (ticks, after) = plain_tick_row(rest)?;
            loads.push(CpuLoad::from_counts(ticks));
            match after {
                [b',', more @ ..] => rest = more,
                b"]" => break,
                _ => return None,
            }
        }
    }
    (loads.len() == expected).then_some(loads)
}

/// One `[A,B,C,D,E,F,G,H]` row of whole numbers at the start of `text`, and the
/// text after it.
fn plain_tick_row(text: &[u8]) -> Option<([f64; 8], &[u8])> {
    let mut rest = text.strip_prefix(b"[")?;
    let mut ticks = [0.0; 8];
    for (at, slot) in ticks.iter_mut().enumerate() {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=15).contains(&digits) {
            return None;
        }
        let value = rest[..digits]
            .iter()
            .fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'));
        *slot = value as f64;
        let separator = if at == 7 { b']' } else { b',' };
        if rest.get(digits) != Some(&separator) {
            return None;
        }
        rest = &rest[digits + 1..];
    }
    Some((ticks, rest))
}

/// Appends `{"t":T,"cpus":[ROW,...]}` and a newline to `line`, each row written
/// by `push_row`.
pub(crate) fn push_sample_line<T>(
    line: &mut Vec<u8>,
    t: f64,
    rows: &[T],
    push_row: impl FnMut(&mut Vec<u8>, &T) -> io::Result<()>,
) -> io::Result<()> {
    line.extend_from_slice(b"{\"t\":");
    push_number(line, t)?;
    line.extend_from_slice(b",\"cpus\":");
    push_list(line, rows, push_row)?;
    line.extend_from_slice(b"}\n");
    Ok(())
}

/// `[97,0,2,1,0,0,0,0]`.
pub(crate) fn push_ticks_row(line: &mut Vec<u8>, ticks: &CpuTicks) -> io::Result<()> {
    let mut digits = itoa::Buffer::new();
    push_list(line, &ticks.0, |line, &value| {
        line.extend_from_slice(digits.format(value).as_bytes());
        Ok(())
    })
}

/// `[97.5,0.0,2.5,0.0,0.0,0.0,0.0,0.0]`.
pub(crate) fn push_percent_row(line: &mut Vec<u8>, load: &CpuLoad) -> io::Result<()> {
    push_list(line, &load.fields(), |line, &value| {
        push_number(line, value)
    })
}

/// `[A,B,...]`, each value written by `push_value`.
fn push_list<T>(
    line: &mut Vec<u8>,
    values: &[T],
    mut push_value: impl FnMut(&mut Vec<u8>, &T) -> io::Result<()>,
) -> io::Result<()> {
    line.push(b'[');
    for (at, value) in values.iter().enumerate() {
        if at > 0 {
            line.push(b',');
        }
        push_value(line, value)?;
    }
    line.push(b']');
    Ok(())
}

/// A number as serde_json writes it (`1.0`, `0.384`).
fn push_number(line: &mut Vec<u8>, value: f64) -> io::Result<()> {
    serde_json::to_writer(line, &value).map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &str) -> Result<Row, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn plain_tick_rows_read_as_the_general_reader_reads_them() {
        let text = "[[97,0,2,1,0,0,0,0],[1,0,1,1,0,0,0,0],[0,0,0,0,0,0,0,0]]";
        let general: Vec<Row> = serde_json::from_str(text).unwrap();
        let general: Vec<CpuLoad> = general.iter().map(|r| r.ticks_load().unwrap()).collect();
        assert_eq!(plain_tick_loads(text.as_bytes(), 3), Some(general));
        assert_eq!(plain_tick_loads(b"[]", 0), Some(Vec::new()));
        let biggest = "[[999999999999999,0,0,0,0,0,0,1]]";
        assert!(plain_tick_loads(biggest.as_bytes(), 1).is_some());
    }

    #[test]
    fn anything_but_plain_tick_rows_is_left_to_the_general_reader() {
        for (text, rows) in [
            ("[[97,0,2,1,0,0,0,0]]", 2),                 // a row too few
            ("[[97,0,2,1,0,0,0,0],[1,1,1,1,1,1,1]]", 2), // seven numbers
            ("[[97,0,2,1,0,0,0,0,1]]", 1),               // nine
            ("[[97.5,0,2,1,0,0,0,0]]", 1),               // a fraction
            ("[[-1,0,2,1,0,0,0,0]]", 1),                 // negative
            ("[[1e3,0,2,1,0,0,0,0]]", 1),                // an exponent
            ("[[1000000000000000,0,0,0,0,0,0,0]]", 1),   // 16 digits
            ("[ [97,0,2,1,0,0,0,0]]", 1),                // a space
            ("[{\"usr\":1}]", 1),                        // version 1's objects
        ] {
            assert_eq!(plain_tick_loads(text.as_bytes(), rows), None, "{text}");
        }
    }

    #[test]
    fn a_row_has_exactly_eight_numbers() {
        assert_eq!(row("[1,2,3,4,5,6,7,8]").unwrap().0[7], 8.0);
        let short = row("[1,2,3,4,5,6,7]").unwrap_err();
        assert!(short.contains("a CPU row has 7 numbers"), "{short}");
        assert!(short.contains("usr, nice, sys, idle"), "{short}");
        let long = row("[1,2,3,4,5,6,7,8,9]").unwrap_err();
        assert!(long.contains("has more than 8 numbers"), "{long}");
        assert!(row(r#"{"usr":1}"#).is_err());
        assert!(row(r#"[1,2,3,"4",5,6,7,8]"#).is_err());
    }

    #[test]
    fn ticks_become_shares_of_the_row_and_are_checked() {
        let load = Row([97.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0])
            .ticks_load()
            .unwrap();
        assert_eq!((load.usr, load.sys, load.idle), (97.0, 2.0, 1.0));
        let thirds = Row([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
            .ticks_load()
            .unwrap();
        assert_eq!(thirds.usr, 100.0 / 3.0, "exact, not rounded to 33.33");
        assert_eq!(Row([0.0; 8]).ticks_load().unwrap(), CpuLoad::default());
        for (bad, message) in [
            (-1.0, "usr: -1 is not a number of ticks"),
            (0.5, "usr: 0.5 is not a number of ticks"),
            (f64::INFINITY, "usr: inf is not a number of ticks"),
            (1e300, "usr: 1e300 is not a number of ticks"),
        ] {
            let mut fields = [0.0; 8];
            fields[0] = bad;
            let error = Row(fields).ticks_load().unwrap_err();
            assert!(error.contains(message), "{error}");
        }
    }

    #[test]
    fn lines_are_written_by_hand_as_json() {
        let mut line = Vec::new();
        let ticks = [CpuTicks([97, 0, 2, 1, 0, 0, 0, 0]), CpuTicks::default()];
        push_sample_line(&mut line, 1.0, &ticks, push_ticks_row).unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"t\":1.0,\"cpus\":[[97,0,2,1,0,0,0,0],[0,0,0,0,0,0,0,0]]}\n"
        );
        let mut line = Vec::new();
        let load = CpuLoad {
            usr: 97.5,
            sys: 2.5,
            ..CpuLoad::default()
        };
        push_sample_line(&mut line, 0.384, &[load], push_percent_row).unwrap();
        let text = String::from_utf8(line).unwrap();
        assert_eq!(
            text,
            "{\"t\":0.384,\"cpus\":[[97.5,0.0,2.5,0.0,0.0,0.0,0.0,0.0]]}\n"
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["cpus"][0][2], 2.5);
    }
}
