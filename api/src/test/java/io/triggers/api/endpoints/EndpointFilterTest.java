package io.triggers.api.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import io.triggers.api.web.RequestFields;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** What a filter compiles to: the jsonpath predicate ingestion matches with (its values only ever as quoted literals). */
class EndpointFilterTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static String compile(String filter) {
        RequestFields fields = new RequestFields(JSON.readTree("{\"filter\":" + filter + "}"), Set.of("filter"));
        String compiled = EndpointFilter.compile(fields);
        assertThat(fields.valid()).as(filter + ": " + fields.issues()).isTrue();
        return compiled;
    }

    @Test
    void conditionsBecomeOnePredicate() {
        assertThat(compile("{\"metadata.region\":\"eu\",\"data.amount\":{\"$gte\":100}}"))
                .isEqualTo("exists($.\"metadata\".\"region\" ? (@ == \"eu\")) && exists($.\"data\".\"amount\" ? (@ >= 100))");
        assertThat(compile("{\"source\":{\"$nin\":[\"a\",1,true,null]}}"))
                .isEqualTo("!(exists($.\"source\" ? (@ == \"a\" || @ == 1 || @ == true || @ == null)))");
        assertThat(compile("{\"data.x\":{\"$exists\":false,\"$ne\":2.5}}"))
                .isEqualTo("!(exists($.\"data\".\"x\")) && !(exists($.\"data\".\"x\" ? (@ == 2.5)))");
    }

    @Test
    void stringsAreQuotedWithEveryQuoteBackslashAndControlCharacterEscaped() {
        assertThat(EndpointFilter.quote("a\"b\\c\nd\u0001é")).isEqualTo("\"a\\\"b\\\\c\\u000ad\\u0001é\"");
        assertThat(compile("{\"source\":\"x\\\" || true || \\\"y\"}"))
                .isEqualTo("exists($.\"source\" ? (@ == \"x\\\" || true || \\\"y\"))");
    }

    @Test
    void onlyDottedPathsIntoTheEnvelope() {
        assertThat(EndpointFilter.path("data.a-b.c_d.0")).isEqualTo("$.\"data\".\"a-b\".\"c_d\".\"0\"");
        assertThat(EndpointFilter.path("payload.a")).isNull();
        assertThat(EndpointFilter.path("data")).isEqualTo("$.\"data\"");
        assertThat(EndpointFilter.path("data.")).isNull();
        assertThat(EndpointFilter.path("data.a\"b")).isNull();
        assertThat(EndpointFilter.path("data.$")).isNull();
        assertThat(EndpointFilter.path("data." + "a".repeat(300))).isNull();
    }
}
