package io.triggers.e2e;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.triggers.api.TriggersApi;
import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.TcpProxy;
import io.triggers.testing.TestDatabase;
import io.triggers.testing.TestServers;
import io.triggers.worker.TriggersWorker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole service, api and worker, running in this JVM on its own test database and Redis
 * prefix, driven over real HTTP.
 */
final class RunningService implements AutoCloseable {

    static final String GROUP = "deliverers";

    final TestDatabase database;
    final String redisPrefix;
    final String adminToken = "admin-" + UUID.randomUUID();
    private final ConfigurableApplicationContext api;
    private final List<ConfigurableApplicationContext> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, String> common;
    private final ApiClient client;
    private final HttpClient workerHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final RedisClient redisClient;
    private final StatefulRedisConnection<String, String> redis;

    /** In front of PostgreSQL and Redis for the apps (not for the test's own checks), when started behind proxies. */
    final TcpProxy postgresProxy;
    final TcpProxy redisProxy;

    private RunningService(Map<String, String> extra, boolean behindProxies) {
        TestServers servers = TestServers.get();
        database = servers.newDatabase();
        redisPrefix = servers.newRedisPrefix();
        common = new HashMap<>(servers.appProperties(database, redisPrefix));
        if (behindProxies) {
            postgresProxy = new TcpProxy(database.host(), database.port());
            redisProxy = new TcpProxy(servers.redisUri().getHost(), servers.redisUri().getPort());
            // Flyway migrates at start, directly; everything else goes through the proxies.
            common.put("spring.r2dbc.url", "r2dbc:postgresql://" + postgresProxy.host() + ":" + postgresProxy.port() + "/" + database.name());
            common.put("spring.data.redis.url", "redis://" + redisProxy.host() + ":" + redisProxy.port());
        } else {
            postgresProxy = null;
            redisProxy = null;
        }
        common.put("server.port", "0");
        common.put("triggers.delivery.allow-private-targets", "true");
        common.putAll(extra);
        Map<String, String> apiProperties = new HashMap<>(common);
        apiProperties.put("triggers.admin-token", adminToken);
        apiProperties.put("management.server.port", "0");
        // The api migrates the schema; the worker starts after it, as in production.
        api = run(TriggersApi.application(), apiProperties);
        startWorker(Map.of());
        client = new ApiClient("http://127.0.0.1:" + api.getEnvironment().getProperty("local.server.port"));
        redisClient = RedisClient.create(servers.redisUri());
        redis = redisClient.connect();
    }

    /** Starts one more worker replica, with extra settings on top of the service's. */
    ConfigurableApplicationContext startWorker(Map<String, String> extra) {
        Map<String, String> properties = new HashMap<>(common);
        properties.putAll(extra);
        ConfigurableApplicationContext worker = run(TriggersWorker.application(), properties);
        workers.add(worker);
        return worker;
    }

    /** A plain GET or POST to the first worker replica's own port (actuator). */
    PlainAnswer workerCall(String method, String path) {
        return plainCall(method, worker().getEnvironment().getProperty("local.server.port"), path);
    }

    /** A plain GET to the api's management port (actuator), which is not its public port. */
    PlainAnswer apiManagementCall(String path) {
        return plainCall("GET", api.getEnvironment().getProperty("local.management.port"), path);
    }

    private PlainAnswer plainCall(String method, String port, String path) {
        try {
            HttpResponse<String> response = workerHttp.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            return new PlainAnswer(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    record PlainAnswer(int status, String text) {
    }

    /** The worker replicas running now. */
    List<ConfigurableApplicationContext> workers() {
        return List.copyOf(workers);
    }

    /** The first worker replica. */
    ConfigurableApplicationContext worker() {
        return workers.get(0);
    }

    /**
     * Stops a worker replica. With a {@code deadline}, the stop cuts in-flight deliveries off
     * after it (zero: at once, like a crash as far as Redis can tell: nothing more acknowledged, no
     * more heartbeats); without, it is the worker's own graceful shutdown.
     */
    void stopWorker(ConfigurableApplicationContext worker, Duration deadline) {
        workers.remove(worker);
        if (deadline != null) {
            worker.getBean(io.triggers.worker.scheduling.Dispatcher.class).abandon(deadline);
        }
        worker.close();
    }

    static RunningService start() {
        return new RunningService(Map.of(), false);
    }

    static RunningService start(Map<String, String> extra) {
        return new RunningService(extra, false);
    }

    /** The service with its PostgreSQL and Redis connections going through {@link TcpProxy}s the test can cut. */
    static RunningService startBehindProxies(Map<String, String> extra) {
        return new RunningService(extra, true);
    }

    private static ConfigurableApplicationContext run(SpringApplicationBuilder application, Map<String, String> properties) {
        // As arguments: builder properties are defaults, which the app's own yml would override.
        String[] args = properties.entrySet().stream().map(p -> "--" + p.getKey() + "=" + p.getValue()).toArray(String[]::new);
        return application.run(args);
    }

    /** Creates an organization and returns its API key. */
    String newOrganizationKey(String name) {
        return client.newOrganizationKey(adminToken, name);
    }

    /** Creates an endpoint for {@code url} and returns its body (id, secret, …). */
    JsonNode newEndpoint(String key, String url) {
        return client.newEndpoint(key, url);
    }

    /** Ingests a small event for the key's organization and returns its id (asserting the 201). */
    String ingest(String key) {
        return client.ingest(key);
    }

    /** The event's status in PostgreSQL (null when there is no such event). */
    String eventStatus(String eventId) {
        try (Connection db = jdbc(); java.sql.PreparedStatement query = db.prepareStatement("SELECT status FROM events WHERE id = ?")) {
            query.setObject(1, UUID.fromString(eventId));
            try (java.sql.ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    Response call(String method, String path, String bearer, String body) {
        return client.call(method, path, bearer, body, Map.of());
    }

    Response call(String method, String path, String bearer, String body, Map<String, String> headers) {
        return client.call(method, path, bearer, body, headers);
    }

    Connection jdbc() throws SQLException {
        return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
    }

    RedisCommandsView redis() {
        return new RedisCommandsView(redis.sync(), redisPrefix);
    }

    /** Direct Redis access for assertions. */
    record RedisCommandsView(io.lettuce.core.api.sync.RedisCommands<String, String> commands, String prefix) {
    }

    /** The delivery queue, read directly. */
    io.triggers.testing.TestQueue queue() {
        return new io.triggers.testing.TestQueue(redis.sync(), redisPrefix);
    }

    /** The event's first queued delivery, if any. */
    Optional<io.triggers.testing.TestQueue.Entry> streamEntryOf(String eventId) {
        return queue().entryOf(eventId);
    }

    /** Whether any delivery added between the two times (Unix ms) is pending (handed out, not acknowledged). */
    boolean anyPendingBetween(long fromMillis, long toMillis) {
        return queue().anyBetween(fromMillis, toMillis, true);
    }

    /** Whether the queued delivery is pending: handed out to a worker and not acknowledged. */
    boolean isPending(io.triggers.testing.TestQueue.Entry entry) {
        return queue().isPending(entry);
    }

    /** Whether any queued delivery of the event is pending. */
    boolean isPendingEvent(String eventId) {
        return queue().entriesOf(eventId).stream().anyMatch(this::isPending);
    }

    @Override
    public void close() {
        workers.forEach(ConfigurableApplicationContext::close);
        api.close();
        redis.close();
        redisClient.shutdown();
        if (postgresProxy != null) {
            postgresProxy.close();
            redisProxy.close();
        }
    }
}
