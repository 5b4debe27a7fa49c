package dev.esactors.actors.coordinator;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.ShardingEnvelope;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import dev.esactors.actors.wire.CoordinatorProtocol;
import dev.esactors.train.RunDirectory;
import dev.esactors.train.RunEvent;
import dev.esactors.train.config.RunConfig;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;

/**
 * The Coordinator as a cluster-sharded entity: one entity per run id, hosted on a node with the coordinator role,
 * re-created on another such node (resuming from the run directory on shared storage) when its node is lost.
 */
public final class CoordinatorEntity {

    /** The sharded entity type. */
    public static final EntityTypeKey<CoordinatorProtocol.Command> TYPE_KEY =
            EntityTypeKey.create(CoordinatorProtocol.Command.class, "es-coordinator");

    /**
     * A run whose coordinator this node may host.
     *
     * @param config   its run file
     * @param listener who hears its events
     */
    public record HostedRun(RunConfig config, ActorRef<RunEvent> listener) {
    }

    private CoordinatorEntity() {
    }

    /**
     * Registers the entity type with cluster sharding on this node. An entity is the coordinator of the run its id
     * names: hosted here, it opens that run's directory (resuming from its checkpoints and journal). Every
     * coordinator node must hold the run files of the runs it may host. Other nodes get a proxy.
     */
    public static ActorRef<ShardingEnvelope<CoordinatorProtocol.Command>> init(ActorSystem<?> system,
                                                                      Map<String, HostedRun> runs,
                                                                      MeterRegistry registry) {
        return ClusterSharding.get(system).init(Entity.of(TYPE_KEY, entity -> Behaviors.setup(context -> {
            HostedRun hosted = runs.get(entity.getEntityId());
            if (hosted == null) {
                context.getLog().error("no run file for run id '{}' on this coordinator node (it has {})",
                        entity.getEntityId(), runs.keySet());
                return Behaviors.stopped();
            }
            RunConfig config = hosted.config();
            ActorRef<RunEvent> listener = hosted.listener();
            try {
                return Coordinator.create(config, RunDirectory.open(config,
                        note -> listener.tell(new RunEvent.Note(note))), listener, registry);
            } catch (RuntimeException e) {
                listener.tell(new RunEvent.RunFailed("cannot open run " + config.id() + ": " + e.getMessage()));
                return Behaviors.stopped();
            }
        })).withRole("coordinator").withEntityProps(Props.empty().withDispatcherFromConfig(
                "es-actors.blocking-dispatcher")));
    }
}
