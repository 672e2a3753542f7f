package io.triggers.client;

import java.net.http.HttpHeaders;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The budget an answer reports in {@code X-RateLimit-Limit}, {@code X-RateLimit-Remaining} and
 * {@code X-RateLimit-Reset}: ingestion and the other calls spend separate budgets, and the headers
 * describe the one the call spent.
 *
 * @param limit calls a minute ({@code 0} when the organization has no limit)
 * @param remaining calls left now
 * @param resetSeconds seconds until the budget is full again
 */
public record RateLimit(long limit, long remaining, long resetSeconds) {

    static Optional<RateLimit> of(HttpHeaders headers) {
        OptionalLong limit = number(headers, "X-RateLimit-Limit");
        OptionalLong remaining = number(headers, "X-RateLimit-Remaining");
        OptionalLong reset = number(headers, "X-RateLimit-Reset");
        if (limit.isEmpty() || remaining.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new RateLimit(limit.getAsLong(), remaining.getAsLong(), reset.orElse(0)));
    }

    private static OptionalLong number(HttpHeaders headers, String name) {
        Optional<String> value = headers.firstValue(name);
        if (value.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(value.get().trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
