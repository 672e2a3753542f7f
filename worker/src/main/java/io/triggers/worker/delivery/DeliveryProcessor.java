package io.triggers.worker.delivery;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.lettuce.core.StreamMessage;
import io.triggers.shared.config.DeliveryProperties;
import io.triggers.shared.logging.RequestContext;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.stream.StreamEntry;
import io.triggers.shared.time.Timestamps;
import io.triggers.worker.delivery.EndpointGuards.FailedAttempt;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Delivers one stream entry: every delivery still owed for its event is attempted (or skipped for
 * now), each outcome is stored, the event's status follows, and then:
 * <ul>
 * <li>nothing owed any more: the entry is acknowledged (copied to the dead stream first when a
 *     delivery died);</li>
 * <li>something still owed: the entry stays pending, its idle time reset so the retry backoff
 *     counts from now; the {@link Reclaimer} takes it again when the backoff has passed.</li>
 * </ul>
 * Outcomes are stored before the entry is acknowledged, so a crash in between means a repeat,
 * never a loss (at least once).
 */
@Component
final class DeliveryProcessor {

    private static final Logger log = LoggerFactory.getLogger(DeliveryProcessor.class);
    private static final ThrottledLog NOT_STORED = new ThrottledLog(log, Duration.ofSeconds(10));

    /** What became of one owed delivery in this round: SKIPPED was not attempted (and costs no retry step). */
    private enum Result { DELIVERED, RETRY, SKIPPED, DEAD }

    private final DeliveryRepository repository;
    static final String UNSIGNABLE =
            "not sent: the endpoint's signing secret cannot be decrypted (TRIGGERS_ENCRYPTION_KEYS lacks its key)";

    private final WebhookSender sender;
    private final DeliveryStream stream;
    private final InFlightEntries inFlight;
    private final RetrySchedule schedule;
    private final EndpointGuards guards;
    private final WorkerProperties worker;
    private final DatabaseGate gate;
    private final DeliveryMetrics metrics;
    private final Duration disableAfterFailing;

    DeliveryProcessor(DeliveryRepository repository, WebhookSender sender, DeliveryStream stream, InFlightEntries inFlight,
                      RetrySchedule schedule, EndpointGuards guards, WorkerProperties worker, DeliveryProperties delivery,
                      DatabaseGate gate, DeliveryMetrics metrics) {
        this.gate = gate;
        this.metrics = metrics;
        this.repository = repository;
        this.sender = sender;
        this.stream = stream;
        this.inFlight = inFlight;
        this.schedule = schedule;
        this.guards = guards;
        this.worker = worker;
        this.disableAfterFailing = delivery.disableAfterFailing();
    }

    /**
     * Processes an entry this replica holds.
     *
     * @param deliveryCount how many times the entry has been delivered to a consumer, this time included
     */
    Mono<Void> process(StreamMessage<String, String> message, long deliveryCount) {
        String messageId = message.getId();
        StreamEntry entry;
        try {
            entry = StreamEntry.fromFields(message.getBody());
        } catch (IllegalArgumentException e) {
            log.warn("stream entry {} is unreadable and is acknowledged without delivery: {}", messageId, e.getMessage());
            return stream.ack(messageId).then();
        }
        boolean lastTry = schedule.isLast(deliveryCount);
        // Registered as in flight only once subscribed, so an unsubscribed Mono can leave nothing behind.
        return Mono.defer(() -> inFlight.begin(messageId)
                ? deliverEntry(entry, messageId, deliveryCount, lastTry)
                        .timeout(worker.entryDeadline())
                        .onErrorResume(DatabaseGate::isStorageFailure, e -> outcomeNotStored(entry, messageId, deliveryCount, e))
                : Mono.empty());
    }

    /**
     * PostgreSQL failed (or the entry took too long): nothing is acknowledged, the entry stays
     * pending, the worker pauses until PostgreSQL answers again, and this round gives back its
     * retry step, so an outage does not use up an event's retries.
     */
    private Mono<Void> outcomeNotStored(StreamEntry entry, String messageId, long deliveryCount, Throwable failure) {
        gate.closeIfStorageFailure(failure);
        try (RequestContext.Scope request = RequestContext.logging(entry.requestId())) {
            NOT_STORED.warn("entry {} left pending: its outcome could not be stored ({})", messageId, failure.toString());
        }
        return stream.rewind(worker.consumerName(), messageId, Math.max(0, deliveryCount - 1))
                .onErrorResume(e -> Mono.just(0L))
                .then();
    }

    private Mono<Void> deliverEntry(StreamEntry entry, String messageId, long deliveryCount, boolean lastTry) {
        return repository.owed(entry.eventId())
                .flatMap(targets -> deliverAll(entry, targets, lastTry))
                .flatMap(results -> repository.refreshEventStatus(entry.eventId()).thenReturn(results))
                .flatMap(results -> {
                    if (results.getOrDefault(Result.RETRY, 0) > 0) {
                        return stream.touch(worker.consumerName(), List.of(messageId)).then();
                    }
                    if (results.getOrDefault(Result.SKIPPED, 0) > 0) {
                        boolean attempted = results.getOrDefault(Result.DELIVERED, 0) + results.getOrDefault(Result.DEAD, 0) > 0;
                        return stream.rewind(worker.consumerName(), messageId, attempted ? deliveryCount : deliveryCount - 1).then();
                    }
                    Mono<Void> deadLetter = results.getOrDefault(Result.DEAD, 0) == 0 ? Mono.empty()
                            : stream.deadLetter(deadLetterFields(entry, messageId)).then();
                    return deadLetter.then(stream.ack(messageId)).then();
                })
                .doFinally(signal -> inFlight.end(messageId));
    }

    private Mono<Map<Result, Integer>> deliverAll(StreamEntry entry, List<DeliveryTarget> targets, boolean lastTry) {
        if (targets.isEmpty()) {
            return Mono.just(Map.of());
        }
        byte[] body = WebhookBody.render(targets.get(0).event());
        return Flux.fromIterable(targets)
                .flatMap(target -> deliverOne(entry, target, body, lastTry))
                .collect(HashMap::new, (counts, result) -> counts.merge(result, 1, Integer::sum));
    }

    private Mono<Result> deliverOne(StreamEntry entry, DeliveryTarget target, byte[] body, boolean lastTry) {
        Instant now = Timestamps.now();
        if (!target.endpointEnabled()) {
            String reason = "endpoint disabled" + (target.disabledReason() == null ? "" : ": " + target.disabledReason());
            return repository.markDead(target, reason, now).doOnSuccess(done -> metrics.diedUnattempted(target.attempts()))
                    .thenReturn(Result.DEAD);
        }
        if (target.notBefore() != null && target.notBefore().isAfter(now)) {
            return Mono.just(Result.SKIPPED);
        }
        if (target.secrets().isEmpty()) {
            // Nothing can be signed until the operator gives back the key (logged by the repository);
            // a failed attempt shows the reason on the event and retries once it is fixed.
            return record(entry, target, new AttemptOutcome(null, 0, UNSIGNABLE, null, null), lastTry);
        }
        // No slot of the endpoint's free within endpoint-slot-wait: put off (skipped) for now.
        return guards.withSlot(target.endpointId(), () -> sender.send(target, body)
                        .flatMap(outcome -> outcome.endpointUnhealthy() ? Mono.error(new FailedAttempt(outcome)) : Mono.just(outcome))
                        .transformDeferred(CircuitBreakerOperator.of(guards.breaker(target.endpointId())))
                        .onErrorResume(FailedAttempt.class, failed -> Mono.just(failed.outcome)))
                .flatMap(outcome -> record(entry, target, outcome, lastTry))
                .onErrorResume(CallNotPermittedException.class, open -> Mono.just(Result.SKIPPED))
                .defaultIfEmpty(Result.SKIPPED);
    }

    private Mono<Result> record(StreamEntry entry, DeliveryTarget target, AttemptOutcome outcome, boolean lastTry) {
        Instant now = Timestamps.now();
        if (outcome.delivered()) {
            Mono<Void> recovered = target.failingSince() == null ? Mono.empty() : repository.endpointRecovered(target.endpointId());
            if (log.isDebugEnabled()) {
                // The ingest request's id, carried on the entry, is on this delivery's log lines.
                try (RequestContext.Scope request = RequestContext.logging(entry.requestId())) {
                    log.debug("delivered event {} to endpoint {} in {} ms (request {})", entry.eventId(), target.endpointId(),
                            outcome.durationMs(), entry.requestId());
                }
            }
            return repository.recordAttempt(target, outcome, "delivered", null, now).then(recovered)
                    .doOnSuccess(done -> metrics.attempted(outcome, "delivered", target.attempts() + 1, target.event().createdAt()))
                    .thenReturn(Result.DELIVERED);
        }
        boolean dead = lastTry || outcome.gone();
        Instant notBefore = outcome.retryAfter() == null ? null : now.plus(outcome.retryAfter());
        try (RequestContext.Scope request = RequestContext.logging(entry.requestId())) {
            log.info("delivery of event {} to endpoint {} failed (attempt {}, status {}, {}){} (request {})", entry.eventId(),
                    target.endpointId(), target.attempts() + 1, outcome.statusCode(), outcome.error(),
                    dead ? ", no retries left" : "", entry.requestId());
        }
        Mono<Void> endpoint = outcome.gone()
                ? repository.endpointGone(target.endpointId(), now)
                : repository.endpointFailed(target.endpointId(), now, disableAfterFailing);
        return repository.recordAttempt(target, outcome, dead ? "dead" : "failed", dead ? null : notBefore, now)
                .then(endpoint)
                .doOnSuccess(done -> metrics.attempted(outcome, dead ? "dead" : "failed", target.attempts() + 1, target.event().createdAt()))
                .thenReturn(dead ? Result.DEAD : Result.RETRY);
    }

    private static Map<String, String> deadLetterFields(StreamEntry entry, String messageId) {
        Map<String, String> fields = new HashMap<>(entry.toFields());
        fields.put("entry_id", messageId);
        fields.put("dead_at", Timestamps.format(Timestamps.now()));
        return fields;
    }
}
