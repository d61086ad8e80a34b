//! The operations that start work: restores, copies, and validation results.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::Request;
use crate::engine::{StartRestore, HOUR};
use crate::protocol::{epoch, AwsError, Millis};
use crate::world::*;
use crate::Caller;

fn body<T: for<'de> Deserialize<'de>>(req: &Request) -> Result<T, AwsError> {
    serde_json::from_slice(&req.body)
        .map_err(|e| AwsError::invalid_parameter(format!("The request body is not valid for {}: {e}", req.op)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartRestoreJobInput {
    recovery_point_arn: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    iam_role_arn: Option<String>,
    idempotency_token: Option<String>,
    resource_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LifecycleInput {
    delete_after_days: Option<u32>,
    move_to_cold_storage_after_days: Option<u16>,
}

impl LifecycleInput {
    /// Backup model, `Lifecycle.DeleteAfterDays`: "This value must be at least 90 days
    /// after the number of days specified in MoveToColdStorageAfterDays".
    fn checked(self) -> Result<Lifecycle, AwsError> {
        if let (Some(delete), Some(cold)) = (self.delete_after_days, self.move_to_cold_storage_after_days) {
            if delete < u32::from(cold) + 90 {
                return Err(AwsError::invalid_parameter(format!(
                    "Lifecycle DeleteAfterDays ({delete}) must be at least 90 days after MoveToColdStorageAfterDays ({cold})"
                )));
            }
        }
        Ok(Lifecycle {
            delete_after_days: self.delete_after_days,
            cold_after_days: self.move_to_cold_storage_after_days,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartCopyJobInput {
    recovery_point_arn: Option<String>,
    source_backup_vault_name: Option<String>,
    destination_backup_vault_arn: Option<String>,
    iam_role_arn: Option<String>,
    idempotency_token: Option<String>,
    lifecycle: Option<LifecycleInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutValidationInput {
    validation_status: Option<String>,
    validation_status_message: Option<String>,
}

/// The job an idempotency token already started within the last hour, if any.
fn remembered(
    world: &World,
    caller: &Caller,
    op: &'static str,
    token: Option<&str>,
    now: Millis,
) -> Option<(String, Millis)> {
    let key = (caller.account, caller.region.clone(), op, token?.to_string());
    world.idempotency.get(&key).filter(|(_, at)| now - at < HOUR).cloned()
}

fn remember(world: &mut World, caller: &Caller, op: &'static str, token: Option<String>, job: &str, now: Millis) {
    if let Some(token) = token {
        world.idempotency.insert((caller.account, caller.region.clone(), op, token), (job.to_string(), now));
    }
}

pub fn start_restore_job(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let input: StartRestoreJobInput = body(req)?;
    let rp = input.recovery_point_arn.ok_or_else(|| AwsError::missing_parameter("RecoveryPointArn"))?;
    let metadata = input.metadata.ok_or_else(|| AwsError::missing_parameter("Metadata"))?;
    if let Some((id, _)) = remembered(world, caller, "StartRestoreJob", input.idempotency_token.as_deref(), now) {
        return Ok(json!({ "RestoreJobId": id }));
    }
    let id = world.start_restore(
        now,
        caller.account,
        &caller.region,
        StartRestore {
            recovery_point_arn: rp,
            metadata,
            iam_role_arn: input.iam_role_arn,
            resource_type: input.resource_type,
        },
    )?;
    remember(world, caller, "StartRestoreJob", input.idempotency_token, &id, now);
    Ok(json!({ "RestoreJobId": id }))
}

pub fn start_copy_job(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let input: StartCopyJobInput = body(req)?;
    let rp_arn = input.recovery_point_arn.ok_or_else(|| AwsError::missing_parameter("RecoveryPointArn"))?;
    let vault_name =
        input.source_backup_vault_name.ok_or_else(|| AwsError::missing_parameter("SourceBackupVaultName"))?;
    let destination =
        input.destination_backup_vault_arn.ok_or_else(|| AwsError::missing_parameter("DestinationBackupVaultArn"))?;
    let role = input.iam_role_arn.ok_or_else(|| AwsError::missing_parameter("IamRoleArn"))?;
    let lifecycle = input.lifecycle.map(LifecycleInput::checked).transpose()?.unwrap_or_default();
    if let Some((id, created)) = remembered(world, caller, "StartCopyJob", input.idempotency_token.as_deref(), now) {
        return Ok(json!({ "CopyJobId": id, "CreationDate": epoch(created), "IsParent": false }));
    }
    if !role.starts_with(&format!("arn:aws:iam::{}:role/", caller.account_id)) {
        return Err(AwsError::invalid_parameter(format!(
            "IamRoleArn must be a role of account {}: {role}",
            caller.account_id
        )));
    }
    let region = world.region(caller.account, &caller.region);
    let vault = region.and_then(|r| r.vault_by_name(&vault_name)).ok_or_else(|| {
        AwsError::not_found(format!("Backup vault {vault_name} does not exist in account {}", caller.account_id))
    })?;
    let (rp_account, _, rp_id) = parse_recovery_point_arn(&rp_arn, &caller.account_id).ok_or_else(|| {
        AwsError::invalid_parameter(format!("RecoveryPointArn is not a recovery point ARN: {rp_arn}"))
    })?;
    if rp_account != caller.account_id {
        return Err(AwsError::invalid_request(format!(
            "Recovery point {rp_arn} belongs to account {rp_account}; a copy starts in the account that holds it"
        )));
    }
    let rp = region
        .and_then(|r| {
            r.vaults[vault]
                .recovery_points
                .iter()
                .position(|p| p.id == rp_id && p.status != RecoveryPointStatus::Deleted)
        })
        .ok_or_else(|| {
            AwsError::not_found(format!("Recovery point {rp_arn} not found in backup vault {vault_name}"))
        })?;
    if region.is_some_and(|r| r.is_parent_point(vault, rp)) {
        return Err(AwsError::invalid_parameter(format!(
            "Recovery point {rp_arn} is a composite (CloudFormation stack) recovery point: the sandbox copies only its child recovery points"
        )));
    }
    let id = world.start_copy(now, caller.account, &caller.region, vault, rp, &destination, role, lifecycle, None)?;
    remember(world, caller, "StartCopyJob", input.idempotency_token, &id, now);
    Ok(json!({ "CopyJobId": id, "CreationDate": epoch(now), "IsParent": false }))
}

pub fn put_restore_validation_result(
    world: &mut World,
    now: Millis,
    caller: &Caller,
    req: &Request,
) -> Result<Value, AwsError> {
    let input: PutValidationInput = body(req)?;
    let status = input.validation_status.ok_or_else(|| AwsError::missing_parameter("ValidationStatus"))?;
    world.put_validation(
        now,
        caller.account,
        &caller.region,
        &req.labels[0],
        &status,
        input.validation_status_message,
    )?;
    Ok(json!({}))
}

/// UpdateGlobalSettings (PUT /global-settings): the management account turns
/// organization-wide settings on or off; the sandbox keeps `isCrossAccountBackupEnabled`.
/// The model: "GlobalSettings: a value for isCrossAccountBackupEnabled and a Region";
/// only the management account may call it (InvalidRequestException otherwise).
pub fn update_global_settings(world: &mut World, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    if !caller.is_hub {
        return Err(AwsError::invalid_request(format!(
            "Account {} is not the management account of the organization",
            caller.account_id
        )));
    }
    let input: Value = body(req)?;
    if let Some(v) = input["GlobalSettings"]["isCrossAccountBackupEnabled"].as_str() {
        world.cross_account_backup = match v {
            "true" => true,
            "false" => false,
            other => {
                return Err(AwsError::invalid_parameter(format!(
                    "isCrossAccountBackupEnabled must be true or false, not {other:?}"
                )))
            }
        };
    }
    Ok(json!({}))
}

/// Backup model, `DeleteRecoveryPoint`: "Deletes the recovery point specified by a
/// recovery point ID" (200, empty body). Refused: a point still being made
/// (`InvalidResourceStateException`: "Backup is already performing an action on this
/// recovery point"), a composite one (the sandbox deletes members one by one), a
/// continuous backup (deleting it "stops future continuous backup", which the sandbox
/// does not model), and a vault whose access policy denies `backup:DeleteRecoveryPoint`
/// (an explicit deny wins, IAM policy evaluation).
pub fn delete_recovery_point(world: &mut World, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let (vault_name, rp_arn) = (&req.labels[0], &req.labels[1]);
    let (_, _, rp_id) = parse_recovery_point_arn(rp_arn, &caller.account_id).ok_or_else(|| {
        AwsError::invalid_parameter(format!("RecoveryPointArn is not a recovery point ARN: {rp_arn}"))
    })?;
    let not_found = || AwsError::not_found(format!("Recovery point {rp_arn} not found in backup vault {vault_name}"));
    let region = world.region(caller.account, &caller.region).ok_or_else(not_found)?;
    let vault = region.vault_by_name(vault_name).ok_or_else(|| {
        AwsError::not_found(format!("Backup vault {vault_name} does not exist in account {}", caller.account_id))
    })?;
    let v = &region.vaults[vault];
    let index = v
        .recovery_points
        .iter()
        .position(|p| p.id == rp_id && p.status != RecoveryPointStatus::Deleted)
        .ok_or_else(not_found)?;
    if v.policy.as_deref().is_some_and(denies_deleting) {
        return Err(AwsError::access_denied(
            "AccessDeniedException",
            format!("The access policy of backup vault {vault_name} denies backup:DeleteRecoveryPoint"),
        ));
    }
    let rp = &v.recovery_points[index];
    if rp.status == RecoveryPointStatus::Creating {
        return Err(AwsError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "InvalidResourceStateException",
            format!("Backup is already performing an action on this recovery point: {rp_arn}"),
        ));
    }
    if rp.form == PointForm::Continuous || region.is_parent_point(vault, index) {
        return Err(AwsError::invalid_request(format!(
            "The sandbox deletes neither continuous nor composite recovery points: {rp_arn}"
        )));
    }
    world.region_mut(caller.account, &caller.region).vaults[vault].recovery_points[index].status =
        RecoveryPointStatus::Deleted;
    Ok(json!({}))
}

/// Whether a vault access policy has a statement that denies deleting recovery points.
fn denies_deleting(policy: &str) -> bool {
    let Ok(policy) = serde_json::from_str::<Value>(policy) else { return false };
    let statements = match &policy["Statement"] {
        Value::Array(list) => list.clone(),
        one => vec![one.clone()],
    };
    statements.iter().any(|s| {
        let actions = match &s["Action"] {
            Value::Array(list) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Value::String(one) => vec![one.clone()],
            _ => Vec::new(),
        };
        s["Effect"] == "Deny"
            && actions.iter().any(|a| a == "backup:DeleteRecoveryPoint" || a == "backup:*" || a == "*")
    })
}
