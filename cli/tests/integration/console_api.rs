//! The read API over a synced demo world, on SQLite and on PostgreSQL: every
//! filter, paging to the end, and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;

const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
const LOCAL_VAULT_ARN: &str = "arn:aws:backup:ap-southeast-2:111111111111:backup-vault:workload-a-vault";

fn all_have(items: &[Value], field: &str, value: &str) -> bool {
    !items.is_empty() && items.iter().all(|i| i[field] == value)
}

#[tokio::test]
async fn every_filter_narrows_and_pages_reach_the_end() {
    let sb = spawn(2, 0.0).await;
    // The demo world's restore jobs are all restore tests; one started by hand is not.
    let op = sb.operator(WORKLOAD_A).await;
    let rp = latest_rp(&op, "workload-a-vault", TRACKING).await;
    let manual = start_dynamo_restore(&op, rp, "tracking-by-hand").await;
    // AWS validates no test by itself: an outside validator fails one.
    validated_tracking_test(&sb, "FAILED", "row count 0").await;
    validated_tracking_test(&sb, "SUCCESSFUL", "checked").await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let label = db.label;

        // Paging: small pages put together are the whole list, without repeats.
        let whole = c.all("/api/v1/recovery-points?limit=1000").await;
        let paged = c.all("/api/v1/recovery-points?limit=37").await;
        assert_eq!(paged, whole, "{label}");
        let total: i64 = {
            let (_, accounts) = c.get("/api/v1/accounts").await;
            accounts["items"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|a| a["sync"].as_array().unwrap().clone())
                .map(|s| s["counts"]["recovery_points"].as_i64().unwrap())
                .sum()
        };
        assert_eq!(whole.len() as i64, total, "{label}");
        let times: Vec<&str> = whole.iter().map(|r| r["created_at"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

        let rp = |q: &str| c.all(format!("/api/v1/recovery-points?limit=200&{q}"));
        assert!(all_have(&rp(&format!("account_id={WORKLOAD_A}")).await, "account_id", WORKLOAD_A));
        assert!(all_have(&rp("region=ap-southeast-2").await, "region", "ap-southeast-2"));
        let by_name = rp("vault=workload-a-vault").await;
        assert!(all_have(&by_name, "vault_name", "workload-a-vault"));
        assert_eq!(rp(&format!("vault={LOCAL_VAULT_ARN}")).await, by_name);
        assert!(all_have(&rp("resource_type=RDS").await, "resource_type", "RDS"));
        let tracking = rp(&format!("resource_arn={TRACKING}")).await;
        assert!(all_have(&tracking, "resource_arn", TRACKING));
        assert!(all_have(&rp("status=COMPLETED").await, "status", "COMPLETED"));
        assert!(rp("status=EXPIRED").await.is_empty());
        // The status filter partitions the list: an always-empty filter would not add up.
        let mut by_status = 0;
        for status in ["COMPLETED", "PARTIAL", "DELETING", "EXPIRED", "AVAILABLE", "STOPPED", "CREATING"] {
            let part = rp(&format!("status={status}")).await;
            assert!(part.iter().all(|r| r["status"] == status), "{label}: {status}");
            by_status += part.len();
        }
        assert_eq!(by_status, whole.len(), "{label}: every recovery point has one of the statuses");
        let recent = rp("created_after=2026-11-20").await;
        assert!(!recent.is_empty() && recent.iter().all(|r| r["created_at"].as_str().unwrap() >= "2026-11-20"));
        let older = rp("created_before=2026-11-20T00:00:00Z").await;
        assert!(older.iter().all(|r| r["created_at"].as_str().unwrap() < "2026-11-20"));
        assert_eq!(recent.len() + older.len(), whole.len(), "{label}");
        let both = rp(&format!("account_id={WORKLOAD_A}&resource_arn={TRACKING}&created_after=2026-11-20")).await;
        assert!(!both.is_empty() && both.len() < tracking.len());

        let restores = |q: &str| c.all(format!("/api/v1/restore-jobs?limit=100&{q}"));
        let tests = restores("test=true").await;
        assert!(tests.len() >= 85 && tests.iter().all(|j| j["test"] == true && j["plan_arn"].is_string()));
        let own = restores("test=false").await;
        assert_eq!(own.len(), 1, "{label}: the one restore started by hand: {own:?}");
        assert!(own.iter().all(|j| j["test"] == false && j["job_id"] == manual.as_str()), "{label}");
        assert_eq!(
            own.len() + tests.len(),
            restores("").await.len(),
            "{label}: test=true and test=false split the list"
        );
        let failed_validation = restores("validation_status=FAILED").await;
        assert!(all_have(&failed_validation, "validation_status", "FAILED"));
        assert_eq!(failed_validation[0]["validation_message"], "row count 0");
        assert!(all_have(&restores("status=FAILED").await, "status", "FAILED"));
        let plan = tests[0]["plan_arn"].as_str().unwrap().to_string();
        assert_eq!(
            restores(&format!("plan_arn={plan}")).await.len(),
            tests.iter().filter(|j| j["plan_arn"] == plan.as_str()).count()
        );
        assert!(all_have(
            &restores(&format!("resource_arn={TRACKING}&account_id={WORKLOAD_A}")).await,
            "resource_type",
            "DynamoDB"
        ));
        assert!(all_have(&restores(&format!("vault={LOCAL_VAULT_ARN}")).await, "vault_arn", LOCAL_VAULT_ARN));
        let completed = restores("status=COMPLETED&test=true").await;
        assert!(!completed.is_empty() && completed.iter().all(|j| j["duration_minutes"].as_i64().unwrap() > 0));

        let backups = |q: &str| c.all(format!("/api/v1/backup-jobs?limit=200&{q}"));
        assert!(all_have(&backups("vault=workload-a-vault").await, "vault_name", "workload-a-vault"));
        assert!(all_have(&backups("status=COMPLETED&resource_type=DynamoDB").await, "resource_type", "DynamoDB"));
        assert!(all_have(
            &backups(&format!("account_id={WORKLOAD_A}&region=ap-southeast-2")).await,
            "account_id",
            WORKLOAD_A
        ));
        let copies = c.all(&format!("/api/v1/copy-jobs?limit=200&vault={LOCAL_VAULT_ARN}")).await;
        assert!(all_have(&copies, "source_vault_arn", LOCAL_VAULT_ARN));
        assert!(all_have(&c.all("/api/v1/copy-jobs?status=COMPLETED&resource_type=RDS").await, "resource_type", "RDS"));
        assert!(all_have(
            &c.all("/api/v1/protected-resources?resource_type=DynamoDB").await,
            "resource_type",
            "DynamoDB"
        ));
        let resource = c.all(&format!("/api/v1/protected-resources?resource_arn={TRACKING}")).await;
        assert_eq!(resource.len(), 1);
        assert!(resource[0]["latest_restore_minutes"].as_i64().unwrap() > 0);
        assert_eq!(c.all(&format!("/api/v1/vaults?account_id={BACKUP}")).await[0]["name"], "central-vault");
        assert!(c.all(&format!("/api/v1/vaults?account_id={BACKUP}")).await[0]["access_policy"]
            .as_str()
            .unwrap()
            .contains("CopyIntoBackupVault"));
        assert_eq!(
            c.all(&format!("/api/v1/restore-testing-plans?account_id={WORKLOAD_A}&region=ap-southeast-2")).await.len(),
            1
        );

        let (_, summary) = c.get("/api/v1/summary").await;
        let a = summary["accounts"].as_array().unwrap().iter().find(|a| a["account_id"] == WORKLOAD_A).unwrap().clone();
        assert_eq!(a["resources_never_tested"], 6, "mydb and the five platform resources are never restore-tested");
        // Passed: validated SUCCESSFUL; failed: the failed validation and the test that missed its start
        // window; most of the rest restored without a validation (the sandbox validates nothing itself).
        let tests = &a["restore_tests_30d"];
        assert_eq!(tests["passed"].as_i64(), Some(1), "{label}: {tests}");
        assert!(tests["failed"].as_i64().unwrap() >= 2, "{label}: {tests}");
        assert!(tests["restored"].as_i64().unwrap() >= 20, "{label}: {tests}");
        assert_eq!(tests["validated"].as_i64(), Some(2), "{label}: {tests}");
    }
}

#[tokio::test]
async fn bad_input_is_a_400_that_names_the_parameter() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        let cases = [
            ("/api/v1/recovery-points?status=DONE", "status"),
            ("/api/v1/recovery-points?resource_type=Main%2Fframe", "resource_type"),
            ("/api/v1/backup-jobs?resource_type=%20EBS", "resource_type"),
            ("/api/v1/recovery-points?limit=-5", "limit"),
            ("/api/v1/recovery-points?limit=abc", "limit"),
            ("/api/v1/recovery-points?cursor=forged", "cursor"),
            ("/api/v1/recovery-points?created_after=yesterday", "created_after"),
            ("/api/v1/recovery-points?created_before=2026-13-45", "created_before"),
            ("/api/v1/recovery-points?resource_arn=tracking", "resource_arn"),
            ("/api/v1/recovery-points?account_id=42", "account_id"),
            ("/api/v1/recovery-points?region=moon", "region"),
            ("/api/v1/recovery-points?test=true", "test"),
            ("/api/v1/restore-jobs?test=maybe", "test"),
            ("/api/v1/restore-jobs?validation_status=GREAT", "validation_status"),
            ("/api/v1/restore-jobs?plan_arn=plan", "plan_arn"),
            ("/api/v1/copy-jobs?vault=central-vault", "vault"),
            ("/api/v1/vaults?resource_type=RDS", "resource_type"),
        ];
        for (path, param) in cases {
            let (status, body) = c.get(path).await;
            assert_eq!(status, 400, "{}: {path}: {body}", db.label);
            assert!(body["error"]["code"].is_string(), "{path}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().contains(param), "{path}: {body}");
        }
        let (status, body) = c.get("/api/v1/nothing-here").await;
        assert_eq!(status, 404);
        assert_eq!(body["error"]["code"], "not_found");
    }
}

#[tokio::test]
async fn sync_runs_on_demand_shows_progress_and_refuses_a_second_run() {
    let sb = spawn(2, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        let anonymous = c.http.post(format!("{}/api/v1/sync", c.url)).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "no action is anonymous");
        let auditor = c.sign_in("carol").await;
        assert_eq!(c.post_as(&auditor, "/api/v1/sync", Value::Null).await.0, 403, "an auditor does not sync");
        let alice = c.sign_in("alice").await;
        // Every sandbox answer held for 3 s: the first sync is still running when the second POST
        // arrives, however fast the machine (a loopback request takes milliseconds).
        sb.set_faults(json!({ "latency_ms": 3000 })).await;
        let (status, _) = c.post_as(&alice, "/api/v1/sync", Value::Null).await;
        assert_eq!(status, 202);
        let again = c.http.post(format!("{}/api/v1/sync", c.url)).bearer_auth(&alice).send().await.unwrap();
        assert_eq!(again.status(), 409);
        let body: Value = again.json().await.unwrap();
        assert_eq!(body["error"]["code"], "conflict");
        assert_eq!(c.get("/api/v1/sync").await.1["running"], true);
        sb.set_faults(json!({})).await;
        let mut progress = Value::Null;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            progress = c.get("/api/v1/sync").await.1;
            if progress["running"] == false {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(progress["running"], false, "{}: {progress}", db.label);
        assert!(progress["targets"].as_i64().unwrap() >= 3);
        assert_eq!(progress["done"], progress["targets"]);
        assert!(progress["finished_at"].is_string());
        let (status, _) = c.get("/readyz").await;
        assert_eq!(status, 200);

        let (status, doc) = c.get("/api/v1/openapi.json").await;
        assert_eq!(status, 200);
        assert!(doc["paths"]["/api/v1/recovery-points"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "created_after"));
    }
}

/// AWS adds resource types: a filter or a target takes any well-formed type (here
/// "DSQL", which the known list lacks) and finds what the database holds, and the
/// UI's list is the known types plus the held ones.
#[tokio::test]
async fn a_resource_type_aws_adds_later_filters_targets_and_is_offered() {
    use recovery_console::store::{ProtectedResourceRow, TargetSnapshot};
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        let arn = format!("arn:aws:dsql:{REGION}:{WORKLOAD_A}:cluster/abcdefghijklmnopqrstuvwxyz");
        let snap = TargetSnapshot {
            account_id: WORKLOAD_A.into(),
            region: REGION.into(),
            resources: vec![ProtectedResourceRow {
                name: Some("ledger".into()),
                ..resource_row(WORKLOAD_A, &arn, "DSQL")
            }],
            ..TargetSnapshot::default()
        };
        let now = sb.now_ms().await;
        c.store.sync_started(WORKLOAD_A, REGION, now).await.unwrap();
        c.store.save_snapshot(&snap, now, now).await.unwrap();

        let found = c.all("/api/v1/protected-resources?resource_type=DSQL").await;
        assert_eq!(found.len(), 1, "{label}: {found:?}");
        assert_eq!(found[0]["resource_arn"], arn.as_str());
        assert!(c.all("/api/v1/backup-jobs?resource_type=DSQL").await.is_empty());
        let (status, types) = c.get("/api/v1/resource-types").await;
        assert_eq!(status, 200);
        let types: Vec<&str> = types["items"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert!(types.contains(&"DSQL") && types.contains(&"RDS") && types.contains(&"EKS"), "{label}: {types:?}");

        let erin = c.sign_in("erin").await;
        let target = json!({"scope_kind": "resource_type", "scope": "DSQL", "rpo_hours": 24, "rto_minutes": 60});
        let (status, body) = c.send_as(reqwest::Method::PUT, &erin, "/api/v1/assurance/targets", target).await;
        assert_eq!(status, 200, "{label}: {body}");
        let bad = json!({"scope_kind": "resource_type", "scope": "DSQL<script>", "rpo_hours": 24, "rto_minutes": 60});
        let (status, body) = c.send_as(reqwest::Method::PUT, &erin, "/api/v1/assurance/targets", bad).await;
        assert_eq!(status, 400, "{label}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("DSQL<script>"), "{body}");
    }
}
