import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CPU time of named processes, read from /proc (Linux), for the benchmarks: take a {@link #snapshot()}
 * before and after a window and {@link #seconds} gives each one's CPU-seconds in it. Meters:
 * one process (utime + stime of all its threads), a PostgreSQL instance (the postmaster and every
 * backend, exited ones included), this JVM itself, the children this JVM waited for (wrk, psql…:
 * their time lands in its cutime/cstime once reaped), and the whole machine's busy time.
 */
final class ProcessCpu {

    /** Clock ticks per second (USER_HZ; 100 on Linux unless getconf says otherwise). */
    static final long CLOCK_TICKS = clockTicks();

    private final Map<String, LongSupplier> meters = new LinkedHashMap<>();

    /** Meters a process by pid (-1 when gone). */
    ProcessCpu process(String name, long pid) {
        meters.put(name, () -> processTicks(pid));
        return this;
    }

    /** Meters a whole PostgreSQL instance, given its postmaster's pid ({@link #postmasterOf}). */
    ProcessCpu postgres(String name, long postmasterPid) {
        meters.put(name, () -> postgresTicks(postmasterPid));
        return this;
    }

    /** Meters this JVM (its own threads). */
    ProcessCpu self(String name) {
        long pid = ProcessHandle.current().pid();
        meters.put(name, () -> processTicks(pid));
        return this;
    }

    /** Meters the children this JVM has waited for (their CPU time, counted once they exit). */
    ProcessCpu reapedChildren(String name) {
        long pid = ProcessHandle.current().pid();
        meters.put(name, () -> {
            try {
                long[] fields = statFields(pid);
                return fields[13] + fields[14];
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        });
        return this;
    }

    /** Ticks used so far by every meter, plus {@code machine} (all CPUs' busy ticks). */
    Map<String, Long> snapshot() {
        Map<String, Long> ticks = new LinkedHashMap<>();
        meters.forEach((name, meter) -> ticks.put(name, meter.getAsLong()));
        ticks.put("machine", machineBusyTicks());
        return ticks;
    }

    /**
     * CPU-seconds per meter between two snapshots (null where a meter could not be read), plus
     * {@code other}: the machine's busy time no meter accounts for (someone compiling beside the run).
     */
    static Map<String, Object> seconds(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Object> cpu = new LinkedHashMap<>();
        double known = 0;
        for (String name : before.keySet()) {
            long b = before.get(name);
            Long a = after.get(name);
            if (b < 0 || a == null || a < 0) {
                cpu.put(name, null);
                continue;
            }
            double used = (double) (a - b) / CLOCK_TICKS;
            cpu.put(name, round(used));
            if (!name.equals("machine")) {
                known += used;
            }
        }
        if (cpu.get("machine") instanceof Double machine) {
            cpu.put("other", round(Math.max(0, machine - known)));
        }
        return cpu;
    }

    /** Microseconds of CPU per unit of work (event, request, webhook) for each meter of {@link #seconds}. */
    static Map<String, Object> microsPer(Map<String, Object> seconds, long units) {
        Map<String, Object> per = new LinkedHashMap<>();
        seconds.forEach((name, value) -> per.put(name, value instanceof Double used && units > 0 ? round(used * 1e6 / units) : null));
        return per;
    }

    /** One line: each meter's µs per unit. */
    static String describe(Map<String, Object> microsPer) {
        StringBuilder line = new StringBuilder();
        microsPer.forEach((name, value) -> line.append(line.length() == 0 ? "" : ", ").append(name).append(' ')
                .append(value == null ? "-" : String.format(Locale.ROOT, "%.0f", (Double) value)));
        return line.append(" µs").toString();
    }

    /**
     * The postmaster of the PostgreSQL instance at {@code host:port} (the parent of its checkpointer,
     * asked with psql); -1 when it does not run on this machine or cannot be asked.
     */
    static long postgresPostmaster(String host, String port, String user, String database) {
        try {
            String checkpointer = exec(List.of("psql", "-h", host, "-p", port, "-U", user, "-w", "-qtA", "-d", database,
                    "-c", "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")).trim();
            return postmasterOf(Long.parseLong(checkpointer));
        } catch (Exception notHere) {
            return -1;
        }
    }

    /** The Redis server at {@code host:port} (its INFO's process_id, if that process is Redis here); -1 otherwise. */
    static long redisServer(String host, String port) {
        try {
            Matcher pid = Pattern.compile("process_id:([0-9]+)").matcher(exec(List.of("redis-cli", "-h", host, "-p", port, "INFO", "server")));
            if (pid.find() && Files.readString(Path.of("/proc/" + pid.group(1) + "/comm")).trim().startsWith("redis")) {
                return Long.parseLong(pid.group(1));
            }
        } catch (Exception notHere) {
            // not visible
        }
        return -1;
    }

    /** Runs a command and returns its output (stdout and stderr); fails when it exits non-zero. */
    static String exec(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

    /** The postmaster of the PostgreSQL instance a backend (by pid) belongs to; -1 when not visible here. */
    static long postmasterOf(long backendPid) {
        try {
            long parent = statFields(backendPid)[1];
            return Files.readString(Path.of("/proc/" + parent + "/comm")).trim().startsWith("postgres") ? parent : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** utime + stime of a process (all its threads), or -1 when it is gone. */
    static long processTicks(long pid) {
        if (pid < 0) {
            return -1;
        }
        try {
            long[] fields = statFields(pid);
            return fields[11] + fields[12];
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }

    /**
     * The postmaster's own and its reaped children's time (utime, stime, cutime, cstime) plus the
     * live children's utime and stime: a backend that exits during the window moves its whole time
     * into the postmaster's cutime/cstime, so the difference still counts only what the window used.
     */
    static long postgresTicks(long postmasterPid) {
        if (postmasterPid < 0) {
            return -1;
        }
        try {
            long[] postmaster = statFields(postmasterPid);
            long total = postmaster[11] + postmaster[12] + postmaster[13] + postmaster[14];
            try (var entries = Files.list(Path.of("/proc"))) {
                for (Path entry : (Iterable<Path>) entries::iterator) {
                    String name = entry.getFileName().toString();
                    if (!name.chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    try {
                        long[] fields = statFields(Long.parseLong(name));
                        if (fields[1] == postmasterPid) {
                            total += fields[11] + fields[12];
                        }
                    } catch (IOException | RuntimeException gone) {
                        // Exited while listing.
                    }
                }
            }
            return total;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The fields of /proc/pid/stat after the command name: [0] state, [1] ppid, ..., [11] utime, [12] stime, [13] cutime, [14] cstime. */
    static long[] statFields(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] parts = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        long[] fields = new long[15];
        for (int i = 1; i < fields.length; i++) {
            fields[i] = Long.parseLong(parts[i]);
        }
        return fields;
    }

    private static long machineBusyTicks() {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            // user nice system idle iowait irq softirq steal
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                busy += Long.parseLong(cpu[i]);
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long clockTicks() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes()).trim();
            getconf.waitFor();
            return Long.parseLong(out);
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
