-- Composite (parent/child) jobs: AWS Backup backs up a CloudFormation stack (and
-- SAP HANA, EKS) as a parent job whose children back up the members. The parent's
-- state only sums up its children's, so counts and failure notifications take the
-- jobs that have no children (store/sql.rs, COUNTED_JOB).
ALTER TABLE backup_jobs ADD COLUMN is_parent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE backup_jobs ADD COLUMN parent_job_id TEXT;
CREATE INDEX backup_jobs_parent ON backup_jobs (account_id, parent_job_id);
ALTER TABLE copy_jobs ADD COLUMN is_parent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE copy_jobs ADD COLUMN parent_job_id TEXT;
CREATE INDEX copy_jobs_parent ON copy_jobs (account_id, parent_job_id);
