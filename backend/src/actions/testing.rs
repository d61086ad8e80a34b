//! Restore testing plans and selections changed through requests: the input is
//! checked against the AWS Backup model's constraints (CreateRestoreTestingPlan,
//! CreateRestoreTestingSelection and their updates), made canonical (defaults
//! filled, lists sorted) so that approvers approve exactly what will be sent,
//! and checked before approval against AWS and the inventory.

use serde_json::{json, Value};
use shared::{NewTestingRequest, PreflightCheck, RequestKind, Tag, TestingPlanSpec, TestingSelectionSpec};

use crate::app::AppError;
use crate::aws::failure;
use crate::config::Config;
use crate::domain::{AccountId, Region, RoleArn};
use crate::store::{ListQuery, Store};
use crate::sync::Syncer;

/// The resource types a selection may name (RestoreTestingSelectionForCreate.ProtectedResourceType).
pub const TESTABLE_TYPES: [&str; 10] =
    ["Aurora", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "RDS", "S3"];

fn bad(message: String) -> AppError {
    AppError::bad("invalid_parameter", message)
}

/// Plan and selection names: "only alphanumeric characters and underscores. Maximum length is 50."
pub fn valid_name(name: &str) -> bool {
    (1..=50).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A new name follows the model's rule; the name of an existing plan or selection
/// is taken as AWS reports it (the rule is not known to have always held).
fn check_name(field: &str, name: &str, new: bool) -> Result<(), AppError> {
    if new && !valid_name(name) {
        return Err(bad(format!("{field}: {name:?} must be 1 to 50 letters, digits or underscores")));
    }
    if name.trim().is_empty() || name.len() > 256 {
        return Err(bad(format!("{field}: name the plan or selection (at most 256 characters)")));
    }
    Ok(())
}

/// `cron(` six fields `)` or `rate(N minute(s)|hour(s)|day(s))`; AWS checks the fields.
fn valid_schedule(expression: &str) -> bool {
    if let Some(body) = expression.strip_prefix("cron(").and_then(|b| b.strip_suffix(')')) {
        let fields: Vec<&str> = body.split_whitespace().collect();
        return fields.len() == 6
            && fields.iter().all(|f| f.bytes().all(|b| b.is_ascii_alphanumeric() || b",-*/?#LW".contains(&b)));
    }
    if let Some(body) = expression.strip_prefix("rate(").and_then(|b| b.strip_suffix(')')) {
        let parts: Vec<&str> = body.split_whitespace().collect();
        return matches!(parts.as_slice(), [n, unit]
            if n.parse::<u32>().is_ok_and(|n| n > 0)
                && ["minute", "minutes", "hour", "hours", "day", "days"].contains(unit));
    }
    false
}

fn valid_timezone(tz: &str) -> bool {
    (1..=64).contains(&tz.len())
        && tz.starts_with(|c: char| c.is_ascii_alphabetic())
        && tz.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
}

fn vault_pattern(v: &str) -> bool {
    v == "*" || (v.starts_with("arn:aws") && v.contains(":backup-vault:"))
}

fn in_range(field: &str, value: i64, lo: i64, hi: i64) -> Result<i64, AppError> {
    if (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(bad(format!("{field}: from {lo} to {hi}, got {value}")))
    }
}

/// A plan's settings with AWS's documented defaults filled in.
fn canonical_plan(p: &TestingPlanSpec) -> Result<Value, AppError> {
    let schedule = p.schedule_expression.trim();
    if !valid_schedule(schedule) {
        return Err(bad(format!(
            "plan.schedule_expression: {schedule:?} is not cron(min hour day-of-month month day-of-week year) or rate(N unit)"
        )));
    }
    if let Some(tz) = p.schedule_timezone.as_deref().filter(|tz| !valid_timezone(tz)) {
        return Err(bad(format!("plan.schedule_timezone: {tz:?} is not a time zone name such as Europe/Berlin")));
    }
    let start = in_range("plan.start_window_hours", p.start_window_hours.unwrap_or(24), 1, 168)?;
    let lookback = in_range("plan.selection_window_days", p.selection_window_days.unwrap_or(30), 1, 365)?;
    if !["LATEST_WITHIN_WINDOW", "RANDOM_WITHIN_WINDOW"].contains(&p.algorithm.as_str()) {
        return Err(bad(format!(
            "plan.algorithm: LATEST_WITHIN_WINDOW or RANDOM_WITHIN_WINDOW, got {:?}",
            p.algorithm
        )));
    }
    if p.include_vaults.is_empty() {
        return Err(bad("plan.include_vaults: name one or more vault ARNs, or *".into()));
    }
    for (field, list) in [("plan.include_vaults", &p.include_vaults), ("plan.exclude_vaults", &p.exclude_vaults)] {
        if let Some(v) = list.iter().find(|v| !vault_pattern(v)) {
            return Err(bad(format!("{field}: {v:?} is not a backup vault ARN (wildcards allowed) or *")));
        }
    }
    let mut types = p.recovery_point_types.clone();
    types.sort();
    types.dedup();
    if types.is_empty() || types.iter().any(|t| t != "SNAPSHOT" && t != "CONTINUOUS") {
        return Err(bad(format!("plan.recovery_point_types: SNAPSHOT and/or CONTINUOUS, got {types:?}")));
    }
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v.dedup();
        v
    };
    Ok(json!({
        "schedule_expression": schedule,
        "schedule_timezone": p.schedule_timezone,
        "start_window_hours": start,
        "algorithm": p.algorithm,
        "selection_window_days": lookback,
        "include_vaults": sorted(&p.include_vaults),
        "exclude_vaults": sorted(&p.exclude_vaults),
        "recovery_point_types": types,
    }))
}

fn canonical_conditions(field: &str, list: &[Tag]) -> Result<Vec<Value>, AppError> {
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(list.len());
    for c in list {
        // KeyValue: a key of 1 to 128 characters, not starting with aws:; a value of at most 256.
        if c.key.is_empty() || c.key.chars().count() > 128 || c.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(bad(format!(
                "{field}: the tag key {:?} must be 1 to 128 characters and not start with aws:",
                c.key
            )));
        }
        if c.value.chars().count() > 256 {
            return Err(bad(format!("{field}: the value of {} is longer than 256 characters", c.key)));
        }
        pairs.push((c.key.clone(), c.value.clone()));
    }
    pairs.sort();
    pairs.dedup();
    Ok(pairs.into_iter().map(|(key, value)| json!({"key": key, "value": value})).collect())
}

/// A selection's settings: `["*"]` with tag conditions, or up to 30 specific ARNs
/// without them (the model: "Cannot select by both ... Request will fail if both are included").
fn canonical_selection(s: &TestingSelectionSpec, account: &str, cfg: &Config) -> Result<Value, AppError> {
    if !TESTABLE_TYPES.contains(&s.resource_type.as_str()) {
        return Err(bad(format!(
            "selection.resource_type: one of {}, got {:?}",
            TESTABLE_TYPES.join(", "),
            s.resource_type
        )));
    }
    let equals = canonical_conditions("selection.string_equals", &s.string_equals)?;
    let not_equals = canonical_conditions("selection.string_not_equals", &s.string_not_equals)?;
    let by_tags = !equals.is_empty() || !not_equals.is_empty();
    let mut arns = s.resource_arns.iter().map(|a| a.trim().to_string()).collect::<Vec<_>>();
    arns.sort();
    arns.dedup();
    if arns.is_empty() && by_tags {
        arns.push("*".into());
    }
    let wildcard = arns.iter().any(|a| a == "*");
    if arns.is_empty() {
        return Err(bad("selection.resource_arns: name resources by ARN, or * with tag conditions".into()));
    }
    if wildcard && arns.len() > 1 {
        return Err(bad("selection.resource_arns: * or specific ARNs, not both".into()));
    }
    if !wildcard && by_tags {
        return Err(bad("selection.string_equals/string_not_equals: tag conditions need resource_arns [\"*\"]".into()));
    }
    if arns.len() > 30 {
        return Err(bad(format!("selection.resource_arns: at most 30 ARNs, got {}", arns.len())));
    }
    if let Some(a) = arns.iter().find(|a| *a != "*" && !crate::domain::is_arn(a)) {
        return Err(bad(format!("selection.resource_arns: {a:?} is not an ARN")));
    }
    let window = in_range("selection.validation_window_hours", s.validation_window_hours.unwrap_or(0), 0, 168)?;
    if let Some(k) = s.restore_metadata_overrides.keys().find(|k| k.trim().is_empty() || k.len() > 128) {
        return Err(bad(format!("selection.restore_metadata_overrides: {k:?} is not a metadata key")));
    }
    let role = s.iam_role_arn.clone().unwrap_or_else(|| cfg.backup_role(account));
    if !RoleArn::is(&role) {
        return Err(bad(format!("selection.iam_role_arn: {role:?} is not an IAM role ARN")));
    }
    Ok(json!({
        "resource_type": s.resource_type,
        "resource_arns": arns,
        "string_equals": equals,
        "string_not_equals": not_equals,
        "validation_window_hours": window,
        "restore_metadata_overrides": s.restore_metadata_overrides,
        "iam_role_arn": role,
    }))
}

/// What each kind takes: (a plan, a selection, a selection name), required or refused.
fn shape(kind: RequestKind) -> Option<(bool, Option<bool>, bool)> {
    use RequestKind::*;
    match kind {
        CreateTestingPlan => Some((true, None, false)),
        UpdateTestingPlan => Some((true, Some(false), false)),
        DeleteTestingPlan => Some((false, Some(false), false)),
        CreateTestingSelection | UpdateTestingSelection => Some((false, Some(true), true)),
        DeleteTestingSelection => Some((false, Some(false), true)),
        Restore | Copy | CrossAccountRestore => None,
    }
}

/// The canonical parameters of a restore testing change (what approvers approve).
pub fn canonical_params(input: &NewTestingRequest, cfg: &Config) -> Result<Value, AppError> {
    let (takes_plan, takes_selection, needs_selection_name) = shape(input.kind)
        .ok_or_else(|| bad(format!("kind: {} is asked for at /api/v1/requests with a recovery point", input.kind)))?;
    super::check_justification(&input.justification, input.ticket.as_deref())?;
    let account = AccountId::parse(&input.account_id).map_err(|e| bad(format!("account_id: {e}")))?;
    let region = Region::parse(&input.region).map_err(|e| bad(format!("region: {e}")))?;
    check_name("plan_name", &input.plan_name, input.kind == RequestKind::CreateTestingPlan)?;
    let plan = match (&input.plan, takes_plan) {
        (Some(p), true) => canonical_plan(p)?,
        (None, true) => return Err(bad(format!("plan: the plan's settings are required to {}", input.kind.label()))),
        (Some(_), false) => return Err(bad(format!("plan: not taken to {}", input.kind.label()))),
        (None, false) => Value::Null,
    };
    let selection = match (&input.selection, takes_selection) {
        (Some(s), None | Some(true)) => canonical_selection(s, account.as_str(), cfg)?,
        (None, Some(true)) => {
            return Err(bad(format!("selection: the selection's settings are required to {}", input.kind.label())))
        }
        (Some(_), Some(false)) => return Err(bad(format!("selection: not taken to {}", input.kind.label()))),
        (None, _) => Value::Null,
    };
    let needs_name = needs_selection_name || !selection.is_null();
    let selection_name = match (&input.selection_name, needs_name) {
        (Some(n), true) => {
            let new = matches!(input.kind, RequestKind::CreateTestingPlan | RequestKind::CreateTestingSelection);
            check_name("selection_name", n, new)?;
            json!(n)
        }
        (None, true) => return Err(bad("selection_name: required with a selection".into())),
        (Some(_), false) => return Err(bad(format!("selection_name: not taken to {}", input.kind.label()))),
        (None, false) => Value::Null,
    };
    Ok(json!({
        "kind": input.kind,
        "account_id": account.as_str(),
        "region": region.as_str(),
        "plan_name": input.plan_name,
        "plan": plan,
        "selection_name": selection_name,
        "selection": selection,
    }))
}

fn check(name: &str, ok: Option<bool>, detail: impl Into<String>) -> PreflightCheck {
    PreflightCheck { check: name.into(), ok, detail: detail.into() }
}

fn exists<T>(result: Result<Option<T>, crate::aws::AwsFailure>) -> Result<(bool, Option<T>), String> {
    result.map(|v| (v.is_some(), v)).map_err(|f| f.to_string())
}

/// Checks a restore testing change before approval: the account's roles, the plan
/// and selection as AWS has them now, the vaults and resources it names.
pub async fn preflight(syncer: &Syncer, store: &Store, params: &Value) -> Vec<PreflightCheck> {
    let mut checks = Vec::new();
    let text = |k: &str| params[k].as_str().unwrap_or_default().to_string();
    let (account, region, plan_name) = (text("account_id"), text("region"), text("plan_name"));
    let kind: RequestKind = text("kind").parse().unwrap_or_default();

    match syncer.operator_role(&account).await {
        Ok(Some(role)) => {
            checks.push(check("operator role", Some(true), format!("the change is made as {}", role.role_arn)))
        }
        Ok(None) => checks.push(check(
            "operator role",
            Some(false),
            format!("account {account} has no operator role (accounts[].operator_role_arn): nothing can be changed"),
        )),
        Err(e) => checks.push(check("operator role", None, e.to_string())),
    }
    let role = match syncer.read_role(&account).await {
        Ok(Some(role)) => role,
        Ok(None) => {
            checks.push(check("account registered", Some(false), format!("account {account} is not registered")));
            return checks;
        }
        Err(e) => {
            checks.push(check("account registered", None, e.to_string()));
            return checks;
        }
    };
    let client = syncer.aws().backup(&role, &region).await;

    let plan =
        exists(crate::aws::found(client.get_restore_testing_plan().restore_testing_plan_name(&plan_name).send().await));
    match (&plan, kind) {
        (Err(e), _) => checks.push(check(
            "restore testing plan",
            None,
            format!("AWS could not be read through the read role: {e}"),
        )),
        (Ok((found, _)), RequestKind::CreateTestingPlan) => checks.push(check(
            "plan name free",
            Some(!found),
            if *found {
                format!("{plan_name} exists in {account} {region}")
            } else {
                format!("no plan {plan_name} in {account} {region}")
            },
        )),
        (Ok((found, _)), _) => checks.push(check(
            "plan exists",
            Some(*found),
            if *found {
                format!("{plan_name} exists in {account} {region}")
            } else {
                format!("AWS knows no plan {plan_name} in {account} {region}")
            },
        )),
    }
    let plan_found = matches!(plan, Ok((true, _)));

    if kind == RequestKind::DeleteTestingPlan && plan_found {
        let pages: Result<Vec<_>, _> = client
            .list_restore_testing_selections()
            .restore_testing_plan_name(&plan_name)
            .into_paginator()
            .send()
            .try_collect()
            .await;
        match pages {
            Ok(pages) => {
                let names: Vec<String> = pages
                    .iter()
                    .flat_map(|p| p.restore_testing_selections())
                    .map(|s| s.restore_testing_selection_name().to_string())
                    .collect();
                checks.push(check(
                    "plan has no selections",
                    Some(names.is_empty()),
                    if names.is_empty() {
                        "AWS deletes a plan only without selections: it has none".to_string()
                    } else {
                        format!("AWS will refuse: delete its selections first ({})", names.join(", "))
                    },
                ));
            }
            Err(e) => checks.push(check("plan has no selections", None, failure(&e).to_string())),
        }
    }

    if let Some(name) = params["selection_name"].as_str().filter(|_| plan_found) {
        let got = exists(crate::aws::found(
            client
                .get_restore_testing_selection()
                .restore_testing_plan_name(&plan_name)
                .restore_testing_selection_name(name)
                .send()
                .await,
        ));
        match (got, kind) {
            (Err(e), _) => checks.push(check("restore testing selection", None, e)),
            (Ok((found, _)), RequestKind::CreateTestingSelection) => checks.push(check(
                "selection name free",
                Some(!found),
                if found {
                    format!("{plan_name} already has a selection {name}")
                } else {
                    format!("{plan_name} has no selection {name}")
                },
            )),
            (Ok((found, got)), _) => {
                checks.push(check(
                    "selection exists",
                    Some(found),
                    if found {
                        format!("{plan_name} has a selection {name}")
                    } else {
                        format!("{plan_name} has no selection {name}")
                    },
                ));
                let current =
                    got.and_then(|g| g.restore_testing_selection().map(|s| s.protected_resource_type().to_string()));
                if let (Some(current), Some(wanted)) = (current, params["selection"]["resource_type"].as_str()) {
                    checks.push(check(
                        "resource type unchanged",
                        Some(current == wanted),
                        format!("AWS does not change a selection's resource type: it is {current}, the request says {wanted}"),
                    ));
                }
            }
        }
    }

    if !params["plan"].is_null() {
        checks.push(vault_check(store, &account, &region, &params["plan"]).await);
    }
    if !params["selection"].is_null() {
        checks.extend(selection_checks(store, &account, &region, &params["selection"]).await);
    }
    checks
}

/// The plan's vault ARNs against the vaults the console knows in the account and region.
async fn vault_check(store: &Store, account: &str, region: &str, plan: &Value) -> PreflightCheck {
    let q = ListQuery {
        limit: 1000,
        account_id: Some(account.into()),
        region: Some(region.into()),
        ..ListQuery::default()
    };
    let vaults = crate::store::all_pages_of(
        |q| {
            let store = store.clone();
            async move { store.list_vaults(&q).await }
        },
        q,
    )
    .await;
    let vaults = match vaults {
        Ok(v) => v,
        Err(e) => return check("vaults exist", None, e.to_string()),
    };
    let patterns: Vec<&str> =
        plan["include_vaults"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let matching = |p: &str| vaults.iter().filter(|v| crate::domain::wildcard(p, &v.arn)).count();
    let missing: Vec<&str> = patterns.iter().copied().filter(|p| matching(p) == 0).collect();
    let total: usize = vaults.iter().filter(|v| patterns.iter().any(|p| crate::domain::wildcard(p, &v.arn))).count();
    if missing.is_empty() {
        check(
            "vaults exist",
            Some(true),
            format!("the plan may choose from {total} vault(s) known in {account} {region}"),
        )
    } else {
        check(
            "vaults exist",
            Some(false),
            format!("no vault known in {account} {region} matches {}", missing.join(", ")),
        )
    }
}

/// The selection's ARNs against the inventory, and its role against the account.
async fn selection_checks(store: &Store, account: &str, region: &str, sel: &Value) -> Vec<PreflightCheck> {
    let mut checks = Vec::new();
    let kind = sel["resource_type"].as_str().unwrap_or_default();
    let arns: Vec<&str> = sel["resource_arns"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if arns != ["*"] {
        let mut problems = Vec::new();
        for arn in &arns {
            match store.owned_protected_resource(arn, 0).await {
                Ok(found) => match found {
                    None => problems.push(format!("{arn} is not a protected resource the console knows")),
                    Some(r) if r.resource_type != kind => {
                        problems.push(format!("{arn} is {}, not {kind}", r.resource_type))
                    }
                    Some(r) if r.account_id != account || r.region != region => {
                        problems.push(format!("{arn} is in {} {}, not {account} {region}", r.account_id, r.region))
                    }
                    Some(_) => {}
                },
                Err(e) => problems.push(e.to_string()),
            }
        }
        checks.push(check(
            "resources known",
            Some(problems.is_empty()),
            if problems.is_empty() {
                format!("{} {kind} resource(s) of {account} {region} in the inventory", arns.len())
            } else {
                problems.join("; ")
            },
        ));
    } else {
        checks.push(check(
            "resources known",
            Some(true),
            format!("every {kind} resource of {account} {region} its tag conditions match"),
        ));
    }
    let role = sel["iam_role_arn"].as_str().unwrap_or_default();
    let in_account = role.split(':').nth(4) == Some(account);
    checks.push(check(
        "restore role in the account",
        Some(in_account),
        if in_account {
            format!("AWS Backup restores with {role}; the operator role needs iam:PassRole on it")
        } else {
            format!("{role} is not a role of {account}: the tests' restores would fail")
        },
    ));
    checks
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// A change of a valid request that makes it invalid.
    type Breaks = Box<dyn Fn(&mut NewTestingRequest)>;

    fn request() -> NewTestingRequest {
        NewTestingRequest {
            kind: RequestKind::CreateTestingSelection,
            account_id: "111111111111".into(),
            region: "ap-southeast-2".into(),
            plan_name: "daily_plan".into(),
            selection_name: Some("mydb".into()),
            selection: Some(TestingSelectionSpec {
                resource_type: "RDS".into(),
                resource_arns: vec!["arn:aws:rds:ap-southeast-2:111111111111:db:mydb".into()],
                ..Default::default()
            }),
            justification: "mydb has never been restore-tested".into(),
            ..Default::default()
        }
    }

    fn plan() -> TestingPlanSpec {
        TestingPlanSpec {
            schedule_expression: "cron(0 5 ? * * *)".into(),
            algorithm: "LATEST_WITHIN_WINDOW".into(),
            include_vaults: vec!["*".into()],
            recovery_point_types: vec!["SNAPSHOT".into()],
            ..Default::default()
        }
    }

    fn refused(input: &NewTestingRequest) -> String {
        match canonical_params(input, &Config::default()) {
            Err(AppError::BadRequest { message, .. }) => message,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn defaults_are_filled_and_lists_sorted() {
        let mut input = request();
        input.kind = RequestKind::CreateTestingPlan;
        input.plan =
            Some(TestingPlanSpec { recovery_point_types: vec!["SNAPSHOT".into(), "CONTINUOUS".into()], ..plan() });
        let p = canonical_params(&input, &Config::default()).unwrap();
        assert_eq!(p["plan"]["start_window_hours"], 24);
        assert_eq!(p["plan"]["selection_window_days"], 30);
        assert_eq!(p["plan"]["recovery_point_types"], json!(["CONTINUOUS", "SNAPSHOT"]));
        assert_eq!(p["selection"]["validation_window_hours"], 0);
        assert_eq!(
            p["selection"]["iam_role_arn"],
            "arn:aws:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole"
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases: Vec<(Breaks, &str)> = vec![
            (Box::new(|r| r.plan_name = String::new()), "plan_name"),
            (Box::new(|r| r.selection_name = Some("has-hyphen".into())), "selection_name"),
            (Box::new(|r| r.selection_name = Some("x".repeat(51))), "selection_name"),
            (Box::new(|r| r.account_id = "1234".into()), "account_id"),
            (Box::new(|r| r.justification = "short".into()), "justification"),
            (
                Box::new(|r| r.selection.as_mut().unwrap().validation_window_hours = Some(169)),
                "selection.validation_window_hours",
            ),
            (Box::new(|r| r.selection.as_mut().unwrap().resource_type = "Lambda".into()), "selection.resource_type"),
            (Box::new(|r| r.selection.as_mut().unwrap().resource_arns = vec![]), "selection.resource_arns"),
            (
                Box::new(|r| {
                    r.selection.as_mut().unwrap().resource_arns =
                        (0..31).map(|i| format!("arn:aws:rds:ap-southeast-2:111111111111:db:d{i}")).collect()
                }),
                "at most 30",
            ),
            (
                Box::new(|r| {
                    r.selection.as_mut().unwrap().string_equals = vec![Tag { key: "env".into(), value: "prod".into() }]
                }),
                "tag conditions need",
            ),
            (
                Box::new(|r| r.selection.as_mut().unwrap().iam_role_arn = Some("BackupRole".into())),
                "selection.iam_role_arn",
            ),
            (Box::new(|r| r.plan = Some(plan())), "plan: not taken"),
            (Box::new(|r| r.selection = None), "selection: the selection's settings are required"),
            (Box::new(|r| r.kind = RequestKind::Restore), "kind"),
        ];
        for (change, field) in cases {
            let mut input = request();
            change(&mut input);
            let message = refused(&input);
            assert!(message.contains(field), "{field}: {message}");
        }
        let plan_cases: Vec<(TestingPlanSpec, &str)> = vec![
            (TestingPlanSpec { schedule_expression: "every day".into(), ..plan() }, "plan.schedule_expression"),
            (TestingPlanSpec { start_window_hours: Some(0), ..plan() }, "plan.start_window_hours"),
            (TestingPlanSpec { selection_window_days: Some(366), ..plan() }, "plan.selection_window_days"),
            (TestingPlanSpec { algorithm: "NEWEST".into(), ..plan() }, "plan.algorithm"),
            (TestingPlanSpec { include_vaults: vec![], ..plan() }, "plan.include_vaults"),
            (TestingPlanSpec { include_vaults: vec!["my-vault".into()], ..plan() }, "plan.include_vaults"),
            (TestingPlanSpec { recovery_point_types: vec!["FULL".into()], ..plan() }, "plan.recovery_point_types"),
            (TestingPlanSpec { schedule_timezone: Some("Mars Time".into()), ..plan() }, "plan.schedule_timezone"),
        ];
        for (p, field) in plan_cases {
            let mut input = request();
            input.kind = RequestKind::UpdateTestingPlan;
            input.selection = None;
            input.selection_name = None;
            input.plan = Some(p);
            let message = refused(&input);
            assert!(message.contains(field), "{field}: {message}");
        }
    }

    #[test]
    fn wildcard_with_tags_is_a_choice_by_tags() {
        let mut input = request();
        let sel = input.selection.as_mut().unwrap();
        sel.resource_arns = vec![];
        sel.string_equals = vec![Tag { key: "env".into(), value: "prod".into() }];
        let p = canonical_params(&input, &Config::default()).unwrap();
        assert_eq!(p["selection"]["resource_arns"], json!(["*"]));
        assert_eq!(p["selection"]["string_equals"], json!([{"key": "env", "value": "prod"}]));
    }
}
