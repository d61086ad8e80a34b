-- A counter per kind of data that its writers move after each committed change, so
-- that answers derived from the whole inventory (restore-test coverage) are computed
-- once per change instead of once per request, by every replica alike.
CREATE TABLE data_versions (
    name        TEXT PRIMARY KEY,
    version     BIGINT NOT NULL
);
INSERT INTO data_versions (name, version) VALUES ('inventory', 0);

-- Recovery-point pages are ordered by (created_at, arn): with arn in each filter's
-- index, a page reads its rows in that order and stops, instead of sorting every
-- row of a timestamp it reaches (the sandbox's, like AWS's scheduled backups, share
-- their timestamps across a thousand accounts).
DROP INDEX recovery_points_account;
DROP INDEX recovery_points_account_only;
DROP INDEX recovery_points_region;
DROP INDEX recovery_points_vault;
DROP INDEX recovery_points_vault_name;
DROP INDEX recovery_points_resource;
DROP INDEX recovery_points_type;
DROP INDEX recovery_points_status;
CREATE INDEX recovery_points_account ON recovery_points (account_id, region, created_at, arn);
CREATE INDEX recovery_points_account_only ON recovery_points (account_id, created_at, arn);
CREATE INDEX recovery_points_region ON recovery_points (region, created_at, arn);
CREATE INDEX recovery_points_vault ON recovery_points (vault_arn, created_at, arn);
CREATE INDEX recovery_points_vault_name ON recovery_points (vault_name, created_at, arn);
CREATE INDEX recovery_points_resource ON recovery_points (resource_arn, created_at, arn);
CREATE INDEX recovery_points_type ON recovery_points (resource_type, created_at, arn);
CREATE INDEX recovery_points_status ON recovery_points (status, created_at, arn);
