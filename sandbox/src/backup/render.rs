//! The JSON shapes of the Backup model, from the sandbox's records.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::engine::DAY;
use crate::protocol::{epoch, Millis};
use crate::world::*;

fn state_name(state: JobState, pending: &'static str) -> &'static str {
    match state {
        JobState::Pending => pending,
        JobState::Running => "RUNNING",
        JobState::Completed => "COMPLETED",
        JobState::Failed => "FAILED",
        JobState::Aborted => "ABORTED",
    }
}

/// A job's state and percentage at `now`, from its start time and duration.
fn progress(created: Millis, duration: Millis, final_state: Option<JobState>, now: Millis) -> (JobState, f64) {
    if let Some(s) = final_state {
        return (s, 100.0);
    }
    let elapsed = (now - created).max(0);
    if elapsed < (duration / 10).min(60_000) {
        (JobState::Pending, 0.0)
    } else {
        (JobState::Running, (elapsed as f64 / duration.max(1) as f64 * 100.0).min(99.0))
    }
}

fn percent(p: f64) -> String {
    format!("{p:.2}%")
}

fn encryption_key(vault: &Vault, rp: &RecoveryPoint) -> String {
    // RDS, Aurora, EBS and EC2 snapshots keep the key of their source; copies and the
    // other types are encrypted with the vault's key.
    match &rp.source_vault {
        None if rp.resource.kind.keeps_source_key() => rp.resource.kms_key.clone(),
        _ => vault.key_arn.clone(),
    }
}

fn created_by(region: &RegionState, rp_plan: Option<u16>, account: &str, region_name: &str) -> Value {
    match rp_plan.and_then(|p| region.backup_plans.get(p as usize)) {
        Some(p) => json!({
            "BackupPlanId": p.id,
            "BackupPlanArn": format!("arn:aws:backup:{region_name}:{account}:backup-plan:{}", p.id),
            "BackupPlanName": p.name,
            "BackupPlanVersion": "1",
            "BackupRuleId": format!("{}-{}", p.id, p.rule),
            "BackupRuleName": p.rule,
        }),
        None => json!({}),
    }
}

pub fn vault(v: &Vault) -> Value {
    json!({
        "BackupVaultName": v.name,
        "BackupVaultArn": &*v.arn,
        "VaultType": "BACKUP_VAULT",
        "VaultState": "AVAILABLE",
        "CreationDate": epoch(v.created),
        "EncryptionKeyArn": v.key_arn,
        "EncryptionKeyType": "CUSTOMER_MANAGED_KMS_KEY",
        "NumberOfRecoveryPoints": v.recovery_points.iter().filter(|rp| rp.status == RecoveryPointStatus::Completed).count(),
        "Locked": false,
    })
}

/// `Lifecycle` and `CalculatedLifecycle`. A continuous backup keeps a window of its
/// last DeleteAfterDays days: the recovery point itself is not deleted at a date. Types
/// that cannot move to cold storage keep `MoveToColdStorageAfterDays` in their
/// Lifecycle but get no `MoveToColdStorageAt` ("Backup ignores this expression").
fn lifecycle(rp: &RecoveryPoint) -> (Value, Value) {
    if rp.delete_after_days.is_none() && rp.cold_after_days.is_none() {
        return (Value::Null, Value::Null);
    }
    let lifecycle =
        json!({ "DeleteAfterDays": rp.delete_after_days, "MoveToColdStorageAfterDays": rp.cold_after_days });
    if rp.form == PointForm::Continuous {
        return (lifecycle, Value::Null);
    }
    let delete_at = rp.delete_after_days.map(|days| epoch(rp.created + i64::from(days) * DAY));
    (lifecycle, json!({ "DeleteAt": delete_at, "MoveToColdStorageAt": rp.cold_at().map(epoch) }))
}

pub fn recovery_point(
    account: &str,
    region_name: &str,
    region: &RegionState,
    v: &Vault,
    rp: &RecoveryPoint,
    describe: bool,
    now: Millis,
) -> Value {
    let (lifecycle, calculated) = lifecycle(rp);
    let mut out = json!({
        "RecoveryPointArn": recovery_point_arn(account, region_name, rp),
        "BackupVaultName": v.name,
        "BackupVaultArn": &*v.arn,
        "SourceBackupVaultArn": rp.source_vault.as_deref(),
        "ResourceArn": rp.resource.arn,
        "ResourceType": rp.resource.kind.as_str(),
        "ResourceName": rp.resource.name,
        "CreatedBy": created_by(region, rp.backup_plan, account, region_name),
        "IamRoleArn": format!("arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole"),
        "Status": recovery_point_status(rp, now),
        "CreationDate": epoch(rp.created),
        "InitiationDate": epoch(rp.created),
        "CompletionDate": epoch(rp.completed),
        "BackupSizeInBytes": rp.resource.size,
        "Lifecycle": lifecycle,
        "CalculatedLifecycle": calculated,
        "EncryptionKeyArn": encryption_key(v, rp),
        "EncryptionKeyType": "CUSTOMER_MANAGED_KMS_KEY",
        "IsEncrypted": true,
        "LastRestoreTime": rp.last_restore.map(epoch),
        "IsParent": false,
        "VaultType": "BACKUP_VAULT",
    });
    if describe {
        out["StorageClass"] = json!(rp.storage_class_at(now));
    }
    out
}

/// A point's composite members (Backup model, RecoveryPointByBackupVault,
/// RecoveryPointByResource, DescribeRecoveryPointOutput): `IsParent` on a stack's
/// composite point (whose resource is the stack: `ResourceType` CloudFormation, as its
/// backup job names it), `ParentRecoveryPointArn` and `CompositeMemberIdentifier` (the
/// member's logical id in the stack) on its children. `ByResource` carries no member id.
pub fn composite(out: &mut Value, account: &str, region_name: &str, v: &Vault, link: Option<&PointLink>) {
    match link {
        Some(PointLink::Parent(_)) => {
            out["IsParent"] = json!(true);
            if out.get("ResourceType").is_some() {
                out["ResourceType"] = json!("CloudFormation");
            }
        }
        Some(PointLink::Child { parent, member }) => {
            let parent = v.recovery_points.get(*parent).map(|p| recovery_point_arn(account, region_name, p));
            out["ParentRecoveryPointArn"] = json!(parent);
            if out.get("ResourceType").is_some() {
                out["CompositeMemberIdentifier"] = json!(&**member);
            }
        }
        None => {}
    }
}

/// A recovery point's `Status`. The service model (`DescribeRecoveryPoint.Status`)
/// documents `AVAILABLE` as the success state ("the backup was successfully created ...
/// ready for use") and also lists `COMPLETED`, without saying which resource types report
/// which; the sandbox reports RDS and Aurora recovery points `AVAILABLE` and the others
/// `COMPLETED`, so that clients meet both.
pub fn recovery_point_status(rp: &RecoveryPoint, now: Millis) -> &'static str {
    match rp.status_at(now) {
        RecoveryPointStatus::Completed if matches!(rp.resource.kind, ResourceType::Rds | ResourceType::Aurora) => {
            "AVAILABLE"
        }
        RecoveryPointStatus::Completed => "COMPLETED",
        RecoveryPointStatus::Creating => "CREATING",
        RecoveryPointStatus::Partial => "PARTIAL",
        RecoveryPointStatus::Expired => "EXPIRED",
        RecoveryPointStatus::Deleted => "DELETING",
    }
}

pub fn recovery_point_by_resource(
    account: &str,
    region_name: &str,
    v: &Vault,
    rp: &RecoveryPoint,
    now: Millis,
) -> Value {
    json!({
        "RecoveryPointArn": recovery_point_arn(account, region_name, rp),
        "CreationDate": epoch(rp.created),
        "Status": recovery_point_status(rp, now),
        "EncryptionKeyArn": encryption_key(v, rp),
        "EncryptionKeyType": "CUSTOMER_MANAGED_KMS_KEY",
        "BackupSizeBytes": rp.resource.size,
        "BackupVaultName": v.name,
        "IsParent": false,
        "ResourceName": rp.resource.name,
        "VaultType": "BACKUP_VAULT",
    })
}

pub fn protected_resource(
    account: &str,
    region_name: &str,
    region: &RegionState,
    r: &Resource,
    describe: bool,
) -> Value {
    let last = r.last_backup.as_ref();
    let mut out = json!({
        "ResourceArn": r.info.arn,
        "ResourceType": r.info.kind.as_str(),
        "ResourceName": r.info.name,
        "LastBackupTime": last.map(|l| epoch(l.time)),
        "LastBackupVaultArn": last.and_then(|l| region.vaults.get(l.vault)).map(|v| v.arn.to_string()),
        "LastRecoveryPointArn": last.and_then(|l| {
            let rp = region.vaults.get(l.vault)?.recovery_points.get(l.recovery_point)?;
            Some(recovery_point_arn(account, region_name, rp))
        }),
    });
    if describe {
        if let Some(restore) = &r.latest_restore {
            out["LatestRestoreExecutionTimeMinutes"] = json!(restore.minutes);
            out["LatestRestoreJobCreationDate"] = epoch(restore.job_created);
            out["LatestRestoreRecoveryPointCreationDate"] = epoch(restore.recovery_point_created);
        }
    }
    out
}

/// The child jobs of a composite job (none for other jobs).
pub fn child_jobs<'r>(region: &'r RegionState, j: &BackupJob) -> &'r [BackupJob] {
    j.composite.as_ref().and_then(|c| region.backup_jobs.get(c.children.clone())).unwrap_or_default()
}

/// The state a composite job ends in, from its children's: `COMPLETED` when all
/// completed, `FAILED` when none did, `PARTIAL` otherwise (the state the Backup model
/// lists for backup jobs, which the developer guide gives a composite job some of whose
/// nested backups failed).
fn composite_state(children: &[BackupJob]) -> &'static str {
    let completed = children.iter().filter(|c| c.outcome == Outcome::Succeed).count();
    match completed {
        n if n == children.len() => "COMPLETED",
        0 => "FAILED",
        _ => "PARTIAL",
    }
}

pub fn backup_job(account: &str, region_name: &str, region: &RegionState, j: &BackupJob, now: Millis) -> Value {
    let v = region.vaults.get(j.vault);
    let final_state = j.finished.then_some(match j.outcome {
        Outcome::Succeed => JobState::Completed,
        Outcome::Fail(_) => JobState::Failed,
    });
    let (state, pct) = progress(j.created, j.duration, final_state, now);
    let rp = j.recovery_point.and_then(|i| v?.recovery_points.get(i));
    if let Some(c) = &j.composite {
        let children = child_jobs(region, j);
        let state = if j.finished { composite_state(children) } else { state_name(state, "CREATED") };
        return json!({
            "AccountId": account,
            "BackupJobId": job_id(j.id),
            "BackupVaultName": v.map(|v| v.name.clone()),
            "BackupVaultArn": v.map(|v| v.arn.to_string()),
            "RecoveryPointArn": rp.map(|rp| recovery_point_arn(account, region_name, rp)),
            "ResourceArn": c.stack.arn,
            "ResourceName": c.stack.name,
            "ResourceType": "CloudFormation",
            "CreationDate": epoch(j.created),
            "InitiationDate": epoch(j.created),
            "CompletionDate": j.finished.then(|| epoch(j.created + j.duration)),
            "State": state,
            "MessageCategory": if state == "FAILED" { "FAILED" } else { "SUCCESS" },
            "PercentDone": percent(pct),
            "BackupSizeInBytes": children.iter().map(|c| c.resource.size).sum::<u64>(),
            "IamRoleArn": format!("arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole"),
            "CreatedBy": created_by(region, Some(j.plan), account, region_name),
            "BackupType": "",
            "IsParent": true,
        });
    }
    let parent = j.parent.and_then(|p| region.backup_jobs.get(p)).map(|p| job_id(p.id));
    json!({
        "AccountId": account,
        "BackupJobId": job_id(j.id),
        "BackupVaultName": v.map(|v| v.name.clone()),
        "BackupVaultArn": v.map(|v| v.arn.to_string()),
        "VaultType": "BACKUP_VAULT",
        "RecoveryPointArn": rp.map(|rp| recovery_point_arn(account, region_name, rp)),
        "EncryptionKeyArn": v.zip(rp).map(|(v, rp)| encryption_key(v, rp)),
        "IsEncrypted": true,
        "ResourceArn": j.resource.arn,
        "ResourceName": j.resource.name,
        "ResourceType": j.resource.kind.as_str(),
        "CreationDate": epoch(j.created),
        "InitiationDate": epoch(j.created),
        "CompletionDate": j.finished.then(|| epoch(j.created + j.duration)),
        "ExpectedCompletionDate": epoch(j.created + j.duration),
        "StartBy": epoch(j.created + 8 * 3_600_000),
        "State": state_name(state, "CREATED"),
        "StatusMessage": match &j.outcome { Outcome::Fail(m) if j.finished => Some(m.clone()), _ => None },
        "MessageCategory": if state == JobState::Failed { "FAILED" } else { "SUCCESS" },
        "PercentDone": percent(pct),
        "BackupSizeInBytes": j.resource.size,
        "BytesTransferred": if state == JobState::Completed { j.resource.size } else { (j.resource.size as f64 * pct / 100.0) as u64 },
        "IamRoleArn": format!("arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole"),
        "CreatedBy": created_by(region, Some(j.plan), account, region_name),
        "BackupType": "",
        "IsParent": false,
        "ParentJobId": parent,
    })
}

/// A backup job's id as AWS spells it: an upper-case UUID.
pub fn job_id(id: u128) -> String {
    uuid::Uuid::from_u128(id).to_string().to_uppercase()
}

/// `DescribeBackupJob`'s members for a composite job: how many children, and how many
/// in each state (the model's `NumberOfChildJobs` and `ChildJobsInState`).
pub fn child_job_counts(region: &RegionState, j: &BackupJob, now: Millis) -> Option<(usize, BTreeMap<String, u64>)> {
    j.composite.as_ref()?;
    let children = child_jobs(region, j);
    let mut states = BTreeMap::new();
    for c in children {
        let state = backup_job("", "", region, c, now)["State"].as_str().unwrap_or_default().to_string();
        *states.entry(state).or_insert(0) += 1;
    }
    Some((children.len(), states))
}

pub fn copy_job(account: &str, region_name: &str, region: &RegionState, j: &CopyJob, now: Millis) -> Value {
    let final_state = j.run.completed.map(|_| j.run.state);
    let (state, _) = progress(j.run.created, j.run.duration, final_state, now);
    let v = region.vaults.get(j.source_vault);
    let rp = v.and_then(|v| v.recovery_points.get(j.source_recovery_point));
    json!({
        "AccountId": account,
        "CopyJobId": j.id,
        "SourceBackupVaultArn": v.map(|v| v.arn.to_string()),
        "SourceRecoveryPointArn": rp.map(|rp| recovery_point_arn(account, region_name, rp)),
        "DestinationBackupVaultArn": j.destination_vault_arn,
        "DestinationVaultType": "BACKUP_VAULT",
        "DestinationRecoveryPointArn": j.destination_recovery_point_arn,
        "DestinationEncryptionKeyArn": j.destination_key,
        "DestinationRecoveryPointLifecycle": (j.lifecycle != Lifecycle::default()).then(|| json!({
            "DeleteAfterDays": j.lifecycle.delete_after_days,
            "MoveToColdStorageAfterDays": j.lifecycle.cold_after_days,
        })),
        "ResourceArn": j.resource.arn,
        "ResourceName": j.resource.name,
        "ResourceType": j.resource.kind.as_str(),
        "CreationDate": epoch(j.run.created),
        "CompletionDate": j.run.completed.map(epoch),
        "State": state_name(state, "CREATED"),
        "StatusMessage": j.run.status_message,
        "MessageCategory": if state == JobState::Failed { "FAILED" } else { "SUCCESS" },
        "BackupSizeInBytes": j.resource.size,
        "IamRoleArn": j.iam_role_arn,
        "CreatedBy": json!({}),
        "CreatedByBackupJobId": j.backup_job.map(|id| uuid::Uuid::from_u128(id).to_string().to_uppercase()),
        "IsParent": false,
    })
}

pub fn restore_job(account: &str, j: &RestoreJob, now: Millis) -> Value {
    let final_state = j.run.completed.map(|_| j.run.state);
    let (state, pct) = match final_state {
        // A test waiting for restore capacity has not started.
        None if j.test.misses_start_window => (JobState::Pending, 0.0),
        _ => progress(j.run.created, j.run.duration, final_state, now),
    };
    let (validation, validation_message) = match &j.validation {
        None => (None, None),
        Some(Validation::Validating(m)) => (Some("VALIDATING"), m.clone()),
        Some(Validation::Successful(m)) => (Some("SUCCESSFUL"), m.clone()),
        Some(Validation::Failed(m)) => (Some("FAILED"), Some(m.clone())),
        Some(Validation::TimedOut(m)) => (Some("TIMED_OUT"), Some(m.clone())),
    };
    json!({
        "AccountId": account,
        "RestoreJobId": j.id,
        "RecoveryPointArn": j.recovery_point_arn,
        "SourceResourceArn": j.resource.arn,
        "BackupVaultArn": &*j.vault_arn,
        "CreationDate": epoch(j.run.created),
        "CompletionDate": j.run.completed.map(epoch),
        "Status": state_name(state, "PENDING"),
        "StatusMessage": j.run.status_message,
        "PercentDone": percent(pct),
        "BackupSizeInBytes": j.resource.size,
        "IamRoleArn": j.iam_role_arn,
        "ExpectedCompletionTimeMinutes": j.run.duration / 60_000,
        "CreatedResourceArn": if state == JobState::Completed { j.created_resource.as_ref().map(|c| c.arn.clone()) } else { None },
        "ResourceType": j.resource.kind.as_str(),
        "RecoveryPointCreationDate": epoch(j.recovery_point_created),
        // RestoreJobCreator holds only the restore testing plan that started the job; a
        // manual restore has none. The model does not say whether the member is then
        // absent or empty: the sandbox sends it empty, as it does for copy jobs.
        "CreatedBy": match &j.plan_arn {
            Some(arn) => json!({ "RestoreTestingPlanArn": arn }),
            None => json!({}),
        },
        "ValidationStatus": validation,
        "ValidationStatusMessage": validation_message,
        "DeletionStatus": j.deletion.as_ref().map(|d| match d {
            Deletion::Deleting => "DELETING",
            Deletion::Successful => "SUCCESSFUL",
            Deletion::Failed(_) => "FAILED",
        }),
        "DeletionStatusMessage": j.deletion.as_ref().map(|d| match d {
            Deletion::Deleting => "Deleting the restored resource".to_string(),
            Deletion::Successful => "The restored resource was deleted".to_string(),
            Deletion::Failed(why) => why.clone(),
        }),
        "IsParent": false,
    })
}

pub fn plan_for_list(p: &RestoreTestingPlan) -> Value {
    json!({
        "CreationTime": epoch(p.created),
        "LastExecutionTime": p.last_execution.map(epoch),
        "LastUpdateTime": epoch(p.updated),
        "RestoreTestingPlanArn": p.arn,
        "RestoreTestingPlanName": p.name,
        "ScheduleExpression": p.schedule_expression,
        "ScheduleExpressionTimezone": p.schedule_timezone.as_deref().unwrap_or("Etc/UTC"),
        "StartWindowHours": p.start_window_hours,
    })
}

pub fn plan_for_get(p: &RestoreTestingPlan) -> Value {
    let mut out = plan_for_list(p);
    out["RecoveryPointSelection"] = json!({
        "Algorithm": p.selection.algorithm,
        "IncludeVaults": p.selection.include_vaults,
        "ExcludeVaults": p.selection.exclude_vaults,
        "RecoveryPointTypes": p.selection.types,
        "SelectionWindowDays": p.selection.window_days,
    });
    out["CreatorRequestId"] = json!(p.creator_request_id);
    out
}

pub fn selection(plan: &RestoreTestingPlan, s: &RestoreTestingSelection, full: bool) -> Value {
    let mut out = json!({
        "CreationTime": epoch(s.created),
        "IamRoleArn": s.iam_role_arn,
        "ProtectedResourceType": s.resource_type.as_str(),
        "RestoreTestingPlanName": plan.name,
        "RestoreTestingSelectionName": s.name,
        "ValidationWindowHours": s.validation_window_hours,
    });
    if full {
        out["ProtectedResourceArns"] = json!(s.resource_arns);
        let pairs =
            |list: &[(String, String)]| list.iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect::<Vec<_>>();
        if !s.string_equals.is_empty() || !s.string_not_equals.is_empty() {
            out["ProtectedResourceConditions"] = json!({
                "StringEquals": pairs(&s.string_equals),
                "StringNotEquals": pairs(&s.string_not_equals),
            });
        }
        out["RestoreMetadataOverrides"] = json!(s.overrides);
        out["CreatorRequestId"] = json!(s.creator_request_id);
    }
    out
}
