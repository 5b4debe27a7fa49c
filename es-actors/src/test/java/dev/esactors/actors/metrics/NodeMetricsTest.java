package dev.esactors.actors.metrics;

import dev.esactors.train.config.RunConfig;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The metrics endpoint keeps answering probes while clients hold connections with half-sent requests, or pipeline
 * scrapes whose replies they never read.
 */
class NodeMetricsTest {

    @Test
    void halfSentRequestsDoNotBlockTheLivenessProbe() throws Exception {
        try (NodeMetrics metrics = NodeMetrics.start(new RunConfig.Metrics(true, "127.0.0.1", 0, Duration.ZERO),
                "run", "node")) {
            URI endpoint = metrics.endpoint().orElseThrow();
            List<Socket> stalled = new ArrayList<>();
            try {
                // More stalled clients than the server has threads: only the read timeout frees them.
                for (int i = 0; i < 16; i++) {
                    Socket s = new Socket(endpoint.getHost(), endpoint.getPort());
                    OutputStream out = s.getOutputStream();
                    out.write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    stalled.add(s);
                }
                HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
                HttpResponse<String> health = client.send(HttpRequest.newBuilder(endpoint.resolve("/healthz"))
                        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode());
                assertEquals("ok\n", health.body());
            } finally {
                for (Socket s : stalled) {
                    s.close();
                }
            }
        }
    }

    @Test
    void clientsThatNeverReadTheirRepliesDoNotBlockTheLivenessProbe() throws Exception {
        try (NodeMetrics metrics = NodeMetrics.start(new RunConfig.Metrics(true, "127.0.0.1", 0, Duration.ZERO),
                "run", "node")) {
            URI endpoint = metrics.endpoint().orElseThrow();
            List<Socket> greedy = new ArrayList<>();
            try {
                // Sixteen clients (four times the pool of 4 threads they once stalled), each pipelining thousands of
                // scrapes and reading none of the replies, which pile up in the socket buffers (megabytes of them).
                byte[] request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < 8; i++) {
                    Socket s = new Socket();
                    s.setReceiveBufferSize(4096); // small, as a slow or hostile client's may be
                    s.connect(new java.net.InetSocketAddress(endpoint.getHost(), endpoint.getPort()));
                    greedy.add(s);
                    Thread writer = new Thread(() -> {
                        try {
                            OutputStream out = s.getOutputStream();
                            for (int r = 0; r < 5_000; r++) {
                                out.write(request);
                            }
                            out.flush();
                        } catch (java.io.IOException e) {
                            // the server closed the connection: what it should do
                        }
                    });
                    writer.setDaemon(true);
                    writer.start();
                }
                Thread.sleep(2_000);
                // A liveness probe gives up after a few seconds (the hostile-input report saw ~30 s outages; here the
                // pool's threads stay busy computing scrapes and the probe takes its turn among them).
                HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
                HttpResponse<String> health = client.send(HttpRequest.newBuilder(endpoint.resolve("/healthz"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode());
                assertEquals("ok\n", health.body());
            } finally {
                for (Socket s : greedy) {
                    s.close();
                }
            }
        }
    }

    @Test
    void theEndpointsAreReadOnly() throws Exception {
        try (NodeMetrics metrics = NodeMetrics.start(new RunConfig.Metrics(true, "127.0.0.1", 0, Duration.ZERO),
                "run", "node")) {
            URI endpoint = metrics.endpoint().orElseThrow();
            HttpClient client = HttpClient.newHttpClient();
            for (String path : List.of("/metrics", "/healthz")) {
                for (String method : List.of("POST", "DELETE", "PUT")) {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(endpoint.resolve(path))
                            .method(method, HttpRequest.BodyPublishers.ofString("x")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(405, r.statusCode(), method + " " + path);
                    assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(""));
                }
                HttpResponse<String> head = client.send(HttpRequest.newBuilder(endpoint.resolve(path))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, head.statusCode(), "HEAD " + path);
                assertEquals("", head.body());
            }
            HttpResponse<String> scrape = client.send(HttpRequest.newBuilder(endpoint).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scrape.statusCode());
            org.junit.jupiter.api.Assertions.assertTrue(scrape.body().contains("es_process_resident_memory_bytes"));
        }
    }
}
