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

-- Background evidence packs, so that any replica serves them (routes/evidence.rs).
CREATE TABLE evidence_packs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    scope TEXT NOT NULL,
    step BIGINT NOT NULL,
    steps BIGINT NOT NULL,
    step_name TEXT NOT NULL,
    bytes BIGINT,
    file_name TEXT NOT NULL,
    error TEXT,
    expires_at BIGINT NOT NULL
);
-- A pack's archive, base64 in chunks of 1 MiB.
CREATE TABLE evidence_pack_chunks (
    pack_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (pack_id, seq)
);
