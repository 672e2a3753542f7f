package io.triggers.shared;

/** The running build's version, as {@code User-Agent} and {@code /v1/health} show it. */
public final class Version {

    private static final String VERSION = resolve();

    private Version() {
    }

    /** The jar's Implementation-Version, or {@code dev} when running from classes. */
    public static String current() {
        return VERSION;
    }

    private static String resolve() {
        String version = Version.class.getPackage().getImplementationVersion();
        return version == null || version.isBlank() ? "dev" : version;
    }
}
