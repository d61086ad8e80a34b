//! Reading one (account, region) through the Backup API, every list paged to its
//! end, into the rows the store keeps. A full read lists everything; an incremental
//! one (against what the database holds, [`KnownTarget`]) lists recovery points
//! created since the last success, and describes, gets and reads again only what
//! moved.

use std::collections::BTreeMap;

use aws_sdk_backup::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_backup::primitives::DateTime;
use aws_sdk_backup::Client;
use futures_util::StreamExt;
use shared::{RestoreTestingSelection, Tag, TagCondition, TagOperator};

use crate::aws::{failure, AwsFailure};
use crate::store::*;

fn ms(t: Option<&DateTime>) -> Option<i64> {
    t.and_then(|t| t.to_millis().ok())
}

fn s(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

/// How many days of backup jobs AWS lists. Service model, `ListBackupJobs`: "Returns a
/// list of existing backup jobs for an authenticated account for the last 30 days."
/// (`ListCopyJobs` and `ListRestoreJobs` document no such limit.)
pub const BACKUP_JOB_LIST_DAYS: i64 = 30;

/// What a target sync needs to know: who, where, how far back, page size.
pub struct ReadScope<'a> {
    pub client: Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub account_id: &'a str,
    pub region: &'a str,
    pub page_size: Option<i32>,
    pub jobs_from: i64,
    /// The start of the backup-job window: `jobs_from`, but never more than
    /// [`BACKUP_JOB_LIST_DAYS`] back, which is all `ListBackupJobs` returns.
    pub backup_jobs_from: i64,
    /// Restore jobs on record whose status, validation or deletion is not final yet
    /// (up to a week old), so that a validation that lands hours after the restore is
    /// seen: the restore listing by creation starts early enough to bring them again
    /// (`restores_from`), and one it does not bring is read again on its own.
    pub unsettled_restores: Vec<String>,
    /// Where the restore-job listing by creation starts: `jobs_from`, or the creation
    /// of the oldest unsettled restore job when that is earlier (one listing reads them
    /// again, where a `DescribeRestoreJob` each would cost a call per job).
    pub restores_from: i64,
    /// Whether to list backup, copy and restore jobs completed since their listing by
    /// creation starts. Such a job that the listing by creation does not bring was
    /// created before it, so the last read saw it unfinished: without one of those in
    /// the database, the second listing can bring nothing new (a full read lists anyway).
    pub list_completed: Completed,
    /// Read everything (recovery points, vault policies, every resource and plan).
    pub full: bool,
    /// Read the restore testing plans (on a full read, when never read, when the
    /// console changed one, or every `sync.plans_every_minutes`). Otherwise they are
    /// read only when a restore job of the window came from a plan: it ran, so its
    /// `LastExecutionTime` moved and its selections may have changed.
    pub plans_due: bool,
    /// The incremental listing's start: recovery points created since then.
    pub points_from: i64,
    /// What the database holds of this target (empty for a first sync).
    pub known: KnownTarget,
    /// The permits for AWS calls, shared by every sync and poll of the console: one
    /// per call in flight (a paged listing holds one while its pages go one by one).
    pub calls: &'a tokio::sync::Semaphore,
    /// The permits for listing pages held in memory, shared like `calls`: a recovery
    /// point or job listing takes one before each request and gives it back once the
    /// page is saved (or, for a listing kept whole, once it is read).
    pub pages: &'a tokio::sync::Semaphore,
    /// Where a vault read whole saves its recovery points, page by page as they arrive,
    /// stamped with `started` (the sync's start).
    pub store: &'a crate::store::Store,
    pub started: i64,
    /// A job read for the whole organization ([`read_jobs`] only): `client` is the
    /// management account's, every job listing asks for `ByAccountId` `*`, and the jobs
    /// of these accounts are kept (each as its own account's), the others dropped.
    /// (BRIEF, AWS fact 8; Backup model, `ListBackupJobs` `ByAccountId`: "If used from
    /// an Organizations management account, passing * returns all jobs across the
    /// organization", the same words for copy and restore jobs.)
    pub organization: Option<&'a std::collections::HashSet<String>>,
    /// This target's jobs as an organization-wide read at the pass's start brought
    /// them (its window starts no later than this target's): the target's own job
    /// listings are left out.
    pub jobs_read: Option<&'a OrganizationJobs>,
}

/// One account's share of an organization-wide job read: its backup and copy jobs
/// are saved already; what a target's read needs of them is here.
#[derive(Debug, Clone, Default)]
pub struct OrganizationJobs {
    /// The latest end of a backup job of the account in the read.
    pub backup_ended_at: Option<i64>,
    /// Its restore jobs in the read.
    pub restore_jobs: Vec<RestoreJobRow>,
}

impl ReadScope<'_> {
    /// Waits for a permit to call AWS (none if the semaphore is closed, which it never is).
    async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.calls.acquire().await.ok()
    }

    /// Waits for room to hold a listing page (taken before a call permit, never after).
    async fn page_permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.pages.acquire().await.ok()
    }

    /// Saves a page of backup or copy jobs (nothing else of `page`).
    async fn save_jobs(&self, page: TargetSnapshot) -> Result<()> {
        self.store.save_backup_and_copy_jobs(&page, self.started).await.map_err(database)
    }

    /// Whose a listed job is, and whether it is kept: this target's account, or in an
    /// organization-wide read the job's own account when it is one of those read.
    fn owner<'s>(&'s self, listed: Option<&'s str>) -> Option<&'s str> {
        match self.organization {
            None => Some(self.account_id),
            Some(accounts) => listed.filter(|a| accounts.contains(*a)),
        }
    }

    /// `ByAccountId` of a job listing: `*` in an organization-wide read.
    fn by_account(&self) -> Option<String> {
        self.organization.map(|_| "*".to_string())
    }
}

/// Which job listings by completion a read makes ([`ReadScope::list_completed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completed {
    pub backup: bool,
    pub copy: bool,
    pub restore: bool,
}

impl Completed {
    /// Every listing (a first or a full read).
    pub const ALL: Completed = Completed { backup: true, copy: true, restore: true };
}

/// A database failure while a target is read, as the target's failure.
pub(crate) fn database(e: crate::store::StoreError) -> AwsFailure {
    AwsFailure { code: "DatabaseError".into(), message: e.to_string() }
}

/// Calls made at once inside one (account, region) (vaults, describes), each within
/// the console-wide permits of [`ReadScope::calls`].
const FAN_OUT: usize = 8;

/// Runs `futures` [`FAN_OUT`] at a time, the next beginning as soon as one ends, and
/// yields their answers in the order given. Callers build the futures into a `Vec`
/// first: mapping a stream with a closure that borrows the scope makes the sync's
/// spawned future fail rustc's `Send` check ("implementation of `Send` is not
/// general enough").
fn fan_out<F: std::future::Future>(futures: Vec<F>) -> impl futures_util::Stream<Item = F::Output> {
    futures_util::stream::iter(futures).buffered(FAN_OUT)
}

type Result<T> = std::result::Result<T, AwsFailure>;

fn aws<E>(e: SdkError<E>) -> AwsFailure
where
    E: aws_sdk_backup::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    failure(&e)
}

/// Whether a per-item call found its item gone: it vanished after the list named it (a
/// resource whose last recovery point expired, a vault or plan deleted in between). Such
/// an item is skipped (the store marks it gone) and the rest of the snapshot is kept.
fn vanished<E: ProvideErrorMetadata>(e: &SdkError<E>) -> bool {
    e.as_service_error().and_then(|e| e.code()) == Some("ResourceNotFoundException")
}

/// Runs an AWS call (its SDK future) as a task of its own, so that reading and
/// parsing the answer, most of a sync's CPU (docs/benchmarks.md, session 24), runs on
/// any of the runtime's threads: a pass's targets are futures of one task, which one
/// thread polls at a time. Dropping the returned future aborts the task, as dropping
/// the call would have; a panic in it is raised here.
async fn on_any_thread<F>(call: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);
    impl<T> Drop for AbortOnDrop<T> {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let mut task = AbortOnDrop(tokio::spawn(call));
    match (&mut task.0).await {
        Ok(output) => output,
        // Cancelled only by the runtime shutting down, which drops this future too.
        Err(e) => std::panic::resume_unwind(e.try_into_panic().unwrap_or_else(|e| Box::new(e.to_string()))),
    }
}

/// Every item of a paged list call, `MaxResults` set to the configured page size.
macro_rules! list_items {
    ($request:expr, $scope:expr) => {{
        let _permit = $scope.permit().await;
        on_any_thread($request.set_max_results($scope.page_size).into_paginator().items().send().try_collect()).await
    }};
}

/// Each page of a paged list call as it arrives, `MaxResults` set to the configured
/// page size: `$handle` runs on every page (an `Ok` output) while the page's permit is
/// held, so that a page is saved before another one is fetched in its place. Evaluates
/// to the first failure of a call, if any.
macro_rules! each_page {
    ($request:expr, $scope:expr, |$page:ident| $handle:block) => {{
        let mut pages = $request.set_max_results($scope.page_size).into_paginator().send();
        loop {
            let _held = $scope.page_permit().await;
            let (next, rest) = {
                let _permit = $scope.permit().await;
                on_any_thread(async move { (pages.next().await, pages) }).await
            };
            pages = rest;
            match next {
                None => break Ok(()),
                Some(Err(e)) => break Err(e),
                Some(Ok($page)) => $handle,
            }
        }
    }};
}

/// One AWS call (`send()`), within a permit.
macro_rules! call {
    ($request:expr, $scope:expr) => {{
        let _permit = $scope.permit().await;
        on_any_thread($request.send()).await
    }};
}

/// [`list_items!`], its error as the target's failure.
macro_rules! all_items {
    ($request:expr, $scope:expr) => {
        list_items!($request, $scope).map_err(aws)
    };
}

pub async fn read_target(scope: &ReadScope<'_>) -> Result<TargetSnapshot> {
    let mut snap = TargetSnapshot {
        account_id: scope.account_id.to_string(),
        region: scope.region.to_string(),
        jobs_from: scope.jobs_from,
        backup_jobs_from: scope.backup_jobs_from,
        full: scope.full,
        ..TargetSnapshot::default()
    };
    // The restore jobs this read saw. The snapshot saves them, but for those of an
    // organization-wide read, which that read saved when it ran (saved again now, they
    // could undo what a poll stored since).
    let (jobs, restores) = match scope.jobs_read {
        Some(read) => {
            let missed = not_brought(&scope.unsettled_restores, &read.restore_jobs);
            let described = describe_restore_jobs(&scope.client, scope.account_id, scope.region, &missed, scope.calls);
            snap.restore_jobs = described.await?;
            let jobs = JobsRead {
                saved: 0,
                backup_ends: read.backup_ended_at.map(|at| (scope.account_id.to_string(), at)).into_iter().collect(),
            };
            (jobs, [read.restore_jobs.as_slice(), &snap.restore_jobs].concat())
        }
        None => {
            let jobs = read_jobs(scope, &mut snap).await?;
            (jobs, snap.restore_jobs.clone())
        }
    };
    let vaults: Vec<_> = all_items!(scope.client.list_backup_vaults(), scope)?;
    let moved = if quiet(scope, &restores, &jobs, &vaults) {
        snap.resources = scope.known.resources.values().cloned().collect();
        Moved::default()
    } else {
        read_resources(scope, &mut snap, &restores).await?
    };
    read_vaults(scope, &mut snap, vaults, &moved).await?;
    read_restored_points(scope, &mut snap, &restores).await?;
    if scope.plans_due || restores.iter().any(|j| j.plan_arn.is_some() && j.created_at >= scope.jobs_from) {
        read_plans(scope, &mut snap).await?;
        snap.plans_changes_read = scope.known.plans_changes;
    } else {
        snap.plans = scope.known.plans.values().cloned().collect();
        snap.plans_kept = true;
    }
    read_tags(scope, &mut snap, &moved).await;
    Ok(snap)
}

/// Whether an incremental read can keep the protected resources the database holds
/// without listing them. A resource's `LastBackupTime` moves when a recovery point of
/// it is made: by a backup job, which this read's job listings show ending, or by a
/// copy into this account, which raises a vault's `NumberOfRecoveryPoints`; its
/// restore figures move when a restore job ends. So: no backup or restore job ended in
/// the window, and every vault is the one on record with the count on record and no
/// lifecycle date passed. (A deletion and a copy in within one interval leave the
/// count as it was: the daily full read, which lists everything, catches that.)
fn quiet(
    scope: &ReadScope<'_>,
    restores: &[RestoreJobRow],
    jobs: &JobsRead,
    vaults: &[aws_sdk_backup::types::BackupVaultListMember],
) -> bool {
    let known = &scope.known;
    !scope.full
        && known.last_success_at.is_some()
        && jobs.backup_ends.get(scope.account_id).is_none_or(|at| *at < scope.backup_jobs_from)
        && !restores.iter().any(|j| ended_since(j, scope.jobs_from))
        && vaults.len() == known.vaults.len()
        && vaults.iter().all(|v| {
            let arn = v.backup_vault_arn().unwrap_or_default();
            known.vaults.get(arn).is_some_and(|k| k.recovery_points == v.number_of_recovery_points())
                && !known.lifecycle_vaults.contains(arn)
        })
}

/// What the resource listing showed: the resources whose latest backup moved since
/// the database's (new ones included), and the vaults those backups went to.
#[derive(Default)]
struct Moved {
    resources: std::collections::HashSet<String>,
    vaults: std::collections::HashSet<String>,
    /// The resources this sync described (their tags are read again too).
    described: std::collections::HashSet<String>,
}

/// Recovery points as stored, from a `ListRecoveryPointsByBackupVault` page: the
/// answer's strings are moved into the rows, not copied (a first sync makes a row of
/// each of a million points).
fn point_rows(
    scope: &ReadScope<'_>,
    vault_name: &str,
    vault_arn: &str,
    points: Vec<aws_sdk_backup::types::RecoveryPointByBackupVault>,
) -> Vec<RecoveryPointRow> {
    points
        .into_iter()
        .map(|rp| {
            let lifecycle = rp.calculated_lifecycle.as_ref();
            RecoveryPointRow {
                account_id: scope.account_id.to_string(),
                region: scope.region.to_string(),
                vault_name: vault_name.to_string(),
                vault_arn: vault_arn.to_string(),
                status: rp.status.as_ref().map(|s| s.as_str().to_string()).unwrap_or_default(),
                created_at: ms(rp.creation_date.as_ref()).unwrap_or_default(),
                completed_at: ms(rp.completion_date.as_ref()),
                size_bytes: rp.backup_size_in_bytes,
                is_encrypted: rp.is_encrypted,
                delete_after_days: rp.lifecycle.as_ref().and_then(|l| l.delete_after_days()),
                delete_at: lifecycle.and_then(|l| ms(l.delete_at())),
                move_to_cold_at: lifecycle.and_then(|l| ms(l.move_to_cold_storage_at())),
                last_restore_at: ms(rp.last_restore_time.as_ref()),
                backup_plan_id: rp.created_by.and_then(|c| c.backup_plan_id),
                gone_at: None,
                is_parent: rp.is_parent,
                arn: rp.recovery_point_arn.unwrap_or_default(),
                resource_arn: rp.resource_arn.unwrap_or_default(),
                resource_type: rp.resource_type.unwrap_or_default(),
                resource_name: rp.resource_name,
                encryption_key_arn: rp.encryption_key_arn,
                source_vault_arn: rp.source_backup_vault_arn,
                parent_recovery_point_arn: rp.parent_recovery_point_arn,
            }
        })
        .collect()
}

/// The vaults, and their recovery points: all of them on a full read and for a vault
/// the database does not know; otherwise those created since `points_from`, for a
/// vault whose count moved or that a moved resource's latest backup went to. A vault
/// whose `NumberOfRecoveryPoints` then disagrees with what the database holds plus
/// what the listing found new, or where a lifecycle date passed, is listed whole
/// (reconciled): its points not found are gone.
async fn read_vaults(
    scope: &ReadScope<'_>,
    snap: &mut TargetSnapshot,
    vaults: Vec<aws_sdk_backup::types::BackupVaultListMember>,
    moved: &Moved,
) -> Result<()> {
    // FAN_OUT vaults at once, in the listing's order.
    let reads: Vec<_> = vaults.iter().map(|v| read_vault(scope, v, moved)).collect();
    let mut read = std::pin::pin!(fan_out(reads));
    while let Some(r) = read.next().await {
        let Some(VaultRead { row, points, reconciled }) = r? else { continue };
        if reconciled {
            snap.reconciled_vaults.push(row.arn.clone());
        }
        snap.recovery_points.extend(points);
        snap.vaults.push(row);
    }
    Ok(())
}

/// The `LastRestoreTime` of recovery points on record that a restore job ending in
/// the window restored, by `DescribeRecoveryPoint` (an incremental read lists only the
/// points created since its start, and a restore moves an older point's time). Left
/// out: a full read's points and those this read listed (new, or of a reconciled
/// vault), and a point whose time on record is already at or after the job's end,
/// whichever of the job's start or end AWS records (the sandbox records the end).
async fn read_restored_points(
    scope: &ReadScope<'_>,
    snap: &mut TargetSnapshot,
    restores: &[RestoreJobRow],
) -> Result<()> {
    if scope.full {
        return Ok(());
    }
    let mut ended: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for j in restores {
        if let (Some(arn), Some(at)) =
            (j.recovery_point_arn.as_deref(), j.completed_at.filter(|at| *at >= scope.jobs_from))
        {
            let latest = ended.entry(arn).or_insert(at);
            *latest = (*latest).max(at);
        }
    }
    if ended.is_empty() {
        return Ok(());
    }
    let listed: std::collections::HashSet<&str> = snap.recovery_points.iter().map(|p| p.arn.as_str()).collect();
    let arns: Vec<String> = ended.keys().filter(|a| !listed.contains(*a)).map(|a| a.to_string()).collect();
    if arns.is_empty() {
        return Ok(());
    }
    let on_record = scope.store.points_on_record(scope.account_id, scope.region, &arns).await.map_err(database)?;
    let stale: Vec<_> = on_record
        .into_iter()
        .filter(|p| !snap.reconciled_vaults.contains(&p.vault_arn))
        .filter(|p| p.last_restore_at.is_none_or(|at| at < ended[p.arn.as_str()]))
        .collect();
    let describes: Vec<_> = stale
        .iter()
        .map(|p| async move {
            let request =
                scope.client.describe_recovery_point().backup_vault_name(&p.vault_name).recovery_point_arn(&p.arn);
            (p, call!(request, scope))
        })
        .collect();
    let mut described = std::pin::pin!(fan_out(describes));
    while let Some((p, answer)) = described.next().await {
        match answer {
            Ok(out) => snap.restored_points.push((p.arn.clone(), ms(out.last_restore_time()))),
            // Gone since: the next reconciliation of its vault marks it.
            Err(e) if vanished(&e) => {}
            Err(e) => return Err(aws(e)),
        }
    }
    Ok(())
}

/// Pages of a vault's listing read one after another in one slice of its time, at
/// most: a vault with more is listed in several slices at once.
const PAGES_PER_SLICE: i64 = 4;
/// Slices of one vault's listing at most; each holds a call permit while it asks.
const MAX_SLICES: i64 = 16;
/// How far consecutive slices overlap. Whether AWS's `ByCreatedAfter` and
/// `ByCreatedBefore` include a point created at that very time is not documented
/// (Backup model: "Returns only recovery points that were created after/before the
/// specified timestamp"): overlapping slices read such a point twice, which its upsert
/// absorbs, rather than not at all.
const SLICE_OVERLAP_MS: i64 = 1_000;

/// A slice of a listing's creation times, `ByCreatedAfter` to `ByCreatedBefore` (ms),
/// either end open.
type Slice = (Option<i64>, Option<i64>);

/// The creation-time slices (`ByCreatedAfter`, `ByCreatedBefore`) that list a whole
/// vault together: one open slice for a vault of a few pages, so that its listing is
/// a single chain of calls as before; for a larger one (by `NumberOfRecoveryPoints`),
/// equal spans from the vault's creation to `until`, the first open before and the
/// last open after, so that a point created outside that span is still read. Its
/// pages no longer go one after another, each waiting for the one before to be
/// fetched and saved: in a central vault of 80,000 points, that chain was the longest
/// target of a first sync, whatever the concurrency. (AWS's default page size is not
/// documented; 1,000 is `MaxResults`' maximum.)
fn point_slices(count: i64, created: Option<i64>, until: i64, page_size: Option<i32>) -> Vec<Slice> {
    let page = i64::from(page_size.unwrap_or(1000).max(1));
    let pages = (count.max(0) + page - 1) / page;
    let n = ((pages + PAGES_PER_SLICE - 1) / PAGES_PER_SLICE).clamp(1, MAX_SLICES);
    let Some(from) = created.filter(|from| n > 1 && *from < until) else {
        return vec![(None, None)];
    };
    let bound = |k: i64| from + ((until - from) as i128 * k as i128 / n as i128) as i64;
    (0..n)
        .map(|k| {
            let after = (k > 0).then(|| bound(k) - SLICE_OVERLAP_MS);
            let before = (k < n - 1).then(|| bound(k + 1) + SLICE_OVERLAP_MS);
            (after, before)
        })
        .collect()
}

/// One vault as read: its row, the recovery points listed, and whether they are all
/// of them (the vault was reconciled).
struct VaultRead {
    row: VaultRow,
    points: Vec<RecoveryPointRow>,
    reconciled: bool,
}

/// One vault of [`read_vaults`]; none when it vanished while being read.
async fn read_vault(
    scope: &ReadScope<'_>,
    v: &aws_sdk_backup::types::BackupVaultListMember,
    moved: &Moved,
) -> Result<Option<VaultRead>> {
    let c = &scope.client;
    let name = v.backup_vault_name().unwrap_or_default().to_string();
    let vault_arn = v.backup_vault_arn().unwrap_or_default().to_string();
    let count = v.number_of_recovery_points();
    let known = scope.known.vaults.get(&vault_arn).filter(|_| !scope.full);
    let policy = match known {
        Some(k) => k.access_policy.clone(),
        None => match call!(c.get_backup_vault_access_policy().backup_vault_name(&name), scope) {
            Ok(out) => out.policy().map(str::to_string),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => None,
            Err(e) => return Err(aws(e)),
        },
    };
    let mut points = Vec::new();
    let mut reconcile = known.is_none() || scope.known.lifecycle_vaults.contains(&vault_arn);
    if let (Some(k), false) = (known, reconcile) {
        if k.recovery_points != count || moved.vaults.contains(&vault_arn) {
            let since = DateTime::from_millis(scope.points_from);
            let request = c.list_recovery_points_by_backup_vault().backup_vault_name(&name).by_created_after(since);
            let _held = scope.page_permit().await;
            let listed = match list_items!(request, scope) {
                Ok(listed) => listed,
                Err(e) if vanished(&e) => return Ok(None),
                Err(e) => return Err(aws(e)),
            };
            let recent = scope.known.recent_points.get(&vault_arn);
            let new = listed
                .iter()
                .filter(|p| !recent.is_some_and(|r| p.recovery_point_arn().is_some_and(|a| r.contains(a))))
                .count();
            reconcile = k.recovery_points + new as i64 != count;
            if !reconcile {
                points = point_rows(scope, &name, &vault_arn, listed);
            }
        }
    }
    if reconcile {
        // Read whole: each page is saved as it arrives, so a vault of a million points
        // never sits in memory.
        points.clear();
        let slices = point_slices(count, ms(v.creation_date()), scope.started, scope.page_size);
        let reads = slices.into_iter().map(|(after, before)| {
            let request = c
                .list_recovery_points_by_backup_vault()
                .backup_vault_name(&name)
                .set_by_created_after(after.map(DateTime::from_millis))
                .set_by_created_before(before.map(DateTime::from_millis));
            let (name, vault_arn) = (&name, &vault_arn);
            async move {
                let read: std::result::Result<(), _> = each_page!(request, scope, |page| {
                    let rows = point_rows(scope, name, vault_arn, page.recovery_points.unwrap_or_default());
                    scope.store.save_points(rows, scope.started).await.map_err(database)?;
                });
                match read {
                    Ok(()) => Ok(true),
                    Err(e) if vanished(&e) => Ok(false),
                    Err(e) => Err(aws(e)),
                }
            }
        });
        // Every slice read, or the first failure (the others are dropped with it).
        if futures_util::future::try_join_all(reads).await?.contains(&false) {
            return Ok(None);
        }
    }
    let row = VaultRow {
        arn: vault_arn,
        account_id: scope.account_id.to_string(),
        region: scope.region.to_string(),
        name,
        vault_type: v.vault_type().map(|t| t.as_str().to_string()),
        state: v.vault_state().map(|t| t.as_str().to_string()),
        encryption_key_arn: s(v.encryption_key_arn()),
        created_at: ms(v.creation_date()),
        recovery_points: count,
        locked: v.locked().unwrap_or(false),
        access_policy: policy,
    };
    Ok(Some(VaultRead { row, points, reconciled: reconcile }))
}

/// Every protected resource; `DescribeProtectedResource` (the latest restore figures)
/// on a full read, and otherwise only for a resource that is new, whose latest backup
/// moved, or that a restore job read by this sync names (its restore history may have
/// moved). The others keep the figures the database holds.
async fn read_resources(scope: &ReadScope<'_>, snap: &mut TargetSnapshot, restores: &[RestoreJobRow]) -> Result<Moved> {
    let c = &scope.client;
    let resources: Vec<_> = all_items!(c.list_protected_resources(), scope)?;
    // A restore job moves its resource's restore history when it ends: one that ended
    // before the window was seen ending by an earlier read (the listing by creation
    // also brings such jobs again while their validation or clean-up is unsettled).
    // A restore job without its source resource could be any resource's.
    let restored: Option<std::collections::HashSet<&str>> =
        restores.iter().filter(|j| ended_since(j, scope.jobs_from)).map(|j| j.resource_arn.as_deref()).collect();
    let mut moved = Moved::default();
    let mut rows = Vec::new();
    for r in resources {
        let arn = r.resource_arn().unwrap_or_default().to_string();
        let last_backup_at = ms(r.last_backup_time());
        let last_backup_vault_arn = s(r.last_backup_vault_arn());
        let known = scope.known.resources.get(&arn);
        if known.is_none_or(|k| k.last_backup_at != last_backup_at) {
            moved.resources.insert(arn.clone());
            moved.vaults.extend(last_backup_vault_arn.clone());
        }
        let describe = scope.full
            || moved.resources.contains(&arn)
            || restored.as_ref().is_none_or(|restored| restored.contains(arn.as_str()));
        let kept = known.filter(|_| !describe);
        if kept.is_none() {
            moved.described.insert(arn.clone());
        }
        rows.push(ProtectedResourceRow {
            account_id: scope.account_id.to_string(),
            region: scope.region.to_string(),
            arn,
            resource_type: r.resource_type().unwrap_or_default().to_string(),
            name: s(r.resource_name()),
            last_backup_at,
            last_backup_vault_arn,
            last_recovery_point_arn: s(r.last_recovery_point_arn()),
            latest_restore_minutes: kept.and_then(|k| k.latest_restore_minutes),
            latest_restore_job_created_at: kept.and_then(|k| k.latest_restore_job_created_at),
            latest_restore_rp_created_at: kept.and_then(|k| k.latest_restore_rp_created_at),
            tags: kept.and_then(|k| k.tags.clone()),
        });
    }
    // The latest restore figures are only in DescribeProtectedResource: FAN_OUT at once.
    let to_describe: Vec<&ProtectedResourceRow> = rows.iter().filter(|r| moved.described.contains(&r.arn)).collect();
    let mut described_rows = std::collections::HashMap::new();
    {
        let describes: Vec<_> = to_describe.into_iter().map(|row| describe(scope, row)).collect();
        let mut described = std::pin::pin!(fan_out(describes));
        while let Some(d) = described.next().await {
            let (arn, row) = d?;
            described_rows.insert(arn, row);
        }
    }
    for row in rows {
        match described_rows.remove(&row.arn) {
            None => snap.resources.push(row),
            Some(Some(described)) => snap.resources.push(described),
            Some(None) => {}
        }
    }
    Ok(moved)
}

/// A resource with its latest restore figures (`DescribeProtectedResource`); none when
/// it vanished after the listing named it.
async fn describe(scope: &ReadScope<'_>, row: &ProtectedResourceRow) -> Result<(String, Option<ProtectedResourceRow>)> {
    match call!(scope.client.describe_protected_resource().resource_arn(&row.arn), scope) {
        Ok(d) => {
            let mut row = row.clone();
            row.latest_restore_minutes = d.latest_restore_execution_time_minutes();
            row.latest_restore_job_created_at = ms(d.latest_restore_job_creation_date());
            row.latest_restore_rp_created_at = ms(d.latest_restore_recovery_point_creation_date());
            Ok((row.arn.clone(), Some(row)))
        }
        Err(e) if vanished(&e) => Ok((row.arn.clone(), None)),
        Err(e) => Err(aws(e)),
    }
}

/// A restore job of `$account` as stored, from a `ListRestoreJobs` item or a
/// `DescribeRestoreJob` answer (the service model gives both the same members).
macro_rules! restore_row {
    ($account:expr, $region:expr, $j:expr) => {{
        let j = $j;
        RestoreJobRow {
            account_id: $account.to_string(),
            id: j.restore_job_id().unwrap_or_default().to_string(),
            region: $region.to_string(),
            recovery_point_arn: s(j.recovery_point_arn()),
            vault_arn: s(j.backup_vault_arn()),
            resource_arn: s(j.source_resource_arn()),
            resource_type: j.resource_type().unwrap_or_default().to_string(),
            created_resource_arn: s(j.created_resource_arn()),
            status: j.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
            status_message: s(j.status_message()),
            percent_done: s(j.percent_done()),
            size_bytes: j.backup_size_in_bytes(),
            created_at: ms(j.creation_date()).unwrap_or_default(),
            completed_at: ms(j.completion_date()),
            recovery_point_created_at: ms(j.recovery_point_creation_date()),
            plan_arn: j.created_by().and_then(|c| s(c.restore_testing_plan_arn())),
            validation_status: j.validation_status().map(|s| s.as_str().to_string()),
            validation_message: s(j.validation_status_message()),
            deletion_status: j.deletion_status().map(|s| s.as_str().to_string()),
            deletion_message: s(j.deletion_status_message()),
            is_parent: i64::from(j.is_parent()),
            parent_job_id: s(j.parent_job_id()),
        }
    }};
}

/// Jobs created, or completed, since the window start: new jobs and the ones that
/// finished since the last sync (a job both listings bring is saved twice, the later
/// answer last). Backup and copy jobs are saved page by page as they arrive; restore
/// jobs (few, and read again one by one while unsettled) stay in `snap` for the
/// caller to save.
pub async fn read_jobs(scope: &ReadScope<'_>, snap: &mut TargetSnapshot) -> Result<JobsRead> {
    let c = &scope.client;
    let from = DateTime::from_millis(scope.jobs_from);
    let backup_from = DateTime::from_millis(scope.backup_jobs_from);
    let page_of = || TargetSnapshot {
        account_id: scope.account_id.to_string(),
        region: scope.region.to_string(),
        ..TargetSnapshot::default()
    };
    let mut saved = std::collections::HashSet::new();
    let mut backup_ends: std::collections::HashMap<String, i64> = Default::default();
    let mut restores = BTreeMap::new();
    let Completed { backup: list_backups, copy: list_copies, restore: list_restores } = scope.list_completed;
    let restores_from = DateTime::from_millis(scope.restores_from);
    for completed in [false, true] {
        let (created_after, complete_after) = if completed { (None, Some(from)) } else { (Some(from), None) };
        let (backup_created_after, backup_complete_after) =
            if completed { (None, Some(backup_from)) } else { (Some(backup_from), None) };
        let request = c
            .list_backup_jobs()
            .set_by_account_id(scope.by_account())
            .set_by_created_after(backup_created_after)
            .set_by_complete_after(backup_complete_after);
        let listed: std::result::Result<(), _> = if completed && !list_backups {
            Ok(())
        } else {
            each_page!(request, scope, |page| {
                let rows: Vec<BackupJobRow> = page
                    .backup_jobs
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|j| Some(backup_job_row(scope.owner(j.account_id())?, scope.region, j)))
                    .collect();
                saved.extend(rows.iter().map(|r| ("backup", r.id.clone())));
                for r in &rows {
                    if let Some(at) = r.completed_at {
                        let latest = backup_ends.entry(r.account_id.clone()).or_insert(at);
                        *latest = (*latest).max(at);
                    }
                }
                scope.save_jobs(TargetSnapshot { backup_jobs: rows, ..page_of() }).await?;
            })
        };
        listed.map_err(aws)?;
        let request = c
            .list_copy_jobs()
            .set_by_account_id(scope.by_account())
            .set_by_created_after(created_after)
            .set_by_complete_after(complete_after);
        let listed: std::result::Result<(), _> = if completed && !list_copies {
            Ok(())
        } else {
            each_page!(request, scope, |page| {
                let rows: Vec<CopyJobRow> = page
                    .copy_jobs
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|j| Some(copy_job_row(scope.owner(j.account_id())?, scope.region, j)))
                    .collect();
                saved.extend(rows.iter().map(|r| ("copy", r.id.clone())));
                scope.save_jobs(TargetSnapshot { copy_jobs: rows, ..page_of() }).await?;
            })
        };
        listed.map_err(aws)?;
        let jobs: Vec<_> = if completed && !list_restores {
            Vec::new()
        } else {
            let created_after = created_after.map(|_| restores_from);
            let request = c
                .list_restore_jobs()
                .set_by_account_id(scope.by_account())
                .set_by_created_after(created_after)
                .set_by_complete_after(complete_after);
            all_items!(request, scope)?
        };
        for j in jobs {
            let Some(account) = scope.owner(j.account_id()) else { continue };
            let row = restore_row!(account, scope.region, &j);
            restores.insert((row.account_id.clone(), row.id.clone()), row);
        }
    }
    snap.restore_jobs = restores.into_values().collect();
    let missed = not_brought(&scope.unsettled_restores, &snap.restore_jobs);
    snap.restore_jobs.extend(describe_restore_jobs(c, scope.account_id, scope.region, &missed, scope.calls).await?);
    Ok(JobsRead { saved: saved.len(), backup_ends })
}

/// Whether a restore job ended at or after `from`, or has not ended: whether it may
/// have moved its resource's restore history since then.
fn ended_since(job: &RestoreJobRow, from: i64) -> bool {
    job.completed_at.is_none_or(|at| at >= from)
}

/// The ids of `unsettled` that `listed` (one account's restore jobs) does not hold.
pub fn not_brought(unsettled: &[String], listed: &[RestoreJobRow]) -> Vec<String> {
    unsettled.iter().filter(|id| !listed.iter().any(|j| &j.id == *id)).cloned().collect()
}

/// Restore jobs of an account read one by one (`DescribeRestoreJob`), each within a
/// permit of `calls`; a job AWS no longer knows is left out (it keeps what was last read).
pub async fn describe_restore_jobs(
    client: &Client,
    account: &str,
    region: &str,
    ids: &[String],
    calls: &tokio::sync::Semaphore,
) -> Result<Vec<RestoreJobRow>> {
    let mut rows = Vec::new();
    for id in ids {
        let answer = {
            let _permit = calls.acquire().await;
            client.describe_restore_job().restore_job_id(id).send().await
        };
        match answer {
            Ok(j) => rows.push(restore_row!(account, region, &j)),
            Err(e) if failure(&e).code == "ResourceNotFoundException" => {}
            Err(e) => return Err(aws(e)),
        }
    }
    Ok(rows)
}

/// What [`read_jobs`] saw of the backup and copy jobs it saved as they arrived.
pub struct JobsRead {
    /// How many it saved.
    pub saved: usize,
    /// The latest end of a backup job read, by account (where it ended inside a
    /// target's window, a recovery point may be new).
    pub backup_ends: std::collections::HashMap<String, i64>,
}

/// A backup job of `account` as stored, from a `ListBackupJobs` item.
fn backup_job_row(account: &str, region: &str, j: &aws_sdk_backup::types::BackupJob) -> BackupJobRow {
    BackupJobRow {
        account_id: account.to_string(),
        id: j.backup_job_id().unwrap_or_default().to_string(),
        region: region.to_string(),
        vault_name: s(j.backup_vault_name()),
        vault_arn: s(j.backup_vault_arn()),
        recovery_point_arn: s(j.recovery_point_arn()),
        resource_arn: j.resource_arn().unwrap_or_default().to_string(),
        resource_type: j.resource_type().unwrap_or_default().to_string(),
        resource_name: s(j.resource_name()),
        status: j.state().map(|s| s.as_str().to_string()).unwrap_or_default(),
        status_message: s(j.status_message()),
        percent_done: s(j.percent_done()),
        size_bytes: j.backup_size_in_bytes(),
        created_at: ms(j.creation_date()).unwrap_or_default(),
        completed_at: ms(j.completion_date()),
        is_parent: i64::from(j.is_parent()),
        parent_job_id: s(j.parent_job_id()),
    }
}

/// A copy job of `account` as stored, from a `ListCopyJobs` item.
fn copy_job_row(account: &str, region: &str, j: &aws_sdk_backup::types::CopyJob) -> CopyJobRow {
    CopyJobRow {
        account_id: account.to_string(),
        id: j.copy_job_id().unwrap_or_default().to_string(),
        region: region.to_string(),
        source_vault_arn: s(j.source_backup_vault_arn()),
        source_recovery_point_arn: s(j.source_recovery_point_arn()),
        destination_vault_arn: s(j.destination_backup_vault_arn()),
        destination_recovery_point_arn: s(j.destination_recovery_point_arn()),
        resource_arn: j.resource_arn().unwrap_or_default().to_string(),
        resource_type: j.resource_type().unwrap_or_default().to_string(),
        resource_name: s(j.resource_name()),
        status: j.state().map(|s| s.as_str().to_string()).unwrap_or_default(),
        status_message: s(j.status_message()),
        size_bytes: j.backup_size_in_bytes(),
        created_at: ms(j.creation_date()).unwrap_or_default(),
        completed_at: ms(j.completion_date()),
        is_parent: i64::from(j.is_parent()),
        parent_job_id: s(j.parent_job_id()),
    }
}

/// Every restore testing plan with its selections, read by an incremental sync only
/// when [`ReadScope::plans_due`] or a plan ran in its window. An incremental read gets a plan
/// again only when the listing shows it new or its `LastUpdateTime` or `CreationTime`
/// moved. It lists a plan's selections only when the plan was read again or its
/// `LastExecutionTime` moved (the plan ran, on whatever selections it has now), and
/// gets a selection only when its plan was read again or the selection listing shows
/// it new or changed (name, creation time, role, type, validation window); the rest
/// keeps what the database holds, with the listing's `LastExecutionTime`.
///
/// The Backup model does not say whether creating, updating or deleting a selection
/// moves its plan's `LastUpdateTime`, and the selection listing carries no update
/// time. So a selection changed outside the console, with its plan neither updated
/// nor run since, is read at the plan's next run or the next full read
/// (`sync.full_every_hours`). A change the console applies itself is counted
/// ([`crate::store::Store::plan_changed`]), and the next sync reads every plan of the
/// region whole.
async fn read_plans(scope: &ReadScope<'_>, snap: &mut TargetSnapshot) -> Result<()> {
    let c = &scope.client;
    let plans: Vec<_> = all_items!(c.list_restore_testing_plans(), scope)?;
    for p in plans {
        let name = p.restore_testing_plan_name().to_string();
        let unchanged = scope.known.plans.get(p.restore_testing_plan_arn()).filter(|k| {
            !scope.full
                && scope.known.plans_changes == 0
                && k.updated_at.is_some()
                && k.updated_at == ms(p.last_update_time())
                && k.created_at == ms(Some(p.creation_time()))
        });
        if let Some(k) = unchanged.filter(|k| k.last_execution_at == ms(p.last_execution_time())) {
            snap.plans.push(k.clone());
            continue;
        }
        let selection_list: Vec<_> =
            match list_items!(c.list_restore_testing_selections().restore_testing_plan_name(&name), scope) {
                Ok(list) => list,
                Err(e) if vanished(&e) => continue,
                Err(e) => return Err(aws(e)),
            };
        let mut selections = Vec::new();
        for sel in selection_list {
            let same = unchanged.and_then(|k| {
                k.selections.iter().find(|known| {
                    known.name == sel.restore_testing_selection_name()
                        && known.created_at == crate::time::rfc3339_opt(ms(Some(sel.creation_time())))
                        && known.iam_role_arn == sel.iam_role_arn()
                        && known.resource_type == sel.protected_resource_type()
                        && known.validation_window_hours == Some(i64::from(sel.validation_window_hours()))
                })
            });
            if let Some(known) = same {
                selections.push(known.clone());
                continue;
            }
            let get = c
                .get_restore_testing_selection()
                .restore_testing_plan_name(&name)
                .restore_testing_selection_name(sel.restore_testing_selection_name());
            let full = match call!(get, scope) {
                Ok(full) => full,
                Err(e) if vanished(&e) => continue,
                Err(e) => return Err(aws(e)),
            };
            let Some(f) = full.restore_testing_selection() else { continue };
            let mut conditions = Vec::new();
            if let Some(cond) = f.protected_resource_conditions() {
                for (operator, pairs) in [
                    (TagOperator::StringEquals, cond.string_equals()),
                    (TagOperator::StringNotEquals, cond.string_not_equals()),
                ] {
                    conditions.extend(pairs.iter().map(|kv| TagCondition {
                        operator,
                        key: kv.key().to_string(),
                        value: kv.value().to_string(),
                    }));
                }
            }
            let mut override_keys: Vec<String> =
                f.restore_metadata_overrides().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            override_keys.sort();
            selections.push(RestoreTestingSelection {
                name: f.restore_testing_selection_name().to_string(),
                resource_type: f.protected_resource_type().to_string(),
                iam_role_arn: f.iam_role_arn().to_string(),
                resource_arns: f.protected_resource_arns().to_vec(),
                conditions,
                override_keys,
                validation_window_hours: Some(i64::from(f.validation_window_hours())),
                created_at: crate::time::rfc3339_opt(ms(Some(f.creation_time()))),
            });
        }
        if let Some(k) = unchanged {
            snap.plans.push(PlanRow { last_execution_at: ms(p.last_execution_time()), selections, ..k.clone() });
            continue;
        }
        let got = match call!(c.get_restore_testing_plan().restore_testing_plan_name(&name), scope) {
            Ok(got) => got,
            Err(e) if vanished(&e) => continue,
            Err(e) => return Err(aws(e)),
        };
        let Some(plan) = got.restore_testing_plan() else { continue };
        let sel = plan.recovery_point_selection();
        snap.plans.push(PlanRow {
            arn: plan.restore_testing_plan_arn().to_string(),
            account_id: scope.account_id.to_string(),
            region: scope.region.to_string(),
            name,
            schedule_expression: plan.schedule_expression().to_string(),
            schedule_timezone: s(plan.schedule_expression_timezone()),
            start_window_hours: Some(i64::from(plan.start_window_hours())),
            algorithm: sel.and_then(|s| s.algorithm()).map(|a| a.as_str().to_string()),
            selection_window_days: sel.map(|s| i64::from(s.selection_window_days())),
            include_vaults: sel.map(|s| s.include_vaults().to_vec()).unwrap_or_default(),
            exclude_vaults: sel.map(|s| s.exclude_vaults().to_vec()).unwrap_or_default(),
            recovery_point_types: sel
                .map(|s| s.recovery_point_types().iter().map(|t| t.as_str().to_string()).collect())
                .unwrap_or_default(),
            created_at: ms(Some(plan.creation_time())),
            last_execution_at: ms(plan.last_execution_time()),
            selections,
            updated_at: ms(p.last_update_time()),
        });
    }
    Ok(())
}

/// The tags of the resources that a tag-condition selection of this (account, region)
/// could name, through the Resource Groups Tagging API's `GetResources` (100 ARNs a
/// call; a resource it leaves out carries no tag). A refusal (the role lacks
/// `tag:GetResources`) leaves the tags unread: coverage then says "possibly", and the
/// rest of the sync goes on.
async fn read_tags(scope: &ReadScope<'_>, snap: &mut TargetSnapshot, moved: &Moved) {
    let types: std::collections::HashSet<String> = snap
        .plans
        .iter()
        .flat_map(|p| &p.selections)
        .filter(|s| !s.conditions.is_empty())
        .map(|s| s.resource_type.clone())
        .collect();
    // Tags are read with a resource's description, and for one whose tags were never read.
    let unread = |r: &ProtectedResourceRow| {
        types.contains(&r.resource_type) && (moved.described.contains(&r.arn) || r.tags.is_none())
    };
    let arns: Vec<String> = snap.resources.iter().filter(|r| unread(r)).map(|r| r.arn.clone()).collect();
    let mut tags: std::collections::HashMap<String, Vec<Tag>> = Default::default();
    for chunk in arns.chunks(100) {
        match call!(scope.tagging.get_resources().set_resource_arn_list(Some(chunk.to_vec())), scope) {
            Ok(out) => {
                for m in out.resource_tag_mapping_list() {
                    let pairs = m.tags().iter().map(|t| Tag { key: t.key().to_string(), value: t.value().to_string() });
                    tags.insert(m.resource_arn().unwrap_or_default().to_string(), pairs.collect());
                }
            }
            Err(e) => {
                let f = failure(&e);
                tracing::warn!(account = scope.account_id, region = scope.region, code = %f.code, message = %f.message,
                    "could not read resource tags; tag-condition selections count as possibly covering");
                for r in snap.resources.iter_mut() {
                    r.tags = None;
                }
                return;
            }
        }
    }
    let arns: std::collections::HashSet<String> = arns.into_iter().collect();
    for r in snap.resources.iter_mut() {
        if arns.contains(&r.arn) {
            let found = tags.remove(&r.arn).unwrap_or_default();
            r.tags = serde_json::to_string(&found).ok();
        } else if !types.contains(&r.resource_type) {
            r.tags = None;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[tokio::test]
    async fn a_call_on_any_thread_answers_and_is_aborted_when_dropped() {
        assert_eq!(on_any_thread(async { 7 }).await, 7);
        let (held, gone) = tokio::sync::oneshot::channel::<()>();
        let call = on_any_thread(async move {
            let _held = held;
            std::future::pending::<()>().await
        });
        assert!(tokio::time::timeout(std::time::Duration::from_millis(20), call).await.is_err());
        // Dropped with the call, the task is aborted: what it held goes, never sent.
        let answer = tokio::time::timeout(std::time::Duration::from_secs(5), gone).await;
        assert!(matches!(answer, Ok(Err(_))), "the task outlived its call");
    }

    #[test]
    fn a_vault_of_a_few_pages_is_one_open_listing() {
        assert_eq!(point_slices(4_000, Some(0), 100 * DAY, None), vec![(None, None)]);
        assert_eq!(point_slices(28, Some(0), 100 * DAY, Some(7)), vec![(None, None)]);
        // Without its creation date, or created "after" now, there is no span to split.
        assert_eq!(point_slices(80_000, None, 100 * DAY, None), vec![(None, None)]);
        assert_eq!(point_slices(80_000, Some(100 * DAY), 100 * DAY, None), vec![(None, None)]);
    }

    #[test]
    fn a_large_vault_is_listed_in_overlapping_slices_that_leave_no_time_out() {
        let (from, until) = (7 * DAY, 97 * DAY + 123);
        for (count, page, expected) in [(4_001, None, 2), (29, Some(7), 2), (81_611, None, 16), (10_000_000, None, 16)]
        {
            let slices = point_slices(count, Some(from), until, page);
            assert_eq!(slices.len(), expected, "{count} points, pages of {page:?}");
            // Open before the first and after the last: a point created outside the
            // vault's span (or in a clock's skew) is read too.
            assert_eq!(slices[0].0, None);
            assert_eq!(slices[slices.len() - 1].1, None);
            for pair in slices.windows(2) {
                let (end, next_start) = (pair[0].1.unwrap(), pair[1].0.unwrap());
                assert_eq!(end - next_start, 2 * SLICE_OVERLAP_MS, "{pair:?}");
            }
            for (after, before) in &slices {
                if let (Some(a), Some(b)) = (after, before) {
                    assert!(a < b && *a >= from - SLICE_OVERLAP_MS && *b <= until + SLICE_OVERLAP_MS, "{slices:?}");
                }
            }
        }
    }
}
