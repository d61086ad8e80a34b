-- Lookups of the web console: a resource's restore tests (last test per
-- resource, untested resources), and the jobs of one recovery point.
CREATE INDEX restore_jobs_resource_test ON restore_jobs (resource_arn, is_test, created_at);
CREATE INDEX restore_jobs_recovery_point ON restore_jobs (recovery_point_arn, created_at);
CREATE INDEX copy_jobs_source_recovery_point ON copy_jobs (source_recovery_point_arn);
CREATE INDEX copy_jobs_destination_recovery_point ON copy_jobs (destination_recovery_point_arn);
CREATE INDEX protected_resources_last_backup ON protected_resources (last_backup_at);
