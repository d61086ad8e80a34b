//! The auditor's evidence pack: for a period and a scope (accounts, resource
//! types) one ZIP with coverage, restore tests, restore times and RPO against
//! targets, requests with their approvals and jobs, drill reports, the audit log
//! with its verification (and the script that checks it offline), the AWS Backup
//! Audit Manager frameworks and report plans found in the accounts, and a
//! printable HTML report. Written as a stream: files leave as they are made.

use serde::Serialize;
use serde_json::{json, Value};
use shared::RestoreJob;

use crate::app::{AppError, Console};
use crate::store::{ListQuery, Verifier};
use crate::time::{rfc3339, DAY_MS};
use crate::zipstream::ZipStream;

mod charts;
mod csv;
mod gather;
mod report;

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
    pub fn parse(from: &str, to: &str, accounts: Option<&str>, types: Option<&str>) -> Result<Self, AppError> {
        let from = time_param("from", from)?;
        let to_raw = to;
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
        let list = |v: Option<&str>| -> Vec<String> {
            v.map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
                .unwrap_or_default()
        };
        let accounts = list(accounts);
        if let Some(a) = accounts.iter().find(|a| !crate::domain::AccountId::is(a)) {
            return Err(AppError::bad(
                "invalid_parameter",
                format!("account_id: {a:?} is not a 12-digit AWS account id"),
            ));
        }
        let resource_types = list(types);
        if let Some(t) = resource_types.iter().find(|t| !shared::is_resource_type(t)) {
            return Err(AppError::bad(
                "invalid_parameter",
                format!(
                    "resource_type: {t:?} is not an AWS Backup resource type (1 to 50 letters, digits, spaces, - _ .)"
                ),
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

fn io(e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable(format!("writing the evidence pack: {e}"))
}

fn pretty(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap_or_default()
}

/// Writes the pack into `zip`, calling `progress(step)` before each step.
pub async fn generate(
    s: &Console,
    scope: &Scope,
    by: &str,
    zip: &mut ZipStream,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<(), AppError> {
    let cfg = s.syncer.config();
    let now = s.now();
    let at = scope.to.min(now);
    let targets = s.store.targets(&cfg.assurance).await?;
    zip.file(
        "README.txt",
        format!(
            "Recovery Console evidence pack\n\nScope: {}\nGenerated {} by {by}.\n\nOpen report.html first: it says which control each file evidences.\nmanifest.json lists every file with its SHA-256.\nThe audit log verifies offline: python3 audit/verify-audit-export.py audit/audit-log.ndjson --head <hash in audit/verification.json>\nAgainst the signed digests (audit/digests), with the public key you were given (not only the pack's): recovery-console audit verify --export audit/audit-log.ndjson --digests audit/digests --public-key KEY.pem\n",
            scope.describe(),
            rfc3339(now)
        )
        .as_bytes(),
    )
    .await
    .map_err(io)?;

    // 1. Coverage as of the pack's making (selections and resources are today's).
    progress(0);
    let coverage = super::coverage(s, cfg.assurance.untested_days, &|a, t| scope.has(a, t)).await?;
    zip.file("coverage.json", &pretty(&coverage)).await.map_err(io)?;

    // 2. Restore tests of the period, a page at a time.
    progress(1);
    zip.start("restore-tests.csv").await.map_err(io)?;
    let by_console = s.store.reported_validations(scope.from).await?;
    zip.write(&csv::restore_tests([], &by_console, true).map_err(io)?).await.map_err(io)?;
    let q = ListQuery {
        limit: 1000,
        test: Some(true),
        created_after: Some(scope.from),
        created_before: Some(scope.to),
        ..Default::default()
    };
    let mut tests = gather::RestoreTests::default();
    each_page(
        q,
        |q| {
            let store = s.store.clone();
            async move { store.list_restore_jobs(&q).await }
        },
        |page: Vec<RestoreJob>| {
            let in_scope: Vec<_> = page.iter().filter(|j| scope.has(&j.account_id, &j.resource_type)).collect();
            for j in &in_scope {
                tests.count(j);
            }
            csv::restore_tests(in_scope, &by_console, false)
        },
        zip,
    )
    .await?;

    // 3. Restore times of the period per resource, against the RTO targets.
    progress(2);
    let restore_times = gather::restore_times(s, scope, &targets).await?;
    zip.file("restore-times.csv", &csv::restore_times(&restore_times).map_err(io)?).await.map_err(io)?;

    // 4. RPO per resource at the end of the period: the newest backup and the newest central copy.
    progress(3);
    let rpo = gather::rpo(s, scope, &targets, at).await?;
    zip.file("rpo.csv", &csv::rpo(&rpo).map_err(io)?).await.map_err(io)?;

    // 5. Requests of the period with their decisions and audit timeline.
    progress(4);
    let requests = gather::requests(s, scope).await?;
    zip.file("requests.json", &pretty(&requests)).await.map_err(io)?;

    // 6. Drill reports.
    progress(5);
    let drills = gather::drills(s, scope).await?;
    zip.file("drills.json", &pretty(&drills)).await.map_err(io)?;

    // 7. The whole audit chain (verification starts at the first record), checked as written.
    progress(6);
    zip.start("audit/audit-log.ndjson").await.map_err(io)?;
    let mut verifier = Verifier::default();
    let mut audit_head = String::new();
    let mut after = 0;
    loop {
        let records = s.store.audit_after(after, 1000).await?;
        let Some(last) = records.last() else { break };
        after = last.seq;
        audit_head = last.hash.clone();
        let mut chunk = String::new();
        for r in &records {
            verifier.check(r);
            chunk.push_str(&crate::store::ndjson_line(r));
        }
        zip.write(chunk.as_bytes()).await.map_err(io)?;
    }
    let audit = verifier.finish();
    zip.file("audit/verification.json", &pretty(&json!({
        "verification": audit, "head_hash": audit_head,
        "recipe": "python3 audit/verify-audit-export.py audit/audit-log.ndjson --head <head_hash>; see docs/audit.md",
    }))).await.map_err(io)?;
    zip.file("audit/verify-audit-export.py", VERIFY_SCRIPT.as_bytes()).await.map_err(io)?;
    // The signed digests of the log's head and the key that checks them: the log is
    // checked against them offline, without the database (docs/audit.md, "Digests").
    for d in s.store.digests().await? {
        zip.file(&format!("audit/digests/{}", super::digests::file_name(d.number)), d.body.as_bytes())
            .await
            .map_err(io)?;
    }
    let public_key = super::digests::configured_public_key(cfg).map_err(|e| AppError::Unavailable(e.to_string()))?;
    if let Some(key) = public_key {
        zip.file("audit/digest-public-key.pem", super::digests::public_pem(&key).as_bytes()).await.map_err(io)?;
    }

    // 8. AWS Backup Audit Manager, read live in every account and region of the scope.
    progress(7);
    let audit_manager = gather::audit_manager(s, scope).await?;
    zip.file(
        "aws-backup-audit-manager.json",
        &pretty(&json!({
            "frameworks": audit_manager.frameworks, "report_plans": audit_manager.report_plans,
            "errors": audit_manager.errors,
        })),
    )
    .await
    .map_err(io)?;

    // 9. The report, then the manifest.
    progress(8);
    let figures =
        gather::Figures { coverage, tests, restore_times, rpo, requests, drills, audit, audit_head, audit_manager };
    zip.file("report.html", report::render(&cfg.assurance, scope, by, now, &figures).as_bytes()).await.map_err(io)?;
    zip.start("manifest.json").await.map_err(io)?;
    let files: Vec<Value> = zip
        .files()
        .into_iter()
        .map(|(name, bytes, sha)| json!({"name": name, "bytes": bytes, "sha256": sha}))
        .collect();
    let manifest = json!({"generated_at": rfc3339(now), "generated_by": by, "scope": scope.describe(), "files": files});
    zip.write(&pretty(&manifest)).await.map_err(io)?;
    Ok(())
}

/// Pages a list and writes what `render` makes of each page into the open file.
async fn each_page<T, F, Fut>(
    mut q: ListQuery,
    page: F,
    mut render: impl FnMut(Vec<T>) -> ::csv::Result<Vec<u8>>,
    zip: &mut ZipStream,
) -> Result<(), AppError>
where
    F: Fn(ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), crate::store::StoreError>>,
{
    loop {
        let (items, next) = page(q.clone()).await?;
        zip.write(&render(items).map_err(io)?).await.map_err(io)?;
        match next {
            Some(c) => q.cursor = Some(crate::store::Cursor::decode(&c)?),
            None => return Ok(()),
        }
    }
}
