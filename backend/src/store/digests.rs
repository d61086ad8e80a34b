//! The signed digests of the audit log's head, as made (assurance::digests signs them
//! and writes them outside the database). Made inside [`Store::write_tx`], so the head
//! a digest signs is the head, and two consoles never make the same number.

use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::sql::Sql;
use super::{col, Store, StoreError};

/// One digest as stored: its number, when it was made, the record it signs and the file.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestRow {
    pub number: i64,
    pub made_at: i64,
    pub seq: i64,
    pub hash: String,
    pub body: String,
    pub published: bool,
}

fn read(row: &AnyRow) -> Result<DigestRow, StoreError> {
    Ok(DigestRow {
        number: col(row, "number")?,
        made_at: col(row, "made_at")?,
        seq: col(row, "seq")?,
        hash: col(row, "hash")?,
        body: col(row, "body")?,
        published: col::<i64>(row, "published")? != 0,
    })
}

impl Store {
    /// The last record's (seq, hash) inside `tx`; `None` for an empty log.
    pub async fn audit_head(&self, tx: &mut Transaction<'static, Any>) -> Result<Option<(i64, String)>, StoreError> {
        let row =
            sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
        row.map(|r| Ok((col(&r, "seq")?, col(&r, "hash")?))).transpose()
    }

    /// The newest digest inside `tx`.
    pub async fn last_digest(&self, tx: &mut Transaction<'static, Any>) -> Result<Option<DigestRow>, StoreError> {
        let row =
            sqlx::query("SELECT * FROM audit_digests ORDER BY number DESC LIMIT 1").fetch_optional(&mut **tx).await?;
        row.as_ref().map(read).transpose()
    }

    pub async fn insert_digest(&self, tx: &mut Transaction<'static, Any>, d: &DigestRow) -> Result<(), StoreError> {
        let mut sql =
            Sql::new(self.engine(), "INSERT INTO audit_digests (number, made_at, seq, hash, body, published) VALUES (");
        sql.arg(d.number).push(", ").arg(d.made_at).push(", ").arg(d.seq).push(", ").arg(d.hash.clone());
        sql.push(", ").arg(d.body.clone()).push(", ").arg(i64::from(d.published)).push(")");
        sql.query().execute(&mut **tx).await?;
        Ok(())
    }

    /// Digests not yet written to every destination, oldest first.
    pub async fn unpublished_digests(&self) -> Result<Vec<DigestRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM audit_digests WHERE published = 0 ORDER BY number")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(read).collect()
    }

    pub async fn mark_digest_published(&self, number: i64) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE audit_digests SET published = 1 WHERE number = ");
        sql.arg(number);
        sql.query().execute(self.pool()).await?;
        Ok(())
    }

    /// Every digest, oldest first (for the evidence pack).
    pub async fn digests(&self) -> Result<Vec<DigestRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM audit_digests ORDER BY number").fetch_all(self.pool()).await?;
        rows.iter().map(read).collect()
    }
}
