//! The Resource Groups Tagging API over awsJson1_1: GetResources, the one call that
//! reads the tags of resources of every service (AWS Backup's own `ListTags` reads only
//! recovery points, backup plans and vaults, per its model in `aws-models/backup.json`).
//!
//! Source: the Resource Groups Tagging API reference, `GetResources` (as carried by the
//! `aws-sdk-resourcegroupstagging` crate's documentation): `ResourceARNList` (1 to 100
//! ARNs) cannot be combined with `ResourceTypeFilters`, `TagFilters` or the pagination
//! parameters (`InvalidParameterException`); an ARN that does not exist is left out
//! without an error; without a list, the answer pages by `ResourcesPerPage` (1 to 100)
//! with a `PaginationToken` that is empty on the last page; `TagFilters` keep
//! resources matching every filter, a filter's values being alternatives.

use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::backup::{decode_position, encode_position};
use super::protocol::{json_input, json_operation, AwsError};
use super::world::{ResourceInfo, World};
use super::Caller;

pub const TARGET_PREFIX: &str = "ResourceGroupsTaggingAPI_20170126.";

pub fn identify(headers: &HeaderMap) -> Result<&'static str, AwsError> {
    json_operation(headers, TARGET_PREFIX, &["GetResources"])
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct GetResourcesInput {
    #[serde(rename = "ResourceARNList")]
    resource_arn_list: Option<Vec<String>>,
    resource_type_filters: Option<Vec<String>>,
    tag_filters: Option<Vec<TagFilter>>,
    pagination_token: Option<String>,
    resources_per_page: Option<i64>,
    tags_per_page: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagFilter {
    key: String,
    #[serde(default)]
    values: Vec<String>,
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::BAD_REQUEST, "InvalidParameterException", message)
}

pub fn call(world: &World, caller: &Caller, body: &[u8]) -> Result<Value, AwsError> {
    let input: GetResourcesInput = json_input(body)?;
    let resources: Vec<&ResourceInfo> = world
        .region(caller.account, &caller.region)
        .map(|r| r.resources.iter().map(|res| res.info.as_ref()).collect())
        .unwrap_or_default();
    // Only resources that carry tags are in the tagging index.
    let tagged = resources.into_iter().filter(|info| !info.tags.is_empty());
    if let Some(arns) = &input.resource_arn_list {
        let paged = input.pagination_token.as_deref().is_some_and(|t| !t.is_empty())
            || input.resources_per_page.is_some()
            || input.tags_per_page.is_some();
        if input.resource_type_filters.is_some() || input.tag_filters.is_some() || paged {
            return Err(invalid(
                "ResourceARNList cannot be combined with ResourceTypeFilters, TagFilters or pagination parameters",
            ));
        }
        if arns.is_empty() || arns.len() > 100 {
            return Err(invalid(format!("ResourceARNList must hold 1 to 100 ARNs, got {}", arns.len())));
        }
        let found: Vec<Value> = tagged.filter(|info| arns.contains(&info.arn)).map(mapping).collect();
        return Ok(json!({ "ResourceTagMappingList": found, "PaginationToken": "" }));
    }
    let per_page = input.resources_per_page.unwrap_or(50);
    if !(1..=100).contains(&per_page) {
        return Err(invalid(format!("ResourcesPerPage must be between 1 and 100, got {per_page}")));
    }
    let types = input.resource_type_filters.unwrap_or_default();
    let filters = input.tag_filters.unwrap_or_default();
    let mut matching: Vec<&ResourceInfo> = tagged
        .filter(|info| types.is_empty() || types.iter().any(|t| of_type(&info.arn, t)))
        .filter(|info| filters.iter().all(|f| matches(info, f)))
        .collect();
    matching.sort_by(|a, b| a.arn.cmp(&b.arn));
    let scope = format!("GetResources:{}:{}", caller.account_id, caller.region);
    let token = input.pagination_token.as_deref().filter(|t| !t.is_empty());
    let start = decode_position(world, &scope, token).map_err(|e| invalid(e.message))?.map_or(0, |(_, i)| i as usize);
    let end = (start + per_page as usize).min(matching.len());
    let page: Vec<Value> = matching.get(start..end).unwrap_or_default().iter().copied().map(mapping).collect();
    let next = (end < matching.len()).then_some((0, end as u64));
    let token = encode_position(world, &scope, next).unwrap_or_default();
    Ok(json!({ "ResourceTagMappingList": page, "PaginationToken": token }))
}

fn mapping(info: &ResourceInfo) -> Value {
    let tags: Vec<Value> = info.tags.iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect();
    json!({ "ResourceARN": info.arn, "Tags": tags })
}

/// `service[:resourceType]` as it appears in the ARN (`dynamodb:table`, `rds:db`, `rds`).
fn of_type(arn: &str, filter: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2).unwrap_or_default();
    let resource = parts.nth(2).unwrap_or_default();
    let kind = resource.split(['/', ':']).next().unwrap_or_default();
    match filter.split_once(':') {
        Some((s, t)) => s == service && t == kind,
        None => filter == service,
    }
}

fn matches(info: &ResourceInfo, f: &TagFilter) -> bool {
    info.tags.iter().any(|(k, v)| *k == f.key && (f.values.is_empty() || f.values.contains(v)))
}

#[cfg(test)]
mod tests {
    use super::of_type;

    #[test]
    fn type_filters_name_the_service_and_the_resource_type_of_the_arn() {
        assert!(of_type("arn:aws:dynamodb:eu-west-1:111111111111:table/orders", "dynamodb:table"));
        assert!(of_type("arn:aws:rds:eu-west-1:111111111111:db:mydb", "rds:db"));
        assert!(of_type("arn:aws:rds:eu-west-1:111111111111:db:mydb", "rds"));
        assert!(!of_type("arn:aws:rds:eu-west-1:111111111111:db:mydb", "rds:cluster"));
    }
}
