package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The OpenAPI document describes every path and method of the contract (shared/API.md). */
class OpenApiTest {

    /** Every path of the contract with its methods, as shared/API.md lists them. */
    private static final Map<String, Set<String>> CONTRACT = Map.ofEntries(
            Map.entry("/v1/organizations", Set.of("post")),
            Map.entry("/v1/organizations/{id}", Set.of("get", "patch")),
            Map.entry("/v1/me", Set.of("get")),
            Map.entry("/v1/keys", Set.of("get", "post")),
            Map.entry("/v1/keys/{id}/rotate", Set.of("post")),
            Map.entry("/v1/keys/{id}", Set.of("delete")),
            Map.entry("/v1/endpoints", Set.of("get", "post")),
            Map.entry("/v1/endpoints/{id}", Set.of("get", "patch", "delete")),
            Map.entry("/v1/endpoints/{id}/secret", Set.of("get")),
            Map.entry("/v1/endpoints/{id}/secret/rotate", Set.of("post")),
            Map.entry("/v1/endpoints/{id}/test", Set.of("post")),
            Map.entry("/v1/endpoints/{id}/attempts", Set.of("get")),
            Map.entry("/v1/endpoints/{id}/recover", Set.of("post")),
            Map.entry("/v1/endpoints/{id}/stats", Set.of("get")),
            Map.entry("/v1/stats", Set.of("get")),
            Map.entry("/v1/events", Set.of("get", "post")),
            Map.entry("/v1/events/batch", Set.of("post")),
            Map.entry("/v1/events/{id}", Set.of("get", "delete")),
            Map.entry("/v1/events/{id}/attempts", Set.of("get")),
            Map.entry("/v1/events/{id}/ack", Set.of("post")),
            Map.entry("/v1/events/ack", Set.of("post")),
            Map.entry("/v1/events/{id}/replay", Set.of("post")),
            Map.entry("/v1/inbox", Set.of("get")),
            Map.entry("/v1/dead-letters", Set.of("get")),
            Map.entry("/v1/dead-letters/replay", Set.of("post")),
            Map.entry("/v1/event-types", Set.of("get")),
            Map.entry("/v1/event-types/{name}", Set.of("get", "put", "delete")),
            Map.entry("/v1/health", Set.of("get")));

    private static RunningApi api;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of());
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void theDocumentListsEveryContractPathAndMethod() {
        Answer answer = api.send("GET", "/v3/api-docs", null, null, Map.of());
        assertThat(answer.status()).isEqualTo(200);
        JsonNode document = answer.json();
        assertThat(document.get("openapi").stringValue()).startsWith("3.");

        JsonNode paths = document.get("paths");
        assertThat(paths.propertyNames()).containsExactlyInAnyOrderElementsOf(CONTRACT.keySet());
        CONTRACT.forEach((path, methods) -> {
            Set<String> documented = new HashSet<>(paths.get(path).propertyNames());
            documented.remove("parameters");
            assertThat(documented).as(path).containsExactlyInAnyOrderElementsOf(methods);
        });
    }

    @Test
    void errorsAndHeadersOfTheContractAreDescribed() {
        JsonNode document = api.send("GET", "/v3/api-docs", null, null, Map.of()).json();
        JsonNode codes = document.at("/components/schemas/Error/properties/error/properties/code/enum");
        Set<String> documented = new HashSet<>();
        codes.forEach(code -> documented.add(code.stringValue()));
        assertThat(documented).contains("VALIDATION_ERROR", "UNAUTHORIZED", "NOT_FOUND", "CONFLICT", "PAYLOAD_TOO_LARGE",
                "UNSUPPORTED_MEDIA_TYPE", "IDEMPOTENCY_KEY_REUSED", "RATE_LIMITED", "SERVICE_UNAVAILABLE", "INTERNAL_ERROR");
        assertThat(document.at("/components/headers").propertyNames()).contains("RequestId", "RateLimitLimit",
                "RateLimitRemaining", "RateLimitReset", "RetryAfter", "IdempotentReplayed", "Location");
        JsonNode ingest = document.at("/paths/~1v1~1events/post");
        assertThat(ingest.get("responses").propertyNames()).contains("200", "201", "400", "401", "409", "413", "415", "422", "429", "503");
        assertThat(ingest.at("/responses/201/headers").propertyNames()).contains("Location", "X-RateLimit-Limit", "X-Request-ID");
        assertThat(document.at("/components/responses/RateLimited/headers").propertyNames()).contains("Retry-After");
    }

    @Test
    void swaggerUiIsServed() {
        Answer redirect = api.send("GET", "/swagger-ui.html", null, null, Map.of());
        assertThat(redirect.status()).isEqualTo(302);
        String location = redirect.header("Location");
        Answer page = api.send("GET", location.replaceFirst("^https?://[^/]+", ""), null, null, Map.of());
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.text()).contains("Swagger UI");
    }
}
