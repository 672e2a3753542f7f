package io.triggers.worker.jobs;

import io.triggers.shared.queue.ShardLayouts;
import io.triggers.worker.queue.DeliveryQueue;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Announces this replica's shard layout and takes in the others' (see {@link ShardLayouts}), at
 * start and every {@code layout-stale-after / 6}. When a layout nobody announces any longer is
 * known, one replica at a time (a Redis lock) asks every shard which organizations it holds
 * deliveries of; once each of them belongs there under a layout still in use, the old layouts have
 * drained and are forgotten, and workers stop looking at shards only they had.
 */
@Component
final class ShardLayoutJob extends PeriodicJob {

    private static final Logger log = LoggerFactory.getLogger(ShardLayoutJob.class);

    private final DeliveryQueue queue;
    private final ShardLayouts layouts;

    ShardLayoutJob(DeliveryQueue queue) {
        super(log, "announcing the shard layout");
        this.queue = queue;
        this.layouts = queue.layouts();
    }

    @Override
    protected Duration first() {
        return Duration.ZERO;
    }

    @Override
    protected Duration every() {
        return layouts.announceEvery();
    }

    @Override
    protected Mono<?> tick() {
        return queue.announceLayout().then(Mono.defer(this::forgetDrained));
    }

    /** Forgets the layouts no longer announced, when their shards hold nothing that only they put there. */
    Mono<Long> forgetDrained() {
        long now = System.currentTimeMillis();
        List<Integer> stale = layouts.stale(now);
        if (stale.isEmpty()) {
            return Mono.just(0L);
        }
        return queue.tryLock("layouts", every().multipliedBy(2))
                .filter(Boolean::booleanValue)
                .flatMap(locked -> Flux.range(0, layouts.consumed())
                        .concatMap(shard -> queue.organizationsIn(shard).filter(org -> !layouts.explains(shard, org, now)).take(1))
                        .hasElements())
                .flatMap(draining -> {
                    if (draining) {
                        return Mono.just(0L);
                    }
                    log.info("shard layouts {} are no longer in use and have drained: forgetting them (this replica has {} shards)",
                            stale, layouts.own());
                    return queue.forgetLayouts(stale);
                })
                .defaultIfEmpty(0L);
    }
}
