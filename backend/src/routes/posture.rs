//! The Overview's posture, restore tests per day, and one recovery point in detail.

use axum::extract::{Path, State};
use axum::Json;
use shared::{DailyTests, Overview, RecoveryPointDetail};

use super::params::RawQuery;
use super::{AppError, AppState};
use crate::domain::AccountId;
use crate::store::TestScope;

/// Reads a whole number parameter within `range`, or `default` when absent.
pub(super) fn number(
    raw: &RawQuery,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> Result<i64, AppError> {
    match raw.0.get(name) {
        None => Ok(default),
        Some(v) => v.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            AppError::bad(
                "invalid_parameter",
                format!("{name}: must be a whole number from {} to {}, got {v:?}", range.start(), range.end()),
            )
        }),
    }
}

pub(super) fn only(raw: &RawQuery, allowed: &[&str]) -> Result<(), AppError> {
    match raw.0.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(AppError::bad(
            "unknown_parameter",
            format!("unknown parameter {k:?}; this takes {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

/// Posture across every account: restore tests per day over 90 days, the latest
/// failures, untested resources, newest-backup ages (RPO), restore times (RTO).
#[utoipa::path(get, path = "/api/v1/overview",
    params(("stale_after_days" = Option<i64>, Query, description = "Days after which a resource counts as not tested recently (1 to 365, default 30).")),
    responses((status = 200, body = Overview), (status = 400, body = shared::ErrorBody)))]
pub async fn overview(State(s): State<AppState>, raw: RawQuery) -> Result<Json<Overview>, AppError> {
    only(&raw, &["stale_after_days"])?;
    let stale = number(&raw, "stale_after_days", 1..=365, 30)?;
    Ok(Json(s.store.overview(s.now(), stale).await?))
}

/// Restore tests passed and failed per UTC day, oldest first.
#[utoipa::path(get, path = "/api/v1/restore-tests/daily",
    params(
        ("days" = Option<i64>, Query, description = "How many days up to today (1 to 366, default 90)."),
        ("account_id" = Option<String>, Query, description = "12-digit AWS account id."),
        ("plan_arn" = Option<String>, Query, description = "Restore testing plan ARN."),
    ),
    responses((status = 200, body = Vec<DailyTests>), (status = 400, body = shared::ErrorBody)))]
pub async fn daily_tests(State(s): State<AppState>, raw: RawQuery) -> Result<Json<Vec<DailyTests>>, AppError> {
    only(&raw, &["days", "account_id", "plan_arn"])?;
    let days = number(&raw, "days", 1..=366, 90)?;
    let account_id = raw.0.get("account_id").cloned();
    if let Some(a) = account_id.as_ref().filter(|a| !AccountId::is(a)) {
        return Err(AppError::bad("invalid_parameter", format!("account_id: {a:?} is not a 12-digit AWS account id")));
    }
    let plan_arn = raw.0.get("plan_arn").cloned();
    if let Some(p) = plan_arn.as_ref().filter(|p| !p.starts_with("arn:")) {
        return Err(AppError::bad("invalid_parameter", format!("plan_arn: {p:?} is not a valid ARN")));
    }
    Ok(Json(s.store.daily_tests(s.now(), days, &TestScope { account_id, plan_arn }).await?))
}

/// One recovery point: its lifecycle and encryption as synced, its copy and
/// restore jobs, and the restore metadata AWS reports (read live).
#[utoipa::path(get, path = "/api/v1/recovery-points/{arn}",
    params(("arn" = String, Path, description = "The recovery point ARN, URL-encoded.")),
    responses((status = 200, body = RecoveryPointDetail), (status = 404, body = shared::ErrorBody)))]
pub async fn recovery_point(
    State(s): State<AppState>,
    Path(arn): Path<String>,
) -> Result<Json<RecoveryPointDetail>, AppError> {
    let rp = s
        .store
        .recovery_point(&arn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no recovery point {arn:?} has been synced")))?;
    let (copy_jobs, restore_jobs) = s.store.recovery_point_jobs(&arn).await?;
    let (restore_metadata, restore_metadata_error) = if rp.gone_at.is_some() {
        (None, Some("the recovery point is gone from its vault".to_string()))
    } else {
        match s.syncer.restore_metadata(&rp).await {
            Ok(m) => (Some(m), None),
            Err(e) => (None, Some(e)),
        }
    };
    Ok(Json(RecoveryPointDetail {
        recovery_point: rp,
        restore_metadata,
        restore_metadata_error,
        copy_jobs,
        restore_jobs,
    }))
}

/// A resource's completed restores with p50, p95 and the longest, against its
/// RTO target (per resource, per type, or `assurance.rto_minutes`).
#[utoipa::path(get, path = "/api/v1/protected-resources/{arn}/restore-times",
    params(("arn" = String, Path, description = "The resource ARN, URL-encoded.")),
    responses((status = 200, body = shared::ResourceRestoreTimes)))]
pub async fn restore_times(
    State(s): State<AppState>,
    Path(arn): Path<String>,
) -> Result<Json<shared::ResourceRestoreTimes>, AppError> {
    let rows = s.store.restore_durations(&arn).await?;
    let resource = crate::assurance::runbooks::resource(&s, &arn).await.ok();
    let targets = s.store.targets(&s.syncer.config().assurance).await?;
    let target = targets.of(resource.as_ref().map(|r| r.resource_type.as_str()).unwrap_or_default(), &arn).rto_minutes;
    let mut minutes: Vec<i64> = rows.iter().map(|r| r.2).collect();
    minutes.sort_unstable();
    let pct = |p: usize| (!minutes.is_empty()).then(|| crate::store::percentile(&minutes, p));
    let p95 = pct(95);
    Ok(Json(shared::ResourceRestoreTimes {
        resource_arn: arn,
        target_minutes: target,
        restores: rows
            .into_iter()
            .map(|(job_id, created, minutes, test)| shared::RestoreDuration {
                job_id,
                created_at: crate::time::rfc3339(created),
                minutes,
                test,
            })
            .collect(),
        p50_minutes: pct(50),
        p95_minutes: p95,
        max_minutes: minutes.last().copied(),
        within_target: p95.map(|p| p <= target),
    }))
}

/// Protected resources outside their RPO target (no backup that recent) or their
/// RTO target (latest restore took longer), with the targets that apply to each.
#[utoipa::path(get, path = "/api/v1/assurance/outside-targets",
    params(("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = shared::Page<shared::OutsideTarget>)))]
pub async fn outside_targets(
    State(s): State<AppState>,
    raw: RawQuery,
) -> Result<Json<shared::Page<shared::OutsideTarget>>, AppError> {
    only(&raw, &["limit", "cursor"])?;
    let limit = number(&raw, "limit", 1..=1000, 100)?;
    let after = match raw.0.get("cursor") {
        Some(c) => Some(
            crate::store::Cursor::decode(c)
                .map_err(|e| AppError::bad("invalid_parameter", format!("cursor: {e}")))?
                .key,
        ),
        None => None,
    };
    let targets = s.store.targets(&s.syncer.config().assurance).await?;
    let (items, next_cursor) = s.store.outside_targets(s.now(), &targets, limit, after.as_deref()).await?;
    Ok(Json(shared::Page { items, next_cursor }))
}

/// Restore-test coverage per account and resource type: resources a restore
/// testing selection names, those with a passed restore test in the last `days` days (default
/// `assurance.untested_days`), those never tested, and the gaps.
#[utoipa::path(get, path = "/api/v1/assurance/coverage",
    params(("days" = Option<i64>, Query, description = "Tested recently means within this many days (1 to 365).")),
    responses((status = 200, body = shared::Coverage)))]
pub async fn coverage(State(s): State<AppState>, raw: RawQuery) -> Result<Json<shared::Coverage>, AppError> {
    only(&raw, &["days"])?;
    let days = number(&raw, "days", 1..=365, s.syncer.config().assurance.untested_days)?;
    Ok(Json(crate::assurance::coverage(&s, days, &|_, _| true).await?))
}
