package io.triggers.cli;

import java.time.Duration;
import picocli.CommandLine.ITypeConverter;

/** Durations as people type them ({@code 500ms}, {@code 2s}, {@code 1m}) or ISO-8601 ({@code PT0.5S}). */
final class DurationConverter implements ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        String text = value.trim().toLowerCase(java.util.Locale.ROOT);
        if (text.startsWith("pt") || text.startsWith("p")) {
            return Duration.parse(value.trim());
        }
        if (text.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
        }
        long amount = Long.parseLong(text.substring(0, text.length() - 1));
        switch (text.charAt(text.length() - 1)) {
            case 's': return Duration.ofSeconds(amount);
            case 'm': return Duration.ofMinutes(amount);
            case 'h': return Duration.ofHours(amount);
            default: throw new IllegalArgumentException("a duration is like 500ms, 2s or 1m: " + value);
        }
    }
}
