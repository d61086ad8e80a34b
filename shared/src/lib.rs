//! The types the console's backend and frontend both speak: the JSON bodies of
//! the `/api/v1/` API, their enums, and the error envelope. No I/O here.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

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

/// One page of a list; pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

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
    pub counts: SyncCounts,
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
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RestoreTestingSelection {
    pub name: String,
    pub resource_type: String,
    pub iam_role_arn: String,
    pub resource_arns: Vec<String>,
    /// Tag conditions, as `key=value` (StringEquals) and `key!=value` (StringNotEquals).
    pub conditions: Vec<String>,
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
    /// Restore tests validated successfully in the last 30 days.
    pub restore_tests_passed_30d: i64,
    /// Restore tests that failed (restore failed, validation failed or timed out) in the last 30 days.
    pub restore_tests_failed_30d: i64,
    /// Protected resources with no restore test on record.
    pub resources_never_tested: i64,
    /// Whether every region synced without error on its last attempt.
    pub sync_ok: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Summary {
    pub accounts: Vec<AccountSummary>,
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
