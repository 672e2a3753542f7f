package io.triggers.api.organizations;

import java.util.Map;
import java.util.regex.Pattern;

/** Organization tiers and their default rate limits (requests per minute). */
public final class Tiers {

    public static final Pattern NAMES = Pattern.compile("free|pro|business|enterprise");
    private static final Map<String, Integer> LIMITS = Map.of(
            "free", 100, "pro", 1_000, "business", 10_000, "enterprise", 100_000);

    private Tiers() {
    }

    /** The limit that applies: the organization's own override when set ({@code 0} = unlimited), else its tier's. */
    public static int effectiveLimit(String tier, Integer override) {
        return override != null ? override : LIMITS.getOrDefault(tier, LIMITS.get("free"));
    }
}
