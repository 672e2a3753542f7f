package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.shared.logging.RequestContext;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** LOG_FORMAT=json turns on structured JSON console logs; anything else keeps readable text. */
class LogFormatTest {

    @Test
    void jsonSelectsTheStructuredConsoleFormat() {
        assertThat(RequestContext.loggingDefaults("json")).containsEntry("logging.structured.format.console", "logstash");
        assertThat(RequestContext.loggingDefaults(" JSON ")).containsEntry("logging.structured.format.console", "logstash");
    }

    @Test
    void anythingElseKeepsText() {
        for (String format : new String[] {null, "", "text", "ecs"}) {
            assertThat(RequestContext.loggingDefaults(format)).doesNotContainKey("logging.structured.format.console");
        }
    }

    @Test
    void requestIdsReachTheLogContext() {
        assertThat(RequestContext.of("abc").<String>get(RequestContext.KEY)).isEqualTo("abc");
        assertThat(RequestContext.of(null).isEmpty()).isTrue();
    }

    @Test
    void aLoggingScopePutsTheRequestIdInTheMdcAndRestoresWhatWasThere() {
        try (RequestContext.Scope outer = RequestContext.logging("outer")) {
            assertThat(MDC.get(RequestContext.KEY)).isEqualTo("outer");
            try (RequestContext.Scope inner = RequestContext.logging("inner")) {
                assertThat(MDC.get(RequestContext.KEY)).isEqualTo("inner");
            }
            assertThat(MDC.get(RequestContext.KEY)).isEqualTo("outer");
            try (RequestContext.Scope none = RequestContext.logging(null)) {
                assertThat(MDC.get(RequestContext.KEY)).isEqualTo("outer");
            }
        }
        assertThat(MDC.get(RequestContext.KEY)).isNull();
    }
}
