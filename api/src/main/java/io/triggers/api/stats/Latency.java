package io.triggers.api.stats;

import java.util.Map;

/**
 * Percentiles from the roll-up's duration buckets: bucket {@code b} holds attempts that took
 * {@code [1.2^b, 1.2^(b+1))} ms (bucket 0 also those under 1 ms), and a percentile is given as its
 * bucket's upper end, rounded up to a whole millisecond: never below the exact value, at most 20 %
 * (or 1 ms) above it.
 */
final class Latency {

    private Latency() {
    }

    /** The {@code fraction} percentile (0.5, 0.99) of the buckets in ascending order; null when there are none. */
    static Long percentile(Map<Integer, Long> buckets, double fraction) {
        long total = buckets.values().stream().mapToLong(Long::longValue).sum();
        if (total == 0) {
            return null;
        }
        long rank = (long) Math.ceil(fraction * total);
        long seen = 0;
        for (Map.Entry<Integer, Long> bucket : buckets.entrySet()) {
            seen += bucket.getValue();
            if (seen >= rank) {
                return (long) Math.ceil(Math.pow(1.2, bucket.getKey() + 1));
            }
        }
        throw new IllegalStateException("unreachable: the rank is within the total");
    }
}
