package io.triggers.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.RunningApi.Answer;
import io.triggers.api.console.ConsoleHeaders;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console (issue 20) as the api serves it, without a browser: its page, script, style and
 * chart library answer without a key and under the console's own Content-Security-Policy; that
 * policy is on no other path (Swagger UI needs inline code, the API answers JSON); and the files
 * hold nothing the policy would have to allow (inline script or style) or that would parse data
 * as markup. The browser tests (e2e {@code ConsoleTest}) drive the console itself.
 */
class ConsoleAssetsTest {

    private static final Pattern INLINE_SCRIPT = Pattern.compile("<script(?![^>]*\\bsrc=)", Pattern.CASE_INSENSITIVE);
    private static final Pattern INLINE_STYLE = Pattern.compile("<style|\\sstyle=|\\son[a-z]+=", Pattern.CASE_INSENSITIVE);
    /** Every way a script can turn a string into markup. */
    private static final Pattern MARKUP_SINKS = Pattern.compile("innerHTML|outerHTML|insertAdjacentHTML|document\\.write|createContextualFragment|eval\\(|new Function");

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
    void thePageIsServedWithoutAKeyUnderAStrictPolicy() {
        for (String path : new String[] {"/console", "/console/"}) {
            Answer page = get(path);
            assertThat(page.status()).as(path).isEqualTo(200);
            assertThat(page.header("Content-Type")).startsWith("text/html");
            assertConsoleHeaders(page, path);
            assertThat(page.text()).contains("<script src=\"/console/app.js\" defer></script>", "/console/vendor/uplot/uPlot.iife.min.js");
            assertThat(INLINE_SCRIPT.matcher(page.text()).find()).as("an inline script in the page").isFalse();
            assertThat(INLINE_STYLE.matcher(page.text()).find()).as("inline style or handler in the page").isFalse();
        }
        assertThat(ConsoleHeaders.POLICY).contains("default-src 'none'", "script-src 'self';", "style-src 'self';",
                "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'").doesNotContain("unsafe", "http");
    }

    @Test
    void itsFilesAndTheChartLibraryComeFromTheSameOrigin() {
        Answer script = get("/console/app.js");
        assertThat(script.status()).isEqualTo(200);
        assertThat(script.header("Content-Type")).contains("javascript");
        assertConsoleHeaders(script, "app.js");
        assertThat(MARKUP_SINKS.matcher(script.text()).find()).as("a markup sink in app.js").isFalse();

        Answer style = get("/console/app.css");
        assertThat(style.status()).isEqualTo(200);
        assertThat(style.header("Content-Type")).startsWith("text/css");
        assertConsoleHeaders(style, "app.css");

        Answer chart = get("/console/vendor/uplot/uPlot.iife.min.js");
        assertThat(chart.status()).isEqualTo(200);
        assertThat(chart.text()).contains("uPlot");
        assertConsoleHeaders(chart, "uPlot");
        assertThat(get("/console/vendor/uplot/uPlot.min.css").status()).isEqualTo(200);
    }

    @Test
    void nothingElseIsReachableUnderTheConsole() {
        Answer missing = get("/console/triggers-api.yml");
        assertThat(missing.status()).isEqualTo(404);
        assertConsoleHeaders(missing, "a 404");
        assertThat(get("/console/vendor/uplot/../../../triggers-api.yml").status()).isIn(400, 404);
        assertThat(RawHttp.send(api.port(), "GET", "/console/%2e%2e/triggers-api.yml", null, null).status()).isEqualTo(400);
        assertThat(RawHttp.send(api.port(), "GET", "/console/vendor/uplot/..%2f..%2fLICENSE", null, null).status()).isEqualTo(400);
        assertThat(RawHttp.send(api.port(), "GET", "/console;x/app.js", null, null).status()).isEqualTo(400);
    }

    @Test
    void thePolicyIsTheConsolesOnly() {
        String key = api.newOrganizationKey("console");
        Answer me = api.send("GET", "/v1/me", key, null, Map.of());
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.header("Content-Security-Policy")).isNull();
        assertThat(get("/v1/health").header("Content-Security-Policy")).isNull();

        Answer swagger = get("/swagger-ui.html");
        assertThat(swagger.header("Content-Security-Policy")).isNull();
        String location = swagger.header("Location");
        if (location != null) {
            Answer ui = get(location.startsWith("http") ? location.substring(api.baseUrl.length()) : location);
            assertThat(ui.status()).isEqualTo(200);
            assertThat(ui.header("Content-Security-Policy")).isNull();
        } else {
            assertThat(swagger.status()).isEqualTo(200);
        }
        // A path that merely starts with the same letters is not the console's.
        assertThat(get("/consoles").header("Content-Security-Policy")).isNull();
    }

    private static Answer get(String path) {
        return api.send("GET", path, null, null, Map.of());
    }

    private static void assertConsoleHeaders(Answer answer, String what) {
        assertThat(answer.header("Content-Security-Policy")).as(what).isEqualTo(ConsoleHeaders.POLICY);
        assertThat(answer.header("X-Content-Type-Options")).as(what).isEqualTo("nosniff");
        assertThat(answer.header("X-Frame-Options")).as(what).isEqualTo("DENY");
        assertThat(answer.header("Cache-Control")).as(what).isEqualTo("no-cache");
    }
}
