package io.triggers.worker.storage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Runs concurrent calls of one statement as one statement for many (the worker's group commit).
 * A call joins a queue; whenever fewer than {@code maxConcurrent} batches are running, everything
 * queued (up to {@code maxBatch} items) goes out as one batch. There is no timer: a call under
 * light load goes out at once, alone; under heavy load calls pile up while batches run and the
 * next batch takes them all.
 *
 * <p>Two items with the same conflict key never share a batch (one statement cannot update one row
 * twice); the later waits for the next batch. A call cancelled while queued (its entry ran out of
 * time) is dropped. When a batch of several fails for a reason other than {@code batchFailure}
 * (say a deadlock with another batch, or one item's bad value), each item is tried again alone,
 * so an item fails only for its own reasons; a batch failing because the database is unreachable
 * fails all its callers, who leave their entries pending.
 *
 * @param <T> one call's input
 * @param <R> one call's result; an item missing from a batch's result map completes its call empty
 */
public final class Coalescer<T, R> {

    private record Pending<T, R>(T item, MonoSink<R> sink, AtomicBoolean abandoned) {
    }

    private final Function<List<T>, Mono<Map<T, R>>> batch;
    private final Function<T, Object> conflictKey;
    private final Predicate<Throwable> failsEveryone;
    private final int maxBatch;
    private final int maxConcurrent;
    private final ArrayDeque<Pending<T, R>> queue = new ArrayDeque<>();
    private final AtomicInteger running = new AtomicInteger();

    /**
     * @param batch         runs the statement for the items; emits each item's result (or omits it)
     * @param conflictKey   items with equal keys go to different batches; null for no such rule
     * @param failsEveryone a batch failure that is not retried item by item (the database is down)
     */
    Coalescer(Function<List<T>, Mono<Map<T, R>>> batch, Function<T, Object> conflictKey, Predicate<Throwable> failsEveryone,
              int maxBatch, int maxConcurrent) {
        if (maxBatch < 1 || maxConcurrent < 1) {
            throw new IllegalArgumentException("maxBatch and maxConcurrent must be at least 1");
        }
        this.batch = batch;
        this.conflictKey = conflictKey;
        this.failsEveryone = failsEveryone;
        this.maxBatch = maxBatch;
        this.maxConcurrent = maxConcurrent;
    }

    Mono<R> submit(T item) {
        Objects.requireNonNull(item);
        return Mono.create(sink -> {
            AtomicBoolean abandoned = new AtomicBoolean();
            sink.onCancel(() -> abandoned.set(true));
            synchronized (queue) {
                queue.add(new Pending<>(item, sink, abandoned));
            }
            drain();
        });
    }

    private void drain() {
        while (true) {
            int current = running.get();
            if (current >= maxConcurrent) {
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
                    if (queue.isEmpty()) {
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
        synchronized (queue) {
            Pending<T, R> next;
            while (taken.size() < maxBatch && (next = queue.peek()) != null) {
                if (next.abandoned().get()) {
                    queue.poll();
                    continue;
                }
                if (conflictKey != null && !keys.add(conflictKey.apply(next.item()))) {
                    break;
                }
                taken.add(queue.poll());
            }
        }
        return taken;
    }

    private void flush(List<Pending<T, R>> taken) {
        List<T> items = new ArrayList<>(taken.size());
        taken.forEach(pending -> items.add(pending.item()));
        Mono.defer(() -> batch.apply(items))
                .defaultIfEmpty(Map.of())
                .doFinally(signal -> {
                    running.decrementAndGet();
                    drain();
                })
                .subscribe(
                        results -> taken.forEach(pending -> complete(pending.sink(), results.get(pending.item()))),
                        failure -> {
                            if (taken.size() == 1 || failsEveryone.test(failure)) {
                                taken.forEach(pending -> pending.sink().error(failure));
                                return;
                            }
                            for (Pending<T, R> pending : taken) {
                                Mono.defer(() -> batch.apply(List.of(pending.item())))
                                        .defaultIfEmpty(Map.of())
                                        .subscribe(results -> complete(pending.sink(), results.get(pending.item())), pending.sink()::error);
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
