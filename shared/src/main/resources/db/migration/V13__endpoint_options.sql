-- Endpoint options (issue 19): static headers sent with every delivery (a JSON object, sealed with
-- the signing secrets' keys: values are receivers' credentials), a filter on the event's envelope
-- (as given, and compiled to the jsonpath predicate ingestion matches with), and the endpoint's own
-- retry schedule in milliseconds. NULL: none, none, the service's schedule.
ALTER TABLE endpoints
    ADD COLUMN headers text,
    ADD COLUMN filter jsonb,
    ADD COLUMN filter_path jsonpath,
    ADD COLUMN retry_schedule_ms bigint[]
        CONSTRAINT endpoints_retry_schedule_check CHECK (cardinality(retry_schedule_ms) BETWEEN 1 AND 30),
    ADD CONSTRAINT endpoints_filter_compiled_check CHECK ((filter IS NULL) = (filter_path IS NULL));
