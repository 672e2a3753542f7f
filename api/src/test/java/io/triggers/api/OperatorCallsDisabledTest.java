package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Without a TRIGGERS_ADMIN_TOKEN of at least 32 characters, operator calls do not exist. */
@ExtendWith(OutputCaptureExtension.class)
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

    @Test
    void anAdminTokenShorterThan32CharactersLeavesThemOffAndSaysSo(CapturedOutput output) {
        String shortToken = "s3cr3t-" + "x".repeat(24);
        assertThat(shortToken).hasSize(31);
        try (RunningApi api = RunningApi.start(Map.of("triggers.admin-token", shortToken))) {
            RunningApi.Answer answer = api.send("POST", "/v1/organizations", shortToken, "{\"name\":\"x\"}", Map.of());
            assertThat(answer.status()).isEqualTo(404);
            assertThat(output.getAll()).contains("triggers.admin-token (TRIGGERS_ADMIN_TOKEN) is shorter than 32 characters")
                    .doesNotContain(shortToken);
        }
    }

    @Test
    void anAdminTokenOf32CharactersTurnsThemOn() {
        String token = "k".repeat(32);
        try (RunningApi api = RunningApi.start(Map.of("triggers.admin-token", token))) {
            assertThat(api.send("POST", "/v1/organizations", token, "{\"name\":\"x\"}", Map.of()).status()).isEqualTo(201);
        }
    }
}
