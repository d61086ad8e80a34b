//! The audit log: append-only and hash-chained. Each record's hash covers the
//! previous record's hash and the record's own canonical JSON, so an edited,
//! removed or reordered record breaks the chain from there on. Records are
//! appended inside the transaction of the state change they describe; the
//! transaction ([`Store::write_tx`]) serializes writers, so the chain never forks.

use serde_json::{json, Value};
use shared::{AuditRecord, AuditVerification};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::sql::{Cursor, Sql};
use super::{col, Engine, Store, StoreError};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The advisory lock key that serializes writers on PostgreSQL ("RCAUDIT").
const WRITE_LOCK_KEY: i64 = 0x52_4341_5544_4954;

/// RFC 3339 with milliseconds, UTC: how audit times are hashed and exported.
pub fn audit_time(ms: i64) -> String {
    use chrono::TimeZone;
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// The canonical JSON of a record's content: keys sorted, no whitespace.
pub fn canonical(seq: i64, at: &str, actor: &str, action: &str, subject: &str, details: &Value) -> String {
    // serde_json's maps are ordered by key (no `preserve_order`), so this is canonical.
    json!({ "seq": seq, "at": at, "actor": actor, "action": action, "subject": subject, "details": details })
        .to_string()
}

/// `hex(sha256(prev_hash + "\n" + canonical))`.
pub fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    crate::digest::sha256_hex(format!("{prev_hash}\n{canonical}"))
}

/// Search filters of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub subject: Option<String>,
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
    /// Newest first, below this sequence number.
    pub cursor: Option<Cursor>,
}

fn read(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    let details: String = col(row, "details")?;
    Ok(AuditRecord {
        seq: col(row, "seq")?,
        at: audit_time(col(row, "at")?),
        actor: col(row, "actor")?,
        action: col(row, "action")?,
        subject: col(row, "subject")?,
        details: serde_json::from_str(&details).unwrap_or(Value::String(details)),
        prev_hash: col(row, "prev_hash")?,
        hash: col(row, "hash")?,
    })
}

impl Store {
    /// A transaction for state changes that write audit records. SQLite takes its
    /// write lock at BEGIN (IMMEDIATE), so the transaction never has to upgrade a
    /// stale read snapshot; PostgreSQL takes a transaction-scoped advisory lock.
    /// Either way the audit head read inside it is the head the append extends.
    pub async fn write_tx(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.begin_write().await?;
        if self.engine() == Engine::Postgres {
            sqlx::query(&format!("SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")).execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    /// Appends one record inside `tx` (from [`Store::write_tx`]).
    pub async fn audit(
        &self,
        tx: &mut Transaction<'static, Any>,
        at: i64,
        actor: &str,
        action: &str,
        subject: &str,
        details: Value,
    ) -> Result<AuditRecord, StoreError> {
        let head =
            sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
        let (prev_seq, prev_hash) = match head {
            Some(r) => (col::<i64>(&r, "seq")?, col::<String>(&r, "hash")?),
            None => (0, GENESIS.to_string()),
        };
        let seq = prev_seq + 1;
        let time = audit_time(at);
        let hash = chain_hash(&prev_hash, &canonical(seq, &time, actor, action, subject, &details));
        let mut sql = Sql::new(
            self.engine(),
            "INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (",
        );
        sql.arg(seq)
            .push(", ")
            .arg(at)
            .push(", ")
            .arg(actor)
            .push(", ")
            .arg(action)
            .push(", ")
            .arg(subject)
            .push(", ")
            .arg(details.to_string())
            .push(", ")
            .arg(prev_hash.clone())
            .push(", ")
            .arg(hash.clone())
            .push(")");
        sql.query().execute(&mut **tx).await?;
        Ok(AuditRecord {
            seq,
            at: time,
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            details,
            prev_hash,
            hash,
        })
    }

    /// Appends one record in a transaction of its own (for events without other state).
    pub async fn audit_now(
        &self,
        at: i64,
        actor: &str,
        action: &str,
        subject: &str,
        details: Value,
    ) -> Result<AuditRecord, StoreError> {
        let mut tx = self.write_tx().await?;
        let record = self.audit(&mut tx, at, actor, action, subject, details).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Records matching the filters, newest first, a page at a time.
    pub async fn search_audit(&self, q: &AuditQuery) -> Result<(Vec<AuditRecord>, Option<String>), StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM audit_log WHERE 1 = 1");
        for (column, value) in [("actor", &q.actor), ("action", &q.action), ("subject", &q.subject)] {
            if let Some(v) = value {
                sql.push(&format!(" AND {column} = ")).arg(v.clone());
            }
        }
        if let Some(after) = q.after {
            sql.push(" AND at >= ").arg(after);
        }
        if let Some(before) = q.before {
            sql.push(" AND at < ").arg(before);
        }
        if let Some(c) = &q.cursor {
            sql.push(" AND seq < ").arg(c.time);
        }
        sql.push(" ORDER BY seq DESC LIMIT ").arg(q.limit + 1);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows.iter().map(read).collect::<Result<Vec<_>, _>>()?;
        Ok(super::sql::finish_page(items, q.limit, |r| Cursor { time: r.seq, key: r.seq.to_string() }))
    }

    /// Every record of one subject, oldest first (a request's timeline).
    pub async fn audit_of(&self, subject: &str) -> Result<Vec<AuditRecord>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM audit_log WHERE subject = ");
        sql.arg(subject).push(" ORDER BY seq");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// Up to `limit` records after sequence number `after`, in order.
    pub async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM audit_log WHERE seq > ");
        sql.arg(after).push(" ORDER BY seq LIMIT ").arg(limit);
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// Every record in order, `batch` at a time, handed to `each` (for verify and export).
    pub async fn walk_audit(
        &self,
        batch: i64,
        mut each: impl FnMut(AuditRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut after = 0i64;
        loop {
            let records = self.audit_after(after, batch).await?;
            if records.is_empty() {
                return Ok(());
            }
            for record in records {
                after = record.seq;
                each(record)?;
            }
        }
    }

    /// Recomputes the chain from the first record; names the first record that does not fit.
    pub async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let mut v = Verifier::default();
        self.walk_audit(1000, |r| {
            v.check(&r);
            Ok(())
        })
        .await?;
        Ok(v.finish())
    }
}

/// Checks records one after the other, as [`Store::verify_audit`] and an offline export check do.
#[derive(Default)]
pub struct Verifier {
    entries: i64,
    prev_hash: Option<String>,
    prev_seq: i64,
    first_bad: Option<(i64, String)>,
}

impl Verifier {
    pub fn check(&mut self, r: &AuditRecord) {
        self.entries += 1;
        if self.first_bad.is_some() {
            return;
        }
        let expected_prev = self.prev_hash.clone().unwrap_or_else(|| GENESIS.to_string());
        let problem = if r.seq != self.prev_seq + 1 {
            Some(format!("sequence jumps from {} to {}", self.prev_seq, r.seq))
        } else if r.prev_hash != expected_prev {
            Some("prev_hash is not the hash of the record before".to_string())
        } else if chain_hash(&r.prev_hash, &canonical(r.seq, &r.at, &r.actor, &r.action, &r.subject, &r.details))
            != r.hash
        {
            Some("hash does not match the record's content".to_string())
        } else {
            None
        };
        if let Some(p) = problem {
            self.first_bad = Some((r.seq, p));
        }
        self.prev_seq = r.seq;
        self.prev_hash = Some(r.hash.clone());
    }

    pub fn finish(self) -> AuditVerification {
        AuditVerification {
            valid: self.first_bad.is_none(),
            entries: self.entries,
            head: self.prev_hash,
            first_bad_seq: self.first_bad.as_ref().map(|b| b.0),
            problem: self.first_bad.map(|b| b.1),
        }
    }
}

/// One record as a line of NDJSON (the fields verification needs, nothing else).
pub fn ndjson_line(r: &AuditRecord) -> String {
    format!("{}\n", serde_json::to_string(r).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_the_previous_hash_and_the_content() {
        let c = canonical(
            1,
            "2026-11-28T00:00:00.000Z",
            "alice",
            "request.created",
            "request:1",
            &json!({"b": 1, "a": "x"}),
        );
        assert_eq!(
            c,
            r#"{"action":"request.created","actor":"alice","at":"2026-11-28T00:00:00.000Z","details":{"a":"x","b":1},"seq":1,"subject":"request:1"}"#
        );
        let h = chain_hash(GENESIS, &c);
        assert_eq!(h.len(), 64);
        assert_ne!(h, chain_hash(&"1".repeat(64), &c));
        assert_eq!(audit_time(1_795_780_800_123), "2026-11-27T12:00:00.123Z");
    }
}
