-- No query reads recovery_points by parent_recovery_point_arn: a composite point's
-- members are shown through their own rows, and the counts leave the parent out by
-- is_parent (store/sql.rs, COUNTED_POINT). The index 0011 made for it cost an entry
-- per recovery point written; on PostgreSQL, inserting index entries was 42 % of the
-- database server's CPU in a first sync of 500 accounts (docs/benchmarks.md,
-- session 15).
DROP INDEX recovery_points_parent;
