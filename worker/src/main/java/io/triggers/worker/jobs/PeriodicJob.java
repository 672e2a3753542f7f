package io.triggers.worker.jobs;

import java.time.Duration;
import org.slf4j.Logger;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * A background job of the worker that runs {@link #tick()} every {@link #every()} while the
 * application runs (see {@link Periodically} for how runs are spaced and failures logged).
 */
public abstract class PeriodicJob implements SmartLifecycle {

    private final Logger log;
    private final String what;
    private volatile Disposable schedule;

    protected PeriodicJob(Logger log, String what) {
        this.log = log;
        this.what = what;
    }

    protected abstract Duration every();

    /** When the first run is, after start: after {@link #every()} unless a job says otherwise. */
    protected Duration first() {
        return every();
    }

    /** One run. */
    protected abstract Mono<?> tick();

    @Override
    public final void start() {
        schedule = Periodically.run(first(), every(), this::tick, log, what);
    }

    @Override
    public final void stop() {
        Disposable running = schedule;
        schedule = null;
        if (running != null) {
            running.dispose();
        }
    }

    @Override
    public final boolean isRunning() {
        return schedule != null;
    }
}
