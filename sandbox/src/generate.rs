//! The demo world of the product brief, optionally grown with generated accounts.
//! Ninety days of history are not written out by hand: the world is set up as it
//! was 90 days ago and the engine lives through them, so history and the live
//! sandbox follow the same rules.

use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::engine::{DAY, HOUR};
use super::protocol::{Millis, PageTokens};
use super::schedule::Schedule;
use super::world::*;

pub const WORKLOAD_A: &str = "111111111111";
pub const BACKUP: &str = "222222222222";
/// An account outside the organization, to show cross-organization copies refused.
pub const OUTSIDER: &str = "333333333333";
/// The DB subnet group of workload_a, which has no default VPC.
pub const WORKLOAD_A_DB_SUBNET_GROUP: &str = "workload-a-db";
pub const DEMO_REGION: &str = "ap-southeast-2";
/// The hub's bucket with Object Lock for the console's audit digests (in [`DEMO_REGION`]).
pub const AUDIT_DIGEST_BUCKET: &str = "rc-audit-digests-999999999999";
pub const READ_ROLE: &str = "RecoveryConsoleRead";
pub const OPERATOR_ROLE: &str = "RecoveryConsoleOperator";
/// The role the console validates restore tests with (reads restored resources,
/// reports PutRestoreValidationResult; starts nothing).
pub const VALIDATOR_ROLE: &str = "RecoveryConsoleValidator";
const HISTORY_DAYS: i64 = 90;
const GENERATED_REGIONS: [&str; 4] = ["ap-southeast-2", "us-east-1", "eu-west-1", "us-west-2"];

#[derive(Debug, Clone)]
pub struct WorldOptions {
    pub seed: u64,
    /// Generated accounts beyond the demo scenario.
    pub accounts: usize,
    /// Sandbox time at start; history runs up to it.
    pub start: Millis,
}

struct Builder {
    rng: ChaCha8Rng,
    accounts: Vec<Account>,
    begin: Millis,
    aws_managed_keys: HashMap<String, &'static str>,
    unshared_keys: HashSet<String>,
}

impl Builder {
    fn key(&mut self, account: &str, region: &str) -> String {
        let id = uuid::Builder::from_random_bytes(self.rng.gen()).into_uuid();
        format!("arn:aws:kms:{region}:{account}:key/{id}")
    }

    fn account(&mut self, id: &str, name: &str, in_org: bool, roles: Vec<Role>) -> usize {
        self.accounts.push(Account {
            id: id.to_string(),
            name: name.to_string(),
            email: format!("aws+{}@example.com", name.replace('_', "-")),
            in_organization: in_org,
            joined: self.begin - 400 * DAY,
            roles,
            regions: BTreeMap::new(),
            default_vpc: true,
            db_subnet_groups: Vec::new(),
            dynamodb_advanced: true,
        });
        self.accounts.len() - 1
    }

    fn region(&mut self, account: usize, region: &str) -> &mut RegionState {
        self.accounts[account].regions.entry(region.to_string()).or_default()
    }

    fn vault(&mut self, account: usize, region: &str, name: &str, policy: Option<String>) -> usize {
        let account_id = self.accounts[account].id.clone();
        let key_arn = self.key(&account_id, region);
        let created = self.begin - 200 * DAY;
        let r = self.region(account, region);
        r.vaults.push(Vault {
            name: name.to_string(),
            arn: Arc::from(format!("arn:aws:backup:{region}:{account_id}:backup-vault:{name}")),
            key_arn,
            created,
            policy,
            recovery_points: Vec::new(),
        });
        r.vaults.len() - 1
    }

    fn resource(
        &mut self,
        account: usize,
        region: &str,
        kind: ResourceType,
        name: &str,
        kms_key: &str,
        tags: &[(&str, &str)],
    ) -> usize {
        let size = match kind {
            ResourceType::Rds | ResourceType::Aurora => self.rng.gen_range(10..60u64) << 30,
            ResourceType::DynamoDb => self.rng.gen_range(1..12u64) << 30,
            _ => self.rng.gen_range(1..40u64) << 30,
        };
        self.sized_resource(account, region, kind, name, kms_key, tags, size)
    }

    #[allow(clippy::too_many_arguments)]
    fn sized_resource(
        &mut self,
        account: usize,
        region: &str,
        kind: ResourceType,
        name: &str,
        kms_key: &str,
        tags: &[(&str, &str)],
        size: u64,
    ) -> usize {
        let account_id = self.accounts[account].id.clone();
        let arn = match kind {
            ResourceType::DynamoDb => {
                format!("arn:aws:dynamodb:{region}:{account_id}:table/{name}")
            }
            ResourceType::Rds => format!("arn:aws:rds:{region}:{account_id}:db:{name}"),
            ResourceType::Ebs => format!("arn:aws:ec2:{region}:{account_id}:volume/{name}"),
            ResourceType::Efs => {
                format!("arn:aws:elasticfilesystem:{region}:{account_id}:file-system/{name}")
            }
            ResourceType::S3 => format!("arn:aws:s3:::{name}"),
            ResourceType::Ec2 => format!("arn:aws:ec2:{region}:{account_id}:instance/{name}"),
            ResourceType::Aurora => format!("arn:aws:rds:{region}:{account_id}:cluster:{name}"),
        };
        let info = Arc::new(ResourceInfo {
            arn: arn.clone(),
            kind,
            name: name.to_string(),
            account: account_id,
            region: region.to_string(),
            kms_key: kms_key.to_string(),
            tags: tags.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(),
            size,
            db_subnet_group: self.accounts[account]
                .db_subnet_groups
                .first()
                .cloned()
                .unwrap_or_else(|| "default".into()),
            default_vpc: self.accounts[account].default_vpc,
        });
        let r = self.region(account, region);
        r.names.insert((kind, name.to_string()), arn);
        r.resources.push(Resource { info, last_backup: None, latest_restore: None });
        r.resources.len() - 1
    }

    /// A continuous recovery point of `resource` in `vault`, started 40 days before the
    /// history begins and kept 35 days back (the longest continuous retention, Developer
    /// Guide, "Continuous backups and point-in-time recovery"), made by the region's last
    /// backup plan. Its id comes from the resource's ARN: no random number is drawn.
    fn continuous(&mut self, account: usize, region: &str, resource: usize, vault: usize) {
        let begin = self.begin;
        let r = self.region(account, region);
        let info = Arc::clone(&r.resources[resource].info);
        let id = info.arn.bytes().fold(0x811c_9dc5u32, |h, c| (h ^ u32::from(c)).wrapping_mul(0x0100_0193));
        let plan = r.backup_plans.len().checked_sub(1).map(|p| p as u16);
        r.vaults[vault].recovery_points.push(RecoveryPoint {
            id: u128::from(id),
            resource: info,
            created: begin - 40 * DAY,
            completed: begin - 40 * DAY,
            status: RecoveryPointStatus::Completed,
            source_vault: None,
            delete_after_days: Some(35),
            last_restore: None,
            backup_plan: plan,
            form: PointForm::Continuous,
            cold_after_days: None,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn backup_plan(
        &mut self,
        account: usize,
        region: &str,
        name: &str,
        cron: &str,
        resources: Vec<usize>,
        vault: usize,
        copy_to: Option<String>,
    ) {
        let id = uuid::Builder::from_random_bytes(self.rng.gen()).into_uuid().to_string();
        let Ok(schedule) = Schedule::parse(cron) else {
            return;
        };
        let r = self.region(account, region);
        r.backup_plans.push(BackupPlan {
            id,
            name: name.to_string(),
            rule: "daily".to_string(),
            schedule,
            resources,
            vault,
            copy_to,
            delete_after_days: 120,
            cold_after_days: None,
            failure_rate: 0.01,
            rng: None,
            stack: None,
        });
    }

    /// A CloudFormation stack of a DynamoDB table and an S3 bucket, backed up daily as
    /// one unit (composite jobs, see `Engine::run_stack_backup`). It draws nothing from
    /// the dice, so the rest of the world is what it was before it existed.
    fn stack(&mut self, account: usize, region: &str, team: &str, key: &str, vault: usize) {
        let id = self.accounts[account].id.clone();
        let name = format!("{team}-app");
        let tags = [("app", name.as_str()), ("tier", "standard")];
        let members = vec![
            self.sized_resource(
                account,
                region,
                ResourceType::DynamoDb,
                &format!("{team}-app-sessions"),
                key,
                &tags,
                2 << 30,
            ),
            self.sized_resource(
                account,
                region,
                ResourceType::S3,
                &format!("{team}-{id}-app-assets"),
                key,
                &tags,
                8 << 30,
            ),
        ];
        let stack_id = uuid::Uuid::from_u128(u128::from(id.parse::<u64>().unwrap_or_default()) << 32 | 0x57ac);
        let arn = format!("arn:aws:cloudformation:{region}:{id}:stack/{name}/{stack_id}");
        let r = self.region(account, region);
        let member_infos: Vec<&Arc<ResourceInfo>> =
            members.iter().filter_map(|m| r.resources.get(*m)).map(|m| &m.info).collect();
        let Some(first) = member_infos.first() else {
            return;
        };
        let info = Arc::new(ResourceInfo {
            arn: arn.clone(),
            kind: ResourceType::S3,
            name: name.clone(),
            size: member_infos.iter().map(|m| m.size).sum(),
            account: first.account.clone(),
            region: first.region.clone(),
            kms_key: first.kms_key.clone(),
            tags: Vec::new(),
            db_subnet_group: first.db_subnet_group.clone(),
            default_vpc: first.default_vpc,
        });
        let stack = Arc::new(Stack {
            arn,
            name: name.clone(),
            logical_ids: vec!["SessionsTable".to_string(), "AssetsBucket".to_string()],
            info,
        });
        let Ok(schedule) = Schedule::parse("cron(0 2 ? * * *)") else {
            return;
        };
        let plan_id =
            uuid::Uuid::from_u128(u128::from(id.parse::<u64>().unwrap_or_default()) << 32 | 0x91a4).to_string();
        self.region(account, region).backup_plans.push(BackupPlan {
            id: plan_id,
            name: format!("{name}-stack-daily"),
            rule: "daily".to_string(),
            schedule,
            resources: members,
            vault,
            copy_to: None,
            delete_after_days: 35,
            cold_after_days: None,
            failure_rate: 0.0,
            rng: None,
            stack: Some(stack),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn testing_plan(
        &mut self,
        account: usize,
        region: &str,
        name: &str,
        cron: &str,
        algorithm: &str,
        start_window_hours: i64,
        selection: RestoreTestingSelection,
        forced: HashMap<u32, ForcedRun>,
    ) {
        let account_id = self.accounts[account].id.clone();
        let Ok(schedule) = Schedule::parse(cron) else {
            return;
        };
        let created = self.begin;
        let next_run = schedule.next_after(created);
        let r = self.region(account, region);
        r.plans.push(RestoreTestingPlan {
            name: name.to_string(),
            arn: testing_plan_arn(region, &account_id, name),
            created,
            updated: created,
            schedule_expression: cron.to_string(),
            schedule_timezone: None,
            schedule,
            next_run,
            start_window_hours,
            selection: RecoveryPointSelection {
                algorithm: algorithm.to_string(),
                include_vaults: vec!["*".to_string()],
                exclude_vaults: Vec::new(),
                types: vec!["SNAPSHOT".to_string()],
                window_days: 7,
            },
            last_execution: None,
            selections: vec![selection],
            forced,
            runs: 0,
            creator_request_id: None,
            deleted: false,
        });
    }
}

fn member_roles(trusts: &str, external_id: Option<&str>) -> Vec<Role> {
    [(READ_ROLE, false, false), (OPERATOR_ROLE, true, false), (VALIDATOR_ROLE, false, true)]
        .into_iter()
        .map(|(name, can_act, can_validate)| Role {
            name: name.to_string(),
            trusts: trusts.to_string(),
            external_id: external_id.map(String::from),
            can_act,
            can_validate,
        })
        .collect()
}

/// The ARN of an account's AWS managed key for a service (alias `aws/<service>`),
/// derived without drawing from the world's random numbers.
pub fn aws_managed_key(account: &str, region: &str, service: &str) -> String {
    let seed =
        format!("{account}{region}{service}").bytes().fold(0u128, |h, c| h.wrapping_mul(131).wrapping_add(c as u128));
    format!("arn:aws:kms:{region}:{account}:key/{}", uuid::Uuid::from_u128(seed))
}

/// The vault access policy of the central vault: copies from the organization only,
/// written the landing-zone way: an explicit Deny of copies from outside the
/// organization, then an Allow for the organization.
pub fn organization_copy_policy(vault_arn: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyCopyFromOutsideOrganization",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "backup:CopyIntoBackupVault",
            "Resource": vault_arn,
            "Condition": { "StringNotEquals": { "aws:PrincipalOrgID": ORG_ID } }
        }, {
            "Sid": "AllowCopyFromOrganization",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "backup:CopyIntoBackupVault",
            "Resource": vault_arn,
            "Condition": { "StringEquals": { "aws:PrincipalOrgID": ORG_ID } }
        }]
    })
    .to_string()
}

/// The ARN of a restore testing plan the world makes.
fn testing_plan_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:backup:{region}:{account}:restore-testing-plan:{name}-{:06x}", name.len() * 7919)
}

/// The demo's restore testing plan of the `tracking` table.
pub const TRACKING_PLAN: &str = "tracking_daily_restore_test";
/// The hour (UTC) the demo's plan of `tracking` starts its test every day.
pub const TRACKING_TEST_HOUR: i64 = 18;

/// The ARN of the demo's restore testing plan of `tracking`.
pub fn tracking_plan_arn() -> String {
    testing_plan_arn(DEMO_REGION, WORKLOAD_A, TRACKING_PLAN)
}

pub fn build(options: &WorldOptions) -> World {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let begin = options.start - options.start.rem_euclid(DAY) - HISTORY_DAYS * DAY;
    let token_key: [u8; 32] = rng.gen();
    let mut b =
        Builder { rng, accounts: Vec::new(), begin, aws_managed_keys: HashMap::new(), unshared_keys: HashSet::new() };

    b.account(HUB_ACCOUNT, "management", true, Vec::new());
    let workload = b.account(WORKLOAD_A, "workload_a", true, member_roles(HUB_ACCOUNT, None));
    // workload_a is a landing-zone account: no default VPC, one DB subnet group of its own.
    b.accounts[workload].default_vpc = false;
    b.accounts[workload].db_subnet_groups = vec![WORKLOAD_A_DB_SUBNET_GROUP.to_string()];
    let backup = b.account(BACKUP, "backup", true, member_roles(HUB_ACCOUNT, None));
    let outsider = b.account(OUTSIDER, "partner", false, member_roles(HUB_ACCOUNT, None));

    let r = DEMO_REGION;
    let central_arn = format!("arn:aws:backup:{r}:{BACKUP}:backup-vault:central-vault");
    b.vault(backup, r, "central-vault", Some(organization_copy_policy(&central_arn)));
    let partner_arn = format!("arn:aws:backup:{r}:{OUTSIDER}:backup-vault:partner-vault");
    let open_policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "backup:CopyIntoBackupVault", "Resource": partner_arn}]});
    b.vault(outsider, r, "partner-vault", Some(open_policy.to_string()));

    let resource_key = b.key(WORKLOAD_A, r);
    let tracking = b.resource(
        workload,
        r,
        ResourceType::DynamoDb,
        "tracking",
        &resource_key,
        &[("env", "prod"), ("app", "tracking")],
    );
    let mydb =
        b.resource(workload, r, ResourceType::Rds, "mydb", &resource_key, &[("env", "prod"), ("app", "tracking")]);
    let local_vault = b.vault(workload, r, "workload-a-vault", None);
    b.backup_plan(
        workload,
        r,
        "workload-a-daily",
        "cron(0 14 ? * * *)",
        vec![tracking, mydb],
        local_vault,
        Some(central_arn.clone()),
    );
    let tracking_arn = format!("arn:aws:dynamodb:{r}:{WORKLOAD_A}:table/tracking");
    // Fixed runs so the history always shows each kind of trouble, some of them recent:
    // a restore that failed, a test that missed its start window, a clean-up that
    // failed, and recovery points that held an empty table (which a validator's
    // item-count check fails, when one validates them). Runs 90 and on come after the
    // 90 days of history: the demo lives through a week with its console (and so its
    // validator) before it opens, and meets run 93 then.
    let forced: HashMap<u32, ForcedRun> = [
        (20, ForcedRun::EmptyRestore),
        (45, ForcedRun::RestoreFails(super::engine::restore_failure(ResourceType::DynamoDb).into())),
        (60, ForcedRun::DeletionFails(super::engine::deletion_failure(ResourceType::DynamoDb).into())),
        (72, ForcedRun::EmptyRestore),
        (86, ForcedRun::MissesStartWindow),
        (93, ForcedRun::EmptyRestore),
    ]
    .into_iter()
    .collect();
    b.testing_plan(
        workload,
        r,
        TRACKING_PLAN,
        &format!("cron(0 {TRACKING_TEST_HOUR} ? * * *)"),
        "LATEST_WITHIN_WINDOW",
        4,
        RestoreTestingSelection {
            name: "tracking_table".into(),
            created: begin,
            iam_role_arn: format!("arn:aws:iam::{WORKLOAD_A}:role/service-role/AWSBackupDefaultServiceRole"),
            resource_type: ResourceType::DynamoDb,
            resource_arns: vec![tracking_arn],
            string_equals: Vec::new(),
            string_not_equals: Vec::new(),
            overrides: BTreeMap::new(),
            validation_window_hours: 4,
            creator_request_id: None,
        },
        forced,
    );

    let hub = 0;
    let framework_arn = format!("arn:aws:backup:{r}:{HUB_ACCOUNT}:framework:org-backup-controls-8f3a");
    let report_arn = format!("arn:aws:backup:{r}:{HUB_ACCOUNT}:report-plan:restore-job-report");
    let hub_region = b.region(hub, r);
    hub_region.frameworks.push(Framework {
        name: "org-backup-controls".into(),
        arn: framework_arn,
        description: "Backup and restore-testing controls for the organization".into(),
        controls: 6,
        created: begin - 30 * DAY,
    });
    hub_region.report_plans.push(ReportPlan {
        name: "restore-job-report".into(),
        arn: report_arn,
        description: "Daily restore job report for the organization".into(),
        template: "RESTORE_JOB_REPORT".into(),
        bucket: "rc-demo-backup-reports".into(),
        created: begin - 30 * DAY,
        last_attempt: None,
    });
    // The bucket the console writes its audit digests to, with Object Lock (S3 User
    // Guide, "Locking objects with Object Lock": the bucket needs versioning), and the
    // report plan's bucket, versioned without Object Lock.
    hub_region.buckets.insert(AUDIT_DIGEST_BUCKET.into(), crate::s3::Bucket::with_object_lock());
    hub_region.buckets.insert("rc-demo-backup-reports".into(), crate::s3::Bucket::versioned());

    // Where recoveries through the central vault land in workload_a: copies from the
    // organization may enter it (the brief's cross-account recovery). Made last, so
    // the rest of the world is what it was before it existed.
    let recovery_arn = format!("arn:aws:backup:{r}:{WORKLOAD_A}:backup-vault:workload-a-recovery");
    b.vault(workload, r, "workload-a-recovery", Some(organization_copy_policy(&recovery_arn)));
    platform(&mut b, workload, options.seed);

    generate_accounts(&mut b, options.accounts, &central_arn);

    let mut world = World {
        account_index: b.accounts.iter().enumerate().map(|(i, a)| (a.id.clone(), i)).collect(),
        accounts: b.accounts,
        sessions: HashMap::new(),
        idempotency: HashMap::new(),
        events: BinaryHeap::new(),
        event_seq: 0,
        rng: b.rng,
        tokens: PageTokens::new(token_key),
        org_created: begin - 400 * DAY,
        cross_account_backup: true,
        aws_managed_keys: b.aws_managed_keys,
        unshared_keys: b.unshared_keys,
        // The backup account administers AWS Backup for the organization (Organizations
        // RegisterDelegatedAdministrator, service principal backup.amazonaws.com).
        delegated_admins: vec![(BACKUP.to_string(), BACKUP_PRINCIPAL, begin - 200 * DAY)],
        // Trusted access for AWS Backup (its cross-account monitoring), which a
        // delegated administrator of its job monitoring needs first (AWS Storage Blog,
        // "Delegated administrator support for AWS Backup", prerequisites).
        trusted_services: vec![(BACKUP_PRINCIPAL.to_string(), begin - 300 * DAY)],
        now: begin,
    };
    schedule_all(&mut world, begin);
    // Report jobs: one a day for the last week.
    for day in 1..=7 {
        let created = options.start - options.start.rem_euclid(DAY) - day * DAY + 6 * HOUR;
        let id = uuid::Builder::from_random_bytes(world.rng.gen()).into_uuid().to_string();
        let hub_region = world.region_mut(hub, r);
        hub_region.report_jobs.push(ReportJob {
            id,
            plan: 0,
            created,
            completed: created + 20 * 60_000,
            status: "COMPLETED".into(),
        });
        hub_region.report_plans[0].last_attempt = Some(created);
    }
    world.tick(options.start);
    world
}

/// The demo's platform resources in workload_a, one of each type AWS Backup restores
/// besides the table and the database: an EC2 instance, an EBS volume, an EFS file
/// system, an S3 bucket and an Aurora cluster, backed up daily into a vault of their
/// own. Built from a random stream of their own (and their plan draws from its own),
/// so the rest of the demo is what it was before they existed.
pub const PLATFORM_VAULT: &str = "workload-a-platform";
pub const DEMO_INSTANCE: &str = "i-0c0ffee0dec0de001";
pub const DEMO_VOLUME: &str = "vol-0ba5eba11ba5eba11";
pub const DEMO_FILE_SYSTEM: &str = "fs-0fee1900d5ea50001";
pub const DEMO_BUCKET: &str = "rc-demo-workload-a-assets";
pub const DEMO_CLUSTER: &str = "orders-cluster";

fn platform(b: &mut Builder, workload: usize, seed: u64) {
    let main = std::mem::replace(&mut b.rng, ChaCha8Rng::seed_from_u64(seed ^ 0x706c_6174_666f_726d));
    let r = DEMO_REGION;
    let key = b.key(WORKLOAD_A, r);
    let tags: &[(&str, &str)] = &[("env", "prod"), ("app", "platform")];
    let resources = [
        (ResourceType::Ec2, DEMO_INSTANCE),
        (ResourceType::Ebs, DEMO_VOLUME),
        (ResourceType::Efs, DEMO_FILE_SYSTEM),
        (ResourceType::S3, DEMO_BUCKET),
        (ResourceType::Aurora, DEMO_CLUSTER),
    ]
    .map(|(kind, name)| b.resource(workload, r, kind, name, &key, tags));
    let vault = b.vault(workload, r, PLATFORM_VAULT, None);
    b.backup_plan(workload, r, "workload-a-platform-daily", "cron(0 15 ? * * *)", resources.to_vec(), vault, None);
    // The bucket is backed up continuously besides (a continuous rule of the same plan).
    b.continuous(workload, r, resources[3], vault);
    let own = ChaCha8Rng::seed_from_u64(b.rng.gen());
    if let Some(plan) = b.region(workload, r).backup_plans.last_mut() {
        plan.rng = Some(own);
        // The volume's and the file system's backups move to cold storage after 30 days
        // (the other types ignore it, as AWS does).
        plan.cold_after_days = Some(30);
    }
    b.rng = main;
}

fn schedule_all(world: &mut World, begin: Millis) {
    let mut first = Vec::new();
    for (a, account) in world.accounts.iter().enumerate() {
        for (name, region) in &account.regions {
            for (p, plan) in region.backup_plans.iter().enumerate() {
                if let Some(t) = plan.schedule.next_after(begin) {
                    first.push((t, Event::BackupRun { account: a, region: name.clone(), plan: p }));
                }
            }
            for (p, plan) in region.plans.iter().enumerate() {
                if let Some(t) = plan.next_run {
                    first.push((t, Event::PlanRun { account: a, region: name.clone(), plan: p }));
                }
            }
        }
    }
    for (t, e) in first {
        world.schedule(t, e);
    }
}

/// A generated account's mix of resource types, from a draw in 0..100: mostly EC2
/// instances and EBS volumes, then S3 buckets, RDS instances, DynamoDB tables, EFS file
/// systems and Aurora clusters.
fn mix(draw: u32) -> ResourceType {
    match draw {
        0..=29 => ResourceType::Ec2,
        30..=54 => ResourceType::Ebs,
        55..=69 => ResourceType::S3,
        70..=79 => ResourceType::Rds,
        80..=89 => ResourceType::DynamoDb,
        90..=94 => ResourceType::Efs,
        _ => ResourceType::Aurora,
    }
}

fn generate_accounts(b: &mut Builder, count: usize, central_arn: &str) {
    const TEAMS: [&str; 12] = [
        "payments",
        "orders",
        "search",
        "identity",
        "billing",
        "catalog",
        "shipping",
        "ledger",
        "analytics",
        "mobile",
        "support",
        "pricing",
    ];
    const ENVS: [&str; 3] = ["prod", "staging", "dev"];
    for i in 0..count {
        let id = format!("{}", 400_000_000_001u64 + i as u64);
        let team = TEAMS[i % TEAMS.len()];
        let env = ENVS[(i / TEAMS.len()) % ENVS.len()];
        let name = format!("{team}-{env}-{:04}", i + 1);
        // The last generated account lacks the console's roles: AssumeRole is denied.
        let roles = if i + 1 == count && count > 1 {
            Vec::new()
        } else if i % 4 == 3 {
            member_roles(HUB_ACCOUNT, Some(&format!("rc-{id}")))
        } else {
            member_roles(HUB_ACCOUNT, None)
        };
        let a = b.account(&id, &name, true, roles);
        // The fifth account has not turned on advanced DynamoDB backup: its tables'
        // backups are DynamoDB's own, which cannot be copied to other accounts.
        b.accounts[a].dynamodb_advanced = i != 4;
        let mut regions = vec![GENERATED_REGIONS[i % GENERATED_REGIONS.len()]];
        if b.rng.gen_bool(0.3) {
            regions.push(GENERATED_REGIONS[(i + 1) % GENERATED_REGIONS.len()]);
        }
        let total = b.rng.gen_range(8..=14usize);
        // Every seventh account keeps its backups 30 days, in a vault whose policy denies
        // deleting recovery points: AWS Backup cannot delete them at the end of their
        // retention and they stay EXPIRED (Backup model, RecoveryPointStatus: "EXPIRED
        // status indicates that the recovery point has exceeded its retention period,
        // but Backup lacks permission or is otherwise unable to delete it").
        let keeps_expired = i % 7 == 6;
        for (ri, region) in regions.iter().enumerate() {
            let key = b.key(&id, region);
            let policy = keeps_expired.then(|| {
                serde_json::json!({"Version": "2012-10-17", "Statement": [{
                    "Sid": "DenyDeletingRecoveryPoints", "Effect": "Deny", "Principal": "*",
                    "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}]})
                .to_string()
            });
            let vault = b.vault(a, region, "default-vault", policy);
            let n = if ri == 0 { total - total / 3 * (regions.len() - 1) } else { total / 3 };
            let mut resources = Vec::new();
            for k in 0..n {
                let drawn = mix(b.rng.gen_range(0..100));
                // The first two accounts test an RDS instance (the second with a storage
                // override, so its restores differ from the source).
                // The fifth account (no copies, no restore tests) holds an RDS instance and
                // an EBS volume whose keys stop copies to other accounts (see below), and
                // a DynamoDB table backed up without advanced DynamoDB backup.
                let kind = if (i < 2 || i == 4) && ri == 0 && k == 0 {
                    ResourceType::Rds
                } else if i == 4 && ri == 0 && k == 1 {
                    ResourceType::Ebs
                } else if i == 4 && ri == 0 && k == 2 {
                    ResourceType::DynamoDb
                } else {
                    drawn
                };
                let hex: u64 = b.rng.gen::<u64>();
                let rname = match kind {
                    ResourceType::DynamoDb => format!("{team}-table-{k}"),
                    ResourceType::Rds => format!("{team}-db-{k}"),
                    ResourceType::Ebs => format!("vol-{hex:017x}"),
                    ResourceType::Efs => format!("fs-{hex:017x}"),
                    ResourceType::S3 => format!("{team}-{id}-{region}-data-{k}"),
                    ResourceType::Ec2 => format!("i-{hex:017x}"),
                    ResourceType::Aurora => format!("{team}-cluster-{k}"),
                };
                let tier = if k % 3 == 0 { "critical" } else { "standard" };
                // The fifth account's RDS instances use the AWS managed key aws/rds, and
                // its other resources a customer managed key shared with no other account:
                // neither can be copied to another account (review item 5). Every sixth
                // account encrypts its volumes, instances and databases with the AWS
                // managed keys aws/ebs and aws/rds (the default when no key is named).
                let managed_service = match kind {
                    ResourceType::Rds if i == 4 || i % 6 == 5 => Some("rds"),
                    ResourceType::Aurora if i % 6 == 5 => Some("rds"),
                    ResourceType::Ebs | ResourceType::Ec2 if i % 6 == 5 => Some("ebs"),
                    _ => None,
                };
                let resource_key = if let Some(service) = managed_service {
                    let managed = aws_managed_key(&id, region, service);
                    b.aws_managed_keys.insert(managed.clone(), service);
                    managed
                } else {
                    if i == 4 {
                        b.unshared_keys.insert(key.clone());
                    }
                    key.clone()
                };
                resources.push(b.resource(a, region, kind, &rname, &resource_key, &[("env", env), ("tier", tier)]));
            }
            let hour = b.rng.gen_range(0..24);
            let copy = (i % 5 == 0).then(|| central_arn.to_string());
            b.backup_plan(
                a,
                region,
                &format!("{team}-daily"),
                &format!("cron(0 {hour} ? * * *)"),
                resources.clone(),
                vault,
                copy,
            );
            if let Some(plan) = b.region(a, region).backup_plans.last_mut() {
                if keeps_expired {
                    plan.delete_after_days = 30;
                } else if i % 3 == 1 {
                    // Cold storage after 30 days (retention 120: at least 90 days more).
                    plan.cold_after_days = Some(30);
                }
            }
            // Half of the buckets are also backed up continuously.
            for &res in &resources {
                let info = &b.accounts[a].regions[*region].resources[res].info;
                if info.kind == ResourceType::S3 && info.name.len().is_multiple_of(2) {
                    b.continuous(a, region, res, vault);
                }
            }
            // The second generated account backs up a CloudFormation stack as one unit.
            if i == 1 && ri == 0 {
                b.stack(a, region, team, &key, vault);
            }
            if ri == 0 && i % 5 < 3 {
                let first_kind = b.accounts[a].regions[*region].resources[resources[0]].info.kind;
                b.testing_plan(
                    a,
                    region,
                    &format!("{team}_weekly_restore_test"),
                    "cron(0 3 ? * MON *)",
                    if i % 2 == 0 { "LATEST_WITHIN_WINDOW" } else { "RANDOM_WITHIN_WINDOW" },
                    super::engine::DEFAULT_START_WINDOW_HOURS,
                    RestoreTestingSelection {
                        name: format!("{}_critical", first_kind.as_str().to_lowercase()),
                        created: b.begin,
                        iam_role_arn: format!("arn:aws:iam::{id}:role/service-role/AWSBackupDefaultServiceRole"),
                        resource_type: first_kind,
                        resource_arns: vec!["*".into()],
                        string_equals: vec![("tier".into(), "critical".into())],
                        string_not_equals: Vec::new(),
                        overrides: if i == 1 {
                            BTreeMap::from([("allocatedStorage".to_string(), "500".to_string())])
                        } else {
                            BTreeMap::new()
                        },
                        // The third account's tests have no validation window: deleted at once.
                        validation_window_hours: if i == 2 { 0 } else { 6 },
                        creator_request_id: None,
                    },
                    HashMap::new(),
                );
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used)]
mod tests {
    use super::*;

    const START: Millis = 1_795_780_800_000;

    fn points_by_type(world: &World, account: &str) -> BTreeMap<ResourceType, usize> {
        let mut by_type = BTreeMap::new();
        let a = &world.accounts[world.account(account).unwrap_or_default()];
        for v in a.regions.values().flat_map(|r| r.vaults.iter()) {
            for rp in &v.recovery_points {
                *by_type.entry(rp.resource.kind).or_default() += 1;
            }
        }
        by_type
    }

    #[test]
    fn workload_a_holds_every_type_with_recovery_points_and_generated_accounts_a_mix() {
        let world = build(&WorldOptions { seed: 7, accounts: 12, start: START });
        let demo = points_by_type(&world, WORKLOAD_A);
        for kind in ResourceType::ALL {
            assert!(demo.get(&kind).is_some_and(|n| *n >= 80), "{kind:?} in workload_a: {demo:?}");
        }
        let Some(r) = world.region(1, DEMO_REGION) else {
            panic!("workload_a's region");
        };
        let platform = r.vault_by_name(PLATFORM_VAULT).map(|v| &r.vaults[v]);
        assert!(platform.is_some_and(|v| v
            .recovery_points
            .iter()
            .all(|rp| rp.resource.tags.contains(&("app".to_string(), "platform".to_string())))));
        let mut generated: BTreeMap<ResourceType, usize> = BTreeMap::new();
        for a in &world.accounts[4..] {
            for res in a.regions.values().flat_map(|r| r.resources.iter()) {
                *generated.entry(res.info.kind).or_default() += 1;
            }
        }
        let count = |k| generated.get(&k).copied().unwrap_or(0);
        assert!(count(ResourceType::Ec2) + count(ResourceType::Ebs) > count(ResourceType::Rds) * 2, "{generated:?}");
        assert!(generated.len() >= 6, "{generated:?}");
    }

    #[test]
    fn recovery_points_have_statuses_and_storage_classes_in_realistic_proportions() {
        let mut world = build(&WorldOptions { seed: 7, accounts: 12, start: START });
        let now = world.now;
        let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
        let mut cold = 0;
        let mut creating = None;
        let mut expired = None;
        for (a, account) in world.accounts.iter().enumerate() {
            for (name, r) in &account.regions {
                for (v, vault) in r.vaults.iter().enumerate() {
                    for (i, rp) in vault.recovery_points.iter().enumerate() {
                        let status = rp.status_at(now);
                        *statuses.entry(format!("{status:?}")).or_default() += 1;
                        cold += usize::from(rp.storage_class_at(now) == "COLD");
                        assert!(
                            rp.storage_class_at(now) == "WARM" || supports_cold_storage(rp.resource.kind, rp.form),
                            "{:?} cannot move to cold storage",
                            rp.resource.kind
                        );
                        if status == RecoveryPointStatus::Creating {
                            creating = Some((a, name.clone(), v, i));
                        }
                        if status == RecoveryPointStatus::Expired {
                            expired = Some((a, name.clone(), v, i));
                        }
                    }
                }
            }
        }
        let total: usize = statuses.values().sum();
        let count = |s: &str| statuses.get(s).copied().unwrap_or(0);
        assert!(count("Completed") * 10 > total * 8, "{statuses:?}");
        for s in ["Partial", "Expired"] {
            assert!((1..total / 10).contains(&count(s)), "{s}: {statuses:?}");
        }
        assert!(cold > 0 && cold < total / 2, "{cold} of {total}");
        // A point being made turns COMPLETED (or PARTIAL) when its backup job ends.
        let Some((a, region, v, i)) = creating else {
            panic!("no backup job is running at the start: {statuses:?}");
        };
        world.tick(now + HOUR);
        let rp = &world.accounts[a].regions[&region].vaults[v].recovery_points[i];
        assert_ne!(rp.status_at(now + HOUR), RecoveryPointStatus::Creating);
        // An expired point is neither restored nor copied.
        let Some((a, region, v, i)) = expired else {
            panic!("no expired point");
        };
        let account_id = world.accounts[a].id.clone();
        let arn =
            recovery_point_arn(&account_id, &region, &world.accounts[a].regions[&region].vaults[v].recovery_points[i]);
        let t = world.now;
        let restore = super::super::engine::StartRestore {
            recovery_point_arn: arn,
            metadata: BTreeMap::new(),
            iam_role_arn: None,
            resource_type: None,
        };
        let refused = world.start_restore(t, a, &region, restore).unwrap_err();
        assert!(format!("{refused:?}").contains("EXPIRED"), "{refused:?}");
        let role = format!("arn:aws:iam::{account_id}:role/r");
        let vault_arn = world.accounts[a].regions[&region].vaults[v].arn.to_string();
        let refused = world.start_copy(t, a, &region, v, i, &vault_arn, role, Lifecycle::default(), None).unwrap_err();
        assert!(format!("{refused:?}").contains("InvalidRequestException"), "{refused:?}");
    }
}
