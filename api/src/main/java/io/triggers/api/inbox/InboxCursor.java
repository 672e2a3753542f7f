package io.triggers.api.inbox;

import io.triggers.api.web.ApiException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An opaque inbox position: the last event's {@code (xact_id, created_at, id)} (its inserting
 * transaction, then its own order), bound to the organization and the query (filters and order) it
 * came from, and signed with the installation's cursor secret. Version 1 cursors (positions by
 * {@code created_at} alone, given out before pages followed commit order) are refused like any
 * other cursor that is not ours: the consumer starts its listing over. A cursor that was not made here, was altered, or belongs to another organization or
 * query is refused (400); it can never select another organization's events, since every inbox
 * query is scoped to the caller's organization anyway.
 */
public record InboxCursor(long xactId, Instant createdAt, UUID eventId) {

    private static final int VERSION = 2;
    private static final int BODY_BYTES = 1 + 8 + 8 + 4 + 16;
    private static final int MAC_BYTES = 16;

    /** Encodes this position for {@code organizationId} and the query described by {@code queryKey}. */
    public String encode(byte[] secret, UUID organizationId, String queryKey) {
        ByteBuffer body = ByteBuffer.allocate(BODY_BYTES);
        body.put((byte) VERSION)
                .putLong(xactId)
                .putLong(createdAt.getEpochSecond())
                .putInt(createdAt.getNano())
                .putLong(eventId.getMostSignificantBits())
                .putLong(eventId.getLeastSignificantBits());
        byte[] plain = body.array();
        byte[] mac = mac(secret, plain, organizationId, queryKey);
        ByteBuffer cursor = ByteBuffer.allocate(plain.length + MAC_BYTES).put(plain).put(mac, 0, MAC_BYTES);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(cursor.array());
    }

    /** The position in a cursor given back by a client, or a 400. */
    public static InboxCursor decode(String cursor, byte[] secret, UUID organizationId, String queryKey) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(cursor);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        if (raw.length != BODY_BYTES + MAC_BYTES || raw[0] != VERSION) {
            throw invalid();
        }
        byte[] plain = new byte[raw.length - MAC_BYTES];
        System.arraycopy(raw, 0, plain, 0, plain.length);
        byte[] expected = mac(secret, plain, organizationId, queryKey);
        byte[] given = new byte[MAC_BYTES];
        System.arraycopy(raw, plain.length, given, 0, MAC_BYTES);
        byte[] expectedPrefix = new byte[MAC_BYTES];
        System.arraycopy(expected, 0, expectedPrefix, 0, MAC_BYTES);
        if (!MessageDigest.isEqual(expectedPrefix, given)) {
            throw invalid();
        }
        ByteBuffer body = ByteBuffer.wrap(plain, 1, plain.length - 1);
        long xactId = body.getLong();
        long seconds = body.getLong();
        int nanos = body.getInt();
        if (nanos < 0 || nanos > 999_999_999) {
            throw invalid();
        }
        return new InboxCursor(xactId, Instant.ofEpochSecond(seconds, nanos), new UUID(body.getLong(), body.getLong()));
    }

    private static byte[] mac(byte[] secret, byte[] plain, UUID organizationId, String queryKey) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(plain);
            mac.update(organizationId.toString().getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return mac.doFinal(queryKey.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    private static ApiException invalid() {
        return ApiException.validation("cursor", "invalid_value", "cursor is not one this API gave out for this query");
    }
}
