-- Incremental sync (issue 16): when an (account, region) was last fully reconciled
-- (every recovery point and vault policy read, deletions marked) and last polled
-- (jobs and unsettled restore tests); a plan's LastUpdateTime as last read, so that
-- an unchanged plan and its selections are not read again.
ALTER TABLE sync_status ADD COLUMN last_full_at BIGINT;
ALTER TABLE sync_status ADD COLUMN polled_at BIGINT;
ALTER TABLE restore_testing_plans ADD COLUMN updated_at BIGINT;
