package dev.esactors.actors.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.esactors.core.torch.DeviceMemory;
import dev.esactors.train.config.RunConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One JVM's metrics: a Prometheus registry whose every series carries the run id and the node, the JVM and
 * process metrics, and (when enabled) an HTTP endpoint serving {@code /metrics} for Prometheus and
 * {@code /healthz} for probes. The Coordinator and the Evaluators of this node register their meters on it.
 */
public final class NodeMetrics implements AutoCloseable {

    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /**
     * Requests served at once, at most: each waits on its client while it writes the answer, so a few clients that
     * never read theirs once held a pool of 4 and the liveness probe, queued behind them, was cut off (sometimes).
     * Threads are made as requests come, up to this many, and end when idle; beyond it a request is dropped.
     */
    private static final int MAX_THREADS = 64;

    static {
        // The JDK's HTTP server reads these once per JVM, when its first server is made: a client that sends half a
        // request (or reads its answer too slowly) is cut off after this many seconds instead of holding a thread.
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "5"));
        System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "30"));
    }

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final HttpServer server;
    private final ExecutorService executor;

    private NodeMetrics(PrometheusMeterRegistry registry, JvmGcMetrics gc, HttpServer server,
                        ExecutorService executor) {
        this.registry = registry;
        this.gc = gc;
        this.server = server;
        this.executor = executor;
    }

    /**
     * Creates the registry and starts the endpoint if {@code config} enables it.
     *
     * @throws IllegalArgumentException if the endpoint cannot bind (port in use, unknown host), naming the address
     */
    public static NodeMetrics start(RunConfig.Metrics config, String runId, String node) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags(Tags.of("run", runId, "node", node));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        // LibTorch's tensors live outside the Java heap: the resident set is the figure that says how full a node is.
        Gauge.builder("es_process_resident_memory_bytes", DeviceMemory::residentBytes)
                .description("resident set size of this process (Java heap, LibTorch tensors, native libraries)")
                .baseUnit("bytes").register(registry);
        if (!config.enabled()) {
            return new NodeMetrics(registry, gc, null, null);
        }
        ExecutorService executor = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "es-metrics-http");
                    t.setDaemon(true);
                    return t;
                }, (request, pool) -> { }); // dropped: the server's request timeout closes its connection
        try {
            return new NodeMetrics(registry, gc, serve(registry, config.host(), config.port(), executor), executor);
        } catch (RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
    }

    private static HttpServer serve(PrometheusMeterRegistry registry, String host, int port,
                                    ExecutorService executor) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new IllegalArgumentException("metrics: cannot listen on " + host + ":" + port + " (" + e
                    + "); set metrics.port to a free port, 0 for any, or metrics.enabled = false", e);
        }
        server.createContext("/metrics", exchange -> respond(exchange, 200, CONTENT_TYPE, registry::scrape));
        server.createContext("/healthz", exchange -> respond(exchange, 200, "text/plain", () -> "ok\n"));
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain", () -> "see /metrics\n"));
        server.setExecutor(executor);
        server.start();
        return server;
    }

    /**
     * Answers GET with {@code body} (made only then), HEAD with the headers alone, and any other method with 405:
     * the endpoints are read-only, and a POST or DELETE that got 200 would look as if it had done something.
     */
    private static void respond(HttpExchange exchange, int status, String contentType,
                                java.util.function.Supplier<String> body) throws IOException {
        String method = exchange.getRequestMethod();
        boolean known = method.equals("GET") || method.equals("HEAD");
        byte[] bytes = (known ? body.get() : "method not allowed: GET or HEAD\n").getBytes(StandardCharsets.UTF_8);
        if (!known) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        }
        exchange.getResponseHeaders().set("Content-Type", known ? contentType : "text/plain");
        boolean head = method.equals("HEAD");
        exchange.sendResponseHeaders(known ? status : 405, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The current exposition text (what {@code /metrics} serves). */
    public String scrape() {
        return registry.scrape();
    }

    /** The endpoint's {@code /metrics} address, when it is running. */
    public Optional<URI> endpoint() {
        if (server == null) {
            return Optional.empty();
        }
        InetSocketAddress address = server.getAddress();
        String host = address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getHostString();
        return Optional.of(URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
                + address.getPort() + "/metrics"));
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
        gc.close();
        registry.close();
    }
}
