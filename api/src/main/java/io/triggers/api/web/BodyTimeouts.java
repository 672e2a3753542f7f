package io.triggers.api.web;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code triggers.api.*}: how slowly a client may send a request body before the server drops the
 * connection. Until a request's headers are complete, {@code server.netty.idle-timeout} bounds it
 * instead (75 s in {@code triggers-api.yml}: a client that trickles its headers byte by byte does
 * not restart that clock, since nothing reaches the server until the headers are whole).
 *
 * @param bodyReadTimeout longest pause between two reads of a request body ({@code TRIGGERS_API_BODY_READ_TIMEOUT}, 10 s)
 * @param bodyTimeout     longest a whole request body may take to arrive ({@code TRIGGERS_API_BODY_TIMEOUT}, 30 s)
 */
@ConfigurationProperties("triggers.api")
public record BodyTimeouts(@DefaultValue("10s") Duration bodyReadTimeout, @DefaultValue("30s") Duration bodyTimeout) {

    public BodyTimeouts {
        if (bodyReadTimeout.isNegative() || bodyReadTimeout.isZero() || bodyTimeout.isNegative() || bodyTimeout.isZero()) {
            throw new IllegalArgumentException("triggers.api.body-read-timeout and body-timeout must be positive");
        }
    }
}
