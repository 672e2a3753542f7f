package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.triggers.testing.Prometheus;
import io.triggers.testing.WebhookReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The alert rules shipped for operators ({@code deploy/prometheus/alerts.yml}, issue 19): well
 * formed, one per condition the issue names, every Triggers metric they use exported by the apps
 * (scraped from a running api and worker), and loaded by the compose Prometheus.
 */
class AlertRulesTest {

    private static final Path RULES = Path.of("..", "deploy", "prometheus", "alerts.yml");
    private static final Pattern METRIC = Pattern.compile("\\btriggers_[a-z_]+");

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rules() throws Exception {
        Map<String, Object> document = new Yaml().load(Files.readString(RULES));
        List<Map<String, Object>> groups = (List<Map<String, Object>>) document.get("groups");
        assertThat(groups).isNotEmpty();
        return groups.stream().flatMap(group -> ((List<Map<String, Object>>) group.get("rules")).stream()).toList();
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyRuleIsCompleteAndTheIssuesConditionsAreCovered() throws Exception {
        List<Map<String, Object>> rules = rules();
        assertThat(rules).extracting(rule -> rule.get("alert")).containsExactlyInAnyOrder("TriggersDeliveryBacklogGrowing",
                "TriggersDeadLettersGrowing", "TriggersEndpointsDisabled", "TriggersReconcilerReenqueueing", "TriggersApiErrors",
                "TriggersNotReady");
        for (Map<String, Object> rule : rules) {
            assertThat((String) rule.get("expr")).as("expr of %s", rule.get("alert")).isNotBlank();
            assertThat((Map<String, Object>) rule.get("labels")).containsKey("severity");
            assertThat((Map<String, Object>) rule.get("annotations")).containsKeys("summary", "description");
            String expr = (String) rule.get("expr");
            assertThat(expr.chars().filter(c -> c == '(').count()).as("parentheses of %s", rule.get("alert"))
                    .isEqualTo(expr.chars().filter(c -> c == ')').count());
        }
        assertThat(Files.readString(Path.of("..", "deploy", "prometheus", "prometheus.yml"))).contains("/etc/prometheus/alerts.yml");
        assertThat(Files.readString(Path.of("..", "docker-compose.yml")))
                .contains("./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro");
    }

    @Test
    void everyMetricTheRulesUseIsExportedAndTheNewGaugesReport() throws Exception {
        Set<String> used = new TreeSet<>();
        for (Map<String, Object> rule : rules()) {
            Matcher metric = METRIC.matcher((String) rule.get("expr"));
            while (metric.find()) {
                used.add(metric.group());
            }
        }
        assertThat(used).contains("triggers_ready", "triggers_endpoints", "triggers_queue_deliveries");
        try (RunningService service = RunningService.start(Map.of()); WebhookReceiver receiver = WebhookReceiver.start()) {
            // One delivery, so the delivery counters exist.
            String key = service.newOrganizationKey("alerts");
            service.newEndpoint(key, receiver.url("/a"));
            String eventId = service.ingest(key);
            await().atMost(Duration.ofSeconds(20)).until(() -> "delivered".equals(service.eventStatus(eventId)));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    Prometheus.sample(service.apiManagementCall("/actuator/prometheus").text(), "triggers_ready") == 1
                            && Prometheus.sample(service.workerCall("GET", "/actuator/prometheus").text(), "triggers_ready") == 1);
            String exported = service.apiManagementCall("/actuator/prometheus").text() + "\n"
                    + service.workerCall("GET", "/actuator/prometheus").text();
            assertThat(used).allSatisfy(metric -> assertThat(exported).as(metric).containsPattern("(?m)^" + metric + "[{ ]"));
            assertThat(Prometheus.sample(exported, "triggers_endpoints{state=\"disabled\"}")).isZero();
        }
    }
}
