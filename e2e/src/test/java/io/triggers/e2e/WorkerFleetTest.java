package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/** Several worker replicas: sharing the load, taking over from one that dies, stopping gracefully. */
class WorkerFleetTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Map<String, String> FAST = Map.of(
            "triggers.delivery.retry-schedule", "500ms,500ms,500ms,500ms,500ms",
            "triggers.worker.lease", "1s",
            "triggers.worker.heartbeat-every", "100ms",
            "triggers.worker.read-block", "200ms");

    @Test
    void entriesHeldByAWorkerThatDiedAreDeliveredByTheOthers() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (RunningService service = RunningService.start(FAST);
             WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("crash");
            service.newEndpoint(key, receiver.url("/hook"));
            // The only worker takes the events and hangs in mid-delivery...
            receiver.respondWith(Responders.heldUntil(release));
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                events.add(service.ingest(key));
            }
            await().atMost(WAIT).until(() -> receiver.received().size() >= 10);
            ConfigurableApplicationContext doomed = service.worker();
            // ...a second worker joins, and the first dies without finishing or acknowledging anything.
            service.startWorker(FAST);
            receiver.respondWith(200);
            release.countDown();
            service.stopWorker(doomed, Duration.ZERO);

            await().atMost(WAIT).until(() -> events.stream().allMatch(id -> "delivered".equals(service.eventStatus(id))));
            await().atMost(WAIT).until(() -> events.stream().map(id -> service.streamEntryOf(id)).allMatch(java.util.Optional::isEmpty));
            Set<String> received = receiver.received().stream().map(r -> r.header("webhook-id")).collect(Collectors.toSet());
            assertThat(received).containsAll(events);
            long duplicates = receiver.received().size() - received.size();
            System.out.printf("worker killed mid-delivery: %d events, %d requests received, %d duplicates%n",
                    events.size(), receiver.received().size(), duplicates);
        }
    }

    @Test
    void replicasComingAndGoingLeaveOneConsumerInTheGroup() throws Exception {
        // Deliveries belong to whoever holds their lease, not to a consumer name: every replica reads
        // as the one consumer "worker", so restarts and scale-downs leave no idle consumers behind.
        try (RunningService service = RunningService.start(Map.of("triggers.delivery.retry-schedule", "1h"));
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(422)) { // failing, without opening the breaker
            service.startWorker(Map.of());
            String key = service.newOrganizationKey("consumers");
            service.newEndpoint(key, receiver.url("/failing"));
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                events.add(service.ingest(key));
            }
            await().atMost(WAIT).until(() -> receiver.received().size() >= 10);
            service.stopWorker(service.worker(), Duration.ofSeconds(5));
            service.startWorker(Map.of());
            for (int i = 0; i < 5; i++) {
                events.add(service.ingest(key));
            }
            await().atMost(WAIT).until(() -> receiver.received().size() >= 15);

            io.triggers.testing.TestQueue.Entry entry = service.streamEntryOf(events.get(0)).orElseThrow();
            List<Object> consumers = service.redis().commands().xinfoConsumers(entry.base() + "s:" + entry.endpointId(), "deliverers");
            assertThat(consumers).as("consumers of the endpoint's group: %s", consumers).hasSize(1);
            assertThat(events).allMatch(id -> service.streamEntryOf(id).isPresent()); // all still pending, waiting an hour
        }
    }

    @Test
    void replicasShareTheLoad() throws Exception {
        try (RunningService service = RunningService.start(FAST);
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> {
                 try {
                     Thread.sleep(20); // a receiver that takes a moment, so one replica cannot take everything at once
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 return 200;
             })) {
            service.startWorker(Map.of("triggers.worker.concurrency", "4"));
            String key = service.newOrganizationKey("share");
            service.newEndpoint(key, receiver.url("/hook"));
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                events.add(service.ingest(key));
            }
            await().atMost(WAIT).until(() -> events.stream().allMatch(id -> "delivered".equals(service.eventStatus(id))));
            // Both replicas took a share of the work.
            assertThat(service.workers()).hasSizeGreaterThanOrEqualTo(2);
            for (var worker : service.workers()) {
                double delivered = worker.getBean(io.micrometer.core.instrument.MeterRegistry.class)
                        .counter("triggers.deliveries", "outcome", "delivered").count();
                assertThat(delivered).as("deliveries made by one replica").isGreaterThan(0);
            }
        }
    }

    @Test
    void aStoppingWorkerFinishesWhatIsInFlightAndReadsNothingNew() throws Exception {
        CountDownLatch inFlight = new CountDownLatch(1);
        try (RunningService service = RunningService.start(Map.of("triggers.worker.shutdown-timeout", "10s",
                "triggers.worker.read-block", "200ms"));
             WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> {
                 inFlight.countDown();
                 try {
                     Thread.sleep(1500); // slow, so the stop happens mid-delivery
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 return 200;
             })) {
            String key = service.newOrganizationKey("graceful");
            service.newEndpoint(key, receiver.url("/slow"));
            String eventId = service.ingest(key);
            assertThat(inFlight.await(10, TimeUnit.SECONDS)).isTrue();

            service.stopWorker(service.worker(), null);

            // The in-flight delivery finished and was acknowledged before the worker stopped.
            assertThat(service.eventStatus(eventId)).isEqualTo("delivered");
            assertThat(service.streamEntryOf(eventId)).isEmpty();
            // Nothing reads any more: a new event waits for another replica.
            String later = service.ingest(key);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> "pending".equals(service.eventStatus(later)));
            assertThat(receiver.received()).hasSize(1);
        }
    }

    @Test
    void privateTargetsAreRefusedOnTheResolvedAddress() throws Exception {
        try (RunningService service = RunningService.start(Map.of("triggers.delivery.allow-private-targets", "false",
                "triggers.delivery.retry-schedule", "100ms"));
             WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("ssrf");
            // Saved past the api's check (as if DNS changed after saving): the worker still refuses.
            String organizationId = service.call("GET", "/v1/me", key, null).body().get("organization_id").stringValue();
            // Forms the api refuses now, but that rows saved before may hold: the worker refuses them too.
            for (String url : List.of(receiver.url("/literal"), receiver.url("/named").replace("127.0.0.1", "localhost"),
                    receiver.url("/dot").replace("127.0.0.1", "LocalHost."), receiver.url("/mapped").replace("127.0.0.1", "[::ffff:127.0.0.1]"),
                    receiver.url("/compatible").replace("127.0.0.1", "[::7f00:1]"), receiver.url("/octal").replace("127.0.0.1", "0177.0.0.1"),
                    receiver.url("/integer").replace("127.0.0.1", "2130706433"))) {
                try (Connection db = service.jdbc(); PreparedStatement insert = db.prepareStatement(
                        "INSERT INTO endpoints (id, organization_id, url, secret) VALUES (?, ?, ?, 'whsec_AAAA')")) {
                    insert.setObject(1, UUID.randomUUID());
                    insert.setObject(2, UUID.fromString(organizationId));
                    insert.setString(3, url);
                    insert.executeUpdate();
                }
            }
            String eventId = service.ingest(key);

            await().atMost(WAIT).until(() -> "dead".equals(service.eventStatus(eventId)));
            assertThat(receiver.received()).isEmpty();
            try (Connection db = service.jdbc();
                 PreparedStatement query = db.prepareStatement("SELECT error FROM delivery_attempts WHERE event_id = ?")) {
                query.setObject(1, UUID.fromString(eventId));
                try (ResultSet rows = query.executeQuery()) {
                    List<String> errors = new ArrayList<>();
                    while (rows.next()) {
                        errors.add(rows.getString(1));
                    }
                    assertThat(errors).isNotEmpty().allSatisfy(error -> assertThat(error).startsWith("refused:"));
                }
            }
        }
    }

}
