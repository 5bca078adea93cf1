//! `coreheat info`: the machine as coreheat sees it, as a table or as JSON.

use anyhow::Result;

use crate::machine::Machine;
use crate::report::info::{info_json, info_table};
use crate::util::output::{print, print_line};
use crate::util::sorted_json;

/// Prints the machine's description; returns the exit code.
pub fn info(json: bool) -> Result<i32> {
    let machine = Machine::collect();
    if json {
        print_line(&sorted_json::to_string_pretty(&info_json(&machine))?);
    } else {
        print(&info_table(&machine));
    }
    Ok(0)
}
