-- The inbox pages in commit order. created_at is taken before a row commits, and group-commit
-- statements (several per replica) commit out of order, so a cursor on created_at could move past
-- a row that committed a moment later, and a reader following it would never see that row.
-- Each row now keeps the id of the transaction that inserted it, and a page only reaches rows whose
-- transaction is older than every transaction still running (pg_snapshot_xmin of the query's
-- snapshot): every such row has already committed or never will, so nothing can later appear
-- behind a cursor. When nothing is being written, that horizon is past every committed row.
--
-- Rows stored before this migration keep 0 (they are all committed) and sort by created_at among
-- themselves. The constant default adds the column without rewriting the table; new rows then take
-- their own transaction's id.
ALTER TABLE events ADD COLUMN xact_id xid8 NOT NULL DEFAULT '0';
ALTER TABLE events ALTER COLUMN xact_id SET DEFAULT pg_current_xact_id();

-- Inbox keyset scans, in both orders, with and without an event type.
CREATE INDEX events_inbox_commit_idx ON events (organization_id, xact_id, created_at, id)
    WHERE status IN ('pending', 'failed', 'dead');
CREATE INDEX events_inbox_type_commit_idx ON events (organization_id, event_type, xact_id, created_at, id)
    WHERE status IN ('pending', 'failed', 'dead');
DROP INDEX events_inbox_idx;
DROP INDEX events_inbox_type_idx;
