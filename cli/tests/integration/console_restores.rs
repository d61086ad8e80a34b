//! Restores of every type the sandbox models (issue 14, part 3), on SQLite and
//! PostgreSQL: each starts from the recovery point's own restore metadata
//! (GetRecoveryPointRestoreMetadata, read live), takes reviewed overrides checked
//! per type, and AWS Backup (the sandbox) receives exactly the approved metadata
//! (GetRestoreJobMetadata).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;
use crate::console_posture::urlencoding;
use crate::console_requests::run_to_end;

/// A usable recovery point of a type in workload_a (the demo world holds one resource
/// of each type there).
pub(crate) async fn point_of(c: &TestConsole, resource_type: &str) -> Value {
    let q = format!("/api/v1/recovery-points?account_id={WORKLOAD_A}&resource_type={resource_type}&limit=200");
    c.all(q)
        .await
        .into_iter()
        .find(|p| shared::recovery_point_usable(p["status"].as_str().unwrap()))
        .unwrap_or_else(|| panic!("no usable {resource_type} recovery point"))
}

/// Files a restore as alice; when the console takes it, erin approves it.
async fn file(c: &TestConsole, (alice, erin): (&str, &str), rp: &Value, metadata: Value) -> (u16, Value) {
    let body = json!({
        "kind": "restore",
        "recovery_point_arn": rp["recovery_point_arn"],
        "metadata": metadata,
        "justification": "restore beside the original to check it",
    });
    let (s, req) = c.post_as(alice, "/api/v1/requests", body).await;
    if s == 201 {
        let id = req["id"].as_str().unwrap();
        let approve = json!({"params_hash": req["params_hash"]});
        let (s, e) = c.post_as(erin, &format!("/api/v1/requests/{id}/approve"), approve).await;
        assert_eq!(s, 200, "{e}");
    }
    (s, req)
}

/// What AWS Backup says the restore job was started with.
async fn job_metadata(sb: &TestSandbox, account: &str, region: &str, job: &str) -> HashMap<String, String> {
    let client = sb.backup_in(account, "RecoveryConsoleRead", region).await;
    client.get_restore_job_metadata().restore_job_id(job).send().await.unwrap().metadata().cloned().unwrap_or_default()
}

/// The recovery point's own restore metadata, as AWS Backup reports it.
async fn own_metadata(sb: &TestSandbox, rp: &Value) -> HashMap<String, String> {
    let client =
        sb.backup_in(rp["account_id"].as_str().unwrap(), "RecoveryConsoleRead", rp["region"].as_str().unwrap()).await;
    let out = client
        .get_recovery_point_restore_metadata()
        .backup_vault_name(rp["vault_name"].as_str().unwrap())
        .recovery_point_arn(rp["recovery_point_arn"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    out.restore_metadata().cloned().unwrap_or_default()
}

/// A restore of `rp` with `metadata`: approved, run to its end, and checked against
/// what AWS Backup received. Returns the finished request.
async fn restore(sb: &TestSandbox, c: &TestConsole, tokens: (&str, &str), rp: &Value, metadata: Value) -> Value {
    let (s, req) = file(c, tokens, rp, metadata.clone()).await;
    assert_eq!(s, 201, "{req}");
    let sent = req["params"]["metadata"].as_object().unwrap().clone();
    // The approver sees which keys the requester set, apart from the recovery point's.
    let set: Vec<String> = serde_json::from_value(req["params"]["metadata_set_by_requester"].clone()).unwrap();
    let asked: Vec<&String> = metadata.as_object().unwrap().keys().collect();
    assert_eq!(set.len(), asked.len(), "{req}");
    assert!(asked.iter().all(|k| set.iter().any(|s| s.eq_ignore_ascii_case(k))), "{req}");
    // Every key of the recovery point's own metadata is in the request, with the
    // request's reviewed values over it.
    for (k, v) in own_metadata(sb, rp).await {
        let overridden = metadata.as_object().unwrap().keys().any(|o| o.eq_ignore_ascii_case(&k));
        if !overridden {
            assert_eq!(sent.get(&k).and_then(Value::as_str), Some(v.as_str()), "{k} from the recovery point: {req}");
        }
    }
    for (k, v) in metadata.as_object().unwrap() {
        let got = sent.iter().find(|(s, _)| s.eq_ignore_ascii_case(k)).map(|(_, v)| v);
        assert_eq!(got, Some(v), "override {k}: {req}");
    }
    let done = run_to_end(sb, c, tokens.0, req["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let (account, region) = (rp["account_id"].as_str().unwrap(), rp["region"].as_str().unwrap());
    let received = job_metadata(sb, account, region, done["restore_job_id"].as_str().unwrap()).await;
    let approved: HashMap<String, String> =
        sent.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
    assert_eq!(received, approved, "StartRestoreJob got exactly the approved metadata");
    done
}

/// EBS, EFS, S3, EC2 and Aurora (workload_a holds one of each): a restore with the recovery
/// point's metadata, one with overrides, a bad override refused with a 400 naming
/// the key, and the sandbox refusing a restore that lacks a key AWS requires. The
/// keys: AWS Backup Developer Guide, "Restore testing inferred metadata" (EBS
/// availabilityZone, volumeType), StartRestoreJob `Metadata` (EFS newFileSystem,
/// itemsToRestore), "Restore S3 data using AWS Backup" (DestinationBucketName,
/// NewBucket, ItemsToRestore).
#[tokio::test]
async fn every_new_type_restores_from_its_recovery_points_metadata() {
    let sb = spawn(0, 0.0).await;
    let mut points = Vec::new();
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, erin) = (c.sign_in("alice").await, c.sign_in("erin").await);
        let tokens = (alice.as_str(), erin.as_str());

        let ebs = point_of(&c, "EBS").await;
        // The form's fields come from the API, per type.
        let (_, d) = c
            .get(&format!("/api/v1/recovery-points/{}", urlencoding(ebs["recovery_point_arn"].as_str().unwrap())))
            .await;
        let keys: Vec<&str> =
            d["restore_fields"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["availabilityZone", "volumeType"], "{d}");
        assert_eq!(d["restore_fields"][1]["kind"], "choice");
        let zone = format!("{}b", ebs["region"].as_str().unwrap());
        let done = restore(&sb, &c, tokens, &ebs, json!({})).await;
        assert!(done["created_resource_arn"].as_str().unwrap().contains(":volume/vol-"), "{label}: {done}");
        restore(&sb, &c, tokens, &ebs, json!({"volumeType": "io2", "AvailabilityZone": zone})).await;
        let (s, e) = file(&c, tokens, &ebs, json!({"volumeType": "gp9"})).await;
        assert_eq!(s, 400, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("metadata.volumeType"), "{e}");

        let efs = point_of(&c, "EFS").await;
        let done = restore(&sb, &c, tokens, &efs, json!({})).await;
        assert!(done["created_resource_arn"].as_str().unwrap().contains(":file-system/fs-"), "{label}: {done}");
        restore(&sb, &c, tokens, &efs, json!({"itemsToRestore": "[\"/data/orders\"]"})).await;
        let (s, e) = file(&c, tokens, &efs, json!({"itemsToRestore": "data/*"})).await;
        assert_eq!(s, 400, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("metadata.itemsToRestore"), "{e}");

        // Into the source bucket (the recovery point's own metadata: NewBucket false),
        // then into a new bucket the request names.
        let s3 = point_of(&c, "S3").await;
        restore(&sb, &c, tokens, &s3, json!({})).await;
        let bucket = format!("restored-{label}-bucket");
        let done = restore(&sb, &c, tokens, &s3, json!({"DestinationBucketName": bucket, "NewBucket": "true"})).await;
        assert_eq!(done["created_resource_arn"], format!("arn:aws:s3:::{bucket}"), "{label}");
        // A new bucket's name is the caller's to give: the recovery point names the source bucket.
        let (s, e) = file(&c, tokens, &s3, json!({"NewBucket": "true"})).await;
        assert_eq!(s, 400, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("metadata.DestinationBucketName"), "{e}");
        let (s, e) = file(&c, tokens, &s3, json!({"DestinationBucketName": "Not_A_Bucket"})).await;
        assert_eq!(s, 400, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("S3 bucket name"), "{e}");

        // EC2: the instance's launch settings from the recovery point (its subnet, as
        // accounts often have no default VPC), the instance type overridden.
        let ec2 = point_of(&c, "EC2").await;
        let done = restore(&sb, &c, tokens, &ec2, json!({})).await;
        assert!(done["created_resource_arn"].as_str().unwrap().contains(":instance/i-"), "{label}: {done}");
        let sg =
            json!({"InstanceType": "t3.large", "SecurityGroupIds": own_metadata(&sb, &ec2).await["SecurityGroupIds"]});
        restore(&sb, &c, tokens, &ec2, sg).await;
        // A subnet the account lacks passes the console's check (it is a subnet id) and
        // fails as RunInstances fails it.
        let (s, req) = file(&c, tokens, &ec2, json!({"SubnetId": "subnet-0000dead"})).await;
        assert_eq!(s, 201, "{req}");
        let done = run_to_end(&sb, &c, tokens.0, req["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "failed", "{label}: {done}");
        assert!(done["error"].as_str().unwrap().contains("InvalidSubnetID.NotFound"), "{done}");
        let (s, e) = file(&c, tokens, &ec2, json!({"InstanceType": "huge", "SubnetId": "subnet-0a1b"})).await;
        assert_eq!(s, 400, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("metadata.InstanceType"), "{e}");

        // Aurora: the new cluster's identifier is the caller's; the network from the recovery point.
        let aurora = point_of(&c, "Aurora").await;
        let name = format!("orders-restored-{label}");
        let done = restore(&sb, &c, tokens, &aurora, json!({"dbClusterIdentifier": name})).await;
        assert!(done["created_resource_arn"].as_str().unwrap().ends_with(&format!(":cluster:{name}")), "{done}");
        let zones = json!({"dbClusterIdentifier": format!("{name}-2"), "AvailabilityZones": format!("[\"{}a\"]", aurora["region"].as_str().unwrap()), "Port": "5433"});
        restore(&sb, &c, tokens, &aurora, zones).await;
        let (s, e) = file(&c, tokens, &aurora, json!({})).await;
        assert_eq!(s, 400, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("metadata.dbClusterIdentifier"), "{e}");
        let (s, e) = file(&c, tokens, &aurora, json!({"dbClusterIdentifier": "c-1", "Port": "80"})).await;
        assert_eq!(s, 400, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("metadata.Port"), "{e}");
        points = vec![
            ("S3", "DestinationBucketName", s3),
            ("EFS", "newFileSystem", efs),
            ("Aurora", "dbClusterIdentifier", aurora),
        ];
    }
    // AWS refuses what it cannot restore: an S3 restore without a target bucket, an
    // EFS restore that does not say whether into a new file system, an Aurora restore
    // without the new cluster's identifier.
    for (t, key, rp) in points {
        let (account, region) = (rp["account_id"].as_str().unwrap(), rp["region"].as_str().unwrap());
        let mut metadata = own_metadata(&sb, &rp).await;
        metadata.retain(|k, _| !k.eq_ignore_ascii_case(key));
        let operator = sb.backup_in(account, "RecoveryConsoleOperator", region).await;
        let e = operator
            .start_restore_job()
            .recovery_point_arn(rp["recovery_point_arn"].as_str().unwrap())
            .set_metadata(Some(metadata))
            .iam_role_arn(format!("arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole"))
            .send()
            .await
            .unwrap_err();
        let e = e.into_service_error();
        assert!(message(&e).to_lowercase().contains(&key.to_lowercase()), "{t}: {}: {}", code(&e), message(&e));
    }
}

/// Cloud Control GetResource of `identifier` in the account and region of `rp`, as the read role.
async fn cloud_control_properties(sb: &TestSandbox, rp: &Value, type_name: &str, identifier: &str) -> Value {
    let (account, region) = (rp["account_id"].as_str().unwrap(), rp["region"].as_str().unwrap());
    let config = sb
        .role(account, "RecoveryConsoleRead", None)
        .await
        .into_builder()
        .region(aws_config::Region::new(region.to_string()))
        .build();
    let out = aws_sdk_cloudcontrol::Client::new(&config)
        .get_resource()
        .type_name(type_name)
        .identifier(identifier)
        .send()
        .await
        .unwrap();
    serde_json::from_str(out.resource_description().unwrap().properties().unwrap()).unwrap()
}

/// Starts a drill as alice and has erin approve its request; the drill's id.
async fn approved_drill(c: &TestConsole, (alice, erin): (&str, &str), body: Value) -> String {
    let (s, drill) = c.post_as(alice, "/api/v1/drills", body).await;
    assert_eq!(s, 201, "{drill}");
    let request_id = drill["request_id"].as_str().unwrap();
    let (_, request) = c.get_as(erin, &format!("/api/v1/requests/{request_id}")).await;
    let approve = json!({"params_hash": request["params_hash"]});
    let (s, body) = c.post_as(erin, &format!("/api/v1/requests/{request_id}/approve"), approve).await;
    assert_eq!(s, 200, "{body}");
    drill["id"].as_str().unwrap().to_string()
}

/// A path-style S3 client against the sandbox.
fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(config).force_path_style(true).build())
}

/// A drill of each type through its approval to a COMPLETED restore, a validation
/// through Cloud Control GetResource (the type's own read handler) and the clean-up
/// through Cloud Control DeleteResource. The sandbox answers GetResource with exactly
/// the properties of each type's CloudFormation schema (cfn-lint's, in
/// sandbox/schemas/cloudcontrol-properties.json).
#[tokio::test]
async fn drills_of_every_new_type_restore_validate_and_clean_up() {
    let schemas: Value =
        serde_json::from_str(include_str!("../../../sandbox/schemas/cloudcontrol-properties.json")).unwrap();
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, erin) = (c.sign_in("alice").await, c.sign_in("erin").await);
        // The readiness each schema allows: a read-only status property, or none.
        for (resource_type, scenario, type_name, id_prefix, ready) in [
            ("EBS", "ebs_restore", "AWS::EC2::Volume", "vol-", "no status property"),
            ("EFS", "efs_restore", "AWS::EFS::FileSystem", "fs-", "no status property"),
            ("S3", "s3_restore", "AWS::S3::Bucket", "", "no status property"),
            ("EC2", "ec2_restore", "AWS::EC2::Instance", "i-", "State running"),
            ("Aurora", "aurora_restore", "AWS::RDS::DBCluster", "", "no status property"),
        ] {
            let rp = point_of(&c, resource_type).await;
            let resource = rp["resource_arn"].as_str().unwrap();
            // The source resource, as Cloud Control reads it: only its schema's properties.
            let source = resource.rsplit(['/', ':']).next().unwrap();
            let props = cloud_control_properties(&sb, &rp, type_name, source).await;
            let allowed: Vec<&str> =
                schemas[type_name]["properties"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
            for name in props.as_object().unwrap().keys() {
                assert!(allowed.contains(&name.as_str()), "{type_name}: {name} is not in its schema");
            }
            assert!(!props.as_object().unwrap().is_empty(), "{type_name} {source}: {props}");

            let body = json!({"resource_arn": resource, "scenario": scenario, "retention_minutes": 5});
            let id = approved_drill(&c, (&alice, &erin), body).await;
            let mut report = Value::Null;
            for _ in 0..60 {
                c.executor.pass().await.unwrap();
                recovery_console::assurance::drills::pass(&c.state).await.unwrap();
                report = c.get_as(&alice, &format!("/api/v1/drills/{id}")).await.1;
                if ["completed", "failed"].contains(&report["status"].as_str().unwrap()) {
                    break;
                }
                sb.advance(300.0).await;
            }
            assert_eq!(report["status"], "completed", "{label} {resource_type}: {report}");
            assert_ne!(report["outcome"], "failed", "{label} {resource_type}: {report}");
            let restored = report["restored_arn"].as_str().unwrap();
            let identifier = restored.rsplit(['/', ':']).next().unwrap();
            assert!(identifier.starts_with(id_prefix), "{restored}");
            let validation = report["validation"].as_str().unwrap();
            assert!(
                validation.contains(&format!("GetResource {type_name} {identifier}: exists"))
                    && validation.contains(ready),
                "{label}: {report}"
            );
            let (_, world) = sb.admin(reqwest::Method::GET, "/_sandbox/resources", None).await;
            assert!(
                !world["resources"].as_array().unwrap().iter().any(|r| r == restored),
                "{label}: {restored} still exists"
            );
            if resource_type == "S3" {
                // The restored bucket held the recovery point's objects: Cloud Control's
                // delete handler refuses a bucket that is not empty, so the drill emptied
                // it first (ListObjectVersions, DeleteObjects), and says so in its audit.
                let auditor = c.sign_in("carol").await;
                let (_, audit) = c.get_as(&auditor, &format!("/api/v1/audit?subject=drill:{id}")).await;
                let items = audit["items"].as_array().unwrap();
                let emptied =
                    items.iter().find(|a| a["action"] == "drill.bucket_emptied").expect("drill.bucket_emptied");
                assert_eq!(emptied["details"]["bucket"], identifier, "{label}: {emptied}");
                assert!(emptied["details"]["versions_deleted"].as_u64().unwrap() > 1000, "{label}: {emptied}");
                assert!(items.iter().any(|a| a["action"] == "drill.cleanup_started"), "{label}: {audit}");
                assert!(identifier.contains("-drill-"), "{identifier}");
                let (account, region) = (rp["account_id"].as_str().unwrap(), rp["region"].as_str().unwrap());
                let config = sb.role(account, "RecoveryConsoleRead", None).await;
                let config = config.into_builder().region(aws_config::Region::new(region.to_string())).build();
                let err = s3_client(&config).list_object_versions().bucket(identifier).send().await.unwrap_err();
                assert_eq!(code(&err), "NoSuchBucket", "{label}: the drill's bucket is gone");
            }
        }
    }
}

/// An S3 drill whose bucket someone deleted by hand while it was retained: emptying
/// finds no bucket (S3 NoSuchBucket), Cloud Control's delete reports NotFound, and the
/// drill ends with its clean-up "already gone" instead of retrying for six hours.
#[tokio::test]
async fn an_s3_drill_whose_bucket_is_already_gone_completes() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, erin) = (c.sign_in("alice").await, c.sign_in("erin").await);
        let rp = point_of(&c, "S3").await;
        let body = json!({"resource_arn": rp["resource_arn"], "scenario": "s3_restore", "retention_minutes": 30});
        let id = approved_drill(&c, (&alice, &erin), body).await;
        let mut report = Value::Null;
        for _ in 0..60 {
            c.executor.pass().await.unwrap();
            recovery_console::assurance::drills::pass(&c.state).await.unwrap();
            report = c.get_as(&alice, &format!("/api/v1/drills/{id}")).await.1;
            if report["status"] != "restoring" && report["status"] != "awaiting_approval" {
                break;
            }
            sb.advance(300.0).await;
        }
        assert_eq!(report["status"], "retained", "{label}: {report}");
        let bucket = report["restored_arn"].as_str().unwrap().rsplit(':').next().unwrap().to_string();

        // Someone empties and deletes the bucket by hand.
        let config = sb.role(WORKLOAD_A, "RecoveryConsoleOperator", None).await;
        let s3 = s3_client(&config);
        loop {
            let page = s3.list_object_versions().bucket(&bucket).send().await.unwrap();
            let objects: Vec<_> = page
                .versions()
                .iter()
                .map(|v| {
                    let id = v.version_id().unwrap();
                    aws_sdk_s3::types::ObjectIdentifier::builder().key(v.key().unwrap()).version_id(id).build().unwrap()
                })
                .collect();
            if objects.is_empty() {
                break;
            }
            let delete = aws_sdk_s3::types::Delete::builder().set_objects(Some(objects)).build().unwrap();
            s3.delete_objects().bucket(&bucket).delete(delete).send().await.unwrap();
        }
        let cc = aws_sdk_cloudcontrol::Client::new(&config);
        cc.delete_resource().type_name("AWS::S3::Bucket").identifier(&bucket).send().await.unwrap();
        sb.advance(600.0).await;
        assert_eq!(code(&s3.list_object_versions().bucket(&bucket).send().await.unwrap_err()), "NoSuchBucket");

        for _ in 0..20 {
            sb.advance(600.0).await;
            recovery_console::assurance::drills::pass(&c.state).await.unwrap();
            report = c.get_as(&alice, &format!("/api/v1/drills/{id}")).await.1;
            if ["completed", "failed"].contains(&report["status"].as_str().unwrap()) {
                break;
            }
        }
        assert_eq!(report["status"], "completed", "{label}: {report}");
        assert_ne!(report["outcome"], "failed", "{label}: {report}");
        let auditor = c.sign_in("carol").await;
        let (_, audit) = c.get_as(&auditor, &format!("/api/v1/audit?subject=drill:{id}")).await;
        let done = audit["items"].as_array().unwrap().iter().find(|a| a["action"] == "drill.completed").unwrap();
        assert_eq!(done["details"]["cleanup"], "already gone", "{label}: {done}");
    }
}
