package io.triggers.worker.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.shared.config.DeliveryProperties;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** An endpoint's in-flight slots: waiting for one, in order, for a bounded time, and none ever lost. */
class EndpointGuardsTest {

    private static EndpointGuards guards(int maxInFlight, Duration slotWait) {
        return new EndpointGuards(new DeliveryProperties(Duration.ofSeconds(15), List.of(Duration.ofSeconds(5)), false,
                Duration.ofHours(1), maxInFlight, Duration.ofDays(5), Duration.ofSeconds(30), slotWait, List.of(), Duration.ofSeconds(5), Duration.ofHours(1)));
    }

    /** Work that runs until {@code done} is emitted, and records that it started. */
    private static Mono<String> work(String name, Sinks.One<String> done, List<String> started) {
        return Mono.defer(() -> {
            started.add(name);
            return done.asMono();
        });
    }

    @Test
    void aFreedSlotGoesToTheLongestWaitingCaller() throws Exception {
        EndpointGuards guards = guards(2, Duration.ofSeconds(10));
        UUID endpoint = UUID.randomUUID();
        List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        Sinks.One<String> first = Sinks.one();
        Sinks.One<String> second = Sinks.one();
        Sinks.One<String> third = Sinks.one();
        Sinks.One<String> fourth = Sinks.one();
        CompletableFuture<String> a = guards.withSlot(endpoint, () -> work("a", first, started)).toFuture();
        CompletableFuture<String> b = guards.withSlot(endpoint, () -> work("b", second, started)).toFuture();
        CompletableFuture<String> c = guards.withSlot(endpoint, () -> work("c", third, started)).toFuture();
        CompletableFuture<String> d = guards.withSlot(endpoint, () -> work("d", fourth, started)).toFuture();
        assertThat(started).containsExactly("a", "b");
        assertThat(guards.inFlight(endpoint)).isEqualTo(2);

        first.tryEmitValue("a done");
        assertThat(a.get(1, TimeUnit.SECONDS)).isEqualTo("a done");
        assertThat(started).containsExactly("a", "b", "c");
        assertThat(guards.inFlight(endpoint)).isEqualTo(2);

        second.tryEmitError(new IllegalStateException("failed")); // a failure frees the slot too
        assertThat(b).failsWithin(Duration.ofSeconds(1));
        assertThat(started).containsExactly("a", "b", "c", "d");
        third.tryEmitValue("c done");
        fourth.tryEmitValue("d done");
        assertThat(c.get(1, TimeUnit.SECONDS)).isEqualTo("c done");
        assertThat(d.get(1, TimeUnit.SECONDS)).isEqualTo("d done");
        assertThat(guards.inFlight(endpoint)).isZero();
    }

    @Test
    void aCallerWaitsAtMostTheSlotWaitAndThenRunsNothing() {
        EndpointGuards guards = guards(1, Duration.ofMillis(200));
        UUID endpoint = UUID.randomUUID();
        List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        Sinks.One<String> busy = Sinks.one();
        guards.withSlot(endpoint, () -> work("busy", busy, started)).subscribe();
        long begun = System.nanoTime();
        String none = guards.withSlot(endpoint, () -> work("late", Sinks.one(), started)).block(Duration.ofSeconds(5));
        long waitedMs = (System.nanoTime() - begun) / 1_000_000;
        assertThat(none).isNull();
        assertThat(started).containsExactly("busy");
        assertThat(waitedMs).isBetween(150L, 3_000L);
        busy.tryEmitValue("done");
        assertThat(guards.inFlight(endpoint)).isZero();
        // Another endpoint has its own slots.
        assertThat(guards.withSlot(UUID.randomUUID(), () -> Mono.just("other")).block(Duration.ofSeconds(1))).isEqualTo("other");
    }

    @Test
    void cancellingGivesTheSlotBackWhetherWaitingOrRunning() {
        EndpointGuards guards = guards(1, Duration.ofSeconds(10));
        UUID endpoint = UUID.randomUUID();
        List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        Disposable running = guards.withSlot(endpoint, () -> work("running", Sinks.one(), started)).subscribe();
        Disposable waiting = guards.withSlot(endpoint, () -> work("waiting", Sinks.one(), started)).subscribe();
        waiting.dispose();
        running.dispose();
        assertThat(started).containsExactly("running");
        assertThat(guards.inFlight(endpoint)).isZero();
        assertThat(guards.withSlot(endpoint, () -> Mono.just("next")).block(Duration.ofSeconds(1))).isEqualTo("next");
    }

    @Test
    void underConcurrentUseNoSlotIsLostOrOverbooked() throws Exception {
        int maxInFlight = 4;
        EndpointGuards guards = guards(maxInFlight, Duration.ofMillis(20));
        UUID endpoint = UUID.randomUUID();
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger mostHeld = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        CountDownLatch done = new CountDownLatch(8);
        for (int t = 0; t < 8; t++) {
            long seed = t;
            threads.execute(() -> {
                Random random = new Random(seed);
                try {
                    for (int i = 0; i < 2_000; i++) {
                        Mono<Integer> held = guards.withSlot(endpoint, () -> Mono.fromSupplier(() -> {
                            int now = holding.incrementAndGet();
                            mostHeld.accumulateAndGet(now, Math::max);
                            served.incrementAndGet();
                            return now;
                        }).delayElement(Duration.ofNanos(random.nextInt(200_000)))
                                // Counted down before the slot is given back (doFinally would run after).
                                .doOnTerminate(holding::decrementAndGet)
                                .doOnCancel(holding::decrementAndGet));
                        if (random.nextInt(3) == 0) {
                            // Cancelled at a random moment: waiting, woken, or running.
                            Disposable call = held.subscribe();
                            Thread.sleep(0, random.nextInt(100_000));
                            call.dispose();
                        } else {
                            held.block(Duration.ofSeconds(5));
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    done.countDown();
                }
            });
        }
        assertThat(done.await(120, TimeUnit.SECONDS)).isTrue();
        threads.shutdown();
        assertThat(failures).isEmpty();
        assertThat(mostHeld.get()).isLessThanOrEqualTo(maxInFlight);
        assertThat(served.get()).isGreaterThan(1_000);
        // Every slot came back, whatever raced with what: all of them can be taken at once again.
        CountDownLatch allIn = new CountDownLatch(maxInFlight);
        Sinks.One<String> hold = Sinks.one();
        for (int i = 0; i < maxInFlight; i++) {
            guards.withSlot(endpoint, () -> Mono.defer(() -> {
                allIn.countDown();
                return hold.asMono();
            })).subscribe();
        }
        assertThat(allIn.await(1, TimeUnit.SECONDS)).isTrue();
        hold.tryEmitValue("done");
        assertThat(guards.inFlight(endpoint)).isZero();
    }
}
