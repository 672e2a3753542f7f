package io.triggers.api.events;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.ingest.*}
 *
 * @param maxPayloadBytes largest accepted body of {@code POST /v1/events} ({@code TRIGGERS_INGEST_MAX_PAYLOAD_BYTES}, 256 KiB)
 */
@ConfigurationProperties("triggers.ingest")
public record IngestProperties(@DefaultValue("262144") long maxPayloadBytes) {

    public IngestProperties {
        if (maxPayloadBytes < 1024) {
            throw new IllegalArgumentException("triggers.ingest.max-payload-bytes must be at least 1024");
        }
    }
}
