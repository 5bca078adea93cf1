//! CPU numbers and the kernel's cpulist syntax (`0-3,8`): parsing, formatting and
//! the bounds every reader of CPU numbers enforces.

use std::fmt::Write as _;

/// Largest CPU number accepted in a cpulist; guards against `0-4000000000`.
pub const MAX_CPU_NUMBER: u32 = 65_535;

/// Most logical CPUs a Linux kernel supports (the largest `NR_CPUS`); a trace
/// or an imported file listing more is refused.
pub const MAX_CPUS: usize = 8192;

/// Parses the kernel's cpulist syntax: `0-3,8,10-11` (empty text is an empty list).
/// The result is sorted and without duplicates.
pub fn parse_cpulist(text: &str) -> Result<Vec<u32>, String> {
    let mut cpus = Vec::new();
    for part in text
        .trim()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let number = |s: &str| -> Result<u32, String> {
            let n: u32 = s
                .trim()
                .parse()
                .map_err(|_| format!("'{part}' is not a CPU number or range like 0-3"))?;
            if n > MAX_CPU_NUMBER {
                return Err(format!(
                    "CPU {n} is beyond the largest CPU number {MAX_CPU_NUMBER}"
                ));
            }
            Ok(n)
        };
        match part.split_once('-') {
            Some((low, high)) => {
                let (low, high) = (number(low)?, number(high)?);
                if low > high {
                    return Err(format!("range '{part}' runs backwards"));
                }
                cpus.extend(low..=high);
            }
            None => cpus.push(number(part)?),
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(cpus)
}

/// Parses a cpulist keeping the user's order (for `--pin 3,1,2`), duplicates dropped.
pub fn parse_cpulist_ordered(text: &str) -> Result<Vec<u32>, String> {
    let mut ordered = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        for cpu in parse_cpulist(part)? {
            if !ordered.contains(&cpu) {
                ordered.push(cpu);
            }
        }
    }
    if ordered.is_empty() {
        return Err(format!("'{text}' names no CPU; write a list like 0-3,8"));
    }
    Ok(ordered)
}

/// Formats CPUs in the kernel's compact cpulist syntax (`0-3,8`).
pub fn format_cpulist(cpus: &[u32]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if end == start {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}-{end}");
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpulists_parse_and_format() {
        assert_eq!(
            parse_cpulist("0-3,8,10-11\n").unwrap(),
            vec![0, 1, 2, 3, 8, 10, 11]
        );
        assert_eq!(parse_cpulist("").unwrap(), Vec::<u32>::new());
        assert_eq!(format_cpulist(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
        assert_eq!(format_cpulist(&[5]), "5");
        assert!(parse_cpulist("3-1").is_err());
        assert!(parse_cpulist("a").is_err());
        assert!(parse_cpulist("0-4000000000").is_err());
        assert_eq!(parse_cpulist_ordered("3,1-2,1").unwrap(), vec![3, 1, 2]);
    }
}
