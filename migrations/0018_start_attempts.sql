-- Every StartCopyJob / StartRestoreJob call the executor sends, written before it is
-- sent (security review finding 8). A copy or restore job carries nothing of the
-- idempotency token, so once the token's window has passed the executor looks its
-- job up by what it can see: a job AWS created within a call's time of one of these
-- attempts. A job someone started by hand minutes away from every attempt is then
-- never taken for the request's own.
CREATE TABLE start_attempts (
    request_id TEXT NOT NULL,
    phase      TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX start_attempts_request ON start_attempts (request_id, phase);
