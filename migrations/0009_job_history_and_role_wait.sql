-- Where the console's backup-job history of an (account, region) starts: the
-- start of its first successful sync's backup-job window (epoch ms). ListBackupJobs
-- returns only the last 30 days, so a first sync cannot read further back, while
-- the jobs the console stored stay stored beyond those 30 days.
ALTER TABLE sync_status ADD COLUMN backup_jobs_held_from BIGINT;

-- Since when the operator role of an executing request cannot be assumed (epoch ms;
-- NULL: it can). The executor fails the request once this lasts too long.
ALTER TABLE requests ADD COLUMN role_failing_since BIGINT;
