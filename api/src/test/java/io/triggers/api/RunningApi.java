package io.triggers.api;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.triggers.testing.TestDatabase;
import io.triggers.testing.TestServers;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real api on an ephemeral port, on its own test database and Redis key prefix (or sharing
 * another instance's, to play a second replica).
 */
final class RunningApi implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();

    /** A raw answer. */
    record Answer(int status, java.net.http.HttpHeaders headers, String text) {

        JsonNode json() {
            return JSON.readTree(text);
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    final TestDatabase database;
    final String redisPrefix;
    final String adminToken;
    final String baseUrl;
    /** Actuator's own port (management.server.port), never the public one. */
    final String managementUrl;
    final ConfigurableApplicationContext context;
    final WebTestClient client;
    /*
     * One client per instance: a client shared across instances kept pooled connections to the
     * port of an api that had been closed, and when a later api was given that port, a request could
     * go out on the dead connection and wait for its whole timeout.
     */
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private RunningApi(TestDatabase database, String redisPrefix, String adminToken, ConfigurableApplicationContext context) {
        this.database = database;
        this.redisPrefix = redisPrefix;
        this.adminToken = adminToken;
        this.context = context;
        this.baseUrl = "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
        this.managementUrl = "http://127.0.0.1:" + context.getEnvironment().getProperty("local.management.port");
        this.client = WebTestClient.bindToServer().baseUrl(baseUrl).responseTimeout(Duration.ofSeconds(30)).build();
    }

    static RunningApi start(Map<String, String> extra) {
        TestServers servers = TestServers.get();
        return launch(servers.newDatabase(), servers.newRedisPrefix(), "admin-" + UUID.randomUUID(), extra);
    }

    /** An api on a database the caller made (to reach it through a proxy, say), with a Redis key prefix of its own. */
    static RunningApi start(TestDatabase database, Map<String, String> extra) {
        return launch(database, TestServers.get().newRedisPrefix(), "admin-" + UUID.randomUUID(), extra);
    }

    /** A second replica: same database, Redis prefix and admin token as {@code first}. */
    static RunningApi alongside(RunningApi first, Map<String, String> extra) {
        return launch(first.database, first.redisPrefix, first.adminToken, extra);
    }

    private static RunningApi launch(TestDatabase database, String prefix, String adminToken, Map<String, String> extra) {
        Map<String, String> properties = new HashMap<>(TestServers.get().appProperties(database, prefix));
        properties.put("server.port", "0");
        properties.put("management.server.port", "0");
        properties.put("triggers.admin-token", adminToken);
        properties.putAll(extra);
        // As arguments: builder properties are defaults, which the app's own yml would override.
        String[] args = properties.entrySet().stream().map(p -> "--" + p.getKey() + "=" + p.getValue()).toArray(String[]::new);
        ConfigurableApplicationContext context = TriggersApi.application().web(WebApplicationType.REACTIVE).run(args);
        return new RunningApi(database, prefix, properties.get("triggers.admin-token"), context);
    }

    /** The port the api listens on. */
    int port() {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    /** Creates an organization with the admin token and returns its first API key. */
    String newOrganizationKey(String name) {
        return createOrganization("{\"name\":\"" + name + "\"}").get("api_key").get("key").stringValue();
    }

    /** Creates an unlimited organization (rate limit 0) and returns its first API key. */
    String newUnlimitedOrganizationKey(String name) {
        return createOrganization("{\"name\":\"" + name + "\",\"rate_limit_per_minute\":0}").get("api_key").get("key").stringValue();
    }

    JsonNode createOrganization(String body) {
        Answer created = send("POST", "/v1/organizations", adminToken, body, Map.of());
        if (created.status() != 201) {
            throw new IllegalStateException("organization not created: " + created.status() + " " + created.text());
        }
        return created.json();
    }

    /** A request with a JSON body (or none), and extra headers. */
    Answer send(String method, String path, String bearer, String body, Map<String, String> headers) {
        return await(http.sendAsync(request(method, path, bearer, body, headers), HttpResponse.BodyHandlers.ofString()));
    }

    java.util.concurrent.CompletableFuture<HttpResponse<String>> sendAsync(String method, String path, String bearer, String body,
                                                                          Map<String, String> headers) {
        return http.sendAsync(request(method, path, bearer, body, headers), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET on actuator's management port ({@code /actuator/...}). */
    Answer management(String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(managementUrl + path)).timeout(Duration.ofSeconds(30))
                .header("Connection", "close").GET().build();
        return await(http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    }

    /** A request whose body and content type are the caller's, byte for byte. */
    Answer sendRaw(String path, String bearer, String contentType, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
                // A new connection per request: see the surefire settings in the parent pom.
                .header("Connection", "close")
                .POST(body);
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return await(http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()));
    }

    private HttpRequest request(String method, String path, String bearer, String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
                // A new connection per request: see the surefire settings in the parent pom.
                .header("Connection", "close")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        headers.forEach(request::header);
        return request.build();
    }

    static Answer await(java.util.concurrent.CompletableFuture<HttpResponse<String>> response) {
        try {
            HttpResponse<String> done = response.get(60, java.util.concurrent.TimeUnit.SECONDS);
            return new Answer(done.statusCode(), done.headers(), done.body());
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    Connection jdbc() throws SQLException {
        return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
    }

    /** The first column of the first row of a query with positional parameters, as text. */
    String queryText(String sql, Object... parameters) throws SQLException {
        try (Connection db = jdbc(); PreparedStatement query = db.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                query.setObject(i + 1, parameters[i]);
            }
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    /** Deletes this instance's Redis keys matching {@code pattern} (after the prefix and a colon). */
    void deleteRedisKeys(String pattern) {
        RedisClient redis = RedisClient.create(TestServers.get().redisUri());
        try (StatefulRedisConnection<String, String> connection = redis.connect()) {
            List<String> keys = connection.sync().keys(redisPrefix + ":" + pattern);
            if (!keys.isEmpty()) {
                connection.sync().del(keys.toArray(String[]::new));
            }
        } finally {
            redis.shutdown();
        }
    }

    @Override
    public void close() {
        context.close();
    }

}
