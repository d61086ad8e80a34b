//! The console as the restore-test validator: the checks admins set, the restore
//! tests waiting for validation, and one record per validated test. A test is
//! claimed by inserting its record (one winner on both engines, through the
//! primary key) before any check runs, and the record is finished after the result
//! went to AWS; each step writes its audit record in the same transaction.

use serde_json::json;
use shared::{CheckAnswer, RestoreTestCheckRule, RestoreTestChecks, RestoreValidation};
use sqlx::any::AnyRow;

use super::sql::{fetch_page, Cursor, ListQuery, Sql};
use super::{col, row, PlanRow, RestoreJobRow, Store, StoreError};
use crate::time::{rfc3339, rfc3339_opt};

/// The audit subject of a restore test's validation.
pub fn validation_subject(account_id: &str, job_id: &str) -> String {
    format!("restore_job:{account_id}/{job_id}")
}

/// How a validation ended: the state, the result sent (if any) and what was seen.
#[derive(Debug, Clone)]
pub struct Finish {
    pub state: &'static str,
    pub result: Option<&'static str>,
    pub message: String,
    pub checks: Vec<CheckAnswer>,
}

/// A claim that an earlier pass left `running` this long ago was lost (a crash
/// mid-validation), and an attempt that ended in an error is tried again this long
/// after it started: another pass may take the test over.
pub const CLAIM_LEASE_MS: i64 = 15 * 60_000;

fn read_checks(r: &AnyRow) -> Result<RestoreTestCheckRule, StoreError> {
    let selection: String = col(r, "selection_name")?;
    Ok(RestoreTestCheckRule {
        checks: RestoreTestChecks {
            plan_arn: col(r, "plan_arn")?,
            selection_name: (!selection.is_empty()).then_some(selection),
            min_items: col(r, "min_items")?,
            keys: serde_json::from_str(&col::<String>(r, "keys_json")?).unwrap_or_default(),
            rds_matches_source: col::<i64>(r, "rds_matches_source")? == 1,
        },
        source: "console".into(),
        updated_by: Some(col(r, "updated_by")?),
        updated_at: Some(rfc3339(col(r, "updated_at")?)),
    })
}

/// A validation and its start time (the list's sort key).
fn read_validation(r: &AnyRow) -> Result<(RestoreValidation, i64), StoreError> {
    let started: i64 = col(r, "started_at")?;
    let v = RestoreValidation {
        account_id: col(r, "account_id")?,
        job_id: col(r, "job_id")?,
        region: col(r, "region")?,
        plan_arn: col(r, "plan_arn")?,
        selection_name: col(r, "selection_name")?,
        resource_arn: col(r, "resource_arn")?,
        created_resource_arn: col(r, "created_resource_arn")?,
        state: col(r, "state")?,
        result: col(r, "result")?,
        message: col(r, "message")?,
        checks: serde_json::from_str(&col::<String>(r, "checks_json")?).unwrap_or_default(),
        started_at: rfc3339(started),
        finished_at: rfc3339_opt(col(r, "finished_at")?),
    };
    Ok((v, started))
}

impl Store {
    /// The checks admins set in the console, plan by plan.
    pub async fn console_checks(&self) -> Result<Vec<RestoreTestCheckRule>, StoreError> {
        let rows = sqlx::query("SELECT * FROM validation_checks ORDER BY plan_arn, selection_name")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(read_checks).collect()
    }

    /// Sets (or replaces) the checks of a plan or selection, with its audit record.
    pub async fn set_checks(&self, c: &RestoreTestChecks, actor: &str, now: i64) -> Result<(), StoreError> {
        let selection = c.selection_name.clone().unwrap_or_default();
        let mut tx = self.write_tx().await?;
        let mut del = Sql::new(self.engine(), "DELETE FROM validation_checks WHERE plan_arn = ");
        del.arg(c.plan_arn.as_str()).push(" AND selection_name = ").arg(selection.as_str());
        del.query().execute(&mut *tx).await?;
        let mut ins = Sql::new(
            self.engine(),
            "INSERT INTO validation_checks (plan_arn, selection_name, min_items, keys_json, rds_matches_source, updated_by, updated_at) VALUES (",
        );
        ins.args([
            c.plan_arn.as_str().into(),
            selection.as_str().into(),
            c.min_items.into(),
            serde_json::to_string(&c.keys).unwrap_or_else(|_| "[]".into()).into(),
            c.rds_matches_source.into(),
            actor.into(),
            now.into(),
        ])
        .push(")");
        ins.query().execute(&mut *tx).await?;
        let subject = format!("validation_checks:{}:{selection}", c.plan_arn);
        self.audit(&mut tx, now, actor, "validation_checks.set", &subject, json!(c)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the checks of a plan or selection set in the console; `false` when there were none.
    pub async fn remove_checks(
        &self,
        plan_arn: &str,
        selection: Option<&str>,
        actor: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let selection = selection.unwrap_or_default();
        let mut tx = self.write_tx().await?;
        let mut del = Sql::new(self.engine(), "DELETE FROM validation_checks WHERE plan_arn = ");
        del.arg(plan_arn).push(" AND selection_name = ").arg(selection);
        if del.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        let details = json!({"plan_arn": plan_arn, "selection_name": selection});
        let subject = format!("validation_checks:{plan_arn}:{selection}");
        self.audit(&mut tx, now, actor, "validation_checks.removed", &subject, details).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A synced restore testing plan by its ARN.
    pub async fn plan(&self, arn: &str) -> Result<Option<PlanRow>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM restore_testing_plans WHERE arn = ");
        sql.arg(arn);
        sql.query().fetch_optional(self.pool()).await?.as_ref().map(PlanRow::read).transpose()
    }

    /// Completed restore tests of `plan_arns` since `since` that nobody has validated
    /// (no validation status, or `VALIDATING`) and the validator has not taken, or
    /// whose last attempt ended in an error or whose claim was lost a lease ago; oldest first.
    pub async fn tests_to_validate(
        &self,
        plan_arns: &[String],
        since: i64,
        now: i64,
        limit: i64,
    ) -> Result<Vec<RestoreJobRow>, StoreError> {
        if plan_arns.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            self.engine(),
            "SELECT * FROM restore_jobs r WHERE r.is_test = 1 AND r.status = 'COMPLETED' AND r.completed_at >= ",
        );
        sql.arg(since)
            .push(" AND (r.validation_status IS NULL OR r.validation_status = 'VALIDATING') AND r.plan_arn IN (");
        for (i, arn) in plan_arns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.arg(arn.as_str());
        }
        sql.push(
            ") AND NOT EXISTS (SELECT 1 FROM restore_validations v WHERE v.account_id = r.account_id AND v.job_id = r.id
                AND NOT (v.state IN ('error', 'running') AND v.started_at < ",
        )
        .arg(now - CLAIM_LEASE_MS)
        .push(")) ORDER BY r.completed_at LIMIT ")
        .arg(limit);
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(row::<RestoreJobRow>).collect()
    }

    /// Takes a restore test for validation (`c`: the record as it starts, `running`):
    /// `false` when another pass (or replica) has it. A record left by an error or a
    /// lost claim is taken over.
    pub async fn claim_validation(&self, c: &RestoreValidation, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut take_over = Sql::new(self.engine(), "UPDATE restore_validations SET state = 'running', started_at = ");
        take_over
            .arg(now)
            .push(", finished_at = NULL WHERE account_id = ")
            .arg(c.account_id.as_str())
            .push(" AND job_id = ")
            .arg(c.job_id.as_str())
            .push(" AND state IN ('error', 'running') AND started_at < ")
            .arg(now - CLAIM_LEASE_MS);
        let taken_over = take_over.query().execute(&mut *tx).await?.rows_affected() == 1;
        if !taken_over {
            let mut ins = Sql::new(
                self.engine(),
                "INSERT INTO restore_validations (account_id, job_id, region, plan_arn, selection_name, resource_arn,
                 created_resource_arn, state, checks_json, started_at) VALUES (",
            );
            ins.args([
                c.account_id.as_str().into(),
                c.job_id.as_str().into(),
                c.region.as_str().into(),
                c.plan_arn.as_str().into(),
                c.selection_name.clone().into(),
                c.resource_arn.as_str().into(),
                c.created_resource_arn.clone().into(),
                "running".into(),
                "[]".into(),
                now.into(),
            ])
            .push(") ON CONFLICT (account_id, job_id) DO NOTHING");
            if ins.query().execute(&mut *tx).await?.rows_affected() == 0 {
                return Ok(false);
            }
        }
        let details = json!({
            "plan_arn": c.plan_arn, "selection_name": c.selection_name, "resource_arn": c.resource_arn,
            "created_resource_arn": c.created_resource_arn, "region": c.region, "retry": taken_over,
        });
        let subject = validation_subject(&c.account_id, &c.job_id);
        self.audit(&mut tx, now, "system", "restore_validation.started", &subject, details).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Ends a claimed validation: its record, the local copy of the restore job's
    /// validation (until the next sync reads AWS's), and the audit record.
    pub async fn finish_validation(&self, c: &RestoreValidation, f: &Finish, now: i64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let checks = serde_json::to_string(&f.checks).unwrap_or_else(|_| "[]".into());
        let mut upd = Sql::new(self.engine(), "UPDATE restore_validations SET state = ");
        upd.arg(f.state)
            .push(", result = ")
            .arg(f.result.map(str::to_string))
            .push(", message = ")
            .arg(f.message.as_str())
            .push(", checks_json = ")
            .arg(checks)
            .push(", finished_at = ")
            .arg(now)
            .push(" WHERE account_id = ")
            .arg(c.account_id.as_str())
            .push(" AND job_id = ")
            .arg(c.job_id.as_str());
        upd.query().execute(&mut *tx).await?;
        if let Some(result) = f.result.filter(|_| f.state == "reported") {
            let mut job = Sql::new(self.engine(), "UPDATE restore_jobs SET validation_status = ");
            job.arg(result)
                .push(", validation_message = ")
                .arg(f.message.as_str())
                .push(" WHERE account_id = ")
                .arg(c.account_id.as_str())
                .push(" AND id = ")
                .arg(c.job_id.as_str());
            job.query().execute(&mut *tx).await?;
        }
        let details = json!({
            "plan_arn": c.plan_arn, "selection_name": c.selection_name, "resource_arn": c.resource_arn,
            "created_resource_arn": c.created_resource_arn, "state": f.state, "result": f.result,
            "message": f.message, "checks": f.checks,
        });
        let action = match f.state {
            "reported" => "restore_validation.reported",
            "skipped" => "restore_validation.skipped",
            "refused" => "restore_validation.refused",
            _ => "restore_validation.error",
        };
        self.audit(&mut tx, now, "system", action, &validation_subject(&c.account_id, &c.job_id), details).await?;
        tx.commit().await?;
        self.inventory_changed().await?;
        Ok(())
    }

    /// Records a restore test the validator will not validate (its window has
    /// closed, or is 0): claimed and finished at once.
    pub async fn skip_validation(&self, c: &RestoreValidation, why: String, now: i64) -> Result<bool, StoreError> {
        if !self.claim_validation(c, now).await? {
            return Ok(false);
        }
        let f = Finish { state: "skipped", result: None, message: why, checks: Vec::new() };
        self.finish_validation(c, &f, now).await?;
        Ok(true)
    }

    /// The restore tests whose result the console's validator reported, among those it
    /// took from `since` on, as `account_id/job_id`.
    pub async fn reported_validations(&self, since: i64) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            "SELECT account_id, job_id FROM restore_validations WHERE state = 'reported' AND started_at >= ",
        );
        sql.arg(since);
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok(format!("{}/{}", col::<String>(r, "account_id")?, col::<String>(r, "job_id")?)))
            .collect()
    }

    /// The console's validations, newest first (filters: account, resource, plan).
    pub async fn list_validations(
        &self,
        q: &ListQuery,
    ) -> Result<(Vec<RestoreValidation>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM restore_validations WHERE 1 = 1");
        q.apply(&mut sql, &[("account_id", "account_id"), ("resource_arn", "resource_arn"), ("plan_arn", "plan_arn")]);
        q.page(&mut sql, Some("started_at"), "(account_id || '/' || job_id)");
        let (rows, next) = fetch_page(self.pool(), &sql, q.limit, read_validation, |(v, started)| Cursor {
            time: *started,
            key: format!("{}/{}", v.account_id, v.job_id),
        })
        .await?;
        Ok((rows.into_iter().map(|(v, _)| v).collect(), next))
    }
}
