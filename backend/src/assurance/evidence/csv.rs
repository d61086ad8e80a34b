//! The pack's CSV files, one serde row type each (written by [`crate::csv_export`]).

use std::collections::HashSet;

use serde::Serialize;
use shared::RestoreJob;

use super::gather::{RestoreTimes, Rpo};
use crate::csv_export::to_csv;
use crate::time::rfc3339;

/// A row of `restore-tests.csv`.
#[derive(Serialize, Default)]
struct RestoreTestRow<'a> {
    job_id: &'a str,
    account_id: &'a str,
    region: &'a str,
    resource_type: &'a str,
    resource_arn: Option<&'a str>,
    plan_arn: Option<&'a str>,
    created_at: &'a str,
    completed_at: Option<&'a str>,
    status: &'a str,
    outcome: Option<shared::TestOutcome>,
    validation_status: Option<&'a str>,
    validation_message: Option<&'a str>,
    validated_by: Option<&'a str>,
    minutes: Option<i64>,
}

/// `restore-tests.csv`, a page of jobs at a time (the header with the first).
/// `by_console`: the tests (`account_id/job_id`) whose result Recovery Console's validator reported.
pub fn restore_tests<'a>(
    jobs: impl IntoIterator<Item = &'a RestoreJob>,
    by_console: &HashSet<String>,
    header: bool,
) -> csv::Result<Vec<u8>> {
    to_csv(
        jobs.into_iter().map(|j| RestoreTestRow {
            job_id: &j.job_id,
            account_id: &j.account_id,
            region: &j.region,
            resource_type: &j.resource_type,
            resource_arn: j.resource_arn.as_deref(),
            plan_arn: j.plan_arn.as_deref(),
            created_at: &j.created_at,
            completed_at: j.completed_at.as_deref(),
            status: &j.status,
            outcome: shared::TestOutcome::of(&j.status, j.validation_status.as_deref()),
            validation_status: j.validation_status.as_deref(),
            validated_by: validated_by(j, by_console),
            validation_message: j.validation_message.as_deref(),
            minutes: j.duration_minutes,
        }),
        header,
    )
}

/// Who judged a test: nobody without a validation result or after a time-out (none
/// within the window); Recovery
/// Console's validator when it reported the result; otherwise another caller of
/// PutRestoreValidationResult (a team's own validator).
fn validated_by(j: &RestoreJob, by_console: &HashSet<String>) -> Option<&'static str> {
    match j.validation_status.as_deref()? {
        "SUCCESSFUL" | "FAILED" if by_console.contains(&format!("{}/{}", j.account_id, j.job_id)) => {
            Some("Recovery Console validator")
        }
        "SUCCESSFUL" | "FAILED" => Some("another validator (PutRestoreValidationResult)"),
        _ => None,
    }
}

/// A row of `restore-times.csv`.
#[derive(Serialize, Default)]
struct RestoreTimesRow<'a> {
    resource_arn: &'a str,
    resource_type: &'a str,
    restores: usize,
    p50_minutes: i64,
    p95_minutes: i64,
    max_minutes: i64,
    rto_target_minutes: i64,
    within_target: bool,
}

/// `restore-times.csv`.
pub fn restore_times(rows: &[RestoreTimes]) -> csv::Result<Vec<u8>> {
    to_csv(
        rows.iter().map(|r| RestoreTimesRow {
            resource_arn: &r.resource_arn,
            resource_type: &r.resource_type,
            restores: r.restores,
            p50_minutes: r.p50_minutes,
            p95_minutes: r.p95_minutes,
            max_minutes: r.max_minutes,
            rto_target_minutes: r.target_minutes,
            within_target: r.within_target(),
        }),
        true,
    )
}

/// A row of `rpo.csv`.
#[derive(Serialize, Default)]
struct RpoRow<'a> {
    resource_arn: &'a str,
    account_id: &'a str,
    resource_type: &'a str,
    rpo_target_hours: i64,
    newest_backup_before_end: Option<String>,
    backup_age_minutes: Option<i64>,
    within_target: bool,
    newest_central_copy_before_end: Option<String>,
    copy_age_minutes: Option<i64>,
    copy_within_target: bool,
}

/// `rpo.csv`.
pub fn rpo(rows: &[Rpo]) -> csv::Result<Vec<u8>> {
    to_csv(
        rows.iter().map(|r| RpoRow {
            resource_arn: &r.resource.resource_arn,
            account_id: &r.resource.account_id,
            resource_type: &r.resource.resource_type,
            rpo_target_hours: r.target_hours,
            newest_backup_before_end: r.backup_at.map(rfc3339),
            backup_age_minutes: r.age_minutes(r.backup_at),
            within_target: r.within(r.backup_at),
            newest_central_copy_before_end: r.copy_at.map(rfc3339),
            copy_age_minutes: r.age_minutes(r.copy_at),
            copy_within_target: r.within(r.copy_at),
        }),
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns are the field names of the row types: renaming a field renames a column.
    #[test]
    fn the_columns_are_the_ones_auditors_have() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(
            String::from_utf8(restore_tests([], &HashSet::new(), true)?)?,
            "job_id,account_id,region,resource_type,resource_arn,plan_arn,created_at,completed_at,status,outcome,validation_status,validation_message,validated_by,minutes\n"
        );
        assert_eq!(
            String::from_utf8(restore_times(&[])?)?,
            "resource_arn,resource_type,restores,p50_minutes,p95_minutes,max_minutes,rto_target_minutes,within_target\n"
        );
        assert_eq!(
            String::from_utf8(rpo(&[])?)?,
            "resource_arn,account_id,resource_type,rpo_target_hours,newest_backup_before_end,backup_age_minutes,within_target,newest_central_copy_before_end,copy_age_minutes,copy_within_target\n"
        );
        Ok(())
    }
}
