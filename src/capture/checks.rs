//! The allowed values of a run's options, in one place: the command line checks
//! what was typed with them (clap then names the flag), and `plan` checks the
//! library's options with them, so both refuse the same values for the same
//! reasons and name the same ranges.

use std::fmt::Display;
use std::time::Duration;

use crate::kernels::count::MAX_N;
use crate::kernels::hash::{MAX_PREFIX_BYTES, MAX_ZEROS};
use crate::sampler::{MAX_INTERVAL, MIN_INTERVAL};

/// Most workers a run accepts.
pub const MAX_WORKERS: usize = 4096;

/// What `--n` allows, as every message about it says.
pub const COUNT_RANGE: &str = "use 1 to 2^64 (for example 2^32 or 268435456)";

/// Why a value is refused, with the allowed range, but without the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Reads after the value: `'5000' is out of range; use 1 to 4096 workers`.
    OfValue(String),
    /// Reads on its own: `a run needs at least 1 worker; use 1 to 4096 workers`.
    Alone(String),
}

impl Refusal {
    /// The message for a value typed on the command line (clap names the flag
    /// and the value before it).
    pub fn for_typed(self, typed: &str) -> String {
        match self {
            Refusal::OfValue(reason) => format!("'{typed}' {reason}"),
            Refusal::Alone(reason) => reason,
        }
    }

    /// The message for an option given to the library: the flag, the value and
    /// the reason.
    pub fn for_option(self, flag: &str, value: impl Display) -> anyhow::Error {
        anyhow::Error::msg(match self {
            Refusal::OfValue(reason) => format!("{flag} {value} {reason}"),
            Refusal::Alone(reason) => format!("{flag} {value}: {reason}"),
        })
    }
}

/// What `--workers` allows.
pub fn workers_range() -> String {
    format!("use 1 to {MAX_WORKERS} workers")
}

/// `--workers`: 1 to [`MAX_WORKERS`].
pub fn check_workers(workers: usize) -> Result<(), Refusal> {
    match workers {
        0 => Err(Refusal::Alone(format!(
            "a run needs at least 1 worker; {}",
            workers_range()
        ))),
        n if n > MAX_WORKERS => Err(out_of_range(workers_range())),
        _ => Ok(()),
    }
}

/// What `--zeros` allows.
pub fn zeros_range() -> String {
    format!("use 0 to {MAX_ZEROS}")
}

/// `--zeros`: 0 to the digest's hex digits.
pub fn check_zeros(zeros: u32) -> Result<(), Refusal> {
    if zeros > MAX_ZEROS {
        return Err(out_of_range(format!(
            "a SHA-512 digest has {MAX_ZEROS} hex digits ({})",
            zeros_range()
        )));
    }
    Ok(())
}

/// `--prefix`: at most [`MAX_PREFIX_BYTES`] bytes.
pub fn check_prefix(prefix: &str) -> anyhow::Result<()> {
    if prefix.len() > MAX_PREFIX_BYTES {
        anyhow::bail!(
            "--prefix is {} bytes long; use at most {MAX_PREFIX_BYTES}",
            prefix.len()
        );
    }
    Ok(())
}

/// `--n`: 1 to 2^64.
pub fn check_count(n: u128) -> Result<(), Refusal> {
    match n {
        0 => Err(Refusal::Alone(format!(
            "the value must be positive; {COUNT_RANGE}"
        ))),
        n if n > MAX_N => Err(out_of_range(COUNT_RANGE.into())),
        _ => Ok(()),
    }
}

/// `--interval`: [`MIN_INTERVAL`] to [`MAX_INTERVAL`].
pub fn check_interval(interval: Duration) -> Result<(), Refusal> {
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&interval) {
        return Err(out_of_range(
            "use 100ms to 1h (for example 500ms, 1s or 10s)".into(),
        ));
    }
    Ok(())
}

/// `--baseline`: 0 to [`MAX_INTERVAL`].
pub fn check_baseline(baseline: Duration) -> Result<(), Refusal> {
    if baseline > MAX_INTERVAL {
        return Err(Refusal::Alone(
            "use 0 to 1h (for example 0, 500ms or 2s)".into(),
        ));
    }
    Ok(())
}

/// `--duration` of idle: longer than 0.
pub fn check_duration(duration: Duration) -> Result<(), Refusal> {
    if duration.is_zero() {
        return Err(Refusal::Alone(
            "must be longer than 0s (for example 10s)".into(),
        ));
    }
    Ok(())
}

fn out_of_range(range: String) -> Refusal {
    Refusal::OfValue(format!("is out of range; {range}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_themselves_are_allowed() {
        assert_eq!(check_workers(1), Ok(()));
        assert_eq!(check_workers(MAX_WORKERS), Ok(()));
        assert_eq!(check_zeros(MAX_ZEROS), Ok(()));
        assert_eq!(check_count(MAX_N), Ok(()));
        assert_eq!(check_interval(MIN_INTERVAL), Ok(()));
        assert_eq!(check_interval(MAX_INTERVAL), Ok(()));
        assert_eq!(check_baseline(Duration::ZERO), Ok(()));
        assert!(check_count(MAX_N + 1).is_err());
        assert!(check_zeros(MAX_ZEROS + 1).is_err());
    }
}
