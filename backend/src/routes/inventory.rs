//! The synced inventory: vaults, recovery points, protected resources, jobs, plans.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::{
    BackupJob, CopyJob, Page, ProtectedResource, RecoveryPoint, ResourceTypes, RestoreJob, RestoreTestingPlan, Vault,
};

use super::params::{list_params, List};
use super::{AppError, AppState};

list_params!(
    /// The filters of the vault and restore testing plan lists.
    AccountRegion { filters: ["account_id", "region"] }
);
list_params!(
    /// The filters of the recovery point list.
    RecoveryPointFilters {
        filters: ["account_id", "region", "vault", "resource_type", "resource_arn", "status", "created_after", "created_before"],
        statuses: ["COMPLETED", "PARTIAL", "DELETING", "EXPIRED", "AVAILABLE", "STOPPED", "CREATING"]
    }
);
list_params!(
    /// The filters of the protected resource list.
    ResourceFilters {
        filters: ["account_id", "region", "resource_type", "resource_arn", "never_tested", "not_tested_days"]
    }
);
list_params!(
    /// The filters of the backup job list.
    BackupJobFilters {
        filters: [
            "account_id", "region", "vault", "resource_type", "resource_arn", "status", "created_after", "created_before",
            "parent_job_id",
        ],
        statuses: ["CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL"]
    }
);
list_params!(
    /// The filters of the copy job list (`vault`: the source vault's ARN).
    CopyJobFilters {
        filters: [
            "account_id", "region", "vault", "resource_type", "resource_arn", "status", "created_after", "created_before",
            "parent_job_id",
        ],
        statuses: ["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"],
        vault_arn_only: true
    }
);
list_params!(
    /// The filters of the restore job list (`vault`: the vault's ARN).
    RestoreJobFilters {
        filters: [
            "account_id", "region", "vault", "resource_type", "resource_arn", "status", "created_after", "created_before",
            "test", "validation_status", "plan_arn", "outcome",
        ],
        statuses: ["PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"],
        vault_arn_only: true
    }
);

fn page<T>((items, next_cursor): (Vec<T>, Option<String>)) -> Json<Page<T>> {
    Json(Page { items, next_cursor })
}

/// A [`Page`] whose items the database rendered as JSON objects already.
fn json_page((items, next_cursor): (String, Option<String>)) -> Response {
    let next_cursor = serde_json::Value::from(next_cursor).to_string();
    let body = format!("{{\"items\":[{items}],\"next_cursor\":{next_cursor}}}");
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Backup vaults of every account and region.
#[utoipa::path(get, path = "/api/v1/vaults", params(AccountRegion), responses((status = 200, body = Page<Vault>)))]
pub async fn vaults(
    State(s): State<AppState>,
    List(q, ..): List<AccountRegion>,
) -> Result<Json<Page<Vault>>, AppError> {
    Ok(page(s.store.list_vaults(&q).await?))
}

/// Recovery points, newest first.
#[utoipa::path(get, path = "/api/v1/recovery-points", params(RecoveryPointFilters),
    responses((status = 200, body = Page<RecoveryPoint>)))]
pub async fn recovery_points(
    State(s): State<AppState>,
    List(q, ..): List<RecoveryPointFilters>,
) -> Result<Response, AppError> {
    Ok(json_page(s.store.recovery_points_json(&q).await?))
}

/// Resources AWS Backup protects, with their last backup and latest restore.
#[utoipa::path(get, path = "/api/v1/protected-resources", params(ResourceFilters),
    responses((status = 200, body = Page<ProtectedResource>)))]
pub async fn protected_resources(
    State(s): State<AppState>,
    List(q, ..): List<ResourceFilters>,
) -> Result<Json<Page<ProtectedResource>>, AppError> {
    Ok(page(s.store.list_protected_resources(&q, s.now()).await?))
}

/// Resource types to choose from: the known ones and those the synced data holds,
/// sorted (a type AWS added after this console was built appears once synced).
#[utoipa::path(get, path = "/api/v1/resource-types", responses((status = 200, body = ResourceTypes)))]
pub async fn resource_types(State(s): State<AppState>) -> Result<Json<ResourceTypes>, AppError> {
    let mut items: Vec<String> = shared::RESOURCE_TYPES.iter().map(|t| t.to_string()).collect();
    items.extend(s.store.held_resource_types().await?.into_iter().filter(|t| !t.is_empty()));
    items.sort();
    items.dedup();
    Ok(Json(ResourceTypes { items }))
}

/// Backup jobs, newest first.
#[utoipa::path(get, path = "/api/v1/backup-jobs", params(BackupJobFilters),
    responses((status = 200, body = Page<BackupJob>)))]
pub async fn backup_jobs(
    State(s): State<AppState>,
    List(q, ..): List<BackupJobFilters>,
) -> Result<Json<Page<BackupJob>>, AppError> {
    Ok(page(s.store.list_backup_jobs(&q).await?))
}

/// Copy jobs, newest first (`vault` is the source vault).
#[utoipa::path(get, path = "/api/v1/copy-jobs", params(CopyJobFilters), responses((status = 200, body = Page<CopyJob>)))]
pub async fn copy_jobs(
    State(s): State<AppState>,
    List(q, ..): List<CopyJobFilters>,
) -> Result<Json<Page<CopyJob>>, AppError> {
    Ok(page(s.store.list_copy_jobs(&q).await?))
}

/// Restore jobs, newest first: restore tests (`test=true`) and other restores.
#[utoipa::path(get, path = "/api/v1/restore-jobs", params(RestoreJobFilters),
    responses((status = 200, body = Page<RestoreJob>)))]
pub async fn restore_jobs(
    State(s): State<AppState>,
    List(q, ..): List<RestoreJobFilters>,
) -> Result<Json<Page<RestoreJob>>, AppError> {
    Ok(page(s.store.list_restore_jobs(&q).await?))
}

/// Restore testing plans with their selections.
#[utoipa::path(get, path = "/api/v1/restore-testing-plans", params(AccountRegion),
    responses((status = 200, body = Page<RestoreTestingPlan>)))]
pub async fn restore_testing_plans(
    State(s): State<AppState>,
    List(q, ..): List<AccountRegion>,
) -> Result<Json<Page<RestoreTestingPlan>>, AppError> {
    Ok(page(s.store.list_plans(&q).await?))
}
