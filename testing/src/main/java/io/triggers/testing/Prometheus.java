package io.triggers.testing;

/** Reading one sample out of a {@code /actuator/prometheus} page. */
public final class Prometheus {

    private Prometheus() {
    }

    /** The value of the sample line {@code nameAndLabels} (as Prometheus prints it), or -1 when absent. */
    public static double sample(String page, String nameAndLabels) {
        return page.lines().filter(line -> line.startsWith(nameAndLabels + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(-1);
    }
}
