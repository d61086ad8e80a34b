//! The Overview's figures: restore tests per day, the latest failures, resources
//! never or not recently tested, the age of each resource's newest backup (RPO)
//! and measured restore times (RTO). Counting happens in SQL; only the restore
//! durations of the window come back as rows, for their percentiles.

use std::collections::BTreeMap;

use shared::{
    BackupAges, CopyJob, DailyTests, OutsideTarget, Overview, ProtectedResource, RecoveryPoint, RestoreJob,
    RestoreTimes,
};

use super::inventory::{read_resource, RecoveryPointRow, LAST_TEST_AT, RESOURCE_SELECT};
use super::jobs::{CopyJobRow, RestoreJobRow};
use super::sql::{test_counts, Sql, COUNTED_RESTORE, TEST_COUNTS, TEST_FAILED};
use sqlx::FromRow;

use super::{col, row, Store, StoreError};
use crate::domain::{Target, Targets};
use crate::time::{rfc3339, DAY_MS};

/// How many rows the Overview's short lists show.
const SHORT_LIST: i64 = 10;

/// Restrictions of the per-day restore test counts.
#[derive(Debug, Clone, Default)]
pub struct TestScope {
    pub account_id: Option<String>,
    pub plan_arn: Option<String>,
}

/// One account's protected resources against their targets.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AccountTargets {
    pub account_id: String,
    pub resources: i64,
    /// Without a restore test since the `tested_since` asked for.
    pub untested: i64,
    pub outside_rpo: i64,
    pub outside_rto: i64,
}

/// What the Overview shows, gathered once per inventory version and UTC day
/// ([`Store::derived`]): what moves with the clock within a day (the untested and
/// backup-age counts) is kept as sorted times and counted for each answer.
pub struct OverviewInputs {
    day: i64,
    daily_tests: Vec<DailyTests>,
    latest_failures: Vec<RestoreJob>,
    /// The last restore test of each resource (not gone) that had one, rising.
    tested_at: Vec<i64>,
    never_tested: i64,
    /// The first resources by their last test, never tested first: an answer's
    /// untested list is those of them its threshold calls untested (untested
    /// resources lead this order whatever the threshold).
    least_recently_tested: Vec<(Option<i64>, ProtectedResource)>,
    /// The newest backup of each resource (not gone) that had one, rising.
    backed_up_at: Vec<i64>,
    never_backed_up: i64,
    oldest_backups: Vec<ProtectedResource>,
    restore_times: Vec<RestoreTimes>,
}

impl OverviewInputs {
    /// The Overview at `now`; "not tested recently" means not within `stale_after_days`.
    fn answer(&self, now: i64, stale_after_days: i64) -> Overview {
        let since = now - stale_after_days * DAY_MS;
        let before = |times: &[i64], t: i64| times.partition_point(|&x| x < t) as i64;
        let resources = self.backed_up_at.len() as i64 + self.never_backed_up;
        let (day, week) = (before(&self.backed_up_at, now - DAY_MS), before(&self.backed_up_at, now - 7 * DAY_MS));
        let backed_up = self.backed_up_at.len() as i64;
        Overview {
            generated_at: rfc3339(now),
            daily_tests: self.daily_tests.clone(),
            latest_failures: self.latest_failures.clone(),
            stale_after_days,
            never_tested: self.never_tested,
            not_tested_recently: before(&self.tested_at, since),
            untested_resources: self
                .least_recently_tested
                .iter()
                .filter(|(tested, _)| tested.is_none_or(|t| t < since))
                .map(|(_, r)| r.clone())
                .collect(),
            backup_ages: BackupAges {
                within_24h: backed_up - day,
                within_7d: day - week,
                older: week,
                never: resources - backed_up,
            },
            oldest_backups: self.oldest_backups.clone(),
            restore_times: self.restore_times.clone(),
        }
    }
}

impl Store {
    /// Everything the Overview shows; "not tested recently" means not within `stale_after_days`.
    pub async fn overview(&self, now: i64, stale_after_days: i64) -> Result<Overview, StoreError> {
        let today = now.div_euclid(DAY_MS);
        let inputs =
            self.derived("overview", |i: &OverviewInputs| i.day == today, || self.overview_inputs(now)).await?;
        Ok(inputs.answer(now, stale_after_days))
    }

    async fn overview_inputs(&self, now: i64) -> Result<OverviewInputs, StoreError> {
        let everything = TestScope::default();
        // The 90 UTC days of the chart, today included.
        let window_start = (now.div_euclid(DAY_MS) - 89) * DAY_MS;
        let (daily_tests, latest_failures) =
            tokio::try_join!(self.daily_tests(now, 90, &everything), self.latest_failed_tests(SHORT_LIST))?;
        let times = Sql::new(
            self.engine(),
            &format!("SELECT r.last_backup_at, {LAST_TEST_AT} AS last_test_at FROM protected_resources r WHERE r.gone_at IS NULL"),
        );
        let (mut tested_at, mut backed_up_at, mut never_tested, mut never_backed_up) = (Vec::new(), Vec::new(), 0, 0);
        for row in times.query().fetch_all(self.pool()).await? {
            match col::<Option<i64>>(&row, "last_test_at")? {
                Some(t) => tested_at.push(t),
                None => never_tested += 1,
            }
            match col::<Option<i64>>(&row, "last_backup_at")? {
                Some(t) => backed_up_at.push(t),
                None => never_backed_up += 1,
            }
        }
        tested_at.sort_unstable();
        backed_up_at.sort_unstable();
        // Ties (one ARN listed by its own account and by one holding copies) in a fixed order.
        let mut list = Sql::new(self.engine(), RESOURCE_SELECT);
        list.push(" AND gone_at IS NULL ORDER BY COALESCE(last_test_at, 0), arn, account_id, region LIMIT ")
            .arg(SHORT_LIST);
        let least_recently_tested = list
            .query()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((col(r, "last_test_at")?, read_resource(r)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut list = Sql::new(self.engine(), RESOURCE_SELECT);
        list.push(" AND gone_at IS NULL AND last_backup_at IS NOT NULL ORDER BY last_backup_at, arn, account_id, region LIMIT ")
            .arg(SHORT_LIST);
        let rows = list.query().fetch_all(self.pool()).await?;
        let oldest_backups = rows.iter().map(read_resource).collect::<Result<Vec<_>, _>>()?;
        Ok(OverviewInputs {
            day: now.div_euclid(DAY_MS),
            daily_tests,
            latest_failures,
            tested_at,
            never_tested,
            least_recently_tested,
            backed_up_at,
            never_backed_up,
            oldest_backups,
            restore_times: self.restore_times(window_start).await?,
        })
    }

    /// Restore tests per UTC day by outcome, for `days` days up to the day of `now`,
    /// oldest first, with a zero row for days without tests.
    pub async fn daily_tests(&self, now: i64, days: i64, scope: &TestScope) -> Result<Vec<DailyTests>, StoreError> {
        let today = now.div_euclid(DAY_MS);
        let first = today - days + 1;
        let mut sql = Sql::new(
            self.engine(),
            &format!("SELECT j.created_at / {DAY_MS} AS day, {TEST_COUNTS} FROM restore_jobs j WHERE j.is_test = 1 AND {COUNTED_RESTORE} AND j.created_at >= "),
        );
        sql.arg(first * DAY_MS).push(" AND j.created_at < ").arg((today + 1) * DAY_MS);
        if let Some(account) = &scope.account_id {
            sql.push(" AND j.account_id = ").arg(account.clone());
        }
        if let Some(plan) = &scope.plan_arn {
            sql.push(" AND j.plan_arn = ").arg(plan.clone());
        }
        sql.push(&format!(" GROUP BY j.created_at / {DAY_MS}"));
        let mut counts = BTreeMap::new();
        for row in sql.query().fetch_all(self.pool()).await? {
            counts.insert(col::<i64>(&row, "day")?, test_counts(&row)?);
        }
        Ok((first..=today)
            .map(|day| DailyTests {
                date: crate::time::date(day * DAY_MS),
                tests: counts.get(&day).copied().unwrap_or_default(),
            })
            .collect())
    }

    /// The most recent failed restore tests.
    pub async fn latest_failed_tests(&self, limit: i64) -> Result<Vec<RestoreJob>, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            &format!(
                "SELECT * FROM restore_jobs j WHERE j.is_test = 1 AND {TEST_FAILED} AND {COUNTED_RESTORE}
                 ORDER BY j.created_at DESC LIMIT "
            ),
        );
        sql.arg(limit);
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(|r| row::<RestoreJobRow>(r).map(RestoreJobRow::into_dto)).collect()
    }

    /// Median, 90th percentile and longest restore per resource type, over the
    /// restore jobs created since `since` that completed.
    pub async fn restore_times(&self, since: i64) -> Result<Vec<RestoreTimes>, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            &format!(
                "SELECT resource_type, completed_at - created_at AS took FROM restore_jobs j
                 WHERE status = 'COMPLETED' AND completed_at IS NOT NULL AND {COUNTED_RESTORE} AND created_at >= "
            ),
        );
        sql.arg(since);
        let mut by_type: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for row in sql.query().fetch_all(self.pool()).await? {
            by_type.entry(col(&row, "resource_type")?).or_default().push(col::<i64>(&row, "took")?.max(0) / 60_000);
        }
        Ok(by_type
            .into_iter()
            .map(|(resource_type, mut minutes)| {
                minutes.sort_unstable();
                RestoreTimes {
                    resource_type,
                    restores: minutes.len() as i64,
                    median_minutes: percentile(&minutes, 50),
                    p90_minutes: percentile(&minutes, 90),
                    max_minutes: minutes.last().copied().unwrap_or_default(),
                }
            })
            .collect())
    }

    /// Per account: protected resources, those without a restore test since
    /// `tested_since`, those whose newest backup is older than their RPO target at
    /// `now`, and those whose latest restore took longer than their RTO target.
    pub async fn targets_by_account(
        &self,
        tested_since: i64,
        now: i64,
        targets: &Targets,
    ) -> Result<Vec<AccountTargets>, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            "SELECT account_id, COUNT(*) AS resources,
                    COUNT(CASE WHEN last_test_at IS NULL OR last_test_at < ",
        );
        sql.arg(tested_since)
            .push(" THEN 1 END) AS untested, COUNT(CASE WHEN outside_rpo = 1 THEN 1 END) AS outside_rpo,")
            .push(" COUNT(CASE WHEN outside_rto = 1 THEN 1 END) AS outside_rto FROM (");
        targeted_select(&mut sql, now, targets);
        sql.push(" AND gone_at IS NULL) t GROUP BY account_id ORDER BY account_id");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok(AccountTargets::from_row(r)?)).collect()
    }

    /// Completed restores of one resource, oldest first: (job id, created, minutes, test).
    pub async fn restore_durations(&self, resource_arn: &str) -> Result<Vec<(String, i64, i64, bool)>, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            &format!(
                "SELECT id, created_at, completed_at, is_test FROM restore_jobs j
                 WHERE status = 'COMPLETED' AND completed_at IS NOT NULL AND {COUNTED_RESTORE} AND resource_arn = "
            ),
        );
        sql.arg(resource_arn).push(" ORDER BY created_at LIMIT 5000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let (created, completed): (i64, i64) = (col(r, "created_at")?, col(r, "completed_at")?);
                Ok((col(r, "id")?, created, (completed - created).max(0) / 60_000, col::<i64>(r, "is_test")? == 1))
            })
            .collect()
    }

    /// Protected resources outside their targets at `now`: newest backup older than
    /// the RPO target (or none), or latest restore longer than the RTO target; by ARN.
    pub async fn outside_targets(
        &self,
        now: i64,
        targets: &Targets,
        limit: i64,
        after: Option<&str>,
    ) -> Result<(Vec<OutsideTarget>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), "");
        targeted_select(&mut sql, now, targets);
        sql.push(" AND gone_at IS NULL AND (outside_rpo = 1 OR outside_rto = 1)");
        if let Some(after) = after {
            sql.push(" AND arn > ").arg(after);
        }
        sql.push(" ORDER BY arn LIMIT ").arg(limit + 1);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(OutsideTarget {
                    resource: read_resource(r)?,
                    rpo_target_hours: col(r, "rpo_target_hours")?,
                    rto_target_minutes: col(r, "rto_target_minutes")?,
                    outside_rpo: col::<i64>(r, "outside_rpo")? == 1,
                    outside_rto: col::<i64>(r, "outside_rto")? == 1,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(super::sql::finish_page(items, limit, |r| super::sql::Cursor {
            time: 0,
            key: r.resource.resource_arn.clone(),
        }))
    }

    /// The number of audit records.
    pub async fn audit_records(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM audit_log").fetch_one(self.pool()).await?;
        col(&row, "n")
    }

    /// One recovery point by ARN (also one a sync no longer found).
    pub async fn recovery_point(&self, arn: &str) -> Result<Option<RecoveryPoint>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM recovery_points WHERE arn = ");
        sql.arg(arn);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.map(|r| RecoveryPointRow::read(&r).map(RecoveryPointRow::into_dto)).transpose()
    }

    /// Copy jobs that copied the recovery point, or made it; restore jobs from it.
    pub async fn recovery_point_jobs(&self, arn: &str) -> Result<(Vec<CopyJob>, Vec<RestoreJob>), StoreError> {
        let mut copies = Sql::new(self.engine(), "SELECT * FROM copy_jobs WHERE source_recovery_point_arn = ");
        copies
            .arg(arn)
            .push(" OR destination_recovery_point_arn = ")
            .arg(arn)
            .push(" ORDER BY created_at DESC LIMIT 100");
        let copies = copies.query().fetch_all(self.pool()).await?;
        let mut restores = Sql::new(self.engine(), "SELECT * FROM restore_jobs WHERE recovery_point_arn = ");
        restores.arg(arn).push(" ORDER BY created_at DESC LIMIT 100");
        let restores = restores.query().fetch_all(self.pool()).await?;
        Ok((
            copies.iter().map(|r| row::<CopyJobRow>(r).map(CopyJobRow::into_dto)).collect::<Result<_, _>>()?,
            restores.iter().map(|r| row::<RestoreJobRow>(r).map(RestoreJobRow::into_dto)).collect::<Result<_, _>>()?,
        ))
    }
}

/// [`RESOURCE_SELECT`] with each resource's targets (`rpo_target_hours`,
/// `rto_target_minutes`) and whether it misses them at `now` (`outside_rpo`,
/// `outside_rto`: 1 or 0), as `SELECT * FROM (...) q WHERE 1 = 1`. The targets set
/// in the console are joined from `assurance_targets` (the rows [`Targets`] was read
/// from), so the statement and its bound values do not grow with them: thousands of
/// per-resource targets once exceeded the engines' bind limits (security review,
/// finding 17). Only the configuration's per-type targets are bound.
fn targeted_select(sql: &mut Sql, now: i64, targets: &Targets) {
    sql.push("SELECT * FROM (SELECT p.*, ");
    target_expr(sql, targets, "rpo_hours", |t| t.rpo_hours);
    sql.push(" AS rpo_target_hours, ");
    target_expr(sql, targets, "rto_minutes", |t| t.rto_minutes);
    sql.push(" AS rto_target_minutes, CASE WHEN p.last_backup_at IS NULL OR p.last_backup_at < ")
        .arg(now)
        .push(" - 3600000 * ");
    target_expr(sql, targets, "rpo_hours", |t| t.rpo_hours);
    sql.push(" THEN 1 ELSE 0 END AS outside_rpo, CASE WHEN p.latest_restore_minutes > ");
    target_expr(sql, targets, "rto_minutes", |t| t.rto_minutes);
    sql.push(" THEN 1 ELSE 0 END AS outside_rto FROM (");
    sql.push(RESOURCE_SELECT);
    sql.push(
        ") p LEFT JOIN assurance_targets tr ON tr.scope_kind = 'resource' AND tr.scope = p.arn
         LEFT JOIN assurance_targets tt ON tt.scope_kind = 'resource_type' AND tt.scope = p.resource_type) q WHERE 1 = 1",
    );
}

/// A SQL expression for one figure (`column` of `assurance_targets`) of the target of
/// the row aliased `p`: the console's per-resource, then per-type target, then the
/// configuration's per-type target, then the default (as [`Targets::of`]).
fn target_expr(sql: &mut Sql, targets: &Targets, column: &str, figure: fn(&Target) -> i64) {
    sql.push(&format!("COALESCE(tr.{column}, tt.{column}, "));
    let configured = targets.configured_by_type();
    if !configured.is_empty() {
        sql.push("CASE");
        for &(ty, t) in &configured {
            sql.push(" WHEN p.resource_type = ").arg(ty).push(" THEN ").arg(figure(&t));
        }
        sql.push(" ELSE ");
    }
    sql.arg(figure(&targets.default_target()));
    sql.push(if configured.is_empty() { ")" } else { " END)" });
}

/// The nearest-rank percentile of sorted values (0 when there are none).
pub fn percentile(sorted: &[i64], pct: usize) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(super::percentile(&v, 50), 5);
        assert_eq!(super::percentile(&v, 90), 9);
        assert_eq!(super::percentile(&[7], 90), 7);
        assert_eq!(super::percentile(&[], 50), 0);
    }
}
