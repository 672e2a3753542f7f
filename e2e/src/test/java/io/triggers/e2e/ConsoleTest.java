package io.triggers.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.triggers.api.console.ConsoleHeaders;
import io.triggers.e2e.ApiClient.Response;
import io.triggers.testing.WebhookReceiver;
import io.triggers.testing.WebhookReceiver.Received;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;

/**
 * The console (issue 20) in a real browser, Debian's chromium driven by its chromedriver, against
 * the real api, worker, PostgreSQL and Redis, with real webhook receivers: nothing is mocked.
 * Each test signs in with a new organization's key through the sign-in form. Screenshots of each
 * page are written to {@code target/console-screenshots/} (copies are kept in {@code docs/console/}).
 *
 * <p>The browser and driver must be installed ({@code apt-get install -y chromium chromium-driver};
 * {@code .ci/run} does it): without them this test fails, it never skips. Selenium is pointed at
 * them, so Selenium Manager never downloads anything.
 */
class ConsoleTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String STORAGE_KEY = "triggers.console.key";
    private static final String XSS_IMG = "<img src=x onerror=window.__xss=1>";
    private static final String XSS_SCRIPT = "<script>window.__xss=2</script>";

    private static RunningService service;
    private static WebDriver browser;
    private static String consoleUrl;

    @BeforeAll
    static void start() throws IOException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            fail("ConsoleTest drives Debian's chromium through chromedriver, and " + CHROMIUM + " or " + CHROMEDRIVER
                    + " is missing: install them with `apt-get install -y chromium chromium-driver` (.ci/run does)");
        }
        Files.createDirectories(SCREENSHOTS);
        // The stats roll-up runs often, so the overview's numbers and charts show the tests' own events.
        service = RunningService.start(Map.of("triggers.delivery.circuit-open-for", "100ms",
                "triggers.stats.rollup-every", "300ms", "triggers.stats.rollup-lag", "2s"));
        consoleUrl = service.client().baseUrl() + "/console";
        browser = startBrowser();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (service != null) {
            service.close();
        }
    }

    private static WebDriver startBrowser() {
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--window-size=1280,800");
        ChromeDriverService driverService = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(driverService, options);
    }

    @BeforeEach
    void desktop() {
        browser.manage().window().setSize(new Dimension(1280, 800));
    }

    @Test
    void signInSeeAnEventArriveOpenItAndReadItsAttempt() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start().withBody("{\"thanks\":\"received\"}")) {
            String key = service.newOrganizationKey("console events");
            service.newEndpoint(key, receiver.url("/events"));
            signIn(key);
            assertThat(browser.getCurrentUrl()).doesNotContain(key);
            assertThat(browser.manage().getCookies()).isEmpty();

            go("#/events");
            String eventId = ingest(key, "{\"event_type\":\"order.created\",\"source\":\"shop\",\"payload\":{\"order_id\":42,\"total\":\"9.99\"},"
                    + "\"metadata\":{\"region\":\"eu\"}}");
            // The page is left alone: the live event log shows the new event by itself.
            WebElement row = waitFor(By.cssSelector("#events-table tr[data-event-id='" + eventId + "']"));
            assertThat(row.getText()).contains("order.created", "shop", eventId);
            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
            go("#/events");
            waitFor(By.cssSelector("#events-table tr[data-event-id='" + eventId + "']"));
            screenshot("events");

            browser.findElement(By.cssSelector("#events-table a[href='#/events/" + eventId + "']")).click();
            wait(browser -> ("#/events/" + eventId).equals(main().getDomAttribute("data-route")));
            assertThat(text("event-status")).isEqualTo("delivered");
            assertThat(text("event-payload")).contains("\"order_id\": 42", "\"total\": \"9.99\"");
            assertThat(text("event-metadata")).contains("\"region\": \"eu\"");
            WebElement attempt = waitFor(By.cssSelector("tr.attempt"));
            assertThat(attempt.findElement(By.cssSelector(".status-code")).getText()).isEqualTo("200");
            assertThat(attempt.findElement(By.cssSelector(".duration")).getText()).matches("\\d+ ms");
            assertThat(attempt.findElement(By.cssSelector(".excerpt")).getText()).isEqualTo("{\"thanks\":\"received\"}");
            screenshot("event-detail");

            int before = receiver.received().size();
            browser.findElement(By.id("event-replay")).click();
            await().atMost(WAIT).until(() -> receiver.received().size() > before);
            assertThat(receiver.received().get(before).header("webhook-id")).isEqualTo(eventId);

            await().atMost(WAIT).until(() -> service.call("GET", "/v1/stats?interval=minute", key, null).body()
                    .get("series").findValues("delivered").stream().mapToLong(JsonNode::asLong).sum() >= 2);
            go("#/overview");
            assertThat(text("ingested-hour")).isEqualTo("1");
            screenshot("overview");

            browser.findElement(By.id("signout")).click();
            waitFor(By.id("signin-key"));
            assertThat(script("return sessionStorage.getItem(arguments[0])", STORAGE_KEY)).isNull();
            assertThat(script("return document.getElementById('main').childElementCount")).isEqualTo(0L);
        }
    }

    @Test
    void aDeadLetterReplayedFromTheConsoleArrivesAtTheReceiver() {
        AtomicInteger status = new AtomicInteger(500);
        try (WebhookReceiver receiver = WebhookReceiver.start().respondWith(request -> status.get())) {
            String key = service.newOrganizationKey("console dead letters");
            Response endpoint = service.call("POST", "/v1/endpoints", key,
                    "{\"url\":\"" + receiver.url("/dead") + "\",\"retry_schedule\":[\"100ms\"]}");
            assertThat(endpoint.status()).isEqualTo(201);
            String eventId = ingest(key, "{\"event_type\":\"invoice.paid\",\"payload\":{\"invoice\":7}}");
            await().atMost(WAIT).until(() -> "dead".equals(service.eventStatus(eventId)));

            signIn(key);
            assertThat(waitFor(By.id("dead-letter-count")).getText()).isEqualTo("1");
            go("#/dead-letters");
            WebElement row = waitFor(By.cssSelector("#dead-table tr[data-event-id='" + eventId + "']"));
            assertThat(row.getText()).contains("invoice.paid", "500");
            screenshot("dead-letters");

            status.set(200);
            int before = receiver.received().size();
            row.findElement(By.cssSelector("input[type=checkbox]")).click();
            browser.findElement(By.id("dead-replay-selected")).click();
            await().atMost(WAIT).until(() -> receiver.received().size() > before);
            Received replayed = receiver.received().get(before);
            assertThat(replayed.header("webhook-id")).isEqualTo(eventId);
            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
            assertThat(text("flash")).contains("1 dead letters replayed");
            waitFor(By.id("dead-empty"));
        }
    }

    @Test
    void createAnEndpointAndSendATestEvent() {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            String key = service.newOrganizationKey("console endpoints");
            signIn(key);
            go("#/endpoints/new");
            WebElement form = waitFor(By.id("endpoint-form"));
            form.findElement(By.name("url")).sendKeys(receiver.url("/created"));
            form.findElement(By.name("description")).sendKeys("made in the console");
            form.findElement(By.name("event_types")).sendKeys("order.*, invoice.paid");
            form.findElement(By.name("retry_schedule")).sendKeys("1s, 1m");
            browser.findElement(By.id("endpoint-save")).click();
            wait(browser -> String.valueOf(main().getDomAttribute("data-route")).matches("#/endpoints/[0-9a-f-]{36}"));
            String endpointId = main().getDomAttribute("data-route").substring("#/endpoints/".length());
            JsonNode stored = service.call("GET", "/v1/endpoints/" + endpointId, key, null).body();
            assertThat(stored.get("url").stringValue()).isEqualTo(receiver.url("/created"));
            assertThat(stored.get("event_types").toString()).isEqualTo("[\"order.*\",\"invoice.paid\"]");
            assertThat(stored.get("retry_schedule").toString()).isEqualTo("[\"1s\",\"1m\"]");

            browser.findElement(By.id("endpoint-test")).click();
            String eventId = waitFor(By.id("test-event-link")).getText();
            await().atMost(WAIT).until(() -> receiver.received().size() == 1);
            assertThat(receiver.received().get(0).header("webhook-id")).isEqualTo(eventId);
            assertThat(receiver.received().get(0).bodyText()).contains("\"type\":\"triggers.test\"");

            browser.findElement(By.id("secret-show")).click();
            assertThat(waitFor(By.id("endpoint-secret")).getText()).startsWith("whsec_");
            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));
            WebElement shown = main().findElement(By.tagName("div"));
            browser.findElement(By.id("endpoint-refresh")).click();
            waitUntil(ExpectedConditions.stalenessOf(shown));
            waitFor(By.cssSelector("#endpoint-attempts tbody tr"));
            screenshot("endpoint-detail");

            go("#/endpoints");
            assertThat(waitFor(By.cssSelector("#endpoints-table tr[data-endpoint-id='" + endpointId + "']")).getText())
                    .contains(receiver.url("/created"), "made in the console");
            screenshot("endpoints");
        }
    }

    @Test
    void rotateAKeyTheOldOneWorksThroughItsGracePeriod() {
        String key = service.newOrganizationKey("console keys");
        signIn(key);
        go("#/keys");
        WebElement row = waitFor(By.cssSelector("#keys-table tbody tr"));
        assertThat(row.getText()).contains("(this tab)");
        WebElement grace = row.findElement(By.cssSelector("input.grace"));
        grace.clear();
        grace.sendKeys("600");
        row.findElement(By.cssSelector("button.rotate")).click();
        String newKey = waitFor(By.id("new-key")).getText();
        assertThat(newKey).startsWith("tk_live_").isNotEqualTo(key);
        screenshot("keys");

        assertThat(service.call("GET", "/v1/me", newKey, null).status()).isEqualTo(200);
        assertThat(service.call("GET", "/v1/me", key, null).status()).as("the old key, in its grace period").isEqualTo(200);
        JsonNode keys = service.call("GET", "/v1/keys", newKey, null).body().get("keys");
        assertThat(keys).hasSize(2);
        assertThat(keys.findValues("expires_at")).anySatisfy(expires -> assertThat(expires.isNull()).isFalse());

        browser.findElement(By.id("key-use")).click();
        wait(browser -> newKey.equals(script("return sessionStorage.getItem(arguments[0])", STORAGE_KEY)));
        waitFor(By.cssSelector("#keys-table tbody tr"));
        assertThat(browser.findElements(By.cssSelector("#keys-table tbody tr"))).hasSize(2);
    }

    @Test
    void anEventTypeSchemaWithMistakesShowsThem() {
        String key = service.newOrganizationKey("console event types");
        signIn(key);
        go("#/event-types");
        waitFor(By.id("type-form"));
        browser.findElement(By.id("type-name")).sendKeys("order.created");
        WebElement schema = browser.findElement(By.id("type-schema"));
        schema.sendKeys("{\"type\": \"no such type\"}");
        browser.findElement(By.id("type-save")).click();
        WebElement errors = waitFor(By.cssSelector("#type-errors .error"));
        assertThat(errors.getText()).isNotBlank();
        assertThat(service.call("GET", "/v1/event-types/order.created", key, null).status()).isEqualTo(404);

        schema.clear();
        schema.sendKeys("{\"type\": \"object\", \"required\": [\"order_id\"], \"properties\": {\"order_id\": {\"type\": \"integer\"}}}");
        browser.findElement(By.id("type-save")).click();
        wait(browser -> "#/event-types/order.created".equals(main().getDomAttribute("data-route")));
        waitFor(By.cssSelector("#types-table a[href='#/event-types/order.created']"));
        assertThat(service.call("GET", "/v1/event-types/order.created", key, null).status()).isEqualTo(200);
        screenshot("event-types");
    }

    @Test
    void attackerControlledTextIsShownAsTextAndNeverRuns() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start().withBody(XSS_IMG + XSS_SCRIPT)) {
            String key = service.newOrganizationKey("console xss");
            Response endpoint = service.call("POST", "/v1/endpoints", key, "{\"url\":\"" + receiver.url("/xss")
                    + "\",\"description\":\"" + XSS_IMG + "\"}");
            assertThat(endpoint.status()).isEqualTo(201);
            String body = "{\"event_type\":\"order.created\",\"source\":\"" + XSS_IMG + "\",\"payload\":{\"html\":\"" + XSS_IMG
                    + "\",\"script\":\"" + XSS_SCRIPT + "\"},\"metadata\":{\"note\":\"" + XSS_SCRIPT + "\"}}";
            String eventId = ingest(key, body);
            await().atMost(WAIT).until(() -> "delivered".equals(service.eventStatus(eventId)));

            signIn(key);
            go("#/events");
            assertThat(waitFor(By.cssSelector("#events-table tr[data-event-id='" + eventId + "']")).getText()).contains(XSS_IMG);
            go("#/endpoints");
            assertThat(waitFor(By.id("endpoints-table")).getText()).contains(XSS_IMG);
            go("#/events/" + eventId);
            assertThat(text("event-source")).isEqualTo(XSS_IMG);
            assertThat(text("event-payload")).contains(XSS_IMG, XSS_SCRIPT);
            assertThat(text("event-metadata")).contains(XSS_SCRIPT);
            assertThat(waitFor(By.cssSelector("tr.attempt .excerpt")).getText()).isEqualTo(XSS_IMG + XSS_SCRIPT);

            assertThat(browser.findElements(By.cssSelector("main img, main script"))).isEmpty();
            assertThat(script("return typeof window.__xss")).isEqualTo("undefined");

            // Were something ever written as markup, the policy would still refuse to run it.
            Object inline = script("var s = document.createElement('script'); s.textContent = 'window.__inline = 1;';"
                    + " document.head.appendChild(s); return typeof window.__inline;");
            assertThat(inline).as("an inline script under the console's policy").isEqualTo("undefined");

            HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(consoleUrl))
                    .header("Connection", "close").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.headers().firstValue("Content-Security-Policy")).contains(ConsoleHeaders.POLICY);
        }
    }

    @Test
    void theOverviewFitsAPhone() {
        String key = service.newOrganizationKey("console phone");
        ingest(key, "{\"event_type\":\"order.created\",\"payload\":{\"n\":1}}");
        browser.manage().window().setSize(new Dimension(390, 844));
        signIn(key);
        waitFor(By.cssSelector("#main .chart canvas"));
        Number page = (Number) script("return document.documentElement.scrollWidth");
        Number viewport = (Number) script("return document.documentElement.clientWidth");
        assertThat(page.intValue()).as("page width at 390 px").isLessThanOrEqualTo(viewport.intValue());
        screenshot("overview-phone");
        go("#/events");
        waitFor(By.cssSelector("#events-table tr[data-event-id]"));
        assertThat(((Number) script("return document.documentElement.scrollWidth")).intValue()).isLessThanOrEqualTo(viewport.intValue());
    }

    // ---------------------------------------------------------------- helpers

    private static String ingest(String key, String body) {
        Response created = service.call("POST", "/v1/events", key, body);
        assertThat(created.status()).as("ingest: %s", created.body()).isEqualTo(201);
        return created.body().get("event_id").stringValue();
    }

    /** Signs in through the form, in a tab whose session storage is emptied first. */
    private static void signIn(String key) {
        browser.get(consoleUrl);
        script("sessionStorage.clear(); location.hash = '#/overview';");
        browser.navigate().refresh();
        WebElement input = waitFor(By.id("signin-key"));
        input.sendKeys(key);
        browser.findElement(By.id("signin-submit")).click();
        wait(browser -> "#/overview".equals(main().getDomAttribute("data-route")));
        assertThat(script("return sessionStorage.getItem(arguments[0])", STORAGE_KEY)).isEqualTo(key);
    }

    /** Goes to a page of the console by its fragment and waits until it is shown. */
    private static void go(String hash) {
        script("location.hash = arguments[0];", hash);
        wait(browser -> hash.equals(main().getDomAttribute("data-route")) && main().getDomAttribute("aria-busy") == null);
    }

    private static WebElement main() {
        return browser.findElement(By.id("main"));
    }

    private static String text(String id) {
        return waitFor(By.id(id)).getText();
    }

    private static WebElement waitFor(By locator) {
        return waitUntil(ExpectedConditions.visibilityOfElementLocated(locator));
    }

    private static void wait(java.util.function.Function<WebDriver, Boolean> condition) {
        waitUntil(condition::apply);
    }

    /** Waits for a condition; when it never holds, the page as it was is saved and its text told. */
    private static <T> T waitUntil(org.openqa.selenium.support.ui.ExpectedCondition<T> condition) {
        try {
            return new WebDriverWait(browser, WAIT).until(condition);
        } catch (TimeoutException e) {
            String name = "failed-" + System.currentTimeMillis();
            screenshot(name);
            throw new AssertionError("the console never got there (" + name + ".png); the page said: "
                    + browser.findElement(By.tagName("body")).getText(), e);
        }
    }

    private static Object script(String code, Object... arguments) {
        return ((JavascriptExecutor) browser).executeScript(code, arguments);
    }

    private static void screenshot(String name) {
        script("window.scrollTo(0, 0);");
        try {
            Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new IllegalStateException("could not save the screenshot " + name, e);
        }
    }
}
