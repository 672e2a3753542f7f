package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The per-organization endpoint limit holds when creations race each other. */
class EndpointLimitTest {

    private static final int LIMIT = 3;
    private static final int ORGANIZATIONS = 6;
    private static final int ATTEMPTS = 12;

    @Test
    void concurrentCreatesNeverExceedTheLimit() throws Exception {
        // Private targets allowed: no DNS, so the creations reach PostgreSQL as close together as they can.
        try (RunningApi api = RunningApi.start(Map.of("triggers.endpoints.max-per-organization", Integer.toString(LIMIT),
                "triggers.delivery.allow-private-targets", "true"))) {
            Map<String, String> keys = new HashMap<>();
            for (int org = 0; org < ORGANIZATIONS; org++) {
                keys.put("org-" + org, api.newUnlimitedOrganizationKey("org-" + org));
            }
            Map<String, List<CompletableFuture<HttpResponse<String>>>> sent = new HashMap<>();
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                for (Map.Entry<String, String> org : keys.entrySet()) {
                    sent.computeIfAbsent(org.getKey(), name -> new ArrayList<>()).add(api.sendAsync("POST", "/v1/endpoints", org.getValue(),
                            "{\"url\":\"http://127.0.0.1:9/" + attempt + "\"}", Map.of()));
                }
            }
            for (Map.Entry<String, List<CompletableFuture<HttpResponse<String>>>> org : sent.entrySet()) {
                List<Integer> statuses = new ArrayList<>();
                for (CompletableFuture<HttpResponse<String>> response : org.getValue()) {
                    statuses.add(RunningApi.await(response).status());
                }
                assertThat(statuses).as(org.getKey()).filteredOn(status -> status == 201).hasSize(LIMIT);
                assertThat(statuses).as(org.getKey()).filteredOn(status -> status == 409).hasSize(ATTEMPTS - LIMIT);
                String organizationId = api.send("GET", "/v1/me", keys.get(org.getKey()), null, Map.of()).json()
                        .get("organization_id").stringValue();
                assertThat(api.queryText("SELECT count(*) FROM endpoints WHERE organization_id = ?", UUID.fromString(organizationId)))
                        .as(org.getKey()).isEqualTo(Integer.toString(LIMIT));
            }
        }
    }
}
