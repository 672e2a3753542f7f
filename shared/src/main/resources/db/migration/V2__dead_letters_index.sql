-- Dead letters are listed newest first per organization, by when they died (updated_at).
CREATE INDEX events_dead_idx ON events (organization_id, updated_at DESC, id DESC) WHERE status = 'dead';
