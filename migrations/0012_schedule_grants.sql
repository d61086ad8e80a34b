-- A drill schedule files requests in its creator's name long after the creator made
-- it (security review finding 5). Each schedule is bound to a grant: the creator's
-- standing permission to have drills filed for them, which an admin can revoke. A
-- run happens only while the grant is live and the creator was last seen (signed in,
-- or made a schedule) with the operator role, recently enough.
CREATE TABLE schedule_grants (
    id           TEXT PRIMARY KEY,
    subject      TEXT NOT NULL,
    role         TEXT NOT NULL,
    granted_at   BIGINT NOT NULL,
    confirmed_at BIGINT NOT NULL,
    revoked_at   BIGINT,
    revoked_by   TEXT
);
CREATE INDEX schedule_grants_subject ON schedule_grants (subject, role, revoked_at);

ALTER TABLE drill_schedules ADD COLUMN grant_id TEXT;
-- The last time a run may start (epoch ms); NULL: no end.
ALTER TABLE drill_schedules ADD COLUMN ends_at BIGINT;

-- Schedules made before grants existed get one each, as of their creation: they keep
-- running only while their creator is still seen with the operator role.
INSERT INTO schedule_grants (id, subject, role, granted_at, confirmed_at)
    SELECT 'legacy-' || id, created_by, 'operator', created_at, created_at FROM drill_schedules;
UPDATE drill_schedules SET grant_id = 'legacy-' || id;
