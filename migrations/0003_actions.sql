-- Sign-in, four-eyes requests and the audit log (issue 5).

-- The append-only, hash-chained audit log. Each record is written in the same
-- transaction as the state change it describes.
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_at ON audit_log (at, seq);

-- Browser sessions and API tokens; the token itself is never stored, only its SHA-256.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    name        TEXT NOT NULL,
    roles       TEXT NOT NULL,
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- OIDC logins under way: state, PKCE verifier and nonce, until the callback.
CREATE TABLE oidc_logins (
    state       TEXT PRIMARY KEY,
    verifier    TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    return_to   TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Restore and copy requests, from request through approval to the AWS jobs.
CREATE TABLE requests (
    id                      TEXT PRIMARY KEY,
    kind                    TEXT NOT NULL,
    status                  TEXT NOT NULL,
    requester               TEXT NOT NULL,
    requester_name          TEXT NOT NULL,
    account_id              TEXT NOT NULL,
    region                  TEXT NOT NULL,
    params                  TEXT NOT NULL,
    params_hash             TEXT NOT NULL,
    justification           TEXT NOT NULL,
    ticket                  TEXT,
    preflight               TEXT NOT NULL,
    approvals_needed        BIGINT NOT NULL,
    created_at              BIGINT NOT NULL,
    expires_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL,
    copy_token              TEXT,
    copy_started_at         BIGINT,
    copy_job_id             TEXT,
    copy_state              TEXT,
    destination_recovery_point_arn TEXT,
    restore_token           TEXT,
    restore_started_at      BIGINT,
    restore_job_id          TEXT,
    restore_state           TEXT,
    created_resource_arn    TEXT,
    error                   TEXT
);
CREATE INDEX requests_status ON requests (status, created_at);
CREATE INDEX requests_requester ON requests (requester, created_at);
CREATE INDEX requests_created ON requests (created_at, id);

CREATE TABLE approvals (
    request_id  TEXT NOT NULL,
    approver    TEXT NOT NULL,
    approver_name TEXT NOT NULL,
    decision    TEXT NOT NULL,
    reason      TEXT,
    params_hash TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (request_id, approver)
);
