-- The event's trace context (issue 22): the W3C traceparent naming the api's ingest span, the parent
-- of each delivery attempt's span. Null for events stored before tracing and for operational events.
-- Adding a nullable column without a default rewrites nothing.
ALTER TABLE events ADD COLUMN trace_parent text;
