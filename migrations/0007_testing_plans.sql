-- Restore testing plans and selections changed through four-eyes requests (issue 13).
-- The executor stores the change's token before it calls AWS (the CreatorRequestId
-- of a create) and, once done, what AWS answered (the plan's ARN).
ALTER TABLE requests ADD COLUMN change_token TEXT;
ALTER TABLE requests ADD COLUMN change_started_at BIGINT;
ALTER TABLE requests ADD COLUMN change_result TEXT;
