//! Restores, copies, idempotency, the cross-account rules and restore testing in the sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use aws_sdk_backup::types::RestoreJobStatus;

use crate::common::*;

const LOCAL_VAULT: &str = "workload-a-vault";
const CENTRAL_VAULT_ARN: &str = "arn:aws:backup:ap-southeast-2:222222222222:backup-vault:central-vault";
const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
const MYDB: &str = "arn:aws:rds:ap-southeast-2:111111111111:db:mydb";
const ROLE_A: &str = "arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole";

/// A copy of `rp` from `vault` into the vault `destination`, for the caller to add to and send.
fn copy(
    client: &aws_sdk_backup::Client,
    rp: impl Into<String>,
    vault: &str,
    destination: &str,
) -> aws_sdk_backup::operation::start_copy_job::builders::StartCopyJobFluentBuilder {
    client
        .start_copy_job()
        .recovery_point_arn(rp)
        .source_backup_vault_name(vault)
        .destination_backup_vault_arn(destination)
}

/// A validator's report of `status` on the restore test `job`, for the caller to send.
fn validation(
    client: &aws_sdk_backup::Client,
    job: impl Into<String>,
    status: &str,
) -> aws_sdk_backup::operation::put_restore_validation_result::builders::PutRestoreValidationResultFluentBuilder {
    client.put_restore_validation_result().restore_job_id(job).validation_status(status.into())
}

/// How many recovery points the workload account's own vault holds.
async fn local_points(client: &aws_sdk_backup::Client) -> i64 {
    client.describe_backup_vault().backup_vault_name(LOCAL_VAULT).send().await.unwrap().number_of_recovery_points()
}

#[tokio::test]
async fn a_restore_creates_a_new_table_and_never_takes_a_name_in_use() {
    let sb = spawn(0, 0.0).await;
    let op = sb.operator(WORKLOAD_A).await;
    let rp = latest_rp(&op, LOCAL_VAULT, TRACKING).await;
    let started = dynamo_restore(&op, &rp, "tracking-restored")
        .iam_role_arn(ROLE_A)
        .resource_type("DynamoDB")
        .send()
        .await
        .unwrap();
    let id = started.restore_job_id().unwrap().to_string();
    let job = op.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    assert_eq!(job.status(), Some(&RestoreJobStatus::Pending));
    assert_eq!(job.created_resource_arn(), None);

    // A second restore into the same name fails, as does restoring over the original.
    let clash = start_dynamo_restore(&op, &rp, "tracking-restored").await;
    let original = start_dynamo_restore(&op, &rp, "tracking").await;

    sb.advance(90.0).await;
    let job = op.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    assert_eq!(job.status(), Some(&RestoreJobStatus::Running));
    let pct: f64 = job.percent_done().unwrap().trim_end_matches('%').parse().unwrap();
    assert!(pct > 0.0 && pct < 100.0, "{pct}");

    sb.advance(3.0 * 3600.0).await;
    let job = op.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    assert_eq!(job.status(), Some(&RestoreJobStatus::Completed));
    assert_eq!(job.percent_done(), Some("100.00%"));
    assert_eq!(
        job.created_resource_arn(),
        Some("arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking-restored")
    );
    assert!(job.completion_date().is_some());
    assert_eq!(job.validation_status(), None, "a manual restore is not a restore test");
    for failed in [clash, original] {
        let job = op.describe_restore_job().restore_job_id(failed).send().await.unwrap();
        assert_eq!(job.status(), Some(&RestoreJobStatus::Failed));
        assert!(job.status_message().unwrap().starts_with("Table already exists"), "{:?}", job.status_message());
    }
    let meta = op.get_restore_job_metadata().restore_job_id(&id).send().await.unwrap();
    assert_eq!(meta.metadata().unwrap()["targetTableName"], "tracking-restored");
    let resource = op.describe_protected_resource().resource_arn(TRACKING).send().await.unwrap();
    let restored_at = resource.latest_restore_job_creation_date().unwrap().to_millis().unwrap();
    assert!((START..START + 60_000).contains(&restored_at), "{restored_at}");
}

#[tokio::test]
async fn restores_are_checked_before_they_start() {
    let sb = spawn(0, 0.0).await;
    let op = sb.operator(WORKLOAD_A).await;
    let rp = latest_rp(&op, LOCAL_VAULT, TRACKING).await;
    let db_rp = latest_rp(&op, LOCAL_VAULT, MYDB).await;
    let start = |rp: String, meta: Vec<(&str, &str)>| {
        let op = op.clone();
        let meta = meta.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        async move { op.start_restore_job().recovery_point_arn(rp).set_metadata(Some(meta)).send().await }
    };
    let err = start(rp.clone(), vec![("encryptionType", "Default")]).await.unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    assert!(message(&err).contains("targetTableName"));
    let err = start(rp.clone(), vec![("targetTableName", "t-two"), ("encryptionType", "KMS")]).await.unwrap_err();
    assert!(message(&err).contains("kmsMasterKeyArn"), "{}", message(&err));
    let err = start(rp.clone(), vec![("targetTableName", "t-two"), ("encryptionType", "Shiny")]).await.unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    // DynamoDB may choose its encryption; an RDS restore keeps the snapshot's key.
    start(rp.clone(), vec![("targetTableName", "t-default"), ("encryptionType", "Default")]).await.unwrap();
    let err = start(
        db_rp.clone(),
        vec![("dbInstanceIdentifier", "mydb-copy"), ("kmsKeyId", "arn:aws:kms:ap-southeast-2:111111111111:key/other")],
    )
    .await
    .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    assert!(message(&err).contains("keeps the KMS key"));
    let err = start(db_rp.clone(), vec![("dbInstanceIdentifier", "1-bad--name")]).await.unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    start(db_rp.clone(), vec![("dbInstanceIdentifier", "mydb-restored")]).await.unwrap();
    let err = op.start_restore_job().recovery_point_arn(&rp).send().await.unwrap_err();
    assert_eq!(code(&err), "MissingParameterValueException");
    let err = dynamo_restore(&op, &rp, "t-three").resource_type("RDS").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    let err =
        dynamo_restore(&op, &rp, "t-three").iam_role_arn("arn:aws:iam::222222222222:role/x").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    let gone = rp.replace(&rp[rp.len() - 6..], "000000");
    assert_eq!(code(&start(gone, vec![("targetTableName", "t-four")]).await.unwrap_err()), "ResourceNotFoundException");

    // A recovery point in another account's vault cannot be restored from here.
    let central = sb.reader(BACKUP).await;
    let copy = latest_rp(&central, "central-vault", TRACKING).await;
    let err = start(copy, vec![("targetTableName", "t-five")]).await.unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    assert!(message(&err).contains("same account"), "{}", message(&err));

    // The read role may look but not restore.
    let reader = sb.reader(WORKLOAD_A).await;
    let err = dynamo_restore(&reader, &rp, "t-six").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
}

#[tokio::test]
async fn the_same_idempotency_token_within_an_hour_starts_nothing_new() {
    let sb = spawn(0, 0.0).await;
    let op = sb.operator(WORKLOAD_A).await;
    let rp = latest_rp(&op, LOCAL_VAULT, TRACKING).await;
    let start = |name: &'static str| {
        let (op, rp) = (op.clone(), rp.clone());
        async move {
            dynamo_restore(&op, rp, name)
                .idempotency_token("approval-42")
                .send()
                .await
                .unwrap()
                .restore_job_id()
                .unwrap()
                .to_string()
        }
    };
    let before = all_items!(op.list_restore_jobs()).len();
    let first = start("idem-1").await;
    sb.advance(1800.0).await;
    let second = start("idem-1").await;
    assert_eq!(first, second);
    let after = all_items!(op.list_restore_jobs());
    assert_eq!(after.iter().filter(|j| j.created_by().and_then(|c| c.restore_testing_plan_arn()).is_none()).count(), 1);
    assert_eq!(after.len(), before + 1, "the frozen clock starts no other job meanwhile");
    sb.advance(3600.0).await;
    let third = start("idem-2").await;
    assert_ne!(first, third, "after an hour the token starts a new job");

    let copy_once = |token: &'static str| {
        let (op, rp) = (op.clone(), rp.clone());
        async move {
            copy(&op, rp, LOCAL_VAULT, CENTRAL_VAULT_ARN)
                .iam_role_arn(ROLE_A)
                .idempotency_token(token)
                .send()
                .await
                .unwrap()
                .copy_job_id()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(copy_once("copy-1").await, copy_once("copy-1").await);
    assert_ne!(copy_once("copy-1").await, copy_once("copy-2").await);
}

#[tokio::test]
async fn cross_account_recovery_is_a_copy_then_a_restore_in_the_target_account() {
    let sb = spawn(0, 0.0).await;
    let a = sb.operator(WORKLOAD_A).await;
    let rp = latest_rp(&a, LOCAL_VAULT, MYDB).await;
    let copy_id = copy(&a, &rp, LOCAL_VAULT, CENTRAL_VAULT_ARN)
        .iam_role_arn(ROLE_A)
        .send()
        .await
        .unwrap()
        .copy_job_id()
        .unwrap()
        .to_string();
    let job = a.describe_copy_job().copy_job_id(&copy_id).send().await.unwrap();
    assert_eq!(job.copy_job().unwrap().state().map(|s| s.as_str()), Some("CREATED"));
    sb.advance(2.0 * 3600.0).await;
    let job = a.describe_copy_job().copy_job_id(&copy_id).send().await.unwrap();
    let job = job.copy_job().unwrap();
    assert_eq!(job.state().map(|s| s.as_str()), Some("COMPLETED"));
    let destination = job.destination_recovery_point_arn().unwrap().to_string();
    assert!(destination.contains(":222222222222:"));

    // The copy sits in the central vault and names its source vault.
    let b = sb.operator(BACKUP).await;
    let copied = b
        .describe_recovery_point()
        .backup_vault_name("central-vault")
        .recovery_point_arn(&destination)
        .send()
        .await
        .unwrap();
    assert_eq!(
        copied.source_backup_vault_arn(),
        Some("arn:aws:backup:ap-southeast-2:111111111111:backup-vault:workload-a-vault")
    );
    assert_eq!(copied.resource_arn(), Some(MYDB));
    // ... and the backup account restores it into a new instance of its own.
    let restore = b
        .start_restore_job()
        .recovery_point_arn(&destination)
        .set_metadata(Some([("dbInstanceIdentifier".to_string(), "mydb-recovered".to_string())].into()))
        .send()
        .await
        .unwrap();
    sb.advance(3.0 * 3600.0).await;
    let restored = b.describe_restore_job().restore_job_id(restore.restore_job_id().unwrap()).send().await.unwrap();
    assert_eq!(restored.status(), Some(&RestoreJobStatus::Completed));
    assert_eq!(restored.created_resource_arn(), Some("arn:aws:rds:ap-southeast-2:222222222222:db:mydb-recovered"));

    // Outside the organization: AWS starts the job and fails it (re:Post knowledge center,
    // backup-troubleshoot-cross-account-copy: "Copy job failed. Both source and destination
    // account must be a member of the same organization").
    let outside = copy(&a, &rp, LOCAL_VAULT, "arn:aws:backup:ap-southeast-2:333333333333:backup-vault:partner-vault")
        .iam_role_arn(ROLE_A)
        .send()
        .await
        .unwrap();
    sb.advance(3600.0).await;
    let job = a.describe_copy_job().copy_job_id(outside.copy_job_id().unwrap()).send().await.unwrap();
    let job = job.copy_job().unwrap();
    assert_eq!(job.state().map(|s| s.as_str()), Some("FAILED"));
    assert_eq!(
        job.status_message(),
        Some("Both source and destination account must be a member of the same organization")
    );
    assert_eq!(job.destination_recovery_point_arn(), None);

    // Into a vault whose policy does not allow it: the job fails and leaves nothing.
    let central_rp = latest_rp(&b, "central-vault", MYDB).await;
    let denied = copy(
        &b,
        &central_rp,
        "central-vault",
        "arn:aws:backup:ap-southeast-2:111111111111:backup-vault:workload-a-vault",
    )
    .iam_role_arn("arn:aws:iam::222222222222:role/backup")
    .send()
    .await
    .unwrap();
    let before = local_points(&a).await;
    sb.advance(3600.0).await;
    let job = b.describe_copy_job().copy_job_id(denied.copy_job_id().unwrap()).send().await.unwrap();
    let job = job.copy_job().unwrap();
    assert_eq!(job.state().map(|s| s.as_str()), Some("FAILED"));
    assert!(job.status_message().unwrap().contains("does not allow backup:CopyIntoBackupVault"));
    assert_eq!(job.destination_recovery_point_arn(), None);
    let after = local_points(&a).await;
    assert_eq!(before, after);

    // A copy must start in the account that holds the recovery point.
    let err = copy(&b, &rp, "central-vault", CENTRAL_VAULT_ARN)
        .iam_role_arn("arn:aws:iam::222222222222:role/backup")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    let err = copy(&a, &rp, LOCAL_VAULT, CENTRAL_VAULT_ARN).send().await.unwrap_err();
    assert_eq!(code(&err), "MissingParameterValueException");
}

#[tokio::test]
async fn a_restore_testing_plan_runs_validates_and_cleans_up() {
    let sb = spawn(0, 0.0).await;
    let op = sb.operator(WORKLOAD_A).await;
    let plan =
        op.get_restore_testing_plan().restore_testing_plan_name("tracking_daily_restore_test").send().await.unwrap();
    let plan_arn = plan.restore_testing_plan().unwrap().restore_testing_plan_arn().to_string();
    let id = sb.run_plan(WORKLOAD_A, "tracking_daily_restore_test").await.remove(0);
    let job = op.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    assert_eq!(job.created_by().unwrap().restore_testing_plan_arn(), Some(plan_arn.as_str()));
    // LATEST_WITHIN_WINDOW: the newest recovery point of the table.
    assert_eq!(job.recovery_point_arn().unwrap(), latest_rp(&op, LOCAL_VAULT, TRACKING).await);
    assert_eq!(job.validation_status(), None);
    let err = validation(&op, &id, "SUCCESSFUL").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException", "{}", message(&err));

    // Completed: the table exists and awaits a validator. AWS sets no validation
    // status by itself (developer guide, "Restore testing validation": the status
    // shows once a validation has run).
    let minutes = job.expected_completion_time_minutes().unwrap() as f64;
    sb.advance((minutes + 1.0) * 60.0).await;
    let job = op.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    assert_eq!(job.status(), Some(&RestoreJobStatus::Completed));
    assert_eq!(job.validation_status(), None);
    assert_eq!(job.deletion_status(), None);
    let table = job.created_resource_arn().unwrap().to_string();
    assert!(table.contains("table/tracking-restore-test-"));

    // An external validator reports (the validator role may, the read role may not);
    // the restored table is deleted afterwards.
    let reader = sb.reader(WORKLOAD_A).await;
    let err = validation(&reader, &id, "SUCCESSFUL").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    let validator = aws_sdk_backup::Client::new(&sb.role(WORKLOAD_A, "RecoveryConsoleValidator", None).await);
    let rp = latest_rp(&op, LOCAL_VAULT, TRACKING).await;
    let err = dynamo_restore(&validator, rp, "by-validator").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException", "the validator role starts nothing");
    validation(&validator, &id, "VALIDATING").send().await.unwrap();
    assert_eq!(op.describe_restore_job().restore_job_id(&id).send().await.unwrap().deletion_status(), None);
    validation(&validator, &id, "FAILED").validation_status_message("row count 0").send().await.unwrap();
    let job = op.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    assert_eq!(job.validation_status().map(|s| s.as_str()), Some("FAILED"));
    assert_eq!(job.validation_status_message(), Some("row count 0"));
    assert_eq!(job.deletion_status().map(|s| s.as_str()), Some("DELETING"));
    sb.advance(15.0 * 60.0).await;
    let job = op.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    assert_eq!(job.deletion_status().map(|s| s.as_str()), Some("SUCCESSFUL"));
    let err = validation(&op, &id, "SUCCESSFUL").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");
    let manual = start_dynamo_restore(&op, latest_rp(&op, LOCAL_VAULT, TRACKING).await, "manual").await;
    let err = validation(&op, manual, "SUCCESSFUL").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidRequestException");

    // The schedule goes on by itself: cron(0 18 ? * * *) runs once a day. A test
    // nobody validates keeps no validation status (AWS does not time it out) and
    // its table is deleted when the window closes.
    let before = all_items!(op.list_restore_jobs().by_restore_testing_plan_arn(&plan_arn)).len();
    sb.advance(2.0 * 86_400.0).await;
    let after = all_items!(op.list_restore_jobs().by_restore_testing_plan_arn(&plan_arn));
    assert_eq!(after.len(), before + 2);
    let newest = &after[0];
    assert!(newest.validation_status().is_none());
    assert!(newest.deletion_status().is_some() || newest.status() == Some(&RestoreJobStatus::Failed));
    let plan =
        op.get_restore_testing_plan().restore_testing_plan_name("tracking_daily_restore_test").send().await.unwrap();
    let last = plan.restore_testing_plan().unwrap().last_execution_time().unwrap().to_millis().unwrap();
    assert_eq!(last, newest.creation_date().unwrap().to_millis().unwrap());
}

#[tokio::test]
async fn jobs_and_backups_move_on_with_the_clock() {
    let sb = spawn(0, 0.0).await;
    let op = sb.operator(WORKLOAD_A).await;
    let rp = latest_rp(&op, LOCAL_VAULT, TRACKING).await;
    let id = start_dynamo_restore(&op, rp, "fast").await;
    let status = || async {
        op.describe_restore_job().restore_job_id(&id).send().await.unwrap().status().unwrap().as_str().to_string()
    };
    // A frozen clock holds the job where it is; each step moves it on.
    let first = status().await;
    assert_ne!(first, "COMPLETED");
    assert_eq!(status().await, first, "nothing moves while the clock stands still");
    let mut seen = vec![first];
    for _ in 0..100 {
        sb.advance(120.0).await;
        let now = status().await;
        if seen.last() != Some(&now) {
            seen.push(now.clone());
        }
        if now == "COMPLETED" {
            break;
        }
    }
    assert_eq!(seen.last().map(String::as_str), Some("COMPLETED"), "{seen:?}");
    // Backups go on too: a day later there is a newer recovery point.
    let points = || async { local_points(&op).await };
    let before = points().await;
    sb.advance(26.0 * 3600.0).await;
    let after = points().await;
    assert!(after > before, "{before} -> {after}");
}

#[tokio::test]
async fn a_scaled_clock_runs_faster_than_real_time() {
    // Two sandbox hours per real second; only a lower bound, so a slow runner cannot fail it.
    let sb = spawn(0, 7200.0).await;
    let start = sb.now_ms().await;
    let real = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let elapsed_real = real.elapsed().as_millis() as i64;
    let elapsed = sb.now_ms().await - start;
    assert!(elapsed >= 100 * 7200, "{elapsed} sandbox ms in {elapsed_real} real ms");
}

/// Review item 4: workload_a has no default VPC (a landing zone). RDS places a
/// restored instance in the default VPC's `default` DB subnet group unless
/// `DBSubnetGroupName` names one (RDS API Reference, RestoreDBInstanceFromDBSnapshot;
/// DBSubnetGroupNotFoundFault), so a restore with the identifier alone fails there;
/// one that starts from GetRecoveryPointRestoreMetadata (which names the instance's
/// own subnet group) completes. Metadata keys are read case-insensitively.
#[tokio::test]
async fn an_rds_restore_without_a_default_vpc_needs_a_db_subnet_group() {
    let sb = spawn(0, 0.0).await;
    let op = sb.operator(WORKLOAD_A).await;
    let db_rp = latest_rp(&op, LOCAL_VAULT, MYDB).await;
    let base = op
        .get_recovery_point_restore_metadata()
        .backup_vault_name(LOCAL_VAULT)
        .recovery_point_arn(&db_rp)
        .send()
        .await
        .unwrap()
        .restore_metadata()
        .cloned()
        .unwrap();
    assert_eq!(base.get("dbSubnetGroupName").map(String::as_str), Some("workload-a-db"));
    let restore = |meta: Vec<(&str, &str)>| {
        let (op, rp) = (op.clone(), db_rp.clone());
        let meta = meta.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        async move {
            let id = op.start_restore_job().recovery_point_arn(rp).set_metadata(Some(meta)).send().await.unwrap();
            id.restore_job_id().unwrap().to_string()
        }
    };
    let bare = restore(vec![("dbInstanceIdentifier", "mydb-bare")]).await;
    let wrong = restore(vec![("dbInstanceIdentifier", "mydb-wrong"), ("DBSubnetGroupName", "nope")]).await;
    let mut full: Vec<(&str, &str)> = base.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    full.retain(|(k, _)| *k != "dbInstanceIdentifier");
    full.push(("DBINSTANCEIDENTIFIER", "mydb-placed"));
    let placed = restore(full).await;
    sb.advance(3.0 * 3600.0).await;
    let job = |id: String| {
        let op = op.clone();
        async move { op.describe_restore_job().restore_job_id(id).send().await.unwrap() }
    };
    let bare = job(bare).await;
    assert_eq!(bare.status(), Some(&RestoreJobStatus::Failed));
    assert!(bare.status_message().unwrap().contains("no default VPC"), "{bare:?}");
    let wrong = job(wrong).await;
    assert_eq!(wrong.status(), Some(&RestoreJobStatus::Failed));
    assert!(wrong.status_message().unwrap().contains("DBSubnetGroupNotFoundFault"));
    let placed = job(placed).await;
    assert_eq!(placed.status(), Some(&RestoreJobStatus::Completed), "{placed:?}");
    assert_eq!(placed.created_resource_arn(), Some("arn:aws:rds:ap-southeast-2:111111111111:db:mydb-placed"));
}

/// Developer guide, "Backup and tag copy": "Copies retain their source configuration,
/// including creation dates and retention period. The creation date refers to when the
/// source was created, not when the copy was created. You can override the retention
/// period." A copy without a Lifecycle keeps its source's date and deletion date; one
/// with a Lifecycle keeps the date and takes the new retention.
#[tokio::test]
async fn a_copy_keeps_its_sources_creation_date_and_retention_unless_told_otherwise() {
    let sb = spawn(0, 0.0).await;
    let a = sb.operator(WORKLOAD_A).await;
    let b = sb.operator(BACKUP).await;
    let rp = latest_rp(&a, LOCAL_VAULT, TRACKING).await;
    let source =
        a.describe_recovery_point().backup_vault_name(LOCAL_VAULT).recovery_point_arn(&rp).send().await.unwrap();
    let source_deletes = source.calculated_lifecycle().and_then(|l| l.delete_at()).cloned();
    assert!(source_deletes.is_some(), "the demo world's backups have a retention");
    let lifecycle = aws_sdk_backup::types::Lifecycle::builder().delete_after_days(400).build();
    let mut copies = Vec::new();
    for lifecycle in [None, Some(lifecycle)] {
        let started = copy(&a, &rp, LOCAL_VAULT, CENTRAL_VAULT_ARN).iam_role_arn(ROLE_A).set_lifecycle(lifecycle);
        copies.push(started.send().await.unwrap().copy_job_id().unwrap().to_string());
        sb.advance(3.0 * 3600.0).await;
    }
    let described = |id: String| {
        let (a, b) = (&a, &b);
        async move {
            let job = a.describe_copy_job().copy_job_id(id).send().await.unwrap();
            let arn = job.copy_job().unwrap().destination_recovery_point_arn().unwrap().to_string();
            b.describe_recovery_point().backup_vault_name("central-vault").recovery_point_arn(arn).send().await.unwrap()
        }
    };
    let inherited = described(copies[0].clone()).await;
    assert_eq!(inherited.creation_date(), source.creation_date(), "the source's creation date, hours before the copy");
    assert_eq!(inherited.calculated_lifecycle().and_then(|l| l.delete_at()).cloned(), source_deletes);
    let overridden = described(copies[1].clone()).await;
    assert_eq!(overridden.creation_date(), source.creation_date());
    assert_eq!(overridden.lifecycle().and_then(|l| l.delete_after_days()), Some(400));
    let day = 86_400_000;
    let deletes = overridden.calculated_lifecycle().and_then(|l| l.delete_at()).unwrap().to_millis().unwrap();
    assert_eq!(
        deletes,
        source.creation_date().unwrap().to_millis().unwrap() + 400 * day,
        "counted from the source's date"
    );
}

/// Cold storage (Backup model, `Lifecycle`): a plan's MoveToColdStorageAfterDays moves
/// the types that can go cold (the demo's EFS file system) after those days, and is
/// ignored for the others (an RDS instance keeps WARM and has no MoveToColdStorageAt);
/// a copy's Lifecycle keeps MoveToColdStorageAfterDays, and DeleteAfterDays must be at
/// least 90 days after it.
#[tokio::test]
async fn cold_storage_follows_the_lifecycle_and_copies_keep_it() {
    const PLATFORM_VAULT: &str = "workload-a-platform";
    const FILE_SYSTEM: &str = "arn:aws:elasticfilesystem:ap-southeast-2:111111111111:file-system/fs-0fee1900d5ea50001";
    let sb = spawn(0, 0.0).await;
    let a = sb.operator(WORKLOAD_A).await;
    let b = sb.operator(BACKUP).await;
    let points: Vec<_> = all_items!(a
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(PLATFORM_VAULT)
        .by_resource_arn(FILE_SYSTEM)
        .max_results(100));
    let day = 86_400_000;
    let describe = |vault: &'static str, arn: String, client: aws_sdk_backup::Client| async move {
        client.describe_recovery_point().backup_vault_name(vault).recovery_point_arn(arn).send().await.unwrap()
    };
    let mut classes = Vec::new();
    for p in &points {
        let d = describe(PLATFORM_VAULT, p.recovery_point_arn().unwrap().to_string(), a.clone()).await;
        let created = d.creation_date().unwrap().to_millis().unwrap();
        let cold_at = d.calculated_lifecycle().and_then(|l| l.move_to_cold_storage_at()).unwrap().to_millis().unwrap();
        assert_eq!(cold_at, created + 30 * day);
        let expected = if cold_at <= START { "COLD" } else { "WARM" };
        assert_eq!(d.storage_class().map(|c| c.as_str()), Some(expected));
        classes.push(expected);
    }
    assert!(classes.contains(&"COLD") && classes.contains(&"WARM"), "{classes:?}");
    let mydb = latest_rp(&a, LOCAL_VAULT, MYDB).await;
    let d = describe(LOCAL_VAULT, mydb, a.clone()).await;
    assert_eq!(d.storage_class().map(|c| c.as_str()), Some("WARM"));
    assert!(d.calculated_lifecycle().and_then(|l| l.move_to_cold_storage_at()).is_none());

    let newest = points[0].recovery_point_arn().unwrap().to_string();
    let lifecycle = |delete: i64| {
        Some(
            aws_sdk_backup::types::Lifecycle::builder()
                .move_to_cold_storage_after_days(30)
                .delete_after_days(delete)
                .build(),
        )
    };
    let start = |delete: i64| {
        copy(&a, &newest, PLATFORM_VAULT, CENTRAL_VAULT_ARN)
            .iam_role_arn(ROLE_A)
            .set_lifecycle(lifecycle(delete))
            .send()
    };
    assert_eq!(code(&start(60).await.unwrap_err()), "InvalidParameterValueException");
    let id = start(400).await.unwrap().copy_job_id().unwrap().to_string();
    sb.advance(3.0 * 3600.0).await;
    let job = a.describe_copy_job().copy_job_id(id).send().await.unwrap();
    let job = job.copy_job().unwrap();
    assert_eq!(job.destination_recovery_point_lifecycle().and_then(|l| l.move_to_cold_storage_after_days()), Some(30));
    let copied = describe("central-vault", job.destination_recovery_point_arn().unwrap().to_string(), b.clone()).await;
    assert_eq!(copied.lifecycle().and_then(|l| l.move_to_cold_storage_after_days()), Some(30));
    assert_eq!(copied.lifecycle().and_then(|l| l.delete_after_days()), Some(400));
}
