package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.triggers.api.RunningApi.Answer;
import io.triggers.api.auth.Operator;
import io.triggers.api.organizations.OrganizationsController;
import io.triggers.api.web.ApiException;
import java.time.Duration;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import tools.jackson.databind.JsonNode;

/** Operator calls on organizations: read and change, tiers and the per-organization override. */
class OrganizationsTest {

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
    void anOrganizationReadsBackWithoutKeyMaterial() {
        JsonNode created = api.createOrganization("{\"name\":\"acme\",\"tier\":\"pro\"}");
        Answer read = api.send("GET", "/v1/organizations/" + id(created), api.adminToken, null, Map.of());

        assertThat(read.status()).isEqualTo(200);
        JsonNode organization = read.json();
        assertThat(organization.get("name").stringValue()).isEqualTo("acme");
        assertThat(organization.get("tier").stringValue()).isEqualTo("pro");
        assertThat(organization.get("rate_limit_per_minute").intValue()).isEqualTo(1000);
        assertThat(organization.has("api_key")).isFalse();
        assertThat(read.text()).doesNotContain(created.get("api_key").get("key").stringValue());
        assertThat(organization.get("updated_at").stringValue()).matches(".*\\.\\d{3}Z");
    }

    @Test
    void patchChangesOnlyWhatItNames() {
        String id = id(api.createOrganization("{\"name\":\"patch-me\"}"));

        JsonNode tier = patch(id, "{\"tier\":\"enterprise\"}").json();
        assertThat(tier.get("name").stringValue()).isEqualTo("patch-me");
        assertThat(tier.get("rate_limit_per_minute").intValue()).isEqualTo(100_000);

        JsonNode override = patch(id, "{\"rate_limit_per_minute\":0,\"name\":\"renamed\"}").json();
        assertThat(override.get("rate_limit_per_minute").intValue()).isZero();
        assertThat(override.get("name").stringValue()).isEqualTo("renamed");
        assertThat(override.get("tier").stringValue()).isEqualTo("enterprise");

        JsonNode reset = patch(id, "{\"rate_limit_per_minute\":null}").json();
        assertThat(reset.get("rate_limit_per_minute").intValue()).isEqualTo(100_000);
    }

    @Test
    void retentionDaysIsSetAtCreationChangedAndResetToTheInstallationsSetting() {
        JsonNode created = api.createOrganization("{\"name\":\"keeper\",\"retention_days\":90}");
        assertThat(created.get("retention_days").intValue()).isEqualTo(90);
        String id = id(created);
        assertThat(api.send("GET", "/v1/organizations/" + id, api.adminToken, null, Map.of()).json().get("retention_days").intValue())
                .isEqualTo(90);
        assertThat(patch(id, "{\"retention_days\":3}").json().get("retention_days").intValue()).isEqualTo(3);
        assertThat(patch(id, "{\"name\":\"still-keeper\"}").json().get("retention_days").intValue()).as("untouched").isEqualTo(3);
        assertThat(patch(id, "{\"retention_days\":null}").json().get("retention_days").isNull()).as("back to the default").isTrue();
        assertThat(api.createOrganization("{\"name\":\"plain\"}").get("retention_days").isNull()).isTrue();

        for (String bad : new String[] {"0", "3651", "-1", "\"30\"", "1.5"}) {
            assertThat(patch(id, "{\"retention_days\":" + bad + "}").status()).as(bad).isEqualTo(400);
            assertThat(api.send("POST", "/v1/organizations", api.adminToken, "{\"name\":\"x\",\"retention_days\":" + bad + "}",
                    Map.of()).status()).as(bad).isEqualTo(400);
        }
    }

    @Test
    void badPatchesAreRefused() {
        String id = id(api.createOrganization("{\"name\":\"strict\"}"));
        assertThat(patch(id, "{\"tier\":\"platinum\"}").status()).isEqualTo(400);
        assertThat(patch(id, "{\"name\":\"\"}").status()).isEqualTo(400);
        assertThat(patch(id, "{\"name\":null}").status()).isEqualTo(400);
        assertThat(patch(id, "{\"rate_limit_per_minute\":-5}").status()).isEqualTo(400);
        assertThat(patch(id, "{\"owner\":\"me\"}").json().get("error").get("details").get(0).get("issue").stringValue())
                .isEqualTo("unknown_field");
        assertThat(patch("00000000-0000-0000-0000-000000000000", "{\"name\":\"x\"}").status()).isEqualTo(404);
        assertThat(patch("nope", "{\"name\":\"x\"}").status()).isEqualTo(404);
    }

    @Test
    void onlyTheOperatorMayCall() {
        JsonNode created = api.createOrganization("{\"name\":\"private\"}");
        String orgKey = created.get("api_key").get("key").stringValue();
        assertThat(api.send("GET", "/v1/organizations/" + id(created), orgKey, null, Map.of()).status()).isEqualTo(401);
        assertThat(api.send("GET", "/v1/organizations/" + id(created), null, null, Map.of()).status()).isEqualTo(401);
        assertThat(api.send("PATCH", "/v1/organizations/" + id(created), orgKey, "{\"tier\":\"enterprise\"}", Map.of()).status())
                .isEqualTo(401);
    }

    @Test
    void aCallThatReachesTheHandlersWithoutTheOperatorIsRefused() throws Exception {
        // Straight to the controller, past the filter: as if the filter had let the call through.
        OrganizationsController controller = api.context.getBean(OrganizationsController.class);
        String id = id(api.createOrganization("{\"name\":\"guarded\"}"));

        assertRefused(() -> controller.create(exchange(MockServerHttpRequest.post("/v1/organizations")
                .contentType(MediaType.APPLICATION_JSON).body("{\"name\":\"sneaked\",\"tier\":\"enterprise\"}"))));
        assertRefused(() -> controller.get(id, exchange(MockServerHttpRequest.get("/v1/organizations/" + id).build())));
        assertRefused(() -> controller.update(id, exchange(MockServerHttpRequest.patch("/v1/organizations/" + id)
                .contentType(MediaType.APPLICATION_JSON).body("{\"tier\":\"enterprise\"}"))));
        assertThat(api.queryText("SELECT count(*) FROM organizations WHERE name = 'sneaked'")).isEqualTo("0");
        assertThat(api.queryText("SELECT tier FROM organizations WHERE id = ?::uuid", id)).isEqualTo("free");

        // The same call with the operator on the exchange (what the filter puts there) is served.
        MockServerWebExchange asOperator = exchange(MockServerHttpRequest.get("/v1/organizations/" + id).build());
        asOperator.getAttributes().put(Operator.ATTRIBUTE, new Operator());
        assertThat(controller.get(id, asOperator).block(Duration.ofSeconds(10)).name()).isEqualTo("guarded");
    }

    private static void assertRefused(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ApiException.class,
                refused -> assertThat(refused.status()).isEqualTo(HttpStatus.NOT_FOUND));
    }

    private static MockServerWebExchange exchange(MockServerHttpRequest request) {
        return MockServerWebExchange.from(request);
    }

    private static Answer patch(String id, String body) {
        return api.send("PATCH", "/v1/organizations/" + id, api.adminToken, body, Map.of());
    }

    private static String id(JsonNode organization) {
        return organization.get("id").stringValue();
    }
}
