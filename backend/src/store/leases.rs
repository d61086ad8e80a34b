//! Sync leases: which console replica syncs which (account, region). A replica takes
//! one target at a time with `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serves one
//! process and runs the same statement without the lock clause), holds it until
//! `lease_until` and renews that while it works; a replica that dies loses only the
//! targets it held, which another takes once their leases run out. Times here are
//! wall-clock milliseconds: leases are about processes, not about the console's clock.

use super::sql::Sql;
use super::*;

/// A target a replica holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub account_id: String,
    pub region: String,
}

impl Store {
    /// Registers the targets of a pass that started at `started`: each can be taken
    /// from now on until it is synced again.
    pub async fn want_targets(&self, targets: &[(String, String)], started: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for chunk in targets.chunks(200) {
            let mut sql = Sql::new(self.engine(), "INSERT INTO sync_leases (account_id, region, wanted_at) VALUES ");
            for (i, (account, region)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.arg(account.as_str()).push(", ").arg(region.as_str()).push(", ").arg(started).push(")");
            }
            sql.push(
                " ON CONFLICT (account_id, region) DO UPDATE SET wanted_at = \
                 CASE WHEN excluded.wanted_at > sync_leases.wanted_at THEN excluded.wanted_at ELSE sync_leases.wanted_at END",
            );
            sql.query().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Takes a target of the pass that started at `started` that nobody holds (or whose
    /// holder's lease ran out) and that nobody synced since `due_before`, for `holder`
    /// until `until`; the least recently synced first.
    pub async fn take_target(
        &self,
        holder: &str,
        started: i64,
        due_before: i64,
        now: i64,
        until: i64,
    ) -> Result<Option<Lease>, StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE sync_leases SET holder = ");
        sql.arg(holder).push(", lease_until = ").arg(until);
        sql.push(" WHERE (account_id, region) IN (SELECT account_id, region FROM sync_leases WHERE wanted_at >= ")
            .arg(started)
            .push(" AND synced_at < ")
            .arg(due_before)
            .push(" AND lease_until < ")
            .arg(now)
            .push(" ORDER BY synced_at, account_id, region LIMIT 1");
        if self.engine() == Engine::Postgres {
            sql.push(" FOR UPDATE SKIP LOCKED");
        }
        sql.push(") RETURNING account_id, region");
        let row = sql.query().fetch_optional(self.writer()).await?;
        row.map(|r| Ok(Lease { account_id: col(&r, "account_id")?, region: col(&r, "region")? })).transpose()
    }

    /// Targets of the pass that started at `started`, not synced since `due_before`,
    /// that another replica holds now: the pass waits for them (or for their leases to
    /// run out).
    pub async fn targets_held_by_others(
        &self,
        holder: &str,
        started: i64,
        due_before: i64,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT COUNT(*) AS n FROM sync_leases WHERE wanted_at >= ");
        sql.arg(started)
            .push(" AND synced_at < ")
            .arg(due_before)
            .push(" AND lease_until >= ")
            .arg(now)
            .push(" AND holder <> ")
            .arg(holder);
        let row = sql.query().fetch_one(self.pool()).await?;
        col(&row, "n")
    }

    /// Keeps holding a target until `until`; false when the lease was lost (it ran out
    /// and another replica took the target).
    pub async fn renew_lease(&self, lease: &Lease, holder: &str, until: i64) -> Result<bool, StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE sync_leases SET lease_until = ");
        sql.arg(until);
        Self::held(&mut sql, lease, holder);
        Ok(sql.query().execute(self.writer()).await?.rows_affected() == 1)
    }

    /// Lets a target go after syncing it (successfully or not) at `synced_at`.
    pub async fn release_lease(&self, lease: &Lease, holder: &str, synced_at: i64) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE sync_leases SET holder = NULL, lease_until = 0, synced_at = ");
        sql.arg(synced_at);
        Self::held(&mut sql, lease, holder);
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// Gives a target back without syncing it, and takes it out of the passes until a
    /// replica that knows it wants it again.
    pub async fn return_lease(&self, lease: &Lease, holder: &str) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE sync_leases SET holder = NULL, lease_until = 0, wanted_at = 0");
        Self::held(&mut sql, lease, holder);
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    fn held(sql: &mut Sql, lease: &Lease, holder: &str) {
        sql.push(" WHERE account_id = ")
            .arg(lease.account_id.as_str())
            .push(" AND region = ")
            .arg(lease.region.as_str())
            .push(" AND holder = ")
            .arg(holder);
    }
}
