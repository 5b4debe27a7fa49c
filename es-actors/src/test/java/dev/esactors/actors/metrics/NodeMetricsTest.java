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

/** The metrics endpoint keeps answering probes while clients hold connections with half-sent requests. */
class NodeMetricsTest {

    @Test
    void halfSentRequestsDoNotBlockTheLivenessProbe() throws Exception {
        try (NodeMetrics metrics = NodeMetrics.start(new RunConfig.Metrics(true, "127.0.0.1", 0, Duration.ZERO),
                "run", "node")) {
            URI endpoint = metrics.endpoint().orElseThrow();
            List<Socket> stalled = new ArrayList<>();
            try {
                // More stalled clients than the server has threads: only the read timeout frees them.
                for (int i = 0; i < 8; i++) {
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
}
