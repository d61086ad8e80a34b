-- How many plan changes the console applied in an (account, region) that no sync has
-- read yet: Store::plan_changed adds one after AWS took the change, and a sync that
-- read the plans takes off the count it saw when it started. A change applied while a
-- sync was reading (which may have listed the plan before the change) so stays
-- counted, and the next sync reads every plan whole. (Before, plan_changed cleared
-- plans_read_at, and such a sync's save set it again.)
ALTER TABLE sync_status ADD COLUMN plans_changes BIGINT NOT NULL DEFAULT 0;
