-- A delivery is 'paused' while its endpoint is disabled by hand (issue 15): the worker skips it,
-- the reconciler leaves it alone, and enabling the endpoint again makes it pending and queues it.
-- An endpoint the service disabled (410 Gone, failing too long) still dead-letters its deliveries.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('pending', 'delivered', 'failed', 'dead', 'paused'));
-- Enabling the endpoint finds its paused deliveries here, not among all its deliveries ever made.
CREATE INDEX deliveries_paused_idx ON deliveries (endpoint_id) WHERE status = 'paused';
