//! Assurance on SQLite and PostgreSQL against the sandbox's demo world: targets
//! set by admins, RPO histories and the coverage trend recomputed from the lists,
//! runbooks, a scheduled drill from approval to clean-up, and the evidence pack
//! (opened, its manifest checked, its audit export verified offline).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashSet};

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;

const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
const TRACKING_ENC: &str = "arn%3Aaws%3Adynamodb%3Aap-southeast-2%3A111111111111%3Atable%2Ftracking";
const MYDB: &str = "arn:aws:rds:ap-southeast-2:111111111111:db:mydb";
const H: i64 = 3_600_000;

fn ms(t: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t.as_str().unwrap()).unwrap().timestamp_millis()
}

fn outside(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(|i| i["resource"]["resource_arn"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn admins_set_targets_per_type_and_resource() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| {
            cfg.assurance.rto_minutes = 20;
            cfg.assurance.rpo_hours = 48;
        })
        .await;
        c.syncer.run().await.unwrap();
        let (alice, erin) = (c.sign_in("alice").await, c.sign_in("erin").await);
        let before = outside(&c.all("/api/v1/assurance/outside-targets").await);
        assert!(before.contains(TRACKING), "{label}: a 20-minute RTO leaves tracking outside: {before:?}");

        // Only admins set targets, and bad ones are named.
        let body = json!({"scope_kind": "resource", "scope": TRACKING, "rpo_hours": 48, "rto_minutes": 43200});
        let put = |t: &String, b: Value| {
            let t = t.clone();
            let c = &c;
            async move { c.send_as(Method::PUT, &t, "/api/v1/assurance/targets", b).await }
        };
        assert_eq!(put(&alice, body.clone()).await.0, 403, "{label}");
        let (s, e) =
            put(&erin, json!({"scope_kind": "resource_type", "scope": "Dynamo/DB", "rpo_hours": 1, "rto_minutes": 1}))
                .await;
        assert_eq!(s, 400, "{label}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("Dynamo/DB"), "{e}");
        assert_eq!(
            put(&erin, json!({"scope_kind": "resource", "scope": TRACKING, "rpo_hours": 0, "rto_minutes": 5})).await.0,
            400
        );

        // A per-resource target takes tracking out; a per-type target brings mydb in.
        let (s, policy) = put(&erin, body).await;
        assert_eq!(s, 200, "{label}: {policy}");
        let (s, _) =
            put(&erin, json!({"scope_kind": "resource_type", "scope": "RDS", "rpo_hours": 1, "rto_minutes": 60})).await;
        assert_eq!(s, 200);
        let (_, policy) = c.get("/api/v1/assurance/targets").await;
        assert_eq!(policy["rules"].as_array().unwrap().len(), 2, "{policy}");
        assert!(policy["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["source"] == "console" && r["updated_by"] == "erin"));
        let items = c.all("/api/v1/assurance/outside-targets?limit=1").await;
        let now_outside = outside(&items);
        assert!(!now_outside.contains(TRACKING), "{label}: {now_outside:?}");
        let mydb = items.iter().find(|i| i["resource"]["resource_arn"] == MYDB).unwrap();
        assert_eq!(mydb["rpo_target_hours"], 1);
        // Whether mydb is outside its one-hour RPO follows from its newest backup.
        let last = ms(&mydb["resource"]["last_backup_at"]);
        assert_eq!(mydb["outside_rpo"], sb.sandbox.now() - last > H, "{label}");
        let (_, rt) = c.get(&format!("/api/v1/protected-resources/{TRACKING_ENC}/restore-times")).await;
        assert_eq!(rt["target_minutes"], 43200, "{label}");

        // Removing the resource's target restores the default; both changes are audited.
        let path = format!("/api/v1/assurance/targets?scope_kind=resource&scope={TRACKING_ENC}");
        assert_eq!(c.send_as(Method::DELETE, &erin, &path, Value::Null).await.0, 204);
        assert_eq!(c.send_as(Method::DELETE, &erin, &path, Value::Null).await.0, 404);
        assert!(outside(&c.all("/api/v1/assurance/outside-targets").await).contains(TRACKING));
        let carol = c.sign_in("carol").await;
        let (_, audit) = c.get_as(&carol, "/api/v1/audit?action=target.set").await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 2, "{label}: {audit}");
    }
}

/// Security review, finding 17: a per-resource target names a resource of the inventory,
/// new ones stop at the cap, and the targets already set (9,000 here, past both engines'
/// bind limits at 8 values each) no longer break `/metrics` or the outside-targets list.
#[tokio::test]
async fn resource_targets_name_the_inventory_and_thousands_do_not_break_metrics() {
    const TOKEN: &str = "metrics-token-for-target-tests";
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| {
            cfg.metrics_token = Some(recovery_console::config::Secret::new(TOKEN));
            cfg.assurance.targets = vec![recovery_console::config::TypeTarget {
                resource_type: "RDS".into(),
                rpo_hours: 1,
                rto_minutes: 60,
            }];
        })
        .await;
        c.syncer.run().await.unwrap();
        let erin = c.sign_in("erin").await;
        let put = |b: Value| {
            let (c, erin) = (&c, &erin);
            async move { c.send_as(Method::PUT, erin, "/api/v1/assurance/targets", b).await }
        };
        let target = |arn: &str, rpo: i64| json!({"scope_kind": "resource", "scope": arn, "rpo_hours": rpo, "rto_minutes": 43200});
        let nowhere = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/not-in-the-inventory";
        let (s, e) = put(target(nowhere, 48)).await;
        assert_eq!((s, e["error"]["code"].as_str()), (422, Some("unknown_resource")), "{label}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(nowhere), "{e}");
        assert_eq!(put(target(TRACKING, 48)).await.0, 200, "{label}");
        let (s, _) =
            put(json!({"scope_kind": "resource_type", "scope": "DynamoDB", "rpo_hours": 2, "rto_minutes": 1})).await;
        assert_eq!(s, 200);
        let before = c.all("/api/v1/assurance/outside-targets?limit=1").await;

        // Targets set before the cap existed (or written around the API), far past it.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(db.url.expose()).await.unwrap();
        for chunk in 0..9 {
            let rows: Vec<String> = (0..1000)
                .map(|i| {
                    format!("('resource', 'arn:aws:dynamodb:ap-southeast-2:111111111111:table/t{chunk}-{i}', 1, 1, 'erin', 0)")
                })
                .collect();
            let insert = format!(
                "INSERT INTO assurance_targets (scope_kind, scope, rpo_hours, rto_minutes, updated_by, updated_at) VALUES {}",
                rows.join(", ")
            );
            sqlx::query(&insert).execute(&pool).await.unwrap();
        }
        pool.close().await;
        let after = c.all("/api/v1/assurance/outside-targets?limit=1").await;
        assert_eq!(after, before, "{label}: targets of other resources change nothing");
        let of = |arn: &str| after.iter().find(|i| i["resource"]["resource_arn"] == arn).cloned();
        assert!(of(TRACKING).is_none(), "{label}: tracking's own target (48 h, 30 days) applies: {after:?}");
        let mydb = of(MYDB).expect("mydb misses its configured one-hour RPO");
        assert_eq!((mydb["rpo_target_hours"].as_i64(), mydb["rto_target_minutes"].as_i64()), (Some(1), Some(60)));
        let metrics = c.http.get(format!("{}/metrics", c.url)).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(metrics.status(), 200, "{label}");
        let text = metrics.text().await.unwrap();
        assert!(
            text.contains(&format!("recovery_console_protected_resources{{account_id=\"{WORKLOAD_A}\"}}")),
            "{text}"
        );

        // A new one is past the cap; replacing one already set is not.
        let (s, e) = put(target(MYDB, 48)).await;
        assert_eq!((s, e["error"]["code"].as_str()), (422, Some("too_many_targets")), "{label}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("1000"), "{e}");
        assert_eq!(put(target(TRACKING, 72)).await.0, 200, "{label}");
    }
}

#[tokio::test]
async fn rpo_history_and_coverage_trend_match_the_lists() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| cfg.assurance.rpo_hours = 20).await;
        c.syncer.run().await.unwrap();
        let now = sb.sandbox.now();
        let (s, rpo) = c.get(&format!("/api/v1/protected-resources/{TRACKING_ENC}/rpo?days=60")).await;
        assert_eq!(s, 200, "{label}: {rpo}");
        assert_eq!(sb.sandbox.now(), now, "the sandbox clock is frozen, so both sides see one time");
        let since = now - 60 * 24 * H;
        let points = |account: &str| {
            let c = &c;
            let account = account.to_string();
            async move {
                let mut t: Vec<i64> = c
                    .all(format!(
                        "/api/v1/recovery-points?resource_arn={TRACKING}&account_id={account}&status=COMPLETED"
                    ))
                    .await
                    .iter()
                    .map(|p| ms(&p["created_at"]))
                    .collect();
                t.sort_unstable();
                t
            }
        };
        // The sandbox's own answer (AWS's ListRecoveryPointsByResource), not the console's lists.
        let own = sb.reader(WORKLOAD_A).await;
        let mut pages = own.list_recovery_points_by_resource().resource_arn(TRACKING).into_paginator().send();
        let mut backups = Vec::new();
        while let Some(page) = pages.next().await {
            for rp in page.unwrap().recovery_points() {
                if rp.status().map(|s| s.as_str()) == Some("COMPLETED") {
                    backups.push(rp.creation_date().unwrap().to_millis().unwrap());
                }
            }
        }
        backups.sort_unstable();
        assert_eq!(backups, points(WORKLOAD_A).await, "{label}: the console holds what the sandbox holds");
        let copies = points(BACKUP).await;
        let in_window = |t: &[i64]| t.iter().copied().filter(|&x| x >= since).collect::<Vec<_>>();
        assert_eq!(rpo["backups"].as_array().unwrap().len(), in_window(&backups).len(), "{label}");
        assert_eq!(rpo["copies"].as_array().unwrap().len(), in_window(&copies).len(), "{label}");
        assert!(!copies.is_empty(), "the demo copies tracking into the central vault");
        let newest = *backups.last().unwrap();
        assert_eq!(ms(&rpo["newest_backup_at"]), newest);
        assert_eq!(rpo["backup_age_minutes"], (now - newest) / 60_000);
        assert_eq!(ms(&rpo["newest_copy_at"]), *copies.last().unwrap());
        assert!(rpo["newest_copy_vault_arn"].as_str().unwrap().contains(BACKUP));
        assert_eq!(rpo["within_target"], now - newest <= 20 * H);
        // Gaps: consecutive points further apart than 20 hours (and an open one), per kind.
        let gaps = |times: &[i64]| {
            let mut all: Vec<i64> = Vec::new();
            let before = times.iter().copied().rfind(|&t| t < since);
            let mut prev = before;
            for &t in times.iter().filter(|&&t| t >= since) {
                if prev.is_some_and(|p| t - p > 20 * H) {
                    all.push((t - prev.unwrap()) / 60_000);
                }
                prev = Some(t);
            }
            if prev.is_some_and(|p| now - p > 20 * H) {
                all.push((now - prev.unwrap()) / 60_000);
            }
            all
        };
        let expected = gaps(&backups).len() + gaps(&copies).len();
        assert_eq!(rpo["gaps"].as_array().unwrap().len(), expected, "{label}: {}", rpo["gaps"]);
        assert!(expected > 0, "daily backups miss a 20-hour target");

        // The trend's last day: resources a test restored (passed or restored) in the window,
        // and those a validator passed, from the job list.
        let (s, trend) = c.get("/api/v1/assurance/coverage-trend?days=30&window_days=7").await;
        assert_eq!(s, 200, "{trend}");
        let points = trend["points"].as_array().unwrap();
        assert_eq!(points.len(), 30);
        let resources = c.all("/api/v1/protected-resources").await.len() as i64;
        let mut tested = HashSet::new();
        let mut validated = HashSet::new();
        for outcome in ["passed", "restored"] {
            for j in c.all(format!("/api/v1/restore-jobs?test=true&outcome={outcome}")).await {
                if ms(&j["created_at"]) > now - 7 * 24 * H {
                    let arn = j["resource_arn"].as_str().unwrap().to_string();
                    if outcome == "passed" {
                        validated.insert(arn.clone());
                    }
                    tested.insert(arn);
                }
            }
        }
        assert_eq!(points[29]["resources"], resources);
        assert_eq!(points[29]["tested"], tested.len() as i64, "{label}");
        assert_eq!(points[29]["validated"], validated.len() as i64, "{label}");
        assert_eq!(c.get("/api/v1/assurance/coverage-trend?days=0").await.0, 400);
    }
}

/// The coverage answers, as a console answers them.
async fn coverage_answers(c: &TestConsole) -> Vec<Value> {
    let mut answers = Vec::new();
    for path in ["/api/v1/assurance/coverage?days=1", "/api/v1/assurance/coverage-trend?days=5&window_days=1"] {
        let (s, answer) = c.get(path).await;
        assert_eq!(s, 200, "{path}: {answer}");
        answers.push(answer);
    }
    answers
}

#[tokio::test]
async fn coverage_answers_follow_each_change_of_the_inventory() {
    for db in databases().await {
        let label = db.label;
        let sb = spawn(0, 0.0).await;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let before = coverage_answers(&c).await;
        // A console started on the same database now computes everything afresh.
        assert_eq!(before, coverage_answers(&console(&sb, &db, |_| {}).await).await, "{label}");

        // A restore test a validator passed, read by the next sync, counts at once.
        validated_tracking_test(&sb, "SUCCESSFUL", "rows counted").await;
        c.syncer.run().await.unwrap();
        let after = coverage_answers(&c).await;
        assert_ne!(before, after, "{label}: the new test shows");
        assert_eq!(after, coverage_answers(&console(&sb, &db, |_| {}).await).await, "{label}");
        let row = after[0]["rows"].as_array().unwrap().iter().find(|r| r["resource_type"] == "DynamoDB").unwrap();
        assert!(row["validated_recently"].as_i64().unwrap() >= 1, "{label}: {row}");
        assert!(after[1]["points"][4]["validated"].as_i64().unwrap() >= 1, "{label}: {}", after[1]);
    }
}

#[tokio::test]
async fn runbooks_come_from_the_live_state() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let alice = c.sign_in("alice").await;
        let path = format!("/api/v1/runbooks?resource_arn={TRACKING_ENC}&scenario=dynamodb_restore");
        assert_eq!(c.get(&path).await.0, 401, "anonymous viewers do not read runbooks");
        let (s, rb) = c.get_as(&alice, &path).await;
        assert_eq!(s, 200, "{label}: {rb}");
        assert!(rb["blockers"].as_array().unwrap().is_empty(), "{rb}");
        let checks = rb["checks"].as_array().unwrap();
        assert!(!checks.is_empty() && checks.iter().all(|c| c["ok"] == true), "{label}: {checks:?}");
        let request = rb["steps"].as_array().unwrap().iter().find_map(|s| s["request"].as_object()).unwrap().clone();
        assert_eq!(request["kind"], "restore");
        let newest = c
            .all(format!(
                "/api/v1/recovery-points?resource_arn={TRACKING}&account_id={WORKLOAD_A}&status=COMPLETED&limit=1"
            ))
            .await;
        assert_eq!(request["recovery_point_arn"], newest[0]["recovery_point_arn"], "{label}: the newest point");
        // The step's request is what the request API takes.
        let (s, filed) = c.post_as(&alice, "/api/v1/requests", Value::Object(request)).await;
        assert_eq!(s, 201, "{label}: {filed}");

        // Cross-account: the central copy into workload_a's vault that takes copies.
        let (s, cross) = c
            .get_as(&alice, &format!("/api/v1/runbooks?resource_arn={TRACKING_ENC}&scenario=cross_account_restore"))
            .await;
        assert_eq!(s, 200, "{cross}");
        let req = cross["steps"][1]["request"].clone();
        assert_eq!(req["kind"], "cross_account_restore");
        assert!(req["destination_vault_arn"].as_str().unwrap().ends_with(":backup-vault:workload-a-recovery"));
        assert!(req["recovery_point_arn"].as_str().unwrap().contains(BACKUP), "{req}");
        assert!(cross["vault_policy"].as_str().unwrap().contains("CopyIntoBackupVault"));
        // workload-a-recovery denies copies from outside the organization (a conditional
        // Deny, IAM "Condition operators": StringNotEquals aws:PrincipalOrgID) and allows
        // the organization: the central account's copy passes (review item 8).
        assert!(cross["vault_policy"].as_str().unwrap().contains("StringNotEquals"));
        let vault_check = named_check(&cross["checks"], "destination vault allows the copy");
        assert_eq!(vault_check["ok"], true, "{label}: {vault_check}");
        let mismatch = format!("/api/v1/runbooks?resource_arn={TRACKING_ENC}&scenario=rds_restore");
        assert_eq!(c.get_as(&alice, &mismatch).await.0, 422);

        // Notes are kept, audited and exported with the Markdown.
        let notes = json!({"scenario": "dynamodb_restore", "resource_arn": TRACKING, "notes": "Call the **on-call DBA** first."});
        assert_eq!(c.send_as(Method::PUT, &alice, "/api/v1/runbooks/notes", notes).await.0, 204);
        let md = c
            .http
            .get(format!("{}/api/v1/runbooks/markdown?resource_arn={TRACKING_ENC}&scenario=dynamodb_restore", c.url))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        assert!(md.headers()["content-type"].to_str().unwrap().starts_with("text/markdown"));
        let md = md.text().await.unwrap();
        assert!(md.starts_with("# In-account restore of a DynamoDB table: tracking"), "{md}");
        assert!(md.contains("Call the **on-call DBA** first.") && md.contains("_Last edited by alice"));
        assert!(md.contains("POST /api/v1/requests") && md.contains("**pass** recovery point completed"));
    }
}

#[tokio::test]
async fn a_scheduled_drill_is_approved_restores_validates_and_cleans_up() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| {
            // A one-minute RTO target: the drill ends outside it and says so on the webhook.
            cfg.assurance.targets = vec![recovery_console::config::TypeTarget {
                resource_type: "DynamoDB".into(),
                rpo_hours: 48,
                rto_minutes: 1,
            }];
            cfg.notifications.webhooks = vec![webhook_to("http://127.0.0.1:9/hook", &["drill_outside_target"])];
        })
        .await;
        c.syncer.run().await.unwrap();
        let (erin, bob) = (c.sign_in("erin").await, c.sign_in("bob").await);
        // Erin (admin: operator and approver) schedules; the requests are hers, so she cannot approve them.
        let now = sb.sandbox.now();
        let first = chrono::DateTime::from_timestamp_millis(now + H).unwrap().to_rfc3339();
        let schedule = json!({"resource_arn": TRACKING, "scenario": "dynamodb_restore", "every_hours": 168, "first_at": first, "retention_minutes": 30});
        let (s, sched) = c.post_as(&erin, "/api/v1/drill-schedules", schedule).await;
        assert_eq!(s, 201, "{label}: {sched}");
        assert_eq!(
            c.post_as(
                &bob,
                "/api/v1/drill-schedules",
                json!({"resource_arn": TRACKING, "scenario": "dynamodb_restore", "every_hours": 1})
            )
            .await
            .0,
            403
        );

        // Not due yet; an hour later on the sandbox's clock it starts, in erin's name (the schedule's creator).
        recovery_console::assurance::drills::pass(&c.state).await.unwrap();
        let (_, drills) = c.get_as(&erin, "/api/v1/drills").await;
        assert!(drills["items"].as_array().unwrap().is_empty(), "{label}");
        sb.advance(3700.0).await;
        recovery_console::assurance::drills::pass(&c.state).await.unwrap();
        recovery_console::assurance::drills::pass(&c.state).await.unwrap();
        let (_, drills) = c.get_as(&erin, "/api/v1/drills").await;
        let items = drills["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{label}: one run per due time: {drills}");
        let drill = items[0].clone();
        assert_eq!(drill["status"], "awaiting_approval");
        assert_eq!(drill["schedule_id"], sched["id"]);
        let id = drill["id"].as_str().unwrap().to_string();
        let request_id = drill["request_id"].as_str().unwrap().to_string();
        let (_, request) = c.get_as(&bob, &format!("/api/v1/requests/{request_id}")).await;
        assert_eq!(request["requester"], "erin");
        let approve = json!({"params_hash": request["params_hash"]});
        // The schedule's creator cannot approve the drill's request, though an approver; someone else does.
        let (s, refused) = c.post_as(&erin, &format!("/api/v1/requests/{request_id}/approve"), approve.clone()).await;
        assert_eq!(s, 403, "{label}: {refused}");
        let (s, body) = c.post_as(&bob, &format!("/api/v1/requests/{request_id}/approve"), approve).await;
        assert_eq!(s, 200, "{body}");

        let mut report = Value::Null;
        for _ in 0..60 {
            c.executor.pass().await.unwrap();
            recovery_console::assurance::drills::pass(&c.state).await.unwrap();
            report = c.get_as(&erin, &format!("/api/v1/drills/{id}")).await.1;
            if ["completed", "failed"].contains(&report["status"].as_str().unwrap()) {
                break;
            }
            sb.advance(300.0).await;
        }
        assert_eq!(report["status"], "completed", "{label}: {report}");
        assert_eq!(report["outcome"], "outside_target", "{label}: a 1-minute target");
        let steps = report["steps"].as_array().unwrap();
        let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
        assert_eq!(names, ["requested", "approved", "job_started", "job_completed", "validated", "cleaned_up"]);
        let times: Vec<i64> = steps.iter().map(|s| ms(&s["at"])).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{label}: steps in order: {steps:?}");
        assert_eq!(steps[1]["by"], "bob");
        assert_eq!(report["measured_rto_minutes"], (times[4] - times[2]) / 60_000);
        assert!(times[5] - times[4] >= 30 * 60_000, "kept for its 30-minute retention");
        // The table's schema has no status (cfn-lint's AWS::DynamoDB::Table): it exists per
        // Cloud Control and is ACTIVE per DynamoDB DescribeTable.
        let validation = report["validation"].as_str().unwrap();
        assert!(validation.contains("GetResource AWS::DynamoDB::Table"), "{report}");
        assert!(validation.contains("exists, DescribeTable TableStatus ACTIVE"), "{report}");
        let rp_at = ms(&report["recovery_point_created_at"]);
        assert_eq!(report["rpo_minutes"], (times[0] - rp_at) / 60_000);
        // Restored, then deleted through Cloud Control: the sandbox no longer has the table.
        let restored = report["restored_arn"].as_str().unwrap();
        assert!(restored.ends_with(report["target_name"].as_str().unwrap()));
        let (_, world) = sb.admin(Method::GET, "/_sandbox/resources", None).await;
        assert!(
            !world["resources"].as_array().unwrap().iter().any(|r| r == restored),
            "{label}: {restored} still exists"
        );
        // Every step is audited, and the drill outside its target is on its way to the webhook.
        let carol = c.sign_in("carol").await;
        let (_, audit) = c.get_as(&carol, &format!("/api/v1/audit?subject=drill:{id}")).await;
        let actions: BTreeSet<&str> =
            audit["items"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        for a in [
            "drill.started",
            "drill.approved",
            "drill.job_started",
            "drill.job_completed",
            "drill.validated",
            "drill.cleanup_started",
            "drill.completed",
        ] {
            assert!(actions.contains(a), "{label}: {a} missing from {actions:?}");
        }
        let queued = c.store.due_notifications(i64::MAX, 100).await.unwrap();
        assert!(queued.iter().any(|n| n.event == "drill_outside_target" && n.payload.contains(&id)), "{label}");
        // The follow-ups are written into the report.
        let (s, after) = c
            .send_as(
                Method::PUT,
                &bob,
                &format!("/api/v1/drills/{id}/followups"),
                json!({"followups": "Raise the RTO target or pre-warm capacity."}),
            )
            .await;
        assert_eq!(s, 200, "{after}");
        assert_eq!(after["followups"], "Raise the RTO target or pre-warm capacity.");
    }
}

/// One file of the streamed pack of the last `days` days (on the sandbox clock), as carol takes it.
pub(crate) async fn streamed_pack_file(c: &TestConsole, sb: &TestSandbox, days: i64, file: &str) -> Vec<u8> {
    let day = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%d").to_string();
    let (from, to) = (day(sb.sandbox.now() - days * 24 * H), day(sb.sandbox.now()));
    let carol = c.sign_in("carol").await;
    let url = format!("{}/api/v1/evidence?from={from}&to={to}", c.url);
    let resp = c.http.post(url).bearer_auth(&carol).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let dir = std::env::temp_dir().join(format!("rc-evidence-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    unzip(&resp.bytes().await.unwrap(), &dir);
    let bytes = std::fs::read(dir.join("pack").join(file)).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

/// Unzips with Python's zipfile (a reader the console did not write), returning the
/// directory and the file names.
fn unzip(bytes: &[u8], dir: &std::path::Path) -> Vec<String> {
    let file = dir.join("pack.zip");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; z.extractall(sys.argv[2]); print('\\n'.join(z.namelist()))"])
        .arg(&file)
        .arg(dir.join("pack"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

#[tokio::test]
async fn the_evidence_pack_opens_and_its_audit_log_verifies_offline() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        // A test of tracking that the console's own validator reports on (the sandbox's config
        // attaches checks to its plan), read back by the next sync.
        let (validated, _) = completed_tracking_test(&sb).await;
        c.syncer.run().await.unwrap();
        assert!(recovery_console::assurance::validator::pass(&c.state).await.unwrap() >= 1, "{label}");
        c.syncer.run().await.unwrap();
        let (alice, carol) = (c.sign_in("alice").await, c.sign_in("carol").await);
        let today = chrono::DateTime::from_timestamp_millis(sb.sandbox.now()).unwrap().format("%Y-%m-%d").to_string();
        let from = chrono::DateTime::from_timestamp_millis(sb.sandbox.now() - 90 * 24 * H)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string();
        let path = format!("/api/v1/evidence?from={from}&to={today}");
        assert_eq!(c.post_as(&alice, &path, Value::Null).await.0, 403, "operators do not export evidence");
        assert_eq!(c.post_as(&carol, "/api/v1/evidence?from=2026-01-01", Value::Null).await.0, 400);
        assert_eq!(c.post_as(&carol, &format!("/api/v1/evidence?from={today}&to={from}"), Value::Null).await.0, 400);
        let (_, before_pack) = c.get_as(&carol, "/api/v1/audit/verify").await;
        assert_eq!(before_pack["valid"], true, "{label}: {before_pack}");
        let resp = c.http.post(format!("{}{path}", c.url)).bearer_auth(&carol).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/zip");
        assert!(resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("evidence-{from}-{today}.zip")));
        let bytes = resp.bytes().await.unwrap();
        let dir = std::env::temp_dir().join(format!("rc-evidence-{}-{}", label, uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let names = unzip(&bytes, &dir);
        for f in [
            "README.txt",
            "report.html",
            "coverage.json",
            "restore-tests.csv",
            "restore-times.csv",
            "rpo.csv",
            "requests.json",
            "drills.json",
            "audit/audit-log.ndjson",
            "audit/verification.json",
            "audit/verify-audit-export.py",
            "aws-backup-audit-manager.json",
            "manifest.json",
        ] {
            assert!(names.iter().any(|n| n == f), "{label}: {f} missing from {names:?}");
        }
        let pack = dir.join("pack");
        // The manifest's hashes are the files'.
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(pack.join("manifest.json")).unwrap()).unwrap();
        let listed = manifest["files"].as_array().unwrap();
        assert!(!listed.is_empty(), "{label}: {manifest}");
        for f in listed {
            let data = std::fs::read(pack.join(f["name"].as_str().unwrap())).unwrap();
            assert_eq!(f["sha256"], recovery_console::digest::sha256_hex(&data), "{}", f["name"]);
        }
        // Every file in the zip is in the manifest (but the manifest itself), and no other.
        let mut in_manifest: Vec<&str> = listed.iter().map(|f| f["name"].as_str().unwrap()).collect();
        let mut in_zip: Vec<&str> = names.iter().map(String::as_str).filter(|n| *n != "manifest.json").collect();
        in_manifest.sort_unstable();
        in_zip.sort_unstable();
        assert_eq!(in_manifest, in_zip, "{label}");
        // Restore tests: the period's, as the job list has them.
        let tests = std::fs::read_to_string(pack.join("restore-tests.csv")).unwrap();
        let listed = c.all(format!("/api/v1/restore-jobs?test=true&created_after={from}")).await;
        assert_eq!(tests.lines().count() - 1, listed.len(), "{label}");
        // Each test's outcome column is the API's one definition (its `outcome` filter), and
        // each validated test names its validator.
        let rows: Vec<std::collections::HashMap<String, String>> =
            csv::Reader::from_reader(tests.as_bytes()).deserialize().map(Result::unwrap).collect();
        for r in &rows {
            let judged = ["SUCCESSFUL", "FAILED"].contains(&r["validation_status"].as_str());
            assert_eq!(!r["validated_by"].is_empty(), judged, "{label}: {r:?}");
        }
        let ours = rows.iter().find(|r| r["job_id"] == validated).expect("the validated test is in the pack");
        assert_eq!(
            (ours["outcome"].as_str(), ours["validated_by"].as_str()),
            ("passed", "Recovery Console validator"),
            "{label}: {ours:?}"
        );
        for outcome in ["passed", "restored", "failed"] {
            let in_pack = rows.iter().filter(|r| r["outcome"] == outcome).count();
            let api = c.all(format!("/api/v1/restore-jobs?test=true&created_after={from}&outcome={outcome}")).await;
            assert_eq!(in_pack, api.len(), "{label}: {outcome} tests in the pack and in the API");
        }
        // The audit export verifies offline by the documented recipe. The pack's own head is only its
        // claim: the log must also pass through the head the console reported before the export.
        let verification: Value =
            serde_json::from_str(&std::fs::read_to_string(pack.join("audit/verification.json")).unwrap()).unwrap();
        assert_eq!(verification["verification"]["valid"], true, "{verification}");
        let head = verification["head_hash"].as_str().unwrap();
        let log = std::fs::read_to_string(pack.join("audit/audit-log.ndjson")).unwrap();
        let (_, after) = c.get_as(&carol, "/api/v1/audit/verify").await;
        let (e0, e1) = (before_pack["entries"].as_u64().unwrap() as usize, after["entries"].as_u64().unwrap() as usize);
        let lines = log.lines().count();
        // The whole chain as the console reports it right after: its own export record included.
        assert_eq!((lines, e1), (e0 + 1, e0 + 1), "{label}");
        assert_eq!(after["head"], head, "{label}: the pack's head is the live chain's");
        let prefix = dir.join("prefix.ndjson");
        std::fs::write(&prefix, log.lines().take(e0).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
        let out = std::process::Command::new("python3")
            .arg(pack.join("audit/verify-audit-export.py"))
            .arg(&prefix)
            .args(["--head", before_pack["head"].as_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{label}: the pack's log does not reach the head reported before the export: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = std::process::Command::new("python3")
            .arg(pack.join("audit/verify-audit-export.py"))
            .arg(pack.join("audit/audit-log.ndjson"))
            .args(["--head", head])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{label}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Audit Manager: the demo's framework and report plan in the backup account.
        let am: Value =
            serde_json::from_str(&std::fs::read_to_string(pack.join("aws-backup-audit-manager.json")).unwrap())
                .unwrap();
        assert!(
            !am["frameworks"].as_array().unwrap().is_empty() && !am["report_plans"].as_array().unwrap().is_empty(),
            "{am}"
        );
        let html = std::fs::read_to_string(pack.join("report.html")).unwrap();
        assert!(html.contains("A 8.13 Information backup") && html.contains("A1.3 Recovery plan testing"));
        assert!(html.contains("<svg") && html.contains("verified"));
        assert!(
            html.contains("Pass rate of validated tests") && html.contains("Completed restores a validator judged")
        );

        // The page's way: a background job with progress, then the download.
        let (s, job) = c
            .post_as(
                &carol,
                &format!("/api/v1/evidence/jobs?from={from}&to={today}&account_id={WORKLOAD_A}&resource_type=DynamoDB"),
                Value::Null,
            )
            .await;
        assert_eq!(s, 202, "{job}");
        let id = job["id"].as_str().unwrap();
        let mut done = Value::Null;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            done = c.get_as(&carol, &format!("/api/v1/evidence/jobs/{id}")).await.1;
            if done["status"] != "running" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["step"], done["steps"]);
        let resp = c
            .http
            .get(format!("{}/api/v1/evidence/jobs/{id}/download", c.url))
            .bearer_auth(&carol)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let bytes = resp.bytes().await.unwrap();
        assert_eq!(bytes.len() as i64, done["bytes"].as_i64().unwrap());
        let dir2 = dir.join("scoped");
        std::fs::create_dir_all(&dir2).unwrap();
        unzip(&bytes, &dir2);
        let rpo = std::fs::read_to_string(dir2.join("pack/rpo.csv")).unwrap();
        assert!(rpo.contains(TRACKING) && !rpo.contains(MYDB), "{label}: scoped to DynamoDB in workload_a:\n{rpo}");
        let (_, audit) = c.get_as(&carol, "/api/v1/audit?action=evidence.exported").await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 2, "{label}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Security review, finding 15: text a member account writes, here the message of
/// PutRestoreValidationResult, reaches the pack's CSV as text and not as a formula (OWASP,
/// CSV Injection: a leading ' before = + - @ tab CR), and a CR inside stays in its cell.
#[tokio::test]
async fn a_formula_from_a_member_account_reaches_the_pack_as_text() {
    let sb = spawn(0, 0.0).await;
    let formula = "=HYPERLINK(\"http://evil.example/\",\"ok\")\r\n-2+3";
    let id = validated_tracking_test(&sb, "FAILED", formula).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let text = streamed_pack_file(&c, &sb, 30, "restore-tests.csv").await;
        let mut reader = csv::Reader::from_reader(&text[..]);
        let message = reader.headers().unwrap().iter().position(|h| h == "validation_message").unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let ours = rows.iter().find(|r| r[0] == id).expect("the test is in the pack");
        assert_eq!(&ours[message], format!("'{formula}"), "{label}");
        for cell in rows.iter().flat_map(|r| r.iter()) {
            let number = cell.parse::<f64>().is_ok();
            assert!(number || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{label}: {cell:?}");
        }
    }
}

/// Security review, finding 6: a link, `<meta refresh>` or `curl -I` with an auditor's
/// cookie makes no pack and writes no audit record; and finding 16: packs, streamed and
/// in the background, take four slots between them, a refused one is not audited.
#[tokio::test]
async fn evidence_is_made_only_on_a_post_and_four_packs_at_a_time() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let carol = c.sign_in("carol").await;
        let exported = || {
            let (c, carol) = (&c, &carol);
            async move {
                let (_, audit) = c.get_as(carol, "/api/v1/audit?action=evidence.exported").await;
                audit["items"].as_array().unwrap().len()
            }
        };
        let (cookie, _, _, csrf) = crate::console_auth::cookie_sign_in(&c, "carol").await;
        let scope = "from=2026-01-01&to=2026-12-31";
        let (streamed, jobs) = (format!("/api/v1/evidence?{scope}"), format!("/api/v1/evidence/jobs?{scope}"));
        for method in [Method::GET, Method::HEAD] {
            for path in [&streamed, &jobs] {
                let resp =
                    c.http.request(method.clone(), format!("{}{path}", c.url)).header("cookie", &cookie).send().await;
                assert_eq!(resp.unwrap().status(), 405, "{label}: {method} {path} with the cookie");
            }
        }
        let resp = c.http.post(format!("{}{streamed}", c.url)).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{label}: a POST with the cookie needs the CSRF token");
        assert_eq!(exported().await, 0, "{label}: no pack was made, none is audited");

        // 20 at once, half streamed and half in the background, while AWS answers slowly.
        sb.set_faults(json!({"latency_ms": 3000, "operations": ["ListFrameworks"]})).await;
        let sent = (0..20).map(|i| {
            let path = if i % 2 == 0 { &streamed } else { &jobs };
            c.http.post(format!("{}{path}", c.url)).bearer_auth(&carol).send()
        });
        let (mut accepted, mut busy) = (Vec::new(), 0);
        for resp in futures_util::future::join_all(sent).await {
            let resp = resp.unwrap();
            match resp.status().as_u16() {
                200 | 202 => accepted.push(resp),
                503 => {
                    assert!(resp.headers().contains_key("retry-after"), "{label}: {:?}", resp.headers());
                    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "busy");
                    busy += 1;
                }
                s => panic!("{label}: {s}"),
            }
        }
        assert_eq!((accepted.len(), busy), (4, 16), "{label}");
        assert_eq!(exported().await, 4, "{label}: only the accepted packs are audited");
        for resp in accepted {
            if resp.status() == 200 {
                assert!(!resp.bytes().await.unwrap().is_empty());
                continue;
            }
            let id = resp.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while c.get_as(&carol, &format!("/api/v1/evidence/jobs/{id}")).await.1["status"] == "running" {
                assert!(std::time::Instant::now() < deadline, "{label}: pack {id} never finished");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        sb.set_faults(json!({})).await;
        // The page's way, with the cookie and its CSRF token; then a GET of the file changes nothing.
        let resp = c
            .http
            .post(format!("{}{jobs}", c.url))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202, "{label}: the slots are free again");
        let id = resp.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
        let mut status = Value::Null;
        for _ in 0..600 {
            status = c.get_as(&carol, &format!("/api/v1/evidence/jobs/{id}")).await.1["status"].clone();
            if status != "running" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(status, "done", "{label}");
        for _ in 0..2 {
            let file = format!("{}/api/v1/evidence/jobs/{id}/download", c.url);
            let resp = c.http.get(file).header("cookie", &cookie).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{label}");
        }
        assert_eq!(exported().await, 5, "{label}: downloads are not exports");
    }
}

#[tokio::test]
async fn a_drill_whose_request_is_rejected_fails_and_restores_nothing() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, bob) = (c.sign_in("alice").await, c.sign_in("bob").await);
        let bad = json!({"resource_arn": TRACKING, "scenario": "rds_restore"});
        assert_eq!(
            c.post_as(&alice, "/api/v1/drills", bad).await.0,
            422,
            "{label}: the scenario must fit the resource"
        );
        let body = json!({"resource_arn": TRACKING, "scenario": "dynamodb_restore", "retention_minutes": 5});
        let (s, drill) = c.post_as(&alice, "/api/v1/drills", body).await;
        assert_eq!(s, 201, "{label}: {drill}");
        let (id, request) = (drill["id"].as_str().unwrap(), drill["request_id"].as_str().unwrap());
        let (s, _) = c
            .post_as(&bob, &format!("/api/v1/requests/{request}/reject"), json!({"reason": "not during the freeze"}))
            .await;
        assert_eq!(s, 200);
        recovery_console::assurance::drills::pass(&c.state).await.unwrap();
        let (_, report) = c.get_as(&alice, &format!("/api/v1/drills/{id}")).await;
        assert_eq!(report["status"], "failed", "{label}: {report}");
        assert_eq!(report["outcome"], "failed");
        assert!(report["error"].as_str().unwrap().contains("rejected"), "{report}");
        assert!(report["restored_arn"].is_null() && report["steps"][2]["at"].is_null(), "nothing was restored");
    }
}

#[tokio::test]
async fn a_drill_waits_for_its_request_to_be_filed_and_fails_if_it_never_is() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        let now = sb.sandbox.now();
        // As `start` leaves it between recording the drill and filing its request.
        let drill = recovery_console::store::DrillRow {
            id: format!("drill-without-request-{label}"),
            scenario: "dynamodb_restore".into(),
            resource_arn: TRACKING.into(),
            account_id: WORKLOAD_A.into(),
            region: REGION.into(),
            resource_type: "DynamoDB".into(),
            status: "awaiting_approval".into(),
            started_by: "alice".into(),
            recovery_point_arn: "arn:aws:backup:ap-southeast-2:111111111111:recovery-point:x".into(),
            recovery_point_at: now - H,
            target_name: "tracking-drill-x".into(),
            restore_account_id: WORKLOAD_A.into(),
            retention_minutes: 5,
            rto_target_minutes: 60,
            rpo_target_hours: 26,
            requested_at: now,
            updated_at: now,
            ..Default::default()
        };
        c.store.insert_drill(&drill).await.unwrap();
        recovery_console::assurance::drills::pass(&c.state).await.unwrap();
        let d = c.store.drill(&drill.id).await.unwrap().unwrap();
        assert_eq!(d.status, "awaiting_approval", "{label}: a request being filed is not a lost one");
        sb.advance(11.0 * 60.0).await;
        recovery_console::assurance::drills::pass(&c.state).await.unwrap();
        let d = c.store.drill(&drill.id).await.unwrap().unwrap();
        assert_eq!(d.status, "failed", "{label}");
        assert_eq!(d.error.as_deref(), Some("its request was never filed"));
    }
}

/// The service model documents recovery point status `AVAILABLE` as the success state
/// (`DescribeRecoveryPoint.Status`: "the backup was successfully created ... ready for
/// use") and also lists `COMPLETED`. The sandbox reports RDS recovery points
/// `AVAILABLE`; runbooks, the pre-flight and the RPO history take them as usable.
#[tokio::test]
async fn available_recovery_points_serve_runbooks_preflight_and_rpo() {
    let sb = spawn(0, 0.0).await;
    let own = sb.reader(WORKLOAD_A).await;
    let mut pages = own.list_recovery_points_by_resource().resource_arn(MYDB).into_paginator().send();
    let mut available = Vec::new();
    while let Some(page) = pages.next().await {
        for rp in page.unwrap().recovery_points() {
            let status = rp.status().unwrap().as_str().to_string();
            assert!(["AVAILABLE", "EXPIRED"].contains(&status.as_str()), "{status}");
            if status == "AVAILABLE" {
                available.push(rp.creation_date().unwrap().to_millis().unwrap());
            }
        }
    }
    assert!(!available.is_empty(), "the sandbox reports AVAILABLE recovery points");
    let mydb_enc = MYDB.replace(':', "%3A").replace('/', "%2F");
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let alice = c.sign_in("alice").await;
        let (s, rb) = c.get_as(&alice, &format!("/api/v1/runbooks?resource_arn={mydb_enc}&scenario=rds_restore")).await;
        assert_eq!(s, 200, "{label}: {rb}");
        assert!(rb["blockers"].as_array().unwrap().is_empty(), "{label}: {rb}");
        let checks = rb["checks"].as_array().unwrap();
        let completed = checks.iter().find(|c| c["check"] == "recovery point completed").unwrap();
        assert_eq!(completed["ok"], true, "{label}: DescribeRecoveryPoint says AVAILABLE: {completed}");
        let request = rb["steps"].as_array().unwrap().iter().find_map(|s| s["request"].as_object()).unwrap().clone();
        let newest = c
            .all(format!(
                "/api/v1/recovery-points?resource_arn={mydb_enc}&account_id={WORKLOAD_A}&status=AVAILABLE&limit=1"
            ))
            .await;
        assert_eq!(request["recovery_point_arn"], newest[0]["recovery_point_arn"], "{label}: the newest point");

        let (s, rpo) = c.get(&format!("/api/v1/protected-resources/{mydb_enc}/rpo?days=30")).await;
        assert_eq!(s, 200, "{label}: {rpo}");
        let since = sb.sandbox.now() - 30 * 24 * H;
        let in_window = available.iter().filter(|&&t| t >= since).count();
        assert!(in_window > 0);
        assert_eq!(rpo["backups"].as_array().unwrap().len(), in_window, "{label}: {rpo}");
        assert!(rpo["newest_backup_at"].is_string(), "{label}: {rpo}");
    }
}

/// Whether a central account's ListProtectedResources lists the resources whose copies
/// it holds is not documented (API reference: "resources successfully backed up by AWS
/// Backup"; ListProtectedResourcesByBackupVault takes a BackupVaultAccountId, so AWS
/// does track a vault's resources across accounts). Either way the runbook takes the
/// resource as the account its ARN names lists it, not the central account's row.
#[tokio::test]
async fn a_resource_listed_by_the_central_account_too_belongs_to_the_account_its_arn_names() {
    use recovery_console::store::{ProtectedResourceRow, TargetSnapshot};
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        // The central account's sync lists tracking as well (its copies' source).
        let (_, held) = c.get(&format!("/api/v1/protected-resources?account_id={BACKUP}")).await;
        let mut resources: Vec<ProtectedResourceRow> = Vec::new();
        for r in held["items"].as_array().unwrap() {
            resources.push(resource_row(
                BACKUP,
                r["resource_arn"].as_str().unwrap(),
                r["resource_type"].as_str().unwrap(),
            ));
        }
        resources.push(resource_row(BACKUP, TRACKING, "DynamoDB"));
        let snap =
            TargetSnapshot { account_id: BACKUP.into(), region: REGION.into(), resources, ..TargetSnapshot::default() };
        let now = sb.now_ms().await;
        c.store.save_snapshot(&snap, now, now).await.unwrap();
        let rows = c.all(format!("/api/v1/protected-resources?resource_arn={TRACKING_ENC}&limit=1")).await;
        assert_eq!(rows.len(), 2, "{label}: paging keeps both accounts' rows: {rows:?}");

        let alice = c.sign_in("alice").await;
        let path = format!("/api/v1/runbooks?resource_arn={TRACKING_ENC}&scenario=dynamodb_restore");
        let (s, rb) = c.get_as(&alice, &path).await;
        assert_eq!(s, 200, "{label}: {rb}");
        let request = rb["steps"].as_array().unwrap().iter().find_map(|s| s["request"].as_object()).unwrap().clone();
        assert!(request["recovery_point_arn"].as_str().unwrap().contains(WORKLOAD_A), "{label}: {request:?}");
        assert!(rb["blockers"].as_array().unwrap().is_empty(), "{label}: {rb}");
    }
}

/// Security review finding 5: a schedule files in its creator's name only while the
/// creator's grant is live and the creator was last seen with the operator role; only
/// its creator or an admin turns it off.
#[tokio::test]
async fn a_demoted_creators_schedule_stops_filing_and_only_its_creator_or_an_admin_turns_it_off() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| {
            cfg.notifications.webhooks = vec![webhook_to("http://127.0.0.1:9/hook", &["drill_schedule_skipped"])];
        })
        .await;
        c.syncer.run().await.unwrap();
        let (alice, erin) = (c.sign_in("alice").await, c.sign_in("erin").await);
        // A second operator, signed in as the IdP would sign him in.
        let session = |subject: &'static str, roles: &[&str]| {
            let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
            let c = &c;
            async move {
                let now = chrono::Utc::now().timestamp_millis();
                recovery_console::auth::start_session(&c.store, &c.state.auth, subject, subject, roles, "oidc", now)
                    .await
                    .unwrap()
                    .0
            }
        };
        let dave = session("dave", &["viewer", "operator"]).await;
        let now = sb.sandbox.now();
        let at = |h: i64| chrono::DateTime::from_timestamp_millis(now + h * H).unwrap().to_rfc3339();
        let schedule = |first: i64, every: i64| json!({"resource_arn": TRACKING, "scenario": "dynamodb_restore", "every_hours": every, "first_at": at(first)});
        let (s, a) = c.post_as(&alice, "/api/v1/drill-schedules", schedule(1, 1)).await;
        assert_eq!(s, 201, "{label}: {a}");
        let (s, b) = c.post_as(&alice, "/api/v1/drill-schedules", schedule(5, 24)).await;
        assert_eq!(s, 201, "{label}: {b}");
        assert_eq!(a["grant_id"], b["grant_id"], "{label}: one grant per person");
        let drills = || {
            let (c, erin) = (&c, erin.clone());
            async move { c.get_as(&erin, "/api/v1/drills").await.1["items"].as_array().unwrap().clone() }
        };
        let skipped = |schedule: &Value| {
            let (c, subject) = (&c, format!("drill_schedule:{}", schedule["id"].as_str().unwrap()));
            async move {
                let carol = c.sign_in("carol").await;
                let (_, audit) = c.get_as(&carol, &format!("/api/v1/audit?subject={subject}")).await;
                audit["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["action"] == "drill_schedule.run_skipped")
                    .map(|r| r["details"]["reason"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            }
        };

        // Alice is removed from the operators' group: her next sign-in carries no operator role.
        session("alice", &["viewer"]).await;
        sb.advance(7200.0).await;
        recovery_console::assurance::drills::pass(&c.state).await.unwrap();
        assert!(drills().await.is_empty(), "{label}: a drill was filed in a demoted person's name");
        let reasons = skipped(&a).await;
        assert!(
            reasons.len() == 1
                && reasons[0].contains("alice last signed in at")
                && reasons[0].contains("without the operator role"),
            "{label}: {reasons:?}"
        );
        let queued = c.store.due_notifications(i64::MAX, 100).await.unwrap();
        assert!(
            queued.iter().any(|n| n.event == "drill_schedule_skipped" && n.payload.contains(a["id"].as_str().unwrap())),
            "{label}: the skipped run raises an alert"
        );

        // Back in the group, her schedule runs again.
        c.sign_in("alice").await;
        sb.advance(3600.0).await;
        recovery_console::assurance::drills::pass(&c.state).await.unwrap();
        let filed = drills().await;
        assert_eq!(filed.len(), 1, "{label}: {filed:?}");
        assert_eq!(filed[0]["schedule_id"], a["id"]);

        // An admin revokes her grant: the schedules made under it stop (audited).
        let (_, grants) = c.get_as(&dave, "/api/v1/schedule-grants").await;
        let grant = grants.as_array().unwrap().iter().find(|g| g["subject"] == "alice").unwrap().clone();
        assert_eq!(grant["id"], a["grant_id"]);
        let revoke = format!("/api/v1/schedule-grants/{}", grant["id"].as_str().unwrap());
        assert_eq!(
            c.send_as(Method::DELETE, &dave, &revoke, Value::Null).await.0,
            403,
            "{label}: operators do not revoke"
        );
        assert_eq!(c.send_as(Method::DELETE, &erin, &revoke, Value::Null).await.0, 204, "{label}");
        assert_eq!(c.send_as(Method::DELETE, &erin, &revoke, Value::Null).await.0, 404, "{label}: revoked already");
        sb.advance(2.0 * 3600.0).await;
        recovery_console::assurance::drills::pass(&c.state).await.unwrap();
        assert_eq!(drills().await.len(), 1, "{label}: nothing filed under a revoked grant");
        let reasons = skipped(&b).await;
        assert!(reasons.iter().any(|r| r.contains("was revoked by erin")), "{label}: {reasons:?}");

        // Another operator cannot turn alice's schedule off; alice and an admin can.
        let delete = |t: &String, s: &Value| {
            let (c, t, path) = (&c, t.clone(), format!("/api/v1/drill-schedules/{}", s["id"].as_str().unwrap()));
            async move { c.send_as(Method::DELETE, &t, &path, Value::Null).await }
        };
        let (s, refused) = delete(&dave, &a).await;
        assert_eq!(s, 403, "{label}: {refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("only its creator or an admin"), "{refused}");
        assert_eq!(delete(&erin, &a).await.0, 204, "{label}");
        assert_eq!(delete(&alice, &b).await.0, 204, "{label}");

        // An end date: no run after it, and one before the first run is refused.
        let mut ended = schedule(10, 1);
        ended["ends_at"] = json!(at(9));
        let (s, e) = c.post_as(&alice, "/api/v1/drill-schedules", ended.clone()).await;
        assert_eq!(s, 400, "{label}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("ends_at"), "{e}");
        ended["ends_at"] = json!(at(10));
        let (s, f) = c.post_as(&alice, "/api/v1/drill-schedules", ended).await;
        assert_eq!(s, 201, "{label}: {f}");
        assert_eq!(ms(&f["ends_at"]), now + 10 * H);
        assert_ne!(f["grant_id"], a["grant_id"], "{label}: a new grant after the revoked one");
        let due = |t: i64| {
            let c = &c;
            async move { c.store.due_schedules(t).await.unwrap().into_iter().map(|d| d.0.id).collect::<Vec<_>>() }
        };
        assert_eq!(due(now + 10 * H).await, [f["id"].as_str().unwrap()], "{label}");
        assert!(c.store.claim_schedule(f["id"].as_str().unwrap(), now + 10 * H, now + 11 * H).await.unwrap());
        assert!(due(now + 12 * H).await.is_empty(), "{label}: past its end date");
    }
}

/// Security review finding 18: a drill's Cloud Control DeleteResource happens only
/// after `drill.cleanup_started` is on record; while that record cannot be written,
/// the restored resource is left alone.
#[tokio::test]
async fn a_drill_deletes_its_resource_only_after_the_clean_up_is_on_record() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, bob) = (c.sign_in("alice").await, c.sign_in("bob").await);
        let body = json!({"resource_arn": TRACKING, "scenario": "dynamodb_restore", "retention_minutes": 30});
        let (s, drill) = c.post_as(&alice, "/api/v1/drills", body).await;
        assert_eq!(s, 201, "{label}: {drill}");
        let id = drill["id"].as_str().unwrap().to_string();
        let request_id = drill["request_id"].as_str().unwrap();
        let (_, request) = c.get_as(&bob, &format!("/api/v1/requests/{request_id}")).await;
        let approve = json!({"params_hash": request["params_hash"]});
        assert_eq!(c.post_as(&bob, &format!("/api/v1/requests/{request_id}/approve"), approve).await.0, 200);
        let report = || {
            let (c, path) = (&c, format!("/api/v1/drills/{id}"));
            let bob = bob.clone();
            async move { c.get_as(&bob, &path).await.1 }
        };
        let mut d = Value::Null;
        for _ in 0..60 {
            c.executor.pass().await.unwrap();
            recovery_console::assurance::drills::pass(&c.state).await.unwrap();
            d = report().await;
            if d["status"] != "awaiting_approval" && d["status"] != "restoring" && d["status"] != "validating" {
                break;
            }
            sb.advance(300.0).await;
        }
        assert_eq!(d["status"], "retained", "{label}: {d}");
        let restored = d["restored_arn"].as_str().unwrap().to_string();
        let exists = || {
            let (sb, restored) = (&sb, restored.clone());
            async move {
                let (_, world) = sb.admin(Method::GET, "/_sandbox/resources", None).await;
                world["resources"].as_array().unwrap().iter().any(|r| r == restored.as_str())
            }
        };
        assert!(exists().await, "{label}");

        // Its retention ends while the audit log cannot be written: nothing is deleted.
        refuse_inserts(&db, "audit_log").await;
        sb.advance(31.0 * 60.0).await;
        recovery_console::assurance::drills::pass(&c.state).await.unwrap();
        allow_inserts(&db, "audit_log").await;
        // Cloud Control deletes in the background: give a delete that was asked for time to finish.
        sb.advance(30.0 * 60.0).await;
        assert!(exists().await, "{label}: {restored} was deleted with no drill.cleanup_started record");
        assert_eq!(report().await["status"], "retained", "{label}");

        // Once it can be written, the clean-up runs as usual.
        for _ in 0..20 {
            recovery_console::assurance::drills::pass(&c.state).await.unwrap();
            d = report().await;
            if d["status"] == "completed" || d["status"] == "failed" {
                break;
            }
            sb.advance(60.0).await;
        }
        assert_eq!(d["status"], "completed", "{label}: {d}");
        assert!(!exists().await, "{label}: {restored} still exists");
        let carol = c.sign_in("carol").await;
        let (_, audit) = c.get_as(&carol, &format!("/api/v1/audit?subject=drill:{id}")).await;
        let actions: Vec<&str> =
            audit["items"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        for a in ["drill.cleanup_started", "drill.cleanup_requested", "drill.completed"] {
            assert!(actions.contains(&a), "{label}: no {a} in {actions:?}");
        }
    }
}

/// Security review INFO "Only a hash of notes and follow-ups is audited": each save's
/// audit record carries the new text and the one it replaced, so rewriting them leaves
/// every earlier version in the (hash-chained) audit log.
#[tokio::test]
async fn notes_and_follow_ups_keep_every_version_in_the_audit_log() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, bob, carol) = (c.sign_in("alice").await, c.sign_in("bob").await, c.sign_in("carol").await);
        let audit = |subject: String| {
            let (c, carol) = (&c, carol.clone());
            async move {
                let (_, a) = c.get_as(&carol, &format!("/api/v1/audit?subject={subject}")).await;
                // Newest first.
                a["items"].as_array().unwrap().iter().map(|r| r["details"].clone()).collect::<Vec<_>>()
            }
        };
        for text in ["First: restore into a new table.", "Rewritten after the fact."] {
            let notes = json!({"resource_arn": TRACKING, "scenario": "dynamodb_restore", "notes": text});
            assert_eq!(c.send_as(Method::PUT, &alice, "/api/v1/runbooks/notes", notes).await.0, 204, "{label}");
        }
        let records = audit(format!("runbook:dynamodb_restore:{TRACKING}")).await;
        assert_eq!(records[0]["notes"], "Rewritten after the fact.", "{label}: {records:?}");
        assert_eq!(records[0]["previous"], "First: restore into a new table.", "{label}: {records:?}");
        assert_eq!(records[1]["previous"], Value::Null, "{label}");

        let body = json!({"resource_arn": TRACKING, "scenario": "dynamodb_restore", "retention_minutes": 30});
        let (s, drill) = c.post_as(&alice, "/api/v1/drills", body).await;
        assert_eq!(s, 201, "{label}: {drill}");
        let path = format!("/api/v1/drills/{}/followups", drill["id"].as_str().unwrap());
        for text in ["Pre-warm capacity.", "Nothing to do."] {
            assert_eq!(c.send_as(Method::PUT, &bob, &path, json!({"followups": text})).await.0, 200, "{label}");
        }
        let records: Vec<Value> = audit(format!("drill:{}", drill["id"].as_str().unwrap()))
            .await
            .into_iter()
            .filter(|d| d.get("followups").is_some())
            .collect();
        assert_eq!(records[0]["followups"], "Nothing to do.", "{label}: {records:?}");
        assert_eq!(records[0]["previous"], "Pre-warm capacity.", "{label}: {records:?}");
    }
}
