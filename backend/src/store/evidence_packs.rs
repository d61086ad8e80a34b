//! Background evidence packs, kept in the database so that any console replica serves
//! them: the job (its progress) and, once made, the archive in chunks (base64 text, so
//! that one column type serves both engines).

use shared::EvidenceJob;

use super::sql::Sql;
use super::*;

impl Store {
    /// Records a pack being made, kept until `expires_at` whatever becomes of its maker.
    pub async fn insert_evidence_pack(&self, job: &EvidenceJob, expires_at: i64) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            "INSERT INTO evidence_packs (id, status, scope, step, steps, step_name, file_name, expires_at) VALUES (",
        );
        sql.args([
            job.id.as_str().into(),
            job.status.as_str().into(),
            job.scope.as_str().into(),
            job.step.into(),
            job.steps.into(),
            job.step_name.as_str().into(),
            job.file_name.as_str().into(),
            expires_at.into(),
        ])
        .push(")");
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// Records a pack's progress, or how it ended (status, bytes, error).
    pub async fn update_evidence_pack(&self, job: &EvidenceJob) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE evidence_packs SET status = ");
        sql.arg(job.status.as_str())
            .push(", step = ")
            .arg(job.step)
            .push(", step_name = ")
            .arg(job.step_name.as_str())
            .push(", bytes = ")
            .arg(job.bytes)
            .push(", error = ")
            .arg(job.error.clone())
            .push(" WHERE id = ")
            .arg(job.id.as_str());
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// Stores one chunk of a pack's archive (`seq` from 0).
    pub async fn put_evidence_chunk(&self, id: &str, seq: i64, data: &[u8]) -> Result<(), StoreError> {
        use base64::Engine as _;
        let mut sql = Sql::new(self.engine(), "INSERT INTO evidence_pack_chunks (pack_id, seq, data) VALUES (");
        sql.args([id.into(), seq.into(), base64::engine::general_purpose::STANDARD.encode(data).into()]).push(")");
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// A pack not yet expired at `now`.
    pub async fn evidence_pack(&self, id: &str, now: i64) -> Result<Option<EvidenceJob>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM evidence_packs WHERE id = ");
        sql.arg(id).push(" AND expires_at > ").arg(now);
        let Some(row) = sql.query().fetch_optional(self.pool()).await? else { return Ok(None) };
        Ok(Some(EvidenceJob {
            id: col(&row, "id")?,
            status: col(&row, "status")?,
            scope: col(&row, "scope")?,
            step: col(&row, "step")?,
            steps: col(&row, "steps")?,
            step_name: col(&row, "step_name")?,
            bytes: col(&row, "bytes")?,
            file_name: col(&row, "file_name")?,
            error: col(&row, "error")?,
        }))
    }

    /// One chunk of a pack's archive, `None` past the last.
    pub async fn evidence_chunk(&self, id: &str, seq: i64) -> Result<Option<Vec<u8>>, StoreError> {
        use base64::Engine as _;
        let mut sql = Sql::new(self.engine(), "SELECT data FROM evidence_pack_chunks WHERE pack_id = ");
        sql.arg(id).push(" AND seq = ").arg(seq);
        let Some(row) = sql.query().fetch_optional(self.pool()).await? else { return Ok(None) };
        let text: String = col(&row, "data")?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| StoreError::Invalid(format!("evidence pack {id}, chunk {seq}: {e}")))?;
        Ok(Some(data))
    }

    /// Deletes packs (and their archives): the given ones and every one expired at `now`.
    pub async fn delete_evidence_packs(&self, ids: &[String], now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let mut gone = Sql::new(self.engine(), "SELECT id FROM evidence_packs WHERE expires_at <= ");
        gone.arg(now);
        let mut all: Vec<String> = ids.to_vec();
        for row in gone.query().fetch_all(&mut *tx).await? {
            all.push(col(&row, "id")?);
        }
        for chunk in all.chunks(100) {
            for table in ["evidence_pack_chunks WHERE pack_id", "evidence_packs WHERE id"] {
                let mut sql = Sql::new(self.engine(), &format!("DELETE FROM {table} IN ("));
                sql.args(chunk.iter().map(|id| id.as_str().into())).push(")");
                sql.query().execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
