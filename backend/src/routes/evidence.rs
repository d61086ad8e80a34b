//! The evidence pack, made only on a `POST` (it writes the audit log and calls AWS):
//! streamed at once (`POST /api/v1/evidence`), or made in the background with
//! progress for the web page (`POST /api/v1/evidence/jobs`), whose finished file
//! a `GET` fetches without side effects (security review, finding 6).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;
use shared::EvidenceJob;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use serde::Deserialize;
use utoipa::IntoParams;

use super::params::Params;
use super::{AppError, AppState};
use crate::assurance::evidence::{generate, Scope, STEPS};
use crate::auth::Identity;
use crate::zipstream::{Out, ZipStream};

/// Packs made at once, streamed and in the background together (each reads the
/// whole period and calls AWS in every account); one more gets 503 with Retry-After.
const MAX_RUNNING: usize = 4;

/// What finished packs may hold, at most: their number and their bytes together
/// (the oldest finished pack makes room). A pack larger than the bytes alone fails
/// and names the streamed `POST /api/v1/evidence`.
pub const KEPT: Limits = Limits { packs: 16, bytes: 4 << 30 };

/// How long a finished pack is kept.
const KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// Caps of the finished packs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub packs: usize,
    pub bytes: u64,
}

/// The packs being made and made, and the slots every pack (streamed too) takes.
/// A background pack is made in this process, into a private folder (0700, files 0600)
/// in the temporary folder removed with it, then stored in the database with its
/// progress, so that every replica serves it (store/evidence_packs.rs). This process
/// keeps the limits of the packs it made.
pub struct EvidenceJobs {
    slots: Arc<Semaphore>,
    packs: Mutex<Packs>,
    dir: PathBuf,
}

impl Default for EvidenceJobs {
    fn default() -> Self {
        let dir = std::env::temp_dir().join(format!("recovery-console-evidence-{}", uuid::Uuid::new_v4().simple()));
        Self { slots: Arc::new(Semaphore::new(MAX_RUNNING)), packs: Mutex::default(), dir }
    }
}

impl Drop for EvidenceJobs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl EvidenceJobs {
    /// A slot for one more pack, taken at once (no await between the count and the
    /// taking), or 503 with Retry-After.
    fn slot(&self) -> Result<OwnedSemaphorePermit, AppError> {
        Arc::clone(&self.slots).try_acquire_owned().map_err(|_| AppError::Busy {
            message: format!("{MAX_RUNNING} evidence packs are being made; try again when one is done"),
            retry_after_secs: 30,
        })
    }

    fn packs(&self) -> std::sync::MutexGuard<'_, Packs> {
        self.packs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates the private folder (once) and a new file in it, readable by this user only.
    async fn create(&self, name: &str) -> std::io::Result<(PathBuf, tokio::fs::File)> {
        let mut dir = tokio::fs::DirBuilder::new();
        dir.recursive(true);
        #[cfg(unix)]
        dir.mode(0o700);
        dir.create(&self.dir).await?;
        let path = self.dir.join(name);
        let mut file = tokio::fs::OpenOptions::new();
        file.write(true).create_new(true);
        #[cfg(unix)]
        file.mode(0o600);
        let file = file.open(&path).await?;
        Ok((path, file))
    }
}

/// A pack of the page's: its progress, its file, and its place in the order made.
struct Pack {
    job: EvidenceJob,
    path: PathBuf,
    order: u64,
}

/// The background packs, by id, within [`Limits`].
#[derive(Default)]
struct Packs {
    by_id: HashMap<String, Pack>,
    made: u64,
}

impl Packs {
    /// Adds a running pack, first removing the oldest finished ones while
    /// `limits.packs` are kept; returns the files to delete.
    fn admit(&mut self, job: EvidenceJob, path: PathBuf, limits: Limits) -> Vec<PathBuf> {
        let mut gone = Vec::new();
        while self.by_id.len() >= limits.packs {
            match self.oldest_finished(None) {
                Some(id) => gone.extend(self.remove(&id)),
                None => break,
            }
        }
        self.made += 1;
        self.by_id.insert(job.id.clone(), Pack { job, path, order: self.made });
        gone
    }

    /// Records how a pack ended; a done pack makes room within `limits.bytes` by
    /// removing the oldest finished others, and fails when it alone is larger.
    /// Returns the files to delete.
    fn finish(&mut self, id: &str, result: Result<u64, String>, limits: Limits) -> Vec<PathBuf> {
        let mut gone = Vec::new();
        let result = match result {
            Ok(bytes) if bytes > limits.bytes => Err(format!(
                "the pack is {bytes} bytes, more than the {} kept for download; take it streamed (POST /api/v1/evidence)",
                limits.bytes
            )),
            r => r,
        };
        if let Ok(bytes) = result {
            while self.kept_bytes() + bytes > limits.bytes {
                match self.oldest_finished(Some(id)) {
                    Some(old) => gone.extend(self.remove(&old)),
                    None => break,
                }
            }
        }
        let failed = result.is_err();
        if let Some(p) = self.by_id.get_mut(id) {
            match result {
                Ok(bytes) => {
                    p.job.status = "done".into();
                    p.job.step = p.job.steps;
                    p.job.step_name = "done".into();
                    p.job.bytes = Some(bytes as i64);
                }
                Err(e) => {
                    p.job.status = "failed".into();
                    p.job.error = Some(e);
                }
            }
            if failed {
                gone.push(p.path.clone());
            }
        }
        gone
    }

    fn kept_bytes(&self) -> u64 {
        self.by_id.values().filter_map(|p| p.job.bytes).map(|b| b as u64).sum()
    }

    fn oldest_finished(&self, but: Option<&str>) -> Option<String> {
        self.by_id
            .values()
            .filter(|p| p.job.status != "running" && Some(p.job.id.as_str()) != but)
            .min_by_key(|p| p.order)
            .map(|p| p.job.id.clone())
    }

    fn remove(&mut self, id: &str) -> Option<PathBuf> {
        self.by_id.remove(id).map(|p| p.path)
    }
}

fn delete(files: Vec<PathBuf>) {
    for f in files {
        let _ = std::fs::remove_file(f);
    }
}

async fn audited(s: &AppState, actor: &str, scope: &Scope) -> Result<(), AppError> {
    s.store.audit_now(s.now(), actor, "evidence.exported", "evidence", json!({"scope": scope.describe()})).await?;
    Ok(())
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
    /// The asker (an auditor or admin) and the pack's scope.
    fn checked(&self, id: &Identity) -> Result<(String, Scope), AppError> {
        let actor = id.require(&["auditor"])?.to_string();
        let scope = Scope::parse(&self.from, &self.to, self.account_id.as_deref(), self.resource_type.as_deref())?;
        Ok((actor, scope))
    }
}

/// Makes the evidence pack of a period and scope and streams it as a ZIP while it
/// is made (auditors and admins; audited; one of four slots shared with the
/// background packs).
#[utoipa::path(post, path = "/api/v1/evidence", params(ScopeParams),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 400, body = shared::ErrorBody),
        (status = 503, description = "Four packs are being made (Retry-After).", body = shared::ErrorBody)))]
pub async fn download(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(q): Params<ScopeParams>,
) -> Result<Response, AppError> {
    let (actor, scope) = q.checked(&id)?;
    let slot = s.evidence.slot()?;
    audited(&s, &actor, &scope).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let name = scope.file_name();
    tokio::spawn(async move {
        let _slot = slot;
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

/// Starts making a pack in the background (auditors and admins; audited once it is
/// accepted); its progress is at `/api/v1/evidence/jobs/{id}`.
#[utoipa::path(post, path = "/api/v1/evidence/jobs",
    params(ScopeParams),
    responses((status = 202, body = EvidenceJob),
        (status = 503, description = "Four packs are being made (Retry-After).", body = shared::ErrorBody)))]
pub async fn start_job(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(q): Params<ScopeParams>,
) -> Result<Response, AppError> {
    let (actor, scope) = q.checked(&id)?;
    let slot = s.evidence.slot()?;
    let job_id = uuid::Uuid::new_v4().to_string();
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
    let created = s.evidence.create(&format!("{job_id}.zip")).await;
    let (path, file) = created.map_err(|e| AppError::Unavailable(format!("cannot write the evidence pack: {e}")))?;
    if let Err(e) = audited(&s, &actor, &scope).await {
        delete(vec![path]);
        return Err(e);
    }
    let expires_at = s.now() + KEPT_FOR.as_millis() as i64;
    if let Err(e) = s.store.insert_evidence_pack(&job, expires_at).await {
        delete(vec![path]);
        return Err(e.into());
    }
    let gone = s.evidence.packs().admit(job.clone(), path.clone(), KEPT);
    forget(&s, gone).await;
    tokio::spawn(async move {
        // Progress reaches the database in order, through one writer.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<EvidenceJob>();
        let store = s.store.clone();
        let writer = tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                if let Err(e) = store.update_evidence_pack(&job).await {
                    tracing::warn!(error = %e, "could not record an evidence pack's progress");
                }
            }
        });
        let progress = {
            let (s, job_id) = (s.clone(), job_id.clone());
            move |step: usize| {
                if let Some(p) = s.evidence.packs().by_id.get_mut(&job_id) {
                    p.job.step = step as i64;
                    p.job.step_name = STEPS.get(step).copied().unwrap_or_default().to_string();
                    let _ = tx.send(p.job.clone());
                }
            }
        };
        let mut zip = ZipStream::new(Out::File(file), s.now());
        let result = match generate(&s, &scope, &actor, &mut zip, &progress).await {
            Ok(()) => zip.finish().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        drop(progress);
        let _ = writer.await;
        let gone = s.evidence.packs().finish(&job_id, result, KEPT);
        forget(&s, gone).await;
        let finished = s.evidence.packs().by_id.get(&job_id).map(|p| p.job.clone());
        if let Some(mut job) = finished {
            if job.status == "done" {
                if let Err(e) = store_archive(&s, &job_id, &path).await {
                    job.status = "failed".into();
                    job.error = Some(format!("the pack could not be stored: {e}"));
                }
            }
            if let Err(e) = s.store.update_evidence_pack(&job).await {
                tracing::error!(error = %e, "could not record how an evidence pack ended");
            }
        }
        // The database holds the archive now; this replica's file is no longer needed.
        delete(vec![path]);
        drop(slot);
        tokio::time::sleep(KEPT_FOR).await;
        let gone = s.evidence.packs().remove(&job_id);
        forget(&s, gone.into_iter().collect()).await;
    });
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

/// The bytes of an archive stored at once.
const CHUNK: usize = 1 << 20;

/// Copies a made pack's archive into the database, in chunks.
async fn store_archive(s: &AppState, id: &str, path: &std::path::Path) -> Result<(), AppError> {
    use tokio::io::AsyncReadExt as _;
    let mut file = tokio::fs::File::open(path).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    let mut seq = 0;
    loop {
        let mut buf = Vec::with_capacity(CHUNK);
        let n = (&mut file)
            .take(CHUNK as u64)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        if n == 0 {
            return Ok(());
        }
        s.store.put_evidence_chunk(id, seq, &buf).await?;
        seq += 1;
    }
}

/// Deletes packs the limits let go, their files and their rows (with every expired one).
async fn forget(s: &AppState, files: Vec<PathBuf>) {
    let ids: Vec<String> =
        files.iter().filter_map(|f| f.file_stem().and_then(|n| n.to_str()).map(str::to_string)).collect();
    delete(files);
    if let Err(e) = s.store.delete_evidence_packs(&ids, s.now()).await {
        tracing::warn!(error = %e, "could not delete old evidence packs");
    }
}

/// A pack's progress (no side effects).
#[utoipa::path(get, path = "/api/v1/evidence/jobs/{id}", responses((status = 200, body = EvidenceJob), (status = 404, body = shared::ErrorBody)))]
pub async fn job(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(job_id): Path<String>,
) -> Result<Json<EvidenceJob>, AppError> {
    id.require(&["auditor"])?;
    s.store
        .evidence_pack(&job_id, s.now())
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("no evidence pack {job_id} (packs are kept for an hour)")))
}

/// A finished pack, as made (no side effects: the making was audited).
#[utoipa::path(get, path = "/api/v1/evidence/jobs/{id}/download",
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 409, body = shared::ErrorBody)))]
pub async fn job_download(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(job_id): Path<String>,
) -> Result<Response, AppError> {
    id.require(&["auditor"])?;
    let job = s
        .store
        .evidence_pack(&job_id, s.now())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no evidence pack {job_id} (packs are kept for an hour)")))?;
    if job.status != "done" {
        return Err(AppError::ConflictCode { code: "not_ready", message: format!("the pack is {}", job.status) });
    }
    // Chunk by chunk from the database, whichever replica made the pack.
    let store = s.store.clone();
    let chunks = futures_util::stream::unfold(Some(0i64), move |seq| {
        let (store, job_id) = (store.clone(), job_id.clone());
        async move {
            let seq = seq?;
            match store.evidence_chunk(&job_id, seq).await {
                Ok(Some(data)) => Some((Ok(bytes::Bytes::from(data)), Some(seq + 1))),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", job.file_name)),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn job(id: &str) -> EvidenceJob {
        EvidenceJob {
            id: id.into(),
            status: "running".into(),
            scope: String::new(),
            step: 0,
            steps: 9,
            step_name: String::new(),
            bytes: None,
            file_name: String::new(),
            error: None,
        }
    }

    fn ids(p: &Packs) -> Vec<String> {
        let mut v: Vec<String> = p.by_id.keys().cloned().collect();
        v.sort();
        v
    }

    /// Finished packs are capped in number and bytes: the oldest finished make room,
    /// a running one is never removed, and a pack larger than the cap alone fails.
    #[test]
    fn finished_packs_stay_within_their_number_and_bytes() {
        let limits = Limits { packs: 3, bytes: 100 };
        let mut p = Packs::default();
        for id in ["a", "b", "c"] {
            assert!(p.admit(job(id), PathBuf::from(id), limits).is_empty());
        }
        assert!(p.admit(job("d"), "d".into(), limits).is_empty(), "all running: none is removed");
        assert!(p.finish("b", Ok(40), limits).is_empty());
        assert!(p.finish("a", Ok(40), limits).is_empty());
        let gone = p.admit(job("e"), "e".into(), limits);
        assert_eq!(gone, [PathBuf::from("a"), PathBuf::from("b")], "the oldest finished go first");
        assert_eq!(ids(&p), ["c", "d", "e"]);
        // Bytes: 40 + 70 > 100 removes c, then d alone fits.
        assert!(p.finish("c", Ok(40), limits).is_empty());
        assert_eq!(p.finish("d", Ok(70), limits), [PathBuf::from("c")]);
        assert_eq!(p.kept_bytes(), 70);
        // Larger than the cap alone: failed, its file deleted, the others kept.
        assert_eq!(p.finish("e", Ok(101), limits), [PathBuf::from("e")]);
        let e = &p.by_id["e"].job;
        assert_eq!(e.status, "failed");
        assert!(e.error.as_deref().unwrap().contains("POST /api/v1/evidence"), "{e:?}");
        assert_eq!(p.kept_bytes(), 70);
        assert!(p.admit(job("f"), "f".into(), limits).is_empty());
        assert_eq!(p.finish("f", Err("boom".into()), limits), [PathBuf::from("f")]);
        assert_eq!(p.by_id["f"].job.error.as_deref(), Some("boom"));
    }

    /// The packs' folder is the console's user's alone (0700), and so are the files (0600).
    #[cfg(unix)]
    #[tokio::test]
    async fn packs_are_written_where_only_the_console_reads() {
        use std::os::unix::fs::PermissionsExt;
        let jobs = EvidenceJobs::default();
        let (path, _file) = jobs.create("x.zip").await.unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&jobs.dir), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert!(jobs.create("x.zip").await.is_err(), "an existing file is never reused");
        let dir = jobs.dir.clone();
        drop(jobs);
        assert!(!dir.exists(), "the folder goes with the console");
    }

    /// The slots are shared and taken without waiting: the fifth is refused with Retry-After.
    #[test]
    fn the_slots_are_taken_at_once_and_then_refused() {
        let jobs = EvidenceJobs::default();
        let held: Vec<_> = (0..MAX_RUNNING).map(|_| jobs.slot().unwrap()).collect();
        match jobs.slot() {
            Err(AppError::Busy { retry_after_secs, .. }) => assert!(retry_after_secs > 0),
            other => panic!("{:?}", other.map(|_| ())),
        }
        drop(held);
        assert!(jobs.slot().is_ok());
    }
}
