//! No write fails because another one is running: people save notes and targets,
//! file requests and approve them while a sync of generated accounts writes, on
//! SQLite and PostgreSQL, and not one answer is a 5xx.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;

const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";

/// Writes until `sync` ends (and at least `min_rounds` rounds); returns every
/// answer, and how many rounds began while the sync was still running.
async fn write_while_syncing(
    c: &TestConsole,
    rp: &str,
    sync: tokio::task::JoinHandle<()>,
    min_rounds: usize,
) -> (Vec<(String, u16, Value)>, usize) {
    let (alice, bob, erin) = (c.sign_in("alice").await, c.sign_in("bob").await, c.sign_in("erin").await);
    let mut answers = Vec::new();
    let (mut round, mut during) = (0, 0);
    while !sync.is_finished() || round < min_rounds {
        if !sync.is_finished() {
            during += 1;
        }
        let notes =
            json!({"scenario": "dynamodb_restore", "resource_arn": TRACKING, "notes": format!("round {round}")});
        let (s, b) = c.send_as(Method::PUT, &alice, "/api/v1/runbooks/notes", notes).await;
        answers.push(("notes".to_string(), s, b));
        let target = json!({"scope_kind": "resource", "scope": TRACKING, "rpo_hours": 24 + round, "rto_minutes": 600});
        let (s, b) = c.send_as(Method::PUT, &erin, "/api/v1/assurance/targets", target).await;
        answers.push(("target".to_string(), s, b));
        let request = json!({
            "kind": "restore",
            "recovery_point_arn": rp,
            "metadata": {"targetTableName": format!("tracking-busy-{round}"), "encryptionType": "Default"},
            "justification": "restore while the sync writes",
            "ticket": "OPS-7",
        });
        let (s, req) = c.post_as(&alice, "/api/v1/requests", request).await;
        answers.push(("request".to_string(), s, req.clone()));
        if let (Some(id), Some(hash)) = (req["id"].as_str(), req["params_hash"].as_str()) {
            let (s, b) = c.post_as(&bob, &format!("/api/v1/requests/{id}/approve"), json!({"params_hash": hash})).await;
            answers.push(("approval".to_string(), s, b));
        }
        round += 1;
    }
    sync.await.unwrap();
    (answers, during)
}

#[tokio::test]
async fn writes_during_a_sync_wait_for_it_and_never_fail() {
    let sb = spawn(12, 0.0).await;
    for db in databases().await {
        let label = db.label;
        // Every sync is full here, so that the second one rewrites every row.
        let c = console(&sb, &db, |cfg| {
            cfg.sync.page_size = Some(50);
            cfg.sync.full_every_hours = 0;
        })
        .await;
        c.syncer.run().await.unwrap();
        let rps = c
            .all(format!(
                "/api/v1/recovery-points?account_id={WORKLOAD_A}&resource_arn={TRACKING}&status=COMPLETED&limit=1"
            ))
            .await;
        let rp = rps[0]["recovery_point_arn"].as_str().unwrap().to_string();
        // The next (full) sync upserts every row of every account again: thousands of writes.
        let syncer = std::sync::Arc::clone(&c.syncer);
        let sync = tokio::spawn(async move {
            syncer.run().await.unwrap();
        });
        let (answers, during) = write_while_syncing(&c, &rp, sync, 5).await;
        assert!(during >= 3, "{label}: the sync ended before the writes met it ({during} rounds during it)");
        let failed: Vec<_> = answers.iter().filter(|(_, s, _)| *s >= 500).collect();
        assert!(failed.is_empty(), "{label}: {} of {} writes failed: {failed:?}", failed.len(), answers.len());
        for kind in ["notes", "target", "request", "approval"] {
            let ok = answers.iter().filter(|(k, s, _)| k == kind && (200..300).contains(s)).count();
            assert!(ok >= 5, "{label}: only {ok} {kind} writes succeeded: {answers:?}");
        }
        let (_, verify) = c.get_as(&c.sign_in("carol").await, "/api/v1/audit/verify").await;
        assert_eq!(verify["valid"], true, "{label}: {verify}");
    }
}

/// Security review finding 21: `/auth/login` needs no sign-in, so the logins it keeps
/// under way are capped; past the cap a login is refused, not stored.
#[tokio::test]
async fn logins_under_way_are_capped() {
    for db in databases().await {
        let label = db.label;
        let store = recovery_console::store::Store::connect(&db.url, 2).await.unwrap();
        store.migrate().await.unwrap();
        let login = |at: i64| recovery_console::store::LoginRow {
            verifier: "v".into(),
            nonce: "n".into(),
            return_to: "/".into(),
            created_at: at,
        };
        for i in 0..3 {
            assert!(store.save_login(&format!("state-{i}"), &login(1_000), 3).await.unwrap(), "{label}");
        }
        assert!(!store.save_login("state-3", &login(1_000), 3).await.unwrap(), "{label}: past the cap");
        assert!(store.take_login("state-3").await.unwrap().is_none(), "{label}: the refused login was not stored");
        // Pruned logins make room again.
        store.prune_sign_ins(700_000, 2_000).await.unwrap();
        assert!(store.save_login("state-4", &login(700_000), 3).await.unwrap(), "{label}");
        assert!(store.take_login("state-4").await.unwrap().is_some(), "{label}");
    }
}

/// When PostgreSQL drops every connection of the console (a restart, a failover, a
/// proxy's idle timeout), the next query is still answered, on a new connection: the
/// pool checks a connection before it hands it out (sqlx's `test_before_acquire`).
/// With no check, tried in session 19, this test failed on the dead connection.
#[tokio::test]
async fn connections_the_server_dropped_are_replaced() {
    use sqlx::Executor;
    let dbs = databases().await;
    let pg = dbs.iter().find(|d| d.label == "postgres").unwrap();
    let store = recovery_console::store::Store::connect(&pg.url, 3).await.unwrap();
    store.migrate().await.unwrap();
    let (a, b, c) = tokio::join!(store.ping(), store.ping(), store.ping());
    for answer in [a, b, c] {
        answer.unwrap();
    }

    let admin = sqlx::AnyPool::connect(&std::env::var("TEST_POSTGRES_URL").unwrap()).await.unwrap();
    let name = pg.url.expose().rsplit('/').next().unwrap().to_string();
    let ended = admin
        .fetch_all(format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'").as_str())
        .await
        .unwrap();
    assert!(!ended.is_empty(), "the store held no connection to {name}");
    admin.close().await;

    for _ in 0..3 {
        store.ping().await.expect("a query with every pooled connection dropped by the server");
    }
}
