//! AWS Backup over restJson1: routing by method and path, query-string helpers,
//! paging, and the operations themselves (in `read` and `write`).

mod read;
mod render;
mod testing;
mod write;

use std::collections::HashMap;

use axum::http::Method;
use serde_json::Value;

use super::protocol::{max_results, parse_timestamp, AwsError, Millis};
use super::world::World;
use super::Caller;

/// A parsed Backup request: the operation and its path labels.
#[derive(Debug, Clone)]
pub struct Request {
    pub op: &'static str,
    pub labels: Vec<String>,
    pub query: Query,
    pub body: Vec<u8>,
}

/// Identifies the operation from the method and the path, as AWS routes it
/// (list URIs are accepted with and without their trailing slash).
pub fn identify(method: &Method, path: &str, raw_query: Option<&str>, body: Vec<u8>) -> Result<Request, AwsError> {
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let get = *method == Method::GET;
    let put = *method == Method::PUT;
    let delete = *method == Method::DELETE;
    let (op, labels): (&'static str, Vec<&str>) = match s.as_slice() {
        ["backup-vaults"] if get => ("ListBackupVaults", vec![]),
        ["backup-vaults", v] if get => ("DescribeBackupVault", vec![v]),
        ["backup-vaults", v, "access-policy"] if get => ("GetBackupVaultAccessPolicy", vec![v]),
        ["backup-vaults", v, "recovery-points"] if get => ("ListRecoveryPointsByBackupVault", vec![v]),
        ["backup-vaults", v, "recovery-points", rp] if get => ("DescribeRecoveryPoint", vec![v, rp]),
        ["backup-vaults", v, "recovery-points", rp] if delete => ("DeleteRecoveryPoint", vec![v, rp]),
        ["backup-vaults", v, "recovery-points", rp, "restore-metadata"] if get => {
            ("GetRecoveryPointRestoreMetadata", vec![v, rp])
        }
        ["resources"] if get => ("ListProtectedResources", vec![]),
        ["resources", arn] if get => ("DescribeProtectedResource", vec![arn]),
        ["resources", arn, "recovery-points"] if get => ("ListRecoveryPointsByResource", vec![arn]),
        ["resources", arn, "restore-jobs"] if get => ("ListRestoreJobsByProtectedResource", vec![arn]),
        ["backup-jobs"] if get => ("ListBackupJobs", vec![]),
        ["backup-jobs", id] if get => ("DescribeBackupJob", vec![id]),
        ["copy-jobs"] if get => ("ListCopyJobs", vec![]),
        ["copy-jobs"] if put => ("StartCopyJob", vec![]),
        ["copy-jobs", id] if get => ("DescribeCopyJob", vec![id]),
        ["restore-jobs"] if get => ("ListRestoreJobs", vec![]),
        ["restore-jobs"] if put => ("StartRestoreJob", vec![]),
        ["restore-jobs", id] if get => ("DescribeRestoreJob", vec![id]),
        ["restore-jobs", id, "metadata"] if get => ("GetRestoreJobMetadata", vec![id]),
        ["restore-jobs", id, "validations"] if put => ("PutRestoreValidationResult", vec![id]),
        ["restore-testing", "inferred-metadata"] if get => ("GetRestoreTestingInferredMetadata", vec![]),
        ["restore-testing", "plans"] if get => ("ListRestoreTestingPlans", vec![]),
        ["restore-testing", "plans"] if put => ("CreateRestoreTestingPlan", vec![]),
        ["restore-testing", "plans", p] if get => ("GetRestoreTestingPlan", vec![p]),
        ["restore-testing", "plans", p] if put => ("UpdateRestoreTestingPlan", vec![p]),
        ["restore-testing", "plans", p] if delete => ("DeleteRestoreTestingPlan", vec![p]),
        ["restore-testing", "plans", p, "selections"] if get => ("ListRestoreTestingSelections", vec![p]),
        ["restore-testing", "plans", p, "selections"] if put => ("CreateRestoreTestingSelection", vec![p]),
        ["restore-testing", "plans", p, "selections", sel] if get => ("GetRestoreTestingSelection", vec![p, sel]),
        ["restore-testing", "plans", p, "selections", sel] if put => ("UpdateRestoreTestingSelection", vec![p, sel]),
        ["restore-testing", "plans", p, "selections", sel] if delete => ("DeleteRestoreTestingSelection", vec![p, sel]),
        ["global-settings"] if get => ("DescribeGlobalSettings", vec![]),
        ["global-settings"] if put => ("UpdateGlobalSettings", vec![]),
        ["audit", "frameworks"] if get => ("ListFrameworks", vec![]),
        ["audit", "report-plans"] if get => ("ListReportPlans", vec![]),
        ["audit", "report-jobs"] if get => ("ListReportJobs", vec![]),
        _ => {
            return Err(AwsError::new(
                axum::http::StatusCode::NOT_FOUND,
                "UnknownOperationException",
                format!("The sandbox does not implement {method} {path}"),
            ))
        }
    };
    let labels = labels.into_iter().map(String::from).collect();
    Ok(Request { op, labels, query: Query::parse(raw_query), body })
}

/// Whether the operation changes something (the read role may not call it).
pub fn is_mutation(op: &str) -> bool {
    matches!(
        op,
        "StartCopyJob"
            | "DeleteRecoveryPoint"
            | "UpdateGlobalSettings"
            | "StartRestoreJob"
            | "PutRestoreValidationResult"
            | "CreateRestoreTestingPlan"
            | "UpdateRestoreTestingPlan"
            | "DeleteRestoreTestingPlan"
            | "CreateRestoreTestingSelection"
            | "UpdateRestoreTestingSelection"
            | "DeleteRestoreTestingSelection"
    )
}

/// The HTTP status of a success, as the model's `responseCode` says (200 when it says none).
pub fn success_status(op: &str) -> axum::http::StatusCode {
    match op {
        "CreateRestoreTestingPlan" | "CreateRestoreTestingSelection" => axum::http::StatusCode::CREATED,
        "DeleteRestoreTestingPlan" | "DeleteRestoreTestingSelection" => axum::http::StatusCode::NO_CONTENT,
        _ => axum::http::StatusCode::OK,
    }
}

/// Runs an operation that changes the world (see [`is_mutation`]).
pub fn call_mut(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    match req.op {
        "StartRestoreJob" => write::start_restore_job(world, now, caller, req),
        "StartCopyJob" => write::start_copy_job(world, now, caller, req),
        "DeleteRecoveryPoint" => write::delete_recovery_point(world, caller, req),
        "UpdateGlobalSettings" => write::update_global_settings(world, caller, req),
        "PutRestoreValidationResult" => write::put_restore_validation_result(world, now, caller, req),
        "CreateRestoreTestingPlan" => testing::create_plan(world, now, caller, req),
        "UpdateRestoreTestingPlan" => testing::update_plan(world, now, caller, req),
        "DeleteRestoreTestingPlan" => testing::delete_plan(world, now, caller, req),
        "CreateRestoreTestingSelection" => testing::create_selection(world, now, caller, req),
        "UpdateRestoreTestingSelection" => testing::update_selection(world, now, caller, req),
        "DeleteRestoreTestingSelection" => testing::delete_selection(world, now, caller, req),
        other => Err(AwsError::invalid_request(format!("{other} does not change anything"))),
    }
}

/// Runs a read operation.
pub fn call(world: &World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    read::call(world, now, caller, req)
}

/// Query-string parameters, by their wire names.
#[derive(Debug, Clone, Default)]
pub struct Query(HashMap<String, String>);

impl Query {
    fn parse(raw: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> = raw.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
        let mut map = HashMap::new();
        for (k, v) in pairs {
            map.entry(k).or_insert(v);
        }
        Query(map)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn required(&self, name: &str) -> Result<&str, AwsError> {
        self.get(name).filter(|v| !v.is_empty()).ok_or_else(|| AwsError::missing_parameter(name))
    }

    pub fn time(&self, name: &str) -> Result<Option<Millis>, AwsError> {
        self.get(name).map(|v| parse_timestamp(name, v)).transpose()
    }

    pub fn max_results(&self, name: &str, limit: usize) -> Result<usize, AwsError> {
        max_results(self.get(name), limit, limit)
    }

    /// An enumerated filter, checked against its allowed values.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<&str>, AwsError> {
        match self.get(name) {
            Some(v) if !allowed.contains(&v) => {
                Err(AwsError::invalid_parameter(format!("{name} must be one of {}, got {v:?}", allowed.join(", "))))
            }
            other => Ok(other),
        }
    }
}

/// One page over several lists, each walked newest first. A position is
/// (list key, index bound): the page resumes below that index of that list.
/// At most `budget` items are examined per page, so a page may hold fewer items
/// than asked for and still carry a `NextToken`, as AWS pages do.
pub fn page<T, R>(
    sources: &[(u64, &[T])],
    position: Option<(u64, u64)>,
    max: usize,
    mut render: impl FnMut(u64, usize, &T) -> Option<R>,
) -> (Vec<R>, Option<(u64, u64)>) {
    let budget = (max * 4).max(5000);
    let mut out = Vec::new();
    let mut examined = 0usize;
    let mut started = position.is_none();
    for (key, items) in sources {
        let mut upper = items.len();
        if !started {
            match position {
                Some((k, bound)) if k == *key => {
                    upper = (bound as usize).min(items.len());
                    started = true;
                }
                Some((k, _)) if k < *key => started = true,
                _ => continue,
            }
        }
        for i in (0..upper).rev() {
            if out.len() == max || examined == budget {
                return (out, Some((*key, i as u64 + 1)));
            }
            examined += 1;
            if let Some(r) = render(*key, i, &items[i]) {
                out.push(r);
            }
        }
    }
    (out, None)
}

pub fn decode_position(world: &World, scope: &str, token: Option<&str>) -> Result<Option<(u64, u64)>, AwsError> {
    match token {
        None => Ok(None),
        Some(t) => match world.tokens.check(scope, t)?.as_slice() {
            [a, b] => Ok(Some((*a, *b))),
            _ => Err(AwsError::invalid_parameter("Invalid NextToken")),
        },
    }
}

pub fn encode_position(world: &World, scope: &str, position: Option<(u64, u64)>) -> Option<String> {
    position.map(|(a, b)| world.tokens.issue(scope, &[a, b]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_every_list_newest_first_without_gaps() {
        let a = [1, 2, 3];
        let b = [4, 5];
        let sources: [(u64, &[i32]); 2] = [(0, &a), (3, &b)];
        let mut seen = Vec::new();
        let mut pos = None;
        loop {
            let (items, next) = page(&sources, pos, 2, |_, _, x| Some(*x));
            seen.extend(items);
            match next {
                Some(p) => pos = Some(p),
                None => break,
            }
        }
        assert_eq!(seen, vec![3, 2, 1, 5, 4]);
    }

    #[test]
    fn routes_accept_both_list_forms_and_decode_labels() {
        let r = identify(&Method::GET, "/backup-vaults/", None, vec![]).map(|r| r.op).ok();
        assert_eq!(r, Some("ListBackupVaults"));
        let r = identify(&Method::GET, "/backup-vaults", None, vec![]).map(|r| r.op).ok();
        assert_eq!(r, Some("ListBackupVaults"));
        let r = identify(&Method::GET, "/resources/arn%3Aaws%3As3%3A%3A%3Ab%2Fx", None, vec![]).ok();
        assert_eq!(r.map(|r| r.labels), Some(vec!["arn:aws:s3:::b/x".to_string()]));
        assert!(identify(&Method::DELETE, "/backup-vaults/x", None, vec![]).is_err());
    }
}
