//! Filing a request: checked, its parameters made canonical and hashed, its
//! pre-flight checks run, stored waiting for approval, and the approvers told.

use serde_json::Value;
use shared::{NewRequest, NewTestingRequest, PreflightCheck, RequestKind};

use crate::app::{AppError, Console};
use crate::store::RequestRow;

/// Checks a request, runs its pre-flight checks, stores it waiting for approval
/// and notifies the approvers (the request form's and the drills' way in).
pub async fn submit(
    s: &Console,
    requester: &str,
    requester_name: &str,
    input: &NewRequest,
) -> Result<RequestRow, AppError> {
    let rp = s.store.recovery_point(&input.recovery_point_arn).await?.ok_or_else(|| AppError::Unprocessable {
        code: "unknown_recovery_point",
        message: format!("recovery point {:?} has not been synced", input.recovery_point_arn),
    })?;
    // A composite point (a CloudFormation stack's) only groups its members' points; the
    // console restores and copies those, not stacks.
    if rp.is_parent {
        return Err(AppError::Unprocessable {
            code: "composite_recovery_point",
            message: format!(
                "recovery point {:?} is the composite point of {}: restore or copy its members' recovery points (those whose parent_recovery_point_arn names it)",
                rp.recovery_point_arn, rp.resource_arn
            ),
        });
    }
    let registered = s.syncer.registered_accounts().await?;
    let base = restore_base(s, input, &rp).await?;
    let (params, _) = super::canonical_params(input, &rp, &s.config, &registered, &base)?;
    let preflight = super::preflight(&s.syncer, &s.store, &params, &rp).await;
    let what = format!("for a {} of {}", input.kind.label(), rp.resource_arn);
    let filed = Filed { kind: input.kind, account_id: &rp.account_id, region: &rp.region, params, preflight };
    file(s, requester, requester_name, filed, &input.justification, input.ticket.as_deref(), &what).await
}

/// Checks a change of restore testing (a plan or a selection created, changed or
/// deleted), runs its pre-flight checks against AWS and the inventory, and files it.
pub async fn submit_testing(
    s: &Console,
    requester: &str,
    requester_name: &str,
    input: &NewTestingRequest,
) -> Result<RequestRow, AppError> {
    let input = &with_subnet_group(s, input).await?;
    let params = super::testing::canonical_params(input, &s.config)?;
    if s.syncer.read_role(&input.account_id).await?.is_none() {
        return Err(AppError::Unprocessable {
            code: "unknown_account",
            message: format!("account_id: {} is not registered with the console", input.account_id),
        });
    }
    let preflight = super::testing::preflight(&s.syncer, &s.store, &params).await;
    let what = match &input.selection_name {
        Some(sel) => format!("to {} {sel} of plan {}", input.kind.label(), input.plan_name),
        None => format!("to {} {}", input.kind.label(), input.plan_name),
    };
    let filed = Filed { kind: input.kind, account_id: &input.account_id, region: &input.region, params, preflight };
    file(s, requester, requester_name, filed, &input.justification, input.ticket.as_deref(), &what).await
}

/// What a request asks for, checked and made canonical.
struct Filed<'a> {
    kind: RequestKind,
    account_id: &'a str,
    region: &'a str,
    params: Value,
    preflight: Vec<PreflightCheck>,
}

/// Stores a checked request waiting for approval and tells the approvers.
async fn file(
    s: &Console,
    requester: &str,
    requester_name: &str,
    f: Filed<'_>,
    justification: &str,
    ticket: Option<&str>,
    what: &str,
) -> Result<RequestRow, AppError> {
    let cfg = &s.config;
    let now = s.now();
    let params_hash = super::params_hash(&f.params);
    let row = RequestRow {
        id: uuid::Uuid::new_v4().to_string(),
        kind: f.kind.as_str().into(),
        status: "pending_approval".into(),
        requester: requester.to_string(),
        requester_name: requester_name.to_string(),
        account_id: f.account_id.to_string(),
        region: f.region.to_string(),
        params: f.params,
        params_hash,
        justification: justification.trim().to_string(),
        ticket: ticket.map(str::to_string).filter(|t| !t.trim().is_empty()),
        preflight: f.preflight,
        approvals_needed: cfg.requests.approvals_needed,
        created_at: now,
        expires_at: now + cfg.requests.expiry_hours * 3_600_000,
        updated_at: now,
        ..RequestRow::default()
    };
    s.store.insert_request(&row).await?;
    let text = format!("{} asks {what} in account {}: {}", row.requester_name, row.account_id, row.justification);
    let details = serde_json::json!({"request_id": row.id, "kind": row.kind, "params_hash": row.params_hash});
    // The request and its audit record are committed: a webhook that cannot be queued
    // is logged, never turned into an error that would make the client file it again.
    if let Err(e) = s.notifier.enqueue("request_pending", &format!("request:{}", row.id), text, details).await {
        tracing::error!(request = %row.id, error = %e, "request_pending webhook not queued");
    }
    Ok(row)
}

/// The recovery point's own restore metadata, read live, for a restore that starts
/// from it (every type but DynamoDB); an empty map for copies and DynamoDB.
pub async fn restore_base(
    s: &Console,
    input: &NewRequest,
    rp: &shared::RecoveryPoint,
) -> Result<std::collections::BTreeMap<String, String>, AppError> {
    if input.kind == RequestKind::Copy || !super::starts_from_recovery_point(&rp.resource_type) {
        return Ok(Default::default());
    }
    s.syncer.restore_metadata(rp).await.map_err(|e| AppError::Unprocessable {
        code: "restore_metadata_unavailable",
        message: format!(
            "the recovery point's restore metadata could not be read (GetRecoveryPointRestoreMetadata): {e}"
        ),
    })
}

/// RDS restore tests restore into the default VPC unless an override names the DB
/// subnet group ("AWS Backup can infer that a resource should be restored to the
/// default setting, such as ... the default VPC. However, if the default is not
/// present ... and no metadata override has been input, the restore will not be
/// successful": Developer Guide, "Restore testing inferred metadata"). An RDS
/// selection of named instances without that override takes the DB subnet group
/// their newest recovery points' metadata names (read live), when they all name the
/// same one; approvers see it in the parameters.
async fn with_subnet_group(s: &Console, input: &NewTestingRequest) -> Result<NewTestingRequest, AppError> {
    let mut input = input.clone();
    let Some(sel) = input.selection.as_mut() else { return Ok(input) };
    let named = sel.restore_metadata_overrides.keys().any(|k| k.eq_ignore_ascii_case("dbSubnetGroupName"));
    if sel.resource_type != "RDS" || named || sel.resource_arns.iter().any(|a| a.contains('*')) {
        return Ok(input);
    }
    let mut groups = std::collections::BTreeSet::new();
    for arn in &sel.resource_arns {
        let q = crate::store::ListQuery {
            limit: 20,
            resource_arn: Some(arn.clone()),
            account_id: Some(input.account_id.clone()),
            ..Default::default()
        };
        let (points, _) = s.store.list_recovery_points(&q).await?;
        let Some(rp) = points.iter().find(|p| shared::recovery_point_usable(&p.status)) else { return Ok(input) };
        let Ok(metadata) = s.syncer.restore_metadata(rp).await else { return Ok(input) };
        match metadata.iter().find(|(k, _)| k.eq_ignore_ascii_case("dbSubnetGroupName")) {
            Some((_, group)) => groups.insert(group.clone()),
            None => return Ok(input),
        };
    }
    if let (1, Some(group)) = (groups.len(), groups.first()) {
        sel.restore_metadata_overrides.insert("dbSubnetGroupName".into(), group.clone());
    }
    Ok(input)
}
