package io.triggers.worker.delivery;

import io.lettuce.core.models.stream.PendingMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Retries through the consumer group's pending list. Every {@code reclaim-every} it reads
 * XPENDING (with IDLE) and XCLAIMs each entry whose idle time has passed the backoff for its
 * delivery count, then processes it. That one mechanism serves both retries (a failed entry stays
 * pending, its idle time reset at the failure) and crash recovery (a dead replica's entries stop
 * being refreshed by its heartbeat, so they come due like failed ones). XCLAIM's min-idle
 * argument makes sure two replicas never both take an entry. It also trims acknowledged entries
 * every {@code trim-every}.
 */
@Component
final class Reclaimer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Reclaimer.class);
    private static final int PAGE = 500;

    private final DeliveryStream stream;
    private final DeliveryProcessor processor;
    private final InFlightEntries inFlight;
    private final RetrySchedule schedule;
    private final WorkerProperties properties;
    private final DatabaseGate gate;
    private volatile Disposable reclaiming;
    private volatile Disposable trimming;
    private volatile boolean stopping;

    Reclaimer(DeliveryStream stream, DeliveryProcessor processor, InFlightEntries inFlight, RetrySchedule schedule,
              WorkerProperties properties, DatabaseGate gate) {
        this.gate = gate;
        this.stream = stream;
        this.processor = processor;
        this.inFlight = inFlight;
        this.schedule = schedule;
        this.properties = properties;
    }

    /** One scan: claims and starts processing what is due, within this replica's free capacity. */
    Mono<Integer> reclaimDue() {
        int room = properties.concurrency() - inFlight.size();
        // While PostgreSQL is down, claiming would only count deliveries that cannot be made.
        if (room <= 0 || stopping || !gate.isOpen()) {
            return Mono.just(0);
        }
        return stream.pending(schedule.shortestBackoff(), PAGE)
                .flatMapMany(Flux::fromIterable)
                .filter(pending -> pending.getMsSinceLastDelivery() >= schedule.backoff(pending.getId(), pending.getRedeliveryCount()).toMillis())
                .take(room)
                .concatMap(this::claim)
                .count()
                .map(Long::intValue);
    }

    private Mono<Boolean> claim(PendingMessage pending) {
        return stream.claim(properties.consumerName(), pending.getId(), schedule.backoff(pending.getId(), pending.getRedeliveryCount()))
                .map(message -> {
                    // Processed on its own, so a slow receiver does not hold up the next scan.
                    processor.process(message, pending.getRedeliveryCount() + 1)
                            .onErrorResume(e -> {
                                log.warn("reclaimed entry {} not processed, left pending: {}", pending.getId(), e.toString());
                                return Mono.empty();
                            })
                            .subscribe();
                    return true;
                });
    }

    @Override
    public void start() {
        stopping = false;
        reclaiming = Periodically.run(properties.reclaimEvery(), () -> reclaimDue().onErrorResume(DeliveryStream::isMissingGroup,
                e -> stream.ensureGroup().thenReturn(0)), log, "reclaiming pending entries");
        trimming = Periodically.run(properties.trimEvery(), stream::trimAcknowledged, log, "trimming the stream");
    }

    @Override
    public void stop() {
        stopping = true;
        for (Disposable running : new Disposable[] {reclaiming, trimming}) {
            if (running != null) {
                running.dispose();
            }
        }
        reclaiming = null;
        trimming = null;
    }

    @Override
    public boolean isRunning() {
        return reclaiming != null;
    }
}
