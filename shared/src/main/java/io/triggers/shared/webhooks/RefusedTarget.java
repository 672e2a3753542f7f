package io.triggers.shared.webhooks;

import java.net.UnknownHostException;

/**
 * A webhook host refused before any connection is made: it is, or resolves to, an address a
 * webhook must not be sent to, or it is written in a form that is refused. An
 * {@link UnknownHostException} because, to whoever connects, the host has no usable address.
 */
public final class RefusedTarget extends UnknownHostException {

    RefusedTarget(String host, String why) {
        super("refused: " + host + " " + why);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        // An answer about the host, not a fault in the code: the trace would say nothing.
        return this;
    }
}
