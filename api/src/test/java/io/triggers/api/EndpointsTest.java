package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Endpoint management on an api that refuses private targets (the production default). */
class EndpointsTest {

    private static RunningApi api;
    private static String key;

    @BeforeAll
    static void start() {
        api = RunningApi.start(Map.of());
        key = api.newUnlimitedOrganizationKey("endpoints");
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void internalTargetsAreRefused() {
        for (String url : new String[] {"http://127.0.0.1:9000/hook", "http://localhost/hook", "http://10.0.0.7/hook",
                "http://169.254.169.254/latest/meta-data", "http://[::1]:8080/", "https://192.168.1.20/x", "http://0.0.0.0/"}) {
            Answer answer = create("{\"url\":\"" + url + "\"}");
            assertThat(answer.status()).as(url).isEqualTo(400);
            assertThat(answer.json().get("error").get("details").get(0).get("issue").stringValue()).isEqualTo("private_target_not_allowed");
        }
        String id = create("{\"url\":\"https://hooks.example.com/in\"}").json().get("id").stringValue();
        assertThat(api.send("PATCH", "/v1/endpoints/" + id, key, "{\"url\":\"http://127.0.0.1/\"}", Map.of()).status()).isEqualTo(400);
    }

    @Test
    void endpointsCanBeReadChangedAndDeleted() {
        JsonNode created = create("{\"url\":\"https://hooks.example.com/orders\",\"description\":\"orders\",\"event_types\":[\"order.*\"]}").json();
        String id = created.get("id").stringValue();
        String secret = created.get("secret").stringValue();

        JsonNode read = api.send("GET", "/v1/endpoints/" + id, key, null, Map.of()).json();
        assertThat(read.has("secret")).isFalse();
        assertThat(read.get("event_types").get(0).stringValue()).isEqualTo("order.*");
        assertThat(api.send("GET", "/v1/endpoints", key, null, Map.of()).json().get("endpoints").findValuesAsString("id")).contains(id);
        assertThat(api.send("GET", "/v1/endpoints", key, null, Map.of()).text()).doesNotContain(secret);
        assertThat(api.send("GET", "/v1/endpoints/" + id + "/secret", key, null, Map.of()).json().get("secret").stringValue()).isEqualTo(secret);

        JsonNode patched = api.send("PATCH", "/v1/endpoints/" + id, key,
                "{\"description\":\"all\",\"event_types\":[],\"enabled\":false}", Map.of()).json();
        assertThat(patched.get("description").stringValue()).isEqualTo("all");
        assertThat(patched.get("event_types")).isEmpty();
        assertThat(patched.get("enabled").booleanValue()).isFalse();
        assertThat(patched.get("url").stringValue()).isEqualTo("https://hooks.example.com/orders");
        assertThat(api.send("PATCH", "/v1/endpoints/" + id, key, "{\"enabled\":\"yes\"}", Map.of()).status()).isEqualTo(400);
        assertThat(api.send("PATCH", "/v1/endpoints/" + id, key, "{\"secret\":\"mine\"}", Map.of()).status()).isEqualTo(400);

        String rotated = api.send("POST", "/v1/endpoints/" + id + "/secret/rotate", key, null, Map.of()).json().get("secret").stringValue();
        assertThat(rotated).startsWith("whsec_").isNotEqualTo(secret);
        assertThat(api.send("GET", "/v1/endpoints/" + id + "/secret", key, null, Map.of()).json().get("secret").stringValue()).isEqualTo(rotated);

        assertThat(api.send("DELETE", "/v1/endpoints/" + id, key, null, Map.of()).status()).isEqualTo(204);
        assertThat(api.send("GET", "/v1/endpoints/" + id, key, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("DELETE", "/v1/endpoints/" + id, key, null, Map.of()).status()).isEqualTo(404);
    }

    @Test
    void anotherOrganizationsEndpointIs404Everywhere() {
        String id = create("{\"url\":\"https://hooks.example.com/private\"}").json().get("id").stringValue();
        String other = api.newUnlimitedOrganizationKey("other");
        assertThat(api.send("GET", "/v1/endpoints/" + id, other, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("GET", "/v1/endpoints/" + id + "/secret", other, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("POST", "/v1/endpoints/" + id + "/secret/rotate", other, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("PATCH", "/v1/endpoints/" + id, other, "{\"enabled\":false}", Map.of()).status()).isEqualTo(404);
        assertThat(api.send("DELETE", "/v1/endpoints/" + id, other, null, Map.of()).status()).isEqualTo(404);
        assertThat(api.send("GET", "/v1/endpoints", other, null, Map.of()).json().get("endpoints")).isEmpty();
        assertThat(api.send("GET", "/v1/endpoints/" + id, key, null, Map.of()).status()).isEqualTo(200);
    }

    private static Answer create(String body) {
        return api.send("POST", "/v1/endpoints", key, body, Map.of());
    }
}
