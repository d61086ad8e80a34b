//! Notifications to deliver, and the failures they report.

use super::sql::{counted_job, Sql, COUNTED_RESTORE, TEST_FAILED, TEST_FAILURE_REASON};
use super::{col, Store, StoreError};

/// A failed job found in the synced data.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `backup`, `copy` or `restore`.
    pub kind: String,
    pub account_id: String,
    pub region: String,
    pub job_id: String,
    pub resource: String,
    pub message: String,
    /// A restore test (of a restore testing plan).
    pub test: bool,
    pub created_at: i64,
}

/// A notification waiting for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRow {
    pub event_key: String,
    pub webhook: String,
    pub event: String,
    pub payload: String,
    pub attempts: i64,
}

impl Store {
    /// Records a notification unless this event was recorded for this webhook before.
    pub async fn enqueue_notification(
        &self,
        key: &str,
        webhook: &str,
        event: &str,
        payload: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            "INSERT INTO notifications (event_key, webhook, event, payload, created_at, attempts, next_attempt_at) VALUES (",
        );
        sql.arg(key)
            .push(", ")
            .arg(webhook)
            .push(", ")
            .arg(event)
            .push(", ")
            .arg(payload)
            .push(", ")
            .arg(now)
            .push(", 0, ")
            .arg(now)
            .push(") ON CONFLICT (event_key, webhook) DO NOTHING");
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// Failed backup, copy and restore jobs (restore tests included) created since `since`.
    pub async fn recent_failures(&self, since: i64) -> Result<Vec<Failure>, StoreError> {
        let mut sql = Sql::new(
            self.engine(),
            &format!(
                "SELECT 'restore' AS kind, account_id, region, id, COALESCE(resource_arn, '') AS resource,
                        {TEST_FAILURE_REASON} AS message, is_test, created_at
                   FROM restore_jobs j WHERE {TEST_FAILED} AND {COUNTED_RESTORE} AND created_at >= "
            ),
        );
        sql.arg(since)
            .push(
                &format!(
                    " UNION ALL SELECT 'backup', account_id, region, id, resource_arn, COALESCE(status_message, status), 0,
                            created_at
                       FROM backup_jobs j WHERE status IN ('FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL') AND {}
                        AND created_at >= ",
                    counted_job("backup_jobs")
                ),
            )
            .arg(since)
            .push(&format!(
                " UNION ALL SELECT 'copy', account_id, region, id, resource_arn, COALESCE(status_message, status), 0, created_at
                   FROM copy_jobs j WHERE status = 'FAILED' AND {} AND created_at >= ",
                counted_job("copy_jobs")
            ))
            .arg(since);
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(Failure {
                    kind: col(r, "kind")?,
                    account_id: col(r, "account_id")?,
                    region: col(r, "region")?,
                    job_id: col(r, "id")?,
                    resource: col(r, "resource")?,
                    message: col(r, "message")?,
                    test: col::<i64>(r, "is_test")? == 1,
                    created_at: col(r, "created_at")?,
                })
            })
            .collect()
    }

    pub async fn due_notifications(&self, now: i64, max_attempts: i64) -> Result<Vec<NotificationRow>, StoreError> {
        let mut sql = Sql::new(self.engine(), "SELECT * FROM notifications WHERE delivered_at IS NULL AND attempts < ");
        sql.arg(max_attempts).push(" AND next_attempt_at <= ").arg(now).push(" ORDER BY created_at LIMIT 100");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(NotificationRow {
                    event_key: col(r, "event_key")?,
                    webhook: col(r, "webhook")?,
                    event: col(r, "event")?,
                    payload: col(r, "payload")?,
                    attempts: col(r, "attempts")?,
                })
            })
            .collect()
    }

    /// Records one delivery attempt: delivered (no error), or when to try again.
    pub async fn notification_attempted(
        &self,
        key: &str,
        webhook: &str,
        now: i64,
        error: Option<&str>,
        next: i64,
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.engine(), "UPDATE notifications SET attempts = attempts + 1, delivered_at = ");
        sql.arg(if error.is_none() { Some(now) } else { None })
            .push(", last_error = ")
            .arg(error.map(str::to_string))
            .push(", next_attempt_at = ")
            .arg(next)
            .push(" WHERE event_key = ")
            .arg(key)
            .push(" AND webhook = ")
            .arg(webhook);
        sql.query().execute(self.writer()).await?;
        Ok(())
    }
}
