//! The report's two bar charts, as inline SVG.

use std::collections::BTreeMap;

use maud::{html, Markup};

use shared::TestCounts;

/// Bars of restore tests per day: passed (validated) green at the bottom, restored
/// (not validated) blue above, failed red on top.
pub fn tests_per_day(by_day: &BTreeMap<String, TestCounts>) -> Markup {
    if by_day.is_empty() {
        return html! { p { "No restore tests in the period." } };
    }
    let max = by_day.values().map(|d| d.passed + d.restored + d.failed).max().unwrap_or(1).max(1);
    let (w, h) = (720.0, 160.0);
    let bw = w / by_day.len() as f64;
    let bar_width = format!("{:.1}", (bw - 1.0).max(0.5));
    let first = by_day.keys().next().cloned().unwrap_or_default();
    let last = by_day.keys().last().cloned().unwrap_or_default();
    let height = |n: i64| n as f64 / max as f64 * h;
    html! {
        svg viewBox=(format!("0 0 {w} {}", h + 20.0)) role="img" aria-label="Restore tests per day" class="chart" {
            @for (i, (day, d)) in by_day.iter().enumerate() {
                @let x = format!("{:.1}", i as f64 * bw);
                @let (ph, rh, fh) = (height(d.passed), height(d.restored), height(d.failed));
                g {
                    title { (day) ": " (d.passed) " passed, " (d.restored) " restored (not validated), " (d.failed) " failed" }
                    rect x=(x) y=(format!("{:.1}", h - ph)) width=(bar_width) height=(format!("{ph:.1}")) fill="#2f855a" {}
                    rect x=(x) y=(format!("{:.1}", h - ph - rh)) width=(bar_width) height=(format!("{rh:.1}")) fill="#3182ce" {}
                    rect x=(x) y=(format!("{:.1}", h - ph - rh - fh)) width=(bar_width) height=(format!("{fh:.1}")) fill="#c53030" {}
                }
            }
            text x="0" y=(h + 15.0) font-size="11" { (first) }
            text x=(w) y=(h + 15.0) font-size="11" text-anchor="end" { (last) " (max " (max) "/day)" }
        }
    }
}

/// Horizontal bars: per account, share of resources tested recently.
pub fn tested_per_account(rows: &[shared::CoverageRow]) -> Markup {
    let mut per: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let e = per.entry(r.account_id.as_str()).or_default();
        e.0 += r.tested_recently;
        e.1 += r.resources;
    }
    if per.is_empty() {
        return html! { p { "No protected resources in scope." } };
    }
    let shown: Vec<_> = per.iter().take(25).collect();
    html! {
        svg viewBox=(format!("0 0 720 {}", shown.len() * 22 + 4)) role="img" aria-label="Resources tested recently per account" class="chart" {
            @for (i, (account, (tested, total))) in shown.iter().enumerate() {
                @let y = i * 22;
                @let share = if *total > 0 { *tested as f64 / *total as f64 } else { 0.0 };
                text x="0" y=(y + 14) font-size="12" { (account) }
                rect x="120" y=(y + 2) width="500" height="16" fill="#e2e8f0" {}
                rect x="120" y=(y + 2) width=(format!("{:.1}", share * 500.0)) height="16" fill="#2b6cb0" {}
                text x="630" y=(y + 14) font-size="12" { (tested) "/" (total) " (" (format!("{:.0}", share * 100.0)) "%)" }
            }
        }
    }
}
