//! What the web console's pages read beyond the lists, on SQLite and PostgreSQL:
//! the Overview's posture, restore tests per day, restore outcomes, untested
//! resources, and one recovery point in detail with AWS's restore metadata.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

use crate::common::*;
use crate::console::*;

const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
const MYDB: &str = "arn:aws:rds:ap-southeast-2:111111111111:db:mydb";

fn failed(j: &Value) -> bool {
    ["FAILED", "ABORTED"].contains(&j["status"].as_str().unwrap())
        || ["FAILED", "TIMED_OUT"].contains(&j["validation_status"].as_str().unwrap_or(""))
}

fn sum(days: &[Value], field: &str) -> i64 {
    days.iter().map(|d| d["tests"][field].as_i64().unwrap()).sum()
}

#[tokio::test]
async fn overview_counts_agree_with_the_lists() {
    let sb = spawn(0, 0.0).await;
    // AWS validates no test by itself: an outside validator passes today's.
    validated_tracking_test(&sb, "SUCCESSFUL", "checked").await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let label = db.label;
        let (status, o) = c.get("/api/v1/overview").await;
        assert_eq!(status, 200, "{label}: {o}");

        // Ninety days, every day present, ending on the sandbox's today.
        let days = o["daily_tests"].as_array().unwrap();
        assert_eq!(days.len(), 90, "{label}");
        let today = chrono::DateTime::from_timestamp_millis(sb.sandbox.now()).unwrap().format("%Y-%m-%d").to_string();
        assert_eq!(days[89]["date"], today.as_str());
        let first = days[0]["date"].as_str().unwrap();
        let tests =
            |outcome: &str| c.all(format!("/api/v1/restore-jobs?test=true&outcome={outcome}&created_after={first}"));
        let (passed, failures) = (tests("passed").await, tests("failed").await);
        assert!(passed.iter().all(|j| j["validation_status"] == "SUCCESSFUL"), "{label}");
        assert!(!failures.is_empty() && failures.iter().all(failed), "{label}");
        assert_eq!(sum(days, "passed"), passed.len() as i64, "{label}");
        assert_eq!(sum(days, "failed"), failures.len() as i64, "{label}");
        // The three outcomes (shared::TestOutcome, one SQL definition) and the tests still
        // running split every restore test: none in two, none left out.
        let restored = tests("restored").await;
        assert!(
            restored.iter().all(|j| j["status"] == "COMPLETED"
                && (j["validation_status"].is_null() || j["validation_status"] == "VALIDATING")),
            "{label}"
        );
        let all = c.all(format!("/api/v1/restore-jobs?test=true&created_after={first}")).await;
        let running =
            all.iter().filter(|j| !["COMPLETED", "FAILED", "ABORTED"].contains(&j["status"].as_str().unwrap()));
        let classified = passed.len() + restored.len() + failures.len() + running.count();
        assert!(!all.is_empty(), "{label}");
        assert_eq!(classified, all.len(), "{label}: passed, restored, failed and running add up to every test");
        // The SQL and the Rust spelling of the definition (shared::TestOutcome::of) agree on every test.
        for (outcome, jobs) in [("passed", &passed), ("restored", &restored), ("failed", &failures)] {
            for j in jobs.iter() {
                let of = shared::TestOutcome::of(j["status"].as_str().unwrap(), j["validation_status"].as_str());
                assert_eq!(of.map(|o| o.as_str()), Some(outcome), "{label}: {j}");
            }
        }
        assert_eq!(sum(days, "restored"), restored.len() as i64, "{label}");

        // The latest failures are the newest failed tests, tracking's among them with its
        // reason: four days ago a test could not start within its start window.
        let latest = o["latest_failures"].as_array().unwrap();
        assert_eq!(latest[0], failures[0], "{label}");
        let tracking = latest.iter().find(|j| j["resource_arn"] == TRACKING).unwrap();
        assert_eq!(tracking["status"], "ABORTED", "{label}");
        assert!(tracking["status_message"].as_str().unwrap().contains("start window"), "{label}");

        // mydb and the five platform resources (one of each other type) have never been
        // restore-tested; tracking was tested and knows how its last test went.
        assert_eq!(o["never_tested"], 6, "{label}");
        let untested: Vec<&Value> = o["untested_resources"].as_array().unwrap().iter().collect();
        assert!(untested.iter().any(|r| r["resource_arn"] == MYDB), "{label}: {untested:?}");
        let never = c.all("/api/v1/protected-resources?never_tested=true").await;
        assert_eq!(never.len(), 6);
        assert!(never.iter().any(|r| r["resource_arn"] == MYDB));
        assert!(never.iter().all(|r| r["resource_arn"] != TRACKING));
        let t = &c.all(format!("/api/v1/protected-resources?resource_arn={TRACKING}")).await[0];
        let newest_test = c.all(format!("/api/v1/restore-jobs?test=true&resource_arn={TRACKING}&limit=1")).await;
        assert_eq!(t["last_test_at"], newest_test[0]["created_at"], "{label}");
        let newest = &newest_test[0];
        let expected =
            shared::TestOutcome::of(newest["status"].as_str().unwrap(), newest["validation_status"].as_str());
        assert_eq!(t["last_test_outcome"], serde_json::json!(expected), "{label}");
        // Tested today, so a one-day threshold leaves only the never-tested resources.
        assert_eq!(c.all("/api/v1/protected-resources?not_tested_days=1").await.len(), 6, "{label}");

        // Every protected resource falls in one backup-age bucket.
        let resources = c.all("/api/v1/protected-resources").await.len() as i64;
        let ages = &o["backup_ages"];
        let bucketed: i64 =
            ["within_24h", "within_7d", "older", "never"].iter().map(|k| ages[*k].as_i64().unwrap()).sum();
        assert_eq!(bucketed, resources, "{label}");
        assert!(!o["oldest_backups"].as_array().unwrap().is_empty());

        // Restore times: DynamoDB restores of the last 90 days, median within the range.
        let rto = o["restore_times"].as_array().unwrap().iter().find(|r| r["resource_type"] == "DynamoDB").unwrap();
        let completed =
            c.all(format!("/api/v1/restore-jobs?status=COMPLETED&resource_type=DynamoDB&created_after={first}")).await;
        assert_eq!(rto["restores"].as_i64().unwrap(), completed.len() as i64, "{label}");
        let durations: Vec<i64> = completed.iter().map(|j| j["duration_minutes"].as_i64().unwrap()).collect();
        assert_eq!(rto["max_minutes"].as_i64(), durations.iter().max().copied());
        let median = rto["median_minutes"].as_i64().unwrap();
        assert!(median >= *durations.iter().min().unwrap() && median <= rto["p90_minutes"].as_i64().unwrap());

        // Per plan and per week.
        let plan = passed[0]["plan_arn"].as_str().unwrap();
        let (status, week) = c.get(&format!("/api/v1/restore-tests/daily?days=7&plan_arn={plan}")).await;
        assert_eq!(status, 200);
        let week = week.as_array().unwrap();
        assert_eq!(week.len(), 7);
        let since = week[0]["date"].as_str().unwrap();
        let in_plan = c.all(format!("/api/v1/restore-jobs?plan_arn={plan}&created_after={since}")).await;
        assert_eq!(sum(week, "failed"), in_plan.iter().filter(|j| failed(j)).count() as i64, "{label}");
    }
}

#[tokio::test]
async fn a_recovery_point_in_detail_passes_its_restore_metadata_through() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let label = db.label;
        let copied =
            c.all(format!("/api/v1/recovery-points?account_id={BACKUP}&resource_arn={TRACKING}&limit=1")).await;
        let arn = copied[0]["recovery_point_arn"].as_str().unwrap();
        let (status, d) = c.get(&format!("/api/v1/recovery-points/{}", urlencoding(arn))).await;
        assert_eq!(status, 200, "{label}: {d}");
        assert_eq!(d["recovery_point"], copied[0]);
        assert!(d["recovery_point"]["source_vault_arn"].as_str().unwrap().contains("workload-a-vault"));
        // Passed through as AWS's GetRecoveryPointRestoreMetadata answers for the same point.
        let own = sb
            .reader(BACKUP)
            .await
            .get_recovery_point_restore_metadata()
            .backup_vault_name(copied[0]["vault_name"].as_str().unwrap())
            .recovery_point_arn(arn)
            .send()
            .await
            .unwrap();
        let expected: serde_json::Map<String, serde_json::Value> = own
            .restore_metadata()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(d["restore_metadata"], serde_json::Value::Object(expected), "{label}: {d}");
        assert!(d["restore_metadata_error"].is_null());
        let copy = &d["copy_jobs"][0];
        assert_eq!(copy["destination_recovery_point_arn"], arn, "{label}: the copy job that made it");

        // A tested recovery point lists its restore jobs.
        let test = &c.all(format!("/api/v1/restore-jobs?test=true&resource_arn={TRACKING}&limit=1")).await[0];
        let source = test["recovery_point_arn"].as_str().unwrap();
        let (_, d) = c.get(&format!("/api/v1/recovery-points/{}", urlencoding(source))).await;
        assert!(d["restore_jobs"].as_array().unwrap().iter().any(|j| j["job_id"] == test["job_id"]), "{label}");

        let (status, body) = c.get("/api/v1/recovery-points/arn%3Aaws%3Abackup%3Aap-southeast-2%3A1%3Arp%3Anone").await;
        assert_eq!(status, 404);
        assert!(body["error"]["message"].as_str().unwrap().contains("arn:aws:backup:ap-southeast-2:1:rp:none"));
    }
}

#[tokio::test]
async fn posture_input_is_checked() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        for (path, param) in [
            ("/api/v1/overview?stale_after_days=0", "stale_after_days"),
            ("/api/v1/overview?stale_after_days=soon", "stale_after_days"),
            ("/api/v1/overview?days=3", "days"),
            ("/api/v1/restore-tests/daily?days=400", "days"),
            ("/api/v1/restore-tests/daily?account_id=12", "account_id"),
            ("/api/v1/restore-tests/daily?plan_arn=nightly", "plan_arn"),
            ("/api/v1/restore-jobs?outcome=maybe", "outcome"),
            ("/api/v1/protected-resources?not_tested_days=0", "not_tested_days"),
            ("/api/v1/protected-resources?never_tested=yes", "never_tested"),
            ("/api/v1/recovery-points?outcome=passed", "outcome"),
        ] {
            let (status, body) = c.get(path).await;
            assert_eq!(status, 400, "{}: {path}: {body}", db.label);
            assert!(body["error"]["message"].as_str().unwrap().contains(param), "{path}: {body}");
        }
    }
}

pub(crate) fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Security review finding 21: opening a recovery point does not cost a live Backup
/// call per hit: GetRecoveryPointRestoreMetadata's answer serves for a minute.
#[tokio::test]
async fn a_recovery_points_live_metadata_is_read_once_a_minute() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        sb.set_faults(serde_json::json!({})).await;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let points =
            c.all(format!("/api/v1/recovery-points?account_id={BACKUP}&resource_arn={TRACKING}&limit=1")).await;
        let path =
            format!("/api/v1/recovery-points/{}", urlencoding(points[0]["recovery_point_arn"].as_str().unwrap()));
        let (_, first) = c.get(&path).await;
        assert!(first["restore_metadata"].is_object(), "{label}: {first}");
        // AWS fails every GetRecoveryPointRestoreMetadata from now on: within the minute the
        // answer already read serves; after it, the failure shows.
        let faults = serde_json::json!({"error_rate": 1.0, "operations": ["GetRecoveryPointRestoreMetadata"]});
        sb.set_faults(faults).await;
        let (_, again) = c.get(&path).await;
        assert_eq!(again["restore_metadata"], first["restore_metadata"], "{label}: read again: {again}");
        sb.advance(61.0).await;
        let (_, later) = c.get(&path).await;
        assert!(later["restore_metadata_error"].is_string(), "{label}: {later}");
        sb.set_faults(serde_json::json!({})).await;
    }
}

/// The Overview's and the coverage's inputs are computed ahead of the requests: by
/// the first pass of a new process, then once the inventory's version has held still
/// for a pass after a sync moved it (not while it keeps moving).
#[tokio::test]
async fn the_overview_and_coverage_are_computed_before_anyone_asks() {
    use recovery_console::assurance::warm::Warmer;
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        let label = db.label;
        let cached =
            || async { (c.store.derived_version("overview").await, c.store.derived_version("coverage").await) };
        let mut warmer = Warmer::default();
        assert!(warmer.pass(&c.state).await.unwrap(), "{label}: a new process computes at once");
        let before = c.store.inventory_version().await.unwrap();
        assert_eq!(cached().await, (Some(before), Some(before)), "{label}");
        assert!(!warmer.pass(&c.state).await.unwrap(), "{label}: nothing moved");

        c.syncer.run().await.unwrap();
        let after = c.store.inventory_version().await.unwrap();
        assert!(after > before, "{label}: the sync wrote the inventory");
        assert!(!warmer.pass(&c.state).await.unwrap(), "{label}: the version just moved");
        assert_eq!(cached().await, (Some(before), Some(before)), "{label}");
        assert!(warmer.pass(&c.state).await.unwrap(), "{label}: the version held still for a pass");
        assert_eq!(cached().await, (Some(after), Some(after)), "{label}");

        // The answers come from what the pass computed, and agree with the lists.
        let (status, o) = c.get("/api/v1/overview").await;
        assert_eq!(status, 200, "{label}: {o}");
        let resources = c.all("/api/v1/protected-resources").await;
        let ages = &o["backup_ages"];
        let aged = ["within_24h", "within_7d", "older", "never"].map(|k| ages[k].as_i64().unwrap()).iter().sum::<i64>();
        assert_eq!(aged, resources.len() as i64, "{label}: {o}");
    }
}
