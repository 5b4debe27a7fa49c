package dev.esactors.actors;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import dev.esactors.actors.coordinator.CoordinatorEntity;
import dev.esactors.actors.evaluator.Evaluator;
import dev.esactors.actors.node.EsNode;
import dev.esactors.actors.wire.CoordinatorProtocol;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs keyed by id: one coordinator node hosts the sharded coordinators of two runs, each with its own evaluator
 * node, all over loopback TCP; each run ends with the weights it has alone.
 */
class SharedClusterTest {

    @TempDir
    static Path root;

    @Test
    void twoRunsOnOneClusterEachEndWithTheirStandaloneWeights() throws Exception {
        Map<String, Object> second = Map.of("es.sigma", 0.03, "task.options.word", "a");
        String firstAlone = TestRuns.loopHash(TestRuns.small(root.resolve("first-alone"), 0, Map.of()));
        String secondAlone = TestRuns.loopHash(TestRuns.small(root.resolve("second-alone"), 0, second));
        assertNotEquals(firstAlone, secondAlone, "two different runs");

        int port = freePort();
        String seed = "akka://es-actors@127.0.0.1:" + port;
        RunConfig first = node(root.resolve("first"), "first", "coordinator", port, seed, Map.of());
        RunConfig other = node(root.resolve("second"), "second", "coordinator", port, seed, second);
        CompletableFuture<RunEvent> firstDone = new CompletableFuture<>();
        CompletableFuture<RunEvent> secondDone = new CompletableFuture<>();
        List<ActorSystem<?>> systems = new ArrayList<>();
        try {
            systems.add(ActorSystem.create(Behaviors.<Void>setup(context -> {
                Map<String, CoordinatorEntity.HostedRun> runs = Map.of(
                        "first", new CoordinatorEntity.HostedRun(first, context.spawn(until(firstDone), "first")),
                        "second", new CoordinatorEntity.HostedRun(other, context.spawn(until(secondDone), "second")));
                CoordinatorEntity.init(context.getSystem(), runs, new SimpleMeterRegistry());
                var sharding = ClusterSharding.get(context.getSystem());
                runs.keySet().forEach(id -> sharding.entityRefFor(CoordinatorEntity.TYPE_KEY, id)
                        .tell(CoordinatorProtocol.Wake.INSTANCE));
                return Behaviors.empty();
            }), "es-actors", EsNode.akkaConfig(first)));
            systems.add(evaluatorNode(node(root.resolve("first"), "first", "evaluator", 0, seed, Map.of())));
            systems.add(evaluatorNode(node(root.resolve("second"), "second", "evaluator", 0, seed, second)));
            RunEvent a = firstDone.get(3, TimeUnit.MINUTES);
            RunEvent b = secondDone.get(3, TimeUnit.MINUTES);
            assertEquals(firstAlone, assertInstanceOf(RunEvent.RunFinished.class, a, a.toString()).masterHash());
            assertEquals(secondAlone, assertInstanceOf(RunEvent.RunFinished.class, b, b.toString()).masterHash());
        } finally {
            systems.forEach(ActorSystem::terminate);
            for (ActorSystem<?> s : systems) {
                s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void anEvaluatorNodeOfAnotherRunFileIsRefusedAndFails() throws Exception {
        int port = freePort();
        String seed = "akka://es-actors@127.0.0.1:" + port;
        RunConfig coordinator = node(root.resolve("refusing"), "refusing", "coordinator", port, seed, Map.of());
        CompletableFuture<RunEvent> never = new CompletableFuture<>();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.<Void>setup(context -> {
            CoordinatorEntity.init(context.getSystem(), Map.of("refusing", new CoordinatorEntity.HostedRun(
                    coordinator, context.spawn(until(never), "listener"))), new SimpleMeterRegistry());
            ClusterSharding.get(context.getSystem()).entityRefFor(CoordinatorEntity.TYPE_KEY, "refusing")
                    .tell(CoordinatorProtocol.Wake.INSTANCE);
            return Behaviors.empty();
        }), "es-actors", EsNode.akkaConfig(coordinator));
        try {
            // The same run id, another population: its seeds and updates would not be the run's.
            RunConfig stranger = node(root.resolve("refusing"), "refusing", "evaluator", 0, seed,
                    Map.of("es.population", 8, "metrics.enabled", false));
            RunEvent last = CompletableFuture.supplyAsync(() -> EsNode.run(stranger, e -> { }))
                    .get(2, TimeUnit.MINUTES);
            RunEvent.RunFailed failed = assertInstanceOf(RunEvent.RunFailed.class, last, last.toString());
            assertTrue(failed.reason().contains("refused by the coordinator") && failed.reason()
                    .contains("another configuration"), failed.reason());
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void anEvaluatorNodeWhoseSeedNodesNeverAnswerGivesUpAfterTheCoordinatorWait() throws Exception {
        // Nobody listens on the seed node's port: the node never joins a cluster, and must not retry forever.
        RunConfig lonely = node(root.resolve("lonely"), "lonely", "evaluator", 0, "akka://es-actors@127.0.0.1:"
                + freePort(), Map.of("cluster.coordinator-wait", "2s", "metrics.enabled", false));
        RunEvent last = EsNode.run(lonely, e -> { });
        RunEvent.RunFailed failed = assertInstanceOf(RunEvent.RunFailed.class, last, last.toString());
        // coordinator-wait is 2 s, but a starting node is given at least 20 s to join
        assertTrue(failed.reason().contains("no coordinator node joined within 20 s: check cluster.seed-nodes"),
                failed.reason());
    }

    private static RunConfig node(Path dir, String id, String role, int port, String seed, Map<String, Object> extra) {
        Map<String, Object> values = new java.util.HashMap<>(extra);
        values.putAll(Map.of("run.id", id, "cluster.role", role, "cluster.host", "127.0.0.1", "cluster.port", port,
                "cluster.seed-nodes", List.of(seed), "run.member-deadline", "60s"));
        return TestRuns.small(dir, 1, values);
    }

    /** An evaluator node with one evaluator of {@code config}'s run. */
    private static ActorSystem<Void> evaluatorNode(RunConfig config) {
        return ActorSystem.create(Behaviors.setup(context -> {
            context.spawn(Evaluator.create(config, config.id() + "/evaluator-0", DeviceSpec.CPU,
                    new SimpleMeterRegistry()), "evaluator-0", Props.empty().withDispatcherFromConfig(
                    "es-actors.blocking-dispatcher"));
            return Behaviors.empty();
        }), "es-actors", EsNode.akkaConfig(config));
    }

    /** A listener that completes {@code done} with the run's last event. */
    private static akka.actor.typed.Behavior<RunEvent> until(CompletableFuture<RunEvent> done) {
        return Behaviors.receiveMessage(event -> {
            if (event instanceof RunEvent.RunFinished || event instanceof RunEvent.RunFailed) {
                done.complete(event);
            }
            return Behaviors.same();
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
