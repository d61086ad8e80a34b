//! Restore and copy requests: ask, approve or reject, cancel, follow; and the audit log.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use shared::{ActionRequest, AuditRecord, AuditVerification, DecisionInput, NewRequest, NewTestingRequest, Page};

use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{cursor_param, Params};
use super::{AppError, AppState};
use crate::actions;
use crate::auth::Identity;
use crate::csv_export::audit_csv;
use crate::store::{ndjson_line, AuditQuery, DecideOutcome, RequestQuery};

pub(super) fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes, example: &str) -> Result<T, AppError> {
    let bad = |e: serde_json::Error| AppError::bad("invalid_body", format!("{e}; for example {example}"));
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(bad)?;
    // PostgreSQL cannot store a NUL in text (SQLite can): refused alike on both engines.
    if let Some(field) = nul_in(&value, "") {
        return Err(AppError::bad(
            "invalid_parameter",
            format!("{field}: contains a NUL character (\\u0000), which is not accepted"),
        ));
    }
    whole_numbers(&mut value);
    serde_json::from_value(value).map_err(bad)
}

/// `2.0` is the integer 2 to JSON Schema (and to JavaScript), so a field the
/// document calls an integer takes it; serde alone would refuse it.
fn whole_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15) {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// The path of the first string (or key) in `v` holding a NUL character.
fn nul_in(v: &serde_json::Value, at: &str) -> Option<String> {
    let join = |key: &str| if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
    match v {
        serde_json::Value::String(text) => text.contains('\0').then(|| at.to_string()),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| nul_in(item, &format!("{at}[{i}]")))
        }
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, value)| {
            if key.contains('\0') {
                Some(join(&key.replace('\0', "\\u0000")))
            } else {
                nul_in(value, &join(key))
            }
        }),
        _ => None,
    }
}

/// The request list's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestListParams {
    /// Only requests in this state.
    #[param(value_type = Option<shared::RequestStatus>, inline)]
    status: Option<String>,
    /// `true`: only the caller's own requests.
    mine: Option<bool>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^v1\\.-?[0-9]{1,18}\\.([0-9a-f]{2}){1,2048}$")]
    cursor: Option<String>,
}

/// The audit search's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Who acted (the subject).
    actor: Option<String>,
    /// What was done, e.g. `request.approved`.
    action: Option<String>,
    /// What it was done to, e.g. `request:<id>`.
    subject: Option<String>,
    /// At or after (YYYY-MM-DD, or RFC 3339; UTC).
    #[param(format = Date)]
    after: Option<String>,
    /// Before (YYYY-MM-DD, or RFC 3339; UTC).
    #[param(format = Date)]
    before: Option<String>,
    /// Items per page (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^v1\\.-?[0-9]{1,18}\\.([0-9a-f]{2}){1,2048}$")]
    cursor: Option<String>,
}

/// The audit export's parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `ndjson` (default) or `csv`.
    #[param(inline)]
    format: Option<ExportFormat>,
}

/// The formats of the audit export.
#[derive(Deserialize, utoipa::ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

/// Every account a request touches: the account of the vault holding its recovery
/// point, the resource's own account (from its ARN; EBS/EC2 recovery points and S3
/// ARNs carry none), the destination vault's account and the account restored into.
/// A copy of account A's data in a central vault is still A's data, and a restore into
/// A changes A: each of their approver lists applies (security review, finding 1).
fn touched_accounts(account_id: &str, params: &serde_json::Value) -> std::collections::BTreeSet<String> {
    let arn_account = |arn: &str| {
        arn.split(':').nth(4).filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())).map(str::to_string)
    };
    let mut accounts = std::collections::BTreeSet::from([account_id.to_string()]);
    for key in ["source_account_id", "restore_account_id"] {
        if let Some(a) = params[key].as_str().filter(|a| !a.is_empty()) {
            accounts.insert(a.to_string());
        }
    }
    for key in ["resource_arn", "destination_vault_arn"] {
        if let Some(a) = params[key].as_str().and_then(arn_account) {
            accounts.insert(a);
        }
    }
    accounts
}

/// Who may decide a request touching `accounts`: everyone (None) when no account has
/// a list, else the people on every list that applies.
fn approvers_of(
    lists: &std::collections::BTreeMap<String, Vec<String>>,
    accounts: &std::collections::BTreeSet<String>,
) -> Option<Vec<String>> {
    let mut applying = accounts.iter().filter_map(|a| lists.get(a));
    let first = applying.next()?;
    let rest: Vec<&Vec<String>> = applying.collect();
    Some(first.iter().filter(|p| rest.iter().all(|l| l.contains(p))).cloned().collect())
}

fn outcome_error(o: DecideOutcome, id: &str) -> AppError {
    match o {
        DecideOutcome::NotFound => AppError::NotFound(format!("no request {id}")),
        DecideOutcome::NotPending(s) => AppError::ConflictCode {
            code: "not_pending",
            message: format!("the request is {s}, not waiting for a decision"),
        },
        DecideOutcome::Expired => {
            AppError::ConflictCode { code: "expired", message: "the request expired undecided".into() }
        }
        DecideOutcome::OwnRequest => AppError::Forbidden("nobody approves or rejects their own request".into()),
        DecideOutcome::NotAnApproverHere => AppError::Forbidden("you may not decide requests of this account".into()),
        DecideOutcome::StaleHash(current) => AppError::ConflictCode {
            code: "stale_hash",
            message: format!("params_hash does not match the request's parameters ({current}); review it again"),
        },
        DecideOutcome::AlreadyDecided => {
            AppError::ConflictCode { code: "already_decided", message: "you already decided this request".into() }
        }
        DecideOutcome::Recorded(s) => AppError::Conflict(format!("unexpected outcome {s}")),
    }
}

/// Asks for a restore, a copy or a cross-account restore of a synced recovery point (operator).
#[utoipa::path(post, path = "/api/v1/requests", request_body = NewRequest,
    responses((status = 201, body = ActionRequest), (status = 400, body = shared::ErrorBody),
        (status = 401, body = shared::ErrorBody), (status = 403, body = shared::ErrorBody), (status = 422, body = shared::ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let requester = id.require(&["operator"])?.to_string();
    let input: NewRequest = json_body(
        &body,
        r#"{"kind": "restore", "recovery_point_arn": "...", "metadata": {"targetTableName": "..."}, "justification": "..."}"#,
    )?;
    let row = actions::submit(&s, &requester, &id.display_name(), &input).await?;
    let created = s.store.request(&row.id).await?.ok_or_else(|| AppError::NotFound(row.id.clone()))?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Asks to create, change or delete a restore testing plan or selection (operator).
#[utoipa::path(post, path = "/api/v1/requests/restore-testing", request_body = NewTestingRequest,
    responses((status = 201, body = ActionRequest), (status = 400, body = shared::ErrorBody),
        (status = 401, body = shared::ErrorBody), (status = 403, body = shared::ErrorBody), (status = 422, body = shared::ErrorBody)))]
pub async fn create_testing(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    body: Bytes,
) -> Result<Response, AppError> {
    let requester = id.require(&["operator"])?.to_string();
    let input: NewTestingRequest = json_body(
        &body,
        r#"{"kind": "create_testing_selection", "account_id": "...", "region": "...", "plan_name": "...", "selection_name": "...", "selection": {"resource_type": "RDS", "resource_arns": ["..."]}, "justification": "..."}"#,
    )?;
    let row = actions::submit_testing(&s, &requester, &id.display_name(), &input).await?;
    let created = s.store.request(&row.id).await?.ok_or_else(|| AppError::NotFound(row.id.clone()))?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Requests, newest first: `status`, `mine=true`, `limit`, `cursor`.
#[utoipa::path(get, path = "/api/v1/requests", params(RequestListParams), responses((status = 200, body = Page<ActionRequest>)))]
pub async fn list(
    State(s): State<AppState>,
    Extension(id): Extension<Identity>,
    Params(p): Params<RequestListParams>,
) -> Result<Json<Page<ActionRequest>>, AppError> {
    id.require(&["operator", "approver", "auditor"])?;
    let mut q = RequestQuery { limit: p.limit.unwrap_or(50), status: p.status, ..RequestQuery::default() };
    q.cursor = p.cursor.as_deref().map(cursor_param).transpose()?;
    if p.mine == Some(true) {
        let me = id.subject.clone().ok_or_else(|| AppError::Unauthenticated("mine=true needs a sign-in".into()))?;
        q.requester = Some(me);
    }
    let (items, next_cursor) = s.store.list_requests(&q).await?;
    Ok(Json(Page { items, next_cursor }))
}

/// One request with its decisions, AWS jobs and timeline.
#[utoipa::path(get, path = "/api/v1/requests/{id}", params(("id" = String, Path)),
    responses((status = 200, body = ActionRequest), (status = 404, body = shared::ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Json<ActionRequest>, AppError> {
    ident.require(&["operator", "approver", "auditor"])?;
    Ok(Json(s.store.request(&id).await?.ok_or_else(|| AppError::NotFound(format!("no request {id}")))?))
}

/// An approval's body: the `params_hash` of the parameters reviewed ([`DecisionInput`]'s form).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The request's `params_hash`, as reviewed.
    #[schema(min_length = 1)]
    params_hash: String,
    reason: Option<String>,
}

/// A rejection's body: why, in at least three characters ([`DecisionInput`]'s form).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    #[schema(pattern = r"^\s*\S[\s\S]+\S\s*$")]
    reason: String,
    params_hash: Option<String>,
}

async fn decide(
    s: &AppState,
    ident: &Identity,
    id: &str,
    approve: bool,
    body: &Bytes,
) -> Result<Json<ActionRequest>, AppError> {
    let actor = ident.require(&["approver"])?.to_string();
    let input = if approve {
        let a: Approval = json_body(body, r#"{"params_hash": "..."}"#)?;
        DecisionInput { params_hash: Some(a.params_hash), reason: a.reason }
    } else {
        let r: Rejection = json_body(body, r#"{"reason": "..."}"#)?;
        DecisionInput { params_hash: r.params_hash, reason: Some(r.reason) }
    };
    if approve && input.params_hash.as_deref().is_none_or(str::is_empty) {
        return Err(AppError::bad(
            "invalid_body",
            "params_hash: approve the exact parameters you reviewed (their params_hash)",
        ));
    }
    if !approve && input.reason.as_deref().is_none_or(|r| r.trim().len() < 3) {
        return Err(AppError::bad("invalid_body", "reason: say why the request is rejected"));
    }
    let row = s.store.request_row(id).await?.ok_or_else(|| AppError::NotFound(format!("no request {id}")))?;
    let accounts = touched_accounts(&row.account_id, &row.params);
    let allowed = approvers_of(&s.syncer.config().requests.account_approvers, &accounts);
    if allowed.as_ref().is_some_and(|list| !list.contains(&actor)) {
        let restricted: Vec<&str> = accounts
            .iter()
            .filter(|a| s.syncer.config().requests.account_approvers.contains_key(*a))
            .map(String::as_str)
            .collect();
        return Err(AppError::Forbidden(format!(
            "you may not decide this request: it touches account(s) {} whose approvers (requests.account_approvers) do not include you",
            restricted.join(", ")
        )));
    }
    let outcome = s
        .store
        .decide(
            id,
            &actor,
            &ident.display_name(),
            approve,
            input.params_hash.as_deref(),
            input.reason.as_deref(),
            allowed.as_deref(),
            s.now(),
        )
        .await?;
    match outcome {
        DecideOutcome::Recorded(status) => {
            if status == "approved" {
                s.executor.wake();
            }
            Ok(Json(s.store.request(id).await?.ok_or_else(|| AppError::NotFound(id.to_string()))?))
        }
        other => Err(outcome_error(other, id)),
    }
}

/// Approves the exact parameters (`{"params_hash": ...}`); never one's own request (approver).
#[utoipa::path(post, path = "/api/v1/requests/{id}/approve", params(("id" = String, Path)), request_body = Approval,
    responses((status = 200, body = ActionRequest), (status = 403, body = shared::ErrorBody), (status = 409, body = shared::ErrorBody)))]
pub async fn approve(
    State(s): State<AppState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ActionRequest>, AppError> {
    decide(&s, &ident, &id, true, &body).await
}

/// Rejects, with a reason; a rejection is final (approver).
#[utoipa::path(post, path = "/api/v1/requests/{id}/reject", params(("id" = String, Path)), request_body = Rejection,
    responses((status = 200, body = ActionRequest), (status = 403, body = shared::ErrorBody), (status = 409, body = shared::ErrorBody)))]
pub async fn reject(
    State(s): State<AppState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ActionRequest>, AppError> {
    decide(&s, &ident, &id, false, &body).await
}

/// The requester withdraws a request still waiting for approval.
#[utoipa::path(post, path = "/api/v1/requests/{id}/cancel", params(("id" = String, Path)),
    responses((status = 200, body = ActionRequest), (status = 403, body = shared::ErrorBody), (status = 409, body = shared::ErrorBody)))]
pub async fn cancel(
    State(s): State<AppState>,
    Extension(ident): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Json<ActionRequest>, AppError> {
    let actor = ident.require(&["operator", "approver", "viewer", "auditor"])?.to_string();
    match s.store.cancel_request(&id, &actor, s.now()).await? {
        DecideOutcome::Recorded(_) => {
            Ok(Json(s.store.request(&id).await?.ok_or_else(|| AppError::NotFound(id.clone()))?))
        }
        DecideOutcome::NotAnApproverHere => Err(AppError::Forbidden("only the requester cancels a request".into())),
        other => Err(outcome_error(other, &id)),
    }
}

/// Searches the audit log, newest first: `actor`, `action`, `subject`, `after`, `before`, `limit`, `cursor` (auditor).
#[utoipa::path(get, path = "/api/v1/audit", params(AuditParams), responses((status = 200, body = Page<AuditRecord>), (status = 403, body = shared::ErrorBody)))]
pub async fn audit(
    State(s): State<AppState>,
    Extension(ident): Extension<Identity>,
    Params(p): Params<AuditParams>,
) -> Result<Json<Page<AuditRecord>>, AppError> {
    ident.require(&["auditor"])?;
    let time = |v: &Option<String>| v.as_deref().and_then(crate::time::parse);
    let q = AuditQuery {
        limit: p.limit.unwrap_or(100),
        cursor: p.cursor.as_deref().map(cursor_param).transpose()?,
        after: time(&p.after),
        before: time(&p.before),
        actor: p.actor,
        action: p.action,
        subject: p.subject,
    };
    let (items, next_cursor) = s.store.search_audit(&q).await?;
    Ok(Json(Page { items, next_cursor }))
}

/// Recomputes the hash chain (auditor).
#[utoipa::path(get, path = "/api/v1/audit/verify", responses((status = 200, body = AuditVerification)))]
pub async fn verify(
    State(s): State<AppState>,
    Extension(ident): Extension<Identity>,
) -> Result<Json<AuditVerification>, AppError> {
    ident.require(&["auditor"])?;
    Ok(Json(s.store.verify_audit().await?))
}

/// The whole log as NDJSON (`format=ndjson`, default) or CSV, streamed (auditor).
#[utoipa::path(get, path = "/api/v1/audit/export", params(ExportParams),
    responses((status = 200, description = "the audit log, oldest first")))]
pub async fn export(
    State(s): State<AppState>,
    Extension(ident): Extension<Identity>,
    Params(p): Params<ExportParams>,
) -> Result<Response, AppError> {
    ident.require(&["auditor"])?;
    let csv = p.format == Some(ExportFormat::Csv);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(16);
    let store = s.store.clone();
    tokio::spawn(async move {
        if csv {
            let _ = tx.send(audit_csv(&[], true).map_err(std::io::Error::from)).await;
        }
        let mut after = 0;
        loop {
            match store.audit_after(after, 500).await {
                Ok(records) if records.is_empty() => return,
                Ok(records) => {
                    after = records.last().map(|r| r.seq).unwrap_or(after);
                    let chunk = if csv {
                        audit_csv(&records, false).map_err(std::io::Error::from)
                    } else {
                        Ok(records.iter().map(ndjson_line).collect::<String>().into_bytes())
                    };
                    let failed = chunk.is_err();
                    if tx.send(chunk).await.is_err() || failed {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            }
        }
    });
    let stream = tokio_stream_from(rx);
    let (kind, name) = if csv { ("text/csv", "audit-log.csv") } else { ("application/x-ndjson", "audit-log.ndjson") };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_touches_the_source_the_owner_the_destination_and_the_restore_account() {
        let params = json!({
            "source_account_id": "222222222222",
            "resource_arn": "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking",
            "destination_vault_arn": "arn:aws:backup:ap-southeast-2:333333333333:backup-vault:v",
            "restore_account_id": "444444444444",
        });
        let got: Vec<String> = touched_accounts("222222222222", &params).into_iter().collect();
        assert_eq!(got, ["111111111111", "222222222222", "333333333333", "444444444444"]);
        // An S3 bucket's ARN names no account; a copy has no restore account.
        let copy = json!({"resource_arn": "arn:aws:s3:::bucket", "restore_account_id": null});
        assert_eq!(touched_accounts("222222222222", &copy).len(), 1);
    }

    #[test]
    fn a_whole_number_written_with_a_point_is_an_integer() {
        let body = Bytes::from_static(br#"{"every_hours": 24.0, "nested": [{"n": -3.0}], "ratio": 0.5}"#);
        let v: serde_json::Value = json_body(&body, "").unwrap();
        assert_eq!(v, json!({"every_hours": 24, "nested": [{"n": -3}], "ratio": 0.5}));
        #[derive(Deserialize)]
        struct Hours {
            every_hours: i64,
        }
        assert_eq!(json_body::<Hours>(&Bytes::from_static(br#"{"every_hours": 168.0}"#), "").unwrap().every_hours, 168);
        assert!(json_body::<Hours>(&Bytes::from_static(br#"{"every_hours": 1.5}"#), "").is_err());
    }

    #[test]
    fn approvers_are_those_on_every_list_that_applies() {
        let lists = std::collections::BTreeMap::from([
            ("111111111111".to_string(), vec!["bob".to_string(), "dave".into()]),
            ("333333333333".to_string(), vec!["dave".to_string()]),
        ]);
        let set = |a: &[&str]| a.iter().map(|s| s.to_string()).collect();
        assert_eq!(approvers_of(&lists, &set(&["222222222222"])), None);
        assert_eq!(
            approvers_of(&lists, &set(&["111111111111", "222222222222"])),
            Some(vec!["bob".into(), "dave".into()])
        );
        assert_eq!(approvers_of(&lists, &set(&["111111111111", "333333333333"])), Some(vec!["dave".into()]));
    }
}
