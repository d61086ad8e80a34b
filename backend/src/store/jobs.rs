//! Backup, copy and restore jobs. Jobs are history: a sync adds and updates
//! them, never marks them gone.

use shared::{BackupJob, CopyJob, RestoreJob};

use super::sql::{fetch_page, Cursor, ListQuery, Sql, Val, TEST_FAILED, TEST_PASSED, TEST_RESTORED};
use super::{row, Engine, Store, StoreError};
use crate::time::{rfc3339, rfc3339_opt};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BackupJobRow {
    pub account_id: String,
    pub id: String,
    pub region: String,
    pub vault_name: Option<String>,
    pub vault_arn: Option<String>,
    pub recovery_point_arn: Option<String>,
    pub resource_arn: String,
    pub resource_type: String,
    pub resource_name: Option<String>,
    pub status: String,
    pub status_message: Option<String>,
    pub percent_done: Option<String>,
    pub size_bytes: Option<i64>,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    /// 1 for a composite (parent) job (AWS `IsParent`).
    pub is_parent: i64,
    /// A child job's parent (AWS `ParentJobId`).
    pub parent_job_id: Option<String>,
}

pub const BACKUP_JOB_COLUMNS: [&str; 18] = [
    "account_id",
    "id",
    "region",
    "vault_name",
    "vault_arn",
    "recovery_point_arn",
    "resource_arn",
    "resource_type",
    "resource_name",
    "status",
    "status_message",
    "percent_done",
    "size_bytes",
    "created_at",
    "completed_at",
    "is_parent",
    "parent_job_id",
    "synced_at",
];

impl BackupJobRow {
    pub fn vals(&self, synced_at: i64) -> Vec<Val> {
        vec![
            self.account_id.clone().into(),
            self.id.clone().into(),
            self.region.clone().into(),
            self.vault_name.clone().into(),
            self.vault_arn.clone().into(),
            self.recovery_point_arn.clone().into(),
            self.resource_arn.clone().into(),
            self.resource_type.clone().into(),
            self.resource_name.clone().into(),
            self.status.clone().into(),
            self.status_message.clone().into(),
            self.percent_done.clone().into(),
            self.size_bytes.into(),
            self.created_at.into(),
            self.completed_at.into(),
            self.is_parent.into(),
            self.parent_job_id.clone().into(),
            synced_at.into(),
        ]
    }

    pub fn into_dto(self) -> BackupJob {
        BackupJob {
            job_id: self.id,
            account_id: self.account_id,
            region: self.region,
            vault_name: self.vault_name,
            vault_arn: self.vault_arn,
            recovery_point_arn: self.recovery_point_arn,
            resource_arn: self.resource_arn,
            resource_type: self.resource_type,
            resource_name: self.resource_name,
            status: self.status,
            status_message: self.status_message,
            percent_done: self.percent_done,
            size_bytes: self.size_bytes,
            created_at: rfc3339(self.created_at),
            completed_at: rfc3339_opt(self.completed_at),
            is_parent: self.is_parent != 0,
            parent_job_id: self.parent_job_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CopyJobRow {
    pub account_id: String,
    pub id: String,
    pub region: String,
    pub source_vault_arn: Option<String>,
    pub source_recovery_point_arn: Option<String>,
    pub destination_vault_arn: Option<String>,
    pub destination_recovery_point_arn: Option<String>,
    pub resource_arn: String,
    pub resource_type: String,
    pub resource_name: Option<String>,
    pub status: String,
    pub status_message: Option<String>,
    pub size_bytes: Option<i64>,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    /// 1 for a composite (parent) job (AWS `IsParent`).
    pub is_parent: i64,
    /// A child job's parent (AWS `ParentJobId`).
    pub parent_job_id: Option<String>,
}

pub const COPY_JOB_COLUMNS: [&str; 18] = [
    "account_id",
    "id",
    "region",
    "source_vault_arn",
    "source_recovery_point_arn",
    "destination_vault_arn",
    "destination_recovery_point_arn",
    "resource_arn",
    "resource_type",
    "resource_name",
    "status",
    "status_message",
    "size_bytes",
    "created_at",
    "completed_at",
    "is_parent",
    "parent_job_id",
    "synced_at",
];

impl CopyJobRow {
    pub fn vals(&self, synced_at: i64) -> Vec<Val> {
        vec![
            self.account_id.clone().into(),
            self.id.clone().into(),
            self.region.clone().into(),
            self.source_vault_arn.clone().into(),
            self.source_recovery_point_arn.clone().into(),
            self.destination_vault_arn.clone().into(),
            self.destination_recovery_point_arn.clone().into(),
            self.resource_arn.clone().into(),
            self.resource_type.clone().into(),
            self.resource_name.clone().into(),
            self.status.clone().into(),
            self.status_message.clone().into(),
            self.size_bytes.into(),
            self.created_at.into(),
            self.completed_at.into(),
            self.is_parent.into(),
            self.parent_job_id.clone().into(),
            synced_at.into(),
        ]
    }

    pub fn into_dto(self) -> CopyJob {
        CopyJob {
            job_id: self.id,
            account_id: self.account_id,
            region: self.region,
            source_vault_arn: self.source_vault_arn,
            source_recovery_point_arn: self.source_recovery_point_arn,
            destination_vault_arn: self.destination_vault_arn,
            destination_recovery_point_arn: self.destination_recovery_point_arn,
            resource_arn: self.resource_arn,
            resource_type: self.resource_type,
            resource_name: self.resource_name,
            status: self.status,
            status_message: self.status_message,
            size_bytes: self.size_bytes,
            created_at: rfc3339(self.created_at),
            completed_at: rfc3339_opt(self.completed_at),
            is_parent: self.is_parent != 0,
            parent_job_id: self.parent_job_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RestoreJobRow {
    pub account_id: String,
    pub id: String,
    pub region: String,
    pub recovery_point_arn: Option<String>,
    pub vault_arn: Option<String>,
    pub resource_arn: Option<String>,
    pub resource_type: String,
    pub created_resource_arn: Option<String>,
    pub status: String,
    pub status_message: Option<String>,
    pub percent_done: Option<String>,
    pub size_bytes: Option<i64>,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub recovery_point_created_at: Option<i64>,
    pub plan_arn: Option<String>,
    pub validation_status: Option<String>,
    pub validation_message: Option<String>,
    pub deletion_status: Option<String>,
    pub deletion_message: Option<String>,
    pub is_parent: i64,
    pub parent_job_id: Option<String>,
}

pub const RESTORE_JOB_COLUMNS: [&str; 24] = [
    "account_id",
    "id",
    "region",
    "recovery_point_arn",
    "vault_arn",
    "resource_arn",
    "resource_type",
    "created_resource_arn",
    "status",
    "status_message",
    "percent_done",
    "size_bytes",
    "created_at",
    "completed_at",
    "recovery_point_created_at",
    "plan_arn",
    "is_test",
    "validation_status",
    "validation_message",
    "deletion_status",
    "deletion_message",
    "is_parent",
    "parent_job_id",
    "synced_at",
];

impl RestoreJobRow {
    pub fn vals(&self, synced_at: i64) -> Vec<Val> {
        vec![
            self.account_id.clone().into(),
            self.id.clone().into(),
            self.region.clone().into(),
            self.recovery_point_arn.clone().into(),
            self.vault_arn.clone().into(),
            self.resource_arn.clone().into(),
            self.resource_type.clone().into(),
            self.created_resource_arn.clone().into(),
            self.status.clone().into(),
            self.status_message.clone().into(),
            self.percent_done.clone().into(),
            self.size_bytes.into(),
            self.created_at.into(),
            self.completed_at.into(),
            self.recovery_point_created_at.into(),
            self.plan_arn.clone().into(),
            self.plan_arn.is_some().into(),
            self.validation_status.clone().into(),
            self.validation_message.clone().into(),
            self.deletion_status.clone().into(),
            self.deletion_message.clone().into(),
            self.is_parent.into(),
            self.parent_job_id.clone().into(),
            synced_at.into(),
        ]
    }

    pub fn into_dto(self) -> RestoreJob {
        RestoreJob {
            job_id: self.id,
            account_id: self.account_id,
            region: self.region,
            recovery_point_arn: self.recovery_point_arn,
            vault_arn: self.vault_arn,
            resource_arn: self.resource_arn,
            resource_type: self.resource_type,
            created_resource_arn: self.created_resource_arn,
            status: self.status,
            status_message: self.status_message,
            percent_done: self.percent_done,
            size_bytes: self.size_bytes,
            created_at: rfc3339(self.created_at),
            completed_at: rfc3339_opt(self.completed_at),
            duration_minutes: self.completed_at.map(|c| (c - self.created_at) / 60_000),
            recovery_point_created_at: rfc3339_opt(self.recovery_point_created_at),
            test: self.plan_arn.is_some(),
            plan_arn: self.plan_arn,
            validation_status: self.validation_status,
            validation_message: self.validation_message,
            deletion_status: self.deletion_status,
            deletion_message: self.deletion_message,
            is_parent: self.is_parent != 0,
            parent_job_id: self.parent_job_id,
        }
    }
}

const JOB_FILTERS: [(&str, &str); 8] = [
    ("account_id", "account_id"),
    ("region", "region"),
    ("resource_type", "resource_type"),
    ("resource_arn", "resource_arn"),
    ("status", "status"),
    ("created_at", "created_at"),
    ("vault", "vault_name"),
    ("parent_job_id", "parent_job_id"),
];

/// The job key (`account/id`) in SQL; both engines spell concatenation `||`.
const JOB_KEY: &str = "(account_id || '/' || id)";

fn job_key(account: &str, id: &str) -> String {
    format!("{account}/{id}")
}

/// The condition (after a `WHERE`) of a restore job whose status, validation or
/// deletion may still change: not finished, a test whose validation has no final
/// answer, or a test whose clean-up has not ended.
const UNSETTLED: &str = " AND (status NOT IN ('COMPLETED', 'FAILED', 'ABORTED')
    OR (is_test = 1 AND status = 'COMPLETED' AND (validation_status IS NULL OR validation_status = 'VALIDATING'))
    OR (is_test = 1 AND (deletion_status IS NULL OR deletion_status = 'DELETING')))";

impl Store {
    pub async fn list_backup_jobs(&self, q: &ListQuery) -> Result<(Vec<BackupJob>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM backup_jobs WHERE 1 = 1");
        let mut filters = JOB_FILTERS.to_vec();
        filters.push(("vault_arn", "vault_arn"));
        q.apply(&mut sql, &filters);
        q.page(&mut sql, Some("created_at"), JOB_KEY);
        let (rows, next) = fetch_page(self.pool(), &sql, q.limit, row::<BackupJobRow>, |j| Cursor {
            time: j.created_at,
            key: job_key(&j.account_id, &j.id),
        })
        .await?;
        Ok((rows.into_iter().map(BackupJobRow::into_dto).collect(), next))
    }

    pub async fn list_copy_jobs(&self, q: &ListQuery) -> Result<(Vec<CopyJob>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM copy_jobs WHERE 1 = 1");
        let mut filters = JOB_FILTERS[..6].to_vec();
        filters.push(("vault_arn", "source_vault_arn"));
        filters.push(("parent_job_id", "parent_job_id"));
        q.apply(&mut sql, &filters);
        q.page(&mut sql, Some("created_at"), JOB_KEY);
        let (rows, next) = fetch_page(self.pool(), &sql, q.limit, row::<CopyJobRow>, |j| Cursor {
            time: j.created_at,
            key: job_key(&j.account_id, &j.id),
        })
        .await?;
        Ok((rows.into_iter().map(CopyJobRow::into_dto).collect(), next))
    }

    pub async fn list_restore_jobs(&self, q: &ListQuery) -> Result<(Vec<RestoreJob>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM restore_jobs j WHERE 1 = 1");
        let mut filters = JOB_FILTERS[..6].to_vec();
        filters.extend([
            ("vault_arn", "vault_arn"),
            ("test", "is_test"),
            ("validation_status", "validation_status"),
            ("plan_arn", "plan_arn"),
        ]);
        q.apply(&mut sql, &filters);
        match q.outcome.as_deref() {
            Some("passed") => sql.push(" AND ").push(TEST_PASSED),
            Some("restored") => sql.push(" AND ").push(TEST_RESTORED),
            Some("failed") => sql.push(" AND ").push(TEST_FAILED),
            _ => &mut sql,
        };
        q.page(&mut sql, Some("created_at"), JOB_KEY);
        let (rows, next) = fetch_page(self.pool(), &sql, q.limit, row::<RestoreJobRow>, |j| Cursor {
            time: j.created_at,
            key: job_key(&j.account_id, &j.id),
        })
        .await?;
        Ok((rows.into_iter().map(RestoreJobRow::into_dto).collect(), next))
    }

    /// Restore jobs of an account and region created from `since` to `before` whose
    /// status, validation or deletion may still change: not finished, a test whose
    /// validation has no final answer, or a test whose clean-up has not ended. Their
    /// ids with their creation times, oldest first.
    pub async fn unsettled_restore_jobs(
        &self,
        account_id: &str,
        region: &str,
        since: i64,
        before: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT id, created_at FROM restore_jobs WHERE account_id = ");
        sql.arg(account_id)
            .push(" AND region = ")
            .arg(region)
            .push(" AND created_at >= ")
            .arg(since)
            .push(" AND created_at < ")
            .arg(before)
            .push(UNSETTLED)
            .push(" ORDER BY created_at");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((super::col(r, "id")?, super::col(r, "created_at")?))).collect()
    }

    /// When the oldest unsettled restore job of `accounts` in a Region created since
    /// `since` was created, as [`Store::unsettled_restore_jobs`] tells unsettled.
    pub async fn oldest_unsettled_restore(
        &self,
        region: &str,
        accounts: &std::collections::HashSet<String>,
        since: i64,
    ) -> Result<Option<i64>, StoreError> {
        if accounts.is_empty() {
            return Ok(None);
        }
        let mut sql = Sql::new(self.engine(), "SELECT MIN(created_at) AS oldest FROM restore_jobs WHERE region = ");
        sql.arg(region).push(" AND account_id IN (").args(accounts.iter().map(|a| Val::from(a.clone())));
        sql.push(") AND created_at >= ").arg(since).push(UNSETTLED);
        let row = sql.query().fetch_one(self.pool()).await?;
        super::col(&row, "oldest")
    }

    /// Whether the database holds a job of `table` (`backup_jobs`, `copy_jobs` or
    /// `restore_jobs`) of one of `accounts` in a region, created before `before`, whose
    /// state may still change: one not in a final state of the Backup model's
    /// `BackupJobState` (ABORTED, COMPLETED, FAILED, EXPIRED, PARTIAL), `CopyJobState`
    /// (COMPLETED, FAILED, PARTIAL) or `RestoreJobStatus` (ABORTED, COMPLETED, FAILED).
    /// A state this does not know counts as not final.
    pub async fn has_unfinished_jobs<'a>(
        &self,
        table: &str,
        accounts: impl IntoIterator<Item = &'a str>,
        region: &str,
        before: i64,
    ) -> Result<bool, StoreError> {
        let accounts: Vec<Val> = accounts.into_iter().map(Val::from).collect();
        if accounts.is_empty() {
            return Ok(false);
        }
        let sql = unfinished_jobs(self.engine(), table, accounts, region, before);
        Ok(sql.query().fetch_optional(self.pool()).await?.is_some())
    }
}

/// [`Store::has_unfinished_jobs`]'s question. Its status test is written exactly as
/// the partial indexes of migration 0024 write theirs, so that both engines answer
/// from those indexes (only the jobs not final) instead of every job row of the accounts.
fn unfinished_jobs(e: Engine, table: &str, accounts: Vec<Val>, region: &str, before: i64) -> Sql {
    let mut sql = Sql::new(e, &format!("SELECT 1 AS n FROM {table} WHERE account_id IN ("));
    sql.args(accounts)
        .push(") AND region = ")
        .arg(region)
        .push(" AND created_at < ")
        .arg(before)
        .push(" AND status NOT IN ('ABORTED', 'COMPLETED', 'FAILED', 'EXPIRED', 'PARTIAL') LIMIT 1");
    sql
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Whether a sync must list jobs by completion is answered from the indexes of the
    /// jobs not final (migration 0024), not by reading every job row of the accounts
    /// (SQLite's plan, after `ANALYZE` as a sync leaves it).
    #[tokio::test]
    async fn the_unfinished_job_question_reads_the_unfinished_indexes() {
        let db = crate::store::TempSqlite::new().await;
        db.store.refresh_statistics().await.unwrap();
        for table in ["backup_jobs", "copy_jobs", "restore_jobs"] {
            let accounts = vec![Val::from("400000000500"), Val::from("400000000501")];
            let plan = db.plan(&unfinished_jobs(db.store.engine(), table, accounts, "us-east-1", 2)).await;
            let index = format!("{table}_unfinished");
            assert!(plan.iter().any(|step| step.contains(&index)), "{index}: {plan:?}");
        }
    }
}
