package io.triggers.shared;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.triggers.shared.logging.ThrottledLog;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ThrottledLogTest {

    @Test
    void repeatsWithinTheIntervalAreCountedNotLogged() {
        Logger logger = (Logger) LoggerFactory.getLogger("throttled-test");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);

        ThrottledLog throttled = new ThrottledLog(logger, Duration.ofHours(1));
        for (int i = 0; i < 100; i++) {
            throttled.warn("redis down: {}", i);
        }
        assertThat(appender.list).hasSize(1);
        assertThat(appender.list.get(0).getFormattedMessage()).isEqualTo("redis down: 0");

        ThrottledLog eager = new ThrottledLog(logger, Duration.ZERO);
        eager.warn("first");
        eager.warn("second");
        assertThat(appender.list).hasSize(3);
    }
}
