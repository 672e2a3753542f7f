package io.triggers.client;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** Reading fields of the API's answers, where absent and null are the same. */
final class Json {

    private Json() {
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value == null || value.isNull() || value.isMissingNode() ? null : value.asString();
    }

    static Instant time(JsonNode node, String field) {
        String text = text(node, field);
        return text == null ? null : Instant.parse(text);
    }

    static List<String> texts(JsonNode node, String field) {
        List<String> values = new ArrayList<>();
        JsonNode array = node == null ? null : node.get(field);
        if (array != null && array.isArray()) {
            array.forEach(value -> values.add(value.asString()));
        }
        return values;
    }
}
