package io.triggers.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.auth.AccessRules.Access;
import io.triggers.api.auth.AccessRules.Decision;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.RequestPath;

/** {@link AccessRules} on paths parsed the way WebFlux parses a request's path. */
class AccessRulesTest {

    @ParameterizedTest
    @ValueSource(strings = {"/v1/organizations", "/v1/organizations/0193b7e2-0000-7000-8000-000000000000",
            "/v1/organizations/", "/v1/organizations/x/y", "/%761/organizations", "/v%31/organizations",
            "/v1/%6Frganizations/x", "/v1/organization%73", "/V1/Organizations", "/v1/ORGANIZATIONS/x",
            "/v1/organizations?x=1"})
    void everySpellingOfOrganizationsIsTheOperators(String path) {
        assertThat(decide("POST", path).access()).isEqualTo(Access.OPERATOR);
        assertThat(decide("GET", path).access()).isEqualTo(Access.OPERATOR);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/events", "/v1/events/batch", "/v1/me", "/v1", "/v1/", "/V1/me", "/%761/events",
            "/v1/organizationsx", "/v1/keys/organizations", "/v1/HEALTH", "/v1/health/x"})
    void everyOtherV1PathIsATenants(String path) {
        assertThat(decide("POST", path).access()).isEqualTo(Access.TENANT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "HEAD"})
    void healthIsOpenForReading(String method) {
        assertThat(decide(method, "/v1/health").access()).isEqualTo(Access.PUBLIC);
        assertThat(decide(method, "/v1/health/").access()).isEqualTo(Access.PUBLIC);
        assertThat(decide(method, "/v1/%68ealth").access()).isEqualTo(Access.PUBLIC);
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    void healthTakesAKeyForAnythingElse(String method) {
        assertThat(decide(method, "/v1/health").access()).isEqualTo(Access.TENANT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/actuator/health", "/v3/api-docs", "/swagger-ui.html", "/v2/organizations",
            "/v1x/organizations", "/organizations", "/x/v1/organizations"})
    void pathsOutsideV1AreNotOurs(String path) {
        assertThat(decide("POST", path).access()).isEqualTo(Access.NOT_OURS);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/v1;x/organizations", "/v1/organizations;x/1", "/v1/organizations/1;a=b", "/v1;/organizations",
            "/v1/events;x", "/;x/v1/organizations", "/v1%3B/organizations", "/v1/organizations%3bx",
            "/v1/organizations%2F1", "/v1%2forganizations", "/v1/a%252Fb", "/v1/%25",
            "/v1/%2e/organizations", "/v1/%2E%2E/organizations", "/v1/x%2ey", "/v1/./organizations",
            "/v1/events/../organizations", "/v1/organizations/..", "/v1/organizations/.", "/./v1/organizations",
            "/v1/..;/organizations", "/v1//organizations", "//v1/organizations", "/v1/organizations//",
            "/actuator;x/health", "/actuator//health", "/v3/../v1/organizations"})
    void ambiguousSpellingsAreRefusedWhereverTheyPoint(String path) {
        Decision decision = decide("GET", path);
        assertThat(decision.access()).isEqualTo(Access.REFUSED);
        assertThat(decision.refusal()).startsWith("the path has");
    }

    private static Decision decide(String method, String path) {
        String rawPath = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        return AccessRules.decide(HttpMethod.valueOf(method), RequestPath.parse(rawPath, null).pathWithinApplication());
    }
}
