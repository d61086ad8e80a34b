//! Restores and copies that people ask for: the request is checked and its exact
//! parameters hashed; approvers approve that hash; the executor runs it exactly
//! once and tracks it to its end.

mod copy_checks;
mod preflight;
mod submit;
pub mod testing;
mod vault_policy;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use shared::{NewRequest, RecoveryPoint, RequestKind};

use crate::app::AppError;
use crate::config::Config;
use crate::domain::{RoleArn, VaultArn};

/// The restore metadata keys a request may set, per resource type. DynamoDB: the
/// new table's name and encryption. RDS: the new instance's identifier and reviewed
/// overrides of the recovery point's own metadata (network placement, size, port);
/// every other key comes from `GetRecoveryPointRestoreMetadata`.
fn allowed_metadata(resource_type: &str) -> Option<&'static [&'static str]> {
    match resource_type {
        "DynamoDB" => Some(&["targetTableName", "encryptionType", "kmsMasterKeyArn"]),
        "RDS" => Some(&[
            "dbInstanceIdentifier",
            "DBSubnetGroupName",
            "VpcSecurityGroupIds",
            "AvailabilityZone",
            "MultiAZ",
            "DBInstanceClass",
            "Port",
        ]),
        _ => None,
    }
}

fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

fn valid_instance_id(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// The security group ids of `VpcSecurityGroupIds`: a JSON array or a comma-separated list.
fn security_groups(value: &str) -> Option<Vec<String>> {
    let ids: Vec<String> = match serde_json::from_str::<Vec<String>>(value) {
        Ok(list) => list,
        Err(_) => value.split(',').map(|s| s.trim().to_string()).collect(),
    };
    let valid = |id: &String| {
        id.strip_prefix("sg-").is_some_and(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    (!ids.is_empty() && ids.iter().all(valid)).then_some(ids)
}

/// Checks one RDS override (RDS API Reference, RestoreDBInstanceFromDBSnapshot).
fn check_rds_override(key: &str, value: &str) -> Result<(), String> {
    let ok = match key {
        "DBSubnetGroupName" => {
            (1..=255).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b" ._-".contains(&b))
        }
        "VpcSecurityGroupIds" => security_groups(value).is_some(),
        "AvailabilityZone" => {
            !value.is_empty() && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }
        "MultiAZ" => value == "true" || value == "false",
        "DBInstanceClass" => value.starts_with("db.") && value.len() > 3,
        "Port" => value.parse::<u16>().is_ok_and(|p| p >= 1150),
        _ => true,
    };
    if ok {
        return Ok(());
    }
    Err(match key {
        "DBSubnetGroupName" => format!("metadata.DBSubnetGroupName: {value:?} is not a DB subnet group name"),
        "VpcSecurityGroupIds" => {
            format!("metadata.VpcSecurityGroupIds: {value:?} must list security group ids (sg-...), as a JSON array or separated by commas")
        }
        "AvailabilityZone" => {
            format!("metadata.AvailabilityZone: {value:?} is not an Availability Zone like ap-southeast-2a")
        }
        "MultiAZ" => format!("metadata.MultiAZ: {value:?} must be true or false"),
        "DBInstanceClass" => format!("metadata.DBInstanceClass: {value:?} is not an instance class like db.t3.medium"),
        _ => format!("metadata.Port: {value:?} must be a port from 1150 to 65535"),
    })
}

/// The request's metadata with each key spelled as the console lists it (AWS reads
/// restore metadata keys case-insensitively).
fn canonical_keys(resource_type: &str, m: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, AppError> {
    let allowed = allowed_metadata(resource_type).ok_or_else(|| AppError::Unprocessable {
        code: "unsupported_resource_type",
        message: format!("the console restores DynamoDB tables and RDS instances, not {resource_type}"),
    })?;
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let Some(key) = allowed.iter().find(|a| a.eq_ignore_ascii_case(k)) else {
            return Err(AppError::bad(
                "invalid_metadata",
                format!("metadata.{k} is not a {resource_type} restore setting; allowed: {}", allowed.join(", ")),
            ));
        };
        if out.insert(key.to_string(), v.clone()).is_some() {
            return Err(AppError::bad("invalid_metadata", format!("metadata.{key} is given twice")));
        }
    }
    Ok(out)
}

/// Checks the restore metadata for the resource type; returns it with canonical keys.
fn check_metadata(resource_type: &str, m: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, AppError> {
    let bad = |why: String| AppError::bad("invalid_metadata", why);
    let m = canonical_keys(resource_type, m)?;
    match resource_type {
        "DynamoDB" => {
            let name = m
                .get("targetTableName")
                .ok_or_else(|| bad("metadata.targetTableName: the new table's name is required".into()))?;
            if !valid_table_name(name) {
                return Err(bad(format!(
                    "metadata.targetTableName: {name:?} must be 3-255 characters of a-z, A-Z, 0-9, _, - and ."
                )));
            }
            match (m.get("encryptionType").map(String::as_str), m.get("kmsMasterKeyArn")) {
                (None | Some("Default"), None) => {}
                (Some("KMS"), Some(k)) if k.starts_with("arn:aws:kms:") && k.contains(":key/") => {}
                (Some("KMS"), _) => {
                    return Err(bad(
                        "metadata.kmsMasterKeyArn: a KMS key ARN is required with encryptionType KMS".into()
                    ))
                }
                (_, Some(_)) => {
                    return Err(bad("metadata.kmsMasterKeyArn is only allowed with encryptionType KMS".into()))
                }
                (Some(other), None) => {
                    return Err(bad(format!("metadata.encryptionType must be Default or KMS, got {other:?}")))
                }
            }
        }
        _ => {
            let id = m.get("dbInstanceIdentifier").ok_or_else(|| {
                bad("metadata.dbInstanceIdentifier: the new instance's identifier is required".into())
            })?;
            if !valid_instance_id(id) {
                return Err(bad(format!("metadata.dbInstanceIdentifier: {id:?} must start with a letter and hold 1-63 letters, digits or single hyphens")));
            }
            for (k, v) in &m {
                check_rds_override(k, v).map_err(bad)?;
            }
        }
    }
    Ok(m)
}

/// The metadata a restore sends: for RDS, the recovery point's own restore metadata
/// (`GetRecoveryPointRestoreMetadata`, read live; the API reference tells callers to
/// start from it) with the request's reviewed values over it; for DynamoDB, the
/// request's name and encryption alone.
pub fn merged_metadata(
    resource_type: &str,
    base: &BTreeMap<String, String>,
    overrides: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    if resource_type != "RDS" {
        return overrides.clone();
    }
    let mut merged: BTreeMap<String, String> = base
        .iter()
        .filter(|(k, _)| !overrides.keys().any(|o| o.eq_ignore_ascii_case(k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    merged.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged
}

/// Every request says why (10 characters at least) and may name a ticket (200 at most).
fn check_justification(justification: &str, ticket: Option<&str>) -> Result<(), AppError> {
    if justification.trim().len() < 10 {
        return Err(AppError::bad("invalid_justification", "justification: say why, in at least 10 characters"));
    }
    if ticket.is_some_and(|t| t.len() > 200) {
        return Err(AppError::bad("invalid_ticket", "ticket: at most 200 characters"));
    }
    Ok(())
}

/// The canonical parameters of a request (what approvers approve) and their SHA-256.
/// `registered` holds the accounts the console knows: the configured ones and those
/// Organizations discovery found (`Syncer::registered_accounts`).
/// `restore_metadata` is the recovery point's own (`GetRecoveryPointRestoreMetadata`).
pub fn canonical_params(
    input: &NewRequest,
    rp: &RecoveryPoint,
    cfg: &Config,
    registered: &std::collections::BTreeSet<String>,
    restore_metadata: &BTreeMap<String, String>,
) -> Result<(Value, String), AppError> {
    let bad = |code: &'static str, why: String| AppError::bad(code, why);
    if input.kind.is_testing_change() {
        return Err(bad(
            "invalid_parameter",
            format!("kind: a {} is asked for at /api/v1/requests/restore-testing", input.kind.label()),
        ));
    }
    check_justification(&input.justification, input.ticket.as_deref())?;
    if rp.gone_at.is_some() {
        return Err(AppError::Unprocessable {
            code: "recovery_point_gone",
            message: format!("recovery point {} is no longer in its vault", rp.recovery_point_arn),
        });
    }
    let restores = input.kind != RequestKind::Copy;
    let copies = input.kind != RequestKind::Restore;
    let mut metadata = BTreeMap::new();
    if restores {
        let overrides = check_metadata(&rp.resource_type, &input.metadata)?;
        metadata = merged_metadata(&rp.resource_type, restore_metadata, &overrides);
    } else if !input.metadata.is_empty() {
        return Err(bad("invalid_metadata", "metadata: a copy takes no restore metadata".into()));
    }
    if let Some(role) = input.iam_role_arn.as_ref().filter(|r| !RoleArn::is(r)) {
        return Err(bad("invalid_parameter", format!("iam_role_arn: {role:?} is not an IAM role ARN")));
    }
    let (destination, target_account) = if copies {
        let arn = input.destination_vault_arn.as_ref().ok_or_else(|| {
            bad("invalid_parameter", format!("destination_vault_arn is required for a {}", input.kind))
        })?;
        let vault =
            VaultArn::parse(arn).map_err(|e| bad("invalid_parameter", format!("destination_vault_arn: {e}")))?;
        let (region, account) = (String::from(vault.region), String::from(vault.account));
        if region != rp.region {
            return Err(bad(
                "invalid_parameter",
                format!("destination_vault_arn: the vault is in {region}; the recovery point is in {}", rp.region),
            ));
        }
        if input.kind == RequestKind::CrossAccountRestore && account == rp.account_id {
            return Err(bad(
                "invalid_parameter",
                "destination_vault_arn: a cross-account restore needs a vault of another account; use kind restore"
                    .into(),
            ));
        }
        // Copies leave only for accounts the console knows (no copy to an outside account).
        if account != rp.account_id && !registered.contains(&account) {
            return Err(bad(
                "invalid_parameter",
                format!("destination_vault_arn: account {account} is not registered with the console"),
            ));
        }
        (Some(arn.clone()), Some(account))
    } else {
        if input.destination_vault_arn.is_some() || input.lifecycle.is_some() {
            return Err(bad("invalid_parameter", "destination_vault_arn and lifecycle belong to copies".into()));
        }
        (None, None)
    };
    if let Some(l) = &input.lifecycle {
        if l.delete_after_days.is_some_and(|d| !(1..=36_500).contains(&d))
            || l.move_to_cold_storage_after_days.is_some_and(|d| !(1..=36_500).contains(&d))
        {
            return Err(bad("invalid_parameter", "lifecycle: days from 1 to 36500".into()));
        }
        if let (Some(cold), Some(delete)) = (l.move_to_cold_storage_after_days, l.delete_after_days) {
            if delete < cold + 90 {
                return Err(bad(
                    "invalid_parameter",
                    "lifecycle: deletion must be at least 90 days after the move to cold storage".into(),
                ));
            }
        }
    }
    let restore_account = target_account
        .clone()
        .filter(|_| input.kind == RequestKind::CrossAccountRestore)
        .unwrap_or_else(|| rp.account_id.clone());
    let params = json!({
        "kind": input.kind,
        "recovery_point_arn": rp.recovery_point_arn,
        "source_account_id": rp.account_id,
        "region": rp.region,
        "source_vault_name": rp.vault_name,
        "resource_type": rp.resource_type,
        "resource_arn": rp.resource_arn,
        "metadata": if restores { json!(metadata) } else { Value::Null },
        "restore_account_id": if restores { json!(restore_account) } else { Value::Null },
        "iam_role_arn": input.iam_role_arn.clone().unwrap_or_else(|| cfg.backup_role(if restores { &restore_account } else { &rp.account_id })),
        "copy_role_arn": if input.kind == RequestKind::CrossAccountRestore { json!(cfg.backup_role(&rp.account_id)) } else { Value::Null },
        "destination_vault_arn": destination,
        "lifecycle": input.lifecycle.as_ref().map(|l| json!({
            "delete_after_days": l.delete_after_days,
            "move_to_cold_storage_after_days": l.move_to_cold_storage_after_days,
        })),
    });
    let hash = params_hash(&params);
    Ok((params, hash))
}

pub use crate::domain::params_hash;
pub use preflight::preflight;
pub use submit::{restore_base, submit, submit_testing};
pub use vault_policy::{copy_verdict, CopyingAccount, PolicyVerdict};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_checked_per_resource_type() {
        let m = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert!(check_metadata("DynamoDB", &m(&[("targetTableName", "tracking-restored")])).is_ok());
        assert!(check_metadata("DynamoDB", &m(&[("targetTableName", "tr")])).is_err());
        assert!(check_metadata("DynamoDB", &m(&[("targetTableName", "ok-name"), ("encryptionType", "KMS")])).is_err());
        assert!(check_metadata(
            "DynamoDB",
            &m(&[
                ("targetTableName", "ok-name"),
                ("encryptionType", "KMS"),
                ("kmsMasterKeyArn", "arn:aws:kms:ap-southeast-2:111111111111:key/k")
            ])
        )
        .is_ok());
        assert!(check_metadata("DynamoDB", &m(&[("targetTableName", "ok-name"), ("tableClass", "x")])).is_err());
        assert!(check_metadata("RDS", &m(&[("dbInstanceIdentifier", "mydb-restored")])).is_ok());
        assert!(check_metadata("RDS", &m(&[("dbInstanceIdentifier", "1db")])).is_err());
        assert!(check_metadata("RDS", &m(&[("dbInstanceIdentifier", "db--x")])).is_err());
        assert!(check_metadata("EFS", &m(&[])).is_err());
        // RDS overrides: keys read case-insensitively, values checked.
        let rds = check_metadata(
            "RDS",
            &m(&[("dbInstanceIdentifier", "db-1"), ("dbsubnetgroupname", "app-db"), ("multiAZ", "true")]),
        )
        .unwrap_or_default();
        assert_eq!(rds.get("DBSubnetGroupName").map(String::as_str), Some("app-db"));
        assert_eq!(rds.get("MultiAZ").map(String::as_str), Some("true"));
        let one = |k: &str, v: &str| check_metadata("RDS", &m(&[("dbInstanceIdentifier", "db-1"), (k, v)]));
        assert!(one("VpcSecurityGroupIds", r#"["sg-0a1b2c", "sg-99"]"#).is_ok());
        assert!(one("VpcSecurityGroupIds", "sg-0a1b2c, sg-99").is_ok());
        assert!(one("VpcSecurityGroupIds", "default").is_err());
        assert!(one("Port", "80").is_err());
        assert!(one("Port", "5432").is_ok());
        assert!(one("MultiAZ", "yes").is_err());
        assert!(one("engine", "mysql").is_err(), "only the reviewed overrides");
    }

    #[test]
    fn rds_metadata_starts_from_the_recovery_points_own() {
        let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let base = m(&[("dbInstanceIdentifier", "mydb"), ("dbSubnetGroupName", "app-db"), ("engine", "postgres")]);
        let merged = merged_metadata(
            "RDS",
            &base,
            &m(&[("dbInstanceIdentifier", "mydb-restored"), ("DBSubnetGroupName", "other")]),
        );
        assert_eq!(
            merged,
            m(&[("dbInstanceIdentifier", "mydb-restored"), ("DBSubnetGroupName", "other"), ("engine", "postgres")])
        );
        let table = m(&[("targetTableName", "t-restored")]);
        assert_eq!(merged_metadata("DynamoDB", &m(&[("originalTableName", "t")]), &table), table);
    }
}
