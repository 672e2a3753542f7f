package io.triggers.shared.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Reading and writing W3C {@code traceparent} headers (Trace Context level 1, section 3.2). */
class TraceParentTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";

    @Test
    void readsAValidHeaderAndWritesItBackUnchanged() {
        TraceParent sampled = TraceParent.parse("00-" + TRACE + "-" + SPAN + "-01");
        assertThat(sampled).isEqualTo(new TraceParent(TRACE, SPAN, true));
        assertThat(sampled.header()).isEqualTo("00-" + TRACE + "-" + SPAN + "-01");
        assertThat(TraceParent.parse("00-" + TRACE + "-" + SPAN + "-00").sampled()).isFalse();
        // Only the sampled bit is read from the flags.
        assertThat(TraceParent.parse("00-" + TRACE + "-" + SPAN + "-03").sampled()).isTrue();
        assertThat(TraceParent.parse("00-" + TRACE + "-" + SPAN + "-02").sampled()).isFalse();
    }

    @Test
    void aLaterVersionIsReadAsVersion00WhenItStartsLikeOne() {
        assertThat(TraceParent.parse("cc-" + TRACE + "-" + SPAN + "-01-what-the-future-holds"))
                .isEqualTo(new TraceParent(TRACE, SPAN, true));
        assertThat(TraceParent.parse("cc-" + TRACE + "-" + SPAN + "-01")).isNotNull();
        assertThat(TraceParent.parse("cc-" + TRACE + "-" + SPAN + "-01x")).isNull();
    }

    @Test
    void anInvalidHeaderIsNoHeader() {
        for (String invalid : new String[] {
                null, "", "garbage",
                "00-" + TRACE + "-" + SPAN + "-01-",                // version 00 is exactly 55 characters
                "ff-" + TRACE + "-" + SPAN + "-01",                 // version ff is invalid
                "00-" + TRACE.toUpperCase() + "-" + SPAN + "-01",   // lowercase hex only
                "00-00000000000000000000000000000000-" + SPAN + "-01",
                "00-" + TRACE + "-0000000000000000-01",
                "00-" + TRACE + "-" + SPAN + "-0g",
                "00_" + TRACE + "-" + SPAN + "-01",
                "00-" + TRACE.substring(1) + "-" + SPAN + "-01x",
                "0x-" + TRACE + "-" + SPAN + "-01"}) {
            assertThat(TraceParent.parse(invalid)).as(String.valueOf(invalid)).isNull();
        }
    }

    @Test
    void newSpanIdsAreValidAndDistinct() {
        Set<String> spans = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String span = TraceParent.newSpanId();
            assertThat(span).matches("[0-9a-f]{16}").isNotEqualTo("0000000000000000");
            spans.add(span);
        }
        assertThat(spans).hasSize(10_000);
    }

    @Test
    void anEventWithoutATraceIsItsOwnTrace() {
        UUID event = UUID.fromString("0190f5a2-7b3c-7def-8123-456789abcdef");
        TraceParent trace = TraceParent.ofEvent(event);
        assertThat(trace.traceId()).isEqualTo("0190f5a27b3c7def8123456789abcdef");
        assertThat(trace.sampled()).isFalse();
        assertThat(TraceParent.parse(trace.header())).isEqualTo(trace);
        assertThat(trace.withSpan(SPAN)).isEqualTo(new TraceParent("0190f5a27b3c7def8123456789abcdef", SPAN, false));
    }
}
