//! The times of `render --prometheus`: RFC 3339 (`2026-11-22T10:00:00Z`), unix
//! seconds (`1795353012`), `now`, and `now` less a duration (`now-10m`,
//! `now-1h30m`), all as unix seconds; and unix seconds written back as RFC 3339.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::util::units::parse_duration;

/// What a time may look like, for messages.
const TIME_FORMS: &str = "write it as RFC 3339 (2026-11-22T10:00:00Z), unix seconds \
                          (1795353012), now, or now-10m / now-1h30m";

/// The unix seconds of `text`, with `now` the current unix seconds.
pub fn parse_time(text: &str, now: f64) -> Result<f64, String> {
    let text = text.trim();
    if text == "now" {
        return Ok(now);
    }
    if let Some(ago) = text.strip_prefix("now-") {
        let ago = parse_duration(ago)
            .map_err(|e| format!("'{text}' is not a time ({e}); {TIME_FORMS}"))?;
        return Ok(now - ago.as_secs_f64());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Ok(seconds);
        }
        return Err(format!("'{text}' is not a time; {TIME_FORMS}"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.timestamp_millis() as f64 / 1000.0)
        .map_err(|_| format!("'{text}' is not a time; {TIME_FORMS}"))
}

/// The current unix seconds, to the millisecond.
pub fn now() -> f64 {
    Utc::now().timestamp_millis() as f64 / 1000.0
}

/// `unix` seconds as RFC 3339 in UTC, to the millisecond.
pub fn rfc3339(unix: f64) -> String {
    let millis = (unix * 1000.0).round() as i64;
    DateTime::<Utc>::from_timestamp_millis(millis)
        .map(|time| time.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| format!("{unix} (unix seconds)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_795_353_012.0;

    #[test]
    fn every_form_of_time_is_read() {
        assert_eq!(parse_time("now", NOW), Ok(NOW));
        assert_eq!(parse_time("now-10m", NOW), Ok(NOW - 600.0));
        assert_eq!(parse_time("now-1h30m", NOW), Ok(NOW - 5400.0));
        assert_eq!(parse_time("1795353000.5", NOW), Ok(1_795_353_000.5));
        assert_eq!(
            parse_time("2026-11-22T10:00:00+01:00", NOW),
            Ok(1_795_338_000.0)
        );
        assert_eq!(rfc3339(1_795_338_000.0), "2026-11-22T09:00:00.000Z");
    }

    #[test]
    fn a_time_that_is_none_says_how_to_write_one() {
        for bad in ["yesterday", "now-", "now-3x", "-5", "2026-13-01T00:00:00Z"] {
            let message = parse_time(bad, NOW).unwrap_err();
            assert!(message.contains(bad), "{message}");
            assert!(
                message.contains("now-10m") || message.contains("10s"),
                "{message}"
            );
        }
    }
}
