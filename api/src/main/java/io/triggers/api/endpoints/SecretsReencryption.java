package io.triggers.api.endpoints;

import io.triggers.shared.crypto.SecretCipher;
import io.triggers.shared.crypto.SecretCipher.UndecryptableSecret;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;

/**
 * At start-up, before the api serves anything, brings every stored signing secret (and endpoint's
 * static headers, sealed the same way) under the
 * current encryption key: plaintext secrets from before encryption are encrypted, and secrets under
 * an older key (after a rotation put a new key first) are re-encrypted, so the old key can then be
 * dropped from {@code TRIGGERS_ENCRYPTION_KEYS}. Pages by endpoint id; each row is written only if
 * it still holds what was read, so replicas starting together, or a rotation meanwhile, lose nothing.
 */
@Component
@DependsOnDatabaseInitialization
final class SecretsReencryption implements InitializingBean {

    private static final Logger log = LoggerFactory.getLogger(SecretsReencryption.class);
    private static final int PAGE = 500;
    private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(60);

    private static final String PAGE_SQL = """
            SELECT id, secret, previous_secret, headers FROM endpoints
            WHERE id > :after
              AND (secret NOT LIKE :current OR (previous_secret IS NOT NULL AND previous_secret NOT LIKE :current)
                   OR (headers IS NOT NULL AND headers NOT LIKE :current))
            ORDER BY id
            LIMIT :limit
            """;

    private static final String UPDATE_SQL = """
            UPDATE endpoints SET secret = :newSecret, previous_secret = :newPrevious, headers = :newHeaders
            WHERE id = :id AND secret = :oldSecret AND previous_secret IS NOT DISTINCT FROM :oldPrevious
              AND headers IS NOT DISTINCT FROM :oldHeaders
            """;

    /** An endpoint's sealed values: its secrets and its static headers (sealed the same way). */
    private record Row(UUID id, String secret, String previous, String headers) {
    }

    private final DatabaseClient db;
    private final SecretCipher cipher;
    private final String currentPattern;

    SecretsReencryption(DatabaseClient db, SecretCipher cipher) {
        this.db = db;
        this.cipher = cipher;
        // Key ids are [A-Za-z0-9_-]: '_' is the only LIKE wildcard that can occur, so it is escaped.
        this.currentPattern = cipher.currentMarker().replace("_", "\\_") + "%";
    }

    @Override
    public void afterPropertiesSet() {
        UUID after = new UUID(0, 0); // the smallest uuid in PostgreSQL's (unsigned) order
        int unreadable = 0;
        int changed = 0;
        while (true) {
            List<Row> rows = db.sql(PAGE_SQL)
                    .bind("after", after)
                    .bind("current", currentPattern)
                    .bind("limit", PAGE)
                    .map(row -> new Row(row.get("id", UUID.class), row.get("secret", String.class), row.get("previous_secret", String.class),
                            row.get("headers", String.class)))
                    .all()
                    .collectList()
                    .block(PAGE_TIMEOUT);
            if (rows == null || rows.isEmpty()) {
                break;
            }
            for (Row row : rows) {
                String secret;
                String previous;
                String headers;
                try {
                    secret = cipher.seal(cipher.open(row.secret(), row.id()), row.id());
                    previous = row.previous() == null ? null : cipher.seal(cipher.open(row.previous(), row.id()), row.id());
                    headers = row.headers() == null ? null : cipher.seal(cipher.open(row.headers(), row.id()), row.id());
                } catch (UndecryptableSecret e) {
                    // Left as it is: the worker reports it on each delivery, and it heals once the key is given back.
                    unreadable++;
                    continue;
                }
                Long updated = db.sql(UPDATE_SQL)
                        .bind("newSecret", secret)
                        .bind("newPrevious", Parameter.fromOrEmpty(previous, String.class))
                        .bind("id", row.id())
                        .bind("oldSecret", row.secret())
                        .bind("oldPrevious", Parameter.fromOrEmpty(row.previous(), String.class))
                        .bind("newHeaders", Parameter.fromOrEmpty(headers, String.class))
                        .bind("oldHeaders", Parameter.fromOrEmpty(row.headers(), String.class))
                        .fetch()
                        .rowsUpdated()
                        .block(PAGE_TIMEOUT);
                changed += updated == null ? 0 : updated.intValue();
            }
            after = rows.get(rows.size() - 1).id();
        }
        if (unreadable > 0) {
            log.error("{} endpoint signing secrets cannot be decrypted with the keys in TRIGGERS_ENCRYPTION_KEYS (a key was removed "
                    + "too early?); their deliveries fail until the key is given back", unreadable);
        }
        if (changed > 0) {
            log.info("encrypted {} endpoint signing secrets under the current key", changed);
        }
    }
}
