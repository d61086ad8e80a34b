//! Timed recovery drills. A drill follows a runbook for one resource: it files the
//! runbook's request (so the four-eyes approval and exactly-once execution of
//! issue 5 apply), then times each step as the request moves on: approved, job
//! started, job completed; it validates the new resource and, after the drill's
//! retention, deletes it through the AWS Cloud Control API. Drills run ad hoc or
//! on a schedule of the console's clock; the report holds every step's time.

use std::time::Duration;

use aws_sdk_cloudcontrol::error::ProvideErrorMetadata;
use serde_json::json;
use shared::{DrillSchedule, NewDrill, ScheduleGrant};

use super::runbooks;
use crate::app::{AppError, Console};
use crate::store::{Column, DrillRow, LastSeen, Record, StoreError, Val, SCHEDULE_ROLE};

/// Give up validating a restored resource that does not show up or become ready.
const VALIDATION_PATIENCE_MS: i64 = 60 * 60_000;

/// The Cloud Control type of a Backup resource type. Cloud Control is the describe
/// call of every type a drill restores: one client (aws-sdk-cloudcontrol) reads and
/// deletes them all through each type's own read and delete handlers, where the EC2
/// and EFS SDK crates would each add minutes to every build for one call apiece. S3 is
/// the exception: a bucket must be emptied before its handler deletes it ([`empty_bucket`]).
pub fn cloud_control_type(resource_type: &str) -> Option<&'static str> {
    match resource_type {
        "DynamoDB" => Some("AWS::DynamoDB::Table"),
        "RDS" => Some("AWS::RDS::DBInstance"),
        "Aurora" => Some("AWS::RDS::DBCluster"),
        "EC2" => Some("AWS::EC2::Instance"),
        "EBS" => Some("AWS::EC2::Volume"),
        "EFS" => Some("AWS::EFS::FileSystem"),
        "S3" => Some("AWS::S3::Bucket"),
        _ => None,
    }
}

/// The restored resource's primary identifier in Cloud Control: the name the drill
/// gave it, or, for types whose new resource AWS names (an instance, volume or file
/// system id), the last part of the restore job's CreatedResourceArn.
fn identifier(d: &DrillRow) -> Option<String> {
    match d.resource_type.as_str() {
        "EC2" | "EBS" | "EFS" => d.restored_arn.as_deref()?.rsplit('/').next().map(str::to_string),
        _ => Some(d.target_name.clone()),
    }
}

/// Whether the restored resource is ready, from its Cloud Control properties. Only
/// types whose schema has a read-only status property are read for one
/// (`cfn-schema TYPE --props`): `AWS::RDS::DBInstance` `DBInstanceStatus` and
/// `AWS::EC2::Instance` `State`. `AWS::RDS::DBCluster`, `AWS::EC2::Volume`,
/// `AWS::EFS::FileSystem` and `AWS::S3::Bucket` have none: found, after the restore
/// job COMPLETED, is ready. DynamoDB is read with DescribeTable (see [`validate`]).
fn readiness(resource_type: &str, props: &serde_json::Value) -> (bool, String) {
    match resource_type {
        "RDS" => {
            let status = props["DBInstanceStatus"].as_str().unwrap_or("unknown");
            (status == "available", format!("DBInstanceStatus {status}"))
        }
        "EC2" => {
            let state = props["State"]["Name"].as_str().unwrap_or("unknown");
            (state == "running", format!("State {state}"))
        }
        _ => (true, "no status property in its schema; the restore job COMPLETED".into()),
    }
}

/// Starts a drill: plans the runbook, files its request in the requester's name
/// and records the drill.
pub async fn start(
    s: &Console,
    requester: &str,
    requester_name: &str,
    input: &NewDrill,
    schedule_id: Option<String>,
) -> Result<DrillRow, AppError> {
    let cfg = &s.syncer.config().assurance;
    let retention = input.retention_minutes.unwrap_or(cfg.drill_retention_minutes);
    if !(1..=10_080).contains(&retention) {
        return Err(AppError::bad("invalid_parameter", "retention_minutes: from 1 to 10080 (a week)"));
    }
    let plan = runbooks::plan(s, input.scenario.as_str(), &input.resource_arn, "drill").await?;
    let (Some(rp), Some(mut request), true) =
        (plan.recovery_point.clone(), plan.request.clone(), plan.blockers.is_empty())
    else {
        return Err(AppError::Unprocessable { code: "drill_blocked", message: plan.blockers.join("; ") });
    };
    let id = uuid::Uuid::new_v4().to_string();
    let name = plan.resource.resource_name.clone().unwrap_or_else(|| plan.resource.resource_arn.clone());
    request.justification = format!("Recovery drill {id}: {} of {name}", input.scenario.as_str().replace('_', " "));
    let crate::domain::Target { rpo_hours: rpo, rto_minutes: rto } =
        s.store.targets(cfg).await?.of(&plan.resource.resource_type, &plan.resource.resource_arn);
    let now = s.now();
    let mut drill = DrillRow {
        id,
        scenario: input.scenario.as_str().into(),
        resource_arn: plan.resource.resource_arn.clone(),
        account_id: plan.resource.account_id.clone(),
        region: plan.resource.region.clone(),
        resource_type: plan.resource.resource_type.clone(),
        schedule_id,
        status: "awaiting_approval".into(),
        started_by: requester.to_string(),
        recovery_point_at: crate::time::parse(&rp.created_at).unwrap_or(now),
        recovery_point_arn: rp.recovery_point_arn,
        target_name: plan.target_name,
        restore_account_id: plan.restore_account_id,
        retention_minutes: retention,
        rto_target_minutes: rto,
        rpo_target_hours: rpo,
        requested_at: now,
        updated_at: now,
        ..DrillRow::default()
    };
    // The drill is on record before its request: a request never exists without its drill.
    s.store.insert_drill(&drill).await?;
    match crate::actions::submit(s, requester, requester_name, &request).await {
        Ok(filed) => {
            let sets = [(Column::RequestId, Val::from(filed.id.clone()))];
            let details = json!({"request_id": filed.id, "params_hash": filed.params_hash});
            s.store
                .transition(
                    Record::Drill(&drill.id),
                    &["awaiting_approval"],
                    "awaiting_approval",
                    &sets,
                    now,
                    requester,
                    "drill.request_filed",
                    details,
                )
                .await?;
            drill.request_id = Some(filed.id);
            Ok(drill)
        }
        Err(e) => {
            fail(s, &drill, format!("its request was refused: {e}")).await?;
            Err(e)
        }
    }
}

/// Runs [`pass`] every `every`.
pub fn run(state: Console, every: Duration) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = pass(&state).await {
                tracing::error!(error = %e, "drill pass failed");
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// One pass: starts the scheduled drills that are due, then moves every drill
/// under way on by a step.
pub async fn pass(s: &Console) -> Result<(), StoreError> {
    let Some(_replica) = s.store.try_lock_drills().await? else { return Ok(()) };
    let now = s.now();
    for (schedule, was, name) in s.store.due_schedules(now).await? {
        let every = schedule.every_hours * 3_600_000;
        // Runs missed while the console was down are not made up: the next is in the future.
        let mut next = was + every;
        while next <= now {
            next += every;
        }
        if !s.store.claim_schedule(&schedule.id, was, next).await? {
            continue;
        }
        if s.store.schedule_busy(&schedule.id).await? {
            // One drill of a schedule at a time: a run due while the last is under way is skipped.
            s.store
                .audit_now(
                    now,
                    "system",
                    "drill_schedule.run_skipped",
                    &format!("drill_schedule:{}", schedule.id),
                    json!({"reason": "the previous drill is still under way", "next_at": crate::time::rfc3339(next)}),
                )
                .await?;
            continue;
        }
        if let Some(why) = owner_lapsed(s, &schedule, now).await? {
            // Nobody files in the name of a person who may no longer: skipped, audited, alerted.
            tracing::warn!(schedule = %schedule.id, %why, "scheduled drill skipped");
            let subject = format!("drill_schedule:{}", schedule.id);
            let details = json!({"reason": why, "created_by": schedule.created_by, "grant_id": schedule.grant_id,
                "next_at": crate::time::rfc3339(next)});
            s.store.audit_now(now, "system", "drill_schedule.run_skipped", &subject, details.clone()).await?;
            let text = format!(
                "Scheduled drill {} of {} did not run: {why}. Its creator renews it by making a schedule (with the operator role), or an admin turns it off.",
                schedule.id, schedule.resource_arn
            );
            s.notifier.enqueue("drill_schedule_skipped", &format!("{subject}:{was}"), text, details).await?;
            continue;
        }
        let input = NewDrill {
            resource_arn: schedule.resource_arn.clone(),
            scenario: schedule.scenario,
            retention_minutes: Some(schedule.retention_minutes),
        };
        match start(s, &schedule.created_by, &name, &input, Some(schedule.id.clone())).await {
            Ok(d) => tracing::info!(drill = %d.id, schedule = %schedule.id, "scheduled drill started"),
            Err(e) => {
                tracing::warn!(schedule = %schedule.id, error = %e, "scheduled drill could not start");
                s.store
                    .audit_now(
                        now,
                        "system",
                        "drill_schedule.run_failed",
                        &format!("drill_schedule:{}", schedule.id),
                        json!({"error": e.to_string()}),
                    )
                    .await?;
            }
        }
    }
    for id in s.store.active_drills().await? {
        // Steps that are ready follow each other in the same pass (the times stay exact).
        for _ in 0..6 {
            let Some(d) = s.store.drill(&id).await? else { break };
            if let Err(e) = step(s, &d).await {
                tracing::error!(drill = %id, error = %e, "drill step failed");
                break;
            }
            match s.store.drill(&id).await? {
                Some(after)
                    if after.status != d.status && crate::store::ACTIVE_DRILL.contains(&after.status.as_str()) => {}
                _ => break,
            }
        }
    }
    Ok(())
}

/// Why a run of `schedule` may not file a request in its creator's name now, if it may not.
async fn owner_lapsed(s: &Console, schedule: &DrillSchedule, now: i64) -> Result<Option<String>, StoreError> {
    let grant = match &schedule.grant_id {
        Some(id) => s.store.schedule_grant(id).await?,
        None => None,
    };
    let seen = s.store.last_seen(&schedule.created_by).await?;
    let days = s.syncer.config().assurance.schedule_owner_days;
    Ok(owner_refusal(&schedule.created_by, grant.as_ref(), seen.as_ref(), now, days))
}

/// A schedule runs while its creator's grant is live and the creator was last seen
/// (their newest sign-in, or schedule made) holding the operator role, at most `days`
/// ago. A sign-in records the roles the identity provider gave at that time, so a
/// person removed from the operator group stops their schedules at their next sign-in,
/// and one who no longer signs in stops them after `days`.
fn owner_refusal(
    creator: &str,
    grant: Option<&ScheduleGrant>,
    seen: Option<&LastSeen>,
    now: i64,
    days: i64,
) -> Option<String> {
    let Some(grant) = grant else { return Some(format!("{creator} holds no grant for it")) };
    if let Some(at) = &grant.revoked_at {
        let by = grant.revoked_by.as_deref().unwrap_or("an admin");
        return Some(format!("{creator}'s grant {} was revoked by {by} at {at}", grant.id));
    }
    let Some(seen) = seen else { return Some(format!("{creator} was never seen with the operator role")) };
    let how = if seen.action == "auth.signed_in" { "signed in" } else { "made a schedule" };
    let when = crate::time::rfc3339(seen.at);
    if !seen.roles.iter().any(|r| r == SCHEDULE_ROLE || r == "admin") {
        return Some(format!(
            "{creator} last {how} at {when} without the operator role (roles: {})",
            seen.roles.join(", ")
        ));
    }
    if now - seen.at > days * crate::time::DAY_MS {
        return Some(format!("{creator} last {how} at {when}, more than assurance.schedule_owner_days ({days}) ago"));
    }
    None
}

/// Ends a drill as failed; when its restore had already created the resource, the
/// drill first cleans it up (now), keeping the failure for the report.
async fn fail(s: &Console, d: &DrillRow, why: String) -> Result<(), StoreError> {
    let created = d.job_completed_at.is_some() && matches!(d.status.as_str(), "validating" | "retained");
    end_failed(s, d, why, created).await
}

/// Records a failure: `to_clean_up` moves the drill on to its clean-up, otherwise it ends.
async fn end_failed(s: &Console, d: &DrillRow, why: String, to_clean_up: bool) -> Result<(), StoreError> {
    let now = s.now();
    let (to, mut sets) = if to_clean_up {
        ("retained", vec![(Column::CleanupDueAt, Val::from(now))])
    } else {
        ("failed", vec![(Column::Outcome, Val::from("failed"))])
    };
    sets.push((Column::Error, Val::from(why.clone())));
    let details = json!({"error": why, "cleaning_up": to_clean_up});
    s.store
        .transition(Record::Drill(&d.id), &[d.status.as_str()], to, &sets, now, "system", "drill.failed", details)
        .await?;
    Ok(())
}

/// A drill whose request is not filed this long after it was recorded lost it (a crash in between).
const FILING_PATIENCE_MS: i64 = 10 * 60_000;

/// Gives up on a step that has waited longer than this since `since`.
const STEP_PATIENCE_MS: i64 = 6 * 3_600_000;

async fn step(s: &Console, d: &DrillRow) -> Result<(), StoreError> {
    let now = s.now();
    match d.status.as_str() {
        "awaiting_approval" => {
            // `start` records the drill, then files its request: a pass can fall in between.
            let Some(id) = &d.request_id else {
                if now - d.requested_at > FILING_PATIENCE_MS {
                    return fail(s, d, "its request was never filed".into()).await;
                }
                return Ok(());
            };
            let Some(r) = s.store.request(id).await? else { return fail(s, d, "its request is gone".into()).await };
            match r.status.as_str() {
                "pending_approval" => Ok(()),
                "approved" | "executing" | "succeeded" => {
                    let approval = r.decisions.iter().rev().find(|x| x.decision == "approve");
                    let at = approval.and_then(|a| crate::time::parse(&a.at)).unwrap_or(now);
                    let by = approval.map(|a| a.approver.clone()).unwrap_or_default();
                    let sets = [(Column::ApprovedAt, Val::from(at)), (Column::ApprovedBy, Val::from(by.clone()))];
                    s.store
                        .transition(
                            Record::Drill(&d.id),
                            &["awaiting_approval"],
                            "restoring",
                            &sets,
                            now,
                            &by,
                            "drill.approved",
                            json!({"request_id": r.id}),
                        )
                        .await?;
                    Ok(())
                }
                other => fail(s, d, format!("its request {} ended {other}", r.id)).await,
            }
        }
        "restoring" => {
            let Some(r) = s.store.request_row(d.request_id.as_deref().unwrap_or_default()).await? else {
                return fail(s, d, "its request is gone".into()).await;
            };
            let started = r.copy_started_at.or(r.restore_started_at);
            if d.job_started_at.is_none() {
                if let Some(at) = started {
                    s.store
                        .transition(
                            Record::Drill(&d.id),
                            &["restoring"],
                            "restoring",
                            &[(Column::JobStartedAt, Val::from(at))],
                            now,
                            "system",
                            "drill.job_started",
                            json!({"copy_job_id": r.copy_job_id, "restore_job_id": r.restore_job_id}),
                        )
                        .await?;
                }
            }
            match r.status.as_str() {
                "succeeded" => {
                    let completed = restore_completed_at(s, &r).await.unwrap_or(now);
                    let sets = [
                        (Column::JobStartedAt, Val::from(d.job_started_at.or(started).unwrap_or(completed))),
                        (Column::JobCompletedAt, Val::from(completed)),
                        (Column::RestoredArn, Val::from(r.created_resource_arn.clone())),
                    ];
                    s.store
                        .transition(
                            Record::Drill(&d.id),
                            &["restoring"],
                            "validating",
                            &sets,
                            now,
                            "system",
                            "drill.job_completed",
                            json!({"restore_job_id": r.restore_job_id, "created_resource_arn": r.created_resource_arn}),
                        )
                        .await?;
                    Ok(())
                }
                _ if now - d.approved_at.unwrap_or(now) > 2 * STEP_PATIENCE_MS => {
                    fail(s, d, format!("its request {} did not finish within 12 hours", r.id)).await
                }
                "failed" | "rejected" | "expired" | "cancelled" => {
                    fail(s, d, format!("its request {} ended {}: {}", r.id, r.status, r.error.unwrap_or_default()))
                        .await
                }
                _ => Ok(()),
            }
        }
        "validating" => validate(s, d, now).await,
        "retained" if d.cleanup_due_at.is_some_and(|due| now >= due) => clean_up(s, d, now).await,
        "cleaning_up" => follow_cleanup(s, d, now).await,
        _ => Ok(()),
    }
}

/// When AWS says the request's restore job completed.
async fn restore_completed_at(s: &Console, r: &crate::store::RequestRow) -> Option<i64> {
    let job = r.restore_job_id.as_deref()?;
    let account = r.param("restore_account_id").unwrap_or(&r.account_id).to_string();
    let role = s.syncer.read_role(&account).await.ok()??;
    let out =
        s.syncer.aws().backup(&role, &r.region).await.describe_restore_job().restore_job_id(job).send().await.ok()?;
    out.completion_date().and_then(|t| t.to_millis().ok())
}

/// The operator (`acting`) or read role of the account the drill restored into.
async fn role(s: &Console, d: &DrillRow, acting: bool) -> Result<crate::aws::RoleTarget, String> {
    let role = if acting {
        s.syncer.operator_role(&d.restore_account_id).await
    } else {
        s.syncer.read_role(&d.restore_account_id).await
    };
    match role {
        Ok(Some(role)) => Ok(role),
        Ok(None) => {
            Err(format!("no {} role for account {}", if acting { "operator" } else { "read" }, d.restore_account_id))
        }
        Err(e) => Err(e.to_string()),
    }
}

async fn cloud_control(s: &Console, d: &DrillRow, acting: bool) -> Result<aws_sdk_cloudcontrol::Client, String> {
    Ok(s.syncer.aws().cloudcontrol(&role(s, d, acting).await?, &d.region).await)
}

/// Reads the restored resource with Cloud Control GetResource: it must exist (the
/// restore job already COMPLETED, so AWS Backup has finished making it) and be ready.
/// Readiness comes from what AWS really reports: `DBInstanceStatus` is a read-only
/// property of `AWS::RDS::DBInstance`, but `AWS::DynamoDB::Table` has no status
/// property (its read-only properties are `Arn` and `StreamArn`; schemas in cfn-lint),
/// so a table's `TableStatus` is read with DynamoDB DescribeTable.
async fn validate(s: &Console, d: &DrillRow, now: i64) -> Result<(), StoreError> {
    let Some(type_name) = cloud_control_type(&d.resource_type) else {
        return fail(s, d, format!("no Cloud Control type for {}", d.resource_type)).await;
    };
    let waited = now - d.job_completed_at.unwrap_or(now);
    let client = match cloud_control(s, d, false).await {
        Ok(c) => c,
        Err(why) => return fail(s, d, why).await,
    };
    let Some(id) = identifier(d) else {
        return fail(s, d, "the restore job named no created resource".into()).await;
    };
    let answer = client.get_resource().type_name(type_name).identifier(&id).send().await;
    let (ready, summary) = match answer {
        Ok(out) => {
            let props: serde_json::Value = out
                .resource_description()
                .and_then(|r| r.properties())
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default();
            let exists = format!("Cloud Control GetResource {type_name} {id}: exists");
            let (ready, status) = if d.resource_type == "DynamoDB" {
                table_status(s, d).await
            } else {
                readiness(&d.resource_type, &props)
            };
            (ready, format!("{exists}, {status}"))
        }
        Err(e) => {
            let code = e.code().unwrap_or("error").to_string();
            (false, format!("Cloud Control GetResource {type_name} {id}: {code} {}", e.message().unwrap_or_default()))
        }
    };
    if ready {
        let sets = [
            (Column::ValidatedAt, Val::from(now)),
            (Column::Validation, Val::from(summary.clone())),
            (Column::CleanupDueAt, Val::from(now + d.retention_minutes * 60_000)),
        ];
        s.store
            .transition(
                Record::Drill(&d.id),
                &["validating"],
                "retained",
                &sets,
                now,
                "system",
                "drill.validated",
                json!({"validation": summary}),
            )
            .await?;
        Ok(())
    } else if waited > VALIDATION_PATIENCE_MS {
        fail(s, d, format!("the restored resource was not ready within an hour: {summary}")).await
    } else {
        tracing::info!(drill = %d.id, %summary, "restored resource not ready yet");
        Ok(())
    }
}

/// The restored table's `TableStatus` from DynamoDB DescribeTable (read role), and
/// whether it is `ACTIVE`.
async fn table_status(s: &Console, d: &DrillRow) -> (bool, String) {
    let role = match s.syncer.read_role(&d.restore_account_id).await {
        Ok(Some(role)) => role,
        Ok(None) => return (false, format!("no read role for account {}", d.restore_account_id)),
        Err(e) => return (false, e.to_string()),
    };
    let client = s.syncer.aws().dynamodb(&role, &d.region).await;
    match client.describe_table().table_name(&d.target_name).send().await {
        Ok(out) => {
            let status = out.table().and_then(|t| t.table_status()).map_or("unknown", |s| s.as_str()).to_string();
            (status == "ACTIVE", format!("DescribeTable TableStatus {status}"))
        }
        Err(e) => (false, format!("DescribeTable: {}", crate::aws::failure(&e))),
    }
}

/// Deletes the restored resource with Cloud Control DeleteResource (idempotent by
/// the drill's client token).
async fn clean_up(s: &Console, d: &DrillRow, now: i64) -> Result<(), StoreError> {
    let Some(type_name) = cloud_control_type(&d.resource_type) else { return Ok(()) };
    let Some(id) = identifier(d) else {
        return fail_for_good(s, d, "the restore job named no created resource to delete".into()).await;
    };
    let client = match cloud_control(s, d, true).await {
        Ok(c) => c,
        Err(why) => return fail_for_good(s, d, format!("cannot clean up: {why}")).await,
    };
    if d.resource_type == "S3" {
        match empty_bucket(s, d, &id).await {
            Ok(Emptied::Done(0)) => {}
            Ok(Emptied::Done(versions)) => {
                let details = json!({"bucket": id, "versions_deleted": versions});
                s.store.audit_now(now, "system", "drill.bucket_emptied", &format!("drill:{}", d.id), details).await?;
            }
            Ok(Emptied::Partly(versions)) => {
                let details = json!({"bucket": id, "versions_deleted": versions, "more": true});
                s.store.audit_now(now, "system", "drill.bucket_emptying", &format!("drill:{}", d.id), details).await?;
                return Ok(());
            }
            Err(Refusal::NotOurs(why)) => return fail_for_good(s, d, why).await,
            Err(Refusal::Failed(why)) => return retry_cleanup(s, d, now, why).await,
        }
    }
    // The intent is on record (and audited) before the destructive call, as the
    // executor stores its token before StartRestoreJob: a delete never happens unrecorded.
    let started = [(Column::CleanupStartedAt, Val::from(now))];
    let details = json!({"type_name": type_name, "identifier": id, "client_token": cleanup_client_token(d)});
    if !s
        .store
        .transition(
            Record::Drill(&d.id),
            &["retained"],
            "cleaning_up",
            &started,
            now,
            "system",
            "drill.cleanup_started",
            details,
        )
        .await?
    {
        return Ok(());
    }
    let Some(d) = s.store.drill(&d.id).await? else { return Ok(()) };
    request_delete(s, &d, &client, type_name, &id, now).await
}

/// Cloud Control's client token of a drill's delete: a repeated DeleteResource (after a
/// lost answer or a crash) is the same request.
fn cleanup_client_token(d: &DrillRow) -> String {
    format!("drill-{}", d.id)
}

/// Calls DeleteResource for a drill already `cleaning_up` and records its request token.
async fn request_delete(
    s: &Console,
    d: &DrillRow,
    client: &aws_sdk_cloudcontrol::Client,
    type_name: &str,
    id: &str,
    now: i64,
) -> Result<(), StoreError> {
    let answer =
        client.delete_resource().type_name(type_name).identifier(id).client_token(cleanup_client_token(d)).send().await;
    match answer {
        Ok(out) => {
            let Some(token) = out.progress_event().and_then(|p| p.request_token()).map(str::to_string) else {
                return finish(s, d, now, "no request token").await;
            };
            let sets = [(Column::CleanupToken, Val::from(token.clone()))];
            s.store
                .transition(
                    Record::Drill(&d.id),
                    &["cleaning_up"],
                    "cleaning_up",
                    &sets,
                    now,
                    "system",
                    "drill.cleanup_requested",
                    json!({"request_token": token, "type_name": type_name, "identifier": id}),
                )
                .await?;
            Ok(())
        }
        Err(e) if e.code() == Some("ResourceNotFoundException") => finish(s, d, now, "already gone").await,
        Err(e) => {
            let why = format!(
                "Cloud Control DeleteResource: {} {}",
                e.code().unwrap_or("error"),
                e.message().unwrap_or_default()
            );
            retry_cleanup(s, d, now, why).await
        }
    }
}

/// A clean-up step that failed is tried again on the next pass, for six hours.
async fn retry_cleanup(s: &Console, d: &DrillRow, now: i64, why: String) -> Result<(), StoreError> {
    if now - d.cleanup_due_at.unwrap_or(now) > STEP_PATIENCE_MS {
        return fail_for_good(s, d, format!("the restored resource could not be deleted: {why}")).await;
    }
    tracing::warn!(drill = %d.id, %why, "clean-up step failed; retrying");
    Ok(())
}

/// ListObjectVersions and DeleteObjects take at most 1,000 keys a call (S3 API Reference).
const S3_PAGE: i32 = 1000;
/// Pages emptied in one pass; a bigger bucket goes on in the next passes.
const S3_PAGES_PER_PASS: usize = 50;

enum Emptied {
    /// Nothing is left: this many versions and delete markers were deleted.
    Done(usize),
    /// This many were deleted; more are left for the next pass.
    Partly(usize),
}

enum Refusal {
    /// The bucket is not one the drill made: it is never emptied.
    NotOurs(String),
    /// An S3 call failed; the next pass tries again.
    Failed(String),
}

/// Empties the bucket the drill restored into, through the operator role: every object
/// version and delete marker, since DeleteBucket (which the AWS::S3::Bucket delete
/// handler calls) refuses a bucket that holds any (S3 API Reference, DeleteBucket). Each
/// page is listed from the start: what the last page deleted is gone, and a deleted
/// version makes no marker to resume from. Only a bucket whose name carries the drill
/// marker and that the drill's restore job reports as created is touched, the same
/// scope as the operator role's `s3:DeleteObjectVersion` grant (`*-drill-*`).
async fn empty_bucket(s: &Console, d: &DrillRow, bucket: &str) -> Result<Emptied, Refusal> {
    let created = d.restored_arn.as_deref().and_then(|a| a.rsplit(':').next()) == Some(bucket);
    if !bucket.contains("-drill-") || !created || bucket != d.target_name {
        return Err(Refusal::NotOurs(format!(
            "the bucket {bucket} is not one this drill restored into (its name must carry -drill- and be the restore job's created resource); it was left untouched"
        )));
    }
    let role = role(s, d, true).await.map_err(Refusal::Failed)?;
    let client = s.syncer.aws().s3(&role, &d.region).await;
    let mut deleted = 0;
    for _ in 0..S3_PAGES_PER_PASS {
        let page = match client.list_object_versions().bucket(bucket).max_keys(S3_PAGE).send().await {
            Ok(page) => page,
            // Gone already (deleted by hand): Cloud Control's delete then reports NotFound.
            Err(e) if e.code() == Some("NoSuchBucket") => return Ok(Emptied::Done(deleted)),
            Err(e) => {
                return Err(Refusal::Failed(format!("S3 ListObjectVersions {bucket}: {}", crate::aws::failure(&e))))
            }
        };
        let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = page.delete_markers().iter().map(|m| (m.key(), m.version_id()));
        let objects = versions
            .chain(markers)
            .filter_map(|(key, version)| {
                aws_sdk_s3::types::ObjectIdentifier::builder()
                    .key(key?)
                    .set_version_id(version.map(str::to_string))
                    .build()
                    .ok()
            })
            .collect::<Vec<_>>();
        if objects.is_empty() {
            return Ok(Emptied::Done(deleted));
        }
        let count = objects.len();
        let delete = aws_sdk_s3::types::Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| Refusal::Failed(format!("S3 DeleteObjects {bucket}: {e}")))?;
        let out = client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| Refusal::Failed(format!("S3 DeleteObjects {bucket}: {}", crate::aws::failure(&e))))?;
        if let Some(e) = out.errors().first() {
            return Err(Refusal::Failed(format!(
                "S3 DeleteObjects {bucket}: {} of {count} not deleted, the first {} (version {}): {} {}",
                out.errors().len(),
                e.key().unwrap_or_default(),
                e.version_id().unwrap_or("null"),
                e.code().unwrap_or("error"),
                e.message().unwrap_or_default()
            )));
        }
        deleted += count;
    }
    Ok(Emptied::Partly(deleted))
}

async fn follow_cleanup(s: &Console, d: &DrillRow, now: i64) -> Result<(), StoreError> {
    let client = match cloud_control(s, d, true).await {
        Ok(c) => c,
        Err(why) => return fail_for_good(s, d, format!("cannot follow the clean-up: {why}")).await,
    };
    let Some(token) = &d.cleanup_token else {
        // Recorded, but DeleteResource failed or its answer was lost: ask again (same client token).
        let (Some(type_name), Some(id)) = (cloud_control_type(&d.resource_type), identifier(d)) else {
            return finish(s, d, now, "nothing to delete").await;
        };
        return request_delete(s, d, &client, type_name, &id, now).await;
    };
    let out = match client.get_resource_request_status().request_token(token).send().await {
        Ok(out) => out,
        Err(e) if now - d.cleanup_started_at.unwrap_or(now) > STEP_PATIENCE_MS => {
            let why = format!("{} {}", e.code().unwrap_or("error"), e.message().unwrap_or_default());
            return fail_for_good(s, d, format!("the clean-up's progress could not be read: {why}")).await;
        }
        Err(_) => return Ok(()),
    };
    let Some(event) = out.progress_event() else { return Ok(()) };
    match event.operation_status().map(|s| s.as_str()) {
        Some("SUCCESS") => {
            let at = event.event_time().and_then(|t| t.to_millis().ok()).unwrap_or(now);
            finish(s, d, at.min(now), "deleted").await
        }
        // Cloud Control reports a resource that was already gone as a failed deletion.
        Some("FAILED") if event.error_code().map(|c| c.as_str()) == Some("NotFound") => {
            finish(s, d, now, "already gone").await
        }
        Some("FAILED") | Some("CANCEL_COMPLETE") => {
            fail_for_good(s, d, format!("clean-up failed: {}", event.status_message().unwrap_or("no message"))).await
        }
        _ => Ok(()),
    }
}

/// Ends a drill after its clean-up: passed, or outside its targets (with the webhook).
async fn finish(s: &Console, d: &DrillRow, cleaned_at: i64, how: &str) -> Result<(), StoreError> {
    let now = s.now();
    let rto = d.measured_rto_minutes().unwrap_or(0);
    let rpo_minutes = (d.requested_at - d.recovery_point_at).max(0) / 60_000;
    let outside = rto > d.rto_target_minutes || rpo_minutes > d.rpo_target_hours * 60;
    let outcome = if d.error.is_some() {
        "failed"
    } else if outside {
        "outside_target"
    } else {
        "passed"
    };
    let sets = [(Column::CleanedUpAt, Val::from(cleaned_at)), (Column::Outcome, Val::from(outcome))];
    let details = json!({"outcome": outcome, "measured_rto_minutes": rto, "rpo_minutes": rpo_minutes, "cleanup": how});
    if !s
        .store
        .transition(
            Record::Drill(&d.id),
            &[d.status.as_str()],
            "completed",
            &sets,
            now,
            "system",
            "drill.completed",
            details.clone(),
        )
        .await?
    {
        return Ok(());
    }
    if outcome == "outside_target" {
        let text = format!(
            "Drill of {} finished outside target: restored in {rto} min (target {} min), recovery point {rpo_minutes} min old (target {} h)",
            d.resource_arn, d.rto_target_minutes, d.rpo_target_hours
        );
        s.notifier.enqueue("drill_outside_target", &format!("drill:{}", d.id), text, json!({"drill_id": d.id, "resource_arn": d.resource_arn, "measured_rto_minutes": rto, "rto_target_minutes": d.rto_target_minutes, "rpo_minutes": rpo_minutes, "rpo_target_hours": d.rpo_target_hours})).await?;
    }
    Ok(())
}

/// Ends a drill as failed without a clean-up to try (it failed, or is impossible):
/// the report names what is left behind.
async fn fail_for_good(s: &Console, d: &DrillRow, why: String) -> Result<(), StoreError> {
    let why = match &d.restored_arn {
        Some(arn) => format!("{why}; {arn} may still exist"),
        None => why,
    };
    end_failed(s, d, why, false).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DAY: i64 = crate::time::DAY_MS;

    fn grant(revoked: bool) -> ScheduleGrant {
        ScheduleGrant {
            id: "g-1".into(),
            subject: "alice".into(),
            role: "operator".into(),
            granted_at: "2026-11-01T00:00:00Z".into(),
            confirmed_at: "2026-11-01T00:00:00Z".into(),
            revoked_at: revoked.then(|| "2026-11-02T00:00:00Z".into()),
            revoked_by: revoked.then(|| "erin".into()),
        }
    }

    fn seen(roles: &[&str], at: i64) -> LastSeen {
        LastSeen { at, action: "auth.signed_in".into(), roles: roles.iter().map(|r| r.to_string()).collect() }
    }

    #[test]
    fn a_schedule_runs_only_while_its_creator_is_a_live_operator() {
        let now = 100 * DAY;
        let op = seen(&["viewer", "operator"], now - DAY);
        assert_eq!(owner_refusal("alice", Some(&grant(false)), Some(&op), now, 30), None);
        // Admin holds every role.
        assert_eq!(owner_refusal("erin", Some(&grant(false)), Some(&seen(&["admin"], now)), now, 30), None);
        let demoted = owner_refusal("alice", Some(&grant(false)), Some(&seen(&["viewer"], now - DAY)), now, 30);
        assert!(demoted.unwrap().contains("without the operator role (roles: viewer)"));
        let revoked = owner_refusal("alice", Some(&grant(true)), Some(&op), now, 30).unwrap();
        assert!(revoked.contains("revoked by erin"), "{revoked}");
        let stale = owner_refusal("alice", Some(&grant(false)), Some(&seen(&["operator"], now - 31 * DAY)), now, 30);
        assert!(stale.unwrap().contains("assurance.schedule_owner_days (30)"));
        assert_eq!(
            owner_refusal("alice", Some(&grant(false)), Some(&seen(&["operator"], now - 30 * DAY)), now, 30),
            None
        );
        assert!(owner_refusal("alice", None, Some(&op), now, 30).unwrap().contains("no grant"));
        assert!(owner_refusal("alice", Some(&grant(false)), None, now, 30).unwrap().contains("never seen"));
    }
}
