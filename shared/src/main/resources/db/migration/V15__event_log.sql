-- The event log (GET /v1/events) lists every event of an organization whatever its status, in the
-- inbox's commit order (see V10), in both directions; with an event type, on its own index. The
-- inbox's partial indexes stay: they keep its scans off the delivered events. A log listing of
-- pending, failed or dead events uses them too.
CREATE INDEX events_log_idx ON events (organization_id, xact_id, created_at, id);
CREATE INDEX events_log_type_idx ON events (organization_id, event_type, xact_id, created_at, id);
