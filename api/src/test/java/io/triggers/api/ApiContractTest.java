package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.triggers.testing.TestServers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The api's contract for authentication, errors and ingestion, against a running api on real
 * PostgreSQL and Redis.
 */
class ApiContractTest {

    private static final String EVENT = "{\"event_type\":\"order.created\",\"payload\":{\"order_id\":42}}";

    private static RunningApi api;
    private static String key;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of("triggers.ingest.max-payload-bytes", "4096"));
        key = api.newOrganizationKey("acme");
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void noKeyIs401WithTheErrorBodyAndWwwAuthenticate() {
        WebTestClient.ResponseSpec response = api.client.post().uri("/v1/events")
                .header("Content-Type", "application/json").bodyValue(EVENT).exchange();

        response.expectStatus().isUnauthorized()
                .expectHeader().valueEquals("WWW-Authenticate", "Bearer")
                .expectHeader().exists("X-Request-ID")
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("UNAUTHORIZED")
                .jsonPath("$.error.message").isNotEmpty()
                .jsonPath("$.error.details").isArray()
                .jsonPath("$.error.request_id").isNotEmpty();
    }

    @Test
    void anotherMethodOnTheIngestRouteIs405() {
        // POST /v1/events is a functional route (IngestRoutes); the others on its path still answer 405.
        api.client.put().uri("/v1/events").header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").bodyValue(EVENT).exchange()
                .expectStatus().isEqualTo(405)
                .expectBody().jsonPath("$.error.code").isEqualTo("METHOD_NOT_ALLOWED");
    }

    @Test
    void theRequestIdInTheBodyIsTheOneInTheHeaderAndEchoesTheCallers() {
        api.client.post().uri("/v1/events")
                .header("Content-Type", "application/json").header("X-Request-ID", "req-abc-123")
                .bodyValue(EVENT).exchange()
                .expectStatus().isUnauthorized()
                .expectHeader().valueEquals("X-Request-ID", "req-abc-123")
                .expectBody().jsonPath("$.error.request_id").isEqualTo("req-abc-123");
    }

    @Test
    void aWrongKeyIs401InEitherHeader() {
        String unknown = "tk_live_" + "A".repeat(43);
        for (String[] header : List.of(
                new String[] {"Authorization", "Bearer " + unknown},
                new String[] {"X-API-Key", unknown},
                new String[] {"Authorization", "Bearer not-a-key"},
                new String[] {"Authorization", "Basic " + key})) {
            api.client.post().uri("/v1/events")
                    .header(header[0], header[1]).header("Content-Type", "application/json")
                    .bodyValue(EVENT).exchange()
                    .expectStatus().isUnauthorized()
                    .expectHeader().valueEquals("WWW-Authenticate", "Bearer")
                    .expectBody().jsonPath("$.error.code").isEqualTo("UNAUTHORIZED");
        }
    }

    @Test
    void theRightKeyWorksInEitherHeader() {
        api.client.post().uri("/v1/events").header("X-API-Key", key).header("Content-Type", "application/json")
                .bodyValue(EVENT).exchange().expectStatus().isCreated();
        api.client.post().uri("/v1/events").header("Authorization", "bearer " + key).header("Content-Type", "application/json")
                .bodyValue(EVENT).exchange().expectStatus().isCreated();
    }

    @Test
    void aMissingEventTypeIs400NamingTheField() {
        post("{\"payload\":{\"a\":1}}")
                .expectStatus().isBadRequest()
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("VALIDATION_ERROR")
                .jsonPath("$.error.message").isEqualTo("event_type is required")
                .jsonPath("$.error.details[0].field").isEqualTo("event_type")
                .jsonPath("$.error.details[0].issue").isEqualTo("required")
                .jsonPath("$.error.request_id").isNotEmpty();
    }

    @Test
    void theServicesOwnEventTypePrefixIsRefusedInAnyCase() {
        for (String type : new String[] {"triggers.endpoint.disabled", "Triggers.delivery.dead", "TRIGGERS.x"}) {
            post("{\"event_type\":\"" + type + "\",\"payload\":1}")
                    .expectStatus().isBadRequest()
                    .expectBody()
                    .jsonPath("$.error.details[0].field").isEqualTo("event_type")
                    .jsonPath("$.error.details[0].issue").isEqualTo("reserved");
        }
        post("{\"event_type\":\"triggersx.y\",\"payload\":1}").expectStatus().isCreated();
    }

    @Test
    void everyProblemOfABodyIsListed() {
        post("{\"event_type\":\"bad type!\",\"payload\":null,\"metadata\":{\"priority\":\"urgent\"},\"extra\":1}")
                .expectStatus().isBadRequest()
                .expectBody()
                .jsonPath("$.error.details[?(@.field == 'extra')].issue").isEqualTo("unknown_field")
                .jsonPath("$.error.details[?(@.field == 'event_type')].issue").isEqualTo("invalid_format")
                .jsonPath("$.error.details[?(@.field == 'payload')].issue").isEqualTo("required")
                .jsonPath("$.error.details[?(@.field == 'metadata.priority')].issue").isEqualTo("invalid_value");
    }

    @Test
    void malformedJsonIs400AndAnotherContentTypeIs415() {
        post("{\"event_type\": ").expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.code").isEqualTo("VALIDATION_ERROR");
        post("[1,2]").expectStatus().isBadRequest();
        api.client.post().uri("/v1/events").header("Authorization", "Bearer " + key)
                .header("Content-Type", "text/plain").bodyValue(EVENT).exchange()
                .expectStatus().isEqualTo(HttpStatus.UNSUPPORTED_MEDIA_TYPE)
                .expectBody().jsonPath("$.error.code").isEqualTo("UNSUPPORTED_MEDIA_TYPE");
    }

    @Test
    void aBodyOverTheLimitIs413() {
        String big = "{\"event_type\":\"big\",\"payload\":\"" + "x".repeat(5000) + "\"}";
        post(big).expectStatus().isEqualTo(HttpStatus.CONTENT_TOO_LARGE)
                .expectBody().jsonPath("$.error.code").isEqualTo("PAYLOAD_TOO_LARGE");
    }

    @Test
    void jsonNestedDeeperThan64LevelsIs400() {
        // The body object is the first level.
        post("{\"event_type\":\"deep\",\"payload\":" + "[".repeat(63) + "]".repeat(63) + "}").expectStatus().isCreated();
        post("{\"event_type\":\"deep\",\"payload\":" + "{\"a\":".repeat(63) + "1" + "}".repeat(63) + "}").expectStatus().isCreated();
        post("{\"event_type\":\"deep\",\"payload\":" + "[".repeat(64) + "]".repeat(64) + "}").expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.code").isEqualTo("VALIDATION_ERROR");
        post("{\"event_type\":\"deep\",\"payload\":" + "{\"a\":".repeat(64) + "1" + "}".repeat(64) + "}").expectStatus().isBadRequest();
    }

    @Test
    void operatorCallsNeedTheAdminToken() {
        api.client.post().uri("/v1/organizations").header("Content-Type", "application/json")
                .bodyValue("{\"name\":\"x\"}").exchange().expectStatus().isUnauthorized();
        api.client.post().uri("/v1/organizations").header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").bodyValue("{\"name\":\"x\"}").exchange()
                .expectStatus().isUnauthorized();
        api.client.post().uri("/v1/organizations").header("Authorization", "Bearer " + api.adminToken)
                .header("Content-Type", "application/json").bodyValue("{\"name\":\"x\",\"tier\":\"gold\"}").exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.details[0].field").isEqualTo("tier");
    }

    @Test
    void anOrganizationComesWithAKeyShownOnceAndStoredOnlyAsAHash() throws Exception {
        Map<?, ?> created = api.client.post().uri("/v1/organizations").header("Authorization", "Bearer " + api.adminToken)
                .header("Content-Type", "application/json")
                .bodyValue("{\"name\":\"globex\",\"tier\":\"pro\",\"rate_limit_per_minute\":600000}").exchange()
                .expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        assertThat(created.get("tier")).isEqualTo("pro");
        assertThat(created.get("rate_limit_per_minute")).isEqualTo(600000);
        assertThat(created.get("created_at").toString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        Map<?, ?> apiKey = (Map<?, ?>) created.get("api_key");
        String plain = apiKey.get("key").toString();
        assertThat(plain).matches("tk_live_[A-Za-z0-9_-]{43}");
        assertThat(plain).startsWith(apiKey.get("prefix").toString());

        try (Connection db = api.jdbc();
             PreparedStatement query = db.prepareStatement("SELECT key_hash, prefix FROM api_keys WHERE id = ?")) {
            query.setObject(1, UUID.fromString(apiKey.get("id").toString()));
            try (ResultSet row = query.executeQuery()) {
                assertThat(row.next()).isTrue();
                assertThat(row.getBytes("key_hash")).hasSize(32).isNotEqualTo(plain.getBytes());
            }
        }
    }

    @Test
    void ingestionCommitsTheEventWithOneDeliveryPerMatchingEndpointAndQueuesIt() throws Exception {
        String tenantKey = api.newOrganizationKey("fanout");
        String all = endpoint(tenantKey, "{\"url\":\"https://example.com/all\"}");
        String orders = endpoint(tenantKey, "{\"url\":\"https://example.com/orders\",\"event_types\":[\"order.*\"]}");
        endpoint(tenantKey, "{\"url\":\"https://example.com/invoices\",\"event_types\":[\"invoice.paid\"]}");
        endpoint(tenantKey, "{\"url\":\"https://example.com/off\",\"enabled\":false}");

        Map<?, ?> created = api.client.post().uri("/v1/events").header("Authorization", "Bearer " + tenantKey)
                .header("Content-Type", "application/json")
                .bodyValue("{\"event_type\":\"order.created\",\"source\":\"shop\",\"payload\":{\"order_id\":42},"
                        + "\"metadata\":{\"correlation_id\":\"c-1\",\"priority\":\"high\"}}")
                .exchange()
                .expectStatus().isCreated()
                .expectHeader().value("Location", location -> assertThat(location).startsWith("/v1/events/"))
                .expectBody(Map.class).returnResult().getResponseBody();
        assertThat(created.get("status")).isEqualTo("pending");
        assertThat(created.get("source")).isEqualTo("shop");
        UUID eventId = UUID.fromString(created.get("event_id").toString());
        assertThat(eventId.version()).isEqualTo(7);

        List<String> endpointIds = new ArrayList<>();
        try (Connection db = api.jdbc();
             PreparedStatement query = db.prepareStatement("SELECT endpoint_id, status FROM deliveries WHERE event_id = ?")) {
            query.setObject(1, eventId);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    assertThat(rows.getString("status")).isEqualTo("pending");
                    endpointIds.add(rows.getString("endpoint_id"));
                }
            }
        }
        assertThat(endpointIds).containsExactlyInAnyOrder(all, orders);

        RedisClient redis = RedisClient.create(TestServers.get().redisUri());
        try (StatefulRedisConnection<String, String> connection = redis.connect()) {
            assertThat(new io.triggers.testing.TestQueue(connection.sync(), api.redisPrefix).entriesOf(eventId.toString()))
                    .extracting(io.triggers.testing.TestQueue.Entry::endpointId)
                    .containsExactlyInAnyOrder(all, orders);
        } finally {
            redis.shutdown();
        }

        api.client.get().uri("/v1/events/" + eventId).header("Authorization", "Bearer " + tenantKey).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.event_id").isEqualTo(eventId.toString())
                .jsonPath("$.payload.order_id").isEqualTo(42)
                .jsonPath("$.metadata.correlation_id").isEqualTo("c-1")
                .jsonPath("$.deliveries.length()").isEqualTo(2)
                .jsonPath("$.deliveries[0].attempts").isEqualTo(0);

        // Another organization's event does not exist for this key.
        api.client.get().uri("/v1/events/" + eventId).header("Authorization", "Bearer " + key).exchange()
                .expectStatus().isNotFound()
                .expectBody().jsonPath("$.error.code").isEqualTo("NOT_FOUND");
    }

    @Test
    void endpointsRefuseBadUrlsAndFilters() {
        for (String body : List.of("{\"url\":\"ftp://example.com/x\"}", "{\"url\":\"https://user:pw@example.com/x\"}",
                "{\"url\":\"not a url\"}", "{}", "{\"url\":\"https://example.com\",\"event_types\":[\"a b\"]}")) {
            api.client.post().uri("/v1/endpoints").header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/json").bodyValue(body).exchange()
                    .expectStatus().isBadRequest()
                    .expectBody().jsonPath("$.error.code").isEqualTo("VALIDATION_ERROR");
        }
        api.client.post().uri("/v1/endpoints").header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").bodyValue("{\"url\":\"https://example.com/hook\"}").exchange()
                .expectStatus().isCreated()
                .expectBody()
                .jsonPath("$.secret").value(secret -> assertThat(secret.toString()).startsWith("whsec_"))
                .jsonPath("$.enabled").isEqualTo(true)
                .jsonPath("$.event_types").isEmpty();
    }

    @Test
    void healthReportsBothDependencies() {
        api.client.get().uri("/v1/health").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("healthy")
                .jsonPath("$.checks.postgres").isEqualTo("up")
                .jsonPath("$.checks.redis").isEqualTo("up")
                .jsonPath("$.version").isNotEmpty();
    }

    private WebTestClient.ResponseSpec post(String body) {
        return api.client.post().uri("/v1/events").header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").bodyValue(body).exchange();
    }

    private String endpoint(String tenantKey, String body) {
        Map<?, ?> created = api.client.post().uri("/v1/endpoints").header("Authorization", "Bearer " + tenantKey)
                .header("Content-Type", "application/json").bodyValue(body).exchange()
                .expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        return created.get("id").toString();
    }
}
