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
            AppError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m),
            AppError::Store(StoreError::Invalid(m)) => (StatusCode::BAD_REQUEST, "invalid_parameter", m),
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
