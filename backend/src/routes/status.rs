//! Accounts and their sync status, the summary, starting and watching syncs, readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use shared::{Account, Page, Summary, SyncProgress};

use super::{AppError, AppState};

/// Registered accounts with the sync status of each region.
#[utoipa::path(get, path = "/api/v1/accounts", responses((status = 200, body = Page<Account>)))]
pub async fn accounts(State(s): State<AppState>) -> Result<Json<Page<Account>>, AppError> {
    Ok(Json(Page { items: s.store.list_accounts().await?, next_cursor: None }))
}

/// Per account: counts, restore tests passed and failed in the last 30 days, resources never tested.
#[utoipa::path(get, path = "/api/v1/summary", responses((status = 200, body = Summary)))]
pub async fn summary(State(s): State<AppState>) -> Result<Json<Summary>, AppError> {
    Ok(Json(Summary { accounts: s.store.summary(s.now()).await? }))
}

/// The progress of the running sync, or how the last one ended.
#[utoipa::path(get, path = "/api/v1/sync", responses((status = 200, body = SyncProgress)))]
pub async fn get_sync(State(s): State<AppState>) -> Json<SyncProgress> {
    Json(s.syncer.progress())
}

/// Starts a sync now (202), unless one is running (409).
#[utoipa::path(post, path = "/api/v1/sync",
    responses((status = 202, body = SyncProgress), (status = 401, body = shared::ErrorBody), (status = 409, body = shared::ErrorBody)))]
pub async fn post_sync(
    State(s): State<AppState>,
    axum::Extension(id): axum::Extension<crate::auth::Identity>,
) -> Result<impl IntoResponse, AppError> {
    let actor = id.require(&["operator", "approver"])?;
    let Some(sync) = s.syncer.begin() else {
        return Err(AppError::Conflict("a sync is already running; GET /api/v1/sync shows its progress".into()));
    };
    // On record before it starts: a sync whose audit record failed never runs.
    s.store.audit_now(s.now(), actor, "sync.started", "sync", serde_json::json!({})).await?;
    sync.run();
    Ok((StatusCode::ACCEPTED, Json(s.syncer.progress())))
}

pub async fn readyz(State(s): State<AppState>) -> Result<&'static str, AppError> {
    s.store.ping().await.map_err(|e| AppError::Unavailable(format!("database not reachable: {e}")))?;
    Ok("ready")
}
