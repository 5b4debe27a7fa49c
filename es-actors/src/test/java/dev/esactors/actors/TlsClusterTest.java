package dev.esactors.actors;

import dev.esactors.actors.node.EsNode;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster over Artery TLS with mutual authentication, over loopback: nodes with certificates of the cluster's CA
 * run to the standalone weights; a node whose certificate another CA signed cannot join (and so cannot report
 * anything), and the run ends with the same weights. The certificates come from bin/es-actors-certs, the script
 * users run.
 */
class TlsClusterTest {

    @TempDir
    static Path root;

    @BeforeAll
    static void certificates() throws Exception {
        certs(root.resolve("ca"));
        certs(root.resolve("other-ca"));
    }

    @Test
    void aTlsClusterEndsWithTheStandaloneWeightsAndANodeOfAnotherCaCannotJoin() throws Exception {
        String alone = TestRuns.loopHash(TestRuns.small(root.resolve("alone"), 0, Map.of()));
        int port = freePort();
        String seed = "akka://es-actors@127.0.0.1:" + port;
        Path ca = root.resolve("ca");
        RunConfig coordinator = node(root.resolve("run"), "coordinator", port, seed, ca, ca, Map.of());
        RunConfig evaluator = node(root.resolve("run"), "evaluator", 0, seed, ca, ca, Map.of());
        // The stranger trusts the cluster's CA, but its own certificate comes from another CA.
        RunConfig stranger = node(root.resolve("run"), "evaluator", 0, seed, root.resolve("other-ca"), ca,
                Map.of("cluster.coordinator-wait", "1s"));
        CompletableFuture<RunEvent> strangerDone = CompletableFuture.supplyAsync(() -> EsNode.run(stranger, e -> { }));
        CompletableFuture<RunEvent> run = CompletableFuture.supplyAsync(() -> EsNode.run(coordinator, e -> { }));
        CompletableFuture<RunEvent> member = CompletableFuture.supplyAsync(() -> EsNode.run(evaluator, e -> { }));

        RunEvent last = run.get(4, TimeUnit.MINUTES);
        assertEquals(alone, assertInstanceOf(RunEvent.RunFinished.class, last, last.toString()).masterHash());
        RunEvent refused = strangerDone.get(2, TimeUnit.MINUTES);
        RunEvent.RunFailed failed = assertInstanceOf(RunEvent.RunFailed.class, refused, refused.toString());
        assertTrue(failed.reason().contains("no coordinator node joined"), failed.reason());
        member.get(2, TimeUnit.MINUTES);
    }

    @Test
    void storesThatCannotBeOpenedAreErrorsNamingTheKey() throws IOException {
        Path ca = root.resolve("ca");
        Map<String, Object> wrong = Map.of("cluster.tls.key-store-password", "file:" + Files.writeString(
                root.resolve("wrong-password"), "not-it\n"));
        String message = assertThrows(IllegalArgumentException.class, () -> EsNode.akkaConfig(
                node(root.resolve("bad"), "coordinator", 0, "akka://es-actors@127.0.0.1:1", ca, ca, wrong)))
                .getMessage();
        assertTrue(message.startsWith("cluster.tls.key-store") && message.contains("node.p12"), message);
        assertTrue(!message.contains("not-it"), "the password is not shown: " + message);

        Map<String, Object> swapped = Map.of("cluster.tls.key-store", ca.resolve("trust.p12").toString());
        message = assertThrows(IllegalArgumentException.class, () -> EsNode.akkaConfig(
                node(root.resolve("bad"), "coordinator", 0, "akka://es-actors@127.0.0.1:1", ca, ca, swapped)))
                .getMessage();
        assertTrue(message.contains("holds no private key"), message);

        Map<String, Object> unset = Map.of("cluster.tls.trust-store-password", "env:ES_TEST_UNSET_PASSWORD");
        message = assertThrows(IllegalArgumentException.class, () -> EsNode.akkaConfig(
                node(root.resolve("bad"), "coordinator", 0, "akka://es-actors@127.0.0.1:1", ca, ca, unset)))
                .getMessage();
        assertTrue(message.contains("ES_TEST_UNSET_PASSWORD is not set"), message);
    }

    /** A node of the small test run over TLS, with the key store from {@code keys} and trust store from {@code trust}. */
    private static RunConfig node(Path dir, String role, int port, String seed, Path keys, Path trust,
                                  Map<String, Object> extra) {
        Map<String, Object> values = new HashMap<>(Map.of("run.id", "tls", "cluster.role", role,
                "cluster.host", "127.0.0.1", "cluster.port", port, "cluster.seed-nodes", List.of(seed),
                "run.member-deadline", "60s", "metrics.enabled", false));
        values.putAll(Map.of("cluster.tls.enabled", true,
                "cluster.tls.key-store", keys.resolve("node.p12").toString(),
                "cluster.tls.trust-store", trust.resolve("trust.p12").toString(),
                "cluster.tls.key-store-password", "file:" + keys.resolve("password"),
                "cluster.tls.trust-store-password", "file:" + trust.resolve("password")));
        values.putAll(extra);
        return TestRuns.small(dir, role.equals("coordinator") ? 0 : 1, values);
    }

    private static void certs(Path dir) throws IOException, InterruptedException {
        ProcessBuilder script = new ProcessBuilder(Path.of("..", "bin", "es-actors-certs").toString(), dir.toString())
                .redirectErrorStream(true);
        script.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = script.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
