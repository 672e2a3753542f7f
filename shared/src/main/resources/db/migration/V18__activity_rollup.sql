-- Per-minute activity for the stats calls (GET /v1/stats, GET /v1/endpoints/{id}/stats), rolled up
-- by the worker from events and delivery_attempts, so a window of a day reads at most 1 440 rows per
-- endpoint instead of every attempt. endpoint_id = the nil UUID holds an organization's totals
-- (events ingested; attempts to all its endpoints).
CREATE TABLE activity_minutes (
    organization_id uuid        NOT NULL,
    endpoint_id     uuid        NOT NULL,
    minute          timestamptz NOT NULL,
    ingested        integer     NOT NULL DEFAULT 0,
    succeeded       integer     NOT NULL DEFAULT 0,
    failed          integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, endpoint_id, minute)
);
CREATE INDEX activity_minutes_minute_brin ON activity_minutes USING brin (minute);

-- Attempts by duration, per hour (a latency percentile is read over the hours a window touches: a
-- day of an endpoint's attempts is a few hundred rows, where per minute it was tens of thousands):
-- bucket b holds durations in [1.2^b, 1.2^(b+1)) ms (b = 0 also holds 0 ms), so a percentile read
-- back is within 20 % of the exact one.
CREATE TABLE activity_latency (
    organization_id uuid        NOT NULL,
    endpoint_id     uuid        NOT NULL,
    hour            timestamptz NOT NULL,
    bucket          smallint    NOT NULL,
    attempts        integer     NOT NULL,
    PRIMARY KEY (organization_id, endpoint_id, hour, bucket)
);
CREATE INDEX activity_latency_hour_brin ON activity_latency USING brin (hour);

-- How far the roll-up has come: rows with ids (UUIDv7, so time-ordered) below done_until's are counted.
-- An existing installation starts at its oldest event, so its history is rolled up too.
CREATE TABLE rollup_progress (
    name       text PRIMARY KEY,
    done_until timestamptz NOT NULL
);
INSERT INTO rollup_progress (name, done_until)
SELECT 'activity', date_trunc('minute', coalesce(min(created_at), now())) FROM events;

-- The smallest UUIDv7 of a millisecond: ids of rows made at or after `at` are not below it.
CREATE FUNCTION uuid_v7_floor(at timestamptz) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (lpad(to_hex(floor(extract(epoch FROM at) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid $$;
