//! The middleware of every answer: who is asking (and CSRF on cookie state
//! changes), and the security headers.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AppError, AppState};
use crate::auth::{Via, CSRF_HEADER};

/// Paths under `/api/` that answer without a signed-in person.
const OPEN_API_PATHS: [&str; 3] = ["/api/v1/me", "/api/v1/auth/demo", "/api/v1/openapi.json"];

/// Resolves the identity, checks CSRF on cookie-authenticated state changes, keeps
/// anonymous requests out of the API unless anonymous viewing is on, refuses people
/// with no role, and hands the identity to the handlers.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Only the API and sign-out need to know who asks: the UI's files, health
    // checks and metrics are served without a session lookup.
    if !req.uri().path().starts_with("/api/") && req.uri().path() != "/auth/logout" {
        return next.run(req).await;
    }
    // PostgreSQL cannot compare a NUL in text (SQLite can): a path holding one is
    // refused alike on both engines (query parameters: routes::params).
    if req.uri().path().to_ascii_lowercase().contains("%00") {
        return AppError::bad("invalid_parameter", "path: contains a NUL character (%00)").into_response();
    }
    let identity = match state.auth.resolve(&state.store, req.headers()).await {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    let path = req.uri().path();
    // A session cookie that names no live session: the session expired or was ended.
    // `/me` says so (and clears the cookie); every other API call is a 401 that says so,
    // not an anonymous answer, so the page signs in again (finding 7).
    let ended = identity.via == Via::Anonymous
        && crate::auth::cookie(req.headers(), state.auth.session_cookie_name()).is_some_and(|c| !c.is_empty());
    if ended && path.starts_with("/api/") && !OPEN_API_PATHS.contains(&path) {
        return AppError::SessionEnded.into_response();
    }
    if ended && path == "/api/v1/me" {
        req.extensions_mut().insert(super::auth::SessionEnded);
    }
    let path = req.uri().path();
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if matches!(identity.via, Via::Cookie | Via::Alb) && changes_state {
        let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !identity.csrf_matches(sent) {
            return AppError::CsrfFailed(format!(
                "a state change made with the session cookie needs the {CSRF_HEADER} header from GET /api/v1/me"
            ))
            .into_response();
        }
    }
    let api = path.starts_with("/api/") && !OPEN_API_PATHS.contains(&path);
    if api && identity.via == Via::Anonymous && (identity.roles.is_empty() || changes_state) {
        return AppError::Unauthenticated("sign in first (GET /auth/login, or a bearer token)".into()).into_response();
    }
    // Every role reads (viewer is the least); a person the IdP knows but the console
    // maps to no role reads nothing (security review, finding 2).
    if api && identity.roles.is_empty() {
        return AppError::Forbidden(
            "you have no role in the console: an admin maps one of your IdP groups to a role (auth.group_roles) or sets auth.default_roles".into(),
        )
        .into_response();
    }
    req.extensions_mut().insert(identity);
    next.run(req).await
}

/// Strict security headers on every answer; the CSP allows the app's own
/// scripts and WebAssembly only.
pub async fn security_headers(State(secure): State<bool>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // API answers (the CSRF token in /me, audit exports, evidence packs) and sign-in
    // redirects are never kept by a browser or a shared cache; the UI's files may be.
    let no_store = path.starts_with("/api/") || path.starts_with("/auth/") || path == "/metrics";
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "same-origin");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()");
    if secure {
        set(h, "strict-transport-security", "max-age=31536000; includeSubDomains");
    }
    if no_store {
        set(h, "cache-control", "no-store");
    }
    resp
}
