-- Retention in two parts (issue 15): delivered and acknowledged events go TRIGGERS_RETENTION_DELIVERED
-- after they were delivered or acknowledged; pending, failed and dead ones go
-- TRIGGERS_RETENTION_UNDELIVERED after created_at, or after the organization's own retention_days.
ALTER TABLE organizations ADD COLUMN retention_days integer CHECK (retention_days BETWEEN 1 AND 3650);

-- The delivered part finds its rows by when they finished, not by created_at: an event delivered
-- after a week of retries (or replayed) is kept as long as any other, and the job does not re-read
-- every older undelivered event each run to find them.
CREATE INDEX events_finished_idx ON events ((CASE status WHEN 'acknowledged' THEN acknowledged_at ELSE delivered_at END))
    WHERE status IN ('delivered', 'acknowledged');
