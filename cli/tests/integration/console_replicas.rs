//! Console replicas that share one PostgreSQL share the sync: each (account, region)
//! is synced by the replica that holds its lease; a replica that dies mid-sync loses
//! only the targets it held, which the others take once the leases run out; and the
//! database ends as a single full sync leaves it. A background evidence pack one
//! replica made is served by the others.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use serde_json::json;

use crate::common::*;
use crate::console::*;
use crate::console_sync::everything;

/// The world's account without the console's role.
fn denied(r: &recovery_console::sync::TargetReport) -> bool {
    r.error_code.as_deref() == Some("AccessDenied")
}

#[tokio::test]
async fn three_replicas_share_the_sync_and_evidence_packs_and_take_over_a_dead_ones_targets() {
    let sb = spawn(6, 0.0).await;
    // Each call takes a while, so that a replica dies holding a target.
    sb.set_faults(json!({ "latency_ms": 15 })).await;
    let dbs = databases().await;
    let single = console(&sb, &dbs[0], |_| {}).await;
    let reference = single.syncer.run().await.unwrap();
    assert!(reference.iter().all(|r| r.status == "ok" || denied(r)), "{reference:?}");
    let expected = everything(&single).await;

    let postgres = dbs.iter().find(|d| d.label == "postgres").unwrap();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(
            console(&sb, postgres, |cfg| {
                cfg.sync.lease_secs = 3;
                cfg.sync.concurrency = 2;
            })
            .await,
        );
    }
    let runs: Vec<_> = replicas
        .iter()
        .map(|r| {
            let syncer = std::sync::Arc::clone(&r.syncer);
            tokio::spawn(async move { syncer.run().await })
        })
        .collect();
    // The third replica dies once it has synced a target and holds others.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while replicas[2].syncer.progress().done < 1 {
        assert!(std::time::Instant::now() < deadline, "the third replica synced nothing in 60 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    runs[2].abort();
    let died_after = replicas[2].syncer.progress().done as usize;
    let mut synced = Vec::new();
    for run in runs.into_iter().take(2) {
        let reports = run.await.unwrap().unwrap();
        assert!(!reports.is_empty(), "every live replica synced targets");
        synced.push(reports);
    }
    let survivors: Vec<_> = synced.iter().flatten().collect();
    assert!(survivors.iter().all(|r| r.status == "ok" || denied(r)), "{survivors:?}");
    // Every target synced once, but the ones the dead replica held when it died.
    assert!(
        survivors.len() + died_after >= reference.len() && survivors.len() < reference.len(),
        "{} synced by the survivors, {died_after} by the dead replica, {} targets",
        survivors.len(),
        reference.len()
    );
    let got = everything(&replicas[0]).await;
    for (list, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert!(!e.is_empty(), "list {list} is empty");
        assert_eq!(g, e, "list {list}");
    }
    // Every (account, region) was synced, by one replica or another.
    let accounts = replicas[1].all("/api/v1/accounts").await;
    let statuses: Vec<&str> =
        accounts.iter().flat_map(|a| a["sync"].as_array().unwrap()).map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.len(), reference.len());
    assert!(statuses.iter().all(|s| *s == "ok" || *s == "error"), "{statuses:?}");

    // A background evidence pack made by one replica: its progress and its archive
    // are served by the others.
    let carol = replicas[0].sign_in("carol").await;
    let (status, job) = replicas[0]
        .post_as(&carol, "/api/v1/evidence/jobs?from=2026-10-01&to=2026-11-27", serde_json::Value::Null)
        .await;
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let done = loop {
        let (status, done) = replicas[1].get_as(&carol, &format!("/api/v1/evidence/jobs/{id}")).await;
        assert_eq!(status, 200, "{done}");
        if done["status"] != "running" {
            break done;
        }
        assert!(std::time::Instant::now() < deadline, "the pack took over 120 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done["status"], "done", "{done}");
    let download = |c: &TestConsole| {
        c.http.get(format!("{}/api/v1/evidence/jobs/{id}/download", c.url)).bearer_auth(&carol).send()
    };
    let resp = download(&replicas[2]).await.unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, done["bytes"].as_i64().unwrap());
    assert!(bytes.starts_with(b"PK\x03\x04"), "a ZIP archive");
    let again = download(&replicas[0]).await.unwrap().bytes().await.unwrap();
    assert_eq!(again, bytes, "every replica serves the same archive");
}
