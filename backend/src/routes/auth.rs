//! Sign-in and out: SSO through OIDC (authorization code with PKCE), the demo's
//! local users, and who is signed in.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;
use shared::{DemoSignIn, Me, SessionsEnded};
use utoipa::IntoParams;

use super::params::Params;
use super::{AppError, AppState};
use crate::auth::{self, limit, oidc, Identity, Via, DEMO_USERS};
use crate::store::{token_hash, LoginRow};

/// The cookie that ties an OIDC login to the browser that started it.
const LOGIN_COOKIE: &str = "rc_login";

/// An OIDC login must come back within this long.
const LOGIN_WINDOW_MS: i64 = 10 * 60_000;
/// Logins under way (within `LOGIN_WINDOW_MS`) at most: a flood of `/auth/login` is refused
/// with 503 instead of filling the database.
const MAX_LOGINS_UNDER_WAY: i64 = 10_000;

/// Who is signed in, their roles, and the CSRF token for cookie requests.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me)))]
pub async fn me(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    ended: Option<Extension<SessionEnded>>,
) -> Response {
    let me = Json(Me {
        subject: id.subject.clone(),
        name: id.name.clone(),
        roles: id.roles.clone(),
        csrf_token: id.csrf_token.clone(),
        demo: s.auth.cfg.demo_users,
        sso: s.auth.oidc.is_some(),
        session_ended: ended.is_some(),
    });
    // The ended session's cookie goes: the page now knows, and signs in again.
    match ended {
        Some(_) => ([(header::SET_COOKIE, s.auth.clear_cookie())], me).into_response(),
        None => me.into_response(),
    }
}

/// Set by the middleware when the browser's session cookie names no live session.
#[derive(Debug, Clone, Copy)]
pub struct SessionEnded;

/// Demo mode only: signs in as a local user; sets the session cookie and returns
/// the same session as a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/demo", request_body = DemoSignIn,
    responses((status = 200, description = "`{\"token\": ..., \"csrf_token\": ...}`"), (status = 404, body = shared::ErrorBody)))]
pub async fn demo_sign_in(State(s): State<AppState>, body: axum::body::Bytes) -> Result<Response, AppError> {
    if !s.auth.cfg.demo_users {
        return Err(AppError::NotFound("local sign-in exists in demo mode only".into()));
    }
    let req: DemoSignIn = serde_json::from_slice(&body)
        .map_err(|e| AppError::bad("invalid_body", format!("expected {{\"user\": \"alice\"}}: {e}")))?;
    let Some((subject, name, role)) = DEMO_USERS.iter().find(|(u, _, _)| *u == req.user) else {
        let users: Vec<&str> = DEMO_USERS.iter().map(|u| u.0).collect();
        return Err(AppError::bad("unknown_user", format!("no demo user {:?}; one of {}", req.user, users.join(", "))));
    };
    let now = crate::time::now_ms();
    let (token, row) =
        auth::start_session(&s.store, &s.auth, subject, name, vec!["viewer".into(), role.to_string()], "demo", now)
            .await?;
    let cookie = s.auth.session_cookie(&token, (row.expires_at - now) / 1000);
    let body = json!({"token": token, "csrf_token": row.csrf_token, "subject": subject, "roles": row.roles});
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
    /// `none`: a silent sign-in (OIDC `prompt=none`) when a session has ended: the
    /// provider answers at once, with a code while it still knows the person, or
    /// `login_required`, which brings the sign-in page.
    prompt: Option<String>,
}

/// The provider's answers to `prompt=none` that mean "the person must sign in"
/// (OpenID Connect Core 1.0, section 3.1.2.6).
const SIGN_IN_NEEDED: [&str; 4] =
    ["login_required", "interaction_required", "consent_required", "account_selection_required"];

/// A local path to come back to after sign-in (never another site).
fn safe_return(to: Option<String>) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-_.~?=&%#+:,".contains(c);
    match to {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && p.len() < 2000 && p.chars().all(allowed) => p,
        _ => "/".into(),
    }
}

/// Starts SSO: redirects to the identity provider with state, nonce and a PKCE challenge.
pub async fn login(
    State(s): State<AppState>,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
) -> Result<Response, AppError> {
    let oidc = s.auth.oidc.as_ref().ok_or_else(|| AppError::NotFound("SSO is not configured (auth.oidc)".into()))?;
    let client = limit::client_address(&headers, s.auth.cfg.client_ip_header.as_deref(), peer.map(|p| p.0 .0));
    if let Err(retry_after_secs) = s.auth.login_limit.take(&client, crate::time::now_ms()) {
        return Err(AppError::TooMany {
            message: format!(
                "too many sign-ins started from {client}: at most {} a minute (auth.login_per_minute)",
                s.auth.cfg.login_per_minute
            ),
            retry_after_secs,
        });
    }
    let silent = match q.prompt.as_deref() {
        None => false,
        Some("none") => true,
        Some(other) => {
            return Err(AppError::bad(
                "invalid_parameter",
                format!("prompt: {other:?} is not accepted; only `none` (a silent sign-in)"),
            ))
        }
    };
    let (state, nonce, verifier) = (oidc::new_secret(), oidc::new_secret(), oidc::new_secret());
    let url = oidc
        .authorize_url(&state, &nonce, &verifier, silent)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let now = crate::time::now_ms();
    s.store.prune_sign_ins(now, now - LOGIN_WINDOW_MS).await?;
    let login = LoginRow { verifier, nonce, return_to: safe_return(q.return_to), created_at: now };
    if !s.store.save_login(&state, &login, MAX_LOGINS_UNDER_WAY).await? {
        return Err(AppError::Unavailable("too many sign-ins are under way; try again in a few minutes".into()));
    }
    // Ties the login to this browser: the callback accepts its state only with this cookie.
    let secure = if s.auth.cfg.cookie_secure { "; Secure" } else { "" };
    let cookie = format!(
        "{LOGIN_COOKIE}={}; Path=/auth/callback; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        token_hash(&state),
        LOGIN_WINDOW_MS / 1000
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&url)).into_response())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The provider's redirect back: checks state, redeems the code with the PKCE
/// verifier, checks the ID token and its nonce, and starts a session.
pub async fn callback(
    State(s): State<AppState>,
    Query(q): Query<CallbackQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let oidc = s.auth.oidc.as_ref().ok_or_else(|| AppError::NotFound("SSO is not configured (auth.oidc)".into()))?;
    if let Some(e) = q.error {
        // A silent sign-in the provider could not complete: to the sign-in page, which
        // says the session ended, and back to where the person was afterwards.
        if SIGN_IN_NEEDED.contains(&e.as_str()) {
            if let Some(login) = take_own_login(&s, q.state.as_deref(), &headers).await? {
                let back = serde_urlencoded::to_string([("return_to", login.return_to.as_str())]).unwrap_or_default();
                return Ok(Redirect::to(&format!("/sign-in?ended=1&{back}")).into_response());
            }
        }
        return Err(AppError::Unauthenticated(format!(
            "the identity provider refused the sign-in: {e} {}",
            q.error_description.unwrap_or_default()
        )));
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return Err(AppError::bad("invalid_callback", "the callback needs code and state"));
    };
    if auth::cookie(&headers, LOGIN_COOKIE).as_deref() != Some(token_hash(&state).as_str()) {
        return Err(AppError::Unauthenticated(
            "this sign-in was not started in this browser; start again at /auth/login".into(),
        ));
    }
    let now = crate::time::now_ms();
    let login = take_own_login(&s, Some(&state), &headers).await?.ok_or_else(|| {
        AppError::Unauthenticated("unknown or expired sign-in state; start again at /auth/login".into())
    })?;
    let claims = oidc
        .redeem(&code, &login.verifier, &login.nonce)
        .await
        .map_err(|e| AppError::Unauthenticated(format!("sign-in failed: {e}")))?;
    let subject = claims
        .get("sub")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::Unauthenticated("sign-in failed: the ID token names no subject".into()))?
        .to_string();
    let name = ["name", "preferred_username", "email"]
        .iter()
        .find_map(|c| claims.get(*c).and_then(|v| v.as_str()))
        .unwrap_or(&subject)
        .to_string();
    let roles = s.auth.roles_of(&claims);
    let (token, row) = auth::start_session(&s.store, &s.auth, &subject, &name, roles, "oidc", now).await?;
    let cookie = s.auth.session_cookie(&token, (row.expires_at - now) / 1000);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&login.return_to)).into_response())
}

/// The login `state` names, once, if this browser started it within the window.
async fn take_own_login(s: &AppState, state: Option<&str>, headers: &HeaderMap) -> Result<Option<LoginRow>, AppError> {
    let Some(state) = state else { return Ok(None) };
    if auth::cookie(headers, LOGIN_COOKIE).as_deref() != Some(token_hash(state).as_str()) {
        return Ok(None);
    }
    let now = crate::time::now_ms();
    Ok(s.store.take_login(state).await?.filter(|l| now - l.created_at < LOGIN_WINDOW_MS))
}

/// Ends the session of the cookie or of the bearer session token (CSRF-checked
/// like every state change made with the cookie).
pub async fn logout(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let token = match id.via {
        Via::Cookie => auth::cookie(&headers, s.auth.session_cookie_name()),
        Via::Bearer => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| t.split('.').count() != 3)
            .map(str::to_string),
        _ => None,
    };
    if let (Some(token), Some(subject)) = (token, &id.subject) {
        s.store.delete_session(&token, subject, crate::time::now_ms()).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, s.auth.clear_cookie())]).into_response())
}

/// Whose sessions to end.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevokeParams {
    /// The person's subject, as `GET /api/v1/me` and the audit log name it.
    subject: String,
}

/// Ends every session of a person at once (admins; audited as `auth.sessions_revoked`):
/// their cookies and session bearer tokens stop working, and their next sign-in takes
/// the roles the identity provider gives them then (security review, finding 7).
#[utoipa::path(delete, path = "/api/v1/sessions", params(RevokeParams),
    responses((status = 200, body = SessionsEnded)))]
pub async fn revoke_sessions(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(q): Params<RevokeParams>,
) -> Result<Json<SessionsEnded>, AppError> {
    let actor = id.require(&["admin"])?.to_string();
    if q.subject.is_empty() {
        return Err(AppError::bad("invalid_parameter", "subject: must name a person"));
    }
    let now = crate::time::now_ms();
    let ended = s.store.revoke_sessions(&q.subject, &actor, now).await?;
    Ok(Json(SessionsEnded { subject: q.subject, ended }))
}
