//! Amazon DynamoDB over awsJson1_0 (`X-Amz-Target: DynamoDB_20120810.*`): the
//! reads a restore-test validator makes of a table, DescribeTable, GetItem and a
//! counting Scan (`Select: COUNT`), following the DynamoDB API reference. The
//! sandbox keeps no item data: a table holds `n` items whose key is
//! `pk = "{source table}#{i}"`, `sk = "current"` for `i` in `0..n`, where `n` is
//! [`table_items`] of the source table when its recovery point was taken (a
//! restored table) or now (a protected table).

use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::engine::{table_items, HOUR};
use super::protocol::{epoch, json_input, json_operation, AwsError, Millis};
use super::world::{Deletion, RegionState, ResourceType, World};
use super::Caller;

pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// DescribeTable's `ItemCount` and `TableSizeBytes` are refreshed "approximately
/// every six hours" (API reference, TableDescription): a table restored minutes
/// ago reports 0 items, which is why validators count with a Scan.
const STATISTICS_EVERY: Millis = 6 * HOUR;
/// A Scan page reads at most 1 MB: about a thousand of the sandbox's 1 KB items.
const ITEMS_PER_PAGE: u64 = 1000;
const ITEM_BYTES: u64 = 1024;
const HASH_KEY: &str = "pk";
const RANGE_KEY: &str = "sk";
const RANGE_VALUE: &str = "current";

pub fn identify(headers: &HeaderMap) -> Result<&'static str, AwsError> {
    json_operation(headers, TARGET_PREFIX, &["DescribeTable", "GetItem", "Scan"])
}

/// Whether the request is for DynamoDB (awsJson1_0 like Cloud Control, told apart by its target).
pub fn is_target(headers: &HeaderMap) -> bool {
    headers.get("x-amz-target").and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with(TARGET_PREFIX))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableInput {
    table_name: Option<String>,
    key: Option<Map<String, Value>>,
    select: Option<String>,
    limit: Option<i64>,
    exclusive_start_key: Option<Map<String, Value>>,
}

fn error(code: &'static str, message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::BAD_REQUEST, code, message)
}

fn validation(message: impl Into<String>) -> AwsError {
    error("ValidationException", message)
}

/// A table as DynamoDB sees it now.
struct Table {
    name: String,
    arn: String,
    status: &'static str,
    /// The source table whose items it holds.
    source: String,
    items: u64,
    created: Millis,
    kms_key: Option<String>,
}

fn find(world: &World, r: &RegionState, name: &str, now: Millis) -> Option<Table> {
    let arn = r.names.get(&(ResourceType::DynamoDb, name.to_string()))?.clone();
    let job = r.restore_jobs.iter().rev().find(|j| j.created_resource.as_ref().is_some_and(|c| c.arn == arn));
    let table = |status, source: &str, items, created, kms_key| Table {
        name: name.to_string(),
        arn: arn.clone(),
        status,
        source: source.to_string(),
        items,
        created,
        kms_key,
    };
    if let Some(j) = job {
        let deleting = j.deletion == Some(Deletion::Deleting)
            || r.resource_requests.iter().any(|q| q.is_pending(ResourceType::DynamoDb, name));
        let status = match j.run.completed {
            None => "CREATING",
            Some(_) if deleting => "DELETING",
            Some(_) => "ACTIVE",
        };
        let kms = j.created_resource.as_ref().and_then(|c| c.kms_key.clone());
        return Some(table(status, &j.resource.name, j.restored_items, j.run.created, kms));
    }
    let info = &r.resources[r.resource_by_arn(&arn)?].info;
    Some(table("ACTIVE", &info.name, table_items(info, now), world.org_created, Some(info.kms_key.clone())))
}

fn not_found(name: &str) -> AwsError {
    error("ResourceNotFoundException", format!("Requested resource not found: Table: {name} not found"))
}

fn table_name(input: &TableInput) -> Result<String, AwsError> {
    input.table_name.clone().filter(|n| !n.is_empty()).ok_or_else(|| {
        validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
    })
}

/// The table, which must be `ACTIVE` to be read ("its status might not be ACTIVE"
/// is one cause of ResourceNotFoundException in the API reference).
fn active(world: &World, caller: &Caller, name: &str, now: Millis) -> Result<Table, AwsError> {
    let r = world.region(caller.account, &caller.region).ok_or_else(|| not_found(name))?;
    find(world, r, name, now).filter(|t| t.status == "ACTIVE").ok_or_else(|| not_found(name))
}

pub fn call(world: &World, now: Millis, caller: &Caller, op: &str, body: &[u8]) -> Result<Value, AwsError> {
    let input: TableInput = json_input(body)?;
    let name = table_name(&input)?;
    match op {
        "DescribeTable" => {
            let r = world.region(caller.account, &caller.region).ok_or_else(|| not_found(&name))?;
            let t = find(world, r, &name, now).ok_or_else(|| not_found(&name))?;
            Ok(json!({ "Table": describe(&t, now) }))
        }
        "GetItem" => {
            let t = active(world, caller, &name, now)?;
            let key = input.key.ok_or_else(|| validation("The provided key element does not match the schema"))?;
            let index = item_index(&t, &key)?;
            Ok(match index.filter(|i| *i < t.items) {
                Some(i) => json!({ "Item": item(&t, i) }),
                None => json!({}),
            })
        }
        "Scan" => {
            let t = active(world, caller, &name, now)?;
            scan_count(&t, &input)
        }
        other => Err(AwsError::invalid_request(format!("{other} is not a DynamoDB read the sandbox knows"))),
    }
}

fn describe(t: &Table, now: Millis) -> Value {
    // Statistics as of the last six-hourly refresh since the table was created.
    let refreshed = now - t.created >= STATISTICS_EVERY;
    let items = if refreshed { t.items } else { 0 };
    json!({
        "TableName": t.name,
        "TableArn": t.arn,
        "TableId": table_id(&t.arn),
        "TableStatus": t.status,
        "CreationDateTime": epoch(t.created),
        "ItemCount": items,
        "TableSizeBytes": items * ITEM_BYTES,
        "KeySchema": [
            { "AttributeName": HASH_KEY, "KeyType": "HASH" },
            { "AttributeName": RANGE_KEY, "KeyType": "RANGE" },
        ],
        "AttributeDefinitions": [
            { "AttributeName": HASH_KEY, "AttributeType": "S" },
            { "AttributeName": RANGE_KEY, "AttributeType": "S" },
        ],
        "BillingModeSummary": { "BillingMode": "PAY_PER_REQUEST" },
        "SSEDescription": t.kms_key.as_ref().map(|k| json!({ "Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": k })),
        "DeletionProtectionEnabled": false,
    })
}

/// A stable id for a table ARN.
fn table_id(arn: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(arn.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

/// The string value of a key attribute (`{"S": "..."}`).
fn string_attr<'a>(key: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    key.get(name)?.get("S")?.as_str()
}

/// Which item a full primary key names (`None`: a valid key of no item).
fn item_index(t: &Table, key: &Map<String, Value>) -> Result<Option<u64>, AwsError> {
    let (Some(pk), Some(sk), 2) = (string_attr(key, HASH_KEY), string_attr(key, RANGE_KEY), key.len()) else {
        return Err(validation("The provided key element does not match the schema"));
    };
    let prefix = format!("{}#", t.source);
    Ok(pk.strip_prefix(&prefix).and_then(|i| i.parse().ok()).filter(|_| sk == RANGE_VALUE))
}

fn key_of(t: &Table, i: u64) -> Value {
    json!({ HASH_KEY: { "S": format!("{}#{i}", t.source) }, RANGE_KEY: { "S": RANGE_VALUE } })
}

fn item(t: &Table, i: u64) -> Value {
    let mut item = key_of(t, i);
    item["version"] = json!({ "N": (i % 7 + 1).to_string() });
    item
}

/// A Scan with `Select: COUNT`: one page's count and where the next page starts.
fn scan_count(t: &Table, input: &TableInput) -> Result<Value, AwsError> {
    if input.select.as_deref() != Some("COUNT") {
        return Err(validation("The sandbox's Scan answers Select COUNT only (it keeps no item data)"));
    }
    let limit = match input.limit {
        None => ITEMS_PER_PAGE,
        Some(l) if l >= 1 => (l as u64).min(ITEMS_PER_PAGE),
        Some(_) => {
            return Err(validation(
                "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
            ))
        }
    };
    let start = match &input.exclusive_start_key {
        None => 0,
        Some(key) => {
            item_index(t, key)?.map(|i| i + 1).ok_or_else(|| validation("The provided starting key is invalid"))?
        }
    };
    let end = (start + limit).min(t.items);
    let count = end.saturating_sub(start);
    let mut out = json!({ "Count": count, "ScannedCount": count });
    if end < t.items {
        out["LastEvaluatedKey"] = key_of(t, end - 1);
    }
    Ok(out)
}
