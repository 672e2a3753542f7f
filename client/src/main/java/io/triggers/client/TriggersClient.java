package io.triggers.client;

import io.triggers.client.Transport.Answer;
import io.triggers.client.Transport.Call;
import io.triggers.client.Transport.Kind;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Triggers API for one organization (one API key), over the JDK's {@link HttpClient}.
 *
 * <p>Every call comes in two forms: {@code xAsync(…)} returns a {@link CompletableFuture} that
 * completes with the answer or a {@link TriggersException}; {@code x(…)} waits for it on the
 * caller's thread and throws the {@link TriggersException} itself. Calls are retried as
 * {@link RetryPolicy} says, within its deadline: on connection errors where that is safe, on 429
 * (after {@code Retry-After}), on 503, and on 409 when sending events (the same idempotency key
 * still in flight). Sent events always carry an idempotency key, so retries never store an event
 * twice. For many events from many threads, use {@link #producer()}.
 *
 * <p>Thread-safe; share one per API key. {@link #close()} releases nothing the JDK client would
 * not release by itself on Java 17 and is there for try-with-resources.
 */
public final class TriggersClient implements AutoCloseable {

    /** Most events one batch call takes. */
    public static final int MAX_BATCH = 500;

    private final Transport transport;
    private final JsonMapper json;

    private TriggersClient(Transport transport, JsonMapper json) {
        this.transport = transport;
        this.json = json;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a client; only the API key is required. */
    public static final class Builder {

        private String apiUrl = "http://localhost:8080";
        private String apiKey;
        private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private HttpClient httpClient;

        private Builder() {
        }

        /** The API's base URL, e.g. {@code https://triggers.example.com} (default {@code http://localhost:8080}). */
        public Builder apiUrl(String apiUrl) {
            this.apiUrl = Objects.requireNonNull(apiUrl, "apiUrl");
            return this;
        }

        public Builder apiKey(String apiKey) {
            this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
            return this;
        }

        public Builder retryPolicy(RetryPolicy retryPolicy) {
            this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
            return this;
        }

        /** How long one attempt may wait for its answer (default 30 s; the call's deadline bounds it too). */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
            return this;
        }

        /** A JDK client of the caller's (proxy, TLS, executor); by default one on HTTP/1.1 is made. */
        public Builder httpClient(HttpClient httpClient) {
            this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
            return this;
        }

        public TriggersClient build() {
            if (apiKey == null || apiKey.isBlank()) {
                throw new IllegalStateException("an API key is required");
            }
            HttpClient http = httpClient != null ? httpClient
                    // HTTP/1.1: the API does not speak h2c, and the JDK's upgrade attempt would cost a round trip.
                    : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build();
            JsonMapper json = JsonMapper.builder().build();
            return new TriggersClient(new Transport(http, apiUrl, apiKey, json, retryPolicy, requestTimeout), json);
        }
    }

    /** The rate-limit headers of the latest answer that had them. */
    public Optional<RateLimit> lastRateLimit() {
        return transport.lastRateLimit();
    }

    /** A buffered producer with default settings ({@link ProducerSettings#DEFAULT}); close it when done. */
    public Producer producer() {
        return new Producer(this, ProducerSettings.DEFAULT);
    }

    public Producer producer(ProducerSettings settings) {
        return new Producer(this, settings);
    }

    // ---- Events --------------------------------------------------------------------------------------

    /** Sends one event ({@code POST /v1/events}); see {@link #sendAsync}. */
    public EventCreated send(Event event) {
        return join(sendAsync(event));
    }

    /**
     * Sends one event under its idempotency key (a new UUIDv7 unless the event has one), retried
     * while the deadline allows. A replayed answer (the key was seen) is a success with
     * {@link EventCreated#replayed()}.
     */
    public CompletableFuture<EventCreated> sendAsync(Event event) {
        String key = keyOf(event);
        byte[] body = bytes(eventNode(event, null));
        return transport.send(new Call("POST", "/v1/events", body, Map.of("Idempotency-Key", key), Kind.INGEST)).thenApply(answer -> {
            JsonNode created = answer.body();
            return new EventCreated(Json.text(created, "event_id"), Json.text(created, "event_type"), Json.text(created, "source"),
                    Json.text(created, "status"), Json.time(created, "created_at"), Json.text(created, "request_id"),
                    answer.headers().firstValue("Idempotent-Replayed").map("true"::equalsIgnoreCase).orElse(false), key,
                    answer.rateLimit());
        });
    }

    /** Sends up to 500 events in one call ({@code POST /v1/events/batch}); see {@link #sendBatchAsync}. */
    public BatchResult sendBatch(List<Event> events) {
        return join(sendBatchAsync(events));
    }

    /**
     * Sends up to 500 events in one call, each under its idempotency key. Items that fail with 429,
     * 503 or 409 (key in flight) are sent again, only they, until the deadline; the others' outcomes
     * are final. Fails as a whole only when the first call got no batch answer (401, 413, …).
     */
    public CompletableFuture<BatchResult> sendBatchAsync(List<Event> events) {
        if (events.isEmpty() || events.size() > MAX_BATCH) {
            throw new IllegalArgumentException("a batch has 1 to " + MAX_BATCH + " events, not " + events.size());
        }
        List<EncodedEvent> encoded = new ArrayList<>(events.size());
        for (Event event : events) {
            encoded.add(encode(event));
        }
        return sendEncoded(encoded, transport.deadlineFromNow()).thenApply(BatchResult::new);
    }

    /** An event written as a batch item, with its idempotency key. */
    record EncodedEvent(byte[] json, String idempotencyKey) {
    }

    EncodedEvent encode(Event event) {
        String key = keyOf(event);
        return new EncodedEvent(bytes(eventNode(event, key)), key);
    }

    /** Sends encoded items as one batch and then resends the retryable failures, as {@link #sendBatchAsync} says. */
    CompletableFuture<List<BatchResult.Item>> sendEncoded(List<EncodedEvent> events, long deadlineNanos) {
        BatchResult.Item[] results = new BatchResult.Item[events.size()];
        List<Integer> all = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            all.add(i);
        }
        return batchRound(events, all, results, 0, deadlineNanos).thenApply(done -> List.of(results));
    }

    private CompletableFuture<Void> batchRound(List<EncodedEvent> events, List<Integer> indexes, BatchResult.Item[] results, int round,
                                               long deadlineNanos) {
        ByteArrayOutputStream body = new ByteArrayOutputStream(indexes.size() * 128 + 16);
        body.writeBytes("{\"events\":[".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < indexes.size(); i++) {
            if (i > 0) {
                body.write(',');
            }
            body.writeBytes(events.get(indexes.get(i)).json());
        }
        body.writeBytes("]}".getBytes(StandardCharsets.UTF_8));
        CompletableFuture<Answer> sent = transport.send(new Call("POST", "/v1/events/batch", body.toByteArray(), Map.of(), Kind.INGEST),
                deadlineNanos);
        return sent.handle((answer, error) -> {
            if (error != null) {
                TriggersException failure = unwrap(error);
                if (round == 0) {
                    throw failure;
                }
                for (int index : indexes) {
                    results[index] = new BatchResult.Item(index, failure.status(), null, events.get(index).idempotencyKey(), failure);
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            List<Integer> again = new ArrayList<>();
            List<TriggersException> againErrors = new ArrayList<>();
            int position = 0;
            for (JsonNode item : answer.body().path("results")) {
                int index = indexes.get(item.path("index").asInt(position));
                position++;
                int status = item.path("status").asInt();
                String key = events.get(index).idempotencyKey();
                if (status >= 200 && status < 300) {
                    results[index] = new BatchResult.Item(index, status, Json.text(item, "event_id"), key, null);
                    continue;
                }
                ObjectNode errorBody = json.createObjectNode();
                errorBody.set("error", item.path("error"));
                TriggersException itemError = TriggersException.of(status, errorBody, null, answer.rateLimit().orElse(null), null);
                results[index] = new BatchResult.Item(index, status, null, key, itemError);
                if (Transport.retriesOn(Kind.INGEST, status)) {
                    again.add(index);
                    againErrors.add(itemError);
                }
            }
            if (again.isEmpty() || round + 1 >= transport.retryPolicy().maxAttempts()) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            Duration wait = transport.retryPolicy().backoff(round, answer.retryAfter(), ThreadLocalRandom.current()::nextDouble);
            if (System.nanoTime() + wait.toNanos() >= deadlineNanos) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(wait.toNanos(), TimeUnit.NANOSECONDS))
                    .thenCompose(ignored -> batchRound(events, again, results, round + 1, deadlineNanos));
        }).thenCompose(next -> next);
    }

    /** One event with its deliveries ({@code GET /v1/events/{id}}). */
    public StoredEvent event(String eventId) {
        return join(eventAsync(eventId));
    }

    public CompletableFuture<StoredEvent> eventAsync(String eventId) {
        return get("/v1/events/" + id(eventId)).thenApply(StoredEvent::of);
    }

    /** The delivery attempts of an event ({@code {"attempts": […]}}). */
    public JsonNode eventAttempts(String eventId) {
        return join(eventAttemptsAsync(eventId));
    }

    public CompletableFuture<JsonNode> eventAttemptsAsync(String eventId) {
        return get("/v1/events/" + id(eventId) + "/attempts");
    }

    /** Acknowledges an event: it is not delivered again. Repeating it is harmless. */
    public Acknowledged.One acknowledge(String eventId) {
        return join(acknowledgeAsync(eventId));
    }

    public CompletableFuture<Acknowledged.One> acknowledgeAsync(String eventId) {
        // Acknowledging twice answers the first acknowledgement: safe to retry as a read.
        return call("POST", "/v1/events/" + id(eventId) + "/ack", null, Kind.IDEMPOTENT)
                .thenApply(body -> new Acknowledged.One(Json.text(body, "event_id"), Json.text(body, "status"), Json.time(body, "acknowledged_at")));
    }

    /** Acknowledges up to 1000 events in one call. */
    public Acknowledged.Many acknowledge(Collection<String> eventIds) {
        return join(acknowledgeAsync(eventIds));
    }

    public CompletableFuture<Acknowledged.Many> acknowledgeAsync(Collection<String> eventIds) {
        ObjectNode body = json.createObjectNode();
        ArrayNode ids = body.putArray("event_ids");
        eventIds.forEach(ids::add);
        return call("POST", "/v1/events/ack", body, Kind.IDEMPOTENT)
                .thenApply(answer -> new Acknowledged.Many(Json.texts(answer, "acknowledged"), Json.texts(answer, "not_found")));
    }

    public void deleteEvent(String eventId) {
        join(deleteEventAsync(eventId));
    }

    public CompletableFuture<Void> deleteEventAsync(String eventId) {
        return call("DELETE", "/v1/events/" + id(eventId), null, Kind.IDEMPOTENT).thenApply(ignored -> null);
    }

    /** Delivers the event again to its matching endpoints, as new attempts. */
    public void replay(String eventId) {
        join(replayAsync(eventId, null));
    }

    /** Delivers the event again to this endpoint only (null: to every matching one). */
    public void replay(String eventId, String endpointId) {
        join(replayAsync(eventId, endpointId));
    }

    public CompletableFuture<Void> replayAsync(String eventId, String endpointId) {
        ObjectNode body = null;
        if (endpointId != null) {
            body = json.createObjectNode().put("endpoint_id", endpointId);
        }
        return call("POST", "/v1/events/" + id(eventId) + "/replay", body, Kind.WRITE).thenApply(ignored -> null);
    }

    /** The event log ({@code GET /v1/events}): every event whatever its status, newest first unless asked otherwise. */
    public Listing<StoredEvent> events(EventQuery query) {
        return new Listing<>(cursor -> eventPage(join(get("/v1/events" + query.queryString(cursor)))));
    }

    /** The inbox ({@code GET /v1/inbox}): events neither delivered nor acknowledged, oldest first unless asked otherwise. */
    public Listing<StoredEvent> inbox(EventQuery query) {
        return new Listing<>(cursor -> eventPage(join(get("/v1/inbox" + query.queryString(cursor)))));
    }

    /** The dead letters ({@code GET /v1/dead-letters}), newest first, with {@link StoredEvent#lastError()}. */
    public Listing<StoredEvent> deadLetters() {
        return new Listing<>(cursor -> eventPage(join(get("/v1/dead-letters" + pageQuery(100, cursor)))));
    }

    /** Replays these dead events; answers how many were replayed. */
    public long replayDeadLetters(Collection<String> eventIds) {
        ObjectNode body = json.createObjectNode();
        ArrayNode ids = body.putArray("event_ids");
        eventIds.forEach(ids::add);
        return join(call("POST", "/v1/dead-letters/replay", body, Kind.WRITE)).path("replayed").asLong();
    }

    /** Replays the dead events created since then; answers how many were replayed. */
    public long replayDeadLettersSince(Instant since) {
        return join(call("POST", "/v1/dead-letters/replay", json.createObjectNode().put("since", since.toString()), Kind.WRITE))
                .path("replayed").asLong();
    }

    private static Listing.Page<StoredEvent> eventPage(JsonNode body) {
        List<StoredEvent> events = new ArrayList<>();
        body.path("events").forEach(event -> events.add(StoredEvent.of(event)));
        return new Listing.Page<>(events, Json.text(body, "next_cursor"));
    }

    private static String pageQuery(int limit, String cursor) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("limit", Integer.toString(limit));
        if (cursor != null) {
            parameters.put("cursor", cursor);
        }
        return EventQuery.encode(parameters);
    }

    // ---- Endpoints -----------------------------------------------------------------------------------

    /** Creates an endpoint; the answer carries its signing {@link Endpoint#secret()}. */
    public Endpoint createEndpoint(NewEndpoint endpoint) {
        return join(createEndpointAsync(endpoint));
    }

    public CompletableFuture<Endpoint> createEndpointAsync(NewEndpoint endpoint) {
        ObjectNode body = json.createObjectNode();
        if (endpoint.options() != null) {
            endpoint.options().forEach((name, value) -> body.set(name, json.valueToTree(value)));
        }
        body.put("url", endpoint.url());
        if (endpoint.description() != null) {
            body.put("description", endpoint.description());
        }
        if (endpoint.eventTypes() != null) {
            ArrayNode types = body.putArray("event_types");
            endpoint.eventTypes().forEach(types::add);
        }
        if (endpoint.enabled() != null) {
            body.put("enabled", endpoint.enabled());
        }
        return call("POST", "/v1/endpoints", body, Kind.WRITE).thenApply(Endpoint::of);
    }

    public List<Endpoint> endpoints() {
        return join(endpointsAsync());
    }

    public CompletableFuture<List<Endpoint>> endpointsAsync() {
        return get("/v1/endpoints").thenApply(body -> {
            JsonNode list = body.isArray() ? body : body.path("endpoints");
            List<Endpoint> endpoints = new ArrayList<>();
            list.forEach(node -> endpoints.add(Endpoint.of(node)));
            return endpoints;
        });
    }

    public Endpoint endpoint(String endpointId) {
        return join(endpointAsync(endpointId));
    }

    public CompletableFuture<Endpoint> endpointAsync(String endpointId) {
        return get("/v1/endpoints/" + id(endpointId)).thenApply(Endpoint::of);
    }

    /** The endpoint's signing secret ({@code whsec_…}). */
    public String endpointSecret(String endpointId) {
        return Json.text(join(get("/v1/endpoints/" + id(endpointId) + "/secret")), "secret");
    }

    /** Changes the fields given, by their JSON names ({@code url}, {@code enabled}, {@code event_types}, {@code filter}, …). */
    public Endpoint updateEndpoint(String endpointId, Map<String, ?> changes) {
        return join(updateEndpointAsync(endpointId, changes));
    }

    public CompletableFuture<Endpoint> updateEndpointAsync(String endpointId, Map<String, ?> changes) {
        return call("PATCH", "/v1/endpoints/" + id(endpointId), json.valueToTree(changes), Kind.WRITE).thenApply(Endpoint::of);
    }

    public void deleteEndpoint(String endpointId) {
        join(call("DELETE", "/v1/endpoints/" + id(endpointId), null, Kind.IDEMPOTENT));
    }

    /** A new signing secret; deliveries are signed with the old one too for 24 hours. */
    public String rotateEndpointSecret(String endpointId) {
        return Json.text(join(call("POST", "/v1/endpoints/" + id(endpointId) + "/secret/rotate", null, Kind.WRITE)), "secret");
    }

    /** Sends a test event to this endpoint only; answers its event id. */
    public String testEndpoint(String endpointId, String eventType, Object payload) {
        ObjectNode body = json.createObjectNode();
        if (eventType != null) {
            body.put("event_type", eventType);
        }
        if (payload != null) {
            body.set("payload", json.valueToTree(payload));
        }
        return Json.text(join(call("POST", "/v1/endpoints/" + id(endpointId) + "/test", body, Kind.WRITE)), "event_id");
    }

    /** Delivers again this endpoint's failed and dead deliveries of events created in the window ({@code until} may be null). */
    public long recoverEndpoint(String endpointId, Instant since, Instant until) {
        ObjectNode body = json.createObjectNode().put("since", since.toString());
        if (until != null) {
            body.put("until", until.toString());
        }
        return join(call("POST", "/v1/endpoints/" + id(endpointId) + "/recover", body, Kind.WRITE)).path("recovering").asLong();
    }

    /** The endpoint's delivery attempts, newest first ({@code status}: succeeded, failed, or null for both). */
    public Listing<JsonNode> endpointAttempts(String endpointId, String status) {
        return new Listing<>(cursor -> {
            Map<String, String> parameters = new LinkedHashMap<>();
            parameters.put("limit", "100");
            if (status != null) {
                parameters.put("status", status);
            }
            if (cursor != null) {
                parameters.put("cursor", cursor);
            }
            JsonNode body = join(get("/v1/endpoints/" + id(endpointId) + "/attempts" + EventQuery.encode(parameters)));
            List<JsonNode> attempts = new ArrayList<>();
            body.path("attempts").forEach(attempts::add);
            return new Listing.Page<>(attempts, Json.text(body, "next_cursor"));
        });
    }

    /** The endpoint's statistics over the window (nulls: the last 24 hours). */
    public JsonNode endpointStats(String endpointId, Instant since, Instant until) {
        return join(get("/v1/endpoints/" + id(endpointId) + "/stats" + window(since, until, null)));
    }

    // ---- Organization --------------------------------------------------------------------------------

    /** {@code {"organization_id", "name", "tier", "rate_limit_per_minute"}} */
    public JsonNode me() {
        return join(get("/v1/me"));
    }

    /** {@code {"keys": [{"id", "prefix", "created_at", "expires_at", "last_used_at"}]}} */
    public JsonNode keys() {
        return join(get("/v1/keys"));
    }

    /** A new API key ({@code {"id", "key", "prefix", "created_at"}}); its {@code key} is shown only here. */
    public JsonNode createKey() {
        return join(call("POST", "/v1/keys", null, Kind.WRITE));
    }

    /** A new key replacing this one; the old one keeps working for the grace period. */
    public JsonNode rotateKey(String keyId, Duration gracePeriod) {
        return join(call("POST", "/v1/keys/" + id(keyId) + "/rotate",
                json.createObjectNode().put("grace_period_seconds", gracePeriod.toSeconds()), Kind.WRITE));
    }

    public void deleteKey(String keyId) {
        join(call("DELETE", "/v1/keys/" + id(keyId), null, Kind.IDEMPOTENT));
    }

    /** The organization's activity over time ({@code interval} minute or hour; nulls for the API's defaults). */
    public JsonNode stats(Instant since, Instant until, String interval) {
        return join(get("/v1/stats" + window(since, until, interval)));
    }

    /** Creates or replaces an event type: {@code definition} holds {@code description}, {@code schema}, {@code deprecated}. */
    public JsonNode putEventType(String name, Map<String, ?> definition) {
        return join(call("PUT", "/v1/event-types/" + id(name), json.valueToTree(definition), Kind.IDEMPOTENT));
    }

    /** {@code {"event_types": […]}} */
    public JsonNode eventTypes() {
        return join(get("/v1/event-types"));
    }

    public JsonNode eventType(String name) {
        return join(get("/v1/event-types/" + id(name)));
    }

    public void deleteEventType(String name) {
        join(call("DELETE", "/v1/event-types/" + id(name), null, Kind.IDEMPOTENT));
    }

    @Override
    public void close() {
        // The JDK client's threads and connections end when it is no longer referenced (HttpClient#close is Java 21).
    }

    // ---- Plumbing ------------------------------------------------------------------------------------

    private CompletableFuture<JsonNode> get(String path) {
        return call("GET", path, null, Kind.IDEMPOTENT);
    }

    private CompletableFuture<JsonNode> call(String method, String path, JsonNode body, Kind kind) {
        return transport.send(new Call(method, path, body == null ? null : bytes(body), Map.of(), kind)).thenApply(Answer::body);
    }

    private static String window(Instant since, Instant until, String interval) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (since != null) {
            parameters.put("since", since.toString());
        }
        if (until != null) {
            parameters.put("until", until.toString());
        }
        if (interval != null) {
            parameters.put("interval", interval);
        }
        return EventQuery.encode(parameters);
    }

    /** A path segment: ids are UUIDs and type names {@code [A-Za-z0-9._:-]}; anything else is refused here rather than sent. */
    private static String id(String value) {
        Objects.requireNonNull(value, "id");
        if (value.isEmpty() || !value.chars().allMatch(c -> Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.' || c == ':')
                || value.equals(".") || value.equals("..")) {
            throw new IllegalArgumentException("not an id: " + value);
        }
        return value;
    }

    private static String keyOf(Event event) {
        return event.idempotencyKey() != null ? event.idempotencyKey() : UuidV7.next().toString();
    }

    private ObjectNode eventNode(Event event, String batchKey) {
        ObjectNode node = json.createObjectNode();
        node.put("event_type", event.type());
        if (event.source() != null) {
            node.put("source", event.source());
        }
        node.set("payload", json.valueToTree(event.payload()));
        if (event.metadata() != null) {
            node.set("metadata", json.valueToTree(event.metadata()));
        }
        if (batchKey != null) {
            node.put("idempotency_key", batchKey);
        }
        return node;
    }

    private byte[] bytes(JsonNode node) {
        return json.writeValueAsBytes(node);
    }

    JsonMapper json() {
        return json;
    }

    /** How long one call may take in all, retries included. */
    Duration retryDeadline() {
        return transport.retryPolicy().deadline();
    }

    /** Waits for a call on the caller's thread; its failure is thrown as the {@link TriggersException} it is. */
    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new TriggersException.ConnectionFailed("interrupted while waiting for the answer", e);
        }
    }

    static TriggersException unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof TriggersException triggers) {
            return triggers;
        }
        if (cause instanceof RuntimeException runtime) {
            throw runtime;
        }
        return new TriggersException.ConnectionFailed(String.valueOf(cause), cause);
    }
}
