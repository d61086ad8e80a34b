//! The synced inventory: vaults, recovery points, protected resources, jobs, plans.

use axum::extract::State;
use axum::Json;
use shared::{BackupJob, CopyJob, Page, ProtectedResource, RecoveryPoint, RestoreJob, RestoreTestingPlan, Vault};

use super::params::{parse, ListParams, RawQuery};
use super::{AppError, AppState};

const RECOVERY_POINT_STATUSES: [&str; 7] =
    ["COMPLETED", "PARTIAL", "DELETING", "EXPIRED", "AVAILABLE", "STOPPED", "CREATING"];
const BACKUP_JOB_STATUSES: [&str; 9] =
    ["CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL"];
const COPY_JOB_STATUSES: [&str; 5] = ["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"];
const RESTORE_JOB_STATUSES: [&str; 5] = ["PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"];
const JOB_FILTERS: [&str; 8] =
    ["account_id", "region", "vault", "resource_type", "resource_arn", "status", "created_after", "created_before"];

fn page<T>((items, next_cursor): (Vec<T>, Option<String>)) -> Json<Page<T>> {
    Json(Page { items, next_cursor })
}

/// Backup vaults of every account and region.
#[utoipa::path(get, path = "/api/v1/vaults", params(ListParams),
    responses((status = 200, body = Page<Vault>), (status = 400, body = shared::ErrorBody)))]
pub async fn vaults(State(s): State<AppState>, raw: RawQuery) -> Result<Json<Page<Vault>>, AppError> {
    let q = parse(&raw, &["account_id", "region"], &[])?;
    Ok(page(s.store.list_vaults(&q).await?))
}

/// Recovery points, newest first.
#[utoipa::path(get, path = "/api/v1/recovery-points", params(ListParams),
    responses((status = 200, body = Page<RecoveryPoint>), (status = 400, body = shared::ErrorBody)))]
pub async fn recovery_points(State(s): State<AppState>, raw: RawQuery) -> Result<Json<Page<RecoveryPoint>>, AppError> {
    let q = parse(&raw, &JOB_FILTERS, &RECOVERY_POINT_STATUSES)?;
    Ok(page(s.store.list_recovery_points(&q).await?))
}

/// Resources AWS Backup protects, with their last backup and latest restore.
#[utoipa::path(get, path = "/api/v1/protected-resources", params(ListParams),
    responses((status = 200, body = Page<ProtectedResource>), (status = 400, body = shared::ErrorBody)))]
pub async fn protected_resources(
    State(s): State<AppState>,
    raw: RawQuery,
) -> Result<Json<Page<ProtectedResource>>, AppError> {
    let q = parse(
        &raw,
        &["account_id", "region", "resource_type", "resource_arn", "never_tested", "not_tested_days"],
        &[],
    )?;
    Ok(page(s.store.list_protected_resources(&q, s.now()).await?))
}

/// Backup jobs, newest first.
#[utoipa::path(get, path = "/api/v1/backup-jobs", params(ListParams),
    responses((status = 200, body = Page<BackupJob>), (status = 400, body = shared::ErrorBody)))]
pub async fn backup_jobs(State(s): State<AppState>, raw: RawQuery) -> Result<Json<Page<BackupJob>>, AppError> {
    let q = parse(&raw, &JOB_FILTERS, &BACKUP_JOB_STATUSES)?;
    Ok(page(s.store.list_backup_jobs(&q).await?))
}

/// Copy jobs, newest first (`vault` is the source vault).
#[utoipa::path(get, path = "/api/v1/copy-jobs", params(ListParams),
    responses((status = 200, body = Page<CopyJob>), (status = 400, body = shared::ErrorBody)))]
pub async fn copy_jobs(State(s): State<AppState>, raw: RawQuery) -> Result<Json<Page<CopyJob>>, AppError> {
    let q = parse(&raw, &JOB_FILTERS, &COPY_JOB_STATUSES)?;
    if q.vault.as_ref().is_some_and(|v| !v.starts_with("arn:")) {
        return Err(AppError::bad("invalid_parameter", "vault: copy jobs are filtered by the source vault's ARN"));
    }
    Ok(page(s.store.list_copy_jobs(&q).await?))
}

/// Restore jobs, newest first: restore tests (`test=true`) and other restores.
#[utoipa::path(get, path = "/api/v1/restore-jobs", params(ListParams),
    responses((status = 200, body = Page<RestoreJob>), (status = 400, body = shared::ErrorBody)))]
pub async fn restore_jobs(State(s): State<AppState>, raw: RawQuery) -> Result<Json<Page<RestoreJob>>, AppError> {
    let mut filters = JOB_FILTERS.to_vec();
    filters.extend(["test", "validation_status", "plan_arn", "outcome"]);
    let q = parse(&raw, &filters, &RESTORE_JOB_STATUSES)?;
    if q.vault.as_ref().is_some_and(|v| !v.starts_with("arn:")) {
        return Err(AppError::bad("invalid_parameter", "vault: restore jobs are filtered by the vault's ARN"));
    }
    Ok(page(s.store.list_restore_jobs(&q).await?))
}

/// Restore testing plans with their selections.
#[utoipa::path(get, path = "/api/v1/restore-testing-plans", params(ListParams),
    responses((status = 200, body = Page<RestoreTestingPlan>), (status = 400, body = shared::ErrorBody)))]
pub async fn restore_testing_plans(
    State(s): State<AppState>,
    raw: RawQuery,
) -> Result<Json<Page<RestoreTestingPlan>>, AppError> {
    let q = parse(&raw, &["account_id", "region"], &[])?;
    Ok(page(s.store.list_plans(&q).await?))
}
