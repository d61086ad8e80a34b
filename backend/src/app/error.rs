//! The one error type of the application: what went wrong, in words a caller can
//! act on, with a stable code. `routes` renders it as HTTP (`routes/error.rs`).

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
    /// The browser's session cookie names a session that has ended.
    #[error("your session has ended; sign in again (GET /auth/login)")]
    SessionEnded,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    CsrfFailed(String),
    /// Well-formed but not possible (e.g. a recovery point that is not COMPLETED).
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("{0}")]
    Unavailable(String),
    /// Every slot of a capped kind of work is taken: send again after `retry_after_secs`.
    #[error("{message}")]
    Busy { message: String, retry_after_secs: u32 },
    /// This client sent more than its rate: send again after `retry_after_secs`.
    #[error("{message}")]
    TooMany { message: String, retry_after_secs: u32 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest { code, message: message.into() }
    }
}
