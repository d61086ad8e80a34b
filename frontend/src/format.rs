//! How numbers, sizes, durations and times read on screen. Pure functions, so
//! that `cargo test` checks them on the host.

use shared::TestCounts;

/// A percentage, or a dash when there was nothing to count.
pub fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "–".to_string(), |p| format!("{p:.0} %"))
}

/// A count with thin-space thousands separators: 1 171 052.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A size in binary units: 9.0 GiB.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A duration in minutes, in the two largest units: 25 min, 2 h 5 min, 3 d 4 h.
pub fn minutes(m: i64) -> String {
    let m = m.max(0);
    match m {
        0..60 => format!("{m} min"),
        60..1440 if m % 60 == 0 => format!("{} h", m / 60),
        60..1440 => format!("{} h {} min", m / 60, m % 60),
        _ if m % 1440 / 60 == 0 => format!("{} d", m / 1440),
        _ => format!("{} d {} h", m / 1440, m % 1440 / 60),
    }
}

/// How long ago `then` was at `now` (epoch ms): 3 h ago, 2 d 4 h ago; "in …" when ahead.
pub fn age(now: i64, then: i64) -> String {
    let diff = (now - then) / 60_000;
    if diff < 0 {
        format!("in {}", minutes(-diff))
    } else if diff == 0 {
        "just now".to_string()
    } else {
        format!("{} ago", minutes(diff))
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// Parses the API's RFC 3339 UTC timestamps (`2026-11-27T12:00:00Z`, optionally
/// with fractional seconds or a numeric offset) into epoch milliseconds.
pub fn parse_time(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, s) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.chars().take_while(char::is_ascii_digit).count();
        let ms: String = frac[..digits].chars().chain("000".chars()).take(3).collect();
        millis = ms.parse().ok()?;
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest.get(1..3)?.parse::<i64>().ok()? * 60 + rest.get(4..6)?.parse::<i64>().ok()?)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60) * 1000) + millis)
}

/// A time shifted by `offset_min` minutes east of UTC, as `2026-11-27 14:05`.
pub fn time(ms: i64, offset_min: i64) -> String {
    let local = ms.div_euclid(1000) + offset_min * 60;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// The date part of a time (`YYYY-MM-DD`), `offset_min` east of UTC.
pub fn date(ms: i64, offset_min: i64) -> String {
    time(ms, offset_min)[..10].to_string()
}

/// A zone named by its offset: `UTC`, `UTC+01:00`, `UTC-05:30`.
pub fn zone(offset_min: i64) -> String {
    if offset_min == 0 {
        return "UTC".to_string();
    }
    let sign = if offset_min < 0 { '-' } else { '+' };
    let a = offset_min.abs();
    format!("UTC{sign}{:02}:{:02}", a / 60, a % 60)
}

/// The short name of a resource from its ARN: `table/tracking` → `tracking`, `db:mydb` → `mydb`.
pub fn arn_name(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    resource.rsplit(['/', ':']).next().filter(|s| !s.is_empty()).unwrap_or(resource)
}

/// A status as words: `TIMED_OUT` → `timed out`. Statuses (AWS's and the
/// console's) are ASCII: lowercasing them as ASCII keeps Unicode's case tables,
/// 8.7 KB of the gzipped wasm, out of the build.
pub fn status_words(status: &str) -> String {
    status.replace('_', " ").to_ascii_lowercase()
}

/// Reads `text` as `str::parse::<f64>` does, but leaves the arithmetic of plain
/// decimals (`45`, `-4.5`, `.5`, `1e3`) to `decimal`. The page passes the
/// browser's `Number()`, which reads such text to the same value: Rust's float
/// parser would add about 15 KB to the gzipped wasm.
pub fn parse_float(text: &str, decimal: impl FnOnce(&str) -> f64) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
        return Some(if text.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if unsigned.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (mantissa, exponent) = unsigned.split_once(['e', 'E']).map_or((unsigned, None), |(m, e)| (m, Some(e)));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    let ok = !(int.is_empty() && frac.is_empty()) && digits(int) && digits(frac) && exponent_ok;
    ok.then(|| decimal(text))
}

/// How a status reads: `ok`, `bad`, `busy` or `plain` (a CSS class of the badge).
pub fn tone(status: &str) -> &'static str {
    match status {
        "COMPLETED" | "SUCCESSFUL" | "AVAILABLE" | "ACTIVE" | "ok" | "passed" | "succeeded" | "approved" | "within"
        | "completed" | "enabled" => "ok",
        "FAILED" | "ABORTED" | "EXPIRED" | "TIMED_OUT" | "PARTIAL" | "error" | "failed" | "rejected" | "expired"
        | "outside" | "outside_target" => "bad",
        "RUNNING" | "PENDING" | "CREATED" | "VALIDATING" | "CREATING" | "DELETING" | "ABORTING" | "running"
        | "pending_approval" | "executing" | "awaiting_approval" | "restoring" | "validating" | "retained"
        | "cleaning_up" => "busy",
        _ => "plain",
    }
}

/// Restore tests per week from per-day counts, newest week last; a week is seven
/// days counted back from the last day, so the newest week is always whole.
pub fn weekly(days: &[shared::DailyTests]) -> Vec<(String, TestCounts)> {
    let mut weeks: Vec<(String, TestCounts)> = days
        .rchunks(7)
        .map(|w| (w.first().map(|d| d.date.clone()).unwrap_or_default(), w.iter().map(|d| d.tests).sum()))
        .collect();
    weeks.reverse();
    weeks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_counts() {
        assert_eq!(percent(Some(73.3)), "73 %");
        assert_eq!(percent(None), "–");
        assert_eq!(count(1_171_052), "1\u{202f}171\u{202f}052");
        assert_eq!(count(999), "999");
        assert_eq!(count(-1000), "-1\u{202f}000");
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(9_663_676_416), "9.0 GiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(minutes(25), "25 min");
        assert_eq!(minutes(120), "2 h");
        assert_eq!(minutes(125), "2 h 5 min");
        assert_eq!(minutes(1440 * 3 + 250), "3 d 4 h");
        assert_eq!(minutes(1440 * 2), "2 d");
        assert_eq!(age(10 * 60_000, 0), "10 min ago");
        assert_eq!(age(0, 90 * 60_000), "in 1 h 30 min");
        assert_eq!(age(5, 0), "just now");
    }

    #[test]
    fn times_in_utc_and_the_viewers_zone() {
        let t = parse_time("2026-11-27T12:00:00Z");
        assert_eq!(t, Some(1_795_780_800_000));
        assert_eq!(parse_time("2026-11-27T12:00:00.250Z"), Some(1_795_780_800_250));
        assert_eq!(parse_time("2026-11-27T13:30:00+01:30"), t);
        assert_eq!(parse_time("2026-11-27"), None);
        assert_eq!(parse_time("2026-13-27T12:00:00Z"), None);
        assert_eq!(parse_time("yesterday at noon, roughly"), None);
        let t = t.unwrap_or_default();
        assert_eq!(time(t, 0), "2026-11-27 12:00");
        assert_eq!(time(t, 60), "2026-11-27 13:00");
        assert_eq!(time(t, -13 * 60), "2026-11-26 23:00");
        assert_eq!(time(t, 14 * 60), "2026-11-28 02:00");
        assert_eq!(date(t, 0), "2026-11-27");
        assert_eq!(time(0, 0), "1970-01-01 00:00");
        assert_eq!(time(951_825_600_000, 0), "2000-02-29 12:00");
        assert_eq!(zone(0), "UTC");
        assert_eq!(zone(60), "UTC+01:00");
        assert_eq!(zone(-330), "UTC-05:30");
    }

    #[test]
    fn tones_and_weeks() {
        assert_eq!(tone("COMPLETED"), "ok");
        assert_eq!(tone("TIMED_OUT"), "bad");
        assert_eq!(tone("RUNNING"), "busy");
        assert_eq!(tone("never"), "plain");
        let days: Vec<shared::DailyTests> = (1..=9)
            .map(|d| shared::DailyTests {
                date: format!("2026-11-{d:02}"),
                tests: TestCounts { passed: 1, failed: i64::from(d == 9), ..TestCounts::default() },
            })
            .collect();
        let w = weekly(&days);
        let counts = |(start, t): &(String, TestCounts)| (start.clone(), t.passed, t.failed);
        assert_eq!(w.len(), 2);
        assert_eq!(counts(&w[1]), ("2026-11-03".to_string(), 7, 1));
        assert_eq!(counts(&w[0]), ("2026-11-01".to_string(), 2, 0));
    }

    #[test]
    fn status_words_and_floats() {
        assert_eq!(status_words("TIMED_OUT"), "timed out");
        assert_eq!(status_words("pending_approval"), "pending approval");
        let rust = |t: &str| t.parse::<f64>().unwrap_or(f64::NAN);
        for text in [
            "45", "45.0", "-4.5", "+4.5", ".5", "5.", "1e3", "1E-3", "2.5e+2", "007", "-0", "inf", "Infinity", "-inf",
            "NaN", "-nan", "", ".", "-", "e5", "1e", "1e+", "1.2.3", "4 5", "45%", "0x10", "1_000", " 45", "infinite",
            "+-1",
        ] {
            // Debug tells -0.0 from 0.0 and shows NaN, as the page would.
            assert_eq!(format!("{:?}", parse_float(text, rust)), format!("{:?}", text.parse::<f64>().ok()), "{text:?}");
        }
    }

    #[test]
    fn names_from_arns() {
        assert_eq!(arn_name("arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking"), "tracking");
        assert_eq!(arn_name("arn:aws:rds:ap-southeast-2:111111111111:db:mydb"), "mydb");
        assert_eq!(arn_name("arn:aws:backup:ap-southeast-2:1:backup-vault:central-vault"), "central-vault");
        assert_eq!(arn_name("not an arn"), "not an arn");
    }
}
