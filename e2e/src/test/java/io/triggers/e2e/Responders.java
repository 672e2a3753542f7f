package io.triggers.e2e;

import io.triggers.testing.WebhookReceiver;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Receiver behaviours the tests share. */
final class Responders {

    private Responders() {
    }

    /** Holds every request until {@code release} is counted down (at most a minute), then answers 200. */
    static Function<WebhookReceiver.Received, Integer> heldUntil(CountDownLatch release) {
        return request -> {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 200;
        };
    }
}
