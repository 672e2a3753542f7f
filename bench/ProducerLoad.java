import io.triggers.client.Event;
import io.triggers.client.Producer;
import io.triggers.client.TriggersClient;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The producer phase's load: many threads call {@code producer.send} with one event each, as an
 * application would, and the client batches them. Prints {@code events=<n> seconds=<s> failed=<f>}
 * for the measured window, after a warm-up. Run by Throughput (phase {@code producer}) with the
 * client's jar and Jackson on the class path.
 *
 *   java -cp <client classpath>:classes ProducerLoad <api url> <api key> <threads> <warm-up s> <seconds>
 */
public final class ProducerLoad {

    public static void main(String[] args) throws Exception {
        String api = args[0];
        String key = args[1];
        int threads = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        AtomicLong stored = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        String payload = "bench";
        try (TriggersClient client = TriggersClient.builder().apiUrl(api).apiKey(key).build(); Producer producer = client.producer()) {
            Thread[] senders = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int thread = t;
                senders[t] = new Thread(() -> {
                    long i = 0;
                    while (running.get()) {
                        producer.send(Event.of("bench.producer", Map.of("thread", thread, "i", i++, "note", payload)))
                                .whenComplete((id, error) -> (error == null ? stored : failed).incrementAndGet());
                    }
                });
                senders[t].start();
            }
            Thread.sleep(warmup * 1000L);
            long before = stored.get();
            long failedBefore = failed.get();
            long started = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long events = stored.get() - before;
            double elapsed = (System.nanoTime() - started) / 1e9;
            long failures = failed.get() - failedBefore;
            running.set(false);
            for (Thread sender : senders) {
                sender.join();
            }
            System.out.printf(java.util.Locale.ROOT, "events=%d seconds=%.3f failed=%d%n", events, elapsed, failures);
        }
    }
}
