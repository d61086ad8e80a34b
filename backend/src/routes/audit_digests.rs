//! A signed digest of the audit log's head, on demand (admin; docs/audit.md, "Digests").

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppError, AppState};
use crate::assurance::digests;
use crate::auth::Identity;

/// A digest just made and where it was written.
#[derive(Debug, Serialize, ToSchema)]
pub struct DigestMade {
    pub number: i64,
    pub made_at: String,
    /// The last record it signs (0 for an empty log) and that record's hash.
    pub audit_seq: i64,
    pub audit_hash: String,
    pub key_id: String,
    /// The public key auditors verify with (PEM).
    pub public_key: String,
    /// The files and S3 objects written by this call (earlier unwritten digests included).
    pub written_to: Vec<String>,
}

/// Signs the head of the audit log now and writes the digest to the digest folder and
/// bucket; audited as `audit.digest_requested` (admin). 409 when digests are off.
#[utoipa::path(post, path = "/api/v1/audit/digests",
    responses((status = 201, body = DigestMade), (status = 401, body = shared::ErrorBody),
        (status = 403, body = shared::ErrorBody), (status = 409, body = shared::ErrorBody),
        (status = 503, body = shared::ErrorBody)))]
pub async fn make_digest(
    State(s): State<AppState>,
    Extension(ident): Extension<Identity>,
) -> Result<(StatusCode, Json<DigestMade>), AppError> {
    let actor = ident.require(&["admin"])?.to_string();
    let Some(path) = s.config.audit.digest_key_file.clone() else {
        return Err(AppError::Conflict("audit digests are off: set audit.digest_key_file in the configuration".into()));
    };
    let key =
        digests::load_signing_key(&path).map_err(|e| AppError::Unavailable(format!("audit.digest_key_file: {e}")))?;
    let row = digests::make(&s, &key, None, Some(&actor))
        .await?
        .ok_or_else(|| AppError::Unavailable("no digest was made".into()))?;
    let written_to = digests::publish(&s).await?;
    Ok((
        StatusCode::CREATED,
        Json(DigestMade {
            number: row.number,
            made_at: crate::store::audit_time(row.made_at),
            audit_seq: row.seq,
            audit_hash: row.hash,
            key_id: digests::key_id(&key.verifying_key()),
            public_key: digests::public_pem(&key.verifying_key()),
            written_to,
        }),
    ))
}
