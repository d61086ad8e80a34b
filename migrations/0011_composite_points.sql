-- Composite recovery points and restore jobs: a CloudFormation stack backup makes a
-- parent (composite) recovery point whose children, one per stack member, name it as
-- ParentRecoveryPointArn; restore jobs carry IsParent/ParentJobId as backup and copy
-- jobs do (0010). A parent is a summary: counts take the children (store/sql.rs,
-- COUNTED_POINT and counted_job).
ALTER TABLE recovery_points ADD COLUMN is_parent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE recovery_points ADD COLUMN parent_recovery_point_arn TEXT;
CREATE INDEX recovery_points_parent ON recovery_points (parent_recovery_point_arn);
ALTER TABLE restore_jobs ADD COLUMN is_parent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE restore_jobs ADD COLUMN parent_job_id TEXT;
CREATE INDEX restore_jobs_parent ON restore_jobs (account_id, parent_job_id);
