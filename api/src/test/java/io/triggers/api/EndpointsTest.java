package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import io.triggers.testing.TestDnsServer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Endpoint management on an api that refuses private targets (the production default), looking
 * names up on a DNS server of the test's (names it does not know are NXDOMAIN).
 */
class EndpointsTest {

    private static TestDnsServer dns;
    private static RunningApi api;
    private static String key;

    @BeforeAll
    static void start() {
        dns = TestDnsServer.start()
                .answer("public.test", "93.184.216.34", "2606:4700::1111")
                .answer("private.test", "10.0.0.7")
                .answer("metadata.test", "169.254.169.254")
                .answer("benchmark.test", "198.18.0.1")
                .answer("mixed.test", "93.184.216.34", "fd00::1")
                .answer("nat64.test", "64:ff9b::7f00:1")
                // Were DNS believed, these would pass: they are refused by name.
                .answer("localhost", "93.184.216.34")
                .answer("hooks.localhost", "93.184.216.34");
        api = RunningApi.start(Map.of("triggers.delivery.dns-servers", dns.address()));
        key = api.newUnlimitedOrganizationKey("endpoints");
    }

    @AfterAll
    static void stop() {
        api.close();
        dns.close();
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
        assertThat(api.send("PATCH", "/v1/endpoints/" + id, key, "{\"url\":\"http://private.test/\"}", Map.of()).status()).isEqualTo(400);
    }

    @Test
    void everyKindOfNonPublicAddressIsRefused() {
        for (String url : new String[] {"http://[::127.0.0.1]/", "http://[::7f00:1]/", "http://[64:ff9b::7f00:1]/",
                "http://[2002:7f00:1::]/", "http://[2001::1]/", "http://[64:ff9b:1::a00:1]/", "http://198.18.0.1/",
                "http://100.64.0.1/", "http://192.0.0.1/", "http://192.0.2.1/", "http://240.0.0.1/", "http://255.255.255.255/",
                "http://224.0.0.1/", "http://[::ffff:10.0.0.1]/", "http://[fe80::1]/", "http://[fec0::1]/", "http://[fc00::1]/",
                "http://[2001:db8::1]/", "http://[::]/", "http://[ff02::1]/"}) {
            Answer answer = create("{\"url\":\"" + url + "\"}");
            assertThat(answer.status()).as(url).isEqualTo(400);
            assertThat(issue(answer)).as(url).isEqualTo("private_target_not_allowed");
        }
        for (String url : new String[] {"http://8.8.8.8/", "http://[2606:4700::1111]/", "https://[::ffff:1.1.1.1]:8443/x"}) {
            assertThat(create("{\"url\":\"" + url + "\"}").status()).as(url).isEqualTo(201);
        }
    }

    @Test
    void aNameIsJudgedByEveryAddressItResolvesTo() {
        for (String host : new String[] {"private.test", "metadata.test", "benchmark.test", "mixed.test", "nat64.test", "PRIVATE.test."}) {
            Answer answer = create("{\"url\":\"https://" + host + "/hook\"}");
            assertThat(answer.status()).as(host).isEqualTo(400);
            assertThat(issue(answer)).as(host).isEqualTo("private_target_not_allowed");
        }
        assertThat(create("{\"url\":\"https://private.test/hook\"}").json().get("error").get("message").stringValue())
                .contains("10.0.0.7").contains("private-use");
        assertThat(create("{\"url\":\"https://public.test/hook\"}").status()).isEqualTo(201);
        assertThat(create("{\"url\":\"https://public.test./hook\"}").status()).isEqualTo(201);
        // Not resolvable now: accepted (the worker judges the address it connects to).
        assertThat(create("{\"url\":\"https://not-yet.test/hook\"}").status()).isEqualTo(201);
    }

    /*
     * Refused by name (TargetHosts); Netty's resolver also answers these names with loopback itself
     * (RFC 6761) without asking DNS, and no hosts file is read: either way DNS's public answer is
     * never believed.
     */
    @Test
    void localhostIsRefusedByNameWhateverDnsSays() {
        for (String url : new String[] {"http://localhost./", "http://LOCALHOST/", "http://Localhost.:8080/x", "http://hooks.localhost/"}) {
            Answer answer = create("{\"url\":\"" + url + "\"}");
            assertThat(answer.status()).as(url).isEqualTo(400);
            assertThat(issue(answer)).as(url).isEqualTo("private_target_not_allowed");
        }
        assertThat(dns.wasAsked("localhost")).isFalse();
        assertThat(dns.wasAsked("hooks.localhost")).isFalse();
    }

    @Test
    void ipv4AddressesMustBeDottedDecimalQuads() {
        for (String host : new String[] {"0177.0.0.1", "0x7f.1", "0x7f000001", "127.1", "2130706433", "127.000.0.1", "010.8.8.8",
                "8.8.8.010", "1.2.3.4.5", "hooks.123"}) {
            Answer answer = create("{\"url\":\"http://" + host + ":8080/hook\"}");
            assertThat(answer.status()).as(host).isEqualTo(400);
            assertThat(issue(answer)).as(host).isEqualTo("invalid_ip_address");
        }
        assertThat(dns.questions()).noneMatch(question -> question.name().startsWith("0") || question.name().startsWith("127")
                || question.name().startsWith("2130706433"));
    }

    @Test
    void theHundredAndFirstEndpointIsAConflict() {
        String own = api.newUnlimitedOrganizationKey("many endpoints");
        for (int i = 1; i <= 100; i++) {
            assertThat(api.send("POST", "/v1/endpoints", own, "{\"url\":\"https://public.test/" + i + "\"}", Map.of()).status())
                    .as("endpoint %d", i).isEqualTo(201);
        }
        Answer refused = api.send("POST", "/v1/endpoints", own, "{\"url\":\"https://public.test/101\"}", Map.of());
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().get("error").get("code").stringValue()).isEqualTo("CONFLICT");
        assertThat(refused.json().get("error").get("message").stringValue()).contains("100");
        // Another organization is not affected, and a deleted endpoint frees its place.
        assertThat(create("{\"url\":\"https://public.test/other\"}").status()).isEqualTo(201);
        String first = api.send("GET", "/v1/endpoints", own, null, Map.of()).json().get("endpoints").get(0).get("id").stringValue();
        assertThat(api.send("DELETE", "/v1/endpoints/" + first, own, null, Map.of()).status()).isEqualTo(204);
        assertThat(api.send("POST", "/v1/endpoints", own, "{\"url\":\"https://public.test/again\"}", Map.of()).status()).isEqualTo(201);
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

    private static String issue(Answer answer) {
        return answer.json().get("error").get("details").get(0).get("issue").stringValue();
    }

    private static Answer create(String body) {
        return api.send("POST", "/v1/endpoints", key, body, Map.of());
    }
}
