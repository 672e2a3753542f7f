package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.api.TriggersApi;
import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.TestDatabase;
import io.triggers.testing.TestServers;
import io.triggers.testing.WebhookReceiver;
import io.triggers.worker.TriggersWorker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * api and worker each in their own JVM, killed with SIGKILL while they work: every event answered
 * {@code 201} still reaches the receiver. Each test prints how many duplicates the crash cost.
 */
class CrashTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private final String adminToken = "admin-" + UUID.randomUUID();
    private final int apiPort = AppProcess.freePort();
    private Map<String, String> settings;
    private WebhookReceiver receiver;
    private AppProcess api;
    private AppProcess worker;

    @BeforeEach
    void start() {
        TestServers servers = TestServers.get();
        TestDatabase database = servers.newDatabase();
        settings = new HashMap<>(servers.appProperties(database, servers.newRedisPrefix()));
        settings.put("triggers.delivery.allow-private-targets", "true");
        settings.put("triggers.delivery.retry-schedule", "1s,1s,1s,1s,1s,1s,1s,1s");
        settings.put("triggers.worker.lease", "2s");
        settings.put("triggers.worker.heartbeat-every", "200ms");
        settings.put("triggers.reconciler.every", "1s");
        settings.put("triggers.reconciler.grace", "2s");
        receiver = WebhookReceiver.start();
        api = startApi();
        worker = startWorker();
    }

    @AfterEach
    void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {worker, api, receiver}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // Best effort: the next test starts its own.
            }
        }
    }

    private AppProcess startApi() {
        Map<String, String> apiSettings = new HashMap<>(settings);
        apiSettings.put("triggers.admin-token", adminToken);
        apiSettings.put("management.server.port", Integer.toString(AppProcess.freePort()));
        return AppProcess.start("api", TriggersApi.class, apiSettings, apiPort);
    }

    private AppProcess startWorker() {
        return AppProcess.start("worker", TriggersWorker.class, settings, AppProcess.freePort());
    }

    /** A producer whose connection failed waits a little before it tries again, as real clients back off. */
    private static void pause() {
        pause(20);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aWorkerKilledMidBatchLosesNothing() throws Exception {
        ApiClient client = new ApiClient("http://127.0.0.1:" + apiPort);
        String key = client.newUnlimitedOrganizationKey(adminToken, "worker-crash");
        client.newEndpoint(key, receiver.url("/hook"));
        // A slow receiver (200 ms an answer, so 16 in flight make about 80 a second), so that plenty
        // is in flight, and plenty still owed, when the worker dies.
        receiver.respondWith(request -> {
            pause(200);
            return 200;
        });
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        ExecutorService producers = Executors.newFixedThreadPool(8);
        for (int i = 0; i < 300; i++) {
            producers.execute(() -> accepted.add(client.ingest(key)));
        }
        producers.shutdown();
        assertThat(producers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        assertThat(accepted).hasSize(300);

        await().atMost(WAIT).until(() -> receiver.received().size() >= 50);
        worker.kill();
        int receivedAtKill = receiver.received().size();
        assertThat(receivedAtKill).isLessThan(300);
        worker = startWorker();

        await().atMost(WAIT).until(() -> OutageTest.countById(receiver).keySet().containsAll(accepted));
        OutageTest.reportDuplicates("worker SIGKILL after " + receivedAtKill + " deliveries", List.copyOf(accepted), receiver);
    }

    @Test
    void anApiKilledMidLoadLosesNothingItAccepted() throws Exception {
        ApiClient client = new ApiClient("http://127.0.0.1:" + apiPort);
        String key = client.newUnlimitedOrganizationKey(adminToken, "api-crash");
        client.newEndpoint(key, receiver.url("/hook"));
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger failed = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService producers = Executors.newFixedThreadPool(6);
        for (int i = 0; i < 6; i++) {
            producers.execute(() -> {
                while (running.get()) {
                    try {
                        Response answer = client.call("POST", "/v1/events", key, "{\"event_type\":\"load\",\"payload\":{}}", Map.of());
                        if (answer.status() == 201) {
                            accepted.add(answer.body().get("event_id").stringValue());
                        } else {
                            failed.incrementAndGet();
                        }
                    } catch (IllegalStateException connectionFailed) {
                        failed.incrementAndGet();
                        pause();
                    }
                }
            });
        }
        await().atMost(WAIT).until(() -> accepted.size() >= 200);
        api.kill();
        int acceptedAtKill = accepted.size();
        api = startApi();
        await().atMost(WAIT).until(() -> accepted.size() >= acceptedAtKill + 200);
        running.set(false);
        producers.shutdown();
        assertThat(producers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(failed.get()).as("requests refused or cut off while the api was dead").isPositive();

        await().atMost(WAIT).until(() -> OutageTest.countById(receiver).keySet().containsAll(accepted));
        System.out.printf("api SIGKILL after %d accepted events; %d requests failed meanwhile%n", acceptedAtKill, failed.get());
        OutageTest.reportDuplicates("api SIGKILL", List.copyOf(accepted), receiver);
    }
}
