package io.triggers.worker.jobs;

import io.triggers.shared.logging.ThrottledLog;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs a task every interval, one run at a time: a run that outlasts the interval makes the next
 * tick be skipped, not queued, and a failed run is logged and tried again at the next tick.
 */
public final class Periodically {

    private Periodically() {
    }

    /** Starts the schedule, first run after {@code every}; dispose the result to stop it. */
    public static Disposable run(Duration every, Supplier<Mono<?>> task, Logger log, String what) {
        return run(every, every, task, log, what);
    }

    /** Starts the schedule, first run after {@code first}; dispose the result to stop it. */
    public static Disposable run(Duration first, Duration every, Supplier<Mono<?>> task, Logger log, String what) {
        // During an outage every run fails: one line per 10 s is enough.
        ThrottledLog failures = new ThrottledLog(log, Duration.ofSeconds(10));
        return Flux.interval(first, every)
                .onBackpressureDrop()
                .concatMap(tick -> Mono.defer(task).onErrorResume(e -> {
                    failures.warn("{} failed, trying again next time: {}", what, e.toString());
                    return Mono.empty();
                }))
                .subscribe();
    }
}
