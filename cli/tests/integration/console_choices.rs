//! The web console at organization scale, on SQLite and on PostgreSQL: pages of
//! accounts (and of their summary) both ways by id with the total, and the
//! typeahead's choices by prefix, paged, through their indexes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

use crate::common::*;
use crate::console::*;

const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";

fn ids(items: &[Value], key: &str) -> Vec<String> {
    items.iter().map(|i| i[key].as_str().unwrap().to_string()).collect()
}

/// Every page of `path` (which takes `limit`), following `next_cursor`; the pages
/// read back with `before` from the last one are the same pages.
async fn both_ways(c: &TestConsole, path: &str, items_key: &str, id_key: &str) -> Vec<String> {
    let (mut pages, mut cursor) = (Vec::<Vec<String>>::new(), None::<String>);
    let mut prevs = Vec::new();
    loop {
        let url = match &cursor {
            Some(at) => format!("{path}&cursor={at}"),
            None => path.to_string(),
        };
        let (status, body) = c.get(&url).await;
        assert_eq!(status, 200, "{url}: {body}");
        pages.push(ids(body[items_key].as_array().unwrap(), id_key));
        prevs.push(body["prev_cursor"].as_str().map(str::to_string));
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(prevs[0], None, "{path}: the first page has none before it");
    // Backwards from the last page: each prev_cursor gives the page before.
    for i in (1..pages.len()).rev() {
        let before = prevs[i].clone().unwrap_or_else(|| panic!("{path}: page {i} has a page before it"));
        let (status, body) = c.get(&format!("{path}&before={before}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(ids(body[items_key].as_array().unwrap(), id_key), pages[i - 1], "{path}: page {}", i - 1);
        assert_eq!(body["prev_cursor"].is_string(), i > 1, "{path}: page {} has one before it", i - 1);
    }
    pages.concat()
}

#[tokio::test]
async fn accounts_page_both_ways_and_choices_narrow_by_prefix() {
    let sb = spawn(12, 0.0).await;
    for db in databases().await {
        let c = console(&sb, &db, |_| {}).await;
        c.syncer.run().await.unwrap();
        let label = db.label;

        // Accounts: small pages put together are the whole list, by id, with the total.
        let (_, first) = c.get("/api/v1/accounts?limit=1000").await;
        let all = ids(first["items"].as_array().unwrap(), "id");
        assert!(all.len() > 12, "{label}: {}", all.len());
        assert_eq!(first["total"], all.len() as i64, "{label}");
        assert!(all.windows(2).all(|w| w[0] < w[1]), "{label}: by id");
        assert_eq!(both_ways(&c, "/api/v1/accounts?limit=4", "items", "id").await, all, "{label}");
        let (_, page) = c.get("/api/v1/accounts?limit=4").await;
        assert_eq!(page["total"], all.len() as i64, "{label}: the total counts every page");
        let (_, one) = c.get(&format!("/api/v1/accounts?account_id={WORKLOAD_A}")).await;
        assert_eq!(ids(one["items"].as_array().unwrap(), "id"), [WORKLOAD_A], "{label}");
        assert_eq!(one["total"], 1, "{label}");

        // The summary pages the same way, and its figures are the whole summary's.
        assert_eq!(both_ways(&c, "/api/v1/summary?limit=5", "accounts", "account_id").await, all, "{label}");
        let (_, whole) = c.get("/api/v1/summary?limit=1000").await;
        let (_, a) = c.get(&format!("/api/v1/summary?account_id={WORKLOAD_A}")).await;
        let in_whole = whole["accounts"].as_array().unwrap().iter().find(|s| s["account_id"] == WORKLOAD_A).unwrap();
        assert_eq!(&a["accounts"][0], in_whole, "{label}");
        assert!(a["accounts"][0]["recovery_points"].as_i64().unwrap() > 0, "{label}");

        // Choices: what starts with the typed text, in any case, and nothing else.
        let choices = |list: &str, q: &str| c.all(format!("/api/v1/choices/{list}?limit=3&q={q}"));
        let names: Vec<(String, String)> = first["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["id"].as_str().unwrap().to_string(), a["name"].as_str().unwrap().to_string()))
            .collect();
        let prefix = &names.iter().find(|(id, _)| id.starts_with("4")).unwrap().1[..4];
        let want: Vec<String> = names
            .iter()
            .filter(|(_, n)| n.to_ascii_lowercase().starts_with(&prefix.to_ascii_lowercase()))
            .map(|(id, _)| id.clone())
            .collect();
        assert!(!want.is_empty() && want.len() < names.len(), "{label}: {prefix}");
        let found = choices("accounts", &prefix.to_ascii_uppercase()).await;
        assert_eq!(ids(&found, "value"), want, "{label}: accounts named {prefix}…, paged by 3");
        assert!(found.iter().all(|f| f["label"].as_str().unwrap().contains(f["value"].as_str().unwrap())));
        assert_eq!(ids(&choices("accounts", "1111").await, "value"), [WORKLOAD_A], "{label}: by the id's start");
        assert!(choices("accounts", "zzz").await.is_empty(), "{label}");
        // Punctuation in the prefix is matched as typed (a collation that skips it must not widen the match).
        let dashed = &names.iter().find(|(_, n)| n.contains('-')).unwrap().1;
        let upto = &dashed[..=dashed.find('-').unwrap()];
        let with_dash = ids(&choices("accounts", upto).await, "value");
        assert!(!with_dash.is_empty(), "{label}: {upto}");
        for id in &with_dash {
            let name = &names.iter().find(|(i, _)| i == id).unwrap().1;
            assert!(name.to_ascii_lowercase().starts_with(&upto.to_ascii_lowercase()), "{label}: {name} for {upto}");
        }

        let regions = ids(&choices("regions", "").await, "value");
        assert!(regions.contains(&"ap-southeast-2".to_string()) && regions.windows(2).all(|w| w[0] < w[1]));
        let ap = ids(&choices("regions", "AP-").await, "value");
        assert!(ap.contains(&"ap-southeast-2".to_string()) && ap.iter().all(|r| r.starts_with("ap-")), "{label}");
        assert!(ap.len() < regions.len(), "{label}: {regions:?}");

        let vaults = ids(&choices("vaults", "WORKLOAD-A").await, "value");
        assert!(vaults.contains(&"workload-a-vault".to_string()), "{label}: {vaults:?}");
        assert!(vaults.iter().all(|v| v.starts_with("workload-a")), "{label}");
        let every_vault = ids(&choices("vaults", "").await, "value");
        let mut distinct = every_vault.clone();
        distinct.dedup();
        assert_eq!(distinct, every_vault, "{label}: each vault name once, though many accounts have it");

        // A vault by ARN (where a copy goes), found by the account id's start; in one region.
        let arns = c.all(format!("/api/v1/choices/vault_arns?limit=50&q={WORKLOAD_A}")).await;
        assert!(ids(&arns, "value").iter().any(|a| a.ends_with(":backup-vault:workload-a-vault")), "{label}");
        assert!(arns.iter().all(|v| v["label"].as_str().unwrap().contains(&format!("({WORKLOAD_A}, "))), "{label}");
        let in_region = c.all("/api/v1/choices/vault_arns?limit=50&region=us-east-1").await;
        assert!(in_region.iter().all(|v| v["label"].as_str().unwrap().ends_with(", us-east-1)")), "{label}");
        assert!(!in_region.is_empty() && in_region.len() < c.all("/api/v1/choices/vault_arns?limit=50").await.len());

        let tracking = choices("resources", "track").await;
        assert!(ids(&tracking, "value").contains(&TRACKING.to_string()), "{label}");
        assert!(tracking.iter().all(|r| r["label"].as_str().unwrap().to_ascii_lowercase().starts_with("track")));
        assert_eq!(ids(&choices("resources", TRACKING).await, "value"), [TRACKING], "{label}: by the ARN's start");
        let scoped = c.all(format!("/api/v1/choices/resources?limit=50&account_id={WORKLOAD_A}")).await;
        assert!(!scoped.is_empty() && scoped.iter().all(|r| r["label"].as_str().unwrap().ends_with(WORKLOAD_A)));

        let plans = c.all("/api/v1/choices/plans?limit=50").await;
        assert!(!plans.is_empty(), "{label}");
        let plan = &plans[0];
        let name = plan["label"].as_str().unwrap().split(" (").next().unwrap();
        let by_name = ids(&choices("plans", &name[..name.len().min(5)]).await, "value");
        assert!(by_name.contains(&plan["value"].as_str().unwrap().to_string()), "{label}: {name}");
        let by_arn = ids(&choices("plans", plan["value"].as_str().unwrap()).await, "value");
        assert_eq!(by_arn, [plan["value"].as_str().unwrap()], "{label}: by the ARN's start");

        // One choice by its exact value (the words for a value a link carries), in each list.
        let vault_arn = ids(&arns, "value").into_iter().next().unwrap();
        for (list, value) in [
            ("accounts", WORKLOAD_A),
            ("regions", "ap-southeast-2"),
            ("vaults", "workload-a-vault"),
            ("vault_arns", vault_arn.as_str()),
            ("plans", plan["value"].as_str().unwrap()),
            ("resources", TRACKING),
        ] {
            let exact = c.all(format!("/api/v1/choices/{list}?value={}", encode(value))).await;
            assert_eq!(ids(&exact, "value"), [value], "{label}: {list} by value");
        }
        let (_, by_value) = c.get(&format!("/api/v1/choices/accounts?value={WORKLOAD_A}")).await;
        assert_eq!(by_value["items"][0]["label"], format!("workload_a ({WORKLOAD_A})"), "{label}");
        assert!(
            c.all(format!("/api/v1/choices/accounts?value={}", &WORKLOAD_A[..4])).await.is_empty(),
            "{label}: a prefix is no value"
        );

        // Bad input names what was wrong.
        for (path, status, says) in [
            ("/api/v1/choices/accounts?limit=51", 400, "limit"),
            ("/api/v1/choices/accounts?cursor=forged", 400, "cursor"),
            ("/api/v1/choices/accounts?account_id=42", 400, "account_id"),
            ("/api/v1/choices/accounts?name=x", 400, "name"),
            ("/api/v1/choices/buckets", 404, "accounts, regions"),
            ("/api/v1/accounts?limit=0", 400, "limit"),
            ("/api/v1/summary?cursor=v1.0.31&before=v1.0.31", 400, "before"),
        ] {
            let (got, body) = c.get(path).await;
            assert_eq!(got, status, "{label}: {path}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().contains(says), "{label}: {path}: {body}");
        }
        let (got, body) = c.get(&format!("/api/v1/choices/accounts?q={}", "a".repeat(101))).await;
        assert_eq!(got, 400, "{label}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("q:"), "{body}");
        let (got, body) = c.get(&format!("/api/v1/choices/resources?value={}", "a".repeat(2049))).await;
        assert_eq!(got, 400, "{label}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("value:"), "{body}");
    }
}
