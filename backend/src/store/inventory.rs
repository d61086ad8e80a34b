//! Vaults, recovery points, protected resources and restore testing plans.

use serde_json::json;
use shared::{ProtectedResource, RecoveryPoint, RestoreTestingPlan, RestoreTestingSelection, Vault};
use sqlx::any::AnyRow;

use super::json_page::{
    finish_json_page, pg_json_columns, pg_json_page, sqlite_json_object, sqlite_json_page_head, Json,
};
use super::sql::{
    counted_restore, fetch_page, test_failed, test_passed, test_restored, Cursor, ListQuery, Sql, Val, COUNTED_POINT,
    RP_USABLE,
};
use super::{col, json_list, Store, StoreError};
use crate::time::{rfc3339, rfc3339_opt};

#[derive(Debug, Clone, PartialEq)]
pub struct VaultRow {
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub name: String,
    pub vault_type: Option<String>,
    pub state: Option<String>,
    pub encryption_key_arn: Option<String>,
    pub created_at: Option<i64>,
    pub recovery_points: i64,
    pub locked: bool,
    pub access_policy: Option<String>,
}

pub const VAULT_COLUMNS: [&str; 12] = [
    "arn",
    "account_id",
    "region",
    "name",
    "vault_type",
    "state",
    "encryption_key_arn",
    "created_at",
    "recovery_points",
    "locked",
    "access_policy",
    "synced_at",
];

impl VaultRow {
    pub fn vals(&self, synced_at: i64) -> Vec<Val> {
        vec![
            self.arn.clone().into(),
            self.account_id.clone().into(),
            self.region.clone().into(),
            self.name.clone().into(),
            self.vault_type.clone().into(),
            self.state.clone().into(),
            self.encryption_key_arn.clone().into(),
            self.created_at.into(),
            self.recovery_points.into(),
            self.locked.into(),
            self.access_policy.clone().into(),
            synced_at.into(),
        ]
    }

    pub(super) fn read(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            arn: col(row, "arn")?,
            account_id: col(row, "account_id")?,
            region: col(row, "region")?,
            name: col(row, "name")?,
            vault_type: col(row, "vault_type")?,
            state: col(row, "state")?,
            encryption_key_arn: col(row, "encryption_key_arn")?,
            created_at: col(row, "created_at")?,
            recovery_points: col(row, "recovery_points")?,
            locked: col::<i64>(row, "locked")? != 0,
            access_policy: col(row, "access_policy")?,
        })
    }

    pub fn into_dto(self) -> Vault {
        Vault {
            arn: self.arn,
            account_id: self.account_id,
            region: self.region,
            name: self.name,
            vault_type: self.vault_type,
            state: self.state,
            encryption_key_arn: self.encryption_key_arn,
            created_at: rfc3339_opt(self.created_at),
            recovery_points: self.recovery_points,
            locked: self.locked,
            access_policy: self.access_policy,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryPointRow {
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub vault_name: String,
    pub vault_arn: String,
    pub resource_arn: String,
    pub resource_type: String,
    pub resource_name: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub size_bytes: Option<i64>,
    pub encryption_key_arn: Option<String>,
    pub is_encrypted: bool,
    pub source_vault_arn: Option<String>,
    pub delete_after_days: Option<i64>,
    pub delete_at: Option<i64>,
    pub move_to_cold_at: Option<i64>,
    pub last_restore_at: Option<i64>,
    pub backup_plan_id: Option<String>,
    pub gone_at: Option<i64>,
    pub is_parent: bool,
    pub parent_recovery_point_arn: Option<String>,
}

pub const RECOVERY_POINT_COLUMNS: [&str; 23] = [
    "arn",
    "account_id",
    "region",
    "vault_name",
    "vault_arn",
    "resource_arn",
    "resource_type",
    "resource_name",
    "status",
    "created_at",
    "completed_at",
    "size_bytes",
    "encryption_key_arn",
    "is_encrypted",
    "source_vault_arn",
    "delete_after_days",
    "delete_at",
    "move_to_cold_at",
    "last_restore_at",
    "backup_plan_id",
    "is_parent",
    "parent_recovery_point_arn",
    "synced_at",
];

/// `shared::RecoveryPoint`'s fields from the columns [`RecoveryPointRow::into_dto`]
/// reads, for [`sqlite_json_object`]; a test holds the two renderings equal.
const RECOVERY_POINT_JSON: [(&str, &str, Json); 23] = [
    ("recovery_point_arn", "arn", Json::Plain),
    ("account_id", "account_id", Json::Plain),
    ("region", "region", Json::Plain),
    ("vault_name", "vault_name", Json::Plain),
    ("vault_arn", "vault_arn", Json::Plain),
    ("resource_arn", "resource_arn", Json::Plain),
    ("resource_type", "resource_type", Json::Plain),
    ("resource_name", "resource_name", Json::Plain),
    ("status", "status", Json::Plain),
    ("created_at", "created_at", Json::Time),
    ("completed_at", "completed_at", Json::Time),
    ("size_bytes", "size_bytes", Json::Plain),
    ("encryption_key_arn", "encryption_key_arn", Json::Plain),
    ("is_encrypted", "is_encrypted", Json::Flag),
    ("source_vault_arn", "source_vault_arn", Json::Plain),
    ("delete_after_days", "delete_after_days", Json::Plain),
    ("delete_at", "delete_at", Json::Time),
    ("move_to_cold_storage_at", "move_to_cold_at", Json::Time),
    ("last_restore_at", "last_restore_at", Json::Time),
    ("backup_plan_id", "backup_plan_id", Json::Plain),
    ("gone_at", "gone_at", Json::Time),
    ("is_parent", "is_parent", Json::Flag),
    ("parent_recovery_point_arn", "parent_recovery_point_arn", Json::Plain),
];

impl RecoveryPointRow {
    pub fn vals(&self, synced_at: i64) -> Vec<Val> {
        self.clone().into_vals(synced_at)
    }

    /// The row's values in [`RECOVERY_POINT_COLUMNS`] order, without copying its text.
    pub fn into_vals(self, synced_at: i64) -> Vec<Val> {
        vec![
            self.arn.into(),
            self.account_id.into(),
            self.region.into(),
            self.vault_name.into(),
            self.vault_arn.into(),
            self.resource_arn.into(),
            self.resource_type.into(),
            self.resource_name.into(),
            self.status.into(),
            self.created_at.into(),
            self.completed_at.into(),
            self.size_bytes.into(),
            self.encryption_key_arn.into(),
            self.is_encrypted.into(),
            self.source_vault_arn.into(),
            self.delete_after_days.into(),
            self.delete_at.into(),
            self.move_to_cold_at.into(),
            self.last_restore_at.into(),
            self.backup_plan_id.into(),
            self.is_parent.into(),
            self.parent_recovery_point_arn.into(),
            synced_at.into(),
        ]
    }

    pub(super) fn read(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            arn: col(row, "arn")?,
            account_id: col(row, "account_id")?,
            region: col(row, "region")?,
            vault_name: col(row, "vault_name")?,
            vault_arn: col(row, "vault_arn")?,
            resource_arn: col(row, "resource_arn")?,
            resource_type: col(row, "resource_type")?,
            resource_name: col(row, "resource_name")?,
            status: col(row, "status")?,
            created_at: col(row, "created_at")?,
            completed_at: col(row, "completed_at")?,
            size_bytes: col(row, "size_bytes")?,
            encryption_key_arn: col(row, "encryption_key_arn")?,
            is_encrypted: col::<i64>(row, "is_encrypted")? != 0,
            source_vault_arn: col(row, "source_vault_arn")?,
            delete_after_days: col(row, "delete_after_days")?,
            delete_at: col(row, "delete_at")?,
            move_to_cold_at: col(row, "move_to_cold_at")?,
            last_restore_at: col(row, "last_restore_at")?,
            backup_plan_id: col(row, "backup_plan_id")?,
            gone_at: col(row, "gone_at")?,
            is_parent: col::<i64>(row, "is_parent")? != 0,
            parent_recovery_point_arn: col(row, "parent_recovery_point_arn")?,
        })
    }

    pub fn into_dto(self) -> RecoveryPoint {
        RecoveryPoint {
            recovery_point_arn: self.arn,
            account_id: self.account_id,
            region: self.region,
            vault_name: self.vault_name,
            vault_arn: self.vault_arn,
            resource_arn: self.resource_arn,
            resource_type: self.resource_type,
            resource_name: self.resource_name,
            status: self.status,
            created_at: rfc3339(self.created_at),
            completed_at: rfc3339_opt(self.completed_at),
            size_bytes: self.size_bytes,
            encryption_key_arn: self.encryption_key_arn,
            is_encrypted: self.is_encrypted,
            source_vault_arn: self.source_vault_arn,
            delete_after_days: self.delete_after_days,
            delete_at: rfc3339_opt(self.delete_at),
            move_to_cold_storage_at: rfc3339_opt(self.move_to_cold_at),
            last_restore_at: rfc3339_opt(self.last_restore_at),
            backup_plan_id: self.backup_plan_id,
            gone_at: rfc3339_opt(self.gone_at),
            is_parent: self.is_parent,
            parent_recovery_point_arn: self.parent_recovery_point_arn,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProtectedResourceRow {
    pub account_id: String,
    pub region: String,
    pub arn: String,
    pub resource_type: String,
    pub name: Option<String>,
    pub last_backup_at: Option<i64>,
    pub last_backup_vault_arn: Option<String>,
    pub last_recovery_point_arn: Option<String>,
    pub latest_restore_minutes: Option<i64>,
    pub latest_restore_job_created_at: Option<i64>,
    pub latest_restore_rp_created_at: Option<i64>,
    /// JSON array of `shared::Tag`; `None`: not read.
    pub tags: Option<String>,
}

pub const RESOURCE_COLUMNS: [&str; 13] = [
    "account_id",
    "region",
    "arn",
    "resource_type",
    "name",
    "last_backup_at",
    "last_backup_vault_arn",
    "last_recovery_point_arn",
    "latest_restore_minutes",
    "latest_restore_job_created_at",
    "latest_restore_rp_created_at",
    "tags",
    "synced_at",
];

impl ProtectedResourceRow {
    pub fn vals(&self, synced_at: i64) -> Vec<Val> {
        vec![
            self.account_id.clone().into(),
            self.region.clone().into(),
            self.arn.clone().into(),
            self.resource_type.clone().into(),
            self.name.clone().into(),
            self.last_backup_at.into(),
            self.last_backup_vault_arn.clone().into(),
            self.last_recovery_point_arn.clone().into(),
            self.latest_restore_minutes.into(),
            self.latest_restore_job_created_at.into(),
            self.latest_restore_rp_created_at.into(),
            self.tags.clone().into(),
            synced_at.into(),
        ]
    }

    pub(super) fn read(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            account_id: col(row, "account_id")?,
            region: col(row, "region")?,
            arn: col(row, "arn")?,
            resource_type: col(row, "resource_type")?,
            name: col(row, "name")?,
            last_backup_at: col(row, "last_backup_at")?,
            last_backup_vault_arn: col(row, "last_backup_vault_arn")?,
            last_recovery_point_arn: col(row, "last_recovery_point_arn")?,
            latest_restore_minutes: col(row, "latest_restore_minutes")?,
            latest_restore_job_created_at: col(row, "latest_restore_job_created_at")?,
            latest_restore_rp_created_at: col(row, "latest_restore_rp_created_at")?,
            tags: col(row, "tags")?,
        })
    }

    /// The DTO, with the resource's last restore test: when, and whether it passed
    /// (the `last_test_at` and `last_test_outcome` columns of [`RESOURCE_SELECT`]).
    pub fn into_dto(self, last_test_at: Option<i64>, last_test_outcome: Option<String>) -> ProtectedResource {
        ProtectedResource {
            resource_arn: self.arn,
            account_id: self.account_id,
            region: self.region,
            resource_type: self.resource_type,
            resource_name: self.name,
            last_backup_at: rfc3339_opt(self.last_backup_at),
            last_backup_vault_arn: self.last_backup_vault_arn,
            last_recovery_point_arn: self.last_recovery_point_arn,
            latest_restore_minutes: self.latest_restore_minutes,
            latest_restore_job_created_at: rfc3339_opt(self.latest_restore_job_created_at),
            latest_restore_recovery_point_created_at: rfc3339_opt(self.latest_restore_rp_created_at),
            last_test_at: rfc3339_opt(last_test_at),
            last_test_outcome: last_test_outcome.and_then(|o| o.parse().ok()),
            tags: self.tags.and_then(|t| serde_json::from_str(&t).ok()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub name: String,
    pub schedule_expression: String,
    pub schedule_timezone: Option<String>,
    pub start_window_hours: Option<i64>,
    pub algorithm: Option<String>,
    pub selection_window_days: Option<i64>,
    pub include_vaults: Vec<String>,
    pub exclude_vaults: Vec<String>,
    pub recovery_point_types: Vec<String>,
    pub created_at: Option<i64>,
    pub last_execution_at: Option<i64>,
    pub selections: Vec<RestoreTestingSelection>,
    /// AWS's `LastUpdateTime` as last read (an unchanged plan is not read again).
    pub updated_at: Option<i64>,
}

pub const PLAN_COLUMNS: [&str; 17] = [
    "arn",
    "account_id",
    "region",
    "name",
    "schedule_expression",
    "schedule_timezone",
    "start_window_hours",
    "algorithm",
    "selection_window_days",
    "include_vaults",
    "exclude_vaults",
    "recovery_point_types",
    "created_at",
    "last_execution_at",
    "selections",
    "updated_at",
    "synced_at",
];

impl PlanRow {
    pub fn vals(&self, synced_at: i64) -> Vec<Val> {
        vec![
            self.arn.clone().into(),
            self.account_id.clone().into(),
            self.region.clone().into(),
            self.name.clone().into(),
            self.schedule_expression.clone().into(),
            self.schedule_timezone.clone().into(),
            self.start_window_hours.into(),
            self.algorithm.clone().into(),
            self.selection_window_days.into(),
            json!(self.include_vaults).to_string().into(),
            json!(self.exclude_vaults).to_string().into(),
            json!(self.recovery_point_types).to_string().into(),
            self.created_at.into(),
            self.last_execution_at.into(),
            serde_json::to_string(&self.selections).unwrap_or_else(|_| "[]".into()).into(),
            self.updated_at.into(),
            synced_at.into(),
        ]
    }

    pub(super) fn read(row: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            arn: col(row, "arn")?,
            account_id: col(row, "account_id")?,
            region: col(row, "region")?,
            name: col(row, "name")?,
            schedule_expression: col(row, "schedule_expression")?,
            schedule_timezone: col(row, "schedule_timezone")?,
            start_window_hours: col(row, "start_window_hours")?,
            algorithm: col(row, "algorithm")?,
            selection_window_days: col(row, "selection_window_days")?,
            include_vaults: json_list(&col::<String>(row, "include_vaults")?),
            exclude_vaults: json_list(&col::<String>(row, "exclude_vaults")?),
            recovery_point_types: json_list(&col::<String>(row, "recovery_point_types")?),
            created_at: col(row, "created_at")?,
            last_execution_at: col(row, "last_execution_at")?,
            selections: serde_json::from_str(&col::<String>(row, "selections")?).unwrap_or_default(),
            updated_at: col(row, "updated_at")?,
        })
    }

    pub fn into_dto(self) -> RestoreTestingPlan {
        RestoreTestingPlan {
            plan_arn: self.arn,
            account_id: self.account_id,
            region: self.region,
            name: self.name,
            schedule_expression: self.schedule_expression,
            schedule_timezone: self.schedule_timezone,
            start_window_hours: self.start_window_hours,
            algorithm: self.algorithm,
            selection_window_days: self.selection_window_days,
            include_vaults: self.include_vaults,
            exclude_vaults: self.exclude_vaults,
            recovery_point_types: self.recovery_point_types,
            created_at: rfc3339_opt(self.created_at),
            last_execution_at: rfc3339_opt(self.last_execution_at),
            selections: self.selections,
        }
    }
}

impl Store {
    /// The resource types the console's data holds: of protected resources, recovery
    /// points and backup jobs (a type AWS added after this console was built included).
    pub async fn held_resource_types(&self) -> Result<Vec<String>, StoreError> {
        let sql = Sql::new(
            self.engine(),
            "SELECT resource_type FROM protected_resources UNION SELECT resource_type FROM recovery_points
             UNION SELECT resource_type FROM backup_jobs",
        );
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(|r| col(r, "resource_type")).collect()
    }

    pub async fn list_vaults(&self, q: &ListQuery) -> Result<(Vec<Vault>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM vaults WHERE 1 = 1");
        q.apply(&mut sql, &[("account_id", "account_id"), ("region", "region"), ("gone_at", "gone_at")]);
        q.page(&mut sql, None, "arn");
        let (rows, next) =
            fetch_page(self.pool(), &sql, q.limit, VaultRow::read, |v| Cursor { time: 0, key: v.arn.clone() }).await?;
        Ok((rows.into_iter().map(VaultRow::into_dto).collect(), next))
    }

    pub async fn list_recovery_points(
        &self,
        q: &ListQuery,
    ) -> Result<(Vec<RecoveryPoint>, Option<String>), StoreError> {
        let sql = self.recovery_points_page(q);
        let (rows, next) = fetch_page(self.pool(), &sql, q.limit, RecoveryPointRow::read, |r| Cursor {
            time: r.created_at,
            key: r.arn.clone(),
        })
        .await?;
        Ok((rows.into_iter().map(RecoveryPointRow::into_dto).collect(), next))
    }

    /// A page of recovery points as the API's JSON objects (`shared::RecoveryPoint`)
    /// joined by commas, with the cursor of the next page: rendered by SQLite itself
    /// (see [`sqlite_json_page_head`]), by the console from PostgreSQL's rows.
    pub async fn recovery_points_json(&self, q: &ListQuery) -> Result<(String, Option<String>), StoreError> {
        if let Some(native) = self.native() {
            let head = format!("SELECT {} FROM recovery_points WHERE 1 = 1", pg_json_columns(&RECOVERY_POINT_JSON));
            let sql = self.recovery_points_query(q, &head);
            return pg_json_page(native, &sql, &RECOVERY_POINT_JSON, ("created_at", "arn"), q.limit).await;
        }
        let head = sqlite_json_page_head("created_at", "arn", &sqlite_json_object(&RECOVERY_POINT_JSON));
        let mut sql = self.recovery_points_query(q, &format!("{head} FROM recovery_points WHERE 1 = 1"));
        sql.push(") page");
        let lines = sql.query().fetch_one(self.pool()).await?;
        finish_json_page(col(&lines, "lines")?, q.limit)
    }

    /// The query of a page of recovery points.
    fn recovery_points_page(&self, q: &ListQuery) -> Sql {
        self.recovery_points_query(q, "SELECT * FROM recovery_points WHERE 1 = 1")
    }

    fn recovery_points_query(&self, q: &ListQuery, head: &str) -> Sql {
        let mut sql = Sql::new(self.engine(), head);
        q.apply(
            &mut sql,
            &[
                ("account_id", "account_id"),
                ("region", "region"),
                ("vault", "vault_name"),
                ("vault_arn", "vault_arn"),
                ("resource_type", "resource_type"),
                ("resource_arn", "resource_arn"),
                ("status", "status"),
                ("created_at", "created_at"),
                ("gone_at", "gone_at"),
            ],
        );
        if q.usable {
            sql.push(&format!(" AND {RP_USABLE} AND {COUNTED_POINT}"));
        }
        q.page(&mut sql, Some("created_at"), "arn");
        sql
    }

    /// Protected resources; `now` is the time `not_tested_days` counts back from.
    /// The protected resource `arn` as its own account lists it. The same ARN may also
    /// be listed by an account that holds only copies of its backups (a central backup
    /// account), so the row of the account the ARN names comes first; an ARN without an
    /// account (S3 buckets) takes the first row.
    pub async fn owned_protected_resource(&self, arn: &str, now: i64) -> Result<Option<ProtectedResource>, StoreError> {
        let q = ListQuery { limit: 1000, resource_arn: Some(arn.to_string()), ..ListQuery::default() };
        let (mut items, _) = self.list_protected_resources(&q, now).await?;
        let owner = crate::domain::Arn::parse(arn).map(|a| a.account).filter(|a| !a.is_empty());
        let at = owner.and_then(|o| items.iter().position(|r| r.account_id == o)).unwrap_or(0);
        Ok((at < items.len()).then(|| items.swap_remove(at)))
    }

    pub async fn list_protected_resources(
        &self,
        q: &ListQuery,
        now: i64,
    ) -> Result<(Vec<ProtectedResource>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), RESOURCE_SELECT);
        q.apply(
            &mut sql,
            &[
                ("account_id", "account_id"),
                ("region", "region"),
                ("resource_type", "resource_type"),
                ("resource_arn", "arn"),
                ("gone_at", "gone_at"),
            ],
        );
        if q.never_tested {
            sql.push(" AND last_test_at IS NULL");
        }
        if let Some(days) = q.not_tested_days {
            let since = now - days * crate::time::DAY_MS;
            sql.push(" AND (last_test_at IS NULL OR last_test_at < ").arg(since).push(")");
        }
        q.page(&mut sql, None, RESOURCE_KEY);
        let (rows, next) = fetch_page(self.pool(), &sql, q.limit, read_resource, |r| Cursor {
            time: 0,
            key: format!("{} {} {}", r.resource_arn, r.account_id, r.region),
        })
        .await?;
        Ok((rows, next))
    }

    /// Every protected resource a sync still finds, in the order of their list
    /// ([`Store::list_protected_resources`] page after page), in one query.
    pub async fn all_protected_resources(&self) -> Result<Vec<ProtectedResource>, StoreError> {
        let sql =
            Sql::new(self.engine(), &format!("{RESOURCE_SELECT} AND gone_at IS NULL ORDER BY {RESOURCE_KEY} DESC"));
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(read_resource).collect()
    }

    pub async fn list_plans(&self, q: &ListQuery) -> Result<(Vec<RestoreTestingPlan>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM restore_testing_plans WHERE 1 = 1");
        q.apply(&mut sql, &[("account_id", "account_id"), ("region", "region"), ("gone_at", "gone_at")]);
        q.page(&mut sql, None, "arn");
        let (rows, next) =
            fetch_page(self.pool(), &sql, q.limit, PlanRow::read, |r| Cursor { time: 0, key: r.arn.clone() }).await?;
        Ok((rows.into_iter().map(PlanRow::into_dto).collect(), next))
    }
}

/// The key protected resources are listed by. The same ARN can be listed by two
/// accounts (its own, and one holding copies): the key adds the account and region,
/// so that paging keeps both.
const RESOURCE_KEY: &str = "(arn || ' ' || account_id || ' ' || region)";

/// SQL: when the protected resource `r` was last restore-tested (NULL: never).
macro_rules! last_test_at {
    () => {
        concat!(
            "(SELECT MAX(j.created_at) FROM restore_jobs j WHERE j.resource_arn = r.arn AND j.is_test = 1 AND ",
            counted_restore!(),
            ")"
        )
    };
}

/// SQL: [`last_test_at!`], for queries built at run time.
pub const LAST_TEST_AT: &str = last_test_at!();

/// Protected resources with their last restore test (`last_test_at`, and
/// `last_test_outcome`: `passed`, `restored`, `failed`, NULL running), as a derived table `p`
/// so that filters and order can use the computed columns on both engines.
pub const RESOURCE_SELECT: &str = concat!(
    "SELECT * FROM (SELECT r.*, ",
    last_test_at!(),
    " AS last_test_at,
        (SELECT CASE WHEN ",
    test_passed!(),
    " THEN 'passed' WHEN ",
    test_restored!(),
    " THEN 'restored' WHEN ",
    test_failed!(),
    " THEN 'failed' END
            FROM restore_jobs j WHERE j.resource_arn = r.arn AND j.is_test = 1 AND ",
    counted_restore!(),
    "
            ORDER BY j.created_at DESC LIMIT 1) AS last_test_outcome
    FROM protected_resources r) p WHERE 1 = 1"
);

/// Reads a row of [`RESOURCE_SELECT`].
pub fn read_resource(row: &AnyRow) -> Result<ProtectedResource, StoreError> {
    Ok(ProtectedResourceRow::read(row)?.into_dto(col(row, "last_test_at")?, col(row, "last_test_outcome")?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Each filter of the recovery points has an index that gives its rows in page
    /// order (created_at, arn), so that a page stops after its rows instead of sorting
    /// every row of each timestamp it reaches (SQLite's plan; PostgreSQL's, checked by
    /// hand on a million rows, reads the same indexes backwards without an incremental sort).
    /// Where an account or a vault leads, the index a page reads also holds the resource
    /// type and the status, so that those filters are tested in the index entry, not on
    /// a row fetched from the table for it (SQLite defers the table seek until a column
    /// outside the index is needed).
    #[tokio::test]
    async fn recovery_point_pages_read_their_order_and_their_filters_from_an_index() {
        let db = crate::store::TempSqlite::new().await;
        // The planner's statistics as the console's own ANALYZE (`refresh_statistics`)
        // wrote them for the 1,172,140 recovery points of `sandbox --accounts 1000`, so
        // that the plans are the ones chosen at that size (SQLite reads sqlite_stat1 again
        // on `ANALYZE sqlite_schema`).
        let stats = [
            ("recovery_points_status", "553536 2001 118 1"),
            ("recovery_points_type", "446400 1334 20 1"),
            ("recovery_points_vault_name", "951048 2001 130 1"),
            ("recovery_points_vault", "555660 667 10 1 1 1"),
            ("recovery_points_region", "549120 2001 154 1"),
            ("recovery_points_account_only", "837000 1001 10 1 1 1"),
            ("recovery_points_account", "571536 1001 1001 10 1 1 1"),
            ("recovery_points_cold_at", "160820 1001 1001 8"),
            ("recovery_points_delete_at", "1368864 1001 1001 8"),
            ("recovery_points_resource", "702240 126 2 1"),
            ("recovery_points_created", "514800 501 1"),
            ("sqlite_autoindex_recovery_points_1", "646800 1"),
        ];
        sqlx::query("DELETE FROM sqlite_stat1 WHERE tbl = 'recovery_points'").execute(db.store.pool()).await.unwrap();
        for (index, stat) in stats {
            let mut insert =
                Sql::new(db.store.engine(), "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('recovery_points', ");
            insert.arg(index).push(", ").arg(stat).push(")");
            insert.query().execute(db.store.pool()).await.unwrap();
        }
        sqlx::query("ANALYZE sqlite_schema").execute(db.store.pool()).await.unwrap();
        let text = |v: &str| Some(v.to_string());
        let vault_arn = "arn:aws:backup:us-east-1:1:backup-vault:v";
        let filters = [
            ListQuery { account_id: text("400000000500"), resource_type: text("DynamoDB"), ..Default::default() },
            ListQuery { account_id: text("400000000500"), status: text("EXPIRED"), ..Default::default() },
            ListQuery { account_id: text("400000000500"), region: text("us-east-1"), ..Default::default() },
            ListQuery {
                account_id: text("400000000500"),
                region: text("us-east-1"),
                resource_type: text("EBS"),
                ..Default::default()
            },
            ListQuery { resource_type: text("RDS"), created_after: Some(1), ..Default::default() },
            ListQuery { status: text("COMPLETED"), ..Default::default() },
            ListQuery { region: text("us-east-1"), ..Default::default() },
            ListQuery { vault: text("default-vault"), ..Default::default() },
            ListQuery { vault: text(vault_arn), ..Default::default() },
            ListQuery { vault: text(vault_arn), resource_type: text("S3"), ..Default::default() },
            ListQuery { vault: text(vault_arn), status: text("EXPIRED"), ..Default::default() },
            ListQuery { resource_arn: text("arn:aws:rds:us-east-1:1:db:x"), ..Default::default() },
        ];
        for mut q in filters {
            q.limit = 100;
            q.cursor = Some(Cursor { time: 5, key: "arn:x".into() });
            let plan = db.plan(&db.store.recovery_points_page(&q)).await;
            assert!(plan.iter().all(|step| !step.contains("TEMP B-TREE")), "{q:?}: {plan:?}");
            let index = plan
                .iter()
                .find_map(|step| step.split("USING INDEX ").nth(1))
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_default();
            assert!(!index.is_empty(), "{q:?} reads no index: {plan:?}");
            let info = Sql::new(db.store.engine(), &format!("SELECT name FROM pragma_index_info('{index}')"));
            let rows = info.query().fetch_all(db.store.pool()).await.unwrap();
            let held: Vec<String> = rows.iter().map(|r| col(r, "name").unwrap()).collect();
            let vault_column = match &q.vault {
                Some(v) if v.starts_with("arn:") => "vault_arn",
                _ => "vault_name",
            };
            let filtered = [
                (q.account_id.is_some(), "account_id"),
                (q.region.is_some(), "region"),
                (q.vault.is_some(), vault_column),
                (q.resource_type.is_some(), "resource_type"),
                (q.resource_arn.is_some(), "resource_arn"),
                (q.status.is_some(), "status"),
            ];
            for (_, column) in filtered.iter().filter(|(on, _)| *on) {
                assert!(held.iter().any(|h| h == column), "{q:?} tests {column} outside {index} {held:?}");
            }
        }
    }
}
