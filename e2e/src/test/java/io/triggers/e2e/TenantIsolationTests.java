package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.WebhookReceiver;
import io.triggers.testing.WebhookReceiver.Received;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tenant isolation (issue 14), end to end and black box: one organization's backlog, slow receiver
 * or dead receiver never delays another's webhooks, retries come on time whatever else is pending,
 * an endpoint's {@code rate_limit_per_second} holds across worker replicas, and a dead worker's
 * deliveries are recovered wherever they sit in the queue. Only the HTTP API and loopback receivers
 * are used, so the tests hold whatever the queue looks like inside; {@link TenantIsolationTest} runs
 * them on the standalone test Redis, {@link TenantIsolationClusterTest} on a Redis Cluster.
 *
 * <p>The deadlines are correctness bounds with wide margins, not speed targets: before the fair
 * queue, the same shapes took 20 s or never finished. Times are taken from the event's
 * {@code created_at} (the api's answer) to the receiver's clock, both this machine's.
 *
 * <p>The "dead" endpoints answer {@value #DEAD_STATUS}: every attempt fails and is retried on the
 * schedule, but, unlike a 5xx, it does not open the endpoint's circuit breaker, which would park
 * the deliveries without attempting them (and make "every event attempted" unreachable in a test's
 * time). The retry schedule is {@value #SCHEDULE}: a quiet organization's first retry is due after
 * 1 s (±20 % jitter), and a dead neighbour's entries, once retried, wait an hour. Set-ups wait for
 * "~all" (95 %) of a neighbour's events to reach the state they need, so that a few stragglers on a
 * busy machine do not fail a test before it has measured anything.
 */
abstract class TenantIsolationTests {

    /** The service's retry schedule in these tests (±20 % jitter on each step). */
    static final String SCHEDULE = "1s,1h";
    /** What a dead endpoint answers: a failed attempt (retried) that does not trip the circuit breaker. */
    static final int DEAD_STATUS = 422;
    /** A quiet organization's event reaches its receiver within this of its ingest. */
    static final Duration QUIET_DELIVERY = Duration.ofSeconds(2);
    /** A retry comes no earlier than the first step less its jitter (1 s − 20 %)... */
    static final Duration RETRY_EARLIEST = Duration.ofMillis(800);
    /** ...and no later than the step plus its jitter plus one second (1 s + 20 % + 1 s). */
    static final Duration RETRY_LATEST = Duration.ofMillis(2200);
    /** A dead worker's hold on what it was delivering ({@code triggers.worker.lease}). */
    static final Duration LEASE = Duration.ofSeconds(2);
    /** Set-ups (ingesting and attempting a neighbour's backlog) are given this long. */
    static final Duration SETUP = Duration.ofSeconds(120);

    static final Map<String, String> SETTINGS = Map.of(
            "triggers.delivery.retry-schedule", SCHEDULE,
            "triggers.worker.lease", LEASE.toSeconds() + "s",
            // Closing the service does not wait for deliveries to a slow receiver to finish.
            "triggers.worker.shutdown-timeout", "2s");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A service with these settings, on the Redis this subclass tests with; not started yet. */
    abstract RunningService.Builder service(Map<String, String> settings);

    @Test
    void aQuietOrganizationsEventsArriveOnTimeBehindASlowNeighboursBacklog() {
        try (RunningService service = service(SETTINGS).start();
             WebhookReceiver slow = WebhookReceiver.start().respondWith(request -> {
                 pause(Duration.ofSeconds(2));
                 return 200;
             });
             WebhookReceiver quietReceiver = WebhookReceiver.start()) {
            String noisy = service.newUnlimitedOrganizationKey("noisy-slow");
            service.newEndpoint(noisy, slow.url("/slow"));
            service.ingestBatch(noisy, events("isolation.backlog", 3000));
            // The worker is busy with the backlog (which takes minutes at 2 s an answer).
            awaitSetup("the slow endpoint's first request", () -> !slow.received().isEmpty(), () -> "none yet");

            QuietOrganization quiet = new QuietOrganization(service, quietReceiver, "quiet-behind-slow");
            quiet.send(20, Duration.ofMillis(100), i -> false);

            quiet.assertOnTime();
        }
    }

    @Test
    void aQuietOrganizationsEventsAndRetriesAreOnTimeBesideADeadNeighboursRetries() {
        try (RunningService service = service(SETTINGS).start();
             WebhookReceiver dead = WebhookReceiver.start();
             WebhookReceiver quietReceiver = WebhookReceiver.start()) {
            Attempts deadAttempts = deadNeighbour(service, dead, "noisy-dead", "isolation.failing", 1500);
            // (Nearly) every one failed once: 1 500 retries pending (coming due from 0.8 s on, then waiting an hour).
            awaitSetup("the dead endpoint's first attempt of ~all (95 %) of 1 500 events", () -> deadAttempts.eventsAttempted(1) >= 1425,
                    deadAttempts::describe);

            QuietOrganization quiet = new QuietOrganization(service, quietReceiver, "quiet-beside-dead");
            // Every fourth event's first attempt is answered 500: five retries due after 1 s.
            quiet.send(20, Duration.ofMillis(100), i -> i % 4 == 1);

            quiet.assertOnTime();
        }
    }

    @Test
    void aQuietRetryFiresOnTimeWithTwentyThousandOtherEntriesPending() {
        try (RunningService service = service(SETTINGS).start();
             WebhookReceiver dead = WebhookReceiver.start();
             WebhookReceiver quietReceiver = WebhookReceiver.start()) {
            Attempts deadAttempts = deadNeighbour(service, dead, "noisy-pending", "isolation.pending", 20_000);
            // Attempted, retried after 1 s, failed again: (nearly) every one now waits out the 1 h step.
            awaitSetup("two attempts of ~all (95 %) of 20 000 events (so that they wait out the 1 h step)",
                    Duration.ofMinutes(5), () -> deadAttempts.eventsAttempted(2) >= 19_000, deadAttempts::describe);

            QuietOrganization quiet = new QuietOrganization(service, quietReceiver, "quiet-beside-pending");
            // One in four fails its first attempt: enough retries to see, too few to open the endpoint's
            // circuit (half of five calls failing would pause the endpoint, by design).
            quiet.send(20, Duration.ofMillis(100), i -> i % 4 == 1);

            quiet.assertOnTime();
        }
    }

    /**
     * An endpoint limited to 5 deliveries a second, two worker replicas, 40 events queued at once.
     * Margins: the overall rate at the receiver may be 10 % over the limit (5.5/s: 40 arrivals span at
     * least 7.1 s; one limit per replica would make 10/s), and any arrival is at least 300 ms after the
     * one before the previous (two 200 ms intervals, less 100 ms for the send path: connection,
     * scheduling, a GC pause on a busy 2-core machine). One arrival held up on its way shortens only
     * the gap after it (a full run once measured 303 ms then 96 ms, 399 ms over the two); a burst
     * allowance puts two or three arrivals within a few milliseconds, and two replicas each keeping
     * the limit on their own about 100 ms apart, and both fail. The first two arrivals are left out
     * of that check: the replica started here makes its first request ever, and its cold start
     * (connection, address check, class loading) held one up by 200 ms, into the next one.
     */
    @Test
    void anEndpointsRateLimitHoldsAcrossTwoWorkerReplicas() {
        try (RunningService service = service(SETTINGS).start();
             WebhookReceiver receiver = WebhookReceiver.start()) {
            service.startWorker(Map.of());
            String key = service.newOrganizationKey("limited");
            Response created = service.call("POST", "/v1/endpoints", key,
                    "{\"url\":\"" + receiver.url("/limited") + "\",\"rate_limit_per_second\":5}");
            assertThat(created.status()).as("endpoint with rate_limit_per_second created: %s", created.body()).isEqualTo(201);
            assertThat(created.body().path("rate_limit_per_second").intValue()).isEqualTo(5);
            List<String> events = service.ingestBatch(key, events("isolation.limited", 40));

            awaitSetup("all 40 events at the rate-limited endpoint", Duration.ofSeconds(40),
                    () -> receiver.received().stream().map(r -> r.header("webhook-id")).collect(Collectors.toSet()).containsAll(events),
                    () -> receiver.received().size() + " requests received");

            List<Instant> arrivals = receiver.received().stream().map(Received::receivedAt).sorted().toList();
            long spanMs = Duration.between(arrivals.get(0), arrivals.get(arrivals.size() - 1)).toMillis();
            double rate = (arrivals.size() - 1) * 1000.0 / Math.max(spanMs, 1);
            List<Long> gaps = IntStream.range(1, arrivals.size())
                    .mapToObj(i -> Duration.between(arrivals.get(i - 1), arrivals.get(i)).toMillis()).toList();
            long distinctConnections = receiver.received().stream().map(Received::clientPort).distinct().count();
            System.out.printf("rate_limit_per_second 5, two replicas: %d requests over %d ms (%.2f/s), smallest gap %d ms, "
                    + "%d client connections; gaps %s%n", arrivals.size(), spanMs, rate, gaps.stream().mapToLong(Long::longValue).min().orElse(0),
                    distinctConnections, gaps);
            assertThat(rate).as("arrivals per second (limit 5, margin 10 percent)").isLessThanOrEqualTo(5.5);
            List<Long> pairs = IntStream.range(4, arrivals.size())
                    .mapToObj(i -> Duration.between(arrivals.get(i - 2), arrivals.get(i)).toMillis()).toList();
            assertThat(pairs).as("milliseconds from each arrival to the one after next (limit 5/s: 400 ms; margin 100 ms)")
                    .allSatisfy(gap -> assertThat(gap).isGreaterThanOrEqualTo(300L));
        }
    }

    /**
     * A worker killed (SIGKILL) while it delivers to a hanging endpoint, with 600+ other deliveries ahead
     * of them in the queue waiting out a 1 h retry step: a worker started afterwards delivers every one
     * of the killed worker's deliveries within the lease plus 8 s (for its first scans on a busy
     * machine), counted from when it is up. Here the schedule's first step is the hour, so what was in
     * flight is recovered by the lease running out, not by a retry coming due.
     */
    @Test
    void aDeadWorkersDeliveriesAreRecoveredBehindManyPendingRetries() {
        Map<String, String> settings = new HashMap<>(SETTINGS);
        settings.put("triggers.delivery.retry-schedule", "1h");
        CountDownLatch release = new CountDownLatch(1);
        try (RunningService service = service(settings).workers(0).start();
             WebhookReceiver dead = WebhookReceiver.start();
             WebhookReceiver hanging = WebhookReceiver.start().respondWith(request -> {
                 try {
                     release.await(60, TimeUnit.SECONDS);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 return 200;
             })) {
            AppProcess doomed = service.startWorkerProcess(Map.of());
            Attempts deadAttempts = new Attempts();
            dead.respondWith(deadAttempts.answering(DEAD_STATUS));
            String noisy = service.newUnlimitedOrganizationKey("noisy-dead");
            service.newEndpoint(noisy, dead.url("/dead"));
            service.ingestBatch(noisy, events("isolation.failing", 700));
            awaitSetup("the dead endpoint's first attempt of 600 of 700 events (then they wait 1 h)",
                    () -> deadAttempts.eventsAttempted(1) >= 600, deadAttempts::describe);

            String key = service.newOrganizationKey("crash-victim");
            service.newEndpoint(key, hanging.url("/hanging"));
            List<String> held = service.ingestBatch(key, events("isolation.held", 10));
            awaitSetup("the 10 deliveries held in flight by the doomed worker",
                    () -> ids(hanging.received()).containsAll(held), () -> hanging.received().size() + " received");

            doomed.kill();
            Instant killedAt = Instant.now();
            hanging.respondWith(200);
            release.countDown();
            service.startWorker(Map.of());
            Instant upAt = Instant.now();
            Duration bound = LEASE.plusSeconds(8);

            BooleanSupplier allRedelivered = () -> ids(hanging.received().stream().filter(r -> r.receivedAt().isAfter(killedAt)).toList())
                    .containsAll(held);
            awaitUpTo(bound.plusSeconds(5), allRedelivered);
            Map<String, Instant> redelivered = new LinkedHashMap<>();
            hanging.received().stream().filter(r -> r.receivedAt().isAfter(killedAt))
                    .forEach(r -> redelivered.putIfAbsent(r.header("webhook-id"), r.receivedAt()));
            List<String> problems = new ArrayList<>();
            for (String id : held) {
                Instant at = redelivered.get(id);
                if (at == null) {
                    problems.add(id + " not delivered again within " + bound.plusSeconds(5).toMillis() + " ms of the new worker being up");
                } else if (Duration.between(upAt, at).compareTo(bound) > 0) {
                    problems.add(id + " delivered again " + Duration.between(upAt, at).toMillis() + " ms after the new worker was up");
                }
            }
            System.out.printf("worker killed with 10 deliveries in flight behind 600+ pending retries; new worker up %d ms after the kill; "
                    + "redelivered at %s ms after it was up%n", Duration.between(killedAt, upAt).toMillis(),
                    redelivered.values().stream().map(at -> Duration.between(upAt, at).toMillis()).sorted().toList());
            assertThat(problems).as("deliveries of the killed worker recovered within the lease (%d ms) + 8 s", LEASE.toMillis()).isEmpty();
        }
    }

    /** A quiet organization: one healthy endpoint, a few events, some of whose first attempt is answered 500. */
    static final class QuietOrganization {

        private final RunningService service;
        private final WebhookReceiver receiver;
        private final String key;
        private final Map<String, Instant> ingestedAt = new LinkedHashMap<>();
        private final Set<String> failOnce = new LinkedHashSet<>();
        private final Set<String> failed = ConcurrentHashMap.newKeySet();

        QuietOrganization(RunningService service, WebhookReceiver receiver, String name) {
            this.service = service;
            this.receiver = receiver;
            this.key = service.newOrganizationKey(name);
            service.newEndpoint(key, receiver.url("/quiet"));
            receiver.respondWith(request -> failsOnce(request) && failed.add(request.header("webhook-id")) ? 500 : 200);
        }

        private static boolean failsOnce(Received request) {
            JsonNode flag = JSON.readTree(request.body()).path("data").path("fail_once");
            return flag.isBoolean() && flag.booleanValue();
        }

        /** Sends {@code count} events one by one, {@code every} apart; those {@code failing} picks fail their first attempt. */
        void send(int count, Duration every, IntPredicate failing) {
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long wait;
                while ((wait = start + i * every.toNanos() - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait); // pacing the producer, not waiting for a condition
                }
                boolean fails = failing.test(i);
                Response created = service.call("POST", "/v1/events", key,
                        "{\"event_type\":\"isolation.quiet\",\"payload\":{\"n\":" + i + ",\"fail_once\":" + fails + "}}");
                assertThat(created.status()).as("quiet event accepted: %s", created.body()).isEqualTo(201);
                String id = created.body().get("event_id").stringValue();
                ingestedAt.put(id, Instant.parse(created.body().get("created_at").stringValue()));
                if (fails) {
                    failOnce.add(id);
                }
            }
        }

        /**
         * Every event's first arrival within {@link #QUIET_DELIVERY} of its ingest, and every
         * failed-once event's retry between {@link #RETRY_EARLIEST} and {@link #RETRY_LATEST} after
         * its first attempt; waits for them (a little past the last deadline), then asserts.
         */
        void assertOnTime() {
            Instant last = ingestedAt.values().stream().max(Instant::compareTo).orElseThrow();
            Instant waitUntil = last.plus(QUIET_DELIVERY).plus(failOnce.isEmpty() ? Duration.ZERO : RETRY_LATEST).plusSeconds(3);
            awaitUpTo(Duration.between(Instant.now(), waitUntil), () -> {
                Map<String, List<Instant>> arrivals = arrivals();
                return ingestedAt.keySet().stream().allMatch(arrivals::containsKey)
                        && failOnce.stream().allMatch(id -> arrivals.get(id).size() >= 2);
            });
            Map<String, List<Instant>> arrivals = arrivals();
            List<String> problems = new ArrayList<>();
            List<Long> latencies = new ArrayList<>();
            List<Long> retryGaps = new ArrayList<>();
            int n = 0;
            for (Map.Entry<String, Instant> event : ingestedAt.entrySet()) {
                String label = "event #" + n++ + " " + event.getKey();
                List<Instant> times = arrivals.get(event.getKey());
                if (times == null) {
                    problems.add(label + " not delivered within " + Duration.between(event.getValue(), waitUntil).toMillis() + " ms of its ingest");
                    continue;
                }
                long latency = Duration.between(event.getValue(), times.get(0)).toMillis();
                latencies.add(latency);
                if (latency > QUIET_DELIVERY.toMillis()) {
                    problems.add(label + " delivered " + latency + " ms after its ingest");
                }
                if (failOnce.contains(event.getKey())) {
                    if (times.size() < 2) {
                        problems.add(label + " failed once and was not retried within "
                                + Duration.between(times.get(0), waitUntil).toMillis() + " ms");
                        continue;
                    }
                    long gap = Duration.between(times.get(0), times.get(1)).toMillis();
                    retryGaps.add(gap);
                    if (gap < RETRY_EARLIEST.toMillis() || gap > RETRY_LATEST.toMillis()) {
                        problems.add(label + " retried " + gap + " ms after its first attempt");
                    }
                }
            }
            System.out.printf("quiet organization: %d events, ingest-to-receiver ms %s; retries ms after the first attempt %s%n",
                    ingestedAt.size(), latencies, retryGaps);
            assertThat(problems).as("quiet events within %d ms of ingest, retries %d–%d ms after the failed attempt",
                    QUIET_DELIVERY.toMillis(), RETRY_EARLIEST.toMillis(), RETRY_LATEST.toMillis()).isEmpty();
        }

        /** This organization's arrivals by event id, in arrival order. */
        private Map<String, List<Instant>> arrivals() {
            Map<String, List<Instant>> byEvent = new HashMap<>();
            for (Received request : receiver.received()) {
                byEvent.computeIfAbsent(request.header("webhook-id"), id -> new ArrayList<>()).add(request.receivedAt());
            }
            return byEvent;
        }
    }

    /** Counts a receiver's requests by event, without keeping copies of a big backlog's list around. */
    static final class Attempts {

        private final Map<String, AtomicInteger> byEvent = new ConcurrentHashMap<>();

        Function<Received, Integer> answering(int status) {
            return request -> {
                byEvent.computeIfAbsent(request.header("webhook-id"), id -> new AtomicInteger()).incrementAndGet();
                return status;
            };
        }

        /** How many events have been attempted at least {@code times} times. */
        long eventsAttempted(int times) {
            return byEvent.values().stream().filter(count -> count.get() >= times).count();
        }

        String describe() {
            Map<Integer, Long> histogram = byEvent.values().stream().collect(Collectors.groupingBy(AtomicInteger::get, Collectors.counting()));
            return "events by number of attempts so far: " + histogram;
        }
    }

    /** {@code count} small event bodies of one type, for the batch API. */
    static List<String> events(String type, int count) {
        return IntStream.range(0, count).mapToObj(i -> "{\"event_type\":\"" + type + "\",\"payload\":{\"n\":" + i + "}}").toList();
    }

    private static Set<String> ids(List<Received> requests) {
        return requests.stream().map(r -> r.header("webhook-id")).collect(Collectors.toSet());
    }

    private static void awaitSetup(String what, BooleanSupplier done, Supplier<String> progress) {
        awaitSetup(what, SETUP, done, progress);
    }

    /** Waits for a test's set-up; when it does not finish, says what was reached. */
    private static void awaitSetup(String what, Duration atMost, BooleanSupplier done, Supplier<String> progress) {
        try {
            await(what).atMost(atMost).pollInterval(Duration.ofMillis(100)).until(done::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("set-up not reached within " + atMost + ": " + what + " (" + progress.get() + ")", e);
        }
    }

    /** An organization whose endpoint on {@code dead} fails every attempt, with {@code count} events queued for it. */
    private static Attempts deadNeighbour(RunningService service, WebhookReceiver dead, String name, String eventType, int count) {
        Attempts attempts = new Attempts();
        dead.respondWith(attempts.answering(DEAD_STATUS));
        String noisy = service.newUnlimitedOrganizationKey(name);
        service.newEndpoint(noisy, dead.url("/dead"));
        service.ingestBatch(noisy, events(eventType, count));
        return attempts;
    }

    /** Waits until the condition holds or the time is up, whichever comes first; the caller asserts what it finds. */
    private static void awaitUpTo(Duration atMost, BooleanSupplier condition) {
        if (atMost.isNegative() || atMost.isZero()) {
            return;
        }
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
        } catch (ConditionTimeoutException late) {
            // Asserted by the caller, with the times it found.
        }
    }

    /** A receiver taking its time to answer. */
    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
