-- The AWS calls of the last sync of an (account, region) that AWS throttled.
ALTER TABLE sync_status ADD COLUMN throttled_calls BIGINT NOT NULL DEFAULT 0;

-- Which console replica syncs which (account, region) (backend/src/store/leases.rs).
-- Times are wall-clock epoch milliseconds.
CREATE TABLE sync_leases (
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    -- The replica holding the target, until lease_until (it renews while it works).
    holder TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    -- The start of the latest pass that wants the target synced.
    wanted_at BIGINT NOT NULL DEFAULT 0,
    -- When the target was last synced (or its sync failed), by any replica.
    synced_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, region)
);
CREATE INDEX sync_leases_due ON sync_leases (synced_at, account_id, region);
