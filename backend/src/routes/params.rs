//! List parameters: parsed and checked here, so that bad input is a 400 naming
//! the parameter, and a filter a list does not have is refused, not ignored.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use utoipa::IntoParams;

use super::AppError;
use crate::domain::{is_arn, AccountId, Region};
use crate::store::{Cursor, ListQuery};

/// The query parameters of the lists (each list takes the ones it documents).
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Items per page, 1 to 1000 (default 100).
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 12-digit AWS account id.
    account_id: Option<String>,
    /// AWS region, e.g. `ap-southeast-2`.
    region: Option<String>,
    /// Backup vault name or ARN.
    vault: Option<String>,
    /// AWS Backup resource type, e.g. `DynamoDB`, `RDS`.
    resource_type: Option<String>,
    /// ARN of the protected (source) resource.
    resource_arn: Option<String>,
    /// Status or state as AWS reports it, e.g. `COMPLETED`.
    status: Option<String>,
    /// Created at or after (RFC 3339 or YYYY-MM-DD, UTC).
    created_after: Option<String>,
    /// Created before (RFC 3339 or YYYY-MM-DD, UTC).
    created_before: Option<String>,
    /// Restore jobs: `true` for restore tests, `false` for other restores.
    test: Option<bool>,
    /// Restore jobs: `SUCCESSFUL`, `FAILED`, `TIMED_OUT` or `VALIDATING`.
    validation_status: Option<String>,
    /// Restore jobs: the restore testing plan ARN.
    plan_arn: Option<String>,
    /// Include what a sync no longer found (default false).
    include_gone: Option<bool>,
    /// Restore jobs: `passed` (validation successful) or `failed` (restore failed
    /// or aborted, validation failed or timed out).
    outcome: Option<String>,
    /// Protected resources: `true` for those with no restore test on record.
    never_tested: Option<bool>,
    /// Protected resources: those with no restore test in this many days (1 to 3650).
    not_tested_days: Option<i64>,
}

pub use shared::RESOURCE_TYPES;

/// Raw query parameters, extracted without failing so that errors are ours.
pub struct RawQuery(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for RawQuery {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad("invalid_query", e.body_text()))?;
        Ok(RawQuery(map))
    }
}

fn bool_param(name: &str, v: &str) -> Result<bool, AppError> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(AppError::bad("invalid_parameter", format!("{name} must be true or false, got {v:?}"))),
    }
}

/// Parses the parameters a list accepts: `filters` names the filters it has;
/// `statuses` are its allowed status values.
pub fn parse(raw: &RawQuery, filters: &[&str], statuses: &[&str]) -> Result<ListQuery, AppError> {
    let mut q = ListQuery { limit: 100, ..ListQuery::default() };
    for (name, value) in &raw.0 {
        let bad = |why: String| AppError::bad("invalid_parameter", format!("{name}: {why}"));
        let common = ["limit", "cursor", "include_gone"];
        if !common.contains(&name.as_str()) && !filters.contains(&name.as_str()) {
            let known = filters.iter().chain(common.iter()).copied().collect::<Vec<_>>().join(", ");
            return Err(AppError::bad(
                "unknown_parameter",
                format!("unknown parameter {name:?}; this list takes {known}"),
            ));
        }
        match name.as_str() {
            "limit" => {
                q.limit = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| bad(format!("must be a whole number from 1 to 1000, got {value:?}")))?;
            }
            "cursor" => q.cursor = Some(Cursor::decode(value).map_err(|e| bad(e.to_string()))?),
            "include_gone" => q.include_gone = bool_param(name, value)?,
            "account_id" => {
                if !AccountId::is(value) {
                    return Err(bad(format!("{value:?} is not a 12-digit AWS account id")));
                }
                q.account_id = Some(value.clone());
            }
            "region" => {
                if !Region::is(value) {
                    return Err(bad(format!("{value:?} is not an AWS region")));
                }
                q.region = Some(value.clone());
            }
            "vault" => {
                if value.starts_with("arn:") && !is_arn(value) {
                    return Err(bad(format!("{value:?} is not a valid ARN")));
                }
                q.vault = Some(value.clone());
            }
            "resource_type" => {
                if !RESOURCE_TYPES.contains(&value.as_str()) {
                    return Err(bad(format!("unknown resource type {value:?}; one of {}", RESOURCE_TYPES.join(", "))));
                }
                q.resource_type = Some(value.clone());
            }
            "resource_arn" | "plan_arn" => {
                if !is_arn(value) {
                    return Err(bad(format!("{value:?} is not a valid ARN")));
                }
                if name == "resource_arn" {
                    q.resource_arn = Some(value.clone());
                } else {
                    q.plan_arn = Some(value.clone());
                }
            }
            "status" => {
                if !statuses.contains(&value.as_str()) {
                    return Err(bad(format!("unknown status {value:?}; one of {}", statuses.join(", "))));
                }
                q.status = Some(value.clone());
            }
            "created_after" | "created_before" => {
                let t = crate::time::parse(value)
                    .ok_or_else(|| bad(format!("{value:?} is not a date (RFC 3339 or YYYY-MM-DD)")))?;
                if name == "created_after" {
                    q.created_after = Some(t);
                } else {
                    q.created_before = Some(t);
                }
            }
            "test" => q.test = Some(bool_param(name, value)?),
            "outcome" => {
                if !["passed", "failed"].contains(&value.as_str()) {
                    return Err(bad(format!("must be passed or failed, got {value:?}")));
                }
                q.outcome = Some(value.clone());
            }
            "never_tested" => q.never_tested = bool_param(name, value)?,
            "not_tested_days" => {
                let days = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=3650).contains(n))
                    .ok_or_else(|| bad(format!("must be a whole number of days from 1 to 3650, got {value:?}")))?;
                q.not_tested_days = Some(days);
            }
            "validation_status" => {
                let allowed = ["SUCCESSFUL", "FAILED", "TIMED_OUT", "VALIDATING"];
                if !allowed.contains(&value.as_str()) {
                    return Err(bad(format!("unknown validation status {value:?}; one of {}", allowed.join(", "))));
                }
                q.validation_status = Some(value.clone());
            }
            _ => return Err(bad("not a parameter of this list".into())),
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawQuery {
        RawQuery(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn bad_input_names_the_parameter() {
        let f = ["account_id", "resource_arn", "created_after", "status"];
        let err = |pairs: &[(&str, &str)]| {
            parse(&raw(pairs), &f, &["COMPLETED"]).err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert!(err(&[("limit", "-1")]).contains("limit"));
        assert!(err(&[("limit", "1001")]).contains("limit"));
        assert!(err(&[("account_id", "12")]).contains("account_id"));
        assert!(err(&[("resource_arn", "table/tracking")]).contains("resource_arn"));
        assert!(err(&[("created_after", "last tuesday")]).contains("created_after"));
        assert!(err(&[("status", "DONE")]).contains("status"));
        assert!(err(&[("cursor", "forged")]).contains("cursor"));
        assert!(err(&[("test", "true")]).contains("unknown parameter"));
        let ok = parse(&raw(&[("limit", "5"), ("created_after", "2026-11-01")]), &f, &[]).ok();
        assert_eq!(ok.map(|q| (q.limit, q.created_after)), Some((5, Some(1_793_491_200_000))));
    }
}
