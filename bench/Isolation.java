import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The noisy-neighbour benchmark behind bench/isolation.sh (compiled with ProcessCpu.java; JDK only).
 *
 * <p>A "quiet" organization sends {@code quiet-rate} (50) events a second, one request each, to a
 * healthy endpoint. Its ingest-to-receiver latency (from the moment the ingest request is sent to
 * the first arrival of the webhook at the receiver) is measured for {@code seconds} (30) alone, then
 * beside each noisy organization: (a) a backlog of {@code backlog} events to an endpoint that answers
 * after 2 s, (b) the same backlog to an endpoint that always answers 500, (c) a burst of
 * {@code burst} events to a healthy endpoint. Every {@code quiet-fail-every}-th (10th) quiet event
 * is answered 500 on its first attempt and 200 on its retry, in every case (so the quiet load is
 * the same everywhere), and the tool reports how much later than first attempt + first retry step
 * the retry came.
 *
 * <p>Cases are independent: each runs on a fresh database, a fresh Redis key prefix and freshly
 * started api and worker processes, warmed up for {@code warmup-seconds} with the quiet load plus
 * a throwaway noisy organization sending to a healthy endpoint (its webhooks drained, or its endpoint
 * deleted when the worker has not caught up 30 s later, before measuring).
 * Receivers run in this JVM on loopback, one HTTP server for the quiet organization and one for the
 * noisy ones, so a flood of noisy webhooks does not delay the quiet arrivals' timestamps.
 */
public class Isolation {

    /** A case: its name, what the table calls it, what the noisy receiver does (null: no noisy organization). */
    record Case(String name, String title, String noisyMode) {
        boolean burst() {
            return "ok".equals(noisyMode);
        }
    }

    static final List<Case> CASES = List.of(
            new Case("alone", "quiet alone", null),
            new Case("slow_backlog", "(a) backlog to a 2 s endpoint", "slow"),
            new Case("failing_backlog", "(b) backlog to a 500 endpoint", "fail"),
            new Case("burst", "(c) burst to a healthy endpoint", "ok"));

    /** One quiet event, from its ingest request to its webhook's arrivals. Times are System.nanoTime(). */
    static final class QuietEvent {
        final long seq;
        final boolean failFirst;
        volatile long sentAt;
        volatile long answeredAt;
        volatile int status;
        int attempts;
        long firstArrival;
        long retryArrival;

        QuietEvent(long seq, boolean failFirst) {
            this.seq = seq;
            this.failFirst = failFirst;
        }
    }

    /** What the receivers see during one case. */
    static final class CaseState {
        final String noisyMode;
        final Map<Long, QuietEvent> quiet = new ConcurrentHashMap<>();
        /** Arrival times of every attempt, per noisy event (webhook-id). */
        final Map<String, List<Long>> noisyAttempts = new ConcurrentHashMap<>();
        final AtomicLong noisyArrivals = new AtomicLong();
        /** Quiet sends skipped because the sender had fallen behind its schedule (the whole case, warm-up included). */
        final AtomicLong quietSkipped = new AtomicLong();
        final AtomicLong noisyFirstArrivals = new AtomicLong();
        volatile long noisyExpected = Long.MAX_VALUE;
        volatile long noisyAllArrivedAt;

        CaseState(String noisyMode) {
            this.noisyMode = noisyMode;
        }
    }

    public static void main(String[] arguments) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (String argument : arguments) {
            int eq = argument.indexOf('=');
            args.put(argument.substring(0, eq), argument.substring(eq + 1));
        }
        new Isolation(args).run();
        System.exit(0); // the receivers' and clients' threads would keep the JVM up
    }

    private static final Pattern SEQ = Pattern.compile("\"seq\":\\s*([0-9]+)");
    private static final Pattern CREATED = Pattern.compile("\"status\":\\s*201\\b");
    private static final int BATCH = 500;

    private final Map<String, String> args;
    private final Path state;
    private final int backlog;
    private final int burst;
    private final int quietRate;
    private final int seconds;
    private final int warmupSeconds;
    private final int graceSeconds;
    private final int quietFailEvery;
    private final long slowMillis;
    private final int warmupNoisyRate;
    private final List<Duration> retrySchedule;
    private final String stamp;
    private final HttpClient quietHttp;
    private final HttpClient noisyHttp;
    private final List<Process> processes = new ArrayList<>();
    private final String encryptionKeys = "bench:" + java.util.Base64.getEncoder().encodeToString(randomBytes(32));
    private final AtomicLong nextSeq = new AtomicLong(1);
    private volatile CaseState current = new CaseState(null);
    private String quietUrl;
    private String noisyBase;
    private long postmasterPid = -1;
    private long redisPid = -1;

    Isolation(Map<String, String> args) throws Exception {
        this.args = args;
        this.state = Files.createDirectories(Path.of(args.getOrDefault("state", ".triggers/isolation")));
        this.backlog = intArg("backlog", 100_000);
        this.burst = intArg("burst", 50_000);
        this.quietRate = intArg("quiet-rate", 50);
        this.seconds = intArg("seconds", 30);
        this.warmupSeconds = intArg("warmup-seconds", 20);
        this.graceSeconds = intArg("grace-seconds", 60);
        this.quietFailEvery = intArg("quiet-fail-every", 10);
        this.slowMillis = intArg("slow-ms", 2000);
        this.warmupNoisyRate = intArg("warmup-noisy-rate", 500);
        this.retrySchedule = Arrays.stream(args.getOrDefault("retry-schedule", "5s,30s,2m,10m,30m,1h,3h,6h").split(","))
                .map(String::trim).map(Isolation::duration).toList();
        this.stamp = args.getOrDefault("stamp", Long.toString(System.currentTimeMillis() / 1000));
        this.quietHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(2, daemon("quiet-client"))).connectTimeout(Duration.ofSeconds(5)).build();
        this.noisyHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(4, daemon("noisy-client"))).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private int intArg(String name, int fallback) {
        String value = args.get(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    }

    void run() throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> processes.forEach(Process::destroyForcibly)));
        startReceivers();
        findServerProcesses();
        List<String> wanted = List.of(args.getOrDefault("cases", "all").split(","));
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("benchmark", "isolation");
        results.put("started_at", Instant.now().toString());
        results.put("machine", machine());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("backlog", backlog);
        settings.put("burst", burst);
        settings.put("quiet_rate", quietRate);
        settings.put("seconds", seconds);
        settings.put("warmup_seconds", warmupSeconds);
        settings.put("grace_seconds", graceSeconds);
        settings.put("quiet_fail_every", quietFailEvery);
        settings.put("slow_ms", slowMillis);
        settings.put("warmup_noisy_rate", warmupNoisyRate);
        settings.put("retry_schedule", args.getOrDefault("retry-schedule", "5s,30s,2m,10m,30m,1h,3h,6h"));
        settings.put("api_args", args.getOrDefault("api-args", ""));
        settings.put("worker_args", args.getOrDefault("worker-args", ""));
        results.put("settings", settings);
        String independence = "each case runs on a fresh database, Redis key prefix, api and worker (started from the jars and warmed up for "
                + warmupSeconds + " s with the quiet load plus a throwaway noisy organization, whose webhooks are left to drain, its endpoint deleted "
                + "if the worker has not caught up 30 s later), "
                + "so no backlog, pending retry, dead row or JIT state carries from one case to the next";
        results.put("case_independence", independence);
        say("cases are independent: " + independence);
        Map<String, Object> cases = new LinkedHashMap<>();
        results.put("cases", cases);
        for (Case c : CASES) {
            if (!wanted.contains("all") && !wanted.contains(c.name())) {
                continue;
            }
            try {
                cases.put(c.name(), runCase(c));
            } catch (Exception e) {
                say("case " + c.name() + " failed: " + e);
                Map<String, Object> failed = new LinkedHashMap<>();
                failed.put("title", c.title());
                failed.put("error", e.toString());
                cases.put(c.name(), failed);
            } finally {
                stopProcesses();
                dropCase(c);
            }
        }
        results.put("finished_at", Instant.now().toString());
        report(results, cases);
    }

    // ---- one case ------------------------------------------------------------------------------

    private Map<String, Object> runCase(Case c) throws Exception {
        say("case " + c.name() + ": " + c.title());
        String database = database(c);
        String prefix = prefix(c);
        psql("postgres", "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        psql("postgres", "CREATE DATABASE " + database);
        int apiPort = freePort();
        int apiManagementPort = freePort();
        String api = "http://127.0.0.1:" + apiPort;
        Process apiProcess = start(c.name() + "-api", args.get("api-jar"), apiPort, database, prefix,
                join(List.of("--triggers.admin-token=" + args.get("admin-token"), "--management.server.port=" + apiManagementPort), extra("api-args")));
        awaitReady("http://127.0.0.1:" + apiManagementPort, apiProcess);
        int workerPort = freePort();
        Process workerProcess = start(c.name() + "-worker", args.get("worker-jar"), workerPort, database, prefix,
                join(List.of("--triggers.delivery.retry-schedule=" + args.getOrDefault("retry-schedule", "5s,30s,2m,10m,30m,1h,3h,6h")),
                        extra("worker-args")));
        awaitReady("http://127.0.0.1:" + workerPort, workerProcess);

        CaseState caseState = new CaseState(c.noisyMode());
        current = caseState;
        String quietKey = organization(api, "quiet-" + c.name(), "{\"name\":\"quiet\",\"tier\":\"enterprise\"}");
        endpoint(api, quietKey, quietUrl);

        AtomicBoolean stopQuiet = new AtomicBoolean();
        Thread quietSender = new Thread(() -> quietLoad(api, quietKey, caseState, stopQuiet), "quiet-load");
        quietSender.setDaemon(true);
        quietSender.start();

        // Warm-up: the quiet load plus a throwaway noisy organization delivering to a healthy endpoint.
        say("  warm-up " + warmupSeconds + " s: quiet load and " + warmupNoisyRate + " noisy events/s to a healthy endpoint");
        String warmKey = organization(api, "warm-up", "{\"name\":\"warm-up\",\"tier\":\"enterprise\",\"rate_limit_per_minute\":0}");
        String warmEndpoint = endpoint(api, warmKey, noisyBase + "/warm");
        long warmUntil = System.nanoTime() + warmupSeconds * 1_000_000_000L;
        String warmBatch = batchBody(100, "warm.up");
        long warmStart = System.nanoTime();
        for (long n = 0; System.nanoTime() < warmUntil; n++) {
            sleepUntil(warmStart + n * 100 * 1_000_000_000L / Math.max(1, warmupNoisyRate));
            send(noisyHttp, api + "/v1/events/batch", warmKey, "POST", warmBatch);
        }
        // Its webhooks drain on their own (the endpoint is healthy); one the worker could not catch up
        // with in 30 s is deleted, which drops what is still owed to it.
        long drained = waitForStream(prefix, Duration.ofSeconds(30));
        boolean warmDeleted = false;
        if (drained > drainThreshold()) {
            delete(api + "/v1/endpoints/" + warmEndpoint, warmKey);
            warmDeleted = true;
            drained = waitForStream(prefix, Duration.ofSeconds(60));
        }
        if (drained > drainThreshold()) {
            say("  Redis still holds " + drained + " queued deliveries after the warm-up; measuring anyway");
        }

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("title", c.title());
        out.put("database", database);
        String noisyKey = null;
        Thread burstSender = null;
        Map<String, Object> noisyIngest = new LinkedHashMap<>();
        if (c.noisyMode() != null) {
            noisyKey = organization(api, "noisy-" + c.name(),
                    "{\"name\":\"noisy-" + c.name() + "\",\"tier\":\"enterprise\",\"rate_limit_per_minute\":0}");
            endpoint(api, noisyKey, noisyBase + "/noisy/" + c.noisyMode());
            if (!c.burst()) {
                say("  ingesting a backlog of " + backlog + " events for the noisy organization");
                caseState.noisyExpected = backlog;
                long before = caseState.noisyArrivals.get();
                noisyIngest = ingest(api, noisyKey, backlog, "noisy.backlog", new AtomicBoolean());
                noisyIngest.put("noisy_arrivals_during_ingest", caseState.noisyArrivals.get() - before);
            }
        }

        // The measured window.
        long streamAtStart = xlen(prefix);
        ProcessCpu cpu = new ProcessCpu().process("api", apiProcess.pid()).process("worker", workerProcess.pid())
                .postgres("postgres", postmasterPid).process("redis", redisPid).self("bench");
        Map<String, Long> cpuBefore = cpu.snapshot();
        long t0 = System.nanoTime();
        long noisyAtStart = caseState.noisyArrivals.get();
        AtomicBoolean stopBurst = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Map<String, Object>> burstResult = new java.util.concurrent.atomic.AtomicReference<>();
        if (c.burst()) {
            caseState.noisyExpected = burst;
            String key = noisyKey;
            burstSender = new Thread(() -> {
                try {
                    burstResult.set(ingest(api, key, burst, "noisy.burst", stopBurst));
                } catch (Exception e) {
                    burstResult.set(Map.of("error", e.toString()));
                }
            }, "burst");
            burstSender.setDaemon(true);
            burstSender.start();
        }
        say("  measuring " + seconds + " s" + (c.noisyMode() == null ? " (quiet alone)" : " beside the noisy organization"));
        sleepUntil(t0 + seconds * 1_000_000_000L);
        long t1 = System.nanoTime();
        long noisyAtEnd = caseState.noisyArrivals.get();
        Map<String, Long> cpuAfter = cpu.snapshot();
        long streamAtEnd = xlen(prefix);
        long pendingAtEnd = xpending(prefix);
        stopQuiet.set(true);
        quietSender.join(10_000);

        // Late quiet webhooks (and the retries of the 500-first subset) may arrive after the window.
        long caseEnd = waitForQuiet(caseState, t0, t1, Duration.ofSeconds(graceSeconds));
        if (burstSender != null) {
            stopBurst.set(true);
            burstSender.join(30_000);
            noisyIngest = burstResult.get() == null ? Map.of("error", "burst still ingesting") : new LinkedHashMap<>(burstResult.get());
        }

        out.put("queued_after_warm_up", drained);
        out.put("warm_up_endpoint_deleted_to_drain", warmDeleted);
        out.put("queued_at_start", streamAtStart);
        out.put("queued_at_end", streamAtEnd);
        out.put("pending_at_end", pendingAtEnd);
        out.put("quiet", quietFigures(caseState, t0, t1, caseEnd));
        if (c.noisyMode() != null) {
            Map<String, Object> noisy = new LinkedHashMap<>();
            noisy.put("receiver", switch (c.noisyMode()) {
                case "slow" -> "answers 200 after " + slowMillis + " ms";
                case "fail" -> "answers 500";
                default -> "answers 200 at once";
            });
            noisy.put("events", c.burst() ? burst : backlog);
            noisy.put("ingest", noisyIngest);
            noisy.put("arrivals_in_window", noisyAtEnd - noisyAtStart);
            noisy.put("arrivals_per_second", round((noisyAtEnd - noisyAtStart) / ((t1 - t0) / 1e9)));
            noisy.put("distinct_events_arrived", caseState.noisyAttempts.size());
            if (caseState.noisyAllArrivedAt != 0) {
                noisy.put("all_arrived_seconds_after_window_start", round((caseState.noisyAllArrivedAt - t0) / 1e9));
            }
            noisy.put("attempts", attemptFigures(caseState, caseEnd));
            out.put("noisy", noisy);
        }
        Map<String, Object> cpuSeconds = ProcessCpu.seconds(cpuBefore, cpuAfter);
        cpuSeconds.put("window_seconds", round((t1 - t0) / 1e9));
        out.put("cpu_seconds", cpuSeconds);
        out.put("logs", logFigures(c));
        out.put("case_seconds_after_window", round((caseEnd - t1) / 1e9));
        return out;
    }

    /**
     * Sends the quiet organization's events, one request each, at quiet-rate a second, until told to
     * stop. Open loop (up to 512 requests in flight, so a slow api does not slow the sender), and
     * never faster than the rate: a sender that fell behind (a stalled machine, every slot taken)
     * skips the sends it missed instead of catching up in a burst, and counts them.
     */
    private void quietLoad(String api, String key, CaseState caseState, AtomicBoolean stop) {
        Semaphore slots = new Semaphore(512);
        long interval = 1_000_000_000L / quietRate;
        long next = System.nanoTime();
        try {
            while (!stop.get()) {
                sleepUntil(next);
                while (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    if (stop.get()) {
                        return;
                    }
                }
                long seq = nextSeq.getAndIncrement();
                QuietEvent event = new QuietEvent(seq, quietFailEvery > 0 && seq % quietFailEvery == 0);
                caseState.quiet.put(seq, event);
                String body = "{\"event_type\":\"quiet.tick\",\"source\":\"isolation\",\"payload\":{\"seq\":" + seq + "}}";
                HttpRequest request = HttpRequest.newBuilder(URI.create(api + "/v1/events")).timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                event.sentAt = System.nanoTime();
                quietHttp.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                    event.answeredAt = System.nanoTime();
                    event.status = error == null ? response.statusCode() : -1;
                    slots.release();
                });
                next += interval;
                long now = System.nanoTime();
                if (next < now - interval) {
                    caseState.quietSkipped.addAndGet((now - next) / interval);
                    next = now;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until every quiet event sent in [t0, t1) has arrived (and each 500-first one's retry), or the grace runs out. */
    private long waitForQuiet(CaseState caseState, long t0, long t1, Duration grace) throws InterruptedException {
        long giveUp = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < giveUp) {
            boolean done = true;
            for (QuietEvent event : caseState.quiet.values()) {
                if (event.sentAt < t0 || event.sentAt >= t1) {
                    continue;
                }
                if (event.status == 0) {
                    done = false; // still waiting for the api's answer
                    break;
                }
                if (event.status / 100 != 2) {
                    continue;
                }
                synchronized (event) {
                    if (event.firstArrival == 0 || (event.failFirst && event.retryArrival == 0)) {
                        done = false;
                    }
                }
                if (!done) {
                    break;
                }
            }
            if (done) {
                return System.nanoTime();
            }
            Thread.sleep(50);
        }
        return System.nanoTime();
    }

    private Map<String, Object> quietFigures(CaseState caseState, long t0, long t1, long caseEnd) {
        List<long[]> latencies = new ArrayList<>();
        List<long[]> ingest = new ArrayList<>();
        List<long[]> retryBeyond = new ArrayList<>();
        long step = retrySchedule.get(0).toNanos();
        long sent = 0;
        long rejected = 0;
        long missing = 0;
        long duplicates = 0;
        long retriesMissing = 0;
        long retriesBeyondJitter = 0;
        for (QuietEvent event : caseState.quiet.values()) {
            if (event.sentAt < t0 || event.sentAt >= t1) {
                continue;
            }
            sent++;
            if (event.status / 100 != 2) {
                rejected++;
                continue;
            }
            ingest.add(new long[] {event.answeredAt - event.sentAt, 0});
            synchronized (event) {
                if (event.firstArrival == 0) {
                    missing++;
                    latencies.add(new long[] {caseEnd - event.sentAt, 1});
                } else {
                    latencies.add(new long[] {event.firstArrival - event.sentAt, 0});
                }
                if (event.attempts > (event.failFirst ? 2 : 1)) {
                    duplicates++;
                }
                if (event.failFirst && event.firstArrival != 0) {
                    if (event.retryArrival == 0) {
                        retriesMissing++;
                        retryBeyond.add(new long[] {caseEnd - event.firstArrival - step, 1});
                    } else {
                        long beyond = event.retryArrival - event.firstArrival - step;
                        retryBeyond.add(new long[] {beyond, 0});
                        if (beyond > step / 5) {
                            retriesBeyondJitter++;
                        }
                    }
                }
            }
        }
        Map<String, Object> quiet = new LinkedHashMap<>();
        quiet.put("sent", sent);
        quiet.put("sent_per_second", round(sent / ((t1 - t0) / 1e9)));
        quiet.put("sends_skipped_behind_schedule_in_case", caseState.quietSkipped.get());
        quiet.put("rejected", rejected);
        quiet.put("not_arrived_by_case_end", missing);
        quiet.put("latency_ms", stats(latencies));
        quiet.put("ingest_answer_ms", stats(ingest));
        quiet.put("delivered_more_than_expected", duplicates);
        Map<String, Object> retries = new LinkedHashMap<>();
        retries.put("first_step_ms", retrySchedule.get(0).toMillis());
        retries.put("retried_events", retryBeyond.size());
        retries.put("retry_not_arrived_by_case_end", retriesMissing);
        retries.put("later_than_step_plus_20_percent", retriesBeyondJitter);
        retries.put("delay_beyond_step_ms", stats(retryBeyond));
        quiet.put("retries", retries);
        return quiet;
    }

    /**
     * Attempts per noisy event at the receiver, by the end of the case: the most any event got, how
     * many events got more than the retry schedule allows by then (an event first attempted at t may
     * have had its k-th retry only once 0.8 x (step 1 + ... + step k) has passed), and the shortest
     * gap seen before each retry, against 0.8 x its step.
     */
    private Map<String, Object> attemptFigures(CaseState caseState, long caseEnd) {
        int maxAttempts = 0;
        long overSchedule = 0;
        long moreThanOnce = 0;
        Map<Integer, Long> histogram = new java.util.TreeMap<>();
        long[] minGap = new long[retrySchedule.size() + 1];
        Arrays.fill(minGap, Long.MAX_VALUE);
        long[] gapsBelowStep = new long[retrySchedule.size() + 1];
        for (List<Long> list : caseState.noisyAttempts.values()) {
            long[] times;
            synchronized (list) {
                times = list.stream().mapToLong(Long::longValue).sorted().toArray();
            }
            int attempts = times.length;
            maxAttempts = Math.max(maxAttempts, attempts);
            histogram.merge(attempts, 1L, Long::sum);
            if (attempts > 1) {
                moreThanOnce++;
            }
            if (attempts > allowedAttempts(caseEnd - times[0])) {
                overSchedule++;
            }
            for (int k = 1; k < attempts && k <= retrySchedule.size(); k++) {
                long gap = times[k] - times[k - 1];
                minGap[k] = Math.min(minGap[k], gap);
                if (gap < retrySchedule.get(k - 1).toNanos() * 8 / 10) {
                    gapsBelowStep[k]++;
                }
            }
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("max_attempts_per_event", maxAttempts);
        Map<String, Object> byCount = new LinkedHashMap<>();
        histogram.forEach((attempts, events) -> byCount.put(Integer.toString(attempts), events));
        figures.put("events_by_attempts", byCount);
        figures.put("events_attempted_more_than_once", moreThanOnce);
        figures.put("events_over_schedule_at_case_end", overSchedule);
        List<Object> gaps = new ArrayList<>();
        for (int k = 1; k < minGap.length; k++) {
            if (minGap[k] == Long.MAX_VALUE) {
                break;
            }
            Map<String, Object> gap = new LinkedHashMap<>();
            gap.put("retry", k);
            gap.put("step_ms", retrySchedule.get(k - 1).toMillis());
            gap.put("min_gap_ms", round(minGap[k] / 1e6));
            gap.put("gaps_below_80_percent_of_step", gapsBelowStep[k]);
            gaps.add(gap);
        }
        figures.put("min_gap_before_retry", gaps);
        return figures;
    }

    /** Attempts the schedule allows within {@code elapsed} of the first: 1 + the retries whose earliest (-20 %) due time has passed. */
    private int allowedAttempts(long elapsedNanos) {
        int allowed = 1;
        long due = 0;
        for (Duration step : retrySchedule) {
            due += step.toNanos() * 8 / 10;
            if (due > elapsedNanos) {
                break;
            }
            allowed++;
        }
        return allowed;
    }

    /** Ingests {@code count} events in batches of 500, four requests at a time; answers what was accepted and how fast. */
    private Map<String, Object> ingest(String api, String key, int count, String type, AtomicBoolean stop) throws Exception {
        int concurrency = intArg("ingest-concurrency", 4);
        Semaphore slots = new Semaphore(concurrency);
        AtomicLong accepted = new AtomicLong();
        AtomicLong failedRequests = new AtomicLong();
        String full = batchBody(BATCH, type);
        long start = System.nanoTime();
        for (int sent = 0; sent < count && !stop.get(); sent += BATCH) {
            int size = Math.min(BATCH, count - sent);
            String body = size == BATCH ? full : batchBody(size, type);
            slots.acquire();
            HttpRequest request = HttpRequest.newBuilder(URI.create(api + "/v1/events/batch")).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            noisyHttp.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                if (error == null && response.statusCode() == 200) {
                    Matcher created = CREATED.matcher(response.body());
                    long n = 0;
                    while (created.find()) {
                        n++;
                    }
                    accepted.addAndGet(n);
                } else {
                    failedRequests.incrementAndGet();
                }
                slots.release();
            });
        }
        slots.acquire(concurrency);
        slots.release(concurrency);
        double took = (System.nanoTime() - start) / 1e9;
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("accepted", accepted.get());
        figures.put("failed_requests", failedRequests.get());
        figures.put("seconds", round(took));
        figures.put("events_per_second", round(accepted.get() / took));
        if (accepted.get() < count) {
            say("  only " + accepted.get() + " of " + count + " noisy events were accepted");
        }
        return figures;
    }

    // ---- receivers -----------------------------------------------------------------------------

    private void startReceivers() throws IOException {
        HttpServer quiet = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        quiet.setExecutor(Executors.newFixedThreadPool(16, daemon("quiet-receiver")));
        quiet.createContext("/", exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                long now = System.nanoTime();
                CaseState caseState = current;
                Matcher seq = SEQ.matcher(new String(body, StandardCharsets.UTF_8));
                QuietEvent event = seq.find() ? caseState.quiet.get(Long.parseLong(seq.group(1))) : null;
                int status = 200;
                if (event != null) {
                    synchronized (event) {
                        event.attempts++;
                        if (event.attempts == 1) {
                            event.firstArrival = now;
                            if (event.failFirst) {
                                status = 500;
                            }
                        } else if (event.failFirst && event.retryArrival == 0) {
                            event.retryArrival = now;
                        }
                    }
                }
                answer(exchange, status);
            }
        });
        quiet.start();
        quietUrl = "http://127.0.0.1:" + quiet.getAddress().getPort() + "/quiet";

        // Noisy receivers: a thread per request in flight (the slow one holds its thread for 2 s; the
        // worker keeps at most max_in_flight, 16, requests in flight per endpoint).
        HttpServer noisy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        noisy.setExecutor(Executors.newCachedThreadPool(daemon("noisy-receiver")));
        noisy.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                long now = System.nanoTime();
                String path = exchange.getRequestURI().getPath();
                if (path.startsWith("/warm")) {
                    answer(exchange, 200);
                    return;
                }
                CaseState caseState = current;
                String id = exchange.getRequestHeaders().getFirst("webhook-id");
                boolean first = true;
                if (id != null) {
                    List<Long> times = caseState.noisyAttempts.computeIfAbsent(id, k -> new ArrayList<>(2));
                    synchronized (times) {
                        times.add(now);
                        first = times.size() == 1;
                    }
                }
                caseState.noisyArrivals.incrementAndGet();
                if (first && caseState.noisyFirstArrivals.incrementAndGet() == caseState.noisyExpected) {
                    caseState.noisyAllArrivedAt = now;
                }
                if (path.endsWith("/slow")) {
                    try {
                        Thread.sleep(slowMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    answer(exchange, 200);
                } else if (path.endsWith("/fail")) {
                    answer(exchange, 500);
                } else {
                    answer(exchange, 200);
                }
            }
        });
        noisy.start();
        noisyBase = "http://127.0.0.1:" + noisy.getAddress().getPort();
    }

    private static void answer(HttpExchange exchange, int status) throws IOException {
        byte[] answer = (status == 200 ? "{}" : "{\"error\":\"isolation benchmark\"}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    // ---- CPU -----------------------------------------------------------------------------------

    /** The PostgreSQL postmaster (the parent of its checkpointer) and Redis, when they run on this machine. */
    private void findServerProcesses() {
        postmasterPid = ProcessCpu.postgresPostmaster(pgHost(), args.getOrDefault("pg-port", "5432"), args.getOrDefault("pg-user", "postgres"), "postgres");
        if (postmasterPid < 0) {
            say("PostgreSQL's processes are not visible here: its CPU is not reported");
        }
        redisPid = ProcessCpu.redisServer(redisHost(), redisPort());
        if (redisPid < 0) {
            say("Redis's process is not visible here: its CPU is not reported");
        }
    }

    /**
     * Warnings and errors each app logged during the case, and whether the worker's PostgreSQL gate
     * (which pauses all delivery) was left closed: a worker that stopped delivering makes every
     * figure of the case meaningless, and this says so.
     */
    private Map<String, Object> logFigures(Case c) {
        Map<String, Object> logs = new LinkedHashMap<>();
        for (String app : List.of("api", "worker")) {
            Path file = state.resolve(c.name() + "-" + app + ".log");
            Map<String, Object> figures = new LinkedHashMap<>();
            try {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                figures.put("warnings", lines.stream().filter(l -> l.contains(" WARN ")).count());
                figures.put("errors", lines.stream().filter(l -> l.contains(" ERROR ")).count());
                if (app.equals("worker")) {
                    String last = null;
                    for (String line : lines) {
                        if (line.contains("delivery pauses until it answers again")) {
                            last = "closed";
                        } else if (line.contains("PostgreSQL answers again")) {
                            last = "open";
                        }
                    }
                    boolean closed = "closed".equals(last);
                    figures.put("database_gate_left_closed", closed);
                    if (closed) {
                        say("  the worker paused delivery (\"PostgreSQL is failing\") and had not resumed by the end of the case: see " + file);
                    }
                }
                figures.put("file", file.toString());
            } catch (IOException e) {
                figures.put("error", e.toString());
            }
            logs.put(app, figures);
        }
        return logs;
    }

    // ---- processes, API calls, helpers -----------------------------------------------------------

    private String database(Case c) {
        return "triggers_iso_" + stamp + "_" + c.name();
    }

    private String prefix(Case c) {
        return "iso" + stamp + "-" + c.name();
    }

    private void dropCase(Case c) {
        try {
            psql("postgres", "DROP DATABASE IF EXISTS " + database(c) + " WITH (FORCE)");
            exec(List.of("sh", "-c", "redis-cli -h '" + redisHost() + "' -p '" + redisPort() + "' --scan --pattern '" + prefix(c)
                    + ":*' | xargs -r redis-cli -h '" + redisHost() + "' -p '" + redisPort() + "' DEL >/dev/null"));
        } catch (Exception e) {
            say("  could not clean up case " + c.name() + ": " + e.getMessage());
        }
    }

    private void stopProcesses() {
        for (Process process : processes) {
            process.destroy();
        }
        for (Process process : processes) {
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    private Process start(String name, String jar, int port, String database, String prefix, List<String> extra) throws IOException {
        String pg = pgHost() + ":" + args.getOrDefault("pg-port", "5432") + "/" + database;
        List<String> command = new ArrayList<>(List.of("java", "-Xmx1g", "-jar", jar, "--server.port=" + port,
                "--spring.r2dbc.url=r2dbc:postgresql://" + pg,
                "--spring.r2dbc.username=" + args.getOrDefault("pg-user", "postgres"),
                "--spring.flyway.url=jdbc:postgresql://" + pg,
                "--spring.flyway.user=" + args.getOrDefault("pg-user", "postgres"),
                "--spring.data.redis.url=redis://" + redisHost() + ":" + redisPort(),
                "--triggers.redis.key-prefix=" + prefix,
                "--triggers.encryption-keys=" + encryptionKeys,
                "--triggers.delivery.allow-private-targets=true",
                "--logging.level.reactor.netty.http.server.AccessLog=warn"));
        command.addAll(extra);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(state.resolve(name + ".log").toFile()).start();
        processes.add(process);
        return process;
    }

    private void awaitReady(String base, Process process) throws Exception {
        HttpRequest probe = HttpRequest.newBuilder(URI.create(base + "/actuator/health/readiness")).timeout(Duration.ofSeconds(1)).build();
        for (int i = 0; i < 1800; i++) {
            if (!process.isAlive()) {
                throw new IllegalStateException("a process exited; see the logs in " + state);
            }
            try {
                if (noisyHttp.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Starting.
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(base + " did not come up; see the logs in " + state);
    }

    /** Creates an organization; answers its API key. */
    private String organization(String api, String what, String body) throws Exception {
        String created = send(noisyHttp, api + "/v1/organizations", args.get("admin-token"), "POST", body);
        return field(created, "key", what);
    }

    /** Creates an endpoint; answers its id. */
    private String endpoint(String api, String key, String url) throws Exception {
        String created = send(noisyHttp, api + "/v1/endpoints", key, "POST", "{\"url\":\"" + url + "\",\"description\":\"isolation benchmark\"}");
        return field(created, "id", url);
    }

    private void delete(String url, String key) throws Exception {
        send(noisyHttp, url, key, "DELETE", null);
    }

    private static String field(String json, String name, String what) {
        Matcher value = Pattern.compile("\"" + name + "\":\"([^\"]+)\"").matcher(json);
        if (!value.find()) {
            throw new IllegalStateException("no " + name + " for " + what + " in " + json);
        }
        return value.group(1);
    }

    private static String send(HttpClient http, String url, String bearer, String method, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + bearer);
        if (body != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        // A set-up call can meet a 503 (e.g. "API keys cannot be checked right now" while a cold api
        // on a busy machine waits for PostgreSQL) or a 429: try again, as a client should.
        for (int attempt = 1; attempt < 10 && (response.statusCode() == 503 || response.statusCode() == 429); attempt++) {
            long retryAfter = response.headers().firstValueAsLong("Retry-After").orElse(1);
            Thread.sleep(Math.min(5, Math.max(1, retryAfter)) * 1000);
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + url + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /** Waits until the stream holds little more than the quiet organization's own entries; answers its length then. */
    private long waitForStream(String prefix, Duration timeout) throws InterruptedException {
        long threshold = drainThreshold();
        long giveUp = System.nanoTime() + timeout.toNanos();
        long length = xlen(prefix);
        while (length > threshold && System.nanoTime() < giveUp) {
            Thread.sleep(500);
            length = xlen(prefix);
        }
        return length;
    }

    /** The quiet organization's own share of the stream: a second of events plus its 500-first events waiting for their retry. */
    private long drainThreshold() {
        return 2L * quietRate + (quietFailEvery > 0 ? 6L * quietRate / quietFailEvery : 0) + 20;
    }

    /** Deliveries queued in Redis (every endpoint's outstanding entries), all shards. */
    private long xlen(String prefix) {
        return sumOver(prefix + ":{" + prefix + ".*}:queued:*", "HLEN");
    }

    /** Deliveries handed out and not acknowledged: leased (in flight) or waiting for a retry. */
    private long xpending(String prefix) {
        long leased = sumOver(prefix + ":{" + prefix + ".*}:lease:*", "ZCARD");
        long due = sumOver(prefix + ":{" + prefix + ".*}:due:*", "ZCARD");
        return leased < 0 || due < 0 ? -1 : leased + due;
    }

    /** {@code command key} added up over the keys matching {@code pattern}; -1 when Redis cannot be asked. */
    private long sumOver(String pattern, String command) {
        String cli = "redis-cli -h " + redisHost() + " -p " + redisPort();
        try {
            String out = exec(List.of("sh", "-c", cli + " --scan --pattern '" + pattern + "' | xargs -r -n 1 " + cli + " " + command
                    + " | awk '{ s += $1 } END { print s + 0 }'"));
            return Long.parseLong(out.trim());
        } catch (Exception e) {
            return -1;
        }
    }

    private String pgHost() {
        return args.getOrDefault("pg-host", "localhost");
    }

    private String redisHost() {
        return args.getOrDefault("redis-host", "127.0.0.1");
    }

    private String redisPort() {
        return args.getOrDefault("redis-port", "6379");
    }

    private void psql(String database, String sql) throws Exception {
        psqlOut(database, sql);
    }

    private String psqlOut(String database, String sql) throws Exception {
        return exec(List.of("psql", "-h", pgHost(), "-p", args.getOrDefault("pg-port", "5432"), "-U", args.getOrDefault("pg-user", "postgres"),
                "-w", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql));
    }

    private List<String> extra(String name) {
        String value = args.getOrDefault(name, "").trim();
        return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
    }

    private static List<String> join(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private static String batchBody(int size, String type) {
        StringBuilder body = new StringBuilder("{\"events\":[");
        for (int i = 0; i < size; i++) {
            body.append(i == 0 ? "" : ",").append("{\"event_type\":\"").append(type).append("\",\"source\":\"isolation\",\"payload\":{\"n\":")
                    .append(i).append("}}");
        }
        return body.append("]}").toString();
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }

    private static Duration duration(String text) {
        Matcher m = Pattern.compile("([0-9]+)(ms|s|m|h|d)").matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("retry-schedule: cannot read " + text + " (write 5s, 2m, 1h…)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    private static String exec(List<String> command) throws Exception {
        return ProcessCpu.exec(command);
    }

    private static ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + n.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        new java.security.SecureRandom().nextBytes(bytes);
        return bytes;
    }

    private static int freePort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // Try another.
            }
        }
        throw new IOException("no free port between 20000 and 32000");
    }

    private static Map<String, Object> machine() throws IOException {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("cpu", Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown"));
        machine.put("java", System.getProperty("java.version"));
        return machine;
    }

    private static void say(String what) {
        System.out.printf("[%tT] %s%n", System.currentTimeMillis(), what);
        System.out.flush();
    }

    /**
     * p50, p99 and max (ms) of samples {nanos, censored}: a censored sample did not finish by the end
     * of the case and counts as that long; a figure that lands on one is a lower bound ("..._lower_bound": true).
     */
    private static Map<String, Object> stats(List<long[]> samples) {
        samples.sort(Comparator.comparingLong(s -> s[0]));
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("count", samples.size());
        for (int p : new int[] {50, 99, 100}) {
            String name = p == 100 ? "max" : "p" + p;
            if (samples.isEmpty()) {
                stats.put(name, null);
                continue;
            }
            int index = (int) Math.min(samples.size() - 1, Math.max(0, Math.ceil(p / 100.0 * samples.size()) - 1));
            long[] sample = samples.get(index);
            stats.put(name, round(sample[0] / 1e6));
            if (sample[1] == 1) {
                stats.put(name + "_lower_bound", true);
            }
        }
        return stats;
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    // ---- report --------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private void report(Map<String, Object> results, Map<String, Object> cases) throws IOException {
        Map<String, Object> alone = (Map<String, Object>) cases.get("alone");
        Map<String, Object> aloneLatency = alone == null || alone.get("quiet") == null ? null
                : (Map<String, Object>) ((Map<String, Object>) alone.get("quiet")).get("latency_ms");
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "%n%-32s %-30s %-13s %-8s %-24s %-11s %s%n", "case", "quiet latency ms p50/p99/max",
                "x alone p50/p99", "late", "retry beyond step p50/max", "noisy /s", "CPU s api/worker/pg/redis/bench/other"));
        for (Map.Entry<String, Object> entry : cases.entrySet()) {
            Map<String, Object> c = (Map<String, Object>) entry.getValue();
            if (c.containsKey("error")) {
                table.append(String.format(Locale.ROOT, "%-32s failed: %s%n", c.get("title"), c.get("error")));
                continue;
            }
            Map<String, Object> quiet = (Map<String, Object>) c.get("quiet");
            Map<String, Object> latency = (Map<String, Object>) quiet.get("latency_ms");
            Map<String, Object> retries = (Map<String, Object>) quiet.get("retries");
            Map<String, Object> beyond = (Map<String, Object>) retries.get("delay_beyond_step_ms");
            Map<String, Object> ratios = new LinkedHashMap<>();
            if (aloneLatency != null) {
                ratios.put("p50", ratio(latency.get("p50"), aloneLatency.get("p50")));
                ratios.put("p99", ratio(latency.get("p99"), aloneLatency.get("p99")));
                c.put("quiet_ratio_to_alone", ratios);
            }
            Map<String, Object> noisy = (Map<String, Object>) c.get("noisy");
            Map<String, Object> cpu = (Map<String, Object>) c.get("cpu_seconds");
            String cpuText = String.join("/", List.of("api", "worker", "postgres", "redis", "bench", "other").stream()
                    .map(k -> cpu.get(k) == null ? "-" : String.format(Locale.ROOT, "%.1f", (Double) cpu.get(k))).toList());
            table.append(String.format(Locale.ROOT, "%-32s %-30s %-13s %-8s %-24s %-11s %s%n", c.get("title"),
                    ms(latency, "p50") + " / " + ms(latency, "p99") + " / " + ms(latency, "max"),
                    ratios.isEmpty() ? "-" : ratios.get("p50") + " / " + ratios.get("p99"),
                    quiet.get("not_arrived_by_case_end") + "/" + quiet.get("sent"),
                    seconds(beyond, "p50") + " / " + seconds(beyond, "max"),
                    noisy == null ? "-" : String.valueOf(noisy.get("arrivals_per_second")), cpuText));
        }
        table.append("\nlate: quiet events sent in the window whose webhook had not arrived when the case ended (")
                .append(graceSeconds).append(" s of grace after the window); \">=\" marks a figure that is a lower bound because of them.\n");
        table.append("retry beyond step: quiet events answered 500 on their first attempt (every ").append(quietFailEvery)
                .append("th): retry arrival - first arrival - ").append(retrySchedule.get(0).toSeconds())
                .append(" s (the schedule allows -20 %..+20 %).\n");
        for (Map.Entry<String, Object> entry : cases.entrySet()) {
            Map<String, Object> c = (Map<String, Object>) entry.getValue();
            Map<String, Object> noisy = (Map<String, Object>) c.get("noisy");
            if (noisy == null) {
                continue;
            }
            Map<String, Object> ingest = (Map<String, Object>) noisy.get("ingest");
            Map<String, Object> attempts = (Map<String, Object>) noisy.get("attempts");
            table.append(String.format(Locale.ROOT, "%n%s: noisy %s; %s of %s events ingested in %s s; %s arrivals in the window (%s/s), %s distinct events by the end%s%n",
                    c.get("title"), noisy.get("receiver"), ingest.get("accepted"), noisy.get("events"), ingest.get("seconds"),
                    noisy.get("arrivals_in_window"), noisy.get("arrivals_per_second"), noisy.get("distinct_events_arrived"),
                    noisy.containsKey("all_arrived_seconds_after_window_start")
                            ? "; all arrived " + noisy.get("all_arrived_seconds_after_window_start") + " s after the window began" : ""));
            table.append(String.format(Locale.ROOT, "  attempts per noisy event: max %s, events by attempts %s, over the schedule at case end: %s, shortest gap before each retry: %s%n",
                    attempts.get("max_attempts_per_event"), toJson(attempts.get("events_by_attempts")), attempts.get("events_over_schedule_at_case_end"),
                    gapText((List<Object>) attempts.get("min_gap_before_retry"))));
            table.append(String.format(Locale.ROOT, "  queue: %s deliveries queued at window start, %s at its end (%s pending: leased or waiting for a retry)%n",
                    c.get("queued_at_start"), c.get("queued_at_end"), c.get("pending_at_end")));
        }
        for (Map.Entry<String, Object> entry : cases.entrySet()) {
            Map<String, Object> c = (Map<String, Object>) entry.getValue();
            Map<String, Object> logs = (Map<String, Object>) c.get("logs");
            if (logs == null) {
                continue;
            }
            Map<String, Object> api = (Map<String, Object>) logs.get("api");
            Map<String, Object> worker = (Map<String, Object>) logs.get("worker");
            Map<String, Object> quiet = (Map<String, Object>) c.get("quiet");
            Map<String, Object> answers = (Map<String, Object>) quiet.get("ingest_answer_ms");
            table.append(String.format(Locale.ROOT, "%n%s: quiet sent %s in the window (%s/s; %s sends skipped behind schedule), %s rejected,"
                            + " ingest answered p50 %s / p99 %s ms; logged warnings/errors: api %s/%s, worker %s/%s", c.get("title"),
                    quiet.get("sent"), quiet.get("sent_per_second"), quiet.get("sends_skipped_behind_schedule_in_case"), quiet.get("rejected"),
                    ms(answers, "p50"), ms(answers, "p99"), api.get("warnings"), api.get("errors"), worker.get("warnings"), worker.get("errors")));
            if (Boolean.TRUE.equals(worker.get("database_gate_left_closed"))) {
                table.append("\n  !! the worker paused all delivery (\"PostgreSQL is failing\") and had not resumed when the case ended:"
                        + " this case's figures measure a stalled worker (" + worker.get("file") + ")");
            }
        }
        table.append("\n\ncases: ").append(results.get("case_independence")).append(".\n");
        System.out.print(table);
        String file = "isolation-" + Instant.now().toString().replace(":", "").replaceAll("\\..*", "") + ".json";
        Path out = Path.of(args.getOrDefault("results", "bench/results")).resolve(file);
        Files.createDirectories(out.getParent());
        Files.writeString(out, toJson(results) + "\n");
        System.out.println("results: " + out);
    }

    @SuppressWarnings("unchecked")
    private static String gapText(List<Object> gaps) {
        if (gaps.isEmpty()) {
            return "none (no event retried)";
        }
        List<String> parts = new ArrayList<>();
        for (Object g : gaps) {
            Map<String, Object> gap = (Map<String, Object>) g;
            parts.add(String.format(Locale.ROOT, "retry %s %.2f s (step %s s, %s below 80 %%)", gap.get("retry"),
                    ((Double) gap.get("min_gap_ms")) / 1000, ((Number) gap.get("step_ms")).longValue() / 1000.0, gap.get("gaps_below_80_percent_of_step")));
        }
        return String.join(", ", parts);
    }

    private static Object ratio(Object value, Object alone) {
        if (value instanceof Number v && alone instanceof Number a && a.doubleValue() > 0) {
            return round(v.doubleValue() / a.doubleValue());
        }
        return null;
    }

    private static String ms(Map<String, Object> stats, String name) {
        Object value = stats.get(name);
        if (value == null) {
            return "-";
        }
        String text = String.format(Locale.ROOT, "%.0f", ((Number) value).doubleValue());
        return Boolean.TRUE.equals(stats.get(name + "_lower_bound")) ? ">=" + text : text;
    }

    private static String seconds(Map<String, Object> stats, String name) {
        Object value = stats.get(name);
        if (value == null) {
            return "-";
        }
        String text = String.format(Locale.ROOT, "%+.2f s", ((Number) value).doubleValue() / 1000);
        return Boolean.TRUE.equals(stats.get(name + "_lower_bound")) ? ">=" + text : text;
    }

    private static String toJson(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Map<?, ?> map) {
            List<String> fields = new ArrayList<>();
            map.forEach((k, v) -> fields.add("\"" + k + "\":" + toJson(v)));
            return "{" + String.join(",", fields) + "}";
        }
        if (value instanceof List<?> list) {
            List<String> items = new ArrayList<>();
            list.forEach(v -> items.add(toJson(v)));
            return "[" + String.join(",", items) + "]";
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        return "\"" + String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
