//! The sandbox's DynamoDB reads, through the real SDK: what a restore-test
//! validator sees of a restored table (DynamoDB API reference: DescribeTable,
//! GetItem, Scan with `Select: COUNT`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::types::{AttributeValue, Select};

use crate::common::*;

async fn dynamodb(sb: &TestSandbox) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sb.role(WORKLOAD_A, "RecoveryConsoleValidator", None).await)
}

fn key(pk: &str) -> std::collections::HashMap<String, AttributeValue> {
    [("pk".to_string(), AttributeValue::S(pk.into())), ("sk".to_string(), AttributeValue::S("current".into()))].into()
}

#[tokio::test]
async fn a_restored_table_is_read_as_dynamodb_answers() {
    let sb = spawn(0, 0.0).await;
    let db = dynamodb(&sb).await;
    let id = sb.run_plan(WORKLOAD_A, "tracking_daily_restore_test").await.remove(0);
    let backup = sb.reader(WORKLOAD_A).await;
    let job = backup.describe_restore_job().restore_job_id(&id).send().await.unwrap();

    // While the restore runs, the table is CREATING and cannot be read.
    let name = backup.get_restore_job_metadata().restore_job_id(&id).send().await.unwrap().metadata().unwrap()
        ["targetTableName"]
        .clone();
    let described = db.describe_table().table_name(&name).send().await.unwrap();
    assert_eq!(described.table().unwrap().table_status().unwrap().as_str(), "CREATING");
    let err = db.scan().table_name(&name).select(Select::Count).send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    sb.advance((job.expected_completion_time_minutes().unwrap() as f64 + 1.0) * 60.0).await;
    let t = db.describe_table().table_name(&name).send().await.unwrap().table().cloned().unwrap();
    assert_eq!(t.table_status().unwrap().as_str(), "ACTIVE");
    // ItemCount is refreshed about every six hours: a fresh table reports 0.
    assert_eq!(t.item_count(), Some(0));

    // Counting with Scan pages through every item; the items are `tracking#{i}`.
    let (mut count, mut start, mut pages) = (0, None, 0);
    loop {
        let out =
            db.scan().table_name(&name).select(Select::Count).set_exclusive_start_key(start).send().await.unwrap();
        count += out.count();
        pages += 1;
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    assert!(count >= 1024 && pages > 1, "{count} items in {pages} pages");
    let item = db.get_item().table_name(&name).set_key(Some(key("tracking#0"))).send().await.unwrap();
    assert_eq!(item.item().unwrap()["pk"], AttributeValue::S("tracking#0".into()));
    let past = format!("tracking#{count}");
    assert!(db.get_item().table_name(&name).set_key(Some(key(&past))).send().await.unwrap().item().is_none());
    let only_pk = [("pk".to_string(), AttributeValue::S("tracking#0".into()))].into();
    let err = db.get_item().table_name(&name).set_key(Some(only_pk)).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");

    sb.advance(6.0 * 3600.0).await;
    let err = db.describe_table().table_name(&name).send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException", "deleted when the 4-hour window closed");
    let source = db.describe_table().table_name("tracking").send().await.unwrap();
    assert!(source.table().unwrap().item_count().unwrap() >= 1024, "the source's count is not fresh news");
}
