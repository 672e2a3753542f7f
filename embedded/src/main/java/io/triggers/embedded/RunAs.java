package io.triggers.embedded;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Who the embedded PostgreSQL runs as. PostgreSQL refuses to run as root, and CI machines and many
 * containers run everything as root; then its commands run as an unprivileged account instead
 * ({@code runuser -u <account> --}), and its data directory is given to that account. The account is
 * {@code TRIGGERS_EMBEDDED_USER} if set, else {@code postgres} if it exists, else {@code nobody}.
 * Anyone else runs it as themselves.
 */
final class RunAs {

    private static final Duration QUICK = Duration.ofSeconds(30);

    /** The account to switch to, or empty to run as the current user. */
    private final Optional<String> account;

    private RunAs(Optional<String> account) {
        this.account = account;
    }

    static RunAs forThisProcess() {
        if (!isRoot()) {
            return new RunAs(Optional.empty());
        }
        if (!Commands.onPath("runuser")) {
            throw new IllegalStateException("""
                    This process runs as root, which PostgreSQL refuses, and runuser (util-linux) is not installed to run
                    it as another account. Run as an ordinary user, or install util-linux.""");
        }
        String configured = System.getenv("TRIGGERS_EMBEDDED_USER");
        List<String> candidates = configured != null && !configured.isBlank() ? List.of(configured) : List.of("postgres", "nobody");
        for (String candidate : candidates) {
            Commands.Result id = Commands.run(List.of("id", "-u", candidate), QUICK);
            if (id.succeeded() && !"0".equals(id.output().strip())) {
                return new RunAs(Optional.of(candidate));
            }
        }
        throw new IllegalStateException("This process runs as root, which PostgreSQL refuses, and none of the accounts "
                + candidates + " exists (or each is root) to run it as; set TRIGGERS_EMBEDDED_USER to an unprivileged account.");
    }

    static boolean isRoot() {
        try {
            return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
        } catch (RuntimeException | LinkageError notUnix) {
            return false;
        }
    }

    /** The account commands run as, when it is not this process's own. */
    Optional<String> account() {
        return account;
    }

    /** {@code command}, run as the account. */
    List<String> command(List<String> command) {
        if (account.isEmpty()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", account.get(), "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Gives {@code directory} (and everything in it) to the account. */
    void own(Path directory) {
        account.ifPresent(name -> Commands.check(List.of("chown", "-R", name + ":", directory.toString()), QUICK));
    }

    /** Whether the account can reach (search) {@code directory}: every directory above it must let it through. */
    boolean canReach(Path directory) {
        return account.isEmpty() || Commands.run(command(List.of("test", "-x", directory.toString())), QUICK).succeeded();
    }
}
