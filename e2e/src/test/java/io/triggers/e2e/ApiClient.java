package io.triggers.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The tests' HTTP client for one api, wherever it runs. */
final class ApiClient {

    record Response(int status, HttpResponseHeaders headers, JsonNode body) {
    }

    record HttpResponseHeaders(java.net.http.HttpHeaders headers) {
        String first(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final JsonMapper json = JsonMapper.builder().build();

    /** {@code http://127.0.0.1:<port>}, the api this client calls. */
    String baseUrl() {
        return baseUrl;
    }

    ApiClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /** Creates an organization (of the free tier) and returns its API key. */
    String newOrganizationKey(String adminToken, String name) {
        return organizationKey(adminToken, "{\"name\":\"" + name + "\"}");
    }

    /** Creates an organization without a rate limit and returns its API key. */
    String newUnlimitedOrganizationKey(String adminToken, String name) {
        return organizationKey(adminToken, "{\"name\":\"" + name + "\",\"rate_limit_per_minute\":0}");
    }

    private String organizationKey(String adminToken, String body) {
        Response created = call("POST", "/v1/organizations", adminToken, body, Map.of());
        if (created.status() != 201) {
            throw new IllegalStateException("organization not created: " + created.status() + " " + created.body());
        }
        return created.body().get("api_key").get("key").stringValue();
    }

    /** Creates an endpoint for {@code url} and returns its body (id, secret, …). */
    JsonNode newEndpoint(String key, String url) {
        Response created = call("POST", "/v1/endpoints", key, "{\"url\":\"" + url + "\"}", Map.of());
        if (created.status() != 201) {
            throw new IllegalStateException("endpoint not created: " + created.status() + " " + created.body());
        }
        return created.body();
    }

    /** Ingests a small event for the key's organization and returns its id (asserting the 201). */
    String ingest(String key) {
        Response accepted = call("POST", "/v1/events", key, "{\"event_type\":\"e2e.test\",\"payload\":{}}", Map.of());
        if (accepted.status() != 201) {
            throw new IllegalStateException("event not accepted: " + accepted.status() + " " + accepted.body());
        }
        return accepted.body().get("event_id").stringValue();
    }

    /**
     * Ingests events with {@code POST /v1/events/batch}, up to 500 bodies a call, and returns their ids
     * in order (asserting the 200 and every item's 201).
     */
    java.util.List<String> ingestBatch(String key, java.util.List<String> eventBodies) {
        java.util.List<String> ids = new java.util.ArrayList<>(eventBodies.size());
        for (int from = 0; from < eventBodies.size(); from += 500) {
            java.util.List<String> chunk = eventBodies.subList(from, Math.min(from + 500, eventBodies.size()));
            // A batch of 500 may take a while on a busy machine; not retried, so as not to ingest twice.
            Response answer = call("POST", "/v1/events/batch", key, "{\"events\":[" + String.join(",", chunk) + "]}", Map.of(),
                    Duration.ofSeconds(60));
            if (answer.status() != 200) {
                throw new IllegalStateException("batch not accepted: " + answer.status() + " " + answer.body());
            }
            for (JsonNode result : answer.body().get("results")) {
                if (result.get("status").intValue() != 201) {
                    throw new IllegalStateException("batch item not created: " + result);
                }
                ids.add(result.get("event_id").stringValue());
            }
        }
        return ids;
    }

    /** Sends a request; a connection that fails (refused, reset) is an {@link IllegalStateException}. */
    Response call(String method, String path, String bearer, String body, Map<String, String> headers) {
        return call(method, path, bearer, body, headers, Duration.ofSeconds(10));
    }

    /** {@link #call(String, String, String, String, Map)} waiting up to {@code timeout} for the answer. */
    Response call(String method, String path, String bearer, String body, Map<String, String> headers, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                // A new connection per request: see the surefire settings in the parent pom.
                .header("Connection", "close")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode parsed = response.body().isEmpty() ? null : json.readTree(response.body());
            return new Response(response.statusCode(), new HttpResponseHeaders(response.headers()), parsed);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
