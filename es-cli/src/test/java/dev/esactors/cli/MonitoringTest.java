package dev.esactors.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.esactors.core.es.update.Update;
import dev.esactors.core.es.update.UpdateJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Monitoring end to end: a real Prometheus server (Debian's package) scrapes a short ES run's /metrics endpoint,
 * and the run's iteration and reward series are read back through Prometheus' HTTP API and compared with the
 * run's own journal. The Grafana dashboard is checked against a live scrape of the same run.
 * <p>
 * Without a {@code prometheus} binary the Prometheus test is skipped, unless ES_REQUIRE_PROMETHEUS=1 (set by
 * .ci/run, which installs the package), where it fails.
 */
class MonitoringTest {

    private static final String RUN_ID = "monitoring-test";
    private static final int ITERATIONS = 10;
    private static final Path DASHBOARD = Path.of("k8s/es-actors/dashboards/es-actors.json");
    private static final Path SCRAPE_CONFIG = Path.of("k8s/monitoring/prometheus-local.yml");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Process prometheus;
    private static String prometheusUrl;
    private static Cli.Result run;
    private static Path runDir;
    private static volatile String lastScrape;
    private static volatile boolean healthy;
    private static long startSeconds;
    private static long endSeconds;

    @BeforeAll
    static void runWithPrometheus() throws Exception {
        Path work = Files.createTempDirectory("es-monitoring");
        runDir = work.resolve("run");
        int metricsPort = freePort();
        prometheus = startPrometheus(work, metricsPort);
        Path config = Files.writeString(work.resolve("r.conf"), """
                run.id = "%s"
                task { batch = 8, max-new-tokens = 12, options { word = "the" } }
                es { population = 6 }
                checkpoint.every = 4
                """.formatted(RUN_ID));
        // Scrape the endpoint ourselves too while the run goes on: the last scrape (during the linger) holds the
        // final values and every metric name the run exports.
        Thread scraper = new Thread(() -> {
            URI metrics = URI.create("http://127.0.0.1:" + metricsPort + "/metrics");
            URI health = URI.create("http://127.0.0.1:" + metricsPort + "/healthz");
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    lastScrape = get(metrics);
                    healthy |= get(health).equals("ok\n");
                } catch (IOException e) {
                    // not up yet, or already gone
                } catch (InterruptedException e) {
                    return;
                }
                sleep(250);
            }
        }, "test-scraper");
        scraper.setDaemon(true);
        scraper.start();
        startSeconds = System.currentTimeMillis() / 1000 - 5;
        run = Cli.run("run", "--config", config.toString(), "--run-dir", runDir.toString(),
                "--iterations", String.valueOf(ITERATIONS), "--set", "metrics.port=" + metricsPort,
                "--set", "metrics.linger=6s");
        endSeconds = System.currentTimeMillis() / 1000 + 5;
        scraper.interrupt();
        scraper.join();
        assertEquals(0, run.code(), run.out() + run.err());
    }

    @AfterAll
    static void stopPrometheus() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor();
        }
    }

    @Test
    void theEndpointServesTheRunsFinalValues() throws IOException {
        assertTrue(run.out().contains("metrics at http://127.0.0.1:"), run.out());
        assertTrue(healthy, "/healthz answered ok");
        String scrape = lastScrape;
        assertNotNull(scrape, "the endpoint was scraped");
        assertEquals(ITERATIONS, value(scrape, "es_iteration", ""), 0);
        List<Update> updates = journal();
        Update last = updates.get(updates.size() - 1);
        assertEquals(last.meanReward(), value(scrape, "es_reward_mean", "kind=\"raw\""), 1e-12);
        assertEquals(ITERATIONS * 6, value(scrape, "es_members_evaluated_total", ""), 0);
        // 10 iterations x 6 members x 8 prompts x at most 12 tokens, counted by the (only) evaluator
        double tokens = value(scrape, "es_tokens_generated_total", "evaluator=\"local/evaluator-0\"");
        assertTrue(tokens > 0 && tokens <= ITERATIONS * 6 * 8 * 12, "tokens " + tokens);
        assertTrue(value(scrape, "es_update_norm", "") > 0);
        // the signal and forgetting monitors of the last iteration
        assertTrue(value(scrape, "es_rewards_distinct", "") >= 1);
        double drift = value(scrape, "es_weight_drift", "group=\"mlp\"");
        assertTrue(drift > 0 && drift < 1, "the weights moved from the base, a little: " + drift);
        assertTrue(value(scrape, "es_checkpoint_bytes", "") > 1000, "a checkpoint was written and measured");
        assertTrue(value(scrape, "es_device_memory_bytes", "device=\"cpu\"") > 0);
        assertTrue(value(scrape, "es_process_resident_memory_bytes", "") > 0);
        assertTrue(scrape.contains("jvm_memory_used_bytes{"), "JVM metrics are exported");
        assertTrue(scrape.contains("run=\"" + RUN_ID + "\""), "series carry the run id");
    }

    @Test
    void everyMetricTheDashboardQueriesIsExported() throws IOException {
        assertEquals(Set.of("a_total", "b"), PromQl.metricNames(
                "sum by (run) (rate(a_total{x=\"y\",kind=~\"raw|z\"}[1m])) / on (run) b offset 5m > 0.5"));
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Set<String> exported = exportedNames(lastScrape);
        List<String> expressions = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> expressions.add(e.asText()));
        assertTrue(expressions.size() >= 10, "the dashboard has panels with queries");
        Set<String> queried = new TreeSet<>();
        for (String expr : expressions) {
            queried.addAll(PromQl.metricNames(expr));
        }
        assertTrue(queried.contains("es_reward_mean") && queried.contains("es_tokens_generated_total"), queried.toString());
        for (String name : queried) {
            assertTrue(exported.contains(name), "the dashboard queries '" + name + "', which no node exports");
        }
        // and every es_ metric the operations guide lists is exported too
        Matcher documented = Pattern.compile("`(es_[a-z_]+)`").matcher(Files.readString(Path.of("docs/operations.md")));
        int listed = 0;
        while (documented.find()) {
            String name = documented.group(1);
            assertTrue(exported.contains(name) || exported.contains(name + "_count"),
                    "docs/operations.md lists '" + name + "', which no node exports");
            listed++;
        }
        assertTrue(listed >= 20, "the metrics table was found, " + listed + " names");
        // the run variable is filled from a metric that exists too
        String runQuery = dashboard.at("/templating/list/1/definition").asText();
        assertTrue(runQuery.contains("es_iteration"), runQuery);
    }

    @Test
    void prometheusScrapedTheRunsIterationAndRewardSeries() throws Exception {
        boolean required = "1".equals(System.getenv("ES_REQUIRE_PROMETHEUS"));
        if (prometheus == null) {
            if (required) {
                fail("ES_REQUIRE_PROMETHEUS=1 but no prometheus binary was found (apt-get install prometheus)");
            }
            Assumptions.abort("no prometheus binary on this machine; .ci/run installs it");
        }
        List<double[]> iterations = queryRange("es_iteration{run=\"" + RUN_ID + "\"}");
        assertFalse(iterations.isEmpty(), "Prometheus holds the iteration series");
        assertEquals(ITERATIONS, iterations.get(iterations.size() - 1)[1], 0, "the last scraped iteration");
        for (int i = 1; i < iterations.size(); i++) {
            assertTrue(iterations.get(i)[1] >= iterations.get(i - 1)[1], "iterations never go back");
        }
        // Every scraped reward mean is the journal's mean of the iteration scraped at the same time.
        List<Update> updates = journal();
        List<double[]> rewards = queryRange("es_reward_mean{run=\"" + RUN_ID + "\",kind=\"raw\"}");
        int checked = 0;
        for (double[] sample : rewards) {
            double iteration = valueAt(iterations, sample[0]);
            if (Double.isNaN(sample[1]) || Double.isNaN(iteration) || iteration == 0) {
                continue;
            }
            assertEquals(updates.get((int) iteration - 1).meanReward(), sample[1], 1e-9,
                    "reward mean at iteration " + iteration);
            checked++;
        }
        assertTrue(checked >= 2, "several reward samples were checked, got " + checked);
        assertEquals(updates.get(updates.size() - 1).meanReward(), rewards.get(rewards.size() - 1)[1], 1e-9);
    }

    private static List<Update> journal() {
        try (UpdateJournal journal = UpdateJournal.open(runDir.resolve("journal.jsonl"))) {
            List<Update> updates = journal.records();
            assertEquals(ITERATIONS, updates.size());
            return updates;
        }
    }

    /** The samples (unix seconds, value) of {@code query} over the run, from Prometheus' range API. */
    private static List<double[]> queryRange(String query) throws IOException, InterruptedException {
        URI uri = URI.create(prometheusUrl + "/api/v1/query_range?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)
                + "&start=" + startSeconds + "&end=" + endSeconds + "&step=1");
        JsonNode answer = new ObjectMapper().readTree(get(uri));
        assertEquals("success", answer.path("status").asText(), answer.toString());
        JsonNode result = answer.at("/data/result");
        assertEquals(1, result.size(), "one series for " + query + ": " + result);
        List<double[]> samples = new ArrayList<>();
        for (JsonNode v : result.get(0).get("values")) {
            samples.add(new double[] {v.get(0).asDouble(), Double.parseDouble(v.get(1).asText())});
        }
        return samples;
    }

    private static double valueAt(List<double[]> samples, double time) {
        for (double[] s : samples) {
            if (s[0] == time) {
                return s[1];
            }
        }
        return Double.NaN;
    }

    /** The value of the first sample of {@code name} whose labels contain {@code labelPart}. */
    private static double value(String scrape, String name, String labelPart) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(labelPart)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no sample " + name + "{..." + labelPart + "...} in the scrape");
    }

    /** Sample names in an exposition text (histogram and summary series included). */
    private static Set<String> exportedNames(String scrape) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]").matcher(scrape);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Starts Prometheus on the example scrape config pointed at {@code metricsPort}; null if not installed. */
    private static Process startPrometheus(Path work, int metricsPort) throws IOException, InterruptedException {
        Path binary = Path.of("/usr/bin/prometheus");
        if (!Files.isExecutable(binary)) {
            return null;
        }
        String config = Files.readString(SCRAPE_CONFIG)
                .replace("127.0.0.1:9400", "127.0.0.1:" + metricsPort)
                .replace("scrape_interval: 5s", "scrape_interval: 1s");
        assertTrue(config.contains("127.0.0.1:" + metricsPort), "the example config names the target it scrapes");
        Path file = Files.writeString(work.resolve("prometheus.yml"), config);
        int port = freePort();
        prometheusUrl = "http://127.0.0.1:" + port;
        Process process = new ProcessBuilder(binary.toString(), "--config.file=" + file,
                "--storage.tsdb.path=" + work.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(work.resolve("prometheus.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("prometheus exited: " + Files.readString(work.resolve("prometheus.log")));
            }
            try {
                get(URI.create(prometheusUrl + "/-/ready"));
                return process;
            } catch (IOException e) {
                sleep(200);
            }
        }
        process.destroy();
        fail("prometheus did not become ready: " + Files.readString(work.resolve("prometheus.log")));
        return null;
    }

    private static String get(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(uri + ": HTTP " + response.statusCode());
        }
        return response.body();
    }

    /**
     * A free port below Linux's ephemeral range (32768 up): the run binds it seconds later, after Prometheus has
     * started, and a port from the ephemeral range can be taken meanwhile by any outgoing connection on the machine
     * (seen once when another test ran alongside: "Address already in use").
     */
    private static int freePort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 20000 + random.nextInt(12000);
            try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException busy) {
                // taken: try another
            }
        }
        throw new IOException("no free port in 20000-31999");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
