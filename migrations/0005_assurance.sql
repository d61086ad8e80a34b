-- Assurance (issue 6): RPO/RTO targets editable by admins, runbook notes, drills
-- and their schedules.

-- Targets set by admins; they override the [assurance] defaults of the config.
-- scope_kind is 'resource_type' (scope: DynamoDB, RDS, ...) or 'resource' (scope: the ARN).
CREATE TABLE assurance_targets (
    scope_kind  TEXT NOT NULL,
    scope       TEXT NOT NULL,
    rpo_hours   BIGINT NOT NULL,
    rto_minutes BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (scope_kind, scope)
);

-- The notes a team keeps with a runbook (Markdown), per scenario and resource.
CREATE TABLE runbook_notes (
    scenario     TEXT NOT NULL,
    resource_arn TEXT NOT NULL,
    notes        TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (scenario, resource_arn)
);

-- Timed recovery drills: a runbook run for one resource through the request flow.
CREATE TABLE drills (
    id                      TEXT PRIMARY KEY,
    scenario                TEXT NOT NULL,
    resource_arn            TEXT NOT NULL,
    account_id              TEXT NOT NULL,
    region                  TEXT NOT NULL,
    resource_type           TEXT NOT NULL,
    schedule_id             TEXT,
    status                  TEXT NOT NULL,
    outcome                 TEXT,
    started_by              TEXT NOT NULL,
    request_id              TEXT,
    recovery_point_arn      TEXT NOT NULL,
    recovery_point_at       BIGINT NOT NULL,
    target_name             TEXT NOT NULL,
    restore_account_id      TEXT NOT NULL,
    retention_minutes       BIGINT NOT NULL,
    rto_target_minutes      BIGINT NOT NULL,
    rpo_target_hours        BIGINT NOT NULL,
    requested_at            BIGINT NOT NULL,
    approved_at             BIGINT,
    approved_by             TEXT,
    job_started_at          BIGINT,
    job_completed_at        BIGINT,
    restored_arn            TEXT,
    validated_at            BIGINT,
    validation              TEXT,
    cleanup_due_at          BIGINT,
    cleanup_token           TEXT,
    cleanup_started_at      BIGINT,
    cleaned_up_at           BIGINT,
    followups               TEXT,
    error                   TEXT,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX drills_resource ON drills (resource_arn, requested_at);
CREATE INDEX drills_status ON drills (status, requested_at);
CREATE INDEX drills_requested ON drills (requested_at, id);
CREATE INDEX drills_request ON drills (request_id);

-- Drills on a schedule: every `every_hours`, on the console's clock.
CREATE TABLE drill_schedules (
    id                TEXT PRIMARY KEY,
    scenario          TEXT NOT NULL,
    resource_arn      TEXT NOT NULL,
    every_hours       BIGINT NOT NULL,
    next_at           BIGINT NOT NULL,
    retention_minutes BIGINT NOT NULL,
    created_by        TEXT NOT NULL,
    created_by_name   TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    enabled           BIGINT NOT NULL
);
CREATE INDEX drill_schedules_due ON drill_schedules (enabled, next_at);

