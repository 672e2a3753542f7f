package io.triggers.e2e;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.triggers.api.TriggersApi;
import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.TcpProxy;
import io.triggers.testing.TestDatabase;
import io.triggers.testing.TestRedisCluster;
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
 *
 * <p>Started with {@link #start()} and friends, or, for the less common set-ups (a Redis Cluster, no
 * worker in this JVM), with {@link #with(Map)}. Further workers can be started in this JVM
 * ({@link #startWorker}) or in their own JVM ({@link #startWorkerProcess}), the latter to be killed with
 * SIGKILL.
 */
final class RunningService implements AutoCloseable {

    static final String GROUP = "deliverers";

    final TestDatabase database;
    final String redisPrefix;
    final String adminToken = "admin-" + UUID.randomUUID();
    private volatile ConfigurableApplicationContext api;
    /** Api replicas started besides the first ({@link #startApi}). */
    private final List<ConfigurableApplicationContext> apis = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<ConfigurableApplicationContext> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<AppProcess> workerProcesses = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, String> common;
    private volatile ApiClient client;
    private final HttpClient workerHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final RedisClient redisClient;
    private final StatefulRedisConnection<String, String> redis;
    /** The Redis Cluster both apps run on, or null for the standalone test Redis. */
    private final TestRedisCluster cluster;

    /** In front of PostgreSQL and Redis for the apps (not for the test's own checks), when started behind proxies. */
    final TcpProxy postgresProxy;
    final TcpProxy redisProxy;

    private RunningService(Map<String, String> extra, boolean behindProxies, TestRedisCluster cluster, int workerCount) {
        if (behindProxies && cluster != null) {
            throw new IllegalArgumentException("a service behind proxies runs on the standalone test Redis only");
        }
        this.cluster = cluster;
        TestServers servers = TestServers.get();
        database = servers.newDatabase();
        redisPrefix = servers.newRedisPrefix();
        common = new HashMap<>(servers.appProperties(database, redisPrefix));
        if (cluster != null) {
            common.remove("spring.data.redis.url");
            common.put("spring.data.redis.cluster.nodes", cluster.nodes());
            // Spring Boot prefers the cluster settings; these only catch an app that still opens a
            // standalone connection of its own (from the standalone connection details): it fails at
            // a closed port instead of quietly using the machine's Redis on localhost:6379.
            common.put("spring.data.redis.host", "127.0.0.1");
            common.put("spring.data.redis.port", "1");
        }
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
        // The api migrates the schema; the worker starts after it, as in production.
        api = runApi(Map.of());
        for (int i = 0; i < workerCount; i++) {
            startWorker(Map.of());
        }
        client = clientOf(api);
        // The tests' own look into Redis (streamEntryOf, isPending, ...) reads the standalone test Redis.
        redisClient = cluster == null ? RedisClient.create(servers.redisUri()) : null;
        redis = cluster == null ? redisClient.connect() : null;
    }

    private ConfigurableApplicationContext runApi(Map<String, String> extra) {
        Map<String, String> apiProperties = new HashMap<>(common);
        apiProperties.put("triggers.admin-token", adminToken);
        apiProperties.put("management.server.port", "0");
        apiProperties.putAll(extra);
        return run(TriggersApi.application(), apiProperties);
    }

    private static ApiClient clientOf(ConfigurableApplicationContext api) {
        return new ApiClient("http://127.0.0.1:" + api.getEnvironment().getProperty("local.server.port"));
    }

    /**
     * Starts one more api replica on the same database and Redis, with extra settings on top of the
     * service's, and returns a client of it (the service's own calls still go to the first).
     */
    ApiClient startApi(Map<String, String> extra) {
        ConfigurableApplicationContext replica = runApi(extra);
        apis.add(replica);
        return clientOf(replica);
    }

    /**
     * A rolling update of the api: starts a replica with extra settings on top of the service's,
     * stops the one the service's calls went to, and sends them to the new one from now on.
     */
    void replaceApi(Map<String, String> extra) {
        ConfigurableApplicationContext replaced = api;
        api = runApi(extra);
        client = clientOf(api);
        replaced.close();
    }

    /** Starts one more worker replica, with extra settings on top of the service's. */
    ConfigurableApplicationContext startWorker(Map<String, String> extra) {
        Map<String, String> properties = new HashMap<>(common);
        properties.putAll(extra);
        ConfigurableApplicationContext worker = run(TriggersWorker.application(), properties);
        workers.add(worker);
        return worker;
    }

    /**
     * Starts one more worker replica in a JVM of its own, with extra settings on top of the service's,
     * and waits until it is live. Kill it with {@link AppProcess#kill()} (SIGKILL) to test what a
     * crashed replica leaves behind; whatever is still running is stopped when the service closes.
     */
    AppProcess startWorkerProcess(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(common);
        settings.putAll(extra);
        settings.remove("server.port"); // AppProcess gives it a port of its own
        AppProcess worker = AppProcess.start("worker", TriggersWorker.class, settings, AppProcess.freePort());
        workerProcesses.add(worker);
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
            // A fresh connection per call, as ApiClient's: a request sent down a pooled connection was once
            // never seen by the app (no access-log line) and timed out after 10 s.
            HttpResponse<String> response = workerHttp.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Connection", "close").timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
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

    /** A client of the api replica the service's own calls go to. */
    ApiClient client() {
        return client;
    }

    /** The api application. */
    ConfigurableApplicationContext api() {
        return api;
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
        return with(Map.of()).start();
    }

    static RunningService start(Map<String, String> extra) {
        return with(extra).start();
    }

    /** The service with its PostgreSQL and Redis connections going through {@link TcpProxy}s the test can cut. */
    static RunningService startBehindProxies(Map<String, String> extra) {
        return new RunningService(extra, true, null, 1);
    }

    /** A service with these settings on top of the tests' defaults, to be set up further and started. */
    static Builder with(Map<String, String> extra) {
        return new Builder(extra);
    }

    /** How to start a service: which Redis, and how many workers in this JVM. */
    static final class Builder {

        private final Map<String, String> extra;
        private TestRedisCluster cluster;
        private int workers = 1;

        private Builder(Map<String, String> extra) {
            this.extra = Map.copyOf(extra);
        }

        /**
         * Both apps on this Redis Cluster ({@code spring.data.redis.cluster.nodes}) instead of the
         * standalone test Redis. The test's own Redis helpers ({@link RunningService#redis()},
         * {@link RunningService#streamEntryOf}, ...) are not available then.
         */
        Builder onCluster(TestRedisCluster cluster) {
            this.cluster = cluster;
            return this;
        }

        /** How many worker replicas start in this JVM with the api (default one; zero for none). */
        Builder workers(int count) {
            this.workers = count;
            return this;
        }

        RunningService start() {
            return new RunningService(extra, false, cluster, workers);
        }
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

    /** Creates an organization without an ingest rate limit ({@code rate_limit_per_minute: 0}) and returns its API key. */
    String newUnlimitedOrganizationKey(String name) {
        return client.newUnlimitedOrganizationKey(adminToken, name);
    }

    /** Creates an endpoint for {@code url} and returns its body (id, secret, …). */
    JsonNode newEndpoint(String key, String url) {
        return client.newEndpoint(key, url);
    }

    /** Ingests events with the batch API (up to 500 bodies a call) and returns their ids, asserting each item's 201. */
    List<String> ingestBatch(String key, List<String> eventBodies) {
        return client.ingestBatch(key, eventBodies);
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
        return new RedisCommandsView(standaloneRedis().sync(), redisPrefix);
    }

    private StatefulRedisConnection<String, String> standaloneRedis() {
        if (redis == null) {
            throw new IllegalStateException("this service runs on a Redis Cluster; the tests' Redis helpers read the standalone test Redis");
        }
        return redis;
    }

    /** Direct Redis access for assertions. */
    record RedisCommandsView(io.lettuce.core.api.sync.RedisCommands<String, String> commands, String prefix) {
    }

    /** The delivery queue, read directly. */
    io.triggers.testing.TestQueue queue() {
        return new io.triggers.testing.TestQueue(standaloneRedis().sync(), redisPrefix);
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

    /** A hash of this service's, read from whichever Redis it runs on. */
    Map<String, String> hgetall(String key) {
        return cluster != null ? cluster.hgetall(key) : standaloneRedis().sync().hgetall(key);
    }

    /** How many of this service's keys the Redis Cluster it runs on holds. */
    long keysOnCluster() {
        if (cluster == null) {
            throw new IllegalStateException("this service runs on the standalone test Redis");
        }
        return cluster.countKeys(redisPrefix + ":*");
    }

    /**
     * Stops everything. A service started {@link Builder#onCluster on a cluster} must have written
     * its queue there: one that wrote nothing to the cluster ran somewhere else (a builder that
     * dropped the setting once made every cluster test a second run on the standalone Redis), and
     * closing it fails the test.
     */
    @Override
    public void close() {
        long clusterKeys = cluster == null ? -1 : keysOnCluster();
        workerProcesses.forEach(AppProcess::close);
        workers.forEach(ConfigurableApplicationContext::close);
        apis.forEach(ConfigurableApplicationContext::close);
        api.close();
        if (redis != null) {
            redis.close();
            redisClient.shutdown();
        }
        if (postgresProxy != null) {
            postgresProxy.close();
            redisProxy.close();
        }
        if (clusterKeys == 0) {
            throw new AssertionError("the service was to run on the Redis Cluster at " + cluster.nodes() + " but left no key of "
                    + redisPrefix + " there");
        }
    }
}
