package io.triggers.worker.delivery;

import java.time.Duration;
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
 * slot is busy (backpressure), so a replica never takes more than it can work on. A failed read
 * (Redis gone, group gone) is retried with backoff, recreating the group first when it vanished.
 */
@Component
public final class StreamConsumer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(StreamConsumer.class);

    private final DeliveryStream stream;
    private final DeliveryProcessor processor;
    private final WorkerProperties properties;
    private volatile Disposable loop;

    public StreamConsumer(DeliveryStream stream, DeliveryProcessor processor, WorkerProperties properties) {
        this.stream = stream;
        this.processor = processor;
        this.properties = properties;
    }

    @Override
    public void start() {
        stream.ensureGroup().block(Duration.ofSeconds(10));
        log.info("consuming {} as {} (batch {}, concurrency {})", stream.key(), properties.consumerName(),
                properties.batchSize(), properties.concurrency());
        loop = Flux.defer(() -> stream.read(properties.consumerName(), properties.batchSize(), properties.readBlock()))
                .repeat()
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100))
                        .maxBackoff(Duration.ofSeconds(5))
                        .doBeforeRetryAsync(signal -> {
                            log.warn("reading {} failed, retrying: {}", stream.key(), signal.failure().toString());
                            return DeliveryStream.isMissingGroup(signal.failure())
                                    ? stream.ensureGroup().onErrorResume(e -> Mono.empty())
                                    : Mono.empty();
                        }))
                .flatMap(message -> processor.process(message)
                        .onErrorResume(e -> {
                            // Not acknowledged: the entry stays pending and is delivered again later.
                            log.warn("entry {} not processed, left pending: {}", message.getId(), e.toString());
                            return Mono.empty();
                        }), properties.concurrency())
                .subscribe(null, e -> log.error("stream consumer stopped", e));
    }

    @Override
    public void stop() {
        Disposable running = loop;
        if (running != null) {
            running.dispose();
        }
        loop = null;
    }

    @Override
    public boolean isRunning() {
        return loop != null;
    }
}
