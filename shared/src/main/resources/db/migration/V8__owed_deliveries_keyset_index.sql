-- The reconciler walks every delivery still owed by keyset (created_at, event_id, endpoint_id), a
-- page at a time, going on where its last run stopped; this index serves each page directly.
CREATE INDEX deliveries_owed_keyset_idx ON deliveries (created_at, event_id, endpoint_id) WHERE status IN ('pending', 'failed');
DROP INDEX IF EXISTS deliveries_owed_idx;
