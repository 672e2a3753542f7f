-- Inbox reads filtered by event type use their own keyset index.
CREATE INDEX events_inbox_type_idx ON events (organization_id, event_type, created_at, id)
    WHERE status IN ('pending', 'failed', 'dead');

-- Secrets generated once per installation, so every api replica signs and checks the same way
-- without configuration (inbox cursors are signed with 'cursor').
CREATE TABLE installation_secrets (
    name   text PRIMARY KEY,
    secret bytea NOT NULL
);
INSERT INTO installation_secrets (name, secret)
VALUES ('cursor', decode(md5(random()::text || clock_timestamp()::text) || md5(random()::text || pg_backend_pid()::text), 'hex'));
