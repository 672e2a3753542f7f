package io.triggers.worker.storage;

import io.triggers.shared.storage.StorageFailures;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Pauses delivery while PostgreSQL is unreachable. An outcome that cannot be stored must not be
 * acknowledged, so there is no point in taking deliveries from the queue meanwhile: the first
 * storage failure closes the gate, the dispatcher stops picking, and a {@code SELECT 1} every
 * second opens it again once PostgreSQL answers. Deliveries that failed are due again shortly.
 */
@Component
public final class DatabaseGate implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DatabaseGate.class);
    private static final Duration PROBE_EVERY = Duration.ofSeconds(1);
    private static final Duration WAIT_STEP = Duration.ofMillis(100);

    private final DatabaseClient db;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Disposable probing;
    private volatile boolean running;

    DatabaseGate(DatabaseClient db) {
        this.db = db;
    }

    /** Closes the gate if {@code failure} is a storage failure; emits whether it was one. */
    public boolean closeIfStorageFailure(Throwable failure) {
        if (!StorageFailures.isStorageFailure(failure)) {
            return false;
        }
        if (closed.compareAndSet(false, true)) {
            log.warn("PostgreSQL is failing ({}); delivery pauses until it answers again", failure.toString());
            // A probe that outlasts the interval drops the ticks meanwhile (an overflow would end probing for good).
            probing = Flux.interval(PROBE_EVERY)
                    .onBackpressureDrop()
                    .concatMap(tick -> db.sql("SELECT 1").map(row -> 1).one()
                            .timeout(PROBE_EVERY)
                            .thenReturn(true)
                            .onErrorReturn(false), 1)
                    .filter(Boolean::booleanValue)
                    .next()
                    .subscribe(up -> open());
        }
        return true;
    }

    private void open() {
        if (closed.compareAndSet(true, false)) {
            log.info("PostgreSQL answers again; delivery resumes");
        }
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /** Completes at once while the gate is open, otherwise within 100 ms of its opening again. */
    public Mono<Void> whenOpen() {
        return Mono.defer(() -> isOpen() ? Mono.empty() : Flux.interval(WAIT_STEP).filter(tick -> isOpen()).next().then());
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        Disposable probe = probing;
        if (probe != null) {
            probe.dispose();
        }
        // Whoever waits is let go (the consumer is stopping anyway).
        closed.set(false);
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
