package dev.esactors.actors.bench;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;
import dev.esactors.actors.coordinator.Coordinator;
import dev.esactors.actors.evaluator.NodeUpdates;
import dev.esactors.actors.node.EsNode;
import dev.esactors.actors.wire.CoordinatorProtocol;
import dev.esactors.train.RunDirectory;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;
import dev.esactors.train.config.RunConfigLoader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Coordination at scale without models: a real Coordinator (over the embedded model's master, so updates cost what
 * they cost) and E {@link SimulatedEvaluator}s in one actor system, N = E members per iteration. Prints the
 * coordinator's busy time per member result and the bytes its protocol puts on the wire per member.
 */
public final class CoordinationBench {

    private CoordinationBench() {
    }

    public static void header(PrintWriter out) {
        out.printf("%10s %10s %6s %7s %5s %8s %15s %14s %12s %14s %14s %15s %13s %13s%n", "shaping", "evaluators",
                "nodes", "N", "P",
                "wall s", "coord ms/result", "update ms/memb", "work B/memb", "catch-up B/mb", "all B/member",
                "msgs/eval/iter", "boundary ms", "all busy ms");
    }

    /**
     * Runs {@code iterations} iterations with {@code evaluators} simulated evaluators and prints one row. With
     * {@code membersPerPass} > 0 the run uses low-rank perturbations and hands out groups of that many members
     * (N = evaluators x members per pass); with 0, full rank, N = evaluators. With {@code perPrompt}, per-prompt
     * shaping: every result carries each member's reward on each prompt.
     */
    public static void run(PrintWriter out, Path dir, int evaluators, int perNode, int membersPerPass,
                           int iterations, Duration median, boolean perPrompt) {
        int population = evaluators * Math.max(1, membersPerPass);
        RunConfig config = RunConfigLoader.parse(ConfigFactory.parseMap(Map.of(
                "run.id", "coordination-" + evaluators, "run.dir", dir.toString(), "run.iterations", iterations,
                "es.population", population, "checkpoint.every", 0, "metrics.enabled", false,
                "es.perturbation", membersPerPass > 0 ? "low-rank" : "full-rank",
                "es.members-per-pass", Math.max(1, membersPerPass),
                "es.shaping", perPrompt ? "per-prompt" : "zscore")), "coordination bench");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SimulatedEvaluator.Wire wire = new SimulatedEvaluator.Wire();
        CompletableFuture<RunEvent> done = new CompletableFuture<>();
        var run = RunDirectory.open(config, note -> { });
        long start = System.nanoTime();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.<Void>setup(context -> {
            var listener = context.spawn(Behaviors.<RunEvent>receiveMessage(e -> {
                if (e instanceof RunEvent.RunFinished || e instanceof RunEvent.RunFailed) {
                    done.complete(e);
                }
                return Behaviors.same();
            }), "listener");
            context.spawn(Coordinator.create(config, run, listener, registry), "coordinator", Coordinator.BLOCKING);
            NodeUpdates.Log node = null;
            for (int i = 0; i < evaluators; i++) {
                if (i % perNode == 0) {
                    node = new NodeUpdates.Log(); // the next simulated node
                }
                context.spawn(SimulatedEvaluator.create(config.id(), "sim-" + i, 1000L + i, median, wire, node,
                        "node-" + i / perNode, CoordinatorProtocol.fingerprint(config), perPrompt), "sim-" + i);
            }
            return Behaviors.empty();
        }), "coordination-bench", ConfigFactory.parseResources(EsNode.class, "/es-actors-akka.conf")
                .withFallback(ConfigFactory.parseMap(Map.of("akka.actor.provider", "local")))
                .withFallback(ConfigFactory.defaultReference(EsNode.class.getClassLoader())));
        try {
            RunEvent last = done.get(30, TimeUnit.MINUTES);
            if (!(last instanceof RunEvent.RunFinished)) {
                throw new IllegalStateException("the simulated run failed: " + last);
            }
        } catch (Exception e) {
            throw new IllegalStateException("coordination bench with " + evaluators + " evaluators: " + e, e);
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        long members = (long) population * iterations;
        double messages = busyMillis(registry, "messages");
        double updates = busyMillis(registry, "updates");
        long work = wire.workBytes.sum();
        long catchUp = wire.catchUpBytes.sum();
        int nodes = (evaluators + perNode - 1) / perNode;
        out.printf("%10s %10d %6d %7d %5d %8.1f %15.3f %14.3f %12.1f %14.1f %14.1f %15.2f %13.1f %13.1f%n",
                perPrompt ? "per-prompt" : "zscore", evaluators,
                nodes, population, Math.max(1, membersPerPass), wall, (messages + updates) / members,
                updates / members, (double) work / members, (double) catchUp / members,
                (double) (work + catchUp) / members, (double) wire.messages.sum() / evaluators / iterations,
                wire.boundaryMillis(false, iterations), wire.boundaryMillis(true, iterations));
        out.flush();
    }

    private static double busyMillis(SimpleMeterRegistry registry, String work) {
        return registry.get("es_coordinator_busy").tag("work", work).timer().totalTime(TimeUnit.MILLISECONDS);
    }
}
