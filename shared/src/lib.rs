//! The types the console's backend and frontend both speak: the JSON bodies of
//! the `/api/v1/` API, their enums, and the error envelope. No I/O here.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The resource types AWS Backup protects today, as its APIs spell them: the API
/// document's examples and the UI's suggestions. Filters and targets accept any value
/// [`is_resource_type`] accepts, since AWS adds types.
pub const RESOURCE_TYPES: [&str; 17] = [
    "Aurora",
    "CloudFormation",
    "DocumentDB",
    "DynamoDB",
    "EBS",
    "EC2",
    "EFS",
    "FSx",
    "Neptune",
    "RDS",
    "Redshift",
    "S3",
    "SAP HANA on Amazon EC2",
    "Storage Gateway",
    "Timestream",
    "VirtualMachine",
    "EKS",
];

/// Whether `s` can be an AWS Backup resource type, known or added later: the Backup
/// model's `ResourceType` pattern (`^[a-zA-Z0-9\-\_\.]{1,50}$`) plus spaces, which the
/// developer guide's "SAP HANA on Amazon EC2" uses.
pub fn is_resource_type(s: &str) -> bool {
    (1..=50).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b' '))
        && s.trim() == s
}

/// The resource types of a resource type list (`GET /api/v1/resource-types`): the known
/// ones and those the console's data holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ResourceTypes {
    pub items: Vec<String>,
}

/// A value that is not one of an enum's wire spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// What was expected, e.g. `scenario`.
    pub what: &'static str,
    pub got: String,
    /// Every spelling that would have been accepted.
    pub expected: &'static [&'static str],
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: one of {}, got {:?}", self.what, self.expected.join(", "), self.got)
    }
}

impl std::error::Error for UnknownValue {}

/// An enum that travels as one of a fixed set of strings. Serde goes through
/// `as_str` and `FromStr` rather than its derive: one string decoder for all of
/// them keeps the WebAssembly small, and a bad value names the accepted ones.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident ($what:literal) { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "openapi", derive(ToSchema), schema(rename_all = "snake_case"))]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in the order the UI offers them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every wire spelling, in the order of [`Self::ALL`].
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(UnknownValue { what: $what, got: s.to_string(), expected: Self::NAMES }),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Timestamps travel as RFC 3339 strings in UTC, e.g. `2026-11-27T12:00:00Z`.
pub type Timestamp = String;

/// The error envelope of every failed API call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_parameter`.
    pub code: String,
    /// What was wrong, for people.
    pub message: String,
}

wire_enum! {
    /// The stable codes of [`ErrorDetail::code`]. The envelope keeps the code a
    /// string, so that a client meets a newer server's codes without failing.
    ErrorCode ("error code") {
        AlreadyDecided = "already_decided",
        Busy = "busy",
        Conflict = "conflict",
        CsrfFailed = "csrf_failed",
        DrillBlocked = "drill_blocked",
        Expired = "expired",
        Forbidden = "forbidden",
        Internal = "internal",
        InvalidBody = "invalid_body",
        InvalidCallback = "invalid_callback",
        InvalidJustification = "invalid_justification",
        InvalidMetadata = "invalid_metadata",
        InvalidParameter = "invalid_parameter",
        InvalidQuery = "invalid_query",
        InvalidScenario = "invalid_scenario",
        InvalidTicket = "invalid_ticket",
        MissingParameter = "missing_parameter",
        NotFound = "not_found",
        NotPending = "not_pending",
        NotReady = "not_ready",
        RecoveryPointGone = "recovery_point_gone",
        ScenarioMismatch = "scenario_mismatch",
        StaleHash = "stale_hash",
        Unauthenticated = "unauthenticated",
        Unavailable = "unavailable",
        UnknownAccount = "unknown_account",
        UnknownParameter = "unknown_parameter",
        UnknownRecoveryPoint = "unknown_recovery_point",
        UnknownUser = "unknown_user",
        UnsupportedResourceType = "unsupported_resource_type",
    }
}

impl ErrorDetail {
    /// The code as an [`ErrorCode`], `None` for a code this build does not know.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.code.parse().ok()
    }
}

/// One page of a list; pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Whether a recovery point in this status can be restored or copied. The service model
/// (`DescribeRecoveryPoint.Status`) documents `AVAILABLE` as the success state ("the
/// backup was successfully created ... ready for use") and also lists `COMPLETED`;
/// both are usable. `PARTIAL`, `CREATING`, `STOPPED`, `EXPIRED` and `DELETING` are not.
pub fn recovery_point_usable(status: &str) -> bool {
    USABLE_RECOVERY_POINT_STATUSES.contains(&status)
}

/// The recovery point statuses [`recovery_point_usable`] accepts.
pub const USABLE_RECOVERY_POINT_STATUSES: [&str; 2] = ["COMPLETED", "AVAILABLE"];

/// How the last sync of one (account, region) went.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RegionSync {
    pub region: String,
    /// `never`, `running`, `ok` or `error`.
    pub status: String,
    pub last_attempt_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub duration_ms: Option<i64>,
    /// The AWS error code of the last failure, e.g. `AccessDenied`.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The console holds this region's backup jobs from here on: the start of its
    /// first successful sync's backup-job window. AWS lists only the last 30 days of
    /// backup jobs (`ListBackupJobs`), so that window starts at most 30 days before the
    /// first sync; jobs the console stored stay stored after AWS stops listing them.
    pub backup_jobs_from: Option<Timestamp>,
    pub counts: SyncCounts,
    /// The AWS calls of the last sync of this region that AWS throttled (the console
    /// slowed down and retried them; README: Throttling).
    #[serde(default)]
    pub throttled_calls: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SyncCounts {
    pub vaults: i64,
    pub recovery_points: i64,
    pub protected_resources: i64,
    pub backup_jobs: i64,
    pub copy_jobs: i64,
    pub restore_jobs: i64,
    pub restore_testing_plans: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Account {
    pub id: String,
    pub name: String,
    pub role_arn: String,
    pub regions: Vec<String>,
    /// `config` or `discovery`.
    pub source: String,
    pub sync: Vec<RegionSync>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Vault {
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub name: String,
    pub vault_type: Option<String>,
    pub state: Option<String>,
    pub encryption_key_arn: Option<String>,
    pub created_at: Option<Timestamp>,
    pub recovery_points: i64,
    pub locked: bool,
    /// The vault access policy document, when the vault has one.
    pub access_policy: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RecoveryPoint {
    pub recovery_point_arn: String,
    pub account_id: String,
    pub region: String,
    pub vault_name: String,
    pub vault_arn: String,
    pub resource_arn: String,
    pub resource_type: String,
    pub resource_name: Option<String>,
    pub status: String,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub size_bytes: Option<i64>,
    pub encryption_key_arn: Option<String>,
    pub is_encrypted: bool,
    /// Set on copies: the vault this recovery point was copied from.
    pub source_vault_arn: Option<String>,
    pub delete_after_days: Option<i64>,
    pub delete_at: Option<Timestamp>,
    pub move_to_cold_storage_at: Option<Timestamp>,
    pub last_restore_at: Option<Timestamp>,
    pub backup_plan_id: Option<String>,
    /// When a sync no longer found it in its vault (deleted or expired).
    pub gone_at: Option<Timestamp>,
    /// A composite recovery point (a CloudFormation stack's, for example): it groups the
    /// members' points, is restored through them and is not counted.
    pub is_parent: bool,
    /// A member's point: its composite parent.
    pub parent_recovery_point_arn: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProtectedResource {
    pub resource_arn: String,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_name: Option<String>,
    pub last_backup_at: Option<Timestamp>,
    pub last_backup_vault_arn: Option<String>,
    pub last_recovery_point_arn: Option<String>,
    pub latest_restore_minutes: Option<i64>,
    pub latest_restore_job_created_at: Option<Timestamp>,
    pub latest_restore_recovery_point_created_at: Option<Timestamp>,
    /// When a restore testing plan last restored this resource.
    pub last_test_at: Option<Timestamp>,
    /// What that last restore test came to (`None` while it is still running).
    pub last_test_outcome: Option<TestOutcome>,
    /// The resource's tags, read when a tag-condition selection could name it
    /// (`None`: not read).
    pub tags: Option<Vec<Tag>>,
}

/// A resource tag, or the key and value a selection's tag condition compares.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

wire_enum! {
    /// How a restore testing selection compares a tag (`ProtectedResourceConditions`).
    TagOperator ("operator") {
        StringEquals = "StringEquals",
        StringNotEquals = "StringNotEquals",
    }
}

/// One tag condition of a restore testing selection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TagCondition {
    pub operator: TagOperator,
    pub key: String,
    pub value: String,
}

impl TagCondition {
    /// Whether a resource with `tags` meets the condition; `None` when AWS's answer is
    /// not certain: `StringNotEquals` on a resource without the key (the AWS Backup
    /// documentation does not say whether a missing tag counts as "not equal").
    pub fn holds(&self, tags: &[Tag]) -> Option<bool> {
        let value = tags.iter().find(|t| t.key == self.key).map(|t| t.value.as_str());
        match (self.operator, value) {
            (TagOperator::StringEquals, v) => Some(v == Some(self.value.as_str())),
            (TagOperator::StringNotEquals, Some(v)) => Some(v != self.value),
            (TagOperator::StringNotEquals, None) => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BackupJob {
    pub job_id: String,
    pub account_id: String,
    pub region: String,
    pub vault_name: Option<String>,
    pub vault_arn: Option<String>,
    pub recovery_point_arn: Option<String>,
    pub resource_arn: String,
    pub resource_type: String,
    pub resource_name: Option<String>,
    pub status: String,
    pub status_message: Option<String>,
    pub percent_done: Option<String>,
    pub size_bytes: Option<i64>,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    /// A composite job: it groups child jobs (one per member of a CloudFormation stack,
    /// for example) and its state sums theirs up; counts take the children.
    pub is_parent: bool,
    /// A child job's composite parent.
    pub parent_job_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CopyJob {
    pub job_id: String,
    pub account_id: String,
    pub region: String,
    pub source_vault_arn: Option<String>,
    pub source_recovery_point_arn: Option<String>,
    pub destination_vault_arn: Option<String>,
    pub destination_recovery_point_arn: Option<String>,
    pub resource_arn: String,
    pub resource_type: String,
    pub resource_name: Option<String>,
    pub status: String,
    pub status_message: Option<String>,
    pub size_bytes: Option<i64>,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    /// A composite job: it groups child jobs (one per member of a CloudFormation stack,
    /// for example) and its state sums theirs up; counts take the children.
    pub is_parent: bool,
    /// A child job's composite parent.
    pub parent_job_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RestoreJob {
    pub job_id: String,
    pub account_id: String,
    pub region: String,
    pub recovery_point_arn: Option<String>,
    pub vault_arn: Option<String>,
    pub resource_arn: Option<String>,
    pub resource_type: String,
    pub created_resource_arn: Option<String>,
    pub status: String,
    pub status_message: Option<String>,
    pub percent_done: Option<String>,
    pub size_bytes: Option<i64>,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    /// Minutes from creation to completion: the measured restore time.
    pub duration_minutes: Option<i64>,
    pub recovery_point_created_at: Option<Timestamp>,
    /// Whether a restore testing plan started it.
    pub test: bool,
    pub plan_arn: Option<String>,
    pub validation_status: Option<String>,
    pub validation_message: Option<String>,
    pub deletion_status: Option<String>,
    pub deletion_message: Option<String>,
    /// A composite restore: its children restore the members; counts take the children.
    pub is_parent: bool,
    /// A child restore job's composite parent.
    pub parent_job_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RestoreTestingSelection {
    pub name: String,
    pub resource_type: String,
    pub iam_role_arn: String,
    pub resource_arns: Vec<String>,
    /// Tag conditions (`ProtectedResourceConditions`); a resource must meet all of them.
    pub conditions: Vec<TagCondition>,
    /// The metadata keys the selection overrides (their values are sensitive and not kept).
    pub override_keys: Vec<String>,
    pub validation_window_hours: Option<i64>,
    pub created_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RestoreTestingPlan {
    pub plan_arn: String,
    pub account_id: String,
    pub region: String,
    pub name: String,
    pub schedule_expression: String,
    pub schedule_timezone: Option<String>,
    pub start_window_hours: Option<i64>,
    pub algorithm: Option<String>,
    pub selection_window_days: Option<i64>,
    pub include_vaults: Vec<String>,
    pub exclude_vaults: Vec<String>,
    pub recovery_point_types: Vec<String>,
    pub created_at: Option<Timestamp>,
    pub last_execution_at: Option<Timestamp>,
    pub selections: Vec<RestoreTestingSelection>,
}

/// Recoverability of one account at a glance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccountSummary {
    pub account_id: String,
    pub name: String,
    pub vaults: i64,
    pub recovery_points: i64,
    pub protected_resources: i64,
    /// Restore tests of the last 30 UTC days (today and the 29 before), by outcome.
    pub restore_tests_30d: TestCounts,
    /// Protected resources with no restore test on record.
    pub resources_never_tested: i64,
    /// Whether every region synced without error on its last attempt.
    pub sync_ok: bool,
}

/// A page of [`AccountSummary`], by account id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Summary {
    pub accounts: Vec<AccountSummary>,
    /// Pass back as `cursor` for the next page; `None` on the last one.
    pub next_cursor: Option<String>,
    /// Pass back as `before` for the page before; `None` on the first one.
    pub prev_cursor: Option<String>,
    /// Accounts registered in all (that the `account_id` filter leaves).
    pub total: i64,
}

/// A page of [`Account`], by account id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccountPage {
    pub items: Vec<Account>,
    /// Pass back as `cursor` for the next page; `None` on the last one.
    pub next_cursor: Option<String>,
    /// Pass back as `before` for the page before; `None` on the first one.
    pub prev_cursor: Option<String>,
    /// Accounts registered in all (that the `account_id` filter leaves).
    pub total: i64,
}

/// One choice of a filter or a form field (`/api/v1/choices/{list}`): the value
/// it sets and the words it shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The progress of the current (or last) sync.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SyncProgress {
    pub running: bool,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// (account, region) pairs in this sync.
    pub targets: i64,
    pub done: i64,
    pub failed: i64,
}

/// Restore tests that passed and failed on one UTC day.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DailyTests {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub tests: TestCounts,
}

/// Measured restore times of one resource type (restore jobs that completed).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RestoreTimes {
    pub resource_type: String,
    pub restores: i64,
    pub median_minutes: i64,
    pub p90_minutes: i64,
    pub max_minutes: i64,
}

/// How many protected resources have a newest backup within each age.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BackupAges {
    pub within_24h: i64,
    pub within_7d: i64,
    pub older: i64,
    pub never: i64,
}

/// The posture of every account on one page: what the Overview shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Overview {
    pub generated_at: Timestamp,
    /// Restore tests per UTC day over the last 90 days, oldest first, every day present.
    pub daily_tests: Vec<DailyTests>,
    /// The most recent failed restore tests (restore failed, aborted, validation failed or timed out).
    pub latest_failures: Vec<RestoreJob>,
    /// The threshold of "not tested recently", in days.
    pub stale_after_days: i64,
    /// Protected resources with no restore test on record.
    pub never_tested: i64,
    /// Protected resources tested, but not within `stale_after_days`.
    pub not_tested_recently: i64,
    /// The first untested or not recently tested resources, least recently tested first.
    pub untested_resources: Vec<ProtectedResource>,
    /// Age of each protected resource's newest backup (RPO).
    pub backup_ages: BackupAges,
    /// The resources whose newest backup is oldest.
    pub oldest_backups: Vec<ProtectedResource>,
    /// Measured restore times per resource type over the 90 days of `daily_tests` (RTO).
    pub restore_times: Vec<RestoreTimes>,
}

/// One recovery point with what AWS reports about restoring it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RecoveryPointDetail {
    pub recovery_point: RecoveryPoint,
    /// `GetRecoveryPointRestoreMetadata`, read from AWS when the detail is opened.
    pub restore_metadata: Option<std::collections::BTreeMap<String, String>>,
    /// Why the restore metadata could not be read, when it could not.
    pub restore_metadata_error: Option<String>,
    /// What a restore request may set for this resource type (empty: the console
    /// does not restore it); the form renders these, over `restore_metadata`.
    #[serde(default)]
    pub restore_fields: Vec<RestoreField>,
    /// Copy jobs that copied this recovery point or produced it.
    pub copy_jobs: Vec<CopyJob>,
    /// Restore jobs from this recovery point, newest first.
    pub restore_jobs: Vec<RestoreJob>,
}

/// One restore metadata key a request may set, as the console offers it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RestoreField {
    /// The metadata key (AWS reads restore metadata keys case-insensitively).
    pub key: String,
    pub label: String,
    /// What a value looks like.
    pub hint: String,
    /// `name` (the new resource's name), `text`, `list` (a JSON array or values
    /// separated by commas), `bool` (`true` or `false`) or `choice` (one of `options`).
    pub kind: String,
    /// The request must set it (AWS has no value to start from).
    pub required: bool,
    /// Left blank, the recovery point's own value is restored (otherwise AWS's default).
    pub inherits: bool,
    pub options: Vec<String>,
}

/// One record of the hash-chained audit log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditRecord {
    pub seq: i64,
    /// RFC 3339 with milliseconds, UTC (as hashed).
    pub at: String,
    /// The IdP subject of who acted, or `system` for the console itself.
    pub actor: String,
    /// What happened, e.g. `request.approved`.
    pub action: String,
    /// What it happened to, e.g. `request:<id>`.
    pub subject: String,
    pub details: serde_json::Value,
    pub prev_hash: String,
    /// `hex(sha256(prev_hash + "\n" + canonical JSON of seq, at, actor, action, subject, details))`.
    pub hash: String,
}

/// The result of recomputing the audit chain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditVerification {
    pub valid: bool,
    pub entries: i64,
    /// The hash of the last record (`None` for an empty log).
    pub head: Option<String>,
    /// The first record that does not fit the chain.
    pub first_bad_seq: Option<i64>,
    pub problem: Option<String>,
}

/// Demo mode's local sign-in (`POST /api/v1/auth/demo`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DemoSignIn {
    /// `alice` (operator), `bob` (approver), `carol` (auditor) or `erin` (admin).
    #[cfg_attr(feature = "openapi", schema(pattern = "^(alice|bob|carol|erin)$"))]
    pub user: String,
}

/// The sessions an admin ended for one person (`DELETE /api/v1/sessions?subject=`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SessionsEnded {
    pub subject: String,
    /// How many live sessions (cookies and session bearer tokens) were ended.
    pub ended: i64,
}

/// Who is signed in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    /// The IdP subject (`None` when browsing anonymously).
    pub subject: Option<String>,
    pub name: Option<String>,
    /// Any of `viewer`, `operator`, `approver`, `auditor`, `admin`.
    pub roles: Vec<String>,
    /// Send as `X-CSRF-Token` with every state-changing request made with the session cookie.
    pub csrf_token: Option<String>,
    /// Demo mode: local sign-in without SSO.
    pub demo: bool,
    /// Whether SSO sign-in is configured (`GET /auth/login`).
    pub sso: bool,
    /// The browser sent a session cookie whose session has ended (expired, or ended by
    /// an admin or a sign-out elsewhere): the page signs in again, silently through
    /// SSO when the provider still knows the person (`/auth/login?prompt=none`).
    #[serde(default)]
    pub session_ended: bool,
}

wire_enum! {
    /// What a restore test came to, in the console's one definition
    /// (`backend/src/store/sql.rs` spells it in SQL).
    TestOutcome ("outcome") {
        /// The restore completed and its validation reported `SUCCESSFUL`.
        Passed = "passed",
        /// The restore completed; no validation status (no validator, or a window of 0)
        /// or still `VALIDATING`: tested, but not validated.
        Restored = "restored",
        /// The restore failed or was aborted (a missed start window), or its validation
        /// reported `FAILED` or `TIMED_OUT`.
        Failed = "failed",
    }
}

impl TestOutcome {
    /// The outcome of a restore test from its job's `status` and `validation_status`;
    /// `None` while the restore has not ended. The SQL spelling of the same rule is
    /// `test_passed!`/`test_restored!`/`test_failed!` in `backend/src/store/sql.rs`.
    pub fn of(status: &str, validation_status: Option<&str>) -> Option<Self> {
        match (status, validation_status) {
            (_, Some("FAILED" | "TIMED_OUT")) | ("FAILED" | "ABORTED", _) => Some(Self::Failed),
            ("COMPLETED", Some("SUCCESSFUL")) => Some(Self::Passed),
            ("COMPLETED", None | Some("VALIDATING")) => Some(Self::Restored),
            _ => None,
        }
    }
}

/// Restore tests by outcome, and how many of them a validator judged.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TestCounts {
    /// Restored and validated `SUCCESSFUL`.
    pub passed: i64,
    /// Restored, with no validation result (no validator, a window of 0, or still validating).
    pub restored: i64,
    /// Restore failed or aborted, or validation `FAILED` or `TIMED_OUT`.
    pub failed: i64,
    /// Tests whose restore completed.
    pub completed: i64,
    /// Tests a validator judged: validation `SUCCESSFUL` or `FAILED`.
    pub validated: i64,
}

impl std::ops::Add for TestCounts {
    type Output = Self;

    fn add(self, o: Self) -> Self {
        Self {
            passed: self.passed + o.passed,
            restored: self.restored + o.restored,
            failed: self.failed + o.failed,
            completed: self.completed + o.completed,
            validated: self.validated + o.validated,
        }
    }
}

impl std::iter::Sum for TestCounts {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), |a, b| a + b)
    }
}

impl TestCounts {
    /// Tests that ended (passed, restored or failed).
    pub fn ended(&self) -> i64 {
        self.passed + self.restored + self.failed
    }

    /// Counts one test by its job's status and validation status (a running test counts nowhere).
    pub fn add(&mut self, status: &str, validation_status: Option<&str>) {
        match TestOutcome::of(status, validation_status) {
            Some(TestOutcome::Passed) => self.passed += 1,
            Some(TestOutcome::Restored) => self.restored += 1,
            Some(TestOutcome::Failed) => self.failed += 1,
            None => {}
        }
        self.completed += i64::from(status == "COMPLETED");
        self.validated += i64::from(matches!(validation_status, Some("SUCCESSFUL" | "FAILED")));
    }

    /// Tests that restored their resource: passed or restored-only (what coverage counts).
    pub fn tested(&self) -> i64 {
        self.passed + self.restored
    }

    /// Percent of validated tests that passed (`None` when none was validated).
    pub fn validated_pass_rate(&self) -> Option<f64> {
        percent(self.passed, self.validated)
    }

    /// Percent of completed restores that a validator judged (`None` when none completed).
    pub fn validated_share(&self) -> Option<f64> {
        percent(self.validated, self.completed)
    }
}

/// `part` as a percentage of `whole`; `None` when `whole` is 0. The one percentage
/// helper of the backend, the reports and the UI.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

wire_enum! {
    /// What a request asks AWS Backup to do.
    #[derive(Default)]
    RequestKind ("kind") {
        #[default]
        Restore = "restore",
        Copy = "copy",
        /// A copy into the target account's vault, then a restore there.
        CrossAccountRestore = "cross_account_restore",
        /// CreateRestoreTestingPlan, with its first selection when one is given.
        CreateTestingPlan = "create_testing_plan",
        UpdateTestingPlan = "update_testing_plan",
        /// DeleteRestoreTestingPlan: AWS refuses while the plan has selections.
        DeleteTestingPlan = "delete_testing_plan",
        CreateTestingSelection = "create_testing_selection",
        UpdateTestingSelection = "update_testing_selection",
        DeleteTestingSelection = "delete_testing_selection",
    }
}

impl RequestKind {
    /// Whether the request changes restore testing (plans and selections) rather
    /// than restoring or copying a recovery point.
    pub fn is_testing_change(self) -> bool {
        !matches!(self, RequestKind::Restore | RequestKind::Copy | RequestKind::CrossAccountRestore)
    }

    /// What the request does, for people: "create restore testing selection".
    pub fn label(self) -> &'static str {
        match self {
            RequestKind::Restore => "restore",
            RequestKind::Copy => "copy",
            RequestKind::CrossAccountRestore => "cross-account restore",
            RequestKind::CreateTestingPlan => "create restore testing plan",
            RequestKind::UpdateTestingPlan => "change restore testing plan",
            RequestKind::DeleteTestingPlan => "delete restore testing plan",
            RequestKind::CreateTestingSelection => "create restore testing selection",
            RequestKind::UpdateTestingSelection => "change restore testing selection",
            RequestKind::DeleteTestingSelection => "delete restore testing selection",
        }
    }
}

/// A restore testing plan's settings, as a request sets them (the model's
/// RestoreTestingPlanForCreate and RestoreTestingRecoveryPointSelection).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TestingPlanSpec {
    /// `cron(minutes hours day-of-month month day-of-week year)` or `rate(N unit)`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^(cron\\([A-Za-z0-9,*/?#-]+( [A-Za-z0-9,*/?#-]+){5}\\)|rate\\([1-9][0-9]{0,8} (minutes?|hours?|days?)\\))$"
        )
    )]
    pub schedule_expression: String,
    /// An IANA time zone; AWS's default is UTC.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z][A-Za-z0-9/_+-]{0,63}$"))]
    pub schedule_timezone: Option<String>,
    /// Hours a test may wait to start before it is aborted: 1 to 168 (AWS default 24).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 168))]
    pub start_window_hours: Option<i64>,
    /// `LATEST_WITHIN_WINDOW` or `RANDOM_WITHIN_WINDOW`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(LATEST|RANDOM)_WITHIN_WINDOW$"))]
    pub algorithm: String,
    /// How far back a recovery point may be: 1 to 365 days (AWS default 30).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 365))]
    pub selection_window_days: Option<i64>,
    /// Vault ARNs (wildcards allowed) or `*`.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub include_vaults: Vec<String>,
    #[serde(default)]
    pub exclude_vaults: Vec<String>,
    /// `SNAPSHOT` and/or `CONTINUOUS`.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub recovery_point_types: Vec<String>,
}

/// A restore testing selection's settings (the model's RestoreTestingSelectionForCreate).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TestingSelectionSpec {
    /// The AWS Backup resource type, e.g. `RDS`.
    pub resource_type: String,
    /// Up to 30 resource ARNs, or `["*"]` (then usually with tag conditions).
    #[serde(default)]
    pub resource_arns: Vec<String>,
    #[serde(default)]
    pub string_equals: Vec<Tag>,
    #[serde(default)]
    pub string_not_equals: Vec<Tag>,
    /// Hours the restored resource is kept for validation: 0 to 168.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 168))]
    pub validation_window_hours: Option<i64>,
    /// Restore metadata keys to override (the rest AWS infers).
    #[serde(default)]
    pub restore_metadata_overrides: std::collections::BTreeMap<String, String>,
    /// The role AWS Backup restores with; default: the account's `backup_role_arn`.
    pub iam_role_arn: Option<String>,
}

/// A change of restore testing someone asks for (`POST /api/v1/requests/restore-testing`).
/// Create and update of a plan take `plan`; create and update of a selection take
/// `selection` and `selection_name`; a plan created with a `selection` gets it as its first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTestingRequest {
    /// One of the restore testing kinds (the others are asked for at `/api/v1/requests`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^(create|update|delete)_testing_(plan|selection)$"))]
    pub kind: RequestKind,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{12}$"))]
    pub account_id: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)+-[0-9]+$"))]
    pub region: String,
    /// Letters, digits and underscores, at most 50.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_]{1,50}$"))]
    pub plan_name: String,
    pub plan: Option<TestingPlanSpec>,
    /// Letters, digits and underscores, at most 50.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_]{1,50}$"))]
    pub selection_name: Option<String>,
    pub selection: Option<TestingSelectionSpec>,
    /// Why, in at least 10 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*\\S[\\s\\S]{8,}\\S\\s*$"))]
    pub justification: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub ticket: Option<String>,
}

wire_enum! {
    /// Where a request is in its lifecycle.
    RequestStatus ("status") {
        PendingApproval = "pending_approval",
        Approved = "approved",
        Executing = "executing",
        Succeeded = "succeeded",
        Failed = "failed",
        Rejected = "rejected",
        Expired = "expired",
        Cancelled = "cancelled",
    }
}

/// Lifecycle of a copy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CopyLifecycle {
    pub delete_after_days: Option<i64>,
    pub move_to_cold_storage_after_days: Option<i64>,
}

/// What an operator asks for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// `restore`, `copy` or `cross_account_restore` (restore testing changes are asked for at
    /// `/api/v1/requests/restore-testing`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^(restore|copy|cross_account_restore)$"))]
    pub kind: RequestKind,
    pub recovery_point_arn: String,
    /// Restore metadata (restore and cross-account restore). DynamoDB:
    /// `targetTableName`, `encryptionType` (`Default` or `KMS`), `kmsMasterKeyArn`;
    /// RDS: `dbInstanceIdentifier`, optionally `dbInstanceClass`.
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
    /// The role AWS Backup uses; default: the account's `backup_role_arn`.
    pub iam_role_arn: Option<String>,
    /// Copy: where to; cross-account restore: the target account's vault.
    pub destination_vault_arn: Option<String>,
    pub lifecycle: Option<CopyLifecycle>,
    /// Why, in at least 10 characters.
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*\\S[\\s\\S]{8,}\\S\\s*$"))]
    pub justification: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub ticket: Option<String>,
}

/// One pre-flight check of a request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PreflightCheck {
    pub check: String,
    /// `None` when it could not be checked.
    pub ok: Option<bool>,
    pub detail: String,
}

/// One approval or rejection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Decision {
    pub approver: String,
    pub approver_name: String,
    /// `approve` or `reject`.
    pub decision: String,
    pub reason: Option<String>,
    pub at: Timestamp,
}

/// A restore or copy request and everything that happened to it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ActionRequest {
    pub id: String,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub requester: String,
    pub requester_name: String,
    /// Where the recovery point is.
    pub account_id: String,
    pub region: String,
    /// The canonical parameters the approvals cover.
    pub params: serde_json::Value,
    /// SHA-256 of the canonical parameters: approve with it.
    pub params_hash: String,
    pub justification: String,
    pub ticket: Option<String>,
    pub preflight: Vec<PreflightCheck>,
    pub approvals_needed: i64,
    pub decisions: Vec<Decision>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub updated_at: Timestamp,
    pub copy_job_id: Option<String>,
    pub copy_state: Option<String>,
    pub destination_recovery_point_arn: Option<String>,
    pub restore_job_id: Option<String>,
    pub restore_state: Option<String>,
    pub created_resource_arn: Option<String>,
    /// A restore testing change's result: the plan's ARN.
    pub change_result: Option<String>,
    pub error: Option<String>,
    /// The request's audit records, oldest first (in the detail only).
    pub timeline: Vec<AuditRecord>,
}

/// Approve (with the hash of what was reviewed) or reject (with a reason).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub params_hash: Option<String>,
    pub reason: Option<String>,
}

/// One completed restore of a resource and how long it took.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RestoreDuration {
    pub job_id: String,
    pub created_at: Timestamp,
    pub minutes: i64,
    /// Started by a restore testing plan.
    pub test: bool,
}

/// A resource's measured restore times against the RTO target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ResourceRestoreTimes {
    pub resource_arn: String,
    pub target_minutes: i64,
    /// Oldest first.
    pub restores: Vec<RestoreDuration>,
    pub p50_minutes: Option<i64>,
    pub p95_minutes: Option<i64>,
    pub max_minutes: Option<i64>,
    /// Whether the 95th percentile is within the target (`None` without restores).
    pub within_target: Option<bool>,
}

/// Restore-test coverage of one account and resource type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CoverageRow {
    pub account_id: String,
    pub resource_type: String,
    pub resources: i64,
    /// Named by a restore testing selection: by ARN, all of the type, or by tag conditions
    /// that the resource's tags meet.
    pub covered: i64,
    /// Only possibly covered: a selection chooses by tags that the console could not read
    /// (`tag:GetResources` refused), or by a `StringNotEquals` on a tag the resource lacks.
    pub covered_by_tags: i64,
    /// With a restore test that restored it (passed or restored-only) in the last `days` days.
    pub tested_recently: i64,
    /// With a test in the last `days` days that a validator also passed.
    pub validated_recently: i64,
    pub never_tested: i64,
}

/// Which protected resources restore testing covers, and the gaps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Coverage {
    pub days: i64,
    pub rows: Vec<CoverageRow>,
    /// Resources no selection names and no test reached in `days` days (the first 200).
    pub gaps: Vec<ProtectedResource>,
}

wire_enum! {
    /// What a target applies to.
    TargetScope ("scope_kind") {
        /// Every resource of an AWS Backup resource type.
        ResourceType = "resource_type",
        /// One resource, by ARN.
        Resource = "resource",
    }
}

/// One RPO/RTO target: for a resource type or for one resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TargetRule {
    pub scope_kind: TargetScope,
    /// The resource type (`DynamoDB`) or the resource ARN.
    pub scope: String,
    pub rpo_hours: i64,
    pub rto_minutes: i64,
    /// `config` (the file) or `console` (set by an admin here, overriding the file).
    pub source: String,
    pub updated_by: Option<String>,
    pub updated_at: Option<Timestamp>,
}

/// The RPO/RTO policy: defaults, then per resource type, then per resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TargetPolicy {
    pub default_rpo_hours: i64,
    pub default_rto_minutes: i64,
    pub rules: Vec<TargetRule>,
}

/// An admin's change of a target (`PUT /api/v1/assurance/targets`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetTarget {
    pub scope_kind: TargetScope,
    /// A resource type (`resource_type`) or a resource ARN (`resource`).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[A-Za-z0-9._-]([A-Za-z0-9 ._-]{0,48}[A-Za-z0-9._-])?$|^arn:aws")
    )]
    pub scope: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 8760))]
    pub rpo_hours: i64,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 43200))]
    pub rto_minutes: i64,
}

/// A protected resource outside its RPO or RTO target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OutsideTarget {
    pub resource: ProtectedResource,
    pub rpo_target_hours: i64,
    pub rto_target_minutes: i64,
    /// No backup, or the newest is older than the RPO target.
    pub outside_rpo: bool,
    /// The latest restore took longer than the RTO target.
    pub outside_rto: bool,
}

/// One recovery point in a resource's RPO history.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RpoPoint {
    pub at: Timestamp,
    /// Minutes since the previous recovery point of the same kind (`None` for the first).
    pub minutes_since_previous: Option<i64>,
}

/// A stretch of time without a recovery point younger than the RPO target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RpoGap {
    /// `backup` (the resource's own account) or `copy` (a central vault).
    pub kind: String,
    /// When the RPO target was first missed (the previous point plus the target).
    pub from: Timestamp,
    /// The next recovery point; `None` while the gap is still open.
    pub to: Option<Timestamp>,
    /// Minutes between the two recovery points (or until now).
    pub minutes_between: i64,
}

/// A resource's recovery point objective, measured: newest backup and newest copy in a
/// central vault against the target, and the history of gaps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ResourceRpo {
    pub resource_arn: String,
    pub target_hours: i64,
    pub days: i64,
    pub newest_backup_at: Option<Timestamp>,
    pub backup_age_minutes: Option<i64>,
    pub newest_copy_at: Option<Timestamp>,
    pub newest_copy_vault_arn: Option<String>,
    pub copy_age_minutes: Option<i64>,
    /// The newest backup is younger than the target (`false` without any).
    pub within_target: bool,
    /// The newest central copy is younger than the target (`false` without any).
    pub copy_within_target: bool,
    /// Completed recovery points in the resource's account over `days`, oldest first.
    pub backups: Vec<RpoPoint>,
    /// Completed copies in central vaults over `days`, oldest first.
    pub copies: Vec<RpoPoint>,
    /// Gaps longer than the target, oldest first.
    pub gaps: Vec<RpoGap>,
}

/// Restore-test coverage on one day: resources with a validated test in the window before it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CoverageTrendPoint {
    pub date: String,
    pub resources: i64,
    /// Restored by a test (passed or restored-only) in the window.
    pub tested: i64,
    /// Of those, passed a validation in the window.
    pub validated: i64,
}

/// How coverage moved: per day, the resources a restore test restored (and those a
/// validator passed) in the `window_days` before that day.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CoverageTrend {
    pub window_days: i64,
    pub points: Vec<CoverageTrendPoint>,
}

wire_enum! {
    /// Recovery scenarios a runbook or a drill follows.
    Scenario ("scenario") {
        DynamodbRestore = "dynamodb_restore",
        RdsRestore = "rds_restore",
        CrossAccountRestore = "cross_account_restore",
        AuroraRestore = "aurora_restore",
        Ec2Restore = "ec2_restore",
        EbsRestore = "ebs_restore",
        EfsRestore = "efs_restore",
        S3Restore = "s3_restore",
    }
}

impl Scenario {
    /// The resource type an in-account restore scenario is for, with what it makes;
    /// `None` for the cross-account scenario, which fits every restorable type.
    pub fn restores(self) -> Option<(&'static str, &'static str)> {
        match self {
            Scenario::DynamodbRestore => Some(("DynamoDB", "DynamoDB table")),
            Scenario::RdsRestore => Some(("RDS", "RDS DB instance")),
            Scenario::AuroraRestore => Some(("Aurora", "Aurora DB cluster")),
            Scenario::Ec2Restore => Some(("EC2", "EC2 instance")),
            Scenario::EbsRestore => Some(("EBS", "EBS volume")),
            Scenario::EfsRestore => Some(("EFS", "EFS file system")),
            Scenario::S3Restore => Some(("S3", "S3 bucket")),
            Scenario::CrossAccountRestore => None,
        }
    }

    /// Whether the scenario applies to the resource an ARN names (the cross-account
    /// one to every type the console restores).
    pub fn fits(self, resource_arn: &str) -> bool {
        let Some(kind) = restorable_type(resource_arn) else { return false };
        self.restores().is_none_or(|(t, _)| t == kind)
    }

    /// What the scenario does, for people.
    pub fn title(self) -> &'static str {
        match self {
            Scenario::DynamodbRestore => "In-account restore of a DynamoDB table",
            Scenario::RdsRestore => "In-account restore of an RDS instance",
            Scenario::AuroraRestore => "In-account restore of an Aurora DB cluster",
            Scenario::Ec2Restore => "In-account restore of an EC2 instance",
            Scenario::EbsRestore => "In-account restore of an EBS volume",
            Scenario::EfsRestore => "In-account restore of an EFS file system",
            Scenario::S3Restore => "In-account restore of an S3 bucket",
            Scenario::CrossAccountRestore => "Cross-account recovery through the central vault",
        }
    }
}

/// The restorable Backup resource type of a resource ARN (DynamoDB table, RDS
/// instance, Aurora cluster, EC2 instance, EBS volume, EFS file system, S3 bucket).
pub fn restorable_type(arn: &str) -> Option<&'static str> {
    let mut parts = arn.splitn(6, ':');
    let (service, resource) = (parts.nth(2)?, parts.nth(2)?);
    Some(match (service, resource.split(['/', ':']).next()?) {
        ("dynamodb", "table") => "DynamoDB",
        ("rds", "db") => "RDS",
        ("rds", "cluster") => "Aurora",
        ("ec2", "instance") => "EC2",
        ("ec2", "volume") => "EBS",
        ("elasticfilesystem", "file-system") => "EFS",
        ("s3", _) => "S3",
        _ => return None,
    })
}

wire_enum! {
    /// Where a drill is.
    DrillStatus ("status") {
        AwaitingApproval = "awaiting_approval",
        Restoring = "restoring",
        Validating = "validating",
        /// Validated; the restored resource is kept until its retention ends.
        Retained = "retained",
        CleaningUp = "cleaning_up",
        Completed = "completed",
        Failed = "failed",
    }
}

/// A runbook's step; `request` is the request of issue 5 its button starts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RunbookStep {
    pub title: String,
    pub detail: String,
    pub request: Option<NewRequest>,
}

/// One fact a runbook needs (an account, vault, recovery point, key, role or policy).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RunbookFact {
    pub name: String,
    pub value: String,
}

/// A runbook generated from the live state for one scenario and resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Runbook {
    pub scenario: Scenario,
    pub title: String,
    pub resource_arn: String,
    pub generated_at: Timestamp,
    pub facts: Vec<RunbookFact>,
    /// The destination vault's access policy (cross-account), as AWS returns it.
    pub vault_policy: Option<String>,
    pub checks: Vec<PreflightCheck>,
    pub steps: Vec<RunbookStep>,
    /// The team's notes (Markdown).
    pub notes: String,
    pub notes_updated_by: Option<String>,
    pub notes_updated_at: Option<Timestamp>,
    /// Why the runbook cannot be followed now (no recovery point, no destination vault).
    pub blockers: Vec<String>,
}

/// The team's notes of a runbook (`PUT /api/v1/runbooks/notes`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RunbookNotes {
    pub scenario: Scenario,
    pub resource_arn: String,
    pub notes: String,
}

/// One timed step of a drill.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DrillStep {
    /// `requested`, `approved`, `job_started`, `job_completed`, `validated`, `cleaned_up`.
    pub step: String,
    pub at: Option<Timestamp>,
    pub by: Option<String>,
    /// Minutes since the drill was requested.
    pub minutes_from_start: Option<i64>,
}

/// A recovery drill and its report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Drill {
    pub id: String,
    pub scenario: Scenario,
    pub resource_arn: String,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub schedule_id: Option<String>,
    pub status: DrillStatus,
    /// `passed` (restored, validated, cleaned up, within target), `outside_target` or `failed`.
    pub outcome: Option<String>,
    pub started_by: String,
    pub request_id: Option<String>,
    pub recovery_point_arn: String,
    pub recovery_point_created_at: Timestamp,
    pub target_name: String,
    pub restore_account_id: String,
    pub restored_arn: Option<String>,
    pub retention_minutes: i64,
    pub rto_target_minutes: i64,
    pub rpo_target_hours: i64,
    /// Job started to resource validated.
    pub measured_rto_minutes: Option<i64>,
    /// Requested to resource validated (approval wait included).
    pub end_to_end_minutes: Option<i64>,
    /// Age of the recovery point used when the drill was requested.
    pub rpo_minutes: i64,
    pub steps: Vec<DrillStep>,
    /// What Cloud Control reported for the restored resource.
    pub validation: Option<String>,
    pub followups: Option<String>,
    pub error: Option<String>,
}

/// A drill to start now (`POST /api/v1/drills`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewDrill {
    pub resource_arn: String,
    pub scenario: Scenario,
    /// Minutes to keep the restored resource (default `assurance.drill_retention_minutes`).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10080))]
    pub retention_minutes: Option<i64>,
}

/// Drills on a schedule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DrillSchedule {
    pub id: String,
    pub scenario: Scenario,
    pub resource_arn: String,
    pub every_hours: i64,
    pub next_at: Timestamp,
    pub retention_minutes: i64,
    pub created_by: String,
    pub enabled: bool,
    /// No run starts after this time (none: no end).
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
    /// The creator's grant the schedule runs under (an admin can revoke it).
    #[serde(default)]
    pub grant_id: Option<String>,
}

/// A person's standing grant to have scheduled drills filed in their name
/// (`GET /api/v1/schedule-grants`); an admin revokes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScheduleGrant {
    pub id: String,
    pub subject: String,
    pub role: String,
    pub granted_at: Timestamp,
    /// The last time its holder made a schedule under it.
    pub confirmed_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub revoked_by: Option<String>,
}

/// A schedule to create (`POST /api/v1/drill-schedules`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewDrillSchedule {
    pub resource_arn: String,
    pub scenario: Scenario,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 8760))]
    pub every_hours: i64,
    /// The first run (default: now).
    pub first_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10080))]
    pub retention_minutes: Option<i64>,
    /// No run starts after this time (default: no end).
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
}

/// The follow-ups written into a drill report (`PUT /api/v1/drills/{id}/followups`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DrillFollowups {
    pub followups: String,
}

/// An evidence pack being made (`POST /api/v1/evidence/jobs`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EvidenceJob {
    pub id: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub scope: String,
    /// Steps done so far, of `steps`.
    pub step: i64,
    pub steps: i64,
    /// What it is doing now.
    pub step_name: String,
    /// The archive's size once done.
    pub bytes: Option<i64>,
    pub file_name: String,
    pub error: Option<String>,
}

// ---- Restore-test validation by the console (issue 13, part 4) ----

/// The checks the console runs on what a restore test restored, for every test of a
/// restore testing plan, or of one of its selections (`selection_name`). The
/// restored resource must exist and be ready (a DynamoDB table `ACTIVE`, an RDS
/// instance `available`) in any case; the fields add checks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RestoreTestChecks {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^arn:aws[^:]*:backup:[a-z0-9]+(-[a-z0-9]+)+-[0-9]+:[0-9]{12}:restore-testing-plan:.+$")
    )]
    pub plan_arn: String,
    /// One selection of the plan; none: every test of the plan without a selection's own checks.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_]{1,50}$"))]
    pub selection_name: Option<String>,
    /// DynamoDB: the restored table holds at least this many items (counted with a Scan).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10000000))]
    pub min_items: Option<i64>,
    /// DynamoDB: items that must be present, each its full primary key as attribute
    /// name to string value (`{"pk": "tracking#0", "sk": "current"}`), read with GetItem.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub keys: Vec<std::collections::BTreeMap<String, String>>,
    /// RDS: the restored instance's engine and allocated storage equal the source instance's.
    #[serde(default = "yes")]
    pub rds_matches_source: bool,
}

fn yes() -> bool {
    true
}

/// A set of checks and where it comes from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RestoreTestCheckRule {
    pub checks: RestoreTestChecks,
    /// `config` (the file; read-only here) or `console` (set by an admin; wins over the file's for the same scope).
    pub source: String,
    pub updated_by: Option<String>,
    pub updated_at: Option<Timestamp>,
}

/// One check the console ran on a restored resource, and what it saw.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CheckAnswer {
    pub check: String,
    pub passed: bool,
    pub seen: String,
}

/// The console's validation of one restore test.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RestoreValidation {
    pub account_id: String,
    pub job_id: String,
    pub region: String,
    pub plan_arn: String,
    pub selection_name: Option<String>,
    pub resource_arn: String,
    pub created_resource_arn: Option<String>,
    /// `running`, `reported` (sent to AWS), `skipped` (window closed or 0), `error` (retried), `refused` (AWS refused the result).
    pub state: String,
    /// What was sent: `SUCCESSFUL` or `FAILED`.
    pub result: Option<String>,
    pub message: Option<String>,
    pub checks: Vec<CheckAnswer>,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn round_trips<T>(all: &[T], names: &[&str])
    where
        T: Serialize + for<'de> Deserialize<'de> + std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug,
    {
        assert_eq!(all.len(), names.len());
        for (value, name) in all.iter().zip(names) {
            assert_eq!(serde_json::to_string(value).unwrap(), format!("\"{name}\""));
            assert_eq!(&serde_json::from_str::<T>(&format!("\"{name}\"")).unwrap(), value);
            assert_eq!(value.to_string(), *name);
            assert_eq!(name.parse::<T>().ok().as_ref(), Some(value));
        }
    }

    #[test]
    fn tag_conditions_hold_or_say_they_cannot_tell() {
        let tags = [Tag { key: "tier".into(), value: "critical".into() }];
        let cond = |operator, key: &str, value: &str| TagCondition { operator, key: key.into(), value: value.into() };
        assert_eq!(cond(TagOperator::StringEquals, "tier", "critical").holds(&tags), Some(true));
        assert_eq!(cond(TagOperator::StringEquals, "tier", "low").holds(&tags), Some(false));
        assert_eq!(cond(TagOperator::StringEquals, "team", "x").holds(&tags), Some(false));
        assert_eq!(cond(TagOperator::StringNotEquals, "tier", "low").holds(&tags), Some(true));
        assert_eq!(cond(TagOperator::StringNotEquals, "tier", "critical").holds(&tags), Some(false));
        assert_eq!(cond(TagOperator::StringNotEquals, "team", "x").holds(&tags), None);
    }

    #[test]
    fn test_outcomes_follow_status_and_validation() {
        assert_eq!(TestOutcome::of("COMPLETED", Some("SUCCESSFUL")), Some(TestOutcome::Passed));
        assert_eq!(TestOutcome::of("COMPLETED", None), Some(TestOutcome::Restored));
        assert_eq!(TestOutcome::of("COMPLETED", Some("VALIDATING")), Some(TestOutcome::Restored));
        assert_eq!(TestOutcome::of("COMPLETED", Some("TIMED_OUT")), Some(TestOutcome::Failed));
        assert_eq!(TestOutcome::of("ABORTED", None), Some(TestOutcome::Failed));
        assert_eq!(TestOutcome::of("RUNNING", None), None);
        let mut counts = TestCounts::default();
        for (status, validation) in
            [("COMPLETED", Some("SUCCESSFUL")), ("COMPLETED", Some("FAILED")), ("COMPLETED", None), ("FAILED", None)]
        {
            counts.add(status, validation);
        }
        assert_eq!(
            (counts.passed, counts.restored, counts.failed, counts.completed, counts.validated),
            (1, 1, 2, 3, 2)
        );
        assert_eq!(counts.validated_pass_rate(), Some(50.0));
        assert_eq!(counts.validated_share().map(|p| p.round()), Some(67.0));
    }

    #[test]
    fn enums_travel_as_their_wire_spelling() {
        round_trips(
            RequestKind::ALL,
            &[
                "restore",
                "copy",
                "cross_account_restore",
                "create_testing_plan",
                "update_testing_plan",
                "delete_testing_plan",
                "create_testing_selection",
                "update_testing_selection",
                "delete_testing_selection",
            ],
        );
        round_trips(
            RequestStatus::ALL,
            &["pending_approval", "approved", "executing", "succeeded", "failed", "rejected", "expired", "cancelled"],
        );
        round_trips(TargetScope::ALL, &["resource_type", "resource"]);
        round_trips(
            Scenario::ALL,
            &[
                "dynamodb_restore",
                "rds_restore",
                "cross_account_restore",
                "aurora_restore",
                "ec2_restore",
                "ebs_restore",
                "efs_restore",
                "s3_restore",
            ],
        );
        assert_eq!(Scenario::DynamodbRestore.title(), "In-account restore of a DynamoDB table");
        assert_eq!(Scenario::EfsRestore.title(), "In-account restore of an EFS file system");
        for (arn, kind) in [
            ("arn:aws:dynamodb:r:1:table/t", "DynamoDB"),
            ("arn:aws:rds:r:1:db:mydb", "RDS"),
            ("arn:aws-us-gov:rds:r:1:cluster:c", "Aurora"),
            ("arn:aws:ec2:r:1:instance/i-1", "EC2"),
            ("arn:aws:ec2:r:1:volume/vol-1", "EBS"),
            ("arn:aws:elasticfilesystem:r:1:file-system/fs-1", "EFS"),
            ("arn:aws:s3:::bucket", "S3"),
        ] {
            assert_eq!(restorable_type(arn), Some(kind), "{arn}");
        }
        assert_eq!(restorable_type("arn:aws:fsx:r:1:file-system/fs-1"), None);
        assert!(Scenario::EbsRestore.fits("arn:aws:ec2:r:1:volume/vol-1"));
        assert!(!Scenario::EbsRestore.fits("arn:aws:s3:::b") && Scenario::CrossAccountRestore.fits("arn:aws:s3:::b"));
        round_trips(
            DrillStatus::ALL,
            &["awaiting_approval", "restoring", "validating", "retained", "cleaning_up", "completed", "failed"],
        );
        round_trips(ErrorCode::ALL, ErrorCode::NAMES);
    }

    #[test]
    fn a_bad_value_names_the_accepted_ones() {
        let e = "restroe".parse::<RequestKind>().unwrap_err();
        assert!(
            e.to_string().starts_with("kind: one of restore, copy, cross_account_restore, create_testing_plan,"),
            "{e}"
        );
        assert!(e.to_string().ends_with(r#"got "restroe""#), "{e}");
        let body = r#"{"resource_arn": "arn:aws:dynamodb:x", "scenario": "fire", "retention_minutes": null}"#;
        let e = serde_json::from_str::<NewDrill>(body).unwrap_err().to_string();
        assert!(
            e.starts_with(r#"scenario: one of dynamodb_restore, rds_restore, cross_account_restore, aurora_restore, ec2_restore, ebs_restore, efs_restore, s3_restore, got "fire""#),
            "{e}"
        );
    }

    #[test]
    fn error_codes_read_with_a_fallback() {
        let known = ErrorDetail { code: "stale_hash".into(), message: String::new() };
        assert_eq!(known.error_code(), Some(ErrorCode::StaleHash));
        let newer = ErrorDetail { code: "something_new".into(), message: String::new() };
        assert_eq!(newer.error_code(), None);
    }
}
