//! The application error as HTTP: `{"error": {"code", "message"}}` with its status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::{ErrorBody, ErrorDetail};

use crate::app::AppError;
use crate::store::StoreError;

impl AppError {
    /// The HTTP status, the stable code and the message of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } | AppError::Store(StoreError::Invalid(_)) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) | AppError::ConflictCode { .. } => StatusCode::CONFLICT,
            AppError::Unauthenticated(_) | AppError::SessionEnded => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::CsrfFailed(_) => StatusCode::FORBIDDEN,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Store(e) if e.is_busy() => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (code, message) = match self {
            AppError::BadRequest { code, message } => (code, message),
            AppError::NotFound(m) => ("not_found", m),
            AppError::Conflict(m) => ("conflict", m),
            AppError::ConflictCode { code, message } => (code, message),
            AppError::Unauthenticated(m) => ("unauthenticated", m),
            e @ AppError::SessionEnded => ("session_ended", e.to_string()),
            AppError::Forbidden(m) => ("forbidden", m),
            AppError::CsrfFailed(m) => ("csrf_failed", m),
            AppError::Unprocessable { code, message } => (code, message),
            AppError::Unavailable(m) => ("unavailable", m),
            AppError::Busy { message, retry_after_secs } | AppError::TooMany { message, retry_after_secs } => {
                let code = if status == StatusCode::TOO_MANY_REQUESTS { "rate_limited" } else { "busy" };
                let body = ErrorDetail { code: code.into(), message };
                let retry = [(axum::http::header::RETRY_AFTER, retry_after_secs.to_string())];
                return (status, retry, Json(ErrorBody { error: body })).into_response();
            }
            AppError::Store(StoreError::Invalid(m)) => ("invalid_parameter", m),
            // The request did not get to run: it may be sent again.
            AppError::Store(e) if e.is_busy() => {
                tracing::warn!("a request waited for the database for too long");
                let body = ErrorDetail {
                    code: "busy".into(),
                    message: "the database stayed busy for too long; send the request again".into(),
                };
                let retry = [(axum::http::header::RETRY_AFTER, "5")];
                return (status, retry, Json(ErrorBody { error: body })).into_response();
            }
            AppError::Store(e) => {
                tracing::error!(error = %e, "request failed in the store");
                ("internal", "the request failed; the server log has the cause".into())
            }
        };
        (status, Json(ErrorBody { error: ErrorDetail { code: code.into(), message } })).into_response()
    }
}
