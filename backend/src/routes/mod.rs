//! The HTTP API: JSON under `/api/v1/`, thin handlers over the store, one error
//! type with one rendering, and an OpenAPI document generated from the handlers.

mod assurance;
mod audit_digests;
mod auth;
mod choices;
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
mod validation;

use std::ops::Deref;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
    /// The last `/metrics` text and when it was made (scrapes share it for 30 s).
    pub metrics: Arc<tokio::sync::Mutex<Option<(std::time::Instant, String)>>>,
}

impl AppState {
    pub fn new(console: Console, auth: Arc<crate::auth::Auth>) -> Self {
        Self { console, auth, evidence: Default::default(), metrics: Default::default() }
    }
}

impl Deref for AppState {
    type Target = Console;
    fn deref(&self) -> &Console {
        &self.console
    }
}

/// The document's frame; the paths come from [`api`], the router that serves them.
#[derive(OpenApi)]
#[openapi(
    info(title = "Recovery Console API", description = "AWS Backup recoverability across an AWS Organization."),
    components(schemas(shared::ErrorBody, shared::ErrorDetail))
)]
pub struct ApiDoc;

/// Every operation may answer with the error envelope: 400 (bad input), 401 (no
/// sign-in), 403 (role or CSRF), 404 (no such item, for paths that name one),
/// 409 and 422 where the operation documents them, 500 and 503 (busy, with Retry-After).
struct ErrorAnswers;

impl utoipa::Modify for ErrorAnswers {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::response::ResponseBuilder;
        use utoipa::openapi::{ContentBuilder, Ref};
        let error = |why: &str| {
            ResponseBuilder::new()
                .description(why)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build()
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            let named = path.contains('{');
            for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.delete].into_iter().flatten() {
                let mut add = |code: &str, why: &str| {
                    op.responses.responses.entry(code.to_string()).or_insert_with(|| error(why).into());
                };
                add("400", "Bad input: the message names the parameter or field.");
                add("401", "Not signed in, or a credential that does not hold.");
                add("403", "The role this needs is missing, or the CSRF token.");
                if named {
                    add("404", "No such item.");
                }
                add("500", "The request failed; the server log has the cause.");
                add("503", "The database stayed busy for too long (Retry-After), or a dependency is unavailable.");
            }
        }
    }
}

/// The API's routes with their OpenAPI description, declared once: the router
/// and the document come from this list.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::me))
        .routes(routes!(auth::demo_sign_in))
        .routes(routes!(auth::revoke_sessions))
        .routes(routes!(requests::list, requests::create))
        .routes(routes!(requests::create_testing))
        .routes(routes!(requests::get))
        .routes(routes!(requests::approve))
        .routes(routes!(requests::reject))
        .routes(routes!(requests::cancel))
        .routes(routes!(requests::audit))
        .routes(routes!(requests::verify))
        .routes(routes!(requests::export))
        .routes(routes!(audit_digests::make_digest))
        .routes(routes!(status::accounts))
        .routes(routes!(status::summary))
        .routes(routes!(choices::choices))
        .routes(routes!(inventory::resource_types))
        .routes(routes!(status::get_sync, status::post_sync))
        .routes(routes!(inventory::vaults))
        .routes(routes!(posture::overview))
        .routes(routes!(posture::daily_tests))
        .routes(routes!(inventory::recovery_points))
        .routes(routes!(posture::recovery_point))
        .routes(routes!(inventory::protected_resources))
        .routes(routes!(posture::restore_times))
        .routes(routes!(posture::outside_targets))
        .routes(routes!(posture::coverage))
        .routes(routes!(assurance::coverage_trend))
        .routes(routes!(assurance::get_targets, assurance::put_target, assurance::delete_target))
        .routes(routes!(validation::get_checks, validation::put_checks, validation::delete_checks))
        .routes(routes!(validation::validations))
        .routes(routes!(assurance::resource_rpo))
        .routes(routes!(assurance::runbook))
        .routes(routes!(assurance::runbook_markdown))
        .routes(routes!(assurance::put_runbook_notes))
        .routes(routes!(assurance::list_drills, assurance::create_drill))
        .routes(routes!(assurance::get_drill))
        .routes(routes!(assurance::put_followups))
        .routes(routes!(assurance::list_schedules, assurance::create_schedule))
        .routes(routes!(assurance::delete_schedule))
        .routes(routes!(assurance::list_schedule_grants))
        .routes(routes!(assurance::revoke_schedule_grant))
        .routes(routes!(evidence::download))
        .routes(routes!(evidence::start_job))
        .routes(routes!(evidence::job))
        .routes(routes!(evidence::job_download))
        .routes(routes!(inventory::backup_jobs))
        .routes(routes!(inventory::copy_jobs))
        .routes(routes!(inventory::restore_jobs))
        .routes(routes!(inventory::restore_testing_plans))
}

/// The OpenAPI document the API serves at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().into_openapi();
    ErrorAnswers.modify(&mut doc);
    doc
}

/// The routes served outside the OpenAPI document (sign-in, probes, metrics and the
/// document itself), with their method.
fn plain_routes(
    doc: Arc<utoipa::openapi::OpenApi>,
) -> [(&'static str, &'static str, axum::routing::MethodRouter<AppState>); 7] {
    [
        ("GET", "/auth/login", get(auth::login)),
        ("GET", "/auth/callback", get(auth::callback)),
        ("POST", "/auth/logout", axum::routing::post(auth::logout)),
        ("GET", "/api/v1/openapi.json", get(move || async move { axum::Json(doc.as_ref().clone()) })),
        ("GET", "/healthz", get(|| async { "ok" })),
        ("GET", "/metrics", get(metrics::metrics)),
        ("GET", "/readyz", get(status::readyz)),
    ]
}

/// Method and path of every route the OpenAPI document does not describe, so that
/// a test of every route (the authorization matrix) finds them too.
pub fn undocumented_routes() -> Vec<(&'static str, &'static str)> {
    let empty = Arc::new(utoipa::openapi::OpenApiBuilder::new().build());
    plain_routes(empty).into_iter().map(|(method, path, _)| (method, path)).collect()
}

/// The API, and the web UI (built in, or from `ui_dir`): client-side routes get
/// `index.html`, so that a deep link opened directly loads the app.
pub fn router(state: AppState, ui: Ui) -> Router {
    let api_not_found = || async { AppError::NotFound("no such endpoint".into()) };
    let (api, mut doc) = api().split_for_parts();
    ErrorAnswers.modify(&mut doc);
    let doc = Arc::new(doc);
    let mut app = api;
    for (_, path, route) in plain_routes(doc) {
        app = app.route(path, route);
    }
    let app = app.route("/api/{*rest}", axum::routing::any(api_not_found));
    // JSON is compressed on the fly; the UI's files are served pre-compressed
    // (scripts/build-frontend.sh writes a .gz beside each) when the browser takes gzip.
    // ZIP files are compressed already.
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    let predicate = DefaultPredicate::new().and(NotForContentType::const_new("application/zip"));
    // The fastest level: at the default one, compressing a page of 100 recovery points
    // (88 KB) took more CPU than reading it from a million rows.
    let compression = tower_http::compression::CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest);
    let app = app.layer(compression.compress_when(predicate));
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The committed document (docs/openapi.json) is the one the API serves, so a
    /// change to the API shows in the diff. `UPDATE_OPENAPI=1 cargo test -p
    /// recovery-console --lib openapi` writes it anew.
    #[test]
    fn the_committed_openapi_document_is_the_served_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
        let served = serde_json::to_string_pretty(&openapi()).unwrap() + "\n";
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &served).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == served,
            "docs/openapi.json differs from the served document: run UPDATE_OPENAPI=1 cargo test -p recovery-console --lib openapi and commit the result"
        );
    }

    /// Every documented query parameter is one the parser knows how to check:
    /// its pattern is one of params.rs's, so documentation and checks agree.
    #[test]
    fn every_documented_pattern_is_checked() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let known = [
            params::ACCOUNT_ID_PATTERN,
            params::REGION_PATTERN,
            params::ARN_PATTERN,
            params::VAULT_PATTERN,
            params::JOB_ID_PATTERN,
            params::RESOURCE_TYPE_PATTERN,
            params::CURSOR_PATTERN,
        ];
        let mut seen = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    if let Some(pattern) = p["schema"]["pattern"].as_str() {
                        seen += 1;
                        assert!(
                            known.contains(&pattern),
                            "{method} {path} {}: pattern {pattern} is not checked",
                            p["name"]
                        );
                    }
                }
            }
        }
        assert!(seen > 10, "only {seen} patterns documented");
    }
}
