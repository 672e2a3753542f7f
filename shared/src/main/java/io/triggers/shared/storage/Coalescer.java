package io.triggers.shared.storage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Runs concurrent calls of one statement as one statement for many (group commit: the api's event
 * inserts, the worker's lookups and outcomes). A call joins a queue; whenever fewer than
 * {@code maxConcurrent} batches are running, what is queued (up to {@code maxBatchWeight}, in the
 * caller's unit: rows, say) goes out as one batch. There is no timer: a call under light load goes
 * out at once, alone; under heavy load calls pile up while batches run and the next batch takes them.
 *
 * <p>The queue is bounded in weight and in bytes: a call that would go past either is refused at
 * once with the {@code full} error, so a stalled database costs a bounded amount of memory instead
 * of every caller's payload. A call cancelled while queued (its caller stopped waiting) leaves the
 * queue's count at once and is never sent.
 *
 * <p>Two items sharing a conflict key never share a batch (one statement cannot update one row
 * twice); the later waits for the next batch. When a batch of several fails for a reason other than
 * {@code failsEveryone} (say a deadlock with another batch, or one item's bad value), each item goes
 * back to the front of the queue to be tried alone, so an item fails only for its own reasons; those
 * retries count against {@code maxConcurrent} like any batch, and an item whose caller stopped
 * waiting meanwhile is dropped. A batch failing because the database is unreachable fails all its
 * callers.
 *
 * @param <T> one call's input
 * @param <R> one call's result; an item missing from a batch's result map completes its call empty
 */
public final class Coalescer<T, R> {

    /**
     * @param maxBatchWeight  most weight one batch carries (a first item heavier than this goes alone)
     * @param maxConcurrent   most batches running at once
     * @param maxQueuedWeight most weight waiting in the queue
     * @param maxQueuedBytes  most bytes waiting in the queue
     */
    public record Limits(int maxBatchWeight, int maxConcurrent, long maxQueuedWeight, long maxQueuedBytes) {

        public Limits {
            if (maxBatchWeight < 1 || maxConcurrent < 1 || maxQueuedWeight < 1 || maxQueuedBytes < 1) {
                throw new IllegalArgumentException("coalescer limits must be at least 1");
            }
        }
    }

    private static final class Pending<T, R> {
        final T item;
        final MonoSink<R> sink;
        final int weight;
        final long bytes;
        // All guarded by the queue's lock.
        boolean abandoned;
        boolean inQueue;
        boolean alone;

        Pending(T item, MonoSink<R> sink, int weight, long bytes) {
            this.item = item;
            this.sink = sink;
            this.weight = weight;
            this.bytes = bytes;
        }
    }

    private final Function<List<T>, Mono<Map<T, R>>> batch;
    private final Function<T, ? extends Collection<?>> conflictKeys;
    private final ToIntFunction<T> weight;
    private final ToLongFunction<T> bytes;
    private final Predicate<Throwable> failsEveryone;
    private final Limits limits;
    private final Supplier<? extends Throwable> full;
    private final ArrayDeque<Pending<T, R>> queue = new ArrayDeque<>();
    private final AtomicInteger running = new AtomicInteger();
    private long queuedWeight;
    private long queuedBytes;
    private int abandonedInQueue;

    /**
     * @param batch         runs the statement for the items; emits each item's result (or omits it)
     * @param conflictKeys  an item's conflict keys (items sharing one go to different batches); null for no such rule
     * @param weight        an item's weight (rows it carries; 1 for one row)
     * @param bytes         an item's size in memory, roughly
     * @param failsEveryone a batch failure that is not retried item by item (the database is down)
     * @param full          the error a call gets when the queue is full
     */
    public Coalescer(Function<List<T>, Mono<Map<T, R>>> batch, Function<T, ? extends Collection<?>> conflictKeys,
                     ToIntFunction<T> weight, ToLongFunction<T> bytes, Predicate<Throwable> failsEveryone, Limits limits,
                     Supplier<? extends Throwable> full) {
        this.batch = batch;
        this.conflictKeys = conflictKeys;
        this.weight = weight;
        this.bytes = bytes;
        this.failsEveryone = failsEveryone;
        this.limits = limits;
        this.full = full;
    }

    public Mono<R> submit(T item) {
        Objects.requireNonNull(item);
        return Mono.create(sink -> {
            Pending<T, R> pending = new Pending<>(item, sink, weight.applyAsInt(item), bytes.applyAsLong(item));
            sink.onCancel(() -> abandon(pending));
            boolean admitted;
            synchronized (queue) {
                if (pending.abandoned) {
                    return;
                }
                // An empty queue takes any one call, however large.
                admitted = queue.size() == abandonedInQueue
                        || (queuedWeight + pending.weight <= limits.maxQueuedWeight() && queuedBytes + pending.bytes <= limits.maxQueuedBytes());
                if (admitted) {
                    enqueue(pending, false);
                } else {
                    pending.abandoned = true;
                }
            }
            if (admitted) {
                drain();
            } else {
                sink.error(full.get());
            }
        });
    }

    /** Weight waiting in the queue now. */
    public long queuedWeight() {
        synchronized (queue) {
            return queuedWeight;
        }
    }

    /** Bytes waiting in the queue now. */
    public long queuedBytes() {
        synchronized (queue) {
            return queuedBytes;
        }
    }

    private void enqueue(Pending<T, R> pending, boolean atFront) {
        pending.inQueue = true;
        queuedWeight += pending.weight;
        queuedBytes += pending.bytes;
        if (atFront) {
            queue.addFirst(pending);
        } else {
            queue.addLast(pending);
        }
    }

    private void abandon(Pending<T, R> pending) {
        synchronized (queue) {
            pending.abandoned = true;
            if (!pending.inQueue) {
                return;
            }
            pending.inQueue = false;
            queuedWeight -= pending.weight;
            queuedBytes -= pending.bytes;
            abandonedInQueue++;
            // Dropped from the deque in bulk once they are half of it (each removal alone would cost a scan).
            if (abandonedInQueue > 64 && abandonedInQueue * 2 > queue.size()) {
                queue.removeIf(queued -> queued.abandoned);
                abandonedInQueue = 0;
            }
        }
    }

    private void drain() {
        while (true) {
            int current = running.get();
            if (current >= limits.maxConcurrent()) {
                return; // a running batch drains again when it ends
            }
            if (!running.compareAndSet(current, current + 1)) {
                continue;
            }
            List<Pending<T, R>> taken = take();
            if (taken.isEmpty()) {
                running.decrementAndGet();
                // Something may have been queued between take() and the decrement.
                synchronized (queue) {
                    if (queue.size() == abandonedInQueue) {
                        return;
                    }
                }
                continue;
            }
            flush(taken);
        }
    }

    private List<Pending<T, R>> take() {
        List<Pending<T, R>> taken = new ArrayList<>();
        Set<Object> keys = new HashSet<>();
        long takenWeight = 0;
        synchronized (queue) {
            Pending<T, R> next;
            while ((next = queue.peek()) != null) {
                if (next.abandoned) {
                    queue.poll();
                    abandonedInQueue--;
                    continue;
                }
                if (!taken.isEmpty() && (next.alone || takenWeight + next.weight > limits.maxBatchWeight())) {
                    break;
                }
                if (conflictKeys != null) {
                    Collection<?> own = conflictKeys.apply(next.item);
                    if (!taken.isEmpty() && own.stream().anyMatch(keys::contains)) {
                        break;
                    }
                    keys.addAll(own);
                }
                queue.poll();
                next.inQueue = false;
                queuedWeight -= next.weight;
                queuedBytes -= next.bytes;
                taken.add(next);
                takenWeight += next.weight;
                if (next.alone) {
                    break;
                }
            }
        }
        return taken;
    }

    private void flush(List<Pending<T, R>> taken) {
        List<T> items = new ArrayList<>(taken.size());
        taken.forEach(pending -> items.add(pending.item));
        Mono.defer(() -> batch.apply(items))
                .defaultIfEmpty(Map.of())
                .doFinally(signal -> {
                    running.decrementAndGet();
                    drain();
                })
                .subscribe(
                        results -> taken.forEach(pending -> complete(pending.sink, results.get(pending.item))),
                        failure -> {
                            if (taken.size() == 1 || failsEveryone.test(failure)) {
                                taken.forEach(pending -> pending.sink.error(failure));
                                return;
                            }
                            // Each alone, at the front of the queue, through the same limits.
                            synchronized (queue) {
                                for (int i = taken.size() - 1; i >= 0; i--) {
                                    Pending<T, R> pending = taken.get(i);
                                    if (!pending.abandoned) {
                                        pending.alone = true;
                                        enqueue(pending, true);
                                    }
                                }
                            }
                        });
    }

    private static <R> void complete(MonoSink<R> sink, R result) {
        if (result == null) {
            sink.success();
        } else {
            sink.success(result);
        }
    }
}
