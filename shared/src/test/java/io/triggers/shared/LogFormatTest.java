package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.shared.logging.RequestContext;
import org.junit.jupiter.api.Test;

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
    void requestIdsAlwaysReachTheLogContext() {
        assertThat(RequestContext.loggingDefaults(null)).containsEntry("spring.reactor.context-propagation", "auto");
        assertThat(RequestContext.of("abc").<String>get(RequestContext.KEY)).isEqualTo("abc");
        assertThat(RequestContext.of(null).isEmpty()).isTrue();
    }
}
