package io.triggers.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

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

    /**
     * Checks that BlockHound is installed in this JVM: a blocking call on a parallel-scheduler
     * thread must fail where it happens and be recorded. Each module's tests call it once.
     */
    public static void assertBlockingCallsAreCaught() {
        takeViolations();
        Throwable failure = null;
        try {
            Mono.fromCallable(() -> {
                Thread.sleep(1);
                return 1;
            }).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(5));
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        if (failure == null || failure.getMessage() == null || !failure.getMessage().contains("Blocking call!")) {
            throw new AssertionError("a blocking call on a parallel thread was not caught", failure);
        }
        List<String> seen = takeViolations();
        if (seen.size() != 1 || !seen.get(0).startsWith("java.lang.Thread.sleep")) {
            throw new AssertionError("the blocking call was not recorded: " + seen);
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
