//! Filing a request: checked, its parameters made canonical and hashed, its
//! pre-flight checks run, stored waiting for approval, and the approvers told.

use shared::NewRequest;

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
    let cfg = &s.config;
    let (params, params_hash) = super::canonical_params(input, &rp, cfg)?;
    let preflight = super::preflight(&s.syncer, &s.store, &params, &rp).await;
    let now = s.now();
    let row = RequestRow {
        id: uuid::Uuid::new_v4().to_string(),
        kind: input.kind.as_str().into(),
        status: "pending_approval".into(),
        requester: requester.to_string(),
        requester_name: requester_name.to_string(),
        account_id: rp.account_id.clone(),
        region: rp.region.clone(),
        params,
        params_hash,
        justification: input.justification.trim().to_string(),
        ticket: input.ticket.clone().filter(|t| !t.trim().is_empty()),
        preflight,
        approvals_needed: cfg.requests.approvals_needed,
        created_at: now,
        expires_at: now + cfg.requests.expiry_hours * 3_600_000,
        updated_at: now,
        copy_token: None,
        copy_started_at: None,
        copy_job_id: None,
        copy_state: None,
        destination_recovery_point_arn: None,
        restore_token: None,
        restore_started_at: None,
        restore_job_id: None,
        restore_state: None,
        created_resource_arn: None,
        error: None,
    };
    s.store.insert_request(&row).await?;
    let text = format!(
        "{} asks for a {} of {} in account {}: {}",
        row.requester_name,
        row.kind.replace('_', " "),
        row.param("resource_arn").unwrap_or_default(),
        row.account_id,
        row.justification
    );
    let details = serde_json::json!({"request_id": row.id, "kind": row.kind, "params_hash": row.params_hash});
    s.notifier.enqueue("request_pending", &format!("request:{}", row.id), text, details).await?;
    Ok(row)
}
