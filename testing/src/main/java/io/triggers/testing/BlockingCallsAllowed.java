package io.triggers.testing;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * What BlockHound lets through on non-blocking threads in our tests (it is installed in every test
 * JVM by {@link BlockHoundExtension}; any other blocking call on an event loop or a parallel
 * scheduler thread fails with {@code BlockingOperationError}). Each exception is a short,
 * bounded wait that is not ours to avoid:
 * <ul>
 * <li>writing a log line (Logback's console appender writes synchronously; tests log every request);</li>
 * <li>{@code UUID.randomUUID()}, whose {@code SecureRandom} reads {@code /dev/urandom}, which never blocks once seeded;</li>
 * <li>the one-time seeding of a DRBG {@code SecureRandom} (API keys and endpoint secrets use one,
 *     which then generates in memory);</li>
 * <li>Spring's static resource handler looking up a file in the jar (only the Swagger UI is served
 *     that way; nothing on the ingest or delivery path).</li>
 * </ul>
 */
public final class BlockingCallsAllowed implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("ch.qos.logback.classic.Logger", "callAppenders");
        builder.allowBlockingCallsInside("java.util.UUID", "randomUUID");
        builder.allowBlockingCallsInside("sun.security.provider.AbstractDrbg", "instantiateIfNecessary");
        builder.allowBlockingCallsInside("org.springframework.web.reactive.resource.PathResourceResolver", "getResource");
    }
}
