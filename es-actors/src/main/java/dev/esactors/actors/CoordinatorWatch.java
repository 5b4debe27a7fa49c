package dev.esactors.actors;

import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * On an evaluator node: watches the cluster's members with the coordinator role. When the last one has been gone
 * for {@code cluster.coordinator-wait}, it reports the node as lost, so that the process exits and its supervisor
 * (a Kubernetes Job, systemd) restarts it: a replacement coordinator started alone forms a new cluster, which a
 * fresh evaluator joins through the seed nodes and catches up by replay.
 */
public final class CoordinatorWatch {

    /** The watch's protocol (local). */
    public sealed interface Command {
    }

    private record Membership(ClusterEvent.MemberEvent event) implements Command {
    }

    private enum Expired implements Command {
        INSTANCE
    }

    private CoordinatorWatch() {
    }

    /** Calls {@code lost} with a reason when no coordinator node has been up for {@code wait}. */
    public static Behavior<Command> create(Duration wait, Consumer<String> lost) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            ActorRef<ClusterEvent.MemberEvent> adapter = context.messageAdapter(ClusterEvent.MemberEvent.class,
                    Membership::new);
            Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(adapter, ClusterEvent.MemberEvent.class));
            Set<Address> coordinators = new HashSet<>();
            return Behaviors.receive(Command.class)
                    .onMessage(Membership.class, m -> {
                        if (!m.event().member().hasRole("coordinator")) {
                            return Behaviors.same();
                        }
                        Address address = m.event().member().address();
                        if (m.event() instanceof ClusterEvent.MemberUp) {
                            coordinators.add(address);
                            timers.cancel(Expired.INSTANCE);
                        } else if (m.event() instanceof ClusterEvent.MemberRemoved
                                || m.event() instanceof ClusterEvent.MemberExited
                                || m.event() instanceof ClusterEvent.MemberDowned) {
                            if (coordinators.remove(address) && coordinators.isEmpty()) {
                                timers.startSingleTimer(Expired.INSTANCE, wait);
                            }
                        }
                        return Behaviors.same();
                    })
                    .onMessageEquals(Expired.INSTANCE, () -> {
                        if (coordinators.isEmpty()) {
                            lost.accept("no coordinator node in the cluster for " + wait.toSeconds() + " s (it was "
                                    + "lost; a replacement forms a new cluster): exiting so that this node is "
                                    + "restarted and joins it");
                        }
                        return Behaviors.same();
                    })
                    .build();
        }));
    }
}
