-- Triggers schema: everything the HTTP contract (shared/API.md) needs.
-- PostgreSQL is the source of truth; Redis only carries the fast path.

CREATE TABLE organizations (
    id                    uuid PRIMARY KEY,
    name                  text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    tier                  text        NOT NULL DEFAULT 'free'
                                      CHECK (tier IN ('free', 'pro', 'business', 'enterprise')),
    -- NULL: the tier's limit applies; 0: unlimited.
    rate_limit_per_minute integer     CHECK (rate_limit_per_minute >= 0),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id              uuid PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- SHA-256 of the whole plain key; the plain key is never stored.
    key_hash        bytea       NOT NULL,
    prefix          text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz,
    revoked_at      timestamptz,
    last_used_at    timestamptz
);
-- Authentication is one lookup on this index.
CREATE UNIQUE INDEX api_keys_key_hash_uq ON api_keys (key_hash);
CREATE INDEX api_keys_organization_idx ON api_keys (organization_id, created_at);

CREATE TABLE endpoints (
    id                         uuid PRIMARY KEY,
    organization_id            uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url                        text        NOT NULL CHECK (length(url) <= 2048),
    description                text,
    -- Empty: every event type. 'prefix.*' entries match by prefix.
    event_types                text[]      NOT NULL DEFAULT '{}',
    enabled                    boolean     NOT NULL DEFAULT true,
    secret                     text        NOT NULL,
    -- After a rotation the old secret keeps signing until previous_secret_expires_at.
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    -- Why and when the service disabled the endpoint (410 Gone, failing too long).
    disabled_reason            text,
    disabled_at                timestamptz,
    failing_since              timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX endpoints_organization_idx ON endpoints (organization_id, created_at, id);

CREATE TABLE events (
    id              uuid PRIMARY KEY, -- UUIDv7: time-ordered
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_type      text        NOT NULL,
    source          text,
    payload         jsonb       NOT NULL,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status          text        NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'delivered', 'failed', 'dead', 'acknowledged')),
    -- The X-Request-ID of the ingest request: replays answer with it, logs tie back to it.
    request_id      text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    acknowledged_at timestamptz
);
-- Inbox keyset scan: an organization's undelivered, unacknowledged events in (created_at, id) order.
CREATE INDEX events_inbox_idx ON events (organization_id, created_at, id)
    WHERE status IN ('pending', 'failed', 'dead');
-- Retention and reconciliation scan by age.
CREATE INDEX events_created_at_idx ON events (created_at);

-- Idempotency keys live apart from events so they can expire (24 h) without rewriting event rows.
-- The primary key is the guarantee that one key never creates two events, whatever Redis says.
CREATE TABLE idempotency_keys (
    organization_id     uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    idempotency_key     text        NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    event_id            uuid        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    -- SHA-256 of the request body: the same key with another body is refused.
    request_fingerprint bytea       NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, idempotency_key)
);
CREATE INDEX idempotency_keys_event_idx ON idempotency_keys (event_id);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);

-- One row per event x matching endpoint.
CREATE TABLE deliveries (
    event_id         uuid        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    endpoint_id      uuid        NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    organization_id  uuid        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX deliveries_endpoint_idx ON deliveries (endpoint_id);

CREATE TABLE delivery_attempts (
    id               uuid PRIMARY KEY,
    event_id         uuid        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    endpoint_id      uuid        NOT NULL,
    organization_id  uuid        NOT NULL,
    attempt          integer     NOT NULL,
    status_code      integer,
    duration_ms      integer     NOT NULL,
    error            text,
    response_excerpt text CHECK (octet_length(response_excerpt) <= 1024),
    attempted_at     timestamptz NOT NULL
);
CREATE INDEX delivery_attempts_event_idx ON delivery_attempts (event_id, attempted_at);
