-- The tags of protected resources that a tag-condition restore testing selection
-- could name (JSON array of {"key", "value"}; NULL: not read). Read with the Resource
-- Groups Tagging API's GetResources.
ALTER TABLE protected_resources ADD COLUMN tags TEXT;
