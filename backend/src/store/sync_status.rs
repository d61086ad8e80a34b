//! Saving what one sync of one (account, region) read, the sync status of every
//! (account, region), the registered accounts, and the per-account summary.

use std::collections::{HashMap, HashSet};

use shared::{Account, AccountSummary, RegionSync, SyncCounts};

use super::choices::{AccountPaging, IdPage};
use super::inventory::{PLAN_COLUMNS, RECOVERY_POINT_COLUMNS, RESOURCE_COLUMNS, VAULT_COLUMNS};
use super::jobs::{BACKUP_JOB_COLUMNS, COPY_JOB_COLUMNS, RESTORE_JOB_COLUMNS};
use super::sql::{
    counted_job, test_counts, upsert, upserts, ArrayUpsert, Sql, COUNTED_POINT, COUNTED_RESTORE, TEST_COUNTS,
};
use super::*;
use crate::time::rfc3339_opt;

/// Rows per write transaction of the sync: one statement each for every table (at
/// most 24 columns, so 24,000 arguments, under both engines' limits).
const WRITE_CHUNK_ROWS: usize = super::sql::KEPT_ROWS;

/// The key of every job table: job ids are unique within an account.
const JOB_KEY: [&str; 2] = ["account_id", "id"];

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
    /// When its jobs were read, if before the sync started (an organization-wide read
    /// at the pass's start): the success counts as of then, so that the next window,
    /// which starts from the last success, covers what ended in between.
    pub jobs_read_at: Option<i64>,
    /// A full reconciliation: every recovery point of the target was listed, so what
    /// it did not find is gone. Otherwise only the vaults in `reconciled_vaults` (and
    /// those that are gone) lose the points this sync did not find.
    pub full: bool,
    /// Vaults (ARNs) whose every recovery point this sync listed.
    pub reconciled_vaults: Vec<String>,
    /// This sync did not read the restore testing plans (`plans` holds those on
    /// record, for the tag read): the plans in the database stand as they are.
    pub plans_kept: bool,
    /// The console's plan changes on record when this sync started
    /// ([`KnownTarget::plans_changes`]): reading the plans reads those, and only those
    /// (one applied since may have come after the sync listed its plan).
    pub plans_changes_read: i64,
    /// Recovery points on record that a restore job ending in the window restored,
    /// with their `LastRestoreTime` as AWS now describes it (an incremental read does
    /// not list them again).
    pub restored_points: Vec<(String, Option<i64>)>,
}

/// A recovery point on record, as [`Store::points_on_record`] finds it.
#[derive(Debug, Clone)]
pub struct PointOnRecord {
    pub arn: String,
    pub vault_name: String,
    pub vault_arn: String,
    pub last_restore_at: Option<i64>,
}

/// What the database holds of one (account, region), for an incremental sync to
/// compare with what AWS lists.
#[derive(Debug, Clone, Default)]
pub struct KnownTarget {
    pub last_success_at: Option<i64>,
    pub last_full_at: Option<i64>,
    /// When a sync last read the restore testing plans (none: never).
    pub plans_read_at: Option<i64>,
    /// Plan changes the console applied that no sync has read yet
    /// ([`Store::plan_changed`]): the next sync reads every plan whole.
    pub plans_changes: i64,
    /// Vaults not gone, by ARN.
    pub vaults: HashMap<String, VaultRow>,
    /// Protected resources not gone, by ARN.
    pub resources: HashMap<String, ProtectedResourceRow>,
    /// Restore testing plans not gone, by ARN.
    pub plans: HashMap<String, PlanRow>,
    /// Recovery points not gone that were created since the incremental window's start,
    /// by vault ARN.
    pub recent_points: HashMap<String, HashSet<String>>,
    /// Vaults holding a point whose lifecycle date (deletion, move to cold storage)
    /// passed since the last success: AWS changed it without a new listing showing it.
    pub lifecycle_vaults: HashSet<String>,
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
    /// (account, region) no longer has (not written since `started`: points saved page
    /// by page during the sync count as found) and records the success. The rows go in
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
        if !snap.plans_kept {
            self.upsert_in_chunks(
                "restore_testing_plans",
                &PLAN_COLUMNS,
                &["arn"],
                snap.plans.iter().map(|r| r.vals(now)).collect(),
                true,
            )
            .await?;
        }
        self.save_jobs(snap, now).await?;
        let mut tx = self.begin_write().await?;
        // Vaults and resources are listed whole by every sync, plans unless kept;
        // recovery points only by a full one, or vault by vault when one is reconciled.
        for table in ["vaults", "protected_resources", "restore_testing_plans", "recovery_points"] {
            if table == "restore_testing_plans" && snap.plans_kept {
                continue;
            }
            let mut sql = Sql::new(e, &format!("UPDATE {table} SET gone_at = "));
            sql.arg(now)
                .push(" WHERE account_id = ")
                .arg(snap.account_id.clone())
                .push(" AND region = ")
                .arg(snap.region.clone())
                .push(" AND synced_at < ")
                .arg(started)
                .push(" AND gone_at IS NULL");
            if table == "recovery_points" && !snap.full {
                sql.push(
                    " AND (vault_arn IN (SELECT v.arn FROM vaults v WHERE v.gone_at IS NOT NULL AND v.account_id = ",
                )
                .arg(snap.account_id.clone())
                .push(" AND v.region = ")
                .arg(snap.region.clone())
                .push(")");
                for vault in &snap.reconciled_vaults {
                    sql.push(" OR vault_arn = ").arg(vault.clone());
                }
                sql.push(")");
            }
            sql.query().execute(&mut *tx).await?;
        }
        for (arn, at) in &snap.restored_points {
            let mut sql = Sql::new(e, "UPDATE recovery_points SET last_restore_at = ");
            sql.arg(*at).push(" WHERE arn = ").arg(arn.clone());
            sql.query().execute(&mut *tx).await?;
        }
        let counts = self.count_target(&mut tx, &snap.account_id, &snap.region).await?;
        let mut sql = Sql::new(e, "UPDATE sync_status SET status = 'ok', last_success_at = ");
        sql.arg(snap.jobs_read_at.map_or(now, |at| at.min(now)))
            .push(", duration_ms = ")
            .arg(now - started)
            .push(", error_code = NULL, error_message = NULL, jobs_synced_from = ")
            .arg(snap.jobs_from)
            .push(", backup_jobs_held_from = COALESCE(backup_jobs_held_from, ")
            .arg(snap.backup_jobs_from)
            .push(")");
        if snap.full {
            sql.push(", last_full_at = ").arg(now);
        }
        if !snap.plans_kept {
            sql.push(", plans_read_at = ").arg(now);
            sql.push(", plans_changes = plans_changes - ").arg(snap.plans_changes_read);
        }
        for (name, value) in counts_columns(&counts) {
            sql.push(&format!(", {name} = ")).arg(value);
        }
        sql.push(" WHERE account_id = ").arg(snap.account_id.clone()).push(" AND region = ").arg(snap.region.clone());
        sql.query().execute(&mut *tx).await?;
        tx.commit().await?;
        self.inventory_changed().await?;
        Ok(counts)
    }

    /// Saves recovery points as a sync reads them (a page at a time), stamped with the
    /// sync's start: [`Store::save_snapshot`] of that sync then leaves them standing.
    pub async fn save_points(&self, rows: Vec<RecoveryPointRow>, started: i64) -> Result<(), StoreError> {
        let rows = rows.into_iter().map(|r| r.into_vals(started)).collect();
        self.upsert_in_chunks("recovery_points", &RECOVERY_POINT_COLUMNS, &["arn"], rows, true).await
    }

    /// Saves the jobs of a snapshot: the sync's path and the poll's alike.
    pub async fn save_jobs(&self, snap: &TargetSnapshot, now: i64) -> Result<(), StoreError> {
        self.save_backup_and_copy_jobs(snap, now).await?;
        let restores = snap.restore_jobs.iter().map(|r| r.vals(now)).collect();
        self.upsert_in_chunks("restore_jobs", &RESTORE_JOB_COLUMNS, &JOB_KEY, restores, false).await?;
        // The Backup model makes a restore job's SourceResourceArn and ResourceType
        // optional: a job without them takes its recovery point's, so that restore
        // times and restore-test attribution (both by resource) still count it.
        let mut sql = Sql::new(
            self.engine(),
            "UPDATE restore_jobs SET
               resource_arn = COALESCE(resource_arn,
                 (SELECT rp.resource_arn FROM recovery_points rp WHERE rp.arn = restore_jobs.recovery_point_arn)),
               resource_type = CASE WHEN resource_type <> '' THEN resource_type ELSE COALESCE(
                 (SELECT rp.resource_type FROM recovery_points rp WHERE rp.arn = restore_jobs.recovery_point_arn), '') END
             WHERE (resource_arn IS NULL OR resource_type = '') AND account_id = ",
        );
        sql.arg(snap.account_id.clone()).push(" AND region = ").arg(snap.region.clone());
        if sql.query().execute(self.writer()).await?.rows_affected() > 0 {
            self.inventory_changed().await?;
        }
        Ok(())
    }

    /// Saves the backup and copy jobs of a snapshot, nothing else of it: a page of
    /// them as a sync or a poll reads it ([`Store::save_jobs`] then saves the rest).
    pub async fn save_backup_and_copy_jobs(&self, snap: &TargetSnapshot, now: i64) -> Result<(), StoreError> {
        let backups = snap.backup_jobs.iter().map(|r| r.vals(now)).collect();
        self.upsert_in_chunks("backup_jobs", &BACKUP_JOB_COLUMNS, &JOB_KEY, backups, false).await?;
        let copies = snap.copy_jobs.iter().map(|r| r.vals(now)).collect();
        self.upsert_in_chunks("copy_jobs", &COPY_JOB_COLUMNS, &JOB_KEY, copies, false).await
    }

    /// Where a poll of an (account, region) starts: the later of its last poll and its
    /// last successful sync; none before its first successful sync.
    pub async fn poll_from(&self, account: &str, region: &str) -> Result<Option<i64>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT last_success_at, polled_at FROM sync_status WHERE account_id = ");
        sql.arg(account).push(" AND region = ").arg(region);
        let Some(row) = sql.query().fetch_optional(self.pool()).await? else { return Ok(None) };
        let success: Option<i64> = col(&row, "last_success_at")?;
        let polled: Option<i64> = col(&row, "polled_at")?;
        Ok(success.map(|s| s.max(polled.unwrap_or(s))))
    }

    /// Records a successful poll of an (account, region).
    pub async fn polled(&self, account: &str, region: &str, now: i64) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE sync_status SET polled_at = ");
        sql.arg(now).push(" WHERE account_id = ").arg(account).push(" AND region = ").arg(region);
        sql.query().execute(self.writer()).await?;
        Ok(())
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
            if let Some(pool) = self.native() {
                // PostgreSQL: each column as an array, one statement (see `ArrayUpsert`).
                ArrayUpsert::new(table, columns, key, chunk, clears_gone)?.query().execute(pool).await?;
            } else {
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

    /// Records how many AWS calls of the last sync of an (account, region) AWS throttled.
    pub async fn set_throttled_calls(&self, account: &str, region: &str, calls: i64) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE sync_status SET throttled_calls = ");
        sql.arg(calls).push(" WHERE account_id = ").arg(account).push(" AND region = ").arg(region);
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// Counts a change the console has just applied to a restore testing plan (or one
    /// of its selections) in an (account, region): the incremental read lists a plan's
    /// selections only when the plan's times moved, and the Backup model does not say
    /// whether a selection's change moves them. Until a sync that started after this
    /// has read them, the region's plans are due whatever `sync.plans_every_minutes`
    /// says and are read whole, so a plan the console created shows at the next sync
    /// too. A count, not a flag: a sync already reading when the change came takes off
    /// only the changes it saw at its start ([`TargetSnapshot::plans_changes_read`]).
    pub async fn plan_changed(&self, account: &str, region: &str) -> Result<(), StoreError> {
        let mut sql =
            Sql::new(self.engine(), "UPDATE sync_status SET plans_changes = plans_changes + 1 WHERE account_id = ");
        sql.arg(account).push(" AND region = ").arg(region);
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

    /// The last successful sync of every (account, region) of `region` that has one.
    pub async fn last_successes(&self, region: &str) -> Result<HashMap<String, i64>, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            "SELECT account_id, last_success_at FROM sync_status WHERE last_success_at IS NOT NULL AND region = ",
        );
        sql.arg(region);
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((col(r, "account_id")?, col(r, "last_success_at")?))).collect()
    }

    /// What the database holds of an (account, region) for an incremental sync: the
    /// vaults, resources and plans not gone, the recovery points created since
    /// `points_from`, and the vaults where a lifecycle date passed between the last
    /// success and `now`.
    pub async fn known_target(
        &self,
        account: &str,
        region: &str,
        points_from: i64,
        now: i64,
    ) -> Result<KnownTarget, StoreError> {
        let e = self.engine();
        let mut known = KnownTarget::default();
        let mut sql = Sql::new(
            e,
            "SELECT last_success_at, last_full_at, plans_read_at, plans_changes FROM sync_status WHERE account_id = ",
        );
        sql.arg(account).push(" AND region = ").arg(region);
        if let Some(row) = sql.query().fetch_optional(self.pool()).await? {
            known.last_success_at = col(&row, "last_success_at")?;
            known.last_full_at = col(&row, "last_full_at")?;
            known.plans_read_at = col(&row, "plans_read_at")?;
            known.plans_changes = col(&row, "plans_changes")?;
        }
        let live = |table: &str| {
            let mut sql = Sql::new(e, &format!("SELECT * FROM {table} WHERE gone_at IS NULL AND account_id = "));
            sql.arg(account).push(" AND region = ").arg(region);
            sql
        };
        for row in live("vaults").query().fetch_all(self.pool()).await? {
            let v = VaultRow::read(&row)?;
            known.vaults.insert(v.arn.clone(), v);
        }
        for row in live("protected_resources").query().fetch_all(self.pool()).await? {
            let r = ProtectedResourceRow::read(&row)?;
            known.resources.insert(r.arn.clone(), r);
        }
        for row in live("restore_testing_plans").query().fetch_all(self.pool()).await? {
            let p = PlanRow::read(&row)?;
            known.plans.insert(p.arn.clone(), p);
        }
        let mut sql = Sql::new(e, "SELECT vault_arn, arn FROM recovery_points WHERE account_id = ");
        sql.arg(account).push(" AND region = ").arg(region).push(" AND created_at >= ").arg(points_from);
        sql.push(" AND gone_at IS NULL");
        for row in sql.query().fetch_all(self.pool()).await? {
            known.recent_points.entry(col(&row, "vault_arn")?).or_default().insert(col(&row, "arn")?);
        }
        if let Some(last) = known.last_success_at {
            for row in lifecycle_vaults(e, account, region, last, now).query().fetch_all(self.pool()).await? {
                known.lifecycle_vaults.insert(col(&row, "vault_arn")?);
            }
        }
        Ok(known)
    }

    /// The recovery points on record (not gone) of an (account, region) among `arns`:
    /// for each, its vault's name and ARN and the last restore time the database holds.
    pub async fn points_on_record(
        &self,
        account: &str,
        region: &str,
        arns: &[String],
    ) -> Result<Vec<PointOnRecord>, StoreError> {
        let mut found = Vec::new();
        for chunk in arns.chunks(500) {
            let mut sql = Sql::new(
                self.engine(),
                "SELECT arn, vault_name, vault_arn, last_restore_at FROM recovery_points WHERE gone_at IS NULL AND account_id = ",
            );
            sql.arg(account).push(" AND region = ").arg(region).push(" AND arn IN (");
            sql.args(chunk.iter().cloned().map(Val::from)).push(")");
            for row in sql.query().fetch_all(self.pool()).await? {
                found.push(PointOnRecord {
                    arn: col(&row, "arn")?,
                    vault_name: col(&row, "vault_name")?,
                    vault_arn: col(&row, "vault_arn")?,
                    last_restore_at: col(&row, "last_restore_at")?,
                });
            }
        }
        Ok(found)
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
        accounts_with_status(&rows, &status_rows)
    }

    /// A page of registered accounts by id, with the sync status of each region.
    pub async fn account_page(&self, p: &AccountPaging) -> Result<IdPage<Account>, StoreError> {
        let select = Sql::new(self.engine(), "SELECT a.* FROM accounts a WHERE 1 = 1");
        let page = self.id_page(select, p, |r| Ok(r.clone()), |r| col::<String>(r, "id").unwrap_or_default()).await?;
        let (Some(first), Some(last)) = (page.items.first(), page.items.last()) else {
            return Ok(IdPage { items: Vec::new(), next: page.next, prev: page.prev, total: page.total });
        };
        let mut sql = Sql::new(self.engine(), "SELECT * FROM sync_status WHERE account_id >= ");
        sql.arg(col::<String>(first, "id")?).push(" AND account_id <= ").arg(col::<String>(last, "id")?);
        let status_rows = sql.query().fetch_all(self.pool()).await?;
        let items = accounts_with_status(&page.items, &status_rows)?;
        Ok(IdPage { items, next: page.next, prev: page.prev, total: page.total })
    }

    /// Recoverability per account: counts, restore tests of the last 30 days (today and the 29 before), untested resources.
    pub async fn summary(&self, now: i64) -> Result<Vec<AccountSummary>, StoreError> {
        let mut sql = self.summary_select(now);
        sql.push(" ORDER BY a.id");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(read_summary).collect()
    }

    /// A page of [`Store::summary`] by account id.
    pub async fn summary_page(&self, now: i64, p: &AccountPaging) -> Result<IdPage<AccountSummary>, StoreError> {
        self.id_page(self.summary_select(now), p, read_summary, |s| s.account_id.clone()).await
    }

    /// The summary's query up to its WHERE clause (accounts are `a`).
    fn summary_select(&self, now: i64) -> Sql {
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
        .push(" GROUP BY j.account_id) t ON t.account_id = a.id WHERE 1 = 1");
        sql
    }
}

fn read_summary(r: &AnyRow) -> Result<AccountSummary, StoreError> {
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
}

/// Accounts (rows of `accounts`) with the sync status of each of their regions
/// (rows of `sync_status`; others are ignored).
fn accounts_with_status(rows: &[AnyRow], status_rows: &[AnyRow]) -> Result<Vec<Account>, StoreError> {
    let mut statuses = std::collections::HashMap::new();
    for s in status_rows {
        statuses.insert((col::<String>(s, "account_id")?, col::<String>(s, "region")?), s);
    }
    let mut accounts = Vec::new();
    for row in rows {
        let id: String = col(row, "id")?;
        let regions = json_list(&col::<String>(row, "regions")?);
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
                    throttled_calls: col(s, "throttled_calls")?,
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
                    throttled_calls: 0,
                },
            });
        }
        accounts.push(Account {
            id,
            name: col(row, "name")?,
            role_arn: col(row, "role_arn")?,
            regions,
            source: col(row, "source")?,
            sync,
        });
    }
    Ok(accounts)
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

/// The vaults of an (account, region) that hold a live recovery point whose deletion
/// or move to cold storage fell in `(last, now]`: one range of each lifecycle index
/// (migration 0019), not a read of every recovery point of the (account, region).
fn lifecycle_vaults(e: Engine, account: &str, region: &str, last: i64, now: i64) -> Sql {
    let mut sql = Sql::new(e, "");
    for (i, column) in ["delete_at", "move_to_cold_at"].iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ");
        }
        sql.push("SELECT vault_arn FROM recovery_points WHERE account_id = ").arg(account);
        sql.push(" AND region = ").arg(region);
        sql.push(&format!(" AND {column} > ")).arg(last).push(&format!(" AND {column} <= ")).arg(now);
        sql.push(" AND gone_at IS NULL");
    }
    sql
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The lifecycle question reads the two lifecycle indexes, not every recovery
    /// point of the (account, region) (SQLite's plan).
    #[tokio::test]
    async fn the_lifecycle_question_reads_the_lifecycle_indexes() {
        let db = crate::store::TempSqlite::new().await;
        let plan = db.plan(&lifecycle_vaults(db.store.engine(), "400000000500", "us-east-1", 1, 2)).await;
        for index in ["recovery_points_delete_at", "recovery_points_cold_at"] {
            assert!(plan.iter().any(|step| step.contains(index)), "{index}: {plan:?}");
        }
    }
}
