//! `coreheat sweep`: compare configurations of one workload.

use anyhow::{Result, bail};

use crate::cli::SweepCommand;
use crate::interrupt::Interrupts;

pub fn run_sweep_command(_command: &SweepCommand, _interrupts: &Interrupts) -> Result<i32> {
    bail!("sweep is not available yet")
}
