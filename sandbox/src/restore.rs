//! Restore metadata per resource type: what GetRecoveryPointRestoreMetadata returns,
//! what a restore test infers (GetRestoreTestingInferredMetadata), what StartRestoreJob
//! refuses at once, and what the service refuses when AWS Backup hands it the
//! metadata (the restore job then ends FAILED with the service's message).
//!
//! Sources, per type:
//! - DynamoDB: Developer Guide, "Restore a DynamoDB table" (`targetTableName`,
//!   `encryptionType` Default|KMS, `kmsMasterKeyArn`).
//! - RDS: "Restore an RDS database" and the RDS API Reference,
//!   RestoreDBInstanceFromDBSnapshot (`DBSubnetGroupName`, DBSubnetGroupNotFoundFault).
//! - Aurora: "Restore an Amazon Aurora cluster": the options are those of RDS
//!   RestoreDBClusterFromSnapshot, where `DBClusterIdentifier` and `Engine` are required
//!   ("Required: Yes"), the engine "must be compatible with the engine of the source",
//!   and `KmsKeyId` may name another key.
//! - EBS: "Restore an Amazon EBS volume" and "Restore testing inferred metadata"
//!   (`availabilityZone`, `encrypted`, `kmsKeyId`; EC2 CreateVolume `VolumeType`).
//! - EC2: "Restore an Amazon EC2 instance" (instance type, VPC, subnet, security groups,
//!   IAM role, termination protection, ...) and "Restore testing inferred metadata"
//!   (`instanceType`, `requireImdsV2`, `disableApiTermination`; overridable `subnetId`,
//!   `securityGroupIds`, `vpcId`), which warns: "if the default is not present, for
//!   example the default VPC or subnet has been deleted and no metadata override has
//!   been input, the restore will not be successful" (EC2 RunInstances answers
//!   VPCIdNotSpecified, "No default VPC for this user").
//! - EFS: the StartRestoreJob API Reference, `Metadata`: `file-system-id`, `Encrypted`
//!   ("If KmsKeyId is specified, Encrypted must be set to true"), `KmsKeyId`,
//!   `PerformanceMode`, `CreationToken`, `newFileSystem`, `ItemsToRestore` ("An array of
//!   one to five strings where each string is a file path").
//! - S3: "Restore S3 data" (`DestinationBucketName`, `NewBucket`, `Encrypted`,
//!   `EncryptionType`, `KMSKey`, `ItemsToRestore`): "You can restore them to an existing
//!   or new bucket"; AWS Backup does not overwrite objects that exist.
//!
//! Keys are read case-insensitively ("Restoring a backup": "the key-value pairs are case
//! insensitive"; "Restore testing inferred metadata": "key values are not case sensitive").

use std::collections::BTreeMap;

use super::protocol::AwsError;
use super::world::{Account, CreatedResource, ResourceInfo, ResourceType};

/// The engine of the sandbox's RDS instances and of its Aurora clusters.
const RDS_ENGINE: &str = "postgres";
const AURORA_ENGINE: &str = "aurora-postgresql";
/// The instance type of the sandbox's EC2 instances.
const EC2_INSTANCE_TYPE: &str = "t3.medium";

/// A stable EC2-style id (`subnet-…`, `sg-…`, `vpc-…`) for what an account has in a region.
fn network_id(prefix: &str, account: &str, region: &str, what: &str) -> String {
    let h = format!("{account}/{region}/{what}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, c| (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3));
    format!("{prefix}-{h:017x}")
}

/// The subnet the account's instances run in: a default-VPC subnet, or (an account
/// without a default VPC, a landing zone) a subnet of the account's own VPC.
fn workload_subnet(account: &str, region: &str, default_vpc: bool) -> String {
    network_id("subnet", account, region, if default_vpc { "default-vpc-a" } else { "workload-vpc-a" })
}

fn workload_vpc(account: &str, region: &str, default_vpc: bool) -> String {
    network_id("vpc", account, region, if default_vpc { "default-vpc" } else { "workload-vpc" })
}

fn security_group(account: &str, region: &str) -> String {
    network_id("sg", account, region, "workload")
}

/// The subnets that exist in the account's region (a restore may name only these).
fn subnets(account: &Account, region: &str) -> [String; 2] {
    [workload_subnet(&account.id, region, true), workload_subnet(&account.id, region, false)]
}

/// Restore metadata of a recovery point (GetRecoveryPointRestoreMetadata): the
/// original resource's settings, so that restoring it unchanged collides with it
/// where the type names what it creates (a table, a DB instance, a DB cluster).
pub fn restore_metadata(info: &ResourceInfo) -> BTreeMap<String, String> {
    let m = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
    let az = format!("{}a", info.region);
    let sg = format!("[\"{}\"]", security_group(&info.account, &info.region));
    match info.kind {
        ResourceType::DynamoDb => m(&[
            ("originalTableName", &info.name),
            ("targetTableName", &info.name),
            ("encryptionType", "KMS"),
            ("kmsMasterKeyArn", &info.kms_key),
        ]),
        ResourceType::Rds => m(&[
            ("dbInstanceIdentifier", &info.name),
            ("engine", RDS_ENGINE),
            ("dbInstanceClass", "db.t3.medium"),
            ("port", "5432"),
            ("multiAZ", "false"),
            ("availabilityZone", &az),
            ("dbSubnetGroupName", &info.db_subnet_group),
            ("kmsKeyId", &info.kms_key),
        ]),
        // RDS RestoreDBClusterFromSnapshot's parameters, as AWS Backup names them.
        ResourceType::Aurora => {
            let zones = format!("[\"{0}a\",\"{0}b\",\"{0}c\"]", info.region);
            m(&[
                ("dbClusterIdentifier", &info.name),
                ("engine", AURORA_ENGINE),
                ("engineVersion", "15.4"),
                ("engineMode", "provisioned"),
                ("port", "5432"),
                ("availabilityZones", &zones),
                ("dbSubnetGroupName", &info.db_subnet_group),
                ("vpcSecurityGroupIds", &sg),
                ("dbClusterParameterGroupName", "default.aurora-postgresql15"),
                ("kmsKeyId", &info.kms_key),
                ("copyTagsToSnapshot", "true"),
                ("enableIAMDatabaseAuthentication", "false"),
                ("deletionProtection", "false"),
            ])
        }
        ResourceType::Ebs => m(&[
            ("volumeId", &info.name),
            ("availabilityZone", &az),
            ("volumeType", "gp3"),
            ("volumeSize", &(info.size >> 30).max(1).to_string()),
            ("encrypted", "true"),
            ("kmsKeyId", &info.kms_key),
        ]),
        // The instance's launch settings (RunInstances parameters).
        ResourceType::Ec2 => {
            let default_vpc = info.default_vpc;
            let placement = format!("{{\"AvailabilityZone\":\"{az}\",\"Tenancy\":\"default\"}}");
            m(&[
                ("InstanceType", EC2_INSTANCE_TYPE),
                ("SubnetId", &workload_subnet(&info.account, &info.region, default_vpc)),
                ("VpcId", &workload_vpc(&info.account, &info.region, default_vpc)),
                ("SecurityGroupIds", &sg),
                ("Placement", &placement),
                ("IamInstanceProfileName", ""),
                ("RequireIMDSv2", "true"),
                ("DisableApiTermination", "false"),
                ("InstanceInitiatedShutdownBehavior", "stop"),
            ])
        }
        ResourceType::Efs => m(&[
            ("file-system-id", &info.name),
            ("newFileSystem", "true"),
            ("Encrypted", "true"),
            ("KmsKeyId", &info.kms_key),
            ("PerformanceMode", "generalPurpose"),
            ("CreationToken", &format!("{}-restore", info.name)),
        ]),
        // A restore into the bucket itself: AWS Backup adds what is missing and
        // overwrites nothing ("Restore S3 data": "restore them to an existing or new bucket").
        ResourceType::S3 => m(&[
            ("DestinationBucketName", &info.name),
            ("NewBucket", "false"),
            ("Encrypted", "true"),
            ("EncryptionType", "SSE-KMS"),
            ("KMSKey", &info.kms_key),
        ]),
    }
}

/// Metadata a restore test would use (GetRestoreTestingInferredMetadata): a fresh name,
/// and for EC2 no subnet (the default VPC's, which an account may lack).
pub fn inferred_metadata(info: &ResourceInfo, suffix: u64) -> BTreeMap<String, String> {
    let tag = format!("{:08x}", suffix as u32);
    let mut m = BTreeMap::new();
    let az = format!("{}a", info.region);
    let mut put = |k: &str, v: String| {
        m.insert(k.to_string(), v);
    };
    match info.kind {
        ResourceType::DynamoDb => {
            put("targetTableName", format!("{}-restore-test-{tag}", info.name));
            put("encryptionType", "Default".into());
        }
        ResourceType::Rds => {
            put("dbInstanceIdentifier", format!("{}-restore-test-{tag}", info.name));
            put("dbInstanceClass", "db.t3.medium".into());
            put("availabilityZone", az);
        }
        ResourceType::Aurora => {
            put("dbClusterIdentifier", format!("{}-restore-test-{tag}", info.name));
            put("engine", AURORA_ENGINE.into());
        }
        ResourceType::Ebs => {
            put("availabilityZone", az);
            put("volumeType", "gp3".into());
            put("encrypted", "true".into());
        }
        ResourceType::Ec2 => {
            put("instanceType", EC2_INSTANCE_TYPE.into());
            put("requireImdsV2", "true".into());
            put("disableApiTermination", "false".into());
        }
        ResourceType::Efs => {
            put("file-system-id", info.name.clone());
            put("newFileSystem", "true".into());
            put("Encrypted", "true".into());
            put("PerformanceMode", "generalPurpose".into());
            put("CreationToken", tag);
        }
        ResourceType::S3 => {
            put("DestinationBucketName", format!("{}-restore-test-{tag}", info.name));
            put("NewBucket", "true".into());
        }
    }
    m
}

/// What a restore makes: a new resource, or data written into one that exists (EFS
/// with `newFileSystem` false, S3 with `NewBucket` false).
#[derive(Debug)]
pub enum RestoreTarget {
    New(CreatedResource),
    Existing(ResourceType, String),
}

fn get<'m>(metadata: &'m BTreeMap<String, String>, key: &str) -> Option<&'m String> {
    metadata.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

/// A `"true"`/`"false"` value; anything else is refused.
fn boolean(metadata: &BTreeMap<String, String>, key: &str) -> Result<Option<bool>, AwsError> {
    match get(metadata, key).map(|v| v.to_ascii_lowercase()) {
        None => Ok(None),
        Some(v) if v == "true" => Ok(Some(true)),
        Some(v) if v == "false" => Ok(Some(false)),
        Some(v) => Err(AwsError::invalid_parameter(format!("Metadata {key} must be true or false, got {v:?}"))),
    }
}

/// A JSON array of strings (`["sg-1","sg-2"]`), as AWS Backup passes list values.
fn string_list(metadata: &BTreeMap<String, String>, key: &str) -> Result<Option<Vec<String>>, AwsError> {
    let Some(v) = get(metadata, key) else {
        return Ok(None);
    };
    serde_json::from_str::<Vec<String>>(v)
        .map(Some)
        .map_err(|_| AwsError::invalid_parameter(format!("Metadata {key} must be a JSON array of strings, got {v:?}")))
}

fn kms_arn_ok(k: &str) -> bool {
    k.starts_with("arn:aws") && k.contains(":kms:") && k.contains(":key/")
}

/// An RDS identifier (DB instance or cluster): 1-63 letters, digits or single hyphens,
/// starting with a letter (RDS API Reference, `DBInstanceIdentifier`/`DBClusterIdentifier`).
fn rds_identifier(key: &str, name: &str) -> Result<String, AwsError> {
    let valid = name.len() <= 63
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !valid {
        return Err(AwsError::invalid_parameter(format!(
            "{key} {name:?} must start with a letter and hold 1-63 letters, digits or single hyphens"
        )));
    }
    // RDS stores identifiers in lower case.
    Ok(name.to_lowercase())
}

/// Checks restore metadata as StartRestoreJob does (InvalidParameterValueException for
/// a missing or malformed key) and names what the restore will make.
pub fn restore_target(
    account: &str,
    region: &str,
    info: &ResourceInfo,
    metadata: &BTreeMap<String, String>,
    suffix: u64,
) -> Result<RestoreTarget, AwsError> {
    let get = |key: &str| get(metadata, key);
    let required = |key: &str| {
        get(key).filter(|v| !v.is_empty()).cloned().ok_or_else(|| {
            AwsError::invalid_parameter(format!(
                "Metadata {key} is required to restore {} recovery points",
                info.kind.as_str()
            ))
        })
    };
    let new = |name: String, arn: String, kms_key: Option<String>| {
        Ok(RestoreTarget::New(CreatedResource { kind: info.kind, name, arn, kms_key }))
    };
    match info.kind {
        ResourceType::DynamoDb => {
            let name = required("targetTableName")?;
            if !(3..=255).contains(&name.len()) || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            {
                return Err(AwsError::invalid_parameter(format!(
                    "targetTableName {name:?} must be 3-255 characters of a-z, A-Z, 0-9, '_', '-', '.'"
                )));
            }
            let kms_key = match get("encryptionType").map(String::as_str) {
                None | Some("Default") => {
                    if get("kmsMasterKeyArn").is_some() && get("encryptionType").is_some() {
                        return Err(AwsError::invalid_parameter(
                            "kmsMasterKeyArn is only allowed with encryptionType KMS",
                        ));
                    }
                    None
                }
                Some("KMS") => {
                    let key = required("kmsMasterKeyArn")?;
                    if !kms_arn_ok(&key) {
                        return Err(AwsError::invalid_parameter(format!(
                            "kmsMasterKeyArn is not a KMS key ARN: {key}"
                        )));
                    }
                    Some(key)
                }
                Some(other) => {
                    return Err(AwsError::invalid_parameter(format!(
                        "encryptionType must be Default or KMS, got {other:?}"
                    )))
                }
            };
            let arn = format!("arn:aws:dynamodb:{region}:{account}:table/{name}");
            new(name, arn, kms_key)
        }
        ResourceType::Rds => {
            let name = rds_identifier("dbInstanceIdentifier", &required("dbInstanceIdentifier")?)?;
            // RestoreDBInstanceFromDBSnapshot takes no KmsKeyId: the instance keeps the
            // snapshot's key.
            if let Some(key) = get("kmsKeyId") {
                if *key != info.kms_key {
                    return Err(AwsError::invalid_parameter(format!(
                        "An RDS restore keeps the KMS key of its snapshot ({}); kmsKeyId {key} cannot be used",
                        info.kms_key
                    )));
                }
            }
            new(name.clone(), format!("arn:aws:rds:{region}:{account}:db:{name}"), Some(info.kms_key.clone()))
        }
        ResourceType::Aurora => {
            let name = rds_identifier("dbClusterIdentifier", &required("dbClusterIdentifier")?)?;
            required("engine")?;
            string_list(metadata, "vpcSecurityGroupIds")?;
            string_list(metadata, "availabilityZones")?;
            // RestoreDBClusterFromSnapshot may encrypt the cluster with another key.
            let key = match get("kmsKeyId") {
                Some(k) if !kms_arn_ok(k) => {
                    return Err(AwsError::invalid_parameter(format!("kmsKeyId is not a KMS key ARN: {k}")))
                }
                Some(k) => k.clone(),
                None => info.kms_key.clone(),
            };
            new(name.clone(), format!("arn:aws:rds:{region}:{account}:cluster:{name}"), Some(key))
        }
        ResourceType::Ebs => {
            required("availabilityZone")?;
            let encrypted = boolean(metadata, "encrypted")?;
            let key = get("kmsKeyId").cloned();
            if key.is_some() && encrypted == Some(false) {
                return Err(AwsError::invalid_parameter("kmsKeyId requires encrypted to be true"));
            }
            let name = format!("vol-{suffix:017x}");
            let arn = format!("arn:aws:ec2:{region}:{account}:volume/{name}");
            new(name, arn, key.or_else(|| Some(info.kms_key.clone())))
        }
        ResourceType::Ec2 => {
            string_list(metadata, "SecurityGroupIds")?;
            boolean(metadata, "RequireIMDSv2")?;
            boolean(metadata, "DisableApiTermination")?;
            let name = format!("i-{suffix:017x}");
            let arn = format!("arn:aws:ec2:{region}:{account}:instance/{name}");
            new(name, arn, Some(info.kms_key.clone()))
        }
        ResourceType::Efs => {
            let source = required("file-system-id")?;
            let new_fs = boolean(metadata, "newFileSystem")?.ok_or_else(|| {
                AwsError::invalid_parameter("Metadata newFileSystem is required to restore EFS recovery points")
            })?;
            let encrypted = boolean(metadata, "Encrypted")?;
            if get("KmsKeyId").is_some() && encrypted != Some(true) {
                return Err(AwsError::invalid_parameter("If KmsKeyId is specified, Encrypted must be set to true"));
            }
            if let Some(items) = string_list(metadata, "ItemsToRestore")? {
                if !(1..=5).contains(&items.len()) || items.iter().any(|p| !p.starts_with('/')) {
                    return Err(AwsError::invalid_parameter(
                        "ItemsToRestore must be an array of one to five file paths, each starting with /",
                    ));
                }
            }
            if !new_fs {
                // Restored into a directory of the file system named by file-system-id.
                return Ok(RestoreTarget::Existing(ResourceType::Efs, source));
            }
            required("CreationToken")?;
            let encrypted = encrypted.ok_or_else(|| {
                AwsError::invalid_parameter("Metadata Encrypted is required to restore EFS recovery points")
            })?;
            match required("PerformanceMode")?.as_str() {
                "generalPurpose" | "maxIO" => {}
                other => {
                    return Err(AwsError::invalid_parameter(format!(
                        "PerformanceMode must be generalPurpose or maxIO, got {other:?}"
                    )))
                }
            }
            let name = format!("fs-{suffix:017x}");
            let arn = format!("arn:aws:elasticfilesystem:{region}:{account}:file-system/{name}");
            let key = encrypted.then(|| get("KmsKeyId").cloned().unwrap_or_else(|| info.kms_key.clone()));
            new(name, arn, key)
        }
        ResourceType::S3 => {
            let name = required("DestinationBucketName")?;
            let new_bucket = boolean(metadata, "NewBucket")?.unwrap_or(false);
            boolean(metadata, "Encrypted")?;
            let key = match get("EncryptionType").map(String::as_str) {
                None | Some("SSE-S3") => None,
                Some("SSE-KMS") | Some("DSSE-KMS") => Some(required("KMSKey")?),
                Some(other) => {
                    return Err(AwsError::invalid_parameter(format!(
                        "EncryptionType must be SSE-S3, SSE-KMS or DSSE-KMS, got {other:?}"
                    )))
                }
            };
            if let Some(items) = string_list(metadata, "ItemsToRestore")? {
                if !(1..=5).contains(&items.len()) {
                    return Err(AwsError::invalid_parameter("ItemsToRestore must name one to five S3 objects"));
                }
            }
            if !new_bucket {
                return Ok(RestoreTarget::Existing(ResourceType::S3, name));
            }
            let arn = format!("arn:aws:s3:::{name}");
            new(name, arn, key)
        }
    }
}

/// Why the service refuses what AWS Backup asks of it: the restore job fails with
/// this message. RDS and Aurora: without `dbSubnetGroupName` RDS uses the default VPC's
/// `default` DB subnet group, which an account without a default VPC lacks; a named
/// group must exist (RDS API Reference, RestoreDBInstanceFromDBSnapshot and
/// RestoreDBClusterFromSnapshot `DBSubnetGroupName`, DBSubnetGroupNotFoundFault; RDS
/// User Guide, "Working with a DB instance in a VPC"); an Aurora cluster keeps its
/// source's engine family (RestoreDBClusterFromSnapshot `Engine`: "Must be compatible
/// with the engine of the source").
pub fn rds_placement_failure(
    account: &Account,
    kind: ResourceType,
    metadata: &BTreeMap<String, String>,
) -> Option<String> {
    if kind == ResourceType::Aurora {
        let engine = get(metadata, "engine").map(String::as_str).unwrap_or(AURORA_ENGINE);
        if engine != AURORA_ENGINE {
            return Some(format!(
                "InvalidParameterCombination: the engine {engine} is not compatible with the engine of the DB cluster snapshot ({AURORA_ENGINE})"
            ));
        }
    }
    let named = get(metadata, "dbSubnetGroupName").map(String::as_str);
    match named {
        None | Some("default") if !account.default_vpc => Some(format!(
            "DBSubnetGroupNotFoundFault: account {} has no default VPC, so there is no default DB subnet group: name a DB subnet group (DBSubnetGroupName) in the restore metadata",
            account.id
        )),
        Some(group) if group != "default" && !account.db_subnet_groups.iter().any(|g| g.eq_ignore_ascii_case(group)) => {
            Some(format!("DBSubnetGroupNotFoundFault: DBSubnetGroupName {group} doesn't refer to an existing DB subnet group in account {}", account.id))
        }
        _ => None,
    }
}

/// Why EC2 RunInstances refuses the restore's launch settings (EC2 API Reference,
/// RunInstances and its error codes): without `SubnetId` the instance goes to the
/// default VPC, which an account may lack (VPCIdNotSpecified); a named subnet must
/// exist (InvalidSubnetID.NotFound); the instance type must be one (InvalidParameterValue).
pub fn ec2_placement_failure(account: &Account, region: &str, metadata: &BTreeMap<String, String>) -> Option<String> {
    if let Some(t) = get(metadata, "InstanceType") {
        let (family, size) = t.split_once('.').unwrap_or(("", ""));
        if family.is_empty() || size.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Some(format!("InvalidParameterValue: Invalid value '{t}' for InstanceType."));
        }
    }
    match get(metadata, "SubnetId").filter(|s| !s.is_empty()) {
        None if !account.default_vpc => Some(
            "VPCIdNotSpecified: No default VPC for this user. Name a subnet (SubnetId) in the restore metadata.".into(),
        ),
        Some(subnet) if !subnets(account, region).contains(subnet) => {
            Some(format!("InvalidSubnetID.NotFound: The subnet ID '{subnet}' does not exist"))
        }
        _ => None,
    }
}

/// Why a restore into an existing resource fails: it is not there.
pub fn missing_target(kind: ResourceType, name: &str) -> String {
    match kind {
        ResourceType::S3 => {
            format!("NoSuchBucket: The specified bucket does not exist: {name} (NewBucket is false)")
        }
        ResourceType::Efs => format!("FileSystemNotFound: File system '{name}' does not exist."),
        _ => format!("{} {name} does not exist", kind.as_str()),
    }
}

/// Why a restore fails when what it would create exists already.
pub fn already_exists(c: &CreatedResource) -> String {
    match c.kind {
        ResourceType::DynamoDb => format!("Table already exists: {}", c.name),
        ResourceType::Rds => format!("DB instance already exists: {}", c.name),
        ResourceType::Aurora => format!("DBClusterAlreadyExistsFault: DB cluster already exists: {}", c.name),
        ResourceType::S3 => format!("BucketAlreadyExists: The requested bucket name is not available: {}", c.name),
        _ => format!("{} already exists: {}", c.kind.as_str(), c.name),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn info(kind: ResourceType) -> Arc<ResourceInfo> {
        Arc::new(ResourceInfo {
            arn: "arn".into(),
            kind,
            name: "res".into(),
            account: "111111111111".into(),
            region: "ap-southeast-2".into(),
            kms_key: "arn:aws:kms:ap-southeast-2:111111111111:key/k".into(),
            tags: vec![],
            size: 8 << 30,
            db_subnet_group: "default".into(),
            default_vpc: true,
        })
    }

    fn account(default_vpc: bool) -> Account {
        Account {
            id: "111111111111".into(),
            name: "a".into(),
            email: "e".into(),
            in_organization: true,
            joined: 0,
            roles: vec![],
            regions: BTreeMap::new(),
            default_vpc,
            db_subnet_groups: vec!["app-db".into()],
            dynamodb_advanced: true,
        }
    }

    fn without(m: &BTreeMap<String, String>, key: &str) -> BTreeMap<String, String> {
        m.iter().filter(|(k, _)| *k != key).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn with(m: &BTreeMap<String, String>, key: &str, value: &str) -> BTreeMap<String, String> {
        let mut m = m.clone();
        m.insert(key.into(), value.into());
        m
    }

    fn target(kind: ResourceType, m: &BTreeMap<String, String>) -> Result<RestoreTarget, String> {
        restore_target("111111111111", "ap-southeast-2", &info(kind), m, 7).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn every_type_restores_from_its_own_restore_metadata_and_its_inferred_metadata() {
        for kind in ResourceType::ALL {
            let i = info(kind);
            assert!(target(kind, &restore_metadata(&i)).is_ok(), "{kind:?} restore metadata");
            assert!(target(kind, &inferred_metadata(&i, 7)).is_ok(), "{kind:?} inferred metadata");
        }
    }

    #[test]
    fn a_restore_without_a_required_key_is_refused_at_once() {
        // RestoreDBClusterFromSnapshot: DBClusterIdentifier and Engine are "Required: Yes".
        let aurora = restore_metadata(&info(ResourceType::Aurora));
        for key in ["dbClusterIdentifier", "engine"] {
            let e = target(ResourceType::Aurora, &without(&aurora, key)).unwrap_err();
            assert!(e.contains("InvalidParameterValueException") && e.contains(key), "{e}");
        }
        // StartRestoreJob, Metadata for EFS.
        let efs = restore_metadata(&info(ResourceType::Efs));
        for key in ["file-system-id", "newFileSystem", "CreationToken", "PerformanceMode", "Encrypted"] {
            let e = target(ResourceType::Efs, &without(&efs, key)).unwrap_err();
            assert!(e.contains(key), "{key}: {e}");
        }
        let e = target(ResourceType::Efs, &with(&efs, "Encrypted", "false")).unwrap_err();
        assert!(e.contains("Encrypted must be set to true"), "{e}");
        let e = target(ResourceType::Efs, &with(&efs, "ItemsToRestore", "[]")).unwrap_err();
        assert!(e.contains("one to five"), "{e}");
        // Restore S3 data: DestinationBucketName; SSE-KMS names its key.
        let s3 = restore_metadata(&info(ResourceType::S3));
        assert!(target(ResourceType::S3, &without(&s3, "DestinationBucketName")).is_err());
        assert!(target(ResourceType::S3, &without(&s3, "KMSKey")).unwrap_err().contains("KMSKey"));
        let ebs = restore_metadata(&info(ResourceType::Ebs));
        assert!(target(ResourceType::Ebs, &without(&ebs, "availabilityZone")).is_err());
        let ec2 = restore_metadata(&info(ResourceType::Ec2));
        assert!(target(ResourceType::Ec2, &with(&ec2, "SecurityGroupIds", "sg-1")).unwrap_err().contains("JSON array"));
    }

    #[test]
    fn what_a_restore_makes_per_type() {
        let aurora = restore_metadata(&info(ResourceType::Aurora));
        let Ok(RestoreTarget::New(c)) = target(ResourceType::Aurora, &with(&aurora, "dbClusterIdentifier", "Res-2"))
        else {
            panic!("a new cluster");
        };
        assert_eq!(c.arn, "arn:aws:rds:ap-southeast-2:111111111111:cluster:res-2");
        let Ok(RestoreTarget::New(c)) = target(ResourceType::Ec2, &restore_metadata(&info(ResourceType::Ec2))) else {
            panic!("a new instance");
        };
        assert_eq!(c.arn, format!("arn:aws:ec2:ap-southeast-2:111111111111:instance/i-{:017x}", 7));
        // S3 restores into the existing bucket unless NewBucket is true; EFS into the
        // file system itself when newFileSystem is false.
        let s3 = restore_metadata(&info(ResourceType::S3));
        assert!(
            matches!(target(ResourceType::S3, &s3), Ok(RestoreTarget::Existing(ResourceType::S3, b)) if b == "res")
        );
        assert!(matches!(target(ResourceType::S3, &with(&s3, "NewBucket", "true")), Ok(RestoreTarget::New(_))));
        let efs = with(&restore_metadata(&info(ResourceType::Efs)), "newFileSystem", "false");
        assert!(
            matches!(target(ResourceType::Efs, &efs), Ok(RestoreTarget::Existing(ResourceType::Efs, f)) if f == "res")
        );
    }

    #[test]
    fn the_service_refuses_a_placement_without_a_default_vpc() {
        let landing_zone = account(false);
        let ec2 = inferred_metadata(&info(ResourceType::Ec2), 1);
        let why = ec2_placement_failure(&landing_zone, "ap-southeast-2", &ec2).unwrap_or_default();
        assert!(why.starts_with("VPCIdNotSpecified: No default VPC for this user"), "{why}");
        assert_eq!(ec2_placement_failure(&account(true), "ap-southeast-2", &ec2), None);
        let subnet = workload_subnet("111111111111", "ap-southeast-2", false);
        assert_eq!(ec2_placement_failure(&landing_zone, "ap-southeast-2", &with(&ec2, "SubnetId", &subnet)), None);
        let why = ec2_placement_failure(&landing_zone, "ap-southeast-2", &with(&ec2, "subnetId", "subnet-nope"))
            .unwrap_or_default();
        assert!(why.starts_with("InvalidSubnetID.NotFound"), "{why}");

        let aurora = inferred_metadata(&info(ResourceType::Aurora), 1);
        let why = rds_placement_failure(&landing_zone, ResourceType::Aurora, &aurora).unwrap_or_default();
        assert!(why.starts_with("DBSubnetGroupNotFoundFault"), "{why}");
        let placed = with(&aurora, "dbSubnetGroupName", "app-db");
        assert_eq!(rds_placement_failure(&landing_zone, ResourceType::Aurora, &placed), None);
        let why = rds_placement_failure(&landing_zone, ResourceType::Aurora, &with(&placed, "engine", "aurora-mysql"))
            .unwrap_or_default();
        assert!(why.starts_with("InvalidParameterCombination"), "{why}");
    }
}
