//! Reading what a pack is made of, and the figures its report shows.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use serde_json::{json, Value};
use shared::{ActionRequest, Drill, ProtectedResource, RestoreJob, TestCounts};

use super::{AppError, Console, Scope};
use crate::domain::Targets;
use crate::store::{ListQuery, RequestQuery};
use crate::time::rfc3339;

/// Figures the report is made of, gathered while the files are written.
pub struct Figures {
    pub coverage: shared::Coverage,
    pub tests: RestoreTests,
    pub restore_times: Vec<RestoreTimes>,
    pub rpo: Vec<Rpo>,
    pub requests: Vec<ActionRequest>,
    pub drills: Vec<Drill>,
    pub audit: shared::AuditVerification,
    pub audit_head: String,
    pub audit_manager: AuditManager,
}

/// Restore tests of the period by outcome (`shared::TestOutcome`), counted as their pages go by.
#[derive(Default)]
pub struct RestoreTests {
    pub by_day: BTreeMap<String, TestCounts>,
    pub all: TestCounts,
}

impl RestoreTests {
    pub fn count(&mut self, j: &RestoreJob) {
        let (status, validation) = (j.status.as_str(), j.validation_status.as_deref());
        let day = self.by_day.entry(j.created_at.get(..10).unwrap_or_default().to_string()).or_default();
        day.add(status, validation);
        self.all.add(status, validation);
    }
}

/// One resource's restore times in the period, against its RTO target.
pub struct RestoreTimes {
    pub resource_arn: String,
    pub resource_type: String,
    pub restores: usize,
    pub p50_minutes: i64,
    pub p95_minutes: i64,
    pub max_minutes: i64,
    pub target_minutes: i64,
}

impl RestoreTimes {
    /// The p95 restore time is within the RTO target.
    pub fn within_target(&self) -> bool {
        self.p95_minutes <= self.target_minutes
    }
}

/// One resource's newest backup and central copy at the end of the period.
pub struct Rpo {
    pub resource: ProtectedResource,
    pub target_hours: i64,
    /// The end of the period (ms).
    pub at: i64,
    pub backup_at: Option<i64>,
    pub copy_at: Option<i64>,
}

impl Rpo {
    /// How old a backup or copy made at `t` is at the end of the period, in whole minutes.
    pub fn age_minutes(&self, t: Option<i64>) -> Option<i64> {
        t.map(|t| (self.at - t) / 60_000)
    }

    /// The CSV's `within_target`: no older than the target, to the millisecond.
    pub fn within(&self, t: Option<i64>) -> bool {
        t.is_some_and(|t| self.at - t <= self.target_hours * 3_600_000)
    }

    /// The report's finding: no backup, or one older than the target in whole minutes.
    pub fn backup_outside_target(&self) -> bool {
        self.age_minutes(self.backup_at).is_none_or(|age| age > self.target_hours * 60)
    }
}

/// What AWS Backup Audit Manager holds in the accounts of the scope.
#[derive(Default)]
pub struct AuditManager {
    pub frameworks: Vec<Value>,
    pub report_plans: Vec<Value>,
    pub errors: Vec<String>,
}

/// Restore times of the period per resource, against the RTO targets.
pub async fn restore_times(s: &Console, scope: &Scope, targets: &Targets) -> Result<Vec<RestoreTimes>, AppError> {
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
    let mut durations: BTreeMap<String, (String, Vec<i64>)> = BTreeMap::new();
    for j in jobs.iter().filter(|j| scope.has(&j.account_id, &j.resource_type)) {
        if let (Some(arn), Some(m)) = (&j.resource_arn, j.duration_minutes) {
            durations.entry(arn.clone()).or_insert_with(|| (j.resource_type.clone(), Vec::new())).1.push(m);
        }
    }
    Ok(durations
        .into_iter()
        .map(|(arn, (ty, mut mins))| {
            mins.sort_unstable();
            RestoreTimes {
                p50_minutes: crate::store::percentile(&mins, 50),
                p95_minutes: crate::store::percentile(&mins, 95),
                max_minutes: mins.last().copied().unwrap_or(0),
                restores: mins.len(),
                target_minutes: targets.of(&ty, &arn).rto_minutes,
                resource_arn: arn,
                resource_type: ty,
            }
        })
        .collect())
}

/// RPO per resource at `at`: the newest backup and the newest central copy.
pub async fn rpo(s: &Console, scope: &Scope, targets: &Targets, at: i64) -> Result<Vec<Rpo>, AppError> {
    let cfg = s.syncer.config();
    let resources = crate::store::all_pages(|q| {
        let store = s.store.clone();
        async move { store.list_protected_resources(&q, 0).await }
    })
    .await?;
    let mut rows = Vec::new();
    for r in resources.into_iter().filter(|r| scope.has(&r.account_id, &r.resource_type)) {
        let target_hours = targets.of(&r.resource_type, &r.resource_arn).rpo_hours;
        let backup_at =
            s.store.recovery_point_before(&r.resource_arn, &r.account_id, true, at + 1).await?.map(|b| b.created_at);
        let copy_at =
            crate::assurance::newest_central_copy(&s.store, &cfg.assurance, &r.resource_arn, &r.account_id, at + 1)
                .await?
                .map(|c| c.created_at);
        rows.push(Rpo { resource: r, target_hours, at, backup_at, copy_at });
    }
    Ok(rows)
}

/// Requests of the period with their decisions and audit timeline.
pub async fn requests(s: &Console, scope: &Scope) -> Result<Vec<ActionRequest>, AppError> {
    let mut out = Vec::new();
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
                out.push(s.store.request(&r.id).await?.unwrap_or(r));
            }
        }
        match next {
            Some(c) => q.cursor = Some(crate::store::Cursor::decode(&c)?),
            None => break,
        }
    }
    Ok(out)
}

/// Drill reports of the period.
pub async fn drills(s: &Console, scope: &Scope) -> Result<Vec<Drill>, AppError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let (rows, next) = s.store.list_drills(None, Some(scope.from), 200, cursor.as_ref()).await?;
        out.extend(
            rows.into_iter()
                .filter(|d| d.requested_at < scope.to && scope.has(&d.account_id, &d.resource_type))
                .map(|d| d.into_dto())
                .collect::<Result<Vec<_>, _>>()?,
        );
        match next {
            Some(c) => cursor = Some(crate::store::Cursor::decode(&c)?),
            None => break,
        }
    }
    Ok(out)
}

/// AWS Backup Audit Manager, read live in every account and region of the scope.
pub async fn audit_manager(s: &Console, scope: &Scope) -> Result<AuditManager, AppError> {
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
    let mut found = AuditManager::default();
    for r in results {
        match r {
            Ok((fw, plans)) => {
                found.frameworks.extend(fw);
                found.report_plans.extend(plans);
            }
            Err(e) => found.errors.push(e),
        }
    }
    Ok(found)
}
