//! Cloud Control in the sandbox: reading and deleting what restores made, through
//! the real `aws-sdk-cloudcontrol` client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_cloudcontrol::types::{OperationStatus, ProgressEvent};
use serde_json::{json, Value};

use crate::common::*;

const TABLE: &str = "AWS::DynamoDB::Table";
const DB_INSTANCE: &str = "AWS::RDS::DBInstance";
const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
const MYDB: &str = "arn:aws:rds:ap-southeast-2:111111111111:db:mydb";

async fn cloud_control(sb: &TestSandbox, role: &str) -> aws_sdk_cloudcontrol::Client {
    aws_sdk_cloudcontrol::Client::new(&sb.role(WORKLOAD_A, role, None).await)
}

async fn existing(sb: &TestSandbox) -> Vec<String> {
    let (_, body) = sb.admin(reqwest::Method::GET, "/_sandbox/resources", None).await;
    body["resources"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
}

async fn properties(cc: &aws_sdk_cloudcontrol::Client, type_name: &str, identifier: &str) -> Value {
    let out = cc.get_resource().type_name(type_name).identifier(identifier).send().await.unwrap();
    assert_eq!(out.type_name(), Some(type_name));
    let description = out.resource_description().unwrap();
    serde_json::from_str(description.properties().unwrap()).unwrap()
}

async fn status(cc: &aws_sdk_cloudcontrol::Client, token: &str) -> ProgressEvent {
    cc.get_resource_request_status().request_token(token).send().await.unwrap().progress_event().unwrap().clone()
}

/// Starts a restore of the demo world's `tracking` table into `name`.
async fn restore_tracking(sb: &TestSandbox, name: &str) {
    let op = sb.operator(WORKLOAD_A).await;
    let rp = latest_rp(&op, "workload-a-vault", TRACKING).await;
    op.start_restore_job().recovery_point_arn(rp).set_metadata(Some(dynamo_metadata(name))).send().await.unwrap();
}

#[tokio::test]
async fn a_restored_table_is_read_and_deleted_through_cloud_control() {
    let sb = spawn(0, 0.0).await;
    let op = cloud_control(&sb, "RecoveryConsoleOperator").await;
    let reader = cloud_control(&sb, "RecoveryConsoleRead").await;
    restore_tracking(&sb, "tracking-drill").await;
    let table_arn = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking-drill";

    // The table exists while the restore runs and afterwards; its schema has no status
    // (`AWS::DynamoDB::Table` has no `TableStatus`: that is DescribeTable's).
    assert_eq!(properties(&reader, TABLE, "tracking-drill").await["Arn"], table_arn);
    sb.advance(3.0 * 3600.0).await;
    let props = properties(&reader, TABLE, "tracking-drill").await;
    assert_eq!(props["TableName"], "tracking-drill");
    assert_eq!(props["Arn"], table_arn);
    assert_eq!(props.get("TableStatus"), None);
    assert_eq!(props["KeySchema"][0], json!({ "AttributeName": "pk", "KeyType": "HASH" }));
    assert_eq!(props["SSESpecification"]["KMSMasterKeyId"], dynamo_metadata("t")["kmsMasterKeyArn"]);
    assert!(existing(&sb).await.contains(&table_arn.to_string()));

    let err = reader.get_resource().type_name(TABLE).identifier("no-such-table").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert!(err.as_service_error().unwrap().is_resource_not_found_exception());

    // The read role may look but not delete.
    let err = reader.delete_resource().type_name(TABLE).identifier("tracking-drill").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(message(&err).contains("cloudformation:DeleteResource"), "{}", message(&err));

    let delete = || op.delete_resource().type_name(TABLE).identifier("tracking-drill").client_token("drill-1");
    let started = sb.now_ms().await;
    let first = delete().send().await.unwrap().progress_event().unwrap().clone();
    assert_eq!(first.operation_status(), Some(&OperationStatus::InProgress));
    assert_eq!(first.operation().map(|o| o.as_str()), Some("DELETE"));
    assert_eq!((first.type_name(), first.identifier()), (Some(TABLE), Some("tracking-drill")));
    let at = first.event_time().unwrap().to_millis().unwrap();
    assert_eq!(at, started, "the event is stamped with the sandbox's (frozen) clock, not the wall clock");
    let token = first.request_token().unwrap().to_string();

    // The same client token: the same request; for another resource: a conflict.
    let again = delete().send().await.unwrap();
    assert_eq!(again.progress_event().unwrap().request_token(), Some(token.as_str()));
    let err = op.delete_resource().type_name(TABLE).identifier("tracking").client_token("drill-1").send().await;
    assert_eq!(code(&err.unwrap_err()), "ClientTokenConflictException");

    // A table takes a minute to delete on the sandbox clock.
    assert_eq!(properties(&reader, TABLE, "tracking-drill").await["TableName"], "tracking-drill");
    sb.advance(50.0).await;
    assert_eq!(status(&reader, &token).await.operation_status(), Some(&OperationStatus::InProgress));
    sb.advance(15.0).await;
    let done = status(&reader, &token).await;
    assert_eq!(done.operation_status(), Some(&OperationStatus::Success));
    assert_eq!(done.event_time().unwrap().to_millis().unwrap(), at + 60_000);
    let err = reader.get_resource().type_name(TABLE).identifier("tracking-drill").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    let left = existing(&sb).await;
    assert!(!left.contains(&table_arn.to_string()), "{left:?}");
    assert!(left.contains(&TRACKING.to_string()), "the original table stays");
    let repeated = delete().send().await.unwrap();
    assert_eq!(repeated.progress_event().unwrap().operation_status(), Some(&OperationStatus::Success));
}

#[tokio::test]
async fn db_instances_unknown_types_and_missing_resources_answer_as_aws_does() {
    let sb = spawn(0, 0.0).await;
    let op = cloud_control(&sb, "RecoveryConsoleOperator").await;

    // RDS identifiers are case-insensitive; the demo world's instance is available.
    let props = properties(&op, DB_INSTANCE, "MyDB").await;
    assert_eq!(props["DBInstanceIdentifier"], "mydb");
    assert_eq!(props["DBInstanceArn"], MYDB);
    assert_eq!(props["DBInstanceStatus"], "available");
    assert_eq!(props["Engine"], "postgres");
    assert_eq!(props["Endpoint"]["Port"], "5432");
    assert!(props["Endpoint"]["Address"].as_str().unwrap().starts_with("mydb."), "{props}");

    let err = op.get_resource().type_name("AWS::Lambda::Function").identifier("f").send().await.unwrap_err();
    assert_eq!(code(&err), "TypeNotFoundException");
    let err = op.get_resource_request_status().request_token("not-a-token").send().await.unwrap_err();
    assert_eq!(code(&err), "RequestTokenNotFoundException");

    // Deleting what is not there is accepted, and its handler then reports NotFound.
    let ghost = op.delete_resource().type_name(TABLE).identifier("ghost").send().await.unwrap();
    let ghost = ghost.progress_event().unwrap().request_token().unwrap().to_string();
    sb.advance(10.0).await;
    let failed = status(&op, &ghost).await;
    assert_eq!(failed.operation_status(), Some(&OperationStatus::Failed));
    assert_eq!(failed.error_code().map(|c| c.as_str()), Some("NotFound"));

    // An instance takes five minutes; a second deletion meanwhile is refused.
    let first = op.delete_resource().type_name(DB_INSTANCE).identifier("mydb").send().await.unwrap();
    let token = first.progress_event().unwrap().request_token().unwrap().to_string();
    let err = op.delete_resource().type_name(DB_INSTANCE).identifier("mydb").send().await.unwrap_err();
    assert_eq!(code(&err), "ConcurrentOperationException");
    assert_eq!(properties(&op, DB_INSTANCE, "mydb").await["DBInstanceStatus"], "deleting");
    sb.advance(290.0).await;
    assert_eq!(status(&op, &token).await.operation_status(), Some(&OperationStatus::InProgress));
    sb.advance(15.0).await;
    assert_eq!(status(&op, &token).await.operation_status(), Some(&OperationStatus::Success));
    assert!(!existing(&sb).await.contains(&MYDB.to_string()));

    // Faults apply to Cloud Control too, in its own error codes.
    sb.set_faults(json!({ "throttle_rate": 1.0, "operations": ["GetResource"] })).await;
    let err = op.get_resource().type_name(TABLE).identifier("tracking").send().await.unwrap_err();
    assert_eq!(code(&err), "ThrottlingException");
    sb.set_faults(json!({ "error_rate": 1.0, "operations": ["GetResource"] })).await;
    let err = op.get_resource().type_name(TABLE).identifier("tracking").send().await.unwrap_err();
    assert_eq!(code(&err), "InternalFailure");
    sb.set_faults(json!({})).await;
    assert_eq!(properties(&op, TABLE, "tracking").await["TableName"], "tracking");
}

#[tokio::test]
async fn a_restore_tests_table_deleted_through_cloud_control_is_not_deleted_again() {
    let sb = spawn(0, 0.0).await;
    let backup = sb.operator(WORKLOAD_A).await;
    let op = cloud_control(&sb, "RecoveryConsoleOperator").await;
    let id = sb.run_plan(WORKLOAD_A, "tracking_daily_restore_test").await.remove(0);
    // Just after the restore completes, inside its validation window (no validator reports).
    let job = backup.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    sb.advance((job.expected_completion_time_minutes().unwrap() as f64 + 1.0) * 60.0).await;
    let job = backup.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    assert_eq!(job.validation_status(), None);
    assert_eq!(job.deletion_status(), None);
    let arn = job.created_resource_arn().unwrap().to_string();
    let name = arn.rsplit('/').next().unwrap();

    let deleted = op.delete_resource().type_name(TABLE).identifier(name).send().await.unwrap();
    let token = deleted.progress_event().unwrap().request_token().unwrap().to_string();
    sb.advance(61.0).await;
    assert_eq!(status(&op, &token).await.operation_status(), Some(&OperationStatus::Success));
    let job = backup.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    assert_eq!(job.deletion_status().map(|s| s.as_str()), Some("SUCCESSFUL"));

    // A restore into the same name, then the end of the test's validation window:
    // AWS Backup does not delete the new table.
    restore_tracking(&sb, name).await;
    sb.advance(2.0 * 86_400.0).await;
    let job = backup.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    assert_eq!(job.deletion_status().map(|s| s.as_str()), Some("SUCCESSFUL"));
    assert!(existing(&sb).await.contains(&arn));
    assert_eq!(properties(&op, TABLE, name).await["Arn"], arn);
}

/// Cloud Control GetResource returns a resource's properties as its CloudFormation
/// resource schema defines them, and no others (both schemas set
/// `additionalProperties: false`). The names come from the schemas the cfn-lint package
/// ships, written to `sandbox/schemas/cloudcontrol-properties.json` by
/// `/work/shared/tools/cfn-schema TYPE` (its `_generated` member says how).
#[tokio::test]
async fn cloud_control_answers_carry_exactly_the_schema_properties() {
    let schemas: Value =
        serde_json::from_str(include_str!("../../../sandbox/schemas/cloudcontrol-properties.json")).unwrap();
    let sb = spawn(0, 0.0).await;
    let reader = cloud_control(&sb, "RecoveryConsoleRead").await;
    restore_tracking(&sb, "tracking-copy").await;
    sb.advance(3.0 * 3600.0).await;
    use aws_sandbox::generate::{DEMO_BUCKET, DEMO_CLUSTER, DEMO_FILE_SYSTEM, DEMO_INSTANCE, DEMO_VOLUME};
    for (type_name, identifier) in [
        (TABLE, "tracking"),
        (TABLE, "tracking-copy"),
        (DB_INSTANCE, "mydb"),
        ("AWS::RDS::DBCluster", DEMO_CLUSTER),
        ("AWS::EC2::Instance", DEMO_INSTANCE),
        ("AWS::EC2::Volume", DEMO_VOLUME),
        ("AWS::EFS::FileSystem", DEMO_FILE_SYSTEM),
        ("AWS::S3::Bucket", DEMO_BUCKET),
    ] {
        let schema = &schemas[type_name];
        assert_eq!(schema["additionalProperties"], false, "{type_name}");
        let allowed: Vec<&str> = schema["properties"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        let props = properties(&reader, type_name, identifier).await;
        for (name, value) in props.as_object().unwrap() {
            assert!(allowed.contains(&name.as_str()), "{type_name} {identifier}: {name} is not in the schema");
            assert!(
                !value.is_null(),
                "{type_name} {identifier}: {name} is null; Cloud Control leaves absent values out"
            );
        }
    }
    let table = properties(&reader, TABLE, "tracking").await;
    assert!(table.get("TableStatus").is_none(), "AWS::DynamoDB::Table has no TableStatus: {table}");
    let instance = properties(&reader, DB_INSTANCE, "mydb").await;
    assert_eq!(instance["DBInstanceStatus"], "available", "a read-only property of AWS::RDS::DBInstance");
    let ec2 = properties(&reader, "AWS::EC2::Instance", DEMO_INSTANCE).await;
    assert_eq!(ec2["State"]["Name"], "running", "a read-only property of AWS::EC2::Instance: {ec2}");
    // The other three schemas have no status property: the sandbox invents none.
    for (type_name, identifier) in
        [("AWS::RDS::DBCluster", DEMO_CLUSTER), ("AWS::EC2::Volume", DEMO_VOLUME), ("AWS::S3::Bucket", DEMO_BUCKET)]
    {
        let props = properties(&reader, type_name, identifier).await;
        assert!(
            !props.as_object().unwrap().keys().any(|k| k.contains("Status") || k == "State"),
            "{type_name}: {props}"
        );
    }
}

/// An S3 client acting in workload A, path-style against the sandbox.
async fn s3(sb: &TestSandbox, role: &str) -> aws_sdk_s3::Client {
    let config =
        aws_sdk_s3::config::Builder::from(&sb.role(WORKLOAD_A, role, None).await).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Every version and delete marker of a bucket, paged with max-keys, key-marker and
/// version-id-marker: (key, version id, is a delete marker).
async fn all_versions(s3: &aws_sdk_s3::Client, bucket: &str, page: i32) -> (Vec<(String, String, bool)>, usize) {
    let (mut out, mut pages, mut key, mut version) = (Vec::new(), 0, None, None);
    loop {
        let list = s3
            .list_object_versions()
            .bucket(bucket)
            .max_keys(page)
            .set_key_marker(key.clone())
            .set_version_id_marker(version.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(list.versions().len() + list.delete_markers().len() <= page as usize);
        for v in list.versions() {
            out.push((v.key().unwrap().to_string(), v.version_id().unwrap().to_string(), false));
        }
        for m in list.delete_markers() {
            out.push((m.key().unwrap().to_string(), m.version_id().unwrap().to_string(), true));
        }
        if !list.is_truncated().unwrap_or(false) {
            return (out, pages);
        }
        key = list.next_key_marker().map(str::to_string);
        version = list.next_version_id_marker().map(str::to_string);
    }
}

fn ids(entries: &[(String, String, bool)]) -> Vec<aws_sdk_s3::types::ObjectIdentifier> {
    entries
        .iter()
        .map(|(k, v, _)| aws_sdk_s3::types::ObjectIdentifier::builder().key(k).version_id(v).build().unwrap())
        .collect()
}

/// A restore into a new bucket fills it with the recovery point's objects, each with a
/// version id (AWS Backup restores the latest version of each object; backups require
/// versioning). Cloud Control cannot delete the bucket while it holds any version or
/// delete marker: the AWS::S3::Bucket delete handler calls DeleteBucket, which refuses
/// ("All objects (including all object versions and delete markers) in the bucket must be
/// deleted before the bucket itself can be deleted", S3 API Reference, DeleteBucket). S3's
/// ListObjectVersions and DeleteObjects, through the real aws-sdk-s3, empty it.
#[tokio::test]
async fn a_restored_bucket_holds_objects_and_is_deleted_only_once_emptied() {
    use aws_sandbox::generate::{DEMO_BUCKET, PLATFORM_VAULT};
    let sb = spawn(0, 0.0).await;
    let backup = sb.operator(WORKLOAD_A).await;
    let rp = latest_rp(&backup, PLATFORM_VAULT, &format!("arn:aws:s3:::{DEMO_BUCKET}")).await;
    let bucket = "assets-drill-s3";
    let metadata = [("DestinationBucketName", bucket), ("NewBucket", "true"), ("Encrypted", "true")];
    let metadata = metadata.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    backup.start_restore_job().recovery_point_arn(rp).set_metadata(Some(metadata)).send().await.unwrap();
    sb.advance(3.0 * 3600.0).await;

    let (op, reader) = (s3(&sb, "RecoveryConsoleOperator").await, s3(&sb, "RecoveryConsoleRead").await);
    let (versions, pages) = all_versions(&reader, bucket, 1000).await;
    assert!(versions.len() > 1000 && pages >= 2, "{} versions in {pages} pages", versions.len());
    assert!(versions.iter().all(|(_, v, marker)| v.len() == 32 && !marker));
    // Smaller pages list the same entries in the same order.
    assert_eq!(all_versions(&reader, bucket, 333).await.0, versions);
    let err = reader.list_object_versions().bucket(bucket).version_id_marker("x").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgument", "a version-id marker needs a key marker");
    let err = reader.list_object_versions().bucket("no-such-bucket-drill").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");

    // Cloud Control: the delete handler fails with S3's refusal.
    let cc = cloud_control(&sb, "RecoveryConsoleOperator").await;
    let started = cc.delete_resource().type_name("AWS::S3::Bucket").identifier(bucket).send().await.unwrap();
    let token = started.progress_event().unwrap().request_token().unwrap().to_string();
    sb.advance(600.0).await;
    let failed = status(&cc, &token).await;
    assert_eq!(failed.operation_status(), Some(&OperationStatus::Failed));
    assert_eq!(failed.error_code().map(|c| c.as_str()), Some("GeneralServiceException"));
    assert!(failed.status_message().unwrap().contains("The bucket you tried to delete is not empty"), "{failed:?}");
    assert!(properties(&cc, "AWS::S3::Bucket", bucket).await["BucketName"] == bucket, "the bucket stays");

    // A delete without a version id in a versioned bucket only adds a delete marker.
    let first = &versions[0];
    let plain = aws_sdk_s3::types::ObjectIdentifier::builder().key(&first.0).build().unwrap();
    let delete = aws_sdk_s3::types::Delete::builder().objects(plain).build().unwrap();
    let out = op.delete_objects().bucket(bucket).delete(delete).send().await.unwrap();
    assert_eq!(out.deleted()[0].delete_marker(), Some(true));
    let (after, _) = all_versions(&reader, bucket, 1000).await;
    assert_eq!(after.len(), versions.len() + 1);
    assert!(after.iter().any(|(k, _, marker)| *marker && *k == first.0));

    // The read role may list but not delete: each key fails alone.
    let delete = aws_sdk_s3::types::Delete::builder().set_objects(Some(ids(&after[..2]))).quiet(true).build().unwrap();
    let out = reader.delete_objects().bucket(bucket).delete(delete).send().await.unwrap();
    assert_eq!(out.errors().len(), 2);
    assert_eq!(out.errors()[0].code(), Some("AccessDenied"));

    // More than 1,000 keys in one request is malformed.
    let delete = aws_sdk_s3::types::Delete::builder().set_objects(Some(ids(&after[..1001]))).build().unwrap();
    let err = op.delete_objects().bucket(bucket).delete(delete).send().await.unwrap_err();
    assert_eq!(code(&err), "MalformedXML");

    // The operator empties it, 1,000 a request, quietly; then Cloud Control deletes it.
    for chunk in after.chunks(1000) {
        let delete = aws_sdk_s3::types::Delete::builder().set_objects(Some(ids(chunk))).quiet(true).build().unwrap();
        let out = op.delete_objects().bucket(bucket).delete(delete).send().await.unwrap();
        assert!(out.errors().is_empty() && out.deleted().is_empty(), "quiet answers only failures");
    }
    assert!(all_versions(&reader, bucket, 1000).await.0.is_empty());
    let started = cc.delete_resource().type_name("AWS::S3::Bucket").identifier(bucket).send().await.unwrap();
    let token = started.progress_event().unwrap().request_token().unwrap().to_string();
    sb.advance(600.0).await;
    assert_eq!(status(&cc, &token).await.operation_status(), Some(&OperationStatus::Success));
    let err = reader.list_object_versions().bucket(bucket).send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
    assert!(!existing(&sb).await.contains(&format!("arn:aws:s3:::{bucket}")));
}
