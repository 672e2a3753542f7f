package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.triggers.client.Endpoint;
import io.triggers.client.Event;
import io.triggers.client.EventCreated;
import io.triggers.client.EventQuery;
import io.triggers.client.NewEndpoint;
import io.triggers.client.Producer;
import io.triggers.client.ProducerSettings;
import io.triggers.client.RetryPolicy;
import io.triggers.client.StoredEvent;
import io.triggers.client.TriggersClient;
import io.triggers.client.TriggersException;
import io.triggers.client.WebhookVerificationException;
import io.triggers.client.WebhookVerifier;
import io.triggers.testing.TcpProxy;
import io.triggers.testing.WebhookReceiver;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Java client (triggers-client) against the real api, worker, PostgreSQL and Redis. */
class JavaClientTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static RunningService service;
    private static String apiUrl;

    @BeforeAll
    static void start() {
        service = RunningService.start(Map.of(
                "triggers.delivery.retry-schedule", "100ms",
                // A receiver that always fails opens its circuit; closed again after 30 s by default, past the waits here.
                "triggers.delivery.circuit-open-for", "100ms",
                "triggers.worker.heartbeat-every", "50ms"));
        apiUrl = "http://127.0.0.1:" + service.api().getEnvironment().getProperty("local.server.port");
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static TriggersClient client(String key) {
        return TriggersClient.builder().apiUrl(apiUrl).apiKey(key).build();
    }

    @Test
    void eightThreadsOfTenThousandSingleSendsThroughTheProducerStoreEveryEventOnce() throws Exception {
        String key = service.newUnlimitedOrganizationKey("producer");
        int threads = 8;
        int perThread = 10_000;
        try (TriggersClient client = client(key); Producer producer = client.producer()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<CompletableFuture<String>>>> sent = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                sent.add(pool.submit(() -> {
                    go.await();
                    List<CompletableFuture<String>> ids = new ArrayList<>(perThread);
                    for (int i = 0; i < perThread; i++) {
                        ids.add(producer.send(Event.of("load.test", Map.of("thread", thread, "i", i))));
                    }
                    return ids;
                }));
            }
            long started = System.nanoTime();
            go.countDown();
            List<CompletableFuture<String>> all = new ArrayList<>();
            for (Future<List<CompletableFuture<String>>> thread : sent) {
                all.addAll(thread.get(5, TimeUnit.MINUTES));
            }
            producer.flush();
            double seconds = (System.nanoTime() - started) / 1e9;
            pool.shutdown();

            Set<String> ids = new HashSet<>();
            for (CompletableFuture<String> id : all) {
                assertThat(id).isCompleted();
                ids.add(id.join());
            }
            assertThat(ids).hasSize(threads * perThread);
            String organization = client.me().get("organization_id").stringValue();
            assertThat(count("SELECT count(*) FROM events WHERE organization_id = ?::uuid", organization)).isEqualTo(threads * perThread);
            assertThat(count("SELECT count(DISTINCT payload) FROM events WHERE organization_id = ?::uuid", organization))
                    .as("every (thread, i) stored once").isEqualTo(threads * perThread);
            assertThat(producer.buffered()).isZero();
            System.out.printf("producer: %d events in %.1f s, %.0f events/s%n", ids.size(), seconds, ids.size() / seconds);
        }
    }

    @Test
    void aRateLimitedSendWaitsForRetryAfterAndSucceedsAndTheHeadersAreExposed() {
        String key = service.call("POST", "/v1/organizations", service.adminToken, "{\"name\":\"limited\",\"rate_limit_per_minute\":60}")
                .body().get("api_key").get("key").stringValue();
        TriggersClient once = TriggersClient.builder().apiUrl(apiUrl).apiKey(key).retryPolicy(RetryPolicy.NONE).build();
        TriggersException.RateLimited limited = null;
        for (int i = 0; i < 200 && limited == null; i++) {
            try {
                EventCreated created = once.send(Event.of("limited.test", Map.of("i", i)));
                assertThat(created.rateLimit()).hasValueSatisfying(limit -> assertThat(limit.limit()).isEqualTo(60));
            } catch (TriggersException.RateLimited e) {
                limited = e;
            }
        }
        assertThat(limited).as("the 61st event within a minute is refused").isNotNull();
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.code()).isEqualTo("RATE_LIMITED");
        assertThat(limited.requestId()).isNotBlank();
        assertThat(limited.retryAfter()).hasValueSatisfying(wait -> assertThat(wait).isPositive());
        assertThat(limited.rateLimit()).hasValueSatisfying(limit -> assertThat(limit.remaining()).isZero());
        assertThat(once.lastRateLimit()).isPresent();

        long started = System.nanoTime();
        EventCreated created = client(key).send(Event.of("limited.test", Map.of("after", "wait")));
        assertThat(created.eventId()).isNotBlank();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("waited for Retry-After")
                .isGreaterThanOrEqualTo(limited.retryAfter().get().minusMillis(1500));
    }

    @Test
    void aSendWhoseConnectionIsCutIsRetriedAndStoredOnce() throws Exception {
        String key = service.newUnlimitedOrganizationKey("cut");
        URI api = URI.create(apiUrl);
        try (TcpProxy proxy = new TcpProxy(api.getHost(), api.getPort())) {
            TriggersClient client = TriggersClient.builder().apiUrl("http://" + proxy.host() + ":" + proxy.port()).apiKey(key)
                    .retryPolicy(RetryPolicy.DEFAULT.withBackoff(Duration.ofMillis(50), Duration.ofMillis(200))).build();
            proxy.cut();
            CompletableFuture<EventCreated> sending = client.sendAsync(Event.of("cut.test", Map.of("n", 1)));
            await().atMost(WAIT).until(() -> proxy.acceptedConnections() >= 3);
            assertThat(sending).isNotDone();
            proxy.restore();
            EventCreated created = sending.get(30, TimeUnit.SECONDS);

            assertThat(created.idempotencyKey()).isNotBlank();
            String organization = client.me().get("organization_id").stringValue();
            assertThat(count("SELECT count(*) FROM events WHERE organization_id = ?::uuid", organization)).isEqualTo(1);
        }
    }

    @Test
    void aConnectionThatNeverComesBackFailsAtTheDeadline() {
        String key = service.newUnlimitedOrganizationKey("dead");
        URI api = URI.create(apiUrl);
        try (TcpProxy proxy = new TcpProxy(api.getHost(), api.getPort())) {
            proxy.cut();
            TriggersClient client = TriggersClient.builder().apiUrl("http://" + proxy.host() + ":" + proxy.port()).apiKey(key)
                    .retryPolicy(RetryPolicy.DEFAULT.withBackoff(Duration.ofMillis(20), Duration.ofMillis(100)).withDeadline(Duration.ofSeconds(2)))
                    .build();
            long started = System.nanoTime();
            assertThatThrownBy(() -> client.send(Event.of("dead.test", Map.of())))
                    .isInstanceOf(TriggersException.ConnectionFailed.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(proxy.acceptedConnections()).isGreaterThan(1);
        }
    }

    @Test
    void errorsAreTypedAndCarryTheBodyAndRequestId() {
        String key = service.newOrganizationKey("errors");
        TriggersClient client = client(key);

        assertThatThrownBy(() -> client.send(Event.of("", Map.of())))
                .isInstanceOfSatisfying(TriggersException.Validation.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("VALIDATION_ERROR");
                    assertThat(e.details()).extracting(TriggersException.Detail::field).contains("event_type");
                    assertThat(e.requestId()).isNotBlank();
                    assertThat(e.body().get("error")).isNotNull();
                });
        assertThatThrownBy(() -> client.event("00000000-0000-7000-8000-000000000000"))
                .isInstanceOfSatisfying(TriggersException.NotFound.class, e -> assertThat(e.code()).isEqualTo("NOT_FOUND"));
        assertThatThrownBy(() -> client(key + "x").me()).isInstanceOf(TriggersException.Unauthorized.class);

        EventCreated first = client.send(Event.of("order.created", Map.of("order_id", 1)).withIdempotencyKey("order-1"));
        EventCreated again = client.send(Event.of("order.created", Map.of("order_id", 1)).withIdempotencyKey("order-1"));
        assertThat(first.replayed()).isFalse();
        assertThat(again.replayed()).isTrue();
        assertThat(again.eventId()).isEqualTo(first.eventId());
        assertThatThrownBy(() -> client.send(Event.of("order.created", Map.of("order_id", 2)).withIdempotencyKey("order-1")))
                .isInstanceOf(TriggersException.IdempotencyKeyReused.class);
    }

    @Test
    void listingsPageThroughEverythingAndAcknowledgedEventsLeaveTheInbox() {
        String key = service.newUnlimitedOrganizationKey("listings");
        TriggersClient client = client(key);
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            events.add(Event.of(i % 2 == 0 ? "list.even" : "list.odd", Map.of("i", i)));
        }
        List<String> ids = client.sendBatch(events.subList(0, 200)).eventIds();
        ids = new ArrayList<>(ids);
        ids.addAll(client.sendBatch(events.subList(200, 250)).eventIds());
        assertThat(ids).hasSize(250);

        List<String> logged = client.events(EventQuery.all().withPageSize(40)).stream().map(StoredEvent::eventId).toList();
        assertThat(logged).hasSize(250).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(ids);
        assertThat(ids.subList(200, 250)).as("newest first: the second batch").contains(logged.get(0));
        assertThat(client.events(EventQuery.all().withEventType("list.odd").oldestFirst().withPageSize(30)).stream().count()).isEqualTo(125);

        List<String> inbox = new ArrayList<>();
        for (StoredEvent event : client.inbox(EventQuery.all().withPageSize(60))) {
            inbox.add(event.eventId());
            assertThat(event.expiresAt()).isNotNull();
            if (event.payload().get("i").asInt() < 100) {
                client.acknowledge(event.eventId());
            }
        }
        assertThat(inbox).hasSize(250).doesNotHaveDuplicates();
        assertThat(client.inbox(EventQuery.all().withPageSize(60)).stream().count()).isEqualTo(150);
        assertThat(client.acknowledge(ids.subList(100, 110)).acknowledged()).hasSize(10);
        assertThat(client.inbox(EventQuery.all()).stream().count()).isEqualTo(140);
        assertThat(client.event(ids.get(0)).status()).isEqualTo("acknowledged");
    }

    @Test
    void deadLettersAreListedWithTheirLastError() throws Exception {
        String key = service.newUnlimitedOrganizationKey("dead-letters");
        TriggersClient client = client(key);
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(500)) {
            client.createEndpoint(NewEndpoint.of(receiver.url("/always-500")));
            Set<String> sent = new HashSet<>(client.sendBatch(List.of(Event.of("dead.one", Map.of()), Event.of("dead.two", Map.of()),
                    Event.of("dead.three", Map.of()))).eventIds());
            await().atMost(WAIT).until(() -> client.deadLetters().stream().count() == 3);
            List<StoredEvent> dead = client.deadLetters().stream().toList();
            assertThat(dead).extracting(StoredEvent::eventId).containsExactlyInAnyOrderElementsOf(sent);
            assertThat(dead).allSatisfy(event -> {
                assertThat(event.status()).isEqualTo("dead");
                assertThat(event.lastError()).isNotBlank();
            });
        }
    }

    @Test
    void webhookVerifierVerifiesTheServersOwnDeliveriesAcrossASecretRotation() throws Exception {
        String key = service.newUnlimitedOrganizationKey("verify");
        TriggersClient client = client(key);
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            Endpoint endpoint = client.createEndpoint(NewEndpoint.of(receiver.url("/hooks")).withEventTypes(List.of("order.*")));
            String secret = endpoint.secret();
            String id = client.send(Event.of("order.created", Map.of("order_id", 42))).eventId();
            await().atMost(WAIT).until(() -> receiver.received().size() == 1);
            WebhookReceiver.Received webhook = receiver.received().get(0);

            WebhookVerifier.Verified verified = WebhookVerifier.of(secret).verify(webhook.httpHeaders(), webhook.body());
            assertThat(verified.id()).isEqualTo(id);
            assertThat(WebhookVerifier.of(secret).verify(webhook.headers(), webhook.body()).id()).isEqualTo(id);
            assertThatThrownBy(() -> WebhookVerifier.of(io.triggers.client.WebhookSigner.newSecret()).verify(webhook.headers(), webhook.body()))
                    .isInstanceOf(WebhookVerificationException.class);
            assertThatThrownBy(() -> WebhookVerifier.of(secret).verify(webhook.headers(), webhook.bodyText().replace("42", "43")))
                    .isInstanceOf(WebhookVerificationException.class);
            assertThatThrownBy(() -> WebhookVerifier.of(secret).withClock(java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofMinutes(6)))
                    .verify(webhook.headers(), webhook.body()))
                    .isInstanceOfSatisfying(WebhookVerificationException.class,
                            e -> assertThat(e.reason()).isEqualTo(WebhookVerificationException.Reason.TIMESTAMP_TOO_OLD));

            String rotated = client.rotateEndpointSecret(endpoint.id());
            assertThat(client.endpointSecret(endpoint.id())).isEqualTo(rotated);
            client.send(Event.of("order.paid", Map.of("order_id", 42)));
            await().atMost(WAIT).until(() -> receiver.received().size() == 2);
            WebhookReceiver.Received afterRotation = receiver.received().get(1);
            assertThat(WebhookVerifier.of(rotated).verify(afterRotation.headers(), afterRotation.body())).isNotNull();
            assertThat(WebhookVerifier.of(secret).verify(afterRotation.headers(), afterRotation.body())).isNotNull();
            assertThat(WebhookVerifier.of(secret, rotated).verify(afterRotation.headers(), afterRotation.body())).isNotNull();
        }
    }

    @Test
    void endpointsAndEventsCanBeManagedThroughTheClient() {
        String key = service.newUnlimitedOrganizationKey("manage");
        TriggersClient client = client(key);
        Endpoint created = client.createEndpoint(NewEndpoint.of("http://127.0.0.1:9/none").withDescription("nowhere")
                .withEnabled(false).withOptions(Map.of("retry_schedule", List.of("5s"))));
        assertThat(client.endpoints()).extracting(Endpoint::id).contains(created.id());
        assertThat(client.updateEndpoint(created.id(), Map.of("description", "still nowhere")).description()).isEqualTo("still nowhere");
        assertThat(client.endpoint(created.id()).secret()).isNull();
        client.deleteEndpoint(created.id());
        assertThatThrownBy(() -> client.endpoint(created.id())).isInstanceOf(TriggersException.NotFound.class);

        String id = client.send(Event.of("manage.test", Map.of("x", 1)).withSource("shop")).eventId();
        StoredEvent read = client.event(id);
        assertThat(read.source()).isEqualTo("shop");
        assertThat(read.payload().get("x").asInt()).isEqualTo(1);
        assertThat(client.me().get("name").stringValue()).isEqualTo("manage");
        client.deleteEvent(id);
        assertThatThrownBy(() -> client.event(id)).isInstanceOf(TriggersException.NotFound.class);
    }

    private static long count(String sql, String parameter) throws Exception {
        try (Connection db = service.jdbc(); PreparedStatement query = db.prepareStatement(sql)) {
            query.setString(1, parameter);
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }


}
