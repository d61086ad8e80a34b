//! The console as the restore-test validator: the checks admins attach to restore
//! testing plans and selections (with the config file's, read-only), and the
//! validations the console ran.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use shared::{Page, RestoreTestCheckRule, RestoreTestChecks, RestoreValidation};
use utoipa::IntoParams;

use super::params::{list_params, List, Params};
use super::requests::json_body;
use super::{AppError, AppState};
use crate::assurance::validator::checks_in_force;
use crate::auth::Identity;

const EXAMPLE: &str = r#"{"plan_arn": "arn:aws:backup:ap-southeast-2:111111111111:restore-testing-plan:daily", "selection_name": "tables", "min_items": 1000, "keys": [{"pk": "order#1", "sk": "current"}]}"#;

/// Which checks to remove.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckScopeParams {
    /// The restore testing plan's ARN.
    #[param(pattern = "^arn:aws(-[a-z-]*)?:[^:]+:[^:]*:[^:]*:.+$")]
    plan_arn: String,
    /// The selection; none: the checks of the whole plan.
    selection_name: Option<String>,
}

list_params!(
    /// The filters of the validation list.
    ValidationFilters { filters: ["account_id", "resource_arn", "plan_arn"] }
);

/// The checks in force: the config file's (`source: config`) and the ones admins
/// set here (`source: console`, which win for the same plan and selection). Admins only.
#[utoipa::path(get, path = "/api/v1/restore-testing/checks",
    responses((status = 200, body = Vec<RestoreTestCheckRule>)))]
pub async fn get_checks(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
) -> Result<Json<Vec<RestoreTestCheckRule>>, AppError> {
    id.require(&["admin"])?;
    Ok(Json(checks_in_force(&s).await?))
}

/// Attaches checks to a restore testing plan, or one of its selections, replacing
/// the ones set here before (admins; audited). Answers the checks in force.
#[utoipa::path(put, path = "/api/v1/restore-testing/checks", request_body = RestoreTestChecks,
    responses((status = 200, body = Vec<RestoreTestCheckRule>)))]
pub async fn put_checks(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    body: Bytes,
) -> Result<Json<Vec<RestoreTestCheckRule>>, AppError> {
    let actor = id.require(&["admin"])?.to_string();
    let checks: RestoreTestChecks = json_body(&body, EXAMPLE)?;
    crate::domain::checks::check(&checks).map_err(|why| AppError::bad("invalid_parameter", why))?;
    s.store.set_checks(&checks, &actor, s.now()).await?;
    Ok(Json(checks_in_force(&s).await?))
}

/// Removes checks set in the console (admins; audited); the config file's, if any, apply again.
#[utoipa::path(delete, path = "/api/v1/restore-testing/checks", params(CheckScopeParams),
    responses((status = 204), (status = 404, body = shared::ErrorBody)))]
pub async fn delete_checks(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(q): Params<CheckScopeParams>,
) -> Result<StatusCode, AppError> {
    let actor = id.require(&["admin"])?.to_string();
    let selection = q.selection_name.as_deref().filter(|n| !n.is_empty());
    if s.store.remove_checks(&q.plan_arn, selection, &actor, s.now()).await? {
        return Ok(StatusCode::NO_CONTENT);
    }
    let scope = selection.map(|n| format!(" selection {n}")).unwrap_or_default();
    Err(AppError::NotFound(format!("no checks set in the console for {}{scope}", q.plan_arn)))
}

/// The restore tests the console validated, newest first: the checks it ran, what
/// it saw and the result it sent to AWS, or why it skipped the test.
#[utoipa::path(get, path = "/api/v1/restore-testing/validations", params(ValidationFilters),
    responses((status = 200, body = Page<RestoreValidation>)))]
pub async fn validations(
    State(s): State<AppState>,
    List(q, ..): List<ValidationFilters>,
) -> Result<Json<Page<RestoreValidation>>, AppError> {
    let (items, next_cursor) = s.store.list_validations(&q).await?;
    Ok(Json(Page { items, next_cursor }))
}
