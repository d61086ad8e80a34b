//! The console as the restore-test validator (issue 13), against the sandbox, on
//! SQLite and PostgreSQL: it checks what a restore test restored and reports the
//! result to AWS with PutRestoreValidationResult, once; AWS (the sandbox) holds the
//! result and its message, read back here with DescribeRestoreJob through the SDK.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;

const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
const TRACKING_PLAN: &str = "tracking_daily_restore_test";
/// The first generated accounts (and their first regions): an RDS test as the
/// source (payments), one with a storage override (orders), and one whose selection
/// has a validation window of 0 (search).
const PAYMENTS: (&str, &str) = ("400000000001", "ap-southeast-2");
const ORDERS: (&str, &str) = ("400000000002", "us-east-1");
const SEARCH: (&str, &str) = ("400000000003", "eu-west-1");
const DEMO: (&str, &str) = (WORKLOAD_A, REGION);

/// Runs a restore testing plan now and lets its restores complete; returns the job ids.
async fn run_to_completion(sb: &TestSandbox, (account, region): (&str, &str), plan: &str) -> Vec<String> {
    let ids = sb.run_plan_in(account, region, plan).await;
    assert!(!ids.is_empty(), "{plan} started no test");
    let op = sb.backup_in(account, "RecoveryConsoleOperator", region).await;
    let mut longest = 0;
    for id in &ids {
        let job = op.describe_restore_job().restore_job_id(id).send().await.unwrap();
        longest = longest.max(job.expected_completion_time_minutes().unwrap());
    }
    sb.advance((longest as f64 + 2.0) * 60.0).await;
    ids
}

/// AWS's validation of a restore job: (status, message).
async fn aws_validation(
    sb: &TestSandbox,
    (account, region): (&str, &str),
    id: &str,
) -> (Option<String>, Option<String>) {
    let client = sb.backup_in(account, "RecoveryConsoleRead", region).await;
    let job = client.describe_restore_job().restore_job_id(id).send().await.unwrap();
    (job.validation_status().map(|s| s.as_str().to_string()), job.validation_status_message().map(str::to_string))
}

async fn validator_pass(c: &TestConsole) -> usize {
    recovery_console::assurance::validator::pass(&c.state).await.unwrap()
}

/// The ids of `ids` whose restore completed (a few restores fail on purpose).
async fn completed(sb: &TestSandbox, (account, region): (&str, &str), ids: Vec<String>) -> Vec<String> {
    let client = sb.backup_in(account, "RecoveryConsoleRead", region).await;
    let mut done = Vec::new();
    for id in ids {
        let job = client.describe_restore_job().restore_job_id(&id).send().await.unwrap();
        if job.status().map(|s| s.as_str()) == Some("COMPLETED") {
            done.push(id);
        }
    }
    done
}

/// Runs a plan until a run has restores that completed (3 % of restores fail on
/// purpose); returns those.
async fn completed_run(sb: &TestSandbox, at: (&str, &str), plan: &str) -> Vec<String> {
    for _ in 0..5 {
        let done = completed(sb, at, run_to_completion(sb, at, plan).await).await;
        if !done.is_empty() {
            return done;
        }
    }
    panic!("five runs of {plan} completed no restore");
}

/// The console's record of one test's validation.
async fn validation_of(c: &TestConsole, account: &str, id: &str) -> Value {
    let items = c.all(format!("/api/v1/restore-testing/validations?account_id={account}")).await;
    items.into_iter().find(|v| v["job_id"] == id).unwrap_or_else(|| panic!("no validation of {id}"))
}

/// The outcome the console gives a restore job (`passed`, `restored`, `failed`), by its filter.
async fn outcome_of(c: &TestConsole, account: &str, id: &str) -> &'static str {
    for outcome in ["passed", "restored", "failed"] {
        let jobs = c.all(format!("/api/v1/restore-jobs?account_id={account}&outcome={outcome}")).await;
        if jobs.iter().any(|j| j["job_id"] == id) {
            return outcome;
        }
    }
    "none"
}

async fn plan_arn(c: &TestConsole, account: &str) -> String {
    let plans = c.all(format!("/api/v1/restore-testing-plans?account_id={account}")).await;
    plans[0]["plan_arn"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_console_validates_a_dynamodb_test_once_and_aws_holds_the_result() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        let erin = c.sign_in("erin").await;
        // The sandbox's config (like the demo's) attaches checks to the tracking plan.
        let (status, rules) = c.get_as(&erin, "/api/v1/restore-testing/checks").await;
        assert_eq!(status, 200, "{label}: {rules}");
        assert_eq!(rules[0]["source"], "config", "{label}");
        assert_eq!(rules[0]["checks"]["min_items"], 1000, "{label}");

        let id = completed_run(&sb, DEMO, TRACKING_PLAN).await.remove(0);
        assert!(c.syncer.run().await.unwrap().iter().all(|r| r.status == "ok"));
        assert_eq!(outcome_of(&c, WORKLOAD_A, &id).await, "restored", "{label}: completed, not validated yet");
        assert!(validator_pass(&c).await >= 1, "{label}");
        let (status, message) = aws_validation(&sb, DEMO, &id).await;
        assert_eq!(status.as_deref(), Some("SUCCESSFUL"), "{label}: {message:?}");
        let message = message.unwrap();
        assert!(message.starts_with("Recovery Console: 3 checks passed"), "{label}: {message}");
        assert!(message.contains("at least 1000 items (Scan counted 1000 or more items)"), "{message}");
        assert!(message.contains("item {pk=tracking#0, sk=current} present (GetItem found it)"), "{message}");
        assert_eq!(outcome_of(&c, WORKLOAD_A, &id).await, "passed", "{label}");

        let record = validation_of(&c, WORKLOAD_A, &id).await;
        assert_eq!((record["state"].as_str(), record["result"].as_str()), (Some("reported"), Some("SUCCESSFUL")));
        assert_eq!(record["checks"].as_array().unwrap().len(), 3, "{record}");
        assert_eq!(record["resource_arn"], TRACKING);
        // On the resource's timeline: its validations, filtered by the resource.
        let on_timeline = c.all(format!("/api/v1/restore-testing/validations?resource_arn={TRACKING}")).await;
        assert!(on_timeline.iter().any(|v| v["job_id"] == id), "{label}");
        // Never twice: a later pass leaves the test alone.
        assert_eq!(validator_pass(&c).await, 0, "{label}");
        let carol = c.sign_in("carol").await;
        let subject = format!("restore_job:{WORKLOAD_A}/{id}");
        let (_, audit) = c.get_as(&carol, &format!("/api/v1/audit?subject={subject}")).await;
        let actions: Vec<&str> =
            audit["items"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["restore_validation.reported", "restore_validation.started"], "{label}");

        // An admin sets stricter checks in the console: they win over the file's.
        let strict = json!({"plan_arn": record["plan_arn"], "min_items": 1_000_000,
            "keys": [{"pk": "tracking#99999999", "sk": "current"}]});
        let (status, rules) = c.send_as(Method::PUT, &erin, "/api/v1/restore-testing/checks", strict).await;
        assert_eq!(status, 200, "{label}: {rules}");
        assert_eq!(rules.as_array().unwrap().len(), 1, "{label}: the console's replace the file's: {rules}");
        assert_eq!(rules[0]["source"], "console");
        let id = completed_run(&sb, DEMO, TRACKING_PLAN).await.remove(0);
        c.syncer.run().await.unwrap();
        assert!(validator_pass(&c).await >= 1, "{label}");
        let (status, message) = aws_validation(&sb, DEMO, &id).await;
        assert_eq!(status.as_deref(), Some("FAILED"), "{label}");
        let message = message.unwrap();
        assert!(
            message.starts_with("Recovery Console: check failed: at least 1000000 items: Scan counted "),
            "{message}"
        );
        assert!(
            message.contains("item {pk=tracking#99999999, sk=current} present: GetItem found no such item"),
            "{message}"
        );
        assert!(!message.contains("ACTIVE"), "only the failed checks are named: {message}");
        assert_eq!(outcome_of(&c, WORKLOAD_A, &id).await, "failed", "{label}");

        // A test that missed its start window failed, with its reason.
        let failed = c.all(format!("/api/v1/restore-jobs?account_id={WORKLOAD_A}&outcome=failed&status=ABORTED")).await;
        assert!(!failed.is_empty(), "{label}");
        assert!(failed[0]["status_message"].as_str().unwrap().contains("did not start within the start window"));

        // Tests of the last week whose window had closed were skipped, and the log says why.
        let skipped = c.all(format!("/api/v1/restore-testing/validations?account_id={WORKLOAD_A}")).await;
        let closed =
            skipped.iter().find(|v| v["state"] == "skipped").unwrap_or_else(|| panic!("{label}: a skipped test"));
        assert!(closed["message"].as_str().unwrap().contains("validation window of 4 hours closed at"), "{closed}");
    }
}

#[tokio::test]
async fn checks_are_set_by_admins_only_and_bad_ones_are_refused_by_field() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        let (erin, alice) = (c.sign_in("erin").await, c.sign_in("alice").await);
        let plan = sandbox_tracking_plan();
        let put = |t: &String, b: Value| {
            let t = t.clone();
            let c = &c;
            async move { c.send_as(Method::PUT, &t, "/api/v1/restore-testing/checks", b).await }
        };
        assert_eq!(c.get_as(&alice, "/api/v1/restore-testing/checks").await.0, 403, "{label}");
        assert_eq!(put(&alice, json!({"plan_arn": plan})).await.0, 403, "{label}");
        for (body, field) in [
            (json!({"plan_arn": "arn:aws:backup:x"}), "plan_arn"),
            (json!({"plan_arn": plan, "min_items": -3}), "min_items"),
            (json!({"plan_arn": plan, "keys": [{}]}), "keys[0]"),
            (json!({"plan_arn": plan, "selection_name": "no spaces"}), "selection_name"),
            (json!({"plan_arn": plan, "min_itemz": 3}), "min_itemz"),
        ] {
            let (status, e) = put(&erin, body).await;
            assert_eq!(status, 400, "{label}: {e}");
            assert!(e["error"]["message"].as_str().unwrap().contains(field), "{label}: {e}");
        }
        let sel = json!({"plan_arn": plan, "selection_name": "tracking_table", "min_items": 5});
        assert_eq!(put(&erin, sel).await.0, 200, "{label}");
        let path = format!("/api/v1/restore-testing/checks?plan_arn={}&selection_name=tracking_table", enc(&plan));
        assert_eq!(c.send_as(Method::DELETE, &erin, &path, Value::Null).await.0, 204, "{label}");
        assert_eq!(c.send_as(Method::DELETE, &erin, &path, Value::Null).await.0, 404, "{label}");
        let carol = c.sign_in("carol").await;
        let (_, audit) = c.get_as(&carol, "/api/v1/audit?action=validation_checks.removed").await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{label}: {audit}");
    }
}

fn sandbox_tracking_plan() -> String {
    aws_sandbox::generate::tracking_plan_arn()
}

fn enc(text: &str) -> String {
    text.replace(':', "%3A").replace('/', "%2F")
}

#[tokio::test]
async fn the_console_validates_rds_tests_against_their_source() {
    let sb = spawn(4, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        assert!(c.syncer.run().await.unwrap().iter().any(|r| r.status == "ok"));
        let erin = c.sign_in("erin").await;
        for (account, _) in [PAYMENTS, ORDERS] {
            let checks = json!({"plan_arn": plan_arn(&c, account).await});
            assert_eq!(c.send_as(Method::PUT, &erin, "/api/v1/restore-testing/checks", checks).await.0, 200);
        }
        let passing = completed_run(&sb, PAYMENTS, "payments_weekly_restore_test").await;
        let differing = completed_run(&sb, ORDERS, "orders_weekly_restore_test").await;
        c.syncer.run().await.unwrap();
        assert!(validator_pass(&c).await >= passing.len() + differing.len(), "{label}");
        for id in &passing {
            let (status, message) = aws_validation(&sb, PAYMENTS, id).await;
            assert_eq!(status.as_deref(), Some("SUCCESSFUL"), "{label}: {message:?}");
            let message = message.unwrap();
            assert!(message.contains("is available (DBInstanceStatus available)"), "{message}");
            assert!(
                message.contains("Engine as the source's (Engine postgres, source payments-db-0 postgres)"),
                "{message}"
            );
            assert_eq!(outcome_of(&c, PAYMENTS.0, id).await, "passed", "{label}");
        }
        // The orders selection restores with more storage than its source had.
        for id in &differing {
            let (status, message) = aws_validation(&sb, ORDERS, id).await;
            assert_eq!(status.as_deref(), Some("FAILED"), "{label}");
            let message = message.unwrap();
            assert!(
                message.contains("AllocatedStorage as the source's: AllocatedStorage 500, source orders-db-"),
                "{message}"
            );
            assert_eq!(outcome_of(&c, ORDERS.0, id).await, "failed", "{label}");
        }
    }
}

#[tokio::test]
async fn a_test_with_a_validation_window_of_0_is_not_validated_and_counts_as_restored() {
    let sb = spawn(4, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let erin = c.sign_in("erin").await;
        let plan = plan_arn(&c, SEARCH.0).await;
        let plans = c.all(format!("/api/v1/restore-testing-plans?account_id={}", SEARCH.0)).await;
        assert_eq!(plans[0]["selections"][0]["validation_window_hours"], 0, "{label}");
        let checks = json!({"plan_arn": plan});
        assert_eq!(c.send_as(Method::PUT, &erin, "/api/v1/restore-testing/checks", checks).await.0, 200);
        let id = completed_run(&sb, SEARCH, "search_weekly_restore_test").await.remove(0);
        c.syncer.run().await.unwrap();
        validator_pass(&c).await;
        let record = validation_of(&c, SEARCH.0, &id).await;
        assert_eq!(record["state"], "skipped", "{label}: {record}");
        assert!(record["message"].as_str().unwrap().contains("validation window is 0 hours"), "{record}");
        let (status, _) = aws_validation(&sb, SEARCH, &id).await;
        assert_eq!(status, None, "{label}: nothing was sent");
        let reader = sb.backup_in(SEARCH.0, "RecoveryConsoleRead", SEARCH.1).await;
        let job = reader.describe_restore_job().restore_job_id(&id).send().await.unwrap();
        assert!(job.deletion_status().is_some(), "{label}: deleted at once");
        assert_eq!(outcome_of(&c, SEARCH.0, &id).await, "restored", "{label}");
    }
}
