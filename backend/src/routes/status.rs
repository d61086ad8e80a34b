//! Accounts and their sync status, the summary, starting and watching syncs, readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use shared::{AccountPage, Summary, SyncProgress};
use utoipa::IntoParams;

use super::params::{cursor_param, Params};
use super::{AppError, AppState};
use crate::store::AccountPaging;

/// A page of accounts by id: after `cursor`, or before `before`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountPageParams {
    /// Accounts per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// `next_cursor` of a page: the accounts after it.
    #[param(pattern = "^v1\\.-?[0-9]{1,18}\\.([0-9a-f]{2}){1,2048}$")]
    cursor: Option<String>,
    /// `prev_cursor` of a page: the accounts before it.
    #[param(pattern = "^v1\\.-?[0-9]{1,18}\\.([0-9a-f]{2}){1,2048}$")]
    before: Option<String>,
    /// 12-digit AWS account id: only this account.
    #[param(pattern = "^[0-9]{12}$")]
    account_id: Option<String>,
}

impl AccountPageParams {
    fn paging(self) -> Result<AccountPaging, AppError> {
        if self.cursor.is_some() && self.before.is_some() {
            return Err(AppError::bad("invalid_parameter", "cursor and before: give one of them, not both"));
        }
        let key = |c: Option<String>| c.as_deref().map(cursor_param).transpose().map(|c| c.map(|c| c.key));
        Ok(AccountPaging {
            limit: self.limit.unwrap_or(100),
            after: key(self.cursor)?,
            before: key(self.before)?,
            account_id: self.account_id,
        })
    }
}

/// Registered accounts with the sync status of each region, a page at a time by id.
#[utoipa::path(get, path = "/api/v1/accounts", params(AccountPageParams), responses((status = 200, body = AccountPage)))]
pub async fn accounts(
    State(s): State<AppState>,
    Params(q): Params<AccountPageParams>,
) -> Result<Json<AccountPage>, AppError> {
    let p = s.store.account_page(&q.paging()?).await?;
    Ok(Json(AccountPage { items: p.items, next_cursor: p.next, prev_cursor: p.prev, total: p.total }))
}

/// Per account (a page at a time by id): counts, restore tests passed and failed in
/// the last 30 days, resources never tested.
#[utoipa::path(get, path = "/api/v1/summary", params(AccountPageParams), responses((status = 200, body = Summary)))]
pub async fn summary(
    State(s): State<AppState>,
    Params(q): Params<AccountPageParams>,
) -> Result<Json<Summary>, AppError> {
    let p = s.store.summary_page(s.now(), &q.paging()?).await?;
    Ok(Json(Summary { accounts: p.items, next_cursor: p.next, prev_cursor: p.prev, total: p.total }))
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
