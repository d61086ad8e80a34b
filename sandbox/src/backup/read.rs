//! The read operations of AWS Backup.

use serde_json::{json, Value};

use super::render;
use super::{decode_position, encode_position, page, Request};
use crate::engine::{inferred_metadata, restore_metadata, DAY};
use crate::protocol::{epoch, AwsError, Millis};
use crate::world::*;
use crate::Caller;

const RESTORE_STATES: [&str; 5] = ["PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"];
const COPY_STATES: [&str; 5] = ["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"];
const BACKUP_STATES: [&str; 9] =
    ["CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL"];

pub fn call(world: &World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    match req.op {
        "ListBackupVaults" => list_backup_vaults(world, caller, req),
        "DescribeBackupVault" => {
            let (_, v) = vault(world, caller, req, 0)?;
            Ok(render::vault(v))
        }
        "GetBackupVaultAccessPolicy" => {
            let (_, v) = vault(world, caller, req, 0)?;
            let policy = v
                .policy
                .as_ref()
                .ok_or_else(|| AwsError::not_found(format!("Backup vault {} has no access policy", v.name)))?;
            Ok(json!({ "BackupVaultName": v.name, "BackupVaultArn": &*v.arn, "Policy": policy }))
        }
        "ListRecoveryPointsByBackupVault" => list_recovery_points(world, caller, req),
        "DescribeRecoveryPoint" => {
            let (region, v, rp) = recovery_point(world, caller, req)?;
            let mut out = render::recovery_point(&caller.account_id, &caller.region, region, v, rp, true, world.now);
            render::composite(&mut out, &caller.account_id, &caller.region, v, point_link(region, v, rp));
            Ok(out)
        }
        "GetRecoveryPointRestoreMetadata" => {
            let (_, v, rp) = recovery_point(world, caller, req)?;
            Ok(json!({
                "BackupVaultArn": &*v.arn,
                "RecoveryPointArn": recovery_point_arn(&caller.account_id, &caller.region, rp),
                "ResourceType": rp.resource.kind.as_str(),
                "RestoreMetadata": restore_metadata(&rp.resource),
            }))
        }
        "GetRestoreTestingInferredMetadata" => {
            let q = &req.query;
            let vault_name = q.required("BackupVaultName")?;
            let rp_arn = q.required("RecoveryPointArn")?;
            check_vault_account(caller, q.get("BackupVaultAccountId"))?;
            let (_, v) = vault_named(world, caller, vault_name)?;
            let rp = find_in_vault(v, rp_arn)?;
            Ok(json!({ "InferredMetadata": inferred_metadata(&rp.resource, rp.id as u64) }))
        }
        "ListProtectedResources" => list_protected_resources(world, caller, req),
        "DescribeProtectedResource" => {
            let arn = &req.labels[0];
            let region = region(world, caller);
            let r = region
                .and_then(|reg| {
                    reg.resources.iter().find(|r| r.info.arn == *arn && r.last_backup.is_some()).map(|r| (reg, r))
                })
                .ok_or_else(|| AwsError::not_found(format!("Protected resource {arn} not found")))?;
            Ok(render::protected_resource(&caller.account_id, &caller.region, r.0, r.1, true))
        }
        "ListRecoveryPointsByResource" => list_recovery_points_by_resource(world, caller, req),
        "ListBackupJobs" => list_backup_jobs(world, now, caller, req),
        "DescribeBackupJob" => {
            let region = region(world, caller);
            let id = req.labels[0].to_uppercase();
            region
                .and_then(|r| {
                    r.backup_jobs.iter().find(|j| render::job_id(j.id) == id).map(|j| {
                        let mut out = render::backup_job(&caller.account_id, &caller.region, r, j, now);
                        if let Some((n, states)) = render::child_job_counts(r, j, now) {
                            out["NumberOfChildJobs"] = json!(n);
                            out["ChildJobsInState"] = json!(states);
                        }
                        out
                    })
                })
                .ok_or_else(|| AwsError::not_found(format!("Backup job {} not found", req.labels[0])))
        }
        "ListCopyJobs" => list_copy_jobs(world, now, caller, req),
        "DescribeCopyJob" => {
            let region = region(world, caller);
            let job = region
                .and_then(|r| r.copy_jobs.iter().find(|j| j.id == req.labels[0]).map(|j| (r, j)))
                .ok_or_else(|| AwsError::not_found(format!("Copy job {} not found", req.labels[0])))?;
            Ok(json!({ "CopyJob": render::copy_job(&caller.account_id, &caller.region, job.0, job.1, now) }))
        }
        "ListRestoreJobs" => list_restore_jobs(world, now, caller, req),
        "ListRestoreJobsByProtectedResource" => list_restore_jobs_by_resource(world, now, caller, req),
        "DescribeRestoreJob" => {
            let job = restore_job(world, caller, &req.labels[0])?;
            Ok(render::restore_job(&caller.account_id, job, now))
        }
        "GetRestoreJobMetadata" => {
            let job = restore_job(world, caller, &req.labels[0])?;
            Ok(json!({ "RestoreJobId": job.id, "Metadata": job.metadata }))
        }
        "ListRestoreTestingPlans" => {
            let q = &req.query;
            let max = q.max_results("MaxResults", 1000)?;
            let scope = scope(req, caller);
            let position = decode_position(world, &scope, q.get("NextToken"))?;
            let plans = region(world, caller).map(|r| r.plans.as_slice()).unwrap_or_default();
            let (items, next) =
                page(&[(0, plans)], position, max, |_, _, p| (!p.deleted).then(|| render::plan_for_list(p)));
            Ok(json!({ "RestoreTestingPlans": items, "NextToken": encode_position(world, &scope, next) }))
        }
        "GetRestoreTestingPlan" => {
            let plan = plan(world, caller, &req.labels[0])?;
            Ok(json!({ "RestoreTestingPlan": render::plan_for_get(plan) }))
        }
        "ListRestoreTestingSelections" => {
            let q = &req.query;
            let max = q.max_results("MaxResults", 1000)?;
            let plan = plan(world, caller, &req.labels[0])?;
            let scope = scope(req, caller);
            let position = decode_position(world, &scope, q.get("NextToken"))?;
            let (items, next) = page(&[(0, plan.selections.as_slice())], position, max, |_, _, s| {
                Some(render::selection(plan, s, false))
            });
            Ok(json!({ "RestoreTestingSelections": items, "NextToken": encode_position(world, &scope, next) }))
        }
        "GetRestoreTestingSelection" => {
            let plan = plan(world, caller, &req.labels[0])?;
            let s = plan.selections.iter().find(|s| s.name == req.labels[1]).ok_or_else(|| {
                AwsError::not_found(format!(
                    "Restore testing selection {} not found in plan {}",
                    req.labels[1], plan.name
                ))
            })?;
            Ok(json!({ "RestoreTestingSelection": render::selection(plan, s, true) }))
        }
        "DescribeGlobalSettings" => {
            if !world.accounts[caller.account].in_organization {
                return Err(AwsError::invalid_request(format!(
                    "Account {} is not a member of an organization",
                    caller.account_id
                )));
            }
            Ok(json!({
                "GlobalSettings": {
                    "isCrossAccountBackupEnabled": world.cross_account_backup.to_string(),
                    "isMpaEnabled": "false",
                    // A delegated administrator for AWS Backup is registered (Organizations).
                    "isDelegatedAdministratorEnabled": world
                        .delegated_admins
                        .iter()
                        .any(|(_, service, _)| *service == BACKUP_PRINCIPAL)
                        .to_string(),
                },
                "LastUpdateTime": epoch(world.org_created),
            }))
        }
        "ListFrameworks" => {
            let q = &req.query;
            let max = q.max_results("MaxResults", 10)?;
            let scope = scope(req, caller);
            let position = decode_position(world, &scope, q.get("NextToken"))?;
            let list = region(world, caller).map(|r| r.frameworks.as_slice()).unwrap_or_default();
            let (items, next) = page(&[(0, list)], position, max, |_, _, f| {
                Some(json!({
                    "FrameworkName": f.name,
                    "FrameworkArn": f.arn,
                    "FrameworkDescription": f.description,
                    "NumberOfControls": f.controls,
                    "CreationTime": epoch(f.created),
                    "DeploymentStatus": "COMPLETED",
                }))
            });
            Ok(json!({ "Frameworks": items, "NextToken": encode_position(world, &scope, next) }))
        }
        "ListReportPlans" => {
            let q = &req.query;
            let max = q.max_results("MaxResults", 1000)?;
            let scope = scope(req, caller);
            let position = decode_position(world, &scope, q.get("NextToken"))?;
            let list = region(world, caller).map(|r| r.report_plans.as_slice()).unwrap_or_default();
            let (items, next) = page(&[(0, list)], position, max, |_, _, p| {
                Some(json!({
                    "ReportPlanArn": p.arn,
                    "ReportPlanName": p.name,
                    "ReportPlanDescription": p.description,
                    "ReportSetting": { "ReportTemplate": p.template, "Accounts": ["ROOT"], "Regions": ["*"] },
                    "ReportDeliveryChannel": { "S3BucketName": p.bucket, "Formats": ["CSV", "JSON"] },
                    "DeploymentStatus": "COMPLETED",
                    "CreationTime": epoch(p.created),
                    "LastAttemptedExecutionTime": p.last_attempt.map(epoch),
                    "LastSuccessfulExecutionTime": p.last_attempt.map(epoch),
                }))
            });
            Ok(json!({ "ReportPlans": items, "NextToken": encode_position(world, &scope, next) }))
        }
        "ListReportJobs" => list_report_jobs(world, caller, req),
        other => Err(AwsError::invalid_request(format!("{other} is not a read operation"))),
    }
}

fn scope(req: &Request, caller: &Caller) -> String {
    format!("{}:{}:{}:{}", req.op, caller.account_id, caller.region, req.labels.join("/"))
}

fn region<'w>(world: &'w World, caller: &Caller) -> Option<&'w RegionState> {
    world.region(caller.account, &caller.region)
}

fn check_vault_account(caller: &Caller, account: Option<&str>) -> Result<(), AwsError> {
    match account {
        Some(a) if a != caller.account_id => Err(AwsError::not_found(format!(
            "Backup vault account {a} is not the caller's account {}; only vaults shared with the caller can be read",
            caller.account_id
        ))),
        _ => Ok(()),
    }
}

fn vault_named<'w>(world: &'w World, caller: &Caller, name: &str) -> Result<(&'w RegionState, &'w Vault), AwsError> {
    region(world, caller).and_then(|r| r.vault_by_name(name).map(|v| (r, &r.vaults[v]))).ok_or_else(|| {
        AwsError::not_found(format!(
            "Backup vault {name} does not exist in account {} region {}",
            caller.account_id, caller.region
        ))
    })
}

fn vault<'w>(
    world: &'w World,
    caller: &Caller,
    req: &Request,
    label: usize,
) -> Result<(&'w RegionState, &'w Vault), AwsError> {
    check_vault_account(caller, req.query.get("backupVaultAccountId"))?;
    vault_named(world, caller, &req.labels[label])
}

fn find_in_vault<'w>(v: &'w Vault, arn: &str) -> Result<&'w RecoveryPoint, AwsError> {
    // The vault names the account: only the id matters here.
    let id = parse_recovery_point_arn(arn, "")
        .ok_or_else(|| AwsError::invalid_parameter(format!("Not a recovery point ARN: {arn}")))?
        .2;
    v.recovery_points
        .iter()
        .find(|rp| rp.id == id && rp.status != RecoveryPointStatus::Deleted)
        .ok_or_else(|| AwsError::not_found(format!("Recovery point {arn} not found in backup vault {}", v.name)))
}

/// The composite link of a point found by reference (a describe: one lookup by id).
fn point_link<'r>(region: &'r RegionState, v: &Vault, rp: &RecoveryPoint) -> Option<&'r PointLink> {
    if region.point_links.is_empty() {
        return None;
    }
    let vi = region.vault_by_name(&v.name)?;
    let i = v.recovery_points.iter().position(|p| p.id == rp.id)?;
    region.point_links.get(&(vi, i))
}

fn recovery_point<'w>(
    world: &'w World,
    caller: &Caller,
    req: &Request,
) -> Result<(&'w RegionState, &'w Vault, &'w RecoveryPoint), AwsError> {
    let (region, v) = vault(world, caller, req, 0)?;
    let rp = find_in_vault(v, &req.labels[1])?;
    Ok((region, v, rp))
}

fn restore_job<'w>(world: &'w World, caller: &Caller, id: &str) -> Result<&'w RestoreJob, AwsError> {
    region(world, caller)
        .and_then(|r| r.restore_jobs.iter().find(|j| j.id == id))
        .ok_or_else(|| AwsError::not_found(format!("Restore job {id} not found")))
}

fn plan<'w>(world: &'w World, caller: &Caller, name: &str) -> Result<&'w RestoreTestingPlan, AwsError> {
    region(world, caller)
        .and_then(|r| r.plan_by_name(name).map(|p| &r.plans[p]))
        .ok_or_else(|| AwsError::not_found(format!("Restore testing plan {name} not found")))
}

fn list_backup_vaults(world: &World, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let q = &req.query;
    let max = q.max_results("maxResults", 1000)?;
    let vault_type =
        q.one_of("vaultType", &["BACKUP_VAULT", "LOGICALLY_AIR_GAPPED_BACKUP_VAULT", "RESTORE_ACCESS_BACKUP_VAULT"])?;
    let shared = q.get("shared") == Some("true");
    let scope = scope(req, caller);
    let position = decode_position(world, &scope, q.get("nextToken"))?;
    let vaults = region(world, caller).map(|r| r.vaults.as_slice()).unwrap_or_default();
    let (items, next) = page(&[(0, vaults)], position, max, |_, _, v| {
        (!shared && vault_type.is_none_or(|t| t == "BACKUP_VAULT")).then(|| render::vault(v))
    });
    Ok(json!({ "BackupVaultList": items, "NextToken": encode_position(world, &scope, next) }))
}

fn list_recovery_points(world: &World, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let q = &req.query;
    let max = q.max_results("maxResults", 1000)?;
    let (region, v) = vault(world, caller, req, 0)?;
    let resource_arn = q.get("resourceArn");
    let resource_type = q.get("resourceType");
    let plan_id = q.get("backupPlanId");
    let before = q.time("createdBefore")?;
    let after = q.time("createdAfter")?;
    // ByParentRecoveryPointArn: "only recovery points that match the specified parent
    // (composite) recovery point" (Backup model), its children.
    let parent = match q.get("parentRecoveryPointArn") {
        Some(arn) => Some(find_in_vault(v, arn)?.id),
        None => None,
    };
    let vi = region.vault_by_name(&v.name).unwrap_or_default();
    let scope = scope(req, caller);
    let position = decode_position(world, &scope, q.get("nextToken"))?;
    let (items, next) = page(&[(0, v.recovery_points.as_slice())], position, max, |_, i, rp| {
        let link = region.point_links.get(&(vi, i));
        let parent_id = match link {
            Some(PointLink::Child { parent, .. }) => v.recovery_points.get(*parent).map(|p| p.id),
            _ => None,
        };
        let kind = match link {
            Some(PointLink::Parent(_)) => "CloudFormation",
            _ => rp.resource.kind.as_str(),
        };
        let plan_matches = plan_id.is_none_or(|id| {
            rp.backup_plan.and_then(|p| region.backup_plans.get(p as usize)).is_some_and(|p| p.id == id)
        });
        let keep = rp.status != RecoveryPointStatus::Deleted
            && resource_arn.is_none_or(|a| rp.resource.arn == a)
            && resource_type.is_none_or(|t| kind == t)
            && plan_matches
            && before.is_none_or(|b| rp.created <= b)
            && after.is_none_or(|a| rp.created >= a)
            && parent.is_none_or(|p| parent_id == Some(p));
        keep.then(|| {
            let mut out = render::recovery_point(&caller.account_id, &caller.region, region, v, rp, false, world.now);
            render::composite(&mut out, &caller.account_id, &caller.region, v, link);
            out
        })
    });
    Ok(json!({ "RecoveryPoints": items, "NextToken": encode_position(world, &scope, next) }))
}

fn list_recovery_points_by_resource(world: &World, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let q = &req.query;
    let max = q.max_results("maxResults", 1000)?;
    let arn = &req.labels[0];
    let scope = scope(req, caller);
    let position = decode_position(world, &scope, q.get("nextToken"))?;
    let Some(region) = region(world, caller).filter(|r| r.resource_by_arn(arn).is_some()) else {
        return Err(AwsError::not_found(format!("Resource {arn} not found")));
    };
    let sources: Vec<(u64, &[RecoveryPoint])> =
        region.vaults.iter().enumerate().map(|(i, v)| (i as u64, v.recovery_points.as_slice())).collect();
    let (items, next) = page(&sources, position, max, |vi, i, rp| {
        (rp.resource.arn == *arn && rp.status != RecoveryPointStatus::Deleted).then(|| {
            let v = &region.vaults[vi as usize];
            let mut out = render::recovery_point_by_resource(&caller.account_id, &caller.region, v, rp, world.now);
            let link = region.point_links.get(&(vi as usize, i));
            render::composite(&mut out, &caller.account_id, &caller.region, v, link);
            out
        })
    });
    Ok(json!({ "RecoveryPoints": items, "NextToken": encode_position(world, &scope, next) }))
}

fn list_protected_resources(world: &World, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let q = &req.query;
    let max = q.max_results("maxResults", 1000)?;
    let scope = scope(req, caller);
    let position = decode_position(world, &scope, q.get("nextToken"))?;
    let Some(region) = region(world, caller) else {
        return Ok(json!({ "Results": [] }));
    };
    let (items, next) = page(&[(0, region.resources.as_slice())], position, max, |_, _, r| {
        r.last_backup
            .is_some()
            .then(|| render::protected_resource(&caller.account_id, &caller.region, region, r, false))
    });
    Ok(json!({ "Results": items, "NextToken": encode_position(world, &scope, next) }))
}

/// The accounts a job listing covers: the caller's own, or, from the
/// management account, any account of the organization (`*` for all).
///
/// Other accounts' jobs need AWS Backup's cross-account monitoring, that is its
/// trusted access to the organization (Organizations User Guide, "AWS Backup and AWS
/// Organizations": "When you enable trusted access for AWS Backup in your
/// organization, you can use the AWS Backup console to view details about the backup,
/// restore, and copy jobs in any of the accounts in your organization"). What a
/// listing answers without it is not documented; the sandbox answers `*` with the
/// caller's own jobs and another account's id with none, and no error: the answer
/// that would hide the others silently.
fn job_accounts(world: &World, caller: &Caller, by_account: Option<&str>) -> Result<Vec<usize>, AwsError> {
    match by_account {
        None => Ok(vec![caller.account]),
        Some(id) if id == caller.account_id => Ok(vec![caller.account]),
        Some(id) if !caller.is_hub => Err(AwsError::invalid_parameter(format!(
            "ByAccountId {id} can only be used from the organization's management account"
        ))),
        Some("*") if !world.backup_monitoring() => Ok(vec![caller.account]),
        Some(_) if !world.backup_monitoring() => Ok(Vec::new()),
        Some("*") => Ok((0..world.accounts.len()).filter(|a| world.accounts[*a].in_organization).collect()),
        Some(id) => match world.account(id).filter(|a| world.accounts[*a].in_organization) {
            Some(a) => Ok(vec![a]),
            None => Err(AwsError::invalid_parameter(format!("Account {id} is not a member of the organization"))),
        },
    }
}

fn time_filters(q: &super::Query) -> Result<impl Fn(Millis, Option<Millis>) -> bool, AwsError> {
    let created_before = q.time("createdBefore")?;
    let created_after = q.time("createdAfter")?;
    let complete_before = q.time("completeBefore")?;
    let complete_after = q.time("completeAfter")?;
    Ok(move |created: Millis, completed: Option<Millis>| {
        created_before.is_none_or(|b| created <= b)
            && created_after.is_none_or(|a| created >= a)
            && complete_before.is_none_or(|b| completed.is_some_and(|c| c <= b))
            && complete_after.is_none_or(|a| completed.is_some_and(|c| c >= a))
    })
}

/// What every job listing starts from: the job lists of the accounts it covers
/// (in the caller's region), the page size and the position to resume at.
struct JobListing<'w, T> {
    sources: Vec<(u64, &'w [T])>,
    position: Option<(u64, u64)>,
    max: usize,
    scope: String,
}

fn job_listing<'w, T>(
    world: &'w World,
    caller: &Caller,
    req: &Request,
    jobs: fn(&RegionState) -> &[T],
) -> Result<JobListing<'w, T>, AwsError> {
    let q = &req.query;
    let max = q.max_results("maxResults", 1000)?;
    let accounts = job_accounts(world, caller, q.get("accountId"))?;
    let scope = scope(req, caller);
    let position = decode_position(world, &scope, q.get("nextToken"))?;
    let sources =
        accounts.iter().filter_map(|a| world.region(*a, &caller.region).map(|r| (*a as u64, jobs(r)))).collect();
    Ok(JobListing { sources, position, max, scope })
}

/// How far back `ListBackupJobs` reaches. Service model: "Returns a list of existing
/// backup jobs for an authenticated account for the last 30 days." `ListCopyJobs` and
/// `ListRestoreJobs` document no such limit, so they list the whole history.
const BACKUP_JOB_LIST_WINDOW: Millis = 30 * DAY;

fn list_backup_jobs(world: &World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let q = &req.query;
    let listing = job_listing(world, caller, req, |r| r.backup_jobs.as_slice())?;
    let state = q.one_of("state", &BACKUP_STATES)?;
    let resource_arn = q.get("resourceArn");
    let resource_type = q.get("resourceType");
    let vault_name = q.get("backupVaultName");
    let parent = q.get("parentJobId");
    let category = q.get("messageCategory");
    let times = time_filters(q)?;
    let (items, next) = page(&listing.sources, listing.position, listing.max, |a, _, j| {
        let account = &world.accounts[a as usize];
        let region = world.region(a as usize, &caller.region)?;
        let completed = j.finished.then_some(j.created + j.duration);
        // A composite job's resource is its stack.
        let (arn, kind) = match &j.composite {
            Some(c) => (c.stack.arn.as_str(), "CloudFormation"),
            None => (j.resource.arn.as_str(), j.resource.kind.as_str()),
        };
        if !(resource_arn.is_none_or(|r| arn == r)
            && resource_type.is_none_or(|t| kind == t)
            && vault_name.is_none_or(|n| region.vaults.get(j.vault).is_some_and(|v| v.name == n))
            && now - j.created <= BACKUP_JOB_LIST_WINDOW
            && times(j.created, completed))
        {
            return None;
        }
        // Parents and children are both listed; ByParentJobId keeps a parent's children.
        let out = render::backup_job(&account.id, &caller.region, region, j, now);
        let keep = state.is_none_or(|s| out["State"] == s)
            && category_matches(category, &out)
            && parent.is_none_or(|p| out["ParentJobId"] == p);
        keep.then_some(out)
    });
    Ok(json!({ "BackupJobs": items, "NextToken": encode_position(world, &listing.scope, next) }))
}

fn category_matches(category: Option<&str>, job: &Value) -> bool {
    match category {
        None | Some("ANY") | Some("AGGREGATE_ALL") => true,
        Some(c) => job["MessageCategory"] == c,
    }
}

fn list_copy_jobs(world: &World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let q = &req.query;
    let listing = job_listing(world, caller, req, |r| r.copy_jobs.as_slice())?;
    let state = q.one_of("state", &COPY_STATES)?;
    let resource_arn = q.get("resourceArn");
    let resource_type = q.get("resourceType");
    let destination = q.get("destinationVaultArn");
    let source_rp = q.get("sourceRecoveryPointArn");
    let parent = q.get("parentJobId");
    let category = q.get("messageCategory");
    let times = time_filters(q)?;
    let (items, next) = page(&listing.sources, listing.position, listing.max, |a, _, j| {
        if !(resource_arn.is_none_or(|r| j.resource.arn == r)
            && resource_type.is_none_or(|t| j.resource.kind.as_str() == t)
            && destination.is_none_or(|d| j.destination_vault_arn == d)
            && times(j.run.created, j.run.completed)
            && parent.is_none())
        {
            return None;
        }
        let account = &world.accounts[a as usize];
        let region = world.region(a as usize, &caller.region)?;
        let out = render::copy_job(&account.id, &caller.region, region, j, now);
        let keep = state.is_none_or(|s| out["State"] == s)
            && source_rp.is_none_or(|s| out["SourceRecoveryPointArn"] == s)
            && category_matches(category, &out);
        keep.then_some(out)
    });
    Ok(json!({ "CopyJobs": items, "NextToken": encode_position(world, &listing.scope, next) }))
}

fn list_restore_jobs(world: &World, now: Millis, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let q = &req.query;
    let listing = job_listing(world, caller, req, |r| r.restore_jobs.as_slice())?;
    let status = q.one_of("status", &RESTORE_STATES)?;
    let resource_type = q.get("resourceType");
    let plan_arn = q.get("restoreTestingPlanArn");
    let parent = q.get("parentJobId");
    let times = time_filters(q)?;
    let (items, next) = page(&listing.sources, listing.position, listing.max, |a, _, j| {
        if !(resource_type.is_none_or(|t| j.resource.kind.as_str() == t)
            && plan_arn.is_none_or(|p| j.plan_arn.as_deref() == Some(p))
            && times(j.run.created, j.run.completed)
            && parent.is_none())
        {
            return None;
        }
        let out = render::restore_job(&world.accounts[a as usize].id, j, now);
        status.is_none_or(|s| out["Status"] == s).then_some(out)
    });
    Ok(json!({ "RestoreJobs": items, "NextToken": encode_position(world, &listing.scope, next) }))
}

fn list_restore_jobs_by_resource(
    world: &World,
    now: Millis,
    caller: &Caller,
    req: &Request,
) -> Result<Value, AwsError> {
    let q = &req.query;
    let max = q.max_results("maxResults", 1000)?;
    let arn = &req.labels[0];
    let status = q.one_of("status", &RESTORE_STATES)?;
    let after = q.time("recoveryPointCreationDateAfter")?;
    let before = q.time("recoveryPointCreationDateBefore")?;
    let scope = scope(req, caller);
    let position = decode_position(world, &scope, q.get("nextToken"))?;
    let jobs = region(world, caller).map(|r| r.restore_jobs.as_slice()).unwrap_or_default();
    let (items, next) = page(&[(0, jobs)], position, max, |_, _, j| {
        if j.resource.arn != *arn
            || after.is_some_and(|a| j.recovery_point_created < a)
            || before.is_some_and(|b| j.recovery_point_created > b)
        {
            return None;
        }
        let out = render::restore_job(&caller.account_id, j, now);
        status.is_none_or(|s| out["Status"] == s).then_some(out)
    });
    Ok(json!({ "RestoreJobs": items, "NextToken": encode_position(world, &scope, next) }))
}

fn list_report_jobs(world: &World, caller: &Caller, req: &Request) -> Result<Value, AwsError> {
    let q = &req.query;
    let max = q.max_results("MaxResults", 1000)?;
    let plan_name = q.get("ReportPlanName");
    let before = q.time("CreationBefore")?;
    let after = q.time("CreationAfter")?;
    let status = q.get("Status");
    let scope = scope(req, caller);
    let position = decode_position(world, &scope, q.get("NextToken"))?;
    let Some(region) = region(world, caller) else {
        return Ok(json!({ "ReportJobs": [] }));
    };
    if let Some(name) = plan_name {
        if !region.report_plans.iter().any(|p| p.name == name) {
            return Err(AwsError::not_found(format!("Report plan {name} not found")));
        }
    }
    let (items, next) = page(&[(0, region.report_jobs.as_slice())], position, max, |_, _, j| {
        let plan = region.report_plans.get(j.plan)?;
        let keep = plan_name.is_none_or(|n| plan.name == n)
            && before.is_none_or(|b| j.created <= b)
            && after.is_none_or(|a| j.created >= a)
            && status.is_none_or(|s| j.status == s);
        keep.then(|| {
            json!({
                "ReportJobId": j.id,
                "ReportPlanArn": plan.arn,
                "ReportTemplate": plan.template,
                "CreationTime": epoch(j.created),
                "CompletionTime": epoch(j.completed),
                "Status": j.status,
                "ReportDestination": {
                    "S3BucketName": plan.bucket,
                    "S3Keys": [format!("Backup/{}/{}/{}.csv", caller.region, plan.name, j.id)],
                },
            })
        })
    });
    Ok(json!({ "ReportJobs": items, "NextToken": encode_position(world, &scope, next) }))
}
