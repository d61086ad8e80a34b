//! The console's sync against the sandbox, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;

type Set = BTreeSet<String>;

/// What the sandbox holds for one (account, region), read through the SDK.
async fn sandbox_inventory(sb: &TestSandbox, account: &str, region: &str, external_id: Option<&str>) -> [Set; 7] {
    let config = sb.role(account, "RecoveryConsoleRead", external_id).await;
    let c =
        aws_sdk_backup::Client::new(&config.into_builder().region(aws_config::Region::new(region.to_string())).build());
    let vaults: Vec<_> = all_items!(c.list_backup_vaults());
    let mut points = Set::new();
    for v in &vaults {
        let rps: Vec<_> =
            all_items!(c.list_recovery_points_by_backup_vault().backup_vault_name(v.backup_vault_name().unwrap()));
        points.extend(rps.iter().map(|r| r.recovery_point_arn().unwrap().to_string()));
    }
    let backups: Vec<_> = all_items!(c.list_backup_jobs());
    let copies: Vec<_> = all_items!(c.list_copy_jobs());
    let restores: Vec<_> = all_items!(c.list_restore_jobs());
    let plans: Vec<_> = all_items!(c.list_restore_testing_plans());
    let resources: Vec<_> = all_items!(c.list_protected_resources());
    [
        vaults.iter().map(|v| v.backup_vault_arn().unwrap().to_string()).collect(),
        points,
        resources.iter().map(|r| r.resource_arn().unwrap().to_string()).collect(),
        backups.iter().map(|j| j.backup_job_id().unwrap().to_string()).collect(),
        copies.iter().map(|j| j.copy_job_id().unwrap().to_string()).collect(),
        restores.iter().map(|j| j.restore_job_id().unwrap().to_string()).collect(),
        plans.iter().map(|p| p.restore_testing_plan_arn().to_string()).collect(),
    ]
}

async fn console_inventory(c: &TestConsole, account: &str, region: &str) -> [Set; 7] {
    let q = format!("account_id={account}&region={region}&limit=50");
    let set = |v: Vec<String>| v.into_iter().collect::<Set>();
    [
        set(c.field(&format!("/api/v1/vaults?{q}"), "arn").await),
        set(c.field(&format!("/api/v1/recovery-points?{q}"), "recovery_point_arn").await),
        set(c.field(&format!("/api/v1/protected-resources?{q}"), "resource_arn").await),
        set(c.field(&format!("/api/v1/backup-jobs?{q}"), "job_id").await),
        set(c.field(&format!("/api/v1/copy-jobs?{q}"), "job_id").await),
        set(c.field(&format!("/api/v1/restore-jobs?{q}"), "job_id").await),
        set(c.field(&format!("/api/v1/restore-testing-plans?{q}"), "plan_arn").await),
    ]
}

/// Everything the API lists, for comparing two states of the console.
pub async fn everything(c: &TestConsole) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    for list in [
        "vaults",
        "recovery-points",
        "protected-resources",
        "backup-jobs",
        "copy-jobs",
        "restore-jobs",
        "restore-testing-plans",
    ] {
        out.push(c.all(&format!("/api/v1/{list}?limit=200&include_gone=true")).await);
    }
    out
}

#[tokio::test]
async fn a_sync_holds_what_the_sandbox_holds_and_a_second_sync_changes_nothing() {
    let sb = spawn(3, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        let reports = c.syncer.run().await.unwrap();
        // workload_a, backup, and 3 generated accounts over their regions; the last has no roles.
        let failed: Vec<_> = reports.iter().filter(|r| r.status != "ok").collect();
        assert!(failed.iter().all(|r| r.account_id == "400000000003"), "{}: {failed:?}", db.label);
        assert!(!failed.is_empty());
        assert_eq!(failed[0].error_code.as_deref(), Some("AccessDenied"));

        let mut compared = 0;
        for a in sb.sandbox.accounts().iter().filter(|a| a.in_organization && !a.roles.is_empty()) {
            let external_id = a.roles[0].external_id.as_deref();
            for region in &a.regions {
                let expected = sandbox_inventory(&sb, &a.id, region, external_id).await;
                let synced = console_inventory(&c, &a.id, region).await;
                let names = [
                    "vaults",
                    "recovery points",
                    "protected resources",
                    "backup jobs",
                    "copy jobs",
                    "restore jobs",
                    "plans",
                ];
                for i in 0..7 {
                    assert_eq!(synced[i], expected[i], "{}: {} of {} {region}", db.label, names[i], a.id);
                }
                compared += expected[1].len();
            }
        }
        assert!(compared > 1000, "{compared} recovery points compared");

        let before = everything(&c).await;
        let again = c.syncer.run().await.unwrap();
        assert_eq!(
            again.iter().filter(|r| r.status == "ok").count(),
            reports.iter().filter(|r| r.status == "ok").count()
        );
        assert_eq!(everything(&c).await, before, "{}: a second sync changed something", db.label);

        // Every resource type the sandbox models reaches the console with the recovery
        // point ARNs AWS makes for it (AWS Backup Developer Guide; sandbox/src/world.rs):
        // EC2 images and EBS snapshots without an account id, Aurora cluster snapshots,
        // S3 continuous points beside the periodic ones.
        let points = c.all(format!("/api/v1/recovery-points?account_id={WORKLOAD_A}&limit=500")).await;
        for t in ["DynamoDB", "RDS", "Aurora", "EC2", "EBS", "EFS", "S3"] {
            assert!(points.iter().any(|p| p["resource_type"] == t), "{}: no {t} recovery point synced", db.label);
            let resources =
                c.all(format!("/api/v1/protected-resources?account_id={WORKLOAD_A}&resource_type={t}")).await;
            assert!(!resources.is_empty(), "{}: no {t} protected resource synced", db.label);
        }
        let arns: Vec<&str> = points.iter().map(|p| p["recovery_point_arn"].as_str().unwrap()).collect();
        for form in [
            ":ec2:ap-southeast-2::image/ami-",
            ":ec2:ap-southeast-2::snapshot/snap-",
            ":cluster-snapshot:awsbackup:job-",
            ":recovery-point:continuous:",
        ] {
            assert!(arns.iter().any(|a| a.contains(form)), "{}: no recovery point ARN like *{form}*", db.label);
        }

        // Plans come with their selections; recovery points with their encryption and lifecycle.
        let plans = c.all(&format!("/api/v1/restore-testing-plans?account_id={WORKLOAD_A}")).await;
        assert_eq!(plans[0]["selections"][0]["resource_type"], "DynamoDB");
        assert_eq!(plans[0]["selections"][0]["validation_window_hours"], 4);
        let copies = c.all(&format!("/api/v1/recovery-points?account_id={BACKUP}&limit=5")).await;
        assert!(!copies.is_empty());
        assert!(copies.iter().all(|rp| rp["source_vault_arn"].as_str().unwrap().contains(":backup-vault:")));
        assert!(copies.iter().all(|rp| rp["encryption_key_arn"].as_str().unwrap().starts_with("arn:aws:kms:")));
        assert!(copies.iter().all(|rp| rp["delete_at"].is_string()));
    }
}

#[tokio::test]
async fn a_denied_account_shows_its_aws_error_and_the_others_sync() {
    let sb = spawn(0, 0.0).await;
    sb.set_faults(json!({ "deny_accounts": [BACKUP] })).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        let reports = c.syncer.run().await.unwrap();
        let a = reports.iter().find(|r| r.account_id == WORKLOAD_A).unwrap();
        let b = reports.iter().find(|r| r.account_id == BACKUP).unwrap();
        assert_eq!(a.status, "ok");
        assert_eq!((b.status, b.error_code.as_deref()), ("error", Some("AccessDenied")), "{}", db.label);
        assert!(b.error_message.as_deref().unwrap().contains("sts:AssumeRole"));

        let (status, accounts) = c.get("/api/v1/accounts").await;
        assert_eq!(status, 200);
        let backup = accounts["items"].as_array().unwrap().iter().find(|a| a["id"] == BACKUP).unwrap();
        assert_eq!(backup["sync"][0]["status"], "error");
        assert_eq!(backup["sync"][0]["error_code"], "AccessDenied");
        assert!(backup["sync"][0]["last_success_at"].is_null());
        let (_, summary) = c.get("/api/v1/summary").await;
        let rows = summary["accounts"].as_array().unwrap();
        assert_eq!(rows.iter().find(|r| r["account_id"] == BACKUP).unwrap()["sync_ok"], false);
        assert_eq!(rows.iter().find(|r| r["account_id"] == WORKLOAD_A).unwrap()["sync_ok"], true);
    }
}

/// A protected resource, plan or selection that vanishes between the list that named it
/// and its describe (AWS answers ResourceNotFoundException, e.g. a resource whose last
/// recovery point just expired) is skipped: the rest of its (account, region) is kept,
/// and the next sync finds what still exists (fidelity review item 12).
#[tokio::test]
async fn an_item_gone_between_list_and_describe_is_skipped_not_the_whole_region() {
    let sb = spawn(3, 0.0).await;
    for db in databases().await {
        let label = db.label;
        // Every sync is full here: each describes every resource again.
        let c = console(&sb, &db, |cfg| cfg.sync.full_every_hours = 0).await;
        // The generated world's last account denies the read role on purpose: the others sync.
        let ok = |reports: &[recovery_console::sync::TargetReport]| -> Vec<(String, String)> {
            let mut ok: Vec<_> =
                reports.iter().filter(|r| r.status == "ok").map(|r| (r.account_id.clone(), r.region.clone())).collect();
            ok.sort();
            ok
        };
        let synced = ok(&c.syncer.run().await.unwrap());
        assert!(synced.len() >= 4, "{label}: {synced:?}");
        let resources = c.all("/api/v1/protected-resources").await.len();
        let plans = c.all("/api/v1/restore-testing-plans").await.len();

        let ops = ["DescribeProtectedResource", "GetRestoreTestingPlan", "GetRestoreTestingSelection"];
        sb.set_faults(json!({ "not_found_rate": 0.3, "operations": ops })).await;
        // A minute on, so that what this sync does not find is older than it.
        sb.advance(60.0).await;
        let reports = c.syncer.run().await.unwrap();
        sb.set_faults(json!({})).await;
        assert_eq!(ok(&reports), synced, "{label}: {reports:?}");
        let (fewer_resources, fewer_plans) =
            (c.all("/api/v1/protected-resources").await.len(), c.all("/api/v1/restore-testing-plans").await.len());
        assert!(0 < fewer_resources && fewer_resources < resources, "{label}: {fewer_resources} of {resources}");
        assert!(fewer_plans <= plans, "{label}: {fewer_plans} of {plans}");

        sb.advance(60.0).await;
        assert_eq!(ok(&c.syncer.run().await.unwrap()), synced, "{label}");
        assert_eq!(c.all("/api/v1/protected-resources").await.len(), resources, "{label}: back once they answer");
        assert_eq!(c.all("/api/v1/restore-testing-plans").await.len(), plans, "{label}");
    }
}

/// The inventory the API lists (gone items left out), for comparing two databases.
async fn live_inventory(c: &TestConsole) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    for list in ["vaults", "recovery-points", "protected-resources", "restore-testing-plans"] {
        out.push(c.all(&format!("/api/v1/{list}?limit=200")).await);
    }
    out
}

/// Issue 16, item 1: a sync after one with nothing new lists recovery points created
/// since the last success and describes nothing, so it makes a small share of a first
/// sync's calls; after a day of changes (new backups and copies, points past their
/// retention (EXPIRED, Backup model `RecoveryPointStatus`) or moved to cold storage, and
/// a recovery point deleted (`DeleteRecoveryPoint`)), the incremental sync leaves the database as a full sync
/// into a fresh one does. So too with `sync.organization_jobs`, where a pass reads the
/// jobs of every account once per Region through the management account.
#[tokio::test]
async fn an_incremental_sync_reads_a_fraction_and_ends_where_a_full_sync_does() {
    let sb = spawn(12, 0.0).await;
    let tracking = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
    for organization_jobs in [false, true] {
        let fresh_dbs = databases().await;
        for (db, fresh_db) in databases().await.iter().zip(&fresh_dbs) {
            let label = format!("{}{}", db.label, if organization_jobs { ", organization jobs" } else { "" });
            // No full read within the test's day: the day's changes go through the
            // incremental path alone.
            let c = console(&sb, db, |cfg| {
                cfg.sync.organization_jobs = organization_jobs;
                cfg.sync.full_every_hours = 48;
            })
            .await;
            let calls = || sb.sandbox.requests();
            let before = calls();
            c.syncer.run().await.unwrap();
            let first = calls() - before;
            let before = calls();
            let ops_before = sb.sandbox.operations();
            let reports = c.syncer.run().await.unwrap();
            let next = calls() - before;
            let ops: std::collections::BTreeMap<&str, u64> = sb
                .sandbox
                .operations()
                .into_iter()
                .map(|(op, n)| (op, n - ops_before.get(op).copied().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect();
            assert!(reports.iter().filter(|r| r.status == "ok").count() > 10, "{label}: {reports:?}");
            println!("{label}: first sync {first} AWS calls, next sync with nothing new {next}: {ops:?}");
            assert!(next * 10 <= first, "{label}: the next sync made {next} calls, the first {first}");
            // Nothing moved, so nothing is described, and the resources are listed only where
            // a backup or restore job ended in the window (the job listing's overlap).
            for op in [
                "DescribeRestoreJob",
                "DescribeProtectedResource",
                "GetRestoreTestingPlan",
                "GetBackupVaultAccessPolicy",
                // Read every sync.plans_every_minutes, or when a plan ran.
                "ListRestoreTestingPlans",
            ] {
                assert_eq!(ops.get(op), None, "{label}: {op} in {ops:?}");
            }
            assert!(ops.get("ListProtectedResources") < ops.get("ListBackupVaults"), "{label}: {ops:?}");
            if organization_jobs {
                // By creation per Region, and by completion where a job of the kind is on
                // record unfinished, a page or a few each, for the whole organization: fewer
                // than one listing per (account, region).
                let regions: BTreeSet<&str> = reports.iter().map(|r| r.region.as_str()).collect();
                for listing in ["ListBackupJobs", "ListCopyJobs", "ListRestoreJobs"] {
                    let n = ops.get(listing).copied().unwrap_or(0) as usize;
                    assert!(n >= regions.len() && n < reports.len() / 2 + regions.len(), "{label}: {ops:?}");
                }
            }
            let settled = live_inventory(&c).await;

            // A day of changes: the daily backup plans run, copies land in the central vault,
            // points pass their retention or move to cold storage; and a copy by hand.
            let op = sb.operator(WORKLOAD_A).await;
            let rp = latest_rp(&op, "workload-a-vault", tracking).await;
            copy_to_central(&op, &rp).await;
            let points = all_items!(op.list_recovery_points_by_backup_vault().backup_vault_name("workload-a-vault"));
            let deleted = points
                .iter()
                .filter(|p| matches!(p.status().map(|s| s.as_str()), Some("COMPLETED" | "AVAILABLE")))
                .map(|p| p.recovery_point_arn().unwrap().to_string())
                .find(|arn| !arn.contains(":continuous:") && *arn != rp)
                .unwrap();
            op.delete_recovery_point()
                .backup_vault_name("workload-a-vault")
                .recovery_point_arn(&deleted)
                .send()
                .await
                .unwrap();
            sb.advance(86_400.0 + 3_600.0).await;
            let before = sb.sandbox.operations();
            let reports = c.syncer.run().await.unwrap();
            assert!(reports.iter().filter(|r| r.status == "ok").count() > 10, "{label}");
            // Vault access policies are read by a full read only.
            assert_eq!(sb.calls_since(&before, "GetBackupVaultAccessPolicy"), 0, "{label}: an incremental read");
            let incremental = live_inventory(&c).await;
            assert_ne!(incremental[1], settled[1], "{label}: a day brought new recovery points");
            let arns = |list: &[Value]| {
                list.iter().map(|p| p["recovery_point_arn"].as_str().unwrap().to_string()).collect::<Set>()
            };
            assert!(
                arns(&settled[1]).contains(&deleted) && !arns(&incremental[1]).contains(&deleted),
                "{label}: deleted"
            );

            let fresh = console(&sb, fresh_db, |_| {}).await;
            fresh.syncer.run().await.unwrap();
            let full = live_inventory(&fresh).await;
            for (list, (got, want)) in incremental.iter().zip(&full).enumerate() {
                if got == want {
                    continue;
                }
                // The rows that differ, by their text (thousands of rows: a linear search
                // of each in the other list took minutes in a debug build).
                let text = |rows: &[Value]| rows.iter().map(Value::to_string).collect::<Set>();
                let (got_rows, want_rows) = (text(got), text(want));
                let extra: Vec<_> = got_rows.difference(&want_rows).collect();
                let missing: Vec<_> = want_rows.difference(&got_rows).collect();
                panic!(
                    "{label}: list {list} ({} rows against {}): only after the incremental sync {extra:#?}; \
                     only after a full sync {missing:#?}",
                    got.len(),
                    want.len()
                );
            }
        }
    }
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_to_the_same_data() {
    let sb = spawn(1, 0.0).await;
    let reference = databases().await;
    let clean = console(&sb, &reference[0], |_| {}).await;
    assert!(clean.syncer.run().await.unwrap().iter().all(|r| r.status == "ok"));
    let expected = everything(&clean).await;

    for db in databases().await {
        sb.set_faults(json!({ "throttle_rate": 0.2, "error_rate": 0.05 })).await;
        // Random faults, not a rate: the standard mode retries each call; the adaptive
        // one would slow every call of the account down for faults no rate explains.
        let flaky = console(&sb, &db, |cfg| {
            cfg.aws.max_attempts = 12;
            cfg.aws.retry_mode = recovery_console::config::RetryMode::Standard;
        })
        .await;
        let reports = flaky.syncer.run().await.unwrap();
        assert!(reports.iter().all(|r| r.status == "ok"), "{}: {reports:?}", db.label);
        sb.set_faults(json!({})).await;
        let got = everything(&flaky).await;
        assert_eq!(got.len(), expected.len());
        for (list, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert!(!e.is_empty(), "list {list} is empty");
            assert_eq!(g.len(), e.len(), "{}: list {list}", db.label);
            // The same items; sync timestamps aside, the rows are identical.
            assert_eq!(g, e, "{}: list {list}", db.label);
        }
    }
}

#[tokio::test]
async fn recovery_points_that_disappear_are_marked_gone() {
    use recovery_console::store::{RecoveryPointRow, TargetSnapshot};
    for db in databases().await {
        let store = recovery_console::store::Store::connect(&db.url, 2).await.unwrap();
        store.migrate().await.unwrap();
        let rp = point_row;
        let snap = |points: Vec<RecoveryPointRow>| TargetSnapshot {
            account_id: WORKLOAD_A.into(),
            region: REGION.into(),
            recovery_points: points,
            full: true,
            ..TargetSnapshot::default()
        };
        store.sync_started(WORKLOAD_A, REGION, START).await.unwrap();
        let counts = store.save_snapshot(&snap(vec![rp(1), rp(2), rp(3)]), START, START + 10).await.unwrap();
        assert_eq!(counts.recovery_points, 3);
        // An incremental sync lists only new points: what it does not list stays, unless
        // it reconciled the point's vault.
        let incremental = TargetSnapshot { full: false, ..snap(vec![rp(3)]) };
        let counts = store.save_snapshot(&incremental, START + 12, START + 14).await.unwrap();
        assert_eq!(counts.recovery_points, 3, "{}: an incremental sync marked points gone", db.label);
        let reconciled = TargetSnapshot { reconciled_vaults: vec![rp(1).vault_arn], ..incremental.clone() };
        let counts = store.save_snapshot(&reconciled, START + 16, START + 18).await.unwrap();
        assert_eq!(counts.recovery_points, 1, "{}: the reconciled vault keeps only what was listed", db.label);
        let counts = store.save_snapshot(&snap(vec![rp(1), rp(3)]), START + 20, START + 30).await.unwrap();
        assert_eq!(counts.recovery_points, 2, "{}", db.label);
        let q = recovery_console::store::ListQuery { limit: 10, ..Default::default() };
        let (live, _) = store.list_recovery_points(&q).await.unwrap();
        assert_eq!(live.len(), 2);
        let all = recovery_console::store::ListQuery { limit: 10, include_gone: true, ..Default::default() };
        let (with_gone, _) = store.list_recovery_points(&all).await.unwrap();
        let gone: Vec<_> = with_gone.iter().filter(|r| r.gone_at.is_some()).collect();
        assert_eq!(gone.len(), 1);
        assert!(gone[0].recovery_point_arn.ends_with(":2"));
        // It comes back if a later sync finds it again.
        store.save_snapshot(&snap(vec![rp(1), rp(2), rp(3)]), START + 40, START + 50).await.unwrap();
        let (live, _) = store.list_recovery_points(&q).await.unwrap();
        assert_eq!(live.len(), 3, "{}", db.label);
    }
}

#[tokio::test]
async fn the_sync_command_prints_json_and_fails_when_every_account_fails() {
    let sb = spawn(0, 0.0).await;
    let dir = std::env::temp_dir().join(format!("rc-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("console.toml");
    std::fs::write(&config, aws_sandbox::console_config(&sb.url, &sb.sandbox.accounts())).unwrap();
    let (config_path, db_dir) = (config.clone(), dir.clone());
    let run = move || {
        let (config, dir) = (&config_path, &db_dir);
        std::process::Command::new(env!("CARGO_BIN_EXE_recovery-console"))
            .args(["sync", "--config", config.to_str().unwrap(), "--output", "json"])
            .env("RC_DATABASE__URL", format!("sqlite://{}/console.db?mode=rwc", dir.display()))
            .env("AWS_ACCESS_KEY_ID", "AKIACLITEST000000001")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    };
    let out = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reports: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reports.len(), 2);
    assert!(reports.iter().all(|r| r["status"] == "ok" && r["counts"]["recovery_points"].as_i64().unwrap() > 100));

    sb.set_faults(json!({ "deny_accounts": [WORKLOAD_A, BACKUP] })).await;
    let out = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    assert!(!out.status.success());
    let reports: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(reports.iter().all(|r| r["status"] == "error" && r["error_code"] == "AccessDenied"));

    // A bad configuration names its key and stops before anything runs.
    std::fs::write(&config, "[sync]\nconcurrency = 0\n").unwrap();
    let out = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sync.concurrency"));
}

#[tokio::test]
async fn discovery_finds_the_organizations_accounts() {
    let sb = spawn(2, 0.0).await;
    let dbs = databases().await;
    let c = console(&sb, &dbs[0], |cfg| {
        cfg.accounts.retain(|a| a.id == WORKLOAD_A);
        cfg.discovery.enabled = true;
        cfg.discovery.regions = vec![REGION.to_string()];
        cfg.discovery.exclude = vec!["999999999999".into()];
    })
    .await;
    let targets = c.syncer.targets().await;
    let mut ids: Vec<(&str, &str)> =
        targets.iter().map(|t| (t.account.id.as_str(), t.account.source.as_str())).collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            (WORKLOAD_A, "config"),
            (BACKUP, "discovery"),
            ("400000000001", "discovery"),
            ("400000000002", "discovery"),
        ]
    );
    let backup = targets.iter().find(|t| t.account.id == BACKUP).unwrap();
    assert_eq!(backup.role.role_arn, "arn:aws:iam::222222222222:role/RecoveryConsoleRead");
    assert_eq!(backup.region, REGION);
}

#[tokio::test]
async fn credentials_stay_cached_across_hundreds_of_accounts() {
    // More accounts than the SDK's default identity-cache partitions (64).
    let sb = spawn(90, 0.0).await;
    let dbs = databases().await;
    let c = console(&sb, &dbs[0], |cfg| {
        cfg.sync.page_size = None;
        cfg.sync.concurrency = 32;
    })
    .await;
    let reports = c.syncer.run().await.unwrap();
    assert!(reports.len() > 100);
    let (_, world) = sb.admin(reqwest::Method::GET, "/_sandbox/world", None).await;
    let accounts = sb.sandbox.accounts().iter().filter(|a| a.in_organization && a.id != "999999999999").count() as u64;
    let sessions = world["sessions_issued"].as_u64().unwrap();
    assert!(sessions <= accounts, "{sessions} AssumeRole calls for {accounts} accounts: credentials were not cached");
}

/// Starts a copy of `rp` from workload_a's vault into the central vault; its job id.
async fn copy_to_central(op: &aws_sdk_backup::Client, rp: &str) -> String {
    op.start_copy_job()
        .recovery_point_arn(rp)
        .source_backup_vault_name("workload-a-vault")
        .destination_backup_vault_arn(format!("arn:aws:backup:{REGION}:{BACKUP}:backup-vault:central-vault"))
        .iam_role_arn(format!("arn:aws:iam::{WORKLOAD_A}:role/service-role/AWSBackupDefaultServiceRole"))
        .send()
        .await
        .unwrap()
        .copy_job_id()
        .unwrap()
        .to_string()
}

/// The status the console stored for workload_a's job `job`, from `/api/v1/{jobs}`
/// (`copy-jobs`, `restore-jobs`); none when it has not stored the job.
async fn stored_status(c: &TestConsole, jobs: &str, job: &str) -> Option<String> {
    let listed = c.all(format!("/api/v1/{jobs}?account_id={WORKLOAD_A}&limit=200")).await;
    listed.iter().find(|j| j["job_id"] == job).map(|j| j["status"].as_str().unwrap().to_string())
}

/// A copy job still running at one sync, created before the next incremental sync's
/// window, ends in between: the listing by creation no longer brings it, so the
/// next sync must list copy jobs completed since its window (it does so only while the
/// database holds such an unfinished job) and store the job's end.
#[tokio::test]
async fn a_job_running_at_one_sync_is_read_finished_by_an_incremental_one() {
    let sb = spawn(0, 0.0).await;
    let tracking = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
    for (db, organization_jobs) in
        databases().await.into_iter().zip([false, true]).chain(databases().await.into_iter().zip([true, false]))
    {
        let label = format!("{}{}", db.label, if organization_jobs { ", organization jobs" } else { "" });
        // No overlap: each sync's window starts where the last one ended.
        let c = console(&sb, &db, |cfg| {
            cfg.sync.job_overlap_minutes = 0;
            cfg.sync.organization_jobs = organization_jobs;
        })
        .await;
        assert!(c.syncer.run().await.unwrap().iter().all(|r| r.status == "ok"), "{label}");
        sb.advance(60.0).await;
        let op = sb.operator(WORKLOAD_A).await;
        let rp = latest_rp(&op, "workload-a-vault", tracking).await;
        let job = copy_to_central(&op, &rp).await;
        // A minute later (a copy takes ten minutes or more) the next sync sees it running.
        sb.advance(60.0).await;
        assert!(c.syncer.run().await.unwrap().iter().all(|r| r.status == "ok"), "{label}");
        let running = stored_status(&c, "copy-jobs", &job).await.unwrap();
        assert!(matches!(running.as_str(), "CREATED" | "RUNNING"), "{label}: {running}");

        // The next window starts after the job was created, within a day (no full read):
        // only the listing by completion can bring the job.
        sb.advance(3.0 * 3600.0).await;
        let aws = op.describe_copy_job().copy_job_id(&job).send().await.unwrap();
        let ended = aws.copy_job().unwrap().state().unwrap().as_str().to_string();
        assert!(matches!(ended.as_str(), "COMPLETED" | "FAILED"), "{label}: {ended}");
        assert!(c.syncer.run().await.unwrap().iter().all(|r| r.status == "ok"), "{label}");
        let read = stored_status(&c, "copy-jobs", &job).await;
        assert_eq!(read, Some(ended), "{label}: the incremental sync read the job's end");
    }
}

#[tokio::test]
async fn a_later_sync_updates_running_jobs_and_a_denied_account_keeps_its_data() {
    let sb = spawn(0, 0.0).await;
    let tracking = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
    for db in databases().await {
        let label = db.label;
        sb.set_faults(json!({})).await;
        let op = sb.operator(WORKLOAD_A).await;
        let rp = latest_rp(&op, "workload-a-vault", tracking).await;
        let job = start_dynamo_restore(&op, rp, &format!("tracking-incremental-{label}")).await;
        let c = console(&sb, &db, |_| {}).await;
        assert!(c.syncer.run().await.unwrap().iter().all(|r| r.status == "ok"));
        let first = stored_status(&c, "restore-jobs", &job).await.unwrap();
        assert_ne!(first, "COMPLETED", "{label}: the job has only started");

        // Two hours later the job is done in AWS; the next sync says so.
        sb.advance(2.0 * 3600.0).await;
        let aws = op.describe_restore_job().restore_job_id(&job).send().await.unwrap();
        assert_eq!(aws.status().unwrap().as_str(), "COMPLETED");
        assert!(c.syncer.run().await.unwrap().iter().all(|r| r.status == "ok"));
        let second = stored_status(&c, "restore-jobs", &job).await;
        assert_eq!(second.as_deref(), Some("COMPLETED"), "{label}: the second sync updated the job");

        // The backup account is denied after a good sync: its data stays listed as of then.
        let points_path = format!("/api/v1/recovery-points?account_id={BACKUP}");
        let points = || c.field(&points_path, "recovery_point_arn");
        let before = points().await;
        assert!(!before.is_empty());
        // (A restarted console over the same database: the old one holds cached role credentials.)
        sb.set_faults(json!({ "deny_accounts": [BACKUP] })).await;
        let c = console(&sb, &db, |_| {}).await;
        let points = || c.field(&points_path, "recovery_point_arn");
        let reports = c.syncer.run().await.unwrap();
        let b = reports.iter().find(|r| r.account_id == BACKUP).unwrap();
        assert_eq!(b.error_code.as_deref(), Some("AccessDenied"), "{label}");
        assert_eq!(points().await, before, "{label}: the denied account's data stays visible");
        let (_, accounts) = c.get("/api/v1/accounts").await;
        let backup = accounts["items"].as_array().unwrap().iter().find(|a| a["id"] == BACKUP).unwrap().clone();
        assert_eq!(backup["sync"][0]["status"], "error", "{label}");
        assert!(backup["sync"][0]["last_success_at"].is_string(), "{label}: {backup}");
        sb.set_faults(json!({})).await;
    }
}

/// A validation result can land hours after its restore test completed (up to the
/// selection's validation window), long after the incremental listing's window has
/// moved on: the console reads such a test again until it is final (its restore
/// listing starts at the oldest such job; a job the listing misses is described on its
/// own). Here an outside validator reports five hours after the test completed.
#[tokio::test]
async fn a_late_validation_result_is_read_again_by_a_later_sync() {
    const PAYMENTS: &str = "400000000001";
    let sb = spawn(4, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        // The payments plan's selection keeps a restored instance for 6 hours. The sandbox
        // fails a few restore tests by the dice (as restores sometimes fail): run the plan
        // until one restores.
        let validator = aws_sdk_backup::Client::new(&sb.role(PAYMENTS, "RecoveryConsoleValidator", None).await);
        let mut id = String::new();
        for _ in 0..5 {
            id = sb.run_plan(PAYMENTS, "payments_weekly_restore_test").await.remove(0);
            let job = validator.describe_restore_job().restore_job_id(&id).send().await.unwrap();
            sb.advance((job.expected_completion_time_minutes().unwrap() as f64 + 1.0) * 60.0).await;
            let job = validator.describe_restore_job().restore_job_id(&id).send().await.unwrap();
            if job.status().map(|s| s.as_str()) == Some("COMPLETED") {
                break;
            }
        }
        c.syncer.run().await.unwrap();
        let path = format!("/api/v1/restore-jobs?test=true&account_id={PAYMENTS}");
        let now = || async {
            let jobs = c.all(path.clone()).await;
            let job = jobs.iter().find(|j| j["job_id"] == id.as_str()).cloned().unwrap();
            (job["status"].clone(), job["validation_status"].clone())
        };
        assert_eq!(now().await, (json!("COMPLETED"), Value::Null), "{label}: restored, not validated");
        // Five hours later, far outside the incremental listing's window, the result lands.
        sb.advance(5.0 * 3600.0).await;
        validator
            .put_restore_validation_result()
            .restore_job_id(&id)
            .validation_status("SUCCESSFUL".into())
            .validation_status_message("late but fine")
            .send()
            .await
            .unwrap();
        sb.advance(60.0).await;
        assert!(c.syncer.run().await.unwrap().iter().any(|r| r.status == "ok"));
        assert_eq!(now().await.1, "SUCCESSFUL", "{label}: the later sync read the test again");
        let passed = c.all(format!("{path}&outcome=passed")).await;
        assert!(passed.iter().any(|j| j["job_id"] == id.as_str() && j["validation_message"] == "late but fine"));
    }
}

fn rfc3339_ms(t: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t.as_str().unwrap()).unwrap().timestamp_millis()
}

/// AWS lists backup jobs of the last 30 days only (service model, `ListBackupJobs`:
/// "Returns a list of existing backup jobs for an authenticated account for the last
/// 30 days"); `ListCopyJobs` and `ListRestoreJobs` document no limit. The console asks
/// for no more than AWS keeps, says where its backup-job history starts, and keeps the
/// jobs it stored after AWS stops listing them.
#[tokio::test]
async fn backup_jobs_are_listed_for_30_days_and_the_console_keeps_what_it_stored() {
    const DAY: i64 = 86_400_000;
    let sb = spawn(0, 0.0).await;
    let reader = aws_sdk_backup::Client::new(&sb.role(WORKLOAD_A, "RecoveryConsoleRead", None).await);
    let now = sb.now_ms().await;
    let since = aws_sdk_backup::primitives::DateTime::from_millis(now - 90 * DAY);
    let backups: Vec<_> = all_items!(reader.list_backup_jobs().by_created_after(since));
    assert!(!backups.is_empty());
    let created = |t: Option<&aws_sdk_backup::primitives::DateTime>| t.unwrap().to_millis().unwrap();
    assert!(backups.iter().all(|j| created(j.creation_date()) >= now - 30 * DAY), "asked for 90 days, AWS gives 30");
    let copies: Vec<_> = all_items!(reader.list_copy_jobs().by_created_after(since));
    assert!(copies.iter().any(|j| created(j.creation_date()) < now - 30 * DAY), "copy jobs: no 30-day limit");

    let listed_by_aws = || async {
        let jobs: Vec<_> = all_items!(reader.list_backup_jobs());
        jobs.iter().map(|j| j.backup_job_id().unwrap().to_string()).collect::<Set>()
    };
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        let first_sync = sb.now_ms().await;
        assert!(c.syncer.run().await.unwrap().iter().all(|r| r.status == "ok" || r.account_id == "400000000003"));
        let held_from = || async {
            let (_, accounts) = c.get("/api/v1/accounts").await;
            let a = accounts["items"].as_array().unwrap().iter().find(|a| a["id"] == WORKLOAD_A).unwrap().clone();
            a["sync"][0]["backup_jobs_from"].clone()
        };
        let from = held_from().await;
        assert!(from.is_string(), "{label}: the accounts list says where backup-job history starts: {from}");
        assert_eq!(rfc3339_ms(&from), first_sync - 30 * DAY, "{label}: 30 days before the first sync, not 200");
        let path = format!("/api/v1/backup-jobs?account_id={WORKLOAD_A}&limit=200");
        let stored: Set = c.field(&path, "job_id").await.into_iter().collect();
        assert_eq!(stored, listed_by_aws().await, "{label}");

        // Ten days on, AWS no longer lists the oldest of them; the console keeps them.
        sb.advance(10.0 * 86_400.0).await;
        assert!(c.syncer.run().await.unwrap().iter().any(|r| r.account_id == WORKLOAD_A && r.status == "ok"));
        let now_listed = listed_by_aws().await;
        let dropped: Vec<_> = stored.difference(&now_listed).collect();
        assert!(!dropped.is_empty(), "{label}: some jobs fell out of AWS's 30 days");
        let kept: Set = c.field(&path, "job_id").await.into_iter().collect();
        assert!(kept.is_superset(&stored), "{label}: jobs older than AWS's 30 days stay stored");
        assert!(kept.is_superset(&now_listed), "{label}");
        assert_eq!(held_from().await, from, "{label}: the history still starts where the first sync began");
    }
}

/// Review item 9: an account found through Organizations discovery (not in
/// `accounts`) is a copy destination like a configured one. Here workload_a is
/// discovered; its cross-account runbook copies the central copy into its vault.
#[tokio::test]
async fn discovered_accounts_are_copy_destinations() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| {
            cfg.accounts.retain(|a| a.id == BACKUP);
            cfg.discovery.enabled = true;
            cfg.discovery.regions = vec![REGION.to_string()];
            cfg.discovery.exclude = vec!["999999999999".into()];
            cfg.discovery.operator_role_arn_pattern =
                Some("arn:aws:iam::{account_id}:role/RecoveryConsoleOperator".into());
        })
        .await;
        c.syncer.run().await.unwrap();
        let alice = c.sign_in("alice").await;
        let tracking = "arn%3Aaws%3Adynamodb%3Aap-southeast-2%3A111111111111%3Atable%2Ftracking";
        let (s, cross) =
            c.get_as(&alice, &format!("/api/v1/runbooks?resource_arn={tracking}&scenario=cross_account_restore")).await;
        assert_eq!(s, 200, "{label}: {cross}");
        let req = cross["steps"][1]["request"].clone();
        assert!(req["destination_vault_arn"].as_str().unwrap().contains(WORKLOAD_A), "{label}: {cross}");
        let (s, filed) = c.post_as(&alice, "/api/v1/requests", req).await;
        assert_eq!(s, 201, "{label}: {filed}");
    }
}

/// Review item 10: pre-flights read the organization's accounts from the console's
/// cache, not from Organizations. The sandbox models Organizations' request rate
/// (a burst of 20, then 2 a second, shared by the organization: an assumption, as AWS
/// documents no rate for ListAccounts; see sandbox/src/organizations.rs). With 44
/// accounts a full ListAccounts is 3 pages, so paging it on every pre-flight meets
/// TooManyRequestsException within a few runbooks.
#[tokio::test]
async fn pre_flights_reuse_the_organizations_accounts() {
    let sb = spawn(40, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| cfg.accounts.retain(|a| a.id == WORKLOAD_A || a.id == BACKUP)).await;
        c.syncer.run().await.unwrap();
        let alice = c.sign_in("alice").await;
        let tracking = "arn%3Aaws%3Adynamodb%3Aap-southeast-2%3A111111111111%3Atable%2Ftracking";
        for i in 0..6 {
            let (s, cross) = c
                .get_as(&alice, &format!("/api/v1/runbooks?resource_arn={tracking}&scenario=cross_account_restore"))
                .await;
            assert_eq!(s, 200, "{label}: {cross}");
            let org = named_check(&cross["checks"], "accounts in the organization");
            assert_eq!(org["ok"], true, "{label}, runbook {i}: {org}");
        }
    }
}

/// A restore job without `SourceResourceArn` and `ResourceType` (both optional in the
/// Backup model's RestoreJobsListMember; the sandbox always sends them, so the store is
/// fed directly): it takes its recovery point's resource, so the resource counts as
/// tested and the restore's duration is the resource's.
#[tokio::test]
async fn a_restore_job_without_its_source_resource_takes_the_recovery_points() {
    use recovery_console::store::{ProtectedResourceRow, RecoveryPointRow, RestoreJobRow, TargetSnapshot};
    let table = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/t";
    let rp_arn = "arn:aws:backup:ap-southeast-2:111111111111:recovery-point:1";
    for db in databases().await {
        let snap = TargetSnapshot {
            account_id: WORKLOAD_A.into(),
            region: REGION.into(),
            resources: vec![ProtectedResourceRow {
                last_backup_at: Some(START),
                last_recovery_point_arn: Some(rp_arn.into()),
                ..resource_row(WORKLOAD_A, table, "DynamoDB")
            }],
            recovery_points: vec![RecoveryPointRow { completed_at: Some(START), ..point_row(1) }],
            restore_jobs: vec![RestoreJobRow {
                plan_arn: Some("arn:aws:backup:ap-southeast-2:111111111111:restore-testing-plan:p".into()),
                ..restore_row("restore-1", rp_arn)
            }],
            ..TargetSnapshot::default()
        };
        let store = saved(&db, &snap).await;
        let q =
            recovery_console::store::ListQuery { limit: 10, resource_arn: Some(table.into()), ..Default::default() };
        let (jobs, _) = store.list_restore_jobs(&q).await.unwrap();
        assert_eq!(jobs.len(), 1, "{}: the job is the resource's", db.label);
        assert_eq!(jobs[0].resource_type, "DynamoDB");
        let never = recovery_console::store::ListQuery { limit: 10, never_tested: true, ..Default::default() };
        let (untested, _) = store.list_protected_resources(&never, START + 60 * 60_000).await.unwrap();
        assert!(untested.is_empty(), "{}: tested by the job: {untested:?}", db.label);
        let durations = store.restore_durations(table).await.unwrap();
        assert_eq!(durations.iter().map(|d| d.2).collect::<Vec<_>>(), vec![24], "{}", db.label);
    }
}

/// The recovery point page the API serves (`Store::recovery_points_json`: SQLite
/// renders it itself, the console renders PostgreSQL's rows) says what the typed rows
/// say through `shared::RecoveryPoint`'s serde, on both engines: every field set, every
/// optional field empty, text that JSON must escape, a point a sync no longer found,
/// a key tie, the cursors.
#[tokio::test]
async fn the_database_renders_recovery_points_as_the_typed_rows_do() {
    use recovery_console::store::{ListQuery, RecoveryPointRow, TargetSnapshot};
    let odd = "quote \" backslash \\ newline \n tab \t bell \u{7} del \u{7f} é ☃ 🦀 </script>";
    let full = RecoveryPointRow {
        resource_name: Some(odd.into()),
        completed_at: Some(START + 59_999),
        size_bytes: Some(i64::MAX),
        encryption_key_arn: Some("arn:aws:kms:ap-southeast-2:111111111111:key/k".into()),
        source_vault_arn: Some("arn:aws:backup:ap-southeast-2:222222222222:backup-vault:src".into()),
        delete_after_days: Some(35),
        delete_at: Some(START + 35 * 86_400_000 + 999),
        move_to_cold_at: Some(START + 86_400_000),
        last_restore_at: Some(START + 1_000),
        backup_plan_id: Some("plan-1".into()),
        is_parent: true,
        parent_recovery_point_arn: Some(point_row(9).arn),
        ..point_row(2)
    };
    let empty = RecoveryPointRow {
        resource_name: None,
        size_bytes: None,
        is_encrypted: false,
        status: "PARTIAL".into(),
        ..point_row(1)
    };
    let tie = RecoveryPointRow { arn: format!("{}-é", full.arn), ..point_row(2) };
    for db in databases().await {
        let first = TargetSnapshot {
            account_id: WORKLOAD_A.into(),
            region: REGION.into(),
            // Saved older first, so that the table's order is not the page's; `tie`
            // shares `full`'s time, so the key orders them (and its key is not ASCII).
            recovery_points: vec![empty.clone(), full.clone(), tie.clone()],
            full: true,
            ..TargetSnapshot::default()
        };
        let store = saved(&db, &first).await;
        // A later full sync without the first point marks it gone.
        let later = START + 60 * 60_000;
        store.sync_started(WORKLOAD_A, REGION, later).await.unwrap();
        let second = TargetSnapshot { recovery_points: vec![empty.clone()], ..first.clone() };
        store.save_snapshot(&second, later, later + 1).await.unwrap();
        for limit in [1, 2, 3, 10] {
            let q = ListQuery { limit, include_gone: true, ..Default::default() };
            let (typed, typed_next) = store.list_recovery_points(&q).await.unwrap();
            let (rendered, rendered_next) = store.recovery_points_json(&q).await.unwrap();
            assert_eq!(rendered_next, typed_next, "{}", db.label);
            let rendered: Value = serde_json::from_str(&format!("[{rendered}]")).unwrap();
            assert_eq!(rendered, serde_json::to_value(&typed).unwrap(), "{}, limit {limit}", db.label);
        }
        let none = ListQuery { limit: 10, status: Some("DELETING".into()), ..Default::default() };
        assert_eq!(store.recovery_points_json(&none).await.unwrap(), (String::new(), None), "{}", db.label);
        let (all, _) = store
            .list_recovery_points(&ListQuery { limit: 10, include_gone: true, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(all.len(), 3, "{}", db.label);
        assert!(all[1].gone_at.is_some() && all[1].resource_name.as_deref() == Some(odd), "{}: {all:?}", db.label);
        // Found again by a later sync, the points are no longer gone (the upsert
        // clears `gone_at`), and read back as they were saved.
        let again = later + 60 * 60_000;
        store.sync_started(WORKLOAD_A, REGION, again).await.unwrap();
        store.save_snapshot(&first, again, again + 1).await.unwrap();
        let q = ListQuery { limit: 10, ..Default::default() };
        let (back, _) = store.list_recovery_points(&q).await.unwrap();
        assert_eq!(back.len(), 3, "{}: {back:?}", db.label);
        assert!(back.iter().all(|p| p.gone_at.is_none()), "{}: {back:?}", db.label);
        let full_again = shared::RecoveryPoint { gone_at: None, ..all[1].clone() };
        assert_eq!(back[1], full_again, "{}", db.label);
    }
}

/// A composite restore (a parent job whose child restores a member, as AWS restores a
/// CloudFormation stack: Backup model, RestoreJobsListMember `IsParent`/`ParentJobId`)
/// counts once, through its child: the resource's durations and the restore times by
/// type hold the child alone; a composite recovery point is not a usable point of any
/// resource. The rows are fed to the store directly: the sandbox makes no composite
/// restores.
#[tokio::test]
async fn a_composite_restore_counts_through_its_child_once() {
    use recovery_console::store::{RecoveryPointRow, RestoreJobRow, TargetSnapshot};
    let table = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/t";
    let stack = "arn:aws:cloudformation:ap-southeast-2:111111111111:stack/app/1";
    let (parent_rp, child_rp) = (point_row(1).arn, point_row(2).arn);
    for db in databases().await {
        let snap = TargetSnapshot {
            account_id: WORKLOAD_A.into(),
            region: REGION.into(),
            recovery_points: vec![
                RecoveryPointRow {
                    resource_arn: stack.into(),
                    resource_type: "CloudFormation".into(),
                    is_parent: true,
                    ..point_row(1)
                },
                RecoveryPointRow { parent_recovery_point_arn: Some(parent_rp.clone()), ..point_row(2) },
            ],
            restore_jobs: vec![
                RestoreJobRow {
                    is_parent: 1,
                    resource_arn: Some(stack.into()),
                    resource_type: "CloudFormation".into(),
                    ..restore_row("parent", &parent_rp)
                },
                RestoreJobRow { parent_job_id: Some("parent".into()), ..restore_row("child", &child_rp) },
            ],
            ..TargetSnapshot::default()
        };
        let store = saved(&db, &snap).await;
        let label = db.label;
        let durations = store.restore_durations(table).await.unwrap();
        assert_eq!(durations.iter().map(|d| d.0.as_str()).collect::<Vec<_>>(), ["child"], "{label}");
        let times = store.restore_times(START).await.unwrap();
        assert_eq!(
            times.iter().map(|t| (t.resource_type.as_str(), t.restores)).collect::<Vec<_>>(),
            [("DynamoDB", 1)],
            "{label}"
        );
        // Both jobs are listed, the parent marked and its child linked.
        let (jobs, _) = store
            .list_restore_jobs(&recovery_console::store::ListQuery { limit: 10, ..Default::default() })
            .await
            .unwrap();
        assert!(jobs.iter().any(|j| j.is_parent && j.job_id == "parent"), "{label}: {jobs:?}");
        assert!(jobs.iter().any(|j| j.parent_job_id.as_deref() == Some("parent")), "{label}");
        // Usable points: the child, not the composite point.
        let usable = recovery_console::store::ListQuery { limit: 10, usable: true, ..Default::default() };
        let (points, _) = store.list_recovery_points(&usable).await.unwrap();
        assert_eq!(
            points.iter().map(|p| p.recovery_point_arn.as_str()).collect::<Vec<_>>(),
            [child_rp.as_str()],
            "{label}"
        );
        assert_eq!(points[0].parent_recovery_point_arn.as_deref(), Some(parent_rp.as_str()), "{label}");
    }
}

/// A store on `db` holding `snap`, saved by a sync of workload_a's region at `START`.
async fn saved(db: &TestDb, snap: &recovery_console::store::TargetSnapshot) -> recovery_console::store::Store {
    let store = recovery_console::store::Store::connect(&db.url, 2).await.unwrap();
    store.migrate().await.unwrap();
    store.sync_started(WORKLOAD_A, REGION, START).await.unwrap();
    store.save_snapshot(snap, START, START + 30 * 60_000).await.unwrap();
    store
}

/// A target that takes its jobs from a pass's organization-wide read
/// (`sync.organization_jobs`) succeeds as of that read, not of its save: the next
/// sync's window, which starts at the last success less the overlap, then covers a job
/// that ended between the two (minutes apart in a pass over thousands of targets; in
/// the other tests the sandbox's clock stands still through a pass).
#[tokio::test]
async fn a_success_counts_from_when_its_jobs_were_read() {
    use recovery_console::store::TargetSnapshot;
    for db in databases().await {
        let read_at = START - 20 * 60_000;
        let target = || TargetSnapshot { account_id: WORKLOAD_A.into(), region: REGION.into(), ..Default::default() };
        let store = saved(&db, &TargetSnapshot { jobs_read_at: Some(read_at), ..target() }).await;
        assert_eq!(store.last_success(WORKLOAD_A, REGION).await.unwrap(), Some(read_at), "{}", db.label);
        store.save_snapshot(&target(), START + 40 * 60_000, START + 41 * 60_000).await.unwrap();
        let own = store.last_success(WORKLOAD_A, REGION).await.unwrap();
        assert_eq!(own, Some(START + 41 * 60_000), "{}: a target that read its own jobs succeeds when saved", db.label);
    }
}

/// A plan change the console applies while a sync is reading the plans (that sync may
/// have listed the plan before AWS took the change) is read by the next sync: a sync
/// takes off only the changes on record when it started, and one that kept the plans
/// on record takes off none.
#[tokio::test]
async fn a_plan_changed_during_a_sync_is_read_by_the_next() {
    use recovery_console::store::{Store, TargetSnapshot};
    async fn changes(store: &Store) -> i64 {
        store.known_target(WORKLOAD_A, REGION, START, START).await.unwrap().plans_changes
    }
    for db in databases().await {
        let label = db.label;
        let target = || TargetSnapshot { account_id: WORKLOAD_A.into(), region: REGION.into(), ..Default::default() };
        let store = saved(&db, &target()).await;
        assert_eq!(changes(&store).await, 0, "{label}");
        store.plan_changed(WORKLOAD_A, REGION).await.unwrap();
        // A sync starts and sees that change; a second one lands while it reads.
        let seen = changes(&store).await;
        assert_eq!(seen, 1, "{label}");
        store.plan_changed(WORKLOAD_A, REGION).await.unwrap();
        let read = TargetSnapshot { plans_changes_read: seen, ..target() };
        store.save_snapshot(&read, START + 40 * 60_000, START + 41 * 60_000).await.unwrap();
        assert_eq!(changes(&store).await, 1, "{label}: the change made during the sync waits for the next");
        let kept = TargetSnapshot { plans_kept: true, ..target() };
        store.save_snapshot(&kept, START + 50 * 60_000, START + 51 * 60_000).await.unwrap();
        assert_eq!(changes(&store).await, 1, "{label}: a sync that did not read the plans read no change");
        let read = TargetSnapshot { plans_changes_read: 1, ..target() };
        store.save_snapshot(&read, START + 60 * 60_000, START + 61 * 60_000).await.unwrap();
        assert_eq!(changes(&store).await, 0, "{label}");
    }
}

/// Recovery point `n` of table t in workload_a's vault v, made at `START + n`.
fn point_row(n: i64) -> recovery_console::store::RecoveryPointRow {
    recovery_console::store::RecoveryPointRow {
        arn: format!("arn:aws:backup:ap-southeast-2:111111111111:recovery-point:{n}"),
        account_id: WORKLOAD_A.into(),
        region: REGION.into(),
        vault_name: "v".into(),
        vault_arn: "arn:aws:backup:ap-southeast-2:111111111111:backup-vault:v".into(),
        resource_arn: "arn:aws:dynamodb:ap-southeast-2:111111111111:table/t".into(),
        resource_type: "DynamoDB".into(),
        resource_name: Some("t".into()),
        status: "COMPLETED".into(),
        created_at: START + n,
        completed_at: None,
        size_bytes: Some(1),
        encryption_key_arn: None,
        is_encrypted: true,
        source_vault_arn: None,
        delete_after_days: None,
        delete_at: None,
        move_to_cold_at: None,
        last_restore_at: None,
        backup_plan_id: None,
        gone_at: None,
        is_parent: false,
        parent_recovery_point_arn: None,
    }
}

/// A completed restore job `id` of the recovery point `rp_arn` that took 24 minutes,
/// whose source resource AWS did not name.
fn restore_row(id: &str, rp_arn: &str) -> recovery_console::store::RestoreJobRow {
    recovery_console::store::RestoreJobRow {
        account_id: WORKLOAD_A.into(),
        id: id.into(),
        region: REGION.into(),
        recovery_point_arn: Some(rp_arn.into()),
        vault_arn: None,
        resource_arn: None,
        resource_type: String::new(),
        created_resource_arn: Some(format!("arn:aws:dynamodb:ap-southeast-2:111111111111:table/{id}")),
        status: "COMPLETED".into(),
        status_message: None,
        percent_done: Some("100.00%".into()),
        size_bytes: Some(1),
        created_at: START + 60_000,
        completed_at: Some(START + 25 * 60_000),
        recovery_point_created_at: Some(START),
        plan_arn: None,
        validation_status: None,
        validation_message: None,
        deletion_status: None,
        deletion_message: None,
        is_parent: 0,
        parent_job_id: None,
    }
}

/// Issue 16, item 3: inside one (account, region) the sync reads vaults and describes
/// resources several at a time, and every AWS call of every target holds one of
/// `sync.concurrency` permits, so the sandbox never answers more Backup calls at once
/// (sandbox's own count; 20 ms a call so that calls overlap).
#[tokio::test]
async fn calls_inside_a_target_overlap_within_the_concurrency_bound() {
    let sb = spawn(6, 0.0).await;
    sb.set_faults(json!({ "latency_ms": 20 })).await;
    for (db, only_workload_a) in databases().await.iter().zip([true, false]) {
        let c = console(&sb, db, |cfg| {
            if only_workload_a {
                cfg.accounts.retain(|a| a.id == WORKLOAD_A);
                cfg.discovery.enabled = false;
            }
            cfg.sync.concurrency = 3;
        })
        .await;
        sb.sandbox.take_backup_in_flight_peak();
        let reports = c.syncer.run().await.unwrap();
        let peak = sb.sandbox.take_backup_in_flight_peak();
        assert!(reports.iter().any(|r| r.status == "ok"), "{reports:?}");
        if only_workload_a {
            assert_eq!(reports.len(), 1, "{reports:?}");
            assert!(peak >= 2, "one target, yet never two calls at once: {peak}");
        }
        assert!(peak <= 3, "{}: {peak} Backup calls at once, concurrency 3", db.label);
    }
    sb.set_faults(json!({})).await;
}

/// Issue 16, item 3: a vault read whole is saved page by page as the pages arrive, not
/// held with the rest of its (account, region) until the end: when a later call of
/// the same sync fails, the pages read before are in the database already (the
/// target's sync is recorded as failed; the next one completes it).
#[tokio::test]
async fn recovery_points_are_saved_as_their_pages_arrive() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        sb.set_faults(json!({ "error_rate": 1.0, "operations": ["ListRestoreTestingPlans"] })).await;
        let reports = c.syncer.run().await.unwrap();
        sb.set_faults(json!({})).await;
        let a = reports.iter().find(|r| r.account_id == WORKLOAD_A).unwrap();
        assert_eq!(a.status, "error", "{label}: {a:?}");
        let points = c.all(format!("/api/v1/recovery-points?account_id={WORKLOAD_A}&limit=200")).await;
        assert!(points.len() > 100, "{label}: {} points saved before the failure", points.len());
        assert!(c.syncer.run().await.unwrap().iter().all(|r| r.status == "ok"), "{label}");
    }
}

/// A poll that meets a sync skips the (account, region) pairs the sync is reading and
/// ends; the sync ends too (both finish within a minute, here with 200 ms a call).
#[tokio::test]
async fn a_poll_during_a_sync_skips_what_the_sync_reads() {
    let sb = spawn(0, 0.0).await;
    let db = databases().await.remove(0);
    let c = console(&sb, &db, |_| {}).await;
    c.syncer.run().await.unwrap();
    sb.set_faults(json!({ "latency_ms": 200 })).await;
    let syncer = std::sync::Arc::clone(&c.syncer);
    let sync = tokio::spawn(async move { syncer.run().await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let minute = std::time::Duration::from_secs(60);
    let summary = tokio::time::timeout(minute, c.syncer.poll()).await.expect("the poll ended").unwrap();
    assert_eq!(summary.targets, 0, "both targets are being synced: {summary:?}");
    let reports = tokio::time::timeout(minute, sync).await.expect("the sync ended").unwrap().unwrap();
    sb.set_faults(json!({})).await;
    assert!(reports.iter().all(|r| r.status == "ok"), "{reports:?}");
}

/// With `sync.organization_jobs`, the poll reads the organization's jobs from the
/// management account, a few listings per Region (`ByAccountId` `*`: BRIEF, AWS fact
/// 8; Backup model, `ListBackupJobs`: "If used from an Organizations management
/// account, passing * returns all jobs across the organization"), not a few per
/// (account, region), and stores each job as its own account's. When that listing
/// fails, the poll reads each account's jobs as without the setting.
#[tokio::test]
async fn the_poll_reads_the_organizations_jobs_through_the_management_account() {
    let tracking = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
    let sb = spawn(6, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| cfg.sync.organization_jobs = true).await;
        c.syncer.run().await.unwrap();
        let (_, accounts) = c.get("/api/v1/accounts?limit=200").await;
        let synced: Vec<&Value> = accounts["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["sync"].as_array().unwrap())
            .filter(|s| s["last_success_at"].is_string())
            .collect();
        let regions: BTreeSet<&str> = synced.iter().map(|s| s["region"].as_str().unwrap()).collect();
        assert!(synced.len() > 2 * regions.len(), "{label}: {} targets in {regions:?}", synced.len());

        // New work in two accounts: a restore test in one, a copy from it into another.
        let op = sb.operator(WORKLOAD_A).await;
        let copy = copy_to_central(&op, &latest_rp(&op, "workload-a-vault", tracking).await).await;
        let (test, _) = completed_tracking_test(&sb).await;
        // The Regions with a job of a kind on record unfinished: only there may one have
        // completed without the listing by creation bringing it.
        let targets: Vec<(&str, &str)> = accounts["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["sync"].as_array().unwrap().iter().map(move |s| (a, s)))
            .filter(|(_, s)| s["last_success_at"].is_string())
            .map(|(a, s)| (a["id"].as_str().unwrap(), s["region"].as_str().unwrap()))
            .collect();
        let mut unfinished = std::collections::BTreeMap::new();
        for table in ["backup_jobs", "copy_jobs", "restore_jobs"] {
            let mut n = 0;
            for region in &regions {
                let accounts = targets.iter().filter(|(_, r)| r == region).map(|(a, _)| *a);
                n += u64::from(c.store.has_unfinished_jobs(table, accounts, region, i64::MAX).await.unwrap());
            }
            unfinished.insert(table, n);
        }
        assert!(unfinished.values().any(|n| *n == 0), "{label}: a kind with nothing unfinished: {unfinished:?}");
        let before = sb.sandbox.operations();
        let summary = c.syncer.poll().await.unwrap();
        let calls = |op: &str| sb.calls_since(&before, op);
        assert_eq!((summary.targets, summary.failed), (synced.len(), 0), "{label}: {summary:?}");
        let kinds =
            [("ListBackupJobs", "backup_jobs"), ("ListCopyJobs", "copy_jobs"), ("ListRestoreJobs", "restore_jobs")];
        for (listing, table) in kinds {
            // One listing by creation per Region, and one by completion at most per Region
            // with a job of the kind unfinished (one created inside the window comes with
            // the listing by creation): one page each here.
            let n = calls(listing);
            let regions = regions.len() as u64;
            assert!(n >= regions && n <= regions + unfinished[table], "{label}: {listing} {n} {unfinished:?}");
        }
        assert_eq!(stored_status(&c, "restore-jobs", &test).await.as_deref(), Some("COMPLETED"), "{label}");
        assert!(stored_status(&c, "copy-jobs", &copy).await.is_some(), "{label}: the copy is the source account's");

        // The management account's listing refused: every account is read on its own.
        sb.set_faults(json!({ "error_rate": 1.0, "operations": ["ListBackupJobs"], "accounts": ["999999999999"] }))
            .await;
        let (later, _) = completed_tracking_test(&sb).await;
        let summary = c.syncer.poll().await.unwrap();
        sb.set_faults(json!({})).await;
        assert_eq!((summary.targets, summary.failed), (synced.len(), 0), "{label}: {summary:?}");
        assert_eq!(stored_status(&c, "restore-jobs", &later).await.as_deref(), Some("COMPLETED"), "{label}");

        // AWS Backup's cross-account monitoring off (its trusted access in
        // Organizations): the management account's listing may then answer with its own
        // jobs alone (the sandbox's answer), so the console, which reads the switch with
        // the organization at each pass, reads every account's jobs on its own.
        let orgs = aws_sdk_organizations::Client::new(&sb.hub().await);
        orgs.disable_aws_service_access().service_principal("backup.amazonaws.com").send().await.unwrap();
        c.syncer.run().await.unwrap();
        let (unseen, _) = completed_tracking_test(&sb).await;
        let before = sb.sandbox.operations();
        let summary = c.syncer.poll().await.unwrap();
        let calls = |op: &str| sb.calls_since(&before, op);
        assert_eq!((summary.targets, summary.failed), (synced.len(), 0), "{label}: {summary:?}");
        assert!(calls("ListBackupJobs") >= synced.len() as u64, "{label}: one listing per target at least");
        assert_eq!(stored_status(&c, "restore-jobs", &unseen).await.as_deref(), Some("COMPLETED"), "{label}");
        orgs.enable_aws_service_access().service_principal("backup.amazonaws.com").send().await.unwrap();
    }
}
