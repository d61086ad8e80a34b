//! Restore testing plans and selections created, changed and deleted through the SDK,
//! as the AWS Backup model (`backup.json`: CreateRestoreTestingPlan and the five
//! operations beside it) describes them, and run on the sandbox's clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_backup::types::{
    KeyValue, ProtectedResourceConditions, RestoreTestingPlanForCreate, RestoreTestingPlanForUpdate,
    RestoreTestingRecoveryPointSelection, RestoreTestingRecoveryPointSelectionAlgorithm as Algorithm,
    RestoreTestingRecoveryPointType, RestoreTestingSelectionForCreate, RestoreTestingSelectionForUpdate,
};

use crate::common::*;

const MYDB: &str = "arn:aws:rds:ap-southeast-2:111111111111:db:mydb";
const ROLE_A: &str = "arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole";

fn point_selection() -> RestoreTestingRecoveryPointSelection {
    RestoreTestingRecoveryPointSelection::builder()
        .algorithm(Algorithm::LatestWithinWindow)
        .include_vaults("*")
        .recovery_point_types(RestoreTestingRecoveryPointType::Snapshot)
        .selection_window_days(7)
        .build()
}

fn plan(name: &str, cron: &str) -> RestoreTestingPlanForCreate {
    RestoreTestingPlanForCreate::builder()
        .restore_testing_plan_name(name)
        .schedule_expression(cron)
        .recovery_point_selection(point_selection())
        .build()
        .unwrap()
}

fn mydb_selection(name: &str) -> RestoreTestingSelectionForCreate {
    RestoreTestingSelectionForCreate::builder()
        .restore_testing_selection_name(name)
        .protected_resource_type("RDS")
        .iam_role_arn(ROLE_A)
        .protected_resource_arns(MYDB)
        .validation_window_hours(0)
        .build()
        .unwrap()
}

/// GetRestoreTestingSelection of `name` in `plan`.
async fn selection(
    op: &aws_sdk_backup::Client,
    plan: &str,
    name: &str,
) -> aws_sdk_backup::types::RestoreTestingSelectionForGet {
    let got = op.get_restore_testing_selection().restore_testing_plan_name(plan).restore_testing_selection_name(name);
    got.send().await.unwrap().restore_testing_selection.unwrap()
}

#[tokio::test]
async fn a_created_plan_and_selection_run_on_the_clock() {
    let sb = spawn(0, 0.0).await;
    let op = sb.operator(WORKLOAD_A).await;
    // START is 12:00 UTC; the plan runs at 20:00.
    let created = op
        .create_restore_testing_plan()
        .restore_testing_plan(plan("mydb_daily", "cron(0 20 ? * * *)"))
        .creator_request_id("req-1")
        .send()
        .await
        .unwrap();
    let arn = created.restore_testing_plan_arn().to_string();
    assert!(arn.starts_with("arn:aws:backup:ap-southeast-2:111111111111:restore-testing-plan:mydb_daily-"), "{arn}");

    // The same CreatorRequestId returns the same plan; the same name without it is taken.
    let again = op
        .create_restore_testing_plan()
        .restore_testing_plan(plan("mydb_daily", "cron(0 20 ? * * *)"))
        .creator_request_id("req-1")
        .send()
        .await
        .unwrap();
    assert_eq!(again.restore_testing_plan_arn(), arn);
    let e = op
        .create_restore_testing_plan()
        .restore_testing_plan(plan("mydb_daily", "cron(0 20 ? * * *)"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AlreadyExistsException", "{e:?}");

    op.create_restore_testing_selection()
        .restore_testing_plan_name("mydb_daily")
        .restore_testing_selection(mydb_selection("mydb"))
        .creator_request_id("req-1-selection")
        .send()
        .await
        .unwrap();
    let got = op.get_restore_testing_plan().restore_testing_plan_name("mydb_daily").send().await.unwrap();
    let got = got.restore_testing_plan().unwrap();
    assert_eq!(got.creator_request_id(), Some("req-1"));
    assert_eq!(got.start_window_hours(), 24, "the model's default");
    assert_eq!(got.recovery_point_selection().unwrap().selection_window_days(), 7);
    let sel = selection(&op, "mydb_daily", "mydb").await;
    assert_eq!(sel.protected_resource_arns(), [MYDB]);
    assert_eq!(sel.creator_request_id(), Some("req-1-selection"));

    // Nothing ran before 20:00; after it, the plan restored mydb once.
    let by_plan = |op: aws_sdk_backup::Client, arn: String| async move {
        all_items!(op.list_restore_jobs().by_restore_testing_plan_arn(arn))
    };
    assert!(by_plan(op.clone(), arn.clone()).await.is_empty());
    sb.advance(9.0 * 3600.0).await;
    let jobs = by_plan(op.clone(), arn.clone()).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let recovery_point = jobs[0].recovery_point_arn().unwrap();
    let rp = op.describe_recovery_point().backup_vault_name("workload-a-vault").recovery_point_arn(recovery_point);
    assert_eq!(rp.send().await.unwrap().resource_arn(), Some(MYDB));
    let plan_now = op.get_restore_testing_plan().restore_testing_plan_name("mydb_daily").send().await.unwrap();
    assert!(plan_now.restore_testing_plan().unwrap().last_execution_time().is_some());
}

#[tokio::test]
async fn an_update_moves_the_schedule_and_deletes_go_selections_first() {
    let sb = spawn(0, 0.0).await;
    let op = sb.operator(WORKLOAD_A).await;
    let arn = op
        .create_restore_testing_plan()
        .restore_testing_plan(plan("weekly_db", "cron(0 20 ? * * *)"))
        .send()
        .await
        .unwrap()
        .restore_testing_plan_arn()
        .to_string();
    op.create_restore_testing_selection()
        .restore_testing_plan_name("weekly_db")
        .restore_testing_selection(mydb_selection("mydb"))
        .send()
        .await
        .unwrap();

    // Moved to 22:00: nothing at 20:00, one run by 23:00.
    let update = RestoreTestingPlanForUpdate::builder().schedule_expression("cron(0 22 ? * * *)").build();
    let updated = op
        .update_restore_testing_plan()
        .restore_testing_plan_name("weekly_db")
        .restore_testing_plan(update)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.restore_testing_plan_arn(), arn);
    sb.advance(9.0 * 3600.0).await;
    let jobs = all_items!(op.list_restore_jobs().by_restore_testing_plan_arn(&arn));
    assert!(jobs.is_empty(), "the old schedule no longer runs: {jobs:?}");
    sb.advance(2.0 * 3600.0).await;
    assert_eq!(all_items!(op.list_restore_jobs().by_restore_testing_plan_arn(&arn)).len(), 1);
    let got = op.get_restore_testing_plan().restore_testing_plan_name("weekly_db").send().await.unwrap();
    let got = got.restore_testing_plan().unwrap();
    assert_eq!(got.schedule_expression(), "cron(0 22 ? * * *)");
    assert_eq!(got.recovery_point_selection().unwrap().selection_window_days(), 7, "members not given stay");

    // A selection by ARN takes no tag conditions; its window changes.
    let conditions = ProtectedResourceConditions::builder()
        .string_equals(KeyValue::builder().key("env").value("prod").build().unwrap())
        .build();
    let e = op
        .update_restore_testing_selection()
        .restore_testing_plan_name("weekly_db")
        .restore_testing_selection_name("mydb")
        .restore_testing_selection(
            RestoreTestingSelectionForUpdate::builder().protected_resource_conditions(conditions).build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterValueException", "{e:?}");
    op.update_restore_testing_selection()
        .restore_testing_plan_name("weekly_db")
        .restore_testing_selection_name("mydb")
        .restore_testing_selection(RestoreTestingSelectionForUpdate::builder().validation_window_hours(6).build())
        .send()
        .await
        .unwrap();
    let sel = selection(&op, "weekly_db", "mydb").await;
    assert_eq!(sel.validation_window_hours(), 6);

    // "Deletion can only successfully occur if all associated restore testing selections are deleted first."
    let e = op.delete_restore_testing_plan().restore_testing_plan_name("weekly_db").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidRequestException", "{e:?}");
    op.delete_restore_testing_selection()
        .restore_testing_plan_name("weekly_db")
        .restore_testing_selection_name("mydb")
        .send()
        .await
        .unwrap();
    let e = op
        .delete_restore_testing_selection()
        .restore_testing_plan_name("weekly_db")
        .restore_testing_selection_name("mydb")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    op.delete_restore_testing_plan().restore_testing_plan_name("weekly_db").send().await.unwrap();
    let e = op.get_restore_testing_plan().restore_testing_plan_name("weekly_db").send().await.unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    let names: Vec<String> =
        all_items!(op.list_restore_testing_plans()).iter().map(|p| p.restore_testing_plan_name().to_string()).collect();
    assert_eq!(names, ["tracking_daily_restore_test"]);
    // A deleted plan runs no more.
    sb.advance(86_400.0).await;
    assert_eq!(all_items!(op.list_restore_jobs().by_restore_testing_plan_arn(&arn)).len(), 1);
    // Its name is free again.
    op.create_restore_testing_plan().restore_testing_plan(plan("weekly_db", "cron(0 5 ? * * *)")).send().await.unwrap();
}

/// The error code of a call that should have been refused.
fn refused<E: aws_sdk_backup::error::ProvideErrorMetadata>(r: Result<(), E>) -> String {
    match r {
        Ok(()) => "accepted".to_string(),
        Err(e) => code(&e),
    }
}

#[tokio::test]
async fn bad_plans_and_selections_are_refused_as_the_model_says() {
    let sb = spawn(0, 0.0).await;
    let op = sb.operator(WORKLOAD_A).await;
    let create = |p: RestoreTestingPlanForCreate| {
        let op = op.clone();
        async move { op.create_restore_testing_plan().restore_testing_plan(p).send().await.map(|_| ()) }
    };
    // Names: "only alphanumeric characters and underscores", at most 50.
    assert_eq!(refused(create(plan("has-hyphen", "cron(0 5 ? * * *)")).await), "InvalidParameterValueException");
    assert_eq!(refused(create(plan(&"a".repeat(51), "cron(0 5 ? * * *)")).await), "InvalidParameterValueException");
    assert_eq!(refused(create(plan("bad_cron", "every day")).await), "InvalidParameterValueException");
    let mut p = plan("long_window", "cron(0 5 ? * * *)");
    p.start_window_hours = 169;
    assert_eq!(refused(create(p).await), "InvalidParameterValueException");
    let no_vaults = RestoreTestingRecoveryPointSelection::builder()
        .algorithm(Algorithm::RandomWithinWindow)
        .recovery_point_types(RestoreTestingRecoveryPointType::Snapshot)
        .build();
    let mut p = plan("no_vaults", "cron(0 5 ? * * *)");
    p.recovery_point_selection = Some(no_vaults);
    assert_eq!(refused(create(p).await), "InvalidParameterValueException");
    let e = op
        .create_restore_testing_plan()
        .restore_testing_plan(plan("ok_plan", "cron(0 5 ? * * *)"))
        .creator_request_id("not allowed!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterValueException");
    // The read role may not create.
    let reader = sb.reader(WORKLOAD_A).await;
    let e =
        reader.create_restore_testing_plan().restore_testing_plan(plan("ok_plan", "cron(0 5 ? * * *)")).send().await;
    assert_eq!(code(&e.unwrap_err()), "AccessDeniedException");

    create(plan("ok_plan", "cron(0 5 ? * * *)")).await.unwrap();
    let select = |s: RestoreTestingSelectionForCreate, plan: &'static str| {
        let op = op.clone();
        async move {
            op.create_restore_testing_selection()
                .restore_testing_plan_name(plan)
                .restore_testing_selection(s)
                .send()
                .await
                .map(|_| ())
        }
    };
    assert_eq!(refused(select(mydb_selection("mydb"), "no_such_plan").await), "ResourceNotFoundException");
    let mut s = mydb_selection("too_long_window");
    s.validation_window_hours = 169;
    assert_eq!(refused(select(s, "ok_plan").await), "InvalidParameterValueException");
    // Specific ARNs with tag conditions, more than 30 ARNs, neither: refused.
    let mut s = mydb_selection("arns_and_tags");
    s.protected_resource_conditions = Some(
        ProtectedResourceConditions::builder()
            .string_equals(KeyValue::builder().key("env").value("prod").build().unwrap())
            .build(),
    );
    assert_eq!(refused(select(s, "ok_plan").await), "InvalidParameterValueException");
    let mut s = mydb_selection("many_arns");
    s.protected_resource_arns =
        Some((0..31).map(|i| format!("arn:aws:rds:ap-southeast-2:111111111111:db:db{i}")).collect());
    assert_eq!(refused(select(s, "ok_plan").await), "InvalidParameterValueException");
    let mut s = mydb_selection("nothing");
    s.protected_resource_arns = None;
    assert_eq!(refused(select(s, "ok_plan").await), "InvalidParameterValueException");
    let mut s = mydb_selection("bad_role");
    s.iam_role_arn = "AWSBackupDefaultServiceRole".into();
    assert_eq!(refused(select(s, "ok_plan").await), "InvalidParameterValueException");
    let mut s = mydb_selection("bad_type");
    s.protected_resource_type = "Lambda".into();
    assert_eq!(refused(select(s, "ok_plan").await), "InvalidParameterValueException");
    // By tags: ["*"] with conditions is fine; a name is taken once.
    let mut s = mydb_selection("prod_databases");
    s.protected_resource_arns = Some(vec!["*".into()]);
    s.protected_resource_conditions = Some(
        ProtectedResourceConditions::builder()
            .string_equals(KeyValue::builder().key("env").value("prod").build().unwrap())
            .string_not_equals(KeyValue::builder().key("app").value("legacy").build().unwrap())
            .build(),
    );
    select(s.clone(), "ok_plan").await.unwrap();
    assert_eq!(refused(select(s, "ok_plan").await), "AlreadyExistsException");
    let got = selection(&op, "ok_plan", "prod_databases").await;
    let c = got.protected_resource_conditions().unwrap();
    assert_eq!(c.string_not_equals()[0].value(), "legacy");
    // Updating or deleting what does not exist.
    let e = op
        .update_restore_testing_plan()
        .restore_testing_plan_name("no_such_plan")
        .restore_testing_plan(RestoreTestingPlanForUpdate::builder().start_window_hours(4).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
}
