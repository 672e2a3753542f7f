package io.triggers.api.endpoints;

/**
 * Which endpoints an event goes to, as SQL, shared by the statements that store events and that
 * replay them (both join an {@code event} row, with its type, source, payload and metadata, to
 * {@code endpoint} rows): the endpoint's {@code event_types} is empty, names the type, or holds a
 * pattern ending in {@code *} whose prefix the type starts with; and its filter, compiled to a
 * jsonpath predicate ({@link EndpointFilter}), holds for the envelope {@code {type, source, data,
 * metadata}} (silently: a type mismatch is no match, never an error).
 */
public final class EndpointMatch {

    public static final String CONDITION = """
            (cardinality(endpoint.event_types) = 0
                 OR event.event_type = ANY (endpoint.event_types)
                 OR EXISTS (SELECT 1 FROM unnest(endpoint.event_types) AS filter(pattern)
                            WHERE right(filter.pattern, 1) = '*'
                              AND starts_with(event.event_type, left(filter.pattern, -1))))
            AND (endpoint.filter_path IS NULL
                 OR jsonb_path_match(jsonb_build_object('type', event.event_type, 'source', event.source,
                                                        'data', event.payload, 'metadata', event.metadata),
                                     endpoint.filter_path, '{}', true))
            """;

    private EndpointMatch() {
    }
}
