//! The read operations of AWS Backup in the sandbox: shapes, filters, paging, errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_backup::operation::list_recovery_points_by_backup_vault::builders::ListRecoveryPointsByBackupVaultFluentBuilder;
use aws_sdk_backup::primitives::DateTime;

use crate::common::*;

const LOCAL_VAULT: &str = "workload-a-vault";
const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
const MYDB: &str = "arn:aws:rds:ap-southeast-2:111111111111:db:mydb";

/// A listing of the workload account's own vault, for the caller to filter and send.
fn local_points(a: &aws_sdk_backup::Client) -> ListRecoveryPointsByBackupVaultFluentBuilder {
    a.list_recovery_points_by_backup_vault().backup_vault_name(LOCAL_VAULT)
}

#[tokio::test]
async fn the_demo_world_holds_the_brief_scenario() {
    let sb = spawn(0, 0.0).await;
    let a = sb.reader(WORKLOAD_A).await;
    let vaults = a.list_backup_vaults().send().await.unwrap();
    let vault = vaults.backup_vault_list().iter().find(|v| v.backup_vault_name() == Some(LOCAL_VAULT)).unwrap();
    assert_eq!(vault.backup_vault_name(), Some(LOCAL_VAULT));
    let vault_key = vault.encryption_key_arn().unwrap().to_string();
    assert!(vault_key.starts_with("arn:aws:kms:ap-southeast-2:111111111111:key/"));
    // 90 days of daily backups of two resources, less the odd failed backup.
    let count = vault.number_of_recovery_points();
    assert!((170..=182).contains(&count), "{count}");

    let described = a.describe_backup_vault().backup_vault_name(LOCAL_VAULT).send().await.unwrap();
    assert_eq!(described.number_of_recovery_points(), count);
    assert_eq!(
        code(&a.describe_backup_vault().backup_vault_name("nope").send().await.unwrap_err()),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(&a.get_backup_vault_access_policy().backup_vault_name(LOCAL_VAULT).send().await.unwrap_err()),
        "ResourceNotFoundException"
    );

    // The central vault of the backup account admits copies from the organization.
    let b = sb.reader(BACKUP).await;
    let policy = b.get_backup_vault_access_policy().backup_vault_name("central-vault").send().await.unwrap();
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    // The landing-zone pattern: a Deny of copies from outside the organization, then the Allow.
    assert_eq!(policy["Statement"][0]["Effect"], "Deny");
    assert_eq!(policy["Statement"][0]["Condition"]["StringNotEquals"]["aws:PrincipalOrgID"], "o-rc7demo0001");
    assert_eq!(policy["Statement"][1]["Action"], "backup:CopyIntoBackupVault");
    assert_eq!(policy["Statement"][1]["Condition"]["StringEquals"]["aws:PrincipalOrgID"], "o-rc7demo0001");
    let central = b.list_recovery_points_by_backup_vault().backup_vault_name("central-vault").send().await.unwrap();
    let copies = central.recovery_points();
    assert!(copies.len() > 150);
    for rp in copies {
        assert_eq!(
            rp.source_backup_vault_arn(),
            Some("arn:aws:backup:ap-southeast-2:111111111111:backup-vault:workload-a-vault")
        );
        assert_ne!(rp.encryption_key_arn(), Some(vault_key.as_str()), "copies use the central vault's key");
    }

    // Recovery points: DynamoDB ones carry the vault's key, RDS snapshots the database's own.
    let rps = local_points(&a).max_results(10).send().await.unwrap();
    let dynamo = rps.recovery_points().iter().find(|rp| rp.resource_arn() == Some(TRACKING)).unwrap();
    let rds = rps.recovery_points().iter().find(|rp| rp.resource_arn() == Some(MYDB)).unwrap();
    assert_eq!(dynamo.encryption_key_arn(), Some(vault_key.as_str()));
    assert_ne!(rds.encryption_key_arn(), Some(vault_key.as_str()));
    assert!(rds.recovery_point_arn().unwrap().contains(":snapshot:awsbackup:job-"));
    assert_eq!(dynamo.status().map(|s| s.as_str()), Some("COMPLETED"));
    assert!(dynamo.calculated_lifecycle().unwrap().delete_at().is_some());
    assert_eq!(dynamo.created_by().unwrap().backup_plan_name(), Some("workload-a-daily"));

    let arn = dynamo.recovery_point_arn().unwrap();
    let one = a.describe_recovery_point().backup_vault_name(LOCAL_VAULT).recovery_point_arn(arn).send().await.unwrap();
    assert_eq!(one.resource_name(), Some("tracking"));
    assert_eq!(one.storage_class().map(|s| s.as_str()), Some("WARM"));
    let meta = a
        .get_recovery_point_restore_metadata()
        .backup_vault_name(LOCAL_VAULT)
        .recovery_point_arn(arn)
        .send()
        .await
        .unwrap();
    let meta = meta.restore_metadata().unwrap();
    assert_eq!(meta.get("targetTableName").map(String::as_str), Some("tracking"));
    assert_eq!(meta.get("encryptionType").map(String::as_str), Some("KMS"));
    let inferred = a
        .get_restore_testing_inferred_metadata()
        .backup_vault_name(LOCAL_VAULT)
        .recovery_point_arn(arn)
        .send()
        .await
        .unwrap();
    assert!(inferred.inferred_metadata()["targetTableName"].starts_with("tracking-restore-test-"));
    let missing = arn.replace(&arn[arn.len() - 4..], "0000");
    assert_eq!(
        code(
            &a.describe_recovery_point()
                .backup_vault_name(LOCAL_VAULT)
                .recovery_point_arn(missing)
                .send()
                .await
                .unwrap_err()
        ),
        "ResourceNotFoundException"
    );

    // Protected resources report their last backup and latest restore figures.
    // tracking, mydb and the five platform resources (one of each other type).
    let resources = a.list_protected_resources().send().await.unwrap();
    assert_eq!(resources.results().len(), 7);
    let tracking = a.describe_protected_resource().resource_arn(TRACKING).send().await.unwrap();
    assert!(tracking.last_backup_time().is_some());
    assert!(tracking.latest_restore_execution_time_minutes().unwrap() > 0);
    assert!(tracking.latest_restore_job_creation_date().is_some());
    let by_resource = a.list_recovery_points_by_resource().resource_arn(MYDB).send().await.unwrap();
    assert!(by_resource.recovery_points().len() > 80);

    let settings = a.describe_global_settings().send().await.unwrap();
    assert_eq!(
        settings.global_settings().unwrap().get("isCrossAccountBackupEnabled").map(String::as_str),
        Some("true")
    );
    let outsider = sb.reader(OUTSIDER).await;
    assert_eq!(code(&outsider.describe_global_settings().send().await.unwrap_err()), "InvalidRequestException");
}

#[tokio::test]
async fn recovery_points_page_to_the_end_with_every_filter() {
    let sb = spawn(0, 0.0).await;
    let a = sb.reader(WORKLOAD_A).await;
    let all = local_points(&a).send().await.unwrap();
    let all: Vec<String> =
        all.recovery_points().iter().map(|rp| rp.recovery_point_arn().unwrap().to_string()).collect();
    let mut paged = Vec::new();
    let mut pages = 0;
    let mut token = None;
    loop {
        let page = local_points(&a).max_results(40).set_next_token(token).send().await.unwrap();
        assert!(page.recovery_points().len() <= 40);
        pages += 1;
        paged.extend(page.recovery_points().iter().map(|rp| rp.recovery_point_arn().unwrap().to_string()));
        token = page.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(paged, all, "pages put together are the whole list, in the same order");
    assert!(pages >= 5);

    // The SDK paginator walks the same pages.
    let from_paginator: Vec<_> = all_items!(local_points(&a).max_results(25));
    assert_eq!(from_paginator.len(), all.len());

    let by_arn = local_points(&a).by_resource_arn(MYDB).send().await.unwrap();
    assert!(by_arn.recovery_points().iter().all(|rp| rp.resource_arn() == Some(MYDB)));
    let by_type = local_points(&a).by_resource_type("DynamoDB").send().await.unwrap();
    assert!(by_type.recovery_points().iter().all(|rp| rp.resource_type() == Some("DynamoDB")));
    assert_eq!(by_arn.recovery_points().len() + by_type.recovery_points().len(), all.len());

    let week_ago = DateTime::from_millis(START - 7 * 86_400_000);
    let recent = local_points(&a).by_created_after(week_ago).send().await.unwrap();
    assert!((12..=16).contains(&recent.recovery_points().len()), "{}", recent.recovery_points().len());
    assert!(recent
        .recovery_points()
        .iter()
        .all(|rp| rp.creation_date().unwrap().to_millis().unwrap() >= START - 7 * 86_400_000));
    let older = local_points(&a).by_created_before(week_ago).send().await.unwrap();
    assert_eq!(recent.recovery_points().len() + older.recovery_points().len(), all.len());

    let plan_id = recent.recovery_points()[0].created_by().unwrap().backup_plan_id().unwrap().to_string();
    let by_plan = local_points(&a).by_backup_plan_id(plan_id).send().await.unwrap();
    assert_eq!(by_plan.recovery_points().len(), all.len());
    let by_other_plan = local_points(&a).by_backup_plan_id("other").send().await.unwrap();
    assert!(by_other_plan.recovery_points().is_empty());
    let by_parent = local_points(&a).by_parent_recovery_point_arn(&all[0]).send().await.unwrap();
    assert!(by_parent.recovery_points().is_empty());

    // Tokens the sandbox did not issue, or issued for another list, are refused.
    let err = local_points(&a).next_token("forged").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    let jobs_token = a.list_backup_jobs().max_results(1).send().await.unwrap().next_token().unwrap().to_string();
    let err = local_points(&a).next_token(jobs_token).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    let err = local_points(&a).max_results(0).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    let err = a.list_recovery_points_by_backup_vault().backup_vault_name("missing").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test]
async fn job_lists_filter_and_the_hub_sees_the_whole_organization() {
    let sb = spawn(6, 0.0).await;
    let a = sb.reader(WORKLOAD_A).await;
    let jobs: Vec<_> = all_items!(a.list_backup_jobs().max_results(50));
    // ListBackupJobs lists the last 30 days only (service model): seven resources, daily.
    assert!(jobs.len() >= 7 * 29, "{}", jobs.len());
    assert!(jobs.iter().all(|j| j.account_id() == Some(WORKLOAD_A)));
    let completed = a.list_backup_jobs().by_state("COMPLETED".into()).by_resource_arn(TRACKING).send().await.unwrap();
    assert!(completed
        .backup_jobs()
        .iter()
        .all(|j| j.state().map(|s| s.as_str()) == Some("COMPLETED") && j.resource_arn() == Some(TRACKING)));
    let in_vault = a.list_backup_jobs().by_backup_vault_name(LOCAL_VAULT).by_resource_type("RDS").send().await.unwrap();
    assert!(!in_vault.backup_jobs().is_empty());
    let day = 86_400_000;
    let window = a
        .list_backup_jobs()
        .by_backup_vault_name(LOCAL_VAULT)
        .by_complete_after(DateTime::from_millis(START - 3 * day))
        .by_complete_before(DateTime::from_millis(START - day))
        .send()
        .await
        .unwrap();
    assert!((3..=4).contains(&window.backup_jobs().len()), "{}", window.backup_jobs().len());
    assert_eq!(
        code(&a.list_backup_jobs().by_state("SLEEPING".into()).send().await.unwrap_err()),
        "InvalidParameterValueException"
    );
    let job_id = jobs[0].backup_job_id().unwrap();
    let one = a.describe_backup_job().backup_job_id(job_id).send().await.unwrap();
    assert_eq!(one.backup_job_id(), Some(job_id));

    let copies = a.list_copy_jobs().send().await.unwrap();
    let copy = &copies.copy_jobs()[0];
    assert_eq!(
        copy.destination_backup_vault_arn(),
        Some("arn:aws:backup:ap-southeast-2:222222222222:backup-vault:central-vault")
    );
    assert!(copy.destination_recovery_point_arn().is_some());
    let described = a.describe_copy_job().copy_job_id(copy.copy_job_id().unwrap()).send().await.unwrap();
    assert_eq!(described.copy_job().unwrap().copy_job_id(), copy.copy_job_id());
    let by_dest = a
        .list_copy_jobs()
        .by_destination_vault_arn("arn:aws:backup:ap-southeast-2:222222222222:backup-vault:other")
        .send()
        .await
        .unwrap();
    assert!(by_dest.copy_jobs().is_empty());
    let by_source = a
        .list_copy_jobs()
        .by_source_recovery_point_arn(copy.source_recovery_point_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(by_source.copy_jobs().len(), 1);
    let day = 86_400_000;
    let completed_copies = a
        .list_copy_jobs()
        .by_state("COMPLETED".into())
        .by_resource_type("DynamoDB")
        .by_created_after(DateTime::from_millis(START - 5 * day))
        .by_complete_before(DateTime::from_millis(START))
        .by_message_category("SUCCESS")
        .by_account_id(WORKLOAD_A)
        .send()
        .await
        .unwrap();
    assert!((4..=6).contains(&completed_copies.copy_jobs().len()), "{}", completed_copies.copy_jobs().len());
    assert!(completed_copies.copy_jobs().iter().all(|j| j.resource_type() == Some("DynamoDB")));
    assert!(a
        .list_copy_jobs()
        .by_resource_arn(MYDB)
        .by_parent_job_id("none")
        .send()
        .await
        .unwrap()
        .copy_jobs()
        .is_empty());
    assert!(a
        .list_copy_jobs()
        .by_created_before(DateTime::from_millis(START - 200 * day))
        .send()
        .await
        .unwrap()
        .copy_jobs()
        .is_empty());
    assert_eq!(code(&a.describe_copy_job().copy_job_id("nope").send().await.unwrap_err()), "ResourceNotFoundException");

    // Member accounts may not read other accounts' jobs ...
    let err = a.list_backup_jobs().by_account_id(BACKUP).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    // ... the management account reads the whole organization, page by page.
    let hub = aws_sdk_backup::Client::new(&sb.hub().await);
    let org_jobs: Vec<_> = all_items!(hub.list_backup_jobs().by_account_id("*").max_results(400));
    let accounts: std::collections::BTreeSet<_> =
        org_jobs.iter().map(|j| j.account_id().unwrap().to_string()).collect();
    assert!(accounts.contains(WORKLOAD_A) && accounts.contains("400000000001"));
    assert!(!accounts.contains(OUTSIDER));
    let only_a = all_items!(hub.list_backup_jobs().by_account_id(WORKLOAD_A));
    assert_eq!(only_a.len(), jobs.len());
    let hub_restores = hub.list_restore_jobs().by_account_id(WORKLOAD_A).send().await.unwrap();
    assert!(!hub_restores.restore_jobs().is_empty());
    let hub_copies = hub.list_copy_jobs().by_account_id(WORKLOAD_A).send().await.unwrap();
    assert!(!hub_copies.copy_jobs().is_empty());
}

#[tokio::test]
async fn restore_testing_plans_and_their_history() {
    let sb = spawn(0, 0.0).await;
    let a = sb.reader(WORKLOAD_A).await;
    let plans = a.list_restore_testing_plans().send().await.unwrap();
    let plan = &plans.restore_testing_plans()[0];
    assert_eq!(plan.restore_testing_plan_name(), "tracking_daily_restore_test");
    assert_eq!(plan.schedule_expression(), "cron(0 18 ? * * *)");
    assert!(plan.last_execution_time().is_some());
    let got =
        a.get_restore_testing_plan().restore_testing_plan_name(plan.restore_testing_plan_name()).send().await.unwrap();
    let selection = got.restore_testing_plan().unwrap().recovery_point_selection().unwrap();
    assert_eq!(selection.algorithm().map(|a| a.as_str()), Some("LATEST_WITHIN_WINDOW"));
    assert_eq!(selection.selection_window_days(), 7);
    let selections = a
        .list_restore_testing_selections()
        .restore_testing_plan_name(plan.restore_testing_plan_name())
        .send()
        .await
        .unwrap();
    let sel = &selections.restore_testing_selections()[0];
    assert_eq!(sel.protected_resource_type(), "DynamoDB");
    let full = a
        .get_restore_testing_selection()
        .restore_testing_plan_name(plan.restore_testing_plan_name())
        .restore_testing_selection_name(sel.restore_testing_selection_name())
        .send()
        .await
        .unwrap();
    assert_eq!(full.restore_testing_selection().unwrap().protected_resource_arns(), [TRACKING]);
    assert_eq!(
        code(&a.get_restore_testing_plan().restore_testing_plan_name("nope").send().await.unwrap_err()),
        "ResourceNotFoundException"
    );
    assert_eq!(
        code(
            &a.get_restore_testing_selection()
                .restore_testing_plan_name(plan.restore_testing_plan_name())
                .restore_testing_selection_name("nope")
                .send()
                .await
                .unwrap_err()
        ),
        "ResourceNotFoundException"
    );

    // About 90 daily tests. AWS validates none by itself (developer guide, "Restore
    // testing": validation is optional and comes from the customer's validator through
    // PutRestoreValidationResult), so no test of the history has a validation status.
    // Among them a failed restore, a test that missed its start window (ABORTED) and a
    // clean-up that failed, each with its message.
    let tests: Vec<_> =
        all_items!(a.list_restore_jobs().by_restore_testing_plan_arn(plan.restore_testing_plan_arn()).max_results(30));
    assert!((85..=92).contains(&tests.len()), "{}", tests.len());
    assert!(tests.iter().all(|j| j.validation_status().is_none()));
    let state = |j: &aws_sdk_backup::types::RestoreJobsListMember| j.status().map(|s| s.as_str().to_string());
    let failed_restore = tests.iter().find(|j| state(j).as_deref() == Some("FAILED")).unwrap();
    assert!(failed_restore.status_message().unwrap().starts_with("Restore failed"));
    let aborted = tests.iter().find(|j| state(j).as_deref() == Some("ABORTED")).unwrap();
    assert!(aborted.status_message().unwrap().contains("did not start within the start window of 4 hours"));
    assert!(aborted.created_resource_arn().is_none() && aborted.deletion_status().is_none());
    let deletion =
        |j: &aws_sdk_backup::types::RestoreJobsListMember| j.deletion_status().map(|s| s.as_str().to_string());
    let completed: Vec<_> = tests.iter().filter(|j| state(j).as_deref() == Some("COMPLETED")).collect();
    let not_deleted: Vec<_> = completed.iter().filter(|j| deletion(j).as_deref() != Some("SUCCESSFUL")).collect();
    assert!(!not_deleted.is_empty() && not_deleted.len() < 4, "a few clean-ups failed: {}", not_deleted.len());
    assert!(not_deleted.iter().all(|j| deletion(j).as_deref() == Some("FAILED")
        && j.deletion_status_message().unwrap().contains("deletion protection")));
    assert!(tests
        .iter()
        .all(|j| j.created_by().unwrap().restore_testing_plan_arn() == Some(plan.restore_testing_plan_arn())));

    let failed = a.list_restore_jobs().by_status("FAILED".into()).send().await.unwrap();
    assert!(failed.restore_jobs().iter().all(|j| j.status().map(|s| s.as_str()) == Some("FAILED")));
    let by_type = a.list_restore_jobs().by_resource_type("RDS").send().await.unwrap();
    assert!(by_type.restore_jobs().is_empty());
    let recent =
        a.list_restore_jobs().by_created_after(DateTime::from_millis(START - 3 * 86_400_000)).send().await.unwrap();
    assert!((2..=4).contains(&recent.restore_jobs().len()));
    let by_resource =
        a.list_restore_jobs_by_protected_resource().resource_arn(TRACKING).max_results(10).send().await.unwrap();
    assert_eq!(by_resource.restore_jobs().len(), 10);
    assert!(by_resource.next_token().is_some());

    let job = a.describe_restore_job().restore_job_id(aborted.restore_job_id().unwrap()).send().await.unwrap();
    assert_eq!(job.status().map(|s| s.as_str()), Some("ABORTED"));
    let meta = a.get_restore_job_metadata().restore_job_id(job.restore_job_id().unwrap()).send().await.unwrap();
    assert!(meta.metadata().unwrap()["targetTableName"].starts_with("tracking-restore-test-"));
    assert_eq!(
        code(&a.describe_restore_job().restore_job_id("nope").send().await.unwrap_err()),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn audit_manager_frameworks_and_reports() {
    let sb = spawn(0, 0.0).await;
    let hub = aws_sdk_backup::Client::new(&sb.hub().await);
    let frameworks = hub.list_frameworks().send().await.unwrap();
    assert_eq!(frameworks.frameworks()[0].framework_name(), Some("org-backup-controls"));
    let plans = hub.list_report_plans().send().await.unwrap();
    let plan = &plans.report_plans()[0];
    assert_eq!(plan.report_setting().unwrap().report_template(), "RESTORE_JOB_REPORT");
    let jobs = hub
        .list_report_jobs()
        .by_report_plan_name(plan.report_plan_name().unwrap())
        .max_results(3)
        .send()
        .await
        .unwrap();
    assert_eq!(jobs.report_jobs().len(), 3);
    assert!(jobs.next_token().is_some());
    let err = hub.list_report_jobs().by_report_plan_name("nope").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    let a = sb.reader(WORKLOAD_A).await;
    assert!(a.list_frameworks().send().await.unwrap().frameworks().is_empty());
}

/// A stack backup makes a composite recovery point: `IsParent`, the stack as its
/// resource (`ResourceType` CloudFormation) and the parent job's RecoveryPointArn; the
/// members' points name it as `ParentRecoveryPointArn` with their logical id as
/// `CompositeMemberIdentifier`, and `parentRecoveryPointArn` lists them (Backup model,
/// RecoveryPointByBackupVault, RecoveryPointByResource, ListRecoveryPointsByBackupVault).
#[tokio::test]
async fn a_stack_backup_makes_a_composite_recovery_point_and_its_children() {
    let sb = spawn(3, 0.0).await;
    let aws = sb.backup_in("400000000002", "RecoveryConsoleRead", "us-east-1").await;
    let jobs: Vec<_> = all_items!(aws.list_backup_jobs());
    let parent_job = jobs
        .iter()
        .find(|j| j.is_parent() && j.state().map(|s| s.as_str()) == Some("COMPLETED"))
        .expect("a completed composite job");
    let vault = parent_job.backup_vault_name().unwrap();
    let parent_arn = parent_job.recovery_point_arn().expect("the parent job names its composite point");
    let points: Vec<_> = all_items!(aws.list_recovery_points_by_backup_vault().backup_vault_name(vault));
    let parent = points.iter().find(|p| p.recovery_point_arn() == Some(parent_arn)).unwrap();
    assert!(parent.is_parent(), "{parent:?}");
    assert_eq!(parent.resource_type(), Some("CloudFormation"));
    assert_eq!(parent.resource_arn(), parent_job.resource_arn());
    assert_eq!(parent.status().map(|s| s.as_str()), Some("COMPLETED"));
    assert_eq!(parent.parent_recovery_point_arn(), None);

    let children: Vec<_> = all_items!(aws
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .by_parent_recovery_point_arn(parent_arn));
    assert_eq!(children.len(), 2, "{children:?}");
    assert!(children.iter().all(|c| !c.is_parent() && c.parent_recovery_point_arn() == Some(parent_arn)));
    let mut members: Vec<_> = children.iter().map(|c| c.composite_member_identifier().unwrap()).collect();
    members.sort();
    assert_eq!(members, ["AssetsBucket", "SessionsTable"]);
    // Every point with a parent is one of these children; the parent job's children made them.
    let linked = points.iter().filter(|p| p.parent_recovery_point_arn() == Some(parent_arn)).count();
    assert_eq!(linked, 2);
    let child_jobs: Vec<_> = all_items!(aws.list_backup_jobs().by_parent_job_id(parent_job.backup_job_id().unwrap()));
    let mut from_jobs: Vec<_> = child_jobs.iter().filter_map(|j| j.recovery_point_arn()).collect();
    let mut listed: Vec<_> = children.iter().filter_map(|c| c.recovery_point_arn()).collect();
    from_jobs.sort();
    listed.sort();
    assert_eq!(from_jobs, listed);

    // By resource: a member's point names its parent too.
    let child = &children[0];
    let by_resource: Vec<_> =
        all_items!(aws.list_recovery_points_by_resource().resource_arn(child.resource_arn().unwrap()));
    let same = by_resource.iter().find(|p| p.recovery_point_arn() == child.recovery_point_arn()).unwrap();
    assert_eq!(same.parent_recovery_point_arn(), Some(parent_arn));
    assert!(!same.is_parent());
    // Described, each says the same.
    let described = aws
        .describe_recovery_point()
        .backup_vault_name(vault)
        .recovery_point_arn(child.recovery_point_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(described.parent_recovery_point_arn(), Some(parent_arn));
    assert_eq!(described.composite_member_identifier(), child.composite_member_identifier());
    let described = aws.describe_recovery_point().backup_vault_name(vault).recovery_point_arn(parent_arn).send().await;
    let described = described.unwrap();
    assert!(described.is_parent());
    assert_eq!(described.resource_type(), Some("CloudFormation"));

    // A parent that lost a member is PARTIAL.
    let partial_job = jobs.iter().find(|j| j.is_parent() && j.state().map(|s| s.as_str()) == Some("PARTIAL")).unwrap();
    let partial = points.iter().find(|p| p.recovery_point_arn() == partial_job.recovery_point_arn()).unwrap();
    assert_eq!(partial.status().map(|s| s.as_str()), Some("PARTIAL"));
    // The filter takes only a recovery point of the vault.
    let err = aws
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .by_parent_recovery_point_arn("not an arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException");
    // The sandbox restores no stack: a restore of the composite point is refused.
    let operator = sb.backup_in("400000000002", "RecoveryConsoleOperator", "us-east-1").await;
    let err = operator
        .start_restore_job()
        .recovery_point_arn(parent_arn)
        .iam_role_arn("arn:aws:iam::400000000002:role/service-role/AWSBackupDefaultServiceRole")
        .set_metadata(Some(Default::default()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValueException", "{err:?}");
}

/// Backup model, `DeleteRecoveryPoint`: the point is gone for every API (listings, its
/// describe, the vault's count); the read role may not delete, and a vault whose access
/// policy denies `backup:DeleteRecoveryPoint` keeps its points (explicit deny wins).
#[tokio::test]
async fn a_deleted_recovery_point_is_gone_for_every_api() {
    // Eight: the last generated account has no roles, and the seventh is needed below.
    let sb = spawn(8, 0.0).await;
    let (reader, op) = (sb.reader(WORKLOAD_A).await, sb.operator(WORKLOAD_A).await);
    let count = || async {
        let vaults = reader.list_backup_vaults().send().await.unwrap();
        let v = vaults.backup_vault_list().iter().find(|v| v.backup_vault_name() == Some(LOCAL_VAULT)).cloned();
        v.unwrap().number_of_recovery_points()
    };
    let before = count().await;
    let points = all_items!(local_points(&reader));
    let arn = points
        .iter()
        .filter(|p| p.status().map(|s| s.as_str()) == Some("COMPLETED"))
        .map(|p| p.recovery_point_arn().unwrap().to_string())
        .find(|a| !a.contains(":continuous:"))
        .unwrap();
    let delete =
        |c: &aws_sdk_backup::Client| c.delete_recovery_point().backup_vault_name(LOCAL_VAULT).recovery_point_arn(&arn);
    let denied = delete(&reader).send().await.unwrap_err();
    assert_eq!(code(&denied), "AccessDeniedException");

    delete(&op).send().await.unwrap();
    assert_eq!(count().await, before - 1);
    let listed = all_items!(local_points(&reader));
    assert!(listed.iter().all(|p| p.recovery_point_arn() != Some(arn.as_str())));
    assert_eq!(listed.len(), points.len() - 1);
    let described =
        reader.describe_recovery_point().backup_vault_name(LOCAL_VAULT).recovery_point_arn(&arn).send().await;
    assert_eq!(code(&described.unwrap_err()), "ResourceNotFoundException");
    assert_eq!(code(&delete(&op).send().await.unwrap_err()), "ResourceNotFoundException");

    // The seventh generated account's vault denies deleting recovery points.
    let (account, region) = ("400000000007", "eu-west-1");
    let keeper = sb.backup_in(account, "RecoveryConsoleOperator", region).await;
    let kept = all_items!(keeper.list_recovery_points_by_backup_vault().backup_vault_name("default-vault"));
    let arn = kept.iter().map(|p| p.recovery_point_arn().unwrap()).find(|a| !a.contains(":continuous:")).unwrap();
    let refused =
        keeper.delete_recovery_point().backup_vault_name("default-vault").recovery_point_arn(arn).send().await;
    assert_eq!(code(&refused.unwrap_err()), "AccessDeniedException");
}
