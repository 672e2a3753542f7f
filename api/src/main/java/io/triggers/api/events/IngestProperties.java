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
 * @param groupCommitMaxRows       most events one shared INSERT carries ({@code TRIGGERS_INGEST_GROUP_COMMIT_MAX_ROWS}, 1000)
 * @param groupCommitMaxConcurrent most shared INSERTs running at once per lane (single events; batches)
 *                                 ({@code TRIGGERS_INGEST_GROUP_COMMIT_MAX_CONCURRENT}, 2):
 *                                 two keep PostgreSQL busy while one commits; with eight, 64 concurrent callers went
 *                                 to PostgreSQL a few events per statement and PostgreSQL spent 553 µs of CPU per
 *                                 event against 190 µs with two (issue 17)
 * @param groupCommitMaxQueuedRows  most events waiting for a statement, per lane; past it, requests are answered 503 at once
 *                                  ({@code TRIGGERS_INGEST_GROUP_COMMIT_MAX_QUEUED_ROWS}, 20 000)
 * @param groupCommitMaxQueuedBytes most memory (roughly) those events may hold, per lane; past it, 503 at once
 *                                  ({@code TRIGGERS_INGEST_GROUP_COMMIT_MAX_QUEUED_BYTES}, 64 MiB)
 */
@ConfigurationProperties("triggers.ingest")
public record IngestProperties(@DefaultValue("262144") long maxPayloadBytes, @DefaultValue("2s") Duration storeTimeout,
                               @DefaultValue("1000") int groupCommitMaxRows, @DefaultValue("2") int groupCommitMaxConcurrent,
                               @DefaultValue("20000") long groupCommitMaxQueuedRows,
                               @DefaultValue("67108864") long groupCommitMaxQueuedBytes) {

    /** Largest accepted body of {@code POST /v1/events/batch} (5 MiB, the contract's). */
    public static final long MAX_BATCH_BYTES = 5L * 1024 * 1024;

    public IngestProperties {
        if (maxPayloadBytes < 1024) {
            throw new IllegalArgumentException("triggers.ingest.max-payload-bytes must be at least 1024");
        }
        if (groupCommitMaxRows < 1 || groupCommitMaxConcurrent < 1 || groupCommitMaxQueuedRows < 1 || groupCommitMaxQueuedBytes < 1) {
            throw new IllegalArgumentException("triggers.ingest.group-commit-max-rows, -max-concurrent, -max-queued-rows and "
                    + "-max-queued-bytes must be at least 1");
        }
        if (storeTimeout.isNegative() || storeTimeout.isZero()) {
            throw new IllegalArgumentException("triggers.ingest.store-timeout must be positive");
        }
    }

    /** The largest body any ingest call accepts: what bounds every JSON document the api reads. */
    public long largestBody() {
        return Math.max(maxPayloadBytes, MAX_BATCH_BYTES);
    }
}
