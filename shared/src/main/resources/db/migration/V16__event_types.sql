-- Event types of an organization (issue 19): a description, an optional JSON Schema (2020-12) that
-- payloads of the type must match at ingest, and a deprecation flag. A type without a row, or with
-- no schema, is free-form. The api checks the name (1-128 of [A-Za-z0-9._:-], no "triggers."
-- prefix) and the schema (only references inside itself) before storing it.
-- revision changes on every write (a new value of the sequence): api replicas compare it with the
-- revision of the schemas they compiled to tell which are stale, whatever the clocks say.
CREATE SEQUENCE event_types_revision;

CREATE TABLE event_types (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    description     text        CHECK (length(description) <= 1024),
    schema          jsonb,
    deprecated      boolean     NOT NULL DEFAULT false,
    revision        bigint      NOT NULL DEFAULT nextval('event_types_revision'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, name)
);
