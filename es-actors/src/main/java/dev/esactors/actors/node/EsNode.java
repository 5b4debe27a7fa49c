package dev.esactors.actors.node;

import akka.actor.typed.ActorSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.esactors.actors.metrics.NodeMetrics;
import dev.esactors.core.es.EsRun;
import dev.esactors.train.RunDirectory;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Starts this JVM's part of a run: everything (standalone: a local actor system with the Coordinator and K
 * evaluators), the coordinator node, or an evaluator node of an Akka cluster. Blocks until the run ends.
 */
public final class EsNode {

    private EsNode() {
    }

    /** Runs the configured role; returns the final event (RunFinished, RunFailed, or NodeStopped on an evaluator node). */
    public static RunEvent run(RunConfig config, Consumer<RunEvent> events) {
        if (config.cluster().standalone() && config.localEvaluators() == 0) {
            throw new IllegalArgumentException("a standalone run without evaluators has no actors to start: run it "
                    + "in one thread (es-actors run --evaluators 0)");
        }
        try (NodeMetrics metrics = NodeMetrics.start(config.metrics(), config.id(), nodeName(config))) {
            metrics.endpoint().ifPresent(uri -> events.accept(new RunEvent.Note("metrics at " + uri)));
            RunEvent result = run(config, events, metrics);
            if (metrics.endpoint().isPresent() && !config.metrics().linger().isZero()) {
                try {
                    Thread.sleep(config.metrics().linger().toMillis()); // the final values, for the last scrape
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return result;
        }
    }

    /** The node label of this JVM's metrics: the cluster address as configured, or the host name. */
    private static String nodeName(RunConfig config) {
        if (!config.cluster().standalone()) {
            return config.cluster().host() + ":" + config.cluster().port();
        }
        String host = System.getenv("HOSTNAME");
        return host == null || host.isBlank() ? "local" : host;
    }

    private static RunEvent run(RunConfig config, Consumer<RunEvent> events, NodeMetrics metrics) {
        // Standalone: the run is opened here, before any actor starts, so that its errors surface at once. In a
        // cluster the coordinator is a sharded entity that opens the run on whichever coordinator node hosts it.
        EsRun run = config.cluster().standalone()
                ? RunDirectory.open(config, message -> events.accept(new RunEvent.Note(message))) : null;
        CompletableFuture<RunEvent> done = new CompletableFuture<>();
        ActorSystem<NodeGuardian.Command> system = ActorSystem.create(NodeGuardian.create(config, run, events, done, metrics),
                "es-actors", akkaConfig(config));
        system.getWhenTerminated().whenComplete((d, e) -> {
            // e.g. the split brain resolver downed this node: say so, unless the run had already ended
            RunEvent failed = new RunEvent.RunFailed("the actor system stopped before the run finished (this node "
                    + "was removed from the cluster, or shut down)");
            if (done.complete(failed)) {
                events.accept(failed);
            }
        });
        try {
            return done.join();
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }
    }

    /**
     * es-actors-akka.conf plus this node's provider, host, port, roles, seed nodes and TLS settings; a TLS store
     * that cannot be opened is an IllegalArgumentException naming the key.
     */
    public static Config akkaConfig(RunConfig config) {
        Config base = ConfigFactory.parseResources(EsNode.class, "/es-actors-akka.conf")
                .withFallback(ConfigFactory.defaultReference(EsNode.class.getClassLoader()));
        RunConfig.Cluster cluster = config.cluster();
        if (cluster.standalone()) {
            return ConfigFactory.parseMap(Map.of("akka.actor.provider", "local")).withFallback(base);
        }
        return ConfigFactory.parseMap(Map.of(
                        "akka.actor.provider", "cluster",
                        "akka.remote.artery.canonical.hostname", cluster.host(),
                        "akka.remote.artery.canonical.port", cluster.port(),
                        "akka.remote.artery.bind.hostname", cluster.bindHost().isEmpty() ? cluster.host() : cluster.bindHost(),
                        "akka.cluster.roles", java.util.List.of(cluster.role())))
                .withValue("akka.cluster.seed-nodes", ConfigValueFactory.fromIterable(cluster.seedNodes()))
                .withFallback(ClusterTls.akkaSettings(cluster.tls()))
                .withFallback(base);
    }
}
