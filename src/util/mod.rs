//! The bottom layer: small helpers every other layer may use and that use
//! nothing of coreheat's own.

pub mod cpulist;
pub mod input;
pub mod interrupt;
pub mod os;
pub mod outdir;
pub mod output;
pub mod procfs;
pub mod sorted_json;
pub mod text;
pub mod units;
