package io.triggers.shared.endpoints;

/**
 * Which endpoints an event goes to, as SQL, shared by the statements that store events, replay
 * them and store operational events (each joins an {@code event} row, with its type, source,
 * payload and metadata, to {@code endpoint} rows).
 *
 * <p>{@link #CONDITION}, for the organization's own events: the endpoint's {@code event_types} is
 * empty, names the type, or holds a pattern ending in {@code *} whose prefix the type starts with;
 * and its filter, compiled to a jsonpath predicate ({@code EndpointFilter} in the api), holds for the
 * envelope {@code {type, source, data, metadata}} (silently: a type mismatch is no match, never an
 * error).
 *
 * <p>{@link #OPERATIONAL}, for the service's {@code triggers.*} events: only an endpoint that asks
 * for them by name, or by a pattern that itself starts with {@code triggers.} (such as
 * {@code triggers.*}); empty {@code event_types} or a catch-all {@code *} do not. The filter
 * applies as well.
 */
public final class EndpointMatch {

    private static final String FILTER = """
            (endpoint.filter_path IS NULL
                 OR jsonb_path_match(jsonb_build_object('type', event.event_type, 'source', event.source,
                                                        'data', event.payload, 'metadata', event.metadata),
                                     endpoint.filter_path, '{}', true))
            """;

    public static final String CONDITION = """
            (cardinality(endpoint.event_types) = 0
                 OR event.event_type = ANY (endpoint.event_types)
                 OR EXISTS (SELECT 1 FROM unnest(endpoint.event_types) AS filter(pattern)
                            WHERE right(filter.pattern, 1) = '*'
                              AND starts_with(event.event_type, left(filter.pattern, -1))))
            AND """ + FILTER;

    public static final String OPERATIONAL = """
            (event.event_type = ANY (endpoint.event_types)
                 OR EXISTS (SELECT 1 FROM unnest(endpoint.event_types) AS filter(pattern)
                            WHERE right(filter.pattern, 1) = '*'
                              AND starts_with(filter.pattern, 'triggers.')
                              AND starts_with(event.event_type, left(filter.pattern, -1))))
            AND """ + FILTER;

    private EndpointMatch() {
    }
}
