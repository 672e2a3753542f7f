package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RawHttp.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.result.method.RequestMappingInfo;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.pattern.PathPattern;
import tools.jackson.databind.JsonNode;

/**
 * Every spelling of every route the router knows: no operator route answers 2xx without the admin
 * token (with no credential, or with a tenant's key), and no tenant route answers 2xx without a
 * key. Spellings that WebFlux would route differently from their text ({@code ;} parameters,
 * encoded {@code /} or {@code .}, {@code .}/{@code ..} and empty segments) are refused with 400;
 * the others are decoded like the router decodes them and need the credential of the route they
 * reach. The routes come from the router itself, so a route added later is covered too. Requests
 * go out on a raw socket, byte for byte.
 */
class PathSpellingTest {

    /** A body every write route of the api would accept; it would make an enterprise organization. */
    private static final String BODY = "{\"name\":\"spelled\",\"tier\":\"enterprise\"}";

    private enum Expect { REFUSED, AUTHENTICATE }

    private record Spelling(String target, Expect expect, String how) {
    }

    private record Route(RequestMethod method, String path, boolean operator) {
    }

    private static RunningApi api;
    private static String tenantKey;
    private static String organizationId;
    private static int port;

    @BeforeAll
    static void start() {
        // Thousands of refused credentials from one address, on purpose: no per-address limit here.
        api = RunningApi.start(Map.of("triggers.auth.failed-per-second", "1000000"));
        port = api.port();
        tenantKey = api.newUnlimitedOrganizationKey("tenant");
        organizationId = api.createOrganization("{\"name\":\"target\"}").get("id").stringValue();
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void noSpellingReachesARouteWithoutItsCredential() throws Exception {
        List<Route> routes = routes();
        assertThat(routes.stream().filter(Route::operator).map(Route::path)).as("operator routes found in the router")
                .contains("/v1/organizations", "/v1/organizations/{id}");
        assertThat(routes.stream().filter(route -> !route.operator()).count()).as("tenant routes found in the router")
                .isGreaterThanOrEqualTo(20);

        List<String> failures = new ArrayList<>();
        int sent = 0;
        for (Route route : routes) {
            String path = route.path().replaceAll("\\{[^}]+}", organizationId);
            String body = route.method() == RequestMethod.GET || route.method() == RequestMethod.DELETE ? null : BODY;
            for (Spelling spelling : spellings(path)) {
                List<String> credentials = new ArrayList<>();
                credentials.add(null);
                if (route.operator()) {
                    credentials.add(tenantKey);
                }
                for (String credential : credentials) {
                    Response answer = RawHttp.send(port, route.method().name(), spelling.target(), credential, body);
                    sent++;
                    String problem = problem(spelling, answer);
                    if (problem != null) {
                        failures.add(route.method() + " " + spelling.target() + " (" + spelling.how() + ", "
                                + (credential == null ? "no credential" : "tenant key") + "): " + problem);
                    }
                }
            }
        }
        System.out.println("sent " + sent + " spellings of " + routes.size() + " routes");
        assertThat(failures).as("spellings answered wrongly (of " + sent + ")").isEmpty();

        JsonNode target = RunningApi.JSON.readTree(api.queryText(
                "SELECT json_build_object('name', name, 'tier', tier)::text FROM organizations WHERE id = ?::uuid", organizationId));
        assertThat(target.get("tier").stringValue()).isEqualTo("free");
        assertThat(target.get("name").stringValue()).isEqualTo("target");
        assertThat(api.queryText("SELECT count(*) FROM organizations")).as("no organization created").isEqualTo("2");
    }

    @Test
    void decodedSpellingsOfAnOperatorRouteWorkWithTheAdminToken() {
        String path = "/v1/organizations/" + organizationId;
        for (Spelling spelling : spellings(path)) {
            if (spelling.expect() != Expect.AUTHENTICATE || !spelling.how().startsWith("%")) {
                continue;
            }
            Response read = RawHttp.send(port, "GET", spelling.target(), api.adminToken, null);
            assertThat(read.status()).as(spelling.target()).isEqualTo(200);
            Response patched = RawHttp.send(port, "PATCH", spelling.target(), api.adminToken, "{\"name\":\"target\"}");
            assertThat(patched.status()).as(spelling.target()).isEqualTo(200);
        }
        assertThat(RawHttp.send(port, "GET", "/%761/%6Frganizations/" + organizationId, api.adminToken, null).status())
                .isEqualTo(200);
    }

    private static String problem(Spelling spelling, Response answer) {
        if (answer.status() >= 200 && answer.status() < 300) {
            return "answered " + answer.status();
        }
        int expected = spelling.expect() == Expect.REFUSED ? 400 : 401;
        String code = spelling.expect() == Expect.REFUSED ? "VALIDATION_ERROR" : "UNAUTHORIZED";
        if (answer.status() != expected || !code.equals(answer.code())) {
            return "answered " + answer.status() + " " + answer.code() + ", expected " + expected + " " + code;
        }
        return null;
    }

    /** The routes under /v1 the router holds (health, which is open, aside), with their methods. */
    private static List<Route> routes() {
        Map<RequestMappingInfo, HandlerMethod> handlers = new HashMap<>();
        api.context.getBeansOfType(RequestMappingHandlerMapping.class).values()
                .forEach(mapping -> handlers.putAll(mapping.getHandlerMethods()));
        Set<String> seen = new TreeSet<>();
        List<Route> routes = new ArrayList<>();
        handlers.keySet().forEach(info -> {
            for (PathPattern pattern : info.getPatternsCondition().getPatterns()) {
                String path = pattern.getPatternString();
                if (!path.startsWith("/v1/") || path.equals("/v1/health")) {
                    continue;
                }
                for (RequestMethod method : info.getMethodsCondition().getMethods()) {
                    if (seen.add(method + " " + path)) {
                        routes.add(new Route(method, path, path.startsWith("/v1/organizations")));
                    }
                }
            }
        });
        return routes;
    }

    /** The path as registered and a generated set of other spellings of it, each with what it must answer. */
    static List<Spelling> spellings(String path) {
        List<String> segments = List.of(path.substring(1).split("/"));
        List<Spelling> spellings = new ArrayList<>();
        spellings.add(new Spelling(path, Expect.AUTHENTICATE, "as registered"));
        spellings.add(new Spelling(path + "/", Expect.AUTHENTICATE, "trailing /"));
        spellings.add(new Spelling("http://127.0.0.1:" + port + path, Expect.AUTHENTICATE, "absolute form"));
        spellings.add(new Spelling(path.toUpperCase(Locale.ROOT), Expect.AUTHENTICATE, "upper case"));
        spellings.add(new Spelling(path + "/.", Expect.REFUSED, "/. at the end"));
        spellings.add(new Spelling(path + "/..", Expect.REFUSED, "/.. at the end"));
        spellings.add(new Spelling(path + "//", Expect.REFUSED, "// at the end"));
        for (int i = 0; i < segments.size(); i++) {
            spellings.add(new Spelling(changed(segments, i, s -> s + ";x"), Expect.REFUSED, ";x after segment " + i));
            spellings.add(new Spelling(changed(segments, i, s -> s + ";"), Expect.REFUSED, "; after segment " + i));
            spellings.add(new Spelling(changed(segments, i, s -> s + ";a=b,c"), Expect.REFUSED, ";a=b,c after segment " + i));
            spellings.add(new Spelling(changed(segments, i, s -> s + "%3Bx"), Expect.REFUSED, "%3B after segment " + i));
            spellings.add(new Spelling(changed(segments, i, s -> s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1)),
                    Expect.AUTHENTICATE, "segment " + i + " capitalised"));
            spellings.add(new Spelling(changed(segments, i, s -> s.toUpperCase(Locale.ROOT)), Expect.AUTHENTICATE,
                    "segment " + i + " in upper case"));
            for (String inserted : new String[] {".", "%2e", "%2E", "x/..", "x/%2e%2e", "x/%2E.", "x/..;", "", "x/%2e%2e;"}) {
                spellings.add(new Spelling(changed(segments, i, s -> inserted + "/" + s), Expect.REFUSED,
                        "/" + inserted + "/ before segment " + i));
            }
            if (i > 0) {
                for (String slash : new String[] {"%2F", "%2f", "%252F"}) {
                    List<String> joined = new ArrayList<>(segments.subList(0, i - 1));
                    joined.add(segments.get(i - 1) + slash + segments.get(i));
                    joined.addAll(segments.subList(i + 1, segments.size()));
                    spellings.add(new Spelling("/" + String.join("/", joined), Expect.REFUSED,
                            slash + " instead of the / before segment " + i));
                }
            }
        }
        for (int at = 1; at < path.length(); at++) {
            char c = path.charAt(at);
            if (Character.isLetter(c)) {
                String encoded = String.format("%%%02X", (int) c);
                spellings.add(new Spelling(path.substring(0, at) + encoded + path.substring(at + 1), Expect.AUTHENTICATE,
                        encoded + " for " + c));
                spellings.add(new Spelling(path.substring(0, at) + encoded.toLowerCase(Locale.ROOT) + path.substring(at + 1),
                        Expect.AUTHENTICATE, encoded.toLowerCase(Locale.ROOT) + " for " + c));
            }
        }
        // One request per distinct spelling (%76 is %76 in either case).
        Map<String, Spelling> distinct = new LinkedHashMap<>();
        spellings.forEach(spelling -> distinct.putIfAbsent(spelling.target(), spelling));
        return List.copyOf(distinct.values());
    }

    private static String changed(List<String> segments, int index, UnaryOperator<String> change) {
        List<String> copy = new ArrayList<>(segments);
        copy.set(index, change.apply(copy.get(index)));
        return "/" + String.join("/", copy);
    }
}
