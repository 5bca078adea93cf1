//! One entry point per subcommand: capture, then draw, then print; each
//! returns the process exit code. The command line's parsing and conversion
//! into options is `cli`'s; `main` only calls it.

pub mod export;
pub mod info;
pub mod render;
pub mod run;
pub mod sweep;

/// Exit code of a run whose workload failed, or of files that could not be read.
pub const EXIT_FAILED: i32 = 1;

/// What a command prints besides errors.
#[derive(Debug, Clone, Copy, Default)]
pub struct Output {
    /// One JSON object on stdout instead of the tables.
    pub json: bool,
    /// Nothing but errors and warnings.
    pub quiet: bool,
}
