//! `/metrics`: the console's posture in the Prometheus text format, for alerting
//! (see deploy/prometheus/alert-rules.yml). It holds account ids and counts, no
//! secrets, but names every account: it needs the `metrics_token` bearer from the
//! config (off without one), and scrapes share one text made at most every 30 s so
//! that parallel scrapes cost the database one set of queries (security review,
//! finding 3).

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use shared::TestOutcome;
use subtle::ConstantTimeEq;

use super::{AppError, AppState};
use crate::time::DAY_MS;

/// A label value with `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn head(&mut self, name: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} gauge");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: i64) {
        let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", label(v))).collect();
        let labels = if labels.is_empty() { String::new() } else { format!("{{{}}}", labels.join(",")) };
        let _ = writeln!(self.out, "{name}{labels} {value}");
    }
}

/// How long scrapes share one text.
const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(30);

pub async fn metrics(State(s): State<AppState>, headers: HeaderMap) -> Result<impl IntoResponse, AppError> {
    let Some(token) = s.syncer.config().metrics_token.clone() else {
        return Err(AppError::NotFound("/metrics is off: set metrics_token in the config to scrape it".into()));
    };
    let sent = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !sent.is_some_and(|t| bool::from(t.as_bytes().ct_eq(token.expose().as_bytes()))) {
        return Err(AppError::Unauthenticated("/metrics needs the metrics_token as a bearer token".into()));
    }
    // One scrape at a time makes the text; the others wait for it and share it.
    let mut cached = s.metrics.lock().await;
    let text = match cached.as_ref() {
        Some((made, text)) if made.elapsed() < FRESH_FOR => text.clone(),
        _ => {
            let text = render(&s).await?;
            *cached = Some((std::time::Instant::now(), text.clone()));
            text
        }
    };
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text))
}

/// The metrics text, from the database's current state.
async fn render(s: &AppState) -> Result<String, AppError> {
    let now = s.now();
    let a = &s.syncer.config().assurance;
    let summary = s.store.summary(now).await?;
    let policy = s.store.targets(a).await?;
    let targets = s.store.targets_by_account(now - a.untested_days * DAY_MS, now, &policy).await?;
    let accounts = s.store.list_accounts().await?;
    let pending = s.store.pending_requests().await?;
    let records = s.store.audit_records().await?;

    let mut out = String::new();
    let mut f = Family { out: &mut out };
    f.head(
        "recovery_console_restore_tests_30d",
        "Restore tests of the last 30 days by outcome: passed (validated SUCCESSFUL), restored (no validation result), failed.",
    );
    for acc in &summary {
        let t = &acc.restore_tests_30d;
        for (outcome, n) in
            [(TestOutcome::Passed, t.passed), (TestOutcome::Restored, t.restored), (TestOutcome::Failed, t.failed)]
        {
            f.sample(
                "recovery_console_restore_tests_30d",
                &[("account_id", &acc.account_id), ("outcome", outcome.as_str())],
                n,
            );
        }
    }
    f.head(
        "recovery_console_restore_tests_validated_30d",
        "Restore tests of the last 30 days that a validator judged (validation SUCCESSFUL or FAILED).",
    );
    for acc in &summary {
        f.sample(
            "recovery_console_restore_tests_validated_30d",
            &[("account_id", &acc.account_id)],
            acc.restore_tests_30d.validated,
        );
    }
    let days = a.untested_days.to_string();
    f.head("recovery_console_protected_resources", "Protected resources.");
    for t in &targets {
        f.sample("recovery_console_protected_resources", &[("account_id", &t.account_id)], t.resources);
    }
    f.head(
        "recovery_console_resources_untested",
        "Protected resources without a restore test within the window (days).",
    );
    for t in &targets {
        f.sample("recovery_console_resources_untested", &[("account_id", &t.account_id), ("days", &days)], t.untested);
    }
    f.head(
        "recovery_console_resources_outside_rpo",
        "Protected resources whose newest backup is older than their RPO target (per type or resource).",
    );
    for t in &targets {
        f.sample("recovery_console_resources_outside_rpo", &[("account_id", &t.account_id)], t.outside_rpo);
    }
    f.head(
        "recovery_console_resources_outside_rto",
        "Protected resources whose latest restore took longer than their RTO target (per type or resource).",
    );
    for t in &targets {
        f.sample("recovery_console_resources_outside_rto", &[("account_id", &t.account_id)], t.outside_rto);
    }
    f.head("recovery_console_account_sync_ok", "1 when the last sync of the account and region succeeded.");
    let mut failing = 0;
    for acc in &accounts {
        for region in &acc.sync {
            let ok = region.status == "ok";
            failing += i64::from(!ok && region.status != "running");
            f.sample(
                "recovery_console_account_sync_ok",
                &[("account_id", &acc.id), ("region", &region.region)],
                i64::from(ok),
            );
        }
    }
    f.head(
        "recovery_console_account_sync_throttled_calls",
        "AWS calls of the last sync of the account and region that AWS throttled (slowed down and retried).",
    );
    for acc in &accounts {
        for region in &acc.sync {
            f.sample(
                "recovery_console_account_sync_throttled_calls",
                &[("account_id", &acc.id), ("region", &region.region)],
                region.throttled_calls,
            );
        }
    }
    f.head("recovery_console_account_regions_failing_sync", "Account-regions whose last sync failed.");
    f.sample("recovery_console_account_regions_failing_sync", &[], failing);
    f.head("recovery_console_requests_pending_approval", "Requests waiting for approval.");
    f.sample("recovery_console_requests_pending_approval", &[], pending.len() as i64);
    f.head("recovery_console_request_oldest_pending_seconds", "Age of the oldest request waiting for approval.");
    f.sample(
        "recovery_console_request_oldest_pending_seconds",
        &[],
        pending.iter().map(|r| (now - r.created_at) / 1000).max().unwrap_or(0),
    );
    f.head("recovery_console_audit_records", "Records in the audit log.");
    f.sample("recovery_console_audit_records", &[], records);
    Ok(out)
}
