package io.triggers.worker.sending;

import io.triggers.worker.delivery.DeliveryTarget;
import io.triggers.shared.time.Timestamps;
import java.nio.charset.StandardCharsets;
import tools.jackson.core.io.JsonStringEncoder;

/**
 * The JSON a receiver gets: {@code {"id", "type", "timestamp", "source", "data", "metadata"}}.
 * Payload and metadata are PostgreSQL's JSON text, spliced in as they are, not parsed again.
 */
public final class WebhookBody {

    private WebhookBody() {
    }

    public static byte[] render(DeliveryTarget.EventData event) {
        StringBuilder json = new StringBuilder(event.payloadJson().length() + event.metadataJson().length() + 200);
        json.append("{\"id\":");
        string(json, event.id().toString());
        json.append(",\"type\":");
        string(json, event.eventType());
        json.append(",\"timestamp\":");
        string(json, Timestamps.format(event.createdAt()));
        json.append(",\"source\":");
        if (event.source() == null) {
            json.append("null");
        } else {
            string(json, event.source());
        }
        json.append(",\"data\":").append(event.payloadJson());
        json.append(",\"metadata\":").append(event.metadataJson());
        json.append('}');
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void string(StringBuilder json, String value) {
        json.append('"');
        JsonStringEncoder.getInstance().quoteAsString(value, json);
        json.append('"');
    }
}
