//! Restore testing plans and selections changed through four-eyes requests, on
//! SQLite and PostgreSQL against the sandbox: a coverage gap closed by an approved
//! selection that then runs on the sandbox clock and counts as tested; a plan
//! created with its first selection, changed and deleted; exactly once through
//! lost answers, duplicate approvals and repeated executor passes; a selection
//! created outside the console, read when its plan runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;

const MYDB: &str = "arn:aws:rds:ap-southeast-2:111111111111:db:mydb";
const TRACKING_PLAN: &str = "tracking_daily_restore_test";

/// workload_a has no default VPC, so an RDS restore test needs the instance's DB
/// subnet group as an override (AWS Backup Developer Guide, "Restore testing inferred
/// metadata": without the default VPC and without an override "the restore will not
/// be successful"); the console adds it from mydb's recovery point when not given.
fn mydb_selection(plan: &str) -> Value {
    json!({
        "kind": "create_testing_selection",
        "account_id": WORKLOAD_A,
        "region": REGION,
        "plan_name": plan,
        "selection_name": "mydb",
        "selection": {
            "resource_type": "RDS",
            "resource_arns": [MYDB],
            "validation_window_hours": 0,
        },
        "justification": "mydb has never been restore-tested",
    })
}

fn check<'a>(req: &'a Value, name: &str) -> &'a Value {
    req["preflight"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name}: {req}"))
}

async fn gaps(c: &TestConsole) -> Vec<String> {
    let (status, cov) = c.get("/api/v1/assurance/coverage").await;
    assert_eq!(status, 200, "{cov}");
    cov["gaps"].as_array().unwrap().iter().map(|g| g["resource_arn"].as_str().unwrap().to_string()).collect()
}

async fn rds_row(c: &TestConsole) -> Value {
    let (_, cov) = c.get("/api/v1/assurance/coverage").await;
    cov["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_id"] == WORKLOAD_A && r["resource_type"] == "RDS")
        .cloned()
        .unwrap()
}

/// Files a request as alice, has bob approve it, and runs the executor once.
async fn approved_and_run(c: &TestConsole, alice: &str, bob: &str, body: Value) -> Value {
    let (status, req) = c.post_as(alice, "/api/v1/requests/restore-testing", body).await;
    assert_eq!(status, 201, "{req}");
    let id = req["id"].as_str().unwrap();
    let hash = req["params_hash"].as_str().unwrap();
    let (status, approved) =
        c.post_as(bob, &format!("/api/v1/requests/{id}/approve"), json!({ "params_hash": hash })).await;
    assert_eq!(status, 200, "{approved}");
    c.executor.pass().await.unwrap();
    c.get_as(alice, &format!("/api/v1/requests/{id}")).await.1
}

fn actions(req: &Value) -> Vec<String> {
    req["timeline"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_gap_closed_by_an_approved_selection_is_tested_on_the_sandbox_clock() {
    for db in databases().await {
        let label = db.label;
        let sb = spawn(0, 0.0).await;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, bob, carol) = (c.sign_in("alice").await, c.sign_in("bob").await, c.sign_in("carol").await);
        assert!(gaps(&c).await.contains(&MYDB.to_string()), "{label}: mydb starts as a gap");
        assert_eq!(rds_row(&c).await["covered"], 0);

        let (status, req) = c.post_as(&alice, "/api/v1/requests/restore-testing", mydb_selection(TRACKING_PLAN)).await;
        assert_eq!(status, 201, "{label}: {req}");
        assert_eq!(req["kind"], "create_testing_selection");
        assert_eq!(
            req["params"]["selection"]["restore_metadata_overrides"]["dbSubnetGroupName"], "workload-a-db",
            "{label}: the subnet group from mydb's recovery point: {req}"
        );
        assert_eq!(
            req["params"]["selection"]["iam_role_arn"],
            format!("arn:aws:iam::{WORKLOAD_A}:role/service-role/AWSBackupDefaultServiceRole")
        );
        for name in
            ["operator role", "plan exists", "selection name free", "resources known", "restore role in the account"]
        {
            assert_eq!(check(&req, name)["ok"], true, "{label}: {name}: {req}");
        }
        let id = req["id"].as_str().unwrap().to_string();
        let hash = req["params_hash"].as_str().unwrap().to_string();
        let approve = json!({ "params_hash": hash });
        let (s, body) = c.post_as(&alice, &format!("/api/v1/requests/{id}/approve"), approve.clone()).await;
        assert_eq!((s, body["error"]["code"].as_str()), (403, Some("forbidden")), "{label}: self-approval: {body}");
        assert_eq!(c.post_as(&carol, &format!("/api/v1/requests/{id}/approve"), approve.clone()).await.0, 403);

        // The answer of the create is lost (twice, past the SDK's retry): the next
        // pass reads the selection, finds this request's CreatorRequestId on it, and
        // creates nothing more.
        sb.set_faults(json!({ "lose_next": 2, "operations": ["CreateRestoreTestingSelection"] })).await;
        let (s, approved) = c.post_as(&bob, &format!("/api/v1/requests/{id}/approve"), approve.clone()).await;
        assert_eq!(s, 200, "{approved}");
        c.executor.pass().await.unwrap();
        let (_, after_loss) = c.get_as(&alice, &format!("/api/v1/requests/{id}")).await;
        assert_eq!(after_loss["status"], "executing", "{label}: {after_loss}");
        sb.set_faults(json!({})).await;
        c.executor.pass().await.unwrap();
        c.executor.pass().await.unwrap();
        let (_, done) = c.get_as(&alice, &format!("/api/v1/requests/{id}")).await;
        assert_eq!(done["status"], "succeeded", "{label}: {done}");
        assert!(done["change_result"].as_str().unwrap().contains(":restore-testing-plan:tracking_daily_restore_test"));
        let steps = actions(&done);
        assert_eq!(steps.iter().filter(|a| *a == "aws.change_applied").count(), 1, "{label}: {steps:?}");
        assert!(steps.contains(&"execution.token_stored".to_string()));
        let (s, again) = c.post_as(&bob, &format!("/api/v1/requests/{id}/approve"), approve).await;
        assert_eq!((s, again["error"]["code"].as_str()), (409, Some("not_pending")), "{again}");

        let op = sb.operator(WORKLOAD_A).await;
        let selections = all_items!(op.list_restore_testing_selections().restore_testing_plan_name(TRACKING_PLAN));
        let names: Vec<&str> = selections.iter().map(|s| s.restore_testing_selection_name()).collect();
        assert_eq!(names.iter().filter(|n| **n == "mydb").count(), 1, "{label}: one selection: {names:?}");

        // The console applied the change, so the next sync reads the plan whole (the
        // executor cleared its update time on record): the gap is closed.
        c.syncer.run().await.unwrap();
        let plans = c.all("/api/v1/restore-testing-plans").await;
        let plan = plans.iter().find(|p| p["name"] == TRACKING_PLAN).unwrap();
        let sel = plan["selections"].as_array().unwrap().iter().find(|s| s["name"] == "mydb").unwrap();
        assert_eq!(sel["resource_arns"], json!([MYDB]));
        assert!(!gaps(&c).await.contains(&MYDB.to_string()), "{label}: the gap is closed");
        assert_eq!(rds_row(&c).await["covered"], 1);
        assert_eq!(rds_row(&c).await["tested_recently"], 0);

        // The plan runs at 18:00 on the sandbox clock (START is 12:00) and restores mydb.
        let plan_arn = done["change_result"].as_str().unwrap().to_string();
        let mut tested = false;
        for day in 0..5 {
            sb.advance(if day == 0 { 7.0 } else { 24.0 } * 3600.0).await;
            c.syncer.run().await.unwrap();
            let jobs = c.all(format!("/api/v1/restore-jobs?test=true&resource_arn={MYDB}")).await;
            assert!(!jobs.is_empty(), "{label}: day {day}: no test of mydb");
            assert!(jobs.iter().all(|j| j["plan_arn"] == plan_arn.as_str()), "{jobs:?}");
            // Tested once a test completed (passed, or restored without a validator);
            // a test that failed does not count.
            let counted =
                c.all(format!("/api/v1/restore-jobs?test=true&resource_arn={MYDB}&outcome=restored")).await.len()
                    + c.all(format!("/api/v1/restore-jobs?test=true&resource_arn={MYDB}&outcome=passed")).await.len();
            if counted > 0 {
                tested = true;
                break;
            }
            assert_eq!(rds_row(&c).await["tested_recently"], 0, "{label}: day {day}: {jobs:?}");
        }
        assert!(tested, "{label}: mydb was never tested successfully");
        assert_eq!(rds_row(&c).await["tested_recently"], 1, "{label}");
        let (_, v) = c.get_as(&carol, "/api/v1/audit/verify").await;
        assert_eq!(v["valid"], true, "{v}");
    }
}

#[tokio::test]
async fn a_plan_is_created_with_its_selection_changed_and_deleted_through_requests() {
    for db in databases().await {
        let label = db.label;
        let sb = spawn(0, 0.0).await;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, bob) = (c.sign_in("alice").await, c.sign_in("bob").await);
        let plan = json!({
            "schedule_expression": "cron(0 20 ? * * *)",
            "algorithm": "RANDOM_WITHIN_WINDOW",
            "selection_window_days": 7,
            "include_vaults": ["arn:aws:backup:ap-southeast-2:111111111111:backup-vault:workload-a-*"],
            "recovery_point_types": ["SNAPSHOT"],
        });
        let mut create = mydb_selection("mydb_nightly");
        create["kind"] = json!("create_testing_plan");
        create["plan"] = plan.clone();
        let (status, req) = c.post_as(&alice, "/api/v1/requests/restore-testing", create.clone()).await;
        assert_eq!(status, 201, "{label}: {req}");
        assert_eq!(check(&req, "plan name free")["ok"], true, "{req}");
        assert_eq!(check(&req, "vaults exist")["ok"], true, "{req}");
        c.post_as(&alice, &format!("/api/v1/requests/{}/cancel", req["id"].as_str().unwrap()), Value::Null).await;

        let done = approved_and_run(&c, &alice, &bob, create.clone()).await;
        assert_eq!(done["status"], "succeeded", "{label}: {done}");
        let op = sb.operator(WORKLOAD_A).await;
        let got = op.get_restore_testing_plan().restore_testing_plan_name("mydb_nightly").send().await.unwrap();
        let got = got.restore_testing_plan().unwrap();
        assert_eq!(Some(got.restore_testing_plan_arn()), done["change_result"].as_str());
        assert_eq!(got.start_window_hours(), 24);
        let sel = op
            .get_restore_testing_selection()
            .restore_testing_plan_name("mydb_nightly")
            .restore_testing_selection_name("mydb")
            .send()
            .await
            .unwrap();
        assert_eq!(sel.restore_testing_selection().unwrap().protected_resource_arns(), [MYDB]);

        // The same plan again: the pre-flight check says the name is taken, and AWS refuses.
        let (_, dup) = c.post_as(&alice, "/api/v1/requests/restore-testing", create).await;
        assert_eq!(check(&dup, "plan name free")["ok"], false, "{dup}");

        // Changed: another schedule and start window; executed once, AWS has it.
        let mut update = json!({
            "kind": "update_testing_plan", "account_id": WORKLOAD_A, "region": REGION, "plan_name": "mydb_nightly",
            "plan": plan, "justification": "nights are busy, test at dawn",
        });
        update["plan"]["schedule_expression"] = json!("cron(0 4 ? * * *)");
        update["plan"]["start_window_hours"] = json!(3);
        let changed = approved_and_run(&c, &alice, &bob, update).await;
        assert_eq!(changed["status"], "succeeded", "{label}: {changed}");
        let got = op.get_restore_testing_plan().restore_testing_plan_name("mydb_nightly").send().await.unwrap();
        let got = got.restore_testing_plan().unwrap();
        assert_eq!((got.schedule_expression(), got.start_window_hours()), ("cron(0 4 ? * * *)", 3));
        c.executor.pass().await.unwrap();
        assert_eq!(
            actions(&c.get_as(&alice, &format!("/api/v1/requests/{}", changed["id"].as_str().unwrap())).await.1)
                .iter()
                .filter(|a| *a == "aws.change_applied")
                .count(),
            1
        );

        // Deleting the plan while it has a selection: the check says so and AWS refuses.
        let delete_plan = json!({
            "kind": "delete_testing_plan", "account_id": WORKLOAD_A, "region": REGION, "plan_name": "mydb_nightly",
            "justification": "replaced by the tracking plan",
        });
        let refused = approved_and_run(&c, &alice, &bob, delete_plan.clone()).await;
        assert_eq!(check(&refused, "plan has no selections")["ok"], false, "{refused}");
        assert_eq!(refused["status"], "failed", "{label}: {refused}");
        assert!(refused["error"].as_str().unwrap().contains("InvalidRequestException"), "{refused}");

        let delete_selection = json!({
            "kind": "delete_testing_selection", "account_id": WORKLOAD_A, "region": REGION, "plan_name": "mydb_nightly",
            "selection_name": "mydb", "justification": "replaced by the tracking plan",
        });
        assert_eq!(approved_and_run(&c, &alice, &bob, delete_selection).await["status"], "succeeded");
        let deleted = approved_and_run(&c, &alice, &bob, delete_plan).await;
        assert_eq!(deleted["status"], "succeeded", "{label}: {deleted}");
        let e = op.get_restore_testing_plan().restore_testing_plan_name("mydb_nightly").send().await.unwrap_err();
        assert_eq!(code(&e), "ResourceNotFoundException");
        c.syncer.run().await.unwrap();
        let plans = c.field("/api/v1/restore-testing-plans", "name").await;
        assert!(!plans.contains(&"mydb_nightly".to_string()), "{label}: the sync no longer lists it: {plans:?}");

        // Bad input names its field; a restore kind is not asked for here.
        let mut bad = mydb_selection(TRACKING_PLAN);
        bad["selection"]["validation_window_hours"] = json!(200);
        let (s, e) = c.post_as(&alice, "/api/v1/requests/restore-testing", bad).await;
        assert_eq!(s, 400, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("selection.validation_window_hours"), "{e}");
        let mut other = mydb_selection(TRACKING_PLAN);
        other["account_id"] = json!("444444444444");
        let (s, e) = c.post_as(&alice, "/api/v1/requests/restore-testing", other).await;
        assert_eq!((s, e["error"]["code"].as_str()), (422, Some("unknown_account")), "{e}");
        let (s, _) = c.post_as(&bob, "/api/v1/requests/restore-testing", mydb_selection(TRACKING_PLAN)).await;
        assert_eq!(s, 403, "approvers do not request");
    }
}

/// Issue 16, item 1: an incremental sync lists a plan's selections only when the plan
/// was updated or ran since (its `LastUpdateTime` or `LastExecutionTime` in
/// `ListRestoreTestingPlans`), because the selection listing carries no update time
/// and the Backup model does not say whether a selection's change moves its plan's.
/// The sandbox leaves the plan's time alone (the answer that hides the change), so a
/// selection created outside the console waits for the plan's run; that run then
/// brings it, and the database ends as a full sync's does.
#[tokio::test]
async fn a_selection_created_outside_the_console_is_read_when_its_plan_runs() {
    use aws_sdk_backup::types::RestoreTestingSelectionForCreate;
    let fresh_dbs = databases().await;
    for (db, fresh_db) in databases().await.iter().zip(&fresh_dbs) {
        let label = db.label;
        let sb = spawn(0, 0.0).await;
        let c = console(&sb, db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let op = sb.operator(WORKLOAD_A).await;
        let role = format!("arn:aws:iam::{WORKLOAD_A}:role/service-role/AWSBackupDefaultServiceRole");
        let selection = RestoreTestingSelectionForCreate::builder()
            .restore_testing_selection_name("mydb")
            .protected_resource_type("RDS")
            .iam_role_arn(role)
            .protected_resource_arns(MYDB)
            .validation_window_hours(0)
            .build()
            .unwrap();
        op.create_restore_testing_selection()
            .restore_testing_plan_name(TRACKING_PLAN)
            .restore_testing_selection(selection)
            .send()
            .await
            .unwrap();
        let selections = |plans: Vec<Value>| -> Vec<String> {
            let plan = plans.iter().find(|p| p["name"] == TRACKING_PLAN).unwrap();
            plan["selections"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
        };

        let before = sb.sandbox.operations();
        c.syncer.run().await.unwrap();
        let listed = sb.calls_since(&before, "ListRestoreTestingSelections");
        assert_eq!(listed, 0, "{label}: no plan moved, so no selection listing");
        let before_run = selections(c.all("/api/v1/restore-testing-plans").await);
        assert!(!before_run.contains(&"mydb".to_string()), "{label}: {before_run:?}");

        // The plan runs at 18:00 on the sandbox clock (START is 12:00).
        sb.advance(7.0 * 3600.0).await;
        c.syncer.run().await.unwrap();
        let after_run = selections(c.all("/api/v1/restore-testing-plans").await);
        assert!(after_run.contains(&"mydb".to_string()), "{label}: the run brought the selection: {after_run:?}");
        assert!(!gaps(&c).await.contains(&MYDB.to_string()), "{label}: the gap is closed");

        let fresh = console(&sb, fresh_db, |_| {}).await;
        fresh.syncer.run().await.unwrap();
        let full = fresh.all("/api/v1/restore-testing-plans").await;
        let incremental = c.all("/api/v1/restore-testing-plans").await;
        let strip = |plans: Vec<Value>| -> Vec<Value> {
            plans.into_iter().map(|p| json!({ "arn": p["arn"], "selections": p["selections"] })).collect()
        };
        assert_eq!(strip(incremental), strip(full), "{label}");
    }
}

/// Issue 16, item 1: an incremental sync reads an (account, region)'s restore testing
/// plans every `sync.plans_every_minutes` (and sooner when one ran in its window or
/// the console changed one), so a sync with nothing new lists none. A plan changed
/// outside the console (`UpdateRestoreTestingPlan`, which moves its `LastUpdateTime`)
/// shows at the first sync after that time, not at the one before it.
#[tokio::test]
async fn a_plan_changed_outside_the_console_shows_within_plans_every_minutes() {
    use aws_sdk_backup::types::RestoreTestingPlanForUpdate;
    for db in databases().await {
        let label = db.label;
        let sb = spawn(0, 0.0).await;
        let c = console(&sb, &db, |cfg| cfg.sync.plans_every_minutes = 60).await;
        c.syncer.run().await.unwrap();
        let schedule = || async {
            let plans = c.all("/api/v1/restore-testing-plans").await;
            let plan = plans.iter().find(|p| p["name"] == TRACKING_PLAN).unwrap();
            plan["schedule_expression"].as_str().unwrap().to_string()
        };
        let before_update = schedule().await;
        let moved = "cron(0 22 ? * * *)";
        assert_ne!(before_update, moved, "{label}");
        let op = sb.operator(WORKLOAD_A).await;
        op.update_restore_testing_plan()
            .restore_testing_plan_name(TRACKING_PLAN)
            .restore_testing_plan(RestoreTestingPlanForUpdate::builder().schedule_expression(moved).build())
            .send()
            .await
            .unwrap();

        // Ten minutes on (the sandbox clock, 12:10; the plans run at 18:00): not due.
        sb.advance(10.0 * 60.0).await;
        let before = sb.sandbox.operations();
        let reports = c.syncer.run().await.unwrap();
        assert!(reports.iter().all(|r| r.status == "ok"), "{label}: {reports:?}");
        assert_eq!(sb.calls_since(&before, "ListRestoreTestingPlans"), 0, "{label}");
        assert_eq!(schedule().await, before_update, "{label}: the plans on record stand");

        // An hour after they were read: due.
        sb.advance(51.0 * 60.0).await;
        let before = sb.sandbox.operations();
        c.syncer.run().await.unwrap();
        assert!(sb.calls_since(&before, "ListRestoreTestingPlans") > 0, "{label}");
        assert_eq!(schedule().await, moved, "{label}");
    }
}
