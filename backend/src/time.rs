//! Timestamps: the store keeps UTC epoch milliseconds, the API speaks RFC 3339.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// A source of the current time in epoch milliseconds: the system clock, or in
/// the demo and the tests the sandbox's.
pub type Clock = std::sync::Arc<dyn Fn() -> i64 + Send + Sync>;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The UTC date of a time, `YYYY-MM-DD`.
pub fn date(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms).single().map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms).single().map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default()
}

pub fn rfc3339_opt(ms: Option<i64>) -> Option<String> {
    ms.map(rfc3339)
}

/// Parses an RFC 3339 timestamp (or a date, taken as midnight UTC) into epoch ms.
pub fn parse(text: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        assert_eq!(super::parse("2026-11-27T12:00:00Z"), Some(1_795_780_800_000));
        assert_eq!(super::parse("2026-11-27"), Some(1_795_737_600_000));
        assert_eq!(super::parse("yesterday"), None);
        assert_eq!(super::rfc3339(1_795_780_800_000), "2026-11-27T12:00:00Z");
    }
}
