-- The reconciler looks for deliveries still owed, oldest first, across organizations.
CREATE INDEX deliveries_owed_idx ON deliveries (created_at) WHERE status IN ('pending', 'failed');
