package io.triggers.worker.storage;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import io.triggers.worker.WorkerProperties;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;

/**
 * The connections of the three statements every delivery makes (what is owed, the outcome, the
 * event's status): a small pool of their own, whose sessions plan each statement once and reuse
 * the plan. Planning each execution with its values (the rule of every other session, {@code
 * plan_cache_mode=force_custom_plan}) was 42 % of the PostgreSQL time these statements took
 * (issue 17). What made a reused plan unsafe elsewhere is a plan chosen for a tiny table that scans
 * whole tables once one has grown; these sessions cannot choose one: sequential scans, hash and
 * merge joins are off, so every join is a nested loop over a primary key, which is right for these
 * statements at any size (each is driven by the few ids it is given).
 *
 * <p>Not a {@code ConnectionFactory} or {@code DatabaseClient} bean: Spring Boot would then not make
 * the application's own.
 */
@Component
public final class DeliveryStatements implements DisposableBean {

    /** The session settings that make a reused plan safe for these statements, over the application's own. */
    static final Map<String, String> SESSION = Map.of(
            "plan_cache_mode", "force_generic_plan",
            "enable_seqscan", "off",
            "enable_hashjoin", "off",
            "enable_mergejoin", "off");

    private static final Option<Object> OPTIONS = Option.valueOf("options");

    private final ConnectionPool pool;
    private final DatabaseClient client;

    DeliveryStatements(R2dbcProperties r2dbc, WorkerProperties worker) {
        ConnectionFactoryOptions.Builder options = ConnectionFactoryOptions.parse(r2dbc.getUrl()).mutate();
        if (r2dbc.getUsername() != null) {
            options.option(ConnectionFactoryOptions.USER, r2dbc.getUsername());
        }
        if (r2dbc.getPassword() != null) {
            options.option(ConnectionFactoryOptions.PASSWORD, r2dbc.getPassword());
        }
        Map<String, String> session = new LinkedHashMap<>();
        r2dbc.getProperties().forEach((key, value) -> {
            if (key.equals("options")) {
                session.putAll(parse(value));
            } else {
                options.option(Option.valueOf(key), value);
            }
        });
        session.putAll(SESSION);
        options.option(OPTIONS, session);
        R2dbcProperties.Pool limits = r2dbc.getPool();
        // One connection per kind of statement and per statement at once, and one to spare.
        int size = 3 * worker.statementsAtOnce() + 1;
        ConnectionPoolConfiguration.Builder configuration = ConnectionPoolConfiguration.builder(ConnectionFactories.get(options.build()))
                .name("triggers-delivery-statements")
                .initialSize(1)
                .maxSize(size)
                .maxIdleTime(limits.getMaxIdleTime());
        if (limits.getMaxAcquireTime() != null) {
            configuration.maxAcquireTime(limits.getMaxAcquireTime());
        }
        if (limits.getMaxCreateConnectionTime() != null) {
            configuration.maxCreateConnectionTime(limits.getMaxCreateConnectionTime());
        }
        if (limits.getValidationQuery() != null) {
            configuration.validationQuery(limits.getValidationQuery());
        }
        this.pool = new ConnectionPool(configuration.build());
        this.client = DatabaseClient.create(pool);
    }

    /** The client of these statements. */
    public DatabaseClient client() {
        return client;
    }

    /** {@code key=value;key=value} as the driver reads its {@code options}. */
    static Map<String, String> parse(String options) {
        Map<String, String> parsed = new LinkedHashMap<>();
        for (String pair : options.split(";")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                parsed.put(pair.substring(0, equals).trim(), pair.substring(equals + 1).trim());
            }
        }
        return parsed;
    }

    @Override
    public void destroy() {
        pool.dispose();
    }
}
