package dev.esactors.actors.node;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.ChildFailed;
import akka.actor.typed.Props;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import dev.esactors.actors.coordinator.Coordinator;
import dev.esactors.actors.coordinator.CoordinatorEntity;
import dev.esactors.actors.evaluator.Evaluator;
import dev.esactors.actors.metrics.NodeMetrics;
import dev.esactors.actors.wire.CoordinatorProtocol;
import dev.esactors.actors.wire.EvaluatorProtocol;
import dev.esactors.core.es.EsRun;
import dev.esactors.core.torch.DeviceSpec;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The root actor of one JVM's part of a run. It starts the coordinator (here, or as a sharded entity) and this node's
 * evaluators, then takes one of three shapes: standalone (any failed child fails the run), coordinator node (keeps
 * the sharded coordinator awake), evaluator node (ends when its evaluators have stopped).
 */
final class NodeGuardian {

    /** What the guardian is sent: only its own timer. */
    sealed interface Command permits WakeCoordinator {
    }

    /**
     * Time to wake the run's sharded coordinator: sent now and every few seconds on a coordinator node, because after
     * the node that hosted it is lost, a message to the entity is what makes sharding re-create it.
     */
    enum WakeCoordinator implements Command {
        INSTANCE
    }

    private static final Duration WAKE_EVERY = Duration.ofSeconds(2);

    private NodeGuardian() {
    }

    /**
     * The guardian of a node of {@code config}'s run; {@code run} is the opened run when standalone, else null.
     * {@code done} completes with the run's final event.
     */
    static Behavior<Command> create(RunConfig config, EsRun run, Consumer<RunEvent> events,
                                    CompletableFuture<RunEvent> done, NodeMetrics metrics) {
        return Behaviors.setup(context -> {
            ActorRef<RunEvent> listener = context.spawn(listener(events, done), "listener");
            if (run != null) {
                context.watch(context.spawn(Coordinator.create(config, run, listener, metrics.registry()),
                        "coordinator", Coordinator.BLOCKING));
            } else {
                CoordinatorEntity.init(context.getSystem(), Map.of(config.id(),
                        new CoordinatorEntity.HostedRun(config, listener)), metrics.registry());
                if (config.cluster().seedNodes().isEmpty()) {
                    // A coordinator node given no seed nodes founds the cluster itself (evaluators must name it).
                    Cluster cluster = Cluster.get(context.getSystem());
                    cluster.manager().tell(Join.create(cluster.selfMember().address()));
                }
            }
            int evaluators = spawnEvaluators(context, config, metrics);
            if (run != null) {
                return standalone(listener);
            }
            if (config.cluster().role().equals("coordinator")) {
                return coordinatorNode(context, config);
            }
            if (!config.cluster().coordinatorWait().isZero()) {
                context.spawn(CoordinatorWatch.create(config.cluster().coordinatorWait(),
                        reason -> listener.tell(new RunEvent.RunFailed(reason))), "coordinator-watch");
            }
            return evaluatorNode(listener, done, evaluators);
        });
    }

    /** Starts this node's evaluators (none on a coordinator-only node), each watched; returns how many. */
    private static int spawnEvaluators(ActorContext<Command> context, RunConfig config, NodeMetrics metrics) {
        int evaluators = config.cluster().role().equals("coordinator") ? 0 : config.localEvaluators();
        // The bound address names the evaluators (port 0 picks a free port, so the config alone would not).
        String node = config.cluster().standalone() ? "local" : context.getSystem().address().getHost().orElse("?")
                + ":" + context.getSystem().address().getPort().orElse(0);
        for (int i = 0; i < evaluators; i++) {
            DeviceSpec device = config.model().device().equals("cuda") ? DeviceSpec.parse("cuda:" + i) : DeviceSpec.CPU;
            ActorRef<EvaluatorProtocol.Command> evaluator = context.spawn(
                    Evaluator.create(config, node + "/evaluator-" + i, device, metrics.registry()), "evaluator-" + i,
                    Props.empty().withDispatcherFromConfig("es-actors.blocking-dispatcher"));
            context.watch(evaluator); // an evaluator node lives as long as its evaluators
        }
        return evaluators;
    }

    /**
     * Standalone: an actor that fails (an evaluator that cannot be built, a journal that cannot be written) makes
     * the run impossible; say so instead of waiting for it forever.
     */
    private static Behavior<Command> standalone(ActorRef<RunEvent> listener) {
        return Behaviors.receive(Command.class)
                .onSignal(ChildFailed.class, f -> failed(listener, f))
                .onSignal(Terminated.class, t -> Behaviors.same())
                .build();
    }

    /** A coordinator node wakes the run's entity now and every few seconds, so that it lives here or elsewhere. */
    private static Behavior<Command> coordinatorNode(ActorContext<Command> context, RunConfig config) {
        var entity = ClusterSharding.get(context.getSystem()).entityRefFor(CoordinatorEntity.TYPE_KEY, config.id());
        return Behaviors.withTimers(timers -> {
            timers.startTimerAtFixedRate(WakeCoordinator.INSTANCE, Duration.ZERO, WAKE_EVERY);
            return Behaviors.receive(Command.class)
                    .onMessage(WakeCoordinator.class, m -> {
                        entity.tell(CoordinatorProtocol.Wake.INSTANCE);
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    /** An evaluator node ends when all its evaluators have stopped (the run finished, or they were refused). */
    private static Behavior<Command> evaluatorNode(ActorRef<RunEvent> listener, CompletableFuture<RunEvent> done,
                                                   int evaluators) {
        int[] alive = {evaluators};
        return Behaviors.receive(Command.class)
                .onSignal(ChildFailed.class, f -> failed(listener, f))
                .onSignal(Terminated.class, t -> {
                    if (--alive[0] == 0) {
                        done.complete(new RunEvent.NodeStopped("all " + evaluators + " evaluators stopped"));
                        return Behaviors.stopped();
                    }
                    return Behaviors.same();
                })
                .build();
    }

    /** Reports that a child actor failed, naming it and the cause. */
    private static Behavior<Command> failed(ActorRef<RunEvent> listener, ChildFailed failure) {
        // The first cause that is not Akka's wrapper says what went wrong (e.g. the file and line of a bad dataset).
        Throwable cause = failure.getCause();
        while (cause.getCause() != null && (cause.getMessage() == null
                || cause.getClass().getName().startsWith("akka."))) {
            cause = cause.getCause();
        }
        listener.tell(new RunEvent.RunFailed(failure.getRef().path().name() + " failed: " + cause.getMessage()));
        return Behaviors.same();
    }

    /** Passes run events on and completes {@code done} with the final one. */
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
}
