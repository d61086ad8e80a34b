//! The sandbox's own control API under `/_sandbox/`: faults, the clock, running a
//! restore testing plan now, and a summary of the world. Not an AWS API.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::protocol::iso8601;
use super::{lock, Faults, Sandbox, Throttle};

type Shared = State<Arc<Sandbox>>;

pub fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/_sandbox/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/_sandbox/faults", get(get_faults).put(put_faults))
        .route("/_sandbox/throttle", get(get_throttle).put(put_throttle))
        .route("/_sandbox/clock", get(get_clock).put(put_clock))
        .route("/_sandbox/clock/advance", post(advance_clock))
        .route("/_sandbox/restore-testing-plans/run", post(run_plan))
        .route("/_sandbox/world", get(world_summary))
        .route("/_sandbox/resources", get(resources))
}

/// An admin API error, rendered in the console's error envelope.
struct AdminError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": { "code": self.code, "message": self.message } }))).into_response()
    }
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> AdminError {
    AdminError { status, code, message: message.into() }
}

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, AdminError> {
    payload.map(|Json(v)| v).map_err(|e| error(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))
}

async fn get_faults(State(s): Shared) -> Json<Faults> {
    Json(lock(&s.faults).clone())
}

async fn put_faults(
    State(s): Shared,
    payload: Result<Json<Faults>, JsonRejection>,
) -> Result<Json<Faults>, AdminError> {
    let faults = body(payload)?;
    faults.validate().map_err(|message| error(StatusCode::BAD_REQUEST, "invalid_faults", message))?;
    tracing::info!(?faults, "sandbox faults changed");
    *lock(&s.faults) = faults.clone();
    Ok(Json(faults))
}

fn throttle_json(s: &Sandbox) -> Value {
    let buckets = lock(&s.throttle);
    json!({ "settings": buckets.settings(), "refused": buckets.refused() })
}

async fn get_throttle(State(s): Shared) -> Json<Value> {
    Json(throttle_json(&s))
}

async fn put_throttle(
    State(s): Shared,
    payload: Result<Json<Throttle>, JsonRejection>,
) -> Result<Json<Value>, AdminError> {
    let settings = body(payload)?;
    settings.validate().map_err(|message| error(StatusCode::BAD_REQUEST, "invalid_throttle", message))?;
    tracing::info!(?settings, "sandbox request rates changed");
    s.set_throttle(settings);
    Ok(Json(throttle_json(&s)))
}

fn clock_json(s: &Sandbox) -> Value {
    let now = s.clock.now();
    json!({ "now": iso8601(now), "now_ms": now, "time_scale": s.clock.scale() })
}

async fn get_clock(State(s): Shared) -> Json<Value> {
    Json(clock_json(&s))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScaleInput {
    time_scale: f64,
}

async fn put_clock(
    State(s): Shared,
    payload: Result<Json<ScaleInput>, JsonRejection>,
) -> Result<Json<Value>, AdminError> {
    let input = body(payload)?;
    if !(input.time_scale > 0.0 && input.time_scale <= 1_000_000.0) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_time_scale",
            "time_scale must be above 0 and at most 1000000",
        ));
    }
    s.clock.set_scale(input.time_scale);
    Ok(Json(clock_json(&s)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceInput {
    seconds: f64,
}

async fn advance_clock(
    State(s): Shared,
    payload: Result<Json<AdvanceInput>, JsonRejection>,
) -> Result<Json<Value>, AdminError> {
    let input = body(payload)?;
    if !(input.seconds >= 0.0 && input.seconds <= 400.0 * 86_400.0) {
        return Err(error(StatusCode::BAD_REQUEST, "invalid_seconds", "seconds must be from 0 to 400 days"));
    }
    s.clock.advance((input.seconds * 1000.0) as i64);
    let now = s.clock.now();
    drop(s.write_at(now));
    Ok(Json(clock_json(&s)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunPlanInput {
    account_id: String,
    region: String,
    plan_name: String,
}

async fn run_plan(
    State(s): Shared,
    payload: Result<Json<RunPlanInput>, JsonRejection>,
) -> Result<Json<Value>, AdminError> {
    let input = body(payload)?;
    let now = s.clock.now();
    let mut world = s.write_at(now);
    let account = world
        .account(&input.account_id)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "unknown_account", format!("no account {}", input.account_id)))?;
    let plan = world.region(account, &input.region).and_then(|r| r.plan_by_name(&input.plan_name));
    let plan = plan.ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "unknown_plan",
            format!("no restore testing plan {} in {} {}", input.plan_name, input.account_id, input.region),
        )
    })?;
    let jobs = world.run_plan(now, account, &input.region, plan);
    Ok(Json(json!({ "restore_job_ids": jobs, "started_at": iso8601(now) })))
}

/// The resources that exist in the world now (protected ones, and what restores
/// created and nobody deleted): ARN by account, so that tests can see a restore's result.
async fn resources(State(s): Shared) -> Json<Value> {
    let world = s.read();
    let mut arns: Vec<&String> =
        world.accounts.iter().flat_map(|a| a.regions.values()).flat_map(|r| r.names.values()).collect();
    arns.sort();
    Json(json!({ "resources": arns }))
}

async fn world_summary(State(s): Shared) -> Json<Value> {
    let accounts = s.accounts();
    let recovery_points = s.recovery_point_count();
    Json(json!({
        "clock": clock_json(&s),
        "recovery_points": recovery_points,
        "aws_requests": s.requests(),
        "aws_requests_by_operation": s.operations(),
        "sessions_issued": s.read().sessions.len(),
        "accounts": accounts,
    }))
}
