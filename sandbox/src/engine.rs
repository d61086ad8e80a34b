//! How the world moves: scheduled backups and their copies, restore and copy jobs
//! going through their states, restore testing plans running, validating and
//! cleaning up. Everything happens at an event's own time, so a world simulated
//! for 90 days at start-up is the same as one that lived through them.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::seq::SliceRandom;
use rand::Rng;

use super::protocol::{AwsError, Millis};
use super::restore::{
    already_exists, ec2_placement_failure, missing_target, rds_placement_failure, restore_target, RestoreTarget,
};
pub use super::restore::{inferred_metadata, restore_metadata};
use super::world::*;

pub const MINUTE: Millis = 60_000;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// What a restore or copy start needs to know about who asked.
pub struct StartRestore {
    pub recovery_point_arn: String,
    pub metadata: BTreeMap<String, String>,
    pub iam_role_arn: Option<String>,
    pub resource_type: Option<String>,
}

struct TestRun {
    plan_arn: String,
    window: Millis,
    start_window: Millis,
    outcome: Outcome,
    plan: TestPlan,
}

/// Restore testing plans without `StartWindowHours` wait 24 hours for a test to
/// start (the model's RestoreTestingPlanForCreate: "Defaults to 24 hours").
pub const DEFAULT_START_WINDOW_HOURS: i64 = 24;

/// The items a DynamoDB table of the world holds at `t`: a number derived from its
/// size that grows a little every day (the sandbox keeps no item data; items are
/// named `{table}#{i}`, see `dynamodb.rs`).
pub fn table_items(info: &ResourceInfo, t: Millis) -> u64 {
    (info.size >> 20) + (t.div_euclid(DAY) % 97) as u64
}

impl World {
    /// Applies every event due up to `now`, in time order.
    pub fn tick(&mut self, now: Millis) {
        while let Some(std::cmp::Reverse((at, _, _))) = self.events.peek() {
            if *at > now {
                break;
            }
            let Some(std::cmp::Reverse((at, _, event))) = self.events.pop() else {
                break;
            };
            self.now = at;
            self.apply(at, event);
        }
        self.now = self.now.max(now);
    }

    fn apply(&mut self, t: Millis, event: Event) {
        match event {
            Event::BackupRun { account, region, plan } => self.run_backup(t, account, &region, plan),
            Event::BackupDone { account, region, job } => self.backup_done(t, account, &region, job),
            Event::CopyDone { account, region, job } => self.copy_done(t, account, &region, job),
            Event::RestoreDone { account, region, job } => self.restore_done(t, account, &region, job),
            Event::ValidationWindowEnds { account, region, job } => {
                self.schedule(t, Event::Delete { account, region, job })
            }
            Event::StartWindowEnds { account, region, job } => self.abort_test(t, account, &region, job),
            Event::Delete { account, region, job } => {
                let r = self.region_mut(account, &region);
                // Cloud Control DeleteResource may have deleted the resource already, and
                // a validation result followed by the window's end asks twice.
                let Some(j) = r.restore_jobs.get_mut(job).filter(|j| j.deletion.is_none()) else {
                    return;
                };
                j.deletion = Some(Deletion::Deleting);
                let took = self.rng.gen_range(2..10) * MINUTE;
                self.schedule(t + took, Event::DeleteDone { account, region, job });
            }
            Event::DeleteDone { account, region, job } => {
                let r = self.region_mut(account, &region);
                if let Some(j) = r.restore_jobs.get_mut(job).filter(|j| j.deletion == Some(Deletion::Deleting)) {
                    if let Some(why) = j.test.deletion_failure.clone() {
                        j.deletion = Some(Deletion::Failed(why));
                        return;
                    }
                    j.deletion = Some(Deletion::Successful);
                    if let Some(created) = &j.created_resource {
                        r.names.remove(&(created.kind, created.name.clone()));
                        r.buckets.remove(&created.name);
                    }
                }
            }
            Event::ResourceRequestDone { account, region, request } => {
                self.finish_resource_request(t, account, &region, request)
            }
            Event::PlanRun { account, region, plan } => {
                // A stale run: the plan was deleted, or an update gave it another schedule.
                let Some(next) = self
                    .region(account, &region)
                    .and_then(|r| r.plans.get(plan))
                    .filter(|p| !p.deleted && p.next_run == Some(t))
                    .map(|p| p.schedule.next_after(t))
                else {
                    return;
                };
                self.run_plan(t, account, &region, plan);
                self.region_mut(account, &region).plans[plan].next_run = next;
                if let Some(next) = next {
                    self.schedule(next, Event::PlanRun { account, region, plan });
                }
            }
        }
    }

    fn run_backup(&mut self, t: Millis, account: usize, region: &str, plan: usize) {
        let Some(bp) = self.region(account, region).and_then(|r| r.backup_plans.get(plan)) else {
            return;
        };
        let resources = bp.resources.clone();
        let vault = bp.vault;
        let failure_rate = bp.failure_rate;
        let (delete_after, cold_after) = (bp.delete_after_days, bp.cold_after_days);
        let next = bp.schedule.next_after(t);
        let dynamodb_advanced = self.accounts[account].dynamodb_advanced;
        let points = PointTerms { plan, delete_after, cold_after, dynamodb_advanced };
        if let Some(stack) = bp.stack.clone() {
            self.run_stack_backup(t, account, region, stack, resources, vault, points);
            if let Some(next) = next {
                self.schedule(next, Event::BackupRun { account, region: region.to_string(), plan });
            }
            return;
        }
        let mut own = self.region_mut(account, region).backup_plans[plan].rng.take();
        for resource in resources {
            let rng = own.as_mut().unwrap_or(&mut self.rng);
            let id: u128 = rng.gen();
            let duration = rng.gen_range(4..30) * MINUTE;
            let outcome = if rng.gen_bool(failure_rate) {
                Outcome::Fail(
                    [
                        "The backup job failed to create a recovery point: the resource was being modified.",
                        "Backup job expired before it could start within the start window.",
                    ][rng.gen_range(0..2)]
                    .to_string(),
                )
            } else {
                Outcome::Succeed
            };
            let r = self.region_mut(account, region);
            let info = Arc::clone(&r.resources[resource].info);
            // The recovery point exists, CREATING, while its job runs (Backup model,
            // DescribeRecoveryPoint Status: "CREATING status indicates that an Backup job
            // has been initiated for a resource"); a job that will fail makes none.
            let recovery_point = (outcome == Outcome::Succeed).then(|| points.open(r, vault, &info, t, id)).flatten();
            r.backup_jobs.push(BackupJob {
                id,
                resource: info,
                vault,
                recovery_point,
                created: t,
                duration,
                finished: false,
                outcome,
                plan: plan as u16,
                parent: None,
                composite: None,
            });
            let job = r.backup_jobs.len() - 1;
            self.schedule(t + duration, Event::BackupDone { account, region: region.to_string(), job });
        }
        self.region_mut(account, region).backup_plans[plan].rng = own;
        if let Some(next) = next {
            self.schedule(next, Event::BackupRun { account, region: region.to_string(), plan });
        }
    }

    /// A composite backup of a CloudFormation stack: a parent job and one child job per
    /// member resource. It draws nothing from the world's dice (ids, durations and
    /// outcomes follow from the run's time), so the rest of the world stays as it was.
    /// Every seventh day the second member is being modified and its child job fails,
    /// which leaves the parent `PARTIAL`.
    #[allow(clippy::too_many_arguments)]
    fn run_stack_backup(
        &mut self,
        t: Millis,
        account: usize,
        region: &str,
        stack: Arc<Stack>,
        members: Vec<usize>,
        vault: usize,
        points: PointTerms,
    ) {
        let plan = points.plan;
        let base = ((account as u128) << 96) | ((plan as u128) << 80) | ((t as u128) << 16) | 0x5ac0_0000;
        let r = self.region_mut(account, region);
        let Some(first) = members.first().and_then(|m| r.resources.get(*m)).map(|m| Arc::clone(&m.info)) else {
            return;
        };
        let durations: Vec<Millis> = (0..members.len() as i64).map(|k| (10 + 5 * k) * MINUTE).collect();
        // The composite recovery point: the parent job's RecoveryPointArn, `IsParent`, with
        // the stack as its resource (Backup model, RecoveryPointByBackupVault `IsParent`).
        let parent_point = points.open(r, vault, &stack.info, t, base);
        if let Some(p) = parent_point {
            r.point_links.insert((vault, p), PointLink::Parent(Arc::clone(&stack)));
        }
        r.backup_jobs.push(BackupJob {
            id: base,
            resource: first,
            vault,
            recovery_point: parent_point,
            created: t,
            duration: durations.iter().copied().max().unwrap_or(MINUTE),
            finished: false,
            outcome: Outcome::Succeed,
            plan: plan as u16,
            parent: None,
            composite: Some(Composite { stack: Arc::clone(&stack), children: 0..0 }),
        });
        let parent = r.backup_jobs.len() - 1;
        let modified = (t / DAY) % 7 == 0;
        let mut done = Vec::new();
        for (k, (member, duration)) in members.iter().zip(durations).enumerate() {
            let Some(info) = r.resources.get(*member).map(|m| Arc::clone(&m.info)) else {
                continue;
            };
            let outcome = if k == 1 && modified {
                Outcome::Fail(
                    "The backup job failed to create a recovery point: the resource was being modified.".into(),
                )
            } else {
                Outcome::Succeed
            };
            let id = base + k as u128 + 1;
            let recovery_point = (outcome == Outcome::Succeed).then(|| points.open(r, vault, &info, t, id)).flatten();
            if let (Some(child), Some(parent)) = (recovery_point, parent_point) {
                let member: Arc<str> =
                    stack.logical_ids.get(k).map_or_else(|| info.name.as_str().into(), |l| l.as_str().into());
                r.point_links.insert((vault, child), PointLink::Child { parent, member });
            }
            r.backup_jobs.push(BackupJob {
                id,
                resource: info,
                vault,
                recovery_point,
                created: t,
                duration,
                finished: false,
                outcome,
                plan: plan as u16,
                parent: Some(parent),
                composite: None,
            });
            done.push((t + duration, r.backup_jobs.len() - 1));
        }
        let children = parent + 1..r.backup_jobs.len();
        if let Some(c) = r.backup_jobs[parent].composite.as_mut() {
            c.children = children;
        }
        for (at, job) in done {
            self.schedule(at, Event::BackupDone { account, region: region.to_string(), job });
        }
    }

    fn backup_done(&mut self, t: Millis, account: usize, region: &str, job: usize) {
        let r = self.region_mut(account, region);
        let Some(bj) = r.backup_jobs.get_mut(job) else {
            return;
        };
        bj.finished = true;
        // A composite job ends when the last of its children ends.
        if let Some(parent) = bj.parent {
            let children = r.backup_jobs.get(parent).and_then(|p| p.composite.as_ref()).map(|c| c.children.clone());
            let children = children.and_then(|c| r.backup_jobs.get(c)).unwrap_or_default();
            if !children.is_empty() && children.iter().all(|j| j.finished) {
                let all_made = children.iter().all(|j| j.outcome == Outcome::Succeed);
                if let Some(p) = r.backup_jobs.get_mut(parent) {
                    p.finished = true;
                    p.duration = t - p.created;
                    // The composite point is made when its last child ends: COMPLETED when
                    // every member's point was made, PARTIAL otherwise. The Backup model's
                    // Status names PARTIAL ("part of the backup was not completed") without
                    // tying it to composite points; the developer guide ("CloudFormation stack
                    // backups") is silent on the composite point's status.
                    let (v, point) = (p.vault, p.recovery_point);
                    if let Some(rp) = point.and_then(|i| r.vaults.get_mut(v)?.recovery_points.get_mut(i)) {
                        rp.completed = t;
                        rp.status =
                            if all_made { RecoveryPointStatus::Completed } else { RecoveryPointStatus::Partial };
                    }
                }
            }
        }
        let Some(bj) = r.backup_jobs.get_mut(job) else {
            return;
        };
        let (Outcome::Succeed, Some(rp_index)) = (&bj.outcome, bj.recovery_point) else {
            return;
        };
        let (vault, plan, resource_info) = (bj.vault, bj.plan, Arc::clone(&bj.resource));
        let backup_job_id = bj.id;
        let (copy_to, delete_after, cold_after) = match r.backup_plans.get(plan as usize) {
            Some(p) => (p.copy_to.clone(), p.delete_after_days, p.cold_after_days),
            None => (None, 35, None),
        };
        let Some(rp) = r.vaults.get_mut(vault).and_then(|v| v.recovery_points.get_mut(rp_index)) else {
            return;
        };
        rp.completed = t;
        // Now and then an instance's image misses one of its volumes' snapshots: PARTIAL
        // (chosen by the id, drawing no random number).
        rp.status = if resource_info.kind == ResourceType::Ec2 && rp.id % 41 == 0 {
            RecoveryPointStatus::Partial
        } else {
            RecoveryPointStatus::Completed
        };
        if let Some(res) = r.resource_by_arn(&resource_info.arn) {
            r.resources[res].last_backup = Some(LastBackup { time: t, vault, recovery_point: rp_index });
        }
        if let Some(destination) = copy_to {
            let role =
                format!("arn:aws:iam::{}:role/service-role/AWSBackupDefaultServiceRole", self.accounts[account].id);
            // A scheduled copy that cannot start is simply not made, as with AWS.
            let _ = self.start_copy(
                t,
                account,
                region,
                vault,
                rp_index,
                &destination,
                role,
                Lifecycle { delete_after_days: Some(delete_after), cold_after_days: cold_after },
                Some(backup_job_id),
            );
        }
    }

    /// Starts a copy of a recovery point of (account, region) into any vault.
    #[allow(clippy::too_many_arguments)]
    pub fn start_copy(
        &mut self,
        t: Millis,
        account: usize,
        region: &str,
        vault: usize,
        rp: usize,
        destination_vault_arn: &str,
        iam_role_arn: String,
        lifecycle: Lifecycle,
        backup_job: Option<u128>,
    ) -> Result<String, AwsError> {
        let (dest_account_id, dest_region, dest_vault_name) =
            parse_vault_arn(destination_vault_arn).ok_or_else(|| {
                AwsError::invalid_parameter(format!(
                    "DestinationBackupVaultArn is not a backup vault ARN: {destination_vault_arn}"
                ))
            })?;
        let source_id = self.accounts[account].id.clone();
        let form =
            self.region(account, region).and_then(|r| r.vaults.get(vault)?.recovery_points.get(rp)).map(|p| p.form);
        if form == Some(PointForm::DynamoDbManaged) && (dest_account_id != source_id || dest_region != region) {
            // Developer Guide, "Advanced DynamoDB backup": cross-account and cross-Region
            // copies are features of advanced DynamoDB backup; the refusal's wording is
            // the sandbox's (AWS documents none), as an InvalidRequestException.
            return Err(AwsError::invalid_request(format!(
                "This DynamoDB backup was made without advanced DynamoDB backup: it cannot be copied to another account or Region. Turn on advanced DynamoDB backup in account {source_id} and back the table up again"
            )));
        }
        let status = self
            .region(account, region)
            .and_then(|r| r.vaults.get(vault)?.recovery_points.get(rp))
            .map(|p| p.status_at(t));
        if let Some(status) = status.filter(|s| *s != RecoveryPointStatus::Completed) {
            // AWS documents no wording: InvalidRequestException, as for restores.
            return Err(AwsError::invalid_request(format!(
                "The recovery point cannot be copied: its status is {}",
                status_name(status)
            )));
        }
        if form == Some(PointForm::Continuous) {
            // Backup model, StartCopyJob: "Does not support continuous backups."
            return Err(AwsError::invalid_request(
                "StartCopyJob does not support continuous backups: copy a snapshot (periodic) recovery point of the resource",
            ));
        }
        let dest_account = self.account(&dest_account_id);
        let source_org = self.accounts[account].in_organization.then_some(ORG_ID);
        let mut outcome = Outcome::Succeed;
        let dest_policy = dest_account.and_then(|d| {
            let r = self.region(d, &dest_region)?;
            r.vault_by_name(&dest_vault_name).map(|v| r.vaults[v].policy.clone())
        });
        if dest_account_id != source_id
            && policy_answer(dest_policy.flatten().as_deref(), &source_id, source_org) == PolicyAnswer::Denied
        {
            // An explicit Deny in the destination vault's policy (e.g. deny outside the
            // organization) refuses the call: re:Post "Access Denied trying to call AWS
            // Backup service" (knowledge-center/backup-resolve-access-denied-error).
            return Err(AwsError::access_denied(
                "AccessDeniedException",
                "Access Denied trying to call AWS Backup service: the access policy of the destination backup vault denies backup:CopyIntoBackupVault",
            ));
        }
        let dest_vault = dest_account.and_then(|d| {
            let r = self.region(d, &dest_region)?;
            r.vault_by_name(&dest_vault_name).map(|v| &r.vaults[v])
        });
        let destination_key = dest_vault.map(|v| v.key_arn.clone());
        let both_in_org =
            self.accounts[account].in_organization && dest_account.is_some_and(|d| self.accounts[d].in_organization);
        match dest_vault {
            // AWS starts the job and fails it, with this message (re:Post knowledge center,
            // "backup-troubleshoot-cross-account-copy": "Copy job failed. Both source and
            // destination account must be a member of the same organization").
            _ if dest_account_id != source_id && !both_in_org => {
                outcome = Outcome::Fail(
                    "Both source and destination account must be a member of the same organization".into(),
                );
            }
            None => {
                outcome = Outcome::Fail(format!("Backup vault {destination_vault_arn} does not exist"));
            }
            Some(v)
                if dest_account_id != source_id
                    && policy_answer(v.policy.as_deref(), &source_id, source_org) != PolicyAnswer::Allowed =>
            {
                outcome = Outcome::Fail(format!(
                    "Access denied: the access policy of backup vault {} does not allow backup:CopyIntoBackupVault from account {source_id}",
                    v.name
                ));
            }
            Some(_) => {}
        }
        if dest_account_id != source_id && outcome == Outcome::Succeed {
            if let Some(why) = self.cross_account_refusal(account, region, vault, rp, &dest_account_id) {
                outcome = Outcome::Fail(why);
            }
        }
        let id = uuid::Builder::from_random_bytes(self.rng.gen()).into_uuid().to_string().to_uppercase();
        let duration = if outcome == Outcome::Succeed { self.rng.gen_range(10..45) * MINUTE } else { 2 * MINUTE };
        let r = self.region_mut(account, region);
        let resource = Arc::clone(&r.vaults[vault].recovery_points[rp].resource);
        r.copy_jobs.push(CopyJob {
            id: id.clone(),
            source_vault: vault,
            source_recovery_point: rp,
            resource,
            destination_vault_arn: destination_vault_arn.to_string(),
            destination_recovery_point_arn: None,
            destination_key,
            run: JobRun::pending(t, duration, outcome),
            iam_role_arn,
            lifecycle,
            backup_job,
        });
        let job = r.copy_jobs.len() - 1;
        self.schedule(t + duration, Event::CopyDone { account, region: region.to_string(), job });
        Ok(id)
    }

    /// Why a cross-account copy job fails, as AWS fails it after the start (AWS Backup
    /// Developer Guide, "Creating backup copies across AWS accounts"; re:Post
    /// "backup-troubleshoot-cross-account-copy"): cross-account backup is off in the
    /// organization, or a resource type that AWS Backup does not fully manage (RDS,
    /// Aurora, EBS, EC2) keeps its source key, which is AWS managed or not shared with
    /// the destination.
    fn cross_account_refusal(
        &self,
        account: usize,
        region: &str,
        vault: usize,
        rp: usize,
        destination: &str,
    ) -> Option<String> {
        if !self.cross_account_backup {
            return Some(
                "Cross-account backup is not enabled for the organization: turn it on in the management account's AWS Backup settings"
                    .into(),
            );
        }
        let r = self.region(account, region)?;
        let point = &r.vaults[vault].recovery_points[rp];
        let keeps_source_key = point.resource.kind.keeps_source_key() && point.source_vault.is_none();
        if !keeps_source_key {
            return None;
        }
        let key = &point.resource.kms_key;
        if self.aws_managed_keys.contains_key(key) {
            Some(format!(
                "The recovery point is encrypted with the AWS managed key {key}, which cannot be shared with account {destination}: copy a backup encrypted with a customer managed key"
            ))
        } else if self.unshared_keys.contains(key) {
            Some(format!("Access denied: the key policy of {key} does not allow account {destination} to use the key"))
        } else {
            None
        }
    }

    fn copy_done(&mut self, t: Millis, account: usize, region: &str, job: usize) {
        let source_id = self.accounts[account].id.clone();
        let Some(r) = self.region(account, region) else {
            return;
        };
        let Some(cj) = r.copy_jobs.get(job) else {
            return;
        };
        let source_vault_arn = Arc::clone(&r.vaults[cj.source_vault].arn);
        let (outcome, dest_arn, resource, lifecycle) =
            (cj.run.outcome.clone(), cj.destination_vault_arn.clone(), Arc::clone(&cj.resource), cj.lifecycle);
        let source_rp = &r.vaults[cj.source_vault].recovery_points[cj.source_recovery_point];
        let (source_rp_created, source_retention, source_cold, source_form) =
            (source_rp.created, source_rp.delete_after_days, source_rp.cold_after_days, source_rp.form);
        let mut destination_rp = None;
        let mut message = None;
        match outcome {
            Outcome::Succeed => {
                let target = parse_vault_arn(&dest_arn).and_then(|(a, reg, name)| {
                    let d = self.account(&a)?;
                    let v = self.region(d, &reg)?.vault_by_name(&name)?;
                    Some((d, reg, v))
                });
                match target {
                    Some((d, reg, v)) => {
                        let id = resource.kind.recovery_point_id(self.rng.gen());
                        let dest_account_id = self.accounts[d].id.clone();
                        let rp = RecoveryPoint {
                            id,
                            resource,
                            // Developer guide, "Backup and tag copy": "Copies retain their
                            // source configuration, including creation dates and retention
                            // period. The creation date refers to when the source was
                            // created, not when the copy was created. You can override the
                            // retention period." (the copy job's Lifecycle).
                            created: source_rp_created,
                            completed: t,
                            status: RecoveryPointStatus::Completed,
                            source_vault: Some(source_vault_arn),
                            delete_after_days: lifecycle.delete_after_days.or(source_retention),
                            last_restore: None,
                            backup_plan: None,
                            form: source_form,
                            cold_after_days: lifecycle.cold_after_days.or(source_cold),
                        };
                        destination_rp = Some(recovery_point_arn(&dest_account_id, &reg, &rp));
                        self.region_mut(d, &reg).vaults[v].recovery_points.push(rp);
                    }
                    None => message = Some(format!("Backup vault {dest_arn} no longer exists")),
                }
            }
            Outcome::Fail(m) => message = Some(m),
        }
        let _ = source_id;
        let r = self.region_mut(account, region);
        let cj = &mut r.copy_jobs[job];
        cj.run.completed = Some(t);
        cj.run.state = if destination_rp.is_some() { JobState::Completed } else { JobState::Failed };
        cj.run.status_message = message;
        cj.destination_recovery_point_arn = destination_rp;
    }

    /// Starts a restore job in (account, region), checking what AWS checks at once.
    pub fn start_restore(
        &mut self,
        t: Millis,
        account: usize,
        region: &str,
        req: StartRestore,
    ) -> Result<String, AwsError> {
        self.start_restore_inner(t, account, region, req, None)
    }

    fn start_restore_inner(
        &mut self,
        t: Millis,
        account: usize,
        region: &str,
        req: StartRestore,
        test: Option<TestRun>,
    ) -> Result<String, AwsError> {
        let account_id = self.accounts[account].id.clone();
        let (rp_account, rp_region, rp_id) = parse_recovery_point_arn(&req.recovery_point_arn, &account_id)
            .ok_or_else(|| {
                AwsError::invalid_parameter(format!(
                    "RecoveryPointArn is not a recovery point ARN: {}",
                    req.recovery_point_arn
                ))
            })?;
        if rp_account != account_id {
            return Err(AwsError::invalid_request(format!(
                "Recovery point {} is in account {rp_account}; a restore can only use a recovery point in a vault of the same account ({account_id}). Copy it into a vault of {account_id} first.",
                req.recovery_point_arn
            )));
        }
        if rp_region != region {
            return Err(AwsError::invalid_parameter(format!(
                "Recovery point {} is in region {rp_region}, not {region}",
                req.recovery_point_arn
            )));
        }
        let Some((vault, rp)) = self.region(account, region).and_then(|r| r.find_recovery_point(rp_id)) else {
            return Err(AwsError::not_found(format!("Recovery point {} not found", req.recovery_point_arn)));
        };
        // AWS restores a composite point as a new stack; the sandbox models no
        // CloudFormation stacks to restore into, so it says so rather than guess.
        if self.region(account, region).is_some_and(|r| r.is_parent_point(vault, rp)) {
            return Err(AwsError::invalid_parameter(format!(
                "Recovery point {} is a composite (CloudFormation stack) recovery point: the sandbox restores only its child recovery points",
                req.recovery_point_arn
            )));
        }
        if let Some(role) = &req.iam_role_arn {
            let prefix = format!("arn:aws:iam::{account_id}:role/");
            if !role.starts_with(&prefix) || role.len() == prefix.len() {
                return Err(AwsError::invalid_parameter(format!(
                    "IamRoleArn must be a role of account {account_id}: {role}"
                )));
            }
        }
        let suffix: u64 = self.rng.gen();
        let r = self.region(account, region).ok_or_else(|| AwsError::not_found("no such region state"))?;
        let v = &r.vaults[vault];
        let point = &v.recovery_points[rp];
        let resource = Arc::clone(&point.resource);
        if let Some(kind) = &req.resource_type {
            if kind != resource.kind.as_str() {
                return Err(AwsError::invalid_parameter(format!(
                    "ResourceType {kind} does not match the recovery point's resource type {}",
                    resource.kind.as_str()
                )));
            }
        }
        // A recovery point that is being made, partial or expired is not restored; AWS
        // documents no wording, the sandbox answers InvalidRequestException.
        let status = point.status_at(t);
        if status != RecoveryPointStatus::Completed {
            return Err(AwsError::invalid_request(format!(
                "Recovery point {} is not available for restore: its status is {}",
                req.recovery_point_arn,
                status_name(status)
            )));
        }
        let cold = point.storage_class_at(t) == "COLD";
        let target = restore_target(&account_id, region, &resource, &req.metadata, suffix)?;
        let vault_arn = Arc::clone(&v.arn);
        let rp_created = point.created;
        // What the service refuses when AWS Backup hands it the metadata: the job fails.
        let refused = match &target {
            RestoreTarget::New(c) => match c.kind {
                ResourceType::Rds | ResourceType::Aurora => {
                    rds_placement_failure(&self.accounts[account], c.kind, &req.metadata)
                }
                ResourceType::Ec2 => ec2_placement_failure(&self.accounts[account], region, &req.metadata),
                _ => None,
            },
            RestoreTarget::Existing(kind, name) => {
                (!r.names.contains_key(&(*kind, name.clone()))).then(|| missing_target(*kind, name))
            }
        };
        let (created, taken) = match target {
            RestoreTarget::New(c) => {
                let taken = refused.is_some() || r.names.contains_key(&(c.kind, c.name.clone()));
                (Some(c), taken)
            }
            RestoreTarget::Existing(..) => (None, refused.is_some()),
        };

        let id = uuid::Builder::from_random_bytes(self.rng.gen()).into_uuid().to_string().to_uppercase();
        let base = match resource.kind {
            ResourceType::Rds => 25,
            ResourceType::DynamoDb => 8,
            ResourceType::Ebs => 5,
            ResourceType::Efs => 12,
            ResourceType::S3 => 15,
            ResourceType::Ec2 => 20,
            ResourceType::Aurora => 30,
        };
        let size_minutes = (resource.size / (2 << 30)) as i64;
        let mut duration = (base + size_minutes + self.rng.gen_range(0..20)) * MINUTE;
        if cold {
            // "Restoring from cold storage typically takes 4 hours more than restoring
            // from warm storage" (Developer Guide, "Restore a backup by resource type").
            duration += 4 * HOUR;
        }
        let (outcome, plan_arn, test_plan, window, start_window) = match test {
            Some(run) => (run.outcome, Some(run.plan_arn), run.plan, run.window, run.start_window),
            None => (Outcome::Succeed, None, TestPlan::default(), 0, 0),
        };
        let restored_items = if test_plan.empty_restore { 0 } else { table_items(&resource, rp_created) };
        let outcome = match (taken, refused, &created) {
            (false, ..) => outcome,
            (true, Some(why), _) => {
                duration = 2 * MINUTE;
                Outcome::Fail(why)
            }
            (true, None, Some(c)) => {
                duration = 2 * MINUTE;
                Outcome::Fail(already_exists(c))
            }
            (true, None, None) => outcome,
        };
        let r = self.region_mut(account, region);
        if let (false, Some(c)) = (taken, &created) {
            r.names.insert((c.kind, c.name.clone()), c.arn.clone());
        }
        r.restore_jobs.push(RestoreJob {
            id: id.clone(),
            recovery_point_arn: req.recovery_point_arn,
            recovery_point_created: rp_created,
            resource,
            vault_arn,
            run: JobRun::pending(t, duration, outcome),
            created_resource: if taken { None } else { created },
            iam_role_arn: req.iam_role_arn,
            metadata: req.metadata,
            plan_arn,
            validation: None,
            validation_window: window,
            deletion: None,
            restored_items,
            test: test_plan,
        });
        let job = r.restore_jobs.len() - 1;
        let misses_start = r.restore_jobs[job].test.misses_start_window;
        if misses_start {
            self.schedule(t + start_window, Event::StartWindowEnds { account, region: region.to_string(), job });
        } else {
            self.schedule(t + duration, Event::RestoreDone { account, region: region.to_string(), job });
        }
        Ok(id)
    }

    fn restore_done(&mut self, t: Millis, account: usize, region: &str, job: usize) {
        let account_id = self.accounts[account].id.clone();
        let r = self.region_mut(account, region);
        let Some(j) = r.restore_jobs.get_mut(job) else {
            return;
        };
        j.run.completed = Some(t);
        match j.run.outcome.clone() {
            Outcome::Succeed => {
                j.run.state = JobState::Completed;
                let is_test = j.plan_arn.is_some();
                let (rp_arn, source, minutes, created, rp_created) = (
                    j.recovery_point_arn.clone(),
                    j.resource.arn.clone(),
                    (t - j.run.created) / MINUTE,
                    j.run.created,
                    j.recovery_point_created,
                );
                let window = j.validation_window;
                if let Some(c) = j.created_resource.as_ref().filter(|c| c.kind == ResourceType::S3) {
                    let bucket = crate::s3::Bucket::restored(&c.name, &j.resource, rp_created, t);
                    r.buckets.insert(c.name.clone(), bucket);
                }
                if let Some(id) = parse_recovery_point_arn(&rp_arn, &account_id).map(|p| p.2) {
                    if let Some((v, i)) = r.find_recovery_point(id) {
                        r.vaults[v].recovery_points[i].last_restore = Some(t);
                    }
                }
                if let Some(res) = r.resource_by_arn(&source) {
                    r.resources[res].latest_restore =
                        Some(LatestRestore { minutes, job_created: created, recovery_point_created: rp_created });
                }
                // AWS sets no validation status by itself: the restored resource waits
                // for a validator until the window closes (at once for a window of 0),
                // then AWS Backup deletes it (developer guide, "Restore testing":
                // "Once the optional validation completes or the validation window
                // closes, AWS Backup deletes the resources involved with the restore test").
                if is_test {
                    self.schedule(t + window, Event::ValidationWindowEnds { account, region: region.to_string(), job });
                }
            }
            Outcome::Fail(message) => {
                j.run.state = JobState::Failed;
                j.run.status_message = Some(message);
                if let Some(c) = j.created_resource.take() {
                    r.names.remove(&(c.kind, c.name));
                }
            }
        }
    }

    /// A restore test that could not start within its plan's start window.
    fn abort_test(&mut self, t: Millis, account: usize, region: &str, job: usize) {
        let r = self.region_mut(account, region);
        let Some(j) = r.restore_jobs.get_mut(job).filter(|j| j.run.completed.is_none()) else {
            return;
        };
        j.run.completed = Some(t);
        j.run.state = JobState::Aborted;
        j.run.status_message = Some(format!(
            "The restore job did not start within the start window of {} hours: the account's restore capacity was in use",
            (t - j.run.created) / HOUR
        ));
        if let Some(c) = j.created_resource.take() {
            r.names.remove(&(c.kind, c.name));
        }
    }

    /// Records an external validation result (PutRestoreValidationResult).
    pub fn put_validation(
        &mut self,
        t: Millis,
        account: usize,
        region: &str,
        job_id: &str,
        status: &str,
        message: Option<String>,
    ) -> Result<(), AwsError> {
        let r = self.region_mut(account, region);
        let job = r
            .restore_jobs
            .iter()
            .position(|j| j.id == job_id)
            .ok_or_else(|| AwsError::not_found(format!("Restore job {job_id} not found")))?;
        let j = &mut r.restore_jobs[job];
        if j.plan_arn.is_none() {
            return Err(AwsError::invalid_request(format!(
                "Restore job {job_id} was not started by a restore testing plan"
            )));
        }
        if j.run.state != JobState::Completed {
            return Err(AwsError::invalid_request(format!("Restore job {job_id} has not completed")));
        }
        // The window closes when AWS Backup starts deleting what the test restored.
        if j.deletion.is_some() {
            return Err(AwsError::invalid_request(format!("The validation window of restore job {job_id} has closed")));
        }
        let message_or = |default: &str| message.clone().unwrap_or_else(|| default.to_string());
        j.validation = Some(match status {
            "SUCCESSFUL" => Validation::Successful(message.clone()),
            "FAILED" => Validation::Failed(message_or("Validation failed")),
            "TIMED_OUT" => Validation::TimedOut(message_or("Validation timed out")),
            "VALIDATING" => Validation::Validating(message.clone()),
            other => {
                return Err(AwsError::invalid_parameter(format!(
                    "ValidationStatus must be one of FAILED, SUCCESSFUL, TIMED_OUT, VALIDATING, got {other:?}"
                )))
            }
        });
        if status != "VALIDATING" {
            self.schedule(t, Event::Delete { account, region: region.to_string(), job });
        }
        Ok(())
    }

    /// Runs a restore testing plan at `t`: one restore job per selected resource.
    pub fn run_plan(&mut self, t: Millis, account: usize, region: &str, plan: usize) -> Vec<String> {
        let Some(r) = self.region(account, region) else {
            return Vec::new();
        };
        let Some(p) = r.plans.get(plan) else {
            return Vec::new();
        };
        let run_no = p.runs;
        let forced = p.forced.get(&run_no).cloned();
        let plan_arn = p.arn.clone();
        let start_window = p.start_window_hours * HOUR;
        let sel = p.selection.clone();
        let window_start = t - sel.window_days * DAY;
        let mut picks = Vec::new();
        for s in &p.selections {
            let resources: Vec<&Resource> = r
                .resources
                .iter()
                .filter(|res| res.info.kind == s.resource_type)
                .filter(|res| s.resource_arns.iter().any(|a| a == "*" || *a == res.info.arn))
                .filter(|res| s.string_equals.iter().all(|kv| res.info.tags.contains(kv)))
                .filter(|res| s.string_not_equals.iter().all(|(k, v)| not_equal_tag(&res.info.tags, k, v)))
                .take(30)
                .collect();
            for res in resources {
                let candidates: Vec<(usize, usize)> = r
                    .vaults
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| vault_selected(&v.arn, &sel))
                    .flat_map(|(vi, v)| {
                        v.recovery_points.iter().enumerate().filter_map(move |(i, rp)| {
                            (rp.resource.arn == res.info.arn
                                && rp.status_at(t) == RecoveryPointStatus::Completed
                                && rp.created >= window_start
                                && rp.completed <= t)
                                .then_some((vi, i))
                        })
                    })
                    .collect();
                if candidates.is_empty() {
                    continue;
                }
                let latest = candidates.iter().copied().max_by_key(|(v, i)| r.vaults[*v].recovery_points[*i].created);
                picks.push((res.info.arn.clone(), latest, candidates, s.clone()));
            }
        }
        let account_id = self.accounts[account].id.clone();
        let mut started = Vec::new();
        for (_, latest, candidates, s) in picks {
            let chosen = if sel.algorithm == "RANDOM_WITHIN_WINDOW" {
                candidates.choose(&mut self.rng).copied()
            } else {
                latest
            };
            let Some((v, i)) = chosen else { continue };
            let (rp_arn, info) = {
                let Some(r) = self.region(account, region) else {
                    continue;
                };
                let rp = &r.vaults[v].recovery_points[i];
                (recovery_point_arn(&account_id, region, rp), Arc::clone(&rp.resource))
            };
            let suffix: u64 = self.rng.gen();
            let mut metadata = inferred_metadata(&info, suffix);
            metadata.extend(s.overrides.clone());
            let (outcome, plan) = match forced.clone() {
                Some(f) => forced_test(f),
                None => self.random_test_outcome(&info),
            };
            let run = TestRun {
                plan_arn: plan_arn.clone(),
                window: s.validation_window_hours * HOUR,
                start_window,
                outcome,
                plan,
            };
            let req = StartRestore {
                recovery_point_arn: rp_arn,
                metadata,
                iam_role_arn: Some(s.iam_role_arn.clone()),
                resource_type: None,
            };
            if let Ok(id) = self.start_restore_inner(t, account, region, req, Some(run)) {
                started.push(id);
            }
        }
        let p = &mut self.region_mut(account, region).plans[plan];
        p.last_execution = Some(t);
        p.runs += 1;
        started
    }

    /// How an unforced restore test goes: a few restores fail, a few clean-ups fail.
    fn random_test_outcome(&mut self, info: &ResourceInfo) -> (Outcome, TestPlan) {
        let roll: f64 = self.rng.gen();
        if roll < 0.03 {
            (Outcome::Fail(restore_failure(info.kind).to_string()), TestPlan::default())
        } else if roll < 0.04 {
            let plan = TestPlan { deletion_failure: Some(deletion_failure(info.kind).into()), ..TestPlan::default() };
            (Outcome::Succeed, plan)
        } else {
            (Outcome::Succeed, TestPlan::default())
        }
    }
}

fn forced_test(forced: ForcedRun) -> (Outcome, TestPlan) {
    let plan = TestPlan::default();
    match forced {
        ForcedRun::RestoreFails(message) => (Outcome::Fail(message), plan),
        ForcedRun::EmptyRestore => (Outcome::Succeed, TestPlan { empty_restore: true, ..plan }),
        ForcedRun::MissesStartWindow => (Outcome::Succeed, TestPlan { misses_start_window: true, ..plan }),
        ForcedRun::DeletionFails(why) => (Outcome::Succeed, TestPlan { deletion_failure: Some(why), ..plan }),
    }
}

/// A recovery point status as the API spells it (the success state aside).
fn status_name(status: RecoveryPointStatus) -> &'static str {
    match status {
        RecoveryPointStatus::Creating => "CREATING",
        RecoveryPointStatus::Completed => "COMPLETED",
        RecoveryPointStatus::Partial => "PARTIAL",
        RecoveryPointStatus::Expired => "EXPIRED",
        RecoveryPointStatus::Deleted => "DELETING",
    }
}

/// Why AWS Backup could not delete what a restore test made.
pub fn deletion_failure(kind: ResourceType) -> &'static str {
    match kind {
        ResourceType::DynamoDb => "Deletion failed: the restored table has deletion protection enabled",
        ResourceType::Rds => "Deletion failed: the restored DB instance has deletion protection enabled",
        ResourceType::Aurora => "Deletion failed: the restored DB cluster has deletion protection enabled",
        ResourceType::Ec2 => {
            "Deletion failed: the restored instance has termination protection enabled (DisableApiTermination)"
        }
        _ => "Deletion failed: the restored resource is in use",
    }
}

pub fn restore_failure(kind: ResourceType) -> &'static str {
    match kind {
        ResourceType::DynamoDb => "Restore failed: DynamoDB returned LimitExceededException (too many concurrent table restores in the account)",
        ResourceType::Rds => "Restore failed: InsufficientDBInstanceCapacity for db.t3.medium in the requested Availability Zone",
        ResourceType::Ebs => "Restore failed: the KMS key used by the snapshot is disabled",
        ResourceType::Efs => "Restore failed: file system limit exceeded",
        ResourceType::S3 => "Restore failed: access denied writing to the destination bucket",
        ResourceType::Ec2 => "Restore failed: InsufficientInstanceCapacity: there is not enough capacity for the requested instance type in the Availability Zone",
        ResourceType::Aurora => "Restore failed: InsufficientDBClusterCapacityFault: the DB cluster does not have enough capacity for the current operation",
    }
}

/// The (account, region, name) of a backup vault ARN.
pub fn parse_vault_arn(arn: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", "aws", "backup", region, account, "backup-vault", name]
            if account.len() == 12 && !name.is_empty() && !region.is_empty() =>
        {
            Some(((*account).to_string(), (*region).to_string(), (*name).to_string()))
        }
        _ => None,
    }
}

/// How a vault access policy answers a copy from an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyAnswer {
    Allowed,
    /// No statement allows it (the copy job fails).
    NotAllowed,
    /// A Deny statement applies (StartCopyJob is refused with AccessDeniedException).
    Denied,
}

/// The request context of a copy (`aws:PrincipalOrgID`, `aws:PrincipalAccount`,
/// `aws:SourceAccount`): `None` for a key absent from the request.
fn copy_context(key: &str, source_account: &str, org_id: Option<&str>) -> Option<String> {
    match key.to_ascii_lowercase().as_str() {
        "aws:principalorgid" => org_id.map(String::from),
        "aws:principalaccount" | "aws:sourceaccount" => Some(source_account.to_string()),
        _ => None,
    }
}

/// A statement's Condition block, as IAM evaluates it (IAM User Guide, "Condition
/// operators": every operator and key must hold; a negated operator, or one ending
/// in `IfExists`, holds when the key is absent from the request).
fn conditions_hold(block: &serde_json::Value, source_account: &str, org_id: Option<&str>) -> bool {
    let Some(operators) = block.as_object() else { return true };
    operators.iter().all(|(operator, keys)| {
        let (base, if_exists) = operator.strip_suffix("IfExists").map_or((operator.as_str(), false), |b| (b, true));
        keys.as_object().is_some_and(|keys| {
            keys.iter().all(|(key, values)| {
                let values: Vec<&str> = match values {
                    serde_json::Value::String(v) => vec![v.as_str()],
                    serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                    _ => Vec::new(),
                };
                let (negated, like) = match base {
                    "StringEquals" => (false, false),
                    "StringNotEquals" => (true, false),
                    "StringLike" => (false, true),
                    "StringNotLike" => (true, true),
                    _ => return false,
                };
                match copy_context(key, source_account, org_id) {
                    None => negated || if_exists,
                    Some(actual) => {
                        let any = values.iter().any(|v| if like { wildcard(v, &actual) } else { *v == actual });
                        any != negated
                    }
                }
            })
        })
    })
}

/// Whether a vault access policy lets `source_account` (a member of `org_id`, if
/// any) copy into the vault: an explicit Deny wins, then an Allow statement for
/// `backup:CopyIntoBackupVault` (or `backup:*`) whose principal is that account, its
/// root, or `*`, and whose conditions hold (IAM User Guide, "Policy evaluation logic").
pub fn policy_answer(policy: Option<&str>, source_account: &str, org_id: Option<&str>) -> PolicyAnswer {
    let Some(doc) = policy.and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok()) else {
        return PolicyAnswer::NotAllowed;
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(s) => s.clone(),
        s @ serde_json::Value::Object(_) => vec![s.clone()],
        _ => return PolicyAnswer::NotAllowed,
    };
    let as_list = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
            _ => Vec::new(),
        }
    };
    let applies = |s: &serde_json::Value| {
        let actions = as_list(&s["Action"]);
        if !actions.iter().any(|a| a == "backup:CopyIntoBackupVault" || a == "backup:*" || a == "*") {
            return false;
        }
        let principals = match &s["Principal"] {
            serde_json::Value::String(p) => vec![p.clone()],
            p => as_list(&p["AWS"]),
        };
        let principal_ok = principals
            .iter()
            .any(|p| p == "*" || p == source_account || *p == format!("arn:aws:iam::{source_account}:root"));
        principal_ok && conditions_hold(&s["Condition"], source_account, org_id)
    };
    if statements.iter().any(|s| s["Effect"] == "Deny" && applies(s)) {
        PolicyAnswer::Denied
    } else if statements.iter().any(|s| s["Effect"] == "Allow" && applies(s)) {
        PolicyAnswer::Allowed
    } else {
        PolicyAnswer::NotAllowed
    }
}

/// StringNotEquals: the resource is tagged `key` with another value than `value`
/// (the model: "resources that you tagged that do not have the same value").
fn not_equal_tag(tags: &[(String, String)], key: &str, value: &str) -> bool {
    tags.iter().any(|(k, v)| k == key && v != value)
}

fn vault_selected(arn: &str, sel: &RecoveryPointSelection) -> bool {
    let matches = |pattern: &String| wildcard(pattern, arn);
    sel.include_vaults.iter().any(matches) && !sel.exclude_vaults.iter().any(matches)
}

/// `*` matches any run of characters.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

/// What a backup run gives the recovery points it opens: its plan, retention, cold
/// storage and whether the account has advanced DynamoDB backup.
#[derive(Clone, Copy)]
struct PointTerms {
    plan: usize,
    delete_after: u32,
    cold_after: Option<u16>,
    dynamodb_advanced: bool,
}

impl PointTerms {
    /// Opens the recovery point of a backup job that will succeed: it exists, `CREATING`,
    /// while its job runs (Backup model, DescribeRecoveryPoint Status: "CREATING status
    /// indicates that an Backup job has been initiated for a resource").
    fn open(self, r: &mut RegionState, vault: usize, info: &Arc<ResourceInfo>, t: Millis, job: u128) -> Option<usize> {
        let raw = job.rotate_left(64) ^ 0x5a5a;
        let (form, id) = if info.kind == ResourceType::DynamoDb && !self.dynamodb_advanced {
            (PointForm::DynamoDbManaged, dynamodb_backup_id(t, raw))
        } else {
            (PointForm::Periodic, info.kind.recovery_point_id(raw))
        };
        let v = r.vaults.get_mut(vault)?;
        v.recovery_points.push(RecoveryPoint {
            id,
            resource: Arc::clone(info),
            created: t,
            completed: t,
            status: RecoveryPointStatus::Creating,
            source_vault: None,
            delete_after_days: Some(self.delete_after),
            last_restore: None,
            backup_plan: Some(self.plan as u16),
            form,
            cold_after_days: self.cold_after,
        });
        Some(v.recovery_points.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_policies_are_read_like_iam() {
        use PolicyAnswer::*;
        let org_policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"backup:CopyIntoBackupVault","Resource":"*","Condition":{{"StringEquals":{{"aws:PrincipalOrgID":"{ORG_ID}"}}}}}}]}}"#
        );
        let member = Some(ORG_ID);
        assert_eq!(policy_answer(Some(&org_policy), "111111111111", member), Allowed);
        assert_eq!(policy_answer(Some(&org_policy), "333333333333", None), NotAllowed);
        let one_account = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["backup:CopyIntoBackupVault"]}}"#;
        assert_eq!(policy_answer(Some(one_account), "111111111111", member), Allowed);
        assert_eq!(policy_answer(Some(one_account), "333333333333", None), NotAllowed);
        let other_org = org_policy.replace(ORG_ID, "o-someoneelse");
        assert_eq!(policy_answer(Some(&other_org), "111111111111", member), NotAllowed);
        let deny = org_policy.replace("Allow", "Deny");
        assert_eq!(policy_answer(Some(&deny), "111111111111", member), Denied);
        assert_eq!(policy_answer(None, "111111111111", member), NotAllowed);
        // The landing-zone vault: deny outside the organization (StringNotEquals holds
        // when aws:PrincipalOrgID is absent, i.e. for an account outside any organization).
        let landing_zone = crate::generate::organization_copy_policy("arn:aws:backup:r:222222222222:backup-vault:v");
        assert_eq!(policy_answer(Some(&landing_zone), "111111111111", member), Allowed);
        assert_eq!(policy_answer(Some(&landing_zone), "333333333333", None), Denied);
        assert_eq!(policy_answer(Some(&landing_zone), "444444444444", Some("o-other")), Denied);
    }

    #[test]
    fn wildcards_and_vault_arns() {
        assert!(wildcard("*", "anything"));
        assert!(wildcard("arn:aws:backup:*:*:backup-vault:asdf-*", "arn:aws:backup:us-west-2:1:backup-vault:asdf-9"));
        assert!(!wildcard("arn:aws:backup:*:*:backup-vault:asdf-*", "arn:aws:backup:us-west-2:1:backup-vault:zz"));
        assert_eq!(
            parse_vault_arn("arn:aws:backup:ap-southeast-2:222222222222:backup-vault:central"),
            Some(("222222222222".into(), "ap-southeast-2".into(), "central".into()))
        );
        assert_eq!(parse_vault_arn("arn:aws:backup:ap-southeast-2:22:backup-vault:x"), None);
    }
}
