-- The synced inventory of AWS Backup state. Timestamps are UTC milliseconds since
-- the Unix epoch (BIGINT); booleans are 0/1. `synced_at` is the sync that last saw a
-- row; `gone_at` marks what a later sync no longer found.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role_arn    TEXT NOT NULL,
    regions     TEXT NOT NULL,           -- JSON array
    source      TEXT NOT NULL,           -- config | discovery
    updated_at  BIGINT NOT NULL
);

CREATE TABLE sync_status (
    account_id        TEXT NOT NULL,
    region            TEXT NOT NULL,
    status            TEXT NOT NULL,     -- never | running | ok | error
    last_attempt_at   BIGINT,
    last_success_at   BIGINT,
    duration_ms       BIGINT,
    error_code        TEXT,
    error_message     TEXT,
    vaults            BIGINT NOT NULL DEFAULT 0,
    recovery_points   BIGINT NOT NULL DEFAULT 0,
    protected_resources BIGINT NOT NULL DEFAULT 0,
    backup_jobs       BIGINT NOT NULL DEFAULT 0,
    copy_jobs         BIGINT NOT NULL DEFAULT 0,
    restore_jobs      BIGINT NOT NULL DEFAULT 0,
    restore_testing_plans BIGINT NOT NULL DEFAULT 0,
    jobs_synced_from  BIGINT,            -- the job window start of the last successful sync
    PRIMARY KEY (account_id, region)
);

CREATE TABLE vaults (
    arn                 TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL,
    region              TEXT NOT NULL,
    name                TEXT NOT NULL,
    vault_type          TEXT,
    state               TEXT,
    encryption_key_arn  TEXT,
    created_at          BIGINT,
    recovery_points     BIGINT NOT NULL,
    locked              BIGINT NOT NULL,
    access_policy       TEXT,
    synced_at           BIGINT NOT NULL,
    gone_at             BIGINT
);
CREATE INDEX vaults_account_region ON vaults (account_id, region, name);

CREATE TABLE recovery_points (
    arn                 TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL,
    region              TEXT NOT NULL,
    vault_name          TEXT NOT NULL,
    vault_arn           TEXT NOT NULL,
    resource_arn        TEXT NOT NULL,
    resource_type       TEXT NOT NULL,
    resource_name       TEXT,
    status              TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    completed_at        BIGINT,
    size_bytes          BIGINT,
    encryption_key_arn  TEXT,
    is_encrypted        BIGINT NOT NULL,
    source_vault_arn    TEXT,
    delete_after_days   BIGINT,
    delete_at           BIGINT,
    move_to_cold_at     BIGINT,
    last_restore_at     BIGINT,
    backup_plan_id      TEXT,
    synced_at           BIGINT NOT NULL,
    gone_at             BIGINT
);
CREATE INDEX recovery_points_created ON recovery_points (created_at, arn);
CREATE INDEX recovery_points_account ON recovery_points (account_id, region, created_at);
CREATE INDEX recovery_points_account_only ON recovery_points (account_id, created_at);
CREATE INDEX recovery_points_region ON recovery_points (region, created_at);
CREATE INDEX recovery_points_vault ON recovery_points (vault_arn, created_at);
CREATE INDEX recovery_points_vault_name ON recovery_points (vault_name, created_at);
CREATE INDEX recovery_points_resource ON recovery_points (resource_arn, created_at);
CREATE INDEX recovery_points_type ON recovery_points (resource_type, created_at);
CREATE INDEX recovery_points_status ON recovery_points (status, created_at);

CREATE TABLE protected_resources (
    account_id          TEXT NOT NULL,
    region              TEXT NOT NULL,
    arn                 TEXT NOT NULL,
    resource_type       TEXT NOT NULL,
    name                TEXT,
    last_backup_at      BIGINT,
    last_backup_vault_arn TEXT,
    last_recovery_point_arn TEXT,
    latest_restore_minutes BIGINT,
    latest_restore_job_created_at BIGINT,
    latest_restore_rp_created_at BIGINT,
    synced_at           BIGINT NOT NULL,
    gone_at             BIGINT,
    PRIMARY KEY (account_id, region, arn)
);
CREATE INDEX protected_resources_arn ON protected_resources (arn);
CREATE INDEX protected_resources_type ON protected_resources (resource_type, arn);
CREATE INDEX protected_resources_region ON protected_resources (region, arn);

CREATE TABLE backup_jobs (
    account_id          TEXT NOT NULL,
    id                  TEXT NOT NULL,
    region              TEXT NOT NULL,
    vault_name          TEXT,
    vault_arn           TEXT,
    recovery_point_arn  TEXT,
    resource_arn        TEXT NOT NULL,
    resource_type       TEXT NOT NULL,
    resource_name       TEXT,
    status              TEXT NOT NULL,
    status_message      TEXT,
    percent_done        TEXT,
    size_bytes          BIGINT,
    created_at          BIGINT NOT NULL,
    completed_at        BIGINT,
    synced_at           BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX backup_jobs_created ON backup_jobs (created_at, id);
CREATE INDEX backup_jobs_account ON backup_jobs (account_id, region, created_at);
CREATE INDEX backup_jobs_account_only ON backup_jobs (account_id, created_at);
CREATE INDEX backup_jobs_resource ON backup_jobs (resource_arn, created_at);
CREATE INDEX backup_jobs_status ON backup_jobs (status, created_at);
CREATE INDEX backup_jobs_vault ON backup_jobs (vault_name, created_at);
CREATE INDEX backup_jobs_vault_arn ON backup_jobs (vault_arn, created_at);
CREATE INDEX backup_jobs_region ON backup_jobs (region, created_at);

CREATE TABLE copy_jobs (
    account_id          TEXT NOT NULL,
    id                  TEXT NOT NULL,
    region              TEXT NOT NULL,
    source_vault_arn    TEXT,
    source_recovery_point_arn TEXT,
    destination_vault_arn TEXT,
    destination_recovery_point_arn TEXT,
    resource_arn        TEXT NOT NULL,
    resource_type       TEXT NOT NULL,
    resource_name       TEXT,
    status              TEXT NOT NULL,
    status_message      TEXT,
    size_bytes          BIGINT,
    created_at          BIGINT NOT NULL,
    completed_at        BIGINT,
    synced_at           BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX copy_jobs_created ON copy_jobs (created_at, id);
CREATE INDEX copy_jobs_account ON copy_jobs (account_id, region, created_at);
CREATE INDEX copy_jobs_account_only ON copy_jobs (account_id, created_at);
CREATE INDEX copy_jobs_resource ON copy_jobs (resource_arn, created_at);
CREATE INDEX copy_jobs_status ON copy_jobs (status, created_at);
CREATE INDEX copy_jobs_source_vault ON copy_jobs (source_vault_arn, created_at);
CREATE INDEX copy_jobs_region ON copy_jobs (region, created_at);

CREATE TABLE restore_jobs (
    account_id          TEXT NOT NULL,
    id                  TEXT NOT NULL,
    region              TEXT NOT NULL,
    recovery_point_arn  TEXT,
    vault_arn           TEXT,
    resource_arn        TEXT,
    resource_type       TEXT NOT NULL,
    created_resource_arn TEXT,
    status              TEXT NOT NULL,
    status_message      TEXT,
    percent_done        TEXT,
    size_bytes          BIGINT,
    created_at          BIGINT NOT NULL,
    completed_at        BIGINT,
    recovery_point_created_at BIGINT,
    plan_arn            TEXT,
    is_test             BIGINT NOT NULL,
    validation_status   TEXT,
    validation_message  TEXT,
    deletion_status     TEXT,
    deletion_message    TEXT,
    synced_at           BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX restore_jobs_created ON restore_jobs (created_at, id);
CREATE INDEX restore_jobs_account ON restore_jobs (account_id, region, created_at);
CREATE INDEX restore_jobs_account_only ON restore_jobs (account_id, created_at);
CREATE INDEX restore_jobs_resource ON restore_jobs (resource_arn, created_at);
CREATE INDEX restore_jobs_status ON restore_jobs (status, created_at);
CREATE INDEX restore_jobs_plan ON restore_jobs (plan_arn, created_at);
CREATE INDEX restore_jobs_test ON restore_jobs (is_test, created_at);
CREATE INDEX restore_jobs_validation ON restore_jobs (validation_status, created_at);
CREATE INDEX restore_jobs_vault ON restore_jobs (vault_arn, created_at);
CREATE INDEX restore_jobs_region ON restore_jobs (region, created_at);

CREATE TABLE restore_testing_plans (
    arn                 TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL,
    region              TEXT NOT NULL,
    name                TEXT NOT NULL,
    schedule_expression TEXT NOT NULL,
    schedule_timezone   TEXT,
    start_window_hours  BIGINT,
    algorithm           TEXT,
    selection_window_days BIGINT,
    include_vaults      TEXT NOT NULL,   -- JSON array
    exclude_vaults      TEXT NOT NULL,   -- JSON array
    recovery_point_types TEXT NOT NULL,  -- JSON array
    created_at          BIGINT,
    last_execution_at   BIGINT,
    selections          TEXT NOT NULL,   -- JSON array of selections
    synced_at           BIGINT NOT NULL,
    gone_at             BIGINT
);
CREATE INDEX restore_testing_plans_account ON restore_testing_plans (account_id, region, name);
