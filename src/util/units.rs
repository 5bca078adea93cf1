//! Parsing and printing of the quantities users type and read: durations
//! (`250ms`, `10s`, `1m30s`), counts (`268435456`, `2^28`, `1_000_000`) and the
//! `time`-style `0m4.477s` format of the seed writeups.

use std::time::Duration;

/// Parses a duration such as `100ms`, `1.5s`, `10s`, `2m`, `1h`, `1m30s` or a bare
/// number of seconds (`10`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration; write it like 500ms, 10s, 2m or 1h".into());
    }
    if text.starts_with('-') {
        return Err(format!(
            "'{text}' is negative; the value must be positive (for example 500ms, 10s, 2m or 1h)"
        ));
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return seconds_to_duration(seconds, text);
    }
    let mut total = 0.0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!(
                "'{text}' is not a duration; write it like 500ms, 10s, 2m or 1h"
            ));
        }
        let value: f64 = rest[..number_len].parse().map_err(|_| {
            format!("'{text}' is not a duration; write it like 500ms, 10s, 2m or 1h")
        })?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            unit => {
                return Err(format!(
                    "'{text}' has an unknown unit '{unit}'; use ms, s, m or h"
                ));
            }
        };
        total += value * factor;
        rest = &rest[unit_len..];
    }
    seconds_to_duration(total, text)
}

fn seconds_to_duration(seconds: f64, text: &str) -> Result<Duration, String> {
    if seconds.is_nan() {
        return Err(format!(
            "'{text}' is not a duration; write it like 500ms, 10s, 2m or 1h"
        ));
    }
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("'{text}' is out of range; no run lasts that long"))
}

/// Parses a count such as `268435456`, `2^28`, `1_000_000` or `1e6`. Values that do
/// not fit into 64 bits are an error.
pub fn parse_count(text: &str) -> Result<u128, String> {
    let clean: String = text.trim().chars().filter(|&c| c != '_').collect();
    let bad = || format!("'{text}' is not a whole number; write it like 268435456, 2^28 or 1e9");
    let too_large = || format!("'{text}' is out of range (too large)");
    if let Some((base, exponent)) = clean.split_once('^') {
        let base: u128 = base.parse().map_err(|_| bad())?;
        let exponent: u32 = exponent.parse().map_err(|_| bad())?;
        return base.checked_pow(exponent).ok_or_else(too_large);
    }
    if let Some((mantissa, exponent)) = clean.split_once(['e', 'E']) {
        let mantissa: u128 = mantissa.parse().map_err(|_| bad())?;
        let exponent: u32 = exponent.parse().map_err(|_| bad())?;
        return 10u128
            .checked_pow(exponent)
            .and_then(|scale| scale.checked_mul(mantissa))
            .ok_or_else(too_large);
    }
    clean.parse::<u128>().map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow => too_large(),
        _ => bad(),
    })
}

/// Formats seconds as `time` does: `0m4.477s`.
pub fn format_time_block_seconds(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    let minutes = (seconds / 60.0).floor();
    format!("{}m{:.3}s", minutes as u64, seconds - minutes * 60.0)
}

/// The block `time` prints: `real\t0m4.477s`, then `user` and `sys`, one a
/// line, with no newline after the last.
pub fn format_time_block(wall_s: f64, user_s: f64, sys_s: f64) -> String {
    format!(
        "real\t{}\nuser\t{}\nsys\t{}",
        format_time_block_seconds(wall_s),
        format_time_block_seconds(user_s),
        format_time_block_seconds(sys_s)
    )
}

/// Formats a duration for people: `850ms`, `12.3s`, `4m05s`, `2h03m`.
pub fn format_duration_short(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    if seconds < 1.0 {
        format!("{:.0}ms", seconds * 1000.0)
    } else if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else if seconds < 3600.0 {
        format!(
            "{}m{:02}s",
            (seconds / 60.0) as u64,
            (seconds % 60.0) as u64
        )
    } else {
        format!(
            "{}h{:02}m",
            (seconds / 3600.0) as u64,
            ((seconds % 3600.0) / 60.0) as u64
        )
    }
}

/// Formats a rate such as hashes per second with an SI suffix: `4.21 M`.
pub fn format_rate(per_second: f64) -> String {
    if per_second >= 1e9 {
        format!("{:.2} G", per_second / 1e9)
    } else if per_second >= 1e6 {
        format!("{:.2} M", per_second / 1e6)
    } else if per_second >= 1e3 {
        format!("{:.1} k", per_second / 1e3)
    } else {
        format!("{per_second:.0} ")
    }
}

/// A CPU count as people write it: `1.5`, `2`.
pub fn format_cpus(cpus: f64) -> String {
    let text = format!("{cpus:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Seconds rounded to whole milliseconds, as every output states them.
pub fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("100ms").unwrap(), Duration::from_millis(100));
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
    }

    #[test]
    fn bad_durations_are_errors() {
        for bad in ["", "abc", "10x", "-1s", "s", "1e400"] {
            assert!(parse_duration(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn counts_in_every_spelling() {
        assert_eq!(parse_count("268435456").unwrap(), 268435456);
        assert_eq!(parse_count("2^28").unwrap(), 268435456);
        assert_eq!(parse_count("1_000").unwrap(), 1000);
        assert_eq!(parse_count("1e6").unwrap(), 1_000_000);
        assert_eq!(parse_count("2^64").unwrap(), 1u128 << 64);
    }

    #[test]
    fn bad_counts_are_errors() {
        for bad in ["", "x", "-5", "2^", "^3", "2^1000", "1.5"] {
            assert!(parse_count(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn time_block_format_matches_time() {
        assert_eq!(format_time_block_seconds(4.477), "0m4.477s");
        assert_eq!(format_time_block_seconds(93.904), "1m33.904s");
        assert_eq!(
            format_time_block(93.904, 4.477, 0.02),
            "real\t1m33.904s\nuser\t0m4.477s\nsys\t0m0.020s"
        );
    }

    #[test]
    fn cpu_counts_print_as_people_write_them() {
        assert_eq!(format_cpus(1.5), "1.5");
        assert_eq!(format_cpus(2.0), "2");
        assert_eq!(format_cpus(0.25), "0.25");
    }
}
