//! Four-eyes requests on SQLite and PostgreSQL against the sandbox: a restore and a
//! cross-account restore run once and are audited; everything that must fail safe
//! does (self-approval, roles, stale hashes, expiry, concurrent decisions, lost
//! answers and restarts, CSRF, an edited audit record).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use recovery_console::executor::Executor;
use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;

const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";
const RECOVERY_VAULT: &str = "arn:aws:backup:ap-southeast-2:111111111111:backup-vault:workload-a-recovery";

/// The newest completed recovery point of tracking in an account's vault.
pub(crate) async fn tracking_point(c: &TestConsole, account: &str) -> String {
    let rps = c
        .all(format!("/api/v1/recovery-points?account_id={account}&resource_arn={TRACKING}&status=COMPLETED&limit=1"))
        .await;
    rps[0]["recovery_point_arn"].as_str().unwrap().to_string()
}

pub(crate) fn restore_body(rp: &str, table: &str) -> Value {
    json!({
        "kind": "restore",
        "recovery_point_arn": rp,
        "metadata": { "targetTableName": table, "encryptionType": "Default" },
        "justification": "restore drill for the tracking table",
        "ticket": "OPS-1234",
    })
}

/// Runs executor passes, moving the sandbox clock on, until the request ends.
pub(crate) async fn run_to_end(sb: &TestSandbox, c: &TestConsole, token: &str, id: &str) -> Value {
    for _ in 0..40 {
        c.executor.pass().await.unwrap();
        let (_, r) = c.get_as(token, &format!("/api/v1/requests/{id}")).await;
        if ["succeeded", "failed"].contains(&r["status"].as_str().unwrap()) {
            return r;
        }
        sb.advance(600.0).await;
    }
    panic!("request {id} did not end");
}

/// Restore jobs in the sandbox from a recovery point, as AWS lists them.
async fn restore_jobs_of(sb: &TestSandbox, account: &str, rp: &str) -> usize {
    let client = sb.reader(account).await;
    let jobs: Vec<_> = client.list_restore_jobs().into_paginator().items().send().collect::<Vec<_>>().await;
    jobs.into_iter()
        .map(Result::unwrap)
        .filter(|j| {
            j.recovery_point_arn() == Some(rp) && j.created_by().and_then(|c| c.restore_testing_plan_arn()).is_none()
        })
        .count()
}

#[tokio::test]
async fn a_restore_is_approved_by_another_person_and_runs_once() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, bob, carol) = (c.sign_in("alice").await, c.sign_in("bob").await, c.sign_in("carol").await);
        let rp = tracking_point(&c, WORKLOAD_A).await;
        let table = format!("tracking-restored-{label}");
        let before = restore_jobs_of(&sb, WORKLOAD_A, &rp).await;

        let (status, req) = c.post_as(&alice, "/api/v1/requests", restore_body(&rp, &table)).await;
        assert_eq!(status, 201, "{label}: {req}");
        assert_eq!(req["status"], "pending_approval");
        let id = req["id"].as_str().unwrap().to_string();
        let hash = req["params_hash"].as_str().unwrap().to_string();
        assert_eq!(hash.len(), 64);
        let checks: Vec<(&str, &Value)> =
            req["preflight"].as_array().unwrap().iter().map(|c| (c["check"].as_str().unwrap(), &c["ok"])).collect();
        assert!(checks.contains(&("recovery point completed", &Value::Bool(true))), "{checks:?}");
        assert!(checks.contains(&("target name free", &Value::Bool(true))), "{checks:?}");
        assert!(checks.contains(&("accounts in the organization", &Value::Bool(true))), "{checks:?}");
        assert!(checks.contains(&("encryption keys", &Value::Bool(true))), "{checks:?}");

        // Who may not decide, and a hash that is not what was requested.
        let approve = |h: &str| json!({ "params_hash": h });
        let (s, body) = c.post_as(&alice, &format!("/api/v1/requests/{id}/approve"), approve(&hash)).await;
        assert_eq!((s, body["error"]["code"].as_str()), (403, Some("forbidden")), "self-approval: {body}");
        assert_eq!(c.post_as(&carol, &format!("/api/v1/requests/{id}/approve"), approve(&hash)).await.0, 403);
        let (s, body) = c.post_as(&bob, &format!("/api/v1/requests/{id}/approve"), approve(&"0".repeat(64))).await;
        assert_eq!((s, body["error"]["code"].as_str()), (409, Some("stale_hash")));
        assert_eq!(c.post_as(&bob, &format!("/api/v1/requests/{id}/approve"), json!({})).await.0, 400);

        let (s, approved) = c.post_as(&bob, &format!("/api/v1/requests/{id}/approve"), approve(&hash)).await;
        assert_eq!(s, 200, "{approved}");
        assert_eq!(approved["status"], "approved");

        let done = run_to_end(&sb, &c, &alice, &id).await;
        assert_eq!(done["status"], "succeeded", "{label}: {done}");
        assert_eq!(done["created_resource_arn"], format!("arn:aws:dynamodb:ap-southeast-2:111111111111:table/{table}"));
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, &rp).await, before + 1, "{label}: one job");

        let steps: Vec<&str> =
            done["timeline"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap()).collect();
        for step in [
            "request.created",
            "request.approval",
            "request.approved",
            "execution.token_stored",
            "aws.restore_job_started",
            "aws.restore_job_completed",
        ] {
            assert!(steps.contains(&step), "{label}: {step} missing from {steps:?}");
        }
        let (_, v) = c.get_as(&carol, "/api/v1/audit/verify").await;
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(c.get_as(&alice, "/api/v1/audit/verify").await.0, 403, "the audit log is for auditors");

        // The same target name again: the pre-flight check knows it is taken now.
        c.syncer.run().await.unwrap();
        let (_, again) = c.post_as(&alice, "/api/v1/requests", restore_body(&rp, &table)).await;
        let name =
            again["preflight"].as_array().unwrap().iter().find(|c| c["check"] == "target name free").unwrap().clone();
        let synced = c.all("/api/v1/restore-jobs?test=false").await;
        assert_eq!(name["ok"], false, "{name} {synced:?}");
    }
}

#[tokio::test]
async fn a_cross_account_restore_copies_then_restores_in_the_target_account() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, erin) = (c.sign_in("alice").await, c.sign_in("erin").await);
        let rp = tracking_point(&c, BACKUP).await;
        let table = format!("tracking-from-central-{}", db.label);
        let body = json!({
            "kind": "cross_account_restore",
            "recovery_point_arn": rp,
            "destination_vault_arn": RECOVERY_VAULT,
            "metadata": { "targetTableName": table },
            "justification": "recover tracking from the central vault",
        });
        let (s, req) = c.post_as(&alice, "/api/v1/requests", body).await;
        assert_eq!(s, 201, "{req}");
        let policy = named_check(&req["preflight"], "destination vault allows the copy");
        assert_eq!(policy["ok"], true, "{policy}");
        let id = req["id"].as_str().unwrap();
        let (s, _) = c
            .post_as(&erin, &format!("/api/v1/requests/{id}/approve"), json!({"params_hash": req["params_hash"]}))
            .await;
        assert_eq!(s, 200);
        let done = run_to_end(&sb, &c, &alice, id).await;
        assert_eq!(done["status"], "succeeded", "{done}");
        assert_eq!(done["copy_state"], "COMPLETED");
        let copied = done["destination_recovery_point_arn"].as_str().unwrap();
        assert!(copied.contains(":111111111111:"), "the copy lands in workload_a: {copied}");
        assert_eq!(done["created_resource_arn"], format!("arn:aws:dynamodb:ap-southeast-2:111111111111:table/{table}"));
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, copied).await, 1);
    }
}

#[tokio::test]
async fn concurrent_decisions_have_one_winner_and_the_chain_does_not_fork() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let c = Arc::new(console(&sb, &db, |_| {}).await);
        c.syncer.run().await.unwrap();
        let alice = c.sign_in("alice").await;
        let approvers = [c.sign_in("bob").await, c.sign_in("erin").await];
        let rp = tracking_point(&c, WORKLOAD_A).await;
        let (_, req) = c.post_as(&alice, "/api/v1/requests", restore_body(&rp, "tracking-race")).await;
        let id = req["id"].as_str().unwrap().to_string();
        let hash = req["params_hash"].as_str().unwrap().to_string();
        let calls = (0..20).map(|i| {
            let (c, token, id, hash) = (Arc::clone(&c), approvers[i % 2].clone(), id.clone(), hash.clone());
            tokio::spawn(async move {
                c.post_as(&token, &format!("/api/v1/requests/{id}/approve"), json!({"params_hash": hash})).await
            })
        });
        let results: Vec<(u16, Value)> =
            futures_util::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
        let wins = results.iter().filter(|r| r.0 == 200).count();
        assert_eq!(wins, 1, "{}: {results:?}", db.label);
        assert!(results.iter().all(|r| r.0 == 200 || r.0 == 409), "{results:?}");
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{id}")).await;
        assert_eq!(r["decisions"].as_array().unwrap().len(), 1);
        let carol = c.sign_in("carol").await;
        let (_, v) = c.get_as(&carol, "/api/v1/audit/verify").await;
        assert_eq!(v["valid"], true, "{}: {v}", db.label);
    }
}

#[tokio::test]
async fn rejected_expired_and_unauthorized_requests_never_run() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| cfg.requests.expiry_hours = 1).await;
        c.syncer.run().await.unwrap();
        let (alice, bob, carol) = (c.sign_in("alice").await, c.sign_in("bob").await, c.sign_in("carol").await);
        let rp = tracking_point(&c, WORKLOAD_A).await;

        // Nobody anonymous, no auditor, no unknown token asks for anything.
        let anonymous =
            c.http.post(format!("{}/api/v1/requests", c.url)).json(&restore_body(&rp, "x-anon")).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
        assert_eq!(c.post_as(&carol, "/api/v1/requests", restore_body(&rp, "x-carol")).await.0, 403);
        assert_eq!(c.post_as("not-a-session", "/api/v1/requests", restore_body(&rp, "x-forged")).await.0, 401);
        let (s, bad) = c
            .post_as(
                &alice,
                "/api/v1/requests",
                json!({"kind": "restore", "recovery_point_arn": rp, "justification": "short"}),
            )
            .await;
        assert_eq!(s, 400, "{bad}");

        // A rejection is final.
        let (_, req) = c.post_as(&alice, "/api/v1/requests", restore_body(&rp, "tracking-rejected")).await;
        let id = req["id"].as_str().unwrap();
        assert_eq!(
            c.post_as(&bob, &format!("/api/v1/requests/{id}/reject"), json!({})).await.0,
            400,
            "a reason is needed"
        );
        let (s, r) = c.post_as(&bob, &format!("/api/v1/requests/{id}/reject"), json!({"reason": "wrong table"})).await;
        assert_eq!((s, r["status"].as_str()), (200, Some("rejected")));
        let (s, body) = c
            .post_as(&bob, &format!("/api/v1/requests/{id}/approve"), json!({"params_hash": req["params_hash"]}))
            .await;
        assert_eq!((s, body["error"]["code"].as_str()), (409, Some("not_pending")));

        // An approval after expiry is refused, and the request is expired.
        let (_, req) = c.post_as(&alice, "/api/v1/requests", restore_body(&rp, "tracking-late")).await;
        let late = req["id"].as_str().unwrap();
        sb.advance(3700.0).await;
        let (s, body) = c
            .post_as(&bob, &format!("/api/v1/requests/{late}/approve"), json!({"params_hash": req["params_hash"]}))
            .await;
        assert_eq!((s, body["error"]["code"].as_str()), (409, Some("expired")), "{label}: {body}");
        c.executor.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{late}")).await;
        assert_eq!(r["status"], "expired");
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, &rp).await, 0, "nothing ran");

        // The requester cancels; nobody else does.
        let (_, req) = c.post_as(&alice, "/api/v1/requests", restore_body(&rp, "tracking-cancel")).await;
        let id = req["id"].as_str().unwrap();
        assert_eq!(c.post_as(&bob, &format!("/api/v1/requests/{id}/cancel"), Value::Null).await.0, 403);
        assert_eq!(
            c.post_as(&alice, &format!("/api/v1/requests/{id}/cancel"), Value::Null).await.1["status"],
            "cancelled"
        );
        // A cancelled request can no longer be approved, and the executor starts nothing for it.
        let (s, body) = c
            .post_as(&bob, &format!("/api/v1/requests/{id}/approve"), json!({"params_hash": req["params_hash"]}))
            .await;
        assert_eq!((s, body["error"]["code"].as_str()), (409, Some("not_pending")), "{label}: {body}");
        c.executor.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{id}")).await;
        assert_eq!(r["status"], "cancelled", "{label}");
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, &rp).await, 0, "{label}: nothing ran");
    }
}

#[tokio::test]
async fn a_lost_answer_and_a_restart_between_the_call_and_the_commit_start_one_job() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, bob) = (c.sign_in("alice").await, c.sign_in("bob").await);
        let rp = tracking_point(&c, WORKLOAD_A).await;
        let before = restore_jobs_of(&sb, WORKLOAD_A, &rp).await;

        // Every answer of StartRestoreJob is lost: the job starts in AWS, the console
        // never hears of it, exactly as if it had been killed before its commit.
        let (_, req) =
            c.post_as(&alice, "/api/v1/requests", restore_body(&rp, &format!("tracking-lost-{}", db.label))).await;
        let id = req["id"].as_str().unwrap().to_string();
        c.post_as(&bob, &format!("/api/v1/requests/{id}/approve"), json!({"params_hash": req["params_hash"]})).await;
        sb.set_faults(json!({ "lost_response_rate": 1.0, "operations": ["StartRestoreJob"] })).await;
        c.executor.pass().await.unwrap();
        c.executor.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{id}")).await;
        assert_eq!(r["status"], "executing");
        assert!(r["restore_job_id"].is_null(), "the answer never came: {r}");
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, &rp).await, before + 1, "the lost call took effect once");

        // A new process (fresh executor and connections) picks the request up.
        sb.set_faults(json!({})).await;
        let store = recovery_console::store::Store::connect(&db.url, 2).await.unwrap();
        let clock = Arc::clone(&sb.sandbox);
        let restarted = Executor::new(store, Arc::clone(&c.syncer), Arc::new(move || clock.now()));
        restarted.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{id}")).await;
        assert!(r["restore_job_id"].is_string(), "{r}");
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, &rp).await, before + 1, "{}: still one job", db.label);
        let done = run_to_end(&sb, &c, &alice, &id).await;
        assert_eq!(done["status"], "succeeded");
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, &rp).await, before + 1);
        // Security review finding 21: the ended request's AWS client is not kept.
        assert_eq!(c.executor.cached_clients().await, 0, "{}", db.label);
    }
}

#[tokio::test]
async fn cookies_need_the_csrf_token_and_an_edited_audit_record_is_named() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        let resp =
            c.http.post(format!("{}/api/v1/auth/demo", c.url)).json(&json!({"user": "alice"})).send().await.unwrap();
        let cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        assert!(resp.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly"));
        let csrf = resp.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
        let me = c.get_with("/api/v1/me", "cookie", &cookie).await;
        assert_eq!(me["subject"], "alice");
        assert_eq!(me["csrf_token"], csrf.as_str());
        let post = |csrf: Option<&str>| {
            let mut r = c.http.post(format!("{}/api/v1/sync", c.url)).header("cookie", &cookie);
            if let Some(t) = csrf {
                r = r.header("x-csrf-token", t);
            }
            r.send()
        };
        let without = post(None).await.unwrap();
        assert_eq!(without.status(), 403);
        assert_eq!(without.json::<Value>().await.unwrap()["error"]["code"], "csrf_failed");
        assert_eq!(post(Some("forged")).await.unwrap().status(), 403);
        assert_eq!(post(Some(&csrf)).await.unwrap().status(), 202);
        let headers = c.http.get(format!("{}/api/v1/me", c.url)).send().await.unwrap().headers().clone();
        assert!(headers["content-security-policy"].to_str().unwrap().contains("script-src 'self' 'wasm-unsafe-eval'"));
        assert_eq!(headers["x-frame-options"], "DENY");

        // Sign-ins are audited; an edited record breaks the chain from there, and verify names it.
        for user in ["bob", "carol", "erin"] {
            c.sign_in(user).await;
        }
        let carol = c.sign_in("carol").await;
        let (_, v) = c.get_as(&carol, "/api/v1/audit/verify").await;
        // Five sign-ins and the sync Alice started.
        assert_eq!((v["valid"].as_bool(), v["entries"].as_i64()), (Some(true), Some(6)), "{v}");
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(db.url.expose()).await.unwrap();
        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").execute(&pool).await.unwrap();
        let (_, v) = c.get_as(&carol, "/api/v1/audit/verify").await;
        assert_eq!(v["valid"], false);
        assert_eq!(v["first_bad_seq"], 3, "{v}");
        let export =
            c.http.get(format!("{}/api/v1/audit/export?format=csv", c.url)).bearer_auth(&carol).send().await.unwrap();
        assert_eq!(export.status(), 200);
        let text = export.text().await.unwrap();
        assert_eq!(text.lines().count(), 1 + 6, "a header and six records");
        assert!(text.contains("mallory"));
    }
}

#[tokio::test]
async fn an_export_verifies_offline_and_the_cli_names_a_broken_record() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, carol) = (c.sign_in("alice").await, c.sign_in("carol").await);
        let rp = tracking_point(&c, WORKLOAD_A).await;
        let mut body = restore_body(&rp, "tracking-übung");
        body["metadata"]["targetTableName"] = json!("tracking-uebung");
        body["justification"] = json!("Wiederherstellungsübung — “tracking” ✓");
        assert_eq!(c.post_as(&alice, "/api/v1/requests", body).await.0, 201);

        let export = c.http.get(format!("{}/api/v1/audit/export", c.url)).bearer_auth(&carol).send().await.unwrap();
        assert_eq!(export.headers()["content-type"], "application/x-ndjson");
        let text = export.text().await.unwrap();
        let dir = std::env::temp_dir().join(format!("rc-audit-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("audit.ndjson");
        std::fs::write(&good, &text).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/verify-audit-export.py");
        let run = |file: &std::path::Path, extra: &[&str]| {
            std::process::Command::new("python3").arg(script).arg(file).args(extra).output().unwrap()
        };
        let ok = run(&good, &[]);
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
        let (_, v) = c.get_as(&carol, "/api/v1/audit/verify").await;
        let head = v["head"].as_str().unwrap();
        assert!(String::from_utf8_lossy(&ok.stdout).contains(head), "the script and the console agree on the head");
        assert!(run(&good, &["--head", head]).status.success());
        assert!(!run(&good, &["--head", &"f".repeat(64)]).status.success());

        // An edited line is named by the script.
        let edited = dir.join("edited.ndjson");
        std::fs::write(&edited, text.replacen("\"actor\":\"alice\"", "\"actor\":\"mallory\"", 1)).unwrap();
        let bad = run(&edited, &[]);
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("record 1:"), "{}", String::from_utf8_lossy(&bad.stderr));

        // The CLI verifies the database and names the first bad record.
        let config = dir.join("console.toml");
        std::fs::write(&config, format!("[database]\nurl = {:?}\n", db.url.expose())).unwrap();
        let cli = |args: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_recovery-console")).args(args).output().unwrap()
        };
        let config = config.to_str().unwrap();
        assert!(cli(&["audit", "verify", "--config", config]).status.success());
        let exported = cli(&["audit", "export", "--config", config]);
        assert_eq!(String::from_utf8_lossy(&exported.stdout), text, "the CLI exports what the API does");
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(db.url.expose()).await.unwrap();
        sqlx::query("UPDATE audit_log SET details = '{}' WHERE seq = 2").execute(&pool).await.unwrap();
        let broken = cli(&["audit", "verify", "--config", config]);
        assert!(!broken.status.success());
        assert!(
            String::from_utf8_lossy(&broken.stderr).contains("broken at record 2"),
            "{}",
            String::from_utf8_lossy(&broken.stderr)
        );
    }
}

#[tokio::test]
async fn the_audit_chain_names_a_deleted_swapped_or_inserted_record_and_holds_under_concurrent_writers() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = Arc::new(console(&sb, &db, |_| {}).await);
        let carol = c.sign_in("carol").await;
        c.sign_in("alice").await;
        let verify = || {
            let (c, carol) = (Arc::clone(&c), carol.clone());
            async move { c.get_as(&carol, "/api/v1/audit/verify").await.1 }
        };
        let n = verify().await["entries"].as_i64().unwrap();
        assert_eq!(n, 2, "{label}: two sign-ins so far");

        // Fifty sign-ins at once, each writing a record: the chain stays one chain.
        let users = ["alice", "bob", "carol", "erin"];
        let calls = (0..50).map(|i| {
            let c = Arc::clone(&c);
            tokio::spawn(async move { c.sign_in(users[i % users.len()]).await })
        });
        for r in futures_util::future::join_all(calls).await {
            r.unwrap();
        }
        let v = verify().await;
        assert_eq!((v["valid"].as_bool(), v["entries"].as_i64()), (Some(true), Some(n + 50)), "{label}: {v}");
        let head = v["head"].as_str().unwrap().to_string();

        // An export cut short verifies on its own, but not against the head the console reports.
        let export = c.http.get(format!("{}/api/v1/audit/export", c.url)).bearer_auth(&carol).send().await.unwrap();
        let text = export.text().await.unwrap();
        assert_eq!(text.lines().count() as i64, n + 50);
        let dir = std::env::temp_dir().join(format!("rc-audit-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let (full, cut) = (dir.join("full.ndjson"), dir.join("cut.ndjson"));
        std::fs::write(&full, &text).unwrap();
        let last = text.trim_end().rfind('\n').unwrap();
        std::fs::write(&cut, &text[..=last]).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/verify-audit-export.py");
        let run = |file: &std::path::Path, extra: &[&str]| {
            std::process::Command::new("python3").arg(script).arg(file).args(extra).output().unwrap()
        };
        assert!(run(&full, &["--head", &head]).status.success(), "{label}");
        assert!(run(&cut, &[]).status.success(), "a prefix of the chain is a valid chain");
        let truncated = run(&cut, &["--head", &head]);
        assert!(!truncated.status.success(), "{label}: a truncated export passed against the real head");
        let err = String::from_utf8_lossy(&truncated.stderr);
        assert!(err.contains(&format!("not at the expected head {head}")), "{err}");
        let _ = std::fs::remove_dir_all(&dir);

        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(db.url.expose()).await.unwrap();
        let sql = |q: &'static str| {
            let pool = pool.clone();
            async move { sqlx::query(q).execute(&pool).await.unwrap() }
        };

        // Two records swap their content (carol's sign-in and alice's): the first is named.
        use sqlx::Row;
        let content = |seq: i64| {
            let pool = pool.clone();
            async move {
                let r = sqlx::query(&format!("SELECT at, actor, details FROM audit_log WHERE seq = {seq}"))
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                (r.get::<i64, _>(0), r.get::<String, _>(1), r.get::<String, _>(2))
            }
        };
        let put = |seq: i64, (at, actor, details): (i64, String, String)| {
            let pool = pool.clone();
            let q = format!(
                "UPDATE audit_log SET at = {at}, actor = '{}', details = '{}' WHERE seq = {seq}",
                actor.replace('\'', "''"),
                details.replace('\'', "''")
            );
            async move { sqlx::query(&q).execute(&pool).await.unwrap() }
        };
        let (first, second) = (content(1).await, content(2).await);
        assert_ne!(first, second);
        put(1, second.clone()).await;
        put(2, first.clone()).await;
        let v = verify().await;
        assert_eq!((v["valid"].as_bool(), v["first_bad_seq"].as_i64()), (Some(false), Some(1)), "{label}: {v}");
        put(1, first).await;
        put(2, second).await;
        assert_eq!(verify().await["valid"], true, "{label}: swapped back");

        // A record inserted in the middle (a copy of record 9 at 10, the rest moved up): named.
        sql("UPDATE audit_log SET seq = -seq WHERE seq >= 10").await;
        sql("UPDATE audit_log SET seq = 1 - seq WHERE seq < 0").await;
        sql("INSERT INTO audit_log SELECT 10, at, actor, action, subject, details, prev_hash, hash FROM audit_log WHERE seq = 9").await;
        let v = verify().await;
        assert_eq!((v["valid"].as_bool(), v["first_bad_seq"].as_i64()), (Some(false), Some(10)), "{label}: {v}");
        assert_eq!(v["entries"].as_i64(), Some(n + 51));
        sql("DELETE FROM audit_log WHERE seq = 10").await;
        sql("UPDATE audit_log SET seq = -seq WHERE seq >= 11").await;
        sql("UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0").await;
        let v = verify().await;
        assert_eq!((v["valid"].as_bool(), v["head"].as_str()), (Some(true), Some(head.as_str())), "{label}: {v}");

        // A record deleted: the gap is named.
        sql("DELETE FROM audit_log WHERE seq = 20").await;
        let v = verify().await;
        assert_eq!((v["valid"].as_bool(), v["first_bad_seq"].as_i64()), (Some(false), Some(21)), "{label}: {v}");
        assert_eq!(v["problem"], "sequence jumps from 19 to 21", "{label}");
    }
}

/// A console synced with a fault-free sandbox, alice's and bob's tokens, and tracking's
/// newest recovery point in workload_a.
async fn synced_console(sb: &TestSandbox, db: &TestDb) -> (TestConsole, [String; 2], String) {
    sb.set_faults(json!({})).await;
    let c = console(sb, db, |_| {}).await;
    c.syncer.run().await.unwrap();
    let users = [c.sign_in("alice").await, c.sign_in("bob").await];
    let rp = tracking_point(&c, WORKLOAD_A).await;
    (c, users, rp)
}

/// A restore of `rp` into `table`, filed by the first user and approved by the second; its id.
async fn filed_and_approved(c: &TestConsole, [requester, approver]: [&str; 2], rp: &str, table: String) -> String {
    let (_, req) = c.post_as(requester, "/api/v1/requests", restore_body(rp, &table)).await;
    let id = req["id"].as_str().unwrap().to_string();
    let body = json!({"params_hash": req["params_hash"]});
    c.post_as(approver, &format!("/api/v1/requests/{id}/approve"), body).await;
    id
}

/// Security review, finding 19: the evidence report names the requester and each approver
/// by the subject the console checks, next to the display name they may have chosen.
#[tokio::test]
async fn the_evidence_report_names_people_by_their_subject_too() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let (c, [alice, bob], rp) = synced_console(&sb, &db).await;
        filed_and_approved(&c, [&alice, &bob], &rp, "tracking-named".into()).await;
        let html = crate::console_assurance::streamed_pack_file(&c, &sb, 1, "report.html").await;
        let html = String::from_utf8(html).unwrap();
        for shown in [
            r#"Alice (operator) <code title="IdP subject">alice</code>"#,
            r#"Bob (approver) <code title="IdP subject">bob</code> (approve)"#,
        ] {
            assert!(html.contains(shown), "{label}: {shown} not in the report");
        }
    }
}

fn actions(r: &Value) -> Vec<String> {
    r["timeline"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap().to_string()).collect()
}

/// STS refuses the operator role (the sandbox's `deny_accounts` fault answers AssumeRole
/// `AccessDenied`, as STS does for a role whose trust policy does not admit the caller):
/// the Backup call is then never sent. Before any start the request fails at once; once a
/// start may have reached AWS it waits an hour for the role, then fails naming the token.
#[tokio::test]
async fn an_operator_role_that_cannot_be_assumed_fails_the_request_with_the_reason() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let (c, [alice, bob], rp) = synced_console(&sb, &db).await;
        let before = restore_jobs_of(&sb, WORKLOAD_A, &rp).await;
        let file = |table: String| filed_and_approved(&c, [&alice, &bob], &rp, table);
        let deny = json!({ "deny_accounts": [WORKLOAD_A] });

        // Denied before the first start: StartRestoreJob was never sent, so it fails now.
        let first = file(format!("tracking-denied-{label}")).await;
        sb.set_faults(deny.clone()).await;
        c.executor.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{first}")).await;
        assert_eq!(r["status"], "failed", "{label}: {r}");
        let error = r["error"].as_str().unwrap();
        assert!(error.contains("operator role cannot be assumed: AccessDenied"), "{label}: {error}");
        assert!(error.contains("not started"), "{label}: {error}");
        assert!(actions(&r).contains(&"execution.failed".to_string()), "{label}: {r}");

        // A start whose answer was lost, then the role is denied (a new process, so no
        // cached credentials): the job may exist, so the request waits for the role.
        sb.set_faults(json!({})).await;
        let second = file(format!("tracking-lost-denied-{label}")).await;
        sb.set_faults(json!({ "lost_response_rate": 1.0, "operations": ["StartRestoreJob"] })).await;
        c.executor.pass().await.unwrap();
        sb.set_faults(deny.clone()).await;
        let store = recovery_console::store::Store::connect(&db.url, 2).await.unwrap();
        let clock = Arc::clone(&sb.sandbox);
        let restarted = Executor::new(store, Arc::clone(&c.syncer), Arc::new(move || clock.now()));
        restarted.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{second}")).await;
        assert_eq!(r["status"], "executing", "{label}: {r}");
        assert!(actions(&r).contains(&"execution.role_unavailable".to_string()), "{label}: {r}");
        sb.advance(30.0 * 60.0).await;
        restarted.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{second}")).await;
        assert_eq!(r["status"], "executing", "{label}: within the hour it waits");
        sb.advance(31.0 * 60.0).await;
        restarted.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{second}")).await;
        assert_eq!(r["status"], "failed", "{label}: {r}");
        let error = r["error"].as_str().unwrap();
        assert!(error.contains("AccessDenied") && error.contains("for 61 minutes"), "{label}: {error}");
        assert!(error.contains("a restore job may have started (idempotency token"), "{label}: {error}");
        sb.set_faults(json!({})).await;
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, &rp).await, before + 1, "{label}: the lost start did start one");
    }
}

/// After the token window the executor looks its restore job up instead of starting
/// again. A manual restore job's `CreatedBy` holds no restore testing plan (the model's
/// RestoreJobCreator has only `RestoreTestingPlanArn`; the sandbox sends it empty): the
/// lookup finds the request's own job (its start's answer was lost), and never takes
/// another person's restore of the same recovery point into another table for it.
#[tokio::test]
async fn the_lookup_after_the_token_window_finds_only_the_requests_own_restore() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let (c, [alice, bob], rp) = synced_console(&sb, &db).await;
        let file = |table: String| filed_and_approved(&c, [&alice, &bob], &rp, table);
        let op = sb.operator(WORKLOAD_A).await;
        let manual = |table: String| {
            let (op, rp) = (&op, &rp);
            async move {
                let out = op
                    .start_restore_job()
                    .recovery_point_arn(rp)
                    .set_metadata(Some(dynamo_metadata(&table)))
                    .iam_role_arn(format!("arn:aws:iam::{WORKLOAD_A}:role/service-role/AWSBackupDefaultServiceRole"))
                    .resource_type("DynamoDB")
                    .send()
                    .await
                    .unwrap();
                out.restore_job_id().unwrap().to_string()
            }
        };

        // Its start took effect but the answer was lost; someone restores the same point
        // by hand meanwhile. An hour later the lookup takes the request's own job.
        let own = file(format!("tracking-looked-up-{label}")).await;
        sb.set_faults(json!({ "lost_response_rate": 1.0, "operations": ["StartRestoreJob"] })).await;
        c.executor.pass().await.unwrap();
        sb.set_faults(json!({})).await;
        let other = manual(format!("tracking-by-hand-{label}")).await;
        let manual_job = op.describe_restore_job().restore_job_id(&other).send().await.unwrap();
        assert_eq!(manual_job.created_by().map(|c| c.restore_testing_plan_arn()), Some(None), "CreatedBy is empty");
        sb.advance(51.0 * 60.0).await;
        c.executor.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{own}")).await;
        let job = r["restore_job_id"].as_str().unwrap_or_else(|| panic!("{label}: the lookup found no job: {r}"));
        assert_ne!(job, other, "{label}: the manual restore is not the request's");
        let metadata = op.get_restore_job_metadata().restore_job_id(job).send().await.unwrap();
        assert_eq!(metadata.metadata().unwrap()["targetTableName"], format!("tracking-looked-up-{label}"));

        // Its start never reached AWS (a 503); only someone else's restore exists: the
        // lookup finds nothing, and the request fails rather than adopt that job.
        let never = file(format!("tracking-never-{label}")).await;
        sb.set_faults(json!({ "error_rate": 1.0, "operations": ["StartRestoreJob"] })).await;
        c.executor.pass().await.unwrap();
        sb.set_faults(json!({})).await;
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{never}")).await;
        assert!(r["restore_job_id"].is_null(), "{label}: {r}");
        let foreign = manual(format!("tracking-foreign-{label}")).await;
        sb.advance(51.0 * 60.0).await;
        c.executor.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{never}")).await;
        assert_eq!(r["status"], "failed", "{label}: {r}");
        assert!(r["restore_job_id"].is_null(), "{label}: {foreign} was not adopted: {r}");
        assert!(r["error"].as_str().unwrap().contains("no restore job of this request was found"), "{label}: {r}");
    }
}

const CENTRAL_VAULT: &str = "arn:aws:backup:ap-southeast-2:222222222222:backup-vault:central-vault";

/// The copy jobs of `rp` in `account` that no backup plan made.
async fn copy_jobs_of(sb: &TestSandbox, account: &str, rp: &str) -> Vec<String> {
    let client = sb.reader(account).await;
    let jobs: Vec<_> = client.list_copy_jobs().into_paginator().items().send().collect::<Vec<_>>().await;
    jobs.into_iter()
        .map(Result::unwrap)
        .filter(|j| j.source_recovery_point_arn() == Some(rp))
        .filter_map(|j| j.copy_job_id().map(str::to_string))
        .collect()
}

/// A copy of `rp` into the central vault, filed by the first user and approved by the second; its id.
async fn copy_filed_and_approved(c: &TestConsole, [requester, approver]: [&str; 2], rp: &str) -> String {
    let body = json!({"kind": "copy", "recovery_point_arn": rp, "destination_vault_arn": CENTRAL_VAULT,
        "justification": "keep a copy in the central account"});
    let (s, req) = c.post_as(requester, "/api/v1/requests", body).await;
    assert_eq!(s, 201, "{req}");
    let id = req["id"].as_str().unwrap().to_string();
    let (s, _) = c
        .post_as(approver, &format!("/api/v1/requests/{id}/approve"), json!({"params_hash": req["params_hash"]}))
        .await;
    assert_eq!(s, 200);
    id
}

/// Security review finding 8 for copies, and a lost StartCopyJob answer: a copy job
/// carries no token, so after the token window the lookup takes a job only when it is
/// the one left that no other request holds and no backup plan made; otherwise the
/// request fails for a person to check by hand.
#[tokio::test]
async fn a_lost_copy_answer_is_found_after_the_window_and_no_other_copy_is_adopted() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let (c, [alice, bob], rp) = synced_console(&sb, &db).await;
        let request = |id: &String| {
            let (c, alice, id) = (&c, alice.clone(), id.clone());
            async move { c.get_as(&alice, &format!("/api/v1/requests/{id}")).await.1 }
        };
        let before = copy_jobs_of(&sb, WORKLOAD_A, &rp).await;

        // B, a copy of the same point into the same vault, starts normally. Then A's
        // StartCopyJob takes effect but every answer is lost, also for the retry with
        // the same token (which makes no second job). After the window, A's lookup takes
        // its own job, not B's (which the old lookup, taking the first match, took).
        let b = copy_filed_and_approved(&c, [&alice, &bob], &rp).await;
        c.executor.pass().await.unwrap();
        let b_job = request(&b).await["copy_job_id"].as_str().unwrap().to_string();
        let a = copy_filed_and_approved(&c, [&alice, &bob], &rp).await;
        sb.set_faults(json!({ "lost_response_rate": 1.0, "operations": ["StartCopyJob"] })).await;
        c.executor.pass().await.unwrap();
        c.executor.pass().await.unwrap();
        assert!(request(&a).await["copy_job_id"].is_null(), "{label}: the answer never came");
        let after = copy_jobs_of(&sb, WORKLOAD_A, &rp).await;
        assert_eq!(after.len(), before.len() + 2, "{label}: B's job, and A's lost call took effect once");
        let own = after.iter().find(|j| !before.contains(j) && **j != b_job).unwrap().clone();
        sb.advance(51.0 * 60.0).await;
        sb.set_faults(json!({})).await;
        c.executor.pass().await.unwrap();
        c.executor.pass().await.unwrap();
        let ra = request(&a).await;
        assert_eq!(ra["copy_job_id"], own.as_str(), "{label}: A adopted another job than its own: {ra}");
        assert_eq!(copy_jobs_of(&sb, WORKLOAD_A, &rp).await.len(), before.len() + 2, "{label}: nothing started again");

        // The review's scenario: D, the same copy, starts normally; every StartCopyJob of
        // C comes back 503 through its window (nothing started). C's lookup finds only D's
        // job, which D holds: C fails instead of taking it.
        let d = copy_filed_and_approved(&c, [&alice, &bob], &rp).await;
        c.executor.pass().await.unwrap();
        let dd = request(&d).await;
        assert!(dd["copy_job_id"].is_string(), "{label}: {dd}");
        let cc = copy_filed_and_approved(&c, [&alice, &bob], &rp).await;
        sb.set_faults(json!({ "error_rate": 1.0, "operations": ["StartCopyJob"] })).await;
        c.executor.pass().await.unwrap();
        sb.advance(51.0 * 60.0).await;
        // A lookup whose answer was unsure (a slow database or AWS under load) goes on next pass.
        c.executor.pass().await.unwrap();
        c.executor.pass().await.unwrap();
        sb.set_faults(json!({})).await;
        let rc = request(&cc).await;
        assert_eq!(rc["status"], "failed", "{label}: {rc}");
        assert!(rc["copy_job_id"].is_null(), "{label}: D's job {} was adopted: {rc}", dd["copy_job_id"]);
        assert!(rc["error"].as_str().unwrap().contains("no copy job of this request was found"), "{label}: {rc}");

        // Two copies of the same point were made by hand; E's starts all come back 503:
        // nothing tells which job could be E's, so E fails, to be checked by hand.
        let op = sb.operator(WORKLOAD_A).await;
        let vault = rc["params"]["source_vault_name"].as_str().unwrap().to_string();
        // A copy of the point into the central vault, started in the AWS console: its job id.
        let copy_by_hand = || async {
            let out = op
                .start_copy_job()
                .recovery_point_arn(&rp)
                .source_backup_vault_name(&vault)
                .destination_backup_vault_arn(CENTRAL_VAULT)
                .iam_role_arn(format!("arn:aws:iam::{WORKLOAD_A}:role/service-role/AWSBackupDefaultServiceRole"))
                .send()
                .await
                .unwrap();
            out.copy_job_id().unwrap_or_default().to_string()
        };
        for _ in 0..2 {
            copy_by_hand().await;
        }
        let e = copy_filed_and_approved(&c, [&alice, &bob], &rp).await;
        sb.set_faults(json!({ "error_rate": 1.0, "operations": ["StartCopyJob"] })).await;
        c.executor.pass().await.unwrap();
        sb.advance(51.0 * 60.0).await;
        // A lookup whose answer was unsure (a slow database or AWS under load) goes on next pass.
        c.executor.pass().await.unwrap();
        c.executor.pass().await.unwrap();
        sb.set_faults(json!({})).await;
        let re = request(&e).await;
        assert_eq!(re["status"], "failed", "{label}: {re}");
        assert!(re["copy_job_id"].is_null(), "{label}: a copy made by hand was adopted: {re}");
        assert!(re["error"].as_str().unwrap().contains("unknown, check by hand: 2 copy jobs"), "{label}: {re}");

        // The residual case: F's StartCopyJob calls all come back 503 (nothing
        // started); ten minutes later one copy of the same point is made by hand, the
        // only candidate in F's window that no request holds. It was made while none of
        // F's calls was under way, so it is not F's: F fails instead of adopting it.
        let f = copy_filed_and_approved(&c, [&alice, &bob], &rp).await;
        sb.set_faults(json!({ "error_rate": 1.0, "operations": ["StartCopyJob"] })).await;
        c.executor.pass().await.unwrap();
        sb.set_faults(json!({})).await;
        sb.advance(10.0 * 60.0).await;
        let by_hand = copy_by_hand().await;
        sb.advance(45.0 * 60.0).await;
        c.executor.pass().await.unwrap();
        c.executor.pass().await.unwrap();
        let rf = request(&f).await;
        assert_eq!(rf["status"], "failed", "{label}: {rf}");
        assert!(rf["copy_job_id"].is_null(), "{label}: {by_hand} made by hand was adopted: {rf}");
        assert!(rf["error"].as_str().unwrap().contains("no copy job of this request was found"), "{label}: {rf}");
    }
}

/// Security review finding 18: a sync starts only after its audit record is written,
/// and a filed request whose webhook cannot be queued is still a 201 (it was committed).
#[tokio::test]
async fn a_sync_waits_for_its_audit_record_and_a_webhook_failure_does_not_fail_a_filed_request() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| {
            cfg.notifications.webhooks = vec![webhook_to("http://127.0.0.1:9/hook", &["request_pending"])];
        })
        .await;
        let (alice, bob) = (c.sign_in("alice").await, c.sign_in("bob").await);
        refuse_inserts(&db, "audit_log").await;
        let (s, body) = c.post_as(&alice, "/api/v1/sync", Value::Null).await;
        assert_eq!(s, 500, "{label}: {body}");
        assert!(c.syncer.progress().started_at.is_none(), "{label}: a sync started with no audit record");
        allow_inserts(&db, "audit_log").await;
        let (s, body) = c.post_as(&alice, "/api/v1/sync", Value::Null).await;
        assert_eq!(s, 202, "{label}: {body}");
        for _ in 0..200 {
            if !c.syncer.progress().running {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }

        let rp = tracking_point(&c, WORKLOAD_A).await;
        refuse_inserts(&db, "notifications").await;
        let (s, req) =
            c.post_as(&alice, "/api/v1/requests", restore_body(&rp, &format!("tracking-no-hook-{label}"))).await;
        assert_eq!(s, 201, "{label}: the request is filed even though its webhook could not be queued: {req}");
        allow_inserts(&db, "notifications").await;
        let (s, got) = c.get_as(&bob, &format!("/api/v1/requests/{}", req["id"].as_str().unwrap())).await;
        assert_eq!((s, got["status"].as_str()), (200, Some("pending_approval")), "{label}");
    }
}

/// Security review finding 22: a request names only the backup role of the account its
/// job runs in (or one of requests.allowed_role_arns there), and only KMS keys of the
/// restore account; anything else is a 400 naming the field.
#[tokio::test]
async fn requests_name_only_allowed_roles_and_keys_of_the_restore_account() {
    let sb = spawn(0, 0.0).await;
    let extra = format!("arn:aws:iam::{WORKLOAD_A}:role/RestoreWithTags");
    for db in databases().await {
        let label = db.label;
        let extra = extra.clone();
        let c = console(&sb, &db, |cfg| cfg.requests.allowed_role_arns = vec![extra]).await;
        c.syncer.run().await.unwrap();
        let alice = c.sign_in("alice").await;
        let rp = tracking_point(&c, WORKLOAD_A).await;
        let file = |role: Option<String>, key: Option<&str>| {
            let (c, alice) = (&c, alice.clone());
            let mut body = restore_body(&rp, &format!("tracking-roles-{label}"));
            if let Some(role) = role {
                body["iam_role_arn"] = json!(role);
            }
            if let Some(key) = key {
                body["metadata"]["encryptionType"] = json!("KMS");
                body["metadata"]["kmsMasterKeyArn"] = json!(key);
            }
            async move { c.post_as(&alice, "/api/v1/requests", body).await }
        };
        let refused = |answer: (u16, Value), field: &str| {
            assert_eq!(answer.0, 400, "{label}: {}", answer.1);
            let message = answer.1["error"]["message"].as_str().unwrap().to_string();
            assert!(message.starts_with(field), "{label}: {message}");
        };
        // Another account's role, and a role of the account that is not its backup role.
        refused(file(Some("arn:aws:iam::999999999999:role/Anything".into()), None).await, "iam_role_arn");
        refused(file(Some(format!("arn:aws:iam::{WORKLOAD_A}:role/Admin")), None).await, "iam_role_arn");
        // Another account's KMS key for the new table.
        refused(
            file(None, Some("arn:aws:kms:ap-southeast-2:999999999999:key/1234abcd")).await,
            "metadata.kmsMasterKeyArn",
        );
        // The backup role, a listed role, and a key of the restore account are fine.
        let backup = format!("arn:aws:iam::{WORKLOAD_A}:role/service-role/AWSBackupDefaultServiceRole");
        assert_eq!(file(Some(backup), None).await.0, 201, "{label}");
        assert_eq!(file(Some(format!("arn:aws:iam::{WORKLOAD_A}:role/RestoreWithTags")), None).await.0, 201, "{label}");
        let key = format!("arn:aws:kms:ap-southeast-2:{WORKLOAD_A}:key/11111111-2222-3333-4444-555555555555");
        assert_eq!(file(None, Some(&key)).await.0, 201, "{label}");
    }
}

/// Security review INFO "NUL bytes on PostgreSQL": a NUL in any text of a JSON body is
/// a 400 naming the field on both engines (SQLite stored it, PostgreSQL answered 500).
#[tokio::test]
async fn a_nul_character_is_refused_naming_the_field_on_both_engines() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let (c, [alice, bob], rp) = synced_console(&sb, &db).await;
        let refused = |answer: (u16, Value), field: &str| {
            assert_eq!(answer.0, 400, "{label}: {}", answer.1);
            let message = answer.1["error"]["message"].as_str().unwrap().to_string();
            assert!(message.starts_with(&format!("{field}: contains a NUL")), "{label}: {message}");
        };
        // In a query parameter or the path too (schemathesis found 500s on PostgreSQL).
        refused(c.get_as(&alice, "/api/v1/copy-jobs?vault=a%00b").await, "vault");
        refused(c.get_as(&alice, "/api/v1/runbooks/markdown?resource_arn=x%00&scenario=x").await, "resource_arn");
        refused(c.get_as(&alice, "/api/v1/requests/r%00x").await, "path");
        let mut body = restore_body(&rp, &format!("tracking-nul-{label}"));
        body["justification"] = json!("restore drill\u{0}for the tracking table");
        refused(c.post_as(&alice, "/api/v1/requests", body).await, "justification");
        let mut body = restore_body(&rp, &format!("tracking-nul-{label}"));
        body["metadata"]["targetTableName"] = json!("tracking\u{0}x");
        refused(c.post_as(&alice, "/api/v1/requests", body).await, "metadata.targetTableName");

        let (s, req) = c.post_as(&alice, "/api/v1/requests", restore_body(&rp, &format!("tracking-nul-{label}"))).await;
        assert_eq!(s, 201, "{req}");
        let id = req["id"].as_str().unwrap();
        refused(
            c.post_as(&bob, &format!("/api/v1/requests/{id}/reject"), json!({"reason": "no\u{0}pe"})).await,
            "reason",
        );
        let notes = json!({"resource_arn": TRACKING, "scenario": "dynamodb_restore", "notes": "step\u{0}one"});
        refused(c.send_as(reqwest::Method::PUT, &alice, "/api/v1/runbooks/notes", notes).await, "notes");
        let (_, r) = c.get_as(&bob, &format!("/api/v1/requests/{id}")).await;
        assert_eq!(r["status"], "pending_approval", "{label}: nothing changed");
    }
}

/// Security review INFO "Approvals do not lapse": an approved request whose job has
/// not started within requests.approval_valid_hours fails instead of running days
/// later, and one whose pre-flight no longer holds (its target name taken since) fails
/// before any Start.
#[tokio::test]
async fn a_stale_approval_or_a_changed_preflight_starts_nothing() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        sb.set_faults(json!({})).await;
        let c = console(&sb, &db, |cfg| cfg.requests.approval_valid_hours = 2).await;
        c.syncer.run().await.unwrap();
        let (alice, bob) = (c.sign_in("alice").await, c.sign_in("bob").await);
        let rp = tracking_point(&c, WORKLOAD_A).await;
        let before = restore_jobs_of(&sb, WORKLOAD_A, &rp).await;

        // Approved, then the executor does not get to it for three hours.
        let late = filed_and_approved(&c, [&alice, &bob], &rp, format!("tracking-late-{label}")).await;
        sb.advance(3.0 * 3600.0).await;
        c.executor.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{late}")).await;
        assert_eq!(r["status"], "failed", "{label}: {r}");
        assert!(r["error"].as_str().unwrap().contains("lapsed"), "{label}: {r}");
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, &rp).await, before, "{label}: nothing started");

        // Approved; meanwhile somebody restored into the same table name by hand.
        let table = format!("tracking-taken-{label}");
        let taken = filed_and_approved(&c, [&alice, &bob], &rp, table.clone()).await;
        let op = sb.operator(WORKLOAD_A).await;
        op.start_restore_job()
            .recovery_point_arn(&rp)
            .set_metadata(Some(dynamo_metadata(&table)))
            .iam_role_arn(format!("arn:aws:iam::{WORKLOAD_A}:role/service-role/AWSBackupDefaultServiceRole"))
            .resource_type("DynamoDB")
            .send()
            .await
            .unwrap();
        // AWS names the created resource once the job completes; the next sync reads it.
        sb.advance(40.0 * 60.0).await;
        c.syncer.run().await.unwrap();
        c.executor.pass().await.unwrap();
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{taken}")).await;
        assert_eq!(r["status"], "failed", "{label}: {r}");
        let error = r["error"].as_str().unwrap();
        assert!(error.contains("pre-flight changed since approval: target name free"), "{label}: {error}");
        assert!(r["restore_job_id"].is_null(), "{label}: {r}");
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, &rp).await, before + 1, "{label}: only the restore by hand");
    }
}

/// Two executors (two console processes, or two instances in one) over one database
/// pass at the same moment over the same approved request: one job is started.
#[tokio::test]
async fn two_executors_at_once_start_one_job() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let (c, [alice, bob], rp) = synced_console(&sb, &db).await;
        let before = restore_jobs_of(&sb, WORKLOAD_A, &rp).await;
        let id = filed_and_approved(&c, [&alice, &bob], &rp, format!("tracking-twice-{label}")).await;
        let clock = || {
            let clock = Arc::clone(&sb.sandbox);
            Arc::new(move || clock.now())
        };
        let mut executors = Vec::new();
        for _ in 0..2 {
            let store = recovery_console::store::Store::connect(&db.url, 2).await.unwrap();
            executors.push(Executor::new(store, Arc::clone(&c.syncer), clock()));
        }
        // The first pass stores the token and its Start is lost (a 5xx): then both
        // executors find the token without a job and send Start with it at once.
        sb.set_faults(json!({"error_rate": 1.0, "operations": ["StartRestoreJob"]})).await;
        executors[0].pass().await.unwrap();
        sb.set_faults(json!({})).await;
        let (x, y) = tokio::join!(executors[0].pass(), executors[1].pass());
        x.unwrap();
        y.unwrap();
        let (x, y) = tokio::join!(executors[0].pass(), executors[1].pass());
        x.unwrap();
        y.unwrap();
        assert_eq!(restore_jobs_of(&sb, WORKLOAD_A, &rp).await, before + 1, "{label}: one job");
        let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{id}")).await;
        assert!(r["restore_job_id"].is_string(), "{label}: {r}");
        let count = |action: &str| actions(&r).iter().filter(|a| *a == action).count();
        assert_eq!(count("aws.restore_job_started"), 1, "{label}: {:?}", actions(&r));
        assert_eq!(count("aws.restore_job_state"), 1, "{label}: each state once: {:?}", actions(&r));
    }
}

/// The pre-flight check named `name` of a filed request.
fn preflight_check(req: &Value, name: &str) -> Value {
    named_check(&req["preflight"], name)
}

/// A copy that fails for want of a prerequisite: pre-flight said so, the job failed.
fn refused(req: &Value, done: &Value, check: &str, expected: (&str, &str)) {
    let c = preflight_check(req, check);
    assert_eq!(c["ok"], false, "{c}");
    assert!(c["detail"].as_str().unwrap().contains(expected.0), "{c}");
    assert_eq!(done["status"], "failed", "{done}");
    assert!(done["error"].as_str().unwrap().contains(expected.1), "{done}");
}

/// Files a copy into the central vault, approves it and runs it to its end.
async fn copy_to_central(sb: &TestSandbox, c: &TestConsole, tokens: (&str, &str), rp: &str) -> (Value, Value) {
    copy_to(sb, c, tokens, rp, "arn:aws:backup:ap-southeast-2:222222222222:backup-vault:central-vault").await
}

/// Files a copy into `vault`, approves it and runs it to its end.
async fn copy_to(sb: &TestSandbox, c: &TestConsole, tokens: (&str, &str), rp: &str, vault: &str) -> (Value, Value) {
    let body = json!({
        "kind": "copy",
        "recovery_point_arn": rp,
        "destination_vault_arn": vault,
        "justification": "keep a copy in another account",
    });
    let (s, req) = c.post_as(tokens.0, "/api/v1/requests", body).await;
    assert_eq!(s, 201, "{req}");
    let id = req["id"].as_str().unwrap();
    let (s, _) = c
        .post_as(tokens.1, &format!("/api/v1/requests/{id}/approve"), json!({"params_hash": req["params_hash"]}))
        .await;
    assert_eq!(s, 200);
    (req.clone(), run_to_end(sb, c, tokens.0, id).await)
}

/// Review item 5: what a cross-account copy needs is checked before anyone approves,
/// and the sandbox fails the copy job the way AWS does when it is missing (AWS Backup
/// Developer Guide, "Creating backup copies across AWS accounts": the organization's
/// cross-account backup setting; RDS and EBS backups keep their source key, which
/// must be customer managed and shared with the destination account).
#[tokio::test]
async fn cross_account_copy_prerequisites_are_checked_before_approval() {
    // The fifth generated account's RDS instance uses aws/rds, its EBS volume a key
    // shared with no other account (sandbox/src/generate.rs); all three in its first
    // Region, ap-southeast-2, the central vault's.
    let sb = spawn(6, 0.0).await;
    const FIFTH: &str = "400000000005";
    let hub = aws_sdk_backup::Client::new(&sb.hub().await);
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let tokens = (c.sign_in("alice").await, c.sign_in("erin").await);
        let tokens = (tokens.0.as_str(), tokens.1.as_str());
        let points = c.all(format!("/api/v1/recovery-points?account_id={FIFTH}&limit=200")).await;
        let of_type = |t: &str| {
            points
                .iter()
                .find(|p| {
                    p["resource_type"] == t
                        && p["region"] == "ap-southeast-2"
                        && shared::recovery_point_usable(p["status"].as_str().unwrap())
                })
                .map(|p| p["recovery_point_arn"].as_str().unwrap().to_string())
        };

        let (req, done) = copy_to_central(&sb, &c, tokens, &of_type("RDS").unwrap()).await;
        refused(&req, &done, "encryption keys", ("AWS managed key", "AWS managed key"));
        let (req, done) = copy_to_central(&sb, &c, tokens, &of_type("EBS").unwrap()).await;
        refused(&req, &done, "encryption keys", ("does not admit account 222222222222", "key policy"));
        // The fifth account backs its tables up without advanced DynamoDB backup: the
        // recovery points are DynamoDB's own (Developer Guide, "Advanced DynamoDB
        // backup"), which StartCopyJob does not take to another account.
        let table = of_type("DynamoDB").unwrap();
        assert!(table.starts_with("arn:aws:dynamodb:") && table.contains("/backup/"), "{label}: {table}");
        let (req, done) = copy_to_central(&sb, &c, tokens, &table).await;
        refused(
            &req,
            &done,
            "recovery point can be copied",
            ("without advanced backup", "without advanced DynamoDB backup"),
        );
        // workload_a's bucket has continuous and periodic recovery points; StartCopyJob
        // "does not support continuous backups" (Backup model), the periodic ones copy.
        let bucket = c.all(format!("/api/v1/recovery-points?account_id={WORKLOAD_A}&resource_type=S3&limit=200")).await;
        let continuous: Vec<&str> = bucket
            .iter()
            .map(|p| p["recovery_point_arn"].as_str().unwrap())
            .filter(|a| a.contains(":recovery-point:continuous:rc-demo-workload-a-assets-"))
            .collect();
        assert_eq!(continuous.len(), 1, "{label}: {bucket:?}");
        assert!(bucket.len() > 30, "{label}: daily periodic points besides");
        let (req, done) = copy_to_central(&sb, &c, tokens, continuous[0]).await;
        refused(&req, &done, "recovery point can be copied", ("continuous", "does not support continuous backups"));

        // The organization's cross-account backup turned off in the management account.
        let off = [("isCrossAccountBackupEnabled".to_string(), "false".to_string())].into();
        hub.update_global_settings().set_global_settings(Some(off)).send().await.unwrap();
        let (req, done) = copy_to_central(&sb, &c, tokens, &tracking_point(&c, WORKLOAD_A).await).await;
        refused(
            &req,
            &done,
            "cross-account backup enabled",
            ("isCrossAccountBackupEnabled is false", "Cross-account backup is not enabled"),
        );
        let keys = preflight_check(&req, "encryption keys");
        assert_eq!(keys["ok"], true, "{label}: DynamoDB with advanced backup takes the vault's key: {keys}");
        let on = [("isCrossAccountBackupEnabled".to_string(), "true".to_string())].into();
        hub.update_global_settings().set_global_settings(Some(on)).send().await.unwrap();

        // With every prerequisite met the checks pass and the copy lands.
        let (req, done) = copy_to_central(&sb, &c, tokens, &tracking_point(&c, WORKLOAD_A).await).await;
        for name in ["recovery point can be copied", "cross-account backup enabled", "encryption keys"] {
            assert_eq!(preflight_check(&req, name)["ok"], true, "{label}: {name}: {req}");
        }
        assert_eq!(done["status"], "succeeded", "{label}: {done}");
    }
}

/// Review item 4: an RDS restore starts from the recovery point's own restore
/// metadata (GetRecoveryPointRestoreMetadata, read live; the Backup API reference
/// tells callers to start from it), takes reviewed overrides, and the merged metadata
/// is what approvers approve. workload_a has no default VPC, so the instance's DB
/// subnet group must be in the restore (sandbox: RDS RestoreDBInstanceFromDBSnapshot).
#[tokio::test]
async fn an_rds_restore_starts_from_the_recovery_points_metadata() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let (alice, erin) = (c.sign_in("alice").await, c.sign_in("erin").await);
        let mydb = "arn:aws:rds:ap-southeast-2:111111111111:db:mydb";
        // RDS recovery points are AVAILABLE (the model's success state), as the sandbox has them.
        let rps = c.all(format!("/api/v1/recovery-points?account_id={WORKLOAD_A}&resource_arn={mydb}&limit=20")).await;
        let usable = rps.iter().find(|p| shared::recovery_point_usable(p["status"].as_str().unwrap())).unwrap();
        let rp = usable["recovery_point_arn"].as_str().unwrap().to_string();
        let file = |metadata: Value| {
            let body = json!({
                "kind": "restore",
                "recovery_point_arn": rp,
                "metadata": metadata,
                "justification": "restore mydb beside the original",
            });
            let (c, alice, erin) = (&c, alice.clone(), erin.clone());
            async move {
                let (s, req) = c.post_as(&alice, "/api/v1/requests", body).await;
                assert_eq!(s, 201, "{req}");
                let id = req["id"].as_str().unwrap().to_string();
                let (s, _) = c
                    .post_as(
                        &erin,
                        &format!("/api/v1/requests/{id}/approve"),
                        json!({"params_hash": req["params_hash"]}),
                    )
                    .await;
                assert_eq!(s, 200);
                (req, id)
            }
        };
        let name = format!("mydb-restored-{label}");
        let (req, id) = file(json!({ "dbInstanceIdentifier": name, "multiaz": "true" })).await;
        let m = &req["params"]["metadata"];
        assert_eq!(m["dbSubnetGroupName"], "workload-a-db", "{label}: from the recovery point: {m}");
        assert_eq!(m["engine"], "postgres", "{m}");
        assert_eq!(m["dbInstanceIdentifier"], name.as_str());
        assert_eq!(m["MultiAZ"], "true", "a reviewed override, spelled as the console lists it: {m}");
        assert!(m.get("multiAZ").is_none(), "the override replaces the recovery point's key: {m}");
        let done = run_to_end(&sb, &c, &alice, &id).await;
        assert_eq!(done["status"], "succeeded", "{label}: {done}");
        assert_eq!(done["created_resource_arn"], format!("arn:aws:rds:ap-southeast-2:111111111111:db:{name}"));

        // An override naming a subnet group the account lacks fails as RDS fails it.
        let (_, id) = file(json!({ "dbInstanceIdentifier": format!("{name}-x"), "DBSubnetGroupName": "nope" })).await;
        let done = run_to_end(&sb, &c, &alice, &id).await;
        assert_eq!(done["status"], "failed", "{label}: {done}");
        assert!(done["error"].as_str().unwrap().contains("DBSubnetGroupNotFoundFault"), "{done}");
        // Keys the console does not review are refused with a clear 400.
        let body = json!({"kind": "restore", "recovery_point_arn": rp, "justification": "restore mydb elsewhere",
            "metadata": {"dbInstanceIdentifier": "mydb-e", "engine": "mysql"}});
        let (s, e) = c.post_as(&alice, "/api/v1/requests", body).await;
        assert_eq!(s, 400, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("metadata.engine"), "{e}");
    }
}

/// A copy into a vault of an account outside the organization (partner-vault, whose
/// policy lets anyone copy in): pre-flight says so before approval, and AWS starts the
/// copy job and fails it (re:Post knowledge center, backup-troubleshoot-cross-account-copy:
/// "Copy job failed. Both source and destination account must be a member of the same
/// organization"), so the request fails with the job's StatusMessage.
#[tokio::test]
async fn a_copy_outside_the_organization_fails_with_the_copy_jobs_message() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        // The partner account is registered with the console (its roles trust the hub).
        let c = console(&sb, &db, |cfg| {
            let mut partner = cfg.accounts.iter().find(|a| a.id == WORKLOAD_A).unwrap().clone();
            let outside = |arn: &String| arn.replace(WORKLOAD_A, OUTSIDER);
            partner.id = OUTSIDER.into();
            partner.name = "partner".into();
            partner.role_arn = outside(&partner.role_arn);
            partner.operator_role_arn = partner.operator_role_arn.as_ref().map(outside);
            partner.validator_role_arn = partner.validator_role_arn.as_ref().map(outside);
            partner.backup_role_arn = partner.backup_role_arn.as_ref().map(outside);
            cfg.accounts.push(partner);
        })
        .await;
        c.syncer.run().await.unwrap();
        let tokens = (c.sign_in("alice").await, c.sign_in("erin").await);
        let rp = tracking_point(&c, WORKLOAD_A).await;
        let partner = format!("arn:aws:backup:ap-southeast-2:{OUTSIDER}:backup-vault:partner-vault");
        let (req, done) = copy_to(&sb, &c, (&tokens.0, &tokens.1), &rp, &partner).await;
        let message = "Both source and destination account must be a member of the same organization";
        refused(&req, &done, "accounts in the organization", (OUTSIDER, message));
        assert!(done["error"].as_str().unwrap().contains("ended FAILED"), "{}: {done}", db.label);
    }
}

/// `requests.account_approvers` applies to every account a request touches (security
/// review, finding 1): a restore of workload_a's data from its copy in the central
/// vault, or a restore from there into workload_a, needs workload_a's approvers, not
/// only the central account's (which has no list).
#[tokio::test]
async fn account_approvers_apply_to_every_account_a_request_touches() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| {
            cfg.requests.account_approvers.insert(WORKLOAD_A.into(), vec!["bob".into()]);
        })
        .await;
        c.syncer.run().await.unwrap();
        let (alice, bob, erin) = (c.sign_in("alice").await, c.sign_in("bob").await, c.sign_in("erin").await);
        let central = tracking_point(&c, BACKUP).await;
        let cases = [
            ("in workload_a", restore_body(&tracking_point(&c, WORKLOAD_A).await, &format!("t-own-{label}"))),
            (
                "from the central copy into workload_a",
                json!({
                    "kind": "cross_account_restore",
                    "recovery_point_arn": central,
                    "destination_vault_arn": RECOVERY_VAULT,
                    "metadata": { "targetTableName": format!("t-into-{label}") },
                    "justification": "recover tracking from the central vault",
                }),
            ),
            ("of workload_a's data in the central account", restore_body(&central, &format!("t-out-{label}"))),
        ];
        for (case, body) in cases {
            let (s, req) = c.post_as(&alice, "/api/v1/requests", body).await;
            assert_eq!(s, 201, "{label} {case}: {req}");
            let id = req["id"].as_str().unwrap();
            let hash = json!({"params_hash": req["params_hash"]});
            let (s, refused) = c.post_as(&erin, &format!("/api/v1/requests/{id}/approve"), hash.clone()).await;
            assert_eq!(s, 403, "{label} {case}: erin is not on workload_a's list: {refused}");
            assert!(refused["error"]["message"].as_str().unwrap().contains(WORKLOAD_A), "{refused}");
            let (s, approved) = c.post_as(&bob, &format!("/api/v1/requests/{id}/approve"), hash).await;
            assert_eq!((s, approved["status"].as_str()), (200, Some("approved")), "{label} {case}: {approved}");
        }
    }
}
