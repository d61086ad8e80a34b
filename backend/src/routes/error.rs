//! The one error type of the API, rendered as `{"error": {"code", "message"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::{ErrorBody, ErrorDetail};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A conflict with its own code, e.g. `stale_hash`, `expired`.
    #[error("{message}")]
    ConflictCode { code: &'static str, message: String },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    CsrfFailed(String),
    /// Well-formed but not possible (e.g. a recovery point that is not COMPLETED).
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest { code, message: message.into() }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            AppError::BadRequest { code, message } => (StatusCode::BAD_REQUEST, code, message),
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            AppError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            AppError::ConflictCode { code, message } => (StatusCode::CONFLICT, code, message),
            AppError::Unauthenticated(m) => (StatusCode::UNAUTHORIZED, "unauthenticated", m),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            AppError::CsrfFailed(m) => (StatusCode::FORBIDDEN, "csrf_failed", m),
            AppError::Unprocessable { code, message } => (StatusCode::UNPROCESSABLE_ENTITY, code, message),
            AppError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m),
            AppError::Store(StoreError::Invalid(m)) => (StatusCode::BAD_REQUEST, "invalid_parameter", m),
            // Every connection (on SQLite: the one writer) stayed busy for the pool's
            // whole wait: the request did not get to run.
            AppError::Store(StoreError::Database(sqlx::Error::PoolTimedOut)) => {
                tracing::warn!("a request waited for the database for too long");
                let body = ErrorDetail {
                    code: "busy".into(),
                    message: "the database stayed busy for too long; send the request again".into(),
                };
                let retry = [(axum::http::header::RETRY_AFTER, "5")];
                return (StatusCode::SERVICE_UNAVAILABLE, retry, Json(ErrorBody { error: body })).into_response();
            }
            AppError::Store(e) => {
                tracing::error!(error = %e, "request failed in the store");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the request failed; the server log has the cause".into(),
                )
            }
        };
        (status, Json(ErrorBody { error: ErrorDetail { code: code.into(), message } })).into_response()
    }
}
