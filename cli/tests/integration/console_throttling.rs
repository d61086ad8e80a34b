//! The console against a sandbox that throttles as AWS does (per account, Region and
//! operation): in the SDK's adaptive retry mode it slows each (account, region) down
//! and every account syncs; it reports the throttled calls per (account, region) in the
//! API's sync status and in /metrics. In the standard mode (backoff per call only), the
//! same sync loses accounts: the test can fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use recovery_console::config::RetryMode;
use serde_json::json;

use crate::common::*;
use crate::console::*;

/// Low rates, so that a quick sync meets them: every Backup operation 4 calls a second
/// per (account, Region), a burst of 2.
async fn throttle_like_aws(sb: &TestSandbox) {
    let rates = json!({ "backup": true, "backup_rate": { "per_second": 4.0, "burst": 2.0 } });
    let (status, body) = sb.admin(reqwest::Method::PUT, "/_sandbox/throttle", Some(rates)).await;
    assert_eq!(status, 200, "{body}");
}

fn denied(r: &recovery_console::sync::TargetReport) -> bool {
    r.error_code.as_deref() == Some("AccessDenied")
}

#[tokio::test]
async fn adaptive_retries_sync_every_account_under_aws_rates_and_report_the_throttling() {
    let sb = spawn(4, 0.0).await;
    let dbs = databases().await;
    for db in &dbs {
        throttle_like_aws(&sb).await;
        // The console's default attempts (aws.max_attempts, 6; the test consoles make
        // it 2): the first throttles of a target come before the adaptive rate has
        // settled, and with eight calls of a target in flight (vaults and describes in
        // parallel) two attempts were not enough (the test failed in full runs).
        let c = console(&sb, db, |cfg| {
            cfg.aws.retry_mode = RetryMode::Adaptive;
            cfg.aws.max_attempts = recovery_console::config::Config::default().aws.max_attempts;
            cfg.sync.page_size = Some(100);
            cfg.metrics_token = Some(recovery_console::config::Secret::new("scrape"));
        })
        .await;
        let started = std::time::Instant::now();
        let reports = c.syncer.run().await.unwrap();
        // The generated world has an account without the console's role (AccessDenied).
        let failed: Vec<_> = reports.iter().filter(|r| r.status != "ok" && !denied(r)).collect();
        assert!(failed.is_empty(), "{}: {failed:?}", db.label);
        let throttled: u64 = reports.iter().map(|r| r.throttled_calls).sum();
        assert!(throttled > 0, "{}: the sandbox throttled nothing", db.label);
        println!("{}: {} targets, {throttled} throttled calls, {:?}", db.label, reports.len(), started.elapsed());

        // The API's sync status and /metrics carry each (account, region)'s count.
        let shown: i64 = c
            .all("/api/v1/accounts")
            .await
            .iter()
            .flat_map(|a| a["sync"].as_array().unwrap().iter())
            .map(|r| r["throttled_calls"].as_i64().unwrap())
            .sum();
        assert_eq!(shown as u64, throttled, "{}", db.label);
        let text =
            c.http.get(format!("{}/metrics", c.url)).bearer_auth("scrape").send().await.unwrap().text().await.unwrap();
        let scraped: i64 = text
            .lines()
            .filter(|l| l.starts_with("recovery_console_account_sync_throttled_calls{"))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<i64>().unwrap())
            .sum();
        assert_eq!(scraped as u64, throttled, "{}", db.label);
    }

    // The same first sync (into a fresh database: a later sync, incremental, calls too
    // little to meet the rates) with backoff per call only, two attempts a call: calls
    // run out of attempts (the sandbox really throttles, and a console that does not
    // adapt fails).
    throttle_like_aws(&sb).await;
    let fresh = databases().await;
    let c = console(&sb, &fresh[0], |cfg| {
        cfg.aws.retry_mode = RetryMode::Standard;
        cfg.aws.max_attempts = 2;
        cfg.sync.page_size = Some(100);
    })
    .await;
    let started = std::time::Instant::now();
    let reports = c.syncer.run().await.unwrap();
    let failed: Vec<_> = reports.iter().filter(|r| r.status != "ok" && !denied(r)).collect();
    println!(
        "standard retries: {} of {} targets failed in {:?}: {failed:?}",
        failed.len(),
        reports.len(),
        started.elapsed()
    );
    assert!(!failed.is_empty(), "without adaptation no account failed: the test could not fail");
    assert!(failed.iter().any(|r| r.error_code.as_deref() == Some("ThrottlingException")), "{failed:?}");
}
