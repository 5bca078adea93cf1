//! `coreheat info`: the machine as coreheat sees it, as a table or as JSON.

use anyhow::{Context, Result};

use crate::machine::Machine;
use crate::machine::topology::SYSFS_CPU_VAR;
use crate::report::info::{info_json, info_table};
use crate::util::output::{print, print_line};
use crate::util::sorted_json;

/// Prints the machine's description; returns the exit code.
pub fn info(json: bool) -> Result<i32> {
    let machine = Machine::for_info().with_context(|| {
        format!("{SYSFS_CPU_VAR} names a CPU tree that cannot be read (fix it, or unset it to see this machine)")
    })?;
    if json {
        print_line(&sorted_json::to_string_pretty(&info_json(&machine))?);
    } else {
        print(&info_table(&machine));
    }
    Ok(0)
}
