-- The web console's typeahead (`/api/v1/choices/{list}`) finds accounts, vaults,
-- restore testing plans and protected resources by the start of their name, in
-- any case: a range over lower(name) that these indexes answer at any size.
-- Regions come from the sync status, one row per (account, region).
CREATE INDEX accounts_name_lower ON accounts (lower(name));
CREATE INDEX vaults_name_lower ON vaults (lower(name));
CREATE INDEX restore_testing_plans_name_lower ON restore_testing_plans (lower(name));
CREATE INDEX protected_resources_name_lower ON protected_resources (lower(name));
CREATE INDEX sync_status_region ON sync_status (region);
