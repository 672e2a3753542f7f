package io.triggers.api;

import io.triggers.testing.TestDatabase;
import io.triggers.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * A real api on an ephemeral port, on its own test database and Redis key prefix.
 */
final class RunningApi implements AutoCloseable {

    final TestDatabase database;
    final String redisPrefix;
    final String adminToken;
    final ConfigurableApplicationContext context;
    final WebTestClient client;

    private RunningApi(TestDatabase database, String redisPrefix, String adminToken, ConfigurableApplicationContext context) {
        this.database = database;
        this.redisPrefix = redisPrefix;
        this.adminToken = adminToken;
        this.context = context;
        String port = context.getEnvironment().getProperty("local.server.port");
        this.client = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port)
                .responseTimeout(Duration.ofSeconds(10)).build();
    }

    static RunningApi start(Map<String, String> extra) {
        TestServers servers = TestServers.get();
        TestDatabase database = servers.newDatabase();
        String prefix = servers.newRedisPrefix();
        String adminToken = "admin-" + UUID.randomUUID();
        Map<String, Object> properties = new HashMap<>(servers.appProperties(database, prefix));
        properties.put("server.port", "0");
        properties.put("triggers.admin-token", adminToken);
        properties.putAll(extra);
        // As arguments: builder properties are defaults, which the app's own yml would override.
        String[] args = properties.entrySet().stream().map(p -> "--" + p.getKey() + "=" + p.getValue()).toArray(String[]::new);
        ConfigurableApplicationContext context = TriggersApi.application()
                .web(WebApplicationType.REACTIVE)
                .run(args);
        return new RunningApi(database, prefix, properties.get("triggers.admin-token").toString(), context);
    }

    /** Creates an organization with the admin token and returns its first API key. */
    String newOrganizationKey(String name) {
        Map<?, ?> created = client.post().uri("/v1/organizations")
                .header("Authorization", "Bearer " + adminToken)
                .header("Content-Type", "application/json")
                .bodyValue("{\"name\":\"" + name + "\"}")
                .exchange()
                .expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        return ((Map<?, ?>) created.get("api_key")).get("key").toString();
    }

    Connection jdbc() throws SQLException {
        return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
    }

    @Override
    public void close() {
        context.close();
    }
}
