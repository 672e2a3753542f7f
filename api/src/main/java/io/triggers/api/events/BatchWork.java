package io.triggers.api.events;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Where a batch's CPU work runs: parsing its body, validating its items, assembling and writing its
 * answer (up to 500 events, a few milliseconds each). Not on the threads every request shares:
 * run where a signal arrives, a batch's validation ran on the Redis client's one event-loop thread
 * after its rate-limit answer, and its answer after its ENQUEUE reply, so every other request's
 * Redis replies (its rate limit, its ENQUEUE) waited behind whole batches. On threads of their own
 * the operating system shares the cores between batches and the rest. Non-blocking threads, as
 * BlockHound checks.
 */
@Component
public final class BatchWork implements DisposableBean {

    private final Scheduler scheduler = Schedulers.newParallel("ingest-batch", Math.max(1, Runtime.getRuntime().availableProcessors()));

    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public void destroy() {
        scheduler.dispose();
    }
}
