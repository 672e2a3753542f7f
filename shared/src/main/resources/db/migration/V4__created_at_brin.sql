-- Retention finds old events by created_at. A B-tree on created_at alone also tempted the planner
-- to serve inbox pages by walking every organization's events in time order and filtering, which
-- is fast only while the organization's undelivered events happen to be near the start. A BRIN
-- index serves the retention scan (old events sit in old blocks), offers no ordering, so inbox
-- queries keep to their partial keyset indexes, and costs far less to maintain on every insert.
DROP INDEX events_created_at_idx;
CREATE INDEX events_created_at_brin ON events USING brin (created_at);
