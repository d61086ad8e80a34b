//! AWS Cloud Control API over awsJson1_0: GetResource, DeleteResource and
//! GetResourceRequestStatus for the types restores make that the console checks
//! and cleans up (DynamoDB tables, RDS DB instances, Aurora DB clusters, EC2
//! instances, EBS volumes, EFS file systems, S3 buckets). A deletion is a request whose resource handler finishes later on
//! the sandbox clock.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, StatusCode};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Digest;

use super::engine::{restore_metadata, DAY, HOUR, MINUTE};
use super::protocol::{epoch, json_input, json_operation, to_json, AwsError, Millis};
use super::world::{Deletion, Event, RegionState, RequestStatus, ResourceRequest, ResourceType, World};
use super::Caller;

pub const TARGET_PREFIX: &str = "CloudApiService.";

/// A client token names one request for 36 hours; a request can be looked up for 7 days.
const CLIENT_TOKEN_LIFE: Millis = 36 * HOUR;
const REQUEST_LIFE: Millis = 7 * DAY;
/// How soon a handler reports that it cannot delete (nothing there, or still being created).
const HANDLER_REFUSAL: Millis = 5_000;

pub fn identify(headers: &HeaderMap) -> Result<&'static str, AwsError> {
    json_operation(headers, TARGET_PREFIX, &["GetResource", "DeleteResource", "GetResourceRequestStatus"])
}

/// Whether the operation changes something (the read role may not call it).
pub fn is_mutation(op: &str) -> bool {
    op == "DeleteResource"
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetResourceInput {
    type_name: Option<String>,
    identifier: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteResourceInput {
    type_name: Option<String>,
    identifier: Option<String>,
    client_token: Option<String>,
    role_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RequestStatusInput {
    request_token: Option<String>,
}

fn error(code: &'static str, message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::BAD_REQUEST, code, message)
}

fn required(member: &str, value: Option<String>) -> Result<String, AwsError> {
    value.filter(|v| !v.is_empty()).ok_or_else(|| {
        error(
            "ValidationException",
            format!("1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

/// The CloudFormation type of each resource type a restore makes.
const TYPES: [(ResourceType, &str); 7] = [
    (ResourceType::DynamoDb, "AWS::DynamoDB::Table"),
    (ResourceType::Rds, "AWS::RDS::DBInstance"),
    (ResourceType::Aurora, "AWS::RDS::DBCluster"),
    (ResourceType::Ec2, "AWS::EC2::Instance"),
    (ResourceType::Ebs, "AWS::EC2::Volume"),
    (ResourceType::Efs, "AWS::EFS::FileSystem"),
    (ResourceType::S3, "AWS::S3::Bucket"),
];

fn type_name(kind: ResourceType) -> &'static str {
    TYPES.iter().find(|(k, _)| *k == kind).map_or("AWS::DynamoDB::Table", |(_, name)| name)
}

/// The type and primary identifier a request names (RDS identifiers are stored in lower case).
fn target(type_name: Option<String>, identifier: Option<String>) -> Result<(ResourceType, String), AwsError> {
    let name = required("typeName", type_name)?;
    let identifier = required("identifier", identifier)?;
    match TYPES.iter().find(|(_, t)| *t == name) {
        Some((kind @ (ResourceType::Rds | ResourceType::Aurora), _)) => Ok((*kind, identifier.to_lowercase())),
        Some((kind, _)) => Ok((*kind, identifier)),
        None => Err(error(
            "TypeNotFoundException",
            format!(
                "The type {name} cannot be found (the sandbox knows {})",
                TYPES.iter().map(|(_, t)| *t).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn not_found_message(kind: ResourceType, identifier: &str) -> String {
    format!("Resource of type '{}' with identifier '{identifier}' was not found.", type_name(kind))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Creating,
    Available,
    Deleting,
}

/// A resource that exists in a region, and what its properties are made of.
struct Found {
    arn: String,
    life: Life,
    kms_key: Option<String>,
    tags: Vec<(String, String)>,
    /// Restore metadata: what the resource was made with (engine, class, port).
    metadata: BTreeMap<String, String>,
    size: u64,
}

fn find(r: &RegionState, kind: ResourceType, identifier: &str) -> Option<Found> {
    let arn = r.names.get(&(kind, identifier.to_string()))?.clone();
    let job = r.restore_jobs.iter().rev().find(|j| j.created_resource.as_ref().is_some_and(|c| c.arn == arn));
    let deleting = r.resource_requests.iter().any(|q| q.is_pending(kind, identifier))
        || job.is_some_and(|j| j.deletion == Some(Deletion::Deleting));
    let life = if job.is_some_and(|j| j.run.completed.is_none()) {
        Life::Creating
    } else if deleting {
        Life::Deleting
    } else {
        Life::Available
    };
    let found = |kms_key, tags, metadata, size| Found { arn: arn.clone(), life, kms_key, tags, metadata, size };
    if let Some(j) = job {
        let kms_key = j.created_resource.as_ref().and_then(|c| c.kms_key.clone());
        return Some(found(kms_key, Vec::new(), j.metadata.clone(), j.resource.size));
    }
    Some(match r.resource_by_arn(&arn).map(|i| &r.resources[i].info) {
        Some(info) => found(Some(info.kms_key.clone()), info.tags.clone(), restore_metadata(info), info.size),
        None => found(None, Vec::new(), BTreeMap::new(), 0),
    })
}

/// The resource's properties, exactly as its CloudFormation resource schema names them
/// (`additionalProperties: false`): Cloud Control GetResource returns the schema's
/// properties and nothing else, so a DynamoDB table has no `TableStatus` (that is
/// DescribeTable's), while `DBInstanceStatus` is a read-only property of
/// `AWS::RDS::DBInstance`. Source: the schemas cfn-lint ships (`cfn-schema TYPE --props`);
/// `sandbox/schemas/cloudcontrol-properties.json` lists the names and a test checks them.
/// Absent values are left out, as Cloud Control leaves them out.
fn properties(kind: ResourceType, identifier: &str, f: &Found, caller: &Caller) -> Value {
    let tags =
        (!f.tags.is_empty()).then(|| f.tags.iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect::<Vec<_>>());
    // Restore metadata keys are case-insensitive (AWS Backup Developer Guide).
    let meta = |key: &str, default: &str| {
        f.metadata
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map_or_else(|| default.to_string(), |(_, v)| v.clone())
    };
    let region = &caller.region;
    let mut props = match kind {
        ResourceType::Rds => {
            let digest = sha2::Sha256::digest(format!("{}{}", caller.account_id, caller.region));
            let cluster = &digest.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>()[..11];
            json!({
                "DBInstanceIdentifier": identifier,
                "DBInstanceArn": f.arn,
                "DBInstanceStatus": match f.life {
                    Life::Creating => "creating",
                    Life::Available => "available",
                    Life::Deleting => "deleting",
                },
                "DBInstanceClass": meta("dbInstanceClass", "db.t3.medium"),
                "Engine": meta("engine", "postgres"),
                // A restore's metadata may ask for more storage than the snapshot's.
                "AllocatedStorage": meta("allocatedStorage", &(f.size >> 30).max(20).to_string()),
                "MultiAZ": meta("multiAZ", "false") == "true",
                "StorageEncrypted": f.kms_key.is_some(),
                "KmsKeyId": f.kms_key,
                // An instance has no endpoint until it is created.
                "Endpoint": (f.life != Life::Creating).then(|| json!({
                    "Address": format!("{identifier}.c{cluster}.{}.rds.amazonaws.com", caller.region),
                    "Port": meta("port", "5432"),
                })),
                "Tags": tags,
            })
        }
        // `State` is a read-only property of AWS::EC2::Instance (pending, running, ...).
        ResourceType::Ec2 => {
            let digest = sha2::Sha256::digest(identifier.as_bytes());
            let ip = format!("10.0.{}.{}", digest[0], digest[1].max(4));
            let zone = serde_json::from_str::<Value>(&meta("Placement", "{}"))
                .ok()
                .and_then(|p| p["AvailabilityZone"].as_str().map(str::to_string))
                .unwrap_or_else(|| format!("{region}a"));
            let (code, state) = match f.life {
                Life::Creating => (0, "pending"),
                Life::Available => (16, "running"),
                Life::Deleting => (32, "shutting-down"),
            };
            json!({
                "InstanceId": identifier,
                "InstanceType": meta("InstanceType", "t3.micro"),
                "SubnetId": f.metadata.keys().any(|k| k.eq_ignore_ascii_case("SubnetId")).then(|| meta("SubnetId", "")),
                "VpcId": f.metadata.keys().any(|k| k.eq_ignore_ascii_case("VpcId")).then(|| meta("VpcId", "")),
                "SecurityGroupIds": serde_json::from_str::<Vec<String>>(&meta("SecurityGroupIds", "[]")).ok().filter(|l| !l.is_empty()),
                "AvailabilityZone": zone,
                "PrivateIp": ip,
                "PrivateDnsName": format!("ip-{}.{region}.compute.internal", ip.replace('.', "-")),
                "State": { "Code": code, "Name": state },
                "Tags": tags,
            })
        }
        // No status property in any of the next four schemas: a DB cluster, a volume,
        // a file system or a bucket that GetResource finds exists.
        ResourceType::Aurora => {
            let digest = sha2::Sha256::digest(format!("{}{}", caller.account_id, caller.region));
            let cluster = &digest.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>()[..11];
            let port: u16 = meta("port", "5432").parse().unwrap_or(5432);
            let list = |key: &str| serde_json::from_str::<Vec<String>>(&meta(key, "[]")).ok().filter(|l| !l.is_empty());
            json!({
                "DBClusterIdentifier": identifier,
                "DBClusterArn": f.arn,
                "Engine": meta("engine", "aurora-postgresql"),
                "EngineVersion": meta("engineVersion", "15.4"),
                "EngineMode": meta("engineMode", "provisioned"),
                "Port": port,
                "DBSubnetGroupName": meta("dbSubnetGroupName", "default"),
                "VpcSecurityGroupIds": list("vpcSecurityGroupIds"),
                "AvailabilityZones": list("availabilityZones"),
                "StorageEncrypted": f.kms_key.is_some(),
                "KmsKeyId": f.kms_key,
                "Endpoint": (f.life != Life::Creating).then(|| json!({
                    "Address": format!("{identifier}.cluster-c{cluster}.{region}.rds.amazonaws.com"),
                    "Port": port.to_string(),
                })),
                "ReadEndpoint": (f.life != Life::Creating).then(|| json!({
                    "Address": format!("{identifier}.cluster-ro-c{cluster}.{region}.rds.amazonaws.com"),
                })),
                "Tags": tags,
            })
        }
        ResourceType::Ebs => json!({
            "VolumeId": identifier,
            "AvailabilityZone": meta("availabilityZone", &format!("{region}a")),
            "VolumeType": meta("volumeType", "gp3"),
            "Size": (f.size >> 30).max(1),
            "Encrypted": f.kms_key.is_some(),
            "KmsKeyId": f.kms_key,
            "Tags": tags,
        }),
        ResourceType::Efs => json!({
            "FileSystemId": identifier,
            "Arn": f.arn,
            "Encrypted": f.kms_key.is_some(),
            "KmsKeyId": f.kms_key,
            "PerformanceMode": meta("PerformanceMode", "generalPurpose"),
            "ThroughputMode": "bursting",
            "FileSystemTags": tags,
        }),
        ResourceType::S3 => json!({
            "BucketName": identifier,
            "Arn": f.arn,
            "DomainName": format!("{identifier}.s3.amazonaws.com"),
            "RegionalDomainName": format!("{identifier}.s3.{region}.amazonaws.com"),
            "DualStackDomainName": format!("{identifier}.s3.dualstack.{region}.amazonaws.com"),
            "BucketEncryption": { "ServerSideEncryptionConfiguration": [{ "ServerSideEncryptionByDefault": match &f.kms_key {
                Some(key) => json!({ "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key }),
                None => json!({ "SSEAlgorithm": "AES256" }),
            }}]},
            "Tags": tags,
        }),
        ResourceType::DynamoDb => json!({
            "TableName": identifier,
            "Arn": f.arn,
            "KeySchema": [
                { "AttributeName": "pk", "KeyType": "HASH" },
                { "AttributeName": "sk", "KeyType": "RANGE" },
            ],
            "AttributeDefinitions": [
                { "AttributeName": "pk", "AttributeType": "S" },
                { "AttributeName": "sk", "AttributeType": "S" },
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": match &f.kms_key {
                Some(key) => json!({ "SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": key }),
                None => json!({ "SSEEnabled": false }),
            },
            "Tags": tags,
        }),
    };
    if let Some(map) = props.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    props
}

fn progress_event(q: &ResourceRequest) -> Value {
    let (status, code, message) = match &q.status {
        RequestStatus::InProgress => ("IN_PROGRESS", None, None),
        RequestStatus::Success => ("SUCCESS", None, None),
        RequestStatus::Failed(code, message) => ("FAILED", Some(*code), Some(message.as_str())),
    };
    json!({
        "ProgressEvent": {
            "TypeName": type_name(q.kind),
            "Identifier": q.identifier,
            "RequestToken": q.token,
            "Operation": "DELETE",
            "OperationStatus": status,
            "EventTime": epoch(q.updated),
            "ErrorCode": code,
            "StatusMessage": message,
        }
    })
}

/// Runs a read operation.
pub fn call(world: &World, now: Millis, caller: &Caller, op: &str, body: &[u8]) -> Result<Value, AwsError> {
    let region = world.region(caller.account, &caller.region);
    match op {
        "GetResource" => {
            let input: GetResourceInput = json_input(body)?;
            let (kind, identifier) = target(input.type_name, input.identifier)?;
            let found = region
                .and_then(|r| find(r, kind, &identifier))
                .ok_or_else(|| error("ResourceNotFoundException", not_found_message(kind, &identifier)))?;
            Ok(json!({
                "TypeName": type_name(kind),
                "ResourceDescription": {
                    "Identifier": identifier,
                    "Properties": to_json(&properties(kind, &identifier, &found, caller)),
                },
            }))
        }
        "GetResourceRequestStatus" => {
            let input: RequestStatusInput = json_input(body)?;
            let token = required("requestToken", input.request_token)?;
            let request = region
                .and_then(|r| r.resource_requests.iter().find(|q| q.token == token && now - q.created < REQUEST_LIFE))
                .ok_or_else(|| {
                    error("RequestTokenNotFoundException", format!("Request with token {token} was not found"))
                })?;
            Ok(progress_event(request))
        }
        other => Err(AwsError::invalid_request(format!("{other} changes the world"))),
    }
}

/// Runs DeleteResource: checks what Cloud Control checks at once, then leaves the
/// deletion to the resource handler, which finishes on the sandbox clock.
pub fn call_mut(world: &mut World, now: Millis, caller: &Caller, op: &str, body: &[u8]) -> Result<Value, AwsError> {
    if op != "DeleteResource" {
        return Err(AwsError::invalid_request(format!("{op} does not change anything")));
    }
    let input: DeleteResourceInput = json_input(body)?;
    let (kind, identifier) = target(input.type_name, input.identifier)?;
    let region = world.region(caller.account, &caller.region);
    let requests = region.map(|r| r.resource_requests.as_slice()).unwrap_or_default();
    if let Some(token) = &input.client_token {
        let earlier = requests
            .iter()
            .rev()
            .find(|q| q.client_token.as_ref() == Some(token) && now - q.created < CLIENT_TOKEN_LIFE);
        if let Some(earlier) = earlier {
            if earlier.kind == kind && earlier.identifier == identifier && earlier.role_arn == input.role_arn {
                return Ok(progress_event(earlier));
            }
            return Err(error(
                "ClientTokenConflictException",
                format!("Client token {token} was already used for a different request"),
            ));
        }
    }
    if requests.iter().any(|q| q.is_pending(kind, &identifier)) {
        return Err(error(
            "ConcurrentOperationException",
            format!("Another resource operation is in progress on {} {identifier}", type_name(kind)),
        ));
    }
    let ready = region.and_then(|r| find(r, kind, &identifier)).is_some_and(|f| f.life != Life::Creating);
    let took = match kind {
        _ if !ready => HANDLER_REFUSAL,
        ResourceType::Rds | ResourceType::Aurora => 5 * MINUTE,
        ResourceType::Efs | ResourceType::S3 | ResourceType::Ec2 => 2 * MINUTE,
        _ => MINUTE,
    };
    let request = ResourceRequest {
        token: uuid::Builder::from_random_bytes(world.rng.gen()).into_uuid().to_string(),
        client_token: input.client_token,
        kind,
        identifier,
        role_arn: input.role_arn,
        created: now,
        updated: now,
        status: RequestStatus::InProgress,
    };
    let answer = progress_event(&request);
    let requests = &mut world.region_mut(caller.account, &caller.region).resource_requests;
    requests.push(request);
    let request = requests.len() - 1;
    world.schedule(
        now + took,
        Event::ResourceRequestDone { account: caller.account, region: caller.region.clone(), request },
    );
    Ok(answer)
}

impl World {
    /// The resource handler's end of a deletion at `t`: the resource is gone, or it
    /// was not there, or its restore has not finished creating it.
    pub fn finish_resource_request(&mut self, t: Millis, account: usize, region: &str, request: usize) {
        let r = self.region_mut(account, region);
        let Some(q) = r.resource_requests.get(request).filter(|q| q.status == RequestStatus::InProgress) else {
            return;
        };
        let (kind, identifier) = (q.kind, q.identifier.clone());
        let status = match find(r, kind, &identifier).map(|f| f.life) {
            None => RequestStatus::Failed("NotFound", not_found_message(kind, &identifier)),
            Some(Life::Creating) => RequestStatus::Failed(
                "ResourceConflict",
                format!("{} {identifier} is still being created by its restore job", type_name(kind)),
            ),
            // The AWS::S3::Bucket delete handler calls DeleteBucket, which refuses a bucket
            // holding any object version or delete marker (409 BucketNotEmpty; S3 API
            // Reference, DeleteBucket; CloudFormation user guide, DeletionPolicy: "For
            // Amazon S3 buckets, you must delete all objects in the bucket for deletion to
            // succeed"). The handler's message is S3's; its HandlerErrorCode is
            // GeneralServiceException, the code for a downstream service's refusal.
            Some(_) if kind == ResourceType::S3 && r.buckets.get(&identifier).is_some_and(|b| !b.is_empty()) => {
                RequestStatus::Failed(
                    "GeneralServiceException",
                    "The bucket you tried to delete is not empty (Service: S3, Status Code: 409)".to_string(),
                )
            }
            Some(_) => {
                r.names.remove(&(kind, identifier.clone()));
                r.buckets.remove(&identifier);
                // A restore test's resource deleted here is one AWS Backup no longer deletes.
                let job = r
                    .restore_jobs
                    .iter_mut()
                    .rev()
                    .find(|j| j.created_resource.as_ref().is_some_and(|c| c.kind == kind && c.name == identifier));
                if let Some(j) = job.filter(|j| j.plan_arn.is_some()) {
                    j.deletion = Some(Deletion::Successful);
                }
                RequestStatus::Success
            }
        };
        let q = &mut r.resource_requests[request];
        q.status = status;
        q.updated = t;
    }
}
