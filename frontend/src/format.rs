//! How numbers read on screen.

/// The share of passed tests, or a dash when there were none.
pub fn pass_rate(passed: i64, failed: i64) -> String {
    let total = passed + failed;
    if total <= 0 {
        return "–".to_string();
    }
    format!("{:.0} %", passed as f64 * 100.0 / total as f64)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_counts() {
        assert_eq!(pass_rate(22, 8), "73 %");
        assert_eq!(pass_rate(0, 0), "–");
        assert_eq!(count(1_171_052), "1\u{202f}171\u{202f}052");
        assert_eq!(count(999), "999");
        assert_eq!(count(-1000), "-1\u{202f}000");
    }
}
