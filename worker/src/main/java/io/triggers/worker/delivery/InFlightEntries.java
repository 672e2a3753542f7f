package io.triggers.worker.delivery;

import io.triggers.shared.logging.ThrottledLog;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The entries this replica is working on. Their idle time is reset every
 * {@code triggers.worker.heartbeat-every} (one script call for all of them), so no other replica's
 * reclaimer takes an entry that is still being delivered here, however slow the receiver. When
 * this replica dies the heartbeats stop, and its entries become due like any failed one.
 */
@Component
final class InFlightEntries implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(InFlightEntries.class);
    private static final ThrottledLog failures = new ThrottledLog(log, Duration.ofSeconds(10));

    private final Set<String> entries = ConcurrentHashMap.newKeySet();
    private final DeliveryStream stream;
    private final WorkerProperties properties;
    private final Sinks.Many<Boolean> drained = Sinks.many().replay().latest();
    private volatile Disposable heartbeat;

    InFlightEntries(DeliveryStream stream, WorkerProperties properties) {
        this.stream = stream;
        this.properties = properties;
    }

    /** Starts tracking an entry; false when it is already being worked on here. */
    boolean begin(String messageId) {
        return entries.add(messageId);
    }

    void end(String messageId) {
        entries.remove(messageId);
        if (entries.isEmpty()) {
            drained.tryEmitNext(true);
        }
    }

    int size() {
        return entries.size();
    }

    /** Completes once nothing is in flight. */
    Mono<Void> whenDrained() {
        return entries.isEmpty() ? Mono.empty() : drained.asFlux().filter(empty -> entries.isEmpty()).next().then();
    }

    @Override
    public void start() {
        heartbeat = Flux.interval(properties.heartbeatEvery())
                .concatMap(tick -> stream.touch(properties.consumerName(), Set.copyOf(entries))
                        .onErrorResume(e -> {
                            failures.warn("could not refresh {} in-flight entries: {}", entries.size(), e.toString());
                            return Mono.empty();
                        }))
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable running = heartbeat;
        heartbeat = null;
        if (running != null) {
            running.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return heartbeat != null;
    }

    /** Stops after the consumer and reclaimer (lower phase stops later). */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 100;
    }
}
