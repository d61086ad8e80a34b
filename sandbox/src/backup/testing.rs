//! Restore testing plans and selections: Create, Update and Delete, as the AWS Backup
//! service model (`../shared/aws-models/backup.json`) describes them: their URIs,
//! members, required fields, constraints, errors and `CreatorRequestId` idempotency.
//! What was created runs on the sandbox's clock like the demo world's plans.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::Request;
use crate::protocol::{epoch, AwsError, Millis};
use crate::schedule::Schedule;
use crate::world::*;
use crate::Caller;

/// The sandbox's quotas. The model names `LimitExceededException` for both creates
/// but no numbers; these are the sandbox's choice (the AWS quotas page lists
/// restore testing quotas per account and per plan).
const PLANS_PER_REGION: usize = 100;
const SELECTIONS_PER_PLAN: usize = 30;
/// RestoreTestingSelectionForCreate: "up to 30 specific protected resource ARNs".
const ARNS_PER_SELECTION: usize = 30;
/// RestoreTestingSelectionForCreate.ProtectedResourceType: the documented types.
const TESTABLE_TYPES: [&str; 10] =
    ["Aurora", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "RDS", "S3"];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PointSelectionInput {
    algorithm: Option<String>,
    exclude_vaults: Option<Vec<String>>,
    include_vaults: Option<Vec<String>>,
    recovery_point_types: Option<Vec<String>>,
    selection_window_days: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PlanInput {
    recovery_point_selection: Option<PointSelectionInput>,
    restore_testing_plan_name: Option<String>,
    schedule_expression: Option<String>,
    schedule_expression_timezone: Option<String>,
    start_window_hours: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreatePlanInput {
    creator_request_id: Option<String>,
    restore_testing_plan: Option<PlanInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdatePlanInput {
    restore_testing_plan: Option<PlanInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyValueInput {
    key: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConditionsInput {
    string_equals: Option<Vec<KeyValueInput>>,
    string_not_equals: Option<Vec<KeyValueInput>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SelectionInput {
    iam_role_arn: Option<String>,
    protected_resource_arns: Option<Vec<String>>,
    protected_resource_conditions: Option<ConditionsInput>,
    protected_resource_type: Option<String>,
    restore_metadata_overrides: Option<BTreeMap<String, String>>,
    restore_testing_selection_name: Option<String>,
    validation_window_hours: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateSelectionInput {
    creator_request_id: Option<String>,
    restore_testing_selection: Option<SelectionInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateSelectionInput {
    restore_testing_selection: Option<SelectionInput>,
}

fn body<T: for<'de> Deserialize<'de>>(req: &Request) -> Result<T, AwsError> {
    serde_json::from_slice(&req.body)
        .map_err(|e| AwsError::invalid_parameter(format!("The request body is not valid for {}: {e}", req.op)))
}

fn limit_exceeded(message: String) -> AwsError {
    AwsError::new(axum::http::StatusCode::BAD_REQUEST, "LimitExceededException", message)
}

fn already_exists(message: String) -> AwsError {
    AwsError::new(axum::http::StatusCode::BAD_REQUEST, "AlreadyExistsException", message)
}

/// Plan and selection names: "only alphanumeric characters and underscores. Maximum length is 50."
fn check_name(field: &str, name: &str) -> Result<(), AwsError> {
    if name.is_empty() || name.len() > 50 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(AwsError::invalid_parameter(format!(
            "{field} {name:?} must be 1 to 50 alphanumeric characters or underscores"
        )));
    }
    Ok(())
}

/// CreatorRequestId: "1 to 50 alphanumeric or '-_.' characters".
fn check_creator_request_id(id: Option<&str>) -> Result<(), AwsError> {
    match id {
        Some(id)
            if id.is_empty()
                || id.len() > 50
                || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
        {
            Err(AwsError::invalid_parameter(format!(
                "CreatorRequestId {id:?} must be 1 to 50 alphanumeric or '-_.' characters"
            )))
        }
        _ => Ok(()),
    }
}

fn schedule(expression: &str) -> Result<Schedule, AwsError> {
    Schedule::parse(expression).map_err(|e| AwsError::invalid_parameter(format!("ScheduleExpression: {e}")))
}

/// ScheduleExpressionTimezone: the sandbox evaluates schedules in UTC, so it takes
/// UTC's names only (AWS takes any IANA time zone).
fn timezone(tz: Option<String>) -> Result<Option<String>, AwsError> {
    match tz.as_deref() {
        None | Some("UTC" | "Etc/UTC" | "GMT" | "Etc/GMT") => Ok(tz),
        Some(other) => Err(AwsError::invalid_parameter(format!(
            "ScheduleExpressionTimezone {other:?}: the sandbox evaluates schedules in UTC only (UTC, Etc/UTC)"
        ))),
    }
}

/// StartWindowHours: "Defaults to 24 hours ... a maximum value of 168 hours".
fn start_window(hours: Option<i64>) -> Result<i64, AwsError> {
    match hours.unwrap_or(24) {
        h @ 1..=168 => Ok(h),
        h => Err(AwsError::invalid_parameter(format!("StartWindowHours must be from 1 to 168, got {h}"))),
    }
}

/// RestoreTestingRecoveryPointSelection: Algorithm, IncludeVaults and RecoveryPointTypes
/// required; SelectionWindowDays 1 to 365 (default 30); ExcludeVaults default empty.
fn point_selection(input: Option<PointSelectionInput>) -> Result<RecoveryPointSelection, AwsError> {
    let input = input.ok_or_else(|| AwsError::missing_parameter("RecoveryPointSelection"))?;
    let algorithm = input.algorithm.ok_or_else(|| AwsError::missing_parameter("RecoveryPointSelection.Algorithm"))?;
    if !["LATEST_WITHIN_WINDOW", "RANDOM_WITHIN_WINDOW"].contains(&algorithm.as_str()) {
        return Err(AwsError::invalid_parameter(format!(
            "Algorithm must be LATEST_WITHIN_WINDOW or RANDOM_WITHIN_WINDOW, got {algorithm:?}"
        )));
    }
    let include_vaults = input
        .include_vaults
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AwsError::invalid_parameter("IncludeVaults must name one or more backup vaults (or [\"*\"])"))?;
    let types = input
        .recovery_point_types
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AwsError::invalid_parameter("RecoveryPointTypes must hold SNAPSHOT, CONTINUOUS or both"))?;
    if let Some(t) = types.iter().find(|t| !["CONTINUOUS", "SNAPSHOT"].contains(&t.as_str())) {
        return Err(AwsError::invalid_parameter(format!("RecoveryPointTypes: {t:?} is not CONTINUOUS or SNAPSHOT")));
    }
    let window_days = input.selection_window_days.unwrap_or(30);
    if !(1..=365).contains(&window_days) {
        return Err(AwsError::invalid_parameter(format!(
            "SelectionWindowDays must be from 1 to 365, got {window_days}"
        )));
    }
    Ok(RecoveryPointSelection {
        algorithm,
        include_vaults,
        exclude_vaults: input.exclude_vaults.unwrap_or_default(),
        types,
        window_days,
    })
}

fn region_of<'w>(world: &'w mut World, caller: &Caller) -> &'w mut RegionState {
    world.region_mut(caller.account, &caller.region)
}

fn existing_plan(world: &World, caller: &Caller, name: &str) -> Option<usize> {
    world.region(caller.account, &caller.region).and_then(|r| r.plan_by_name(name))
}

/// Puts the plan's next run on the clock; a run already on it for another time becomes stale.
fn schedule_next(world: &mut World, caller: &Caller, plan: usize, now: Millis) {
    let p = &mut region_of(world, caller).plans[plan];
    p.next_run = p.schedule.next_after(now);
    if let Some(at) = p.next_run {
        world.schedule(at, Event::PlanRun { account: caller.account, region: caller.region.clone(), plan });
    }
}

fn plan_answer(p: &RestoreTestingPlan) -> Value {
    json!({
        "CreationTime": epoch(p.created),
        "RestoreTestingPlanArn": p.arn,
        "RestoreTestingPlanName": p.name,
    })
}

/// CreateRestoreTestingPlan (PUT /restore-testing/plans). A `CreatorRequestId` that
/// matches an existing plan returns that plan (RestoreTestingPlanForGet.CreatorRequestId).
pub fn create_plan(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let input: CreatePlanInput = body(req)?;
    check_creator_request_id(input.creator_request_id.as_deref())?;
    let plan = input.restore_testing_plan.ok_or_else(|| AwsError::missing_parameter("RestoreTestingPlan"))?;
    if let Some(id) = &input.creator_request_id {
        let region = world.region(caller.account, &caller.region);
        if let Some(p) = region
            .and_then(|r| r.plans.iter().find(|p| !p.deleted && p.creator_request_id.as_deref() == Some(id.as_str())))
        {
            return Ok(plan_answer(p));
        }
    }
    let name = plan.restore_testing_plan_name.ok_or_else(|| AwsError::missing_parameter("RestoreTestingPlanName"))?;
    check_name("RestoreTestingPlanName", &name)?;
    let expression = plan.schedule_expression.ok_or_else(|| AwsError::missing_parameter("ScheduleExpression"))?;
    let parsed = schedule(&expression)?;
    let schedule_timezone = timezone(plan.schedule_expression_timezone)?;
    let start_window_hours = start_window(plan.start_window_hours)?;
    let selection = point_selection(plan.recovery_point_selection)?;
    if existing_plan(world, caller, &name).is_some() {
        return Err(already_exists(format!("Restore testing plan {name} already exists")));
    }
    let live =
        world.region(caller.account, &caller.region).map_or(0, |r| r.plans.iter().filter(|p| !p.deleted).count());
    if live >= PLANS_PER_REGION {
        return Err(limit_exceeded(format!(
            "Account {} has {PLANS_PER_REGION} restore testing plans in {}, the most it may have",
            caller.account_id, caller.region
        )));
    }
    let suffix = uuid::Builder::from_random_bytes(rand::Rng::gen(&mut world.rng)).into_uuid();
    let arn = format!("arn:aws:backup:{}:{}:restore-testing-plan:{name}-{suffix}", caller.region, caller.account_id);
    let r = region_of(world, caller);
    r.plans.push(RestoreTestingPlan {
        name,
        arn,
        created: now,
        updated: now,
        schedule_expression: expression,
        schedule_timezone,
        schedule: parsed,
        next_run: None,
        start_window_hours,
        selection,
        last_execution: None,
        selections: Vec::new(),
        forced: Default::default(),
        runs: 0,
        creator_request_id: input.creator_request_id,
        deleted: false,
    });
    let index = r.plans.len() - 1;
    schedule_next(world, caller, index, now);
    Ok(plan_answer(&region_of(world, caller).plans[index]))
}

fn plan_index(world: &World, caller: &Caller, req: &Request) -> Result<usize, AwsError> {
    let name = &req.labels[0];
    existing_plan(world, caller, name)
        .ok_or_else(|| AwsError::not_found(format!("Restore testing plan {name} not found")))
}

/// UpdateRestoreTestingPlan (PUT /restore-testing/plans/{name}): members not given stay;
/// a RecoveryPointSelection given is taken whole, with its defaults.
pub fn update_plan(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let input: UpdatePlanInput = body(req)?;
    let update = input.restore_testing_plan.ok_or_else(|| AwsError::missing_parameter("RestoreTestingPlan"))?;
    let index = plan_index(world, caller, req)?;
    if update.restore_testing_plan_name.as_ref().is_some_and(|n| *n != req.labels[0]) {
        return Err(AwsError::invalid_parameter("RestoreTestingPlanName cannot be changed after creation"));
    }
    let parsed = update.schedule_expression.as_deref().map(schedule).transpose()?;
    let tz = update.schedule_expression_timezone.map(|t| timezone(Some(t))).transpose()?;
    let start = update.start_window_hours.map(|h| start_window(Some(h))).transpose()?;
    let selection = update.recovery_point_selection.map(|s| point_selection(Some(s))).transpose()?;
    let rescheduled = parsed.is_some();
    let p = &mut region_of(world, caller).plans[index];
    if let (Some(expression), Some(parsed)) = (update.schedule_expression, parsed) {
        p.schedule_expression = expression;
        p.schedule = parsed;
    }
    if let Some(tz) = tz {
        p.schedule_timezone = tz;
    }
    if let Some(h) = start {
        p.start_window_hours = h;
    }
    if let Some(s) = selection {
        p.selection = s;
    }
    p.updated = now;
    if rescheduled {
        schedule_next(world, caller, index, now);
    }
    let p = &region_of(world, caller).plans[index];
    let mut out = plan_answer(p);
    out["UpdateTime"] = epoch(now);
    Ok(out)
}

/// DeleteRestoreTestingPlan (DELETE /restore-testing/plans/{name}): "Deletion can only
/// successfully occur if all associated restore testing selections are deleted first."
/// The model names InvalidRequestException as its only client error.
pub fn delete_plan(world: &mut World, _now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let name = &req.labels[0];
    let index = existing_plan(world, caller, name)
        .ok_or_else(|| AwsError::invalid_request(format!("Restore testing plan {name} not found")))?;
    let p = &mut region_of(world, caller).plans[index];
    if !p.selections.is_empty() {
        return Err(AwsError::invalid_request(format!(
            "Restore testing plan {name} still has {} restore testing selection(s); delete them first",
            p.selections.len()
        )));
    }
    p.deleted = true;
    p.next_run = None;
    Ok(json!({}))
}

/// Tag conditions as (key, value) pairs.
type Tags = Vec<(String, String)>;

/// StringEquals and StringNotEquals.
fn conditions(input: Option<ConditionsInput>) -> Result<(Tags, Tags), AwsError> {
    let Some(c) = input else { return Ok((Vec::new(), Vec::new())) };
    let pairs = |list: Option<Vec<KeyValueInput>>, field: &str| -> Result<Tags, AwsError> {
        list.unwrap_or_default()
            .into_iter()
            .map(|kv| {
                let key = kv.key.ok_or_else(|| AwsError::missing_parameter(&format!("{field}.Key")))?;
                let value = kv.value.ok_or_else(|| AwsError::missing_parameter(&format!("{field}.Value")))?;
                // KeyValue: Key 1 to 128 characters, not starting with aws:; Value at most 256.
                if key.is_empty() || key.chars().count() > 128 || key.to_ascii_lowercase().starts_with("aws:") {
                    return Err(AwsError::invalid_parameter(format!(
                        "{field}: the tag key {key:?} must be 1 to 128 characters and not start with aws:"
                    )));
                }
                if value.chars().count() > 256 {
                    return Err(AwsError::invalid_parameter(format!(
                        "{field}: the value of {key} is over 256 characters"
                    )));
                }
                Ok((key, value))
            })
            .collect()
    };
    Ok((pairs(c.string_equals, "StringEquals")?, pairs(c.string_not_equals, "StringNotEquals")?))
}

/// ProtectedResourceArns and ProtectedResourceConditions: `["*"]` with conditions, or
/// up to 30 specific ARNs without them ("Cannot select by both ... Request will fail
/// if both are included"). Conditions alone choose among every resource of the type.
fn resource_choice(
    arns: Option<Vec<String>>,
    string_equals: &[(String, String)],
    string_not_equals: &[(String, String)],
) -> Result<Vec<String>, AwsError> {
    let conditional = !string_equals.is_empty() || !string_not_equals.is_empty();
    let arns = match arns {
        Some(a) if !a.is_empty() => a,
        _ if conditional => return Ok(vec!["*".to_string()]),
        _ => {
            return Err(AwsError::invalid_parameter("ProtectedResourceArns or ProtectedResourceConditions is required"))
        }
    };
    let wildcard = arns.iter().any(|a| a == "*");
    if wildcard && arns.len() > 1 {
        return Err(AwsError::invalid_parameter("ProtectedResourceArns takes [\"*\"] or specific ARNs, not both"));
    }
    if !wildcard && conditional {
        return Err(AwsError::invalid_parameter(
            "ProtectedResourceConditions may only be used with ProtectedResourceArns [\"*\"]",
        ));
    }
    if arns.len() > ARNS_PER_SELECTION {
        return Err(AwsError::invalid_parameter(format!(
            "ProtectedResourceArns holds {} ARNs; at most {ARNS_PER_SELECTION}",
            arns.len()
        )));
    }
    if let Some(bad) = arns.iter().find(|a| *a != "*" && !a.starts_with("arn:")) {
        return Err(AwsError::invalid_parameter(format!("ProtectedResourceArns: {bad:?} is not an ARN")));
    }
    Ok(arns)
}

fn check_role(arn: &str) -> Result<(), AwsError> {
    let rest = arn.strip_prefix("arn:aws:iam::").and_then(|r| r.split_once(":role/"));
    match rest {
        Some((account, name))
            if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty() =>
        {
            Ok(())
        }
        _ => Err(AwsError::invalid_parameter(format!("IamRoleArn {arn:?} is not an IAM role ARN"))),
    }
}

/// ValidationWindowHours: "0 to 168".
fn validation_window(hours: i64) -> Result<i64, AwsError> {
    if (0..=168).contains(&hours) {
        Ok(hours)
    } else {
        Err(AwsError::invalid_parameter(format!("ValidationWindowHours must be from 0 to 168, got {hours}")))
    }
}

fn resource_type(name: &str) -> Result<ResourceType, AwsError> {
    if !TESTABLE_TYPES.contains(&name) {
        return Err(AwsError::invalid_parameter(format!(
            "ProtectedResourceType must be one of {}, got {name:?}",
            TESTABLE_TYPES.join(", ")
        )));
    }
    ResourceType::parse(name).ok_or_else(|| {
        AwsError::invalid_parameter(format!("ProtectedResourceType {name}: the sandbox has no resources of this type"))
    })
}

fn selection_answer(plan: &RestoreTestingPlan, s: &RestoreTestingSelection) -> Value {
    json!({
        "CreationTime": epoch(s.created),
        "RestoreTestingPlanArn": plan.arn,
        "RestoreTestingPlanName": plan.name,
        "RestoreTestingSelectionName": s.name,
    })
}

/// CreateRestoreTestingSelection (PUT /restore-testing/plans/{name}/selections).
pub fn create_selection(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let input: CreateSelectionInput = body(req)?;
    check_creator_request_id(input.creator_request_id.as_deref())?;
    let sel = input.restore_testing_selection.ok_or_else(|| AwsError::missing_parameter("RestoreTestingSelection"))?;
    let index = plan_index(world, caller, req)?;
    if let Some(id) = &input.creator_request_id {
        let plan = &region_of(world, caller).plans[index];
        if let Some(s) = plan.selections.iter().find(|s| s.creator_request_id.as_deref() == Some(id.as_str())) {
            return Ok(selection_answer(plan, s));
        }
    }
    let name =
        sel.restore_testing_selection_name.ok_or_else(|| AwsError::missing_parameter("RestoreTestingSelectionName"))?;
    check_name("RestoreTestingSelectionName", &name)?;
    let kind = resource_type(
        &sel.protected_resource_type.ok_or_else(|| AwsError::missing_parameter("ProtectedResourceType"))?,
    )?;
    let role = sel.iam_role_arn.ok_or_else(|| AwsError::missing_parameter("IamRoleArn"))?;
    check_role(&role)?;
    let (string_equals, string_not_equals) = conditions(sel.protected_resource_conditions)?;
    let resource_arns = resource_choice(sel.protected_resource_arns, &string_equals, &string_not_equals)?;
    // The model names no default window; the sandbox keeps none (0 hours).
    let validation_window_hours = validation_window(sel.validation_window_hours.unwrap_or(0))?;
    let plan = &mut region_of(world, caller).plans[index];
    if plan.selections.iter().any(|s| s.name == name) {
        return Err(already_exists(format!("Restore testing selection {name} already exists in plan {}", plan.name)));
    }
    if plan.selections.len() >= SELECTIONS_PER_PLAN {
        return Err(limit_exceeded(format!(
            "Restore testing plan {} has {SELECTIONS_PER_PLAN} selections, the most it may have",
            plan.name
        )));
    }
    plan.selections.push(RestoreTestingSelection {
        name,
        created: now,
        iam_role_arn: role,
        resource_type: kind,
        resource_arns,
        string_equals,
        string_not_equals,
        overrides: sel.restore_metadata_overrides.unwrap_or_default(),
        validation_window_hours,
        creator_request_id: input.creator_request_id,
    });
    let plan = &region_of(world, caller).plans[index];
    Ok(selection_answer(plan, &plan.selections[plan.selections.len() - 1]))
}

fn selection_index(world: &mut World, caller: &Caller, req: &Request) -> Result<(usize, usize), AwsError> {
    let index = plan_index(world, caller, req)?;
    let plan = &region_of(world, caller).plans[index];
    let name = &req.labels[1];
    let s = plan.selections.iter().position(|s| s.name == *name).ok_or_else(|| {
        AwsError::not_found(format!("Restore testing selection {name} not found in plan {}", plan.name))
    })?;
    Ok((index, s))
}

/// UpdateRestoreTestingSelection (PUT .../selections/{name}): members not given stay.
/// "If your selection has ProtectedResourceArns, requesting an update with the
/// parameter ProtectedResourceConditions will be unsuccessful."
pub fn update_selection(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let input: UpdateSelectionInput = body(req)?;
    let update =
        input.restore_testing_selection.ok_or_else(|| AwsError::missing_parameter("RestoreTestingSelection"))?;
    let (p, s) = selection_index(world, caller, req)?;
    if let Some(role) = &update.iam_role_arn {
        check_role(role)?;
    }
    let window = update.validation_window_hours.map(validation_window).transpose()?;
    let current = &region_of(world, caller).plans[p].selections[s];
    let specific = current.resource_arns.iter().all(|a| a != "*");
    if specific && update.protected_resource_conditions.is_some() {
        return Err(AwsError::invalid_parameter(
            "This selection chooses resources by ARN; ProtectedResourceConditions cannot be added to it",
        ));
    }
    let changes_choice = update.protected_resource_arns.is_some() || update.protected_resource_conditions.is_some();
    let (eq, not_eq) = match update.protected_resource_conditions {
        Some(c) => conditions(Some(c))?,
        None => (current.string_equals.clone(), current.string_not_equals.clone()),
    };
    let arns = if changes_choice {
        resource_choice(update.protected_resource_arns.or_else(|| Some(current.resource_arns.clone())), &eq, &not_eq)?
    } else {
        current.resource_arns.clone()
    };
    let plan = &mut region_of(world, caller).plans[p];
    let sel = &mut plan.selections[s];
    sel.resource_arns = arns;
    sel.string_equals = eq;
    sel.string_not_equals = not_eq;
    if let Some(role) = update.iam_role_arn {
        sel.iam_role_arn = role;
    }
    if let Some(w) = window {
        sel.validation_window_hours = w;
    }
    if let Some(o) = update.restore_metadata_overrides {
        sel.overrides = o;
    }
    let mut out = selection_answer(plan, &plan.selections[s]);
    out["UpdateTime"] = epoch(now);
    Ok(out)
}

/// DeleteRestoreTestingSelection (DELETE .../selections/{name}).
pub fn delete_selection(world: &mut World, _now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let (p, s) = selection_index(world, caller, req)?;
    region_of(world, caller).plans[p].selections.remove(s);
    Ok(json!({}))
}
