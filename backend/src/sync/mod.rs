//! Sync: every (account, region) at once under a concurrency bound, each read to
//! the end of every list and saved in short transactions. A sync is incremental (what
//! moved since the last success) with a full reconciliation every
//! `sync.full_every_hours`; between syncs a light poll reads the jobs that changed and
//! the restore tests not final yet, so that failures are seen within a minute. A
//! failing account is recorded with its AWS error and never stops the others.

mod read;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use shared::{SyncCounts, SyncProgress};

use crate::aws::{AwsAccess, RoleTarget};
use crate::config::Config;
use crate::store::{AccountRecord, Lease, Store, StoreError};
use crate::time::{rfc3339, Clock};

/// One (account, region) to sync.
#[derive(Debug, Clone)]
pub struct Target {
    pub account: AccountRecord,
    pub role: RoleTarget,
    pub region: String,
}

/// How one (account, region) sync went, for the CLI and logs.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    /// `ok` or `error`.
    pub status: &'static str,
    pub counts: Option<SyncCounts>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub duration_ms: i64,
    /// Backup calls AWS throttled during this sync (retried at a lower rate).
    pub throttled_calls: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("a sync is already running")]
    AlreadyRunning,
    #[error("another console replica is polling")]
    OtherReplica,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What Organizations reports of the organization.
#[derive(Debug, Clone)]
pub struct Organization {
    pub id: String,
    /// The active accounts: (id, name).
    pub accounts: Vec<(String, String)>,
    /// Whether AWS Backup has trusted access to the organization (its cross-account
    /// monitoring), read only for `sync.organization_jobs`; `false` when unread.
    pub backup_monitoring: bool,
}

impl Organization {
    pub fn has_active(&self, account_id: &str) -> bool {
        self.accounts.iter().any(|(id, _)| id == account_id)
    }
}

pub struct Syncer {
    store: Store,
    aws: AwsAccess,
    config: Arc<Config>,
    progress: std::sync::Mutex<SyncProgress>,
    gate: Arc<tokio::sync::Mutex<()>>,
    clock: Clock,
    /// The organization as last read, and when (console clock, ms).
    organization: tokio::sync::Mutex<Option<(i64, Arc<Organization>)>>,
    /// This replica's name in the sync leases.
    holder: String,
    /// Restore metadata read live, by recovery point ARN: (read at, metadata).
    restore_metadata: std::sync::Mutex<std::collections::HashMap<String, (i64, RestoreMetadata)>>,
    /// The (account, region) pairs a sync or a poll is reading now: never both at once.
    claims: std::sync::Mutex<std::collections::HashSet<(String, String)>>,
    /// `sync.concurrency` permits, one per AWS call in flight, shared by the syncs and
    /// the polls (and every call inside a target) so that together they stay within
    /// the bound.
    calls: tokio::sync::Semaphore,
    /// [`PAGES_IN_MEMORY`] permits, one per listing page between its request and its
    /// save (see [`read::ReadScope::pages`]).
    pages: tokio::sync::Semaphore,
}

/// Listing pages (up to a thousand recovery points or jobs each, a few megabytes as
/// the SDK reads and parses them) that the console holds at once, fetched or waiting
/// for the database. Without this bound the pages the writer has not taken yet pile up
/// (a 200-account sync peaked at 156 MB of response buffers, measured with heaptrack);
/// 16 pages in flight still keep a writer busy at 50 ms per call.
const PAGES_IN_MEMORY: usize = 16;

/// An (account, region) claimed by a sync or a poll; released when dropped.
struct Claim<'a> {
    syncer: &'a Syncer,
    key: (String, String),
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Ok(mut claims) = self.syncer.claims.lock() {
            claims.remove(&self.key);
        }
    }
}

/// How far before its last poll (or sync) a poll reads jobs again: a job AWS lists a
/// little late is not missed.
const POLL_OVERLAP_MS: i64 = 5 * 60_000;

/// How old a restore job the poll still reads again while it is not settled: a test
/// with no validator never gets a validation status, and reading each of those every
/// minute for a week would cost more than the rest of the poll. Older ones are the
/// syncs' (a week, every `sync.interval_secs`).
const POLL_UNSETTLED_MS: i64 = 24 * 3_600_000;

/// What one poll of every (account, region) did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PollSummary {
    pub targets: usize,
    pub failed: usize,
    /// Jobs read (created or completed since the last poll, and unsettled restore tests).
    pub jobs: usize,
}

/// The targets of one pass and which of them it syncs.
struct Pass<'a> {
    /// When the pass started (wall clock, ms).
    started: i64,
    /// Targets synced since then count as done.
    due_before: i64,
    targets: &'a HashMap<(String, String), Target>,
    /// The jobs an organization-wide read at the pass's start brought, by target.
    jobs: HashMap<(String, String), PassJobs>,
}

/// A target's jobs from the organization-wide read at a pass's start.
struct PassJobs {
    /// When the read ran (the console's clock): a target that takes these succeeds as
    /// of then, so that its next window starts early enough for what ended since.
    at: i64,
    /// Where the read's window started: it serves a target whose window starts later.
    from: i64,
    jobs: read::OrganizationJobs,
}

/// An organization-wide read of a Region's jobs: how many backup and copy jobs it
/// saved, the latest end of a backup job by account, and the restore jobs by account.
struct OrganizationRead {
    saved: usize,
    backup_ends: HashMap<String, i64>,
    restores: HashMap<String, Vec<crate::store::RestoreJobRow>>,
}

/// A target's poll result, its failure logged.
fn logged_poll(t: &Target, result: Result<usize, (String, String)>) -> Result<usize, (String, String)> {
    if let Err((code, message)) = &result {
        tracing::warn!(account = %t.account.id, region = %t.region, code = %code, message = %message, "poll failed");
    }
    result
}

/// How old a target's last success may be for a pass's organization-wide job read to
/// cover it: the read's window reaches back to the oldest such success.
const PASS_JOBS_WINDOW_MS: i64 = 24 * 3_600_000;

/// Failures in a row of handing out a lease before a pass's worker gives up.
const LEASE_TRIES: u32 = 10;

/// Wall-clock milliseconds: leases are about processes, whatever the console's clock says.
fn wall_clock_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The host's name, to tell replicas apart in the leases (a container's is its id).
fn hostname() -> String {
    std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "replica".into())
}

/// How long the organization's accounts are reused before Organizations is read
/// again: pre-flights and runbooks read the cache, so they never page ListAccounts
/// (Organizations throttles with TooManyRequestsException). Each sync with
/// discovery refreshes it too.
const ORGANIZATION_TTL_MS: i64 = 15 * 60 * 1000;

/// AWS Backup's service principal in Organizations.
const BACKUP_PRINCIPAL: &str = "backup.amazonaws.com";

impl Syncer {
    /// `credentials` replaces the SDK's default chain (the demo's sandbox keys);
    /// `clock` times the syncs (the system clock, or the demo's and the tests' sandbox).
    pub async fn new(
        store: Store,
        config: Arc<Config>,
        credentials: Option<aws_credential_types::Credentials>,
        clock: Clock,
    ) -> Arc<Self> {
        let aws = AwsAccess::new(&config.aws, credentials).await;
        Arc::new(Self {
            store,
            aws,
            progress: std::sync::Mutex::new(SyncProgress::default()),
            gate: Arc::new(tokio::sync::Mutex::new(())),
            clock,
            organization: tokio::sync::Mutex::new(None),
            holder: format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple()),
            restore_metadata: std::sync::Mutex::new(std::collections::HashMap::new()),
            claims: std::sync::Mutex::new(std::collections::HashSet::new()),
            calls: tokio::sync::Semaphore::new(config.sync.concurrency),
            pages: tokio::sync::Semaphore::new(PAGES_IN_MEMORY),
            config,
        })
    }

    /// Claims an (account, region) unless a sync or a poll is reading it.
    fn claim(&self, t: &Target) -> Option<Claim<'_>> {
        let key = (t.account.id.clone(), t.region.clone());
        let inserted = self.claims.lock().ok()?.insert(key.clone());
        // Built only when inserted: a Claim dropped here would release another's.
        inserted.then(|| Claim { syncer: self, key })
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    pub fn progress(&self) -> SyncProgress {
        self.progress.lock().map(|p| p.clone()).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut SyncProgress)) {
        if let Ok(mut p) = self.progress.lock() {
            f(&mut p);
        }
    }

    /// The accounts to sync: the configured ones, then (with discovery on) the
    /// organization's other active accounts, with the role from the pattern.
    pub async fn targets(&self) -> Vec<Target> {
        let cfg = &self.config;
        let mut accounts: Vec<(AccountRecord, RoleTarget)> = cfg
            .accounts
            .iter()
            .map(|a| {
                (
                    AccountRecord {
                        id: a.id.clone(),
                        name: a.name.clone(),
                        role_arn: a.role_arn.clone(),
                        regions: cfg.regions_of(a).to_vec(),
                        source: "config".into(),
                    },
                    RoleTarget {
                        account_id: a.id.clone(),
                        role_arn: a.role_arn.clone(),
                        external_id: a.external_id.clone(),
                    },
                )
            })
            .collect();
        if cfg.discovery.enabled {
            match self.refresh_organization().await {
                Ok(org) => {
                    for (id, name) in org.accounts.iter().cloned() {
                        if accounts.iter().any(|(a, _)| a.id == id) || cfg.discovery.exclude.contains(&id) {
                            continue;
                        }
                        let role_arn = cfg.discovery.role_arn_pattern.replace("{account_id}", &id);
                        let regions = if cfg.discovery.regions.is_empty() {
                            cfg.aws.default_regions.clone()
                        } else {
                            cfg.discovery.regions.clone()
                        };
                        let role = RoleTarget {
                            account_id: id.clone(),
                            role_arn: role_arn.clone(),
                            external_id: cfg.discovery.external_id.clone(),
                        };
                        accounts
                            .push((AccountRecord { id, name, role_arn, regions, source: "discovery".into() }, role));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "account discovery through Organizations failed; syncing the configured accounts")
                }
            }
        }
        accounts
            .into_iter()
            .flat_map(|(account, role)| {
                account.regions.clone().into_iter().map(move |region| Target {
                    account: account.clone(),
                    role: role.clone(),
                    region,
                })
            })
            .collect()
    }

    /// The accounts the console knows: the configured ones and those Organizations
    /// discovery found (stored by the sync).
    pub async fn registered_accounts(&self) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let mut ids: std::collections::BTreeSet<String> = self.config.accounts.iter().map(|a| a.id.clone()).collect();
        ids.extend(self.store.list_accounts().await?.into_iter().filter(|a| a.source == "discovery").map(|a| a.id));
        Ok(ids)
    }

    /// The role the console assumes in an account: the configured one, or for a
    /// discovered account the one the discovery pattern names.
    pub async fn read_role(&self, account_id: &str) -> Result<Option<RoleTarget>, StoreError> {
        if let Some(a) = self.config.accounts.iter().find(|a| a.id == account_id) {
            return Ok(Some(RoleTarget {
                account_id: a.id.clone(),
                role_arn: a.role_arn.clone(),
                external_id: a.external_id.clone(),
            }));
        }
        let known = self.store.list_accounts().await?;
        Ok(known.into_iter().find(|a| a.id == account_id && a.source == "discovery").map(|a| RoleTarget {
            account_id: a.id,
            role_arn: a.role_arn,
            external_id: self.config.discovery.external_id.clone(),
        }))
    }

    /// The role that starts approved restores and copies in an account, if it has one.
    pub async fn operator_role(&self, account_id: &str) -> Result<Option<RoleTarget>, StoreError> {
        let pattern = self.config.discovery.operator_role_arn_pattern.as_deref();
        self.acting_role(account_id, |a| a.operator_role_arn.clone(), pattern).await
    }

    /// The role that validates restore tests in an account (reads what they restored,
    /// reports the result), if it has one.
    pub async fn validator_role(&self, account_id: &str) -> Result<Option<RoleTarget>, StoreError> {
        let pattern = self.config.discovery.validator_role_arn_pattern.as_deref();
        self.acting_role(account_id, |a| a.validator_role_arn.clone(), pattern).await
    }

    /// A role of an account beside its read role: the configured account's, or for a
    /// discovered account the one `pattern` names.
    async fn acting_role(
        &self,
        account_id: &str,
        configured: impl Fn(&crate::config::AccountConfig) -> Option<String>,
        pattern: Option<&str>,
    ) -> Result<Option<RoleTarget>, StoreError> {
        if let Some(a) = self.config.accounts.iter().find(|a| a.id == account_id) {
            return Ok(configured(a).map(|role_arn| RoleTarget {
                account_id: a.id.clone(),
                role_arn,
                external_id: a.external_id.clone(),
            }));
        }
        let Some(pattern) = pattern else { return Ok(None) };
        let known = self.store.list_accounts().await?;
        Ok(known.into_iter().find(|a| a.id == account_id && a.source == "discovery").map(|a| RoleTarget {
            account_id: a.id.clone(),
            role_arn: pattern.replace("{account_id}", &a.id),
            external_id: self.config.discovery.external_id.clone(),
        }))
    }

    pub fn aws(&self) -> &AwsAccess {
        &self.aws
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What AWS reports for restoring a recovery point
    /// (`GetRecoveryPointRestoreMetadata`), read live through the account's role.
    /// Answers are kept for RESTORE_METADATA_TTL_MS: a recovery point's metadata does
    /// not change, and every viewer opening a recovery point should not cost a Backup
    /// call shared with the syncs' and the executor's throttling.
    pub async fn restore_metadata(&self, rp: &shared::RecoveryPoint) -> Result<RestoreMetadata, String> {
        let now = self.now();
        if let Ok(cache) = self.restore_metadata.lock() {
            if let Some((at, m)) = cache.get(&rp.recovery_point_arn) {
                if now - at < RESTORE_METADATA_TTL_MS {
                    return Ok(m.clone());
                }
            }
        }
        let m = self.read_restore_metadata(rp).await?;
        if let Ok(mut cache) = self.restore_metadata.lock() {
            if cache.len() >= 10_000 {
                cache.retain(|_, (at, _)| now - *at < RESTORE_METADATA_TTL_MS);
            }
            if cache.len() < 10_000 {
                cache.insert(rp.recovery_point_arn.clone(), (now, m.clone()));
            }
        }
        Ok(m)
    }

    async fn read_restore_metadata(&self, rp: &shared::RecoveryPoint) -> Result<RestoreMetadata, String> {
        let role = self
            .read_role(&rp.account_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("account {} is no longer registered", rp.account_id))?;
        let client = self.aws.backup(&role, &rp.region).await;
        let out = client
            .get_recovery_point_restore_metadata()
            .backup_vault_name(&rp.vault_name)
            .recovery_point_arn(&rp.recovery_point_arn)
            .send()
            .await
            .map_err(|e| crate::aws::failure(&e).to_string())?;
        Ok(out.restore_metadata().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default())
    }

    /// The organization: its id and its active accounts, from the cache while it is
    /// younger than ORGANIZATION_TTL_MS, else read again (one reader at a time; the
    /// others wait for its answer). When the read fails, the last answer serves.
    pub async fn organization(&self) -> Result<Arc<Organization>, crate::aws::AwsFailure> {
        match self.current_organization().await {
            Ok(org) => Ok(org),
            Err(e) => match self.organization.lock().await.as_ref() {
                Some((_, org)) => {
                    tracing::warn!(error = %e, "Organizations could not be read; using the last answer");
                    Ok(Arc::clone(org))
                }
                None => Err(e),
            },
        }
    }

    /// The organization as [`Syncer::organization`] gives it, but never an answer
    /// older than ORGANIZATION_TTL_MS: what says whose jobs an organization-wide
    /// listing covers (an account gone from the organization is read on its own).
    async fn current_organization(&self) -> Result<Arc<Organization>, crate::aws::AwsFailure> {
        let mut cached = self.organization.lock().await;
        if let Some((at, org)) = cached.as_ref() {
            if self.now() - at < ORGANIZATION_TTL_MS {
                return Ok(Arc::clone(org));
            }
        }
        let org = self.read_organization().await?;
        *cached = Some((self.now(), Arc::clone(&org)));
        Ok(org)
    }

    /// Reads the organization again and caches it (the sync's discovery).
    async fn refresh_organization(&self) -> Result<Arc<Organization>, crate::aws::AwsFailure> {
        let mut cached = self.organization.lock().await;
        let org = self.read_organization().await?;
        *cached = Some((self.now(), Arc::clone(&org)));
        Ok(org)
    }

    /// Organizations `DescribeOrganization` and `ListAccounts` (paged), through the
    /// console's own credentials; with `sync.organization_jobs` also
    /// `ListAWSServiceAccessForOrganization`.
    async fn read_organization(&self) -> Result<Arc<Organization>, crate::aws::AwsFailure> {
        let described =
            self.aws.organizations().describe_organization().send().await.map_err(|e| crate::aws::failure(&e))?;
        let id = described.organization().and_then(|o| o.id()).unwrap_or_default().to_string();
        let accounts = self.discover().await?;
        let backup_monitoring = self.config.sync.organization_jobs && self.backup_monitoring().await;
        Ok(Arc::new(Organization { id, accounts, backup_monitoring }))
    }

    /// Whether AWS Backup's cross-account monitoring is on: its trusted access to the
    /// organization, without which the management account's job listings cannot show
    /// the other accounts' jobs (Organizations User Guide, "AWS Backup and AWS
    /// Organizations"). AWS does not document what such a listing answers without it,
    /// perhaps the caller's own jobs and no error, so the console does not rely on the
    /// listing's answer to tell. Unreadable (the permission missing) counts as off.
    async fn backup_monitoring(&self) -> bool {
        let pages: Result<Vec<_>, _> = self
            .aws
            .organizations()
            .list_aws_service_access_for_organization()
            .into_paginator()
            .send()
            .try_collect()
            .await;
        match pages {
            Ok(pages) => {
                let on = pages
                    .iter()
                    .flat_map(|p| p.enabled_service_principals())
                    .any(|p| p.service_principal() == Some(BACKUP_PRINCIPAL));
                if !on {
                    tracing::warn!("AWS Backup's cross-account monitoring (its trusted access in Organizations) is off: each account lists its own jobs");
                }
                on
            }
            Err(e) => {
                let f = crate::aws::failure(&e);
                tracing::warn!(code = %f.code, message = %f.message,
                    "whether AWS Backup's cross-account monitoring is on could not be read: each account lists its own jobs");
                false
            }
        }
    }

    async fn discover(&self) -> Result<Vec<(String, String)>, crate::aws::AwsFailure> {
        let pages: Vec<_> = self
            .aws
            .organizations()
            .list_accounts()
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| crate::aws::failure(&e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.accounts().iter())
            .filter(|a| a.state().is_none_or(|s| s.as_str() == "ACTIVE"))
            .filter_map(|a| Some((a.id()?.to_string(), a.name().unwrap_or_default().to_string())))
            .collect())
    }

    /// One pass over every (account, region). Refuses to start while another runs.
    pub async fn run(&self) -> Result<Vec<TargetReport>, SyncError> {
        let _running = self.gate.try_lock().map_err(|_| SyncError::AlreadyRunning)?;
        self.run_locked(0).await
    }

    /// A pass: every (account, region) that no replica synced since the pass started
    /// (less `fresh_ms`), taken one at a time through a lease (store/leases.rs), at most
    /// `sync.concurrency` at once. Other replicas' passes take the others; this one ends
    /// when every target is synced, waiting for those another replica holds (or for
    /// their leases to run out, when that replica died). Returns what this replica synced.
    async fn run_locked(&self, fresh_ms: i64) -> Result<Vec<TargetReport>, SyncError> {
        let targets = self.targets().await;
        let mut registered: Vec<AccountRecord> = Vec::new();
        for t in &targets {
            if !registered.iter().any(|a| a.id == t.account.id) {
                registered.push(t.account.clone());
            }
        }
        self.store.set_accounts(&registered, self.now()).await?;
        let started = self.now();
        self.update(|p| {
            *p = SyncProgress {
                running: true,
                started_at: Some(rfc3339(started)),
                finished_at: None,
                targets: targets.len() as i64,
                done: 0,
                failed: 0,
            }
        });
        tracing::info!(targets = targets.len(), concurrency = self.config.sync.concurrency, "sync started");
        let pass_started = wall_clock_ms();
        let keys: Vec<(String, String)> = targets.iter().map(|t| (t.account.id.clone(), t.region.clone())).collect();
        self.store.want_targets(&keys, pass_started).await?;
        let jobs = self.read_pass_jobs(&targets).await;
        let by_key: HashMap<(String, String), Target> = keys.into_iter().zip(targets).collect();
        let pass = Pass { started: pass_started, due_before: pass_started - fresh_ms, targets: &by_key, jobs };
        let workers = (0..self.config.sync.concurrency).map(|_| self.work(&pass));
        let mut reports = Vec::new();
        for worker in futures_util::future::join_all(workers).await {
            reports.extend(worker?);
        }
        if let Err(e) = self.store.refresh_statistics().await {
            tracing::warn!(error = %e, "could not refresh the database statistics");
        }
        let finished = self.now();
        self.update(|p| {
            p.running = false;
            p.finished_at = Some(rfc3339(finished));
        });
        let failed = reports.iter().filter(|r| r.status != "ok").count();
        let throttled: u64 = reports.iter().map(|r| r.throttled_calls).sum();
        tracing::info!(targets = reports.len(), failed, throttled, duration_ms = finished - started, "sync finished");
        Ok(reports)
    }

    /// One of a pass's workers: takes targets until none is left to take or wait for.
    /// A lease the database fails to hand out or take back is tried again (the write
    /// connection may be busy with other targets' rows); after [`LEASE_TRIES`] failures
    /// in a row the worker gives up and the pass reports the error.
    async fn work(&self, pass: &Pass<'_>) -> Result<Vec<TargetReport>, SyncError> {
        let lease_ms = self.config.sync.lease_secs as i64 * 1000;
        let pause = Duration::from_millis((lease_ms / 6).clamp(100, 5_000) as u64);
        let mut reports = Vec::new();
        let mut failures = 0;
        loop {
            let now = wall_clock_ms();
            let taken =
                match self.store.take_target(&self.holder, pass.started, pass.due_before, now, now + lease_ms).await {
                    Ok(taken) => taken,
                    Err(e) if failures + 1 < LEASE_TRIES => {
                        failures += 1;
                        tracing::warn!(error = %e, "could not take a sync lease; trying again");
                        tokio::time::sleep(pause).await;
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
            failures = 0;
            let Some(lease) = taken else {
                match self.store.targets_held_by_others(&self.holder, pass.started, pass.due_before, now).await {
                    Ok(0) => return Ok(reports),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not count the targets other replicas hold"),
                }
                tokio::time::sleep(pause).await;
                continue;
            };
            let Some(target) = pass.targets.get(&(lease.account_id.clone(), lease.region.clone())) else {
                // Wanted by a replica with another configuration: this one leaves it to that one.
                if let Err(e) = self.store.return_lease(&lease, &self.holder).await {
                    tracing::warn!(error = %e, "could not give a sync lease back; it runs out by itself");
                }
                continue;
            };
            let jobs = pass.jobs.get(&(lease.account_id.clone(), lease.region.clone()));
            let report = self.sync_leased(target, jobs, &lease, lease_ms).await;
            if let Err(e) = self.store.release_lease(&lease, &self.holder, wall_clock_ms()).await {
                tracing::warn!(error = %e, account = %lease.account_id, region = %lease.region,
                    "could not release a sync lease; it runs out by itself");
            }
            self.update(|p| {
                p.done += 1;
                if report.status != "ok" {
                    p.failed += 1;
                }
            });
            reports.push(report);
        }
    }

    /// Syncs a leased target, renewing the lease every third of its length meanwhile.
    /// The renewals run beside the sync, never instead of it: a renewal waiting for
    /// the SQLite writer while the sync's own statement held it would wait out the
    /// pool's timeout with both stopped (a 500-account sync stalled so).
    async fn sync_leased(
        &self,
        target: &Target,
        jobs: Option<&PassJobs>,
        lease: &Lease,
        lease_ms: i64,
    ) -> TargetReport {
        let work = self.sync_target(target, jobs);
        let heartbeat = async {
            let mut ticker = tokio::time::interval(Duration::from_millis((lease_ms / 3).max(1) as u64));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                match self.store.renew_lease(lease, &self.holder, wall_clock_ms() + lease_ms).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(account = %lease.account_id, region = %lease.region,
                        "the sync lease ran out and another replica took the target"),
                    Err(e) => tracing::warn!(error = %e, "could not renew the sync lease"),
                }
            }
        };
        tokio::select! {
            report = work => report,
            never = heartbeat => never,
        }
    }

    async fn sync_target(&self, t: &Target, jobs: Option<&PassJobs>) -> TargetReport {
        // A poll of this target ends within a few calls: the sync waits for it.
        let _claim = loop {
            if let Some(claim) = self.claim(t) {
                break claim;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let started = self.now();
        let throttled_before = self.aws.throttled().of(&t.account.id, &t.region);
        let result = self.read_and_save(t, started, jobs).await;
        let duration_ms = self.now() - started;
        let throttled = self.aws.throttled().of(&t.account.id, &t.region) - throttled_before;
        let mut report = TargetReport {
            account_id: t.account.id.clone(),
            account_name: t.account.name.clone(),
            region: t.region.clone(),
            status: "ok",
            counts: None,
            error_code: None,
            error_message: None,
            duration_ms,
            throttled_calls: throttled,
        };
        match result {
            Ok(counts) => {
                tracing::info!(account = %t.account.id, region = %t.region, duration_ms, recovery_points = counts.recovery_points, "synced");
                report.counts = Some(counts);
            }
            Err((code, message)) => {
                tracing::warn!(account = %t.account.id, region = %t.region, code = %code, message = %message, "sync failed");
                if let Err(e) =
                    self.store.sync_failed(&t.account.id, &t.region, started, self.now(), &code, &message).await
                {
                    tracing::error!(error = %e, "could not record the sync failure");
                }
                report.status = "error";
                report.error_code = Some(code);
                report.error_message = Some(message);
            }
        }
        if let Err(e) = self.store.set_throttled_calls(&t.account.id, &t.region, throttled as i64).await {
            tracing::error!(error = %e, "could not record the throttled calls");
        }
        report
    }

    /// Reads a target and saves it. With `jobs` (the pass's organization-wide read)
    /// covering its window, an incremental read takes its jobs from there, and its
    /// success counts as of that read ([`crate::store::TargetSnapshot::jobs_read_at`]).
    async fn read_and_save(
        &self,
        t: &Target,
        started: i64,
        jobs: Option<&PassJobs>,
    ) -> Result<SyncCounts, (String, String)> {
        let db = |e: StoreError| ("DatabaseError".to_string(), e.to_string());
        let sync = &self.config.sync;
        let overlap = sync.job_overlap_minutes * 60_000;
        let last_success = self.store.last_success(&t.account.id, &t.region).await.map_err(db)?;
        let jobs_from = match last_success {
            Some(last) => last - overlap,
            None => started - sync.job_lookback_days * 86_400_000,
        };
        self.store.sync_started(&t.account.id, &t.region, started).await.map_err(db)?;
        let points_from = last_success.map_or(started, |last| last - overlap);
        let known = self.store.known_target(&t.account.id, &t.region, points_from, started).await.map_err(db)?;
        let full = match known.last_full_at {
            Some(at) => started - at >= sync.full_every_hours * 3_600_000,
            None => true,
        };
        let week_ago = started - 7 * 86_400_000;
        let jobs = jobs.filter(|j| !full && last_success.is_some() && j.from <= jobs_from);
        // A read that takes its jobs from the pass lists none: no need to ask which.
        let every_listing = last_success.is_none() || full || jobs.is_some();
        let mut scope = self.scope(t, jobs_from, started, week_ago, every_listing).await.map_err(db)?;
        scope.jobs_read = jobs.map(|j| &j.jobs);
        scope.full = full;
        scope.plans_due = full
            || known.plans_changes > 0
            || known.plans_read_at.is_none_or(|at| started - at >= sync.plans_every_minutes * 60_000);
        scope.points_from = points_from;
        scope.known = known;
        let mut snapshot = read::read_target(&scope).await.map_err(|f| (f.code, f.message))?;
        snapshot.jobs_read_at = jobs.map(|j| j.at);
        self.store.save_snapshot(&snapshot, started, self.now()).await.map_err(db)
    }

    /// The (account, region) pairs a successful sync has read, from the database (a
    /// poll neither reads Organizations nor polls a target never synced).
    async fn synced_targets(&self) -> Result<Vec<Target>, StoreError> {
        let accounts = self.store.list_accounts().await?;
        let mut targets = Vec::new();
        for a in accounts {
            let external_id = match self.config.accounts.iter().find(|c| c.id == a.id) {
                Some(c) => c.external_id.clone(),
                None => self.config.discovery.external_id.clone(),
            };
            let role = RoleTarget { account_id: a.id.clone(), role_arn: a.role_arn.clone(), external_id };
            let record = AccountRecord {
                id: a.id.clone(),
                name: a.name.clone(),
                role_arn: a.role_arn.clone(),
                regions: a.regions.clone(),
                source: a.source.clone(),
            };
            for s in a.sync.iter().filter(|s| s.last_success_at.is_some()) {
                targets.push(Target { account: record.clone(), role: role.clone(), region: s.region.clone() });
            }
        }
        Ok(targets)
    }

    /// One light poll of every (account, region) synced before: the backup, copy and
    /// restore jobs created or completed since its last poll or sync (less
    /// [`POLL_OVERLAP_MS`]) and the restore jobs of the last [`POLL_UNSETTLED_MS`] not
    /// final yet, saved through the
    /// sync's store path, so that the notifier sees a failure within a poll. A target
    /// a sync is reading is skipped; one replica polls at a time.
    pub async fn poll(&self) -> Result<PollSummary, SyncError> {
        let Some(replica_lock) = self.store.try_lock_poll().await? else {
            return Err(SyncError::OtherReplica);
        };
        let (regions, one_by_one) = self.organization_targets(self.synced_targets().await?).await;
        let concurrency = self.config.sync.concurrency;
        let by_target = futures_util::stream::iter(one_by_one)
            .map(|t| async move {
                let _claim = self.claim(&t)?;
                Some(self.poll_logged(&t).await)
            })
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>();
        let by_region = futures_util::stream::iter(regions)
            .map(|(region, targets)| self.poll_region(region, targets))
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>();
        let (by_target, by_region) = futures_util::future::join(by_target, by_region).await;
        replica_lock.release().await;
        let mut summary = PollSummary::default();
        for r in by_target.into_iter().flatten().chain(by_region.into_iter().flatten()) {
            summary.targets += 1;
            match r {
                Ok(jobs) => summary.jobs += jobs,
                Err(_) => summary.failed += 1,
            }
        }
        Ok(summary)
    }

    async fn poll_logged(&self, t: &Target) -> Result<usize, (String, String)> {
        logged_poll(t, self.poll_target(t).await)
    }

    /// The targets whose jobs the poll reads organization-wide, by Region (with
    /// `sync.organization_jobs`, those of the organization's accounts), and the
    /// others, read one by one. Without the organization's accounts, or without AWS
    /// Backup's cross-account monitoring, every target is read one by one.
    async fn organization_targets(&self, targets: Vec<Target>) -> (HashMap<String, Vec<Target>>, Vec<Target>) {
        if !self.config.sync.organization_jobs {
            return (HashMap::new(), targets);
        }
        let members: std::collections::HashSet<String> = match self.current_organization().await {
            Ok(org) if !org.backup_monitoring => return (HashMap::new(), targets),
            Ok(org) => org.accounts.iter().map(|(id, _)| id.clone()).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "Organizations could not be read; the poll reads each account's jobs");
                return (HashMap::new(), targets);
            }
        };
        let mut regions: HashMap<String, Vec<Target>> = HashMap::new();
        let mut one_by_one = Vec::new();
        for t in targets {
            if members.contains(&t.account.id) {
                regions.entry(t.region.clone()).or_default().push(t);
            } else {
                one_by_one.push(t);
            }
        }
        (regions, one_by_one)
    }

    /// One poll of a Region's targets through one organization-wide job read from
    /// the management account (`ByAccountId` `*`), from the earliest of their poll
    /// windows; unsettled restore jobs the listing did not bring are described in their
    /// own account. When the organization-wide read fails (the console's credentials
    /// are not the management account's, or cross-account monitoring is off), each
    /// target is polled on its own. One result per target polled; targets a sync is
    /// reading are skipped.
    async fn poll_region(&self, region: String, targets: Vec<Target>) -> Vec<Result<usize, (String, String)>> {
        let mut claimed: Vec<(Target, Claim<'_>)> =
            targets.into_iter().filter_map(|t| self.claim(&t).map(|claim| (t, claim))).collect();
        if claimed.is_empty() {
            return Vec::new();
        }
        match self.poll_organization(&region, &mut claimed).await {
            Ok(results) => results,
            Err((code, message)) => {
                tracing::warn!(region = %region, code = %code, message = %message,
                    "the organization-wide job listing failed; polling each account of the Region");
                // At once: each call waits for its permit of the console-wide bound.
                let each: Vec<_> = claimed.iter().map(|(t, _)| self.poll_logged(t)).collect();
                futures_util::future::join_all(each).await
            }
        }
    }

    /// [`Syncer::poll_region`]'s organization-wide read. Fails, with every claim still
    /// held, only when the read itself does; then saves each target's restore jobs and
    /// lets its claim go, one target after another.
    async fn poll_organization(
        &self,
        region: &str,
        claimed: &mut Vec<(Target, Claim<'_>)>,
    ) -> Result<Vec<Result<usize, (String, String)>>, (String, String)> {
        let db = |e: StoreError| ("DatabaseError".to_string(), e.to_string());
        let now = self.now();
        let (mut from, mut restores_from) = (now, now);
        let mut unsettled: HashMap<String, Vec<String>> = HashMap::new();
        for (t, _) in claimed.iter() {
            let Some(polled) = self.store.poll_from(&t.account.id, region).await.map_err(db)? else { continue };
            let window = polled - POLL_OVERLAP_MS;
            let open = self.store.unsettled_restore_jobs(&t.account.id, region, now - POLL_UNSETTLED_MS, window).await;
            let open = open.map_err(db)?;
            from = from.min(window);
            restores_from = restores_from.min(open.first().map_or(window, |(_, created)| window.min(*created)));
            unsettled.insert(t.account.id.clone(), open.into_iter().map(|(id, _)| id).collect());
        }
        let accounts = claimed.iter().map(|(t, _)| t.account.id.clone()).collect();
        let mut read = self.read_organization_jobs(region, &accounts, from, restores_from, now).await?;
        let mut results = Vec::new();
        for (t, claim) in claimed.drain(..) {
            let mut jobs = read.restores.remove(&t.account.id).unwrap_or_default();
            let missed = read::not_brought(unsettled.get(&t.account.id).map_or(&[], Vec::as_slice), &jobs);
            let result = async {
                if !missed.is_empty() {
                    let client = self.aws.backup(&t.role, region).await;
                    jobs.extend(
                        read::describe_restore_jobs(&client, &t.account.id, region, &missed, &self.calls).await?,
                    );
                }
                let read = jobs.len();
                let snap = crate::store::TargetSnapshot {
                    account_id: t.account.id.clone(),
                    region: region.to_string(),
                    restore_jobs: jobs,
                    ..Default::default()
                };
                self.store.save_jobs(&snap, self.now()).await.map_err(read::database)?;
                self.store.polled(&t.account.id, region, now).await.map_err(read::database)?;
                Ok::<usize, crate::aws::AwsFailure>(read)
            }
            .await
            .map_err(|f| (f.code, f.message));
            drop(claim);
            results.push(logged_poll(&t, result));
        }
        // The backup and copy jobs saved as they arrived count with the first target.
        if let Some(Ok(jobs)) = results.first_mut() {
            *jobs += read.saved;
        }
        Ok(results)
    }

    /// Reads the jobs of `accounts` in `region` through the management account
    /// ([`Syncer::organization_scope`]): backup and copy jobs are saved as their pages
    /// arrive; restore jobs come back by account, unsaved.
    async fn read_organization_jobs(
        &self,
        region: &str,
        accounts: &std::collections::HashSet<String>,
        from: i64,
        restores_from: i64,
        now: i64,
    ) -> Result<OrganizationRead, (String, String)> {
        let scope = self
            .organization_scope(region, accounts, from, restores_from, now)
            .await
            .map_err(|e| ("DatabaseError".to_string(), e.to_string()))?;
        let mut snap = crate::store::TargetSnapshot::default();
        let jobs = read::read_jobs(&scope, &mut snap).await.map_err(|f| (f.code, f.message))?;
        let mut restores: HashMap<String, Vec<crate::store::RestoreJobRow>> = HashMap::new();
        for job in snap.restore_jobs {
            restores.entry(job.account_id.clone()).or_default().push(job);
        }
        Ok(OrganizationRead { saved: jobs.saved, backup_ends: jobs.backup_ends, restores })
    }

    async fn poll_target(&self, t: &Target) -> Result<usize, (String, String)> {
        let db = |e: StoreError| ("DatabaseError".to_string(), e.to_string());
        let Some(from) = self.store.poll_from(&t.account.id, &t.region).await.map_err(db)? else { return Ok(0) };
        let now = self.now();
        let from = from - POLL_OVERLAP_MS;
        let scope = self.scope(t, from, now, now - POLL_UNSETTLED_MS, false).await.map_err(db)?;
        let mut snap = crate::store::TargetSnapshot {
            account_id: t.account.id.clone(),
            region: t.region.clone(),
            ..Default::default()
        };
        let streamed = read::read_jobs(&scope, &mut snap).await.map_err(|f| (f.code, f.message))?.saved;
        self.store.save_jobs(&snap, self.now()).await.map_err(db)?;
        self.store.polled(&t.account.id, &t.region, now).await.map_err(db)?;
        Ok(streamed + snap.restore_jobs.len())
    }

    /// Polls every `interval` from now on; `after` runs after each poll that read
    /// something (the notifier's wake-up).
    pub fn schedule_poll(self: &Arc<Self>, interval: Duration, after: impl Fn() + Send + Sync + 'static) {
        let (me, after) = (Arc::clone(self), Arc::new(after));
        every(interval, move || {
            let (me, after) = (Arc::clone(&me), Arc::clone(&after));
            async move {
                match me.poll().await {
                    Ok(summary) if summary.jobs > 0 => after(),
                    Ok(_) | Err(SyncError::OtherReplica) => {}
                    Err(e) => tracing::error!(error = %e, "scheduled poll failed"),
                }
            }
        });
    }

    /// What reading a target needs, for its jobs from `jobs_from` on: its clients and
    /// the restore jobs on record not settled yet (created from `unsettled_since` to
    /// `jobs_from`), and whether the jobs completed since need listing: always with
    /// `every_listing` (a first or a full read; or a read whose jobs come from its pass,
    /// which lists none), else as [`read::ReadScope::list_completed`] says. Recovery
    /// points from `jobs_from` too, nothing known, not full.
    async fn scope<'a>(
        &'a self,
        t: &'a Target,
        jobs_from: i64,
        now: i64,
        unsettled_since: i64,
        every_listing: bool,
    ) -> Result<read::ReadScope<'a>, StoreError> {
        let unsettled = self.store.unsettled_restore_jobs(&t.account.id, &t.region, unsettled_since, jobs_from).await?;
        let restores_from = unsettled.first().map_or(jobs_from, |(_, created)| jobs_from.min(*created));
        let backup_jobs_from = jobs_from.max(now - read::BACKUP_JOB_LIST_DAYS * 86_400_000);
        let (account, region) = (t.account.id.as_str(), t.region.as_str());
        let list_completed = if every_listing {
            read::Completed::ALL
        } else {
            self.completed_listings(&[account], region, (backup_jobs_from, jobs_from, restores_from)).await?
        };
        Ok(read::ReadScope {
            client: self.aws.backup(&t.role, &t.region).await,
            tagging: self.aws.tagging(&t.role, &t.region).await,
            account_id: &t.account.id,
            region: &t.region,
            page_size: self.config.sync.page_size,
            jobs_from,
            backup_jobs_from,
            unsettled_restores: unsettled.into_iter().map(|(id, _)| id).collect(),
            restores_from,
            list_completed,
            full: false,
            plans_due: true,
            points_from: jobs_from,
            known: crate::store::KnownTarget::default(),
            calls: &self.calls,
            pages: &self.pages,
            store: &self.store,
            started: now,
            organization: None,
            jobs_read: None,
        })
    }

    /// Which job listings by completion a read of `accounts` in `region` needs: those
    /// of each kind (backup, copy, restore) with a job on record created before the
    /// kind's window start (`from`) and not finished. A job created inside the window
    /// comes with the listing by creation; one created before it was listed then, so
    /// only one seen unfinished can have completed since without being brought.
    async fn completed_listings(
        &self,
        accounts: &[&str],
        region: &str,
        (backup_from, copy_from, restore_from): (i64, i64, i64),
    ) -> Result<read::Completed, StoreError> {
        let unfinished =
            |table, before| self.store.has_unfinished_jobs(table, accounts.iter().copied(), region, before);
        Ok(read::Completed {
            backup: unfinished("backup_jobs", backup_from).await?,
            copy: unfinished("copy_jobs", copy_from).await?,
            restore: unfinished("restore_jobs", restore_from).await?,
        })
    }

    /// An organization-wide job read of `accounts` in `region` through the management
    /// account's client ([`read::ReadScope::organization`]): every listing by creation
    /// from `from` (backup jobs within the 30 days AWS keeps), restore jobs by creation
    /// from `restores_from`, and the listings by completion that
    /// [`Syncer::completed_listings`] finds needed.
    async fn organization_scope<'a>(
        &'a self,
        region: &'a str,
        accounts: &'a std::collections::HashSet<String>,
        from: i64,
        restores_from: i64,
        now: i64,
    ) -> Result<read::ReadScope<'a>, StoreError> {
        let backup_jobs_from = from.max(now - read::BACKUP_JOB_LIST_DAYS * 86_400_000);
        let members: Vec<&str> = accounts.iter().map(String::as_str).collect();
        let list_completed = self.completed_listings(&members, region, (backup_jobs_from, from, restores_from)).await?;
        Ok(read::ReadScope {
            client: self.aws.hub_backup(region),
            tagging: self.aws.hub_tagging(region),
            account_id: "",
            region,
            page_size: self.config.sync.page_size,
            jobs_from: from,
            backup_jobs_from,
            unsettled_restores: Vec::new(),
            restores_from,
            list_completed,
            full: false,
            plans_due: false,
            points_from: from,
            known: crate::store::KnownTarget::default(),
            calls: &self.calls,
            pages: &self.pages,
            store: &self.store,
            started: now,
            organization: Some(accounts),
            jobs_read: None,
        })
    }

    /// With `sync.organization_jobs`, one organization-wide job read per Region at a
    /// pass's start (as the poll's, [`Syncer::poll_region`]) for the organization's
    /// targets synced within [`PASS_JOBS_WINDOW_MS`]: their backup and copy jobs are
    /// saved, and each one's share is kept for its read. A Region whose read fails
    /// is left to its targets' own listings (logged).
    async fn read_pass_jobs(&self, targets: &[Target]) -> HashMap<(String, String), PassJobs> {
        if !self.config.sync.organization_jobs {
            return HashMap::new();
        }
        let (regions, _) = self.organization_targets(targets.to_vec()).await;
        let reads = regions.into_iter().map(|(region, targets)| async move {
            let read = self.read_region_jobs(&region, &targets).await;
            read.unwrap_or_else(|(code, message)| {
                tracing::warn!(region = %region, code = %code, message = %message,
                    "the organization-wide job listing failed; each account of the Region lists its own jobs");
                Vec::new()
            })
        });
        futures_util::future::join_all(reads).await.into_iter().flatten().collect()
    }

    async fn read_region_jobs(
        &self,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<((String, String), PassJobs)>, (String, String)> {
        let db = |e: StoreError| ("DatabaseError".to_string(), e.to_string());
        let now = self.now();
        let overlap = self.config.sync.job_overlap_minutes * 60_000;
        let successes = self.store.last_successes(region).await.map_err(db)?;
        let accounts: std::collections::HashSet<String> = targets
            .iter()
            .filter(|t| successes.get(&t.account.id).is_some_and(|at| now - at <= PASS_JOBS_WINDOW_MS))
            .map(|t| t.account.id.clone())
            .collect();
        let Some(from) = accounts.iter().filter_map(|a| successes.get(a)).min().map(|at| at - overlap) else {
            return Ok(Vec::new());
        };
        let oldest = self.store.oldest_unsettled_restore(region, &accounts, now - 7 * 86_400_000).await.map_err(db)?;
        let restores_from = oldest.map_or(from, |oldest| oldest.min(from));
        let mut read = self.read_organization_jobs(region, &accounts, from, restores_from, now).await?;
        // Saved now, not with each target's snapshot minutes later, which would undo
        // what a poll stored in between.
        for (account, restores) in &read.restores {
            let snap = crate::store::TargetSnapshot {
                account_id: account.clone(),
                region: region.to_string(),
                restore_jobs: restores.clone(),
                ..Default::default()
            };
            self.store.save_jobs(&snap, now).await.map_err(db)?;
        }
        Ok(accounts
            .into_iter()
            .map(|account| {
                let jobs = read::OrganizationJobs {
                    backup_ended_at: read.backup_ends.get(&account).copied(),
                    restore_jobs: read.restores.remove(&account).unwrap_or_default(),
                };
                ((account, region.to_string()), PassJobs { at: now, from, jobs })
            })
            .collect())
    }

    /// Takes the sync gate unless a sync is running; the sync starts only with
    /// [`SyncStart::run`], so that its audit record can be written first.
    pub fn begin(self: &Arc<Self>) -> Option<SyncStart> {
        let guard = Arc::clone(&self.gate).try_lock_owned().ok()?;
        Some(SyncStart { syncer: Arc::clone(self), guard })
    }

    /// Syncs every `interval` from now on.
    pub fn schedule(self: &Arc<Self>, interval: Duration) {
        let me = Arc::clone(self);
        every(interval, move || {
            let me = Arc::clone(&me);
            async move {
                // Targets another replica synced within the last half interval wait for the next round.
                let fresh_ms = (interval.as_millis() / 2) as i64;
                let Ok(_running) = me.gate.try_lock() else { return };
                if let Err(e) = me.run_locked(fresh_ms).await {
                    tracing::error!(error = %e, "scheduled sync failed");
                }
            }
        });
    }
}

/// Runs `round` every `interval` from now on; a round that runs late delays the next.
fn every<F, R>(interval: Duration, mut round: F)
where
    F: FnMut() -> R + Send + 'static,
    R: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            round().await;
        }
    });
}

/// A recovery point's restore metadata as AWS reports it.
pub type RestoreMetadata = std::collections::BTreeMap<String, String>;

/// How long a recovery point's restore metadata read live is served again.
const RESTORE_METADATA_TTL_MS: i64 = 60_000;

/// A sync that holds the gate and has not started; dropped, it never starts.
pub struct SyncStart {
    syncer: Arc<Syncer>,
    guard: tokio::sync::OwnedMutexGuard<()>,
}

impl SyncStart {
    /// Starts the sync in the background.
    pub fn run(self) {
        let SyncStart { syncer, guard } = self;
        syncer.update(|p| {
            *p = SyncProgress { running: true, started_at: Some(rfc3339(syncer.now())), ..SyncProgress::default() }
        });
        tokio::spawn(async move {
            let _running = guard;
            if let Err(e) = syncer.run_locked(0).await {
                tracing::error!(error = %e, "sync failed");
            }
        });
    }
}
