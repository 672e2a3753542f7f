package io.triggers.worker.delivery;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.triggers.shared.config.DeliveryProperties;
import io.triggers.shared.logging.RequestContext;
import io.triggers.shared.logging.ThrottledLog;
import io.triggers.shared.storage.StorageFailures;
import io.triggers.shared.time.Timestamps;
import io.triggers.shared.tracing.Traced;
import io.triggers.shared.tracing.Traces;
import io.triggers.worker.WorkerProperties;
import io.triggers.worker.delivery.DeliveryDecisions.Decision;
import io.triggers.worker.delivery.DeliveryDecisions.Kind;
import io.triggers.worker.endpoints.EndpointGuards;
import io.triggers.worker.endpoints.EndpointGuards.FailedAttempt;
import io.triggers.worker.queue.DeliveryQueue;
import io.triggers.worker.queue.Picked;
import io.triggers.worker.sending.WebhookBody;
import io.triggers.worker.sending.WebhookSender;
import io.triggers.worker.storage.DatabaseGate;
import io.triggers.worker.storage.DeliveryRepository;
import io.triggers.worker.storage.DeliveryRepository.EndpointChange;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Makes one delivery the queue handed out (an event to one endpoint): reads what is owed from
 * PostgreSQL, attempts it (or puts it off), stores the outcome and the event's status, and only
 * then settles it in the queue ({@link DeliveryDecisions} says how). A crash before settling
 * means a repeat when the lease runs out, never a loss (at least once).
 */
@Component
public final class DeliveryProcessor {

    private static final Logger log = LoggerFactory.getLogger(DeliveryProcessor.class);
    private static final ThrottledLog NOT_STORED = new ThrottledLog(log, Duration.ofSeconds(10));
    static final String UNSIGNABLE =
            "not sent: the endpoint's signing secret cannot be decrypted (TRIGGERS_ENCRYPTION_KEYS lacks its key)";
    /** A delivery whose outcome could not be stored is tried again this much later (no step used). */
    private static final Duration STORAGE_RETRY = Duration.ofSeconds(1);
    /** How soon a delivery is looked at again when its endpoint was enabled while it was being paused. */
    private static final Duration LOOK_AGAIN = Duration.ofSeconds(1);

    private final DeliveryRepository repository;
    private final WebhookSender sender;
    private final DeliveryQueue queue;
    private final RetrySchedule schedule;
    private final EndpointGuards guards;
    private final WorkerProperties worker;
    private final DatabaseGate gate;
    private final DeliveryMetrics metrics;
    private final Duration disableAfterFailing;
    private final HealthEvents health;
    private final Traces traces;

    DeliveryProcessor(DeliveryRepository repository, WebhookSender sender, DeliveryQueue queue, RetrySchedule schedule,
                      EndpointGuards guards, WorkerProperties worker, DeliveryProperties delivery, DatabaseGate gate,
                      DeliveryMetrics metrics, HealthEvents health, Traces traces) {
        this.repository = repository;
        this.sender = sender;
        this.queue = queue;
        this.schedule = schedule;
        this.guards = guards;
        this.worker = worker;
        this.gate = gate;
        this.metrics = metrics;
        this.disableAfterFailing = delivery.disableAfterFailing();
        this.health = health;
        this.traces = traces;
    }

    /**
     * Processes a delivery this replica holds the lease of.
     *
     * @param attemptEnded run once the HTTP attempt is over (or known not to happen), before its outcome is stored
     */
    public Mono<Void> process(Picked delivery, Runnable attemptEnded) {
        return Mono.defer(() -> repository.owed(delivery.eventId(), delivery.endpointId())
                        .flatMap(target -> deliver(delivery, target, attemptEnded))
                        .switchIfEmpty(Mono.fromSupplier(DeliveryDecisions::notOwed))
                        // A paused delivery leaves its event's status as it was.
                        .flatMap(decision -> "paused".equals(decision.status()) ? Mono.just(decision)
                                : repository.refreshEventStatus(delivery.eventId()).thenReturn(decision))
                        .flatMap(decision -> settle(delivery, decision)))
                .timeout(worker.entryDeadline())
                .onErrorResume(StorageFailures::isStorageFailure, e -> outcomeNotStored(delivery, e));
    }

    /**
     * PostgreSQL failed (or the delivery took too long): the delivery is tried again a little
     * later without using a retry step, and the worker pauses until PostgreSQL answers again.
     */
    private Mono<Void> outcomeNotStored(Picked delivery, Throwable failure) {
        gate.closeIfStorageFailure(failure);
        try (RequestContext.Scope request = RequestContext.logging(delivery.requestId())) {
            NOT_STORED.warn("delivery of event {} to endpoint {} put off: its outcome could not be stored ({})",
                    delivery.eventId(), delivery.endpointId(), failure.toString());
        }
        return queue.retryAt(delivery, System.currentTimeMillis() + STORAGE_RETRY.toMillis(), 0)
                .onErrorResume(e -> Mono.just(false))
                .then();
    }

    private Mono<Void> settle(Picked delivery, Decision decision) {
        long pause = decision.pauseUntil() == null ? 0 : decision.pauseUntil().toEpochMilli();
        if (decision.kind() == Kind.RETRY) {
            return queue.retryAt(delivery, decision.at().toEpochMilli(), pause).then();
        }
        Mono<?> deadLetter = "dead".equals(decision.status()) ? queue.deadLetter(deadLetterFields(delivery)) : Mono.empty();
        return deadLetter.then(queue.acknowledge(delivery, pause)).then();
    }

    private Mono<Decision> deliver(Picked delivery, DeliveryTarget target, Runnable attemptEnded) {
        Instant now = Timestamps.now();
        if (!target.endpointEnabled() && target.disabledReason() == null) {
            // Disabled by hand: the delivery waits for the endpoint to be enabled again. If it has been
            // enabled since it was read, nothing is paused and the delivery is looked at again shortly.
            return repository.markPaused(target, now)
                    .map(paused -> paused ? DeliveryDecisions.endpointPaused() : DeliveryDecisions.lookAgain(now.plus(LOOK_AGAIN)));
        }
        if (!target.endpointEnabled()) {
            String reason = "endpoint disabled" + (target.disabledReason() == null ? "" : ": " + target.disabledReason());
            return repository.markDead(target, reason, now)
                    .doOnSuccess(done -> metrics.diedUnattempted(target.attempts()))
                    .flatMap(died -> died ? health.deliveryDead(target, reason) : Mono.<Void>empty())
                    .thenReturn(DeliveryDecisions.endpointDisabled());
        }
        if (target.notBefore() != null && target.notBefore().isAfter(now)) {
            return Mono.just(DeliveryDecisions.putOff(target.notBefore()));
        }
        if (target.secrets().isEmpty()) {
            // Nothing can be signed until the operator gives back the key (logged by the repository);
            // a failed attempt shows the reason on the event and retries once it is fixed.
            return record(delivery, target, new AttemptOutcome(null, 0, UNSIGNABLE, null, null), attemptTrace(delivery));
        }
        byte[] body = WebhookBody.render(target.event());
        // The attempt's span starts when the request is made: not when the circuit breaker refuses it.
        Traced[] trace = new Traced[1];
        return Mono.defer(() -> {
                    trace[0] = attemptTrace(delivery);
                    return sender.send(target, body, trace[0].traceparent());
                })
                .doFinally(signal -> attemptEnded.run())
                .flatMap(outcome -> outcome.endpointUnhealthy() ? Mono.error(new FailedAttempt(outcome)) : Mono.just(outcome))
                .transformDeferred(CircuitBreakerOperator.of(guards.breaker(target.endpointId())))
                .onErrorResume(FailedAttempt.class, failed -> Mono.just(failed.outcome))
                .flatMap(outcome -> record(delivery, target, outcome, trace[0]))
                .onErrorResume(CallNotPermittedException.class,
                        open -> Mono.just(DeliveryDecisions.putOff(Timestamps.now().plus(guards.openFor()))));
    }

    /**
     * The span of one attempt: a child of the event's ingest span (its trace context travels on the
     * queue entry); an entry without one (an unsampled event the api started the trace of, an
     * operational or test event, one queued before tracing) is an unsampled trace named by the event's id.
     */
    private Traced attemptTrace(Picked delivery) {
        return traces.call(Traces.ATTEMPT, delivery.traceParent(), delivery.eventId());
    }

    private Mono<Decision> record(Picked delivery, DeliveryTarget target, AttemptOutcome outcome, Traced trace) {
        Instant now = Timestamps.now();
        int attempt = target.attempts() + 1;
        // The retry step follows the attempts since the schedule (re)started: a replay starts it over,
        // a re-queue (the reconciler, Redis lost its keys) does not.
        Decision decision = DeliveryDecisions.afterAttempt(outcome, target.attemptsInSchedule() + 1,
                target.retrySchedule() == null ? schedule : new RetrySchedule(target.retrySchedule()), now,
                delivery.eventId() + "/" + delivery.endpointId());
        if (trace.recording()) {
            endAttemptSpan(trace, delivery, target, outcome, decision, attempt);
        }
        if (outcome.delivered()) {
            Mono<Void> recovered = target.failingSince() == null ? Mono.empty()
                    : repository.endpointRecovered(target.endpointId()).flatMap(change -> health.endpointRecovered(target, change));
            if (log.isDebugEnabled()) {
                try (RequestContext.Scope request = RequestContext.logging(delivery.requestId())) {
                    log.debug("delivered event {} to endpoint {} in {} ms (request {})", delivery.eventId(), target.endpointId(),
                            outcome.durationMs(), delivery.requestId());
                }
            }
            return repository.recordAttempt(target, outcome, "delivered", null, now).then(recovered)
                    .doOnSuccess(done -> metrics.attempted(outcome, "delivered", attempt, target.event().createdAt()))
                    .thenReturn(decision);
        }
        boolean dead = "dead".equals(decision.status());
        try (RequestContext.Scope request = RequestContext.logging(delivery.requestId())) {
            log.info("delivery of event {} to endpoint {} failed (attempt {}, status {}, {}){} (request {})", delivery.eventId(),
                    target.endpointId(), attempt, outcome.statusCode(), outcome.error(),
                    dead ? ", no retries left" : "", delivery.requestId());
        }
        // The endpoint's run of failures is written when it starts and when it may have become long
        // enough to disable the endpoint, not on every failure: concurrent failures would queue on its row.
        boolean runChanges = target.failingSince() == null || !target.failingSince().plus(disableAfterFailing).isAfter(now);
        Mono<Void> endpoint = (outcome.gone()
                ? repository.endpointGone(target.endpointId(), now)
                : runChanges ? repository.endpointFailed(target.endpointId(), now, disableAfterFailing) : Mono.<EndpointChange>empty())
                .flatMap(disabled -> health.endpointDisabled(target, disabled));
        Mono<Void> died = dead ? health.deliveryDead(target, DeliveryRepository.lastError(outcome)) : Mono.empty();
        return repository.recordAttempt(target, outcome, decision.status(), dead ? null : decision.at(), now)
                .then(endpoint)
                .then(died)
                .doOnSuccess(done -> metrics.attempted(outcome, decision.status(), attempt, target.event().createdAt()))
                .thenReturn(decision);
    }

    /** Tags the attempt's span with what it did and how it ended (never the payload, the URL or a secret), and ends it. */
    private static void endAttemptSpan(Traced trace, Picked delivery, DeliveryTarget target, AttemptOutcome outcome,
                                       Decision decision, int attempt) {
        trace.tag("http.request.method", "POST")
                .tag("triggers.event_id", delivery.eventId().toString())
                .tag("triggers.event_type", target.event().eventType())
                .tag("triggers.endpoint_id", target.endpointId().toString())
                .tag("triggers.organization_id", delivery.organizationId().toString())
                .tag("triggers.attempt", attempt)
                .tag("triggers.outcome", decision.status())
                .tag("triggers.duration_ms", outcome.durationMs());
        if (outcome.statusCode() != null) {
            trace.tag("http.response.status_code", outcome.statusCode());
        }
        if (!outcome.delivered()) {
            trace.failed(outcome.statusCode() != null ? Integer.toString(outcome.statusCode()) : errorType(outcome.error()));
        }
        trace.end();
    }

    /** A short, bounded type of a failure without an answer (its description may name hosts and addresses). */
    private static String errorType(String error) {
        if (error == null) {
            return "error";
        }
        if (error.startsWith("timeout")) {
            return "timeout";
        }
        if (error.startsWith("connection failed")) {
            return "connection_failed";
        }
        if (error.equals(UNSIGNABLE)) {
            return "unsignable";
        }
        return error.startsWith("unknown host") ? "unknown_host" : "refused_or_failed";
    }

    private static Map<String, String> deadLetterFields(Picked delivery) {
        Map<String, String> fields = new HashMap<>();
        fields.put("event_id", delivery.eventId().toString());
        fields.put("endpoint_id", delivery.endpointId().toString());
        fields.put("organization_id", delivery.organizationId().toString());
        if (!delivery.requestId().isEmpty()) {
            fields.put("request_id", delivery.requestId());
        }
        fields.put("entry_id", delivery.entryId());
        fields.put("dead_at", Timestamps.format(Timestamps.now()));
        return fields;
    }
}
