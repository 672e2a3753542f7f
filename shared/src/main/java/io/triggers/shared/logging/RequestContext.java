package io.triggers.shared.logging;

import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ThreadLocalAccessor;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.MDC;
import reactor.util.context.Context;

/**
 * The request id in log lines. Neither app propagates Reactor's context into thread locals
 * automatically (it cost ~10 % of the api's CPU per request, issue 17): code that logs about one
 * request puts its id in the MDC around the call ({@link #logging}), so the line has a
 * {@code request_id} field (JSON logs) or can print it ({@code %X{request_id}}). The api takes the
 * id from the exchange or the events it stores, the worker from the queued delivery.
 * {@link #of} and the accessor registered here serve code that opts into propagation with
 * {@code contextCapture()}.
 */
public final class RequestContext {

    public static final String KEY = "request_id";

    /** The key of Micrometer's {@code ObservationThreadLocalAccessor}. */
    private static final String OBSERVATION_KEY = "micrometer.observation";

    static {
        // Only request_id is propagated. Micrometer's observation accessor (registered by the
        // library itself) would be restored on every Reactor signal as well; it serves tracing through
        // observations, which Triggers does not use (its spans are opened explicitly: Traces), and
        // cost the api a measurable share of its CPU per request.
        ContextRegistry.getInstance().removeThreadLocalAccessor(OBSERVATION_KEY);
        ContextRegistry.getInstance().registerThreadLocalAccessor(new ThreadLocalAccessor<String>() {
            @Override
            public Object key() {
                return KEY;
            }

            @Override
            public String getValue() {
                return MDC.get(KEY);
            }

            @Override
            public void setValue(String value) {
                MDC.put(KEY, value);
            }

            @Override
            public void setValue() {
                MDC.remove(KEY);
            }
        });
    }

    private RequestContext() {
    }

    /** While open, log lines of this thread carry {@code request_id}. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Puts the request id in the MDC until the returned scope is closed: for code that logs about
     * one request without automatic context propagation (the worker, whose hot path would pay for
     * propagation on every Reactor signal).
     */
    public static Scope logging(String requestId) {
        if (requestId == null) {
            return () -> { };
        }
        String previous = MDC.get(KEY);
        MDC.put(KEY, requestId);
        return () -> {
            if (previous == null) {
                MDC.remove(KEY);
            } else {
                MDC.put(KEY, previous);
            }
        };
    }

    /** A Reactor context holding the request id (registering the MDC accessor on first use). */
    public static Context of(String requestId) {
        return requestId == null ? Context.empty() : Context.of(KEY, requestId);
    }

    /**
     * Default settings that turn on JSON logs ({@code logging.structured.format.console=logstash}:
     * one JSON object per line, MDC fields such as {@code request_id} at the top level) when
     * {@code logFormat} (the {@code LOG_FORMAT} environment variable) is {@code json}; readable text
     * otherwise.
     */
    public static Map<String, Object> loggingDefaults(String logFormat) {
        Map<String, Object> defaults = new HashMap<>();
        if ("json".equalsIgnoreCase(logFormat == null ? "" : logFormat.trim())) {
            defaults.put("logging.structured.format.console", "logstash");
        }
        return defaults;
    }
}
