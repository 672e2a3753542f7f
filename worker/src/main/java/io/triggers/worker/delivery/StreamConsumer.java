package io.triggers.worker.delivery;

import io.triggers.shared.logging.ThrottledLog;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Reads new entries for this replica's consumer with XREADGROUP and hands each to the
 * {@link DeliveryProcessor}, at most {@code concurrency} at a time. Reading pauses while every
 * slot is busy (backpressure), so a replica never takes more than it can work on, and while
 * PostgreSQL is down ({@link DatabaseGate}). A failed read (Redis gone, group gone) is retried with
 * backoff, recreating the group first when it vanished.
 *
 * <p>Stopping (SIGTERM) is graceful: no new reads, in-flight deliveries get up to
 * {@code shutdown-timeout} to finish, and whatever is left stays pending for other replicas.
 */
@Component
public final class StreamConsumer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(StreamConsumer.class);
    private static final ThrottledLog readFailures = new ThrottledLog(log, Duration.ofSeconds(10));
    private static final ThrottledLog notProcessed = new ThrottledLog(log, Duration.ofSeconds(10));

    private final DeliveryStream stream;
    private final DeliveryProcessor processor;
    private final InFlightEntries inFlight;
    private final WorkerProperties properties;
    private final DatabaseGate gate;
    private volatile Disposable loop;
    private volatile boolean stopping;
    private volatile CountDownLatch finished;
    private volatile Duration shutdownOverride;

    public StreamConsumer(DeliveryStream stream, DeliveryProcessor processor, InFlightEntries inFlight, WorkerProperties properties,
                          DatabaseGate gate) {
        this.gate = gate;
        this.stream = stream;
        this.processor = processor;
        this.inFlight = inFlight;
        this.properties = properties;
    }

    @Override
    public void start() {
        try {
            stream.ensureGroup().block(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            // Not fatal: the read loop below recreates the group when Redis answers again.
            log.warn("could not create the consumer group yet: {}", e.toString());
        }
        log.info("consuming {} as {} (batch {}, concurrency {})", stream.key(), properties.consumerName(),
                properties.batchSize(), properties.concurrency());
        stopping = false;
        CountDownLatch done = new CountDownLatch(1);
        finished = done;
        // Nothing is read while PostgreSQL is down (see DatabaseGate): outcomes could not be stored.
        loop = Flux.defer(() -> gate.whenOpen().thenMany(stream.read(properties.consumerName(), properties.batchSize(), properties.readBlock())))
                .repeat(() -> !stopping)
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100))
                        .maxBackoff(Duration.ofSeconds(5))
                        .filter(e -> !stopping)
                        .doBeforeRetryAsync(signal -> {
                            readFailures.warn("reading {} failed, retrying: {}", stream.key(), signal.failure().toString());
                            return DeliveryStream.isMissingGroup(signal.failure())
                                    ? stream.ensureGroup().onErrorResume(e -> Mono.empty())
                                    : Mono.empty();
                        }))
                .flatMap(message -> processor.process(message, 1)
                        .onErrorResume(e -> {
                            // Not acknowledged: the entry stays pending and is delivered again later.
                            notProcessed.warn("entry {} not processed, left pending: {}", message.getId(), e.toString());
                            return Mono.empty();
                        }), properties.concurrency())
                .doFinally(signal -> done.countDown())
                .subscribe(null, e -> log.error("stream consumer stopped", e));
    }

    @Override
    public void stop() {
        stopping = true;
        Disposable running = loop;
        CountDownLatch done = finished;
        if (running == null) {
            return;
        }
        Duration timeout = shutdownOverride != null ? shutdownOverride : properties.shutdownTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            // The current XREADGROUP returns within read-block; then in-flight deliveries finish.
            boolean readsDone = done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            inFlight.whenDrained().block(left.isZero() ? Duration.ofMillis(1) : left);
            log.info("stopped consuming{}", readsDone ? "" : " (reads did not end in time)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IllegalStateException notDrained) {
            log.warn("{} deliveries still in flight after {}; they stay pending for other replicas",
                    inFlight.size(), timeout);
        } finally {
            running.dispose();
            loop = null;
        }
    }

    /**
     * Stops within {@code deadline}, cutting off whatever is still in flight then (it stays pending
     * for other replicas). For operators' tooling and tests of crash recovery.
     */
    public void abandon(Duration deadline) {
        shutdownOverride = deadline;
        stop();
    }

    @Override
    public boolean isRunning() {
        return loop != null;
    }

    /** Stops after the reclaimer (a lower phase stops later), so nothing new is claimed while this drains. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 10;
    }
}
