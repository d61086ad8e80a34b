//! The console as the restore-test validator. AWS Backup runs no validation of its
//! own: a restore test gets a validation status only when a validator calls
//! `PutRestoreValidationResult` inside its selection's validation window (AWS
//! Backup developer guide, "Restore testing validation"). For the plans and
//! selections admins attach checks to, the console is that validator: when a sync
//! has seen a test completed, it reads the restored resource through the account's
//! validator role, runs the checks and reports `SUCCESSFUL`, or `FAILED` naming the
//! check that failed and what it saw, so AWS's own console and Backup Audit
//! Manager see the result too. Each test is claimed in the store before its checks
//! run and finished after the result went to AWS (never validated twice); tests
//! whose window has closed, or is 0, are skipped and the audit log says so.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, Select};
use futures_util::StreamExt;
use shared::{CheckAnswer, RestoreTestCheckRule, RestoreTestChecks, RestoreTestingSelection, RestoreValidation};

use crate::app::Console;
use crate::aws::{failure, AwsFailure, RoleTarget};
use crate::store::{Finish, PlanRow, RestoreJobRow, StoreError};
use crate::time::{rfc3339, DAY_MS};

const HOUR_MS: i64 = 3_600_000;
/// Validation windows are at most 168 hours (the model's RestoreTestingSelection):
/// older tests cannot be validated any more.
const LONGEST_WINDOW_MS: i64 = 7 * DAY_MS;
/// Tests taken per pass.
const PER_PASS: i64 = 200;
/// Scan pages read at most for one item count (a page reads up to 1 MB).
const MAX_SCAN_PAGES: usize = 10_000;

/// Runs [`pass`] every `every`.
pub fn run(state: Console, every: Duration) {
    tokio::spawn(async move {
        loop {
            match pass(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(tests = n, "restore tests validated or skipped"),
                Err(e) => tracing::error!(error = %e, "validator pass failed"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// The checks in force: the config file's, each replaced by the console's for the
/// same plan and selection.
pub async fn checks_in_force(s: &Console) -> Result<Vec<RestoreTestCheckRule>, StoreError> {
    let console = s.store.console_checks().await?;
    let scope = |c: &RestoreTestChecks| (c.plan_arn.clone(), c.selection_name.clone());
    let mut rules: Vec<RestoreTestCheckRule> = s
        .config
        .validation
        .checks
        .iter()
        .filter(|c| !console.iter().any(|r| scope(&r.checks) == scope(c)))
        .map(|c| RestoreTestCheckRule {
            checks: c.clone(),
            source: "config".into(),
            updated_by: None,
            updated_at: None,
        })
        .collect();
    rules.extend(console);
    rules.sort_by_key(|r| scope(&r.checks));
    Ok(rules)
}

/// One pass: every completed restore test of a plan with checks that nobody has
/// validated yet. Returns how many tests it validated or skipped.
pub async fn pass(s: &Console) -> Result<usize, StoreError> {
    let rules = checks_in_force(s).await?;
    let mut plans: Vec<String> = rules.iter().map(|r| r.checks.plan_arn.clone()).collect();
    plans.dedup();
    let now = s.now();
    let tests = s.store.tests_to_validate(&plans, now - LONGEST_WINDOW_MS, now, PER_PASS).await?;
    let rules = &rules;
    let results: Vec<Result<bool, StoreError>> = futures_util::stream::iter(tests)
        .map(|job| async move { validate(s, rules, &job).await })
        .buffer_unordered(s.config.validation.concurrency)
        .collect()
        .await;
    let mut done = 0;
    for r in results {
        done += usize::from(r?);
    }
    Ok(done)
}

/// The selection of `plan` that chose the job's resource: the one naming its ARN,
/// else the only one of its resource type (tag conditions are not evaluated here).
fn selection_of<'p>(plan: &'p PlanRow, job: &RestoreJobRow) -> Option<&'p RestoreTestingSelection> {
    let of_type: Vec<&RestoreTestingSelection> =
        plan.selections.iter().filter(|s| s.resource_type == job.resource_type).collect();
    let arn = job.resource_arn.as_deref().unwrap_or_default();
    of_type.iter().find(|s| s.resource_arns.iter().any(|a| a == arn)).copied().or(match of_type.as_slice() {
        [only] => Some(*only),
        _ => None,
    })
}

/// The checks for a test: its selection's, else its plan's.
fn checks_for<'r>(
    rules: &'r [RestoreTestCheckRule],
    plan_arn: &str,
    selection: Option<&str>,
) -> Option<&'r RestoreTestChecks> {
    let of = |sel: Option<&str>| {
        rules.iter().map(|r| &r.checks).find(|c| c.plan_arn == plan_arn && c.selection_name.as_deref() == sel)
    };
    selection.and_then(|name| of(Some(name))).or_else(|| of(None))
}

/// Validates (or skips) one restore test; `false` when it has no checks or another pass took it.
async fn validate(s: &Console, rules: &[RestoreTestCheckRule], job: &RestoreJobRow) -> Result<bool, StoreError> {
    let Some(plan_arn) = job.plan_arn.clone() else { return Ok(false) };
    let plan = s.store.plan(&plan_arn).await?;
    let selection = plan.as_ref().and_then(|p| selection_of(p, job));
    let Some(checks) = checks_for(rules, &plan_arn, selection.map(|s| s.name.as_str())) else { return Ok(false) };
    let now = s.now();
    // The validation record as it starts; the store keeps its identity and the finish.
    let claim = RestoreValidation {
        account_id: job.account_id.clone(),
        job_id: job.id.clone(),
        region: job.region.clone(),
        plan_arn,
        selection_name: selection.map(|s| s.name.clone()),
        resource_arn: job.resource_arn.clone().unwrap_or_default(),
        created_resource_arn: job.created_resource_arn.clone(),
        state: "running".into(),
        result: None,
        message: None,
        checks: Vec::new(),
        started_at: crate::time::rfc3339(now),
        finished_at: None,
    };
    if let Some(why) = closed_window(job, selection.and_then(|s| s.validation_window_hours), now) {
        return s.store.skip_validation(&claim, why, now).await;
    }
    let Some(role) = s.syncer.validator_role(&job.account_id).await? else {
        let why = format!(
            "account {} has no validator role (accounts[].validator_role_arn or discovery.validator_role_arn_pattern)",
            job.account_id
        );
        return s.store.skip_validation(&claim, why, now).await;
    };
    if !s.store.claim_validation(&claim, now).await? {
        return Ok(false);
    }
    let finish = match run_checks(s, &role, job, checks).await {
        Ok(answers) => report(s, &role, job, answers).await,
        Err(e) => Finish {
            state: "error",
            result: None,
            message: format!("the checks could not run (tried again later): {e}"),
            checks: Vec::new(),
        },
    };
    s.store.finish_validation(&claim, &finish, s.now()).await?;
    Ok(true)
}

/// Why the test's validation window has closed (or never opened), if it has.
fn closed_window(job: &RestoreJobRow, window_hours: Option<i64>, now: i64) -> Option<String> {
    let completed = job.completed_at?;
    match window_hours {
        Some(0) => Some(
            "the selection's validation window is 0 hours: AWS Backup deletes the restored resource as soon as \
             the restore completes, so there is nothing to validate"
                .into(),
        ),
        Some(h) if now >= completed + h * HOUR_MS => Some(format!(
            "the validation window of {h} hours closed at {} (the console saw the completed test at {})",
            rfc3339(completed + h * HOUR_MS),
            rfc3339(now)
        )),
        _ => None,
    }
}

/// The name at the end of a restored resource's ARN (`table/NAME`, `db:NAME`).
fn resource_name(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

fn answer(check: impl Into<String>, passed: bool, seen: impl Into<String>) -> CheckAnswer {
    CheckAnswer { check: check.into(), passed, seen: seen.into() }
}

/// Whether an AWS error is the resource's own answer (a check fails on it) rather
/// than a failure to ask (the checks run again later).
fn is_answer(f: &AwsFailure) -> bool {
    matches!(f.code.as_str(), "ResourceNotFoundException" | "ValidationException")
}

async fn run_checks(
    s: &Console,
    role: &RoleTarget,
    job: &RestoreJobRow,
    checks: &RestoreTestChecks,
) -> Result<Vec<CheckAnswer>, AwsFailure> {
    let Some(created) = job.created_resource_arn.as_deref() else {
        return Ok(vec![answer(
            "the restore created a resource",
            false,
            "the restore job names no CreatedResourceArn",
        )]);
    };
    match job.resource_type.as_str() {
        "DynamoDB" => {
            let client = s.syncer.aws().dynamodb(role, &job.region).await;
            dynamodb_checks(&client, resource_name(created), checks).await
        }
        "RDS" => {
            let client = s.syncer.aws().cloudcontrol(role, &job.region).await;
            let source = job.resource_arn.as_deref().map(resource_name);
            rds_checks(&client, resource_name(created), source, checks).await
        }
        other => Ok(vec![answer(
            "the resource type has checks",
            false,
            format!("the console validates DynamoDB and RDS restore tests, not {other}"),
        )]),
    }
}

async fn dynamodb_checks(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    checks: &RestoreTestChecks,
) -> Result<Vec<CheckAnswer>, AwsFailure> {
    let exists = format!("table {table} exists and is ACTIVE");
    let status = match client.describe_table().table_name(table).send().await {
        Ok(out) => out.table().and_then(|t| t.table_status()).map(|s| s.as_str().to_string()).unwrap_or_default(),
        Err(e) => {
            let f = failure(&e);
            return if is_answer(&f) { Ok(vec![answer(exists, false, f.to_string())]) } else { Err(f) };
        }
    };
    let mut answers = vec![answer(exists, status == "ACTIVE", format!("DescribeTable TableStatus {status}"))];
    if status != "ACTIVE" {
        return Ok(answers);
    }
    if let Some(min) = checks.min_items {
        answers.push(item_count(client, table, min).await?);
    }
    for key in &checks.keys {
        answers.push(key_present(client, table, key).await?);
    }
    Ok(answers)
}

/// Counts items with a `Select: COUNT` Scan until `min` are found: DescribeTable's
/// `ItemCount` is refreshed only about every six hours (DynamoDB API reference), so
/// a table restored minutes ago would report 0.
async fn item_count(client: &aws_sdk_dynamodb::Client, table: &str, min: i64) -> Result<CheckAnswer, AwsFailure> {
    let check = format!("at least {min} items");
    let mut count: i64 = 0;
    let mut start = None;
    for _ in 0..MAX_SCAN_PAGES {
        let out =
            match client.scan().table_name(table).select(Select::Count).set_exclusive_start_key(start).send().await {
                Ok(out) => out,
                Err(e) => {
                    let f = failure(&e);
                    return if is_answer(&f) { Ok(answer(check, false, f.to_string())) } else { Err(f) };
                }
            };
        count += i64::from(out.count());
        start = out.last_evaluated_key().cloned();
        if count >= min || start.is_none() {
            break;
        }
    }
    let more = if start.is_some() { " or more" } else { "" };
    Ok(answer(check, count >= min, format!("Scan counted {count}{more} items")))
}

async fn key_present(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: &std::collections::BTreeMap<String, String>,
) -> Result<CheckAnswer, AwsFailure> {
    let shown = key.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
    let check = format!("item {{{shown}}} present");
    let attrs = key.iter().map(|(k, v)| (k.clone(), AttributeValue::S(v.clone()))).collect();
    match client.get_item().table_name(table).set_key(Some(attrs)).consistent_read(true).send().await {
        Ok(out) => {
            let found = out.item().is_some_and(|i| !i.is_empty());
            Ok(answer(check, found, if found { "GetItem found it" } else { "GetItem found no such item" }))
        }
        Err(e) => {
            let f = failure(&e);
            if is_answer(&f) {
                Ok(answer(check, false, f.to_string()))
            } else {
                Err(f)
            }
        }
    }
}

/// An RDS instance's properties through Cloud Control (`AWS::RDS::DBInstance` has a
/// read-only `DBInstanceStatus`, and `Engine` and `AllocatedStorage`); `Ok(Err)`: the
/// instance's own answer, such as not found.
async fn instance(
    client: &aws_sdk_cloudcontrol::Client,
    identifier: &str,
) -> Result<Result<serde_json::Value, String>, AwsFailure> {
    match client.get_resource().type_name("AWS::RDS::DBInstance").identifier(identifier).send().await {
        Ok(out) => Ok(Ok(out
            .resource_description()
            .and_then(|r| r.properties())
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_default())),
        Err(e) => {
            let f = failure(&e);
            if is_answer(&f) {
                Ok(Err(f.to_string()))
            } else {
                Err(f)
            }
        }
    }
}

fn text(props: &serde_json::Value, name: &str) -> String {
    match &props[name] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "none".into(),
        other => other.to_string(),
    }
}

async fn rds_checks(
    client: &aws_sdk_cloudcontrol::Client,
    identifier: &str,
    source: Option<&str>,
    checks: &RestoreTestChecks,
) -> Result<Vec<CheckAnswer>, AwsFailure> {
    let available = format!("DB instance {identifier} is available");
    let restored = match instance(client, identifier).await? {
        Ok(p) => p,
        Err(seen) => return Ok(vec![answer(available, false, seen)]),
    };
    let status = text(&restored, "DBInstanceStatus");
    let mut answers = vec![answer(available, status == "available", format!("DBInstanceStatus {status}"))];
    if !checks.rds_matches_source {
        return Ok(answers);
    }
    let Some(source) = source else {
        answers.push(answer("engine and storage as the source's", false, "the restore job names no source"));
        return Ok(answers);
    };
    let original = match instance(client, source).await? {
        Ok(p) => p,
        Err(seen) => {
            answers.push(answer(format!("the source instance {source} can be read"), false, seen));
            return Ok(answers);
        }
    };
    for property in ["Engine", "AllocatedStorage"] {
        let (got, want) = (text(&restored, property), text(&original, property));
        answers.push(answer(
            format!("{property} as the source's"),
            got == want,
            format!("{property} {got}, source {source} {want}"),
        ));
    }
    Ok(answers)
}

/// The result the answers make, as AWS is told it: `SUCCESSFUL`, or `FAILED`
/// naming every failed check and what it saw.
fn verdict(answers: &[CheckAnswer]) -> (&'static str, String) {
    let failed: Vec<String> =
        answers.iter().filter(|a| !a.passed).map(|a| format!("{}: {}", a.check, a.seen)).collect();
    if failed.is_empty() {
        let passed: Vec<String> = answers.iter().map(|a| format!("{} ({})", a.check, a.seen)).collect();
        ("SUCCESSFUL", format!("Recovery Console: {} checks passed: {}", answers.len(), passed.join("; ")))
    } else {
        ("FAILED", format!("Recovery Console: check failed: {}", failed.join("; ")))
    }
}

/// Sends the result with PutRestoreValidationResult through the validator role.
async fn report(s: &Console, role: &RoleTarget, job: &RestoreJobRow, answers: Vec<CheckAnswer>) -> Finish {
    let (result, message) = verdict(&answers);
    let sent = s
        .syncer
        .aws()
        .backup(role, &job.region)
        .await
        .put_restore_validation_result()
        .restore_job_id(&job.id)
        .validation_status(result.into())
        .validation_status_message(&message)
        .send()
        .await;
    match sent {
        Ok(_) => Finish { state: "reported", result: Some(result), message, checks: answers },
        Err(e) => {
            let f = failure(&e);
            // AWS refused this result for good (the window closed, the job is not a test).
            let refused = matches!(
                f.code.as_str(),
                "InvalidRequestException" | "ResourceNotFoundException" | "InvalidParameterValueException"
            );
            Finish {
                state: if refused { "refused" } else { "error" },
                result: Some(result),
                message: format!(
                    "PutRestoreValidationResult {result} was not accepted: {f} (the result was: {message})"
                ),
                checks: answers,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_check_names_what_it_saw() {
        let answers = vec![
            answer("table t exists and is ACTIVE", true, "DescribeTable TableStatus ACTIVE"),
            answer("at least 1000 items", false, "Scan counted 0 items"),
        ];
        let (result, message) = verdict(&answers);
        assert_eq!(result, "FAILED");
        assert_eq!(message, "Recovery Console: check failed: at least 1000 items: Scan counted 0 items");
        let (result, message) = verdict(&answers[..1]);
        assert_eq!(result, "SUCCESSFUL");
        assert!(message.contains("1 checks passed: table t exists and is ACTIVE (DescribeTable TableStatus ACTIVE)"));
    }

    #[test]
    fn restored_names_come_from_their_arns() {
        assert_eq!(
            resource_name("arn:aws:dynamodb:ap-southeast-2:111111111111:table/t-restore-test-1"),
            "t-restore-test-1"
        );
        assert_eq!(
            resource_name("arn:aws:rds:ap-southeast-2:111111111111:db:mydb-restore-test-1"),
            "mydb-restore-test-1"
        );
    }
}
