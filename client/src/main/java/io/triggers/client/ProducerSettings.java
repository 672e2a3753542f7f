package io.triggers.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Producer} batches and how much it holds, after Kafka's producer settings.
 *
 * @param batchSize events per batch call, at most 500 ({@code batch.size})
 * @param linger how long a batch that is not full waits for more events ({@code linger.ms})
 * @param maxInFlight batch calls under way at once ({@code max.in.flight.requests})
 * @param maxBufferedEvents events held, waiting or under way, before {@code send} blocks or fails
 * @param maxBufferedBytes their JSON size in bytes, the same way ({@code buffer.memory})
 * @param whenFull what {@code send} does when the buffer is full
 * @param maxBlock how long {@code send} blocks for room before it fails, with {@link WhenFull#BLOCK} ({@code max.block.ms})
 */
public record ProducerSettings(int batchSize, Duration linger, int maxInFlight, int maxBufferedEvents, long maxBufferedBytes,
                               WhenFull whenFull, Duration maxBlock) {

    /** What {@link Producer#send} does when the buffer is full. */
    public enum WhenFull {
        /** Waits until earlier events have been answered (up to {@code maxBlock}), slowing the caller down to the API's pace. */
        BLOCK,
        /** Fails at once: the future completes with {@link Producer.BufferFullException}. */
        FAIL_FAST
    }

    /** Batches of 500, 5 ms linger, 4 batches in flight, 100 000 events or 64 MiB buffered, blocking up to 60 s. */
    public static final ProducerSettings DEFAULT = new ProducerSettings(500, Duration.ofMillis(5), 4, 100_000, 64L << 20,
            WhenFull.BLOCK, Duration.ofSeconds(60));

    public ProducerSettings {
        if (batchSize < 1 || batchSize > TriggersClient.MAX_BATCH) {
            throw new IllegalArgumentException("batchSize must be 1–" + TriggersClient.MAX_BATCH);
        }
        Objects.requireNonNull(linger, "linger");
        Objects.requireNonNull(whenFull, "whenFull");
        Objects.requireNonNull(maxBlock, "maxBlock");
        if (maxInFlight < 1 || maxBufferedEvents < 1 || maxBufferedBytes < 1 || linger.isNegative()) {
            throw new IllegalArgumentException("maxInFlight and the buffer limits must be positive, linger not negative");
        }
    }

    public ProducerSettings withBatchSize(int batchSize) {
        return new ProducerSettings(batchSize, linger, maxInFlight, maxBufferedEvents, maxBufferedBytes, whenFull, maxBlock);
    }

    public ProducerSettings withLinger(Duration linger) {
        return new ProducerSettings(batchSize, linger, maxInFlight, maxBufferedEvents, maxBufferedBytes, whenFull, maxBlock);
    }

    public ProducerSettings withMaxInFlight(int maxInFlight) {
        return new ProducerSettings(batchSize, linger, maxInFlight, maxBufferedEvents, maxBufferedBytes, whenFull, maxBlock);
    }

    public ProducerSettings withBuffer(int maxEvents, long maxBytes) {
        return new ProducerSettings(batchSize, linger, maxInFlight, maxEvents, maxBytes, whenFull, maxBlock);
    }

    public ProducerSettings withWhenFull(WhenFull whenFull) {
        return new ProducerSettings(batchSize, linger, maxInFlight, maxBufferedEvents, maxBufferedBytes, whenFull, maxBlock);
    }

    public ProducerSettings withMaxBlock(Duration maxBlock) {
        return new ProducerSettings(batchSize, linger, maxInFlight, maxBufferedEvents, maxBufferedBytes, whenFull, maxBlock);
    }
}
