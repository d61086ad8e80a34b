//! The sandbox's state: the organization, its accounts and roles, and per
//! (account, region) the vaults, recovery points, resources, jobs and plans.
//! Recovery points are kept compact (ARNs are derived, resources shared) so that
//! a million of them fit in a few hundred megabytes.

use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use super::protocol::{Millis, PageTokens};
use super::schedule::Schedule;

/// The organization's management account, where the console itself runs.
pub const HUB_ACCOUNT: &str = "999999999999";
pub const ORG_ID: &str = "o-rc7demo0001";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    DynamoDb,
    Rds,
    Ebs,
    Efs,
    S3,
    /// EC2 instances: AWS Backup makes an AMI (with a snapshot per volume).
    Ec2,
    /// Aurora DB clusters: AWS Backup makes a DB cluster snapshot.
    Aurora,
}

impl ResourceType {
    /// The resource types the sandbox models; the names are StartRestoreJob's
    /// `ResourceType` values (Backup model: "Aurora for Amazon Aurora", "EC2 for Amazon
    /// Elastic Compute Cloud", ...).
    pub const ALL: [ResourceType; 7] = [
        ResourceType::DynamoDb,
        ResourceType::Rds,
        ResourceType::Ebs,
        ResourceType::Efs,
        ResourceType::S3,
        ResourceType::Ec2,
        ResourceType::Aurora,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::DynamoDb => "DynamoDB",
            ResourceType::Rds => "RDS",
            ResourceType::Ebs => "EBS",
            ResourceType::Efs => "EFS",
            ResourceType::S3 => "S3",
            ResourceType::Ec2 => "EC2",
            ResourceType::Aurora => "Aurora",
        }
    }

    /// Whether the recovery point is the service's own snapshot, kept with its
    /// source's key (not fully managed by AWS Backup: RDS, Aurora, EBS, EC2). Developer
    /// Guide, "Feature availability by resource" (full AWS Backup management) and
    /// "Encryption for backups in AWS Backup".
    pub fn keeps_source_key(self) -> bool {
        matches!(self, ResourceType::Rds | ResourceType::Aurora | ResourceType::Ebs | ResourceType::Ec2)
    }

    /// A recovery point id for this type, from random bits: EC2 (AMI) and EBS
    /// (snapshot) ids are 17 hexadecimal digits (`ami-0123456789abcdef0`), so their
    /// recovery points take 64 bits and print as `{:017x}`.
    pub fn recovery_point_id(self, raw: u128) -> u128 {
        match self {
            ResourceType::Ec2 | ResourceType::Ebs => raw & u128::from(u64::MAX),
            _ => raw,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// What never changes about a protected resource; shared by its recovery points.
#[derive(Debug)]
pub struct ResourceInfo {
    pub arn: String,
    pub kind: ResourceType,
    pub name: String,
    pub account: String,
    pub region: String,
    /// The KMS key the resource itself is encrypted with.
    pub kms_key: String,
    pub tags: Vec<(String, String)>,
    /// Size of one backup, in bytes.
    pub size: u64,
    /// RDS, Aurora: the DB subnet group the instance runs in (its restore metadata names it).
    pub db_subnet_group: String,
    /// Whether the resource runs in its account's default VPC (EC2: its subnet is one).
    pub default_vpc: bool,
}

#[derive(Debug)]
pub struct Resource {
    pub info: Arc<ResourceInfo>,
    pub last_backup: Option<LastBackup>,
    pub latest_restore: Option<LatestRestore>,
}

#[derive(Debug, Clone)]
pub struct LastBackup {
    pub time: Millis,
    pub vault: usize,
    pub recovery_point: usize,
}

#[derive(Debug, Clone)]
pub struct LatestRestore {
    pub minutes: i64,
    pub job_created: Millis,
    pub recovery_point_created: Millis,
}

/// A recovery point's state as the world keeps it; `EXPIRED` and the storage class are
/// worked out from the time ([`RecoveryPoint::status_at`], [`RecoveryPoint::cold_at`]).
/// Backup model, DescribeRecoveryPoint `Status`: `CREATING` while its backup job runs;
/// `AVAILABLE`/`COMPLETED` once made; `PARTIAL` when part of it is missing; `EXPIRED`
/// past its retention when AWS Backup could not delete it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryPointStatus {
    Creating,
    Completed,
    Partial,
    Expired,
    /// Deleted by `DeleteRecoveryPoint`: gone for every API. (It stays in its vault's
    /// list, because jobs and composite links name points by index.)
    Deleted,
}

/// Days before MoveToColdStorage applies, per type: "Resource types that can transition
/// to cold storage are listed in the Feature availability by resource table. Backup
/// ignores this expression for other resource types" (Backup model, `Lifecycle`). The
/// table lists EFS, EBS and DynamoDB with advanced DynamoDB backup; not EC2, RDS,
/// Aurora, S3, nor DynamoDB's own backups; continuous backups never move.
pub fn supports_cold_storage(kind: ResourceType, form: PointForm) -> bool {
    form == PointForm::Periodic && matches!(kind, ResourceType::Efs | ResourceType::Ebs | ResourceType::DynamoDb)
}

impl RecoveryPoint {
    /// The status at `now`: a completed point past its retention that AWS Backup could
    /// not delete (the sandbox deletes none) is `EXPIRED`.
    pub fn status_at(&self, now: Millis) -> RecoveryPointStatus {
        match (self.status, self.delete_after_days) {
            (RecoveryPointStatus::Completed | RecoveryPointStatus::Partial, Some(days))
                if self.form != PointForm::Continuous && now >= self.created + i64::from(days) * DAY_MS =>
            {
                RecoveryPointStatus::Expired
            }
            (status, _) => status,
        }
    }

    /// When the point moves to cold storage, for types that can.
    pub fn cold_at(&self) -> Option<Millis> {
        let days = self.cold_after_days?;
        supports_cold_storage(self.resource.kind, self.form).then(|| self.created + i64::from(days) * DAY_MS)
    }

    /// `WARM` or `COLD` at `now`.
    pub fn storage_class_at(&self, now: Millis) -> &'static str {
        match self.cold_at() {
            Some(at) if now >= at => "COLD",
            _ => "WARM",
        }
    }
}

const DAY_MS: Millis = 86_400_000;

#[derive(Debug)]
pub struct RecoveryPoint {
    pub id: u128,
    pub resource: Arc<ResourceInfo>,
    pub created: Millis,
    pub completed: Millis,
    pub status: RecoveryPointStatus,
    /// Set on copies: the vault the recovery point was copied from.
    pub source_vault: Option<Arc<str>>,
    pub delete_after_days: Option<u32>,
    pub last_restore: Option<Millis>,
    pub backup_plan: Option<u16>,
    /// Which kind of backup the recovery point is (one byte).
    pub form: PointForm,
    /// Lifecycle `MoveToColdStorageAfterDays`, as the plan or the copy set it.
    pub cold_after_days: Option<u16>,
}

/// The kinds of recovery point, which AWS names and treats differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PointForm {
    /// A snapshot (periodic) backup.
    #[default]
    Periodic,
    /// A DynamoDB backup made without advanced DynamoDB backup: DynamoDB's own, with its
    /// ARN `arn:aws:dynamodb:REGION:ACCOUNT:table/T/backup/01234567890123-abcdef12`; no
    /// cold storage, no copies to other accounts or Regions (Developer Guide, "Advanced
    /// DynamoDB backup" and "Feature availability by resource").
    DynamoDbManaged,
    /// A continuous backup (S3, RDS, Aurora: point-in-time restore within its retention,
    /// at most 35 days): ARN `arn:aws:backup:REGION:ACCOUNT:recovery-point:continuous:NAME-abcdef12`;
    /// StartCopyJob "does not support continuous backups" (Backup model, StartCopyJob).
    Continuous,
}

#[derive(Debug)]
pub struct Vault {
    pub name: String,
    pub arn: Arc<str>,
    pub key_arn: String,
    pub created: Millis,
    pub policy: Option<String>,
    pub recovery_points: Vec<RecoveryPoint>,
}

/// The id of a DynamoDB-managed backup: its name is `CREATED-HEX`, the creation time in
/// milliseconds (14 digits) and 8 hexadecimal digits, which the id keeps.
pub fn dynamodb_backup_id(created: Millis, raw: u128) -> u128 {
    ((created.max(0) as u128) << 32) | (raw & 0xffff_ffff)
}

/// Formats a recovery point's ARN the way AWS does for its resource type (Backup
/// model, `RecoveryPointArn`; Developer Guide, "Feature availability by resource": types
/// not fully managed by AWS Backup keep their service's snapshot ARN):
/// - RDS: a DB snapshot `arn:aws:rds:REGION:ACCOUNT:snapshot:awsbackup:job-ID`;
/// - Aurora: a DB cluster snapshot `arn:aws:rds:REGION:ACCOUNT:cluster-snapshot:awsbackup:job-ID`;
/// - EBS: `arn:aws:ec2:REGION::snapshot/snap-ID` and EC2: `arn:aws:ec2:REGION::image/ami-ID`,
///   without an account (EC2's ARN format for snapshots and images, EC2 User Guide,
///   "Amazon Resource Names for Amazon EC2");
/// - DynamoDB without advanced backup: DynamoDB's backup ARN; continuous backups: their
///   own `recovery-point:continuous:` ARN (see [`PointForm`]);
/// - the types AWS Backup fully manages: `arn:aws:backup:REGION:ACCOUNT:recovery-point:ID`.
pub fn recovery_point_arn(account: &str, region: &str, rp: &RecoveryPoint) -> String {
    let id = uuid::Uuid::from_u128(rp.id);
    if rp.form == PointForm::Continuous {
        let hex = rp.id & 0xffff_ffff;
        return format!("arn:aws:backup:{region}:{account}:recovery-point:continuous:{}-{hex:08x}", rp.resource.name);
    }
    if rp.form == PointForm::DynamoDbManaged {
        let (created, hex) = (rp.id >> 32, rp.id & 0xffff_ffff);
        return format!(
            "arn:aws:dynamodb:{region}:{account}:table/{}/backup/{created:014}-{hex:08x}",
            rp.resource.name
        );
    }
    match rp.resource.kind {
        ResourceType::Rds => format!("arn:aws:rds:{region}:{account}:snapshot:awsbackup:job-{id}"),
        ResourceType::Aurora => format!("arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:job-{id}"),
        ResourceType::Ebs => format!("arn:aws:ec2:{region}::snapshot/snap-{:017x}", rp.id),
        ResourceType::Ec2 => format!("arn:aws:ec2:{region}::image/ami-{:017x}", rp.id),
        _ => format!("arn:aws:backup:{region}:{account}:recovery-point:{id}"),
    }
}

/// The account, region and id in a recovery point ARN produced by [`recovery_point_arn`].
/// An ARN without an account (EBS snapshots, EC2 images) names a recovery point of the
/// calling account, `caller`.
pub fn parse_recovery_point_arn(arn: &str, caller: &str) -> Option<(String, String, u128)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, _, region, account, rest] = parts.as_slice() else {
        return None;
    };
    let uuid = |id: &str| uuid::Uuid::parse_str(id).ok().map(|u| u.as_u128());
    let hex17 = |hex: &str| (hex.len() == 17).then(|| u128::from_str_radix(hex, 16).ok()).flatten();
    let id = if let Some(name) = rest.strip_prefix("recovery-point:continuous:") {
        let (_, hex) = name.rsplit_once('-')?;
        (hex.len() == 8).then(|| u128::from_str_radix(hex, 16).ok()).flatten()?
    } else if let Some(id) = rest.strip_prefix("recovery-point:") {
        uuid(id)?
    } else if let Some(id) = rest.strip_prefix("snapshot:awsbackup:job-") {
        uuid(id)?
    } else if let Some(id) = rest.strip_prefix("cluster-snapshot:awsbackup:job-") {
        uuid(id)?
    } else if let Some(hex) = rest.strip_prefix("snapshot/snap-") {
        hex17(hex)?
    } else if let Some(hex) = rest.strip_prefix("image/ami-") {
        hex17(hex)?
    } else if let Some((_, name)) = rest.strip_prefix("table/").and_then(|t| t.rsplit_once("/backup/")) {
        let (created, hex) = name.split_once('-')?;
        if created.len() != 14 || hex.len() != 8 {
            return None;
        }
        (created.parse::<u128>().ok()? << 32) | u128::from_str_radix(hex, 16).ok()?
    } else {
        return None;
    };
    let account = if account.is_empty() { caller } else { account };
    Some((account.to_string(), (*region).to_string(), id))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Running,
    Completed,
    Failed,
    /// A restore test that could not start within its plan's start window.
    Aborted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// A validator's report, with the message it sent (PutRestoreValidationResult).
pub enum Validation {
    Validating(Option<String>),
    Successful(Option<String>),
    Failed(String),
    TimedOut(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    Deleting,
    Successful,
    /// AWS Backup could not delete the restored resource; the message says why.
    Failed(String),
}

/// What the sandbox decided at start about how a job will end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeed,
    Fail(String),
}

/// How a restore or copy job runs: started at `created`, ending after `duration` as
/// its `outcome` says; `state`, `status_message` and `completed` are set when it ends.
#[derive(Debug)]
pub struct JobRun {
    pub created: Millis,
    pub duration: Millis,
    pub outcome: Outcome,
    pub state: JobState,
    pub status_message: Option<String>,
    pub completed: Option<Millis>,
}

impl JobRun {
    /// A job started at `created`, not ended yet.
    pub fn pending(created: Millis, duration: Millis, outcome: Outcome) -> Self {
        Self { created, duration, outcome, state: JobState::Pending, status_message: None, completed: None }
    }
}

/// What the world fixes for a chosen run of a restore testing plan (the demo's
/// history shows each kind of trouble); other runs go as the dice say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForcedRun {
    /// The restore job fails with this message.
    RestoreFails(String),
    /// The restore completes, but the recovery point held an empty table: the
    /// restored table has no items (a validator's item-count check fails).
    EmptyRestore,
    /// The account's restore capacity is taken: the test cannot start within the
    /// plan's start window and ends `ABORTED`.
    MissesStartWindow,
    /// The clean-up after the validation window fails.
    DeletionFails(String),
}

/// How a restore test will go, decided when its plan runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TestPlan {
    /// The job never starts; it is aborted when the start window closes.
    pub misses_start_window: bool,
    pub empty_restore: bool,
    pub deletion_failure: Option<String>,
}

#[derive(Debug)]
pub struct BackupJob {
    pub id: u128,
    pub resource: Arc<ResourceInfo>,
    pub vault: usize,
    pub recovery_point: Option<usize>,
    pub created: Millis,
    pub duration: Millis,
    pub finished: bool,
    pub outcome: Outcome,
    pub plan: u16,
    /// A child (nested) job: the index of its composite parent in the same list.
    pub parent: Option<usize>,
    /// A composite (parent) job: the CloudFormation stack it backs up as one unit.
    /// Its state, end and size follow its children (see `render::backup_job`).
    pub composite: Option<Composite>,
}

/// What a composite job is made of.
#[derive(Debug)]
pub struct Composite {
    pub stack: Arc<Stack>,
    /// Its child jobs' indices in the same list.
    pub children: std::ops::Range<usize>,
}

/// A CloudFormation stack backed up as one unit. The developer guide ("CloudFormation
/// stack backups", applicationstackbackups.html): a composite job "can trigger other
/// backup jobs for individual resources within the stack"; they are its children.
#[derive(Debug)]
pub struct Stack {
    pub arn: String,
    pub name: String,
    /// The members' logical ids in the stack template, in the plan's resource order:
    /// a child recovery point's `CompositeMemberIdentifier` ("The ID is transferred from
    /// the logical ID within a stack", Backup model, RecoveryPointByBackupVault).
    pub logical_ids: Vec<String>,
    /// What the stack's composite (parent) recovery points name as their resource. The
    /// world has no CloudFormation resource type: the kind is S3's, only so that the
    /// point gets AWS Backup's own ARN form; the API renders `CloudFormation` for it
    /// (see [`PointLink::Parent`]).
    pub info: Arc<ResourceInfo>,
}

/// How a recovery point belongs to a composite (CloudFormation stack) backup, kept
/// sparsely beside the points (`RegionState::point_links`) so that a point stays small.
/// Backup model, RecoveryPointByBackupVault: `IsParent` ("a parent (composite) recovery
/// point"), `ParentRecoveryPointArn` and `CompositeMemberIdentifier`.
#[derive(Debug, Clone)]
pub enum PointLink {
    /// The composite point of a stack backup.
    Parent(Arc<Stack>),
    /// A member's point: its parent's index in the same vault and its logical id.
    Child { parent: usize, member: Arc<str> },
}

#[derive(Debug)]
pub struct RestoreJob {
    pub id: String,
    pub recovery_point_arn: String,
    pub recovery_point_created: Millis,
    pub resource: Arc<ResourceInfo>,
    pub vault_arn: Arc<str>,
    pub run: JobRun,
    pub created_resource: Option<CreatedResource>,
    pub iam_role_arn: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub plan_arn: Option<String>,
    /// Set only by a validator through PutRestoreValidationResult: AWS runs none.
    pub validation: Option<Validation>,
    pub validation_window: Millis,
    pub deletion: Option<Deletion>,
    /// How this restore test goes (the default for manual restores).
    pub test: TestPlan,
    /// Items in the restored DynamoDB table (from its recovery point).
    pub restored_items: u64,
}

/// The resource a restore makes, reserved by name from the moment the job starts.
#[derive(Debug, Clone)]
pub struct CreatedResource {
    pub kind: ResourceType,
    pub name: String,
    pub arn: String,
    pub kms_key: Option<String>,
}

/// A copy's Lifecycle (StartCopyJob `Lifecycle`; a backup rule's copy action).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub delete_after_days: Option<u32>,
    pub cold_after_days: Option<u16>,
}

#[derive(Debug)]
pub struct CopyJob {
    pub id: String,
    pub source_vault: usize,
    pub source_recovery_point: usize,
    pub resource: Arc<ResourceInfo>,
    pub destination_vault_arn: String,
    pub destination_recovery_point_arn: Option<String>,
    pub destination_key: Option<String>,
    pub run: JobRun,
    pub iam_role_arn: String,
    pub lifecycle: Lifecycle,
    pub backup_job: Option<u128>,
}

#[derive(Debug, Clone)]
pub struct RecoveryPointSelection {
    pub algorithm: String,
    pub include_vaults: Vec<String>,
    pub exclude_vaults: Vec<String>,
    pub types: Vec<String>,
    pub window_days: i64,
}

#[derive(Debug, Clone)]
pub struct RestoreTestingSelection {
    pub name: String,
    pub created: Millis,
    pub iam_role_arn: String,
    pub resource_type: ResourceType,
    pub resource_arns: Vec<String>,
    pub string_equals: Vec<(String, String)>,
    pub string_not_equals: Vec<(String, String)>,
    pub overrides: BTreeMap<String, String>,
    pub validation_window_hours: i64,
    pub creator_request_id: Option<String>,
}

#[derive(Debug)]
pub struct RestoreTestingPlan {
    pub name: String,
    pub arn: String,
    pub created: Millis,
    pub updated: Millis,
    pub schedule_expression: String,
    pub schedule_timezone: Option<String>,
    pub schedule: Schedule,
    /// The run the scheduler waits for: a `PlanRun` event at another time is stale
    /// (the plan's schedule changed, or the plan was deleted).
    pub next_run: Option<Millis>,
    pub start_window_hours: i64,
    pub selection: RecoveryPointSelection,
    pub last_execution: Option<Millis>,
    pub selections: Vec<RestoreTestingSelection>,
    /// What the demo world fixes for chosen runs, by run number.
    pub forced: HashMap<u32, ForcedRun>,
    pub runs: u32,
    pub creator_request_id: Option<String>,
    /// Deleted plans stay in place (events name plans by index) but are gone for every API.
    pub deleted: bool,
}

/// A daily backup rule: which resources, into which vault, copied where.
#[derive(Debug)]
pub struct BackupPlan {
    pub id: String,
    pub name: String,
    pub rule: String,
    pub schedule: Schedule,
    pub resources: Vec<usize>,
    pub vault: usize,
    pub copy_to: Option<String>,
    pub delete_after_days: u32,
    /// Lifecycle `MoveToColdStorageAfterDays` of the rule.
    pub cold_after_days: Option<u16>,
    pub failure_rate: f64,
    /// A plan with its own random stream: its jobs draw nothing from the world's, so
    /// adding it leaves the rest of the history as it was (the demo's platform plan).
    pub rng: Option<ChaCha8Rng>,
    /// Set when the plan protects a CloudFormation stack: each run is a composite job
    /// whose children back up `resources` (the stack's members).
    pub stack: Option<Arc<Stack>>,
}

#[derive(Debug, Clone)]
pub struct Framework {
    pub name: String,
    pub arn: String,
    pub description: String,
    pub controls: u32,
    pub created: Millis,
}

#[derive(Debug, Clone)]
pub struct ReportPlan {
    pub name: String,
    pub arn: String,
    pub description: String,
    pub template: String,
    pub bucket: String,
    pub created: Millis,
    pub last_attempt: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct ReportJob {
    pub id: String,
    pub plan: usize,
    pub created: Millis,
    pub completed: Millis,
    pub status: String,
}

/// Everything in one (account, region).
#[derive(Debug, Default)]
pub struct RegionState {
    pub vaults: Vec<Vault>,
    pub resources: Vec<Resource>,
    pub backup_jobs: Vec<BackupJob>,
    pub restore_jobs: Vec<RestoreJob>,
    pub copy_jobs: Vec<CopyJob>,
    pub plans: Vec<RestoreTestingPlan>,
    pub backup_plans: Vec<BackupPlan>,
    pub frameworks: Vec<Framework>,
    pub report_plans: Vec<ReportPlan>,
    pub report_jobs: Vec<ReportJob>,
    /// Names in use, so that a restore cannot take one: (type, name) -> ARN.
    pub names: HashMap<(ResourceType, String), String>,
    /// Cloud Control resource operation requests, oldest first.
    pub resource_requests: Vec<ResourceRequest>,
    /// The contents of the buckets restores made, by name.
    pub buckets: HashMap<String, super::s3::Bucket>,
    /// Composite recovery points and their children, by (vault, point index): the few
    /// points stack backups make (points are never removed, so indices stay valid).
    pub point_links: HashMap<(usize, usize), PointLink>,
}

impl RegionState {
    pub fn vault_by_name(&self, name: &str) -> Option<usize> {
        self.vaults.iter().position(|v| v.name == name)
    }
    /// A restore testing plan that exists (not deleted), by name.
    pub fn plan_by_name(&self, name: &str) -> Option<usize> {
        self.plans.iter().position(|p| !p.deleted && p.name == name)
    }
    pub fn resource_by_arn(&self, arn: &str) -> Option<usize> {
        self.resources.iter().position(|r| r.info.arn == arn)
    }
    /// Whether the point at (vault, index) is a composite (parent) recovery point.
    pub fn is_parent_point(&self, vault: usize, index: usize) -> bool {
        matches!(self.point_links.get(&(vault, index)), Some(PointLink::Parent(_)))
    }
    /// Finds a recovery point by its id in any vault: (vault, index).
    pub fn find_recovery_point(&self, id: u128) -> Option<(usize, usize)> {
        self.vaults.iter().enumerate().find_map(|(v, vault)| {
            let i =
                vault.recovery_points.iter().position(|rp| rp.id == id && rp.status != RecoveryPointStatus::Deleted);
            i.map(|i| (v, i))
        })
    }
}

/// A Cloud Control DeleteResource request (the only operation the sandbox models).
#[derive(Debug, Clone)]
pub struct ResourceRequest {
    pub token: String,
    pub client_token: Option<String>,
    pub kind: ResourceType,
    /// The resource's primary identifier (a table name, a DB instance identifier).
    pub identifier: String,
    pub role_arn: Option<String>,
    pub created: Millis,
    /// When the status last changed: the progress event's time.
    pub updated: Millis,
    pub status: RequestStatus,
}

impl ResourceRequest {
    /// Whether this request is still deleting the resource `kind` `identifier`.
    pub fn is_pending(&self, kind: ResourceType, identifier: &str) -> bool {
        self.status == RequestStatus::InProgress && self.kind == kind && self.identifier == identifier
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestStatus {
    InProgress,
    Success,
    /// A handler error code (`NotFound`, `ResourceConflict`) and its message.
    Failed(&'static str, String),
}

#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub trusts: String,
    pub external_id: Option<String>,
    /// May start restores and copies (the operator role), not only read.
    pub can_act: bool,
    /// May report restore-test validation results (the validator role).
    pub can_validate: bool,
}

#[derive(Debug)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    pub in_organization: bool,
    pub joined: Millis,
    pub roles: Vec<Role>,
    pub regions: BTreeMap<String, RegionState>,
    /// Whether the account has its default VPC (and so RDS's `default` DB subnet group).
    /// Landing zones delete it; RDS then needs a DB subnet group named in the restore.
    pub default_vpc: bool,
    /// The DB subnet groups the account has created (besides `default`).
    pub db_subnet_groups: Vec<String>,
    /// Whether the account has turned on advanced DynamoDB backup (AWS Backup
    /// `UpdateRegionSettings`, `ResourceTypeManagementPreference` DynamoDB): without it,
    /// DynamoDB backups are DynamoDB's own ([`PointForm::DynamoDbManaged`]).
    pub dynamodb_advanced: bool,
}

/// Credentials the sandbox issued through AssumeRole.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: usize,
    pub role: String,
    pub session_name: String,
    pub secret: String,
    pub token: String,
    /// Wall-clock expiry (ms): credentials are the client's business, not the simulated world's.
    pub expires_wall: Millis,
    pub can_act: bool,
    pub can_validate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    BackupRun {
        account: usize,
        region: String,
        plan: usize,
    },
    BackupDone {
        account: usize,
        region: String,
        job: usize,
    },
    CopyDone {
        account: usize,
        region: String,
        job: usize,
    },
    RestoreDone {
        account: usize,
        region: String,
        job: usize,
    },
    /// The validation window of a restore test closes: AWS Backup deletes what it restored.
    ValidationWindowEnds {
        account: usize,
        region: String,
        job: usize,
    },
    /// A restore test that never started is aborted when its start window closes.
    StartWindowEnds {
        account: usize,
        region: String,
        job: usize,
    },
    Delete {
        account: usize,
        region: String,
        job: usize,
    },
    DeleteDone {
        account: usize,
        region: String,
        job: usize,
    },
    PlanRun {
        account: usize,
        region: String,
        plan: usize,
    },
    ResourceRequestDone {
        account: usize,
        region: String,
        request: usize,
    },
}

/// AWS Backup's service principal in Organizations.
pub const BACKUP_PRINCIPAL: &str = "backup.amazonaws.com";

pub struct World {
    pub accounts: Vec<Account>,
    pub account_index: HashMap<String, usize>,
    pub sessions: HashMap<String, Session>,
    pub idempotency: HashMap<(usize, String, &'static str, String), (String, Millis)>,
    pub events: BinaryHeap<std::cmp::Reverse<(Millis, u64, Event)>>,
    pub event_seq: u64,
    pub rng: ChaCha8Rng,
    pub tokens: PageTokens,
    pub org_created: Millis,
    /// AWS Backup's organization setting `isCrossAccountBackupEnabled`
    /// (DescribeGlobalSettings, UpdateGlobalSettings in the management account).
    pub cross_account_backup: bool,
    /// AWS managed KMS keys, by ARN, with the service of their alias (`rds` for aws/rds,
    /// `ebs` for aws/ebs): usable in their own account only.
    pub aws_managed_keys: HashMap<String, &'static str>,
    /// Customer managed keys whose key policy names no other account.
    pub unshared_keys: HashSet<String>,
    /// Delegated administrators of the organization: (account, service principal, since).
    pub delegated_admins: Vec<(String, &'static str, Millis)>,
    /// Services with trusted access to the organization (Organizations
    /// EnableAWSServiceAccess): (service principal, since).
    pub trusted_services: Vec<(String, Millis)>,
    /// Sandbox time up to which events have been applied.
    pub now: Millis,
}

impl World {
    pub fn account(&self, id: &str) -> Option<usize> {
        self.account_index.get(id).copied()
    }

    /// Whether AWS Backup has trusted access to the organization: its cross-account
    /// monitoring, which shows the management account every account's jobs.
    pub fn backup_monitoring(&self) -> bool {
        self.trusted_services.iter().any(|(principal, _)| principal == BACKUP_PRINCIPAL)
    }

    pub fn region(&self, account: usize, region: &str) -> Option<&RegionState> {
        self.accounts.get(account)?.regions.get(region)
    }

    /// The region's state, created empty on first use.
    pub fn region_mut(&mut self, account: usize, region: &str) -> &mut RegionState {
        self.accounts[account].regions.entry(region.to_string()).or_default()
    }

    /// When the next event is due.
    pub fn next_event(&self) -> Option<Millis> {
        self.events.peek().map(|e| e.0 .0)
    }

    pub fn schedule(&mut self, at: Millis, event: Event) {
        self.event_seq += 1;
        self.events.push(std::cmp::Reverse((at, self.event_seq, event)));
    }

    pub fn recovery_point_count(&self) -> usize {
        self.accounts
            .iter()
            .flat_map(|a| a.regions.values())
            .flat_map(|r| r.vaults.iter())
            .map(|v| v.recovery_points.iter().filter(|rp| rp.status != RecoveryPointStatus::Deleted).count())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(kind: ResourceType, name: &str, id: u128, created: Millis, form: PointForm) -> RecoveryPoint {
        let info = Arc::new(ResourceInfo {
            arn: format!("arn:aws:dynamodb:ap-southeast-2:111111111111:table/{name}"),
            kind,
            name: name.into(),
            account: "111111111111".into(),
            region: "ap-southeast-2".into(),
            kms_key: String::new(),
            tags: vec![],
            size: 1,
            db_subnet_group: "default".into(),
            default_vpc: true,
        });
        RecoveryPoint {
            id,
            resource: info,
            created,
            completed: created,
            status: RecoveryPointStatus::Completed,
            source_vault: None,
            delete_after_days: None,
            last_restore: None,
            backup_plan: None,
            form,
            cold_after_days: None,
        }
    }

    #[test]
    fn recovery_point_arns_parse_back() {
        for kind in ResourceType::ALL {
            let id = kind.recovery_point_id(0x1234_5678_9abc_def0_1122_3344_5566_7788);
            let rp = point(kind, "t", id, 0, PointForm::Periodic);
            let arn = recovery_point_arn("111111111111", "ap-southeast-2", &rp);
            assert_eq!(
                parse_recovery_point_arn(&arn, "111111111111"),
                Some(("111111111111".to_string(), "ap-southeast-2".to_string(), rp.id)),
                "{arn}"
            );
            // EBS snapshots and EC2 images carry no account: they name the caller's.
            let accountless = matches!(kind, ResourceType::Ebs | ResourceType::Ec2);
            assert_eq!(arn.contains("::snapshot/snap-") || arn.contains("::image/ami-"), accountless, "{arn}");
        }
        assert_eq!(parse_recovery_point_arn("arn:aws:backup:x", "111111111111"), None);
    }

    #[test]
    fn dynamodb_managed_and_continuous_recovery_points_have_their_own_arns() {
        let created: Millis = 1_795_780_800_000;
        let id = dynamodb_backup_id(created, 0xdead_beef_abcd_ef12);
        let rp = point(ResourceType::DynamoDb, "orders", id, created, PointForm::DynamoDbManaged);
        let continuous = point(ResourceType::S3, "orders", 0xabcd_ef12, created, PointForm::Continuous);
        let arn = recovery_point_arn("111111111111", "ap-southeast-2", &continuous);
        assert_eq!(arn, "arn:aws:backup:ap-southeast-2:111111111111:recovery-point:continuous:orders-abcdef12");
        assert_eq!(parse_recovery_point_arn(&arn, "1").map(|p| p.2), Some(0xabcd_ef12));
        let arn = recovery_point_arn("111111111111", "ap-southeast-2", &rp);
        assert_eq!(arn, "arn:aws:dynamodb:ap-southeast-2:111111111111:table/orders/backup/01795780800000-abcdef12");
        assert_eq!(
            parse_recovery_point_arn(&arn, "999999999999"),
            Some(("111111111111".to_string(), "ap-southeast-2".to_string(), rp.id))
        );
    }

    #[test]
    fn a_recovery_point_stays_compact() {
        // A million recovery points must fit in memory: the new fields (status, form,
        // cold storage days) fit in the padding of the 96 bytes a point took before.
        assert!(std::mem::size_of::<RecoveryPoint>() <= 96, "{}", std::mem::size_of::<RecoveryPoint>());
    }
}
