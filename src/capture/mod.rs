//! Capturing: plan a run from options, start the sampler around the workload,
//! write the trace, and run the configurations of a sweep. Returns data; drawing
//! it is the caller's job.

pub mod checks;
pub mod live;
pub mod run;
pub mod sweep;
pub mod tracer;
