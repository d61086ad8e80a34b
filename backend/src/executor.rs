//! Runs approved requests exactly once and tracks them to their end.
//!
//! Before `StartRestoreJob` or `StartCopyJob` is called, the idempotency token
//! is stored with the request (and audited). Any later attempt (a retry after a
//! timeout or a lost answer, a crash, a restart, another replica) sends the same
//! token, so AWS answers with the job the first call started. After the token's
//! window the executor no longer calls Start at all: it looks the job up. The
//! AWS session that starts a job is named after the requester and the request.

mod changes;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_backup::config::http::HttpResponse;
use aws_sdk_backup::error::{ProvideErrorMetadata, SdkError};
use serde_json::{json, Value};
use tokio::sync::{Mutex, Notify};

use crate::aws::RoleTarget;
use crate::store::{Column, Record, RequestRow, Store, StoreError, Val};
use crate::sync::Syncer;
use crate::time::Clock;

/// AWS keeps an idempotency token for about an hour; after this long the
/// executor looks a job up instead of calling Start again.
const TOKEN_WINDOW_MS: i64 = 50 * 60_000;
/// How far the console's clock and AWS's may disagree when a job's CreationDate is
/// matched to the time a Start call was sent.
const CLOCK_SKEW_MS: i64 = 60_000;

/// When a phase's Start calls were sent, for matching a job found after the token
/// window: AWS created the request's job while one of them was under way.
struct AttemptTimes {
    /// Each call's send time (console clock, ms).
    sent: Vec<i64>,
    /// How long one call can last (aws.call_timeout_secs).
    call_ms: i64,
}

impl AttemptTimes {
    /// `attempts` as recorded; a request whose calls predate the record (none
    /// recorded) falls back to the whole window from when its token was stored.
    fn new(attempts: Vec<i64>, token_stored: i64, call_ms: i64) -> Self {
        if attempts.is_empty() {
            return Self { sent: vec![token_stored], call_ms: TOKEN_WINDOW_MS };
        }
        Self { sent: attempts, call_ms }
    }

    fn earliest(&self) -> i64 {
        self.sent.iter().min().copied().unwrap_or_default() - CLOCK_SKEW_MS
    }

    /// Whether a job created at `created` (AWS's clock) can come from one of the calls.
    fn could_have_made(&self, created: i64) -> bool {
        self.sent.iter().any(|&at| created >= at - CLOCK_SKEW_MS && created <= at + self.call_ms + CLOCK_SKEW_MS)
    }
}
/// How long a request waits for an operator role that STS refuses, once a job may
/// exist, before it fails (IAM mistakes are usually put right within the hour).
const ROLE_PATIENCE_MS: i64 = 60 * 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Copy,
    Restore,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Copy => "copy",
            Phase::Restore => "restore",
        }
    }

    fn job_column(self) -> Column {
        match self {
            Phase::Copy => Column::CopyJobId,
            Phase::Restore => Column::RestoreJobId,
        }
    }

    fn state_column(self) -> Column {
        match self {
            Phase::Copy => Column::CopyState,
            Phase::Restore => Column::RestoreState,
        }
    }

    /// The phase's token, when it was stored, its job and the job's last known state.
    fn of(self, r: &RequestRow) -> (&Option<String>, Option<i64>, &Option<String>, &Option<String>) {
        match self {
            Phase::Copy => (&r.copy_token, r.copy_started_at, &r.copy_job_id, &r.copy_state),
            Phase::Restore => (&r.restore_token, r.restore_started_at, &r.restore_job_id, &r.restore_state),
        }
    }
}

/// The recovery point a restore starts from: the copy's, in a cross-account restore.
fn restore_source(r: &RequestRow) -> String {
    if r.kind == "cross_account_restore" {
        r.destination_recovery_point_arn.clone().unwrap_or_default()
    } else {
        r.param("recovery_point_arn").unwrap_or_default().to_string()
    }
}

/// What one AWS call came to.
enum Call<T> {
    Done(T),
    /// AWS refused it: it did not happen and will not on a retry.
    Refused(String),
    /// Unknown whether it happened (timeout, 5xx, lost answer): retry with the same token.
    Unknown(String),
    /// STS refused the operator role, so this call was never sent (what an earlier
    /// attempt did stays unknown).
    NoRole(String),
}

impl<T> Call<T> {
    /// What a call that was done came to.
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Call<U> {
        match self {
            Call::Done(v) => Call::Done(f(v)),
            Call::Refused(e) => Call::Refused(e),
            Call::Unknown(e) => Call::Unknown(e),
            Call::NoRole(e) => Call::NoRole(e),
        }
    }

    /// The job id a Start call answered with (`what` names the call when it is missing).
    fn job_id(self, id: impl FnOnce(&T) -> Option<&str>, what: &str) -> Call<String> {
        match self {
            Call::Done(out) => match id(&out) {
                Some(id) => Call::Done(id.to_string()),
                None => Call::Unknown(format!("{what} answered without a job id")),
            },
            Call::Refused(e) => Call::Refused(e),
            Call::Unknown(e) => Call::Unknown(e),
            Call::NoRole(e) => Call::NoRole(e),
        }
    }
}

/// A failed call whose outcome is unknown, unless the role could not be assumed.
fn not_sent_or_unknown<T, E>(e: &SdkError<E, HttpResponse>) -> Call<T>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match crate::aws::role_refused(e) {
        Some(f) => Call::NoRole(format!("the operator role cannot be assumed: {f}")),
        None => Call::Unknown(crate::aws::failure(e).to_string()),
    }
}

fn classify<E, T>(result: Result<T, SdkError<E, HttpResponse>>) -> Call<T>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(v) => Call::Done(v),
        Err(e) => {
            if let Some(f) = crate::aws::role_refused(&e) {
                return Call::NoRole(format!("the operator role cannot be assumed: {f}"));
            }
            let code = e.code().unwrap_or_default().to_string();
            let status = match &e {
                SdkError::ServiceError(_) => e.raw_response().map(|r| r.status().as_u16()),
                _ => None,
            };
            let text = e.message().map(|m| format!("{code}: {m}")).unwrap_or_else(|| format!("{e}"));
            let throttled =
                ["ThrottlingException", "TooManyRequestsException", "LimitExceededException"].contains(&code.as_str());
            match status {
                Some(s) if (400..500).contains(&s) && !throttled => Call::Refused(text),
                _ => Call::Unknown(text),
            }
        }
    }
}

pub struct Executor {
    store: Store,
    syncer: Arc<Syncer>,
    clock: Clock,
    wake: Notify,
    clients: Mutex<HashMap<(RoleTarget, String, String), aws_sdk_backup::Client>>,
    running: Mutex<()>,
    preflight: std::sync::OnceLock<Preflight>,
}

/// The request pre-flight (`actions::preflight`, a layer above the executor), given
/// at start-up: run again before a request's first Start.
pub type Preflight = Arc<
    dyn Fn(Value, shared::RecoveryPoint) -> futures_util::future::BoxFuture<'static, Vec<shared::PreflightCheck>>
        + Send
        + Sync,
>;

impl Executor {
    pub fn new(store: Store, syncer: Arc<Syncer>, clock: Clock) -> Arc<Self> {
        Arc::new(Self {
            store,
            syncer,
            clock,
            wake: Notify::new(),
            clients: Mutex::new(HashMap::new()),
            running: Mutex::new(()),
            preflight: std::sync::OnceLock::new(),
        })
    }

    /// Gives the pre-flight to run again before a request's first Start (once).
    pub fn set_preflight(&self, preflight: Preflight) {
        let _ = self.preflight.set(preflight);
    }

    /// Runs a pass now (after an approval) rather than at the next tick.
    /// Moves an executing request on (to `to`, `executing` to stay), setting
    /// `sets`, with the system's audit record `action`.
    async fn moved(
        &self,
        r: &RequestRow,
        to: &str,
        sets: &[(Column, Val)],
        at: i64,
        action: &str,
        details: serde_json::Value,
    ) -> Result<bool, StoreError> {
        self.store.transition(Record::Request(&r.id), &["executing"], to, sets, at, "system", action, details).await
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Passes every `every`, or sooner when woken.
    pub fn start(self: &Arc<Self>, every: Duration) {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                if let Err(e) = me.pass().await {
                    tracing::error!(error = %e, "executor pass failed");
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = me.wake.notified() => {}
                }
            }
        });
    }

    /// One pass: expires undecided requests, then moves each approved or running
    /// one on by a step. One replica at a time.
    pub async fn pass(&self) -> Result<(), StoreError> {
        let _local = self.running.lock().await;
        let Some(_replica) = self.store.try_lock_executor().await? else { return Ok(()) };
        let now = (self.clock)();
        self.store.expire_requests(now).await?;
        for id in self.store.runnable_requests().await? {
            if let Some(r) = self.store.request_row(&id).await? {
                if let Err(e) = self.step(&r).await {
                    tracing::error!(request = %id, error = %e, "executor step failed");
                }
            }
        }
        // One client per request (its own STS session name): those of requests that
        // ended go, or the map would grow with every request the process ever ran.
        let live = self.store.runnable_requests().await?;
        self.clients.lock().await.retain(|(_, _, session), _| live.iter().any(|id| session.ends_with(id.as_str())));
        Ok(())
    }

    /// How many AWS clients the executor holds (one per running request and account).
    pub async fn cached_clients(&self) -> usize {
        self.clients.lock().await.len()
    }

    async fn client(&self, r: &RequestRow, account: &str) -> Result<aws_sdk_backup::Client, String> {
        let role = self
            .syncer
            .operator_role(account)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("account {account} has no operator role (accounts[].operator_role_arn)"))?;
        let clean: String =
            r.requester.chars().filter(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(*c)).take(22).collect();
        let session = format!("rc-{clean}-{}", r.id);
        let key = (role.clone(), r.region.clone(), session.clone());
        let mut clients = self.clients.lock().await;
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let c = self.syncer.aws().acting(&role, &r.region, &session).await;
        clients.insert(key, c.clone());
        Ok(c)
    }

    async fn fail(&self, r: &RequestRow, why: &str) -> Result<(), StoreError> {
        let now = (self.clock)();
        self.store
            .transition(
                Record::Request(&r.id),
                &["approved", "executing"],
                "failed",
                &[(Column::Error, why.into())],
                now,
                "system",
                "execution.failed",
                json!({"error": why}),
            )
            .await?;
        Ok(())
    }

    /// Whether the stored parameters still hash to the hash every approval was given for.
    async fn approved_as_stored(&self, r: &RequestRow) -> Result<bool, StoreError> {
        let hash = crate::domain::params_hash(&r.params);
        let approved = self.store.approved_hashes(&r.id).await?;
        Ok(hash == r.params_hash && !approved.is_empty() && approved.iter().all(|h| *h == hash))
    }

    /// Why an approved request may no longer start, if so: its approval lapsed
    /// (`requests.approval_valid_hours`), or a pre-flight check that passed when it was
    /// filed fails now (run again against AWS and the inventory).
    async fn stale(&self, r: &RequestRow, now: i64) -> Result<Option<String>, StoreError> {
        let hours = self.syncer.config().requests.approval_valid_hours;
        if let Some(at) = self.store.last_approved_at(&r.id).await? {
            if now - at > hours * 3_600_000 {
                return Ok(Some(format!(
                    "the approval of {} lapsed: no job started within requests.approval_valid_hours ({hours}); file and approve it again",
                    crate::time::rfc3339(at)
                )));
            }
        }
        let Some(preflight) = self.preflight.get() else { return Ok(None) };
        let Some(rp) = self.store.recovery_point(r.param("recovery_point_arn").unwrap_or_default()).await? else {
            return Ok(Some("its recovery point is no longer in the inventory".into()));
        };
        let now_checks = preflight(r.params.clone(), rp).await;
        let broken: Vec<String> = r
            .preflight
            .iter()
            .filter(|then| then.ok == Some(true))
            .filter_map(|then| now_checks.iter().find(|c| c.check == then.check && c.ok == Some(false)))
            .map(|c| format!("{}: {}", c.check, c.detail))
            .collect();
        Ok((!broken.is_empty()).then(|| format!("pre-flight changed since approval: {}", broken.join("; "))))
    }

    async fn step(&self, r: &RequestRow) -> Result<(), StoreError> {
        match r.kind.as_str() {
            kind if kind.parse::<shared::RequestKind>().is_ok_and(|k| k.is_testing_change()) => self.change(r).await,
            "copy" => self.advance(r, Phase::Copy, true).await,
            "restore" => self.advance(r, Phase::Restore, true).await,
            _ if r.copy_state.as_deref() != Some("COMPLETED") => self.advance(r, Phase::Copy, false).await,
            _ => self.advance(r, Phase::Restore, true).await,
        }
    }

    /// Moves one phase on: store the token, start the job, or follow it.
    /// `last`: the request succeeds when this phase completes.
    async fn advance(&self, r: &RequestRow, phase: Phase, last: bool) -> Result<(), StoreError> {
        let now = (self.clock)();
        let (token, started, job, _) = phase.of(r);
        let p = phase.name();
        // The account the phase acts in: a copy starts where the recovery point is;
        // a cross-account restore restores in the target account.
        let account = match phase {
            Phase::Copy => r.account_id.clone(),
            Phase::Restore => r.param("restore_account_id").unwrap_or(&r.account_id).to_string(),
        };
        let client = match self.client(r, &account).await {
            Ok(c) => c,
            // Once a token is out, a job may exist: never give up on a passing error.
            Err(why) if token.is_some() || job.is_some() => {
                tracing::warn!(request = %r.id, error = %why, "no AWS client for a started phase; retrying");
                return Ok(());
            }
            Err(why) => return self.fail(r, &why).await,
        };
        let Some(job_id) = job else {
            // Runs only what was approved: the stored parameters must still hash to
            // the hash every approval was given for.
            if !self.approved_as_stored(r).await? {
                return self.fail(r, "the stored parameters are not the ones approved; nothing was started").await;
            }
            let (token, started, first) = match (token, started) {
                (Some(t), Some(s)) => (t.clone(), s, false),
                _ if r.copy_token.is_none() && r.restore_token.is_none() => {
                    // Nothing of this request has started: its approval must be fresh and
                    // what pre-flight found then must still hold.
                    if let Some(why) = self.stale(r, now).await? {
                        return self.fail(r, &format!("{why}; nothing was started")).await;
                    }
                    let t = uuid::Uuid::new_v4().to_string();
                    if !self.store.store_token(&r.id, p, &t, now).await? {
                        return Ok(());
                    }
                    (t, now, true)
                }
                _ => {
                    let t = uuid::Uuid::new_v4().to_string();
                    if !self.store.store_token(&r.id, p, &t, now).await? {
                        return Ok(()); // another executor stored one: the next pass uses it
                    }
                    (t, now, true)
                }
            };
            let looked_up = now - started >= TOKEN_WINDOW_MS;
            let started_job = if !looked_up {
                // Written before the call: the lookup after the window matches a job to
                // the times its Start calls were sent.
                self.store.record_start_attempt(&r.id, p, now).await?;
                self.start_job(&client, r, phase, &token).await
            } else {
                self.find_job(&client, r, phase, started).await
            };
            return match started_job {
                Call::Done(id) => {
                    let sets = [
                        (phase.job_column(), Val::from(id.clone())),
                        (phase.state_column(), Val::from("CREATED")),
                        (Column::RoleFailingSince, Val::from(None::<i64>)),
                    ];
                    // Recorded once: another executor may have started (and recorded)
                    // the same job with the same token meanwhile.
                    self.store
                        .transition_if(
                            Record::Request(&r.id),
                            &["executing"],
                            "executing",
                            &sets,
                            Some((phase.job_column(), None)),
                            (self.clock)(),
                            "system",
                            &format!("aws.{p}_job_started"),
                            json!({"job_id": id, "idempotency_token": token}),
                        )
                        .await?;
                    Ok(())
                }
                // A refusal of the first call means nothing started, and so does a
                // lookup that found no job. A refusal of a retry does not prove the
                // first call did not take effect: keep following the token (after
                // its window, the job is looked up).
                Call::Refused(why) if first || looked_up => {
                    self.fail(r, &format!("AWS refused the {p} job: {why}")).await
                }
                // The first Start was never sent: nothing started.
                Call::NoRole(why) if first => {
                    self.fail(r, &format!("{why}; the {p} job was not started (StartJob was never sent)")).await
                }
                Call::NoRole(why) => self.role_unavailable(r, &why, pending_job(r, phase)).await,
                Call::Refused(why) | Call::Unknown(why) => {
                    tracing::warn!(request = %r.id, phase = p, error = %why, "start unconfirmed; retrying with the same token");
                    Ok(())
                }
            };
        };
        self.follow(&client, r, phase, job_id, last).await
    }

    async fn start_job(
        &self,
        client: &aws_sdk_backup::Client,
        r: &RequestRow,
        phase: Phase,
        token: &str,
    ) -> Call<String> {
        let cfg = self.syncer.config();
        match phase {
            Phase::Copy => {
                let lifecycle = r.params.get("lifecycle").filter(|l| !l.is_null()).map(|l| {
                    aws_sdk_backup::types::Lifecycle::builder()
                        .set_delete_after_days(l["delete_after_days"].as_i64())
                        .set_move_to_cold_storage_after_days(l["move_to_cold_storage_after_days"].as_i64())
                        .build()
                });
                let role = r
                    .param("copy_role_arn")
                    .or(r.param("iam_role_arn"))
                    .map(str::to_string)
                    .unwrap_or_else(|| cfg.backup_role(&r.account_id));
                let result = client
                    .start_copy_job()
                    .recovery_point_arn(r.param("recovery_point_arn").unwrap_or_default())
                    .source_backup_vault_name(r.param("source_vault_name").unwrap_or_default())
                    .destination_backup_vault_arn(r.param("destination_vault_arn").unwrap_or_default())
                    .iam_role_arn(role)
                    .idempotency_token(token)
                    .set_lifecycle(lifecycle)
                    .send()
                    .await;
                classify(result).job_id(|o| o.copy_job_id(), "StartCopyJob")
            }
            Phase::Restore => {
                let rp = restore_source(r);
                let metadata: HashMap<String, String> = r
                    .params
                    .get("metadata")
                    .and_then(|m| m.as_object())
                    .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect())
                    .unwrap_or_default();
                let result = client
                    .start_restore_job()
                    .recovery_point_arn(rp)
                    .set_metadata(Some(metadata))
                    .iam_role_arn(r.param("iam_role_arn").unwrap_or_default())
                    .idempotency_token(token)
                    .resource_type(r.param("resource_type").unwrap_or_default())
                    .send()
                    .await;
                classify(result).job_id(|o| o.restore_job_id(), "StartRestoreJob")
            }
        }
    }

    /// After the token window: the job a Start with this request's token began, if
    /// any (same recovery point, same role, created while one of the request's Start
    /// calls was under way); starting again could make a second one, so it never does.
    async fn find_job(
        &self,
        client: &aws_sdk_backup::Client,
        r: &RequestRow,
        phase: Phase,
        started: i64,
    ) -> Call<String> {
        let attempts = match self.store.start_attempts(&r.id, phase.name()).await {
            Ok(a) => a,
            Err(e) => return Call::Unknown(e.to_string()),
        };
        let call_ms = i64::try_from(self.syncer.config().aws.call_timeout_secs).unwrap_or(i64::MAX / 4) * 1000;
        let sent = AttemptTimes::new(attempts, started, call_ms);
        let since = aws_smithy_types::DateTime::from_millis(sent.earliest());
        let in_window = |d: Option<&aws_smithy_types::DateTime>| {
            d.and_then(|d| d.to_millis().ok()).is_some_and(|ms| sent.could_have_made(ms))
        };
        match phase {
            Phase::Copy => {
                let rp = r.param("recovery_point_arn").unwrap_or_default().to_string();
                let role = r.param("copy_role_arn").or(r.param("iam_role_arn")).unwrap_or_default().to_string();
                let pages: Result<Vec<_>, _> =
                    client.list_copy_jobs().by_created_after(since).into_paginator().send().try_collect().await;
                let pages = match pages {
                    Ok(p) => p,
                    Err(e) => return not_sent_or_unknown(&e),
                };
                // A copy job carries nothing of the token or the request: a job a backup
                // plan made (CreatedBy names it) or another request holds is not this one's,
                // and of the rest exactly one must be left, or nobody can tell which it is.
                let candidates: Vec<String> = pages
                    .iter()
                    .flat_map(|p| p.copy_jobs().iter())
                    .filter(|j| {
                        j.source_recovery_point_arn() == Some(rp.as_str())
                            && j.destination_backup_vault_arn() == r.param("destination_vault_arn")
                            && j.iam_role_arn() == Some(role.as_str())
                            && j.created_by().and_then(|c| c.backup_plan_id()).is_none()
                            && in_window(j.creation_date())
                    })
                    .filter_map(|j| j.copy_job_id().map(str::to_string))
                    .collect();
                let candidates = match self.unclaimed(r, phase, candidates).await {
                    Ok(c) => c,
                    Err(e) => return Call::Unknown(e.to_string()),
                };
                match candidates.as_slice() {
                    [] => Call::Refused(not_found(phase)),
                    [one] => Call::Done(one.clone()),
                    several => Call::Refused(format!(
                        "unknown, check by hand: {} copy jobs of this recovery point into this vault with this role started while this request's StartCopyJob calls were under way ({}), and none can be told to be this request's; it is not started again",
                        several.len(),
                        several.join(", ")
                    )),
                }
            }
            Phase::Restore => {
                let rp = restore_source(r);
                let pages: Result<Vec<_>, _> =
                    client.list_restore_jobs().by_created_after(since).into_paginator().send().try_collect().await;
                let pages = match pages {
                    Ok(p) => p,
                    Err(e) => return not_sent_or_unknown(&e),
                };
                let role = r.param("iam_role_arn").unwrap_or_default();
                // A manual restore: no restore testing plan in CreatedBy (RestoreJobCreator
                // holds only that), whether AWS leaves CreatedBy out or sends it empty.
                let candidates: Vec<String> = pages
                    .iter()
                    .flat_map(|p| p.restore_jobs().iter())
                    .filter(|j| {
                        j.recovery_point_arn() == Some(rp.as_str())
                            && j.created_by().and_then(|c| c.restore_testing_plan_arn()).is_none()
                            && j.iam_role_arn() == Some(role)
                            && in_window(j.creation_date())
                    })
                    .filter_map(|j| j.restore_job_id().map(str::to_string))
                    .collect();
                match self.unclaimed(r, phase, candidates).await {
                    Ok(candidates) => self.own_restore_job(client, r, candidates).await,
                    Err(e) => Call::Unknown(e.to_string()),
                }
            }
        }
    }

    /// The jobs of `ids` that no other request holds already.
    async fn unclaimed(&self, r: &RequestRow, phase: Phase, ids: Vec<String>) -> Result<Vec<String>, StoreError> {
        let mut free = Vec::new();
        for id in ids {
            if !self.store.job_held_by_another(phase.job_column(), &id, &r.id).await? {
                free.push(id);
            }
        }
        Ok(free)
    }

    /// Of the restore jobs that could be this request's, the one that restores into the
    /// request's target (GetRestoreJobMetadata: the metadata the job was started with), so
    /// that another person's restore of the same recovery point is never taken for it.
    async fn own_restore_job(
        &self,
        client: &aws_sdk_backup::Client,
        r: &RequestRow,
        candidates: Vec<String>,
    ) -> Call<String> {
        let wanted = restore_target(&r.params["metadata"]);
        for id in candidates {
            let out = match client.get_restore_job_metadata().restore_job_id(&id).send().await {
                Ok(out) => out,
                Err(e) => return not_sent_or_unknown(&e),
            };
            let started_with = out
                .metadata()
                .map(|m| serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect()));
            if wanted.is_some() && restore_target(&started_with.unwrap_or_default()) == wanted {
                return Call::Done(id);
            }
        }
        Call::Refused(not_found(Phase::Restore))
    }

    /// Follows a started job; records state changes and the end.
    async fn follow(
        &self,
        client: &aws_sdk_backup::Client,
        r: &RequestRow,
        phase: Phase,
        job_id: &str,
        last: bool,
    ) -> Result<(), StoreError> {
        let p = phase.name();
        let (state, message, extra) = match phase {
            Phase::Copy => match classify(client.describe_copy_job().copy_job_id(job_id).send().await) {
                Call::Done(out) => {
                    let j = out.copy_job();
                    (
                        j.and_then(|j| j.state()).map(|s| s.as_str().to_string()).unwrap_or_default(),
                        j.and_then(|j| j.status_message()).map(str::to_string),
                        j.and_then(|j| j.destination_recovery_point_arn()).map(str::to_string),
                    )
                }
                Call::NoRole(why) => return self.role_unavailable(r, &why, pending_job(r, phase)).await,
                Call::Refused(e) | Call::Unknown(e) => {
                    tracing::warn!(request = %r.id, error = %e, "could not read the copy job");
                    return Ok(());
                }
            },
            Phase::Restore => match classify(client.describe_restore_job().restore_job_id(job_id).send().await) {
                Call::Done(out) => (
                    out.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                    out.status_message().map(str::to_string),
                    out.created_resource_arn().map(str::to_string),
                ),
                Call::NoRole(why) => return self.role_unavailable(r, &why, pending_job(r, phase)).await,
                Call::Refused(e) | Call::Unknown(e) => {
                    tracing::warn!(request = %r.id, error = %e, "could not read the restore job");
                    return Ok(());
                }
            },
        };
        if r.role_failing_since.is_some() {
            self.role_available(r).await?;
        }
        let (_, _, _, known) = phase.of(r);
        if known.as_deref() == Some(state.as_str()) {
            return Ok(());
        }
        let now = (self.clock)();
        let state_col = phase.state_column();
        let details = json!({"job_id": job_id, "state": state, "message": message});
        match state.as_str() {
            "COMPLETED" => {
                let mut sets: Vec<(Column, Val)> = vec![(state_col, state.clone().into())];
                match phase {
                    Phase::Copy => sets.push((Column::DestinationRecoveryPointArn, extra.clone().into())),
                    Phase::Restore => sets.push((Column::CreatedResourceArn, extra.clone().into())),
                }
                let to = if last { "succeeded" } else { "executing" };
                let details = json!({"job_id": job_id, "state": state, "result": extra});
                self.moved(r, to, &sets, now, &format!("aws.{p}_job_completed"), details).await?;
            }
            "FAILED" | "ABORTED" | "EXPIRED" | "PARTIAL" => {
                let why = format!("the {p} job {job_id} ended {state}: {}", message.clone().unwrap_or_default());
                let sets: Vec<(Column, Val)> = vec![(state_col, state.clone().into()), (Column::Error, why.into())];
                self.moved(r, "failed", &sets, now, &format!("aws.{p}_job_failed"), details).await?;
            }
            _ => {
                let sets: Vec<(Column, Val)> = vec![(state_col, state.clone().into())];
                // Once: another executor may have seen (and recorded) this state meanwhile.
                let still = Some((state_col, known.as_deref()));
                let action = format!("aws.{p}_job_state");
                let request = Record::Request(&r.id);
                self.store
                    .transition_if(request, &["executing"], "executing", &sets, still, now, "system", &action, details)
                    .await?;
            }
        }
        Ok(())
    }
}

impl Executor {
    /// The operator role cannot be assumed for a phase that may already have a job in
    /// AWS (a token went out, or the job is known): its fate cannot be read, so the
    /// request waits [`ROLE_PATIENCE_MS`] for the role to work again, then fails with
    /// the reason. Both ends are in the audit log. `pending` says what may exist in
    /// AWS, for the failure's reason.
    pub(super) async fn role_unavailable(&self, r: &RequestRow, why: &str, pending: String) -> Result<(), StoreError> {
        let now = (self.clock)();
        let Some(since) = r.role_failing_since else {
            return self.mark_role_wait(r, Some(now), "execution.role_unavailable", json!({"error": why})).await;
        };
        if now - since < ROLE_PATIENCE_MS {
            tracing::warn!(request = %r.id, error = %why, "operator role cannot be assumed; waiting");
            return Ok(());
        }
        let minutes = (now - since) / 60_000;
        self.fail(r, &format!("{why} (for {minutes} minutes); {pending}")).await
    }

    /// The operator role works again: the wait ends.
    pub(super) async fn role_available(&self, r: &RequestRow) -> Result<(), StoreError> {
        self.mark_role_wait(r, None, "execution.role_available", json!({})).await
    }

    /// Starts (`Some(since)`) or ends the wait for the operator role, audited as `action`.
    async fn mark_role_wait(
        &self,
        r: &RequestRow,
        since: Option<i64>,
        action: &str,
        details: serde_json::Value,
    ) -> Result<(), StoreError> {
        let sets = [(Column::RoleFailingSince, Val::from(since))];
        let (record, from) = (Record::Request(&r.id), ["approved", "executing"]);
        self.store.transition(record, &from, &r.status, &sets, (self.clock)(), "system", action, details).await?;
        Ok(())
    }
}

/// The resource a restore's metadata names (restore metadata keys are
/// case-insensitive; RDS identifiers are stored in lower case). Types whose new
/// resource AWS names (EC2 instances, EBS volumes, EFS file systems) are told apart
/// by the whole metadata the job was started with.
fn restore_target(metadata: &serde_json::Value) -> Option<String> {
    let map = metadata.as_object()?;
    let named = map.iter().find_map(|(k, v)| {
        let key = k.to_ascii_lowercase();
        ["targettablename", "dbinstanceidentifier", "dbclusteridentifier", "destinationbucketname"]
            .contains(&key.as_str())
            .then(|| v.as_str().map(|v| format!("{key}={}", v.to_ascii_lowercase())))
            .flatten()
    });
    named.or_else(|| {
        let mut all: Vec<String> =
            map.iter().map(|(k, v)| format!("{}={}", k.to_ascii_lowercase(), v.as_str().unwrap_or_default())).collect();
        all.sort();
        (!all.is_empty()).then(|| all.join("\n"))
    })
}

/// What a phase whose role cannot be assumed may have left in AWS.
fn pending_job(r: &RequestRow, phase: Phase) -> String {
    let p = phase.name();
    let (token, _, job, _) = phase.of(r);
    match (job, token) {
        (Some(job), _) => format!("the {p} job {job} was started; how it ends is not known"),
        (None, Some(token)) => format!("a {p} job may have started (idempotency token {token})"),
        (None, None) => format!("no {p} job was started"),
    }
}

fn not_found(phase: Phase) -> String {
    format!("no {} job of this request was found after the idempotency window; it is not started again", phase.name())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_restore_job_is_recognised_by_what_it_restores_into() {
        let t = |v: serde_json::Value| super::restore_target(&v);
        assert_eq!(t(serde_json::json!({"DBInstanceIdentifier": "MyDB"})), Some("dbinstanceidentifier=mydb".into()));
        assert_eq!(
            t(serde_json::json!({"dbClusterIdentifier": "c-1", "port": "3306"})),
            Some("dbclusteridentifier=c-1".into())
        );
        // An EBS volume has no name in its metadata: the whole metadata tells two restores apart.
        let a = t(serde_json::json!({"availabilityZone": "ap-southeast-2a", "volumeType": "gp3"}));
        let b = t(serde_json::json!({"AvailabilityZone": "ap-southeast-2a", "volumeType": "io2"}));
        assert!(a.is_some() && a != b);
        assert_eq!(a, t(serde_json::json!({"volumetype": "gp3", "AVAILABILITYZONE": "ap-southeast-2a"})));
    }
}
