-- An endpoint's attempts, newest first (GET /v1/endpoints/{id}/attempts): a keyset walk on
-- (endpoint_id, attempted_at, id) backwards; one more index entry per attempt. Failed attempts
-- have a partial index of their own, so listing an endpoint's failures does not walk its
-- successes (an entry per failed attempt only).
CREATE INDEX delivery_attempts_endpoint_idx ON delivery_attempts (endpoint_id, attempted_at, id);
CREATE INDEX delivery_attempts_endpoint_failed_idx ON delivery_attempts (endpoint_id, attempted_at, id)
    WHERE status_code IS NULL OR status_code NOT BETWEEN 200 AND 299;
