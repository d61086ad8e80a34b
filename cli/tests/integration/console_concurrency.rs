//! The concurrency suite: twenty approvers deciding one request at once (one approval
//! needed, then two), and twenty writers appending to the audit log at once. Each
//! decision slot has one winner, nothing is decided twice, and the hash chain neither
//! forks nor skips. SQLite and PostgreSQL; each part prints its counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;
use crate::console_requests::{restore_body, tracking_point};

const WRITERS: usize = 20;

/// Twenty people holding the approver role, each with a session token of their own.
async fn approvers(c: &TestConsole) -> Vec<String> {
    let now = recovery_console::time::now_ms();
    let mut tokens = Vec::new();
    for i in 0..WRITERS {
        let subject = format!("approver-{i:02}");
        let roles = vec!["viewer".to_string(), "approver".to_string()];
        let (token, _) =
            recovery_console::auth::start_session(&c.store, &c.state.auth, &subject, &subject, roles, "test", now)
                .await
                .unwrap();
        tokens.push(token);
    }
    tokens
}

async fn verify(c: &TestConsole, auditor: &str) -> Value {
    c.get_as(auditor, "/api/v1/audit/verify").await.1
}

#[tokio::test]
async fn twenty_approvers_at_once_fill_each_approval_once_and_the_chain_does_not_fork() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        for needed in [1_usize, 2] {
            let c = Arc::new(console(&sb, &db, |cfg| cfg.requests.approvals_needed = needed as i64).await);
            c.syncer.run().await.unwrap();
            let (alice, carol) = (c.sign_in("alice").await, c.sign_in("carol").await);
            let tokens = approvers(&c).await;
            let rp = tracking_point(&c, WORKLOAD_A).await;
            let (status, req) =
                c.post_as(&alice, "/api/v1/requests", restore_body(&rp, &format!("race-{needed}"))).await;
            assert_eq!(status, 201, "{label}: {req}");
            let id = req["id"].as_str().unwrap().to_string();
            let hash = req["params_hash"].clone();
            let before = verify(&c, &carol).await["entries"].as_i64().unwrap();

            // All twenty approve at once; with one approval needed, half of them reject instead.
            let calls = tokens.iter().enumerate().map(|(i, token)| {
                let (c, token, id, hash) = (Arc::clone(&c), token.clone(), id.clone(), hash.clone());
                let (verb, body) = if needed == 1 && i % 2 == 1 {
                    ("reject", json!({"reason": "a concurrent rejection"}))
                } else {
                    ("approve", json!({"params_hash": hash}))
                };
                tokio::spawn(async move { c.post_as(&token, &format!("/api/v1/requests/{id}/{verb}"), body).await })
            });
            let results: Vec<(u16, Value)> =
                futures_util::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
            let wins = results.iter().filter(|r| r.0 == 200).count();
            let conflicts = results.iter().filter(|r| r.0 == 409).count();
            assert_eq!(wins, needed, "{label}, {needed} needed: {results:?}");
            assert_eq!(wins + conflicts, WRITERS, "{label}: only wins and conflicts: {results:?}");

            let (_, r) = c.get_as(&alice, &format!("/api/v1/requests/{id}")).await;
            let decisions = r["decisions"].as_array().unwrap();
            assert_eq!(decisions.len(), needed, "{label}: {r}");
            let mut deciders: Vec<&str> = decisions.iter().map(|d| d["approver"].as_str().unwrap_or("?")).collect();
            deciders.sort_unstable();
            deciders.dedup();
            assert_eq!(deciders.len(), needed, "{label}: one decision per person: {r}");
            assert!(["approved", "rejected"].contains(&r["status"].as_str().unwrap()), "{label}: {r}");

            let v = verify(&c, &carol).await;
            assert_eq!(v["valid"], true, "{label}: {v}");
            // One record per decision, and the console's `request.approved` when the approvals are in.
            let records = wins as i64 + i64::from(r["status"] == "approved");
            assert_eq!(v["entries"].as_i64().unwrap(), before + records, "{label}: {v}");
            println!(
                "concurrent decisions ({label}, {needed} needed): {WRITERS} requests made, {conflicts} refused, {wins} decided, 0 failures; the chain verifies ({} records)",
                v["entries"]
            );
        }
    }
}

#[tokio::test]
async fn twenty_writers_append_to_the_audit_log_at_once_and_the_chain_holds() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = Arc::new(console(&sb, &db, |_| {}).await);
        let carol = c.sign_in("carol").await;
        let erin = c.sign_in("erin").await;
        let before = verify(&c, &carol).await["entries"].as_i64().unwrap();
        // Twenty audited writes of different kinds at once: sign-ins, revocations and sync starts.
        let calls = (0..WRITERS).map(|i| {
            let (c, erin) = (Arc::clone(&c), erin.clone());
            tokio::spawn(async move {
                match i % 3 {
                    0 => {
                        c.sign_in(["alice", "bob", "carol", "erin"][i % 4]).await;
                        (200, Value::Null)
                    }
                    1 => {
                        let path = format!("/api/v1/sessions?subject=nobody-{i}");
                        c.send_as(reqwest::Method::DELETE, &erin, &path, Value::Null).await
                    }
                    _ => c.post_as(&erin, "/api/v1/sync", Value::Null).await,
                }
            })
        });
        let results: Vec<(u16, Value)> =
            futures_util::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
        // A sync already running answers 409 and writes nothing; every other call wrote one record.
        let written = results.iter().filter(|r| r.0 == 200 || r.0 == 202).count() as i64;
        assert!(results.iter().all(|r| [200, 202, 409].contains(&r.0)), "{label}: {results:?}");
        assert!(written >= 14, "{label}: {results:?}");
        let v = verify(&c, &carol).await;
        assert_eq!((v["valid"].as_bool(), v["entries"].as_i64()), (Some(true), Some(before + written)), "{label}: {v}");
        println!(
            "concurrent audit writers ({label}): {WRITERS} requests made, {} refused, {written} records, 0 failures; the chain verifies",
            WRITERS as i64 - written
        );
    }
}
