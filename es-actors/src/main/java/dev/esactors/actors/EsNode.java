package dev.esactors.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.ChildFailed;
import akka.actor.typed.Props;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.esactors.actors.metrics.NodeMetrics;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.train.RunDirectory;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;

import java.time.Duration;
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
        ActorSystem<Void> system = ActorSystem.create(guardian(config, run, events, done, metrics), "es-actors", akkaConfig(config));
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

    private static Behavior<Void> guardian(RunConfig config, EsRun run, Consumer<RunEvent> events,
                                           CompletableFuture<RunEvent> done, NodeMetrics metrics) {
        return Behaviors.setup(context -> {
            ActorRef<RunEvent> listener = context.spawn(listener(events, done), "listener");
            if (run != null) {
                context.watch(context.spawn(Coordinator.create(config, run, listener, metrics.registry()),
                        "coordinator", Coordinator.BLOCKING));
            } else {
                CoordinatorEntity.init(context.getSystem(), Map.of(config.id(),
                        new CoordinatorEntity.HostedRun(config, listener)), metrics.registry());
            }
            if (run == null && config.cluster().seedNodes().isEmpty()) {
                // A coordinator node given no seed nodes founds the cluster itself (evaluators must name it).
                Cluster cluster = Cluster.get(context.getSystem());
                cluster.manager().tell(Join.create(cluster.selfMember().address()));
            }
            boolean coordinatorNode = config.cluster().role().equals("coordinator");
            boolean evaluates = !config.cluster().role().equals("coordinator");
            int evaluators = evaluates ? config.localEvaluators() : 0;
            // The bound address names the evaluators (port 0 picks a free port, so the config alone would not).
            String node = config.cluster().standalone() ? "local"
                    : context.getSystem().address().getHost().orElse("?") + ":" + context.getSystem().address().getPort().orElse(0);
            for (int i = 0; i < evaluators; i++) {
                DeviceSpec device = config.model().device().equals("cuda") ? DeviceSpec.parse("cuda:" + i) : DeviceSpec.CPU;
                ActorRef<Evaluator.Command> evaluator = context.spawn(
                        Evaluator.create(config, node + "/evaluator-" + i, device, metrics.registry()), "evaluator-" + i,
                        Props.empty().withDispatcherFromConfig("es-actors.blocking-dispatcher"));
                context.watch(evaluator); // an evaluator node lives as long as its evaluators
            }
            if (run != null) {
                // Standalone: an actor that fails (an evaluator that cannot be built, a journal that cannot be
                // written) makes the run impossible; say so instead of waiting for it forever.
                return Behaviors.<Void>receive(Void.class)
                        .onSignal(ChildFailed.class, f -> failed(listener, f))
                        .onSignal(Terminated.class, t -> Behaviors.same())
                        .build();
            }
            if (coordinatorNode) {
                // Wake the entity now and every few seconds: after its node is lost this is what makes sharding
                // re-create it here (or on another coordinator node).
                var entity = ClusterSharding.get(context.getSystem()).entityRefFor(CoordinatorEntity.TYPE_KEY, config.id());
                return Behaviors.withTimers(timers -> {
                    timers.startTimerAtFixedRate("wake", "wake", Duration.ZERO, Duration.ofSeconds(2));
                    return Behaviors.receive(Object.class)
                            .onMessageEquals("wake", () -> {
                                entity.tell(Coordinator.Wake.INSTANCE);
                                return Behaviors.same();
                            })
                            .build();
                }).narrow();
            }
            if (!config.cluster().coordinatorWait().isZero()) {
                context.spawn(CoordinatorWatch.create(config.cluster().coordinatorWait(),
                        reason -> listener.tell(new RunEvent.RunFailed(reason))), "coordinator-watch");
            }
            // An evaluator node ends when all its evaluators have stopped (the run finished, or they were refused).
            int[] alive = {evaluators};
            return Behaviors.<Void>receive(Void.class)
                    .onSignal(ChildFailed.class, f -> failed(listener, f))
                    .onSignal(Terminated.class, t -> {
                        if (--alive[0] == 0) {
                            done.complete(new RunEvent.NodeStopped("all " + evaluators + " evaluators stopped"));
                            return Behaviors.stopped();
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    /** Reports that a child actor failed, naming it and the cause. */
    private static Behavior<Void> failed(ActorRef<RunEvent> listener, ChildFailed failure) {
        // The first cause that is not Akka's wrapper says what went wrong (e.g. the file and line of a bad dataset).
        Throwable cause = failure.getCause();
        while (cause.getCause() != null && (cause.getMessage() == null
                || cause.getClass().getName().startsWith("akka."))) {
            cause = cause.getCause();
        }
        listener.tell(new RunEvent.RunFailed(failure.getRef().path().name() + " failed: " + cause.getMessage()));
        return Behaviors.same();
    }

    private static Behavior<RunEvent> listener(Consumer<RunEvent> events, CompletableFuture<RunEvent> done) {
        return Behaviors.receive(RunEvent.class)
                .onMessage(RunEvent.class, event -> {
                    events.accept(event);
                    if (event instanceof RunEvent.RunFinished || event instanceof RunEvent.RunFailed
                            || event instanceof RunEvent.NodeStopped) {
                        done.complete(event);
                    }
                    return Behaviors.same();
                })
                .build();
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
