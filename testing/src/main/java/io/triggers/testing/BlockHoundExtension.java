package io.triggers.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;

/**
 * Installs BlockHound before the first test class of a test JVM runs: a blocking call on an event
 * loop or a parallel-scheduler thread, in our code or a library's, throws
 * {@link BlockingOperationError} where it happens, and is also recorded, so that a test class
 * fails afterwards even when the code under test swallowed the error (a fail-open path, say).
 * Registered for every test JVM that has this module through JUnit's extension auto-detection
 * ({@code junit-platform.properties} and {@code META-INF/services}); the allowed exceptions are in
 * {@link BlockingCallsAllowed}. Needs {@code -XX:+AllowRedefinitionToAddDeleteMethods} (surefire's
 * argLine in the parent pom).
 */
public final class BlockHoundExtension implements BeforeAllCallback, AfterAllCallback {

    private static final List<String> VIOLATIONS = new ArrayList<>();

    static {
        BlockHound.install(builder -> builder.blockingMethodCallback(method -> {
            StringBuilder where = new StringBuilder(method + " on " + Thread.currentThread().getName());
            StackTraceElement[] stack = new Throwable().getStackTrace();
            for (int i = 0, shown = 0; i < stack.length && shown < 25; i++) {
                if (!stack[i].getClassName().startsWith("reactor.blockhound") && !stack[i].getClassName().startsWith("io.triggers.testing")) {
                    where.append("\n    at ").append(stack[i]);
                    shown++;
                }
            }
            synchronized (VIOLATIONS) {
                VIOLATIONS.add(where.toString());
            }
            throw new BlockingOperationError(method);
        }));
    }

    /** The blocking calls recorded since the last look, which are then forgotten (for a test of this check). */
    public static List<String> takeViolations() {
        synchronized (VIOLATIONS) {
            List<String> seen = new ArrayList<>(VIOLATIONS);
            VIOLATIONS.clear();
            return seen;
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (VIOLATIONS) {
            VIOLATIONS.clear();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> seen = takeViolations();
        if (!seen.isEmpty()) {
            throw new AssertionError("blocking calls on non-blocking threads: " + seen);
        }
    }
}
