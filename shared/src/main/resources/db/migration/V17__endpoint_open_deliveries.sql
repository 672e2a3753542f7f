-- An endpoint's deliveries that are not settled (pending, failed, dead, paused), by when they were
-- created: recovering an endpoint (POST /v1/endpoints/{id}/recover) pages through its failed and
-- dead ones in this order, and its stats count them by state. Delivered deliveries, the bulk, are
-- not in it.
CREATE INDEX deliveries_endpoint_open_idx ON deliveries (endpoint_id, created_at, event_id) INCLUDE (status)
    WHERE status IN ('pending', 'failed', 'dead', 'paused');
