//! The HTTP API: JSON under `/api/v1/`, thin handlers over the store, one error
//! type with one rendering, and an OpenAPI document generated from the handlers.

mod assurance;
mod auth;
mod error;
pub mod evidence;
mod inventory;
mod metrics;
mod middleware;
mod params;
mod posture;
mod requests;
mod status;
mod ui;

use std::ops::Deref;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;

pub use crate::app::AppError;
pub use ui::Ui;

use crate::app::Console;

/// What the handlers share: the console, sign-in, and the evidence packs made in
/// the background for the web page. Handlers reach the console's services through it.
#[derive(Clone)]
pub struct AppState {
    pub console: Console,
    pub auth: Arc<crate::auth::Auth>,
    pub evidence: Arc<evidence::EvidenceJobs>,
}

impl AppState {
    pub fn new(console: Console, auth: Arc<crate::auth::Auth>) -> Self {
        Self { console, auth, evidence: Default::default() }
    }
}

impl Deref for AppState {
    type Target = Console;
    fn deref(&self) -> &Console {
        &self.console
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Recovery Console API", description = "AWS Backup recoverability across an AWS Organization."),
    paths(
        auth::me,
        auth::demo_sign_in,
        requests::create,
        requests::list,
        requests::get,
        requests::approve,
        requests::reject,
        requests::cancel,
        requests::audit,
        requests::verify,
        requests::export,
        status::accounts,
        status::summary,
        posture::overview,
        posture::daily_tests,
        posture::recovery_point,
        posture::restore_times,
        posture::outside_targets,
        posture::coverage,
        assurance::coverage_trend,
        assurance::get_targets,
        assurance::put_target,
        assurance::delete_target,
        assurance::resource_rpo,
        assurance::runbook,
        assurance::runbook_markdown,
        assurance::put_runbook_notes,
        assurance::list_drills,
        assurance::create_drill,
        assurance::get_drill,
        assurance::put_followups,
        assurance::list_schedules,
        assurance::create_schedule,
        assurance::delete_schedule,
        evidence::download,
        evidence::start_job,
        evidence::job,
        evidence::job_download,
        status::get_sync,
        status::post_sync,
        inventory::vaults,
        inventory::recovery_points,
        inventory::protected_resources,
        inventory::backup_jobs,
        inventory::copy_jobs,
        inventory::restore_jobs,
        inventory::restore_testing_plans,
    ),
    components(schemas(shared::ErrorBody, shared::ErrorDetail))
)]
pub struct ApiDoc;

/// The API, and the web UI (built in, or from `ui_dir`): client-side routes get
/// `index.html`, so that a deep link opened directly loads the app.
pub fn router(state: AppState, ui: Ui) -> Router {
    let api_not_found = || async { AppError::NotFound("no such endpoint".into()) };
    let app = Router::new()
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/auth/demo", axum::routing::post(auth::demo_sign_in))
        .route("/auth/login", get(auth::login))
        .route("/auth/callback", get(auth::callback))
        .route("/auth/logout", axum::routing::post(auth::logout))
        .route("/api/v1/requests", get(requests::list).post(requests::create))
        .route("/api/v1/requests/{id}", get(requests::get))
        .route("/api/v1/requests/{id}/approve", axum::routing::post(requests::approve))
        .route("/api/v1/requests/{id}/reject", axum::routing::post(requests::reject))
        .route("/api/v1/requests/{id}/cancel", axum::routing::post(requests::cancel))
        .route("/api/v1/audit", get(requests::audit))
        .route("/api/v1/audit/verify", get(requests::verify))
        .route("/api/v1/audit/export", get(requests::export))
        .route("/api/v1/accounts", get(status::accounts))
        .route("/api/v1/summary", get(status::summary))
        .route("/api/v1/sync", get(status::get_sync).post(status::post_sync))
        .route("/api/v1/vaults", get(inventory::vaults))
        .route("/api/v1/overview", get(posture::overview))
        .route("/api/v1/restore-tests/daily", get(posture::daily_tests))
        .route("/api/v1/recovery-points", get(inventory::recovery_points))
        .route("/api/v1/recovery-points/{arn}", get(posture::recovery_point))
        .route("/api/v1/protected-resources", get(inventory::protected_resources))
        .route("/api/v1/protected-resources/{arn}/restore-times", get(posture::restore_times))
        .route("/api/v1/assurance/outside-targets", get(posture::outside_targets))
        .route("/api/v1/assurance/coverage", get(posture::coverage))
        .route("/api/v1/assurance/coverage-trend", get(assurance::coverage_trend))
        .route(
            "/api/v1/assurance/targets",
            get(assurance::get_targets).put(assurance::put_target).delete(assurance::delete_target),
        )
        .route("/api/v1/protected-resources/{arn}/rpo", get(assurance::resource_rpo))
        .route("/api/v1/runbooks", get(assurance::runbook))
        .route("/api/v1/runbooks/markdown", get(assurance::runbook_markdown))
        .route("/api/v1/runbooks/notes", axum::routing::put(assurance::put_runbook_notes))
        .route("/api/v1/drills", get(assurance::list_drills).post(assurance::create_drill))
        .route("/api/v1/drills/{id}", get(assurance::get_drill))
        .route("/api/v1/drills/{id}/followups", axum::routing::put(assurance::put_followups))
        .route("/api/v1/drill-schedules", get(assurance::list_schedules).post(assurance::create_schedule))
        .route("/api/v1/drill-schedules/{id}", axum::routing::delete(assurance::delete_schedule))
        .route("/api/v1/evidence", get(evidence::download))
        .route("/api/v1/evidence/jobs", axum::routing::post(evidence::start_job))
        .route("/api/v1/evidence/jobs/{id}", get(evidence::job))
        .route("/api/v1/evidence/jobs/{id}/download", get(evidence::job_download))
        .route("/api/v1/backup-jobs", get(inventory::backup_jobs))
        .route("/api/v1/copy-jobs", get(inventory::copy_jobs))
        .route("/api/v1/restore-jobs", get(inventory::restore_jobs))
        .route("/api/v1/restore-testing-plans", get(inventory::restore_testing_plans))
        .route("/api/v1/openapi.json", get(|| async { axum::Json(ApiDoc::openapi()) }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::metrics))
        .route("/readyz", get(status::readyz))
        .route("/api/{*rest}", axum::routing::any(api_not_found));
    // JSON is compressed on the fly; the UI's files are served pre-compressed
    // (scripts/build-frontend.sh writes a .gz beside each) when the browser takes gzip.
    // ZIP files are compressed already.
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    let predicate = DefaultPredicate::new().and(NotForContentType::const_new("application/zip"));
    let app = app.layer(tower_http::compression::CompressionLayer::new().compress_when(predicate));
    let app = match ui {
        Ui::Folder(dir) => {
            let index = tower_http::services::ServeFile::new(dir.join("index.html")).precompressed_gzip();
            app.fallback_service(tower_http::services::ServeDir::new(dir).precompressed_gzip().fallback(index))
        }
        Ui::Embedded => app.fallback(ui::embedded),
    };
    let secure = state.auth.cfg.cookie_secure;
    app.layer(axum::middleware::from_fn_with_state(state.clone(), middleware::authenticate))
        .layer(axum::middleware::from_fn_with_state(secure, middleware::security_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// The API paths the router serves under `/api/v1/` (for the OpenAPI coverage test).
pub const API_PATHS: [&str; 41] = [
    "/api/v1/evidence",
    "/api/v1/evidence/jobs",
    "/api/v1/evidence/jobs/{id}",
    "/api/v1/evidence/jobs/{id}/download",
    "/api/v1/assurance/coverage-trend",
    "/api/v1/assurance/targets",
    "/api/v1/protected-resources/{arn}/rpo",
    "/api/v1/runbooks",
    "/api/v1/runbooks/markdown",
    "/api/v1/runbooks/notes",
    "/api/v1/drills",
    "/api/v1/drills/{id}",
    "/api/v1/drills/{id}/followups",
    "/api/v1/drill-schedules",
    "/api/v1/drill-schedules/{id}",
    "/api/v1/assurance/coverage",
    "/api/v1/protected-resources/{arn}/restore-times",
    "/api/v1/assurance/outside-targets",
    "/api/v1/me",
    "/api/v1/auth/demo",
    "/api/v1/requests",
    "/api/v1/requests/{id}",
    "/api/v1/requests/{id}/approve",
    "/api/v1/requests/{id}/reject",
    "/api/v1/requests/{id}/cancel",
    "/api/v1/audit",
    "/api/v1/audit/verify",
    "/api/v1/audit/export",
    "/api/v1/accounts",
    "/api/v1/summary",
    "/api/v1/overview",
    "/api/v1/restore-tests/daily",
    "/api/v1/recovery-points/{arn}",
    "/api/v1/sync",
    "/api/v1/vaults",
    "/api/v1/recovery-points",
    "/api/v1/protected-resources",
    "/api/v1/backup-jobs",
    "/api/v1/copy-jobs",
    "/api/v1/restore-jobs",
    "/api/v1/restore-testing-plans",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_route_is_in_the_openapi_document() {
        let doc = ApiDoc::openapi();
        for path in API_PATHS {
            assert!(doc.paths.paths.contains_key(path), "{path} has no OpenAPI description");
        }
        assert_eq!(doc.paths.paths.len(), API_PATHS.len(), "the document describes a path the router lacks");
    }
}
