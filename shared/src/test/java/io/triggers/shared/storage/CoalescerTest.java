package io.triggers.shared.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Concurrent calls share batches; each caller still gets its own result or its own failure; the
 * queue is bounded, and retries after a failed batch go through the same limits.
 */
class CoalescerTest {

    private static final Supplier<RuntimeException> FULL = () -> new IllegalStateException("full");

    /** Weight 1 per item, bytes its length, a queue that never fills. */
    private static Coalescer<String, Integer> coalescer(Function<List<String>, Mono<Map<String, Integer>>> batch,
                                                       Function<String, ? extends Collection<?>> conflictKeys,
                                                       Predicate<Throwable> failsEveryone, int maxBatch, int maxConcurrent) {
        return new Coalescer<>(batch, conflictKeys, item -> 1, String::length, failsEveryone,
                new Coalescer.Limits(maxBatch, maxConcurrent, 1_000_000, 1_000_000_000), FULL);
    }

    /** A batch function whose batches finish only when the test says so. */
    private static final class Batches {
        final List<List<String>> seen = new CopyOnWriteArrayList<>();
        final List<Sinks.Empty<Void>> gates = new CopyOnWriteArrayList<>();

        Mono<Map<String, Integer>> run(List<String> items) {
            seen.add(List.copyOf(items));
            Sinks.Empty<Void> gate = Sinks.empty();
            gates.add(gate);
            return gate.asMono().then(Mono.fromSupplier(() -> {
                if (items.contains("bad") && items.size() > 1) {
                    throw new IllegalStateException("one bad item fails the whole statement");
                }
                if (items.contains("bad")) {
                    throw new IllegalArgumentException("bad item");
                }
                Map<String, Integer> lengths = new HashMap<>();
                items.forEach(item -> lengths.put(item, item.length()));
                return lengths;
            }));
        }

        void openAll() {
            for (int round = 0; round < 10; round++) {
                new ArrayList<>(gates).forEach(gate -> gate.tryEmitEmpty());
            }
        }
    }

    @Test
    void callsMadeWhileABatchRunsGoOutTogetherInTheNext() throws Exception {
        Batches batches = new Batches();
        Coalescer<String, Integer> coalescer = coalescer(batches::run, null, e -> e instanceof TimeoutException, 100, 1);
        CompletableFuture<Integer> first = coalescer.submit("a").toFuture();
        List<CompletableFuture<Integer>> rest = new ArrayList<>();
        for (String item : List.of("bb", "ccc", "dddd")) {
            rest.add(coalescer.submit(item).toFuture());
        }
        assertThat(batches.seen).containsExactly(List.of("a")); // alone and at once under light load
        batches.gates.get(0).tryEmitEmpty();
        assertThat(first.get(1, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(batches.seen).containsExactly(List.of("a"), List.of("bb", "ccc", "dddd"));
        batches.openAll();
        assertThat(rest.get(0).get(1, TimeUnit.SECONDS)).isEqualTo(2);
        assertThat(rest.get(2).get(1, TimeUnit.SECONDS)).isEqualTo(4);
    }

    @Test
    void itemsWithTheSameConflictKeyNeverShareABatch() {
        Batches batches = new Batches();
        Coalescer<String, Integer> coalescer = coalescer(batches::run, item -> List.of(item.charAt(0)), e -> false, 100, 1);
        coalescer.submit("x").subscribe();
        coalescer.submit("a1").subscribe();
        coalescer.submit("b1").subscribe();
        coalescer.submit("a2").subscribe();
        batches.openAll();
        assertThat(batches.seen).containsExactly(List.of("x"), List.of("a1", "b1"), List.of("a2"));
    }

    @Test
    void aBatchFailingForOneItemIsRetriedItemByItem() throws Exception {
        Batches batches = new Batches();
        Coalescer<String, Integer> coalescer = coalescer(batches::run, null, e -> e instanceof TimeoutException, 100, 1);
        coalescer.submit("first").subscribe();
        CompletableFuture<Integer> good = coalescer.submit("good").toFuture();
        CompletableFuture<Integer> bad = coalescer.submit("bad").toFuture();
        batches.openAll();
        assertThat(good.get(1, TimeUnit.SECONDS)).isEqualTo(4);
        assertThat(bad).failsWithin(Duration.ofSeconds(1)).withThrowableThat().withCauseInstanceOf(IllegalArgumentException.class);
        assertThat(batches.seen).contains(List.of("good", "bad"), List.of("good"), List.of("bad"));
    }

    @Test
    void aDatabaseOutageFailsTheWholeBatchWithoutRetries() {
        List<List<String>> seen = new CopyOnWriteArrayList<>();
        Sinks.Empty<Void> hold = Sinks.empty();
        Coalescer<String, Integer> coalescer = coalescer(items -> {
            seen.add(List.copyOf(items));
            return hold.asMono().then(Mono.error(new TimeoutException("database unreachable")));
        }, null, e -> e instanceof TimeoutException, 100, 1);
        CompletableFuture<Integer> a = coalescer.submit("a").toFuture();
        CompletableFuture<Integer> b = coalescer.submit("b").toFuture();
        CompletableFuture<Integer> c = coalescer.submit("c").toFuture();
        hold.tryEmitEmpty();
        assertThat(a).failsWithin(Duration.ofSeconds(1));
        assertThat(b).failsWithin(Duration.ofSeconds(1));
        assertThat(c).failsWithin(Duration.ofSeconds(1));
        assertThat(seen).containsExactly(List.of("a"), List.of("b", "c"));
    }

    @Test
    void aCallCancelledWhileQueuedIsDropped() {
        Batches batches = new Batches();
        Coalescer<String, Integer> coalescer = coalescer(batches::run, null, e -> false, 100, 1);
        coalescer.submit("running").subscribe();
        Disposable gaveUp = coalescer.submit("gave-up").subscribe();
        coalescer.submit("waiting").subscribe();
        gaveUp.dispose();
        batches.openAll();
        assertThat(batches.seen).containsExactly(List.of("running"), List.of("waiting"));
    }

    @Test
    void anItemMissingFromTheResultCompletesEmpty() {
        Coalescer<String, Integer> coalescer = coalescer(items -> Mono.just(Map.of()), null, e -> false, 100, 2);
        assertThat(coalescer.submit("anything").block(Duration.ofSeconds(1))).isNull();
    }

    @Test
    void aFullQueueRefusesAtOnceAndHasRoomAgainWhenAWaitingCallLeaves() {
        Batches batches = new Batches();
        Coalescer<String, Integer> coalescer = new Coalescer<>(batches::run, null, item -> 1, String::length, e -> false,
                new Coalescer.Limits(100, 1, 3, 1_000), FULL);
        coalescer.submit("running").subscribe();
        coalescer.submit("q1").subscribe();
        Disposable leaves = coalescer.submit("q2").subscribe();
        coalescer.submit("q3").subscribe();
        assertThat(coalescer.queuedWeight()).isEqualTo(3);
        assertThat(coalescer.queuedBytes()).isEqualTo(6);

        assertThat(coalescer.submit("q4").toFuture()).as("refused at once, nothing queued")
                .failsWithin(Duration.ofMillis(100)).withThrowableThat().withMessageContaining("full");
        leaves.dispose();
        assertThat(coalescer.queuedWeight()).isEqualTo(2);
        CompletableFuture<Integer> admitted = coalescer.submit("q5").toFuture();
        batches.openAll();
        assertThat(admitted).succeedsWithin(Duration.ofSeconds(1)).isEqualTo(2);
        assertThat(batches.seen).containsExactly(List.of("running"), List.of("q1", "q3", "q5"));
        assertThat(coalescer.queuedWeight()).isZero();
    }

    @Test
    void theQueueIsBoundedInBytesToo() {
        Batches batches = new Batches();
        Coalescer<String, Integer> coalescer = new Coalescer<>(batches::run, null, item -> 1, String::length, e -> false,
                new Coalescer.Limits(100, 1, 1_000, 10), FULL);
        coalescer.submit("running").subscribe();
        coalescer.submit("sixsix").subscribe();
        assertThat(coalescer.submit("sixsix").toFuture()).failsWithin(Duration.ofMillis(100));
        assertThat(coalescer.submit("four").toFuture()).isNotDone();
        batches.openAll();
    }

    @Test
    void afterAFailedBatchItemsAreRetriedAloneOneBatchAtATimeAndOnlyThoseStillWaited() {
        Batches batches = new Batches();
        Coalescer<String, Integer> coalescer = coalescer(batches::run, null, e -> false, 100, 1);
        coalescer.submit("first").subscribe();
        CompletableFuture<Integer> good = coalescer.submit("good").toFuture();
        CompletableFuture<Integer> bad = coalescer.submit("bad").toFuture();
        Disposable gone = coalescer.submit("gone").subscribe();
        batches.gates.get(0).tryEmitEmpty();
        assertThat(batches.seen).containsExactly(List.of("first"), List.of("good", "bad", "gone"));
        gone.dispose(); // its caller stops waiting while the shared statement runs

        batches.gates.get(1).tryEmitEmpty(); // the shared statement fails
        assertThat(batches.seen).as("one retry at a time (max-concurrent 1)").hasSize(3).last().isEqualTo(List.of("good"));
        batches.gates.get(2).tryEmitEmpty();
        assertThat(good).succeedsWithin(Duration.ofSeconds(1)).isEqualTo(4);
        assertThat(batches.seen).hasSize(4).last().isEqualTo(List.of("bad"));
        batches.gates.get(3).tryEmitEmpty();
        assertThat(bad).failsWithin(Duration.ofSeconds(1)).withThrowableThat().withCauseInstanceOf(IllegalArgumentException.class);
        assertThat(batches.seen).as("the abandoned call is not retried").hasSize(4);
    }

    @Test
    void aCallTheQueueRefusedIsNeverSent() {
        Batches batches = new Batches();
        Coalescer<String, Integer> coalescer = new Coalescer<>(batches::run, null, item -> 1, String::length, e -> false,
                new Coalescer.Limits(100, 1, 1, 1_000), FULL);
        coalescer.submit("running").subscribe();
        coalescer.submit("queued").subscribe();
        coalescer.submit("refused").subscribe(value -> { }, error -> { });
        batches.openAll();
        assertThat(batches.seen).containsExactly(List.of("running"), List.of("queued"));
    }
}
