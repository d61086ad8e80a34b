-- The AWS calls of the last sync of an (account, region) that AWS throttled.
ALTER TABLE sync_status ADD COLUMN throttled_calls BIGINT NOT NULL DEFAULT 0;
