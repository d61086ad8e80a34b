//! The auditor's evidence pack: for a period and a scope (accounts, resource
//! types) one ZIP with coverage, restore tests, restore times and RPO against
//! targets, requests with their approvals and jobs, drill reports, the audit log
//! with its verification (and the script that checks it offline), the AWS Backup
//! Audit Manager frameworks and report plans found in the accounts, and a
//! printable HTML report. Written as a stream: files leave as they are made.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use futures_util::StreamExt;
use serde_json::{json, Value};
use shared::{ProtectedResource, RestoreJob};

use super::targets::Targets;
use crate::routes::{AppError, AppState};
use crate::store::{ListQuery, RequestQuery, Verifier};
use crate::time::{rfc3339, DAY_MS};
use crate::zipstream::ZipStream;

/// The offline checker of the audit export, shipped inside every pack.
const VERIFY_SCRIPT: &str = include_str!("../../../../scripts/verify-audit-export.py");

/// The steps, for progress.
pub const STEPS: [&str; 9] = [
    "coverage",
    "restore tests",
    "restore times",
    "recovery point objectives",
    "requests and approvals",
    "drill reports",
    "audit log and its verification",
    "AWS Backup Audit Manager",
    "report",
];

/// What a pack covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub from: i64,
    pub to: i64,
    /// Empty: every account.
    pub accounts: Vec<String>,
    /// Empty: every resource type.
    pub resource_types: Vec<String>,
}

fn time_param(name: &str, v: &str) -> Result<i64, AppError> {
    crate::time::parse(v)
        .ok_or_else(|| AppError::bad("invalid_parameter", format!("{name}: {v:?} is neither RFC 3339 nor YYYY-MM-DD")))
}

impl Scope {
    /// From `from`, `to` (RFC 3339 or a date; a date's `to` includes that day),
    /// `account_id` and `resource_type` (comma-separated lists).
    pub fn parse(q: &HashMap<String, String>) -> Result<Self, AppError> {
        if let Some(k) = q.keys().find(|k| !["from", "to", "account_id", "resource_type"].contains(&k.as_str())) {
            return Err(AppError::bad(
                "unknown_parameter",
                format!("unknown parameter {k:?}; this takes from, to, account_id, resource_type"),
            ));
        }
        let get = |n: &str| {
            q.get(n)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| AppError::bad("missing_parameter", format!("{n} is required")))
        };
        let from = time_param("from", get("from")?)?;
        let to_raw = get("to")?;
        let mut to = time_param("to", to_raw)?;
        if to_raw.len() == 10 {
            to += DAY_MS;
        }
        if to <= from {
            return Err(AppError::bad("invalid_parameter", "to must be after from"));
        }
        if to - from > 800 * DAY_MS {
            return Err(AppError::bad("invalid_parameter", "the period is at most 800 days"));
        }
        let list = |n: &str| -> Vec<String> {
            q.get(n)
                .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
                .unwrap_or_default()
        };
        let accounts = list("account_id");
        if let Some(a) = accounts.iter().find(|a| !crate::config::is_account_id(a)) {
            return Err(AppError::bad(
                "invalid_parameter",
                format!("account_id: {a:?} is not a 12-digit AWS account id"),
            ));
        }
        let resource_types = list("resource_type");
        if let Some(t) = resource_types.iter().find(|t| !shared::RESOURCE_TYPES.contains(&t.as_str())) {
            return Err(AppError::bad(
                "invalid_parameter",
                format!("resource_type: {t:?} is not an AWS Backup resource type"),
            ));
        }
        Ok(Self { from, to, accounts, resource_types })
    }

    pub fn account(&self, a: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|x| x == a)
    }

    pub fn has(&self, account: &str, resource_type: &str) -> bool {
        self.account(account)
            && (self.resource_types.is_empty() || self.resource_types.iter().any(|t| t == resource_type))
    }

    pub fn describe(&self) -> String {
        let or_all = |v: &[String], all: &str| if v.is_empty() { all.to_string() } else { v.join(", ") };
        format!(
            "{} to {}; accounts: {}; resource types: {}",
            rfc3339(self.from),
            rfc3339(self.to),
            or_all(&self.accounts, "all"),
            or_all(&self.resource_types, "all")
        )
    }

    pub fn file_name(&self) -> String {
        format!("evidence-{}-{}.zip", crate::time::date(self.from), crate::time::date(self.to - 1))
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn csv(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| if f.contains([',', '"', '\n']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f.clone() })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

fn io(e: std::io::Error) -> AppError {
    AppError::Unavailable(format!("writing the evidence pack: {e}"))
}

/// Figures the report is made of, gathered while the files are written.
#[derive(Default)]
struct Figures {
    coverage: Option<shared::Coverage>,
    tests_by_day: BTreeMap<String, (i64, i64)>,
    tests_passed: i64,
    tests_failed: i64,
    restore_stats: Vec<(String, String, usize, i64, i64, i64, i64)>,
    rpo_rows: Vec<(ProtectedResource, i64, Option<i64>, Option<i64>)>,
    requests: Vec<shared::ActionRequest>,
    drills: Vec<shared::Drill>,
    audit: Option<shared::AuditVerification>,
    audit_head: String,
    frameworks: Vec<Value>,
    report_plans: Vec<Value>,
    aws_errors: Vec<String>,
}

/// Writes the pack into `zip`, calling `progress(step)` before each step.
pub async fn generate(
    s: &AppState,
    scope: &Scope,
    by: &str,
    zip: &mut ZipStream,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<(), AppError> {
    let cfg = s.syncer.config();
    let now = s.now();
    let at = scope.to.min(now);
    let targets = Targets::load(&cfg.assurance, &s.store).await?;
    let mut f = Figures::default();
    zip.file(
        "README.txt",
        format!(
            "Recovery Console evidence pack\n\nScope: {}\nGenerated {} by {by}.\n\nOpen report.html first: it says which control each file evidences.\nmanifest.json lists every file with its SHA-256.\nThe audit log verifies offline: python3 audit/verify-audit-export.py audit/audit-log.ndjson --head <hash in audit/verification.json>\n",
            scope.describe(),
            rfc3339(now)
        )
        .as_bytes(),
    )
    .await
    .map_err(io)?;

    // 1. Coverage.
    progress(0);
    // Coverage as of the pack's making (selections and resources are today's).
    let coverage = super::coverage(s, cfg.assurance.untested_days, &|a, t| scope.has(a, t)).await?;
    zip.file("coverage.json", serde_json::to_string_pretty(&coverage).unwrap_or_default().as_bytes())
        .await
        .map_err(io)?;
    f.coverage = Some(coverage);

    // 2. Restore tests of the period, a page at a time.
    progress(1);
    zip.start("restore-tests.csv").await.map_err(io)?;
    zip.write(
        csv(&[
            "job_id",
            "account_id",
            "region",
            "resource_type",
            "resource_arn",
            "plan_arn",
            "created_at",
            "completed_at",
            "status",
            "validation_status",
            "validation_message",
            "minutes",
        ]
        .map(String::from))
        .as_bytes(),
    )
    .await
    .map_err(io)?;
    let q = ListQuery {
        limit: 1000,
        test: Some(true),
        created_after: Some(scope.from),
        created_before: Some(scope.to),
        ..Default::default()
    };
    each_page(
        q,
        |q| {
            let store = s.store.clone();
            async move { store.list_restore_jobs(&q).await }
        },
        |page: Vec<RestoreJob>| {
            let mut out = String::new();
            for j in page.iter().filter(|j| scope.has(&j.account_id, &j.resource_type)) {
                let passed = j.validation_status.as_deref() == Some("SUCCESSFUL");
                let failed = matches!(j.status.as_str(), "FAILED" | "ABORTED")
                    || matches!(j.validation_status.as_deref(), Some("FAILED" | "TIMED_OUT"));
                let day = j.created_at.get(..10).unwrap_or_default().to_string();
                let e = f.tests_by_day.entry(day).or_default();
                e.0 += i64::from(passed);
                e.1 += i64::from(failed);
                f.tests_passed += i64::from(passed);
                f.tests_failed += i64::from(failed);
                out.push_str(&csv(&[
                    j.job_id.clone(),
                    j.account_id.clone(),
                    j.region.clone(),
                    j.resource_type.clone(),
                    j.resource_arn.clone().unwrap_or_default(),
                    j.plan_arn.clone().unwrap_or_default(),
                    j.created_at.clone(),
                    j.completed_at.clone().unwrap_or_default(),
                    j.status.clone(),
                    j.validation_status.clone().unwrap_or_default(),
                    j.validation_message.clone().unwrap_or_default(),
                    j.duration_minutes.map(|m| m.to_string()).unwrap_or_default(),
                ]));
            }
            out
        },
        zip,
    )
    .await?;

    // 3. Restore times of the period per resource, against the RTO targets.
    progress(2);
    let mut durations: BTreeMap<String, (String, Vec<i64>)> = BTreeMap::new();
    let q = ListQuery {
        limit: 1000,
        status: Some("COMPLETED".into()),
        created_after: Some(scope.from),
        created_before: Some(scope.to),
        ..Default::default()
    };
    let jobs = crate::store::all_pages_of(
        |q| {
            let store = s.store.clone();
            async move { store.list_restore_jobs(&q).await }
        },
        q,
    )
    .await?;
    for j in jobs.iter().filter(|j| scope.has(&j.account_id, &j.resource_type)) {
        if let (Some(arn), Some(m)) = (&j.resource_arn, j.duration_minutes) {
            durations.entry(arn.clone()).or_insert_with(|| (j.resource_type.clone(), Vec::new())).1.push(m);
        }
    }
    let mut lines = csv(&[
        "resource_arn",
        "resource_type",
        "restores",
        "p50_minutes",
        "p95_minutes",
        "max_minutes",
        "rto_target_minutes",
        "within_target",
    ]
    .map(String::from));
    for (arn, (ty, mut mins)) in durations {
        mins.sort_unstable();
        let (p50, p95, max) = (
            crate::store::percentile(&mins, 50),
            crate::store::percentile(&mins, 95),
            mins.last().copied().unwrap_or(0),
        );
        let target = targets.of(&ty, &arn).1;
        lines.push_str(&csv(&[
            arn.clone(),
            ty.clone(),
            mins.len().to_string(),
            p50.to_string(),
            p95.to_string(),
            max.to_string(),
            target.to_string(),
            (p95 <= target).to_string(),
        ]));
        f.restore_stats.push((arn, ty, mins.len(), p50, p95, max, target));
    }
    zip.file("restore-times.csv", lines.as_bytes()).await.map_err(io)?;

    // 4. RPO per resource at the end of the period: the newest backup and the newest central copy.
    progress(3);
    let resources = crate::store::all_pages(|q| {
        let store = s.store.clone();
        async move { store.list_protected_resources(&q, 0).await }
    })
    .await?;
    let mut lines = csv(&[
        "resource_arn",
        "account_id",
        "resource_type",
        "rpo_target_hours",
        "newest_backup_before_end",
        "backup_age_minutes",
        "within_target",
        "newest_central_copy_before_end",
        "copy_age_minutes",
        "copy_within_target",
    ]
    .map(String::from));
    for r in resources.into_iter().filter(|r| scope.has(&r.account_id, &r.resource_type)) {
        let target_h = targets.of(&r.resource_type, &r.resource_arn).0;
        let backup = s.store.recovery_point_before(&r.resource_arn, &r.account_id, true, at + 1).await?.map(|b| b.0);
        let copy = super::newest_central_copy(&s.store, &cfg.assurance, &r.resource_arn, &r.account_id, at + 1)
            .await?
            .map(|c| c.0);
        let age = |t: Option<i64>| t.map(|t| (at - t) / 60_000);
        let within = |t: Option<i64>| t.is_some_and(|t| at - t <= target_h * 3_600_000);
        lines.push_str(&csv(&[
            r.resource_arn.clone(),
            r.account_id.clone(),
            r.resource_type.clone(),
            target_h.to_string(),
            backup.map(rfc3339).unwrap_or_default(),
            age(backup).map(|a| a.to_string()).unwrap_or_default(),
            within(backup).to_string(),
            copy.map(rfc3339).unwrap_or_default(),
            age(copy).map(|a| a.to_string()).unwrap_or_default(),
            within(copy).to_string(),
        ]));
        f.rpo_rows.push((r, target_h, age(backup), age(copy)));
    }
    zip.file("rpo.csv", lines.as_bytes()).await.map_err(io)?;

    // 5. Requests of the period with their decisions and audit timeline.
    progress(4);
    let mut q = RequestQuery { limit: 200, ..Default::default() };
    'pages: loop {
        let (page, next) = s.store.list_requests(&q).await?;
        for r in page {
            let created = crate::time::parse(&r.created_at).unwrap_or(0);
            if created < scope.from {
                break 'pages;
            }
            let ty = r.params["resource_type"].as_str().unwrap_or_default().to_string();
            if created < scope.to && scope.has(&r.account_id, &ty) {
                // The list leaves the audit timeline out; one request at a time brings it.
                f.requests.push(s.store.request(&r.id).await?.unwrap_or(r));
            }
        }
        match next {
            Some(c) => q.cursor = Some(crate::store::Cursor::decode(&c)?),
            None => break,
        }
    }
    zip.file("requests.json", serde_json::to_string_pretty(&f.requests).unwrap_or_default().as_bytes())
        .await
        .map_err(io)?;

    // 6. Drill reports.
    progress(5);
    let mut cursor = None;
    loop {
        let (rows, next) = s.store.list_drills(None, Some(scope.from), 200, cursor.as_ref()).await?;
        f.drills.extend(
            rows.into_iter()
                .filter(|d| d.requested_at < scope.to && scope.has(&d.account_id, &d.resource_type))
                .map(|d| d.into_dto()),
        );
        match next {
            Some(c) => cursor = Some(crate::store::Cursor::decode(&c)?),
            None => break,
        }
    }
    zip.file("drills.json", serde_json::to_string_pretty(&f.drills).unwrap_or_default().as_bytes())
        .await
        .map_err(io)?;

    // 7. The whole audit chain (verification starts at the first record), checked as written.
    progress(6);
    zip.start("audit/audit-log.ndjson").await.map_err(io)?;
    let mut verifier = Verifier::default();
    let mut after = 0;
    loop {
        let records = s.store.audit_after(after, 1000).await?;
        let Some(last) = records.last() else { break };
        after = last.seq;
        f.audit_head = last.hash.clone();
        let mut chunk = String::new();
        for r in &records {
            verifier.check(r);
            chunk.push_str(&crate::store::ndjson_line(r));
        }
        zip.write(chunk.as_bytes()).await.map_err(io)?;
    }
    let verification = verifier.finish();
    zip.file("audit/verification.json", serde_json::to_string_pretty(&json!({
        "verification": verification, "head_hash": f.audit_head,
        "recipe": "python3 audit/verify-audit-export.py audit/audit-log.ndjson --head <head_hash>; see docs/audit.md",
    })).unwrap_or_default().as_bytes()).await.map_err(io)?;
    zip.file("audit/verify-audit-export.py", VERIFY_SCRIPT.as_bytes()).await.map_err(io)?;
    f.audit = Some(verification);

    // 8. AWS Backup Audit Manager, read live in every account and region of the scope.
    progress(7);
    audit_manager(s, scope, &mut f).await?;
    zip.file(
        "aws-backup-audit-manager.json",
        serde_json::to_string_pretty(&json!({
            "frameworks": f.frameworks, "report_plans": f.report_plans, "errors": f.aws_errors,
        }))
        .unwrap_or_default()
        .as_bytes(),
    )
    .await
    .map_err(io)?;

    // 9. The report, then the manifest.
    progress(8);
    zip.file("report.html", report(s, scope, by, now, &f).as_bytes()).await.map_err(io)?;
    zip.start("manifest.json").await.map_err(io)?;
    let files: Vec<Value> = zip
        .files()
        .into_iter()
        .map(|(name, bytes, sha)| json!({"name": name, "bytes": bytes, "sha256": sha}))
        .collect();
    let manifest = json!({"generated_at": rfc3339(now), "generated_by": by, "scope": scope.describe(), "files": files});
    zip.write(serde_json::to_string_pretty(&manifest).unwrap_or_default().as_bytes()).await.map_err(io)?;
    Ok(())
}

/// Pages a list and writes what `render` makes of each page into the open file.
async fn each_page<T, F, Fut>(
    mut q: ListQuery,
    page: F,
    mut render: impl FnMut(Vec<T>) -> String,
    zip: &mut ZipStream,
) -> Result<(), AppError>
where
    F: Fn(ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), crate::store::StoreError>>,
{
    loop {
        let (items, next) = page(q.clone()).await?;
        zip.write(render(items).as_bytes()).await.map_err(io)?;
        match next {
            Some(c) => q.cursor = Some(crate::store::Cursor::decode(&c)?),
            None => return Ok(()),
        }
    }
}

async fn audit_manager(s: &AppState, scope: &Scope, f: &mut Figures) -> Result<(), AppError> {
    let accounts = s.store.list_accounts().await?;
    let mut targets: Vec<(String, String, bool)> = accounts
        .iter()
        .filter(|a| scope.account(&a.id))
        .flat_map(|a| a.sync.iter().map(move |r| (a.id.clone(), r.region.clone(), false)))
        .collect();
    // The management account (the console's own credentials) holds organization-wide frameworks.
    let hub = s.syncer.aws().hub_account().await.unwrap_or_else(|| "management account".into());
    if !targets.iter().any(|t| t.0 == hub) {
        targets.push((hub, s.syncer.config().aws.region.clone(), true));
    }
    let results = futures_util::stream::iter(targets)
        .map(|(account, region, own)| async move {
            let client = if own {
                s.syncer.aws().hub_backup(&region)
            } else {
                let role = match s.syncer.read_role(&account).await {
                    Ok(Some(r)) => r,
                    Ok(None) => return Err(format!("{account}: not registered")),
                    Err(e) => return Err(format!("{account}: {e}")),
                };
                s.syncer.aws().backup(&role, &region).await
            };
            let mut frameworks = Vec::new();
            let mut pages = client.list_frameworks().into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| format!("{account} {region} ListFrameworks: {}", crate::aws::failure(&e)))?;
                for fw in page.frameworks() {
                    frameworks.push(json!({
                        "account_id": account, "region": region, "name": fw.framework_name(), "arn": fw.framework_arn(),
                        "description": fw.framework_description(), "controls": fw.number_of_controls(),
                        "deployment_status": fw.deployment_status(),
                    }));
                }
            }
            let mut plans = Vec::new();
            let mut pages = client.list_report_plans().into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| format!("{account} {region} ListReportPlans: {}", crate::aws::failure(&e)))?;
                for p in page.report_plans() {
                    plans.push(json!({
                        "account_id": account, "region": region, "name": p.report_plan_name(), "arn": p.report_plan_arn(),
                        "description": p.report_plan_description(),
                        "template": p.report_setting().map(|r| r.report_template()),
                        "last_successful_execution": p.last_successful_execution_time().map(|t| rfc3339(t.to_millis().unwrap_or(0))),
                    }));
                }
            }
            Ok((frameworks, plans))
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    for r in results {
        match r {
            Ok((fw, plans)) => {
                f.frameworks.extend(fw);
                f.report_plans.extend(plans);
            }
            Err(e) => f.aws_errors.push(e),
        }
    }
    Ok(())
}

/// Bars of restore tests per day (passed up, failed in red), as inline SVG.
fn tests_chart(by_day: &BTreeMap<String, (i64, i64)>) -> String {
    if by_day.is_empty() {
        return "<p>No restore tests in the period.</p>".into();
    }
    let max = by_day.values().map(|(p, f)| p + f).max().unwrap_or(1).max(1);
    let (w, h) = (720.0, 160.0);
    let bw = w / by_day.len() as f64;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {}\" role=\"img\" aria-label=\"Restore tests per day\" class=\"chart\">",
        h + 20.0
    );
    for (i, (day, (p, fl))) in by_day.iter().enumerate() {
        let x = i as f64 * bw;
        let ph = *p as f64 / max as f64 * h;
        let fh = *fl as f64 / max as f64 * h;
        let _ = write!(svg, "<g><title>{day}: {p} passed, {fl} failed</title><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{ph:.1}\" fill=\"#2f855a\"/><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{fh:.1}\" fill=\"#c53030\"/></g>", h - ph, (bw - 1.0).max(0.5), h - ph - fh, (bw - 1.0).max(0.5));
    }
    let first = by_day.keys().next().cloned().unwrap_or_default();
    let last = by_day.keys().last().cloned().unwrap_or_default();
    let _ = write!(svg, "<text x=\"0\" y=\"{}\" font-size=\"11\">{first}</text><text x=\"{w}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{last} (max {max}/day)</text></svg>", h + 15.0, h + 15.0);
    svg
}

/// Horizontal bars: per account, share of resources tested recently.
fn coverage_chart(rows: &[shared::CoverageRow]) -> String {
    let mut per: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let e = per.entry(r.account_id.as_str()).or_default();
        e.0 += r.tested_recently;
        e.1 += r.resources;
    }
    if per.is_empty() {
        return "<p>No protected resources in scope.</p>".into();
    }
    let shown: Vec<_> = per.iter().take(25).collect();
    let mut svg = format!("<svg viewBox=\"0 0 720 {}\" role=\"img\" aria-label=\"Resources tested recently per account\" class=\"chart\">", shown.len() * 22 + 4);
    for (i, (account, (tested, total))) in shown.iter().enumerate() {
        let y = i * 22;
        let pct = if *total > 0 { *tested as f64 / *total as f64 } else { 0.0 };
        let _ = write!(svg, "<text x=\"0\" y=\"{}\" font-size=\"12\">{account}</text><rect x=\"120\" y=\"{}\" width=\"500\" height=\"16\" fill=\"#e2e8f0\"/><rect x=\"120\" y=\"{}\" width=\"{:.1}\" height=\"16\" fill=\"#2b6cb0\"/><text x=\"630\" y=\"{}\" font-size=\"12\">{tested}/{total} ({:.0}%)</text>", y + 14, y + 2, y + 2, pct * 500.0, y + 14, pct * 100.0);
    }
    svg.push_str("</svg>");
    svg
}

fn report(s: &AppState, scope: &Scope, by: &str, now: i64, f: &Figures) -> String {
    let cfg = s.syncer.config();
    let cov = f.coverage.clone().unwrap_or(shared::Coverage { days: 0, rows: Vec::new(), gaps: Vec::new() });
    let total: i64 = cov.rows.iter().map(|r| r.resources).sum();
    let covered: i64 = cov.rows.iter().map(|r| r.covered).sum();
    let tested: i64 = cov.rows.iter().map(|r| r.tested_recently).sum();
    let never: i64 = cov.rows.iter().map(|r| r.never_tested).sum();
    let pct = |a: i64, b: i64| if b > 0 { format!("{:.0}%", a as f64 * 100.0 / b as f64) } else { "n/a".into() };
    let outside_rto = f.restore_stats.iter().filter(|r| r.4 > r.6).count();
    let outside_rpo = f.rpo_rows.iter().filter(|r| r.2.is_none_or(|age| age > r.1 * 60)).count();
    let audit_ok = f.audit.as_ref().is_some_and(|a| a.valid);
    let executed = f.requests.iter().filter(|r| r.status == "succeeded").count();
    let mut h = String::new();
    let _ = write!(h, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Backup and recovery evidence</title><style>
body{{font:14px/1.45 system-ui,sans-serif;color:#1a202c;max-width:960px;margin:2em auto;padding:0 1em}}
h1{{font-size:24px}}h2{{font-size:18px;border-bottom:1px solid #cbd5e0;padding-bottom:4px;margin-top:2em}}
table{{border-collapse:collapse;width:100%;margin:.5em 0}}th,td{{border:1px solid #cbd5e0;padding:4px 6px;text-align:left;vertical-align:top}}th{{background:#edf2f7}}
.ok{{color:#22543d;font-weight:600}}.bad{{color:#9b2c2c;font-weight:600}}.chart{{width:100%;height:auto}}code{{font-size:12px;word-break:break-all}}
.figures td:first-child{{width:45%}}@media print{{h2{{page-break-after:avoid}}table,svg{{page-break-inside:avoid}}}}
</style></head><body>");
    let _ = write!(h, "<h1>Backup and recovery evidence</h1><p><strong>Scope:</strong> {}<br><strong>Generated:</strong> {} by {} with Recovery Console {}.</p>",
        esc(&scope.describe()), rfc3339(now), esc(by), env!("CARGO_PKG_VERSION"));
    h.push_str("<h2>Controls evidenced</h2><table><tr><th>Control</th><th>What it asks</th><th>Evidence in this pack</th><th>Finding</th></tr>");
    let _ = write!(h, "<tr><td>ISO/IEC 27001:2022 Annex A 8.13 Information backup</td><td>Backup copies of information, software and systems are maintained and regularly tested in line with the agreed backup policy.</td><td><code>coverage.json</code>, <code>rpo.csv</code>, <code>restore-tests.csv</code>, <code>aws-backup-audit-manager.json</code></td><td>{} of {} resources covered by a restore testing selection; {} with a passed restore test within {} days (as of this pack); {} outside their RPO target.</td></tr>",
        covered, total, tested, cov.days, outside_rpo);
    let _ = write!(h, "<tr><td>SOC 2 (2017 TSC) A1.3 Recovery plan testing</td><td>The entity tests recovery plan procedures supporting system recovery to meet its objectives.</td><td><code>restore-tests.csv</code>, <code>restore-times.csv</code>, <code>drills.json</code>, <code>requests.json</code></td><td>{} restore tests passed and {} failed in the period; {} drills; {} resources restored slower than their RTO target (p95).</td></tr>",
        f.tests_passed, f.tests_failed, f.drills.len(), outside_rto);
    let _ = write!(h, "<tr><td>Integrity of this record (supports both)</td><td>Recoveries were approved by a second person and every step was logged tamper-evidently.</td><td><code>requests.json</code>, <code>audit/</code></td><td>{} requests in the period ({} executed); audit chain <span class=\"{}\">{}</span>, head <code>{}</code>.</td></tr></table>",
        f.requests.len(), executed, if audit_ok { "ok" } else { "bad" }, if audit_ok { "verified" } else { "BROKEN" }, esc(&f.audit_head));

    h.push_str("<h2>Key figures</h2><table class=\"figures\">");
    for (k, v) in [
        ("Protected resources in scope", total.to_string()),
        ("Covered by a restore testing selection", format!("{covered} ({})", pct(covered, total))),
        (&*format!("Tested within {} days", cov.days), format!("{tested} ({})", pct(tested, total))),
        ("Never tested", never.to_string()),
        (
            "Restore tests in the period: passed / failed",
            format!(
                "{} / {} (pass rate {})",
                f.tests_passed,
                f.tests_failed,
                pct(f.tests_passed, f.tests_passed + f.tests_failed)
            ),
        ),
        ("Resources outside their RPO target at the end of the period", outside_rpo.to_string()),
        ("Resources restored slower than their RTO target (p95)", outside_rto.to_string()),
        (
            "Default targets",
            format!(
                "RPO {} h, RTO {} min (per type or resource where set)",
                cfg.assurance.rpo_hours, cfg.assurance.rto_minutes
            ),
        ),
        (
            "AWS Backup Audit Manager",
            format!("{} frameworks, {} report plans found", f.frameworks.len(), f.report_plans.len()),
        ),
    ] {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
    }
    h.push_str("</table>");
    h.push_str("<h2>Restore tests per day</h2>");
    h.push_str(&tests_chart(&f.tests_by_day));
    h.push_str("<h2>Resources tested recently, per account</h2>");
    h.push_str(&coverage_chart(&cov.rows));

    h.push_str("<h2>Coverage gaps</h2>");
    if cov.gaps.is_empty() {
        h.push_str("<p class=\"ok\">None: every resource in scope is named by a selection or was tested recently.</p>");
    } else {
        h.push_str("<table><tr><th>Resource</th><th>Account</th><th>Type</th><th>Last test</th></tr>");
        for g in cov.gaps.iter().take(50) {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&g.resource_arn),
                g.account_id,
                esc(&g.resource_type),
                g.last_test_at.clone().unwrap_or_else(|| "never".into())
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Restore times against RTO targets</h2><table><tr><th>Resource</th><th>Restores</th><th>p50</th><th>p95</th><th>Longest</th><th>Target</th></tr>");
    let mut stats: Vec<_> = f.restore_stats.iter().collect();
    stats.sort_by_key(|r| std::cmp::Reverse(r.4 - r.6));
    for r in stats.iter().take(50) {
        let _ = write!(h, "<tr><td><code>{}</code></td><td>{}</td><td>{} min</td><td class=\"{}\">{} min</td><td>{} min</td><td>{} min</td></tr>", esc(&r.0), r.2, r.3, if r.4 > r.6 { "bad" } else { "ok" }, r.4, r.5, r.6);
    }
    h.push_str("</table><h2>Recovery point objectives</h2><table><tr><th>Resource</th><th>Target</th><th>Newest backup age</th><th>Newest central copy age</th></tr>");
    let mut rpo: Vec<_> = f.rpo_rows.iter().collect();
    rpo.sort_by_key(|r| std::cmp::Reverse(r.2.unwrap_or(i64::MAX)));
    let age = |m: Option<i64>| m.map(|m| format!("{:.1} h", m as f64 / 60.0)).unwrap_or_else(|| "none".into());
    for r in rpo.iter().take(50) {
        let bad = r.2.is_none_or(|a| a > r.1 * 60);
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{} h</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            esc(&r.0.resource_arn),
            r.1,
            if bad { "bad" } else { "ok" },
            age(r.2),
            age(r.3)
        );
    }
    h.push_str("</table><h2>Drills</h2>");
    if f.drills.is_empty() {
        h.push_str("<p>No drills in the period.</p>");
    } else {
        h.push_str("<table><tr><th>Drill</th><th>Resource</th><th>Outcome</th><th>Measured RTO</th><th>RPO of the point used</th><th>Steps</th></tr>");
        for d in &f.drills {
            let steps: Vec<String> =
                d.steps.iter().map(|s| format!("{} {}", s.step, s.at.clone().unwrap_or_else(|| "-".into()))).collect();
            let _ = write!(h, "<tr><td>{}<br>{}</td><td><code>{}</code></td><td class=\"{}\">{}</td><td>{} (target {} min)</td><td>{} min (target {} h)</td><td>{}</td></tr>",
                esc(&d.scenario), esc(&d.id), esc(&d.resource_arn), if d.outcome.as_deref() == Some("passed") { "ok" } else { "bad" },
                esc(d.outcome.as_deref().unwrap_or(&d.status)), d.measured_rto_minutes.map(|m| format!("{m} min")).unwrap_or_else(|| "-".into()), d.rto_target_minutes,
                d.rpo_minutes, d.rpo_target_hours, esc(&steps.join("; ")));
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Requests and approvals</h2>");
    if f.requests.is_empty() {
        h.push_str("<p>No restore or copy requests in the period.</p>");
    } else {
        h.push_str(
            "<table><tr><th>Request</th><th>Requested by</th><th>Approved by</th><th>Status</th><th>Jobs</th></tr>",
        );
        for r in f.requests.iter().take(200) {
            let approvers: Vec<String> =
                r.decisions.iter().map(|d| format!("{} ({}) {}", d.approver_name, d.decision, d.at)).collect();
            let _ = write!(
                h,
                "<tr><td>{} {}<br><code>{}</code></td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.kind),
                esc(&r.id),
                esc(&r.params_hash),
                esc(&r.requester_name),
                r.created_at,
                esc(&approvers.join("; ")),
                esc(&r.status),
                esc(&[r.copy_job_id.clone(), r.restore_job_id.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", "))
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>AWS Backup Audit Manager</h2>");
    if f.frameworks.is_empty() && f.report_plans.is_empty() {
        h.push_str("<p>No frameworks or report plans found in the accounts of the scope.</p>");
    }
    if !f.frameworks.is_empty() {
        h.push_str("<table><tr><th>Framework</th><th>Account and region</th><th>Controls</th><th>Status</th></tr>");
        for fw in &f.frameworks {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
                esc(fw["name"].as_str().unwrap_or_default()),
                esc(fw["account_id"].as_str().unwrap_or_default()),
                esc(fw["region"].as_str().unwrap_or_default()),
                fw["controls"],
                esc(fw["deployment_status"].as_str().unwrap_or_default())
            );
        }
        h.push_str("</table>");
    }
    if !f.report_plans.is_empty() {
        h.push_str("<table><tr><th>Report plan</th><th>Account and region</th><th>Template</th><th>Last successful run</th></tr>");
        for p in &f.report_plans {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
                esc(p["name"].as_str().unwrap_or_default()),
                esc(p["account_id"].as_str().unwrap_or_default()),
                esc(p["region"].as_str().unwrap_or_default()),
                esc(p["template"].as_str().unwrap_or_default()),
                esc(p["last_successful_execution"].as_str().unwrap_or("never"))
            );
        }
        h.push_str("</table>");
    }
    for e in &f.aws_errors {
        let _ = write!(h, "<p class=\"bad\">Not read: {}</p>", esc(e));
    }
    let _ = write!(h, "<h2>Audit log</h2><p>The pack holds the whole audit chain (<code>audit/audit-log.ndjson</code>, {} records) and its verification. Check it offline: <code>python3 audit/verify-audit-export.py audit/audit-log.ndjson --head {}</code> (standard library only). Compare the head with one kept outside the console to detect a rewritten or truncated chain.</p>",
        f.audit.as_ref().map(|a| a.entries).unwrap_or(0), esc(&f.audit_head));
    h.push_str("</body></html>\n");
    h
}
