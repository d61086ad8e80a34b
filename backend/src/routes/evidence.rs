//! The evidence pack: streamed at once (`GET /api/v1/evidence`), or made in the
//! background with progress for the web page (`/api/v1/evidence/jobs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;
use shared::EvidenceJob;

use serde::Deserialize;
use utoipa::IntoParams;

use super::params::Params;
use super::{AppError, AppState};
use crate::assurance::evidence::{generate, Scope, STEPS};
use crate::auth::Identity;
use crate::zipstream::{Out, ZipStream};

/// Packs made at once in the background, at most (each reads the whole period).
const MAX_RUNNING: usize = 4;

/// Packs made for the web page; each file is removed an hour after it was made.
/// They live in this process (its memory and temporary folder): behind several
/// replicas, the page's calls need sticky sessions, or use `GET /api/v1/evidence`.
#[derive(Default)]
pub struct EvidenceJobs {
    jobs: Mutex<HashMap<String, (EvidenceJob, std::path::PathBuf)>>,
}

fn lock(jobs: &EvidenceJobs) -> std::sync::MutexGuard<'_, HashMap<String, (EvidenceJob, std::path::PathBuf)>> {
    jobs.jobs.lock().unwrap_or_else(|p| p.into_inner())
}

async fn audited(s: &AppState, id: &Identity, scope: &Scope) -> Result<String, AppError> {
    let actor = id.require(&["auditor"])?.to_string();
    s.store.audit_now(s.now(), &actor, "evidence.exported", "evidence", json!({"scope": scope.describe()})).await?;
    Ok(actor)
}

/// The period and scope of an evidence pack.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScopeParams {
    /// Start: YYYY-MM-DD, or RFC 3339.
    #[param(format = Date)]
    from: String,
    /// End: YYYY-MM-DD (that day included), or RFC 3339.
    #[param(format = Date)]
    to: String,
    /// Comma-separated account ids (default: all).
    account_id: Option<String>,
    /// Comma-separated resource types (default: all).
    resource_type: Option<String>,
}

impl ScopeParams {
    /// The pack's scope, once the asker may take it; the taking is audited.
    async fn audited(&self, s: &AppState, id: &Identity) -> Result<(Scope, String), AppError> {
        let scope = Scope::parse(&self.from, &self.to, self.account_id.as_deref(), self.resource_type.as_deref())?;
        let actor = audited(s, id, &scope).await?;
        Ok((scope, actor))
    }
}

/// The evidence pack of a period and scope, as a ZIP streamed while it is made
/// (auditors and admins; audited).
#[utoipa::path(get, path = "/api/v1/evidence", params(ScopeParams),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 400, body = shared::ErrorBody)))]
pub async fn download(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(q): Params<ScopeParams>,
) -> Result<Response, AppError> {
    let (scope, actor) = q.audited(&s, &id).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let name = scope.file_name();
    tokio::spawn(async move {
        let mut zip = ZipStream::new(Out::Channel(tx.clone()), s.now());
        let result = match generate(&s, &scope, &actor, &mut zip, &|_| {}).await {
            Ok(()) => zip.finish().await.map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "evidence pack failed");
            // Breaks the download, so that a half pack is never taken for a whole one.
            let _ = tx.send(Err(std::io::Error::other(e))).await;
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Starts making a pack in the background; its progress is at `/api/v1/evidence/jobs/{id}`.
#[utoipa::path(post, path = "/api/v1/evidence/jobs",
    params(ScopeParams),
    responses((status = 202, body = EvidenceJob)))]
pub async fn start_job(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(q): Params<ScopeParams>,
) -> Result<Response, AppError> {
    let (scope, actor) = q.audited(&s, &id).await?;
    let job_id = uuid::Uuid::new_v4().to_string();
    let path = std::env::temp_dir().join(format!("recovery-console-evidence-{job_id}.zip"));
    let job = EvidenceJob {
        id: job_id.clone(),
        status: "running".into(),
        scope: scope.describe(),
        step: 0,
        steps: STEPS.len() as i64,
        step_name: STEPS[0].into(),
        bytes: None,
        file_name: scope.file_name(),
        error: None,
    };
    let running = lock(&s.evidence).values().filter(|(j, _)| j.status == "running").count();
    if running >= MAX_RUNNING {
        return Err(AppError::Unavailable(format!(
            "{running} evidence packs are being made; try again when one is done"
        )));
    }
    let file = tokio::fs::File::create(&path)
        .await
        .map_err(|e| AppError::Unavailable(format!("cannot write {}: {e}", path.display())))?;
    lock(&s.evidence).insert(job_id.clone(), (job.clone(), path.clone()));
    tokio::spawn(async move {
        let jobs = Arc::clone(&s.evidence);
        let progress = {
            let (jobs, job_id) = (Arc::clone(&jobs), job_id.clone());
            move |step: usize| {
                if let Some((j, _)) = lock(&jobs).get_mut(&job_id) {
                    j.step = step as i64;
                    j.step_name = STEPS.get(step).copied().unwrap_or_default().to_string();
                }
            }
        };
        let mut zip = ZipStream::new(Out::File(file), s.now());
        let result = match generate(&s, &scope, &actor, &mut zip, &progress).await {
            Ok(()) => zip.finish().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Some((j, _)) = lock(&jobs).get_mut(&job_id) {
            match result {
                Ok(bytes) => {
                    j.status = "done".into();
                    j.step = j.steps;
                    j.step_name = "done".into();
                    j.bytes = Some(bytes as i64);
                }
                Err(e) => {
                    j.status = "failed".into();
                    j.error = Some(e);
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        let gone = lock(&jobs).remove(&job_id);
        if let Some((_, path)) = gone {
            let _ = std::fs::remove_file(path);
        }
    });
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

/// A pack's progress.
#[utoipa::path(get, path = "/api/v1/evidence/jobs/{id}", responses((status = 200, body = EvidenceJob), (status = 404, body = shared::ErrorBody)))]
pub async fn job(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(job_id): Path<String>,
) -> Result<Json<EvidenceJob>, AppError> {
    id.require(&["auditor"])?;
    lock(&s.evidence)
        .get(&job_id)
        .map(|(j, _)| Json(j.clone()))
        .ok_or_else(|| AppError::NotFound(format!("no evidence pack {job_id} (packs are kept for an hour)")))
}

/// A finished pack.
#[utoipa::path(get, path = "/api/v1/evidence/jobs/{id}/download", responses((status = 200, content_type = "application/zip", body = Vec<u8>)))]
pub async fn job_download(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(job_id): Path<String>,
) -> Result<Response, AppError> {
    id.require(&["auditor"])?;
    let (job, path) = lock(&s.evidence)
        .get(&job_id)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("no evidence pack {job_id} (packs are kept for an hour)")))?;
    if job.status != "done" {
        return Err(AppError::ConflictCode { code: "not_ready", message: format!("the pack is {}", job.status) });
    }
    let file =
        tokio::fs::File::open(&path).await.map_err(|e| AppError::Unavailable(format!("the pack is gone: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", job.file_name)),
        ],
        Body::from_stream(tokio_util_stream(file)),
    )
        .into_response())
}

/// A file as a stream of chunks.
fn tokio_util_stream(
    mut file: tokio::fs::File,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| {
        let mut buf = vec![0u8; 64 * 1024];
        let mut read = tokio::io::ReadBuf::new(&mut buf);
        match tokio::io::AsyncRead::poll_read(std::pin::Pin::new(&mut file), cx, &mut read) {
            std::task::Poll::Ready(Ok(())) if read.filled().is_empty() => std::task::Poll::Ready(None),
            std::task::Poll::Ready(Ok(())) => {
                let n = read.filled().len();
                buf.truncate(n);
                std::task::Poll::Ready(Some(Ok(bytes::Bytes::from(buf))))
            }
            std::task::Poll::Ready(Err(e)) => std::task::Poll::Ready(Some(Err(e))),
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    })
}
