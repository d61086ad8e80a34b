-- The console as the restore-test validator (issue 13): the checks admins attach to
-- restore testing plans and selections, and one record per validated restore test,
-- written before the checks run and finished after the result is sent, so that no
-- test is validated twice.

-- Checks set in the console; they win over the config file's for the same scope.
-- selection_name is '' for checks of the whole plan.
CREATE TABLE validation_checks (
    plan_arn            TEXT NOT NULL,
    selection_name      TEXT NOT NULL,
    min_items           BIGINT,
    keys_json           TEXT NOT NULL,       -- JSON array of {attribute: value} objects
    rds_matches_source  BIGINT NOT NULL,
    updated_by          TEXT NOT NULL,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (plan_arn, selection_name)
);

-- One row per restore test the validator took: state running | reported | skipped |
-- error (tried again) | refused (AWS refused the result).
CREATE TABLE restore_validations (
    account_id            TEXT NOT NULL,
    job_id                TEXT NOT NULL,
    region                TEXT NOT NULL,
    plan_arn              TEXT NOT NULL,
    selection_name        TEXT,
    resource_arn          TEXT NOT NULL,
    created_resource_arn  TEXT,
    state                 TEXT NOT NULL,
    result                TEXT,
    message               TEXT,
    checks_json           TEXT NOT NULL,     -- JSON array of {check, passed, seen}
    started_at            BIGINT NOT NULL,
    finished_at           BIGINT,
    PRIMARY KEY (account_id, job_id)
);
CREATE INDEX restore_validations_resource ON restore_validations (resource_arn, started_at);
CREATE INDEX restore_validations_started ON restore_validations (started_at);

-- The validator looks for completed restore tests of the last week.
CREATE INDEX restore_jobs_completed_tests ON restore_jobs (is_test, status, completed_at);
