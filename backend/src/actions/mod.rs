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

/// How a restore setting's value is checked (and which input the form shows).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    TableName,
    DbIdentifier,
    BucketName,
    SubnetGroup,
    SecurityGroups,
    Subnet,
    Zone,
    Zones,
    Flag,
    DbClass,
    Ec2Type,
    DbPort,
    VolumeType,
    Encryption,
    KmsKey,
    Paths,
    S3Items,
}

/// One restore metadata key a request may set.
struct Field {
    key: &'static str,
    label: &'static str,
    hint: &'static str,
    value: Expect,
    /// AWS has no value to start from: the caller names the new resource.
    required: bool,
}

const fn field(key: &'static str, label: &'static str, hint: &'static str, value: Expect) -> Field {
    Field { key, label, hint, value, required: false }
}

const fn name(key: &'static str, label: &'static str, hint: &'static str, value: Expect) -> Field {
    Field { key, label, hint, value, required: true }
}

const VOLUME_TYPES: [&str; 7] = ["gp3", "gp2", "io2", "io1", "st1", "sc1", "standard"];
const SG: &str = "sg-0123abcd, sg-4567ef (a JSON array or commas)";

/// The restore metadata keys a request may set, per resource type; every other key
/// comes from the recovery point's own metadata (`GetRecoveryPointRestoreMetadata`).
/// Sources: AWS Backup Developer Guide, "Restore testing inferred metadata" (the
/// overridable keys per type) and the restore pages per type; StartRestoreJob
/// `Metadata` (EFS: `newFileSystem`, `itemsToRestore`); the RDS API Reference
/// (RestoreDBInstanceFromDBSnapshot, RestoreDBClusterFromSnapshot) for RDS and Aurora;
/// "Restore S3 data using AWS Backup" (`DestinationBucketName`, `NewBucket`,
/// `ItemsToRestore`: S3 restores name a bucket, not a key prefix; without them AWS
/// Backup restores into the source bucket, overwriting nothing). List values travel
/// as JSON arrays of strings, as AWS Backup passes them.
fn fields(resource_type: &str) -> Option<&'static [Field]> {
    use Expect::*;
    const DYNAMODB: &[Field] = &[
        name("targetTableName", "New table name", "3-255 of a-z A-Z 0-9 _ - .", TableName),
        field("encryptionType", "Encryption of the new table", "Default (AWS owned key) or KMS", Encryption),
        field("kmsMasterKeyArn", "KMS key ARN (with KMS)", "arn:aws:kms:region:account:key/id", KmsKey),
    ];
    const RDS: &[Field] = &[
        name(
            "dbInstanceIdentifier",
            "New DB instance identifier",
            "a letter, then letters, digits, hyphens",
            DbIdentifier,
        ),
        field("DBSubnetGroupName", "DB subnet group", "app-db", SubnetGroup),
        field("VpcSecurityGroupIds", "VPC security groups", SG, SecurityGroups),
        field("AvailabilityZone", "Availability Zone", "ap-southeast-2a", Zone),
        field("MultiAZ", "Multi-AZ", "true or false", Flag),
        field("DBInstanceClass", "Instance class", "db.t3.medium", DbClass),
        field("Port", "Port", "1150-65535", DbPort),
    ];
    const AURORA: &[Field] = &[
        name(
            "dbClusterIdentifier",
            "New DB cluster identifier",
            "a letter, then letters, digits, hyphens",
            DbIdentifier,
        ),
        field("DBSubnetGroupName", "DB subnet group", "app-db", SubnetGroup),
        field("VpcSecurityGroupIds", "VPC security groups", SG, SecurityGroups),
        field("AvailabilityZones", "Availability Zones", "ap-southeast-2a, ap-southeast-2b", Zones),
        field("DBClusterInstanceClass", "Instance class", "db.r6g.large", DbClass),
        field("Port", "Port", "1150-65535", DbPort),
    ];
    const EC2: &[Field] = &[
        field("InstanceType", "Instance type", "t3.micro", Ec2Type),
        field("SubnetId", "Subnet", "subnet-0123abcd", Subnet),
        field("SecurityGroupIds", "Security groups", SG, SecurityGroups),
    ];
    const EBS: &[Field] = &[
        field("availabilityZone", "Availability Zone", "ap-southeast-2a", Zone),
        field("volumeType", "Volume type", "gp3, gp2, io2, io1, st1, sc1 or standard", VolumeType),
    ];
    const EFS: &[Field] = &[
        field(
            "newFileSystem",
            "Into a new file system",
            "true, or false: into the source file system's aws-backup-restore directory",
            Flag,
        ),
        field("itemsToRestore", "Only these paths", "/data, /etc/app.conf (1 to 5, from the root)", Paths),
    ];
    const S3: &[Field] = &[
        field(
            "DestinationBucketName",
            "Target bucket",
            "3-63 of a-z 0-9 . - (with a new bucket: its name)",
            BucketName,
        ),
        field("NewBucket", "Create the bucket", "true (a new bucket) or false (an existing one)", Flag),
        field("ItemsToRestore", "Only these objects", "s3://bucket/key (1 to 5)", S3Items),
    ];
    match resource_type {
        "DynamoDB" => Some(DYNAMODB),
        "RDS" => Some(RDS),
        "Aurora" => Some(AURORA),
        "EC2" => Some(EC2),
        "EBS" => Some(EBS),
        "EFS" => Some(EFS),
        "S3" => Some(S3),
        _ => None,
    }
}

/// The metadata of a restore into a new resource named `name`, where the type lets
/// the caller name it (the runbooks' and drills' requests); empty for the types whose
/// new resource AWS names (EC2 instances, EBS volumes, EFS file systems).
pub fn new_resource_metadata(resource_type: &str, name: &str) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = fields(resource_type)
        .unwrap_or_default()
        .iter()
        .filter(|f| f.required)
        .map(|f| (f.key.into(), name.into()))
        .collect();
    if resource_type == "S3" {
        m.insert("DestinationBucketName".into(), name.into());
        m.insert("NewBucket".into(), "true".into());
    }
    m
}

/// The settings a restore request may set for a resource type, for the form.
pub fn restore_fields(resource_type: &str) -> Vec<shared::RestoreField> {
    fields(resource_type)
        .unwrap_or_default()
        .iter()
        .map(|f| {
            let (kind, options): (&str, &[&str]) = match f.value {
                _ if f.required => ("name", &[]),
                Expect::Flag => ("bool", &[]),
                Expect::Encryption => ("choice", &["Default", "KMS"]),
                Expect::VolumeType => ("choice", &VOLUME_TYPES),
                Expect::SecurityGroups | Expect::Zones | Expect::Paths | Expect::S3Items => ("list", &[]),
                _ => ("text", &[]),
            };
            shared::RestoreField {
                key: f.key.into(),
                label: f.label.into(),
                hint: f.hint.into(),
                kind: kind.into(),
                required: f.required,
                inherits: starts_from_recovery_point(resource_type),
                options: options.iter().map(|o| o.to_string()).collect(),
            }
        })
        .collect()
}

/// The types whose restore starts from the recovery point's own metadata. A
/// DynamoDB restore sends only the new table's name and encryption: the recovery
/// point's metadata names the source table and its key, which a restore with
/// encryptionType Default must not send (kmsMasterKeyArn only goes with KMS).
fn starts_from_recovery_point(resource_type: &str) -> bool {
    fields(resource_type).is_some() && resource_type != "DynamoDB"
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

/// S3 bucket naming rules (S3 User Guide, "General purpose bucket naming rules").
fn valid_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !name.contains("..")
}

/// A KMS key ARN in any partition (aws, aws-us-gov, aws-cn).
fn kms_key_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", "aws" | "aws-us-gov" | "aws-cn", "kms", region, account, key]
        if !region.is_empty() && account.len() == 12 && key.strip_prefix("key/").is_some_and(|k| !k.is_empty()))
}

/// The values of a list setting: a JSON array or a comma-separated list.
fn list(value: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(value) {
        Ok(list) => list,
        Err(_) => value.split(',').map(|s| s.trim().to_string()).collect(),
    }
}

/// An AWS id like `sg-0a1b2c`: the prefix and hexadecimal digits.
fn aws_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn zone(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Checks one setting's value; the error names the key and what was expected.
fn check_value(f: &Field, value: &str) -> Result<(), String> {
    use Expect::*;
    let items = || list(value);
    let (ok, expected) = match f.value {
        TableName => (valid_table_name(value), "3-255 characters of a-z, A-Z, 0-9, _, - and ."),
        DbIdentifier => (valid_instance_id(value), "a letter first, then 1-63 letters, digits or single hyphens"),
        BucketName => {
            (valid_bucket_name(value), "an S3 bucket name: 3-63 of a-z, 0-9, . and -, a letter or digit at each end")
        }
        SubnetGroup => (
            (1..=255).contains(&value.len())
                && value.bytes().all(|b| b.is_ascii_alphanumeric() || b" ._-".contains(&b)),
            "a DB subnet group name",
        ),
        SecurityGroups => (
            !items().is_empty() && items().iter().all(|i| aws_id(i, "sg-")),
            "security group ids (sg-...), as a JSON array or separated by commas",
        ),
        Subnet => (aws_id(value, "subnet-"), "a subnet id like subnet-0123abcd"),
        Zone => (zone(value), "an Availability Zone like ap-southeast-2a"),
        Zones => (
            !items().is_empty() && items().iter().all(|z| zone(z)),
            "Availability Zones like ap-southeast-2a, as a JSON array or separated by commas",
        ),
        Flag => (value == "true" || value == "false", "true or false"),
        DbClass => (value.starts_with("db.") && value.len() > 3, "an instance class like db.t3.medium"),
        Ec2Type => (
            value.split_once('.').is_some_and(|(family, size)| {
                let ok = |s: &str| {
                    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                };
                ok(family) && ok(size)
            }),
            "an instance type like t3.micro",
        ),
        DbPort => (value.parse::<u16>().is_ok_and(|p| p >= 1150), "a port from 1150 to 65535"),
        VolumeType => (VOLUME_TYPES.contains(&value), "one of gp3, gp2, io2, io1, st1, sc1, standard"),
        Encryption => (value == "Default" || value == "KMS", "Default or KMS"),
        KmsKey => (kms_key_arn(value), "a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID)"),
        Paths => (
            (1..=5).contains(&items().len()) && items().iter().all(|p| p.starts_with('/') && !p.contains('*')),
            "1 to 5 paths from the file system's root (/dir/file), without wildcards",
        ),
        S3Items => (
            (1..=5).contains(&items().len())
                && items().iter().all(|p| p.strip_prefix("s3://").is_some_and(|r| r.contains('/'))),
            "1 to 5 object URIs like s3://bucket/key",
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("metadata.{}: {value:?} is not valid: expected {expected}", f.key))
    }
}

/// Checks the restore metadata for the resource type; returns it with each key
/// spelled as the console lists it (AWS reads restore metadata keys case-insensitively).
fn check_metadata(resource_type: &str, m: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, AppError> {
    let bad = |why: String| AppError::bad("invalid_metadata", why);
    let known = fields(resource_type).ok_or_else(|| AppError::Unprocessable {
        code: "unsupported_resource_type",
        message: format!(
            "the console restores DynamoDB, RDS, Aurora, EC2, EBS, EFS and S3 recovery points, not {resource_type}"
        ),
    })?;
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let Some(f) = known.iter().find(|f| f.key.eq_ignore_ascii_case(k)) else {
            let allowed: Vec<&str> = known.iter().map(|f| f.key).collect();
            return Err(bad(format!(
                "metadata.{k} is not a {resource_type} restore setting; allowed: {}",
                allowed.join(", ")
            )));
        };
        check_value(f, v).map_err(bad)?;
        let v = match f.value {
            Expect::SecurityGroups | Expect::Zones | Expect::Paths | Expect::S3Items => json!(list(v)).to_string(),
            _ => v.clone(),
        };
        if out.insert(f.key.to_string(), v).is_some() {
            return Err(bad(format!("metadata.{} is given twice", f.key)));
        }
    }
    for f in known.iter().filter(|f| f.required) {
        if !out.contains_key(f.key) {
            return Err(bad(format!("metadata.{}: the new resource's name is required ({})", f.key, f.label)));
        }
    }
    match resource_type {
        "DynamoDB" => match (out.get("encryptionType").map(String::as_str), out.get("kmsMasterKeyArn")) {
            (Some("KMS"), None) => {
                return Err(bad("metadata.kmsMasterKeyArn: a KMS key ARN is required with encryptionType KMS".into()))
            }
            (None | Some("Default"), Some(_)) => {
                return Err(bad("metadata.kmsMasterKeyArn is only allowed with encryptionType KMS".into()))
            }
            _ => {}
        },
        // A new bucket needs its name: the recovery point's is the source bucket's, which exists.
        "S3" if out.get("NewBucket").map(String::as_str) == Some("true")
            && !out.contains_key("DestinationBucketName") =>
        {
            return Err(bad("metadata.DestinationBucketName: a new bucket (NewBucket true) needs its name".into()))
        }
        _ => {}
    }
    Ok(out)
}

/// The metadata a restore sends: the recovery point's own restore metadata
/// (`GetRecoveryPointRestoreMetadata`, read live; the API reference tells callers to
/// start from it) with the request's reviewed values over it; for DynamoDB, the
/// request's name and encryption alone (see [`starts_from_recovery_point`]).
pub fn merged_metadata(
    resource_type: &str,
    base: &BTreeMap<String, String>,
    overrides: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    if !starts_from_recovery_point(resource_type) {
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

/// A role a request names must be in the account its job runs in and be that
/// account's backup role or one of `requests.allowed_role_arns`: the operator role's
/// `iam:PassRole` should not be the only thing between a requester and any role.
fn check_role(role: &str, account: &str, cfg: &Config) -> Result<(), AppError> {
    let backup = cfg.backup_role(account);
    let in_account = role.split(':').nth(4) == Some(account);
    if in_account && (role == backup || cfg.requests.allowed_role_arns.iter().any(|a| a == role)) {
        return Ok(());
    }
    Err(AppError::bad(
        "invalid_parameter",
        format!(
            "iam_role_arn: {role} is not allowed; the job runs in account {account}, whose backup role is {backup}; other roles of that account must be listed in requests.allowed_role_arns"
        ),
    ))
}

/// Every request says why (10 characters at least) and may name a ticket (200 at most).
fn check_justification(justification: &str, ticket: Option<&str>) -> Result<(), AppError> {
    if justification.trim().chars().count() < 10 {
        return Err(AppError::bad("invalid_justification", "justification: say why, in at least 10 characters"));
    }
    if ticket.is_some_and(|t| t.chars().count() > 200) {
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
    // The keys the requester set: the approver reviews them apart from the values
    // that come from the recovery point's own metadata.
    let mut requested = Vec::new();
    if restores {
        let overrides = check_metadata(&rp.resource_type, &input.metadata)?;
        requested = overrides.keys().cloned().collect();
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
    let job_account = if restores { &restore_account } else { &rp.account_id };
    if let Some(role) = &input.iam_role_arn {
        check_role(role, job_account, cfg)?;
    }
    // A key the requester names must be the restore account's own: a key of another
    // account would let that account's key policy decide who reads the restored data.
    for (key, value) in metadata.iter().filter(|(k, v)| requested.contains(k) && kms_key_arn(v)) {
        if value.split(':').nth(4) != Some(restore_account.as_str()) {
            return Err(bad(
                "invalid_parameter",
                format!("metadata.{key}: {value} is not a key of the restore account {restore_account}"),
            ));
        }
    }
    let params = json!({
        "kind": input.kind,
        "recovery_point_arn": rp.recovery_point_arn,
        "source_account_id": rp.account_id,
        "region": rp.region,
        "source_vault_name": rp.vault_name,
        "resource_type": rp.resource_type,
        "resource_arn": rp.resource_arn,
        "metadata": if restores { json!(metadata) } else { Value::Null },
        "metadata_set_by_requester": if restores { json!(requested) } else { Value::Null },
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
        assert!(check_metadata("FSx", &m(&[])).is_err());
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
    fn every_restorable_type_has_its_reviewed_overrides() {
        let m = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let check = |t: &str, pairs: &[(&str, &str)]| check_metadata(t, &m(pairs)).map_err(|e| e.to_string());
        // The name AWS cannot infer is required where the type needs one.
        assert!(check("Aurora", &[]).is_err_and(|e| e.contains("metadata.dbClusterIdentifier")));
        assert!(check("S3", &[("NewBucket", "true")]).is_err_and(|e| e.contains("metadata.DestinationBucketName")));
        assert!(check("EC2", &[]).is_ok() && check("EBS", &[]).is_ok() && check("EFS", &[]).is_ok());
        assert!(check("S3", &[]).is_ok(), "into the source bucket, as AWS Backup restores by default");
        // Good overrides, keys read case-insensitively and spelled as listed.
        let ec2 = check(
            "EC2",
            &[("instancetype", "t3.micro"), ("SubnetId", "subnet-0a1b"), ("SecurityGroupIds", r#"["sg-1"]"#)],
        );
        assert_eq!(
            ec2.unwrap_or_default().keys().collect::<Vec<_>>(),
            ["InstanceType", "SecurityGroupIds", "SubnetId"]
        );
        // Lists travel as JSON arrays, as AWS Backup passes them.
        let sg = check("RDS", &[("dbInstanceIdentifier", "db-1"), ("VpcSecurityGroupIds", "sg-1, sg-2")]);
        assert_eq!(sg.unwrap_or_default()["VpcSecurityGroupIds"], r#"["sg-1","sg-2"]"#);
        assert!(check("EBS", &[("availabilityZone", "ap-southeast-2b"), ("volumeType", "io2")]).is_ok());
        assert!(check("EFS", &[("newFileSystem", "true"), ("itemsToRestore", r#"["/data", "/etc/app.conf"]"#)]).is_ok());
        assert!(check("S3", &[("DestinationBucketName", "tracking-restored.2026"), ("NewBucket", "true")]).is_ok());
        assert!(check(
            "Aurora",
            &[
                ("dbClusterIdentifier", "orders-r"),
                ("AvailabilityZones", "ap-southeast-2a, ap-southeast-2b"),
                ("Port", "3306")
            ]
        )
        .is_ok());
        // Bad values: a 400 naming the key and what was expected.
        for (t, k, v, expected) in [
            ("EC2", "InstanceType", "huge", "t3.micro"),
            ("EC2", "SubnetId", "sn-1", "subnet-"),
            ("EC2", "SecurityGroupIds", "default", "sg-"),
            ("EBS", "volumeType", "gp9", "gp3"),
            ("EBS", "availabilityZone", "Zone A", "ap-southeast-2a"),
            ("EFS", "itemsToRestore", "data/*", "paths from the file system's root"),
            ("EFS", "newFileSystem", "no", "true or false"),
            ("S3", "DestinationBucketName", "Tracking_Restored", "bucket name"),
            ("S3", "ItemsToRestore", "orders/2026", "s3://bucket/key"),
            ("Aurora", "dbClusterIdentifier", "1cluster", "a letter first"),
            ("Aurora", "MultiAZ", "true", "not a Aurora restore setting"),
        ] {
            let mut pairs = vec![(k, v)];
            match t {
                "S3" if k != "DestinationBucketName" => pairs.push(("DestinationBucketName", "b-restored")),
                "Aurora" if k != "dbClusterIdentifier" => pairs.push(("dbClusterIdentifier", "c-restored")),
                _ => {}
            }
            let e = check(t, &pairs).err().unwrap_or_default();
            assert!(e.contains(&format!("metadata.{k}")) && e.contains(expected), "{t} {k}={v}: {e}");
        }
        // Every type's fields, for the form: the name first where one is needed.
        assert_eq!(restore_fields("Aurora")[0].kind, "name");
        assert_eq!(new_resource_metadata("S3", "b-1").get("NewBucket").map(String::as_str), Some("true"));
        assert!(new_resource_metadata("EBS", "v").is_empty());
        assert_eq!(restore_fields("EBS")[1].options.first().map(String::as_str), Some("gp3"));
        assert!(restore_fields("FSx").is_empty());
    }

    #[test]
    fn kms_keys_of_every_partition() {
        let m = |key: &str| -> BTreeMap<String, String> {
            [("targetTableName", "t-restored"), ("encryptionType", "KMS"), ("kmsMasterKeyArn", key)]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        for partition in ["aws", "aws-us-gov", "aws-cn"] {
            let key = format!("arn:{partition}:kms:us-gov-west-1:111111111111:key/1234abcd");
            assert!(check_metadata("DynamoDB", &m(&key)).is_ok(), "{key}");
        }
        assert!(check_metadata("DynamoDB", &m("arn:aws:s3:::bucket/key/1")).is_err());
        assert!(check_metadata("DynamoDB", &m("arn:aws:kms:r:111111111111:alias/x")).is_err());
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
        let volume =
            merged_metadata("EBS", &m(&[("volumeId", "vol-1"), ("volumeType", "gp2")]), &m(&[("volumeType", "io2")]));
        assert_eq!(volume, m(&[("volumeId", "vol-1"), ("volumeType", "io2")]));
        let table = m(&[("targetTableName", "t-restored")]);
        assert_eq!(merged_metadata("DynamoDB", &m(&[("originalTableName", "t")]), &table), table);
    }
}
