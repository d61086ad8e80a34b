-- The jobs on record that may still change state, per (account, region), by creation
-- time: a sync asks whether any exists before its listing window to decide whether to
-- list jobs by completion too (Store::has_unfinished_jobs). Without these indexes the
-- answer read every job row of the Region's accounts (the status is not in the
-- account index): 117 MB of pages mapped into the console on each next sync of
-- `--accounts 200` (docs/benchmarks.md, session 19). These hold only the jobs that
-- are not final, so a sync's question reads a handful of entries. The list is the
-- union of the Backup model's final states (BackupJobState: ABORTED, COMPLETED,
-- FAILED, EXPIRED, PARTIAL; CopyJobState: COMPLETED, FAILED, PARTIAL;
-- RestoreJobStatus: ABORTED, COMPLETED, FAILED), written exactly as the query writes
-- it, which is what lets both engines use a partial index.
CREATE INDEX backup_jobs_unfinished ON backup_jobs (account_id, region, created_at)
    WHERE status NOT IN ('ABORTED', 'COMPLETED', 'FAILED', 'EXPIRED', 'PARTIAL');
CREATE INDEX copy_jobs_unfinished ON copy_jobs (account_id, region, created_at)
    WHERE status NOT IN ('ABORTED', 'COMPLETED', 'FAILED', 'EXPIRED', 'PARTIAL');
CREATE INDEX restore_jobs_unfinished ON restore_jobs (account_id, region, created_at)
    WHERE status NOT IN ('ABORTED', 'COMPLETED', 'FAILED', 'EXPIRED', 'PARTIAL');
