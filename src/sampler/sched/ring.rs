//! The kernel's side of the scheduler events: one `perf_event_open(2)` event
//! per tracepoint and CPU, all of a CPU writing into one memory-mapped ring
//! buffer (`PERF_EVENT_IOC_SET_OUTPUT`), each record a sample of
//! `PERF_SAMPLE_TID | TIME | CPU | RAW` stamped with CLOCK_MONOTONIC (the
//! clock of Rust's `Instant`), and the records decoded into [`RawEvent`]s.
//! Every `unsafe` of the events source is here: the system call, the
//! mapping, and the reads and writes of the ring's head and tail.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

use perf_event_open_sys as sys;

/// One record taken from a ring (its raw part borrowed from the record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawEvent<'a> {
    /// A tracepoint fired: the task that was current (`pid` its process,
    /// `tid` itself), when (CLOCK_MONOTONIC ns), on which CPU, and the
    /// tracepoint's raw record (its first two bytes are the tracepoint id).
    Sample {
        pid: u32,
        tid: u32,
        time_ns: u64,
        cpu: u32,
        raw: &'a [u8],
    },
    /// The ring was full: the kernel dropped this many records.
    Lost(u64),
}

const SAMPLE_TYPE: u64 = (sys::bindings::PERF_SAMPLE_TID
    | sys::bindings::PERF_SAMPLE_TIME
    | sys::bindings::PERF_SAMPLE_CPU
    | sys::bindings::PERF_SAMPLE_RAW) as u64;

/// Decodes one record (header included) of a ring of `SAMPLE_TYPE`
/// samples; `None` for kinds it does not use or a record too short.
pub fn decode(record: &[u8]) -> Option<RawEvent<'_>> {
    let kind = u32_at(record, 0)?;
    match kind {
        sys::bindings::PERF_RECORD_SAMPLE => {
            let pid = u32_at(record, 8)?;
            let tid = u32_at(record, 12)?;
            let time_ns = u64_at(record, 16)?;
            let cpu = u32_at(record, 24)?;
            let raw_size = u32_at(record, 32)? as usize;
            let raw = record.get(36..36 + raw_size)?;
            Some(RawEvent::Sample {
                pid,
                tid,
                time_ns,
                cpu,
                raw,
            })
        }
        sys::bindings::PERF_RECORD_LOST => Some(RawEvent::Lost(u64_at(record, 16)?)),
        _ => None,
    }
}

pub fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

pub fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// One CPU's events and their ring buffer.
pub struct Ring {
    /// The event that owns the mapping; `others` write into it.
    leader: OwnedFd,
    others: Vec<OwnedFd>,
    base: *mut u8,
    mapped: usize,
    page: usize,
    data_size: usize,
    /// Bytes of the record being copied out when it wraps around the end.
    scratch: Vec<u8>,
}

// The mapping is owned by this value alone and only read and written through
// `&mut self`; the kernel is the only other party, through the head and tail.
unsafe impl Send for Ring {}

impl Ring {
    /// Opens the tracepoints `ids` on `cpu` (every task that runs there),
    /// disabled, into one ring of `data_pages` pages (a power of two).
    pub fn open(cpu: u32, ids: &[u64], data_pages: usize) -> io::Result<Ring> {
        let mut fds = Vec::with_capacity(ids.len());
        for &id in ids {
            fds.push(open_tracepoint(id, cpu)?);
        }
        let leader = fds.remove(0);
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let mapped = page * (1 + data_pages);
        // SAFETY: a shared read-write mapping of a perf event's fd, of 1 + 2^n
        // pages, as perf_event_open(2) prescribes; checked for MAP_FAILED.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                leader.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ring = Ring {
            leader,
            others: fds,
            base: base.cast(),
            mapped,
            page,
            data_size: page * data_pages,
            scratch: Vec::new(),
        };
        for other in &ring.others {
            // SAFETY: both are perf event fds of this process, on the same CPU.
            let done =
                unsafe { sys::ioctls::SET_OUTPUT(other.as_raw_fd(), ring.leader.as_raw_fd()) };
            if done != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(ring)
    }

    /// Starts (or stops) recording on every event of this ring.
    pub fn enable(&self, on: bool) -> io::Result<()> {
        for fd in std::iter::once(&self.leader).chain(&self.others) {
            // SAFETY: an ioctl without argument on our own perf event fd.
            let done = unsafe {
                if on {
                    sys::ioctls::ENABLE(fd.as_raw_fd(), 0)
                } else {
                    sys::ioctls::DISABLE(fd.as_raw_fd(), 0)
                }
            };
            if done != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    fn head_and_tail(&self) -> (&AtomicU64, &AtomicU64) {
        // SAFETY: the first page is the kernel's `perf_event_mmap_page`;
        // data_head and data_tail are 8-byte aligned u64 fields of it that the
        // kernel and this reader share, accessed only atomically.
        unsafe {
            let meta = self.base.cast::<sys::bindings::perf_event_mmap_page>();
            let head = std::ptr::addr_of_mut!((*meta).data_head);
            let tail = std::ptr::addr_of_mut!((*meta).data_tail);
            (AtomicU64::from_ptr(head), AtomicU64::from_ptr(tail))
        }
    }

    /// Hands every complete record in the ring to `each`, then frees their
    /// space for the kernel.
    pub fn drain(&mut self, mut each: impl FnMut(&[u8])) {
        let (head, tail) = self.head_and_tail();
        let head_now = head.load(Ordering::Acquire);
        let mut at = tail.load(Ordering::Relaxed);
        let size = self.data_size as u64;
        while at + 8 <= head_now {
            let mut header = [0u8; 8];
            self.copy_out(at, &mut header);
            let length = u16::from_ne_bytes([header[6], header[7]]) as u64;
            if length < 8 || at + length > head_now || length > size {
                break; // not written whole yet (never seen), or damaged
            }
            let mut record = std::mem::take(&mut self.scratch);
            record.resize(length as usize, 0);
            self.copy_out(at, &mut record);
            each(&record);
            self.scratch = record;
            at += length;
        }
        let (_, tail) = self.head_and_tail();
        tail.store(at, Ordering::Release);
    }

    /// Copies `out.len()` bytes from ring position `at`, across the wrap.
    fn copy_out(&self, at: u64, out: &mut [u8]) {
        let start = (at % self.data_size as u64) as usize;
        let first = out.len().min(self.data_size - start);
        // SAFETY: the data area is the `data_size` bytes after the first page
        // of the mapping; both copies stay inside it and `out` is ours.
        unsafe {
            let data = self.base.add(self.page);
            std::ptr::copy_nonoverlapping(data.add(start), out.as_mut_ptr(), first);
            if first < out.len() {
                std::ptr::copy_nonoverlapping(data, out.as_mut_ptr().add(first), out.len() - first);
            }
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        let _ = self.enable(false);
        // SAFETY: unmapping exactly the mapping made in `open`, once.
        unsafe {
            libc::munmap(self.base.cast(), self.mapped);
        }
    }
}

/// `perf_event_open` of tracepoint `id` on `cpu`, every task, disabled.
fn open_tracepoint(id: u64, cpu: u32) -> io::Result<OwnedFd> {
    let mut attr = sys::bindings::perf_event_attr {
        type_: sys::bindings::PERF_TYPE_TRACEPOINT,
        size: std::mem::size_of::<sys::bindings::perf_event_attr>() as u32,
        config: id,
        sample_type: SAMPLE_TYPE,
        clockid: libc::CLOCK_MONOTONIC,
        ..Default::default()
    };
    attr.__bindgen_anon_1.sample_period = 1;
    attr.set_disabled(1);
    attr.set_use_clockid(1);
    // SAFETY: a filled attribute struct of its own size; pid -1 with a CPU is
    // "every task on that CPU"; the fd returned is checked and then owned.
    let fd = unsafe {
        sys::perf_event_open(
            &mut attr,
            -1,
            cpu as libc::c_int,
            -1,
            sys::bindings::PERF_FLAG_FD_CLOEXEC as libc::c_ulong,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new fd this process owns and nothing else holds.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_record(pid: u32, tid: u32, time_ns: u64, cpu: u32, raw: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&pid.to_ne_bytes());
        body.extend_from_slice(&tid.to_ne_bytes());
        body.extend_from_slice(&time_ns.to_ne_bytes());
        body.extend_from_slice(&cpu.to_ne_bytes());
        body.extend_from_slice(&0u32.to_ne_bytes());
        body.extend_from_slice(&(raw.len() as u32).to_ne_bytes());
        body.extend_from_slice(raw);
        while (body.len() + 8) % 8 != 0 {
            body.push(0);
        }
        let mut record = Vec::new();
        record.extend_from_slice(&sys::bindings::PERF_RECORD_SAMPLE.to_ne_bytes());
        record.extend_from_slice(&0u16.to_ne_bytes());
        record.extend_from_slice(&((body.len() + 8) as u16).to_ne_bytes());
        record.extend_from_slice(&body);
        record
    }

    #[test]
    fn a_sample_record_is_decoded_field_by_field() {
        let record = sample_record(10, 11, 123_456_789, 1, &[7, 0, 1, 2, 3]);
        assert_eq!(
            decode(&record),
            Some(RawEvent::Sample {
                pid: 10,
                tid: 11,
                time_ns: 123_456_789,
                cpu: 1,
                raw: &[7, 0, 1, 2, 3],
            })
        );
    }

    #[test]
    fn lost_records_and_short_records() {
        let mut lost = Vec::new();
        lost.extend_from_slice(&sys::bindings::PERF_RECORD_LOST.to_ne_bytes());
        lost.extend_from_slice(&[0, 0, 24, 0]);
        lost.extend_from_slice(&5u64.to_ne_bytes());
        lost.extend_from_slice(&42u64.to_ne_bytes());
        assert_eq!(decode(&lost), Some(RawEvent::Lost(42)));
        let record = sample_record(1, 1, 1, 0, &[1, 2, 3, 4]);
        assert_eq!(decode(&record[..30]), None);
    }
}
