//! Per-CPU load from `/proc/stat` (Linux): the raw tick counters, a parser that
//! reads them without allocating, and the pure `(previous, current) -> ticks`
//! function. The path is a parameter so tests point it at fixture files.
//!
//! Why not procfs' `KernelStats`, which parses the same lines (procfs is a
//! dev-dependency only, for the test that checks this parser against it):
//! - it keeps the CPUs by position (`cpu_time[i]` is the i-th `cpuN` line, the
//!   CPU number is dropped), so when a CPU goes offline its line is missing and
//!   every later CPU shifts into the wrong slot; this parser reads N and fills
//!   CPU N's slot, leaving an offline CPU without data;
//! - it allocates a fresh vector per read, and the sampler takes one reading per
//!   interval for hours and must not allocate in steady state (tests/alloc.rs).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use super::LoadSource;
use crate::model::CpuTicks;
use crate::util::procfs::parse_u64;

/// Cumulative ticks of one CPU since boot, as /proc/stat lists them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuCounters {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
    /// False when the CPU's line was missing (offline) in this reading.
    pub present: bool,
}

impl CpuCounters {
    pub fn total(&self) -> u64 {
        self.user
            + self.nice
            + self.system
            + self.idle
            + self.iowait
            + self.irq
            + self.softirq
            + self.steal
    }
}

/// Ticks spent in each state between two readings. Counters that went
/// backwards (CPU hotplug resets them) count as zero; a CPU that was absent in
/// either reading is all zeros (busy 0, idle 0), which the report shows as
/// "no data".
pub fn deltas(previous: &CpuCounters, current: &CpuCounters) -> CpuTicks {
    if !previous.present || !current.present {
        return CpuTicks::default();
    }
    let delta = |now: u64, before: u64| now.saturating_sub(before);
    CpuTicks([
        delta(current.user, previous.user),
        delta(current.nice, previous.nice),
        delta(current.system, previous.system),
        delta(current.idle, previous.idle),
        delta(current.iowait, previous.iowait),
        delta(current.irq, previous.irq),
        delta(current.softirq, previous.softirq),
        delta(current.steal, previous.steal),
    ])
}

/// Parses the `cpuN ...` lines of /proc/stat text into `out`, where `slot_of[N]`
/// gives the index in `out` of CPU N (CPUs not sampled are skipped). Marks the CPUs
/// it found as present; others are left absent. Allocates nothing.
pub fn parse_proc_stat(text: &[u8], slot_of: &[Option<usize>], out: &mut [CpuCounters]) {
    for counters in out.iter_mut() {
        counters.present = false;
    }
    for line in text.split(|&b| b == b'\n') {
        let Some(rest) = line.strip_prefix(b"cpu") else {
            continue;
        };
        let mut fields = rest.split(|&b| b == b' ').filter(|f| !f.is_empty());
        let Some(cpu) = fields.next().and_then(parse_u64) else {
            continue; // the aggregate "cpu" line, or garbage
        };
        let Some(slot) = slot_of.get(cpu as usize).copied().flatten() else {
            continue;
        };
        let mut values = [0u64; 8];
        let mut count = 0;
        for (value, field) in values.iter_mut().zip(fields) {
            match parse_u64(field) {
                Some(v) => {
                    *value = v;
                    count += 1;
                }
                None => break,
            }
        }
        if count < 4 {
            continue; // user nice system idle are always there; this line is broken
        }
        out[slot] = CpuCounters {
            user: values[0],
            nice: values[1],
            system: values[2],
            idle: values[3],
            iowait: values[4],
            irq: values[5],
            softirq: values[6],
            steal: values[7],
            present: true,
        };
    }
}

/// Where the kernel lists every CPU's tick counters.
pub const PROC_STAT: &str = "/proc/stat";

/// Reads /proc/stat (or a file shaped like it) for a fixed list of CPUs.
pub struct ProcStatSource {
    file: File,
    buffer: Vec<u8>,
    slot_of: Vec<Option<usize>>,
    previous: Vec<CpuCounters>,
    current: Vec<CpuCounters>,
}

impl ProcStatSource {
    /// Opens `path` for the CPUs `cpus` (in the order samples will list them) and
    /// takes the first reading.
    pub fn open(path: &Path, cpus: &[u32]) -> io::Result<ProcStatSource> {
        let file = File::open(path).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display()))
        })?;
        let largest = cpus.iter().copied().max().unwrap_or(0) as usize;
        let mut slot_of = vec![None; largest + 1];
        for (slot, &cpu) in cpus.iter().enumerate() {
            slot_of[cpu as usize] = Some(slot);
        }
        let mut source = ProcStatSource {
            file,
            buffer: Vec::with_capacity(64 * 1024),
            slot_of,
            previous: vec![CpuCounters::default(); cpus.len()],
            current: vec![CpuCounters::default(); cpus.len()],
        };
        source.read_current()?;
        if source.current.iter().all(|c| !c.present) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} lists none of the CPUs to sample", path.display()),
            ));
        }
        Ok(source)
    }

    fn read_current(&mut self) -> io::Result<()> {
        self.buffer.clear();
        self.file.seek(SeekFrom::Start(0))?;
        self.file.read_to_end(&mut self.buffer)?;
        parse_proc_stat(&self.buffer, &self.slot_of, &mut self.current);
        Ok(())
    }
}

impl LoadSource for ProcStatSource {
    fn cpu_count(&self) -> usize {
        self.current.len()
    }

    fn read(&mut self, out: &mut [CpuTicks]) -> io::Result<()> {
        std::mem::swap(&mut self.previous, &mut self.current);
        self.read_current()?;
        for ((ticks, before), now) in out.iter_mut().zip(&self.previous).zip(&self.current) {
            *ticks = deltas(before, now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CpuLoad;

    const STAT_A: &str = "cpu  200 0 100 1000 0 0 0 0 0 0\n\
cpu0 100 0 50 500 0 0 0 0 0 0\n\
cpu1 100 0 50 500 0 0 0 0 0 0\n\
intr 12345 0 0\n\
ctxt 999\n";

    const STAT_B: &str = "cpu  300 0 110 1090 0 0 0 0 0 0\n\
cpu0 190 0 55 505 0 0 0 0 0 0\n\
cpu1 110 5 55 570 10 0 0 0 0 0\n\
intr 12346 0 0\n";

    fn counters(text: &str) -> Vec<CpuCounters> {
        let mut out = vec![CpuCounters::default(); 2];
        parse_proc_stat(text.as_bytes(), &[Some(0), Some(1)], &mut out);
        out
    }

    #[test]
    fn parses_cpu_lines_and_skips_the_rest() {
        let c = counters(STAT_A);
        assert!(c[0].present && c[1].present);
        assert_eq!(c[0].user, 100);
        assert_eq!(c[0].idle, 500);
        assert_eq!(c[0].total(), 650);
    }

    #[test]
    fn rates_from_two_snapshots() {
        let (a, b) = (counters(STAT_A), counters(STAT_B));
        assert_eq!(deltas(&a[0], &b[0]), CpuTicks([90, 0, 5, 5, 0, 0, 0, 0]));
        let load0 = deltas(&a[0], &b[0]).load();
        assert_eq!(load0.usr, 90.0);
        assert_eq!(load0.sys, 5.0);
        assert_eq!(load0.idle, 5.0);
        assert_eq!(load0.busy(), 95.0);
        let load1 = deltas(&a[1], &b[1]).load();
        assert_eq!(load1.usr, 10.0);
        assert_eq!(load1.nice, 5.0);
        assert_eq!(load1.iowait, 10.0);
        assert_eq!(load1.busy(), 20.0);
    }

    #[test]
    fn absent_or_backwards_counters_are_safe() {
        let a = counters(STAT_A);
        let absent = CpuCounters::default();
        assert_eq!(deltas(&a[0], &absent), CpuTicks::default());
        assert_eq!(deltas(&a[0], &a[0]).load(), CpuLoad::default());
        let mut reset = a[0];
        reset.user = 0;
        reset.idle += 100;
        assert_eq!(deltas(&a[0], &reset).load().idle, 100.0);
    }

    #[test]
    fn offline_cpu_and_garbage_lines() {
        let text = "cpu0 1 2 3 4 5 6 7 8\ncpu9 1 1 1 1\ncpux 1 2\ncpu1 7\n";
        let mut out = vec![CpuCounters::default(); 2];
        parse_proc_stat(text.as_bytes(), &[Some(0), Some(1)], &mut out);
        assert!(out[0].present);
        assert_eq!(out[0].steal, 8);
        assert!(!out[1].present, "a line with one field is not a reading");
    }

    #[test]
    fn agrees_with_procfs_on_a_real_reading() {
        use procfs::prelude::FromBufReadSI;
        let text = std::fs::read_to_string("/proc/stat").unwrap();
        let info = procfs::current_system_info();
        let stats = procfs::KernelStats::from_buf_read(text.as_bytes(), info).unwrap();
        let slot_of: Vec<Option<usize>> = (0..stats.cpu_time.len()).map(Some).collect();
        let mut ours = vec![CpuCounters::default(); stats.cpu_time.len()];
        parse_proc_stat(text.as_bytes(), &slot_of, &mut ours);
        for (mine, theirs) in ours.iter().zip(&stats.cpu_time) {
            assert!(mine.present);
            assert_eq!(
                (mine.user, mine.nice, mine.system, mine.idle),
                (theirs.user, theirs.nice, theirs.system, theirs.idle)
            );
            assert_eq!(Some(mine.iowait), theirs.iowait);
            assert_eq!(Some(mine.softirq), theirs.softirq);
            assert_eq!(Some(mine.steal), theirs.steal);
        }
    }

    #[test]
    fn source_reads_a_fixture_file_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stat");
        std::fs::write(&path, STAT_A).unwrap();
        let mut source = ProcStatSource::open(&path, &[1, 0]).unwrap();
        std::fs::write(&path, STAT_B).unwrap();
        let mut out = vec![CpuTicks::default(); 2];
        source.read(&mut out).unwrap();
        assert_eq!(out[1].load().usr, 90.0, "CPU 0 is in slot 1");
        assert_eq!(out[0].load().usr, 10.0);
    }
}
