package io.triggers.shared.queue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The queue's Lua scripts (in {@code queue/*.lua}), each with the shared helpers of
 * {@code common.lua} in front. Every script is called with the shard's ready key as its only
 * KEYS entry and the shard's key base as ARGV[1]; see each file for the rest.
 */
public enum QueueScripts {

    /** Queues a delivery unless it is queued already, and wakes workers. */
    ENQUEUE("enqueue"),
    /** Records an endpoint's organization and limits. */
    DESCRIBE("describe"),
    /** Hands out deliveries fairly, under the endpoints' limits, with a lease. */
    PICK("pick"),
    /** Acknowledges a delivery or sets when it is due again. */
    SETTLE("settle"),
    /** Extends leases of deliveries still being worked on. */
    RENEW("renew"),
    /** Counts what the shard holds, by state. */
    STATS("stats"),
    /** Tells which deliveries are queued in the shard (while the shard count changes). */
    PRESENT("present"),
    /** Lists the organizations with anything queued in the shard (to tell when a previous layout has drained). */
    ORGANIZATIONS("organizations");

    private final String source;

    QueueScripts(String name) {
        this.source = read("common") + "\n" + read(name);
    }

    /** The script's text. */
    public String source() {
        return source;
    }

    private static String read(String name) {
        String path = "/queue/" + name + ".lua";
        try (InputStream in = QueueScripts.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
