//! coreheat: run a CPU-bound workload, sample every logical CPU's load while it
//! runs, and turn the samples into per-core heat maps.
//!
//! The data flows one way: options → (workload ‖ sampler thread) → trace on disk
//! → report. Each stage has one module:
//!
//! - [`workload`]: the hash and count kernels, the serial/threads/processes modes,
//!   idle and exec;
//! - [`sampler`]: the sampling thread and its load sources;
//! - [`trace`]: the data model and its JSON Lines file;
//! - [`report`]: HTML and PNG drawn from a saved trace;
//! - [`import`]: dstat and mpstat files read into the same data model;
//! - [`input`]: the checks and caps every reader of user files goes through;
//! - [`tracer`]: sample the CPUs around any code of your own;
//! - [`run`] and [`sweep`]: the `run` and `sweep` commands end to end;
//! - [`topology`], [`machine`]: what the machine is.

pub mod app;
pub mod cli;
pub mod import;
pub mod info;
pub mod input;
pub mod interrupt;
pub mod limits;
pub mod live;
pub mod machine;
pub mod os;
pub mod outdir;
pub mod output;
pub mod report;
pub mod run;
pub mod sampler;
pub mod summary;
pub mod sweep;
pub mod synthetic;
pub mod text;
pub mod topology;
pub mod trace;
pub mod tracer;
pub mod units;
pub mod workload;
