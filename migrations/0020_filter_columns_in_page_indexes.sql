-- A recovery-point page filtered twice (an account and a resource type, a vault and
-- a status) read its rows through the index of one filter and fetched every row of
-- it from the table to test the other: all 900 recovery points of an account to
-- find that none is a DynamoDB table. With the other filters' columns at the end of
-- each page index, both engines test them in the index entry and fetch only the rows
-- of the page (SQLite defers the table seek; PostgreSQL tests index columns before it
-- reads the heap). The leading columns and the page order (created_at, arn) stay.
DROP INDEX recovery_points_account;
DROP INDEX recovery_points_account_only;
DROP INDEX recovery_points_region;
DROP INDEX recovery_points_vault;
DROP INDEX recovery_points_vault_name;
DROP INDEX recovery_points_type;
DROP INDEX recovery_points_status;
CREATE INDEX recovery_points_account ON recovery_points (account_id, region, created_at, arn, vault_name, resource_type, status);
CREATE INDEX recovery_points_account_only ON recovery_points (account_id, created_at, arn, vault_name, resource_type, status);
CREATE INDEX recovery_points_region ON recovery_points (region, created_at, arn, account_id, resource_type, status);
CREATE INDEX recovery_points_vault ON recovery_points (vault_arn, created_at, arn, resource_type, status);
CREATE INDEX recovery_points_vault_name ON recovery_points (vault_name, created_at, arn, account_id, region, resource_type, status);
CREATE INDEX recovery_points_type ON recovery_points (resource_type, created_at, arn, account_id, region, status);
CREATE INDEX recovery_points_status ON recovery_points (status, created_at, arn, account_id, region, resource_type);
