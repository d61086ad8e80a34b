//! The Overview's posture, restore tests per day, and one recovery point in detail.

use axum::extract::{Path, State};
use axum::Json;
use shared::{DailyTests, Overview, RecoveryPointDetail};

use serde::Deserialize;
use utoipa::IntoParams;

use super::params::Params;
use super::{AppError, AppState};
use crate::store::TestScope;

/// The Overview's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewParams {
    /// Days after which a resource counts as not tested recently (default 30).
    #[param(minimum = 1, maximum = 365)]
    stale_after_days: Option<i64>,
}

/// The parameters of restore tests per day.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyParams {
    /// How many days up to today (default 90).
    #[param(minimum = 1, maximum = 366)]
    days: Option<i64>,
    /// 12-digit AWS account id.
    #[param(pattern = "^[0-9]{12}$")]
    account_id: Option<String>,
    /// Restore testing plan ARN.
    #[param(pattern = "^arn:aws(-[a-z-]*)?:[^:]+:[^:]*:[^:]*:.+$")]
    plan_arn: Option<String>,
}

/// A page of a list kept in the console's order.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^v1\\.-?[0-9]{1,18}\\.([0-9a-f]{2}){1,2048}$")]
    cursor: Option<String>,
}

/// The coverage's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageParams {
    /// Tested recently means within this many days (default `assurance.untested_days`).
    #[param(minimum = 1, maximum = 365)]
    days: Option<i64>,
}

/// Posture across every account: restore tests per day over 90 days, the latest
/// failures, untested resources, newest-backup ages (RPO), restore times (RTO).
#[utoipa::path(get, path = "/api/v1/overview", params(OverviewParams), responses((status = 200, body = Overview)))]
pub async fn overview(
    State(s): State<AppState>,
    Params(q): Params<OverviewParams>,
) -> Result<Json<Overview>, AppError> {
    let stale = q.stale_after_days.unwrap_or(30);
    Ok(Json(s.store.overview(s.now(), stale).await?))
}

/// Restore tests passed and failed per UTC day, oldest first.
#[utoipa::path(get, path = "/api/v1/restore-tests/daily", params(DailyParams),
    responses((status = 200, body = Vec<DailyTests>)))]
pub async fn daily_tests(
    State(s): State<AppState>,
    Params(q): Params<DailyParams>,
) -> Result<Json<Vec<DailyTests>>, AppError> {
    let scope = TestScope { account_id: q.account_id, plan_arn: q.plan_arn };
    Ok(Json(s.store.daily_tests(s.now(), q.days.unwrap_or(90), &scope).await?))
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
    let restore_fields = crate::actions::restore_fields(&rp.resource_type);
    Ok(Json(RecoveryPointDetail {
        recovery_point: rp,
        restore_metadata,
        restore_metadata_error,
        restore_fields,
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
#[utoipa::path(get, path = "/api/v1/assurance/outside-targets", params(PageParams),
    responses((status = 200, body = shared::Page<shared::OutsideTarget>)))]
pub async fn outside_targets(
    State(s): State<AppState>,
    Params(q): Params<PageParams>,
) -> Result<Json<shared::Page<shared::OutsideTarget>>, AppError> {
    let limit = q.limit.unwrap_or(100);
    let after = q.cursor.as_deref().map(super::params::cursor_param).transpose()?.map(|c| c.key);
    let targets = s.store.targets(&s.syncer.config().assurance).await?;
    let (items, next_cursor) = s.store.outside_targets(s.now(), &targets, limit, after.as_deref()).await?;
    Ok(Json(shared::Page { items, next_cursor }))
}

/// Restore-test coverage per account and resource type: resources a restore
/// testing selection names, those with a passed restore test in the last `days` days (default
/// `assurance.untested_days`), those never tested, and the gaps.
#[utoipa::path(get, path = "/api/v1/assurance/coverage", params(CoverageParams),
    responses((status = 200, body = shared::Coverage)))]
pub async fn coverage(
    State(s): State<AppState>,
    Params(q): Params<CoverageParams>,
) -> Result<Json<shared::Coverage>, AppError> {
    let days = q.days.unwrap_or(s.config.assurance.untested_days);
    Ok(Json(crate::assurance::coverage(&s, days, &|_, _| true).await?))
}
