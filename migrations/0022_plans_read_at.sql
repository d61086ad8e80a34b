-- When a sync last read an (account, region)'s restore testing plans: an incremental
-- sync reads them again every sync.plans_every_minutes, when a restore job of its
-- window came from a plan, or when this is NULL (never read since this migration, or
-- the console changed a plan there: Store::plan_changed clears it).
ALTER TABLE sync_status ADD COLUMN plans_read_at BIGINT;
