//! Saving what one sync of one (account, region) read, the sync status of every
//! (account, region), the registered accounts, and the per-account summary.

use shared::{Account, AccountSummary, RegionSync, SyncCounts};

use super::inventory::{PLAN_COLUMNS, RECOVERY_POINT_COLUMNS, RESOURCE_COLUMNS, VAULT_COLUMNS};
use super::jobs::{BACKUP_JOB_COLUMNS, COPY_JOB_COLUMNS, RESTORE_JOB_COLUMNS};
use super::sql::{counted_job, test_counts, upsert, upserts, Sql, COUNTED_POINT, COUNTED_RESTORE, TEST_COUNTS};
use super::*;
use crate::time::rfc3339_opt;

/// Rows per write transaction of the sync: one statement each for every table (at
/// most 24 columns, so 24,000 arguments, under both engines' limits).
const WRITE_CHUNK_ROWS: usize = 1000;

/// The tables that values derived from the inventory read ([`Store::derived`]):
/// a write to one moves the inventory's version.
const COVERAGE_INPUTS: [&str; 3] = ["protected_resources", "restore_jobs", "restore_testing_plans"];

/// Everything one sync read from one (account, region).
#[derive(Debug, Clone, Default)]
pub struct TargetSnapshot {
    pub account_id: String,
    pub region: String,
    pub vaults: Vec<VaultRow>,
    pub recovery_points: Vec<RecoveryPointRow>,
    pub resources: Vec<ProtectedResourceRow>,
    pub backup_jobs: Vec<BackupJobRow>,
    pub copy_jobs: Vec<CopyJobRow>,
    pub restore_jobs: Vec<RestoreJobRow>,
    pub plans: Vec<PlanRow>,
    /// The start of the job window this sync read.
    pub jobs_from: i64,
    /// The start of its backup-job window (AWS lists 30 days of backup jobs).
    pub backup_jobs_from: i64,
}

/// How one (account, region) sync ended.
#[derive(Debug, Clone)]
pub enum SyncOutcome {
    Ok { counts: SyncCounts },
    Error { code: String, message: String },
}

/// A registered account, as the sync knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRecord {
    pub id: String,
    pub name: String,
    pub role_arn: String,
    pub regions: Vec<String>,
    pub source: String,
}

impl Store {
    /// Saves a snapshot: upserts everything read, then marks as gone what this
    /// (account, region) no longer has and records the success. The rows go in
    /// short transactions of [`WRITE_CHUNK_ROWS`], so that a person's write (a
    /// note, an approval) waits milliseconds behind the sync, not a whole account;
    /// a pass that fails half-way leaves upserted rows and no success, and the
    /// next pass writes them again.
    pub async fn save_snapshot(&self, snap: &TargetSnapshot, started: i64, now: i64) -> Result<SyncCounts, StoreError> {
        let e = self.engine();
        self.upsert_in_chunks(
            "vaults",
            &VAULT_COLUMNS,
            &["arn"],
            snap.vaults.iter().map(|r| r.vals(now)).collect(),
            true,
        )
        .await?;
        self.upsert_in_chunks(
            "recovery_points",
            &RECOVERY_POINT_COLUMNS,
            &["arn"],
            snap.recovery_points.iter().map(|r| r.vals(now)).collect(),
            true,
        )
        .await?;
        self.upsert_in_chunks(
            "protected_resources",
            &RESOURCE_COLUMNS,
            &["account_id", "region", "arn"],
            snap.resources.iter().map(|r| r.vals(now)).collect(),
            true,
        )
        .await?;
        self.upsert_in_chunks(
            "restore_testing_plans",
            &PLAN_COLUMNS,
            &["arn"],
            snap.plans.iter().map(|r| r.vals(now)).collect(),
            true,
        )
        .await?;
        let job_key = ["account_id", "id"];
        self.upsert_in_chunks(
            "backup_jobs",
            &BACKUP_JOB_COLUMNS,
            &job_key,
            snap.backup_jobs.iter().map(|r| r.vals(now)).collect(),
            false,
        )
        .await?;
        self.upsert_in_chunks(
            "copy_jobs",
            &COPY_JOB_COLUMNS,
            &job_key,
            snap.copy_jobs.iter().map(|r| r.vals(now)).collect(),
            false,
        )
        .await?;
        self.upsert_in_chunks(
            "restore_jobs",
            &RESTORE_JOB_COLUMNS,
            &job_key,
            snap.restore_jobs.iter().map(|r| r.vals(now)).collect(),
            false,
        )
        .await?;
        // The Backup model makes a restore job's SourceResourceArn and ResourceType
        // optional: a job without them takes its recovery point's, so that restore
        // times and restore-test attribution (both by resource) still count it.
        let mut sql = Sql::new(
            e,
            "UPDATE restore_jobs SET
               resource_arn = COALESCE(resource_arn,
                 (SELECT rp.resource_arn FROM recovery_points rp WHERE rp.arn = restore_jobs.recovery_point_arn)),
               resource_type = CASE WHEN resource_type <> '' THEN resource_type ELSE COALESCE(
                 (SELECT rp.resource_type FROM recovery_points rp WHERE rp.arn = restore_jobs.recovery_point_arn), '') END
             WHERE (resource_arn IS NULL OR resource_type = '') AND account_id = ",
        );
        sql.arg(snap.account_id.clone()).push(" AND region = ").arg(snap.region.clone());
        sql.query().execute(self.writer()).await?;
        let mut tx = self.begin_write().await?;
        for table in ["vaults", "recovery_points", "protected_resources", "restore_testing_plans"] {
            let mut sql = Sql::new(e, &format!("UPDATE {table} SET gone_at = "));
            sql.arg(now)
                .push(" WHERE account_id = ")
                .arg(snap.account_id.clone())
                .push(" AND region = ")
                .arg(snap.region.clone())
                .push(" AND synced_at < ")
                .arg(now)
                .push(" AND gone_at IS NULL");
            sql.query().execute(&mut *tx).await?;
        }
        let counts = self.count_target(&mut tx, &snap.account_id, &snap.region).await?;
        let mut sql = Sql::new(e, "UPDATE sync_status SET status = 'ok', last_success_at = ");
        sql.arg(now)
            .push(", duration_ms = ")
            .arg(now - started)
            .push(", error_code = NULL, error_message = NULL, jobs_synced_from = ")
            .arg(snap.jobs_from)
            .push(", backup_jobs_held_from = COALESCE(backup_jobs_held_from, ")
            .arg(snap.backup_jobs_from)
            .push(")");
        for (name, value) in counts_columns(&counts) {
            sql.push(&format!(", {name} = ")).arg(value);
        }
        sql.push(" WHERE account_id = ").arg(snap.account_id.clone()).push(" AND region = ").arg(snap.region.clone());
        sql.query().execute(&mut *tx).await?;
        tx.commit().await?;
        self.inventory_changed().await?;
        Ok(counts)
    }

    /// Upserts rows in transactions of at most [`WRITE_CHUNK_ROWS`] each.
    async fn upsert_in_chunks(
        &self,
        table: &str,
        columns: &[&str],
        key: &[&str],
        rows: Vec<Vec<Val>>,
        clears_gone: bool,
    ) -> Result<(), StoreError> {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Val>> = rows.by_ref().take(WRITE_CHUNK_ROWS).collect();
            let mut statements = upserts(self.engine(), table, columns, key, chunk, clears_gone);
            if statements.len() == 1 {
                // One statement is its own transaction. In one of several statements
                // SQLite would copy every page it changes into a statement journal
                // first, so that a failure could undo that statement alone (a tenth
                // of the sync's CPU when measured).
                statements.remove(0).query().execute(self.writer()).await?;
            } else {
                let mut tx = self.begin_write().await?;
                for sql in statements {
                    sql.query().execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
            if COVERAGE_INPUTS.contains(&table) {
                self.inventory_changed().await?;
            }
        }
        Ok(())
    }

    async fn count_target(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        account: &str,
        region: &str,
    ) -> Result<SyncCounts, StoreError> {
        let mut counts = [0i64; 7];
        let tables = [
            ("vaults", true),
            ("recovery_points", true),
            ("protected_resources", true),
            ("backup_jobs", false),
            ("copy_jobs", false),
            ("restore_jobs", false),
            ("restore_testing_plans", true),
        ];
        for (i, (table, has_gone)) in tables.iter().enumerate() {
            let mut sql = Sql::new(self.engine(), &format!("SELECT COUNT(*) AS n FROM {table} j WHERE account_id = "));
            sql.arg(account).push(" AND region = ").arg(region);
            if matches!(*table, "backup_jobs" | "copy_jobs" | "restore_jobs") {
                sql.push(&format!(" AND {}", counted_job(table)));
            }
            if *table == "recovery_points" {
                sql.push(&format!(" AND {COUNTED_POINT}"));
            }
            if *has_gone {
                sql.push(" AND gone_at IS NULL");
            }
            let row = sql.query().fetch_one(&mut **tx).await?;
            counts[i] = col(&row, "n")?;
        }
        let [vaults, recovery_points, protected_resources, backup_jobs, copy_jobs, restore_jobs, restore_testing_plans] =
            counts;
        Ok(SyncCounts {
            vaults,
            recovery_points,
            protected_resources,
            backup_jobs,
            copy_jobs,
            restore_jobs,
            restore_testing_plans,
        })
    }

    /// Marks an (account, region) as being synced now.
    pub async fn sync_started(&self, account: &str, region: &str, now: i64) -> Result<(), StoreError> {
        let mut sql =
            Sql::new(self.engine(), "INSERT INTO sync_status (account_id, region, status, last_attempt_at) VALUES (");
        sql.arg(account)
            .push(", ")
            .arg(region)
            .push(", 'running', ")
            .arg(now)
            .push(") ON CONFLICT (account_id, region) DO UPDATE SET status = 'running', last_attempt_at = excluded.last_attempt_at");
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// Records a failed sync; the data of earlier syncs stays, now stale.
    pub async fn sync_failed(
        &self,
        account: &str,
        region: &str,
        started: i64,
        now: i64,
        code: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE sync_status SET status = 'error', duration_ms = ");
        sql.arg(now - started)
            .push(", error_code = ")
            .arg(code)
            .push(", error_message = ")
            .arg(message)
            .push(" WHERE account_id = ")
            .arg(account)
            .push(" AND region = ")
            .arg(region);
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// The job window start of the last successful sync of an (account, region).
    pub async fn last_success(&self, account: &str, region: &str) -> Result<Option<i64>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT last_success_at FROM sync_status WHERE account_id = ");
        sql.arg(account).push(" AND region = ").arg(region);
        match sql.query().fetch_optional(self.pool()).await? {
            Some(row) => col(&row, "last_success_at"),
            None => Ok(None),
        }
    }

    /// Registers the accounts to sync (from the config or discovery), replacing the list.
    pub async fn set_accounts(&self, accounts: &[AccountRecord], now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let rows = accounts
            .iter()
            .map(|a| {
                vec![
                    a.id.clone().into(),
                    a.name.clone().into(),
                    a.role_arn.clone().into(),
                    serde_json::json!(a.regions).to_string().into(),
                    a.source.clone().into(),
                    now.into(),
                ]
            })
            .collect();
        upsert(
            &mut tx,
            self.engine(),
            "accounts",
            &["id", "name", "role_arn", "regions", "source", "updated_at"],
            &["id"],
            rows,
            false,
        )
        .await?;
        let mut sql = Sql::new(self.engine(), "DELETE FROM accounts WHERE updated_at < ");
        sql.arg(now);
        sql.query().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every registered account with the sync status of each of its regions.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query("SELECT * FROM accounts ORDER BY id").fetch_all(self.pool()).await?;
        let status_rows = sqlx::query("SELECT * FROM sync_status").fetch_all(self.pool()).await?;
        let mut statuses = std::collections::HashMap::new();
        for s in &status_rows {
            statuses.insert((col::<String>(s, "account_id")?, col::<String>(s, "region")?), s);
        }
        let mut accounts = Vec::new();
        for row in rows {
            let id: String = col(&row, "id")?;
            let regions = json_list(&col::<String>(&row, "regions")?);
            let mut sync = Vec::new();
            for region in &regions {
                sync.push(match statuses.get(&(id.clone(), region.clone())) {
                    Some(s) => RegionSync {
                        region: region.clone(),
                        status: col(s, "status")?,
                        last_attempt_at: rfc3339_opt(col(s, "last_attempt_at")?),
                        last_success_at: rfc3339_opt(col(s, "last_success_at")?),
                        duration_ms: col(s, "duration_ms")?,
                        error_code: col(s, "error_code")?,
                        error_message: col(s, "error_message")?,
                        backup_jobs_from: rfc3339_opt(col(s, "backup_jobs_held_from")?),
                        counts: SyncCounts {
                            vaults: col(s, "vaults")?,
                            recovery_points: col(s, "recovery_points")?,
                            protected_resources: col(s, "protected_resources")?,
                            backup_jobs: col(s, "backup_jobs")?,
                            copy_jobs: col(s, "copy_jobs")?,
                            restore_jobs: col(s, "restore_jobs")?,
                            restore_testing_plans: col(s, "restore_testing_plans")?,
                        },
                    },
                    None => RegionSync {
                        region: region.clone(),
                        status: "never".into(),
                        last_attempt_at: None,
                        last_success_at: None,
                        duration_ms: None,
                        error_code: None,
                        error_message: None,
                        backup_jobs_from: None,
                        counts: SyncCounts::default(),
                    },
                });
            }
            accounts.push(Account {
                id,
                name: col(&row, "name")?,
                role_arn: col(&row, "role_arn")?,
                regions,
                source: col(&row, "source")?,
                sync,
            });
        }
        Ok(accounts)
    }

    /// Recoverability per account: counts, restore tests of the last 30 days (today and the 29 before), untested resources.
    pub async fn summary(&self, now: i64) -> Result<Vec<AccountSummary>, StoreError> {
        // The 30 UTC days up to today, as the Overview's chart counts them.
        let since = (now.div_euclid(crate::time::DAY_MS) - 29) * crate::time::DAY_MS;
        let mut sql = Sql::new(
            self.engine(),
            &format!("SELECT a.id, a.name, COALESCE(t.passed, 0) AS passed, COALESCE(t.restored, 0) AS restored,
                COALESCE(t.failed, 0) AS failed, COALESCE(t.completed, 0) AS completed,
                COALESCE(t.validated, 0) AS validated,
                (SELECT COUNT(*) FROM vaults v WHERE v.account_id = a.id AND v.gone_at IS NULL) AS vaults,
                (SELECT COUNT(*) FROM recovery_points r WHERE r.account_id = a.id AND r.gone_at IS NULL
                    AND r.{COUNTED_POINT}) AS recovery_points,
                (SELECT COUNT(*) FROM protected_resources p WHERE p.account_id = a.id AND p.gone_at IS NULL) AS protected_resources,
                (SELECT COUNT(*) FROM protected_resources p WHERE p.account_id = a.id AND p.gone_at IS NULL
                    AND NOT EXISTS (SELECT 1 FROM restore_jobs j WHERE j.account_id = p.account_id
                        AND j.resource_arn = p.arn AND j.is_test = 1 AND {COUNTED_RESTORE})) AS never_tested,
                (SELECT COUNT(*) FROM sync_status s WHERE s.account_id = a.id AND s.status <> 'ok') AS not_ok
             FROM accounts a LEFT JOIN ("),
        );
        sql.push(&format!(
            "SELECT j.account_id, {TEST_COUNTS} FROM restore_jobs j WHERE j.is_test = 1 AND {COUNTED_RESTORE} AND j.created_at >= "
        ))
        .arg(since)
        .push(" GROUP BY j.account_id) t ON t.account_id = a.id ORDER BY a.id");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(AccountSummary {
                    account_id: col(r, "id")?,
                    name: col(r, "name")?,
                    vaults: col(r, "vaults")?,
                    recovery_points: col(r, "recovery_points")?,
                    protected_resources: col(r, "protected_resources")?,
                    restore_tests_30d: test_counts(r)?,
                    resources_never_tested: col(r, "never_tested")?,
                    sync_ok: col::<i64>(r, "not_ok")? == 0,
                })
            })
            .collect()
    }
}

fn counts_columns(c: &SyncCounts) -> [(&'static str, i64); 7] {
    [
        ("vaults", c.vaults),
        ("recovery_points", c.recovery_points),
        ("protected_resources", c.protected_resources),
        ("backup_jobs", c.backup_jobs),
        ("copy_jobs", c.copy_jobs),
        ("restore_jobs", c.restore_jobs),
        ("restore_testing_plans", c.restore_testing_plans),
    ]
}
