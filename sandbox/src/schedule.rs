//! AWS schedule expressions: `cron(min hour day-of-month month day-of-week year)`
//! and `rate(N unit)`, evaluated in UTC (the sandbox's plans use UTC).

use super::protocol::Millis;

const MINUTE: Millis = 60_000;
const DAY: Millis = 86_400_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    Rate(Millis),
    Cron(Box<Cron>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days_of_month: Option<Vec<bool>>,
    months: Vec<bool>,
    days_of_week: Option<Vec<bool>>,
}

impl Schedule {
    pub fn parse(expression: &str) -> Result<Self, String> {
        let expression = expression.trim();
        if let Some(body) = expression.strip_prefix("rate(").and_then(|b| b.strip_suffix(')')) {
            let mut parts = body.split_whitespace();
            let n: i64 = parts
                .next()
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("rate needs a positive number: {expression}"))?;
            let unit = match parts.next().map(|u| u.trim_end_matches('s')) {
                Some("minute") => MINUTE,
                Some("hour") => 60 * MINUTE,
                Some("day") => DAY,
                _ => return Err(format!("rate unit must be minutes, hours or days: {expression}")),
            };
            return Ok(Schedule::Rate(n * unit));
        }
        if let Some(body) = expression.strip_prefix("cron(").and_then(|b| b.strip_suffix(')')) {
            let fields: Vec<&str> = body.split_whitespace().collect();
            let [min, hour, dom, month, dow, _year] = fields.as_slice() else {
                return Err(format!("cron needs six fields: {expression}"));
            };
            let any = |f: &str| f == "?" || f == "*";
            return Ok(Schedule::Cron(Box::new(Cron {
                minutes: field(min, 0, 59)?,
                hours: field(hour, 0, 23)?,
                days_of_month: if any(dom) { None } else { Some(field(dom, 1, 31)?) },
                months: field(month, 1, 12)?,
                days_of_week: if any(dow) { None } else { Some(field(dow, 1, 7)?) },
            })));
        }
        Err(format!("schedule must be cron(...) or rate(...): {expression}"))
    }

    /// The first firing strictly after `after`.
    pub fn next_after(&self, after: Millis) -> Option<Millis> {
        match self {
            Schedule::Rate(period) => Some(after - after.rem_euclid(*period) + period),
            Schedule::Cron(cron) => cron.next_after(after),
        }
    }
}

fn field(text: &str, lo: u32, hi: u32) -> Result<Vec<bool>, String> {
    let mut set = vec![false; hi as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().map_err(|_| format!("bad step in {text}"))?),
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (number(a, lo, hi)?, number(b, lo, hi)?)
        } else {
            let a = number(range, lo, hi)?;
            (a, if part.contains('/') { hi } else { a })
        };
        if step == 0 || a > b {
            return Err(format!("bad range in cron field {text}"));
        }
        let mut v = a;
        while v <= b {
            set[v as usize] = true;
            v += step;
        }
    }
    Ok(set)
}

fn number(text: &str, lo: u32, hi: u32) -> Result<u32, String> {
    let names = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let value = match names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        Some(i) if hi == 7 => i as u32 + 1,
        _ => text.parse::<u32>().map_err(|_| format!("{text:?} is not a number"))?,
    };
    if (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is outside {lo}-{hi}"))
    }
}

impl Cron {
    fn next_after(&self, after: Millis) -> Option<Millis> {
        use chrono::{Datelike, TimeZone, Utc};
        let start_day = after.div_euclid(DAY);
        // Five years is far past any schedule the plans use; give up beyond it.
        for day in start_day..start_day + 366 * 5 {
            let date = Utc.timestamp_millis_opt(day * DAY).single()?;
            let dom_ok = self.days_of_month.as_ref().is_none_or(|d| d[date.day() as usize]);
            // AWS numbers days of the week 1 (Sunday) to 7 (Saturday).
            let dow = date.weekday().num_days_from_sunday() as usize + 1;
            let dow_ok = self.days_of_week.as_ref().is_none_or(|d| d[dow]);
            if !(dom_ok && dow_ok && self.months[date.month() as usize]) {
                continue;
            }
            for hour in (0..24).filter(|h| self.hours[*h]) {
                for minute in (0..60).filter(|m| self.minutes[*m]) {
                    let t = day * DAY + (hour as Millis * 60 + minute as Millis) * MINUTE;
                    if t > after {
                        return Some(t);
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_27: Millis = 1_795_737_600_000; // 2026-11-27T00:00:00Z, a Friday

    #[test]
    fn daily_cron_fires_at_its_hour() {
        let s = Schedule::parse("cron(0 5 ? * * *)").ok();
        assert_eq!(s.as_ref().and_then(|s| s.next_after(NOV_27)), Some(NOV_27 + 5 * 3_600_000));
        let after_five = NOV_27 + 5 * 3_600_000;
        assert_eq!(s.and_then(|s| s.next_after(after_five)), Some(after_five + DAY));
    }

    #[test]
    fn weekly_cron_and_rates() {
        // Sunday is 1: the next Sunday after Friday 27 November is the 29th.
        let s = Schedule::parse("cron(30 2 ? * SUN *)").ok();
        assert_eq!(s.and_then(|s| s.next_after(NOV_27)), Some(NOV_27 + 2 * DAY + 2 * 3_600_000 + 30 * MINUTE));
        let r = Schedule::parse("rate(12 hours)").ok();
        assert_eq!(r.and_then(|s| s.next_after(NOV_27 + 1)), Some(NOV_27 + 12 * 3_600_000));
        assert!(Schedule::parse("cron(0 5 * *)").is_err());
        assert!(Schedule::parse("rate(0 days)").is_err());
        assert!(Schedule::parse("every day").is_err());
    }
}
