package io.triggers.api.deliveries;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.triggers.api.auth.Tenant;
import io.triggers.api.deliveries.DeliveriesRepository.Attempt;
import io.triggers.api.deliveries.DeliveriesRepository.DeadLetter;
import io.triggers.api.deliveries.DeliveriesRepository.EndpointAttempt;
import io.triggers.api.events.EventQueue;
import io.triggers.api.web.ApiException;
import io.triggers.api.web.PathIds;
import io.triggers.api.web.JsonBodies;
import io.triggers.api.web.RequestFields;
import io.triggers.api.web.RequestIds;
import io.triggers.shared.time.Timestamps;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** What happened to an event's deliveries, and delivering again: attempts, replay, dead letters. */
@RestController
public final class DeliveriesController {

    private static final int MAX_REPLAY_IDS = 1000;

    public record Attempts(List<Attempt> attempts) {
    }

    public record EndpointAttempts(List<EndpointAttempt> attempts, String nextCursor) {
    }

    public record Replay(UUID eventId, String status, long deliveries) {
    }

    public record DeadLetterView(UUID eventId, String eventType, String source, @JsonRawValue String payload,
                                 @JsonRawValue String metadata, String status, Instant createdAt, Instant acknowledgedAt,
                                 Instant deliveredAt, String lastError, Instant expiresAt) {
    }

    public record DeadLetterPage(List<DeadLetterView> events, String nextCursor) {
    }

    public record Replayed(long replayed) {
    }

    public record Recovering(long recovering) {
    }

    private final DeliveriesRepository deliveries;
    private final EndpointRecovery recovery;
    private final EventQueue queue;
    private final JsonBodies bodies;

    public DeliveriesController(DeliveriesRepository deliveries, EventQueue queue, JsonBodies bodies, EndpointRecovery recovery) {
        this.deliveries = deliveries;
        this.recovery = recovery;
        this.queue = queue;
        this.bodies = bodies;
    }

    @GetMapping("/v1/events/{id}/attempts")
    public Mono<Attempts> attempts(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id) {
        UUID eventId = eventId(id);
        return deliveries.eventStatus(tenant.organizationId(), eventId)
                .switchIfEmpty(Mono.error(() -> eventNotFound(id)))
                .then(deliveries.attempts(tenant.organizationId(), eventId))
                .map(Attempts::new);
    }

    /** An endpoint's attempts, newest first, with keyset cursors; {@code status} succeeded (2xx) or failed. */
    @GetMapping("/v1/endpoints/{id}/attempts")
    public Mono<EndpointAttempts> endpointAttempts(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id,
                                                   @RequestParam(name = "status", required = false) String status,
                                                   @RequestParam(name = "limit", required = false) String limit,
                                                   @RequestParam(name = "cursor", required = false) String cursor) {
        UUID endpointId = PathIds.parse(id, "endpoint");
        if (status != null && !status.equals("succeeded") && !status.equals("failed")) {
            throw ApiException.validation("status", "invalid_value", "status must be succeeded or failed");
        }
        int pageSize = pageSize(limit);
        Cursor after = cursor == null || cursor.isEmpty() ? null : Cursor.decode(cursor);
        return deliveries.endpointEnabled(tenant.organizationId(), endpointId)
                .switchIfEmpty(Mono.error(() -> PathIds.notFound("endpoint", id)))
                .then(deliveries.endpointAttempts(tenant.organizationId(), endpointId, status, after == null ? null : after.at(),
                        after == null ? null : after.id(), pageSize + 1))
                .map(found -> {
                    List<EndpointAttempt> page = found.size() > pageSize ? found.subList(0, pageSize) : found;
                    String next = found.size() > pageSize
                            ? new Cursor(page.get(page.size() - 1).attemptedAt(), page.get(page.size() - 1).id()).encode()
                            : null;
                    return new EndpointAttempts(page, next);
                });
    }

    /**
     * Delivers the event again, as new attempts, to its matching enabled endpoints or to the one
     * given. An acknowledged event is not delivered again (409).
     */
    @PostMapping("/v1/events/{id}/replay")
    public Mono<ResponseEntity<Replay>> replay(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id,
                                               ServerWebExchange exchange) {
        UUID eventId = eventId(id);
        return bodies.readOptionalObject(exchange.getRequest(), 4096).flatMap(body -> {
            RequestFields fields = new RequestFields(body, Set.of("endpoint_id"));
            String endpoint = fields.string("endpoint_id", false, 36, PathIds.UUID_TEXT);
            fields.throwIfInvalid();
            UUID endpointId = endpoint == null ? null : UUID.fromString(endpoint);
            Mono<Void> endpointCheck = endpointId == null ? Mono.empty()
                    : deliveries.endpointEnabled(tenant.organizationId(), endpointId)
                            .switchIfEmpty(Mono.error(() -> PathIds.notFound("endpoint", endpoint)))
                            .flatMap(enabled -> enabled ? Mono.<Void>empty()
                                    : Mono.error(ApiException.conflict("endpoint " + endpoint + " is disabled; enable it first")));
            return deliveries.eventStatus(tenant.organizationId(), eventId)
                    .switchIfEmpty(Mono.error(() -> eventNotFound(id)))
                    .flatMap(status -> "acknowledged".equals(status)
                            ? Mono.error(ApiException.conflict("event " + id + " is acknowledged and is not delivered again"))
                            : endpointCheck)
                    .then(deliveries.replay(tenant.organizationId(), eventId, endpointId, Timestamps.now()))
                    .flatMap(count -> (count == 0 ? Mono.<Void>empty()
                            : queue.enqueueOwed(List.of(eventId), RequestIds.of(exchange)))
                            .thenReturn(ResponseEntity.status(HttpStatus.ACCEPTED)
                                    .body(new Replay(eventId, count == 0 ? "unchanged" : "pending", count))));
        });
    }

    /**
     * Delivers again, as new attempts, the endpoint's failed and dead deliveries of events created
     * in {@code [since, until)} ({@code until} defaults to now): answers how many there are, and
     * revives and queues them in the background, page by page ({@link EndpointRecovery}).
     */
    @PostMapping("/v1/endpoints/{id}/recover")
    public Mono<ResponseEntity<Recovering>> recover(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant, @PathVariable("id") String id,
                                                    ServerWebExchange exchange) {
        UUID endpointId = PathIds.parse(id, "endpoint");
        return bodies.readObject(exchange.getRequest(), 4096).flatMap(body -> {
            RequestFields fields = new RequestFields(body, Set.of("since", "until"));
            Instant since = fields.time("since", true);
            Instant given = fields.time("until", false);
            Instant until = given == null ? Timestamps.now() : given;
            if (since != null && !since.isBefore(until)) {
                fields.problem(given == null ? "since" : "until", "invalid_value", "since must be before until (which defaults to now)");
            }
            fields.throwIfInvalid();
            UUID organizationId = tenant.organizationId();
            return deliveries.endpointEnabled(organizationId, endpointId)
                    .switchIfEmpty(Mono.error(() -> PathIds.notFound("endpoint", id)))
                    .flatMap(enabled -> enabled ? recovery.count(organizationId, endpointId, since, until)
                            : Mono.error(ApiException.conflict("endpoint " + id + " is disabled; enable it first")))
                    .map(count -> {
                        if (count > 0) {
                            recovery.start(organizationId, endpointId, since, until, RequestIds.of(exchange));
                        }
                        return ResponseEntity.status(HttpStatus.ACCEPTED).body(new Recovering(count));
                    });
        });
    }

    /** Dead events, newest first (by when they died), with keyset cursors. */
    @GetMapping("/v1/dead-letters")
    public Mono<DeadLetterPage> deadLetters(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant,
                                            @RequestParam(name = "limit", required = false) String limit,
                                            @RequestParam(name = "cursor", required = false) String cursor) {
        int pageSize = pageSize(limit);
        Cursor after = cursor == null || cursor.isEmpty() ? null : Cursor.decode(cursor);
        return deliveries.deadLetters(tenant.organizationId(), after == null ? null : after.at(), after == null ? null : after.id(),
                        pageSize + 1)
                .map(found -> {
                    List<DeadLetter> page = found.size() > pageSize ? found.subList(0, pageSize) : found;
                    String next = found.size() > pageSize
                            ? new Cursor(page.get(page.size() - 1).diedAt(), page.get(page.size() - 1).eventId()).encode()
                            : null;
                    return new DeadLetterPage(page.stream().map(DeliveriesController::view).toList(), next);
                });
    }

    /** Delivers dead events again: by ids, or every one that died since a time (at most 1000 a call). */
    @PostMapping("/v1/dead-letters/replay")
    public Mono<ResponseEntity<Replayed>> replayDeadLetters(@RequestAttribute(Tenant.ATTRIBUTE) Tenant tenant,
                                                            ServerWebExchange exchange) {
        return bodies.readObject(exchange.getRequest(), 128 * 1024).flatMap(body -> {
            RequestFields fields = new RequestFields(body, Set.of("event_ids", "since"));
            List<String> ids = fields.strings("event_ids", MAX_REPLAY_IDS, 36, PathIds.UUID_TEXT);
            Instant sinceAt = fields.time("since", false);
            if (fields.valid() && ids.isEmpty() && sinceAt == null) {
                fields.problem("event_ids", "required", "give event_ids or since");
            }
            fields.throwIfInvalid();
            List<UUID> eventIds = ids.stream().map(UUID::fromString).toList();
            return deliveries.replayDead(tenant.organizationId(), eventIds, sinceAt, Timestamps.now())
                    .flatMap(replayed -> queue.enqueueOwed(replayed.stream().map(event -> event.eventId()).toList(),
                                    RequestIds.of(exchange))
                            .thenReturn(ResponseEntity.status(HttpStatus.ACCEPTED).body(new Replayed(replayed.size()))));
        });
    }

    private static DeadLetterView view(DeadLetter dead) {
        return new DeadLetterView(dead.eventId(), dead.eventType(), dead.source(), dead.payload(), dead.metadata(), dead.status(),
                dead.createdAt(), dead.acknowledgedAt(), dead.deliveredAt(), dead.lastError(), dead.expiresAt());
    }

    private static int pageSize(String limit) {
        if (limit == null) {
            return 50;
        }
        try {
            int value = Integer.parseInt(limit);
            if (value >= 1 && value <= 500) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ApiException.validation("limit", "invalid_value", "limit must be an integer from 1 to 500");
    }

    private static UUID eventId(String id) {
        return PathIds.parse(id, "event");
    }

    private static ApiException eventNotFound(String id) {
        return PathIds.notFound("event", id);
    }

    /** An opaque keyset position: (when the last event died, or the last attempt was made; its id). */
    record Cursor(Instant at, UUID id) {

        String encode() {
            String plain = at.getEpochSecond() + "." + at.getNano() + "." + id;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String cursor) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\.");
                if (parts.length != 3) {
                    throw new IllegalArgumentException("shape");
                }
                return new Cursor(Instant.ofEpochSecond(Long.parseLong(parts[0]), Long.parseLong(parts[1])), UUID.fromString(parts[2]));
            } catch (RuntimeException e) {
                throw ApiException.validation("cursor", "invalid_value", "cursor is not one this API gave out");
            }
        }
    }
}
