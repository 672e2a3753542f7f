package io.triggers.worker.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** An endpoint's in-flight slots: waiting for one, in order, for a bounded time, and none ever lost. */
class EndpointGuardsTest {

    private static EndpointGuards guards(int maxInFlight, Duration slotWait) {
        return guards(maxInFlight, slotWait, Ticker.systemTicker());
    }

    /** Guards whose endpoints are dropped after an hour idle, by {@code clock}. */
    private static EndpointGuards guards(int maxInFlight, Duration slotWait, Ticker clock) {
        return new EndpointGuards(new DeliveryProperties(Duration.ofSeconds(15), List.of(Duration.ofSeconds(5)), false,
                Duration.ofHours(1), maxInFlight, Duration.ofDays(5), Duration.ofSeconds(30), slotWait, List.of(), Duration.ofSeconds(5),
                Duration.ofHours(1)), clock);
    }

    /** A clock the test moves. */
    private static final class Clock implements Ticker {

        private final AtomicLong nanos = new AtomicLong();

        @Override
        public long read() {
            return nanos.get();
        }

        void advance(Duration by) {
            nanos.addAndGet(by.toNanos());
        }
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
        hammer(guards(4, Duration.ofMillis(20)), 4, null);
    }

    @Test
    void anEndpointWithASlotTakenIsNeverDroppedWhileIdleOnesAre() throws Exception {
        Clock clock = new Clock();
        EndpointGuards guards = guards(4, Duration.ofMillis(20), clock);
        // Every moment is an hour later than the last: whenever no slot is taken, the endpoint is idle and dropped.
        hammer(guards, 4, () -> {
            clock.advance(Duration.ofHours(2));
            guards.dropIdle();
        });
    }

    /**
     * Deliveries to one endpoint from 8 threads, some cancelled at random moments, with
     * {@code alongside} (when given) run every 50 µs meanwhile.
     */
    private static void hammer(EndpointGuards guards, int maxInFlight, Runnable alongside) throws Exception {
        UUID endpoint = UUID.randomUUID();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread meanwhile = new Thread(() -> {
            while (running.get() && alongside != null) {
                alongside.run();
                LockSupport.parkNanos(50_000);
            }
        });
        meanwhile.start();
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
        running.set(false);
        meanwhile.join();
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

    @Test
    void anEndpointIdleForTheIdleTimeIsDroppedAndOneWithASlotTakenIsKept() {
        Clock clock = new Clock();
        EndpointGuards guards = guards(1, Duration.ofMillis(200), clock);
        UUID busy = UUID.randomUUID();
        UUID idle = UUID.randomUUID();
        List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        Sinks.One<String> hold = Sinks.one();
        guards.withSlot(busy, () -> work("held", hold, started)).subscribe();
        assertThat(guards.withSlot(idle, () -> Mono.just("done")).block(Duration.ofSeconds(1))).isEqualTo("done");
        assertThat(guards.endpointsKept()).isEqualTo(2);

        clock.advance(Duration.ofMinutes(59));
        guards.dropIdle();
        assertThat(guards.endpointsKept()).isEqualTo(2);
        clock.advance(Duration.ofMinutes(2));
        guards.dropIdle();
        assertThat(guards.endpointsKept()).as("the idle endpoint is dropped").isEqualTo(1);

        // The busy endpoint kept its taken slot: another delivery to it finds none free.
        assertThat(guards.inFlight(busy)).isEqualTo(1);
        assertThat(guards.withSlot(busy, () -> work("second", Sinks.one(), started)).block(Duration.ofSeconds(5))).isNull();
        assertThat(started).containsExactly("held");

        // Once its slot is given back, its idle time counts from then.
        hold.tryEmitValue("done");
        assertThat(guards.inFlight(busy)).isZero();
        clock.advance(Duration.ofMinutes(59));
        guards.dropIdle();
        assertThat(guards.endpointsKept()).isEqualTo(1);
        clock.advance(Duration.ofMinutes(2));
        guards.dropIdle();
        assertThat(guards.endpointsKept()).isZero();
        assertThat(guards.withSlot(busy, () -> Mono.just("again")).block(Duration.ofSeconds(1))).isEqualTo("again");
    }

    @Test
    void aDroppedEndpointComesBackWithAClosedCircuit() {
        Clock clock = new Clock();
        EndpointGuards guards = guards(1, Duration.ofMillis(200), clock);
        UUID endpoint = UUID.randomUUID();
        guards.breaker(endpoint).transitionToOpenState();
        assertThat(guards.countInState(CircuitBreaker.State.OPEN)).isEqualTo(1);
        clock.advance(Duration.ofMinutes(61));
        guards.dropIdle();
        assertThat(guards.countInState(CircuitBreaker.State.OPEN)).isZero();
        assertThat(guards.breaker(endpoint).getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
}
