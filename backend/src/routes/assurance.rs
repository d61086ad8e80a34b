//! Assurance endpoints: targets, a resource's RPO history, the coverage trend,
//! runbooks, drills and their schedules.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use shared::{
    CoverageTrend, Drill, DrillFollowups, DrillSchedule, NewDrill, NewDrillSchedule, Page, ResourceRpo, Runbook,
    RunbookNotes, ScheduleGrant, SetTarget, TargetPolicy, TargetScope,
};

use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{cursor_param, Params};
use super::requests::json_body;
use super::{AppError, AppState};
use crate::assurance::runbooks;
use crate::auth::Identity;
use crate::domain::{Targets, MAX_RESOURCE_TARGETS};
use crate::store::{Column, HistoryPoint, Record, Val};
use crate::time::{rfc3339, DAY_MS};

/// Who may read runbooks, drills and their schedules.
const READERS: [&str; 3] = ["operator", "approver", "auditor"];

/// The scope of a target set in the console.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetScopeParams {
    /// `resource_type` or `resource`.
    #[param(value_type = shared::TargetScope, inline)]
    scope_kind: String,
    /// The resource type or the resource ARN.
    scope: String,
}

/// The history window of a resource's RPO.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RpoParams {
    /// History window in days (default 90).
    #[param(minimum = 1, maximum = 365)]
    days: Option<i64>,
}

/// The coverage trend's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendParams {
    /// Days shown (default 90).
    #[param(minimum = 1, maximum = 365)]
    days: Option<i64>,
    /// Tested means within this many days (default `assurance.untested_days`).
    #[param(minimum = 1, maximum = 365)]
    window_days: Option<i64>,
}

/// Which runbook.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunbookParams {
    /// The resource's ARN.
    #[param(pattern = "^arn:aws(-[a-z-]*)?:[^:]+:[^:]*:[^:]*:.+$")]
    resource_arn: String,
    /// The scenario.
    #[param(value_type = shared::Scenario, inline)]
    scenario: String,
}

/// The drill list's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillListParams {
    /// Only drills of this resource.
    #[param(pattern = "^arn:aws(-[a-z-]*)?:[^:]+:[^:]*:[^:]*:.+$")]
    resource_arn: Option<String>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^v1\\.-?[0-9]{1,18}\\.([0-9a-f]{2}){1,2048}$")]
    cursor: Option<String>,
}

async fn targets(s: &AppState) -> Result<Targets, AppError> {
    Ok(s.store.targets(&s.syncer.config().assurance).await?)
}

/// The RPO/RTO policy: defaults, per resource type and per resource.
#[utoipa::path(get, path = "/api/v1/assurance/targets", responses((status = 200, body = TargetPolicy)))]
pub async fn get_targets(State(s): State<AppState>) -> Result<Json<TargetPolicy>, AppError> {
    Ok(Json(targets(&s).await?.policy()))
}

/// Sets a target for a resource type or a resource (admins; audited).
#[utoipa::path(put, path = "/api/v1/assurance/targets", request_body = SetTarget,
    responses((status = 200, body = TargetPolicy), (status = 400, body = shared::ErrorBody),
        (status = 422, description = "A resource not in the inventory, or too many per-resource targets.", body = shared::ErrorBody)))]
pub async fn put_target(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    body: Bytes,
) -> Result<Json<TargetPolicy>, AppError> {
    let actor = id.require(&["admin"])?.to_string();
    let t: SetTarget =
        json_body(&body, r#"{"scope_kind": "resource_type", "scope": "RDS", "rpo_hours": 24, "rto_minutes": 120}"#)?;
    match t.scope_kind {
        TargetScope::ResourceType if shared::is_resource_type(&t.scope) => {}
        TargetScope::ResourceType => {
            return Err(AppError::bad(
                "invalid_parameter",
                format!(
                    "scope: {:?} is not an AWS Backup resource type (1 to 50 letters, digits, spaces, - _ .; e.g. {})",
                    t.scope,
                    shared::RESOURCE_TYPES.join(", ")
                ),
            ))
        }
        TargetScope::Resource if t.scope.starts_with("arn:aws") => {}
        TargetScope::Resource => {
            return Err(AppError::bad("invalid_parameter", format!("scope: {:?} is not an ARN", t.scope)))
        }
    }
    if !(1..=8_760).contains(&t.rpo_hours) || !(1..=43_200).contains(&t.rto_minutes) {
        return Err(AppError::bad(
            "invalid_parameter",
            "rpo_hours from 1 to 8760 (a year) and rto_minutes from 1 to 43200 (30 days)",
        ));
    }
    if t.scope_kind == TargetScope::Resource {
        resource_target_allowed(&s, &t.scope).await?;
    }
    s.store.set_target(&t, &actor, s.now()).await?;
    Ok(Json(targets(&s).await?.policy()))
}

/// A per-resource target names a protected resource of the inventory, and a new one
/// fits under [`MAX_RESOURCE_TARGETS`] (security review, finding 17).
async fn resource_target_allowed(s: &AppState, arn: &str) -> Result<(), AppError> {
    if s.store.owned_protected_resource(arn, s.now()).await?.is_none() {
        return Err(AppError::Unprocessable {
            code: "unknown_resource",
            message: format!(
                "scope: {arn:?} is not a protected resource in the inventory (GET /api/v1/protected-resources)"
            ),
        });
    }
    let (set, replaced) = s.store.resource_targets(arn).await?;
    if !replaced && set >= MAX_RESOURCE_TARGETS {
        return Err(AppError::Unprocessable {
            code: "too_many_targets",
            message: format!(
                "at most {MAX_RESOURCE_TARGETS} per-resource targets: remove one, or set a target per resource type"
            ),
        });
    }
    Ok(())
}

/// Removes a target set in the console (admins; audited); the config's or the default applies again.
#[utoipa::path(delete, path = "/api/v1/assurance/targets",
    params(TargetScopeParams),
    responses((status = 204), (status = 404, body = shared::ErrorBody)))]
pub async fn delete_target(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(q): Params<TargetScopeParams>,
) -> Result<StatusCode, AppError> {
    let actor = id.require(&["admin"])?.to_string();
    let (kind, scope) = (q.scope_kind.as_str(), q.scope.as_str());
    if s.store.remove_target(kind, scope, &actor, s.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("no target set in the console for {kind} {scope}")))
    }
}

/// A resource's RPO: the newest backup and the newest copy in a central vault
/// against its target, every recovery point over `days` and the gaps.
#[utoipa::path(get, path = "/api/v1/protected-resources/{arn}/rpo",
    params(("arn" = String, Path, description = "The resource ARN, URL-encoded."), RpoParams),
    responses((status = 200, body = ResourceRpo)))]
pub async fn resource_rpo(
    State(s): State<AppState>,
    Path(arn): Path<String>,
    Params(q): Params<RpoParams>,
) -> Result<Json<ResourceRpo>, AppError> {
    let days = q.days.unwrap_or(90);
    let resource = runbooks::resource(&s, &arn).await?;
    let cfg = &s.syncer.config().assurance;
    let target_hours = targets(&s).await?.of(&resource.resource_type, &arn).rpo_hours;
    let now = s.now();
    let since = now - days * DAY_MS;
    let central = |account: &str, vault: &str| crate::assurance::is_central(cfg, &resource.account_id, account, vault);
    let history = s.store.recovery_point_history(&arn, since).await?;
    let backups: Vec<i64> =
        history.iter().filter(|h| h.account_id == resource.account_id).map(|h| h.created_at).collect();
    let copies: Vec<&HistoryPoint> = history.iter().filter(|h| central(&h.account_id, &h.vault_arn)).collect();
    let backup_before =
        s.store.recovery_point_before(&arn, &resource.account_id, true, since).await?.map(|b| b.created_at);
    let copy_before = crate::assurance::newest_central_copy(&s.store, cfg, &arn, &resource.account_id, since).await?;
    let target_ms = target_hours * 3_600_000;
    let (backup_points, mut gaps) = crate::assurance::rpo_series("backup", &backups, backup_before, now, target_ms);
    let copy_times: Vec<i64> = copies.iter().map(|c| c.created_at).collect();
    let (copy_points, copy_gaps) =
        crate::assurance::rpo_series("copy", &copy_times, copy_before.as_ref().map(|c| c.created_at), now, target_ms);
    gaps.extend(copy_gaps);
    gaps.sort_by(|a, b| a.from.cmp(&b.from));
    let newest_backup = backups.last().copied().or(backup_before);
    let newest_copy = copies.last().map(|c| (*c).clone()).or(copy_before);
    let age = |t: Option<i64>| t.map(|t| (now - t).max(0) / 60_000);
    Ok(Json(ResourceRpo {
        resource_arn: arn,
        target_hours,
        days,
        newest_backup_at: newest_backup.map(rfc3339),
        backup_age_minutes: age(newest_backup),
        newest_copy_at: newest_copy.as_ref().map(|c| rfc3339(c.created_at)),
        newest_copy_vault_arn: newest_copy.as_ref().map(|c| c.vault_arn.clone()),
        copy_age_minutes: age(newest_copy.as_ref().map(|c| c.created_at)),
        within_target: newest_backup.is_some_and(|t| now - t <= target_ms),
        copy_within_target: newest_copy.as_ref().is_some_and(|c| now - c.created_at <= target_ms),
        backups: backup_points,
        copies: copy_points,
        gaps,
    }))
}

/// Coverage over time: per day, resources restored by a restore test (and those a validator
/// passed) in the window before it.
#[utoipa::path(get, path = "/api/v1/assurance/coverage-trend",
    params(TrendParams), responses((status = 200, body = CoverageTrend)))]
pub async fn coverage_trend(
    State(s): State<AppState>,
    Params(q): Params<TrendParams>,
) -> Result<Json<CoverageTrend>, AppError> {
    let days = q.days.unwrap_or(90);
    let window_days = q.window_days.unwrap_or(s.config.assurance.untested_days);
    let now = s.now();
    let inputs = crate::assurance::coverage_inputs(&s, now - (days + window_days) * DAY_MS).await?;
    let points = crate::assurance::coverage_trend(&inputs, now, days, window_days);
    Ok(Json(CoverageTrend { window_days, points }))
}

async fn load_runbook(s: &AppState, q: &RunbookParams) -> Result<Runbook, AppError> {
    let plan = runbooks::plan(s, &q.scenario, &q.resource_arn, "restored").await?;
    runbooks::runbook(s, plan).await
}

/// The runbook of a scenario for a resource, generated from the live state.
#[utoipa::path(get, path = "/api/v1/runbooks",
    params(RunbookParams),
    responses((status = 200, body = Runbook), (status = 404, body = shared::ErrorBody), (status = 422, body = shared::ErrorBody)))]
pub async fn runbook(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(q): Params<RunbookParams>,
) -> Result<Json<Runbook>, AppError> {
    id.require(&READERS)?;
    Ok(Json(load_runbook(&s, &q).await?))
}

/// The same runbook as a Markdown file.
#[utoipa::path(get, path = "/api/v1/runbooks/markdown",
    params(RunbookParams),
    responses((status = 200, content_type = "text/markdown", body = String), (status = 404, body = shared::ErrorBody),
        (status = 422, body = shared::ErrorBody)))]
pub async fn runbook_markdown(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(q): Params<RunbookParams>,
) -> Result<Response, AppError> {
    id.require(&READERS)?;
    let rb = load_runbook(&s, &q).await?;
    let file =
        format!("runbook-{}-{}.md", rb.scenario, rb.resource_arn.rsplit(['/', ':']).next().unwrap_or("resource"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        runbooks::markdown(&rb),
    )
        .into_response())
}

/// Saves the team's notes of a runbook (operators and admins; audited).
#[utoipa::path(put, path = "/api/v1/runbooks/notes", request_body = RunbookNotes,
    responses((status = 204), (status = 404, body = shared::ErrorBody), (status = 422, body = shared::ErrorBody)))]
pub async fn put_runbook_notes(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let actor = id.require(&["operator"])?.to_string();
    let n: RunbookNotes = json_body(
        &body,
        r#"{"scenario": "dynamodb_restore", "resource_arn": "arn:aws:dynamodb:...", "notes": "..."}"#,
    )?;
    if n.notes.len() > 100_000 {
        return Err(AppError::bad("invalid_parameter", "notes: at most 100,000 bytes"));
    }
    let resource = runbooks::resource(&s, &n.resource_arn).await?;
    runbooks::check_scenario(n.scenario.as_str(), &resource.resource_type)?;
    s.store.set_runbook_notes(n.scenario.as_str(), &n.resource_arn, &n.notes, &actor, s.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Drills, newest first: `resource_arn`, `limit`, `cursor`.
#[utoipa::path(get, path = "/api/v1/drills", params(DrillListParams), responses((status = 200, body = Page<Drill>)))]
pub async fn list_drills(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(q): Params<DrillListParams>,
) -> Result<Json<Page<Drill>>, AppError> {
    id.require(&READERS)?;
    let cursor = q.cursor.as_deref().map(cursor_param).transpose()?;
    let (rows, next_cursor) =
        s.store.list_drills(q.resource_arn.as_deref(), None, q.limit.unwrap_or(50), cursor.as_ref()).await?;
    Ok(Json(Page { items: rows.into_iter().map(|d| d.into_dto()).collect::<Result<_, _>>()?, next_cursor }))
}

/// Starts a drill now: files the runbook's request for approval (operators).
#[utoipa::path(post, path = "/api/v1/drills", request_body = NewDrill,
    responses((status = 201, body = Drill), (status = 404, body = shared::ErrorBody), (status = 422, body = shared::ErrorBody)))]
pub async fn create_drill(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let requester = id.require(&["operator"])?.to_string();
    let input: NewDrill = json_body(
        &body,
        r#"{"resource_arn": "arn:aws:dynamodb:...", "scenario": "dynamodb_restore", "retention_minutes": 60}"#,
    )?;
    let drill = crate::assurance::drills::start(&s, &requester, &id.display_name(), &input, None).await?;
    Ok((StatusCode::CREATED, Json(drill.into_dto()?)).into_response())
}

/// A drill's report.
#[utoipa::path(get, path = "/api/v1/drills/{id}", responses((status = 200, body = Drill), (status = 404, body = shared::ErrorBody)))]
pub async fn get_drill(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(drill): Path<String>,
) -> Result<Json<Drill>, AppError> {
    id.require(&READERS)?;
    let row = s.store.drill(&drill).await?.ok_or_else(|| AppError::NotFound(format!("no drill {drill}")))?;
    Ok(Json(row.into_dto()?))
}

/// Writes the follow-ups of a drill report (operators and approvers; audited).
#[utoipa::path(put, path = "/api/v1/drills/{id}/followups", request_body = DrillFollowups,
    responses((status = 200, body = Drill)))]
pub async fn put_followups(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(drill): Path<String>,
    body: Bytes,
) -> Result<Json<Drill>, AppError> {
    let actor = id.require(&["operator", "approver"])?.to_string();
    let input: DrillFollowups = json_body(&body, r#"{"followups": "..."}"#)?;
    if input.followups.len() > 20_000 {
        return Err(AppError::bad("invalid_parameter", "followups: at most 20,000 bytes"));
    }
    let row = s.store.drill(&drill).await?.ok_or_else(|| AppError::NotFound(format!("no drill {drill}")))?;
    // The audit log keeps every version: the new text and the one it replaces.
    let previous = row.followups.clone();
    let details = serde_json::json!({"followups": input.followups, "followups_sha256": crate::digest::sha256_hex(&input.followups),
        "previous": previous, "previous_sha256": previous.as_deref().map(crate::digest::sha256_hex)});
    let sets = [(Column::Followups, Val::from(input.followups))];
    let status = row.status.as_str();
    if !s
        .store
        .transition(Record::Drill(&drill), &[status], status, &sets, s.now(), &actor, "drill.followups_saved", details)
        .await?
    {
        return Err(AppError::Conflict("the drill moved on meanwhile; try again".into()));
    }
    let row = s.store.drill(&drill).await?.ok_or_else(|| AppError::NotFound(format!("no drill {drill}")))?;
    Ok(Json(row.into_dto()?))
}

/// Drill schedules.
#[utoipa::path(get, path = "/api/v1/drill-schedules", responses((status = 200, body = Vec<DrillSchedule>)))]
pub async fn list_schedules(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
) -> Result<Json<Vec<DrillSchedule>>, AppError> {
    id.require(&READERS)?;
    Ok(Json(s.store.list_schedules().await?))
}

/// Schedules a drill every `every_hours` (operators; the creator files the requests, so
/// someone else approves them).
#[utoipa::path(post, path = "/api/v1/drill-schedules", request_body = NewDrillSchedule,
    responses((status = 201, body = DrillSchedule), (status = 404, body = shared::ErrorBody), (status = 422, body = shared::ErrorBody)))]
pub async fn create_schedule(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let creator = id.require(&["operator"])?.to_string();
    let input: NewDrillSchedule = json_body(
        &body,
        r#"{"resource_arn": "arn:aws:dynamodb:...", "scenario": "dynamodb_restore", "every_hours": 720, "first_at": "2026-12-01T09:00:00Z"}"#,
    )?;
    if !(1..=8_760).contains(&input.every_hours) {
        return Err(AppError::bad("invalid_parameter", "every_hours: from 1 to 8760 (a year)"));
    }
    let retention = input.retention_minutes.unwrap_or(s.syncer.config().assurance.drill_retention_minutes);
    if !(1..=10_080).contains(&retention) {
        return Err(AppError::bad("invalid_parameter", "retention_minutes: from 1 to 10080 (a week)"));
    }
    let resource = runbooks::resource(&s, &input.resource_arn).await?;
    runbooks::check_scenario(input.scenario.as_str(), &resource.resource_type)?;
    let now = s.now();
    let first = match &input.first_at {
        Some(t) => crate::time::parse(t)
            .ok_or_else(|| AppError::bad("invalid_parameter", format!("first_at: {t:?} is not an RFC 3339 time")))?,
        None => now,
    };
    let ends_at = match &input.ends_at {
        Some(t) => Some(crate::time::parse(t).filter(|end| *end >= first).ok_or_else(|| {
            AppError::bad(
                "invalid_parameter",
                format!("ends_at: {t:?} is not an RFC 3339 time at or after the first run"),
            )
        })?),
        None => None,
    };
    let mut schedule = DrillSchedule {
        id: uuid::Uuid::new_v4().to_string(),
        scenario: input.scenario,
        resource_arn: input.resource_arn,
        every_hours: input.every_hours,
        next_at: rfc3339(first),
        retention_minutes: retention,
        created_by: creator,
        enabled: true,
        ends_at: ends_at.map(rfc3339),
        grant_id: None,
    };
    schedule.grant_id = Some(s.store.insert_schedule(&schedule, first, ends_at, &id.display_name(), now).await?);
    Ok((StatusCode::CREATED, Json(schedule)).into_response())
}

/// Turns a schedule off (its creator or an admin; audited).
#[utoipa::path(delete, path = "/api/v1/drill-schedules/{id}",
    responses((status = 204), (status = 403, body = shared::ErrorBody), (status = 404, body = shared::ErrorBody)))]
pub async fn delete_schedule(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(schedule): Path<String>,
) -> Result<StatusCode, AppError> {
    let actor = id.require(&["operator"])?.to_string();
    let Some(row) = s.store.schedule(&schedule).await?.filter(|r| r.enabled) else {
        return Err(AppError::NotFound(format!("no enabled drill schedule {schedule}")));
    };
    if row.created_by != actor && !id.has("admin") {
        return Err(AppError::Forbidden(format!(
            "drill schedule {schedule} is {}'s: only its creator or an admin turns it off",
            row.created_by
        )));
    }
    if s.store.disable_schedule(&schedule, &actor, s.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("no enabled drill schedule {schedule}")))
    }
}

/// The grants drill schedules run under: one per person with schedules, until revoked.
#[utoipa::path(get, path = "/api/v1/schedule-grants", responses((status = 200, body = Vec<ScheduleGrant>)))]
pub async fn list_schedule_grants(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
) -> Result<Json<Vec<ScheduleGrant>>, AppError> {
    id.require(&READERS)?;
    Ok(Json(s.store.list_schedule_grants().await?))
}

/// Revokes a grant (admins; audited): the schedules made under it stop filing
/// requests; their creator's next schedule needs the operator role again.
#[utoipa::path(delete, path = "/api/v1/schedule-grants/{id}",
    responses((status = 204), (status = 403, body = shared::ErrorBody), (status = 404, body = shared::ErrorBody)))]
pub async fn revoke_schedule_grant(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(grant): Path<String>,
) -> Result<StatusCode, AppError> {
    let actor = id.require(&["admin"])?.to_string();
    if s.store.revoke_schedule_grant(&grant, &actor, s.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("no live schedule grant {grant}")))
    }
}
