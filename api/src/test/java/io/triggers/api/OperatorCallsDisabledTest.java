package io.triggers.api;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Without TRIGGERS_ADMIN_TOKEN, operator calls do not exist. */
class OperatorCallsDisabledTest {

    @Test
    void withoutAnAdminTokenOperatorCallsAre404() {
        try (RunningApi api = RunningApi.start(Map.of("triggers.admin-token", ""))) {
            api.client.post().uri("/v1/organizations").header("Authorization", "Bearer anything")
                    .header("Content-Type", "application/json").bodyValue("{\"name\":\"x\"}").exchange()
                    .expectStatus().isNotFound()
                    .expectBody().jsonPath("$.error.code").isEqualTo("NOT_FOUND");
        }
    }
}
