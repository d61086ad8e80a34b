//! Restore and copy requests: created, decided, executed. Every change of a
//! request happens in a [`Store::write_tx`] together with its audit record, as a
//! compare-and-set on the status it expects, so concurrent decisions have one
//! winner and nothing changes without its record.

use std::collections::HashMap;

use serde_json::{json, Value};
use shared::{ActionRequest, Decision, PreflightCheck};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::sql::{Cursor, Sql, Val};
use super::{col, parsed, Store, StoreError};
use crate::domain::person;
use crate::time::rfc3339;

/// A request as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub requester: String,
    pub requester_name: String,
    pub account_id: String,
    pub region: String,
    pub params: Value,
    pub params_hash: String,
    pub justification: String,
    pub ticket: Option<String>,
    pub preflight: Vec<PreflightCheck>,
    pub approvals_needed: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub updated_at: i64,
    pub copy_token: Option<String>,
    pub copy_started_at: Option<i64>,
    pub copy_job_id: Option<String>,
    pub copy_state: Option<String>,
    pub destination_recovery_point_arn: Option<String>,
    pub restore_token: Option<String>,
    pub restore_started_at: Option<i64>,
    pub restore_job_id: Option<String>,
    pub restore_state: Option<String>,
    pub created_resource_arn: Option<String>,
    /// A restore testing change: its token (the CreatorRequestId of a create), when
    /// it was stored, and what AWS answered (the plan's ARN).
    pub change_token: Option<String>,
    pub change_started_at: Option<i64>,
    pub change_result: Option<String>,
    pub error: Option<String>,
    /// Since when the operator role cannot be assumed (the executor's patience).
    pub role_failing_since: Option<i64>,
}

impl RequestRow {
    fn read(r: &AnyRow) -> Result<Self, StoreError> {
        let text = |name: &str| col::<String>(r, name);
        Ok(Self {
            id: text("id")?,
            kind: text("kind")?,
            status: text("status")?,
            requester: text("requester")?,
            requester_name: text("requester_name")?,
            account_id: text("account_id")?,
            region: text("region")?,
            params: serde_json::from_str(&text("params")?).unwrap_or(Value::Null),
            params_hash: text("params_hash")?,
            justification: text("justification")?,
            ticket: col(r, "ticket")?,
            preflight: serde_json::from_str(&text("preflight")?).unwrap_or_default(),
            approvals_needed: col(r, "approvals_needed")?,
            created_at: col(r, "created_at")?,
            expires_at: col(r, "expires_at")?,
            updated_at: col(r, "updated_at")?,
            copy_token: col(r, "copy_token")?,
            copy_started_at: col(r, "copy_started_at")?,
            copy_job_id: col(r, "copy_job_id")?,
            copy_state: col(r, "copy_state")?,
            destination_recovery_point_arn: col(r, "destination_recovery_point_arn")?,
            restore_token: col(r, "restore_token")?,
            restore_started_at: col(r, "restore_started_at")?,
            restore_job_id: col(r, "restore_job_id")?,
            restore_state: col(r, "restore_state")?,
            created_resource_arn: col(r, "created_resource_arn")?,
            change_token: col(r, "change_token")?,
            change_started_at: col(r, "change_started_at")?,
            change_result: col(r, "change_result")?,
            error: col(r, "error")?,
            role_failing_since: col(r, "role_failing_since")?,
        })
    }

    /// A string parameter of the request.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str)
    }

    pub fn into_dto(
        self,
        decisions: Vec<Decision>,
        timeline: Vec<shared::AuditRecord>,
    ) -> Result<ActionRequest, StoreError> {
        Ok(ActionRequest {
            kind: parsed("kind", &self.kind)?,
            status: parsed("status", &self.status)?,
            id: self.id,
            requester: self.requester,
            requester_name: self.requester_name,
            account_id: self.account_id,
            region: self.region,
            params: self.params,
            params_hash: self.params_hash,
            justification: self.justification,
            ticket: self.ticket,
            preflight: self.preflight,
            approvals_needed: self.approvals_needed,
            decisions,
            created_at: rfc3339(self.created_at),
            expires_at: rfc3339(self.expires_at),
            updated_at: rfc3339(self.updated_at),
            copy_job_id: self.copy_job_id,
            copy_state: self.copy_state,
            destination_recovery_point_arn: self.destination_recovery_point_arn,
            restore_job_id: self.restore_job_id,
            restore_state: self.restore_state,
            created_resource_arn: self.created_resource_arn,
            change_result: self.change_result,
            error: self.error,
            timeline,
        })
    }
}

/// What a decision ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecideOutcome {
    /// Recorded; the request is now in this status.
    Recorded(String),
    NotFound,
    /// The request is no longer waiting for decisions (its status).
    NotPending(String),
    Expired,
    OwnRequest,
    NotAnApproverHere,
    StaleHash(String),
    AlreadyDecided,
}

/// Filters of the request list.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    pub status: Option<String>,
    pub requester: Option<String>,
    pub limit: i64,
    pub cursor: Option<Cursor>,
}

fn subject(id: &str) -> String {
    format!("request:{id}")
}

/// A column a status change sets, named by what it holds; only the store
/// knows the SQL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    CopyJobId,
    RestoreJobId,
    CopyState,
    RestoreState,
    DestinationRecoveryPointArn,
    CreatedResourceArn,
    ChangeResult,
    RequestId,
    ApprovedAt,
    ApprovedBy,
    JobStartedAt,
    JobCompletedAt,
    RestoredArn,
    Validation,
    ValidatedAt,
    CleanupDueAt,
    CleanupToken,
    CleanupStartedAt,
    CleanedUpAt,
    Outcome,
    Followups,
    Error,
    RoleFailingSince,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::CopyJobId => "copy_job_id",
            Column::RestoreJobId => "restore_job_id",
            Column::CopyState => "copy_state",
            Column::RestoreState => "restore_state",
            Column::DestinationRecoveryPointArn => "destination_recovery_point_arn",
            Column::CreatedResourceArn => "created_resource_arn",
            Column::ChangeResult => "change_result",
            Column::RequestId => "request_id",
            Column::ApprovedAt => "approved_at",
            Column::ApprovedBy => "approved_by",
            Column::JobStartedAt => "job_started_at",
            Column::JobCompletedAt => "job_completed_at",
            Column::RestoredArn => "restored_arn",
            Column::Validation => "validation",
            Column::ValidatedAt => "validated_at",
            Column::CleanupDueAt => "cleanup_due_at",
            Column::CleanupToken => "cleanup_token",
            Column::CleanupStartedAt => "cleanup_started_at",
            Column::CleanedUpAt => "cleaned_up_at",
            Column::Outcome => "outcome",
            Column::Followups => "followups",
            Column::Error => "error",
            Column::RoleFailingSince => "role_failing_since",
        }
    }
}

/// What a status change moves: a request or a drill, by id.
#[derive(Debug, Clone, Copy)]
pub enum Record<'a> {
    Request(&'a str),
    Drill(&'a str),
}

impl Store {
    async fn read_request(tx: &mut Transaction<'static, Any>, sql: &Sql) -> Result<Option<RequestRow>, StoreError> {
        let row = sql.query().fetch_optional(&mut **tx).await?;
        row.map(|r| RequestRow::read(&r)).transpose()
    }

    /// Stores a new request with its `request.created` record.
    pub async fn insert_request(&self, r: &RequestRow) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let columns = [
            "id",
            "kind",
            "status",
            "requester",
            "requester_name",
            "account_id",
            "region",
            "params",
            "params_hash",
            "justification",
            "ticket",
            "preflight",
            "approvals_needed",
            "created_at",
            "expires_at",
            "updated_at",
        ];
        let values: Vec<Val> = vec![
            r.id.clone().into(),
            r.kind.clone().into(),
            r.status.clone().into(),
            r.requester.clone().into(),
            r.requester_name.clone().into(),
            r.account_id.clone().into(),
            r.region.clone().into(),
            r.params.to_string().into(),
            r.params_hash.clone().into(),
            r.justification.clone().into(),
            r.ticket.clone().into(),
            serde_json::to_string(&r.preflight).unwrap_or_else(|_| "[]".into()).into(),
            r.approvals_needed.into(),
            r.created_at.into(),
            r.expires_at.into(),
            r.updated_at.into(),
        ];
        let mut sql = Sql::new(self.engine(), &format!("INSERT INTO requests ({}) VALUES (", columns.join(", ")));
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.arg(v);
        }
        sql.push(")");
        sql.query().execute(&mut *tx).await?;
        let details = json!({
            "kind": r.kind,
            "params": r.params,
            "params_hash": r.params_hash,
            "justification": r.justification,
            "ticket": r.ticket,
            "preflight": r.preflight,
            "approvals_needed": r.approvals_needed,
        });
        self.audit(&mut tx, r.created_at, &r.requester, "request.created", &subject(&r.id), details).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn request_row(&self, id: &str) -> Result<Option<RequestRow>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM requests WHERE id = ");
        sql.arg(id);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.map(|r| RequestRow::read(&r)).transpose()
    }

    /// Whether another request than `request_id` holds the job `job_id` in `column`
    /// (a job id column: [`Column::CopyJobId`] or [`Column::RestoreJobId`]).
    pub async fn job_held_by_another(
        &self,
        column: Column,
        job_id: &str,
        request_id: &str,
    ) -> Result<bool, StoreError> {
        let mut sql =
            Sql::new(self.engine(), &format!("SELECT COUNT(*) AS n FROM requests WHERE {} = ", column.name()));
        sql.arg(job_id).push(" AND id <> ").arg(request_id);
        Ok(col::<i64>(&sql.query().fetch_one(self.pool()).await?, "n")? > 0)
    }

    /// The decisions on each of `ids`, oldest first, in one query.
    async fn decisions(&self, ids: &[&str]) -> Result<HashMap<String, Vec<Decision>>, StoreError> {
        let mut by_request: HashMap<String, Vec<Decision>> = HashMap::new();
        if ids.is_empty() {
            return Ok(by_request);
        }
        let mut sql = Sql::new(self.engine(), "SELECT * FROM approvals WHERE request_id IN (");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.arg(*id);
        }
        sql.push(") ORDER BY at");
        for r in sql.query().fetch_all(self.pool()).await? {
            by_request.entry(col(&r, "request_id")?).or_default().push(Decision {
                approver: col(&r, "approver")?,
                approver_name: col(&r, "approver_name")?,
                decision: col(&r, "decision")?,
                reason: col(&r, "reason")?,
                at: rfc3339(col(&r, "at")?),
            });
        }
        Ok(by_request)
    }

    /// A request with its decisions and its audit timeline.
    pub async fn request(&self, id: &str) -> Result<Option<ActionRequest>, StoreError> {
        let Some(row) = self.request_row(id).await? else { return Ok(None) };
        let decisions = self.decisions(&[id]).await?.remove(id).unwrap_or_default();
        let timeline = self.audit_of(&subject(id)).await?;
        Ok(Some(row.into_dto(decisions, timeline)?))
    }

    /// Requests newest first, with their decisions (no timeline).
    pub async fn list_requests(&self, q: &RequestQuery) -> Result<(Vec<ActionRequest>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM requests WHERE 1 = 1");
        if let Some(s) = &q.status {
            sql.push(" AND status = ").arg(s.clone());
        }
        if let Some(r) = &q.requester {
            sql.push(" AND requester = ").arg(r.clone());
        }
        q_page(&mut sql, q);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let rows = rows.iter().map(RequestRow::read).collect::<Result<Vec<_>, _>>()?;
        let (rows, next) = super::sql::finish_page(rows, q.limit, |r| Cursor { time: r.created_at, key: r.id.clone() });
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut decisions = self.decisions(&ids).await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let d = decisions.remove(&r.id).unwrap_or_default();
                r.into_dto(d, Vec::new())
            })
            .collect::<Result<_, _>>()?;
        Ok((items, next))
    }

    /// Approves or rejects a request, as one serialized transaction: the
    /// checks, the decision row, the status change and their audit records.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide(
        &self,
        id: &str,
        actor: &str,
        actor_name: &str,
        approve: bool,
        params_hash: Option<&str>,
        reason: Option<&str>,
        allowed_approvers: Option<&[String]>,
        now: i64,
    ) -> Result<DecideOutcome, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::new(self.engine(), "SELECT * FROM requests WHERE id = ");
        sql.arg(id);
        let Some(r) = Self::read_request(&mut tx, &sql).await? else { return Ok(DecideOutcome::NotFound) };
        if r.status != "pending_approval" {
            return Ok(DecideOutcome::NotPending(r.status));
        }
        if now >= r.expires_at {
            self.set_status(&mut tx, id, "pending_approval", "expired", now).await?;
            self.audit(
                &mut tx,
                now,
                "system",
                "request.expired",
                &subject(id),
                json!({"expired_at": rfc3339(r.expires_at)}),
            )
            .await?;
            tx.commit().await?;
            return Ok(DecideOutcome::Expired);
        }
        if person(&r.requester) == person(actor) {
            return Ok(DecideOutcome::OwnRequest);
        }
        if allowed_approvers.is_some_and(|list| !list.iter().any(|a| a == actor)) {
            return Ok(DecideOutcome::NotAnApproverHere);
        }
        if approve && params_hash != Some(r.params_hash.as_str()) {
            return Ok(DecideOutcome::StaleHash(r.params_hash));
        }
        let mut decided = Sql::new(self.engine(), "SELECT approver FROM approvals WHERE request_id = ");
        decided.arg(id);
        for row in decided.query().fetch_all(&mut *tx).await? {
            if person(&col::<String>(&row, "approver")?) == person(actor) {
                return Ok(DecideOutcome::AlreadyDecided);
            }
        }
        let decision = if approve { "approve" } else { "reject" };
        let mut ins = Sql::new(
            self.engine(),
            "INSERT INTO approvals (request_id, approver, approver_name, decision, reason, params_hash, at) VALUES (",
        );
        ins.arg(id)
            .push(", ")
            .arg(actor)
            .push(", ")
            .arg(actor_name)
            .push(", ")
            .arg(decision)
            .push(", ")
            .arg(reason.map(str::to_string))
            .push(", ")
            .arg(r.params_hash.clone())
            .push(", ")
            .arg(now)
            .push(")");
        ins.query().execute(&mut *tx).await?;
        let action = if approve { "request.approval" } else { "request.rejected" };
        self.audit(&mut tx, now, actor, action, &subject(id), json!({"params_hash": r.params_hash, "reason": reason}))
            .await?;
        let status = if !approve {
            self.set_status(&mut tx, id, "pending_approval", "rejected", now).await?;
            "rejected".to_string()
        } else {
            let mut count = Sql::new(self.engine(), "SELECT COUNT(*) AS n FROM approvals WHERE request_id = ");
            count.arg(id).push(" AND decision = 'approve'");
            let approvals: i64 = col(&count.query().fetch_one(&mut *tx).await?, "n")?;
            if approvals >= r.approvals_needed {
                self.set_status(&mut tx, id, "pending_approval", "approved", now).await?;
                self.audit(&mut tx, now, "system", "request.approved", &subject(id), json!({"approvals": approvals}))
                    .await?;
                "approved".to_string()
            } else {
                "pending_approval".to_string()
            }
        };
        tx.commit().await?;
        Ok(DecideOutcome::Recorded(status))
    }

    async fn set_status(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: &str,
        from: &str,
        to: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE requests SET status = ");
        sql.arg(to).push(", updated_at = ").arg(now).push(" WHERE id = ").arg(id).push(" AND status = ").arg(from);
        Ok(sql.query().execute(&mut **tx).await?.rows_affected())
    }

    /// The requester withdraws a pending request.
    pub async fn cancel_request(&self, id: &str, actor: &str, now: i64) -> Result<DecideOutcome, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::new(self.engine(), "SELECT * FROM requests WHERE id = ");
        sql.arg(id);
        let Some(r) = Self::read_request(&mut tx, &sql).await? else { return Ok(DecideOutcome::NotFound) };
        if r.requester != actor {
            return Ok(DecideOutcome::NotAnApproverHere);
        }
        if r.status != "pending_approval" {
            return Ok(DecideOutcome::NotPending(r.status));
        }
        self.set_status(&mut tx, id, "pending_approval", "cancelled", now).await?;
        self.audit(&mut tx, now, actor, "request.cancelled", &subject(id), json!({})).await?;
        tx.commit().await?;
        Ok(DecideOutcome::Recorded("cancelled".into()))
    }

    /// Marks every undecided request past its expiry as expired.
    pub async fn expire_requests(&self, now: i64) -> Result<usize, StoreError> {
        let mut sql =
            Sql::new(self.engine(), "SELECT id FROM requests WHERE status = 'pending_approval' AND expires_at <= ");
        sql.arg(now);
        let ids: Vec<String> =
            sql.query().fetch_all(self.pool()).await?.iter().map(|r| col(r, "id")).collect::<Result<_, _>>()?;
        let mut expired = 0;
        for id in ids {
            let done = self
                .transition(
                    Record::Request(&id),
                    &["pending_approval"],
                    "expired",
                    &[],
                    now,
                    "system",
                    "request.expired",
                    json!({}),
                )
                .await?;
            expired += usize::from(done);
        }
        Ok(expired)
    }

    /// Stores the idempotency token of a phase before its Start call, only if the
    /// phase has none yet (compare-and-set), with its audit record.
    pub async fn store_token(&self, id: &str, phase: &str, token: &str, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::new(self.engine(), "UPDATE requests SET status = 'executing', updated_at = ");
        sql.arg(now)
            .push(&format!(", {phase}_token = "))
            .arg(token)
            .push(&format!(", {phase}_started_at = "))
            .arg(now)
            .push(" WHERE id = ")
            .arg(id)
            .push(&format!(" AND status IN ('approved', 'executing') AND {phase}_token IS NULL"));
        if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        let details = json!({"phase": phase, "idempotency_token": token});
        self.audit(&mut tx, now, "system", "execution.token_stored", &subject(id), details).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records that a Start call of `phase` is about to be sent (before it is).
    pub async fn record_start_attempt(&self, id: &str, phase: &str, at: i64) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.engine(), "INSERT INTO start_attempts (request_id, phase, at) VALUES (");
        sql.arg(id).push(", ").arg(phase).push(", ").arg(at).push(")");
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// When the Start calls of `phase` were sent, oldest first.
    pub async fn start_attempts(&self, id: &str, phase: &str) -> Result<Vec<i64>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT at FROM start_attempts WHERE request_id = ");
        sql.arg(id).push(" AND phase = ").arg(phase).push(" ORDER BY at");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(|r| col(r, "at")).collect()
    }

    /// The parameter hashes the approvals of a request were given for.
    pub async fn approved_hashes(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let mut sql =
            Sql::new(self.engine(), "SELECT params_hash FROM approvals WHERE decision = 'approve' AND request_id = ");
        sql.arg(id);
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(|r| col(r, "params_hash")).collect()
    }

    /// When the request's last approval was given, if it has one.
    pub async fn last_approved_at(&self, id: &str) -> Result<Option<i64>, StoreError> {
        let mut sql =
            Sql::new(self.engine(), "SELECT MAX(at) AS at FROM approvals WHERE decision = 'approve' AND request_id = ");
        sql.arg(id);
        col(&sql.query().fetch_one(self.pool()).await?, "at")
    }

    /// The ids of requests the executor has to move on.
    pub async fn runnable_requests(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT id FROM requests WHERE status IN ('approved', 'executing') ORDER BY created_at")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| col(r, "id")).collect()
    }

    /// Changes a request or a drill that is in one of `from` to `to` (the same
    /// status to only set columns), setting `sets`, with its audit record, in one
    /// transaction. `false` when it was not in `from` (someone else moved it).
    #[allow(clippy::too_many_arguments)]
    pub async fn transition(
        &self,
        record: Record<'_>,
        from: &[&str],
        to: &str,
        sets: &[(Column, Val)],
        now: i64,
        actor: &str,
        action: &str,
        details: Value,
    ) -> Result<bool, StoreError> {
        self.transition_if(record, from, to, sets, None, now, actor, action, details).await
    }

    /// [`Self::transition`], and only while `column` still holds `was` (`None`: NULL):
    /// of two executors that saw one job start or change state (one token, so AWS
    /// answers both with the same job), one records it.
    #[allow(clippy::too_many_arguments)]
    pub async fn transition_if(
        &self,
        record: Record<'_>,
        from: &[&str],
        to: &str,
        sets: &[(Column, Val)],
        still: Option<(Column, Option<&str>)>,
        now: i64,
        actor: &str,
        action: &str,
        details: Value,
    ) -> Result<bool, StoreError> {
        let (table, id, subject) = match record {
            Record::Request(id) => ("requests", id, subject(id)),
            Record::Drill(id) => ("drills", id, super::assurance::drill_subject(id)),
        };
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::new(self.engine(), &format!("UPDATE {table} SET status = "));
        sql.arg(to).push(", updated_at = ").arg(now);
        for (column, value) in sets {
            sql.push(&format!(", {} = ", column.name())).arg(value.clone());
        }
        sql.push(" WHERE id = ").arg(id).push(" AND status IN (");
        for (i, f) in from.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.arg(*f);
        }
        sql.push(")");
        match still {
            Some((column, Some(was))) => {
                sql.push(&format!(" AND {} = ", column.name())).arg(was);
            }
            Some((column, None)) => {
                sql.push(&format!(" AND {} IS NULL", column.name()));
            }
            None => {}
        }
        if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        self.audit(&mut tx, now, actor, action, &subject, details).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Why a resource ARN is taken, if the console knows of it: a protected
    /// resource, or what a restore job created and nobody deleted.
    pub async fn resource_known(&self, arn: &str) -> Result<Option<String>, StoreError> {
        let mut sql =
            Sql::new(self.engine(), "SELECT COUNT(*) AS n FROM protected_resources WHERE gone_at IS NULL AND arn = ");
        sql.arg(arn);
        if col::<i64>(&sql.query().fetch_one(self.pool()).await?, "n")? > 0 {
            return Ok(Some("a protected resource of that name exists".into()));
        }
        let mut sql = Sql::new(
            self.engine(),
            "SELECT id FROM restore_jobs WHERE status IN ('PENDING', 'RUNNING', 'COMPLETED')
               AND (deletion_status IS NULL OR deletion_status <> 'SUCCESSFUL') AND created_resource_arn = ",
        );
        sql.arg(arn).push(" LIMIT 1");
        if let Some(row) = sql.query().fetch_optional(self.pool()).await? {
            return Ok(Some(format!("restore job {} created it", col::<String>(&row, "id")?)));
        }
        Ok(None)
    }

    /// Requests waiting for a decision and the age of the oldest (for the inbox count).
    pub async fn pending_requests(&self) -> Result<Vec<RequestRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM requests WHERE status = 'pending_approval' ORDER BY created_at")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(RequestRow::read).collect()
    }
}

fn q_page(sql: &mut Sql, q: &RequestQuery) {
    if let Some(c) = &q.cursor {
        sql.push(" AND (created_at < ")
            .arg(c.time)
            .push(" OR (created_at = ")
            .arg(c.time)
            .push(" AND id < ")
            .arg(c.key.clone())
            .push("))");
    }
    sql.push(" ORDER BY created_at DESC, id DESC LIMIT ").arg(q.limit + 1);
}
