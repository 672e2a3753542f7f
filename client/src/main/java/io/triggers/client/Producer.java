package io.triggers.client;

import io.triggers.client.TriggersClient.EncodedEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends events from many threads as batches: {@link #send} buffers the event and returns at once
 * with a future of its event id; one sender thread takes up to {@code batchSize} events whenever a
 * batch is full or the oldest waiting event has lingered long enough, and sends them with
 * {@code POST /v1/events/batch}, up to {@code maxInFlight} batches at a time. Every event carries its
 * idempotency key from the start, so the retries of the items that failed with 429, 503 or 409
 * (and only those) cannot store anything twice.
 *
 * <p>Memory is bounded: events waiting and under way count against {@code maxBufferedEvents} and
 * {@code maxBufferedBytes}; when either is reached, {@code send} blocks or fails as
 * {@link ProducerSettings#whenFull()} says. {@link #flush()} waits for what was sent before it;
 * {@link #close()} sends what is left and stops the sender.
 */
public final class Producer implements AutoCloseable {

    /** The buffer had no room ({@code FAIL_FAST}, or {@code BLOCK} for longer than {@code maxBlock}). */
    public static final class BufferFullException extends IllegalStateException {
        BufferFullException(String message) {
            super(message);
        }
    }

    private record Waiting(EncodedEvent event, CompletableFuture<String> result, long enqueuedNanos) {
    }

    private final TriggersClient client;
    private final ProducerSettings settings;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when events arrive, a flush is asked for or the producer closes: the sender looks again. */
    private final Condition arrived = lock.newCondition();
    /** Signalled when events are answered and room is freed. */
    private final Condition roomFreed = lock.newCondition();
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final Semaphore inFlight;
    private final Thread sender;
    /** Events and bytes held, waiting or under way (guarded by lock). */
    private int bufferedEvents;
    private long bufferedBytes;
    /** Futures not yet completed, for flush (guarded by lock). */
    private final java.util.Set<CompletableFuture<String>> unanswered = new java.util.HashSet<>();
    private int flushing;
    private boolean closed;

    Producer(TriggersClient client, ProducerSettings settings) {
        this.client = client;
        this.settings = settings;
        this.inFlight = new Semaphore(settings.maxInFlight());
        this.sender = new Thread(this::sendLoop, "triggers-producer");
        sender.setDaemon(true);
        sender.start();
    }

    /**
     * Buffers the event and returns a future that completes with its event id once the API stored it
     * (or had stored it under the same key), or with the {@link TriggersException} of its item, or a
     * {@link BufferFullException}. With {@code BLOCK}, waits here for room in the buffer.
     */
    public CompletableFuture<String> send(Event event) {
        EncodedEvent encoded = client.encode(event);
        long size = encoded.json().length;
        CompletableFuture<String> result = new CompletableFuture<>();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the producer is closed");
            }
            long waitNanos = settings.maxBlock().toNanos();
            while (!fits(size)) {
                if (settings.whenFull() == ProducerSettings.WhenFull.FAIL_FAST) {
                    result.completeExceptionally(new BufferFullException("the producer's buffer is full (" + bufferedEvents + " events, "
                            + bufferedBytes + " bytes)"));
                    return result;
                }
                if (waitNanos <= 0) {
                    result.completeExceptionally(new BufferFullException("no room in the producer's buffer within " + settings.maxBlock()));
                    return result;
                }
                try {
                    waitNanos = roomFreed.awaitNanos(waitNanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    result.completeExceptionally(e);
                    return result;
                }
                if (closed) {
                    throw new IllegalStateException("the producer is closed");
                }
            }
            bufferedEvents++;
            bufferedBytes += size;
            waiting.add(new Waiting(encoded, result, System.nanoTime()));
            unanswered.add(result);
            if (waiting.size() == settings.batchSize() || waiting.size() == 1) {
                arrived.signal();
            }
        } finally {
            lock.unlock();
        }
        return result;
    }

    /** An event that alone is larger than the byte limit is still taken when the buffer is empty. */
    private boolean fits(long size) {
        return bufferedEvents == 0 || (bufferedEvents < settings.maxBufferedEvents() && bufferedBytes + size <= settings.maxBufferedBytes());
    }

    /** Sends what is buffered without waiting for the linger, and waits until every event sent before this call is answered. */
    public void flush() {
        List<CompletableFuture<String>> before;
        lock.lock();
        try {
            before = new ArrayList<>(unanswered);
            flushing++;
            arrived.signal();
        } finally {
            lock.unlock();
        }
        try {
            CompletableFuture.allOf(before.toArray(CompletableFuture[]::new)).handle((done, error) -> null).join();
        } finally {
            lock.lock();
            try {
                flushing--;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Events buffered now, waiting or under way. */
    public int buffered() {
        lock.lock();
        try {
            return bufferedEvents;
        } finally {
            lock.unlock();
        }
    }

    /** Sends what is left, waits for every answer, and stops. Later {@code send}s throw. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            arrived.signal();
            roomFreed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            sender.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }

    private void sendLoop() {
        while (true) {
            // A slot first, then the batch: while every slot is taken, events keep filling the next batch.
            try {
                inFlight.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            List<Waiting> batch = nextBatch();
            if (batch == null) {
                inFlight.release();
                return;
            }
            List<EncodedEvent> events = new ArrayList<>(batch.size());
            batch.forEach(item -> events.add(item.event()));
            CompletableFuture<List<BatchResult.Item>> sent;
            try {
                sent = client.sendEncoded(events, System.nanoTime() + clientDeadline());
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
            sent.whenComplete((items, error) -> {
                inFlight.release();
                if (error != null) {
                    fail(batch, TriggersClient.unwrap(error));
                    return;
                }
                for (int i = 0; i < batch.size(); i++) {
                    BatchResult.Item item = items.get(i);
                    if (item.succeeded()) {
                        batch.get(i).result().complete(item.eventId());
                    } else {
                        batch.get(i).result().completeExceptionally(item.error());
                    }
                }
                release(batch);
            });
        }
    }

    private long clientDeadline() {
        return client.retryDeadline().toNanos();
    }

    private void fail(List<Waiting> batch, Throwable error) {
        batch.forEach(item -> item.result().completeExceptionally(error));
        release(batch);
    }

    private void release(List<Waiting> batch) {
        lock.lock();
        try {
            for (Waiting item : batch) {
                bufferedEvents--;
                bufferedBytes -= item.event().json().length;
                unanswered.remove(item.result());
            }
            roomFreed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The next batch: full, or lingered, or whatever is there on flush or close; null when closed and empty. */
    private List<Waiting> nextBatch() {
        lock.lock();
        try {
            while (true) {
                if (waiting.isEmpty()) {
                    if (closed) {
                        return null;
                    }
                    arrived.awaitUninterruptibly();
                    continue;
                }
                long lingerLeft = waiting.peekFirst().enqueuedNanos() + settings.linger().toNanos() - System.nanoTime();
                if (waiting.size() >= settings.batchSize() || lingerLeft <= 0 || closed || flushing > 0) {
                    List<Waiting> batch = new ArrayList<>(Math.min(waiting.size(), settings.batchSize()));
                    while (batch.size() < settings.batchSize() && !waiting.isEmpty()) {
                        batch.add(waiting.pollFirst());
                    }
                    return batch;
                }
                try {
                    arrived.awaitNanos(lingerLeft);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
