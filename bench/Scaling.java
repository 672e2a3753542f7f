import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Do worker replicas add throughput? (issue 18) Delivery bound by waiting, not by this machine's
 * cores: a receiver that answers after {@code receiver-delay-ms} (100), events spread over
 * {@code endpoints} (64) endpoints so no endpoint's {@code max_in_flight} binds, and a per-replica
 * concurrency of {@code concurrency} (8): one replica can then deliver at most concurrency / delay
 * (80/s), and n replicas n times that. For each replica count in {@code replicas} (1,2,4) it starts
 * that many worker processes on a queue kept a backlog deep, lets them warm up, counts the webhooks
 * that arrive over {@code seconds}, and stops them (SIGTERM). Prints webhooks/s per replica count,
 * its ratio to one replica and to the waiting bound, and the CPU each process spent per webhook;
 * writes bench/results/scaling-<time>.json. Run it through bench/scaling.sh, which starts it with
 * {@code -Dsun.net.httpserver.nodelay=true}: without TCP_NODELAY the receiver's answers wait for
 * delayed ACKs, about 40 ms each.
 */
public final class Scaling {

    public static void main(String[] arguments) throws Exception {
        BenchSupport bench = new BenchSupport(arguments);
        bench.main(() -> new Scaling(bench).run());
    }

    private final BenchSupport bench;
    private final Map<String, String> args;
    private final AtomicLong received = new AtomicLong();

    private Scaling(BenchSupport bench) {
        this.bench = bench;
        this.args = bench.args;
    }

    private void run() throws Exception {
        int endpoints = bench.number("endpoints", 64);
        int delayMs = bench.number("receiver-delay-ms", 100);
        int concurrency = bench.number("concurrency", 8);
        int seconds = bench.number("seconds", 30);
        int warmup = bench.number("warmup", 20);
        List<Integer> replicaCounts = new ArrayList<>();
        for (String count : args.getOrDefault("replicas", "1,2,4").split(",")) {
            replicaCounts.add(Integer.parseInt(count.trim()));
        }
        String receiver = BenchSupport.startReceiver(delayMs, Math.max(64, replicaCounts.stream().mapToInt(Integer::intValue).max().orElse(1) * concurrency * 2), received, "/scaling");
        BenchSupport.App apiApp = bench.startApi("scaling-api");
        String api = apiApp.url();
        Process apiProcess = apiApp.process();
        String key = bench.organization(api, "scaling");
        for (int i = 0; i < endpoints; i++) {
            // Endpoint i takes the events of type bench.e<i> only: each event is one webhook, to one endpoint.
            bench.post(api + "/v1/endpoints", key, "{\"url\":\"" + receiver + "/e" + i + "\",\"event_types\":[\"bench.e" + i + "\"]}", 201);
        }
        BenchSupport.say(endpoints + " endpoints, a receiver answering after " + delayMs + " ms, worker concurrency " + concurrency
                + "; replicas " + replicaCounts + ", " + warmup + " s of warm-up and " + seconds + " s measured each");

        long queued = 0;
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("started_at", Instant.now().toString());
        results.put("cpus", Runtime.getRuntime().availableProcessors());
        results.put("endpoints", endpoints);
        results.put("receiver_delay_ms", delayMs);
        results.put("concurrency_per_replica", concurrency);
        List<Map<String, Object>> steps = new ArrayList<>();
        double oneReplica = 0;
        for (int replicas : replicaCounts) {
            double bound = replicas * concurrency * 1000.0 / delayMs;
            // A backlog for the whole step and more, so the workers never run dry.
            long needed = received.get() + (long) (bound * (warmup + seconds) * 1.5) + 1000;
            for (; queued < needed; queued += 100) {
                StringBuilder batch = new StringBuilder("{\"events\":[");
                for (int i = 0; i < 100; i++) {
                    batch.append(i == 0 ? "" : ",").append("{\"event_type\":\"bench.e").append((queued + i) % endpoints)
                            .append("\",\"payload\":{\"n\":").append(queued + i).append("}}");
                }
                bench.post(api + "/v1/events/batch", key, batch.append("]}").toString(), 200);
            }
            List<Process> workers = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                workers.add(bench.startWorker("scaling-worker-" + replicas + "-" + i, List.of("--triggers.worker.concurrency=" + concurrency)).process());
            }
            BenchSupport.say(replicas + " worker replica(s) up; warming up " + warmup + " s");
            Thread.sleep(warmup * 1000L);
            Map<String, Long> cpuBefore = new LinkedHashMap<>();
            for (int i = 0; i < workers.size(); i++) {
                cpuBefore.put("worker-" + i, BenchSupport.cpuTicks(workers.get(i)));
            }
            cpuBefore.put("api", BenchSupport.cpuTicks(apiProcess));
            long from = received.get();
            long startedNanos = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long arrived = received.get() - from;
            double elapsed = (System.nanoTime() - startedNanos) / 1e9;
            double rate = arrived / elapsed;
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("replicas", replicas);
            step.put("webhooks", arrived);
            step.put("seconds", BenchSupport.round(elapsed));
            step.put("webhooks_per_second", BenchSupport.round(rate));
            step.put("waiting_bound_per_second", BenchSupport.round(bound));
            step.put("of_waiting_bound", BenchSupport.round(rate / bound));
            if (oneReplica == 0 && replicas == 1) {
                oneReplica = rate;
            }
            if (oneReplica > 0) {
                step.put("x_one_replica", BenchSupport.round(rate / oneReplica));
            }
            Map<String, Object> cpu = new LinkedHashMap<>();
            long hz = 100; // USER_HZ
            for (int i = 0; i < workers.size(); i++) {
                cpu.put("worker-" + i, BenchSupport.round((BenchSupport.cpuTicks(workers.get(i)) - cpuBefore.get("worker-" + i)) * 1e6 / hz / Math.max(1, arrived)));
            }
            cpu.put("api", BenchSupport.round((BenchSupport.cpuTicks(apiProcess) - cpuBefore.get("api")) * 1e6 / hz / Math.max(1, arrived)));
            step.put("cpu_us_per_webhook", cpu);
            steps.add(step);
            BenchSupport.say(String.format("  %d replica(s): %.1f webhooks/s (%.2f of the waiting bound %.0f/s%s); CPU µs per webhook %s", replicas, rate,
                    rate / bound, bound, oneReplica > 0 ? String.format(", %.2f x one replica", rate / oneReplica) : "", cpu));
            for (Process worker : workers) {
                worker.destroy(); // SIGTERM: graceful, its leases go back
            }
            for (Process worker : workers) {
                worker.waitFor(30, TimeUnit.SECONDS);
                bench.processes.remove(worker);
            }
        }
        results.put("steps", steps);
        Path out = bench.write("scaling", results);
        BenchSupport.say("results: " + out);
    }
}
