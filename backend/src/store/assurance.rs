//! Assurance: the RPO/RTO targets admins set, the notes kept with runbooks,
//! drills and their schedules, and the histories the RPO and coverage trend are
//! computed from. Every change is written with its audit record.

use serde_json::json;
use shared::{DrillSchedule, ScheduleGrant, SetTarget, TargetRule};
use sqlx::any::AnyRow;
use sqlx::FromRow;

use super::sql::{Cursor, Sql, Val};
use super::sql::{COUNTED_POINT, COUNTED_RESTORE, RP_USABLE, TEST_PASSED, TEST_RESTORED};
use super::{col, parsed, Store, StoreError};
use crate::time::{rfc3339, rfc3339_opt};

/// A drill as stored. `Default` is a blank row to fill in with `..DrillRow::default()`:
/// a new drill sets what it knows and leaves every later step unset.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DrillRow {
    pub id: String,
    pub scenario: String,
    pub resource_arn: String,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub schedule_id: Option<String>,
    pub status: String,
    pub outcome: Option<String>,
    pub started_by: String,
    pub request_id: Option<String>,
    pub recovery_point_arn: String,
    pub recovery_point_at: i64,
    pub target_name: String,
    pub restore_account_id: String,
    pub retention_minutes: i64,
    pub rto_target_minutes: i64,
    pub rpo_target_hours: i64,
    pub requested_at: i64,
    pub approved_at: Option<i64>,
    pub approved_by: Option<String>,
    pub job_started_at: Option<i64>,
    pub job_completed_at: Option<i64>,
    pub restored_arn: Option<String>,
    pub validated_at: Option<i64>,
    pub validation: Option<String>,
    pub cleanup_due_at: Option<i64>,
    pub cleanup_token: Option<String>,
    pub cleanup_started_at: Option<i64>,
    pub cleaned_up_at: Option<i64>,
    pub followups: Option<String>,
    pub error: Option<String>,
    pub updated_at: i64,
}

/// The drill statuses a drill leaves only by finishing.
pub const ACTIVE_DRILL: [&str; 5] = ["awaiting_approval", "restoring", "validating", "retained", "cleaning_up"];

impl DrillRow {
    fn read(r: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: col(r, "id")?,
            scenario: col(r, "scenario")?,
            resource_arn: col(r, "resource_arn")?,
            account_id: col(r, "account_id")?,
            region: col(r, "region")?,
            resource_type: col(r, "resource_type")?,
            schedule_id: col(r, "schedule_id")?,
            status: col(r, "status")?,
            outcome: col(r, "outcome")?,
            started_by: col(r, "started_by")?,
            request_id: col(r, "request_id")?,
            recovery_point_arn: col(r, "recovery_point_arn")?,
            recovery_point_at: col(r, "recovery_point_at")?,
            target_name: col(r, "target_name")?,
            restore_account_id: col(r, "restore_account_id")?,
            retention_minutes: col(r, "retention_minutes")?,
            rto_target_minutes: col(r, "rto_target_minutes")?,
            rpo_target_hours: col(r, "rpo_target_hours")?,
            requested_at: col(r, "requested_at")?,
            approved_at: col(r, "approved_at")?,
            approved_by: col(r, "approved_by")?,
            job_started_at: col(r, "job_started_at")?,
            job_completed_at: col(r, "job_completed_at")?,
            restored_arn: col(r, "restored_arn")?,
            validated_at: col(r, "validated_at")?,
            validation: col(r, "validation")?,
            cleanup_due_at: col(r, "cleanup_due_at")?,
            cleanup_token: col(r, "cleanup_token")?,
            cleanup_started_at: col(r, "cleanup_started_at")?,
            cleaned_up_at: col(r, "cleaned_up_at")?,
            followups: col(r, "followups")?,
            error: col(r, "error")?,
            updated_at: col(r, "updated_at")?,
        })
    }

    /// Job started to validated, in minutes.
    pub fn measured_rto_minutes(&self) -> Option<i64> {
        Some((self.validated_at? - self.job_started_at?).max(0) / 60_000)
    }

    /// The drill report.
    pub fn into_dto(self) -> Result<shared::Drill, StoreError> {
        let start = self.requested_at;
        let step = |name: &str, at: Option<i64>, by: Option<String>| shared::DrillStep {
            step: name.to_string(),
            at: rfc3339_opt(at),
            by,
            minutes_from_start: at.map(|t| (t - start).max(0) / 60_000),
        };
        let steps = vec![
            step("requested", Some(self.requested_at), Some(self.started_by.clone())),
            step("approved", self.approved_at, self.approved_by.clone()),
            step("job_started", self.job_started_at, self.job_started_at.map(|_| "console".to_string())),
            step("job_completed", self.job_completed_at, self.job_completed_at.map(|_| "AWS Backup".to_string())),
            step("validated", self.validated_at, self.validated_at.map(|_| "console (Cloud Control)".to_string())),
            step("cleaned_up", self.cleaned_up_at, self.cleaned_up_at.map(|_| "console (Cloud Control)".to_string())),
        ];
        Ok(shared::Drill {
            measured_rto_minutes: self.measured_rto_minutes(),
            end_to_end_minutes: self.validated_at.map(|v| (v - start).max(0) / 60_000),
            rpo_minutes: (self.requested_at - self.recovery_point_at).max(0) / 60_000,
            recovery_point_created_at: rfc3339(self.recovery_point_at),
            steps,
            scenario: parsed("scenario", &self.scenario)?,
            status: parsed("status", &self.status)?,
            id: self.id,
            resource_arn: self.resource_arn,
            account_id: self.account_id,
            region: self.region,
            resource_type: self.resource_type,
            schedule_id: self.schedule_id,
            outcome: self.outcome,
            started_by: self.started_by,
            request_id: self.request_id,
            recovery_point_arn: self.recovery_point_arn,
            target_name: self.target_name,
            restore_account_id: self.restore_account_id,
            restored_arn: self.restored_arn,
            retention_minutes: self.retention_minutes,
            rto_target_minutes: self.rto_target_minutes,
            rpo_target_hours: self.rpo_target_hours,
            validation: self.validation,
            followups: self.followups,
            error: self.error,
        })
    }
}

/// [`ACTIVE_DRILL`] as an SQL list: `('awaiting_approval', ...)`.
fn active_in() -> String {
    format!("('{}')", ACTIVE_DRILL.join("', '"))
}

pub(super) fn drill_subject(id: &str) -> String {
    format!("drill:{id}")
}

fn read_schedule(r: &AnyRow) -> Result<DrillSchedule, StoreError> {
    Ok(DrillSchedule {
        id: col(r, "id")?,
        scenario: parsed("scenario", &col::<String>(r, "scenario")?)?,
        resource_arn: col(r, "resource_arn")?,
        every_hours: col(r, "every_hours")?,
        next_at: rfc3339(col(r, "next_at")?),
        retention_minutes: col(r, "retention_minutes")?,
        created_by: col(r, "created_by")?,
        enabled: col::<i64>(r, "enabled")? == 1,
        ends_at: rfc3339_opt(col(r, "ends_at")?),
        grant_id: col(r, "grant_id")?,
    })
}

fn read_grant(r: &AnyRow) -> Result<ScheduleGrant, StoreError> {
    Ok(ScheduleGrant {
        id: col(r, "id")?,
        subject: col(r, "subject")?,
        role: col(r, "role")?,
        granted_at: rfc3339(col(r, "granted_at")?),
        confirmed_at: rfc3339(col(r, "confirmed_at")?),
        revoked_at: rfc3339_opt(col(r, "revoked_at")?),
        revoked_by: col(r, "revoked_by")?,
    })
}

/// The role a schedule's creator must still hold for its runs.
pub const SCHEDULE_ROLE: &str = "operator";

/// Where a person was last seen with their roles: their newest sign-in (which records
/// the roles the IdP gave) or schedule made (which needed the operator role).
#[derive(Debug, Clone, PartialEq)]
pub struct LastSeen {
    pub at: i64,
    pub action: String,
    pub roles: Vec<String>,
}

/// A completed recovery point in a resource's RPO history.
/// A restore test that restored its resource: when, and whether a validator passed it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Tested {
    pub resource_arn: String,
    pub created_at: i64,
    /// 1 when a validator passed it, else 0.
    pub passed: i64,
}

impl Tested {
    pub fn validated(&self) -> bool {
        self.passed == 1
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HistoryPoint {
    pub created_at: i64,
    pub account_id: String,
    pub vault_arn: String,
}

impl Store {
    /// The targets admins set in the console.
    /// The effective RPO/RTO targets: the configuration's, overridden by what admins set in the console.
    pub async fn targets(&self, cfg: &crate::config::AssuranceConfig) -> Result<crate::domain::Targets, StoreError> {
        let file_rules = cfg
            .targets
            .iter()
            .map(|t| TargetRule {
                scope_kind: shared::TargetScope::ResourceType,
                scope: t.resource_type.clone(),
                rpo_hours: t.rpo_hours,
                rto_minutes: t.rto_minutes,
                source: "config".into(),
                updated_by: None,
                updated_at: None,
            })
            .collect();
        let default = crate::domain::Target { rpo_hours: cfg.rpo_hours, rto_minutes: cfg.rto_minutes };
        Ok(crate::domain::Targets::new(default, file_rules, self.console_targets().await?))
    }

    pub async fn console_targets(&self) -> Result<Vec<TargetRule>, StoreError> {
        let rows = sqlx::query("SELECT * FROM assurance_targets ORDER BY scope_kind DESC, scope")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TargetRule {
                    scope_kind: parsed("scope_kind", &col::<String>(r, "scope_kind")?)?,
                    scope: col(r, "scope")?,
                    rpo_hours: col(r, "rpo_hours")?,
                    rto_minutes: col(r, "rto_minutes")?,
                    source: "console".into(),
                    updated_by: Some(col(r, "updated_by")?),
                    updated_at: Some(rfc3339(col(r, "updated_at")?)),
                })
            })
            .collect()
    }

    /// The number of per-resource targets set in the console, and whether `arn` has one.
    pub async fn resource_targets(&self, arn: &str) -> Result<(i64, bool), StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT COUNT(*) AS n, COUNT(CASE WHEN scope = ");
        sql.arg(arn).push(" THEN 1 END) AS set_for FROM assurance_targets WHERE scope_kind = 'resource'");
        let row = sql.query().fetch_one(self.pool()).await?;
        Ok((col(&row, "n")?, col::<i64>(&row, "set_for")? > 0))
    }

    /// Sets (or replaces) a target, with its audit record.
    pub async fn set_target(&self, t: &SetTarget, actor: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let mut del = Sql::new(self.engine(), "DELETE FROM assurance_targets WHERE scope_kind = ");
        del.arg(t.scope_kind.as_str()).push(" AND scope = ").arg(t.scope.as_str());
        del.query().execute(&mut *tx).await?;
        let mut ins = Sql::new(
            self.engine(),
            "INSERT INTO assurance_targets (scope_kind, scope, rpo_hours, rto_minutes, updated_by, updated_at) VALUES (",
        );
        ins.args([
            t.scope_kind.as_str().into(),
            t.scope.as_str().into(),
            t.rpo_hours.into(),
            t.rto_minutes.into(),
            actor.into(),
            now.into(),
        ])
        .push(")");
        ins.query().execute(&mut *tx).await?;
        let details = json!({"scope_kind": t.scope_kind, "scope": t.scope, "rpo_hours": t.rpo_hours, "rto_minutes": t.rto_minutes});
        self.audit(&mut tx, now, actor, "target.set", &format!("target:{}:{}", t.scope_kind, t.scope), details).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a target set in the console; `false` when there was none.
    pub async fn remove_target(&self, kind: &str, scope: &str, actor: &str, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut del = Sql::new(self.engine(), "DELETE FROM assurance_targets WHERE scope_kind = ");
        del.arg(kind).push(" AND scope = ").arg(scope);
        if del.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        let details = json!({"scope_kind": kind, "scope": scope});
        self.audit(&mut tx, now, actor, "target.removed", &format!("target:{kind}:{scope}"), details).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Completed recovery points of a resource created since `since`, oldest first.
    /// Also those a sync no longer finds: history.
    pub async fn recovery_point_history(
        &self,
        resource_arn: &str,
        since: i64,
    ) -> Result<Vec<HistoryPoint>, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            &format!(
                "SELECT created_at, account_id, vault_arn FROM recovery_points WHERE {RP_USABLE} AND {COUNTED_POINT} AND resource_arn = "
            ),
        );
        // The newest 20,000 (a point an hour for over two years), oldest first.
        sql.arg(resource_arn).push(" AND created_at >= ").arg(since).push(" ORDER BY created_at DESC LIMIT 20000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().rev().map(|r| Ok(HistoryPoint::from_row(r)?)).collect()
    }

    /// The newest completed recovery point of a resource before `since` and its vault
    /// (where an RPO history starts), kind by kind: in the resource's account or not.
    pub async fn recovery_point_before(
        &self,
        resource_arn: &str,
        account_id: &str,
        same_account: bool,
        before: i64,
    ) -> Result<Option<HistoryPoint>, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            &format!(
                "SELECT created_at, account_id, vault_arn FROM recovery_points WHERE {RP_USABLE} AND {COUNTED_POINT} AND resource_arn = "
            ),
        );
        sql.arg(resource_arn)
            .push(if same_account { " AND account_id = " } else { " AND account_id <> " })
            .arg(account_id)
            .push(" AND created_at < ")
            .arg(before)
            .push(" ORDER BY created_at DESC LIMIT 1");
        let row = sql.query().fetch_optional(self.pool()).await?;
        Ok(row.map(|r| HistoryPoint::from_row(&r)).transpose()?)
    }

    /// Restore tests since `since` that restored their resource (outcome passed or restored).
    pub async fn tested_resources(&self, since: i64) -> Result<Vec<Tested>, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            &format!(
                "SELECT j.resource_arn, j.created_at, CASE WHEN {TEST_PASSED} THEN 1 ELSE 0 END AS passed
                 FROM restore_jobs j WHERE j.is_test = 1 AND {COUNTED_RESTORE} AND ({TEST_PASSED} OR {TEST_RESTORED}) AND j.created_at >= "
            ),
        );
        sql.arg(since);
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok(Tested::from_row(r)?)).collect()
    }

    /// The team's notes of a runbook: (notes, by, at).
    pub async fn runbook_notes(
        &self,
        scenario: &str,
        resource_arn: &str,
    ) -> Result<Option<(String, String, i64)>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM runbook_notes WHERE scenario = ");
        sql.arg(scenario).push(" AND resource_arn = ").arg(resource_arn);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.map(|r| Ok((col(&r, "notes")?, col(&r, "updated_by")?, col(&r, "updated_at")?))).transpose()
    }

    /// Replaces the notes of a runbook, with its audit record: the new text and the one
    /// it replaced, so the audit log keeps every version.
    pub async fn set_runbook_notes(
        &self,
        scenario: &str,
        resource_arn: &str,
        notes: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let mut old = Sql::new(self.engine(), "SELECT notes FROM runbook_notes WHERE scenario = ");
        old.arg(scenario).push(" AND resource_arn = ").arg(resource_arn);
        let previous = old.query().fetch_optional(&mut *tx).await?.map(|r| col::<String>(&r, "notes")).transpose()?;
        let mut del = Sql::new(self.engine(), "DELETE FROM runbook_notes WHERE scenario = ");
        del.arg(scenario).push(" AND resource_arn = ").arg(resource_arn);
        del.query().execute(&mut *tx).await?;
        let mut ins = Sql::new(
            self.engine(),
            "INSERT INTO runbook_notes (scenario, resource_arn, notes, updated_by, updated_at) VALUES (",
        );
        ins.args([scenario.into(), resource_arn.into(), notes.into(), actor.into(), now.into()]).push(")");
        ins.query().execute(&mut *tx).await?;
        let details = json!({"scenario": scenario, "notes": notes, "notes_sha256": crate::digest::sha256_hex(notes),
            "previous": previous, "previous_sha256": previous.as_deref().map(crate::digest::sha256_hex)});
        self.audit(&mut tx, now, actor, "runbook.notes_saved", &format!("runbook:{scenario}:{resource_arn}"), details)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a new drill, with its audit record.
    pub async fn insert_drill(&self, d: &DrillRow) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let values: Vec<(&str, Val)> = vec![
            ("id", d.id.as_str().into()),
            ("scenario", d.scenario.as_str().into()),
            ("resource_arn", d.resource_arn.as_str().into()),
            ("account_id", d.account_id.as_str().into()),
            ("region", d.region.as_str().into()),
            ("resource_type", d.resource_type.as_str().into()),
            ("schedule_id", d.schedule_id.clone().into()),
            ("status", d.status.as_str().into()),
            ("started_by", d.started_by.as_str().into()),
            ("request_id", d.request_id.clone().into()),
            ("recovery_point_arn", d.recovery_point_arn.as_str().into()),
            ("recovery_point_at", d.recovery_point_at.into()),
            ("target_name", d.target_name.as_str().into()),
            ("restore_account_id", d.restore_account_id.as_str().into()),
            ("retention_minutes", d.retention_minutes.into()),
            ("rto_target_minutes", d.rto_target_minutes.into()),
            ("rpo_target_hours", d.rpo_target_hours.into()),
            ("requested_at", d.requested_at.into()),
            ("updated_at", d.updated_at.into()),
        ];
        let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
        let mut sql = Sql::new(self.engine(), &format!("INSERT INTO drills ({}) VALUES (", names.join(", ")));
        for (i, (_, v)) in values.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.arg(v);
        }
        sql.push(")");
        sql.query().execute(&mut *tx).await?;
        let details = json!({
            "scenario": d.scenario, "resource_arn": d.resource_arn, "request_id": d.request_id,
            "recovery_point_arn": d.recovery_point_arn, "target_name": d.target_name,
            "schedule_id": d.schedule_id, "retention_minutes": d.retention_minutes,
        });
        self.audit(&mut tx, d.requested_at, &d.started_by, "drill.started", &drill_subject(&d.id), details).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn drill(&self, id: &str) -> Result<Option<DrillRow>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM drills WHERE id = ");
        sql.arg(id);
        sql.query().fetch_optional(self.pool()).await?.map(|r| DrillRow::read(&r)).transpose()
    }

    /// Drills newest first, of one resource or all; keyset paged.
    pub async fn list_drills(
        &self,
        resource_arn: Option<&str>,
        since: Option<i64>,
        limit: i64,
        cursor: Option<&Cursor>,
    ) -> Result<(Vec<DrillRow>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM drills WHERE 1 = 1");
        if let Some(arn) = resource_arn {
            sql.push(" AND resource_arn = ").arg(arn);
        }
        if let Some(since) = since {
            sql.push(" AND requested_at >= ").arg(since);
        }
        if let Some(c) = cursor {
            sql.push(" AND (requested_at < ")
                .arg(c.time)
                .push(" OR (requested_at = ")
                .arg(c.time)
                .push(" AND id < ")
                .arg(c.key.as_str())
                .push("))");
        }
        sql.push(" ORDER BY requested_at DESC, id DESC LIMIT ").arg(limit + 1);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows.iter().map(DrillRow::read).collect::<Result<Vec<_>, _>>()?;
        Ok(super::sql::finish_page(items, limit, |d| Cursor { time: d.requested_at, key: d.id.clone() }))
    }

    /// Whether a drill of the schedule is still under way.
    pub async fn schedule_busy(&self, schedule_id: &str) -> Result<bool, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            &format!("SELECT COUNT(*) AS n FROM drills WHERE status IN {} AND schedule_id = ", active_in()),
        );
        sql.arg(schedule_id);
        Ok(col::<i64>(&sql.query().fetch_one(self.pool()).await?, "n")? > 0)
    }

    /// The ids of drills still under way, oldest first.
    pub async fn active_drills(&self) -> Result<Vec<String>, StoreError> {
        let sql = format!("SELECT id FROM drills WHERE status IN {} ORDER BY requested_at", active_in());
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        rows.iter().map(|r| col(r, "id")).collect()
    }

    /// Records a schedule under its creator's live grant (made now when there is none;
    /// confirmed otherwise), with its audit record; returns the grant's id.
    pub async fn insert_schedule(
        &self,
        s: &DrillSchedule,
        next_at: i64,
        ends_at: Option<i64>,
        created_by_name: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut find = Sql::new(self.engine(), "SELECT id FROM schedule_grants WHERE subject = ");
        find.arg(s.created_by.as_str())
            .push(" AND role = ")
            .arg(SCHEDULE_ROLE)
            .push(" AND revoked_at IS NULL ORDER BY granted_at DESC LIMIT 1");
        let live = find.query().fetch_optional(&mut *tx).await?.map(|r| col::<String>(&r, "id")).transpose()?;
        let grant = match live {
            Some(id) => {
                let mut sql = Sql::new(self.engine(), "UPDATE schedule_grants SET confirmed_at = ");
                sql.arg(now).push(" WHERE id = ").arg(id.as_str());
                sql.query().execute(&mut *tx).await?;
                id
            }
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                let mut sql = Sql::new(
                    self.engine(),
                    "INSERT INTO schedule_grants (id, subject, role, granted_at, confirmed_at) VALUES (",
                );
                sql.arg(id.as_str())
                    .push(", ")
                    .arg(s.created_by.as_str())
                    .push(", ")
                    .arg(SCHEDULE_ROLE)
                    .push(", ")
                    .arg(now)
                    .push(", ")
                    .arg(now)
                    .push(")");
                sql.query().execute(&mut *tx).await?;
                let details = json!({"subject": s.created_by, "role": SCHEDULE_ROLE});
                self.audit(
                    &mut tx,
                    now,
                    &s.created_by,
                    "schedule_grant.granted",
                    &format!("schedule_grant:{id}"),
                    details,
                )
                .await?;
                id
            }
        };
        let mut sql = Sql::new(
            self.engine(),
            "INSERT INTO drill_schedules (id, scenario, resource_arn, every_hours, next_at, retention_minutes,
             created_by, created_by_name, created_at, enabled, grant_id, ends_at) VALUES (",
        );
        sql.arg(s.id.as_str())
            .push(", ")
            .arg(s.scenario.as_str())
            .push(", ")
            .arg(s.resource_arn.as_str())
            .push(", ")
            .arg(s.every_hours)
            .push(", ")
            .arg(next_at)
            .push(", ")
            .arg(s.retention_minutes)
            .push(", ")
            .arg(s.created_by.as_str())
            .push(", ")
            .arg(created_by_name)
            .push(", ")
            .arg(now)
            .push(", 1, ")
            .arg(grant.as_str())
            .push(", ")
            .arg(ends_at)
            .push(")");
        sql.query().execute(&mut *tx).await?;
        let details = json!({"scenario": s.scenario, "resource_arn": s.resource_arn, "every_hours": s.every_hours,
            "first_at": rfc3339(next_at), "ends_at": ends_at.map(rfc3339), "grant_id": grant});
        self.audit(&mut tx, now, &s.created_by, "drill_schedule.created", &format!("drill_schedule:{}", s.id), details)
            .await?;
        tx.commit().await?;
        Ok(grant)
    }

    /// One schedule.
    pub async fn schedule(&self, id: &str) -> Result<Option<DrillSchedule>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM drill_schedules WHERE id = ");
        sql.arg(id);
        sql.query().fetch_optional(self.pool()).await?.as_ref().map(read_schedule).transpose()
    }

    /// One grant.
    pub async fn schedule_grant(&self, id: &str) -> Result<Option<ScheduleGrant>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM schedule_grants WHERE id = ");
        sql.arg(id);
        sql.query().fetch_optional(self.pool()).await?.as_ref().map(read_grant).transpose()
    }

    /// Every grant, newest first.
    pub async fn list_schedule_grants(&self) -> Result<Vec<ScheduleGrant>, StoreError> {
        let rows = sqlx::query("SELECT * FROM schedule_grants ORDER BY granted_at DESC, id LIMIT 1000")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(read_grant).collect()
    }

    /// Revokes a live grant, with its audit record naming the schedules it stops;
    /// `false` when there is no live grant `id`.
    pub async fn revoke_schedule_grant(&self, id: &str, actor: &str, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::new(self.engine(), "UPDATE schedule_grants SET revoked_at = ");
        sql.arg(now).push(", revoked_by = ").arg(actor).push(" WHERE revoked_at IS NULL AND id = ").arg(id);
        if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        let mut stopped = Sql::new(self.engine(), "SELECT id FROM drill_schedules WHERE enabled = 1 AND grant_id = ");
        stopped.arg(id).push(" ORDER BY id");
        let schedules = stopped
            .query()
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| col::<String>(r, "id"))
            .collect::<Result<Vec<_>, _>>()?;
        let details = json!({"schedules": schedules});
        self.audit(&mut tx, now, actor, "schedule_grant.revoked", &format!("schedule_grant:{id}"), details).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Where `subject` was last seen with their roles (see [`LastSeen`]), by the audit
    /// log's order.
    pub async fn last_seen(&self, subject: &str) -> Result<Option<LastSeen>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT at, action, details FROM audit_log WHERE actor = ");
        sql.arg(subject).push(" AND action IN ('auth.signed_in', 'drill_schedule.created') ORDER BY seq DESC LIMIT 1");
        let Some(r) = sql.query().fetch_optional(self.pool()).await? else { return Ok(None) };
        let action: String = col(&r, "action")?;
        let roles = if action == "auth.signed_in" {
            let details: serde_json::Value = serde_json::from_str(&col::<String>(&r, "details")?).unwrap_or_default();
            details["roles"].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        } else {
            Some(vec![SCHEDULE_ROLE.to_string()])
        };
        Ok(Some(LastSeen { at: col(&r, "at")?, action, roles: roles.unwrap_or_default() }))
    }

    pub async fn list_schedules(&self) -> Result<Vec<DrillSchedule>, StoreError> {
        let rows = sqlx::query("SELECT * FROM drill_schedules ORDER BY created_at DESC LIMIT 1000")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(read_schedule).collect()
    }

    /// Enabled schedules due at `now`: (schedule, next_at, the creator's display name).
    pub async fn due_schedules(&self, now: i64) -> Result<Vec<(DrillSchedule, i64, String)>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM drill_schedules WHERE enabled = 1 AND next_at <= ");
        sql.arg(now).push(" AND (ends_at IS NULL OR next_at <= ends_at) ORDER BY next_at LIMIT 100");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((read_schedule(r)?, col(r, "next_at")?, col(r, "created_by_name")?))).collect()
    }

    /// Claims a due run of a schedule by moving its next run from `was` to `next`
    /// (compare-and-set: of two console processes one wins).
    pub async fn claim_schedule(&self, id: &str, was: i64, next: i64) -> Result<bool, StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE drill_schedules SET next_at = ");
        sql.arg(next).push(" WHERE id = ").arg(id).push(" AND next_at = ").arg(was).push(" AND enabled = 1");
        Ok(sql.query().execute(self.writer()).await?.rows_affected() == 1)
    }

    /// Turns a schedule off, with its audit record; `false` when there is none enabled.
    pub async fn disable_schedule(&self, id: &str, actor: &str, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::new(self.engine(), "UPDATE drill_schedules SET enabled = 0 WHERE enabled = 1 AND id = ");
        sql.arg(id);
        if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        self.audit(&mut tx, now, actor, "drill_schedule.disabled", &format!("drill_schedule:{id}"), json!({})).await?;
        tx.commit().await?;
        Ok(true)
    }
}
