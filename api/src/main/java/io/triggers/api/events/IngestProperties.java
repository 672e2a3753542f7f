package io.triggers.api.events;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.ingest.*}
 *
 * @param maxPayloadBytes largest accepted body of {@code POST /v1/events} ({@code TRIGGERS_INGEST_MAX_PAYLOAD_BYTES}, 256 KiB)
 * @param storeTimeout    longest an ingest request (or an API-key lookup) waits for PostgreSQL before it is
 *                        answered {@code 503} with {@code Retry-After} ({@code TRIGGERS_INGEST_STORE_TIMEOUT}, 2 s)
 */
@ConfigurationProperties("triggers.ingest")
public record IngestProperties(@DefaultValue("262144") long maxPayloadBytes, @DefaultValue("2s") Duration storeTimeout) {

    public IngestProperties {
        if (maxPayloadBytes < 1024) {
            throw new IllegalArgumentException("triggers.ingest.max-payload-bytes must be at least 1024");
        }
        if (storeTimeout.isNegative() || storeTimeout.isZero()) {
            throw new IllegalArgumentException("triggers.ingest.store-timeout must be positive");
        }
    }
}
