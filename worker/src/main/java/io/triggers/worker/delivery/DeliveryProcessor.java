package io.triggers.worker.delivery;

import io.lettuce.core.StreamMessage;
import io.triggers.shared.stream.StreamEntry;
import io.triggers.shared.time.Timestamps;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Delivers one stream entry: every delivery still owed for its event is attempted, each outcome
 * is stored, the event's status follows, and only then, and only if nothing is owed any more, the
 * entry is acknowledged. A failed delivery leaves the entry pending, so nothing is lost to a
 * crash between sending and storing (at least once).
 */
@Component
final class DeliveryProcessor {

    private static final Logger log = LoggerFactory.getLogger(DeliveryProcessor.class);

    private final DeliveryRepository repository;
    private final WebhookSender sender;
    private final DeliveryStream stream;

    DeliveryProcessor(DeliveryRepository repository, WebhookSender sender, DeliveryStream stream) {
        this.repository = repository;
        this.sender = sender;
        this.stream = stream;
    }

    Mono<Void> process(StreamMessage<String, String> message) {
        StreamEntry entry;
        try {
            entry = StreamEntry.fromFields(message.getBody());
        } catch (IllegalArgumentException e) {
            log.warn("stream entry {} is unreadable and is acknowledged without delivery: {}", message.getId(), e.getMessage());
            return stream.ack(message.getId()).then();
        }
        return repository.owed(entry.eventId(), Timestamps.now())
                .flatMap(targets -> deliver(entry, targets))
                .flatMap(allDelivered -> repository.refreshEventStatus(entry.eventId(), Timestamps.now())
                        .then(allDelivered ? stream.ack(message.getId()).then() : Mono.empty()));
    }

    /** Emits whether every owed delivery succeeded (true when none was owed). */
    private Mono<Boolean> deliver(StreamEntry entry, List<DeliveryTarget> targets) {
        if (targets.isEmpty()) {
            return Mono.just(true);
        }
        byte[] body = WebhookBody.render(targets.get(0).event());
        return Flux.fromIterable(targets)
                .flatMap(target -> sender.send(target, body)
                        .flatMap(outcome -> repository.recordAttempt(target, outcome, Timestamps.now())
                                .doOnSuccess(ignored -> logOutcome(entry, target, outcome))
                                .thenReturn(outcome.delivered())))
                // reduce, not all(): all() would cancel the other endpoints' deliveries at the first failure.
                .reduce(true, (everyOneSoFar, delivered) -> everyOneSoFar && delivered);
    }

    private static void logOutcome(StreamEntry entry, DeliveryTarget target, AttemptOutcome outcome) {
        if (outcome.delivered()) {
            log.debug("delivered event {} to endpoint {} in {} ms (request {})", entry.eventId(), target.endpointId(),
                    outcome.durationMs(), entry.requestId());
        } else {
            log.info("delivery of event {} to endpoint {} failed (attempt {}, status {}, {}) (request {})", entry.eventId(),
                    target.endpointId(), target.attempts() + 1, outcome.statusCode(), outcome.error(), entry.requestId());
        }
    }
}
