//! The sampler allocates nothing per sample in steady state: a counting global
//! allocator watches the whole process while the real sampler thread reads the
//! real /proc/stat and writes the real trace file.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coreheat::model::{CpuUnit, End, Meta, Sample, Status};
use coreheat::sampler::{SampleObserver, Sampler, default_source};
use coreheat::trace::TraceWriter;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Notes the allocation count at each sample into room reserved up front.
struct Recorder {
    counts: Arc<Mutex<Vec<usize>>>,
}

impl SampleObserver for Recorder {
    fn on_sample(&mut self, _sample: &Sample) {
        if let Ok(mut counts) = self.counts.lock()
            && counts.len() < counts.capacity()
        {
            counts.push(ALLOCATIONS.load(Ordering::Relaxed));
        }
    }
}

#[test]
fn sampling_allocates_nothing_per_sample() {
    let topology = coreheat::machine::topology::Topology::detect();
    let cpus: Vec<u32> = topology.cpus.iter().map(|c| c.cpu).collect();
    let meta = Meta {
        cpus: coreheat::machine::Machine::with_topology(topology).trace_cpus(),
        interval_s: 0.1,
        cpu_unit: Some(CpuUnit::Ticks),
        ticks_per_s: Some(100),
        ..Meta::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let writer = TraceWriter::create(&dir.path().join("trace.jsonl"), &meta).unwrap();
    let counts = Arc::new(Mutex::new(Vec::with_capacity(64)));
    let recorder = Recorder {
        counts: counts.clone(),
    };
    let sampler = Sampler::start(
        default_source(&cpus).unwrap(),
        writer,
        coreheat::sampler::Schedule::every(Duration::from_millis(100)),
        Some(Box::new(recorder)),
        None,
    )
    .unwrap();
    // Twelve samples, however long a loaded machine takes to give them
    // (waiting takes the lock and sleeps: it allocates nothing).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while counts.lock().unwrap().len() < 12 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = sampler.finish(
        End {
            status: Status::Ok,
            result: None,
            wall_s: 0.0,
            user_s: 0.0,
            sys_s: 0.0,
            message: None,
        },
        false,
    );
    assert!(report.write_error.is_none() && report.read_error.is_none());
    let counts = counts.lock().unwrap().clone();
    assert!(counts.len() >= 12, "{counts:?}");
    // From the third sample on (buffers warm), no sample allocates.
    let steady = &counts[2..counts.len() - 1];
    assert_eq!(
        steady.first(),
        steady.last(),
        "allocations while sampling: {counts:?}"
    );
}
