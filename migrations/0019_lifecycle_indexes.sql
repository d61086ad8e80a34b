-- An incremental sync asks, for each (account, region), which vaults hold a
-- recovery point whose lifecycle date (deletion, move to cold storage) passed
-- since its last success. Without these indexes that question read every
-- recovery point of the (account, region): 160 MiB of SQLite's file mapped into
-- a sync of 500 accounts that found nothing new. Partial: only recovery points
-- with such a date are in them.
CREATE INDEX recovery_points_delete_at ON recovery_points (account_id, region, delete_at) WHERE delete_at IS NOT NULL;
CREATE INDEX recovery_points_cold_at ON recovery_points (account_id, region, move_to_cold_at) WHERE move_to_cold_at IS NOT NULL;
