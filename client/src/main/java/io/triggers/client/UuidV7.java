package io.triggers.client;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Time-ordered UUIDs (RFC 9562 version 7): 48 bits of Unix milliseconds, then 74 random bits. The
 * client gives every event one as its idempotency key, so a retried send can never store the event
 * twice; time order keeps the server's index on keys append-mostly.
 */
public final class UuidV7 {

    private UuidV7() {
    }

    /** A new version-7 UUID for the current time. */
    public static UUID next() {
        return at(System.currentTimeMillis());
    }

    static UUID at(long unixMillis) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (unixMillis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
        long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(high, low);
    }
}
